// GPT-2 small causal MHA (12 heads, D = 64) that also returns the f32 log-sum-exp [B, H, Lq], as saved for the backward pass.
func.func @mha_lse(%q: tensor<8x12x1024x64xf16>, %k: tensor<8x12x1024x64xf16>, %v: tensor<8x12x1024x64xf16>) -> (tensor<8x12x1024x64xf16>, tensor<8x12x1024xf32>) {
  %o, %lse = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>}
      : tensor<8x12x1024x64xf16>, tensor<8x12x1024x64xf16>, tensor<8x12x1024x64xf16>
      -> tensor<8x12x1024x64xf16>, tensor<8x12x1024xf32>
  return %o, %lse : tensor<8x12x1024x64xf16>, tensor<8x12x1024xf32>
}
