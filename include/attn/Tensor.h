//===- Tensor.h - caller tensors and kernel argument types ------*- C++ -*-===//
//
// The runtime's view of a buffer: dtype, shape and strides in elements.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TENSOR_H
#define ATTN_TENSOR_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

/// Element types of kernel arguments (Bool is one byte per element).
enum class DType { F32, F16, BF16, I32, I64, Bool };
const char *toString(DType t);
size_t sizeOf(DType t);

/// Where a TensorRef's data lives.
enum class Memory { Host, Device };

/// A caller-owned tensor: data, shape and strides in elements.
struct TensorRef {
  void *data = nullptr;
  Memory memory = Memory::Host; ///< Device: a CUDA device pointer
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides; ///< empty: row-major contiguous

  /// Row-major strides of `shape`.
  static std::vector<int64_t> contiguousStrides(llvm::ArrayRef<int64_t> shape);
};

/// The declared type of one kernel argument or result: dtype and dims
/// (kDynamic where any size binds).
struct ArgType {
  std::string name; ///< the first operand role it feeds ("query", ...)
  DType dtype;
  std::vector<int64_t> shape;
  /// Every operand role it feeds: one tensor may be Q, K and V at once.
  std::vector<std::string> roles;
};

} // namespace attn

#endif // ATTN_TENSOR_H
