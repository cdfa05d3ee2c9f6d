// Prefix-LM (T5/UL2 style) with an arbitrary boolean mask per batch, broadcast over heads: [B, 1, Lq, Lk].
func.func @explicit_mask(%q: tensor<4x16x1024x64xf32>, %k: tensor<4x16x1024x64xf32>, %v: tensor<4x16x1024x64xf32>, %mask: tensor<4x1x1024x1024xi1>) -> tensor<4x16x1024x64xf32> {
  %o = attn.attention %q, %k, %v mask(%mask : tensor<4x1x1024x1024xi1>)
      : tensor<4x16x1024x64xf32>, tensor<4x16x1024x64xf32>, tensor<4x16x1024x64xf32>
      -> tensor<4x16x1024x64xf32>
  return %o : tensor<4x16x1024x64xf32>
}
