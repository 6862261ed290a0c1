// channel_attention.c — "transposed" d×d attention (Restormer MDTA, SSDiff's spectral map) on the CPU.
// Per (batch, head): the Gram matrix G = Σ_n q[n,:]ᵀ·k[n,:] and the channel norms are accumulated over
// chunks of 256 tokens (float inside a chunk, double across chunks), the softmax over the d×d logits runs in
// double, and the output mixes the channels of v chunk by chunk. Scratch is O(d·256 + d²) per thread.
#include "cpu_seq.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define NCH 256  // tokens per chunk

// Strides (batch, head, token, channel) of the three layouts of fz_attn_layout.
typedef struct { int64_t sb, sh, sn, sc; } ch_strides;
static ch_strides strides_of(int layout, int64_t H, int64_t N, int64_t d) {
  ch_strides s;
  if (layout == 0) { s.sc = 1; s.sn = d; s.sh = N * d; s.sb = H * N * d; }             // [B,H,N,d]
  else if (layout == 1) { s.sc = 1; s.sn = H * d; s.sh = d; s.sb = N * H * d; }        // [B,N,H·d]
  else { s.sn = 1; s.sc = N; s.sh = d * N; s.sb = H * d * N; }                         // [B,H,d,N]
  return s;
}

// Copies tokens n0..n0+nc of channels 0..d-1 into dst[c·NCH + t] (channels first).
static void gather(float *dst, const float *src, const ch_strides *s, int64_t d, int64_t n0, int64_t nc) {
  for (int64_t c = 0; c < d; c++) {
    const float *p = src + c * s->sc + n0 * s->sn;
    float *o = dst + c * NCH;
    if (s->sn == 1) memcpy(o, p, sizeof(float) * nc);
    else for (int64_t t = 0; t < nc; t++) o[t] = p[t * s->sn];
  }
}

// Float dot product of two chunk rows of length n.
static float dot(const float *a, const float *b, int64_t n) {
  float acc[16] = {0};
  int64_t t = 0;
  for (; t + 16 <= n; t += 16)
    for (int i = 0; i < 16; i++) acc[i] += a[t + i] * b[t + i];
  float s = 0;
  for (int i = 0; i < 16; i++) s += acc[i];
  for (; t < n; t++) s += a[t] * b[t];
  return s;
}

// One (b, h): Gram + norms, softmax, mixing. w: scratch of 3·d·NCH floats + 3·d² + 2·d doubles.
static void one_head(const float *q, const float *k, const float *v, float *out, const ch_strides *s, int64_t N,
                     int64_t d, int normalize, double mul, int transpose_attn, float *w, double *G) {
  float *qc = w, *kc = qc + d * NCH, *vc = kc + d * NCH;
  double *nq = G + d * d, *nk = nq + d;
  float *M = (float *)(nk + d);  // d×d mixing matrix
  memset(G, 0, sizeof(double) * (d * d + 2 * d));
  for (int64_t n0 = 0; n0 < N; n0 += NCH) {
    int64_t nc = N - n0 < NCH ? N - n0 : NCH;
    gather(qc, q, s, d, n0, nc);
    gather(kc, k, s, d, n0, nc);
    for (int64_t i = 0; i < d; i++) {
      for (int64_t j = 0; j < d; j++) G[i * d + j] += dot(qc + i * NCH, kc + j * NCH, nc);
      if (normalize) {
        nq[i] += dot(qc + i * NCH, qc + i * NCH, nc);
        nk[i] += dot(kc + i * NCH, kc + i * NCH, nc);
      }
    }
  }
  for (int64_t i = 0; i < d; i++) {
    double *g = G + i * d, mx = -INFINITY, sum = 0;
    for (int64_t j = 0; j < d; j++) {
      double x = g[j] * mul;
      if (normalize) x /= fmax(sqrt(nq[i]), 1e-12) * fmax(sqrt(nk[j]), 1e-12);
      g[j] = x;
      mx = x > mx ? x : mx;
    }
    for (int64_t j = 0; j < d; j++) { g[j] = exp(g[j] - mx); sum += g[j]; }
    for (int64_t j = 0; j < d; j++) {
      float a = (float)(g[j] / sum);
      if (transpose_attn) M[j * d + i] = a;
      else M[i * d + j] = a;
    }
  }
  // out[n, i] = Σ_j M[i, j]·v[n, j], chunk by chunk (qc reused as the output chunk).
  for (int64_t n0 = 0; n0 < N; n0 += NCH) {
    int64_t nc = N - n0 < NCH ? N - n0 : NCH;
    gather(vc, v, s, d, n0, nc);
    for (int64_t i = 0; i < d; i++) {
      float *o = qc + i * NCH;
      memset(o, 0, sizeof(float) * NCH);
      for (int64_t j = 0; j < d; j++) {
        float a = M[i * d + j];
        const float *vr = vc + j * NCH;
        for (int64_t t = 0; t < nc; t++) o[t] += a * vr[t];
      }
      float *dst = out + i * s->sc + n0 * s->sn;
      if (s->sn == 1) memcpy(dst, o, sizeof(float) * nc);
      else for (int64_t t = 0; t < nc; t++) dst[t * s->sn] = o[t];
    }
  }
}

// d×d attention of q, k, v (one shape, layout 0/1/2) per (batch, head), parallel over (batch, head).
int fz_cpu_channel_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k,
                             const fz_tensor *v, const fz_tensor *temperature, int heads, int layout, int normalize,
                             float scale, int transpose_attn, fz_err *err) {
  int64_t B = q->shape[0], H, N, d;
  if (layout == 0) { H = q->shape[1]; N = q->shape[2]; d = q->shape[3]; }
  else if (layout == 1) { H = heads; N = q->shape[1]; d = q->shape[2] / heads; }
  else { H = q->shape[1]; d = q->shape[2]; N = q->shape[3]; }
  ch_strides s = strides_of(layout, H, N, d);
  int nt = fz_cpu_threads(be);
  size_t fl = (size_t)(3 * d * NCH), dl = (size_t)(d * d + 2 * d) + (size_t)(d * d + 1) / 2 + 1;
  size_t per = fl * sizeof(float) + dl * sizeof(double);
  per = (per + 63) & ~(size_t)63;
  char *scratch = malloc(per * (size_t)nt);
  if (!scratch) return fz_fail(err, FZ_ENOMEM, "channel_attention: cannot allocate %zu bytes of scratch", per * (size_t)nt);
  const float *temp = temperature ? temperature->data : NULL;
  const float *qd = q->data, *kd = k->data, *vd = v->data;
  float *od = out->data;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (B * H > 1)
  for (int64_t bh = 0; bh < B * H; bh++) {
#ifdef _OPENMP
    int tid = omp_get_thread_num();
#else
    int tid = 0;
#endif
    int64_t b = bh / H, h = bh % H, off = b * s.sb + h * s.sh;
    char *w = scratch + per * (size_t)tid;
    double mul = (double)scale * (temp ? (double)temp[h] : 1.0);
    one_head(qd + off, kd + off, vd + off, od + off, &s, N, d, normalize, mul, transpose_attn,
             (float *)(w + dl * sizeof(double)), (double *)w);
  }
  free(scratch);
  return FZ_OK;
}
