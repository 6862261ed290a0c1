// cpu_seq.h — CPU kernels of the seq op family (one .c file per op family); fill_seq.c puts them into the
// backend table. Signatures are the backend entries of runtime/backend_ops_seq.inc; shapes were checked by
// the fz_op_* wrappers of runtime/ops_seq.c.
#ifndef FZ_CPU_SEQ_H
#define FZ_CPU_SEQ_H
#include "cpu_ops.h"

// attention.c: flash-style multi-head attention (tiles of 64 queries × 64 keys, online softmax).
int fz_cpu_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                     const fz_tensor *v_first, int heads, int layout, float scale, int causal, float v_lambda,
                     void *ws, size_t ws_bytes, fz_err *err);
// Scratch bytes of fz_cpu_attention for head dim d and value dim dv: per thread O(64·(d + dv) + 64·64) floats.
size_t fz_cpu_attention_workspace(const fz_backend *be, int64_t d, int64_t dv);
// channel_attention.c: d×d attention (Restormer / SSDiff spectral map).
int fz_cpu_channel_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k,
                             const fz_tensor *v, const fz_tensor *temperature, int heads, int layout, int normalize,
                             float scale, int transpose_attn, fz_err *err);
// selective_scan.c: Mamba v1 selective scan, 16 channels per vector, fp32 state.
int fz_cpu_selective_scan(const fz_backend *be, fz_tensor *out, fz_tensor *state_out, const fz_tensor *u,
                          const fz_tensor *delta, const fz_tensor *A, const fz_tensor *Bm, const fz_tensor *Cm,
                          const fz_tensor *Dskip, const fz_tensor *z, const fz_tensor *delta_bias,
                          const fz_tensor *state_in, int delta_softplus, fz_err *err);
// cross_scan.c: VMamba 4-direction cross-scan / cross-merge and Swin window partition / reverse.
int fz_cpu_cross_scan(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t B, int64_t C, int64_t H,
                      int64_t W, int channels_last, fz_err *err);
int fz_cpu_cross_merge(const fz_backend *be, fz_tensor *out, const fz_tensor *y, int64_t B, int64_t C, int64_t H,
                       int64_t W, int channels_last, fz_err *err);
int fz_cpu_window_partition(const fz_backend *be, fz_tensor *dst, const fz_tensor *src, int64_t B, int64_t C,
                            int64_t H, int64_t W, int wh, int ww, int channels_last, int reverse, fz_err *err);
// layout.c: pixel (un)shuffle, (un)patchify, permute.
int fz_cpu_pixel_shuffle(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int r, int inverse, fz_err *err);
int fz_cpu_patchify(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int p, int order, int inverse,
                    fz_err *err);
int fz_cpu_permute(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const int *perm, fz_err *err);
// resample.c: F.interpolate nearest / bilinear / bicubic.
int fz_cpu_interpolate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int mode, int align_corners,
                       double scale_h, double scale_w, fz_err *err);
// grid_sample.c: F.grid_sample (nearest, bilinear; zeros, border).
int fz_cpu_grid_sample(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *grid, int mode,
                       int pad, int align_corners, fz_err *err);
// fft.c: FFTW transforms, shifts and complex helpers.
int fz_cpu_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real,
                int inverse, fz_err *err);
int fz_cpu_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err);
int fz_cpu_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W,
                  fz_err *err);
int fz_cpu_fftshift(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int elem,
                    int inverse, fz_err *err);
int fz_cpu_complex_part(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int part, fz_err *err);
int fz_cpu_polar(const fz_backend *be, fz_tensor *out, const fz_tensor *mag, const fz_tensor *phase, fz_err *err);
// kmeans.c: k-means++ seeding, assignment and update steps.
int fz_cpu_kmeans_init(const fz_backend *be, fz_tensor *centroids, fz_tensor *chosen, const fz_tensor *x, int64_t Bt,
                       int64_t N, int64_t D, int64_t K, uint64_t seed, uint64_t stream, fz_err *err);
int fz_cpu_kmeans_assign(const fz_backend *be, fz_tensor *assign, const fz_tensor *x, const fz_tensor *centroids,
                         int64_t Bt, int64_t N, int64_t D, int64_t K, int64_t *changed, fz_err *err);
int fz_cpu_kmeans_update(const fz_backend *be, fz_tensor *centroids, fz_tensor *counts, const fz_tensor *x,
                         const fz_tensor *assign, int64_t Bt, int64_t N, int64_t D, int64_t K, fz_err *err);
// embedding.c: sinusoidal timestep embedding.
int fz_cpu_timestep_embedding(const fz_backend *be, fz_tensor *out, const fz_tensor *t, int sin_first,
                              float freq_shift, float scale, float max_period, fz_err *err);
#endif
