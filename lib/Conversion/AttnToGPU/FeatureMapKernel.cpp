//===- FeatureMapKernel.cpp - projected feature maps on tensor cores ------===//
//
// The projected feature maps of attn.linear_attention (FAVOR+, relu with a
// projection): a kernel that writes phi(x) as bf16 [B, H, L, Mp] (f32 for
// f32 inputs; Mp = m rounded up to 16, features m.. zero), which the
// chunked scan then reads in place of Q or K (LinearChunked.cpp). The map
// itself is FeatureMapMath's.
//
// A block loops over tiles of kFeatureRowsPerBlock rows of one (head,
// batch) (tiles blockIdx.x, + gridDim.x, ...: the host launches about as
// many blocks as are resident at once, since staging P costs a block about
// as much as two tiles): warps of 16 rows, x P^T on mma.sync m16n8k16 in
// groups of 64 features, f32 accumulation. x comes in and phi goes out
// through a per-warp tile buffer in shared memory, 16 bytes a lane, whole
// rows: the fragment layouts touch 4-16 bytes of a row per instruction,
// which as global accesses left L2 with partial sectors (ncu: 8 of 32
// bytes used per store sector) and made the kernel L2-bound.
//
// P is staged in shared memory (all of it once per block where it fits in
// 160 KB, else group by group) as bf16 pairs in two parts, P = Ph + Pl, so
// that x P^T = x Ph^T + x Pl^T keeps ~16 bits of P (bf16 alone would put
// errors of 2^-9 |p| into exp(p)); f16 and f32 inputs split x likewise (x
// Pl^T is then a third product). bf16 inputs are exact as they are.
//
// FAVOR+ subtracts a stabilizer: for a query the max of c x P^T over its
// features; for keys the max over every key of the (batch, KV head), which
// no kernel knows before all keys are projected: a key here is stabilized
// by the max over its warp's 16 rows, written to partial[b, h, row / 16],
// and the scan brings it to the max over all keys as it stages the key
// (LinearChunked.cpp): no second pass over the keys. Both come from a first
// pass over the groups, whose accumulators stay in registers for the value
// pass where there are at most kKeptGroups groups (else x is projected
// again).
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"
#include "MmaSyncBuilder.h"

#include "Attn/Transforms/FeatureMapMath.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

class FeatureBuilder : MmaSyncBuilder {
public:
  FeatureBuilder(LinearAttentionOp op, OpBuilder &g, FeatureKernelMode mode)
      : MmaSyncBuilder(g, op.getLoc()), op(op), mode(mode),
        k(featureMapConstants(op)), layout(op.getLayout()),
        D(op.getDims().headDim), M(op.getNumFeatures()),
        Mp(paddedFeatureCount(M)),
        splitX(!op.getQuery().getType().getElementType().isBF16()),
        wide(op.getQuery().getType().getElementType().isF32()) {}

  static constexpr int64_t kRows = kFeatureRowsPerBlock, kGroup = 64,
                           kThreads = kFeatureThreads,
                           kWarps = kThreads / 32;
  static constexpr int64_t kResidentBytes = 160 * 1024;
  /// FAVOR+ keeps the accumulators of up to this many feature groups
  /// (64 f32 registers a thread at 2) between the max and the value pass.
  static constexpr int64_t kKeptGroups = 2;
  int64_t groups() const { return (Mp + kGroup - 1) / kGroup; }
  /// Rows of P held in shared memory: all of them where they fit (staged
  /// once per block), else one group at a time.
  int64_t stagedRows() const {
    int64_t all = groups() * kGroup;
    return 2 * all * (D / 2 + 4) * 4 <= kResidentBytes ? all : kGroup;
  }
  bool resident() const { return stagedRows() > kGroup; }
  /// Words of a row of x, and of phi for one group (f32 for f32 inputs, 16
  /// bits else).
  int64_t xWords() const { return wide ? D : D / 2; }
  int64_t phiWords() const { return wide ? kGroup : kGroup / 2; }
  /// Words of a row of a warp's tile buffer: 16 rows of x, or of phi (one
  /// group), padded 16 bytes so that the fragment accesses (rows g, words
  /// t) hit distinct banks.
  int64_t tileRowWords() const { return std::max(xWords(), phiWords()) + 4; }
  int64_t sharedBytes() const {
    return 2 * stagedRows() * (D / 2 + 4) * 4 +
           kWarps * 16 * tileRowWords() * 4;
  }
  void build(gpu::GPUFuncOp fn);

private:
  bool favor() const { return k.map == FeatureMap::favor_plus; }
  void barrier() { gpu::BarrierOp::create(g, loc); }
  Value maxOf(Value a, Value b) {
    return arith::MaximumFOp::create(g, loc, a, b);
  }
  /// Max over the lanes whose lane id differs in the bits of `masks`.
  Value shuffleMax(Value x, ArrayRef<int32_t> masks) {
    for (int32_t o : masks)
      x = maxOf(x, gpu::ShuffleOp::create(g, loc, x, o, 32,
                                          gpu::ShuffleMode::XOR)
                       .getShuffleResult());
    return x;
  }
  void syncWarp() { NVVM::SyncWarpOp::create(g, loc, i32c(-1)); }
  /// The 16-bit float of type `type` at bit `shift` (0 or 16) of `word`,
  /// as f32.
  Value half(Value word, int64_t shift, Type type) {
    Value s = arith::ShRUIOp::create(g, loc, word, i32c(shift));
    Value h = arith::TruncIOp::create(g, loc, g.getI16Type(), s);
    return m.toF32(arith::BitcastOp::create(g, loc, type, h));
  }
  /// Stages P's rows [64 g0, 64 g0 + n) as (high, low) bf16 pairs.
  void stage(Value g0, int64_t n);
  /// c x P^T for features [64 gi, 64 gi + 64) of this warp's rows.
  SmallVector<Frag> project(Value gi);
  /// Runs `body(tile, e, feature, p)` for each accumulator element.
  void forEachElement(ArrayRef<Frag> acc, Value gi,
                      function_ref<void(int64_t, int64_t, Value, Value)> body);
  /// One tile of kRows rows: phi (and, FAVOR+ keys, the warps' maxima).
  void tile(Value t);

  LinearAttentionOp op;
  FeatureKernelMode mode;
  FeatureMapConstants k;
  Layout layout;
  const int64_t D, M, Mp;
  const bool splitX; ///< x is not exact in bf16
  const bool wide;   ///< f32 x and phi

  Value x, P, partial, phi, PhW, PlW, tileW, tid, warp, lane, gq, tq, h, b, L;
  SmallVector<Value> aHi, aLo; ///< A fragment words, per k step 4
};

void FeatureBuilder::stage(Value g0, int64_t n) {
  // Rows past m are zero.
  Value f0 = m.mul(g0, m.c(kGroup));
  m.loop(tid, m.c(n * D / 2), m.c(kThreads), {},
         [&](Value e, ValueRange) {
           Value row = m.div(e, m.c(D / 2));
           Value w = g.createOrFold<arith::RemUIOp>(loc, e, m.c(D / 2));
           Value f = m.add(f0, row);
           Value ok = m.lt(f, m.c(M));
           Value at = m.min(f, m.c(M - 1));
           Value d = m.mul(w, m.c(2));
           Value p[2], lo[2];
           for (int64_t i = 0; i < 2; ++i) {
             Value v = m.toF32(memref::LoadOp::create(
                 g, loc, P, ValueRange{at, m.add(d, m.c(i))}));
             p[i] = arith::SelectOp::create(g, loc, ok, v, f32(0.0f));
             lo[i] = arith::SubFOp::create(g, loc, p[i], m.toF32(toBF16(p[i])));
           }
           memref::StoreOp::create(g, loc, pack(p[0], p[1]), PhW,
                                   ValueRange{row, w});
           memref::StoreOp::create(g, loc, pack(lo[0], lo[1]), PlW,
                                   ValueRange{row, w});
           return SmallVector<Value>{};
         });
}

SmallVector<Frag> FeatureBuilder::project(Value gi) {
  // P's rows of this group: staged once for the block (resident), or now.
  Value first = m.c(0);
  if (resident()) {
    first = m.mul(gi, m.c(kGroup));
  } else {
    barrier(); // the previous group's fragments have been read
    stage(gi, kGroup);
    barrier();
  }
  SmallVector<Frag> acc(kGroup / 8, zeros());
  for (int64_t nt = 0; nt < kGroup / 8; nt += 2) { // two n tiles a load
    int64_t count = std::min<int64_t>(2, kGroup / 8 - nt);
    Value n0 = m.add(first, m.c(8 * nt));
    for (int64_t kk = 0; kk < D / 16; ++kk) {
      ArrayRef<Value> hi = ArrayRef<Value>(aHi).slice(4 * kk, 4);
      SmallVector<Value> bh = bFrags(PhW, n0, kk, count, lane),
                         bl = bFrags(PlW, n0, kk, count, lane);
      for (int64_t u = 0; u < count; ++u) {
        Frag &c = acc[nt + u];
        ArrayRef<Value> h = ArrayRef<Value>(bh).slice(2 * u, 2);
        c = mma(hi, h, c);
        c = mma(hi, ArrayRef<Value>(bl).slice(2 * u, 2), c);
        if (splitX)
          c = mma(ArrayRef<Value>(aLo).slice(4 * kk, 4), h, c);
      }
    }
  }
  for (Frag &f : acc)
    for (Value &v : f)
      v = arith::MulFOp::create(g, loc, f32(k.c), v);
  return acc;
}

void FeatureBuilder::forEachElement(
    ArrayRef<Frag> acc, Value gi,
    function_ref<void(int64_t, int64_t, Value, Value)> body) {
  for (int64_t nt = 0; nt < kGroup / 8; ++nt)
    for (int64_t e = 0; e < 4; ++e) {
      Value f = m.add(m.add(m.mul(gi, m.c(kGroup)), m.c(8 * nt + e % 2)),
                      m.mul(tq, m.c(2)));
      body(nt, e, f, acc[nt][e]);
    }
}

void FeatureBuilder::tile(Value t) {
  // x's 16 rows of this warp, 16 bytes a lane at a time (rows past L read
  // row L - 1: there is a tile only where L > 0), into the warp's tile
  // buffer; then the A fragments from there, and ||x||^2 per row in f32.
  Type elem = cast<MemRefType>(x.getType()).getElementType();
  Value row0 = m.add(m.mul(t, m.c(kRows)), m.mul(warp, m.c(16)));
  const int64_t chunksPerRow = xWords() / 4, perChunk = wide ? 4 : 8;
  syncWarp(); // the previous tile's phi has left the buffer
  for (int64_t i = 0; i < 16 * chunksPerRow / 32; ++i) {
    Value c = m.add(lane, m.c(32 * i));
    Value r = m.div(c, m.c(chunksPerRow));
    Value col = g.createOrFold<arith::RemUIOp>(loc, c, m.c(chunksPerRow));
    Value at = m.min(m.add(row0, r), m.sub(L, m.c(1)));
    Value vec = vector::LoadOp::create(
        g, loc, VectorType::get({perChunk}, elem), x,
        storedIndex(layout, b, h, at, m.mul(col, m.c(perChunk))),
        /*nontemporal=*/false, llvm::MaybeAlign(16));
    Value w = vector::BitCastOp::create(
        g, loc, VectorType::get({4}, g.getI32Type()), vec);
    vector::StoreOp::create(g, loc, w, tileW,
                            ValueRange{warp, r, m.mul(col, m.c(4))},
                            /*nontemporal=*/false, llvm::MaybeAlign(16));
  }
  syncWarp();
  Value sumSq[2] = {f32(0.0f), f32(0.0f)};
  SmallVector<Value> hiW[2], loW[2];
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t kk = 0; kk < D / 16; ++kk)
      for (int64_t hh = 0; hh < 2; ++hh) {
        // Elements 16 kk + 8 hh + 2 t and + 1 of row g + 8 r: one word of
        // 16-bit halves, or two f32 words.
        Value row = m.add(gq, m.c(8 * r));
        Value word, v[2];
        if (wide) {
          Value e = m.add(m.c(16 * kk + 8 * hh), m.mul(tq, m.c(2)));
          for (int64_t i = 0; i < 2; ++i)
            v[i] = arith::BitcastOp::create(
                g, loc, g.getF32Type(),
                memref::LoadOp::create(
                    g, loc, tileW, ValueRange{warp, row, m.add(e, m.c(i))}));
        } else {
          word = memref::LoadOp::create(
              g, loc, tileW,
              ValueRange{warp, row, m.add(m.c(8 * kk + 4 * hh), tq)});
          v[0] = half(word, 0, elem);
          v[1] = half(word, 16, elem);
        }
        for (Value e : v)
          sumSq[r] = math::FmaOp::create(g, loc, e, e, sumSq[r]);
        if (!splitX) { // bf16: the word is the fragment
          hiW[r].push_back(word);
          continue;
        }
        hiW[r].push_back(pack(v[0], v[1]));
        loW[r].push_back(packResidual(v[0], v[1]));
      }
  aHi.clear();
  aLo.clear();
  for (int64_t kk = 0; kk < D / 16; ++kk) {
    for (int64_t hh = 0; hh < 2; ++hh) // a0 a1 (cols 2t), a2 a3 (2t + 8)
      for (int64_t r = 0; r < 2; ++r) {
        aHi.push_back(hiW[r][2 * kk + hh]);
        if (splitX)
          aLo.push_back(loW[r][2 * kk + hh]);
      }
  }
  const int64_t groups = this->groups();

  // The stabilizer: max of c x P^T over the row's features (first pass).
  // With at most kKeptGroups groups their accumulators stay in registers
  // for the value pass, so x is projected once (the second projection was
  // ~45% of the query kernel's time at m = D = 64).
  Value stab[2] = {f32(0.0f), f32(0.0f)};
  SmallVector<SmallVector<Frag>> kept;
  if (favor()) {
    auto maxOver = [&](ArrayRef<Frag> acc, Value gi, SmallVector<Value> r) {
      forEachElement(acc, gi, [&](int64_t, int64_t e, Value f, Value p) {
        Value v = arith::SelectOp::create(g, loc, m.lt(f, m.c(M)), p,
                                          f32(-kInf));
        r[e / 2] = maxOf(r[e / 2], v);
      });
      return r;
    };
    SmallVector<Value> mx{f32(-kInf), f32(-kInf)};
    if (groups <= kKeptGroups) {
      for (int64_t gi = 0; gi < groups; ++gi) {
        kept.push_back(project(m.c(gi)));
        mx = maxOver(kept.back(), m.c(gi), mx);
      }
    } else {
      mx = m.loop(m.c(0), m.c(groups), m.c(1), mx,
                  [&](Value gi, ValueRange cur) -> SmallVector<Value> {
                    return maxOver(project(gi), gi, SmallVector<Value>(cur));
                  });
    }
    for (int64_t r = 0; r < 2; ++r)
      stab[r] = shuffleMax(mx[r], {1, 2});
  }
  if (favor() && mode == FeatureKernelMode::Keys) {
    // Keys share the max over the warp's 16 rows (those that exist), written
    // to partial[b, h, row0 / 16] for the scan to rescale by (LinearChunked).
    Value row = m.add(row0, gq);
    Value ok[2] = {m.lt(row, L), m.lt(m.add(row, m.c(8)), L)};
    Value mine = f32(-kInf);
    for (int64_t r = 0; r < 2; ++r)
      mine = maxOf(mine,
                   arith::SelectOp::create(g, loc, ok[r], stab[r], f32(-kInf)));
    stab[0] = stab[1] = shuffleMax(mine, {4, 8, 16});
    auto ifOp = scf::IfOp::create(
        g, loc, m.andI(m.eq(lane, m.c(0)), m.lt(row0, L)), false);
    OpBuilder::InsertionGuard guard(g);
    g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    memref::StoreOp::create(g, loc, stab[0], partial,
                            ValueRange{b, h, m.div(row0, m.c(kKeyStabilizerRows))});
  }
  Value shift[2]; // FAVOR+ only: c^2 ||x||^2 / 2 + stab
  for (int64_t r = 0; favor() && r < 2; ++r)
    shift[r] = arith::AddFOp::create(
        g, loc,
        arith::MulFOp::create(g, loc, f32(k.c * k.c / 2.0f),
                              sumOverQuad(sumSq[r])),
        stab[r]);

  // phi, group by group: features f, f + 1 of rows g and g + 8 (a bf16
  // pair, or two f32 words) into the warp's tile buffer (its x has been
  // read), then out 16 bytes a lane at a time, whole rows of the group.
  auto exp2Form = [&](Value y) { return fastExp(g, loc, y); };
  auto writeGroup = [&](Value gi, ArrayRef<Frag> acc) {
    Value f0 = m.mul(gi, m.c(kGroup));
    syncWarp(); // the buffer's earlier contents have been read
    for (int64_t nt = 0; nt < kGroup / 8; ++nt)
      for (int64_t r = 0; r < 2; ++r) {
        Value f = m.add(m.add(f0, m.c(8 * nt)), m.mul(tq, m.c(2)));
        Value pair[2];
        for (int64_t i = 0; i < 2; ++i) {
          Value fi = m.add(f, m.c(i));
          Value val = featureValue(g, loc, k, exp2Form, acc[nt][2 * r + i],
                                   favor() ? shift[r] : Value());
          pair[i] =
              arith::SelectOp::create(g, loc, m.lt(fi, m.c(M)), val, f32(0.0f));
        }
        Value row = m.add(gq, m.c(8 * r));
        if (!wide) {
          memref::StoreOp::create(g, loc, pack(pair[0], pair[1]), tileW,
                                  ValueRange{warp, row, m.add(m.c(4 * nt), tq)});
          continue;
        }
        for (int64_t i = 0; i < 2; ++i)
          memref::StoreOp::create(
              g, loc,
              arith::BitcastOp::create(g, loc, g.getI32Type(), pair[i]), tileW,
              ValueRange{warp, row,
                         m.add(m.c(8 * nt + i), m.mul(tq, m.c(2)))});
      }
    syncWarp();
    const int64_t chunksPerRow = phiWords() / 4, perChunk = wide ? 4 : 8;
    Type phiElem = wide ? g.getF32Type() : g.getBF16Type();
    for (int64_t i = 0; i < 16 * chunksPerRow / 32; ++i) {
      Value c = m.add(lane, m.c(32 * i));
      Value r = m.div(c, m.c(chunksPerRow));
      Value col = g.createOrFold<arith::RemUIOp>(loc, c, m.c(chunksPerRow));
      Value row = m.add(row0, r), f = m.add(f0, m.mul(col, m.c(perChunk)));
      auto ifOp = scf::IfOp::create(
          g, loc, m.andI(m.lt(row, L), m.lt(f, m.c(Mp))), false);
      OpBuilder::InsertionGuard guard(g);
      g.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      Value w =
          vector::LoadOp::create(g, loc, VectorType::get({4}, g.getI32Type()),
                                 tileW, ValueRange{warp, r, m.mul(col, m.c(4))},
                                 /*nontemporal=*/false, llvm::MaybeAlign(16));
      Value vec = vector::BitCastOp::create(
          g, loc, VectorType::get({perChunk}, phiElem), w);
      vector::StoreOp::create(g, loc, vec, phi, ValueRange{b, h, row, f},
                              /*nontemporal=*/false, llvm::MaybeAlign(16));
    }
  };
  if (!kept.empty()) {
    for (auto [gi, acc] : llvm::enumerate(kept))
      writeGroup(m.c(gi), acc);
  } else {
    m.loop(m.c(0), m.c(groups), m.c(1), {},
           [&](Value gi, ValueRange) -> SmallVector<Value> {
             writeGroup(gi, project(gi));
             return {};
           });
  }
}

void FeatureBuilder::build(gpu::GPUFuncOp fn) {
  Block &entry = fn.getBody().front();
  x = entry.getArgument(0);
  P = entry.getArgument(1);
  unsigned next = 2;
  if (mode == FeatureKernelMode::Keys)
    partial = entry.getArgument(next++);
  phi = entry.getArgument(next);

  auto wg = gpu::AddressSpaceAttr::get(g.getContext(),
                                       gpu::AddressSpace::Workgroup);
  Value dynamic = gpu::DynamicSharedMemoryOp::create(
      g, loc, MemRefType::get({ShapedType::kDynamic}, g.getI8Type(),
                              AffineMap(), wg));
  auto words = MemRefType::get({stagedRows(), D / 2 + 4}, g.getI32Type(),
                               AffineMap(), wg);
  PhW = memref::ViewOp::create(g, loc, words, dynamic, m.c(0), ValueRange{});
  PlW = memref::ViewOp::create(g, loc, words, dynamic,
                               m.c(4 * words.getNumElements()), ValueRange{});
  auto tileType = MemRefType::get({kWarps, 16, tileRowWords()},
                                  g.getI32Type(), AffineMap(), wg);
  tileW = memref::ViewOp::create(g, loc, tileType, dynamic,
                                 m.c(8 * words.getNumElements()), ValueRange{});

  Value blk = gpu::BlockIdOp::create(g, loc, gpu::Dimension::x);
  h = gpu::BlockIdOp::create(g, loc, gpu::Dimension::y);
  b = gpu::BlockIdOp::create(g, loc, gpu::Dimension::z);
  tid = gpu::ThreadIdOp::create(g, loc, gpu::Dimension::x);
  warp = m.div(tid, m.c(32));
  lane = g.createOrFold<arith::RemUIOp>(loc, tid, m.c(32));
  gq = m.div(lane, m.c(4));
  tq = g.createOrFold<arith::RemUIOp>(loc, lane, m.c(4));
  L = m.dim(x, storedDim(layout, 2));

  if (resident()) { // all of P, once
    stage(m.c(0), stagedRows());
    barrier();
  }
  // The block's tiles of kRows rows: blk, blk + gridDim.x, ... (the host
  // launches about as many blocks as fit on the GPU at once, so that P is
  // staged once per block rather than once per tile).
  Value tiles = m.ceilDiv(L, m.c(kRows));
  Value step = gpu::GridDimOp::create(g, loc, gpu::Dimension::x);
  m.loop(blk, tiles, step, {}, [&](Value t, ValueRange) {
    tile(t);
    return SmallVector<Value>{};
  });
  gpu::ReturnOp::create(g, loc);
}

} // namespace

int64_t mlir::attn::paddedFeatureCount(int64_t m) { return (m + 15) / 16 * 16; }

gpu::GPUFuncOp mlir::attn::buildFeatureKernel(LinearAttentionOp op,
                                              OpBuilder &kb, StringRef name,
                                              ValueRange params,
                                              FeatureKernelMode mode,
                                              int64_t &sharedBytes) {
  auto fn = gpu::GPUFuncOp::create(
      kb, op.getLoc(), name,
      kb.getFunctionType(TypeRange(ValueRange(params).getTypes()), {}));
  fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  fn.setKnownBlockSizeAttr(kb.getDenseI32ArrayAttr(
      {static_cast<int32_t>(FeatureBuilder::kThreads), 1, 1}));
  OpBuilder body(kb.getContext());
  body.setInsertionPointToStart(&fn.getBody().front());
  FeatureBuilder fb(op, body, mode);
  fb.build(fn);
  sharedBytes = fb.sharedBytes();
  fn->setAttr("nvvm.minctasm", kb.getI32IntegerAttr(featureBlocksPerSM(op)));
  return fn;
}

int64_t mlir::attn::featureKernelSharedBytes(LinearAttentionOp op) {
  OpBuilder b(op.getContext());
  return FeatureBuilder(op, b, FeatureKernelMode::Queries).sharedBytes();
}

int64_t mlir::attn::featureBlocksPerSM(LinearAttentionOp op) {
  // An SM has 228 KB of shared memory, 1 KB of it reserved per block.
  OpBuilder b(op.getContext());
  FeatureBuilder fb(op, b, FeatureKernelMode::Queries);
  int64_t fit = 228 * 1024 / (fb.sharedBytes() + 1024);
  // f32 x takes twice the registers (its high and low parts): at 4 blocks
  // (64 registers) the kernels spilled ~150 bytes, at 2 none.
  int64_t most = op.getQuery().getType().getElementType().isF32()
                     ? 2
                     : kFeatureBlocksPerSM;
  return std::clamp<int64_t>(fit, 1, most);
}
