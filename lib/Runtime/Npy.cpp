//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "attn/Npy.h"

#include "llvm/Support/MathExtras.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <limits>

namespace attn {
namespace {

llvm::Error fail(llvm::StringRef path, const llvm::Twine &why) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + why);
}

/// The quoted value after `'key':` in the header dict.
std::optional<std::string> field(llvm::StringRef header, llvm::StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == llvm::StringRef::npos)
    return std::nullopt;
  llvm::StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  if (rest.starts_with("'")) {
    size_t end = rest.find('\'', 1);
    return rest.substr(1, end - 1).str();
  }
  if (rest.starts_with("(")) {
    size_t end = rest.find(')');
    return rest.substr(0, end + 1).str();
  }
  return rest.take_while([](char c) { return c != ',' && c != '}'; }).str();
}

} // namespace

llvm::Expected<HostTensor> readNpy(llvm::StringRef path,
                                   std::optional<DType> want) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return fail(path, "cannot read: " + buffer.getError().message());
  llvm::StringRef data = (*buffer)->getBuffer();
  if (data.size() < 10 || !data.starts_with("\x93NUMPY"))
    return fail(path, "not a .npy file (bad magic)");
  uint8_t major = data[6];
  size_t headerLen, start;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(data[8]) |
                (static_cast<uint8_t>(data[9]) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      return fail(path, "truncated header");
    uint32_t len;
    std::memcpy(&len, data.data() + 8, 4);
    headerLen = len;
    start = 12;
  } else {
    return fail(path, "unsupported .npy version " + llvm::Twine(major));
  }
  if (start + headerLen > data.size())
    return fail(path, "truncated header");
  llvm::StringRef header = data.substr(start, headerLen);

  std::optional<std::string> descr = field(header, "descr");
  std::optional<std::string> fortran = field(header, "fortran_order");
  std::optional<std::string> shapeText = field(header, "shape");
  if (!descr || !fortran || !shapeText)
    return fail(path, "malformed header: " + header.trim());
  if (llvm::StringRef(*fortran).trim() != "False")
    return fail(path, "Fortran-ordered arrays are not supported");

  DType fileType;
  bool isF64 = false;
  if (*descr == "<f4") fileType = DType::F32;
  else if (*descr == "<f2") fileType = DType::F16;
  else if (*descr == "<f8") { fileType = DType::F32; isF64 = true; }
  else if (*descr == "<i4") fileType = DType::I32;
  else if (*descr == "<i8") fileType = DType::I64;
  else if (*descr == "|b1" || *descr == "|u1") fileType = DType::Bool;
  else
    return fail(path, "unsupported dtype '" + *descr +
                          "' (f4, f2, f8, i4, i8, b1 are read)");

  std::vector<int64_t> shape;
  llvm::StringRef dims = llvm::StringRef(*shapeText).trim("() ");
  while (!dims.empty()) {
    auto [head, tail] = dims.split(',');
    head = head.trim();
    if (!head.empty()) {
      int64_t d;
      if (head.getAsInteger(10, d) || d < 0)
        return fail(path, "bad shape " + *shapeText);
      shape.push_back(d);
    }
    dims = tail;
  }

  // The header's shape is untrusted: its element count must neither
  // overflow nor need more bytes than the file holds, before anything is
  // allocated for it.
  auto count = checkedElementCount(shape, fileType);
  if (!count)
    return fail(path, llvm::toString(count.takeError()));
  const int64_t elemBytes = isF64 ? 8 : static_cast<int64_t>(sizeOf(fileType));
  const uint64_t available = data.size() - start - headerLen;
  int64_t bytes = 0;
  const bool overflow = llvm::MulOverflow(*count, elemBytes, bytes);
  if (overflow || available < static_cast<uint64_t>(bytes))
    return fail(path, "holds " + llvm::Twine(available) +
                          " data bytes, shape " + *shapeText + " needs " +
                          (overflow ? llvm::Twine("more than 2^63")
                                    : llvm::Twine(bytes)));
  HostTensor file(fileType, shape);
  const char *payload = data.data() + start + headerLen;
  if (isF64) {
    for (int64_t e = 0; e < file.numElements(); ++e) {
      double x;
      std::memcpy(&x, payload + e * 8, 8);
      file.set(e, x);
    }
  } else if (bytes > 0) { // no memcpy from/to null for empty arrays
    std::memcpy(file.bytes.data(), payload, bytes);
  }

  auto isFloat = [](DType t) {
    return t == DType::F32 || t == DType::F16 || t == DType::BF16;
  };
  if (!want || *want == fileType)
    return file;
  if (isFloat(*want) && isFloat(fileType)) {
    HostTensor converted(*want, shape);
    for (int64_t e = 0; e < file.numElements(); ++e)
      converted.set(e, file.get(e));
    return converted;
  }
  if ((*want == DType::I32 || *want == DType::I64) &&
      (fileType == DType::I32 || fileType == DType::I64)) {
    HostTensor converted(*want, shape);
    for (int64_t e = 0; e < file.numElements(); ++e) {
      int64_t x;
      if (fileType == DType::I64)
        std::memcpy(&x, file.bytes.data() + e * 8, 8);
      else
        x = static_cast<int64_t>(file.get(e));
      // Narrowing must not change a value (a key length of 2^32 + 5 is
      // not 5).
      if (*want == DType::I32 &&
          (x < std::numeric_limits<int32_t>::min() ||
           x > std::numeric_limits<int32_t>::max()))
        return fail(path, "element " + llvm::Twine(e) + " = " +
                              llvm::Twine(x) + " does not fit the i32 the "
                              "spec expects");
      converted.set(e, static_cast<double>(x));
    }
    return converted;
  }
  return fail(path, llvm::Twine("has dtype ") + toString(fileType) +
                        ", expected " + toString(*want));
}

llvm::Error writeNpy(llvm::StringRef path, const HostTensor &t) {
  HostTensor asF32;
  const HostTensor *src = &t;
  if (t.dtype == DType::BF16) {
    asF32 = HostTensor(DType::F32, t.shape);
    for (int64_t e = 0; e < t.numElements(); ++e)
      asF32.set(e, t.get(e));
    src = &asF32;
  }
  const char *descr = "<f4";
  switch (src->dtype) {
  case DType::F32: descr = "<f4"; break;
  case DType::F16: descr = "<f2"; break;
  case DType::BF16: descr = "<f4"; break;
  case DType::I32: descr = "<i4"; break;
  case DType::I64: descr = "<i8"; break;
  case DType::Bool: descr = "|b1"; break;
  }
  std::string shape = "(";
  for (int64_t d : src->shape)
    shape += std::to_string(d) + ", ";
  if (src->shape.size() > 1)
    shape.erase(shape.size() - 2);
  else if (src->shape.size() == 1)
    shape.erase(shape.size() - 1);
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic + version + length + header is a multiple of 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return fail(path, "cannot write: " + ec.message());
  os << "\x93NUMPY" << '\x01' << '\x00';
  uint16_t len = static_cast<uint16_t>(header.size());
  os << static_cast<char>(len & 0xff) << static_cast<char>(len >> 8);
  os << header;
  os.write(reinterpret_cast<const char *>(src->bytes.data()),
           src->bytes.size());
  os.close();
  if (os.has_error())
    return fail(path, "write failed");
  return llvm::Error::success();
}

} // namespace attn
