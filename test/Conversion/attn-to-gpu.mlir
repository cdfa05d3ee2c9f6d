// RUN: attn-opt %s --attn-to-gpu | FileCheck %s
// RUN: attn-opt %s --attn-to-gpu="block-q=64 block-kv=16" | FileCheck %s --check-prefix=SMALL
// RUN: not attn-opt %s --attn-to-gpu="block-q=0" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not attn-opt %s --attn-to-gpu="block-q=2048" 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not attn-opt %s --attn-to-gpu="block-q=4294967296" 2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: not attn-opt %s --attn-to-gpu="block-kv=1000" 2>&1 | FileCheck %s --check-prefix=TILE

// BAD: attn-to-gpu: block-q must be in [1, 1024] (threads per block) and block-kv in [1, 4096], got block-q = 0 and block-kv = 32
// THREADS: attn-to-gpu: block-q must be in [1, 1024] (threads per block) and block-kv in [1, 4096], got block-q = 2048 and block-kv = 32
// HUGE: attn-to-gpu: block-q must be in [1, 1024] (threads per block) and block-kv in [1, 4096], got block-q = 4294967296 and block-kv = 32
// K and V tiles of 1000 keys x (64 + 64) bf16 do not fit static shared memory.
// TILE: error: 'attn.attention' op the CUDA-core kernel's K/V tile of block-kv = 1000 keys needs 256000 bytes of shared memory at D = 64, Dv = 64, above the 49152 a block may hold statically; lower block-kv

// A causal GQA spec becomes a launch of (ceil(Lq / 128), Hq, B) blocks of 128
// threads and a kernel that stages K/V blocks in shared memory.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @causal_gqa(
// CHECK:         %[[OUT:.+]] = memref.alloc(%{{.+}}, %{{.+}}) : memref<?x8x?x64xbf16>
// CHECK:         %[[OUTP:.+]] = memref.cast %[[OUT]] : memref<?x8x?x64xbf16> to memref<?x8x?x64xbf16, strided<[?, ?, ?, 1], offset: ?>>
// CHECK:         %[[NQB:.+]] = arith.ceildivui %{{.+}}, %[[C128:.+]] : index
// CHECK:         gpu.launch_func @attn_kernels::@causal_gqa_attention_0 blocks in (%[[NQB]], %{{.+}}, %{{.+}}) threads in (%{{.+}}, %{{.+}}, %{{.+}}) args({{.*}}%[[OUTP]] : memref<?x8x?x64xbf16, strided<[?, ?, ?, 1], offset: ?>>)
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:       gpu.module @attn_kernels {
// CHECK:         gpu.func @causal_gqa_attention_0(
// CHECK-SAME:        workgroup(%[[KT:.+]] : memref<32x64xbf16, #gpu.address_space<workgroup>>, %[[VT:.+]] : memref<32x64xbf16, #gpu.address_space<workgroup>>)
// CHECK-SAME:        private(%[[QROW:.+]] : memref<64xf32, #gpu.address_space<private>>, %[[ACC:.+]] : memref<64xf32, #gpu.address_space<private>>, %[[S:.+]] : memref<32xf32, #gpu.address_space<private>>)
// CHECK-SAME:        kernel attributes {attn.block_q = 128 : i64, known_block_size = array<i32: 128, 1, 1>}
// One query row per thread: row = blockIdx.x * 128 + threadIdx.x.
// CHECK:           %[[BX:.+]] = gpu.block_id  x
// Key head of a query head (GQA): h / (Hq / Hkv) = h / 4.
// CHECK:           arith.divui %{{.+}}, %{{.+}} : index
// CHECK:           %[[TX:.+]] = gpu.thread_id  x
// Causal: the key loop stops at min(Lk, q0 + qn + off).
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[M:.+]] = %{{.+}}, %[[L:.+]] = %{{.+}}) -> (f32, f32)
// All threads stage the key block, then the value block, then wait.
// CHECK:             memref.store %{{.+}}, %[[KT]][%{{.+}}, %{{.+}}] : memref<32x64xbf16, #gpu.address_space<workgroup>>
// CHECK:             memref.store %{{.+}}, %[[VT]][%{{.+}}, %{{.+}}] : memref<32x64xbf16, #gpu.address_space<workgroup>>
// CHECK:             gpu.barrier
// s_j = q . k_j with the causal test j <= i + off, -inf where it fails.
// CHECK:             math.fma
// CHECK:             arith.cmpi sle
// CHECK:             arith.select %{{.+}}, %{{.+}}, %{{.+}} : f32
// alpha = exp(old max - new max); p = exp(s - max); acc = acc * alpha + p v.
// CHECK:             math.exp
// CHECK:             math.exp
// CHECK:             gpu.barrier
// out = acc / l, 0 for rows without keys, then truncated to bf16.
// CHECK:           arith.divf
// CHECK:           arith.truncf %{{.+}} : f32 to bf16
// CHECK:           gpu.return

// SMALL: gpu.func @causal_gqa_attention_0(
// SMALL-SAME: workgroup(%{{.+}} : memref<16x64xbf16, #gpu.address_space<workgroup>>
// SMALL-SAME: known_block_size = array<i32: 64, 1, 1>
func.func @causal_gqa(%q: tensor<?x8x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x8x?x64xbf16> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>}
      : tensor<?x8x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x8x?x64xbf16>
  return %o : tensor<?x8x?x64xbf16>
}
