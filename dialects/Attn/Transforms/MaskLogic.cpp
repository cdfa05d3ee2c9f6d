//===- MaskLogic.cpp - mask predicates and key ranges of attn.attention ---===//

#include "MaskLogic.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

namespace mlir::attn {

SmallVector<Value>
IndexMath::loop(Value lo, Value hi, Value step, ValueRange init,
                function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto f = scf::ForOp::create(b, loc, lo, hi, step, init,
                              [&](OpBuilder &, Location, Value iv,
                                  ValueRange args) {
                                scf::YieldOp::create(b, loc, body(iv, args));
                              });
  return SmallVector<Value>(f.getResults());
}

/// memref type of `tensor` with dynamic strides and offset, the innermost
/// stride 1 if `unitInner`. Any caller layout with contiguous rows binds
/// without a copy.
static MemRefType stridedBufferType(RankedTensorType t, bool unitInner) {
  SmallVector<int64_t> strides(t.getRank(), ShapedType::kDynamic);
  if (!strides.empty() && unitInner)
    strides.back() = 1;
  auto layout =
      StridedLayoutAttr::get(t.getContext(), ShapedType::kDynamic, strides);
  return MemRefType::get(t.getShape(), t.getElementType(), layout);
}

/// Element of a [B|1, H|1, Lq|1, Lk|1] buffer at (b, h, i, j), reading index
/// 0 along broadcast (size-1) dims.
Value loadBroadcast(IndexMath &m, Value buf, ArrayRef<Value> idx) {
  auto type = cast<MemRefType>(buf.getType());
  SmallVector<Value> at;
  for (auto [d, v] : llvm::enumerate(idx)) {
    int64_t size = type.getDimSize(d);
    if (size == 1) {
      at.push_back(m.c(0));
    } else if (ShapedType::isDynamic(size)) {
      // A dynamic dim may still be 1 at run time: broadcast then.
      Value isOne = m.eq(m.dim(buf, d), m.c(1));
      at.push_back(arith::SelectOp::create(m.b, m.loc, isOne, m.c(0), v));
    } else {
      at.push_back(v);
    }
  }
  return memref::LoadOp::create(m.b, m.loc, buf, at);
}

/// (min, max) of the integer ids buf[b, start .. start+count) as i64.
std::pair<Value, Value> idRange(IndexMath &m, Value buf, Value bi, Value start,
                                Value count) {
  OpBuilder &b = m.b;
  Type i64 = b.getI64Type();
  Value lo = arith::ConstantIntOp::create(b, m.loc, i64,
                                          std::numeric_limits<int64_t>::max());
  Value hi = arith::ConstantIntOp::create(b, m.loc, i64,
                                          std::numeric_limits<int64_t>::min());
  auto loop = scf::ForOp::create(
      b, m.loc, start, m.add(start, count), m.c(1), ValueRange{lo, hi},
      [&](OpBuilder &nb, Location loc, Value j, ValueRange acc) {
        Value id = memref::LoadOp::create(nb, loc, buf, ValueRange{bi, j});
        if (id.getType() != i64)
          id = arith::ExtSIOp::create(nb, loc, i64, id);
        scf::YieldOp::create(
            nb, loc,
            ValueRange{arith::MinSIOp::create(nb, loc, acc[0], id),
                       arith::MaxSIOp::create(nb, loc, acc[1], id)});
      });
  return {loop.getResult(0), loop.getResult(1)};
}

/// Whether any flag in buf[b, start .. start+count) is set.
Value anyFlag(IndexMath &m, Value buf, Value bi, Value start, Value count) {
  auto loop = scf::ForOp::create(
      m.b, m.loc, start, m.add(start, count), m.c(1),
      ValueRange{m.boolean(false)},
      [&](OpBuilder &nb, Location loc, Value j, ValueRange acc) {
        Value g = memref::LoadOp::create(nb, loc, buf, ValueRange{bi, j});
        scf::YieldOp::create(nb, loc,
                             ValueRange{arith::OrIOp::create(nb, loc, acc[0], g)});
      });
  return loop.getResult(0);
}

Value bufferizeOperand(OpBuilder &b, Location loc, Value t) {
  if (!t)
    return {};
  auto type = cast<RankedTensorType>(t.getType());
  Value buf = bufferization::ToBufferOp::create(
      b, loc, stridedBufferType(type, false), t, /*read_only=*/true);
  return memref::CastOp::create(b, loc, stridedBufferType(type, true), buf);
}

Value allocResult(OpBuilder &b, Location loc, RankedTensorType t,
                  ValueRange sizes) {
  auto type = MemRefType::get(t.getShape(), t.getElementType());
  return memref::AllocOp::create(b, loc, type, sizes);
}

AttentionBuffers bufferizeOperands(OpBuilder &b, Location loc,
                                   AttentionOp op) {
  auto toBuffer = [&](Value t) { return bufferizeOperand(b, loc, t); };
  return {toBuffer(op.getQuery()),  toBuffer(op.getKey()),
          toBuffer(op.getValue()),  toBuffer(op.getBias()),
          toBuffer(op.getMask()),   toBuffer(op.getKvLengths()),
          toBuffer(op.getDocQ()),   toBuffer(op.getDocK()),
          toBuffer(op.getGlobalTokens())};
}

void replaceWithBuffers(OpBuilder &b, Operation *op, Value out, Value lse) {
  Location loc = op->getLoc();
  SmallVector<Value> results = {bufferization::ToTensorOp::create(
      b, loc, op->getResult(0).getType(), out, /*restrict=*/true,
      /*writable=*/true)};
  if (lse)
    results.push_back(bufferization::ToTensorOp::create(
        b, loc, op->getResult(1).getType(), lse, true, true));
  op->replaceAllUsesWith(results);
  op->erase();
}

std::pair<Value, Value> keyRange(IndexMath &m, AttentionOp op,
                                 const AttentionBuffers &bufs,
                                 const QueryBlock &qb) {
  WindowAttr window = op.getWindowAttr();
  CausalKind causal = op.getCausal();
  Value lo = m.c(0), hi = qb.kvLen;
  Value qEnd = m.add(qb.q0, qb.qn);
  if (causal == CausalKind::bottom_right)
    hi = m.min(hi, m.add(qEnd, qb.off));
  if (causal == CausalKind::top_left)
    hi = m.min(hi, qEnd);
  // With global tokens any key may be seen: the band only selects blocks.
  if (window && !bufs.global) {
    lo = m.max(lo, m.sub(m.add(qb.q0, qb.off), m.c(window.getLeft())));
    hi = m.min(hi, m.add(m.add(qEnd, qb.off), m.c(window.getRight())));
  }
  if (bufs.lens)
    hi = m.min(hi, m.loadIndex(bufs.lens, ValueRange{qb.bi}));
  return {lo, m.max(hi, lo)};
}

QueryBlockFacts queryBlockFacts(IndexMath &m, const AttentionBuffers &bufs,
                                const QueryBlock &qb) {
  QueryBlockFacts f;
  if (bufs.docQ)
    std::tie(f.docMin, f.docMax) = idRange(m, bufs.docQ, qb.bi, qb.q0, qb.qn);
  if (bufs.global)
    f.hasGlobal = anyFlag(m, bufs.global, qb.bi, qb.q0, qb.qn);
  return f;
}

bool hasMask(AttentionOp op) {
  return op.getCausal() != CausalKind::none || op.getWindowAttr() ||
         op.getDocQ() || op.getMask();
}

std::pair<Value, Value> keyBlockFacts(IndexMath &m, AttentionOp op,
                                      const AttentionBuffers &bufs,
                                      const QueryBlock &qb,
                                      const QueryBlockFacts &facts, Value k0,
                                      Value kn) {
  WindowAttr window = op.getWindowAttr();
  CausalKind causal = op.getCausal();
  Value kLast = m.sub(m.add(k0, kn), m.c(1));
  Value qLast = m.sub(m.add(qb.q0, qb.qn), m.c(1));
  Value visit = m.boolean(true), full = m.boolean(!bufs.mask);
  if (causal == CausalKind::bottom_right)
    full = m.andI(full, m.le(kLast, m.add(qb.q0, qb.off)));
  if (causal == CausalKind::top_left)
    full = m.andI(full, m.le(kLast, qb.q0));
  if (window) {
    Value bandLo = m.sub(m.add(qLast, qb.off), m.c(window.getLeft()));
    Value bandHi = m.add(m.add(qb.q0, qb.off), m.c(window.getRight()));
    full = m.andI(full, m.andI(m.le(bandLo, k0), m.le(kLast, bandHi)));
    if (bufs.global) {
      // The band of the whole q-block, widened by global rows and columns.
      Value anyLo = m.sub(m.add(qb.q0, qb.off), m.c(window.getLeft()));
      Value anyHi = m.add(m.add(qLast, qb.off), m.c(window.getRight()));
      Value inBand = m.andI(m.le(anyLo, kLast), m.le(k0, anyHi));
      Value kHasGlobal = anyFlag(m, bufs.global, qb.bi, k0, kn);
      visit = m.orI(inBand, m.orI(facts.hasGlobal, kHasGlobal));
    }
  }
  if (bufs.docQ) {
    auto [kDocMin, kDocMax] = idRange(m, bufs.docK, qb.bi, k0, kn);
    visit = m.andI(visit, m.andI(m.le(facts.docMin, kDocMax),
                                 m.le(kDocMin, facts.docMax)));
    Value oneDoc =
        m.andI(m.eq(facts.docMin, facts.docMax),
               m.andI(m.eq(kDocMin, kDocMax), m.eq(facts.docMin, kDocMin)));
    full = m.andI(full, oneDoc);
  }
  return {visit, full};
}

RowBand rowBand(IndexMath &m, AttentionOp op, const QueryBlock &qb, Value i) {
  WindowAttr window = op.getWindowAttr();
  CausalKind causal = op.getCausal();
  RowBand band;
  if (causal == CausalKind::bottom_right)
    band.hi = m.add(i, qb.off);
  if (causal == CausalKind::top_left)
    band.hi = i;
  if (window) {
    Value center = m.add(i, qb.off);
    band.lo = m.sub(center, m.c(window.getLeft()));
    Value hi = m.add(center, m.c(window.getRight()));
    band.hi = band.hi ? m.min(band.hi, hi) : hi;
  }
  return band;
}

Value allowedPair(IndexMath &m, AttentionOp op, const AttentionBuffers &bufs,
                  const QueryBlock &qb, Value i, Value j, bool band) {
  OpBuilder &b = m.b;
  WindowAttr window = op.getWindowAttr();
  CausalKind causal = op.getCausal();
  Value ok = m.boolean(true);
  if (band && bufs.global && window) {
    // Causal, and the window widened by global rows and columns.
    if (causal == CausalKind::bottom_right)
      ok = m.andI(ok, m.le(j, m.add(i, qb.off)));
    if (causal == CausalKind::top_left)
      ok = m.andI(ok, m.le(j, i));
    Value inBand =
        m.andI(m.le(m.sub(m.add(i, qb.off), m.c(window.getLeft())), j),
               m.le(j, m.add(m.add(i, qb.off), m.c(window.getRight()))));
    Value gi = memref::LoadOp::create(b, m.loc, bufs.global,
                                      ValueRange{qb.bi, i});
    Value gj = memref::LoadOp::create(b, m.loc, bufs.global,
                                      ValueRange{qb.bi, j});
    ok = m.andI(ok, m.orI(inBand, m.orI(gi, gj)));
  } else if (band) {
    RowBand r = rowBand(m, op, qb, i);
    if (r.lo)
      ok = m.andI(ok, m.le(r.lo, j));
    if (r.hi)
      ok = m.andI(ok, m.le(j, r.hi));
  }
  if (bufs.docQ) {
    // The verifier guarantees doc_q and doc_k share one integer type.
    Value di = memref::LoadOp::create(b, m.loc, bufs.docQ, ValueRange{qb.bi, i});
    Value dj = memref::LoadOp::create(b, m.loc, bufs.docK, ValueRange{qb.bi, j});
    ok = m.andI(ok, m.eq(di, dj));
  }
  if (bufs.mask)
    ok = m.andI(ok, loadBroadcast(m, bufs.mask, {qb.bi, qb.hi, i, j}));
  return ok;
}

Value biasAt(IndexMath &m, const AttentionBuffers &bufs, const QueryBlock &qb,
             Value i, Value j) {
  Value x = loadBroadcast(m, bufs.bias, {qb.bi, qb.hi, i, j});
  if (!x.getType().isF32())
    x = arith::ExtFOp::create(m.b, m.loc, m.b.getF32Type(), x);
  return x;
}

} // namespace mlir::attn
