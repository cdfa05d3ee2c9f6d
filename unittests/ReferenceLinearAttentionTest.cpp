//===- ReferenceLinearAttentionTest.cpp - hand-worked linear attention ----===//
//
// Small cases per feature map worked out by hand (D = 1 or 2), plus a check of
// the reference's running-state form against the pairwise definition
//   o_i = sum_j (phi(q_i).phi(k_j)) v_j / (sum_j phi(q_i).phi(k_j) + eps).
//
//===----------------------------------------------------------------------===//

#include "attn/Reference.h"

#include "NormalTensors.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace attn;

namespace {

constexpr double kTol = 1e-12;

LinearAttentionSpec specFor(FeatureMap map, bool causal, double eps = 0.0) {
  LinearAttentionSpec spec;
  spec.featureMap = map;
  spec.causal = causal;
  spec.eps = eps;
  return spec;
}

std::vector<double> run(const LinearAttentionSpec &spec,
                        const LinearAttentionInputs &in) {
  llvm::Expected<RefTensor> out = referenceLinearAttention(spec, in);
  if (!out) {
    ADD_FAILURE() << llvm::toString(out.takeError());
    return {};
  }
  return out->data;
}

void expectNear(const std::vector<double> &got,
                const std::vector<double> &want, double tol = kTol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t e = 0; e < want.size(); ++e)
    EXPECT_NEAR(got[e], want[e], tol) << "element " << e;
}

TEST(ReferenceLinearAttention, EluPlusOne) {
  // phi(0) = 1, phi(1) = 2, phi(-1) = e^-1 (the query's phi cancels).
  LinearAttentionInputs in;
  in.q = RefTensor({1, 1, 2, 1}, {0, -1});
  in.k = RefTensor({1, 1, 2, 1}, {0, 1});
  in.v = RefTensor({1, 1, 2, 1}, {3, 6});
  // Non-causal: (1*3 + 2*6) / (1 + 2) = 5 for both rows.
  expectNear(run(specFor(FeatureMap::EluPlusOne, false), in), {5, 5});
  // Causal: row 0 sees key 0 only.
  expectNear(run(specFor(FeatureMap::EluPlusOne, true), in), {3, 5});
  // eps enters the denominator: 15 / (3 + 1) with phi(q) = 1.
  expectNear(run(specFor(FeatureMap::EluPlusOne, false, 1.0), in),
             {15.0 / 4, 15 * std::exp(-1.0) / (3 * std::exp(-1.0) + 1)});
}

TEST(ReferenceLinearAttention, ReluWithoutProjection) {
  // D = 1 -> c = 1. kernel_eps = 0.5: phi(k) = [0 + .5, 3 + .5].
  LinearAttentionSpec spec = specFor(FeatureMap::Relu, false);
  spec.kernelEps = 0.5;
  LinearAttentionInputs in;
  in.q = RefTensor({1, 1, 1, 1}, {2});
  in.k = RefTensor({1, 1, 2, 1}, {-1, 3});
  in.v = RefTensor({1, 1, 2, 1}, {1, 2});
  expectNear(run(spec, in), {(0.5 * 1 + 3.5 * 2) / 4.0});
}

TEST(ReferenceLinearAttention, ReluWithProjectionUsesCEqualsDToTheMinusQuarter) {
  // D = 4 -> c = 1/sqrt(2); P = sqrt(2) * [e0; e1] makes c x P^T = x[0:2].
  LinearAttentionSpec spec = specFor(FeatureMap::Relu, false);
  spec.kernelEps = 0.0;
  spec.numRandomFeatures = 2;
  const double r2 = std::sqrt(2.0);
  LinearAttentionInputs in;
  in.projection = RefTensor({2, 4}, {r2, 0, 0, 0, 0, r2, 0, 0});
  in.q = RefTensor({1, 1, 1, 4}, {1, 2, 9, 9});
  in.k = RefTensor({1, 1, 2, 4}, {1, 0, 5, 5, -3, 1, 5, 5});
  in.v = RefTensor({1, 1, 2, 1}, {10, 20});
  // phi(q) = [1, 2]; phi(k0) = [1, 0], phi(k1) = [0, 1]:
  // weights 1 and 2 -> (10 + 40) / 3.
  expectNear(run(spec, in), {50.0 / 3});
}

TEST(ReferenceLinearAttention, FavorPlusStabilizers) {
  // D = 1, m = 1, P = [[1]], c = 1, kernel_eps = 0:
  // phi(k_j) = exp(k_j - k_j^2/2 - max_j k_j): k = [0, 1] -> [e^-1, e^-0.5];
  // the query's phi is a common factor. Out = (e^-1 v0 + e^-.5 v1) / sum.
  LinearAttentionSpec spec = specFor(FeatureMap::FavorPlus, false);
  spec.kernelEps = 0.0;
  spec.numRandomFeatures = 1;
  LinearAttentionInputs in;
  in.projection = RefTensor({1, 1}, {1});
  in.q = RefTensor({1, 1, 1, 1}, {0.3});
  in.k = RefTensor({1, 1, 2, 1}, {0, 1});
  in.v = RefTensor({1, 1, 2, 1}, {2, 4});
  double w0 = std::exp(-1.0), w1 = std::exp(-0.5);
  expectNear(run(spec, in), {(2 * w0 + 4 * w1) / (w0 + w1)});

  // kernel_eps no longer cancels: with m = 1 and q = 0 (phi(q) = 1 + ek),
  // phi(k) = e^{...} + ek and the key stabilizer is global: ek = 0.5.
  spec.kernelEps = 0.5;
  in.q = RefTensor({1, 1, 1, 1}, {0});
  w0 += 0.5;
  w1 += 0.5;
  expectNear(run(spec, in), {(2 * w0 + 4 * w1) / (w0 + w1)});
}

TEST(ReferenceLinearAttention, FavorPlusNormalizesByRootM) {
  // m = 4 identical features: phi = (1/2) * 4 copies; with eps = 1 the
  // denominator is phi(q).z + 1, so the 1/sqrt(m) factor is visible.
  LinearAttentionSpec spec = specFor(FeatureMap::FavorPlus, false, 1.0);
  spec.kernelEps = 0.0;
  spec.numRandomFeatures = 4;
  LinearAttentionInputs in;
  in.projection = RefTensor({4, 1}, {1, 1, 1, 1});
  in.q = RefTensor({1, 1, 1, 1}, {0});
  in.k = RefTensor({1, 1, 1, 1}, {0});
  in.v = RefTensor({1, 1, 1, 1}, {6});
  // phi(q) = phi(k) = [.5, .5, .5, .5]: phi(q).phi(k) = 1 -> 6 / (1 + 1).
  expectNear(run(spec, in), {3});
}

TEST(ReferenceLinearAttention, SoftmaxFeatureMap) {
  // q = [0, 0] -> phi(q) = [.5, .5].
  LinearAttentionInputs in;
  in.q = RefTensor({1, 1, 2, 2}, {0, 0, 0, 0});
  in.k = RefTensor({1, 1, 2, 2}, {0, 0, std::log(3.0), 0});
  in.v = RefTensor({1, 1, 2, 1}, {8, 16});
  // Non-causal: keys softmax over the sequence per feature:
  // feature 0 -> [1/4, 3/4], feature 1 -> [1/2, 1/2]; weights 3/8, 5/8.
  expectNear(run(specFor(FeatureMap::Softmax, false), in), {13, 13});
  // Causal: phi(k) = exp(k) = [1, 1], [3, 1]; row 1 weights 1 : 2.
  expectNear(run(specFor(FeatureMap::Softmax, true), in), {8, 40.0 / 3});
}

TEST(ReferenceLinearAttention, CausalAlignsBottomRightAndEmptyRowsAreZero) {
  LinearAttentionInputs in;
  in.q = RefTensor({1, 1, 1, 1}, {0});
  in.k = RefTensor({1, 1, 3, 1}, {0, 0, 0});
  in.v = RefTensor({1, 1, 3, 1}, {1, 2, 6});
  // Lq = 1, Lk = 3: the single query sees all three keys.
  expectNear(run(specFor(FeatureMap::EluPlusOne, true), in), {3});
  // Lq = 2 > Lk = 1: row 0 sees no key and is 0 even with eps = 0.
  in.q = RefTensor({1, 1, 2, 1}, {0, 0});
  in.k = RefTensor({1, 1, 1, 1}, {0});
  in.v = RefTensor({1, 1, 1, 1}, {5});
  expectNear(run(specFor(FeatureMap::EluPlusOne, true), in), {0, 5});
}

/// The pairwise definition, for the cross-check below (BHSD, no GQA).
std::vector<double> pairwiseElu(const LinearAttentionInputs &in, bool causal,
                                double eps) {
  auto phi = [](double x) { return x > 0 ? x + 1 : std::exp(x); };
  int64_t H = in.q.shape[1], Lq = in.q.shape[2], Lk = in.k.shape[2],
          D = in.q.shape[3], Dv = in.v.shape[3];
  std::vector<double> out;
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < Lq; ++i) {
      std::vector<double> num(Dv, 0.0);
      double den = eps;
      for (int64_t j = 0; j < Lk; ++j) {
        if (causal && j > i + (Lk - Lq))
          continue;
        double w = 0;
        for (int64_t d = 0; d < D; ++d)
          w += phi(in.q.at({0, h, i, d})) * phi(in.k.at({0, h, j, d}));
        den += w;
        for (int64_t y = 0; y < Dv; ++y)
          num[y] += w * in.v.at({0, h, j, y});
      }
      for (double n : num)
        out.push_back(n / den);
    }
  return out;
}

TEST(ReferenceLinearAttention, StateFormMatchesPairwiseDefinition) {
  test_support::NormalTensors randomTensor(7);
  LinearAttentionInputs in;
  in.q = randomTensor({1, 2, 5, 3});
  in.k = randomTensor({1, 2, 7, 3});
  in.v = randomTensor({1, 2, 7, 2});
  for (bool causal : {false, true})
    expectNear(run(specFor(FeatureMap::EluPlusOne, causal, 1e-3), in),
               pairwiseElu(in, causal, 1e-3), 1e-10);
}

TEST(ReferenceLinearAttention, GroupedHeads) {
  LinearAttentionInputs in;
  in.q = RefTensor({1, 2, 1, 1}, {0, 0});
  in.k = RefTensor({1, 1, 1, 1}, {0});
  in.v = RefTensor({1, 1, 1, 1}, {9});
  expectNear(run(specFor(FeatureMap::EluPlusOne, false), in), {9, 9});
}

TEST(ReferenceLinearAttention, ProjectionErrors) {
  LinearAttentionInputs in;
  in.q = RefTensor::filled({1, 1, 1, 2}, 0.0);
  in.k = RefTensor::filled({1, 1, 1, 2}, 0.0);
  in.v = RefTensor::filled({1, 1, 1, 1}, 0.0);
  llvm::Expected<RefTensor> out =
      referenceLinearAttention(specFor(FeatureMap::FavorPlus, false), in);
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_EQ(llvm::toString(out.takeError()),
            "feature map favor_plus needs a projection [m, D]");

  in.projection = RefTensor::filled({3, 5}, 0.0);
  LinearAttentionSpec spec = specFor(FeatureMap::Relu, false);
  spec.numRandomFeatures = 3;
  out = referenceLinearAttention(spec, in);
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_EQ(llvm::toString(out.takeError()),
            "projection has shape [3, 5], expected [m, 2]");

  in.projection = RefTensor::filled({3, 2}, 0.0);
  out = referenceLinearAttention(specFor(FeatureMap::EluPlusOne, false), in);
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_EQ(llvm::toString(out.takeError()),
            "feature map elu_plus_one takes no projection");
}

} // namespace
