//===- asan_options.cpp - ASan defaults for the fuzzers --------------------===//
//
// Linked into every fuzzer (fuzz/CMakeLists.txt). ASAN_OPTIONS still
// overrides these.
//
// allow_user_poisoning=0: llvm::BumpPtrAllocator (llvm/Support/Allocator.h)
// is header code that poisons a fresh slab as a whole and unpoisons each
// allocation only when the including file is compiled with ASan
// (LLVM_ADDRESS_SANITIZER_BUILD). The project's libraries are, Debian's
// libMLIR.so and libLLVM.so are not, and they share allocators: an
// MLIRContext's attribute/type/location storage is allocated both by attn's
// generated storage constructors (AttnAttrs.cpp.inc, instrumented) and by
// libMLIR. When an instrumented allocation starts a new slab, libMLIR's
// later allocations from that slab stay poisoned, and the first
// memcpy/memmove into one (ASan's interceptors check every caller) reports
// a use-after-poison that is not one (fuzz/crashes/spec_fuzzer-bump-slab-
// poison: FileLineColRange storage right after a #attn.causal). Poisoning
// cannot be trusted where one allocator is used from both sides, so it is
// off; real heap errors (redzones of malloc/new, use after free) are
// unaffected.
//
//===----------------------------------------------------------------------===//

extern "C" __attribute__((visibility("default"), used)) const char *
__asan_default_options() {
  return "allow_user_poisoning=0";
}
