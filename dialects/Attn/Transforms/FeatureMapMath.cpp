//===- FeatureMapMath.cpp - phi of linear attention, one feature ----------===//

#include "Attn/Transforms/FeatureMapMath.h"
#include "Attn/Transforms/OnlineSoftmaxMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

FeatureMapConstants mlir::attn::featureMapConstants(LinearAttentionOp op) {
  const double D = static_cast<double>(op.getDims().headDim);
  const double M = static_cast<double>(op.getNumFeatures());
  return {op.getFeatureMap(), static_cast<float>(std::pow(D, -0.25)),
          static_cast<float>(op.getKernelEpsOrDefault()),
          static_cast<float>(1.0 / std::sqrt(M))};
}

Value mlir::attn::featureValue(OpBuilder &b, Location loc,
                               const FeatureMapConstants &k,
                               function_ref<Value(Value)> exp, Value x,
                               Value shift) {
  auto f32 = [&](float v) { return f32Like(b, loc, x, v); };
  switch (k.map) {
  case FeatureMap::elu_plus_one: {
    Value pos =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, f32(0));
    return arith::SelectOp::create(
        b, loc, pos, arith::AddFOp::create(b, loc, x, f32(1)),
        exp(x));
  }
  case FeatureMap::relu:
    return arith::AddFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, f32(0)), f32(k.epsK));
  case FeatureMap::favor_plus: {
    if (!shift) // callers always pass diag + stab; 0 keeps it defined
      shift = f32(0);
    Value e = exp(arith::SubFOp::create(b, loc, x, shift));
    return arith::MulFOp::create(b, loc, f32(k.norm),
                                 arith::AddFOp::create(b, loc, e, f32(k.epsK)));
  }
  case FeatureMap::softmax:
    // The numerator exp(x - shift) (shift: the row's or the feature's max,
    // none for causal keys); the caller divides by the sum.
    return exp(shift ? arith::SubFOp::create(b, loc, x, shift).getResult()
                     : x);
  }
  return exp(x); // every FeatureMap is handled above
}
