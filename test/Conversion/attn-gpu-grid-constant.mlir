// RUN: attn-opt %s --split-input-file --pass-pipeline="builtin.module(gpu.module(attn-gpu-grid-constant))" --verify-diagnostics | FileCheck %s

// The leading tensor-map pointers become 128-byte byval __grid_constant__
// parameters; the others and the marker attribute go.
// CHECK-LABEL: llvm.func @k(
// CHECK-SAME:      %{{[a-z0-9]+}}: !llvm.ptr {llvm.align = 64 : i64, llvm.byval = !llvm.array<128 x i8>, nvvm.grid_constant},
// CHECK-SAME:      %{{[a-z0-9]+}}: !llvm.ptr {llvm.align = 64 : i64, llvm.byval = !llvm.array<128 x i8>, nvvm.grid_constant},
// CHECK-SAME:      %{{[a-z0-9]+}}: !llvm.ptr<1>)
// CHECK-NOT:       attn.grid_constant_params
module attributes {gpu.container_module} {
  gpu.module @kernels {
    llvm.func @k(%a: !llvm.ptr, %b: !llvm.ptr, %o: !llvm.ptr<1>) attributes {attn.grid_constant_params = 2 : i64, nvvm.kernel} {
      llvm.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @+1 {{'llvm.func' op grid-constant parameter 0 must be an !llvm.ptr, got 'i64'}}
    llvm.func @k(%a: i64) attributes {attn.grid_constant_params = 1 : i64, nvvm.kernel} {
      llvm.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @+1 {{'llvm.func' op attn.grid_constant_params = 3 but the function has 1 parameters}}
    llvm.func @k(%a: !llvm.ptr) attributes {attn.grid_constant_params = 3 : i64, nvvm.kernel} {
      llvm.return
    }
  }
}
