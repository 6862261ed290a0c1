// cuda_ops.h — the CUDA backend's op entries (one .cu file per family; fill_cuda.cu puts them in the
// table). Each fz_cuda_<op> implements the backend entry <op> with its signature, shapes and semantics as
// documented in runtime/backend.h and runtime/backend_ops_{nn,seq,fir}.inc (the fz_op_* wrappers have
// validated every shape before it is called); the kernel design of each is described in its .cu file.
#ifndef FZ_CUDA_OPS_H
#define FZ_CUDA_OPS_H
#include "fz_cuda.h"

// random.cu: lincomb, Philox normals bit-identical to the CPU backend.
int fz_cuda_lincomb(const fz_backend *be, fz_tensor *out, int n, const float *coef, const fz_tensor *const *xs, fz_err *err);
int fz_cuda_randn(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream, uint64_t offset, fz_err *err);
int fz_cuda_randn_image(const fz_backend *be, fz_tensor *out, uint64_t seed, uint64_t stream_base, int64_t y0, int64_t x0,
                        int64_t global_w, fz_err *err);

// elementwise.cu
int fz_cuda_act(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int act, float p0, float p1, fz_err *err);
int fz_cuda_glu(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t half, int64_t inner, int act,
                float p0, fz_err *err);
int fz_cuda_clamp(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float lo, float hi, fz_err *err);
int fz_cuda_affine(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float mul, float add, fz_err *err);
int fz_cuda_binary(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, int ndim,
                   const int64_t *a_shape, const int64_t *b_shape, int op, fz_err *err);
int fz_cuda_modulate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *shift, const fz_tensor *scale,
                     int layout, fz_err *err);
int fz_cuda_gate_residual(const fz_backend *be, fz_tensor *out, const fz_tensor *residual, const fz_tensor *gate,
                          const fz_tensor *y, int layout, fz_err *err);

// softmax.cu
int fz_cuda_softmax(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t len, int64_t inner,
                    fz_err *err);

// norm.cu
int fz_cuda_layer_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, const fz_tensor *beta,
                       float eps, fz_err *err);
int fz_cuda_layer_norm_channels(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                                const fz_tensor *beta, float eps, fz_err *err);
int fz_cuda_group_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int groups, const fz_tensor *gamma,
                       const fz_tensor *beta, float eps, int act, float act_p0, fz_err *err);
int fz_cuda_batch_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *mean, const fz_tensor *var,
                       const fz_tensor *gamma, const fz_tensor *beta, float eps, int act, float act_p0, fz_err *err);
int fz_cuda_rms_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, float eps, fz_err *err);
int fz_cuda_global_pool(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t planes, int64_t hw, int mode,
                        fz_err *err);

// gemm.cu
int fz_cuda_linear(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias, int act,
                   float act_p0, float act_p1, fz_err *err);
int fz_cuda_gemm_batched(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *bm, int64_t batch,
                         int64_t a_batch, int64_t b_batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                         float alpha, float beta, fz_err *err);
// The same on the hand-written tiled kernel (k_sgemm) instead of cuBLAS.
int fz_cuda_gemm_batched_tiled(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *bm, int64_t batch,
                               int64_t a_batch, int64_t b_batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                               float alpha, float beta, fz_err *err);
int fz_cuda_gemm_segmented(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                           const fz_tensor *idx, fz_err *err);

// conv.cu
int fz_cuda_conv2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                   const void *p, fz_err *err);
size_t fz_cuda_conv2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p);
int fz_cuda_conv_transpose2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                             const fz_tensor *bias, const void *p, fz_err *err);
size_t fz_cuda_conv_transpose2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p);
int fz_cuda_conv1d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                   const void *p, fz_err *err);

// layout.cu (seq family: pure index maps)
int fz_cuda_permute(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const int *perm, fz_err *err);
int fz_cuda_pixel_shuffle(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int r, int inverse, fz_err *err);
int fz_cuda_patchify(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int p, int order, int inverse, fz_err *err);
int fz_cuda_cross_scan(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t B, int64_t C, int64_t H, int64_t W,
                       int channels_last, fz_err *err);
int fz_cuda_cross_merge(const fz_backend *be, fz_tensor *out, const fz_tensor *y, int64_t B, int64_t C, int64_t H, int64_t W,
                        int channels_last, fz_err *err);
int fz_cuda_window_partition(const fz_backend *be, fz_tensor *dst, const fz_tensor *src, int64_t B, int64_t C, int64_t H,
                             int64_t W, int wh, int ww, int channels_last, int reverse, fz_err *err);

// attention.cu
int fz_cuda_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                      const fz_tensor *v_first, int heads, int layout, float scale, int causal, float v_lambda, void *ws,
                      size_t ws_bytes, fz_err *err);
size_t fz_cuda_attention_workspace(const fz_backend *be, int64_t d, int64_t dv);
int fz_cuda_channel_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k,
                              const fz_tensor *v, const fz_tensor *temperature, int heads, int layout, int normalize,
                              float scale, int transpose_attn, fz_err *err);

// scan.cu
int fz_cuda_selective_scan(const fz_backend *be, fz_tensor *out, fz_tensor *state_out, const fz_tensor *u,
                           const fz_tensor *delta, const fz_tensor *A, const fz_tensor *Bm, const fz_tensor *Cm,
                           const fz_tensor *Dskip, const fz_tensor *z, const fz_tensor *delta_bias,
                           const fz_tensor *state_in, int delta_softplus, fz_err *err);

// resample.cu
int fz_cuda_interpolate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int mode, int align_corners, double scale_h,
                        double scale_w, fz_err *err);
int fz_cuda_grid_sample(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *grid, int mode, int pad,
                        int align_corners, fz_err *err);
int fz_cuda_timestep_embedding(const fz_backend *be, fz_tensor *out, const fz_tensor *t, int sin_first, float freq_shift,
                               float scale, float max_period, fz_err *err);

// kmeans.cu
int fz_cuda_kmeans_init(const fz_backend *be, fz_tensor *centroids, fz_tensor *chosen, const fz_tensor *x, int64_t Bt,
                        int64_t N, int64_t D, int64_t K, uint64_t seed, uint64_t stream, fz_err *err);
int fz_cuda_kmeans_assign(const fz_backend *be, fz_tensor *assign, const fz_tensor *x, const fz_tensor *centroids, int64_t Bt,
                          int64_t N, int64_t D, int64_t K, int64_t *changed, fz_err *err);
int fz_cuda_kmeans_update(const fz_backend *be, fz_tensor *centroids, fz_tensor *counts, const fz_tensor *x,
                          const fz_tensor *assign, int64_t Bt, int64_t N, int64_t D, int64_t K, fz_err *err);

// fft.cu
int fz_cuda_fft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int x_real,
                 int inverse, fz_err *err);
int fz_cuda_rfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err);
int fz_cuda_irfft2(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, fz_err *err);
int fz_cuda_fftshift(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t P, int64_t H, int64_t W, int elem,
                     int inverse, fz_err *err);
int fz_cuda_complex_part(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int part, fz_err *err);
int fz_cuda_polar(const fz_backend *be, fz_tensor *out, const fz_tensor *mag, const fz_tensor *phase, fz_err *err);
#endif
