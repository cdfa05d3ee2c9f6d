//===- RotaryMath.h - rotary position embeddings of q and k -----*- C++ -*-===//
//
// The rotation of #attn.rotary (AttnAttrs.td), built by the lowerings that
// apply it to q and k in their loads: pair f of a row at position pos turns
// by pos * theta^(-2f / dim), (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin),
// with x1, x2 = x[f], x[f + dim/2] (half_split) or x[2f], x[2f + 1]
// (interleaved).
//
// cos and sin come from rotaryCosSin (an f32 angle reduced with its error
// kept, ~1e-7 radians). The CPU tiler tabulates them once per call
// ([positions, dim / 2]); the GPU kernels compute them where they turn a
// row (no table to load). Both turn pairs with the helpers below.
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

/// The frequency of pair `f`, theta^(-2f / dim), as two f32 (hi + lo,
/// ~48 bits together): constants when `f` is static, else an f64 exp.
std::pair<Value, Value> rotaryFrequency(OpBuilder &b, Location loc,
                                        RotaryAttr r, OpFoldResult f);

/// cos and sin (f32) of position `pos` (index; |pos| < 2^24) times the
/// frequency `omega` (rotaryFrequency). The angle reaches 10^4 radians and
/// more, where a plain f32 product would be off by ~1e-3: it is reduced
/// mod 2 pi in f32 keeping the product's rounding error (an FMA) and 2 pi
/// in two parts, which leaves ~1e-7 radians; `cos` and `sin` of the reduced
/// angle (in [-pi - 1/2, pi + 1/2]) are math.cos / math.sin unless given.
std::pair<Value, Value>
rotaryCosSin(OpBuilder &b, Location loc, Value pos,
             std::pair<Value, Value> omega,
             function_ref<Value(Value)> cos = nullptr,
             function_ref<Value(Value)> sin = nullptr);

/// (x1, x2) turned by (cos, sin), all f32.
std::pair<Value, Value> rotatePair(OpBuilder &b, Location loc, Value x1,
                                   Value x2, Value cos, Value sin);

/// Turns pairs first .. first + count - 1 (`first` index) of one row:
/// `load(d0, n)` gives n f32 columns from column d0 and `store(d0, x)` puts
/// them back; `cosSin(p)` is the cos and sin of pair first + p. half_split
/// reads the count columns of each half, interleaved the 2 count adjacent
/// ones, so a caller's pieces of memory stay whole (16-byte loads on the
/// GPU, one element at a time elsewhere).
void rotatePiece(OpBuilder &b, Location loc, RotaryAttr r, Value first,
                 int64_t count,
                 function_ref<SmallVector<Value>(Value, int64_t)> load,
                 function_ref<void(Value, ArrayRef<Value>)> store,
                 function_ref<std::pair<Value, Value>(int64_t)> cosSin);

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
