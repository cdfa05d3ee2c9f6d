//===- DiskCache.cpp - compiled kernels kept on disk ----------------------===//

#include "DiskCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <vector>

namespace attn::jit {
namespace {

constexpr size_t kHashBytes = 32;

std::array<uint8_t, kHashBytes> sha256(llvm::StringRef bytes) {
  return llvm::SHA256::hash(llvm::arrayRefFromStringRef(bytes));
}

std::string entryPath(llvm::StringRef dir, llvm::StringRef key) {
  std::string name =
      llvm::toHex(sha256((key + "|" + compilerIdentity()).str()),
                  /*LowerCase=*/true) +
      ".kernel";
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

/// The cache's size bound in bytes: $ATTN_CACHE_MAX_MB (whole MiB, >= 0),
/// 1 GiB by default or when the variable is not a number.
uint64_t maxCacheBytes() {
  uint64_t mb = 1024;
  if (const char *env = std::getenv("ATTN_CACHE_MAX_MB")) {
    llvm::StringRef text(env);
    uint64_t value;
    if (!text.trim().getAsInteger(10, value) && value < (uint64_t(1) << 40))
      mb = value;
  }
  return mb << 20;
}

/// Removes the least recently written entries of `dir` until the entries
/// fit the size bound, always keeping `keep` (the entry just written).
/// Entries another process removes first are skipped: eviction, like every
/// cache write, may fail without harm.
void evict(llvm::StringRef dir, llvm::StringRef keep) {
  struct Entry {
    std::string path;
    uint64_t size;
    llvm::sys::TimePoint<> written;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    if (llvm::sys::path::extension(it->path()) != ".kernel")
      continue;
    llvm::sys::fs::file_status status;
    if (llvm::sys::fs::status(it->path(), status))
      continue;
    entries.push_back(
        {it->path(), status.getSize(), status.getLastModificationTime()});
    total += status.getSize();
  }
  const uint64_t bound = maxCacheBytes();
  if (total <= bound)
    return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.written < b.written; });
  for (const Entry &e : entries) {
    if (total <= bound)
      break;
    if (e.path == keep)
      continue;
    if (!llvm::sys::fs::remove(e.path))
      total -= e.size;
  }
}

} // namespace

const std::string &compilerIdentity() {
  static const std::string identity = [] {
    Dl_info info;
    if (!dladdr(reinterpret_cast<void *>(&diskCacheDir), &info) ||
        !info.dli_fname)
      return std::string();
    llvm::sys::fs::file_status status;
    if (llvm::sys::fs::status(info.dli_fname, status))
      return std::string();
    return std::string(info.dli_fname) + ":" +
           std::to_string(status.getSize()) + ":" +
           std::to_string(llvm::sys::toTimeT(status.getLastModificationTime())) +
           ":llvm-" LLVM_VERSION_STRING;
  }();
  return identity;
}

std::optional<std::string> diskCacheDir() {
  if (compilerIdentity().empty())
    return std::nullopt;
  if (const char *env = std::getenv("ATTN_CACHE_DIR")) {
    llvm::StringRef dir(env);
    if (dir.empty() || dir == "off" || dir == "0")
      return std::nullopt;
    return dir.str();
  }
  llvm::SmallString<256> dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    dir = xdg;
  } else if (!llvm::sys::path::home_directory(dir)) {
    return std::nullopt;
  } else {
    llvm::sys::path::append(dir, ".cache");
  }
  llvm::sys::path::append(dir, "attn");
  return std::string(dir);
}

std::unique_ptr<llvm::MemoryBuffer> diskCacheLoad(llvm::StringRef dir,
                                                  llvm::StringRef key) {
  auto file = llvm::MemoryBuffer::getFile(entryPath(dir, key),
                                          /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file || (*file)->getBufferSize() <= kHashBytes)
    return nullptr;
  llvm::StringRef all = (*file)->getBuffer();
  llvm::StringRef object = all.drop_front(kHashBytes);
  auto stored = all.take_front(kHashBytes);
  auto actual = sha256(object);
  if (stored != llvm::toStringRef(llvm::ArrayRef<uint8_t>(actual)))
    return nullptr;
  return llvm::MemoryBuffer::getMemBufferCopy(object, "attn-cached-kernel");
}

void diskCacheStore(llvm::StringRef dir, llvm::StringRef key,
                    llvm::StringRef object) {
  if (llvm::sys::fs::create_directories(dir))
    return;
  std::string path = entryPath(dir, key);
  int fd = -1;
  llvm::SmallString<256> temp;
  if (llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, temp))
    return;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    auto hash = sha256(object);
    os << llvm::toStringRef(llvm::ArrayRef<uint8_t>(hash)) << object;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return;
    }
  }
  // rename() replaces atomically: readers see the old entry or the new one.
  if (llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return;
  }
  evict(dir, path);
}

} // namespace attn::jit
