// RUN: attn-opt %s --attn-tile | FileCheck %s
// RUN: attn-opt %s --attn-tile="block-q=32 block-kv=16" | FileCheck %s --check-prefix=OPT
// RUN: not attn-opt %s --attn-tile="block-q=0" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not attn-opt %s --attn-tile="block-q=1000000000" 2>&1 | FileCheck %s --check-prefix=HUGE

// --attn-tile rewrites attn.attention (tensors) into
//
//   scf.parallel (b, h, qb) in (B, Hq, ceildiv(Lq, block-q)) {
//     scratch = memref.alloc ... (freed at the end of the q-block)
//       m = -inf, l = 0, acc = 0                 (online-softmax state)
//       qt[:, :qn] = Q[b, h, q0 : q0 + qn]^T     (linalg.transpose)
//       scf.for k0 = lo to hi step block-kv {    (lo, hi from the mask)
//         scf.if visit {                          (documents, global tokens)
//           attn.online_step ... masked !full mask {...} score {...}
//       } }
//       attn.online_finalize m, l, acc to O[b, h, q0 : q0 + qn] (lse ...)
//   } }
//
// with q0 = qb * block-q, qn = min(Lq - q0, block-q), kn = min(hi - k0,
// block-kv) and off = Lk - Lq. Operands are read through
// bufferization.to_buffer (fully dynamic strides, then a memref.cast to unit
// innermost stride); the results are fresh memref.alloc buffers handed back
// through bufferization.to_tensor. Only the structure that carries the
// algorithm is pinned, not every index constant.
//
// Block sizes must be in [1, 4096]; the pass fails with an error otherwise.
// BAD: error: attn-tile: block sizes must be in [1, 4096], got block-q = 0
// Scratch of block-kv x block-q scores per task: a huge block-q was a null
// allocation (a crash) inside the kernel.
// HUGE: error: attn-tile: block sizes must be in [1, 4096], got block-q = 1000000000 and block-kv = 64

//===----------------------------------------------------------------------===//
// No mask: the whole structure
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @no_mask(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<2x4x?x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x4x?x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x4x?x64xf32>)
// Operands as buffers with any strides, then unit innermost stride.
// CHECK:         %[[QBUF:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<2x4x?x64xf32> to memref<2x4x?x64xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-NEXT:    %[[QM:.+]] = memref.cast %[[QBUF]] : memref<2x4x?x64xf32, strided<[?, ?, ?, ?], offset: ?>> to memref<2x4x?x64xf32, strided<[?, ?, ?, 1], offset: ?>>
// CHECK-NEXT:    %[[KBUF:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK-NEXT:    %[[KM:.+]] = memref.cast %[[KBUF]]
// CHECK-NEXT:    %[[VBUF:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK-NEXT:    %[[VM:.+]] = memref.cast %[[VBUF]]
// CHECK-DAG:     %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG:     %[[C4:.+]] = arith.constant 4 : index
// Lq and Lk from the buffers (dim 2 in BHSD).
// CHECK:         %[[LQ:.+]] = memref.dim %[[QBUF]], %{{.+}} : memref<2x4x?x64xf32
// CHECK:         %[[LK:.+]] = memref.dim %[[KBUF]], %{{.+}} : memref<2x4x?x64xf32
// The output buffer, sized by Q's dynamic Lq.
// CHECK:         %[[OUT:.+]] = memref.alloc(%{{.+}}) : memref<2x4x?x64xf32>
// q-blocks = ceildiv(Lq, 64)
// CHECK:         %[[C64:.+]] = arith.constant 64 : index
// CHECK-NEXT:    %[[NQ:.+]] = arith.ceildivui %[[LQ]], %[[C64]] : index
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]], %[[QB:[a-zA-Z0-9_]+]]) = ({{.*}}) to (%[[C2]], %[[C4]], %[[NQ]]) step ({{.*}}) {
// q0 = qb * 64, qn = min(Lq - q0, 64)
// CHECK:             %[[Q0:.+]] = arith.muli %[[QB]], %{{.+}} : index
// CHECK:             %[[QREST:.+]] = arith.subi %[[LQ]], %[[Q0]] : index
// CHECK-NEXT:        %[[QN:.+]] = arith.minsi %[[QREST]], %{{.+}} : index
// State m [BQ], l [BQ], acc [BQ, Dv]; scratch scores [BK, BQ], alpha [BQ], qt [D, BQ].
// CHECK:             %[[M:.+]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:        %[[L:.+]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:        %[[ACC:.+]] = memref.alloc() : memref<64x64xf32>
// CHECK-NEXT:        %[[S:.+]] = memref.alloc() : memref<64x64xf32>
// CHECK-NEXT:        %[[ALPHA:.+]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:        %[[QT:.+]] = memref.alloc() : memref<64x64xf32>
// m = -inf, l = 0, acc = 0
// CHECK-NEXT:        %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT:        linalg.fill ins(%[[NINF]] : f32) outs(%[[M]] : memref<64xf32>)
// CHECK-NEXT:        %[[Z0:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        linalg.fill ins(%[[Z0]] : f32) outs(%[[L]] : memref<64xf32>)
// CHECK-NEXT:        %[[Z1:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        linalg.fill ins(%[[Z1]] : f32) outs(%[[ACC]] : memref<64x64xf32>)
// No mask: keys [0, max(Lk, 0)).
// CHECK:             %[[HI:.+]] = arith.maxsi %[[LK]], %[[C0:.+]] : index
// qt[:, :qn] = Q[b, h, q0 : q0 + qn, :]^T, once per q-block.
// CHECK-NEXT:        %[[QTILE:.+]] = memref.subview %[[QM]][%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %[[QN]], 64] [1, 1, 1, 1] : memref<2x4x?x64xf32, strided<[?, ?, ?, 1], offset: ?>> to memref<?x64xf32, strided<[?, 1], offset: ?>>
// CHECK-NEXT:        %[[QTVIEW:.+]] = memref.subview %[[QT]][0, 0] [64, %[[QN]]] [1, 1] : memref<64x64xf32> to memref<64x?xf32, strided<[64, 1]>>
// CHECK-NEXT:        linalg.transpose ins(%[[QTILE]] : memref<?x64xf32, strided<[?, 1], offset: ?>>) outs(%[[QTVIEW]] : memref<64x?xf32, strided<[64, 1]>>) permutation = [1, 0]
// CHECK:             scf.for %[[K0:[a-zA-Z0-9_]+]] = %[[C0]] to %[[HI]] step %{{.+}} {
// kn = min(hi - k0, 64)
// CHECK:               %[[KREST:.+]] = arith.subi %[[HI]], %[[K0]] : index
// CHECK-NEXT:          %[[KN:.+]] = arith.minsi %[[KREST]], %{{.+}} : index
// Every block is visited (visit = true) and fully allowed (full = true).
// CHECK:               %[[VISIT:.+]] = arith.constant true
// CHECK-NEXT:          %[[FULL:.+]] = arith.constant true
// CHECK-NEXT:          scf.if %[[VISIT]] {
// CHECK-NEXT:            %[[KT:.+]] = memref.subview %[[KM]][%[[B]], %[[H]], %[[K0]], 0] [1, 1, %[[KN]], 64] [1, 1, 1, 1] : memref<2x4x?x64xf32, strided<[?, ?, ?, 1], offset: ?>> to memref<?x64xf32, strided<[?, 1], offset: ?>>
// CHECK-NEXT:            %[[VT:.+]] = memref.subview %[[VM]][%[[B]], %[[H]], %[[K0]], 0] [1, 1, %[[KN]], 64] [1, 1, 1, 1] : memref<2x4x?x64xf32, strided<[?, ?, ?, 1], offset: ?>> to memref<?x64xf32, strided<[?, 1], offset: ?>>
// needs_mask = !full
// CHECK-NEXT:            %[[T:.+]] = arith.constant true
// CHECK-NEXT:            %[[NEEDS:.+]] = arith.xori %[[FULL]], %[[T]] : i1
// No mask and no score region.
// CHECK-NEXT:            attn.online_step %[[QT]], %[[KT]], %[[VT]], %[[M]], %[[L]], %[[ACC]], %[[S]], %[[ALPHA]] rows %[[QN]] at{{ ?}}[%[[Q0]], %[[K0]]] masked %[[NEEDS]] {scale = 1.250000e-01 : f64} : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>{{$}}
// CHECK-NEXT:          }
// CHECK-NEXT:        }
// O[b, h, q0 : q0 + qn, :] = acc / l
// CHECK-NEXT:        %[[OT:.+]] = memref.subview %[[OUT]][%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %[[QN]], 64] [1, 1, 1, 1] : memref<2x4x?x64xf32> to memref<?x64xf32, strided<[64, 1], offset: ?>>
// CHECK-NEXT:        attn.online_finalize %[[M]], %[[L]], %[[ACC]] to %[[OT]] : memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<?x64xf32, strided<[64, 1], offset: ?>>{{$}}
// The q-block's scratch is freed.
// CHECK-NEXT:        memref.dealloc %[[M]] : memref<64xf32>
// CHECK-NEXT:        memref.dealloc %[[L]] : memref<64xf32>
// CHECK-NEXT:        memref.dealloc %[[ACC]] : memref<64x64xf32>
// CHECK-NEXT:        memref.dealloc %[[S]] : memref<64x64xf32>
// CHECK-NEXT:        memref.dealloc %[[ALPHA]] : memref<64xf32>
// CHECK-NEXT:        memref.dealloc %[[QT]] : memref<64x64xf32>
// CHECK-NEXT:        scf.reduce
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[RES:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<2x4x?x64xf32> to tensor<2x4x?x64xf32>
// CHECK-NEXT:    return %[[RES]] : tensor<2x4x?x64xf32>
//
// block-q = 32, block-kv = 16: ceildiv(Lq, 32) q-blocks, q0 = qb * 32,
// 32-row state and [16, 32] scores, keys in steps of 16.
// OPT-LABEL: func.func @no_mask(
// OPT:         %[[LQ:.+]] = memref.dim
// OPT:         %[[C32:.+]] = arith.constant 32 : index
// OPT-NEXT:    %[[NQ:.+]] = arith.ceildivui %[[LQ]], %[[C32]] : index
// OPT:         scf.parallel (%{{[a-zA-Z0-9_]+}}, %{{[a-zA-Z0-9_]+}}, %[[QB:[a-zA-Z0-9_]+]]) = ({{.*}}) to (%{{.+}}, %{{.+}}, %[[NQ]])
// OPT:           %[[BQ:.+]] = arith.constant 32 : index
// OPT-NEXT:      %[[Q0:.+]] = arith.muli %[[QB]], %[[BQ]] : index
// OPT:           %[[M:.+]] = memref.alloc() : memref<32xf32>
// OPT-NEXT:      %[[L:.+]] = memref.alloc() : memref<32xf32>
// OPT-NEXT:      %[[ACC:.+]] = memref.alloc() : memref<32x64xf32>
// OPT-NEXT:      %[[S:.+]] = memref.alloc() : memref<16x32xf32>
// OPT-NEXT:      %[[ALPHA:.+]] = memref.alloc() : memref<32xf32>
// OPT-NEXT:      %[[QT:.+]] = memref.alloc() : memref<64x32xf32>
// OPT:           memref.subview %[[QT]][0, 0] [64, %{{.+}}] [1, 1] : memref<64x32xf32> to memref<64x?xf32, strided<[32, 1]>>
// OPT:           %[[BK:.+]] = arith.constant 16 : index
// OPT-NEXT:      scf.for %[[K0:[a-zA-Z0-9_]+]] = %{{.+}} to %[[HI:.+]] step %[[BK]] {
// OPT:             %[[KN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// OPT:             attn.online_step %[[QT]], %{{.+}}, %{{.+}}, %[[M]], %[[L]], %[[ACC]], %[[S]], %[[ALPHA]] rows %{{.+}} at{{ ?}}[%[[Q0]], %[[K0]]] masked %{{.+}} {scale = 1.250000e-01 : f64} : memref<64x32xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<32xf32>, memref<32xf32>, memref<32x64xf32>, memref<16x32xf32>, memref<32xf32>{{$}}
// OPT:           attn.online_finalize %[[M]], %[[L]], %[[ACC]] to %{{.+}} : memref<32xf32>, memref<32xf32>, memref<32x64xf32>, memref<?x64xf32, strided<[64, 1], offset: ?>>
func.func @no_mask(%q: tensor<2x4x?x64xf32>, %k: tensor<2x4x?x64xf32>, %v: tensor<2x4x?x64xf32>) -> tensor<2x4x?x64xf32> {
  %o = attn.attention %q, %k, %v {scale = 0.125}
      : tensor<2x4x?x64xf32>, tensor<2x4x?x64xf32>, tensor<2x4x?x64xf32>
      -> tensor<2x4x?x64xf32>
  return %o : tensor<2x4x?x64xf32>
}

//===----------------------------------------------------------------------===//
// Causal masks: block skipping in the kv-loop bounds
//===----------------------------------------------------------------------===//

// bottom_right (j <= i + off): the key loop stops at
// min(Lk, q0 + qn + off), so blocks above the diagonal are never visited; a
// block is fully allowed when its last key kLast <= q0 + off. Dynamic B is
// the first bound of the scf.parallel.
// CHECK-LABEL: func.func @causal_bottom_right(
// CHECK:         %[[QBUF:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<?x4x?x64xf32>
// CHECK:         %[[KBUF:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<?x4x?x64xf32>
// CHECK:         %[[BATCH:.+]] = memref.dim %[[QBUF]], %{{.+}} : memref<?x4x?x64xf32
// CHECK:         %[[LQ:.+]] = memref.dim %[[QBUF]], %{{.+}} : memref<?x4x?x64xf32
// CHECK:         %[[LK:.+]] = memref.dim %[[KBUF]], %{{.+}} : memref<?x4x?x64xf32
// CHECK:         %[[NQ:.+]] = arith.ceildivui %[[LQ]], %{{.+}} : index
// CHECK:         scf.parallel (%{{[a-zA-Z0-9_]+}}, %{{[a-zA-Z0-9_]+}}, %[[QB:[a-zA-Z0-9_]+]]) = ({{.*}}) to (%[[BATCH]], %{{.+}}, %[[NQ]])
// CHECK:           %[[Q0:.+]] = arith.muli %[[QB]], %{{.+}} : index
// CHECK:           %[[QN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// off = Lk - Lq
// CHECK:           %[[OFF:.+]] = arith.subi %[[LK]], %[[LQ]] : index
// hi = max(min(Lk, q0 + qn + off), 0)
// CHECK:           %[[QEND:.+]] = arith.addi %[[Q0]], %[[QN]] : index
// CHECK-NEXT:      %[[DIAG:.+]] = arith.addi %[[QEND]], %[[OFF]] : index
// CHECK-NEXT:      %[[CLIP:.+]] = arith.minsi %[[LK]], %[[DIAG]] : index
// CHECK-NEXT:      %[[HI:.+]] = arith.maxsi %[[CLIP]], %[[C0:.+]] : index
// CHECK:           scf.for %[[K0:[a-zA-Z0-9_]+]] = %[[C0]] to %[[HI]] step %{{.+}} {
// CHECK:             %[[KN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK-NEXT:        %[[KEND:.+]] = arith.addi %[[K0]], %[[KN]] : index
// CHECK:             %[[KLAST:.+]] = arith.subi %[[KEND]], %{{.+}} : index
// full = kLast <= q0 + off
// CHECK:             %[[Q0OFF:.+]] = arith.addi %[[Q0]], %[[OFF]] : index
// CHECK-NEXT:        %[[FULL:.+]] = arith.cmpi sle, %[[KLAST]], %[[Q0OFF]] : index
// CHECK:             %[[NEEDS:.+]] = arith.xori %[[FULL]], %{{.+}} : i1
// CHECK-NEXT:        attn.online_step {{.*}} at{{ ?}}[%[[Q0]], %[[K0]]] masked %[[NEEDS]] {scale = 1.250000e-01 : f64} : {{.*}} mask {
// CHECK-NEXT:        ^bb0(%[[I:[a-zA-Z0-9_]+]]: index, %[[J:[a-zA-Z0-9_]+]]: index):
// mask(i, j) = j <= i + off
// CHECK:               %[[IOFF:.+]] = arith.addi %[[I]], %[[OFF]] : index
// CHECK-NEXT:          %[[OK:.+]] = arith.cmpi sle, %[[J]], %[[IOFF]] : index
// CHECK-NEXT:          attn.yield %[[OK]] : i1
// CHECK-NEXT:        }{{$}}
// CHECK:           attn.online_finalize
func.func @causal_bottom_right(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>}
      : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>
      -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// top_left (j <= i), static Lq = 100 < Lk = 300: hi = min(q0 + qn, 300), so
// keys past the last query row are skipped whatever Lk is; full = kLast <= q0.
// Static shapes fold ceildiv(100, 64) to 2 q-blocks. D = 32: the scale is
// 1/sqrt(32), qt is [32, 64] and acc [64, 32].
// CHECK-LABEL: func.func @causal_top_left(
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<1x2x100x32xf32>
// CHECK:         %[[NQ:.+]] = arith.constant 2 : index
// CHECK:         scf.parallel (%{{[a-zA-Z0-9_]+}}, %{{[a-zA-Z0-9_]+}}, %[[QB:[a-zA-Z0-9_]+]]) = ({{.*}}) to (%{{.+}}, %{{.+}}, %[[NQ]])
// CHECK:           %[[Q0:.+]] = arith.muli %[[QB]], %{{.+}} : index
// CHECK:           %[[QN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK:           memref.alloc() : memref<64x32xf32>
// CHECK:           %[[QT:.+]] = memref.alloc() : memref<32x64xf32>
// hi = max(min(q0 + qn, Lk), 0)
// CHECK:           %[[QEND:.+]] = arith.addi %[[Q0]], %[[QN]] : index
// CHECK-NEXT:      %[[CLIP:.+]] = arith.minsi %[[QEND]], %{{.+}} : index
// CHECK-NEXT:      %[[HI:.+]] = arith.maxsi %[[CLIP]], %[[C0:.+]] : index
// CHECK:           scf.for %[[K0:[a-zA-Z0-9_]+]] = %[[C0]] to %[[HI]] step %{{.+}} {
// CHECK:             %[[KN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK-NEXT:        %[[KEND:.+]] = arith.addi %[[K0]], %[[KN]] : index
// CHECK:             %[[KLAST:.+]] = arith.subi %[[KEND]], %{{.+}} : index
// full = kLast <= q0
// CHECK:             %[[FULL:.+]] = arith.cmpi sle, %[[KLAST]], %[[Q0]] : index
// CHECK:             %[[NEEDS:.+]] = arith.xori %[[FULL]], %{{.+}} : i1
// CHECK-NEXT:        attn.online_step %[[QT]], {{.*}} masked %[[NEEDS]] {scale = 0.17677669529663687 : f64} : {{.*}} mask {
// CHECK-NEXT:        ^bb0(%[[I:[a-zA-Z0-9_]+]]: index, %[[J:[a-zA-Z0-9_]+]]: index):
// mask(i, j) = j <= i
// CHECK:               %[[OK:.+]] = arith.cmpi sle, %[[J]], %[[I]] : index
// CHECK-NEXT:          attn.yield %[[OK]] : i1
// CHECK:           memref.subview %[[OUT]]
// CHECK-NEXT:      attn.online_finalize
func.func @causal_top_left(%q: tensor<1x2x100x32xf32>, %k: tensor<1x2x300x32xf32>, %v: tensor<1x2x300x32xf32>) -> tensor<1x2x100x32xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<top_left>}
      : tensor<1x2x100x32xf32>, tensor<1x2x300x32xf32>, tensor<1x2x300x32xf32>
      -> tensor<1x2x100x32xf32>
  return %o : tensor<1x2x100x32xf32>
}

//===----------------------------------------------------------------------===//
// Sliding window: both loop bounds
//===----------------------------------------------------------------------===//

// Causal window of 128 keys (left = 127, right = 0):
//   lo = max(q0 + off - 127, 0)
//   hi = max(min(min(Lk, q0 + qn + off), q0 + qn + off + 0), lo)
// A block is full when it lies under the diagonal and inside the band of
// every row: kLast <= q0 + off, qLast + off - 127 <= k0, kLast <= q0 + off.
// CHECK-LABEL: func.func @sliding_window(
// CHECK:         %[[QBUF:.+]] = bufferization.to_buffer %{{.+}} read_only
// CHECK:         %[[KBUF:.+]] = bufferization.to_buffer %{{.+}} read_only
// CHECK:         %[[BATCH:.+]] = memref.dim %[[QBUF]], %{{.+}} : memref<?x4x?x64xf32
// CHECK:         %[[LQ:.+]] = memref.dim %[[QBUF]], %{{.+}} : memref<?x4x?x64xf32
// CHECK:         %[[LK:.+]] = memref.dim %[[KBUF]], %{{.+}} : memref<?x4x?x64xf32
// CHECK:         scf.parallel (%{{[a-zA-Z0-9_]+}}, %{{[a-zA-Z0-9_]+}}, %[[QB:[a-zA-Z0-9_]+]])
// CHECK:           %[[Q0:.+]] = arith.muli %[[QB]], %{{.+}} : index
// CHECK:           %[[QN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK-NEXT:      %[[OFF:.+]] = arith.subi %[[LK]], %[[LQ]] : index
// Causal upper bound first: min(Lk, q0 + qn + off).
// CHECK:           %[[QEND:.+]] = arith.addi %[[Q0]], %[[QN]] : index
// CHECK-NEXT:      %[[DIAG:.+]] = arith.addi %[[QEND]], %[[OFF]] : index
// CHECK-NEXT:      %[[CAUSALHI:.+]] = arith.minsi %[[LK]], %[[DIAG]] : index
// lo = max(q0 + off - left, 0)
// CHECK-NEXT:      %[[Q0OFF:.+]] = arith.addi %[[Q0]], %[[OFF]] : index
// CHECK:           %[[BANDLO:.+]] = arith.subi %[[Q0OFF]], %{{.+}} : index
// CHECK:           %[[LO:.+]] = arith.maxsi %[[BANDLO]], %{{.+}} : index
// hi = min(hi, q0 + qn + off + right) (right = 0 folds away), then at least lo
// CHECK-NEXT:      %[[BANDHI:.+]] = arith.addi %[[QEND]], %[[OFF]] : index
// CHECK:           %[[HICLIP:.+]] = arith.minsi %[[CAUSALHI]], %[[BANDHI]] : index
// CHECK-NEXT:      %[[HI:.+]] = arith.maxsi %[[HICLIP]], %[[LO]] : index
// CHECK:           scf.for %[[K0:[a-zA-Z0-9_]+]] = %[[LO]] to %[[HI]] step %{{.+}} {
// CHECK:             %[[KN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK-NEXT:        %[[KEND:.+]] = arith.addi %[[K0]], %[[KN]] : index
// CHECK:             %[[KLAST:.+]] = arith.subi %[[KEND]], %{{.+}} : index
// CHECK:             %[[UNDER:.+]] = arith.cmpi sle, %[[KLAST]], %{{.+}} : index
// CHECK:             %[[INLO:.+]] = arith.cmpi sle, %{{.+}}, %[[K0]] : index
// CHECK-NEXT:        %[[INHI:.+]] = arith.cmpi sle, %[[KLAST]], %{{.+}} : index
// CHECK-NEXT:        %[[INBAND:.+]] = arith.andi %[[INLO]], %[[INHI]] : i1
// CHECK-NEXT:        %[[FULL:.+]] = arith.andi %[[UNDER]], %[[INBAND]] : i1
// CHECK:             %[[NEEDS:.+]] = arith.xori %[[FULL]], %{{.+}} : i1
// CHECK-NEXT:        attn.online_step {{.*}} masked %[[NEEDS]] {{.*}} mask {
// CHECK-NEXT:        ^bb0(%[[I:[a-zA-Z0-9_]+]]: index, %[[J:[a-zA-Z0-9_]+]]: index):
// mask(i, j) = i + off - 127 <= j <= min(i + off, i + off + 0): the row's
// band (MaskLogic's rowBand) as one interval.
// CHECK:               %[[IOFF:.+]] = arith.addi %[[I]], %[[OFF]] : index
// CHECK:               %[[ILO:.+]] = arith.subi %{{.+}}, %{{.+}} : index
// CHECK:               %[[IHI:.+]] = arith.minsi %[[IOFF]], %{{.+}} : index
// CHECK-NEXT:          %[[GELO:.+]] = arith.cmpi sle, %[[ILO]], %[[J]] : index
// CHECK-NEXT:          %[[LEHI:.+]] = arith.cmpi sle, %[[J]], %[[IHI]] : index
// CHECK-NEXT:          %[[OK:.+]] = arith.andi %[[GELO]], %[[LEHI]] : i1
// CHECK-NEXT:          attn.yield %[[OK]] : i1
func.func @sliding_window(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %k, %v
      {causal = #attn.causal<bottom_right>, window = #attn.window<left = 127, right = 0>}
      : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>
      -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

//===----------------------------------------------------------------------===//
// Key padding
//===----------------------------------------------------------------------===//

// kv_lengths: the length of the batch row is loaded once per q-block and
// clips the key loop, hi = max(min(Lk, n[b]), 0); no per-element mask is
// left. Decode shape: Lq = 1, one q-block.
// CHECK-LABEL: func.func @kv_lengths(
// CHECK-SAME:      %{{.+}}: tensor<?x4x1x64xf16>, %{{.+}}: tensor<?x4x?x64xf16>, %{{.+}}: tensor<?x4x?x64xf16>, %[[N:[a-zA-Z0-9_]+]]: tensor<?xi32>)
// CHECK:         %[[KBUF:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<?x4x?x64xf16>
// CHECK:         %[[NBUF:.+]] = bufferization.to_buffer %[[N]] read_only : tensor<?xi32> to memref<?xi32, strided<[?], offset: ?>>
// CHECK-NEXT:    %[[NM:.+]] = memref.cast %[[NBUF]] : memref<?xi32, strided<[?], offset: ?>> to memref<?xi32, strided<[1], offset: ?>>
// CHECK:         %[[LK:.+]] = memref.dim %[[KBUF]], %{{.+}} : memref<?x4x?x64xf16
// CHECK:         %[[OUT:.+]] = memref.alloc(%{{.+}}) : memref<?x4x1x64xf16>
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %{{[a-zA-Z0-9_]+}}, %{{[a-zA-Z0-9_]+}})
// f16 Q: the transposed tile keeps the element type.
// CHECK:           %[[QT:.+]] = memref.alloc() : memref<64x64xf16>
// n = index_cast(kv_lengths[b]); hi = max(min(Lk, n), 0)
// CHECK:           %[[NI32:.+]] = memref.load %[[NM]][%[[B]]] : memref<?xi32, strided<[1], offset: ?>>
// CHECK-NEXT:      %[[LEN:.+]] = arith.index_cast %[[NI32]] : i32 to index
// CHECK-NEXT:      %[[CLIP:.+]] = arith.minsi %[[LK]], %[[LEN]] : index
// CHECK-NEXT:      %[[HI:.+]] = arith.maxsi %[[CLIP]], %[[C0:.+]] : index
// CHECK:           scf.for %{{.+}} = %[[C0]] to %[[HI]] step %{{.+}} {
// CHECK:             %[[VISIT:.+]] = arith.constant true
// CHECK-NEXT:        %[[FULL:.+]] = arith.constant true
// CHECK:             %[[NEEDS:.+]] = arith.xori %[[FULL]], %{{.+}} : i1
// CHECK-NEXT:        attn.online_step %[[QT]], {{.*}} masked %[[NEEDS]] {scale = 1.250000e-01 : f64} : memref<64x64xf16>, memref<?x64xf16, strided<[?, 1], offset: ?>>, memref<?x64xf16, strided<[?, 1], offset: ?>>, {{.*}}memref<64xf32>{{$}}
// The f16 output tile.
// CHECK:           attn.online_finalize {{.*}} : memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<?x64xf16, strided<[64, 1], offset: ?>>
func.func @kv_lengths(%q: tensor<?x4x1x64xf16>, %k: tensor<?x4x?x64xf16>, %v: tensor<?x4x?x64xf16>, %n: tensor<?xi32>) -> tensor<?x4x1x64xf16> {
  %o = attn.attention %q, %k, %v kv_lengths(%n : tensor<?xi32>)
      : tensor<?x4x1x64xf16>, tensor<?x4x?x64xf16>, tensor<?x4x?x64xf16>
      -> tensor<?x4x1x64xf16>
  return %o : tensor<?x4x1x64xf16>
}

//===----------------------------------------------------------------------===//
// Block skipping with scf.if: documents, global tokens
//===----------------------------------------------------------------------===//

// documents: the q-block's doc ids span [qmin, qmax] (one scf.for before the
// key loop), each key block's [kmin, kmax] (one inside it). The block is
// visited when the ranges overlap and fully allowed when all four ids are one
// document; the mask compares doc_q[b, i] with doc_k[b, j].
// CHECK-LABEL: func.func @documents(
// CHECK-SAME:      %[[DQ:[a-zA-Z0-9_]+]]: tensor<2x256xi32>, %[[DK:[a-zA-Z0-9_]+]]: tensor<2x256xi32>)
// CHECK:         %[[DQBUF:.+]] = bufferization.to_buffer %[[DQ]] read_only
// CHECK-NEXT:    %[[DQM:.+]] = memref.cast %[[DQBUF]]
// CHECK-NEXT:    %[[DKBUF:.+]] = bufferization.to_buffer %[[DK]] read_only
// CHECK-NEXT:    %[[DKM:.+]] = memref.cast %[[DKBUF]]
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %{{[a-zA-Z0-9_]+}}, %[[QB:[a-zA-Z0-9_]+]])
// CHECK:           %[[Q0:.+]] = arith.muli %[[QB]], %{{.+}} : index
// CHECK:           %[[QN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// (qmin, qmax) = (min, max) of doc_q[b, q0 : q0 + qn]
// CHECK-DAG:       %[[IMAX:.+]] = arith.constant 9223372036854775807 : i64
// CHECK-DAG:       %[[IMIN:.+]] = arith.constant -9223372036854775808 : i64
// CHECK:           %[[QEND:.+]] = arith.addi %[[Q0]], %[[QN]] : index
// CHECK:           %[[QIDS:.+]]:2 = scf.for %[[I:[a-zA-Z0-9_]+]] = %[[Q0]] to %[[QEND]] step %{{.+}} iter_args(%[[LO:.+]] = %[[IMAX]], %[[HI:.+]] = %[[IMIN]]) -> (i64, i64) {
// CHECK-NEXT:        %[[ID:.+]] = memref.load %[[DQM]][%[[B]], %[[I]]] : memref<2x256xi32, strided<[?, 1], offset: ?>>
// CHECK-NEXT:        %[[ID64:.+]] = arith.extsi %[[ID]] : i32 to i64
// CHECK-NEXT:        %[[NLO:.+]] = arith.minsi %[[LO]], %[[ID64]] : i64
// CHECK-NEXT:        %[[NHI:.+]] = arith.maxsi %[[HI]], %[[ID64]] : i64
// CHECK-NEXT:        scf.yield %[[NLO]], %[[NHI]] : i64, i64
// No document limits the range: the key loop spans all of Lk = 256.
// CHECK:           scf.for %[[K0:[a-zA-Z0-9_]+]] = %{{.+}} to %[[LK:.+]] step %{{.+}} {
// (kmin, kmax) of doc_k[b, k0 : k0 + kn]
// CHECK:             %[[KIDS:.+]]:2 = scf.for %[[J:[a-zA-Z0-9_]+]] = %[[K0]] to %{{.+}} step %{{.+}} iter_args({{.*}}) -> (i64, i64) {
// CHECK-NEXT:          memref.load %[[DKM]][%[[B]], %[[J]]]
// CHECK:             }
// visit = qmin <= kmax && kmin <= qmax
// CHECK-NEXT:        %[[OV1:.+]] = arith.cmpi sle, %[[QIDS]]#0, %[[KIDS]]#1 : i64
// CHECK-NEXT:        %[[OV2:.+]] = arith.cmpi sle, %[[KIDS]]#0, %[[QIDS]]#1 : i64
// CHECK-NEXT:        %[[VISIT:.+]] = arith.andi %[[OV1]], %[[OV2]] : i1
// full = qmin == qmax && kmin == kmax && qmin == kmin
// CHECK-NEXT:        %[[ONEQ:.+]] = arith.cmpi eq, %[[QIDS]]#0, %[[QIDS]]#1 : i64
// CHECK-NEXT:        %[[ONEK:.+]] = arith.cmpi eq, %[[KIDS]]#0, %[[KIDS]]#1 : i64
// CHECK-NEXT:        %[[SAME:.+]] = arith.cmpi eq, %[[QIDS]]#0, %[[KIDS]]#0 : i64
// CHECK-NEXT:        %[[KSAME:.+]] = arith.andi %[[ONEK]], %[[SAME]] : i1
// CHECK-NEXT:        %[[FULL:.+]] = arith.andi %[[ONEQ]], %[[KSAME]] : i1
// CHECK-NEXT:        scf.if %[[VISIT]] {
// CHECK:               %[[NEEDS:.+]] = arith.xori %[[FULL]], %{{.+}} : i1
// bf16 operands, scale 1/sqrt(64).
// CHECK-NEXT:          attn.online_step {{.*}} masked %[[NEEDS]] {scale = 1.250000e-01 : f64} : memref<64x64xbf16>, {{.*}} mask {
// CHECK-NEXT:          ^bb0(%[[MI:[a-zA-Z0-9_]+]]: index, %[[MJ:[a-zA-Z0-9_]+]]: index):
// mask(i, j) = doc_q[b, i] == doc_k[b, j]
// CHECK:                 %[[DI:.+]] = memref.load %[[DQM]][%[[B]], %[[MI]]]
// CHECK-NEXT:            %[[DJ:.+]] = memref.load %[[DKM]][%[[B]], %[[MJ]]]
// CHECK-NEXT:            %[[OK:.+]] = arith.cmpi eq, %[[DI]], %[[DJ]] : i32
// CHECK-NEXT:            attn.yield %[[OK]] : i1
func.func @documents(%q: tensor<2x4x256x64xbf16>, %k: tensor<2x4x256x64xbf16>, %v: tensor<2x4x256x64xbf16>, %dq: tensor<2x256xi32>, %dk: tensor<2x256xi32>) -> tensor<2x4x256x64xbf16> {
  %o = attn.attention %q, %k, %v documents(%dq, %dk : tensor<2x256xi32>, tensor<2x256xi32>)
      : tensor<2x4x256x64xbf16>, tensor<2x4x256x64xbf16>, tensor<2x4x256x64xbf16>
      -> tensor<2x4x256x64xbf16>
  return %o : tensor<2x4x256x64xbf16>
}

// Longformer: a band of 32 keys either side or a global row/column. The band
// cannot bound the loop (global tokens see every key), so the loop covers
// all of Lk and an scf.if visits a block when it meets the q-block's band,
// the q-block holds a global token or the key block does.
// CHECK-LABEL: func.func @global_tokens(
// CHECK-SAME:      %[[G:[a-zA-Z0-9_]+]]: tensor<?x512xi1>)
// CHECK:         %[[GBUF:.+]] = bufferization.to_buffer %[[G]] read_only
// CHECK-NEXT:    %[[GM:.+]] = memref.cast %[[GBUF]]
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %{{[a-zA-Z0-9_]+}}, %[[QB:[a-zA-Z0-9_]+]])
// CHECK:           %[[Q0:.+]] = arith.muli %[[QB]], %{{.+}} : index
// CHECK:           linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : memref<64x64xf32>)
// CHECK-NEXT:      %[[C0:.+]] = arith.constant 0 : index
// CHECK:           %[[C512:.+]] = arith.constant 512 : index
// qGlobal = any(global[b, q0 : q0 + qn])
// CHECK:           %[[QGLOBAL:.+]] = scf.for %[[I:[a-zA-Z0-9_]+]] = %[[Q0]] to %{{.+}} step %{{.+}} iter_args(%[[ANY:.+]] = %{{.+}}) -> (i1) {
// CHECK-NEXT:        %[[GI:.+]] = memref.load %[[GM]][%[[B]], %[[I]]] : memref<?x512xi1, strided<[?, 1], offset: ?>>
// CHECK-NEXT:        %[[OR:.+]] = arith.ori %[[ANY]], %[[GI]] : i1
// CHECK-NEXT:        scf.yield %[[OR]] : i1
// Every key: [0, 512).
// CHECK:           scf.for %[[K0:[a-zA-Z0-9_]+]] = %[[C0]] to %[[C512]] step %{{.+}} {
// full = the block lies in the band of every row
// CHECK:             %[[BAND1:.+]] = arith.andi %{{.+}}, %{{.+}} : i1
// inBand = the block meets the band of some row
// CHECK:             %[[INBAND:.+]] = arith.andi %{{.+}}, %{{.+}} : i1
// kGlobal = any(global[b, k0 : k0 + kn])
// CHECK:             %[[KGLOBAL:.+]] = scf.for %[[J:[a-zA-Z0-9_]+]] = %[[K0]] to %{{.+}} step %{{.+}} iter_args(%{{.+}}) -> (i1) {
// CHECK-NEXT:          memref.load %[[GM]][%[[B]], %[[J]]]
// CHECK:             }
// visit = inBand || qGlobal || kGlobal
// CHECK-NEXT:        %[[ANYG:.+]] = arith.ori %[[QGLOBAL]], %[[KGLOBAL]] : i1
// CHECK-NEXT:        %[[VISIT:.+]] = arith.ori %[[INBAND]], %[[ANYG]] : i1
// CHECK-NEXT:        scf.if %[[VISIT]] {
// CHECK:               %[[NEEDS:.+]] = arith.xori %[[BAND1]], %{{.+}} : i1
// CHECK-NEXT:          attn.online_step {{.*}} masked %[[NEEDS]] {{.*}} mask {
// CHECK-NEXT:          ^bb0(%[[MI:[a-zA-Z0-9_]+]]: index, %[[MJ:[a-zA-Z0-9_]+]]: index):
// mask(i, j) = (i - 32 <= j && j <= i + 32) || global[b, i] || global[b, j]
// CHECK:                 %[[INB:.+]] = arith.andi %{{.+}}, %{{.+}} : i1
// CHECK-NEXT:            %[[GQ:.+]] = memref.load %[[GM]][%[[B]], %[[MI]]]
// CHECK-NEXT:            %[[GK:.+]] = memref.load %[[GM]][%[[B]], %[[MJ]]]
// CHECK-NEXT:            %[[GOR:.+]] = arith.ori %[[GQ]], %[[GK]] : i1
// CHECK-NEXT:            %[[OK:.+]] = arith.ori %[[INB]], %[[GOR]] : i1
// CHECK-NEXT:            attn.yield %[[OK]] : i1
func.func @global_tokens(%q: tensor<?x4x512x64xf16>, %k: tensor<?x4x512x64xf16>, %v: tensor<?x4x512x64xf16>, %g: tensor<?x512xi1>) -> tensor<?x4x512x64xf16> {
  %o = attn.attention %q, %k, %v global_tokens(%g : tensor<?x512xi1>)
      {window = #attn.window<left = 32, right = 32>}
      : tensor<?x4x512x64xf16>, tensor<?x4x512x64xf16>, tensor<?x4x512x64xf16>
      -> tensor<?x4x512x64xf16>
  return %o : tensor<?x4x512x64xf16>
}

//===----------------------------------------------------------------------===//
// Operand masks and bias
//===----------------------------------------------------------------------===//

// An explicit mask can forbid any pair: full starts false, so needs_mask is
// always true. The head dim of the mask is 1: it is read at index 0.
// CHECK-LABEL: func.func @explicit_mask(
// CHECK-SAME:      %[[MASK:[a-zA-Z0-9_]+]]: tensor<2x1x128x128xi1>)
// CHECK:         %[[MBUF:.+]] = bufferization.to_buffer %[[MASK]] read_only
// CHECK-NEXT:    %[[MM:.+]] = memref.cast %[[MBUF]]
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %{{[a-zA-Z0-9_]+}}, %{{[a-zA-Z0-9_]+}})
// CHECK:           scf.for
// CHECK:             %[[FALSE:.+]] = arith.constant false
// CHECK-NEXT:        scf.if %{{.+}} {
// CHECK:               %[[T:.+]] = arith.constant true
// CHECK-NEXT:          %[[NEEDS:.+]] = arith.xori %[[FALSE]], %[[T]] : i1
// CHECK-NEXT:          attn.online_step {{.*}} masked %[[NEEDS]] {{.*}} mask {
// CHECK-NEXT:          ^bb0(%[[I:[a-zA-Z0-9_]+]]: index, %[[J:[a-zA-Z0-9_]+]]: index):
// CHECK:                 %[[C0:.+]] = arith.constant 0 : index
// mask(i, j) = mask[b, 0, i, j]
// CHECK-NEXT:            %[[OK:.+]] = memref.load %[[MM]][%[[B]], %[[C0]], %[[I]], %[[J]]] : memref<2x1x128x128xi1, strided<[?, ?, ?, 1], offset: ?>>
// CHECK-NEXT:            attn.yield %[[OK]] : i1
// CHECK-NEXT:          }{{$}}
func.func @explicit_mask(%q: tensor<2x4x128x64xf32>, %k: tensor<2x4x128x64xf32>, %v: tensor<2x4x128x64xf32>, %mask: tensor<2x1x128x128xi1>) -> tensor<2x4x128x64xf32> {
  %o = attn.attention %q, %k, %v mask(%mask : tensor<2x1x128x128xi1>)
      : tensor<2x4x128x64xf32>, tensor<2x4x128x64xf32>, tensor<2x4x128x64xf32>
      -> tensor<2x4x128x64xf32>
  return %o : tensor<2x4x128x64xf32>
}

// Bias: a score region s + extf(bias[0, h, i, j']) on every element. B
// broadcasts (size 1: index 0); Lk is dynamic, so j' = (dim == 1 ? 0 : j) is
// decided at run time. No mask region: needs_mask stays !true.
// CHECK-LABEL: func.func @bias(
// CHECK-SAME:      %[[BIAS:[a-zA-Z0-9_]+]]: tensor<1x4x128x?xbf16>)
// CHECK:         %[[BBUF:.+]] = bufferization.to_buffer %[[BIAS]] read_only
// CHECK-NEXT:    %[[BM:.+]] = memref.cast %[[BBUF]]
// CHECK:         scf.parallel (%{{[a-zA-Z0-9_]+}}, %[[H:[a-zA-Z0-9_]+]], %{{[a-zA-Z0-9_]+}})
// CHECK:           scf.for
// CHECK:             %[[VISIT:.+]] = arith.constant true
// CHECK-NEXT:        %[[FULL:.+]] = arith.constant true
// CHECK:             %[[NEEDS:.+]] = arith.xori %[[FULL]], %{{.+}} : i1
// CHECK-NEXT:        attn.online_step {{.*}} masked %[[NEEDS]] {{.*}} : memref<64x64xbf16>, {{.*}} score {
// CHECK-NEXT:        ^bb0(%[[SC:[a-zA-Z0-9_]+]]: f32, %[[I:[a-zA-Z0-9_]+]]: index, %[[J:[a-zA-Z0-9_]+]]: index):
// CHECK-DAG:           %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:           %[[C3:.+]] = arith.constant 3 : index
// CHECK:               %[[LKB:.+]] = memref.dim %[[BBUF]], %[[C3]]
// CHECK:               %[[ISONE:.+]] = arith.cmpi eq, %[[LKB]], %{{.+}} : index
// CHECK:               %[[JJ:.+]] = arith.select %[[ISONE]], %{{.+}}, %[[J]] : index
// CHECK-NEXT:          %[[BV:.+]] = memref.load %[[BM]][%[[C0]], %[[H]], %[[I]], %[[JJ]]] : memref<1x4x128x?xbf16, strided<[?, ?, ?, 1], offset: ?>>
// CHECK-NEXT:          %[[BF:.+]] = arith.extf %[[BV]] : bf16 to f32
// s = s + bias
// CHECK-NEXT:          %[[NEW:.+]] = arith.addf %[[SC]], %[[BF]] : f32
// CHECK-NEXT:          attn.yield %[[NEW]] : f32
// CHECK-NEXT:        }{{$}}
// bf16 output tile.
// CHECK:           attn.online_finalize {{.*}} to %{{.+}} : {{.*}}, memref<?x64xbf16, strided<[64, 1], offset: ?>>{{$}}
func.func @bias(%q: tensor<2x4x128x64xbf16>, %k: tensor<2x4x128x64xbf16>, %v: tensor<2x4x128x64xbf16>, %b: tensor<1x4x128x?xbf16>) -> tensor<2x4x128x64xbf16> {
  %o = attn.attention %q, %k, %v bias(%b : tensor<1x4x128x?xbf16>)
      : tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>
      -> tensor<2x4x128x64xbf16>
  return %o : tensor<2x4x128x64xbf16>
}

//===----------------------------------------------------------------------===//
// Results, layout and heads
//===----------------------------------------------------------------------===//

// LSE result: a second f32 buffer [B, Hq, Lq] (sized by Lq); online_finalize
// writes its [qn] slice, and both buffers come back as tensors.
// CHECK-LABEL: func.func @lse(
// CHECK:         %[[QBUF:.+]] = bufferization.to_buffer %{{.+}} read_only
// CHECK:         %[[LQ:.+]] = memref.dim %[[QBUF]], %{{.+}} : memref<2x4x?x64xf16
// CHECK:         %[[OUT:.+]] = memref.alloc(%{{.+}}) : memref<2x4x?x64xf16>
// CHECK-NEXT:    %[[LSE:.+]] = memref.alloc(%[[LQ]]) : memref<2x4x?xf32>
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]], %[[QB:[a-zA-Z0-9_]+]])
// CHECK:           %[[Q0:.+]] = arith.muli %[[QB]], %{{.+}} : index
// CHECK:           %[[QN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK:           %[[M:.+]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:      %[[L:.+]] = memref.alloc() : memref<64xf32>
// CHECK-NEXT:      %[[ACC:.+]] = memref.alloc() : memref<64x64xf32>
// CHECK:           scf.for
// CHECK:             attn.online_step
// CHECK:           %[[OT:.+]] = memref.subview %[[OUT]][%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %[[QN]], 64] [1, 1, 1, 1] : memref<2x4x?x64xf16> to memref<?x64xf16, strided<[64, 1], offset: ?>>
// CHECK-NEXT:      %[[LT:.+]] = memref.subview %[[LSE]][%[[B]], %[[H]], %[[Q0]]] [1, 1, %[[QN]]] [1, 1, 1] : memref<2x4x?xf32> to memref<?xf32, strided<[1], offset: ?>>
// CHECK-NEXT:      attn.online_finalize %[[M]], %[[L]], %[[ACC]] to %[[OT]] lse %[[LT]] : memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<?x64xf16, strided<[64, 1], offset: ?>>, memref<?xf32, strided<[1], offset: ?>>
// CHECK:         %[[RO:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<2x4x?x64xf16> to tensor<2x4x?x64xf16>
// CHECK-NEXT:    %[[RL:.+]] = bufferization.to_tensor %[[LSE]] restrict writable : memref<2x4x?xf32> to tensor<2x4x?xf32>
// CHECK-NEXT:    return %[[RO]], %[[RL]] : tensor<2x4x?x64xf16>, tensor<2x4x?xf32>
func.func @lse(%q: tensor<2x4x?x64xf16>, %k: tensor<2x4x?x64xf16>, %v: tensor<2x4x?x64xf16>) -> (tensor<2x4x?x64xf16>, tensor<2x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>}
      : tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16>, tensor<2x4x?x64xf16>
      -> tensor<2x4x?x64xf16>, tensor<2x4x?xf32>
  return %o, %lse : tensor<2x4x?x64xf16>, tensor<2x4x?xf32>
}

// BSHD: Lq and Lk are stored dim 1, heads dim 2. Every tile view takes
// offsets [b, s0, h, 0] and sizes [1, n, 1, D]; the output rows of a head
// are 8 * 64 = 512 elements apart.
// CHECK-LABEL: func.func @bshd(
// CHECK:         %[[QBUF:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<?x?x8x64xf16>
// CHECK-NEXT:    %[[QM:.+]] = memref.cast %[[QBUF]]
// CHECK-NEXT:    %[[KBUF:.+]] = bufferization.to_buffer
// CHECK-NEXT:    %[[KM:.+]] = memref.cast %[[KBUF]]
// CHECK-NEXT:    %[[VBUF:.+]] = bufferization.to_buffer
// CHECK-NEXT:    %[[VM:.+]] = memref.cast %[[VBUF]]
// CHECK:         %[[BATCH:.+]] = memref.dim %[[QBUF]], %{{.+}}
// CHECK-DAG:     %[[C8:.+]] = arith.constant 8 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK:         %[[LQ:.+]] = memref.dim %[[QBUF]], %[[C1]]
// CHECK:         %[[OUT:.+]] = memref.alloc(%{{.+}}, %{{.+}}) : memref<?x?x8x64xf16>
// CHECK:         %[[NQ:.+]] = arith.ceildivui %[[LQ]], %{{.+}} : index
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]], %[[QB:[a-zA-Z0-9_]+]]) = ({{.*}}) to (%[[BATCH]], %[[C8]], %[[NQ]])
// CHECK:           %[[Q0:.+]] = arith.muli %[[QB]], %{{.+}} : index
// CHECK:           %[[QN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK:           %[[QTILE:.+]] = memref.subview %[[QM]][%[[B]], %[[Q0]], %[[H]], 0] [1, %[[QN]], 1, 64] [1, 1, 1, 1] : memref<?x?x8x64xf16, strided<[?, ?, ?, 1], offset: ?>> to memref<?x64xf16, strided<[?, 1], offset: ?>>
// CHECK:           linalg.transpose ins(%[[QTILE]]
// CHECK:           scf.for %[[K0:[a-zA-Z0-9_]+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:             %[[KN:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK:             memref.subview %[[KM]][%[[B]], %[[K0]], %[[H]], 0] [1, %[[KN]], 1, 64] [1, 1, 1, 1] : memref<?x?x8x64xf16, strided<[?, ?, ?, 1], offset: ?>> to memref<?x64xf16, strided<[?, 1], offset: ?>>
// CHECK-NEXT:        memref.subview %[[VM]][%[[B]], %[[K0]], %[[H]], 0] [1, %[[KN]], 1, 64] [1, 1, 1, 1]
// CHECK:           %[[OT:.+]] = memref.subview %[[OUT]][%[[B]], %[[Q0]], %[[H]], 0] [1, %[[QN]], 1, 64] [1, 1, 1, 1] : memref<?x?x8x64xf16> to memref<?x64xf16, strided<[512, 1], offset: ?>>
// CHECK-NEXT:      attn.online_finalize {{.*}} to %[[OT]]
func.func @bshd(%q: tensor<?x?x8x64xf16>, %k: tensor<?x?x8x64xf16>, %v: tensor<?x?x8x64xf16>) -> tensor<?x?x8x64xf16> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bshd>}
      : tensor<?x?x8x64xf16>, tensor<?x?x8x64xf16>, tensor<?x?x8x64xf16>
      -> tensor<?x?x8x64xf16>
  return %o : tensor<?x?x8x64xf16>
}

// GQA, Hq = 32, Hkv = 8: query head h reads K/V head h / (32 / 8), the group
// size folded to 4. Q, O and the parallel loop stay on 32 heads. D = Dv = 128.
// CHECK-LABEL: func.func @gqa(
// CHECK:         %[[KBUF:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<?x8x?x128xbf16>
// CHECK-NEXT:    %[[KM:.+]] = memref.cast %[[KBUF]]
// CHECK-NEXT:    %[[VBUF:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<?x8x?x128xbf16>
// CHECK-NEXT:    %[[VM:.+]] = memref.cast %[[VBUF]]
// CHECK-DAG:     %[[C32:.+]] = arith.constant 32 : index
// CHECK-DAG:     %[[G:.+]] = arith.constant 4 : index
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]], %{{[a-zA-Z0-9_]+}}) = ({{.*}}) to (%{{.+}}, %[[C32]], %{{.+}})
// kv head = h / 4
// CHECK:           %[[KVH:.+]] = arith.divui %[[H]], %[[G]] : index
// CHECK:           memref.alloc() : memref<64x128xf32>
// CHECK:           memref.alloc() : memref<128x64xbf16>
// CHECK:           scf.for %[[K0:[a-zA-Z0-9_]+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:             memref.subview %[[KM]][%[[B]], %[[KVH]], %[[K0]], 0] [1, 1, %{{.+}}, 128] [1, 1, 1, 1] : memref<?x8x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>
// CHECK-NEXT:        memref.subview %[[VM]][%[[B]], %[[KVH]], %[[K0]], 0] [1, 1, %{{.+}}, 128] [1, 1, 1, 1] : memref<?x8x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>
// 1/sqrt(128)
// CHECK:             attn.online_step {{.*}} {scale = 0.088388347648318433 : f64}
// CHECK:           memref.subview %{{.+}}[%[[B]], %[[H]], %{{.+}}, 0] [1, 1, %{{.+}}, 128]
// CHECK-NEXT:      attn.online_finalize
func.func @gqa(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v
      : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
      -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}

// Dynamic head counts: the group size Hq / Hkv is computed at run time, then
// kv head = h / group.
// CHECK-LABEL: func.func @gqa_dynamic_heads(
// CHECK:         %[[QBUF:.+]] = bufferization.to_buffer %{{.+}} read_only
// CHECK:         %[[KBUF:.+]] = bufferization.to_buffer %{{.+}} read_only
// CHECK-NEXT:    %[[KM:.+]] = memref.cast %[[KBUF]]
// CHECK:         %[[HQ:.+]] = memref.dim %[[QBUF]], %{{.+}}
// CHECK:         %[[HKV:.+]] = memref.dim %[[KBUF]], %{{.+}}
// group = Hq / Hkv
// CHECK:         %[[GROUP:.+]] = arith.divui %[[HQ]], %[[HKV]] : index
// CHECK:         scf.parallel (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]], %{{[a-zA-Z0-9_]+}}) = ({{.*}}) to (%{{.+}}, %[[HQ]], %{{.+}})
// CHECK:           %[[KVH:.+]] = arith.divui %[[H]], %[[GROUP]] : index
// CHECK:           scf.for %[[K0:[a-zA-Z0-9_]+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:             memref.subview %[[KM]][%[[B]], %[[KVH]], %[[K0]], 0]
func.func @gqa_dynamic_heads(%q: tensor<1x?x?x64xf32>, %k: tensor<1x?x?x64xf32>, %v: tensor<1x?x?x64xf32>) -> tensor<1x?x?x64xf32> {
  %o = attn.attention %q, %k, %v
      : tensor<1x?x?x64xf32>, tensor<1x?x?x64xf32>, tensor<1x?x?x64xf32>
      -> tensor<1x?x?x64xf32>
  return %o : tensor<1x?x?x64xf32>
}
