//===- Reference.h - fp64 reference of every attention variant --*- C++ -*-===//
//
// A direct, unoptimized fp64 evaluation of DESIGN.md §1 that every compiled
// kernel is checked against. Tensors are dense row-major doubles; Q/K/V/O are
// stored in the spec's layout, every other operand in its logical order.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_REFERENCE_H
#define ATTN_REFERENCE_H

#include "attn/Spec.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <vector>

namespace attn {

/// A dense row-major fp64 tensor.
struct RefTensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  RefTensor() = default;
  /// Zeros of `shape`.
  explicit RefTensor(std::vector<int64_t> shape);
  RefTensor(std::vector<int64_t> shape, std::vector<double> data);
  static RefTensor filled(std::vector<int64_t> shape, double value);

  int64_t numElements() const;
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  /// Row-major offset of `index` (one entry per dim).
  int64_t offset(std::initializer_list<int64_t> index) const;
  double &at(std::initializer_list<int64_t> index) {
    return data[offset(index)];
  }
  double at(std::initializer_list<int64_t> index) const {
    return data[offset(index)];
  }
};

/// Operands of attn.attention. Booleans (mask, global tokens) are nonzero
/// for true; index operands hold integral values.
struct AttentionInputs {
  RefTensor q, k, v;
  std::optional<RefTensor> bias;         ///< [B|1, Hq|1, Lq|1, Lk|1]
  std::optional<RefTensor> mask;         ///< [B|1, Hq|1, Lq, Lk]
  std::optional<RefTensor> kvLengths;    ///< [B]
  std::optional<RefTensor> docQ, docK;   ///< [B, Lq], [B, Lk]
  std::optional<RefTensor> globalTokens; ///< [B, L]
};

struct AttentionOutputs {
  RefTensor out; ///< [B, Hq, Lq, Dv] in the spec's layout
  RefTensor lse; ///< [B, Hq, Lq], natural log, -inf for rows with no key
};

/// Concrete dims of `inputs` read through the spec's layout, checked against
/// each other and against the static dims of the spec.
llvm::Expected<Dims> resolveDims(const Dims &specDims, Layout layout,
                                 const RefTensor &q, const RefTensor &k,
                                 const RefTensor &v);

/// Evaluates softmax attention. Errors name the operand and dims that do
/// not fit the spec. With `rowStep` > 1 only every rowStep-th row (counted
/// over batch, head and query) is evaluated and the others are NaN, so that
/// large problems can be checked on a deterministic sample.
llvm::Expected<AttentionOutputs>
referenceAttention(const AttentionSpec &spec, const AttentionInputs &inputs,
                   int64_t rowStep = 1);

/// Whether query i of (b, h) may see key j: every mask kind of the spec.
/// `inputs` must have passed referenceAttention's checks (resolveDims).
bool isAllowed(const AttentionSpec &spec, const AttentionInputs &inputs,
               const Dims &dims, int64_t b, int64_t h, int64_t i, int64_t j);

/// Allowed (query, key) pairs summed over batch and heads: the FLOP count is
/// 4 * D * this (DESIGN.md §4).
llvm::Expected<int64_t> countAllowedPairs(const AttentionSpec &spec,
                                          const AttentionInputs &inputs);

struct LinearAttentionInputs {
  RefTensor q, k, v;
  std::optional<RefTensor> projection; ///< [m, D]
};

/// Evaluates linear attention; output [B, Hq, Lq, Dv] in the spec's layout.
llvm::Expected<RefTensor>
referenceLinearAttention(const LinearAttentionSpec &spec,
                         const LinearAttentionInputs &inputs);

} // namespace attn

#endif // ATTN_REFERENCE_H
