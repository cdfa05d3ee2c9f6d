//===- Pipelines.h - named attn pass pipelines ------------------*- C++ -*-===//
//
// The whole path from attn ops to LLVM dialect for each target, as one pass
// pipeline, registered in attn-opt and used by the JIT.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PIPELINES_H
#define ATTN_PIPELINES_H

#include "attn/GPUKernelOptions.h"

#include "mlir/Pass/PassOptions.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace attn {

struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<int64_t> blockQ{*this, "block-q", llvm::cl::desc("query rows per tile"),
                         llvm::cl::init(64)};
  Option<int64_t> blockKV{*this, "block-kv", llvm::cl::desc("keys per tile"),
                          llvm::cl::init(64)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector (0: chosen from target-features)"),
      llvm::cl::init(0)};
  Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("the target's LLVM features (+avx2,+fma,... as the JIT "
                     "passes them): they choose the vector width and the "
                     "micro-kernels' register blocking; empty: 16 lanes"),
      llvm::cl::init("")};
  Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("run (batch, head, q-block) tiles on OpenMP threads"),
      llvm::cl::init(true)};
  Option<bool> genericAlloc{
      *this, "generic-alloc",
      llvm::cl::desc("allocate with _mlir_memref_to_llvm_alloc/_free (which "
                     "the JIT binds to its kernel heap) instead of "
                     "malloc/free"),
      llvm::cl::init(false)};
  Option<bool> resultsAsOutParams{
      *this, "results-as-out-params",
      llvm::cl::desc("each result becomes a trailing memref argument of "
                     "identity layout that the kernel writes in place (the "
                     "caller allocates it); the JIT uses this"),
      llvm::cl::init(false)};
};

/// The vector width and register blocking of the CPU micro-kernels for a
/// target with LLVM features `features` (see cpuKernelShape's comment).
struct CPUKernelShape {
  int64_t vectorWidth, qkRows, qkVectors, pvRows, pvVectors;
};
CPUKernelShape cpuKernelShape(llvm::StringRef features);

/// attn ops -> tiles -> online softmax -> vector micro-kernels -> buffers ->
/// (OpenMP) -> LLVM dialect. Functions keep their names and signatures with
/// memrefs of fully dynamic layout; each result is a fresh buffer the
/// caller owns, from malloc (or, with generic-alloc, from
/// _mlir_memref_to_llvm_alloc, to be freed with _mlir_memref_to_llvm_free).
/// With results-as-out-params the results are trailing arguments instead
/// (contiguous, row-major), written in place: no copy of the result.
void buildCPUPipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &opts);

struct GPUPipelineOptions
    : public mlir::PassPipelineOptions<GPUPipelineOptions> {
  GPUKernelOptions kernelOptions() const;

  Option<int64_t> blockQ{*this, "block-q",
                         llvm::cl::desc("query rows (threads) per block"),
                         llvm::cl::init(GPUKernelOptions().blockQ)};
  Option<int64_t> blockKV{*this, "block-kv",
                          llvm::cl::desc("keys per shared-memory tile"),
                          llvm::cl::init(GPUKernelOptions().blockKV)};
  Option<int64_t> linearChunk{
      *this, "linear-chunk",
      llvm::cl::desc("linear attention: queries and keys per chunk"),
      llvm::cl::init(GPUKernelOptions().linearChunk)};
  Option<int64_t> linearValueTile{
      *this, "linear-value-tile",
      llvm::cl::desc("linear attention: value columns per thread block"),
      llvm::cl::init(GPUKernelOptions().linearValueTile)};
  Option<bool> linearPrefetch{
      *this, "linear-prefetch",
      llvm::cl::desc("linear attention: load the next chunk with cp.async "
                     "while this one computes"),
      llvm::cl::init(GPUKernelOptions().linearPrefetch)};
  Option<int64_t> hopperStages{
      *this, "hopper-stages",
      llvm::cl::desc("sm_90a softmax kernel: K/V ring slots (0: as many as "
                     "fit in shared memory)"),
      llvm::cl::init(GPUKernelOptions().hopperStages)};
  Option<bool> hopperSetMaxNReg{
      *this, "hopper-setmaxnreg",
      llvm::cl::desc("sm_90a softmax kernel: hand the producer's registers "
                     "to the consumers (setmaxnreg); off only for tools "
                     "that cannot follow it (compute-sanitizer synccheck): "
                     "the consumers then spill"),
      llvm::cl::init(GPUKernelOptions().hopperSetMaxNReg)};
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("sm_80, sm_90, sm_90a (TMA + wgmma softmax kernel), ..."),
      llvm::cl::init("sm_90")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("isa (PTX), bin (cubin, needs ptxas) or fatbin"),
      llvm::cl::init("isa")};
  Option<std::string> libdevice{
      *this, "libdevice", llvm::cl::desc("path of libdevice.10.bc"),
      llvm::cl::init("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc")};
};

/// attn ops -> gpu kernels -> NVVM -> PTX (or cubin) in a gpu.binary for
/// `chip` ("sm_80", "sm_90a", ...) and `format` ("isa", "bin", "fatbin"),
/// or why the options cannot make one (nothing is added then).
llvm::Error buildGPUPipeline(mlir::OpPassManager &pm,
                             const GPUKernelOptions &kernels,
                             llvm::StringRef chip, llvm::StringRef format,
                             llvm::StringRef libdevice);
llvm::Error buildGPUPipeline(mlir::OpPassManager &pm,
                             const GPUPipelineOptions &opts);

/// Registers `attn-cpu-pipeline` and `attn-gpu-pipeline` for attn-opt.
void registerAttnPipelines();

} // namespace attn

#endif // ATTN_PIPELINES_H
