// The GPU pipeline ends in a gpu.binary holding PTX made by LLVM's NVPTX
// backend from the NVVM dialect (no GPU or ptxas needed for format=isa).
// REQUIRES: libdevice
// RUN: attn-opt %s --attn-gpu-pipeline | FileCheck %s
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_80" | FileCheck %s --check-prefix=SM80

// CHECK: gpu.binary @attn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80"
// CHECK-SAME: .version 8.0
// CHECK-SAME: .target sm_90
// CHECK-SAME: .entry windowed_lse_attention_0
// CHECK-SAME: .shared
// CHECK-SAME: bar.sync
// CHECK-SAME: ex2.approx
// SM80: .target sm_80
func.func @windowed_lse(%q: tensor<?x4x?x128xf16>, %k: tensor<?x4x?x128xf16>, %v: tensor<?x4x?x128xf16>, %len: tensor<?xi32>)
    -> (tensor<?x4x?x128xf16>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v kv_lengths(%len : tensor<?xi32>)
      {causal = #attn.causal<bottom_right>, window = #attn.window<left = 255, right = 0>}
      : tensor<?x4x?x128xf16>, tensor<?x4x?x128xf16>, tensor<?x4x?x128xf16>
      -> tensor<?x4x?x128xf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x128xf16>, tensor<?x4x?xf32>
}
