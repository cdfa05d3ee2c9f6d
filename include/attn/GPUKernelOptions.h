//===- GPUKernelOptions.h - tiling of the attn GPU kernels -------*- C++ -*-===//
//
// One option set for the GPU kernels, shared by attn-gpu-pipeline, the JIT's
// CompileOptions and attn-run (no MLIR headers: the JIT API includes it).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_GPUKERNELOPTIONS_H
#define ATTN_GPUKERNELOPTIONS_H

#include <cstdint>

namespace attn {

/// The tiling choices of the GPU kernels, one set for attn-gpu-pipeline,
/// the JIT's CompileOptions and attn-run.
struct GPUKernelOptions {
  int64_t blockQ = 128;         ///< first softmax kernel: rows (threads)
  int64_t blockKV = 32;         ///< first softmax kernel: keys per tile
  int64_t linearChunk = 0;      ///< tensor-core linear: queries/keys per chunk (0: per op)
  int64_t linearValueTile = 64; ///< tensor-core linear: value columns per CTA
  bool linearPrefetch = true;   ///< tensor-core linear: cp.async of chunk c+1
  int64_t hopperStages = 0;     ///< sm_90a softmax: K/V ring slots (0: max)
  bool hopperSetMaxNReg = true; ///< sm_90a softmax: move registers to the
                                ///< consumers (off: for tools that cannot)
};

} // namespace attn

#endif // ATTN_GPUKERNELOPTIONS_H
