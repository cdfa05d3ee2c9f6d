/*===- attn.h - the C interface of attn's JIT -------------------*- C -*-===*\
|*                                                                          *|
|* A small, stable C ABI over attn::JIT (attn/JIT.h) for foreign callers:   *|
|* the Python package (python/attn, through ctypes) and anything else that   *|
|* cannot link C++. Specs come in as MLIR text or as the plain structs below *|
|* (built into IR by the same C++ builder as the C++ API); tensors as       *|
|* pointers with shape and strides in elements. Every failure returns NULL  *|
|* or non-zero and, where `error` is given, a message the caller frees with *|
|* attn_string_free. Nothing here aborts on bad input.                      *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_ATTN_H
#define ATTN_C_ATTN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct or signature below changes. */
#define ATTN_C_API_VERSION 2

/* A dim that binds at run time (the spec's `?`). */
#define ATTN_DYNAMIC INT64_MIN

typedef struct attn_jit attn_jit;
typedef struct attn_kernel attn_kernel;

enum attn_dtype {
  ATTN_F32 = 0,
  ATTN_F16 = 1,
  ATTN_BF16 = 2,
  ATTN_I32 = 3,
  ATTN_I64 = 4,
  ATTN_BOOL = 5 /* one byte per element */
};
enum attn_memory { ATTN_HOST = 0, ATTN_DEVICE = 1 /* a CUDA pointer */ };
enum attn_layout { ATTN_BHSD = 0, ATTN_BSHD = 1 };
enum attn_causal {
  ATTN_CAUSAL_NONE = 0,
  ATTN_CAUSAL_BOTTOM_RIGHT = 1,
  ATTN_CAUSAL_TOP_LEFT = 2
};
enum attn_rotary {
  ATTN_ROTARY_NONE = 0,
  ATTN_ROTARY_HALF_SPLIT = 1, /* rotate_half: LLaMA, GPT-NeoX */
  ATTN_ROTARY_INTERLEAVED = 2 /* GPT-J */
};
enum attn_feature_map {
  ATTN_ELU_PLUS_ONE = 0,
  ATTN_RELU = 1,
  ATTN_FAVOR_PLUS = 2,
  ATTN_SOFTMAX_MAP = 3
};

/* A caller-owned tensor. `strides` in elements; NULL: row-major. */
typedef struct {
  void *data;
  int32_t memory; /* enum attn_memory */
  int32_t dtype;  /* enum attn_dtype */
  int32_t rank;
  const int64_t *shape;
  const int64_t *strides;
} attn_tensor;

/* Logical dims; ATTN_DYNAMIC where unknown. head_dim and value_dim must be
 * static. Q [B, Hq, Lq, D], K [B, Hkv, Lk, D], V [B, Hkv, Lk, Dv]. */
typedef struct {
  int64_t batch, q_heads, kv_heads, q_len, kv_len, head_dim, value_dim;
} attn_dims;

/* Softmax attention (attn.attention). The kernel's arguments, in order:
 * q, k, v, [bias], [mask], [kv_lengths], [doc_q, doc_k], [global_tokens];
 * results: o [, lse]. */
typedef struct {
  attn_dims dims;
  int32_t element_type; /* ATTN_F32, ATTN_F16 or ATTN_BF16 */
  int32_t layout;       /* enum attn_layout */
  int32_t causal;       /* enum attn_causal */
  int32_t has_scale;    /* else 1/sqrt(D) */
  double scale;
  int32_t has_window;
  int64_t window_left, window_right;
  int32_t has_bias; /* additive bias [B, H, Lq, Lk]; broadcast dims are 1 */
  uint8_t bias_broadcast[4];
  int32_t has_mask; /* boolean mask, same shape rules */
  uint8_t mask_broadcast[4];
  int32_t key_padding;   /* kv_lengths [B] i32 */
  int32_t documents;     /* doc_q [B, Lq], doc_k [B, Lk] i32 */
  int32_t global_tokens; /* global_tokens [B, L] bool; needs a window */
  int32_t return_lse;    /* second result [B, Hq, Lq] f32 */
  /* Rotary embeddings of q and k (enum attn_rotary): the first rotary_dim
   * elements of each row turn by pos * rotary_theta^(-2f / rotary_dim);
   * keys at 0 .. Lk - 1, queries at Lk - Lq .. Lk - 1. */
  int32_t rotary;
  int64_t rotary_dim;
  double rotary_theta;
} attn_attention_spec;

/* Linear attention (attn.linear_attention): q, k, v, [projection [m, D]]. */
typedef struct {
  attn_dims dims;
  int32_t element_type;
  int32_t layout;
  int32_t feature_map; /* enum attn_feature_map */
  int32_t causal;      /* 0 or 1 */
  int64_t num_random_features; /* m of the projection, 0 for none */
  int32_t has_eps;
  double eps;
  int32_t has_kernel_eps;
  double kernel_eps;
  int64_t local_heads, local_window; /* Performer's mixed heads */
} attn_linear_attention_spec;

int32_t attn_c_api_version(void);
/* Frees a message returned through an `error` argument. */
void attn_string_free(char *s);

attn_jit *attn_jit_create(void);
/* Destroy before the process exits (LLVM's globals must outlive it). */
void attn_jit_destroy(attn_jit *jit);
/* How many compilations ran (cache misses). */
int64_t attn_jit_num_compilations(const attn_jit *jit);
/* How many of those loaded CPU code an earlier process left in the disk
 * cache ($ATTN_CACHE_DIR, else $XDG_CACHE_HOME/attn or ~/.cache/attn;
 * ATTN_CACHE_DIR=off disables it). */
int64_t attn_jit_num_disk_cache_hits(const attn_jit *jit);

/* target: "cpu" or "cuda"; cpu_name: an LLVM CPU for the cpu target
 * (NULL or "": the host). func_name: NULL or "" for the only function. */
attn_kernel *attn_jit_compile(attn_jit *jit, const char *mlir_text,
                              const char *func_name, const char *target,
                              const char *cpu_name, char **error);
attn_kernel *attn_jit_compile_attention(attn_jit *jit,
                                        const attn_attention_spec *spec,
                                        const char *target,
                                        const char *cpu_name, char **error);
attn_kernel *attn_jit_compile_linear_attention(
    attn_jit *jit, const attn_linear_attention_spec *spec, const char *target,
    const char *cpu_name, char **error);
/* MLIR text of a spec as the C++ builder writes it (the caller frees it). */
char *attn_attention_spec_text(const attn_attention_spec *spec, char **error);

void attn_kernel_destroy(attn_kernel *kernel);
int32_t attn_kernel_num_arguments(const attn_kernel *kernel);
int32_t attn_kernel_num_results(const attn_kernel *kernel);
/* dtype and rank of argument / result i; -1 if i is out of range. */
int32_t attn_kernel_argument_dtype(const attn_kernel *kernel, int32_t i);
int32_t attn_kernel_argument_rank(const attn_kernel *kernel, int32_t i);
int32_t attn_kernel_result_dtype(const attn_kernel *kernel, int32_t i);
int32_t attn_kernel_result_rank(const attn_kernel *kernel, int32_t i);
/* The shapes of the results for these arguments, checked against the spec:
 * result i's dims at shapes[offset_i ..], offset_i = sum of the earlier
 * results' ranks. Returns 0 on success. */
int32_t attn_kernel_result_shapes(attn_kernel *kernel, const attn_tensor *args,
                                  int32_t num_args, int64_t *shapes,
                                  char **error);
/* Runs on `args` writing `results` (checked first; nothing runs if any is
 * wrong). stream: a CUstream for device buffers, NULL for the default one.
 * Returns 0 on success. */
int32_t attn_kernel_run(attn_kernel *kernel, const attn_tensor *args,
                        int32_t num_args, const attn_tensor *results,
                        int32_t num_results, void *stream, char **error);

/* The fp64 reference (attn/Reference.h) for checking kernels from foreign
 * callers: operands as contiguous row-major doubles, in the kernel's
 * argument order. The outputs go to caller buffers of `*_capacity` doubles
 * (an error if they are too small): o in the spec's layout, lse
 * [B, Hq, Lq] (may be NULL without return_lse). Returns 0 on success. */
typedef struct {
  const double *data;
  int32_t rank;
  const int64_t *shape;
} attn_ref_tensor;

int32_t attn_reference_attention(const attn_attention_spec *spec,
                                 const attn_ref_tensor *args, int32_t num_args,
                                 double *out, int64_t out_capacity,
                                 double *lse, int64_t lse_capacity,
                                 char **error);
int32_t attn_reference_linear_attention(const attn_linear_attention_spec *spec,
                                        const attn_ref_tensor *args,
                                        int32_t num_args, double *out,
                                        int64_t out_capacity, char **error);

/* attn_kernel_run with the tensors packed into one int64 array, for
 * callers where building structs costs more than the call (ctypes): per
 * tensor, arguments first, then results:
 *   data, memory, dtype, rank, shape[rank], strides[rank]
 * num_words bounds the reads. Returns 0 on success. */
int32_t attn_kernel_run_packed(attn_kernel *kernel, const int64_t *words,
                               int64_t num_words, int32_t num_args,
                               int32_t num_results, void *stream,
                               char **error);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_C_ATTN_H */
