//===- AttnDialect.td - the attn dialect -------------------*- tablegen -*-===//
//
// The dialect every attention variant is spelled in (../../../README.md).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "One op per attention family, every variant as attributes";
  let description = [{
    The `attn` dialect describes an attention computation in a single op:
    `attn.attention` for softmax attention (masks, bias, GQA/MQA, optional
    log-sum-exp) and `attn.linear_attention` for kernelized attention with a
    feature map. Lowering passes tile these ops, fuse the online softmax and
    emit CPU loops or NVVM.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_DIALECT_TD
