//===- ResultsInPlace.cpp - results written into their out-params --------===//
//
// buffer-results-to-out-params turns `return %alloc` into a copy of the
// allocation into a new trailing argument. For attention the result is the
// largest buffer the kernel touches (at L = 16384 a copy of it was a tenth
// of a linear-attention call), so the kernel writes the out-param itself.
//
//===----------------------------------------------------------------------===//

#include "Attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#define DEBUG_TYPE "attn-results-in-place"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNRESULTSINPLACE
#include "Attn/Transforms/Passes.h.inc"

namespace {

/// The allocation `copy` copies from, looking through one memref.cast, if
/// it is a memref.alloc of identity layout in `entry`.
memref::AllocOp copiedAllocation(memref::CopyOp copy, Block &entry) {
  Value src = copy.getSource();
  if (auto cast = src.getDefiningOp<memref::CastOp>())
    src = cast.getSource();
  auto alloc = src.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != &entry ||
      !alloc.getType().getLayout().isIdentity())
    return {};
  return alloc;
}

struct AttnResultsInPlace : impl::AttnResultsInPlaceBase<AttnResultsInPlace> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    Block &entry = fn.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!ret || fn.getBody().getBlocks().size() != 1)
      return;
    // The copies into arguments right before the return.
    SmallVector<memref::CopyOp> copies;
    for (Operation *op = ret->getPrevNode(); op; op = op->getPrevNode()) {
      auto copy = dyn_cast<memref::CopyOp>(op);
      if (!copy)
        break;
      copies.push_back(copy);
    }
    SmallVector<Type> argTypes(fn.getArgumentTypes());
    for (memref::CopyOp copy : copies) {
      auto out = dyn_cast<BlockArgument>(copy.getTarget());
      memref::AllocOp alloc = copiedAllocation(copy, entry);
      if (!out || out.getOwner() != &entry || !alloc || !out.hasOneUse())
        continue;
      auto outType = cast<MemRefType>(out.getType());
      MemRefType allocType = alloc.getType();
      if (outType.getShape() != allocType.getShape() ||
          outType.getElementType() != allocType.getElementType() ||
          outType.getMemorySpace() != allocType.getMemorySpace())
        continue;
      Value src = copy.getSource();
      copy.erase();
      if (auto cast = src.getDefiningOp<memref::CastOp>(); cast && cast.use_empty())
        cast.erase();
      out.setType(allocType);
      argTypes[out.getArgNumber()] = allocType;
      alloc.getResult().replaceAllUsesWith(out);
      alloc.erase();
    }
    fn.setFunctionType(
        FunctionType::get(&getContext(), argTypes, fn.getResultTypes()));
  }
};

} // namespace
} // namespace mlir::attn
