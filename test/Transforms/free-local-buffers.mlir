// RUN: attn-opt %s -attn-free-local-buffers -split-input-file | FileCheck %s

// A top-level buffer that is only written, read and copied from is freed
// before the return (mixed heads' per-group outputs).
// CHECK-LABEL: func.func @copied(
// CHECK:       %[[A:.+]] = memref.alloc
// CHECK:       memref.copy %[[A]], %{{.+}}
// CHECK-NEXT:  memref.dealloc %[[A]]
// CHECK-NEXT:  return
func.func @copied(%n: index, %out: memref<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %a = memref.alloc(%n) : memref<?x4xf32>
  %v = memref.subview %a[0, 0] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1]>>
  memref.store %one, %v[%c0, %c0] : memref<?x2xf32, strided<[4, 1]>>
  %d = memref.dim %a, %c0 : memref<?x4xf32>
  memref.copy %a, %out : memref<?x4xf32> to memref<?x4xf32>
  return
}

// -----

// Returned (through a cast), yielded, stored, passed to a call, freed
// already: left alone.
// CHECK-LABEL: func.func @escapes(
// CHECK-NOT:   memref.dealloc
// CHECK:       return
func.func private @sink(memref<4xf32>)
func.func @escapes(%c: i1, %box: memref<1xmemref<4xf32>>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %r = memref.alloc() : memref<4xf32>
  %rc = memref.cast %r : memref<4xf32> to memref<?xf32>
  %y = memref.alloc() : memref<4xf32>
  %s = scf.if %c -> memref<4xf32> {
    scf.yield %y : memref<4xf32>
  } else {
    scf.yield %y : memref<4xf32>
  }
  func.call @sink(%s) : (memref<4xf32>) -> ()
  %st = memref.alloc() : memref<4xf32>
  memref.store %st, %box[%c0] : memref<1xmemref<4xf32>>
  %call = memref.alloc() : memref<4xf32>
  func.call @sink(%call) : (memref<4xf32>) -> ()
  return %rc : memref<?xf32>
}

// -----

// CHECK-LABEL: func.func @freed(
// CHECK-COUNT-1: memref.dealloc
// CHECK-NEXT:  return
func.func @freed() {
  %a = memref.alloc() : memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return
}
