// ops_fir.h — the fir op family: MATLAB-compatible 2-D FIR filtering (imfilter), imresize and the
// toolbox's 23-tap interpolator (interp23tap). Two layers:
//   * host double-precision functions fz_*_f64 (kernels/cpu/fir.c, imresize.c, interp23tap.c): the exact
//     MATLAB semantics, used by the quality metrics and the Wald simulation (bench/), which need float64;
//   * checked backend wrappers fz_op_* on f32 N×C×H×W tensors (runtime/ops_fir.c), filled by every backend.
#ifndef FZ_OPS_FIR_H
#define FZ_OPS_FIR_H
#include <stdint.h>
#include "error.h"
#include "tensor.h"

struct fz_backend;

// Boundary handling, as MATLAB imfilter's options: 0 (zero), 'replicate', 'symmetric' (mirror with the
// edge sample repeated: x2 x1 | x1 x2 ... xn | xn xn-1), 'circular' (periodic).
typedef enum { FZ_FIR_PAD_ZERO = 0, FZ_FIR_PAD_REPLICATE = 1, FZ_FIR_PAD_SYMMETRIC = 2, FZ_FIR_PAD_CIRCULAR = 3 } fz_fir_pad;
// imresize interpolation kernels: 'nearest' (box), 'bilinear' (triangle), 'bicubic' (Keys, a = -0.5).
typedef enum { FZ_IMRESIZE_NEAREST = 0, FZ_IMRESIZE_BILINEAR = 1, FZ_IMRESIZE_BICUBIC = 2 } fz_imresize_method;

// Name of a pad mode ("zero", "replicate", "symmetric", "circular").
const char *fz_fir_pad_name(fz_fir_pad pad);
// Maps index i (any integer) into [0, n) under pad; returns -1 for FZ_FIR_PAD_ZERO outside the range.
int64_t fz_fir_pad_index(int64_t i, int64_t n, fz_fir_pad pad);

// 2-D correlation with 'same' output (MATLAB imfilter(in, k, pad)): in, out are h×w row-major (distinct
// buffers), k is kh×kw row-major; out[y,x] = Σ_ij k[i,j]·in[y+i-cy, x+j-cx], cy = (kh-1)/2, cx = (kw-1)/2.
int fz_fir2d_f64(const double *in, int h, int w, const double *k, int kh, int kw, fz_fir_pad pad, double *out, fz_err *err);
// Separable correlation: first along x with kx (kw taps), then along y with ky (kh taps); same
// centring and padding as fz_fir2d_f64. in, out h×w (may alias).
int fz_fir_sep_f64(const double *in, int h, int w, const double *ky, int kh, const double *kx, int kw, fz_fir_pad pad,
                   double *out, fz_err *err);
// MATLAB imresize of an h×w plane to oh×ow with scale factors (sh, sw) (imresize(I, s) uses sh = sw = s and
// oh = ceil(h·s)); bicubic/bilinear/nearest kernels, antialiasing when shrinking if antialias != 0,
// symmetric border, weights normalised per output sample, the dimension with the smaller scale first.
int fz_imresize_f64(const double *in, int h, int w, double sh, double sw, int oh, int ow, fz_imresize_method m,
                    int antialias, double *out, fz_err *err);
// Output side of MATLAB imresize(I, scale) along a dimension of n samples: ceil(n·scale).
int fz_imresize_out_size(int n, double scale);
// The toolbox's interp23tap: upsamples an h×w plane by ratio (a power of 2) to (h·ratio)×(w·ratio) with
// zero insertion and the 23-tap symmetric FIR (circular border), one ×2 stage at a time.
int fz_interp23tap_f64(const double *in, int h, int w, int ratio, double *out, fz_err *err);
// The 23 taps of interp23tap's ×2 interpolator (sums to 2), written to k[23].
void fz_interp23tap_kernel(double k[23]);

// ---- backend ops on f32 tensors (CPU kernels accumulate in double).
// out[n,c] = imfilter(in[n,c], kernel) with kernel [kh,kw] (all channels) or [C,kh,kw] (one per channel);
// in, out N×C×H×W.
int fz_op_fir2d(const struct fz_backend *be, fz_tensor *out, const fz_tensor *in, const fz_tensor *kernel, fz_fir_pad pad,
                fz_err *err);
// out[n,c] = imresize(in[n,c]) with scale factors (sh, sw); out N×C×OH×OW gives the output size.
int fz_op_imresize(const struct fz_backend *be, fz_tensor *out, const fz_tensor *in, double sh, double sw,
                   fz_imresize_method method, int antialias, fz_err *err);
// out[n,c] = interp23tap(in[n,c], ratio); in N×C×H×W, out N×C×(H·ratio)×(W·ratio).
int fz_op_interp23tap(const struct fz_backend *be, fz_tensor *out, const fz_tensor *in, int ratio, fz_err *err);
#endif
