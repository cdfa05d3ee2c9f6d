//===- MmaSyncBuilder.h - mma.sync m16n8k16 kernel helpers ------*- C++ -*-===//
//
// Internal to AttnToGPU: the pieces that the mma.sync kernels (the chunked
// linear-attention scan and the feature-map kernel) build with: bf16 pairs
// packed into i32 words, the m16n8k16 bf16 product with f32 accumulation,
// quad reductions and vector row loads.
//
// Fragment layouts (PTX ISA, mma.m16n8k16, g = lane / 4, t = lane % 4):
//   A 16x16: a0 (g, 2t..2t+1)  a1 (g+8, 2t..)  a2 (g, 2t+8..)  a3 (g+8, 2t+8..)
//   B 16x8:  b0 (2t..2t+1, g)  b1 (2t+8.., g)
//   C 16x8:  c0 c1 (g, 2t / 2t+1)  c2 c3 (g+8, 2t / 2t+1)
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOGPU_MMASYNCBUILDER_H
#define ATTN_CONVERSION_ATTNTOGPU_MMASYNCBUILDER_H

#include "Attn/Transforms/MaskLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <array>

namespace mlir::attn {

using Frag = std::array<Value, 4>;

class MmaSyncBuilder {
protected:
  MmaSyncBuilder(OpBuilder &g, Location loc) : g(g), loc(loc), m{g, loc} {}

  Value i32c(int32_t v) {
    return arith::ConstantIntOp::create(g, loc, g.getI32Type(), v);
  }
  Value toBF16(Value x) {
    return arith::TruncFOp::create(g, loc, g.getBF16Type(), m.toF32(x));
  }
  /// (lo, hi) f32 -> one word of two bf16, lo in the low half. As one
  /// vector truncation: PTX cvt.rn.bf16x2.f32 (a conversion of each and a
  /// shift and an or otherwise).
  Value pack(Value lo, Value hi) {
    Value pair = vector::FromElementsOp::create(
        g, loc, VectorType::get({2}, g.getF32Type()),
        ValueRange{m.toF32(lo), m.toF32(hi)});
    Value b = arith::TruncFOp::create(
        g, loc, VectorType::get({2}, g.getBF16Type()), pair);
    Value w = vector::BitCastOp::create(
        g, loc, VectorType::get({1}, g.getI32Type()), b);
    return vector::ExtractOp::create(g, loc, w, 0);
  }
  /// The bf16 at bit `shift` (0 or 16) of `word`, as f32.
  Value unpack(Value word, Value shift) {
    Value s = arith::ShRUIOp::create(g, loc, word, shift);
    Value h = arith::TruncIOp::create(g, loc, g.getI16Type(), s);
    return m.toF32(arith::BitcastOp::create(g, loc, g.getBF16Type(), h));
  }
  Value f32(float v) { return m.f32(v); }
  Frag zeros() { return {f32(0), f32(0), f32(0), f32(0)}; }

  /// ldmatrix: `tiles` (1, 2 or 4) 8x8 matrices of 16-bit elements from
  /// shared memory `buf`, lane l giving the address (`row`, `col`) of row
  /// l % 8 of matrix l / 8 (16-byte aligned); the lane's word of each
  /// matrix, in order. `transpose`: of each matrix's transpose (needs a
  /// 16-bit `buf`; i32 words otherwise). One instruction where two loads
  /// per fragment word (and a repack, for the transpose) stood before.
  SmallVector<Value> ldmatrix(Value buf, Value row, Value col, int64_t tiles,
                              bool transpose) {
    Type elem = cast<MemRefType>(buf.getType()).getElementType();
    int64_t per = 32 / elem.getIntOrFloatBitWidth();
    Value r = nvgpu::LdMatrixOp::create(
        g, loc, VectorType::get({tiles, per}, elem), buf, ValueRange{row, col},
        transpose, static_cast<uint32_t>(tiles));
    SmallVector<Value> words;
    for (int64_t i = 0; i < tiles; ++i) {
      Value v = vector::ExtractOp::create(g, loc, r, i);
      if (per != 1)
        v = vector::BitCastOp::create(
            g, loc, VectorType::get({1}, g.getI32Type()), v);
      words.push_back(vector::ExtractOp::create(g, loc, v, 0));
    }
    return words;
  }
  /// The B fragments of k step kk of `count` (1 or 2) n tiles from row n0
  /// of `buf`, which holds B^T as i32 words of bf16 pairs along k (b0 of
  /// tile n at row n0 + g: words 8 kk + t, b1: 8 kk + 4 + t): words {b0,
  /// b1} of tile n0 / 8, then of the next. `lane`: the lane id.
  SmallVector<Value> bFrags(Value buf, Value n0, int64_t kk, int64_t count,
                            Value lane) {
    // Matrix i = l / 8 is (tile i / 2, k half i % 2); with one tile, lanes
    // 16.. repeat the addresses of 0.. (ignored by .x2, kept in range).
    Value row = m.add(n0, g.createOrFold<arith::RemUIOp>(loc, lane, m.c(8)));
    if (count == 2)
      row = m.add(row, m.mul(m.div(lane, m.c(16)), m.c(8)));
    Value half = g.createOrFold<arith::RemUIOp>(loc, m.div(lane, m.c(8)),
                                                m.c(2));
    Value word = m.add(m.c(8 * kk), m.mul(half, m.c(4)));
    return ldmatrix(buf, row, word, 2 * count, /*transpose=*/false);
  }
  /// The A fragment of the 16x16 block at (m0, k0) of A stored transposed
  /// (A^T row-major in 16-bit `buf`: buf[k][m]), by ldmatrix.trans.
  SmallVector<Value> aFragTransposed(Value buf, Value m0, Value k0,
                                     Value lane) {
    // Matrix i = l / 8: a_i covers m rows 8 (i % 2), k columns 8 (i / 2),
    // i.e. buf rows k0 + 8 (i / 2) + l % 8 from column m0 + 8 (i % 2).
    Value i = m.div(lane, m.c(8));
    Value row = m.add(m.add(k0, m.mul(m.div(i, m.c(2)), m.c(8))),
                      g.createOrFold<arith::RemUIOp>(loc, lane, m.c(8)));
    Value col = m.add(
        m0, m.mul(g.createOrFold<arith::RemUIOp>(loc, i, m.c(2)), m.c(8)));
    return ldmatrix(buf, row, col, 4, /*transpose=*/true);
  }
  /// d = a * b + c on one warp, a: 4 words, b: 2 words, c/d: 4 f32.
  Frag mma(ArrayRef<Value> a, ArrayRef<Value> b, const Frag &c) {
    Type f = g.getF32Type();
    auto type = LLVM::LLVMStructType::getLiteral(g.getContext(), {f, f, f, f});
    auto op = NVVM::MmaOp::create(
        g, loc, type, a, b, c, ArrayRef<int64_t>{16, 8, 16}, std::nullopt,
        std::nullopt,
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                      NVVM::MMATypes::bf16},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    Frag d;
    for (int64_t i = 0; i < 4; ++i)
      d[i] = LLVM::ExtractValueOp::create(g, loc, op.getRes(), i);
    return d;
  }

  /// The residual of (lo, hi) after pack(): the word of x - bf16(x).
  Value packResidual(Value lo, Value hi) {
    auto residual = [&](Value x) -> Value {
      return arith::SubFOp::create(g, loc, x, m.toF32(toBF16(x)));
    };
    return pack(residual(lo), residual(hi));
  }
  /// d = a b + c for operands split into high and low bf16 parts (a = ah +
  /// al, al = packResidual): ah bh + ah bl + al bh, ~16 bits of each
  /// operand (the al bl term, ~2^-16 relative, is dropped). Empty al and
  /// bl: the plain product.
  Frag mmaSplit(ArrayRef<Value> ah, ArrayRef<Value> al, ArrayRef<Value> bh,
                ArrayRef<Value> bl, Frag c) {
    if (!bl.empty())
      c = mma(ah, bl, c);
    if (!al.empty())
      c = mma(al, bh, c);
    return mma(ah, bh, c);
  }

  /// scf.if with results; both branches return the values to yield.
  SmallVector<Value> ifElse(Value cond, TypeRange types,
                            function_ref<SmallVector<Value>()> then,
                            function_ref<SmallVector<Value>()> otherwise) {
    auto ifOp = scf::IfOp::create(g, loc, types, cond, /*withElse=*/true);
    OpBuilder::InsertionGuard guard(g);
    g.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(g, loc, then());
    g.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(g, loc, otherwise());
    return SmallVector<Value>(ifOp.getResults());
  }
  /// Sum over the 4 lanes of a group (same g).
  Value sumOverQuad(Value x) {
    for (int32_t o : {1, 2})
      x = arith::AddFOp::create(
          g, loc, x,
          gpu::ShuffleOp::create(g, loc, x, o, 32, gpu::ShuffleMode::XOR)
              .getShuffleResult());
    return x;
  }
  /// n consecutive elements at `idx` (innermost dim), as f32, in one load.
  /// The kernel requires 16-byte aligned rows (checked by the runtime), and
  /// `idx` a multiple of n: the load is aligned to its size up to 16 bytes.
  SmallVector<Value> loadVector(Value buf, ValueRange idx, int64_t n) {
    Type elem = cast<MemRefType>(buf.getType()).getElementType();
    Value vec = vector::LoadOp::create(
        g, loc, VectorType::get({n}, elem), buf, idx, /*nontemporal=*/false,
        llvm::MaybeAlign(
            std::min<int64_t>(16, n * elem.getIntOrFloatBitWidth() / 8)));
    SmallVector<Value> x;
    for (int64_t i = 0; i < n; ++i)
      x.push_back(m.toF32(vector::ExtractOp::create(g, loc, vec, i)));
    return x;
  }

  OpBuilder &g;
  Location loc;
  IndexMath m;
};

} // namespace mlir::attn

#endif // ATTN_CONVERSION_ATTNTOGPU_MMASYNCBUILDER_H
