// The tensor-core linear kernel at its default tiles needs 72 KB of shared
// memory: as dynamic shared memory ptxas accepts it (static shared memory
// stops at 48 KB) and builds a cubin for sm_80 and sm_90.
// REQUIRES: libdevice, ptxas
// RUN: attn-opt %s --attn-gpu-pipeline="format=bin chip=sm_80" | FileCheck %s
// RUN: attn-opt %s --attn-gpu-pipeline="format=bin chip=sm_90" | FileCheck %s

// CHECK-DAG: gpu.launch_func @attn_kernels::@elu_linear_0 {{.*}} dynamic_shared_memory_size
// CHECK-DAG: gpu.binary @attn_kernels [#gpu.object<#nvvm.target<{{.*}}>, {{.*}}bin = "{{.+}}"
func.func @elu(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>, causal}
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
