//===- npy_fuzzer.cpp - .npy bytes through readNpy ------------------------===//
//
// libFuzzer target: the first input byte picks the dtype readNpy is asked
// for (none, or one of the six), the rest is the .npy file. readNpy reads
// a path, so the bytes go to a temporary file of this process first. A file
// that reads is written back with writeNpy and must read back equal: a
// mismatch aborts (a reader/writer bug, not an input error).
//
//===----------------------------------------------------------------------===//

#include "attn/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

std::string *inputPath = nullptr, *roundTripPath = nullptr;

void removeTemporaries() {
  if (inputPath)
    llvm::sys::fs::remove(*inputPath);
  if (roundTripPath)
    llvm::sys::fs::remove(*roundTripPath);
}

std::string temporary(const char *prefix) {
  llvm::SmallString<128> path;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile(prefix, "npy", path)) {
    std::fprintf(stderr, "npy_fuzzer: no temporary file: %s\n",
                 ec.message().c_str());
    std::abort();
  }
  return std::string(path);
}

bool sameElement(const attn::HostTensor &a, const attn::HostTensor &b,
                 int64_t e) {
  double x = a.get(e), y = b.get(e);
  return x == y || (std::isnan(x) && std::isnan(y));
}

[[noreturn]] void roundTripFailure(const llvm::Twine &why) {
  llvm::errs() << "npy_fuzzer: writeNpy/readNpy round trip: " << why << "\n";
  std::abort();
}

void checkRoundTrip(const attn::HostTensor &t) {
  if (llvm::Error e = attn::writeNpy(*roundTripPath, t))
    roundTripFailure("write failed: " + llvm::toString(std::move(e)));
  llvm::Expected<attn::HostTensor> back = attn::readNpy(*roundTripPath, t.dtype);
  if (!back)
    roundTripFailure("read failed: " + llvm::toString(back.takeError()));
  if (back->dtype != t.dtype || back->shape != t.shape)
    roundTripFailure("dtype or shape changed");
  for (int64_t e = 0; e < t.numElements(); ++e)
    if (!sameElement(t, *back, e))
      roundTripFailure("element " + llvm::Twine(e) + " changed");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  inputPath = new std::string(temporary("attn-npy-fuzz"));
  roundTripPath = new std::string(temporary("attn-npy-fuzz-out"));
  std::atexit(removeTemporaries);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static const std::optional<attn::DType> wants[] = {
      std::nullopt,      attn::DType::F32, attn::DType::F16,
      attn::DType::BF16, attn::DType::I32, attn::DType::I64,
      attn::DType::Bool};
  std::optional<attn::DType> want =
      wants[data[0] % (sizeof(wants) / sizeof(wants[0]))];
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(*inputPath, ec);
    if (ec)
      std::abort();
    os.write(reinterpret_cast<const char *>(data + 1), size - 1);
  }
  llvm::Expected<attn::HostTensor> t = attn::readNpy(*inputPath, want);
  if (!t) {
    llvm::consumeError(t.takeError());
    return 0;
  }
  checkRoundTrip(*t);
  return 0;
}
