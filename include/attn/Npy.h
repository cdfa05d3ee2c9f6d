//===- Npy.h - read and write NumPy .npy files ------------------*- C++ -*-===//
//
// Version 1.0/2.0 .npy, C order, little-endian: f4, f2, i4, i8, b1 (and f8,
// read as f32). bf16 has no NumPy dtype: bf16 tensors are written as f4, and
// reading converts f4 to the requested float dtype.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_NPY_H
#define ATTN_NPY_H

#include "attn/HostTensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace attn {

/// Reads `path`; floats are converted to `want` when it is a float dtype
/// other than the file's (f4 -> bf16, f8 -> f32, ...). Errors name the file.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path,
                                   std::optional<DType> want = std::nullopt);
/// Writes `t` (bf16 as f4).
llvm::Error writeNpy(llvm::StringRef path, const HostTensor &t);

} // namespace attn

#endif // ATTN_NPY_H
