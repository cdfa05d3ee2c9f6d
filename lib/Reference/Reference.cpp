//===- Reference.cpp - fp64 reference of DESIGN.md §1 ---------------------===//
//
// Written for obviousness, not speed: one query row at a time for softmax
// attention, and the running-state form of linear attention (exact in fp64 and
// linear in L, so long sequences stay checkable).
//
//===----------------------------------------------------------------------===//

#include "attn/Reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace attn {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string shapeStr(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Element (b, h, s, d) of a Q/K/V/O tensor stored in `layout`.
int64_t qkvOffset(const RefTensor &t, Layout layout, int64_t b, int64_t h,
                  int64_t s, int64_t d) {
  return layout == Layout::BHSD ? t.offset({b, h, s, d})
                                : t.offset({b, s, h, d});
}

/// Checks that `t` has exactly `expected` as shape.
llvm::Error checkShape(const char *name, const RefTensor &t,
                       const std::vector<int64_t> &expected) {
  if (t.shape != expected)
    return fail(llvm::Twine(name) + " has shape " + shapeStr(t.shape) +
                ", expected " + shapeStr(expected));
  return llvm::Error::success();
}

/// Checks a [B, H, Lq, Lk] operand whose dims flagged in `mayBroadcast` may
/// be 1.
llvm::Error checkBroadcast(const char *name, const RefTensor &t,
                           const std::vector<int64_t> &full,
                           std::array<bool, 4> mayBroadcast) {
  if (t.rank() != 4)
    return fail(llvm::Twine(name) + " must be rank 4, got shape " +
                shapeStr(t.shape));
  for (int i = 0; i < 4; ++i)
    if (t.shape[i] != full[i] && !(mayBroadcast[i] && t.shape[i] == 1))
      return fail(llvm::Twine(name) + " has shape " + shapeStr(t.shape) +
                  ", which does not broadcast to " + shapeStr(full));
  return llvm::Error::success();
}

/// Element (b, h, i, j) of a broadcast [B|1, H|1, Lq|1, Lk|1] tensor.
double broadcastAt(const RefTensor &t, int64_t b, int64_t h, int64_t i,
                   int64_t j) {
  int64_t idx[4] = {b, h, i, j};
  int64_t off = 0;
  for (int d = 0; d < 4; ++d)
    off = off * t.shape[d] + (t.shape[d] == 1 ? 0 : idx[d]);
  return t.data[off];
}

llvm::Error checkPresence(const char *name, bool inSpec, bool given) {
  if (inSpec && !given)
    return fail(llvm::Twine("the spec has ") + name + " but no " + name +
                " tensor was given");
  if (!inSpec && given)
    return fail(llvm::Twine("a ") + name +
                " tensor was given but the spec has none");
  return llvm::Error::success();
}

llvm::Error checkOperands(const AttentionSpec &spec,
                          const AttentionInputs &in, const Dims &d) {
  if (llvm::Error e = checkPresence("bias", spec.bias.has_value(),
                                    in.bias.has_value()))
    return e;
  if (llvm::Error e = checkPresence("mask", spec.mask.has_value(),
                                    in.mask.has_value()))
    return e;
  if (llvm::Error e = checkPresence("kv_lengths", spec.keyPadding,
                                    in.kvLengths.has_value()))
    return e;
  if (llvm::Error e = checkPresence("documents", spec.documents,
                                    in.docQ.has_value() && in.docK.has_value()))
    return e;
  if (llvm::Error e = checkPresence("global_tokens", spec.globalTokens,
                                    in.globalTokens.has_value()))
    return e;

  std::vector<int64_t> full = {d.batch, d.qHeads, d.qLen, d.kvLen};
  if (in.bias)
    if (llvm::Error e =
            checkBroadcast("bias", *in.bias, full, {true, true, true, true}))
      return e;
  if (in.mask)
    if (llvm::Error e =
            checkBroadcast("mask", *in.mask, full, {true, true, false, false}))
      return e;
  if (in.kvLengths)
    if (llvm::Error e = checkShape("kv_lengths", *in.kvLengths, {d.batch}))
      return e;
  if (in.docQ) {
    if (llvm::Error e = checkShape("doc_q", *in.docQ, {d.batch, d.qLen}))
      return e;
    if (llvm::Error e = checkShape("doc_k", *in.docK, {d.batch, d.kvLen}))
      return e;
  }
  if (in.globalTokens) {
    if (!spec.window)
      return fail("global_tokens need a window (Longformer band)");
    if (d.qLen != d.kvLen)
      return fail("global_tokens need Lq == Lk, got Lq = " +
                  llvm::Twine(d.qLen) + " and Lk = " + llvm::Twine(d.kvLen));
    if (llvm::Error e =
            checkShape("global_tokens", *in.globalTokens, {d.batch, d.qLen}))
      return e;
  }
  if (spec.window && (spec.window->left < 0 || spec.window->right < 0))
    return fail("window (" + llvm::Twine(spec.window->left) + ", " +
                llvm::Twine(spec.window->right) + ") must not be negative");
  return llvm::Error::success();
}

} // namespace

RefTensor::RefTensor(std::vector<int64_t> shape) : shape(std::move(shape)) {
  data.assign(numElements(), 0.0);
}

RefTensor RefTensor::filled(std::vector<int64_t> shape, double value) {
  RefTensor t(std::move(shape));
  t.data.assign(t.data.size(), value);
  return t;
}

RefTensor::RefTensor(std::vector<int64_t> shape, std::vector<double> data)
    : shape(std::move(shape)), data(std::move(data)) {}

int64_t RefTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t RefTensor::offset(std::initializer_list<int64_t> index) const {
  int64_t off = 0;
  size_t dim = 0;
  for (int64_t i : index)
    off = off * shape[dim++] + i;
  return off;
}

llvm::Expected<Dims> resolveDims(const Dims &spec, Layout layout,
                                 const RefTensor &q, const RefTensor &k,
                                 const RefTensor &v) {
  for (auto [name, t] : {std::pair<const char *, const RefTensor *>{"query", &q},
                         {"key", &k},
                         {"value", &v}})
    if (t->rank() != 4)
      return fail(llvm::Twine(name) + " must be rank 4, got shape " +
                  shapeStr(t->shape));
  auto logical = [&](const RefTensor &t) -> std::array<int64_t, 4> {
    const std::vector<int64_t> &s = t.shape;
    if (layout == Layout::BSHD)
      return {s[0], s[2], s[1], s[3]};
    return {s[0], s[1], s[2], s[3]};
  };
  auto lq = logical(q), lk = logical(k), lv = logical(v);
  Dims d{lq[0], lq[1], lk[1], lq[2], lk[2], lq[3], lv[3]};
  if (lk[0] != d.batch || lv[0] != d.batch)
    return fail("batch sizes differ: query " + llvm::Twine(d.batch) +
                ", key " + llvm::Twine(lk[0]) + ", value " +
                llvm::Twine(lv[0]));
  if (lk[3] != d.headDim)
    return fail("query head dim " + llvm::Twine(d.headDim) +
                " differs from key head dim " + llvm::Twine(lk[3]));
  if (lv[1] != d.kvHeads || lv[2] != d.kvLen)
    return fail("key " + shapeStr(k.shape) + " and value " +
                shapeStr(v.shape) + " disagree on heads or length");
  if (d.kvHeads <= 0 || d.qHeads % d.kvHeads != 0)
    return fail("query heads Hq = " + llvm::Twine(d.qHeads) +
                " must be a multiple of key/value heads Hkv = " +
                llvm::Twine(d.kvHeads));

  const char *names[7] = {"B", "Hq", "Hkv", "Lq", "Lk", "D", "Dv"};
  int64_t want[7] = {spec.batch, spec.qHeads, spec.kvHeads, spec.qLen,
                     spec.kvLen, spec.headDim, spec.valueDim};
  int64_t got[7] = {d.batch, d.qHeads, d.kvHeads, d.qLen,
                    d.kvLen, d.headDim, d.valueDim};
  for (int i = 0; i < 7; ++i)
    if (want[i] != kDynamic && want[i] != got[i])
      return fail(llvm::Twine(names[i]) + " is " + llvm::Twine(got[i]) +
                  " but the spec says " + llvm::Twine(want[i]));
  return d;
}

namespace {
/// Dims of `in`, with every operand checked against the spec.
llvm::Expected<Dims> checkedDims(const AttentionSpec &spec,
                                 const AttentionInputs &in) {
  llvm::Expected<Dims> d = resolveDims(spec.dims, spec.layout, in.q, in.k, in.v);
  if (!d)
    return d.takeError();
  if (llvm::Error e = checkOperands(spec, in, *d))
    return std::move(e);
  return d;
}
} // namespace

bool isAllowed(const AttentionSpec &spec, const AttentionInputs &in,
               const Dims &d, int64_t b, int64_t h, int64_t i, int64_t j) {
  const int64_t off = d.kvLen - d.qLen;
  if (spec.causal == Causal::BottomRight && j > i + off)
    return false;
  if (spec.causal == Causal::TopLeft && j > i)
    return false;
  if (spec.window) {
    bool inBand = i + off - spec.window->left <= j &&
                  j <= i + off + spec.window->right;
    bool global = in.globalTokens && (in.globalTokens->at({b, i}) != 0.0 ||
                                      in.globalTokens->at({b, j}) != 0.0);
    if (!inBand && !global)
      return false;
  }
  if (in.kvLengths && j >= static_cast<int64_t>(in.kvLengths->at({b})))
    return false;
  if (in.docQ && in.docQ->at({b, i}) != in.docK->at({b, j}))
    return false;
  if (in.mask && broadcastAt(*in.mask, b, h, i, j) == 0.0)
    return false;
  return true;
}

namespace {
/// `t` [B, H, L, D] (in `layout`) with its rows rotated as `r` says, row s
/// at position s + `first`: pair f turns by pos * theta^(-2f/dim).
RefTensor rotated(const RefTensor &t, Layout layout, const Rotary &r,
                  int64_t first, int64_t B, int64_t H, int64_t L) {
  RefTensor out = t;
  const int64_t half = r.dim / 2;
  for (int64_t f = 0; f < half; ++f) {
    const double freq = std::pow(r.theta, -2.0 * static_cast<double>(f) /
                                              static_cast<double>(r.dim));
    const int64_t x1 = r.style == RotaryStyle::HalfSplit ? f : 2 * f;
    const int64_t x2 = r.style == RotaryStyle::HalfSplit ? f + half : 2 * f + 1;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t s = 0; s < L; ++s) {
          const double angle = static_cast<double>(s + first) * freq;
          const double c = std::cos(angle), sn = std::sin(angle);
          const int64_t o1 = qkvOffset(t, layout, b, h, s, x1),
                        o2 = qkvOffset(t, layout, b, h, s, x2);
          out.data[o1] = t.data[o1] * c - t.data[o2] * sn;
          out.data[o2] = t.data[o2] * c + t.data[o1] * sn;
        }
  }
  return out;
}

} // namespace

llvm::Expected<AttentionOutputs>
referenceAttention(const AttentionSpec &spec, const AttentionInputs &in,
                   int64_t rowStep) {
  llvm::Expected<Dims> maybeDims = checkedDims(spec, in);
  if (!maybeDims)
    return maybeDims.takeError();
  const Dims d = *maybeDims;

  const double scale =
      spec.scale ? *spec.scale : defaultScale(d.headDim);
  const int64_t group = d.qHeads / d.kvHeads;
  // Rotary embeddings: rotated copies of q and k stand in for them.
  std::optional<RefTensor> qRot, kRot;
  if (spec.rotary) {
    qRot = rotated(in.q, spec.layout, *spec.rotary, d.kvLen - d.qLen, d.batch,
                   d.qHeads, d.qLen);
    kRot = rotated(in.k, spec.layout, *spec.rotary, 0, d.batch, d.kvHeads,
                   d.kvLen);
  }
  const RefTensor &q = qRot ? *qRot : in.q, &k = kRot ? *kRot : in.k;
  std::vector<int64_t> outShape =
      spec.layout == Layout::BHSD
          ? std::vector<int64_t>{d.batch, d.qHeads, d.qLen, d.valueDim}
          : std::vector<int64_t>{d.batch, d.qLen, d.qHeads, d.valueDim};
  AttentionOutputs result{RefTensor(outShape),
                          RefTensor({d.batch, d.qHeads, d.qLen})};
  std::vector<double> scores(d.kvLen);
  std::vector<bool> allowed(d.kvLen);

  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t h = 0; h < d.qHeads; ++h) {
      const int64_t kvh = h / group;
      for (int64_t i = 0; i < d.qLen; ++i) {
        if (rowStep > 1 && ((b * d.qHeads + h) * d.qLen + i) % rowStep != 0) {
          for (int64_t y = 0; y < d.valueDim; ++y)
            result.out.data[qkvOffset(result.out, spec.layout, b, h, i, y)] =
                std::numeric_limits<double>::quiet_NaN();
          result.lse.at({b, h, i}) = std::numeric_limits<double>::quiet_NaN();
          continue;
        }
        double rowMax = -kInf;
        bool nanScore = false;
        for (int64_t j = 0; j < d.kvLen; ++j) {
          allowed[j] = isAllowed(spec, in, d, b, h, i, j);
          if (!allowed[j])
            continue;
          double dot = 0.0;
          for (int64_t x = 0; x < d.headDim; ++x)
            dot += q.data[qkvOffset(q, spec.layout, b, h, i, x)] *
                   k.data[qkvOffset(k, spec.layout, b, kvh, j, x)];
          scores[j] = scale * dot;
          if (in.bias)
            scores[j] += broadcastAt(*in.bias, b, h, i, j);
          rowMax = std::max(rowMax, scores[j]);
          nanScore |= std::isnan(scores[j]);
        }
        // A NaN score makes the whole row NaN, as IEEE arithmetic does in
        // the kernels (std::max above would skip it).
        if (nanScore) {
          for (int64_t y = 0; y < d.valueDim; ++y)
            result.out.data[qkvOffset(result.out, spec.layout, b, h, i, y)] =
                std::numeric_limits<double>::quiet_NaN();
          result.lse.at({b, h, i}) = std::numeric_limits<double>::quiet_NaN();
          continue;
        }
        // No allowed key (or only -inf scores): output 0, LSE -inf.
        if (rowMax == -kInf) {
          result.lse.at({b, h, i}) = -kInf;
          continue;
        }
        double sum = 0.0;
        for (int64_t j = 0; j < d.kvLen; ++j)
          if (allowed[j]) {
            scores[j] = std::exp(scores[j] - rowMax);
            sum += scores[j];
          }
        for (int64_t y = 0; y < d.valueDim; ++y) {
          double acc = 0.0;
          for (int64_t j = 0; j < d.kvLen; ++j)
            if (allowed[j])
              acc += scores[j] *
                     in.v.data[qkvOffset(in.v, spec.layout, b, kvh, j, y)];
          result.out.data[qkvOffset(result.out, spec.layout, b, h, i, y)] =
              acc / sum;
        }
        result.lse.at({b, h, i}) = rowMax + std::log(sum);
      }
    }
  return result;
}

llvm::Expected<int64_t> countAllowedPairs(const AttentionSpec &spec,
                                          const AttentionInputs &in) {
  llvm::Expected<Dims> maybeDims = checkedDims(spec, in);
  if (!maybeDims)
    return maybeDims.takeError();
  const Dims d = *maybeDims;
  int64_t count = 0;
  // Causal, window and key padding allow one interval of keys per row, the
  // same for every head: count in O(Lq) per batch instead of O(Lq * Lk).
  const bool intervals = !in.mask && !in.docQ && !in.globalTokens;
  for (int64_t b = 0; b < d.batch; ++b) {
    if (intervals) {
      const int64_t off = d.kvLen - d.qLen;
      int64_t perHead = 0;
      for (int64_t i = 0; i < d.qLen; ++i) {
        int64_t lo = 0, hi = d.kvLen; // [lo, hi)
        if (spec.causal == Causal::BottomRight)
          hi = std::min(hi, i + off + 1);
        if (spec.causal == Causal::TopLeft)
          hi = std::min(hi, i + 1);
        if (spec.window) {
          lo = std::max(lo, i + off - spec.window->left);
          hi = std::min(hi, i + off + spec.window->right + 1);
        }
        if (in.kvLengths)
          hi = std::min(hi, static_cast<int64_t>(in.kvLengths->at({b})));
        perHead += std::max<int64_t>(0, hi - lo);
      }
      count += perHead * d.qHeads;
      continue;
    }
    for (int64_t h = 0; h < d.qHeads; ++h)
      for (int64_t i = 0; i < d.qLen; ++i)
        for (int64_t j = 0; j < d.kvLen; ++j)
          count += isAllowed(spec, in, d, b, h, i, j);
  }
  return count;
}

//===----------------------------------------------------------------------===//
// Linear attention
//===----------------------------------------------------------------------===//

namespace {

/// Feature maps of one sequence (all rows of a (b, head) slice).
class FeatureMapper {
public:
  FeatureMapper(const LinearAttentionSpec &spec, const Dims &d,
                const RefTensor *projection)
      : spec(spec), d(d), p(projection),
        c(std::pow(static_cast<double>(d.headDim), -0.25)),
        epsK(spec.kernelEpsOrDefault()),
        m(projection ? projection->shape[0] : d.headDim) {}

  int64_t numFeatures() const { return m; }

  /// phi of rows [0, len) of `x` at (b, head); row-major [len, m].
  std::vector<double> map(const RefTensor &x, int64_t b, int64_t head,
                          int64_t len, bool isQuery) const {
    std::vector<double> rows(len * d.headDim);
    for (int64_t s = 0; s < len; ++s)
      for (int64_t t = 0; t < d.headDim; ++t)
        rows[s * d.headDim + t] =
            x.data[qkvOffset(x, spec.layout, b, head, s, t)];
    std::vector<double> phi(len * m);
    switch (spec.featureMap) {
    case FeatureMap::EluPlusOne:
      for (int64_t e = 0; e < len * m; ++e)
        phi[e] = rows[e] > 0 ? rows[e] + 1.0 : std::exp(rows[e]);
      break;
    case FeatureMap::Relu:
      project(rows, len, phi);
      for (double &f : phi)
        f = std::max(f, 0.0) + epsK;
      break;
    case FeatureMap::FavorPlus:
      favor(rows, len, isQuery, phi);
      break;
    case FeatureMap::Softmax:
      softmax(rows, len, isQuery, phi);
      break;
    }
    return phi;
  }

private:
  /// phi_pre = c * x P^T, or c * x without a projection.
  void project(const std::vector<double> &rows, int64_t len,
               std::vector<double> &out) const {
    for (int64_t s = 0; s < len; ++s)
      for (int64_t f = 0; f < m; ++f) {
        if (!p) {
          out[s * m + f] = c * rows[s * d.headDim + f];
          continue;
        }
        double dot = 0.0;
        for (int64_t t = 0; t < d.headDim; ++t)
          dot += rows[s * d.headDim + t] * p->data[f * d.headDim + t];
        out[s * m + f] = c * dot;
      }
  }

  void favor(const std::vector<double> &rows, int64_t len, bool isQuery,
             std::vector<double> &phi) const {
    std::vector<double> dash(len * m);
    project(rows, len, dash);
    // Keys share one stabilizer over all rows and features of the head.
    double keyStab = -kInf;
    if (!isQuery)
      for (double x : dash)
        keyStab = std::max(keyStab, x);
    const double norm = 1.0 / std::sqrt(static_cast<double>(m));
    for (int64_t s = 0; s < len; ++s) {
      double sq = 0.0;
      for (int64_t t = 0; t < d.headDim; ++t)
        sq += rows[s * d.headDim + t] * rows[s * d.headDim + t];
      const double diag = c * c * sq / 2.0;
      double stab = keyStab;
      if (isQuery) {
        stab = -kInf;
        for (int64_t f = 0; f < m; ++f)
          stab = std::max(stab, dash[s * m + f]);
      }
      for (int64_t f = 0; f < m; ++f)
        phi[s * m + f] =
            norm * (std::exp(dash[s * m + f] - diag - stab) + epsK);
    }
  }

  void softmax(const std::vector<double> &rows, int64_t len, bool isQuery,
               std::vector<double> &phi) const {
    const int64_t D = d.headDim;
    if (isQuery) { // softmax over the features of each row
      for (int64_t s = 0; s < len; ++s) {
        double mx = -kInf, sum = 0.0;
        for (int64_t t = 0; t < D; ++t)
          mx = std::max(mx, rows[s * D + t]);
        for (int64_t t = 0; t < D; ++t)
          sum += phi[s * D + t] = std::exp(rows[s * D + t] - mx);
        for (int64_t t = 0; t < D; ++t)
          phi[s * D + t] /= sum;
      }
      return;
    }
    if (spec.causal) { // a softmax over the sequence would see the future
      for (int64_t e = 0; e < len * D; ++e)
        phi[e] = std::exp(rows[e]);
      return;
    }
    for (int64_t t = 0; t < D; ++t) { // softmax over the sequence
      double mx = -kInf, sum = 0.0;
      for (int64_t s = 0; s < len; ++s)
        mx = std::max(mx, rows[s * D + t]);
      for (int64_t s = 0; s < len; ++s)
        sum += phi[s * D + t] = std::exp(rows[s * D + t] - mx);
      for (int64_t s = 0; s < len; ++s)
        phi[s * D + t] /= sum;
    }
  }

  const LinearAttentionSpec &spec;
  const Dims &d;
  const RefTensor *p;
  const double c, epsK;
  const int64_t m;
};

} // namespace

namespace {
/// Heads [h0, h0 + count) of a Q/K/V/O tensor stored in `layout`.
RefTensor sliceHeads(const RefTensor &t, Layout layout, int64_t h0,
                     int64_t count) {
  std::vector<int64_t> shape = t.shape;
  shape[layout == Layout::BHSD ? 1 : 2] = count;
  RefTensor r(shape);
  const int64_t B = shape[0], L = shape[layout == Layout::BHSD ? 2 : 1],
                D = shape[3];
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < count; ++h)
      for (int64_t s = 0; s < L; ++s)
        for (int64_t x = 0; x < D; ++x)
          r.data[qkvOffset(r, layout, b, h, s, x)] =
              t.data[qkvOffset(t, layout, b, h0 + h, s, x)];
  return r;
}

/// Writes `part` into heads [h0, ...) of `t`.
void putHeads(RefTensor &t, const RefTensor &part, Layout layout, int64_t h0) {
  const bool bhsd = layout == Layout::BHSD;
  const int64_t B = part.shape[0], H = part.shape[bhsd ? 1 : 2],
                L = part.shape[bhsd ? 2 : 1], D = part.shape[3];
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t s = 0; s < L; ++s)
        for (int64_t x = 0; x < D; ++x)
          t.data[qkvOffset(t, layout, b, h0 + h, s, x)] =
              part.data[qkvOffset(part, layout, b, h, s, x)];
}

/// Performer's mixed heads: local causal sliding-window softmax attention
/// on the first heads, the feature map on the others.
llvm::Expected<RefTensor> mixedHeads(const LinearAttentionSpec &spec,
                                     const LinearAttentionInputs &in,
                                     const Dims &d) {
  const int64_t n = spec.localHeads, group = d.qHeads / d.kvHeads;
  if (n <= 0 || n >= d.qHeads || n % group)
    return fail("local heads " + llvm::Twine(n) + " must be in [1, Hq - 1] "
                "and a multiple of Hq / Hkv = " + llvm::Twine(group));
  const Layout l = spec.layout;
  AttentionSpec local;
  local.layout = l;
  local.causal = Causal::BottomRight;
  local.window = Window{spec.localWindow, 0};
  AttentionInputs localIn{sliceHeads(in.q, l, 0, n),
                          sliceHeads(in.k, l, 0, n / group),
                          sliceHeads(in.v, l, 0, n / group)};
  auto localOut = referenceAttention(local, localIn);
  if (!localOut)
    return localOut.takeError();

  LinearAttentionSpec rest = spec;
  rest.localHeads = rest.localWindow = 0;
  rest.dims.qHeads = rest.dims.kvHeads = kDynamic;
  LinearAttentionInputs restIn{
      sliceHeads(in.q, l, n, d.qHeads - n),
      sliceHeads(in.k, l, n / group, d.kvHeads - n / group),
      sliceHeads(in.v, l, n / group, d.kvHeads - n / group), in.projection};
  auto restOut = referenceLinearAttention(rest, restIn);
  if (!restOut)
    return restOut.takeError();

  std::vector<int64_t> shape = restOut->shape;
  shape[l == Layout::BHSD ? 1 : 2] = d.qHeads;
  RefTensor out(shape);
  putHeads(out, localOut->out, l, 0);
  putHeads(out, *restOut, l, n);
  return out;
}
} // namespace

llvm::Expected<RefTensor>
referenceLinearAttention(const LinearAttentionSpec &spec,
                         const LinearAttentionInputs &in) {
  llvm::Expected<Dims> maybeDims =
      resolveDims(spec.dims, spec.layout, in.q, in.k, in.v);
  if (!maybeDims)
    return maybeDims.takeError();
  const Dims d = *maybeDims;
  if (spec.localHeads)
    return mixedHeads(spec, in, d);

  const bool needsP = spec.featureMap == FeatureMap::FavorPlus;
  const bool allowsP = needsP || spec.featureMap == FeatureMap::Relu;
  if (needsP && !in.projection)
    return fail("feature map favor_plus needs a projection [m, D]");
  if (!allowsP && in.projection)
    return fail(llvm::Twine("feature map ") + toString(spec.featureMap) +
                " takes no projection");
  if (in.projection) {
    const RefTensor &p = *in.projection;
    if (p.rank() != 2 || p.shape[1] != d.headDim || p.shape[0] <= 0)
      return fail("projection has shape " + shapeStr(p.shape) +
                  ", expected [m, " + llvm::Twine(d.headDim) + "]");
    if (spec.numRandomFeatures != p.shape[0])
      return fail("projection has " + llvm::Twine(p.shape[0]) +
                  " rows but the spec says m = " +
                  llvm::Twine(spec.numRandomFeatures));
  } else if (spec.numRandomFeatures != 0) {
    return fail("the spec has a projection but none was given");
  }

  FeatureMapper mapper(spec, d, in.projection ? &*in.projection : nullptr);
  const int64_t m = mapper.numFeatures(), Dv = d.valueDim;
  const int64_t group = d.qHeads / d.kvHeads, off = d.kvLen - d.qLen;
  const double eps = spec.epsOrDefault();
  std::vector<int64_t> outShape =
      spec.layout == Layout::BHSD
          ? std::vector<int64_t>{d.batch, d.qHeads, d.qLen, Dv}
          : std::vector<int64_t>{d.batch, d.qLen, d.qHeads, Dv};
  RefTensor out(outShape);

  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t kvh = 0; kvh < d.kvHeads; ++kvh) {
      std::vector<double> phiK = mapper.map(in.k, b, kvh, d.kvLen, false);
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        std::vector<double> phiQ = mapper.map(in.q, b, h, d.qLen, true);
        // S = sum_j phi(k_j) v_j^T and z = sum_j phi(k_j) over the keys
        // visible so far; the causal case grows them as i advances.
        std::vector<double> S(m * Dv, 0.0), z(m, 0.0);
        int64_t added = 0;
        auto addKeysUpTo = [&](int64_t end) {
          for (; added < std::min(end, d.kvLen); ++added)
            for (int64_t f = 0; f < m; ++f) {
              const double pk = phiK[added * m + f];
              z[f] += pk;
              for (int64_t y = 0; y < Dv; ++y)
                S[f * Dv + y] +=
                    pk * in.v.data[qkvOffset(in.v, spec.layout, b, kvh,
                                             added, y)];
            }
        };
        if (!spec.causal)
          addKeysUpTo(d.kvLen);
        for (int64_t i = 0; i < d.qLen; ++i) {
          if (spec.causal)
            addKeysUpTo(i + off + 1);
          double den = eps;
          for (int64_t f = 0; f < m; ++f)
            den += phiQ[i * m + f] * z[f];
          for (int64_t y = 0; y < Dv; ++y) {
            double num = 0.0;
            for (int64_t f = 0; f < m; ++f)
              num += phiQ[i * m + f] * S[f * Dv + y];
            // No visible key and eps = 0 would be 0/0: the row is 0.
            out.data[qkvOffset(out, spec.layout, b, h, i, y)] =
                den == 0.0 ? 0.0 : num / den;
          }
        }
      }
    }
  return out;
}

} // namespace attn
