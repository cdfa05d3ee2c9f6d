//===- SpecIRTest.cpp - building attn IR from C++ and reading it back -----===//

#include "attn/SpecIR.h"

#include "Attn/IR/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace attn;

namespace {

Dims llamaDims() {
  Dims d;
  d.qHeads = 32;
  d.kvHeads = 8;
  d.headDim = 128;
  d.valueDim = 128;
  return d; // B, Lq and Lk dynamic
}

template <typename OpT>
OpT findOp(mlir::ModuleOp module) {
  OpT found;
  module.walk([&](OpT op) { found = op; });
  return found;
}

std::string print(mlir::Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  op->print(os);
  return s;
}

/// Builds, prints, re-parses and reads the spec back from the parsed IR.
template <typename OpT, typename SpecT, typename BuildFn>
SpecT roundTripWith(const SpecT &spec, BuildFn build) {
  mlir::MLIRContext ctx;
  auto module = build(ctx, spec);
  if (!module) {
    ADD_FAILURE() << llvm::toString(module.takeError());
    return {};
  }
  auto reparsed = parseSpecModule(ctx, print(**module));
  if (!reparsed) {
    ADD_FAILURE() << llvm::toString(reparsed.takeError());
    return {};
  }
  return specFromOp(findOp<OpT>(**reparsed));
}

AttentionSpec roundTrip(const AttentionSpec &spec) {
  return roundTripWith<mlir::attn::AttentionOp>(
      spec, [](mlir::MLIRContext &ctx, const AttentionSpec &s) {
        return buildAttentionModule(ctx, s);
      });
}

LinearAttentionSpec roundTrip(const LinearAttentionSpec &spec) {
  return roundTripWith<mlir::attn::LinearAttentionOp>(
      spec, [](mlir::MLIRContext &ctx, const LinearAttentionSpec &s) {
        return buildLinearAttentionModule(ctx, s);
      });
}

TEST(SpecIR, LlamaGqaCausalRoundTrips) {
  AttentionSpec spec;
  spec.dims = llamaDims();
  spec.elementType = ElementType::BF16;
  spec.causal = Causal::BottomRight;
  spec.returnLse = true;
  EXPECT_EQ(roundTrip(spec), spec);
}

TEST(SpecIR, EveryOptionalOperandRoundTrips) {
  AttentionSpec spec;
  spec.dims = {2, 8, 2, 129, 1000, 64, 80};
  spec.elementType = ElementType::F16;
  spec.layout = Layout::BSHD;
  spec.scale = 0.25;
  spec.causal = Causal::TopLeft;
  spec.window = Window{255, 0};
  spec.bias = Broadcast{{true, false, true, false}};
  spec.mask = Broadcast{{true, true, false, false}};
  spec.keyPadding = true;
  spec.documents = true;
  spec.returnLse = true;
  EXPECT_EQ(roundTrip(spec), spec);
}

TEST(SpecIR, RotaryRoundTrips) {
  AttentionSpec spec;
  spec.dims = llamaDims();
  spec.causal = Causal::BottomRight;
  spec.rotary = Rotary{RotaryStyle::HalfSplit, spec.dims.headDim, 500000.0};
  EXPECT_EQ(roundTrip(spec), spec);
  spec.rotary = Rotary{RotaryStyle::Interleaved, 32, 10000.0};
  EXPECT_EQ(roundTrip(spec), spec);
  // An odd rotary dim is the verifier's error, with the values.
  mlir::MLIRContext ctx;
  spec.rotary->dim = 31;
  auto module = buildAttentionModule(ctx, spec);
  ASSERT_FALSE(static_cast<bool>(module));
  std::string message = llvm::toString(module.takeError());
  EXPECT_NE(message.find("rotary dim = 31 must be even"), std::string::npos)
      << message;
}

TEST(SpecIR, LongformerRoundTrips) {
  AttentionSpec spec;
  spec.dims = {kDynamic, 12, 12, kDynamic, kDynamic, 64, 64};
  spec.window = Window{256, 256};
  spec.globalTokens = true;
  EXPECT_EQ(roundTrip(spec), spec);
}

TEST(SpecIR, EveryFeatureMapRoundTrips) {
  for (FeatureMap map : {FeatureMap::EluPlusOne, FeatureMap::Relu,
                         FeatureMap::FavorPlus, FeatureMap::Softmax})
    for (bool causal : {false, true}) {
      LinearAttentionSpec spec;
      spec.dims = {4, 16, 4, kDynamic, kDynamic, 128, 128};
      spec.elementType = ElementType::BF16;
      spec.featureMap = map;
      spec.causal = causal;
      spec.eps = 1e-5;
      if (map == FeatureMap::FavorPlus || map == FeatureMap::Relu) {
        spec.numRandomFeatures = 266;
        spec.kernelEps = 1e-4;
      }
      EXPECT_EQ(roundTrip(spec), spec) << toString(map);
    }
}

TEST(SpecIR, BuiltFunctionHasTheDocumentedSignature) {
  mlir::MLIRContext ctx;
  AttentionSpec spec;
  spec.dims = {2, 4, 2, 7, 9, 32, 16};
  spec.bias = Broadcast{{true, true, false, false}};
  spec.keyPadding = true;
  spec.documents = true;
  auto module = buildAttentionModule(ctx, spec, "fwd");
  ASSERT_TRUE(static_cast<bool>(module)) << llvm::toString(module.takeError());
  auto fn = (*module)->lookupSymbol<mlir::func::FuncOp>("fwd");
  ASSERT_TRUE(fn);
  std::string type;
  llvm::raw_string_ostream os(type);
  os << fn.getFunctionType();
  EXPECT_EQ(type, "(tensor<2x4x7x32xf32>, tensor<2x2x9x32xf32>, "
                  "tensor<2x2x9x16xf32>, tensor<1x1x7x9xf32>, tensor<2xi32>, "
                  "tensor<2x7xi32>, tensor<2x9xi32>) -> tensor<2x4x7x16xf32>");
}

TEST(SpecIR, InvalidSpecIsAnErrorWithTheVerifierMessage) {
  mlir::MLIRContext ctx;
  AttentionSpec spec;
  spec.dims = {1, 6, 4, 8, 8, 64, 64};
  auto module = buildAttentionModule(ctx, spec);
  ASSERT_FALSE(static_cast<bool>(module));
  std::string message = llvm::toString(module.takeError());
  EXPECT_NE(message.find("query heads Hq = 6 must be a multiple of key/value "
                         "heads Hkv = 4"),
            std::string::npos)
      << message;

  spec.dims = llamaDims();
  spec.globalTokens = true; // without a window
  module = buildAttentionModule(ctx, spec);
  ASSERT_FALSE(static_cast<bool>(module));
  EXPECT_NE(llvm::toString(module.takeError()).find("needs a window"),
            std::string::npos);

  spec.globalTokens = false;
  spec.dims.headDim = kDynamic;
  module = buildAttentionModule(ctx, spec);
  ASSERT_FALSE(static_cast<bool>(module));
  EXPECT_NE(llvm::toString(module.takeError()).find("must be static"),
            std::string::npos);

  LinearAttentionSpec linear;
  linear.dims = llamaDims();
  linear.featureMap = FeatureMap::FavorPlus; // no projection
  auto lin = buildLinearAttentionModule(ctx, linear);
  ASSERT_FALSE(static_cast<bool>(lin));
  EXPECT_NE(llvm::toString(lin.takeError())
                .find("feature map favor_plus needs a projection operand"),
            std::string::npos);
}

TEST(SpecIR, FailedBuildLeavesNothingBehind) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::attn::AttnDialect, mlir::func::FuncDialect>();
  mlir::OpBuilder b(&ctx);
  auto module = mlir::ModuleOp::create(b, b.getUnknownLoc());
  b.setInsertionPointToEnd(module.getBody());
  AttentionSpec bad;
  bad.dims = {1, 3, 2, 4, 4, 16, 16};
  auto fn = buildAttentionFunc(b, b.getUnknownLoc(), bad, "bad");
  EXPECT_FALSE(static_cast<bool>(fn));
  llvm::consumeError(fn.takeError());
  EXPECT_TRUE(module.getBody()->empty());
  module->erase();
}

TEST(SpecIR, ParseErrorsComeBackAsErrors) {
  mlir::MLIRContext ctx;
  auto module = parseSpecModule(ctx, "func.func @f(%q: tensor<1xf32>) {");
  ASSERT_FALSE(static_cast<bool>(module));
  EXPECT_NE(llvm::toString(module.takeError()).find("cannot parse"),
            std::string::npos);
}

TEST(AttrHelpers, ScaleGroupsAndFeatures) {
  mlir::MLIRContext ctx;
  AttentionSpec spec;
  spec.dims = llamaDims();
  auto module = buildAttentionModule(ctx, spec);
  ASSERT_TRUE(static_cast<bool>(module));
  auto op = findOp<mlir::attn::AttentionOp>(**module);
  EXPECT_DOUBLE_EQ(op.getScaleOrDefault(), 1.0 / std::sqrt(128.0));
  EXPECT_EQ(op.getGroupSize(), 4);
  EXPECT_EQ(op.getDims().kvHeads, 8);
  EXPECT_TRUE(mlir::ShapedType::isDynamic(op.getDims().qLen));

  LinearAttentionSpec linear;
  linear.dims = {1, 4, 4, 16, 16, 32, 32};
  linear.featureMap = FeatureMap::Relu;
  auto lm = buildLinearAttentionModule(ctx, linear);
  ASSERT_TRUE(static_cast<bool>(lm));
  auto lop = findOp<mlir::attn::LinearAttentionOp>(**lm);
  EXPECT_EQ(lop.getNumFeatures(), 32);
  EXPECT_DOUBLE_EQ(lop.getKernelEpsOrDefault(), 1e-3);
  EXPECT_DOUBLE_EQ(lop.getEpsOrDefault(), 1e-6);
  EXPECT_DOUBLE_EQ(linear.kernelEpsOrDefault(), 1e-3);
  EXPECT_DOUBLE_EQ(defaultKernelEps(FeatureMap::FavorPlus), 1e-6);
  EXPECT_DOUBLE_EQ(defaultKernelEps(FeatureMap::EluPlusOne), 0.0);
}

TEST(AttrHelpers, LayoutPermutation) {
  using mlir::attn::Layout;
  std::array<int64_t, 4> stored = {2, 128, 8, 64}; // BSHD [B, L, H, D]
  auto logical = mlir::attn::toLogicalBHSD(stored, Layout::bshd);
  EXPECT_EQ(logical, (std::array<int64_t, 4>{2, 8, 128, 64}));
  auto back = mlir::attn::fromLogicalBHSD(logical, Layout::bshd);
  EXPECT_EQ(std::vector<int64_t>(back.begin(), back.end()),
            std::vector<int64_t>(stored.begin(), stored.end()));
  EXPECT_EQ(mlir::attn::toLogicalBHSD(stored, Layout::bhsd), stored);
}

TEST(AttrHelpers, EnumNames) {
  EXPECT_STREQ(toString(Causal::BottomRight), "bottom_right");
  EXPECT_STREQ(toString(FeatureMap::FavorPlus), "favor_plus");
  EXPECT_STREQ(toString(Layout::BSHD), "bshd");
  EXPECT_STREQ(toString(ElementType::BF16), "bf16");
  // The C++ names match the dialect's spelling.
  EXPECT_EQ(mlir::attn::stringifyCausalKind(mlir::attn::CausalKind::top_left),
            toString(Causal::TopLeft));
  EXPECT_EQ(mlir::attn::stringifyFeatureMap(mlir::attn::FeatureMap::softmax),
            toString(FeatureMap::Softmax));
}

} // namespace
