//===- RandomFeatures.cpp - seeded orthogonal random features -------------===//
//
// Modified Gram-Schmidt on each D x D Gaussian block: numerically adequate in
// fp64 for the sizes used here (D <= 256) and simpler than Householder QR;
// the block's rows come out orthonormal and are then rescaled.
//
//===----------------------------------------------------------------------===//

#include "attn/RandomFeatures.h"

#include <cmath>
#include <random>

namespace attn {

llvm::Expected<RefTensor> orthogonalRandomFeatures(int64_t m, int64_t d,
                                                   uint64_t seed,
                                                   FeatureScaling scaling) {
  if (m <= 0 || d <= 0)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "random features need m > 0 and D > 0, got m = " + llvm::Twine(m) +
            " and D = " + llvm::Twine(d));
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  RefTensor p({m, d});
  std::vector<double> block(d * d);
  for (int64_t row0 = 0; row0 < m; row0 += d) {
    for (double &x : block)
      x = normal(gen);
    // Orthonormalize the rows (modified Gram-Schmidt).
    for (int64_t i = 0; i < d; ++i) {
      double *r = &block[i * d];
      for (int64_t j = 0; j < i; ++j) {
        const double *o = &block[j * d];
        double dot = 0;
        for (int64_t t = 0; t < d; ++t)
          dot += r[t] * o[t];
        for (int64_t t = 0; t < d; ++t)
          r[t] -= dot * o[t];
      }
      double norm = 0;
      for (int64_t t = 0; t < d; ++t)
        norm += r[t] * r[t];
      norm = std::sqrt(norm);
      for (int64_t t = 0; t < d; ++t)
        r[t] /= norm;
    }
    for (int64_t i = 0; i < d && row0 + i < m; ++i)
      for (int64_t t = 0; t < d; ++t)
        p.at({row0 + i, t}) = block[i * d + t];
  }
  for (int64_t i = 0; i < m; ++i) {
    double scale = std::sqrt(static_cast<double>(d));
    if (scaling == FeatureScaling::GaussianNorms) {
      double sq = 0;
      for (int64_t t = 0; t < d; ++t) {
        double g = normal(gen);
        sq += g * g;
      }
      scale = std::sqrt(sq);
    }
    for (int64_t t = 0; t < d; ++t)
      p.at({i, t}) *= scale;
  }
  return p;
}

} // namespace attn
