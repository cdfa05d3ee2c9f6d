//===- KernelUtils.cpp - helpers shared by the attn GPU kernels -----------===//

#include "KernelUtils.h"

#include "Attn/Transforms/MaskLogic.h"

using namespace mlir;
using namespace mlir::attn;

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
  // O shares Q's stored B, H and L.
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 4; ++i)
    if (outType.isDynamicDim(i))
      sizes.push_back(m.dim(r.q, i));
  r.out = allocResult(b, loc, outType, sizes);
  r.outParam = memref::CastOp::create(
      b, loc, unitInnerStrided(cast<MemRefType>(r.out.getType())), r.out);
  return r;
}

AttentionResults mlir::attn::allocAttentionResults(OpBuilder &b,
                                                   AttentionOp op,
                                                   const AttentionBuffers &bufs) {
  Location loc = op.getLoc();
  IndexMath m{b, loc};
  const Layout layout = op.getLayout();
  AttentionResults r;
  // O shares Q's stored B, H and L; the LSE is [B, Hq, Lq].
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < 4; ++i)
    if (outType.isDynamicDim(i))
      sizes.push_back(m.dim(bufs.q, i));
  r.out = allocResult(b, loc, outType, sizes);
  r.outParam = memref::CastOp::create(
      b, loc, unitInnerStrided(cast<MemRefType>(r.out.getType())), r.out);
  if (!op.getLse())
    return r;
  auto lseType = op.getLse().getType();
  Value logical[3] = {m.dim(bufs.q, 0), m.dim(bufs.q, storedDim(layout, 1)),
                      m.dim(bufs.q, storedDim(layout, 2))};
  sizes.clear();
  for (int64_t i = 0; i < 3; ++i)
    if (lseType.isDynamicDim(i))
      sizes.push_back(logical[i]);
  r.lse = allocResult(b, loc, lseType, sizes);
  r.lseParam = memref::CastOp::create(
      b, loc, unitInnerStrided(cast<MemRefType>(r.lse.getType())), r.lse);
  return r;
}
