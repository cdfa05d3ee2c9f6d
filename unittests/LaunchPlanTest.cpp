//===- LaunchPlanTest.cpp - reading a lowered host function ---------------===//
//
// The CUDA runtime binds kernel parameters and grids by reading the host
// side of attn-to-gpu's output (lib/JIT/LaunchPlan.h). Checked here without
// a GPU: Performer's mixed heads lower to launches over head slices of the
// same arguments and of the one result (the linear heads' three share a
// scratch buffer sized at launch); the sm_90a kernel takes tensor
// maps of Q, K, V and an output whose alignment the runtime must check.
//
//===----------------------------------------------------------------------===//

#include "../lib/JIT/LaunchPlan.h"
#include "../lib/JIT/Registration.h"

#include "attn/SpecIR.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "gtest/gtest.h"

using namespace mlir;

namespace {

constexpr const char *kMixed = R"mlir(
func.func @mixed(%q: tensor<?x8x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x8x?x64xbf16> {
  %o = attn.linear_attention %q, %k, %v
      {feature_map = #attn.feature_map<elu_plus_one>, causal, local_heads = 2, local_window = 31}
      : tensor<?x8x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x8x?x64xbf16>
  return %o : tensor<?x8x?x64xbf16>
}
)mlir";

/// Lowers a spec's host half as the GPU pipeline leaves it (kernels need no
/// GPU here) and reads its launch plan; the plan's values live in `module`.
class LaunchPlan : public testing::Test {
protected:
  LaunchPlan() : ctx(makeRegistry()) {}
  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    ::attn::registerJITDialects(registry);
    ::attn::registerJITPasses();
    return registry;
  }
  void plan(llvm::StringRef spec, llvm::StringRef name,
            llvm::StringRef pipeline) {
    auto parsed = ::attn::parseSpecModule(ctx, spec);
    ASSERT_TRUE(static_cast<bool>(parsed)) << llvm::toString(parsed.takeError());
    module = std::move(*parsed);
    PassManager pm(&ctx);
    ASSERT_TRUE(succeeded(parsePassPipeline(pipeline, pm)));
    ASSERT_TRUE(succeeded(pm.run(*module)));
    auto read = ::attn::jit::planLaunches(
        cast<func::FuncOp>(module->lookupSymbol(name)));
    ASSERT_TRUE(static_cast<bool>(read)) << llvm::toString(read.takeError());
    steps = std::move(*read);
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::vector<::attn::jit::LaunchStep> steps;
};

TEST_F(LaunchPlan, MixedHeadsAreLaunchesOnHeadSlices) {
  plan(kMixed, "mixed",
       "attn-split-mixed-heads,attn-materialize-defaults,attn-to-gpu,"
       "canonicalize,cse");
  if (HasFatalFailure())
    return;
  // Local heads: one launch; linear heads: state, scan and output launches.
  ASSERT_EQ(steps.size(), 4u);
  const int64_t B = 3, L = 1000;
  std::vector<std::vector<int64_t>> shapes = {
      {B, 8, L, 64}, {B, 4, L, 64}, {B, 4, L, 64}};
  auto grid = [&](const ::attn::jit::LaunchStep &s, int64_t sms = 0) {
    std::vector<int64_t> g;
    for (Value v : s.grid) {
      auto x = ::attn::jit::evaluate(v, shapes, sms);
      EXPECT_TRUE(static_cast<bool>(x)) << llvm::toString(x.takeError());
      g.push_back(x ? *x : -1);
    }
    return g;
  };

  // Local heads: softmax attention over q heads [0, 2), kv heads [0, 1).
  const ::attn::jit::LaunchStep &local = steps[0];
  EXPECT_EQ(grid(local), (std::vector<int64_t>{(L + 127) / 128, 2, B}));
  ASSERT_EQ(local.params.size(), 4u);
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_FALSE(local.params[i].isResult);
    EXPECT_EQ(local.params[i].index, i);
    EXPECT_EQ(local.params[i].offsets, (std::vector<int64_t>{0, 0, 0, 0}));
  }
  EXPECT_TRUE(local.params[3].isResult);
  auto q0 = ::attn::jit::shapeOf(local.params[0].value, shapes);
  ASSERT_TRUE(static_cast<bool>(q0));
  EXPECT_EQ(*q0, (std::vector<int64_t>{B, 2, L, 64}));

  // The rest: linear attention on q heads [2, 8) and kv heads [1, 4),
  // written at head 2 of the result; 16-byte row loads. 16 chunks of 64
  // queries; 6 heads x 3 batches = 18 blocks leave most of 132 SMs (two
  // blocks each) idle: 4 segments (at least 4 chunks each), 2 units of
  // 2 chunks each in the state launch. With 7 SMs, one segment: no state
  // or scan launch (grid 0).
  const ::attn::jit::LaunchStep &states = steps[1], &scan = steps[2],
                                &output = steps[3];
  EXPECT_EQ(grid(states, 132), (std::vector<int64_t>{8, 3, B}));
  EXPECT_EQ(grid(scan, 132), (std::vector<int64_t>{(64 * 65 + 255) / 256, 3, B}));
  EXPECT_EQ(grid(output, 132), (std::vector<int64_t>{4, 6, B}));
  EXPECT_EQ(grid(states, 7)[0], 0);
  EXPECT_EQ(grid(scan, 7)[0], 0);
  EXPECT_EQ(grid(output, 7), (std::vector<int64_t>{1, 6, B}));
  // The state entries are one scratch buffer of the three launches, sized
  // [B, Hkv, segments, units, D, Dv + 1] at launch.
  ASSERT_EQ(states.params.size(), 4u);
  ASSERT_EQ(scan.params.size(), 1u);
  ASSERT_EQ(output.params.size(), 5u);
  for (const ::attn::jit::ParamSource *p :
       {&states.params[3], &scan.params[0], &output.params[3]}) {
    EXPECT_TRUE(p->isScratch);
    EXPECT_EQ(p->value, states.params[3].value);
  }
  auto entries = ::attn::jit::shapeOf(states.params[3].value, shapes, 132);
  ASSERT_TRUE(static_cast<bool>(entries)) << llvm::toString(entries.takeError());
  EXPECT_EQ(*entries, (std::vector<int64_t>{B, 3, 4, 2, 64, 65}));
  for (unsigned i : {0u, 1u, 2u, 4u})
    EXPECT_EQ(output.params[i].alignment, 16);
  EXPECT_EQ(output.params[0].offsets, (std::vector<int64_t>{0, 2, 0, 0}));
  EXPECT_EQ(output.params[1].offsets, (std::vector<int64_t>{0, 1, 0, 0}));
  EXPECT_EQ(output.params[2].offsets, (std::vector<int64_t>{0, 1, 0, 0}));
  EXPECT_TRUE(output.params[4].isResult);
  EXPECT_EQ(output.params[4].index, 0u);
  EXPECT_EQ(output.params[4].offsets, (std::vector<int64_t>{0, 2, 0, 0}));
  auto o = ::attn::jit::shapeOf(output.params[4].value, shapes);
  ASSERT_TRUE(static_cast<bool>(o));
  EXPECT_EQ(*o, (std::vector<int64_t>{B, 6, L, 64}));
}

constexpr const char *kHopper = R"mlir(
func.func @gqa(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x2x?x128xbf16>, %v: tensor<?x2x?x128xbf16>) -> (tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>}
      : tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>, tensor<?x2x?x128xbf16> -> tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>
  return %o, %lse : tensor<?x8x?x128xbf16>, tensor<?x8x?xf32>
}
)mlir";

TEST_F(LaunchPlan, HopperKernelTakesTensorMapsAndAnAlignedOutput) {
  plan(kHopper, "gqa",
       "attn-materialize-defaults,attn-to-gpu{hopper=true},canonicalize,cse");
  if (HasFatalFailure())
    return;
  ASSERT_EQ(steps.size(), 1u);
  const ::attn::jit::LaunchStep &step = steps[0];
  EXPECT_EQ(step.blockThreads, 384);
  EXPECT_EQ(step.sharedBytes, 1024 + 32768 + 3 * 65536);
  // Q, K and V (boxes of 128 rows) by value, then Q and K as views (for
  // their sizes), then O (4-byte pairs) and the LSE.
  ASSERT_EQ(step.params.size(), 7u);
  const int64_t rows[3] = {128, 128, 128};
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(step.params[i].tensorMapRows, rows[i]);
    EXPECT_EQ(step.params[i].index, i);
    EXPECT_FALSE(step.params[i].isResult);
  }
  EXPECT_EQ(step.params[3].tensorMapRows, 0);
  const ::attn::jit::ParamSource &out = step.params[5];
  EXPECT_TRUE(out.isResult);
  EXPECT_EQ(out.index, 0u);
  EXPECT_EQ(out.alignment, 4);
  EXPECT_TRUE(step.params[6].isResult);
  EXPECT_EQ(step.params[6].index, 1u);
  const int64_t B = 2, L = 333;
  std::vector<std::vector<int64_t>> shapes = {
      {B, 8, L, 128}, {B, 2, L, 128}, {B, 2, L, 128}};
  auto o = ::attn::jit::shapeOf(out.value, shapes);
  ASSERT_TRUE(static_cast<bool>(o)) << llvm::toString(o.takeError());
  EXPECT_EQ(*o, (std::vector<int64_t>{B, 8, L, 128}));
  auto k = ::attn::jit::shapeOf(step.params[1].value, shapes);
  ASSERT_TRUE(static_cast<bool>(k)) << llvm::toString(k.takeError());
  EXPECT_EQ(*k, (std::vector<int64_t>{B, 2, L, 128}));
  // Persistent: one CTA per tile (128 query rows of a head and batch), at
  // most one per SM; the SM count is a launch-time fact.
  const int64_t tiles = (L + 127) / 128 * 8 * B;
  for (int64_t sms : {132, 114, 7}) {
    auto gx = ::attn::jit::evaluate(step.grid[0], shapes, sms);
    ASSERT_TRUE(static_cast<bool>(gx)) << llvm::toString(gx.takeError());
    EXPECT_EQ(*gx, std::min(tiles, sms));
  }
  for (int i : {1, 2}) {
    auto g = ::attn::jit::evaluate(step.grid[i], shapes);
    ASSERT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
    EXPECT_EQ(*g, 1);
  }
  auto unknown = ::attn::jit::evaluate(step.grid[0], shapes);
  ASSERT_FALSE(static_cast<bool>(unknown));
  EXPECT_NE(llvm::toString(unknown.takeError()).find("SM count"),
            std::string::npos);
}

} // namespace
