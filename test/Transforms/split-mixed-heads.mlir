// RUN: attn-opt %s --split-input-file --attn-split-mixed-heads | FileCheck %s

// 8 query heads over 4 KV heads, the first 4 local: q heads [0, 4) and kv
// heads [0, 2) go to a causal sliding-window attn.attention, the rest to
// FAVOR+ (same projection, eps), and both outputs into one tensor.
// CHECK-LABEL: func.func @favor(
// CHECK-SAME:      %[[Q:[a-zA-Z0-9_]+]]: tensor<?x8x?x64xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<?x4x?x64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<?x4x?x64xf32>, %[[P:[a-zA-Z0-9_]+]]: tensor<128x64xf32>)
// CHECK-DAG:     %[[QL:.+]] = tensor.extract_slice %[[Q]][0, 0, 0, 0] [%{{.+}}, 4, %{{.+}}, 64] [1, 1, 1, 1] : tensor<?x8x?x64xf32> to tensor<?x4x?x64xf32>
// CHECK-DAG:     %[[KL:.+]] = tensor.extract_slice %[[K]][0, 0, 0, 0] [%{{.+}}, 2, %{{.+}}, 64] [1, 1, 1, 1] : tensor<?x4x?x64xf32> to tensor<?x2x?x64xf32>
// CHECK-DAG:     %[[VL:.+]] = tensor.extract_slice %[[V]][0, 0, 0, 0] [%{{.+}}, 2, %{{.+}}, 64]
// CHECK:         %[[OL:.+]] = attn.attention %[[QL]], %[[KL]], %[[VL]] {causal = #attn.causal<bottom_right>, window = #attn.window<left = 63, right = 0>} : tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x4x?x64xf32>
// CHECK-DAG:     %[[QR:.+]] = tensor.extract_slice %[[Q]][0, 4, 0, 0] [%{{.+}}, 4, %{{.+}}, 64]
// CHECK-DAG:     %[[KR:.+]] = tensor.extract_slice %[[K]][0, 2, 0, 0] [%{{.+}}, 2, %{{.+}}, 64]
// CHECK-DAG:     %[[VR:.+]] = tensor.extract_slice %[[V]][0, 2, 0, 0] [%{{.+}}, 2, %{{.+}}, 64]
// CHECK:         %[[OR:.+]] = attn.linear_attention %[[QR]], %[[KR]], %[[VR]] projection(%[[P]] : tensor<128x64xf32>) {causal, eps = 1.000000e-05 : f64, feature_map = #attn.feature_map<favor_plus>} : tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x4x?x64xf32>
// CHECK:         %[[E:.+]] = tensor.empty(%{{.+}}, %{{.+}}) : tensor<?x8x?x64xf32>
// CHECK:         %[[I0:.+]] = tensor.insert_slice %[[OL]] into %[[E]][0, 0, 0, 0] [%{{.+}}, 4, %{{.+}}, 64] [1, 1, 1, 1]
// CHECK:         %[[I1:.+]] = tensor.insert_slice %[[OR]] into %[[I0]][0, 4, 0, 0] [%{{.+}}, 4, %{{.+}}, 64] [1, 1, 1, 1]
// CHECK:         return %[[I1]]
// CHECK-NOT:     local_heads
func.func @favor(%q: tensor<?x8x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>, %p: tensor<128x64xf32>) -> tensor<?x8x?x64xf32> {
  %o = attn.linear_attention %q, %k, %v projection(%p : tensor<128x64xf32>) {feature_map = #attn.feature_map<favor_plus>, causal, eps = 1.0e-5, local_heads = 4, local_window = 63} : tensor<?x8x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// -----

// BSHD: heads are dim 2; a static shape gives static slices.
// CHECK-LABEL: func.func @bshd(
// CHECK:         tensor.extract_slice %{{.+}}[0, 0, 0, 0] [2, 100, 1, 32] [1, 1, 1, 1] : tensor<2x100x3x32xbf16> to tensor<2x100x1x32xbf16>
// CHECK:         attn.attention {{.*}}layout = #attn.layout<bshd>{{.*}} -> tensor<2x100x1x32xbf16>
// CHECK:         tensor.extract_slice %{{.+}}[0, 0, 1, 0] [2, 100, 2, 32] [1, 1, 1, 1] : tensor<2x100x3x32xbf16> to tensor<2x100x2x32xbf16>
// CHECK:         attn.linear_attention {{.*}}layout = #attn.layout<bshd>{{.*}} -> tensor<2x100x2x32xbf16>
// CHECK:         tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 1, 0] [2, 100, 2, 32] [1, 1, 1, 1] : tensor<2x100x2x32xbf16> into tensor<2x100x3x32xbf16>
func.func @bshd(%q: tensor<2x100x3x32xbf16>) -> tensor<2x100x3x32xbf16> {
  %o = attn.linear_attention %q, %q, %q {feature_map = #attn.feature_map<elu_plus_one>, layout = #attn.layout<bshd>, local_heads = 1, local_window = 0} : tensor<2x100x3x32xbf16>, tensor<2x100x3x32xbf16>, tensor<2x100x3x32xbf16> -> tensor<2x100x3x32xbf16>
  return %o : tensor<2x100x3x32xbf16>
}
