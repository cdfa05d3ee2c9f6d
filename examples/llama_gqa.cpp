//===- llama_gqa.cpp - a LLaMA-style GQA causal attention through the JIT -===//
//
// Builds the spec in C++ (32 query heads sharing 8 KV heads, D = 128, causal,
// bf16, dynamic batch and length), compiles it once for the CPU, runs it on
// caller-owned buffers of two different sizes and checks each against the
// fp64 reference. Errors come back as llvm::Error values, never as crashes.
//
//===----------------------------------------------------------------------===//

#include "attn/HostTensor.h"
#include "attn/JIT.h"
#include "attn/Reference.h"

#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace attn;

static int report(llvm::Error e) {
  llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
  return 1;
}

int main() {
  AttentionSpec spec;
  spec.dims.qHeads = 32;
  spec.dims.kvHeads = 8;
  spec.dims.headDim = 128;
  spec.dims.valueDim = 128;
  spec.elementType = ElementType::BF16;
  spec.causal = Causal::BottomRight;

  JIT jit;
  auto kernel = jit.compile(spec, Target::CPU);
  if (!kernel)
    return report(kernel.takeError());

  for (auto [batch, len] : {std::pair<int64_t, int64_t>{1, 300}, {2, 77}}) {
    Dims d = spec.dims;
    d.batch = batch;
    d.qLen = d.kvLen = len;
    auto args = (*kernel)->arguments();
    std::vector<HostTensor> inputs = randomArguments(
        args, argumentShapes(args, d, spec.layout), d, /*seed=*/42);
    HostTensor out(DType::BF16, {batch, 32, len, 128});
    out.poison();
    std::vector<TensorRef> in = {inputs[0].ref(), inputs[1].ref(),
                                 inputs[2].ref()};
    auto start = std::chrono::steady_clock::now();
    if (llvm::Error e = (*kernel)->run(in, {out.ref()}))
      return report(std::move(e));
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    auto want = referenceAttention(spec, referenceInputs(args, inputs));
    if (!want)
      return report(want.takeError());
    ErrorStats err = compare(out, want->out);
    bool ok = !err.nan && err.maxRel <= 1e-2;
    llvm::outs() << "llama GQA 32/8, B=" << batch << " L=" << len
                 << ": max rel err " << llvm::format("%.2e", err.maxRel)
                 << ", " << llvm::format("%.2f", ms) << " ms "
                 << (ok ? "ok" : "FAILED") << "\n";
    if (!ok)
      return 1;
  }

  // A wrong buffer is an error value: here the key has 4 heads, not 8.
  HostTensor q(DType::BF16, {1, 32, 16, 128}), k(DType::BF16, {1, 4, 16, 128}),
      v(DType::BF16, {1, 8, 16, 128}), o(DType::BF16, {1, 32, 16, 128});
  llvm::Error e = (*kernel)->run({q.ref(), k.ref(), v.ref()}, {o.ref()});
  llvm::outs() << "wrong key shape -> "
               << (e ? llvm::toString(std::move(e)) : std::string("no error!"))
               << "\n";
  llvm::outs() << "compilations: " << jit.numCompilations() << "\n";
  return 0;
}
