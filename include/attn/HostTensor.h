//===- HostTensor.h - owned host buffers, dtype conversion, test data -*- C++ -*-===//
//
// What the runner, the tests and the benchmarks pass to kernels: an owned,
// contiguous buffer of a DType, convertible to the fp64 RefTensor of the
// reference, and random operands that follow each operand's meaning.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_HOSTTENSOR_H
#define ATTN_HOSTTENSOR_H

#include "attn/Tensor.h"
#include "attn/Reference.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <new>
#include <vector>

namespace attn {

float f16ToFloat(uint16_t h);
uint16_t floatToF16(float f);
float bf16ToFloat(uint16_t h);
uint16_t floatToBF16(float f);

/// The element count of a `dtype` tensor of `shape`, or why this process
/// cannot hold it: a negative dim, a count or byte size past int64, or more
/// bytes than the machine's physical memory. Check before constructing a
/// HostTensor from sizes a user controls (options, .npy headers).
llvm::Expected<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> shape,
                                            DType dtype);

/// Storage aligned to a 64-byte cache line, as PyTorch's allocator gives:
/// kernels may take a faster path where rows start on whole lines (the CPU
/// linear kernel's non-temporal output stores), so the runner and the
/// benchmarks see what users' tensors get (malloc gives 16 bytes).
template <class T> struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheLineAllocator() = default;
  template <class U> CacheLineAllocator(const CacheLineAllocator<U> &) {}
  T *allocate(size_t n) {
    return static_cast<T *>(::operator new(n * sizeof(T), kAlign));
  }
  void deallocate(T *p, size_t) { ::operator delete(p, kAlign); }
  template <class U> bool operator==(const CacheLineAllocator<U> &) const {
    return true;
  }
  template <class U> bool operator!=(const CacheLineAllocator<U> &) const {
    return false;
  }
};

struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t, CacheLineAllocator<uint8_t>> bytes;

  HostTensor() = default;
  HostTensor(DType dtype, std::vector<int64_t> shape);
  int64_t numElements() const;
  /// Element e as a double / set from a double (rounded to the dtype).
  double get(int64_t e) const;
  void set(int64_t e, double value);
  /// Fills every byte with `byte` (0xFF makes floats NaN: a poisoned output).
  void poison(uint8_t byte = 0xFF);
  TensorRef ref();
  RefTensor toRef() const;
  static HostTensor fromRef(const RefTensor &t, DType dtype);
};

/// Concrete shapes of a kernel's arguments for logical dims `d` (B, Hq, Hkv,
/// Lq, Lk; D and Dv from the spec), in argument order.
std::vector<std::vector<int64_t>> argumentShapes(llvm::ArrayRef<ArgType> args,
                                                 const Dims &d, Layout layout);

/// Random operands for the kernel arguments: Q/K/V ~ U(-1, 1) * scale,
/// bias ~ U(-1, 1), masks with ~70% allowed and one row fully masked, key
/// lengths in [0, Lk], documents of random lengths, ~5% global tokens, and
/// seeded orthogonal random features for a projection.
std::vector<HostTensor> randomArguments(llvm::ArrayRef<ArgType> args,
                                        const std::vector<std::vector<int64_t>> &shapes,
                                        const Dims &dims, uint64_t seed,
                                        double scale = 1.0);

/// The reference's inputs from kernel arguments (matched by argument name).
AttentionInputs referenceInputs(llvm::ArrayRef<ArgType> args,
                                const std::vector<HostTensor> &values);

/// The linear reference's inputs from kernel arguments (by name).
LinearAttentionInputs linearReferenceInputs(llvm::ArrayRef<ArgType> args,
                                            const std::vector<HostTensor> &values);

/// max |got - want| / max |want| over all elements (0 when want is all 0),
/// and whether any element of `got` is NaN where `want` is not. Elements
/// whose `want` is NaN (rows the reference skipped) are not compared.
struct ErrorStats {
  double maxAbs = 0.0, maxRel = 0.0;
  bool nan = false;
};
ErrorStats compare(const HostTensor &got, const RefTensor &want);

} // namespace attn

#endif // ATTN_HOSTTENSOR_H
