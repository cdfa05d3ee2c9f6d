// With format=bin, ptxas assembles the PTX into a cubin for sm_80 and sm_90.
// REQUIRES: libdevice, ptxas
// RUN: attn-opt %s --attn-gpu-pipeline="format=bin chip=sm_80" | FileCheck %s --check-prefix=SM80
// RUN: attn-opt %s --attn-gpu-pipeline="format=bin chip=sm_90" | FileCheck %s --check-prefix=SM90
// SM80: gpu.binary @attn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80"{{.*}}>, {{.*}}bin = "{{.+}}"
// SM90: gpu.binary @attn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80"{{.*}}>, {{.*}}bin = "{{.+}}"
func.func @bf16_gqa(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>, %v: tensor<?x2x?x128xbf16>) -> tensor<?x8x?x128xbf16> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16> -> tensor<?x8x?x128xbf16>
  return %o : tensor<?x8x?x128xbf16>
}
