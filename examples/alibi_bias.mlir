// BLOOM-560m: causal MHA (16 heads, D = 64) with ALiBi, an f32 per-head linear distance bias [1, H, Lq, Lk] on bf16 inputs.
func.func @alibi_bias(%q: tensor<2x16x2048x64xbf16>, %k: tensor<2x16x2048x64xbf16>, %v: tensor<2x16x2048x64xbf16>, %alibi: tensor<1x16x2048x2048xf32>) -> tensor<2x16x2048x64xbf16> {
  %o = attn.attention %q, %k, %v bias(%alibi : tensor<1x16x2048x2048xf32>)
      {causal = #attn.causal<bottom_right>}
      : tensor<2x16x2048x64xbf16>, tensor<2x16x2048x64xbf16>, tensor<2x16x2048x64xbf16>
      -> tensor<2x16x2048x64xbf16>
  return %o : tensor<2x16x2048x64xbf16>
}
