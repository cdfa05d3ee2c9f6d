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

    `attn.linear_attention` with an elementwise feature map (elu+1, relu
    without projection) and f16/bf16 inputs becomes a chunked scan on tensor
    cores (`nvvm.mma.sync` m16n8k16, bf16 operands, f32 state): grid
    (Dv / linear-value-tile, Hq, B), linear-chunk / 16 warps; per chunk of
    `linear-chunk` queries, phi(Q) S plus (causal) the masked intra-chunk
    product phi(Q) phi(K)^T V, then S += phi(K)^T V. Other linear specs (f32,
    FAVOR+, projected relu, softmax map, or `tensor-cores=false`) use one
    block per (head, batch) and one thread per value column, exact in f32.
  }];
  let options = [
    Option<"blockQ", "block-q", "int64_t", "128", "query rows (threads) per block">,
    Option<"blockKV", "block-kv", "int64_t", "32", "keys per shared-memory tile">,
    Option<"linearChunk", "linear-chunk", "int64_t", "128",
           "linear attention: queries and keys per chunk (16 per warp)">,
    Option<"linearValueTile", "linear-value-tile", "int64_t", "64",
           "linear attention: value columns per thread block">,
    Option<"tensorCores", "tensor-cores", "bool", "true",
           "use mma.sync (sm_80+) where the kernel supports it">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"];
}

#endif // ATTN_CONVERSION_PASSES_TD
