//===- AttnTileOps.cpp - verifiers of the tiled-stage ops -----------------===//
//
// These ops are produced by passes, not users, but attn-opt parses them, so
// they are checked like any other op.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks `region` is empty or one block with `argTypes` yielding `result`.
LogicalResult verifyBody(Operation *op, Region &region, StringRef name,
                         TypeRange argTypes, Type result) {
  if (region.empty())
    return success();
  if (!region.hasOneBlock())
    return op->emitOpError() << "region '" << name << "' must have one block";
  Block &block = region.front();
  if (!block.mightHaveTerminator())
    return op->emitOpError() << "region '" << name
                             << "' must end in attn.yield";
  if (block.getArgumentTypes() != argTypes)
    return op->emitOpError() << "region '" << name << "' must take ("
                             << argTypes << "), got ("
                             << block.getArgumentTypes() << ")";
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield || yield.getValues().getTypes() != TypeRange{result})
    return op->emitOpError() << "region '" << name << "' must yield one "
                             << result;
  return success();
}

} // namespace

LogicalResult OnlineStepOp::verify() {
  MemRefType qt = getQt().getType(), k = getK().getType(),
             v = getV().getType();
  if (qt.getElementType() != k.getElementType() ||
      qt.getElementType() != v.getElementType())
    return emitOpError() << "qt, k and v element types differ: "
                         << qt.getElementType() << ", " << k.getElementType()
                         << ", " << v.getElementType();
  if (!compatible(qt.getDimSize(0), k.getDimSize(1)))
    return emitOpError() << "qt head dim " << qt.getDimSize(0)
                         << " differs from k head dim " << k.getDimSize(1);
  if (!compatible(v.getDimSize(1), getAcc().getType().getDimSize(1)))
    return emitOpError() << "v head dim " << v.getDimSize(1)
                         << " differs from acc's " 
                         << getAcc().getType().getDimSize(1);
  Builder b(getContext());
  Type index = b.getIndexType();
  if (failed(verifyBody(*this, getMask(), "mask", {index, index},
                        b.getI1Type())) ||
      failed(verifyBody(*this, getScore(), "score",
                        {b.getF32Type(), index, index}, b.getF32Type())))
    return failure();
  return success();
}

LogicalResult TileQKOp::verify() {
  MemRefType qt = getQt().getType(), k = getK().getType();
  // The micro-kernel's reduction runs over a static head dim.
  if (qt.isDynamicDim(0))
    return emitOpError("qt head dim (dim 0) must be static");
  if (qt.getElementType() != k.getElementType())
    return emitOpError() << "qt and k element types differ: "
                         << qt.getElementType() << ", " << k.getElementType();
  if (!compatible(qt.getDimSize(0), k.getDimSize(1)))
    return emitOpError() << "qt head dim " << qt.getDimSize(0)
                         << " differs from k head dim " << k.getDimSize(1);
  return success();
}

LogicalResult TilePVOp::verify() {
  if (getAcc().getType().isDynamicDim(1))
    return emitOpError("acc value dim (dim 1) must be static");
  if (!compatible(getV().getType().getDimSize(1),
                  getAcc().getType().getDimSize(1)))
    return emitOpError() << "v head dim " << getV().getType().getDimSize(1)
                         << " differs from acc's "
                         << getAcc().getType().getDimSize(1);
  return success();
}

LogicalResult OnlineFinalizeOp::verify() {
  int64_t accDv = getAcc().getType().getDimSize(1);
  int64_t outDv = getOut().getType().getDimSize(1);
  if (ShapedType::isDynamic(accDv) || accDv != outDv)
    return emitOpError() << "out value dim " << outDv
                         << " must equal acc's static value dim " << accDv;
  return success();
}
