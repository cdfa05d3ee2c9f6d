//===- LinearToLoops.cpp - attn.linear_attention into loops ---------------===//
//
// The state form of linear attention, parallel over (batch, head):
//   non-causal: a state pass S = sum_j phi(k_j) v_j^T, z = sum_j phi(k_j),
//               then o_i = phi(q_i)^T S / (phi(q_i)^T z + eps);
//   causal:     the same with S and z grown key by key as i advances
//               (j <= i + Lk - Lq), so the cost stays linear in L.
// phi is computed on the fly from each row (never stored for the sequence);
// FAVOR+'s key stabilizer and the softmax map's key statistics take one
// extra pass over the keys first. State and statistics are f32.
// First version: scalar loops (LLVM vectorizes the inner ones).
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/FeatureMapMath.h"
#include "Attn/Transforms/Passes.h"
#include "MaskLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#include <cmath>
#include <limits>

#define DEBUG_TYPE "attn-linear-to-loops"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLINEARTOLOOPS
#include "Attn/Transforms/Passes.h.inc"

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

struct Lowering {
  LinearAttentionOp op;
  OpBuilder &b;
  Location loc;
  IndexMath m;
  Layout layout;
  FeatureMap map;
  int64_t D, Dv, M;
  float c;
  Value proj; ///< P [M, D] or null
  FeatureMapConstants constants;

  Value f32(float v) { return m.f32(v); }
  Value toF32(Value x) { return m.toF32(x); }
  /// for (i = lo; i < hi; ++i) body(i, carried) -> carried
  SmallVector<Value> loop(Value lo, Value hi, ValueRange init,
                          function_ref<SmallVector<Value>(Value, ValueRange)> fn) {
    return m.loop(lo, hi, m.c(1), init, fn);
  }
  SmallVector<Value> indexAt(Value bi, Value head, Value s, Value d) {
    if (layout == Layout::bshd)
      return {bi, s, head, d};
    return {bi, head, s, d};
  }
  /// row[t] = x[b, head, s, t] as f32.
  void loadRow(Value x, Value bi, Value head, Value s, Value row,
               int64_t n = -1) {
    loop(m.c(0), m.c(n < 0 ? D : n), {}, [&](Value t, ValueRange) {
      Value v = memref::LoadOp::create(b, loc, x, indexAt(bi, head, s, t));
      memref::StoreOp::create(b, loc, toF32(v), row, t);
      return SmallVector<Value>{};
    });
  }
  /// dd[f] = c * row . P[f] (or c * row[f] without a projection).
  Value projected(Value row, Value f) {
    if (!proj)
      return arith::MulFOp::create(b, loc, f32(c),
                                   memref::LoadOp::create(b, loc, row, f));
    Value dot = loop(m.c(0), m.c(D), {f32(0.0f)}, [&](Value t, ValueRange acc) {
      Value p = toF32(memref::LoadOp::create(b, loc, proj, ValueRange{f, t}));
      Value x = memref::LoadOp::create(b, loc, row, t);
      return SmallVector<Value>{math::FmaOp::create(b, loc, x, p, acc[0])};
    })[0];
    return arith::MulFOp::create(b, loc, f32(c), dot);
  }
  Value sumSquares(Value row) {
    return loop(m.c(0), m.c(D), {f32(0.0f)}, [&](Value t, ValueRange acc) {
      Value x = memref::LoadOp::create(b, loc, row, t);
      return SmallVector<Value>{math::FmaOp::create(b, loc, x, x, acc[0])};
    })[0];
  }
  Value maxOver(Value n, function_ref<Value(Value)> at) {
    return loop(m.c(0), n, {f32(-kInf)}, [&](Value f, ValueRange acc) {
      return SmallVector<Value>{arith::MaximumFOp::create(b, loc, acc[0], at(f))};
    })[0];
  }

  /// phi of `row` into `phi` [M]. Keys use `keyStab` (FAVOR+) or the
  /// per-feature `colMax`/`colSum` (softmax, non-causal).
  void featureMap(Value row, Value phi, bool isQuery, Value keyStab,
                  Value colMax, Value colSum) {
    auto store = [&](Value f, Value v) {
      memref::StoreOp::create(b, loc, v, phi, f);
    };
    auto forEachFeature = [&](function_ref<Value(Value)> value) {
      loop(m.c(0), m.c(M), {}, [&](Value f, ValueRange) {
        store(f, value(f));
        return SmallVector<Value>{};
      });
    };
    switch (map) {
    case FeatureMap::elu_plus_one:
      forEachFeature([&](Value f) -> Value {
        return featureValue(b, loc, constants,
                            memref::LoadOp::create(b, loc, row, f));
      });
      return;
    case FeatureMap::relu:
      forEachFeature([&](Value f) -> Value {
        return featureValue(b, loc, constants, projected(row, f));
      });
      return;
    case FeatureMap::favor_plus: {
      Value diag = arith::MulFOp::create(b, loc, f32(c * c / 2.0f),
                                         sumSquares(row));
      Value stab = isQuery ? maxOver(m.c(M),
                                     [&](Value f) { return projected(row, f); })
                           : keyStab;
      Value shift = arith::AddFOp::create(b, loc, diag, stab);
      forEachFeature([&](Value f) -> Value {
        return featureValue(b, loc, constants, projected(row, f), shift);
      });
      return;
    }
    case FeatureMap::softmax: {
      if (isQuery) { // softmax over the features of the row
        Value mx = maxOver(m.c(D), [&](Value t) -> Value {
          return memref::LoadOp::create(b, loc, row, t);
        });
        forEachFeature([&](Value f) -> Value {
          return math::ExpOp::create(
              b, loc,
              arith::SubFOp::create(b, loc,
                                    memref::LoadOp::create(b, loc, row, f), mx));
        });
        Value sum = loop(m.c(0), m.c(M), {f32(0.0f)}, [&](Value f, ValueRange acc) {
          return SmallVector<Value>{arith::AddFOp::create(
              b, loc, acc[0], memref::LoadOp::create(b, loc, phi, f))};
        })[0];
        forEachFeature([&](Value f) -> Value {
          return arith::DivFOp::create(
              b, loc, memref::LoadOp::create(b, loc, phi, f), sum);
        });
        return;
      }
      forEachFeature([&](Value f) -> Value {
        Value x = memref::LoadOp::create(b, loc, row, f);
        if (!colMax) // causal: exp(k), a softmax would see the future
          return math::ExpOp::create(b, loc, x);
        Value e = math::ExpOp::create(
            b, loc,
            arith::SubFOp::create(b, loc, x,
                                  memref::LoadOp::create(b, loc, colMax, f)));
        return arith::DivFOp::create(b, loc, e,
                                     memref::LoadOp::create(b, loc, colSum, f));
      });
      return;
    }
    }
  }

  LogicalResult run();
};

LogicalResult Lowering::run() {
  Value q = bufferizeOperand(b, loc, op.getQuery());
  Value k = bufferizeOperand(b, loc, op.getKey());
  Value v = bufferizeOperand(b, loc, op.getValue());
  proj = bufferizeOperand(b, loc, op.getProjection());
  auto stored = [&](int64_t logical) -> int64_t {
    return layout == Layout::bshd && (logical == 1 || logical == 2)
               ? 3 - logical
               : logical;
  };
  Value B = m.dim(q, 0), Hq = m.dim(q, stored(1)), Hkv = m.dim(k, stored(1)),
        Lq = m.dim(q, stored(2)), Lk = m.dim(k, stored(2));
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 4; ++i)
    if (outType.isDynamicDim(i))
      sizes.push_back(m.dim(q, i)); // O shares Q's stored B, H, L
  Value out = allocResult(b, loc, outType, sizes);
  Value group = m.div(Hq, Hkv), off = m.sub(Lk, Lq);
  const float eps = static_cast<float>(op.getEpsOrDefault());
  const bool causal = op.getCausal();
  Type outElem = outType.getElementType();

  auto par = scf::ParallelOp::create(b, loc, ValueRange{m.c(0), m.c(0)},
                                     ValueRange{B, Hq},
                                     ValueRange{m.c(1), m.c(1)});
  b.setInsertionPointToStart(par.getBody());
  Value bi = par.getInductionVars()[0], hi = par.getInductionVars()[1];
  Value kvh = m.div(hi, group);
  Type f32t = b.getF32Type();
  // Per-(batch, head) scratch on the heap, freed at the end of the
  // iteration (sized by M and D, which no stack bounds; see attn-tile).
  SmallVector<Value> buffers;
  auto scratch = [&](ArrayRef<int64_t> shape) -> Value {
    buffers.push_back(
        memref::AllocOp::create(b, loc, MemRefType::get(shape, f32t)));
    return buffers.back();
  };
  Value S = scratch({M, Dv}), z = scratch({M}), phi = scratch({M}),
        row = scratch({D}), vrow = scratch({Dv});
  // Rows of S and v are processed W columns at a time (vector FMAs).
  const int64_t W = Dv % 16 == 0 ? 16 : Dv % 8 == 0 ? 8 : Dv % 4 == 0 ? 4 : 1;
  auto vecType = VectorType::get({W}, f32t);
  auto vload = [&](Value buf, ValueRange at) -> Value {
    return vector::LoadOp::create(b, loc, vecType, buf, at);
  };
  linalg::FillOp::create(b, loc, ValueRange{f32(0.0f)}, ValueRange{S});
  linalg::FillOp::create(b, loc, ValueRange{f32(0.0f)}, ValueRange{z});

  // Key statistics that need every key first.
  Value keyStab, colMax, colSum;
  if (map == FeatureMap::favor_plus)
    keyStab = loop(m.c(0), Lk, {f32(-kInf)}, [&](Value j, ValueRange acc) {
      loadRow(k, bi, kvh, j, row);
      Value mx = maxOver(m.c(M), [&](Value f) { return projected(row, f); });
      return SmallVector<Value>{arith::MaximumFOp::create(b, loc, acc[0], mx)};
    })[0];
  if (map == FeatureMap::softmax && !causal) {
    colMax = scratch({D});
    colSum = scratch({D});
    linalg::FillOp::create(b, loc, ValueRange{f32(-kInf)}, ValueRange{colMax});
    linalg::FillOp::create(b, loc, ValueRange{f32(0.0f)}, ValueRange{colSum});
    auto overKeys = [&](function_ref<void(Value, Value)> fn) {
      loop(m.c(0), Lk, {}, [&](Value j, ValueRange) {
        loadRow(k, bi, kvh, j, row);
        loop(m.c(0), m.c(D), {}, [&](Value t, ValueRange) {
          fn(t, memref::LoadOp::create(b, loc, row, t));
          return SmallVector<Value>{};
        });
        return SmallVector<Value>{};
      });
    };
    overKeys([&](Value t, Value x) {
      Value cur = memref::LoadOp::create(b, loc, colMax, t);
      memref::StoreOp::create(b, loc, arith::MaximumFOp::create(b, loc, cur, x),
                              colMax, t);
    });
    overKeys([&](Value t, Value x) {
      Value e = math::ExpOp::create(
          b, loc,
          arith::SubFOp::create(b, loc, x,
                                memref::LoadOp::create(b, loc, colMax, t)));
      Value cur = memref::LoadOp::create(b, loc, colSum, t);
      memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, cur, e),
                              colSum, t);
    });
  }

  // S += phi(k_j) v_j^T, z += phi(k_j) for keys [lo, hi).
  auto addKeys = [&](Value lo, Value hiKey) {
    loop(lo, hiKey, {}, [&](Value j, ValueRange) {
      loadRow(k, bi, kvh, j, row);
      featureMap(row, phi, /*isQuery=*/false, keyStab, colMax, colSum);
      loadRow(v, bi, kvh, j, vrow, Dv);
      loop(m.c(0), m.c(M), {}, [&](Value f, ValueRange) {
        Value pk = memref::LoadOp::create(b, loc, phi, f);
        Value zf = memref::LoadOp::create(b, loc, z, f);
        memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, zf, pk),
                                z, f);
        Value pkW = vector::BroadcastOp::create(b, loc, vecType, pk);
        for (int64_t y = 0; y < Dv; y += W) { // S[f, :] += pk v_j
          Value s = vload(S, {f, m.c(y)});
          Value fma = math::FmaOp::create(b, loc, pkW, vload(vrow, {m.c(y)}), s);
          vector::StoreOp::create(b, loc, fma, S, ValueRange{f, m.c(y)});
        }
        return SmallVector<Value>{};
      });
      return SmallVector<Value>{};
    });
  };
  if (!causal)
    addKeys(m.c(0), Lk);

  // o_i = phi(q_i)^T S / (phi(q_i)^T z + eps); causal adds keys as i grows.
  loop(m.c(0), Lq, {m.c(0)}, [&](Value i, ValueRange added) -> SmallVector<Value> {
    Value next = added[0];
    if (causal) {
      next = m.max(added[0], m.min(Lk, m.add(m.add(i, off), m.c(1))));
      addKeys(added[0], next);
    }
    loadRow(q, bi, hi, i, row);
    featureMap(row, phi, /*isQuery=*/true, keyStab, colMax, colSum);
    Value den = loop(m.c(0), m.c(M), {f32(eps)}, [&](Value f, ValueRange acc) {
      return SmallVector<Value>{math::FmaOp::create(
          b, loc, memref::LoadOp::create(b, loc, phi, f),
          memref::LoadOp::create(b, loc, z, f), acc[0])};
    })[0];
    // No visible key and eps = 0 would be 0/0: the row is 0.
    Value zero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, den,
                                       f32(0.0f));
    Value inv = arith::SelectOp::create(
        b, loc, zero, f32(0.0f), arith::DivFOp::create(b, loc, f32(1.0f), den));
    // num = phi(q_i)^T S, row by row of S: Dv / W vector accumulators.
    Value zeroW = arith::ConstantOp::create(
        b, loc, vecType, DenseElementsAttr::get(vecType, 0.0f));
    SmallVector<Value> num = loop(
        m.c(0), m.c(M), SmallVector<Value>(Dv / W, zeroW),
        [&](Value f, ValueRange acc) {
          Value pq = vector::BroadcastOp::create(
              b, loc, vecType, memref::LoadOp::create(b, loc, phi, f));
          SmallVector<Value> next;
          for (int64_t y = 0; y < Dv; y += W)
            next.push_back(math::FmaOp::create(
                b, loc, pq, vload(S, {f, m.c(y)}), acc[y / W]));
          return next;
        });
    Value invW = vector::BroadcastOp::create(b, loc, vecType, inv);
    for (int64_t y = 0; y < Dv; y += W) {
      Value o = arith::MulFOp::create(b, loc, num[y / W], invW);
      for (int64_t e = 0; e < W; ++e) { // any output strides
        Value x = vector::ExtractOp::create(b, loc, o, e);
        if (outElem != f32t)
          x = arith::TruncFOp::create(b, loc, outElem, x);
        memref::StoreOp::create(b, loc, x, out,
                                indexAt(bi, hi, i, m.c(y + e)));
      }
    }
    return {next};
  });
  for (Value buf : buffers)
    memref::DeallocOp::create(b, loc, buf);

  b.setInsertionPointAfter(par);
  replaceWithBuffers(b, op, out);
  return success();
}

struct AttnLinearToLoops : impl::AttnLinearToLoopsBase<AttnLinearToLoops> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<LinearAttentionOp> ops;
    getOperation()->walk([&](LinearAttentionOp op) { ops.push_back(op); });
    for (LinearAttentionOp op : ops) {
      OpBuilder b(op);
      AttentionDims d = op.getDims();
      Value proj = Value();
      Lowering l{op,
                 b,
                 op.getLoc(),
                 IndexMath{b, op.getLoc()},
                 op.getLayout(),
                 op.getFeatureMap(),
                 d.headDim,
                 d.valueDim,
                 op.getNumFeatures(),
                 static_cast<float>(
                     std::pow(static_cast<double>(d.headDim), -0.25)),
                 proj,
                 featureMapConstants(op)};
      if (failed(l.run()))
        return signalPassFailure();
    }
  }
};

} // namespace
} // namespace mlir::attn
