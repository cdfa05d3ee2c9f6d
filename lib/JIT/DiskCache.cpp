//===- DiskCache.cpp - compiled CPU kernels kept on disk ------------------===//

#include "DiskCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

#include <array>
#include <cstdlib>

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
  if (llvm::sys::fs::rename(temp, path))
    llvm::sys::fs::remove(temp);
}

} // namespace attn::jit
