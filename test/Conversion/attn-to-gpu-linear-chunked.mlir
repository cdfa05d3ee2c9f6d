// RUN: attn-opt %s --split-input-file --attn-to-gpu="linear-chunk=128" | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-to-gpu="linear-chunk=32 linear-value-tile=16" | FileCheck %s --check-prefix=SMALL
// RUN: attn-opt %s --split-input-file --attn-to-gpu="tensor-cores=false" | FileCheck %s --check-prefix=SCALAR
// RUN: not attn-opt %s --split-input-file --attn-to-gpu="linear-chunk=40" 2>&1 | FileCheck %s --check-prefix=BADCHUNK

// elu+1 in bf16 runs as a chunk-parallel scan on tensor cores, in three
// launches over segments of the sequence whose count is chosen at launch
// from B, H and the SM count: the state kernel (phi(K)^T V and z per
// unit of a segment, into a runtime-provided f32 scratch buffer [B, Hkv,
// segments, units, D, Dv + 1]), an in-place scan over the units, and the
// output kernel
// (grid (segments x Dv / 64, Hq, B), 8 warps at chunk 128). phi(K) [128
// keys x (64 + 4) words], V^T with a ones row for z [(64 + 8) x (64 + 4)
// words], the bf16 state [64 x 68 words] and z carved from 72320 bytes of
// dynamic shared memory; 16-byte loads; fragments by ldmatrix (phi(K)^T
// transposed out of phi(K)); mma.sync m16n8k16 on bf16 pairs.
// CHECK-LABEL: func.func @elu_causal(
// Each buffer is read and written in 16-byte rows: the runtime checks it.
// CHECK-COUNT-4: memref.assume_alignment %{{.+}}, 16 :
// CHECK:         %[[SMS:.+]] = attn.multiprocessor_count : index
// One segment (B x H fills the GPU) has no state and scan launches: their
// grids are multiplied by min(segments - 1, 1). The state launch has a
// block per unit (units per segment chosen at launch too).
// CHECK:         %[[MINUS1:.+]] = arith.subi %[[NSEG:.+]], %c1
// CHECK:         %[[MANY:.+]] = arith.minsi %[[MINUS1]], %c1
// CHECK:         %[[STATE:.+]] = gpu.alloc  (%{{.+}}, %{{.+}}, %[[NSEG]], %[[UNITS:.+]]) : memref<?x?x?x?x128x129xf32>
// CHECK:         %[[NB:.+]] = arith.muli %[[NSEG]], %c2
// CHECK:         %[[UB:.+]] = arith.muli %[[NB]], %[[UNITS]]
// CHECK:         %[[SB:.+]] = arith.muli %[[UB]], %[[MANY]]
// CHECK:         %[[SHARED:.+]] = arith.constant 72320 : i32
// CHECK:         gpu.launch_func  @attn_kernels::@elu_causal_linear_0_states blocks in (%[[SB]], %{{.+}}, %{{.+}}) threads in (%{{.+}}, %{{.+}}, %{{.+}}) dynamic_shared_memory_size %[[SHARED]] args({{.*}}, %[[STATE]] : memref<?x?x?x?x128x129xf32>)
// CHECK:         %[[SCANB:.+]] = arith.muli %[[MANY]], %c65
// CHECK:         gpu.launch_func  @attn_kernels::@elu_causal_linear_0_scan blocks in (%[[SCANB]], %{{.+}}, %{{.+}}) threads in (%c256{{.*}}) args(%[[STATE]] : memref<?x?x?x?x128x129xf32>)
// CHECK:         gpu.launch_func  @attn_kernels::@elu_causal_linear_0 blocks in (%[[NB]], %{{.+}}, %{{.+}}) {{.*}} dynamic_shared_memory_size %{{.+}} args({{.*}}, %[[STATE]] : memref<?x?x?x?x128x129xf32>, %{{.+}} : memref<?x?x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>)
// CHECK:         gpu.dealloc  %[[STATE]]
// The state kernel: the segment's key chunks into phi(K)^T V, then stored.
// CHECK:       gpu.func @elu_causal_linear_0_states(
// CHECK-SAME:      known_block_size = array<i32: 256, 1, 1>
// CHECK:         %[[DYN:.+]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK:         memref.view %[[DYN]][%{{.+}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<128x68xi32, #gpu.address_space<workgroup>>
// CHECK:         memref.view %[[DYN]][%{{.+}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<72x68xi32, #gpu.address_space<workgroup>>
// CHECK:         memref.view %[[DYN]][%{{.+}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<64x68xi32, #gpu.address_space<workgroup>>
// CHECK:         memref.view %[[DYN]][%{{.+}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<128xf32, #gpu.address_space<workgroup>>
// CHECK:         scf.for
// CHECK:           vector.load %{{.+}} {alignment = 16 : i64} : memref<?x?x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>, vector<8xbf16>
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:           nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = true} : memref<128x136xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// CHECK:           nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = false} : memref<72x68xi32, #gpu.address_space<workgroup>> -> vector<4x1xi32>
// CHECK:           nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK:         memref.store %{{.+}} : memref<?x?x?x?x128x129xf32>
// CHECK:         gpu.return
// The scan: entry s becomes the sum of entries 0..s.
// CHECK:       gpu.func @elu_causal_linear_0_scan(
// CHECK:         scf.for
// CHECK:           memref.load
// CHECK:           arith.addf
// CHECK:           memref.store
// The output kernel: the state before its segment (summed in the block for
// one segment, loaded otherwise), then chunk by chunk phi(Q) S, the masked
// intra-chunk product, S update.
// CHECK:       gpu.func @elu_causal_linear_0(
// CHECK:         scf.if
// CHECK:           scf.for
// CHECK:             nvvm.mma.sync
// CHECK:         } else {
// CHECK:           memref.load %{{.+}} : memref<?x?x?x?x128x129xf32>
// CHECK:         scf.for
// CHECK:           gpu.barrier
// CHECK:           vector.load %{{.+}} {alignment = 4 : i64} : {{.*}}, vector<2xbf16>
// CHECK:           nvvm.mma.sync
// CHECK:           arith.cmpi sle
// CHECK:           gpu.shuffle  xor
// CHECK:           gpu.barrier
// CHECK:         gpu.return
// SMALL-LABEL: func.func @elu_causal(
// SMALL:         gpu.launch_func {{.*}} threads in (%[[T:.+]], %{{.+}}, %{{.+}})
// SMALL:       gpu.func @elu_causal_linear_0(
// SMALL-SAME:      known_block_size = array<i32: 64, 1, 1>
// SMALL:         memref.view {{.*}} to memref<32x68xi32, #gpu.address_space<workgroup>>
// SMALL:         memref.view {{.*}} to memref<24x20xi32, #gpu.address_space<workgroup>>
// SMALL:         memref.view {{.*}} to memref<16x68xi32, #gpu.address_space<workgroup>>
// SCALAR-LABEL: func.func @elu_causal(
// SCALAR:       gpu.func @elu_causal_linear_0(
// SCALAR-NOT:     nvvm.mma.sync
// SCALAR:         gpu.return
// BADCHUNK: error: attn-to-gpu: linear-chunk must be 0 (chosen per op) or one of 16, 32, ..., 128 and linear-value-tile at least 8, got linear-chunk = 40 and linear-value-tile = 64
func.func @elu_causal(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>, causal}
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// -----

// f32 runs on the tensor cores with every operand split into a high and a
// low bf16 part (x = hi + lo, lo = x - bf16(x)): three products per mma
// (hi lo, lo hi, hi hi), so ~16 bits of each operand. The low parts of
// phi(K), V^T and S^T are staged beside the high ones (7 shared arrays).
// CHECK-LABEL: func.func @elu_f32(
// CHECK:       gpu.func @elu_f32_linear_0(
// CHECK-COUNT-9: memref.view
// CHECK-NOT:     memref.view
// CHECK:         arith.truncf %[[X:.+]] : f32 to bf16
// CHECK:         arith.subf %[[X]], %{{.+}} : f32
// CHECK:         nvvm.mma.sync A[%[[AH:.+]]]  B[%[[BL0:[0-9]+]], %[[BL1:[0-9]+]]]  C
// CHECK-COUNT-4: llvm.extractvalue
// CHECK-NEXT:    nvvm.mma.sync A[{{.+}}]  B[%[[BH0:[0-9]+]], %[[BH1:[0-9]+]]]  C
// CHECK-COUNT-4: llvm.extractvalue
// CHECK-NEXT:    nvvm.mma.sync A[%[[AH]]]  B[%[[BH0]], %[[BH1]]]  C
// CHECK:         gpu.return
func.func @elu_f32(%q: tensor<1x2x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>}
      : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32> -> tensor<1x2x?x64xf32>
  return %o : tensor<1x2x?x64xf32>
}

// -----

// FAVOR+ in f32: the feature kernels read f32 x (16 bytes = 4 elements a
// lane) and write f32 phi, which the scan splits as it stages it.
// CHECK-LABEL: func.func @favor_f32(
// CHECK:         gpu.alloc  ({{.+}}) : memref<?x?x?x48xf32>
// CHECK:         gpu.alloc  ({{.+}}) : memref<?x?x?x48xf32>
// CHECK:       gpu.func @favor_f32_linear_0_key_features(
// CHECK:         vector.load %{{.+}} : memref<1x2x?x16xf32, {{.+}}>, vector<4xf32>
// CHECK:         vector.store %{{.+}} : memref<?x?x?x48xf32>, vector<4xf32>
// CHECK:       gpu.func @favor_f32_linear_0(
// CHECK:         vector.load %{{.+}} : memref<?x?x?x48xf32>, vector<8xf32>
// CHECK:         arith.subf
// CHECK:         nvvm.mma.sync
func.func @favor_f32(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x32xf32>, %p: tensor<44x16xf32>) -> tensor<1x2x?x32xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<44x16xf32>)
      {feature_map = #attn.feature_map<favor_plus>, causal}
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x32xf32> -> tensor<1x2x?x32xf32>
  return %o : tensor<1x2x?x32xf32>
}

// -----

// relu without projection in f16, non-causal, Dv = 40 (value tile 40, the
// multiple of 8 dividing 40 closest to 64): the
// state pass, then phi(Q) S / phi(Q) z per chunk with no intra-chunk part.
// CHECK-LABEL: func.func @relu_f16(
// CHECK:       gpu.func @relu_f16_linear_0(
// CHECK:         memref.view {{.*}} to memref<48x68xi32, #gpu.address_space<workgroup>>
// CHECK:         arith.maximumf
// CHECK:         nvvm.mma.sync
// CHECK-NOT:     arith.cmpi sle
// CHECK:         gpu.return
func.func @relu_f16(%q: tensor<2x4x?x32xf16>, %k: tensor<2x2x?x32xf16>, %v: tensor<2x2x?x40xf16>) -> tensor<2x4x?x40xf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<relu>}
      : tensor<2x4x?x32xf16>, tensor<2x2x?x32xf16>, tensor<2x2x?x40xf16> -> tensor<2x4x?x40xf16>
  return %o : tensor<2x4x?x40xf16>
}

// -----

// FAVOR+ in bf16 (m = 44 features, padded to 48): two feature kernels
// first (each loops over 128-row tiles; as many blocks as are resident,
// here 4 per SM - as many as their shared memory allows, at most 4, which
// the kernels ask ptxas for with nvvm.minctasm - spread over B x H): phi(K)
// stabilized by the max of c k P^T over each 16-key tile, those maxima
// written to [B, H, ceil(L / 16)], and phi(Q) stabilized per row, into bf16
// scratch [B, H, L, 48] that the chunked scan reads as its Q and K (D = 48).
// One group of features: x is projected once (the accumulators serve the
// max and the value pass). x P^T runs on mma.sync with P split in a high
// and a low bf16 part (two products per k step for bf16 x, three for f16).
// The scan kernels take the tile maxima, reduce them to the max over all
// keys and scale each staged key by exp(m_t - max) (bf16 pairs, fma.rn.
// bf16x2), the next chunk's m_t loaded before staging and its scales written
// after.
// CHECK-LABEL: func.func @favor_causal(
// CHECK:         %[[PHIK:.+]] = gpu.alloc  ({{.+}}) : memref<?x?x?x48xbf16>
// CHECK:         %[[PHIQ:.+]] = gpu.alloc  ({{.+}}) : memref<?x?x?x48xbf16>
// CHECK:         %[[SMS:.+]] = attn.multiprocessor_count
// CHECK:         %[[TILES:.+]] = arith.ceildivui %{{.+}}, %c128
// CHECK:         arith.muli %[[SMS]], %c4
// CHECK:         %[[PER:.+]] = arith.ceildivui %[[TILES]], %{{.+}}
// CHECK:         %[[MPER:.+]] = arith.maxsi %[[PER]], %c1
// CHECK:         %[[KBLK:.+]] = arith.ceildivui %[[TILES]], %[[MPER]]
// CHECK:         %[[NT:.+]] = arith.ceildivui %[[LK:.+]], %c16
// CHECK:         %[[PART:.+]] = gpu.alloc  (%{{.+}}, %{{.+}}, %[[NT]]) : memref<?x?x?xf32>
// CHECK-NOT:     key_max
// CHECK:         gpu.launch_func  @attn_kernels::@favor_causal_linear_0_key_features blocks in (%[[KBLK]], {{.*}} threads in (%c256{{.*}} args({{.*}}, %[[PART]] : memref<?x?x?xf32>, %[[PHIK]] : memref<?x?x?x48xbf16>)
// CHECK:         gpu.launch_func  @attn_kernels::@favor_causal_linear_0_query_features {{.*}} args({{.*}}, %[[PHIQ]] : memref<?x?x?x48xbf16>)
// CHECK:         gpu.alloc  ({{.+}}) : memref<?x?x?x?x48x33xf32>
// CHECK:         gpu.launch_func  @attn_kernels::@favor_causal_linear_0_states {{.*}} args(%[[PHIQ]] : memref<?x?x?x48xbf16>, %[[PHIK]] : memref<?x?x?x48xbf16>, {{.*}}, %[[PART]] : memref<?x?x?xf32>)
// CHECK:         gpu.launch_func  @attn_kernels::@favor_causal_linear_0 {{.*}} args(%[[PHIQ]] : memref<?x?x?x48xbf16>, %[[PHIK]] : memref<?x?x?x48xbf16>, {{.*}}, %[[PART]] : memref<?x?x?xf32>)
// CHECK-COUNT-4: gpu.dealloc
// CHECK:       gpu.func @favor_causal_linear_0_key_features(
// CHECK-SAME:      known_block_size = array<i32: 256, 1, 1>, nvvm.minctasm = 4 : i32
// CHECK:         %[[STEP:.+]] = gpu.grid_dim  x
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[STEP]]
// CHECK:           nvvm.mma.sync
// CHECK:           arith.maximumf
// CHECK:           gpu.shuffle  xor
// CHECK:           memref.store %{{.+}} : memref<?x?x?xf32>
// CHECK-NOT:       nvvm.mma.sync
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:           vector.store %{{.+}} : memref<?x?x?x48xbf16>, vector<8xbf16>
// CHECK:       gpu.func @favor_causal_linear_0_query_features(
// CHECK-NOT:     memref<?x?x?xf32>
// CHECK:       gpu.func @favor_causal_linear_0_states(
// CHECK:         memref.load %{{.+}} : memref<?x?x?xf32>
// CHECK:         arith.maximumf
// CHECK:         scf.for
// CHECK:           memref.load %{{.+}} : memref<?x?x?xf32>
// CHECK:           gpu.barrier
// CHECK:           llvm.inline_asm {{.*}}"fma.rn.bf16x2
// CHECK:           gpu.barrier
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:       gpu.func @favor_causal_linear_0(
// CHECK:         gpu.return
func.func @favor_causal(%q: tensor<?x4x?x16xbf16>, %k: tensor<?x4x?x16xbf16>, %v: tensor<?x4x?x32xbf16>, %p: tensor<44x16xf32>) -> tensor<?x4x?x32xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<44x16xf32>)
      {feature_map = #attn.feature_map<favor_plus>, causal}
      : tensor<?x4x?x16xbf16>, tensor<?x4x?x16xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x32xbf16>
  return %o : tensor<?x4x?x32xbf16>
}

// -----

// The softmax map in f16 (non-causal): per-feature key statistics first -
// a running max and rescaled sum over 4 key lanes per 256-key block
// (KeyStats), merged per 8 features (KeyMerge, one block per 8 features)
// - then phi(K) = exp(k - max) / sum and the row softmax of Q into bf16
// scratch [B, H, L, D] (Q: 4 lanes of 8 features per row, 32 rows per
// block at D = 32), read by the chunked scan as its Q and K.
// CHECK-LABEL: func.func @softmax_map(
// CHECK:         %[[PHIK:.+]] = gpu.alloc  ({{.+}}) : memref<?x?x?x32xbf16>
// CHECK:         %[[PHIQ:.+]] = gpu.alloc  ({{.+}}) : memref<?x?x?x32xbf16>
// CHECK:         %[[KBLK:.+]] = arith.ceildivui %{{.+}}, %c64
// CHECK:         %[[SBLK:.+]] = arith.ceildivui %{{.+}}, %c256
// CHECK:         %[[PART:.+]] = gpu.alloc  ({{.+}}) : memref<?x?x?x2x32xf32>
// CHECK:         %[[STATS:.+]] = gpu.alloc  ({{.+}}) : memref<?x?x2x32xf32>
// CHECK:         gpu.launch_func  @attn_kernels::@softmax_map_linear_0_key_stats blocks in (%[[SBLK]], {{.*}} threads in (%c128{{.*}} args({{.*}}, %[[PART]] : memref<?x?x?x2x32xf32>)
// CHECK:         gpu.launch_func  @attn_kernels::@softmax_map_linear_0_key_merge {{.*}} dynamic_shared_memory_size %c8192_i32 args(%[[PART]] : {{.*}}, %[[STATS]] : memref<?x?x2x32xf32>)
// CHECK:         gpu.launch_func  @attn_kernels::@softmax_map_linear_0_key_features blocks in (%[[KBLK]], {{.*}} args({{.*}}, %[[STATS]] : memref<?x?x2x32xf32>, %[[PHIK]] : memref<?x?x?x32xbf16>)
// CHECK:         %[[QBLK:.+]] = arith.ceildivui %{{.+}}, %c32
// CHECK:         gpu.launch_func  @attn_kernels::@softmax_map_linear_0_query_features blocks in (%[[QBLK]], {{.*}} args({{.*}}, %[[PHIQ]] : memref<?x?x?x32xbf16>)
// CHECK:         gpu.launch_func  @attn_kernels::@softmax_map_linear_0 {{.*}} args(%[[PHIQ]] : memref<?x?x?x32xbf16>, %[[PHIK]] : memref<?x?x?x32xbf16>,
// CHECK:       gpu.func @softmax_map_linear_0_key_stats(
// CHECK:         scf.for
// CHECK:           vector.load %{{.+}} : memref<?x2x?x32xf16, {{.+}}>, vector<8xf16>
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:       gpu.func @softmax_map_linear_0_key_merge(
// CHECK:         gpu.barrier
// CHECK:       gpu.func @softmax_map_linear_0_key_features(
// CHECK:         arith.divf
// CHECK:         vector.store %{{.+}} : memref<?x?x?x32xbf16>, vector<8xbf16>
// CHECK:       gpu.func @softmax_map_linear_0_query_features(
// The row max, then the row sum: over the row's 4 lanes only.
// CHECK-NOT:     gpu.shuffle  xor %{{.+}}, %c{{4|8|16}}_i32
// CHECK:         gpu.shuffle  xor %{{.+}}, %c2_i32
// CHECK:         gpu.shuffle  xor %{{.+}}, %c1_i32
// CHECK-NOT:     gpu.shuffle  xor %{{.+}}, %c{{4|8|16}}_i32
// CHECK:         gpu.shuffle  xor %{{.+}}, %c2_i32
// CHECK:         gpu.shuffle  xor %{{.+}}, %c1_i32
// CHECK-NOT:     gpu.shuffle
// CHECK:         vector.store %{{.+}} : memref<?x?x?x32xbf16>, vector<8xbf16>
// CHECK:       gpu.func @softmax_map_linear_0(
// CHECK-NOT:     math.exp2
// CHECK:         gpu.return
// SCALAR-LABEL: func.func @softmax_map(
// SCALAR-NOT:     key_stats
// SCALAR:         gpu.launch_func  @attn_kernels::@softmax_map_linear_0 blocks
func.func @softmax_map(%q: tensor<?x4x?x32xf16>, %k: tensor<?x2x?x32xf16>, %v: tensor<?x2x?x40xf16>) -> tensor<?x4x?x40xf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<softmax>}
      : tensor<?x4x?x32xf16>, tensor<?x2x?x32xf16>, tensor<?x2x?x40xf16> -> tensor<?x4x?x40xf16>
  return %o : tensor<?x4x?x40xf16>
}

// -----

// Causal: phi(k) = exp(k), no key statistics.
// CHECK-LABEL: func.func @softmax_map_causal(
// CHECK-NOT:     key_stats
// CHECK:         gpu.launch_func  @attn_kernels::@softmax_map_causal_linear_0_key_features {{.*}} args(%{{.+}} : memref<?x2x?x32xbf16, {{.+}}>, %{{.+}} : memref<?x?x?x32xbf16>)
// CHECK:         gpu.launch_func  @attn_kernels::@softmax_map_causal_linear_0_query_features
func.func @softmax_map_causal(%q: tensor<?x2x?x32xbf16>, %k: tensor<?x2x?x32xbf16>, %v: tensor<?x2x?x32xbf16>) -> tensor<?x2x?x32xbf16> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<softmax>, causal}
      : tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x2x?x32xbf16> -> tensor<?x2x?x32xbf16>
  return %o : tensor<?x2x?x32xbf16>
}
