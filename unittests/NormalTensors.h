//===- NormalTensors.h - seeded random fp64 test tensors --------*- C++ -*-===//

#ifndef ATTN_UNITTESTS_NORMALTENSORS_H
#define ATTN_UNITTESTS_NORMALTENSORS_H

#include "attn/Reference.h"

#include <random>
#include <vector>

namespace attn::test_support {

/// Tensors of independent N(0, sigma^2) draws from one seeded stream.
class NormalTensors {
public:
  explicit NormalTensors(uint64_t seed, double sigma = 1.0)
      : gen(seed), normal(0.0, sigma) {}
  RefTensor operator()(std::vector<int64_t> shape) {
    RefTensor t(std::move(shape));
    for (double &x : t.data)
      x = normal(gen);
    return t;
  }

private:
  std::mt19937_64 gen;
  std::normal_distribution<double> normal;
};

} // namespace attn::test_support

#endif // ATTN_UNITTESTS_NORMALTENSORS_H
