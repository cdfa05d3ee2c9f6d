/*===- CAPITest.c - the C interface, compiled as C ----------------------===*\
|*                                                                          *|
|* attn-c/attn.h must be plain C: this file is C11. It compiles a spec from *|
|* the struct and from text, runs it, checks the result against the fp64   *|
|* reference entry point and an independent scalar loop, and checks that   *|
|* bad calls fail with a message instead of crashing.                      *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#include "attn-c/attn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: expected %s: ", __FILE__, __LINE__, #cond);      \
      fprintf(stderr, __VA_ARGS__);                                            \
      fprintf(stderr, "\n");                                                   \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

enum { B = 2, H = 3, LQ = 5, LK = 7, D = 16 };

static double random01(unsigned *state) {
  *state = *state * 1103515245u + 12345u;
  return ((*state >> 8) & 0xffff) / 65536.0;
}

/* Causal (bottom-right) softmax attention of one row, in double. */
static double expected(const float *q, const float *k, const float *v,
                       int b, int h, int i, int y) {
  double scores[LK], mx = -INFINITY, sum = 0, out = 0;
  int last = i + (LK - LQ); /* bottom-right: query i sees keys <= i + off */
  for (int j = 0; j <= last; ++j) {
    double s = 0;
    for (int d = 0; d < D; ++d)
      s += (double)q[((b * H + h) * LQ + i) * D + d] *
           k[((b * H + h) * LK + j) * D + d];
    scores[j] = s / sqrt((double)D);
    if (scores[j] > mx)
      mx = scores[j];
  }
  for (int j = 0; j <= last; ++j)
    sum += exp(scores[j] - mx);
  for (int j = 0; j <= last; ++j)
    out += exp(scores[j] - mx) / sum * v[((b * H + h) * LK + j) * D + y];
  return out;
}

int main(void) {
  EXPECT(attn_c_api_version() == ATTN_C_API_VERSION, "version %d",
         attn_c_api_version());
  attn_jit *jit = attn_jit_create();
  char *error = NULL;

  attn_attention_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.dims.batch = ATTN_DYNAMIC;
  spec.dims.q_heads = spec.dims.kv_heads = H;
  spec.dims.q_len = spec.dims.kv_len = ATTN_DYNAMIC;
  spec.dims.head_dim = spec.dims.value_dim = D;
  spec.element_type = ATTN_F32;
  spec.causal = ATTN_CAUSAL_BOTTOM_RIGHT;
  attn_kernel *kernel =
      attn_jit_compile_attention(jit, &spec, "cpu", NULL, &error);
  EXPECT(kernel != NULL, "%s", error ? error : "");
  attn_string_free(error);
  error = NULL;
  if (!kernel)
    return 1;
  EXPECT(attn_kernel_num_arguments(kernel) == 3, "%d",
         attn_kernel_num_arguments(kernel));
  EXPECT(attn_kernel_num_results(kernel) == 1, "%d",
         attn_kernel_num_results(kernel));
  EXPECT(attn_kernel_result_dtype(kernel, 0) == ATTN_F32, "");
  EXPECT(attn_kernel_result_rank(kernel, 0) == 4, "");
  EXPECT(attn_kernel_result_rank(kernel, 7) == -1, "out of range");

  static float q[B * H * LQ * D], k[B * H * LK * D], v[B * H * LK * D],
      o[B * H * LQ * D];
  unsigned state = 7;
  for (int i = 0; i < B * H * LQ * D; ++i)
    q[i] = (float)(random01(&state) * 2 - 1);
  for (int i = 0; i < B * H * LK * D; ++i) {
    k[i] = (float)(random01(&state) * 2 - 1);
    v[i] = (float)(random01(&state) * 2 - 1);
  }
  for (int i = 0; i < B * H * LQ * D; ++i)
    o[i] = NAN; /* poisoned: every element must be written */
  int64_t qShape[4] = {B, H, LQ, D}, kvShape[4] = {B, H, LK, D};
  attn_tensor args[3] = {{q, ATTN_HOST, ATTN_F32, 4, qShape, NULL},
                         {k, ATTN_HOST, ATTN_F32, 4, kvShape, NULL},
                         {v, ATTN_HOST, ATTN_F32, 4, kvShape, NULL}};
  attn_tensor result = {o, ATTN_HOST, ATTN_F32, 4, qShape, NULL};

  int64_t shape[4] = {0, 0, 0, 0};
  EXPECT(attn_kernel_result_shapes(kernel, args, 3, shape, &error) == 0, "%s",
         error ? error : "");
  EXPECT(shape[0] == B && shape[1] == H && shape[2] == LQ && shape[3] == D,
         "[%lld, %lld, %lld, %lld]", (long long)shape[0], (long long)shape[1],
         (long long)shape[2], (long long)shape[3]);

  EXPECT(attn_kernel_run(kernel, args, 3, &result, 1, NULL, &error) == 0,
         "%s", error ? error : "");
  double worst = 0;
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < H; ++h)
      for (int i = 0; i < LQ; ++i)
        for (int y = 0; y < D; ++y) {
          double got = o[((b * H + h) * LQ + i) * D + y];
          double err = fabs(got - expected(q, k, v, b, h, i, y));
          if (!(err <= worst)) /* NaN counts */
            worst = isnan(err) ? INFINITY : err;
        }
  EXPECT(worst < 1e-5, "max error %g", worst);

  /* The fp64 reference entry point agrees with the scalar loop. */
  static double qd[B * H * LQ * D], kd[B * H * LK * D], vd[B * H * LK * D],
      od[B * H * LQ * D];
  for (int i = 0; i < B * H * LQ * D; ++i)
    qd[i] = q[i];
  for (int i = 0; i < B * H * LK * D; ++i)
    kd[i] = k[i], vd[i] = v[i];
  attn_ref_tensor refArgs[3] = {
      {qd, 4, qShape}, {kd, 4, kvShape}, {vd, 4, kvShape}};
  EXPECT(attn_reference_attention(&spec, refArgs, 3, od, B * H * LQ * D, NULL,
                                  0, &error) == 0,
         "%s", error ? error : "");
  EXPECT(fabs(od[5] - expected(q, k, v, 0, 0, 0, 5)) < 1e-12, "%g vs %g",
         od[5], expected(q, k, v, 0, 0, 0, 5));
  EXPECT(attn_reference_attention(&spec, refArgs, 3, od, 4, NULL, 0,
                                  &error) != 0 &&
             error && strstr(error, "holds 4"),
         "a small output buffer: %s", error ? error : "(no message)");
  attn_string_free(error);
  error = NULL;

  /* Bad calls: an error and a message, nothing run. */
  int64_t badShape[4] = {B, H, LK, 8};
  attn_tensor bad[3] = {args[0], args[1], args[2]};
  bad[1].shape = badShape;
  EXPECT(attn_kernel_run(kernel, bad, 3, &result, 1, NULL, &error) != 0 &&
             error && strstr(error, "key"),
         "a wrong key shape: %s", error ? error : "(no message)");
  attn_string_free(error);
  error = NULL;
  bad[1] = args[1];
  bad[1].dtype = 42;
  EXPECT(attn_kernel_run(kernel, bad, 3, &result, 1, NULL, &error) != 0 &&
             error && strstr(error, "dtype"),
         "an unknown dtype: %s", error ? error : "(no message)");
  attn_string_free(error);
  error = NULL;
  bad[1] = args[1];
  bad[1].rank = 100;
  EXPECT(attn_kernel_run(kernel, bad, 3, &result, 1, NULL, &error) != 0 &&
             error && strstr(error, "rank"),
         "a huge rank: %s", error ? error : "(no message)");
  attn_string_free(error);
  error = NULL;
  EXPECT(attn_kernel_run(kernel, NULL, 3, &result, 1, NULL, &error) != 0,
         "null arguments");
  attn_string_free(error);
  error = NULL;
  EXPECT(attn_kernel_run(NULL, args, 3, &result, 1, NULL, NULL) != 0,
         "a null kernel (and no error pointer)");

  spec.element_type = 9;
  EXPECT(attn_jit_compile_attention(jit, &spec, "cpu", NULL, &error) == NULL &&
             error && strstr(error, "element_type 9"),
         "a bad element type: %s", error ? error : "(no message)");
  attn_string_free(error);
  error = NULL;
  spec.element_type = ATTN_F32;
  spec.dims.head_dim = ATTN_DYNAMIC;
  EXPECT(attn_jit_compile_attention(jit, &spec, "cpu", NULL, &error) == NULL &&
             error,
         "a dynamic head dim");
  attn_string_free(error);
  error = NULL;
  EXPECT(attn_jit_compile(jit, "func.func @f( {", NULL, "cpu", NULL,
                          &error) == NULL &&
             error,
         "text that does not parse");
  attn_string_free(error);
  error = NULL;
  EXPECT(attn_jit_compile(jit, "", NULL, "tpu", NULL, &error) == NULL &&
             error && strstr(error, "tpu"),
         "an unknown target: %s", error ? error : "(no message)");
  attn_string_free(error);
  error = NULL;

  /* The spec as text, compiled again from it: the same kernel (cached). */
  spec.dims.head_dim = D;
  char *text = attn_attention_spec_text(&spec, &error);
  EXPECT(text && strstr(text, "attn.attention"), "%s", error ? error : "");
  int64_t before = attn_jit_num_compilations(jit);
  attn_kernel *again = attn_jit_compile(jit, text, NULL, "cpu", NULL, &error);
  EXPECT(again != NULL, "%s", error ? error : "");
  EXPECT(attn_jit_num_compilations(jit) == before, "compiled again");
  attn_string_free(text);
  attn_kernel_destroy(again);

  attn_kernel_destroy(kernel);
  attn_jit_destroy(jit);
  if (failures)
    fprintf(stderr, "%d failure(s)\n", failures);
  else
    printf("CAPITest: all checks passed\n");
  return failures ? 1 : 0;
}
