//===- FreeLocalBuffers.cpp - free top-level buffers that do not escape ---===//
//
// The CPU pipeline has no general buffer deallocation (upstream's
// ownership-based deallocation refuses IR that already frees buffers, and
// the tiling and linear lowerings free their scratch themselves). What is
// left are the top-level allocations bufferization makes, e.g. each head
// group's output under mixed heads, copied into the result: freed here
// before the return when nothing can keep them alive.
//
//===----------------------------------------------------------------------===//

#include "Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#define DEBUG_TYPE "attn-free-local-buffers"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNFREELOCALBUFFERS
#include "Attn/Transforms/Passes.h.inc"

namespace {

/// Whether the address `addr` (memref.extract_aligned_pointer_as_index)
/// only feeds arithmetic that ends in booleans, e.g. a run-time alignment
/// check (attn-linear-to-loops' non-temporal stores): an i1 cannot carry
/// the address on, so the buffer does not escape through it.
bool onlyTested(Value addr) {
  SmallVector<Value> work{addr};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (v.getType().isInteger(1))
      continue; // a condition: whatever uses it, the address stops here
    for (Operation *user : v.getUsers()) {
      if (!isa<arith::ArithDialect>(user->getDialect()))
        return false;
      work.append(user->result_begin(), user->result_end());
    }
  }
  return true;
}

/// Whether every use of `buf` (and of views of it) only reads or writes
/// its memory: no return, dealloc, store of the buffer itself, call, or op
/// whose effects on it are unknown.
bool staysLocal(Value buf) {
  SmallVector<Value> work{buf};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<ViewLikeOpInterface, memref::CastOp>(user)) {
        work.append(user->result_begin(), user->result_end());
        continue;
      }
      if (auto store = dyn_cast<memref::StoreOp>(user);
          store && store.getValueToStore() == v)
        return false; // the buffer itself is stored somewhere
      // Its address taken for anything but a test: it may live on.
      if (auto addr = dyn_cast<memref::ExtractAlignedPointerAsIndexOp>(user)) {
        if (!onlyTested(addr.getResult()))
          return false;
        continue;
      }
      // Returned, yielded out of a region, passed to a call or freed
      // already: it may live on.
      if (user->hasTrait<OpTrait::ReturnLike>() ||
          isa<RegionBranchTerminatorOpInterface, CallOpInterface,
              memref::DeallocOp>(user))
        return false;
      auto effects = dyn_cast<MemoryEffectOpInterface>(user);
      if (!effects)
        return false;
      SmallVector<MemoryEffects::EffectInstance> list;
      effects.getEffectsOnValue(v, list);
      for (const MemoryEffects::EffectInstance &e : list)
        if (!isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect()))
          return false;
      // Pure ops (memref.dim, ...) state no effect: nothing escapes there.
    }
  }
  return true;
}

struct AttnFreeLocalBuffers
    : impl::AttnFreeLocalBuffersBase<AttnFreeLocalBuffers> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal() || !llvm::hasSingleElement(fn.getBody()))
      return;
    Block &entry = fn.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!ret)
      return;
    OpBuilder b(ret);
    for (auto alloc : llvm::to_vector(entry.getOps<memref::AllocOp>()))
      if (staysLocal(alloc.getResult()))
        memref::DeallocOp::create(b, alloc.getLoc(), alloc.getResult());
  }
};

} // namespace
} // namespace mlir::attn
