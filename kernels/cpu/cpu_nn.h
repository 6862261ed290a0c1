// cpu_nn.h — CPU kernels of the nn op family (conv, GEMM, norms, activations, softmax, elementwise,
// pooling) and the helpers they share. The entries match runtime/backend_ops_nn.inc; fill_nn.c puts
// them in the table. Inputs have been validated by the fz_op_* wrappers (runtime/ops_nn.c).
#ifndef FZ_CPU_NN_H
#define FZ_CPU_NN_H
#include <stddef.h>
#include <stdint.h>
#include "cpu_ops.h"

// ---- GEMM helpers (gemm.c) -------------------------------------------------------------------------
// Single-threaded row-major C[m,n] = alpha·op(A)·op(B) + beta·C (op = transpose when trans_*);
// OpenBLAS sgemm when built with it (which fill_nn.c sets to one thread: fusor threads with OpenMP),
// otherwise a plain blocked loop. beta = 0 ignores C's old contents.
void fz_cpu_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
// Makes OpenBLAS (when present) single-threaded, so calls from OpenMP threads do not oversubscribe.
void fz_cpu_blas_init(void);
// Adds bias[r] (when non-NULL, per row r < rows; or per column when bias_per_col) and applies act to
// a rows×cols block with row stride ld.
void fz_cpu_bias_act_block(float *c, int64_t rows, int64_t cols, int64_t ld, const float *bias, int bias_per_col,
                           int act, float p0, float p1);

// ---- entries ---------------------------------------------------------------------------------------
int fz_cpu_conv2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                  const void *p, fz_err *err);
size_t fz_cpu_conv2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p);
int fz_cpu_conv_transpose2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                            const fz_tensor *bias, const void *p, fz_err *err);
size_t fz_cpu_conv_transpose2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape,
                                         const void *p);
int fz_cpu_conv1d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                  const void *p, fz_err *err);
int fz_cpu_linear(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                  int act, float act_p0, float act_p1, fz_err *err);
int fz_cpu_gemm_batched(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *bm, int64_t batch,
                        int64_t a_batch, int64_t b_batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                        float alpha, float beta, fz_err *err);
int fz_cpu_gemm_segmented(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                          const fz_tensor *bias, const fz_tensor *idx, fz_err *err);
int fz_cpu_layer_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                      const fz_tensor *beta, float eps, fz_err *err);
int fz_cpu_layer_norm_channels(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                               const fz_tensor *beta, float eps, fz_err *err);
int fz_cpu_group_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int groups, const fz_tensor *gamma,
                      const fz_tensor *beta, float eps, int act, float act_p0, fz_err *err);
int fz_cpu_batch_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *mean,
                      const fz_tensor *var, const fz_tensor *gamma, const fz_tensor *beta, float eps, int act,
                      float act_p0, fz_err *err);
int fz_cpu_rms_norm(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma, float eps,
                    fz_err *err);
int fz_cpu_modulate(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *shift,
                    const fz_tensor *scale, int layout, fz_err *err);
int fz_cpu_gate_residual(const fz_backend *be, fz_tensor *out, const fz_tensor *residual, const fz_tensor *gate,
                         const fz_tensor *y, int layout, fz_err *err);
int fz_cpu_act(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int act, float p0, float p1, fz_err *err);
int fz_cpu_glu(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t half, int64_t inner,
               int act, float p0, fz_err *err);
int fz_cpu_softmax(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t outer, int64_t len, int64_t inner,
                   fz_err *err);
int fz_cpu_clamp(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float lo, float hi, fz_err *err);
int fz_cpu_affine(const fz_backend *be, fz_tensor *out, const fz_tensor *x, float mul, float add, fz_err *err);
int fz_cpu_binary(const fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, int ndim,
                  const int64_t *a_shape, const int64_t *b_shape, int op, fz_err *err);
int fz_cpu_global_pool(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t planes, int64_t hw, int mode,
                       fz_err *err);

// Elements below which elementwise kernels stay on one thread (OpenMP start-up costs more than the work).
#define FZ_NN_PAR_MIN 32768
#endif
