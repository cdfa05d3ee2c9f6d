//===- CPUPipeline.cpp - attn-cpu-pipeline --------------------------------===//
//
// The CPU path as one pipeline: the attn stages, One-Shot Bufferize at the
// function boundary (fully dynamic layouts, so any caller strides bind), then
// upstream's lowerings to the LLVM dialect.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

namespace attn {

void buildCPUPipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &o) {
  std::string text = llvm::formatv(
      "attn-split-mixed-heads,attn-materialize-defaults,"
      "attn-tile{{block-q={0} block-kv={1}},attn-linear-to-loops,{4}"
      "attn-online-softmax{{vector-width={2}},"
      "attn-lower-tile-matmul{{vector-width={2}},"
      "canonicalize,cse,"
      "one-shot-bufferize{{bufferize-function-boundaries "
      "function-boundary-type-conversion=fully-dynamic-layout-map},"
      "convert-linalg-to-loops,"
      "attn-approximate-math,"
      "{3}"
      // convert-scf-to-openmp wraps each iteration in memref.alloca_scope,
      // whose region must stay one block: lower memref before scf-to-cf.
      "convert-vector-to-llvm{{reassociate-fp-reductions},"
      "expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
      "convert-scf-to-cf,canonicalize,cse,"
      "convert-math-to-llvm,convert-arith-to-llvm,"
      "convert-index-to-llvm,convert-cf-to-llvm,convert-openmp-to-llvm,"
      "convert-func-to-llvm,reconcile-unrealized-casts",
      o.blockQ.getValue(), o.blockKV.getValue(), o.vectorWidth.getValue(),
      o.parallel ? "convert-scf-to-openmp," : "",
      // Sequential: plain loops with the tile scratch hoisted out of them
      // (an alloca left in a loop would grow the stack every iteration).
      o.parallel ? "" : "scf-parallel-for-to-nested-fors,canonicalize,"
                        "func.func(buffer-loop-hoisting),");
  if (mlir::failed(mlir::parsePassPipeline(text, pm)))
    llvm::report_fatal_error("attn-cpu-pipeline: invalid pipeline text");
}

void registerAttnPipelines() {
  mlir::PassPipelineRegistration<CPUPipelineOptions>(
      "attn-cpu-pipeline",
      "attn ops to LLVM dialect for the CPU: tile, online softmax, vector "
      "micro-kernels, bufferize, OpenMP, LLVM",
      buildCPUPipeline);
  mlir::PassPipelineRegistration<GPUPipelineOptions>(
      "attn-gpu-pipeline",
      "attn ops to a GPU kernel: attn-to-gpu, NVVM, PTX (or cubin) through "
      "LLVM's NVPTX backend",
      [](mlir::OpPassManager &pm, const GPUPipelineOptions &o) {
        buildGPUPipeline(pm, o);
      });
}

} // namespace attn
