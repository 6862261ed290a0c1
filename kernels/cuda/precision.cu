// precision.cu — bf16 / fp16 storage with fp32 accumulation for the heavy ops of the CUDA backend
// (`--precision bf16|fp16`): linear (GEMM), conv2d, attention and selective scan.
// fz_backend_cuda_precision(device, dtype) returns a second backend table for the device that shares its
// stream, memory and every other op with the fp32 table, and replaces those four entries: each rounds its
// operands (activations and weights) to 16 bits (round to nearest even, as cvt.rn does), computes with
// fp32 products and sums (softmax, state and statistics in fp32), and rounds its result to 16 bits once.
// Tensors between ops keep the f32 interface of runtime/backend.h, holding 16-bit-representable values:
// the numerics are those of 16-bit storage; the memory and bandwidth saving of keeping the activations in
// 2-byte tensors needs the fz_tensor dtype plumbing through the models and is left (docs/CUDA.md).
// The kernels are direct (one thread per output / query / channel): the correctness twin for a later
// tensor-core path, which stays disabled until `fusor selftest` has checked it against this one.
// Roofline (at 16 bits): linear 2·M·N·K FLOPs over 2·(M·K + N·K) + 4·M·N bytes; conv likewise per tap.
#include "cuda_ops.h"
#include "device_util.cuh"
#include "attention_mma.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <math.h>
#include <mutex>
#include <type_traits>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>

// Conversions of the two 16-bit storage types: to_f (exact widening) and of (round to nearest even).
template <class T> struct p16;
template <> struct p16<__half> {
  static __device__ __forceinline__ float to_f(__half h) { return __half2float(h); }
  static __device__ __forceinline__ __half of(float x) { return __float2half(x); }
};
template <> struct p16<__nv_bfloat16> {
  static __device__ __forceinline__ float to_f(__nv_bfloat16 h) { return __bfloat162float(h); }
  static __device__ __forceinline__ __nv_bfloat16 of(float x) { return __float2bfloat16(x); }
};
// x rounded to the 16-bit type T and widened back (the value a 16-bit tensor would hold).
template <class T> __device__ __forceinline__ float rnd16(float x) { return p16<T>::to_f(p16<T>::of(x)); }

#define P16_THREADS 256
#define P16_MAX_BLOCKS 65535u

// y[i] = T(x[i]) for i < n (f32 -> 16-bit storage).
template <class T> __global__ void k_to16(const float *x, T *y, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    y[i] = p16<T>::of(x[i]);
}

// ---- linear: out[M,N] = act(x[M,K]·w[N,K]ᵀ + bias[N]) with 16-bit x, w, bias; 16×16 tiles ------------
#define L16_T 16
template <class T> struct lin16_args {
  const T *x, *w, *bias;
  float *out;
  int64_t M, N, K;
  int act;
  float p0, p1;
};
template <class T> __global__ void __launch_bounds__(L16_T *L16_T) k_linear16(lin16_args<T> g) {
  __shared__ float xs[L16_T][L16_T + 1], ws[L16_T][L16_T + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t i = (int64_t)blockIdx.y * L16_T + ty, j = (int64_t)blockIdx.x * L16_T + tx;
  const int64_t wrow = (int64_t)blockIdx.x * L16_T + ty;  // the w row this thread loads
  float acc = 0.0f;
  for (int64_t p0 = 0; p0 < g.K; p0 += L16_T) {
    xs[ty][tx] = (i < g.M && p0 + tx < g.K) ? p16<T>::to_f(g.x[i * g.K + p0 + tx]) : 0.0f;
    ws[ty][tx] = (wrow < g.N && p0 + tx < g.K) ? p16<T>::to_f(g.w[wrow * g.K + p0 + tx]) : 0.0f;
    __syncthreads();
    for (int p = 0; p < L16_T; p++) acc += xs[ty][p] * ws[tx][p];  // ws[tx]: row j of w
    __syncthreads();
  }
  if (i < g.M && j < g.N) {
    float v = acc + (g.bias ? p16<T>::to_f(g.bias[j]) : 0.0f);
    if (g.act != FZ_ACT_NONE) v = fz_dev_act_call(v, g.act, g.p0, g.p1);
    g.out[i * g.N + j] = rnd16<T>(v);
  }
}

// ---- conv2d: direct, one thread per output; 16-bit x, w, bias --------------------------------------
template <class T> struct conv16_args {
  const T *x, *w, *bias;
  float *out;
  int64_t N, Ci, H, W, Co, Ho, Wo;
  int kh, kw, sh, sw, ph, pw, dh, dw, groups, mode, act;
  float p0, p1;
};
template <class T> __global__ void k_conv16(conv16_args<T> g) {
  const int64_t total = g.N * g.Co * g.Ho * g.Wo, step = (int64_t)gridDim.x * blockDim.x;
  const int64_t cig = g.Ci / g.groups, cog = g.Co / g.groups;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t ox = t % g.Wo, oy = (t / g.Wo) % g.Ho, co = (t / (g.Wo * g.Ho)) % g.Co, n = t / (g.Wo * g.Ho * g.Co);
    const int64_t c0 = (co / cog) * cig;
    float acc = 0.0f;
    for (int64_t ci = 0; ci < cig; ci++) {
      const T *xp = g.x + (n * g.Ci + c0 + ci) * g.H * g.W;
      const T *wp = g.w + (co * cig + ci) * g.kh * g.kw;
      for (int ky = 0; ky < g.kh; ky++) {
        int64_t iy = fz_dev_pad_index(oy * g.sh - g.ph + (int64_t)ky * g.dh, g.H, g.mode);
        if (iy < 0) continue;
        for (int kx = 0; kx < g.kw; kx++) {
          int64_t ix = fz_dev_pad_index(ox * g.sw - g.pw + (int64_t)kx * g.dw, g.W, g.mode);
          if (ix < 0) continue;
          acc += p16<T>::to_f(xp[iy * g.W + ix]) * p16<T>::to_f(wp[ky * g.kw + kx]);
        }
      }
    }
    float v = acc + (g.bias ? p16<T>::to_f(g.bias[co]) : 0.0f);
    if (g.act != FZ_ACT_NONE) v = fz_dev_act_call(v, g.act, g.p0, g.p1);
    g.out[t] = rnd16<T>(v);
  }
}

// ---- attention: one thread per (b, head, query), online softmax in fp32, out row as accumulator -----
struct a16_strides {
  int64_t sb, sh, sn;  // channel stride 1 in both layouts
};
// Strides of layout 0 [B,H,N,d] or 1 [B,N,H·d] for H heads, N tokens, d channels.
static a16_strides a16_strides_of(int layout, int64_t H, int64_t N, int64_t d) {
  a16_strides s;
  if (layout == 0) { s.sn = d; s.sh = N * d; s.sb = H * N * d; }
  else { s.sn = H * d; s.sh = d; s.sb = N * H * d; }
  return s;
}
template <class T> struct attn16_args {
  const T *q, *k, *v, *vf;
  float *out;
  int64_t B, H, Nq, Nk, d, dv;
  a16_strides qs, ks, vs, os;
  float scale, vl;
  int causal;
};
template <class T> __global__ void k_attn16(attn16_args<T> g) {
  const int64_t total = g.B * g.H * g.Nq, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t i = t % g.Nq, h = (t / g.Nq) % g.H, b = t / (g.Nq * g.H);
    const T *q = g.q + b * g.qs.sb + h * g.qs.sh + i * g.qs.sn;
    float *o = g.out + b * g.os.sb + h * g.os.sh + i * g.os.sn;
    for (int64_t c = 0; c < g.dv; c++) o[c] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    const int64_t kend = g.causal ? (i + 1 < g.Nk ? i + 1 : g.Nk) : g.Nk;
    for (int64_t j = 0; j < kend; j++) {
      const T *k = g.k + b * g.ks.sb + h * g.ks.sh + j * g.ks.sn;
      float s = 0.0f;
      for (int64_t c = 0; c < g.d; c++) s += p16<T>::to_f(q[c]) * p16<T>::to_f(k[c]);
      s *= g.scale;
      if (s > m) {  // rescale what has been summed so far to the new maximum
        float corr = expf(m - s);
        l *= corr;
        for (int64_t c = 0; c < g.dv; c++) o[c] *= corr;
        m = s;
      }
      const float p = expf(s - m);
      l += p;
      const int64_t vo = b * g.vs.sb + h * g.vs.sh + j * g.vs.sn;
      for (int64_t c = 0; c < g.dv; c++) {
        float vv = p16<T>::to_f(g.v[vo + c]);
        if (g.vf) vv = g.vl * vv + (1.0f - g.vl) * p16<T>::to_f(g.vf[vo + c]);
        o[c] += p * vv;
      }
    }
    const float inv = 1.0f / l;
    for (int64_t c = 0; c < g.dv; c++) o[c] = rnd16<T>(o[c] * inv);
  }
}

// ---- selective scan: one thread per (batch, channel), fp32 state in h (device scratch [B·D·N]) --------
template <class T> struct scan16_args {
  const T *u, *delta, *A, *Bm, *Cm, *Dskip, *z, *dbias, *h0;
  float *out, *hT, *h;
  int64_t Bsz, D, L, N, GB, GC;
  int softplus;
};
template <class T> __global__ void k_scan16(scan16_args<T> g) {
  const int64_t rows = g.Bsz * g.D, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t bd = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; bd < rows; bd += step) {
    const int64_t b = bd / g.D, d = bd % g.D, row = bd * g.L;
    const T *Bp = g.Bm + (b * g.GB + d / (g.D / g.GB)) * g.N * g.L;
    const T *Cp = g.Cm + (b * g.GC + d / (g.D / g.GC)) * g.N * g.L;
    float *h = g.h + bd * g.N;
    for (int64_t n = 0; n < g.N; n++) h[n] = g.h0 ? p16<T>::to_f(g.h0[bd * g.N + n]) : 0.0f;
    const float Dv = g.Dskip ? p16<T>::to_f(g.Dskip[d]) : 0.0f, bias = g.dbias ? p16<T>::to_f(g.dbias[d]) : 0.0f;
    for (int64_t l = 0; l < g.L; l++) {
      float dt = p16<T>::to_f(g.delta[row + l]) + bias;
      if (g.softplus) dt = dt <= 20.0f ? log1pf(expf(dt)) : dt;
      const float u = p16<T>::to_f(g.u[row + l]);
      float y = Dv * u;
      for (int64_t n = 0; n < g.N; n++) {
        float hn = expf(dt * p16<T>::to_f(g.A[d * g.N + n])) * h[n] + dt * p16<T>::to_f(Bp[n * g.L + l]) * u;
        h[n] = hn;
        y += p16<T>::to_f(Cp[n * g.L + l]) * hn;
      }
      if (g.z) {
        float zz = p16<T>::to_f(g.z[row + l]);
        y *= zz / (1.0f + expf(-zz));
      }
      g.out[row + l] = rnd16<T>(y);
    }
    if (g.hT)
      for (int64_t n = 0; n < g.N; n++) g.hT[bd * g.N + n] = h[n];
  }
}

// ---- host side ---------------------------------------------------------------------------------------
// Carves 16-bit copies of up to 9 f32 tensors (NULL entries stay NULL) plus `extra` f32 bytes out of the
// backend's scratch and issues the conversions. dst[i] receives the 16-bit copy of src[i].
template <class T>
static int stage16(const fz_backend *be, int n, const fz_tensor *const *src, const T **dst, size_t extra, float **extra_p,
                   fz_err *err) {
  size_t off[10], total = 0;
  for (int i = 0; i < n; i++) {
    off[i] = total;
    if (src[i]) total += ((size_t)fz_tensor_numel(src[i]) * sizeof(T) + 255) & ~(size_t)255;
  }
  off[n] = total;
  char *base = (char *)fz_cuda_scratch(be, total + extra + 256, err);
  if (!base) return err ? (int)err->code : FZ_ENOMEM;
  cudaStream_t s = fz_cuda_stream(be);
  for (int i = 0; i < n; i++) {
    dst[i] = NULL;
    if (!src[i]) continue;
    T *y = (T *)(base + off[i]);
    int64_t m = fz_tensor_numel(src[i]);
    dst[i] = y;
    if (!m) continue;
    FZ_LAUNCH(k_to16<T>, fz_cuda_blocks(m, P16_THREADS, P16_MAX_BLOCKS), P16_THREADS, 0, s)((const float *)src[i]->data, y, m);
    int rc = fz_cuda_check_launch(be, "16-bit operand conversion kernel", err);
    if (rc) return rc;
  }
  if (extra_p) *extra_p = (float *)(base + off[n]);
  return FZ_OK;
}

// linear entry with 16-bit storage (signature of the backend's linear).
template <class T>
static int p16_linear(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                      int act, float p0, float p1, fz_err *err) {
  lin16_args<T> g;
  memset(&g, 0, sizeof g);
  g.K = x->shape[x->ndim - 1];
  g.N = w->shape[0];
  if (!g.N) return FZ_OK;
  g.M = fz_tensor_numel(out) / g.N;
  if (!g.M) return FZ_OK;
  const fz_tensor *src[3] = {x, w, bias};
  const T *dst[3];
  int rc = stage16<T>(be, 3, src, dst, 0, NULL, err);
  if (rc) return rc;
  g.x = dst[0]; g.w = dst[1]; g.bias = dst[2];
  g.out = (float *)out->data;
  g.act = act; g.p0 = p0; g.p1 = p1;
  dim3 grid((unsigned)((g.N + L16_T - 1) / L16_T), (unsigned)((g.M + L16_T - 1) / L16_T));
  if (grid.y > 65535u) return fz_fail(err, FZ_EUNSUP, "%s: 16-bit linear with %lld rows (more than %d)", be->name, (long long)g.M, 65535 * L16_T);
  FZ_LAUNCH(k_linear16<T>, grid, dim3(L16_T, L16_T), 0, fz_cuda_stream(be))(g);
  return fz_cuda_check_launch(be, "16-bit linear kernel", err);
}

// conv2d entry with 16-bit storage (signature of the backend's conv2d; p: const fz_conv2d_params *).
template <class T>
static int p16_conv2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                      const void *pp, fz_err *err) {
  const fz_conv2d_params *p = (const fz_conv2d_params *)pp;
  conv16_args<T> g;
  memset(&g, 0, sizeof g);
  g.N = x->shape[0]; g.Ci = x->shape[1]; g.H = x->shape[2]; g.W = x->shape[3];
  g.Co = out->shape[1]; g.Ho = out->shape[2]; g.Wo = out->shape[3];
  g.kh = (int)w->shape[2]; g.kw = (int)w->shape[3];
  g.sh = p->stride_h ? p->stride_h : 1; g.sw = p->stride_w ? p->stride_w : 1;
  g.dh = p->dil_h ? p->dil_h : 1; g.dw = p->dil_w ? p->dil_w : 1;
  g.ph = p->pad_h; g.pw = p->pad_w;
  g.groups = p->groups ? p->groups : 1;
  g.mode = p->pad_mode; g.act = p->act; g.p0 = p->act_p0; g.p1 = p->act_p1;
  int64_t total = g.N * g.Co * g.Ho * g.Wo;
  if (!total) return FZ_OK;
  const fz_tensor *src[3] = {x, w, bias};
  const T *dst[3];
  int rc = stage16<T>(be, 3, src, dst, 0, NULL, err);
  if (rc) return rc;
  g.x = dst[0]; g.w = dst[1]; g.bias = dst[2];
  g.out = (float *)out->data;
  FZ_LAUNCH(k_conv16<T>, fz_cuda_blocks(total, P16_THREADS, P16_MAX_BLOCKS), P16_THREADS, 0, fz_cuda_stream(be))(g);
  return fz_cuda_check_launch(be, "16-bit conv2d kernel", err);
}

// conv2d needs no caller workspace at 16 bits (operands are staged in the backend's scratch).
static size_t p16_conv2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p) {
  return 0;
}

// ---- the tensor-core attention gate -------------------------------------------------------------------
// attention_mma.cu's kernel cannot run under the SIMT emulation, so it is used on a device only after this gate
// has run it there next to k_attn16 (its emulated twin) on random 16-bit inputs of two geometries (padded head
// dims, a partial query block, causal) and found them within tolerance: bf16 1e-2, fp16 2e-3 of
// max |mma − twin| / (1 + |twin|) (both round their fp32 result to the 16-bit type: one unit in the last place,
// 2^-8 / 2^-11, may differ where the fp32 sums, taken in other orders, straddle a rounding boundary). Once per
// device and storage type, lazily (never while the stream is being captured); FZ_CUDA_MMA=0 turns it off.
#define MMA_MAX_DEVICES 16
struct mma_gate_state { int state; double err; char why[160]; };  // state: 0 unchecked, 1 enabled, -1 off
static std::mutex mma_mu;
static mma_gate_state mma_gate[2][MMA_MAX_DEVICES];

template <class T> static constexpr int is_bf16() { return sizeof(T) == 2 && !std::is_same<T, __half>::value; }

// Runs both kernels on one random geometry on be's device; *err_out = max |mma − twin| / (1 + |twin|).
template <class T>
static cudaError_t mma_compare(const fz_backend *be, int64_t B, int64_t H, int64_t Nq, int64_t Nk, int64_t d, int64_t dv,
                               int causal, uint64_t seed, double *err_out) {
  const int64_t nq = B * H * Nq * d, nk = B * H * Nk * d, nv = B * H * Nk * dv, no = B * H * Nq * dv, nin = nq + nk + nv;
  float *h_in = (float *)malloc(sizeof(float) * (size_t)nin), *h_a = (float *)malloc(sizeof(float) * (size_t)no);
  float *h_b = (float *)malloc(sizeof(float) * (size_t)no);
  float *d_in = NULL, *d_out = NULL;
  T *d16 = NULL;
  cudaError_t e = h_in && h_a && h_b ? cudaSuccess : cudaErrorMemoryAllocation;
  uint64_t r = seed;
  for (int64_t i = 0; e == cudaSuccess && i < nin; i++) {
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    h_in[i] = (float)((double)(r >> 40) / 16777216.0 * 4.0 - 2.0);
  }
  cudaStream_t s = fz_cuda_stream(be);
  if (e == cudaSuccess) e = cudaMalloc(&d_in, sizeof(float) * (size_t)nin);
  if (e == cudaSuccess) e = cudaMalloc(&d_out, sizeof(float) * (size_t)(2 * no));
  if (e == cudaSuccess) e = cudaMalloc(&d16, sizeof(T) * (size_t)nin);
  if (e == cudaSuccess) e = cudaMemcpyAsync(d_in, h_in, sizeof(float) * (size_t)nin, cudaMemcpyHostToDevice, s);
  if (e == cudaSuccess) {
    FZ_LAUNCH(k_to16<T>, fz_cuda_blocks(nin, P16_THREADS, P16_MAX_BLOCKS), P16_THREADS, 0, s)(d_in, d16, nin);
    e = cudaGetLastError();
  }
  if (e == cudaSuccess) {  // layout 0 [B, H, N, c]
    attn16_args<T> g;
    memset(&g, 0, sizeof g);
    g.q = d16; g.k = d16 + nq; g.v = d16 + nq + nk; g.out = d_out;
    g.B = B; g.H = H; g.Nq = Nq; g.Nk = Nk; g.d = d; g.dv = dv;
    g.qs = a16_strides_of(0, H, Nq, d); g.ks = a16_strides_of(0, H, Nk, d);
    g.vs = a16_strides_of(0, H, Nk, dv); g.os = a16_strides_of(0, H, Nq, dv);
    g.scale = 1.0f / sqrtf((float)d);
    g.causal = causal;
    FZ_LAUNCH(k_attn16<T>, fz_cuda_blocks(B * H * Nq, 128, P16_MAX_BLOCKS), 128, 0, s)(g);
    e = cudaGetLastError();
    if (e == cudaSuccess) {
      fz_attn_mma mg = {g.q, g.k, g.v, d_out + no, B, H, Nq, Nk, d, dv, g.qs.sb, g.qs.sh, g.qs.sn, g.ks.sb, g.ks.sh, g.ks.sn,
                        g.vs.sb, g.vs.sh, g.vs.sn, g.os.sb, g.os.sh, g.os.sn, g.scale, causal, is_bf16<T>()};
      e = fz_cuda_attn_mma_launch(&mg, s);
    }
  }
  if (e == cudaSuccess) e = cudaMemcpyAsync(h_a, d_out, sizeof(float) * (size_t)no, cudaMemcpyDeviceToHost, s);
  if (e == cudaSuccess) e = cudaMemcpyAsync(h_b, d_out + no, sizeof(float) * (size_t)no, cudaMemcpyDeviceToHost, s);
  if (e == cudaSuccess) e = cudaStreamSynchronize(s);
  double worst = 0.0;
  for (int64_t i = 0; e == cudaSuccess && i < no; i++) {
    double x = fabs((double)h_b[i] - (double)h_a[i]) / (1.0 + fabs((double)h_a[i]));
    if (!(x <= worst)) worst = x;  // (NaN counts as the worst)
  }
  *err_out = worst;
  cudaFree(d_in); cudaFree(d_out); cudaFree(d16);
  free(h_in); free(h_a); free(h_b);
  return e;
}

// 1 when the tensor-core attention may run for storage type T on be's device (running the check first if needed).
template <class T> static int mma_enabled(const fz_backend *be) {
  const int dev = fz_cuda_ctx_of(be)->device, t = is_bf16<T>();
  if (dev < 0 || dev >= MMA_MAX_DEVICES) return 0;
  std::lock_guard<std::mutex> lock(mma_mu);
  mma_gate_state *st = &mma_gate[t][dev];
  if (st->state) return st->state > 0;
  fz_attn_mma probe;
  memset(&probe, 0, sizeof probe);
  probe.d = probe.dv = 16;
  const char *env = getenv("FZ_CUDA_MMA");
  if (!fz_cuda_attn_mma_supported(&probe)) {
    st->state = -1;
    snprintf(st->why, sizeof st->why, "not compiled in this build (the SIMT emulation has no warp matrix unit)");
    return 0;
  }
  if (env && !strcmp(env, "0")) {
    st->state = -1;
    snprintf(st->why, sizeof st->why, "off (FZ_CUDA_MMA=0)");
    return 0;
  }
  cudaStreamCaptureStatus cs = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(fz_cuda_stream(be), &cs) != cudaSuccess || cs != cudaStreamCaptureStatusNone) return 0;  // later
  const double tol = t ? 1e-2 : 2e-3;
  double e1 = 0, e2 = 0;
  cudaError_t e = mma_compare<T>(be, 1, 2, 150, 150, 32, 32, 0, 7, &e1);
  if (e == cudaSuccess) e = mma_compare<T>(be, 2, 1, 70, 130, 24, 40, 1, 11, &e2);
  st->err = e1 > e2 ? e1 : e2;
  if (e != cudaSuccess) {
    cudaGetLastError();
    st->state = -1;
    snprintf(st->why, sizeof st->why, "off: the device check failed to run (%s)", cudaGetErrorString(e));
  } else if (!(st->err <= tol)) {
    st->state = -1;
    snprintf(st->why, sizeof st->why, "off: max err %.3g vs the portable kernel exceeds %.1e", st->err, tol);
  } else {
    st->state = 1;
    snprintf(st->why, sizeof st->why, "enabled: max err %.3g vs the portable kernel (tolerance %.1e)", st->err, tol);
  }
  return st->state > 0;
}

// Prints, per 16-bit storage type, whether the tensor-core attention runs on be's device (running the gate now).
extern "C" void fz_cuda_fastpath_report(const fz_backend *be, FILE *out) {
  mma_enabled<__nv_bfloat16>(be);
  mma_enabled<__half>(be);
  const int dev = fz_cuda_ctx_of(be)->device;
  for (int t = 1; t >= 0; t--) {
    const mma_gate_state *st = dev >= 0 && dev < MMA_MAX_DEVICES ? &mma_gate[t][dev] : NULL;
    fprintf(out, "  fast path: %s attention on the tensor cores (wmma, --precision %s): %s\n", t ? "bf16" : "fp16",
            t ? "bf16" : "fp16", st && st->state ? st->why : "not checked");
  }
}

// attention entry with 16-bit storage (signature of the backend's attention; ws is not needed).
template <class T>
static int p16_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                         const fz_tensor *v_first, int heads, int layout, float scale, int causal, float v_lambda, void *ws,
                         size_t ws_bytes, fz_err *err) {
  attn16_args<T> g;
  memset(&g, 0, sizeof g);
  g.B = q->shape[0];
  if (layout == 0) { g.H = q->shape[1]; g.Nq = q->shape[2]; g.d = q->shape[3]; g.Nk = k->shape[2]; g.dv = v->shape[3]; }
  else if (layout == 1) { g.H = heads; g.Nq = q->shape[1]; g.d = q->shape[2] / heads; g.Nk = k->shape[1]; g.dv = v->shape[2] / heads; }
  else return fz_fail(err, FZ_EUNSUP, "%s: 16-bit attention in layout %d", be->name, layout);
  if (g.B * g.H * g.Nq == 0) return FZ_OK;
  const fz_tensor *src[4] = {q, k, v, v_first};
  const T *dst[4];
  int rc = stage16<T>(be, 4, src, dst, 0, NULL, err);
  if (rc) return rc;
  g.q = dst[0]; g.k = dst[1]; g.v = dst[2]; g.vf = dst[3];
  g.out = (float *)out->data;
  g.qs = a16_strides_of(layout, g.H, g.Nq, g.d);
  g.ks = a16_strides_of(layout, g.H, g.Nk, g.d);
  g.vs = a16_strides_of(layout, g.H, g.Nk, g.dv);
  g.os = a16_strides_of(layout, g.H, g.Nq, g.dv);
  g.scale = scale;
  g.vl = v_lambda;
  g.causal = causal;
  fz_attn_mma mg = {g.q, g.k, g.v, g.out, g.B, g.H, g.Nq, g.Nk, g.d, g.dv, g.qs.sb, g.qs.sh, g.qs.sn, g.ks.sb, g.ks.sh, g.ks.sn,
                    g.vs.sb, g.vs.sh, g.vs.sn, g.os.sb, g.os.sh, g.os.sn, scale, causal, is_bf16<T>()};
  if (!g.vf && fz_cuda_attn_mma_supported(&mg) && mma_enabled<T>(be)) {  // the checked tensor-core path
    cudaError_t e = fz_cuda_attn_mma_launch(&mg, fz_cuda_stream(be));
    if (e != cudaSuccess) return fz_cuda_fail(be, e, "16-bit attention (tensor cores)", err);
    return FZ_OK;
  }
  FZ_LAUNCH(k_attn16<T>, fz_cuda_blocks(g.B * g.H * g.Nq, 128, P16_MAX_BLOCKS), 128, 0, fz_cuda_stream(be))(g);
  return fz_cuda_check_launch(be, "16-bit attention kernel", err);
}

static size_t p16_attention_workspace(const fz_backend *be, int64_t d, int64_t dv) { return 0; }

// selective_scan entry with 16-bit storage (signature of the backend's selective_scan).
template <class T>
static int p16_selective_scan(const fz_backend *be, fz_tensor *out, fz_tensor *state_out, const fz_tensor *u,
                              const fz_tensor *delta, const fz_tensor *A, const fz_tensor *Bm, const fz_tensor *Cm,
                              const fz_tensor *Dskip, const fz_tensor *z, const fz_tensor *delta_bias,
                              const fz_tensor *state_in, int delta_softplus, fz_err *err) {
  scan16_args<T> g;
  memset(&g, 0, sizeof g);
  g.Bsz = u->shape[0]; g.D = u->shape[1]; g.L = u->shape[2]; g.N = A->shape[1];
  g.GB = Bm->ndim == 4 ? Bm->shape[1] : 1;
  g.GC = Cm->ndim == 4 ? Cm->shape[1] : 1;
  if (g.Bsz * g.D == 0) return FZ_OK;
  const fz_tensor *src[9] = {u, delta, A, Bm, Cm, Dskip, z, delta_bias, state_in};
  const T *dst[9];
  int rc = stage16<T>(be, 9, src, dst, sizeof(float) * (size_t)(g.Bsz * g.D * g.N), &g.h, err);
  if (rc) return rc;
  g.u = dst[0]; g.delta = dst[1]; g.A = dst[2]; g.Bm = dst[3]; g.Cm = dst[4]; g.Dskip = dst[5]; g.z = dst[6];
  g.dbias = dst[7]; g.h0 = dst[8];
  g.out = (float *)out->data;
  g.hT = state_out ? (float *)state_out->data : NULL;
  g.softplus = delta_softplus;
  FZ_LAUNCH(k_scan16<T>, fz_cuda_blocks(g.Bsz * g.D, 64, P16_MAX_BLOCKS), 64, 0, fz_cuda_stream(be))(g);
  return fz_cuda_check_launch(be, "16-bit selective_scan kernel", err);
}

extern "C" const fz_backend *fz_backend_cuda(int device, fz_err *err);

#define P16_MAX_DEVICES 16
static std::mutex p16_mu;
static fz_backend p16_tab[2][P16_MAX_DEVICES];
static char p16_name[2][P16_MAX_DEVICES][32];

// Fills t's four heavy-op entries with the 16-bit-storage versions for storage type T.
template <class T> static void p16_fill(fz_backend *t) {
  t->linear = p16_linear<T>;
  t->conv2d = p16_conv2d<T>;
  t->conv2d_workspace = p16_conv2d_workspace;
  t->attention = p16_attention<T>;
  t->attention_workspace = p16_attention_workspace;
  t->selective_scan = p16_selective_scan<T>;
}

// The backend table of CUDA device `device` with dtype (FZ_BF16 or FZ_F16) storage for linear, conv2d,
// attention and selective scan (fp32 accumulation); FZ_F32 returns the plain table. NULL with err.
extern "C" const fz_backend *fz_backend_cuda_precision(int device, fz_dtype dtype, fz_err *err) {
  const fz_backend *base = fz_backend_cuda(device, err);
  if (!base || dtype == FZ_F32) return base;
  if (dtype != FZ_BF16 && dtype != FZ_F16) {
    fz_fail(err, FZ_EINVAL, "--precision: dtype %s is not a compute precision (expected fp32, bf16 or fp16)", fz_dtype_name(dtype));
    return NULL;
  }
  const int w = dtype == FZ_BF16 ? 0 : 1;
  std::lock_guard<std::mutex> lk(p16_mu);
  fz_backend *t = &p16_tab[w][device];
  if (t->name) return t;
  fz_backend tmp = *base;
  snprintf(p16_name[w][device], sizeof p16_name[w][device], "%s/%s", base->name, w == 0 ? "bf16" : "fp16");
  tmp.name = p16_name[w][device];
  if (w == 0) p16_fill<__nv_bfloat16>(&tmp);
  else p16_fill<__half>(&tmp);
  *t = tmp;
  return t;
}
