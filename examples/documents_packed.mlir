// Packed pretraining batch: several documents per 4096-token row, causal within each document (block-diagonal + causal).
func.func @documents_packed(%q: tensor<8x16x4096x64xbf16>, %k: tensor<8x16x4096x64xbf16>, %v: tensor<8x16x4096x64xbf16>, %doc_q: tensor<8x4096xi32>, %doc_k: tensor<8x4096xi32>) -> tensor<8x16x4096x64xbf16> {
  %o = attn.attention %q, %k, %v
      documents(%doc_q, %doc_k : tensor<8x4096xi32>, tensor<8x4096xi32>)
      {causal = #attn.causal<bottom_right>}
      : tensor<8x16x4096x64xbf16>, tensor<8x16x4096x64xbf16>, tensor<8x16x4096x64xbf16>
      -> tensor<8x16x4096x64xbf16>
  return %o : tensor<8x16x4096x64xbf16>
}
