//===- AttnDialect.cpp - attn dialect registration and attributes ---------===//
//
// Registers the attn ops and attributes, and owns the layout helpers.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnDialect.h"
#include "Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#include "Attn/IR/AttnDialect.cpp.inc"
#include "Attn/IR/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Attn/IR/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Attn/IR/AttnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Attn/IR/AttnAttrs.cpp.inc"
      >();
}

std::array<int64_t, 4> mlir::attn::toLogicalBHSD(ArrayRef<int64_t> shape,
                                                 Layout layout) {
  if (layout == Layout::bshd)
    return {shape[0], shape[2], shape[1], shape[3]};
  return {shape[0], shape[1], shape[2], shape[3]};
}

SmallVector<int64_t, 4> mlir::attn::fromLogicalBHSD(ArrayRef<int64_t> bhsd,
                                                    Layout layout) {
  // The BSHD permutation is its own inverse.
  std::array<int64_t, 4> stored = toLogicalBHSD(bhsd, layout);
  return SmallVector<int64_t, 4>(stored.begin(), stored.end());
}
