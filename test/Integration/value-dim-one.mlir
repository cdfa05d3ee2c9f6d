// Dv = 1 in BSHD: the V rows are [keys, 1] views whose rank reduction used
// to keep the head dim (also of size 1) as the column, with a stride the
// vector lowering could not take ("could not convert to LLVM IR"). f32 and
// bf16, BSHD and BHSD, against the fp64 reference.
// RUN: attn-run %s --check --batch 2 --q-len 33 --kv-len 40 | FileCheck %s
// RUN: sed 's/xf32/xbf16/g' %s > %t.mlir && attn-run %t.mlir --check --batch 2 --q-len 33 --kv-len 40 | FileCheck %s
// RUN: sed 's/bshd/bhsd/; s/?x?x4x/?x4x?x/g' %s > %t.bhsd.mlir && attn-run %t.bhsd.mlir --check --batch 2 --q-len 33 --kv-len 40 | FileCheck %s
// CHECK: check output: max abs err {{.*}} ok
func.func @value_dim_one(%q: tensor<?x?x4x16xf32>, %k: tensor<?x?x4x16xf32>, %v: tensor<?x?x4x1xf32>) -> tensor<?x?x4x1xf32> {
  %o = attn.attention %q, %k, %v {layout = #attn.layout<bshd>} : tensor<?x?x4x16xf32>, tensor<?x?x4x16xf32>, tensor<?x?x4x1xf32> -> tensor<?x?x4x1xf32>
  return %o : tensor<?x?x4x1xf32>
}
