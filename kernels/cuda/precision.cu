// precision.cu — bf16 / fp16 storage with fp32 accumulation for the heavy ops of the CUDA backend
// (`--precision bf16|fp16`): linear (GEMM), conv2d, attention and selective scan.
// fz_backend_cuda_precision(device, dtype) returns a second backend table for the device that shares its
// stream, memory and every other op with the fp32 table, and replaces those four entries: each rounds its
// operands (activations and weights) to 16 bits (round to nearest even, as cvt.rn does), computes with
// fp32 products and sums (softmax, state and statistics in fp32), and rounds its result to 16 bits once.
// Tensors between ops keep the f32 interface of runtime/backend.h, holding 16-bit-representable values:
// the numerics are those of 16-bit storage; the memory and bandwidth saving of keeping the activations in
// 2-byte tensors needs the fz_tensor dtype plumbing through the models and is left (docs/CUDA.md).
// Each entry rounds its operands into f32 copies holding 16-bit values (a staging buffer of its own, so the fp32
// op below may use the backend's scratch), runs the backend's fp32 kernel on them (cuBLAS / cuDNN / the flash
// attention / the chunked scan: fp32 products and sums), and rounds the result in place: 16-bit storage numerics at
// fp32 speed. The one tensor-core path, the 16-bit attention of attention_mma.cu, runs only after the gate below
// has checked it on the device against this route (its emulated twin).
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

// y[i] = x[i] rounded to T (the value a 16-bit tensor would hold), for i < n; y may be x.
template <class T> __global__ void k_round16(const float *x, float *y, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    y[i] = rnd16<T>(x[i]);
}

// Strides of layout 0 [B,H,N,d] or 1 [B,N,H·d] for H heads, N tokens, d channels (channel stride 1).
struct a16_strides {
  int64_t sb, sh, sn;
};
static a16_strides a16_strides_of(int layout, int64_t H, int64_t N, int64_t d) {
  a16_strides s;
  if (layout == 0) { s.sn = d; s.sh = N * d; s.sb = H * N * d; }
  else { s.sn = H * d; s.sh = d; s.sb = N * H * d; }
  return s;
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

// A device buffer per device for the rounded operand copies (grown as needed; growing frees the old buffer, which
// waits for the work that used it).
#define P16_MAX_DEVICES 16
static std::mutex stage_mu;
static void *stage_buf[P16_MAX_DEVICES];
static size_t stage_bytes[P16_MAX_DEVICES];

// Rounds up to 9 f32 tensors (NULL entries stay NULL) to T-representable values into f32 copies; dst[i] becomes a
// view of src[i]'s copy (same shape, not owning). Issued on be's stream.
template <class T>
static int stage_rounded(const fz_backend *be, int n, const fz_tensor *const *src, fz_tensor *dst, const fz_tensor **view,
                         fz_err *err) {
  const int dev = fz_cuda_ctx_of(be)->device;
  if (dev < 0 || dev >= P16_MAX_DEVICES) return fz_fail(err, FZ_EUNSUP, "%s: 16-bit storage on device %d (at most %d devices)", be->name, dev, P16_MAX_DEVICES);
  size_t off[10], total = 0;
  for (int i = 0; i < n; i++) {
    off[i] = total;
    if (src[i]) total += ((size_t)fz_tensor_numel(src[i]) * sizeof(float) + 255) & ~(size_t)255;
  }
  cudaStream_t s = fz_cuda_stream(be);
  char *base;
  {
    std::lock_guard<std::mutex> lock(stage_mu);
    if (stage_bytes[dev] < total) {
      void *p = NULL;
      size_t want = total + total / 4;
      cudaError_t e = cudaMalloc(&p, want);
      if (e != cudaSuccess) { cudaGetLastError(); return fz_cuda_fail(be, e, "16-bit operand staging allocation", err); }
      if (stage_buf[dev]) cudaFree(stage_buf[dev]);
      stage_buf[dev] = p;
      stage_bytes[dev] = want;
    }
    base = (char *)stage_buf[dev];
  }
  for (int i = 0; i < n; i++) {
    view[i] = NULL;
    if (!src[i]) continue;
    dst[i] = *src[i];
    dst[i].data = base + off[i];
    dst[i].owns = 0;
    view[i] = &dst[i];
    int64_t m = fz_tensor_numel(src[i]);
    if (!m) continue;
    FZ_LAUNCH(k_round16<T>, fz_cuda_blocks(m, P16_THREADS, P16_MAX_BLOCKS), P16_THREADS, 0, s)((const float *)src[i]->data,
                                                                                             (float *)dst[i].data, m);
    int rc = fz_cuda_check_launch(be, "16-bit operand rounding kernel", err);
    if (rc) return rc;
  }
  return FZ_OK;
}

// Rounds t's values to T in place (the op's one rounding of its result).
template <class T> static int round_result(const fz_backend *be, fz_tensor *t, fz_err *err) {
  int64_t m = fz_tensor_numel(t);
  if (!m) return FZ_OK;
  FZ_LAUNCH(k_round16<T>, fz_cuda_blocks(m, P16_THREADS, P16_MAX_BLOCKS), P16_THREADS, 0, fz_cuda_stream(be))(
      (const float *)t->data, (float *)t->data, m);
  return fz_cuda_check_launch(be, "16-bit result rounding kernel", err);
}

// linear entry with 16-bit storage (signature of the backend's linear).
template <class T>
static int p16_linear(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                      int act, float p0, float p1, fz_err *err) {
  const fz_tensor *src[3] = {x, w, bias}, *v[3];
  fz_tensor r[3];
  int rc = stage_rounded<T>(be, 3, src, r, v, err);
  if (!rc) rc = fz_cuda_linear(be, out, v[0], v[1], v[2], act, p0, p1, err);
  return rc ? rc : round_result<T>(be, out, err);
}

// conv2d entry with 16-bit storage (signature of the backend's conv2d; p: const fz_conv2d_params *).
template <class T>
static int p16_conv2d(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const fz_tensor *w, const fz_tensor *bias,
                      const void *pp, fz_err *err) {
  const fz_tensor *src[3] = {x, w, bias}, *v[3];
  fz_tensor r[3];
  int rc = stage_rounded<T>(be, 3, src, r, v, err);
  if (!rc) rc = fz_cuda_conv2d(be, out, v[0], v[1], v[2], pp, err);
  return rc ? rc : round_result<T>(be, out, err);
}

// conv2d needs no caller workspace at 16 bits (as at fp32).
static size_t p16_conv2d_workspace(const fz_backend *be, const int64_t *x_shape, const int64_t *w_shape, const void *p) {
  return 0;
}

// The route every 16-bit attention takes without the tensor cores (and the twin the gate checks them against):
// the fp32 flash attention on rounded q, k, v (and v_first), its result rounded.
template <class T>
static int attention_rounded(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                             const fz_tensor *v_first, int heads, int layout, float scale, int causal, float v_lambda, fz_err *err) {
  const fz_tensor *src[4] = {q, k, v, v_first}, *vw[4];
  fz_tensor r[4];
  int rc = stage_rounded<T>(be, 4, src, r, vw, err);
  if (!rc) rc = fz_cuda_attention(be, out, vw[0], vw[1], vw[2], vw[3], heads, layout, scale, causal, v_lambda, NULL, 0, err);
  return rc ? rc : round_result<T>(be, out, err);
}

// ---- the tensor-core attention gate -------------------------------------------------------------------
// attention_mma.cu's kernel cannot run under the SIMT emulation, so it is used on a device only after this gate
// has run it there next to attention_rounded (the route the emulated tests check: its twin) on random inputs of
// two geometries (padded head
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
  if (e == cudaSuccess) {  // layout 0 [B, H, N, c]: the twin from the f32 copies, the mma kernel from the 16-bit ones
    const a16_strides qs = a16_strides_of(0, H, Nq, d), ks = a16_strides_of(0, H, Nk, d), vs = a16_strides_of(0, H, Nk, dv),
                      os = a16_strides_of(0, H, Nq, dv);
    const float scale = 1.0f / sqrtf((float)d);
    fz_tensor tq = {FZ_F32, 4, {B, H, Nq, d}, d_in, be, 0}, tk = {FZ_F32, 4, {B, H, Nk, d}, d_in + nq, be, 0};
    fz_tensor tv = {FZ_F32, 4, {B, H, Nk, dv}, d_in + nq + nk, be, 0}, to = {FZ_F32, 4, {B, H, Nq, dv}, d_out, be, 0};
    fz_err ferr;
    memset(&ferr, 0, sizeof ferr);
    if (attention_rounded<T>(be, &to, &tq, &tk, &tv, NULL, (int)H, 0, scale, causal, 1.0f, &ferr)) e = cudaErrorLaunchFailure;
    if (e == cudaSuccess) {
      fz_attn_mma mg = {d16, d16 + nq, d16 + nq + nk, d_out + no, B, H, Nq, Nk, d, dv, qs.sb, qs.sh, qs.sn, ks.sb, ks.sh, ks.sn,
                        vs.sb, vs.sh, vs.sn, os.sb, os.sh, os.sn, scale, causal, is_bf16<T>()};
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
    snprintf(st->why, sizeof st->why, "off: max err %.3g vs the portable route exceeds %.1e", st->err, tol);
  } else {
    st->state = 1;
    snprintf(st->why, sizeof st->why, "enabled: max err %.3g vs the portable route (tolerance %.1e)", st->err, tol);
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

// attention entry with 16-bit storage (signature of the backend's attention; ws is not needed): the tensor cores
// when the gate has enabled them on this device (no value residual), else attention_rounded.
template <class T>
static int p16_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                         const fz_tensor *v_first, int heads, int layout, float scale, int causal, float v_lambda, void *ws,
                         size_t ws_bytes, fz_err *err) {
  if (layout != 0 && layout != 1) return fz_fail(err, FZ_EUNSUP, "%s: 16-bit attention in layout %d", be->name, layout);
  const int64_t B = q->shape[0];
  int64_t H, Nq, Nk, d, dv;
  if (layout == 0) { H = q->shape[1]; Nq = q->shape[2]; d = q->shape[3]; Nk = k->shape[2]; dv = v->shape[3]; }
  else { H = heads; Nq = q->shape[1]; d = q->shape[2] / heads; Nk = k->shape[1]; dv = v->shape[2] / heads; }
  if (B * H * Nq == 0) return FZ_OK;
  const a16_strides qs = a16_strides_of(layout, H, Nq, d), ks = a16_strides_of(layout, H, Nk, d),
                    vs = a16_strides_of(layout, H, Nk, dv), os = a16_strides_of(layout, H, Nq, dv);
  fz_attn_mma mg = {NULL, NULL, NULL, (float *)out->data, B, H, Nq, Nk, d, dv, qs.sb, qs.sh, qs.sn, ks.sb, ks.sh, ks.sn,
                    vs.sb, vs.sh, vs.sn, os.sb, os.sh, os.sn, scale, causal, is_bf16<T>()};
  if (!v_first && fz_cuda_attn_mma_supported(&mg) && mma_enabled<T>(be)) {  // the checked tensor-core path
    const fz_tensor *src[3] = {q, k, v};
    const T *dst[3];
    int rc = stage16<T>(be, 3, src, dst, 0, NULL, err);
    if (rc) return rc;
    mg.q = dst[0]; mg.k = dst[1]; mg.v = dst[2];
    cudaError_t e = fz_cuda_attn_mma_launch(&mg, fz_cuda_stream(be));
    return e == cudaSuccess ? FZ_OK : fz_cuda_fail(be, e, "16-bit attention (tensor cores)", err);
  }
  return attention_rounded<T>(be, out, q, k, v, v_first, heads, layout, scale, causal, v_lambda, err);
}

static size_t p16_attention_workspace(const fz_backend *be, int64_t d, int64_t dv) { return 0; }

// selective_scan entry with 16-bit storage (signature of the backend's selective_scan): the fp32 chunked scan on
// rounded operands; the output is rounded, the final state (state_out) stays fp32 as the scan state is.
template <class T>
static int p16_selective_scan(const fz_backend *be, fz_tensor *out, fz_tensor *state_out, const fz_tensor *u,
                              const fz_tensor *delta, const fz_tensor *A, const fz_tensor *Bm, const fz_tensor *Cm,
                              const fz_tensor *Dskip, const fz_tensor *z, const fz_tensor *delta_bias,
                              const fz_tensor *state_in, int delta_softplus, fz_err *err) {
  const fz_tensor *src[9] = {u, delta, A, Bm, Cm, Dskip, z, delta_bias, state_in}, *v[9];
  fz_tensor r[9];
  int rc = stage_rounded<T>(be, 9, src, r, v, err);
  if (!rc) rc = fz_cuda_selective_scan(be, out, state_out, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], delta_softplus, err);
  return rc ? rc : round_result<T>(be, out, err);
}

extern "C" const fz_backend *fz_backend_cuda(int device, fz_err *err);

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
