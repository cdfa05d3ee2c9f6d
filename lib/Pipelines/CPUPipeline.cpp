//===- CPUPipeline.cpp - attn-cpu-pipeline --------------------------------===//
//
// The CPU path as one pipeline: the attn stages, One-Shot Bufferize at the
// function boundary (fully dynamic layouts, so any caller strides bind), then
// upstream's lowerings to the LLVM dialect. Built from typed passes.
//
//===----------------------------------------------------------------------===//

#include "attn/Pipelines.h"

#include "Attn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace attn {

/// Registers decide the blocking: a micro-kernel keeps rows x vectors
/// accumulators, `vectors` loaded operands and one broadcast live.
///   AVX-512 (32 zmm, 16 f32 lanes): 4 x 4 -> 16 + 4 + 1 = 21 registers;
///   AVX/AVX2 (16 ymm, 8 lanes):     tile_qk 6 x 2 -> 12 + 2 + 1 = 15,
///     tile_pv 4 x 3 -> 16 (the 16-lane vectors of the AVX-512 shape are
///     two ymm each: 32 accumulators for 16 registers, and they spilled:
///     AVX2 code on a Zen 4, f32 D=64 L=4096 causal / full: 137 / 135
///     GFLOP/s with it, 181 / 183 with this; 6 x 2 for both 174 / 169,
///     4 x 3 for both 160 / 165);
///   NEON (32 x 128-bit, 4 lanes):   4 x 4 -> 21;
///   SSE (16 xmm, 4 lanes):          4 x 2 -> 11.
/// No features (attn-opt without a target): the AVX-512 shape.
CPUKernelShape cpuKernelShape(llvm::StringRef features) {
  llvm::SmallVector<llvm::StringRef> list;
  features.split(list, ',', -1, /*KeepEmpty=*/false);
  auto has = [&](llvm::StringRef f) {
    return llvm::is_contained(list, ("+" + f).str());
  };
  if (features.empty() || has("avx512f"))
    return {16, 4, 4, 4, 4};
  if (has("avx"))
    return {8, 6, 2, 4, 3};
  if (has("neon"))
    return {4, 4, 4, 4, 4};
  return {4, 4, 2, 4, 2};
}

void buildCPUPipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &o) {
  using namespace mlir;
  pm.addPass(mlir::attn::createAttnSplitMixedHeads());
  pm.addPass(mlir::attn::createAttnMaterializeDefaults());
  mlir::attn::AttnTileOptions tile;
  tile.blockQ = o.blockQ;
  tile.blockKV = o.blockKV;
  pm.addPass(mlir::attn::createAttnTile(tile));
  pm.addPass(mlir::attn::createAttnLinearToLoops());
  // Sequential: plain loops. The tile scratch is on the heap and freed in
  // each iteration (attn-tile), so nothing may be hoisted out of them: the
  // alloca hoisting this used to rely on did not happen in every context,
  // and hoisting the allocations without their frees would free twice.
  if (!o.parallel)
    pm.addPass(createParallelForToNestedForsPass());
  CPUKernelShape shape = cpuKernelShape(o.targetFeatures);
  if (o.vectorWidth > 0) // set by hand: that width, the blocking as chosen
    shape.vectorWidth = o.vectorWidth;
  mlir::attn::AttnOnlineSoftmaxOptions softmax;
  softmax.vectorWidth = shape.vectorWidth;
  pm.addPass(mlir::attn::createAttnOnlineSoftmax(softmax));
  mlir::attn::AttnLowerTileMatmulOptions matmul;
  matmul.vectorWidth = shape.vectorWidth;
  matmul.qkRows = shape.qkRows;
  matmul.qkVectors = shape.qkVectors;
  matmul.pvRows = shape.pvRows;
  matmul.pvVectors = shape.pvVectors;
  pm.addPass(mlir::attn::createAttnLowerTileMatmul(matmul));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::FullyDynamicLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  if (o.resultsAsOutParams) {
    // The kernel writes its result straight into the caller's buffer
    // (attn-results-in-place), which saves a copy of the whole output per
    // call.
    bufferization::BufferResultsToOutParamsPassOptions out;
    out.modifyPublicFunctions = true;
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(out));
    pm.addNestedPass<func::FuncOp>(mlir::attn::createAttnResultsInPlace());
  }
  pm.addNestedPass<func::FuncOp>(mlir::attn::createAttnFreeLocalBuffers());
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(mlir::attn::createAttnApproximateMath());
  if (o.parallel)
    pm.addPass(createConvertSCFToOpenMPPass());
  // convert-scf-to-openmp wraps each iteration in memref.alloca_scope,
  // whose region must stay one block: lower memref before scf-to-cf.
  ConvertVectorToLLVMPassOptions vector;
  vector.reassociateFPReductions = true;
  // 16 x 16 transposes (linear attention's phi(Q) per chunk) as shuffles,
  // not 256 element moves.
  vector.vectorTransposeLowering = vector::VectorTransposeLowering::Shuffle16x16;
  pm.addPass(createConvertVectorToLLVMPass(vector));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = o.genericAlloc;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void registerAttnPipelines() {
  mlir::PassPipelineRegistration<CPUPipelineOptions>(
      "attn-cpu-pipeline",
      "attn ops to LLVM dialect for the CPU: tile, online softmax, vector "
      "micro-kernels, bufferize, OpenMP, LLVM",
      buildCPUPipeline);
  // Registered by hand rather than through PassPipelineRegistration so that
  // invalid options end in an error (and a failing exit) instead of a
  // pipeline that crashes or quietly does something else.
  mlir::registerPassPipeline(
      "attn-gpu-pipeline",
      "attn ops to a GPU kernel: attn-to-gpu, NVVM, PTX (or cubin) through "
      "LLVM's NVPTX backend",
      [](mlir::OpPassManager &pm, llvm::StringRef text,
         llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)>
             errorHandler) {
        GPUPipelineOptions o;
        if (mlir::failed(o.parseFromString(text)))
          return mlir::failure();
        if (llvm::Error e = buildGPUPipeline(pm, o))
          return errorHandler(llvm::toString(std::move(e)));
        return mlir::success();
      },
      [](llvm::function_ref<void(const mlir::detail::PassOptions &)> print) {
        print(GPUPipelineOptions());
      });
}

} // namespace attn
