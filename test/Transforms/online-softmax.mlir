// RUN: attn-opt %s --attn-online-softmax | FileCheck %s
// RUN: attn-opt %s --attn-online-softmax="vector-width=8" | FileCheck %s --check-prefix=W8
// RUN: not attn-opt %s --attn-online-softmax="vector-width=0" 2>&1 | FileCheck %s --check-prefix=BAD

// --attn-online-softmax expands, for a key block of kn = dim(k, 0) keys and
// qn = rows query rows, with key-major scores st = scores[0:kn, 0:qn]:
//
//   attn.online_step ->  st = attn.tile_qk(qt, k)            (scale * k q^T)
//                        st[j, i] = score(st[j, i], q0 + i, k0 + j)  (all)
//                        if (needs_mask) st[j, i] = mask(..) ? st : -inf
//                        per W = vector-width query rows:
//                          m' = max(m, max_j st[j, :])
//                          alpha = exp(m - (m' == -inf ? 0 : m'))
//                          st[j, :] = p = exp(st[j, :] - safe m')
//                          l = l * alpha + sum_j p;  store l, m', alpha
//                        attn.tile_pv(st, v, acc, alpha)   (acc = alpha acc + p^T v)
//   attn.online_finalize -> out[i, :] = acc[i, :] * (l == 0 ? 0 : 1 / l)
//                           lse[i] = l == 0 ? -inf : m + log(l)
//
// A mask region made of arith ops only (positions: causal, window) runs W
// queries at a time on vector<Wxindex>; a region that reads memory falls
// back to scalar loops.
//
// BAD: error: attn-online-softmax: vector-width must be positive, got

//===----------------------------------------------------------------------===//
// online_step with a position-only mask: vectorized masking
//===----------------------------------------------------------------------===//

// Causal-like mask j <= i + off, with `off` defined above the region.
// CHECK-LABEL: func.func @step_position_mask(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<?x64xf32, strided<[?, 1], offset: ?>>, %[[V:[a-zA-Z0-9_]+]]: memref<?x64xf32, strided<[?, 1], offset: ?>>,
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[L:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[ALPHA:[a-zA-Z0-9_]+]]: memref<64xf32>,
// CHECK-SAME:      %[[QN:[a-zA-Z0-9_]+]]: index, %[[Q0:[a-zA-Z0-9_]+]]: index, %[[K0:[a-zA-Z0-9_]+]]: index, %[[OFF:[a-zA-Z0-9_]+]]: index, %[[NEEDS:[a-zA-Z0-9_]+]]: i1)
// st = scores[0:kn, 0:qn], kn = dim(k, 0)
// CHECK:         %[[KN:.+]] = memref.dim %[[K]], %{{.+}} : memref<?x64xf32, strided<[?, 1], offset: ?>>
// CHECK-NEXT:    %[[ST:.+]] = memref.subview %[[S]][0, 0] [%[[KN]], %[[QN]]] [1, 1] : memref<64x64xf32> to memref<?x?xf32, strided<[64, 1]>>
// The whole score rows [kn, 64]: the static width lets tile_qk (and the
// softmax loops) store whole vectors.
// CHECK-NEXT:    %[[SROWS:.+]] = memref.subview %[[S]][0, 0] [%[[KN]], 64] [1, 1] : memref<64x64xf32> to memref<?x64xf32, strided<[64, 1]>>
// S = scale * K Q^T (key-major): into the whole rows for a full query tile
// (qn = 64), else into [kn, qn].
// CHECK:         %[[FULL:.+]] = arith.cmpi eq, %[[QN]], %{{.+}} : index
// CHECK-NEXT:    scf.if %[[FULL]] {
// CHECK-NEXT:      attn.tile_qk %[[QT]], %[[K]], %[[SROWS]] {scale = 1.250000e-01 : f64} : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<?x64xf32, strided<[64, 1]>>
// CHECK-NEXT:    } else {
// CHECK-NEXT:      attn.tile_qk %[[QT]], %[[K]], %[[ST]] {scale = 1.250000e-01 : f64} : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<?x?xf32, strided<[64, 1]>>
// CHECK-NEXT:    }
// Only blocks that need it are masked.
// CHECK-NEXT:    scf.if %[[NEEDS]] {
// CHECK:           scf.for %[[J:[a-zA-Z0-9_]+]] = %{{.+}} to %[[KN]] step %{{.+}} {
// CHECK:             scf.for %[[I:[a-zA-Z0-9_]+]] = %{{.+}} to %[[QN]] step %[[C16:[a-zA-Z0-9_]+]] {
// Query positions q0 + i + [0, 1, .., 15], key position k0 + j (splat).
// CHECK-NEXT:          %[[LANES:.+]] = vector.step : vector<16xindex>
// CHECK-NEXT:          %[[QI:.+]] = arith.addi %[[Q0]], %[[I]] : index
// CHECK-NEXT:          %[[QIV:.+]] = vector.broadcast %[[QI]] : index to vector<16xindex>
// CHECK-NEXT:          %[[QPOS:.+]] = arith.addi %[[QIV]], %[[LANES]] : vector<16xindex>
// CHECK-NEXT:          %[[KJ:.+]] = arith.addi %[[K0]], %[[J]] : index
// CHECK-NEXT:          %[[KPOS:.+]] = vector.broadcast %[[KJ]] : index to vector<16xindex>
// The region, cloned on vectors; `off` from above is broadcast.
// CHECK-NEXT:          %[[OFFV:.+]] = vector.broadcast %[[OFF]] : index to vector<16xindex>
// CHECK-NEXT:          %[[LIM:.+]] = arith.addi %[[QPOS]], %[[OFFV]] : vector<16xindex>
// CHECK-NEXT:          %[[OK:.+]] = arith.cmpi sle, %[[KPOS]], %[[LIM]] : vector<16xindex>
// s = allowed ? s : -inf
// CHECK-NEXT:          %[[PAD:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT:          %[[X:.+]] = vector.transfer_read %[[ST]][%[[J]], %[[I]]], %[[PAD]] : memref<?x?xf32, strided<[64, 1]>>, vector<16xf32>
// CHECK-NEXT:          %[[NINF:.+]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK-NEXT:          %[[Y:.+]] = arith.select %[[OK]], %[[X]], %[[NINF]] : vector<16xi1>, vector<16xf32>
// CHECK-NEXT:          vector.transfer_write %[[Y]], %[[ST]][%[[J]], %[[I]]] : vector<16xf32>, memref<?x?xf32, strided<[64, 1]>>
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// The statistics, 16 query rows at a time; lanes past qn are masked off in
// m, l and alpha. Score rows go through the whole 64 columns of the scratch
// (4 whole vectors, the SROWS view above): plain loads and stores, in bounds.
// CHECK:         scf.for %[[R:[a-zA-Z0-9_]+]] = %{{.+}} to %[[QN]] step %{{.+}} {
// CHECK-NEXT:      %[[LEFT:.+]] = arith.subi %[[QN]], %[[R]] : index
// CHECK-NEXT:      %[[ROWS:.+]] = vector.create_mask %[[LEFT]] : vector<16xi1>
// CHECK-NEXT:      %[[NINFV:.+]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK-NEXT:      %[[MOLD:.+]] = vector.maskedload %[[M]][%[[R]]], %[[ROWS]], %[[NINFV]] : memref<64xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// rowmax(S), one key at a time; new max = max(old max, rowmax(S))
// CHECK:           %[[NINF1:.+]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK-NEXT:      %[[BMAX:.+]] = scf.for %[[KJ2:[a-zA-Z0-9_]+]] = %{{.+}} to %[[KN]] step %{{.+}} iter_args(%[[CURMAX:.+]] = %[[NINF1]]) -> (vector<16xf32>) {
// CHECK:             %[[SJ:.+]] = vector.transfer_read %[[SROWS]][%[[KJ2]], %[[R]]], %{{.+}} {in_bounds = [true]} : memref<?x64xf32, strided<[64, 1]>>, vector<16xf32>
// CHECK-NEXT:        %[[MAX:.+]] = arith.maximumf %[[CURMAX]], %[[SJ]] : vector<16xf32>
// CHECK-NEXT:        scf.yield %[[MAX]] : vector<16xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      %[[MNEW:.+]] = arith.maximumf %[[MOLD]], %[[BMAX]] : vector<16xf32>
// Rows with no allowed key yet keep m = -inf: subtract 0 instead (no NaN).
// CHECK-NEXT:      %[[NINF2:.+]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK-NEXT:      %[[NOKEY:.+]] = arith.cmpf oeq, %[[MNEW]], %[[NINF2]] : vector<16xf32>
// CHECK-NEXT:      %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK-NEXT:      %[[MSAFE:.+]] = arith.select %[[NOKEY]], %[[ZERO]], %[[MNEW]] : vector<16xi1>, vector<16xf32>
// alpha = exp(old max - new max)
// CHECK-NEXT:      %[[DIFF:.+]] = arith.subf %[[MOLD]], %[[MSAFE]] : vector<16xf32>
// CHECK-NEXT:      %[[A:.+]] = math.exp %[[DIFF]] : vector<16xf32>
// l * alpha
// CHECK:           %[[LOLD:.+]] = vector.maskedload %[[L]][%[[R]]], %[[ROWS]], %{{.+}} : memref<64xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK-NEXT:      %[[LSCALED:.+]] = arith.mulf %[[LOLD]], %[[A]] : vector<16xf32>
// P = exp(S - new max), written over S; l = l * alpha + rowsum(P)
// CHECK-NEXT:      %[[LNEW:.+]] = scf.for %[[KJ3:[a-zA-Z0-9_]+]] = %{{.+}} to %[[KN]] step %{{.+}} iter_args(%[[SUM:.+]] = %[[LSCALED]]) -> (vector<16xf32>) {
// CHECK:             %[[SJ3:.+]] = vector.transfer_read %[[SROWS]][%[[KJ3]], %[[R]]], %{{.+}} {in_bounds = [true]} : memref<?x64xf32, strided<[64, 1]>>, vector<16xf32>
// CHECK-NEXT:        %[[SHIFT:.+]] = arith.subf %[[SJ3]], %[[MSAFE]] : vector<16xf32>
// CHECK-NEXT:        %[[P:.+]] = math.exp %[[SHIFT]] : vector<16xf32>
// CHECK-NEXT:        vector.transfer_write %[[P]], %[[SROWS]][%[[KJ3]], %[[R]]] {in_bounds = [true]} : vector<16xf32>, memref<?x64xf32, strided<[64, 1]>>
// CHECK-NEXT:        %[[ADD:.+]] = arith.addf %[[SUM]], %[[P]] : vector<16xf32>
// CHECK-NEXT:        scf.yield %[[ADD]] : vector<16xf32>
// CHECK-NEXT:      }
// Store l, m and alpha for the rows of this tile.
// CHECK-NEXT:      vector.maskedstore %[[L]][%[[R]]], %[[ROWS]], %[[LNEW]] : memref<64xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NEXT:      vector.maskedstore %[[M]][%[[R]]], %[[ROWS]], %[[MNEW]] : memref<64xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NEXT:      vector.maskedstore %[[ALPHA]][%[[R]]], %[[ROWS]], %[[A]] : memref<64xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    }
// acc = alpha * acc + P^T V
// CHECK-NEXT:    attn.tile_pv %[[ST]], %[[V]], %[[ACC]], %[[ALPHA]] : memref<?x?xf32, strided<[64, 1]>>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<64x64xf32>, memref<64xf32>
// CHECK-NEXT:    return
// CHECK-NOT:     attn.online_step
//
// vector-width = 8: the same loops on vector<8x...>.
// W8-LABEL: func.func @step_position_mask(
// W8:         scf.if
// W8:           %[[C8:.+]] = arith.constant 8 : index
// W8-NEXT:      scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[C8]] {
// W8-NEXT:        %[[LANES:.+]] = vector.step : vector<8xindex>
// W8:             arith.cmpi sle, %{{.+}}, %{{.+}} : vector<8xindex>
// W8:             arith.select %{{.+}}, %{{.+}}, %{{.+}} : vector<8xi1>, vector<8xf32>
// W8:         %[[C8B:.+]] = arith.constant 8 : index
// W8-NEXT:    scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[C8B]] {
// W8:           vector.create_mask %{{.+}} : vector<8xi1>
// W8:           arith.maximumf %{{.+}}, %{{.+}} : vector<8xf32>
// W8:           math.exp %{{.+}} : vector<8xf32>
// W8:           math.exp %{{.+}} : vector<8xf32>
// W8:           vector.maskedstore %{{.+}} : memref<64xf32>, vector<8xi1>, vector<8xf32>
// W8-NOT:       vector<16x
// W8:         attn.tile_pv
func.func @step_position_mask(
    %qt: memref<64x64xf32>,
    %k: memref<?x64xf32, strided<[?, 1], offset: ?>>,
    %v: memref<?x64xf32, strided<[?, 1], offset: ?>>,
    %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>,
    %s: memref<64x64xf32>, %alpha: memref<64xf32>,
    %qn: index, %q0: index, %k0: index, %off: index, %needs: i1) {
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %qn
      at [%q0, %k0] masked %needs {scale = 0.125 : f64}
      : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>,
        memref<?x64xf32, strided<[?, 1], offset: ?>>,
        memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>,
        memref<64xf32>
      mask {
      ^bb0(%i: index, %j: index):
        %lim = arith.addi %i, %off : index
        %ok = arith.cmpi sle, %j, %lim : index
        attn.yield %ok : i1
      }
  return
}

//===----------------------------------------------------------------------===//
// online_step with a memory mask and a score region: scalar loops
//===----------------------------------------------------------------------===//

// Document mask (reads doc ids) and an additive bias read from memory, bf16
// operands, BQ = 32, BK = 64. The score region runs on every element of the
// tile before masking; the mask cannot be vectorized and runs per element.
// CHECK-LABEL: func.func @step_memory_mask_and_score(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x32xbf16>, %[[K:[a-zA-Z0-9_]+]]: memref<?x64xbf16, strided<[?, 1], offset: ?>>, %[[V:[a-zA-Z0-9_]+]]: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<32xf32>, %[[L:[a-zA-Z0-9_]+]]: memref<32xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<32x64xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<64x32xf32>, %[[ALPHA:[a-zA-Z0-9_]+]]: memref<32xf32>,
// CHECK-SAME:      %[[QN:[a-zA-Z0-9_]+]]: index, %[[Q0:[a-zA-Z0-9_]+]]: index, %[[K0:[a-zA-Z0-9_]+]]: index, %[[DOCS:[a-zA-Z0-9_]+]]: memref<?xi32>, %[[BIAS:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[NEEDS:[a-zA-Z0-9_]+]]: i1)
// CHECK:         %[[KN:.+]] = memref.dim %[[K]], %{{.+}}
// CHECK-NEXT:    %[[ST:.+]] = memref.subview %[[S]][0, 0] [%[[KN]], %[[QN]]] [1, 1] : memref<64x32xf32> to memref<?x?xf32, strided<[32, 1]>>
// CHECK:         attn.tile_qk %[[QT]], %[[K]], %{{.+}} {scale = 2.500000e-01 : f64} : memref<64x32xbf16>, memref<?x64xbf16, strided<[?, 1], offset: ?>>, memref<?x32xf32, strided<[32, 1]>>
// CHECK:         attn.tile_qk %[[QT]], %[[K]], %[[ST]] {scale = 2.500000e-01 : f64} : memref<64x32xbf16>, memref<?x64xbf16, strided<[?, 1], offset: ?>>, memref<?x?xf32, strided<[32, 1]>>
// s = score(s, q0 + i, k0 + j) = s + bias[q0 + i, k0 + j], on every element.
// CHECK:         scf.for %[[J:[a-zA-Z0-9_]+]] = %{{.+}} to %[[KN]] step %{{.+}} {
// CHECK:           scf.for %[[I:[a-zA-Z0-9_]+]] = %{{.+}} to %[[QN]] step %{{.+}} {
// CHECK-NEXT:        %[[X:.+]] = memref.load %[[ST]][%[[J]], %[[I]]]
// CHECK-NEXT:        %[[QI:.+]] = arith.addi %[[Q0]], %[[I]] : index
// CHECK-NEXT:        %[[KJ:.+]] = arith.addi %[[K0]], %[[J]] : index
// CHECK-NEXT:        %[[B:.+]] = memref.load %[[BIAS]][%[[QI]], %[[KJ]]] : memref<?x?xf32>
// CHECK-NEXT:        %[[Y:.+]] = arith.addf %[[X]], %[[B]] : f32
// CHECK-NEXT:        memref.store %[[Y]], %[[ST]][%[[J]], %[[I]]]
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// The mask reads memory: scalar loops, no vector.step.
// CHECK-NEXT:    scf.if %[[NEEDS]] {
// CHECK-NOT:       vector.step
// CHECK:           scf.for %[[J2:[a-zA-Z0-9_]+]] = %{{.+}} to %[[KN]] step %{{.+}} {
// CHECK:             scf.for %[[I2:[a-zA-Z0-9_]+]] = %{{.+}} to %[[QN]] step %{{.+}} {
// CHECK-NEXT:          %[[QI2:.+]] = arith.addi %[[Q0]], %[[I2]] : index
// CHECK-NEXT:          %[[KJ2:.+]] = arith.addi %[[K0]], %[[J2]] : index
// CHECK-NEXT:          %[[DI:.+]] = memref.load %[[DOCS]][%[[QI2]]] : memref<?xi32>
// CHECK-NEXT:          %[[DJ:.+]] = memref.load %[[DOCS]][%[[KJ2]]] : memref<?xi32>
// CHECK-NEXT:          %[[OK:.+]] = arith.cmpi eq, %[[DI]], %[[DJ]] : i32
// s = allowed ? s : -inf
// CHECK-NEXT:          %[[X2:.+]] = memref.load %[[ST]][%[[J2]], %[[I2]]]
// CHECK-NEXT:          %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT:          %[[Y2:.+]] = arith.select %[[OK]], %[[X2]], %[[NINF]] : f32
// CHECK-NEXT:          memref.store %[[Y2]], %[[ST]][%[[J2]], %[[I2]]]
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// CHECK-NOT:       vector.step
// CHECK:         }
// The statistics are the same vector loops as above.
// CHECK:         scf.for %{{.+}} = %{{.+}} to %[[QN]] step %{{.+}} {
// CHECK:           vector.maskedload %[[M]]
// CHECK:           arith.maximumf
// CHECK:           math.exp
// CHECK:           vector.maskedstore %[[ALPHA]]
// CHECK:         attn.tile_pv %[[ST]], %[[V]], %[[ACC]], %[[ALPHA]] : memref<?x?xf32, strided<[32, 1]>>, memref<?x64xbf16, strided<[?, 1], offset: ?>>, memref<32x64xf32>, memref<32xf32>
func.func @step_memory_mask_and_score(
    %qt: memref<64x32xbf16>,
    %k: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
    %v: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
    %m: memref<32xf32>, %l: memref<32xf32>, %acc: memref<32x64xf32>,
    %s: memref<64x32xf32>, %alpha: memref<32xf32>,
    %qn: index, %q0: index, %k0: index, %docs: memref<?xi32>,
    %bias: memref<?x?xf32>, %needs: i1) {
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %qn
      at [%q0, %k0] masked %needs {scale = 0.25 : f64}
      : memref<64x32xbf16>, memref<?x64xbf16, strided<[?, 1], offset: ?>>,
        memref<?x64xbf16, strided<[?, 1], offset: ?>>,
        memref<32xf32>, memref<32xf32>, memref<32x64xf32>, memref<64x32xf32>,
        memref<32xf32>
      mask {
      ^bb0(%i: index, %j: index):
        %di = memref.load %docs[%i] : memref<?xi32>
        %dj = memref.load %docs[%j] : memref<?xi32>
        %ok = arith.cmpi eq, %di, %dj : i32
        attn.yield %ok : i1
      } score {
      ^bb0(%sc: f32, %i: index, %j: index):
        %b = memref.load %bias[%i, %j] : memref<?x?xf32>
        %new = arith.addf %sc, %b : f32
        attn.yield %new : f32
      }
  return
}

// No region (a block proven fully allowed): no masking branch and no score
// loop, straight from tile_qk to the statistics.
// CHECK-LABEL: func.func @step_no_regions(
// CHECK:         attn.tile_qk
// CHECK-NOT:     scf.if
// CHECK-NOT:     memref.store
// CHECK:         vector.create_mask
// CHECK:         attn.tile_pv
// CHECK-NEXT:    return
func.func @step_no_regions(
    %qt: memref<64x64xf16>,
    %k: memref<?x64xf16, strided<[?, 1], offset: ?>>,
    %v: memref<?x64xf16, strided<[?, 1], offset: ?>>,
    %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>,
    %s: memref<64x64xf32>, %alpha: memref<64xf32>,
    %qn: index, %q0: index, %k0: index) {
  %false = arith.constant false
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %qn
      at [%q0, %k0] masked %false {scale = 0.125 : f64}
      : memref<64x64xf16>, memref<?x64xf16, strided<[?, 1], offset: ?>>,
        memref<?x64xf16, strided<[?, 1], offset: ?>>,
        memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>,
        memref<64xf32>
  return
}

//===----------------------------------------------------------------------===//
// online_finalize
//===----------------------------------------------------------------------===//

// f32 output with LSE; Dv = 40 = 16 + 16 + 8: the last 16-lane chunk is not
// statically in bounds.
// CHECK-LABEL: func.func @finalize_lse(
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[L:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<64x40xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?x40xf32, strided<[40, 1], offset: ?>>, %[[LSE:[a-zA-Z0-9_]+]]: memref<?xf32, strided<[1], offset: ?>>)
// One row at a time over the qn = dim(out, 0) rows.
// CHECK:         %[[QN:.+]] = memref.dim %[[OUT]], %{{.+}}
// CHECK:         scf.for %[[I:[a-zA-Z0-9_]+]] = %{{.+}} to %[[QN]] step %{{.+}} {
// inv = l == 0 ? 0 : 1 / l  (a row with no allowed key outputs 0)
// CHECK-NEXT:      %[[LI:.+]] = memref.load %[[L]][%[[I]]] : memref<64xf32>
// CHECK-NEXT:      %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[EMPTY:.+]] = arith.cmpf oeq, %[[LI]], %[[Z]] : f32
// CHECK-NEXT:      %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[RCP:.+]] = arith.divf %[[ONE]], %[[LI]] : f32
// CHECK-NEXT:      %[[INV:.+]] = arith.select %[[EMPTY]], %[[Z]], %[[RCP]] : f32
// CHECK-NEXT:      %[[INVV:.+]] = vector.broadcast %[[INV]] : f32 to vector<16xf32>
// out[i, c:c+16] = acc[i, c:c+16] * inv for c = 0, 16 (in bounds) and 32 (not)
// CHECK-NEXT:      %[[C0:.+]] = arith.constant 0 : index
// CHECK:           %[[A0:.+]] = vector.transfer_read %[[ACC]][%[[I]], %[[C0]]], %{{.+}} {in_bounds = [true]} : memref<64x40xf32>, vector<16xf32>
// CHECK-NEXT:      %[[O0:.+]] = arith.mulf %[[A0]], %[[INVV]] : vector<16xf32>
// CHECK-NEXT:      vector.transfer_write %[[O0]], %[[OUT]][%[[I]], %[[C0]]] {in_bounds = [true]} : vector<16xf32>, memref<?x40xf32, strided<[40, 1], offset: ?>>
// CHECK-NEXT:      %[[C16:.+]] = arith.constant 16 : index
// CHECK:           vector.transfer_read %[[ACC]][%[[I]], %[[C16]]], %{{.+}} {in_bounds = [true]}
// CHECK:           vector.transfer_write %{{.+}}, %[[OUT]][%[[I]], %[[C16]]] {in_bounds = [true]}
// CHECK-NEXT:      %[[C32:.+]] = arith.constant 32 : index
// CHECK:           vector.transfer_read %[[ACC]][%[[I]], %[[C32]]], %{{.+}} : memref<64x40xf32>, vector<16xf32>
// CHECK:           vector.transfer_write %{{.+}}, %[[OUT]][%[[I]], %[[C32]]] : vector<16xf32>, memref<?x40xf32, strided<[40, 1], offset: ?>>
// lse = l == 0 ? -inf : m + log(l)
// CHECK-NEXT:      %[[MI:.+]] = memref.load %[[M]][%[[I]]] : memref<64xf32>
// CHECK-NEXT:      %[[LOG:.+]] = math.log %[[LI]] : f32
// CHECK-NEXT:      %[[SUM:.+]] = arith.addf %[[MI]], %[[LOG]] : f32
// CHECK-NEXT:      %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT:      %[[V:.+]] = arith.select %[[EMPTY]], %[[NINF]], %[[SUM]] : f32
// CHECK-NEXT:      memref.store %[[V]], %[[LSE]][%[[I]]] : memref<?xf32, strided<[1], offset: ?>>
// CHECK-NEXT:    }
// CHECK-NEXT:    return
//
// W8-LABEL: func.func @finalize_lse(
// W8:         scf.for
// W8:           vector.broadcast %{{.+}} : f32 to vector<8xf32>
// 40 = 5 x 8: every chunk in bounds.
// W8-COUNT-5:   vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<8xf32>
// W8-NOT:       vector.transfer_write
// W8:           math.log
func.func @finalize_lse(%m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x40xf32>,
    %out: memref<?x40xf32, strided<[40, 1], offset: ?>>,
    %lse: memref<?xf32, strided<[1], offset: ?>>) {
  attn.online_finalize %m, %l, %acc to %out lse %lse
      : memref<64xf32>, memref<64xf32>, memref<64x40xf32>,
        memref<?x40xf32, strided<[40, 1], offset: ?>>,
        memref<?xf32, strided<[1], offset: ?>>
  return
}

// bf16 output: each chunk is truncated before the store; no LSE, no log.
// CHECK-LABEL: func.func @finalize_bf16(
// CHECK-SAME:      %[[ACC:[a-zA-Z0-9_]+]]: memref<64x32xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?x32xbf16, strided<[?, 1], offset: ?>>)
// CHECK:         scf.for %[[I:[a-zA-Z0-9_]+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:           %[[INVV:.+]] = vector.broadcast %{{.+}} : f32 to vector<16xf32>
// CHECK:           %[[A0:.+]] = vector.transfer_read %[[ACC]][%[[I]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<64x32xf32>, vector<16xf32>
// CHECK-NEXT:      %[[O0:.+]] = arith.mulf %[[A0]], %[[INVV]] : vector<16xf32>
// CHECK-NEXT:      %[[T0:.+]] = arith.truncf %[[O0]] : vector<16xf32> to vector<16xbf16>
// CHECK-NEXT:      vector.transfer_write %[[T0]], %[[OUT]][%[[I]], %{{.+}}] {in_bounds = [true]} : vector<16xbf16>, memref<?x32xbf16, strided<[?, 1], offset: ?>>
// CHECK:           %[[T1:.+]] = arith.truncf %{{.+}} : vector<16xf32> to vector<16xbf16>
// CHECK-NEXT:      vector.transfer_write %[[T1]], %[[OUT]]{{.*}} : vector<16xbf16>, memref<?x32xbf16, strided<[?, 1], offset: ?>>
// CHECK-NEXT:    }
// CHECK-NOT:     math.log
// CHECK:         return
func.func @finalize_bf16(%m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x32xf32>,
    %out: memref<?x32xbf16, strided<[?, 1], offset: ?>>) {
  attn.online_finalize %m, %l, %acc to %out
      : memref<64xf32>, memref<64xf32>, memref<64x32xf32>,
        memref<?x32xbf16, strided<[?, 1], offset: ?>>
  return
}

//===----------------------------------------------------------------------===//
// Regions that yield a value from above or their own argument (it used to
// crash: the yielded value was looked up among the cloned ones)
//===----------------------------------------------------------------------===//

// The mask yields a function argument, the score region its score argument
// unchanged: both inline to those values.
// CHECK-LABEL: func.func @regions_yield_values_from_above(
// CHECK-SAME:      %{{[a-z0-9_]+}}: memref<?xi32>, %[[FLAG:[a-z0-9_]+]]: i1)
// CHECK-NOT:     attn.online_step
// CHECK:         arith.select %[[FLAG]], %{{.+}}, %{{.+}} : f32
// CHECK:         attn.tile_pv
func.func @regions_yield_values_from_above(
    %qt: memref<64x64xf32>,
    %k: memref<?x64xf32, strided<[?, 1], offset: ?>>,
    %v: memref<?x64xf32, strided<[?, 1], offset: ?>>,
    %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>,
    %s: memref<64x64xf32>, %alpha: memref<64xf32>,
    %qn: index, %q0: index, %k0: index, %needs: i1,
    %docs: memref<?xi32>, %flag: i1) {
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %qn
      at [%q0, %k0] masked %needs {scale = 0.125 : f64}
      : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>,
        memref<?x64xf32, strided<[?, 1], offset: ?>>,
        memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>,
        memref<64xf32>
      mask {
      ^bb0(%i: index, %j: index):
        %dj = memref.load %docs[%j] : memref<?xi32>
        attn.yield %flag : i1
      } score {
      ^bb0(%sc: f32, %i: index, %j: index):
        attn.yield %sc : f32
      }
  return
}
