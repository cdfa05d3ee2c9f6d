//===- HopperAttention.cpp - attn.attention on Hopper tensor cores --------===//
//
// The sm_90a softmax-attention kernel of attn-to-gpu (f16/bf16, D and Dv
// multiples of 8 up to 256). A tile is 128 query rows of one (head,
// batch); the kernel is persistent: one CTA of three warpgroups per SM,
// each taking every gridDim.x-th tile. Warpgroup 2 is the producer: one
// elected thread loads each tile's query and streams key/value blocks
// through a ring of shared-memory stages with TMA (4-D tensor maps, so
// BHSD, BSHD, GQA and strided views need no copy; rows past the end and
// columns past D read as zero), signalling "full" mbarriers by transaction
// bytes. Warpgroups 0 and 1 are consumers of 64 query rows each: S = Q K^T
// with wgmma from shared memory, the mask on partial blocks only, the
// online softmax in the exp2 domain, then O += P V with P fed from
// registers (wgmma's register-A form, as inline PTX: MLIR 22 has no op for
// it), and an arrive on the stage's "empty" mbarrier. The ring's slot and
// phase count on across tiles, and the query has its own full/empty pair,
// so the next tile's loads overlap this tile's epilogue. With rotary
// embeddings the keys come turned from a pre-pass (RotaryKernels.cpp) and
// each consumer warpgroup turns its query rows in shared memory once they
// land, before its first wgmma of the tile.
//
// Which key blocks are visited, and which of them need a per-element mask,
// comes from MaskLogic (the CPU tiler's key ranges and block facts), and
// every per-pair predicate is MaskLogic's, so all mask kinds, bias and LSE
// follow the same semantics on both targets.
//
// Shared memory (from a 1024-byte aligned base; 128-byte swizzled panels of
// 64 columns, D and Dv rounded up to Dp and Dvp): Q [Dp/64 panels][128
// rows] (warpgroup w reads rows 64 w ..), then `stages` x (K [Dp/64
// panels][blockN rows], V [Dvp/64 panels][blockN rows]); blockN is 128
// keys, 64 when Dv > 128.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/MaskLogic.h"
#include "Attn/Transforms/OnlineSoftmaxMath.h"
#include "Attn/Transforms/RotaryMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <numeric>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kBlockM = 128; // query rows per tile (2 consumer WGs x 64)
constexpr int64_t kThreads = 384;
constexpr int64_t kConsumerThreads = 256;
// setmaxnreg moves registers between the warpgroups of the CTA only: the
// 168 per thread it is launched with (65536 / 384, rounded down to 8) must
// cover 56 per producer thread (the elected thread walks tiles and the
// mask's key ranges) and 224 per consumer thread (S, P and O fragments):
// 56 + 2 x 224 = 3 x 168. Asking for more than was given hangs the CTA.
// (ptxas reports no spills at 56 / 224 for every mask kind at D = 64 to
// 256; the producer spills at 40, the consumers did at 216.)
constexpr int64_t kProducerRegisters = 56;
constexpr int64_t kConsumerRegisters = 224;
constexpr int64_t kPanelBytes = 128; // one swizzled row of 64 elements
constexpr int64_t kSharedLimit = 227 * 1024;
constexpr int64_t kOutAlignment = 4; // bytes of one stored pair of O
constexpr float kInf = std::numeric_limits<float>::infinity();

int64_t roundUp64(int64_t x) { return (x + 63) / 64 * 64; }

/// The kernel's tiling: D and Dv padded to whole 64-column panels (TMA
/// zero-fills the columns past D), keys per block and K/V ring depth.
struct HopperTiling {
  int64_t D, Dv, Dp, Dvp, blockN, stages;
  bool setMaxNReg = true; ///< off: every thread keeps 168 (consumers spill)
  int64_t sharedBytes() const {
    return 1024 /*alignment slack*/ + kBlockM * Dp * 2 +
           stages * blockN * (Dp + Dvp) * 2;
  }
};


/// Emits the kernel body; all values are built at `b`'s insertion point.
struct HopperKernel {
  OpBuilder &b;
  Location loc;
  AttentionOp op;
  HopperTiling tiling;
  bool bf16;
  const int64_t D = tiling.D, Dv = tiling.Dv, Dp = tiling.Dp,
                Dvp = tiling.Dvp, blockN = tiling.blockN,
                stages = tiling.stages;

  IndexMath m{b, loc};

  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value i64(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
  }
  Value f32(float v) { return m.f32(v); }
  Value toI64(Value index) {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  }
  LLVM::LLVMStructType accType(int64_t n) {
    return LLVM::LLVMStructType::getLiteral(
        b.getContext(), SmallVector<Type>(n, b.getF32Type()));
  }
  SmallVector<Value> unpack(Value acc, int64_t n) {
    SmallVector<Value> out;
    for (int64_t r = 0; r < n; ++r)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, acc, r));
    return out;
  }
  Value pack(ArrayRef<Value> values) {
    Value acc = LLVM::PoisonOp::create(b, loc, accType(values.size()));
    for (auto [r, v] : llvm::enumerate(values))
      acc = LLVM::InsertValueOp::create(b, loc, acc, v, r);
    return acc;
  }

  /// wgmma shared-memory matrix descriptor of 128-byte swizzled panels:
  /// start address >> 4, leading and stride byte offsets >> 4, swizzle mode.
  Value descriptor(Value base, int64_t offset, int64_t lbo, int64_t sbo) {
    Value a = arith::AddIOp::create(b, loc, base, i64(offset));
    Value s = arith::ShRUIOp::create(b, loc, a, i64(4));
    s = arith::AndIOp::create(b, loc, s, i64(0x3FFF));
    int64_t hi = ((lbo >> 4) << 16) | ((sbo >> 4) << 32) | (int64_t(1) << 62);
    return arith::OrIOp::create(b, loc, s, i64(hi));
  }

  Value exp2(Value x) { return fastExp2(b, loc, x); }

  Value shuffleXor(Value v, int64_t offset) {
    return NVVM::ShflOp::create(b, loc, v.getType(), i32(-1), v, i32(offset),
                                i32(31), NVVM::ShflKind::bfly, UnitAttr());
  }
  /// Reduces over the four lanes that share a row of an accumulator.
  Value quadReduce(Value v, bool max) {
    for (int64_t offset : {1, 2}) {
      Value o = shuffleXor(v, offset);
      v = max ? arith::MaximumFOp::create(b, loc, v, o).getResult()
              : arith::AddFOp::create(b, loc, v, o).getResult();
    }
    return v;
  }

  /// S (+)= A B over one k16 step, both from shared memory (K-major).
  Value wgmmaSS(Value acc, Value descA, Value descB, bool accumulate) {
    auto t = bf16 ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
    return NVVM::WgmmaMmaAsyncOp::create(
        b, loc, acc.getType(), acc, descA, descB,
        NVVM::MMAShapeAttr::get(b.getContext(), 64, blockN, 16), t, t,
        NVVM::WGMMATypes::f32,
        accumulate ? NVVM::WGMMAScaleOut::one : NVVM::WGMMAScaleOut::zero,
        NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
        NVVM::MMALayout::row, NVVM::MMALayout::col, nullptr);
  }

  /// O += P V over one k16 step with P in registers (four packed pairs) and
  /// V from shared memory, MN-major (transposed B). No MLIR op has the
  /// register-A form, so this is the PTX the NVVM op would print for it.
  Value wgmmaRS(Value acc, ArrayRef<Value> a, Value descB) {
    int64_t n = Dvp / 2;
    std::string regs;
    for (int64_t r = 0; r < n; ++r)
      regs += (r ? ", $" : "$") + std::to_string(r);
    int64_t a0 = 2 * n;
    std::string ptx = llvm::formatv(
        "{{\n.reg .pred p;\nsetp.ne.b32 p, ${0}, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n{1}k16.f32.{2}.{2} {{{3}}, "
        "{{${4}, ${5}, ${6}, ${7}}, ${8}, p, 1, 1, 1;\n}",
        a0 + 5, Dvp, bf16 ? "bf16" : "f16", regs, a0, a0 + 1, a0 + 2, a0 + 3,
        a0 + 4);
    std::string constraints;
    for (int64_t r = 0; r < n; ++r)
      constraints += "=f,";
    for (int64_t r = 0; r < n; ++r)
      constraints += std::to_string(r) + ",";
    constraints += "r,r,r,r,l,n";
    SmallVector<Value> operands = unpack(acc, n);
    operands.append(a.begin(), a.end());
    operands.push_back(descB);
    operands.push_back(i32(1)); // scale-d: accumulate
    return LLVM::InlineAsmOp::create(
               b, loc, acc.getType(), operands, ptx, constraints,
               /*has_side_effects=*/true, /*is_align_stack=*/false,
               LLVM::tailcallkind::TailCallKind::None,
               LLVM::AsmDialectAttr::get(b.getContext(),
                                         LLVM::AsmDialect::AD_ATT),
               ArrayAttr())
        .getResult(0);
  }

  /// Two f32 as one register of packed 16-bit floats.
  Value packPair(Value lo, Value hi) {
    Type half = bf16 ? b.getBF16Type() : b.getF16Type();
    Value v = vector::FromElementsOp::create(
        b, loc, VectorType::get({2}, b.getF32Type()), ValueRange{lo, hi});
    v = arith::TruncFOp::create(b, loc, VectorType::get({2}, half), v);
    v = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()),
                                  v);
    return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
  }

  void rotateQueryRow(Value qElems, Value row, int64_t f0, int64_t pairs,
                      Value pos);

  void build(const AttentionBuffers &bufs, Value qMap, Value kMap, Value vMap,
             Value out, Value lse);
};

/// Rotary: turns pairs [f0, f0 + pairs) of row `row` of the query tile in
/// shared memory (`qElems`, the Q region as 16-bit elements; 128-byte
/// swizzle), the query at position `pos`. A piece at a time: up to 8
/// columns (16 bytes, never across a swizzle chunk) of each half
/// (half_split) or of adjacent pairs (interleaved), its cos and sin
/// computed in registers (no memory: the frequencies are constants),
/// turned and stored back.
void HopperKernel::rotateQueryRow(Value qElems, Value row, int64_t f0,
                                  int64_t pairs, Value pos) {
  RotaryAttr r = op.getRotaryAttr();
  const bool split = r.getStyle() == RotaryStyle::half_split;
  Type elem = bf16 ? b.getBF16Type() : b.getF16Type();
  Value swizzle = b.createOrFold<arith::RemUIOp>(loc, row, m.c(8));
  Value rowStart = m.mul(row, m.c(kPanelBytes / 2));
  // Columns d0 .. d0 + w - 1 of the row (w | 8, d0 % w == 0): element
  // panel * 64 * kBlockM + 64 row + 8 (chunk ^ row % 8) + d % 8.
  auto at = [&](Value d0) {
    Value inPanel = b.createOrFold<arith::RemUIOp>(loc, d0, m.c(64));
    Value chunk = arith::XOrIOp::create(b, loc, m.div(inPanel, m.c(8)),
                                        swizzle);
    return m.add(m.add(m.mul(m.div(d0, m.c(64)), m.c(64 * kBlockM)),
                       rowStart),
                 m.add(m.mul(chunk, m.c(8)),
                       b.createOrFold<arith::RemUIOp>(loc, d0, m.c(8))));
  };
  auto load = [&](Value d0, int64_t w) {
    Value v = vector::LoadOp::create(b, loc, VectorType::get({w}, elem),
                                     qElems, at(d0), /*nontemporal=*/false,
                                     llvm::MaybeAlign(2 * w));
    SmallVector<Value> x;
    for (int64_t i = 0; i < w; ++i)
      x.push_back(m.toF32(vector::ExtractOp::create(b, loc, v, i)));
    return x;
  };
  auto store = [&](Value d0, ArrayRef<Value> x) {
    const int64_t w = x.size();
    Value v = vector::FromElementsOp::create(
        b, loc, VectorType::get({w}, b.getF32Type()), x);
    v = arith::TruncFOp::create(b, loc, VectorType::get({w}, elem), v);
    vector::StoreOp::create(b, loc, v, qElems, at(d0), /*nontemporal=*/false,
                            llvm::MaybeAlign(2 * w));
  };
  // P pairs a piece: split, P columns of each half; interleaved, 2 P
  // adjacent columns.
  const int64_t P = split ? std::gcd<int64_t>(pairs, 8)
                          : std::gcd<int64_t>(2 * pairs, 8) / 2;
  for (int64_t j0 = 0; j0 < pairs; j0 += P)
    rotatePiece(b, loc, r, m.c(f0 + j0), P, load, store, [&](int64_t p) {
      return rotaryCosSinGPU(
          b, loc, pos,
          rotaryFrequency(b, loc, r, b.getIndexAttr(f0 + j0 + p)));
    });
}

void HopperKernel::build(const AttentionBuffers &bufs, Value qMapPtr,
                         Value kMapPtr, Value vMapPtr, Value out, Value lse) {
  MLIRContext *ctx = b.getContext();
  const Layout layout = op.getLayout();
  auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Type elem = bf16 ? b.getBF16Type() : b.getF16Type();
  auto boxType = [&](int64_t rows) {
    return MemRefType::get({1, 1, rows, 64}, elem, AffineMap(), wg);
  };
  auto mapType = [&](int64_t rows) {
    return nvgpu::TensorMapDescriptorType::get(
        ctx, boxType(rows), nvgpu::TensorMapSwizzleKind::SWIZZLE_128B,
        nvgpu::TensorMapL2PromoKind::L2PROMO_128B,
        nvgpu::TensorMapOOBKind::OOB_ZERO,
        nvgpu::TensorMapInterleaveKind::INTERLEAVE_NONE);
  };
  auto asMap = [&](Value ptr, Type t) {
    return UnrealizedConversionCastOp::create(b, loc, t, ptr).getResult(0);
  };
  Value qMap = asMap(qMapPtr, mapType(kBlockM));
  Value kMap = asMap(kMapPtr, mapType(blockN));
  Value vMap = asMap(vMapPtr, mapType(blockN));
  auto barType = [&](int64_t n) {
    return nvgpu::MBarrierGroupType::get(ctx, wg, n);
  };
  Value full = nvgpu::MBarrierCreateOp::create(b, loc, barType(stages));
  Value empty = nvgpu::MBarrierCreateOp::create(b, loc, barType(stages));
  // The query tile: loaded (qFull), then released by the consumers once
  // their last Q K^T of the tile is done (qEmpty), so the next tile's
  // query loads while they write this tile's output.
  Value qFull = nvgpu::MBarrierCreateOp::create(b, loc, barType(1));
  Value qEmpty = nvgpu::MBarrierCreateOp::create(b, loc, barType(1));

  // Shared memory, from a 1024-byte aligned base (the swizzle atom).
  auto smemType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                                  AffineMap(), wg);
  Value smem = gpu::DynamicSharedMemoryOp::create(b, loc, smemType);
  Value raw = toI64(memref::ExtractAlignedPointerAsIndexOp::create(b, loc,
                                                                   smem));
  Value base = arith::AndIOp::create(
      b, loc, arith::AddIOp::create(b, loc, raw, i64(1023)), i64(-1024));
  Value pad = arith::IndexCastOp::create(
      b, loc, b.getIndexType(), arith::SubIOp::create(b, loc, base, raw));
  const int64_t qBytes = kBlockM * Dp * 2, kBytes = blockN * Dp * 2,
                vBytes = blockN * Dvp * 2, stageBytes = kBytes + vBytes;
  const int64_t panelRowsM = kBlockM * kPanelBytes; // a Q panel: 16 KB
  const int64_t panelRowsN = blockN * kPanelBytes;
  auto view = [&](Value byteOffset, int64_t rows) {
    return memref::ViewOp::create(b, loc, boxType(rows), smem,
                                  m.add(pad, byteOffset), ValueRange{});
  };

  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value isFirst = m.eq(tid, m.c(0));
  auto init = scf::IfOp::create(b, loc, isFirst, /*withElse=*/false);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(init.thenBlock());
    for (int64_t s = 0; s < stages; ++s) {
      nvgpu::MBarrierInitOp::create(b, loc, full, m.c(1), m.c(s), Value());
      nvgpu::MBarrierInitOp::create(b, loc, empty, m.c(kConsumerThreads),
                                    m.c(s), Value());
    }
    nvgpu::MBarrierInitOp::create(b, loc, qFull, m.c(1), m.c(0), Value());
    nvgpu::MBarrierInitOp::create(b, loc, qEmpty, m.c(kConsumerThreads),
                                  m.c(0), Value());
    for (Value map : {qMap, kMap, vMap})
      nvgpu::TmaPrefetchOp::create(b, loc, map, Value());
  }
  NVVM::FenceMbarrierInitOp::create(b, loc);
  gpu::BarrierOp::create(b, loc);

  // The tiles: (query block, head, batch). With more tiles than CTAs,
  // query blocks p and qBlocks - 1 - p of one (head, batch) form a unit
  // that one CTA runs back to back: under a causal mask their key blocks
  // add up to the same count for every p, so a static round-robin of units
  // over the CTAs is balanced (tiles alone would leave the CTAs that drew
  // the last rows up to 1.5x behind). Units take p fastest, so the CTAs
  // running at once share each head's K/V in L2. CTA b takes units b,
  // b + gridDim.x, ...
  Value Hq = m.dim(bufs.q, storedDim(layout, 1));
  Value Lq = m.dim(bufs.q, storedDim(layout, 2));
  Value qBlocks = m.ceilDiv(Lq, m.c(kBlockM));
  Value headsBatch = m.mul(Hq, m.dim(bufs.q, 0));
  Value numTiles = m.mul(qBlocks, headsBatch);
  Value cta = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value ctas = gpu::GridDimOp::create(b, loc, gpu::Dimension::x);
  Value paired = m.cmp(arith::CmpIPredicate::ugt, numTiles, ctas);
  Value perHead = arith::SelectOp::create(
      b, loc, paired, m.ceilDiv(qBlocks, m.c(2)), qBlocks);
  Value sides = arith::SelectOp::create(b, loc, paired, m.c(2), m.c(1));
  Value units = m.mul(perHead, headsBatch);
  Value myUnits = arith::SelectOp::create(
      b, loc, m.cmp(arith::CmpIPredicate::ult, cta, units),
      m.ceilDiv(m.sub(units, cta), ctas), m.c(0));
  Value mySteps = m.mul(myUnits, sides);
  struct Tile {
    QueryBlock qb;
    Value kvh, lo, hiKey, numBlocks;
    QueryBlockFacts facts;
  };
  auto tileAt = [&](Value qBlock, Value headBatch) {
    KernelQueryBlock kq = kernelQueryBlock(
        m, op, bufs, kBlockM, qBlock,
        b.createOrFold<arith::RemUIOp>(loc, headBatch, Hq),
        m.div(headBatch, Hq));
    Tile tile{kq.qb, kq.kvHead, {}, {}, {}, {}};
    std::tie(tile.lo, tile.hiKey) = keyRange(m, op, bufs, tile.qb);
    tile.facts = queryBlockFacts(m, bufs, tile.qb);
    tile.numBlocks = m.ceilDiv(m.sub(tile.hiKey, tile.lo), m.c(blockN));
    return tile;
  };
  /// If `cond`: `body(count, rest)` and state (count + 1, its results),
  /// with `state` = (count, rest...); else the state unchanged. The tile
  /// and key-block loops count the iterations that did work this way.
  auto whenCounted =
      [&](Value cond, ValueRange state,
          function_ref<SmallVector<Value>(Value count, ValueRange rest)>
              body) {
        auto ifOp = scf::IfOp::create(b, loc, state.getTypes(), cond,
                                      /*withElse=*/true);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(ifOp.elseBlock());
        scf::YieldOp::create(b, loc, state);
        b.setInsertionPointToStart(ifOp.thenBlock());
        SmallVector<Value> next = {m.add(state[0], m.c(1))};
        SmallVector<Value> rest = body(state[0], state.drop_front());
        next.append(rest.begin(), rest.end());
        scf::YieldOp::create(b, loc, next);
        return SmallVector<Value>(ifOp.getResults());
      };
  /// `body(tile, n, state)` for this CTA's tiles, n counting them.
  auto forTiles = [&](ValueRange init,
                      function_ref<SmallVector<Value>(const Tile &, Value n,
                                                      ValueRange)>
                          body) {
    SmallVector<Value> carried = {m.c(0)};
    carried.append(init.begin(), init.end());
    return m.loop(
        m.c(0), mySteps, m.c(1), carried,
        [&](Value s, ValueRange state) -> SmallVector<Value> {
          Value unit = m.add(cta, m.mul(m.div(s, sides), ctas));
          Value second = m.eq(b.createOrFold<arith::RemUIOp>(loc, s, sides),
                              m.c(1));
          Value p = b.createOrFold<arith::RemUIOp>(loc, unit, perHead);
          Value mirror = m.sub(m.sub(qBlocks, m.c(1)), p);
          // The first side is the longer block; an odd middle block has
          // no partner.
          Value qBlock = arith::SelectOp::create(b, loc, second, p, mirror);
          Value valid = m.orI(m.eq(second, m.boolean(false)),
                              m.lt(p, mirror));
          return whenCounted(valid, state, [&](Value n, ValueRange rest) {
            return body(tileAt(qBlock, m.div(unit, perHead)), n, rest);
          });
        });
  };
  auto blockAt = [&](const Tile &tile, Value j) {
    Value k0 = m.add(tile.lo, m.mul(j, m.c(blockN)));
    Value kn = m.min(m.c(blockN), m.sub(tile.hiKey, k0));
    auto [visit, allAllowed] =
        keyBlockFacts(m, op, bufs, tile.qb, tile.facts, k0, kn);
    // A short last block reads zeros past its end: those columns need the
    // mask even where every pair of the block's keys is allowed.
    Value fullBlock = m.andI(allAllowed, m.eq(kn, m.c(blockN)));
    return std::make_tuple(k0, kn, visit, fullBlock);
  };
  auto parity = [&](Value phase) {
    return arith::TruncIOp::create(b, loc, b.getI1Type(),
                                   toI64(b.createOrFold<arith::RemUIOp>(
                                       loc, phase, m.c(2))));
  };
  Value ticks = m.c(10000000);
  /// The visited key blocks of `tile`: `body(it)` with `it` the count of
  /// blocks this CTA visited before (its ring slot and phase, continuing
  /// across tiles from `it0`); others keep the carried values. Returns the
  /// count after the tile, then the carried values.
  auto forVisited =
      [&](const Tile &tile, Value it0, ValueRange init,
          function_ref<SmallVector<Value>(Value it, Value k0, Value kn,
                                          Value fullBlock, ValueRange)>
              body) {
        SmallVector<Value> carried = {it0};
        carried.append(init.begin(), init.end());
        return m.loop(
            m.c(0), tile.numBlocks, m.c(1), carried,
            [&](Value j, ValueRange state) -> SmallVector<Value> {
              Value k0, kn, visit, fullBlock;
              std::tie(k0, kn, visit, fullBlock) = blockAt(tile, j);
              return whenCounted(visit, state, [&](Value it, ValueRange rest) {
                return body(it, k0, kn, fullBlock, rest);
              });
            });
      };

  Value isProducer = m.cmp(arith::CmpIPredicate::uge, tid,
                           m.c(kConsumerThreads));
  auto roles = scf::IfOp::create(b, loc, isProducer, /*withElse=*/true);

  // Producer warpgroup: one elected thread issues every TMA load.
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(roles.thenBlock());
    if (tiling.setMaxNReg)
      NVVM::SetMaxRegisterOp::create(
          b, loc, b.getI32IntegerAttr(kProducerRegisters),
          NVVM::SetMaxRegisterActionAttr::get(
              ctx, NVVM::SetMaxRegisterAction::decrease));
    Value firstWarp = m.lt(tid, m.c(kConsumerThreads + 32));
    Value elected = NVVM::ElectSyncOp::create(b, loc, b.getI1Type(), Value());
    auto lead = scf::IfOp::create(b, loc, m.andI(firstWarp, elected),
                                  /*withElse=*/false);
    b.setInsertionPointToStart(lead.thenBlock());
    forTiles({m.c(0)}, [&](const Tile &tile, Value n,
                           ValueRange st) -> SmallVector<Value> {
      // The consumers are done with the previous tile's query. (Waiting
      // for parity 1 of a fresh barrier returns at once: "the phase before
      // the first" counts as complete, so the first tile does not wait.)
      nvgpu::MBarrierTryWaitParityOp::create(
          b, loc, qEmpty, parity(m.add(n, m.c(1))), ticks, m.c(0));
      nvgpu::MBarrierArriveExpectTxOp::create(b, loc, qFull, m.c(qBytes),
                                              m.c(0), Value());
      for (int64_t p = 0; p < Dp / 64; ++p)
        nvgpu::TmaAsyncLoadOp::create(
            b, loc, view(m.c(p * panelRowsM), kBlockM), qFull, qMap,
            ValueRange{m.c(p * 64), tile.qb.q0, tile.qb.hi, tile.qb.bi},
            m.c(0), Value(), Value());
      auto visited = forVisited(
          tile, st[0], {},
          [&](Value it, Value k0, Value, Value,
              ValueRange) -> SmallVector<Value> {
            Value slot = b.createOrFold<arith::RemUIOp>(loc, it, m.c(stages));
            Value round = m.div(it, m.c(stages));
            // Wait until the consumers released the slot's previous block
            // (at once in the first round, as for qEmpty).
            nvgpu::MBarrierTryWaitParityOp::create(
                b, loc, empty, parity(m.add(round, m.c(1))), ticks, slot);
            nvgpu::MBarrierArriveExpectTxOp::create(
                b, loc, full, m.c(stageBytes), slot, Value());
            Value stage = m.add(m.c(qBytes), m.mul(slot, m.c(stageBytes)));
            for (int64_t p = 0; p < Dp / 64; ++p)
              nvgpu::TmaAsyncLoadOp::create(
                  b, loc, view(m.add(stage, m.c(p * panelRowsN)), blockN),
                  full, kMap, ValueRange{m.c(p * 64), k0, tile.kvh, tile.qb.bi},
                  slot, Value(), Value());
            for (int64_t p = 0; p < Dvp / 64; ++p)
              nvgpu::TmaAsyncLoadOp::create(
                  b, loc,
                  view(m.add(stage, m.c(kBytes + p * panelRowsN)), blockN),
                  full, vMap, ValueRange{m.c(p * 64), k0, tile.kvh, tile.qb.bi},
                  slot, Value(), Value());
            return {};
          });
      return {visited[0]};
    });
  }

  // Consumer warpgroups: 64 query rows each.
  b.setInsertionPointToStart(roles.elseBlock());
  if (tiling.setMaxNReg)
    NVVM::SetMaxRegisterOp::create(
        b, loc, b.getI32IntegerAttr(kConsumerRegisters),
        NVVM::SetMaxRegisterActionAttr::get(
            ctx, NVVM::SetMaxRegisterAction::increase));
  Value wgIdx = m.div(tid, m.c(128));
  Value lane = b.createOrFold<arith::RemUIOp>(loc, tid, m.c(32));
  Value warp = b.createOrFold<arith::RemUIOp>(loc, m.div(tid, m.c(32)),
                                              m.c(4));
  Value quad = b.createOrFold<arith::RemUIOp>(loc, lane, m.c(4));
  // Rows of this thread's accumulator elements in its warpgroup's 64:
  // d[4j + 2i + k] is at row 16 warp + lane / 4 + 8 i and column 8 j +
  // 2 (lane % 4) + k.
  Value rowInTile = m.add(m.mul(wgIdx, m.c(64)),
                          m.add(m.mul(warp, m.c(16)), m.div(lane, m.c(4))));
  // This warpgroup's 64 rows of each Q panel: 64 swizzled rows (8 KB) in.
  Value qBase = arith::AddIOp::create(
      b, loc, base,
      arith::MulIOp::create(b, loc, toI64(wgIdx), i64(64 * kPanelBytes)));
  const int64_t nS = blockN / 2, nO = Dvp / 2;
  const double scale = op.getScaleOrDefault();
  // exp(x) = exp2(x log2 e): the scale and log2 e fold into one FMA, unless
  // a bias is added first or the scale is not positive (max must commute).
  const bool scaleFirst = op.getBias() || !(scale > 0);
  const float c = static_cast<float>(scale * M_LOG2E);
  Type outElem = cast<MemRefType>(out.getType()).getElementType();
  // Rotary: the query region as 16-bit elements; two threads a row where
  // the pairs split evenly (named barriers 1 and 2 are the warpgroups').
  Value qElems;
  int64_t threadsPerRow = 1;
  if (RotaryAttr r = op.getRotaryAttr()) {
    qElems = memref::ViewOp::create(
        b, loc, MemRefType::get({kBlockM * Dp}, elem, AffineMap(), wg), smem,
        pad, ValueRange{});
    threadsPerRow = r.getDim() % 4 == 0 ? 2 : 1;
  }

  forTiles({m.c(0)}, [&](const Tile &tile, Value n,
                         ValueRange st) -> SmallVector<Value> {
    const QueryBlock &qb = tile.qb;
    Value row0 = m.add(qb.q0, rowInTile);
    Value rows[2] = {row0, m.add(row0, m.c(8))};
    nvgpu::MBarrierTryWaitParityOp::create(b, loc, qFull, parity(n), ticks,
                                           m.c(0));
    if (RotaryAttr r = op.getRotaryAttr()) {
      // Rotary: this warpgroup turns its 64 rows of the query in place,
      // then makes the writes visible to its own wgmma (async proxy) before
      // the first Q K^T. Rows past Lq are left. With two threads a row,
      // warps 0-1 take the first half of the pairs and warps 2-3 the rest:
      // each branch is warp-uniform, and its frequencies are constants.
      Value t = b.createOrFold<arith::RemUIOp>(loc, tid, m.c(128));
      Value row = m.add(m.mul(wgIdx, m.c(64)),
                        b.createOrFold<arith::RemUIOp>(loc, t, m.c(64)));
      Value q = m.add(qb.q0, row);
      Value pos = m.add(m.sub(m.dim(bufs.k, storedDim(layout, 2)), Lq), q);
      const int64_t pairs = r.getDim() / 2 / threadsPerRow;
      auto mine = scf::IfOp::create(
          b, loc, m.andI(m.lt(t, m.c(64 * threadsPerRow)), m.lt(q, Lq)),
          /*withElse=*/false);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(mine.thenBlock());
        if (threadsPerRow == 1) {
          rotateQueryRow(qElems, row, 0, pairs, pos);
        } else {
          auto which = scf::IfOp::create(b, loc, m.lt(t, m.c(64)),
                                         /*withElse=*/true);
          b.setInsertionPointToStart(which.thenBlock());
          rotateQueryRow(qElems, row, 0, pairs, pos);
          b.setInsertionPointToStart(which.elseBlock());
          rotateQueryRow(qElems, row, pairs, pairs, pos);
        }
      }
      NVVM::FenceProxyOp::create(
          b, loc, NVVM::ProxyKind::async_shared,
          NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
      NVVM::BarrierOp::create(
          b, loc, Type(),
          arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                     m.add(wgIdx, m.c(1))),
          i32(128), NVVM::BarrierReductionAttr(), Value());
    }
    Value zeroO = LLVM::ZeroOp::create(b, loc, accType(nO));
    Value ninf = f32(-kInf), zero = f32(0.0f);
    auto loop = forVisited(
        tile, st[0], {ninf, ninf, zero, zero, zeroO},
        [&](Value it, Value k0, Value kn, Value fullBlock,
            ValueRange st) -> SmallVector<Value> {
          Value slot = b.createOrFold<arith::RemUIOp>(loc, it, m.c(stages));
          nvgpu::MBarrierTryWaitParityOp::create(
              b, loc, full, parity(m.div(it, m.c(stages))), ticks, slot);
          Value kBase = arith::AddIOp::create(
              b, loc, base,
              toI64(m.add(m.c(qBytes), m.mul(slot, m.c(stageBytes)))));
          Value vBase = arith::AddIOp::create(b, loc, kBase, i64(kBytes));

          // S = Q K^T (raw dot products, f32). k16 steps wholly past D
          // (zero-filled panel columns) are skipped.
          Value acc = LLVM::ZeroOp::create(b, loc, accType(nS));
          NVVM::WgmmaFenceAlignedOp::create(b, loc);
          for (int64_t kk = 0; kk < (D + 15) / 16; ++kk) {
            int64_t inPanel = (kk % 4) * 32;
            acc = wgmmaSS(
                acc,
                descriptor(qBase, (kk / 4) * panelRowsM + inPanel, 16, 1024),
                descriptor(kBase, (kk / 4) * panelRowsN + inPanel, 16, 1024),
                kk > 0);
          }
          NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
          NVVM::WgmmaWaitGroupSyncOp::create(b, loc, b.getI64IntegerAttr(0));
          SmallVector<Value> s = unpack(acc, nS);

          auto position = [&](int64_t r) {
            int64_t j = r / 4, i = (r / 2) % 2, k = r % 2;
            Value col = m.add(m.c(8 * j + k), m.mul(quad, m.c(2)));
            return std::make_pair(rows[i], col);
          };
          if (scaleFirst)
            for (int64_t r = 0; r < nS; ++r) {
              Value x = arith::MulFOp::create(b, loc, s[r], f32(c));
              if (bufs.bias) {
                auto [row, col] = position(r);
                Value biasV = biasAt(m, bufs, qb, row, m.add(k0, col));
                x = math::FmaOp::create(b, loc, biasV, f32(M_LOG2E), x);
              }
              s[r] = x;
            }
          // Partial blocks: keys past the block's end and pairs the mask
          // rejects become -inf. Full blocks skip all of it.
          {
            auto ifPartial = scf::IfOp::create(
                b, loc, SmallVector<Type>(nS, b.getF32Type()),
                m.eq(fullBlock, m.boolean(false)), /*withElse=*/true);
            OpBuilder::InsertionGuard g(b);
            b.setInsertionPointToStart(ifPartial.elseBlock());
            scf::YieldOp::create(b, loc, s);
            b.setInsertionPointToStart(ifPartial.thenBlock());
            // The block's end, causal and window are an interval of keys
            // per row (MaskLogic's rowBand): two limits per row, relative
            // to this thread's first column 2 (lane % 4) and clamped to
            // the block, so fragment column 8 j + k is tested against
            // constants in 32 bits. Global tokens widen the window beyond
            // one interval: there the whole predicate is built per pair.
            const bool intervals = !bufs.global;
            const bool pairMask =
                bufs.global ? hasMask(op) : bufs.docQ || bufs.mask;
            Value first = m.mul(quad, m.c(2));
            auto limit = [&](Value x) {
              x = m.max(m.min(m.sub(x, first), m.c(blockN)), m.c(-1));
              return arith::IndexCastOp::create(b, loc, b.getI32Type(), x)
                  .getResult();
            };
            Value lo[2], hi[2];
            if (intervals)
              for (int64_t i = 0; i < 2; ++i) {
                RowBand band = rowBand(m, op, qb, rows[i]);
                Value last = m.sub(kn, m.c(1));
                if (band.hi)
                  last = m.min(last, m.sub(band.hi, k0));
                hi[i] = limit(last);
                lo[i] = limit(band.lo ? m.sub(band.lo, k0) : m.c(0));
              }
            SmallVector<Value> masked;
            for (int64_t r = 0; r < nS; ++r) {
              auto [row, col] = position(r);
              Value ok;
              if (intervals) {
                int64_t i = (r / 2) % 2;
                Value c = i32(8 * (r / 4) + r % 2);
                ok = m.andI(
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                          lo[i], c),
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                          c, hi[i]));
              } else {
                ok = m.lt(col, kn);
              }
              if (pairMask)
                ok = m.andI(ok, allowedPair(m, op, bufs, qb, row,
                                            m.add(k0, col),
                                            /*band=*/!intervals));
              masked.push_back(
                  arith::SelectOp::create(b, loc, ok, s[r], ninf));
            }
            scf::YieldOp::create(b, loc, masked);
            b.setInsertionPointAfter(ifPartial);
            s.assign(ifPartial.getResults().begin(),
                     ifPartial.getResults().end());
          }

          // Online softmax per row (OnlineSoftmaxMath), exp2 domain: new
          // max = max(old max, rowmax(S) c); alpha = exp2(old max - new
          // max); P = exp2(S c - new max); l = l alpha + rowsum(P).
          Value cS = f32(scaleFirst ? 1.0f : c);
          Value mNew[2], lNew[2], alpha[2];
          SmallVector<Value> p(nS);
          for (int64_t i = 0; i < 2; ++i) {
            Value mx = ninf;
            for (int64_t r = 0; r < nS; ++r)
              if ((r / 2) % 2 == i)
                mx = arith::MaximumFOp::create(b, loc, mx, s[r]);
            mx = quadReduce(mx, /*max=*/true);
            RowRescale rescale = rescaleRow(
                b, loc, st[i], arith::MulFOp::create(b, loc, mx, cS),
                [&](Value x) { return exp2(x); });
            mNew[i] = rescale.mNew;
            alpha[i] = rescale.alpha;
            Value negM = arith::NegFOp::create(b, loc, rescale.mSafe);
            Value l = arith::MulFOp::create(b, loc, st[2 + i], alpha[i]);
            for (int64_t r = 0; r < nS; ++r)
              if ((r / 2) % 2 == i) {
                p[r] = exp2(math::FmaOp::create(b, loc, s[r], cS, negM));
                l = arith::AddFOp::create(b, loc, l, p[r]);
              }
            lNew[i] = l;
          }

          // O = O alpha + P V.
          SmallVector<Value> o = unpack(st[4], nO);
          for (int64_t r = 0; r < nO; ++r)
            o[r] = arith::MulFOp::create(b, loc, o[r], alpha[(r / 2) % 2]);
          Value oAcc = pack(o);
          NVVM::WgmmaFenceAlignedOp::create(b, loc);
          for (int64_t kk = 0; kk < blockN / 16; ++kk) {
            // The A fragment of keys 16 kk .. 16 kk + 15 is exactly the S
            // accumulator's columns there, packed in pairs: no shuffles.
            SmallVector<Value> a;
            for (int64_t j : {2 * kk, 2 * kk + 1})
              for (int64_t i = 0; i < 2; ++i)
                a.push_back(packPair(p[4 * j + 2 * i], p[4 * j + 2 * i + 1]));
            oAcc = wgmmaRS(oAcc, a,
                           descriptor(vBase, kk * 16 * kPanelBytes, panelRowsN,
                                      1024));
          }
          NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
          NVVM::WgmmaWaitGroupSyncOp::create(b, loc, b.getI64IntegerAttr(0));
          nvgpu::MBarrierArriveOp::create(
              b, loc, nvgpu::MBarrierTokenType::get(ctx), empty, slot);
          return {mNew[0], mNew[1], lNew[0], lNew[1], oAcc};
        });
    // Every Q K^T of the tile has completed: the query may be replaced.
    nvgpu::MBarrierArriveOp::create(b, loc, nvgpu::MBarrierTokenType::get(ctx),
                                    qEmpty, m.c(0));

    // Epilogue: out = O / l (0 where no key was allowed), LSE = (max +
    // log2 l) ln 2 or -inf; rows past Lq and columns past Dv are not stored.
    SmallVector<Value> o = unpack(loop[5], nO);
    for (int64_t i = 0; i < 2; ++i) {
      Value l = quadReduce(loop[3 + i], /*max=*/false);
      RowNormalizer row = normalizeRow(b, loc, l);
      Value inv = row.inv;
      auto inRange = scf::IfOp::create(b, loc, m.lt(rows[i], Lq),
                                       /*withElse=*/false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(inRange.thenBlock());
      for (int64_t j = 0; j < Dv / 8; ++j) {
        Value pair = vector::FromElementsOp::create(
            b, loc, VectorType::get({2}, b.getF32Type()),
            ValueRange{
                arith::MulFOp::create(b, loc, o[4 * j + 2 * i], inv),
                arith::MulFOp::create(b, loc, o[4 * j + 2 * i + 1], inv)});
        if (outElem != b.getF32Type())
          pair = arith::TruncFOp::create(
              b, loc, VectorType::get({2}, outElem), pair);
        Value col = m.add(m.c(8 * j), m.mul(quad, m.c(2)));
        vector::StoreOp::create(b, loc, pair, out,
                                storedIndex(layout, qb.bi, qb.hi, rows[i], col),
                                /*nontemporal=*/false,
                                llvm::MaybeAlign(kOutAlignment));
      }
      if (lse) {
        auto first = scf::IfOp::create(b, loc, m.eq(quad, m.c(0)),
                                       /*withElse=*/false);
        b.setInsertionPointToStart(first.thenBlock());
        memref::StoreOp::create(b, loc,
                                rowLogSumExp(b, loc, loop[1 + i], l, row.empty,
                                             /*exp2Domain=*/true),
                                lse, ValueRange{qb.bi, qb.hi, rows[i]});
      }
    }
    return {loop[0]};
  });
  b.setInsertionPointAfter(roles);
  gpu::ReturnOp::create(b, loc);
}

} // namespace

namespace mlir::attn {

std::string hopperAttentionUnsupported(AttentionOp op) {
  Type elem = op.getQuery().getType().getElementType();
  if (!elem.isBF16() && !elem.isF16())
    return "the inputs are not f16 or bf16";
  const AttentionDims dims = op.getDims();
  // TMA needs 16-byte row strides; wgmma's N (Dv) is at most 256.
  for (auto [name, d] : {std::make_pair("D", dims.headDim),
                         std::make_pair("Dv", dims.valueDim)})
    if (d % 8 != 0 || d > 256)
      return std::string(name) + " = " + std::to_string(d) +
             " is not a multiple of 8 up to 256";
  return "";
}

LogicalResult buildHopperAttentionKernel(AttentionOp op,
                                         gpu::GPUModuleOp kernels, int index,
                                         int64_t stages, bool setMaxNReg) {
  Location loc = op.getLoc();
  const AttentionDims dims = op.getDims();
  if (stages < 0 || stages > 16)
    return op.emitOpError() << "hopper-stages must be in [0, 16] (0: as many "
                               "as fit), got "
                            << stages;
  HopperTiling t{dims.headDim, dims.valueDim, roundUp64(dims.headDim),
                 roundUp64(dims.valueDim), 128, stages, setMaxNReg};
  // 128-key blocks, unless O's accumulator (Dv / 2 registers per thread)
  // or shared memory leaves no room: then 64 (S and P take half).
  t.stages = 2;
  if (t.Dvp > 128 || t.sharedBytes() > kSharedLimit)
    t.blockN = 64;
  t.stages = stages;
  if (t.stages == 0) // the deepest ring that fits, up to 4 stages
    for (t.stages = 4; t.stages > 1 && t.sharedBytes() > kSharedLimit;)
      --t.stages;
  if (t.stages < 1 || t.sharedBytes() > kSharedLimit)
    return op.emitOpError() << "hopper-stages = " << t.stages << " needs "
                            << t.sharedBytes()
                            << " bytes of shared memory, above the "
                            << kSharedLimit << " an sm_90 block may use";
  OpBuilder b(op);
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();

  // Host side: operands, tensor maps of Q, K and V, results.
  AttentionBuffers bufs = bufferizeOperands(b, loc, op);
  AttentionResults res = allocAttentionResults(b, op, bufs);
  std::string name = kernelName(op, "attention", index);
  // Rotary embeddings: turned keys in K's place (TMA reads them); the
  // consumers turn the queries in shared memory.
  GPURotary rotary;
  if (op.getRotaryAttr()) {
    rotary = launchRotaryKeys(b, op, bufs, kernels, name, /*rows16=*/true);
    bufs.k = rotary.keys;
  }
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  auto map = [&](Value buf, int64_t rows) -> Value {
    return TensorMapOp::create(b, loc, ptrType, buf, b.getI64IntegerAttr(rows),
                               LayoutAttr::get(b.getContext(), layout));
  };
  // O is written as pairs of 16-bit values: its start and rows must be
  // 4-byte aligned (the runtime checks the assumption for each launch).
  res.outParam = memref::AssumeAlignmentOp::create(
      b, loc, res.outParam, b.getI32IntegerAttr(kOutAlignment));
  SmallVector<Value> params = {map(bufs.q, kBlockM), map(bufs.k, t.blockN),
                               map(bufs.v, t.blockN), bufs.q, bufs.k};
  appendMaskAndResultParams(params, bufs, res);

  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  auto fn = gpu::GPUFuncOp::create(
      kb, loc, name, kb.getFunctionType(ValueRange(params).getTypes(), {}));
  fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  fn.setKnownBlockSizeAttr(
      kb.getDenseI32ArrayAttr({static_cast<int32_t>(kThreads), 1, 1}));
  // setmaxnreg is ignored unless ptxas knows the entry register count.
  fn->setAttr("nvvm.minctasm", kb.getI32IntegerAttr(1));
  // The tensor maps travel by value (attn-gpu-grid-constant).
  fn->setAttr("attn.grid_constant_params", kb.getI64IntegerAttr(3));

  Block &entry = fn.getBody().front();
  AttentionBuffers kbufs;
  kbufs.q = entry.getArgument(3);
  kbufs.k = entry.getArgument(4);
  auto [kOut, kLse] = takeMaskAndResultArgs(entry, 5, bufs, res, kbufs);
  OpBuilder body = OpBuilder::atBlockBegin(&entry);
  Type elem = op.getQuery().getType().getElementType();
  HopperKernel{body, loc, op, t, elem.isBF16()}.build(
      kbufs, entry.getArgument(0), entry.getArgument(1), entry.getArgument(2),
      kOut, kLse);

  // Launch: one CTA of 384 threads per SM (its shared memory allows no
  // second), or per tile where there are fewer tiles than SMs.
  Value Lq = m.dim(bufs.q, storedDim(layout, 2));
  Value Hq = m.dim(bufs.q, storedDim(layout, 1));
  Value tiles = m.mul(m.mul(m.ceilDiv(Lq, m.c(kBlockM)), Hq),
                      m.dim(bufs.q, 0));
  Value grid = arith::MinUIOp::create(
      b, loc, tiles, MultiprocessorCountOp::create(b, loc, b.getIndexType()));
  gpu::LaunchFuncOp::create(
      b, loc, fn, gpu::KernelDim3{grid, m.c(1), m.c(1)},
      gpu::KernelDim3{m.c(kThreads), m.c(1), m.c(1)},
      arith::ConstantIntOp::create(b, loc, b.getI32Type(), t.sharedBytes()),
      params);
  if (rotary.scratch)
    gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, rotary.scratch);
  replaceWithBuffers(b, op, res.out, res.lse);
  return success();
}

} // namespace mlir::attn
