//===- Conversion.h - attn conversion passes --------------------*- C++ -*-===//
//
// Passes that lower attn ops to another target dialect (attn-to-gpu).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_H
#define ATTN_CONVERSION_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class ModuleOp;
namespace arith {
class ArithDialect;
}
namespace bufferization {
class BufferizationDialect;
}
namespace gpu {
class GPUDialect;
class GPUModuleOp;
}
namespace LLVM {
class LLVMDialect;
}
namespace NVVM {
class NVVMDialect;
}
namespace nvgpu {
class NVGPUDialect;
}
namespace math {
class MathDialect;
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
} // namespace mlir

namespace attn {
#define GEN_PASS_DECL
#include "Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Conversion/Passes.h.inc"
} // namespace attn

#endif // ATTN_CONVERSION_H
