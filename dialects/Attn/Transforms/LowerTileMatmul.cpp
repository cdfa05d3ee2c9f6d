//===- LowerTileMatmul.cpp - tile_qk / tile_pv into vector micro-kernels --===//
//
// Both products are written as register-blocked outer products:
//   tile_qk: st[j, i:i+W] += k[j, d] * qt[d, i:i+W]  (keys x query vectors)
//   tile_pv: acc[i, c:c+W] += pt[j, i] * v[j, c:c+W]  (rows x Dv vectors)
// `rows` scalars are broadcast against `vectors` loads of W lanes per step, so
// rows * vectors accumulators stay in registers for the whole reduction. The
// f16/bf16 operands are widened to f32 as they are loaded.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#define DEBUG_TYPE "attn-lower-tile-matmul"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERTILEMATMUL
#include "Attn/Transforms/Passes.h.inc"

namespace {

struct KernelBuilder {
  OpBuilder &b;
  Location loc;
  int64_t width, rows, vectors;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  VectorType f32Vec() { return VectorType::get({width}, b.getF32Type()); }
  Value add(Value x, int64_t c) {
    return c == 0 ? x : b.createOrFold<arith::AddIOp>(loc, x, idx(c));
  }

  /// W lanes of `buf` at `at`, widened to f32. `inBounds` when statically so.
  Value loadVec(Value buf, ValueRange at, bool inBounds) {
    Type elem = cast<MemRefType>(buf.getType()).getElementType();
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(elem));
    Value x = vector::TransferReadOp::create(
        b, loc, VectorType::get({width}, elem), buf, at, pad,
        ArrayRef<bool>{inBounds});
    if (elem != b.getF32Type())
      x = arith::ExtFOp::create(b, loc, f32Vec(), x);
    return x;
  }
  /// One element of `buf` at `at`, widened and broadcast to W lanes.
  Value splatElem(Value buf, ValueRange at) {
    Value x = memref::LoadOp::create(b, loc, buf, at);
    if (x.getType() != b.getF32Type())
      x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
    return vector::BroadcastOp::create(b, loc, f32Vec(), x);
  }

  /// Runs `kernel(start, count)` over [0, n) in steps of `rows`, then the
  /// remainder one row at a time.
  template <typename Fn>
  void rowBlocks(Value n, Fn kernel) {
    Value main = arith::SubIOp::create(
        b, loc, n, arith::RemUIOp::create(b, loc, n, idx(rows)));
    scf::ForOp::create(b, loc, idx(0), main, idx(rows), ValueRange{},
                       [&](OpBuilder &, Location, Value r, ValueRange) {
                         kernel(r, rows);
                         scf::YieldOp::create(b, loc);
                       });
    if (rows > 1)
      scf::ForOp::create(b, loc, main, n, idx(1), ValueRange{},
                         [&](OpBuilder &, Location, Value r, ValueRange) {
                           kernel(r, 1);
                           scf::YieldOp::create(b, loc);
                         });
  }

  void lowerQK(TileQKOp op);
  void lowerPV(TilePVOp op);
};

void KernelBuilder::lowerQK(TileQKOp op) {
  Value qt = op.getQt(), k = op.getK(), st = op.getSt();
  const int64_t D = op.getQt().getType().getDimSize(0);
  const int64_t qtCols = op.getQt().getType().getDimSize(1);
  Value kn = memref::DimOp::create(b, loc, st, 0);
  Value qn = memref::DimOp::create(b, loc, st, 1);
  Value scale = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(
                  f32Vec(), b.getF32FloatAttr(op.getScale().convertToDouble())));
  // A static score tile narrower than the span (a small chunk of linear
  // attention) takes only the vectors it has: the others would be masked
  // loads and wasted FMAs. It takes more key rows instead, so that as many
  // accumulators stay in flight (4 x 1 of them left the FMA pipes half
  // idle behind each FMA's latency).
  const int64_t stCols = op.getSt().getType().getDimSize(1);
  if (!ShapedType::isDynamic(stCols)) {
    int64_t fit = std::max<int64_t>(1, (stCols + width - 1) / width);
    if (fit < vectors) {
      rows = rows * vectors / fit;
      vectors = fit;
    }
  }
  const int64_t span = width * vectors;
  // qt reads stay inside its columns when they are a multiple of the span;
  // st writes likewise (masked stores are slow on AVX2: vmaskmovps).
  const bool qtInBounds = !ShapedType::isDynamic(qtCols) && qtCols % span == 0;
  const bool stInBounds = !ShapedType::isDynamic(stCols) && stCols % span == 0;

  rowBlocks(kn, [&](Value j0, int64_t nk) {
    scf::ForOp::create(
        b, loc, idx(0), qn, idx(span), ValueRange{},
        [&](OpBuilder &, Location, Value i0, ValueRange) {
          SmallVector<Value> init(nk * vectors,
                                  arith::ConstantOp::create(
                                      b, loc, b.getZeroAttr(f32Vec())));
          // st[j0 + r, i0 + c W] = sum_d k[j0 + r, d] * qt[d, i0 + c W]
          auto red = scf::ForOp::create(
              b, loc, idx(0), idx(D), idx(1), init,
              [&](OpBuilder &, Location, Value d, ValueRange acc) {
                SmallVector<Value> qv;
                for (int64_t c = 0; c < vectors; ++c)
                  qv.push_back(
                      loadVec(qt, ValueRange{d, add(i0, c * width)}, qtInBounds));
                SmallVector<Value> next;
                for (int64_t r = 0; r < nk; ++r) {
                  Value kb = splatElem(k, ValueRange{add(j0, r), d});
                  for (int64_t c = 0; c < vectors; ++c)
                    next.push_back(vector::FMAOp::create(
                        b, loc, kb, qv[c], acc[r * vectors + c]));
                }
                scf::YieldOp::create(b, loc, next);
              });
          for (int64_t r = 0; r < nk; ++r)
            for (int64_t c = 0; c < vectors; ++c) {
              Value x = arith::MulFOp::create(
                  b, loc, red.getResult(r * vectors + c), scale);
              vector::TransferWriteOp::create(
                  b, loc, x, st, ValueRange{add(j0, r), add(i0, c * width)},
                  ArrayRef<bool>{stInBounds});
            }
          scf::YieldOp::create(b, loc);
        });
  });
  op.erase();
}

void KernelBuilder::lowerPV(TilePVOp op) {
  Value pt = op.getPt(), v = op.getV(), acc = op.getAcc(),
        alpha = op.getAlpha();
  const int64_t Dv = op.getAcc().getType().getDimSize(1);
  Value kn = memref::DimOp::create(b, loc, pt, 0);
  Value qn = memref::DimOp::create(b, loc, pt, 1);

  rowBlocks(qn, [&](Value i0, int64_t nq) {
    // Dv is static: walk it in groups of `vectors` vectors.
    for (int64_t c0 = 0; c0 < Dv; c0 += width * vectors) {
      int64_t nv = std::min(vectors, (Dv - c0 + width - 1) / width);
      auto inBounds = [&](int64_t c) { return c0 + (c + 1) * width <= Dv; };
      // acc (times alpha when given), loaded once per group.
      SmallVector<Value> init;
      for (int64_t r = 0; r < nq; ++r) {
        Value a = alpha ? splatElem(alpha, ValueRange{add(i0, r)}) : Value();
        for (int64_t c = 0; c < nv; ++c) {
          Value x = loadVec(acc, ValueRange{add(i0, r), idx(c0 + c * width)},
                            inBounds(c));
          init.push_back(a ? arith::MulFOp::create(b, loc, a, x) : x);
        }
      }
      // acc[i0 + r, c0 + c W] += sum_j pt[j, i0 + r] * v[j, c0 + c W]
      auto red = scf::ForOp::create(
          b, loc, idx(0), kn, idx(1), init,
          [&](OpBuilder &, Location, Value j, ValueRange sums) {
            SmallVector<Value> vv;
            for (int64_t c = 0; c < nv; ++c)
              vv.push_back(
                  loadVec(v, ValueRange{j, idx(c0 + c * width)}, inBounds(c)));
            SmallVector<Value> next;
            for (int64_t r = 0; r < nq; ++r) {
              Value p = splatElem(pt, ValueRange{j, add(i0, r)});
              for (int64_t c = 0; c < nv; ++c)
                next.push_back(
                    vector::FMAOp::create(b, loc, p, vv[c], sums[r * nv + c]));
            }
            scf::YieldOp::create(b, loc, next);
          });
      for (int64_t r = 0; r < nq; ++r)
        for (int64_t c = 0; c < nv; ++c)
          vector::TransferWriteOp::create(
              b, loc, red.getResult(r * nv + c), acc,
              ValueRange{add(i0, r), idx(c0 + c * width)},
              ArrayRef<bool>{inBounds(c)});
    }
  });
  op.erase();
}

struct AttnLowerTileMatmul
    : impl::AttnLowerTileMatmulBase<AttnLowerTileMatmul> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth <= 0 || qkRows <= 0 || qkVectors <= 0 || pvRows <= 0 ||
        pvVectors <= 0) {
      getOperation()->emitError()
          << "attn-lower-tile-matmul: every size option must be positive";
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<TileQKOp, TilePVOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      if (auto qk = dyn_cast<TileQKOp>(op))
        KernelBuilder{b, op->getLoc(), vectorWidth, qkRows, qkVectors}
            .lowerQK(qk);
      else
        KernelBuilder{b, op->getLoc(), vectorWidth, pvRows, pvVectors}
            .lowerPV(cast<TilePVOp>(op));
    }
  }
};

} // namespace
} // namespace mlir::attn
