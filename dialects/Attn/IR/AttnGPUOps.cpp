//===- AttnGPUOps.cpp - verifiers of the host-side GPU launch ops ---------===//

#include "Attn/IR/AttnOps.h"

using namespace mlir;
using namespace mlir::attn;

LogicalResult TensorMapOp::verify() {
  auto type = getSource().getType();
  int64_t rows = getBoxRows();
  // cuTensorMapEncodeTiled takes boxes of 1 to 256 rows.
  if (rows < 1 || rows > 256)
    return emitOpError() << "box_rows must be in [1, 256], got " << rows;
  int64_t d = type.getDimSize(3);
  if (ShapedType::isDynamic(d) || d % 8 != 0)
    return emitOpError() << "the innermost dim must be a static multiple of "
                            "8 (TMA needs 16-byte row strides), got "
                         << (ShapedType::isDynamic(d) ? std::string("?")
                                                      : std::to_string(d));
  int64_t offset;
  SmallVector<int64_t> strides;
  if (failed(type.getStridesAndOffset(strides, offset)) || strides.back() != 1)
    return emitOpError() << "the innermost stride must be 1";
  return success();
}
