//===- AttnOps.cpp - attn op verifiers and helpers ------------------------===//
//
// Verifiers reject every inconsistent spec with a message naming the values;
// lowerings may then rely on the shapes being coherent.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"

#include "attn/Spec.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

#define GET_OP_CLASSES
#include "Attn/IR/AttnOps.cpp.inc"

// The op enums and the C++ spec enums (attn/Spec.h) convert by value.
static_assert(static_cast<int>(FeatureMap::elu_plus_one) ==
              static_cast<int>(::attn::FeatureMap::EluPlusOne));
static_assert(static_cast<int>(FeatureMap::relu) ==
              static_cast<int>(::attn::FeatureMap::Relu));
static_assert(static_cast<int>(FeatureMap::favor_plus) ==
              static_cast<int>(::attn::FeatureMap::FavorPlus));
static_assert(static_cast<int>(FeatureMap::softmax) ==
              static_cast<int>(::attn::FeatureMap::Softmax));

namespace {

std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + dimStr(d);
  return s + "]";
}

std::optional<double> toDouble(std::optional<APFloat> f) {
  if (!f)
    return std::nullopt;
  return f->convertToDouble();
}

bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

bool compatibleShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b))
    if (!compatible(x, y))
      return false;
  return true;
}

/// Checks Q, K and V against each other and returns their logical dims.
FailureOr<AttentionDims> verifyQKV(Operation *op, RankedTensorType q,
                                   RankedTensorType k, RankedTensorType v,
                                   Layout layout) {
  for (auto [name, t] : {std::pair<StringRef, RankedTensorType>{"query", q},
                         {"key", k},
                         {"value", v}})
    if (t.getRank() != 4)
      return op->emitOpError() << name << " must be rank 4 ("
                               << (layout == Layout::bhsd ? "[B, H, L, D]"
                                                          : "[B, L, H, D]")
                               << " in " << stringifyLayout(layout)
                               << " layout), got rank " << t.getRank();

  if (q.getElementType() != k.getElementType() ||
      q.getElementType() != v.getElementType())
    return op->emitOpError()
           << "query, key and value element types differ: "
           << q.getElementType() << ", " << k.getElementType() << ", "
           << v.getElementType();

  auto qd = toLogicalBHSD(q.getShape(), layout);
  auto kd = toLogicalBHSD(k.getShape(), layout);
  auto vd = toLogicalBHSD(v.getShape(), layout);
  AttentionDims dims{qd[0], qd[1], kd[1], qd[2], kd[2], qd[3], vd[3]};

  if (ShapedType::isDynamic(qd[3]) || ShapedType::isDynamic(kd[3]))
    return op->emitOpError() << "head dim D must be static, got query "
                             << dimStr(qd[3]) << " and key " << dimStr(kd[3]);
  if (ShapedType::isDynamic(vd[3]))
    return op->emitOpError() << "value head dim Dv must be static, got value "
                             << shapeStr(v.getShape());
  if (qd[3] <= 0 || vd[3] <= 0)
    return op->emitOpError() << "head dims must be positive, got D = "
                             << qd[3] << " and Dv = " << vd[3];
  if (qd[3] != kd[3])
    return op->emitOpError() << "query head dim D = " << qd[3]
                             << " differs from key head dim " << kd[3];
  if (!compatible(qd[0], kd[0]) || !compatible(qd[0], vd[0]) ||
      !compatible(kd[0], vd[0]))
    return op->emitOpError() << "batch sizes differ: query " << dimStr(qd[0])
                             << ", key " << dimStr(kd[0]) << ", value "
                             << dimStr(vd[0]);
  if (!compatible(kd[1], vd[1]))
    return op->emitOpError() << "key heads " << dimStr(kd[1])
                             << " differ from value heads " << dimStr(vd[1]);
  if (!compatible(kd[2], vd[2]))
    return op->emitOpError() << "key length " << dimStr(kd[2])
                             << " differs from value length " << dimStr(vd[2]);
  if (ShapedType::isDynamic(dims.kvHeads))
    dims.kvHeads = vd[1];
  if (ShapedType::isDynamic(dims.kvLen))
    dims.kvLen = vd[2];
  if (ShapedType::isDynamic(dims.batch))
    dims.batch = ShapedType::isDynamic(kd[0]) ? vd[0] : kd[0];
  return dims;
}

/// Hq must be a positive multiple of Hkv (where both are known).
LogicalResult verifyGroups(Operation *op, const AttentionDims &dims) {
  if (dims.kvHeads == 0 || dims.qHeads == 0 ||
      (!ShapedType::isDynamic(dims.qHeads) &&
       !ShapedType::isDynamic(dims.kvHeads) &&
       dims.qHeads % dims.kvHeads != 0))
    return op->emitOpError()
           << "query heads Hq = " << dimStr(dims.qHeads)
           << " must be a multiple of key/value heads Hkv = "
           << dimStr(dims.kvHeads);
  return success();
}

/// Checks the attention output O [B, Hq, Lq, Dv] (stored in `layout`).
LogicalResult verifyOutput(Operation *op, RankedTensorType out,
                           RankedTensorType q, AttentionDims &dims,
                           Layout layout) {
  if (out.getElementType() != q.getElementType())
    return op->emitOpError() << "result 'output' element type "
                             << out.getElementType()
                             << " must match the query's "
                             << q.getElementType();
  SmallVector<int64_t, 4> expected = fromLogicalBHSD(
      {dims.batch, dims.qHeads, dims.qLen, dims.valueDim}, layout);
  if (!compatibleShapes(out.getShape(), expected))
    return op->emitOpError()
           << "result 'output' has shape " << shapeStr(out.getShape())
           << ", expected " << shapeStr(expected);
  // The result may pin dims the operands leave dynamic.
  auto o = toLogicalBHSD(out.getShape(), layout);
  if (ShapedType::isDynamic(dims.batch))
    dims.batch = o[0];
  if (ShapedType::isDynamic(dims.qHeads))
    dims.qHeads = o[1];
  if (ShapedType::isDynamic(dims.qLen))
    dims.qLen = o[2];
  return verifyGroups(op, dims);
}

/// Bare attribute names the op does not define are rejected: a misspelt
/// option (`casual`) must not silently change the computation. Dialect-
/// prefixed ones (`mytool.tag`) are other tools' annotations and stay.
LogicalResult verifyNoUnknownAttrs(Operation *op) {
  for (NamedAttribute attr : op->getDiscardableAttrs())
    if (!attr.getName().getValue().contains('.'))
      return op->emitOpError() << "has unknown attribute '"
                               << attr.getName().getValue() << "'";
  return success();
}

/// A double for messages, with inf and nan spelled as MLIR prints them.
std::string doubleStr(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  std::string s;
  llvm::raw_string_ostream(s) << v;
  return s;
}

// The kernels compute in f32 (scale times log2 e too, on the GPU), and the
// mask's index arithmetic in 64-bit integers: bounds that keep both exact.
constexpr double kMaxF32Factor = 1e38;    // below FLT_MAX / log2(e)
constexpr int64_t kMaxWindow = int64_t(1) << 40; // keys; beyond any sequence

LogicalResult verifyNonNegative(Operation *op, StringRef name,
                                std::optional<double> value) {
  if (value && !(std::isfinite(*value) && *value >= 0.0 &&
                 *value <= kMaxF32Factor))
    return op->emitOpError() << name << " = " << doubleStr(*value)
                             << " must be in [0, 1e38] (the kernels compute "
                                "in f32)";
  return success();
}

/// The checks both ops share: Q/K/V, the output, unknown attributes.
template <typename OpT>
FailureOr<AttentionDims> verifyCommon(OpT op) {
  RankedTensorType q = op.getQuery().getType();
  FailureOr<AttentionDims> dims =
      verifyQKV(op, q, op.getKey().getType(), op.getValue().getType(),
                op.getLayout());
  if (failed(dims) ||
      failed(verifyOutput(op, op.getOutput().getType(), q, *dims,
                          op.getLayout())) ||
      failed(verifyNoUnknownAttrs(op)))
    return failure();
  return dims;
}

/// Logical dims of an op's Q, K and V.
template <typename OpT>
AttentionDims dimsOf(OpT op) {
  auto q = toLogicalBHSD(op.getQuery().getType().getShape(), op.getLayout());
  auto k = toLogicalBHSD(op.getKey().getType().getShape(), op.getLayout());
  auto v = toLogicalBHSD(op.getValue().getType().getShape(), op.getLayout());
  return {q[0], q[1], k[1], q[2], k[2], q[3], v[3]};
}

} // namespace

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

AttentionDims AttentionOp::getDims() { return dimsOf(*this); }

double AttentionOp::getScaleOrDefault() {
  if (std::optional<double> s = toDouble(getScale()))
    return *s;
  return ::attn::defaultScale(getDims().headDim);
}

LogicalResult AttentionOp::verify() {
  FailureOr<AttentionDims> maybeDims = verifyCommon(*this);
  if (failed(maybeDims))
    return failure();
  const AttentionDims d = *maybeDims;
  RankedTensorType q = getQuery().getType();

  if (TypedValue<RankedTensorType> lse = getLse()) {
    SmallVector<int64_t, 3> expected = {d.batch, d.qHeads, d.qLen};
    if (!compatibleShapes(lse.getType().getShape(), expected))
      return emitOpError() << "result 'lse' has shape "
                           << shapeStr(lse.getType().getShape())
                           << ", expected [B, Hq, Lq] = " << shapeStr(expected);
  }

  if (std::optional<double> s = toDouble(getScale());
      s && !(std::isfinite(*s) && std::fabs(*s) <= kMaxF32Factor))
    return emitOpError() << "scale = " << doubleStr(*s)
                         << " must be finite and within [-1e38, 1e38] (the "
                            "kernels compute in f32)";

  if (WindowAttr w = getWindowAttr()) {
    if (w.getLeft() < 0 || w.getRight() < 0 || w.getLeft() > kMaxWindow ||
        w.getRight() > kMaxWindow)
      return emitOpError() << "window (left = " << w.getLeft()
                           << ", right = " << w.getRight()
                           << ") must be in [0, 2^40] (larger bounds reach "
                              "past any sequence and overflow the key "
                              "arithmetic)";
  }

  if (RotaryAttr r = getRotaryAttr()) {
    if (r.getDim() < 2 || r.getDim() % 2 || r.getDim() > d.headDim)
      return emitOpError() << "rotary dim = " << r.getDim()
                           << " must be even and in [2, D = " << d.headDim
                           << "]";
    // theta^(-2f/dim) for f < dim/2 must be a positive frequency: theta <= 1
    // would make the higher pairs turn faster, or not at all.
    const double theta = r.getTheta().convertToDouble();
    if (!(std::isfinite(theta) && theta > 1.0 && theta <= kMaxF32Factor))
      return emitOpError() << "rotary theta = " << doubleStr(theta)
                           << " must be finite and in (1, 1e38]";
  }

  if (TypedValue<RankedTensorType> bias = getBias()) {
    RankedTensorType t = bias.getType();
    if (t.getElementType() != q.getElementType() && !t.getElementType().isF32())
      return emitOpError() << "bias element type " << t.getElementType()
                           << " must be f32 or the query's "
                           << q.getElementType();
    if (t.getRank() != 4)
      return emitOpError() << "bias must be rank 4 [B|1, Hq|1, Lq|1, Lk|1], "
                              "got rank "
                           << t.getRank();
    int64_t full[4] = {d.batch, d.qHeads, d.qLen, d.kvLen};
    const char *names[4] = {"B", "Hq", "Lq", "Lk"};
    for (int i = 0; i < 4; ++i)
      if (t.getDimSize(i) != 1 && !compatible(t.getDimSize(i), full[i]))
        return emitOpError() << "bias dim " << i << " is "
                             << t.getDimSize(i) << ", must be 1 or "
                             << names[i] << " = " << full[i];
  }

  if (TypedValue<RankedTensorType> mask = getMask()) {
    RankedTensorType t = mask.getType();
    if (t.getRank() != 4)
      return emitOpError() << "mask must be rank 4 [B|1, Hq|1, Lq, Lk], got "
                              "rank "
                           << t.getRank();
    int64_t full[4] = {d.batch, d.qHeads, d.qLen, d.kvLen};
    const char *names[4] = {"B", "Hq", "Lq", "Lk"};
    for (int i = 0; i < 4; ++i) {
      bool broadcastOk = i < 2 && t.getDimSize(i) == 1;
      if (!broadcastOk && !compatible(t.getDimSize(i), full[i]))
        return emitOpError() << "mask dim " << i << " is " << t.getDimSize(i)
                             << ", must be " << (i < 2 ? "1 or " : "")
                             << names[i] << " = " << full[i];
    }
  }

  if (TypedValue<RankedTensorType> lens = getKvLengths()) {
    RankedTensorType t = lens.getType();
    if (t.getRank() != 1 || !compatible(t.getDimSize(0), d.batch))
      return emitOpError() << "kv_lengths must be [B] = [" << dimStr(d.batch)
                           << "], got " << shapeStr(t.getShape());
  }

  if (static_cast<bool>(getDocQ()) != static_cast<bool>(getDocK()))
    return emitOpError() << "documents need both doc_q and doc_k";
  if (getDocQ()) {
    RankedTensorType tq = getDocQ().getType(), tk = getDocK().getType();
    if (tq.getElementType() != tk.getElementType())
      return emitOpError() << "doc_q and doc_k element types differ: "
                           << tq.getElementType() << " vs "
                           << tk.getElementType();
    SmallVector<int64_t, 2> eq = {d.batch, d.qLen}, ek = {d.batch, d.kvLen};
    if (!compatibleShapes(tq.getShape(), eq))
      return emitOpError() << "doc_q must be [B, Lq] = " << shapeStr(eq)
                           << ", got " << shapeStr(tq.getShape());
    if (!compatibleShapes(tk.getShape(), ek))
      return emitOpError() << "doc_k must be [B, Lk] = " << shapeStr(ek)
                           << ", got " << shapeStr(tk.getShape());
  }

  if (TypedValue<RankedTensorType> g = getGlobalTokens()) {
    if (!getWindowAttr())
      return emitOpError()
             << "global_tokens needs a window: global tokens widen a "
                "sliding-window band (Longformer)";
    if (getCausal() != CausalKind::none)
      return emitOpError() << "global_tokens cannot be combined with causal = "
                           << stringifyCausalKind(getCausal())
                           << ": a global query sees every key";
    if (getDocQ())
      return emitOpError() << "global_tokens cannot be combined with documents";
    if (!compatible(d.qLen, d.kvLen))
      return emitOpError() << "global_tokens need Lq == Lk (one flag per "
                              "position), got Lq = "
                           << d.qLen << " and Lk = " << d.kvLen;
    SmallVector<int64_t, 2> expected = {
        d.batch, ShapedType::isDynamic(d.qLen) ? d.kvLen : d.qLen};
    if (!compatibleShapes(g.getType().getShape(), expected))
      return emitOpError() << "global_tokens must be [B, L] = "
                           << shapeStr(expected) << ", got "
                           << shapeStr(g.getType().getShape());
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LinearAttentionOp
//===----------------------------------------------------------------------===//

AttentionDims LinearAttentionOp::getDims() { return dimsOf(*this); }

double LinearAttentionOp::getEpsOrDefault() {
  return toDouble(getEps()).value_or(::attn::kDefaultLinearEps);
}

double LinearAttentionOp::getKernelEpsOrDefault() {
  if (std::optional<double> e = toDouble(getKernelEps()))
    return *e;
  return ::attn::defaultKernelEps(
      static_cast<::attn::FeatureMap>(getFeatureMap()));
}

int64_t LinearAttentionOp::getNumFeatures() {
  if (TypedValue<RankedTensorType> p = getProjection())
    return p.getType().getDimSize(0);
  return getDims().headDim;
}

LogicalResult LinearAttentionOp::verify() {
  FailureOr<AttentionDims> maybeDims = verifyCommon(*this);
  if (failed(maybeDims))
    return failure();
  const AttentionDims d = *maybeDims;
  RankedTensorType q = getQuery().getType();

  FeatureMap map = getFeatureMap();
  bool needsProjection = map == FeatureMap::favor_plus;
  bool allowsProjection = needsProjection || map == FeatureMap::relu;
  if (needsProjection && !getProjection())
    return emitOpError() << "feature map " << stringifyFeatureMap(map)
                         << " needs a projection operand [m, D = "
                         << d.headDim << "]";
  if (!allowsProjection && getProjection())
    return emitOpError() << "feature map " << stringifyFeatureMap(map)
                         << " takes no projection operand";
  if (TypedValue<RankedTensorType> p = getProjection()) {
    RankedTensorType t = p.getType();
    if (t.getElementType() != q.getElementType() && !t.getElementType().isF32())
      return emitOpError() << "projection element type "
                           << t.getElementType()
                           << " must be f32 or the query's "
                           << q.getElementType();
    if (t.getRank() != 2 || t.getDimSize(1) != d.headDim)
      return emitOpError() << "projection must be [m, D = " << d.headDim
                           << "] with static dims, got "
                           << shapeStr(t.getShape());
    if (ShapedType::isDynamic(t.getDimSize(0)) || t.getDimSize(0) <= 0)
      return emitOpError()
             << "projection feature count m must be static and positive, got "
             << dimStr(t.getDimSize(0));
  }

  if (failed(verifyNonNegative(*this, "eps", toDouble(getEps()))) ||
      failed(verifyNonNegative(*this, "kernel_eps", toDouble(getKernelEps()))))
    return failure();
  if (getKernelEps() && (map == FeatureMap::elu_plus_one ||
                         map == FeatureMap::softmax))
    return emitOpError() << "kernel_eps applies to relu and favor_plus, not "
                         << stringifyFeatureMap(map);

  // Performer's mixed heads.
  std::optional<uint64_t> local = getLocalHeads(), window = getLocalWindow();
  if (local.has_value() != window.has_value())
    return emitOpError() << "local_heads and local_window go together";
  if (local) {
    if (ShapedType::isDynamic(d.qHeads) || ShapedType::isDynamic(d.kvHeads))
      return emitOpError() << "local_heads needs static head counts, got Hq = "
                           << dimStr(d.qHeads)
                           << " and Hkv = " << dimStr(d.kvHeads);
    int64_t n = static_cast<int64_t>(*local);
    if (n <= 0 || n >= d.qHeads)
      return emitOpError() << "local_heads = " << n
                           << " must be in [1, Hq - 1 = " << d.qHeads - 1
                           << "]";
    int64_t group = d.qHeads / d.kvHeads;
    if (n % group)
      return emitOpError() << "local_heads = " << n
                           << " must be a multiple of the group size Hq / Hkv = "
                           << group;
    if (static_cast<int64_t>(*window) < 0 ||
        static_cast<int64_t>(*window) > kMaxWindow)
      return emitOpError() << "local_window = "
                           << static_cast<int64_t>(*window)
                           << " must be in [0, 2^40]";
  }
  return success();
}
