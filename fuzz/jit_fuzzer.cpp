//===- jit_fuzzer.cpp - fuzzed buffers through Kernel::run (CPU) ----------===//
//
// libFuzzer target for the JIT API's promise (attn/JIT.h): a bad call -- a
// wrong shape, rank, dtype, stride or argument count, a null pointer --
// is an llvm::Error, and a good one runs without touching memory outside
// its buffers. A dozen small fixed specs are compiled once each, lazily,
// for the CPU; the input bytes pick the spec, the sizes (0 included), the
// data of index and flag operands (key lengths past Lk, negative ids),
// strides (padded, broadcast, bad), dtypes, null pointers and the argument
// and result counts.
//
// The kernels are JIT-compiled code that no sanitizer instruments, so
// every buffer gets its own mapping with inaccessible guard pages on both
// sides, the data placed against one of them: a kernel that reads or
// writes past its buffer faults at once.
//
//===----------------------------------------------------------------------===//

#include "attn/HostTensor.h"
#include "attn/JIT.h"

#include <fuzzer/FuzzedDataProvider.h>

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using namespace attn;

namespace {

struct FixedSpec {
  const char *text;
  Layout layout;
  bool equalLengths = false; ///< valid calls need Lq == Lk (global tokens)
};

// Small D and Dv keep each run short; together the specs cover every
// operand kind, both layouts, every feature map, mixed heads, f32/f16/bf16,
// i32/i64 index operands, static and dynamic dims.
const FixedSpec kSpecs[] = {
    {R"mlir(
func.func @causal(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>,
                  %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>}
      : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
      -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
})mlir",
     Layout::BHSD},
    {R"mlir(
func.func @gqa_window_lse(%q: tensor<?x4x?x24xf16>, %k: tensor<?x2x?x24xf16>,
                          %v: tensor<?x2x?x24xf16>)
    -> (tensor<?x4x?x24xf16>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v
      {causal = #attn.causal<top_left>, window = #attn.window<left = 3, right = 1>}
      : tensor<?x4x?x24xf16>, tensor<?x2x?x24xf16>, tensor<?x2x?x24xf16>
      -> tensor<?x4x?x24xf16>, tensor<?x4x?xf32>
  return %o, %lse : tensor<?x4x?x24xf16>, tensor<?x4x?xf32>
})mlir",
     Layout::BHSD},
    {R"mlir(
func.func @padding_bias(%q: tensor<?x?x?x16xbf16>, %k: tensor<?x?x?x16xbf16>,
                        %v: tensor<?x?x?x8xbf16>, %b: tensor<?x1x?x?xf32>,
                        %n: tensor<?xi32>) -> tensor<?x?x?x8xbf16> {
  %o = attn.attention %q, %k, %v bias(%b : tensor<?x1x?x?xf32>)
      kv_lengths(%n : tensor<?xi32>)
      : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x8xbf16>
      -> tensor<?x?x?x8xbf16>
  return %o : tensor<?x?x?x8xbf16>
})mlir",
     Layout::BHSD},
    {R"mlir(
func.func @documents_bshd(%q: tensor<?x?x2x16xf32>, %k: tensor<?x?x1x16xf32>,
                          %v: tensor<?x?x1x16xf32>, %dq: tensor<?x?xi64>,
                          %dk: tensor<?x?xi64>) -> tensor<?x?x2x16xf32> {
  %o = attn.attention %q, %k, %v documents(%dq, %dk : tensor<?x?xi64>, tensor<?x?xi64>)
      {causal = #attn.causal<bottom_right>, layout = #attn.layout<bshd>}
      : tensor<?x?x2x16xf32>, tensor<?x?x1x16xf32>, tensor<?x?x1x16xf32>
      -> tensor<?x?x2x16xf32>
  return %o : tensor<?x?x2x16xf32>
})mlir",
     Layout::BSHD},
    {R"mlir(
func.func @mask_static(%q: tensor<2x3x5x8xf32>, %k: tensor<2x3x7x8xf32>,
                       %v: tensor<2x3x7x8xf32>, %m: tensor<1x3x5x7xi1>)
    -> tensor<2x3x5x8xf32> {
  %o = attn.attention %q, %k, %v mask(%m : tensor<1x3x5x7xi1>) {scale = 0.5}
      : tensor<2x3x5x8xf32>, tensor<2x3x7x8xf32>, tensor<2x3x7x8xf32>
      -> tensor<2x3x5x8xf32>
  return %o : tensor<2x3x5x8xf32>
})mlir",
     Layout::BHSD},
    {R"mlir(
func.func @global_window(%q: tensor<?x?x?x16xf16>, %k: tensor<?x?x?x16xf16>,
                         %v: tensor<?x?x?x16xf16>, %g: tensor<?x?xi1>)
    -> tensor<?x?x?x16xf16> {
  %o = attn.attention %q, %k, %v global_tokens(%g : tensor<?x?xi1>)
      {window = #attn.window<left = 2, right = 2>}
      : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
      -> tensor<?x?x?x16xf16>
  return %o : tensor<?x?x?x16xf16>
})mlir",
     Layout::BHSD, /*equalLengths=*/true},
    {R"mlir(
func.func @lse_key_padding(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>,
                           %v: tensor<?x2x?x16xf32>, %n: tensor<?xi64>)
    -> (tensor<?x2x?x16xf32>, tensor<?x2x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v kv_lengths(%n : tensor<?xi64>)
      {causal = #attn.causal<bottom_right>}
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>
      -> tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
  return %o, %lse : tensor<?x2x?x16xf32>, tensor<?x2x?xf32>
})mlir",
     Layout::BHSD},
    {R"mlir(
func.func @linear_elu(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>,
                      %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %o = attn.linear_attention %q, %k, %v
      {feature_map = #attn.feature_map<elu_plus_one>, causal}
      : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
      -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
})mlir",
     Layout::BHSD},
    {R"mlir(
func.func @linear_favor(%q: tensor<?x?x?x16xbf16>, %k: tensor<?x?x?x16xbf16>,
                        %v: tensor<?x?x?x16xbf16>, %p: tensor<12x16xf32>)
    -> tensor<?x?x?x16xbf16> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<12x16xf32>)
      {feature_map = #attn.feature_map<favor_plus>}
      : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
      -> tensor<?x?x?x16xbf16>
  return %o : tensor<?x?x?x16xbf16>
})mlir",
     Layout::BHSD},
    {R"mlir(
func.func @linear_relu_bshd(%q: tensor<?x?x4x16xf16>, %k: tensor<?x?x2x16xf16>,
                            %v: tensor<?x?x2x24xf16>) -> tensor<?x?x4x24xf16> {
  %o = attn.linear_attention %q, %k, %v
      {feature_map = #attn.feature_map<relu>, kernel_eps = 1.0e-3, causal,
       layout = #attn.layout<bshd>}
      : tensor<?x?x4x16xf16>, tensor<?x?x2x16xf16>, tensor<?x?x2x24xf16>
      -> tensor<?x?x4x24xf16>
  return %o : tensor<?x?x4x24xf16>
})mlir",
     Layout::BSHD},
    {R"mlir(
func.func @mixed_heads(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x?x16xf32>,
                       %v: tensor<?x4x?x16xf32>, %p: tensor<8x16xf32>)
    -> tensor<?x4x?x16xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<8x16xf32>)
      {feature_map = #attn.feature_map<favor_plus>, causal, local_heads = 2,
       local_window = 3}
      : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>
      -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
})mlir",
     Layout::BHSD},
    {R"mlir(
func.func @linear_softmax(%q: tensor<?x?x?x8xf32>, %k: tensor<?x?x?x8xf32>,
                          %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %o = attn.linear_attention %q, %k, %v
      {feature_map = #attn.feature_map<softmax>, causal}
      : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>, tensor<?x?x?x16xf32>
      -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
})mlir",
     Layout::BHSD},
};
constexpr unsigned kNumSpecs = sizeof(kSpecs) / sizeof(kSpecs[0]);

JIT *jit = nullptr; // never destroyed: JIT.h forbids static destruction
std::shared_ptr<Kernel> kernels[kNumSpecs];
/// ATTN_FUZZ_JIT_SKIP=name,name: specs (by function name) whose inputs are
/// rejected, to fuzz past a known bug until it is fixed.
bool skipped[kNumSpecs];
/// ATTN_FUZZ_JIT_VERBOSE=1: print each call (to triage a reproducer).
bool verbose = false;

llvm::StringRef functionName(const char *text) {
  llvm::StringRef rest = llvm::StringRef(text).split('@').second;
  return rest.take_until([](char c) { return c == '('; });
}

Kernel &kernelFor(unsigned index) {
  if (!kernels[index]) {
    auto k = jit->compile(kSpecs[index].text, Target::CPU);
    if (!k) {
      // The specs are fixed: one that stops compiling is a regression.
      llvm::errs() << "jit_fuzzer: spec " << index << " does not compile: "
                   << llvm::toString(k.takeError()) << "\n";
      std::abort();
    }
    kernels[index] = *k;
  }
  return *kernels[index];
}

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));

/// A buffer between two PROT_NONE guard pages, the data flush against the
/// end (overruns fault) or the start (underruns fault).
class GuardedBuffer {
public:
  GuardedBuffer(size_t bytes, bool atEnd) {
    size_t dataPages = (bytes + kPage - 1) / kPage;
    size = (dataPages + 2) * kPage;
    void *m = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
      std::abort();
    base = static_cast<char *>(m);
    if (dataPages && mprotect(base + kPage, dataPages * kPage,
                              PROT_READ | PROT_WRITE))
      std::abort();
    data = atEnd ? base + kPage + dataPages * kPage - bytes : base + kPage;
  }
  ~GuardedBuffer() { munmap(base, size); }
  GuardedBuffer(const GuardedBuffer &) = delete;
  GuardedBuffer &operator=(const GuardedBuffer &) = delete;

  char *data;

private:
  char *base;
  size_t size;
};

/// Elements a caller must own for `shape` with `strides` (empty: row-major),
/// or -1 where the strides are ones the API must refuse anyway (the caller
/// then owns a contiguous buffer).
int64_t extentOf(const std::vector<int64_t> &shape,
                 const std::vector<int64_t> &strides) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return -1;
    if (d == 0)
      return 0;
    if (__builtin_mul_overflow(n, d, &n))
      return -1;
  }
  if (strides.empty())
    return n;
  if (strides.size() != shape.size())
    return -1;
  int64_t last = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (strides[i] < 0)
      return -1;
    int64_t span;
    if (__builtin_mul_overflow(shape[i] - 1, strides[i], &span) ||
        __builtin_add_overflow(last, span, &last))
      return -1;
  }
  return last + 1;
}

/// Row-major strides that wrap instead of overflowing: the harness's own
/// arithmetic on huge fuzzed dims must not be the undefined behaviour the
/// sanitizer reports.
std::vector<int64_t> rowMajor(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size());
  uint64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = static_cast<int64_t>(s);
    s *= static_cast<uint64_t>(std::max<int64_t>(shape[i], 1));
  }
  return strides;
}

/// Buffers must stay small: sizes come from the fuzzer.
constexpr int64_t kMaxElements = int64_t(1) << 22;

struct Operand {
  TensorRef ref;
  std::unique_ptr<GuardedBuffer> buffer;
};

/// Index data: key lengths and document ids near the interesting edges.
int64_t indexValue(FuzzedDataProvider &in, int64_t kvLen) {
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
  case 0: return kvLen;
  case 1: return kvLen - 1;
  case 2: return kvLen + 1;
  case 3: return 0;
  case 4: return -1;
  case 5: return std::numeric_limits<int32_t>::max();
  case 6: return std::numeric_limits<int32_t>::min();
  case 7: return std::numeric_limits<int64_t>::max();
  case 8: return std::numeric_limits<int64_t>::min();
  default: return in.ConsumeIntegralInRange<int64_t>(-3, kvLen + 3);
  }
}

void fill(Operand &op, int64_t elements, FuzzedDataProvider &in,
          int fillMode, int64_t kvLen, uint64_t &seed) {
  if (!op.ref.data || elements <= 0)
    return;
  const size_t elem = sizeOf(op.ref.dtype);
  char *p = static_cast<char *>(op.ref.data);
  for (int64_t e = 0; e < elements; ++e) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    char *at = p + e * elem;
    switch (op.ref.dtype) {
    case DType::I32: {
      int32_t v = static_cast<int32_t>(indexValue(in, kvLen));
      std::memcpy(at, &v, 4);
      break;
    }
    case DType::I64: {
      int64_t v = indexValue(in, kvLen);
      std::memcpy(at, &v, 8);
      break;
    }
    case DType::Bool:
      *at = static_cast<char>((seed >> 33) & 1);
      break;
    default: {
      // Random bits (NaN, inf and denormals included) or small values.
      if (fillMode == 1) {
        std::memcpy(at, &seed, elem);
        break;
      }
      float x = fillMode == 2 ? 0.0f
                              : static_cast<float>((seed >> 40) % 2001) /
                                        1000.0f - 1.0f;
      if (op.ref.dtype == DType::F32)
        std::memcpy(at, &x, 4);
      else {
        uint16_t h = op.ref.dtype == DType::F16 ? floatToF16(x)
                                                : floatToBF16(x);
        std::memcpy(at, &h, 2);
      }
    }
    }
  }
}

/// One argument or result: the shape the call should have, then the
/// fuzzer's damage to it (shape, rank, dtype, null data, strides).
Operand makeOperand(FuzzedDataProvider &in, const ArgType &decl,
                    std::vector<int64_t> shape, int fillMode, int64_t kvLen,
                    uint64_t &seed) {
  Operand op;
  op.ref.dtype = decl.dtype;
  const uint8_t damage = in.ConsumeIntegral<uint8_t>();
  bool null = false;
  switch ((damage >> 3) & 7) {
  case 1: // one dim off by a little
    if (!shape.empty())
      shape[damage % shape.size()] += in.ConsumeIntegralInRange<int>(-2, 2);
    break;
  case 2: // a zero dim
    if (!shape.empty())
      shape[damage % shape.size()] = 0;
    break;
  case 3: // rank + 1 / rank - 1
    if (damage & 1)
      shape.push_back(in.ConsumeIntegralInRange<int64_t>(0, 3));
    else if (!shape.empty())
      shape.pop_back();
    break;
  case 4: // another dtype
    op.ref.dtype = static_cast<DType>(
        (static_cast<int>(decl.dtype) + 1 + damage % 5) % 6);
    break;
  case 5: // null data
    null = true;
    break;
  case 6: // a huge dim and a zero one: no elements, sizes past int32
          // and int64 products
    if (shape.size() >= 2) {
      size_t big = damage % shape.size();
      size_t zero = (big + 1 + in.ConsumeIntegralInRange<size_t>(
                                   0, shape.size() - 2)) %
                    shape.size();
      shape[big] = in.ConsumeIntegralInRange<int64_t>(
          int64_t(1) << 31, std::numeric_limits<int64_t>::max());
      shape[zero] = 0;
    }
    break;
  case 7: // a negative dim (null data: nothing is owned for it)
    if (!shape.empty())
      shape[damage % shape.size()] = -in.ConsumeIntegralInRange<int64_t>(1, 4);
    null = true;
    break;
  default:
    break;
  }
  op.ref.shape = shape;

  std::vector<int64_t> &strides = op.ref.strides;
  std::vector<int64_t> contiguous = rowMajor(shape);
  switch (damage & 7) {
  case 1: // explicit row-major strides
    strides = contiguous;
    break;
  case 2: // padded rows and planes (views of larger buffers)
    strides.assign(shape.size(), 1);
    for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
      strides[i] = static_cast<int64_t>(
          static_cast<uint64_t>(strides[i + 1]) *
              static_cast<uint64_t>(std::max<int64_t>(shape[i + 1], 1)) +
          in.ConsumeIntegralInRange<uint64_t>(0, 3));
    break;
  case 3: // one outer dim broadcast (stride 0)
    strides = contiguous;
    if (shape.size() >= 2)
      strides[in.ConsumeIntegralInRange<size_t>(0, shape.size() - 2)] = 0;
    break;
  case 4: // innermost stride 2 (refused unless that dim is 0 or 1)
    strides = contiguous;
    if (!strides.empty())
      strides.back() = 2;
    break;
  case 5: // a negative stride (refused)
    strides = contiguous;
    if (!strides.empty())
      strides[damage % strides.size()] = -1;
    break;
  case 6: // too many or too few strides (refused)
    strides = contiguous;
    if (damage & 1)
      strides.push_back(1);
    else if (!strides.empty())
      strides.pop_back();
    break;
  default: // empty: row-major
    break;
  }

  if (null)
    return op;
  int64_t elements = extentOf(op.ref.shape, strides);
  if (elements < 0) // strides the API must refuse: own a contiguous buffer
    elements = extentOf(op.ref.shape, {});
  if (elements < 0 || elements > kMaxElements) {
    // Sizes no test buffer holds: the call can only be an error. A
    // pointer to nothing accessible keeps the promise that nothing is read.
    op.buffer = std::make_unique<GuardedBuffer>(0, true);
    op.ref.data = op.buffer->data;
    return op;
  }
  const size_t bytes = static_cast<size_t>(elements) * sizeOf(op.ref.dtype);
  op.buffer = std::make_unique<GuardedBuffer>(bytes, !(damage & 0x40));
  op.ref.data = op.buffer->data;
  fill(op, elements, in, fillMode, kvLen, seed);
  return op;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  // Every input compiles in this process: kernels on disk would only fill
  // the cache folder (and skip the compile paths on the next run).
  setenv("ATTN_CACHE_DIR", "off", /*overwrite=*/1);
  jit = new JIT();
  verbose = std::getenv("ATTN_FUZZ_JIT_VERBOSE") != nullptr;
  if (const char *skip = std::getenv("ATTN_FUZZ_JIT_SKIP")) {
    llvm::SmallVector<llvm::StringRef> names;
    llvm::StringRef(skip).split(names, ',', -1, /*KeepEmpty=*/false);
    for (unsigned i = 0; i < kNumSpecs; ++i)
      skipped[i] = llvm::is_contained(names, functionName(kSpecs[i].text));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const unsigned index = in.ConsumeIntegralInRange<unsigned>(0, kNumSpecs - 1);
  if (skipped[index])
    return -1; // not added to the corpus
  Kernel &kernel = kernelFor(index);
  const Layout layout = kSpecs[index].layout;

  // Logical sizes: small, zero included, across the 64-row CPU tiles.
  Dims dims;
  dims.batch = in.ConsumeIntegralInRange<int64_t>(0, 3);
  dims.kvHeads = in.ConsumeIntegralInRange<int64_t>(0, 3);
  dims.qHeads = dims.kvHeads * in.ConsumeIntegralInRange<int64_t>(1, 3);
  dims.qLen = in.ConsumeIntegralInRange<int64_t>(0, 80);
  dims.kvLen = in.ConsumeIntegralInRange<int64_t>(0, 80);
  if (kSpecs[index].equalLengths && in.ConsumeBool())
    dims.kvLen = dims.qLen;
  const int fillMode = in.ConsumeIntegralInRange<int>(0, 2);
  const int countDamage = in.ConsumeIntegralInRange<int>(0, 15);
  uint64_t seed = in.ConsumeIntegral<uint64_t>();

  llvm::ArrayRef<ArgType> argTypes = kernel.arguments();
  llvm::ArrayRef<ArgType> resultTypes = kernel.results();
  std::vector<std::vector<int64_t>> shapes =
      argumentShapes(argTypes, dims, layout);
  // The spec's static dims win (D, Dv, static heads, a static mask).
  for (size_t a = 0; a < argTypes.size(); ++a)
    for (size_t d = 0; d < argTypes[a].shape.size(); ++d)
      if (argTypes[a].shape[d] != kDynamic)
        shapes[a][d] = argTypes[a].shape[d];
  // The key length as the index operands see it (a static one included).
  int64_t kvLen = dims.kvLen;
  for (size_t a = 0; a < argTypes.size(); ++a)
    if (argTypes[a].name == "key")
      kvLen = shapes[a][layout == Layout::BHSD ? 2 : 1];

  std::vector<Operand> args;
  for (size_t a = 0; a < argTypes.size(); ++a)
    args.push_back(
        makeOperand(in, argTypes[a], shapes[a], fillMode, kvLen, seed));
  if (countDamage == 1)
    args.pop_back();
  if (countDamage == 2)
    args.push_back(makeOperand(in, argTypes.back(), shapes.back(), fillMode,
                               kvLen, seed));
  std::vector<TensorRef> argRefs;
  for (Operand &o : args)
    argRefs.push_back(o.ref);

  // Result shapes as the API computes them (when it accepts the inputs),
  // else the declared ones with dynamic dims of 1.
  std::vector<std::vector<int64_t>> resultShapes;
  auto expected = kernel.resultShapes(argRefs);
  if (expected) {
    resultShapes = *expected;
  } else {
    llvm::consumeError(expected.takeError());
    for (const ArgType &r : resultTypes) {
      std::vector<int64_t> s = r.shape;
      for (int64_t &d : s)
        if (d == kDynamic)
          d = 1;
      resultShapes.push_back(s);
    }
  }
  if (resultShapes.size() != resultTypes.size())
    std::abort(); // resultShapes disagrees with results()
  std::vector<Operand> results;
  for (size_t r = 0; r < resultTypes.size(); ++r)
    results.push_back(makeOperand(in, resultTypes[r], resultShapes[r],
                                  fillMode, kvLen, seed));
  if (countDamage == 3)
    results.pop_back();
  if (countDamage == 4)
    results.push_back(makeOperand(in, resultTypes.back(),
                                  resultShapes.back(), fillMode, kvLen, seed));
  std::vector<TensorRef> resultRefs;
  for (Operand &o : results)
    resultRefs.push_back(o.ref);

  if (verbose) {
    llvm::errs() << "spec " << index << " ("
                 << functionName(kSpecs[index].text) << ")\n";
    auto print = [](const char *what, const TensorRef &t) {
      llvm::errs() << "  " << what << " " << toString(t.dtype) << " shape [";
      llvm::interleaveComma(t.shape, llvm::errs());
      llvm::errs() << "] strides [";
      llvm::interleaveComma(t.strides, llvm::errs());
      llvm::errs() << "]" << (t.data ? "" : " null") << "\n";
    };
    for (const TensorRef &t : argRefs)
      print("arg", t);
    for (const TensorRef &t : resultRefs)
      print("result", t);
  }
  llvm::Error e = kernel.run(argRefs, resultRefs);
  if (verbose)
    llvm::errs() << "  -> " << (e ? llvm::toString(std::move(e)) : "ok")
                 << "\n";
  llvm::consumeError(std::move(e));
  return 0;
}
