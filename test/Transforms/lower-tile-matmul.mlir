// RUN: attn-opt %s --attn-lower-tile-matmul | FileCheck %s
// RUN: attn-opt %s --attn-lower-tile-matmul="qk-rows=2 qk-vectors=2 pv-rows=1 pv-vectors=2" | FileCheck %s --check-prefix=OPT
// RUN: not attn-opt %s --attn-lower-tile-matmul="pv-vectors=0" 2>&1 | FileCheck %s --check-prefix=BAD

// --attn-lower-tile-matmul writes both tile products as register-blocked
// outer products with W = vector-width (16) f32 lanes:
//
//   tile_qk: for j0 in keys step qk-rows, i0 in queries step W * qk-vectors:
//              acc[r][c] = 0                       (qk-rows x qk-vectors vectors)
//              for d in [0, D): acc[r][c] = fma(splat(k[j0 + r, d]),
//                                               qt[d, i0 + c W : +W], acc[r][c])
//              st[j0 + r, i0 + c W : +W] = scale * acc[r][c]
//   tile_pv: for i0 in query rows step pv-rows, c0 in Dv step W * pv-vectors:
//              acc[r][c] = splat(alpha[i0 + r]) * acc[i0 + r, c0 + c W : +W]
//              for j in keys: acc[r][c] = fma(splat(pt[j, i0 + r]),
//                                             v[j, c0 + c W : +W], acc[r][c])
//              acc[i0 + r, c0 + c W : +W] = acc[r][c]
//
// The row loop runs over the largest multiple of `rows`, then a remainder
// loop handles the leftover rows one at a time (none when rows = 1).
// f16/bf16 operands are widened with arith.extf as they are loaded.
//
// BAD: error: attn-lower-tile-matmul: every size option must be positive

//===----------------------------------------------------------------------===//
// tile_qk
//===----------------------------------------------------------------------===//

// f32, D = 64, qt with 64 columns: the 4 x 16-lane query span fits, so qt
// reads are in bounds; st writes are masked (st is [kn, qn]).
// CHECK-LABEL: func.func @qk_f32(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<?x64xf32, strided<[?, 1], offset: ?>>, %[[ST:[a-zA-Z0-9_]+]]: memref<?x?xf32, strided<[64, 1]>>)
// CHECK-DAG:     %[[KN:.+]] = memref.dim %[[ST]], %{{.+}} : memref<?x?xf32, strided<[64, 1]>>
// CHECK-DAG:     %[[QN:.+]] = memref.dim %[[ST]], %{{.+}} : memref<?x?xf32, strided<[64, 1]>>
// CHECK-DAG:     %[[SCALE:.+]] = arith.constant dense<1.250000e-01> : vector<16xf32>
// main = kn - kn % 4 keys in blocks of 4
// CHECK:         %[[C4:.+]] = arith.constant 4 : index
// CHECK-NEXT:    %[[REM:.+]] = arith.remui %[[KN]], %[[C4]] : index
// CHECK-NEXT:    %[[MAIN:.+]] = arith.subi %[[KN]], %[[REM]] : index
// CHECK:         scf.for %[[J0:[a-zA-Z0-9_]+]] = %{{.+}} to %[[MAIN]] step %{{.+}} {
// query span of 4 x 16 = 64 columns
// CHECK:           %[[SPAN:.+]] = arith.constant 64 : index
// CHECK-NEXT:      scf.for %[[I0:[a-zA-Z0-9_]+]] = %{{.+}} to %[[QN]] step %[[SPAN]] {
// CHECK-NEXT:        %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// Reduction over D = 64 with 4 x 4 = 16 loop-carried accumulators.
// CHECK:             %[[D:.+]] = arith.constant 64 : index
// CHECK:             %[[R:.+]]:16 = scf.for %[[DI:[a-zA-Z0-9_]+]] = %{{.+}} to %[[D]] step %{{.+}} iter_args(%[[A0:[a-zA-Z0-9_]+]] = %[[ZERO]], %[[A1:[a-zA-Z0-9_]+]] = %[[ZERO]], %[[A2:[a-zA-Z0-9_]+]] = %[[ZERO]], %[[A3:[a-zA-Z0-9_]+]] = %[[ZERO]], %[[A4:[a-zA-Z0-9_]+]] = %[[ZERO]], {{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// qv[c] = qt[d, i0 + 16 c : +16], c = 0..3
// CHECK:               %[[QV0:.+]] = vector.transfer_read %[[QT]][%[[DI]], %[[I0]]], %{{.+}} {in_bounds = [true]} : memref<64x64xf32>, vector<16xf32>
// CHECK:               %[[QV1:.+]] = vector.transfer_read %[[QT]][%[[DI]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<64x64xf32>, vector<16xf32>
// CHECK:               %[[QV2:.+]] = vector.transfer_read %[[QT]][%[[DI]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<64x64xf32>, vector<16xf32>
// CHECK:               %[[QV3:.+]] = vector.transfer_read %[[QT]][%[[DI]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<64x64xf32>, vector<16xf32>
// key j0: kb = splat(k[j0, d]); acc[0][c] += kb * qv[c]
// CHECK-NEXT:          %[[K0:.+]] = memref.load %[[K]][%[[J0]], %[[DI]]] : memref<?x64xf32, strided<[?, 1], offset: ?>>
// CHECK-NEXT:          %[[KB0:.+]] = vector.broadcast %[[K0]] : f32 to vector<16xf32>
// CHECK-NEXT:          %[[F00:.+]] = vector.fma %[[KB0]], %[[QV0]], %[[A0]] : vector<16xf32>
// CHECK-NEXT:          %[[F01:.+]] = vector.fma %[[KB0]], %[[QV1]], %[[A1]] : vector<16xf32>
// CHECK-NEXT:          %[[F02:.+]] = vector.fma %[[KB0]], %[[QV2]], %[[A2]] : vector<16xf32>
// CHECK-NEXT:          %[[F03:.+]] = vector.fma %[[KB0]], %[[QV3]], %[[A3]] : vector<16xf32>
// key j0 + 1 reuses the same qt vectors.
// CHECK:               %[[J1:.+]] = arith.addi %[[J0]], %{{.+}} : index
// CHECK-NEXT:          %[[K1:.+]] = memref.load %[[K]][%[[J1]], %[[DI]]]
// CHECK-NEXT:          %[[KB1:.+]] = vector.broadcast %[[K1]] : f32 to vector<16xf32>
// CHECK-NEXT:          %[[F10:.+]] = vector.fma %[[KB1]], %[[QV0]], %[[A4]] : vector<16xf32>
// CHECK-COUNT-3:       vector.fma %[[KB1]]
// CHECK-COUNT-2:       vector.broadcast
// CHECK:               scf.yield %[[F00]], %[[F01]], %[[F02]], %[[F03]], %[[F10]], {{.*}} : vector<16xf32>,
// CHECK-NEXT:        }
// st = scale * acc, masked writes
// CHECK-NEXT:        %[[S00:.+]] = arith.mulf %[[R]]#0, %[[SCALE]] : vector<16xf32>
// CHECK-NEXT:        vector.transfer_write %[[S00]], %[[ST]][%[[J0]], %[[I0]]] : vector<16xf32>, memref<?x?xf32, strided<[64, 1]>>
// CHECK-NEXT:        %[[S01:.+]] = arith.mulf %[[R]]#1, %[[SCALE]] : vector<16xf32>
// CHECK:             %[[COL1:.+]] = arith.addi %[[I0]], %{{.+}} : index
// CHECK-NEXT:        vector.transfer_write %[[S01]], %[[ST]][%[[J0]], %[[COL1]]]
// CHECK-COUNT-14:    vector.transfer_write{{.*}}
// CHECK-NOT:         vector.transfer_write
// CHECK:           }
// CHECK-NEXT:    }
// Remainder keys one at a time: 1 x 4 accumulators.
// CHECK:         scf.for %[[JR:[a-zA-Z0-9_]+]] = %[[MAIN]] to %[[KN]] step %{{.+}} {
// CHECK:           scf.for %{{.+}} = %{{.+}} to %[[QN]] step %{{.+}} {
// CHECK:             %{{.+}}:4 = scf.for %{{.+}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:               memref.load %[[K]][%[[JR]], %{{.+}}]
// CHECK-COUNT-4:       vector.fma{{.*}}
// CHECK-NEXT:          scf.yield
// CHECK-COUNT-4:     vector.transfer_write{{.*}}
// CHECK-NOT:     attn.tile_qk
//
// qk-rows = 2, qk-vectors = 2: blocks of 2 keys x 32 columns, 2 x 2 = 4
// accumulators, 2 in the remainder loop.
// OPT-LABEL: func.func @qk_f32(
// OPT:         arith.remui %{{.+}}, %[[C2:.+]] : index
// OPT:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} {
// OPT:           %[[SPAN:.+]] = arith.constant 32 : index
// OPT-NEXT:      scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[SPAN]] {
// OPT:             %{{.+}}:4 = scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// OPT-COUNT-4:       vector.fma{{.*}}
// OPT-NEXT:          scf.yield
// OPT-COUNT-4:     vector.transfer_write{{.*}}
// OPT:         scf.for
// OPT:           scf.for
// OPT:             %{{.+}}:2 = scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
// OPT-COUNT-2:       vector.fma{{.*}}
// OPT-NEXT:          scf.yield
func.func @qk_f32(%qt: memref<64x64xf32>,
                  %k: memref<?x64xf32, strided<[?, 1], offset: ?>>,
                  %st: memref<?x?xf32, strided<[64, 1]>>) {
  attn.tile_qk %qt, %k, %st {scale = 0.125 : f64}
      : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>,
        memref<?x?xf32, strided<[64, 1]>>
  return
}

// bf16 operands: qt vectors and k scalars are widened to f32 before the FMA.
// qt has 32 columns, less than the 64-column span: its reads may run past
// the end and are not marked in bounds.
// CHECK-LABEL: func.func @qk_bf16(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x32xbf16>, %[[K:[a-zA-Z0-9_]+]]: memref<?x64xbf16, strided<[?, 1], offset: ?>>, %[[ST:[a-zA-Z0-9_]+]]: memref<?x?xf32, strided<[32, 1]>>)
// CHECK:         %[[SCALE:.+]] = arith.constant dense<5.000000e-01> : vector<16xf32>
// CHECK:         scf.for %[[J0:[a-zA-Z0-9_]+]] = {{.*}} {
// CHECK:           scf.for {{.*}} {
// CHECK:             %{{.+}}:16 = scf.for %[[DI:[a-zA-Z0-9_]+]] = {{.*}} -> (vector<16xf32>,
// CHECK:               %[[QH:.+]] = vector.transfer_read %[[QT]][%[[DI]], %{{.+}}], %{{.+}} : memref<64x32xbf16>, vector<16xbf16>
// CHECK-NEXT:          %[[QV:.+]] = arith.extf %[[QH]] : vector<16xbf16> to vector<16xf32>
// CHECK:               %[[KH:.+]] = memref.load %[[K]][%[[J0]], %[[DI]]] : memref<?x64xbf16, strided<[?, 1], offset: ?>>
// CHECK-NEXT:          %[[KF:.+]] = arith.extf %[[KH]] : bf16 to f32
// CHECK-NEXT:          %[[KB:.+]] = vector.broadcast %[[KF]] : f32 to vector<16xf32>
// CHECK-NEXT:          vector.fma %[[KB]], %[[QV]], %{{.+}} : vector<16xf32>
// CHECK:             arith.mulf %{{.+}}, %[[SCALE]] : vector<16xf32>
// CHECK-NEXT:        vector.transfer_write %{{.+}}, %[[ST]]
func.func @qk_bf16(%qt: memref<64x32xbf16>,
                   %k: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
                   %st: memref<?x?xf32, strided<[32, 1]>>) {
  attn.tile_qk %qt, %k, %st {scale = 0.5 : f64}
      : memref<64x32xbf16>, memref<?x64xbf16, strided<[?, 1], offset: ?>>,
        memref<?x?xf32, strided<[32, 1]>>
  return
}

// A score tile of static width 64 (a multiple of the 64-column span): its
// stores are whole vectors, in bounds (no masked stores: vmaskmovps on AVX2).
// CHECK-LABEL: func.func @qk_static_width(
// CHECK-COUNT-16:    vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<16xf32>, memref<?x64xf32, strided<[64, 1]>>
func.func @qk_static_width(%qt: memref<64x64xf32>,
                           %k: memref<?x64xf32, strided<[?, 1], offset: ?>>,
                           %st: memref<?x64xf32, strided<[64, 1]>>) {
  attn.tile_qk %qt, %k, %st {scale = 0.125 : f64}
      : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>,
        memref<?x64xf32, strided<[64, 1]>>
  return
}

// A static 16 x 16 score tile (linear attention's chunk) is one vector
// wide: the block takes 4 x 4 = 16 key rows of one vector each instead of
// 4 x 4 vectors, so that 16 accumulators stay in flight.
// CHECK-LABEL: func.func @qk_narrow(
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             %{{.+}}:16 = scf.for {{.*}} -> (vector<16xf32>,
// CHECK-COUNT-1:       vector.transfer_read
// CHECK-COUNT-16:      vector.fma
// CHECK-NEXT:          scf.yield
// CHECK-COUNT-16:    vector.transfer_write
func.func @qk_narrow(%qt: memref<64x16xf32>, %k: memref<16x64xf32>,
                     %st: memref<16x16xf32>) {
  attn.tile_qk %qt, %k, %st {scale = 1.0 : f64}
      : memref<64x16xf32>, memref<16x64xf32>, memref<16x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// tile_pv
//===----------------------------------------------------------------------===//

// f32, Dv = 64 = one group of 4 x 16 lanes; rows in blocks of 4.
// CHECK-LABEL: func.func @pv_f32(
// CHECK-SAME:      %[[PT:[a-zA-Z0-9_]+]]: memref<?x?xf32, strided<[64, 1]>>, %[[V:[a-zA-Z0-9_]+]]: memref<?x64xf32, strided<[?, 1], offset: ?>>, %[[ACC:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[ALPHA:[a-zA-Z0-9_]+]]: memref<64xf32>)
// CHECK-DAG:     %[[KN:.+]] = memref.dim %[[PT]], %{{.+}} : memref<?x?xf32, strided<[64, 1]>>
// CHECK-DAG:     %[[QN:.+]] = memref.dim %[[PT]], %{{.+}} : memref<?x?xf32, strided<[64, 1]>>
// CHECK:         %[[REM:.+]] = arith.remui %[[QN]], %{{.+}} : index
// CHECK-NEXT:    %[[MAIN:.+]] = arith.subi %[[QN]], %[[REM]] : index
// CHECK:         scf.for %[[I0:[a-zA-Z0-9_]+]] = %{{.+}} to %[[MAIN]] step %{{.+}} {
// acc = alpha * acc: row i0 first, its 4 vectors of Dv
// CHECK-NEXT:      %[[A:.+]] = memref.load %[[ALPHA]][%[[I0]]] : memref<64xf32>
// CHECK-NEXT:      %[[AB:.+]] = vector.broadcast %[[A]] : f32 to vector<16xf32>
// CHECK:           %[[OLD0:.+]] = vector.transfer_read %[[ACC]][%[[I0]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<64x64xf32>, vector<16xf32>
// CHECK-NEXT:      %[[INIT0:.+]] = arith.mulf %[[AB]], %[[OLD0]] : vector<16xf32>
// CHECK:           %[[OLD1:.+]] = vector.transfer_read %[[ACC]][%[[I0]], %{{.+}}]
// CHECK-NEXT:      %[[INIT1:.+]] = arith.mulf %[[AB]], %[[OLD1]] : vector<16xf32>
// CHECK-COUNT-14:  arith.mulf
// acc += p^T v over the keys, 16 loop-carried accumulators
// CHECK:           %[[R:.+]]:16 = scf.for %[[J:[a-zA-Z0-9_]+]] = %{{.+}} to %[[KN]] step %{{.+}} iter_args(%[[S0:[a-zA-Z0-9_]+]] = %[[INIT0]], %[[S1:[a-zA-Z0-9_]+]] = %[[INIT1]], {{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:             %[[VV0:.+]] = vector.transfer_read %[[V]][%[[J]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<?x64xf32, strided<[?, 1], offset: ?>>, vector<16xf32>
// CHECK:             %[[VV1:.+]] = vector.transfer_read %[[V]][%[[J]], %{{.+}}]
// CHECK:             vector.transfer_read %[[V]]
// CHECK:             vector.transfer_read %[[V]]
// p = splat(pt[j, i0])
// CHECK-NEXT:        %[[P:.+]] = memref.load %[[PT]][%[[J]], %[[I0]]] : memref<?x?xf32, strided<[64, 1]>>
// CHECK-NEXT:        %[[PB:.+]] = vector.broadcast %[[P]] : f32 to vector<16xf32>
// CHECK-NEXT:        %[[N0:.+]] = vector.fma %[[PB]], %[[VV0]], %[[S0]] : vector<16xf32>
// CHECK-NEXT:        %[[N1:.+]] = vector.fma %[[PB]], %[[VV1]], %[[S1]] : vector<16xf32>
// CHECK-COUNT-14:    vector.fma{{.*}}
// CHECK-NEXT:        scf.yield %[[N0]], %[[N1]], {{.*}} : vector<16xf32>,
// CHECK-NEXT:      }
// CHECK:           vector.transfer_write %[[R]]#0, %[[ACC]][%[[I0]], %{{.+}}] {in_bounds = [true]} : vector<16xf32>, memref<64x64xf32>
// CHECK-COUNT-15:  vector.transfer_write{{.*}}
// CHECK-NEXT:    }
// Remainder rows one at a time: 4 accumulators.
// CHECK:         scf.for %[[IR:[a-zA-Z0-9_]+]] = %[[MAIN]] to %[[QN]] step %{{.+}} {
// CHECK-NEXT:      memref.load %[[ALPHA]][%[[IR]]]
// CHECK:           %{{.+}}:4 = scf.for %{{.+}} = %{{.+}} to %[[KN]] step %{{.+}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-COUNT-4:     vector.fma{{.*}}
// CHECK-NEXT:        scf.yield
// CHECK-COUNT-4:   vector.transfer_write %{{.+}}, %[[ACC]][%[[IR]], %{{.+}}] {in_bounds = [true]}
// CHECK-NOT:     attn.tile_pv
//
// pv-rows = 1, pv-vectors = 2: Dv = 64 in two groups of 2 x 16 lanes, each
// with its own key loop and 2 accumulators; no remainder loop.
// OPT-LABEL: func.func @pv_f32(
// OPT:         arith.remui %{{.+}}, %{{.+}} : index
// OPT:         scf.for %[[I0:[a-zA-Z0-9_]+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// OPT:           %{{.+}}:2 = scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
// OPT-COUNT-2:     vector.fma{{.*}}
// OPT-NEXT:        scf.yield
// OPT:           %[[C32:.+]] = arith.constant 32 : index
// OPT:           vector.transfer_read %{{.+}}[%[[I0]], %[[C32]]]
// OPT:           %{{.+}}:2 = scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>) {
// OPT-COUNT-2:     vector.fma{{.*}}
// OPT-NEXT:        scf.yield
// OPT-COUNT-2:   vector.transfer_write{{.*}}
// OPT-NEXT:    }
// OPT-NEXT:    return
func.func @pv_f32(%pt: memref<?x?xf32, strided<[64, 1]>>,
                  %v: memref<?x64xf32, strided<[?, 1], offset: ?>>,
                  %acc: memref<64x64xf32>, %alpha: memref<64xf32>) {
  attn.tile_pv %pt, %v, %acc, %alpha
      : memref<?x?xf32, strided<[64, 1]>>,
        memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<64x64xf32>,
        memref<64xf32>
  return
}

// bf16 V with Dv = 40 = 16 + 16 + 8: three vectors per row (not four); the
// third is not in bounds. V vectors are widened with arith.extf.
// CHECK-LABEL: func.func @pv_bf16_dv40(
// CHECK-SAME:      %[[PT:[a-zA-Z0-9_]+]]: memref<?x?xf32, strided<[64, 1]>>, %[[V:[a-zA-Z0-9_]+]]: memref<?x40xbf16, strided<[?, 1], offset: ?>>, %[[ACC:[a-zA-Z0-9_]+]]: memref<64x40xf32>, %[[ALPHA:[a-zA-Z0-9_]+]]: memref<64xf32>)
// CHECK:         scf.for %[[I0:[a-zA-Z0-9_]+]] = {{.*}} {
// CHECK:           vector.transfer_read %[[ACC]][%[[I0]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<64x40xf32>, vector<16xf32>
// CHECK:           vector.transfer_read %[[ACC]][%[[I0]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<64x40xf32>, vector<16xf32>
// CHECK:           %[[C32:.+]] = arith.constant 32 : index
// CHECK:           vector.transfer_read %[[ACC]][%[[I0]], %[[C32]]], %{{.+}} : memref<64x40xf32>, vector<16xf32>
// 4 rows x 3 vectors = 12 accumulators
// CHECK:           %[[R:.+]]:12 = scf.for %[[J:[a-zA-Z0-9_]+]] = {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:             %[[VH0:.+]] = vector.transfer_read %[[V]][%[[J]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<?x40xbf16, strided<[?, 1], offset: ?>>, vector<16xbf16>
// CHECK-NEXT:        arith.extf %[[VH0]] : vector<16xbf16> to vector<16xf32>
// CHECK:             vector.transfer_read %[[V]][%[[J]], %{{.+}}], %{{.+}} {in_bounds = [true]}
// CHECK-NEXT:        arith.extf
// CHECK:             %[[VH2:.+]] = vector.transfer_read %[[V]][%[[J]], %{{.+}}], %{{.+}} : memref<?x40xbf16, strided<[?, 1], offset: ?>>, vector<16xbf16>
// CHECK-NEXT:        arith.extf %[[VH2]] : vector<16xbf16> to vector<16xf32>
// CHECK-COUNT-12:    vector.fma{{.*}}
// CHECK:           vector.transfer_write %[[R]]#0, %[[ACC]]{{.*}} {in_bounds = [true]}
// CHECK:           vector.transfer_write %[[R]]#1, %[[ACC]]{{.*}} {in_bounds = [true]}
// CHECK:           vector.transfer_write %[[R]]#2, %[[ACC]][%[[I0]], %{{.+}}] : vector<16xf32>, memref<64x40xf32>
func.func @pv_bf16_dv40(%pt: memref<?x?xf32, strided<[64, 1]>>,
                        %v: memref<?x40xbf16, strided<[?, 1], offset: ?>>,
                        %acc: memref<64x40xf32>, %alpha: memref<64xf32>) {
  attn.tile_pv %pt, %v, %acc, %alpha
      : memref<?x?xf32, strided<[64, 1]>>,
        memref<?x40xbf16, strided<[?, 1], offset: ?>>, memref<64x40xf32>,
        memref<64xf32>
  return
}

// Without alpha, acc is loaded as it is: no rescale multiply.
// CHECK-LABEL: func.func @pv_no_alpha(
// CHECK:         scf.for
// CHECK-NOT:       arith.mulf
// CHECK-COUNT-4:   vector.transfer_read {{.*}} : memref<64x64xf32>, vector<16xf32>
// CHECK-NOT:       arith.mulf
// CHECK:           scf.for {{.*}} -> (vector<16xf32>
// CHECK-COUNT-16:    vector.fma
// CHECK-NOT:     arith.mulf
// CHECK:         return
func.func @pv_no_alpha(%pt: memref<16x64xf32>, %v: memref<16x64xf32>,
                       %acc: memref<64x64xf32>) {
  attn.tile_pv %pt, %v, %acc
      : memref<16x64xf32>, memref<16x64xf32>, memref<64x64xf32>
  return
}
