//===- OnlineSoftmaxMath.h - the online-softmax recurrence ------*- C++ -*-===//
//
// The row statistics of the online softmax, written once for every target:
// attn-online-softmax (CPU: f32 vectors of queries, natural exp) and the GPU
// kernels of attn-to-gpu (f32 scalars, one row per value; the sm_90a kernel
// in the exp2 domain, its scores pre-scaled by log2 e). Each target supplies
// the exponential of its domain; the guards for rows without any allowed key
// (0 output, -inf LSE, never NaN) live here only.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_ONLINESOFTMAXMATH_H
#define ATTN_TRANSFORMS_ONLINESOFTMAXMATH_H

#include "mlir/IR/Builders.h"

namespace mlir::attn {

/// An f32 constant shaped like `like` (a scalar, or a splat vector).
Value f32Like(OpBuilder &b, Location loc, Value like, float value);

/// One block's update of a row's running max: new max = max(old max, block
/// max); rows with no allowed key so far keep -inf but subtract 0 (so
/// exp(s - safe) is 0, not NaN); alpha = exp(old max - safe) rescales what
/// was accumulated, and l = l alpha + sum_j exp(s_j - safe).
struct RowRescale {
  Value mNew, mSafe, alpha;
};
RowRescale rescaleRow(OpBuilder &b, Location loc, Value mOld, Value blockMax,
                      function_ref<Value(Value)> exp);

/// A finished row: `empty` where no key was allowed (l = 0), `inv` = 1 / l
/// or 0 there, so the output is acc * inv.
struct RowNormalizer {
  Value empty, inv;
};
RowNormalizer normalizeRow(OpBuilder &b, Location loc, Value l);

/// The row's log-sum-exp in natural units, -inf where `empty`: m + log(l),
/// or (m + log2(l)) ln 2 when m is in the exp2 domain.
Value rowLogSumExp(OpBuilder &b, Location loc, Value m, Value l, Value empty,
                   bool exp2Domain);

} // namespace mlir::attn

#endif // ATTN_TRANSFORMS_ONLINESOFTMAXMATH_H
