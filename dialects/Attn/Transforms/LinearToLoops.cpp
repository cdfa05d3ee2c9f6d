//===- LinearToLoops.cpp - attn.linear_attention into loops ---------------===//
//
// The chunked form of linear attention, parallel over (batch, head), in
// chunks of kChunk keys and queries with an f32 state S [M, Dv], z [M]:
//   non-causal: S = sum_c phi(K_c)^T V_c, z = sum_j phi(k_j), then per
//               query chunk O_c = phi(Q_c) S / (phi(Q_c) z + eps);
//   causal:     query chunk c sees the key chunk shifted by off = Lk - Lq:
//               O_c = [tril(phi(Q_c) phi(K_c)^T) V_c + phi(Q_c) S] / (...),
//               then S += phi(K_c)^T V_c (keys before the first chunk,
//               when off > 0, are folded in first).
// The products run on the register-blocked micro-kernels (attn.tile_qk,
// attn.tile_pv, lowered by attn-lower-tile-matmul), so the state is read and
// updated once per chunk instead of once per key; a causal chunk's two
// output products are one stacked tile_pv, [phi(Q_c) | tril(scores)]
// [S ; V_c]. Rows of Q, K and V are prefetched two chunks ahead. phi
// (FeatureMapMath) is computed per row into chunk scratch (16 lanes at a
// time for elementwise maps); FAVOR+'s key stabilizer and the softmax map's key statistics take
// one extra pass over the keys first. Scratch is on the heap, per
// (batch, head).
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/FeatureMapMath.h"
#include "Attn/Transforms/OnlineSoftmaxMath.h"
#include "Attn/Transforms/Passes.h"
#include "MaskLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"

#include <cmath>
#include <limits>

#define DEBUG_TYPE "attn-linear-to-loops"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLINEARTOLOOPS
#include "Attn/Transforms/Passes.h.inc"

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
/// Keys and queries per chunk: the products of a chunk run on the
/// register-blocked micro-kernels (attn.tile_qk / tile_pv), and the state
/// (f32, [M, Dv]) is read and updated once per chunk instead of per key.
constexpr int64_t kChunk = 16;

struct Lowering {
  LinearAttentionOp op;
  OpBuilder &b;
  Location loc;
  IndexMath m;
  Layout layout;
  FeatureMap map;
  int64_t D, Dv, M;
  float c;
  Value proj; ///< P [M, D] or null
  FeatureMapConstants constants;
  /// exp as math.exp: attn-approximate-math makes it a vector polynomial.
  struct MathExp {
    OpBuilder &b;
    Location loc;
    Value operator()(Value x) const { return math::ExpOp::create(b, loc, x); }
  };

  Value f32(float v) { return m.f32(v); }
  Value toF32(Value x) { return m.toF32(x); }
  /// for (i = lo; i < hi; ++i) body(i, carried) -> carried
  SmallVector<Value> loop(Value lo, Value hi, ValueRange init,
                          function_ref<SmallVector<Value>(Value, ValueRange)> fn) {
    return m.loop(lo, hi, m.c(1), init, fn);
  }
  SmallVector<Value> indexAt(Value bi, Value head, Value s, Value d) {
    if (layout == Layout::bshd)
      return {bi, s, head, d};
    return {bi, head, s, d};
  }
  /// row[t] = x[b, head, s, t] as f32.
  void loadRow(Value x, Value bi, Value head, Value s, Value row,
               int64_t n = -1) {
    loop(m.c(0), m.c(n < 0 ? D : n), {}, [&](Value t, ValueRange) {
      Value v = memref::LoadOp::create(b, loc, x, indexAt(bi, head, s, t));
      memref::StoreOp::create(b, loc, toF32(v), row, t);
      return SmallVector<Value>{};
    });
  }
  /// dd[f] = c * row . P[f] (or c * row[f] without a projection).
  Value projected(Value row, Value f) {
    if (!proj)
      return arith::MulFOp::create(b, loc, f32(c),
                                   memref::LoadOp::create(b, loc, row, f));
    Value dot = loop(m.c(0), m.c(D), {f32(0.0f)}, [&](Value t, ValueRange acc) {
      Value p = toF32(memref::LoadOp::create(b, loc, proj, ValueRange{f, t}));
      Value x = memref::LoadOp::create(b, loc, row, t);
      return SmallVector<Value>{math::FmaOp::create(b, loc, x, p, acc[0])};
    })[0];
    return arith::MulFOp::create(b, loc, f32(c), dot);
  }
  Value sumSquares(Value row) {
    return loop(m.c(0), m.c(D), {f32(0.0f)}, [&](Value t, ValueRange acc) {
      Value x = memref::LoadOp::create(b, loc, row, t);
      return SmallVector<Value>{math::FmaOp::create(b, loc, x, x, acc[0])};
    })[0];
  }
  Value maxOver(Value n, function_ref<Value(Value)> at) {
    return loop(m.c(0), n, {f32(-kInf)}, [&](Value f, ValueRange acc) {
      return SmallVector<Value>{arith::MaximumFOp::create(b, loc, acc[0], at(f))};
    })[0];
  }

  /// phi of `row` into `phi` [M]. Keys use `keyStab` (FAVOR+) or the
  /// per-feature `colMax`/`colSum` (softmax, non-causal).
  void featureMap(Value row, Value phi, bool isQuery, Value keyStab,
                  Value colMax, Value colSum) {
    auto store = [&](Value f, Value v) {
      memref::StoreOp::create(b, loc, v, phi, f);
    };
    auto forEachFeature = [&](function_ref<Value(Value)> value) {
      loop(m.c(0), m.c(M), {}, [&](Value f, ValueRange) {
        store(f, value(f));
        return SmallVector<Value>{};
      });
    };
    switch (map) {
    case FeatureMap::elu_plus_one:
      forEachFeature([&](Value f) -> Value {
        return featureValue(b, loc, constants, MathExp{b, loc},
                            memref::LoadOp::create(b, loc, row, f));
      });
      return;
    case FeatureMap::relu:
      forEachFeature([&](Value f) -> Value {
        return featureValue(b, loc, constants, MathExp{b, loc}, projected(row, f));
      });
      return;
    case FeatureMap::favor_plus: {
      Value diag = arith::MulFOp::create(b, loc, f32(c * c / 2.0f),
                                         sumSquares(row));
      Value stab = isQuery ? maxOver(m.c(M),
                                     [&](Value f) { return projected(row, f); })
                           : keyStab;
      Value shift = arith::AddFOp::create(b, loc, diag, stab);
      forEachFeature([&](Value f) -> Value {
        return featureValue(b, loc, constants, MathExp{b, loc},
                            projected(row, f), shift);
      });
      return;
    }
    case FeatureMap::softmax: {
      if (isQuery) { // softmax over the features of the row
        Value mx = maxOver(m.c(D), [&](Value t) -> Value {
          return memref::LoadOp::create(b, loc, row, t);
        });
        forEachFeature([&](Value f) -> Value {
          return featureValue(b, loc, constants, MathExp{b, loc},
                              memref::LoadOp::create(b, loc, row, f), mx);
        });
        Value sum = loop(m.c(0), m.c(M), {f32(0.0f)}, [&](Value f, ValueRange acc) {
          return SmallVector<Value>{arith::AddFOp::create(
              b, loc, acc[0], memref::LoadOp::create(b, loc, phi, f))};
        })[0];
        forEachFeature([&](Value f) -> Value {
          return arith::DivFOp::create(
              b, loc, memref::LoadOp::create(b, loc, phi, f), sum);
        });
        return;
      }
      forEachFeature([&](Value f) -> Value {
        Value x = memref::LoadOp::create(b, loc, row, f);
        if (!colMax) // causal: exp(k), a softmax would see the future
          return featureValue(b, loc, constants, MathExp{b, loc}, x);
        Value e = featureValue(b, loc, constants, MathExp{b, loc}, x,
                               memref::LoadOp::create(b, loc, colMax, f));
        return arith::DivFOp::create(b, loc, e,
                                     memref::LoadOp::create(b, loc, colSum, f));
      });
      return;
    }
    }
  }

  LogicalResult run();
};

LogicalResult Lowering::run() {
  Value q = bufferizeOperand(b, loc, op.getQuery());
  Value k = bufferizeOperand(b, loc, op.getKey());
  Value v = bufferizeOperand(b, loc, op.getValue());
  proj = bufferizeOperand(b, loc, op.getProjection());
  auto stored = [&](int64_t logical) -> int64_t {
    return layout == Layout::bshd && (logical == 1 || logical == 2)
               ? 3 - logical
               : logical;
  };
  Value B = m.dim(q, 0), Hq = m.dim(q, stored(1)), Hkv = m.dim(k, stored(1)),
        Lq = m.dim(q, stored(2)), Lk = m.dim(k, stored(2));
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 4; ++i)
    if (outType.isDynamicDim(i))
      sizes.push_back(m.dim(q, i)); // O shares Q's stored B, H, L
  Value out = allocResult(b, loc, outType, sizes);
  Value group = m.div(Hq, Hkv), off = m.sub(Lk, Lq);
  const float eps = static_cast<float>(op.getEpsOrDefault());
  const bool causal = op.getCausal();
  Type outElem = outType.getElementType();

  auto lineOffset = [&](Value bytes) {
    return b.createOrFold<arith::RemUIOp>(loc, bytes, m.c(64));
  };
  // Output rows go out with non-temporal stores (no read for ownership of
  // lines that are written whole) where O is too large to stay in cache for
  // its reader anyway (kStreamBytes or more) and every row starts on a
  // 64-byte line: f32 rows of whole 16-lane vectors, the buffer and its
  // strides 64-byte aligned (checked here, at run time; unaligned
  // non-temporal stores split into scalar ones). Causal elu+1 f32 at
  // L = 4096 / 16384 (B=1 H=8 D=64): 6-10% faster; L = 2048: no change.
  constexpr int64_t kStreamBytes = 4 << 20;
  Value streamOut;
  if (outElem == b.getF32Type() && Dv % 16 == 0) {
    auto meta = memref::ExtractStridedMetadataOp::create(b, loc, out);
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, out);
    Value start = m.add(base, m.mul(meta.getOffset(), m.c(4)));
    // B Hq Lq rows of Dv floats (no overflow: the buffer exists).
    Value large = m.le(m.c(kStreamBytes / (4 * Dv)),
                       m.mul(m.mul(B, Hq), Lq));
    streamOut = m.andI(large, m.eq(lineOffset(start), m.c(0)));
    for (Value stride : meta.getStrides().drop_back())
      streamOut = m.andI(streamOut,
                         m.eq(lineOffset(m.mul(stride, m.c(4))), m.c(0)));
  }

  // No query, no output: no (batch, head) runs its keys (else the time
  // would grow with Hq for an empty result).
  Value batches = arith::SelectOp::create(b, loc, m.eq(Lq, m.c(0)), m.c(0), B);
  auto par = scf::ParallelOp::create(b, loc, ValueRange{m.c(0), m.c(0)},
                                     ValueRange{batches, Hq},
                                     ValueRange{m.c(1), m.c(1)});
  b.setInsertionPointToStart(par.getBody());
  Value bi = par.getInductionVars()[0], hi = par.getInductionVars()[1];
  Value kvh = m.div(hi, group);
  Type f32t = b.getF32Type();
  // Per-(batch, head) scratch on the heap, freed at the end of the
  // iteration (sized by M and D, which no stack bounds; see attn-tile).
  SmallVector<Value> buffers;
  auto scratch = [&](ArrayRef<int64_t> shape) -> Value {
    buffers.push_back(
        memref::AllocOp::create(b, loc, MemRefType::get(shape, f32t)));
    return buffers.back();
  };
  // The state S [M, Dv] and z [M], the chunk's features (phi(Q) [C, M],
  // phi(K) [C, M]), its values, output rows and denominators.
  //
  // Causal chunks stack the two products of a query chunk into one:
  //   O_c = [phi(Q_c) | tril(scores)] [S ; V_c],
  // so S and V_c are the rows [0, M) and [M, M + C) of one buffer `sv`,
  // phi(Q_c)^T and the masked scores (keys x queries) those of `pt`
  // [M + C, C], and z is followed by C ones in `zz` (the denominators are
  // then pt^T zz). One micro-kernel call with M + C steps instead of two.
  const int64_t C = kChunk;
  const int64_t stacked = causal ? M + C : M;
  Value sv = scratch({stacked, Dv}), zz = scratch({stacked}),
        row = scratch({D}), phiQ = scratch({C, M}), phiK = scratch({C, M}),
        acc = scratch({C, Dv}), den = scratch({C});
  Value pt = causal ? scratch({stacked, C}) : Value();
  // Rows [first, first + n) of a 2-D buffer (the buffer itself if all).
  auto rows = [&](Value buf, int64_t first, int64_t n) -> Value {
    auto type = cast<MemRefType>(buf.getType());
    if (first == 0 && n == type.getDimSize(0))
      return buf;
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(first),
                                         b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(n),
                                       b.getIndexAttr(type.getDimSize(1))};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return memref::SubViewOp::create(b, loc, buf, offsets, sizes, strides);
  };
  Value S = rows(sv, 0, M), vc = causal ? rows(sv, M, C) : scratch({C, Dv});
  Value phiQt = causal ? rows(pt, 0, M) : Value();
  Value st = causal ? rows(pt, M, C) : Value();
  Value z = causal ? memref::SubViewOp::create(
                         b, loc, zz, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
                         ArrayRef<OpFoldResult>{b.getIndexAttr(M)},
                         ArrayRef<OpFoldResult>{b.getIndexAttr(1)})
                   : zz;
  if (causal)
    linalg::FillOp::create(b, loc, ValueRange{f32(1.0f)}, ValueRange{zz});
  linalg::FillOp::create(b, loc, ValueRange{f32(0.0f)}, ValueRange{S});
  linalg::FillOp::create(b, loc, ValueRange{f32(0.0f)}, ValueRange{z});

  // Key statistics that need every key first.
  Value keyStab, colMax, colSum;
  if (map == FeatureMap::favor_plus)
    keyStab = loop(m.c(0), Lk, {f32(-kInf)}, [&](Value j, ValueRange acc) {
      loadRow(k, bi, kvh, j, row);
      Value mx = maxOver(m.c(M), [&](Value f) { return projected(row, f); });
      return SmallVector<Value>{arith::MaximumFOp::create(b, loc, acc[0], mx)};
    })[0];
  if (map == FeatureMap::softmax && !causal) {
    colMax = scratch({D});
    colSum = scratch({D});
    linalg::FillOp::create(b, loc, ValueRange{f32(-kInf)}, ValueRange{colMax});
    linalg::FillOp::create(b, loc, ValueRange{f32(0.0f)}, ValueRange{colSum});
    auto overKeys = [&](function_ref<void(Value, Value)> fn) {
      loop(m.c(0), Lk, {}, [&](Value j, ValueRange) {
        loadRow(k, bi, kvh, j, row);
        loop(m.c(0), m.c(D), {}, [&](Value t, ValueRange) {
          fn(t, memref::LoadOp::create(b, loc, row, t));
          return SmallVector<Value>{};
        });
        return SmallVector<Value>{};
      });
    };
    overKeys([&](Value t, Value x) {
      Value cur = memref::LoadOp::create(b, loc, colMax, t);
      memref::StoreOp::create(b, loc, arith::MaximumFOp::create(b, loc, cur, x),
                              colMax, t);
    });
    overKeys([&](Value t, Value x) {
      Value e = math::ExpOp::create(
          b, loc,
          arith::SubFOp::create(b, loc, x,
                                memref::LoadOp::create(b, loc, colMax, t)));
      Value cur = memref::LoadOp::create(b, loc, colSum, t);
      memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, cur, e),
                              colSum, t);
    });
  }

  auto forRange = [&](Value lo, Value hiEnd, function_ref<void(Value)> body) {
    loop(lo, hiEnd, {}, [&](Value x, ValueRange) {
      body(x);
      return SmallVector<Value>{};
    });
  };
  auto ifThen = [&](Value cond, function_ref<void()> then,
                    function_ref<void()> otherwise) {
    auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    then();
    b.setInsertionPoint(ifOp.elseBlock()->getTerminator());
    otherwise();
  };
  auto fillRow = [&](Value buf, Value r, int64_t n, Value x) {
    forRange(m.c(0), m.c(n), [&](Value c) {
      memref::StoreOp::create(b, loc, x, buf, ValueRange{r, c});
    });
  };
  /// A 1-D view of `n` elements of `buf` (a row, a column or a prefix).
  auto subview = [&](Value buf, ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> sizes) -> Value {
    SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
    int64_t n = 1;
    for (OpFoldResult size : sizes)
      n *= *getConstantIntValue(size);
    auto type = memref::SubViewOp::inferRankReducedResultType(
        {n}, cast<MemRefType>(buf.getType()), offsets, sizes, strides);
    return memref::SubViewOp::create(b, loc, cast<MemRefType>(type), buf,
                                     offsets, sizes, strides);
  };
  auto zeroF = [&](Value buf) {
    linalg::FillOp::create(b, loc, ValueRange{f32(0.0f)}, ValueRange{buf});
  };

  // Row s of x's head as f32 vectors of 16 features (n % 16 == 0).
  auto loadVectors = [&](Value x, Value head, Value at, int64_t n) {
    Type elem = cast<MemRefType>(x.getType()).getElementType();
    // Read through a 1-D view of the row, whose type keeps the unit stride
    // (a direct vector.load would lose it when canonicalization folds the
    // cast to unit inner stride into it).
    SmallVector<OpFoldResult> offsets, sizes(4, b.getIndexAttr(1));
    for (Value i : indexAt(bi, head, at, m.c(0)))
      offsets.push_back(i);
    sizes[3] = b.getIndexAttr(n);
    Value rowView = subview(x, offsets, sizes);
    SmallVector<Value> vecs;
    for (int64_t c = 0; c < n; c += 16) {
      Value vec = vector::LoadOp::create(b, loc, VectorType::get({16}, elem),
                                         rowView, ValueRange{m.c(c)});
      if (elem != f32t)
        vec = arith::ExtFOp::create(b, loc, VectorType::get({16}, f32t), vec);
      vecs.push_back(vec);
    }
    return vecs;
  };
  // Rows of Q, K and V are read once, a chunk at a time, from memory too
  // large to stay in cache: the hardware prefetchers did not keep ahead
  // of these short row streams (perf put a third of causal elu+1's time
  // at L = 16384 on the rows' first loads). Staging row `at` of a chunk
  // also prefetches row min(at + kPrefetchRows, end - 1) into L1, a line
  // at a time; at < end, so the row exists.
  constexpr int64_t kPrefetchRows = 2 * kChunk;
  auto prefetchAhead = [&](Value x, Value head, Value at, Value end,
                           int64_t n) {
    Value ahead = m.min(m.add(at, m.c(kPrefetchRows)), m.sub(end, m.c(1)));
    auto elem = cast<MemRefType>(x.getType()).getElementType();
    int64_t perLine = std::max<int64_t>(1, 512 / elem.getIntOrFloatBitWidth());
    m.loop(m.c(0), m.c(n), m.c(perLine), {}, [&](Value d, ValueRange) {
      memref::PrefetchOp::create(b, loc, x, indexAt(bi, head, ahead, d),
                                 /*isWrite=*/false, /*localityHint=*/3,
                                 /*isDataCache=*/true);
      return SmallVector<Value>{};
    });
  };
  // Elementwise maps on whole rows of 16-lane vectors; the others (and
  // rows that are no multiple of 16) feature by feature.
  const bool vectorPhi = (map == FeatureMap::elu_plus_one ||
                          (map == FeatureMap::relu && !proj)) &&
                         D % 16 == 0;
  // phi of row `at` of x's head into row r of `dst` [C, M].
  auto stagePhi = [&](Value x, Value head, Value at, Value dst, Value r,
                      bool isQuery) {
    if (!vectorPhi) {
      loadRow(x, bi, head, at, row);
      featureMap(row,
                 subview(dst, {r, b.getIndexAttr(0)},
                         {b.getIndexAttr(1), b.getIndexAttr(M)}),
                 isQuery, keyStab, colMax, colSum);
      return;
    }
    for (auto [c, vec] : llvm::enumerate(loadVectors(x, head, at, D))) {
      if (map == FeatureMap::relu)
        vec = arith::MulFOp::create(b, loc, vec, f32Like(b, loc, vec, this->c));
      vector::StoreOp::create(b, loc, featureValue(b, loc, constants, MathExp{b, loc}, vec),
                              dst, ValueRange{r, m.c(16 * c)});
    }
  };
  // Keys [ks, ks + C) of this chunk: phi(k) into the rows of phiK, v into
  // vc; keys outside [0, end) are zero rows (no key adds anything).
  auto stageKeys = [&](Value ks, Value end) {
    forRange(m.c(0), m.c(C), [&](Value r) {
      Value j = m.add(ks, r);
      ifThen(
          m.andI(m.le(m.c(0), j), m.lt(j, end)),
          [&] {
            prefetchAhead(k, kvh, j, end, D);
            prefetchAhead(v, kvh, j, end, Dv);
            stagePhi(k, kvh, j, phiK, r, /*isQuery=*/false);
            if (Dv % 16 == 0) {
              for (auto [c, vec] : llvm::enumerate(loadVectors(v, kvh, j, Dv)))
                vector::StoreOp::create(b, loc, vec, vc,
                                        ValueRange{r, m.c(16 * c)});
              return;
            }
            forRange(m.c(0), m.c(Dv), [&](Value y) {
              Value x = memref::LoadOp::create(b, loc, v,
                                               indexAt(bi, kvh, j, y));
              memref::StoreOp::create(b, loc, toF32(x), vc, ValueRange{r, y});
            });
          },
          [&] {
            fillRow(phiK, r, M, f32(0.0f));
            fillRow(vc, r, Dv, f32(0.0f));
          });
    });
  };
  // S += phi(K_c)^T V_c and z += column sums of phi(K_c), on the micro-kernel.
  auto vec16 = VectorType::get({16}, f32t);
  auto addChunk = [&] {
    TilePVOp::create(b, loc, phiK, vc, S, /*alpha=*/Value());
    if (M % 16 == 0) { // z in registers, 16 features at a time
      m.loop(m.c(0), m.c(M), m.c(16), {}, [&](Value f, ValueRange) {
        Value zf = vector::LoadOp::create(b, loc, vec16, z, ValueRange{f});
        zf = loop(m.c(0), m.c(C), {zf}, [&](Value r, ValueRange sum) {
          Value x = vector::LoadOp::create(b, loc, vec16, phiK,
                                           ValueRange{r, f});
          return SmallVector<Value>{arith::AddFOp::create(b, loc, sum[0], x)};
        })[0];
        vector::StoreOp::create(b, loc, zf, z, ValueRange{f});
        return SmallVector<Value>{};
      });
      return;
    }
    forRange(m.c(0), m.c(C), [&](Value r) {
      forRange(m.c(0), m.c(M), [&](Value f) {
        Value x = memref::LoadOp::create(b, loc, phiK, ValueRange{r, f});
        Value zf = memref::LoadOp::create(b, loc, z, f);
        memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, zf, x),
                                z, f);
      });
    });
  };
  // Keys every query sees: all (non-causal) or those before the first
  // query's window (causal, Lk > Lq).
  Value prefixEnd = causal ? m.min(m.max(off, m.c(0)), Lk) : Lk;
  m.loop(m.c(0), prefixEnd, m.c(C), {}, [&](Value ks, ValueRange) {
    stageKeys(ks, prefixEnd);
    addChunk();
    return SmallVector<Value>{};
  });

  // Query chunks: O_c = [phi(Q_c) S (+ causal: tril(phi(Q_c) phi(K_c)^T)
  // V_c)] / (phi(Q_c) z (+ the masked row sums) + eps); causal then adds
  // the chunk's keys, which the next chunk's queries see.
  m.loop(m.c(0), Lq, m.c(C), {}, [&](Value qs, ValueRange) {
    forRange(m.c(0), m.c(C), [&](Value i) {
      ifThen(
          m.lt(m.add(qs, i), Lq),
          [&] {
            prefetchAhead(q, hi, m.add(qs, i), Lq, D);
            stagePhi(q, hi, m.add(qs, i), phiQ, i, /*isQuery=*/true);
          },
          [&] { fillRow(phiQ, i, M, f32(0.0f)); });
    });
    zeroF(acc);
    zeroF(den);
    if (causal) {
      // Key r of the chunk is key qs + off + r: query i sees it iff r <= i.
      stageKeys(m.add(qs, off), Lk);
      if (M % 16 == 0) {
        // 16 x 16 blocks through a vector.transpose (the CPU pipeline
        // lowers it to shuffles): an element at a time was 2 C M scalar
        // loads and stores per chunk.
        auto block = VectorType::get({16, 16}, f32t);
        m.loop(m.c(0), m.c(M), m.c(16), {}, [&](Value f, ValueRange) {
          Value tile = arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(block, 0.0f));
          for (int64_t i = 0; i < C; ++i)
            tile = vector::InsertOp::create(
                b, loc,
                vector::LoadOp::create(b, loc, vec16, phiQ,
                                       ValueRange{m.c(i), f}),
                tile, i);
          tile = vector::TransposeOp::create(b, loc, tile,
                                             ArrayRef<int64_t>{1, 0});
          for (int64_t j = 0; j < 16; ++j)
            vector::StoreOp::create(b, loc,
                                    vector::ExtractOp::create(b, loc, tile, j),
                                    phiQt, ValueRange{m.add(f, m.c(j)), m.c(0)});
          return SmallVector<Value>{};
        });
      } else {
        forRange(m.c(0), m.c(C), [&](Value i) {
          forRange(m.c(0), m.c(M), [&](Value f) {
            memref::StoreOp::create(
                b, loc, memref::LoadOp::create(b, loc, phiQ, ValueRange{i, f}),
                phiQt, ValueRange{f, i});
          });
        });
      }
      TileQKOp::create(b, loc, phiQt, phiK, st, b.getF64FloatAttr(1.0));
      // Key r is visible to queries i >= r: st[r] keeps those lanes (C = 16
      // queries, one vector).
      static_assert(kChunk == 16, "the mask covers a chunk in one vector");
      Value lanes = vector::StepOp::create(
          b, loc, VectorType::get({16}, b.getIndexType()));
      Value zeros =
          arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vec16, 0.0f));
      forRange(m.c(0), m.c(C), [&](Value r) {
        Value x = vector::LoadOp::create(b, loc, vec16, st, ValueRange{r, m.c(0)});
        Value seen = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sle,
            vector::BroadcastOp::create(b, loc, lanes.getType(), r), lanes);
        x = arith::SelectOp::create(b, loc, seen, x, zeros);
        vector::StoreOp::create(b, loc, x, st, ValueRange{r, m.c(0)});
      });
      // den = pt^T zz = phi(Q_c) z + the kept scores' sums, the queries as
      // lanes, in four partial sums (one chain would wait on each FMA).
      auto denStep = [&](Value k, Value sum) -> Value {
        Value w = vector::BroadcastOp::create(
            b, loc, vec16, memref::LoadOp::create(b, loc, zz, k));
        return math::FmaOp::create(
            b, loc, w, vector::LoadOp::create(b, loc, vec16, pt, ValueRange{k, m.c(0)}),
            sum);
      };
      const int64_t main4 = stacked - stacked % 4;
      SmallVector<Value> parts = m.loop(
          m.c(0), m.c(main4), m.c(4), SmallVector<Value>(4, zeros),
          [&](Value k, ValueRange sums) {
            SmallVector<Value> next;
            for (int64_t u = 0; u < 4; ++u)
              next.push_back(denStep(m.add(k, m.c(u)), sums[u]));
            return next;
          });
      for (int64_t k = main4; k < stacked; ++k)
        parts[0] = denStep(m.c(k), parts[0]);
      Value denV = arith::AddFOp::create(
          b, loc, arith::AddFOp::create(b, loc, parts[0], parts[1]),
          arith::AddFOp::create(b, loc, parts[2], parts[3]));
      vector::StoreOp::create(b, loc, denV, den, ValueRange{m.c(0)});
      TilePVOp::create(b, loc, pt, sv, acc, /*alpha=*/Value());
    } else {
      // den = phi(Q_c) z, then O_c += phi(Q_c) S on the micro-kernel (it
      // reads phi(Q_c)^T element by element: a transposed view will do).
      forRange(m.c(0), m.c(C), [&](Value i) {
        Value start = memref::LoadOp::create(b, loc, den, i);
        Value dot;
        if (M % 16 == 0) { // 16 lanes at a time, then across the lanes
          auto vec = VectorType::get({16}, f32t);
          Value sum = arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(vec, 0.0f));
          for (int64_t f = 0; f < M; f += 16)
            sum = math::FmaOp::create(
                b, loc,
                vector::LoadOp::create(b, loc, vec, phiQ, ValueRange{i, m.c(f)}),
                vector::LoadOp::create(b, loc, vec, z, ValueRange{m.c(f)}), sum);
          dot = arith::AddFOp::create(
              b, loc, start,
              vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                          sum));
        } else {
          dot = loop(m.c(0), m.c(M), {start},
                     [&](Value f, ValueRange sum) -> SmallVector<Value> {
                       Value p = memref::LoadOp::create(b, loc, phiQ,
                                                        ValueRange{i, f});
                       Value zf = memref::LoadOp::create(b, loc, z, f);
                       return {math::FmaOp::create(b, loc, p, zf, sum[0])};
                     })[0];
        }
        memref::StoreOp::create(b, loc, dot, den, i);
      });
      Value phiQT = memref::TransposeOp::create(
          b, loc, phiQ,
          AffineMapAttr::get(AffineMap::getPermutationMap(
              ArrayRef<unsigned>{1, 0}, b.getContext())));
      TilePVOp::create(b, loc, phiQT, S, acc, /*alpha=*/Value());
    }
    // o = acc / (den + eps); no visible key and eps = 0 would be 0/0: 0.
    forRange(m.c(0), m.min(m.c(C), m.sub(Lq, qs)), [&](Value i) {
      Value d = arith::AddFOp::create(
          b, loc, memref::LoadOp::create(b, loc, den, i), f32(eps));
      Value zero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, d,
                                         f32(0.0f));
      Value inv = arith::SelectOp::create(
          b, loc, zero, f32(0.0f), arith::DivFOp::create(b, loc, f32(1.0f), d));
      if (Dv % 16 == 0) { // whole rows of 16-lane vectors
        auto vec = VectorType::get({16}, f32t);
        Value invV = vector::BroadcastOp::create(b, loc, vec, inv);
        auto storeRow = [&](bool stream) {
          for (int64_t y = 0; y < Dv; y += 16) {
            Value x = arith::MulFOp::create(
                b, loc,
                vector::LoadOp::create(b, loc, vec, acc, ValueRange{i, m.c(y)}),
                invV);
            if (outElem != f32t)
              x = arith::TruncFOp::create(
                  b, loc, VectorType::get({16}, outElem), x);
            vector::StoreOp::create(
                b, loc, x, out, indexAt(bi, hi, m.add(qs, i), m.c(y)), stream,
                stream ? llvm::MaybeAlign(64) : llvm::MaybeAlign());
          }
        };
        if (streamOut)
          ifThen(streamOut, [&] { storeRow(true); }, [&] { storeRow(false); });
        else
          storeRow(false);
        return;
      }
      forRange(m.c(0), m.c(Dv), [&](Value y) {
        Value x = arith::MulFOp::create(
            b, loc, memref::LoadOp::create(b, loc, acc, ValueRange{i, y}), inv);
        if (outElem != f32t)
          x = arith::TruncFOp::create(b, loc, outElem, x);
        memref::StoreOp::create(b, loc, x, out,
                                indexAt(bi, hi, m.add(qs, i), y));
      });
    });
    if (causal)
      addChunk();
    return SmallVector<Value>{};
  });
  for (Value buf : buffers)
    memref::DeallocOp::create(b, loc, buf);
  // Non-temporal stores are weakly ordered: complete them before the
  // results are handed back (mfence on x86).
  if (streamOut)
    LLVM::FenceOp::create(b, loc, LLVM::AtomicOrdering::seq_cst);

  b.setInsertionPointAfter(par);
  replaceWithBuffers(b, op, out);
  return success();
}

struct AttnLinearToLoops : impl::AttnLinearToLoopsBase<AttnLinearToLoops> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<LinearAttentionOp> ops;
    getOperation()->walk([&](LinearAttentionOp op) { ops.push_back(op); });
    for (LinearAttentionOp op : ops) {
      OpBuilder b(op);
      AttentionDims d = op.getDims();
      Value proj = Value();
      Lowering l{op,
                 b,
                 op.getLoc(),
                 IndexMath{b, op.getLoc()},
                 op.getLayout(),
                 op.getFeatureMap(),
                 d.headDim,
                 d.valueDim,
                 op.getNumFeatures(),
                 static_cast<float>(
                     std::pow(static_cast<double>(d.headDim), -0.25)),
                 proj,
                 featureMapConstants(op)};
      if (failed(l.run()))
        return signalPassFailure();
    }
  }
};

} // namespace
} // namespace mlir::attn
