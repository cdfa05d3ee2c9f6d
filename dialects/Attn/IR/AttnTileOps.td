//===- AttnTileOps.td - tiled-stage attn operations --------*- tablegen -*-===//
//
// Memref-level ops between the stages of the lowering: `attn-tile` emits
// online_step/online_finalize inside its loop nest, `attn-online-softmax`
// expands online_step into tile_qk, the softmax update and tile_pv, and
// `attn-lower-tile-matmul` turns those two into vector micro-kernels.
// Scores are key-major ([keys, queries]) so that the softmax statistics of a
// query tile are vectors and neither K nor the scores need a transpose.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TILE_OPS_TD
#define ATTN_TILE_OPS_TD

include "AttnDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_TileMemRef : MemRefRankOf<[F32, F16, BF16], [2]>;
def Attn_F32TileMemRef : MemRefRankOf<[F32], [2]>;
def Attn_F32VecMemRef : MemRefRankOf<[F32], [1]>;

def Attn_OnlineStepOp : Attn_Op<"online_step"> {
  let summary = "fold one key/value block into a query tile's online softmax";
  let description = [{
    `qt` holds the query tile transposed, `[D, BQ]` (columns `>= qn` are
    ignored), so scores come out key-major and the softmax statistics of
    `qn` queries are vectors. For `j < kn = dim(k, 0)`, `i < qn`, with
    absolute positions `q0 + i`, `k0 + j`:

        s[j, i]   = score(scale * q_i . k_j, q0 + i, k0 + j)
                    or -inf where needs_mask and !mask(q0 + i, k0 + j)
        m'[i]     = max(m[i], max_j s[j, i]);  alpha[i] = exp(m[i] - m'[i])
        l[i]      = l[i] * alpha[i] + sum_j exp(s[j, i] - m'[i])
        acc[i, :] = acc[i, :] * alpha[i] + sum_j exp(s[j, i] - m'[i]) v_j

    `m`, `l`, `acc` are the running max, sum and unnormalized output (f32);
    `scores` (`[BK, BQ]`) and `alpha` (`[BQ]`) are f32 scratch. The `mask`
    region maps positions `(i, j)` to an i1 (allowed); the `score` region
    maps `(s, i, j)` to a new score (additive bias). Either may be empty.
    `needs_mask` is false for blocks the tiler proved fully allowed.

    ```mlir
    attn.online_step %qt, %k, %v, %m, %l, %acc, %scores, %alpha
        rows %qn at [%q0, %k0] masked %needs {scale = 0.125 : f64}
        : memref<64x64xf32>, memref<?x64xf32, strided<[?, 1], offset: ?>>,
          memref<?x64xf32, strided<[?, 1], offset: ?>>, memref<64xf32>,
          memref<64xf32>, memref<64x64xf32>, memref<64x64xf32>, memref<64xf32>
        mask {
        ^bb0(%i: index, %j: index):
          %ok = arith.cmpi sle, %j, %i : index
          attn.yield %ok : i1
        }
    ```
  }];
  let arguments = (ins Attn_TileMemRef:$qt, Attn_TileMemRef:$k,
                   Attn_TileMemRef:$v, Attn_F32VecMemRef:$m,
                   Attn_F32VecMemRef:$l, Attn_F32TileMemRef:$acc,
                   Attn_F32TileMemRef:$scores, Attn_F32VecMemRef:$alpha,
                   Index:$rows, Index:$q0, Index:$k0, I1:$needs_mask,
                   F64Attr:$scale);
  let regions = (region AnyRegion:$mask, AnyRegion:$score);
  let assemblyFormat = [{
    $qt `,` $k `,` $v `,` $m `,` $l `,` $acc `,` $scores `,` $alpha
    `rows` $rows `at` `[` $q0 `,` $k0 `]` `masked` $needs_mask attr-dict
    `:` type($qt) `,` type($k) `,` type($v) `,` type($m) `,` type($l) `,`
    type($acc) `,` type($scores) `,` type($alpha)
    (`mask` $mask^)? (`score` $score^)?
  }];
  let hasVerifier = 1;
}

def Attn_OnlineFinalizeOp : Attn_Op<"online_finalize"> {
  let summary = "normalize a query tile's accumulator into the output";
  let description = [{
    `out[i, :] = acc[i, :] / l[i]` converted to the output element type, and
    `lse[i] = m[i] + log(l[i])`, for the rows of `out`. A row whose `l` is 0
    (no allowed key) gets 0 and an LSE of -inf.

    ```mlir
    attn.online_finalize %m, %l, %acc to %out lse %lse
        : memref<64xf32>, memref<64xf32>, memref<64x64xf32>,
          memref<?x64xbf16, strided<[?, 1], offset: ?>>,
          memref<?xf32, strided<[?], offset: ?>>
    ```
  }];
  let arguments = (ins Attn_F32VecMemRef:$m, Attn_F32VecMemRef:$l,
                   Attn_F32TileMemRef:$acc, Attn_TileMemRef:$out,
                   Optional<Attn_F32VecMemRef>:$lse);
  let assemblyFormat = [{
    $m `,` $l `,` $acc `to` $out (`lse` $lse^)? attr-dict `:` type($m) `,`
    type($l) `,` type($acc) `,` type($out) (`,` type($lse)^)?
  }];
  let hasVerifier = 1;
}

def Attn_TileQKOp : Attn_Op<"tile_qk"> {
  let summary = "key-major score tile st = scale * k q^T";
  let description = [{
    `st[j, i] = scale * sum_d k[j, d] * qt[d, i]` for `j < dim(st, 0)`,
    `i < dim(st, 1)`; `qt` is the transposed query tile `[D, >= dim(st, 1)]`
    and `k` has at least `dim(st, 0)` rows.

    ```mlir
    attn.tile_qk %qt, %k, %st {scale = 0.125 : f64}
        : memref<64x64xf32>, memref<?x64xf32>, memref<?x?xf32, strided<[64, 1]>>
    ```
  }];
  let arguments = (ins Attn_TileMemRef:$qt, Attn_TileMemRef:$k,
                   Attn_F32TileMemRef:$st, F64Attr:$scale);
  let assemblyFormat = [{
    $qt `,` $k `,` $st attr-dict `:` type($qt) `,` type($k) `,` type($st)
  }];
  let hasVerifier = 1;
}

def Attn_TilePVOp : Attn_Op<"tile_pv"> {
  let summary = "rescale and accumulate acc = alpha * acc + p^T v";
  let description = [{
    `acc[i, :] = alpha[i] * acc[i, :] + sum_j pt[j, i] * v[j, :]` for
    `i < dim(pt, 1)`, `j < dim(pt, 0)` (`v` has at least that many rows).
    Without `alpha`, `acc` is accumulated as it is (no rescale: linear
    attention's state and chunk products).

    ```mlir
    attn.tile_pv %pt, %v, %acc, %alpha
        : memref<?x?xf32, strided<[64, 1]>>, memref<?x64xf32>,
          memref<64x64xf32>, memref<64xf32>
    attn.tile_pv %pt, %v, %acc : memref<16x64xf32>, memref<16x64xf32>,
                                 memref<64x64xf32>
    ```
  }];
  let arguments = (ins Attn_F32TileMemRef:$pt, Attn_TileMemRef:$v,
                   Attn_F32TileMemRef:$acc,
                   Optional<Attn_F32VecMemRef>:$alpha);
  let assemblyFormat = [{
    $pt `,` $v `,` $acc (`,` $alpha^)? attr-dict `:` type($pt) `,` type($v)
    `,` type($acc) (`,` type($alpha)^)?
  }];
  let hasVerifier = 1;
}

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator, ReturnLike,
    HasParent<"OnlineStepOp">]> {
  let summary = "yields the value of an online_step region";
  let description = [{
    ```mlir
    attn.yield %allowed : i1
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // ATTN_TILE_OPS_TD
