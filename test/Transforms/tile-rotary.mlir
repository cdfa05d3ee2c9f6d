// RUN: attn-opt %s --attn-tile | FileCheck %s

// Rotary embeddings under --attn-tile, before the q-block loop:
// - cos/sin tables [max(Lk, Lq), dim / 2] (f32), one position per parallel
//   iteration: the frequency in f64, the angle in f32 with its product's
//   error kept (an FMA) and reduced mod 2 pi (rotaryCosSin);
// - the keys rotated once per (batch, KV head) into a BHSD copy (linalg.copy,
//   then the pairs in place).
// In each q-block, the pairs of the transposed Q tile turn after the
// transpose, and the key blocks read the rotated copy. Tables and copy are
// freed after the loop.

// CHECK-LABEL: func.func @llama_rope(
// CHECK:         %[[COS:.+]] = memref.alloc(%{{.+}}) : memref<?x64xf32>
// CHECK:         %[[SIN:.+]] = memref.alloc(%{{.+}}) : memref<?x64xf32>
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK:             math.exp %{{.+}} : f64
// CHECK:             math.fma %{{.+}} : f32
// CHECK:             math.roundeven %{{.+}} : f32
// CHECK:             math.cos %{{.+}} : f32
// CHECK:             math.sin %{{.+}} : f32
// CHECK:         %[[KROT:.+]] = memref.alloc(%{{.+}}, %{{.+}}, %{{.+}}) : memref<?x?x?x128xbf16>
// CHECK:         scf.parallel
// CHECK:           linalg.copy
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               memref.load %[[COS]]
// CHECK:               memref.load %[[SIN]]
// CHECK:         scf.parallel
// CHECK:           linalg.transpose
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               memref.load %[[COS]]
// CHECK:           attn.online_step
// CHECK:         memref.dealloc %[[COS]]
// CHECK:         memref.dealloc %[[SIN]]
// CHECK:         memref.dealloc %[[KROT]]

func.func @llama_rope(%q: tensor<?x32x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x128xbf16>) -> tensor<?x32x?x128xbf16> {
  %o = attn.attention %q, %k, %v {causal = #attn.causal<bottom_right>, rotary = #attn.rotary<style = half_split, dim = 128, theta = 500000.0>}
      : tensor<?x32x?x128xbf16>, tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16> -> tensor<?x32x?x128xbf16>
  return %o : tensor<?x32x?x128xbf16>
}
