// Llama-3 8B decode step: one new token (Lq = 1) per sequence against a paged-out KV cache of per-sequence length kv_lengths[b].
func.func @decode_kv_cache(%q: tensor<?x32x1x128xf16>, %k_cache: tensor<?x8x?x128xf16>, %v_cache: tensor<?x8x?x128xf16>, %kv_lengths: tensor<?xi32>) -> tensor<?x32x1x128xf16> {
  %o = attn.attention %q, %k_cache, %v_cache kv_lengths(%kv_lengths : tensor<?xi32>)
      {causal = #attn.causal<bottom_right>}
      : tensor<?x32x1x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>
      -> tensor<?x32x1x128xf16>
  return %o : tensor<?x32x1x128xf16>
}
