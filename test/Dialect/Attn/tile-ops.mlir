// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s --mlir-print-op-generic | attn-opt | FileCheck %s

// Round-trip of the tiled-stage ops (dialects/Attn/IR/AttnTileOps.td) that
// attn-tile, attn-online-softmax and attn-lower-tile-matmul produce: each
// must survive parse -> print -> parse (custom and generic form) with every
// operand, region, attribute and type intact. Scores are key-major: qt is
// the transposed query tile [D, BQ], scores/st/pt are [BK, BQ], m, l and
// alpha are [BQ] and acc is [BQ, Dv]. k, v and out are the strided subviews
// the tiler makes.
//
// The custom printer currently emits `at[` with no space after the keyword
// (an ODS punctuation quirk); `at{{ ?}}[` accepts it with or without one.

//===----------------------------------------------------------------------===//
// attn.online_step
//===----------------------------------------------------------------------===//

// f32 strided k/v views with both regions: a causal mask and an additive
// score; a partial query tile (rows %qn of BQ = 64).
// CHECK-LABEL: func.func @online_step_mask_score_f32(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<?x64xf32, strided<[?, 1], offset: ?>>, %[[V:[a-zA-Z0-9_]+]]: memref<?x64xf32, strided<[?, 1], offset: ?>>,
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[L:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<32x64xf32>, %[[ALPHA:[a-zA-Z0-9_]+]]: memref<64xf32>,
// CHECK-SAME:      %[[QN:[a-zA-Z0-9_]+]]: index, %[[Q0:[a-zA-Z0-9_]+]]: index, %[[K0:[a-zA-Z0-9_]+]]: index, %[[NEEDS:[a-zA-Z0-9_]+]]: i1)
// CHECK:         attn.online_step %[[QT]], %[[K]], %[[V]], %[[M]], %[[L]], %[[ACC]], %[[S]], %[[ALPHA]] rows %[[QN]] at{{ ?}}[%[[Q0]], %[[K0]]] masked %[[NEEDS]] {scale = 1.250000e-01 : f64} : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<32x64xf32>, memref<64xf32> mask {
// CHECK-NEXT:    ^bb0(%[[I:[a-zA-Z0-9_]+]]: index, %[[J:[a-zA-Z0-9_]+]]: index):
// CHECK-NEXT:      %[[OK:[a-zA-Z0-9_]+]] = arith.cmpi sle, %[[J]], %[[I]] : index
// CHECK-NEXT:      attn.yield %[[OK]] : i1
// CHECK-NEXT:    } score {
// CHECK-NEXT:    ^bb0(%[[SC:[a-zA-Z0-9_]+]]: f32, %[[SI:[a-zA-Z0-9_]+]]: index, %[[SJ:[a-zA-Z0-9_]+]]: index):
// CHECK-NEXT:      %[[BIAS:[a-zA-Z0-9_]+]] = arith.constant -5.000000e-01 : f32
// CHECK-NEXT:      %[[NEW:[a-zA-Z0-9_]+]] = arith.addf %[[SC]], %[[BIAS]] : f32
// CHECK-NEXT:      attn.yield %[[NEW]] : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    return
func.func @online_step_mask_score_f32(
    %qt: memref<64x64xf32>,
    %k: memref<?x64xf32, strided<[?, 1], offset: ?>>,
    %v: memref<?x64xf32, strided<[?, 1], offset: ?>>,
    %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>,
    %s: memref<32x64xf32>, %alpha: memref<64xf32>,
    %qn: index, %q0: index, %k0: index, %needs: i1) {
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %qn
      at [%q0, %k0] masked %needs {scale = 0.125 : f64}
      : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>,
        memref<?x64xf32, strided<[?, 1], offset: ?>>,
        memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<32x64xf32>,
        memref<64xf32>
      mask {
      ^bb0(%i: index, %j: index):
        %ok = arith.cmpi sle, %j, %i : index
        attn.yield %ok : i1
      } score {
      ^bb0(%sc: f32, %si: index, %sj: index):
        %bias = arith.constant -0.5 : f32
        %new = arith.addf %sc, %bias : f32
        attn.yield %new : f32
      }
  return
}

// bf16 with no region at all: a block the tiler proved fully allowed, no
// bias. Dv (128) differs from D (64); BQ = 32, BK = 64.
// CHECK-LABEL: func.func @online_step_no_regions_bf16(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x32xbf16>, %[[K:[a-zA-Z0-9_]+]]: memref<?x64xbf16, strided<[512, 1], offset: ?>>, %[[V:[a-zA-Z0-9_]+]]: memref<?x128xbf16, strided<[1024, 1], offset: ?>>,
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<32xf32>, %[[L:[a-zA-Z0-9_]+]]: memref<32xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<32x128xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<64x32xf32>, %[[ALPHA:[a-zA-Z0-9_]+]]: memref<32xf32>,
// CHECK-SAME:      %[[Q0:[a-zA-Z0-9_]+]]: index, %[[K0:[a-zA-Z0-9_]+]]: index)
// CHECK:         %[[C32:[a-zA-Z0-9_]+]] = arith.constant 32 : index
// CHECK:         %[[FALSE:[a-zA-Z0-9_]+]] = arith.constant false
// CHECK:         attn.online_step %[[QT]], %[[K]], %[[V]], %[[M]], %[[L]], %[[ACC]], %[[S]], %[[ALPHA]] rows %[[C32]] at{{ ?}}[%[[Q0]], %[[K0]]] masked %[[FALSE]] {scale = 0.088388347648318447 : f64} : memref<64x32xbf16>, memref<?x64xbf16, strided<[512, 1], offset: ?>>, memref<?x128xbf16, strided<[1024, 1], offset: ?>>, memref<32xf32>, memref<32xf32>, memref<32x128xf32>, memref<64x32xf32>, memref<32xf32>{{$}}
// CHECK-NEXT:    return
func.func @online_step_no_regions_bf16(
    %qt: memref<64x32xbf16>,
    %k: memref<?x64xbf16, strided<[512, 1], offset: ?>>,
    %v: memref<?x128xbf16, strided<[1024, 1], offset: ?>>,
    %m: memref<32xf32>, %l: memref<32xf32>, %acc: memref<32x128xf32>,
    %s: memref<64x32xf32>, %alpha: memref<32xf32>, %q0: index, %k0: index) {
  %c32 = arith.constant 32 : index
  %false = arith.constant false
  attn.online_step %qt, %k, %v, %m, %l, %acc, %s, %alpha rows %c32
      at [%q0, %k0] masked %false {scale = 0.08838834764831845 : f64}
      : memref<64x32xbf16>, memref<?x64xbf16, strided<[512, 1], offset: ?>>,
        memref<?x128xbf16, strided<[1024, 1], offset: ?>>,
        memref<32xf32>, memref<32xf32>, memref<32x128xf32>, memref<64x32xf32>,
        memref<32xf32>
  return
}

// bf16, the transposed query tile itself a strided view, only a mask region
// (sliding window i <= j + 4); the region may use values defined above.
// CHECK-LABEL: func.func @online_step_mask_only_bf16(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x?xbf16, strided<[?, 1], offset: ?>>, %[[K:[a-zA-Z0-9_]+]]: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<?x64xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<?x?xf32>, %[[Q0:[a-zA-Z0-9_]+]]: index, %[[NEEDS:[a-zA-Z0-9_]+]]: i1)
// CHECK:         %[[W:[a-zA-Z0-9_]+]] = arith.constant 4 : index
// CHECK:         attn.online_step %[[QT]], %[[K]], %[[K]], %[[M]], %[[M]], %[[ACC]], %[[S]], %[[M]] rows %[[Q0]] at{{ ?}}[%[[Q0]], %[[Q0]]] masked %[[NEEDS]] {scale = 1.000000e+00 : f64} : memref<64x?xbf16, strided<[?, 1], offset: ?>>, memref<?x64xbf16, strided<[?, 1], offset: ?>>, memref<?x64xbf16, strided<[?, 1], offset: ?>>, memref<?xf32>, memref<?xf32>, memref<?x64xf32>, memref<?x?xf32>, memref<?xf32> mask {
// CHECK-NEXT:    ^bb0(%[[I:[a-zA-Z0-9_]+]]: index, %[[J:[a-zA-Z0-9_]+]]: index):
// CHECK-NEXT:      %[[HI:[a-zA-Z0-9_]+]] = arith.addi %[[J]], %[[W]] : index
// CHECK-NEXT:      %[[OK:[a-zA-Z0-9_]+]] = arith.cmpi sle, %[[I]], %[[HI]] : index
// CHECK-NEXT:      attn.yield %[[OK]] : i1
// CHECK-NEXT:    }{{$}}
// CHECK-NEXT:    return
func.func @online_step_mask_only_bf16(
    %qt: memref<64x?xbf16, strided<[?, 1], offset: ?>>,
    %k: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
    %m: memref<?xf32>, %acc: memref<?x64xf32>, %s: memref<?x?xf32>,
    %q0: index, %needs: i1) {
  %w = arith.constant 4 : index
  attn.online_step %qt, %k, %k, %m, %m, %acc, %s, %m rows %q0
      at [%q0, %q0] masked %needs {scale = 1.0 : f64}
      : memref<64x?xbf16, strided<[?, 1], offset: ?>>,
        memref<?x64xbf16, strided<[?, 1], offset: ?>>,
        memref<?x64xbf16, strided<[?, 1], offset: ?>>,
        memref<?xf32>, memref<?xf32>, memref<?x64xf32>, memref<?x?xf32>,
        memref<?xf32>
      mask {
      ^bb0(%i: index, %j: index):
        %hi = arith.addi %j, %w : index
        %ok = arith.cmpi sle, %i, %hi : index
        attn.yield %ok : i1
      }
  return
}

// f32, only a score region (no mask): the printer must not invent an empty
// mask region. The score subtracts the distance i - j (ALiBi-like).
// CHECK-LABEL: func.func @online_step_score_only_f32(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x16xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<16x64xf32, strided<[64, 1], offset: 1024>>,
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<16xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<16x64xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<16x16xf32>, %[[QN:[a-zA-Z0-9_]+]]: index, %[[Q0:[a-zA-Z0-9_]+]]: index, %[[K0:[a-zA-Z0-9_]+]]: index, %[[NEEDS:[a-zA-Z0-9_]+]]: i1)
// CHECK:         attn.online_step %[[QT]], %[[K]], %[[K]], %[[M]], %[[M]], %[[ACC]], %[[S]], %[[M]] rows %[[QN]] at{{ ?}}[%[[Q0]], %[[K0]]] masked %[[NEEDS]] {scale = 1.250000e-01 : f64} : memref<64x16xf32>, memref<16x64xf32, strided<[64, 1], offset: 1024>>, memref<16x64xf32, strided<[64, 1], offset: 1024>>, memref<16xf32>, memref<16xf32>, memref<16x64xf32>, memref<16x16xf32>, memref<16xf32> score {
// CHECK-NEXT:    ^bb0(%[[SC:[a-zA-Z0-9_]+]]: f32, %[[I:[a-zA-Z0-9_]+]]: index, %[[J:[a-zA-Z0-9_]+]]: index):
// CHECK-NEXT:      %[[D:[a-zA-Z0-9_]+]] = arith.subi %[[I]], %[[J]] : index
// CHECK-NEXT:      %[[DI:[a-zA-Z0-9_]+]] = arith.index_cast %[[D]] : index to i64
// CHECK-NEXT:      %[[DF:[a-zA-Z0-9_]+]] = arith.sitofp %[[DI]] : i64 to f32
// CHECK-NEXT:      %[[NEW:[a-zA-Z0-9_]+]] = arith.subf %[[SC]], %[[DF]] : f32
// CHECK-NEXT:      attn.yield %[[NEW]] : f32
// CHECK-NEXT:    }{{$}}
// CHECK-NEXT:    return
func.func @online_step_score_only_f32(
    %qt: memref<64x16xf32>,
    %k: memref<16x64xf32, strided<[64, 1], offset: 1024>>,
    %m: memref<16xf32>, %acc: memref<16x64xf32>, %s: memref<16x16xf32>,
    %qn: index, %q0: index, %k0: index, %needs: i1) {
  attn.online_step %qt, %k, %k, %m, %m, %acc, %s, %m rows %qn
      at [%q0, %k0] masked %needs {scale = 0.125 : f64}
      : memref<64x16xf32>, memref<16x64xf32, strided<[64, 1], offset: 1024>>,
        memref<16x64xf32, strided<[64, 1], offset: 1024>>,
        memref<16xf32>, memref<16xf32>, memref<16x64xf32>, memref<16x16xf32>,
        memref<16xf32>
      score {
      ^bb0(%sc: f32, %i: index, %j: index):
        %d = arith.subi %i, %j : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %new = arith.subf %sc, %df : f32
        attn.yield %new : f32
      }
  return
}

//===----------------------------------------------------------------------===//
// attn.online_finalize
//===----------------------------------------------------------------------===//

// With the log-sum-exp, into bf16 and f32 strided views of O and LSE.
// CHECK-LABEL: func.func @online_finalize_lse(
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[L:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<64x64xf32>,
// CHECK-SAME:      %[[O:[a-zA-Z0-9_]+]]: memref<?x64xbf16, strided<[?, 1], offset: ?>>, %[[LSE:[a-zA-Z0-9_]+]]: memref<?xf32, strided<[?], offset: ?>>)
// CHECK:         attn.online_finalize %[[M]], %[[L]], %[[ACC]] to %[[O]] lse %[[LSE]] : memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<?x64xbf16, strided<[?, 1], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>{{$}}
// CHECK-NEXT:    return
func.func @online_finalize_lse(
    %m: memref<64xf32>, %l: memref<64xf32>, %acc: memref<64x64xf32>,
    %o: memref<?x64xbf16, strided<[?, 1], offset: ?>>,
    %lse: memref<?xf32, strided<[?], offset: ?>>) {
  attn.online_finalize %m, %l, %acc to %o lse %lse
      : memref<64xf32>, memref<64xf32>, memref<64x64xf32>,
        memref<?x64xbf16, strided<[?, 1], offset: ?>>,
        memref<?xf32, strided<[?], offset: ?>>
  return
}

// Without the log-sum-exp: no `lse` keyword and no fifth type.
// CHECK-LABEL: func.func @online_finalize_no_lse(
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<32xf32>, %[[L:[a-zA-Z0-9_]+]]: memref<32xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<32x128xf32>, %[[O:[a-zA-Z0-9_]+]]: memref<?x128xf32, strided<[?, 1], offset: ?>>)
// CHECK:         attn.online_finalize %[[M]], %[[L]], %[[ACC]] to %[[O]] : memref<32xf32>, memref<32xf32>, memref<32x128xf32>, memref<?x128xf32, strided<[?, 1], offset: ?>>{{$}}
// CHECK-NEXT:    return
func.func @online_finalize_no_lse(
    %m: memref<32xf32>, %l: memref<32xf32>, %acc: memref<32x128xf32>,
    %o: memref<?x128xf32, strided<[?, 1], offset: ?>>) {
  attn.online_finalize %m, %l, %acc to %o
      : memref<32xf32>, memref<32xf32>, memref<32x128xf32>,
        memref<?x128xf32, strided<[?, 1], offset: ?>>
  return
}

// f16 output, dynamic tile sizes.
// CHECK-LABEL: func.func @online_finalize_f16(
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<?x64xf32>, %[[O:[a-zA-Z0-9_]+]]: memref<?x64xf16>, %[[LSE:[a-zA-Z0-9_]+]]: memref<?xf32>)
// CHECK:         attn.online_finalize %[[M]], %[[M]], %[[ACC]] to %[[O]] lse %[[LSE]] : memref<?xf32>, memref<?xf32>, memref<?x64xf32>, memref<?x64xf16>, memref<?xf32>{{$}}
// CHECK-NEXT:    return
func.func @online_finalize_f16(%m: memref<?xf32>, %acc: memref<?x64xf32>,
                               %o: memref<?x64xf16>, %lse: memref<?xf32>) {
  attn.online_finalize %m, %m, %acc to %o lse %lse
      : memref<?xf32>, memref<?xf32>, memref<?x64xf32>, memref<?x64xf16>,
        memref<?xf32>
  return
}

//===----------------------------------------------------------------------===//
// attn.tile_qk and attn.tile_pv
//===----------------------------------------------------------------------===//

// st [BK, BQ] = scale * k qt, qt [D, BQ].
// CHECK-LABEL: func.func @tile_qk_f32(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[K:[a-zA-Z0-9_]+]]: memref<?x64xf32>, %[[ST:[a-zA-Z0-9_]+]]: memref<64x64xf32>)
// CHECK:         attn.tile_qk %[[QT]], %[[K]], %[[ST]] {scale = 1.250000e-01 : f64} : memref<64x64xf32>, memref<?x64xf32>, memref<64x64xf32>{{$}}
// CHECK-NEXT:    return
func.func @tile_qk_f32(%qt: memref<64x64xf32>, %k: memref<?x64xf32>,
                       %st: memref<64x64xf32>) {
  attn.tile_qk %qt, %k, %st {scale = 0.125 : f64}
      : memref<64x64xf32>, memref<?x64xf32>, memref<64x64xf32>
  return
}

// bf16 strided qt and k; the f32 score tile is itself a strided view.
// CHECK-LABEL: func.func @tile_qk_bf16_strided(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<128x?xbf16, strided<[?, 1], offset: ?>>, %[[K:[a-zA-Z0-9_]+]]: memref<?x128xbf16, strided<[4096, 1], offset: ?>>, %[[ST:[a-zA-Z0-9_]+]]: memref<?x?xf32, strided<[64, 1]>>)
// CHECK:         attn.tile_qk %[[QT]], %[[K]], %[[ST]] {scale = -2.000000e+00 : f64} : memref<128x?xbf16, strided<[?, 1], offset: ?>>, memref<?x128xbf16, strided<[4096, 1], offset: ?>>, memref<?x?xf32, strided<[64, 1]>>{{$}}
// CHECK-NEXT:    return
func.func @tile_qk_bf16_strided(
    %qt: memref<128x?xbf16, strided<[?, 1], offset: ?>>,
    %k: memref<?x128xbf16, strided<[4096, 1], offset: ?>>,
    %st: memref<?x?xf32, strided<[64, 1]>>) {
  attn.tile_qk %qt, %k, %st {scale = -2.0 : f64}
      : memref<128x?xbf16, strided<[?, 1], offset: ?>>,
        memref<?x128xbf16, strided<[4096, 1], offset: ?>>,
        memref<?x?xf32, strided<[64, 1]>>
  return
}

// acc [BQ, Dv] = alpha * acc + pt^T v, pt [BK, BQ].
// CHECK-LABEL: func.func @tile_pv_f32(
// CHECK-SAME:      %[[PT:[a-zA-Z0-9_]+]]: memref<?x?xf32, strided<[64, 1]>>, %[[V:[a-zA-Z0-9_]+]]: memref<?x64xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[ALPHA:[a-zA-Z0-9_]+]]: memref<64xf32>)
// CHECK:         attn.tile_pv %[[PT]], %[[V]], %[[ACC]], %[[ALPHA]] : memref<?x?xf32, strided<[64, 1]>>, memref<?x64xf32>, memref<64x64xf32>, memref<64xf32>{{$}}
// CHECK-NEXT:    return
func.func @tile_pv_f32(%pt: memref<?x?xf32, strided<[64, 1]>>,
                       %v: memref<?x64xf32>, %acc: memref<64x64xf32>,
                       %alpha: memref<64xf32>) {
  attn.tile_pv %pt, %v, %acc, %alpha
      : memref<?x?xf32, strided<[64, 1]>>, memref<?x64xf32>,
        memref<64x64xf32>, memref<64xf32>
  return
}

// Without alpha: acc += pt^T v (linear attention's products).
// CHECK-LABEL: func.func @tile_pv_no_alpha(
// CHECK:         attn.tile_pv %{{.+}}, %{{.+}}, %{{.+}} : memref<16x64xf32>, memref<16x64xf32>, memref<64x64xf32>{{$}}
func.func @tile_pv_no_alpha(%pt: memref<16x64xf32>, %v: memref<16x64xf32>,
                            %acc: memref<64x64xf32>) {
  attn.tile_pv %pt, %v, %acc
      : memref<16x64xf32>, memref<16x64xf32>, memref<64x64xf32>
  return
}

// f32 probabilities times a bf16 strided value view, Dv = 128.
// CHECK-LABEL: func.func @tile_pv_bf16_strided(
// CHECK-SAME:      %[[PT:[a-zA-Z0-9_]+]]: memref<64x32xf32>, %[[V:[a-zA-Z0-9_]+]]: memref<64x128xbf16, strided<[?, 1], offset: ?>>, %[[ACC:[a-zA-Z0-9_]+]]: memref<32x128xf32>, %[[ALPHA:[a-zA-Z0-9_]+]]: memref<32xf32>)
// CHECK:         attn.tile_pv %[[PT]], %[[V]], %[[ACC]], %[[ALPHA]] : memref<64x32xf32>, memref<64x128xbf16, strided<[?, 1], offset: ?>>, memref<32x128xf32>, memref<32xf32>{{$}}
// CHECK-NEXT:    return
func.func @tile_pv_bf16_strided(
    %pt: memref<64x32xf32>,
    %v: memref<64x128xbf16, strided<[?, 1], offset: ?>>,
    %acc: memref<32x128xf32>, %alpha: memref<32xf32>) {
  attn.tile_pv %pt, %v, %acc, %alpha
      : memref<64x32xf32>, memref<64x128xbf16, strided<[?, 1], offset: ?>>,
        memref<32x128xf32>, memref<32xf32>
  return
}

//===----------------------------------------------------------------------===//
// The stages together: one online_step as tile_qk + tile_pv, then finalize
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @pipeline(
// CHECK-SAME:      %[[QT:[a-zA-Z0-9_]+]]: memref<64x64xf16>, %[[K:[a-zA-Z0-9_]+]]: memref<64x64xf16, strided<[?, 1], offset: ?>>, %[[S:[a-zA-Z0-9_]+]]: memref<64x64xf32>,
// CHECK-SAME:      %[[M:[a-zA-Z0-9_]+]]: memref<64xf32>, %[[ACC:[a-zA-Z0-9_]+]]: memref<64x64xf32>, %[[O:[a-zA-Z0-9_]+]]: memref<64x64xf16, strided<[?, 1], offset: ?>>)
// CHECK:         attn.tile_qk %[[QT]], %[[K]], %[[S]] {scale = 1.250000e-01 : f64} : memref<64x64xf16>, memref<64x64xf16, strided<[?, 1], offset: ?>>, memref<64x64xf32>{{$}}
// CHECK-NEXT:    attn.tile_pv %[[S]], %[[K]], %[[ACC]], %[[M]] : memref<64x64xf32>, memref<64x64xf16, strided<[?, 1], offset: ?>>, memref<64x64xf32>, memref<64xf32>{{$}}
// CHECK-NEXT:    attn.online_finalize %[[M]], %[[M]], %[[ACC]] to %[[O]] : memref<64xf32>, memref<64xf32>, memref<64x64xf32>, memref<64x64xf16, strided<[?, 1], offset: ?>>{{$}}
// CHECK-NEXT:    return
func.func @pipeline(%qt: memref<64x64xf16>,
                    %k: memref<64x64xf16, strided<[?, 1], offset: ?>>,
                    %s: memref<64x64xf32>, %m: memref<64xf32>,
                    %acc: memref<64x64xf32>,
                    %o: memref<64x64xf16, strided<[?, 1], offset: ?>>) {
  attn.tile_qk %qt, %k, %s {scale = 0.125 : f64}
      : memref<64x64xf16>, memref<64x64xf16, strided<[?, 1], offset: ?>>,
        memref<64x64xf32>
  attn.tile_pv %s, %k, %acc, %m
      : memref<64x64xf32>, memref<64x64xf16, strided<[?, 1], offset: ?>>,
        memref<64x64xf32>, memref<64xf32>
  attn.online_finalize %m, %m, %acc to %o
      : memref<64xf32>, memref<64xf32>, memref<64x64xf32>,
        memref<64x64xf16, strided<[?, 1], offset: ?>>
  return
}
