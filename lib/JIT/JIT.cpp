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
#include "Registration.h"
#include "attn/CUDADriver.h"
#include "attn/SpecIR.h"

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#if ATTN_CPU_JIT
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#endif
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <dlfcn.h>
#include <cstring>
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
  CPUKernel(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> spec,
            std::string name, std::vector<ArgType> args,
            std::vector<ArgType> results,
            std::unique_ptr<ExecutionEngine> engine, void (*entry)(void **))
      : CheckedKernel(std::move(ctx), std::move(spec), std::move(name),
                      std::move(args), std::move(results)),
        engine(std::move(engine)), entry(entry) {}

private:
  llvm::Error launch(llvm::ArrayRef<TensorRef> given,
                     llvm::ArrayRef<TensorRef> outs, void *stream) override;

  std::unique_ptr<ExecutionEngine> engine;
  /// The packed C-interface entry point, resolved (compiled) up front.
  void (*entry)(void **);
};
#endif // ATTN_CPU_JIT

llvm::Error CheckedKernel::checkBuffer(const char *what, const ArgType &decl,
                                   const TensorRef &t) const {
  std::string label = std::string(what) + " '" + decl.name + "'";
  if (!t.data)
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

  return launch(given, outs);
}

#if ATTN_CPU_JIT
llvm::Error CPUKernel::launch(llvm::ArrayRef<TensorRef> given,
                              llvm::ArrayRef<TensorRef> outs, void *) {
  for (const TensorRef &t : llvm::concat<const TensorRef>(given, outs))
    if (t.memory != Memory::Host)
      return fail("target cpu takes host buffers, got a device pointer");
  // Descriptors: results first (the C interface returns through a pointer).
  std::vector<int64_t> resultWords;
  for (const ArgType &r : res)
    resultWords.resize(resultWords.size() + 3 + 2 * r.shape.size(), 0);
  std::vector<std::vector<int64_t>> argWords(given.size());
  for (size_t i = 0; i < given.size(); ++i) {
    const TensorRef &t = given[i];
    std::vector<int64_t> strides =
        t.strides.empty() ? TensorRef::contiguousStrides(t.shape) : t.strides;
    if (!t.shape.empty() && t.shape.back() <= 1)
      strides.back() = 1;
    appendDescriptor(argWords[i], t.data, t.shape, strides);
  }
  std::vector<void *> pointers;
  pointers.push_back(resultWords.data());
  for (auto &w : argWords)
    pointers.push_back(w.data());
  std::vector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  entry(packed.data());

  // Copy each result into the caller's buffer and free the kernel's.
  size_t at = 0;
  for (size_t i = 0; i < res.size(); ++i) {
    const TensorRef &o = outs[i];
    auto *allocated = reinterpret_cast<void *>(resultWords[at]);
    auto *aligned = reinterpret_cast<const char *>(resultWords[at + 1]);
    int64_t offset = resultWords[at + 2];
    size_t elem = sizeOf(res[i].dtype);
    std::vector<int64_t> strides =
        o.strides.empty() ? TensorRef::contiguousStrides(o.shape) : o.strides;
    stridedCopy(aligned + offset * elem, static_cast<char *>(o.data), o.shape,
                strides, elem);
    std::free(allocated);
    at += 3 + 2 * res[i].shape.size();
  }
  return llvm::Error::success();
}
#endif // ATTN_CPU_JIT

std::vector<ArgType> typesOf(TypeRange types, llvm::ArrayRef<std::string> names) {
  std::vector<ArgType> out;
  for (auto [i, t] : llvm::enumerate(types)) {
    auto tensor = cast<RankedTensorType>(t);
    ArgType a;
    a.name = i < names.size() ? names[i] : "#" + std::to_string(i);
    a.dtype = *dtypeOf(tensor.getElementType());
    for (int64_t d : tensor.getShape())
      a.shape.push_back(ShapedType::isDynamic(d) ? kDynamic : d);
    out.push_back(a);
  }
  return out;
}

/// Names of the function's arguments from the attn op operands that use them.
std::vector<std::string> argumentNames(func::FuncOp fn) {
  std::vector<std::string> names(fn.getNumArguments());
  fn.walk([&](mlir::attn::AttentionOp op) {
    const char *opNames[] = {"query", "key",        "value",  "bias",
                             "mask",  "kv_lengths", "doc_q",  "doc_k",
                             "global_tokens"};
    Value operands[] = {op.getQuery(),     op.getKey(),  op.getValue(),
                        op.getBias(),      op.getMask(), op.getKvLengths(),
                        op.getDocQ(),      op.getDocK(), op.getGlobalTokens()};
    for (auto [n, v] : llvm::zip(opNames, operands))
      if (auto arg = dyn_cast_or_null<BlockArgument>(v))
        names[arg.getArgNumber()] = n;
  });
  fn.walk([&](mlir::attn::LinearAttentionOp op) {
    const char *opNames[] = {"query", "key", "value", "projection"};
    Value operands[] = {op.getQuery(), op.getKey(), op.getValue(),
                        op.getProjection()};
    for (auto [n, v] : llvm::zip(opNames, operands))
      if (auto arg = dyn_cast_or_null<BlockArgument>(v))
        names[arg.getArgNumber()] = n;
  });
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].empty())
      names[i] = "#" + std::to_string(i);
  return names;
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
    // Idle workers sleep instead of spinning: kernels return to callers that
    // may run other threads, tests run side by side.
    setenv("KMP_BLOCKTIME", "0", /*overwrite=*/0);
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
/// A CUDA kernel: PTX from attn-gpu-pipeline loaded through the driver.
/// Parameters are the attn op's operands, then its results, each a memref
/// descriptor (allocated, aligned, offset, sizes, strides).
class CUDAKernel final : public CheckedKernel {
public:
  CUDAKernel(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> spec,
             std::string name, std::vector<ArgType> args,
             std::vector<ArgType> results, cuda::Function fn,
             std::vector<unsigned> operandArgs, int64_t blockThreads,
             int64_t gridX, int64_t rowAlignment, mlir::attn::Layout layout,
             bool linear)
      : CheckedKernel(std::move(ctx), std::move(spec), std::move(name),
                      std::move(args), std::move(results)),
        fn(fn), operandArgs(std::move(operandArgs)), blockQ(blockThreads),
        gridX(gridX), rowAlignment(rowAlignment), layout(layout),
        linear(linear) {}

private:
  struct Launch;
  llvm::Expected<std::unique_ptr<Launch>>
  prepare(llvm::ArrayRef<TensorRef> given, llvm::ArrayRef<TensorRef> outs);
  llvm::Error go(Launch &l, void *stream = nullptr);
  llvm::Error launch(llvm::ArrayRef<TensorRef> given,
                     llvm::ArrayRef<TensorRef> outs, void *stream) override;
  llvm::Error launchOnDevice(llvm::ArrayRef<TensorRef> given,
                             llvm::ArrayRef<TensorRef> outs, void *stream);
  void setGrid(Launch &l, llvm::ArrayRef<int64_t> queryShape) const;
  llvm::Expected<double> timeLaunches(llvm::ArrayRef<TensorRef> given,
                                      llvm::ArrayRef<TensorRef> outs,
                                      int64_t repeats) override;

  cuda::Function fn;
  /// Function argument feeding each kernel operand parameter.
  std::vector<unsigned> operandArgs;
  /// Threads per block, and (linear) blocks per (head, batch); read from
  /// the lowered gpu.launch_func.
  int64_t blockQ, gridX;
  /// Bytes to which buffers and their rows must be aligned (1: any).
  int64_t rowAlignment;
  mlir::attn::Layout layout;
  bool linear;
};

/// Device copies of a run's buffers and the kernel's parameter words.
struct CUDAKernel::Launch {
  std::vector<cuda::DevicePtr> owned, outs;
  std::vector<int64_t> words;
  unsigned grid[3] = {0, 0, 0};
  ~Launch() {
    for (cuda::DevicePtr p : owned)
      cuda::free(p);
  }
};

llvm::Expected<std::unique_ptr<CUDAKernel::Launch>>
CUDAKernel::prepare(llvm::ArrayRef<TensorRef> given,
                    llvm::ArrayRef<TensorRef> outs) {
  auto l = std::make_unique<Launch>();
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
  auto addParam = [&](cuda::DevicePtr p, const TensorRef &t) {
    appendDescriptor(l->words, reinterpret_cast<void *>(p), t.shape,
                     TensorRef::contiguousStrides(t.shape));
  };
  // Host buffers go through contiguous device copies.
  for (unsigned argIndex : operandArgs) {
    const TensorRef &t = given[argIndex];
    if (!contiguous(t))
      return fail("cuda: argument '" + args[argIndex].name +
                  "' must be contiguous");
    auto p = cuda::alloc(bytesOf(t));
    if (!p)
      return p.takeError();
    l->owned.push_back(*p);
    if (llvm::Error e = cuda::copyToDevice(*p, t.data, bytesOf(t)))
      return std::move(e);
    addParam(*p, t);
  }
  for (const TensorRef &o : outs) {
    if (!contiguous(o))
      return fail("cuda: result buffers must be contiguous");
    auto p = cuda::alloc(bytesOf(o));
    if (!p)
      return p.takeError();
    l->owned.push_back(*p);
    l->outs.push_back(*p);
    // NaN until written: rows the kernel misses cannot look right.
    if (llvm::Error e = cuda::fill(*p, 0xFF, bytesOf(o)))
      return std::move(e);
    addParam(*p, o);
  }
  setGrid(*l, given[operandArgs[0]].shape);
  return l;
}

void CUDAKernel::setGrid(Launch &l, llvm::ArrayRef<int64_t> q) const {
  bool bhsd = layout == mlir::attn::Layout::bhsd;
  int64_t B = q[0], Hq = bhsd ? q[1] : q[2], Lq = bhsd ? q[2] : q[1];
  if (linear) { // whole sequences per block; nothing to do without queries
    l.grid[0] = Lq > 0 ? static_cast<unsigned>(gridX) : 0;
    l.grid[1] = static_cast<unsigned>(Hq);
    l.grid[2] = static_cast<unsigned>(B);
    return;
  }
  l.grid[0] = static_cast<unsigned>((Lq + blockQ - 1) / blockQ);
  l.grid[1] = static_cast<unsigned>(Hq);
  l.grid[2] = static_cast<unsigned>(B);
}

llvm::Error CUDAKernel::go(Launch &l, void *stream) {
  if (!l.grid[0] || !l.grid[1] || !l.grid[2])
    return llvm::Error::success(); // nothing to compute
  std::vector<void *> params;
  for (int64_t &w : l.words)
    params.push_back(&w);
  return cuda::launch(fn, l.grid[0], l.grid[1], l.grid[2], blockQ,
                      params.data(), stream);
}

llvm::Error CUDAKernel::launch(llvm::ArrayRef<TensorRef> given,
                               llvm::ArrayRef<TensorRef> outs, void *stream) {
  size_t onDevice = 0, total = given.size() + outs.size();
  for (const TensorRef &t : llvm::concat<const TensorRef>(given, outs))
    onDevice += t.memory == Memory::Device;
  if (onDevice == total)
    return launchOnDevice(given, outs, stream);
  if (onDevice != 0)
    return fail("cuda: buffers must be all on the host or all on the device");
  auto l = prepare(given, outs);
  if (!l)
    return l.takeError();
  if (llvm::Error e = go(**l))
    return e;
  if (llvm::Error e = cuda::synchronize())
    return e;
  for (size_t i = 0; i < outs.size(); ++i) {
    size_t bytes = sizeOf(outs[i].dtype);
    for (int64_t d : outs[i].shape)
      bytes *= d;
    if (llvm::Error e = cuda::copyToHost(outs[i].data, (*l)->outs[i], bytes))
      return e;
  }
  return llvm::Error::success();
}

llvm::Error CUDAKernel::launchOnDevice(llvm::ArrayRef<TensorRef> given,
                                       llvm::ArrayRef<TensorRef> outs,
                                       void *stream) {
  Launch l;
  auto addParam = [&](const TensorRef &t) -> llvm::Error {
    std::vector<int64_t> strides =
        t.strides.empty() ? TensorRef::contiguousStrides(t.shape) : t.strides;
    if (!t.shape.empty() && t.shape.back() <= 1)
      strides.back() = 1;
    // The kernel loads rows in rowAlignment-byte pieces.
    int64_t bytes = static_cast<int64_t>(sizeOf(t.dtype));
    bool aligned = reinterpret_cast<uintptr_t>(t.data) % rowAlignment == 0;
    for (size_t i = 0; i + 1 < strides.size(); ++i)
      aligned &= (strides[i] * bytes) % rowAlignment == 0;
    if (!aligned)
      return fail("cuda: this kernel needs device buffers and row strides "
                  "aligned to " + std::to_string(rowAlignment) + " bytes");
    appendDescriptor(l.words, t.data, t.shape, strides);
    return llvm::Error::success();
  };
  for (unsigned argIndex : operandArgs)
    if (llvm::Error e = addParam(given[argIndex]))
      return e;
  for (const TensorRef &o : outs)
    if (llvm::Error e = addParam(o))
      return e;
  setGrid(l, given[operandArgs[0]].shape);
  return go(l, stream);
}

llvm::Expected<double> CUDAKernel::timeLaunches(llvm::ArrayRef<TensorRef> given,
                                                llvm::ArrayRef<TensorRef> outs,
                                                int64_t repeats) {
  auto l = prepare(given, outs);
  if (!l)
    return l.takeError();
  for (int w = 0; w < 3; ++w) // warm-up
    if (llvm::Error e = go(**l))
      return std::move(e);
  std::vector<double> times;
  for (int64_t r = 0; r < std::max<int64_t>(1, repeats); ++r) {
    auto ms = cuda::timeMs([&] { return go(**l); });
    if (!ms)
      return ms.takeError();
    times.push_back(*ms / 1e3);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

llvm::Expected<std::shared_ptr<Kernel>>
compileCUDA(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> module,
            OwningOpRef<ModuleOp> spec, std::string name,
            std::vector<ArgType> argTypes, std::vector<ArgType> resultTypes,
            const CompileOptions &options) {
  auto chip = cuda::deviceChip();
  if (!chip)
    return chip.takeError();

  // Kernel parameters follow the op's operands: map each to its argument.
  auto fn = cast<func::FuncOp>(module->lookupSymbol(name));
  Operation *op = nullptr;
  fn.walk([&](Operation *o) {
    if (isa<mlir::attn::AttentionOp, mlir::attn::LinearAttentionOp>(o))
      op = o;
  });
  std::vector<unsigned> operandArgs;
  for (Value v : op->getOperands()) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner()->getParentOp() != fn)
      return fail("cuda: every operand of " + op->getName().getStringRef() +
                  " must be an argument of '" + name + "'");
    operandArgs.push_back(arg.getArgNumber());
  }
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  if (ret.getOperands() != ValueRange(op->getResults()))
    return fail("cuda: '" + name + "' must return the results of its "
                "attn op, in order");
  auto linear = dyn_cast<mlir::attn::LinearAttentionOp>(op);
  mlir::attn::Layout layout =
      linear ? linear.getLayout()
             : cast<mlir::attn::AttentionOp>(op).getLayout();

  DiagnosticCapture diags(ctx.get());
  PassManager pm(ctx.get());
  GPUPipelineOptions pipelineOptions;
  pipelineOptions.blockQ = options.gpuBlockQ;
  pipelineOptions.blockKV = options.gpuBlockKV;
  pipelineOptions.linearChunk = options.gpuLinearChunk;
  pipelineOptions.linearValueTile = options.gpuLinearValueTile;
  pipelineOptions.chip = *chip;
  buildGPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return fail("lowering '" + name + "' for cuda failed: " + diags.text);

  // Softmax attention: (q-blocks, Hq, B) blocks; linear attention:
  // (gridX, Hq, B) blocks. Threads per block and gridX are constants of the
  // launch the pipeline built.
  std::string ptx, kernelName;
  std::optional<int64_t> blockThreads, gridX = 1;
  int64_t rowAlignment = 1;
  module->walk([&](gpu::BinaryOp binary) {
    for (Attribute object : binary.getObjects())
      ptx = cast<gpu::ObjectAttr>(object).getObject().getValue().str();
  });
  module->walk([&](gpu::LaunchFuncOp launch) {
    kernelName = launch.getKernelName().getValue().str();
    blockThreads = getConstantIntValue(launch.getBlockSizeX());
    if (linear)
      gridX = getConstantIntValue(launch.getGridSizeX());
    if (auto a = launch->getAttrOfType<IntegerAttr>("attn.row_alignment"))
      rowAlignment = a.getInt();
  });
  if (!blockThreads || !gridX)
    return fail("cuda: the kernel launch of '" + name +
                "' has a dynamic block size");
  if (ptx.empty() || kernelName.empty())
    return fail("cuda: the GPU pipeline produced no kernel for '" + name + "'");
  auto cuModule = cuda::loadModule(ptx);
  if (!cuModule)
    return cuModule.takeError();
  auto cuFn = cuda::getFunction(*cuModule, kernelName);
  if (!cuFn)
    return cuFn.takeError();
  return std::make_shared<CUDAKernel>(
      std::move(ctx), std::move(spec), std::move(name), std::move(argTypes),
      std::move(resultTypes), *cuFn, std::move(operandArgs), *blockThreads,
      *gridX, rowAlignment, layout, static_cast<bool>(linear));
}

/// Lowers the spec with attn-cpu-pipeline and JIT-compiles it.
llvm::Expected<std::shared_ptr<Kernel>>
compileCPU(std::unique_ptr<MLIRContext> ctx, OwningOpRef<ModuleOp> module,
           OwningOpRef<ModuleOp> spec, const std::string &name,
           std::vector<ArgType> argTypes, std::vector<ArgType> resultTypes,
           const CompileOptions &options) {
  // Lower to the LLVM dialect.
#if ATTN_CPU_JIT
  auto fn = cast<func::FuncOp>(module->lookupSymbol(name));
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx.get()));
  DiagnosticCapture diags(ctx.get());
  PassManager pm(ctx.get());
  CPUPipelineOptions pipelineOptions;
  pipelineOptions.blockQ = options.blockQ;
  pipelineOptions.blockKV = options.blockKV;
  pipelineOptions.vectorWidth = options.vectorWidth;
  pipelineOptions.parallel = options.parallel;
  buildCPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return fail("lowering '" + name + "' for the cpu failed: " + diags.text);

  // JIT with the host's CPU features. The optimizing transformer keeps a raw
  // pointer to its TargetMachine, which must outlive code generation: own it
  // here and finish compiling (lookupPacked) before it goes away.
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return tmBuilder.takeError();
  tmBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
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
  // No debugger/profiler registration: kernels do not need it.
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = false;
  if (options.parallel)
    if (llvm::Error e = loadOpenMPRuntime())
      return std::move(e);
  auto engine =
      ExecutionEngine::create(*module, engineOptions, std::move(*engineTM));
  if (!engine)
    return engine.takeError();
  auto entry = (*engine)->lookupPacked("_mlir_ciface_" + name);
  if (!entry)
    return entry.takeError();

  return std::make_shared<CPUKernel>(std::move(ctx), std::move(spec), name,
                                     std::move(argTypes),
                                     std::move(resultTypes),
                                     std::move(*engine), *entry);
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
  bool hasAttention = false, hasLinear = false;
  fn.walk([&](mlir::attn::AttentionOp) { hasAttention = true; });
  fn.walk([&](mlir::attn::LinearAttentionOp) { hasLinear = true; });
  if (!hasAttention && !hasLinear)
    return fail("function '" + fn.getSymName() + "' holds no attn op");

  std::string key;
  {
    llvm::raw_string_ostream os(key);
    fn->print(os);
    os << "|" << toString(target) << "|" << options.blockQ << "|"
       << options.blockKV << "|" << options.vectorWidth << "|"
       << options.parallel << "|" << options.gpuBlockQ << "|"
       << options.gpuBlockKV << "|" << options.gpuLinearChunk << "|"
       << options.gpuLinearValueTile;
  }
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    auto it = impl->cache.find(key);
    if (it != impl->cache.end())
      return it->second;
  }

  std::string name = fn.getSymName().str();
  std::vector<std::string> names = argumentNames(fn);
  std::vector<ArgType> argTypes = typesOf(fn.getArgumentTypes(), names);
  std::vector<ArgType> resultTypes = typesOf(
      fn.getResultTypes(), {"output", "lse"});
  OwningOpRef<ModuleOp> specCopy = module->clone();

  auto kernel =
      target == Target::CUDA
          ? compileCUDA(std::move(ctx), std::move(module), std::move(specCopy),
                        name, std::move(argTypes), std::move(resultTypes),
                        options)
          : compileCPU(std::move(ctx), std::move(module), std::move(specCopy),
                       name, std::move(argTypes), std::move(resultTypes),
                       options);
  if (!kernel)
    return kernel.takeError();
  std::lock_guard<std::mutex> lock(impl->mutex);
  ++impl->compilations;
  impl->cache[key] = *kernel;
  return *kernel;
}

} // namespace attn
