// vmath_nn.h — branch-free float math (exp, erf, tanh, log1p, sigmoid) that GCC vectorises inside
// `#pragma omp simd` loops, and the scalar activation functions built on them. Accuracy against double
// libm (checked by tests/test_nn_math.c): exp ≤ 1.5 ulp on [-87, 88.7]; erf abs ≤ 3e-7; tanh rel ≤ 4e-7;
// log1p rel ≤ 4e-7; sin abs ≤ 1.5e-7 on |x| ≤ 8192.
#ifndef FZ_VMATH_NN_H
#define FZ_VMATH_NN_H
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "../../runtime/backend.h"

// exp(x) for one float: 2^n · P(r), r = x - n·ln2 (Cody–Waite split), P a degree-7 Taylor polynomial.
// 2^n is applied as two normal factors 2^(n/2)·2^(n-n/2), so results that are denormal, zero (x → -inf)
// or +inf (x > ln(FLT_MAX)) come out as IEEE rounding gives them; NaN stays NaN.
static inline float fz_vexp(float x) {
  float xc = x > -104.0f ? x : -104.0f;  // NaN takes the false branch: no NaN reaches the int conversion
  xc = xc < 88.8f ? xc : 88.8f;
  float n = rintf(xc * 1.44269504088896341f);
  float r = fmaf(n, -0.693145751953125f, xc);
  r = fmaf(n, -1.428606765330187e-06f, r);
  float p = 1.0f / 5040;
  p = fmaf(p, r, 1.0f / 720);
  p = fmaf(p, r, 1.0f / 120);
  p = fmaf(p, r, 1.0f / 24);
  p = fmaf(p, r, 1.0f / 6);
  p = fmaf(p, r, 0.5f);
  p = fmaf(p, r, 1.0f);
  p = fmaf(p, r, 1.0f);
  int32_t ni = (int32_t)n, n1 = ni / 2, n2 = ni - n1;  // n in [-150, 128]: both halves in [-75, 64]
  int32_t b1 = (n1 + 127) * (1 << 23), b2 = (n2 + 127) * (1 << 23);
  float s1, s2;
  memcpy(&s1, &b1, 4);
  memcpy(&s2, &b2, 4);
  float res = p * s1 * s2;
  return x != x ? x : res;
}

// 1 / (1 + exp(-x)).
static inline float fz_vsigmoid(float x) { return 1.0f / (1.0f + fz_vexp(-x)); }

// tanh(x): odd Taylor polynomial to x⁹ for |x| < 0.25 (error < 4e-9), 1 - 2/(exp(2|x|)+1) above,
// sign restored.
static inline float fz_vtanh(float x) {
  float a = fabsf(x);
  float big = 1.0f - 2.0f / (fz_vexp(2.0f * a) + 1.0f);
  float x2 = x * x;
  float q = fmaf(x2, 62.0f / 2835.0f, -17.0f / 315.0f);
  q = fmaf(x2, q, 2.0f / 15.0f);
  q = fmaf(x2, q, -1.0f / 3.0f);
  float small = a * fmaf(x2, q, 1.0f);
  float r = a < 0.25f ? small : big;
  return copysignf(r, x);
}

// erf(x) via erfc(z) = t·exp(-z² - 1.26551223 + t·P(t)), t = 1/(1 + z/2) (Numerical Recipes erfcc,
// fractional error < 1.2e-7), for z = |x|, sign restored.
static inline float fz_verf(float x) {
  float z = fabsf(x);
  float t = 1.0f / fmaf(0.5f, z, 1.0f);
  float p = 0.17087277f;
  p = fmaf(p, t, -0.82215223f);
  p = fmaf(p, t, 1.48851587f);
  p = fmaf(p, t, -1.13520398f);
  p = fmaf(p, t, 0.27886807f);
  p = fmaf(p, t, -0.18628806f);
  p = fmaf(p, t, 0.09678418f);
  p = fmaf(p, t, 0.37409196f);
  p = fmaf(p, t, 1.00002368f);
  p = fmaf(p, t, -1.26551223f);
  float erfc = t * fz_vexp(fmaf(-z, z, p));
  return copysignf(1.0f - erfc, x);
}

// log1p(t) for t in [0, 1]: t·P(t), P a degree-9 polynomial fitted (Chebyshev least squares, float
// coefficients) to log1p(t)/t on [0, 1]; relative error < 1e-7, no division.
static inline float fz_vlog1p01(float t) {
  float p = -0.003256378462538123f;
  p = fmaf(p, t, 0.019907161593437195f);
  p = fmaf(p, t, -0.057064201682806015f);
  p = fmaf(p, t, 0.10614264756441116f);
  p = fmaf(p, t, -0.15311862528324127f);
  p = fmaf(p, t, 0.19678117334842682f);
  p = fmaf(p, t, -0.24954558908939362f);
  p = fmaf(p, t, 0.33330005407333374f);
  p = fmaf(p, t, -0.4999990463256836f);
  p = fmaf(p, t, 1.0f);
  return t * p;
}

// PyTorch softplus: x when beta·x > threshold, else log1p(exp(beta·x)) / beta (evaluated stably).
static inline float fz_vsoftplus(float x, float beta, float threshold) {
  float y = beta * x;
  float l = (y > 0.0f ? y : 0.0f) + fz_vlog1p01(fz_vexp(-fabsf(y)));  // (fmaxf would not vectorise)
  return y > threshold ? x : l * (1.0f / beta);  // the division is hoisted out of loops
}

// GELU (erf form) x·Φ(x) with Φ(x) = erfc(-x/√2)/2 evaluated from the erfc formula of fz_verf directly
// (1 - E/2 for x >= 0, E/2 below), so the tail x → -∞ keeps its relative accuracy.
static inline float fz_vgelu(float x) {
  float z = fabsf(x) * 0.70710678118654752f;
  float t = 1.0f / fmaf(0.5f, z, 1.0f);
  float p = 0.17087277f;
  p = fmaf(p, t, -0.82215223f);
  p = fmaf(p, t, 1.48851587f);
  p = fmaf(p, t, -1.13520398f);
  p = fmaf(p, t, 0.27886807f);
  p = fmaf(p, t, -0.18628806f);
  p = fmaf(p, t, 0.09678418f);
  p = fmaf(p, t, 0.37409196f);
  p = fmaf(p, t, 1.00002368f);
  p = fmaf(p, t, -1.26551223f);
  float half_e = 0.5f * t * fz_vexp(fmaf(-z, z, p));
  return x * (x >= 0.0f ? 1.0f - half_e : half_e);
}

// GELU, tanh approximation: 0.5·x·(1 + tanh(u)) = x·sigmoid(2u), u = √(2/π)·(x + 0.044715·x³).
static inline float fz_vgelu_tanh(float x) {
  float u2 = 1.5957691216057308f * fmaf(0.044715f * x, x * x, x);
  return x / (1.0f + fz_vexp(-u2));
}

// sin(x) for |x| <= 8192: r = x - j·π/2 (three-part Cody–Waite split, fma), Taylor sin / cos of r to
// degree 9 / 10 on |r| <= π/4, quadrant j mod 4. Callers use libm sinf for larger or non-finite x.
static inline float fz_vsin(float x) {
  float xc = fabsf(x) <= 8192.0f ? x : 0.0f;  // keeps the int conversion defined; such x are redone by sinf
  float j = rintf(xc * 0.63661977236758134f);
  float r = fmaf(j, -1.57079637050628662f, xc);
  r = fmaf(j, 4.371138828673793e-08f, r);
  r = fmaf(j, 1.7151245100058819e-15f, r);
  float r2 = r * r;
  float sp = fmaf(r2, 1.0f / 362880.0f, -1.0f / 5040.0f);
  sp = fmaf(r2, sp, 1.0f / 120.0f);
  sp = fmaf(r2, sp, -1.0f / 6.0f);
  float sn = fmaf(r * r2, sp, r);
  float cp = fmaf(r2, -1.0f / 3628800.0f, 1.0f / 40320.0f);
  cp = fmaf(r2, cp, -1.0f / 720.0f);
  cp = fmaf(r2, cp, 1.0f / 24.0f);
  cp = fmaf(r2, cp, -0.5f);
  float cs = fmaf(r2, cp, 1.0f);
  int32_t q = (int32_t)j & 3;
  float v = (q & 1) ? cs : sn;
  return (q & 2) ? -v : v;
}

// Scalar activation of kind act (fz_act) with parameters p0, p1 (see ops_nn.h).
static inline float fz_vact(float x, int act, float p0, float p1) {
  switch (act) {
    case FZ_ACT_RELU: return x > 0.0f ? x : (x != x ? x : 0.0f);
    case FZ_ACT_LEAKY_RELU: return x > 0.0f ? x : x * p0;
    case FZ_ACT_GELU: return fz_vgelu(x);
    case FZ_ACT_GELU_TANH: return fz_vgelu_tanh(x);
    case FZ_ACT_SILU: return x * fz_vsigmoid(x);
    case FZ_ACT_SIGMOID: return fz_vsigmoid(x);
    case FZ_ACT_SOFTPLUS: return fz_vsoftplus(x, p0, p1);
    case FZ_ACT_SIN: return fabsf(x) <= 8192.0f ? fz_vsin(x) : sinf(x);
    case FZ_ACT_TANH: return fz_vtanh(x);
    default: return x;
  }
}

// dst[i] = act(src[i]) for i < n (dst may equal src); one vectorised loop per kind. activation.c.
void fz_cpu_act_row(float *dst, const float *src, int64_t n, int act, float p0, float p1);
#endif
