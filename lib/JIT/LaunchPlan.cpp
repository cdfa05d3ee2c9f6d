//===- LaunchPlan.cpp - the host side of a lowered GPU function -----------===//

#include "LaunchPlan.h"

#include "Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace attn::jit {
namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string describe(Operation *op) {
  return op ? op->getName().getStringRef().str() : "a block argument";
}

/// The value of each of `sizes` (static or evaluated).
llvm::Expected<std::vector<int64_t>> values(ArrayRef<OpFoldResult> sizes,
                                            ArgShapes shapes,
                                            int64_t multiprocessors) {
  std::vector<int64_t> out;
  for (OpFoldResult s : sizes) {
    if (std::optional<int64_t> c = getConstantIntValue(s)) {
      out.push_back(*c);
      continue;
    }
    auto v = evaluate(cast<Value>(s), shapes, multiprocessors);
    if (!v)
      return v.takeError();
    out.push_back(*v);
  }
  return out;
}

/// Adds the offsets of slice `op` (static, unit strides) to `p`.
llvm::Error addOffsets(OffsetSizeAndStrideOpInterface op, ParamSource &p) {
  for (auto [i, off, stride] : llvm::enumerate(op.getMixedOffsets(),
                                               op.getMixedStrides())) {
    std::optional<int64_t> o = getConstantIntValue(off),
                           s = getConstantIntValue(stride);
    if (!o || s != 1)
      return fail("cuda: kernel parameters may only be slices with static "
                  "offsets and unit strides");
    p.offsets[i] += *o;
  }
  return llvm::Error::success();
}

/// Follows a result buffer `t` (a to_tensor of the kernel's allocation) to
/// the function result it ends in, adding the offsets it is inserted at.
llvm::Error traceResult(Value t, ParamSource &p) {
  for (int steps = 0; steps < 64; ++steps) {
    if (!t.hasOneUse())
      return fail("cuda: a kernel result must have exactly one use");
    Operation *next = *t.getUsers().begin();
    if (auto ret = dyn_cast<func::ReturnOp>(next)) {
      for (OpOperand &use : t.getUses())
        if (use.getOwner() == ret) {
          p.isResult = true;
          p.index = use.getOperandNumber();
          return llvm::Error::success();
        }
    }
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(next)) {
      // Inserted at some offsets, or the tensor others are inserted into.
      if (insert.getSource() == t)
        if (llvm::Error e = addOffsets(insert, p))
          return e;
      t = insert.getResult();
      continue;
    }
    if (auto c = dyn_cast<tensor::CastOp>(next)) {
      t = c.getResult();
      continue;
    }
    return fail("cuda: a kernel result flows into " + describe(next) +
                ", not into a function result");
  }
  return fail("cuda: a kernel result's use chain is too long");
}

/// Which argument or result kernel parameter `v` views, and where.
llvm::Expected<ParamSource> trace(Value v, func::FuncOp fn) {
  ParamSource p;
  if (auto map = v.getDefiningOp<mlir::attn::TensorMapOp>()) {
    p.tensorMapRows = map.getBoxRows();
    p.bshd = map.getLayout() == mlir::attn::Layout::bshd;
    v = map.getSource();
  }
  p.value = v;
  p.offsets.assign(cast<ShapedType>(v.getType()).getRank(), 0);
  for (int steps = 0; steps < 64; ++steps) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner()->getParentOp() != fn)
        break;
      p.index = arg.getArgNumber();
      return p;
    }
    Operation *def = v.getDefiningOp();
    if (auto c = dyn_cast<memref::CastOp>(def)) {
      v = c.getSource();
    } else if (auto a = dyn_cast<memref::AssumeAlignmentOp>(def)) {
      p.alignment = std::max<int64_t>(p.alignment, a.getAlignment());
      v = a.getMemref();
    } else if (auto c = dyn_cast<tensor::CastOp>(def)) {
      v = c.getSource();
    } else if (auto b = dyn_cast<bufferization::ToBufferOp>(def)) {
      v = b.getTensor();
    } else if (auto s = dyn_cast<tensor::ExtractSliceOp>(def)) {
      if (s.getSourceType().getRank() != s.getType().getRank())
        break;
      if (llvm::Error e = addOffsets(s, p))
        return std::move(e);
      v = s.getSource();
    } else if (auto alloc = dyn_cast<gpu::AllocOp>(def)) {
      if (!alloc.getAsyncDependencies().empty() || alloc.getHostShared())
        return fail("cuda: a scratch buffer must be a plain gpu.alloc");
      p.isScratch = true;
      p.value = alloc.getMemref();
      return p;
    } else if (isa<memref::AllocOp>(def)) {
      Value tensor;
      for (Operation *user : def->getUsers())
        if (auto t = dyn_cast<bufferization::ToTensorOp>(user))
          tensor = t.getResult();
      if (!tensor)
        return fail("cuda: a kernel output buffer is never returned");
      if (llvm::Error e = traceResult(tensor, p))
        return std::move(e);
      return p;
    } else {
      return fail("cuda: a kernel parameter comes from " + describe(def) +
                  "; the runtime binds only function arguments, results and "
                  "slices of them");
    }
  }
  return fail("cuda: cannot trace a kernel parameter to the function");
}

} // namespace

llvm::Expected<std::vector<int64_t>> shapeOf(Value v, ArgShapes shapes,
                                             int64_t multiprocessors) {
  auto type = cast<ShapedType>(v.getType());
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getArgNumber() >= shapes.size())
      return fail("cuda: no shape for argument " +
                  llvm::Twine(arg.getArgNumber()));
    return shapes[arg.getArgNumber()];
  }
  if (type.hasStaticShape())
    return std::vector<int64_t>(type.getShape().begin(), type.getShape().end());
  Operation *def = v.getDefiningOp();
  if (auto c = dyn_cast<memref::CastOp>(def))
    return shapeOf(c.getSource(), shapes, multiprocessors);
  if (auto a = dyn_cast<memref::AssumeAlignmentOp>(def))
    return shapeOf(a.getMemref(), shapes, multiprocessors);
  if (auto c = dyn_cast<tensor::CastOp>(def))
    return shapeOf(c.getSource(), shapes, multiprocessors);
  if (auto b = dyn_cast<bufferization::ToBufferOp>(def))
    return shapeOf(b.getTensor(), shapes, multiprocessors);
  if (auto t = dyn_cast<bufferization::ToTensorOp>(def))
    return shapeOf(t.getBuffer(), shapes, multiprocessors);
  if (auto s = dyn_cast<tensor::ExtractSliceOp>(def))
    return values(s.getMixedSizes(), shapes, multiprocessors);
  if (auto s = dyn_cast<tensor::InsertSliceOp>(def))
    return shapeOf(s.getDest(), shapes, multiprocessors);
  // Allocations and empty tensors: static dims and their dynamic operands.
  ValueRange dynamic;
  if (auto a = dyn_cast<memref::AllocOp>(def))
    dynamic = a.getDynamicSizes();
  else if (auto a = dyn_cast<gpu::AllocOp>(def))
    dynamic = a.getDynamicSizes();
  else if (auto e = dyn_cast<tensor::EmptyOp>(def))
    dynamic = e.getDynamicSizes();
  else
    return fail("cuda: cannot size a value made by " + describe(def));
  std::vector<int64_t> shape;
  unsigned next = 0;
  for (int64_t d : type.getShape()) {
    if (!ShapedType::isDynamic(d)) {
      shape.push_back(d);
      continue;
    }
    auto size = evaluate(dynamic[next++], shapes, multiprocessors);
    if (!size)
      return size.takeError();
    shape.push_back(*size);
  }
  return shape;
}

llvm::Expected<int64_t> evaluate(Value v, ArgShapes shapes,
                                 int64_t multiprocessors) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c;
  Operation *def = v.getDefiningOp();
  if (isa_and_nonnull<mlir::attn::MultiprocessorCountOp>(def)) {
    if (multiprocessors < 1)
      return fail("cuda: a launch size needs the device's SM count, which "
                  "is not known here");
    return multiprocessors;
  }
  auto dimOf = [&](Value source, Value index) -> llvm::Expected<int64_t> {
    auto shape = shapeOf(source, shapes, multiprocessors);
    if (!shape)
      return shape.takeError();
    std::optional<int64_t> i = getConstantIntValue(index);
    if (!i || *i < 0 || *i >= static_cast<int64_t>(shape->size()))
      return fail("cuda: a dim with a non-constant index");
    return (*shape)[*i];
  };
  if (auto d = dyn_cast_or_null<tensor::DimOp>(def))
    return dimOf(d.getSource(), d.getIndex());
  if (auto d = dyn_cast_or_null<memref::DimOp>(def))
    return dimOf(d.getSource(), d.getIndex());
  if (def && isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
                 arith::ExtUIOp>(def))
    return evaluate(def->getOperand(0), shapes, multiprocessors);
  if (!def || def->getNumOperands() != 2)
    return fail("cuda: cannot evaluate a launch size made by " +
                describe(def));
  auto x = evaluate(def->getOperand(0), shapes, multiprocessors);
  if (!x)
    return x.takeError();
  auto y = evaluate(def->getOperand(1), shapes, multiprocessors);
  if (!y)
    return y.takeError();
  const int64_t a = *x, b = *y;
  if (isa<arith::AddIOp>(def))
    return a + b;
  if (isa<arith::SubIOp>(def))
    return a - b;
  if (isa<arith::MulIOp>(def))
    return a * b;
  if (isa<arith::MinSIOp, arith::MinUIOp>(def))
    return std::min(a, b);
  if (isa<arith::MaxSIOp, arith::MaxUIOp>(def))
    return std::max(a, b);
  if (b == 0 && isa<arith::DivUIOp, arith::DivSIOp, arith::CeilDivUIOp,
                    arith::CeilDivSIOp, arith::RemUIOp, arith::RemSIOp>(def))
    return fail("cuda: a launch size divides by zero");
  if (isa<arith::DivUIOp, arith::DivSIOp>(def))
    return a / b;
  if (isa<arith::CeilDivUIOp, arith::CeilDivSIOp>(def))
    return (a + b - 1) / b;
  if (isa<arith::RemUIOp, arith::RemSIOp>(def))
    return a % b;
  return fail("cuda: cannot evaluate a launch size made by " + describe(def));
}

llvm::Expected<std::vector<LaunchStep>> planLaunches(func::FuncOp fn) {
  std::vector<LaunchStep> steps;
  llvm::Error error = llvm::Error::success();
  fn.walk([&](gpu::LaunchFuncOp launch) {
    if (error)
      return;
    LaunchStep step;
    step.kernel = launch.getKernelName().getValue().str();
    std::optional<int64_t> x = getConstantIntValue(launch.getBlockSizeX()),
                           y = getConstantIntValue(launch.getBlockSizeY()),
                           z = getConstantIntValue(launch.getBlockSizeZ());
    if (!x || y != 1 || z != 1) {
      error = fail("cuda: kernel " + step.kernel +
                   " needs a static one-dimensional thread block");
      return;
    }
    step.blockThreads = *x;
    step.grid[0] = launch.getGridSizeX();
    step.grid[1] = launch.getGridSizeY();
    step.grid[2] = launch.getGridSizeZ();
    if (Value shared = launch.getDynamicSharedMemorySize()) {
      std::optional<int64_t> bytes = getConstantIntValue(shared);
      if (!bytes) {
        error = fail("cuda: kernel " + step.kernel +
                     " needs a static dynamic shared memory size");
        return;
      }
      step.sharedBytes = *bytes;
    }
    for (Value operand : launch.getKernelOperands()) {
      auto p = trace(operand, fn);
      if (!p) {
        error = p.takeError();
        return;
      }
      step.params.push_back(std::move(*p));
    }
    steps.push_back(std::move(step));
  });
  if (error)
    return std::move(error);
  if (steps.empty())
    return fail("cuda: the GPU pipeline launched no kernel");
  return steps;
}

} // namespace attn::jit
