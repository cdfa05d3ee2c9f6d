// Llama-3 attention with its rotary embeddings fused in: RoPE (rotate_half, theta 500000) on q and k, causal GQA 32/8, D = 128, bf16.
func.func @llama_rope(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v
      {causal = #attn.causal<bottom_right>,
       rotary = #attn.rotary<style = half_split, dim = 128, theta = 500000.0>}
      : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
