//===- Spec.cpp - defaults, names and equality of the C++ specs -----------===//

#include "attn/Spec.h"

#include <cmath>

namespace attn {

double defaultScale(int64_t headDim) {
  return 1.0 / std::sqrt(static_cast<double>(headDim));
}

double defaultKernelEps(FeatureMap f) {
  switch (f) {
  case FeatureMap::Relu:
    return 1e-3;
  case FeatureMap::FavorPlus:
    return 1e-6;
  case FeatureMap::EluPlusOne:
  case FeatureMap::Softmax:
    return 0.0;
  }
  return 0.0;
}

double AttentionSpec::scaleOrDefault() const {
  return scale ? *scale : defaultScale(dims.headDim);
}

bool AttentionSpec::operator==(const AttentionSpec &o) const {
  return dims == o.dims && elementType == o.elementType && layout == o.layout &&
         scale == o.scale && causal == o.causal && window == o.window &&
         bias == o.bias && mask == o.mask && keyPadding == o.keyPadding &&
         documents == o.documents && globalTokens == o.globalTokens &&
         returnLse == o.returnLse && rotary == o.rotary;
}

double LinearAttentionSpec::epsOrDefault() const {
  return eps ? *eps : kDefaultLinearEps;
}

double LinearAttentionSpec::kernelEpsOrDefault() const {
  return kernelEps ? *kernelEps : defaultKernelEps(featureMap);
}

int64_t LinearAttentionSpec::numFeatures() const {
  return numRandomFeatures > 0 ? numRandomFeatures : dims.headDim;
}

bool LinearAttentionSpec::operator==(const LinearAttentionSpec &o) const {
  return dims == o.dims && elementType == o.elementType && layout == o.layout &&
         featureMap == o.featureMap && causal == o.causal &&
         numRandomFeatures == o.numRandomFeatures && eps == o.eps &&
         kernelEps == o.kernelEps && localHeads == o.localHeads &&
         localWindow == o.localWindow;
}

const char *toString(ElementType t) {
  switch (t) {
  case ElementType::F32:
    return "f32";
  case ElementType::F16:
    return "f16";
  case ElementType::BF16:
    return "bf16";
  }
  return "?";
}

const char *toString(Layout l) { return l == Layout::BHSD ? "bhsd" : "bshd"; }

const char *toString(Causal c) {
  switch (c) {
  case Causal::None:
    return "none";
  case Causal::BottomRight:
    return "bottom_right";
  case Causal::TopLeft:
    return "top_left";
  }
  return "?";
}

const char *toString(FeatureMap f) {
  switch (f) {
  case FeatureMap::EluPlusOne:
    return "elu_plus_one";
  case FeatureMap::Relu:
    return "relu";
  case FeatureMap::FavorPlus:
    return "favor_plus";
  case FeatureMap::Softmax:
    return "softmax";
  }
  return "?";
}

} // namespace attn
