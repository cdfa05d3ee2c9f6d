// Benchmark spec: non-causal attention with fused RoPE (rotate_half, theta 500000, LLaMA 3), bf16, D = 128, dynamic B/H/L (GQA through --kv-heads).
func.func @rope_full(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %o = attn.attention %q, %k, %v {rotary = #attn.rotary<style = half_split, dim = 128, theta = 500000.0>} : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
