// "Transformers are RNNs" (Katharopoulos et al. 2020): causal linear attention with phi(x) = elu(x) + 1.
func.func @linear_elu(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>, causal}
      : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>
      -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
