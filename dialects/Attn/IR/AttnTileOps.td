//===- AttnTileOps.td - tiled-stage attn operations --------*- tablegen -*-===//
//
// Memref-level ops between the stages of the lowering: `attn-tile` emits
// online_step/online_finalize inside its loop nest, `attn-online-softmax`
// expands online_step into tile_qk, the softmax update and tile_pv, and
// `attn-lower-tile-matmul` turns those two into vector micro-kernels.
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
    For the `qn` query rows of `q` and the `kn` keys of `k`/`v` (qn, kn the
    leading dims of the views), with absolute positions `q0 + i`, `k0 + j`:

        s[i, j]   = score(scale * q_i . k_j, q0 + i, k0 + j)
                    or -inf where needs_mask and !mask(q0 + i, k0 + j)
        m'[i]     = max(m[i], max_j s[i, j])
        l[i]      = l[i] * exp(m[i] - m'[i]) + sum_j exp(s[i, j] - m'[i])
        acc[i, :] = acc[i, :] * exp(m[i] - m'[i]) + sum_j exp(s[i, j] - m'[i]) v_j

    `m`, `l`, `acc` are the running max, sum and unnormalized output (f32).
    The `mask` region maps `(i, j)` positions to an i1 (allowed); the `score`
    region maps `(s, i, j)` to a new score (additive bias). Either may be
    empty. `needs_mask` is false for blocks the tiler proved fully allowed.

    ```mlir
    attn.online_step %q, %k, %v, %m, %l, %acc at [%q0, %k0] masked %needs
        {scale = 0.125 : f64}
        : memref<?x64xf32, strided<[?, 1], offset: ?>>, ...
        mask {
        ^bb0(%i: index, %j: index):
          %ok = arith.cmpi ule, %j, %i : index
          attn.yield %ok : i1
        }
    ```
  }];
  let arguments = (ins Attn_TileMemRef:$q, Attn_TileMemRef:$k,
                   Attn_TileMemRef:$v, Attn_F32VecMemRef:$m,
                   Attn_F32VecMemRef:$l, Attn_F32TileMemRef:$acc,
                   Index:$q0, Index:$k0, I1:$needs_mask, F64Attr:$scale);
  let regions = (region AnyRegion:$mask, AnyRegion:$score);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $m `,` $l `,` $acc `at` `[` $q0 `,` $k0 `]`
    `masked` $needs_mask attr-dict `:` type($q) `,` type($k) `,` type($v)
    `,` type($m) `,` type($l) `,` type($acc)
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
}

def Attn_TileQKOp : Attn_Op<"tile_qk"> {
  let summary = "scaled score tile s = scale * q k^T";
  let description = [{
    `s[i, j] = scale * sum_d q[i, d] * k[j, d]` for `i < dim(q, 0)`,
    `j < dim(k, 0)`; `s` is at least that large (f32).

    ```mlir
    attn.tile_qk %q, %k, %s {scale = 0.125 : f64}
        : memref<?x64xf32>, memref<?x64xf32>, memref<64x64xf32>
    ```
  }];
  let arguments = (ins Attn_TileMemRef:$q, Attn_TileMemRef:$k,
                   Attn_F32TileMemRef:$s, F64Attr:$scale);
  let assemblyFormat = [{
    $q `,` $k `,` $s attr-dict `:` type($q) `,` type($k) `,` type($s)
  }];
  let hasVerifier = 1;
}

def Attn_TilePVOp : Attn_Op<"tile_pv"> {
  let summary = "accumulate acc += p v";
  let description = [{
    `acc[i, :] += sum_j p[i, j] * v[j, :]` for `i < dim(p, 0)`,
    `j < dim(p, 1)` (which must not exceed `dim(v, 0)`).

    ```mlir
    attn.tile_pv %p, %v, %acc
        : memref<?x?xf32>, memref<?x64xf32>, memref<64x64xf32>
    ```
  }];
  let arguments = (ins Attn_F32TileMemRef:$p, Attn_TileMemRef:$v,
                   Attn_F32TileMemRef:$acc);
  let assemblyFormat = [{
    $p `,` $v `,` $acc attr-dict `:` type($p) `,` type($v) `,` type($acc)
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
