//===- JIT.cpp - spec -> cached, runnable CPU kernel ----------------------===//
//
// Parses and verifies a spec, lowers it with attn-cpu-pipeline, JIT-compiles
// it with MLIR's ExecutionEngine (host CPU features, O3) and wraps the C
// interface in a Kernel that checks every buffer before calling it.
//
//===----------------------------------------------------------------------===//

#include "attn/JIT.h"

#include "attn/Conversion.h"
#include "attn/Pipelines.h"
#include "KernelHeap.h"
#include "LaunchPlan.h"
#include "Registration.h"
#include "attn/CUDADriver.h"
#include "attn/SpecIR.h"

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/Passes.h"
#include "DiskCache.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#if ATTN_CPU_JIT
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#endif
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/RTDyldObjectLinkingLayer.h"
#include "llvm/ExecutionEngine/SectionMemoryManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <dlfcn.h>
#include <unistd.h>
#include <cstring>
#include <optional>
#include <mutex>
#include <set>

using namespace mlir;

namespace attn {

Kernel::~Kernel() = default;

llvm::Expected<Target> parseTarget(llvm::StringRef name) {
  if (name == "cpu")
    return Target::CPU;
  if (name == "cuda")
    return Target::CUDA;
  return llvm::createStringError("unknown target '" + name +
                                 "' (expected cpu or cuda)");
}

const char *toString(Target t) { return t == Target::CPU ? "cpu" : "cuda"; }

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") +
         (shape[i] == kDynamic ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

std::optional<DType> dtypeOf(Type t) {
  if (t.isF32()) return DType::F32;
  if (t.isF16()) return DType::F16;
  if (t.isBF16()) return DType::BF16;
  if (t.isInteger(32)) return DType::I32;
  if (t.isInteger(64)) return DType::I64;
  if (t.isInteger(1)) return DType::Bool;
  return std::nullopt;
}

/// Collects diagnostics of `ctx` into a string while alive.
struct DiagnosticCapture {
  std::string text;
  ScopedDiagnosticHandler handler;
  explicit DiagnosticCapture(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          text += (text.empty() ? "" : "\n") + d.str();
          return success();
        }) {}
};

/// What every target's kernel shares: the spec function, kept to check
/// run-time shapes with the op verifier, the argument and result types, and
/// the checks every run starts with.
class CheckedKernel : public Kernel {
public:
  CheckedKernel(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> spec,
                std::string name, std::vector<ArgType> args,
                std::vector<ArgType> results)
      : ctx(std::move(ctx)), spec(std::move(spec)), name(std::move(name)),
        args(std::move(args)), res(std::move(results)) {}

  llvm::ArrayRef<ArgType> arguments() const override { return args; }
  llvm::ArrayRef<ArgType> results() const override { return res; }
  llvm::Error run(llvm::ArrayRef<TensorRef> given,
                  llvm::ArrayRef<TensorRef> outs, void *stream) final;
  llvm::Expected<std::vector<std::vector<int64_t>>>
  resultShapes(llvm::ArrayRef<TensorRef> given) override {
    if (given.size() != args.size())
      return fail("the kernel takes " + llvm::Twine(args.size()) +
                  " arguments, got " + llvm::Twine(given.size()));
    for (size_t i = 0; i < given.size(); ++i)
      if (llvm::Error e = checkBuffer("argument", args[i], given[i]))
        return std::move(e);
    return checkShapes(given);
  }

  llvm::Expected<double> time(llvm::ArrayRef<TensorRef> given,
                              llvm::ArrayRef<TensorRef> outs,
                              int64_t repeats) final {
    if (llvm::Error e = check(given, outs))
      return std::move(e);
    return timeLaunches(given, outs, repeats);
  }

protected:
  /// Runs on buffers that passed every check.
  virtual llvm::Error launch(llvm::ArrayRef<TensorRef> given,
                             llvm::ArrayRef<TensorRef> outs,
                             void *stream = nullptr) = 0;
  /// Median seconds of a launch; by default of whole runs.
  virtual llvm::Expected<double> timeLaunches(llvm::ArrayRef<TensorRef> given,
                                              llvm::ArrayRef<TensorRef> outs,
                                              int64_t repeats) {
    for (int w = 0; w < 2; ++w)
      if (llvm::Error e = launch(given, outs))
        return std::move(e);
    std::vector<double> times;
    for (int64_t r = 0; r < std::max<int64_t>(1, repeats); ++r) {
      auto start = std::chrono::steady_clock::now();
      if (llvm::Error e = launch(given, outs))
        return std::move(e);
      times.push_back(std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
  }
  /// The checks of run(): counts, buffers, shapes.
  llvm::Error check(llvm::ArrayRef<TensorRef> given,
                    llvm::ArrayRef<TensorRef> outs);

  std::unique_ptr<MLIRContext> ctx;
  OwningOpRef<ModuleOp> spec;
  std::string name;
  std::vector<ArgType> args, res;

private:
  llvm::Error checkBuffer(const char *what, const ArgType &decl,
                          const TensorRef &t) const;
  llvm::Expected<std::vector<std::vector<int64_t>>>
  checkShapes(llvm::ArrayRef<TensorRef> given);

  std::mutex mutex;
  /// Argument shape lists already verified, with their result shapes.
  std::map<std::vector<std::vector<int64_t>>, std::vector<std::vector<int64_t>>>
      verified;
};

#if ATTN_CPU_JIT
/// A CPU kernel: the lowered function in an ExecutionEngine.
class CPUKernel final : public CheckedKernel {
public:
  /// Code held by `engine` (compiled here) or by `loaded` (an object from
  /// the disk cache); `entry` lives in it.
  CPUKernel(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> spec,
            std::string name, std::vector<ArgType> args,
            std::vector<ArgType> results,
            std::unique_ptr<ExecutionEngine> engine,
            std::unique_ptr<llvm::orc::LLJIT> loaded, void (*entry)(void **))
      : CheckedKernel(std::move(ctx), std::move(spec), std::move(name),
                      std::move(args), std::move(results)),
        engine(std::move(engine)), loaded(std::move(loaded)), entry(entry) {}

private:
  llvm::Error launch(llvm::ArrayRef<TensorRef> given,
                     llvm::ArrayRef<TensorRef> outs, void *stream) override;

  std::unique_ptr<ExecutionEngine> engine;
  std::unique_ptr<llvm::orc::LLJIT> loaded;
  /// The packed C-interface entry point, resolved (compiled) up front.
  void (*entry)(void **);
};
#endif // ATTN_CPU_JIT

llvm::Error CheckedKernel::checkBuffer(const char *what, const ArgType &decl,
                                   const TensorRef &t) const {
  std::string label = std::string(what) + " '" + decl.name + "'";
  // A tensor with a zero dim (B, H or L = 0, as the spec allows) has no
  // element to point at.
  if (!t.data && !llvm::is_contained(t.shape, 0))
    return fail(label + " has a null data pointer");
  if (t.dtype != decl.dtype)
    return fail(label + " has dtype " + toString(t.dtype) + ", the spec needs " +
                toString(decl.dtype));
  if (t.shape.size() != decl.shape.size())
    return fail(label + " has rank " + llvm::Twine(t.shape.size()) +
                ", the spec needs " + shapeStr(decl.shape));
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (t.shape[i] < 0)
      return fail(label + " has a negative dim in " + shapeStr(t.shape));
    if (decl.shape[i] != kDynamic && decl.shape[i] != t.shape[i])
      return fail(label + " has shape " + shapeStr(t.shape) +
                  ", the spec needs " + shapeStr(decl.shape));
  }
  // Sizes and contiguous strides are products of dims: those must fit, also
  // where a zero dim makes the tensor empty (its other dims still enter the
  // strides).
  int64_t bytes = static_cast<int64_t>(sizeOf(t.dtype));
  for (int64_t d : t.shape)
    if (d != 0 && __builtin_mul_overflow(bytes, d, &bytes))
      return fail(label + " has shape " + shapeStr(t.shape) +
                  ": its dims multiply past 2^63 bytes");
  if (!t.strides.empty()) {
    if (t.strides.size() != t.shape.size())
      return fail(label + " has " + llvm::Twine(t.strides.size()) +
                  " strides for rank " + llvm::Twine(t.shape.size()));
    // Kernels vectorize along the innermost dim: it must be contiguous.
    if (!t.shape.empty() && t.shape.back() > 1 && t.strides.back() != 1)
      return fail(label + " has innermost stride " +
                  llvm::Twine(t.strides.back()) +
                  "; the innermost dim must be contiguous (stride 1)");
    for (int64_t s : t.strides)
      if (s < 0)
        return fail(label + " has a negative stride");
  }
  return llvm::Error::success();
}

llvm::Expected<std::vector<std::vector<int64_t>>>
CheckedKernel::checkShapes(llvm::ArrayRef<TensorRef> given) {
  std::vector<std::vector<int64_t>> key;
  for (const TensorRef &t : given)
    key.push_back(t.shape);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = verified.find(key);
  if (it != verified.end())
    return it->second;

  // Re-verify the spec with these concrete shapes: every cross-operand rule
  // of the verifier (groups, head dims, broadcasts) applies at run time too.
  OwningOpRef<ModuleOp> copy = spec->clone();
  auto fn = cast<func::FuncOp>(copy->lookupSymbol(name));
  SmallVector<Type> types;
  for (auto [arg, t] : llvm::zip(fn.getArguments(), given)) {
    auto declared = cast<RankedTensorType>(arg.getType());
    Type concrete = RankedTensorType::get(t.shape, declared.getElementType());
    arg.setType(concrete);
    types.push_back(concrete);
  }
  fn.setFunctionType(FunctionType::get(ctx.get(), types,
                                       fn.getFunctionType().getResults()));
  DiagnosticCapture diags(ctx.get());
  if (failed(verify(*copy)))
    return fail("the inputs do not fit the spec: " + diags.text);

  std::vector<std::vector<int64_t>> resultShapes;
  fn.walk([&](Operation *op) {
    if (auto a = dyn_cast<mlir::attn::AttentionOp>(op)) {
      mlir::attn::AttentionDims d = a.getDims();
      auto o = mlir::attn::fromLogicalBHSD(
          {d.batch, d.qHeads, d.qLen, d.valueDim}, a.getLayout());
      resultShapes.push_back({o.begin(), o.end()});
      if (a.getLse())
        resultShapes.push_back({d.batch, d.qHeads, d.qLen});
    }
    if (auto l = dyn_cast<mlir::attn::LinearAttentionOp>(op)) {
      mlir::attn::AttentionDims d = l.getDims();
      auto o = mlir::attn::fromLogicalBHSD(
          {d.batch, d.qHeads, d.qLen, d.valueDim}, l.getLayout());
      resultShapes.push_back({o.begin(), o.end()});
    }
  });
  if (verified.size() >= 1024) // a bound for kernels fed ever new sizes
    verified.clear();
  verified[key] = resultShapes;
  return resultShapes;
}

/// Words of a ranked memref descriptor: allocated, aligned, offset, sizes,
/// strides.
void appendDescriptor(std::vector<int64_t> &words, void *data,
                      llvm::ArrayRef<int64_t> shape,
                      llvm::ArrayRef<int64_t> strides) {
  words.push_back(reinterpret_cast<int64_t>(data));
  words.push_back(reinterpret_cast<int64_t>(data));
  words.push_back(0);
  words.insert(words.end(), shape.begin(), shape.end());
  words.insert(words.end(), strides.begin(), strides.end());
}

#if ATTN_CPU_JIT
/// Copies a contiguous `src` of `shape` into `dst` with `dstStrides`.
void stridedCopy(const char *src, char *dst, llvm::ArrayRef<int64_t> shape,
                 llvm::ArrayRef<int64_t> dstStrides, size_t elem) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<int64_t> contiguous = TensorRef::contiguousStrides(shape);
  if (std::vector<int64_t>(dstStrides.begin(), dstStrides.end()) == contiguous) {
    std::memcpy(dst, src, n * elem);
    return;
  }
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t e = 0; e < n; ++e) {
    int64_t off = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      off += idx[d] * dstStrides[d];
    std::memcpy(dst + off * elem, src + e * elem, elem);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}
#endif // ATTN_CPU_JIT

llvm::Error CheckedKernel::run(llvm::ArrayRef<TensorRef> given,
                               llvm::ArrayRef<TensorRef> outs, void *stream) {
  if (llvm::Error e = check(given, outs))
    return e;
  return launch(given, outs, stream);
}

llvm::Error CheckedKernel::check(llvm::ArrayRef<TensorRef> given,
                                 llvm::ArrayRef<TensorRef> outs) {
  if (given.size() != args.size())
    return fail("the kernel takes " + llvm::Twine(args.size()) +
                " arguments, got " + llvm::Twine(given.size()));
  if (outs.size() != res.size())
    return fail("the kernel has " + llvm::Twine(res.size()) +
                " results, got " + llvm::Twine(outs.size()) + " buffers");
  for (size_t i = 0; i < given.size(); ++i)
    if (llvm::Error e = checkBuffer("argument", args[i], given[i]))
      return e;
  for (size_t i = 0; i < outs.size(); ++i)
    if (llvm::Error e = checkBuffer("result", res[i], outs[i]))
      return e;
  llvm::Expected<std::vector<std::vector<int64_t>>> expected =
      checkShapes(given);
  if (!expected)
    return expected.takeError();
  for (size_t i = 0; i < outs.size(); ++i)
    if (outs[i].shape != (*expected)[i])
      return fail("result '" + res[i].name + "' has shape " +
                  shapeStr(outs[i].shape) + ", the inputs give " +
                  shapeStr((*expected)[i]));
  return llvm::Error::success();
}

#if ATTN_CPU_JIT
llvm::Error CPUKernel::launch(llvm::ArrayRef<TensorRef> given,
                              llvm::ArrayRef<TensorRef> outs, void *) {
  for (const TensorRef &t : llvm::concat<const TensorRef>(given, outs))
    if (t.memory != Memory::Host)
      return fail("target cpu takes host buffers, got a device pointer");
  // Descriptors of the arguments, then of the results: the pipeline made
  // each result a trailing out-param of identity layout that the kernel
  // writes in place (results-as-out-params). A caller's buffer with other
  // strides, or one that overlaps an argument, gets a contiguous one from
  // the kernel heap and a copy.
  std::vector<std::vector<int64_t>> words(given.size() + outs.size());
  auto describe = [&](std::vector<int64_t> &w, const TensorRef &t) {
    std::vector<int64_t> strides =
        t.strides.empty() ? TensorRef::contiguousStrides(t.shape) : t.strides;
    if (!t.shape.empty() && t.shape.back() <= 1)
      strides.back() = 1;
    appendDescriptor(w, t.data, t.shape, strides);
  };
  for (size_t i = 0; i < given.size(); ++i)
    describe(words[i], given[i]);
  std::vector<void *> staged(outs.size(), nullptr);
  auto freeStaged = [&] {
    for (void *p : staged)
      jit::kernelFree(p);
  };
  // The bytes [first, last] a tensor spans (strides are non-negative and
  // its dims' products fit: checkBuffer); none for an empty tensor.
  auto span = [](const TensorRef &t) -> std::optional<std::pair<uintptr_t, uintptr_t>> {
    std::vector<int64_t> strides =
        t.strides.empty() ? TensorRef::contiguousStrides(t.shape) : t.strides;
    uint64_t last = 0;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] == 0)
        return std::nullopt;
      last += static_cast<uint64_t>(t.shape[d] - 1) * strides[d];
    }
    auto first = reinterpret_cast<uintptr_t>(t.data);
    return std::make_pair(first, first + (last + 1) * sizeOf(t.dtype) - 1);
  };
  // A result written in place must not overlap an argument the kernel is
  // still reading (a caller may pass Q's buffer for O): such a result is
  // staged too.
  auto overlapsAnArgument = [&](const TensorRef &o) {
    auto out = span(o);
    if (!out)
      return false;
    for (const TensorRef &t : given)
      if (auto in = span(t); in && in->first <= out->second &&
                             out->first <= in->second)
        return true;
    return false;
  };
  for (size_t i = 0; i < outs.size(); ++i) {
    const TensorRef &o = outs[i];
    std::vector<int64_t> contiguous = TensorRef::contiguousStrides(o.shape);
    if ((o.strides.empty() || o.strides == contiguous) &&
        !overlapsAnArgument(o)) {
      describe(words[given.size() + i], o);
      continue;
    }
    // The shape matched the inputs' (check), but nothing bounds those: a
    // byte count past size_t is an error, not a wrapped allocation.
    uint64_t bytes = sizeOf(res[i].dtype);
    bool overflow = false;
    for (int64_t d : o.shape)
      overflow |= __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes);
    if (overflow) {
      freeStaged();
      return fail("result '" + res[i].name + "' of shape " +
                  shapeStr(o.shape) + " does not fit in memory");
    }
    staged[i] = jit::kernelMalloc(std::max<uint64_t>(bytes, 1));
    if (!staged[i]) {
      freeStaged();
      return fail("out of memory for a contiguous copy of result '" +
                  res[i].name + "'");
    }
    appendDescriptor(words[given.size() + i], staged[i], o.shape, contiguous);
  }
  std::vector<void *> pointers;
  for (auto &w : words)
    pointers.push_back(w.data());
  std::vector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  entry(packed.data());

  for (size_t i = 0; i < outs.size(); ++i) {
    if (!staged[i])
      continue;
    stridedCopy(static_cast<const char *>(staged[i]),
                static_cast<char *>(outs[i].data), outs[i].shape,
                outs[i].strides, sizeOf(res[i].dtype));
    jit::kernelFree(staged[i]);
  }
  return llvm::Error::success();
}
#endif // ATTN_CPU_JIT

std::vector<ArgType> typesOf(TypeRange types,
                             llvm::ArrayRef<std::vector<std::string>> roles) {
  std::vector<ArgType> out;
  for (auto [i, t] : llvm::enumerate(types)) {
    auto tensor = cast<RankedTensorType>(t);
    ArgType a;
    if (i < roles.size())
      a.roles = roles[i];
    a.name = a.roles.empty() ? "#" + std::to_string(i) : a.roles.front();
    a.dtype = *dtypeOf(tensor.getElementType());
    for (int64_t d : tensor.getShape())
      a.shape.push_back(ShapedType::isDynamic(d) ? kDynamic : d);
    out.push_back(a);
  }
  return out;
}

/// The operand roles ("query", "key", ...) each function argument feeds,
/// in operand order: one argument may feed several.
std::vector<std::vector<std::string>> argumentRoles(func::FuncOp fn) {
  std::vector<std::vector<std::string>> roles(fn.getNumArguments());
  auto note = [&](llvm::ArrayRef<const char *> names, ValueRange operands) {
    for (auto [n, v] : llvm::zip(names, operands))
      if (auto arg = dyn_cast_or_null<BlockArgument>(v))
        roles[arg.getArgNumber()].push_back(n);
  };
  fn.walk([&](mlir::attn::AttentionOp op) {
    note({"query", "key", "value", "bias", "mask", "kv_lengths", "doc_q",
          "doc_k", "global_tokens"},
         {op.getQuery(), op.getKey(), op.getValue(), op.getBias(),
          op.getMask(), op.getKvLengths(), op.getDocQ(), op.getDocK(),
          op.getGlobalTokens()});
  });
  fn.walk([&](mlir::attn::LinearAttentionOp op) {
    note({"query", "key", "value", "projection"},
         {op.getQuery(), op.getKey(), op.getValue(), op.getProjection()});
  });
  return roles;
}

} // namespace

namespace {
#if ATTN_CPU_JIT
/// Loads libomp once for the whole process and never unloads it: kernels
/// resolve __kmpc_* through the process, and OpenMP's worker threads outlive
/// any one ExecutionEngine (unloading it under them crashes at exit).
llvm::Error loadOpenMPRuntime() {
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    // Idle workers spin for 1 ms, then sleep: kernels return to callers
    // that may run other threads, but waking sleeping workers for every
    // call cost ~90 us on this 2-core VM (a tiny attention: 99 us at 0 ms,
    // 2 us at 1 ms), which decode-sized calls and back-to-back layers pay.
    // libomp's own default is 200 ms. The caller's KMP_BLOCKTIME wins.
    setenv("KMP_BLOCKTIME", "1", /*overwrite=*/0);
    if (!dlopen(ATTN_OPENMP_RUNTIME, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE)) {
      const char *why = dlerror();
      error = std::string("cannot load the OpenMP runtime ") +
              ATTN_OPENMP_RUNTIME + ": " + (why ? why : "unknown error");
    }
  });
  if (!error.empty())
    return fail(error);
  return llvm::Error::success();
}
#endif // ATTN_CPU_JIT
/// A CUDA kernel: PTX from attn-gpu-pipeline loaded through the driver and
/// the launches of the lowered host function (LaunchPlan.h), run in order.
/// Parameters are memref descriptors (allocated, aligned, offset, sizes,
/// strides) of views of the function's arguments and results.
class CUDAKernel final : public CheckedKernel {
public:
  struct Step {
    jit::LaunchStep plan;
    cuda::Function fn;
  };

  CUDAKernel(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> spec,
             std::string name, std::vector<ArgType> args,
             std::vector<ArgType> results, OwningOpRef<ModuleOp> lowered,
             std::vector<Step> steps)
      : CheckedKernel(std::move(ctx), std::move(spec), std::move(name),
                      std::move(args), std::move(results)),
        lowered(std::move(lowered)), steps(std::move(steps)) {}

  /// A device buffer of an argument or result.
  struct Bound {
    char *data;
    std::vector<int64_t> shape, strides;
    size_t elem;
  };

private:
  /// Device copies of a run's host buffers.
  struct Copies {
    std::vector<cuda::DevicePtr> owned;
    std::vector<Bound> args, outs;
    ~Copies() {
      for (cuda::DevicePtr p : owned)
        cuda::free(p);
    }
  };
  llvm::Expected<std::unique_ptr<Copies>>
  prepare(llvm::ArrayRef<TensorRef> given, llvm::ArrayRef<TensorRef> outs);
  /// A launch with its grid and parameter words, for given buffers.
  struct Ready {
    cuda::Function fn;
    unsigned grid[3];
    unsigned block, shared;
    std::vector<int64_t> words;
    /// Where each kernel parameter starts in `words` (a memref descriptor
    /// is several parameters of one word, a tensor map one of 16 words).
    std::vector<size_t> starts;
  };
  /// The launch plan evaluated for one list of argument shapes (index
  /// arithmetic over the host function's IR, tens of microseconds): the
  /// grids, each parameter's view shape, the scratch layout. Memoized per
  /// shape list, so a call with known shapes only fills in addresses.
  struct Evaluated {
    struct Launch {
      unsigned grid[3] = {0, 0, 0};
      bool empty = false;
      std::vector<std::vector<int64_t>> shapes;
      std::vector<size_t> scratchOffsets;
    };
    std::vector<Launch> launches;
    size_t scratchBytes = 0;
  };
  llvm::Expected<std::shared_ptr<const Evaluated>>
  evaluated(llvm::ArrayRef<Bound> args) const;
  mutable std::mutex evaluatedMutex;
  mutable std::map<std::vector<std::vector<int64_t>>,
                   std::shared_ptr<const Evaluated>>
      evaluatedPlans;
  /// Binds the launches to these buffers (once per run: the timed loop
  /// only launches).
  llvm::Expected<std::vector<Ready>> bindLaunches(llvm::ArrayRef<Bound> args,
                                                  llvm::ArrayRef<Bound> outs) const;
  static llvm::Error appendTensorMap(Ready &r, const jit::ParamSource &p,
                                     char *data, llvm::ArrayRef<int64_t> shape,
                                     const Bound &base);
  llvm::Error go(llvm::ArrayRef<Ready> ready, void *stream = nullptr);
  llvm::Error launch(llvm::ArrayRef<TensorRef> given,
                     llvm::ArrayRef<TensorRef> outs, void *stream) override;
  llvm::Expected<double> timeLaunches(llvm::ArrayRef<TensorRef> given,
                                      llvm::ArrayRef<TensorRef> outs,
                                      int64_t repeats) override;

  /// Device memory of at least `bytes` for scratch buffers, kept for later
  /// runs (and poisoned with NaN bytes when allocated, so a kernel that
  /// reads scratch before writing it cannot look right). Runs of one kernel
  /// object share it: concurrent runs on different streams need separate
  /// kernel objects.
  llvm::Expected<char *> growScratch(size_t bytes) const {
    std::lock_guard<std::mutex> lock(scratchMutex);
    if (bytes > scratchSize) {
      if (scratchBase) {
        if (llvm::Error e = cuda::synchronize()) // in use by earlier launches
          return std::move(e);
        cuda::free(scratchBase);
        scratchBase = 0;
        scratchSize = 0;
      }
      auto p = cuda::alloc(bytes);
      if (!p)
        return p.takeError();
      if (llvm::Error e = cuda::fill(*p, 0xFF, bytes))
        return std::move(e);
      scratchBase = *p;
      scratchSize = bytes;
    }
    return reinterpret_cast<char *>(scratchBase);
  }

  /// The lowered module, whose host function the steps refer to.
  OwningOpRef<ModuleOp> lowered;
  std::vector<Step> steps;
  mutable std::mutex scratchMutex;
  mutable cuda::DevicePtr scratchBase = 0;
  mutable size_t scratchSize = 0;

public:
  ~CUDAKernel() override {
    if (scratchBase)
      cuda::free(scratchBase);
  }
};

/// A caller's buffer as bound to the kernel (contiguous strides if none).
static CUDAKernel::Bound bind(const TensorRef &t) {
  std::vector<int64_t> strides =
      t.strides.empty() ? TensorRef::contiguousStrides(t.shape) : t.strides;
  if (!t.shape.empty() && t.shape.back() <= 1)
    strides.back() = 1;
  return {static_cast<char *>(t.data), t.shape, strides, sizeOf(t.dtype)};
}

llvm::Expected<std::unique_ptr<CUDAKernel::Copies>>
CUDAKernel::prepare(llvm::ArrayRef<TensorRef> given,
                    llvm::ArrayRef<TensorRef> outs) {
  auto c = std::make_unique<Copies>();
  auto bytesOf = [](const TensorRef &t) {
    size_t n = sizeOf(t.dtype);
    for (int64_t d : t.shape)
      n *= d;
    return n;
  };
  auto contiguous = [](const TensorRef &t) {
    return t.strides.empty() ||
           t.strides == TensorRef::contiguousStrides(t.shape);
  };
  // Host buffers go through contiguous device copies; outputs are NaN until
  // written, so rows the kernel misses cannot look right.
  auto copy = [&](const TensorRef &t, bool isOut,
                  const std::string &name) -> llvm::Expected<Bound> {
    if (!contiguous(t))
      return fail("cuda: host buffer '" + name + "' must be contiguous");
    auto p = cuda::alloc(std::max<size_t>(bytesOf(t), 1));
    if (!p)
      return p.takeError();
    c->owned.push_back(*p);
    if (bytesOf(t) > 0) { // an empty tensor (a zero dim) has nothing to copy
      llvm::Error e = isOut ? cuda::fill(*p, 0xFF, bytesOf(t))
                            : cuda::copyToDevice(*p, t.data, bytesOf(t));
      if (e)
        return std::move(e);
    }
    TensorRef device = t;
    device.data = reinterpret_cast<void *>(*p);
    return bind(device);
  };
  for (auto [i, t] : llvm::enumerate(given)) {
    auto b = copy(t, false, args[i].name);
    if (!b)
      return b.takeError();
    c->args.push_back(std::move(*b));
  }
  for (auto [i, t] : llvm::enumerate(outs)) {
    auto b = copy(t, true, res[i].name);
    if (!b)
      return b.takeError();
    c->outs.push_back(std::move(*b));
  }
  return c;
}

llvm::Expected<std::shared_ptr<const CUDAKernel::Evaluated>>
CUDAKernel::evaluated(llvm::ArrayRef<Bound> args) const {
  std::vector<std::vector<int64_t>> shapes;
  for (const Bound &b : args)
    shapes.push_back(b.shape);
  std::lock_guard<std::mutex> lock(evaluatedMutex);
  auto it = evaluatedPlans.find(shapes);
  if (it != evaluatedPlans.end())
    return it->second;
  auto multiprocessors = cuda::multiprocessorCount();
  if (!multiprocessors)
    return multiprocessors.takeError();
  auto plan = std::make_shared<Evaluated>();
  Evaluated &e = *plan;
  // Scratch buffers: one region of the kernel's pool each, 256-byte
  // aligned, sized for these shapes.
  llvm::DenseMap<void *, size_t> scratch;
  for (const Step &step : steps)
    for (const jit::ParamSource &p : step.plan.params) {
      if (!p.isScratch || scratch.count(p.value.getAsOpaquePointer()))
        continue;
      auto shape = jit::shapeOf(p.value, shapes, *multiprocessors);
      if (!shape)
        return shape.takeError();
      // Shapes come from the caller's sizes: refuse what overflows.
      int64_t bytes = mlir::cast<mlir::ShapedType>(p.value.getType())
                          .getElementTypeBitWidth() / 8;
      for (int64_t d : *shape)
        if (d < 0 || llvm::MulOverflow(bytes, d, bytes))
          return fail("cuda: a scratch buffer's size overflows");
      scratch[p.value.getAsOpaquePointer()] = e.scratchBytes;
      e.scratchBytes += (static_cast<size_t>(bytes) + 255) / 256 * 256;
    }
  for (const Step &step : steps) {
    Evaluated::Launch l;
    for (int i = 0; i < 3; ++i) {
      auto g = jit::evaluate(step.plan.grid[i], shapes, *multiprocessors);
      if (!g)
        return g.takeError();
      if (*g < 0 || *g > std::numeric_limits<int32_t>::max())
        return fail("cuda: grid size " + llvm::Twine(*g) + " out of range");
      l.grid[i] = static_cast<unsigned>(*g);
      l.empty |= *g == 0;
    }
    for (const jit::ParamSource &p : step.plan.params) {
      if (l.empty)
        break; // never launched: its views need not be evaluable
      auto shape = jit::shapeOf(p.value, shapes, *multiprocessors);
      if (!shape)
        return shape.takeError();
      l.shapes.push_back(std::move(*shape));
      size_t offset = 0;
      if (p.isScratch) {
        auto at = scratch.find(p.value.getAsOpaquePointer());
        if (at == scratch.end())
          return fail("cuda: a scratch buffer was not sized");
        offset = at->second;
      }
      l.scratchOffsets.push_back(offset);
    }
    e.launches.push_back(std::move(l));
  }
  // A bound on the memory of a kernel called with ever new sizes (callers
  // hold their plan by shared_ptr).
  if (evaluatedPlans.size() >= 1024)
    evaluatedPlans.clear();
  evaluatedPlans.emplace(std::move(shapes), plan);
  return plan;
}

llvm::Expected<std::vector<CUDAKernel::Ready>>
CUDAKernel::bindLaunches(llvm::ArrayRef<Bound> args,
                         llvm::ArrayRef<Bound> outs) const {
  auto plan = evaluated(args);
  if (!plan)
    return plan.takeError();
  const Evaluated &e = **plan;
  char *scratchPool = nullptr;
  if (e.scratchBytes) {
    auto pool = growScratch(e.scratchBytes);
    if (!pool)
      return pool.takeError();
    scratchPool = *pool;
  }
  std::vector<Ready> ready;
  for (auto [step, l] : llvm::zip(steps, e.launches)) {
    if (l.empty)
      continue; // nothing to compute
    Ready r{step.fn,
            {l.grid[0], l.grid[1], l.grid[2]},
            static_cast<unsigned>(step.plan.blockThreads),
            static_cast<unsigned>(step.plan.sharedBytes),
            {},
            {}};
    for (auto [i, p] : llvm::enumerate(step.plan.params)) {
      llvm::ArrayRef<int64_t> shape = l.shapes[i];
      if (p.isScratch) {
        char *data = scratchPool + l.scratchOffsets[i];
        std::vector<int64_t> strides = TensorRef::contiguousStrides(shape);
        if (p.tensorMapRows) { // a kernel's output read by the next by TMA
          Bound scratch{data, std::vector<int64_t>(shape), strides,
                        static_cast<size_t>(
                            mlir::cast<mlir::ShapedType>(p.value.getType())
                                .getElementTypeBitWidth() /
                            8)};
          if (llvm::Error e = appendTensorMap(r, p, data, shape, scratch))
            return std::move(e);
          continue;
        }
        size_t first = r.words.size();
        appendDescriptor(r.words, data, shape, strides);
        for (size_t w = first; w < r.words.size(); ++w)
          r.starts.push_back(w);
        continue;
      }
      const Bound &base = p.isResult ? outs[p.index] : args[p.index];
      char *data = base.data;
      for (size_t i = 0; i < p.offsets.size(); ++i)
        data += p.offsets[i] * base.strides[i] * base.elem;
      // Kernels that load rows in pieces need aligned starts and rows.
      int64_t align = p.alignment;
      bool aligned = reinterpret_cast<uintptr_t>(data) % align == 0;
      for (size_t i = 0; i + 1 < base.strides.size(); ++i)
        aligned &= (base.strides[i] * static_cast<int64_t>(base.elem)) %
                       align == 0;
      if (!aligned)
        return fail("cuda: kernel " + step.plan.kernel +
                    " needs device buffers and row strides aligned to " +
                    llvm::Twine(align) + " bytes");
      if (p.tensorMapRows) {
        if (llvm::Error e = appendTensorMap(r, p, data, shape, base))
          return std::move(e);
        continue;
      }
      size_t first = r.words.size();
      appendDescriptor(r.words, data, shape, base.strides);
      for (size_t w = first; w < r.words.size(); ++w)
        r.starts.push_back(w);
    }
    ready.push_back(std::move(r));
  }
  return ready;
}

/// The CUtensorMap of a Q/K/V view (attn.tensor_map): 4-D over (D, S, H,
/// B) with the buffer's strides, boxes of 64 x rows, appended by value.
llvm::Error CUDAKernel::appendTensorMap(Ready &r, const jit::ParamSource &p,
                                       char *data,
                                       llvm::ArrayRef<int64_t> shape,
                                       const Bound &base) {
  const int s = p.bshd ? 1 : 2, h = p.bshd ? 2 : 1;
  const int order[4] = {3, s, h, 0}; // stored dims, innermost first
  cuda::TensorMapRequest q;
  q.address = data;
  // TMA takes no empty dim. A launched kernel never reads through the map
  // of an empty view (B, H or Lq = 0 launch nothing; with Lk = 0 no tile
  // has a key block to load), so it is encoded as a contiguous map of the
  // view's dims with 0 raised to 1: its strides must stay legal too.
  const bool empty = llvm::is_contained(shape, 0);
  int64_t inner = 1;
  for (int i = 0; i < 4; ++i) {
    q.dims[i] = std::max<int64_t>(shape[order[i]], 1);
    // A dim of extent 1 is never stepped over; any legal stride will do.
    q.strides[i] = (q.dims[i] == 1 || empty) && i > 0
                       ? inner
                       : base.strides[order[i]];
    inner = q.strides[i] * q.dims[i];
  }
  q.box[0] = 64;
  q.box[1] = static_cast<unsigned>(p.tensorMapRows);
  q.box[2] = q.box[3] = 1;
  q.elementBytes = static_cast<int>(base.elem);
  q.bfloat16 = mlir::cast<mlir::ShapedType>(p.value.getType())
                   .getElementType()
                   .isBF16();
  auto map = cuda::encodeTensorMap(q);
  if (!map)
    return map.takeError();
  r.starts.push_back(r.words.size());
  const size_t words = sizeof(map->bytes) / sizeof(int64_t);
  r.words.resize(r.words.size() + words);
  std::memcpy(&r.words[r.starts.back()], map->bytes, sizeof(map->bytes));
  return llvm::Error::success();
}

llvm::Error CUDAKernel::go(llvm::ArrayRef<Ready> ready, void *stream) {
  for (const Ready &r : ready) {
    std::vector<int64_t> words = r.words; // the driver reads them by address
    std::vector<void *> params;
    for (size_t start : r.starts)
      params.push_back(&words[start]);
    if (llvm::Error e = cuda::launch(r.fn, r.grid[0], r.grid[1], r.grid[2],
                                     r.block, params.data(), stream, r.shared))
      return e;
  }
  return llvm::Error::success();
}

llvm::Error CUDAKernel::launch(llvm::ArrayRef<TensorRef> given,
                               llvm::ArrayRef<TensorRef> outs, void *stream) {
  size_t onDevice = 0, total = given.size() + outs.size();
  for (const TensorRef &t : llvm::concat<const TensorRef>(given, outs))
    onDevice += t.memory == Memory::Device;
  if (onDevice == total) {
    std::vector<Bound> args, results;
    for (const TensorRef &t : given)
      args.push_back(bind(t));
    for (const TensorRef &t : outs)
      results.push_back(bind(t));
    auto ready = bindLaunches(args, results);
    if (!ready)
      return ready.takeError();
    return go(*ready, stream);
  }
  if (onDevice != 0)
    return fail("cuda: buffers must be all on the host or all on the device");
  auto c = prepare(given, outs);
  if (!c)
    return c.takeError();
  auto ready = bindLaunches((*c)->args, (*c)->outs);
  if (!ready)
    return ready.takeError();
  if (llvm::Error e = go(*ready))
    return e;
  if (llvm::Error e = cuda::synchronize())
    return e;
  for (size_t i = 0; i < outs.size(); ++i) {
    size_t bytes = sizeOf(outs[i].dtype);
    for (int64_t d : outs[i].shape)
      bytes *= d;
    if (bytes == 0)
      continue;
    if (llvm::Error e = cuda::copyToHost(
            outs[i].data, reinterpret_cast<cuda::DevicePtr>((*c)->outs[i].data),
            bytes))
      return e;
  }
  return llvm::Error::success();
}

llvm::Expected<double> CUDAKernel::timeLaunches(llvm::ArrayRef<TensorRef> given,
                                                llvm::ArrayRef<TensorRef> outs,
                                                int64_t repeats) {
  auto c = prepare(given, outs);
  if (!c)
    return c.takeError();
  auto ready = bindLaunches((*c)->args, (*c)->outs);
  if (!ready)
    return ready.takeError();
  for (int w = 0; w < 3; ++w) // warm-up
    if (llvm::Error e = go(*ready))
      return std::move(e);
  std::vector<double> times;
  for (int64_t r = 0; r < std::max<int64_t>(1, repeats); ++r) {
    auto ms = cuda::timeMs([&] { return go(*ready); });
    if (!ms)
      return ms.takeError();
    times.push_back(*ms / 1e3);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

/// Lowers the spec with attn-gpu-pipeline for this device's chip, or reads
/// what an earlier process lowered for the same `cacheKey` and chip from the
/// disk cache (DiskCache.h): the lowered module as text, i.e. the host
/// function the launch plan is read from and the gpu.binary holding the
/// PTX. The driver keeps its own cache of the PTX's machine code
/// (~/.nv/ComputeCache), so a hit skips both our compiler and ptxas.
llvm::Expected<std::shared_ptr<Kernel>>
compileCUDA(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> module,
            OwningOpRef<ModuleOp> spec, std::string name,
            std::vector<ArgType> argTypes, std::vector<ArgType> resultTypes,
            const CompileOptions &options, llvm::StringRef cacheKey,
            bool &fromDisk) {
  auto chip = cuda::deviceChip();
  if (!chip)
    return chip.takeError();

  std::optional<std::string> cacheDir = jit::diskCacheDir();
  std::string diskKey = (cacheKey + "|" + *chip).str();
  if (cacheDir)
    if (auto text = jit::diskCacheLoad(*cacheDir, diskKey)) {
      DiagnosticCapture quiet(ctx.get()); // a bad entry is only a miss
      OwningOpRef<ModuleOp> cached =
          parseSourceString<ModuleOp>(text->getBuffer(), ctx.get());
      if (cached && llvm::isa_and_nonnull<func::FuncOp>(
                        cached->lookupSymbol(name))) {
        module = std::move(cached);
        fromDisk = true;
      }
      // An entry that does not parse is lowered again and replaced.
    }

  if (!fromDisk) {
    DiagnosticCapture diags(ctx.get());
    PassManager pm(ctx.get());
    if (llvm::Error e = buildGPUPipeline(
            pm, options.gpu, *chip, "isa",
            GPUPipelineOptions().libdevice.getValue()))
      return std::move(e);
    if (failed(pm.run(*module)))
      return fail("lowering '" + name + "' for cuda failed: " + diags.text);
    if (cacheDir) {
      std::string text;
      llvm::raw_string_ostream os(text);
      module->print(os);
      jit::diskCacheStore(*cacheDir, diskKey, text);
    }
  }

  std::string ptx;
  module->walk([&](gpu::BinaryOp binary) {
    for (Attribute object : binary.getObjects())
      ptx = cast<gpu::ObjectAttr>(object).getObject().getValue().str();
  });
  auto plan = jit::planLaunches(cast<func::FuncOp>(module->lookupSymbol(name)));
  if (!plan)
    return plan.takeError();
  if (ptx.empty())
    return fail("cuda: the GPU pipeline produced no kernel for '" + name + "'");
  auto cuModule = cuda::loadModule(ptx);
  if (!cuModule)
    return cuModule.takeError();
  std::vector<CUDAKernel::Step> steps;
  for (jit::LaunchStep &s : *plan) {
    auto cuFn = cuda::getFunction(*cuModule, s.kernel);
    if (!cuFn)
      return cuFn.takeError();
    if (s.sharedBytes > 48 * 1024)
      if (llvm::Error e = cuda::allowDynamicSharedMemory(
              *cuFn, static_cast<unsigned>(s.sharedBytes)))
        return std::move(e);
    steps.push_back({std::move(s), *cuFn});
  }
  return std::make_shared<CUDAKernel>(
      std::move(ctx), std::move(spec), std::move(name), std::move(argTypes),
      std::move(resultTypes), std::move(module), std::move(steps));
}

#if ATTN_CPU_JIT
/// The vector features of the CPU `builder` targets ("+avx512f" or
/// "+avx,+avx2,+fma", ...) for attn::cpuKernelShape, after checking that a
/// CPU asked for by name runs on this host.
llvm::Expected<std::string>
cpuFeatures(llvm::orc::JITTargetMachineBuilder &builder, llvm::StringRef cpu) {
  auto tm = builder.createTargetMachine();
  if (!tm)
    return tm.takeError();
  const llvm::MCSubtargetInfo *sti = (*tm)->getMCSubtargetInfo();
  if (!cpu.empty() && !sti->isCPUStringValid(cpu))
    return fail("cpu: unknown CPU '" + cpu + "' for " +
                (*tm)->getTargetTriple().str());
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::string out;
  // Only names the target knows: checkFeatures aborts on others.
  std::vector<const char *> names;
  if ((*tm)->getTargetTriple().isX86())
    names = {"avx", "avx2", "fma", "avx512f"};
  else if ((*tm)->getTargetTriple().isAArch64())
    names = {"neon"};
  for (const char *f : names) {
    if (!sti->checkFeatures(std::string("+") + f))
      continue;
    if (!cpu.empty() && !host.lookup(f))
      return fail("cpu: '" + cpu + "' needs " + f +
                  ", which this host lacks");
    out += (out.empty() ? "+" : ",+") + std::string(f);
  }
  return out;
}
#endif

#if ATTN_CPU_JIT
/// The symbols compiled CPU kernels call into this process for: copies
/// between strided buffers (e.g. the head slices of mixed heads) lower to a
/// call of MLIR's runtime support library; the kernel's allocations come
/// from the kernel heap (KernelHeap.h: large results and scratch reuse
/// mapped pages across calls).
llvm::orc::SymbolMap runtimeSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap symbols;
  auto bind = [&](const char *name, auto *fn) {
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                               llvm::JITSymbolFlags::Exported};
  };
  bind("memrefCopy", &memrefCopy);
  bind("_mlir_memref_to_llvm_alloc", &jit::kernelMalloc);
  bind("_mlir_memref_to_llvm_free", &jit::kernelFree);
  return symbols;
}

/// The packed entry point of a kernel in the object code (MLIR's
/// ExecutionEngine names it `_mlir_` + the C-interface name).
std::string packedEntryName(llvm::StringRef name) {
  return "_mlir__mlir_ciface_" + name.str();
}

/// A kernel from an object file of the disk cache, linked as the
/// ExecutionEngine links the ones it compiles (RuntimeDyld, this process's
/// symbols, the runtime symbols above); null if it does not link.
std::unique_ptr<llvm::orc::LLJIT>
linkCachedObject(llvm::orc::JITTargetMachineBuilder tmBuilder,
                 std::unique_ptr<llvm::MemoryBuffer> object,
                 llvm::StringRef name, void (**entry)(void **)) {
  auto jit =
      llvm::orc::LLJITBuilder()
          .setJITTargetMachineBuilder(std::move(tmBuilder))
          .setObjectLinkingLayerCreator([](llvm::orc::ExecutionSession &es)
                                            -> llvm::Expected<std::unique_ptr<
                                                llvm::orc::ObjectLayer>> {
            return std::make_unique<llvm::orc::RTDyldObjectLinkingLayer>(
                es, [](const llvm::MemoryBuffer &) {
                  return std::make_unique<llvm::SectionMemoryManager>();
                });
          })
          .create();
  if (!jit) {
    llvm::consumeError(jit.takeError());
    return nullptr;
  }
  llvm::orc::JITDylib &main = (*jit)->getMainJITDylib();
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process) {
    llvm::consumeError(process.takeError());
    return nullptr;
  }
  main.addGenerator(std::move(*process));
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                        (*jit)->getDataLayout());
  if (llvm::Error e = main.define(
          llvm::orc::absoluteSymbols(runtimeSymbols(interner)))) {
    llvm::consumeError(std::move(e));
    return nullptr;
  }
  if (llvm::Error e = (*jit)->addObjectFile(std::move(object))) {
    llvm::consumeError(std::move(e));
    return nullptr;
  }
  auto addr = (*jit)->lookup(packedEntryName(name));
  if (!addr) {
    llvm::consumeError(addr.takeError());
    return nullptr;
  }
  *entry = addr->toPtr<void (*)(void **)>();
  return std::move(*jit);
}

/// The object code `engine` compiled (it was created with object dumping
/// on), read back through the file it can write it to; empty on failure.
std::string compiledObject(ExecutionEngine &engine) {
  llvm::SmallString<128> path;
  int fd = -1;
  if (llvm::sys::fs::createTemporaryFile("attn-kernel", "o", fd, path))
    return {};
  ::close(fd);
  llvm::scope_exit removeFile([&] { llvm::sys::fs::remove(path); });
  engine.dumpToObjectFile(path);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}
#endif // ATTN_CPU_JIT

/// Lowers the spec with attn-cpu-pipeline and JIT-compiles it, or loads
/// what an earlier process compiled for the same `cacheKey` from the disk
/// cache (DiskCache.h).
llvm::Expected<std::shared_ptr<Kernel>>
compileCPU(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> module,
           OwningOpRef<ModuleOp> spec, const std::string &name,
           std::vector<ArgType> argTypes, std::vector<ArgType> resultTypes,
           const CompileOptions &options, llvm::StringRef cacheKey,
           bool &fromDisk) {
  // Lower to the LLVM dialect.
#if ATTN_CPU_JIT
  auto fn = cast<func::FuncOp>(module->lookupSymbol(name));
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx.get()));
  // The host's CPU and features, or the CPU asked for (which must run
  // here). The optimizing transformer keeps a raw pointer to its
  // TargetMachine, which must outlive code generation: own it here and
  // finish compiling (lookupPacked) before it goes away.
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return tmBuilder.takeError();
  tmBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  if (!options.cpu.empty()) {
    tmBuilder->setCPU(options.cpu);
    tmBuilder->getFeatures() = llvm::SubtargetFeatures();
  }
  auto features = cpuFeatures(*tmBuilder, options.cpu);
  if (!features)
    return features.takeError();
  if (options.parallel)
    if (llvm::Error e = loadOpenMPRuntime())
      return std::move(e);

  // The disk cache's key adds what the code was generated for.
  std::optional<std::string> cacheDir = jit::diskCacheDir();
  std::string diskKey = (cacheKey + "|" + tmBuilder->getTargetTriple().str() +
                         "|" + tmBuilder->getCPU() + "|" +
                         tmBuilder->getFeatures().getString() + "|" +
                         *features)
                            .str();
  if (cacheDir)
    if (auto object = jit::diskCacheLoad(*cacheDir, diskKey)) {
      void (*entry)(void **) = nullptr;
      if (auto linked =
              linkCachedObject(*tmBuilder, std::move(object), name, &entry)) {
        fromDisk = true;
        return std::make_shared<CPUKernel>(
            std::move(ctx), std::move(spec), name, std::move(argTypes),
            std::move(resultTypes), nullptr, std::move(linked), entry);
      }
      // An entry that does not link is compiled again and replaced.
    }

  DiagnosticCapture diags(ctx.get());
  PassManager pm(ctx.get());
  CPUPipelineOptions pipelineOptions;
  pipelineOptions.blockQ = options.blockQ;
  pipelineOptions.blockKV = options.blockKV;
  pipelineOptions.vectorWidth = options.vectorWidth;
  pipelineOptions.targetFeatures = *features;
  pipelineOptions.parallel = options.parallel;
  pipelineOptions.genericAlloc = true; // bound to the kernel heap below
  pipelineOptions.resultsAsOutParams = true; // written in the caller's buffers
  buildCPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return fail("lowering '" + name + "' for the cpu failed: " + diags.text);

  auto optTM = tmBuilder->createTargetMachine();
  auto engineTM = tmBuilder->createTargetMachine();
  if (!optTM)
    return optTM.takeError();
  if (!engineTM)
    return engineTM.takeError();
  auto transformer = makeOptimizingTransformer(3, 0, optTM->get());
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  // No debugger registration; perf's JIT interface only on request
  // (ATTN_JIT_PERF=1; then `perf record -k 1` and `perf inject --jit`).
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener =
      std::getenv("ATTN_JIT_PERF") != nullptr;
  engineOptions.enableObjectDump = cacheDir.has_value();
  auto engine =
      ExecutionEngine::create(*module, engineOptions, std::move(*engineTM));
  if (!engine)
    return engine.takeError();
  (*engine)->registerSymbols(runtimeSymbols);
  auto entry = (*engine)->lookupPacked("_mlir_ciface_" + name);
  if (!entry)
    return entry.takeError();
  if (cacheDir) {
    std::string object = compiledObject(**engine);
    if (!object.empty())
      jit::diskCacheStore(*cacheDir, diskKey, object);
  }

  return std::make_shared<CPUKernel>(std::move(ctx), std::move(spec), name,
                                     std::move(argTypes),
                                     std::move(resultTypes),
                                     std::move(*engine), nullptr, *entry);
#else
  return fail("target cpu is not built into this static bundle (its "
              "ExecutionEngine needs libMLIR.so); use the normal build");
#endif
}


} // namespace

struct JIT::Impl {
  std::mutex mutex;
  llvm::StringMap<std::shared_ptr<Kernel>> cache;
  int64_t compilations = 0;
  int64_t diskHits = 0;
};

JIT::JIT() : impl(std::make_unique<Impl>()) {
  static std::once_flag init;
  std::call_once(init, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // The pipelines are assembled from pass names.
    registerJITPasses();
  });
}

JIT::~JIT() = default;

int64_t JIT::numCompilations() const {
  std::lock_guard<std::mutex> lock(impl->mutex);
  return impl->compilations;
}

int64_t JIT::numDiskCacheHits() const {
  std::lock_guard<std::mutex> lock(impl->mutex);
  return impl->diskHits;
}

namespace {
/// The printed module of a spec built from C++.
template <typename SpecT, typename BuildFn>
llvm::Expected<std::string> specText(const SpecT &spec, BuildFn build) {
  MLIRContext ctx;
  auto module = build(ctx, spec);
  if (!module)
    return module.takeError();
  std::string text;
  llvm::raw_string_ostream os(text);
  (*module)->print(os);
  return text;
}
} // namespace

llvm::Expected<std::shared_ptr<Kernel>>
JIT::compile(const AttentionSpec &spec, Target target,
             const CompileOptions &options) {
  auto text = specText(spec, [](MLIRContext &ctx, const AttentionSpec &s) {
    return buildAttentionModule(ctx, s);
  });
  if (!text)
    return text.takeError();
  return compile(*text, target, options);
}

llvm::Expected<std::shared_ptr<Kernel>>
JIT::compile(const LinearAttentionSpec &spec, Target target,
             const CompileOptions &options) {
  auto text =
      specText(spec, [](MLIRContext &ctx, const LinearAttentionSpec &s) {
        return buildLinearAttentionModule(ctx, s);
      });
  if (!text)
    return text.takeError();
  return compile(*text, target, options);
}

llvm::Expected<std::shared_ptr<Kernel>>
JIT::compile(llvm::StringRef mlirText, Target target,
             const CompileOptions &options, llvm::StringRef funcName) {

  DialectRegistry registry;
  registerJITDialects(registry);
  auto ctx = std::make_unique<MLIRContext>(registry);
  ctx->loadAllAvailableDialects();

  llvm::Expected<OwningOpRef<ModuleOp>> parsed =
      parseSpecModule(*ctx, mlirText);
  if (!parsed)
    return parsed.takeError();
  OwningOpRef<ModuleOp> module = std::move(*parsed);

  // The function to compile: `funcName`, or the only one.
  func::FuncOp fn;
  SmallVector<func::FuncOp> fns(module->getOps<func::FuncOp>());
  for (func::FuncOp f : fns)
    if (funcName.empty() ? fns.size() == 1 : f.getSymName() == funcName)
      fn = f;
  if (!fn)
    return fail(funcName.empty()
                    ? "the spec must hold exactly one func.func (found " +
                          llvm::Twine(fns.size()) + "); name one"
                    : "no func.func named '" + funcName + "' in the spec");
  for (func::FuncOp f : fns)
    if (f != fn)
      f.erase();
  for (Type t : llvm::concat<const Type>(fn.getArgumentTypes(),
                                         fn.getResultTypes()))
    if (!isa<RankedTensorType>(t) ||
        !dtypeOf(cast<RankedTensorType>(t).getElementType()))
      return fail("function '" + fn.getSymName() +
                  "' must take and return ranked tensors of f32, f16, bf16, "
                  "i32, i64 or i1");
  // A spec is one attn op whose results the function returns, in order:
  // the runtime binds results by position and the reference recomputes
  // that one op.
  SmallVector<Operation *> attnOps;
  fn.walk([&](Operation *op) {
    if (isa<mlir::attn::AttentionOp, mlir::attn::LinearAttentionOp>(op))
      attnOps.push_back(op);
  });
  if (attnOps.empty())
    return fail("function '" + fn.getSymName() + "' holds no attn op");
  if (attnOps.size() > 1)
    return fail("function '" + fn.getSymName() + "' holds " +
                llvm::Twine(attnOps.size()) +
                " attn ops; a spec holds exactly one");
  bool returnsResults = true;
  fn.walk([&](func::ReturnOp ret) {
    returnsResults &= ret.getOperands() == ValueRange(attnOps[0]->getResults());
  });
  if (!returnsResults)
    return fail("function '" + fn.getSymName() +
                "' must return the results of its attn op, each once and in "
                "order (" +
                (attnOps[0]->getNumResults() == 2 ? "output, lse"
                                                  : "output") +
                ")");

  std::string key;
  {
    llvm::raw_string_ostream os(key);
    fn->print(os);
    os << "|" << toString(target) << "|" << options.blockQ << "|"
       << options.blockKV << "|" << options.vectorWidth << "|" << options.cpu
       << "|"
       << options.parallel << "|" << options.gpu.blockQ << "|"
       << options.gpu.blockKV << "|" << options.gpu.linearChunk << "|"
       << options.gpu.linearValueTile << "|" << options.gpu.linearPrefetch << "|"
       << options.gpu.hopperStages << "|" << options.gpu.hopperSetMaxNReg;
  }
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    auto it = impl->cache.find(key);
    if (it != impl->cache.end())
      return it->second;
  }

  std::string name = fn.getSymName().str();
  std::vector<ArgType> argTypes =
      typesOf(fn.getArgumentTypes(), argumentRoles(fn));
  std::vector<ArgType> resultTypes =
      typesOf(fn.getResultTypes(), {{"output"}, {"lse"}});
  OwningOpRef<ModuleOp> specCopy = module->clone();

  bool fromDisk = false;
  auto kernel =
      target == Target::CUDA
          ? compileCUDA(std::move(ctx), std::move(module), std::move(specCopy),
                        name, std::move(argTypes), std::move(resultTypes),
                        options, key, fromDisk)
          : compileCPU(std::move(ctx), std::move(module), std::move(specCopy),
                       name, std::move(argTypes), std::move(resultTypes),
                       options, key, fromDisk);
  if (!kernel)
    return kernel.takeError();
  std::lock_guard<std::mutex> lock(impl->mutex);
  ++impl->compilations;
  impl->diskHits += fromDisk;
  impl->cache[key] = *kernel;
  return *kernel;
}

} // namespace attn
