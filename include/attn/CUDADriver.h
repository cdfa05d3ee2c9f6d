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
/// "sm_80", "sm_90a", ... for the current device (9.0 is "sm_90a").
llvm::Expected<std::string> deviceChip();
/// Streaming multiprocessors of the current device.
llvm::Expected<int64_t> multiprocessorCount();

/// A CUtensorMap: 128 opaque bytes, passed to kernels by value.
struct alignas(64) TensorMap {
  unsigned char bytes[128];
};
/// A tiled, 128-byte swizzled 4-D map; dims and strides innermost first,
/// strides in elements (strides[0] must be 1), box in elements.
struct TensorMapRequest {
  void *address;
  int64_t dims[4], strides[4];
  unsigned box[4];
  int elementBytes;
  bool bfloat16;
};
llvm::Expected<TensorMap> encodeTensorMap(const TensorMapRequest &request);

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
