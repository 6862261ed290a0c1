// ops_nn.h — checked wrappers fz_op_* for the nn op family (validate shapes, then call the backend).
// Semantics follow torch.nn.functional; tensors are f32, contiguous, NCHW for images, [..., C] for tokens.
// Every wrapper checks dtypes and shapes, names the op, the operand and the expected shape in its error,
// and returns FZ_EUNSUP when the backend leaves the entry NULL. Unless stated, out must not alias inputs.
#ifndef FZ_OPS_NN_H
#define FZ_OPS_NN_H
#include <stddef.h>
#include <stdint.h>

struct fz_backend;

// Activation kinds, standalone (fz_op_act) or fused after conv / linear / norms.
// Parameters p0, p1 (PyTorch names):
//   LEAKY_RELU: p0 = negative_slope.   SOFTPLUS: p0 = beta (≠ 0), p1 = threshold (PyTorch: 1, 20).
//   GELU is the exact erf form; GELU_TANH is approximate='tanh'. The others take no parameter.
typedef enum {
  FZ_ACT_NONE = 0,
  FZ_ACT_RELU,
  FZ_ACT_LEAKY_RELU,
  FZ_ACT_GELU,
  FZ_ACT_GELU_TANH,
  FZ_ACT_SILU,
  FZ_ACT_SIGMOID,
  FZ_ACT_SOFTPLUS,
  FZ_ACT_SIN,
  FZ_ACT_TANH,
  FZ_ACT_COUNT
} fz_act;

// Name of an activation ("relu", "gelu_tanh", ...); "?" when out of range.
const char *fz_act_name(fz_act a);

// Padding modes of conv2d / conv1d (PyTorch padding_mode): zeros, reflect (no edge repeat), replicate, circular.
typedef enum { FZ_PAD_ZERO = 0, FZ_PAD_REFLECT, FZ_PAD_REPLICATE, FZ_PAD_CIRCULAR, FZ_PAD_COUNT } fz_pad_mode;

// Parameters of conv2d and conv_transpose2d. A zero stride, dilation or groups means 1, so
// (fz_conv2d_params){.pad_h = 1, .pad_w = 1} is a 3×3 'same' conv.
// Padding: pad_h rows on top, pad_h + pad_h_extra rows at the bottom (pad_h_extra may be negative down
// to -pad_h: asymmetric 'same' padding of even kernels, ONNX pads); likewise for width.
// conv_transpose2d: pad_* crop the full output (PyTorch padding), out_pad_* extend it at the end
// (output_padding); pad_mode must be zero.
// workspace / workspace_bytes: optional caller scratch (host memory for the CPU backend) of at least
// fz_op_conv2d_workspace() bytes; when NULL the kernel allocates its scratch per call.
typedef struct fz_conv2d_params {
  int stride_h, stride_w;
  int pad_h, pad_w;
  int pad_h_extra, pad_w_extra;
  int dil_h, dil_w;
  int groups;
  int out_pad_h, out_pad_w;
  fz_pad_mode pad_mode;
  fz_act act;
  float act_p0, act_p1;
  void *workspace;
  size_t workspace_bytes;
} fz_conv2d_params;

// Parameters of conv1d over [N, C, L]: pad_left / pad_right may differ (causal: pad_left = k-1,
// pad_right = 0, which equals Mamba's conv1d(padding=k-1)[..., :L]). Zero stride/dilation/groups mean 1.
typedef struct fz_conv1d_params {
  int stride, pad_left, pad_right, dil, groups;
  fz_pad_mode pad_mode;
  fz_act act;
  float act_p0, act_p1;
} fz_conv1d_params;

// Binary elementwise operators.
typedef enum { FZ_BIN_ADD = 0, FZ_BIN_SUB, FZ_BIN_MUL, FZ_BIN_DIV, FZ_BIN_MAX, FZ_BIN_MIN, FZ_BIN_COUNT } fz_binop;

// Where the channel axis is for per-(batch, channel) ops: NCHW-like (dim 1) or tokens [B, ..., C] (last dim).
typedef enum { FZ_LAYOUT_NCHW = 0, FZ_LAYOUT_NLC = 1 } fz_layout;

// Pooling reductions.
typedef enum { FZ_POOL_AVG = 0, FZ_POOL_MAX = 1 } fz_pool;

// ---- convolutions --------------------------------------------------------------------------------
// out[N,Cout,Ho,Wo] = act(conv2d(x[N,Cin,H,W], w[Cout,Cin/groups,kh,kw]) + bias[Cout]); bias may be NULL.
// Ho = (H + 2·pad_h + pad_h_extra - dil_h·(kh-1) - 1) / stride_h + 1 (likewise Wo).
int fz_op_conv2d(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                 const fz_tensor *bias, const fz_conv2d_params *p, fz_err *err);
// Bytes of scratch conv2d needs for these shapes on be (0 when none); *bytes is set on success.
int fz_op_conv2d_workspace(const struct fz_backend *be, const int64_t x_shape[4], const int64_t w_shape[4],
                           const fz_conv2d_params *p, size_t *bytes, fz_err *err);
// Output height/width of conv2d for input h, w and kernel kh, kw; -1 in *ho/*wo when not positive.
void fz_conv2d_out_size(const fz_conv2d_params *p, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t *ho, int64_t *wo);
// out[N,Cout,Ho,Wo] = act(conv_transpose2d(x[N,Cin,H,W], w[Cin,Cout/groups,kh,kw]) + bias[Cout]).
// Ho = (H-1)·stride_h - 2·pad_h - pad_h_extra + dil_h·(kh-1) + out_pad_h + 1 (likewise Wo).
int fz_op_conv_transpose2d(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                           const fz_tensor *bias, const fz_conv2d_params *p, fz_err *err);
// Bytes of scratch conv_transpose2d needs for these shapes on be.
int fz_op_conv_transpose2d_workspace(const struct fz_backend *be, const int64_t x_shape[4], const int64_t w_shape[4],
                                     const fz_conv2d_params *p, size_t *bytes, fz_err *err);
// Output height/width of conv_transpose2d.
void fz_conv_transpose2d_out_size(const fz_conv2d_params *p, int64_t h, int64_t w, int64_t kh, int64_t kw,
                                  int64_t *ho, int64_t *wo);
// out[N,Cout,Lo] = act(conv1d(x[N,Cin,L], w[Cout,Cin/groups,k]) + bias[Cout]);
// Lo = (L + pad_left + pad_right - dil·(k-1) - 1) / stride + 1.
int fz_op_conv1d(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                 const fz_tensor *bias, const fz_conv1d_params *p, fz_err *err);

// ---- GEMM ----------------------------------------------------------------------------------------
// PyTorch linear: out[..., N] = act(x[..., K] · w[N, K]ᵀ + bias[N]); bias may be NULL.
int fz_op_linear(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                 const fz_tensor *bias, fz_act act, float act_p0, float act_p1, fz_err *err);
// out[M,N] = alpha · op(a) · op(b) + beta · out, op(t) = t or tᵀ (trans_a: a is [K,M]; trans_b: b is [N,K]).
// With beta = 0 out is not read (NaNs in it do not propagate).
int fz_op_gemm(const struct fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b,
               int trans_a, int trans_b, float alpha, float beta, fz_err *err);
// Batched: out[B..,M,N] = alpha · op(a[b]) · op(b[b]) + beta · out[b]. a and b have the same leading
// (batch) dims as out, or all-ones leading dims (or none: a 2-D operand), which broadcast.
int fz_op_gemm_batched(const struct fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b,
                       int trans_a, int trans_b, float alpha, float beta, fz_err *err);
// Segmented GEMM (CANConv): out[r,:] = x[r,:] · w[idx[r]] + bias[idx[r]] for rows r < R;
// x [R,K], w [G,K,N], bias [G,N] or NULL, idx [R] i32 with values in [0,G) (checked by the kernel).
int fz_op_gemm_segmented(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                         const fz_tensor *bias, const fz_tensor *idx, fz_err *err);

// ---- normalisation -------------------------------------------------------------------------------
// LayerNorm over the last dim C: out = (x-mean)/sqrt(var+eps)·gamma + beta, biased variance.
// gamma, beta [C] or NULL (no affine). out may alias x.
int fz_op_layer_norm(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                     const fz_tensor *beta, float eps, fz_err *err);
// LayerNorm over channels at each pixel of x[N,C,H,W] (Restormer/NAFNet LayerNorm2d); gamma, beta [C] or NULL.
int fz_op_layer_norm_channels(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x,
                              const fz_tensor *gamma, const fz_tensor *beta, float eps, fz_err *err);
// GroupNorm: x[N,C,*] in `groups` groups of C/groups channels; gamma, beta [C] or NULL; then act.
int fz_op_group_norm(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int groups,
                     const fz_tensor *gamma, const fz_tensor *beta, float eps, fz_act act, float act_p0,
                     fz_err *err);
// BatchNorm (inference): out = (x-mean[c])/sqrt(var[c]+eps)·gamma[c] + beta[c] on x[N,C,*], then act.
// gamma, beta may be NULL.
int fz_op_batch_norm(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *mean,
                     const fz_tensor *var, const fz_tensor *gamma, const fz_tensor *beta, float eps,
                     fz_act act, float act_p0, fz_err *err);
// RMSNorm over the last dim: out = x / sqrt(mean(x²)+eps) · gamma; gamma [C] or NULL.
int fz_op_rms_norm(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *gamma,
                   float eps, fz_err *err);
// adaLN modulate: out = x·(1+scale[b,c]) + shift[b,c]; x [B,C,*] (NCHW) or [B,*,C] (NLC);
// shift, scale [B,C] (either may be NULL). out may alias x.
int fz_op_modulate(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *shift,
                   const fz_tensor *scale, fz_layout layout, fz_err *err);
// Gated residual: out = residual + gate[b,c]·y; residual, y same shape [B,C,*] or [B,*,C]; gate [B,C]
// or NULL (plain sum). out may alias residual or y.
int fz_op_gate_residual(const struct fz_backend *be, fz_tensor *out, const fz_tensor *residual,
                        const fz_tensor *gate, const fz_tensor *y, fz_layout layout, fz_err *err);

// ---- activations, softmax, elementwise, pooling --------------------------------------------------
// out = act(x) elementwise (same shape; out may alias x).
int fz_op_act(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_act act, float p0, float p1,
              fz_err *err);
// Gate: split x in two halves a, b along dim (negative counts from the end) and out = a · act(b).
// SimpleGate (NAFNet) is dim 1, FZ_ACT_NONE; GEGLU is dim -1, FZ_ACT_GELU. out has half of x's dim.
int fz_op_glu(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int dim, fz_act act, float p0,
              fz_err *err);
// Numerically stable softmax along dim (negative counts from the end). out may alias x.
int fz_op_softmax(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int dim, fz_err *err);
// out = min(max(x, lo), hi) (torch.clamp; NaN stays NaN). out may alias x.
int fz_op_clamp(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, float lo, float hi, fz_err *err);
// out = x·mul + add elementwise. out may alias x.
int fz_op_affine(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, float mul, float add, fz_err *err);
// out = a op b with NumPy/PyTorch broadcasting (shapes right-aligned, dims equal or 1): b may be full,
// [C,1,1] / [1,C,1,1] (per channel of NCHW), [N,C,1,1], [C] (last dim), [1] (scalar); likewise a.
// out has the broadcast shape and may alias a or b when it has that operand's shape.
int fz_op_binary(const struct fz_backend *be, fz_tensor *out, const fz_tensor *a, const fz_tensor *b, fz_binop op,
                 fz_err *err);
// Global pooling: out[N,C,1,1] (or [N,C]) = mean or max of x[N,C,H,W] over H·W.
int fz_op_global_pool(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_pool mode, fz_err *err);

#endif
