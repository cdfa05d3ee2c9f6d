// Mistral 7B: GQA 32/8 with a causal sliding window of W = 4096 tokens, i.e. window (W-1, 0).
func.func @mistral_sliding_window(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v
      {causal = #attn.causal<bottom_right>, window = #attn.window<left = 4095, right = 0>}
      : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
