//===- spec_fuzzer.cpp - spec text through the parser and both pipelines --===//
//
// libFuzzer target: the input is MLIR text with the attn dialect. It is
// parsed with every dialect attn-opt registers, verified, printed, and a
// verified spec goes through the CPU pipeline to LLVM IR text and through
// the GPU pipeline (sm_90a, PTX) to its gpu.binary, each on its own clone.
// Errors are expected and ignored (diagnostics are swallowed): what counts
// is a crash, a hang, a leak or a sanitizer report.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnDialect.h"
#include "Attn/IR/AttnOps.h"
#include "attn/Pipelines.h"
#include "attn/SpecIR.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mlir;

namespace {

/// Larger inputs only slow the fuzzer down: every spec fits in a few
/// hundred bytes.
constexpr size_t kMaxInputBytes = 16 * 1024;
/// The verifier keeps D, Dv and the feature count m static but does not
/// bound them, and they size the generated code: the GPU kernels unroll
/// over them (FAVOR+ with m = 256 is 590 KB of PTX and 3 s of compile in a
/// release build, ~10 s here: the -timeout; a linear op at D = 256 takes
/// ~5 s here). Larger values only find slow compiles. D and Dv stay within
/// the Hopper kernel's 256, m within 128 (the examples' m = 256 specs are
/// parsed and verified, not compiled); B, H and L are loop bounds and stay
/// unbounded. Tile-level ops get the head-dim bound on every static dim.
constexpr int64_t kMaxHeadDim = 256;
constexpr int64_t kMaxFeatures = 128; // m of a projection
constexpr int64_t kMaxVectorElements = 4096;

DialectRegistry *registry = nullptr;
bool runGPU = true;
/// ATTN_FUZZ_ANY_IR=1: run the pipelines on any verified module, not only
/// on the spec language (see pipelineInput).
bool anyIR = false;
/// ATTN_FUZZ_VERBOSE=1: print the diagnostics and how far each input got
/// (to triage a reproducer).
bool verbose = false;

void note(const char *what) {
  if (verbose)
    llvm::errs() << "spec_fuzzer: " << what << "\n";
}

/// The pipelines take specs: func.func holding attn ops (and the tile-level
/// attn ops with arith in their regions). Arbitrary upstream IR would mostly
/// find upstream passes' crashes on IR they were never meant to see, which
/// is not this project's to fix; parsing and verifying every dialect is
/// still fuzzed.
bool pipelineInput(ModuleOp module) {
  if (anyIR)
    return true;
  WalkResult r = module->walk([](Operation *op) {
    StringRef ns = op->getName().getDialectNamespace();
    if (ns == "builtin" || ns == "func" || ns == "attn" || ns == "arith")
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  return !r.wasInterrupted();
}

bool boundedType(Type t) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.getNumElements() <= kMaxVectorElements;
  if (auto s = dyn_cast<ShapedType>(t); s && s.hasRank())
    for (int64_t d : s.getShape())
      if (!ShapedType::isDynamic(d) && d > kMaxHeadDim)
        return false;
  return true;
}

/// Rejects static sizes that would make a huge compile (see kMaxHeadDim),
/// and more than one attention op: a spec holds one (the JIT's rule), and
/// compile time adds up per op (one FAVOR+ op at the bounds takes 5 s
/// here, half the -timeout).
bool boundedSizes(ModuleOp module) {
  int attentionOps = 0;
  WalkResult r = module->walk([&](Operation *op) {
    if (isa<mlir::attn::AttentionOp, mlir::attn::LinearAttentionOp>(op) &&
        ++attentionOps > 1)
      return WalkResult::interrupt();
    if (auto a = dyn_cast<mlir::attn::AttentionOp>(op)) {
      mlir::attn::AttentionDims d = a.getDims();
      return d.headDim <= kMaxHeadDim && d.valueDim <= kMaxHeadDim
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    }
    if (auto l = dyn_cast<mlir::attn::LinearAttentionOp>(op)) {
      mlir::attn::AttentionDims d = l.getDims();
      return d.headDim <= kMaxHeadDim && d.valueDim <= kMaxHeadDim &&
                     (!l.getProjection() ||
                      l.getNumFeatures() <= kMaxFeatures)
                 ? WalkResult::advance()
                 : WalkResult::interrupt();
    }
    if (isa<ModuleOp, func::FuncOp, func::ReturnOp>(op))
      return WalkResult::advance();
    for (Type t : op->getOperandTypes())
      if (!boundedType(t))
        return WalkResult::interrupt();
    for (Type t : op->getResultTypes())
      if (!boundedType(t))
        return WalkResult::interrupt();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (Type t : block.getArgumentTypes())
          if (!boundedType(t))
            return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !r.wasInterrupted();
}

void runCPU(MLIRContext &ctx, ModuleOp spec) {
  OwningOpRef<ModuleOp> module = spec.clone();
  PassManager pm(&ctx);
  ::attn::CPUPipelineOptions options;
  ::attn::buildCPUPipeline(pm, options);
  if (failed(pm.run(*module)))
    return note("cpu pipeline failed");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext);
  if (!llvmModule)
    return note("translation to LLVM IR failed");
  std::string text;
  llvm::raw_string_ostream os(text);
  llvmModule->print(os, nullptr);
  note("cpu pipeline and translation ok");
}

void runGPUPipeline(MLIRContext &ctx, ModuleOp spec) {
  OwningOpRef<ModuleOp> module = spec.clone();
  PassManager pm(&ctx);
  // format=isa: PTX from LLVM's NVPTX backend. Neither ptxas nor libdevice
  // is needed for that (a missing libdevice leaves __nv_* calls external).
  if (llvm::Error e = ::attn::buildGPUPipeline(
          pm, ::attn::GPUKernelOptions(), "sm_90a", "isa",
          ::attn::GPUPipelineOptions().libdevice.getValue())) {
    llvm::consumeError(std::move(e));
    return note("gpu pipeline options refused");
  }
  if (failed(pm.run(*module)))
    return note("gpu pipeline failed");
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  note("gpu pipeline ok");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  registry = new DialectRegistry();
  registerAllDialects(*registry);
  registerAllExtensions(*registry);
  registry->insert<mlir::attn::AttnDialect>();
  registerAllToLLVMIRTranslations(*registry);

  // The GPU half needs only LLVM's NVPTX backend (format=isa).
  llvm::InitializeAllTargetInfos();
  std::string error;
  runGPU = llvm::TargetRegistry::lookupTarget(
               llvm::Triple("nvptx64-nvidia-cuda"), error) &&
           !std::getenv("ATTN_FUZZ_NO_GPU");
  anyIR = std::getenv("ATTN_FUZZ_ANY_IR") != nullptr;
  verbose = std::getenv("ATTN_FUZZ_VERBOSE") != nullptr;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > kMaxInputBytes)
    return -1; // not added to the corpus
  // A std::string keeps the NUL the MLIR lexer expects after the buffer.
  std::string text(reinterpret_cast<const char *>(data), size);

  // A fresh context per input: nothing carries over from earlier inputs, so
  // every crash reproduces from its input alone.
  MLIRContext ctx(*registry, MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler swallow(&ctx, [](Diagnostic &d) {
    if (verbose)
      llvm::errs() << d.getLocation() << ": " << d << "\n";
    return success();
  });

  // As the tools do: text that the linked MLIR parser crashes on (an
  // upstream bug) is rejected before parsing.
  if (llvm::Error e = ::attn::rejectParserCrashers(text)) {
    llvm::consumeError(std::move(e));
    note("rejected before parsing");
    return 0;
  }
  ParserConfig config(&ctx, /*verifyAfterParse=*/false);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, config);
  if (!module) {
    note("parse failed");
    return 0;
  }
  if (failed(verify(*module))) {
    note("verify failed");
    return 0;
  }
  {
    std::string printed;
    llvm::raw_string_ostream os(printed);
    module->print(os);
  }
  if (!pipelineInput(*module)) {
    note("not a spec: no pipelines");
    return 0;
  }
  if (!boundedSizes(*module)) {
    note("sizes past the bounds: no pipelines");
    return 0;
  }

  runCPU(ctx, *module);
  if (runGPU)
    runGPUPipeline(ctx, *module);
  return 0;
}
