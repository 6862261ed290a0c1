// count_backend.c — the op-counting backend wrapper (see count_backend.h). The per-entry wrappers below were
// generated from runtime/backend_ops_{nn,seq,fir}.inc (one per entry, same signature).
#include "count_backend.h"
#include <math.h>
#include <string.h>
#include <time.h>

// The base backend of counting table be.
static const fz_backend *base_of(const fz_backend *be) { return ((const fz_count_backend *)be)->base; }

// Monotonic seconds.
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// When measuring: waits for the base's queued work, then notes the start of the call to row i.
static void measure_start(fz_count_backend *c, int i) {
  if (!c->measure) return;
  fz_err e = {0};
  if (c->base->sync) c->base->sync(c->base, &e);
  c->cur = i;
  c->t0 = now_s();
}

// Ends the call started by measure_start (waits for the base's work, adds its seconds to the row); passes rc on.
static int finish(const fz_backend *be, int rc) {
  fz_count_backend *c = (fz_count_backend *)be;
  if (!c->measure || c->cur < 0) return rc;
  fz_err e = {0};
  if (c->base->sync) c->base->sync(c->base, &e);
  c->rows[c->cur].t_meas += now_s() - c->t0;
  c->cur = -1;
  return rc;
}

// Adds one call of op with tensors ts (NULL entries skipped) and flops to be's counters.
static void record(const fz_backend *be, const char *op, const fz_tensor *const *ts, int n, double flops) {
  fz_count_backend *c = (fz_count_backend *)be;
  int i = 0;
  while (i < c->nrows && strcmp(c->rows[i].op, op)) i++;
  if (i == c->nrows) {
    if (c->nrows == FZ_COUNT_MAX_OPS) { c->cur = -1; return; }
    c->rows[c->nrows++] = (fz_count_row){op, 0, 0, 0, 0, 0, 0};
  }
  double bytes = 0;
  for (int k = 0; k < n; k++)
    if (ts[k]) bytes += (double)fz_tensor_nbytes(ts[k]);
  c->rows[i].calls++;
  c->rows[i].bytes += bytes;
  c->rows[i].flops += flops;
  if (c->bw > 0 && c->peak_fp32 > 0 && c->peak_bf16 > 0) {  // each call bounded by its own roofline
    c->rows[i].t_fp32 += fmax(bytes / c->bw, flops / c->peak_fp32);
    c->rows[i].t_bf16 += fmax(bytes / 2 / c->bw, flops / c->peak_bf16);
  }
  measure_start(c, i);
}

static int c_lincomb(const fz_backend *be, fz_tensor *out, int n, const float *coef, const fz_tensor *const *xs, fz_err *err) {
  const fz_tensor *ts[17] = {out};
  int k = 1;
  for (int i = 0; i < n && k < 17; i++) ts[k++] = xs[i];
  record(be, "lincomb", ts, k, 2.0 * n * fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->lincomb(base_, out, n, coef, xs, err));
}
static int c_randn(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream, uint64_t offset, fz_err *err) {
  const fz_tensor *ts[1] = {out};
  record(be, "randn", ts, 1, 30.0 * fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->randn(base_, out, seed, stream, offset, err));
}
static int c_randn_image(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream_base, int64_t y0, int64_t x0,
                         int64_t global_w, fz_err *err) {
  const fz_tensor *ts[1] = {out};
  record(be, "randn_image", ts, 1, 30.0 * fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->randn_image(base_, out, seed, stream_base, y0, x0, global_w, err));
}

static int c_conv2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias, const void *p, fz_err *err) {
  const fz_tensor *ts[] = {out, x, w, bias};
  record(be, "conv2d", ts, 4, 2.0*fz_tensor_numel(out)*(double)(w->shape[1]*w->shape[2]*w->shape[3]));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->conv2d(base_, out, x, w, bias, p, err));
}
static size_t c_conv2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p) {
  const fz_backend *base_ = base_of(be);
  return base_->conv2d_workspace(base_, x_shape, w_shape, p);
}
static int c_conv_transpose2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias, const void *p, fz_err *err) {
  const fz_tensor *ts[] = {out, x, w, bias};
  record(be, "conv_transpose2d", ts, 4, 2.0*fz_tensor_numel(x)*(double)(w->shape[1]*w->shape[2]*w->shape[3]));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->conv_transpose2d(base_, out, x, w, bias, p, err));
}
static size_t c_conv_transpose2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p) {
  const fz_backend *base_ = base_of(be);
  return base_->conv_transpose2d_workspace(base_, x_shape, w_shape, p);
}
static int c_conv1d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias, const void *p, fz_err *err) {
  const fz_tensor *ts[] = {out, x, w, bias};
  record(be, "conv1d", ts, 4, 2.0*fz_tensor_numel(out)*(double)(w->shape[1]*w->shape[2]));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->conv1d(base_, out, x, w, bias, p, err));
}
static int c_linear(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias, int act, float act_p0, float act_p1, fz_err *err) {
  const fz_tensor *ts[] = {out, x, w, bias};
  record(be, "linear", ts, 4, 2.0*fz_tensor_numel(out)*(double)x->shape[x->ndim-1]);
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->linear(base_, out, x, w, bias, act, act_p0, act_p1, err));
}
static int c_gemm_batched(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *bm, int64_t batch, int64_t a_batch, int64_t b_batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b, float alpha, float beta, fz_err *err) {
  const fz_tensor *ts[] = {out, a, bm};
  record(be, "gemm_batched", ts, 3, 2.0*(double)batch*m*n*k);
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->gemm_batched(base_, out, a, bm, batch, a_batch, b_batch, m, n, k, trans_a, trans_b, alpha, beta, err));
}
static int c_gemm_segmented(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias, const fz_tensor *idx, fz_err *err) {
  const fz_tensor *ts[] = {out, x, w, bias, idx};
  record(be, "gemm_segmented", ts, 5, 2.0*fz_tensor_numel(out)*(double)x->shape[x->ndim-1]);
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->gemm_segmented(base_, out, x, w, bias, idx, err));
}
static int c_layer_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, const fz_tensor *beta, float eps, fz_err *err) {
  const fz_tensor *ts[] = {out, x, gamma, beta};
  record(be, "layer_norm", ts, 4, 8.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->layer_norm(base_, out, x, gamma, beta, eps, err));
}
static int c_layer_norm_channels(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, const fz_tensor *beta, float eps, fz_err *err) {
  const fz_tensor *ts[] = {out, x, gamma, beta};
  record(be, "layer_norm_channels", ts, 4, 8.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->layer_norm_channels(base_, out, x, gamma, beta, eps, err));
}
static int c_group_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int groups, const fz_tensor *gamma, const fz_tensor *beta, float eps, int act, float act_p0, fz_err *err) {
  const fz_tensor *ts[] = {out, x, gamma, beta};
  record(be, "group_norm", ts, 4, 8.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->group_norm(base_, out, x, groups, gamma, beta, eps, act, act_p0, err));
}
static int c_batch_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *mean, const fz_tensor *var, const fz_tensor *gamma, const fz_tensor *beta, float eps, int act, float act_p0, fz_err *err) {
  const fz_tensor *ts[] = {out, x, mean, var, gamma, beta};
  record(be, "batch_norm", ts, 6, 4.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->batch_norm(base_, out, x, mean, var, gamma, beta, eps, act, act_p0, err));
}
static int c_rms_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, float eps, fz_err *err) {
  const fz_tensor *ts[] = {out, x, gamma};
  record(be, "rms_norm", ts, 3, 6.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->rms_norm(base_, out, x, gamma, eps, err));
}
static int c_modulate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *shift, const fz_tensor *scale, int layout, fz_err *err) {
  const fz_tensor *ts[] = {out, x, shift, scale};
  record(be, "modulate", ts, 4, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->modulate(base_, out, x, shift, scale, layout, err));
}
static int c_gate_residual(const fz_backend *be, fz_tensor *out, const fz_tensor *residual, const fz_tensor *gate, const fz_tensor *y, int layout, fz_err *err) {
  const fz_tensor *ts[] = {out, residual, gate, y};
  record(be, "gate_residual", ts, 4, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->gate_residual(base_, out, residual, gate, y, layout, err));
}
static int c_act(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int act, float p0, float p1, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "act", ts, 2, 4.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->act(base_, out, x, act, p0, p1, err));
}
static int c_glu(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t half, int64_t inner, int act, float p0, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "glu", ts, 2, 5.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->glu(base_, out, x, outer, half, inner, act, p0, err));
}
static int c_softmax(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t len, int64_t inner, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "softmax", ts, 2, 5.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->softmax(base_, out, x, outer, len, inner, err));
}
static int c_clamp(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float lo, float hi, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "clamp", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->clamp(base_, out, x, lo, hi, err));
}
static int c_affine(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float mul, float add, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "affine", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->affine(base_, out, x, mul, add, err));
}
static int c_binary(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, int ndim, const int64_t *a_shape, const int64_t *b_shape, int op, fz_err *err) {
  const fz_tensor *ts[] = {out, a, b};
  record(be, "binary", ts, 3, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->binary(base_, out, a, b, ndim, a_shape, b_shape, op, err));
}
static int c_global_pool(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t planes, int64_t hw, int mode, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "global_pool", ts, 2, 1.0*fz_tensor_numel(x));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->global_pool(base_, out, x, planes, hw, mode, err));
}
static int c_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v, const fz_tensor *v_first, int heads, int layout, float scale, int causal, float v_lambda, void *ws, size_t ws_bytes, fz_err *err) {
  const fz_tensor *ts[] = {out, q, k, v, v_first};
  record(be, "attention", ts, 5, 2.0*(double)(fz_tensor_numel(q)+fz_tensor_numel(out))*(double)(layout==0?k->shape[2]:k->shape[1]));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->attention(base_, out, q, k, v, v_first, heads, layout, scale, causal, v_lambda, ws, ws_bytes, err));
}
static size_t c_attention_workspace(const fz_backend *be, int64_t d, int64_t dv) {
  const fz_backend *base_ = base_of(be);
  return base_->attention_workspace(base_, d, dv);
}
static int c_channel_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v, const fz_tensor *temperature, int heads, int layout, int normalize, float scale, int transpose_attn, fz_err *err) {
  const fz_tensor *ts[] = {out, q, k, v, temperature};
  record(be, "channel_attention", ts, 5, 4.0*fz_tensor_numel(q)*(double)(layout==0?q->shape[3]:layout==1?q->shape[2]/heads:q->shape[2]));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->channel_attention(base_, out, q, k, v, temperature, heads, layout, normalize, scale, transpose_attn, err));
}
static int c_selective_scan(const fz_backend *be, fz_tensor *out, fz_tensor *state_out, const fz_tensor *u, const fz_tensor *delta, const fz_tensor *A, const fz_tensor *Bm, const fz_tensor *Cm, const fz_tensor *Dskip, const fz_tensor *z, const fz_tensor *delta_bias, const fz_tensor *state_in, int delta_softplus, fz_err *err) {
  const fz_tensor *ts[] = {out, state_out, u, delta, A, Bm, Cm, Dskip, z, delta_bias, state_in};
  record(be, "selective_scan", ts, 11, 9.0*fz_tensor_numel(u)*(double)A->shape[1]);
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->selective_scan(base_, out, state_out, u, delta, A, Bm, Cm, Dskip, z, delta_bias, state_in, delta_softplus, err));
}
static int c_cross_scan(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t B, int64_t C, int64_t H, int64_t W, int channels_last, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "cross_scan", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->cross_scan(base_, out, x, B, C, H, W, channels_last, err));
}
static int c_cross_merge(const fz_backend *be, fz_tensor *out, const fz_tensor *y, int64_t B, int64_t C, int64_t H, int64_t W, int channels_last, fz_err *err) {
  const fz_tensor *ts[] = {out, y};
  record(be, "cross_merge", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->cross_merge(base_, out, y, B, C, H, W, channels_last, err));
}
static int c_window_partition(const fz_backend *be, fz_tensor *dst, const fz_tensor *src, int64_t B, int64_t C, int64_t H, int64_t W, int wh, int ww, int channels_last, int reverse, fz_err *err) {
  const fz_tensor *ts[] = {dst, src};
  record(be, "window_partition", ts, 2, 1.0*fz_tensor_numel(dst));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->window_partition(base_, dst, src, B, C, H, W, wh, ww, channels_last, reverse, err));
}
static int c_pixel_shuffle(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int r, int inverse, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "pixel_shuffle", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->pixel_shuffle(base_, out, x, r, inverse, err));
}
static int c_patchify(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int p, int order, int inverse, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "patchify", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->patchify(base_, out, x, p, order, inverse, err));
}
static int c_permute(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const int *perm, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "permute", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->permute(base_, out, x, perm, err));
}
static int c_interpolate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int mode, int align_corners, double scale_h, double scale_w, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "interpolate", ts, 2, 8.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->interpolate(base_, out, x, mode, align_corners, scale_h, scale_w, err));
}
static int c_grid_sample(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *grid, int mode, int pad, int align_corners, fz_err *err) {
  const fz_tensor *ts[] = {out, x, grid};
  record(be, "grid_sample", ts, 3, 12.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->grid_sample(base_, out, x, grid, mode, pad, align_corners, err));
}
static int c_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real, int inverse, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "fft2", ts, 2, 5.0*(double)P*H*W*log2((double)(H*W>1?H*W:2)));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->fft2(base_, out, x, P, H, W, x_real, inverse, err));
}
static int c_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "rfft2", ts, 2, 2.5*(double)P*H*W*log2((double)(H*W>1?H*W:2)));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->rfft2(base_, out, x, P, H, W, err));
}
static int c_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "irfft2", ts, 2, 2.5*(double)P*H*W*log2((double)(H*W>1?H*W:2)));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->irfft2(base_, out, x, P, H, W, err));
}
static int c_fftshift(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int elem, int inverse, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "fftshift", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->fftshift(base_, out, x, P, H, W, elem, inverse, err));
}
static int c_complex_part(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int part, fz_err *err) {
  const fz_tensor *ts[] = {out, x};
  record(be, "complex_part", ts, 2, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->complex_part(base_, out, x, part, err));
}
static int c_polar(const fz_backend *be, fz_tensor *out, const fz_tensor *mag, const fz_tensor *phase, fz_err *err) {
  const fz_tensor *ts[] = {out, mag, phase};
  record(be, "polar", ts, 3, 1.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->polar(base_, out, mag, phase, err));
}
static int c_kmeans_init(const fz_backend *be, fz_tensor *centroids, fz_tensor *chosen, const fz_tensor *x, int64_t Bt, int64_t N, int64_t D, int64_t K, uint64_t seed, uint64_t stream, fz_err *err) {
  const fz_tensor *ts[] = {centroids, chosen, x};
  record(be, "kmeans_init", ts, 3, 3.0*(double)Bt*N*K*D);
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->kmeans_init(base_, centroids, chosen, x, Bt, N, D, K, seed, stream, err));
}
static int c_kmeans_assign(const fz_backend *be, fz_tensor *assign, const fz_tensor *x, const fz_tensor *centroids, int64_t Bt, int64_t N, int64_t D, int64_t K, int64_t *changed, fz_err *err) {
  const fz_tensor *ts[] = {assign, x, centroids};
  record(be, "kmeans_assign", ts, 3, 3.0*(double)Bt*N*K*D);
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->kmeans_assign(base_, assign, x, centroids, Bt, N, D, K, changed, err));
}
static int c_kmeans_update(const fz_backend *be, fz_tensor *centroids, fz_tensor *counts, const fz_tensor *x, const fz_tensor *assign, int64_t Bt, int64_t N, int64_t D, int64_t K, fz_err *err) {
  const fz_tensor *ts[] = {centroids, counts, x, assign};
  record(be, "kmeans_update", ts, 4, 2.0*(double)Bt*N*D);
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->kmeans_update(base_, centroids, counts, x, assign, Bt, N, D, K, err));
}
static int c_timestep_embedding(const fz_backend *be, fz_tensor *out, const fz_tensor *t, int sin_first, float freq_shift, float scale, float max_period, fz_err *err) {
  const fz_tensor *ts[] = {out, t};
  record(be, "timestep_embedding", ts, 2, 4.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->timestep_embedding(base_, out, t, sin_first, freq_shift, scale, max_period, err));
}
static int c_fir2d(const fz_backend *be, fz_tensor *out, const fz_tensor *in, const fz_tensor *kernel, int pad, fz_err *err) {
  const fz_tensor *ts[] = {out, in, kernel};
  record(be, "fir2d", ts, 3, 2.0*fz_tensor_numel(out)*(double)fz_tensor_numel(kernel));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->fir2d(base_, out, in, kernel, pad, err));
}
static int c_imresize(const fz_backend *be, fz_tensor *out, const fz_tensor *in, double sh, double sw, int method, int antialias, fz_err *err) {
  const fz_tensor *ts[] = {out, in};
  record(be, "imresize", ts, 2, 16.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->imresize(base_, out, in, sh, sw, method, antialias, err));
}
static int c_interp23tap(const fz_backend *be, fz_tensor *out, const fz_tensor *in, int ratio, fz_err *err) {
  const fz_tensor *ts[] = {out, in};
  record(be, "interp23tap", ts, 2, 92.0*fz_tensor_numel(out));
  const fz_backend *base_ = base_of(be);
  return finish(be, base_->interp23tap(base_, out, in, ratio, err));
}

// Points every op entry base has at its counting wrapper.
static void fill(fz_backend *t, const fz_backend *base) {
  if (base->conv2d) t->conv2d = c_conv2d;
  if (base->conv2d_workspace) t->conv2d_workspace = c_conv2d_workspace;
  if (base->conv_transpose2d) t->conv_transpose2d = c_conv_transpose2d;
  if (base->conv_transpose2d_workspace) t->conv_transpose2d_workspace = c_conv_transpose2d_workspace;
  if (base->conv1d) t->conv1d = c_conv1d;
  if (base->linear) t->linear = c_linear;
  if (base->gemm_batched) t->gemm_batched = c_gemm_batched;
  if (base->gemm_segmented) t->gemm_segmented = c_gemm_segmented;
  if (base->layer_norm) t->layer_norm = c_layer_norm;
  if (base->layer_norm_channels) t->layer_norm_channels = c_layer_norm_channels;
  if (base->group_norm) t->group_norm = c_group_norm;
  if (base->batch_norm) t->batch_norm = c_batch_norm;
  if (base->rms_norm) t->rms_norm = c_rms_norm;
  if (base->modulate) t->modulate = c_modulate;
  if (base->gate_residual) t->gate_residual = c_gate_residual;
  if (base->act) t->act = c_act;
  if (base->glu) t->glu = c_glu;
  if (base->softmax) t->softmax = c_softmax;
  if (base->clamp) t->clamp = c_clamp;
  if (base->affine) t->affine = c_affine;
  if (base->binary) t->binary = c_binary;
  if (base->global_pool) t->global_pool = c_global_pool;
  if (base->attention) t->attention = c_attention;
  if (base->attention_workspace) t->attention_workspace = c_attention_workspace;
  if (base->channel_attention) t->channel_attention = c_channel_attention;
  if (base->selective_scan) t->selective_scan = c_selective_scan;
  if (base->cross_scan) t->cross_scan = c_cross_scan;
  if (base->cross_merge) t->cross_merge = c_cross_merge;
  if (base->window_partition) t->window_partition = c_window_partition;
  if (base->pixel_shuffle) t->pixel_shuffle = c_pixel_shuffle;
  if (base->patchify) t->patchify = c_patchify;
  if (base->permute) t->permute = c_permute;
  if (base->interpolate) t->interpolate = c_interpolate;
  if (base->grid_sample) t->grid_sample = c_grid_sample;
  if (base->fft2) t->fft2 = c_fft2;
  if (base->rfft2) t->rfft2 = c_rfft2;
  if (base->irfft2) t->irfft2 = c_irfft2;
  if (base->fftshift) t->fftshift = c_fftshift;
  if (base->complex_part) t->complex_part = c_complex_part;
  if (base->polar) t->polar = c_polar;
  if (base->kmeans_init) t->kmeans_init = c_kmeans_init;
  if (base->kmeans_assign) t->kmeans_assign = c_kmeans_assign;
  if (base->kmeans_update) t->kmeans_update = c_kmeans_update;
  if (base->timestep_embedding) t->timestep_embedding = c_timestep_embedding;
  if (base->fir2d) t->fir2d = c_fir2d;
  if (base->imresize) t->imresize = c_imresize;
  if (base->interp23tap) t->interp23tap = c_interp23tap;
}

void fz_count_backend_init(fz_count_backend *c, const fz_backend *base) {
  memset(c, 0, sizeof *c);
  c->tab = *base;
  c->base = base;
  if (base->lincomb) c->tab.lincomb = c_lincomb;
  if (base->randn) c->tab.randn = c_randn;
  if (base->randn_image) c->tab.randn_image = c_randn_image;
  fill(&c->tab, base);
}

void fz_count_backend_reset(fz_count_backend *c) { c->nrows = 0; }
