//===- MaskLogic.h - mask predicates and key ranges of attn.attention -*- C++ -*-===//
//
// What the CPU tiler and the GPU lowering both derive from an attn.attention:
// its operands as memrefs, the key range a block of query rows may see, which
// key blocks can be skipped or need no per-element mask, and the per-pair
// predicate and bias. One implementation, so both targets mask alike.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_MASKLOGIC_H
#define ATTN_TRANSFORMS_MASKLOGIC_H

#include "Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {

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
  /// An f32 constant, and `x` widened to f32 (f16/bf16) or unchanged.
  Value f32(float v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(v));
  }
  Value toF32(Value x) {
    return x.getType().isF32()
               ? x
               : arith::ExtFOp::create(b, loc, b.getF32Type(), x).getResult();
  }
  /// scf.for from lo to hi by step carrying `init`; `body(iv, carried)`
  /// returns the values to yield. Returns the loop's results.
  SmallVector<Value>
  loop(Value lo, Value hi, Value step, ValueRange init,
       function_ref<SmallVector<Value>(Value, ValueRange)> body);
};

/// The op's operands as memrefs (null where absent).
struct AttentionBuffers {
  Value q, k, v, bias, mask, lens, docQ, docK, global;
};

/// bufferization.to_buffer of one tensor (null stays null), with the
/// function boundary's fully dynamic layout, cast to unit innermost stride.
Value bufferizeOperand(OpBuilder &b, Location loc, Value tensor);

/// A fresh buffer for result tensor type `t`, its dynamic sizes `sizes`.
Value allocResult(OpBuilder &b, Location loc, RankedTensorType t,
                  ValueRange sizes);

/// bufferization.to_buffer of every operand, with the function boundary's
/// fully dynamic layout, cast to unit innermost stride (rows are
/// contiguous; the runtime checks it).
AttentionBuffers bufferizeOperands(OpBuilder &b, Location loc, AttentionOp op);

/// Replaces the op's results by tensors of the buffers `out` and `lse`
/// (bufferization.to_tensor, restrict: nothing else aliases them) and erases
/// the op.
void replaceWithBuffers(OpBuilder &b, Operation *op, Value out,
                        Value lse = Value());

/// Element of a [B|1, H|1, Lq|1, Lk|1] buffer at (b, h, i, j), reading index
/// 0 along broadcast (size-1) dims.
Value loadBroadcast(IndexMath &m, Value buf, ArrayRef<Value> idx);

/// (min, max) of the integer ids buf[b, start .. start+count) as i64.
std::pair<Value, Value> idRange(IndexMath &m, Value buf, Value bi, Value start,
                                Value count);

/// Whether any flag in buf[b, start .. start+count) is set.
Value anyFlag(IndexMath &m, Value buf, Value bi, Value start, Value count);

/// Positions of one q-block: rows [q0, q0 + qn) of batch `bi`, head `hi`,
/// with off = Lk - Lq.
struct QueryBlock {
  Value bi, hi, q0, qn, off, kvLen;
};

/// [lo, hi) of the keys any row of `qb` may see under causal, window and key
/// padding (hi >= lo). Global tokens keep the whole range.
std::pair<Value, Value> keyRange(IndexMath &m, AttentionOp op,
                                 const AttentionBuffers &bufs,
                                 const QueryBlock &qb);

/// Per-q-block facts that block skipping needs (document id range, any
/// global query), computed once per q-block.
struct QueryBlockFacts {
  Value docMin, docMax, hasGlobal;
};
QueryBlockFacts queryBlockFacts(IndexMath &m, const AttentionBuffers &bufs,
                                const QueryBlock &qb);

/// For keys [k0, k0 + kn): `visit` (some pair may be allowed) and `full`
/// (every pair of the block is allowed, so no per-element mask is needed).
std::pair<Value, Value> keyBlockFacts(IndexMath &m, AttentionOp op,
                                      const AttentionBuffers &bufs,
                                      const QueryBlock &qb,
                                      const QueryBlockFacts &facts, Value k0,
                                      Value kn);

/// Whether the spec has any per-element mask at all.
bool hasMask(AttentionOp op);

/// The keys row `i` may see under causal and window alone: the interval
/// [lo, hi] (absolute, inclusive; a null bound is unbounded). Only valid
/// without global tokens, which widen the window beyond one interval. A
/// kernel can test each column against two per-row limits with it instead
/// of building the band predicate per pair.
struct RowBand {
  Value lo, hi;
};
RowBand rowBand(IndexMath &m, AttentionOp op, const QueryBlock &qb, Value i);

/// allowed(i, j) at absolute positions: every mask kind of the spec, or
/// with `band` false every kind but causal and window (see rowBand).
Value allowedPair(IndexMath &m, AttentionOp op, const AttentionBuffers &bufs,
                  const QueryBlock &qb, Value i, Value j, bool band = true);

/// bias[b, h, i, j] as f32 (broadcast dims read at 0).
Value biasAt(IndexMath &m, const AttentionBuffers &bufs, const QueryBlock &qb,
             Value i, Value j);

} // namespace mlir::attn

#endif // ATTN_TRANSFORMS_MASKLOGIC_H
