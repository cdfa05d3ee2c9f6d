// BERT-base encoder on a padded batch: bidirectional MHA (12 heads, D = 64), keys j >= kv_lengths[b] are padding.
func.func @key_padding(%q: tensor<?x12x512x64xf16>, %k: tensor<?x12x512x64xf16>, %v: tensor<?x12x512x64xf16>, %kv_lengths: tensor<?xi32>) -> tensor<?x12x512x64xf16> {
  %o = attn.attention %q, %k, %v kv_lengths(%kv_lengths : tensor<?xi32>)
      : tensor<?x12x512x64xf16>, tensor<?x12x512x64xf16>, tensor<?x12x512x64xf16>
      -> tensor<?x12x512x64xf16>
  return %o : tensor<?x12x512x64xf16>
}
