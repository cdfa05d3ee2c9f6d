//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//

#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnToGPU : Pass<"attn-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower attn.attention to a GPU kernel (gpu.func + launch)";
  let description = [{
    Each `attn.attention` becomes a `gpu.func` kernel in `gpu.module
    @attn_kernels` and a `gpu.launch_func` over a grid of (q-blocks, Hq, B)
    thread blocks of `block-q` threads, one query row per thread. Key and
    value blocks of `block-kv` rows are staged in workgroup (shared) memory;
    the key range and block skipping come from the same mask logic as the CPU
    tiler; each thread keeps its running max, sum and output row (online
    softmax) and writes O and the LSE. Kernel parameters are, in order, the
    op's operands and then its results, all memrefs with unit innermost
    stride, so the runtime can bind caller buffers of any outer strides.

    `attn.linear_attention` in f16/bf16 with any feature map but the
    softmax map becomes a chunk-parallel scan on tensor cores
    (`nvvm.mma.sync` m16n8k16, bf16 operands, f32 state): the sequence is
    cut into segments (their count chosen at launch from B, H and the SM
    count, `attn.multiprocessor_count`); a state launch sums phi(K)^T V per
    segment into scratch (`gpu.alloc`, provided by the runtime), a scan
    launch adds them up, and the output launch (grid (segments x
    Dv / linear-value-tile, Hq, B), linear-chunk / 16 warps) computes, per
    chunk of `linear-chunk` queries, phi(Q) S plus (causal) the masked
    intra-chunk product phi(Q) phi(K)^T V, then S += phi(K)^T V. Projected
    maps (FAVOR+, relu with a projection) first run feature kernels (x P^T
    on mma.sync, FAVOR+'s stabilizers) that write phi(Q) and phi(K) to
    scratch. Other linear specs (f32, the softmax map, or
    `tensor-cores=false`) use one block per (head, batch) and one thread
    per value column, exact in f32.

    With `hopper` (sm_90a), softmax attention in f16/bf16 with D and Dv
    multiples of 8 up to 256 becomes a warp-specialized, persistent kernel
    instead: min(tiles of 128 query rows, SMs) CTAs of 384 threads (the SM
    count is `attn.multiprocessor_count`, read at launch); a producer
    warpgroup streams K/V blocks through a `hopper-stages` ring in shared
    memory with TMA (tensor maps made on the host by `attn.tensor_map`,
    passed by value) and mbarriers; two consumer warpgroups compute
    S = Q K^T and O += P V with wgmma and the online softmax in registers.
    Key blocks are visited and masked as MaskLogic says (skipped / full /
    partial); only partial blocks pay for the per-element mask. A 16-bit
    spec the kernel cannot take gets a remark and the CUDA-core kernel.
  }];
  let options = [
    Option<"blockQ", "block-q", "int64_t", "128", "query rows (threads) per block">,
    Option<"blockKV", "block-kv", "int64_t", "32", "keys per shared-memory tile">,
    Option<"linearChunk", "linear-chunk", "int64_t", "0",
           "linear attention: queries and keys per chunk (16 per warp); 0: "
           "128 where the scan reads >= 256 features, else 64">,
    Option<"linearValueTile", "linear-value-tile", "int64_t", "64",
           "linear attention: value columns per thread block">,
    Option<"linearPrefetch", "linear-prefetch", "bool", "true",
           "linear attention: load the next chunk (cp.async) while this one "
           "computes, where the buffers fit two blocks per SM">,
    Option<"tensorCores", "tensor-cores", "bool", "true",
           "use mma.sync (sm_80+) where the kernel supports it">,
    Option<"hopper", "hopper", "bool", "false",
           "softmax attention in f16/bf16 (D, Dv multiples of 8 up to 256): "
           "the sm_90a kernel (TMA ring, wgmma, warp specialization)">,
    Option<"hopperStages", "hopper-stages", "int64_t", "0",
           "K/V ring slots of the sm_90a kernel (0: as many as fit, up to 4)">,
    Option<"hopperSetMaxNReg", "hopper-setmaxnreg", "bool", "true",
           "sm_90a kernel: the producer warpgroup hands registers to the "
           "consumers (off only for tools that cannot follow setmaxnreg)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"];
}

def AttnGPUGridConstant : Pass<"attn-gpu-grid-constant", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Pass a kernel's leading tensor-map parameters by value";
  let description = [{
    Runs after `convert-gpu-to-nvvm`. For each `llvm.func` kernel with
    `attn.grid_constant_params = n`, its first `n` parameters (pointers to
    128-byte `CUtensorMap`s, as `attn-to-gpu` declares them) become
    `__grid_constant__` byval parameters: `llvm.byval = !llvm.array<128 x
    i8>`, `llvm.align = 64`, `nvvm.grid_constant`. The runtime then passes
    each map's bytes in the launch's parameter buffer: no device allocation
    and no copy per launch. (`gpu.func` verification rejects
    `nvvm.grid_constant`, and `convert-gpu-to-nvvm` drops `llvm.byval`, hence
    a pass after the conversion.)

    ```mlir
    llvm.func @k(%map: !llvm.ptr) attributes {attn.grid_constant_params = 1 : i64, nvvm.kernel}
    // becomes
    llvm.func @k(%map: !llvm.ptr {llvm.align = 64 : i64, llvm.byval = !llvm.array<128 x i8>, nvvm.grid_constant}) attributes {nvvm.kernel}
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::NVVM::NVVMDialect"];
}

#endif // ATTN_CONVERSION_PASSES_TD
