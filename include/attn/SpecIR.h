//===- SpecIR.h - build attn IR from a C++ spec and read it back -*- C++ -*-===//
//
// The C++ builder of the public API: an AttentionSpec or LinearAttentionSpec
// becomes a verified `func.func` holding one attn op, and an attn op becomes
// a spec again. Invalid specs come back as llvm::Error carrying the
// verifier's message.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SPECIR_H
#define ATTN_SPECIR_H

#include "attn/Spec.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
class DialectRegistry;
class Location;
class MLIRContext;
class ModuleOp;
class OpBuilder;
template <typename OpTy>
class OwningOpRef;
namespace func {
class FuncOp;
} // namespace func
namespace attn {
class AttentionOp;
class LinearAttentionOp;
} // namespace attn
} // namespace mlir

namespace attn {

/// Registers the dialects specs are built from (attn, func).
void registerSpecDialects(mlir::DialectRegistry &registry);

/// Builds `func.func @name(q, k, v, [optional operands]) -> (o[, lse])` at the
/// builder's insertion point, in the operand order documented on
/// AttentionSpec, and verifies it. On failure nothing is left in the IR.
llvm::Expected<mlir::func::FuncOp>
buildAttentionFunc(mlir::OpBuilder &builder, mlir::Location loc,
                   const AttentionSpec &spec, llvm::StringRef name);
llvm::Expected<mlir::func::FuncOp>
buildLinearAttentionFunc(mlir::OpBuilder &builder, mlir::Location loc,
                         const LinearAttentionSpec &spec,
                         llvm::StringRef name);

/// The same in a new module; loads the dialects it needs into `ctx`.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildAttentionModule(mlir::MLIRContext &ctx, const AttentionSpec &spec,
                     llvm::StringRef name = "attention");
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildLinearAttentionModule(mlir::MLIRContext &ctx,
                           const LinearAttentionSpec &spec,
                           llvm::StringRef name = "linear_attention");

/// Reads the spec of a (verified) op back. Index operands may be i32 or i64
/// and a bias may be f32; the spec records neither.
AttentionSpec specFromOp(mlir::attn::AttentionOp op);
LinearAttentionSpec specFromOp(mlir::attn::LinearAttentionOp op);

/// Parses MLIR text (a module or a single func) and returns the module.
/// Parse and verifier diagnostics come back in the error.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
parseSpecModule(mlir::MLIRContext &ctx, llvm::StringRef text);

/// An error for MLIR text that the MLIR parser this project links crashes
/// on, found before parsing; success otherwise. parseSpecModule and
/// attn-opt call it. Today one case: a dense array of `index`
/// (`array<index: ...>`), which MLIR 22.1's parser segfaults on
/// (llvm/llvm-project#179045, fixed upstream after 22.1 by #179075).
llvm::Error rejectParserCrashers(llvm::StringRef text);

} // namespace attn

#endif // ATTN_SPECIR_H
