//===- DiskCache.h - compiled kernels kept on disk --------------*- C++ -*-===//
//
// A second process compiling the same spec loads what the first one made
// instead of running the pipelines and LLVM again: a CPU kernel's object
// file, a CUDA kernel's lowered module (its host launches and PTX). Entries
// are named by the SHA-256 of their key (the spec function's text, the
// compile options, the target CPU and its features or the GPU's chip, and
// the identity of the compiler that made them), hold
// the SHA-256 of their object in front of it (a torn or foreign file is a
// miss, never a crash), and are written to a temporary file and renamed into
// place, so that processes compiling the same spec at once never see half an
// entry. Failing to write is not an error: the cache only saves time.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_JIT_DISKCACHE_H
#define ATTN_LIB_JIT_DISKCACHE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>

namespace attn::jit {

/// The cache folder: $ATTN_CACHE_DIR ("off" or "0": no cache), else
/// $XDG_CACHE_HOME/attn, else $HOME/.cache/attn; none if the compiler's
/// identity is unknown (entries could not be told apart across builds).
std::optional<std::string> diskCacheDir();

/// The bytes stored under `key`, or null (absent, unreadable, torn).
std::unique_ptr<llvm::MemoryBuffer> diskCacheLoad(llvm::StringRef dir,
                                                  llvm::StringRef key);

/// Stores `object` (any bytes) under `key`, then removes the least recently
/// written entries while the folder's entries exceed $ATTN_CACHE_MAX_MB
/// (1 GiB by default; the new entry always stays); silently does nothing
/// where it cannot.
void diskCacheStore(llvm::StringRef dir, llvm::StringRef key,
                    llvm::StringRef object);

/// What identifies this build of the compiler in keys: the file of the
/// loaded module holding this code (size, modification time) and LLVM's
/// version; empty if unknown.
const std::string &compilerIdentity();

} // namespace attn::jit

#endif // ATTN_LIB_JIT_DISKCACHE_H
