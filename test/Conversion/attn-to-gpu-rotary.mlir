// RUN: attn-opt %s --attn-to-gpu | FileCheck %s
// RUN: attn-opt %s --attn-to-gpu="hopper=true" | FileCheck %s --check-prefix=HOPPER

// Rotary embeddings on the GPU. Host side, before the attention launch:
// cos/sin tables [max(Lk, Lq), dim / 2] and a copy of K (its stored shape)
// as scratch, filled by two kernels (tables: f64 angles; keys: the pairs
// turned, columns past dim copied), then the attention kernel with the
// turned keys in K's place and the tables as its last parameters; the
// scratch is freed after it.
// CHECK-LABEL: func.func @partial_rope(
// CHECK:         %[[COS:.+]] = gpu.alloc  (%{{.+}}) : memref<?x16xf32>
// CHECK:         %[[SIN:.+]] = gpu.alloc  (%{{.+}}) : memref<?x16xf32>
// CHECK:         %[[KROT:.+]] = gpu.alloc  (%{{.+}}, %{{.+}}) : memref<?x?x2x64xf16>
// CHECK:         %[[KCAST:.+]] = memref.cast %[[KROT]]
// CHECK:         gpu.launch_func  @attn_kernels::@partial_rope_attention_0_rotary_tables {{.*}} args(%[[COS]] : {{.*}}, %[[SIN]] :
// CHECK:         gpu.launch_func  @attn_kernels::@partial_rope_attention_0_rotary_keys {{.*}} args(%{{.+}} : {{.*}}, %[[KROT]] : {{.*}}, %[[COS]] : {{.*}}, %[[SIN]] :
// CHECK:         gpu.launch_func  @attn_kernels::@partial_rope_attention_0 {{.*}} args(%{{.+}} : {{.*}}, %[[KCAST]] : {{.*}}, %[[COS]] : memref<?x16xf32>, %[[SIN]] : memref<?x16xf32>)
// CHECK:         gpu.dealloc  %[[COS]]
// CHECK:         gpu.dealloc  %[[SIN]]
// CHECK:         gpu.dealloc  %[[KROT]]
// CHECK:       gpu.func @partial_rope_attention_0_rotary_tables(
// CHECK:         math.exp %{{.+}} : f64
// CHECK:         math.cos %{{.+}} : f64
// CHECK:         math.sin %{{.+}} : f64
// The interleaved pairs are columns (2f, 2f + 1); items past the 16 pairs
// copy columns 32 .. 63.
// CHECK:       gpu.func @partial_rope_attention_0_rotary_keys(
// CHECK:         arith.muli %{{.+}}, %c2
// CHECK:         arith.subf
// CHECK:         arith.addf
// CHECK:       } else {
// CHECK:         %[[COPIED:.+]] = arith.addi %{{.+}}, %c16
// CHECK:         memref.load %arg0[%{{.+}}, %{{.+}}, %{{.+}}, %[[COPIED]]]
// The CUDA-core kernel turns its query row (private, f32) by pair.
// CHECK:       gpu.func @partial_rope_attention_0(
// CHECK:         scf.for %{{.+}} = %{{.+}} to %c16 step %{{.+}} {
// CHECK:           memref.load %arg{{[0-9]+}}[%{{.+}}, %{{.+}}] : memref<?x16xf32>

// The sm_90a kernel: each consumer warpgroup turns its rows of the query
// tile in shared memory after the query lands, two threads a row (8 pairs
// each: two f32x4 loads per table, 16 interleaved columns as two 8-element
// pieces), then fences the async proxy and syncs the warpgroup (named
// barrier 1 + warpgroup, 128 threads) before its first wgmma.
// HOPPER-LABEL: gpu.func @partial_rope_attention_0(
// HOPPER:         nvgpu.mbarrier.try_wait.parity
// HOPPER-COUNT-4:   vector.load %{{.+}} {alignment = 16 : i64} : memref<?x16xf32>, vector<4xf32>
// HOPPER-COUNT-2:   vector.load %{{.+}} {alignment = 16 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// HOPPER-COUNT-2:   vector.store %{{.+}} {alignment = 16 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// HOPPER:         nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// HOPPER:         nvvm.barrier id = %{{.+}} number_of_threads = %c128_i32
// HOPPER:         nvvm.wgmma.fence.aligned
func.func @partial_rope(%q: tensor<?x?x4x64xf16>, %k: tensor<?x?x2x64xf16>, %v: tensor<?x?x2x64xf16>) -> tensor<?x?x4x64xf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bshd>, rotary = #attn.rotary<style = interleaved, dim = 32, theta = 10000.0>}
      : tensor<?x?x4x64xf16>, tensor<?x?x2x64xf16>, tensor<?x?x2x64xf16> -> tensor<?x?x4x64xf16>
  return %o : tensor<?x?x4x64xf16>
}
