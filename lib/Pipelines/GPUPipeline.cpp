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
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace attn {

void buildGPUPipeline(mlir::OpPassManager &pm, const GPUPipelineOptions &o) {
  // mma.sync with bf16 operands needs sm_80 or newer; wgmma, TMA and
  // setmaxnreg need the arch-specific sm_90a.
  llvm::StringRef chip = o.chip.getValue();
  unsigned sm = 0;
  chip.drop_front(3).take_while(llvm::isDigit).getAsInteger(10, sm);
  bool hopper = chip == "sm_90a";
  std::string text = llvm::formatv(
      "attn-split-mixed-heads,attn-materialize-defaults,"
      "attn-to-gpu{{block-q={0} block-kv={1} linear-chunk={5} "
      "linear-value-tile={6} tensor-cores={7} hopper={8} hopper-stages={9}},"
      "canonicalize,cse,"
      // sm_90 needs PTX 8.0 (the default PTX 6.0 aborts). exp and log
      // become libdevice calls (__nv_expf), linked into the module.
      "nvvm-attach-target{{chip={2} features=+ptx80 O=3 l={4}},"
      // nvgpu (TMA, mbarriers) first; convert-nvvm-to-llvm turns the NVVM
      // ops that only print PTX (wgmma, mbarrier waits) into inline asm.
      "gpu.module(convert-nvgpu-to-nvvm,expand-strided-metadata,lower-affine,"
      "convert-scf-to-cf,convert-nvvm-to-llvm,convert-vector-to-llvm,"
      "convert-gpu-to-nvvm,attn-gpu-grid-constant,canonicalize,cse,"
      "reconcile-unrealized-casts),"
      "gpu-module-to-binary{{format={3}}",
      o.blockQ.getValue(), o.blockKV.getValue(), chip, o.format.getValue(),
      o.libdevice.getValue(), o.linearChunk.getValue(),
      o.linearValueTile.getValue(), sm >= 80 ? "true" : "false",
      hopper ? "true" : "false", o.hopperStages.getValue());
  if (mlir::failed(mlir::parsePassPipeline(text, pm)))
    llvm::report_fatal_error("attn-gpu-pipeline: invalid pipeline text");
}

} // namespace attn
