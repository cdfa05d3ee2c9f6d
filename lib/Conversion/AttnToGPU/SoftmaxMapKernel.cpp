//===- SoftmaxMapKernel.cpp - the softmax feature map on the GPU ----------===//
//
// The softmax map of attn.linear_attention, written as phi [B, H, L, D]
// (bf16; f32 for f32 inputs) that the chunked scan (LinearChunked.cpp) reads
// in place of Q and K, like the projected maps' features:
//   queries:            phi(q) = softmax of q over its D features;
//   keys, non-causal:   phi(k)_d = exp(k_d - max_d) / sum_d, max and sum
//                       over every key of the (batch, KV head), per feature;
//   keys, causal:       phi(k) = exp(k) (a softmax over keys would see the
//                       future).
// The per-feature key statistics take two small launches first: KeyStats
// (a running max and rescaled sum per feature over strided subsets of each
// block's keys) and KeyMerge (those partials merged, per thread and then
// across the block). Every access moves 8 elements (16 bytes of f16/bf16,
// two 16-byte accesses of f32).
// exp(x - shift) is FeatureMapMath's.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "MmaSyncBuilder.h"

#include "Attn/Transforms/FeatureMapMath.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

/// Elements per vector access: 16 bytes of f16/bf16, 32 of f32 (D % 16 ==
/// 0, rows 16-byte aligned: the chunked path's conditions).
constexpr int64_t kVec = 8;

class SoftmaxMapBuilder : MmaSyncBuilder {
public:
  SoftmaxMapBuilder(LinearAttentionOp op, OpBuilder &g, SoftmaxMapKernel kind)
      : MmaSyncBuilder(g, op.getLoc()), op(op), kind(kind),
        k(featureMapConstants(op)), layout(op.getLayout()),
        D(op.getDims().headDim), groups(D / kVec),
        lanes(std::max<int64_t>(1, kSoftmaxMapThreads / groups)) {}

  void build(gpu::GPUFuncOp fn);
  /// Key lanes of a KeyStats block: partial entries per block.
  int64_t keyLanes() const { return lanes; }
  /// Lanes per query row: D / 8 rounded up to a power of 2, at most 32.
  int64_t rowLanes() const {
    return std::min<int64_t>(32, llvm::PowerOf2Ceil(groups));
  }
  /// Query rows per Queries block.
  int64_t queryRowsPerBlock() const {
    return kSoftmaxMapThreads / 32 * (32 / rowLanes());
  }

private:
  using Stats = SmallVector<Value>; ///< kVec maxima, then kVec sums
  Value exp(Value x, Value shift) {
    return featureValue(
        g, loc, k, [&](Value y) { return fastExp(g, loc, y); }, x, shift);
  }
  /// (max, sum) of two partials, sums rescaled to the larger max. An empty
  /// partial is (-inf, 0): its term is 0 (never exp(-inf - -inf)).
  std::pair<Value, Value> merge(Value m0, Value s0, Value m1, Value s1) {
    Value mx = arith::MaximumFOp::create(g, loc, m0, m1);
    auto scaled = [&](Value mi, Value si) -> Value {
      Value empty = arith::CmpFOp::create(g, loc, arith::CmpFPredicate::OEQ,
                                          si, f32(0.0f));
      return arith::SelectOp::create(
          g, loc, empty, f32(0.0f),
          arith::MulFOp::create(g, loc, si, exp(mi, mx)));
    };
    return {mx, arith::AddFOp::create(g, loc, scaled(m0, s0), scaled(m1, s1))};
  }
  Stats mergeAll(ValueRange a, ValueRange b) {
    Stats r(2 * kVec);
    for (int64_t i = 0; i < kVec; ++i)
      std::tie(r[i], r[kVec + i]) = merge(a[i], a[kVec + i], b[i], b[kVec + i]);
    return r;
  }
  Stats emptyStats() {
    Stats r(kVec, f32(-kInf));
    r.append(kVec, f32(0.0f));
    return r;
  }
  /// Butterfly reduction over the warp with `combine`.
  Value warpReduce(Value x, function_ref<Value(Value, Value)> combine) {
    for (int32_t o : {16, 8, 4, 2, 1})
      x = combine(x, gpu::ShuffleOp::create(g, loc, x, o, 32,
                                            gpu::ShuffleMode::XOR)
                         .getShuffleResult());
    return x;
  }
  /// for (i = lo; i < hi; i += step) body(i, carried) -> carried
  SmallVector<Value> loop(Value lo, Value hi, int64_t step, ValueRange init,
                          function_ref<SmallVector<Value>(Value, ValueRange)> fn) {
    return m.loop(lo, hi, m.c(step), init, fn);
  }
  /// kVec f32 values at `idx` of `buf` (bf16, or f32 for f32 inputs), in
  /// one store.
  void storeVector(ArrayRef<Value> x, Value buf, ValueRange idx) {
    Type elem = cast<MemRefType>(buf.getType()).getElementType();
    SmallVector<Value> h;
    for (Value v : x)
      h.push_back(elem.isF32() ? v
                               : arith::TruncFOp::create(g, loc, elem, v)
                                     .getResult());
    Value vec = vector::FromElementsOp::create(
        g, loc, VectorType::get({kVec}, elem), h);
    vector::StoreOp::create(
        g, loc, vec, buf, idx, /*nontemporal=*/false,
        llvm::MaybeAlign(
            std::min<int64_t>(16, kVec * elem.getIntOrFloatBitWidth() / 8)));
  }
  void keyStats(Block &entry, Value blk, Value h, Value b, Value tid);
  void keyMerge(Block &entry, Value h, Value b, Value tid);
  void keys(Block &entry, Value blk, Value h, Value b, Value tid);
  void queries(Block &entry, Value blk, Value h, Value b, Value tid);

  LinearAttentionOp op;
  SoftmaxMapKernel kind;
  FeatureMapConstants k;
  Layout layout;
  const int64_t D, groups, lanes;
};

/// (k, partial [B, Hkv, blocks * lanes, 2, D]): unit (group, lane) of the
/// block keeps the max and the sum of exp(k - max) of features [8 group,
/// +8) over keys j0 + lane, j0 + lane + lanes, ... of the block's keys.
void SoftmaxMapBuilder::keyStats(Block &entry, Value blk, Value h, Value b,
                                 Value tid) {
  const int64_t KB = kSoftmaxMapKeysPerStatsBlock;
  Value x = entry.getArgument(0), partial = entry.getArgument(1);
  Value L = m.dim(x, storedDim(layout, 2));
  Value j0 = m.mul(blk, m.c(KB)), j1 = m.min(m.add(j0, m.c(KB)), L);
  loop(tid, m.c(groups * lanes), kSoftmaxMapThreads, {},
       [&](Value u, ValueRange) {
         Value grp = g.createOrFold<arith::RemUIOp>(loc, u, m.c(groups));
         Value lane = m.div(u, m.c(groups));
         Value d = m.mul(grp, m.c(kVec));
         // kUnroll keys per step, loaded before any is merged (a load per
         // step waited out a memory round trip per key); keys past j1 read
         // key j1 - 1 and merge as empty.
         constexpr int64_t kUnroll = 4;
         Value last = m.sub(j1, m.c(1));
         Stats st = loop(
             m.add(j0, lane), j1, lanes * kUnroll, emptyStats(),
             [&](Value j, ValueRange cur) -> SmallVector<Value> {
               SmallVector<SmallVector<Value>> rows;
               SmallVector<Value> valid;
               for (int64_t u = 0; u < kUnroll; ++u) {
                 Value ju = m.add(j, m.c(u * lanes));
                 valid.push_back(m.lt(ju, j1));
                 rows.push_back(loadVector(
                     x, storedIndex(layout, b, h, m.min(ju, last), d), kVec));
               }
               Stats acc(cur);
               for (int64_t u = 0; u < kUnroll; ++u) {
                 Stats one;
                 for (Value e : rows[u])
                   one.push_back(
                       arith::SelectOp::create(g, loc, valid[u], e, f32(-kInf)));
                 one.append(kVec, arith::SelectOp::create(
                                      g, loc, valid[u], f32(1.0f), f32(0.0f)));
                 acc = mergeAll(acc, one);
               }
               return acc;
             });
         Value entryIdx = m.add(m.mul(blk, m.c(lanes)), lane);
         for (int64_t i = 0; i < kVec; ++i)
           for (int64_t part = 0; part < 2; ++part)
             memref::StoreOp::create(
                 g, loc, st[part * kVec + i], partial,
                 ValueRange{b, h, entryIdx, m.c(part), m.add(d, m.c(i))});
         return SmallVector<Value>{};
       });
}

/// (partial, stats [B, Hkv, 2, D]), block (group, KV head, batch): thread t
/// merges partials t, t + T, ... of features [8 group, +8), then the
/// threads' results are merged in shared memory, halving each step.
void SoftmaxMapBuilder::keyMerge(Block &entry, Value h, Value b, Value tid) {
  const int64_t T = kSoftmaxMapThreads;
  Value partial = entry.getArgument(0), stats = entry.getArgument(1);
  Value grp = gpu::BlockIdOp::create(g, loc, gpu::Dimension::x);
  Value d = m.mul(grp, m.c(kVec));
  Value n = m.dim(partial, 2);
  auto at = [&](Value buf, Value p, int64_t part) {
    SmallVector<Value> idx{b, h, p, m.c(part), d};
    return loadVector(buf, idx, kVec);
  };
  Stats st = loop(tid, n, T, emptyStats(),
                  [&](Value p, ValueRange cur) -> SmallVector<Value> {
                    Stats one = at(partial, p, 0);
                    one.append(at(partial, p, 1));
                    return mergeAll(cur, one);
                  });
  auto wg = gpu::AddressSpaceAttr::get(g.getContext(),
                                       gpu::AddressSpace::Workgroup);
  Value red = memref::ViewOp::create(
      g, loc, MemRefType::get({T, 2 * kVec}, g.getF32Type(), AffineMap(), wg),
      gpu::DynamicSharedMemoryOp::create(
          g, loc,
          MemRefType::get({ShapedType::kDynamic}, g.getI8Type(), AffineMap(),
                          wg)),
      m.c(0), ValueRange{});
  for (int64_t i = 0; i < 2 * kVec; ++i)
    memref::StoreOp::create(g, loc, st[i], red, ValueRange{tid, m.c(i)});
  for (int64_t half = T / 2; half >= 1; half /= 2) {
    gpu::BarrierOp::create(g, loc);
    auto ifOp = scf::IfOp::create(g, loc, m.lt(tid, m.c(half)), false);
    OpBuilder::InsertionGuard guard(g);
    g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    Stats mine, other;
    for (int64_t i = 0; i < 2 * kVec; ++i) {
      mine.push_back(memref::LoadOp::create(g, loc, red, ValueRange{tid, m.c(i)}));
      other.push_back(memref::LoadOp::create(
          g, loc, red, ValueRange{m.add(tid, m.c(half)), m.c(i)}));
    }
    Stats r = mergeAll(mine, other);
    for (int64_t i = 0; i < 2 * kVec; ++i)
      memref::StoreOp::create(g, loc, r[i], red, ValueRange{tid, m.c(i)});
  }
  gpu::BarrierOp::create(g, loc);
  auto ifOp = scf::IfOp::create(g, loc, m.lt(tid, m.c(2 * kVec)), false);
  g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  Value part = m.div(tid, m.c(kVec));
  Value i = g.createOrFold<arith::RemUIOp>(loc, tid, m.c(kVec));
  memref::StoreOp::create(
      g, loc, memref::LoadOp::create(g, loc, red, ValueRange{m.c(0), tid}),
      stats, ValueRange{b, h, part, m.add(d, i)});
  g.setInsertionPointAfter(ifOp);
}

/// (k, [stats,] phi): keys [64 blk, +64), 8 features per thread and step,
/// feature-fastest so that a warp reads whole rows.
void SoftmaxMapBuilder::keys(Block &entry, Value blk, Value h, Value b,
                             Value tid) {
  const int64_t K = kSoftmaxMapKeysPerBlock;
  Value x = entry.getArgument(0);
  Value stats = op.getCausal() ? Value() : entry.getArgument(1);
  Value phi = entry.getArgument(op.getCausal() ? 1 : 2);
  Value L = m.dim(x, storedDim(layout, 2));
  Value j0 = m.mul(blk, m.c(K));
  Value n = m.mul(m.sub(m.min(m.add(j0, m.c(K)), L), j0), m.c(groups));
  loop(tid, n, kSoftmaxMapThreads, {}, [&](Value e, ValueRange) {
    Value j = m.add(j0, m.div(e, m.c(groups)));
    Value d = m.mul(g.createOrFold<arith::RemUIOp>(loc, e, m.c(groups)),
                    m.c(kVec));
    SmallVector<Value> v =
        loadVector(x, storedIndex(layout, b, h, j, d), kVec);
    SmallVector<Value> mx, sum;
    if (stats) {
      mx = loadVector(stats, ValueRange{b, h, m.c(0), d}, kVec);
      sum = loadVector(stats, ValueRange{b, h, m.c(1), d}, kVec);
    }
    for (int64_t i = 0; i < kVec; ++i)
      v[i] = stats ? arith::DivFOp::create(g, loc, exp(v[i], mx[i]), sum[i])
                         .getResult()
                   : exp(v[i], Value());
    storeVector(v, phi, ValueRange{b, h, j, d});
    return SmallVector<Value>{};
  });
}

/// (q, phi): rowLanes() lanes per row (8 features per lane and step; a
/// row of up to 256 features in one step), 32 / rowLanes() rows per warp;
/// three passes: max, sum, phi. Every lane takes part in the shuffles
/// (rows past Lq read row Lq - 1 and store nothing).
void SoftmaxMapBuilder::queries(Block &entry, Value blk, Value h, Value b,
                                Value tid) {
  Value x = entry.getArgument(0), phi = entry.getArgument(1);
  Value L = m.dim(x, storedDim(layout, 2));
  const int64_t per = rowLanes();
  Value lane = g.createOrFold<arith::RemUIOp>(loc, tid, m.c(32));
  Value sub = g.createOrFold<arith::RemUIOp>(loc, lane, m.c(per));
  Value r = m.add(m.mul(blk, m.c(queryRowsPerBlock())),
                  m.add(m.mul(m.div(tid, m.c(32)), m.c(32 / per)),
                        m.div(lane, m.c(per))));
  Value at = m.min(r, m.sub(L, m.c(1)));
  auto overRow = [&](ValueRange init,
                     function_ref<SmallVector<Value>(ArrayRef<Value>, Value,
                                                     ValueRange)>
                         fn) {
    return loop(m.mul(sub, m.c(kVec)), m.c(D), per * kVec, init,
                [&](Value d, ValueRange cur) {
                  return fn(
                      loadVector(x, storedIndex(layout, b, h, at, d), kVec), d,
                      cur);
                });
  };
  auto rowReduce = [&](Value v, function_ref<Value(Value, Value)> combine) {
    for (int32_t o = per / 2; o >= 1; o /= 2)
      v = combine(v, gpu::ShuffleOp::create(g, loc, v, o, 32,
                                            gpu::ShuffleMode::XOR)
                         .getShuffleResult());
    return v;
  };
  Value mx = overRow({f32(-kInf)}, [&](ArrayRef<Value> v, Value,
                                       ValueRange cur) -> SmallVector<Value> {
    Value a = cur[0];
    for (Value e : v)
      a = arith::MaximumFOp::create(g, loc, a, e);
    return {a};
  })[0];
  mx = rowReduce(mx, [&](Value a, Value c) -> Value {
    return arith::MaximumFOp::create(g, loc, a, c);
  });
  Value sum = overRow({f32(0.0f)}, [&](ArrayRef<Value> v, Value,
                                       ValueRange cur) -> SmallVector<Value> {
    Value a = cur[0];
    for (Value e : v)
      a = arith::AddFOp::create(g, loc, a, exp(e, mx));
    return {a};
  })[0];
  sum = rowReduce(sum, [&](Value a, Value c) -> Value {
    return arith::AddFOp::create(g, loc, a, c);
  });
  Value inv = arith::DivFOp::create(g, loc, f32(1.0f), sum);
  Value inRange = m.lt(r, L);
  overRow({}, [&](ArrayRef<Value> v, Value d,
                  ValueRange) -> SmallVector<Value> {
    SmallVector<Value> p;
    for (Value e : v)
      p.push_back(arith::MulFOp::create(g, loc, exp(e, mx), inv));
    auto ifOp = scf::IfOp::create(g, loc, inRange, false);
    OpBuilder::InsertionGuard guard(g);
    g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    storeVector(p, phi, ValueRange{b, h, r, d});
    return {};
  });
}

void SoftmaxMapBuilder::build(gpu::GPUFuncOp fn) {
  Block &entry = fn.getBody().front();
  Value blk = gpu::BlockIdOp::create(g, loc, gpu::Dimension::x);
  Value h = gpu::BlockIdOp::create(g, loc, gpu::Dimension::y);
  Value b = gpu::BlockIdOp::create(g, loc, gpu::Dimension::z);
  Value tid = gpu::ThreadIdOp::create(g, loc, gpu::Dimension::x);
  switch (kind) {
  case SoftmaxMapKernel::KeyStats:
    keyStats(entry, blk, h, b, tid);
    break;
  case SoftmaxMapKernel::KeyMerge:
    keyMerge(entry, h, b, tid);
    break;
  case SoftmaxMapKernel::Keys:
    keys(entry, blk, h, b, tid);
    break;
  case SoftmaxMapKernel::Queries:
    queries(entry, blk, h, b, tid);
    break;
  }
  gpu::ReturnOp::create(g, loc);
}

} // namespace

gpu::GPUFuncOp mlir::attn::buildSoftmaxMapKernel(LinearAttentionOp op,
                                                 OpBuilder &kb, StringRef name,
                                                 ValueRange params,
                                                 SoftmaxMapKernel kind) {
  auto fn = gpu::GPUFuncOp::create(
      kb, op.getLoc(), name,
      kb.getFunctionType(TypeRange(ValueRange(params).getTypes()), {}));
  fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  fn.setKnownBlockSizeAttr(kb.getDenseI32ArrayAttr(
      {static_cast<int32_t>(kSoftmaxMapThreads), 1, 1}));
  OpBuilder body(kb.getContext());
  body.setInsertionPointToStart(&fn.getBody().front());
  SoftmaxMapBuilder(op, body, kind).build(fn);
  return fn;
}

int64_t mlir::attn::softmaxMapKeyLanes(LinearAttentionOp op) {
  OpBuilder b(op);
  return SoftmaxMapBuilder(op, b, SoftmaxMapKernel::KeyStats).keyLanes();
}

int64_t mlir::attn::softmaxMapQueryRows(LinearAttentionOp op) {
  OpBuilder b(op);
  return SoftmaxMapBuilder(op, b, SoftmaxMapKernel::Queries)
      .queryRowsPerBlock();
}
