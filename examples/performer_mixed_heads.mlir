// Performer with mixed heads (Choromanski et al. 2021): a causal decoder whose first
// 4 of 8 heads use local softmax attention over a 127-key sliding window and whose
// other 4 heads use FAVOR+ with m = 256 random features; one function, both kinds.
func.func @performer_mixed_heads(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x64xf32>, %projection: tensor<256x64xf32>) -> tensor<?x8x?x64xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%projection : tensor<256x64xf32>)
      {feature_map = #attn.feature_map<favor_plus>, causal, local_heads = 4, local_window = 127}
      : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>
      -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
