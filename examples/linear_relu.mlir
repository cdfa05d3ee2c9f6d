// Performer generalized-kernel (ReLU) attention: phi(x) = relu(c x P^T) + eps_k with m = 128 random features, bidirectional, bf16.
func.func @linear_relu(%q: tensor<4x8x2048x64xbf16>, %k: tensor<4x8x2048x64xbf16>, %v: tensor<4x8x2048x64xbf16>, %projection: tensor<128x64xf32>) -> tensor<4x8x2048x64xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%projection : tensor<128x64xf32>)
      {feature_map = #attn.feature_map<relu>, kernel_eps = 1.0e-3}
      : tensor<4x8x2048x64xbf16>, tensor<4x8x2048x64xbf16>, tensor<4x8x2048x64xbf16>
      -> tensor<4x8x2048x64xbf16>
  return %o : tensor<4x8x2048x64xbf16>
}
