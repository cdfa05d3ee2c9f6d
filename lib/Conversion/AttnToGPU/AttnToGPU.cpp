//===- AttnToGPU.cpp - attn.attention to a GPU kernel ---------------------===//
//
// The GPU counterpart of attn-tile: one thread block per (q-block, head,
// batch), one query row per thread. Keys and values of a block are staged in
// shared memory by all threads; every thread then scores its row against
// them and folds the block into its running max, sum and output row (online
// softmax, fp32). Key ranges, block skipping and the per-pair mask and bias
// come from MaskLogic, shared with the CPU tiler, so both targets agree on
// every mask kind. Correctness first: no tensor cores yet.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion.h"

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/MaskLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

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

/// The stored index of logical dim (0 B, 1 H, 2 S, 3 D) in `layout`.
int64_t storedDim(Layout layout, int64_t logical) {
  if (layout == Layout::bshd && (logical == 1 || logical == 2))
    return 3 - logical;
  return logical;
}

/// Indices of logical (b, h, s, d) in `layout`.
SmallVector<Value> storedIndex(Layout layout, Value b, Value h, Value s,
                               Value d) {
  if (layout == Layout::bshd)
    return {b, s, h, d};
  return {b, h, s, d};
}

/// memref type with dynamic offset and strides but a unit innermost stride.
MemRefType unitInnerStrided(MemRefType t) {
  SmallVector<int64_t> strides(t.getRank(), ShapedType::kDynamic);
  strides.back() = 1;
  return MemRefType::get(
      t.getShape(), t.getElementType(),
      StridedLayoutAttr::get(t.getContext(), ShapedType::kDynamic, strides));
}

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
  OpBuilder b(op);
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();

  // Host side: operands as buffers, results in fresh buffers.
  AttentionBuffers bufs = bufferizeOperands(b, loc, op);
  Value B = m.dim(bufs.q, 0), Hq = m.dim(bufs.q, storedDim(layout, 1)),
        Lq = m.dim(bufs.q, storedDim(layout, 2));
  auto alloc = [&](RankedTensorType t, ValueRange sizes) -> Value {
    auto type = MemRefType::get(t.getShape(), t.getElementType());
    Value buf = memref::AllocOp::create(b, loc, type, sizes);
    return buf;
  };
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<Value> outSizes;
  for (int64_t i = 0; i < 4; ++i)
    if (outType.isDynamicDim(i))
      outSizes.push_back(m.dim(bufs.q, i)); // O shares Q's stored B, H, L
  Value outAlloc = alloc(outType, outSizes);
  Value lseAlloc;
  if (op.getLse()) {
    auto t = op.getLse().getType();
    SmallVector<Value> sizes;
    Value logical[3] = {B, Hq, Lq};
    for (int64_t i = 0; i < 3; ++i)
      if (t.isDynamicDim(i))
        sizes.push_back(logical[i]);
    lseAlloc = alloc(t, sizes);
  }
  auto asParam = [&](Value buf) -> Value {
    auto t = cast<MemRefType>(buf.getType());
    return memref::CastOp::create(b, loc, unitInnerStrided(t), buf);
  };

  SmallVector<Value> params = {bufs.q, bufs.k, bufs.v};
  for (Value opt : {bufs.bias, bufs.mask, bufs.lens, bufs.docQ, bufs.docK,
                    bufs.global})
    if (opt)
      params.push_back(opt);
  params.push_back(asParam(outAlloc));
  if (lseAlloc)
    params.push_back(asParam(lseAlloc));

  // The kernel.
  std::string name =
      (op->getParentOfType<func::FuncOp>().getSymName() + "_attention_" +
       std::to_string(index))
          .str();
  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  Type elem = op.getQuery().getType().getElementType();
  const AttentionDims dims = op.getDims();
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
  unsigned next = 0;
  kbufs.q = entry.getArgument(next++);
  kbufs.k = entry.getArgument(next++);
  kbufs.v = entry.getArgument(next++);
  auto take = [&](Value present) -> Value {
    return present ? entry.getArgument(next++) : Value();
  };
  kbufs.bias = take(bufs.bias);
  kbufs.mask = take(bufs.mask);
  kbufs.lens = take(bufs.lens);
  kbufs.docQ = take(bufs.docQ);
  kbufs.docK = take(bufs.docK);
  kbufs.global = take(bufs.global);
  Value kOut = entry.getArgument(next++);
  Value kLse = lseAlloc ? entry.getArgument(next++) : Value();
  OpBuilder body = OpBuilder::atBlockBegin(&entry);
  buildBody(body, fn, kbufs, kOut, kLse);

  // Launch: (q-blocks, Hq, B) blocks of blockQ threads.
  Value numQBlocks = m.ceilDiv(Lq, m.c(blockQ));
  gpu::LaunchFuncOp::create(
      b, loc, fn, gpu::KernelDim3{numQBlocks, Hq, B},
      gpu::KernelDim3{m.c(blockQ), m.c(1), m.c(1)}, Value(), params);
  replaceWithBuffers(b, op, outAlloc, lseAlloc);
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
  auto f32c = [&](float v) -> Value {
    return arith::ConstantFloatOp::create(b, loc, cast<FloatType>(f32),
                                          APFloat(v));
  };
  auto toF32 = [&](Value x) -> Value {
    return x.getType() == f32 ? x : arith::ExtFOp::create(b, loc, f32, x);
  };
  auto forLoop = [&](Value lo, Value hi, Value step, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> fn2) {
    return scf::ForOp::create(
        b, loc, lo, hi, step, init,
        [&](OpBuilder &, Location, Value iv, ValueRange args) {
          scf::YieldOp::create(b, loc, fn2(iv, args));
        });
  };

  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value hi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  Value bi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  Value tx = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value Hq = m.dim(bufs.q, storedDim(layout, 1));
  Value Hkv = m.dim(bufs.k, storedDim(layout, 1));
  Value Lq = m.dim(bufs.q, storedDim(layout, 2));
  Value Lk = m.dim(bufs.k, storedDim(layout, 2));
  Value q0 = m.mul(bx, m.c(blockQ));
  Value qn = m.min(m.c(blockQ), m.sub(Lq, q0));
  Value row = m.add(q0, tx);
  Value valid = m.lt(row, Lq);
  Value rowAt = m.min(row, m.sub(Lq, m.c(1))); // in bounds for loads
  Value kvh = m.div(hi, m.div(Hq, Hkv));
  QueryBlock qb{bi, hi, q0, qn, m.sub(Lk, Lq), Lk};
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
                  Value s = dot.getResult(0);
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
            Value mNew =
                arith::MaximumFOp::create(b, loc, state[0], scores.getResult(0));
            Value none = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OEQ, mNew, f32c(-kInf));
            Value mSafe = arith::SelectOp::create(b, loc, none, f32c(0.0f), mNew);
            Value alpha = math::ExpOp::create(
                b, loc, arith::SubFOp::create(b, loc, state[0], mSafe));
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
            scf::YieldOp::create(b, loc, ValueRange{mNew, sum.getResult(0)});
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
  Value mFinal = kvLoop.getResult(0), lFinal = kvLoop.getResult(1);
  Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                      lFinal, f32c(0.0f));
  Value inv = arith::SelectOp::create(
      b, loc, empty, f32c(0.0f),
      arith::DivFOp::create(b, loc, f32c(1.0f), lFinal));
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
    Value value = arith::SelectOp::create(
        b, loc, empty, f32c(-kInf),
        arith::AddFOp::create(b, loc, mFinal,
                              math::LogOp::create(b, loc, lFinal)));
    memref::StoreOp::create(b, loc, value, lse, ValueRange{bi, hi, row});
  }
  b.setInsertionPointAfter(ifValid);
  gpu::ReturnOp::create(b, loc);
}

struct AttnToGPU : ::attn::impl::AttnToGPUBase<AttnToGPU> {
  using Base::Base;

  void runOnOperation() override {
    if (blockQ <= 0 || blockKV <= 0) {
      getOperation()->emitError()
          << "attn-to-gpu: block sizes must be positive, got block-q = "
          << static_cast<int64_t>(blockQ)
          << " and block-kv = " << static_cast<int64_t>(blockKV);
      return signalPassFailure();
    }
    ModuleOp module = getOperation();
    SmallVector<AttentionOp> ops;
    module.walk([&](AttentionOp op) { ops.push_back(op); });
    if (ops.empty())
      return;
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    auto kernels = dyn_cast_or_null<gpu::GPUModuleOp>(
        SymbolTable::lookupSymbolIn(module, "attn_kernels"));
    if (!kernels) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      kernels = gpu::GPUModuleOp::create(b, module.getLoc(), "attn_kernels");
    }
    for (auto [i, op] : llvm::enumerate(ops))
      if (failed(KernelBuilder{op, blockQ, blockKV}.run(kernels, i)))
        return signalPassFailure();
  }
};

} // namespace
