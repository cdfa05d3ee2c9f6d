//===- SpecIR.cpp - attn IR from C++ specs and back -----------------------===//
//
// Owns the mapping between attn/Spec.h and the attn ops. Verification runs
// under a diagnostic handler so that a bad spec becomes an llvm::Error with the
// verifier's text instead of a message on stderr.
//
//===----------------------------------------------------------------------===//

#include "attn/SpecIR.h"

#include "Attn/IR/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/Regex.h"

using namespace mlir;
namespace ir = mlir::attn;

namespace attn {
namespace {

int64_t toMLIR(int64_t d) { return d == kDynamic ? ShapedType::kDynamic : d; }
int64_t fromMLIR(int64_t d) { return ShapedType::isDynamic(d) ? kDynamic : d; }

Type elementTypeOf(MLIRContext *ctx, ElementType t) {
  switch (t) {
  case ElementType::F32:
    return Float32Type::get(ctx);
  case ElementType::F16:
    return Float16Type::get(ctx);
  case ElementType::BF16:
    return BFloat16Type::get(ctx);
  }
  return {};
}

ElementType elementTypeFrom(Type t) {
  if (t.isF16())
    return ElementType::F16;
  if (t.isBF16())
    return ElementType::BF16;
  return ElementType::F32;
}

ir::Layout toMLIR(Layout l) {
  return l == Layout::BHSD ? ir::Layout::bhsd : ir::Layout::bshd;
}

RankedTensorType tensor(ArrayRef<int64_t> logicalShape, Type element) {
  SmallVector<int64_t> shape = llvm::map_to_vector(logicalShape, [](int64_t d) {
    return toMLIR(d);
  });
  return RankedTensorType::get(shape, element);
}

/// Q, K, V and O types of `dims` stored in `layout`.
struct QKVTypes {
  RankedTensorType q, k, v, o;
};
QKVTypes qkvTypes(const Dims &d, Type element, Layout layout) {
  ir::Layout l = toMLIR(layout);
  auto stored = [&](std::array<int64_t, 4> bhsd) {
    SmallVector<int64_t, 4> mlirDims =
        llvm::map_to_vector(bhsd, [](int64_t x) { return toMLIR(x); });
    return RankedTensorType::get(ir::fromLogicalBHSD(mlirDims, l), element);
  };
  return {stored({d.batch, d.qHeads, d.qLen, d.headDim}),
          stored({d.batch, d.kvHeads, d.kvLen, d.headDim}),
          stored({d.batch, d.kvHeads, d.kvLen, d.valueDim}),
          stored({d.batch, d.qHeads, d.qLen, d.valueDim})};
}

/// Shape of a [B, H, Lq, Lk] operand with the broadcast dims set to 1.
SmallVector<int64_t, 4> broadcastShape(const Dims &d, const Broadcast &b) {
  int64_t full[4] = {d.batch, d.qHeads, d.qLen, d.kvLen};
  SmallVector<int64_t, 4> shape;
  for (int i = 0; i < 4; ++i)
    shape.push_back(b.dims[i] ? 1 : full[i]);
  return shape;
}

Broadcast broadcastFrom(RankedTensorType t, const ir::AttentionDims &d) {
  int64_t full[4] = {d.batch, d.qHeads, d.qLen, d.kvLen};
  Broadcast b;
  for (int i = 0; i < 4; ++i)
    b.dims[i] = t.getDimSize(i) == 1 && full[i] != 1;
  return b;
}

/// Verifies `op`, erasing it and returning its diagnostics on failure.
llvm::Error verifyOrErase(Operation *op) {
  std::string messages;
  {
    ScopedDiagnosticHandler handler(op->getContext(), [&](Diagnostic &diag) {
      messages += (messages.empty() ? "" : "\n") + diag.str();
      return success();
    });
    if (succeeded(verify(op)))
      return llvm::Error::success();
  }
  op->erase();
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "invalid attention spec: " + messages);
}

/// Creates a func with the given argument and result types and fills its body
/// with `buildBody(builder, args) -> results`.
template <typename BodyFn>
func::FuncOp buildFunc(OpBuilder &b, Location loc, StringRef name,
                       TypeRange args, TypeRange results, BodyFn buildBody) {
  OpBuilder::InsertionGuard guard(b);
  auto fn = func::FuncOp::create(b, loc, name,
                                 b.getFunctionType(args, results));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  SmallVector<Value> values = buildBody(b, entry->getArguments());
  func::ReturnOp::create(b, loc, values);
  return fn;
}

template <typename SpecT, typename BuildFn>
llvm::Expected<OwningOpRef<ModuleOp>> buildModule(MLIRContext &ctx,
                                                  const SpecT &spec,
                                                  StringRef name,
                                                  BuildFn buildFn) {
  ctx.loadDialect<ir::AttnDialect, func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = UnknownLoc::get(&ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b, loc);
  b.setInsertionPointToEnd(module->getBody());
  llvm::Expected<func::FuncOp> fn = buildFn(b, loc, spec, name);
  if (!fn)
    return fn.takeError();
  return std::move(module);
}

} // namespace

void registerSpecDialects(DialectRegistry &registry) {
  registry.insert<ir::AttnDialect, func::FuncDialect>();
}

llvm::Expected<func::FuncOp> buildAttentionFunc(OpBuilder &b, Location loc,
                                                const AttentionSpec &spec,
                                                StringRef name) {
  MLIRContext *ctx = b.getContext();
  Type element = elementTypeOf(ctx, spec.elementType);
  const Dims &d = spec.dims;
  QKVTypes t = qkvTypes(d, element, spec.layout);
  Type i32 = b.getI32Type(), i1 = b.getI1Type();

  SmallVector<Type> args = {t.q, t.k, t.v};
  if (spec.bias)
    args.push_back(tensor(broadcastShape(d, *spec.bias), element));
  if (spec.mask)
    args.push_back(tensor(broadcastShape(d, *spec.mask), i1));
  if (spec.keyPadding)
    args.push_back(tensor({d.batch}, i32));
  if (spec.documents) {
    args.push_back(tensor({d.batch, d.qLen}, i32));
    args.push_back(tensor({d.batch, d.kvLen}, i32));
  }
  if (spec.globalTokens)
    args.push_back(tensor({d.batch, d.qLen}, i1));
  SmallVector<Type> results = {t.o};
  if (spec.returnLse)
    results.push_back(tensor({d.batch, d.qHeads, d.qLen}, b.getF32Type()));

  func::FuncOp fn = buildFunc(
      b, loc, name, args, results, [&](OpBuilder &b, ValueRange a) {
        unsigned next = 3;
        auto take = [&](bool present) {
          return present ? a[next++] : Value();
        };
        Value bias = take(spec.bias.has_value());
        Value mask = take(spec.mask.has_value());
        Value lens = take(spec.keyPadding);
        Value docQ = take(spec.documents);
        Value docK = take(spec.documents);
        Value global = take(spec.globalTokens);
        auto op = ir::AttentionOp::create(
            b, loc, t.o, spec.returnLse ? results[1] : Type(), a[0], a[1],
            a[2], bias, mask, lens, docQ, docK, global,
            spec.scale ? b.getF64FloatAttr(*spec.scale) : FloatAttr(),
            ir::CausalKindAttr::get(ctx,
                                    static_cast<ir::CausalKind>(spec.causal)),
            spec.window ? ir::WindowAttr::get(ctx, spec.window->left,
                                              spec.window->right)
                        : ir::WindowAttr(),
            ir::LayoutAttr::get(ctx, toMLIR(spec.layout)),
            spec.rotary ? ir::RotaryAttr::get(
                              ctx,
                              static_cast<ir::RotaryStyle>(spec.rotary->style),
                              spec.rotary->dim, APFloat(spec.rotary->theta))
                        : ir::RotaryAttr());
        return SmallVector<Value>(op->getResults());
      });
  if (llvm::Error err = verifyOrErase(fn))
    return std::move(err);
  return fn;
}

llvm::Expected<func::FuncOp>
buildLinearAttentionFunc(OpBuilder &b, Location loc,
                         const LinearAttentionSpec &spec, StringRef name) {
  MLIRContext *ctx = b.getContext();
  Type element = elementTypeOf(ctx, spec.elementType);
  QKVTypes t = qkvTypes(spec.dims, element, spec.layout);
  SmallVector<Type> args = {t.q, t.k, t.v};
  if (spec.numRandomFeatures > 0)
    args.push_back(RankedTensorType::get(
        {spec.numRandomFeatures, spec.dims.headDim}, b.getF32Type()));

  func::FuncOp fn = buildFunc(
      b, loc, name, args, {t.o}, [&](OpBuilder &b, ValueRange a) {
        auto op = ir::LinearAttentionOp::create(
            b, loc, t.o, a[0], a[1], a[2], a.size() > 3 ? a[3] : Value(),
            ir::FeatureMapAttr::get(
                ctx, static_cast<ir::FeatureMap>(spec.featureMap)),
            spec.causal ? b.getUnitAttr() : UnitAttr(),
            spec.eps ? b.getF64FloatAttr(*spec.eps) : FloatAttr(),
            spec.kernelEps ? b.getF64FloatAttr(*spec.kernelEps) : FloatAttr(),
            spec.localHeads ? b.getI64IntegerAttr(spec.localHeads)
                            : IntegerAttr(),
            spec.localHeads ? b.getI64IntegerAttr(spec.localWindow)
                            : IntegerAttr(),
            ir::LayoutAttr::get(ctx, toMLIR(spec.layout)));
        return SmallVector<Value>{op.getOutput()};
      });
  if (llvm::Error err = verifyOrErase(fn))
    return std::move(err);
  return fn;
}

llvm::Expected<OwningOpRef<ModuleOp>>
buildAttentionModule(MLIRContext &ctx, const AttentionSpec &spec,
                     StringRef name) {
  return buildModule(ctx, spec, name, buildAttentionFunc);
}

llvm::Expected<OwningOpRef<ModuleOp>>
buildLinearAttentionModule(MLIRContext &ctx, const LinearAttentionSpec &spec,
                           StringRef name) {
  return buildModule(ctx, spec, name, buildLinearAttentionFunc);
}

namespace {
Dims dimsFrom(const ir::AttentionDims &d) {
  return {fromMLIR(d.batch),  fromMLIR(d.qHeads),  fromMLIR(d.kvHeads),
          fromMLIR(d.qLen),   fromMLIR(d.kvLen),   fromMLIR(d.headDim),
          fromMLIR(d.valueDim)};
}
Layout layoutFrom(ir::Layout l) {
  return l == ir::Layout::bhsd ? Layout::BHSD : Layout::BSHD;
}
} // namespace

AttentionSpec specFromOp(ir::AttentionOp op) {
  AttentionSpec s;
  ir::AttentionDims d = op.getDims();
  s.dims = dimsFrom(d);
  s.elementType = elementTypeFrom(op.getQuery().getType().getElementType());
  s.layout = layoutFrom(op.getLayout());
  if (std::optional<APFloat> scale = op.getScale())
    s.scale = scale->convertToDouble();
  s.causal = static_cast<Causal>(op.getCausal());
  if (ir::WindowAttr w = op.getWindowAttr())
    s.window = Window{w.getLeft(), w.getRight()};
  if (Value bias = op.getBias())
    s.bias = broadcastFrom(cast<RankedTensorType>(bias.getType()), d);
  if (Value mask = op.getMask())
    s.mask = broadcastFrom(cast<RankedTensorType>(mask.getType()), d);
  s.keyPadding = static_cast<bool>(op.getKvLengths());
  s.documents = static_cast<bool>(op.getDocQ());
  s.globalTokens = static_cast<bool>(op.getGlobalTokens());
  s.returnLse = static_cast<bool>(op.getLse());
  if (ir::RotaryAttr r = op.getRotaryAttr())
    s.rotary = Rotary{static_cast<RotaryStyle>(r.getStyle()), r.getDim(),
                      r.getTheta().convertToDouble()};
  return s;
}

LinearAttentionSpec specFromOp(ir::LinearAttentionOp op) {
  LinearAttentionSpec s;
  s.dims = dimsFrom(op.getDims());
  s.elementType = elementTypeFrom(op.getQuery().getType().getElementType());
  s.layout = layoutFrom(op.getLayout());
  s.featureMap = static_cast<FeatureMap>(op.getFeatureMap());
  s.causal = op.getCausal();
  if (Value p = op.getProjection())
    s.numRandomFeatures = cast<RankedTensorType>(p.getType()).getDimSize(0);
  if (std::optional<APFloat> eps = op.getEps())
    s.eps = eps->convertToDouble();
  if (std::optional<APFloat> eps = op.getKernelEps())
    s.kernelEps = eps->convertToDouble();
  if (std::optional<uint64_t> n = op.getLocalHeads()) {
    s.localHeads = static_cast<int64_t>(*n);
    s.localWindow = static_cast<int64_t>(op.getLocalWindow().value_or(0));
  }
  return s;
}

llvm::Error rejectParserCrashers(StringRef text) {
  // `array` `<` `index` with any spacing, outside // comments. A string
  // literal holding the same text is rejected too: a rare false alarm
  // beside a crash.
  static const llvm::Regex indexArray("array[ \t\r\n]*<[ \t\r\n]*index"
                                      "([^_$.0-9A-Za-z]|$)");
  int64_t line = 1;
  for (StringRef rest = text; !rest.empty(); ++line) {
    auto [row, next] = rest.split('\n');
    rest = next;
    StringRef code = row.substr(0, row.find("//"));
    if (indexArray.match(code))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "line " + std::to_string(line) +
              ": dense arrays of index (array<index: ...>) are not "
              "accepted: the MLIR 22.1 parser crashes on them "
              "(llvm/llvm-project#179045); write array<i64: ...>");
  }
  return llvm::Error::success();
}

llvm::Expected<OwningOpRef<ModuleOp>> parseSpecModule(MLIRContext &ctx,
                                                      StringRef text) {
  if (llvm::Error e = rejectParserCrashers(text))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot parse attention spec: " +
                                       llvm::toString(std::move(e)));
  ctx.loadDialect<ir::AttnDialect, func::FuncDialect>();
  std::string messages;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    std::string loc;
    llvm::raw_string_ostream os(loc);
    os << diag.getLocation();
    messages += (messages.empty() ? "" : "\n") + loc + ": " + diag.str();
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &ctx);
  if (!module)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot parse attention spec: " + messages);
  return std::move(module);
}

} // namespace attn
