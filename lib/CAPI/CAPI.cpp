//===- CAPI.cpp - the C interface of attn's JIT (attn-c/attn.h) -----------===//
//
// Thin: converts the C structs to attn::AttentionSpec / TensorRef and back
// and turns llvm::Error into messages. Compilation is serialized per JIT
// (foreign callers such as ctypes release their own locks around calls).
//
//===----------------------------------------------------------------------===//

#include "attn-c/attn.h"

#include "attn/JIT.h"
#include "attn/Reference.h"
#include "attn/SpecIR.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

struct attn_jit {
  attn::JIT jit;
  std::mutex compileMutex;
};

struct attn_kernel {
  std::shared_ptr<attn::Kernel> kernel;
};

namespace {

/// Ranks beyond this are refused (no attn operand has more than 4 dims).
constexpr int32_t kMaxRank = 16;

char *copyString(llvm::StringRef s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  if (!out)
    return nullptr;
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

void setError(char **error, llvm::StringRef message) {
  if (error)
    *error = copyString(message);
}

/// Consumes `e`; stores its message. Returns true if there was an error.
bool failed(llvm::Error e, char **error) {
  if (!e)
    return false;
  setError(error, llvm::toString(std::move(e)));
  return true;
}

llvm::Expected<attn::ElementType> elementType(int32_t t) {
  switch (t) {
  case ATTN_F32:
    return attn::ElementType::F32;
  case ATTN_F16:
    return attn::ElementType::F16;
  case ATTN_BF16:
    return attn::ElementType::BF16;
  }
  return llvm::createStringError("element_type %d is not f32 (0), f16 (1) or "
                                 "bf16 (2)",
                                 t);
}

llvm::Expected<attn::Layout> layout(int32_t l) {
  if (l == ATTN_BHSD)
    return attn::Layout::BHSD;
  if (l == ATTN_BSHD)
    return attn::Layout::BSHD;
  return llvm::createStringError("layout %d is not bhsd (0) or bshd (1)", l);
}

attn::Dims dims(const attn_dims &d) {
  attn::Dims out;
  out.batch = d.batch;
  out.qHeads = d.q_heads;
  out.kvHeads = d.kv_heads;
  out.qLen = d.q_len;
  out.kvLen = d.kv_len;
  out.headDim = d.head_dim;
  out.valueDim = d.value_dim;
  return out;
}

attn::Broadcast broadcast(const uint8_t (&dims)[4]) {
  attn::Broadcast b;
  for (int i = 0; i < 4; ++i)
    b.dims[i] = dims[i] != 0;
  return b;
}

/// The fields both spec structs have: dims, element type, layout.
template <typename Spec, typename CSpec>
llvm::Error fillCommon(Spec &spec, const CSpec *s) {
  if (!s)
    return llvm::createStringError("the spec is a null pointer");
  spec.dims = dims(s->dims);
  auto elem = elementType(s->element_type);
  if (!elem)
    return elem.takeError();
  spec.elementType = *elem;
  auto lay = layout(s->layout);
  if (!lay)
    return lay.takeError();
  spec.layout = *lay;
  return llvm::Error::success();
}

llvm::Expected<attn::AttentionSpec> toSpec(const attn_attention_spec *s) {
  attn::AttentionSpec spec;
  if (llvm::Error e = fillCommon(spec, s))
    return std::move(e);
  switch (s->causal) {
  case ATTN_CAUSAL_NONE:
    spec.causal = attn::Causal::None;
    break;
  case ATTN_CAUSAL_BOTTOM_RIGHT:
    spec.causal = attn::Causal::BottomRight;
    break;
  case ATTN_CAUSAL_TOP_LEFT:
    spec.causal = attn::Causal::TopLeft;
    break;
  default:
    return llvm::createStringError(
        "causal %d is not none (0), bottom_right (1) or top_left (2)",
        s->causal);
  }
  if (s->has_scale)
    spec.scale = s->scale;
  if (s->has_window)
    spec.window = attn::Window{s->window_left, s->window_right};
  if (s->has_bias)
    spec.bias = broadcast(s->bias_broadcast);
  if (s->has_mask)
    spec.mask = broadcast(s->mask_broadcast);
  spec.keyPadding = s->key_padding != 0;
  spec.documents = s->documents != 0;
  spec.globalTokens = s->global_tokens != 0;
  spec.returnLse = s->return_lse != 0;
  switch (s->rotary) {
  case ATTN_ROTARY_NONE:
    break;
  case ATTN_ROTARY_HALF_SPLIT:
  case ATTN_ROTARY_INTERLEAVED:
    // The verifier checks dim and theta, with their values.
    spec.rotary = attn::Rotary{s->rotary == ATTN_ROTARY_HALF_SPLIT
                                   ? attn::RotaryStyle::HalfSplit
                                   : attn::RotaryStyle::Interleaved,
                               s->rotary_dim, s->rotary_theta};
    break;
  default:
    return llvm::createStringError(
        "rotary %d is not none (0), half_split (1) or interleaved (2)",
        s->rotary);
  }
  return spec;
}

llvm::Expected<attn::LinearAttentionSpec>
toSpec(const attn_linear_attention_spec *s) {
  attn::LinearAttentionSpec spec;
  if (llvm::Error e = fillCommon(spec, s))
    return std::move(e);
  switch (s->feature_map) {
  case ATTN_ELU_PLUS_ONE:
    spec.featureMap = attn::FeatureMap::EluPlusOne;
    break;
  case ATTN_RELU:
    spec.featureMap = attn::FeatureMap::Relu;
    break;
  case ATTN_FAVOR_PLUS:
    spec.featureMap = attn::FeatureMap::FavorPlus;
    break;
  case ATTN_SOFTMAX_MAP:
    spec.featureMap = attn::FeatureMap::Softmax;
    break;
  default:
    return llvm::createStringError(
        "feature_map %d is not elu_plus_one (0), relu (1), favor_plus (2) "
        "or softmax (3)",
        s->feature_map);
  }
  spec.causal = s->causal != 0;
  spec.numRandomFeatures = s->num_random_features;
  if (s->has_eps)
    spec.eps = s->eps;
  if (s->has_kernel_eps)
    spec.kernelEps = s->kernel_eps;
  spec.localHeads = s->local_heads;
  spec.localWindow = s->local_window;
  return spec;
}

llvm::Expected<attn::CompileOptions> options(const char *cpuName) {
  attn::CompileOptions o;
  if (cpuName)
    o.cpu = cpuName;
  return o;
}

llvm::Expected<attn::Target> target(const char *name) {
  if (!name)
    return llvm::createStringError("the target is a null pointer");
  return attn::parseTarget(name);
}

llvm::Expected<std::vector<attn::TensorRef>> tensors(const attn_tensor *ts,
                                                     int32_t n,
                                                     llvm::StringRef what) {
  if (n < 0 || (n > 0 && !ts))
    return llvm::createStringError("%s: %d tensors at a null pointer",
                                   what.str().c_str(), n);
  std::vector<attn::TensorRef> out(n);
  for (int32_t i = 0; i < n; ++i) {
    const attn_tensor &t = ts[i];
    auto bad = [&](const char *why) {
      return llvm::createStringError("%s %d: %s", what.str().c_str(), i, why);
    };
    if (t.rank < 0 || t.rank > kMaxRank)
      return bad("rank out of range [0, 16]");
    if (t.rank > 0 && !t.shape)
      return bad("null shape");
    if (t.dtype < ATTN_F32 || t.dtype > ATTN_BOOL)
      return bad("unknown dtype");
    if (t.memory != ATTN_HOST && t.memory != ATTN_DEVICE)
      return bad("memory is neither host (0) nor device (1)");
    out[i].data = t.data;
    out[i].memory =
        t.memory == ATTN_DEVICE ? attn::Memory::Device : attn::Memory::Host;
    out[i].dtype = static_cast<attn::DType>(t.dtype);
    out[i].shape.assign(t.shape, t.shape + t.rank);
    if (t.strides)
      out[i].strides.assign(t.strides, t.strides + t.rank);
  }
  return out;
}

// The C enum and attn::DType list the same types in the same order.
static_assert(ATTN_F32 == int(attn::DType::F32) &&
              ATTN_F16 == int(attn::DType::F16) &&
              ATTN_BF16 == int(attn::DType::BF16) &&
              ATTN_I32 == int(attn::DType::I32) &&
              ATTN_I64 == int(attn::DType::I64) &&
              ATTN_BOOL == int(attn::DType::Bool));

attn_kernel *wrap(llvm::Expected<std::shared_ptr<attn::Kernel>> k,
                  char **error) {
  if (!k) {
    failed(k.takeError(), error);
    return nullptr;
  }
  return new attn_kernel{std::move(*k)};
}

template <typename Spec, typename CSpec>
attn_kernel *compileSpec(attn_jit *jit, const CSpec *s, const char *targetName,
                         const char *cpuName, char **error) {
  if (!jit) {
    setError(error, "the jit is a null pointer");
    return nullptr;
  }
  auto spec = toSpec(s);
  auto t = target(targetName);
  auto o = options(cpuName);
  if (failed(spec.takeError(), error) || failed(t.takeError(), error) ||
      failed(o.takeError(), error))
    return nullptr;
  std::lock_guard<std::mutex> lock(jit->compileMutex);
  return wrap(jit->jit.compile(*spec, *t, *o), error);
}

const attn::ArgType *argType(llvm::ArrayRef<attn::ArgType> types, int32_t i) {
  if (i < 0 || size_t(i) >= types.size())
    return nullptr;
  return &types[i];
}

llvm::Expected<std::vector<attn::RefTensor>>
refTensors(const attn_ref_tensor *ts, int32_t n) {
  if (n < 0 || (n > 0 && !ts))
    return llvm::createStringError("%d reference operands at a null pointer",
                                   n);
  std::vector<attn::RefTensor> out(n);
  for (int32_t i = 0; i < n; ++i) {
    const attn_ref_tensor &t = ts[i];
    if (t.rank < 0 || t.rank > kMaxRank || (t.rank > 0 && !t.shape))
      return llvm::createStringError("reference operand %d: bad rank or "
                                     "null shape",
                                     i);
    std::vector<int64_t> shape(t.shape, t.shape + t.rank);
    int64_t count = 1;
    for (int64_t d : shape)
      if (d < 0 || (d > 0 && count > INT64_MAX / d))
        return llvm::createStringError("reference operand %d: bad shape", i);
      else
        count *= d;
    if (count > 0 && !t.data)
      return llvm::createStringError("reference operand %d: null data", i);
    out[i] = attn::RefTensor(shape, std::vector<double>(t.data, t.data + count));
  }
  return out;
}

/// The tensors of attn_kernel_run_packed's word array.
llvm::Expected<std::vector<attn::TensorRef>>
unpack(const int64_t *words, int64_t numWords, int64_t count) {
  if (count < 0 || numWords < 0 || (numWords > 0 && !words))
    return llvm::createStringError("bad packed tensor array");
  std::vector<attn::TensorRef> out(count);
  int64_t at = 0;
  for (int64_t i = 0; i < count; ++i) {
    auto bad = [&](const char *why) {
      return llvm::createStringError("packed tensor %lld: %s", (long long)i,
                                     why);
    };
    if (numWords - at < 4)
      return bad("the array ends early");
    int64_t memory = words[at + 1], dtype = words[at + 2],
            rank = words[at + 3];
    if (rank < 0 || rank > kMaxRank)
      return bad("rank out of range [0, 16]");
    if (numWords - at - 4 < 2 * rank)
      return bad("the array ends early");
    if (dtype < ATTN_F32 || dtype > ATTN_BOOL)
      return bad("unknown dtype");
    if (memory != ATTN_HOST && memory != ATTN_DEVICE)
      return bad("memory is neither host (0) nor device (1)");
    attn::TensorRef &t = out[i];
    t.data = reinterpret_cast<void *>(static_cast<intptr_t>(words[at]));
    t.memory = memory == ATTN_DEVICE ? attn::Memory::Device : attn::Memory::Host;
    t.dtype = static_cast<attn::DType>(dtype);
    t.shape.assign(words + at + 4, words + at + 4 + rank);
    t.strides.assign(words + at + 4 + rank, words + at + 4 + 2 * rank);
    at += 4 + 2 * rank;
  }
  return out;
}

/// Takes the next operand if `present`.
std::optional<attn::RefTensor> next(std::vector<attn::RefTensor> &ops,
                                    size_t &at, bool present) {
  if (!present || at >= ops.size())
    return std::nullopt;
  return std::move(ops[at++]);
}

bool copyOut(const attn::RefTensor &t, double *dst, int64_t capacity,
             const char *what, char **error) {
  if (int64_t(t.data.size()) > capacity || (!t.data.empty() && !dst)) {
    setError(error, (llvm::Twine(what) + " needs " + llvm::Twine(t.data.size()) +
                     " doubles, the buffer holds " + llvm::Twine(capacity))
                        .str());
    return false;
  }
  std::copy(t.data.begin(), t.data.end(), dst);
  return true;
}

} // namespace

extern "C" {

int32_t attn_c_api_version(void) { return ATTN_C_API_VERSION; }

void attn_string_free(char *s) { std::free(s); }

attn_jit *attn_jit_create(void) { return new attn_jit(); }

void attn_jit_destroy(attn_jit *jit) { delete jit; }

int64_t attn_jit_num_compilations(const attn_jit *jit) {
  return jit ? jit->jit.numCompilations() : 0;
}

int64_t attn_jit_num_disk_cache_hits(const attn_jit *jit) {
  return jit ? jit->jit.numDiskCacheHits() : 0;
}

attn_kernel *attn_jit_compile(attn_jit *jit, const char *mlirText,
                              const char *funcName, const char *targetName,
                              const char *cpuName, char **error) {
  if (!jit || !mlirText) {
    setError(error, "the jit or the spec text is a null pointer");
    return nullptr;
  }
  auto t = target(targetName);
  auto o = options(cpuName);
  if (failed(t.takeError(), error) || failed(o.takeError(), error))
    return nullptr;
  std::lock_guard<std::mutex> lock(jit->compileMutex);
  return wrap(jit->jit.compile(mlirText, *t, *o, funcName ? funcName : ""),
              error);
}

attn_kernel *attn_jit_compile_attention(attn_jit *jit,
                                        const attn_attention_spec *spec,
                                        const char *targetName,
                                        const char *cpuName, char **error) {
  return compileSpec<attn::AttentionSpec>(jit, spec, targetName, cpuName,
                                          error);
}

attn_kernel *attn_jit_compile_linear_attention(
    attn_jit *jit, const attn_linear_attention_spec *spec,
    const char *targetName, const char *cpuName, char **error) {
  return compileSpec<attn::LinearAttentionSpec>(jit, spec, targetName, cpuName,
                                                error);
}

char *attn_attention_spec_text(const attn_attention_spec *s, char **error) {
  auto spec = toSpec(s);
  if (failed(spec.takeError(), error))
    return nullptr;
  mlir::MLIRContext ctx;
  auto module = attn::buildAttentionModule(ctx, *spec);
  if (failed(module.takeError(), error))
    return nullptr;
  std::string text;
  llvm::raw_string_ostream os(text);
  (*module)->print(os);
  return copyString(text);
}

void attn_kernel_destroy(attn_kernel *kernel) { delete kernel; }

int32_t attn_kernel_num_arguments(const attn_kernel *k) {
  return k ? int32_t(k->kernel->arguments().size()) : 0;
}
int32_t attn_kernel_num_results(const attn_kernel *k) {
  return k ? int32_t(k->kernel->results().size()) : 0;
}
int32_t attn_kernel_argument_dtype(const attn_kernel *k, int32_t i) {
  const attn::ArgType *t = k ? argType(k->kernel->arguments(), i) : nullptr;
  return t ? int32_t(t->dtype) : -1;
}
int32_t attn_kernel_argument_rank(const attn_kernel *k, int32_t i) {
  const attn::ArgType *t = k ? argType(k->kernel->arguments(), i) : nullptr;
  return t ? int32_t(t->shape.size()) : -1;
}
int32_t attn_kernel_result_dtype(const attn_kernel *k, int32_t i) {
  const attn::ArgType *t = k ? argType(k->kernel->results(), i) : nullptr;
  return t ? int32_t(t->dtype) : -1;
}
int32_t attn_kernel_result_rank(const attn_kernel *k, int32_t i) {
  const attn::ArgType *t = k ? argType(k->kernel->results(), i) : nullptr;
  return t ? int32_t(t->shape.size()) : -1;
}

int32_t attn_kernel_result_shapes(attn_kernel *k, const attn_tensor *args,
                                  int32_t numArgs, int64_t *shapes,
                                  char **error) {
  if (!k || !shapes) {
    setError(error, "the kernel or the shape buffer is a null pointer");
    return 1;
  }
  auto in = tensors(args, numArgs, "argument");
  if (failed(in.takeError(), error))
    return 1;
  auto result = k->kernel->resultShapes(*in);
  if (failed(result.takeError(), error))
    return 1;
  for (const std::vector<int64_t> &shape : *result)
    for (int64_t d : shape)
      *shapes++ = d;
  return 0;
}

int32_t attn_kernel_run(attn_kernel *k, const attn_tensor *args,
                        int32_t numArgs, const attn_tensor *results,
                        int32_t numResults, void *stream, char **error) {
  if (!k) {
    setError(error, "the kernel is a null pointer");
    return 1;
  }
  auto in = tensors(args, numArgs, "argument");
  if (failed(in.takeError(), error))
    return 1;
  auto out = tensors(results, numResults, "result");
  if (failed(out.takeError(), error))
    return 1;
  return failed(k->kernel->run(*in, *out, stream), error) ? 1 : 0;
}

int32_t attn_kernel_run_packed(attn_kernel *k, const int64_t *words,
                               int64_t numWords, int32_t numArgs,
                               int32_t numResults, void *stream,
                               char **error) {
  if (!k) {
    setError(error, "the kernel is a null pointer");
    return 1;
  }
  if (numArgs < 0 || numResults < 0) {
    setError(error, "negative tensor counts");
    return 1;
  }
  auto all = unpack(words, numWords, int64_t(numArgs) + numResults);
  if (failed(all.takeError(), error))
    return 1;
  llvm::ArrayRef<attn::TensorRef> tensors = *all;
  return failed(k->kernel->run(tensors.take_front(numArgs),
                               tensors.drop_front(numArgs), stream),
                error)
             ? 1
             : 0;
}

int32_t attn_reference_attention(const attn_attention_spec *s,
                                 const attn_ref_tensor *args, int32_t numArgs,
                                 double *out, int64_t outCapacity, double *lse,
                                 int64_t lseCapacity, char **error) {
  auto spec = toSpec(s);
  if (failed(spec.takeError(), error))
    return 1;
  auto ops = refTensors(args, numArgs);
  if (failed(ops.takeError(), error))
    return 1;
  size_t expected = 3 + spec->bias.has_value() + spec->mask.has_value() +
                    spec->keyPadding + 2 * spec->documents +
                    spec->globalTokens;
  if (ops->size() != expected) {
    setError(error, (llvm::Twine("the spec takes ") + llvm::Twine(expected) +
                     " operands, got " + llvm::Twine(ops->size()))
                        .str());
    return 1;
  }
  size_t at = 3;
  attn::AttentionInputs in;
  in.q = std::move((*ops)[0]);
  in.k = std::move((*ops)[1]);
  in.v = std::move((*ops)[2]);
  in.bias = next(*ops, at, spec->bias.has_value());
  in.mask = next(*ops, at, spec->mask.has_value());
  in.kvLengths = next(*ops, at, spec->keyPadding);
  in.docQ = next(*ops, at, spec->documents);
  in.docK = next(*ops, at, spec->documents);
  in.globalTokens = next(*ops, at, spec->globalTokens);
  auto result = attn::referenceAttention(*spec, in);
  if (failed(result.takeError(), error))
    return 1;
  if (!copyOut(result->out, out, outCapacity, "o", error))
    return 1;
  if (spec->returnLse && !copyOut(result->lse, lse, lseCapacity, "lse", error))
    return 1;
  return 0;
}

int32_t attn_reference_linear_attention(const attn_linear_attention_spec *s,
                                        const attn_ref_tensor *args,
                                        int32_t numArgs, double *out,
                                        int64_t outCapacity, char **error) {
  auto spec = toSpec(s);
  if (failed(spec.takeError(), error))
    return 1;
  auto ops = refTensors(args, numArgs);
  if (failed(ops.takeError(), error))
    return 1;
  size_t expected = 3 + (spec->numRandomFeatures > 0);
  if (ops->size() != expected) {
    setError(error, (llvm::Twine("the spec takes ") + llvm::Twine(expected) +
                     " operands, got " + llvm::Twine(ops->size()))
                        .str());
    return 1;
  }
  attn::LinearAttentionInputs in;
  in.q = std::move((*ops)[0]);
  in.k = std::move((*ops)[1]);
  in.v = std::move((*ops)[2]);
  if (expected == 4)
    in.projection = std::move((*ops)[3]);
  auto result = attn::referenceLinearAttention(*spec, in);
  if (failed(result.takeError(), error))
    return 1;
  return copyOut(*result, out, outCapacity, "o", error) ? 0 : 1;
}

} // extern "C"
