//===- AttnDialect.h - attn dialect, enums and attributes -------*- C++ -*-===//
//
// Declares the attn dialect, its enums (causal kind, layout, feature map), its
// attributes (window) and the logical-dims helpers shared by both ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_IR_ATTNDIALECT_H
#define ATTN_IR_ATTNDIALECT_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "Attn/IR/AttnDialect.h.inc"
#include "Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Attn/IR/AttnAttrs.h.inc"

namespace mlir::attn {

/// The logical dims of an attention op: Q [B, Hq, Lq, D], K [B, Hkv, Lk, D],
/// V [B, Hkv, Lk, Dv]. Unknown dims are ShapedType::kDynamic.
struct AttentionDims {
  int64_t batch, qHeads, kvHeads, qLen, kvLen, headDim, valueDim;

  /// Hq / Hkv, or kDynamic when either is unknown.
  int64_t groupSize() const {
    if (ShapedType::isDynamic(qHeads) || ShapedType::isDynamic(kvHeads) ||
        kvHeads == 0)
      return ShapedType::kDynamic;
    return qHeads / kvHeads;
  }
};

/// Reads a rank-4 shape stored in `layout` as logical [B, H, S, D].
std::array<int64_t, 4> toLogicalBHSD(ArrayRef<int64_t> shape, Layout layout);
/// Inverse of toLogicalBHSD: the stored shape of logical [B, H, S, D].
SmallVector<int64_t, 4> fromLogicalBHSD(ArrayRef<int64_t> bhsd, Layout layout);

} // namespace mlir::attn

#endif // ATTN_IR_ATTNDIALECT_H
