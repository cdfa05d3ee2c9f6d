//===- Tile.cpp - attn.attention into q-block x kv-block loops ------------===//
//
// Rewrites attn.attention (tensors) into a parallel loop over (batch, head,
// q-block) and, inside it, a loop over key blocks whose bounds come from the
// mask: causal, window and key-padding limits shrink [lo, hi), documents and
// Longformer global tokens skip whole blocks, and blocks proven fully allowed
// run without per-element masking. Rotary embeddings turn the transposed Q
// tile once per q-block and the keys once per call (a rotated copy). Each key
// block is one attn.online_step;
// attn.online_finalize writes the q-block's rows. Operands become memrefs
// through bufferization.to_buffer, results come from fresh allocations, so
// One-Shot Bufferize can take the function boundary afterwards.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/Passes.h"
#include "Attn/Transforms/RotaryMath.h"
#include "MaskLogic.h"

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
  // The rank-reduced view keeps exactly the S and D dims of the full one:
  // with cols == 1, inferring the reduction may keep the head or batch dim
  // (also of size 1) as the column, with a stride the vector lowering
  // cannot take.
  MemRefType full =
      memref::SubViewOp::inferResultType(type, offsets, sizes, strides);
  auto [fullStrides, fullOffset] = full.getStridesAndOffset();
  const int64_t s = layout == Layout::bhsd ? 2 : 1;
  auto resultType = MemRefType::get(
      {full.getDimSize(s), cols}, type.getElementType(),
      StridedLayoutAttr::get(b.getContext(), fullOffset,
                             {fullStrides[s], fullStrides[3]}));
  return memref::SubViewOp::create(b, loc, resultType, buf, offsets, sizes,
                                   strides);
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

  AttentionBuffers bufs = bufferizeOperands(b, loc, op);
  Value q = bufs.q, k = bufs.k, v = bufs.v;

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

  // Rotary embeddings: cos/sin tables over every position, and the keys
  // rotated once per (batch, KV head) into a BHSD copy that the key blocks
  // read (rotating them per key block would redo it for every q-block).
  RotaryAttr rotary = op.getRotaryAttr();
  RotaryTables tables;
  Value kRot;
  Layout kLayout = layout;
  if (rotary) {
    auto [first, positions] = rotaryTableExtent(b, loc, Lq, Lk);
    tables = buildRotaryTables(b, loc, rotary, first, positions);
    Type kElem = cast<MemRefType>(k.getType()).getElementType();
    kRot = memref::AllocOp::create(
        b, loc,
        MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic,
                         ShapedType::kDynamic, D},
                        kElem),
        ValueRange{B, Hkv, Lk});
    auto keys = scf::ParallelOp::create(b, loc, ValueRange{m.c(0), m.c(0)},
                                        ValueRange{B, Hkv},
                                        ValueRange{m.c(1), m.c(1)});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(keys.getBody());
    Value kb = keys.getInductionVars()[0], kh = keys.getInductionVars()[1];
    Value rows = tileView(b, loc, kRot, Layout::bhsd, kb, kh, m.c(0), Lk, D);
    linalg::CopyOp::create(b, loc,
                           tileView(b, loc, k, layout, kb, kh, m.c(0), Lk, D),
                           rows);
    rotateRows(b, loc, rotary, tables, rows, /*transposed=*/false, m.c(0), Lk);
    k = kRot;
    kLayout = Layout::bhsd;
  }

  Value numQBlocks = m.ceilDiv(Lq, m.c(blockQ));
  auto par = scf::ParallelOp::create(
      b, loc, ValueRange{m.c(0), m.c(0), m.c(0)}, ValueRange{B, Hq, numQBlocks},
      ValueRange{m.c(1), m.c(1), m.c(1)});
  b.setInsertionPointToStart(par.getBody());
  Value bi = par.getInductionVars()[0], hi = par.getInductionVars()[1],
        qb = par.getInductionVars()[2];

  // Per-tile scratch is on the heap, freed at the end of each q-block: its
  // size grows with block-q, block-kv and D, which no stack bounds, and a
  // stack allocation inside the loop was left unreleased in the sequential
  // JIT path (an alloca scope that canonicalization inlined), which
  // overflowed the stack after a few hundred tiles.
  SmallVector<Value> scratch;
  auto alloc = [&](MemRefType type) {
    scratch.push_back(memref::AllocOp::create(b, loc, type));
    return scratch.back();
  };

  Value q0 = m.mul(qb, m.c(blockQ));
  Value qn = m.min(m.c(blockQ), m.sub(Lq, q0));
  Value kvh = m.div(hi, group);
  Value off = m.sub(Lk, Lq);

  // Running state of the online softmax: max, sum, unnormalized output.
  Type f32 = b.getF32Type();
  Value mState = alloc(MemRefType::get({blockQ}, f32));
  Value lState = alloc(MemRefType::get({blockQ}, f32));
  Value acc = alloc(MemRefType::get({blockQ, Dv}, f32));
  auto fill = [&](Value buf, double value) {
    Value cst = arith::ConstantFloatOp::create(
        b, loc, cast<FloatType>(f32), APFloat(static_cast<float>(value)));
    linalg::FillOp::create(b, loc, ValueRange{cst}, ValueRange{buf});
  };
  // Scratch: key-major scores, the per-row rescale, the transposed Q tile.
  Value scores = alloc(MemRefType::get({blockKV, blockQ}, f32));
  Value alpha = alloc(MemRefType::get({blockQ}, f32));
  Type qElem = cast<MemRefType>(q.getType()).getElementType();
  Value qt = alloc(MemRefType::get({D, blockQ}, qElem));
  fill(mState, -std::numeric_limits<double>::infinity());
  fill(lState, 0.0);
  fill(acc, 0.0);

  // Key range [lo, hi) that any row of this q-block may see.
  QueryBlock qblock{bi, hi, q0, qn, off, Lk};
  auto [lo, hiKey] = keyRange(m, op, bufs, qblock);

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
    if (rotary)
      rotateRows(b, loc, rotary, tables, qt, /*transposed=*/true,
                 m.add(off, q0), qn);
  }

  // Per-q-block facts for block skipping.
  QueryBlockFacts facts = queryBlockFacts(m, bufs, qblock);

  auto kvLoop = scf::ForOp::create(b, loc, lo, hiKey, m.c(blockKV));
  b.setInsertionPointToStart(kvLoop.getBody());
  Value k0 = kvLoop.getInductionVar();
  Value kn = m.min(m.c(blockKV), m.sub(hiKey, k0));

  // visit: the block may hold an allowed pair; full: every pair is allowed.
  auto [visit, full] = keyBlockFacts(m, op, bufs, qblock, facts, k0, kn);

  auto ifVisit = scf::IfOp::create(b, loc, visit, /*withElse=*/false);
  b.setInsertionPointToStart(ifVisit.thenBlock());
  Value kTile = tileView(b, loc, k, kLayout, bi, kvh, k0, kn, D);
  Value vTile = tileView(b, loc, v, layout, bi, kvh, k0, kn, Dv);
  Value needsMask = arith::XOrIOp::create(b, loc, full, m.boolean(true));
  auto step = OnlineStepOp::create(
      b, loc, qt, kTile, vTile, mState, lState, acc, scores, alpha, qn, q0,
      k0, needsMask,
      b.getF64FloatAttr(op.getScaleOrDefault()));

  // mask(i, j): every per-element condition of the spec.
  if (hasMask(op)) {
    Type index = b.getIndexType();
    Block *body = b.createBlock(&step.getMask(), {}, {index, index},
                                {loc, loc});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(body);
    Value ok = allowedPair(m, op, bufs, qblock, body->getArgument(0),
                           body->getArgument(1));
    YieldOp::create(b, loc, ValueRange{ok});
  }

  // score(s, i, j) = s + bias[b, h, i, j].
  if (bufs.bias) {
    Type index = b.getIndexType();
    Block *body = b.createBlock(&step.getScore(), {}, {f32, index, index},
                                {loc, loc, loc});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(body);
    Value add = biasAt(m, bufs, qblock, body->getArgument(1),
                       body->getArgument(2));
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
  for (Value buf : scratch)
    memref::DeallocOp::create(b, loc, buf);

  b.setInsertionPointAfter(par);
  if (rotary)
    for (Value buf : {tables.cos, tables.sin, kRot})
      memref::DeallocOp::create(b, loc, buf);
  replaceWithBuffers(b, op, out, lse);
  return success();
}

struct AttnTile : impl::AttnTileBase<AttnTile> {
  using Base::Base;
  static constexpr int64_t kMaxBlock = 4096;

  void runOnOperation() override {
    // Each (batch, head, q-block) task allocates block-kv x block-q scores
    // and the block-q x D tiles on the heap; past kMaxBlock that is
    // gigabytes per thread (and the sizes overflow soon after), which would
    // only fail as a null allocation inside the kernel.
    if (blockQ <= 0 || blockKV <= 0 || blockQ > kMaxBlock ||
        blockKV > kMaxBlock) {
      getOperation()->emitError()
          << "attn-tile: block sizes must be in [1, " << kMaxBlock
          << "], got block-q = " << static_cast<int64_t>(blockQ)
          << " and block-kv = " << static_cast<int64_t>(blockKV);
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
