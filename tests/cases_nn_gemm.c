// cases_nn_gemm.c — op cases for linear, gemm, batched gemm and the segmented (per-cluster) gemm.
// Oracle: the matrix products written as plain double-precision triple loops in this file.
// Tolerance: 1e-5 mixed abs/rel (fz_case_err) for fp32 sums of K ≤ 300 products of values in [-1, 1].
#include "cases_nn.h"
#include <stdio.h>

// linear x[..., K] · w[N, K]ᵀ + bias, then act; shapes (lead dims l0×l1, K, N).
static int run_linear(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, int64_t l0, int64_t l1, int64_t k,
                      int64_t n, int with_bias, int act) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *hx, *hw, *hb = NULL;
  fz_tensor *x = nc_rand(&c, SH(l0, l1, k), -1, 1, &hx);
  fz_tensor *w = nc_rand(&c, SH(n, k), -1, 1, &hw);
  fz_tensor *b = with_bias ? nc_rand(&c, SH(n), -1, 1, &hb) : NULL;
  fz_tensor *o = nc_out(&c, SH(l0, l1, n));
  if (!c.rc) nc_check(&c, fz_op_linear(be, o, x, w, b, act, 0.1f, 0.0f, err));
  int64_t m = l0 * l1;
  double *ref = nc_ref(&c, m * n);
  if (ref)
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double s = hb ? hb[j] : 0.0;
        for (int64_t p = 0; p < k; p++) s += (double)hx[i * k + p] * hw[j * k + p];
        ref[i * n + j] = nc_act_ref(s, act, 0.1, 0.0);
      }
  char d[96];
  snprintf(d, sizeof d, "x[%lld,%lld,%lld] w[%lld,%lld] act %d", (long long)l0, (long long)l1, (long long)k, (long long)n, (long long)k, act);
  nc_compare(&c, res, o, ref, 1e-5, d);
  return nc_free(&c);
}

// Token MLP shape with bias and GELU; odd sizes.
FZ_OP_CASE(linear_bias_gelu) { return run_linear(be, seed, res, err, 3, 5, 37, 19, 1, FZ_ACT_GELU); }
// Few rows, many outputs: the threads split the columns.
FZ_OP_CASE(linear_split_columns) { return run_linear(be, seed, res, err, 1, 3, 200, 600, 1, FZ_ACT_NONE); }
// Many rows (row blocks), no bias, LeakyReLU.
FZ_OP_CASE(linear_rows_leaky) { return run_linear(be, seed, res, err, 4, 300, 33, 17, 0, FZ_ACT_LEAKY_RELU); }
// One row (timestep-embedding MLP), SiLU.
FZ_OP_CASE(linear_one_row_silu) { return run_linear(be, seed, res, err, 1, 1, 64, 96, 1, FZ_ACT_SILU); }

// gemm with every transpose combination, alpha and beta (out pre-filled with C), batched over leading dims;
// a and b either batched or broadcast (2-D / leading ones).
static int run_gemm(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, int64_t b0, int64_t b1, int64_t m,
                    int64_t n, int64_t k, int a_bcast, int b_bcast, float alpha, float beta) {
  nn_case c;
  nc_init(&c, be, seed, err);
  for (int ta = 0; ta < 2 && !c.rc; ta++)
    for (int tb = 0; tb < 2 && !c.rc; tb++) {
      float *ha, *hb, *hc;
      int64_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n, bt = b0 * b1;
      fz_tensor *a = a_bcast ? nc_rand(&c, SH(ar, ac), -1, 1, &ha) : nc_rand(&c, SH(b0, b1, ar, ac), -1, 1, &ha);
      fz_tensor *b = b_bcast ? nc_rand(&c, SH(1, 1, br, bc), -1, 1, &hb) : nc_rand(&c, SH(b0, b1, br, bc), -1, 1, &hb);
      fz_tensor *o = nc_rand(&c, SH(b0, b1, m, n), -1, 1, &hc);
      if (c.rc) break;
      double *ref = nc_ref(&c, bt * m * n);
      if (!ref) break;
      for (int64_t q = 0; q < bt; q++) {
        const float *A = ha + (a_bcast ? 0 : q * m * k), *B = hb + (b_bcast ? 0 : q * k * n);
        for (int64_t i = 0; i < m; i++)
          for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++) s += (double)(ta ? A[p * m + i] : A[i * k + p]) * (tb ? B[j * k + p] : B[p * n + j]);
            ref[q * m * n + i * n + j] = alpha * s + (double)beta * hc[q * m * n + i * n + j];
          }
      }
      nc_check(&c, fz_op_gemm_batched(be, o, a, b, ta, tb, alpha, beta, err));
      char d[128];
      snprintf(d, sizeof d, "batch [%lld,%lld] m%lld n%lld k%lld trans (%d,%d) bcast (%d,%d)", (long long)b0, (long long)b1,
               (long long)m, (long long)n, (long long)k, ta, tb, a_bcast, b_bcast);
      nc_compare_more(&c, res, o, ref, 1e-5, d);
    }
  return nc_free(&c);
}

// Plain 2-D gemm through fz_op_gemm: all transposes, alpha 0.5, beta -1.5.
FZ_OP_CASE(gemm_2d_trans_alpha_beta) {
  nn_case c;
  nc_init(&c, be, seed, err);
  int64_t m = 13, n = 29, k = 17;
  for (int ta = 0; ta < 2 && !c.rc; ta++)
    for (int tb = 0; tb < 2 && !c.rc; tb++) {
      float *ha, *hb, *hc;
      fz_tensor *a = ta ? nc_rand(&c, SH(k, m), -1, 1, &ha) : nc_rand(&c, SH(m, k), -1, 1, &ha);
      fz_tensor *b = tb ? nc_rand(&c, SH(n, k), -1, 1, &hb) : nc_rand(&c, SH(k, n), -1, 1, &hb);
      fz_tensor *o = nc_rand(&c, SH(m, n), -1, 1, &hc);
      double *ref = nc_ref(&c, m * n);
      if (!ref) break;
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
          double s = 0;
          for (int64_t p = 0; p < k; p++) s += (double)(ta ? ha[p * m + i] : ha[i * k + p]) * (tb ? hb[j * k + p] : hb[p * n + j]);
          ref[i * n + j] = 0.5 * s - 1.5 * hc[i * n + j];
        }
      nc_check(&c, fz_op_gemm(be, o, a, b, ta, tb, 0.5f, -1.5f, err));
      char d[64];
      snprintf(d, sizeof d, "m13 n29 k17 trans (%d,%d)", ta, tb);
      nc_compare_more(&c, res, o, ref, 1e-5, d);
    }
  return nc_free(&c);
}
// Batched over [2,3], both operands batched.
FZ_OP_CASE(gemm_batched_2x3) { return run_gemm(be, seed, res, err, 2, 3, 11, 7, 9, 0, 0, 1.0f, 0.0f); }
// a 2-D (broadcast over the batch), b batched; beta 1 accumulates.
FZ_OP_CASE(gemm_batched_bcast_a) { return run_gemm(be, seed, res, err, 1, 3, 33, 20, 5, 1, 0, -1.0f, 1.0f); }
// b with leading ones (broadcast), one batch of many rows (the threads split rows).
FZ_OP_CASE(gemm_batched_bcast_b_rows) { return run_gemm(be, seed, res, err, 2, 1, 150, 40, 30, 0, 1, 2.0f, 0.5f); }

// Segmented gemm: R rows in G clusters (one cluster left empty), bias per cluster.
static int run_segmented(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err, int64_t r, int64_t k, int64_t n,
                         int64_t g, int with_bias) {
  nn_case c;
  nc_init(&c, be, seed, err);
  float *hx, *hw, *hb = NULL, *hu;
  fz_tensor *x = nc_rand(&c, SH(r, k), -1, 1, &hx);
  fz_tensor *w = nc_rand(&c, SH(g, k, n), -1, 1, &hw);
  fz_tensor *b = with_bias ? nc_rand(&c, SH(g, n), -1, 1, &hb) : NULL;
  nc_rand(&c, SH(r), 0, 1, &hu);  // cluster draw
  int32_t *idx = malloc((size_t)r * sizeof *idx);
  if (!idx) { nc_free(&c); return fz_fail(err, FZ_ENOMEM, "no memory"); }
  if (!c.rc)
    for (int64_t i = 0; i < r; i++) {
      int32_t v = (int32_t)(hu[i] * (float)(g - 1));  // clusters 0..g-2 (g-1 stays empty) ...
      idx[i] = i % 7 == 3 ? 0 : v;                    // ... and cluster 0 gets extra rows
    }
  fz_tensor *id = nc_i32(&c, SH(r), idx);
  fz_tensor *o = nc_out(&c, SH(r, n));
  if (!c.rc) nc_check(&c, fz_op_gemm_segmented(be, o, x, w, b, id, err));
  double *ref = nc_ref(&c, r * n);
  if (ref)
    for (int64_t i = 0; i < r; i++)
      for (int64_t j = 0; j < n; j++) {
        int64_t q = idx[i];
        double s = hb ? hb[q * n + j] : 0.0;
        for (int64_t p = 0; p < k; p++) s += (double)hx[i * k + p] * hw[(q * k + p) * n + j];
        ref[i * n + j] = s;
      }
  free(idx);
  char d[96];
  snprintf(d, sizeof d, "R%lld K%lld N%lld G%lld bias %d", (long long)r, (long long)k, (long long)n, (long long)g, with_bias);
  nc_compare(&c, res, o, ref, 1e-5, d);
  return nc_free(&c);
}

// CANConv-like: 300 rows (several 128-row blocks per cluster), K = 37, N = 19, 5 clusters, bias.
FZ_OP_CASE(gemm_segmented_bias) { return run_segmented(be, seed, res, err, 300, 37, 19, 5, 1); }
// No bias, every row in cluster 0 of 2 (cluster 1 empty), K = 9·4.
FZ_OP_CASE(gemm_segmented_nobias) { return run_segmented(be, seed, res, err, 77, 36, 8, 2, 0); }
