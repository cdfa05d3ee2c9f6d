//===- RotaryMath.h - rotary position embeddings of q and k -----*- C++ -*-===//
//
// The rotation of #attn.rotary (AttnAttrs.td), built by the lowerings that
// apply it to q and k in their loads: pair f of a row at position pos turns
// by pos * theta^(-2f / dim), (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin),
// with x1, x2 = x[f], x[f + dim/2] (half_split) or x[2f], x[2f + 1]
// (interleaved).
//
// cos and sin come from tables [positions, dim / 2] (f32) computed once per
// call in f64: a position times a frequency reaches 10^4 radians and more,
// where an f32 angle would already be off by ~1e-3. The CPU tiler fills
// them with an scf.parallel, the GPU lowering with a kernel; both build
// each entry, and each turned pair, with the helpers below.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_ROTARYMATH_H
#define ATTN_TRANSFORMS_ROTARYMATH_H

#include "Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {

/// cos and sin of every (position, pair) for positions first .. first +
/// rows - 1: f32 buffers [rows, dim / 2]. Keys sit at 0 .. Lk - 1 and
/// queries at Lk - Lq .. Lk - 1, so first = min(Lk - Lq, 0) and rows =
/// max(Lk, Lq) (rotaryTableExtent).
struct RotaryTables {
  Value cos, sin, first;
};

/// (first, rows) of the tables for Lq queries against Lk keys.
std::pair<Value, Value> rotaryTableExtent(OpBuilder &b, Location loc, Value Lq,
                                          Value Lk);

/// The table rows of query i (position Lk - Lq + i) and of key j
/// (position j).
Value rotaryQueryRow(OpBuilder &b, Location loc, Value Lq, Value Lk, Value i);
Value rotaryKeyRow(OpBuilder &b, Location loc, Value Lq, Value Lk, Value j);

/// cos and sin (f32) of pair `f` (index) at position `pos` (index), from
/// an f64 angle.
std::pair<Value, Value> rotaryEntry(OpBuilder &b, Location loc, RotaryAttr r,
                                    Value pos, Value f);

/// The columns (x1, x2) of pair `f` (index).
std::pair<Value, Value> rotaryPairColumns(OpBuilder &b, Location loc,
                                          RotaryAttr r, Value f);

/// (x1, x2) turned by (cos, sin), all f32.
std::pair<Value, Value> rotatePair(OpBuilder &b, Location loc, Value x1,
                                   Value x2, Value cos, Value sin);

/// Allocates (memref.alloc) and fills the tables of `r` (an scf.parallel
/// over positions); the caller frees them.
RotaryTables buildRotaryTables(OpBuilder &b, Location loc, RotaryAttr r,
                               Value first, Value rows);

/// Rotates rows [0, rows) of the 2-D buffer `buf` in place, row i at
/// position `pos0` + i: `buf` is [rows, D], or [D, rows] when `transposed`
/// (a transposed Q tile). Loops over pairs and rows (no unrolling by D).
void rotateRows(OpBuilder &b, Location loc, RotaryAttr r,
                const RotaryTables &tables, Value buf, bool transposed,
                Value pos0, Value rows);

} // namespace mlir::attn

#endif // ATTN_TRANSFORMS_ROTARYMATH_H
