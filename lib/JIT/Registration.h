//===- Registration.h - what the JIT registers ------------------*- C++ -*-===//

#ifndef ATTN_JIT_REGISTRATION_H
#define ATTN_JIT_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace attn {
/// Dialects, interfaces and translations of the CPU and GPU pipelines.
void registerJITDialects(mlir::DialectRegistry &registry);
/// The passes named in the pipelines' text.
void registerJITPasses();
} // namespace attn

#endif // ATTN_JIT_REGISTRATION_H
