// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// One function per variant of DESIGN.md section 1: each spec must survive
// parse -> print -> parse (custom and generic form) with every operand,
// attribute and type intact. Attributes print sorted by name; default-valued
// ones (causal = none, layout = bhsd) are elided.

//===----------------------------------------------------------------------===//
// attn.attention: heads, scale, types, layout
//===----------------------------------------------------------------------===//

// MHA (Hq = Hkv = 8) with the implicit scale 1/sqrt(D): no attribute at all.
// CHECK-LABEL: func.func @mha_default_scale(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @mha_default_scale(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// Explicit scale (not 1/sqrt(64) = 0.125), printed as an f64.
// CHECK-LABEL: func.func @mha_explicit_scale(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {scale = 1.000000e-01 : f64} : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @mha_explicit_scale(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %k, %v {scale = 0.1} : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// Spelling out the defaults prints the same as leaving them out.
// CHECK-LABEL: func.func @defaults_elided(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[Q]], %[[Q]] : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @defaults_elided(%q: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %q, %q {causal = #attn.causal<none>, layout = #attn.layout<bhsd>} : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// GQA: 8 query heads share 2 KV heads (group size 4), expressed by shapes only.
// CHECK-LABEL: func.func @gqa_8_2(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x2x128x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x2x128x64xf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<2x8x128x64xf16>, tensor<2x2x128x64xf16>, tensor<2x2x128x64xf16> -> tensor<2x8x128x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @gqa_8_2(%q: tensor<2x8x128x64xf16>, %k: tensor<2x2x128x64xf16>, %v: tensor<2x2x128x64xf16>) -> tensor<2x8x128x64xf16> {
  %o = attn.attention %q, %k, %v : tensor<2x8x128x64xf16>, tensor<2x2x128x64xf16>, tensor<2x2x128x64xf16> -> tensor<2x8x128x64xf16>
  return %o : tensor<2x8x128x64xf16>
}

// MQA: one KV head for all 8 query heads.
// CHECK-LABEL: func.func @mqa_8_1(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x1x128x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x1x128x64xf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<2x8x128x64xf16>, tensor<2x1x128x64xf16>, tensor<2x1x128x64xf16> -> tensor<2x8x128x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @mqa_8_1(%q: tensor<2x8x128x64xf16>, %k: tensor<2x1x128x64xf16>, %v: tensor<2x1x128x64xf16>) -> tensor<2x8x128x64xf16> {
  %o = attn.attention %q, %k, %v : tensor<2x8x128x64xf16>, tensor<2x1x128x64xf16>, tensor<2x1x128x64xf16> -> tensor<2x8x128x64xf16>
  return %o : tensor<2x8x128x64xf16>
}

// Dynamic B, H and L everywhere; only D and Dv are static.
// CHECK-LABEL: func.func @dynamic_dims(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<?x?x?x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<?x?x?x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<?x?x?x64xf32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @dynamic_dims(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>, %v: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
  return %o : tensor<?x?x?x64xf32>
}

// Dynamic batch and lengths with static GQA heads (32/8), Llama-3 8B shape.
// CHECK-LABEL: func.func @dynamic_gqa(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<?x32x?x128xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<?x8x?x128xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<?x8x?x128xbf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @dynamic_gqa(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}

// f16 inputs and output.
// CHECK-LABEL: func.func @element_f16(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x256x64xf16>
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[Q]], %[[Q]] : tensor<1x4x256x64xf16>, tensor<1x4x256x64xf16>, tensor<1x4x256x64xf16> -> tensor<1x4x256x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @element_f16(%q: tensor<1x4x256x64xf16>) -> tensor<1x4x256x64xf16> {
  %o = attn.attention %q, %q, %q : tensor<1x4x256x64xf16>, tensor<1x4x256x64xf16>, tensor<1x4x256x64xf16> -> tensor<1x4x256x64xf16>
  return %o : tensor<1x4x256x64xf16>
}

// bf16 inputs and output.
// CHECK-LABEL: func.func @element_bf16(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x256x64xbf16>
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[Q]], %[[Q]] : tensor<1x4x256x64xbf16>, tensor<1x4x256x64xbf16>, tensor<1x4x256x64xbf16> -> tensor<1x4x256x64xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @element_bf16(%q: tensor<1x4x256x64xbf16>) -> tensor<1x4x256x64xbf16> {
  %o = attn.attention %q, %q, %q : tensor<1x4x256x64xbf16>, tensor<1x4x256x64xbf16>, tensor<1x4x256x64xbf16> -> tensor<1x4x256x64xbf16>
  return %o : tensor<1x4x256x64xbf16>
}

// Dv != D (DeepSeek MLA style: D = 192 for q/k, Dv = 128 for v and o).
// CHECK-LABEL: func.func @value_dim_differs(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x16x128x192xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x16x128x192xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x16x128x128xbf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<2x16x128x192xbf16>, tensor<2x16x128x192xbf16>, tensor<2x16x128x128xbf16> -> tensor<2x16x128x128xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @value_dim_differs(%q: tensor<2x16x128x192xbf16>, %k: tensor<2x16x128x192xbf16>, %v: tensor<2x16x128x128xbf16>) -> tensor<2x16x128x128xbf16> {
  %o = attn.attention %q, %k, %v : tensor<2x16x128x192xbf16>, tensor<2x16x128x192xbf16>, tensor<2x16x128x128xbf16> -> tensor<2x16x128x128xbf16>
  return %o : tensor<2x16x128x128xbf16>
}

// BSHD layout ([B, L, H, D] in memory) with GQA 8/2; output is BSHD too.
// CHECK-LABEL: func.func @bshd_layout(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x128x8x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x256x2x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x256x2x64xf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {layout = #attn.layout<bshd>} : tensor<2x128x8x64xf16>, tensor<2x256x2x64xf16>, tensor<2x256x2x64xf16> -> tensor<2x128x8x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @bshd_layout(%q: tensor<2x128x8x64xf16>, %k: tensor<2x256x2x64xf16>, %v: tensor<2x256x2x64xf16>) -> tensor<2x128x8x64xf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bshd>} : tensor<2x128x8x64xf16>, tensor<2x256x2x64xf16>, tensor<2x256x2x64xf16> -> tensor<2x128x8x64xf16>
  return %o : tensor<2x128x8x64xf16>
}

//===----------------------------------------------------------------------===//
// attn.attention: causal alignment and Lq != Lk
//===----------------------------------------------------------------------===//

// Causal, bottom-right aligned (j <= i + Lk - Lq): the KV-cache convention.
// CHECK-LABEL: func.func @causal_bottom_right(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x64x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {causal = #attn.causal<bottom_right>} : tensor<2x8x64x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x64x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @causal_bottom_right(%q: tensor<2x8x64x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x64x64xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<2x8x64x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x64x64xf32>
  return %o : tensor<2x8x64x64xf32>
}

// Causal, top-left aligned (j <= i).
// CHECK-LABEL: func.func @causal_top_left(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x64x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {causal = #attn.causal<top_left>} : tensor<2x8x64x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x64x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @causal_top_left(%q: tensor<2x8x64x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x64x64xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<top_left>} : tensor<2x8x64x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x64x64xf32>
  return %o : tensor<2x8x64x64xf32>
}

// Decode: one new query token (Lq = 1) against a dynamic-length KV cache.
// CHECK-LABEL: func.func @decode_lq_1(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<4x32x1x128xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<4x8x?x128xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<4x8x?x128xf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {causal = #attn.causal<bottom_right>} : tensor<4x32x1x128xf16>, tensor<4x8x?x128xf16>, tensor<4x8x?x128xf16> -> tensor<4x32x1x128xf16>{{$}}
// CHECK:         return %[[O]]
func.func @decode_lq_1(%q: tensor<4x32x1x128xf16>, %k: tensor<4x8x?x128xf16>, %v: tensor<4x8x?x128xf16>) -> tensor<4x32x1x128xf16> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<4x32x1x128xf16>, tensor<4x8x?x128xf16>, tensor<4x8x?x128xf16> -> tensor<4x32x1x128xf16>
  return %o : tensor<4x32x1x128xf16>
}

// Cross-attention: 77 text queries over 257 image keys, no mask.
// CHECK-LABEL: func.func @cross_attention(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x77x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x257x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x257x64xf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<2x8x77x64xf16>, tensor<2x8x257x64xf16>, tensor<2x8x257x64xf16> -> tensor<2x8x77x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @cross_attention(%q: tensor<2x8x77x64xf16>, %k: tensor<2x8x257x64xf16>, %v: tensor<2x8x257x64xf16>) -> tensor<2x8x77x64xf16> {
  %o = attn.attention %q, %k, %v : tensor<2x8x77x64xf16>, tensor<2x8x257x64xf16>, tensor<2x8x257x64xf16> -> tensor<2x8x77x64xf16>
  return %o : tensor<2x8x77x64xf16>
}

//===----------------------------------------------------------------------===//
// attn.attention: sliding window and global tokens
//===----------------------------------------------------------------------===//

// Mistral: causal sliding window of size W = 4096 is (W-1, 0).
// CHECK-LABEL: func.func @window_mistral(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<1x32x?x128xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x8x?x128xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x8x?x128xbf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {causal = #attn.causal<bottom_right>, window = #attn.window<left = 4095, right = 0>} : tensor<1x32x?x128xbf16>, tensor<1x8x?x128xbf16>, tensor<1x8x?x128xbf16> -> tensor<1x32x?x128xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @window_mistral(%q: tensor<1x32x?x128xbf16>, %k: tensor<1x8x?x128xbf16>, %v: tensor<1x8x?x128xbf16>) -> tensor<1x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>, window = #attn.window<left = 4095, right = 0>} : tensor<1x32x?x128xbf16>, tensor<1x8x?x128xbf16>, tensor<1x8x?x128xbf16> -> tensor<1x32x?x128xbf16>
  return %o : tensor<1x32x?x128xbf16>
}

// Longformer band: symmetric window (w, w) with w = 256, not causal.
// CHECK-LABEL: func.func @window_longformer(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x12x4096x64xf32>
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[Q]], %[[Q]] {window = #attn.window<left = 256, right = 256>} : tensor<2x12x4096x64xf32>, tensor<2x12x4096x64xf32>, tensor<2x12x4096x64xf32> -> tensor<2x12x4096x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @window_longformer(%q: tensor<2x12x4096x64xf32>) -> tensor<2x12x4096x64xf32> {
  %o = attn.attention %q, %q, %q {window = #attn.window<left = 256, right = 256>} : tensor<2x12x4096x64xf32>, tensor<2x12x4096x64xf32>, tensor<2x12x4096x64xf32> -> tensor<2x12x4096x64xf32>
  return %o : tensor<2x12x4096x64xf32>
}

// Longformer global tokens g[b, t] widen the (w, w) band.
// CHECK-LABEL: func.func @longformer_global(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x12x4096x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x12x4096x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x12x4096x64xf32>, %[[G:[a-zA-Z0-9_]+]]: tensor<2x4096xi1>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] global_tokens(%[[G]] : tensor<2x4096xi1>) {window = #attn.window<left = 256, right = 256>} : tensor<2x12x4096x64xf32>, tensor<2x12x4096x64xf32>, tensor<2x12x4096x64xf32> -> tensor<2x12x4096x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @longformer_global(%q: tensor<2x12x4096x64xf32>, %k: tensor<2x12x4096x64xf32>, %v: tensor<2x12x4096x64xf32>, %g: tensor<2x4096xi1>) -> tensor<2x12x4096x64xf32> {
  %o = attn.attention %q, %k, %v global_tokens(%g : tensor<2x4096xi1>) {window = #attn.window<left = 256, right = 256>} : tensor<2x12x4096x64xf32>, tensor<2x12x4096x64xf32>, tensor<2x12x4096x64xf32> -> tensor<2x12x4096x64xf32>
  return %o : tensor<2x12x4096x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: key padding and documents
//===----------------------------------------------------------------------===//

// Key padding with i32 lengths: j < kv_len[b].
// CHECK-LABEL: func.func @kv_lengths_i32(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<4x8x128x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<4x8x128x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<4x8x128x64xf16>, %[[N:[a-zA-Z0-9_]+]]: tensor<4xi32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] kv_lengths(%[[N]] : tensor<4xi32>) : tensor<4x8x128x64xf16>, tensor<4x8x128x64xf16>, tensor<4x8x128x64xf16> -> tensor<4x8x128x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @kv_lengths_i32(%q: tensor<4x8x128x64xf16>, %k: tensor<4x8x128x64xf16>, %v: tensor<4x8x128x64xf16>, %n: tensor<4xi32>) -> tensor<4x8x128x64xf16> {
  %o = attn.attention %q, %k, %v kv_lengths(%n : tensor<4xi32>) : tensor<4x8x128x64xf16>, tensor<4x8x128x64xf16>, tensor<4x8x128x64xf16> -> tensor<4x8x128x64xf16>
  return %o : tensor<4x8x128x64xf16>
}

// Key padding with i64 lengths and a dynamic batch.
// CHECK-LABEL: func.func @kv_lengths_i64(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<?x8x?x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<?x8x?x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<?x8x?x64xf16>, %[[N:[a-zA-Z0-9_]+]]: tensor<?xi64>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] kv_lengths(%[[N]] : tensor<?xi64>) : tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16> -> tensor<?x8x?x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @kv_lengths_i64(%q: tensor<?x8x?x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>, %n: tensor<?xi64>) -> tensor<?x8x?x64xf16> {
  %o = attn.attention %q, %k, %v kv_lengths(%n : tensor<?xi64>) : tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16> -> tensor<?x8x?x64xf16>
  return %o : tensor<?x8x?x64xf16>
}

// Packed documents (block-diagonal): doc_q[b, i] == doc_k[b, j].
// CHECK-LABEL: func.func @documents(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<1x8x2048x64xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x8x2048x64xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x8x2048x64xbf16>, %[[DQ:[a-zA-Z0-9_]+]]: tensor<1x2048xi32>, %[[DK:[a-zA-Z0-9_]+]]: tensor<1x2048xi32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] documents(%[[DQ]], %[[DK]] : tensor<1x2048xi32>, tensor<1x2048xi32>) : tensor<1x8x2048x64xbf16>, tensor<1x8x2048x64xbf16>, tensor<1x8x2048x64xbf16> -> tensor<1x8x2048x64xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @documents(%q: tensor<1x8x2048x64xbf16>, %k: tensor<1x8x2048x64xbf16>, %v: tensor<1x8x2048x64xbf16>, %dq: tensor<1x2048xi32>, %dk: tensor<1x2048xi32>) -> tensor<1x8x2048x64xbf16> {
  %o = attn.attention %q, %k, %v documents(%dq, %dk : tensor<1x2048xi32>, tensor<1x2048xi32>) : tensor<1x8x2048x64xbf16>, tensor<1x8x2048x64xbf16>, tensor<1x8x2048x64xbf16> -> tensor<1x8x2048x64xbf16>
  return %o : tensor<1x8x2048x64xbf16>
}

// Documents + causal (packed pretraining); i64 ids, Lq != Lk, so doc_q is
// [B, Lq] and doc_k is [B, Lk].
// CHECK-LABEL: func.func @documents_causal(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<1x8x512x64xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x8x2048x64xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x8x2048x64xbf16>, %[[DQ:[a-zA-Z0-9_]+]]: tensor<1x512xi64>, %[[DK:[a-zA-Z0-9_]+]]: tensor<1x2048xi64>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] documents(%[[DQ]], %[[DK]] : tensor<1x512xi64>, tensor<1x2048xi64>) {causal = #attn.causal<bottom_right>} : tensor<1x8x512x64xbf16>, tensor<1x8x2048x64xbf16>, tensor<1x8x2048x64xbf16> -> tensor<1x8x512x64xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @documents_causal(%q: tensor<1x8x512x64xbf16>, %k: tensor<1x8x2048x64xbf16>, %v: tensor<1x8x2048x64xbf16>, %dq: tensor<1x512xi64>, %dk: tensor<1x2048xi64>) -> tensor<1x8x512x64xbf16> {
  %o = attn.attention %q, %k, %v documents(%dq, %dk : tensor<1x512xi64>, tensor<1x2048xi64>) {causal = #attn.causal<bottom_right>} : tensor<1x8x512x64xbf16>, tensor<1x8x2048x64xbf16>, tensor<1x8x2048x64xbf16> -> tensor<1x8x512x64xbf16>
  return %o : tensor<1x8x512x64xbf16>
}

//===----------------------------------------------------------------------===//
// attn.attention: explicit mask and additive bias
//===----------------------------------------------------------------------===//

// Full boolean mask [B, Hq, Lq, Lk].
// CHECK-LABEL: func.func @mask_full(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x8x128x128xi1>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x8x128x128xi1>) : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @mask_full(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<2x8x128x128xi1>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<2x8x128x128xi1>) : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// Mask broadcast over batch and heads: [1, 1, Lq, Lk].
// CHECK-LABEL: func.func @mask_broadcast(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<1x1x128x128xi1>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<1x1x128x128xi1>) : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @mask_broadcast(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>, %m: tensor<1x1x128x128xi1>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x1x128x128xi1>) : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// Full additive bias [B, Hq, Lq, Lk] in the input type; GQA, so Hq = 8, not 2.
// CHECK-LABEL: func.func @bias_full(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x2x128x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x2x128x64xf16>, %[[B:[a-zA-Z0-9_]+]]: tensor<2x8x128x128xf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] bias(%[[B]] : tensor<2x8x128x128xf16>) : tensor<2x8x128x64xf16>, tensor<2x2x128x64xf16>, tensor<2x2x128x64xf16> -> tensor<2x8x128x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @bias_full(%q: tensor<2x8x128x64xf16>, %k: tensor<2x2x128x64xf16>, %v: tensor<2x2x128x64xf16>, %b: tensor<2x8x128x128xf16>) -> tensor<2x8x128x64xf16> {
  %o = attn.attention %q, %k, %v bias(%b : tensor<2x8x128x128xf16>) : tensor<2x8x128x64xf16>, tensor<2x2x128x64xf16>, tensor<2x2x128x64xf16> -> tensor<2x8x128x64xf16>
  return %o : tensor<2x8x128x64xf16>
}

// Bias broadcast on batch and Lq: [1, Hq, 1, Lk] (a per-head key bias).
// CHECK-LABEL: func.func @bias_broadcast(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x256x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x256x64xf16>, %[[B:[a-zA-Z0-9_]+]]: tensor<1x8x1x256xf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] bias(%[[B]] : tensor<1x8x1x256xf16>) : tensor<2x8x128x64xf16>, tensor<2x8x256x64xf16>, tensor<2x8x256x64xf16> -> tensor<2x8x128x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @bias_broadcast(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x256x64xf16>, %v: tensor<2x8x256x64xf16>, %b: tensor<1x8x1x256xf16>) -> tensor<2x8x128x64xf16> {
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x8x1x256xf16>) : tensor<2x8x128x64xf16>, tensor<2x8x256x64xf16>, tensor<2x8x256x64xf16> -> tensor<2x8x128x64xf16>
  return %o : tensor<2x8x128x64xf16>
}

// f32 bias on bf16 inputs (allowed: f32 or the input type).
// CHECK-LABEL: func.func @bias_f32_on_bf16(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xbf16>, %[[B:[a-zA-Z0-9_]+]]: tensor<1x8x128x128xf32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] bias(%[[B]] : tensor<1x8x128x128xf32>) : tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16> -> tensor<2x8x128x64xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @bias_f32_on_bf16(%q: tensor<2x8x128x64xbf16>, %k: tensor<2x8x128x64xbf16>, %v: tensor<2x8x128x64xbf16>, %b: tensor<1x8x128x128xf32>) -> tensor<2x8x128x64xbf16> {
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x8x128x128xf32>) : tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16>, tensor<2x8x128x64xbf16> -> tensor<2x8x128x64xbf16>
  return %o : tensor<2x8x128x64xbf16>
}

//===----------------------------------------------------------------------===//
// attn.attention: log-sum-exp result
//===----------------------------------------------------------------------===//

// Second result: the f32 log-sum-exp [B, Hq, Lq].
// CHECK-LABEL: func.func @lse(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf16>)
// CHECK:         %[[O:.+]], %[[LSE:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] : tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16> -> tensor<2x8x128x64xf16>, tensor<2x8x128xf32>{{$}}
// CHECK:         return %[[O]], %[[LSE]]
func.func @lse(%q: tensor<2x8x128x64xf16>, %k: tensor<2x8x128x64xf16>, %v: tensor<2x8x128x64xf16>) -> (tensor<2x8x128x64xf16>, tensor<2x8x128xf32>) {
  %o, %lse = attn.attention %q, %k, %v : tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16>, tensor<2x8x128x64xf16> -> tensor<2x8x128x64xf16>, tensor<2x8x128xf32>
  return %o, %lse : tensor<2x8x128x64xf16>, tensor<2x8x128xf32>
}

// In BSHD the LSE stays in logical [B, Hq, Lq] order.
// CHECK-LABEL: func.func @lse_bshd(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x128x8x64xf16>
// CHECK:         %[[O:.+]], %[[LSE:.+]] = attn.attention %[[Q]], %[[Q]], %[[Q]] {layout = #attn.layout<bshd>} : tensor<2x128x8x64xf16>, tensor<2x128x8x64xf16>, tensor<2x128x8x64xf16> -> tensor<2x128x8x64xf16>, tensor<2x8x128xf32>{{$}}
// CHECK:         return %[[O]], %[[LSE]]
func.func @lse_bshd(%q: tensor<2x128x8x64xf16>) -> (tensor<2x128x8x64xf16>, tensor<2x8x128xf32>) {
  %o, %lse = attn.attention %q, %q, %q {layout = #attn.layout<bshd>} : tensor<2x128x8x64xf16>, tensor<2x128x8x64xf16>, tensor<2x128x8x64xf16> -> tensor<2x128x8x64xf16>, tensor<2x8x128xf32>
  return %o, %lse : tensor<2x128x8x64xf16>, tensor<2x8x128xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: combinations
//===----------------------------------------------------------------------===//

// Everything a causal decoder step can carry at once: causal + window +
// key padding + bias + mask + LSE, with GQA and an explicit scale. Operands
// print in the fixed order bias, mask, kv_lengths whatever the input order.
// CHECK-LABEL: func.func @causal_window_padding_bias_mask_lse(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x2x128x64xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x2x128x64xbf16>, %[[B:[a-zA-Z0-9_]+]]: tensor<1x8x128x128xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x1x128x128xi1>, %[[N:[a-zA-Z0-9_]+]]: tensor<2xi32>)
// CHECK:         %[[O:.+]], %[[LSE:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] bias(%[[B]] : tensor<1x8x128x128xf32>) mask(%[[M]] : tensor<2x1x128x128xi1>) kv_lengths(%[[N]] : tensor<2xi32>) {causal = #attn.causal<bottom_right>, scale = 1.250000e-01 : f64, window = #attn.window<left = 63, right = 0>} : tensor<2x8x128x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16> -> tensor<2x8x128x64xbf16>, tensor<2x8x128xf32>{{$}}
// CHECK:         return %[[O]], %[[LSE]]
func.func @causal_window_padding_bias_mask_lse(%q: tensor<2x8x128x64xbf16>, %k: tensor<2x2x128x64xbf16>, %v: tensor<2x2x128x64xbf16>, %b: tensor<1x8x128x128xf32>, %m: tensor<2x1x128x128xi1>, %n: tensor<2xi32>) -> (tensor<2x8x128x64xbf16>, tensor<2x8x128xf32>) {
  %o, %lse = attn.attention %q, %k, %v bias(%b : tensor<1x8x128x128xf32>) mask(%m : tensor<2x1x128x128xi1>) kv_lengths(%n : tensor<2xi32>) {window = #attn.window<left = 63, right = 0>, scale = 0.125, causal = #attn.causal<bottom_right>} : tensor<2x8x128x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16> -> tensor<2x8x128x64xbf16>, tensor<2x8x128xf32>
  return %o, %lse : tensor<2x8x128x64xbf16>, tensor<2x8x128xf32>
}

// Packed documents + causal + key padding + sliding window, dynamic lengths.
// CHECK-LABEL: func.func @documents_causal_window_padding(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x?x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x?x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x?x64xf16>, %[[N:[a-zA-Z0-9_]+]]: tensor<2xi64>, %[[DQ:[a-zA-Z0-9_]+]]: tensor<2x?xi32>, %[[DK:[a-zA-Z0-9_]+]]: tensor<2x?xi32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] kv_lengths(%[[N]] : tensor<2xi64>) documents(%[[DQ]], %[[DK]] : tensor<2x?xi32>, tensor<2x?xi32>) {causal = #attn.causal<top_left>, window = #attn.window<left = 511, right = 0>} : tensor<2x8x?x64xf16>, tensor<2x8x?x64xf16>, tensor<2x8x?x64xf16> -> tensor<2x8x?x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @documents_causal_window_padding(%q: tensor<2x8x?x64xf16>, %k: tensor<2x8x?x64xf16>, %v: tensor<2x8x?x64xf16>, %n: tensor<2xi64>, %dq: tensor<2x?xi32>, %dk: tensor<2x?xi32>) -> tensor<2x8x?x64xf16> {
  %o = attn.attention %q, %k, %v kv_lengths(%n : tensor<2xi64>) documents(%dq, %dk : tensor<2x?xi32>, tensor<2x?xi32>) {causal = #attn.causal<top_left>, window = #attn.window<left = 511, right = 0>} : tensor<2x8x?x64xf16>, tensor<2x8x?x64xf16>, tensor<2x8x?x64xf16> -> tensor<2x8x?x64xf16>
  return %o : tensor<2x8x?x64xf16>
}

// Longformer with every compatible extra: global tokens + window + key
// padding + bias + mask + LSE, in BSHD layout.
// CHECK-LABEL: func.func @longformer_global_padding_bias_mask_bshd(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x1024x12x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x1024x12x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x1024x12x64xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<2x1x1x1024xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<1x12x1024x1024xi1>, %[[N:[a-zA-Z0-9_]+]]: tensor<2xi32>, %[[G:[a-zA-Z0-9_]+]]: tensor<2x1024xi1>)
// CHECK:         %[[O:.+]], %[[LSE:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] bias(%[[B]] : tensor<2x1x1x1024xf32>) mask(%[[M]] : tensor<1x12x1024x1024xi1>) kv_lengths(%[[N]] : tensor<2xi32>) global_tokens(%[[G]] : tensor<2x1024xi1>) {layout = #attn.layout<bshd>, window = #attn.window<left = 128, right = 128>} : tensor<2x1024x12x64xf32>, tensor<2x1024x12x64xf32>, tensor<2x1024x12x64xf32> -> tensor<2x1024x12x64xf32>, tensor<2x12x1024xf32>{{$}}
// CHECK:         return %[[O]], %[[LSE]]
func.func @longformer_global_padding_bias_mask_bshd(%q: tensor<2x1024x12x64xf32>, %k: tensor<2x1024x12x64xf32>, %v: tensor<2x1024x12x64xf32>, %b: tensor<2x1x1x1024xf32>, %m: tensor<1x12x1024x1024xi1>, %n: tensor<2xi32>, %g: tensor<2x1024xi1>) -> (tensor<2x1024x12x64xf32>, tensor<2x12x1024xf32>) {
  %o, %lse = attn.attention %q, %k, %v bias(%b : tensor<2x1x1x1024xf32>) mask(%m : tensor<1x12x1024x1024xi1>) kv_lengths(%n : tensor<2xi32>) global_tokens(%g : tensor<2x1024xi1>) {layout = #attn.layout<bshd>, window = #attn.window<left = 128, right = 128>} : tensor<2x1024x12x64xf32>, tensor<2x1024x12x64xf32>, tensor<2x1024x12x64xf32> -> tensor<2x1024x12x64xf32>, tensor<2x12x1024xf32>
  return %o, %lse : tensor<2x1024x12x64xf32>, tensor<2x12x1024xf32>
}

// Split-KV decode chunk: Lq = 1, MQA, key padding and LSE for the merge.
// CHECK-LABEL: func.func @decode_mqa_padding_lse(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<8x16x1x128xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<8x1x4096x128xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<8x1x4096x128xf16>, %[[N:[a-zA-Z0-9_]+]]: tensor<8xi32>)
// CHECK:         %[[O:.+]], %[[LSE:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] kv_lengths(%[[N]] : tensor<8xi32>) {causal = #attn.causal<bottom_right>} : tensor<8x16x1x128xf16>, tensor<8x1x4096x128xf16>, tensor<8x1x4096x128xf16> -> tensor<8x16x1x128xf16>, tensor<8x16x1xf32>{{$}}
// CHECK:         return %[[O]], %[[LSE]]
func.func @decode_mqa_padding_lse(%q: tensor<8x16x1x128xf16>, %k: tensor<8x1x4096x128xf16>, %v: tensor<8x1x4096x128xf16>, %n: tensor<8xi32>) -> (tensor<8x16x1x128xf16>, tensor<8x16x1xf32>) {
  %o, %lse = attn.attention %q, %k, %v kv_lengths(%n : tensor<8xi32>) {causal = #attn.causal<bottom_right>} : tensor<8x16x1x128xf16>, tensor<8x1x4096x128xf16>, tensor<8x1x4096x128xf16> -> tensor<8x16x1x128xf16>, tensor<8x16x1xf32>
  return %o, %lse : tensor<8x16x1x128xf16>, tensor<8x16x1xf32>
}

//===----------------------------------------------------------------------===//
// attn.linear_attention
//===----------------------------------------------------------------------===//

// elu(x) + 1, non-causal, default eps.
// CHECK-LABEL: func.func @linear_elu(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32> -> tensor<2x8x1024x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_elu(%q: tensor<2x8x1024x64xf32>, %k: tensor<2x8x1024x64xf32>, %v: tensor<2x8x1024x64xf32>) -> tensor<2x8x1024x64xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32> -> tensor<2x8x1024x64xf32>
  return %o : tensor<2x8x1024x64xf32>
}

// elu(x) + 1, causal, explicit eps.
// CHECK-LABEL: func.func @linear_elu_causal_eps(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x?x64xf32>
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[Q]], %[[Q]] {causal, eps = 1.000000e-05 : f64, feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32> -> tensor<2x8x?x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_elu_causal_eps(%q: tensor<2x8x?x64xf32>) -> tensor<2x8x?x64xf32> {
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, causal, eps = 1.0e-5} : tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32>, tensor<2x8x?x64xf32> -> tensor<2x8x?x64xf32>
  return %o : tensor<2x8x?x64xf32>
}

// relu(c x) + eps_k without a projection (phi has D features).
// CHECK-LABEL: func.func @linear_relu_no_projection(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] {feature_map = #attn.feature_map<relu>} : tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32> -> tensor<2x8x1024x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_relu_no_projection(%q: tensor<2x8x1024x64xf32>, %k: tensor<2x8x1024x64xf32>, %v: tensor<2x8x1024x64xf32>) -> tensor<2x8x1024x64xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<relu>} : tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32> -> tensor<2x8x1024x64xf32>
  return %o : tensor<2x8x1024x64xf32>
}

// relu(c x P^T) + eps_k with a [m = 128, D = 64] projection, causal, explicit
// eps and kernel_eps.
// CHECK-LABEL: func.func @linear_relu_projection(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>, %[[P:[a-zA-Z0-9_]+]]: tensor<128x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] projection(%[[P]] : tensor<128x64xf32>) {causal, eps = 1.000000e-04 : f64, feature_map = #attn.feature_map<relu>, kernel_eps = 1.000000e-02 : f64} : tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32> -> tensor<2x8x1024x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_relu_projection(%q: tensor<2x8x1024x64xf32>, %k: tensor<2x8x1024x64xf32>, %v: tensor<2x8x1024x64xf32>, %p: tensor<128x64xf32>) -> tensor<2x8x1024x64xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<128x64xf32>) {feature_map = #attn.feature_map<relu>, causal, eps = 1.0e-4, kernel_eps = 1.0e-2} : tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32>, tensor<2x8x1024x64xf32> -> tensor<2x8x1024x64xf32>
  return %o : tensor<2x8x1024x64xf32>
}

// Performer FAVOR+ with m = 256 random features, non-causal.
// CHECK-LABEL: func.func @linear_favor_plus(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x4096x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x4096x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x4096x64xf32>, %[[P:[a-zA-Z0-9_]+]]: tensor<256x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] projection(%[[P]] : tensor<256x64xf32>) {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x4096x64xf32>, tensor<2x8x4096x64xf32>, tensor<2x8x4096x64xf32> -> tensor<2x8x4096x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_favor_plus(%q: tensor<2x8x4096x64xf32>, %k: tensor<2x8x4096x64xf32>, %v: tensor<2x8x4096x64xf32>, %p: tensor<256x64xf32>) -> tensor<2x8x4096x64xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<256x64xf32>) {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x4096x64xf32>, tensor<2x8x4096x64xf32>, tensor<2x8x4096x64xf32> -> tensor<2x8x4096x64xf32>
  return %o : tensor<2x8x4096x64xf32>
}

// FAVOR+, causal, explicit eps and kernel_eps, bf16 inputs with an f32 projection.
// CHECK-LABEL: func.func @linear_favor_plus_causal_bf16(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x?x64xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x?x64xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x?x64xbf16>, %[[P:[a-zA-Z0-9_]+]]: tensor<256x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] projection(%[[P]] : tensor<256x64xf32>) {causal, eps = 1.000000e-03 : f64, feature_map = #attn.feature_map<favor_plus>, kernel_eps = 0.000000e+00 : f64} : tensor<2x8x?x64xbf16>, tensor<2x8x?x64xbf16>, tensor<2x8x?x64xbf16> -> tensor<2x8x?x64xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @linear_favor_plus_causal_bf16(%q: tensor<2x8x?x64xbf16>, %k: tensor<2x8x?x64xbf16>, %v: tensor<2x8x?x64xbf16>, %p: tensor<256x64xf32>) -> tensor<2x8x?x64xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<256x64xf32>) {feature_map = #attn.feature_map<favor_plus>, causal, eps = 1.0e-3, kernel_eps = 0.0} : tensor<2x8x?x64xbf16>, tensor<2x8x?x64xbf16>, tensor<2x8x?x64xbf16> -> tensor<2x8x?x64xbf16>
  return %o : tensor<2x8x?x64xbf16>
}

// softmax feature map, non-causal (k: softmax over the sequence).
// CHECK-LABEL: func.func @linear_softmax(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf16>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] {feature_map = #attn.feature_map<softmax>} : tensor<2x8x1024x64xf16>, tensor<2x8x1024x64xf16>, tensor<2x8x1024x64xf16> -> tensor<2x8x1024x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @linear_softmax(%q: tensor<2x8x1024x64xf16>, %k: tensor<2x8x1024x64xf16>, %v: tensor<2x8x1024x64xf16>) -> tensor<2x8x1024x64xf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<softmax>} : tensor<2x8x1024x64xf16>, tensor<2x8x1024x64xf16>, tensor<2x8x1024x64xf16> -> tensor<2x8x1024x64xf16>
  return %o : tensor<2x8x1024x64xf16>
}

// softmax feature map, causal (k: exp), Dv != D.
// CHECK-LABEL: func.func @linear_softmax_causal(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x1024x32xf16>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] {causal, feature_map = #attn.feature_map<softmax>} : tensor<2x8x1024x64xf16>, tensor<2x8x1024x64xf16>, tensor<2x8x1024x32xf16> -> tensor<2x8x1024x32xf16>{{$}}
// CHECK:         return %[[O]]
func.func @linear_softmax_causal(%q: tensor<2x8x1024x64xf16>, %k: tensor<2x8x1024x64xf16>, %v: tensor<2x8x1024x32xf16>) -> tensor<2x8x1024x32xf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<softmax>, causal} : tensor<2x8x1024x64xf16>, tensor<2x8x1024x64xf16>, tensor<2x8x1024x32xf16> -> tensor<2x8x1024x32xf16>
  return %o : tensor<2x8x1024x32xf16>
}

// Linear attention with GQA (8 query heads over 2 KV heads).
// CHECK-LABEL: func.func @linear_gqa(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x1024x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x2x1024x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x2x1024x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] {causal, feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x1024x64xf32>, tensor<2x2x1024x64xf32>, tensor<2x2x1024x64xf32> -> tensor<2x8x1024x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_gqa(%q: tensor<2x8x1024x64xf32>, %k: tensor<2x2x1024x64xf32>, %v: tensor<2x2x1024x64xf32>) -> tensor<2x8x1024x64xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>, causal} : tensor<2x8x1024x64xf32>, tensor<2x2x1024x64xf32>, tensor<2x2x1024x64xf32> -> tensor<2x8x1024x64xf32>
  return %o : tensor<2x8x1024x64xf32>
}

// Linear attention in BSHD layout with a relu projection.
// CHECK-LABEL: func.func @linear_bshd(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x1024x8x64xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x1024x8x64xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x1024x8x64xf16>, %[[P:[a-zA-Z0-9_]+]]: tensor<64x64xf16>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] projection(%[[P]] : tensor<64x64xf16>) {feature_map = #attn.feature_map<relu>, layout = #attn.layout<bshd>} : tensor<2x1024x8x64xf16>, tensor<2x1024x8x64xf16>, tensor<2x1024x8x64xf16> -> tensor<2x1024x8x64xf16>{{$}}
// CHECK:         return %[[O]]
func.func @linear_bshd(%q: tensor<2x1024x8x64xf16>, %k: tensor<2x1024x8x64xf16>, %v: tensor<2x1024x8x64xf16>, %p: tensor<64x64xf16>) -> tensor<2x1024x8x64xf16> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<64x64xf16>) {feature_map = #attn.feature_map<relu>, layout = #attn.layout<bshd>} : tensor<2x1024x8x64xf16>, tensor<2x1024x8x64xf16>, tensor<2x1024x8x64xf16> -> tensor<2x1024x8x64xf16>
  return %o : tensor<2x1024x8x64xf16>
}

// Linear attention in bf16, dynamic batch and length, GQA 4/1.
// CHECK-LABEL: func.func @linear_bf16_dynamic(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<?x4x?x128xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<?x1x?x128xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<?x1x?x128xbf16>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[K]], %[[V]] {feature_map = #attn.feature_map<elu_plus_one>} : tensor<?x4x?x128xbf16>, tensor<?x1x?x128xbf16>, tensor<?x1x?x128xbf16> -> tensor<?x4x?x128xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @linear_bf16_dynamic(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x1x?x128xbf16>, %v: tensor<?x1x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>} : tensor<?x4x?x128xbf16>, tensor<?x1x?x128xbf16>, tensor<?x1x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}

// Performer's mixed heads: 4 local sliding-window heads, 4 FAVOR+ heads.
// CHECK-LABEL: func.func @linear_mixed_heads(
// CHECK:         attn.linear_attention %{{.+}}, %{{.+}}, %{{.+}} projection(%{{.+}} : tensor<128x64xf32>) {causal, feature_map = #attn.feature_map<favor_plus>, local_heads = 4 : i64, local_window = 255 : i64} : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>{{$}}
func.func @linear_mixed_heads(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>, %v: tensor<?x8x?x64xf32>, %p: tensor<128x64xf32>) -> tensor<?x8x?x64xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<128x64xf32>) {feature_map = #attn.feature_map<favor_plus>, causal, local_heads = 4, local_window = 255} : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// CHECK-LABEL: func.func @tensor_map(
// CHECK:         attn.tensor_map %{{.+}} {box_rows = 128 : i64, layout = #attn.layout<bshd>} : memref<?x?x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>> -> !llvm.ptr
func.func @tensor_map(%k: memref<?x?x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>) -> !llvm.ptr {
  %m = attn.tensor_map %k {box_rows = 128 : i64, layout = #attn.layout<bshd>} : memref<?x?x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>> -> !llvm.ptr
  return %m : !llvm.ptr
}

// Columns past D = 80 read as zero in the box's second panel.
// CHECK-LABEL: func.func @tensor_map_partial_panel(
// CHECK:         attn.tensor_map %{{.+}} {box_rows = 64 : i64} : memref<?x?x?x80xf16> -> !llvm.ptr
func.func @tensor_map_partial_panel(%q: memref<?x?x?x80xf16>) -> !llvm.ptr {
  %m = attn.tensor_map %q {box_rows = 64 : i64} : memref<?x?x?x80xf16> -> !llvm.ptr
  return %m : !llvm.ptr
}

// CHECK-LABEL: func.func @multiprocessor_count(
// CHECK:         %[[N:.+]] = attn.multiprocessor_count : index
// CHECK:         arith.minui %{{.+}}, %[[N]] : index
func.func @multiprocessor_count(%tiles: index) -> index {
  %n = attn.multiprocessor_count : index
  %g = arith.minui %tiles, %n : index
  return %g : index
}

// Rotary embeddings (LLaMA: half_split over all of D; GPT-J: interleaved,
// partial rotary over the first 32 of 64).
// CHECK-LABEL: func.func @rotary(
// CHECK:         attn.attention %{{.+}}, %{{.+}}, %{{.+}} {causal = #attn.causal<bottom_right>, rotary = #attn.rotary<style = half_split, dim = 128, theta = 5.000000e+05>}
// CHECK:         attn.attention %{{.+}}, %{{.+}}, %{{.+}} {rotary = #attn.rotary<style = interleaved, dim = 32, theta = 1.000000e+04>}
func.func @rotary(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %x: tensor<1x4x7x64xf32>) -> (tensor<?x32x?x128xbf16>, tensor<1x4x7x64xf32>) {
  %o = attn.attention %q, %k, %k {causal = #attn.causal<bottom_right>, rotary = #attn.rotary<style = half_split, dim = 128, theta = 500000.0>}
      : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  %p = attn.attention %x, %x, %x {rotary = #attn.rotary<style = interleaved, dim = 32, theta = 10000>}
      : tensor<1x4x7x64xf32>, tensor<1x4x7x64xf32>, tensor<1x4x7x64xf32> -> tensor<1x4x7x64xf32>
  return %o, %p : tensor<?x32x?x128xbf16>, tensor<1x4x7x64xf32>
}
