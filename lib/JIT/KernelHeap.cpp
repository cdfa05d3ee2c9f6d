//===- KernelHeap.cpp - malloc/free for JIT-compiled CPU kernels ----------===//

#include "KernelHeap.h"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>

namespace attn::jit {
namespace {

/// Blocks from this size on are kept for reuse.
constexpr size_t kCachedBytes = size_t(1) << 20;
/// At most this many bytes wait in the cache; beyond, freed blocks go back.
constexpr size_t kCacheLimit = size_t(1) << 31;
/// Every block starts with a header that records its usable size, padded to
/// malloc's 16-byte alignment so that the caller's pointer keeps it.
constexpr size_t kHeader = 16;

/// Usable size -> block start; the blocks go back to malloc at exit (else
/// they would be leaks once the map is destroyed: LeakSanitizer's check
/// runs after static destructors).
struct Cache : std::multimap<size_t, void *> {
  ~Cache() {
    for (auto &entry : *this)
      std::free(entry.second);
  }
};

std::mutex mutex;
Cache cache;
size_t cachedBytes = 0;

} // namespace

void *kernelMalloc(size_t bytes) {
  if (bytes > SIZE_MAX - kHeader)
    return nullptr;
  if (bytes >= kCachedBytes) {
    std::lock_guard<std::mutex> lock(mutex);
    // The smallest kept block that fits and wastes at most a quarter.
    auto it = cache.lower_bound(bytes);
    if (it != cache.end() && it->first - bytes <= bytes / 4) {
      void *block = it->second;
      cachedBytes -= it->first;
      cache.erase(it);
      return static_cast<char *>(block) + kHeader;
    }
  }
  void *block = std::malloc(bytes + kHeader);
  if (!block)
    return nullptr;
  *static_cast<size_t *>(block) = bytes;
  return static_cast<char *>(block) + kHeader;
}

void kernelFree(void *p) {
  if (!p)
    return;
  void *block = static_cast<char *>(p) - kHeader;
  size_t bytes = *static_cast<size_t *>(block);
  if (bytes >= kCachedBytes) {
    std::lock_guard<std::mutex> lock(mutex);
    if (cachedBytes + bytes <= kCacheLimit) {
      cache.emplace(bytes, block);
      cachedBytes += bytes;
      return;
    }
  }
  std::free(block);
}

} // namespace attn::jit
