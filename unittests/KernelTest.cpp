//===- KernelTest.cpp - every softmax variant on each target vs fp64 ------===//
//
// Every case runs as CPUKernel.<case> and as CUDAKernel.<case>; the CUDA ones
// are skipped, with the driver's reason, where there is no GPU.
// Each case compiles a spec with dynamic B, H and L through the JIT, runs it
// on random inputs (never zeros) at awkward sizes with poisoned outputs, and
// compares with the fp64 reference: max |err| / max |ref| <= 1e-5 for f32,
// 1e-2 for f16/bf16 (the reference sees the same rounded inputs).
//
//===----------------------------------------------------------------------===//

#include "attn/CUDADriver.h"
#include "TargetVariants.h"
#include "attn/HostTensor.h"
#include "attn/JIT.h"
#include "attn/Reference.h"

#include "gtest/gtest.h"

#include <cmath>
#include <functional>

using namespace attn;

namespace {

using attn::test_support::jit;

struct Sizes {
  int64_t B, Hq, Hkv, Lq, Lk;
};

/// Compiles `spec` (dims B, H, L left dynamic) and checks it at `sizes`.
void checkVariant(Target target, AttentionSpec spec,
                  llvm::ArrayRef<Sizes> sizes, double inputScale = 1.0,
                  uint64_t seed = 1,
                  std::optional<double> f32Tolerance = std::nullopt) {
  auto kernel = jit().compile(spec, target);
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  double tolerance = spec.elementType == ElementType::F32
                         ? f32Tolerance.value_or(1e-5)
                         : 1e-2;
  for (const Sizes &s : sizes) {
    SCOPED_TRACE(testing::Message() << "B=" << s.B << " Hq=" << s.Hq
                                    << " Hkv=" << s.Hkv << " Lq=" << s.Lq
                                    << " Lk=" << s.Lk << " D="
                                    << spec.dims.headDim);
    Dims d = spec.dims;
    d.batch = s.B;
    d.qHeads = s.Hq;
    d.kvHeads = s.Hkv;
    d.qLen = s.Lq;
    d.kvLen = s.Lk;
    auto args = (*kernel)->arguments();
    std::vector<HostTensor> values = randomArguments(
        args, argumentShapes(args, d, spec.layout), d, seed++, inputScale);
    std::vector<TensorRef> refs;
    for (HostTensor &v : values)
      refs.push_back(v.ref());
    auto shapes = (*kernel)->resultShapes(refs);
    ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
    std::vector<HostTensor> results;
    std::vector<TensorRef> resultRefs;
    for (size_t r = 0; r < shapes->size(); ++r) {
      results.emplace_back((*kernel)->results()[r].dtype, (*shapes)[r]);
      results.back().poison();
    }
    for (HostTensor &r : results)
      resultRefs.push_back(r.ref());
    llvm::Error err = (*kernel)->run(refs, resultRefs);
    ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));

    auto want = referenceAttention(spec, referenceInputs(args, values));
    ASSERT_TRUE(static_cast<bool>(want)) << llvm::toString(want.takeError());
    ErrorStats out = compare(results[0], want->out);
    EXPECT_FALSE(out.nan);
    EXPECT_LE(out.maxRel, tolerance) << "output max abs err " << out.maxAbs;
    if (spec.returnLse) {
      ErrorStats lse = compare(results[1], want->lse);
      EXPECT_FALSE(lse.nan);
      EXPECT_LE(lse.maxRel, tolerance) << "lse max abs err " << lse.maxAbs;
    }
  }
}

AttentionSpec base(int64_t D, ElementType type = ElementType::F32) {
  AttentionSpec s;
  s.dims.headDim = D;
  s.dims.valueDim = D;
  s.elementType = type;
  return s;
}

#define VARIANT(Name) TARGET_VARIANT(CPUKernel, CUDAKernel, Name)

// Awkward square sizes and the head groupings of the issue.
const Sizes kSquare[] = {{1, 2, 2, 1, 1},    {2, 8, 8, 7, 7},
                         {1, 8, 2, 64, 64},  {1, 8, 1, 129, 129},
                         {1, 2, 1, 1000, 1000}};
// Lq != Lk: decode and cross-attention, both ways.
const Sizes kRect[] = {{2, 8, 2, 1, 129}, {1, 8, 1, 1, 1000},
                       {1, 4, 4, 7, 129}, {1, 4, 2, 129, 7},
                       {1, 2, 2, 65, 200}};

VARIANT(FullAttentionEveryHeadDim) {
  for (int64_t D : {32, 64, 80, 128})
    checkVariant(t, base(D), kSquare);
}

VARIANT(FullAttentionCrossAndDecode) { checkVariant(t, base(64), kRect); }

// Zero-size tensors, which the spec allows: B, Lq = 0 give empty results,
// Lk = 0 rows without keys (0, LSE -inf).
VARIANT(ZeroSizeTensors) {
  const Sizes empty[] = {{0, 4, 2, 5, 7}, {2, 4, 2, 0, 7}, {2, 4, 2, 5, 0}};
  for (ElementType type : {ElementType::F32, ElementType::BF16}) {
    AttentionSpec s = base(64, type);
    s.causal = Causal::BottomRight;
    s.returnLse = true;
    checkVariant(t, s, empty);
  }
}

VARIANT(CausalBottomRight) {
  AttentionSpec s = base(64);
  s.causal = Causal::BottomRight;
  s.returnLse = true;
  checkVariant(t, s, kSquare);
  checkVariant(t, s, kRect);
}

VARIANT(CausalTopLeft) {
  AttentionSpec s = base(80);
  s.causal = Causal::TopLeft;
  s.returnLse = true;
  checkVariant(t, s, kSquare);
  checkVariant(t, s, kRect);
}

VARIANT(SlidingWindowSmallerAndLargerThanABlock) {
  for (int64_t w : {16, 100}) {
    AttentionSpec s = base(64);
    s.causal = Causal::BottomRight;
    s.window = Window{w - 1, 0};
    checkVariant(t, s, kSquare);
    checkVariant(t, s, kRect);
    AttentionSpec band = base(32); // Longformer-style two-sided band
    band.window = Window{w, w};
    checkVariant(t, band, kSquare);
  }
}

VARIANT(KeyPadding) {
  AttentionSpec s = base(64);
  s.keyPadding = true;
  s.returnLse = true;
  checkVariant(t, s, kSquare);
  checkVariant(t, s, kRect);
}

VARIANT(DocumentsOfRandomLengths) {
  AttentionSpec s = base(64);
  s.documents = true;
  checkVariant(t, s, kSquare);
  s.causal = Causal::BottomRight;
  checkVariant(t, s, kSquare);
}

VARIANT(LongformerGlobalTokens) {
  AttentionSpec s = base(64);
  s.window = Window{8, 8};
  s.globalTokens = true;
  checkVariant(t, s, kSquare);
}

VARIANT(ExplicitMaskWithFullyMaskedRows) {
  AttentionSpec s = base(64);
  s.mask = Broadcast{{true, true, false, false}};
  s.returnLse = true;
  checkVariant(t, s, kSquare);
  s.mask = Broadcast{{false, false, false, false}};
  checkVariant(t, s, kRect);
}

VARIANT(AdditiveBias) {
  AttentionSpec s = base(64);
  s.bias = Broadcast{{true, false, false, false}};
  s.causal = Causal::BottomRight;
  checkVariant(t, s, kSquare);
  s.bias = Broadcast{{true, true, true, false}};
  checkVariant(t, s, kRect);
}

VARIANT(InputsScaledBy100) {
  // Scores reach ~3e4 here, where one f32 ulp is ~2e-3: rounding the scores
  // to f32 alone moves the softmax by ~1e-3, so 1e-5 is out of reach for any
  // f32 kernel; the bound checks the kernel adds nothing beyond that.
  AttentionSpec s = base(64);
  s.causal = Causal::BottomRight;
  s.returnLse = true;
  checkVariant(t, s, kSquare, 100.0, 1, 2e-3);
  for (ElementType type : {ElementType::F16, ElementType::BF16}) {
    AttentionSpec h = base(64, type);
    h.causal = Causal::BottomRight;
    checkVariant(t, h, kSquare, 100.0);
  }
}

VARIANT(HalfAndBFloat16) {
  for (ElementType type : {ElementType::F16, ElementType::BF16}) {
    AttentionSpec s = base(64, type);
    s.causal = Causal::BottomRight;
    s.returnLse = true;
    checkVariant(t, s, kSquare);
    checkVariant(t, s, kRect);
  }
}

VARIANT(BSHDLayoutWithGroups) {
  AttentionSpec s = base(128);
  s.layout = Layout::BSHD;
  s.causal = Causal::BottomRight;
  checkVariant(t, s, kSquare);
  checkVariant(t, s, kRect);
}

VARIANT(CombinedMasks) {
  AttentionSpec s = base(64, ElementType::BF16);
  s.causal = Causal::BottomRight;
  s.window = Window{40, 0};
  s.keyPadding = true;
  s.bias = Broadcast{{true, false, false, false}};
  s.mask = Broadcast{{true, true, false, false}};
  s.returnLse = true;
  checkVariant(t, s, kSquare);
}

// Every variant in f16/bf16 at D = 64 and 128: on an H100 these run the
// sm_90a kernel (TMA ring, wgmma), so each mask kind meets partial blocks,
// skipped blocks, key tails and ring slots reused many times (Lk = 1000).
void checkHalfVariant(Target t, const std::function<void(AttentionSpec &)> &set,
                      bool rect = true) {
  for (ElementType type : {ElementType::BF16, ElementType::F16})
    for (int64_t D : {64, 128}) {
      SCOPED_TRACE(type == ElementType::BF16 ? "bf16" : "f16");
      AttentionSpec s = base(D, type);
      set(s);
      checkVariant(t, s, kSquare);
      if (rect)
        checkVariant(t, s, kRect);
    }
}

VARIANT(HalfFullAndLse) {
  checkHalfVariant(t, [](AttentionSpec &s) { s.returnLse = true; });
}

VARIANT(HalfCausalBothAlignments) {
  checkHalfVariant(t, [](AttentionSpec &s) {
    s.causal = Causal::BottomRight;
    s.returnLse = true;
  });
  checkHalfVariant(t, [](AttentionSpec &s) { s.causal = Causal::TopLeft; });
}

VARIANT(HalfSlidingWindows) {
  checkHalfVariant(t, [](AttentionSpec &s) {
    s.causal = Causal::BottomRight;
    s.window = Window{99, 0};
  });
  checkHalfVariant(t, [](AttentionSpec &s) { s.window = Window{200, 130}; });
}

VARIANT(HalfKeyPaddingAndDocuments) {
  checkHalfVariant(t, [](AttentionSpec &s) {
    s.keyPadding = true;
    s.returnLse = true;
  });
  checkHalfVariant(
      t,
      [](AttentionSpec &s) {
        s.documents = true;
        s.causal = Causal::BottomRight;
      },
      /*rect=*/false);
}

VARIANT(HalfGlobalTokensMaskAndBias) {
  checkHalfVariant(
      t,
      [](AttentionSpec &s) {
        s.window = Window{8, 8};
        s.globalTokens = true;
      },
      /*rect=*/false);
  checkHalfVariant(t, [](AttentionSpec &s) {
    s.mask = Broadcast{{true, true, false, false}};
    s.returnLse = true;
  });
  checkHalfVariant(t, [](AttentionSpec &s) {
    s.bias = Broadcast{{true, true, true, false}};
    s.causal = Causal::BottomRight;
  });
}

// More tiles than an H100 has SMs (132), so each CTA of the persistent
// sm_90a kernel takes several tiles (in pairs of query blocks p and
// last - p: even and odd counts of query blocks): its K/V ring and query
// barriers carry on from tile to tile, across tiles with no key block at
// all (Lq > Lk, bottom-right causal) and tiles of different lengths.
const Sizes kManyTiles[] = {{200, 1, 1, 1, 300},
                            {16, 16, 4, 5, 40},
                            {20, 4, 1, 256, 200},
                            {3, 16, 4, 300, 100},
                            {2, 8, 2, 1030, 1030}};

VARIANT(HalfPersistentTiles) {
  for (ElementType type : {ElementType::BF16, ElementType::F16}) {
    AttentionSpec s = base(64, type);
    s.causal = Causal::BottomRight;
    s.returnLse = true;
    checkVariant(t, s, kManyTiles);
    s.causal = Causal::None;
    s.window = Window{99, 20};
    s.returnLse = false;
    checkVariant(t, s, kManyTiles);
  }
}

// Head dims other than 64 and 128 on the same kernel: D and Dv padded to
// whole 64-column panels (TMA reads zeros past D), D != Dv (MLA), and
// D = 256 (64-key blocks).
VARIANT(HalfOtherHeadDims) {
  const std::pair<int64_t, int64_t> dims[] = {
      {32, 32}, {40, 40}, {96, 96}, {128, 64}, {96, 40}, {64, 256}, {256, 256}};
  for (auto [D, Dv] : dims)
    for (ElementType type : {ElementType::BF16, ElementType::F16}) {
      SCOPED_TRACE(testing::Message() << "D=" << D << " Dv=" << Dv);
      AttentionSpec s = base(D, type);
      s.dims.valueDim = Dv;
      s.causal = Causal::BottomRight;
      s.returnLse = true;
      checkVariant(t, s, kSquare);
      checkVariant(t, s, kRect);
    }
}

VARIANT(HalfBSHDAndNegativeScale) {
  checkHalfVariant(t, [](AttentionSpec &s) {
    s.layout = Layout::BSHD;
    s.causal = Causal::BottomRight;
  });
  checkHalfVariant(t, [](AttentionSpec &s) { s.scale = -0.2; });
}

// Rotary embeddings: both styles, rotary dim = D and < D (an odd pair count
// too), GQA, every causal kind and a window, Lq != Lk (queries at positions
// Lk - Lq ..), LSE, f32, f16 and bf16 (on CUDA: the CUDA-core and the
// sm_90a kernel), BSHD.
VARIANT(RotaryEmbeddings) {
  struct Case {
    RotaryStyle style;
    int64_t D, dim;
    double theta;
    ElementType type;
    Layout layout;
    Causal causal;
    bool window;
  };
  const Case cases[] = {
      {RotaryStyle::HalfSplit, 64, 64, 10000, ElementType::F32, Layout::BHSD,
       Causal::BottomRight, false},
      {RotaryStyle::HalfSplit, 128, 128, 500000, ElementType::BF16,
       Layout::BHSD, Causal::BottomRight, false},
      {RotaryStyle::Interleaved, 64, 32, 10000, ElementType::F32, Layout::BSHD,
       Causal::None, false},
      {RotaryStyle::HalfSplit, 80, 48, 10000, ElementType::F16, Layout::BHSD,
       Causal::None, true},
      {RotaryStyle::Interleaved, 32, 2, 100, ElementType::F32, Layout::BHSD,
       Causal::TopLeft, false},
      {RotaryStyle::Interleaved, 64, 36, 10000, ElementType::BF16,
       Layout::BSHD, Causal::BottomRight, true},
  };
  const Sizes sizes[] = {{1, 2, 2, 1, 1},
                         {2, 8, 2, 63, 65},
                         {1, 4, 1, 65, 63},
                         {1, 4, 2, 7, 129},
                         {1, 2, 1, 1000, 1000}};
  for (const Case &c : cases) {
    SCOPED_TRACE(testing::Message() << "rotary dim " << c.dim << " of D = "
                                    << c.D << " theta " << c.theta);
    AttentionSpec s = base(c.D, c.type);
    s.rotary = Rotary{c.style, c.dim, c.theta};
    s.layout = c.layout;
    s.causal = c.causal;
    if (c.window)
      s.window = Window{100, 3};
    s.returnLse = true;
    checkVariant(t, s, sizes);
  }
  // A long sequence: angles of 4096 radians and more.
  AttentionSpec s = base(64);
  s.rotary = Rotary{RotaryStyle::HalfSplit, 64, 10000};
  s.causal = Causal::BottomRight;
  const Sizes longSeq[] = {{1, 2, 1, 4097, 4097}};
  checkVariant(t, s, longSeq);
  // Decode at the end of a 100k-token cache: angles near 10^5 radians,
  // which only the reduction with the product's error kept gets right.
  AttentionSpec far = base(64, ElementType::BF16);
  far.rotary = Rotary{RotaryStyle::Interleaved, 64, 10000};
  far.causal = Causal::BottomRight;
  const Sizes farSeq[] = {{1, 2, 1, 3, 100000}};
  checkVariant(t, far, farSeq);
}

} // namespace

namespace {

/// Packed QKV (nanoGPT's c_attn output, [B, T, 3, H, D]): q, k and v are
/// strided BSHD views of one buffer, passed as they are (host memory on the
/// CPU, device memory on CUDA: no copy of q, k or v). Checked against the
/// fp64 reference of contiguous copies, causal, with and without rotary.
void checkPackedQKV(Target t, bool rotary) {
  AttentionSpec spec = base(64, ElementType::BF16);
  spec.layout = Layout::BSHD;
  spec.causal = Causal::BottomRight;
  if (rotary)
    spec.rotary = Rotary{RotaryStyle::HalfSplit, 64, 10000};
  auto kernel = jit().compile(spec, t);
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  const int64_t B = 2, T = 77, H = 4, D = 64;
  Dims d = spec.dims;
  d.batch = B, d.qHeads = d.kvHeads = H, d.qLen = d.kvLen = T;
  auto args = (*kernel)->arguments();
  // Contiguous q, k, v, and the packed buffer built from them.
  std::vector<HostTensor> qkv =
      randomArguments(args, argumentShapes(args, d, spec.layout), d, 11);
  HostTensor packed(DType::BF16, {B, T, 3, H, D});
  for (int64_t i = 0; i < B * T; ++i)
    for (int64_t which = 0; which < 3; ++which)
      for (int64_t e = 0; e < H * D; ++e)
        packed.set((i * 3 + which) * H * D + e, qkv[which].get(i * H * D + e));
  std::vector<cuda::DevicePtr> owned;
  char *base = reinterpret_cast<char *>(packed.bytes.data());
  Memory memory = Memory::Host;
  if (t == Target::CUDA) {
    auto p = cuda::alloc(packed.bytes.size());
    ASSERT_TRUE(static_cast<bool>(p)) << llvm::toString(p.takeError());
    owned.push_back(*p);
    llvm::cantFail(
        cuda::copyToDevice(*p, packed.bytes.data(), packed.bytes.size()));
    base = reinterpret_cast<char *>(*p);
    memory = Memory::Device;
  }
  std::vector<TensorRef> views;
  for (int64_t which = 0; which < 3; ++which) {
    TensorRef r;
    r.data = base + which * H * D * sizeOf(DType::BF16);
    r.memory = memory;
    r.dtype = DType::BF16;
    r.shape = {B, T, H, D};
    r.strides = {T * 3 * H * D, 3 * H * D, D, 1};
    views.push_back(r);
  }
  HostTensor out(DType::BF16, {B, T, H, D});
  out.poison();
  TensorRef outRef = out.ref();
  if (t == Target::CUDA) {
    auto p = cuda::alloc(out.bytes.size());
    ASSERT_TRUE(static_cast<bool>(p));
    owned.push_back(*p);
    llvm::cantFail(cuda::copyToDevice(*p, out.bytes.data(), out.bytes.size()));
    outRef.data = reinterpret_cast<void *>(*p);
    outRef.memory = Memory::Device;
  }
  llvm::Error err = (*kernel)->run(views, {outRef}, /*stream=*/nullptr);
  ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
  if (t == Target::CUDA) {
    llvm::cantFail(cuda::synchronize());
    llvm::cantFail(
        cuda::copyToHost(out.bytes.data(), owned.back(), out.bytes.size()));
    for (cuda::DevicePtr p : owned)
      cuda::free(p);
  }
  auto want = referenceAttention(spec, referenceInputs(args, qkv));
  ASSERT_TRUE(static_cast<bool>(want)) << llvm::toString(want.takeError());
  ErrorStats e = compare(out, want->out);
  EXPECT_FALSE(e.nan);
  EXPECT_LE(e.maxRel, 1e-2);
}

VARIANT(PackedQKVViews) {
  checkPackedQKV(t, /*rotary=*/false);
  checkPackedQKV(t, /*rotary=*/true);
}

/// Device pointers (no copies, strided output view) give exactly what the
/// host-buffer path gives.
TEST(CUDAKernel, DevicePointersAndStridedOutput) {
  if (auto chip = cuda::deviceChip(); !chip)
    GTEST_SKIP() << llvm::toString(chip.takeError());
  AttentionSpec spec = base(64, ElementType::BF16);
  spec.causal = Causal::BottomRight;
  auto kernel = jit().compile(spec, Target::CUDA);
  ASSERT_TRUE(static_cast<bool>(kernel)) << llvm::toString(kernel.takeError());
  Dims d = spec.dims;
  d.batch = 2, d.qHeads = 4, d.kvHeads = 4, d.qLen = 77, d.kvLen = 77;
  auto args = (*kernel)->arguments();
  std::vector<HostTensor> in =
      randomArguments(args, argumentShapes(args, d, spec.layout), d, 5);
  HostTensor hostOut(DType::BF16, {2, 4, 77, 64});
  ASSERT_FALSE(static_cast<bool>(
      (*kernel)->run({in[0].ref(), in[1].ref(), in[2].ref()}, {hostOut.ref()})));

  std::vector<cuda::DevicePtr> owned;
  auto upload = [&](HostTensor &t) {
    auto p = cuda::alloc(t.bytes.size());
    EXPECT_TRUE(static_cast<bool>(p));
    owned.push_back(*p);
    llvm::cantFail(cuda::copyToDevice(*p, t.bytes.data(), t.bytes.size()));
    TensorRef r = t.ref();
    r.data = reinterpret_cast<void *>(*p);
    r.memory = Memory::Device;
    return r;
  };
  std::vector<TensorRef> devArgs = {upload(in[0]), upload(in[1]),
                                    upload(in[2])};
  // The output: every other row of a [2, 4, 154, 64] buffer.
  HostTensor big(DType::BF16, {2, 4, 154, 64});
  big.poison();
  TensorRef out = upload(big);
  out.shape = {2, 4, 77, 64};
  out.strides = {4 * 154 * 64, 154 * 64, 2 * 64, 1};
  llvm::Error err = (*kernel)->run(devArgs, {out}, /*stream=*/nullptr);
  ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
  llvm::cantFail(cuda::synchronize());
  llvm::cantFail(
      cuda::copyToHost(big.bytes.data(), owned.back(), big.bytes.size()));
  for (cuda::DevicePtr p : owned)
    cuda::free(p);
  for (int64_t bh = 0; bh < 8; ++bh)
    for (int64_t i = 0; i < 77; ++i)
      for (int64_t x = 0; x < 64; ++x) {
        ASSERT_EQ(big.get((bh * 154 + 2 * i) * 64 + x),
                  hostOut.get((bh * 77 + i) * 64 + x));
        ASSERT_TRUE(std::isnan(big.get((bh * 154 + 2 * i + 1) * 64 + x)));
      }
}

} // namespace
