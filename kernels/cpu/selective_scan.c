// selective_scan.c — Mamba v1 selective scan (mamba_ssm selective_scan_ref, real A) on the CPU.
// Work unit: one batch element × a block of up to 16 channels of one B/C group, one channel per vector lane,
// so the recurrence h = exp(Δ·A)⊙h + Δ·B·u runs 16 channels at once with no horizontal sums (B_l[n] and
// C_l[n] are shared by the lanes: broadcasts). The sequence is processed in chunks of 256 steps: u, Δ, z of
// the block are transposed to [step][lane] in per-thread scratch (16×16 register transposes), the chunk is
// scanned, and y is transposed back. State is fp32.
// exp uses exp2 with A pre-multiplied by log2(e) (as the CUDA kernel does).
#include "cpu_seq.h"
#include "seq_simd.h"
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define LC 256  // steps per chunk
#define LANES 16

typedef struct {
  const float *u, *delta, *A, *Bm, *Cm, *Dskip, *z, *dbias, *h0;
  float *out, *hT;
  int64_t D, L, N, GB, GC, cpgB, cpgC;
  int softplus;
} scan_job;

// The recurrence over lc steps of one chunk for 16 lanes: h[n] = exp2(Δ·A2[n])·h[n] + Δ·u·B[n], y = Σ_n C[n]·h[n]
// + D·u, y *= SiLU(z); y overwrites ut. Called with a literal N of 8 or 16 the state lives in registers.
static inline __attribute__((always_inline)) void scan_steps(const int64_t N, int64_t lc, int64_t L, float *ut,
                                                              const float *dt, const float *zt, float *h,
                                                              const float *A2, const float *Bl, const float *Cl,
                                                              fz_v16 Dv) {
  fz_v16 hr[16];
  const int inreg = N <= 16;
  if (inreg)
    for (int64_t n = 0; n < N; n++) hr[n] = fz_v16_load(h + n * LANES);
  for (int64_t l = 0; l < lc; l++) {
    fz_v16 dl = fz_v16_load(dt + l * LANES), ul = fz_v16_load(ut + l * LANES), du = dl * ul;
    fz_v16 y0 = fz_v16_set1(0.0f), y1 = fz_v16_set1(0.0f);  // two partial sums: shorter add chain
#pragma GCC unroll 16
    for (int64_t n = 0; n < N; n++) {
      fz_v16 dA = fz_v16_exp2(dl * fz_v16_load(A2 + n * LANES));
      fz_v16 hp = inreg ? hr[n & 15] : fz_v16_load(h + n * LANES);
      fz_v16 hn = fz_v16_fma(dA, hp, du * Bl[n * L + l]);
      if (inreg) hr[n & 15] = hn;
      else fz_v16_store(h + n * LANES, hn);
      if (n & 1) y1 = fz_v16_fma(hn, fz_v16_set1(Cl[n * L + l]), y1);
      else y0 = fz_v16_fma(hn, fz_v16_set1(Cl[n * L + l]), y0);
    }
    fz_v16 y = fz_v16_fma(Dv, ul, y0 + y1);
    if (zt) y *= fz_v16_silu(fz_v16_load(zt + l * LANES));
    fz_v16_store(ut + l * LANES, y);  // ut[l] is not read again: it now holds y[l]
  }
  if (inreg)
    for (int64_t n = 0; n < N; n++) fz_v16_store(h + n * LANES, hr[n]);
}

// Scans channels c0..c0+cw-1 of batch b over the whole sequence; w: per-thread scratch (see scratch_floats).
static void scan_block(const scan_job *J, int64_t b, int64_t c0, int64_t cw, float *w) {
  const int64_t N = J->N, L = J->L, D = J->D;
  float *ut = w, *dt = ut + LC * LANES, *zt = dt + LC * LANES, *h = zt + LC * LANES, *A2 = h + N * LANES;
  float dl_[LANES] = {0}, bias_[LANES] = {0};
  for (int64_t c = 0; c < cw; c++) {
    dl_[c] = J->Dskip ? J->Dskip[c0 + c] : 0.0f;
    bias_[c] = J->dbias ? J->dbias[c0 + c] : 0.0f;
  }
  fz_v16 Dv = fz_v16_load(dl_), biasv = fz_v16_load(bias_);
  memset(A2, 0, sizeof(float) * N * LANES);
  memset(h, 0, sizeof(float) * N * LANES);
  for (int64_t c = 0; c < cw; c++)
    for (int64_t n = 0; n < N; n++) {
      A2[n * LANES + c] = J->A[(c0 + c) * N + n] * 1.4426950408889634f;
      if (J->h0) h[n * LANES + c] = J->h0[((b * D) + c0 + c) * N + n];
    }
  const int64_t gb = c0 / J->cpgB, gc = c0 / J->cpgC, row0 = (b * D + c0) * L;
  const float *Bg = J->Bm + (b * J->GB + gb) * N * L, *Cg = J->Cm + (b * J->GC + gc) * N * L;
  for (int64_t l0 = 0; l0 < L; l0 += LC) {
    int64_t lc = L - l0 < LC ? L - l0 : LC;
    // [channel][step] -> [step][lane] in 16×16 blocks; lanes >= cw are zeros (u = 0: they stay 0).
    for (int64_t lb = 0; lb < lc; lb += 16) {
      int64_t nl = lc - lb < 16 ? lc - lb : 16;
      fz_transpose_block16(ut + lb * LANES, LANES, J->u + row0 + l0 + lb, L, cw, nl, 16);
      fz_transpose_block16(dt + lb * LANES, LANES, J->delta + row0 + l0 + lb, L, cw, nl, 16);
      if (J->z) fz_transpose_block16(zt + lb * LANES, LANES, J->z + row0 + l0 + lb, L, cw, nl, 16);
    }
    for (int64_t l = 0; l < lc; l++) {
      fz_v16 d = fz_v16_load(dt + l * LANES) + biasv;
      if (J->softplus) d = fz_v16_softplus(d);
      fz_v16_store(dt + l * LANES, d);
    }
    const float *Bl = Bg + l0, *Cl = Cg + l0;  // B[n][l0 + l] at Bl[n·L + l]: broadcast per (l, n)
    if (N == 16) scan_steps(16, lc, L, ut, dt, J->z ? zt : NULL, h, A2, Bl, Cl, Dv);
    else if (N == 8) scan_steps(8, lc, L, ut, dt, J->z ? zt : NULL, h, A2, Bl, Cl, Dv);
    else scan_steps(N, lc, L, ut, dt, J->z ? zt : NULL, h, A2, Bl, Cl, Dv);
    for (int64_t lb = 0; lb < lc; lb += 16) {  // [step][lane] -> [channel][step]
      int64_t nl = lc - lb < 16 ? lc - lb : 16;
      fz_transpose_block16(J->out + row0 + l0 + lb, L, ut + lb * LANES, LANES, nl, cw, nl);
    }
  }
  if (J->hT)
    for (int64_t c = 0; c < cw; c++)
      for (int64_t n = 0; n < N; n++) J->hT[((b * D) + c0 + c) * N + n] = h[n * LANES + c];
}

// Selective scan of u [B,D,L] with A [D,N], B/C [B,(G,)N,L]: tasks of (batch, 16-channel block).
int fz_cpu_selective_scan(const fz_backend *be, fz_tensor *out, fz_tensor *state_out, const fz_tensor *u,
                          const fz_tensor *delta, const fz_tensor *A, const fz_tensor *Bm, const fz_tensor *Cm,
                          const fz_tensor *Dskip, const fz_tensor *z, const fz_tensor *delta_bias,
                          const fz_tensor *state_in, int delta_softplus, fz_err *err) {
  scan_job J = {0};
  int64_t Bsz = u->shape[0];
  J.D = u->shape[1]; J.L = u->shape[2]; J.N = A->shape[1];
  J.GB = Bm->ndim == 4 ? Bm->shape[1] : 1;
  J.GC = Cm->ndim == 4 ? Cm->shape[1] : 1;
  J.cpgB = J.D / J.GB; J.cpgC = J.D / J.GC;
  J.u = u->data; J.delta = delta->data; J.A = A->data; J.Bm = Bm->data; J.Cm = Cm->data;
  J.Dskip = Dskip ? Dskip->data : NULL; J.z = z ? z->data : NULL;
  J.dbias = delta_bias ? delta_bias->data : NULL; J.h0 = state_in ? state_in->data : NULL;
  J.out = out->data; J.hT = state_out ? state_out->data : NULL;
  J.softplus = delta_softplus;
  // Channel blocks of at most 16 lanes that never straddle a B or C group boundary.
  int64_t *blk = malloc(sizeof(int64_t) * 2 * (size_t)(J.D + 1)), nblk = 0;
  if (!blk) return fz_fail(err, FZ_ENOMEM, "selective_scan: no memory for %lld channel blocks", (long long)J.D);
  for (int64_t c = 0; c < J.D;) {
    int64_t e = c + LANES, eb = (c / J.cpgB + 1) * J.cpgB, ec = (c / J.cpgC + 1) * J.cpgC;
    if (eb < e) e = eb;
    if (ec < e) e = ec;
    if (J.D < e) e = J.D;
    blk[2 * nblk] = c; blk[2 * nblk + 1] = e - c; nblk++;
    c = e;
  }
  int nt = fz_cpu_threads(be);
  int64_t per = fz_round_up(3 * LC * LANES + 2 * J.N * LANES, 16);
  float *scratch = malloc(sizeof(float) * (size_t)per * (size_t)nt);
  if (!scratch) {
    free(blk);
    return fz_fail(err, FZ_ENOMEM, "selective_scan: cannot allocate %zu bytes of scratch",
                   sizeof(float) * (size_t)per * (size_t)nt);
  }
  int64_t tasks = Bsz * nblk;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (tasks > 1)
  for (int64_t t = 0; t < tasks; t++) {
#ifdef _OPENMP
    int tid = omp_get_thread_num();
#else
    int tid = 0;
#endif
    int64_t b = t / nblk, k = t % nblk;
    scan_block(&J, b, blk[2 * k], blk[2 * k + 1], scratch + (int64_t)tid * per);
  }
  free(scratch);
  free(blk);
  return FZ_OK;
}
