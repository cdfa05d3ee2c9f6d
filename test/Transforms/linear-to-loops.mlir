// RUN: attn-opt %s --attn-linear-to-loops | FileCheck %s

// Non-causal elu+1 with GQA 8/2: per (b, h) the state pass over chunks of
// 16 keys, S += phi(K_c)^T V_c on the micro-kernel (attn.tile_pv) and z +=
// column sums of phi(K_c); then per chunk of 16 queries O_c = phi(Q_c) S /
// (phi(Q_c) z + eps), phi applied to whole rows of 16-lane vectors.
// Output rows are stored non-temporally where the output's start and
// strides are whole 64-byte lines (checked at run time), else as usual; a
// fence after each (b, h) orders those stores.
// CHECK-LABEL: func.func @elu_noncausal(
// CHECK:         %[[OUT:.+]] = memref.alloc(%{{.+}}, %{{.+}}) : memref<?x8x?x32xf32>
// CHECK:         %{{.+}}, %[[OFF:.+]], %{{.+}}:4, %[[ST:.+]]:4 = memref.extract_strided_metadata %[[OUT]]
// CHECK:         memref.extract_aligned_pointer_as_index %[[OUT]]
// CHECK:         arith.remui %{{.+}}, %c64
// CHECK:         scf.parallel (%{{.+}}, %[[H:.+]]) = (%{{.+}}, %{{.+}}) to (%{{.+}}, %{{.+}}) step
// kv head of a query head: h / (8 / 2)
// CHECK:             arith.divui %[[H]], %{{.+}} : index
// S [m, Dv], z [m], one row [D], phi(Q_c) and phi(K_c) [16, m], V_c and the
// output rows [16, Dv], the denominators [16], all f32 on the heap
// CHECK:             %[[S:.+]] = memref.alloc() : memref<32x32xf32>
// CHECK:             %[[Z:.+]] = memref.alloc() : memref<32xf32>
// CHECK:             %[[PHIQ:.+]] = memref.alloc() : memref<16x32xf32>
// CHECK:             %[[PHIK:.+]] = memref.alloc() : memref<16x32xf32>
// CHECK:             %[[ACC:.+]] = memref.alloc() : memref<16x32xf32>
// CHECK:             %[[VC:.+]] = memref.alloc() : memref<16x32xf32>
// CHECK:             linalg.fill ins(%{{.+}} : f32) outs(%[[S]] : memref<32x32xf32>)
// State pass: key chunks 0 .. Lk; phi = select(x > 0, x + 1, exp(x)).
// CHECK:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c16{{.*}} {
// CHECK:               scf.if
// Rows 32 ahead of this one (at most the last) are prefetched, a 64-byte
// line (16 floats) at a time, K's then V's.
// CHECK:                 %[[AHEAD:.+]] = arith.minsi
// CHECK:                 scf.for %[[LINE:.+]] = %c0{{.*}} to %c32{{.*}} step %c16
// CHECK-NEXT:              memref.prefetch %{{.+}}[%{{.+}}, %{{.+}}, %[[AHEAD]], %[[LINE]]], read, locality<3>, data
// CHECK:                 memref.prefetch
// CHECK:                 vector.load %{{.+}} : memref<32xf32, strided<[1], offset: ?>>, vector<16xf32>
// CHECK:                 arith.cmpf ogt
// CHECK:                 math.exp %{{.+}} : vector<16xf32>
// CHECK:                 vector.store %{{.+}}, %[[PHIK]]
// CHECK:               attn.tile_pv %[[PHIK]], %[[VC]], %[[S]] : memref<16x32xf32>, memref<16x32xf32>, memref<32x32xf32>{{$}}
// Output pass over query chunks: den = phi . z + eps, 0 where den == 0;
// O_c += phi(Q_c) S on the micro-kernel through a transposed view.
// CHECK:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c16{{.*}} {
// CHECK:               vector.store %{{.+}}, %[[PHIQ]]
// CHECK:               %[[PQT:.+]] = memref.transpose %[[PHIQ]] (d0, d1) -> (d1, d0)
// CHECK:               attn.tile_pv %[[PQT]], %[[S]], %[[ACC]] : memref<32x16xf32, strided<[1, 32]>>, memref<32x32xf32>, memref<16x32xf32>{{$}}
// CHECK:               arith.cmpf oeq
// CHECK:               scf.if %{{.+}} {
// CHECK:                 vector.store %{{.+}}, %[[OUT]]{{.+}} {alignment = 64 : i64, nontemporal = true}
// CHECK:               } else {
// CHECK:                 vector.store %{{.+}}, %[[OUT]]
// CHECK-NOT:               nontemporal
// CHECK:               }
// CHECK:           llvm.fence seq_cst
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
func.func @elu_noncausal(%q: tensor<?x8x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>) -> tensor<?x8x?x32xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>}
      : tensor<?x8x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x8x?x32xf32>
  return %o : tensor<?x8x?x32xf32>
}

// Causal FAVOR+: a first pass over the keys finds the key stabilizer (max of
// c k P^T); then per chunk of 16 queries the chunk's keys (shifted by Lk -
// Lq) are staged, the masked scores tril(phi(Q_c) phi(K_c)^T) come from
// attn.tile_qk, and one attn.tile_pv computes O_c = [phi(Q_c) | scores]
// [S ; V_c]: S and V_c are the rows [0, M) and [M, M + 16) of one buffer,
// phi(Q_c)^T and the scores those of another; the denominators are
// [phi(Q_c) | scores] [z ; 1]. Then S grows by the chunk.
// phi(k) = m^-1/2 (exp(c k P^T - c^2 |k|^2 / 2 - stab) + eps_k), feature by
// feature (a projected map).
// CHECK-LABEL: func.func @favor_causal(
// CHECK:         scf.parallel
// CHECK:           %[[SV:.+]] = memref.alloc() : memref<60x16xf32>
// CHECK:           %[[ZZ:.+]] = memref.alloc() : memref<60xf32>
// CHECK:           %[[PT:.+]] = memref.alloc() : memref<60x16xf32>
// CHECK:           %[[S:.+]] = memref.subview %[[SV]][0, 0] [44, 16] [1, 1]
// CHECK:           %[[VC:.+]] = memref.subview %[[SV]][44, 0] [16, 16] [1, 1]
// CHECK:           %[[QT:.+]] = memref.subview %[[PT]][0, 0] [44, 16] [1, 1]
// CHECK:           %[[ST:.+]] = memref.subview %[[PT]][44, 0] [16, 16] [1, 1]
// CHECK:           %[[Z:.+]] = memref.subview %[[ZZ]][0] [44] [1]
// CHECK:           linalg.fill ins(%{{.+}} : f32) outs(%[[ZZ]] : memref<60xf32>)
// CHECK:           linalg.fill ins(%{{.+}} : f32) outs(%[[S]] :
// CHECK:           linalg.fill ins(%{{.+}} : f32) outs(%[[Z]] :
// CHECK:           %[[STAB:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (f32) {
// CHECK:             arith.maximumf
// Keys before the first query's window (Lk > Lq) fold in first.
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c16{{.*}} {
// CHECK:             arith.addf %{{.+}}, %[[STAB]] : f32
// CHECK:             math.exp
// CHECK:             attn.tile_pv %{{.+}}, %[[VC]], %[[S]] :
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c16{{.*}} {
// CHECK:             attn.tile_qk %[[QT]], %{{.+}}, %[[ST]] {scale = 1.000000e+00 : f64} : memref<44x16xf32, strided<[16, 1]>>, memref<16x44xf32>, memref<16x16xf32, strided<[16, 1], offset: 704>>
// CHECK:             arith.cmpi sle
// CHECK:             scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:               memref.load %[[ZZ]]
// CHECK:               vector.load %[[PT]]
// CHECK:             attn.tile_pv %[[PT]], %[[SV]], %{{.+}} : memref<60x16xf32>, memref<60x16xf32>, memref<16x16xf32>{{$}}
// CHECK:             arith.truncf %{{.+}} : vector<16xf32> to vector<16xbf16>
// CHECK:             attn.tile_pv %{{.+}}, %[[VC]], %[[S]] :
func.func @favor_causal(%q: tensor<1x4x?x16xbf16>, %k: tensor<1x4x?x16xbf16>, %v: tensor<1x4x?x16xbf16>, %p: tensor<44x16xf32>) -> tensor<1x4x?x16xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<44x16xf32>)
      {feature_map = #attn.feature_map<favor_plus>, causal}
      : tensor<1x4x?x16xbf16>, tensor<1x4x?x16xbf16>, tensor<1x4x?x16xbf16> -> tensor<1x4x?x16xbf16>
  return %o : tensor<1x4x?x16xbf16>
}

// Softmax map, non-causal: two passes over the keys for the per-feature max
// and sum of the sequence softmax.
// CHECK-LABEL: func.func @softmax_noncausal(
// CHECK:         linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : memref<8x8xf32>)
// CHECK:         %[[CMAX:.+]] = memref.alloc() : memref<8xf32>
// CHECK:         %[[CSUM:.+]] = memref.alloc() : memref<8xf32>
// CHECK:         arith.maximumf
// CHECK:         memref.store %{{.+}}, %[[CMAX]]
// CHECK:         math.exp
// CHECK:         memref.store %{{.+}}, %[[CSUM]]
func.func @softmax_noncausal(%q: tensor<?x1x?x8xf32>, %k: tensor<?x1x?x8xf32>, %v: tensor<?x1x?x8xf32>) -> tensor<?x1x?x8xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<softmax>}
      : tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32> -> tensor<?x1x?x8xf32>
  return %o : tensor<?x1x?x8xf32>
}
