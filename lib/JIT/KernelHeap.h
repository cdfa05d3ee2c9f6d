//===- KernelHeap.h - malloc/free for JIT-compiled CPU kernels --*- C++ -*-===//
//
// The CPU kernels allocate their results and per-(batch, head) scratch with
// malloc (memref.alloc). glibc serves blocks above its mmap threshold (at
// most 32 MB) with fresh mappings, so a kernel whose output is that large
// faults every page of it in on every call: 8192 page faults, about 10 ms,
// for a 32 MB output (linear attention at L = 16384 ran at 56% of sgemm
// without them, 35% with them). The JIT binds the kernels' malloc and free
// to these instead: blocks of at least kCachedBytes are kept when freed and
// handed out again for a request of the same size class, so repeated calls
// reuse mapped pages. Smaller blocks go straight to malloc. Thread-safe.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_JIT_KERNELHEAP_H
#define ATTN_JIT_KERNELHEAP_H

#include <cstddef>

namespace attn::jit {

void *kernelMalloc(size_t bytes);
void kernelFree(void *p);

} // namespace attn::jit

#endif // ATTN_JIT_KERNELHEAP_H
