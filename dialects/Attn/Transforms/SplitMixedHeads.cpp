//===- SplitMixedHeads.cpp - Performer's mixed heads as two ops -----------===//
//
// attn.linear_attention with `local_heads = n, local_window = w` becomes, on
// head slices of its operands, an attn.attention (causal bottom-right,
// window (w, 0), scale 1/sqrt(D)) over query heads [0, n) and key/value
// heads [0, n / G), and an attn.linear_attention without local heads over
// the rest; both outputs are inserted into one result tensor. Later passes
// lower each op as usual, so one function computes both kinds of heads: one
// kernel nest on the CPU, two kernel launches on the GPU.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnOps.h"
#include "Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

#define DEBUG_TYPE "attn-split-mixed-heads"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSPLITMIXEDHEADS
#include "Attn/Transforms/Passes.h.inc"

namespace {

void split(LinearAttentionOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  const AttentionDims d = op.getDims();
  const int64_t n = static_cast<int64_t>(*op.getLocalHeads());
  const int64_t w = static_cast<int64_t>(*op.getLocalWindow());
  const int64_t group = d.qHeads / d.kvHeads;
  const int64_t headDim = op.getLayout() == Layout::bhsd ? 1 : 2;

  /// Heads [h0, h0 + count) of `t`.
  auto slice = [&](Value t, int64_t h0, int64_t count) -> Value {
    SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)),
        strides(4, b.getIndexAttr(1)), sizes;
    for (int64_t i = 0; i < 4; ++i)
      sizes.push_back(i == headDim ? b.getIndexAttr(count)
                                   : tensor::getMixedSize(b, loc, t, i));
    offsets[headDim] = b.getIndexAttr(h0);
    return tensor::ExtractSliceOp::create(b, loc, t, offsets, sizes, strides);
  };
  auto withHeads = [&](RankedTensorType t, int64_t heads) {
    SmallVector<int64_t> shape(t.getShape());
    shape[headDim] = heads;
    return RankedTensorType::get(shape, t.getElementType());
  };
  RankedTensorType outType = op.getOutput().getType();
  const int64_t nkv = n / group;

  auto local = AttentionOp::create(
      b, loc, withHeads(outType, n), Type(), slice(op.getQuery(), 0, n),
      slice(op.getKey(), 0, nkv), slice(op.getValue(), 0, nkv), Value(),
      Value(), Value(), Value(), Value(), Value(), FloatAttr(),
      CausalKindAttr::get(b.getContext(), CausalKind::bottom_right),
      WindowAttr::get(b.getContext(), w, 0), op.getLayoutAttr(),
      RotaryAttr());
  auto rest = LinearAttentionOp::create(
      b, loc, withHeads(outType, d.qHeads - n),
      slice(op.getQuery(), n, d.qHeads - n),
      slice(op.getKey(), nkv, d.kvHeads - nkv),
      slice(op.getValue(), nkv, d.kvHeads - nkv), op.getProjection(),
      op.getFeatureMapAttr(), op.getCausalAttr(), op.getEpsAttr(),
      op.getKernelEpsAttr(), IntegerAttr(), IntegerAttr(), op.getLayoutAttr());

  // out = insert(rest, insert(local, empty)) along the head dim.
  SmallVector<OpFoldResult> outSizes;
  for (int64_t i = 0; i < 4; ++i)
    outSizes.push_back(i == headDim ? b.getIndexAttr(d.qHeads)
                                    : tensor::getMixedSize(b, loc,
                                                           rest.getOutput(), i));
  Value out = tensor::EmptyOp::create(b, loc, outSizes, outType.getElementType());
  auto insert = [&](Value part, int64_t h0) {
    SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)),
        strides(4, b.getIndexAttr(1)), partSizes;
    for (int64_t i = 0; i < 4; ++i)
      partSizes.push_back(tensor::getMixedSize(b, loc, part, i));
    offsets[headDim] = b.getIndexAttr(h0);
    out = tensor::InsertSliceOp::create(b, loc, part, out, offsets, partSizes,
                                        strides);
  };
  insert(local.getOutput(), 0);
  insert(rest.getOutput(), n);
  if (out.getType() != outType)
    out = tensor::CastOp::create(b, loc, outType, out);
  op.getOutput().replaceAllUsesWith(out);
  op.erase();
}

struct AttnSplitMixedHeads
    : impl::AttnSplitMixedHeadsBase<AttnSplitMixedHeads> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<LinearAttentionOp> mixed;
    getOperation()->walk([&](LinearAttentionOp op) {
      if (op.getLocalHeads())
        mixed.push_back(op);
    });
    for (LinearAttentionOp op : mixed)
      split(op);
  }
};
} // namespace
} // namespace mlir::attn
