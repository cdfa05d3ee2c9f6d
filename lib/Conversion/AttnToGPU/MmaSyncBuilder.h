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
  Value bits(Value bf16) {
    Value h = arith::BitcastOp::create(g, loc, g.getI16Type(), bf16);
    return arith::ExtUIOp::create(g, loc, g.getI32Type(), h);
  }
  /// (lo, hi) f32 -> one word of two bf16, lo in the low half.
  Value pack(Value lo, Value hi) {
    Value h = arith::ShLIOp::create(g, loc, bits(toBF16(hi)), i32c(16));
    return arith::OrIOp::create(g, loc, bits(toBF16(lo)), h);
  }
  /// The bf16 at bit `shift` (0 or 16) of `word`, as f32.
  Value unpack(Value word, Value shift) {
    Value s = arith::ShRUIOp::create(g, loc, word, shift);
    Value h = arith::TruncIOp::create(g, loc, g.getI16Type(), s);
    return m.toF32(arith::BitcastOp::create(g, loc, g.getBF16Type(), h));
  }
  /// The halves at `shift` of w0 and w1 as one word (w0's low).
  Value repack(Value w0, Value w1, Value shift) {
    Value lo = arith::AndIOp::create(
        g, loc, arith::ShRUIOp::create(g, loc, w0, shift), i32c(0xFFFF));
    Value hi = arith::ShLIOp::create(
        g, loc, arith::ShRUIOp::create(g, loc, w1, shift), i32c(16));
    return arith::OrIOp::create(g, loc, lo, hi);
  }
  Value f32(float v) { return m.f32(v); }
  Frag zeros() { return {f32(0), f32(0), f32(0), f32(0)}; }

  /// B fragment of k-step kk from `buf` holding B^T as word pairs along k:
  /// words 8 kk + t and 8 kk + 4 + t of row `row` (n = row).
  SmallVector<Value> bFrag(Value buf, Value row, int64_t kk, Value tq) {
    return {memref::LoadOp::create(g, loc, buf,
                                   ValueRange{row, m.add(m.c(8 * kk), tq)}),
            memref::LoadOp::create(
                g, loc, buf, ValueRange{row, m.add(m.c(8 * kk + 4), tq)})};
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
