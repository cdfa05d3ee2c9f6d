//===- AttnAttrs.td - attn enums and attributes ------------*- tablegen -*-===//
//
// Mask kinds, layouts, feature maps and the sliding window of the attn ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_ATTRS_TD
#define ATTN_ATTRS_TD

include "AttnDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_CausalKind : I32EnumAttr<"CausalKind", "which causal mask applies", [
    I32EnumAttrCase<"none", 0>,
    // j <= i + (Lk - Lq): the KV-cache convention.
    I32EnumAttrCase<"bottom_right", 1>,
    // j <= i.
    I32EnumAttrCase<"top_left", 2>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_CausalKindAttr : EnumAttr<Attn_Dialect, Attn_CausalKind, "causal"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_Layout : I32EnumAttr<"Layout", "memory order of the Q/K/V/O dims", [
    I32EnumAttrCase<"bhsd", 0>,
    I32EnumAttrCase<"bshd", 1>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_LayoutAttr : EnumAttr<Attn_Dialect, Attn_Layout, "layout"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_FeatureMap : I32EnumAttr<"FeatureMap",
    "kernel feature map phi of linear attention", [
    // elu(x) + 1
    I32EnumAttrCase<"elu_plus_one", 0>,
    // relu(c x P^T) + eps_k, or relu(c x) + eps_k without a projection
    I32EnumAttrCase<"relu", 1>,
    // Performer FAVOR+ positive random features (needs a projection)
    I32EnumAttrCase<"favor_plus", 2>,
    // q: softmax over D; k: softmax over the sequence (exp when causal)
    I32EnumAttrCase<"softmax", 3>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_FeatureMapAttr
    : EnumAttr<Attn_Dialect, Attn_FeatureMap, "feature_map"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_WindowAttr : AttrDef<Attn_Dialect, "Window"> {
  let mnemonic = "window";
  let summary = "sliding window (left, right) around the aligned diagonal";
  let description = [{
    Query `i` may see key `j` when
    `i + off - left <= j <= i + off + right`, with `off = Lk - Lq`.
    Mistral's causal window of size W is `<left = W-1, right = 0>`,
    Longformer's band is `<left = w, right = w>`.

    ```mlir
    #attn.window<left = 127, right = 0>
    ```
  }];
  let parameters = (ins "int64_t":$left, "int64_t":$right);
  let assemblyFormat = "`<` struct(params) `>`";
}

#endif // ATTN_ATTRS_TD
