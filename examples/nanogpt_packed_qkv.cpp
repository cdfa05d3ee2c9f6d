//===- nanogpt_packed_qkv.cpp - nanoGPT's CausalSelfAttention, packed QKV -===//
//
// nanoGPT's CausalSelfAttention forward, with attn for the attention:
//
//   q, k, v = self.c_attn(x).split(n_embd, dim=2)       # x: [B, T, C]
//   q = q.view(B, T, nh, hd).transpose(1, 2)             # k, v likewise
//   y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
//   y = y.transpose(1, 2).contiguous().view(B, T, C)
//   y = self.c_proj(y)
//
// c_attn writes one [B, T, 3C] buffer. Its q, k and v are strided views
// in the BSHD layout ([B, T, nh, hd] with row stride 3C), handed to the
// kernel as they are: no split, no transpose, no copy. The BSHD output is
// [B, T, nh, hd], which is y's [B, T, C] already. The linear layers are
// plain loops here (random weights, bf16 storage, f32 sums); the attention
// is checked against the fp64 reference of contiguous copies of q, k, v.
//
//===----------------------------------------------------------------------===//

#include "attn/HostTensor.h"
#include "attn/JIT.h"
#include "attn/Reference.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <random>

using namespace attn;

static int report(llvm::Error e) {
  llvm::errs() << "error: " << llvm::toString(std::move(e)) << "\n";
  return 1;
}

/// out[r, :] = in[r, :] W^T + bias for rows r, W [n, m] (nn.Linear).
static void linear(const HostTensor &in, int64_t rows, int64_t m,
                   const std::vector<float> &w, const std::vector<float> &bias,
                   HostTensor &out, int64_t n) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias[j];
      for (int64_t i = 0; i < m; ++i)
        acc += in.get(r * m + i) * w[j * m + i];
      out.set(r * n + j, acc);
    }
}

int main() {
  const int64_t B = 2, T = 100, nh = 6, hd = 64, C = nh * hd;
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto randomVector = [&](int64_t n, float scale) {
    std::vector<float> v(n);
    for (float &x : v)
      x = normal(rng) * scale;
    return v;
  };
  HostTensor x(DType::BF16, {B, T, C});
  for (int64_t e = 0; e < x.numElements(); ++e)
    x.set(e, normal(rng));
  const float ws = 1.0f / std::sqrt(static_cast<float>(C));
  std::vector<float> wAttn = randomVector(3 * C * C, ws),
                     bAttn = randomVector(3 * C, 0.02f),
                     wProj = randomVector(C * C, ws),
                     bProj = randomVector(C, 0.02f);

  // c_attn: one [B, T, 3C] buffer.
  HostTensor qkv(DType::BF16, {B, T, 3 * C});
  linear(x, B * T, C, wAttn, bAttn, qkv, 3 * C);

  // The causal spec over BSHD views, its dims fixed (B, T dynamic).
  AttentionSpec spec;
  spec.dims.qHeads = spec.dims.kvHeads = nh;
  spec.dims.headDim = spec.dims.valueDim = hd;
  spec.elementType = ElementType::BF16;
  spec.layout = Layout::BSHD;
  spec.causal = Causal::BottomRight;
  JIT jit;
  auto kernel = jit.compile(spec, Target::CPU);
  if (!kernel)
    return report(kernel.takeError());

  // q, k, v: views of qkv at column offsets 0, C and 2C.
  std::vector<TensorRef> views;
  char *base = reinterpret_cast<char *>(qkv.bytes.data());
  for (int64_t which = 0; which < 3; ++which) {
    TensorRef r;
    r.data = base + which * C * sizeOf(DType::BF16);
    r.dtype = DType::BF16;
    r.shape = {B, T, nh, hd};
    r.strides = {T * 3 * C, 3 * C, hd, 1};
    views.push_back(r);
  }
  HostTensor y(DType::BF16, {B, T, nh, hd}); // = [B, T, C]
  y.poison();
  if (llvm::Error e = (*kernel)->run(views, {y.ref()}))
    return report(std::move(e));

  // The reference: contiguous copies of the three views.
  std::vector<HostTensor> copies;
  for (int64_t which = 0; which < 3; ++which) {
    HostTensor c(DType::BF16, {B, T, nh, hd});
    for (int64_t bt = 0; bt < B * T; ++bt)
      for (int64_t e = 0; e < C; ++e)
        c.set(bt * C + e, qkv.get(bt * 3 * C + which * C + e));
    copies.push_back(std::move(c));
  }
  auto want = referenceAttention(
      spec, referenceInputs((*kernel)->arguments(), copies));
  if (!want)
    return report(want.takeError());
  ErrorStats err = compare(y, want->out);
  bool ok = !err.nan && err.maxRel <= 1e-2;

  // c_proj on y as it came out.
  HostTensor out(DType::BF16, {B, T, C});
  linear(y, B * T, C, wProj, bProj, out, C);
  double norm = 0;
  for (int64_t e = 0; e < out.numElements(); ++e)
    norm += out.get(e) * out.get(e);
  llvm::outs() << "nanoGPT CausalSelfAttention B=" << B << " T=" << T
               << " n_head=" << nh << " n_embd=" << C
               << ": q, k, v read in place from c_attn's buffer; attention "
               << "max rel err " << llvm::format("%.2e", err.maxRel)
               << " vs fp64, |c_proj(y)| = "
               << llvm::format("%.3f", std::sqrt(norm)) << " "
               << (ok ? "ok" : "FAILED") << "\n";
  return ok ? 0 : 1;
}
