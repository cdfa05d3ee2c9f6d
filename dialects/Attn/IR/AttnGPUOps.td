//===- AttnGPUOps.td - host-side facts of attn GPU launches -*- tablegen -*-===//
//
// Ops the GPU lowering leaves in the host function for the runtime: they
// name what a kernel parameter must be made of, so the runtime reads a
// declared, verified op instead of string attributes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_GPU_OPS_TD
#define ATTN_GPU_OPS_TD

include "AttnDialect.td"
include "AttnAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_LLVMPointer : Type<CPred<"::llvm::isa<::mlir::LLVM::LLVMPointerType>($_self)">,
                            "LLVM pointer">;

def Attn_TensorMapOp : Attn_Op<"tensor_map", [Pure]> {
  let summary = "a TMA tensor map of a Q, K or V buffer, passed by value";
  let description = [{
    Describes the 128-byte `CUtensorMap` the runtime encodes (with
    `cuTensorMapEncodeTiled`) for each launch and passes by value as a
    `__grid_constant__` kernel parameter. The map is 4-D over the buffer's
    logical (D, S, H, B) dims, taken from `source` in `layout` order with the
    buffer's own strides, so BHSD, BSHD and strided views all work without a
    copy. One TMA box is 64 elements of D (128 bytes, the 128-byte swizzle
    span) by `box_rows` rows of S, of one head and batch; rows past the end
    of S and columns past D (when D is not a multiple of 64) read as zero.
    D must be a multiple of 8: TMA needs 16-byte row strides.

    ```mlir
    %map = attn.tensor_map %q {box_rows = 128 : i64}
        : memref<?x?x?x128xbf16, strided<[?, ?, ?, 1], offset: ?>> -> !llvm.ptr
    ```
  }];
  let arguments = (ins MemRefRankOf<[F16, BF16], [4]>:$source,
                   I64Attr:$box_rows,
                   DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::bhsd">:$layout);
  let results = (outs Attn_LLVMPointer:$map);
  let assemblyFormat = [{
    $source attr-dict `:` type($source) `->` type($map)
  }];
  let hasVerifier = 1;
}

def Attn_MultiprocessorCountOp : Attn_Op<"multiprocessor_count", [Pure]> {
  let summary = "the number of SMs of the device a launch runs on";
  let description = [{
    A launch size known only when the function is launched: the number of
    streaming multiprocessors of the current device, which the runtime reads
    from the driver. Persistent kernels size their grid with it (one thread
    block per SM, each looping over tiles), so the same compiled function
    fills an H100 SXM (132 SMs) and an H100 PCIe (114) alike.

    ```mlir
    %sms = attn.multiprocessor_count : index
    %grid = arith.minui %tiles, %sms : index
    ```
  }];
  let results = (outs Index:$count);
  let assemblyFormat = "attr-dict `:` type($count)";
}

#endif // ATTN_GPU_OPS_TD
