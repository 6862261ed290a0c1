// gemm.c — GEMM on the CPU: the single-threaded sgemm every nn kernel calls (OpenBLAS, or a plain loop
// when fusor is built without it), PyTorch linear, batched GEMM and the segmented (per-cluster) GEMM of
// CANConv. Threads come from OpenMP: each thread runs an independent single-threaded sgemm on its
// block of rows or columns, so the thread count is the backend's and results do not depend on it.
#include "cpu_nn.h"
#include "vmath_nn.h"
#include <stdlib.h>
#include <string.h>
#ifdef FZ_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

void fz_cpu_blas_init(void) {
#ifdef FZ_HAVE_OPENBLAS
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

#ifndef FZ_HAVE_OPENBLAS
// C[m,n] = alpha·op(A)·op(B) + beta·C with plain loops (fallback without OpenBLAS).
static void sgemm_plain(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                        const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  for (int64_t i = 0; i < m; i++) {
    float *ci = c + i * ldc;
    if (beta == 0.0f) memset(ci, 0, (size_t)n * sizeof *ci);
    else if (beta != 1.0f)
      for (int64_t j = 0; j < n; j++) ci[j] *= beta;
    if (!tb) {
      for (int64_t p = 0; p < k; p++) {
        float av = alpha * (ta ? a[p * lda + i] : a[i * lda + p]);
        const float *bp = b + p * ldb;
#pragma omp simd
        for (int64_t j = 0; j < n; j++) ci[j] += av * bp[j];
      }
    } else {
      for (int64_t j = 0; j < n; j++) {
        const float *bj = b + j * ldb;
        float s = 0.0f;
        if (!ta) {
          const float *ai = a + i * lda;
#pragma omp simd reduction(+ : s)
          for (int64_t p = 0; p < k; p++) s += ai[p] * bj[p];
        } else {
          for (int64_t p = 0; p < k; p++) s += a[p * lda + i] * bj[p];
        }
        ci[j] += alpha * s;
      }
    }
  }
}
#endif

void fz_cpu_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // empty sum: C = beta·C
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
#ifdef FZ_HAVE_OPENBLAS
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (blasint)m,
              (blasint)n, (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
#else
  sgemm_plain(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

void fz_cpu_bias_act_block(float *c, int64_t rows, int64_t cols, int64_t ld, const float *bias, int bias_per_col, int act,
                           float p0, float p1) {
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * ld;
    if (bias && bias_per_col) {
#pragma omp simd
      for (int64_t j = 0; j < cols; j++) row[j] += bias[j];
    } else if (bias) {
      float bv = bias[r];
#pragma omp simd
      for (int64_t j = 0; j < cols; j++) row[j] += bv;
    }
    if (act != FZ_ACT_NONE) fz_cpu_act_row(row, row, cols, act, p0, p1);
  }
}

// Blocks per matrix are chosen as if for this many threads, whatever the real count, so that the sgemm
// calls (and OpenBLAS's rounding, which depends on the call shape) are the same for any thread count.
#define SPLIT_WAYS 4

// Splits an m×n output (one of batch matrices) into *bm-row by *bn-column blocks: rows preferred, blocks
// of at least 16 rows / 64 columns so that each sgemm call stays efficient. Independent of the threads.
static void split_mn(int64_t m, int64_t n, int64_t batch, int64_t *bm, int64_t *bn) {
  int64_t want = batch >= 2 * SPLIT_WAYS ? 1 : (2 * SPLIT_WAYS + batch - 1) / batch;  // blocks per matrix
  *bm = m;
  *bn = n;
  if (want <= 1) return;
  if (m >= 16 * want || m >= n) {
    int64_t r = (m + want - 1) / want;
    *bm = r < 16 ? (m < 16 ? m : 16) : r;
  } else {
    int64_t cc = (n + want - 1) / want;
    *bn = cc < 64 ? (n < 64 ? n : 64) : cc;
  }
}

int fz_cpu_linear(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                  int act, float act_p0, float act_p1, fz_err *err) {
  (void)err;
  int64_t n = w->shape[0], k = w->shape[1], m = k ? fz_tensor_numel(x) / k : fz_tensor_numel(out) / (n ? n : 1);
  if (m == 0 || n == 0) return FZ_OK;
  int nt = fz_cpu_threads(be);
  int64_t bm, bn;
  split_mn(m, n, 1, &bm, &bn);
  int64_t nbm = (m + bm - 1) / bm, nbn = (n + bn - 1) / bn, items = nbm * nbn;
  const float *xd = x->data, *wd = w->data, *bd = bias ? (const float *)bias->data : NULL;
  float *od = out->data;
  int par = items > 1 && (double)m * n * (k + 1) > 2e5;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (par)
  for (int64_t it = 0; it < items; it++) {
    int64_t m0 = (it / nbn) * bm, n0 = (it % nbn) * bn;
    int64_t mr = m - m0 < bm ? m - m0 : bm, nc = n - n0 < bn ? n - n0 : bn;
    float *c = od + m0 * n + n0;
    fz_cpu_sgemm(0, 1, mr, nc, k, 1.0f, xd + m0 * k, k, wd + n0 * k, k, 0.0f, c, n);  // x·wᵀ
    if (bd || act != FZ_ACT_NONE) fz_cpu_bias_act_block(c, mr, nc, n, bd ? bd + n0 : NULL, 1, act, act_p0, act_p1);
  }
  return FZ_OK;
}

int fz_cpu_gemm_batched(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *bm_, int64_t batch,
                        int64_t a_batch, int64_t b_batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                        float alpha, float beta, fz_err *err) {
  (void)err;
  if (batch == 0 || m == 0 || n == 0) return FZ_OK;
  int nt = fz_cpu_threads(be);
  int64_t bm, bn;
  split_mn(m, n, batch, &bm, &bn);
  int64_t nbm = (m + bm - 1) / bm, nbn = (n + bn - 1) / bn, per = nbm * nbn, items = batch * per;
  const float *ad = a->data, *bd = bm_->data;
  float *od = out->data;
  int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  int par = items > 1 && (double)batch * m * n * (k + 1) > 2e5;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (par)
  for (int64_t it = 0; it < items; it++) {
    int64_t bi = it / per, r = it % per, m0 = (r / nbn) * bm, n0 = (r % nbn) * bn;
    int64_t mr = m - m0 < bm ? m - m0 : bm, nc = n - n0 < bn ? n - n0 : bn;
    const float *ab = ad + (a_batch == 1 ? 0 : bi * m * k), *bb = bd + (b_batch == 1 ? 0 : bi * k * n);
    const float *ap = trans_a ? ab + m0 : ab + m0 * k;
    const float *bp = trans_b ? bb + n0 * k : bb + n0;
    fz_cpu_sgemm(trans_a, trans_b, mr, nc, k, alpha, ap, lda, bp, ldb, beta, od + bi * m * n + m0 * n + n0, n);
  }
  return FZ_OK;
}

// Rows per block of the segmented GEMM: gathered into a contiguous buffer, multiplied, scattered back.
#define SEG_ROWS 128
// Rows ahead whose cache lines the gather prefetches.
#define SEG_PREFETCH 12

int fz_cpu_gemm_segmented(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                          const fz_tensor *bias, const fz_tensor *idx, fz_err *err) {
  int64_t r = x->shape[0], k = x->shape[1], g = w->shape[0], n = w->shape[2];
  if (r == 0 || n == 0) return FZ_OK;
  const int32_t *id = idx->data;
  for (int64_t i = 0; i < r; i++)
    if (id[i] < 0 || id[i] >= g)
      return fz_fail(err, FZ_EINVAL, "gemm_segmented: idx[%lld] = %d, expected a cluster index in [0, %lld)", (long long)i, id[i], (long long)g);
  int nt = fz_cpu_threads(be);
  // Counting sort of rows by cluster (per-call scratch: R + 2G + 2 integers; per-thread gather buffers).
  int64_t *start = calloc((size_t)(g + 1), sizeof *start), *fill = malloc((size_t)(g + 1) * sizeof *fill);
  int64_t *perm = malloc((size_t)r * sizeof *perm);
  float *buf = malloc((size_t)nt * SEG_ROWS * (size_t)(k + n) * sizeof *buf);
  if (!start || !fill || !perm || !buf) {
    free(start); free(fill); free(perm); free(buf);
    return fz_fail(err, FZ_ENOMEM, "gemm_segmented: cannot allocate scratch for %lld rows", (long long)r);
  }
  for (int64_t i = 0; i < r; i++) start[id[i] + 1]++;
  for (int64_t c = 0; c < g; c++) start[c + 1] += start[c];
  memcpy(fill, start, (size_t)(g + 1) * sizeof *fill);
  for (int64_t i = 0; i < r; i++) perm[fill[id[i]]++] = i;
  // Work items: (cluster, block of SEG_ROWS rows); item j of cluster c starts at start[c] + j·SEG_ROWS.
  int64_t items = 0;
  for (int64_t c = 0; c < g; c++) items += (start[c + 1] - start[c] + SEG_ROWS - 1) / SEG_ROWS;
  int64_t *item_row = malloc((size_t)(items ? items : 1) * 2 * sizeof *item_row);
  if (!item_row) {
    free(start); free(fill); free(perm); free(buf);
    return fz_fail(err, FZ_ENOMEM, "gemm_segmented: cannot allocate the work list");
  }
  for (int64_t c = 0, j = 0; c < g; c++)
    for (int64_t s = start[c]; s < start[c + 1]; s += SEG_ROWS, j++) { item_row[2 * j] = c; item_row[2 * j + 1] = s; }
  const float *xd = x->data, *wd = w->data, *bd = bias ? (const float *)bias->data : NULL;
  float *od = out->data;
  int par = items > 1 && (double)r * n * k > 2e5;
#pragma omp parallel num_threads(nt) if (par)
  {
#ifdef _OPENMP
    int tid = omp_get_thread_num();
#else
    int tid = 0;
#endif
    float *ab = buf + (size_t)tid * SEG_ROWS * (size_t)(k + n), *cb = ab + (size_t)SEG_ROWS * k;
#pragma omp for schedule(dynamic, 1)
    for (int64_t j = 0; j < items; j++) {
      int64_t c = item_row[2 * j], s0 = item_row[2 * j + 1];
      int64_t rows = start[c + 1] - s0 < SEG_ROWS ? start[c + 1] - s0 : SEG_ROWS;
      for (int64_t i = 0; i < rows; i++) {  // gather; rows arrive in random order, so prefetch a few ahead
        if (i + SEG_PREFETCH < rows) {
          const char *nx = (const char *)(xd + perm[s0 + i + SEG_PREFETCH] * k);
          for (int64_t b = 0; b < k * (int64_t)sizeof(float); b += 64) __builtin_prefetch(nx + b);
        }
        memcpy(ab + i * k, xd + perm[s0 + i] * k, (size_t)k * sizeof *ab);
      }
      fz_cpu_sgemm(0, 0, rows, n, k, 1.0f, ab, k, wd + c * k * n, n, 0.0f, cb, n);
      for (int64_t i = 0; i < rows; i++) {
        float *o = od + perm[s0 + i] * n;
        const float *ci = cb + i * n, *bc = bd ? bd + c * n : NULL;
        if (bc) {
#pragma omp simd
          for (int64_t q = 0; q < n; q++) o[q] = ci[q] + bc[q];
        } else {
          memcpy(o, ci, (size_t)n * sizeof *o);
        }
      }
    }
  }
  free(item_row); free(start); free(fill); free(perm); free(buf);
  return FZ_OK;
}
