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

def AttnSplitMixedHeads : Pass<"attn-split-mixed-heads"> {
  let summary = "Split Performer's mixed heads into attention and linear ops";
  let description = [{
    An `attn.linear_attention` with `local_heads = n, local_window = w`
    becomes an `attn.attention` (causal bottom-right, window (w, 0)) over
    query heads [0, n) and the matching key/value heads, and an
    `attn.linear_attention` over the other heads, on `tensor.extract_slice`s
    of the operands; `tensor.insert_slice` puts both outputs into one result.
    Both pipelines run it first, so each op is then lowered as usual within
    the same function.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
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

def AttnOnlineSoftmax : Pass<"attn-online-softmax"> {
  let summary = "Expand online_step/online_finalize into the online softmax";
  let description = [{
    Each `attn.online_step` becomes the score tile (`attn.tile_qk`), the mask
    region applied where the block needs masking, the score region, the
    update of running max, sum and accumulator (rescaled by
    exp(old max - new max)) in vector loops, and `attn.tile_pv`.
    `attn.online_finalize` becomes acc / l (0 for rows with no allowed key)
    and the log-sum-exp (-inf for those rows).
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes per vector">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"];
}

def AttnLowerTileMatmul : Pass<"attn-lower-tile-matmul"> {
  let summary = "Lower tile_qk and tile_pv to register-blocked vector FMAs";
  let description = [{
    `attn.tile_qk` becomes, per block of `qk-rows` keys and `qk-vectors`
    query vectors, a reduction over D of broadcast(k[j, d]) * qt[d, i:i+W];
    `attn.tile_pv` becomes, per block of `pv-rows` query rows and `pv-vectors`
    Dv vectors, alpha * acc plus a reduction over keys of
    broadcast(p[j, i]) * v[j, c:c+W]. Accumulators are loop-carried vectors.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16", "f32 lanes per vector">,
    Option<"qkRows", "qk-rows", "int64_t", "4", "keys per tile_qk kernel">,
    Option<"qkVectors", "qk-vectors", "int64_t", "4",
           "query vectors per tile_qk kernel">,
    Option<"pvRows", "pv-rows", "int64_t", "4", "query rows per tile_pv kernel">,
    Option<"pvVectors", "pv-vectors", "int64_t", "4",
           "Dv vectors per tile_pv kernel">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"];
}

def AttnApproximateMath : Pass<"attn-approximate-math"> {
  let summary = "Replace math.exp/log on vectors by polynomial approximations";
  let description = [{
    LLVM scalarizes vector `llvm.exp` into libm calls; this pass applies
    upstream's polynomial approximations (populateMathPolynomialApproximation
    Patterns) so the online softmax's exponentials stay vectorized.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"];
}

def AttnResultsInPlace : Pass<"attn-results-in-place", "::mlir::func::FuncOp"> {
  let summary = "Write each result straight into its out-param";
  let description = [{
    After `buffer-results-to-out-params`, a function whose result was a
    fresh `memref.alloc` ends with `memref.copy %alloc, %out` (through a
    `memref.cast` to the boundary's fully dynamic layout), so the kernel
    writes its output once and copies all of it again. This pass gives the
    out-param the allocation's identity layout (the caller passes a
    contiguous row-major buffer) and replaces the allocation by it: no copy.
    Applies where the allocation is in the entry block, of the same rank and
    element type, and copied into an out-param only by the copy before the
    return; anything else is left as it is.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def AttnFreeLocalBuffers : Pass<"attn-free-local-buffers", "::mlir::func::FuncOp"> {
  let summary = "Free the function's top-level buffers that do not escape";
  let description = [{
    After bufferization, a `memref.alloc` in a function's entry block whose
    buffer never leaves the function (not returned, not freed already, not
    stored or passed anywhere but to ops that read or write it, also
    through views) is freed right before the return. Without it, the
    intermediate results of mixed heads (each head group's output, copied
    into the function's result) leaked on every call. The CPU pipeline's
    passes free their own scratch; this covers the buffers bufferization
    and the head split leave behind.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def AttnLinearToLoops : Pass<"attn-linear-to-loops"> {
  let summary = "Lower attn.linear_attention to chunked loops on the micro-kernels";
  let description = [{
    Per (batch, head), in an `scf.parallel`, in chunks of 16 keys and
    queries with an f32 state S [m, Dv] and z [m]: non-causal, a state pass
    S += phi(K_c)^T V_c, z += column sums of phi(K_c), then per query chunk
    O_c = phi(Q_c) S / (phi(Q_c) z + eps); causal, per query chunk the
    chunk's keys (shifted by Lk - Lq) give the masked scores
    tril(phi(Q_c) phi(K_c)^T) (`attn.tile_qk`), O_c = [scores V_c +
    phi(Q_c) S] / (row sums + phi(Q_c) z + eps), then S and z grow by the
    chunk. The products are `attn.tile_qk` / `attn.tile_pv`, lowered to the
    register-blocked micro-kernels by attn-lower-tile-matmul. phi (the
    feature map, FeatureMapMath) is computed per row into heap scratch,
    16 lanes at a time for the elementwise maps; FAVOR+'s key stabilizer
    and the softmax map's per-feature key statistics take one extra pass
    over the keys first.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::LLVM::LLVMDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
