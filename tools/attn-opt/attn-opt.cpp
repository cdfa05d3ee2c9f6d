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
#include "attn/SpecIR.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
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

  auto [input, output] = mlir::registerAndParseCLIOptions(
      argc, argv, "attn optimizer driver\n", registry);
  // Text that the linked MLIR parser would crash on is an error first
  // (a file only: MlirOptMain reads stdin itself).
  std::string message;
  if (input == "-") {
  } else if (auto file = mlir::openInputFile(input, &message)) {
    if (llvm::Error e = attn::rejectParserCrashers(file->getBuffer())) {
      llvm::errs() << input << ": error: " << llvm::toString(std::move(e))
                   << "\n";
      return EXIT_FAILURE;
    }
  } // else MlirOptMain reports the file
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, input, output, registry));
}
