//===- LinearChunked.cpp - linear attention as a chunked scan on tensor cores//
//
// attn.linear_attention with any feature map on tensor cores: mma.sync
// m16n8k16 with bf16 operands and f32 accumulation (bf16 also for f16
// inputs: the state sums up to L products and would overflow f16's range).
// f32 inputs split every operand into a high and a low bf16 part (x = hi +
// lo, lo = x - bf16(x)) and take three products (hi hi + hi lo + lo hi:
// ~16 bits of each operand, relative errors ~1e-5, where tf32 would keep
// 10; "bf16x3"). Elementwise maps (elu+1, relu without a projection) are
// applied as Q and K are loaded; projected maps (FAVOR+, relu with a
// projection) are computed first by the feature kernels
// (FeatureMapKernel.cpp) into scratch (bf16; f32 for f32 inputs) that
// stands in for Q and K; the softmax map likewise (SoftmaxMapKernel.cpp).
// FAVOR+ keys come stabilized per 16-key tile and are brought to the max
// over all keys as they are staged (one scale per key, computed per chunk
// into shared memory).
//
// The sequence is cut into segments of whole chunks, chosen at launch
// (enough to fill the GPU's block slots when B x H does not), each cut
// into P units, and runs in three launches over scratch state entries
// [B, Hkv, segments, P, D, Dv + 1] (entry u = (u / P, u % P)):
//   states: block (unit, value tile, KV head, batch) sums phi(K)^T V and
//           z = sum phi(k) over its unit's keys into its entry;
//   scan:   entry u becomes the sum of entries 0..u;
//   output: block (segment, value tile, head, batch) starts from the keys
//           before its segment (causal; all keys non-causal) and runs the
//           segment's query chunks.
// Units exist for the state launch's balance: causal, only the keys before
// the last segment are summed, so with one unit per segment the state
// launch of two segments is a chain as long as the output's on half the
// blocks.
// With one segment, the first two launches are skipped (grid 0) and the
// output block sums those keys itself.
//
// A block owns `valueTile` (NV) value columns, W = chunk / 16 warps, warp w
// owning rows [16w, 16w + 16) of a chunk of C queries. The state S [D x NV]
// lives in f32 registers (its 16-row tiles spread over the warps) and, as
// bf16 for the next product, in shared memory; z is f32 in shared memory.
//
//   non-causal: per chunk O_c = phi(Q_c) S / (phi(Q_c) z + eps).
//   causal:     chunk c of queries sees the keys shifted by off = Lk - Lq;
//               O_c = [phi(Q_c) S + tril(phi(Q_c) phi(K_c)^T) V_c] / (...),
//               then S += phi(K_c)^T V_c.
//
// phi(K_c) and V_c are staged in shared memory as packed bf16 pairs (i32
// words, rows padded by 16 bytes so fragment loads hit distinct banks);
// phi(Q_c) goes into the A fragments. Keys and rows out of range are zero,
// so they add nothing to S, z or O.
//
// Prefetch (where the raw buffers fit two blocks per SM): the raw K, V (and
// Q) rows of chunk c + 1 are copied into shared memory with cp.async while
// chunk c computes, and staging reads them from there. Without it, every
// chunk step waited on its global loads twice (K/V staging, then Q): with
// two blocks of four warps per SM (250 registers a thread) nothing else
// hid that latency (ncu, H200: the top stalls sat on the bf16 unpacking of
// loaded rows).
//
// With the fragment layouts of MmaSyncBuilder.h, a C tile pair is the A
// operand of the next product without shuffles.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "MmaSyncBuilder.h"

#include "Attn/Transforms/FeatureMapMath.h"
#include "Attn/Transforms/MaskLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>
#include <functional>
#include <limits>
#include <numeric>
#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The multiple of 8 dividing `dv` (dv % 8 == 0) closest to `want`, the
/// larger on a tie, and at most `cap` (at least 8).
int64_t valueTileFor(int64_t dv, int64_t want, int64_t cap) {
  int64_t best = 8;
  for (int64_t nv = 8; nv <= std::min(dv, cap); nv += 8)
    if (dv % nv == 0 && std::abs(nv - want) <= std::abs(best - want))
      best = nv;
  return best;
}

/// The widest value tile whose state fragments fit 144 f32 registers per
/// thread (40 for split operands, whose query words, P and fragments take
/// twice the registers: the causal d128 output kernel spilled 376 bytes at
/// value tile 64): a warp owns ceil(D / 16 / W) 16-row tiles of S, each
/// NV / 8 + 1 (z) tiles of 4 registers.
int64_t valueTileCap(int64_t D, int64_t W, bool split) {
  const int64_t stateRegisters = split ? 40 : 144; // D = 128, chunk 64: 32, 64
  int64_t rowTiles = (D / 16 + W - 1) / W;
  return std::max<int64_t>((stateRegisters / (4 * rowTiles) - 1) * 8, 8);
}

/// f32 operands go through the tensor cores split in two bf16 parts.
bool splitOperands(LinearAttentionOp op) {
  return op.getQuery().getType().getElementType().isF32() ||
         op.getValue().getType().getElementType().isF32();
}

/// The element type of precomputed phi(Q) and phi(K): bf16, f32 where the
/// operands are split (bf16 would lose what the split keeps).
Type featureType(LinearAttentionOp op) {
  Builder b(op.getContext());
  return splitOperands(op) ? Type(b.getF32Type()) : Type(b.getBF16Type());
}

class ChunkedBuilder : MmaSyncBuilder {
public:
  /// `features`: phi(Q) and phi(K) come precomputed in BHSD buffers of
  /// that many features (0: Q and K themselves, the elementwise map
  /// applied on load). FAVOR+ features come with the keys' tile maxima as
  /// the kernels' last parameter (FeatureKernelMode::Keys).
  ChunkedBuilder(LinearAttentionOp op, OpBuilder &g,
                 const ChunkedLinearOptions &o, int64_t features = 0)
      : MmaSyncBuilder(g, op.getLoc()), op(op), layout(op.getLayout()),
        qkLayout(features ? Layout::bhsd : layout), mapped(features != 0),
        rescaleKeys(features && op.getFeatureMap() == FeatureMap::favor_plus),
        D(features ? features : op.getDims().headDim),
        Dv(op.getDims().valueDim), C(o.chunk), W(o.chunk / 16),
        split(splitOperands(op)),
        NV(valueTileFor(Dv, o.valueTile, valueTileCap(D, W, split))) {
    Builder b(op.getContext());
    qkElem = features ? featureType(op) : op.getQuery().getType().getElementType();
    vElem = op.getValue().getType().getElementType();
    // Raw rows are copied 16 bytes (8 elements) at a time; the buffers must
    // leave room for two blocks per SM (the kernel's occupancy anyway).
    prefetch = o.prefetch && qkElem.getIntOrFloatBitWidth() == 16 &&
               vElem.getIntOrFloatBitWidth() == 16;
    prefetch = prefetch && sharedBytes() <= kPrefetchSharedBytes;
  }

  int64_t valueTile() const { return NV; }
  int64_t threads() const { return 32 * W; }
  /// Value tiles per (head, batch).
  int64_t valueTiles() const { return Dv / NV; }
  /// Shared memory, carved from the dynamic allocation (above 48 KB at the
  /// default tiles, which static shared memory cannot hold). Rows are
  /// padded by 4 words (16 bytes) so fragment loads spread over the banks.
  /// Raw rows (prefetch) are padded by 8 elements (16 bytes) likewise: a
  /// quad's fragment reads of 8 rows then start in distinct banks.
  enum class Elem { i32, f32, qk, v };
  struct SharedArray {
    SmallVector<int64_t, 2> shape;
    Elem elem;
  };
  SmallVector<SharedArray> sharedArrays() const {
    SmallVector<SharedArray> arrays{
        {{C, D / 2 + 4}, Elem::i32},      // phi(K), bf16 pairs along d
        {{NV + 8, C / 2 + 4}, Elem::i32}, // V^T and the ones row for z
        {{NV, D / 2 + 4}, Elem::i32},     // S^T in bf16
        {{D}, Elem::f32}};                // z
    if (split) // the low parts of phi(K), V^T (and the ones row) and S^T
      arrays.append({{{C, D / 2 + 4}, Elem::i32},
                     {{NV + 8, C / 2 + 4}, Elem::i32},
                     {{NV, D / 2 + 4}, Elem::i32}});
    if (prefetch)
      arrays.append({{{C, D + 8}, Elem::qk},   // K rows of the next chunk
                     {{C, NV + 8}, Elem::v},   // V rows (this value tile)
                     {{C, D + 8}, Elem::qk}}); // Q rows (output kernel)
    if (rescaleKeys) // the chunk's key scales, then W slots of a reduction
      arrays.push_back({{C + 8}, Elem::f32});
    return arrays;
  }
  Type elemType(Elem e) const {
    Builder b(qkElem.getContext());
    if (e == Elem::i32)
      return b.getI32Type();
    if (e == Elem::f32)
      return b.getF32Type();
    return e == Elem::qk ? qkElem : vElem;
  }
  int64_t sharedBytes() const {
    int64_t bytes = 0;
    for (const SharedArray &a : sharedArrays())
      bytes += elemType(a.elem).getIntOrFloatBitWidth() / 8 *
               std::accumulate(a.shape.begin(), a.shape.end(), int64_t(1),
                               std::multiplies<int64_t>());
    return bytes;
  }
  /// The state kernel (q, k, v, state): block (segment, value tile) of
  /// (KV head, batch) sums phi(K)^T V and z over the segment's keys into
  /// its state entry.
  void buildStates(gpu::GPUFuncOp fn);
  /// The output kernel (q, k, v, state, out): block (segment, value tile)
  /// of (head, batch) starts from the scanned state of the keys before its
  /// segment and runs the segment's query chunks.
  void buildOutput(gpu::GPUFuncOp fn);

private:
  /// Threads of the block stride over [0, n).
  void strided(int64_t n, function_ref<void(Value)> body) {
    m.loop(tid, m.c(n), m.c(threads()), {}, [&](Value e, ValueRange) {
      body(e);
      return SmallVector<Value>{};
    });
  }
  /// Threads of the block take elements tid, tid + T, ... of [0, n):
  /// unrolled into straight-line code where T divides n (the loads of all
  /// iterations in flight together), a loop otherwise.
  void forThreads(int64_t n, function_ref<void(Value)> body) {
    if (n % threads())
      return strided(n, body);
    for (int64_t i = 0; i < n / threads(); ++i)
      body(m.add(tid, m.c(i * threads())));
  }
  void barrier() { gpu::BarrierOp::create(g, loc); }

  Value phi(Value x);
  /// a * b + c on two bf16 pairs packed in i32 words: PTX fma.rn.bf16x2
  /// (MLIR's lowering widens bf16 vector math to f32, which costs two
  /// conversions and a pack per word).
  Value fmaPairs(Value a, Value b, Value c) {
    Type i32 = g.getI32Type();
    return LLVM::InlineAsmOp::create(
               g, loc, i32, ValueRange{a, b, c}, "fma.rn.bf16x2 $0, $1, $2, $3;",
               "=r,r,r,r", /*has_side_effects=*/false,
               /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
               LLVM::AsmDialectAttr::get(g.getContext(),
                                         LLVM::AsmDialect::AD_ATT),
               ArrayAttr())
        .getResult(0);
  }
  Value loadKeyTileMax(Value ks);
  void storeKeyScale(Value tileMax);
  void setUp(gpu::GPUFuncOp fn, bool output);
  Value keyBoundary(Value chunk);
  Value unitStart(Value u);
  SmallVector<Value> sumKeys(Value lo, Value hiKey);
  SmallVector<Value> loadState(Value entry);
  void storeState(ValueRange S, Value entry);
  void issueChunk(Value when, Value ks, Value keyEnd, Value qs);
  void waitChunk();
  void stageChunk(Value ks, Value keyEnd);
  SmallVector<Value> queryWords(Value qs, bool fromQr);
  SmallVector<Value> updateState(ValueRange S);
  void writeState(ValueRange S);
  void outputChunk(Value qs, ArrayRef<Value> words, bool intra);
  /// acc[u] += A B_u at k step kk for the n tiles u = 0.. of B^T in `buf`
  /// from row n0 (bufLo: its low parts, split operands), by ldmatrix.
  void products(ArrayRef<Value> a, ArrayRef<Value> aLo, Value buf,
                Value bufLo, Value n0, int64_t kk, MutableArrayRef<Frag> acc);

  /// Two blocks per SM (227 KB) with the raw buffers.
  static constexpr int64_t kPrefetchSharedBytes = 113 * 1024;

  LinearAttentionOp op;
  Layout layout, qkLayout; ///< of V and O, of Q and K (or their features)
  bool mapped;             ///< Q and K hold phi already
  bool rescaleKeys;        ///< FAVOR+ keys: rescaled as they are staged
  const int64_t D, Dv, C, W;
  const bool split; ///< f32 operands: high and low bf16 parts (mmaSplit)
  const int64_t NV;
  Type qkElem, vElem; ///< stored element types of Q/K (or phi) and V
  bool prefetch = false;

  // Kernel values, set by setUp().
  Value q, k, v, state, out, bi, hi, kvh, col0, vt, seg, nSeg, P, cps, cpu,
      Lq, Lk,
      off, tid, warp, gq, tq;
  Value KsW, VtW, StW, zS, Kr, Vr, Qr; ///< Kr, Vr, Qr: prefetch only
  Value KsLo, VtLo, StLo;              ///< split only: the low parts
  Value KsH, KsLoH; ///< KsW and KsLo as bf16 [C, D + 8] (ldmatrix.trans)
  Value lane;
  /// rescaleKeys: the keys' tile maxima, the max over all of (bi, kvh), and
  /// the scales of the chunk's keys (then the reduction's slots).
  Value keyTileMax, keyMax, keyScaleS;
  int64_t mtPerWarp = 0;
};

Value ChunkedBuilder::phi(Value x) {
  if (mapped)
    return x;
  // relu without projection: max(D^-1/4 x, 0) + kernel_eps
  FeatureMapConstants k = featureMapConstants(op);
  if (k.map == FeatureMap::relu)
    x = arith::MulFOp::create(g, loc, f32(k.c), x);
  return featureValue(
      g, loc, k, [&](Value y) { return fastExp(g, loc, y); }, x);
}

/// FAVOR+: the max m_t of the 16-key tile that the keys kernel subtracted
/// from key ks + tid % C (clamped into range; -inf without keys). Loaded a
/// chunk ahead, at the top of a step, so that its latency overlaps the
/// step's staging; storeKeyScale() uses it once staging is done.
Value ChunkedBuilder::loadKeyTileMax(Value ks) {
  if (!rescaleKeys)
    return Value();
  Value key = m.add(ks, g.createOrFold<arith::RemUIOp>(loc, tid, m.c(C)));
  return ifElse(
      m.lt(m.c(0), Lk), {g.getF32Type()},
      [&]() -> SmallVector<Value> {
        Value at = m.min(m.max(key, m.c(0)), m.sub(Lk, m.c(1)));
        return {memref::LoadOp::create(
            g, loc, keyTileMax,
            ValueRange{bi, kvh, m.div(at, m.c(kKeyStabilizerRows))})};
      },
      [&]() -> SmallVector<Value> {
        return {f32(-std::numeric_limits<float>::infinity())};
      })[0];
}

/// keyScaleS[j] = exp(m_t - keyMax) for key ks + j, m_t from
/// loadKeyTileMax(ks). Called where keyScaleS is free (after the barrier
/// that ends a staging, before the one ahead of the next).
void ChunkedBuilder::storeKeyScale(Value tileMax) {
  if (!rescaleKeys)
    return;
  auto ifOp = scf::IfOp::create(g, loc, m.lt(tid, m.c(C)), false);
  OpBuilder::InsertionGuard guard(g);
  g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  Value s = fastExp(g, loc, arith::SubFOp::create(g, loc, tileMax, keyMax));
  memref::StoreOp::create(g, loc, s, keyScaleS, tid);
}

/// When `when` holds: cp.async of the raw rows of the chunk at keys ks
/// (K, and V's columns of this value tile) and, with `qs`, queries qs
/// into Kr, Vr and Qr, as one group. Rows are clamped into range (keys
/// to [0, keyEnd), queries to [0, Lq)), as staging reads them; no key is
/// read when keyEnd = 0.
void ChunkedBuilder::issueChunk(Value when, Value ks, Value keyEnd, Value qs) {
  auto ifOp = scf::IfOp::create(g, loc, when, false);
  OpBuilder::InsertionGuard guard(g);
  g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  auto copy8 = [&](Value src, ValueRange from, Value dst, ValueRange to) {
    nvgpu::DeviceAsyncCopyOp::create(
        g, loc, nvgpu::DeviceAsyncTokenType::get(g.getContext()), dst, to,
        src, from, g.getIndexAttr(8), Value(), g.getUnitAttr());
  };
  auto keys = scf::IfOp::create(g, loc, m.lt(m.c(0), keyEnd), false);
  {
    OpBuilder::InsertionGuard inner(g);
    g.setInsertionPoint(keys.thenBlock()->getTerminator());
    Value last = m.sub(keyEnd, m.c(1));
    auto keyAt = [&](Value j) {
      return m.min(m.max(m.add(ks, j), m.c(0)), last);
    };
    forThreads(C * D / 8, [&](Value e) {
      Value j = m.div(e, m.c(D / 8));
      Value d = m.mul(g.createOrFold<arith::RemUIOp>(loc, e, m.c(D / 8)),
                      m.c(8));
      copy8(k, storedIndex(qkLayout, bi, kvh, keyAt(j), d), Kr, {j, d});
    });
    forThreads(C * NV / 8, [&](Value e) {
      Value j = m.div(e, m.c(NV / 8));
      Value d = m.mul(g.createOrFold<arith::RemUIOp>(loc, e, m.c(NV / 8)),
                      m.c(8));
      copy8(v, storedIndex(layout, bi, kvh, keyAt(j), m.add(col0, d)), Vr,
            {j, d});
    });
  }
  if (qs) {
    Value last = m.sub(Lq, m.c(1));
    forThreads(C * D / 8, [&](Value e) {
      Value j = m.div(e, m.c(D / 8));
      Value d = m.mul(g.createOrFold<arith::RemUIOp>(loc, e, m.c(D / 8)),
                      m.c(8));
      Value r = m.min(m.add(qs, j), last);
      copy8(q, storedIndex(qkLayout, bi, hi, r, d), Qr, {j, d});
    });
  }
  // The group holds every copy this thread issued since the last one
  // (cp.async.commit_group); copies inside loops leave no token to list.
  nvgpu::DeviceAsyncCreateGroupOp::create(
      g, loc, nvgpu::DeviceAsyncTokenType::get(g.getContext()), ValueRange{});
}

/// Waits for this thread's copies (then a barrier makes everyone's
/// visible). The wait op takes a token: an empty group's.
void ChunkedBuilder::waitChunk() {
  Value none = nvgpu::DeviceAsyncCreateGroupOp::create(
      g, loc, nvgpu::DeviceAsyncTokenType::get(g.getContext()), ValueRange{});
  nvgpu::DeviceAsyncWaitOp::create(g, loc, none, g.getI32IntegerAttr(0));
}

/// phi(K) rows [ks, ks + C) into KsW[j][d / 2] and V's columns into
/// VtW[col][j / 2]; keys outside [0, keyEnd) are zero. Straight-line code
/// with clamped, unguarded 16-byte loads, so that a thread's loads are all
/// in flight at once (a branch per load serialized them on memory latency).
void ChunkedBuilder::stageChunk(Value ks, Value keyEnd) {
  const bool wordKeys = mapped && !split,
             wordValues = vElem.isBF16() && !split;
  auto stage = [&](bool load) {
    Value last = m.sub(keyEnd, m.c(1));
    /// Key j of the chunk: whether it is in range, and the row to read
    /// (clamped; prefetched rows are those of the clamped keys too).
    auto keyAt = [&](Value j) -> std::pair<Value, Value> {
      Value key = m.add(ks, j);
      return {m.andI(m.le(m.c(0), key), m.lt(key, keyEnd)),
              m.min(m.max(key, m.c(0)), last)};
    };
    /// The 8 elements of row `at` from column d of K (or of this value
    /// tile of V) as one vector, from the prefetched rows (row j) or memory.
    auto loadRow = [&](Value j, Value at, Value d, bool isKey) -> Value {
      Value buf = prefetch ? (isKey ? Kr : Vr) : isKey ? k : v;
      SmallVector<Value> idx =
          prefetch ? SmallVector<Value>{j, d}
          : isKey  ? storedIndex(qkLayout, bi, kvh, at, d)
                   : storedIndex(layout, bi, kvh, at, m.add(col0, d));
      Type elem = isKey ? qkElem : vElem;
      return vector::LoadOp::create(g, loc, VectorType::get({8}, elem), buf,
                                    idx, /*nontemporal=*/false,
                                    llvm::MaybeAlign(16));
    };
    /// FAVOR+ keys are stored as norm (exp(p - m_t) + eps_k); with s =
    /// exp(m_t - max) (keyScaleS[j]), phi = s stored + (1 - s) eps_k norm:
    /// (s, (1 - s) eps_k norm) for key j. Padded features (f >= m) become
    /// (1 - s) eps_k norm instead of 0: harmless, phi(Q) is 0 there.
    auto keyRescale = [&](Value j) -> std::pair<Value, Value> {
      FeatureMapConstants c = featureMapConstants(op);
      Value s = memref::LoadOp::create(g, loc, keyScaleS, j);
      return {s, arith::MulFOp::create(
                     g, loc, arith::SubFOp::create(g, loc, f32(1.0f), s),
                     f32(c.epsK * c.norm))};
    };
    /// 8 elements of key j as f32 (the elementwise map applied to keys,
    /// FAVOR+ keys rescaled); 0 for keys out of range, unless `keepAll`
    /// (the caller zeroes the packed words instead: half the selects).
    auto read8 = [&](Value j, Value d, bool isKey, bool keepAll = false) {
      SmallVector<Value> x(8, f32(0.0f));
      if (!load)
        return x;
      auto [ok, at] = keyAt(j);
      Value vec = loadRow(j, at, d, isKey);
      std::pair<Value, Value> rescale;
      if (isKey && rescaleKeys)
        rescale = keyRescale(j);
      for (int64_t i = 0; i < 8; ++i) {
        Value e = m.toF32(vector::ExtractOp::create(g, loc, vec, i));
        if (rescale.first)
          e = math::FmaOp::create(g, loc, rescale.first, e, rescale.second);
        x[i] = isKey ? phi(e) : e;
        if (!keepAll)
          x[i] = arith::SelectOp::create(g, loc, ok, x[i], f32(0.0f));
      }
      return x;
    };
    /// 8 bf16 of key j as the 4 words that hold them (pairs along the
    /// row), 0 for keys out of range: staging without conversions where
    /// the data needs no arithmetic (precomputed phi(K), bf16 V).
    auto readWords = [&](Value j, Value d, bool isKey) {
      SmallVector<Value> w(4, i32c(0));
      if (!load)
        return w;
      auto [ok, at] = keyAt(j);
      Value words = vector::BitCastOp::create(
          g, loc, VectorType::get({4}, g.getI32Type()),
          loadRow(j, at, d, isKey));
      Value scale, add; // FAVOR+ keys, as bf16 pairs: one bf16x2 FMA
      if (isKey && rescaleKeys) { // per word (s and the sum rounded to bf16)
        auto [sf, af] = keyRescale(j);
        scale = pack(sf, sf);
        add = pack(af, af);
      }
      for (int64_t i = 0; i < 4; ++i) {
        Value x = vector::ExtractOp::create(g, loc, words, i);
        if (scale)
          x = fmaPairs(x, scale, add);
        w[i] = arith::SelectOp::create(g, loc, ok, x, i32c(0));
      }
      return w;
    };
    forThreads(C * D / 8, [&](Value e) { // 8 elements of one key
      Value j = m.div(e, m.c(D / 8));
      Value seg = g.createOrFold<arith::RemUIOp>(loc, e, m.c(D / 8));
      Value d = m.mul(seg, m.c(8));
      SmallVector<Value> words, low;
      if (wordKeys) {
        words = readWords(j, d, /*isKey=*/true);
      } else {
        SmallVector<Value> x = read8(j, d, /*isKey=*/true, /*keepAll=*/true);
        Value ok = keyAt(j).first;
        auto orZero = [&](Value w) -> Value {
          return load ? arith::SelectOp::create(g, loc, ok, w, i32c(0)) : w;
        };
        for (int64_t i = 0; i < 4; ++i) {
          words.push_back(orZero(pack(x[2 * i], x[2 * i + 1])));
          if (split)
            low.push_back(orZero(packResidual(x[2 * i], x[2 * i + 1])));
        }
      }
      for (int64_t i = 0; i < 4; ++i) {
        SmallVector<Value, 2> at{j, m.add(m.mul(seg, m.c(4)), m.c(i))};
        memref::StoreOp::create(g, loc, words[i], KsW, at);
        if (split)
          memref::StoreOp::create(g, loc, low[i], KsLo, at);
      }
    });
    forThreads(C / 2 * NV / 8, [&](Value e) { // 8 columns of two keys
      Value jp = m.div(e, m.c(NV / 8));
      Value seg = g.createOrFold<arith::RemUIOp>(loc, e, m.c(NV / 8));
      Value j = m.mul(jp, m.c(2));
      Value d = m.mul(seg, m.c(8));
      // Word i: columns d + i of keys j (low half) and j + 1.
      SmallVector<Value> pairs, low;
      if (wordValues) {
        SmallVector<Value> w0 = readWords(j, d, false),
                           w1 = readWords(m.add(j, m.c(1)), d, false);
        Value lowHalf = i32c(0xFFFF), highHalf = i32c(-65536), sh = i32c(16);
        for (int64_t c = 0; c < 4; ++c) {
          pairs.push_back(arith::OrIOp::create(
              g, loc, arith::AndIOp::create(g, loc, w0[c], lowHalf),
              arith::ShLIOp::create(g, loc, w1[c], sh)));
          pairs.push_back(arith::OrIOp::create(
              g, loc, arith::ShRUIOp::create(g, loc, w0[c], sh),
              arith::AndIOp::create(g, loc, w1[c], highHalf)));
        }
      } else {
        SmallVector<Value> x0 = read8(j, d, false),
                           x1 = read8(m.add(j, m.c(1)), d, false);
        for (int64_t i = 0; i < 8; ++i) {
          pairs.push_back(pack(x0[i], x1[i]));
          if (split)
            low.push_back(packResidual(x0[i], x1[i]));
        }
      }
      for (int64_t i = 0; i < 8; ++i) {
        SmallVector<Value, 2> at{m.add(m.mul(seg, m.c(8)), m.c(i)), jp};
        memref::StoreOp::create(g, loc, pairs[i], VtW, at);
        if (split)
          memref::StoreOp::create(g, loc, low[i], VtLo, at);
      }
    });
  };
  // No key at all (causal, Lk = 0): zeros without touching K or V.
  auto ifOp = scf::IfOp::create(g, loc, m.lt(m.c(0), keyEnd), true);
  OpBuilder::InsertionGuard guard(g);
  g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  stage(true);
  g.setInsertionPoint(ifOp.elseBlock()->getTerminator());
  stage(false);
}

/// S += phi(K_c)^T V_c: warp w owns the 16-row tiles w, w + W, ... of S,
/// each NV / 8 column tiles plus z's. A = phi(K)^T is read across rows of
/// KsW: two words give one pair.
SmallVector<Value> ChunkedBuilder::updateState(ValueRange S) {
  const int64_t MT = D / 16, NT = NV / 8 + 1, per = NT * 4; // + z's tile
  SmallVector<Value> next;
  for (int64_t i = 0; i < mtPerWarp; ++i) {
    Value mt = m.add(warp, m.c(W * i));
    auto compute = [&]() -> SmallVector<Value> {
      SmallVector<Frag> acc(NT);
      for (int64_t nt = 0; nt < NT; ++nt)
        for (int64_t e = 0; e < 4; ++e)
          acc[nt][e] = S[i * per + nt * 4 + e];
      // A = phi(K_c)^T: rows d from 16 mt, transposed out of KsW.
      Value d0 = m.mul(mt, m.c(16));
      for (int64_t kk = 0; kk < C / 16; ++kk) {
        Value j0 = m.c(16 * kk);
        SmallVector<Value> a = aFragTransposed(KsH, d0, j0, lane), aLo;
        if (split)
          aLo = aFragTransposed(KsLoH, d0, j0, lane);
        products(a, aLo, VtW, VtLo, m.c(0), kk, acc);
      }
      SmallVector<Value> r;
      for (const Frag &f : acc)
        r.append(f.begin(), f.end());
      return r;
    };
    ValueRange mine = S.slice(i * per, per);
    if (MT % W == 0) {
      next.append(compute());
    } else {
      SmallVector<Type> types(per, g.getF32Type());
      next.append(ifElse(m.lt(mt, m.c(MT)), types, compute,
                         [&] { return SmallVector<Value>(mine); }));
    }
  }
  return next;
}

/// StW[col][d / 2] = bf16 pairs (S[d][col], S[d+1][col]) and zS = z (f32).
/// A thread holds (d, col) and (d, col + 1); lanes g and g ^ 1 swap one
/// value each so the even lane writes column col and the odd one col + 1.
void ChunkedBuilder::writeState(ValueRange S) {
  const int64_t MT = D / 16, NT = NV / 8, per = (NT + 1) * 4;
  Value odd = m.eq(g.createOrFold<arith::RemUIOp>(loc, gq, m.c(2)), m.c(1));
  for (int64_t i = 0; i < mtPerWarp; ++i) {
    Value mt = m.add(warp, m.c(W * i));
    auto write = [&] {
      Value word = m.add(m.mul(mt, m.c(8)), m.div(gq, m.c(2)));
      for (int64_t nt = 0; nt < NT; ++nt)
        for (int64_t h = 0; h < 2; ++h) { // rows d and d + 8
          Value c0 = S[i * per + nt * 4 + 2 * h],
                c1 = S[i * per + nt * 4 + 2 * h + 1];
          Value give = arith::SelectOp::create(g, loc, odd, c0, c1);
          Value got = gpu::ShuffleOp::create(g, loc, give, 4, 32,
                                             gpu::ShuffleMode::XOR)
                          .getShuffleResult();
          Value lo = arith::SelectOp::create(g, loc, odd, got, c0);
          Value hiV = arith::SelectOp::create(g, loc, odd, c1, got);
          Value col = m.add(m.add(m.c(8 * nt), m.mul(tq, m.c(2))),
                            arith::SelectOp::create(g, loc, odd, m.c(1), m.c(0)));
          SmallVector<Value, 2> at{col, m.add(word, m.c(4 * h))};
          memref::StoreOp::create(g, loc, pack(lo, hiV), StW, at);
          if (split)
            memref::StoreOp::create(g, loc, packResidual(lo, hiV), StLo, at);
        }
      // z[d] is column 0 of the last tile: c0 and c2 of the lanes t = 0.
      Value d = m.add(m.mul(mt, m.c(16)), gq);
      auto ifOp = scf::IfOp::create(g, loc, m.eq(tq, m.c(0)), false);
      OpBuilder::InsertionGuard guard(g);
      g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      memref::StoreOp::create(g, loc, S[i * per + NT * 4], zS, d);
      memref::StoreOp::create(g, loc, S[i * per + NT * 4 + 2], zS,
                              m.add(d, m.c(8)));
    };
    if (MT % W == 0) {
      write();
    } else {
      auto ifOp = scf::IfOp::create(g, loc, m.lt(mt, m.c(MT)), false);
      OpBuilder::InsertionGuard guard(g);
      g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      write();
    }
  }
}

/// The A fragments of phi(Q) for this warp's rows 16w + g and + 8 of the
/// chunk at qs: per row, words (d = 16kk + 2t, +8) for each kk, the first
/// row's 2 D / 16 words then the second's, from Q or (`fromQr`) the
/// prefetched rows. Rows past Lq read row Lq - 1 (Lq > 0 inside the loop):
/// they reach only their own output rows, which are not stored. Split
/// operands: the low parts' words follow, likewise.
SmallVector<Value> ChunkedBuilder::queryWords(Value qs, bool fromQr) {
  const int64_t KT = D / 16;
  SmallVector<Value> w, low;
  for (int64_t half = 0; half < 2; ++half) {
    Value j = m.add(m.add(m.mul(warp, m.c(16)), gq), m.c(8 * half));
    Value at = m.min(m.add(qs, j), m.sub(Lq, m.c(1)));
    for (int64_t kk = 0; kk < KT; ++kk)
      for (int64_t h = 0; h < 2; ++h) {
        Value d = m.add(m.c(16 * kk + 8 * h), m.mul(tq, m.c(2)));
        SmallVector<Value> x =
            fromQr ? loadVector(Qr, ValueRange{j, d}, 2)
                     : loadVector(q, storedIndex(qkLayout, bi, hi, at, d), 2);
        Value p0 = phi(x[0]), p1 = phi(x[1]);
        w.push_back(pack(p0, p1));
        if (split)
          low.push_back(packResidual(p0, p1));
      }
  }
  w.append(low);
  return w;
}

/// O rows [qs + 16w, +16) of this warp: phi(Q) S (+ the masked intra-chunk
/// product when `intra`), divided by phi(Q) z (+ masked row sums) + eps.
/// `words`: queryWords(qs).
void ChunkedBuilder::outputChunk(Value qs, ArrayRef<Value> words, bool intra) {
  const int64_t KT = D / 16, NT = NV / 8;
  Value r0 = m.add(m.add(qs, m.mul(warp, m.c(16))), gq);
  Value r1 = m.add(r0, m.c(8));
  Value ok0 = m.lt(r0, Lq), ok1 = m.lt(r1, Lq);
  ArrayRef<Value> high = words.take_front(4 * KT);
  ArrayRef<Value> low = split ? words.drop_front(4 * KT) : ArrayRef<Value>();
  auto aFrag = [&](ArrayRef<Value> part, int64_t kk) -> SmallVector<Value> {
    if (part.empty())
      return {};
    ArrayRef<Value> q0 = part.take_front(2 * KT), q1 = part.drop_front(2 * KT);
    return {q0[2 * kk], q1[2 * kk], q0[2 * kk + 1], q1[2 * kk + 1]};
  };
  // phi(Q) S and phi(Q) z.
  SmallVector<Frag> acc(NT, zeros());
  for (int64_t kk = 0; kk < KT; ++kk)
    products(aFrag(high, kk), aFrag(low, kk), StW, StLo, m.c(0), kk, acc);
  Value lo = i32c(0), hiShift = i32c(16);
  Value den0 = f32(0.0f), den1 = f32(0.0f);
  for (ArrayRef<Value> part : {high, low}) {
    if (part.empty())
      continue;
    ArrayRef<Value> q0 = part.take_front(2 * KT), q1 = part.drop_front(2 * KT);
    for (int64_t kk = 0; kk < KT; ++kk)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t e = 0; e < 2; ++e) {
          Value d = m.add(m.c(16 * kk + 8 * h + e), m.mul(tq, m.c(2)));
          Value z = memref::LoadOp::create(g, loc, zS, d);
          Value sh = e ? hiShift : lo;
          den0 =
              math::FmaOp::create(g, loc, unpack(q0[2 * kk + h], sh), z, den0);
          den1 =
              math::FmaOp::create(g, loc, unpack(q1[2 * kk + h], sh), z, den1);
        }
  }

  if (intra) {
    // P = tril(phi(Q_c) phi(K_c)^T), key tiles of 8 in pairs up to this
    // warp's diagonal (pair p, keys [16p, 16p + 16), is needed by warp w
    // iff p <= w).
    Value rowL0 = m.add(m.mul(warp, m.c(16)), gq), rowL1 = m.add(rowL0, m.c(8));
    SmallVector<Frag> P;
    SmallVector<Type> eight(8, g.getF32Type());
    for (int64_t p = 0; p < C / 16; ++p) {
      auto tiles = [&]() -> SmallVector<Value> {
        SmallVector<Frag> s(2, zeros());
        for (int64_t kk = 0; kk < KT; ++kk)
          products(aFrag(high, kk), aFrag(low, kk), KsW, KsLo, m.c(16 * p), kk,
                   s);
        SmallVector<Value> r;
        for (int64_t u = 0; u < 2; ++u) {
          Value col = m.add(m.c(16 * p + 8 * u), m.mul(tq, m.c(2)));
          Value col1 = m.add(col, m.c(1));
          Value keep[4] = {m.le(col, rowL0), m.le(col1, rowL0),
                           m.le(col, rowL1), m.le(col1, rowL1)};
          for (int64_t e = 0; e < 4; ++e)
            r.push_back(
                arith::SelectOp::create(g, loc, keep[e], s[u][e], f32(0)));
        }
        return r;
      };
      SmallVector<Value> t;
      if (p == 0)
        t = tiles();
      else
        t = ifElse(m.le(m.c(p), warp), eight, tiles,
                   [&] { return SmallVector<Value>(8, f32(0.0f)); });
      for (int64_t u = 0; u < 2; ++u) {
        P.push_back({t[4 * u], t[4 * u + 1], t[4 * u + 2], t[4 * u + 3]});
        den0 = arith::AddFOp::create(
            g, loc, den0, arith::AddFOp::create(g, loc, t[4 * u], t[4 * u + 1]));
        den1 = arith::AddFOp::create(
            g, loc, den1,
            arith::AddFOp::create(g, loc, t[4 * u + 2], t[4 * u + 3]));
      }
    }
    // O += P V_c, key steps of 16 up to the diagonal (kk <= w).
    SmallVector<Type> types(4 * NT, g.getF32Type());
    for (int64_t kk = 0; kk < C / 16; ++kk) {
      auto step = [&]() -> SmallVector<Value> {
        const Frag &p0 = P[2 * kk], &p1 = P[2 * kk + 1];
        SmallVector<Value> a{pack(p0[0], p0[1]), pack(p0[2], p0[3]),
                             pack(p1[0], p1[1]), pack(p1[2], p1[3])};
        SmallVector<Value> aLo;
        if (split)
          aLo = {packResidual(p0[0], p0[1]), packResidual(p0[2], p0[3]),
                 packResidual(p1[0], p1[1]), packResidual(p1[2], p1[3])};
        SmallVector<Frag> sum(acc);
        products(a, aLo, VtW, VtLo, m.c(0), kk, sum);
        SmallVector<Value> r;
        for (const Frag &f : sum)
          r.append(f.begin(), f.end());
        return r;
      };
      SmallVector<Value> r;
      if (kk == 0)
        r = step();
      else
        r = ifElse(m.le(m.c(kk), warp), types, step, [&] {
          SmallVector<Value> same;
          for (const Frag &f : acc)
            same.append(f.begin(), f.end());
          return same;
        });
      for (int64_t nt = 0; nt < NT; ++nt)
        acc[nt] = {r[4 * nt], r[4 * nt + 1], r[4 * nt + 2], r[4 * nt + 3]};
    }
  }

  // o = num / (den + eps); a row that sees nothing (den + eps = 0) is 0.
  float eps = static_cast<float>(op.getEpsOrDefault());
  Type outElem = cast<MemRefType>(out.getType()).getElementType();
  auto store = [&](Value r, Value ok, Value den, int64_t first) {
    den = arith::AddFOp::create(g, loc, sumOverQuad(den), f32(eps));
    Value zero = arith::CmpFOp::create(g, loc, arith::CmpFPredicate::OEQ, den,
                                       f32(0.0f));
    Value inv = arith::SelectOp::create(
        g, loc, zero, f32(0.0f),
        arith::DivFOp::create(g, loc, f32(1.0f), den));
    auto ifOp = scf::IfOp::create(g, loc, ok, false);
    OpBuilder::InsertionGuard guard(g);
    g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    // Columns col and col + 1 as one store (O's rows are 16-byte aligned
    // and col is even).
    auto pairType = VectorType::get({2}, outElem);
    for (int64_t nt = 0; nt < NT; ++nt) {
      Value col = m.add(m.add(col0, m.c(8 * nt)), m.mul(tq, m.c(2)));
      Value pair = arith::ConstantOp::create(
          g, loc, pairType, g.getZeroAttr(pairType));
      for (int64_t e = 0; e < 2; ++e) {
        Value x = arith::MulFOp::create(g, loc, acc[nt][first + e], inv);
        if (outElem != g.getF32Type())
          x = arith::TruncFOp::create(g, loc, outElem, x);
        pair = vector::InsertOp::create(g, loc, x, pair, e);
      }
      vector::StoreOp::create(
          g, loc, pair, out, storedIndex(layout, bi, hi, r, col),
          /*nontemporal=*/false,
          llvm::MaybeAlign(2 * outElem.getIntOrFloatBitWidth() / 8));
    }
  };
  store(r0, ok0, den0, 0);
  store(r1, ok1, den1, 2);
}

void ChunkedBuilder::products(ArrayRef<Value> a, ArrayRef<Value> aLo,
                              Value buf, Value bufLo, Value n0, int64_t kk,
                              MutableArrayRef<Frag> acc) {
  const int64_t n = acc.size();
  for (int64_t nt = 0; nt < n; nt += 2) {
    int64_t count = std::min<int64_t>(2, n - nt);
    Value row = m.add(n0, m.c(8 * nt));
    SmallVector<Value> b = bFrags(buf, row, kk, count, lane), bLo;
    if (split)
      bLo = bFrags(bufLo, row, kk, count, lane);
    for (int64_t u = 0; u < count; ++u) {
      ArrayRef<Value> bl = split ? ArrayRef<Value>(bLo).slice(2 * u, 2)
                                 : ArrayRef<Value>();
      acc[nt + u] = mmaSplit(a, aLo, ArrayRef<Value>(b).slice(2 * u, 2), bl,
                             acc[nt + u]);
    }
  }
}

void ChunkedBuilder::setUp(gpu::GPUFuncOp fn, bool output) {
  Block &entry = fn.getBody().front();
  q = entry.getArgument(0);
  k = entry.getArgument(1);
  v = entry.getArgument(2);
  state = entry.getArgument(3);
  if (output)
    out = entry.getArgument(4);
  if (rescaleKeys)
    keyTileMax = entry.getArguments().back();
  auto wg = gpu::AddressSpaceAttr::get(g.getContext(),
                                       gpu::AddressSpace::Workgroup);
  Value dynamic = gpu::DynamicSharedMemoryOp::create(
      g, loc, MemRefType::get({ShapedType::kDynamic}, g.getI8Type(),
                              AffineMap(), wg));
  // MLIR declares the dynamic base as a zero-length shared global (PTX: one
  // byte of static shared memory, 16-aligned); the block's window is that
  // plus the launch's dynamic bytes, so [base, base + sharedBytes()) is ours.
  SmallVector<Value> arrays;
  SmallVector<int64_t> offsets;
  int64_t offset = 0; // every size is a multiple of 16 bytes
  for (const SharedArray &a : sharedArrays()) {
    Type elem = elemType(a.elem);
    auto type = MemRefType::get(a.shape, elem, AffineMap(), wg);
    arrays.push_back(memref::ViewOp::create(g, loc, type, dynamic,
                                            m.c(offset), ValueRange{}));
    offsets.push_back(offset);
    offset += elem.getIntOrFloatBitWidth() / 8 * type.getNumElements();
  }
  /// Array i's words as bf16 pairs, for ldmatrix.trans.
  auto halves = [&](size_t i) -> Value {
    auto type = MemRefType::get({C, D + 8}, g.getBF16Type(), AffineMap(), wg);
    return memref::ViewOp::create(g, loc, type, dynamic, m.c(offsets[i]),
                                  ValueRange{});
  };
  KsW = arrays[0];
  KsH = halves(0);
  VtW = arrays[1];
  StW = arrays[2];
  zS = arrays[3];
  size_t next = 4;
  if (split) {
    KsLoH = halves(next);
    KsLo = arrays[next++];
    VtLo = arrays[next++];
    StLo = arrays[next++];
  }
  if (prefetch) {
    Kr = arrays[next++];
    Vr = arrays[next++];
    Qr = arrays[next++];
  }
  if (rescaleKeys)
    keyScaleS = arrays.back();
  mtPerWarp = (D / 16 + W - 1) / W;

  Value bx = gpu::BlockIdOp::create(g, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(g, loc, gpu::Dimension::y);
  bi = gpu::BlockIdOp::create(g, loc, gpu::Dimension::z);
  tid = gpu::ThreadIdOp::create(g, loc, gpu::Dimension::x);
  seg = m.div(bx, m.c(valueTiles()));
  vt = g.createOrFold<arith::RemUIOp>(loc, bx, m.c(valueTiles()));
  col0 = m.mul(vt, m.c(NV));
  warp = m.div(tid, m.c(32));
  lane = g.createOrFold<arith::RemUIOp>(loc, tid, m.c(32));
  gq = m.div(lane, m.c(4));
  tq = g.createOrFold<arith::RemUIOp>(loc, lane, m.c(4));
  Value Hq = m.dim(q, storedDim(qkLayout, 1)),
        Hkv = m.dim(k, storedDim(qkLayout, 1));
  Lq = m.dim(q, storedDim(qkLayout, 2));
  Lk = m.dim(k, storedDim(qkLayout, 2));
  // The state kernel runs per KV head, the output kernel per query head.
  hi = by;
  kvh = output ? m.div(by, m.div(Hq, Hkv)) : by;
  off = m.sub(Lk, Lq);
  // Query segments of `cps` chunks, units of `cpu`: the host sized the
  // state buffer's dims 2 and 3 by the counts it chose for the grids. `seg`
  // is the block's unit in the state kernel.
  nSeg = m.dim(state, 2);
  P = m.dim(state, 3);
  cps = m.ceilDiv(m.ceilDiv(Lq, m.c(C)), nSeg);
  cpu = m.ceilDiv(cps, P);

  // Rows NV.. of VtW: a column of ones (0x3F80 is bf16 1.0) and zeros, so
  // that the state's extra column tile accumulates z = sum_j phi(k_j) on the
  // tensor cores, in f32 like S. Staging never overwrites them.
  strided(8 * (C / 2 + 4), [&](Value e) {
    Value r = m.div(e, m.c(C / 2 + 4));
    Value col = g.createOrFold<arith::RemUIOp>(loc, e, m.c(C / 2 + 4));
    Value word = arith::SelectOp::create(g, loc, m.eq(r, m.c(0)),
                                         i32c(0x3F803F80), i32c(0));
    memref::StoreOp::create(g, loc, word, VtW,
                            ValueRange{m.add(r, m.c(NV)), col});
    if (split) // 1.0 is exact in bf16
      memref::StoreOp::create(g, loc, i32c(0), VtLo,
                              ValueRange{m.add(r, m.c(NV)), col});
  });
  if (rescaleKeys) {
    // keyMax: the max over the key tiles of (bi, kvh), reduced over the
    // warps in keyScaleS[C + w].
    auto maxOf = [&](Value a, Value b) -> Value {
      return arith::MaximumFOp::create(g, loc, a, b);
    };
    Value mine = m.loop(tid, m.dim(keyTileMax, 2), m.c(threads()),
                        {f32(-std::numeric_limits<float>::infinity())},
                        [&](Value i, ValueRange cur) -> SmallVector<Value> {
                          return {maxOf(cur[0], memref::LoadOp::create(
                                                    g, loc, keyTileMax,
                                                    ValueRange{bi, kvh, i}))};
                        })[0];
    for (int32_t o : {1, 2, 4, 8, 16})
      mine = maxOf(mine, gpu::ShuffleOp::create(g, loc, mine, o, 32,
                                                gpu::ShuffleMode::XOR)
                             .getShuffleResult());
    auto ifOp = scf::IfOp::create(g, loc, m.eq(lane, m.c(0)), false);
    {
      OpBuilder::InsertionGuard guard(g);
      g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      memref::StoreOp::create(g, loc, mine, keyScaleS, m.add(warp, m.c(C)));
    }
    barrier();
    keyMax = memref::LoadOp::create(g, loc, keyScaleS, m.c(C));
    for (int64_t w = 1; w < W; ++w)
      keyMax = maxOf(keyMax, memref::LoadOp::create(g, loc, keyScaleS,
                                                    m.c(C + w)));
  }
}

/// Causal: keys [0, keyBoundary(c)) come before query chunk c (queries see
/// keys shifted by off = Lk - Lq).
Value ChunkedBuilder::keyBoundary(Value chunk) {
  return m.min(m.max(m.add(m.mul(chunk, m.c(C)), off), m.c(0)), Lk);
}

/// The first query chunk of unit u (of segment u / P); unitStart(s P) is
/// segment s's first chunk.
Value ChunkedBuilder::unitStart(Value u) {
  Value p = g.createOrFold<arith::RemUIOp>(loc, u, P);
  return m.add(m.mul(m.div(u, P), cps), m.min(m.mul(p, cpu), cps));
}

/// Runs `body` for this warp's 16-row tiles i of S that exist (mt < D/16).
static void forOwnTiles(IndexMath &m, Value warp, int64_t W, int64_t D,
                        int64_t mtPerWarp, function_ref<void(int64_t, Value)> body) {
  for (int64_t i = 0; i < mtPerWarp; ++i) {
    Value mt = m.add(warp, m.c(W * i));
    if ((D / 16) % W == 0) {
      body(i, mt);
      continue;
    }
    auto ifOp = scf::IfOp::create(m.b, m.loc, m.lt(mt, m.c(D / 16)), false);
    OpBuilder::InsertionGuard guard(m.b);
    m.b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    body(i, mt);
  }
}

/// The register fragments of S (and z, column Dv of the entry) from state
/// entry `entry` of (bi, kvh): element e of tile nt of this warp's 16-row
/// tile mt is (d = 16 mt + g + 8 (e / 2), col = 8 nt + 2 t + e % 2).
SmallVector<Value> ChunkedBuilder::loadState(Value entry) {
  Value es = m.div(entry, P), ep = g.createOrFold<arith::RemUIOp>(loc, entry, P);
  const int64_t NT = NV / 8, per = (NT + 1) * 4;
  SmallVector<Value> S(mtPerWarp * per, f32(0.0f));
  for (int64_t i = 0; i < mtPerWarp; ++i) {
    // Tiles past D / 16 are never used: read row D - 1 for them.
    Value mt = m.min(m.add(warp, m.c(W * i)), m.c(D / 16 - 1));
    for (int64_t nt = 0; nt <= NT; ++nt)
      for (int64_t e = 0; e < 4; ++e) {
        Value d = m.add(m.add(m.mul(mt, m.c(16)), gq), m.c(8 * (e / 2)));
        Value col = m.add(m.c(8 * nt + e % 2), m.mul(tq, m.c(2)));
        if (nt < NT) {
          S[i * per + nt * 4 + e] = memref::LoadOp::create(
              g, loc, state,
              ValueRange{bi, kvh, es, ep, d, m.add(col0, col)});
        } else if (e % 2 == 0) { // z: column 0 of the last tile (t = 0)
          Value z = memref::LoadOp::create(
              g, loc, state, ValueRange{bi, kvh, es, ep, d, m.c(Dv)});
          S[i * per + nt * 4 + e] =
              arith::SelectOp::create(g, loc, m.eq(tq, m.c(0)), z, f32(0.0f));
        }
      }
  }
  return S;
}

/// The inverse of loadState; z is written by value tile 0 only.
void ChunkedBuilder::storeState(ValueRange S, Value entry) {
  Value es = m.div(entry, P), ep = g.createOrFold<arith::RemUIOp>(loc, entry, P);
  const int64_t NT = NV / 8, per = (NT + 1) * 4;
  forOwnTiles(m, warp, W, D, mtPerWarp, [&](int64_t i, Value mt) {
    for (int64_t nt = 0; nt < NT; ++nt)
      for (int64_t e = 0; e < 4; ++e) {
        Value d = m.add(m.add(m.mul(mt, m.c(16)), gq), m.c(8 * (e / 2)));
        Value col = m.add(m.c(8 * nt + e % 2), m.mul(tq, m.c(2)));
        memref::StoreOp::create(
            g, loc, S[i * per + nt * 4 + e], state,
            ValueRange{bi, kvh, es, ep, d, m.add(col0, col)});
      }
    auto ifOp = scf::IfOp::create(
        g, loc, m.andI(m.eq(tq, m.c(0)), m.eq(vt, m.c(0))), false);
    OpBuilder::InsertionGuard guard(g);
    g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    for (int64_t e : {0, 2}) {
      Value d = m.add(m.add(m.mul(mt, m.c(16)), gq), m.c(8 * (e / 2)));
      memref::StoreOp::create(g, loc, S[i * per + NT * 4 + e], state,
                              ValueRange{bi, kvh, es, ep, d, m.c(Dv)});
    }
  });
}

/// phi(K)^T V and z over keys [lo, hi), from zero.
SmallVector<Value> ChunkedBuilder::sumKeys(Value lo, Value hiKey) {
  SmallVector<Value> S(mtPerWarp * (NV / 8 + 1) * 4, f32(0.0f));
  storeKeyScale(loadKeyTileMax(lo));
  if (!prefetch)
    return m.loop(lo, hiKey, m.c(C), S,
                  [&](Value ks, ValueRange s) -> SmallVector<Value> {
                    Value tileMax = loadKeyTileMax(m.add(ks, m.c(C)));
                    barrier();
                    stageChunk(ks, hiKey);
                    barrier();
                    storeKeyScale(tileMax);
                    return updateState(s);
                  });
  issueChunk(m.lt(lo, hiKey), lo, hiKey, Value());
  return m.loop(lo, hiKey, m.c(C), S,
                [&](Value ks, ValueRange s) -> SmallVector<Value> {
                  Value next = m.add(ks, m.c(C));
                  Value tileMax = loadKeyTileMax(next);
                  waitChunk();
                  barrier();
                  stageChunk(ks, hiKey);
                  barrier(); // Kr and Vr are free again
                  storeKeyScale(tileMax);
                  issueChunk(m.lt(next, hiKey), next, hiKey, Value());
                  return updateState(s);
                });
}

void ChunkedBuilder::buildStates(gpu::GPUFuncOp fn) {
  setUp(fn, /*output=*/false);
  // Entry u (this block's `seg`) holds the keys [lo, hi) that the scan adds
  // up in order:
  //   causal:     [keyBoundary(unitStart(u - 1)), keyBoundary(unitStart(u))),
  //               from 0 for u = 0, so that the inclusive prefix up to u is
  //               [0, keyBoundary(unitStart(u))); the output reads entries
  //               s P only, so units past (segments - 1) P sum nothing;
  //   non-causal: unit u of the keys.
  Value lo, hiKey;
  if (op.getCausal()) {
    lo = arith::SelectOp::create(g, loc, m.eq(seg, m.c(0)), m.c(0),
                                 keyBoundary(unitStart(m.sub(seg, m.c(1)))));
    Value needed = m.le(seg, m.mul(m.sub(nSeg, m.c(1)), P));
    hiKey = arith::SelectOp::create(g, loc, needed,
                                    keyBoundary(unitStart(seg)), lo);
  } else {
    Value keysPerUnit =
        m.mul(m.ceilDiv(m.ceilDiv(Lk, m.c(C)), m.mul(nSeg, P)), m.c(C));
    lo = m.min(m.mul(seg, keysPerUnit), Lk);
    hiKey = m.min(m.add(lo, keysPerUnit), Lk);
  }
  storeState(sumKeys(lo, hiKey), seg);
  gpu::ReturnOp::create(g, loc);
}

void ChunkedBuilder::buildOutput(gpu::GPUFuncOp fn) {
  setUp(fn, /*output=*/true);
  const bool causal = op.getCausal();
  // After the scan, entry s P holds the keys before segment s (causal) and
  // the last entry all keys (non-causal). With one segment the host skips
  // the state and scan launches: the block sums those keys itself.
  SmallVector<Type> types(mtPerWarp * (NV / 8 + 1) * 4, g.getF32Type());
  SmallVector<Value> S = ifElse(
      m.eq(nSeg, m.c(1)), types,
      [&] { return sumKeys(m.c(0), causal ? keyBoundary(m.c(0)) : Lk); },
      [&] {
        return loadState(causal ? m.mul(seg, P)
                                : m.sub(m.mul(nSeg, P), m.c(1)));
      });
  barrier();
  writeState(S);
  barrier();
  Value first = m.mul(m.mul(seg, cps), m.c(C));
  Value last = m.min(m.add(first, m.mul(cps, m.c(C))), Lq);
  if (!causal) {
    m.loop(first, last, m.c(C), {}, [&](Value qs, ValueRange) {
      outputChunk(qs, queryWords(qs, /*fromQr=*/false), /*intra=*/false);
      return SmallVector<Value>{};
    });
  } else if (!prefetch) {
    storeKeyScale(loadKeyTileMax(m.add(first, off)));
    m.loop(first, last, m.c(C), S,
           [&](Value qs, ValueRange s) -> SmallVector<Value> {
             Value tileMax = loadKeyTileMax(m.add(m.add(qs, m.c(C)), off));
             barrier();
             stageChunk(m.add(qs, off), Lk);
             barrier();
             storeKeyScale(tileMax);
             outputChunk(qs, queryWords(qs, /*fromQr=*/false), /*intra=*/true);
             SmallVector<Value> next = updateState(s);
             barrier(); // every warp has read S and z of the previous chunk
             writeState(next);
             return next;
           });
  } else {
    // Chunk c + 1's rows are copied while chunk c computes.
    storeKeyScale(loadKeyTileMax(m.add(first, off)));
    issueChunk(m.lt(first, last), m.add(first, off), Lk, first);
    m.loop(first, last, m.c(C), S,
           [&](Value qs, ValueRange s) -> SmallVector<Value> {
             Value nextQs = m.add(qs, m.c(C));
             Value tileMax = loadKeyTileMax(m.add(nextQs, off));
             waitChunk();
             barrier();
             stageChunk(m.add(qs, off), Lk);
             SmallVector<Value> words = queryWords(qs, /*fromQr=*/true);
             barrier(); // Kr, Vr and Qr are free again
             storeKeyScale(tileMax);
             issueChunk(m.lt(nextQs, last), m.add(nextQs, off), Lk, nextQs);
             outputChunk(qs, words, /*intra=*/true);
             SmallVector<Value> next = updateState(s);
             barrier(); // every warp has read S and z of the previous chunk
             writeState(next);
             return next;
           });
  }
  gpu::ReturnOp::create(g, loc);
}

/// The scan over state entries, in place: entry s becomes the sum of
/// entries 0..s. Grid (elements / 256, Hkv, B), one element per thread.
void buildStateScan(OpBuilder &g, Location loc, gpu::GPUFuncOp fn,
                    int64_t elements) {
  IndexMath m{g, loc};
  Value state = fn.getBody().front().getArgument(0);
  const int64_t cols = cast<MemRefType>(state.getType()).getDimSize(5);
  Value bx = gpu::BlockIdOp::create(g, loc, gpu::Dimension::x);
  Value h = gpu::BlockIdOp::create(g, loc, gpu::Dimension::y);
  Value b = gpu::BlockIdOp::create(g, loc, gpu::Dimension::z);
  Value tid = gpu::ThreadIdOp::create(g, loc, gpu::Dimension::x);
  Value e = m.add(m.mul(bx, m.c(256)), tid);
  auto ifOp = scf::IfOp::create(g, loc, m.lt(e, m.c(elements)), false);
  g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  Value d = m.div(e, m.c(cols));
  Value col = g.createOrFold<arith::RemUIOp>(loc, e, m.c(cols));
  Value P = m.dim(state, 3);
  m.loop(m.c(0), m.mul(m.dim(state, 2), P), m.c(1), {m.f32(0.0f)},
         [&](Value u, ValueRange run) -> SmallVector<Value> {
           SmallVector<Value> at{b, h, m.div(u, P),
                                 g.createOrFold<arith::RemUIOp>(loc, u, P), d,
                                 col};
           Value x = arith::AddFOp::create(
               g, loc, run[0], memref::LoadOp::create(g, loc, state, at));
           memref::StoreOp::create(g, loc, x, state, at);
           return {x};
         });
  g.setInsertionPointAfter(ifOp);
  gpu::ReturnOp::create(g, loc);
}

} // namespace

int64_t mlir::attn::scanFeatureCount(LinearAttentionOp op) {
  if (op.getProjection())
    return paddedFeatureCount(op.getNumFeatures());
  return op.getFeatureMap() == FeatureMap::softmax ? op.getDims().headDim : 0;
}

ChunkedLinearOptions mlir::attn::resolvedLinearOptions(LinearAttentionOp op,
                                                       ChunkedLinearOptions o) {
  // Many features: the state's row tiles spread over 8 warps leave room
  // for 64 value columns, where 4 warps capped them at 32 (FAVOR+ with m =
  // 266 at D = 64 ran 5-10% faster, H200, 2026-11-29). Elementwise maps
  // at D = 128 ran slower with 128 whenever the sequence was cut into
  // several segments (B = 1, L = 16384), so they keep 64.
  if (o.chunk == 0)
    o.chunk = scanFeatureCount(op) >= 256 ? 128 : 64;
  return o;
}

std::string mlir::attn::chunkedLinearUnsupported(LinearAttentionOp op,
                                                 const ChunkedLinearOptions &o) {
  const AttentionDims dims = op.getDims();
  if (dims.headDim % 16 || dims.valueDim % 8)
    return "D must be a multiple of 16 and Dv of 8";
  if (o.chunk < 16 || o.chunk > 128 || o.chunk % 16)
    return "the chunk must be 16, 32, ..., 128";
  // Shared memory grows with D (and the features): large ones do not fit.
  OpBuilder b(op.getContext());
  int64_t bytes = ChunkedBuilder(op, b, o, scanFeatureCount(op)).sharedBytes();
  if (op.getProjection())
    bytes = std::max(bytes, featureKernelSharedBytes(op));
  if (bytes > kMaxSharedBytes)
    return "its blocks would need " + std::to_string(bytes) +
           " bytes of shared memory, more than the " +
           std::to_string(kMaxSharedBytes) + " an SM has";
  return "";
}

LogicalResult mlir::attn::buildChunkedLinearKernel(
    LinearAttentionOp op, gpu::GPUModuleOp kernels, int index,
    const ChunkedLinearOptions &o) {
  Location loc = op.getLoc();
  OpBuilder b(op);
  IndexMath m{b, loc};
  const AttentionDims dims = op.getDims();
  const int64_t Dv = dims.valueDim, C = o.chunk;
  const Layout layout = op.getLayout();
  LinearOperands ops = bufferizeLinear(b, op);
  // Rows are read 16 bytes at a time: each buffer and its rows must be
  // aligned that much (the runtime checks it for each launch).
  auto aligned = [&](Value buf) -> Value {
    return memref::AssumeAlignmentOp::create(b, loc, buf,
                                             b.getI32IntegerAttr(16));
  };
  Value q = aligned(ops.q), k = aligned(ops.k), v = aligned(ops.v),
        out = aligned(ops.outParam);
  Value Lq = m.dim(ops.q, storedDim(layout, 2));
  Value Lk = m.dim(ops.k, storedDim(layout, 2));
  Value Hkv = m.dim(ops.k, storedDim(layout, 1));

  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  OpBuilder body(kb.getContext());
  std::string name = kernelName(op, "linear", index);
  auto launch = [&](gpu::GPUFuncOp fn, Value gridX, Value gridY, int64_t threads,
                    int64_t sharedBytes, ValueRange params) {
    Value shared = sharedBytes ? arith::ConstantIntOp::create(
                                     b, loc, b.getI32Type(), sharedBytes)
                                     .getResult()
                               : Value();
    gpu::LaunchFuncOp::create(b, loc, fn,
                              gpu::KernelDim3{gridX, gridY, ops.batch},
                              gpu::KernelDim3{m.c(threads), m.c(1), m.c(1)},
                              shared, params);
  };
  SmallVector<Value> scratch;
  auto alloc = [&](MemRefType type, ValueRange sizes) {
    scratch.push_back(gpu::AllocOp::create(b, loc, type, Type(), ValueRange{},
                                           sizes, ValueRange{},
                                           /*hostShared=*/false)
                          .getMemref());
    return scratch.back();
  };

  // Projected maps: phi(K) and phi(Q) first, into scratch [B, H, L, Mp]
  // (featureType) that the scan reads in place of K and Q.
  const int64_t features = scanFeatureCount(op);
  Value keyTileMax; // FAVOR+: the keys kernel's maxima per 16-key tile
  if (op.getProjection()) {
    auto phiType = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic,
                                    ShapedType::kDynamic, features},
                                   featureType(op));
    Value phiK = alloc(phiType, {ops.batch, Hkv, Lk});
    Value phiQ = alloc(phiType, {ops.batch, ops.heads, Lq});
    // Each block loops over tiles of kFeatureRowsPerBlock rows (it stages
    // P once): as many blocks as are resident at once, spread evenly.
    Value SMs = MultiprocessorCountOp::create(b, loc, b.getIndexType());
    auto featureBlocks = [&](Value L, Value heads) {
      Value tiles = m.ceilDiv(L, m.c(kFeatureRowsPerBlock));
      Value fit = m.div(m.mul(m.c(featureBlocksPerSM(op)), SMs),
                        m.max(m.mul(heads, ops.batch), m.c(1)));
      Value perBlock =
          m.ceilDiv(tiles, m.max(m.min(tiles, fit), m.c(1)));
      return m.ceilDiv(tiles, m.max(perBlock, m.c(1)));
    };
    Value kBlocks = featureBlocks(Lk, Hkv), qBlocks = featureBlocks(Lq, ops.heads);
    Value P = ops.projection;
    int64_t bytes = 0;
    if (op.getFeatureMap() == FeatureMap::favor_plus) {
      keyTileMax = alloc(
          MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic,
                           ShapedType::kDynamic},
                          b.getF32Type()),
          {ops.batch, Hkv, m.ceilDiv(Lk, m.c(kKeyStabilizerRows))});
      SmallVector<Value> keyParams{k, P, keyTileMax, phiK};
      auto keys = buildFeatureKernel(op, kb, name + "_key_features", keyParams,
                                     FeatureKernelMode::Keys, bytes);
      launch(keys, kBlocks, Hkv, kFeatureThreads, bytes, keyParams);
    } else {
      SmallVector<Value> keyParams{k, P, phiK};
      auto keys = buildFeatureKernel(op, kb, name + "_key_features", keyParams,
                                     FeatureKernelMode::Queries, bytes);
      launch(keys, kBlocks, Hkv, kFeatureThreads, bytes, keyParams);
    }
    SmallVector<Value> queryParams{q, P, phiQ};
    auto queries = buildFeatureKernel(op, kb, name + "_query_features",
                                      queryParams, FeatureKernelMode::Queries,
                                      bytes);
    launch(queries, qBlocks, ops.heads, kFeatureThreads, bytes, queryParams);
    q = phiQ;
    k = phiK;
  } else if (op.getFeatureMap() == FeatureMap::softmax) {
    // The softmax map: phi(K) (after the per-feature key statistics when
    // non-causal) and phi(Q) into scratch [B, H, L, D] likewise.
    auto dyn = ShapedType::kDynamic;
    auto phiType = MemRefType::get({dyn, dyn, dyn, features}, featureType(op));
    Value phiK = alloc(phiType, {ops.batch, Hkv, Lk});
    Value phiQ = alloc(phiType, {ops.batch, ops.heads, Lq});
    Value kBlocks = m.ceilDiv(Lk, m.c(kSoftmaxMapKeysPerBlock));
    auto add = [&](StringRef suffix, SoftmaxMapKernel kind, Value grid,
                   Value heads, SmallVector<Value> params,
                   int64_t sharedBytes = 0) {
      auto fn = buildSoftmaxMapKernel(op, kb, (name + suffix).str(), params,
                                      kind);
      launch(fn, grid, heads, kSoftmaxMapThreads, sharedBytes, params);
    };
    if (op.getCausal()) {
      add("_key_features", SoftmaxMapKernel::Keys, kBlocks, Hkv, {k, phiK});
    } else {
      Value statBlocks = m.ceilDiv(Lk, m.c(kSoftmaxMapKeysPerStatsBlock));
      Value partial = alloc(
          MemRefType::get({dyn, dyn, dyn, 2, features}, b.getF32Type()),
          {ops.batch, Hkv,
           m.mul(statBlocks, m.c(softmaxMapKeyLanes(op)))});
      Value stats = alloc(MemRefType::get({dyn, dyn, 2, features},
                                          b.getF32Type()),
                          {ops.batch, Hkv});
      add("_key_stats", SoftmaxMapKernel::KeyStats, statBlocks, Hkv,
          {k, partial});
      // A block per 8 features of each (KV head, batch), none without keys.
      add("_key_merge", SoftmaxMapKernel::KeyMerge,
          m.mul(m.min(statBlocks, m.c(1)), m.c(features / 8)), Hkv,
          {partial, stats}, kSoftmaxMapMergeBytes);
      add("_key_features", SoftmaxMapKernel::Keys, kBlocks, Hkv,
          {k, stats, phiK});
    }
    add("_query_features", SoftmaxMapKernel::Queries,
        m.ceilDiv(Lq, m.c(softmaxMapQueryRows(op))), ops.heads, {q, phiQ});
    q = phiQ;
    k = phiK;
  }

  ChunkedBuilder cb(op, body, o, features);
  const int64_t NVT = cb.valueTiles();

  // Segments of the sequence, chosen at launch. Segments cost a second
  // pass over the keys (the state launch), so they only pay where the
  // (value tile, head, batch) blocks leave block slots idle: as many as
  // fill the slots (blocksPerSM resident blocks per SM, estimated from the
  // chunk's warps and shared memory) in one wave, at least kMinChunks
  // chunks each (a block first loads a D x NV state); one segment (no
  // state and scan launches) when B x H already fills the GPU.
  constexpr int64_t kMinChunks = 4;
  const int64_t blocksPerSM = std::max<int64_t>(
      1, std::min<int64_t>(128 / C, kMaxSharedBytes / cb.sharedBytes()));
  Value chunks = m.ceilDiv(Lq, m.c(C));
  if (!op.getCausal())
    chunks = m.max(chunks, m.ceilDiv(Lk, m.c(C)));
  chunks = m.max(chunks, m.c(1));
  Value blocks = m.mul(m.mul(m.c(NVT), ops.heads), ops.batch);
  Value slots = m.mul(m.c(blocksPerSM),
                      MultiprocessorCountOp::create(b, loc, b.getIndexType()));
  Value fill = m.div(slots, m.max(blocks, m.c(1)));
  Value nSeg = m.max(m.min(fill, m.ceilDiv(chunks, m.c(kMinChunks))), m.c(1));
  nSeg = m.ceilDiv(chunks, m.ceilDiv(chunks, nSeg)); // no empty segment
  Value segsBut1 = m.sub(nSeg, m.c(1));
  // No state or scan launch (grid 0) for a single segment.
  Value many = m.min(segsBut1, m.c(1));
  // Units per segment for the state launch: as many as fill the slots with
  // the blocks that sum keys (causal: those of all segments but the last),
  // at least 2 chunks each; 1 without a state launch.
  Value summing = m.mul(m.mul(m.c(NVT), Hkv), ops.batch);
  if (op.getCausal())
    summing = m.mul(summing, m.max(segsBut1, m.c(1)));
  else
    summing = m.mul(summing, nSeg);
  Value units = m.min(m.div(slots, m.max(summing, m.c(1))),
                      m.div(m.ceilDiv(chunks, nSeg), m.c(2)));
  // (units - 1) many + 1: the launch plan evaluates sizes made of integer
  // arithmetic only.
  units = m.add(m.mul(m.sub(m.max(units, m.c(1)), m.c(1)), many), m.c(1));

  // The state entries [B, Hkv, segments, units, D, Dv + 1] (column Dv: z;
  // D: the features), f32, scratch that the runtime provides.
  const int64_t D = features ? features : dims.headDim;
  auto dyn = ShapedType::kDynamic;
  auto stateType =
      MemRefType::get({dyn, dyn, dyn, dyn, D, Dv + 1}, b.getF32Type());
  Value state = alloc(stateType, {ops.batch, Hkv, nSeg, units});

  auto kernel = [&](StringRef suffix, ValueRange params, int64_t threads) {
    auto fn = gpu::GPUFuncOp::create(
        kb, loc, (name + suffix).str(),
        kb.getFunctionType(ValueRange(params).getTypes(), {}));
    fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
    fn.setKnownBlockSizeAttr(
        kb.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
    body.setInsertionPointToStart(&fn.getBody().front());
    return fn;
  };
  Value segBlocks = m.mul(nSeg, m.c(NVT));

  SmallVector<Value> stateParams{q, k, v, state};
  if (keyTileMax)
    stateParams.push_back(keyTileMax);
  auto states = kernel("_states", stateParams, cb.threads());
  cb.buildStates(states);
  launch(states, m.mul(m.mul(segBlocks, units), many), Hkv, cb.threads(),
         cb.sharedBytes(), stateParams);

  const int64_t elements = D * (Dv + 1);
  auto scan = kernel("_scan", ValueRange{state}, 256);
  buildStateScan(body, loc, scan, elements);
  launch(scan, m.mul(m.c((elements + 255) / 256), many), Hkv, 256, 0,
         ValueRange{state});

  SmallVector<Value> outParams{q, k, v, state, out};
  if (keyTileMax)
    outParams.push_back(keyTileMax);
  auto output = kernel("", outParams, cb.threads());
  cb.buildOutput(output);
  launch(output, segBlocks, ops.heads, cb.threads(), cb.sharedBytes(),
         outParams);
  for (Value buf : scratch)
    gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, buf);
  replaceWithBuffers(b, op, ops.out);
  return success();
}
