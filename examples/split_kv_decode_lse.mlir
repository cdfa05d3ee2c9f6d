// Flash-Decoding split-KV chunk: MQA (Falcon-7B, 71 query heads, 1 KV head) over one 1024-key chunk; the LSE merges chunks.
func.func @split_kv_decode_lse(%q: tensor<4x71x1x64xbf16>, %k_chunk: tensor<4x1x1024x64xbf16>, %v_chunk: tensor<4x1x1024x64xbf16>, %kv_lengths: tensor<4xi64>) -> (tensor<4x71x1x64xbf16>, tensor<4x71x1xf32>) {
  %o, %lse = attn.attention %q, %k_chunk, %v_chunk kv_lengths(%kv_lengths : tensor<4xi64>)
      : tensor<4x71x1x64xbf16>, tensor<4x1x1024x64xbf16>, tensor<4x1x1024x64xbf16>
      -> tensor<4x71x1x64xbf16>, tensor<4x71x1xf32>
  return %o, %lse : tensor<4x71x1x64xbf16>, tensor<4x71x1xf32>
}
