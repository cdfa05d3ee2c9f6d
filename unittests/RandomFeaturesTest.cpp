//===- RandomFeaturesTest.cpp - orthogonal random features and FAVOR+ -----===//

#include "attn/RandomFeatures.h"

#include "NormalTensors.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>

using namespace attn;

namespace {

double dot(const RefTensor &p, int64_t a, int64_t b) {
  double s = 0;
  for (int64_t t = 0; t < p.shape[1]; ++t)
    s += p.at({a, t}) * p.at({b, t});
  return s;
}

TEST(RandomFeatures, BlocksAreOrthogonalAndRowsScaled) {
  const int64_t m = 40, d = 16; // two full blocks and a partial one
  auto p = orthogonalRandomFeatures(m, d, 3, FeatureScaling::SqrtD);
  ASSERT_TRUE(static_cast<bool>(p)) << llvm::toString(p.takeError());
  EXPECT_EQ(p->shape, (std::vector<int64_t>{m, d}));
  for (int64_t i = 0; i < m; ++i) {
    EXPECT_NEAR(dot(*p, i, i), d, 1e-9) << "row " << i;
    for (int64_t j = (i / d) * d; j < i; ++j) // same block
      EXPECT_NEAR(dot(*p, i, j), 0.0, 1e-9) << i << ", " << j;
  }
}

TEST(RandomFeatures, GaussianNormsVaryAndSeedsRepeat) {
  auto a = orthogonalRandomFeatures(64, 8, 7);
  auto b = orthogonalRandomFeatures(64, 8, 7);
  auto c = orthogonalRandomFeatures(64, 8, 8);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->data, b->data);
  EXPECT_NE(a->data, c->data);
  // Squared row norms ~ chi^2(8): mean 8, and not all equal.
  double mean = 0, lo = 1e9, hi = 0;
  for (int64_t i = 0; i < 64; ++i) {
    double n = dot(*a, i, i);
    mean += n / 64;
    lo = std::min(lo, n);
    hi = std::max(hi, n);
  }
  EXPECT_NEAR(mean, 8.0, 2.0);
  EXPECT_LT(lo, hi * 0.8);
}

TEST(RandomFeatures, BadSizesAreErrors) {
  auto p = orthogonalRandomFeatures(0, 8, 1);
  ASSERT_FALSE(static_cast<bool>(p));
  EXPECT_EQ(llvm::toString(p.takeError()),
            "random features need m > 0 and D > 0, got m = 0 and D = 8");
}

/// FAVOR+ estimates exp(q.k / sqrt(D)): with enough random features its
/// linear attention approaches exact softmax attention.
TEST(RandomFeatures, FavorPlusApproachesSoftmaxAttentionAsMGrows) {
  const int64_t L = 24, D = 8;
  test_support::NormalTensors randomTensor(11, 0.5);
  LinearAttentionInputs lin;
  lin.q = randomTensor({1, 1, L, D});
  lin.k = randomTensor({1, 1, L, D});
  lin.v = randomTensor({1, 1, L, D});
  AttentionSpec softmax;
  AttentionInputs exactIn{lin.q, lin.k, lin.v, {}, {}, {}, {}, {}, {}};
  auto exact = referenceAttention(softmax, exactIn);
  ASSERT_TRUE(static_cast<bool>(exact));

  std::vector<double> errors;
  for (int64_t m : {8, 64, 512, 4096}) {
    double err = 0;
    for (uint64_t seed = 0; seed < 4; ++seed) { // average out one draw's luck
      auto p = orthogonalRandomFeatures(m, D, seed);
      ASSERT_TRUE(static_cast<bool>(p));
      lin.projection = *p;
      LinearAttentionSpec spec;
      spec.featureMap = FeatureMap::FavorPlus;
      spec.numRandomFeatures = m;
      auto out = referenceLinearAttention(spec, lin);
      ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
      for (size_t e = 0; e < out->data.size(); ++e)
        err += std::fabs(out->data[e] - exact->out.data[e]) /
               (4.0 * out->data.size());
    }
    errors.push_back(err);
  }
  // Seen: 0.034, 0.014, 0.0046, 0.0020 for m = 8, 64, 512, 4096.
  std::string trace;
  for (double e : errors)
    trace += std::to_string(e) + " ";
  RecordProperty("mean_abs_errors", trace);
  // Mean |error| shrinks roughly as 1/sqrt(m): 8 -> 4096 is 22x.
  EXPECT_LT(errors[3], errors[0] / 5) << errors[0] << " -> " << errors[3];
  EXPECT_LT(errors[3], errors[1]);
  EXPECT_LT(errors[3], 0.02);
}

} // namespace
