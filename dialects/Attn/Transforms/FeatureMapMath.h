//===- FeatureMapMath.h - phi of linear attention, one feature --*- C++ -*-===//
//
// The feature maps of attn.linear_attention (../shared/DESIGN.md, section 1)
// as scalar f32 arithmetic on one feature, built by every lowering that
// computes phi: the CPU loops (attn-linear-to-loops), the GPU chunked scan
// (elementwise maps on load) and the GPU feature kernel (projected maps on
// tensor cores). The reductions around it (x P^T, ||x||^2, the stabilizers)
// are each lowering's own, as they depend on where the data lives.
//
//   elu+1:   x > 0 ? x + 1 : exp(x)                      (x: the feature)
//   relu:    max(p, 0) + kernel_eps                      (p = c x P_f or c x_f)
//   FAVOR+:  m^-1/2 (exp(p - diag - stab) + kernel_eps)  (p = c x P_f,
//            diag = c^2 ||x||^2 / 2, stab: the stabilizer)
//
// with c = D^-1/4. exp is the caller's, as in OnlineSoftmaxMath: the GPU
// kernels use exp2(x log2 e) (one MUFU instruction, accurate in f32), the
// CPU loops math.exp (which attn-approximate-math turns into a vectorizable
// polynomial; exp2 would stay one libm call per lane).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_FEATUREMAPMATH_H
#define ATTN_TRANSFORMS_FEATUREMAPMATH_H

#include "Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {

/// The constants of `op`'s feature map.
struct FeatureMapConstants {
  FeatureMap map;
  float c;        ///< D^-1/4, the scale of the projected (or relu) input
  float epsK;     ///< kernel_eps
  float norm;     ///< m^-1/2 (FAVOR+)
};
FeatureMapConstants featureMapConstants(LinearAttentionOp op);

/// phi of one feature (f32, or a vector of f32: features one per lane). `x` is
/// the feature itself for elu+1 and the softmax map, else the projected
/// value p (c applied by the caller: c x P_f, or c x_f for relu without
/// projection); `shift` = diag + stab for FAVOR+, the max to subtract for the
/// softmax map (null: none), unused otherwise. For the softmax map this is
/// the numerator exp(x - shift): its normalization (over a row or the
/// sequence) is the caller's. Defined for every map.
Value featureValue(OpBuilder &b, Location loc, const FeatureMapConstants &k,
                   function_ref<Value(Value)> exp, Value x,
                   Value shift = Value());

} // namespace mlir::attn

#endif // ATTN_TRANSFORMS_FEATUREMAPMATH_H
