//===- GridConstant.cpp - tensor-map kernel parameters by value -----------===//
//
// attn-gpu-grid-constant: the leading `attn.grid_constant_params` pointer
// parameters of a converted kernel become 128-byte byval __grid_constant__
// parameters, so the runtime passes CUtensorMaps in the launch's parameter
// buffer and TMA reads them from the parameter space.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

#define DEBUG_TYPE "attn-gpu-grid-constant"

namespace attn {
#define GEN_PASS_DEF_ATTNGPUGRIDCONSTANT
#include "Conversion/Passes.h.inc"
} // namespace attn

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParams = "attn.grid_constant_params";

struct AttnGPUGridConstant
    : ::attn::impl::AttnGPUGridConstantBase<AttnGPUGridConstant> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    auto walk = getOperation().walk([&](LLVM::LLVMFuncOp fn) {
      auto count = fn->getAttrOfType<IntegerAttr>(kParams);
      if (!count)
        return WalkResult::advance();
      int64_t n = count.getInt();
      if (n < 0 || n > static_cast<int64_t>(fn.getNumArguments())) {
        fn.emitOpError() << kParams << " = " << n << " but the function has "
                         << fn.getNumArguments() << " parameters";
        return WalkResult::interrupt();
      }
      for (int64_t i = 0; i < n; ++i) {
        if (!isa<LLVM::LLVMPointerType>(fn.getArgument(i).getType())) {
          fn.emitOpError() << "grid-constant parameter " << i
                           << " must be an !llvm.ptr, got "
                           << fn.getArgument(i).getType();
          return WalkResult::interrupt();
        }
        fn.setArgAttr(i, LLVM::LLVMDialect::getByValAttrName(),
                      TypeAttr::get(LLVM::LLVMArrayType::get(
                          IntegerType::get(ctx, 8), 128)));
        fn.setArgAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                      IntegerAttr::get(IntegerType::get(ctx, 64), 64));
        fn.setArgAttr(i, NVVM::NVVMDialect::getGridConstantAttrName(),
                      UnitAttr::get(ctx));
      }
      fn->removeAttr(kParams);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
