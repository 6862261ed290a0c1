// cases_nn_act.c — op cases for activations, gated units, softmax, clamp, affine, broadcast binary ops
// and global pooling.
// Oracle: the PyTorch definitions evaluated in double with libm (erf, tanh, exp, log1p, sin) in loops
// written here. Tolerances (mixed abs/rel, fz_case_err): 2e-6 for transcendental activations and softmax
// (fp32 polynomial exp/erf, ≤ a few ulp), 1e-6 for arithmetic (one or two fp32 roundings), 0 for
// clamp/max/min/pooling max (exact selections).
#include "cases_nn.h"
#include <math.h>
#include <stdio.h>

// Every activation on x [3, 1037] uniform in [-9, 9] (covers saturation and the softplus threshold).
FZ_OP_CASE(act_all_kinds) {
  nn_case c;
  nc_init(&c, be, seed, err);
  int64_t n = 3 * 1037;
  float *hx;
  fz_tensor *x = nc_rand(&c, SH(3, 1037), -9, 9, &hx);
  static const struct { int act; float p0, p1; } k[] = {
      {FZ_ACT_NONE, 0, 0},      {FZ_ACT_RELU, 0, 0},         {FZ_ACT_LEAKY_RELU, 0.01f, 0}, {FZ_ACT_LEAKY_RELU, -0.3f, 0},
      {FZ_ACT_GELU, 0, 0},      {FZ_ACT_GELU_TANH, 0, 0},    {FZ_ACT_SILU, 0, 0},           {FZ_ACT_SIGMOID, 0, 0},
      {FZ_ACT_SOFTPLUS, 1, 20}, {FZ_ACT_SOFTPLUS, 2.0f, 5},  {FZ_ACT_SOFTPLUS, 0.5f, 1},    {FZ_ACT_SIN, 0, 0},
      {FZ_ACT_TANH, 0, 0}};
  for (size_t i = 0; i < sizeof k / sizeof k[0] && !c.rc; i++) {
    fz_tensor *o = nc_out(&c, SH(3, 1037));
    if (!c.rc) nc_check(&c, fz_op_act(be, o, x, k[i].act, k[i].p0, k[i].p1, err));
    double *ref = nc_ref(&c, n);
    if (!ref) break;
    for (int64_t j = 0; j < n; j++) ref[j] = nc_act_ref(hx[j], k[i].act, k[i].p0, k[i].p1);
    char d[64];
    snprintf(d, sizeof d, "%s(%g, %g) on [3,1037]", fz_act_name(k[i].act), (double)k[i].p0, (double)k[i].p1);
    nc_compare_more(&c, res, o, ref, 2e-6, d);
    if (c.nt > NC_MAX - 3) {  // recycle the output slots (keep x)
      for (int t = 1; t < c.nt; t++) fz_tensor_free(&c.t[t]);
      c.nt = 1;
    }
  }
  return nc_free(&c);
}

// Activation in place (out aliases x) on a large odd length: 70001 elements, two threads' chunks.
FZ_OP_CASE(act_inplace_gelu_tanh) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *hx;
  fz_tensor *x = nc_rand(&c, SH(70001), -5, 5, &hx);
  double *ref = nc_ref(&c, 70001);
  if (ref)
    for (int64_t j = 0; j < 70001; j++) ref[j] = nc_act_ref(hx[j], FZ_ACT_GELU_TANH, 0, 0);
  if (!c.rc) nc_check(&c, fz_op_act(be, x, x, FZ_ACT_GELU_TANH, 0, 0, err));
  nc_compare(&c, res, x, ref, 2e-6, "gelu_tanh in place [70001]");
  return nc_free(&c);
}

// SimpleGate (dim 1 of NCHW, no activation) and GEGLU / SwiGLU (last dim, GELU / SiLU on the gate half).
FZ_OP_CASE(glu_simplegate_geglu) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *ha, *hb2;
  fz_tensor *a = nc_rand(&c, SH(2, 6, 5, 7), -3, 3, &ha);
  fz_tensor *oa = nc_out(&c, SH(2, 3, 5, 7));
  if (!c.rc) nc_check(&c, fz_op_glu(be, oa, a, 1, FZ_ACT_NONE, 0, err));
  double *ra = nc_ref(&c, 2 * 3 * 35);
  if (ra)
    for (int64_t n = 0; n < 2; n++)
      for (int64_t ch = 0; ch < 3; ch++)
        for (int64_t p = 0; p < 35; p++)
          ra[(n * 3 + ch) * 35 + p] = (double)ha[(n * 6 + ch) * 35 + p] * ha[(n * 6 + ch + 3) * 35 + p];
  nc_compare_more(&c, res, oa, ra, 1e-6, "simplegate [2,6,5,7] dim 1");
  fz_tensor *b = nc_rand(&c, SH(3, 4, 10), -3, 3, &hb2);
  for (int k = 0; k < 2 && !c.rc; k++) {
    int act = k ? FZ_ACT_SILU : FZ_ACT_GELU;
    fz_tensor *ob = nc_out(&c, SH(3, 4, 5));
    if (!c.rc) nc_check(&c, fz_op_glu(be, ob, b, -1, act, 0, err));
    double *rb = nc_ref(&c, 60);
    if (!rb) break;
    for (int64_t r = 0; r < 12; r++)
      for (int64_t j = 0; j < 5; j++) rb[r * 5 + j] = hb2[r * 10 + j] * nc_act_ref(hb2[r * 10 + 5 + j], act, 0, 0);
    nc_compare_more(&c, res, ob, rb, 2e-6, k ? "swiglu [3,4,10] dim -1" : "geglu [3,4,10] dim -1");
  }
  return nc_free(&c);
}

// Softmax along a dim of x viewed as [outer, len, inner], values in [-lo, hi].
static void ref_softmax(const float *x, double *r, int64_t outer, int64_t len, int64_t inner) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      double m = -INFINITY, s = 0;
      for (int64_t l = 0; l < len; l++) m = fmax(m, x[(o * len + l) * inner + i]);
      for (int64_t l = 0; l < len; l++) s += exp(x[(o * len + l) * inner + i] - m);
      for (int64_t l = 0; l < len; l++) r[(o * len + l) * inner + i] = exp(x[(o * len + l) * inner + i] - m) / s;
    }
}

// Softmax on the last dim (rows of 37 with values up to ±40), on dim 1 of [2, 5, 300] (two column
// blocks), in place, and on rows of length 1.
FZ_OP_CASE(softmax_dims) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *h1, *h2, *h3;
  fz_tensor *x1 = nc_rand(&c, SH(5, 37), -40, 40, &h1);
  fz_tensor *o1 = nc_out(&c, SH(5, 37));
  if (!c.rc) nc_check(&c, fz_op_softmax(be, o1, x1, -1, err));
  double *r1 = nc_ref(&c, 5 * 37);
  if (r1) ref_softmax(h1, r1, 5, 37, 1);
  nc_compare_more(&c, res, o1, r1, 2e-6, "softmax [5,37] dim -1");
  fz_tensor *x2 = nc_rand(&c, SH(2, 5, 300), -10, 10, &h2);
  fz_tensor *o2 = nc_out(&c, SH(2, 5, 300));
  if (!c.rc) nc_check(&c, fz_op_softmax(be, o2, x2, 1, err));
  double *r2 = nc_ref(&c, 3000);
  if (r2) ref_softmax(h2, r2, 2, 5, 300);
  nc_compare_more(&c, res, o2, r2, 2e-6, "softmax [2,5,300] dim 1");
  fz_tensor *x3 = nc_rand(&c, SH(3, 1), -5, 5, &h3);
  double r3[3] = {1, 1, 1};
  if (!c.rc) nc_check(&c, fz_op_softmax(be, x3, x3, 1, err));
  nc_compare_more(&c, res, x3, r3, 2e-6, "softmax [3,1] in place");
  return nc_free(&c);
}

// Large softmax rows (4099 > 16-lane multiples), 2 threads share the rows.
FZ_OP_CASE(softmax_long_rows) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *h;
  fz_tensor *x = nc_rand(&c, SH(9, 4099), -20, 20, &h);
  fz_tensor *o = nc_out(&c, SH(9, 4099));
  if (!c.rc) nc_check(&c, fz_op_softmax(be, o, x, 1, err));
  double *r = nc_ref(&c, 9 * 4099);
  if (r) ref_softmax(h, r, 9, 4099, 1);
  nc_compare(&c, res, o, r, 2e-6, "softmax [9,4099]");
  return nc_free(&c);
}

// clamp (exact) and affine (one multiply-add).
FZ_OP_CASE(clamp_affine) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *h;
  fz_tensor *x = nc_rand(&c, SH(7, 301), -3, 3, &h);
  fz_tensor *o1 = nc_out(&c, SH(7, 301)), *o2 = nc_out(&c, SH(7, 301));
  if (!c.rc) nc_check(&c, fz_op_clamp(be, o1, x, -0.5f, 1.25f, err));
  if (!c.rc) nc_check(&c, fz_op_affine(be, o2, x, 1.0f / 2047.0f, -0.25f, err));
  double *r1 = nc_ref(&c, 2107), *r2 = nc_ref(&c, 2107);
  if (r1 && r2)
    for (int64_t i = 0; i < 2107; i++) {
      r1[i] = h[i] < -0.5f ? -0.5f : (h[i] > 1.25f ? 1.25f : h[i]);
      r2[i] = (double)h[i] * (1.0f / 2047.0f) - 0.25;
    }
  nc_compare_more(&c, res, o1, r1, 0, "clamp [-0.5, 1.25]");
  nc_compare_more(&c, res, o2, r2, 1e-6, "affine x/2047 - 0.25");
  return nc_free(&c);
}

// Broadcast binary ops: a [2,3,4,5] against b of shapes [3,1,1], [2,3,1,1], [1], [5], full, and the
// broadcast on the a side ([1,3,1,1] op full); every operator.
FZ_OP_CASE(binary_broadcasts) {
  nn_case c;
  nc_init(&c, be, seed, err);
  static const int64_t full[4] = {2, 3, 4, 5};
  static const struct { int nd; int64_t s[4]; int a_side; } pat[] = {
      {3, {3, 1, 1}, 0}, {4, {2, 3, 1, 1}, 0}, {1, {1}, 0}, {1, {5}, 0}, {4, {2, 3, 4, 5}, 0}, {4, {1, 3, 1, 1}, 1}, {2, {4, 1}, 0}};
  for (size_t q = 0; q < sizeof pat / sizeof pat[0] && !c.rc; q++)
    for (int op = 0; op < FZ_BIN_COUNT && !c.rc; op++) {
      float *hf, *hs;
      fz_tensor *f = nc_rand(&c, 4, full, -2, 2, &hf);
      fz_tensor *s = nc_rand(&c, pat[q].nd, pat[q].s, 0.5f, 2, &hs);  // divisors away from 0
      fz_tensor *o = nc_out(&c, 4, full);
      if (c.rc) break;
      nc_check(&c, pat[q].a_side ? fz_op_binary(be, o, s, f, op, err) : fz_op_binary(be, o, f, s, op, err));
      double *r = nc_ref(&c, 120);
      if (!r) break;
      for (int64_t i = 0; i < 120; i++) {
        int64_t idx[4] = {i / 60, (i / 20) % 3, (i / 5) % 4, i % 5}, si = 0;
        for (int d = 0; d < pat[q].nd; d++) {  // right-aligned broadcast index into s
          int64_t dim = 4 - pat[q].nd + d;
          si = si * pat[q].s[d] + (pat[q].s[d] == 1 ? 0 : idx[dim]);
        }
        double a = hf[i], b = hs[si];
        if (pat[q].a_side) { double t = a; a = b; b = t; }
        r[i] = op == FZ_BIN_ADD ? a + b : op == FZ_BIN_SUB ? a - b : op == FZ_BIN_MUL ? a * b : op == FZ_BIN_DIV ? a / b
             : op == FZ_BIN_MAX ? fmax(a, b) : fmin(a, b);
        r[i] = (double)(float)r[i];  // one fp32 rounding of the exact result is what the op may differ by
      }
      char d[96];
      snprintf(d, sizeof d, "op %d, b of %d dims (pattern %zu)", op, pat[q].nd, q);
      nc_compare_more(&c, res, o, r, 1e-7, d);
      nc_free(&c);  // recycle the slots (the case's return code is kept)
    }
  return nc_free(&c);
}

// Global average and max pooling of x [2,3,5,7] into [2,3,1,1] and of a 1×1 image into [1,2].
FZ_OP_CASE(global_pool_avg_max) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *h, *h1;
  fz_tensor *x = nc_rand(&c, SH(2, 3, 5, 7), -3, 3, &h);
  fz_tensor *oa = nc_out(&c, SH(2, 3, 1, 1)), *om = nc_out(&c, SH(2, 3, 1, 1));
  if (!c.rc) nc_check(&c, fz_op_global_pool(be, oa, x, FZ_POOL_AVG, err));
  if (!c.rc) nc_check(&c, fz_op_global_pool(be, om, x, FZ_POOL_MAX, err));
  double *ra = nc_ref(&c, 6), *rm = nc_ref(&c, 6);
  if (ra && rm)
    for (int p = 0; p < 6; p++) {
      double s = 0, m = -INFINITY;
      for (int i = 0; i < 35; i++) { s += h[p * 35 + i]; m = fmax(m, h[p * 35 + i]); }
      ra[p] = s / 35;
      rm[p] = m;
    }
  nc_compare_more(&c, res, oa, ra, 1e-6, "avg [2,3,5,7]");
  nc_compare_more(&c, res, om, rm, 0, "max [2,3,5,7]");
  fz_tensor *x1 = nc_rand(&c, SH(1, 2, 1, 1), -3, 3, &h1);
  fz_tensor *o1 = nc_out(&c, SH(1, 2));
  if (!c.rc) nc_check(&c, fz_op_global_pool(be, o1, x1, FZ_POOL_AVG, err));
  double r1[2] = {h1 ? h1[0] : 0, h1 ? h1[1] : 0};
  nc_compare_more(&c, res, o1, r1, 0, "avg [1,2,1,1] -> [1,2]");
  return nc_free(&c);
}
