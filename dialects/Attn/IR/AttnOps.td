//===- AttnOps.td - attn operations ------------------------*- tablegen -*-===//
//
// attn.attention (softmax attention, every mask kind) and
// attn.linear_attention (kernelized attention with a feature map).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "AttnDialect.td"
include "AttnAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Attn_IndexTensor : RankedTensorOf<[I32, I64]>;
def Attn_BoolTensor : RankedTensorOf<[I1]>;

def Attn_AttentionOp : Attn_Op<"attention",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "softmax attention with masks, bias, groups and optional LSE";
  let description = [{
    Computes `O = softmax(scale * Q K^T + bias, allowed) V` per batch and query
    head, in fp32 statistics whatever the element type. Query head `h` reads
    key/value head `h / (Hq / Hkv)` (MHA, GQA and MQA follow from the operand
    shapes). A row with no allowed key outputs 0 and its log-sum-exp is -inf.

    Logical dims (memory order given by `layout`, BHSD by default):
    `Q [B, Hq, Lq, D]`, `K [B, Hkv, Lk, D]`, `V [B, Hkv, Lk, Dv]`,
    result `O [B, Hq, Lq, Dv]` and, if a second result is declared, the natural
    log-sum-exp `[B, Hq, Lq]` in f32. B, H and L may be dynamic; D and Dv are
    static. Mask and bias operands are always in logical `[B, H, Lq, Lk]` order.

    With `off = Lk - Lq`, a pair (i, j) is allowed when all of these hold:
    - `causal`: `bottom_right` needs `j <= i + off`; `top_left` needs `j <= i`;
    - `window`: `i + off - left <= j <= i + off + right`, or, with
      `global_tokens(%g)`, `g[b, i]` or `g[b, j]` (Longformer);
    - `kv_lengths(%n)`: `j < n[b]` (key padding);
    - `documents(%dq, %dk)`: `dq[b, i] == dk[b, j]`;
    - `mask(%m)`: `m[b|0, h|0, i, j]` is true.
    `bias(%b)` is added to the scaled score, broadcast from `[B|1, Hq|1,
    Lq|1, Lk|1]`. `scale` defaults to `1/sqrt(D)`. `rotary` rotates q and k
    first (rotary position embeddings, see `#attn.rotary`), on both
    targets.

    Example (Mistral-style GQA with a causal sliding window and LSE):

    ```mlir
    %o, %lse = attn.attention %q, %k, %v
        {causal = #attn.causal<bottom_right>,
         window = #attn.window<left = 4095, right = 0>}
        : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>,
          tensor<?x8x?x128xbf16>
        -> tensor<?x32x?x128xbf16>, tensor<?x32x?xf32>
    ```
  }];

  let arguments = (ins
    Attn_FloatTensor:$query,
    Attn_FloatTensor:$key,
    Attn_FloatTensor:$value,
    Optional<Attn_FloatTensor>:$bias,
    Optional<Attn_BoolTensor>:$mask,
    Optional<Attn_IndexTensor>:$kv_lengths,
    Optional<Attn_IndexTensor>:$doc_q,
    Optional<Attn_IndexTensor>:$doc_k,
    Optional<Attn_BoolTensor>:$global_tokens,
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<Attn_CausalKindAttr, "::mlir::attn::CausalKind::none">:$causal,
    OptionalAttr<Attn_WindowAttr>:$window,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::bhsd">:$layout,
    OptionalAttr<Attn_RotaryAttr>:$rotary
  );
  let results = (outs
    Attn_FloatTensor:$output,
    Optional<RankedTensorOf<[F32]>>:$lse
  );

  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`kv_lengths` `(` $kv_lengths^ `:` type($kv_lengths) `)`)?
    (`documents` `(` $doc_q^ `,` $doc_k `:` type($doc_q) `,` type($doc_k) `)`)?
    (`global_tokens` `(` $global_tokens^ `:` type($global_tokens) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type(results)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// The logical dims of the operands, read through `layout`.
    ::mlir::attn::AttentionDims getDims();
    /// `scale` if set, else 1/sqrt(D).
    double getScaleOrDefault();
    /// Query heads that share one key/value head (1 for MHA).
    int64_t getGroupSize() { return getDims().groupSize(); }
  }];
}

def Attn_LinearAttentionOp : Attn_Op<"linear_attention", [Pure]> {
  let summary = "kernelized (linear) attention with a feature map";
  let description = [{
    Computes, per batch and query head (head `h` reads key/value head
    `h / (Hq / Hkv)`):

        o_i = phi(q_i)^T (sum_j phi(k_j) v_j^T) / (phi(q_i)^T sum_j phi(k_j) + eps)

    with both sums over all keys, or over `j <= i + (Lk - Lq)` when `causal`.
    Feature maps (`c = D^-1/4`, `kernel_eps` is `eps_k`):
    - `elu_plus_one`: `elu(x) + 1`;
    - `relu`: `relu(c x P^T) + eps_k` with `projection(%P)`, else
      `relu(c x) + eps_k`;
    - `favor_plus` (needs `projection(%P)`, `P` is `[m, D]`):
      `m^-1/2 (exp(c x P^T - c^2 |x|^2 / 2 - stab) + eps_k)`, `stab` the row
      max of `c x P^T` for queries and its max over all keys and features of
      the head for keys;
    - `softmax`: queries softmax over D, keys softmax over the sequence
      (`exp` when causal); no projection.
    `eps` defaults to 1e-6; `kernel_eps` to 1e-3 (relu) or 1e-6 (favor_plus).

    Performer's mixed heads: with `local_heads = n` and `local_window = w`
    the first `n` query heads (and their `n / (Hq / Hkv)` key/value heads)
    use local attention instead, causal (bottom-right) sliding-window softmax
    attention over the keys `i + (Lk - Lq) - w <= j <= i + (Lk - Lq)` with
    scale 1/sqrt(D), as `attn.attention` computes it; the other heads use the
    feature map. Head counts must be static, `0 < n < Hq`, and `n` a multiple
    of `Hq / Hkv`.

    ```mlir
    %o = attn.linear_attention %q, %k, %v projection(%p : tensor<256x64xf32>)
        {feature_map = #attn.feature_map<favor_plus>, causal}
        : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>
        -> tensor<?x8x?x64xf32>
    ```
  }];

  let arguments = (ins
    Attn_FloatTensor:$query,
    Attn_FloatTensor:$key,
    Attn_FloatTensor:$value,
    Optional<Attn_FloatTensor>:$projection,
    Attn_FeatureMapAttr:$feature_map,
    UnitAttr:$causal,
    OptionalAttr<F64Attr>:$eps,
    OptionalAttr<F64Attr>:$kernel_eps,
    OptionalAttr<I64Attr>:$local_heads,
    OptionalAttr<I64Attr>:$local_window,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::bhsd">:$layout
  );
  let results = (outs Attn_FloatTensor:$output);

  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`projection` `(` $projection^ `:` type($projection) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
    `->` type($output)
  }];
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    ::mlir::attn::AttentionDims getDims();
    double getEpsOrDefault();
    double getKernelEpsOrDefault();
    /// Number of features of phi: m with a projection, else D.
    int64_t getNumFeatures();
  }];
}

include "AttnTileOps.td"
include "AttnGPUOps.td"

#endif // ATTN_OPS_TD
