//===- SoftmaxMapKernel.cpp - the softmax feature map on the GPU ----------===//
//
// The softmax map of attn.linear_attention for f16/bf16 inputs, written as
// bf16 phi [B, H, L, D] that the chunked scan (LinearChunked.cpp) reads in
// place of Q and K, like the projected maps' features:
//   queries:            phi(q) = softmax of q over its D features;
//   keys, non-causal:   phi(k)_d = exp(k_d - max_d) / sum_d, max and sum
//                       over every key of the (batch, KV head), per feature;
//   keys, causal:       phi(k) = exp(k) (a softmax over keys would see the
//                       future).
// The per-feature key statistics take two small launches first: KeyStats
// (a running max and rescaled sum over each block's keys) and KeyMerge (the
// blocks' partials merged per feature). exp(x - shift) is FeatureMapMath's.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"

#include "Attn/Transforms/FeatureMapMath.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

class SoftmaxMapBuilder {
public:
  SoftmaxMapBuilder(LinearAttentionOp op, OpBuilder &g, SoftmaxMapKernel kind)
      : op(op), g(g), loc(op.getLoc()), m{g, loc}, kind(kind),
        k(featureMapConstants(op)), layout(op.getLayout()),
        D(op.getDims().headDim) {}

  void build(gpu::GPUFuncOp fn);

private:
  Value f32(float v) { return m.f32(v); }
  Value exp(Value x, Value shift) {
    return featureValue(
        g, loc, k, [&](Value y) { return expViaExp2(g, loc, y); }, x, shift);
  }
  Value load(Value buf, ValueRange idx) {
    return m.toF32(memref::LoadOp::create(g, loc, buf, idx));
  }
  void store(Value v, Value buf, ValueRange idx) {
    memref::StoreOp::create(
        g, loc, arith::TruncFOp::create(g, loc, g.getBF16Type(), v), buf, idx);
  }
  /// (max, sum) of two partials: sums rescaled to the larger max. An empty
  /// partial is (-inf, 0); exp(-inf - -inf) is never taken.
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

  LinearAttentionOp op;
  OpBuilder &g;
  Location loc;
  IndexMath m;
  SoftmaxMapKernel kind;
  FeatureMapConstants k;
  Layout layout;
  const int64_t D;
};

void SoftmaxMapBuilder::build(gpu::GPUFuncOp fn) {
  Block &entry = fn.getBody().front();
  Value blk = gpu::BlockIdOp::create(g, loc, gpu::Dimension::x);
  Value h = gpu::BlockIdOp::create(g, loc, gpu::Dimension::y);
  Value b = gpu::BlockIdOp::create(g, loc, gpu::Dimension::z);
  Value tid = gpu::ThreadIdOp::create(g, loc, gpu::Dimension::x);
  const int64_t T = kSoftmaxMapThreads, K = kSoftmaxMapKeysPerBlock;

  switch (kind) {
  case SoftmaxMapKernel::KeyStats: {
    // (k, partial [B, Hkv, blocks, 2, D]): per feature, the max and the sum
    // of exp(k - max) over keys [K blk, K blk + K).
    Value x = entry.getArgument(0), partial = entry.getArgument(1);
    Value L = m.dim(x, storedDim(layout, 2));
    Value j0 = m.mul(blk, m.c(K)), j1 = m.min(m.add(j0, m.c(K)), L);
    loop(tid, m.c(D), T, {}, [&](Value d, ValueRange) {
      SmallVector<Value> ms = loop(
          j0, j1, 1, {f32(-kInf), f32(0.0f)},
          [&](Value j, ValueRange cur) -> SmallVector<Value> {
            auto [mx, s] = merge(cur[0], cur[1],
                                 load(x, storedIndex(layout, b, h, j, d)),
                                 f32(1.0f));
            return {mx, s};
          });
      memref::StoreOp::create(g, loc, ms[0], partial,
                              ValueRange{b, h, blk, m.c(0), d});
      memref::StoreOp::create(g, loc, ms[1], partial,
                              ValueRange{b, h, blk, m.c(1), d});
      return SmallVector<Value>{};
    });
    break;
  }
  case SoftmaxMapKernel::KeyMerge: {
    // (partial, stats [B, Hkv, 2, D]): the partials of every block merged.
    Value partial = entry.getArgument(0), stats = entry.getArgument(1);
    Value blocks = m.dim(partial, 2);
    loop(tid, m.c(D), T, {}, [&](Value d, ValueRange) {
      SmallVector<Value> ms = loop(
          m.c(0), blocks, 1, {f32(-kInf), f32(0.0f)},
          [&](Value i, ValueRange cur) -> SmallVector<Value> {
            auto [mx, s] = merge(
                cur[0], cur[1],
                memref::LoadOp::create(g, loc, partial,
                                       ValueRange{b, h, i, m.c(0), d}),
                memref::LoadOp::create(g, loc, partial,
                                       ValueRange{b, h, i, m.c(1), d}));
            return {mx, s};
          });
      memref::StoreOp::create(g, loc, ms[0], stats, ValueRange{b, h, m.c(0), d});
      memref::StoreOp::create(g, loc, ms[1], stats, ValueRange{b, h, m.c(1), d});
      return SmallVector<Value>{};
    });
    break;
  }
  case SoftmaxMapKernel::Keys: {
    // (k, [stats,] phi): keys [K blk, K blk + K), feature-fastest so that
    // consecutive threads read consecutive elements.
    Value x = entry.getArgument(0);
    Value stats = op.getCausal() ? Value() : entry.getArgument(1);
    Value phi = entry.getArgument(op.getCausal() ? 1 : 2);
    Value L = m.dim(x, storedDim(layout, 2));
    Value j0 = m.mul(blk, m.c(K));
    Value n = m.mul(m.sub(m.min(m.add(j0, m.c(K)), L), j0), m.c(D));
    loop(tid, n, T, {}, [&](Value e, ValueRange) {
      Value j = m.add(j0, m.div(e, m.c(D)));
      Value d = g.createOrFold<arith::RemUIOp>(loc, e, m.c(D));
      Value v = load(x, storedIndex(layout, b, h, j, d));
      if (stats)
        v = arith::DivFOp::create(
            g, loc,
            exp(v, memref::LoadOp::create(g, loc, stats,
                                          ValueRange{b, h, m.c(0), d})),
            memref::LoadOp::create(g, loc, stats, ValueRange{b, h, m.c(1), d}));
      else
        v = exp(v, Value());
      store(v, phi, ValueRange{b, h, j, d});
      return SmallVector<Value>{};
    });
    break;
  }
  case SoftmaxMapKernel::Queries: {
    // (q, phi): one warp per row, kSoftmaxMapRowsPerBlock rows per block;
    // lanes stride over the features (three passes: max, sum, phi, the
    // row's reloads hitting L1).
    Value x = entry.getArgument(0), phi = entry.getArgument(1);
    Value L = m.dim(x, storedDim(layout, 2));
    Value lane = g.createOrFold<arith::RemUIOp>(loc, tid, m.c(32));
    Value r = m.add(m.mul(blk, m.c(kSoftmaxMapRowsPerBlock)),
                    m.div(tid, m.c(32)));
    auto ifOp = scf::IfOp::create(g, loc, m.lt(r, L), false);
    g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    auto row = [&](Value d) { return load(x, storedIndex(layout, b, h, r, d)); };
    Value mx = loop(lane, m.c(D), 32, {f32(-kInf)},
                    [&](Value d, ValueRange cur) -> SmallVector<Value> {
                      return {arith::MaximumFOp::create(g, loc, cur[0], row(d))};
                    })[0];
    mx = warpReduce(mx, [&](Value a, Value c) -> Value {
      return arith::MaximumFOp::create(g, loc, a, c);
    });
    Value sum = loop(lane, m.c(D), 32, {f32(0.0f)},
                     [&](Value d, ValueRange cur) -> SmallVector<Value> {
                       return {arith::AddFOp::create(g, loc, cur[0],
                                                     exp(row(d), mx))};
                     })[0];
    sum = warpReduce(sum, [&](Value a, Value c) -> Value {
      return arith::AddFOp::create(g, loc, a, c);
    });
    loop(lane, m.c(D), 32, {}, [&](Value d, ValueRange) {
      store(arith::DivFOp::create(g, loc, exp(row(d), mx), sum), phi,
            ValueRange{b, h, r, d});
      return SmallVector<Value>{};
    });
    g.setInsertionPointAfter(ifOp);
    break;
  }
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
