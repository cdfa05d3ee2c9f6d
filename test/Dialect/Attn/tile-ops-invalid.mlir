// RUN: attn-opt %s -split-input-file -verify-diagnostics

// Every verifier message of the tiled-stage ops (dialects/Attn/IR/
// AttnTileOps.cpp) and the ODS constraints of AttnTileOps.td: 2-D
// f32/f16/bf16 views for qt/k/v/out, 2-D f32 for acc/scores/st/pt, 1-D f32
// for m/l/alpha/lse, index rows/q0/k0, i1 needs_mask, f64 scale, and
// attn.yield only directly inside attn.online_step.
//
//===----------------------------------------------------------------------===//
// attn.online_step: operand checks
//===----------------------------------------------------------------------===//

func.func @online_step_element_types_differ(%qt: memref<64x64xbf16>, %k: memref<64x64xf16>, %v: memref<64x64xbf16>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op qt, k and v element types differ}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xbf16>, memref<64x64xf16>, memref<64x64xbf16>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

// Only v differs (f32 against bf16 qt and k).
func.func @online_step_value_element_type(%qt: memref<64x64xbf16>, %k: memref<64x64xbf16>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op qt, k and v element types differ}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xbf16>, memref<64x64xbf16>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

// qt is [D, BQ]: its D is dim 0, k's is dim 1.
func.func @online_step_head_dims_differ(%qt: memref<64x32xf32>, %k: memref<?x128xf32, strided<[?, 1], offset: ?>>, %v: memref<?x128xf32, strided<[?, 1], offset: ?>>, %m: memref<32xf32>, %l: memref<32xf32>, %acc: memref<32x128xf32>, %s: memref<64x32xf32>, %alpha: memref<32xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op qt head dim 64 differs from k head dim 128}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x32xf32>, memref<?x128xf32, strided<[?, 1], offset: ?>>, memref<?x128xf32, strided<[?, 1], offset: ?>>, memref<32xf32>, memref<32xf32>, memref<32x128xf32>, memref<64x32xf32>, memref<32xf32>
  return
}

// -----

// An untransposed [BQ = 32, D = 64] query tile is caught through D.
func.func @online_step_untransposed_q(%qt: memref<32x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<32xf32>, %l: memref<32xf32>, %acc: memref<32x64xf32>, %s: memref<64x32xf32>, %alpha: memref<32xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op qt head dim 32 differs from k head dim 64}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<32x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<32xf32>, memref<32xf32>, memref<32x64xf32>, memref<64x32xf32>, memref<32xf32>
  return
}

// -----

// Dv may differ from D, but acc must have Dv columns.
func.func @online_step_value_dim_acc(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x32xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op v head dim 32 differs from acc's 64}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x32xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

//===----------------------------------------------------------------------===//
// attn.online_step: mask and score regions
//===----------------------------------------------------------------------===//

// -----

func.func @online_step_mask_two_blocks(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'mask' must have one block}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> mask {
  ^bb0(%a: index, %b: index):
    cf.br ^bb1
  ^bb1:
    %t = arith.constant true
    attn.yield %t : i1
  }
  return
}

// -----

func.func @online_step_score_two_blocks(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'score' must have one block}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> score {
  ^bb0(%s0: f32, %a: index, %b: index):
    cf.br ^bb1(%s0 : f32)
  ^bb1(%t: f32):
    attn.yield %t : f32
  }
  return
}

// -----

func.func @online_step_mask_arg_type(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'mask' must take ('index', 'index'), got ('i32', 'index')}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> mask {
  ^bb0(%a: i32, %b: index):
    %t = arith.constant true
    attn.yield %t : i1
  }
  return
}

// -----

// The mask sees positions only, not the score.
func.func @online_step_mask_arg_count(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'mask' must take ('index', 'index'), got ('f32', 'index', 'index')}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> mask {
  ^bb0(%s0: f32, %a: index, %b: index):
    %t = arith.constant true
    attn.yield %t : i1
  }
  return
}

// -----

func.func @online_step_score_arg_count(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'score' must take ('f32', 'index', 'index'), got ('f32', 'index')}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> score {
  ^bb0(%s0: f32, %a: index):
    attn.yield %s0 : f32
  }
  return
}

// -----

// Scores are f32 whatever the qt/k/v element type.
func.func @online_step_score_arg_bf16(%qt: memref<64x64xbf16>, %k: memref<64x64xbf16>, %v: memref<64x64xbf16>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'score' must take ('f32', 'index', 'index'), got ('bf16', 'index', 'index')}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xbf16>, memref<64x64xbf16>, memref<64x64xbf16>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> score {
  ^bb0(%s0: bf16, %a: index, %b: index):
    attn.yield %s0 : bf16
  }
  return
}

// -----

func.func @online_step_mask_yield_type(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'mask' must yield one 'i1'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> mask {
  ^bb0(%a: index, %b: index):
    attn.yield %a : index
  }
  return
}

// -----

func.func @online_step_mask_yield_two(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'mask' must yield one 'i1'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> mask {
  ^bb0(%a: index, %b: index):
    %t = arith.constant true
    attn.yield %t, %t : i1, i1
  }
  return
}

// -----

func.func @online_step_score_yield_none(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'score' must yield one 'f32'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> score {
  ^bb0(%s0: f32, %a: index, %b: index):
    attn.yield
  }
  return
}

// -----

func.func @online_step_score_yield_f16(%qt: memref<64x64xf16>, %k: memref<64x64xf16>, %v: memref<64x64xf16>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'score' must yield one 'f32'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf16>, memref<64x64xf16>, memref<64x64xf16>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> score {
  ^bb0(%s0: f32, %a: index, %b: index):
    %h = arith.truncf %s0 : f32 to f16
    attn.yield %h : f16
  }
  return
}

// -----

// The block ends in an op that is not attn.yield (not even a terminator):
// the op verifier runs before the generic "block with no terminator" check,
// so it is what reports. verifyBody calls Block::getTerminator() here, which
// asserts on such a block in an LLVM_ENABLE_ASSERTIONS build.
func.func @online_step_mask_no_yield(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'mask' must end in attn.yield}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> mask {
  ^bb0(%a: index, %b: index):
    %t = arith.constant true
  }
  return
}

// -----

// The score region is checked even when the mask region is well formed.
func.func @online_step_good_mask_bad_score(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op region 'score' must take ('f32', 'index', 'index'), got ('index', 'index')}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> mask {
  ^bb0(%a: index, %b: index):
    %t = arith.constant true
    attn.yield %t : i1
  } score {
  ^bb0(%a: index, %b: index):
    %z = arith.constant 0.0 : f32
    attn.yield %z : f32
  }
  return
}

//===----------------------------------------------------------------------===//
// attn.online_step: ODS constraints
//===----------------------------------------------------------------------===//

// -----

func.func @online_step_rank1_qt(%qt: memref<64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op operand #0 must be 2D memref of 32-bit float or 16-bit float or bfloat16 type values, but got 'memref<64xf32>'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

func.func @online_step_f64_v(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf64>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op operand #2 must be 2D memref of 32-bit float or 16-bit float or bfloat16 type values, but got 'memref<64x64xf64>'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf64>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

func.func @online_step_bf16_m(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xbf16>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op operand #3 must be 1D memref of 32-bit float values, but got 'memref<64xbf16>'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xbf16>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

func.func @online_step_rank2_l(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64x1xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op operand #4 must be 1D memref of 32-bit float values, but got 'memref<64x1xf32>'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64x1xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

// The accumulator is f32 even for bf16 inputs.
func.func @online_step_bf16_acc(%qt: memref<64x64xbf16>, %k: memref<64x64xbf16>, %v: memref<64x64xbf16>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xbf16>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op operand #5 must be 2D memref of 32-bit float values, but got 'memref<64x64xbf16>'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xbf16>, memref<64x64xbf16>, memref<64x64xbf16>, memref<64xf32>, memref<64xf32>, memref<64x64xbf16>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

func.func @online_step_f16_scores(%qt: memref<64x64xf16>, %k: memref<64x64xf16>, %v: memref<64x64xf16>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf16>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op operand #6 must be 2D memref of 32-bit float values, but got 'memref<64x64xf16>'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf16>, memref<64x64xf16>, memref<64x64xf16>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf16>, memref<64xf32>
  return
}

// -----

func.func @online_step_rank2_alpha(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64x1xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op operand #7 must be 1D memref of 32-bit float values, but got 'memref<64x1xf32>'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64x1xf32>
  return
}

// -----

// Only reachable in generic form: the custom syntax types rows, q0 and k0
// as index.
func.func @online_step_i64_rows(%t: memref<64x64xf32>, %m: memref<64xf32>, %r: index, %x: i64, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op operand #8 must be index, but got 'i64'}}
  "attn.online_step"(%t, %t, %t, %m, %m, %t, %t, %m, %x, %r, %r, %n) <{scale = 1.250000e-01 : f64}> ({}, {}) : (memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, i64, index, index, i1) -> ()
  return
}

// -----

// Only reachable in generic form: the custom syntax types needs_mask as i1.
func.func @online_step_i32_needs_mask(%t: memref<64x64xf32>, %m: memref<64xf32>, %r: index, %n: i32) {
  // expected-error @+1 {{'attn.online_step' op operand #11 must be 1-bit signless integer, but got 'i32'}}
  "attn.online_step"(%t, %t, %t, %m, %m, %t, %t, %m, %r, %r, %r, %n) <{scale = 1.250000e-01 : f64}> ({}, {}) : (memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, index, index, index, i32) -> ()
  return
}

// -----

func.func @online_step_missing_scale(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op requires attribute 'scale'}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

func.func @online_step_f32_scale(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f32} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

func.func @online_step_one_region(%t: memref<64x64xf32>, %m: memref<64xf32>, %r: index, %n: i1) {
  // expected-error @+1 {{'attn.online_step' op expected 2 regions}}
  "attn.online_step"(%t, %t, %t, %m, %m, %t, %t, %m, %r, %r, %r, %n) <{scale = 1.250000e-01 : f64}> ({}) : (memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, index, index, index, i1) -> ()
  return
}

//===----------------------------------------------------------------------===//
// attn.yield
//===----------------------------------------------------------------------===//

// -----

func.func @yield_outside_online_step(%x: i1) {
  // expected-error @+1 {{'attn.yield' op expects parent op 'attn.online_step'}}
  attn.yield %x : i1
}

// -----

// The parent must be the online_step itself, not an op nested in its region.
func.func @yield_nested_in_region(%qt: memref<64x64xf32>, %k: memref<64x64xf32>, %v: memref<64x64xf32>, %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %s: memref<64x64xf32>, %alpha: memref<64xf32>, %r: index, %n: i1) {
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %r at [%r, %r] masked %n {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32> mask {
  ^bb0(%a: index, %b: index):
    %t = arith.constant true
    scf.execute_region {
      // expected-error @+1 {{'attn.yield' op expects parent op 'attn.online_step'}}
      attn.yield %t : i1
    }
    attn.yield %t : i1
  }
  return
}

//===----------------------------------------------------------------------===//
// attn.online_finalize (ODS constraints only: it has no verifier)
//===----------------------------------------------------------------------===//

// -----

func.func @online_finalize_f16_m(%m: memref<64xf16>, %l: memref<64xf32>, %acc: memref<64x64xf32>, %o: memref<64x64xf32>) {
  // expected-error @+1 {{'attn.online_finalize' op operand #0 must be 1D memref of 32-bit float values, but got 'memref<64xf16>'}}
  attn.online_finalize %m, %l, %acc to %o : memref<64xf16>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>
  return
}

// -----

func.func @online_finalize_bf16_acc(%m: memref<64xf32>, %acc: memref<64x64xbf16>, %o: memref<64x64xbf16>) {
  // expected-error @+1 {{'attn.online_finalize' op operand #2 must be 2D memref of 32-bit float values, but got 'memref<64x64xbf16>'}}
  attn.online_finalize %m, %m, %acc to %o : memref<64xf32>, memref<64xf32>, memref<64x64xbf16>, memref<64x64xbf16>
  return
}

// -----

func.func @online_finalize_f64_out(%m: memref<64xf32>, %acc: memref<64x64xf32>, %o: memref<64x64xf64>) {
  // expected-error @+1 {{'attn.online_finalize' op operand #3 must be 2D memref of 32-bit float or 16-bit float or bfloat16 type values, but got 'memref<64x64xf64>'}}
  attn.online_finalize %m, %m, %acc to %o : memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf64>
  return
}

// -----

func.func @online_finalize_rank2_lse(%m: memref<64xf32>, %acc: memref<64x64xf32>, %o: memref<64x64xf32>, %lse: memref<64x1xf32>) {
  // expected-error @+1 {{'attn.online_finalize' op operand #4 must be 1D memref of 32-bit float values, but got 'memref<64x1xf32>'}}
  attn.online_finalize %m, %m, %acc to %o lse %lse : memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64x1xf32>
  return
}

//===----------------------------------------------------------------------===//
// attn.tile_qk
//===----------------------------------------------------------------------===//

// -----

func.func @tile_qk_element_types_differ(%qt: memref<64x64xf32>, %k: memref<64x64xbf16>, %st: memref<64x64xf32>) {
  // expected-error @+1 {{'attn.tile_qk' op qt and k element types differ}}
  attn.tile_qk %qt, %k, %st {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xbf16>, memref<64x64xf32>
  return
}

// -----

// qt is [D, BQ]: its D is dim 0, k's is dim 1.
func.func @tile_qk_head_dims_differ(%qt: memref<64x?xbf16, strided<[?, 1], offset: ?>>, %k: memref<?x32xbf16>, %st: memref<64x64xf32>) {
  // expected-error @+1 {{'attn.tile_qk' op qt head dim 64 differs from k head dim 32}}
  attn.tile_qk %qt, %k, %st {scale = 0.125 : f64} : memref<64x?xbf16, strided<[?, 1], offset: ?>>, memref<?x32xbf16>, memref<64x64xf32>
  return
}

// -----

// An untransposed [BQ = 16, D = 64] query tile is caught through D.
func.func @tile_qk_untransposed_q(%q: memref<16x64xf32>, %k: memref<64x64xf32>, %st: memref<64x16xf32>) {
  // expected-error @+1 {{'attn.tile_qk' op qt head dim 16 differs from k head dim 64}}
  attn.tile_qk %q, %k, %st {scale = 0.125 : f64} : memref<16x64xf32>, memref<64x64xf32>, memref<64x16xf32>
  return
}

// -----

func.func @tile_qk_rank1_qt(%qt: memref<64xf32>, %k: memref<64x64xf32>, %st: memref<64x64xf32>) {
  // expected-error @+1 {{'attn.tile_qk' op operand #0 must be 2D memref of 32-bit float or 16-bit float or bfloat16 type values, but got 'memref<64xf32>'}}
  attn.tile_qk %qt, %k, %st {scale = 0.125 : f64} : memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>
  return
}

// -----

func.func @tile_qk_i8_k(%qt: memref<64x64xf32>, %k: memref<64x64xi8>, %st: memref<64x64xf32>) {
  // expected-error @+1 {{'attn.tile_qk' op operand #1 must be 2D memref of 32-bit float or 16-bit float or bfloat16 type values, but got 'memref<64x64xi8>'}}
  attn.tile_qk %qt, %k, %st {scale = 0.125 : f64} : memref<64x64xf32>, memref<64x64xi8>, memref<64x64xf32>
  return
}

// -----

// The score tile is f32 even for bf16 inputs.
func.func @tile_qk_bf16_st(%qt: memref<64x64xbf16>, %st: memref<64x64xbf16>) {
  // expected-error @+1 {{'attn.tile_qk' op operand #2 must be 2D memref of 32-bit float values, but got 'memref<64x64xbf16>'}}
  attn.tile_qk %qt, %qt, %st {scale = 0.125 : f64} : memref<64x64xbf16>, memref<64x64xbf16>, memref<64x64xbf16>
  return
}

// -----

func.func @tile_qk_missing_scale(%qt: memref<64x64xf32>, %st: memref<64x64xf32>) {
  // expected-error @+1 {{'attn.tile_qk' op requires attribute 'scale'}}
  attn.tile_qk %qt, %qt, %st : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>
  return
}

// -----

func.func @tile_qk_f32_scale(%qt: memref<64x64xf32>, %st: memref<64x64xf32>) {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  attn.tile_qk %qt, %qt, %st {scale = 0.125 : f32} : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>
  return
}

// -----

func.func @tile_qk_tensor_qt(%qt: tensor<64x64xf32>, %st: memref<64x64xf32>) {
  // expected-error @+1 {{custom op 'attn.tile_qk' invalid kind of type specified: expected builtin.memref, but found 'tensor<64x64xf32>'}}
  attn.tile_qk %qt, %qt, %st {scale = 0.125 : f64} : tensor<64x64xf32>, tensor<64x64xf32>, memref<64x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// attn.tile_pv
//===----------------------------------------------------------------------===//

// -----

func.func @tile_pv_value_dim_acc(%pt: memref<64x64xf32>, %v: memref<64x128xbf16>, %acc: memref<64x64xf32>, %alpha: memref<64xf32>) {
  // expected-error @+1 {{'attn.tile_pv' op v head dim 128 differs from acc's 64}}
  attn.tile_pv %pt, %v, %acc, %alpha : memref<64x64xf32>, memref<64x128xbf16>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

// pt holds f32 probabilities even for bf16 values.
func.func @tile_pv_bf16_pt(%pt: memref<64x64xbf16>, %v: memref<64x64xbf16>, %acc: memref<64x64xf32>, %alpha: memref<64xf32>) {
  // expected-error @+1 {{'attn.tile_pv' op operand #0 must be 2D memref of 32-bit float values, but got 'memref<64x64xbf16>'}}
  attn.tile_pv %pt, %v, %acc, %alpha : memref<64x64xbf16>, memref<64x64xbf16>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

func.func @tile_pv_rank3_v(%pt: memref<64x64xf32>, %v: memref<1x64x64xf32>, %acc: memref<64x64xf32>, %alpha: memref<64xf32>) {
  // expected-error @+1 {{'attn.tile_pv' op operand #1 must be 2D memref of 32-bit float or 16-bit float or bfloat16 type values, but got 'memref<1x64x64xf32>'}}
  attn.tile_pv %pt, %v, %acc, %alpha : memref<64x64xf32>, memref<1x64x64xf32>, memref<64x64xf32>, memref<64xf32>
  return
}

// -----

func.func @tile_pv_bf16_acc(%pt: memref<64x64xf32>, %v: memref<64x64xf32>, %acc: memref<64x64xbf16>, %alpha: memref<64xf32>) {
  // expected-error @+1 {{'attn.tile_pv' op operand #2 must be 2D memref of 32-bit float values, but got 'memref<64x64xbf16>'}}
  attn.tile_pv %pt, %v, %acc, %alpha : memref<64x64xf32>, memref<64x64xf32>, memref<64x64xbf16>, memref<64xf32>
  return
}

// -----

func.func @tile_pv_f16_alpha(%pt: memref<64x64xf32>, %v: memref<64x64xf16>, %acc: memref<64x64xf32>, %alpha: memref<64xf16>) {
  // expected-error @+1 {{'attn.tile_pv' op operand #3 must be 1D memref of 32-bit float values, but got 'memref<64xf16>'}}
  attn.tile_pv %pt, %v, %acc, %alpha : memref<64x64xf32>, memref<64x64xf16>, memref<64x64xf32>, memref<64xf16>
  return
}

// -----

// The micro-kernel reduces over a static head dim.
func.func @tile_qk_dynamic_head_dim(%qt: memref<?x64xf32>, %k: memref<?x?xf32>, %st: memref<?x?xf32>) {
  // expected-error @+1 {{'attn.tile_qk' op qt head dim (dim 0) must be static}}
  attn.tile_qk %qt, %k, %st {scale = 0.125 : f64} : memref<?x64xf32>, memref<?x?xf32>, memref<?x?xf32>
  return
}

// -----

func.func @tile_pv_dynamic_value_dim(%pt: memref<?x?xf32>, %v: memref<?x?xf32>, %acc: memref<64x?xf32>, %alpha: memref<64xf32>) {
  // expected-error @+1 {{'attn.tile_pv' op acc value dim (dim 1) must be static}}
  attn.tile_pv %pt, %v, %acc, %alpha : memref<?x?xf32>, memref<?x?xf32>, memref<64x?xf32>, memref<64xf32>
  return
}

// -----

func.func @finalize_value_dims_differ(%m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x32xf32>, %out: memref<?x64xf32>) {
  // expected-error @+1 {{'attn.online_finalize' op out value dim 64 must equal acc's static value dim 32}}
  attn.online_finalize %m, %l, %acc to %out : memref<64xf32>, memref<64xf32>, memref<64x32xf32>, memref<?x64xf32>
  return
}
