//===- attn-opt.cpp - mlir-opt with the attn dialect and passes -----------===//
//
// Every upstream dialect, pass and extension plus the attn dialect and every
// attn pass, so any stage of the pipeline can be run and FileChecked.
//
//===----------------------------------------------------------------------===//

#include "Attn/IR/AttnDialect.h"
#include "Attn/Transforms/Passes.h"
#include "attn/Conversion.h"
#include "attn/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::attn::registerAttnPasses();
  attn::registerAttnConversionPasses();
  attn::registerAttnPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::attn::AttnDialect>();
  // gpu-module-to-binary translates kernels to LLVM IR for the NVPTX backend.
  mlir::registerAllToLLVMIRTranslations(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "attn optimizer driver\n", registry));
}
