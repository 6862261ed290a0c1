// attention.cu — attention on the GPU.
//  * Flash attention (softmax(scale·q·kᵀ)·v' per batch and head, optional causal mask and MMAIF value
//    residual v' = λ·v + (1-λ)·v_first): one block of 8 warps per 8 queries; the block streams the keys in
//    tiles staged in shared memory (K [bk][d], V' [bk][dv]) and each warp keeps its query's online softmax
//    (running max m, sum l, output row O) — memory O(tile·d), no N×N scores. Scores in base 2 (q pre-scaled
//    by scale·log2 e, exp2). Roofline: 4·Nq·Nk·d FLOPs for (Nq·d + (Nq/8)·Nk·(d+dv) + Nq·dv)·4 bytes;
//    the 8-query reuse of each K/V tile keeps it compute bound for d >= 16.
//  * Channel ("transposed") attention, d×d per (batch, head): blocks over token chunks stage q and k in shared
//    memory and sum the Gram entries and channel norms of their chunk in double; a second kernel adds the chunks
//    in order; a block per logit row applies temperature / normalisation and the softmax in double; a last
//    kernel mixes the channels of v.
#include "cuda_ops.h"
#include "device_util.cuh"

#define FA_WARPS 8
#define FA_THREADS (FA_WARPS * 32)

// Element strides (batch, head, token) of a [B,H,N,c] (layout 0) or [B,N,H·c] (layout 1) tensor.
struct attn_strides {
  int64_t sb, sh, sn;
};
struct attn_geom {
  const float *q, *k, *v, *vf;
  float *out;
  attn_strides qs, ks, vs, os;
  int64_t B, H, Nq, Nk, d, dv;
  float qscale, vl;
  int causal, bk;
};

FZ_HOT __global__ void __launch_bounds__(FA_THREADS) k_flash_attention(attn_geom g) {
  FZ_DYNAMIC_SHARED(float, sm);
  const int d = (int)g.d, dv = (int)g.dv, bk = g.bk, warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  float *Qs = sm, *Os = Qs + FA_WARPS * d, *Ks = Os + FA_WARPS * dv, *Vs = Ks + bk * d;
  float *qrow = Qs + warp * d, *orow = Os + warp * dv;
  const int64_t nqb = (g.Nq + FA_WARPS - 1) / FA_WARPS, tasks = g.B * g.H * nqb;
  for (int64_t task = blockIdx.x; task < tasks; task += gridDim.x) {
    const int64_t b = task / (g.H * nqb), h = (task / nqb) % g.H, q0 = (task % nqb) * FA_WARPS, qi = q0 + warp;
    const bool qok = qi < g.Nq;  // uniform within the warp
    const float *qp = g.q + b * g.qs.sb + h * g.qs.sh + qi * g.qs.sn;
    const float *kp = g.k + b * g.ks.sb + h * g.ks.sh, *vp = g.v + b * g.vs.sb + h * g.vs.sh;
    const float *vfp = g.vf ? g.vf + b * g.vs.sb + h * g.vs.sh : NULL;
    for (int c = lane; c < d; c += 32) qrow[c] = qok ? qp[c] * g.qscale : 0.0f;
    for (int c = lane; c < dv; c += 32) orow[c] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    const int64_t last_q = q0 + FA_WARPS - 1 < g.Nq - 1 ? q0 + FA_WARPS - 1 : g.Nq - 1;
    const int64_t kend = g.causal ? (last_q + 1 < g.Nk ? last_q + 1 : g.Nk) : g.Nk;  // later keys are all masked
    for (int64_t k0 = 0; k0 < kend; k0 += bk) {
      const int kc = (int)(kend - k0 < bk ? kend - k0 : bk);
      __syncthreads();  // the previous tile has been consumed
      for (int e = threadIdx.x; e < kc * d; e += FA_THREADS) {
        int j = e / d, c = e % d;
        Ks[e] = kp[(k0 + j) * g.ks.sn + c];
      }
      for (int e = threadIdx.x; e < kc * dv; e += FA_THREADS) {
        int j = e / dv, c = e % dv;
        float x = vp[(k0 + j) * g.vs.sn + c];
        Vs[e] = vfp ? g.vl * x + (1.0f - g.vl) * vfp[(k0 + j) * g.vs.sn + c] : x;
      }
      __syncthreads();
      if (!qok) continue;
      float s = -INFINITY;  // lane j scores key k0 + j
      if (lane < kc && (!g.causal || k0 + lane <= qi)) {
        const float *kr = Ks + lane * d;
        float acc = 0.0f;
        for (int c = 0; c < d; c++) acc += qrow[c] * kr[c];
        s = acc;
      }
      float mnew = fmaxf(m, fz_warp_nanmax(s));
      if (mnew == -INFINITY) continue;  // every key so far masked
      float corr = exp2f(m - mnew), p = s == -INFINITY ? 0.0f : exp2f(s - mnew);
      l = l * corr + fz_warp_sum(p);
      m = mnew;
      for (int c0 = 0; c0 < dv; c0 += 32) {  // lane owns column c0 + lane; every lane runs every shuffle
        int c = c0 + lane;
        float acc = c < dv ? orow[c] * corr : 0.0f;
        for (int j = 0; j < kc; j++) {
          float pj = __shfl_sync(0xffffffffu, p, j);
          if (c < dv) acc += pj * Vs[j * dv + c];
        }
        if (c < dv) orow[c] = acc;
      }
    }
    if (qok) {
      float inv = 1.0f / l, *op = g.out + b * g.os.sb + h * g.os.sh + qi * g.os.sn;
      for (int c = lane; c < dv; c += 32) op[c] = orow[c] * inv;
    }
    __syncthreads();  // Qs / Os rows are rewritten by the next task
  }
}

// Strides of a [B,H,N,c] (layout 0) or [B,N,H·c] (layout 1) tensor.
static attn_strides strides_of(int layout, int64_t H, int64_t N, int64_t c) {
  attn_strides s;
  if (layout == 0) { s.sn = c; s.sh = N * c; s.sb = H * N * c; }
  else { s.sn = H * c; s.sh = c; s.sb = N * H * c; }
  return s;
}

int fz_cuda_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                      const fz_tensor *v_first, int heads, int layout, float scale, int causal, float v_lambda, void *ws,
                      size_t ws_bytes, fz_err *err) {
  attn_geom g;
  memset(&g, 0, sizeof g);
  g.B = q->shape[0];
  if (layout == 0) { g.H = q->shape[1]; g.Nq = q->shape[2]; g.d = q->shape[3]; g.Nk = k->shape[2]; g.dv = v->shape[3]; }
  else { g.H = heads; g.Nq = q->shape[1]; g.d = q->shape[2] / heads; g.Nk = k->shape[1]; g.dv = v->shape[2] / heads; }
  if (g.B * g.H * g.Nq == 0) return FZ_OK;
  g.q = (const float *)q->data; g.k = (const float *)k->data; g.v = (const float *)v->data;
  g.vf = v_first ? (const float *)v_first->data : NULL;
  g.out = (float *)out->data;
  g.qs = strides_of(layout, g.H, g.Nq, g.d);
  g.ks = strides_of(layout, g.H, g.Nk, g.d);
  g.vs = strides_of(layout, g.H, g.Nk, g.dv);
  g.os = strides_of(layout, g.H, g.Nq, g.dv);
  g.qscale = scale * 1.4426950408889634f;
  g.vl = v_lambda;
  g.causal = causal;
  // Key tile: 32 keys when the shared memory fits in 48 KiB, else 16 or 8.
  size_t smem = 0;
  for (g.bk = 32; g.bk >= 8; g.bk /= 2) {
    smem = sizeof(float) * (size_t)(FA_WARPS * (g.d + g.dv) + g.bk * (g.d + g.dv));
    if (smem <= 48 * 1024) break;
  }
  if (g.bk < 8)
    return fz_fail(err, FZ_EUNSUP, "%s: attention with head dims d = %lld, dv = %lld needs more than 48 KiB of shared memory "
                   "(d + dv <= 768 supported)", be->name, (long long)g.d, (long long)g.dv);
  int64_t tasks = g.B * g.H * ((g.Nq + FA_WARPS - 1) / FA_WARPS);
  FZ_LAUNCH(k_flash_attention, (unsigned)(tasks < 1048576 ? tasks : 1048576), FA_THREADS, smem, fz_cuda_stream(be))(g);
  return fz_cuda_check_launch(be, "flash attention kernel", err);
}

size_t fz_cuda_attention_workspace(const fz_backend *be, int64_t d, int64_t dv) { return 0; }

// ---- channel attention ---------------------------------------------------------------------------------
// Strides (batch, head, token, channel) of layouts 0 [B,H,N,d], 1 [B,N,H·d], 2 [B,H,d,N].
struct ch_strides {
  int64_t sb, sh, sn, sc;
};
struct chattn_geom {
  const float *q, *k, *v, *temp;
  float *out, *M;  // M: [B·H, d, d] mixing matrices
  double *part;    // [B·H, nchunk, d·d + 2d] per-chunk sums: the Gram matrix, then Σq², then Σk² per channel
  double *gram;    // [B·H, d·d + 2d] their totals
  int64_t nc, nchunk;  // tokens per chunk, chunks
  ch_strides s;
  int64_t B, H, N, d;
  double scale;
  int normalize, transpose_attn;
};

// Grid (chunk, b·h): the chunk's nc tokens of q and k are staged in shared memory ([nc][d] each) and each thread
// sums, in double over the chunk's tokens in order, some of the d·d + 2d products: q_i·k_j, q_i², k_j².
__global__ void k_chattn_gram_part(chattn_geom g) {
  FZ_DYNAMIC_SHARED(float, qk);  // [2][nc][d]
  const int64_t bh = blockIdx.y, ch = blockIdx.x, b = bh / g.H, h = bh % g.H, d = g.d, n0 = ch * g.nc;
  const int64_t nn = g.N - n0 < g.nc ? g.N - n0 : g.nc, P = d * d + 2 * d;
  const float *q = g.q + b * g.s.sb + h * g.s.sh, *k = g.k + b * g.s.sb + h * g.s.sh;
  float *qs = qk, *ks = qk + g.nc * d;
  for (int64_t e = threadIdx.x; e < nn * d; e += blockDim.x) {
    const int64_t n = e / d, c = e % d, o = (n0 + n) * g.s.sn + c * g.s.sc;
    qs[e] = q[o];
    ks[e] = k[o];
  }
  __syncthreads();
  double *out = g.part + (bh * g.nchunk + ch) * P;
  for (int64_t pr = threadIdx.x; pr < P; pr += blockDim.x) {
    const float *a, *c;
    if (pr < d * d) { a = qs + pr / d; c = ks + pr % d; }
    else if (pr < d * d + d) { a = c = qs + (pr - d * d); }
    else { a = c = ks + (pr - d * d - d); }
    double acc = 0.0;
    for (int64_t n = 0; n < nn; n++) acc += (double)a[n * d] * (double)c[n * d];
    out[pr] = acc;
  }
}

// gram[bh, p] = Σ over chunks in order of part[bh, chunk, p].
__global__ void k_chattn_gram_sum(chattn_geom g) {
  const int64_t P = g.d * g.d + 2 * g.d, total = g.B * g.H * P, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t bh = t / P, p = t % P;
    const double *src = g.part + bh * g.nchunk * P + p;
    double acc = 0.0;
    for (int64_t c = 0; c < g.nchunk; c++) acc += src[c * P];
    g.gram[t] = acc;
  }
}

// One block per (b, h, row i): logits from the Gram row and the norms (k_chattn_gram_*), softmax over j (double);
// M[i][j] (or M[j][i] when transpose_attn) = the softmax.
__global__ void k_chattn_logits(chattn_geom g) {
  FZ_DYNAMIC_SHARED(double, row);  // [d] logits
  const int64_t rows = g.B * g.H * g.d, P = g.d * g.d + 2 * g.d;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t bh = r / g.d, i = r % g.d, h = bh % g.H;
    const double *G = g.gram + bh * P;
    const double nq = G[g.d * g.d + i];
    const double mul = g.scale * (g.temp ? (double)g.temp[h] : 1.0);
    for (int64_t j = threadIdx.x; j < g.d; j += blockDim.x) {
      const double acc = G[i * g.d + j], nk = G[g.d * g.d + g.d + j];
      double x = acc * mul;
      if (g.normalize) x /= fmax(sqrt(nq), 1e-12) * fmax(sqrt(nk), 1e-12);
      row[j] = x;
    }
    __syncthreads();
    double mx = -INFINITY;
    for (int64_t j = threadIdx.x; j < g.d; j += blockDim.x) mx = row[j] > mx ? row[j] : mx;
    __shared__ double red[32];
    {  // block max in double
      for (int o = 16; o > 0; o >>= 1) { double y = __shfl_xor_sync(0xffffffffu, mx, o); mx = y > mx ? y : mx; }
      if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = mx;
      __syncthreads();
      if (threadIdx.x < 32) {
        double y = threadIdx.x < (blockDim.x >> 5) ? red[threadIdx.x] : -INFINITY;
        for (int o = 16; o > 0; o >>= 1) { double t = __shfl_xor_sync(0xffffffffu, y, o); y = t > y ? t : y; }
        if (threadIdx.x == 0) red[0] = y;
      }
      __syncthreads();
      mx = red[0];
      __syncthreads();
    }
    double sum = 0.0;
    for (int64_t j = threadIdx.x; j < g.d; j += blockDim.x) sum += exp(row[j] - mx);
    sum = fz_block_sum(sum);
    float *M = g.M + bh * g.d * g.d;
    for (int64_t j = threadIdx.x; j < g.d; j += blockDim.x) {
      float a = (float)(exp(row[j] - mx) / sum);
      if (g.transpose_attn) M[j * g.d + i] = a;
      else M[i * g.d + j] = a;
    }
    __syncthreads();
  }
}

// out[n, i] = Σ_j M[i][j]·v[n, j] for every (b, h, n, i).
__global__ void k_chattn_mix(chattn_geom g) {
  const int64_t total = g.B * g.H * g.N * g.d, step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += step) {
    const int64_t i = t % g.d, n = (t / g.d) % g.N, bh = t / (g.d * g.N), b = bh / g.H, h = bh % g.H;
    const int64_t off = b * g.s.sb + h * g.s.sh + n * g.s.sn;
    const float *M = g.M + bh * g.d * g.d + i * g.d, *v = g.v + off;
    float acc = 0.0f;
    for (int64_t j = 0; j < g.d; j++) acc += M[j] * v[j * g.s.sc];
    g.out[off + i * g.s.sc] = acc;
  }
}

int fz_cuda_channel_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k,
                              const fz_tensor *v, const fz_tensor *temperature, int heads, int layout, int normalize,
                              float scale, int transpose_attn, fz_err *err) {
  chattn_geom g;
  memset(&g, 0, sizeof g);
  g.B = q->shape[0];
  if (layout == 0) { g.H = q->shape[1]; g.N = q->shape[2]; g.d = q->shape[3]; }
  else if (layout == 1) { g.H = heads; g.N = q->shape[1]; g.d = q->shape[2] / heads; }
  else { g.H = q->shape[1]; g.d = q->shape[2]; g.N = q->shape[3]; }
  if (layout == 0) { g.s.sc = 1; g.s.sn = g.d; g.s.sh = g.N * g.d; g.s.sb = g.H * g.N * g.d; }
  else if (layout == 1) { g.s.sc = 1; g.s.sn = g.H * g.d; g.s.sh = g.d; g.s.sb = g.N * g.H * g.d; }
  else { g.s.sn = 1; g.s.sc = g.N; g.s.sh = g.d * g.N; g.s.sb = g.H * g.d * g.N; }
  if (g.B * g.H * g.d == 0) return FZ_OK;
  if ((size_t)g.d * sizeof(double) > 48 * 1024)
    return fz_fail(err, FZ_EUNSUP, "%s: channel attention with d = %lld > 6144 channels per head", be->name, (long long)g.d);
  g.q = (const float *)q->data; g.k = (const float *)k->data; g.v = (const float *)v->data;
  g.temp = temperature ? (const float *)temperature->data : NULL;
  g.out = (float *)out->data;
  g.scale = scale;
  g.normalize = normalize;
  g.transpose_attn = transpose_attn;
  // token chunks whose q and k tiles fit in 48 KiB of shared memory (at most 128 tokens)
  g.nc = (int64_t)(48 * 1024 / (2 * sizeof(float) * (size_t)g.d));
  if (g.nc > 128) g.nc = 128;
  if (g.nc < 1) return fz_fail(err, FZ_EUNSUP, "%s: channel attention with d = %lld > 6144 channels per head", be->name, (long long)g.d);
  g.nchunk = g.N > 0 ? (g.N + g.nc - 1) / g.nc : 0;
  if (g.B * g.H > 65535) return fz_fail(err, FZ_EUNSUP, "%s: channel attention over %lld batch·heads (at most 65535)", be->name, (long long)(g.B * g.H));
  const size_t P = (size_t)(g.d * g.d + 2 * g.d), nm = (size_t)(g.B * g.H * g.d * g.d);
  const size_t npart = (size_t)(g.B * g.H) * (size_t)g.nchunk * P, ngram = (size_t)(g.B * g.H) * P;
  char *scr = (char *)fz_cuda_scratch(be, sizeof(double) * (npart + ngram) + sizeof(float) * nm, err);
  if (!scr) return err ? (int)err->code : FZ_ENOMEM;
  g.part = (double *)scr;
  g.gram = g.part + npart;
  g.M = (float *)(g.gram + ngram);
  cudaStream_t s = fz_cuda_stream(be);
  if (g.nchunk > 0) {
    FZ_LAUNCH(k_chattn_gram_part, dim3((unsigned)g.nchunk, (unsigned)(g.B * g.H)), 128, 2 * sizeof(float) * (size_t)(g.nc * g.d), s)(g);
    int rc = fz_cuda_check_launch(be, "channel attention Gram kernel", err);
    if (rc) return rc;
  }
  FZ_LAUNCH(k_chattn_gram_sum, fz_cuda_blocks((int64_t)ngram, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, s)(g);
  int rc0 = fz_cuda_check_launch(be, "channel attention Gram sum kernel", err);
  if (rc0) return rc0;
  int64_t rows = g.B * g.H * g.d;
  FZ_LAUNCH(k_chattn_logits, (unsigned)(rows < 65535 ? rows : 65535), 128, (size_t)g.d * sizeof(double), s)(g);
  int rc = fz_cuda_check_launch(be, "channel attention logits kernel", err);
  if (rc) return rc;
  FZ_LAUNCH(k_chattn_mix, fz_cuda_blocks(g.B * g.H * g.N * g.d, FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, s)(g);
  return fz_cuda_check_launch(be, "channel attention mix kernel", err);
}
