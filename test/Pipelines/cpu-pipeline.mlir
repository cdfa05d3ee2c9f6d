// RUN: attn-opt %s --attn-cpu-pipeline \
// RUN:   | FileCheck %s --check-prefixes=CHECK,PAR \
// RUN:       --implicit-check-not='{{[^.a-z_](attn|scf|vector|memref|math|arith|linalg|bufferization|tensor|affine|cf|func|async)\.[a-z_]+}}' \
// RUN:       --implicit-check-not=unrealized_conversion_cast --implicit-check-not='{{llvm.call @(exp|log)}}'
// RUN: attn-opt %s --attn-cpu-pipeline="parallel=false" \
// RUN:   | FileCheck %s --check-prefixes=CHECK,SER \
// RUN:       --implicit-check-not='{{[^.a-z_](attn|scf|vector|memref|math|arith|linalg|bufferization|tensor|affine|cf|func|async)\.[a-z_]+}}' \
// RUN:       --implicit-check-not=unrealized_conversion_cast --implicit-check-not='{{llvm.call @(exp|log)}}' \
// RUN:       --implicit-check-not=omp.
// RUN: attn-opt %s --attn-cpu-pipeline="results-as-out-params" \
// RUN:   | FileCheck %s --check-prefix=OUT

// --attn-cpu-pipeline takes attn.attention on tensors all the way to the
// LLVM dialect: attn-tile, attn-online-softmax, attn-lower-tile-matmul,
// One-Shot Bufferize at the function boundary, attn-approximate-math and
// upstream's lowerings. Nothing but llvm.* (and omp.* when parallel) may be
// left: the implicit CHECK-NOTs reject any attn/scf/vector/memref/math/
// arith/linalg/bufferization/cf/func op and any unresolved cast, in every
// function, and any libm exp/log call. parallel=true (the default) maps the (B, Hq, q-block)
// scf.parallel onto one collapsed OpenMP work-sharing loop, parallel=false
// onto plain loops; either way each q-block mallocs its scratch and frees
// it at its end (on the stack it overflowed with large tiles, and in the
// sequential JIT path after a few hundred tiles).

// Masked (causal bottom_right) f32 with dynamic B and L.
// CHECK-LABEL: llvm.func @causal_f32(
// Memrefs are passed unpacked (allocated ptr, aligned ptr, offset, sizes,
// strides); the result is a memref descriptor.
// CHECK-SAME:      %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: i64,
// CHECK-SAME:      -> !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>
// The output buffer.
// CHECK:         llvm.call @malloc(
// PAR:           omp.parallel {
// PAR-NEXT:        omp.wsloop {
// PAR-NEXT:          omp.loop_nest (%{{.+}}, %{{.+}}, %{{.+}}) : i64 = (%{{.+}}) to (%{{.+}}) step (%{{.+}}) collapse(3) {
// SER:           llvm.br ^bb1
// m, l, acc, scores, alpha, qt: in the q-block, freed at its end.
// CHECK-COUNT-6:     llvm.call @malloc(
// CHECK-NOT:         llvm.alloca
// QK and PV micro-kernels: vector FMAs.
// CHECK:         llvm.intr.fmuladd(%{{.+}}, %{{.+}}, %{{.+}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// The causal mask on 16 queries at a time.
// CHECK:         llvm.icmp "sle" %{{.+}}, %{{.+}} : vector<16xi64>
// CHECK:         llvm.select %{{.+}}, %{{.+}}, %{{.+}} : vector<16xi1>, vector<16xf32>
// Running max and rows of the statistics.
// CHECK:         llvm.intr.masked.load %{{.+}} : (!llvm.ptr, vector<16xi1>, vector<16xf32>) -> vector<16xf32>
// CHECK:         llvm.intr.maximum(%{{.+}}, %{{.+}}) : (vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// exp by polynomial, on vectors: no libm call.
// CHECK:         llvm.intr.floor(%{{.+}}) : (vector<16xf32>) -> vector<16xf32>
// CHECK:         llvm.intr.fma(%{{.+}}, %{{.+}}, %{{.+}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// CHECK:         llvm.intr.masked.store %{{.+}}, %{{.+}}, %{{.+}} {{.*}} : vector<16xf32>, vector<16xi1> into !llvm.ptr
// Finalize: 1 / l.
// CHECK:         llvm.fdiv %{{.+}}, %{{.+}} : f32
// CHECK-COUNT-6:     llvm.call @free(
// PAR:                 omp.yield
// PAR:               omp.terminator
// CHECK:         llvm.return %{{.+}} : !llvm.struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>
// CHECK-NEXT:  }
// With results-as-out-params (the JIT's choice) the output is a trailing
// argument the kernel writes in place: no result, no output malloc, no copy.
// OUT-LABEL: llvm.func @causal_f32(
// OUT-NOT:     -> !llvm.struct
// OUT-NOT:     llvm.call @malloc
// OUT:         omp.parallel {
// OUT-NOT:     memrefCopy
// OUT:         llvm.return{{$}}
func.func @causal_f32(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>}
      : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>
      -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// bf16 GQA with an LSE result: two output buffers, a bf16 transposed-Q
// scratch, bf16 loads widened to f32 (fpext) and the output narrowed back
// (fptrunc); the LSE takes a polynomial log (no libm call either).
// CHECK-LABEL: llvm.func @gqa_bf16_lse(
// CHECK-SAME:      -> !llvm.struct<(struct<(ptr, ptr, i64, array<4 x i64>, array<4 x i64>)>, struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)>)>
// CHECK:         llvm.call @malloc(
// CHECK:         llvm.call @malloc(
// PAR:           omp.parallel {
// PAR:             omp.loop_nest {{.*}} collapse(3) {
// CHECK-COUNT-6:     llvm.call @malloc(
// K elements are splat after widening, Q and V vectors are widened.
// CHECK:         llvm.fpext %{{.+}} : bf16 to f32
// CHECK:         llvm.fpext %{{.+}} : vector<16xbf16> to vector<16xf32>
// CHECK:         llvm.fptrunc %{{.+}} : vector<16xf32> to vector<16xbf16>
// log(l) by polynomial, on f32.
// CHECK:         llvm.lshr %{{.+}}, %{{.+}} : i32
// CHECK:         llvm.intr.fma(%{{.+}}, %{{.+}}, %{{.+}}) : (f32, f32, f32) -> f32
// PAR:           omp.terminator
// CHECK:         llvm.return
func.func @gqa_bf16_lse(%q: tensor<2x8x?x128xbf16>, %k: tensor<2x2x?x128xbf16>, %v: tensor<2x2x?x128xbf16>) -> (tensor<2x8x?x128xbf16>, tensor<2x8x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v
      : tensor<2x8x?x128xbf16>, tensor<2x2x?x128xbf16>, tensor<2x2x?x128xbf16>
      -> tensor<2x8x?x128xbf16>, tensor<2x8x?xf32>
  return %o, %lse : tensor<2x8x?x128xbf16>, tensor<2x8x?xf32>
}
