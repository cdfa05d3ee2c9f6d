// DeepSeek-V2 multi-head latent attention after decompression: 128 heads, D = 192 for q/k, Dv = 128, explicit YaRN softmax scale mscale^2 / sqrt(192).
func.func @mla_value_dim(%q: tensor<1x128x?x192xbf16>, %k: tensor<1x128x?x192xbf16>, %v: tensor<1x128x?x128xbf16>) -> tensor<1x128x?x128xbf16> {
  %o = attn.attention %q, %k, %v
      {causal = #attn.causal<bottom_right>, scale = 0.1147213867929261}
      : tensor<1x128x?x192xbf16>, tensor<1x128x?x192xbf16>, tensor<1x128x?x128xbf16>
      -> tensor<1x128x?x128xbf16>
  return %o : tensor<1x128x?x128xbf16>
}
