//===- CUDADriver.h - the CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// libcuda.so.1 is opened with dlopen on first use, so attn builds and runs
// everywhere; without a driver or GPU, every call returns an llvm::Error that
// says so. Only the handful of entry points the runtime needs are bound.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CUDADRIVER_H
#define ATTN_CUDADRIVER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace attn::cuda {

using DevicePtr = unsigned long long;
using Module = void *;
using Function = void *;

/// The driver with a current context on device 0, or why there is none.
llvm::Error ensureContext();
/// "sm_90" for the current device.
llvm::Expected<std::string> deviceChip();

llvm::Expected<Module> loadModule(llvm::StringRef image); ///< PTX or cubin
llvm::Expected<Function> getFunction(Module module, llvm::StringRef name);
/// Lets `fn` take up to `bytes` of dynamic shared memory (above 48 KB).
llvm::Error allowDynamicSharedMemory(Function fn, unsigned bytes);
llvm::Error launch(Function fn, unsigned gridX, unsigned gridY, unsigned gridZ,
                   unsigned blockX, void **params, void *stream = nullptr,
                   unsigned sharedBytes = 0);
llvm::Error synchronize();

llvm::Expected<DevicePtr> alloc(size_t bytes);
void free(DevicePtr ptr);
llvm::Error copyToDevice(DevicePtr dst, const void *src, size_t bytes);
llvm::Error copyToHost(void *dst, DevicePtr src, size_t bytes);
llvm::Error fill(DevicePtr dst, uint8_t byte, size_t bytes);

/// Milliseconds of `body` measured with CUDA events on the default stream.
llvm::Expected<float> timeMs(llvm::function_ref<llvm::Error()> body);

} // namespace attn::cuda

#endif // ATTN_CUDADRIVER_H
