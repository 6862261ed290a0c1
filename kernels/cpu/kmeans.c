// kmeans.c — the three steps of k-means on the CPU: k-means++ seeding, nearest-centroid assignment and the
// centroid update. Every result is independent of the thread count: per-point work is independent, and all
// sums over points run in double over fixed blocks of 4096 points combined in block order.
// Squared distances are Σ_d (x_d − c_d)² accumulated in f32 in dimension order (no fused multiply-add),
// identically in the seeding and the assignment.
#include "cpu_seq.h"
#include "seq_simd.h"
#include "../../runtime/rng.h"
#include <math.h>
#include <stdlib.h>

#define PBLK 4096  // points per summation block

// Squared L2 distance of two D-vectors, f32, in dimension order.
static float dist2(const float *a, const float *b, int64_t D) {
  float s = 0.0f;
  for (int64_t d = 0; d < D; d++) {
    float t = a[d] - b[d];
    s += t * t;
  }
  return s;
}

// k-means++ seeding of Bt images of N points [N,D] into centroids [K,D] (chosen indices optional).
int fz_cpu_kmeans_init(const fz_backend *be, fz_tensor *centroids, fz_tensor *chosen, const fz_tensor *x, int64_t Bt,
                       int64_t N, int64_t D, int64_t K, uint64_t seed, uint64_t stream, fz_err *err) {
  const int nt = fz_cpu_threads(be);
  const int64_t nblk = (N + PBLK - 1) / PBLK;
  float *d2 = malloc(sizeof(float) * (size_t)N), *u = malloc(sizeof(float) * (size_t)K);
  double *bs = malloc(sizeof(double) * (size_t)nblk);
  if (!d2 || !u || !bs) {
    free(d2); free(u); free(bs);
    return fz_fail(err, FZ_ENOMEM, "kmeans_init: no memory for %lld distances", (long long)N);
  }
  for (int64_t b = 0; b < Bt; b++) {
    const float *xb = (const float *)x->data + b * N * D;
    float *cb = (float *)centroids->data + b * K * D;
    int32_t *ch = chosen ? (int32_t *)chosen->data + b * K : NULL;
    fz_philox_fill_uniform(u, (uint64_t)K, seed, stream + (uint64_t)b, 0);
    for (int64_t j = 0; j < K; j++) {
      int64_t idx = -1;
      if (j > 0) {
#pragma omp parallel for schedule(static) num_threads(nt) if (N > 4 * PBLK)
        for (int64_t k = 0; k < nblk; k++) {
          double s = 0;
          int64_t e = (k + 1) * PBLK < N ? (k + 1) * PBLK : N;
          for (int64_t i = k * PBLK; i < e; i++) s += d2[i];
          bs[k] = s;
        }
        double total = 0;
        for (int64_t k = 0; k < nblk; k++) total += bs[k];
        if (total > 0) {
          double target = (double)u[j] * total, acc = 0;
          int64_t last_pos = -1;
          for (int64_t k = 0; k < nblk && idx < 0; k++) {
            int64_t e = (k + 1) * PBLK < N ? (k + 1) * PBLK : N;
            if (acc + bs[k] <= target) {  // the target lies beyond this block
              acc += bs[k];
              for (int64_t i = e - 1; i >= k * PBLK; i--) if (d2[i] > 0) { last_pos = i; break; }
              continue;
            }
            for (int64_t i = k * PBLK; i < e; i++) {
              if (d2[i] > 0) last_pos = i;
              acc += d2[i];
              if (acc > target && d2[i] > 0) { idx = i; break; }
            }
          }
          if (idx < 0) idx = last_pos;  // rounding put the target at the very end: the last point with D² > 0
        }
      }
      if (idx < 0) {  // first centroid, or every point already coincides with a centroid
        idx = (int64_t)((double)u[j] * (double)N);
        if (idx > N - 1) idx = N - 1;
      }
      memcpy(cb + j * D, xb + idx * D, sizeof(float) * (size_t)D);
      if (ch) ch[j] = (int32_t)idx;
      const float *c = cb + j * D;
#pragma omp parallel for schedule(static) num_threads(nt) if (N * D > 65536)
      for (int64_t i = 0; i < N; i++) {
        float v = dist2(xb + i * D, c, D);
        if (j == 0 || v < d2[i]) d2[i] = v;
      }
    }
  }
  free(d2); free(u); free(bs);
  return FZ_OK;
}

// Nearest-centroid assignment of Bt×N points; counts the changed entries when asked.
int fz_cpu_kmeans_assign(const fz_backend *be, fz_tensor *assign, const fz_tensor *x, const fz_tensor *centroids,
                         int64_t Bt, int64_t N, int64_t D, int64_t K, int64_t *changed, fz_err *err) {
  const int64_t Kp = fz_round_up(K, 16);
  float *ct = malloc(sizeof(float) * (size_t)(D * Kp));  // centroids transposed: ct[d·Kp + k]
  if (!ct) return fz_fail(err, FZ_ENOMEM, "kmeans_assign: no memory for %lld×%lld centroids", (long long)K, (long long)D);
  int64_t total = 0;
  for (int64_t b = 0; b < Bt; b++) {
    const float *xb = (const float *)x->data + b * N * D, *cb = (const float *)centroids->data + b * K * D;
    int32_t *ab = (int32_t *)assign->data + b * N;
    memset(ct, 0, sizeof(float) * (size_t)(D * Kp));
    for (int64_t k = 0; k < K; k++)
      for (int64_t d = 0; d < D; d++) ct[d * Kp + k] = cb[k * D + d];
    int64_t chg = 0;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) reduction(+ : chg) if (N * K * D > 65536)
    for (int64_t i = 0; i < N; i++) {
      const float *xi = xb + i * D;
      float best = INFINITY;
      int32_t bi = 0;
      for (int64_t k0 = 0; k0 < Kp; k0 += 16) {
        fz_v16 acc = fz_v16_set1(0.0f);
        for (int64_t d = 0; d < D; d++) {
          fz_v16 t = fz_v16_set1(xi[d]) - fz_v16_load(ct + d * Kp + k0);
          acc += t * t;  // separate multiply and add: the same rounding as dist2()
        }
        for (int l = 0; l < 16 && k0 + l < K; l++)
          if (acc[l] < best) { best = acc[l]; bi = (int32_t)(k0 + l); }
      }
      if (changed && ab[i] != bi) chg++;
      ab[i] = bi;
    }
    total += chg;
  }
  free(ct);
  if (changed) *changed = total;
  return FZ_OK;
}

// Cluster means of Bt×N points into centroids [Bt,K,D]; empty clusters keep theirs.
int fz_cpu_kmeans_update(const fz_backend *be, fz_tensor *centroids, fz_tensor *counts, const fz_tensor *x,
                         const fz_tensor *assign, int64_t Bt, int64_t N, int64_t D, int64_t K, fz_err *err) {
  const int64_t nblk = (N + PBLK - 1) / PBLK;
  double *ps = calloc((size_t)(nblk * K * D), sizeof(double));   // per-block sums
  int64_t *pc = calloc((size_t)(nblk * K), sizeof(int64_t));     // per-block counts
  if (!ps || !pc) {
    free(ps); free(pc);
    return fz_fail(err, FZ_ENOMEM, "kmeans_update: no memory for %lld block sums", (long long)(nblk * K * D));
  }
  int rc = FZ_OK;
  for (int64_t b = 0; b < Bt && !rc; b++) {
    const float *xb = (const float *)x->data + b * N * D;
    const int32_t *ab = (const int32_t *)assign->data + b * N;
    float *cb = (float *)centroids->data + b * K * D;
    int64_t bad = -1;
    memset(ps, 0, sizeof(double) * (size_t)(nblk * K * D));
    memset(pc, 0, sizeof(int64_t) * (size_t)(nblk * K));
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) reduction(max : bad) if (nblk > 1)
    for (int64_t k = 0; k < nblk; k++) {
      int64_t e = (k + 1) * PBLK < N ? (k + 1) * PBLK : N;
      for (int64_t i = k * PBLK; i < e; i++) {
        int32_t a = ab[i];
        if (a < 0 || a >= K) { if (i > bad) bad = i; continue; }
        double *s = ps + (k * K + a) * D;
        const float *xi = xb + i * D;
        for (int64_t d = 0; d < D; d++) s[d] += xi[d];
        pc[k * K + a]++;
      }
    }
    if (bad >= 0) {
      rc = fz_fail(err, FZ_EINVAL, "kmeans_update: assignment[%lld][%lld] = %d is outside [0, %lld)", (long long)b,
                   (long long)bad, ab[bad], (long long)K);
      break;
    }
    for (int64_t c = 0; c < K; c++) {
      int64_t n = 0;
      for (int64_t k = 0; k < nblk; k++) n += pc[k * K + c];
      if (counts) ((int32_t *)counts->data)[b * K + c] = (int32_t)n;
      if (n == 0) continue;  // empty cluster: keeps its previous centroid
      for (int64_t d = 0; d < D; d++) {
        double s = 0;
        for (int64_t k = 0; k < nblk; k++) s += ps[(k * K + c) * D + d];
        cb[c * D + d] = (float)(s / (double)n);
      }
    }
  }
  free(ps); free(pc);
  return rc;
}
