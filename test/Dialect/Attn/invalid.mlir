// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every verifier message of attn.attention and attn.linear_attention
// (dialects/Attn/IR/AttnOps.cpp) and the ODS type constraints of both ops.
// The Q/K/V and output checks are shared helpers (verifyQKV, verifyOutput):
// each of their messages is exercised from both ops.
//
//===----------------------------------------------------------------------===//
// Shared Q/K/V checks (verifyQKV), from attn.attention
//===----------------------------------------------------------------------===//

func.func @attention_query_rank(%q: tensor<2x16x64xf32>, %k: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op query must be rank 4 ([B, H, L, D] in bhsd layout), got rank 3}}
  %o = attn.attention %q, %k, %k : tensor<2x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_key_rank_bshd(%q: tensor<2x16x8x64xf32>, %k: tensor<2x16x8x1x64xf32>, %v: tensor<2x16x8x64xf32>) -> tensor<2x16x8x64xf32> {
  // expected-error @+1 {{'attn.attention' op key must be rank 4 ([B, L, H, D] in bshd layout), got rank 5}}
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bshd>} : tensor<2x16x8x64xf32>, tensor<2x16x8x1x64xf32>, tensor<2x16x8x64xf32> -> tensor<2x16x8x64xf32>
  return %o : tensor<2x16x8x64xf32>
}

// -----

func.func @attention_element_types_differ(%q: tensor<2x8x16x64xf16>, %k: tensor<2x8x16x64xbf16>, %v: tensor<2x8x16x64xf16>) -> tensor<2x8x16x64xf16> {
  // expected-error @+1 {{'attn.attention' op query, key and value element types differ: 'f16', 'bf16', 'f16'}}
  %o = attn.attention %q, %k, %v : tensor<2x8x16x64xf16>, tensor<2x8x16x64xbf16>, tensor<2x8x16x64xf16> -> tensor<2x8x16x64xf16>
  return %o : tensor<2x8x16x64xf16>
}

// -----

func.func @attention_dynamic_head_dim(%q: tensor<2x8x16x?xf32>, %k: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op head dim D must be static, got query ? and key 64}}
  %o = attn.attention %q, %k, %k : tensor<2x8x16x?xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_dynamic_value_dim(%q: tensor<2x8x16x64xf32>, %v: tensor<2x8x16x?xf32>) -> tensor<2x8x16x?xf32> {
  // expected-error @+1 {{'attn.attention' op value head dim Dv must be static, got value [2, 8, 16, ?]}}
  %o = attn.attention %q, %q, %v : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x?xf32> -> tensor<2x8x16x?xf32>
  return %o : tensor<2x8x16x?xf32>
}

// -----

// Static but empty head dims: 1/sqrt(D) and the kernels need D, Dv > 0.
func.func @attention_zero_head_dim(%q: tensor<2x8x16x0xf32>, %v: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op head dims must be positive, got D = 0 and Dv = 64}}
  %o = attn.attention %q, %q, %v : tensor<2x8x16x0xf32>, tensor<2x8x16x0xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_zero_value_dim(%q: tensor<2x8x16x64xf32>, %v: tensor<2x8x16x0xf32>) -> tensor<2x8x16x0xf32> {
  // expected-error @+1 {{'attn.attention' op head dims must be positive, got D = 64 and Dv = 0}}
  %o = attn.attention %q, %q, %v : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x0xf32> -> tensor<2x8x16x0xf32>
  return %o : tensor<2x8x16x0xf32>
}

// -----

func.func @attention_head_dims_differ(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x16x128xf32>) -> tensor<2x8x16x128xf32> {
  // expected-error @+1 {{'attn.attention' op query head dim D = 64 differs from key head dim 128}}
  %o = attn.attention %q, %k, %k : tensor<2x8x16x64xf32>, tensor<2x8x16x128xf32>, tensor<2x8x16x128xf32> -> tensor<2x8x16x128xf32>
  return %o : tensor<2x8x16x128xf32>
}

// -----

// A dynamic query batch does not hide a key/value mismatch.
func.func @attention_batch_differs(%q: tensor<?x8x16x64xf32>, %k: tensor<2x8x16x64xf32>, %v: tensor<3x8x16x64xf32>) -> tensor<?x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op batch sizes differ: query ?, key 2, value 3}}
  %o = attn.attention %q, %k, %v : tensor<?x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<3x8x16x64xf32> -> tensor<?x8x16x64xf32>
  return %o : tensor<?x8x16x64xf32>
}

// -----

func.func @attention_kv_heads_differ(%q: tensor<2x8x16x64xf32>, %k: tensor<2x4x16x64xf32>, %v: tensor<2x2x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op key heads 4 differ from value heads 2}}
  %o = attn.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x2x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_kv_lengths_differ(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x32x64xf32>, %v: tensor<2x8x31x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op key length 32 differs from value length 31}}
  %o = attn.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x31x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_heads_not_multiple(%q: tensor<2x6x16x64xf32>, %k: tensor<2x4x16x64xf32>) -> tensor<2x6x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op query heads Hq = 6 must be a multiple of key/value heads Hkv = 4}}
  %o = attn.attention %q, %k, %k : tensor<2x6x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32> -> tensor<2x6x16x64xf32>
  return %o : tensor<2x6x16x64xf32>
}

// -----

// Hkv is taken from the value when the key's head count is dynamic.
func.func @attention_zero_kv_heads(%q: tensor<2x8x16x64xf32>, %k: tensor<2x?x16x64xf32>, %v: tensor<2x0x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op query heads Hq = 8 must be a multiple of key/value heads Hkv = 0}}
  %o = attn.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x?x16x64xf32>, tensor<2x0x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// Hq is dynamic in the query but the result pins it to 8: 8 heads cannot
// share 3 KV heads.
func.func @attention_heads_not_multiple_result_hq(%q: tensor<2x?x16x64xf32>, %k: tensor<2x3x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op query heads Hq = 8 must be a multiple of key/value heads Hkv = 3}}
  %o = attn.attention %q, %k, %k : tensor<2x?x16x64xf32>, tensor<2x3x16x64xf32>, tensor<2x3x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// Hkv = 0 is rejected even when Hq is unknown everywhere.
func.func @attention_zero_kv_heads_dynamic_hq(%q: tensor<2x?x16x64xf32>, %k: tensor<2x0x16x64xf32>) -> tensor<2x?x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op query heads Hq = ? must be a multiple of key/value heads Hkv = 0}}
  %o = attn.attention %q, %k, %k : tensor<2x?x16x64xf32>, tensor<2x0x16x64xf32>, tensor<2x0x16x64xf32> -> tensor<2x?x16x64xf32>
  return %o : tensor<2x?x16x64xf32>
}

//===----------------------------------------------------------------------===//
// Shared output checks (verifyOutput), from attn.attention
//===----------------------------------------------------------------------===//

// -----

func.func @attention_output_element_type(%q: tensor<2x8x16x64xbf16>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op result 'output' element type 'f32' must match the query's 'bf16'}}
  %o = attn.attention %q, %q, %q : tensor<2x8x16x64xbf16>, tensor<2x8x16x64xbf16>, tensor<2x8x16x64xbf16> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// The output's last dim is Dv (the value's), not D.
func.func @attention_output_shape_dv(%q: tensor<2x8x16x64xf32>, %v: tensor<2x8x16x32xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op result 'output' has shape [2, 8, 16, 64], expected [2, 8, 16, 32]}}
  %o = attn.attention %q, %q, %v : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x32xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// In BSHD the expected output shape is given in stored [B, Lq, Hq, Dv] order.
func.func @attention_output_shape_bshd(%q: tensor<2x16x8x64xf32>, %k: tensor<2x32x8x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op result 'output' has shape [2, 8, 16, 64], expected [2, 16, 8, 64]}}
  %o = attn.attention %q, %k, %k {layout = #attn.layout<bshd>} : tensor<2x16x8x64xf32>, tensor<2x32x8x64xf32>, tensor<2x32x8x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: LSE, scale, window
//===----------------------------------------------------------------------===//

// -----

func.func @attention_lse_shape(%q: tensor<2x8x16x64xf32>) -> (tensor<2x8x16x64xf32>, tensor<2x16x8xf32>) {
  // expected-error @+1 {{'attn.attention' op result 'lse' has shape [2, 16, 8], expected [B, Hq, Lq] = [2, 8, 16]}}
  %o, %lse = attn.attention %q, %q, %q : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>, tensor<2x16x8xf32>
  return %o, %lse : tensor<2x8x16x64xf32>, tensor<2x16x8xf32>
}

// -----

// The LSE is [B, Hq, Lq] in logical order even in BSHD layout.
func.func @attention_lse_rank_bshd(%q: tensor<2x16x8x64xf32>) -> (tensor<2x16x8x64xf32>, tensor<2x16x8x1xf32>) {
  // expected-error @+1 {{'attn.attention' op result 'lse' has shape [2, 16, 8, 1], expected [B, Hq, Lq] = [2, 8, 16]}}
  %o, %lse = attn.attention %q, %q, %q {layout = #attn.layout<bshd>} : tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32> -> tensor<2x16x8x64xf32>, tensor<2x16x8x1xf32>
  return %o, %lse : tensor<2x16x8x64xf32>, tensor<2x16x8x1xf32>
}

// -----

func.func @attention_scale_inf(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op scale = inf must be finite and within [-1e38, 1e38] (the kernels compute in f32)}}
  %o = attn.attention %q, %q, %q {scale = 0x7FF0000000000000 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_scale_nan(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op scale = nan must be finite and within [-1e38, 1e38] (the kernels compute in f32)}}
  %o = attn.attention %q, %q, %q {scale = 0x7FF8000000000000 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_window_negative_left(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op window (left = -1, right = 0) must be in [0, 2^40] (larger bounds reach past any sequence and overflow the key arithmetic)}}
  %o = attn.attention %q, %q, %q {window = #attn.window<left = -1, right = 0>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_scale_beyond_f32(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op scale = -1.000000e+39 must be finite and within [-1e38, 1e38] (the kernels compute in f32)}}
  %o = attn.attention %q, %q, %q {scale = -1.0e39 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// A window near the int64 limit used to wrap in the key arithmetic (every
// row silently 0).
func.func @attention_window_huge(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op window (left = 9223372036854775000, right = 0) must be in [0, 2^40]}}
  %o = attn.attention %q, %q, %q {window = #attn.window<left = 9223372036854775000, right = 0>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_eps_beyond_f32(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op eps = 1.000000e+300 must be in [0, 1e38] (the kernels compute in f32)}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, eps = 1.0e300 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_window_negative_right(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op window (left = 4, right = -2) must be in [0, 2^40] (larger bounds reach past any sequence and overflow the key arithmetic)}}
  %o = attn.attention %q, %q, %q {window = #attn.window<left = 4, right = -2>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// The LSE is checked against the Lq the result pins (16), not the query's ?.
func.func @attention_lse_shape_result_lq(%q: tensor<2x8x?x64xf32>, %k: tensor<2x8x32x64xf32>) -> (tensor<2x8x16x64xf32>, tensor<2x8x32xf32>) {
  // expected-error @+1 {{'attn.attention' op result 'lse' has shape [2, 8, 32], expected [B, Hq, Lq] = [2, 8, 16]}}
  %o, %lse = attn.attention %q, %k, %k : tensor<2x8x?x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>, tensor<2x8x32xf32>
  return %o, %lse : tensor<2x8x16x64xf32>, tensor<2x8x32xf32>
}

// -----

// A misspelt option must not be silently ignored (the op would be non-causal).
func.func @attention_unknown_attribute(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op has unknown attribute 'casual'}}
  %o = attn.attention %q, %q, %q {casual = #attn.causal<bottom_right>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: bias
//===----------------------------------------------------------------------===//

// -----

// A bias may be f32 or the query's type; f16 on bf16 inputs is neither.
func.func @attention_bias_element_type(%q: tensor<2x8x16x64xbf16>, %b: tensor<2x8x16x16xf16>) -> tensor<2x8x16x64xbf16> {
  // expected-error @+1 {{'attn.attention' op bias element type 'f16' must be f32 or the query's 'bf16'}}
  %o = attn.attention %q, %q, %q bias(%b : tensor<2x8x16x16xf16>) : tensor<2x8x16x64xbf16>, tensor<2x8x16x64xbf16>, tensor<2x8x16x64xbf16> -> tensor<2x8x16x64xbf16>
  return %o : tensor<2x8x16x64xbf16>
}

// -----

func.func @attention_bias_rank(%q: tensor<2x8x16x64xf32>, %b: tensor<16x16xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op bias must be rank 4 [B|1, Hq|1, Lq|1, Lk|1], got rank 2}}
  %o = attn.attention %q, %q, %q bias(%b : tensor<16x16xf32>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// Bias heads broadcast against the query heads Hq, not the KV heads (GQA 8/2).
func.func @attention_bias_dim_heads(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>, %b: tensor<1x2x16x16xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op bias dim 1 is 2, must be 1 or Hq = 8}}
  %o = attn.attention %q, %k, %k bias(%b : tensor<1x2x16x16xf32>) : tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// The bias key dim is Lk (32), not Lq (16).
func.func @attention_bias_dim_lk(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x32x64xf32>, %b: tensor<2x8x16x16xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op bias dim 3 is 16, must be 1 or Lk = 32}}
  %o = attn.attention %q, %k, %k bias(%b : tensor<2x8x16x16xf32>) : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: mask
//===----------------------------------------------------------------------===//

// -----

func.func @attention_mask_rank(%q: tensor<2x8x16x64xf32>, %m: tensor<16x16xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op mask must be rank 4 [B|1, Hq|1, Lq, Lk], got rank 2}}
  %o = attn.attention %q, %q, %q mask(%m : tensor<16x16xi1>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_mask_dim_batch(%q: tensor<2x8x16x64xf32>, %m: tensor<4x1x16x16xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op mask dim 0 is 4, must be 1 or B = 2}}
  %o = attn.attention %q, %q, %q mask(%m : tensor<4x1x16x16xi1>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// Unlike a bias, a mask does not broadcast over Lq.
func.func @attention_mask_dim_lq(%q: tensor<2x8x16x64xf32>, %m: tensor<2x1x1x16xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op mask dim 2 is 1, must be Lq = 16}}
  %o = attn.attention %q, %q, %q mask(%m : tensor<2x1x1x16xi1>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_mask_dim_lk(%q: tensor<2x8x1x64xf32>, %k: tensor<2x8x128x64xf32>, %m: tensor<1x1x1x64xi1>) -> tensor<2x8x1x64xf32> {
  // expected-error @+1 {{'attn.attention' op mask dim 3 is 64, must be Lk = 128}}
  %o = attn.attention %q, %k, %k mask(%m : tensor<1x1x1x64xi1>) : tensor<2x8x1x64xf32>, tensor<2x8x128x64xf32>, tensor<2x8x128x64xf32> -> tensor<2x8x1x64xf32>
  return %o : tensor<2x8x1x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: kv_lengths
//===----------------------------------------------------------------------===//

// -----

func.func @attention_kv_lengths_batch(%q: tensor<2x8x16x64xf32>, %n: tensor<3xi32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op kv_lengths must be [B] = [2], got [3]}}
  %o = attn.attention %q, %q, %q kv_lengths(%n : tensor<3xi32>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// The batch is dynamic everywhere: only the rank can be checked.
func.func @attention_kv_lengths_rank(%q: tensor<?x8x?x64xf32>, %n: tensor<?x1xi64>) -> tensor<?x8x?x64xf32> {
  // expected-error @+1 {{'attn.attention' op kv_lengths must be [B] = [?], got [?, 1]}}
  %o = attn.attention %q, %q, %q kv_lengths(%n : tensor<?x1xi64>) : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: documents
//===----------------------------------------------------------------------===//

// -----

// Only reachable in generic form: the custom syntax always takes both.
func.func @attention_documents_doc_q_only(%q: tensor<2x8x16x64xf32>, %dq: tensor<2x16xi32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op documents need both doc_q and doc_k}}
  %o = "attn.attention"(%q, %q, %q, %dq) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 0, 0>}> : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x16xi32>) -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_documents_doc_k_only(%q: tensor<2x8x16x64xf32>, %dk: tensor<2x16xi64>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op documents need both doc_q and doc_k}}
  %o = "attn.attention"(%q, %q, %q, %dk) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 1, 0>}> : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x16xi64>) -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_documents_element_types(%q: tensor<2x8x16x64xf32>, %dq: tensor<2x16xi32>, %dk: tensor<2x16xi64>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op doc_q and doc_k element types differ: 'i32' vs 'i64'}}
  %o = attn.attention %q, %q, %q documents(%dq, %dk : tensor<2x16xi32>, tensor<2x16xi64>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// doc_q is indexed by query positions (Lq = 16), not key positions.
func.func @attention_doc_q_shape(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x32x64xf32>, %dq: tensor<2x32xi32>, %dk: tensor<2x32xi32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op doc_q must be [B, Lq] = [2, 16], got [2, 32]}}
  %o = attn.attention %q, %k, %k documents(%dq, %dk : tensor<2x32xi32>, tensor<2x32xi32>) : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_doc_k_shape(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x32x64xf32>, %dq: tensor<2x16xi32>, %dk: tensor<2x16xi32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op doc_k must be [B, Lk] = [2, 32], got [2, 16]}}
  %o = attn.attention %q, %k, %k documents(%dq, %dk : tensor<2x16xi32>, tensor<2x16xi32>) : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: Longformer global tokens
//===----------------------------------------------------------------------===//

// -----

func.func @attention_global_needs_window(%q: tensor<2x8x16x64xf32>, %g: tensor<2x16xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op global_tokens needs a window: global tokens widen a sliding-window band (Longformer)}}
  %o = attn.attention %q, %q, %q global_tokens(%g : tensor<2x16xi1>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_global_causal(%q: tensor<2x8x16x64xf32>, %g: tensor<2x16xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op global_tokens cannot be combined with causal = top_left: a global query sees every key}}
  %o = attn.attention %q, %q, %q global_tokens(%g : tensor<2x16xi1>) {causal = #attn.causal<top_left>, window = #attn.window<left = 2, right = 2>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_global_documents(%q: tensor<2x8x16x64xf32>, %d: tensor<2x16xi32>, %g: tensor<2x16xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op global_tokens cannot be combined with documents}}
  %o = attn.attention %q, %q, %q documents(%d, %d : tensor<2x16xi32>, tensor<2x16xi32>) global_tokens(%g : tensor<2x16xi1>) {window = #attn.window<left = 2, right = 2>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_global_lq_ne_lk(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x32x64xf32>, %g: tensor<2x32xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op global_tokens need Lq == Lk (one flag per position), got Lq = 16 and Lk = 32}}
  %o = attn.attention %q, %k, %k global_tokens(%g : tensor<2x32xi1>) {window = #attn.window<left = 2, right = 2>} : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// Lq is dynamic in the query but the result pins it to 16, against Lk = 32.
func.func @attention_global_result_lq_ne_lk(%q: tensor<2x8x?x64xf32>, %k: tensor<2x8x32x64xf32>, %g: tensor<2x32xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op global_tokens need Lq == Lk (one flag per position), got Lq = 16 and Lk = 32}}
  %o = attn.attention %q, %k, %k global_tokens(%g : tensor<2x32xi1>) {window = #attn.window<left = 2, right = 2>} : tensor<2x8x?x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// With a dynamic Lq the expected L comes from the key.
func.func @attention_global_shape(%q: tensor<2x8x?x64xf32>, %k: tensor<2x8x32x64xf32>, %g: tensor<2x16xi1>) -> tensor<2x8x?x64xf32> {
  // expected-error @+1 {{'attn.attention' op global_tokens must be [B, L] = [2, 32], got [2, 16]}}
  %o = attn.attention %q, %k, %k global_tokens(%g : tensor<2x16xi1>) {window = #attn.window<left = 2, right = 2>} : tensor<2x8x?x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x?x64xf32>
  return %o : tensor<2x8x?x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.attention: ODS constraints
//===----------------------------------------------------------------------===//

// -----

func.func @attention_integer_query(%q: tensor<2x8x16x64xi32>) -> tensor<2x8x16x64xi32> {
  // expected-error @+1 {{'attn.attention' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x16x64xi32>'}}
  %o = attn.attention %q, %q, %q : tensor<2x8x16x64xi32>, tensor<2x8x16x64xi32>, tensor<2x8x16x64xi32> -> tensor<2x8x16x64xi32>
  return %o : tensor<2x8x16x64xi32>
}

// -----

func.func @attention_f64_value(%q: tensor<2x8x16x64xf32>, %v: tensor<2x8x16x64xf64>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op operand #2 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x16x64xf64>'}}
  %o = attn.attention %q, %q, %v : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf64> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_integer_bias(%q: tensor<2x8x16x64xf32>, %b: tensor<2x8x16x16xi32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op operand #3 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x16x16xi32>'}}
  %o = attn.attention %q, %q, %q bias(%b : tensor<2x8x16x16xi32>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// Operand numbers count the operands present: with no bias the mask is #3.
func.func @attention_non_i1_mask(%q: tensor<2x8x16x64xf32>, %m: tensor<2x8x16x16xi8>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op operand #3 must be ranked tensor of 1-bit signless integer values, but got 'tensor<2x8x16x16xi8>'}}
  %o = attn.attention %q, %q, %q mask(%m : tensor<2x8x16x16xi8>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_float_kv_lengths(%q: tensor<2x8x16x64xf32>, %n: tensor<2xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op operand #3 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2xf32>'}}
  %o = attn.attention %q, %q, %q kv_lengths(%n : tensor<2xf32>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_i16_documents(%q: tensor<2x8x16x64xf32>, %d: tensor<2x16xi16>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op operand #3 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2x16xi16>'}}
  %o = attn.attention %q, %q, %q documents(%d, %d : tensor<2x16xi16>, tensor<2x16xi16>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_non_i1_global_tokens(%q: tensor<2x8x16x64xf32>, %g: tensor<2x16xi32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op operand #3 must be ranked tensor of 1-bit signless integer values, but got 'tensor<2x16xi32>'}}
  %o = attn.attention %q, %q, %q global_tokens(%g : tensor<2x16xi32>) {window = #attn.window<left = 2, right = 2>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_lse_not_f32(%q: tensor<2x8x16x64xf16>) -> (tensor<2x8x16x64xf16>, tensor<2x8x16xf16>) {
  // expected-error @+1 {{'attn.attention' op result #1 must be ranked tensor of 32-bit float values, but got 'tensor<2x8x16xf16>'}}
  %o, %lse = attn.attention %q, %q, %q : tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16> -> tensor<2x8x16x64xf16>, tensor<2x8x16xf16>
  return %o, %lse : tensor<2x8x16x64xf16>, tensor<2x8x16xf16>
}

// -----

func.func @attention_scale_f32(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  %o = attn.attention %q, %q, %q {scale = 0.125 : f32} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// attn.attention's causal is an enum, not linear_attention's unit attribute.
func.func @attention_causal_unit(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{attribute 'causal' failed to satisfy constraint: which causal mask applies}}
  %o = attn.attention %q, %q, %q {causal} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_causal_unknown_kind(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+2 {{expected ::mlir::attn::CausalKind to be one of: none, bottom_right, top_left}}
  // expected-error @+1 {{failed to parse Attn_CausalKindAttr parameter 'value'}}
  %o = attn.attention %q, %q, %q {causal = #attn.causal<diagonal>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @attention_segment_sizes(%q: tensor<2x8x16x64xf32>, %b: tensor<2x8x16x16xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op operand group starting at #3 requires 0 or 1 element, but found 2}}
  %o = "attn.attention"(%q, %q, %q, %b, %b) <{operandSegmentSizes = array<i32: 1, 1, 1, 2, 0, 0, 0, 0, 0>}> : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x16xf32>, tensor<2x8x16x16xf32>) -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

//===----------------------------------------------------------------------===//
// Shared Q/K/V checks (verifyQKV), from attn.linear_attention
//===----------------------------------------------------------------------===//

// -----

func.func @linear_query_rank(%q: tensor<8x16x64xf32>, %k: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op query must be rank 4 ([B, H, L, D] in bhsd layout), got rank 3}}
  %o = attn.linear_attention %q, %k, %k {feature_map = #attn.feature_map<elu_plus_one>} : tensor<8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_value_rank_bshd(%q: tensor<2x16x8x64xf32>, %v: tensor<2x16x512xf32>) -> tensor<2x16x8x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op value must be rank 4 ([B, L, H, D] in bshd layout), got rank 3}}
  %o = attn.linear_attention %q, %q, %v {feature_map = #attn.feature_map<elu_plus_one>, layout = #attn.layout<bshd>} : tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>, tensor<2x16x512xf32> -> tensor<2x16x8x64xf32>
  return %o : tensor<2x16x8x64xf32>
}

// -----

func.func @linear_element_types_differ(%q: tensor<2x8x16x64xf32>, %v: tensor<2x8x16x64xbf16>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op query, key and value element types differ: 'f32', 'f32', 'bf16'}}
  %o = attn.linear_attention %q, %q, %v {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xbf16> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_dynamic_head_dim(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x16x?xf32>, %v: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op head dim D must be static, got query 64 and key ?}}
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x8x16x?xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_dynamic_value_dim(%q: tensor<2x16x8x64xf32>, %v: tensor<2x16x8x?xf32>) -> tensor<2x16x8x?xf32> {
  // expected-error @+1 {{'attn.linear_attention' op value head dim Dv must be static, got value [2, 16, 8, ?]}}
  %o = attn.linear_attention %q, %q, %v {feature_map = #attn.feature_map<elu_plus_one>, layout = #attn.layout<bshd>} : tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>, tensor<2x16x8x?xf32> -> tensor<2x16x8x?xf32>
  return %o : tensor<2x16x8x?xf32>
}

// -----

func.func @linear_zero_value_dim(%q: tensor<2x8x16x64xf32>, %v: tensor<2x8x16x0xf32>) -> tensor<2x8x16x0xf32> {
  // expected-error @+1 {{'attn.linear_attention' op head dims must be positive, got D = 64 and Dv = 0}}
  %o = attn.linear_attention %q, %q, %v {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x0xf32> -> tensor<2x8x16x0xf32>
  return %o : tensor<2x8x16x0xf32>
}

// -----

func.func @linear_zero_head_dim_bshd(%q: tensor<2x16x8x0xf32>, %v: tensor<2x16x8x32xf32>) -> tensor<2x16x8x32xf32> {
  // expected-error @+1 {{'attn.linear_attention' op head dims must be positive, got D = 0 and Dv = 32}}
  %o = attn.linear_attention %q, %q, %v {feature_map = #attn.feature_map<relu>, layout = #attn.layout<bshd>} : tensor<2x16x8x0xf32>, tensor<2x16x8x0xf32>, tensor<2x16x8x32xf32> -> tensor<2x16x8x32xf32>
  return %o : tensor<2x16x8x32xf32>
}

// -----

func.func @linear_head_dims_differ(%q: tensor<2x8x16x32xf32>, %k: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op query head dim D = 32 differs from key head dim 64}}
  %o = attn.linear_attention %q, %k, %k {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x32xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_batch_differs(%q: tensor<4x8x16x64xf32>, %k: tensor<2x8x16x64xf32>) -> tensor<4x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op batch sizes differ: query 4, key 2, value 2}}
  %o = attn.linear_attention %q, %k, %k {feature_map = #attn.feature_map<elu_plus_one>} : tensor<4x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<4x8x16x64xf32>
  return %o : tensor<4x8x16x64xf32>
}

// -----

// BSHD: heads are the stored dim 2.
func.func @linear_kv_heads_differ_bshd(%q: tensor<2x16x8x64xf32>, %k: tensor<2x16x8x64xf32>, %v: tensor<2x16x4x64xf32>) -> tensor<2x16x8x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op key heads 8 differ from value heads 4}}
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>, layout = #attn.layout<bshd>} : tensor<2x16x8x64xf32>, tensor<2x16x8x64xf32>, tensor<2x16x4x64xf32> -> tensor<2x16x8x64xf32>
  return %o : tensor<2x16x8x64xf32>
}

// -----

func.func @linear_kv_lengths_differ(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x16x64xf32>, %v: tensor<2x8x17x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op key length 16 differs from value length 17}}
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x17x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_heads_not_multiple(%q: tensor<2x8x16x64xf32>, %k: tensor<2x3x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op query heads Hq = 8 must be a multiple of key/value heads Hkv = 3}}
  %o = attn.linear_attention %q, %k, %k {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x3x16x64xf32>, tensor<2x3x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// BSHD: the result pins the query's dynamic heads (stored dim 2) to 6.
func.func @linear_heads_not_multiple_result_hq_bshd(%q: tensor<2x16x?x64xf32>, %k: tensor<2x16x4x64xf32>) -> tensor<2x16x6x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op query heads Hq = 6 must be a multiple of key/value heads Hkv = 4}}
  %o = attn.linear_attention %q, %k, %k {feature_map = #attn.feature_map<elu_plus_one>, layout = #attn.layout<bshd>} : tensor<2x16x?x64xf32>, tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32> -> tensor<2x16x6x64xf32>
  return %o : tensor<2x16x6x64xf32>
}

// -----

func.func @linear_zero_kv_heads_dynamic_hq(%q: tensor<?x?x?x64xf32>, %k: tensor<?x0x?x64xf32>) -> tensor<?x?x?x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op query heads Hq = ? must be a multiple of key/value heads Hkv = 0}}
  %o = attn.linear_attention %q, %k, %k {feature_map = #attn.feature_map<softmax>} : tensor<?x?x?x64xf32>, tensor<?x0x?x64xf32>, tensor<?x0x?x64xf32> -> tensor<?x?x?x64xf32>
  return %o : tensor<?x?x?x64xf32>
}

//===----------------------------------------------------------------------===//
// Shared output checks (verifyOutput), from attn.linear_attention
//===----------------------------------------------------------------------===//

// -----

func.func @linear_output_element_type(%q: tensor<2x8x16x64xf16>) -> tensor<2x8x16x64xbf16> {
  // expected-error @+1 {{'attn.linear_attention' op result 'output' element type 'bf16' must match the query's 'f16'}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16> -> tensor<2x8x16x64xbf16>
  return %o : tensor<2x8x16x64xbf16>
}

// -----

// The output has the query's Hq heads (8), not the KV heads (2).
func.func @linear_output_shape(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) -> tensor<2x2x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op result 'output' has shape [2, 2, 16, 64], expected [2, 8, 16, 64]}}
  %o = attn.linear_attention %q, %k, %k {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x64xf32> -> tensor<2x2x16x64xf32>
  return %o : tensor<2x2x16x64xf32>
}

// -----

// linear_attention has no sliding window: the attribute must not be ignored.
func.func @linear_unknown_attribute(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op has unknown attribute 'window'}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, causal, window = #attn.window<left = 127, right = 0>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.linear_attention: feature maps and projection
//===----------------------------------------------------------------------===//

// -----

func.func @linear_favor_needs_projection(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op feature map favor_plus needs a projection operand [m, D = 64]}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_elu_takes_no_projection(%q: tensor<2x8x16x64xf32>, %p: tensor<128x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op feature map elu_plus_one takes no projection operand}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<128x64xf32>) {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_softmax_takes_no_projection(%q: tensor<2x8x16x64xf32>, %p: tensor<128x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op feature map softmax takes no projection operand}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<128x64xf32>) {feature_map = #attn.feature_map<softmax>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// A projection may be f32 or the query's type; f16 on bf16 inputs is neither.
func.func @linear_projection_element_type(%q: tensor<2x8x16x64xbf16>, %p: tensor<128x64xf16>) -> tensor<2x8x16x64xbf16> {
  // expected-error @+1 {{'attn.linear_attention' op projection element type 'f16' must be f32 or the query's 'bf16'}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<128x64xf16>) {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x16x64xbf16>, tensor<2x8x16x64xbf16>, tensor<2x8x16x64xbf16> -> tensor<2x8x16x64xbf16>
  return %o : tensor<2x8x16x64xbf16>
}

// -----

func.func @linear_projection_rank(%q: tensor<2x8x16x64xf32>, %p: tensor<8x128x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op projection must be [m, D = 64] with static dims, got [8, 128, 64]}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<8x128x64xf32>) {feature_map = #attn.feature_map<relu>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// P is [m, D], not its transpose [D, m].
func.func @linear_projection_transposed(%q: tensor<2x8x16x64xf32>, %p: tensor<64x256xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op projection must be [m, D = 64] with static dims, got [64, 256]}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<64x256xf32>) {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

// The projection's D must be static: a dynamic one cannot be checked against D.
func.func @linear_projection_dynamic_d(%q: tensor<2x8x16x64xf32>, %p: tensor<128x?xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op projection must be [m, D = 64] with static dims, got [128, ?]}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<128x?xf32>) {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_projection_dynamic_m(%q: tensor<2x8x16x64xf32>, %p: tensor<?x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op projection feature count m must be static and positive, got ?}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<?x64xf32>) {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_projection_zero_m(%q: tensor<2x8x16x64xf32>, %p: tensor<0x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op projection feature count m must be static and positive, got 0}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<0x64xf32>) {feature_map = #attn.feature_map<relu>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.linear_attention: eps and kernel_eps
//===----------------------------------------------------------------------===//

// -----

func.func @linear_eps_negative(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op eps = -1.000000e-03 must be in [0, 1e38] (the kernels compute in f32)}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, eps = -1.0e-3 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_eps_nan(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op eps = nan must be in [0, 1e38] (the kernels compute in f32)}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<softmax>, eps = 0x7FF8000000000000 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_kernel_eps_inf(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op kernel_eps = inf must be in [0, 1e38] (the kernels compute in f32)}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<relu>, kernel_eps = 0x7FF0000000000000 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_kernel_eps_negative(%q: tensor<2x8x16x64xf32>, %p: tensor<128x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op kernel_eps = -1.000000e-06 must be in [0, 1e38] (the kernels compute in f32)}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<128x64xf32>) {feature_map = #attn.feature_map<favor_plus>, kernel_eps = -1.0e-6 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_kernel_eps_elu(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op kernel_eps applies to relu and favor_plus, not elu_plus_one}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, kernel_eps = 1.0e-3 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_kernel_eps_softmax(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op kernel_eps applies to relu and favor_plus, not softmax}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<softmax>, kernel_eps = 0.0 : f64} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

//===----------------------------------------------------------------------===//
// attn.linear_attention: ODS constraints
//===----------------------------------------------------------------------===//

// -----

func.func @linear_integer_key(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x16x64xi8>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op operand #1 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x16x64xi8>'}}
  %o = attn.linear_attention %q, %k, %q {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xi8>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_integer_projection(%q: tensor<2x8x16x64xf32>, %p: tensor<128x64xi32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op operand #3 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<128x64xi32>'}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<128x64xi32>) {feature_map = #attn.feature_map<favor_plus>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_integer_output(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xi32> {
  // expected-error @+1 {{'attn.linear_attention' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<2x8x16x64xi32>'}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xi32>
  return %o : tensor<2x8x16x64xi32>
}

// -----

func.func @linear_missing_feature_map(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op requires attribute 'feature_map'}}
  %o = attn.linear_attention %q, %q, %q : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @linear_eps_f32(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{attribute 'eps' failed to satisfy constraint: 64-bit float attribute}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, eps = 1.0e-6 : f32} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mixed_window_alone(%q: tensor<2x8x16x64xf32>, %p: tensor<32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op local_heads and local_window go together}}
  %o = attn.linear_attention %q, %q, %q projection(%p : tensor<32x64xf32>) {feature_map = #attn.feature_map<favor_plus>, local_window = 16} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mixed_dynamic_heads(%q: tensor<2x?x16x64xf32>) -> tensor<2x?x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op local_heads needs static head counts, got Hq = ? and Hkv = ?}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, local_heads = 2, local_window = 16} : tensor<2x?x16x64xf32>, tensor<2x?x16x64xf32>, tensor<2x?x16x64xf32> -> tensor<2x?x16x64xf32>
  return %o : tensor<2x?x16x64xf32>
}

// -----

func.func @mixed_all_heads(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op local_heads = 8 must be in [1, Hq - 1 = 7]}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, local_heads = 8, local_window = 16} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mixed_split_group(%q: tensor<2x8x16x64xf32>, %kv: tensor<2x2x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op local_heads = 2 must be a multiple of the group size Hq / Hkv = 4}}
  %o = attn.linear_attention %q, %kv, %kv {feature_map = #attn.feature_map<elu_plus_one>, local_heads = 2, local_window = 16} : tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mixed_negative_window(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.linear_attention' op local_window = -1 must be in [0, 2^40]}}
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, local_heads = 4, local_window = -1} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @tensor_map_box(%q: memref<?x?x?x128xbf16>) -> !llvm.ptr {
  // expected-error @+1 {{'attn.tensor_map' op box_rows must be in [1, 256], got 512}}
  %m = attn.tensor_map %q {box_rows = 512 : i64} : memref<?x?x?x128xbf16> -> !llvm.ptr
  return %m : !llvm.ptr
}

// -----

func.func @tensor_map_row_bytes(%q: memref<?x?x?x36xbf16>) -> !llvm.ptr {
  // expected-error @+1 {{'attn.tensor_map' op the innermost dim must be a static multiple of 8 (TMA needs 16-byte row strides), got 36}}
  %m = attn.tensor_map %q {box_rows = 128 : i64} : memref<?x?x?x36xbf16> -> !llvm.ptr
  return %m : !llvm.ptr
}

// -----

func.func @tensor_map_stride(%q: memref<?x?x?x64xf16, strided<[?, ?, ?, 2]>>) -> !llvm.ptr {
  // expected-error @+1 {{'attn.tensor_map' op the innermost stride must be 1}}
  %m = attn.tensor_map %q {box_rows = 64 : i64} : memref<?x?x?x64xf16, strided<[?, ?, ?, 2]>> -> !llvm.ptr
  return %m : !llvm.ptr
}

// -----

//===----------------------------------------------------------------------===//
// Rotary embeddings
//===----------------------------------------------------------------------===//

func.func @rotary_dim_odd(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op rotary dim = 63 must be even and in [2, D = 64]}}
  %o = attn.attention %q, %q, %q {rotary = #attn.rotary<style = half_split, dim = 63, theta = 10000.0>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @rotary_dim_past_d(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op rotary dim = 128 must be even and in [2, D = 64]}}
  %o = attn.attention %q, %q, %q {rotary = #attn.rotary<style = interleaved, dim = 128, theta = 10000.0>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @rotary_theta_one(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op rotary theta = 1.000000e+00 must be finite and in (1, 1e38]}}
  %o = attn.attention %q, %q, %q {rotary = #attn.rotary<style = half_split, dim = 64, theta = 1.0>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @rotary_theta_inf(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'attn.attention' op rotary theta = 1.000000e+300 must be finite and in (1, 1e38]}}
  %o = attn.attention %q, %q, %q {rotary = #attn.rotary<style = half_split, dim = 64, theta = 1.0e300>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @rotary_bad_style(%q: tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+2 {{expected ::mlir::attn::RotaryStyle to be one of: half_split, interleaved}}
  // expected-error @+1 {{failed to parse Attn_RotaryAttr parameter 'style'}}
  %o = attn.attention %q, %q, %q {rotary = #attn.rotary<style = neox, dim = 64, theta = 10000.0>} : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}
