//===- RotaryKernels.cpp - rotary embeddings before a GPU attention -------===//
//
// The GPU half of #attn.rotary; the math (angles, pair columns, the turn)
// is RotaryMath's, shared with the CPU tiler. Two launches precede the
// attention kernel:
//  - tables: cos and sin of every (position, pair), f32 [rows, dim / 2]
//    scratch, one thread per entry. Angles are f64 (libdevice's exp, cos
//    and sin): 4096 positions x 64 pairs cost microseconds.
//  - keys: K turned into a scratch copy with K's stored shape and layout,
//    so the attention kernel's indexing and tensor maps take it in K's
//    place. One thread per pair of a row (columns past `dim` are copied),
//    consecutive threads on consecutive columns. Keys are turned once per
//    call, not once per query block that reads them.
// The attention kernels turn the queries themselves, as they load them,
// from the same tables.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"

#include "Attn/Transforms/RotaryMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kThreads = 256;

/// A kernel `name` at the end of `kernels` taking `params`, with a builder
/// at its entry (before the gpu.return).
std::pair<gpu::GPUFuncOp, OpBuilder>
makeKernel(gpu::GPUModuleOp kernels, Location loc, StringRef name,
           ValueRange params) {
  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  auto fn = gpu::GPUFuncOp::create(
      kb, loc, name, kb.getFunctionType(params.getTypes(), {}));
  fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  fn.setKnownBlockSizeAttr(
      kb.getDenseI32ArrayAttr({static_cast<int32_t>(kThreads), 1, 1}));
  OpBuilder body = OpBuilder::atBlockBegin(&fn.getBody().front());
  gpu::ReturnOp::create(body, loc);
  body.setInsertionPointToStart(&fn.getBody().front());
  return {fn, body};
}

/// This thread's element blockIdx.x * kThreads + threadIdx.x as (row,
/// item) of `items` per row, and whether the row is below `rows`; the
/// body runs only there.
void forElement(OpBuilder &b, Location loc, int64_t items, Value rows,
                function_ref<void(Value row, Value item)> body) {
  IndexMath m{b, loc};
  Value e = m.add(m.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                        m.c(kThreads)),
                  gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  Value row = m.div(e, m.c(items));
  auto inRange = scf::IfOp::create(b, loc, m.lt(row, rows), false);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(inRange.thenBlock());
  body(row, b.createOrFold<arith::RemUIOp>(loc, e, m.c(items)));
}

} // namespace

GPURotary mlir::attn::launchRotaryPrePass(OpBuilder &b, AttentionOp op,
                                          const AttentionBuffers &bufs,
                                          gpu::GPUModuleOp kernels,
                                          StringRef name) {
  Location loc = op.getLoc();
  IndexMath m{b, loc};
  RotaryAttr r = op.getRotaryAttr();
  const Layout layout = op.getLayout();
  const int64_t half = r.getDim() / 2, D = op.getDims().headDim;
  auto lengths = [&](IndexMath &k, Value q, Value key) {
    return std::make_pair(k.dim(q, storedDim(layout, 2)),
                          k.dim(key, storedDim(layout, 2)));
  };
  Value Lq, Lk;
  std::tie(Lq, Lk) = lengths(m, bufs.q, bufs.k);
  Value rows = rotaryTableExtent(b, loc, Lq, Lk).second;
  auto alloc = [&](MemRefType type, ValueRange sizes) -> Value {
    return gpu::AllocOp::create(b, loc, type, Type(), ValueRange{}, sizes,
                                ValueRange{}, /*hostShared=*/false)
        .getMemref();
  };
  GPURotary out;
  auto tableType =
      MemRefType::get({ShapedType::kDynamic, half}, b.getF32Type());
  out.cos = alloc(tableType, {rows});
  out.sin = alloc(tableType, {rows});
  auto kType = cast<MemRefType>(bufs.k.getType());
  SmallVector<Value> kSizes;
  for (int64_t i = 0; i < 4; ++i)
    if (kType.isDynamicDim(i))
      kSizes.push_back(m.dim(bufs.k, i));
  Value keys = alloc(MemRefType::get(kType.getShape(), kType.getElementType()),
                     kSizes);
  out.scratch = {out.cos, out.sin, keys};
  out.keys = memref::CastOp::create(b, loc, kType, keys);

  // Tables: (position row, pair) per thread.
  {
    SmallVector<Value> params = {out.cos, out.sin, bufs.q, bufs.k};
    auto made = makeKernel(kernels, loc, (name + "_rotary_tables").str(),
                           params);
    gpu::GPUFuncOp fn = made.first;
    OpBuilder &kb = made.second;
    Block &entry = fn.getBody().front();
    IndexMath km{kb, loc};
    Value kLq, kLk, first, kRows;
    std::tie(kLq, kLk) =
        lengths(km, entry.getArgument(2), entry.getArgument(3));
    std::tie(first, kRows) = rotaryTableExtent(kb, loc, kLq, kLk);
    forElement(kb, loc, half, kRows, [&](Value row, Value f) {
      auto [c, s] = rotaryEntry(kb, loc, r, km.add(row, first), f);
      memref::StoreOp::create(kb, loc, c, entry.getArgument(0),
                              ValueRange{row, f});
      memref::StoreOp::create(kb, loc, s, entry.getArgument(1),
                              ValueRange{row, f});
    });
    gpu::LaunchFuncOp::create(
        b, loc, fn, gpu::KernelDim3{m.ceilDiv(m.mul(rows, m.c(half)),
                                              m.c(kThreads)),
                                    m.c(1), m.c(1)},
        gpu::KernelDim3{m.c(kThreads), m.c(1), m.c(1)}, Value(), params);
  }

  // Keys: items 0 .. half - 1 turn pair `item` of a row, the rest copy
  // column dim + (item - half).
  {
    const int64_t items = half + (D - r.getDim());
    SmallVector<Value> params = {bufs.k, keys, out.cos, out.sin, bufs.q};
    auto made = makeKernel(kernels, loc, (name + "_rotary_keys").str(),
                           params);
    gpu::GPUFuncOp fn = made.first;
    OpBuilder &kb = made.second;
    Block &entry = fn.getBody().front();
    Value src = entry.getArgument(0), dst = entry.getArgument(1);
    IndexMath km{kb, loc};
    Value kLq, kLk;
    std::tie(kLq, kLk) = lengths(km, entry.getArgument(4), src);
    Value head = gpu::BlockIdOp::create(kb, loc, gpu::Dimension::y);
    Value batch = gpu::BlockIdOp::create(kb, loc, gpu::Dimension::z);
    Type elem = kType.getElementType();
    forElement(kb, loc, items, kLk, [&](Value j, Value item) {
      auto at = [&](Value d) { return storedIndex(layout, batch, head, j, d); };
      auto turn = scf::IfOp::create(kb, loc, km.lt(item, km.c(half)), true);
      OpBuilder::InsertionGuard g(kb);
      kb.setInsertionPointToStart(turn.thenBlock());
      Value d1, d2, y1, y2;
      std::tie(d1, d2) = rotaryPairColumns(kb, loc, r, item);
      Value entryRow = rotaryKeyRow(kb, loc, kLq, kLk, j);
      auto table = [&](unsigned arg) {
        return memref::LoadOp::create(kb, loc, entry.getArgument(arg),
                                      ValueRange{entryRow, item})
            .getResult();
      };
      auto load = [&](Value d) {
        return km.toF32(memref::LoadOp::create(kb, loc, src, at(d)));
      };
      std::tie(y1, y2) =
          rotatePair(kb, loc, load(d1), load(d2), table(2), table(3));
      auto store = [&](Value y, Value d) {
        if (!elem.isF32())
          y = arith::TruncFOp::create(kb, loc, elem, y);
        memref::StoreOp::create(kb, loc, y, dst, at(d));
      };
      store(y1, d1);
      store(y2, d2);
      kb.setInsertionPointToStart(turn.elseBlock());
      Value d = km.add(item, km.c(r.getDim() - half));
      memref::StoreOp::create(
          kb, loc, memref::LoadOp::create(kb, loc, src, at(d)), dst, at(d));
    });
    Value Hkv = m.dim(bufs.k, storedDim(layout, 1));
    gpu::LaunchFuncOp::create(
        b, loc, fn,
        gpu::KernelDim3{m.ceilDiv(m.mul(Lk, m.c(items)), m.c(kThreads)), Hkv,
                        m.dim(bufs.k, 0)},
        gpu::KernelDim3{m.c(kThreads), m.c(1), m.c(1)}, Value(), params);
  }
  return out;
}
