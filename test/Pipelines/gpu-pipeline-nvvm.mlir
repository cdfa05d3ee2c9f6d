// The kernel after convert-gpu-to-nvvm (before PTX): NVVM special registers,
// shared-memory globals for the K/V tiles, a barrier, libdevice's exp.
// RUN: attn-opt %s --pass-pipeline="builtin.module(attn-to-gpu,canonicalize,gpu.module(expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-gpu-to-nvvm))" \
// RUN:   | FileCheck %s

// CHECK: gpu.module @attn_kernels
// CHECK-DAG: llvm.mlir.global internal @__wg_causal_attention_0_0() {addr_space = 3 : i32{{.*}}} : !llvm.array<2048 x f32>
// CHECK-DAG: llvm.func @__nv_expf(f32) -> f32
// CHECK: llvm.func @causal_attention_0({{.*}}) attributes {attn.block_q = 128 : i64, gpu.kernel, {{.*}}nvvm.kernel
// CHECK: nvvm.read.ptx.sreg.ctaid.x
// CHECK: nvvm.read.ptx.sreg.tid.x
// CHECK: nvvm.barrier0
// CHECK: llvm.call @__nv_expf
func.func @causal(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>, %v: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
  return %o : tensor<?x?x?x64xf32>
}
