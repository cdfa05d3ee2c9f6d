// chip=sm_90a: softmax attention in bf16 takes the TMA + wgmma kernel; the
// PTX shows tensor maps as 128-byte __grid_constant__ parameters, 4-D TMA
// loads completing on mbarriers, setmaxnreg and both wgmma forms. With
// format=bin ptxas accepts it for sm_90a. hopper-setmaxnreg=false (for
// compute-sanitizer synccheck) leaves setmaxnreg out.
// REQUIRES: libdevice
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_90a" | FileCheck %s
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_90a hopper-setmaxnreg=false" | FileCheck %s --check-prefix=NOREG
// NOREG: gpu.binary @attn_kernels
// NOREG-NOT: setmaxnreg
// NOREG-SAME: wgmma.mma_async
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_90a" | FileCheck %s --check-prefix=EXP
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_90a" | FileCheck %s --check-prefix=TMA
// CHECK: gpu.binary @attn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80"
// CHECK-SAME: .target sm_90a
// CHECK-SAME: .param .align 64 .b8 causal_bf16_attention_0_param_0[128]
// CHECK-SAME: .param .align 64 .b8 causal_bf16_attention_0_param_1[128]
// CHECK-SAME: .param .align 64 .b8 causal_bf16_attention_0_param_2[128]
// CHECK-SAME: .maxntid 384, 1, 1
// CHECK-SAME: .minnctapersm 1
// CHECK-SAME: setmaxnreg.dec.sync.aligned.u32 \0956;
// CHECK-SAME: setmaxnreg.inc.sync.aligned.u32 \09224;
// CHECK-SAME: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// TMA: cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// EXP: ex2.approx.ftz.f32
func.func @causal_bf16(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
