// RUN: attn-opt %s --attn-materialize-defaults | FileCheck %s
// The pass is idempotent and its output verifies: running it again on its own
// output changes nothing.
// RUN: attn-opt %s --attn-materialize-defaults | attn-opt --attn-materialize-defaults | FileCheck %s

// --attn-materialize-defaults writes every implicit default as an attribute:
// scale = 1/sqrt(D) on attn.attention; eps (1e-6) on attn.linear_attention,
// and kernel_eps (relu 1e-3, favor_plus 1e-6) only for the feature maps that
// use it. Attributes already present are kept. Attribute dictionaries are
// matched whole, so an attribute the pass must not add would fail the match.
// Note: the printer writes 1e-6 as 9.9999999999999995E-7.

//===----------------------------------------------------------------------===//
// attn.attention: scale
//===----------------------------------------------------------------------===//

// D = 64: scale = 1/sqrt(64) = 0.125.
// CHECK-LABEL: func.func @scale_d64(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {scale = 1.250000e-01 : f64} : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @scale_d64(%q: tensor<2x8x128x64xf32>, %k: tensor<2x8x128x64xf32>, %v: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// D = 80 (not a power of 4): scale = 1/sqrt(80) = 0.11180339887498948, the
// full f64 value, next to the other attributes, which are kept.
// CHECK-LABEL: func.func @scale_d80_causal(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<1x32x?x80xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x32x?x80xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x32x?x80xf16>)
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {causal = #attn.causal<bottom_right>, scale = 0.11180339887498948 : f64} : tensor<1x32x?x80xf16>, tensor<1x32x?x80xf16>, tensor<1x32x?x80xf16> -> tensor<1x32x?x80xf16>{{$}}
// CHECK:         return %[[O]]
func.func @scale_d80_causal(%q: tensor<1x32x?x80xf16>, %k: tensor<1x32x?x80xf16>, %v: tensor<1x32x?x80xf16>) -> tensor<1x32x?x80xf16> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<1x32x?x80xf16>, tensor<1x32x?x80xf16>, tensor<1x32x?x80xf16> -> tensor<1x32x?x80xf16>
  return %o : tensor<1x32x?x80xf16>
}

// The scale comes from D of q/k (192), not Dv (128):
// 1/sqrt(192) = 0.07216878364870323; BSHD layout, LSE result kept.
// CHECK-LABEL: func.func @scale_from_d_not_dv_bshd(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x64x16x192xbf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x64x16x192xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x64x16x128xbf16>)
// CHECK:         %[[O:.+]], %[[LSE:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {layout = #attn.layout<bshd>, scale = 0.07216878364870323 : f64} : tensor<2x64x16x192xbf16>, tensor<2x64x16x192xbf16>, tensor<2x64x16x128xbf16> -> tensor<2x64x16x128xbf16>, tensor<2x16x64xf32>{{$}}
// CHECK:         return %[[O]], %[[LSE]]
func.func @scale_from_d_not_dv_bshd(%q: tensor<2x64x16x192xbf16>, %k: tensor<2x64x16x192xbf16>, %v: tensor<2x64x16x128xbf16>) -> (tensor<2x64x16x128xbf16>, tensor<2x16x64xf32>) {
  %o, %lse = attn.attention %q, %k, %v {layout = #attn.layout<bshd>} : tensor<2x64x16x192xbf16>, tensor<2x64x16x192xbf16>, tensor<2x64x16x128xbf16> -> tensor<2x64x16x128xbf16>, tensor<2x16x64xf32>
  return %o, %lse : tensor<2x64x16x128xbf16>, tensor<2x16x64xf32>
}

// An explicit scale is kept, even where it differs from 1/sqrt(D) = 0.125.
// CHECK-LABEL: func.func @scale_explicit_kept(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x128x64xf32>
// CHECK:         %[[O:.+]] = attn.attention %[[Q]], %[[Q]], %[[Q]] {scale = 1.000000e+00 : f64} : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @scale_explicit_kept(%q: tensor<2x8x128x64xf32>) -> tensor<2x8x128x64xf32> {
  %o = attn.attention %q, %q, %q {scale = 1.0} : tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x128x64xf32>
  return %o : tensor<2x8x128x64xf32>
}

// Each op gets the scale of its own D (64 -> 0.125, 128 -> 0.0883...).
// CHECK-LABEL: func.func @scale_per_op(
// CHECK-SAME:      %[[A:[a-zA-Z0-9_]+]]: tensor<1x4x32x64xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<1x4x32x128xf32>)
// CHECK:         %[[OA:.+]] = attn.attention %[[A]], %[[A]], %[[A]] {scale = 1.250000e-01 : f64} : tensor<1x4x32x64xf32>, tensor<1x4x32x64xf32>, tensor<1x4x32x64xf32> -> tensor<1x4x32x64xf32>{{$}}
// CHECK:         %[[OB:.+]] = attn.attention %[[B]], %[[B]], %[[B]] {scale = 0.088388347648318433 : f64} : tensor<1x4x32x128xf32>, tensor<1x4x32x128xf32>, tensor<1x4x32x128xf32> -> tensor<1x4x32x128xf32>{{$}}
// CHECK:         return %[[OA]], %[[OB]]
func.func @scale_per_op(%a: tensor<1x4x32x64xf32>, %b: tensor<1x4x32x128xf32>) -> (tensor<1x4x32x64xf32>, tensor<1x4x32x128xf32>) {
  %oa = attn.attention %a, %a, %a : tensor<1x4x32x64xf32>, tensor<1x4x32x64xf32>, tensor<1x4x32x64xf32> -> tensor<1x4x32x64xf32>
  %ob = attn.attention %b, %b, %b : tensor<1x4x32x128xf32>, tensor<1x4x32x128xf32>, tensor<1x4x32x128xf32> -> tensor<1x4x32x128xf32>
  return %oa, %ob : tensor<1x4x32x64xf32>, tensor<1x4x32x128xf32>
}

//===----------------------------------------------------------------------===//
// attn.linear_attention: eps and kernel_eps
//===----------------------------------------------------------------------===//

// elu_plus_one: eps = 1e-6 is set; no kernel_eps is added (elu + 1 has none).
// CHECK-LABEL: func.func @linear_elu(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x256x64xf32>
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[Q]], %[[Q]] {eps = 9.9999999999999995E-7 : f64, feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>{{$}}
// CHECK-NOT:     kernel_eps
// CHECK:         return %[[O]]
func.func @linear_elu(%q: tensor<2x8x256x64xf32>) -> tensor<2x8x256x64xf32> {
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>
  return %o : tensor<2x8x256x64xf32>
}

// softmax: eps = 1e-6 is set; no kernel_eps is added either.
// CHECK-LABEL: func.func @linear_softmax(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x256x64xf32>
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[Q]], %[[Q]] {causal, eps = 9.9999999999999995E-7 : f64, feature_map = #attn.feature_map<softmax>} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_softmax(%q: tensor<2x8x256x64xf32>) -> tensor<2x8x256x64xf32> {
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<softmax>, causal} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>
  return %o : tensor<2x8x256x64xf32>
}

// relu without a projection: eps = 1e-6 and kernel_eps = 1e-3.
// CHECK-LABEL: func.func @linear_relu(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x256x64xf32>
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[Q]], %[[Q]] {eps = 9.9999999999999995E-7 : f64, feature_map = #attn.feature_map<relu>, kernel_eps = 1.000000e-03 : f64} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_relu(%q: tensor<2x8x256x64xf32>) -> tensor<2x8x256x64xf32> {
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<relu>} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>
  return %o : tensor<2x8x256x64xf32>
}

// favor_plus: eps = 1e-6 and kernel_eps = 1e-6.
// CHECK-LABEL: func.func @linear_favor_plus(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x256x64xf32>, %[[P:[a-zA-Z0-9_]+]]: tensor<128x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[Q]], %[[Q]] projection(%[[P]] : tensor<128x64xf32>) {eps = 9.9999999999999995E-7 : f64, feature_map = #attn.feature_map<favor_plus>, kernel_eps = 9.9999999999999995E-7 : f64} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_favor_plus(%q: tensor<2x8x256x64xf32>, %p: tensor<128x64xf32>) -> tensor<2x8x256x64xf32> {
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<128x64xf32>) {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>
  return %o : tensor<2x8x256x64xf32>
}

// Explicit eps and kernel_eps are kept (relu with a projection).
// CHECK-LABEL: func.func @linear_relu_explicit_kept(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x256x64xf32>, %[[P:[a-zA-Z0-9_]+]]: tensor<32x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[Q]], %[[Q]] projection(%[[P]] : tensor<32x64xf32>) {eps = 1.000000e-02 : f64, feature_map = #attn.feature_map<relu>, kernel_eps = 0.000000e+00 : f64} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>{{$}}
// CHECK:         return %[[O]]
func.func @linear_relu_explicit_kept(%q: tensor<2x8x256x64xf32>, %p: tensor<32x64xf32>) -> tensor<2x8x256x64xf32> {
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<32x64xf32>) {feature_map = #attn.feature_map<relu>, eps = 1.0e-2, kernel_eps = 0.0} : tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32>, tensor<2x8x256x64xf32> -> tensor<2x8x256x64xf32>
  return %o : tensor<2x8x256x64xf32>
}

// Only the missing one is filled in: explicit eps kept, kernel_eps = 1e-6 added.
// CHECK-LABEL: func.func @linear_favor_plus_partial(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x8x256x64xbf16>, %[[P:[a-zA-Z0-9_]+]]: tensor<128x64xf32>)
// CHECK:         %[[O:.+]] = attn.linear_attention %[[Q]], %[[Q]], %[[Q]] projection(%[[P]] : tensor<128x64xf32>) {causal, eps = 1.000000e-03 : f64, feature_map = #attn.feature_map<favor_plus>, kernel_eps = 9.9999999999999995E-7 : f64} : tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16> -> tensor<2x8x256x64xbf16>{{$}}
// CHECK:         return %[[O]]
func.func @linear_favor_plus_partial(%q: tensor<2x8x256x64xbf16>, %p: tensor<128x64xf32>) -> tensor<2x8x256x64xbf16> {
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<128x64xf32>) {feature_map = #attn.feature_map<favor_plus>, causal, eps = 1.0e-3} : tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16>, tensor<2x8x256x64xbf16> -> tensor<2x8x256x64xbf16>
  return %o : tensor<2x8x256x64xbf16>
}
