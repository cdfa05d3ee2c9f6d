// Longformer-base: 512-token band (window (256, 256)) widened by global tokens (e.g. [CLS], question tokens).
func.func @longformer_global(%q: tensor<?x12x4096x64xf16>, %k: tensor<?x12x4096x64xf16>, %v: tensor<?x12x4096x64xf16>, %global: tensor<?x4096xi1>) -> tensor<?x12x4096x64xf16> {
  %o = attn.attention %q, %k, %v global_tokens(%global : tensor<?x4096xi1>)
      {window = #attn.window<left = 256, right = 256>}
      : tensor<?x12x4096x64xf16>, tensor<?x12x4096x64xf16>, tensor<?x12x4096x64xf16>
      -> tensor<?x12x4096x64xf16>
  return %o : tensor<?x12x4096x64xf16>
}
