//===- GPUPipeline.cpp - attn-gpu-pipeline --------------------------------===//
//
// attn ops -> gpu.func kernels (attn-to-gpu) -> NVVM -> PTX through LLVM's
// NVPTX backend (gpu-module-to-binary), or a cubin through ptxas with
// format=bin. The host function keeps its gpu.launch_func; the runtime
// launches the kernel itself through the CUDA driver API. Built from typed
// passes: every option reaches its pass as a value, never as pipeline text.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines.h"

#include "attn/Conversion.h"

#include "Attn/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

namespace attn {

GPUKernelOptions GPUPipelineOptions::kernelOptions() const {
  GPUKernelOptions k;
  k.blockQ = blockQ;
  k.blockKV = blockKV;
  k.linearChunk = linearChunk;
  k.linearValueTile = linearValueTile;
  k.linearPrefetch = linearPrefetch;
  k.hopperStages = hopperStages;
  k.hopperSetMaxNReg = hopperSetMaxNReg;
  return k;
}

namespace {

llvm::Error optionError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "attn-gpu-pipeline: " + message);
}

/// The compute capability in `chip` ("sm_90a" -> 90), or an error: the
/// NVPTX backend only warns about a name it does not know and an empty one
/// crashes upstream, so the pipeline checks the form itself.
llvm::Expected<unsigned> chipVersion(llvm::StringRef chip) {
  llvm::StringRef rest = chip;
  unsigned sm = 0;
  if (!rest.consume_front("sm_") || rest.consumeInteger(10, sm) ||
      !(rest.empty() || rest == "a" || rest == "f") || sm < 50 || sm > 999)
    return optionError("chip must name an NVIDIA GPU as sm_<version>[a] "
                       "(sm_80, sm_90a, ...; sm_50 or newer), got '" +
                       chip + "'");
  return sm;
}

} // namespace

llvm::Error buildGPUPipeline(mlir::OpPassManager &pm,
                             const GPUKernelOptions &k, llvm::StringRef chip,
                             llvm::StringRef format,
                             llvm::StringRef libdevice) {
  using namespace mlir;
  auto version = chipVersion(chip);
  if (!version)
    return version.takeError();
  if (format != "isa" && format != "bin" && format != "fatbin")
    return optionError("format must be isa (PTX), bin (cubin) or fatbin, "
                       "got '" +
                       format + "'");
  // mma.sync with bf16 operands needs sm_80 or newer; wgmma, TMA and
  // setmaxnreg need the arch-specific sm_90a.
  const unsigned sm = *version;
  pm.addPass(mlir::attn::createAttnSplitMixedHeads());
  pm.addPass(mlir::attn::createAttnMaterializeDefaults());
  AttnToGPUOptions toGPU;
  toGPU.blockQ = k.blockQ;
  toGPU.blockKV = k.blockKV;
  toGPU.linearChunk = k.linearChunk;
  toGPU.linearValueTile = k.linearValueTile;
  toGPU.linearPrefetch = k.linearPrefetch;
  toGPU.tensorCores = sm >= 80;
  toGPU.hopper = chip == "sm_90a";
  toGPU.hopperStages = k.hopperStages;
  toGPU.hopperSetMaxNReg = k.hopperSetMaxNReg;
  pm.addPass(createAttnToGPU(toGPU));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // sm_90 needs PTX 8.0 (the default PTX 6.0 aborts). exp and log become
  // libdevice calls (__nv_expf), linked into the module.
  GpuNVVMAttachTargetOptions target;
  target.chip = chip.str();
  target.features = "+ptx80";
  target.optLevel = 3;
  target.linkLibs.push_back(libdevice.str());
  pm.addPass(createGpuNVVMAttachTarget(target));
  // nvgpu (TMA, mbarriers) first; convert-nvvm-to-llvm turns the NVVM ops
  // that only print PTX (wgmma, mbarrier waits) into inline asm.
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createConvertNVGPUToNVVMPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(createConvertNVVMToLLVMPass());
  // gpu-to-nvvm before vector-to-llvm: it maps the workgroup address space
  // (vector loads and stores of shared memory need that mapping).
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createConvertVectorToLLVMPass());
  kernels.addPass(createAttnGPUGridConstant());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = format.str();
  pm.addPass(createGpuModuleToBinaryPass(binary));
  return llvm::Error::success();
}

llvm::Error buildGPUPipeline(mlir::OpPassManager &pm,
                             const GPUPipelineOptions &o) {
  return buildGPUPipeline(pm, o.kernelOptions(), o.chip, o.format,
                          o.libdevice);
}

} // namespace attn
