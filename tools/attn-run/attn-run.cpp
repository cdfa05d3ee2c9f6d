//===- attn-run.cpp - run an attention spec on .npy inputs ----------------===//
//
//   attn-run SPEC.mlir [--input a.npy ...] [--output o.npy ...]
//            [--target cpu|cuda] [--check] [--bench] [--seed N]
//            [--batch B --heads H --kv-heads H --q-len L --kv-len L]
//
// Inputs are read in function-argument order (random, from the seed, when
// none are given; dynamic dims then come from the size options). --check
// compares with the fp64 reference, --bench prints the median time and
// GFLOP/s (4 * D * allowed pairs). Any bad file, dtype or shape is an error
// message and exit code 1; a --check above tolerance exits with 2.
//
//===----------------------------------------------------------------------===//

#include "attn/HostTensor.h"
#include "attn/JIT.h"
#include "attn/Npy.h"
#include "attn/Reference.h"
#include "attn/SpecIR.h"

#include "Attn/IR/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <memory>

using namespace attn;
namespace cl = llvm::cl;

static cl::opt<std::string> specPath(cl::Positional, cl::desc("<spec.mlir>"),
                                     cl::Required);
static cl::list<std::string> inputs("input",
                                    cl::desc("input .npy, in argument order"));
static cl::list<std::string> outputs("output",
                                     cl::desc("output .npy, in result order"));
static cl::opt<std::string> targetName("target", cl::desc("cpu or cuda"),
                                       cl::init("cpu"));
static cl::opt<std::string> funcName("func", cl::desc("function to run"),
                                     cl::init(""));
static cl::opt<bool> check("check", cl::desc("compare with the reference"));
static cl::opt<bool> bench("bench", cl::desc("print median time and GFLOP/s"));
static cl::opt<unsigned> seed("seed", cl::desc("seed of random inputs"),
                              cl::init(1));
static cl::opt<double> inputScale("input-scale",
                                  cl::desc("scale of random Q/K/V"),
                                  cl::init(1.0));
static cl::opt<int64_t> batch("batch", cl::desc("B of random inputs"),
                              cl::init(1));
static cl::opt<int64_t> heads("heads", cl::desc("Hq of random inputs"),
                              cl::init(4));
static cl::opt<int64_t> kvHeads("kv-heads",
                                cl::desc("Hkv of random inputs (default Hq)"),
                                cl::init(0));
static cl::opt<int64_t> qLen("q-len", cl::desc("Lq of random inputs"),
                             cl::init(128));
static cl::opt<int64_t> kvLen("kv-len",
                              cl::desc("Lk of random inputs (default Lq)"),
                              cl::init(0));
static cl::opt<int64_t> repeats("repeats", cl::desc("timed runs of --bench"),
                                cl::init(10));
static cl::opt<int64_t> blockQ("block-q", cl::desc("query rows per tile"),
                               cl::init(64));
static cl::opt<int64_t> blockKV("block-kv", cl::desc("keys per tile"),
                                cl::init(64));
static cl::opt<std::string> cpuName(
    "cpu",
    cl::desc("cpu target: the LLVM CPU to generate code for (x86-64-v3: "
             "AVX2 + FMA, x86-64-v4: AVX-512, ...); default: this host's"),
    cl::init(""));
static cl::opt<int64_t> linearChunk(
    "linear-chunk",
    cl::desc("cuda linear attention: queries/keys per chunk (16..128; 0: "
             "chosen per spec)"),
    cl::init(GPUKernelOptions().linearChunk));
static cl::opt<int64_t> linearValueTile(
    "linear-value-tile",
    cl::desc("cuda linear attention: value columns per thread block"),
    cl::init(GPUKernelOptions().linearValueTile));
static cl::opt<bool> linearPrefetch(
    "linear-prefetch",
    cl::desc("cuda linear attention: load the next chunk with cp.async "
             "while this one computes"),
    cl::init(GPUKernelOptions().linearPrefetch));
static cl::opt<bool> hopperSetMaxNReg(
    "hopper-setmaxnreg",
    cl::desc("cuda on sm_90a: hand the producer warpgroup's registers to "
             "the consumers (off only for compute-sanitizer synccheck)"),
    cl::init(GPUKernelOptions().hopperSetMaxNReg));
static cl::opt<int64_t> hopperStages(
    "hopper-stages",
    cl::desc("cuda on sm_90a: K/V ring slots of the TMA + wgmma softmax "
             "kernel (0: as many as fit)"),
    cl::init(GPUKernelOptions().hopperStages));
static cl::opt<bool> serial("serial", cl::desc("one thread"));
static cl::opt<double> checkBudget(
    "check-budget",
    cl::desc("--check evaluates at most about this many (query, key) pairs "
             "in the fp64 reference, on a deterministic sample of rows"),
    cl::init(3e7));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "attn-run: " << message << "\n";
  return 1;
}

static int fail(llvm::Error error) {
  return fail(llvm::toString(std::move(error)));
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --help lists attn-run's own options, not every flag the linked LLVM
  // backends register.
  static cl::OptionCategory category("attn-run options");
  for (cl::Option *o : std::initializer_list<cl::Option *>{
           &specPath, std::addressof(inputs),
           std::addressof(outputs), &targetName, &funcName, &check,
           &bench, &seed, &inputScale, &batch, &heads, &kvHeads, &qLen,
           &kvLen, &repeats, &blockQ, &blockKV, &cpuName, &linearChunk,
           &linearValueTile, &linearPrefetch, &hopperStages, &hopperSetMaxNReg, &serial, &checkBudget})
    o->addCategory(category);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "run an attn spec on .npy inputs\n");

  auto file = llvm::MemoryBuffer::getFile(specPath, /*IsText=*/true);
  if (!file)
    return fail(specPath + ": " + file.getError().message());
  llvm::Expected<Target> target = parseTarget(targetName);
  if (!target)
    return fail(target.takeError());

  JIT jit;
  CompileOptions options;
  options.blockQ = blockQ;
  options.blockKV = blockKV;
  options.cpu = cpuName;
  options.gpu.linearChunk = linearChunk;
  options.gpu.linearValueTile = linearValueTile;
  options.gpu.linearPrefetch = linearPrefetch;
  options.gpu.hopperStages = hopperStages;
  options.gpu.hopperSetMaxNReg = hopperSetMaxNReg;
  // --block-q / --block-kv tile the GPU's first softmax kernel too.
  if (blockQ.getNumOccurrences())
    options.gpu.blockQ = blockQ;
  if (blockKV.getNumOccurrences())
    options.gpu.blockKV = blockKV;
  options.parallel = !serial;
  auto kernel = jit.compile((*file)->getBuffer(), *target, options, funcName);
  if (!kernel)
    return fail(kernel.takeError());
  llvm::ArrayRef<ArgType> args = (*kernel)->arguments();

  // The spec, for the reference and the FLOP count.
  mlir::MLIRContext ctx;
  auto module = parseSpecModule(ctx, (*file)->getBuffer());
  if (!module)
    return fail(module.takeError());
  std::optional<AttentionSpec> spec;
  std::optional<LinearAttentionSpec> linear;
  auto chosen = [&](mlir::Operation *op) {
    auto fn = op->getParentOfType<mlir::func::FuncOp>();
    return funcName.empty() || fn.getSymName() == funcName;
  };
  (**module).walk([&](mlir::attn::AttentionOp op) {
    if (chosen(op))
      spec = specFromOp(op);
  });
  (**module).walk([&](mlir::attn::LinearAttentionOp op) {
    if (chosen(op))
      linear = specFromOp(op);
  });
  if (!spec && !linear)
    return fail("no attn op in the spec");
  const Dims specDims = spec ? spec->dims : linear->dims;
  const Layout specLayout = spec ? spec->layout : linear->layout;
  const ElementType specType = spec ? spec->elementType : linear->elementType;

  // Inputs: files, or random ones of the requested sizes.
  std::vector<HostTensor> values;
  if (!inputs.empty()) {
    if (inputs.size() != args.size())
      return fail("the spec takes " + llvm::Twine(args.size()) +
                  " inputs, got " + llvm::Twine(inputs.size()) + " --input");
    for (size_t i = 0; i < args.size(); ++i) {
      auto t = readNpy(inputs[i], args[i].dtype);
      if (!t)
        return fail(t.takeError());
      values.push_back(std::move(*t));
    }
  } else {
    for (auto *size : {&batch, &heads, &kvHeads, &qLen, &kvLen})
      if (*size < 0)
        return fail("--" + size->ArgStr + " must be >= 0, got " +
                    llvm::Twine(static_cast<int64_t>(*size)));
    Dims d = specDims;
    auto pick = [](int64_t declared, int64_t option) {
      return declared == kDynamic ? option : declared;
    };
    d.batch = pick(d.batch, batch);
    d.qHeads = pick(d.qHeads, heads);
    d.kvHeads =
        pick(d.kvHeads, kvHeads.getNumOccurrences() ? kvHeads : d.qHeads);
    d.qLen = pick(d.qLen, qLen);
    d.kvLen = pick(d.kvLen, kvLen.getNumOccurrences() ? kvLen : d.qLen);
    std::vector<std::vector<int64_t>> argShapes =
        argumentShapes(args, d, specLayout);
    for (auto [arg, shape] : llvm::zip(args, argShapes))
      if (auto count = checkedElementCount(shape, arg.dtype); !count)
        return fail("argument '" + arg.name +
                    "': " + llvm::toString(count.takeError()));
    values = randomArguments(args, argShapes, d, seed, inputScale);
  }
  std::vector<TensorRef> refs;
  for (HostTensor &v : values)
    refs.push_back(v.ref());
  auto shapes = (*kernel)->resultShapes(refs);
  if (!shapes)
    return fail(shapes.takeError());
  llvm::ArrayRef<ArgType> resultTypes = (*kernel)->results();
  if (!outputs.empty() && outputs.size() != resultTypes.size())
    return fail("the spec has " + llvm::Twine(resultTypes.size()) +
                " results, got " + llvm::Twine(outputs.size()) + " --output");
  std::vector<HostTensor> results;
  std::vector<TensorRef> resultRefs;
  for (size_t i = 0; i < resultTypes.size(); ++i) {
    if (auto count = checkedElementCount((*shapes)[i], resultTypes[i].dtype);
        !count)
      return fail("result '" + resultTypes[i].name +
                  "': " + llvm::toString(count.takeError()));
    results.emplace_back(resultTypes[i].dtype, (*shapes)[i]);
    results.back().poison(); // a result never written stays NaN
  }
  for (HostTensor &r : results)
    resultRefs.push_back(r.ref());
  if (llvm::Error e = (*kernel)->run(refs, resultRefs))
    return fail(std::move(e));
  for (size_t i = 0; i < outputs.size(); ++i)
    if (llvm::Error e = writeNpy(outputs[i], results[i]))
      return fail(std::move(e));

  int status = 0;
  // fp64 copies of the inputs, for the reference and the allowed pairs.
  AttentionInputs refIn;
  if (check || (bench && spec))
    refIn = referenceInputs(args, values);
  if (check && linear) {
    auto want = referenceLinearAttention(*linear,
                                         linearReferenceInputs(args, values));
    if (!want)
      return fail(want.takeError());
    double tolerance = specType == ElementType::F32 ? 1e-4 : 2e-2;
    ErrorStats s = compare(results[0], *want);
    bool ok = !s.nan && s.maxRel <= tolerance;
    llvm::outs() << "check output: max abs err "
                 << llvm::format("%.3e", s.maxAbs) << ", max rel err "
                 << llvm::format("%.3e", s.maxRel) << (s.nan ? ", NaN" : "")
                 << " (tolerance " << llvm::format("%.0e", tolerance) << ") "
                 << (ok ? "ok" : "FAILED") << "\n";
    if (!ok)
      status = 2;
  }
  if (check && spec) {
    // Query rows (B * Hq * Lq) times keys: the reference's cost.
    const std::vector<int64_t> &qShape = refIn.q.shape, &kShape = refIn.k.shape;
    double rows = static_cast<double>(qShape[0] * qShape[1] * qShape[2]);
    double keys = static_cast<double>(
        kShape[spec->layout == Layout::BHSD ? 2 : 1]);
    int64_t step = std::max<int64_t>(
        1, static_cast<int64_t>(rows * keys / std::max(1.0, (double)checkBudget)));
    if (step > 1)
      llvm::outs() << "check: the reference evaluates 1 in " << step
                   << " of " << static_cast<int64_t>(rows) << " rows\n";
    auto want = referenceAttention(*spec, refIn, step);
    if (!want)
      return fail(want.takeError());
    bool lowPrecision = spec->elementType != ElementType::F32;
    double tolerance = lowPrecision ? 1e-2 : 1e-5;
    for (size_t i = 0; i < results.size(); ++i) {
      const RefTensor &w = i == 0 ? want->out : want->lse;
      ErrorStats s = compare(results[i], w);
      bool ok = !s.nan && s.maxRel <= tolerance;
      llvm::outs() << "check " << resultTypes[i].name << ": max abs err "
                   << llvm::format("%.3e", s.maxAbs) << ", max rel err "
                   << llvm::format("%.3e", s.maxRel) << (s.nan ? ", NaN" : "")
                   << " (tolerance " << llvm::format("%.0e", tolerance)
                   << ") " << (ok ? "ok" : "FAILED") << "\n";
      if (!ok)
        status = 2;
    }
  }
  if (bench && linear) {
    auto seconds = (*kernel)->time(refs, resultRefs, repeats);
    if (!seconds)
      return fail(seconds.takeError());
    llvm::outs() << "bench: median " << llvm::format("%.3f", *seconds * 1e3)
                 << " ms over " << repeats << " runs\n";
  }
  if (bench && spec) {
    auto pairs = countAllowedPairs(*spec, refIn);
    if (!pairs)
      return fail(pairs.takeError());
    auto seconds = (*kernel)->time(refs, resultRefs, repeats);
    if (!seconds)
      return fail(seconds.takeError());
    double median = *seconds;
    double flops = 4.0 * spec->dims.headDim * static_cast<double>(*pairs);
    if (spec->dims.headDim == kDynamic)
      flops = 0;
    llvm::outs() << "bench: median " << llvm::format("%.3f", median * 1e3)
                 << " ms over " << repeats << " runs, "
                 << llvm::format("%.1f", flops / median / 1e9) << " GFLOP/s ("
                 << *pairs << " allowed pairs)\n";
  }
  return status;
}
