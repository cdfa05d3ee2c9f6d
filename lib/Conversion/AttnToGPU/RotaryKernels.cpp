//===- RotaryKernels.cpp - rotary embeddings before a GPU attention -------===//
//
// The GPU half of #attn.rotary; the math (frequencies, the reduced angle,
// pair columns, the turn) is RotaryMath's, shared with the CPU tiler. One
// launch precedes the attention kernel: K turned into a scratch copy with
// K's stored shape and layout, so the attention kernel's indexing and
// tensor maps take it in K's place. Keys are turned once per call, not once
// per query block that reads them. Each thread takes one piece of a row:
// up to 8 consecutive columns (16 bytes) of a pair's halves, or of the
// columns past `dim`, which are copied; consecutive threads take
// consecutive pieces. cos and sin are computed in place (one MUFU op
// each); the frequencies, one f64 exp per pair, once per block into shared
// memory.
//
// The attention kernels turn the queries themselves as they load them.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"

#include "Attn/Transforms/RotaryMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <numeric>

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr int64_t kThreads = 256;
} // namespace

std::pair<Value, Value> mlir::attn::rotaryCosSinGPU(
    OpBuilder &b, Location loc, Value pos, std::pair<Value, Value> omega) {
  return rotaryCosSin(
      b, loc, pos, omega, [&](Value x) { return fastCos(b, loc, x); },
      [&](Value x) { return fastSin(b, loc, x); });
}

GPURotary mlir::attn::launchRotaryKeys(OpBuilder &b, AttentionOp op,
                                       const AttentionBuffers &bufs,
                                       gpu::GPUModuleOp kernels,
                                       StringRef name, bool rows16) {
  Location loc = op.getLoc();
  IndexMath m{b, loc};
  RotaryAttr r = op.getRotaryAttr();
  const Layout layout = op.getLayout();
  const bool split = r.getStyle() == RotaryStyle::half_split;
  const int64_t dim = r.getDim(), half = dim / 2, D = op.getDims().headDim;
  auto kType = cast<MemRefType>(bufs.k.getType());
  Type elem = kType.getElementType();
  const int64_t elemBytes = elem.getIntOrFloatBitWidth() / 8;
  // Pieces: P pairs (split: P columns of each half; interleaved: 2 P
  // adjacent columns) and C copied columns, each at most 16 bytes and
  // aligned to its size within the row.
  const int64_t lanes = rows16 ? 16 / elemBytes : 1;
  const int64_t P = split ? std::gcd(half, lanes)
                          : std::max<int64_t>(std::gcd(dim, lanes) / 2, 1);
  const int64_t C = std::gcd(std::gcd(dim, D - dim), lanes);
  const int64_t turnItems = half / P, items = turnItems + (D - dim) / C;
  auto align = [&](int64_t n) {
    return llvm::MaybeAlign(rows16 ? n * elemBytes : elemBytes);
  };

  GPURotary out;
  SmallVector<Value> kSizes;
  for (int64_t i = 0; i < 4; ++i)
    if (kType.isDynamicDim(i))
      kSizes.push_back(m.dim(bufs.k, i));
  out.scratch = gpu::AllocOp::create(
                    b, loc, MemRefType::get(kType.getShape(), elem), Type(),
                    ValueRange{}, kSizes, ValueRange{}, /*hostShared=*/false)
                    .getMemref();
  out.keys = memref::CastOp::create(b, loc, kType, out.scratch);
  Value src = bufs.k;
  if (rows16) // the runtime checks it at each launch
    src = memref::AssumeAlignmentOp::create(b, loc, src,
                                            b.getI32IntegerAttr(16));

  // The kernel: (piece, KV head, batch) per thread.
  SmallVector<Value> params = {src, out.scratch};
  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  auto wg = gpu::AddressSpaceAttr::get(b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  auto freqType = MemRefType::get({half, 2}, b.getF32Type(), AffineMap(), wg);
  auto fn = gpu::GPUFuncOp::create(
      kb, loc, (name + "_rotary_keys").str(),
      kb.getFunctionType(ValueRange(params).getTypes(), {}),
      TypeRange{freqType}, TypeRange{});
  fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  fn.setKnownBlockSizeAttr(
      kb.getDenseI32ArrayAttr({static_cast<int32_t>(kThreads), 1, 1}));
  Block &entry = fn.getBody().front();
  Value k = entry.getArgument(0), dst = entry.getArgument(1);
  Value freq = fn.getWorkgroupAttributions()[0];
  kb.setInsertionPointToStart(&entry);
  IndexMath km{kb, loc};
  Value tid = gpu::ThreadIdOp::create(kb, loc, gpu::Dimension::x);
  // The frequencies of every pair, once per block.
  km.loop(tid, km.c(half), km.c(kThreads), {}, [&](Value f, ValueRange) {
    auto [hi, lo] = rotaryFrequency(kb, loc, r, f);
    memref::StoreOp::create(kb, loc, hi, freq, ValueRange{f, km.c(0)});
    memref::StoreOp::create(kb, loc, lo, freq, ValueRange{f, km.c(1)});
    return SmallVector<Value>{};
  });
  gpu::BarrierOp::create(kb, loc);
  Value e = km.add(
      km.mul(gpu::BlockIdOp::create(kb, loc, gpu::Dimension::x),
             km.c(kThreads)),
      tid);
  Value j = km.div(e, km.c(items));
  Value item = kb.createOrFold<arith::RemUIOp>(loc, e, km.c(items));
  Value head = gpu::BlockIdOp::create(kb, loc, gpu::Dimension::y);
  Value batch = gpu::BlockIdOp::create(kb, loc, gpu::Dimension::z);
  Value Lk = km.dim(k, storedDim(layout, 2));
  auto inRange = scf::IfOp::create(kb, loc, km.lt(j, Lk), false);
  kb.setInsertionPointToStart(inRange.thenBlock());
  auto at = [&](Value d) { return storedIndex(layout, batch, head, j, d); };
  auto load = [&](Value d0, int64_t n) {
    Value v = vector::LoadOp::create(kb, loc, VectorType::get({n}, elem), k,
                                     at(d0), /*nontemporal=*/false, align(n));
    SmallVector<Value> x;
    for (int64_t i = 0; i < n; ++i)
      x.push_back(km.toF32(vector::ExtractOp::create(kb, loc, v, i)));
    return x;
  };
  auto store = [&](Value d0, ArrayRef<Value> x) {
    Value v = vector::FromElementsOp::create(
        kb, loc, VectorType::get({static_cast<int64_t>(x.size())},
                                 kb.getF32Type()),
        x);
    if (!elem.isF32())
      v = arith::TruncFOp::create(
          kb, loc, VectorType::get({static_cast<int64_t>(x.size())}, elem), v);
    vector::StoreOp::create(kb, loc, v, dst, at(d0), /*nontemporal=*/false,
                            align(x.size()));
  };
  auto turn = scf::IfOp::create(kb, loc, km.lt(item, km.c(turnItems)),
                                /*withElse=*/true);
  kb.setInsertionPointToStart(turn.thenBlock());
  // Pairs f0 .. f0 + P - 1 of key j (position j).
  Value f0 = km.mul(item, km.c(P));
  rotatePiece(kb, loc, r, f0, P, load, store, [&](int64_t p) {
    Value f = km.add(f0, km.c(p));
    Value hi = memref::LoadOp::create(kb, loc, freq, ValueRange{f, km.c(0)});
    Value lo = memref::LoadOp::create(kb, loc, freq, ValueRange{f, km.c(1)});
    return rotaryCosSinGPU(kb, loc, j, {hi, lo});
  });
  kb.setInsertionPointToStart(turn.elseBlock());
  if (C > 0 && D > dim) {
    Value d0 = km.add(km.c(dim), km.mul(km.sub(item, km.c(turnItems)),
                                        km.c(C)));
    store(d0, load(d0, C));
  }
  kb.setInsertionPointToEnd(&entry);
  gpu::ReturnOp::create(kb, loc);

  // Launch: enough blocks for every piece of every key row.
  Value Hkv = m.dim(bufs.k, storedDim(layout, 1));
  gpu::LaunchFuncOp::create(
      b, loc, fn,
      gpu::KernelDim3{
          m.ceilDiv(m.mul(m.dim(bufs.k, storedDim(layout, 2)), m.c(items)),
                    m.c(kThreads)),
          Hkv, m.dim(bufs.k, 0)},
      gpu::KernelDim3{m.c(kThreads), m.c(1), m.c(1)}, Value(), params);
  return out;
}
