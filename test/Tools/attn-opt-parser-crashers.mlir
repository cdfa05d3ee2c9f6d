// attn-opt rejects text that the MLIR 22.1 parser it links would crash on
// (a dense array of index: llvm/llvm-project#179045), with a clear error and
// exit 1, before parsing; the same spec through attn-run is in
// test/Integration/cpu-runner.test. Found by scripts/adversarial.py.
// RUN: not attn-opt %s 2>&1 | FileCheck %s
// CHECK: error: line [[@LINE+3]]: dense arrays of index (array<index: ...>) are not accepted
// CHECK-NOT: PLEASE submit
func.func @doc_q_only(%q: tensor<2x8x16x64xf32>, %dq: tensor<2x16xi32>) -> tensor<2x8x16x64xf32> {
  %o = "attn.attention"(%q, %q, %q, %dq) <{operandSegmentSizes = array< index: 1, 1, 1, 0, 0, 0, 1, 0, 0>}> : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x16xi32>) -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}
