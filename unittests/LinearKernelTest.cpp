//===- LinearKernelTest.cpp - linear attention on the CPU vs fp64 ---------===//
//
// Every feature map, causal and not, on each target, at L in {1, 7, 63, 64,
// 65, 1000, 4096}, D in {32, 64, 128}, m in {D, D ln D}; f32 within 1e-4
// and f16/bf16 within 2e-2 of the fp64 reference
// (issue 5's bounds), poisoned outputs. HalfPrecisionChunks drives the
// tensor-core kernel's edge cases on CUDA (on the CPU the same cases run
// the loop lowering).
//
//===----------------------------------------------------------------------===//

#include "attn/CUDADriver.h"
#include "TargetVariants.h"
#include "attn/HostTensor.h"
#include "attn/JIT.h"
#include "attn/RandomFeatures.h"
#include "attn/Reference.h"

#include "NormalTensors.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace attn;

namespace {

using attn::test_support::jit;

/// One (Lq, Lk) case: B=2, Hq=4, Hkv=2 (B=1, Hq=2, Hkv=1 from 4096 on).
struct Case {
  int64_t qLen, kvLen;
  int64_t batch = 0; ///< 0: 2, or 1 at L >= 4096
};

void checkLinear(Target target, LinearAttentionSpec spec,
                 llvm::ArrayRef<Case> cases, CompileOptions options = {}) {
  auto kernel = jit().compile(spec, target, options);
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  double tolerance = spec.elementType == ElementType::F32 ? 1e-4 : 2e-2;
  uint64_t seed = 3;
  for (Case c : cases) {
    SCOPED_TRACE(testing::Message()
                 << toString(spec.featureMap) << (spec.causal ? " causal" : "")
                 << " Lq=" << c.qLen << " Lk=" << c.kvLen
                 << (c.batch ? " B=" + std::to_string(c.batch) : "")
                 << " D=" << spec.dims.headDim << " m=" << spec.numFeatures()
                 << " chunk=" << options.gpu.linearChunk);
    Dims d = spec.dims;
    bool big = std::max(c.qLen, c.kvLen) >= 4096;
    d.batch = c.batch ? c.batch : big ? 1 : 2;
    if (spec.dims.qHeads == kDynamic) // mixed heads pin them in the spec
      d.qHeads = big ? 2 : 4, d.kvHeads = big ? 1 : 2;
    d.qLen = c.qLen, d.kvLen = c.kvLen;
    auto args = (*kernel)->arguments();
    std::vector<HostTensor> values = randomArguments(
        args, argumentShapes(args, d, spec.layout), d, seed++);
    std::vector<TensorRef> refs;
    for (HostTensor &v : values)
      refs.push_back(v.ref());
    auto shapes = (*kernel)->resultShapes(refs);
    ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
    HostTensor out((*kernel)->results()[0].dtype, (*shapes)[0]);
    out.poison();
    llvm::Error err = (*kernel)->run(refs, {out.ref()});
    ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
    auto want =
        referenceLinearAttention(spec, linearReferenceInputs(args, values));
    ASSERT_TRUE(static_cast<bool>(want)) << llvm::toString(want.takeError());
    ErrorStats s = compare(out, *want);
    EXPECT_FALSE(s.nan);
    EXPECT_LE(s.maxRel, tolerance) << "max abs err " << s.maxAbs;
  }
}

/// Self-attention lengths of issue 5: {1, 7, 63, 64, 65, 1000, 4096}.
std::vector<Case> selfLengths() {
  std::vector<Case> cases;
  for (int64_t L : {1, 7, 63, 64, 65, 1000})
    cases.push_back({L, L});
  cases.push_back({4096, 4096});
  return cases;
}

#define LINEAR_VARIANT(Name) TARGET_VARIANT(CPULinearKernel, CUDALinearKernel, Name)

LinearAttentionSpec linearSpec(FeatureMap map, bool causal, int64_t D,
                               int64_t m = 0,
                               ElementType type = ElementType::F32) {
  LinearAttentionSpec s;
  s.dims.headDim = s.dims.valueDim = D;
  s.featureMap = map;
  s.causal = causal;
  s.numRandomFeatures = m;
  s.elementType = type;
  return s;
}

int64_t mLog(int64_t D) {
  return static_cast<int64_t>(D * std::log(double(D)));
}

LINEAR_VARIANT(EluPlusOne) {
  for (bool causal : {false, true})
    for (int64_t D : {32, 64, 128})
      checkLinear(t, linearSpec(FeatureMap::EluPlusOne, causal, D),
                  selfLengths());
}

LINEAR_VARIANT(ReluWithAndWithoutProjection) {
  for (bool causal : {false, true})
    for (int64_t D : {32, 64, 128}) {
      checkLinear(t, linearSpec(FeatureMap::Relu, causal, D), selfLengths());
      for (int64_t m : {D, mLog(D)})
        checkLinear(t, linearSpec(FeatureMap::Relu, causal, D, m),
                    selfLengths());
    }
}

LINEAR_VARIANT(FavorPlus) {
  for (bool causal : {false, true})
    for (int64_t D : {32, 64, 128})
      for (int64_t m : {D, mLog(D)})
        checkLinear(t, linearSpec(FeatureMap::FavorPlus, causal, D, m),
                    selfLengths());
}

LINEAR_VARIANT(Softmax) {
  for (bool causal : {false, true})
    for (int64_t D : {32, 64, 128})
      checkLinear(t, linearSpec(FeatureMap::Softmax, causal, D),
                  selfLengths());
}

LINEAR_VARIANT(BFloat16AndBSHD) {
  LinearAttentionSpec s =
      linearSpec(FeatureMap::FavorPlus, true, 64, 128, ElementType::BF16);
  s.layout = Layout::BSHD;
  checkLinear(t, s, selfLengths());
  checkLinear(t, linearSpec(FeatureMap::EluPlusOne, false, 32, 0,
                         ElementType::F16),
              selfLengths());
}

/// Performer's mixed heads: local sliding-window softmax heads and FAVOR+
/// (or, in bf16, elu+1 on tensor cores) heads from one spec and function.
LINEAR_VARIANT(MixedHeads) {
  const std::vector<Case> cases = {{1, 1},     {7, 7},     {65, 65},
                                   {300, 300}, {100, 160}, {1000, 1000}};
  LinearAttentionSpec favor =
      linearSpec(FeatureMap::FavorPlus, true, 64, 64);
  favor.dims.qHeads = 8, favor.dims.kvHeads = 4;
  favor.localHeads = 4, favor.localWindow = 31;
  checkLinear(t, favor, cases);
  LinearAttentionSpec elu =
      linearSpec(FeatureMap::EluPlusOne, true, 64, 0, ElementType::BF16);
  elu.dims.qHeads = elu.dims.kvHeads = 6;
  elu.localHeads = 2, elu.localWindow = 100;
  elu.layout = Layout::BSHD;
  checkLinear(t, elu, cases);
}

/// FAVOR+ estimates exp(q.k / sqrt(D)): the compiled kernel's output
/// approaches exact softmax attention (fp64 reference) as m grows.
LINEAR_VARIANT(FavorPlusApproachesSoftmax) {
  const int64_t L = 64, D = 16;
  test_support::NormalTensors randomTensor(5, 0.5);
  RefTensor q = randomTensor({1, 2, L, D}), k = randomTensor({1, 2, L, D}),
            v = randomTensor({1, 2, L, D});
  auto exact = referenceAttention(AttentionSpec{},
                                  AttentionInputs{q, k, v, {}, {}, {}, {}, {},
                                                  {}});
  ASSERT_TRUE(static_cast<bool>(exact)) << llvm::toString(exact.takeError());
  std::vector<double> errors;
  for (int64_t m : {8, 64, 512, 4096}) {
    auto kernel =
        jit().compile(linearSpec(FeatureMap::FavorPlus, false, D, m), t);
    ASSERT_TRUE(static_cast<bool>(kernel))
        << llvm::toString(kernel.takeError());
    double err = 0;
    for (uint64_t seed = 0; seed < 4; ++seed) { // average out one draw's luck
      auto p = orthogonalRandomFeatures(m, D, seed);
      ASSERT_TRUE(static_cast<bool>(p)) << llvm::toString(p.takeError());
      std::vector<HostTensor> in = {
          HostTensor::fromRef(q, DType::F32), HostTensor::fromRef(k, DType::F32),
          HostTensor::fromRef(v, DType::F32),
          HostTensor::fromRef(*p, DType::F32)};
      HostTensor out(DType::F32, {1, 2, L, D});
      out.poison();
      std::vector<TensorRef> refs;
      for (HostTensor &h : in)
        refs.push_back(h.ref());
      llvm::Error e = (*kernel)->run(refs, {out.ref()});
      ASSERT_FALSE(static_cast<bool>(e)) << llvm::toString(std::move(e));
      for (int64_t i = 0; i < out.numElements(); ++i)
        err += std::fabs(out.get(i) - exact->out.data[i]) /
               (4.0 * out.numElements());
    }
    errors.push_back(err);
  }
  std::string trace;
  for (double e : errors)
    trace += std::to_string(e) + " ";
  testing::Test::RecordProperty("mean_abs_errors", trace);
  EXPECT_LT(errors[3], errors[0] / 5) << errors[0] << " -> " << errors[3];
  EXPECT_LT(errors[3], errors[1]);
  EXPECT_LT(errors[2], errors[0]);
  EXPECT_LT(errors[3], 0.02);
}

/// The chunked tensor-core kernel on CUDA (elementwise maps, f16/bf16):
/// every chunk size, D and Dv not equal, keys before the first chunk
/// (Lk > Lq), queries that see no key (Lk < Lq, causal), GQA, BSHD.
LINEAR_VARIANT(HalfPrecisionChunks) {
  const std::vector<Case> cross = {{1, 1},     {7, 7},     {65, 65},
                                   {100, 37},  {37, 100},  {1000, 1000},
                                   {129, 300}, {300, 129}, {4096, 4096}};
  for (FeatureMap map : {FeatureMap::EluPlusOne, FeatureMap::Relu})
    for (bool causal : {false, true})
      for (ElementType type : {ElementType::BF16, ElementType::F16})
        for (int64_t D : {32, 64, 128}) {
          LinearAttentionSpec s = linearSpec(map, causal, D, 0, type);
          s.dims.valueDim = D == 64 ? 40 : D;
          if (D == 32)
            s.layout = Layout::BSHD;
          checkLinear(t, s, cross);
        }
  for (int64_t chunk : {16, 32, 128}) { // 64: these maps' default
    CompileOptions o;
    o.gpu.linearChunk = chunk;
    o.gpu.linearValueTile = chunk == 32 ? 32 : 8;
    for (bool causal : {false, true})
      checkLinear(t,
                  linearSpec(FeatureMap::EluPlusOne, causal, 64, 0,
                             ElementType::BF16),
                  cross, o);
  }
}

/// The softmax map in f16/bf16 (on CUDA: key statistics, the feature
/// kernels into bf16 scratch, then the chunked scan): causal and not,
/// Lq != Lk both ways, GQA, BSHD, Dv != D, L up to 4097.
LINEAR_VARIANT(HalfPrecisionSoftmaxMap) {
  const std::vector<Case> cases = {{1, 1},     {63, 63},   {65, 65},
                                   {100, 37},  {37, 100},  {1000, 1000},
                                   {4097, 4097}};
  for (bool causal : {false, true})
    for (ElementType type : {ElementType::BF16, ElementType::F16})
      for (int64_t D : {32, 64, 128}) {
        LinearAttentionSpec s =
            linearSpec(FeatureMap::Softmax, causal, D, 0, type);
        if (D == 32)
          s.layout = Layout::BSHD;
        if (D == 64)
          s.dims.valueDim = 40;
        checkLinear(t, s, cases);
      }
}

/// Projected maps in f16/bf16 (on CUDA: the feature kernels on tensor
/// cores, then the chunked scan over the padded features): FAVOR+ and relu
/// with a projection, causal and not, m = D ln D (not a multiple of 16,
/// several feature groups) and m = D / 2, Lq != Lk both ways, GQA, BSHD,
/// Dv != D, L up to 4097.
LINEAR_VARIANT(HalfPrecisionProjectedMaps) {
  const std::vector<Case> cases = {{1, 1},     {63, 63},   {65, 65},
                                   {100, 37},  {37, 100},  {1000, 1000},
                                   {4097, 4097}};
  for (FeatureMap map : {FeatureMap::FavorPlus, FeatureMap::Relu})
    for (bool causal : {false, true})
      for (ElementType type : {ElementType::BF16, ElementType::F16}) {
        LinearAttentionSpec s = linearSpec(map, causal, 64, mLog(64), type);
        if (type == ElementType::F16) {
          s.layout = Layout::BSHD;
          s.dims.valueDim = 40;
        }
        checkLinear(t, s, cases);
      }
  LinearAttentionSpec small =
      linearSpec(FeatureMap::FavorPlus, true, 32, 16, ElementType::BF16);
  checkLinear(t, small, {{65, 65}, {1000, 1000}});
  // B x H = 280 (x 4 heads), fewer than 2 feature blocks per SM (up to 4)
  // on 132 SMs for each (head, batch): each feature block loops over all 3
  // row tiles of its (head, batch), and the key-max partials are one per
  // block, not per tile.
  for (bool causal : {false, true})
    checkLinear(t,
                linearSpec(FeatureMap::FavorPlus, causal, 32, 16,
                           ElementType::BF16),
                {{300, 300, 70}, {129, 300, 70}});
}

} // namespace
