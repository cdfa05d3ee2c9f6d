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
