//===- KernelUtils.h - helpers shared by the attn GPU kernels ---*- C++ -*-===//
//
// Internal to AttnToGPU: indexing of BHSD/BSHD buffers and the parameter
// memref type, used by the softmax and both linear-attention kernels.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOGPU_KERNELUTILS_H
#define ATTN_CONVERSION_ATTNTOGPU_KERNELUTILS_H

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/MaskLogic.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::attn {

/// The stored index of logical dim (0 B, 1 H, 2 S, 3 D) in `layout`.
inline int64_t storedDim(Layout layout, int64_t logical) {
  if (layout == Layout::bshd && (logical == 1 || logical == 2))
    return 3 - logical;
  return logical;
}

/// Indices of logical (b, h, s, d) in `layout`.
inline SmallVector<Value> storedIndex(Layout layout, Value b, Value h, Value s,
                                      Value d) {
  if (layout == Layout::bshd)
    return {b, s, h, d};
  return {b, h, s, d};
}

/// `<function>_<kind>_<index>`: the kernel of the index-th op of its kind.
inline std::string kernelName(Operation *op, StringRef kind, int index) {
  return (op->getParentOfType<func::FuncOp>().getSymName() + "_" + kind +
          "_" + std::to_string(index))
      .str();
}

/// memref type with dynamic offset and strides but a unit innermost stride.
inline MemRefType unitInnerStrided(MemRefType t) {
  SmallVector<int64_t> strides(t.getRank(), ShapedType::kDynamic);
  strides.back() = 1;
  return MemRefType::get(
      t.getShape(), t.getElementType(),
      StridedLayoutAttr::get(t.getContext(), ShapedType::kDynamic, strides));
}

/// Host side of a linear-attention launch: the operands as buffers, the
/// output allocated (and cast to the kernel's parameter type), B and Hq.
struct LinearOperands {
  Value q, k, v, projection, out, outParam, batch, heads;
};
LinearOperands bufferizeLinear(OpBuilder &b, LinearAttentionOp op);

/// Host side of a softmax-attention launch: O (and the LSE) allocated, and
/// cast to the kernels' parameter type (unit innermost stride).
struct AttentionResults {
  Value out, outParam, lse, lseParam;
};
AttentionResults allocAttentionResults(OpBuilder &b, AttentionOp op,
                                       const AttentionBuffers &bufs);

/// The kernels' parameter order after Q, K (and V): the optional mask and
/// bias operands present in `host`, then O and the LSE.
void appendMaskAndResultParams(SmallVectorImpl<Value> &params,
                               const AttentionBuffers &host,
                               const AttentionResults &res);
/// The kernel-side values of those parameters, from argument `next` of
/// `entry` on: fills the optional fields of `kernel` and returns (O, LSE).
std::pair<Value, Value> takeMaskAndResultArgs(Block &entry, unsigned next,
                                              const AttentionBuffers &host,
                                              const AttentionResults &res,
                                              AttentionBuffers &kernel);

/// The query block of a softmax kernel's thread block: `rows` rows from
/// blockIdx.x * rows of head blockIdx.y, batch blockIdx.z; its KV head and
/// Lq.
struct KernelQueryBlock {
  QueryBlock qb;
  Value kvHead, Lq;
};
KernelQueryBlock kernelQueryBlock(IndexMath &m, AttentionOp op,
                                  const AttentionBuffers &bufs, int64_t rows);
/// The same for query block `block` of head `hi`, batch `bi` (a persistent
/// kernel's tile).
KernelQueryBlock kernelQueryBlock(IndexMath &m, AttentionOp op,
                                  const AttentionBuffers &bufs, int64_t rows,
                                  Value block, Value hi, Value bi);

/// Rotary embeddings of a softmax-attention launch (RotaryKernels.cpp):
/// the keys turned into a scratch copy (gpu.alloc, freed by the caller
/// after its launch) of K's stored shape, typed as `bufs.k`, to pass in K's
/// place. The attention kernels turn the queries themselves, computing cos
/// and sin where they need them (rotaryCosSin with fastCos / fastSin).
struct GPURotary {
  Value keys, scratch;
};
/// For `op` with a rotary attribute: launches `<name>_rotary_keys` (added
/// to `kernels`) at `b`. `rows16`: K's rows are read in 16-byte pieces (the
/// runtime checks K's start and row strides for 16-byte alignment, as TMA
/// does for the sm_90a kernel's inputs); else element by element.
GPURotary launchRotaryKeys(OpBuilder &b, AttentionOp op,
                           const AttentionBuffers &bufs,
                           gpu::GPUModuleOp kernels, StringRef name,
                           bool rows16);

/// rotaryCosSin with the MUFU cos and sin (fastCos, fastSin).
std::pair<Value, Value> rotaryCosSinGPU(OpBuilder &b, Location loc, Value pos,
                                        std::pair<Value, Value> omega);

/// Why `op` cannot use the sm_90a kernel (TMA, wgmma, warp specialization),
/// or "" if it can.
std::string hopperAttentionUnsupported(AttentionOp op);

/// Replaces `op` by a launch of the sm_90a kernel, added to `kernels` as
/// `<func>_attention_<index>`; `stages` K/V ring slots (0: the most that
/// fit in shared memory). Persistent: min(tiles, SMs) CTAs of 384 threads,
/// each looping over (128-row query block, head, batch) tiles.
/// `setMaxNReg`: the producer warpgroup hands registers to the consumers.
LogicalResult buildHopperAttentionKernel(AttentionOp op,
                                         gpu::GPUModuleOp kernels, int index,
                                         int64_t stages, bool setMaxNReg);

/// 2^x as one MUFU.EX2 (ex2.approx.ftz): flushing subnormal results to
/// zero spares the range fix-up (a compare, two multiplies and a select)
/// that the non-ftz form needs around it. FA3 does the same.
Value fastExp2(OpBuilder &b, Location loc, Value x);
/// e^x as fastExp2(x log2 e), for the kernels' feature maps.
Value fastExp(OpBuilder &b, Location loc, Value x);

/// sin and cos as one MUFU op each (sin/cos.approx.ftz: ~5e-7 absolute
/// error on [-pi, pi]), for angles already reduced (rotaryCosSin).
Value fastSin(OpBuilder &b, Location loc, Value x);
Value fastCos(OpBuilder &b, Location loc, Value x);

/// Tiling of the tensor-core linear-attention kernel.
struct ChunkedLinearOptions {
  int64_t chunk;      // keys and queries per chunk; 16 per warp
  int64_t valueTile;  // value columns per thread block
  bool prefetch;      // cp.async of the next chunk where it fits
};

/// What a feature-map kernel (FeatureMapKernel.cpp) computes, and its
/// parameters after (x, P): Keys FAVOR+'s phi of keys, each stabilized by
/// the max of c x P^T over its 16-row tile, and those maxima (partial [B,
/// H, ceil(L / 16)] f32, phi); Queries phi of queries, or of keys for maps
/// without a key stabilizer (phi [B, H, L, Mp] bf16).
enum class FeatureKernelMode { Keys, Queries };

/// FAVOR+ keys share a stabilizer per this many rows (a warp's tile).
constexpr int64_t kKeyStabilizerRows = 16;

/// Rows (16 per warp) and threads of a feature-map kernel block.
constexpr int64_t kFeatureThreads = 256;
constexpr int64_t kFeatureRowsPerBlock = kFeatureThreads / 32 * 16;
/// At most this many feature-map blocks per SM (the register cap that
/// buys them: 64 a thread).
constexpr int64_t kFeatureBlocksPerSM = 4;

/// m features rounded up to the 16 of an mma k step.
int64_t paddedFeatureCount(int64_t m);

/// Feature-map blocks of `op` resident per SM: as many as their shared
/// memory allows, up to kFeatureBlocksPerSM. The kernels ask ptxas for
/// that many (registers capped to fit); the host launches that many.
int64_t featureBlocksPerSM(LinearAttentionOp op);
/// Dynamic shared memory of `op`'s feature-map kernels.
int64_t featureKernelSharedBytes(LinearAttentionOp op);

/// Dynamic shared memory a block may have on sm_90 (227 KB).
constexpr int64_t kMaxSharedBytes = 227 * 1024;

/// Adds the feature-map kernel `name` of `op` (a projected map)
/// at `kb`, with parameters typed as `params`; grid (any, H, B) of
/// kFeatureThreads threads (x-block i takes the row tiles i, i + gridDim.x,
/// ... of kFeatureRowsPerBlock rows), `sharedBytes` of dynamic shared
/// memory.
gpu::GPUFuncOp buildFeatureKernel(LinearAttentionOp op, OpBuilder &kb,
                                  StringRef name, ValueRange params,
                                  FeatureKernelMode mode,
                                  int64_t &sharedBytes);

/// The softmax map's kernels (SoftmaxMapKernel.cpp), of 128 threads each:
/// KeyStats (k, partial [B, Hkv, blocks * lanes, 2, D] f32), grid
/// (ceil(Lk / kSoftmaxMapKeysPerStatsBlock), Hkv, B): per feature the max
/// and sum of exp(k - max) over `lanes` (softmaxMapKeyLanes) strided
/// subsets of the block's keys; KeyMerge (partial, stats [B, Hkv, 2, D]
/// f32), grid (D / 8, Hkv, B) with kSoftmaxMapMergeBytes of dynamic shared
/// memory: all partials merged; Keys (k, [stats,] phi [B, Hkv, Lk, D]),
/// grid (ceil(Lk / kSoftmaxMapKeysPerBlock), Hkv, B): phi of keys (stats
/// only non-causal); Queries (q, phi [B, Hq, Lq, D]), grid (ceil(Lq /
/// softmaxMapQueryRows), Hq, B): the row softmax, D / 8 lanes per row. phi
/// is bf16, or f32 for f32 inputs.
enum class SoftmaxMapKernel { KeyStats, KeyMerge, Keys, Queries };
constexpr int64_t kSoftmaxMapThreads = 128;
constexpr int64_t kSoftmaxMapKeysPerBlock = 64;
constexpr int64_t kSoftmaxMapKeysPerStatsBlock = 256;
constexpr int64_t kSoftmaxMapMergeBytes = kSoftmaxMapThreads * 16 * 4;
gpu::GPUFuncOp buildSoftmaxMapKernel(LinearAttentionOp op, OpBuilder &kb,
                                     StringRef name, ValueRange params,
                                     SoftmaxMapKernel kind);
int64_t softmaxMapKeyLanes(LinearAttentionOp op);
int64_t softmaxMapQueryRows(LinearAttentionOp op);

/// The features per row that the chunked scan reads: the padded projection
/// (phi computed by the feature kernels), D for the softmax map, 0 for the
/// elementwise maps (applied to Q and K as they are loaded).
int64_t scanFeatureCount(LinearAttentionOp op);
/// `o` with its chunk chosen for `op` where `o.chunk` is 0 (the default).
ChunkedLinearOptions resolvedLinearOptions(LinearAttentionOp op,
                                           ChunkedLinearOptions o);

/// Why `op` cannot use the tensor-core chunked kernel, or "" if it can.
std::string chunkedLinearUnsupported(LinearAttentionOp op,
                                     const ChunkedLinearOptions &o);

/// Replaces `op` by a launch of the tensor-core chunked kernel, added to
/// `kernels` as `<func>_linear_<index>`. Grid (Dv / value tile, Hq, B).
LogicalResult buildChunkedLinearKernel(LinearAttentionOp op,
                                       gpu::GPUModuleOp kernels, int index,
                                       const ChunkedLinearOptions &o);

} // namespace mlir::attn

#endif // ATTN_CONVERSION_ATTNTOGPU_KERNELUTILS_H
