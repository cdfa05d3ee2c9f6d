//===- OnlineSoftmaxMath.cpp - the online-softmax recurrence --------------===//

#include "Attn/Transforms/OnlineSoftmaxMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

Value mlir::attn::f32Like(OpBuilder &b, Location loc, Value like,
                          float value) {
  if (auto vec = dyn_cast<VectorType>(like.getType()))
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec, b.getF32FloatAttr(value)));
  return arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                        APFloat(value));
}

RowRescale mlir::attn::rescaleRow(OpBuilder &b, Location loc, Value mOld,
                                  Value blockMax,
                                  function_ref<Value(Value)> exp) {
  const float inf = std::numeric_limits<float>::infinity();
  RowRescale r;
  r.mNew = arith::MaximumFOp::create(b, loc, mOld, blockMax);
  Value noKey = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                      r.mNew, f32Like(b, loc, mOld, -inf));
  r.mSafe = arith::SelectOp::create(b, loc, noKey, f32Like(b, loc, mOld, 0.0f),
                                    r.mNew);
  r.alpha = exp(arith::SubFOp::create(b, loc, mOld, r.mSafe));
  return r;
}

RowNormalizer mlir::attn::normalizeRow(OpBuilder &b, Location loc, Value l) {
  Value zero = f32Like(b, loc, l, 0.0f);
  RowNormalizer r;
  r.empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, l, zero);
  r.inv = arith::SelectOp::create(
      b, loc, r.empty, zero,
      arith::DivFOp::create(b, loc, f32Like(b, loc, l, 1.0f), l));
  return r;
}

Value mlir::attn::rowLogSumExp(OpBuilder &b, Location loc, Value m, Value l,
                               Value empty, bool exp2Domain) {
  Value value;
  if (exp2Domain)
    value = arith::MulFOp::create(
        b, loc, arith::AddFOp::create(b, loc, m, math::Log2Op::create(b, loc, l)),
        f32Like(b, loc, m, static_cast<float>(M_LN2)));
  else
    value = arith::AddFOp::create(b, loc, m, math::LogOp::create(b, loc, l));
  return arith::SelectOp::create(
      b, loc, empty,
      f32Like(b, loc, m, -std::numeric_limits<float>::infinity()), value);
}
