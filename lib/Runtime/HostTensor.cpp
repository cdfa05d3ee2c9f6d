//===- HostTensor.cpp - host buffers, half conversions, random operands ---===//

#include "attn/HostTensor.h"
#include "attn/RandomFeatures.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <unistd.h>

namespace attn {

float f16ToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { // subnormal: renormalize
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while (!(man & 0x400));
      bits = sign | ((127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t floatToF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t man = x & 0x7fffffu;
  if (((x >> 23) & 0xff) == 0xff) // inf / nan
    return static_cast<uint16_t>(sign | 0x7c00u | (man ? 0x200u : 0));
  if (exp >= 0x1f)
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (exp <= 0) { // subnormal or zero, round to nearest even
    if (exp < -10)
      return static_cast<uint16_t>(sign);
    man |= 0x800000u;
    uint32_t shift = 14 - exp;
    uint32_t half = 1u << (shift - 1);
    uint32_t rounded = (man + half - 1 + ((man >> shift) & 1)) >> shift;
    return static_cast<uint16_t>(sign | rounded);
  }
  uint32_t rounded = man + 0xfffu + ((man >> 13) & 1);
  if (rounded & 0x800000u) {
    rounded = 0;
    ++exp;
    if (exp >= 0x1f)
      return static_cast<uint16_t>(sign | 0x7c00u);
  }
  return static_cast<uint16_t>(sign | (exp << 10) | (rounded >> 13));
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t floatToBF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) // nan stays nan
    return static_cast<uint16_t>((x >> 16) | 0x40);
  x += 0x7fffu + ((x >> 16) & 1);
  return static_cast<uint16_t>(x >> 16);
}

llvm::Expected<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> shape,
                                            DType dtype) {
  auto describe = [&] {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
      text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
  };
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "shape " + describe() +
                                         " has a negative dim");
    if (llvm::MulOverflow(count, d, count))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "shape " + describe() + " has more elements than an int64 counts");
  }
  int64_t bytes;
  if (llvm::MulOverflow(count, static_cast<int64_t>(sizeOf(dtype)), bytes))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "shape " + describe() +
                                       " needs more bytes than an int64 counts");
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0 && bytes / page > pages)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "shape " + describe() + " needs " + std::to_string(bytes) +
            " bytes, more than this machine's " +
            std::to_string(static_cast<int64_t>(pages) * page) +
            " bytes of memory");
  return count;
}

HostTensor::HostTensor(DType dtype, std::vector<int64_t> shape)
    : dtype(dtype), shape(std::move(shape)) {
  bytes.assign(numElements() * sizeOf(dtype), 0);
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

double HostTensor::get(int64_t e) const {
  const uint8_t *p = bytes.data() + e * sizeOf(dtype);
  switch (dtype) {
  case DType::F32: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  case DType::F16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return f16ToFloat(h);
  }
  case DType::BF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bf16ToFloat(h);
  }
  case DType::I32: {
    int32_t i;
    std::memcpy(&i, p, 4);
    return i;
  }
  case DType::I64: {
    int64_t i;
    std::memcpy(&i, p, 8);
    return static_cast<double>(i);
  }
  case DType::Bool:
    return *p ? 1.0 : 0.0;
  }
  return 0.0;
}

void HostTensor::set(int64_t e, double value) {
  uint8_t *p = bytes.data() + e * sizeOf(dtype);
  switch (dtype) {
  case DType::F32: {
    float f = static_cast<float>(value);
    std::memcpy(p, &f, 4);
    return;
  }
  case DType::F16: {
    uint16_t h = floatToF16(static_cast<float>(value));
    std::memcpy(p, &h, 2);
    return;
  }
  case DType::BF16: {
    uint16_t h = floatToBF16(static_cast<float>(value));
    std::memcpy(p, &h, 2);
    return;
  }
  case DType::I32: {
    int32_t i = static_cast<int32_t>(value);
    std::memcpy(p, &i, 4);
    return;
  }
  case DType::I64: {
    int64_t i = static_cast<int64_t>(value);
    std::memcpy(p, &i, 8);
    return;
  }
  case DType::Bool:
    *p = value != 0.0;
    return;
  }
}

void HostTensor::poison(uint8_t byte) {
  std::fill(bytes.begin(), bytes.end(), byte);
}

TensorRef HostTensor::ref() {
  TensorRef r;
  r.data = bytes.data();
  r.dtype = dtype;
  r.shape = shape;
  r.strides = TensorRef::contiguousStrides(shape);
  return r;
}

RefTensor HostTensor::toRef() const {
  RefTensor t(shape);
  for (int64_t e = 0; e < numElements(); ++e)
    t.data[e] = get(e);
  return t;
}

HostTensor HostTensor::fromRef(const RefTensor &t, DType dtype) {
  HostTensor h(dtype, t.shape);
  for (int64_t e = 0; e < h.numElements(); ++e)
    h.set(e, t.data[e]);
  return h;
}

std::vector<std::vector<int64_t>> argumentShapes(llvm::ArrayRef<ArgType> args,
                                                 const Dims &d, Layout layout) {
  auto stored = [&](int64_t b, int64_t h, int64_t s, int64_t x) {
    return layout == Layout::BHSD ? std::vector<int64_t>{b, h, s, x}
                                  : std::vector<int64_t>{b, s, h, x};
  };
  std::vector<std::vector<int64_t>> shapes;
  for (const ArgType &a : args) {
    const std::string &n = a.name;
    std::vector<int64_t> s;
    if (n == "query")
      s = stored(d.batch, d.qHeads, d.qLen, d.headDim);
    else if (n == "key")
      s = stored(d.batch, d.kvHeads, d.kvLen, d.headDim);
    else if (n == "value")
      s = stored(d.batch, d.kvHeads, d.kvLen, d.valueDim);
    else if (n == "bias" || n == "mask") {
      int64_t full[4] = {d.batch, d.qHeads, d.qLen, d.kvLen};
      for (int i = 0; i < 4; ++i)
        s.push_back(a.shape[i] == 1 ? 1 : full[i]);
    } else if (n == "kv_lengths")
      s = {d.batch};
    else if (n == "doc_q" || n == "global_tokens")
      s = {d.batch, d.qLen};
    else if (n == "doc_k")
      s = {d.batch, d.kvLen};
    else
      s = a.shape;
    shapes.push_back(s);
  }
  return shapes;
}

namespace {

/// Sorted document ids for `len` positions: runs of random length.
std::vector<int64_t> documentIds(std::mt19937_64 &gen, int64_t len) {
  std::vector<int64_t> ids(len);
  int64_t doc = 0, left = 0;
  for (int64_t i = 0; i < len; ++i) {
    if (left == 0) {
      ++doc;
      left = std::uniform_int_distribution<int64_t>(1, std::max<int64_t>(
                                                           1, len / 3))(gen);
    }
    ids[i] = doc;
    --left;
  }
  return ids;
}

/// Uniform in [-1, 1) from 53 random bits. std::uniform_real_distribution
/// recomputes a long-double logarithm per draw in libstdc++ (most of
/// attn-run's time for large inputs).
double uniformSigned(std::mt19937_64 &gen) {
  return static_cast<double>(gen() >> 11) * 0x1.0p-52 - 1.0;
}

} // namespace

std::vector<HostTensor> randomArguments(llvm::ArrayRef<ArgType> args,
                                        const std::vector<std::vector<int64_t>> &shapes,
                                        const Dims &dims, uint64_t seed,
                                        double scale) {
  std::mt19937_64 gen(seed);
  std::vector<HostTensor> out;
  for (size_t a = 0; a < args.size(); ++a) {
    HostTensor t(args[a].dtype, shapes[a]);
    const std::string &n = args[a].name;
    int64_t count = t.numElements();
    if (n == "mask") {
      std::bernoulli_distribution allowed(0.7);
      for (int64_t e = 0; e < count; ++e)
        t.set(e, allowed(gen));
      // One fully masked row (every key of query 0, first batch and head).
      int64_t lk = shapes[a][3];
      for (int64_t j = 0; j < lk && count >= lk; ++j)
        t.set(j, 0.0);
    } else if (n == "kv_lengths") {
      for (int64_t e = 0; e < count; ++e)
        t.set(e, static_cast<double>(
                     std::uniform_int_distribution<int64_t>(0, dims.kvLen)(gen)));
    } else if (n == "doc_q" || n == "doc_k") {
      for (int64_t b = 0; b < shapes[a][0]; ++b) {
        std::vector<int64_t> ids = documentIds(gen, shapes[a][1]);
        for (int64_t i = 0; i < shapes[a][1]; ++i)
          t.set(b * shapes[a][1] + i, static_cast<double>(ids[i]));
      }
    } else if (n == "global_tokens") {
      std::bernoulli_distribution global(0.05);
      for (int64_t e = 0; e < count; ++e)
        t.set(e, global(gen));
    } else if (n == "projection") {
      auto p = orthogonalRandomFeatures(shapes[a][0], shapes[a][1], seed);
      for (int64_t e = 0; p && e < count; ++e)
        t.set(e, p->data[e]);
      if (!p)
        llvm::consumeError(p.takeError());
    } else if (n == "bias") {
      for (int64_t e = 0; e < count; ++e)
        t.set(e, uniformSigned(gen));
    } else {
      for (int64_t e = 0; e < count; ++e)
        t.set(e, uniformSigned(gen) * scale);
    }
    out.push_back(std::move(t));
  }
  return out;
}

/// The operand roles of an argument (its name alone where none are known).
static std::vector<std::string> rolesOf(const ArgType &arg) {
  return arg.roles.empty() ? std::vector<std::string>{arg.name} : arg.roles;
}

AttentionInputs referenceInputs(llvm::ArrayRef<ArgType> args,
                                const std::vector<HostTensor> &values) {
  AttentionInputs in;
  for (size_t a = 0; a < args.size(); ++a)
    for (const std::string &n : rolesOf(args[a])) {
      RefTensor t = values[a].toRef();
      if (n == "query") in.q = std::move(t);
      else if (n == "key") in.k = std::move(t);
      else if (n == "value") in.v = std::move(t);
      else if (n == "bias") in.bias = std::move(t);
      else if (n == "mask") in.mask = std::move(t);
      else if (n == "kv_lengths") in.kvLengths = std::move(t);
      else if (n == "doc_q") in.docQ = std::move(t);
      else if (n == "doc_k") in.docK = std::move(t);
      else if (n == "global_tokens") in.globalTokens = std::move(t);
    }
  return in;
}

LinearAttentionInputs linearReferenceInputs(llvm::ArrayRef<ArgType> args,
                                            const std::vector<HostTensor> &values) {
  LinearAttentionInputs in;
  for (size_t a = 0; a < args.size(); ++a)
    for (const std::string &n : rolesOf(args[a])) {
      if (n == "query") in.q = values[a].toRef();
      else if (n == "key") in.k = values[a].toRef();
      else if (n == "value") in.v = values[a].toRef();
      else if (n == "projection") in.projection = values[a].toRef();
    }
  return in;
}

ErrorStats compare(const HostTensor &got, const RefTensor &want) {
  ErrorStats s;
  double maxWant = 0.0;
  for (int64_t e = 0; e < got.numElements(); ++e) {
    double g = got.get(e), w = want.data[e];
    if (std::isnan(w))
      continue;
    if (std::isnan(g))
      s.nan = true;
    if (std::isinf(w) && g == w)
      continue; // an LSE of -inf matched exactly
    maxWant = std::max(maxWant, std::isfinite(w) ? std::fabs(w) : 0.0);
    double diff = std::fabs(g - w);
    if (std::isnan(diff) || std::isinf(diff))
      diff = std::numeric_limits<double>::infinity();
    s.maxAbs = std::max(s.maxAbs, diff);
  }
  s.maxRel = maxWant > 0 ? s.maxAbs / maxWant : s.maxAbs;
  return s;
}

} // namespace attn
