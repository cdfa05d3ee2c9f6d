//===- KernelUtils.cpp - helpers shared by the attn GPU kernels -----------===//

#include "KernelUtils.h"

#include "Attn/Transforms/MaskLogic.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;
using namespace mlir::attn;

/// One f32 NVVM intrinsic of one operand (a single MUFU op).
static Value mufu(OpBuilder &b, Location loc, StringRef intrinsic, Value x) {
  return LLVM::CallIntrinsicOp::create(b, loc, b.getF32Type(),
                                       b.getStringAttr(intrinsic),
                                       ValueRange{x})
      .getResult(0);
}

Value mlir::attn::fastExp2(OpBuilder &b, Location loc, Value x) {
  return mufu(b, loc, "llvm.nvvm.ex2.approx.ftz.f", x);
}

Value mlir::attn::fastExp(OpBuilder &b, Location loc, Value x) {
  Value log2e = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(1.4426950408889634f));
  return fastExp2(b, loc, arith::MulFOp::create(b, loc, x, log2e));
}

Value mlir::attn::fastSin(OpBuilder &b, Location loc, Value x) {
  return mufu(b, loc, "llvm.nvvm.sin.approx.ftz.f", x);
}

Value mlir::attn::fastCos(OpBuilder &b, Location loc, Value x) {
  return mufu(b, loc, "llvm.nvvm.cos.approx.ftz.f", x);
}

/// O, which shares Q's stored B, H and L, and its parameter cast.
static std::pair<Value, Value> allocOutput(OpBuilder &b, Location loc,
                                           Value output, Value q) {
  IndexMath m{b, loc};
  auto outType = cast<RankedTensorType>(output.getType());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 4; ++i)
    if (outType.isDynamicDim(i))
      sizes.push_back(m.dim(q, i));
  Value out = allocResult(b, loc, outType, sizes);
  Value param = memref::CastOp::create(
      b, loc, unitInnerStrided(cast<MemRefType>(out.getType())), out);
  return {out, param};
}

LinearOperands mlir::attn::bufferizeLinear(OpBuilder &b, LinearAttentionOp op) {
  Location loc = op.getLoc();
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();
  LinearOperands r;
  r.q = bufferizeOperand(b, loc, op.getQuery());
  r.k = bufferizeOperand(b, loc, op.getKey());
  r.v = bufferizeOperand(b, loc, op.getValue());
  r.projection = bufferizeOperand(b, loc, op.getProjection());
  r.batch = m.dim(r.q, 0);
  r.heads = m.dim(r.q, storedDim(layout, 1));
  std::tie(r.out, r.outParam) = allocOutput(b, loc, op.getOutput(), r.q);
  return r;
}

AttentionResults mlir::attn::allocAttentionResults(OpBuilder &b,
                                                   AttentionOp op,
                                                   const AttentionBuffers &bufs) {
  Location loc = op.getLoc();
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();
  AttentionResults r;
  std::tie(r.out, r.outParam) = allocOutput(b, loc, op.getOutput(), bufs.q);
  if (!op.getLse())
    return r;
  // The LSE is [B, Hq, Lq].
  auto lseType = op.getLse().getType();
  Value logical[3] = {m.dim(bufs.q, 0), m.dim(bufs.q, storedDim(layout, 1)),
                      m.dim(bufs.q, storedDim(layout, 2))};
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 3; ++i)
    if (lseType.isDynamicDim(i))
      sizes.push_back(logical[i]);
  r.lse = allocResult(b, loc, lseType, sizes);
  r.lseParam = memref::CastOp::create(
      b, loc, unitInnerStrided(cast<MemRefType>(r.lse.getType())), r.lse);
  return r;
}

void mlir::attn::appendMaskAndResultParams(SmallVectorImpl<Value> &params,
                                           const AttentionBuffers &host,
                                           const AttentionResults &res) {
  for (Value opt :
       {host.bias, host.mask, host.lens, host.docQ, host.docK, host.global})
    if (opt)
      params.push_back(opt);
  params.push_back(res.outParam);
  if (res.lseParam)
    params.push_back(res.lseParam);
}

std::pair<Value, Value> mlir::attn::takeMaskAndResultArgs(
    Block &entry, unsigned next, const AttentionBuffers &host,
    const AttentionResults &res, AttentionBuffers &kernel) {
  auto take = [&](Value present) -> Value {
    return present ? entry.getArgument(next++) : Value();
  };
  kernel.bias = take(host.bias);
  kernel.mask = take(host.mask);
  kernel.lens = take(host.lens);
  kernel.docQ = take(host.docQ);
  kernel.docK = take(host.docK);
  kernel.global = take(host.global);
  Value out = entry.getArgument(next++);
  return {out, take(res.lseParam)};
}

KernelQueryBlock mlir::attn::kernelQueryBlock(IndexMath &m, AttentionOp op,
                                              const AttentionBuffers &bufs,
                                              int64_t rows) {
  OpBuilder &b = m.b;
  return kernelQueryBlock(
      m, op, bufs, rows, gpu::BlockIdOp::create(b, m.loc, gpu::Dimension::x),
      gpu::BlockIdOp::create(b, m.loc, gpu::Dimension::y),
      gpu::BlockIdOp::create(b, m.loc, gpu::Dimension::z));
}

KernelQueryBlock mlir::attn::kernelQueryBlock(IndexMath &m, AttentionOp op,
                                              const AttentionBuffers &bufs,
                                              int64_t rows, Value block,
                                              Value hi, Value bi) {
  const Layout layout = op.getLayout();
  Value Hq = m.dim(bufs.q, storedDim(layout, 1));
  Value Hkv = m.dim(bufs.k, storedDim(layout, 1));
  Value Lq = m.dim(bufs.q, storedDim(layout, 2));
  Value Lk = m.dim(bufs.k, storedDim(layout, 2));
  Value q0 = m.mul(block, m.c(rows));
  KernelQueryBlock r;
  r.qb = QueryBlock{bi, hi, q0, m.min(m.c(rows), m.sub(Lq, q0)),
                    m.sub(Lk, Lq), Lk};
  r.kvHead = m.div(hi, m.div(Hq, Hkv));
  r.Lq = Lq;
  return r;
}
