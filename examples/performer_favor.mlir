// Performer FAVOR+ (Choromanski et al. 2021): positive orthogonal random features, m = 256, causal (autoregressive).
func.func @performer_favor(%q: tensor<2x8x?x64xf32>, %k: tensor<2x8x?x64xf32>, %v: tensor<2x8x?x64xf32>, %projection: tensor<256x64xf32>) -> tensor<2x8x?x64xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%projection : tensor<256x64xf32>)
      {feature_map = #attn.feature_map<favor_plus>, causal}
      : tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32>
      -> tensor<2x8x?x64xf32>
  return %o : tensor<2x8x?x64xf32>
}
