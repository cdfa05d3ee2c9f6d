//===- RotaryMath.cpp - rotary position embeddings of q and k -------------===//

#include "Attn/Transforms/RotaryMath.h"
#include "MaskLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

std::pair<Value, Value> mlir::attn::rotaryTableExtent(OpBuilder &b,
                                                      Location loc, Value Lq,
                                                      Value Lk) {
  IndexMath m{b, loc};
  return {m.min(m.sub(Lk, Lq), m.c(0)), m.max(Lk, Lq)};
}

std::pair<Value, Value> mlir::attn::rotaryFrequency(OpBuilder &b,
                                                    Location loc, RotaryAttr r,
                                                    OpFoldResult f) {
  const double theta = r.getTheta().convertToDouble();
  const double dim = static_cast<double>(r.getDim());
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  if (std::optional<int64_t> c = getConstantIntValue(f)) {
    double w = std::pow(theta, -2.0 * static_cast<double>(*c) / dim);
    float hi = static_cast<float>(w);
    float lo = static_cast<float>(w - static_cast<double>(hi));
    return {arith::ConstantOp::create(b, loc, b.getF32FloatAttr(hi)),
            arith::ConstantOp::create(b, loc, b.getF32FloatAttr(lo))};
  }
  // theta^(-2f/dim) = exp(f * (-2 ln(theta) / dim)), in f64.
  Value fi = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                        cast<Value>(f));
  Value step = arith::ConstantOp::create(
      b, loc, b.getF64FloatAttr(-2.0 * std::log(theta) / dim));
  Value w = math::ExpOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, arith::SIToFPOp::create(b, loc, f64, fi),
                            step));
  Value hi = arith::TruncFOp::create(b, loc, f32, w);
  Value lo = arith::TruncFOp::create(
      b, loc, f32,
      arith::SubFOp::create(b, loc, w,
                            arith::ExtFOp::create(b, loc, f64, hi)));
  return {hi, lo};
}

std::pair<Value, Value>
mlir::attn::rotaryCosSin(OpBuilder &b, Location loc, Value pos,
                         std::pair<Value, Value> omega,
                         function_ref<Value(Value)> cos,
                         function_ref<Value(Value)> sin) {
  Type f32 = b.getF32Type();
  auto cst = [&](double v) {
    return arith::ConstantOp::create(b, loc,
                                     b.getF32FloatAttr(static_cast<float>(v)))
        .getResult();
  };
  // p exactly (|pos| < 2^24); h + e = p * hi exactly (e by an FMA); t = p
  // * lo, below 1 and off by ~2^-24.
  Value p = arith::SIToFPOp::create(
      b, loc, f32, arith::IndexCastOp::create(b, loc, b.getI64Type(), pos));
  Value h = arith::MulFOp::create(b, loc, p, omega.first);
  Value e = math::FmaOp::create(b, loc, p, omega.first,
                                arith::NegFOp::create(b, loc, h));
  Value t = arith::MulFOp::create(b, loc, p, omega.second);
  // h - k 2 pi with 2 pi = c1 + c2: each FMA rounds once, on a value below
  // ~4, and k c1 + k c2 misses k 2 pi by k 1e-15.
  const double twoPi = 2.0 * M_PI;
  const double c1 = static_cast<float>(twoPi);
  const double c2 = twoPi - c1;
  Value k = math::RoundEvenOp::create(
      b, loc, arith::MulFOp::create(b, loc, h, cst(1.0 / twoPi)));
  Value negK = arith::NegFOp::create(b, loc, k);
  Value a = math::FmaOp::create(b, loc, negK, cst(c1), h);
  a = math::FmaOp::create(b, loc, negK, cst(c2), a);
  a = arith::AddFOp::create(b, loc, a, arith::AddFOp::create(b, loc, e, t));
  Value c = cos ? cos(a) : math::CosOp::create(b, loc, a).getResult();
  Value s = sin ? sin(a) : math::SinOp::create(b, loc, a).getResult();
  return {c, s};
}

std::pair<Value, Value> mlir::attn::rotatePair(OpBuilder &b, Location loc,
                                               Value x1, Value x2, Value cos,
                                               Value sin) {
  Value y1 = arith::SubFOp::create(b, loc, arith::MulFOp::create(b, loc, x1, cos),
                                   arith::MulFOp::create(b, loc, x2, sin));
  Value y2 = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, x2, cos),
                                   arith::MulFOp::create(b, loc, x1, sin));
  return {y1, y2};
}

void mlir::attn::rotatePiece(
    OpBuilder &b, Location loc, RotaryAttr r, Value first, int64_t count,
    function_ref<SmallVector<Value>(Value, int64_t)> load,
    function_ref<void(Value, ArrayRef<Value>)> store,
    function_ref<std::pair<Value, Value>(int64_t)> cosSin) {
  IndexMath m{b, loc};
  const bool split = r.getStyle() == RotaryStyle::half_split;
  // x: split, the count columns of the first half, then of the second;
  // interleaved, 2 count adjacent columns.
  Value d1 = split ? first : m.mul(first, m.c(2));
  Value d2 = m.add(first, m.c(r.getDim() / 2));
  SmallVector<Value> x = load(d1, split ? count : 2 * count);
  if (split) {
    SmallVector<Value> x2 = load(d2, count);
    x.append(x2.begin(), x2.end());
  }
  for (int64_t p = 0; p < count; ++p) {
    auto [c, s] = cosSin(p);
    int64_t i1 = split ? p : 2 * p, i2 = split ? count + p : 2 * p + 1;
    std::tie(x[i1], x[i2]) = rotatePair(b, loc, x[i1], x[i2], c, s);
  }
  ArrayRef<Value> all = x;
  if (split) {
    store(d1, all.take_front(count));
    store(d2, all.drop_front(count));
  } else {
    store(d1, all);
  }
}

RotaryTables mlir::attn::buildRotaryTables(OpBuilder &b, Location loc,
                                           RotaryAttr r, Value first,
                                           Value rows) {
  IndexMath m{b, loc};
  const int64_t half = r.getDim() / 2;
  auto type = MemRefType::get({ShapedType::kDynamic, half}, b.getF32Type());
  RotaryTables t{memref::AllocOp::create(b, loc, type, ValueRange{rows}),
                 memref::AllocOp::create(b, loc, type, ValueRange{rows}),
                 first};
  auto par = scf::ParallelOp::create(b, loc, ValueRange{m.c(0)},
                                     ValueRange{rows}, ValueRange{m.c(1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(par.getBody());
  Value row = par.getInductionVars()[0];
  Value pos = m.add(row, first);
  scf::ForOp loop = scf::ForOp::create(b, loc, m.c(0), m.c(half), m.c(1));
  b.setInsertionPointToStart(loop.getBody());
  Value f = loop.getInductionVar();
  auto [c, s] = rotaryCosSin(b, loc, pos, rotaryFrequency(b, loc, r, f));
  memref::StoreOp::create(b, loc, c, t.cos, ValueRange{row, f});
  memref::StoreOp::create(b, loc, s, t.sin, ValueRange{row, f});
  return t;
}

void mlir::attn::rotateRows(OpBuilder &b, Location loc, RotaryAttr r,
                            const RotaryTables &tables, Value buf,
                            bool transposed, Value pos0, Value rows) {
  IndexMath m{b, loc};
  const int64_t half = r.getDim() / 2;
  Type elem = cast<MemRefType>(buf.getType()).getElementType();
  OpBuilder::InsertionGuard guard(b);
  scf::ForOp pairs = scf::ForOp::create(b, loc, m.c(0), m.c(half), m.c(1));
  b.setInsertionPointToStart(pairs.getBody());
  Value f = pairs.getInductionVar();
  scf::ForOp each = scf::ForOp::create(b, loc, m.c(0), rows, m.c(1));
  b.setInsertionPointToStart(each.getBody());
  Value i = each.getInductionVar();
  auto at = [&](Value d) -> SmallVector<Value, 2> {
    return transposed ? SmallVector<Value, 2>{d, i} : SmallVector<Value, 2>{i, d};
  };
  Value entry = m.sub(m.add(pos0, i), tables.first);
  rotatePiece(
      b, loc, r, f, /*count=*/1,
      [&](Value d0, int64_t n) {
        SmallVector<Value> x;
        for (int64_t k = 0; k < n; ++k)
          x.push_back(m.toF32(
              memref::LoadOp::create(b, loc, buf, at(m.add(d0, m.c(k))))));
        return x;
      },
      [&](Value d0, ArrayRef<Value> x) {
        for (auto [k, y] : llvm::enumerate(x))
          memref::StoreOp::create(
              b, loc,
              elem.isF32() ? y
                           : arith::TruncFOp::create(b, loc, elem, y).getResult(),
              buf, at(m.add(d0, m.c(k))));
      },
      [&](int64_t) {
        return std::make_pair(
            memref::LoadOp::create(b, loc, tables.cos, ValueRange{entry, f})
                .getResult(),
            memref::LoadOp::create(b, loc, tables.sin, ValueRange{entry, f})
                .getResult());
      });
}
