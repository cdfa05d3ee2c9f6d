// Efficient Attention (Shen et al. 2021): softmax over D for queries and over the sequence for keys, bidirectional, BSHD.
func.func @linear_softmax(%q: tensor<2x4096x8x64xf16>, %k: tensor<2x4096x8x64xf16>, %v: tensor<2x4096x8x64xf16>) -> tensor<2x4096x8x64xf16> {
  %o = attn.linear_attention %q, %k, %v
      {feature_map = #attn.feature_map<softmax>, layout = #attn.layout<bshd>}
      : tensor<2x4096x8x64xf16>, tensor<2x4096x8x64xf16>, tensor<2x4096x8x64xf16>
      -> tensor<2x4096x8x64xf16>
  return %o : tensor<2x4096x8x64xf16>
}
