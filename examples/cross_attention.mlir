// Stable Diffusion 1.5 UNet cross-attention: 64x64 latent queries (Lq = 4096) over 77 CLIP text tokens, 8 heads, D = 40.
func.func @cross_attention(%q: tensor<2x8x4096x40xf16>, %k: tensor<2x8x77x40xf16>, %v: tensor<2x8x77x40xf16>) -> tensor<2x8x4096x40xf16> {
  %o = attn.attention %q, %k, %v
      : tensor<2x8x4096x40xf16>, tensor<2x8x77x40xf16>, tensor<2x8x77x40xf16>
      -> tensor<2x8x4096x40xf16>
  return %o : tensor<2x8x4096x40xf16>
}
