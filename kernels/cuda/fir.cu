// fir.cu — the MATLAB-compatible fir family on the GPU, in double precision with the CPU backend's order of
// operations (kernels/cpu/fir.c, imresize.c, interp23tap.c), so results match it to the last bit of the
// final float rounding:
//  * fir2d: imfilter correlation with 'same' output and zero / replicate / symmetric / circular borders,
//    one thread per output sample;
//  * imresize: per-dimension contribution tables (kernel, antialiasing when shrinking, symmetric border,
//    weights normalised per output sample) built on the host, then two passes, the dimension with the
//    smaller scale first;
//  * interp23tap: ×2 stages of zero insertion and the separable 23-tap FIR with circular border.
// Roofline: memory bound except fir2d with large kernels (kh·kw FLOPs per sample, in double).
#include "cuda_ops.h"
#include "device_util.cuh"
#include <math.h>
#include <stdlib.h>
#include <vector>

#define EW_GRID(n) fz_cuda_blocks((n), FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, fz_cuda_stream(be)
#define EW_LOOP(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

// fz_fir_pad_index on the device: i mapped into [0, n) under pad, -1 for zero padding outside.
__device__ __forceinline__ int64_t fz_dev_fir_pad(int64_t i, int64_t n, int pad) {
  if (i >= 0 && i < n) return i;
  if (pad == FZ_FIR_PAD_ZERO) return -1;
  if (pad == FZ_FIR_PAD_REPLICATE) return i < 0 ? 0 : n - 1;
  if (pad == FZ_FIR_PAD_SYMMETRIC) {
    int64_t m = i % (2 * n);
    if (m < 0) m += 2 * n;
    return m < n ? m : 2 * n - 1 - m;
  }
  int64_t m = i % n;
  return m < 0 ? m + n : m;
}

// out[p, y, x] = Σ_ij k[i, j]·in[p, y+i-cy, x+j-cx] in double (zero taps skipped, as the CPU does).
__global__ void k_fir2d(float *out, const float *in, const float *kern, int64_t P, int64_t C, int64_t H, int64_t W, int kh,
                        int kw, int per_channel, int pad) {
  const int cy = (kh - 1) / 2, cx = (kw - 1) / 2;
  EW_LOOP(t, P * H * W) {
    int64_t x = t % W, y = (t / W) % H, p = t / (W * H);
    const float *pl = in + p * H * W, *k = kern + (per_channel ? (p % C) : 0) * kh * kw;
    double acc = 0.0;
    for (int i = 0; i < kh; i++) {
      int64_t sy = fz_dev_fir_pad(y + i - cy, H, pad);
      for (int j = 0; j < kw; j++) {
        double kv = k[i * kw + j];
        if (kv == 0.0) continue;
        int64_t sx = fz_dev_fir_pad(x + j - cx, W, pad);
        double v = (sy < 0 || sx < 0) ? 0.0 : (double)pl[sy * W + sx];
        acc += kv * v;
      }
    }
    out[t] = (float)acc;
  }
}

// Resizes P planes along one dim with contribution table (idx, wt) of Pt taps per output sample:
// along_y: out [P, n, w] from in [P, h, w]; else out [P, h, n] from in [P, h, w]. Double in and out.
__global__ void k_resize_dim(double *out, const double *in, const int *idx, const double *wt, int Pt, int64_t P, int64_t h,
                             int64_t w, int64_t n, int along_y) {
  int64_t total = along_y ? P * n * w : P * h * n;
  EW_LOOP(t, total) {
    double acc = 0.0;
    if (along_y) {
      int64_t x = t % w, y = (t / w) % n, p = t / (w * n);
      for (int q = 0; q < Pt; q++) {
        double wv = wt[y * Pt + q];
        if (wv != 0.0) acc += wv * in[(p * h + idx[y * Pt + q]) * w + x];
      }
    } else {
      int64_t x = t % n, yy = t / n;
      for (int q = 0; q < Pt; q++) {
        double wv = wt[x * Pt + q];
        if (wv != 0.0) acc += wv * in[yy * w + idx[x * Pt + q]];
      }
    }
    out[t] = acc;
  }
}

__global__ void k_to_double(double *out, const float *in, int64_t n) { EW_LOOP(i, n) out[i] = in[i]; }
__global__ void k_to_float(float *out, const double *in, int64_t n) { EW_LOOP(i, n) out[i] = (float)in[i]; }

// Zero insertion of one interp23tap stage: nxt [P, 2h, 2w] = 0 except nxt[2y+off, 2x+off] = cur[y, x].
__global__ void k_zero_insert(double *nxt, const double *cur, int64_t P, int64_t h, int64_t w, int off) {
  int64_t nh = 2 * h, nw = 2 * w;
  EW_LOOP(t, P * nh * nw) {
    int64_t X = t % nw, Y = (t / nw) % nh, p = t / (nw * nh);
    bool hit = (Y - off) % 2 == 0 && (X - off) % 2 == 0 && Y >= off && X >= off;
    nxt[t] = hit ? cur[(p * h + (Y - off) / 2) * w + (X - off) / 2] : 0.0;
  }
}

// One separable pass of the 23-tap filter with circular border: along x (along_y = 0) or along y.
__global__ void k_fir23(double *out, const double *in, const double *k, int64_t P, int64_t h, int64_t w, int along_y) {
  EW_LOOP(t, P * h * w) {
    int64_t x = t % w, y = (t / w) % h, p = t / (w * h);
    double acc = 0.0;
    for (int j = 0; j < 23; j++) {
      int64_t s = along_y ? fz_dev_fir_pad(y + j - 11, h, FZ_FIR_PAD_CIRCULAR) : fz_dev_fir_pad(x + j - 11, w, FZ_FIR_PAD_CIRCULAR);
      acc += k[j] * (along_y ? in[(p * h + s) * w + x] : in[(p * h + y) * w + s]);
    }
    out[t] = acc;
  }
}

int fz_cuda_fir2d(const fz_backend *be, fz_tensor *out, const fz_tensor *in, const fz_tensor *kernel, int pad, fz_err *err) {
  int64_t N = in->shape[0], C = in->shape[1], H = in->shape[2], W = in->shape[3];
  if (N * C * H * W == 0) return FZ_OK;
  int kh = (int)kernel->shape[kernel->ndim - 2], kw = (int)kernel->shape[kernel->ndim - 1];
  FZ_LAUNCH(k_fir2d, EW_GRID(N * C * H * W))((float *)out->data, (const float *)in->data, (const float *)kernel->data, N * C, C,
                                             H, W, kh, kw, kernel->ndim == 3, pad);
  return fz_cuda_check_launch(be, "fir2d kernel", err);
}

// ---- imresize: host-built contribution tables (MATLAB's kernels and weights) ------------------------------
static double mk_cubic(double x) {  // Keys, a = -0.5
  double ax = fabs(x), ax2 = ax * ax, ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}
static double mk_triangle(double x) { return (x >= -1 && x < 0) ? x + 1 : (x >= 0 && x <= 1) ? 1 - x : 0; }
static double mk_box(double x) { return (x >= -0.5 && x < 0.5) ? 1.0 : 0.0; }

// Contribution table of one dimension: out_len rows of *P (index, weight) pairs, normalised to sum 1.
static void make_contrib(int in_len, int out_len, double scale, int m, int antialias, int *P, std::vector<int> &idx,
                         std::vector<double> &wt) {
  double (*kern)(double) = m == FZ_IMRESIZE_BICUBIC ? mk_cubic : m == FZ_IMRESIZE_BILINEAR ? mk_triangle : mk_box;
  double kwid = m == FZ_IMRESIZE_BICUBIC ? 4.0 : m == FZ_IMRESIZE_BILINEAR ? 2.0 : 1.0;
  int aa = scale < 1 && antialias;
  if (aa) kwid /= scale;
  *P = (int)ceil(kwid) + 2;
  idx.assign((size_t)out_len * *P, 0);
  wt.assign((size_t)out_len * *P, 0.0);
  for (int x = 0; x < out_len; x++) {
    double u = (x + 1) / scale + 0.5 * (1 - 1 / scale), left = floor(u - kwid / 2), sum = 0;
    for (int p = 0; p < *P; p++) {
      double j = left + p, d = u - j, wv = aa ? scale * kern(scale * d) : kern(d);
      wt[(size_t)x * *P + p] = wv;
      sum += wv;
      idx[(size_t)x * *P + p] = (int)fz_fir_pad_index((int64_t)j - 1, in_len, FZ_FIR_PAD_SYMMETRIC);
    }
    for (int p = 0; p < *P; p++) wt[(size_t)x * *P + p] /= sum;
  }
}

int fz_cuda_imresize(const fz_backend *be, fz_tensor *out, const fz_tensor *in, double sh, double sw, int method,
                     int antialias, fz_err *err) {
  int64_t N = in->shape[0], C = in->shape[1], H = in->shape[2], W = in->shape[3], OH = out->shape[2], OW = out->shape[3];
  int64_t P = N * C;
  if (P * OH * OW == 0) return FZ_OK;
  int Py, Px;
  std::vector<int> iy, ix;
  std::vector<double> wy, wx;
  make_contrib((int)H, (int)OH, sh, method, antialias, &Py, iy, wy);
  make_contrib((int)W, (int)OW, sw, method, antialias, &Px, ix, wx);
  int y_first = sh <= sw;  // MATLAB resizes along the dimension with the smaller scale first (rows on ties)
  size_t n_in = (size_t)(P * H * W), n_mid = (size_t)(y_first ? P * OH * W : P * H * OW), n_out = (size_t)(P * OH * OW);
  size_t tab = iy.size() * sizeof(int) + ix.size() * sizeof(int) + (wy.size() + wx.size()) * sizeof(double);
  size_t bytes = (n_in + n_mid + n_out) * sizeof(double) + tab + 64;
  char *s = (char *)fz_cuda_scratch(be, bytes, err);
  if (!s) return err ? (int)err->code : FZ_ENOMEM;
  double *a = (double *)s, *mid = a + n_in, *res = mid + n_mid, *dwy = res + n_out, *dwx = dwy + wy.size();
  int *diy = (int *)(dwx + wx.size()), *dix = diy + iy.size();
  cudaStream_t st = fz_cuda_stream(be);
  cudaError_t e;
  if ((e = cudaMemcpyAsync(dwy, wy.data(), wy.size() * sizeof(double), cudaMemcpyHostToDevice, st)) != cudaSuccess ||
      (e = cudaMemcpyAsync(dwx, wx.data(), wx.size() * sizeof(double), cudaMemcpyHostToDevice, st)) != cudaSuccess ||
      (e = cudaMemcpyAsync(diy, iy.data(), iy.size() * sizeof(int), cudaMemcpyHostToDevice, st)) != cudaSuccess ||
      (e = cudaMemcpyAsync(dix, ix.data(), ix.size() * sizeof(int), cudaMemcpyHostToDevice, st)) != cudaSuccess ||
      (e = cudaStreamSynchronize(st)) != cudaSuccess)  // the host tables are freed on return
    return fz_cuda_fail(be, e, "imresize contribution tables", err);
  FZ_LAUNCH(k_to_double, EW_GRID((int64_t)n_in))(a, (const float *)in->data, (int64_t)n_in);
  if (y_first) {
    FZ_LAUNCH(k_resize_dim, EW_GRID((int64_t)n_mid))(mid, a, diy, dwy, Py, P, H, W, OH, 1);
    FZ_LAUNCH(k_resize_dim, EW_GRID((int64_t)n_out))(res, mid, dix, dwx, Px, P, OH, W, OW, 0);
  } else {
    FZ_LAUNCH(k_resize_dim, EW_GRID((int64_t)n_mid))(mid, a, dix, dwx, Px, P, H, W, OW, 0);
    FZ_LAUNCH(k_resize_dim, EW_GRID((int64_t)n_out))(res, mid, diy, dwy, Py, P, H, OW, OH, 1);
  }
  FZ_LAUNCH(k_to_float, EW_GRID((int64_t)n_out))((float *)out->data, res, (int64_t)n_out);
  return fz_cuda_check_launch(be, "imresize kernels", err);
}

int fz_cuda_interp23tap(const fz_backend *be, fz_tensor *out, const fz_tensor *in, int ratio, fz_err *err) {
  int64_t N = in->shape[0], C = in->shape[1], H = in->shape[2], W = in->shape[3], P = N * C;
  if (P * H * W == 0) return FZ_OK;
  size_t fin = (size_t)(P * H * ratio * W * ratio);
  char *s = (char *)fz_cuda_scratch(be, 3 * fin * sizeof(double) + 23 * sizeof(double), err);
  if (!s) return err ? (int)err->code : FZ_ENOMEM;
  double *cur = (double *)s, *nxt = cur + fin, *tmp = nxt + fin, *dk = tmp + fin, k[23];
  fz_interp23tap_kernel(k);
  cudaStream_t st = fz_cuda_stream(be);
  cudaError_t e = cudaMemcpyAsync(dk, k, sizeof k, cudaMemcpyHostToDevice, st);
  if (e == cudaSuccess) e = cudaStreamSynchronize(st);  // k lives on this stack frame
  if (e != cudaSuccess) return fz_cuda_fail(be, e, "interp23tap taps", err);
  FZ_LAUNCH(k_to_double, EW_GRID(P * H * W))(cur, (const float *)in->data, P * H * W);
  int64_t ch = H, cw = W;
  for (int stage = 0; (1 << stage) < ratio; stage++) {
    int off = stage == 0 ? 1 : 0;  // first stage fills 1-based even positions (2:2:end), later ones 1:2:end
    FZ_LAUNCH(k_zero_insert, EW_GRID(P * 4 * ch * cw))(nxt, cur, P, ch, cw, off);
    ch *= 2;
    cw *= 2;
    FZ_LAUNCH(k_fir23, EW_GRID(P * ch * cw))(tmp, nxt, dk, P, ch, cw, 0);
    FZ_LAUNCH(k_fir23, EW_GRID(P * ch * cw))(cur, tmp, dk, P, ch, cw, 1);
  }
  FZ_LAUNCH(k_to_float, EW_GRID(P * ch * cw))((float *)out->data, cur, P * ch * cw);
  return fz_cuda_check_launch(be, "interp23tap kernels", err);
}

// Sets the fir-family entries of a CUDA backend table t.
void fz_cuda_fill_fir(fz_backend *t) {
  t->fir2d = fz_cuda_fir2d;
  t->imresize = fz_cuda_imresize;
  t->interp23tap = fz_cuda_interp23tap;
}
