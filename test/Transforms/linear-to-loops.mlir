// RUN: attn-opt %s --attn-linear-to-loops | FileCheck %s

// Non-causal elu+1 with GQA 8/2: per (b, h) a state pass over every key,
// S += phi(k_j) v_j^T and z += phi(k_j), then one output pass over queries.
// CHECK-LABEL: func.func @elu_noncausal(
// CHECK:         %[[OUT:.+]] = memref.alloc(%{{.+}}, %{{.+}}) : memref<?x8x?x32xf32>
// CHECK:         scf.parallel (%{{.+}}, %[[H:.+]]) = (%{{.+}}, %{{.+}}) to (%{{.+}}, %{{.+}}) step
// kv head of a query head: h / (8 / 2)
// CHECK:             arith.divui %[[H]], %{{.+}} : index
// S [m, Dv], z [m], phi [m], one row [D], all f32
// CHECK-DAG:         %[[S:.+]] = memref.alloc() : memref<32x32xf32>
// CHECK-DAG:         %[[Z:.+]] = memref.alloc() : memref<32xf32>
// CHECK:             linalg.fill ins(%{{.+}} : f32) outs(%[[S]] : memref<32x32xf32>)
// State pass: keys 0 .. Lk, phi = select(x > 0, x + 1, exp(x)).
// CHECK:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:               arith.cmpf ogt
// CHECK:               math.exp
// CHECK:               arith.select
// z += phi; S[f, :] += phi[f] v_j, 16 value columns per vector FMA
// CHECK:               vector.broadcast %{{.+}} : f32 to vector<16xf32>
// CHECK:               %[[SROW:.+]] = vector.load %[[S]][%{{.+}}, %{{.+}}] : memref<32x32xf32>, vector<16xf32>
// CHECK:               %[[UPD:.+]] = math.fma %{{.+}}, %{{.+}}, %[[SROW]] : vector<16xf32>
// CHECK:               vector.store %[[UPD]], %[[S]][%{{.+}}, %{{.+}}] : memref<32x32xf32>, vector<16xf32>
// Output pass over queries, den = phi . z + eps, 0 where den == 0;
// num = phi(q)^T S in two vector accumulators, row by row of S.
// CHECK:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (index) {
// CHECK:               arith.cmpf oeq
// CHECK:               scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (vector<16xf32>, vector<16xf32>) {
// CHECK:                 math.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK:               memref.store %{{.+}}, %[[OUT]]
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
func.func @elu_noncausal(%q: tensor<?x8x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>) -> tensor<?x8x?x32xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>}
      : tensor<?x8x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x8x?x32xf32>
  return %o : tensor<?x8x?x32xf32>
}

// Causal FAVOR+: a first pass over the keys finds the key stabilizer (max of
// c k P^T); then, inside the query loop, keys up to i + Lk - Lq are added
// (the loop carries how many were added) before the row's output.
// CHECK-LABEL: func.func @favor_causal(
// CHECK:         scf.parallel
// CHECK:           %[[STAB:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (f32) {
// CHECK:             arith.maximumf
// CHECK:           scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ADDED:.+]] = %{{.+}}) -> (index) {
// CHECK:             %[[UPTO:.+]] = arith.maxsi %[[ADDED]], %{{.+}} : index
// CHECK:             scf.for %{{.+}} = %[[ADDED]] to %[[UPTO]] step %{{.+}} {
// phi(k) = m^-1/2 (exp(c k P^T - c^2 |k|^2 / 2 - stab) + eps_k)
// CHECK:               arith.addf %{{.+}}, %[[STAB]] : f32
// CHECK:               math.exp
// CHECK:             scf.yield %[[UPTO]] : index
func.func @favor_causal(%q: tensor<1x4x?x16xbf16>, %k: tensor<1x4x?x16xbf16>, %v: tensor<1x4x?x16xbf16>, %p: tensor<44x16xf32>) -> tensor<1x4x?x16xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<44x16xf32>)
      {feature_map = #attn.feature_map<favor_plus>, causal}
      : tensor<1x4x?x16xbf16>, tensor<1x4x?x16xbf16>, tensor<1x4x?x16xbf16> -> tensor<1x4x?x16xbf16>
  return %o : tensor<1x4x?x16xbf16>
}

// Softmax map, non-causal: two passes over the keys for the per-feature max
// and sum of the sequence softmax.
// CHECK-LABEL: func.func @softmax_noncausal(
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
