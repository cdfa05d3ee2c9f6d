// Which Hopper feature keeps compute-sanitizer synccheck from running a
// kernel? (Issue 12: synccheck reports "unspecified launch failure" and 0
// errors on attn's sm_90a softmax kernel, with or without setmaxnreg.)
// One feature per kernel, each also checked for its result:
//   1 mbarrier arrive + try_wait       2 cp.async.bulk into an mbarrier
//   3 wgmma, A and B from shared       4 wgmma, A from registers (as attn's PV)
//   5 setmaxnreg dec / inc             6 TMA tensor load (cp.async.bulk.tensor)
//   7 6 after prefetch.param.tensormap and prefetch.tensormap (as attn)
//   8 6 as a 4d copy (as attn)         9 6 issued by elect.sync (as attn)
//  10 mbarrier phases flipping over 100 rounds of bulk copies
//  11 227 KB of dynamic shared memory (attn's sm_90a kernel takes ~225 KB)
//  12 probe 6 with a 128-byte swizzled tensor map (attn's)
//  13 wgmma on 128-byte swizzled operands (attn's)
// A diagnostic of the tool, not attn code:
//   nvcc -gencode arch=compute_90a,code=sm_90a -o probe probe.cu -lcuda
//   ./probe N; compute-sanitizer --tool synccheck ./probe N
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <cudaTypedefs.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

__device__ __forceinline__ unsigned smem(const void *p) {
  return (unsigned)__cvta_generic_to_shared(p);
}
__device__ __forceinline__ void mbarInit(unsigned bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count)
               : "memory");
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
}
__device__ __forceinline__ void mbarWait(unsigned bar, unsigned parity) {
  unsigned ok = 0;
  while (!ok)
    asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 "
                 "p, [%1], %2; selp.u32 %0, 1, 0, p; }"
                 : "=r"(ok)
                 : "r"(bar), "r"(parity)
                 : "memory");
}
__device__ __forceinline__ void expectTx(unsigned bar, unsigned bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar),
               "r"(bytes)
               : "memory");
}

// `bytes` from `src` into shared `dst`, completing on mbarrier `bar`.
__device__ __forceinline__ void bulkCopy(unsigned dst, const void *src,
                                         unsigned bytes, unsigned bar) {
  expectTx(bar, bytes);
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::"
               "bytes [%0], [%1], %2, [%3];" ::"r"(dst),
               "l"(src), "r"(bytes), "r"(bar)
               : "memory");
}

__global__ void kMbarrier(int *out) {
  __shared__ __align__(8) uint64_t bar;
  unsigned b = smem(&bar);
  if (threadIdx.x == 0)
    mbarInit(b, blockDim.x);
  __syncthreads();
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(b) : "memory");
  mbarWait(b, 0);
  out[threadIdx.x] = 1;
}

__global__ void kBulk(const int *src, int *out) {
  __shared__ __align__(128) int buf[256];
  __shared__ __align__(8) uint64_t bar;
  unsigned b = smem(&bar);
  if (threadIdx.x == 0)
    mbarInit(b, 1);
  __syncthreads();
  if (threadIdx.x == 0)
    bulkCopy(smem(buf), src, sizeof(buf), b);
  mbarWait(b, 0);
  out[threadIdx.x] = buf[threadIdx.x] == (int)threadIdx.x;
}

// Shared-memory matrix descriptor, no swizzle: 8x8 core matrices of 128
// bytes, LBO (next core matrix along K) 128, SBO (next 8 rows) 256.
__device__ __forceinline__ uint64_t descriptor(unsigned addr) {
  return (uint64_t)((addr >> 4) & 0x3FFF) | ((uint64_t)(128 >> 4) << 16) |
         ((uint64_t)(256 >> 4) << 32);
}

// D [64 x 64] = A [64 x 16] B [16 x 64], all ones: every element is 16.
// registerA: A from registers; swizzled: 128-byte swizzle descriptors
// (8 rows of 128 bytes per atom, SBO 1024), operands padded to that.
__global__ void kWgmma(int *out, int registerA, int swizzled) {
  __shared__ __align__(1024) __nv_bfloat16 a[64 * 64], bm[64 * 64];
  for (int i = threadIdx.x; i < 64 * 64; i += blockDim.x)
    a[i] = bm[i] = __float2bfloat16(1.0f);
  __syncthreads();
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  float d[32];
  for (int i = 0; i < 32; ++i)
    d[i] = 0.0f;
  uint64_t da = descriptor(smem(a)), db = descriptor(smem(bm));
  if (swizzled) {
    auto sw = [](unsigned addr) {
      return (uint64_t)((addr >> 4) & 0x3FFF) | ((uint64_t)1 << 16) |
             ((uint64_t)(1024 >> 4) << 32) | ((uint64_t)1 << 62);
    };
    da = sw(smem(a));
    db = sw(smem(bm));
  }
  unsigned one = 0x3F803F80u; // two bf16 ones
  asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
  if (registerA)
    asm volatile("{ .reg .pred p; setp.ne.b32 p, 0, 0; "
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
                 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, {%32, %33, %34, %35}, %36, p, 1, 1, 0; }"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "r"(one), "r"(one), "r"(one), "r"(one), "l"(db)
                 : "memory");
  else
    asm volatile("{ .reg .pred p; setp.ne.b32 p, 0, 0; "
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
                 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}, %32, %33, p, 1, 1, 0, 0; }"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
                 : "l"(da), "l"(db)
                 : "memory");
  asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
  asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
  int ok = 1;
  for (int i = 0; i < 32; ++i)
    ok &= d[i] == 16.0f;
  out[threadIdx.x] = ok;
}

// 100 rounds: thread 0 copies, everyone waits on parity round % 2, then a
// block barrier before the buffer is reused.
__global__ void kPhases(const int *src, int *out) {
  __shared__ __align__(128) int buf[256];
  __shared__ __align__(8) uint64_t bar;
  unsigned b = smem(&bar);
  if (threadIdx.x == 0)
    mbarInit(b, 1);
  __syncthreads();
  int ok = 1;
  for (int round = 0; round < 100; ++round) {
    if (threadIdx.x == 0)
      bulkCopy(smem(buf), src, sizeof(buf), b);
    mbarWait(b, round % 2);
    ok &= buf[threadIdx.x] == (int)threadIdx.x;
    __syncthreads();
  }
  out[threadIdx.x] = ok;
}

__global__ void kBigShared(int *out) {
  extern __shared__ __align__(16) int dyn[];
  const int n = 227 * 1024 / 4;
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    dyn[i] = i;
  __syncthreads();
  int ok = 1;
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    ok &= dyn[n - 1 - i] == n - 1 - i;
  out[threadIdx.x] = ok;
}

__global__ void __launch_bounds__(256, 1) kSetMaxNReg(int *out) {
  if (threadIdx.x < 128)
    asm volatile("setmaxnreg.dec.sync.aligned.u32 40;" ::: "memory");
  else
    asm volatile("setmaxnreg.inc.sync.aligned.u32 232;" ::: "memory");
  out[threadIdx.x] = 1;
}

// variant: 0 plain, 1 with the tensor-map prefetches, 2 a 4d copy, 3 the
// copy issued by the lane elect.sync picks in warp 0, 4 a swizzled map.
__global__ void kTma(const __grid_constant__ CUtensorMap map, int *out,
                     int variant) {
  __shared__ __align__(1024) __nv_bfloat16 tile[64 * 64];
  __shared__ __align__(8) uint64_t bar;
  unsigned b = smem(&bar);
  if (variant == 1) {
    // attn's PTX prefetches the map by its param-space address and by its
    // generic one (cvta.param of it).
    asm volatile("{ .reg .b64 a; cvta.to.param.u64 a, %0; "
                 "prefetch.param.tensormap [a]; }" ::"l"(&map)
                 : "memory");
    asm volatile("prefetch.tensormap [%0];" ::"l"(&map) : "memory");
  }
  if (threadIdx.x == 0)
    mbarInit(b, 1);
  __syncthreads();
  unsigned issue = threadIdx.x == 0;
  if (variant == 3) {
    issue = 0;
    if (threadIdx.x < 32)
      asm volatile("{ .reg .pred p; elect.sync _|p, -1; selp.u32 %0, 1, 0, p; }"
                   : "=r"(issue));
  }
  if (issue) {
    expectTx(b, sizeof(tile));
    if (variant == 2)
      asm volatile("cp.async.bulk.tensor.4d.shared::cluster.global.tile."
                   "mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %2, %2}], "
                   "[%4];" ::"r"(smem(tile)),
                   "l"(&map), "r"(0), "r"(0), "r"(b)
                   : "memory");
    else
      asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::"
                   "complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(smem(tile)),
                   "l"(&map), "r"(0), "r"(0), "r"(b)
                   : "memory");
  }
  mbarWait(b, 0);
  // Element p of row r holds column p; with the 128-byte swizzle (variant
  // 4) its 16-byte chunk is chunk (p / 8) ^ (r % 8) of the row.
  int r = threadIdx.x / 64, p = threadIdx.x % 64;
  int col = variant == 4 ? ((p / 8) ^ (r % 8)) * 8 + p % 8 : p;
  out[threadIdx.x] = __bfloat162float(tile[threadIdx.x]) == (float)col;
}

#define CHECK(x)                                                               \
  do {                                                                         \
    cudaError_t e = (x);                                                       \
    if (e != cudaSuccess) {                                                    \
      printf("probe %d: %s: %s\n", probe, #x, cudaGetErrorString(e));          \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(int argc, char **argv) {
  int probe = argc > 1 ? atoi(argv[1]) : 0;
  const char *names[] = {"",           "mbarrier",   "bulk copy",
                         "wgmma SS",   "wgmma RS",   "setmaxnreg",
                         "TMA tensor", "TMA + tensormap prefetch",
                         "TMA 4d",     "TMA by elect.sync",
                         "mbarrier phases", "227 KB shared",
                         "TMA 128B swizzle", "wgmma 128B swizzle"};
  if (probe < 1 || probe > 13) {
    printf("usage: probe 1..13\n");
    return 2;
  }
  int *out, *src;
  CHECK(cudaMalloc(&out, 256 * sizeof(int)));
  CHECK(cudaMemset(out, 0, 256 * sizeof(int)));
  int host[256];
  for (int i = 0; i < 256; ++i)
    host[i] = i;
  CHECK(cudaMalloc(&src, sizeof(host)));
  CHECK(cudaMemcpy(src, host, sizeof(host), cudaMemcpyHostToDevice));
  int threads = 128;
  switch (probe) {
  case 1: kMbarrier<<<1, 128>>>(out); break;
  case 2: threads = 256; kBulk<<<1, 256>>>(src, out); break;
  case 3: kWgmma<<<1, 128>>>(out, 0, 0); break;
  case 4: kWgmma<<<1, 128>>>(out, 1, 0); break;
  case 13: kWgmma<<<1, 128>>>(out, 0, 1); break;
  case 5: threads = 256; kSetMaxNReg<<<1, 256>>>(out); break;
  case 10: threads = 256; kPhases<<<1, 256>>>(src, out); break;
  case 11:
    CHECK(cudaFuncSetAttribute(kBigShared,
                               cudaFuncAttributeMaxDynamicSharedMemorySize,
                               227 * 1024));
    kBigShared<<<1, 128, 227 * 1024>>>(out);
    break;
  case 6: case 7: case 8: case 9: case 12: {
    __nv_bfloat16 h[64 * 64];
    for (int i = 0; i < 64 * 64; ++i)
      h[i] = __float2bfloat16((float)(i % 64));
    void *g;
    CHECK(cudaMalloc(&g, sizeof(h)));
    CHECK(cudaMemcpy(g, h, sizeof(h), cudaMemcpyHostToDevice));
    PFN_cuTensorMapEncodeTiled_v12000 encode;
    cudaDriverEntryPointQueryResult q;
    CHECK(cudaGetDriverEntryPoint("cuTensorMapEncodeTiled", (void **)&encode,
                                  cudaEnableDefault, &q));
    CUtensorMap map;
    // 4d for probe 8: [1, 1, 64, 64] (innermost first: 64, 64, 1, 1).
    cuuint64_t dims[4] = {64, 64, 1, 1},
               strides[3] = {64 * 2, 64 * 64 * 2, 64 * 64 * 2};
    cuuint32_t box[4] = {64, 64, 1, 1}, elem[4] = {1, 1, 1, 1};
    CUresult r = encode(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
                        probe == 8 ? 4 : 2, g, dims,
                        strides, box, elem, CU_TENSOR_MAP_INTERLEAVE_NONE,
                        probe == 12 ? CU_TENSOR_MAP_SWIZZLE_128B
                                    : CU_TENSOR_MAP_SWIZZLE_NONE,
                        CU_TENSOR_MAP_L2_PROMOTION_NONE,
                        CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
    if (r != CUDA_SUCCESS) {
      printf("probe %d: cuTensorMapEncodeTiled failed: %d\n", probe, (int)r);
      return 1;
    }
    kTma<<<1, 128>>>(map, out, probe == 12 ? 4 : probe - 6);
    break;
  }
  }
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());
  CHECK(cudaMemcpy(host, out, sizeof(host), cudaMemcpyDeviceToHost));
  int good = 0;
  for (int i = 0; i < threads; ++i)
    good += host[i] == 1;
  printf("probe %d (%s): %s (%d of %d threads right)\n", probe, names[probe],
         good == threads ? "ok" : "WRONG", good, threads);
  return good == threads ? 0 : 1;
}
