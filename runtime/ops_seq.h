// ops_seq.h — the seq op family: attention, Mamba selective scan, cross-scan and windows, layout ops,
// PyTorch resampling and grid_sample, FFT, k-means, timestep embeddings.
// Semantics follow PyTorch (torch.nn.functional, torch.fft) and mamba_ssm's selective_scan_ref. Tensors are
// f32 (i32 where stated), contiguous, row-major. Every wrapper (runtime/ops_seq.c) checks dtypes and shapes,
// names the op, the operand and the expected shape in its error, and returns FZ_EUNSUP when the backend
// leaves the entry NULL. Unless stated, out must not alias an input.
// Complex numbers are interleaved (re, im) f32 pairs: a complex [.., H, W] tensor is an f32 [.., H, W, 2].
#ifndef FZ_OPS_SEQ_H
#define FZ_OPS_SEQ_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "tensor.h"

struct fz_backend;

// ---- attention -----------------------------------------------------------------------------------
// Where (batch, head, token, channel) live:
//   FZ_ATTN_BHND  [B, heads, N, d]      (PyTorch SDPA layout)
//   FZ_ATTN_BNHD  [B, N, heads·d]       (tokens; head h owns channels h·d .. h·d+d-1)
//   FZ_ATTN_BHDN  [B, heads, d, N]      (channels first: a plain view of NCHW with C = heads·d, N = H·W;
//                                        channel attention only)
typedef enum { FZ_ATTN_BHND = 0, FZ_ATTN_BNHD = 1, FZ_ATTN_BHDN = 2 } fz_attn_layout;

// Parameters of fz_op_attention (softmax(scale·q·kᵀ)·v per batch and head).
//   heads: number of heads (required for FZ_ATTN_BNHD; for BHND 0 or equal to shape[1]).
//   scale: 0 means 1/sqrt(d) (PyTorch default).
//   causal: 1 masks key j > query i (top-left aligned, PyTorch is_causal); default 0.
//   v_lambda: with a v_first tensor the values are v' = v_lambda·v + (1 − v_lambda)·v_first (MMAIF value
//             residual); ignored without v_first.
//   workspace / workspace_bytes: optional scratch (backend memory) of at least fz_op_attention_workspace()
//             bytes; when NULL the kernel allocates that scratch per call. Its size is O(tile·d) per thread,
//             never O(N²): no N×N score matrix exists at any time (tiled online softmax, flash-style).
typedef struct fz_attn_params {
  int heads;
  fz_attn_layout layout;
  float scale;
  int causal;
  float v_lambda;
  void *workspace;
  size_t workspace_bytes;
} fz_attn_params;

// Multi-head scaled dot-product attention: out = softmax(scale·q·kᵀ [+ causal mask])·v per (b, head).
// q [B,H,Nq,d], k [B,H,Nk,d], v and v_first [B,H,Nk,dv], out [B,H,Nq,dv] (FZ_ATTN_BHND), or the
// [B,N,H·d] token forms (FZ_ATTN_BNHD). v_first may be NULL. SSDiff's dense spatial attention over the
// H·W pixels of an image is this op with N = H·W and scale 1/sqrt(dim_head).
int fz_op_attention(const struct fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k,
                    const fz_tensor *v, const fz_tensor *v_first, const fz_attn_params *p, fz_err *err);
// Bytes of scratch fz_op_attention needs on be for these q/k/v shapes (only the headers are read).
int fz_op_attention_workspace(const struct fz_backend *be, const fz_tensor *q, const fz_tensor *k,
                              const fz_tensor *v, const fz_attn_params *p, size_t *bytes, fz_err *err);

// Parameters of channel ("transposed", d×d) attention (Restormer MDTA, SSDiff spectral map).
//   normalize: 1 L2-normalises q and k over the N tokens of each channel first (F.normalize, eps 1e-12).
//   scale: multiplies the d×d logits (0 means 1); temperature [heads] (optional tensor) multiplies too.
//   transpose_attn: 0: out[n,i] = Σ_j A[i,j]·v[n,j] (Restormer: attn @ v);
//                   1: out[n,j] = Σ_i v[n,i]·A[i,j]  (SSDiff: y1 · S).
typedef struct fz_chattn_params {
  int heads;
  fz_attn_layout layout;
  int normalize;
  float scale;
  int transpose_attn;
} fz_chattn_params;

// Channel attention per (b, head): A = softmax_j(scale·temperature[h]·Σ_n q̂[n,i]·k̂[n,j]) (d×d), then
// out = A applied to v as transpose_attn says. q, k, v, out share one shape in layout p->layout
// (any of the three). temperature may be NULL.
int fz_op_channel_attention(const struct fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k,
                            const fz_tensor *v, const fz_tensor *temperature, const fz_chattn_params *p,
                            fz_err *err);

// ---- Mamba selective scan ------------------------------------------------------------------------
// Inputs of fz_op_selective_scan (mamba_ssm selective_scan_ref, real A):
//   u, delta [B,D,L]; A [D,N]; Bm, Cm [B,N,L] or [B,G,N,L] (channel d uses group d / (D/G));
//   Dskip [D] or NULL; z [B,D,L] or NULL; delta_bias [D] or NULL; state_in [B,D,N] or NULL (zeros).
//   delta_softplus: Δ = softplus(delta + delta_bias) (log1p(exp(x)) for x ≤ 20, else x); otherwise
//   Δ = delta + delta_bias.
typedef struct fz_scan_inputs {
  const fz_tensor *u, *delta, *A, *Bm, *Cm, *Dskip, *z, *delta_bias, *state_in;
  int delta_softplus;
} fz_scan_inputs;

// Selective scan with fp32 state: h_l = exp(Δ_l·A)⊙h_{l-1} + Δ_l·B_l·u_l, y_l = Σ_n C_l[n]·h_l[n] + D·u_l,
// y_l *= SiLU(z_l) when z is given. out [B,D,L]; state_out [B,D,N] (final h_L) may be NULL.
int fz_op_selective_scan(const struct fz_backend *be, fz_tensor *out, fz_tensor *state_out,
                         const fz_scan_inputs *in, fz_err *err);

// VMamba cross-scan of an H×W grid into 4 sequences of L = H·W tokens:
//   k = 0 row-major, 1 column-major (transposed), 2 row-major reversed, 3 column-major reversed.
// x [B,C,H,W] (channels_last = 0) or [B,H,W,C] (channels_last = 1); out [B,4,C,L] (the [B,4·C,L] input
// of a selective scan over K·C channels is the same memory and is accepted as well).
int fz_op_cross_scan(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int channels_last, fz_err *err);
// Cross-merge (the adjoint of cross-scan): out[b,c,y,x] = Σ_k y_k at the position pixel (y,x) had in
// sequence k. y [B,4,C,L] or [B,4·C,L]; out [B,C,H,W] or [B,H,W,C] (channels_last).
int fz_op_cross_merge(const struct fz_backend *be, fz_tensor *out, const fz_tensor *y, int channels_last, fz_err *err);

// Swin window partition: x [B,H,W,C] (channels_last) -> out [B·(H/wh)·(W/ww), wh, ww, C], or
// x [B,C,H,W] -> out [B·nW, C, wh, ww]; window index = b·nh·nw + iy·nw + ix. H, W divisible by wh, ww.
int fz_op_window_partition(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int wh, int ww,
                           int channels_last, fz_err *err);
// Inverse of fz_op_window_partition: windows -> out [B,H,W,C] or [B,C,H,W] (out's shape gives B, H, W).
int fz_op_window_reverse(const struct fz_backend *be, fz_tensor *out, const fz_tensor *windows, int wh, int ww,
                         int channels_last, fz_err *err);

// ---- layout --------------------------------------------------------------------------------------
// PixelShuffle(r): x [N, C·r², H, W] -> out [N, C, H·r, W·r], out[n,c,h·r+i,w·r+j] = x[n,c·r²+i·r+j,h,w].
// inverse = 1 is PixelUnshuffle(r) (out [N, C·r², H, W] from x [N, C, H·r, W·r]).
int fz_op_pixel_shuffle(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int r, int inverse, fz_err *err);

// Feature order inside a patch token: FZ_PATCH_PQC: f = (py·p + px)·C + c (DiT unpatchify, ViT
// rearrange "(p1 p2 c)"); FZ_PATCH_CPQ: f = (c·p + py)·p + px (conv-weight / unfold order).
typedef enum { FZ_PATCH_PQC = 0, FZ_PATCH_CPQ = 1 } fz_patch_order;
// Patchify: x [N,C,H,W] -> tokens [N, (H/p)·(W/p), p·p·C], token t = ty·(W/p) + tx. inverse = 1 is
// DiT's unpatchify (tokens -> image; out gives C, H, W). H, W divisible by p.
int fz_op_patchify(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int p, fz_patch_order order,
                   int inverse, fz_err *err);

// torch.permute(...).contiguous(): out.shape[i] = x.shape[perm[i]] for i < x->ndim. NCHW -> NHWC is
// perm {0,2,3,1}; NHWC -> NCHW is {0,3,1,2}. x and out are f32 or i32 (same dtype).
int fz_op_permute(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const int *perm, fz_err *err);

// ---- resampling (F.interpolate, F.grid_sample) ---------------------------------------------------
typedef enum { FZ_INTERP_NEAREST = 0, FZ_INTERP_BILINEAR = 1, FZ_INTERP_BICUBIC = 2 } fz_interp_mode;
// F.interpolate over the last two dims: x [.., H, W] -> out [.., Ho, Wo] (out's shape gives the size;
// leading dims must match). nearest is PyTorch 'nearest' (src = floor(dst·scale)); bilinear and bicubic
// (A = −0.75, border taps clamped) honour align_corners (ignored for nearest). scale_h / scale_w are
// PyTorch's scale_factor when the caller has one (recompute_scale_factor False): coordinates then use
// 1/scale_factor instead of in/out; 0 means "size given" (in/out). No antialiasing.
int fz_op_interpolate(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_interp_mode mode,
                      int align_corners, double scale_h, double scale_w, fz_err *err);

typedef enum { FZ_GRID_PAD_ZEROS = 0, FZ_GRID_PAD_BORDER = 1 } fz_grid_pad;
// F.grid_sample 2-D: x [N,C,H,W], grid [N,Ho,Wo,2] holding (x, y) in [-1, 1] -> out [N,C,Ho,Wo].
// mode FZ_INTERP_NEAREST (round half to even, as PyTorch) or FZ_INTERP_BILINEAR.
int fz_op_grid_sample(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *grid,
                      fz_interp_mode mode, fz_grid_pad pad, int align_corners, fz_err *err);

// ---- FFT (FFTW on the CPU), torch.fft semantics with norm="backward" -------------------------------
// 2-D DFT over the last two dims. out complex [.., H, W, 2]; x complex [.., H, W, 2] or real [.., H, W]
// (told apart by ndim: a real x has one dim fewer than out). inverse = 1 is ifft2 (scaled by 1/(H·W)).
int fz_op_fft2(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int inverse, fz_err *err);
// rfft2: real x [.., H, W] -> out complex [.., H, W/2+1, 2].
int fz_op_rfft2(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_err *err);
// irfft2: complex x [.., H, W/2+1, 2] -> real out [.., H, W] (W from out, as torch's s=), scaled by 1/(H·W).
// The imaginary parts of the self-conjugate bins are ignored, as in FFTW/PocketFFT.
int fz_op_irfft2(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_err *err);
// torch.fft.fftshift (inverse = 0) / ifftshift (1) over the last two spatial dims: the last two dims of a
// real tensor, or the two before the trailing 2 when is_complex. out has x's shape.
int fz_op_fftshift(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, int is_complex, int inverse,
                   fz_err *err);
typedef enum { FZ_COMPLEX_ABS = 0, FZ_COMPLEX_ANGLE = 1, FZ_COMPLEX_REAL = 2, FZ_COMPLEX_IMAG = 3 } fz_complex_part;
// out[..] = |z|, atan2(im, re), re or im of complex x [.., 2].
int fz_op_complex_part(const struct fz_backend *be, fz_tensor *out, const fz_tensor *x, fz_complex_part part,
                       fz_err *err);
// torch.polar: out [.., 2] = (mag·cos(phase), mag·sin(phase)); mag and phase share one shape.
int fz_op_polar(const struct fz_backend *be, fz_tensor *out, const fz_tensor *mag, const fz_tensor *phase, fz_err *err);

// ---- k-means (CANConv) -----------------------------------------------------------------------------
// Points x [N,D] or [B,N,D]; centroids [K,D] or [B,K,D]; assignments [N] or [B,N] i32; counts [K] or [B,K] i32.
// Distances are squared L2, ties go to the lowest centroid index.

// k-means++ seeding (Arthur & Vassilvitskii 2007) of image b from the f32 uniforms u_j of
// fz_philox_fill_uniform(seed, stream + b, index j): centroid 0 is point floor(u_0·N); centroid j ≥ 1 is the
// first point i with D²(x_i) > 0 whose running sum of D² exceeds u_j·ΣD², where D² is the f32 squared distance
// to the nearest chosen centroid and the sums run in double over blocks of 4096 points in order (block sums
// first, then point by point inside the block that holds the target; so the result does not depend on the
// thread count). When ΣD² is 0 (fewer distinct points than K) the point floor(u_j·N) is taken.
// chosen [K] / [B,K] i32 receives the point indices (may be NULL).
int fz_op_kmeans_init(const struct fz_backend *be, fz_tensor *centroids, fz_tensor *chosen, const fz_tensor *x,
                      uint64_t seed, uint64_t stream, fz_err *err);
// Assignment step: assign[i] = argmin_k |x_i − c_k|². When changed is not NULL, *changed receives the number of
// entries that differ from what assign held before the call (summed over the batch).
int fz_op_kmeans_assign(const struct fz_backend *be, fz_tensor *assign, const fz_tensor *x, const fz_tensor *centroids,
                        int64_t *changed, fz_err *err);
// Update step: c_k = mean of the points assigned to k (sums in double). An empty cluster keeps its
// previous centroid. counts (may be NULL) receives the cluster sizes. Checks that every assignment is in [0, K).
int fz_op_kmeans_update(const struct fz_backend *be, fz_tensor *centroids, fz_tensor *counts, const fz_tensor *x,
                        const fz_tensor *assign, fz_err *err);

// Parameters of the full k-means: seed (kmcuda/CANConv use 42), tol = the fraction of reassigned points at or
// below which it stops (CANConv 0.01), max_iter = assignment steps at most (0 means 300).
typedef struct fz_kmeans_params {
  uint64_t seed;
  double tol;
  int max_iter;
} fz_kmeans_params;
// Lloyd's k-means from k-means++ seeding, per image of the batch (stream = b): repeat { assign; stop when
// reassigned/N ≤ tol or max_iter assignment steps were made; update }. The first assignment counts every
// point as reassigned. On return assignments are the nearest centroids of the returned centroids; *iters
// (may be NULL) receives the largest number of assignment steps over the batch.
int fz_op_kmeans(const struct fz_backend *be, fz_tensor *centroids, fz_tensor *assign, const fz_tensor *x,
                 const fz_kmeans_params *p, int *iters, fz_err *err);

// ---- sinusoidal timestep embedding -----------------------------------------------------------------
// Parameters: freq_i = exp(−ln(max_period)·i/(half − freq_shift)), i < half = dim/2, arg = scale·t·freq_i;
// out = [cos(arg), sin(arg)], or [sin(arg), cos(arg)] when sin_first; an odd dim gets a trailing zero column.
// The zero struct is guided-diffusion's timestep_embedding (cos first, no shift, max_period 10000), also DiT's.
// diffusers get_timestep_embedding(flip_sin_to_cos, downscale_freq_shift, scale, max_period) is
// sin_first = !flip_sin_to_cos, freq_shift = downscale_freq_shift (diffusers' default 1), scale, max_period.
// max_period 0 means 10000, scale 0 means 1. Computed in f32 in the same order of operations as PyTorch.
typedef struct fz_temb_params {
  int sin_first;
  float freq_shift;
  float scale;
  float max_period;
} fz_temb_params;
// t [B] (timesteps, f32) -> out [B, dim].
int fz_op_timestep_embedding(const struct fz_backend *be, fz_tensor *out, const fz_tensor *t, const fz_temb_params *p,
                             fz_err *err);
#endif
