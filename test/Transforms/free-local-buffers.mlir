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

// -----

// Its address only tested for alignment (a condition, as attn-linear-to-loops'
// non-temporal stores do): freed. Its address handed on as a number: left
// alone.
// CHECK-LABEL: func.func @address_tested(
// CHECK:       %[[A:.+]] = memref.alloc
// CHECK:       scf.if
// CHECK:       memref.dealloc %[[A]]
// CHECK-NEXT:  return
func.func @address_tested(%out: memref<64xf32>) {
  %c64 = arith.constant 64 : index
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<64xf32>
  %base = memref.extract_aligned_pointer_as_index %a : memref<64xf32> -> index
  %rem = arith.remui %base, %c64 : index
  %ok = arith.cmpi eq, %rem, %c0 : index
  scf.if %ok {
    memref.copy %a, %out : memref<64xf32> to memref<64xf32>
  }
  return
}

// CHECK-LABEL: func.func @address_escapes(
// CHECK-NOT:   memref.dealloc
// CHECK:       return
func.func @address_escapes(%box: memref<1xindex>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<64xf32>
  %base = memref.extract_aligned_pointer_as_index %a : memref<64xf32> -> index
  %next = arith.addi %base, %c1 : index
  memref.store %next, %box[%c0] : memref<1xindex>
  return
}
