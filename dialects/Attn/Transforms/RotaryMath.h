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
// where an f32 angle would already be off by ~1e-3.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_ROTARYMATH_H
#define ATTN_TRANSFORMS_ROTARYMATH_H

#include "Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {

/// cos and sin of every (position, pair) for positions first .. first +
/// rows - 1: f32 buffers [rows, dim / 2], heap-allocated (the caller frees
/// them).
struct RotaryTables {
  Value cos, sin, first;
};

/// Allocates and fills the tables of `r` (an scf.parallel over positions).
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
