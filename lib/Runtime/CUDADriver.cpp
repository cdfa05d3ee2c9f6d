//===- CUDADriver.cpp - dlopen'ed CUDA driver API -------------------------===//
//
// The types below are the driver ABI's (cuda.h): handles are pointers,
// results are ints, device pointers 64-bit. No CUDA header or library is
// needed to build.
//
//===----------------------------------------------------------------------===//

#include "attn/CUDADriver.h"

#include <dlfcn.h>
#include <mutex>

namespace attn::cuda {
namespace {

using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUevent = void *;

struct Api {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(Module *, const void *);
  CUresult (*cuModuleGetFunction)(Function *, Module, const char *);
  CUresult (*cuFuncSetAttribute)(Function, int, int);
  CUresult (*cuLaunchKernel)(Function, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, void *, void **,
                             void **);
  CUresult (*cuMemAlloc)(DevicePtr *, size_t);
  CUresult (*cuMemFree)(DevicePtr);
  CUresult (*cuMemcpyHtoD)(DevicePtr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, DevicePtr, size_t);
  CUresult (*cuMemsetD8)(DevicePtr, unsigned char, size_t);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, void *);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  // (map, dtype, rank, address, dims, byte strides of dims 1.., box,
  //  element strides, interleave, swizzle, L2 promotion, OOB fill)
  CUresult (*cuTensorMapEncodeTiled)(void *, int, unsigned, void *,
                                     const uint64_t *, const uint64_t *,
                                     const unsigned *, const unsigned *, int,
                                     int, int, int);
  CUdevice device = 0;
  CUcontext context = nullptr; ///< the device's primary context
  std::string error; ///< why the driver is unusable, empty when usable
};

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cuda: " + message);
}

Api &api() {
  static Api a;
  static std::once_flag once;
  std::call_once(once, [] {
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char *why = dlerror();
      a.error = std::string("cannot load the CUDA driver libcuda.so.1 (") +
                (why ? why : "unknown") + "); is there an NVIDIA GPU and driver?";
      return;
    }
    bool ok = true;
    // The first of `names` the driver exports (newer drivers add _v2s).
    auto bind = [&](auto &fn, std::initializer_list<const char *> names) {
      for (const char *name : names)
        if ((fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
                 dlsym(lib, name))))
          return;
      ok = false;
      a.error = std::string("the CUDA driver lacks ") + *names.begin();
    };
    bind(a.cuInit, {"cuInit"});
    bind(a.cuDeviceGet, {"cuDeviceGet"});
    bind(a.cuDeviceGetAttribute, {"cuDeviceGetAttribute"});
    bind(a.cuDevicePrimaryCtxRetain, {"cuDevicePrimaryCtxRetain"});
    bind(a.cuCtxSetCurrent, {"cuCtxSetCurrent"});
    bind(a.cuCtxGetCurrent, {"cuCtxGetCurrent"});
    bind(a.cuCtxSynchronize, {"cuCtxSynchronize"});
    bind(a.cuModuleLoadData, {"cuModuleLoadData"});
    bind(a.cuModuleGetFunction, {"cuModuleGetFunction"});
    bind(a.cuLaunchKernel, {"cuLaunchKernel"});
    bind(a.cuFuncSetAttribute, {"cuFuncSetAttribute"});
    bind(a.cuMemAlloc, {"cuMemAlloc_v2"});
    bind(a.cuMemFree, {"cuMemFree_v2"});
    bind(a.cuMemcpyHtoD, {"cuMemcpyHtoD_v2"});
    bind(a.cuMemcpyDtoH, {"cuMemcpyDtoH_v2"});
    bind(a.cuMemsetD8, {"cuMemsetD8_v2"});
    bind(a.cuEventCreate, {"cuEventCreate"});
    bind(a.cuEventRecord, {"cuEventRecord"});
    bind(a.cuEventSynchronize, {"cuEventSynchronize"});
    bind(a.cuEventElapsedTime, {"cuEventElapsedTime_v2", "cuEventElapsedTime"});
    bind(a.cuEventDestroy, {"cuEventDestroy_v2"});
    bind(a.cuGetErrorString, {"cuGetErrorString"});
    // Optional: drivers before CUDA 12 lack it, and only the sm_90a
    // kernel needs it (encodeTensorMap says so when it is missing).
    a.cuTensorMapEncodeTiled =
        reinterpret_cast<decltype(a.cuTensorMapEncodeTiled)>(
            dlsym(lib, "cuTensorMapEncodeTiled"));
    if (!ok)
      return;
    if (a.cuInit(0) != 0 || a.cuDeviceGet(&a.device, 0) != 0 ||
        a.cuDevicePrimaryCtxRetain(&a.context, a.device) != 0 ||
        a.cuCtxSetCurrent(a.context) != 0)
      a.error = "no usable CUDA device (cuInit/cuDeviceGet/context failed)";
  });
  return a;
}

llvm::Error check(CUresult r, const char *what) {
  if (r == 0)
    return llvm::Error::success();
  const char *text = nullptr;
  if (api().cuGetErrorString)
    api().cuGetErrorString(r, &text);
  return fail(llvm::Twine(what) + " failed: " + (text ? text : "error ") +
              (text ? "" : llvm::Twine(r).str()));
}

} // namespace

llvm::Error ensureContext() {
  Api &a = api();
  if (!a.error.empty())
    return fail(a.error);
  // The primary context (retained once, for the process) is current on
  // the thread that created it; make it current on this one too. Called
  // before every launch: the common case is one query, no driver lock.
  CUcontext current = nullptr;
  if (a.cuCtxGetCurrent(&current) == 0 && current == a.context)
    return llvm::Error::success();
  return check(a.cuCtxSetCurrent(a.context), "cuCtxSetCurrent");
}

llvm::Expected<std::string> deviceChip() {
  if (llvm::Error e = ensureContext())
    return std::move(e);
  int major = 0, minor = 0;
  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR
  if (llvm::Error e = check(api().cuDeviceGetAttribute(&major, 75, api().device),
                            "cuDeviceGetAttribute"))
    return std::move(e);
  if (llvm::Error e = check(api().cuDeviceGetAttribute(&minor, 76, api().device),
                            "cuDeviceGetAttribute"))
    return std::move(e);
  // Compute capability 9.0 has the arch-specific Hopper features (wgmma,
  // setmaxnreg) that PTX names sm_90a; a kernel built for sm_90a runs only
  // on 9.0, which is this device.
  std::string chip = "sm_" + std::to_string(major) + std::to_string(minor);
  return major == 9 && minor == 0 ? chip + "a" : chip;
}

llvm::Expected<int64_t> multiprocessorCount() {
  if (llvm::Error e = ensureContext())
    return std::move(e);
  int count = 0; // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
  if (llvm::Error e = check(api().cuDeviceGetAttribute(&count, 16, api().device),
                            "cuDeviceGetAttribute"))
    return std::move(e);
  if (count < 1)
    return fail("the device reports " + llvm::Twine(count) + " SMs");
  return count;
}

llvm::Expected<TensorMap> encodeTensorMap(const TensorMapRequest &r) {
  if (llvm::Error e = ensureContext())
    return std::move(e);
  if (!api().cuTensorMapEncodeTiled)
    return fail("the CUDA driver lacks cuTensorMapEncodeTiled (CUDA 12 or "
                "newer is needed for TMA)");
  // CUtensorMapDataType: FLOAT16 = 6, BFLOAT16 = 9.
  int dtype = r.elementBytes == 2 ? (r.bfloat16 ? 9 : 6) : -1;
  if (dtype < 0)
    return fail("tensor maps are built for 16-bit elements only");
  uint64_t dims[4], strides[3];
  unsigned box[4], elementStrides[4] = {1, 1, 1, 1};
  for (int i = 0; i < 4; ++i) {
    if (r.dims[i] <= 0 || r.dims[i] > (int64_t(1) << 32))
      return fail("tensor map dim " + llvm::Twine(i) + " = " +
                  llvm::Twine(r.dims[i]) + " is out of TMA's range [1, 2^32]");
    dims[i] = static_cast<uint64_t>(r.dims[i]);
    box[i] = r.box[i];
  }
  for (int i = 0; i < 3; ++i) {
    int64_t bytes = r.strides[i + 1] * r.elementBytes;
    if (bytes <= 0 || bytes % 16 != 0 || bytes >= (int64_t(1) << 40))
      return fail("TMA needs byte strides that are positive multiples of 16 "
                  "below 2^40, got " + llvm::Twine(bytes));
    strides[i] = static_cast<uint64_t>(bytes);
  }
  if (reinterpret_cast<uintptr_t>(r.address) % 16 != 0)
    return fail("TMA needs a 16-byte aligned buffer");
  TensorMap map;
  // INTERLEAVE_NONE = 0, SWIZZLE_128B = 3, L2_PROMOTION_L2_128B = 2,
  // FLOAT_OOB_FILL_NONE = 0 (zeros).
  if (llvm::Error e = check(api().cuTensorMapEncodeTiled(
                                map.bytes, dtype, 4, r.address, dims, strides,
                                box, elementStrides, 0, 3, 2, 0),
                            "cuTensorMapEncodeTiled"))
    return std::move(e);
  return map;
}

llvm::Expected<Module> loadModule(llvm::StringRef image) {
  if (llvm::Error e = ensureContext())
    return std::move(e);
  std::string nulTerminated = image.str(); // PTX must end in a NUL
  Module m = nullptr;
  if (llvm::Error e = check(api().cuModuleLoadData(&m, nulTerminated.c_str()),
                            "cuModuleLoadData"))
    return std::move(e);
  return m;
}

llvm::Expected<Function> getFunction(Module module, llvm::StringRef name) {
  Function f = nullptr;
  if (llvm::Error e = check(api().cuModuleGetFunction(&f, module,
                                                      name.str().c_str()),
                            "cuModuleGetFunction"))
    return std::move(e);
  return f;
}

llvm::Error allowDynamicSharedMemory(Function fn, unsigned bytes) {
  if (llvm::Error e = ensureContext())
    return e;
  constexpr int kMaxDynamicSharedSizeBytes = 8; // CUfunction_attribute
  return check(api().cuFuncSetAttribute(fn, kMaxDynamicSharedSizeBytes,
                                        static_cast<int>(bytes)),
               "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
}

llvm::Error launch(Function fn, unsigned gridX, unsigned gridY, unsigned gridZ,
                   unsigned blockX, void **params, void *stream,
                   unsigned sharedBytes) {
  if (llvm::Error e = ensureContext())
    return e;
  return check(api().cuLaunchKernel(fn, gridX, gridY, gridZ, blockX, 1, 1,
                                    sharedBytes, stream, params, nullptr),
               "cuLaunchKernel");
}

llvm::Error synchronize() {
  return check(api().cuCtxSynchronize(), "cuCtxSynchronize");
}

llvm::Expected<DevicePtr> alloc(size_t bytes) {
  if (llvm::Error e = ensureContext())
    return std::move(e);
  DevicePtr p = 0;
  if (llvm::Error e = check(api().cuMemAlloc(&p, bytes ? bytes : 1),
                            "cuMemAlloc"))
    return std::move(e);
  return p;
}

void free(DevicePtr ptr) {
  if (ptr && api().cuMemFree)
    api().cuMemFree(ptr);
}

llvm::Error copyToDevice(DevicePtr dst, const void *src, size_t bytes) {
  return bytes ? check(api().cuMemcpyHtoD(dst, src, bytes), "cuMemcpyHtoD")
               : llvm::Error::success();
}

llvm::Error copyToHost(void *dst, DevicePtr src, size_t bytes) {
  return bytes ? check(api().cuMemcpyDtoH(dst, src, bytes), "cuMemcpyDtoH")
               : llvm::Error::success();
}

llvm::Error fill(DevicePtr dst, uint8_t byte, size_t bytes) {
  return bytes ? check(api().cuMemsetD8(dst, byte, bytes), "cuMemsetD8")
               : llvm::Error::success();
}

llvm::Expected<float> timeMs(llvm::function_ref<llvm::Error()> body) {
  CUevent start = nullptr, stop = nullptr;
  if (llvm::Error e = check(api().cuEventCreate(&start, 0), "cuEventCreate"))
    return std::move(e);
  if (llvm::Error e = check(api().cuEventCreate(&stop, 0), "cuEventCreate"))
    return std::move(e);
  float ms = 0;
  llvm::Error err = check(api().cuEventRecord(start, nullptr), "cuEventRecord");
  if (!err)
    err = body();
  if (!err)
    err = check(api().cuEventRecord(stop, nullptr), "cuEventRecord");
  if (!err)
    err = check(api().cuEventSynchronize(stop), "cuEventSynchronize");
  if (!err)
    err = check(api().cuEventElapsedTime(&ms, start, stop),
                "cuEventElapsedTime");
  api().cuEventDestroy(start);
  api().cuEventDestroy(stop);
  if (err)
    return std::move(err);
  return ms;
}

} // namespace attn::cuda
