//===- AttnToGPU.cpp - attn.attention to a GPU kernel ---------------------===//
//
// The GPU counterpart of attn-tile: one thread block per (q-block, head,
// batch), one query row per thread. Keys and values of a block are staged in
// shared memory by all threads; every thread then scores its row against
// them and folds the block into its running max, sum and output row (online
// softmax, fp32). Key ranges, block skipping and the per-pair mask and bias
// come from MaskLogic, shared with the CPU tiler, so both targets agree on
// every mask kind. With rotary embeddings, each thread turns its query row
// after loading it and the keys come turned from a pre-pass
// (RotaryKernels.cpp). Correctness first: no tensor cores.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion.h"

#include "KernelUtils.h"

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/MaskLogic.h"
#include "Attn/Transforms/OnlineSoftmaxMath.h"
#include "Attn/Transforms/RotaryMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>
#include <limits>

#define DEBUG_TYPE "attn-to-gpu"

namespace attn {
#define GEN_PASS_DEF_ATTNTOGPU
#include "Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int64_t kMaxThreads = 1024;   // per block, every NVIDIA GPU
constexpr int64_t kMaxBlockKV = 4096;   // keys per tile (also bounded below)
constexpr int64_t kStaticShared = 48 * 1024; // static shared memory per block

struct KernelBuilder {
  AttentionOp op;
  int64_t blockQ, blockKV;

  LogicalResult run(gpu::GPUModuleOp kernels, int index);

private:
  void buildBody(OpBuilder &b, gpu::GPUFuncOp fn, const AttentionBuffers &bufs,
                 Value out, Value lse);
};

LogicalResult KernelBuilder::run(gpu::GPUModuleOp kernels, int index) {
  Location loc = op.getLoc();
  Type elem = op.getQuery().getType().getElementType();
  const AttentionDims dims = op.getDims();
  // K and V tiles live in static shared memory; a tile past the limit
  // would compile and fail only at launch.
  const int64_t tileBytes = blockKV * (dims.headDim + dims.valueDim) *
                            (elem.getIntOrFloatBitWidth() / 8);
  if (tileBytes > kStaticShared)
    return op.emitOpError()
           << "the CUDA-core kernel's K/V tile of block-kv = " << blockKV
           << " keys needs " << tileBytes << " bytes of shared memory at D = "
           << dims.headDim << ", Dv = " << dims.valueDim << ", above the "
           << kStaticShared << " a block may hold statically; lower block-kv";

  OpBuilder b(op);
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();

  // Host side: operands as buffers, results in fresh buffers.
  AttentionBuffers bufs = bufferizeOperands(b, loc, op);
  Value B = m.dim(bufs.q, 0), Hq = m.dim(bufs.q, storedDim(layout, 1)),
        Lq = m.dim(bufs.q, storedDim(layout, 2));
  AttentionResults res = allocAttentionResults(b, op, bufs);
  std::string name = kernelName(op, "attention", index);
  // Rotary embeddings: turned keys in K's place (read element by element:
  // this kernel takes any row alignment).
  GPURotary rotary;
  if (op.getRotaryAttr()) {
    rotary = launchRotaryKeys(b, op, bufs, kernels, name, /*rows16=*/false);
    bufs.k = rotary.keys;
  }

  SmallVector<Value> params = {bufs.q, bufs.k, bufs.v};
  appendMaskAndResultParams(params, bufs, res);

  // The kernel.
  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  auto wg = gpu::AddressSpaceAttr::get(b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  auto priv = gpu::AddressSpaceAttr::get(b.getContext(),
                                         gpu::AddressSpace::Private);
  Type f32 = b.getF32Type();
  SmallVector<Type> workgroup = {
      MemRefType::get({blockKV, dims.headDim}, elem, AffineMap(), wg),
      MemRefType::get({blockKV, dims.valueDim}, elem, AffineMap(), wg)};
  SmallVector<Type> privates = {
      MemRefType::get({dims.headDim}, f32, AffineMap(), priv),
      MemRefType::get({dims.valueDim}, f32, AffineMap(), priv),
      MemRefType::get({blockKV}, f32, AffineMap(), priv)};
  auto fn = gpu::GPUFuncOp::create(
      kb, loc, name,
      kb.getFunctionType(ValueRange(params).getTypes(), {}), workgroup,
      privates);
  fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  fn.setKnownBlockSizeAttr(
      kb.getDenseI32ArrayAttr({static_cast<int32_t>(blockQ), 1, 1}));
  fn->setAttr("attn.block_q", kb.getI64IntegerAttr(blockQ));

  // Kernel arguments, as the mask logic expects them.
  Block &entry = fn.getBody().front();
  AttentionBuffers kbufs;
  kbufs.q = entry.getArgument(0);
  kbufs.k = entry.getArgument(1);
  kbufs.v = entry.getArgument(2);
  auto [kOut, kLse] = takeMaskAndResultArgs(entry, 3, bufs, res, kbufs);
  OpBuilder body = OpBuilder::atBlockBegin(&entry);
  buildBody(body, fn, kbufs, kOut, kLse);

  // Launch: (q-blocks, Hq, B) blocks of blockQ threads.
  Value numQBlocks = m.ceilDiv(Lq, m.c(blockQ));
  gpu::LaunchFuncOp::create(
      b, loc, fn, gpu::KernelDim3{numQBlocks, Hq, B},
      gpu::KernelDim3{m.c(blockQ), m.c(1), m.c(1)}, Value(), params);
  if (rotary.scratch)
    gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, rotary.scratch);
  replaceWithBuffers(b, op, res.out, res.lse);
  return success();
}

void KernelBuilder::buildBody(OpBuilder &b, gpu::GPUFuncOp fn,
                              const AttentionBuffers &bufs, Value out,
                              Value lse) {
  Location loc = op.getLoc();
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();
  const AttentionDims dims = op.getDims();
  const int64_t D = dims.headDim, Dv = dims.valueDim;
  Type f32 = b.getF32Type();
  Value kTile = fn.getWorkgroupAttributions()[0];
  Value vTile = fn.getWorkgroupAttributions()[1];
  Value qRow = fn.getPrivateAttributions()[0];
  Value accRow = fn.getPrivateAttributions()[1];
  Value sRow = fn.getPrivateAttributions()[2];
  auto f32c = [&](float v) { return m.f32(v); };
  auto toF32 = [&](Value x) { return m.toF32(x); };
  auto forLoop = [&](Value lo, Value hi, Value step, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> fn2) {
    return m.loop(lo, hi, step, init, fn2);
  };

  KernelQueryBlock block = kernelQueryBlock(m, op, bufs, blockQ);
  const QueryBlock &qb = block.qb;
  Value hi = qb.hi, bi = qb.bi, kvh = block.kvHead, Lq = block.Lq;
  Value tx = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value row = m.add(qb.q0, tx);
  Value valid = m.lt(row, Lq);
  Value rowAt = m.min(row, m.sub(Lq, m.c(1))); // in bounds for loads
  Value lo, hiKey;
  std::tie(lo, hiKey) = keyRange(m, op, bufs, qb);
  QueryBlockFacts facts = queryBlockFacts(m, bufs, qb);

  // This thread's query row, pre-scaled, and a zero output row.
  Value scale = f32c(static_cast<float>(op.getScaleOrDefault()));
  forLoop(m.c(0), m.c(D), m.c(1), {}, [&](Value d, ValueRange) {
    Value x = memref::LoadOp::create(b, loc, bufs.q,
                                     storedIndex(layout, bi, hi, rowAt, d));
    memref::StoreOp::create(
        b, loc, arith::MulFOp::create(b, loc, toF32(x), scale), qRow, d);
    return SmallVector<Value>{};
  });
  if (RotaryAttr r = op.getRotaryAttr()) {
    // Query rowAt sits at Lk - Lq + rowAt.
    Value pos = m.add(m.sub(m.dim(bufs.k, storedDim(layout, 2)), Lq), rowAt);
    forLoop(m.c(0), m.c(r.getDim() / 2), m.c(1), {}, [&](Value f, ValueRange) {
      rotatePiece(
          b, loc, r, f, /*count=*/1,
          [&](Value d0, int64_t n) {
            SmallVector<Value> x;
            for (int64_t k = 0; k < n; ++k)
              x.push_back(
                  memref::LoadOp::create(b, loc, qRow, m.add(d0, m.c(k))));
            return x;
          },
          [&](Value d0, ArrayRef<Value> x) {
            for (auto [k, y] : llvm::enumerate(x))
              memref::StoreOp::create(b, loc, y, qRow,
                                      m.add(d0, m.c(static_cast<int64_t>(k))));
          },
          [&](int64_t) {
            return rotaryCosSinGPU(b, loc, pos, rotaryFrequency(b, loc, r, f));
          });
      return SmallVector<Value>{};
    });
  }
  forLoop(m.c(0), m.c(Dv), m.c(1), {}, [&](Value d, ValueRange) {
    memref::StoreOp::create(b, loc, f32c(0.0f), accRow, d);
    return SmallVector<Value>{};
  });

  Value nthreads = m.c(blockQ);
  auto kvLoop = forLoop(
      lo, hiKey, m.c(blockKV), {f32c(-kInf), f32c(0.0f)},
      [&](Value k0, ValueRange state) -> SmallVector<Value> {
        Value kn = m.min(m.c(blockKV), m.sub(hiKey, k0));
        Value visit = keyBlockFacts(m, op, bufs, qb, facts, k0, kn).first;
        auto ifVisit = scf::IfOp::create(b, loc, TypeRange{f32, f32}, visit,
                                         /*withElse=*/true);
        {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPointToStart(ifVisit.elseBlock());
          scf::YieldOp::create(b, loc, state);
          b.setInsertionPointToStart(ifVisit.thenBlock());
          // Stage the key and value block in shared memory, all threads.
          auto stage = [&](Value tile, Value src, int64_t width) {
            forLoop(tx, m.mul(kn, m.c(width)), nthreads, {},
                    [&](Value e, ValueRange) {
                      Value j = m.div(e, m.c(width));
                      Value d = b.createOrFold<arith::RemUIOp>(loc, e,
                                                               m.c(width));
                      Value x = memref::LoadOp::create(
                          b, loc, src,
                          storedIndex(layout, bi, kvh, m.add(k0, j), d));
                      memref::StoreOp::create(b, loc, x, tile,
                                              ValueRange{j, d});
                      return SmallVector<Value>{};
                    });
          };
          stage(kTile, bufs.k, D);
          stage(vTile, bufs.v, Dv);
          gpu::BarrierOp::create(b, loc);

          auto ifRow = scf::IfOp::create(b, loc, TypeRange{f32, f32}, valid,
                                         /*withElse=*/true);
          {
            OpBuilder::InsertionGuard g2(b);
            b.setInsertionPointToStart(ifRow.elseBlock());
            scf::YieldOp::create(b, loc, state);
            b.setInsertionPointToStart(ifRow.thenBlock());
            // s_j = scale q . k_j (+ bias), -inf where masked; block max.
            auto scores = forLoop(
                m.c(0), kn, m.c(1), {f32c(-kInf)},
                [&](Value j, ValueRange mx) -> SmallVector<Value> {
                  auto dot = forLoop(
                      m.c(0), m.c(D), m.c(1), {f32c(0.0f)},
                      [&](Value d, ValueRange acc) -> SmallVector<Value> {
                        Value qd = memref::LoadOp::create(b, loc, qRow, d);
                        Value kd = toF32(memref::LoadOp::create(
                            b, loc, kTile, ValueRange{j, d}));
                        return {math::FmaOp::create(b, loc, qd, kd, acc[0])};
                      });
                  Value s = dot[0];
                  Value key = m.add(k0, j);
                  if (bufs.bias)
                    s = arith::AddFOp::create(b, loc, s,
                                              biasAt(m, bufs, qb, row, key));
                  if (hasMask(op))
                    s = arith::SelectOp::create(
                        b, loc, allowedPair(m, op, bufs, qb, row, key), s,
                        f32c(-kInf));
                  memref::StoreOp::create(b, loc, s, sRow, j);
                  return {arith::MaximumFOp::create(b, loc, mx[0], s)};
                });
            // new max; rows with nothing allowed yet subtract 0, not -inf.
            RowRescale rescale = rescaleRow(
                b, loc, state[0], scores[0],
                [&](Value x) { return math::ExpOp::create(b, loc, x); });
            Value mNew = rescale.mNew, mSafe = rescale.mSafe,
                  alpha = rescale.alpha;
            forLoop(m.c(0), m.c(Dv), m.c(1), {}, [&](Value d, ValueRange) {
              Value a = memref::LoadOp::create(b, loc, accRow, d);
              memref::StoreOp::create(
                  b, loc, arith::MulFOp::create(b, loc, a, alpha), accRow, d);
              return SmallVector<Value>{};
            });
            // p_j = exp(s_j - max); acc += p_j v_j; l = l * alpha + sum p_j
            auto sum = forLoop(
                m.c(0), kn, m.c(1),
                {arith::MulFOp::create(b, loc, state[1], alpha)},
                [&](Value j, ValueRange l) -> SmallVector<Value> {
                  Value p = math::ExpOp::create(
                      b, loc,
                      arith::SubFOp::create(
                          b, loc, memref::LoadOp::create(b, loc, sRow, j),
                          mSafe));
                  forLoop(m.c(0), m.c(Dv), m.c(1), {},
                          [&](Value d, ValueRange) {
                            Value vd = toF32(memref::LoadOp::create(
                                b, loc, vTile, ValueRange{j, d}));
                            Value a = memref::LoadOp::create(b, loc, accRow, d);
                            memref::StoreOp::create(
                                b, loc, math::FmaOp::create(b, loc, p, vd, a),
                                accRow, d);
                            return SmallVector<Value>{};
                          });
                  return {arith::AddFOp::create(b, loc, l[0], p)};
                });
            scf::YieldOp::create(b, loc, ValueRange{mNew, sum[0]});
          }
          // Nobody may overwrite the tiles before every row is done.
          gpu::BarrierOp::create(b, loc);
          scf::YieldOp::create(b, loc, ifRow.getResults());
        }
        return SmallVector<Value>(ifVisit.getResults());
      });

  // out = acc / l (0 when no key was allowed), lse = max + log(l) or -inf.
  auto ifValid = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
  b.setInsertionPointToStart(ifValid.thenBlock());
  Value mFinal = kvLoop[0], lFinal = kvLoop[1];
  RowNormalizer rowNorm = normalizeRow(b, loc, lFinal);
  Value inv = rowNorm.inv;
  Type outElem = cast<MemRefType>(out.getType()).getElementType();
  forLoop(m.c(0), m.c(Dv), m.c(1), {}, [&](Value d, ValueRange) {
    Value x = arith::MulFOp::create(
        b, loc, memref::LoadOp::create(b, loc, accRow, d), inv);
    if (outElem != f32)
      x = arith::TruncFOp::create(b, loc, outElem, x);
    memref::StoreOp::create(b, loc, x, out,
                            storedIndex(layout, bi, hi, row, d));
    return SmallVector<Value>{};
  });
  if (lse) {
    memref::StoreOp::create(b, loc,
                            rowLogSumExp(b, loc, mFinal, lFinal, rowNorm.empty,
                                         /*exp2Domain=*/false),
                            lse, ValueRange{bi, hi, row});
  }
  b.setInsertionPointAfter(ifValid);
  gpu::ReturnOp::create(b, loc);
}

/// Linear attention: one thread block per (head, batch), one thread per
/// output column y. Each thread keeps its column of the state S[:, y] (f32,
/// private); z and the current row's phi live in shared memory, computed
/// cooperatively. Keys are folded one by one (all of them first, or, when
/// causal, as the query index advances), so the cost is linear in L.
struct LinearKernelBuilder {
  LinearAttentionOp op;

  LogicalResult run(gpu::GPUModuleOp kernels, int index);
};

LogicalResult LinearKernelBuilder::run(gpu::GPUModuleOp kernels, int index) {
  Location loc = op.getLoc();
  OpBuilder b(op);
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();
  const AttentionDims dims = op.getDims();
  const int64_t D = dims.headDim, Dv = dims.valueDim,
                M = op.getNumFeatures();
  const FeatureMap map = op.getFeatureMap();
  const bool causal = op.getCausal();
  const float c = static_cast<float>(std::pow(double(D), -0.25));
  const float epsK = static_cast<float>(op.getKernelEpsOrDefault());
  const float eps = static_cast<float>(op.getEpsOrDefault());

  LinearOperands ops = bufferizeLinear(b, op);
  Value p = ops.projection;
  SmallVector<Value> params = {ops.q, ops.k, ops.v};
  if (p)
    params.push_back(p);
  params.push_back(ops.outParam);

  std::string name = kernelName(op, "linear", index);
  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  Type f32 = b.getF32Type();
  auto wg = gpu::AddressSpaceAttr::get(b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  auto priv = gpu::AddressSpaceAttr::get(b.getContext(),
                                         gpu::AddressSpace::Private);
  // Sizes rounded up to 4 floats: NVPTX may combine neighbouring loads into
  // 16-byte vector accesses, so every array must start 16-byte aligned
  // (an odd m left the next array misaligned on an H100).
  auto padded = [](int64_t n) { return (n + 3) / 4 * 4; };
  auto shared = [&](int64_t n) {
    return MemRefType::get({padded(n)}, f32, AffineMap(), wg);
  };
  // phi, z, one row, a reduction slot per thread, softmax key statistics.
  SmallVector<Type> workgroup = {shared(M), shared(M), shared(D), shared(Dv),
                                 shared(D), shared(D)};
  SmallVector<Type> privates = {
      MemRefType::get({padded(M)}, f32, AffineMap(), priv)};
  auto fn = gpu::GPUFuncOp::create(
      kb, loc, name, kb.getFunctionType(ValueRange(params).getTypes(), {}),
      workgroup, privates);
  fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  fn.setKnownBlockSizeAttr(
      kb.getDenseI32ArrayAttr({static_cast<int32_t>(Dv), 1, 1}));

  Block &entry = fn.getBody().front();
  Value kq = entry.getArgument(0), kk = entry.getArgument(1),
        kv = entry.getArgument(2);
  Value kp = p ? entry.getArgument(3) : Value();
  Value kout = entry.getArgument(p ? 4 : 3);
  auto wgs = fn.getWorkgroupAttributions();
  Value phiS = wgs[0], zS = wgs[1], xS = wgs[2], redS = wgs[3],
        colMax = wgs[4], colSum = wgs[5];
  Value scol = fn.getPrivateAttributions()[0];

  OpBuilder bb = OpBuilder::atBlockBegin(&entry);
  OpBuilder &g = bb;
  IndexMath km{g, loc};
  auto cst = [&](float x) { return km.f32(x); };
  auto toF32 = [&](Value x) { return km.toF32(x); };
  auto loop = [&](Value lo, Value hi, Value step, ValueRange init,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return km.loop(lo, hi, step, init, body);
  };
  auto ld = [&](Value buf, ValueRange at) -> Value {
    return memref::LoadOp::create(g, loc, buf, at);
  };
  auto st = [&](Value x, Value buf, ValueRange at) {
    memref::StoreOp::create(g, loc, x, buf, at);
  };
  auto barrier = [&] { gpu::BarrierOp::create(g, loc); };

  Value hi = gpu::BlockIdOp::create(g, loc, gpu::Dimension::y);
  Value bi = gpu::BlockIdOp::create(g, loc, gpu::Dimension::z);
  Value tid = gpu::ThreadIdOp::create(g, loc, gpu::Dimension::x);
  Value T = km.c(Dv);
  Value Hqk = km.dim(kq, storedDim(layout, 1)),
        Hkv = km.dim(kk, storedDim(layout, 1));
  Value Lq = km.dim(kq, storedDim(layout, 2)),
        Lk = km.dim(kk, storedDim(layout, 2));
  Value kvh = km.div(hi, km.div(Hqk, Hkv));
  Value off = km.sub(Lk, Lq);
  auto at = [&](Value head, Value s, Value d) {
    return storedIndex(layout, bi, head, s, d);
  };
  // Threads stride over [0, n).
  auto strided = [&](int64_t n, function_ref<void(Value)> body) {
    loop(tid, km.c(n), T, {}, [&](Value f, ValueRange) {
      body(f);
      return SmallVector<Value>{};
    });
  };
  auto loadRowShared = [&](Value x, Value head, Value s) {
    strided(D, [&](Value d) { st(toF32(ld(x, at(head, s, d))), xS, d); });
    barrier();
  };
  /// c * row . P[f] (or c * row[f]) from the shared row.
  auto projected = [&](Value f) -> Value {
    if (!kp)
      return arith::MulFOp::create(g, loc, cst(c), ld(xS, f));
    Value dot = loop(km.c(0), km.c(D), km.c(1), {cst(0.0f)},
                     [&](Value t, ValueRange acc) -> SmallVector<Value> {
                       return {math::FmaOp::create(g, loc, ld(xS, t),
                                                   toF32(ld(kp, {f, t})),
                                                   acc[0])};
                     })[0];
    return arith::MulFOp::create(g, loc, cst(c), dot);
  };
  /// Max over the block of every thread's `partial`.
  auto blockMax = [&](Value partial) -> Value {
    st(partial, redS, tid);
    barrier();
    Value mx = loop(km.c(0), T, km.c(1), {cst(-kInf)},
                    [&](Value t, ValueRange acc) -> SmallVector<Value> {
                      return {arith::MaximumFOp::create(g, loc, acc[0],
                                                        ld(redS, t))};
                    })[0];
    barrier();
    return mx;
  };

  // Zero the state.
  loop(km.c(0), km.c(M), km.c(1), {}, [&](Value f, ValueRange) {
    st(cst(0.0f), scol, f);
    return SmallVector<Value>{};
  });
  strided(M, [&](Value f) { st(cst(0.0f), zS, f); });
  barrier();

  // Key statistics that need every key first.
  Value keyStab;
  if (map == FeatureMap::favor_plus) {
    Value partial = loop(km.c(0), Lk, km.c(1), {cst(-kInf)},
                         [&](Value j, ValueRange acc) -> SmallVector<Value> {
                           loadRowShared(kk, kvh, j);
                           Value mx = loop(tid, km.c(M), T, {acc[0]},
                                           [&](Value f, ValueRange a)
                                               -> SmallVector<Value> {
                                             return {arith::MaximumFOp::create(
                                                 g, loc, a[0], projected(f))};
                                           })[0];
                           barrier();
                           return {mx};
                         })[0];
    keyStab = blockMax(partial);
  }
  bool keySoftmax = map == FeatureMap::softmax && !causal;
  if (keySoftmax) {
    strided(D, [&](Value d) {
      Value mx = loop(km.c(0), Lk, km.c(1), {cst(-kInf)},
                      [&](Value j, ValueRange a) -> SmallVector<Value> {
                        return {arith::MaximumFOp::create(
                            g, loc, a[0], toF32(ld(kk, at(kvh, j, d))))};
                      })[0];
      Value sum = loop(km.c(0), Lk, km.c(1), {cst(0.0f)},
                       [&](Value j, ValueRange a) -> SmallVector<Value> {
                         Value e = math::ExpOp::create(
                             g, loc,
                             arith::SubFOp::create(
                                 g, loc, toF32(ld(kk, at(kvh, j, d))), mx));
                         return {arith::AddFOp::create(g, loc, a[0], e)};
                       })[0];
      st(mx, colMax, d);
      st(sum, colSum, d);
    });
    barrier();
  }

  // phiS = phi(the shared row), all threads.
  auto phiRow = [&](bool isQuery) {
    switch (map) {
    case FeatureMap::elu_plus_one:
      strided(M, [&](Value f) {
        Value x = ld(xS, f);
        Value pos = arith::CmpFOp::create(g, loc, arith::CmpFPredicate::OGT, x,
                                          cst(0.0f));
        st(arith::SelectOp::create(g, loc, pos,
                                   arith::AddFOp::create(g, loc, x, cst(1.0f)),
                                   math::ExpOp::create(g, loc, x)),
           phiS, f);
      });
      break;
    case FeatureMap::relu:
      strided(M, [&](Value f) {
        Value x = arith::MaximumFOp::create(g, loc, projected(f), cst(0.0f));
        st(arith::AddFOp::create(g, loc, x, cst(epsK)), phiS, f);
      });
      break;
    case FeatureMap::favor_plus: {
      Value sq = loop(km.c(0), km.c(D), km.c(1), {cst(0.0f)},
                      [&](Value t, ValueRange a) -> SmallVector<Value> {
                        Value x = ld(xS, t);
                        return {math::FmaOp::create(g, loc, x, x, a[0])};
                      })[0];
      Value diag = arith::MulFOp::create(g, loc, cst(c * c / 2.0f), sq);
      Value stab = keyStab;
      if (isQuery) {
        Value partial = loop(tid, km.c(M), T, {cst(-kInf)},
                             [&](Value f, ValueRange a) -> SmallVector<Value> {
                               return {arith::MaximumFOp::create(
                                   g, loc, a[0], projected(f))};
                             })[0];
        stab = blockMax(partial);
      }
      Value shift = arith::AddFOp::create(g, loc, diag, stab);
      float norm = 1.0f / std::sqrt(static_cast<float>(M));
      strided(M, [&](Value f) {
        Value e = math::ExpOp::create(
            g, loc, arith::SubFOp::create(g, loc, projected(f), shift));
        st(arith::MulFOp::create(g, loc, cst(norm),
                                 arith::AddFOp::create(g, loc, e, cst(epsK))),
           phiS, f);
      });
      break;
    }
    case FeatureMap::softmax:
      if (isQuery) {
        Value mx = loop(km.c(0), km.c(D), km.c(1), {cst(-kInf)},
                        [&](Value t, ValueRange a) -> SmallVector<Value> {
                          return {arith::MaximumFOp::create(g, loc, a[0],
                                                            ld(xS, t))};
                        })[0];
        Value sum = loop(km.c(0), km.c(D), km.c(1), {cst(0.0f)},
                         [&](Value t, ValueRange a) -> SmallVector<Value> {
                           Value e = math::ExpOp::create(
                               g, loc, arith::SubFOp::create(g, loc,
                                                             ld(xS, t), mx));
                           return {arith::AddFOp::create(g, loc, a[0], e)};
                         })[0];
        strided(M, [&](Value f) {
          Value e = math::ExpOp::create(
              g, loc, arith::SubFOp::create(g, loc, ld(xS, f), mx));
          st(arith::DivFOp::create(g, loc, e, sum), phiS, f);
        });
      } else if (keySoftmax) {
        strided(M, [&](Value f) {
          Value e = math::ExpOp::create(
              g, loc,
              arith::SubFOp::create(g, loc, ld(xS, f), ld(colMax, f)));
          st(arith::DivFOp::create(g, loc, e, ld(colSum, f)), phiS, f);
        });
      } else {
        strided(M, [&](Value f) {
          st(math::ExpOp::create(g, loc, ld(xS, f)), phiS, f);
        });
      }
      break;
    }
    barrier();
  };

  // Fold key j: S[:, y] += phi(k_j) v_j[y], z += phi(k_j).
  auto addKeys = [&](Value lo, Value hiKey) {
    loop(lo, hiKey, km.c(1), {}, [&](Value j, ValueRange) {
      loadRowShared(kk, kvh, j);
      phiRow(false);
      Value vy = toF32(ld(kv, at(kvh, j, tid)));
      loop(km.c(0), km.c(M), km.c(1), {}, [&](Value f, ValueRange) {
        st(math::FmaOp::create(g, loc, ld(phiS, f), vy, ld(scol, f)), scol, f);
        return SmallVector<Value>{};
      });
      strided(M, [&](Value f) {
        st(arith::AddFOp::create(g, loc, ld(zS, f), ld(phiS, f)), zS, f);
      });
      barrier();
      return SmallVector<Value>{};
    });
  };
  if (!causal)
    addKeys(km.c(0), Lk);

  loop(km.c(0), Lq, km.c(1), {km.c(0)},
       [&](Value i, ValueRange added) -> SmallVector<Value> {
         Value next = added[0];
         if (causal) {
           next = km.max(added[0],
                         km.min(Lk, km.add(km.add(i, off), km.c(1))));
           addKeys(added[0], next);
         }
         loadRowShared(kq, hi, i);
         phiRow(true);
         Value den = loop(km.c(0), km.c(M), km.c(1), {cst(eps)},
                          [&](Value f, ValueRange a) -> SmallVector<Value> {
                            return {math::FmaOp::create(g, loc, ld(phiS, f),
                                                        ld(zS, f), a[0])};
                          })[0];
         Value num = loop(km.c(0), km.c(M), km.c(1), {cst(0.0f)},
                          [&](Value f, ValueRange a) -> SmallVector<Value> {
                            return {math::FmaOp::create(g, loc, ld(phiS, f),
                                                        ld(scol, f), a[0])};
                          })[0];
         // No visible key and eps = 0 would be 0/0: the row is 0.
         Value zero = arith::CmpFOp::create(g, loc, arith::CmpFPredicate::OEQ,
                                            den, cst(0.0f));
         Value o = arith::SelectOp::create(
             g, loc, zero, cst(0.0f), arith::DivFOp::create(g, loc, num, den));
         Type outElem = cast<MemRefType>(kout.getType()).getElementType();
         if (outElem != f32)
           o = arith::TruncFOp::create(g, loc, outElem, o);
         st(o, kout, at(hi, i, tid));
         barrier(); // before the next row overwrites the shared row and phi
         return {next};
       });
  gpu::ReturnOp::create(g, loc);

  // Launch: (1, Hq, B) blocks of Dv threads.
  gpu::LaunchFuncOp::create(b, loc, fn,
                            gpu::KernelDim3{m.c(1), ops.heads, ops.batch},
                            gpu::KernelDim3{m.c(Dv), m.c(1), m.c(1)}, Value(),
                            params);
  replaceWithBuffers(b, op, ops.out);
  return success();
}

struct AttnToGPU : ::attn::impl::AttnToGPUBase<AttnToGPU> {
  using Base::Base;

  void runOnOperation() override {
    // block-q is the thread count of the CUDA-core kernel's blocks.
    if (blockQ <= 0 || blockQ > kMaxThreads || blockKV <= 0 ||
        blockKV > kMaxBlockKV) {
      getOperation()->emitError()
          << "attn-to-gpu: block-q must be in [1, " << kMaxThreads
          << "] (threads per block) and block-kv in [1, " << kMaxBlockKV
          << "], got block-q = " << static_cast<int64_t>(blockQ)
          << " and block-kv = " << static_cast<int64_t>(blockKV);
      return signalPassFailure();
    }
    if ((linearChunk != 0 &&
         (linearChunk < 16 || linearChunk > 128 || linearChunk % 16)) ||
        linearValueTile < 8) {
      getOperation()->emitError()
          << "attn-to-gpu: linear-chunk must be 0 (chosen per op) or one of "
             "16, 32, ..., 128 and "
             "linear-value-tile at least 8, got linear-chunk = "
          << static_cast<int64_t>(linearChunk)
          << " and linear-value-tile = "
          << static_cast<int64_t>(linearValueTile);
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    SmallVector<AttentionOp> ops;
    module.walk([&](AttentionOp op) { ops.push_back(op); });
    SmallVector<LinearAttentionOp> linearOps;
    module.walk([&](LinearAttentionOp op) { linearOps.push_back(op); });
    if (ops.empty() && linearOps.empty())
      return;
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    auto kernels = dyn_cast_or_null<gpu::GPUModuleOp>(
        SymbolTable::lookupSymbolIn(module, "attn_kernels"));
    if (!kernels) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      kernels = gpu::GPUModuleOp::create(b, module.getLoc(), "attn_kernels");
    }
    for (auto [i, op] : llvm::enumerate(ops)) {
      std::string why = hopper ? hopperAttentionUnsupported(op) : "";
      bool onHopper = hopper && why.empty();
      // f32 keeps the exact kernel by design; a 16-bit spec that misses the
      // tensor-core kernel is told so, with the reason.
      Type elem = op.getQuery().getType().getElementType();
      if (hopper && !onHopper && (elem.isF16() || elem.isBF16()))
        op.emitRemark() << "runs on the CUDA-core kernel, not the sm_90a "
                           "tensor-core kernel: "
                        << why;
      if (failed(onHopper ? buildHopperAttentionKernel(op, kernels, i,
                                                       hopperStages,
                                                       hopperSetMaxNReg)
                          : KernelBuilder{op, blockQ, blockKV}.run(kernels, i)))
        return signalPassFailure();
    }
    ChunkedLinearOptions chunked{linearChunk, linearValueTile, linearPrefetch};
    for (auto [i, op] : llvm::enumerate(linearOps)) {
      ChunkedLinearOptions forOp = resolvedLinearOptions(op, chunked);
      std::string why = tensorCores ? chunkedLinearUnsupported(op, forOp) : "";
      bool onTensorCores = tensorCores && why.empty();
      if (tensorCores && !onTensorCores)
        op.emitRemark() << "runs on the exact CUDA-core kernel, not the "
                           "tensor-core chunked kernel: "
                        << why;
      if (failed(onTensorCores
                     ? buildChunkedLinearKernel(op, kernels, i, forOp)
                     : LinearKernelBuilder{op}.run(kernels, i)))
        return signalPassFailure();
    }
  }
};

} // namespace
