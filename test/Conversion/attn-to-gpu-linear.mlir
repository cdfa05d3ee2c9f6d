// RUN: attn-opt %s --attn-to-gpu="tensor-cores=false" | FileCheck %s

// The exact linear-attention kernel (FAVOR+ in f32 with tensor cores off;
// also where D % 16 or Dv % 8 is not 0): (1, Hq, B) blocks of Dv threads, one output column each; the
// column of the state S lives in private memory, z / phi / the current row in
// shared memory; FAVOR+ first reduces the key stabilizer across the block.
// CHECK-LABEL: func.func @favor(
// CHECK:         gpu.launch_func @attn_kernels::@favor_linear_0 blocks in (%{{.+}}, %{{.+}}, %{{.+}}) threads in (%[[DV:.+]], %{{.+}}, %{{.+}})
// CHECK:       gpu.func @favor_linear_0(
// CHECK-SAME:      workgroup(%[[PHI:.+]] : memref<44xf32, #gpu.address_space<workgroup>>, %[[Z:.+]] : memref<44xf32, #gpu.address_space<workgroup>>, %[[ROW:.+]] : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK-SAME:      private(%[[SCOL:.+]] : memref<44xf32, #gpu.address_space<private>>)
// CHECK-SAME:      known_block_size = array<i32: 32, 1, 1>
// Key stabilizer: max over keys and features, then across the block.
// CHECK:         arith.maximumf
// CHECK:         gpu.barrier
// Keys folded as queries advance (causal): S[:, y] += phi(k) v[y].
// CHECK:         scf.for %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (index)
// CHECK:           math.exp
// CHECK:           math.fma
// CHECK:           gpu.barrier
// CHECK:         gpu.return
func.func @favor(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x32xf32>, %p: tensor<44x16xf32>) -> tensor<?x4x?x32xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<44x16xf32>)
      {feature_map = #attn.feature_map<favor_plus>, causal}
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x32xf32> -> tensor<?x4x?x32xf32>
  return %o : tensor<?x4x?x32xf32>
}
