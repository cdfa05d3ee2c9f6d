//===- Passes.h - attn transformation passes --------------------*- C++ -*-===//

#ifndef ATTN_TRANSFORMS_PASSES_H
#define ATTN_TRANSFORMS_PASSES_H

#include "Attn/IR/AttnDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace arith {
class ArithDialect;
}
namespace bufferization {
class BufferizationDialect;
}
namespace linalg {
class LinalgDialect;
}
namespace memref {
class MemRefDialect;
}
namespace scf {
class SCFDialect;
}
namespace vector {
class VectorDialect;
}
namespace math {
class MathDialect;
}
namespace LLVM {
class LLVMDialect;
} // namespace LLVM
namespace tensor {
class TensorDialect;
}
} // namespace mlir

namespace mlir::attn {

#define GEN_PASS_DECL
#include "Attn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Attn/Transforms/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTN_TRANSFORMS_PASSES_H
