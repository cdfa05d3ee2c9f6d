//===- RandomFeatures.h - Performer's orthogonal random features -*- C++ -*-===//
//
// The projection P [m, D] of FAVOR+ (and of relu features): blocks of D
// Gaussian rows orthogonalized by QR, stacked to m rows, each row then scaled
// to the norm of a fresh Gaussian D-vector (so rows are marginally Gaussian)
// or to sqrt(D). Seeded: the same (m, D, seed, scaling) gives the same P.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RANDOMFEATURES_H
#define ATTN_RANDOMFEATURES_H

#include "attn/Reference.h"

#include "llvm/Support/Error.h"

namespace attn {

enum class FeatureScaling {
  GaussianNorms, ///< row norms drawn as norms of Gaussian D-vectors
  SqrtD,         ///< every row has norm sqrt(D)
};

llvm::Expected<RefTensor>
orthogonalRandomFeatures(int64_t m, int64_t d, uint64_t seed,
                         FeatureScaling scaling = FeatureScaling::GaussianNorms);

} // namespace attn

#endif // ATTN_RANDOMFEATURES_H
