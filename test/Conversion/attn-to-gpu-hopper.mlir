// RUN: attn-opt %s --attn-materialize-defaults --attn-to-gpu="hopper=true" | FileCheck %s
// RUN: attn-opt %s --attn-materialize-defaults --attn-to-gpu="hopper=true hopper-stages=2" | FileCheck %s --check-prefix=STAGES
// RUN: attn-opt %s --attn-materialize-defaults --attn-to-gpu="hopper=true" | FileCheck %s --check-prefix=FALLBACK
// RUN: attn-opt %s --attn-materialize-defaults --attn-to-gpu="hopper=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: attn-opt %s --attn-materialize-defaults --attn-to-gpu="hopper=true" | FileCheck %s --check-prefix=PADDED
// RUN: attn-opt %s --attn-materialize-defaults --attn-to-gpu="hopper=true" | FileCheck %s --check-prefix=WIDE
// RUN: not attn-opt %s --attn-materialize-defaults --attn-to-gpu="hopper=true hopper-stages=4" 2>&1 | FileCheck %s --check-prefix=TOOBIG

// RUN: not attn-opt %s --attn-materialize-defaults --attn-to-gpu="hopper=true hopper-stages=-1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// NEGATIVE: error: 'attn.attention' op hopper-stages must be in [0, 16] (0: as many as fit), got -1
// TOOBIG: error: 'attn.attention' op hopper-stages = 4 needs 295936 bytes of shared memory, above the 232448 an sm_90 block may use

// A causal GQA spec in bf16 with LSE on the sm_90a kernel. Host side: TMA
// tensor maps of Q, K and V (boxes of 128 rows), a persistent
// launch of min(tiles, SMs) CTAs of 384 threads, tiles = ceil(Lq / 128) x
// Hq x B, with the ring's shared memory: 1 KB alignment slack + Q 32 KB +
// 3 stages x (K + V) 64 KB = 230400 bytes.
// CHECK-LABEL: func.func @causal_gqa(
// CHECK:         %[[Q:.+]] = memref.cast %{{.+}} : memref<?x8x?x128xbf16, strided<[?, ?, ?, ?], offset: ?>> to memref<?x8x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>
// CHECK:         %[[K:.+]] = memref.cast %{{.+}} : memref<?x2x?x128xbf16, strided<[?, ?, ?, ?], offset: ?>> to memref<?x2x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>
// CHECK:         %[[V:.+]] = memref.cast %{{.+}} : memref<?x2x?x128xbf16, strided<[?, ?, ?, ?], offset: ?>> to memref<?x2x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>
// O is stored as pairs of 16-bit values: 4-byte aligned, checked at launch.
// CHECK:         %[[OUT:.+]] = memref.assume_alignment %{{.+}}, 4 : memref<?x8x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>
// CHECK:         %[[QMAP:.+]] = attn.tensor_map %[[Q]] {box_rows = 128 : i64} : {{.+}} -> !llvm.ptr
// CHECK:         %[[KMAP:.+]] = attn.tensor_map %[[K]] {box_rows = 128 : i64} : {{.+}} -> !llvm.ptr
// CHECK:         %[[VMAP:.+]] = attn.tensor_map %[[V]] {box_rows = 128 : i64} : {{.+}} -> !llvm.ptr
// CHECK:         %[[QBLOCKS:.+]] = arith.ceildivui %{{.+}}, %c128 : index
// CHECK:         %[[QH:.+]] = arith.muli %[[QBLOCKS]], %c8{{.*}} : index
// CHECK:         %[[TILES:.+]] = arith.muli %[[QH]], %{{.+}} : index
// CHECK:         %[[SMS:.+]] = attn.multiprocessor_count : index
// CHECK:         %[[GRID:.+]] = arith.minui %[[TILES]], %[[SMS]] : index
// CHECK-DAG:     %[[C384:.+]] = arith.constant 384 : index
// CHECK-DAG:     %[[SMEM:.+]] = arith.constant 230400 : i32
// CHECK:         gpu.launch_func @attn_kernels::@causal_gqa_attention_0 blocks in (%[[GRID]], %{{.+}}, %{{.+}}) threads in (%[[C384]], %{{.+}}, %{{.+}}) dynamic_shared_memory_size %[[SMEM]] args(%[[QMAP]] : !llvm.ptr, %[[KMAP]] : !llvm.ptr, %[[VMAP]] : !llvm.ptr, %[[Q]] : {{.+}}, %[[K]] : {{.+}}, %[[OUT]] : memref<?x8x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>, %{{.+}} : memref<?x8x?xf32, strided<[?, ?, 1], offset: ?>>)
// STAGES:        arith.constant 164864 : i32

// The kernel: maps by value, setmaxnreg needs the minimum CTA count.
// CHECK:       gpu.func @causal_gqa_attention_0(%[[QP:[a-z0-9_]+]]: !llvm.ptr, %[[KP:[a-z0-9_]+]]: !llvm.ptr, %[[VP:[a-z0-9_]+]]: !llvm.ptr,
// CHECK-SAME:      kernel attributes {attn.grid_constant_params = 3 : i64, known_block_size = array<i32: 384, 1, 1>, nvvm.minctasm = 1 : i32}
// CHECK:         %[[QD:.+]] = builtin.unrealized_conversion_cast %[[QP]] : !llvm.ptr to !nvgpu.tensormap.descriptor<tensor = memref<1x1x128x64xbf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b
// CHECK:         %[[KD:.+]] = builtin.unrealized_conversion_cast %[[KP]] : !llvm.ptr to !nvgpu.tensormap.descriptor<tensor = memref<1x1x128x64xbf16
// Ring barriers: "full" (one arrival + transaction bytes), "empty" (256
// consumer arrivals), and a full/empty pair for Q.
// CHECK:         %[[FULL:.+]] = nvgpu.mbarrier.create -> <memorySpace = #gpu.address_space<workgroup>, num_barriers = 3>
// CHECK:         %[[EMPTY:.+]] = nvgpu.mbarrier.create -> <memorySpace = #gpu.address_space<workgroup>, num_barriers = 3>
// CHECK:         %[[QFULL:.+]] = nvgpu.mbarrier.create -> <memorySpace = #gpu.address_space<workgroup>>
// CHECK:         %[[QEMPTY:.+]] = nvgpu.mbarrier.create -> <memorySpace = #gpu.address_space<workgroup>>
// CHECK:         nvgpu.mbarrier.init %[[FULL]][%{{.+}}], %{{.+}} :
// CHECK:         nvgpu.mbarrier.init %[[EMPTY]][%{{.+}}], %[[C256:.+]] :
// CHECK:         nvgpu.mbarrier.init %[[QEMPTY]][%{{.+}}], %{{.+}} :
// CHECK:         nvvm.fence.mbarrier.init
// The CTA's work units: with more tiles than CTAs, query blocks p and
// qBlocks - 1 - p of a head form a unit (two sides); units b, b +
// gridDim.x, ... for CTA b.
// CHECK:         %[[CTA:.+]] = gpu.block_id x
// CHECK:         %[[CTAS:.+]] = gpu.grid_dim x
// CHECK:         %[[PAIRED:.+]] = arith.cmpi ugt, %[[TILES:.+]], %[[CTAS]] : index
// CHECK:         %[[SIDES:.+]] = arith.select %[[PAIRED]], %c2{{.*}}, %c1{{.*}} : index
// CHECK:         %[[MINE:.+]] = arith.ceildivui %{{.+}}, %[[CTAS]] : index
// CHECK:         %[[MYUNITS:.+]] = arith.select %{{.+}}, %[[MINE]], %c0{{.*}} : index
// CHECK:         %[[STEPS:.+]] = arith.muli %[[MYUNITS]], %[[SIDES]] : index
// Producer warpgroup: gives registers away; one elected thread, per tile,
// waits until the consumers released the previous tile's Q, loads Q (2
// panels of 64 columns, 128 rows), then per visited key block waits
// for the slot to be free and loads K and V (4-D coordinates: d, s, h, b).
// The slot count carries on from tile to tile.
// CHECK:         nvvm.setmaxregister decrease 56
// CHECK:         nvvm.elect.sync
// CHECK:         scf.for %{{.+}} = %{{.+}} to %[[STEPS]] step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %[[IT0:.+]] = %{{.+}})
// CHECK:           scf.if
// CHECK:           nvgpu.mbarrier.try_wait.parity %[[QEMPTY]]
// CHECK:           nvgpu.mbarrier.arrive.expect_tx %[[QFULL]][%{{.+}}], %{{.+}} :
// CHECK-COUNT-2:   nvgpu.tma.async.load %[[QD]][%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}], %[[QFULL]]
// CHECK:           scf.for %{{.+}} iter_args(%{{.+}} = %[[IT0]])
// CHECK:             nvgpu.mbarrier.try_wait.parity %[[EMPTY]][%[[SLOT:.+]]],
// CHECK:             nvgpu.mbarrier.arrive.expect_tx %[[FULL]][%[[SLOT]]], %{{.+}} :
// CHECK-COUNT-2:     nvgpu.tma.async.load %[[KD]][%{{.+}}, %[[K0:.+]], %[[KVH:.+]], %{{.+}}], %[[FULL]][%[[SLOT]]]
// Consumer warpgroups, per tile: S = Q K^T with wgmma from shared memory
// (8 k-steps at D = 128), the mask only where the block is partial, exp2
// online softmax, O += P V with P from registers, then the slot is
// released; after the tile's last block, Q is released too.
// CHECK:         nvvm.setmaxregister increase 224
// CHECK:         scf.for %{{.+}} = %{{.+}} to %[[STEPS]] step
// CHECK:         nvgpu.mbarrier.try_wait.parity %[[QFULL]]
// CHECK:         scf.for
// CHECK:           nvgpu.mbarrier.try_wait.parity %[[FULL]]
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK:           nvvm.wgmma.mma_async {{.+}} <m = 64, n = 128, k = 16>, D[<f32>, <zero>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK-COUNT-7:   nvvm.wgmma.mma_async {{.+}} <m = 64, n = 128, k = 16>, D[<f32>, <one>]
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK:           nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:           scf.if %{{.+}} -> (f32,
// CHECK:             arith.select %{{.+}}, %{{.+}}, %[[NINF:.+]] : f32
// rowmax over the four lanes of a row, new max, alpha = exp2(old - new)
// CHECK:           nvvm.shfl.sync bfly
// CHECK:           nvvm.shfl.sync bfly
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// P = exp2(S c - max): one FMA and ex2 per score
// CHECK:           math.fma
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:           arith.truncf %{{.+}} : vector<2xf32> to vector<2xbf16>
// CHECK:           llvm.inline_asm has_side_effects asm_dialect = att "{\0A.reg .pred p;\0Asetp.ne.b32 p, $133, 0;\0Awgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK:           nvgpu.mbarrier.arrive %[[EMPTY]]
// CHECK:         nvgpu.mbarrier.arrive %[[QEMPTY]]
// Epilogue: O / l as bf16 pairs; LSE = (max + log2 l) ln 2.
// CHECK:         vector.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] {alignment = 4 : i64} : memref<?x8x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>>, vector<2xbf16>
// CHECK:         math.log2
// CHECK:         memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}] : memref<?x8x?xf32, strided<[?, ?, 1], offset: ?>>
func.func @causal_gqa(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>, %v: tensor<?x2x?x128xbf16>) -> (tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>} : tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16> -> tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>
  return %o, %lse : tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>
}

// f32 keeps the exact one-row-per-thread kernel, as does a head dim that
// is not a multiple of 8 (TMA needs 16-byte row strides).
// FALLBACK-LABEL: func.func @f32_fallback(
// FALLBACK-NOT:     attn.tensor_map
// FALLBACK:         gpu.launch_func @attn_kernels::@f32_fallback_attention_1
func.func @f32_fallback(%q: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.attention %q, %q, %q : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// REMARK-NOT: remark
// REMARK: remark: runs on the CUDA-core kernel, not the sm_90a tensor-core kernel: D = 36 is not a multiple of 8 up to 256
// REMARK-NOT: remark
// FALLBACK-LABEL: func.func @odd_head_dim_fallback(
// FALLBACK-NOT:     attn.tensor_map
// FALLBACK:         gpu.launch_func @attn_kernels::@odd_head_dim_fallback_attention_2
func.func @odd_head_dim_fallback(%q: tensor<?x4x?x36xbf16>) -> tensor<?x4x?x36xbf16> {
  %o = attn.attention %q, %q, %q : tensor<?x4x?x36xbf16>, tensor<?x4x?x36xbf16>, tensor<?x4x?x36xbf16> -> tensor<?x4x?x36xbf16>
  return %o : tensor<?x4x?x36xbf16>
}

// D = 96, Dv = 40: both padded to whole 64-column panels (TMA zero-fills
// the columns past D): Q 2 panels of 128 rows, K 2 and V 1 per stage
// (1 KB + 32 KB + 4 x 48 KB = 230400 bytes), Q K^T in 6 k16 steps (none
// wholly in the padding), P V with n = 64, and only Dv / 8 = 5 column
// pairs of O stored per row (two rows per thread).
// PADDED-LABEL: func.func @padded_dims(
// PADDED:         arith.constant 230400 : i32
// PADDED:         gpu.launch_func @attn_kernels::@padded_dims_attention_3
// PADDED-LABEL: gpu.func @padded_dims_attention_3(
// PADDED-COUNT-5: nvgpu.tma.async.load %{{.+}} : <tensor = memref<1x1x128x64xf16
// PADDED-NOT:     nvgpu.tma.async.load
// PADDED:         nvvm.wgmma.mma_async {{.+}} <m = 64, n = 128, k = 16>, D[<f32>, <zero>]
// PADDED-COUNT-5: nvvm.wgmma.mma_async {{.+}} <m = 64, n = 128, k = 16>, D[<f32>, <one>]
// PADDED-NOT:     nvvm.wgmma.mma_async
// PADDED:         wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16
// PADDED-COUNT-10: vector.store {{.+}} vector<2xf16>
// PADDED-NOT:     vector.store
// PADDED:         gpu.return
func.func @padded_dims(%q: tensor<?x4x?x96xf16>, %v: tensor<?x4x?x40xf16>) -> tensor<?x4x?x40xf16> {
  %o = attn.attention %q, %q, %v : tensor<?x4x?x96xf16>, tensor<?x4x?x96xf16>, tensor<?x4x?x40xf16> -> tensor<?x4x?x40xf16>
  return %o : tensor<?x4x?x40xf16>
}

// D = Dv = 256: O's accumulator takes 128 registers per thread, so key
// blocks are 64 (S and P take half): 1 KB + Q 64 KB + 2 x (K + V) 64 KB.
// WIDE-LABEL: func.func @wide_head(
// WIDE:         attn.tensor_map %{{.+}} {box_rows = 128 : i64}
// WIDE:         attn.tensor_map %{{.+}} {box_rows = 64 : i64}
// WIDE:         attn.tensor_map %{{.+}} {box_rows = 64 : i64}
// WIDE:         arith.constant 197632 : i32
// WIDE-LABEL: gpu.func @wide_head_attention_4(
// WIDE:         nvvm.wgmma.mma_async {{.+}} <m = 64, n = 64, k = 16>, D[<f32>, <zero>]
// WIDE-COUNT-15: nvvm.wgmma.mma_async {{.+}} <m = 64, n = 64, k = 16>, D[<f32>, <one>]
// WIDE-COUNT-4: wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16
func.func @wide_head(%q: tensor<?x4x?x256xbf16>) -> tensor<?x4x?x256xbf16> {
  %o = attn.attention %q, %q, %q : tensor<?x4x?x256xbf16>, tensor<?x4x?x256xbf16>, tensor<?x4x?x256xbf16> -> tensor<?x4x?x256xbf16>
  return %o : tensor<?x4x?x256xbf16>
}
