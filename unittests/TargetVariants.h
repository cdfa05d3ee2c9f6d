//===- TargetVariants.h - one test body per target --------------*- C++ -*-===//
//
// TARGET_VARIANT(Cpu, Cuda, Name) defines Cpu.Name and Cuda.Name from one
// body over `Target t`; the CUDA one is skipped, with the driver's reason,
// where there is no GPU. Also the shared, never-destroyed JIT of the tests.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_TARGETVARIANTS_H
#define ATTN_UNITTESTS_TARGETVARIANTS_H

#include "attn/CUDADriver.h"
#include "attn/JIT.h"

#include "gtest/gtest.h"

namespace attn::test_support {
/// One JIT for all cases, never destroyed: tearing an ExecutionEngine down
/// during static destruction races LLVM's own global teardown.
inline JIT &jit() {
  static JIT *instance = new JIT;
  return *instance;
}
} // namespace attn::test_support

#define TARGET_VARIANT(CpuSuite, CudaSuite, Name)                              \
  void Name##Body(Target t);                                                   \
  TEST(CpuSuite, Name) { Name##Body(Target::CPU); }                            \
  TEST(CudaSuite, Name) {                                                      \
    if (auto chip = cuda::deviceChip(); !chip)                                 \
      GTEST_SKIP() << llvm::toString(chip.takeError());                        \
    Name##Body(Target::CUDA);                                                  \
  }                                                                            \
  void Name##Body(Target t)

#endif // ATTN_UNITTESTS_TARGETVARIANTS_H
