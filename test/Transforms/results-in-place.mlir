// RUN: attn-opt %s -buffer-results-to-out-params="modify-public-functions" -attn-results-in-place -split-input-file | FileCheck %s

// A returned allocation becomes the out-param, which takes its identity
// layout; the copy goes.
// CHECK-LABEL: func.func @fresh(
// CHECK-SAME:    %[[N:.*]]: index, %[[OUT:.*]]: memref<?x4xf32>)
// CHECK-NOT:   memref.alloc
// CHECK:       memref.store %{{.*}}, %[[OUT]]
// CHECK-NOT:   memref.copy
// CHECK:       return
func.func @fresh(%n: index) -> memref<?x4xf32, strided<[?, ?], offset: ?>> {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %a = memref.alloc(%n) : memref<?x4xf32>
  memref.store %one, %a[%c0, %c0] : memref<?x4xf32>
  %r = memref.cast %a : memref<?x4xf32> to memref<?x4xf32, strided<[?, ?], offset: ?>>
  return %r : memref<?x4xf32, strided<[?, ?], offset: ?>>
}

// -----

// A result that is no allocation of this function keeps the copy.
// CHECK-LABEL: func.func @passthrough(
// CHECK-SAME:    %[[IN:.*]]: memref<?xf32, strided<[?], offset: ?>>, %[[OUT:.*]]: memref<?xf32, strided<[?], offset: ?>>)
// CHECK:       memref.copy %[[IN]], %[[OUT]]
func.func @passthrough(%x: memref<?xf32, strided<[?], offset: ?>>) -> memref<?xf32, strided<[?], offset: ?>> {
  return %x : memref<?xf32, strided<[?], offset: ?>>
}

// -----

// An allocation made inside a loop is not hoisted into the out-param.
// CHECK-LABEL: func.func @nested(
// CHECK:       memref.copy
func.func @nested(%n: index, %c: i1) -> memref<?xf32> {
  %r = scf.if %c -> memref<?xf32> {
    %a = memref.alloc(%n) : memref<?xf32>
    scf.yield %a : memref<?xf32>
  } else {
    %b = memref.alloc(%n) : memref<?xf32>
    scf.yield %b : memref<?xf32>
  }
  return %r : memref<?xf32>
}
