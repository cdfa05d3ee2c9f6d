//===- ReferenceAttentionTest.cpp - hand-worked softmax attention cases ---===//
//
// With K = 0 every allowed score is equal, and with V = identity each output
// row is the indicator of the allowed keys divided by their count: the mask
// pattern can be written down by hand and read off the output.
//
//===----------------------------------------------------------------------===//

#include "attn/Reference.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace attn;

namespace {

constexpr double kTol = 1e-12;

/// Q [B, H, Lq, 1] of ones, K = 0, V [B, H, Lk, Lk] = identity.
AttentionInputs uniformInputs(int64_t B, int64_t H, int64_t Lq, int64_t Lk) {
  AttentionInputs in;
  in.q = RefTensor::filled({B, H, Lq, 1}, 1.0);
  in.k = RefTensor::filled({B, H, Lk, 1}, 0.0);
  in.v = RefTensor::filled({B, H, Lk, Lk}, 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t j = 0; j < Lk; ++j)
        in.v.at({b, h, j, j}) = 1.0;
  return in;
}

/// Runs the reference and compares O[b, h] with `expected` ([Lq][Lk]).
void expectRows(const AttentionSpec &spec, const AttentionInputs &in,
                int64_t b, int64_t h,
                const std::vector<std::vector<double>> &expected) {
  llvm::Expected<AttentionOutputs> out = referenceAttention(spec, in);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  for (size_t i = 0; i < expected.size(); ++i)
    for (size_t j = 0; j < expected[i].size(); ++j)
      EXPECT_NEAR(out->out.at({b, h, (int64_t)i, (int64_t)j}), expected[i][j],
                  kTol)
          << "row " << i << " key " << j;
}

TEST(ReferenceAttention, NoMaskIsUniform) {
  AttentionSpec spec;
  expectRows(spec, uniformInputs(1, 1, 2, 3), 0, 0,
             {{1 / 3., 1 / 3., 1 / 3.}, {1 / 3., 1 / 3., 1 / 3.}});
}

TEST(ReferenceAttention, CausalBottomRightAlignsToLastKey) {
  AttentionSpec spec;
  spec.causal = Causal::BottomRight; // Lq = 2, Lk = 4: off = 2
  expectRows(spec, uniformInputs(1, 1, 2, 4), 0, 0,
             {{1 / 3., 1 / 3., 1 / 3., 0}, {.25, .25, .25, .25}});
}

TEST(ReferenceAttention, CausalTopLeftAlignsToFirstKey) {
  AttentionSpec spec;
  spec.causal = Causal::TopLeft;
  expectRows(spec, uniformInputs(1, 1, 2, 4), 0, 0,
             {{1, 0, 0, 0}, {.5, .5, 0, 0}});
}

TEST(ReferenceAttention, MistralWindowSeesTheLastTwoKeys) {
  AttentionSpec spec;
  spec.causal = Causal::BottomRight;
  spec.window = Window{1, 0}; // W = 2
  expectRows(spec, uniformInputs(1, 1, 4, 4), 0, 0,
             {{1, 0, 0, 0}, {.5, .5, 0, 0}, {0, .5, .5, 0}, {0, 0, .5, .5}});
}

TEST(ReferenceAttention, WindowWithLqBelowLkIsBottomRightAligned) {
  AttentionSpec spec;
  spec.window = Window{0, 1}; // off = 1: row i sees i+1 and i+2
  expectRows(spec, uniformInputs(1, 1, 2, 3), 0, 0,
             {{0, .5, .5}, {0, 0, 1}});
}

TEST(ReferenceAttention, LongformerGlobalTokenWidensTheBand) {
  AttentionSpec spec;
  spec.window = Window{1, 1};
  spec.globalTokens = true;
  AttentionInputs in = uniformInputs(1, 1, 5, 5);
  in.globalTokens = RefTensor({1, 5}, {0, 0, 0, 1, 0});
  // Row 0 sees the band {0, 1} and the global key 3, row 1 the band
  // {0, 1, 2} and key 3; row 3 (global) sees everything.
  expectRows(spec, in, 0, 0,
             {{1 / 3., 1 / 3., 0, 1 / 3., 0},
              {.25, .25, .25, .25, 0},
              {0, 1 / 3., 1 / 3., 1 / 3., 0},
              {.2, .2, .2, .2, .2},
              {0, 0, 0, .5, .5}});
}

TEST(ReferenceAttention, KeyPaddingPerBatch) {
  AttentionSpec spec;
  spec.keyPadding = true;
  AttentionInputs in = uniformInputs(2, 1, 2, 3);
  in.kvLengths = RefTensor({2}, {2, 3});
  expectRows(spec, in, 0, 0, {{.5, .5, 0}, {.5, .5, 0}});
  expectRows(spec, in, 1, 0, {{1 / 3., 1 / 3., 1 / 3.}});
}

TEST(ReferenceAttention, DocumentsAreBlockDiagonal) {
  AttentionSpec spec;
  spec.documents = true;
  AttentionInputs in = uniformInputs(1, 1, 3, 3);
  in.docQ = RefTensor({1, 3}, {0, 0, 1});
  in.docK = RefTensor({1, 3}, {0, 1, 1});
  expectRows(spec, in, 0, 0, {{1, 0, 0}, {1, 0, 0}, {0, .5, .5}});
  spec.causal = Causal::BottomRight;
  in.docQ = RefTensor({1, 3}, {0, 1, 1});
  expectRows(spec, in, 0, 0, {{1, 0, 0}, {0, 1, 0}, {0, .5, .5}});
}

TEST(ReferenceAttention, ExplicitMaskBroadcastOverBatchAndHeads) {
  AttentionSpec spec;
  spec.mask = Broadcast{{true, true, false, false}};
  AttentionInputs in = uniformInputs(2, 2, 2, 2);
  in.mask = RefTensor({1, 1, 2, 2}, {1, 0, 1, 1});
  expectRows(spec, in, 1, 1, {{1, 0}, {.5, .5}});
}

TEST(ReferenceAttention, ExplicitMaskPerHead) {
  AttentionSpec spec;
  spec.mask = Broadcast{{true, false, false, false}};
  AttentionInputs in = uniformInputs(1, 2, 1, 2);
  in.mask = RefTensor({1, 2, 1, 2}, {1, 0, 0, 1});
  expectRows(spec, in, 0, 0, {{1, 0}});
  expectRows(spec, in, 0, 1, {{0, 1}});
}

TEST(ReferenceAttention, RowWithNoAllowedKeyIsZeroWithLseMinusInf) {
  AttentionSpec spec;
  spec.mask = Broadcast{{true, true, false, false}};
  AttentionInputs in = uniformInputs(1, 1, 2, 2);
  in.mask = RefTensor({1, 1, 2, 2}, {1, 1, 0, 0});
  llvm::Expected<AttentionOutputs> out = referenceAttention(spec, in);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  EXPECT_EQ(out->out.at({0, 0, 1, 0}), 0.0);
  EXPECT_EQ(out->out.at({0, 0, 1, 1}), 0.0);
  EXPECT_TRUE(std::isinf(out->lse.at({0, 0, 1})) &&
              out->lse.at({0, 0, 1}) < 0);
  EXPECT_NEAR(out->lse.at({0, 0, 0}), std::log(2.0), kTol);
}

TEST(ReferenceAttention, NaNScoresMakeTheRowNaNAsInTheKernels) {
  // Row 0's query is NaN: every score of it is NaN, and so are its output
  // and LSE (an all-NaN row used to come out as an empty row, 0 and -inf).
  // Row 1 is untouched. A NaN score masked away does not count.
  AttentionSpec spec;
  spec.returnLse = true;
  AttentionInputs in = uniformInputs(1, 1, 2, 2);
  in.q.at({0, 0, 0, 0}) = std::numeric_limits<double>::quiet_NaN();
  llvm::Expected<AttentionOutputs> out = referenceAttention(spec, in);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  EXPECT_TRUE(std::isnan(out->out.at({0, 0, 0, 0})));
  EXPECT_TRUE(std::isnan(out->out.at({0, 0, 0, 1})));
  EXPECT_TRUE(std::isnan(out->lse.at({0, 0, 0})));
  EXPECT_NEAR(out->out.at({0, 0, 1, 0}), 0.5, kTol);
  EXPECT_NEAR(out->lse.at({0, 0, 1}), std::log(2.0), kTol);

  spec.causal = Causal::TopLeft; // row 0 sees key 0 only
  in = uniformInputs(1, 1, 2, 2);
  in.k.at({0, 0, 1, 0}) = std::numeric_limits<double>::quiet_NaN();
  out = referenceAttention(spec, in);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  EXPECT_NEAR(out->out.at({0, 0, 0, 0}), 1.0, kTol);
  EXPECT_TRUE(std::isnan(out->out.at({0, 0, 1, 0})));
}

TEST(ReferenceAttention, KeyPaddingOfZeroEmptiesEveryRow) {
  AttentionSpec spec;
  spec.keyPadding = true;
  AttentionInputs in = uniformInputs(1, 1, 1, 3);
  in.kvLengths = RefTensor({1}, {0});
  expectRows(spec, in, 0, 0, {{0, 0, 0}});
}

TEST(ReferenceAttention, ScaleAndDotProduct) {
  // s = ln2 * (q . k): q = [1, 2], k0 = e0, k1 = e1 -> s = [ln2, 2 ln2],
  // weights 2:4, out = (2*3 + 4*6) / 6 = 5, lse = ln(2 + 4).
  AttentionSpec spec;
  spec.scale = std::log(2.0);
  AttentionInputs in;
  in.q = RefTensor({1, 1, 1, 2}, {1, 2});
  in.k = RefTensor({1, 1, 2, 2}, {1, 0, 0, 1});
  in.v = RefTensor({1, 1, 2, 1}, {3, 6});
  llvm::Expected<AttentionOutputs> out = referenceAttention(spec, in);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  EXPECT_NEAR(out->out.at({0, 0, 0, 0}), 5.0, kTol);
  EXPECT_NEAR(out->lse.at({0, 0, 0}), std::log(6.0), kTol);
}

TEST(ReferenceAttention, DefaultScaleIsOneOverSqrtD) {
  // D = 4 -> scale 1/2; q . k1 = 4a with a = ln(3)/2 -> s = [0, ln 3].
  AttentionSpec spec;
  spec.dims.headDim = 4;
  spec.dims.valueDim = 1;
  double a = std::log(3.0) / 2;
  AttentionInputs in;
  in.q = RefTensor::filled({1, 1, 1, 4}, 1.0);
  in.k = RefTensor({1, 1, 2, 4}, {0, 0, 0, 0, a, a, a, a});
  in.v = RefTensor({1, 1, 2, 1}, {4, 8});
  llvm::Expected<AttentionOutputs> out = referenceAttention(spec, in);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  EXPECT_NEAR(out->out.at({0, 0, 0, 0}), 1 + 6, kTol); // 4/4 + 8*3/4
}

TEST(ReferenceAttention, BiasIsAddedToTheScore) {
  // Scores 0; bias [0, ln 3] broadcast over rows -> weights 1/4, 3/4.
  AttentionSpec spec;
  spec.bias = Broadcast{{true, true, true, false}};
  AttentionInputs in = uniformInputs(1, 1, 2, 2);
  in.bias = RefTensor({1, 1, 1, 2}, {0, std::log(3.0)});
  expectRows(spec, in, 0, 0, {{.25, .75}, {.25, .75}});
}

TEST(ReferenceAttention, MinusInfBiasActsAsAMask) {
  AttentionSpec spec;
  spec.bias = Broadcast{{true, true, false, false}};
  AttentionInputs in = uniformInputs(1, 1, 2, 2);
  double inf = std::numeric_limits<double>::infinity();
  in.bias = RefTensor({1, 1, 2, 2}, {0, -inf, -inf, -inf});
  expectRows(spec, in, 0, 0, {{1, 0}, {0, 0}});
}

TEST(ReferenceAttention, GroupedQueryHeadsShareKeyValueHeads) {
  // Hq = 4, Hkv = 2: heads 0, 1 read kv head 0 (v = 10), heads 2, 3 kv head 1.
  AttentionSpec spec;
  AttentionInputs in;
  in.q = RefTensor::filled({1, 4, 1, 1}, 1.0);
  in.k = RefTensor::filled({1, 2, 1, 1}, 0.5);
  in.v = RefTensor({1, 2, 1, 1}, {10, 20});
  llvm::Expected<AttentionOutputs> out = referenceAttention(spec, in);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  EXPECT_EQ(out->out.data, (std::vector<double>{10, 10, 20, 20}));
  // MQA: one kv head for all.
  in.k = RefTensor::filled({1, 1, 1, 1}, 0.5);
  in.v = RefTensor({1, 1, 1, 1}, {7});
  out = referenceAttention(spec, in);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  EXPECT_EQ(out->out.data, (std::vector<double>{7, 7, 7, 7}));
}

TEST(ReferenceAttention, BSHDMatchesBHSD) {
  // Two heads, two positions, D = 2, values all distinct.
  AttentionSpec bhsd;
  bhsd.causal = Causal::BottomRight;
  AttentionInputs a;
  a.q = RefTensor({1, 2, 2, 2}, {.1, .2, .3, .4, .5, .6, .7, .8});
  a.k = RefTensor({1, 2, 2, 2}, {.8, .1, .6, .2, .4, .3, .2, .4});
  a.v = RefTensor({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  auto toBSHD = [](const RefTensor &t) {
    RefTensor r({t.shape[0], t.shape[2], t.shape[1], t.shape[3]});
    for (int64_t h = 0; h < t.shape[1]; ++h)
      for (int64_t s = 0; s < t.shape[2]; ++s)
        for (int64_t d = 0; d < t.shape[3]; ++d)
          r.at({0, s, h, d}) = t.at({0, h, s, d});
    return r;
  };
  AttentionSpec bshd = bhsd;
  bshd.layout = Layout::BSHD;
  AttentionInputs b{toBSHD(a.q), toBSHD(a.k), toBSHD(a.v), {}, {}, {},
                    {},          {},          {}};
  llvm::Expected<AttentionOutputs> x = referenceAttention(bhsd, a);
  llvm::Expected<AttentionOutputs> y = referenceAttention(bshd, b);
  ASSERT_TRUE(x && y);
  RefTensor expected = toBSHD(x->out);
  for (size_t e = 0; e < expected.data.size(); ++e)
    EXPECT_NEAR(y->out.data[e], expected.data[e], kTol);
  EXPECT_EQ(y->lse.data, x->lse.data);
  // Row 0 of each head sees only key 0: it is v_0 exactly.
  EXPECT_NEAR(x->out.at({0, 1, 0, 0}), 5, kTol);
}

TEST(ReferenceAttention, CountsAllowedPairs) {
  AttentionSpec spec;
  spec.causal = Causal::BottomRight;
  llvm::Expected<int64_t> n =
      countAllowedPairs(spec, uniformInputs(2, 3, 4, 4));
  ASSERT_TRUE(static_cast<bool>(n));
  EXPECT_EQ(*n, 2 * 3 * (4 * 5 / 2));
}

TEST(ReferenceAttention, ErrorsNameTheOperandAndDims) {
  AttentionSpec spec;
  AttentionInputs in = uniformInputs(1, 3, 2, 2);
  in.k = RefTensor::filled({1, 2, 2, 1}, 0.0);
  in.v = RefTensor::filled({1, 2, 2, 2}, 0.0);
  llvm::Expected<AttentionOutputs> out = referenceAttention(spec, in);
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_EQ(llvm::toString(out.takeError()),
            "query heads Hq = 3 must be a multiple of key/value heads Hkv = 2");

  spec.bias = Broadcast{};
  out = referenceAttention(spec, uniformInputs(1, 1, 2, 2));
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_EQ(llvm::toString(out.takeError()),
            "the spec has bias but no bias tensor was given");

  AttentionInputs wrong = uniformInputs(1, 1, 2, 2);
  wrong.bias = RefTensor::filled({1, 1, 3, 2}, 0.0);
  out = referenceAttention(spec, wrong);
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_EQ(llvm::toString(out.takeError()),
            "bias has shape [1, 1, 3, 2], which does not broadcast to "
            "[1, 1, 2, 2]");

  AttentionSpec fixed;
  fixed.dims.qLen = 5;
  out = referenceAttention(fixed, uniformInputs(1, 1, 2, 2));
  ASSERT_FALSE(static_cast<bool>(out));
  EXPECT_EQ(llvm::toString(out.takeError()), "Lq is 2 but the spec says 5");
}

// Rotary embeddings by hand: D = 2 (one pair, frequency theta^0 = 1, so the
// angle is the position). q = (1, 0) is the one query, at position Lk - Lq
// = 1; keys (1, 0) at positions 0 and 1. Rotated: q = (cos 1, sin 1), k0 =
// (1, 0), k1 = (cos 1, sin 1); scores cos(1) / sqrt(2) and 1 / sqrt(2).
TEST(ReferenceAttention, RotaryTurnsRowsByPosition) {
  for (RotaryStyle style : {RotaryStyle::HalfSplit, RotaryStyle::Interleaved}) {
    AttentionSpec spec;
    spec.dims.headDim = 2;
    spec.dims.valueDim = 2;
    spec.rotary = Rotary{style, 2, 10000.0};
    AttentionInputs in;
    in.q = RefTensor({1, 1, 1, 2}, {1.0, 0.0});
    in.k = RefTensor({1, 1, 2, 2}, {1.0, 0.0, 1.0, 0.0});
    in.v = RefTensor({1, 1, 2, 2}, {1.0, 0.0, 0.0, 1.0});
    llvm::Expected<AttentionOutputs> out = referenceAttention(spec, in);
    ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
    const double s0 = std::cos(1.0) / std::sqrt(2.0), s1 = 1.0 / std::sqrt(2.0);
    const double p0 = std::exp(s0) / (std::exp(s0) + std::exp(s1));
    EXPECT_NEAR(out->out.at({0, 0, 0, 0}), p0, kTol);
    EXPECT_NEAR(out->out.at({0, 0, 0, 1}), 1.0 - p0, kTol);
  }
}

} // namespace
