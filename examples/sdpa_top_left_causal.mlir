// PyTorch scaled_dot_product_attention(is_causal=True) with Lq != Lk: causal aligned top-left (j <= i).
func.func @sdpa_top_left_causal(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x512x64xf32>, %v: tensor<2x8x512x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<top_left>}
      : tensor<2x8x128x64xf32>, tensor<2x8x512x64xf32>, tensor<2x8x512x64xf32>
      -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}
