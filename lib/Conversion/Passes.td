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
  }];
  let options = [
    Option<"blockQ", "block-q", "int64_t", "128", "query rows (threads) per block">,
    Option<"blockKV", "block-kv", "int64_t", "32", "keys per shared-memory tile">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"];
}

#endif // ATTN_CONVERSION_PASSES_TD
