// Benchmark spec: FAVOR+ (Performer), m = 266 = D ln D features, D = 64, bf16, non-causal.
func.func @favor(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>, %projection: tensor<266x64xf32>) -> tensor<?x?x?x64xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%projection : tensor<266x64xf32>)
      {feature_map = #attn.feature_map<favor_plus>}
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
