// RUN: attn-opt %s --attn-approximate-math | FileCheck %s

// --attn-approximate-math applies upstream's polynomial approximations to
// the f32 math.exp / math.log of the online softmax (vectors, and the scalar
// log of online_finalize), so that LLVM never scalarizes them into libm
// calls. Only pieces of each expansion are pinned: the range reduction, the
// polynomial (math.fma chains) and the reconstruction; any math.exp or
// math.log left behind fails the test.

// exp(x) = 2^k * p(r), k = floor(x log2(e) + 1/2), r = x - k ln(2).
// CHECK-LABEL: func.func @exp_vector(
// CHECK-SAME:      %[[X:[a-zA-Z0-9_]+]]: vector<16xf32>)
// CHECK-DAG:     %[[LO:.+]] = arith.constant dense<-8.780000e+01> : vector<16xf32>
// CHECK-DAG:     %[[HI:.+]] = arith.constant dense<8.880000e+01> : vector<16xf32>
// CHECK-DAG:     %[[LOG2E:.+]] = arith.constant dense<1.44269502> : vector<16xf32>
// CHECK-DAG:     %[[HALF:.+]] = arith.constant dense<5.000000e-01> : vector<16xf32>
// CHECK-DAG:     %[[BIAS:.+]] = arith.constant dense<127> : vector<16xi32>
// CHECK-DAG:     %[[MANT:.+]] = arith.constant dense<23> : vector<16xi32>
// CHECK-NOT:     math.exp
// Clamp x to [-87.8, 88.8]: -inf becomes -87.8, whose 2^k is 0, so
// exp(-inf) (masked scores) is still exactly 0.
// CHECK:         %[[GE:.+]] = arith.cmpf uge, %[[X]], %[[LO]] : vector<16xf32>
// CHECK-NEXT:    %[[XLO:.+]] = arith.select %[[GE]], %[[X]], %[[LO]] : vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    %[[LE:.+]] = arith.cmpf ule, %[[XLO]], %[[HI]] : vector<16xf32>
// CHECK-NEXT:    %[[XC:.+]] = arith.select %[[LE]], %[[XLO]], %[[HI]] : vector<16xi1>, vector<16xf32>
// k = floor(x log2(e) + 1/2)
// CHECK-NEXT:    %[[KF:.+]] = math.fma %[[XC]], %[[LOG2E]], %[[HALF]] : vector<16xf32>
// CHECK-NEXT:    %[[K:.+]] = math.floor %[[KF]] : vector<16xf32>
// p(r): a chain of fused multiply-adds
// CHECK-COUNT-7: math.fma
// 2^k built in the exponent bits: (k + 127) << 23
// CHECK:         %[[KI:.+]] = arith.fptosi %{{.+}} : vector<16xf32> to vector<16xi32>
// CHECK-NEXT:    %[[KB:.+]] = arith.addi %[[KI]], %[[BIAS]] : vector<16xi32>
// CHECK-NEXT:    %[[BITS:.+]] = arith.shli %[[KB]], %[[MANT]] : vector<16xi32>
// CHECK-NEXT:    %[[POW:.+]] = arith.bitcast %[[BITS]] : vector<16xi32> to vector<16xf32>
// CHECK-NEXT:    %[[Y:.+]] = arith.mulf %{{.+}}, %[[POW]] : vector<16xf32>
// CHECK-NEXT:    return %[[Y]] : vector<16xf32>
func.func @exp_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.exp %x : vector<16xf32>
  return %y : vector<16xf32>
}

// The online-softmax pattern: alpha = exp(m_old - m_new) at vector width 8.
// CHECK-LABEL: func.func @exp_of_difference_w8(
// CHECK-SAME:      %[[A:[a-zA-Z0-9_]+]]: vector<8xf32>, %[[B:[a-zA-Z0-9_]+]]: vector<8xf32>)
// CHECK-NOT:     math.exp
// CHECK:         %[[D:.+]] = arith.subf %[[A]], %[[B]] : vector<8xf32>
// CHECK:         arith.cmpf uge, %[[D]], %{{.+}} : vector<8xf32>
// CHECK:         math.floor %{{.+}} : vector<8xf32>
// CHECK:         arith.bitcast %{{.+}} : vector<8xi32> to vector<8xf32>
// CHECK-NOT:     math.exp
// CHECK:         return
func.func @exp_of_difference_w8(%a: vector<8xf32>, %b: vector<8xf32>) -> vector<8xf32> {
  %d = arith.subf %a, %b : vector<8xf32>
  %y = math.exp %d : vector<8xf32>
  return %y : vector<8xf32>
}

// log(x) = e ln(2) + log1p-polynomial of the mantissa, with the special
// cases restored at the end: log(+inf) = +inf, log(x < 0) = NaN,
// log(0) = -inf.
// CHECK-LABEL: func.func @log_vector(
// CHECK-SAME:      %[[X:[a-zA-Z0-9_]+]]: vector<16xf32>)
// CHECK-DAG:     %[[LN2:.+]] = arith.constant dense<0.693147182> : vector<16xf32>
// CHECK-DAG:     %[[MANT:.+]] = arith.constant dense<23> : vector<16xi32>
// CHECK-DAG:     %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK-DAG:     %[[NINF:.+]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK-DAG:     %[[PINF:.+]] = arith.constant dense<0x7F800000> : vector<16xf32>
// CHECK-DAG:     %[[NAN:.+]] = arith.constant dense<0x7FC00000> : vector<16xf32>
// CHECK-NOT:     math.log
// exponent e = (bits >> 23) - 126
// CHECK:         %[[E:.+]] = arith.shrui %{{.+}}, %[[MANT]] : vector<16xi32>
// CHECK-NEXT:    arith.sitofp %[[E]] : vector<16xi32> to vector<16xf32>
// CHECK-COUNT-9: math.fma
// result = e ln(2) + poly
// CHECK:         %[[R:.+]] = math.fma %{{.+}}, %[[LN2]], %{{.+}} : vector<16xf32>
// CHECK-NEXT:    %[[NEG:.+]] = arith.cmpf ult, %[[X]], %[[ZERO]] : vector<16xf32>
// CHECK-NEXT:    %[[ISZERO:.+]] = arith.cmpf oeq, %[[X]], %[[ZERO]] : vector<16xf32>
// CHECK-NEXT:    %[[ISINF:.+]] = arith.cmpf oeq, %[[X]], %[[PINF]] : vector<16xf32>
// CHECK-NEXT:    %[[R1:.+]] = arith.select %[[ISINF]], %[[PINF]], %[[R]] : vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    %[[R2:.+]] = arith.select %[[NEG]], %[[NAN]], %[[R1]] : vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    %[[R3:.+]] = arith.select %[[ISZERO]], %[[NINF]], %[[R2]] : vector<16xi1>, vector<16xf32>
// CHECK-NEXT:    return %[[R3]] : vector<16xf32>
func.func @log_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.log %x : vector<16xf32>
  return %y : vector<16xf32>
}

// The scalar log of online_finalize (lse = m + log(l)) is expanded the same
// way, on f32.
// CHECK-LABEL: func.func @log_scalar(
// CHECK-SAME:      %[[L:[a-zA-Z0-9_]+]]: f32, %[[M:[a-zA-Z0-9_]+]]: f32)
// CHECK-NOT:     math.log
// CHECK:         arith.shrui %{{.+}}, %{{.+}} : i32
// CHECK:         math.fma
// The zero case is restored last: log(0) = -inf.
// CHECK:         %[[ISZERO:.+]] = arith.cmpf oeq, %[[L]], %{{.+}} : f32
// CHECK:         %[[LOG:.+]] = arith.select %[[ISZERO]], %{{.+}}, %{{.+}} : f32
// CHECK-NEXT:    %[[LSE:.+]] = arith.addf %[[M]], %[[LOG]] : f32
// CHECK-NEXT:    return %[[LSE]] : f32
func.func @log_scalar(%l: f32, %m: f32) -> f32 {
  %y = math.log %l : f32
  %lse = arith.addf %m, %y : f32
  return %lse : f32
}

// f64 has no approximation here: the op is left as it is.
// CHECK-LABEL: func.func @exp_f64_untouched(
// CHECK-NEXT:    %[[Y:.+]] = math.exp %{{.+}} : vector<4xf64>
// CHECK-NEXT:    return %[[Y]]
func.func @exp_f64_untouched(%x: vector<4xf64>) -> vector<4xf64> {
  %y = math.exp %x : vector<4xf64>
  return %y : vector<4xf64>
}
