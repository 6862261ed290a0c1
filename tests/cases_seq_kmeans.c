// cases_seq_kmeans.c — op cases for k-means: k-means++ seeding, the assignment and update steps and the whole
// Lloyd loop. Oracles (recomputed in double here): seeding follows k-means++ with the documented Philox
// uniforms (each chosen point's D² interval contains u_j·ΣD²); assignment = argmin of the squared L2 distance;
// update = cluster means; the converged result is a fixed point of Lloyd's iteration. Each case reports the
// number of violations as its error, with tolerance 0.
#include "cases_seq.h"

// Squared distance in double.
static double d2(const float *a, const float *b, int64_t D) {
  double s = 0;
  for (int64_t d = 0; d < D; d++) { double t = (double)a[d] - b[d]; s += t * t; }
  return s;
}
// Index of the nearest centroid in double and its distance.
static int64_t nearest(const float *x, const float *cent, int64_t K, int64_t D, double *best) {
  int64_t bi = 0;
  *best = INFINITY;
  for (int64_t k = 0; k < K; k++) {
    double v = d2(x, cent + k * D, D);
    if (v < *best) { *best = v; bi = k; }
  }
  return bi;
}
// Points around K blob centres (well separated) plus uniform noise, as host floats [N·D].
static void blobs(float *x, int64_t N, int64_t D, int64_t K, const float *noise) {
  for (int64_t i = 0; i < N; i++)
    for (int64_t d = 0; d < D; d++) x[i * D + d] = (float)(((i % K) * 7 + d * 3) % 11) + noise[i * D + d];
}
// Violations of "assign is nearest to cent" beyond a rounding margin (ties within 1e-5 relative are accepted).
static int64_t bad_assign(const float *x, const float *cent, const int32_t *a, int64_t N, int64_t K, int64_t D) {
  int64_t bad = 0;
  for (int64_t i = 0; i < N; i++) {
    double best;
    nearest(x + i * D, cent, K, D, &best);
    if (a[i] < 0 || a[i] >= K) { bad++; continue; }
    double mine = d2(x + i * D, cent + a[i] * D, D);
    if (mine > best + 1e-5 * (1 + best)) bad++;
  }
  return bad;
}

// Oracle: k-means++ with the documented Philox uniforms, D² recomputed in double.
FZ_OP_CASE(seq_kmeans_init_plusplus) {
  seq_case c;
  sc_init(&c, be, seed, err);
  const int64_t B = 2, N = 300, D = 3, K = 6;
  const uint64_t stream = 5;
  float *hx = NULL;
  fz_tensor *x = sc_rand(&c, 3, SHAPE(B, N, D), 0, -1, 1, &hx);
  fz_tensor *cent = sc_new(&c, FZ_F32, 3, SHAPE(B, K, D), NULL), *ch = sc_new(&c, FZ_I32, 2, SHAPE(B, K), NULL);
  double *dd = sc_mem(&c, sizeof(double) * (size_t)N);
  float *u = sc_mem(&c, sizeof(float) * (size_t)K);
  if (!c.rc && sc_ok(&c, fz_op_kmeans_init(be, cent, ch, x, seed, stream, err))) {
    float *gc = sc_get(&c, cent);
    int32_t *gi = sc_get(&c, ch);
    int64_t bad = 0;
    for (int64_t b = 0; gc && gi && b < B; b++) {
      const float *xb = hx + b * N * D;
      fz_philox_fill_uniform(u, (uint64_t)K, seed, stream + (uint64_t)b, 0);
      for (int64_t j = 0; j < K; j++) {
        int64_t idx = gi[b * K + j];
        if (idx < 0 || idx >= N) { bad++; break; }
        if (memcmp(gc + (b * K + j) * D, xb + idx * D, sizeof(float) * (size_t)D)) bad++;  // centroid = that point
        if (j == 0) {
          int64_t want = (int64_t)((double)u[0] * N);
          if (idx != (want < N ? want : N - 1)) bad++;
        } else {
          double total = 0, before = 0;
          for (int64_t i = 0; i < N; i++) total += dd[i];
          for (int64_t i = 0; i < idx; i++) before += dd[i];
          double target = (double)u[j] * total, slack = 1e-5 * total;
          // k-means++: the chosen point's interval [before, before + D²) must contain the target.
          if (!(dd[idx] > 0 && target >= before - slack && target < before + dd[idx] + slack)) bad++;
        }
        for (int64_t i = 0; i < N; i++) {
          double v = d2(xb + i * D, xb + idx * D, D);
          if (j == 0 || v < dd[i]) dd[i] = v;
        }
      }
    }
    res->max_err = (double)bad;
  }
  res->tol = 0;
  snprintf(res->detail, sizeof res->detail, "x [2,300,3], K 6, stream 5");
  return sc_done(&c);
}

// Oracle: argmin of the squared L2 distance and cluster means, in double.
FZ_OP_CASE(seq_kmeans_assign_update) {
  seq_case c;
  sc_init(&c, be, seed, err);
  const int64_t N = 1000, D = 5, K = 20;  // K > 16: two 16-lane blocks
  float *hx = NULL, *hc = NULL;
  fz_tensor *x = sc_rand(&c, 2, SHAPE(N, D), 0, -1, 1, &hx);
  fz_tensor *cent = sc_rand(&c, 2, SHAPE(K, D), 1, -1, 1, &hc);
  fz_tensor *a = sc_new(&c, FZ_I32, 1, SHAPE(N), NULL), *cnt = sc_new(&c, FZ_I32, 1, SHAPE(K), NULL);
  if (c.rc) return sc_done(&c);
  for (int64_t d = 0; d < D; d++) hc[(K - 1) * D + d] = 100.0f;  // far away: an empty cluster
  int32_t *prev = sc_mem(&c, sizeof(int32_t) * (size_t)N);
  for (int64_t i = 0; i < N; i++) prev[i] = (int32_t)(i % K);
  int64_t changed = -1, bad = 0;
  if (!c.rc && fz_tensor_upload(cent, hc, sizeof(float) * (size_t)(K * D), err)) c.rc = err->code;
  if (!c.rc && fz_tensor_upload(a, prev, sizeof(int32_t) * (size_t)N, err)) c.rc = err->code;
  if (!c.rc && sc_ok(&c, fz_op_kmeans_assign(be, a, x, cent, &changed, err)) &&
      sc_ok(&c, fz_op_kmeans_update(be, cent, cnt, x, a, err))) {
    int32_t *ga = sc_get(&c, a), *gn = sc_get(&c, cnt);
    float *gc = sc_get(&c, cent);
    if (ga && gn && gc) {
      bad += bad_assign(hx, hc, ga, N, K, D);
      int64_t want_changed = 0;
      for (int64_t i = 0; i < N; i++) want_changed += ga[i] != prev[i];
      bad += changed != want_changed;
      double *sum = sc_mem(&c, sizeof(double) * (size_t)(K * D));
      int64_t *n = sc_mem(&c, sizeof(int64_t) * (size_t)K);
      if (sum && n) {
        for (int64_t i = 0; i < N; i++) {
          n[ga[i]]++;
          for (int64_t d = 0; d < D; d++) sum[ga[i] * D + d] += hx[i * D + d];
        }
        for (int64_t k = 0; k < K; k++) {
          bad += gn[k] != n[k];
          for (int64_t d = 0; d < D; d++) {
            double want = n[k] ? sum[k * D + d] / (double)n[k] : hc[k * D + d];  // empty: unchanged
            bad += fabs(gc[k * D + d] - want) > 1e-6 * (1 + fabs(want));
          }
        }
        bad += n[K - 1] != 0;  // the far centroid really was empty
      }
    }
  }
  res->max_err = (double)bad;
  res->tol = 0;
  snprintf(res->detail, sizeof res->detail, "N 1000, D 5, K 20 with one empty cluster");
  return sc_done(&c);
}

// Oracle: Lloyd's fixed point (assignments nearest, centroids = means) checked in double.
FZ_OP_CASE(seq_kmeans_lloyd_fixed_point) {
  seq_case c;
  sc_init(&c, be, seed, err);
  const int64_t B = 2, N = 600, D = 4, K = 5;
  float *noise = NULL;
  fz_tensor *xt = sc_rand(&c, 3, SHAPE(B, N, D), 0, -0.9f, 0.9f, &noise);
  fz_tensor *cent = sc_new(&c, FZ_F32, 3, SHAPE(B, K, D), NULL), *a = sc_new(&c, FZ_I32, 2, SHAPE(B, N), NULL);
  float *hx = sc_mem(&c, sizeof(float) * (size_t)(B * N * D));
  if (c.rc) return sc_done(&c);
  for (int64_t b = 0; b < B; b++) blobs(hx + b * N * D, N, D, K, noise + b * N * D);
  if (fz_tensor_upload(xt, hx, sizeof(float) * (size_t)(B * N * D), err)) { c.rc = err->code; return sc_done(&c); }
  int64_t bad = 0;
  for (int run = 0; run < 2 && !c.rc; run++) {
    // run 0: tol 0 (exact convergence: a fixed point); run 1: CANConv's tol 0.01 (assignments still nearest).
    fz_kmeans_params p = {.seed = 42 + seed, .tol = run ? 0.01 : 0.0, .max_iter = 100};
    int iters = 0;
    if (!sc_ok(&c, fz_op_kmeans(be, cent, a, xt, &p, &iters, err))) break;
    float *gc = sc_get(&c, cent);
    int32_t *ga = sc_get(&c, a);
    double *sum = sc_mem(&c, sizeof(double) * (size_t)(K * D));
    int64_t *n = sc_mem(&c, sizeof(int64_t) * (size_t)K);
    if (!gc || !ga || !sum || !n) break;
    bad += iters < 1 || iters >= 100;
    for (int64_t b = 0; b < B; b++) {
      const float *xb = hx + b * N * D, *cb = gc + b * K * D;
      const int32_t *ab = ga + b * N;
      bad += bad_assign(xb, cb, ab, N, K, D);
      if (run) continue;
      memset(sum, 0, sizeof(double) * (size_t)(K * D));
      memset(n, 0, sizeof(int64_t) * (size_t)K);
      for (int64_t i = 0; i < N; i++) {
        n[ab[i]]++;
        for (int64_t d = 0; d < D; d++) sum[ab[i] * D + d] += xb[i * D + d];
      }
      for (int64_t k = 0; k < K; k++)
        for (int64_t d = 0; d < D && n[k]; d++)
          bad += fabs(cb[k * D + d] - sum[k * D + d] / (double)n[k]) > 1e-5 * (1 + fabs(cb[k * D + d]));
    }
  }
  res->max_err = (double)bad;
  res->tol = 0;
  snprintf(res->detail, sizeof res->detail, "[2,600,4] blobs, K 5, tol 0 and 0.01");
  return sc_done(&c);
}
