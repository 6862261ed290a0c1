// attention.c — flash-style multi-head attention on the CPU. A task is one (batch, head, block of up to 256
// queries); it visits the keys in tiles of 64 with an online softmax (running max m, running sum l, rescaled
// accumulator O), four 64-query sub-blocks per key tile, so each key tile is transposed once per 256 queries.
// Memory is O(tile·d) per thread: no N×N score matrix ever exists. Scores are computed in base 2: q is
// pre-scaled by scale·log2(e) and the softmax uses exp2. The two GEMMs per tile run in fz_tile_gemm.
#include "cpu_seq.h"
#include "seq_simd.h"
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define BR 64       // queries per sub-block (one S tile)
#define NSUB 4      // sub-blocks per task
#define BQ (BR * NSUB)
#define BC 64       // keys per tile

// Floats of scratch one thread needs: Qs [BQ×dp], O [BQ×dvp], m, l [BQ], Kt [dp×BC], S [BR×BC], Vs [BC×dvp].
static int64_t per_thread_floats(int64_t d, int64_t dv) {
  int64_t dp = fz_round_up(d, 16), dvp = fz_round_up(dv, 16);
  return fz_round_up(BQ * dp + BQ * dvp + 2 * BQ + dp * BC + BR * BC + BC * dvp, 16);
}

// Scratch bytes for head dims d, dv: threads × per_thread_floats (independent of the token counts).
size_t fz_cpu_attention_workspace(const fz_backend *be, int64_t d, int64_t dv) {
  return (size_t)fz_cpu_threads(be) * (size_t)per_thread_floats(d, dv) * sizeof(float);
}

// Element strides (batch, head, token) of a [B,H,N,d] (layout 0) or [B,N,H·d] (layout 1) tensor; channel stride 1.
typedef struct { int64_t sb, sh, sn; } attn_strides;
static attn_strides strides_of(int layout, int64_t H, int64_t N, int64_t d) {
  attn_strides s;
  if (layout == 0) { s.sn = d; s.sh = N * d; s.sb = H * N * d; }
  else { s.sn = H * d; s.sh = d; s.sb = N * H * d; }
  return s;
}

typedef struct {
  const float *q, *k, *v, *vf;
  float *out;
  attn_strides qs, ks, vs, os;
  int64_t Nq, Nk, d, dv, dp, dvp;
  float qscale, vl;
  int causal;
} attn_job;

// Kt[c][j] = k[k0+j][c] for j < kc, c < d; zeros elsewhere in the dp × BC tile (16×16 register transposes).
static void load_kt(float *Kt, const float *kp, int64_t ld, int64_t k0, int64_t kc, int64_t d, int64_t dp) {
  for (int64_t j0 = 0; j0 < BC; j0 += 16) {
    int64_t nk = kc - j0 < 16 ? (kc - j0 > 0 ? kc - j0 : 0) : 16;
    for (int64_t c0 = 0; c0 < dp; c0 += 16) {
      int64_t nc = d - c0 < 16 ? d - c0 : 16;
      if (nk > 0 && nc > 0) fz_transpose_block16(Kt + c0 * BC + j0, BC, kp + (k0 + j0) * ld + c0, ld, nk, nc, 16);
      else nc = 0;
      for (int64_t c = c0 + nc; c < c0 + 16; c++) memset(Kt + c * BC + j0, 0, sizeof(float) * 16);
    }
  }
}

// Online-softmax update of rows r < nr of the S tile (queries q0.., keys k0.., kc valid keys): masks, turns S
// into P = exp2(S - m_new) and rescales O, l. Rows >= nr are zero (zero query rows) and stay unused. The running
// maxima and their corrections exp2(m_old - m_new) are handled 16 rows at a time.
static void softmax_rows(const attn_job *J, float *S, float *O, float *m, float *l, int64_t q0, int64_t nr,
                         int64_t k0, int64_t kc) {
  float mx[BR], corr[BR];
  for (int64_t r = 0; r < nr; r++) {
    float *s = S + r * BC;
    int64_t lim = kc;
    if (J->causal && q0 + r + 1 - k0 < lim) lim = q0 + r + 1 - k0;  // key k0+j allowed iff k0+j <= q0+r
    if (lim < 0) lim = 0;
    for (int64_t j = lim; j < BC; j++) s[j] = -INFINITY;
    fz_v16 v = fz_v16_load(s);
    for (int j = 16; j < BC; j += 16) v = fz_v16_max(v, fz_v16_load(s + j));
    mx[r] = fz_v16_hmax(v);
  }
  for (int64_t r = nr; r < BR; r++) mx[r] = -INFINITY;
  for (int r0 = 0; r0 < BR; r0 += 16) {  // m_new = max(m, tile max); corr = exp2(m - m_new) (0 when m = -inf)
    fz_v16 mo = fz_v16_load(m + r0), mn = fz_v16_max(mo, fz_v16_load(mx + r0));
    fz_vi16 none = mn == fz_v16_set1(-INFINITY);  // every key so far masked: keep m, correction 1
    fz_v16_store(corr + r0, fz_v16_select(none, fz_v16_set1(1.0f), fz_v16_exp2(mo - mn)));
    fz_v16_store(mx + r0, mn);
  }
  for (int64_t r = 0; r < nr; r++) {
    float *s = S + r * BC, mnew = mx[r];
    if (mnew == -INFINITY) { memset(s, 0, sizeof(float) * BC); continue; }
    fz_v16 mn = fz_v16_set1(mnew), acc = fz_v16_set1(0.0f);
    for (int j = 0; j < BC; j += 16) {
      fz_v16 p = fz_v16_exp2(fz_v16_load(s + j) - mn);
      fz_v16_store(s + j, p);
      acc += p;
    }
    l[r] = l[r] * corr[r] + fz_v16_hsum(acc);
    m[r] = mnew;
    if (corr[r] != 1.0f) {
      float *o = O + r * J->dvp;
      for (int64_t c = 0; c < J->dvp; c += 16) fz_v16_store(o + c, fz_v16_load(o + c) * corr[r]);
    }
  }
}

// One task: up to BQ queries starting at q0 of head (b, h), all key tiles. w: this thread's scratch.
static void attn_task(const attn_job *J, int64_t b, int64_t h, int64_t q0, float *w) {
  const int64_t d = J->d, dv = J->dv, dp = J->dp, dvp = J->dvp;
  float *Qs = w, *O = Qs + BQ * dp, *m = O + BQ * dvp, *l = m + BQ, *Kt = l + BQ, *S = Kt + dp * BC, *Vs = S + BR * BC;
  const float *qp = J->q + b * J->qs.sb + h * J->qs.sh;
  const float *kp = J->k + b * J->ks.sb + h * J->ks.sh;
  const float *vp = J->v + b * J->vs.sb + h * J->vs.sh;
  const float *vfp = J->vf ? J->vf + b * J->vs.sb + h * J->vs.sh : NULL;
  const int64_t nq = J->Nq - q0 < BQ ? J->Nq - q0 : BQ, nsub = (nq + BR - 1) / BR;
  memset(Qs, 0, sizeof(float) * (size_t)(nsub * BR * dp));
  for (int64_t r = 0; r < nq; r++) {
    const float *src = qp + (q0 + r) * J->qs.sn;
    for (int64_t c = 0; c < d; c++) Qs[r * dp + c] = src[c] * J->qscale;
  }
  memset(O, 0, sizeof(float) * (size_t)(nsub * BR * dvp));
  for (int64_t r = 0; r < BQ; r++) { m[r] = -INFINITY; l[r] = 0.0f; }
  // Causal: no key beyond the last query of the task is needed.
  const int64_t kend = J->causal ? (q0 + nq < J->Nk ? q0 + nq : J->Nk) : J->Nk;
  for (int64_t k0 = 0; k0 < kend; k0 += BC) {
    const int64_t kc = kend - k0 < BC ? kend - k0 : BC;
    load_kt(Kt, kp, J->ks.sn, k0, kc, d, dp);
    // V' rows of this tile: read in place when they need no padding and no mixing, else staged in Vs.
    const float *V = vp + k0 * J->vs.sn;
    int64_t ldv = J->vs.sn;
    if (vfp || kc < BC || dv < dvp) {
      if (kc < BC || dv < dvp) memset(Vs, 0, sizeof(float) * (size_t)(BC * dvp));
      for (int64_t j = 0; j < kc; j++) {
        const float *src = vp + (k0 + j) * J->vs.sn;
        float *dst = Vs + j * dvp;
        if (vfp) {
          const float *src2 = vfp + (k0 + j) * J->vs.sn;
          for (int64_t c = 0; c < dv; c++) dst[c] = J->vl * src[c] + (1.0f - J->vl) * src2[c];
        } else {
          memcpy(dst, src, sizeof(float) * (size_t)dv);
        }
      }
      V = Vs;
      ldv = dvp;
    }
    for (int64_t sb = 0; sb < nsub; sb++) {
      const int64_t qs0 = q0 + sb * BR, nr = nq - sb * BR < BR ? nq - sb * BR : BR;
      if (J->causal && k0 > qs0 + nr - 1) continue;  // every key of the tile is masked for this sub-block
      float *Osb = O + sb * BR * dvp;
      fz_tile_gemm(BR, BC, (int)dp, Qs + sb * BR * dp, (int)dp, Kt, BC, S, BC, 0);  // S = (scale·log2e·Q)·Kᵀ
      softmax_rows(J, S, Osb, m + sb * BR, l + sb * BR, qs0, nr, k0, kc);
      fz_tile_gemm(BR, (int)dvp, BC, S, BC, V, (int)ldv, Osb, (int)dvp, 1);  // O += P·V'
    }
  }
  float *op = J->out + b * J->os.sb + h * J->os.sh;
  for (int64_t r = 0; r < nq; r++) {
    float inv = 1.0f / l[r], *dst = op + (q0 + r) * J->os.sn;
    for (int64_t c = 0; c < dv; c++) dst[c] = O[r * dvp + c] * inv;
  }
}

// Flash attention over q [B,H,Nq,d] / [B,Nq,H·d] etc. (see backend_ops_seq.inc); ws from the workspace query.
int fz_cpu_attention(const fz_backend *be, fz_tensor *out, const fz_tensor *q, const fz_tensor *k, const fz_tensor *v,
                     const fz_tensor *v_first, int heads, int layout, float scale, int causal, float v_lambda,
                     void *ws, size_t ws_bytes, fz_err *err) {
  attn_job J;
  int64_t B = q->shape[0], H, d;
  if (layout == 0) {
    H = q->shape[1]; J.Nq = q->shape[2]; d = q->shape[3]; J.Nk = k->shape[2]; J.dv = v->shape[3];
  } else {
    H = heads; J.Nq = q->shape[1]; d = q->shape[2] / H; J.Nk = k->shape[1]; J.dv = v->shape[2] / H;
  }
  J.d = d;
  J.dp = fz_round_up(d, 16);
  J.dvp = fz_round_up(J.dv, 16);
  int nt = fz_cpu_threads(be);
  int64_t per = per_thread_floats(d, J.dv);
  if (!ws || ws_bytes < (size_t)nt * (size_t)per * sizeof(float))
    return fz_fail(err, FZ_EINVAL, "attention: workspace of %zu bytes given, %zu needed", ws_bytes,
                   (size_t)nt * (size_t)per * sizeof(float));
  J.q = q->data; J.k = k->data; J.v = v->data; J.vf = v_first ? v_first->data : NULL; J.out = out->data;
  J.qs = strides_of(layout, H, J.Nq, d);
  J.ks = strides_of(layout, H, J.Nk, d);
  J.vs = strides_of(layout, H, J.Nk, J.dv);
  J.os = strides_of(layout, H, J.Nq, J.dv);
  J.qscale = scale * 1.4426950408889634f;
  J.vl = v_lambda;
  J.causal = causal;
  // Tasks of up to BQ queries of one (b, head), dynamically scheduled.
  int64_t nqb = (J.Nq + BQ - 1) / BQ, tasks = B * H * nqb;
  float *wsf = ws;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (tasks > 1)
  for (int64_t t = 0; t < tasks; t++) {
#ifdef _OPENMP
    int tid = omp_get_thread_num();
#else
    int tid = 0;
#endif
    int64_t qb = t % nqb, bh = t / nqb;
    attn_task(&J, bh / H, bh % H, qb * BQ, wsf + (int64_t)tid * per);
  }
  return FZ_OK;
}
