//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//

#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnMaterializeDefaults : Pass<"attn-materialize-defaults"> {
  let summary = "Write every implicit default of the attn ops as an attribute";
  let description = [{
    Sets `scale = 1/sqrt(D)` on `attn.attention`, and `eps` and `kernel_eps`
    on `attn.linear_attention` where a feature map uses it, so that later
    stages read one explicit value instead of re-deriving the defaults.
    Attributes already present are left as they are.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
