//===- JIT.h - compile an attention spec and run it on caller buffers -*- C++ -*-===//
//
// Compile a spec (MLIR text or an AttentionSpec) for a target, get a Kernel,
// run it on caller-owned buffers. Every failure -- a spec that does not
// verify, a shape, dtype or stride the kernel cannot take, a null pointer, a
// target that is not available -- comes back as an llvm::Error. Kernels are
// cached by (function text with its static/dynamic dims, target, options):
// a kernel with dynamic B, H and L serves every size. Compiled kernels are
// also kept on disk for the next process (lib/JIT/DiskCache.h): CPU object
// code, and for CUDA the lowered module (host launches and PTX).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_JIT_H
#define ATTN_JIT_H

#include "attn/GPUKernelOptions.h"
#include "attn/Spec.h"
#include "attn/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace attn {

enum class Target { CPU, CUDA };
llvm::Expected<Target> parseTarget(llvm::StringRef name);
const char *toString(Target t);

struct CompileOptions {
  int64_t blockQ = 64;
  int64_t blockKV = 64;
  /// cpu: f32 lanes per vector; 0 chooses it, and the micro-kernels'
  /// register blocking, from the target's features (attn::cpuKernelShape).
  int64_t vectorWidth = 0;
  /// cpu: the LLVM CPU to generate code for ("x86-64-v3": AVX2 + FMA,
  /// "x86-64-v4": AVX-512, "znver4", ...); empty: the host's CPU and
  /// features. It must run here: features the host lacks are an error.
  std::string cpu;
  bool parallel = true; ///< OpenMP threads over (batch, head, q-block)
  /// cuda: the kernels' tiling (attn-gpu-pipeline's options).
  GPUKernelOptions gpu;
};

class Kernel {
public:
  virtual ~Kernel();
  virtual llvm::ArrayRef<ArgType> arguments() const = 0;
  virtual llvm::ArrayRef<ArgType> results() const = 0;
  /// Shapes of the results for these arguments, after checking that the
  /// arguments fit the spec (the verifier's rules with concrete sizes).
  virtual llvm::Expected<std::vector<std::vector<int64_t>>>
  resultShapes(llvm::ArrayRef<TensorRef> args) = 0;
  /// Runs on `args` (function-argument order) writing `results`. Shapes,
  /// dtypes and strides are checked first; nothing runs if any is wrong.
  /// Host buffers: the call returns when the results are written (cuda
  /// copies in and out). cuda with every buffer in Memory::Device: no copies,
  /// any outer strides (the tensor-core linear kernel wants buffers and rows
  /// 16-byte aligned, else an error), launched asynchronously on `stream` (a
  /// CUstream, null for the default stream).
  virtual llvm::Error run(llvm::ArrayRef<TensorRef> args,
                          llvm::ArrayRef<TensorRef> results,
                          void *stream = nullptr) = 0;
  /// Median seconds of the kernel alone over `repeats` runs after warm-up
  /// (cuda: device-resident buffers timed with events, no transfers).
  virtual llvm::Expected<double> time(llvm::ArrayRef<TensorRef> args,
                                      llvm::ArrayRef<TensorRef> results,
                                      int64_t repeats) = 0;
};

/// Compiles and caches kernels. Destroy it before static destruction begins
/// (not as a global or function-local static): its kernels' ExecutionEngines
/// must not be torn down after LLVM's own globals.
class JIT {
public:
  JIT();
  ~JIT();

  /// Compiles the function `funcName` (or the only function) of `mlirText`.
  llvm::Expected<std::shared_ptr<Kernel>>
  compile(llvm::StringRef mlirText, Target target,
          const CompileOptions &options = {}, llvm::StringRef funcName = "");
  llvm::Expected<std::shared_ptr<Kernel>>
  compile(const AttentionSpec &spec, Target target,
          const CompileOptions &options = {});
  llvm::Expected<std::shared_ptr<Kernel>>
  compile(const LinearAttentionSpec &spec, Target target,
          const CompileOptions &options = {});

  /// How many compilations ran (misses of the in-memory cache).
  int64_t numCompilations() const;
  /// How many of those loaded code an earlier process compiled (the disk
  /// cache: $ATTN_CACHE_DIR, else ~/.cache/attn; "off" disables it).
  int64_t numDiskCacheHits() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace attn

#endif // ATTN_JIT_H
