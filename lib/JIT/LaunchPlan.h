//===- LaunchPlan.h - the host side of a lowered GPU function ---*- C++ -*-===//
//
// The CUDA runtime does not execute the host half of a lowered function; it
// reads it: each gpu.launch_func in order, its grid as index arithmetic over
// the argument shapes, and each kernel parameter as a view (static offsets)
// of a function argument or result. That covers what attn-to-gpu emits:
// operands bound directly or as head slices (Performer's mixed heads), and
// results allocated per op and returned or inserted into a returned tensor,
// and scratch buffers (gpu.alloc in the host function: state between the
// launches of one op, sized from the shapes and the SM count at launch),
// which the runtime provides from device memory it owns.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_JIT_LAUNCHPLAN_H
#define ATTN_JIT_LAUNCHPLAN_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace attn::jit {

/// A kernel parameter: a view of argument or result `index`, starting at
/// `offsets` with the shape of `value` (unit steps, the buffer's strides).
struct ParamSource {
  /// Rows of S per TMA box when the parameter is an attn.tensor_map of the
  /// view (passed by value), 0 for a memref descriptor.
  int64_t tensorMapRows = 0;
  /// The view's layout, for a tensor map (which dim is S, which is H).
  bool bshd = false;
  /// Bytes to which the view's start and rows must be aligned
  /// (memref.assume_alignment on the way to the launch), 1 if none.
  int64_t alignment = 1;
  bool isResult = false;
  /// A scratch buffer: `value` is its gpu.alloc, contiguous, uninitialized.
  bool isScratch = false;
  unsigned index = 0;
  std::vector<int64_t> offsets;
  mlir::Value value;
};

struct LaunchStep {
  std::string kernel;
  int64_t blockThreads = 0;
  mlir::Value grid[3];
  std::vector<ParamSource> params;
  /// Dynamic shared memory per block.
  int64_t sharedBytes = 0;
};

/// Shapes of the function's arguments, for evaluating sizes.
using ArgShapes = llvm::ArrayRef<std::vector<int64_t>>;

/// The launches of `fn`, in order, or why they cannot be read.
llvm::Expected<std::vector<LaunchStep>> planLaunches(mlir::func::FuncOp fn);

/// The value of index (or integer) `v` given the argument shapes and the
/// device's SM count (attn.multiprocessor_count; 0: not known here).
llvm::Expected<int64_t> evaluate(mlir::Value v, ArgShapes shapes,
                                 int64_t multiprocessors = 0);

/// The shape of tensor or memref `v` given the argument shapes (and the SM
/// count, for scratch sized by it).
llvm::Expected<std::vector<int64_t>> shapeOf(mlir::Value v, ArgShapes shapes,
                                             int64_t multiprocessors = 0);

} // namespace attn::jit

#endif // ATTN_JIT_LAUNCHPLAN_H
