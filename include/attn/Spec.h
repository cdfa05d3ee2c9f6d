//===- Spec.h - an attention variant as a plain C++ value -------*- C++ -*-===//
//
// The C++ twin of the attn ops: what a caller fills in to build a spec from
// C++, what the fp64 reference evaluates, and what is read back from IR.
// Free of MLIR types so runtime code and tests can use it without a context.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SPEC_H
#define ATTN_SPEC_H

#include <array>
#include <cstdint>
#include <optional>

namespace attn {

/// A dim not known until run time.
inline constexpr int64_t kDynamic = INT64_MIN;

enum class ElementType { F32, F16, BF16 };
enum class Layout { BHSD, BSHD };
enum class Causal { None, BottomRight, TopLeft };
enum class FeatureMap { EluPlusOne, Relu, FavorPlus, Softmax };

/// Logical dims shared by both op families, kDynamic where unknown. D and Dv
/// must be set (static) before a spec is built into IR.
/// Q [B, Hq, Lq, D], K [B, Hkv, Lk, D], V [B, Hkv, Lk, Dv], O [B, Hq, Lq, Dv].
struct Dims {
  int64_t batch = kDynamic;
  int64_t qHeads = kDynamic;
  int64_t kvHeads = kDynamic;
  int64_t qLen = kDynamic;
  int64_t kvLen = kDynamic;
  int64_t headDim = kDynamic;
  int64_t valueDim = kDynamic;

  bool operator==(const Dims &o) const {
    return batch == o.batch && qHeads == o.qHeads && kvHeads == o.kvHeads &&
           qLen == o.qLen && kvLen == o.kvLen && headDim == o.headDim &&
           valueDim == o.valueDim;
  }
};

/// Sliding window around the aligned diagonal: i+off-left <= j <= i+off+right.
struct Window {
  int64_t left = 0;
  int64_t right = 0;
  bool operator==(const Window &o) const {
    return left == o.left && right == o.right;
  }
};

/// Rotary position embeddings (#attn.rotary): the first `dim` elements of
/// every q and k row turn pairwise, pair f by pos * theta^(-2f/dim); keys at
/// positions 0.., queries at Lk - Lq... HalfSplit pairs x[f] with
/// x[f + dim/2] (LLaMA's rotate_half), Interleaved x[2f] with x[2f+1].
enum class RotaryStyle { HalfSplit, Interleaved };
struct Rotary {
  RotaryStyle style = RotaryStyle::HalfSplit;
  int64_t dim = 0;
  double theta = 10000.0;
  bool operator==(const Rotary &o) const {
    return style == o.style && dim == o.dim && theta == o.theta;
  }
};

/// Which dims of a [B, H, Lq, Lk] operand are 1 and broadcast.
struct Broadcast {
  std::array<bool, 4> dims{false, false, false, false};
  bool operator==(const Broadcast &o) const { return dims == o.dims; }
};

/// Softmax attention (attn.attention). Operand order of a built function:
/// q, k, v, [bias], [mask], [kv_lengths], [doc_q, doc_k], [global_tokens].
struct AttentionSpec {
  Dims dims;
  ElementType elementType = ElementType::F32;
  Layout layout = Layout::BHSD;
  std::optional<double> scale; ///< 1/sqrt(D) when unset
  Causal causal = Causal::None;
  std::optional<Window> window;
  std::optional<Broadcast> bias; ///< additive bias, element type as q
  std::optional<Broadcast> mask; ///< explicit boolean mask (dims 2, 3 full)
  bool keyPadding = false;       ///< kv_lengths [B] (i32)
  bool documents = false;        ///< doc_q [B, Lq], doc_k [B, Lk] (i32)
  bool globalTokens = false;     ///< global_tokens [B, L] (i1), needs window
  bool returnLse = false;        ///< second result [B, Hq, Lq] f32
  std::optional<Rotary> rotary;  ///< rotary embeddings of q and k (CPU)

  double scaleOrDefault() const;
  bool operator==(const AttentionSpec &o) const;
};

/// Linear attention (attn.linear_attention). Operand order of a built
/// function: q, k, v, [projection [m, D]].
struct LinearAttentionSpec {
  Dims dims;
  ElementType elementType = ElementType::F32;
  Layout layout = Layout::BHSD;
  FeatureMap featureMap = FeatureMap::EluPlusOne;
  bool causal = false;
  int64_t numRandomFeatures = 0; ///< m of the projection, 0 for none
  std::optional<double> eps;       ///< 1e-6 when unset
  std::optional<double> kernelEps; ///< 1e-3 relu, 1e-6 favor_plus when unset
  /// Performer's mixed heads: the first localHeads query heads (0: none) use
  /// causal sliding-window softmax attention over the localWindow keys
  /// before each query and itself; needs static dims.qHeads / kvHeads.
  int64_t localHeads = 0;
  int64_t localWindow = 0;

  double epsOrDefault() const;
  double kernelEpsOrDefault() const;
  /// Number of features of phi: m with a projection, else D.
  int64_t numFeatures() const;
  bool operator==(const LinearAttentionSpec &o) const;
};

/// Defaults the ops and the reference share.
inline constexpr double kDefaultLinearEps = 1e-6;
/// 1/sqrt(headDim).
double defaultScale(int64_t headDim);
/// eps_k of a feature map when unset: 1e-3 relu, 1e-6 favor_plus, else 0.
double defaultKernelEps(FeatureMap f);

const char *toString(ElementType t);
const char *toString(Layout l);
const char *toString(Causal c);
const char *toString(FeatureMap f);

} // namespace attn

#endif // ATTN_SPEC_H
