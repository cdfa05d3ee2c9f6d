//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//

#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnMaterializeDefaults : Pass<"attn-materialize-defaults"> {
  let summary = "Write every implicit default of the attn ops as an attribute";
  let description = [{
    Sets `scale = 1/sqrt(D)` on `attn.attention`, and `eps` and `kernel_eps`
    on `attn.linear_attention` where a feature map uses it, so that later
    stages read one explicit value instead of re-deriving the defaults.
    Attributes already present are left as they are.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnTile : Pass<"attn-tile"> {
  let summary = "Tile attn.attention into q-block x kv-block loops";
  let description = [{
    Rewrites each `attn.attention` into an `scf.parallel` over (batch, head,
    q-block) and an `scf.for` over key blocks whose bounds come from the mask
    (causal, window and key padding shrink the range; documents and global
    tokens skip blocks with an `scf.if`). Each visited block becomes an
    `attn.online_step`, flagged unmasked where the tiler proves every pair
    allowed; `attn.online_finalize` writes the rows. Operands are read through
    `bufferization.to_buffer` with unit innermost stride.
  }];
  let options = [
    Option<"blockQ", "block-q", "int64_t", "64", "query rows per tile">,
    Option<"blockKV", "block-kv", "int64_t", "64", "keys per tile">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
