//===- OnlineSoftmax.cpp - expand online_step/finalize into the update ----===//
//
// attn.online_step becomes: the score tile (attn.tile_qk), the mask and
// score-modifier regions applied element by element (the mask only where the
// tiler could not prove the block fully allowed), the online-softmax update of
// running max m, sum l and accumulator acc in vector loops, and attn.tile_pv.
// attn.online_finalize becomes acc / l and the log-sum-exp.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/OnlineSoftmaxMath.h"
#include "Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

#define DEBUG_TYPE "attn-online-softmax"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNONLINESOFTMAX
#include "Attn/Transforms/Passes.h.inc"

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

struct Expander {
  OpBuilder &b;
  Location loc;
  int64_t width;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(float v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
  }
  VectorType vecType() { return VectorType::get({width}, b.getF32Type()); }
  Value splat(float v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType(), b.getF32FloatAttr(v)));
  }

  /// for (i = 0; i < n; ++i) body(i)
  template <typename Fn>
  void forEach(Value n, Fn body) {
    scf::ForOp::create(b, loc, idx(0), n, idx(1), ValueRange{},
                       [&](OpBuilder &, Location, Value i, ValueRange) {
                         body(i);
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// Inlines the single-block `region` with `args`, returning its yield.
  Value inlineRegion(Region &region, ValueRange args) {
    IRMapping map;
    Block &block = region.front();
    for (auto [from, to] : llvm::zip(block.getArguments(), args))
      map.map(from, to);
    for (Operation &op : block.without_terminator())
      b.clone(op, map);
    // The region may yield a block argument or a value from above, which
    // the mapping does not hold: those stand for themselves.
    return map.lookupOrDefault(
        cast<YieldOp>(block.getTerminator()).getValues()[0]);
  }

  /// Clones `region` with vector arguments when every op in it is an
  /// elementwise arith op (position-only masks: causal, window); values from
  /// above are broadcast. Returns null, creating nothing, otherwise.
  Value vectorizeRegion(Region &region, ValueRange vectorArgs);

  void expandStep(OnlineStepOp op);
  void expandFinalize(OnlineFinalizeOp op);
};

Value Expander::vectorizeRegion(Region &region, ValueRange vectorArgs) {
  Block &block = region.front();
  for (Operation &op : block.without_terminator())
    if (op.getName().getDialectNamespace() != "arith" ||
        !(op.hasTrait<OpTrait::Elementwise>() || isa<arith::ConstantOp>(op)) ||
        op.getNumResults() != 1 || op.getNumRegions() != 0)
      return {};
  IRMapping map;
  for (auto [from, to] : llvm::zip(block.getArguments(), vectorArgs))
    map.map(from, to);
  auto vectorOf = [&](Type t) { return VectorType::get({width}, t); };
  auto lookup = [&](Value v) -> Value {
    if (Value mapped = map.lookupOrNull(v))
      return mapped;
    // Defined above the region: a scalar, the same for every lane.
    return vector::BroadcastOp::create(b, loc, vectorOf(v.getType()), v);
  };
  for (Operation &op : block.without_terminator()) {
    if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
      Value scalar = b.clone(op)->getResult(0);
      map.map(cst.getResult(),
              vector::BroadcastOp::create(b, loc, vectorOf(scalar.getType()),
                                          scalar));
      continue;
    }
    OperationState state(loc, op.getName());
    for (Value operand : op.getOperands())
      state.addOperands(lookup(operand));
    state.addTypes(vectorOf(op.getResult(0).getType()));
    state.addAttributes(op.getAttrs());
    map.map(op.getResult(0), b.create(state)->getResult(0));
  }
  return lookup(cast<YieldOp>(block.getTerminator()).getValues()[0]);
}

void Expander::expandStep(OnlineStepOp op) {
  Value qn = op.getRows();
  Value kn = memref::DimOp::create(b, loc, op.getK(), 0);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  // st: the [kn, qn] key-major score tile.
  Value st = memref::SubViewOp::create(b, loc, op.getScores(),
                                       ArrayRef<OpFoldResult>{zero, zero},
                                       ArrayRef<OpFoldResult>{kn, qn},
                                       ArrayRef<OpFoldResult>{one, one});

  // Score rows are read and written `width` lanes at a time. Where the
  // scratch holds whole vectors (its static row length a multiple of the
  // width) they go through the [kn, row length] view in bounds, plain
  // vector loads and stores: lanes past qn hold scratch values that only
  // reach the statistics of rows past qn, which are never stored, and the
  // p^T v product reads the first qn columns only. Otherwise they are
  // masked at qn (AVX2 has no cheap masked store: vmaskmovps to memory
  // made a fifth of an AVX2 kernel's time on AMD Zen 4).
  const int64_t rowLength =
      cast<MemRefType>(op.getScores().getType()).getDimSize(1);
  const bool wholeVectors =
      !ShapedType::isDynamic(rowLength) && rowLength % width == 0;
  Value rows = st;
  if (wholeVectors)
    rows = memref::SubViewOp::create(
        b, loc, op.getScores(), ArrayRef<OpFoldResult>{zero, zero},
        ArrayRef<OpFoldResult>{kn, b.getIndexAttr(rowLength)},
        ArrayRef<OpFoldResult>{one, one});

  // s = scale * q k^T. A full query tile (qn = the scratch's static row
  // length, qt as wide) goes through the [kn, row length] view: its static
  // width lets tile_qk store whole vectors where it would otherwise mask
  // every store at qn (vmaskmovps on AVX2). A partial tile (the last one,
  // or a few decode queries) keeps the [kn, qn] view.
  const bool wholeRowsForQK =
      wholeVectors &&
      cast<MemRefType>(op.getQt().getType()).getDimSize(1) == rowLength;
  if (wholeRowsForQK) {
    Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, qn,
                                       idx(rowLength));
    auto ifFull = scf::IfOp::create(b, loc, full, /*withElse=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifFull.thenBlock());
    TileQKOp::create(b, loc, op.getQt(), op.getK(), rows, op.getScaleAttr());
    b.setInsertionPointToStart(ifFull.elseBlock());
    TileQKOp::create(b, loc, op.getQt(), op.getK(), st, op.getScaleAttr());
  } else {
    TileQKOp::create(b, loc, op.getQt(), op.getK(), st, op.getScaleAttr());
  }

  // s = score(s, i, j) on every element.
  if (!op.getScore().empty())
    forEach(kn, [&](Value j) {
      forEach(qn, [&](Value i) {
        Value x = memref::LoadOp::create(b, loc, st, ValueRange{j, i});
        Value qi = arith::AddIOp::create(b, loc, op.getQ0(), i);
        Value kj = arith::AddIOp::create(b, loc, op.getK0(), j);
        Value y = inlineRegion(op.getScore(), {x, qi, kj});
        memref::StoreOp::create(b, loc, y, st, ValueRange{j, i});
      });
    });

  // s = -inf where the mask forbids the pair, in blocks that need it.
  if (!op.getMask().empty()) {
    auto ifMasked = scf::IfOp::create(b, loc, op.getNeedsMask(), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifMasked.thenBlock());
    // Position-only masks run `width` queries at a time.
    auto vecLoop = scf::ForOp::create(b, loc, idx(0), kn, idx(1));
    b.setInsertionPointToStart(vecLoop.getBody());
    Value j = vecLoop.getInductionVar();
    auto indexVec = VectorType::get({width}, b.getIndexType());
    auto inner = scf::ForOp::create(b, loc, idx(0), qn, idx(width));
    b.setInsertionPointToStart(inner.getBody());
    Value i = inner.getInductionVar();
    Value lanes = vector::StepOp::create(b, loc, indexVec);
    Value qi = arith::AddIOp::create(
        b, loc,
        vector::BroadcastOp::create(
            b, loc, indexVec, arith::AddIOp::create(b, loc, op.getQ0(), i)),
        lanes);
    Value kj = vector::BroadcastOp::create(
        b, loc, indexVec, arith::AddIOp::create(b, loc, op.getK0(), j));
    if (Value allowed = vectorizeRegion(op.getMask(), {qi, kj})) {
      Value x = vector::TransferReadOp::create(b, loc, vecType(), st,
                                               ValueRange{j, i}, f32(-kInf),
                                               ArrayRef<bool>{false});
      Value y = arith::SelectOp::create(b, loc, allowed, x, splat(-kInf));
      vector::TransferWriteOp::create(b, loc, y, st, ValueRange{j, i},
                                      ArrayRef<bool>{false});
    } else {
      // Masks that read operands (documents, explicit masks, global
      // tokens): element by element.
      vecLoop.erase();
      b.setInsertionPointToStart(ifMasked.thenBlock());
      forEach(kn, [&](Value j) {
        forEach(qn, [&](Value i) {
          Value qi = arith::AddIOp::create(b, loc, op.getQ0(), i);
          Value kj = arith::AddIOp::create(b, loc, op.getK0(), j);
          Value allowed = inlineRegion(op.getMask(), {qi, kj});
          Value x = memref::LoadOp::create(b, loc, st, ValueRange{j, i});
          Value y = arith::SelectOp::create(b, loc, allowed, x, f32(-kInf));
          memref::StoreOp::create(b, loc, y, st, ValueRange{j, i});
        });
      });
    }
  }

  // Online softmax for `width` queries at a time: the statistics are vectors.
  Value m = op.getM(), l = op.getL(), alphaBuf = op.getAlpha();
  auto read = [&](Value buf, ValueRange at, float pad) -> Value {
    return vector::TransferReadOp::create(b, loc, vecType(), buf, at, f32(pad),
                                          ArrayRef<bool>{wholeVectors});
  };
  auto write = [&](Value x, Value buf, ValueRange at) {
    vector::TransferWriteOp::create(b, loc, x, buf, at,
                                    ArrayRef<bool>{wholeVectors});
  };
  scf::ForOp::create(
      b, loc, idx(0), qn, idx(width), ValueRange{},
      [&](OpBuilder &, Location, Value i, ValueRange) {
        // The first qn entries of m, l and alpha are this tile's rows.
        Value rowsLeft = arith::SubIOp::create(b, loc, qn, i);
        Value lanes = vector::CreateMaskOp::create(
            b, loc, VectorType::get({width}, b.getI1Type()),
            ValueRange{rowsLeft});
        auto readRows = [&](Value buf, float pad) -> Value {
          return vector::MaskedLoadOp::create(b, loc, vecType(), buf,
                                              ValueRange{i}, lanes, splat(pad));
        };
        auto writeRows = [&](Value buf, Value x) {
          vector::MaskedStoreOp::create(b, loc, buf, ValueRange{i}, lanes, x);
        };
        // new max = max(old max, max_j s[j, :])
        Value mOld = readRows(m, -kInf);
        auto maxLoop = scf::ForOp::create(
            b, loc, idx(0), kn, idx(1), ValueRange{splat(-kInf)},
            [&](OpBuilder &, Location, Value j, ValueRange acc) {
              Value x = read(rows, ValueRange{j, i}, -kInf);
              scf::YieldOp::create(
                  b, loc, ValueRange{arith::MaximumFOp::create(b, loc, acc[0], x)});
            });
        // Rows with no allowed key so far subtract 0, not -inf; alpha =
        // exp(old max - new max) rescales what was accumulated.
        RowRescale rescale = rescaleRow(
            b, loc, mOld, maxLoop.getResult(0),
            [&](Value x) { return math::ExpOp::create(b, loc, x); });
        Value mNew = rescale.mNew, mSafe = rescale.mSafe,
              alpha = rescale.alpha;
        // p = exp(s - new max), written back over s; l = l * alpha + sum_j p
        auto sumLoop = scf::ForOp::create(
            b, loc, idx(0), kn, idx(1),
            ValueRange{arith::MulFOp::create(b, loc, readRows(l, 0.0f), alpha)},
            [&](OpBuilder &, Location, Value j, ValueRange acc) {
              Value x = read(rows, ValueRange{j, i}, -kInf);
              Value p = math::ExpOp::create(
                  b, loc, arith::SubFOp::create(b, loc, x, mSafe));
              write(p, rows, ValueRange{j, i});
              scf::YieldOp::create(
                  b, loc, ValueRange{arith::AddFOp::create(b, loc, acc[0], p)});
            });
        writeRows(l, sumLoop.getResult(0));
        writeRows(m, mNew);
        writeRows(alphaBuf, alpha);
        scf::YieldOp::create(b, loc);
      });

  // acc = alpha * acc + p^T v
  TilePVOp::create(b, loc, st, op.getV(), op.getAcc(), alphaBuf);
  op.erase();
}

void Expander::expandFinalize(OnlineFinalizeOp op) {
  Value out = op.getOut();
  Value qn = memref::DimOp::create(b, loc, out, 0);
  auto outType = cast<MemRefType>(out.getType());
  auto outVec = VectorType::get({width}, outType.getElementType());
  const int64_t dv = outType.getDimSize(1);
  forEach(qn, [&](Value i) {
    Value l = memref::LoadOp::create(b, loc, op.getL(), ValueRange{i});
    // A row that saw no allowed key has l = 0: output 0, LSE -inf.
    RowNormalizer row = normalizeRow(b, loc, l);
    Value invSplat = vector::BroadcastOp::create(b, loc, vecType(), row.inv);
    for (int64_t c = 0; c < dv; c += width) {
      bool inBounds = c + width <= dv;
      Value at = idx(c);
      Value x = vector::TransferReadOp::create(b, loc, vecType(), op.getAcc(),
                                               ValueRange{i, at}, f32(0.0f),
                                               ArrayRef<bool>{inBounds});
      Value y = arith::MulFOp::create(b, loc, x, invSplat);
      if (outVec != vecType())
        y = arith::TruncFOp::create(b, loc, outVec, y);
      vector::TransferWriteOp::create(b, loc, y, out, ValueRange{i, at},
                                      ArrayRef<bool>{inBounds});
    }
    if (Value lse = op.getLse()) {
      Value m = memref::LoadOp::create(b, loc, op.getM(), ValueRange{i});
      memref::StoreOp::create(
          b, loc, rowLogSumExp(b, loc, m, l, row.empty, /*exp2Domain=*/false),
          lse, ValueRange{i});
    }
  });
  op.erase();
}

struct AttnOnlineSoftmax : impl::AttnOnlineSoftmaxBase<AttnOnlineSoftmax> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth <= 0) {
      getOperation()->emitError()
          << "attn-online-softmax: vector-width must be positive, got "
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<OnlineStepOp, OnlineFinalizeOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Expander e{b, op->getLoc(), vectorWidth};
      if (auto step = dyn_cast<OnlineStepOp>(op))
        e.expandStep(step);
      else
        e.expandFinalize(cast<OnlineFinalizeOp>(op));
    }
  }
};

} // namespace
} // namespace mlir::attn
