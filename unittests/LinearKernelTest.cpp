//===- LinearKernelTest.cpp - linear attention on the CPU vs fp64 ---------===//
//
// Every feature map, causal and not, on each target, at L in {1, 7, 63, 64, 65, 1000},
// D in {32, 64}, m in {D, D ln D}; f32 within 1e-4 and bf16 within 2e-2 of
// the fp64 reference (issue 5's bounds), poisoned outputs.
//
//===----------------------------------------------------------------------===//

#include "attn/CUDADriver.h"
#include "TargetVariants.h"
#include "attn/HostTensor.h"
#include "attn/JIT.h"
#include "attn/Reference.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace attn;

namespace {

using attn::test_support::jit;

void checkLinear(Target target, LinearAttentionSpec spec,
                 llvm::ArrayRef<int64_t> lengths) {
  auto kernel = jit().compile(spec, target);
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  double tolerance = spec.elementType == ElementType::F32 ? 1e-4 : 2e-2;
  uint64_t seed = 3;
  for (int64_t L : lengths) {
    SCOPED_TRACE(testing::Message()
                 << toString(spec.featureMap) << (spec.causal ? " causal" : "")
                 << " L=" << L << " D=" << spec.dims.headDim
                 << " m=" << spec.numFeatures());
    Dims d = spec.dims;
    d.batch = 2, d.qHeads = 4, d.kvHeads = 2, d.qLen = L, d.kvLen = L;
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

const int64_t kLengths[] = {1, 7, 63, 64, 65, 1000};

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

LINEAR_VARIANT(EluPlusOne) {
  for (bool causal : {false, true})
    for (int64_t D : {32, 64})
      checkLinear(t, linearSpec(FeatureMap::EluPlusOne, causal, D), kLengths);
}

LINEAR_VARIANT(ReluWithAndWithoutProjection) {
  for (bool causal : {false, true}) {
    checkLinear(t, linearSpec(FeatureMap::Relu, causal, 32), kLengths);
    checkLinear(t, linearSpec(FeatureMap::Relu, causal, 32, 111), kLengths);
  }
}

LINEAR_VARIANT(FavorPlus) {
  for (bool causal : {false, true})
    for (int64_t D : {32, 64}) {
      int64_t mLog = static_cast<int64_t>(D * std::log(double(D)));
      checkLinear(t, linearSpec(FeatureMap::FavorPlus, causal, D, D), kLengths);
      checkLinear(t, linearSpec(FeatureMap::FavorPlus, causal, D, mLog),
                  kLengths);
    }
}

LINEAR_VARIANT(Softmax) {
  for (bool causal : {false, true})
    checkLinear(t, linearSpec(FeatureMap::Softmax, causal, 32), kLengths);
}

LINEAR_VARIANT(BFloat16AndBSHD) {
  LinearAttentionSpec s =
      linearSpec(FeatureMap::FavorPlus, true, 64, 128, ElementType::BF16);
  s.layout = Layout::BSHD;
  checkLinear(t, s, kLengths);
  checkLinear(t, linearSpec(FeatureMap::EluPlusOne, false, 32, 0,
                         ElementType::F16),
              kLengths);
}

} // namespace
