//===- Tile.cpp - attn.attention into q-block x kv-block loops ------------===//
//
// Rewrites attn.attention (tensors) into a parallel loop over (batch, head,
// q-block) and, inside it, a loop over key blocks whose bounds come from the
// mask: causal, window and key-padding limits shrink [lo, hi), documents and
// Longformer global tokens skip whole blocks, and blocks proven fully allowed
// run without per-element masking. Each key block is one attn.online_step;
// attn.online_finalize writes the q-block's rows. Operands become memrefs
// through bufferization.to_buffer, results come from fresh allocations, so
// One-Shot Bufferize can take the function boundary afterwards.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include <limits>

#define DEBUG_TYPE "attn-tile"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTILE
#include "Attn/Transforms/Passes.h.inc"

namespace {

/// Index arithmetic with folding, on one builder and location.
struct IndexMath {
  OpBuilder &b;
  Location loc;

  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return b.createOrFold<arith::AddIOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.createOrFold<arith::SubIOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.createOrFold<arith::MulIOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.createOrFold<arith::DivUIOp>(loc, x, y); }
  Value ceilDiv(Value x, Value y) {
    return b.createOrFold<arith::CeilDivUIOp>(loc, x, y);
  }
  Value min(Value x, Value y) { return b.createOrFold<arith::MinSIOp>(loc, x, y); }
  Value max(Value x, Value y) { return b.createOrFold<arith::MaxSIOp>(loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return b.createOrFold<arith::CmpIOp>(loc, p, x, y);
  }
  Value le(Value x, Value y) { return cmp(arith::CmpIPredicate::sle, x, y); }
  Value lt(Value x, Value y) { return cmp(arith::CmpIPredicate::slt, x, y); }
  Value eq(Value x, Value y) { return cmp(arith::CmpIPredicate::eq, x, y); }
  Value andI(Value x, Value y) {
    return b.createOrFold<arith::AndIOp>(loc, x, y);
  }
  Value orI(Value x, Value y) { return b.createOrFold<arith::OrIOp>(loc, x, y); }
  Value boolean(bool v) {
    return arith::ConstantIntOp::create(b, loc, b.getI1Type(), v);
  }
  Value dim(Value memref, int64_t i) {
    return b.createOrFold<memref::DimOp>(loc, memref, i);
  }
  /// An integer element as a signed index.
  Value loadIndex(Value memref, ValueRange idx) {
    Value v = memref::LoadOp::create(b, loc, memref, idx);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
};

/// memref type of `tensor` with dynamic strides and offset, the innermost
/// stride 1 if `unitInner`. Any caller layout with contiguous rows binds
/// without a copy.
MemRefType stridedBufferType(RankedTensorType t, bool unitInner) {
  SmallVector<int64_t> strides(t.getRank(), ShapedType::kDynamic);
  if (!strides.empty() && unitInner)
    strides.back() = 1;
  auto layout =
      StridedLayoutAttr::get(t.getContext(), ShapedType::kDynamic, strides);
  return MemRefType::get(t.getShape(), t.getElementType(), layout);
}

/// A rank-reduced [rows, cols] view of a rank-4 buffer at logical
/// (b, h, s0, 0), sizes (rows, cols), stored in `layout`.
Value tileView(OpBuilder &b, Location loc, Value buf, Layout layout, Value bi,
               Value hi, Value s0, Value rows, int64_t cols) {
  auto type = cast<MemRefType>(buf.getType());
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> offsets, sizes;
  if (layout == Layout::bhsd) {
    offsets = {bi, hi, s0, zero};
    sizes = {one, one, rows, b.getIndexAttr(cols)};
  } else {
    offsets = {bi, s0, hi, zero};
    sizes = {one, rows, one, b.getIndexAttr(cols)};
  }
  SmallVector<OpFoldResult> strides(4, one);
  MemRefType resultType = memref::SubViewOp::inferRankReducedResultType(
      {ShapedType::kDynamic, cols}, type, offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, resultType, buf, offsets, sizes,
                                   strides);
}

/// Element of a [B|1, H|1, Lq|1, Lk|1] buffer at (b, h, i, j), reading index
/// 0 along broadcast (size-1) dims.
Value loadBroadcast(IndexMath &m, Value buf, ArrayRef<Value> idx) {
  auto type = cast<MemRefType>(buf.getType());
  SmallVector<Value> at;
  for (auto [d, v] : llvm::enumerate(idx)) {
    int64_t size = type.getDimSize(d);
    if (size == 1) {
      at.push_back(m.c(0));
    } else if (ShapedType::isDynamic(size)) {
      // A dynamic dim may still be 1 at run time: broadcast then.
      Value isOne = m.eq(m.dim(buf, d), m.c(1));
      at.push_back(arith::SelectOp::create(m.b, m.loc, isOne, m.c(0), v));
    } else {
      at.push_back(v);
    }
  }
  return memref::LoadOp::create(m.b, m.loc, buf, at);
}

/// (min, max) of the integer ids buf[b, start .. start+count) as i64.
std::pair<Value, Value> idRange(IndexMath &m, Value buf, Value bi, Value start,
                                Value count) {
  OpBuilder &b = m.b;
  Type i64 = b.getI64Type();
  Value lo = arith::ConstantIntOp::create(b, m.loc, i64,
                                          std::numeric_limits<int64_t>::max());
  Value hi = arith::ConstantIntOp::create(b, m.loc, i64,
                                          std::numeric_limits<int64_t>::min());
  auto loop = scf::ForOp::create(
      b, m.loc, start, m.add(start, count), m.c(1), ValueRange{lo, hi},
      [&](OpBuilder &nb, Location loc, Value j, ValueRange acc) {
        Value id = memref::LoadOp::create(nb, loc, buf, ValueRange{bi, j});
        if (id.getType() != i64)
          id = arith::ExtSIOp::create(nb, loc, i64, id);
        scf::YieldOp::create(
            nb, loc,
            ValueRange{arith::MinSIOp::create(nb, loc, acc[0], id),
                       arith::MaxSIOp::create(nb, loc, acc[1], id)});
      });
  return {loop.getResult(0), loop.getResult(1)};
}

/// Whether any flag in buf[b, start .. start+count) is set.
Value anyFlag(IndexMath &m, Value buf, Value bi, Value start, Value count) {
  auto loop = scf::ForOp::create(
      m.b, m.loc, start, m.add(start, count), m.c(1),
      ValueRange{m.boolean(false)},
      [&](OpBuilder &nb, Location loc, Value j, ValueRange acc) {
        Value g = memref::LoadOp::create(nb, loc, buf, ValueRange{bi, j});
        scf::YieldOp::create(nb, loc,
                             ValueRange{arith::OrIOp::create(nb, loc, acc[0], g)});
      });
  return loop.getResult(0);
}

struct Tiler {
  AttentionOp op;
  int64_t blockQ, blockKV;

  LogicalResult run();
};

LogicalResult Tiler::run() {
  OpBuilder b(op);
  Location loc = op.getLoc();
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();
  const AttentionDims dims = op.getDims();
  const int64_t D = dims.headDim, Dv = dims.valueDim;
  const std::optional<WindowAttr> window =
      op.getWindowAttr() ? std::optional<WindowAttr>(op.getWindowAttr())
                         : std::nullopt;
  const CausalKind causal = op.getCausal();

  auto toBuffer = [&](Value t) -> Value {
    if (!t)
      return {};
    // The buffer takes the function boundary's fully dynamic layout; the
    // cast then records that rows are contiguous (the runtime checks it).
    auto type = cast<RankedTensorType>(t.getType());
    Value buf = bufferization::ToBufferOp::create(
        b, loc, stridedBufferType(type, false), t, /*read_only=*/true);
    return memref::CastOp::create(b, loc, stridedBufferType(type, true), buf);
  };
  Value q = toBuffer(op.getQuery()), k = toBuffer(op.getKey()),
        v = toBuffer(op.getValue());
  Value bias = toBuffer(op.getBias()), mask = toBuffer(op.getMask());
  Value lens = toBuffer(op.getKvLengths());
  Value docQ = toBuffer(op.getDocQ()), docK = toBuffer(op.getDocK());
  Value global = toBuffer(op.getGlobalTokens());

  // Logical dims, from the buffers where dynamic.
  auto storedIndex = [&](int64_t logical) -> int64_t {
    if (layout == Layout::bshd && (logical == 1 || logical == 2))
      return 3 - logical;
    return logical;
  };
  Value B = m.dim(q, 0), Hq = m.dim(q, storedIndex(1)),
        Hkv = m.dim(k, storedIndex(1)), Lq = m.dim(q, storedIndex(2)),
        Lk = m.dim(k, storedIndex(2));
  Value group = m.div(Hq, Hkv);

  // Results: fresh buffers, handed back as tensors.
  auto outTensorType = cast<RankedTensorType>(op.getOutput().getType());
  auto allocLike = [&](RankedTensorType t, ValueRange dynSizes) -> Value {
    auto type = MemRefType::get(t.getShape(), t.getElementType());
    return memref::AllocOp::create(b, loc, type, dynSizes);
  };
  SmallVector<Value> outSizes;
  for (int64_t i = 0; i < 4; ++i)
    if (outTensorType.isDynamicDim(i))
      outSizes.push_back(m.dim(q, i)); // O shares Q's stored B, H, L dims
  Value out = allocLike(outTensorType, outSizes);
  Value lse;
  if (TypedValue<RankedTensorType> lseResult = op.getLse()) {
    SmallVector<Value> sizes;
    Value logical[3] = {B, Hq, Lq};
    for (int64_t i = 0; i < 3; ++i)
      if (lseResult.getType().isDynamicDim(i))
        sizes.push_back(logical[i]);
    lse = allocLike(lseResult.getType(), sizes);
  }

  Value numQBlocks = m.ceilDiv(Lq, m.c(blockQ));
  auto par = scf::ParallelOp::create(
      b, loc, ValueRange{m.c(0), m.c(0), m.c(0)}, ValueRange{B, Hq, numQBlocks},
      ValueRange{m.c(1), m.c(1), m.c(1)});
  b.setInsertionPointToStart(par.getBody());
  Value bi = par.getInductionVars()[0], hi = par.getInductionVars()[1],
        qb = par.getInductionVars()[2];

  // Scratch lives in an alloca scope so each q-block frees its stack, also
  // when the loop runs sequentially.
  auto scope = memref::AllocaScopeOp::create(b, loc, TypeRange{});
  b.setInsertionPointToStart(b.createBlock(&scope.getBodyRegion()));

  Value q0 = m.mul(qb, m.c(blockQ));
  Value qn = m.min(m.c(blockQ), m.sub(Lq, q0));
  Value qLast = m.sub(m.add(q0, qn), m.c(1));
  Value kvh = m.div(hi, group);
  Value off = m.sub(Lk, Lq);

  // Running state of the online softmax: max, sum, unnormalized output.
  Type f32 = b.getF32Type();
  Value mState = memref::AllocaOp::create(b, loc, MemRefType::get({blockQ}, f32));
  Value lState = memref::AllocaOp::create(b, loc, MemRefType::get({blockQ}, f32));
  Value acc =
      memref::AllocaOp::create(b, loc, MemRefType::get({blockQ, Dv}, f32));
  auto fill = [&](Value buf, double value) {
    Value cst = arith::ConstantFloatOp::create(
        b, loc, cast<FloatType>(f32), APFloat(static_cast<float>(value)));
    linalg::FillOp::create(b, loc, ValueRange{cst}, ValueRange{buf});
  };
  // Scratch: key-major scores, the per-row rescale, the transposed Q tile.
  Value scores =
      memref::AllocaOp::create(b, loc, MemRefType::get({blockKV, blockQ}, f32));
  Value alpha = memref::AllocaOp::create(b, loc, MemRefType::get({blockQ}, f32));
  Type qElem = cast<MemRefType>(q.getType()).getElementType();
  Value qt = memref::AllocaOp::create(b, loc, MemRefType::get({D, blockQ}, qElem));
  fill(mState, -std::numeric_limits<double>::infinity());
  fill(lState, 0.0);
  fill(acc, 0.0);

  // Key range [lo, hi) that any row of this q-block may see.
  Value lo = m.c(0), hiKey = Lk;
  bool banded = window && !global;
  if (causal == CausalKind::bottom_right)
    hiKey = m.min(hiKey, m.add(m.add(q0, qn), off));
  if (causal == CausalKind::top_left)
    hiKey = m.min(hiKey, m.add(q0, qn));
  if (banded) {
    lo = m.max(lo, m.sub(m.add(q0, off), m.c(window->getLeft())));
    hiKey = m.min(hiKey,
                  m.add(m.add(qLast, off), m.c(window->getRight() + 1)));
  }
  Value len;
  if (lens) {
    len = m.loadIndex(lens, ValueRange{bi});
    hiKey = m.min(hiKey, len);
  }
  hiKey = m.max(hiKey, lo);

  // qt[:, :qn] = Q tile^T, once per q-block.
  {
    Value qTile = tileView(b, loc, q, layout, bi, hi, q0, qn, D);
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
    Value qtView = memref::SubViewOp::create(
        b, loc, qt, ArrayRef<OpFoldResult>{zero, zero},
        ArrayRef<OpFoldResult>{b.getIndexAttr(D), qn},
        ArrayRef<OpFoldResult>{one, one});
    linalg::TransposeOp::create(b, loc, qTile, qtView,
                                ArrayRef<int64_t>{1, 0});
  }

  // Per-q-block facts for block skipping.
  Value qDocMin, qDocMax, qHasGlobal;
  if (docQ)
    std::tie(qDocMin, qDocMax) = idRange(m, docQ, bi, q0, qn);
  if (global)
    qHasGlobal = anyFlag(m, global, bi, q0, qn);

  auto kvLoop = scf::ForOp::create(b, loc, lo, hiKey, m.c(blockKV));
  b.setInsertionPointToStart(kvLoop.getBody());
  Value k0 = kvLoop.getInductionVar();
  Value kn = m.min(m.c(blockKV), m.sub(hiKey, k0));
  Value kLast = m.sub(m.add(k0, kn), m.c(1));

  // visit: the block may hold an allowed pair; full: every pair is allowed.
  Value visit = m.boolean(true), full = m.boolean(!mask);
  if (causal == CausalKind::bottom_right)
    full = m.andI(full, m.le(kLast, m.add(q0, off)));
  if (causal == CausalKind::top_left)
    full = m.andI(full, m.le(kLast, q0));
  if (window) {
    Value bandLo = m.sub(m.add(qLast, off), m.c(window->getLeft()));
    Value bandHi = m.add(m.add(q0, off), m.c(window->getRight()));
    full = m.andI(full, m.andI(m.le(bandLo, k0), m.le(kLast, bandHi)));
    if (global) {
      // The band of the whole q-block, widened by global rows and columns.
      Value anyLo = m.sub(m.add(q0, off), m.c(window->getLeft()));
      Value anyHi = m.add(m.add(qLast, off), m.c(window->getRight()));
      Value inBand = m.andI(m.le(anyLo, kLast), m.le(k0, anyHi));
      Value kHasGlobal = anyFlag(m, global, bi, k0, kn);
      visit = m.orI(inBand, m.orI(qHasGlobal, kHasGlobal));
    }
  }
  if (docQ) {
    auto [kDocMin, kDocMax] = idRange(m, docK, bi, k0, kn);
    auto sle = [&](Value x, Value y) {
      return m.cmp(arith::CmpIPredicate::sle, x, y);
    };
    visit = m.andI(visit, m.andI(sle(qDocMin, kDocMax), sle(kDocMin, qDocMax)));
    Value oneDoc = m.andI(m.eq(qDocMin, qDocMax),
                          m.andI(m.eq(kDocMin, kDocMax), m.eq(qDocMin, kDocMin)));
    full = m.andI(full, oneDoc);
  }

  auto ifVisit = scf::IfOp::create(b, loc, visit, /*withElse=*/false);
  b.setInsertionPointToStart(ifVisit.thenBlock());
  Value kTile = tileView(b, loc, k, layout, bi, kvh, k0, kn, D);
  Value vTile = tileView(b, loc, v, layout, bi, kvh, k0, kn, Dv);
  Value needsMask = arith::XOrIOp::create(b, loc, full, m.boolean(true));
  auto step = OnlineStepOp::create(
      b, loc, qt, kTile, vTile, mState, lState, acc, scores, alpha, qn, q0,
      k0, needsMask,
      b.getF64FloatAttr(op.getScaleOrDefault()));

  // mask(i, j): every per-element condition of the spec.
  bool anyMask = causal != CausalKind::none || window || docQ || mask;
  if (anyMask) {
    Type index = b.getIndexType();
    Block *body = b.createBlock(&step.getMask(), {}, {index, index},
                                {loc, loc});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(body);
    Value i = body->getArgument(0), j = body->getArgument(1);
    Value ok = m.boolean(true);
    if (causal == CausalKind::bottom_right)
      ok = m.andI(ok, m.le(j, m.add(i, off)));
    if (causal == CausalKind::top_left)
      ok = m.andI(ok, m.le(j, i));
    if (window) {
      Value inBand =
          m.andI(m.le(m.sub(m.add(i, off), m.c(window->getLeft())), j),
                 m.le(j, m.add(m.add(i, off), m.c(window->getRight()))));
      if (global) {
        Value gi = memref::LoadOp::create(b, loc, global, ValueRange{bi, i});
        Value gj = memref::LoadOp::create(b, loc, global, ValueRange{bi, j});
        inBand = m.orI(inBand, m.orI(gi, gj));
      }
      ok = m.andI(ok, inBand);
    }
    if (docQ) {
      Value di = memref::LoadOp::create(b, loc, docQ, ValueRange{bi, i});
      Value dj = memref::LoadOp::create(b, loc, docK, ValueRange{bi, j});
      if (di.getType() != dj.getType())
        return op.emitOpError("doc_q and doc_k element types differ");
      ok = m.andI(ok, m.eq(di, dj));
    }
    if (mask)
      ok = m.andI(ok, loadBroadcast(m, mask, {bi, hi, i, j}));
    YieldOp::create(b, loc, ValueRange{ok});
  }

  // score(s, i, j) = s + bias[b, h, i, j].
  if (bias) {
    Type index = b.getIndexType();
    Block *body = b.createBlock(&step.getScore(), {}, {f32, index, index},
                                {loc, loc, loc});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(body);
    Value add = loadBroadcast(
        m, bias, {bi, hi, body->getArgument(1), body->getArgument(2)});
    if (add.getType() != f32)
      add = arith::ExtFOp::create(b, loc, f32, add);
    YieldOp::create(b, loc,
                    ValueRange{arith::AddFOp::create(b, loc,
                                                     body->getArgument(0), add)});
  }

  // After the key loop: normalize this q-block's rows into O (and LSE).
  b.setInsertionPointAfter(kvLoop);
  Value outTile = tileView(b, loc, out, layout, bi, hi, q0, qn, Dv);
  Value lseTile;
  if (lse) {
    OpFoldResult one = b.getIndexAttr(1);
    SmallVector<OpFoldResult> offsets = {bi, hi, q0}, sizes = {one, one, qn},
                              strides = {one, one, one};
    auto type = memref::SubViewOp::inferRankReducedResultType(
        {ShapedType::kDynamic}, cast<MemRefType>(lse.getType()), offsets,
        sizes, strides);
    lseTile = memref::SubViewOp::create(b, loc, type, lse, offsets, sizes,
                                        strides);
  }
  OnlineFinalizeOp::create(b, loc, mState, lState, acc, outTile, lseTile);
  memref::AllocaScopeReturnOp::create(b, loc);

  // Replace the op's results.
  b.setInsertionPointAfter(par);
  SmallVector<Value> results = {bufferization::ToTensorOp::create(
      b, loc, outTensorType, out, /*restrict=*/true, /*writable=*/true)};
  if (lse)
    results.push_back(bufferization::ToTensorOp::create(
        b, loc, op.getLse().getType(), lse, true, true));
  op->replaceAllUsesWith(results);
  op->erase();
  return success();
}

struct AttnTile : impl::AttnTileBase<AttnTile> {
  using Base::Base;

  void runOnOperation() override {
    if (blockQ <= 0 || blockKV <= 0) {
      getOperation()->emitError() << "attn-tile: block sizes must be positive, "
                                     "got block-q = "
                                  << static_cast<int64_t>(blockQ)
                                  << " and block-kv = "
                                  << static_cast<int64_t>(blockKV);
      return signalPassFailure();
    }
    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops)
      if (failed(Tiler{op, blockQ, blockKV}.run()))
        return signalPassFailure();
  }
};

} // namespace
} // namespace mlir::attn
