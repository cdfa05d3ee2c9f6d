// Projected relu (P [64, 64]), non-causal, bf16: the feature kernels'
// profiling spec (bench_linear.py --only-maps builds the same at each shape).
func.func @linear(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>, %p: tensor<64x64xf32>) -> tensor<?x?x?x64xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<64x64xf32>) {feature_map = #attn.feature_map<relu>} : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
