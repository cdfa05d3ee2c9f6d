//===- AttnAttrs.td - attn enums and attributes ------------*- tablegen -*-===//
//
// Mask kinds, layouts, feature maps, the sliding window and rotary position
// embeddings of the attn ops.
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

def Attn_RotaryStyle : I32EnumAttr<"RotaryStyle",
    "which elements of a row rotate together", [
    // x[f] with x[f + dim/2]: rotate_half (LLaMA, GPT-NeoX)
    I32EnumAttrCase<"half_split", 0>,
    // x[2f] with x[2f + 1] (GPT-J)
    I32EnumAttrCase<"interleaved", 1>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}

/// An f64 attribute parameter, printed as a float literal; an integer
/// literal reads too (`theta = 10000`).
def Attn_DoubleParameter : APFloatParameter<"a 64-bit float"> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    int64_t whole;
    ::mlir::OptionalParseResult integer = $_parser.parseOptionalInteger(whole);
    if (integer.has_value()) {
      if (::mlir::failed(*integer))
        return ::mlir::failure();
      return ::llvm::APFloat(static_cast<double>(whole));
    }
    double v;
    if ($_parser.parseFloat(v))
      return ::mlir::failure();
    return ::llvm::APFloat(v);
  }() }];
  let printer = [{ $_printer << $_self.convertToDouble() }];
}

def Attn_RotaryAttr : AttrDef<Attn_Dialect, "Rotary"> {
  let mnemonic = "rotary";
  let summary = "rotary position embedding applied to q and k";
  let description = [{
    Rotates the first `dim` elements of every query and key row before the
    scores. Pair `f` (`0 <= f < dim / 2`) turns by the angle
    `pos * theta^(-2 f / dim)`:
    `(x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin)`.
    - `half_split` pairs `x[f]` with `x[f + dim / 2]` (`rotate_half`:
      LLaMA, GPT-NeoX);
    - `interleaved` pairs `x[2 f]` with `x[2 f + 1]` (GPT-J).
    Elements past `dim` are left alone (partial rotary). Keys sit at
    positions `0 .. Lk - 1`; queries at `Lk - Lq .. Lk - 1`, the new tokens
    at the end of a KV cache.

    ```mlir
    #attn.rotary<style = half_split, dim = 128, theta = 10000.0>
    ```
  }];
  let parameters = (ins EnumParameter<Attn_RotaryStyle>:$style,
                        "int64_t":$dim, Attn_DoubleParameter:$theta);
  let assemblyFormat = "`<` struct(params) `>`";
}

#endif // ATTN_ATTRS_TD
