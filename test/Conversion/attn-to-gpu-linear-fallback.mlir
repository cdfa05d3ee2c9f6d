// RUN: attn-opt %s --split-input-file --attn-to-gpu 2>/dev/null | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-to-gpu 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK

// Linear specs the tensor-core scan cannot take run the exact kernel, and a
// remark says why: D not a multiple of 16 ...
// REMARK: remark: runs on the exact CUDA-core kernel, not the tensor-core chunked kernel: D must be a multiple of 16 and Dv of 8
// CHECK-LABEL: func.func @elu_d40(
// CHECK:       gpu.func @elu_d40_linear_0(
// CHECK-NOT:     nvvm.mma.sync
// CHECK:         gpu.return
func.func @elu_d40(%q: tensor<1x2x?x40xf32>, %k: tensor<1x2x?x40xf32>, %v: tensor<1x2x?x40xf32>) -> tensor<1x2x?x40xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>}
      : tensor<1x2x?x40xf32>, tensor<1x2x?x40xf32>, tensor<1x2x?x40xf32> -> tensor<1x2x?x40xf32>
  return %o : tensor<1x2x?x40xf32>
}

// -----

// ... or blocks whose shared memory would pass the 227 KB of an SM (f32 at
// D = 1024: phi(K), V^T and S^T in high and low parts).
// REMARK: remark: runs on the exact CUDA-core kernel, not the tensor-core chunked kernel: its blocks would need {{[0-9]+}} bytes of shared memory, more than the 232448 an SM has
// CHECK-LABEL: func.func @elu_d1024(
// CHECK:       gpu.func @elu_d1024_linear_0(
// CHECK-NOT:     nvvm.mma.sync
// CHECK:         gpu.return
func.func @elu_d1024(%q: tensor<1x2x?x1024xf32>, %k: tensor<1x2x?x1024xf32>, %v: tensor<1x2x?x1024xf32>) -> tensor<1x2x?x1024xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>}
      : tensor<1x2x?x1024xf32>, tensor<1x2x?x1024xf32>, tensor<1x2x?x1024xf32> -> tensor<1x2x?x1024xf32>
  return %o : tensor<1x2x?x1024xf32>
}
