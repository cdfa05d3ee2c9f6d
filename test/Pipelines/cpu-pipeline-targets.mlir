// RUN: attn-opt %s --attn-cpu-pipeline="target-features=+avx,+avx2,+fma" \
// RUN:   --mlir-print-ir-after=attn-lower-tile-matmul -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=AVX2
// RUN: attn-opt %s --attn-cpu-pipeline="target-features=+avx,+avx2,+fma,+avx512f" \
// RUN:   --mlir-print-ir-after=attn-lower-tile-matmul -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=AVX512
// RUN: attn-opt %s --attn-cpu-pipeline="target-features=+neon" \
// RUN:   --mlir-print-ir-after=attn-lower-tile-matmul -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NEON

// The target's features choose the vector width and the micro-kernels'
// register blocking (attn::cpuKernelShape), as the JIT passes them for the
// host or for --cpu:
// - AVX2 (16 ymm): 8-lane vectors; tile_qk keeps 6 keys x 2 vectors = 12
//   accumulators over the head dim, tile_pv 4 rows x 3 vectors = 12 (Dv =
//   64 is 8 vectors: groups of 3, 3, 2). No 16-lane vector is left (it
//   would be two ymm registers each, and the blocking would spill).
// - AVX-512 (32 zmm): 16 lanes, 4 x 4 = 16 accumulators for both.
// - NEON (32 x 128-bit): 4 lanes, 4 x 4.

// AVX2-LABEL: func.func @full(
// AVX2:         scf.for %{{.+}} = %{{.+}} to %c64{{.*}} iter_args({{.+}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// AVX2-COUNT-12:  vector.fma %{{.+}} : vector<8xf32>
// AVX2:         scf.for {{.+}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// AVX2-NOT:     vector<16xf32>

// AVX512-LABEL: func.func @full(
// AVX512:         scf.for %{{.+}} = %{{.+}} to %c64{{.*}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// AVX512-COUNT-16:  vector.fma %{{.+}} : vector<16xf32>
// AVX512-NOT:     vector<8xf32>

// NEON-LABEL: func.func @full(
// NEON:         scf.for %{{.+}} = %{{.+}} to %c64{{.*}} iter_args({{.+}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {
// NEON-COUNT-16:  vector.fma %{{.+}} : vector<4xf32>
func.func @full(%q: tensor<1x2x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32> {
  %o = attn.attention %q, %k, %v : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32> -> tensor<1x2x?x64xf32>
  return %o : tensor<1x2x?x64xf32>
}
