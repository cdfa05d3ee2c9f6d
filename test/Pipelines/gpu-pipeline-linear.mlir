// Linear attention in bf16 through the GPU pipeline: on sm_80 and newer the
// chunked kernel's mma.sync reaches PTX as m16n8k16 bf16 instructions, the
// next chunk's rows copied by 16-byte cp.async (16-byte global loads with
// linear-prefetch=false); for older chips the pipeline turns tensor cores
// off and the scalar kernel is emitted instead.
// REQUIRES: libdevice
// RUN: attn-opt %s --attn-gpu-pipeline | FileCheck %s
// RUN: attn-opt %s --attn-gpu-pipeline="linear-prefetch=false" | FileCheck %s --check-prefix=NOPF
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_75" | FileCheck %s --check-prefix=SM75

// CHECK: gpu.binary @attn_kernels
// CHECK-SAME: .entry elu_linear_0
// CHECK-SAME: cp.async.cg.shared.global [{{[^]]*}}], [{{[^]]*}}], 16;
// CHECK-SAME: cp.async.commit_group;
// CHECK-SAME: cp.async.wait_group {{[^;]*}}0;
// CHECK-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-SAME: bar.sync
// NOPF: gpu.binary @attn_kernels
// NOPF-NOT: cp.async
// NOPF-SAME: ld.global.v4.b32
// NOPF-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SM75: .target sm_75
// SM75-NOT: mma.sync
func.func @elu(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>, causal}
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
