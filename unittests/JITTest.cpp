//===- JITTest.cpp - the C++ JIT API: caching, buffers, errors ------------===//

#include "attn/CUDADriver.h"
#include "attn/HostTensor.h"
#include "attn/JIT.h"

#include "gtest/gtest.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <cmath>
#include <cstdlib>

using namespace attn;

namespace {

constexpr const char *kCausalSpec = R"mlir(
func.func @causal(%q: tensor<?x?x?x32xf32>, %k: tensor<?x?x?x32xf32>,
                  %v: tensor<?x?x?x32xf32>) -> tensor<?x?x?x32xf32> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>}
      : tensor<?x?x?x32xf32>, tensor<?x?x?x32xf32>, tensor<?x?x?x32xf32>
      -> tensor<?x?x?x32xf32>
  return %o : tensor<?x?x?x32xf32>
}
)mlir";

std::string errorOf(llvm::Error e) {
  return e ? llvm::toString(std::move(e)) : std::string("<no error>");
}

TEST(JIT, SameSpecCompilesOnceAndServesEverySize) {
  JIT jit;
  auto a = jit.compile(kCausalSpec, Target::CPU);
  auto b = jit.compile(kCausalSpec, Target::CPU);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(jit.numCompilations(), 1);
  for (int64_t L : {1, 70, 300}) {
    HostTensor q(DType::F32, {1, 2, L, 32}), o(DType::F32, {1, 2, L, 32});
    for (int64_t e = 0; e < q.numElements(); ++e)
      q.set(e, 0.01 * (e % 97) - 0.4);
    o.poison();
    EXPECT_EQ(errorOf((*a)->run({q.ref(), q.ref(), q.ref()}, {o.ref()})),
              "<no error>");
    // Row 0 sees only key 0: out = v_0 exactly.
    EXPECT_FLOAT_EQ(static_cast<float>(o.get(5)),
                    static_cast<float>(q.get(5)));
  }
  CompileOptions serial;
  serial.parallel = false;
  ASSERT_TRUE(static_cast<bool>(jit.compile(kCausalSpec, Target::CPU, serial)));
  EXPECT_EQ(jit.numCompilations(), 2); // options are part of the key
}

/// Sets ATTN_CACHE_DIR for a test, restores it after.
struct CacheDirScope {
  std::string old;
  bool had;
  explicit CacheDirScope(const std::string &dir) {
    const char *o = std::getenv("ATTN_CACHE_DIR");
    had = o != nullptr;
    old = o ? o : "";
    setenv("ATTN_CACHE_DIR", dir.c_str(), 1);
  }
  ~CacheDirScope() {
    if (had)
      setenv("ATTN_CACHE_DIR", old.c_str(), 1);
    else
      unsetenv("ATTN_CACHE_DIR");
  }
};

/// The cache entries in `dir`.
std::vector<std::string> entries(const std::string &dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    out.push_back(it->path());
  return out;
}

/// Runs the causal spec at L = 70 and returns the output.
std::vector<double> runCausal(Kernel &k) {
  HostTensor q(DType::F32, {1, 2, 70, 32}), o(DType::F32, {1, 2, 70, 32});
  for (int64_t e = 0; e < q.numElements(); ++e)
    q.set(e, std::sin(0.37 * e));
  o.poison();
  EXPECT_EQ(errorOf(k.run({q.ref(), q.ref(), q.ref()}, {o.ref()})),
            "<no error>");
  std::vector<double> out;
  for (int64_t e = 0; e < o.numElements(); ++e)
    out.push_back(o.get(e));
  return out;
}

/// Four "processes" (JIT instances) compiling the causal spec for `target`
/// with a fresh cache folder: the second loads what the first stored, a
/// torn entry is a miss that is replaced.
void checkDiskCacheServesTheNextProcess(Target target) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("attn-cache-test", dir));
  CacheDirScope scope{std::string(dir)};
  std::vector<double> compiled;
  {
    JIT first; // a process that compiles and stores the kernel
    auto k = first.compile(kCausalSpec, target);
    ASSERT_TRUE(static_cast<bool>(k)) << errorOf(k.takeError());
    compiled = runCausal(**k);
    EXPECT_EQ(first.numDiskCacheHits(), 0);
  }
  std::vector<std::string> stored = entries(std::string(dir));
  ASSERT_EQ(stored.size(), 1u);
  {
    JIT second; // the next one loads it
    auto k = second.compile(kCausalSpec, target);
    ASSERT_TRUE(static_cast<bool>(k)) << errorOf(k.takeError());
    EXPECT_EQ(second.numDiskCacheHits(), 1);
    EXPECT_EQ(runCausal(**k), compiled);
    // Other options are another entry.
    CompileOptions serial;
    serial.parallel = false;
    ASSERT_TRUE(static_cast<bool>(second.compile(kCausalSpec, target,
                                                 serial)));
    EXPECT_EQ(second.numDiskCacheHits(), 1);
    EXPECT_EQ(entries(std::string(dir)).size(), 2u);
  }
  {
    // A torn entry is a miss: compiled again and replaced.
    std::error_code ec;
    llvm::raw_fd_ostream torn(stored[0], ec);
    ASSERT_FALSE(ec);
    torn << "not an object file";
  }
  {
    JIT third;
    auto k = third.compile(kCausalSpec, target);
    ASSERT_TRUE(static_cast<bool>(k)) << errorOf(k.takeError());
    EXPECT_EQ(third.numDiskCacheHits(), 0);
    EXPECT_EQ(runCausal(**k), compiled);
  }
  {
    JIT fourth;
    ASSERT_TRUE(static_cast<bool>(fourth.compile(kCausalSpec, target)));
    EXPECT_EQ(fourth.numDiskCacheHits(), 1);
  }
  llvm::sys::fs::remove_directories(dir);
}

TEST(JIT, DiskCacheServesTheNextProcess) {
  checkDiskCacheServesTheNextProcess(Target::CPU);
}

// The CUDA entry is the lowered module (host launches and PTX).
TEST(CUDAJIT, DiskCacheServesTheNextProcess) {
  if (auto chip = cuda::deviceChip(); !chip)
    GTEST_SKIP() << llvm::toString(chip.takeError());
  checkDiskCacheServesTheNextProcess(Target::CUDA);
}

/// Sets an environment variable for a test, restores it after.
struct EnvScope {
  std::string name, old;
  bool had;
  EnvScope(const char *n, const char *value) : name(n) {
    const char *o = std::getenv(n);
    had = o != nullptr;
    old = o ? o : "";
    setenv(n, value, 1);
  }
  ~EnvScope() {
    if (had)
      setenv(name.c_str(), old.c_str(), 1);
    else
      unsetenv(name.c_str());
  }
};

TEST(JIT, DiskCacheKeepsItsSizeBound) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("attn-cache-test", dir));
  CacheDirScope scope{std::string(dir)};
  EnvScope bound("ATTN_CACHE_MAX_MB", "0"); // room for the newest entry only
  CompileOptions serial;
  serial.parallel = false;
  {
    JIT first;
    ASSERT_TRUE(static_cast<bool>(first.compile(kCausalSpec, Target::CPU)));
  }
  {
    JIT second; // another entry: the first one goes
    ASSERT_TRUE(
        static_cast<bool>(second.compile(kCausalSpec, Target::CPU, serial)));
  }
  EXPECT_EQ(entries(std::string(dir)).size(), 1u);
  {
    JIT third;
    ASSERT_TRUE(
        static_cast<bool>(third.compile(kCausalSpec, Target::CPU, serial)));
    EXPECT_EQ(third.numDiskCacheHits(), 1); // the newest stayed
    ASSERT_TRUE(static_cast<bool>(third.compile(kCausalSpec, Target::CPU)));
    EXPECT_EQ(third.numDiskCacheHits(), 1); // the oldest did not
  }
  llvm::sys::fs::remove_directories(dir);
}

TEST(JIT, DiskCacheCanBeTurnedOff) {
  CacheDirScope scope("off");
  JIT jit;
  ASSERT_TRUE(static_cast<bool>(jit.compile(kCausalSpec, Target::CPU)));
  JIT again;
  ASSERT_TRUE(static_cast<bool>(again.compile(kCausalSpec, Target::CPU)));
  EXPECT_EQ(again.numDiskCacheHits(), 0);
}

TEST(JIT, CPUTargetIsAnOptionThatMustRunHere) {
  // The same kernel for the host and for x86-64-v3 (AVX2 + FMA: 8-lane
  // vectors, other register blocking) gives the same result; a CPU that
  // does not exist, or that needs features the host lacks, is an error.
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  if (!host.lookup("avx2") || !host.lookup("fma"))
    GTEST_SKIP() << "the host has no AVX2 + FMA";
  JIT jit;
  CompileOptions avx2;
  avx2.cpu = "x86-64-v3";
  auto native = jit.compile(kCausalSpec, Target::CPU);
  auto forced = jit.compile(kCausalSpec, Target::CPU, avx2);
  ASSERT_TRUE(static_cast<bool>(native)) << errorOf(native.takeError());
  ASSERT_TRUE(static_cast<bool>(forced)) << errorOf(forced.takeError());
  EXPECT_EQ(jit.numCompilations(), 2); // the CPU is part of the key
  const int64_t L = 333;
  HostTensor q(DType::F32, {1, 2, L, 32}), a(DType::F32, {1, 2, L, 32}),
      b(DType::F32, {1, 2, L, 32});
  for (int64_t e = 0; e < q.numElements(); ++e)
    q.set(e, std::sin(0.37 * e));
  a.poison();
  b.poison();
  EXPECT_EQ(errorOf((*native)->run({q.ref(), q.ref(), q.ref()}, {a.ref()})),
            "<no error>");
  EXPECT_EQ(errorOf((*forced)->run({q.ref(), q.ref(), q.ref()}, {b.ref()})),
            "<no error>");
  for (int64_t e = 0; e < a.numElements(); ++e)
    ASSERT_NEAR(a.get(e), b.get(e), 1e-5) << "element " << e;

  auto expectRefused = [&](const char *cpu, const char *why) {
    CompileOptions o;
    o.cpu = cpu;
    auto kernel = jit.compile(kCausalSpec, Target::CPU, o);
    ASSERT_FALSE(static_cast<bool>(kernel)) << cpu;
    EXPECT_NE(errorOf(kernel.takeError()).find(why), std::string::npos) << cpu;
  };
  expectRefused("no-such-cpu", "unknown CPU 'no-such-cpu'");
  if (!host.lookup("avx512f"))
    expectRefused("x86-64-v4", "this host lacks");
}

TEST(JIT, StridedInputsAndOutputs) {
  // Q, K, V are views of one [1, 2, 9, 3 * 32] buffer; O is written into
  // every other row of a larger buffer.
  JIT jit;
  auto kernel = jit.compile(kCausalSpec, Target::CPU);
  ASSERT_TRUE(static_cast<bool>(kernel));
  HostTensor packed(DType::F32, {1, 2, 9, 96});
  for (int64_t e = 0; e < packed.numElements(); ++e)
    packed.set(e, std::sin(0.37 * e));
  std::vector<TensorRef> views;
  for (int part = 0; part < 3; ++part) {
    TensorRef r = packed.ref();
    r.data = packed.bytes.data() + part * 32 * 4;
    r.shape = {1, 2, 9, 32};
    r.strides = {2 * 9 * 96, 9 * 96, 96, 1};
    views.push_back(r);
  }
  HostTensor big(DType::F32, {1, 2, 18, 32});
  big.poison();
  TensorRef out = big.ref();
  out.shape = {1, 2, 9, 32};
  out.strides = {2 * 18 * 32, 18 * 32, 2 * 32, 1};
  ASSERT_EQ(errorOf((*kernel)->run(views, {out})), "<no error>");

  // The same computation on contiguous copies.
  std::vector<HostTensor> copies;
  for (int part = 0; part < 3; ++part) {
    HostTensor c(DType::F32, {1, 2, 9, 32});
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t s = 0; s < 9; ++s)
        for (int64_t d = 0; d < 32; ++d)
          c.set((h * 9 + s) * 32 + d,
                packed.get((h * 9 + s) * 96 + part * 32 + d));
    copies.push_back(std::move(c));
  }
  HostTensor o(DType::F32, {1, 2, 9, 32});
  ASSERT_EQ(errorOf((*kernel)->run(
                {copies[0].ref(), copies[1].ref(), copies[2].ref()}, {o.ref()})),
            "<no error>");
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t s = 0; s < 9; ++s)
      for (int64_t d = 0; d < 32; ++d)
        EXPECT_EQ(big.get((h * 18 + 2 * s) * 32 + d),
                  o.get((h * 9 + s) * 32 + d));
  // Rows in between were not touched.
  EXPECT_TRUE(std::isnan(big.get(32)));

}

TEST(JIT, ResultMayOverwriteAnArgument) {
  // Kernels write results in place, so a result in an argument's buffer (O
  // over K, which every query block reads) must be staged by the runtime.
  JIT jit;
  auto kernel = jit.compile(kCausalSpec, Target::CPU);
  ASSERT_TRUE(static_cast<bool>(kernel));
  std::vector<HostTensor> qkv;
  for (int part = 0; part < 3; ++part) {
    HostTensor t(DType::F32, {1, 2, 300, 32});
    for (int64_t e = 0; e < t.numElements(); ++e)
      t.set(e, std::sin(0.37 * e + part));
    qkv.push_back(std::move(t));
  }
  HostTensor o(DType::F32, {1, 2, 300, 32});
  ASSERT_EQ(errorOf((*kernel)->run({qkv[0].ref(), qkv[1].ref(), qkv[2].ref()},
                                   {o.ref()})),
            "<no error>");
  HostTensor k = qkv[1];
  ASSERT_EQ(errorOf((*kernel)->run({qkv[0].ref(), k.ref(), qkv[2].ref()},
                                   {k.ref()})),
            "<no error>");
  for (int64_t e = 0; e < o.numElements(); ++e)
    ASSERT_EQ(k.get(e), o.get(e)) << "element " << e;
}

TEST(JIT, BadBuffersAreErrors) {
  JIT jit;
  auto kernel = jit.compile(kCausalSpec, Target::CPU);
  ASSERT_TRUE(static_cast<bool>(kernel));
  HostTensor q(DType::F32, {1, 2, 4, 32}), o(DType::F32, {1, 2, 4, 32});
  TensorRef null = q.ref();
  null.data = nullptr;
  EXPECT_EQ(errorOf((*kernel)->run({null, q.ref(), q.ref()}, {o.ref()})),
            "argument 'query' has a null data pointer");
  HostTensor half(DType::F16, {1, 2, 4, 32});
  EXPECT_EQ(errorOf((*kernel)->run({q.ref(), half.ref(), q.ref()}, {o.ref()})),
            "argument 'key' has dtype f16, the spec needs f32");
  TensorRef strided = q.ref();
  strided.strides.back() = 2;
  EXPECT_EQ(errorOf((*kernel)->run({q.ref(), q.ref(), strided}, {o.ref()})),
            "argument 'value' has innermost stride 2; the innermost dim must "
            "be contiguous (stride 1)");
  HostTensor d16(DType::F32, {1, 2, 4, 16});
  EXPECT_EQ(errorOf((*kernel)->run({q.ref(), q.ref(), d16.ref()}, {o.ref()})),
            "argument 'value' has shape [1, 2, 4, 16], the spec needs "
            "[?, ?, ?, 32]");
  HostTensor k3(DType::F32, {1, 3, 4, 32});
  std::string groups =
      errorOf((*kernel)->run({q.ref(), k3.ref(), k3.ref()}, {o.ref()}));
  EXPECT_NE(groups.find("query heads Hq = 2 must be a multiple of key/value "
                        "heads Hkv = 3"),
            std::string::npos)
      << groups;
  HostTensor wrongOut(DType::F32, {1, 2, 5, 32});
  EXPECT_EQ(errorOf((*kernel)->run({q.ref(), q.ref(), q.ref()},
                                   {wrongOut.ref()})),
            "result 'output' has shape [1, 2, 5, 32], the inputs give "
            "[1, 2, 4, 32]");
  EXPECT_EQ(errorOf((*kernel)->run({q.ref(), q.ref()}, {o.ref()})),
            "the kernel takes 3 arguments, got 2");
  TensorRef device = q.ref();
  device.memory = Memory::Device;
  EXPECT_EQ(errorOf((*kernel)->run({device, q.ref(), q.ref()}, {o.ref()})),
            "target cpu takes host buffers, got a device pointer");
}

/// Found by fuzz/jit_fuzzer: empty tensors with huge other dims overflowed
/// the byte and stride products (UBSan), and linear attention without a
/// query ran its keys for every (batch, head) of a huge Hq.
TEST(JIT, HugeDimsOfEmptyTensors) {
  JIT jit;
  auto kernel = jit.compile(kCausalSpec, Target::CPU);
  ASSERT_TRUE(static_cast<bool>(kernel));
  HostTensor q(DType::F32, {1, 2, 4, 32});
  TensorRef huge = q.ref();
  huge.shape = {0, int64_t(1) << 61, 30, 32};
  huge.data = nullptr;
  EXPECT_EQ(errorOf((*kernel)->run({huge, huge, huge}, {huge})),
            "argument 'query' has shape [0, 2305843009213693952, 30, 32]: its "
            "dims multiply past 2^63 bytes");

  auto linear = jit.compile(R"mlir(
func.func @linear(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>,
                  %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %o = attn.linear_attention %q, %k, %v {feature_map = #attn.feature_map<elu_plus_one>}
      : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
      -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
}
)mlir",
                            Target::CPU);
  ASSERT_TRUE(static_cast<bool>(linear)) << llvm::toString(linear.takeError());
  HostTensor kv(DType::F32, {1, 1, 16, 16});
  for (int64_t e = 0; e < kv.numElements(); ++e)
    kv.set(e, 0.5);
  TensorRef noQuery = kv.ref();
  noQuery.shape = {1, int64_t(1) << 40, 0, 16}; // 2^40 heads, no row
  noQuery.data = nullptr;
  EXPECT_EQ(errorOf((*linear)->run({noQuery, kv.ref(), kv.ref()}, {noQuery})),
            "<no error>");
}

TEST(JIT, BadSpecsAndTargetsAreErrors) {
  JIT jit;
  auto bad = jit.compile("func.func @f(", Target::CPU);
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_NE(errorOf(bad.takeError()).find("cannot parse"), std::string::npos);

  // Without a GPU and driver, cuda is an error that says so.
  auto cuda = jit.compile(kCausalSpec, Target::CUDA);
  if (!cuda)
    EXPECT_NE(errorOf(cuda.takeError()).find("cuda"), std::string::npos);

  AttentionSpec invalid;
  invalid.dims = {1, 6, 4, 8, 8, 64, 64};
  auto fromSpec = jit.compile(invalid, Target::CPU);
  ASSERT_FALSE(static_cast<bool>(fromSpec));
  EXPECT_NE(errorOf(fromSpec.takeError()).find("multiple of"),
            std::string::npos);

  // Linear attention compiles for the cpu (and for cuda where there is one).
  constexpr const char *kLinear = R"mlir(
func.func @lin(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.linear_attention %q, %q, %q
      {feature_map = #attn.feature_map<elu_plus_one>}
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
      -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
})mlir";
  auto linear = jit.compile(kLinear, Target::CPU);
  EXPECT_TRUE(static_cast<bool>(linear));
  if (!linear)
    llvm::consumeError(linear.takeError());
  auto linearCuda = jit.compile(kLinear, Target::CUDA);
  if (!linearCuda)
    EXPECT_NE(errorOf(linearCuda.takeError()).find("cuda"), std::string::npos);

  EXPECT_FALSE(static_cast<bool>(parseTarget("tpu")));
  llvm::consumeError(parseTarget("tpu").takeError());
}

} // namespace
