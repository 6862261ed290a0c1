// ops_seq_signal.c — checked wrappers of the seq op family, part 2: resampling, grid_sample, FFT and complex
// helpers, k-means (the steps and the host-side Lloyd loop built on them) and timestep embeddings.
#include "ops_seq_check.h"
#include <math.h>

// ---- resampling ----------------------------------------------------------------------------------
int fz_op_interpolate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_interp_mode mode, int align_corners,
                      double scale_h, double scale_w, fz_err *err) {
  const char *op = "interpolate";
  SEQ_ENTRY(interpolate, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  char b1[96], b2[96];
  if (x->ndim < 2 || out->ndim != x->ndim)
    return fz_fail(err, FZ_EINVAL, "%s: x %s and out %s must have the same number (>= 2) of dims", op, seq_shp(x, b1),
                   seq_shp(out, b2));
  for (int i = 0; i < x->ndim - 2; i++)
    if (x->shape[i] != out->shape[i])
      return fz_fail(err, FZ_EINVAL, "%s: out %s differs from x %s outside the last two dims", op, seq_shp(out, b2),
                     seq_shp(x, b1));
  int nd = x->ndim;
  if (x->shape[nd - 2] < 1 || x->shape[nd - 1] < 1 || out->shape[nd - 2] < 1 || out->shape[nd - 1] < 1)
    return fz_fail(err, FZ_EINVAL, "%s: x %s -> out %s: spatial sizes must be >= 1", op, seq_shp(x, b1), seq_shp(out, b2));
  if ((int)mode < 0 || (int)mode > 2)
    return fz_fail(err, FZ_EINVAL, "%s: mode %d is not nearest (0), bilinear (1) or bicubic (2)", op, (int)mode);
  if (!(scale_h >= 0 && scale_w >= 0 && isfinite(scale_h) && isfinite(scale_w)))
    return fz_fail(err, FZ_EINVAL, "%s: scale factors (%g, %g) must be finite and >= 0 (0 = from the sizes)", op,
                   scale_h, scale_w);
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  if (fz_tensor_numel(out) == 0) return FZ_OK;
  return be->interpolate(be, out, x, (int)mode, align_corners != 0, scale_h, scale_w, err);
}

// fz_op_grid_sample: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_grid_sample(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *grid,
                      fz_interp_mode mode, fz_grid_pad pad, int align_corners, fz_err *err) {
  const char *op = "grid_sample";
  SEQ_ENTRY(grid_sample, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, grid, FZ_F32, op, "grid", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  SEQ_TRY(seq_need_ndim(x, 4, op, "x", "[N, C, H, W]", err));
  SEQ_TRY(seq_need_ndim(grid, 4, op, "grid", "[N, Ho, Wo, 2]", err));
  char b1[96];
  if (grid->shape[0] != x->shape[0] || grid->shape[3] != 2)
    return fz_fail(err, FZ_EINVAL, "%s: grid %s, expected [%lld, Ho, Wo, 2]", op, seq_shp(grid, b1), (long long)x->shape[0]);
  if (x->shape[2] < 1 || x->shape[3] < 1) return fz_fail(err, FZ_EINVAL, "%s: x %s has an empty image", op, seq_shp(x, b1));
  int64_t s[4] = {x->shape[0], x->shape[1], grid->shape[1], grid->shape[2]};
  SEQ_TRY(seq_need_shape(out, 4, s, op, "out", err));
  if (mode != FZ_INTERP_NEAREST && mode != FZ_INTERP_BILINEAR)
    return fz_fail(err, FZ_EINVAL, "%s: mode %d, expected nearest (0) or bilinear (1)", op, (int)mode);
  if (pad != FZ_GRID_PAD_ZEROS && pad != FZ_GRID_PAD_BORDER)
    return fz_fail(err, FZ_EINVAL, "%s: padding %d, expected zeros (0) or border (1)", op, (int)pad);
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  SEQ_TRY(seq_no_alias(out, grid, op, "grid", err));
  if (fz_tensor_numel(out) == 0) return FZ_OK;
  return be->grid_sample(be, out, x, grid, (int)mode, (int)pad, align_corners != 0, err);
}

// ---- FFT -----------------------------------------------------------------------------------------
// Product of the first n dims of t.
static int64_t lead(const fz_tensor *t, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; i++) p *= t->shape[i];
  return p;
}
// t must be complex [.., 2] with at least 3 dims.
static int need_complex(const fz_tensor *t, const char *op, const char *what, fz_err *err) {
  char b1[96];
  if (t->ndim < 3 || t->shape[t->ndim - 1] != 2)
    return fz_fail(err, FZ_EINVAL, "%s: %s %s is not complex [.., H, W, 2] (interleaved re, im)", op, what, seq_shp(t, b1));
  return FZ_OK;
}

// fz_op_fft2: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int inverse, fz_err *err) {
  const char *op = inverse ? "ifft2" : "fft2";
  SEQ_ENTRY(fft2, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  SEQ_TRY(need_complex(out, op, "out", err));
  const int nd = out->ndim;
  const int64_t H = out->shape[nd - 3], W = out->shape[nd - 2];
  int x_real = x->ndim == nd - 1;
  if (x_real) SEQ_TRY(seq_need_shape(x, nd - 1, out->shape, op, "x (real: out's shape without the trailing 2)", err));
  else SEQ_TRY(seq_need_shape(x, nd, out->shape, op, "x (complex: out's shape)", err));
  char b1[96];
  if (H < 1 || W < 1) return fz_fail(err, FZ_EINVAL, "%s: out %s has an empty plane", op, seq_shp(out, b1));
  if (x_real) SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  if (fz_tensor_numel(out) == 0) return FZ_OK;
  return be->fft2(be, out, x, lead(out, nd - 3), H, W, x_real, inverse != 0, err);
}

// fz_op_rfft2: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_err *err) {
  const char *op = "rfft2";
  SEQ_ENTRY(rfft2, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  char b1[96];
  if (x->ndim < 2 || x->ndim > FZ_MAX_DIMS - 1)
    return fz_fail(err, FZ_EINVAL, "%s: x %s, expected 2 to %d dims [.., H, W]", op, seq_shp(x, b1), FZ_MAX_DIMS - 1);
  const int nd = x->ndim;
  const int64_t H = x->shape[nd - 2], W = x->shape[nd - 1];
  if (H < 1 || W < 1) return fz_fail(err, FZ_EINVAL, "%s: x %s has an empty plane", op, seq_shp(x, b1));
  int64_t s[FZ_MAX_DIMS];
  for (int i = 0; i < nd; i++) s[i] = x->shape[i];
  s[nd - 1] = W / 2 + 1;
  s[nd] = 2;
  SEQ_TRY(seq_need_shape(out, nd + 1, s, op, "out", err));
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  if (fz_tensor_numel(out) == 0) return FZ_OK;
  return be->rfft2(be, out, x, lead(x, nd - 2), H, W, err);
}

// fz_op_irfft2: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_err *err) {
  const char *op = "irfft2";
  SEQ_ENTRY(irfft2, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  char b1[96];
  if (out->ndim < 2 || out->ndim > FZ_MAX_DIMS - 1)
    return fz_fail(err, FZ_EINVAL, "%s: out %s, expected 2 to %d dims [.., H, W]", op, seq_shp(out, b1), FZ_MAX_DIMS - 1);
  const int nd = out->ndim;
  const int64_t H = out->shape[nd - 2], W = out->shape[nd - 1];
  if (H < 1 || W < 1) return fz_fail(err, FZ_EINVAL, "%s: out %s has an empty plane", op, seq_shp(out, b1));
  int64_t s[FZ_MAX_DIMS];
  for (int i = 0; i < nd; i++) s[i] = out->shape[i];
  s[nd - 1] = W / 2 + 1;
  s[nd] = 2;
  SEQ_TRY(seq_need_shape(x, nd + 1, s, op, "x", err));
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  if (fz_tensor_numel(out) == 0) return FZ_OK;
  return be->irfft2(be, out, x, lead(out, nd - 2), H, W, err);
}

// fz_op_fftshift: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_fftshift(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int is_complex, int inverse, fz_err *err) {
  const char *op = inverse ? "ifftshift" : "fftshift";
  SEQ_ENTRY(fftshift, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  if (is_complex) SEQ_TRY(need_complex(x, op, "x", err));
  char b1[96];
  if (x->ndim < 2) return fz_fail(err, FZ_EINVAL, "%s: x %s, expected [.., H, W]", op, seq_shp(x, b1));
  SEQ_TRY(seq_need_shape(out, x->ndim, x->shape, op, "out (the shape of x)", err));
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  const int hd = x->ndim - (is_complex ? 3 : 2);
  if (fz_tensor_numel(x) == 0) return FZ_OK;
  return be->fftshift(be, out, x, lead(x, hd), x->shape[hd], x->shape[hd + 1], is_complex ? 2 : 1, inverse != 0, err);
}

// fz_op_complex_part: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_complex_part(const fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_complex_part part, fz_err *err) {
  const char *op = "complex_part";
  SEQ_ENTRY(complex_part, op);
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  char b1[96];
  if (x->ndim < 1 || x->shape[x->ndim - 1] != 2)
    return fz_fail(err, FZ_EINVAL, "%s: x %s is not complex [.., 2]", op, seq_shp(x, b1));
  SEQ_TRY(seq_need_shape(out, x->ndim - 1, x->shape, op, "out (x's shape without the trailing 2)", err));
  if ((int)part < 0 || (int)part > 3) return fz_fail(err, FZ_EINVAL, "%s: part %d is not a fz_complex_part", op, (int)part);
  SEQ_TRY(seq_no_alias(out, x, op, "x", err));
  return be->complex_part(be, out, x, (int)part, err);
}

// fz_op_polar: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_polar(const fz_backend *be, fz_tensor *out, const fz_tensor *mag, const fz_tensor *phase, fz_err *err) {
  const char *op = "polar";
  SEQ_ENTRY(polar, op);
  SEQ_TRY(seq_need(be, mag, FZ_F32, op, "mag", err));
  SEQ_TRY(seq_need(be, phase, FZ_F32, op, "phase", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  SEQ_TRY(seq_need_shape(phase, mag->ndim, mag->shape, op, "phase (the shape of mag)", err));
  char b1[96];
  if (mag->ndim > FZ_MAX_DIMS - 1) return fz_fail(err, FZ_EINVAL, "%s: mag %s has too many dims for a complex out", op, seq_shp(mag, b1));
  int64_t s[FZ_MAX_DIMS];
  for (int i = 0; i < mag->ndim; i++) s[i] = mag->shape[i];
  s[mag->ndim] = 2;
  SEQ_TRY(seq_need_shape(out, mag->ndim + 1, s, op, "out", err));
  SEQ_TRY(seq_no_alias(out, mag, op, "mag", err));
  SEQ_TRY(seq_no_alias(out, phase, op, "phase", err));
  return be->polar(be, out, mag, phase, err);
}

// ---- k-means -------------------------------------------------------------------------------------
typedef struct { int64_t Bt, N, D, K; int batched; } km_dims;

// x [N,D] or [Bt,N,D]; per-cluster tensor (centroids) [K,D] or [Bt,K,D] of the same form.
static int km_points(const fz_backend *be, const fz_tensor *x, const fz_tensor *c, const char *op, km_dims *k, fz_err *err) {
  SEQ_TRY(seq_need(be, x, FZ_F32, op, "x", err));
  SEQ_TRY(seq_need(be, c, FZ_F32, op, "centroids", err));
  char b1[96];
  if (x->ndim != 2 && x->ndim != 3) return fz_fail(err, FZ_EINVAL, "%s: x %s, expected [N, D] or [B, N, D]", op, seq_shp(x, b1));
  k->batched = x->ndim == 3;
  k->Bt = k->batched ? x->shape[0] : 1;
  k->N = x->shape[x->ndim - 2];
  k->D = x->shape[x->ndim - 1];
  if (c->ndim != x->ndim)
    return fz_fail(err, FZ_EINVAL, "%s: centroids %s, expected %s", op, seq_shp(c, b1), k->batched ? "[B, K, D]" : "[K, D]");
  k->K = c->shape[c->ndim - 2];
  if (k->N < 1 || k->D < 1 || k->K < 1 || k->K > INT32_MAX)
    return fz_fail(err, FZ_EINVAL, "%s: x %s and %lld clusters: N, D, K must be >= 1", op, seq_shp(x, b1), (long long)k->K);
  int64_t s3[3] = {k->Bt, k->K, k->D}, s2[2] = {k->K, k->D};
  return seq_need_shape(c, c->ndim, k->batched ? s3 : s2, op, "centroids", err);
}
// An i32 per-point ([N] / [Bt,N], len = N) or per-cluster ([K] / [Bt,K], len = K) tensor.
static int km_index(const fz_backend *be, const fz_tensor *t, const km_dims *k, int64_t len, const char *op,
                    const char *what, fz_err *err) {
  SEQ_TRY(seq_need(be, t, FZ_I32, op, what, err));
  int64_t s2[2] = {k->Bt, len}, s1[1] = {len};
  return seq_need_shape(t, k->batched ? 2 : 1, k->batched ? s2 : s1, op, what, err);
}

// fz_op_kmeans_init: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_kmeans_init(const fz_backend *be, fz_tensor *centroids, fz_tensor *chosen, const fz_tensor *x, uint64_t seed,
                      uint64_t stream, fz_err *err) {
  const char *op = "kmeans_init";
  SEQ_ENTRY(kmeans_init, op);
  km_dims k;
  SEQ_TRY(km_points(be, x, centroids, op, &k, err));
  if (chosen) SEQ_TRY(km_index(be, chosen, &k, k.K, op, "chosen", err));
  SEQ_TRY(seq_no_alias(centroids, x, op, "x", err));
  return be->kmeans_init(be, centroids, chosen, x, k.Bt, k.N, k.D, k.K, seed, stream, err);
}

// fz_op_kmeans_assign: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_kmeans_assign(const fz_backend *be, fz_tensor *assign, const fz_tensor *x, const fz_tensor *centroids,
                        int64_t *changed, fz_err *err) {
  const char *op = "kmeans_assign";
  SEQ_ENTRY(kmeans_assign, op);
  km_dims k;
  SEQ_TRY(km_points(be, x, centroids, op, &k, err));
  SEQ_TRY(km_index(be, assign, &k, k.N, op, "assign", err));
  return be->kmeans_assign(be, assign, x, centroids, k.Bt, k.N, k.D, k.K, changed, err);
}

// fz_op_kmeans_update: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_kmeans_update(const fz_backend *be, fz_tensor *centroids, fz_tensor *counts, const fz_tensor *x,
                        const fz_tensor *assign, fz_err *err) {
  const char *op = "kmeans_update";
  SEQ_ENTRY(kmeans_update, op);
  km_dims k;
  SEQ_TRY(km_points(be, x, centroids, op, &k, err));
  SEQ_TRY(km_index(be, assign, &k, k.N, op, "assign", err));
  if (counts) SEQ_TRY(km_index(be, counts, &k, k.K, op, "counts", err));
  SEQ_TRY(seq_no_alias(centroids, x, op, "x", err));
  return be->kmeans_update(be, centroids, counts, x, assign, k.Bt, k.N, k.D, k.K, err);
}

// A header viewing image b of a batched tensor (or t itself when not batched).
static fz_tensor km_view(const fz_tensor *t, int batched, int64_t b) {
  fz_tensor v = *t;
  v.owns = 0;
  if (batched) {
    v.ndim = t->ndim - 1;
    for (int i = 0; i < v.ndim; i++) v.shape[i] = t->shape[i + 1];
    v.data = (char *)t->data + (size_t)b * (fz_tensor_nbytes(t) / (size_t)t->shape[0]);
  }
  return v;
}

// fz_op_kmeans: checks the operands (see ops_seq.h), then runs the backend entry.
int fz_op_kmeans(const fz_backend *be, fz_tensor *centroids, fz_tensor *assign, const fz_tensor *x,
                 const fz_kmeans_params *p, int *iters, fz_err *err) {
  const char *op = "kmeans";
  SEQ_ENTRY(kmeans_init, op);
  if (!be->kmeans_assign || !be->kmeans_update)
    return fz_fail(err, FZ_EUNSUP, "%s: backend %s lacks the assignment or update step", op, be->name);
  if (!p) return fz_fail(err, FZ_EINVAL, "%s: parameters are missing", op);
  km_dims k;
  SEQ_TRY(km_points(be, x, centroids, op, &k, err));
  SEQ_TRY(km_index(be, assign, &k, k.N, op, "assign", err));
  SEQ_TRY(seq_no_alias(centroids, x, op, "x", err));
  if (!(p->tol >= 0 && p->tol <= 1)) return fz_fail(err, FZ_EINVAL, "%s: tol %g, expected a fraction in [0, 1]", op, p->tol);
  if (p->max_iter < 0) return fz_fail(err, FZ_EINVAL, "%s: max_iter %d, expected >= 0 (0 = 300)", op, p->max_iter);
  const int max_iter = p->max_iter ? p->max_iter : 300;
  int most = 0;
  for (int64_t b = 0; b < k.Bt; b++) {
    fz_tensor xb = km_view(x, k.batched, b), cb = km_view(centroids, k.batched, b), ab = km_view(assign, k.batched, b);
    SEQ_TRY(be->kmeans_init(be, &cb, NULL, &xb, 1, k.N, k.D, k.K, p->seed, (uint64_t)b, err));
    int it = 0;
    for (;;) {
      int64_t changed = k.N;  // the first assignment counts every point as reassigned
      SEQ_TRY(be->kmeans_assign(be, &ab, &xb, &cb, 1, k.N, k.D, k.K, it ? &changed : NULL, err));
      it++;
      if ((double)changed <= p->tol * (double)k.N || it >= max_iter) break;
      SEQ_TRY(be->kmeans_update(be, &cb, NULL, &xb, &ab, 1, k.N, k.D, k.K, err));
    }
    if (it > most) most = it;
  }
  if (iters) *iters = most;
  return FZ_OK;
}

// ---- timestep embedding --------------------------------------------------------------------------
int fz_op_timestep_embedding(const fz_backend *be, fz_tensor *out, const fz_tensor *t, const fz_temb_params *p,
                             fz_err *err) {
  const char *op = "timestep_embedding";
  SEQ_ENTRY(timestep_embedding, op);
  if (!p) return fz_fail(err, FZ_EINVAL, "%s: parameters are missing", op);
  SEQ_TRY(seq_need(be, t, FZ_F32, op, "t", err));
  SEQ_TRY(seq_need(be, out, FZ_F32, op, "out", err));
  SEQ_TRY(seq_need_ndim(t, 1, op, "t", "[B]", err));
  SEQ_TRY(seq_need_ndim(out, 2, op, "out", "[B, dim]", err));
  char b1[96], b2[96];
  if (out->shape[0] != t->shape[0] || out->shape[1] < 1)
    return fz_fail(err, FZ_EINVAL, "%s: out %s, expected [%lld, dim >= 1] for t %s", op, seq_shp(out, b1),
                   (long long)t->shape[0], seq_shp(t, b2));
  float max_period = p->max_period != 0.0f ? p->max_period : 10000.0f, scale = p->scale != 0.0f ? p->scale : 1.0f;
  if (!(max_period > 0) || !isfinite(max_period) || !isfinite(scale) || !isfinite(p->freq_shift))
    return fz_fail(err, FZ_EINVAL, "%s: max_period %g, scale %g, freq_shift %g must be finite (max_period > 0)", op,
                   (double)max_period, (double)scale, (double)p->freq_shift);
  int64_t half = out->shape[1] / 2;
  if (half > 0 && (float)half - p->freq_shift == 0.0f)
    return fz_fail(err, FZ_EINVAL, "%s: freq_shift %g equals dim/2 = %lld: the frequency exponent divides by zero", op,
                   (double)p->freq_shift, (long long)half);
  SEQ_TRY(seq_no_alias(out, t, op, "t", err));
  return be->timestep_embedding(be, out, t, p->sin_first != 0, p->freq_shift, scale, max_period, err);
}
