//===- RotaryMath.cpp - rotary position embeddings of q and k -------------===//

#include "Attn/Transforms/RotaryMath.h"
#include "MaskLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

RotaryTables mlir::attn::buildRotaryTables(OpBuilder &b, Location loc,
                                           RotaryAttr r, Value first,
                                           Value rows) {
  IndexMath m{b, loc};
  const int64_t half = r.getDim() / 2;
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  auto type = MemRefType::get({ShapedType::kDynamic, half}, f32);
  RotaryTables t{memref::AllocOp::create(b, loc, type, ValueRange{rows}),
                 memref::AllocOp::create(b, loc, type, ValueRange{rows}),
                 first};
  auto par = scf::ParallelOp::create(b, loc, ValueRange{m.c(0)},
                                     ValueRange{rows}, ValueRange{m.c(1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(par.getBody());
  Value row = par.getInductionVars()[0];
  auto toF64 = [&](Value index) {
    Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
    return arith::SIToFPOp::create(b, loc, f64, i64).getResult();
  };
  Value pos = toF64(m.add(row, first));
  // theta^(-2f/dim) = exp(f * (-2 ln(theta) / dim)), in f64.
  Value step = arith::ConstantOp::create(
      b, loc, b.getF64FloatAttr(-2.0 * std::log(r.getTheta().convertToDouble()) /
                                static_cast<double>(r.getDim())));
  scf::ForOp loop = scf::ForOp::create(b, loc, m.c(0), m.c(half), m.c(1));
  b.setInsertionPointToStart(loop.getBody());
  Value f = loop.getInductionVar();
  Value freq =
      math::ExpOp::create(b, loc, arith::MulFOp::create(b, loc, toF64(f), step));
  Value angle = arith::MulFOp::create(b, loc, pos, freq);
  auto store = [&](Value x, Value buf) {
    memref::StoreOp::create(b, loc, arith::TruncFOp::create(b, loc, f32, x),
                            buf, ValueRange{row, f});
  };
  store(math::CosOp::create(b, loc, angle), t.cos);
  store(math::SinOp::create(b, loc, angle), t.sin);
  return t;
}

void mlir::attn::rotateRows(OpBuilder &b, Location loc, RotaryAttr r,
                            const RotaryTables &tables, Value buf,
                            bool transposed, Value pos0, Value rows) {
  IndexMath m{b, loc};
  const int64_t half = r.getDim() / 2;
  const bool halfSplit = r.getStyle() == RotaryStyle::half_split;
  Type elem = cast<MemRefType>(buf.getType()).getElementType();
  OpBuilder::InsertionGuard guard(b);
  scf::ForOp pairs = scf::ForOp::create(b, loc, m.c(0), m.c(half), m.c(1));
  b.setInsertionPointToStart(pairs.getBody());
  Value f = pairs.getInductionVar();
  Value d1 = halfSplit ? f : m.mul(f, m.c(2));
  Value d2 = halfSplit ? m.add(f, m.c(half)) : m.add(d1, m.c(1));
  scf::ForOp each = scf::ForOp::create(b, loc, m.c(0), rows, m.c(1));
  b.setInsertionPointToStart(each.getBody());
  Value i = each.getInductionVar();
  auto at = [&](Value d) -> SmallVector<Value, 2> {
    return transposed ? SmallVector<Value, 2>{d, i} : SmallVector<Value, 2>{i, d};
  };
  Value entry = m.sub(m.add(pos0, i), tables.first);
  Value c = memref::LoadOp::create(b, loc, tables.cos, ValueRange{entry, f});
  Value s = memref::LoadOp::create(b, loc, tables.sin, ValueRange{entry, f});
  Value x1 = m.toF32(memref::LoadOp::create(b, loc, buf, at(d1)));
  Value x2 = m.toF32(memref::LoadOp::create(b, loc, buf, at(d2)));
  Value y1 = arith::SubFOp::create(b, loc, arith::MulFOp::create(b, loc, x1, c),
                                   arith::MulFOp::create(b, loc, x2, s));
  Value y2 = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, x2, c),
                                   arith::MulFOp::create(b, loc, x1, s));
  auto back = [&](Value y) -> Value {
    return elem.isF32() ? y : arith::TruncFOp::create(b, loc, elem, y).getResult();
  };
  memref::StoreOp::create(b, loc, back(y1), buf, at(d1));
  memref::StoreOp::create(b, loc, back(y2), buf, at(d2));
}
