// FlashAttention-style [B, S, H, D] (BSHD) tensors straight from the QKV projection: causal GQA 16/4, D = 128, f16.
func.func @bshd_layout(%q: tensor<?x?x16x128xf16>, %k: tensor<?x?x4x128xf16>, %v: tensor<?x?x4x128xf16>) -> tensor<?x?x16x128xf16> {
  %o = attn.attention %q, %k, %v
      {causal = #attn.causal<bottom_right>, layout = #attn.layout<bshd>}
      : tensor<?x?x16x128xf16>, tensor<?x?x4x128xf16>, tensor<?x?x4x128xf16>
      -> tensor<?x?x16x128xf16>
  return %o : tensor<?x?x16x128xf16>
}
