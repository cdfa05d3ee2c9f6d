// RUN: attn-opt %s --attn-to-gpu | FileCheck %s
// RUN: attn-opt %s --attn-to-gpu="hopper=true" | FileCheck %s --check-prefix=HOPPER

// Rotary embeddings on the GPU. Host side, before the attention launch: a
// copy of K (its stored shape) as scratch, filled by the keys kernel, then
// the attention kernel with the turned keys in K's place; the scratch is
// freed after it. Neither kernel reads a table: cos and sin are computed
// where a pair turns (the frequency, the angle reduced in f32 with its
// product's error kept, then MUFU cos and sin).
// CHECK-LABEL: func.func @partial_rope(
// CHECK:         %[[KROT:.+]] = gpu.alloc  (%{{.+}}, %{{.+}}) : memref<?x?x2x64xf16>
// CHECK:         %[[KCAST:.+]] = memref.cast %[[KROT]]
// CHECK:         gpu.launch_func  @attn_kernels::@partial_rope_attention_0_rotary_keys {{.*}} args(%{{.+}} : {{.*}}, %[[KROT]] : memref<?x?x2x64xf16>)
// CHECK:         gpu.launch_func  @attn_kernels::@partial_rope_attention_0 {{.*}} args(%{{.+}} : {{.*}}, %[[KCAST]] : {{.*}})
// CHECK:         gpu.dealloc  %[[KROT]]
// The keys kernel: the 16 frequencies into shared memory (f64), then one
// piece a thread. The CUDA-core kernel takes any row alignment, so pieces
// are one interleaved pair (two elements, element-aligned); items past the
// 16 pairs copy columns 32 .. 63 one at a time.
// CHECK:       gpu.func @partial_rope_attention_0_rotary_keys({{.*}}) workgroup(%[[FREQ:.+]] : memref<16x2xf32, #gpu.address_space<workgroup>>)
// CHECK:         math.exp %{{.+}} : f64
// CHECK:         gpu.barrier
// CHECK:         vector.load %arg0{{.*}} {alignment = 2 : i64} : {{.*}}, vector<2xf16>
// CHECK:         memref.load %[[FREQ]]
// CHECK:         math.roundeven
// CHECK:         llvm.call_intrinsic "llvm.nvvm.cos.approx.ftz.f"
// CHECK:         llvm.call_intrinsic "llvm.nvvm.sin.approx.ftz.f"
// CHECK:         vector.store %{{.+}}, %arg1{{.*}} {alignment = 2 : i64} : memref<?x?x2x64xf16>, vector<2xf16>
// CHECK:       } else {
// CHECK:         vector.load %arg0{{.*}} : {{.*}}, vector<1xf16>
// The CUDA-core kernel turns its query row (private, f32) by pair.
// CHECK:       gpu.func @partial_rope_attention_0(
// CHECK:         scf.for %{{.+}} = %{{.+}} to %c16 step %{{.+}} {
// CHECK:           math.exp %{{.+}} : f64
// CHECK:           llvm.call_intrinsic "llvm.nvvm.cos.approx.ftz.f"

// The sm_90a path: K's rows are read in 16-byte pieces (8 columns, 4
// pairs), which the runtime checks (assume_alignment 16).
// HOPPER-LABEL: func.func @partial_rope(
// HOPPER:         memref.assume_alignment %{{.+}}, 16
// HOPPER:       gpu.func @partial_rope_attention_0_rotary_keys(
// HOPPER:         vector.load %arg0{{.*}} {alignment = 16 : i64} : {{.*}}, vector<8xf16>
// HOPPER-COUNT-4: llvm.call_intrinsic "llvm.nvvm.sin.approx.ftz.f"
// HOPPER:         vector.store %{{.+}}, %arg1{{.*}} {alignment = 16 : i64} : memref<?x?x2x64xf16>, vector<8xf16>
// The attention kernel: after the query lands, each consumer warpgroup
// turns its rows in shared memory, two threads a row (warps 0-1 pairs
// 0-7, warps 2-3 pairs 8-15: constant frequencies in each branch; 16
// interleaved columns as two 8-element pieces), then fences the async proxy
// and syncs the warpgroup (named barrier 1 + warpgroup, 128 threads) before
// its first wgmma.
// HOPPER:       gpu.func @partial_rope_attention_0(
// HOPPER:         nvgpu.mbarrier.try_wait.parity
// HOPPER:         scf.if
// HOPPER:           scf.if
// HOPPER-COUNT-4:     llvm.call_intrinsic "llvm.nvvm.sin.approx.ftz.f"
// HOPPER:             vector.store %{{.+}} {alignment = 16 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// HOPPER:           } else {
// HOPPER-COUNT-8:     llvm.call_intrinsic "llvm.nvvm.sin.approx.ftz.f"
// HOPPER:         nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// HOPPER:         nvvm.barrier id = %{{.+}} number_of_threads = %c128_i32
// HOPPER:         nvvm.wgmma.fence.aligned
func.func @partial_rope(%q: tensor<?x?x4x64xf16>, %k: tensor<?x?x2x64xf16>, %v: tensor<?x?x2x64xf16>) -> tensor<?x?x4x64xf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bshd>, rotary = #attn.rotary<style = interleaved, dim = 32, theta = 10000.0>}
      : tensor<?x?x4x64xf16>, tensor<?x?x2x64xf16>, tensor<?x?x2x64xf16> -> tensor<?x?x4x64xf16>
  return %o : tensor<?x?x4x64xf16>
}
