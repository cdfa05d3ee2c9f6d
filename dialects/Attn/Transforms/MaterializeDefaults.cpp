//===- MaterializeDefaults.cpp - explicit scale, eps and kernel_eps -------===//
//
// The attn ops leave common values implicit (1/sqrt(D), the eps defaults).
// This pass writes them out so every later stage reads one value.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

#define DEBUG_TYPE "attn-materialize-defaults"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNMATERIALIZEDEFAULTS
#include "Attn/Transforms/Passes.h.inc"

namespace {
struct AttnMaterializeDefaults
    : impl::AttnMaterializeDefaultsBase<AttnMaterializeDefaults> {
  using Base::Base;

  void runOnOperation() override {
    Builder b(&getContext());
    getOperation()->walk([&](Operation *op) {
      if (auto attn = dyn_cast<AttentionOp>(op)) {
        if (!attn.getScale())
          attn.setScaleAttr(b.getF64FloatAttr(attn.getScaleOrDefault()));
        return;
      }
      if (auto linear = dyn_cast<LinearAttentionOp>(op)) {
        if (!linear.getEps())
          linear.setEpsAttr(b.getF64FloatAttr(linear.getEpsOrDefault()));
        FeatureMap map = linear.getFeatureMap();
        bool usesKernelEps =
            map == FeatureMap::relu || map == FeatureMap::favor_plus;
        if (usesKernelEps && !linear.getKernelEps())
          linear.setKernelEpsAttr(
              b.getF64FloatAttr(linear.getKernelEpsOrDefault()));
      }
    });
  }
};
} // namespace
} // namespace mlir::attn
