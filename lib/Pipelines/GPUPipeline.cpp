//===- GPUPipeline.cpp - attn-gpu-pipeline --------------------------------===//
//
// attn ops -> gpu.func kernels (attn-to-gpu) -> NVVM -> PTX through LLVM's
// NVPTX backend (gpu-module-to-binary), or a cubin through ptxas with
// format=bin. The host function keeps its gpu.launch_func; the runtime
// launches the kernel itself through the CUDA driver API.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

namespace attn {

void buildGPUPipeline(mlir::OpPassManager &pm, const GPUPipelineOptions &o) {
  // mma.sync with bf16 operands needs sm_80 or newer.
  unsigned sm = 0;
  llvm::StringRef(o.chip.getValue()).drop_front(3).getAsInteger(10, sm);
  std::string text = llvm::formatv(
      "attn-split-mixed-heads,attn-materialize-defaults,"
      "attn-to-gpu{{block-q={0} block-kv={1} linear-chunk={5} "
      "linear-value-tile={6} tensor-cores={7}},"
      "canonicalize,cse,"
      // sm_90 needs PTX 8.0 (the default PTX 6.0 aborts). exp and log
      // become libdevice calls (__nv_expf), linked into the module.
      "nvvm-attach-target{{chip={2} features=+ptx80 O=3 l={4}},"
      "gpu.module(expand-strided-metadata,lower-affine,convert-scf-to-cf,"
      "convert-gpu-to-nvvm,canonicalize,cse,"
      "reconcile-unrealized-casts),"
      "gpu-module-to-binary{{format={3}}",
      o.blockQ.getValue(), o.blockKV.getValue(), o.chip.getValue(),
      o.format.getValue(), o.libdevice.getValue(), o.linearChunk.getValue(),
      o.linearValueTile.getValue(), sm >= 80 ? "true" : "false");
  if (mlir::failed(mlir::parsePassPipeline(text, pm)))
    llvm::report_fatal_error("attn-gpu-pipeline: invalid pipeline text");
}

} // namespace attn
