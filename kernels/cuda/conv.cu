// conv.cu — convolutions on the GPU (PyTorch semantics, NCHW f32):
//  * conv2d, general: implicit GEMM per (image, group) — out[co, pixel] = Σ_k w[co, k]·im2col(x)[k, pixel]
//    with the im2col column gathered on the fly while loading the B tile (any stride, dilation, asymmetric
//    padding and padding mode), 64×64 tiles, k-step 16, bias + activation fused in the epilogue;
//  * conv2d with one input channel per group (depthwise, any channel multiplier): a direct kernel, one
//    output element per thread;
//  * conv_transpose2d: a direct gather kernel, one output element per thread (each output sums the input
//    pixels that map onto it: iy·stride + ky·dil - pad = oy);
//  * conv1d: conv2d of height 1 (as the CPU backend).
// None needs a workspace. Roofline of the implicit GEMM: 2·Co·K·P FLOPs for (Co·K + Ci·H·W + Co·P)·4
// bytes (K = Ci/g·kh·kw, P = Ho·Wo): compute bound for the 3×3 convolutions of the nets; cuDNN and a
// tensor-core path are planned (docs/CUDA.md).
// Large dense zero-padded conv2d goes through cuDNN when the build has it (cudnn_conv2d; libs.cu says when).
#include "cuda_ops.h"
#include <mutex>
#include <string.h>
#include "device_util.cuh"
#include <limits.h>

#define CV_BM 64
#define CV_BN 64
#define CV_BK 16
#define CV_THREADS 256

// Shape and parameters of one conv2d (all sizes after the wrapper's normalisation).
struct conv_geom {
  const float *x, *w, *bias;
  float *out;
  int64_t n, ci, h, wd, co, g, cig, cog, kh, kw, ho, wo, K, P;
  int sh, sw, pt, pl, dh, dw, mode, act;
  float p0, p1;
};

// Indices inside one image plane, K and P are 32-bit (launch_conv2d checks they fit); each thread loads
// the same tile column of B (one output pixel) and the same tile column of A (one k) at every k-step.
FZ_HOT __global__ void __launch_bounds__(CV_THREADS, 2) k_conv2d_igemm(conv_geom g) {
  __shared__ float As[CV_BK][CV_BM + 4];
  __shared__ float Bs[CV_BK][CV_BN + 4];
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const int K = (int)g.K, P = (int)g.P, H = (int)g.h, Wd = (int)g.wd, kw = (int)g.kw, khw = (int)(g.kh * g.kw);
  const int cog = (int)g.cog, i0 = (int)blockIdx.y * CV_BM, j0 = (int)blockIdx.x * CV_BN;
  const int a_pp = tid % CV_BK, a_ii = tid / CV_BK;  // A element (a_ii + 16·k, a_pp) for k < 4
  const int b_jj = tid % CV_BN, b_pp = tid / CV_BN;  // B element (b_pp + 4·k, b_jj) for k < 4
  const int gj = j0 + b_jj, oy = gj / (int)g.wo, ox = gj % (int)g.wo;
  const int iy0 = oy * g.sh - g.pt, ix0 = ox * g.sw - g.pl;
  for (int64_t z = blockIdx.z; z < g.n * g.g; z += gridDim.z) {
    const int64_t ni = z / g.g, gi = z % g.g;
    const float *W = g.w + gi * g.cog * g.K;                        // [cog, K] rows of this group
    const float *X = g.x + (ni * g.ci + gi * g.cig) * g.h * g.wd;  // this group's input planes
    float acc[4][4];
    FZ_UNROLL for (int r = 0; r < 4; r++)
      FZ_UNROLL for (int c = 0; c < 4; c++) acc[r][c] = 0.0f;
    for (int p0 = 0; p0 < K; p0 += CV_BK) {
      FZ_UNROLL for (int k = 0; k < 4; k++) {  // weights: contiguous along k
        int ii = a_ii + 16 * k, oc = i0 + ii, gp = p0 + a_pp;
        As[a_pp][ii] = (oc < cog && gp < K) ? W[(int64_t)oc * K + gp] : 0.0f;
      }
      FZ_UNROLL for (int k = 0; k < 4; k++) {  // im2col gathered on the fly: contiguous along output pixels
        int pp = b_pp + 4 * k, gp = p0 + pp;
        float v = 0.0f;
        if (gp < K && gj < P) {
          int c = gp / khw, kk = gp - c * khw, ky = kk / kw, kx = kk - ky * kw;
          int iy = (int)fz_dev_pad_index(iy0 + ky * g.dh, H, g.mode), ix = (int)fz_dev_pad_index(ix0 + kx * g.dw, Wd, g.mode);
          if (iy >= 0 && ix >= 0) v = X[((int64_t)c * H + iy) * Wd + ix];
        }
        Bs[pp][b_jj] = v;
      }
      __syncthreads();
      FZ_UNROLL for (int pp = 0; pp < CV_BK; pp++) {
        float av[4], bv[4];
        FZ_UNROLL for (int r = 0; r < 4; r++) av[r] = As[pp][ty + 16 * r];
        FZ_UNROLL for (int c = 0; c < 4; c++) bv[c] = Bs[pp][tx + 16 * c];
        FZ_UNROLL for (int r = 0; r < 4; r++)
          FZ_UNROLL for (int c = 0; c < 4; c++) acc[r][c] += av[r] * bv[c];
      }
      __syncthreads();
    }
    FZ_UNROLL for (int r = 0; r < 4; r++) {
      int oc = i0 + ty + 16 * r;
      if (oc >= cog) continue;
      int64_t co = gi * g.cog + oc;
      float b = g.bias ? g.bias[co] : 0.0f;
      float *orow = g.out + (ni * g.co + co) * g.P;
      FZ_UNROLL for (int c = 0; c < 4; c++) {
        int j = j0 + tx + 16 * c;
        if (j < P) orow[j] = g.act == FZ_ACT_NONE ? acc[r][c] + b : fz_dev_act_call(acc[r][c] + b, g.act, g.p0, g.p1);
      }
    }
  }
}

// One input channel per group: out[n, co, oy, ox] = act(bias + Σ w[co, 0, ky, kx]·x[n, co / cog, iy, ix]).
FZ_HOT __global__ void k_conv2d_depthwise(conv_geom g) {
  int64_t total = g.n * g.co * g.P, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    int64_t pix = t % g.P, nco = t / g.P, co = nco % g.co, ni = nco / g.co, oy = pix / g.wo, ox = pix % g.wo;
    const float *X = g.x + (ni * g.ci + co / g.cog) * g.h * g.wd, *W = g.w + co * g.kh * g.kw;
    float acc = g.bias ? g.bias[co] : 0.0f;
    for (int64_t ky = 0; ky < g.kh; ky++) {
      int64_t iy = fz_dev_pad_index(oy * g.sh - g.pt + ky * g.dh, g.h, g.mode);
      if (iy < 0) continue;
      for (int64_t kx = 0; kx < g.kw; kx++) {
        int64_t ix = fz_dev_pad_index(ox * g.sw - g.pl + kx * g.dw, g.wd, g.mode);
        if (ix >= 0) acc += W[ky * g.kw + kx] * X[iy * g.wd + ix];
      }
    }
    g.out[t] = fz_dev_act(acc, g.act, g.p0, g.p1);
  }
}

// Transposed conv: out[n, co, oy, ox] = act(bias[co] + Σ_{ci in group, ky, kx} x[n, ci, iy, ix]·w[ci, co_g, ky, kx])
// over iy = (oy + pt - ky·dh) / sh (exact division, in range), likewise ix. g.ci / g.cig / g.cog as conv2d,
// w [Ci, Co/g, kh, kw].
__global__ void k_conv_transpose2d(conv_geom g) {
  int64_t total = g.n * g.co * g.P, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    int64_t pix = t % g.P, nco = t / g.P, co = nco % g.co, ni = nco / g.co, oy = pix / g.wo, ox = pix % g.wo;
    int64_t gi = co / g.cog, cg = co % g.cog;
    float acc = g.bias ? g.bias[co] : 0.0f;
    for (int64_t ky = 0; ky < g.kh; ky++) {
      int64_t ty = oy + g.pt - ky * g.dh;
      if (ty < 0 || ty % g.sh) continue;
      int64_t iy = ty / g.sh;
      if (iy >= g.h) continue;
      for (int64_t kx = 0; kx < g.kw; kx++) {
        int64_t tx = ox + g.pl - kx * g.dw;
        if (tx < 0 || tx % g.sw) continue;
        int64_t ix = tx / g.sw;
        if (ix >= g.wd) continue;
        for (int64_t c = 0; c < g.cig; c++) {
          int64_t ci = gi * g.cig + c;
          acc += g.x[((ni * g.ci + ci) * g.h + iy) * g.wd + ix] * g.w[((ci * g.cog + cg) * g.kh + ky) * g.kw + kx];
        }
      }
    }
    g.out[t] = fz_dev_act(acc, g.act, g.p0, g.p1);
  }
}

// conv_geom of a conv2d x [N,Ci,H,W] * w [Co,Ci/g,kh,kw] (or, transposed, w [Ci,Co/g,kh,kw]) with q.
static conv_geom make_geom(const fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                           const fz_conv2d_params *q, int transposed) {
  conv_geom g;
  memset(&g, 0, sizeof g);
  g.x = (const float *)x->data;
  g.w = (const float *)w->data;
  g.bias = bias ? (const float *)bias->data : NULL;
  g.out = (float *)out->data;
  g.n = x->shape[0]; g.ci = x->shape[1]; g.h = x->shape[2]; g.wd = x->shape[3];
  g.g = q->groups; g.cig = g.ci / g.g;
  g.co = out->shape[1]; g.cog = g.co / g.g;
  g.kh = w->shape[2]; g.kw = w->shape[3];
  g.ho = out->shape[2]; g.wo = out->shape[3];
  g.K = g.cig * g.kh * g.kw;  // (GEMM depth of the forward conv; unused by the transposed kernel)
  g.P = g.ho * g.wo;
  g.sh = q->stride_h; g.sw = q->stride_w; g.pt = q->pad_h; g.pl = q->pad_w; g.dh = q->dil_h; g.dw = q->dil_w;
  g.mode = q->pad_mode;
  g.act = q->act; g.p0 = q->act_p0; g.p1 = q->act_p1;
  return g;
}

// In place: out[nc, p] = act(out[nc, p] + bias[nc % co]) over NC planes of P pixels (the cuDNN path's epilogue).
__global__ void k_conv_bias_act(float *out, const float *bias, int64_t NC, int64_t co, int64_t P, int act, float p0, float p1) {
  int64_t total = NC * P, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    float v = out[t] + (bias ? bias[(t / P) % co] : 0.0f);
    out[t] = fz_dev_act(v, act, p0, p1);
  }
}

#ifdef FZ_CUDA_WITH_CUDNN
// fp32 algorithms whose outputs are plain dot products in fp32 (FFT and Winograd transform the operands and
// round differently, so they are left out: the CUDA backend answers to the CPU backend within 1e-5).
static bool plain_sum_algo(cudnnConvolutionFwdAlgo_t a) {
  return a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM || a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_GEMM || a == CUDNN_CONVOLUTION_FWD_ALGO_DIRECT;
}

// A small cache of cuDNN's algorithm choice per (handle, geometry): the heuristic query costs host time on every
// layer of every tile otherwise. Round-robin replacement; guarded by a mutex (backends may be shared by threads).
struct cudnn_algo_key { cudnnHandle_t h; int64_t v[15]; };
struct cudnn_algo_val { int found; cudnnConvolutionFwdAlgo_t algo; size_t memory; };
#define CUDNN_ALGO_CACHE 64
static struct { cudnn_algo_key key; cudnn_algo_val val; int used; } g_algo_cache[CUDNN_ALGO_CACHE];
static int g_algo_next;
static std::mutex g_algo_mu;

// Looks key up; 1 and *val when cached.
static int algo_cache_get(const cudnn_algo_key &key, cudnn_algo_val *val) {
  std::lock_guard<std::mutex> lock(g_algo_mu);
  for (int i = 0; i < CUDNN_ALGO_CACHE; i++)
    if (g_algo_cache[i].used && !memcmp(&g_algo_cache[i].key, &key, sizeof key)) { *val = g_algo_cache[i].val; return 1; }
  return 0;
}

// Stores key's choice (replacing the oldest entry when full).
static void algo_cache_put(const cudnn_algo_key &key, const cudnn_algo_val &val) {
  std::lock_guard<std::mutex> lock(g_algo_mu);
  int i = g_algo_next;
  g_algo_next = (g_algo_next + 1) % CUDNN_ALGO_CACHE;
  g_algo_cache[i].key = key;
  g_algo_cache[i].val = val;
  g_algo_cache[i].used = 1;
}

// conv2d through cudnnConvolutionForward (cross-correlation, fp32 FMA math: no TF32) followed by the bias +
// activation epilogue. Returns -1 (not taken, nothing issued) when g is not a cuDNN convolution: depthwise, a
// padding mode other than zeros, negative pads, an output size other than cuDNN's symmetric-padding one (a
// right / bottom extra pad that adds outputs), 32-bit overflow, fewer multiply-adds than the backend's
// threshold, or cuDNN disabled. Otherwise 0 or the fz_code with err.
static int cudnn_conv2d(const fz_backend *be, const conv_geom &g, fz_err *err) {
  if (g.cig < 2 || g.mode != FZ_PAD_ZERO || g.pt < 0 || g.pl < 0) return -1;
  int64_t eh = (g.kh - 1) * g.dh + 1, ew = (g.kw - 1) * g.dw + 1;
  if (g.h + 2 * g.pt < eh || g.wd + 2 * g.pl < ew || 1 + (g.h + 2 * g.pt - eh) / g.sh != g.ho || 1 + (g.wd + 2 * g.pl - ew) / g.sw != g.wo)
    return -1;
  if (g.n * g.ci * g.h * g.wd > INT_MAX || g.n * g.co * g.P > INT_MAX || g.co * g.K > INT_MAX) return -1;
  cudnnHandle_t h = fz_cuda_cudnn(be, g.n * g.co * g.P * g.K);
  if (!h) return -1;
  cudnnTensorDescriptor_t xd = NULL, yd = NULL;
  cudnnFilterDescriptor_t wd = NULL;
  cudnnConvolutionDescriptor_t cd = NULL;
  const char *what = "descriptor set-up";
  cudnnStatus_t st = cudnnCreateTensorDescriptor(&xd);
  if (!st) st = cudnnCreateTensorDescriptor(&yd);
  if (!st) st = cudnnCreateFilterDescriptor(&wd);
  if (!st) st = cudnnCreateConvolutionDescriptor(&cd);
  if (!st) st = cudnnSetTensor4dDescriptor(xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, (int)g.n, (int)g.ci, (int)g.h, (int)g.wd);
  if (!st) st = cudnnSetTensor4dDescriptor(yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, (int)g.n, (int)g.co, (int)g.ho, (int)g.wo);
  if (!st) st = cudnnSetFilter4dDescriptor(wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, (int)g.co, (int)g.cig, (int)g.kh, (int)g.kw);
  if (!st) st = cudnnSetConvolution2dDescriptor(cd, g.pt, g.pl, g.sh, g.sw, g.dh, g.dw, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
  if (!st) st = cudnnSetConvolutionGroupCount(cd, (int)g.g);
  if (!st) st = cudnnSetConvolutionMathType(cd, CUDNN_FMA_MATH);  // fp32 FMA kernels only (DEFAULT_MATH allows TF32)
  cudnn_algo_key key = {h, {g.n, g.ci, g.h, g.wd, g.co, g.cig, g.kh, g.kw, g.pt, g.pl, g.sh, g.sw, g.dh, g.dw, g.g}};
  cudnn_algo_val choice = {};
  if (!st && !algo_cache_get(key, &choice)) {
    cudnnConvolutionFwdAlgoPerf_t perf[8];
    int got = 0;
    what = "cudnnGetConvolutionForwardAlgorithm_v7";
    st = cudnnGetConvolutionForwardAlgorithm_v7(h, xd, wd, cd, yd, 8, &got, perf);
    for (int i = 0; !st && i < got && !choice.found; i++)  // heuristic order: the first plain-sum algorithm that runs
      if (perf[i].status == CUDNN_STATUS_SUCCESS && plain_sum_algo(perf[i].algo)) choice = {1, perf[i].algo, perf[i].memory};
    if (!st && !choice.found) {
      what = "algorithm choice (no implicit-GEMM, GEMM or direct algorithm for this shape)";
      st = CUDNN_STATUS_NOT_SUPPORTED;
    }
    if (!st) algo_cache_put(key, choice);
  }
  void *ws = NULL;
  if (!st && choice.memory) {
    ws = fz_cuda_scratch(be, choice.memory, err);
    if (!ws) { cudnnDestroyTensorDescriptor(xd); cudnnDestroyTensorDescriptor(yd); cudnnDestroyFilterDescriptor(wd);
               cudnnDestroyConvolutionDescriptor(cd); return err ? (int)err->code : FZ_ENOMEM; }
  }
  const float one = 1.0f, zero = 0.0f;
  if (!st) {
    what = "cudnnConvolutionForward";
    st = cudnnConvolutionForward(h, &one, xd, g.x, wd, g.w, cd, choice.algo, ws, choice.memory, &zero, yd, g.out);
  }
  cudnnDestroyTensorDescriptor(xd);
  cudnnDestroyTensorDescriptor(yd);
  cudnnDestroyFilterDescriptor(wd);
  cudnnDestroyConvolutionDescriptor(cd);
  if (st != CUDNN_STATUS_SUCCESS) {
#ifdef FZ_CUDA_EMULATED
    const char *detail = fz_simt::last_message();
#else
    const char *detail = "";
#endif
    return fz_fail(err, st == CUDNN_STATUS_BAD_PARAM ? FZ_EINVAL : FZ_EINTERNAL, "%s: conv2d through cuDNN: %s failed: %s%s%s",
                   be->name, what, cudnnGetErrorString(st), detail[0] ? ": " : "", detail);
  }
  if (!g.bias && g.act == FZ_ACT_NONE) return FZ_OK;
  FZ_LAUNCH(k_conv_bias_act, fz_cuda_blocks(g.n * g.co * g.P, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, fz_cuda_stream(be))(
      g.out, g.bias, g.n * g.co, g.co, g.P, g.act, g.p0, g.p1);
  return fz_cuda_check_launch(be, "conv2d bias / activation epilogue kernel", err);
}
#endif

// Issues the conv2d kernel that suits g (or cuDNN, for large dense zero-padded convolutions).
static int launch_conv2d(const fz_backend *be, const conv_geom &g, fz_err *err) {
  cudaStream_t s = fz_cuda_stream(be);
  if (g.n == 0 || g.co == 0 || g.P == 0) return FZ_OK;
#ifdef FZ_CUDA_WITH_CUDNN
  int rc = cudnn_conv2d(be, g, err);
  if (rc != -1) return rc;
#endif
  if (g.cig == 1) {
    FZ_LAUNCH(k_conv2d_depthwise, fz_cuda_blocks(g.n * g.co * g.P, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, s)(g);
    return fz_cuda_check_launch(be, "conv2d depthwise kernel", err);
  }
  int64_t gx = (g.P + CV_BN - 1) / CV_BN, gy = (g.cog + CV_BM - 1) / CV_BM, gz = g.n * g.g;
  if (gy > 65535 || g.P > INT_MAX - CV_BN || g.K > INT_MAX - CV_BK || g.h * g.wd > INT_MAX || g.cog > INT_MAX - CV_BM)
    return fz_fail(err, FZ_EUNSUP, "%s: conv2d with %lld output pixels, %lld channels per group and depth %lld exceeds this "
                   "kernel's 32-bit plane indexing", be->name, (long long)g.P, (long long)g.cog, (long long)g.K);
  dim3 grid((unsigned)gx, (unsigned)gy, (unsigned)(gz < 65535 ? gz : 65535));
  FZ_LAUNCH(k_conv2d_igemm, grid, CV_THREADS, 0, s)(g);
  return fz_cuda_check_launch(be, "conv2d implicit-GEMM kernel", err);
}

int fz_cuda_conv2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                   const void *p, fz_err *err) {
  const fz_conv2d_params *q = (const fz_conv2d_params *)p;
  return launch_conv2d(be, make_geom(out, x, w, bias, q, 0), err);
}

size_t fz_cuda_conv2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p) { return 0; }

int fz_cuda_conv_transpose2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w,
                             const fz_tensor *bias, const void *p, fz_err *err) {
  conv_geom g = make_geom(out, x, w, bias, (const fz_conv2d_params *)p, 1);
  if (g.n == 0 || g.co == 0 || g.P == 0) return FZ_OK;
  FZ_LAUNCH(k_conv_transpose2d, fz_cuda_blocks(g.n * g.co * g.P, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0,
            fz_cuda_stream(be))(g);
  return fz_cuda_check_launch(be, "conv_transpose2d kernel", err);
}

size_t fz_cuda_conv_transpose2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p) {
  return 0;
}

int fz_cuda_conv1d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                   const void *p, fz_err *err) {
  const fz_conv1d_params *q = (const fz_conv1d_params *)p;
  fz_tensor x4 = *x, w4 = *w, o4 = *out;  // views [N, C, 1, L] (no data copied)
  x4.ndim = w4.ndim = o4.ndim = 4;
  x4.shape[3] = x->shape[2]; x4.shape[2] = 1;
  w4.shape[3] = w->shape[2]; w4.shape[2] = 1;
  o4.shape[3] = out->shape[2]; o4.shape[2] = 1;
  fz_conv2d_params c;
  memset(&c, 0, sizeof c);
  c.stride_h = 1; c.stride_w = q->stride;
  c.dil_h = 1; c.dil_w = q->dil;
  c.pad_w = q->pad_left; c.pad_w_extra = q->pad_right - q->pad_left;
  c.groups = q->groups;
  c.pad_mode = q->pad_mode;
  c.act = q->act; c.act_p0 = q->act_p0; c.act_p1 = q->act_p1;
  return launch_conv2d(be, make_geom(&o4, &x4, &w4, bias, &c, 0), err);
}
