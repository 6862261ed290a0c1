// cases_seq_layout.c — op cases for pixel (un)shuffle, (un)patchify, permute and the timestep embedding.
// Oracles: the index formulas of the PyTorch definitions (pixel_shuffle docs; DiT unpatchify einsum
// "nhwpqc->nchpwq"; torch.permute), and guided-diffusion / diffusers timestep embeddings evaluated in double.
#include "cases_seq.h"

// Pixel shuffle by r of x [N, C·r², H, W] and unshuffle of a random [N, C, H·r, W·r].
static void run_shuffle(seq_case *c, fz_op_result *res, int64_t N, int64_t C, int64_t H, int64_t W, int r, uint64_t s0) {
  const int64_t n = N * C * r * r * H * W;
  float *hs = NULL, *hb = NULL;
  fz_tensor *xs = sc_rand(c, 4, SHAPE(N, C * r * r, H, W), s0, -1, 1, &hs);
  fz_tensor *ob = sc_new(c, FZ_F32, 4, SHAPE(N, C, H * r, W * r), NULL);
  fz_tensor *xb = sc_rand(c, 4, SHAPE(N, C, H * r, W * r), s0 + 1, -1, 1, &hb);
  fz_tensor *os = sc_new(c, FZ_F32, 4, SHAPE(N, C * r * r, H, W), NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_pixel_shuffle(c->be, ob, xs, r, 0, c->err))) return;
  if (!sc_ok(c, fz_op_pixel_shuffle(c->be, os, xb, r, 1, c->err))) return;
  float *gb = sc_get(c, ob), *gs = sc_get(c, os);
  double *rb = sc_mem(c, sizeof(double) * (size_t)n), *rs = sc_mem(c, sizeof(double) * (size_t)n);
  if (!gb || !gs || !rb || !rs) return;
  for (int64_t a = 0; a < N; a++)
    for (int64_t ch = 0; ch < C; ch++)
      for (int64_t h = 0; h < H; h++)
        for (int64_t w = 0; w < W; w++)
          for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) {
              int64_t si = ((a * C * r * r + ch * r * r + i * r + j) * H + h) * W + w;
              int64_t bi = ((a * C + ch) * H * r + h * r + i) * W * r + w * r + j;
              rb[bi] = hs[si];  // out[n,c,h·r+i,w·r+j] = in[n, c·r²+i·r+j, h, w]
              rs[si] = hb[bi];
            }
  sc_err(res, gb, rb, n);
  sc_err(res, gs, rs, n);
}

// Oracle: the PixelShuffle index formula of the PyTorch documentation.
FZ_OP_CASE(seq_pixel_shuffle) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_shuffle(&c, res, 2, 2, 3, 5, 3, 0);
  run_shuffle(&c, res, 1, 8, 4, 4, 4, 10);  // FusionMamba / SSDiff PixelShuffle(4) of 128 = 8·4² channels
  run_shuffle(&c, res, 1, 1, 1, 1, 1, 20);
  res->tol = 0;
  snprintf(res->detail, sizeof res->detail, "r3 [2,18,3,5]; r4 [1,128,4,4]; r1 [1,1,1,1]");
  return sc_done(&c);
}

// Patchify of x [N,C,H,W] and unpatchify of random tokens, in feature order `order`.
static void run_patch(seq_case *c, fz_op_result *res, int64_t N, int64_t C, int64_t H, int64_t W, int p, int order,
                      uint64_t s0) {
  const int64_t nh = H / p, nw = W / p, F = (int64_t)p * p * C, n = N * C * H * W;
  float *hx = NULL, *ht = NULL;
  fz_tensor *x = sc_rand(c, 4, SHAPE(N, C, H, W), s0, -1, 1, &hx);
  fz_tensor *tok = sc_new(c, FZ_F32, 3, SHAPE(N, nh * nw, F), NULL);
  fz_tensor *t2 = sc_rand(c, 3, SHAPE(N, nh * nw, F), s0 + 1, -1, 1, &ht);
  fz_tensor *img = sc_new(c, FZ_F32, 4, SHAPE(N, C, H, W), NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_patchify(c->be, tok, x, p, order, 0, c->err))) return;
  if (!sc_ok(c, fz_op_patchify(c->be, img, t2, p, order, 1, c->err))) return;
  float *gt = sc_get(c, tok), *gi = sc_get(c, img);
  double *rt = sc_mem(c, sizeof(double) * (size_t)n), *ri = sc_mem(c, sizeof(double) * (size_t)n);
  if (!gt || !gi || !rt || !ri) return;
  // DiT unpatchify: x.reshape(N, h, w, p, q, C) -> einsum('nhwpqc->nchpwq') -> [N, C, h·p, w·q].
  for (int64_t a = 0; a < N; a++)
    for (int64_t ty = 0; ty < nh; ty++)
      for (int64_t tx = 0; tx < nw; tx++)
        for (int py = 0; py < p; py++)
          for (int px = 0; px < p; px++)
            for (int64_t ch = 0; ch < C; ch++) {
              int64_t f = order == FZ_PATCH_PQC ? ((int64_t)py * p + px) * C + ch : (ch * p + py) * p + px;
              int64_t ti = (a * nh * nw + ty * nw + tx) * F + f;
              int64_t xi = ((a * C + ch) * H + ty * p + py) * W + tx * p + px;
              rt[ti] = hx[xi];
              ri[xi] = ht[ti];
            }
  sc_err(res, gt, rt, n);
  sc_err(res, gi, ri, n);
}

// Oracle: DiT unpatchify's reshape + einsum('nhwpqc->nchpwq') index rule.
FZ_OP_CASE(seq_patchify_unpatchify) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_patch(&c, res, 2, 3, 4, 6, 2, FZ_PATCH_PQC, 0);
  run_patch(&c, res, 1, 5, 6, 3, 3, FZ_PATCH_CPQ, 10);
  run_patch(&c, res, 1, 2, 3, 5, 1, FZ_PATCH_PQC, 20);
  res->tol = 0;
  snprintf(res->detail, sizeof res->detail, "p2 pqc [2,3,4,6]; p3 cpq [1,5,6,3]; p1");
  return sc_done(&c);
}

// Permute of a random tensor of shape shp by perm, against torch.permute's index rule.
static void run_perm(seq_case *c, fz_op_result *res, int nd, const int64_t *shp, const int *perm, uint64_t s0) {
  float *hx = NULL;
  int64_t os[FZ_MAX_DIMS], n = 1;
  for (int i = 0; i < nd; i++) { os[i] = shp[perm[i]]; n *= shp[i]; }
  fz_tensor *x = sc_rand(c, nd, shp, s0, -1, 1, &hx), *out = sc_new(c, FZ_F32, nd, os, NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_permute(c->be, out, x, perm, c->err))) return;
  float *g = sc_get(c, out);
  double *r = sc_mem(c, sizeof(double) * (size_t)n);
  if (!g || !r) return;
  int64_t xst[FZ_MAX_DIMS];
  xst[nd - 1] = 1;
  for (int i = nd - 2; i >= 0; i--) xst[i] = xst[i + 1] * shp[i + 1];
  for (int64_t o = 0; o < n; o++) {  // out[i0..] = x[index with x dim perm[k] = i_k]
    int64_t rem = o, xi = 0;
    for (int k = nd - 1; k >= 0; k--) { xi += (rem % os[k]) * xst[perm[k]]; rem /= os[k]; }
    r[o] = hx[xi];
  }
  sc_err(res, g, r, n);
}

// Oracle: torch.permute's index rule out[i_0..] = x[i_perm^-1..].
FZ_OP_CASE(seq_permute) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_perm(&c, res, 4, SHAPE(2, 3, 5, 7), (const int[]){0, 2, 3, 1}, 0);        // NCHW -> NHWC
  run_perm(&c, res, 4, SHAPE(2, 5, 7, 33), (const int[]){0, 3, 1, 2}, 1);       // NHWC -> NCHW (tiles + tails)
  run_perm(&c, res, 5, SHAPE(2, 3, 1, 4, 5), (const int[]){4, 1, 3, 0, 2}, 2);  // general, with a size-1 dim
  run_perm(&c, res, 4, SHAPE(2, 6, 3, 4), (const int[]){0, 2, 1, 3}, 3);        // [B,N,H,d] -> [B,H,N,d]
  run_perm(&c, res, 3, SHAPE(1, 1, 9), (const int[]){2, 1, 0}, 4);
  res->tol = 0;
  snprintf(res->detail, sizeof res->detail, "NCHW<->NHWC, 5-D, head split");
  return sc_done(&c);
}

// Timestep embedding against the formula in double. The kernel follows PyTorch's f32 arithmetic: the exponent
// e = −ln(max_period)·i/(half−shift) is rounded three times (absolute error ≤ 3·|e|·2⁻²⁴, a relative error of
// freq = exp(e)), then exp, t·freq and ·scale add an ulp each; so the stated bound per value is
// 1e-6 + (3·|e| + 4)·2⁻²⁴·|arg|.
static void run_temb(seq_case *c, fz_op_result *res, int64_t B, int64_t dim, int sin_first, float shift, float scale,
                     float max_period, uint64_t s0) {
  float *ht = NULL;
  fz_tensor *t = sc_rand(c, 1, SHAPE(B), s0, 0, 1000, &ht), *out = sc_new(c, FZ_F32, 2, SHAPE(B, dim), NULL);
  if (c->rc) return;
  ht[0] = 0.0f;  // t = 0 and a small integer step (SSDiff feeds respaced indices 0..9)
  if (B > 1) ht[1] = 7.0f;
  if (fz_tensor_upload(t, ht, sizeof(float) * (size_t)B, c->err)) { c->rc = c->err->code; return; }
  fz_temb_params p = {.sin_first = sin_first, .freq_shift = shift, .scale = scale, .max_period = max_period};
  if (!sc_ok(c, fz_op_timestep_embedding(c->be, out, t, &p, c->err))) return;
  float *g = sc_get(c, out);
  if (!g) return;
  const int64_t half = dim / 2;
  const double mp = max_period ? max_period : 10000.0, sc = scale ? scale : 1.0;
  for (int64_t b = 0; b < B; b++)
    for (int64_t i = 0; i < dim; i++) {
      double want = 0, arg = 0, ex = 0;
      if (i < 2 * half) {
        int64_t f = i % half;
        ex = -log(mp) * (double)f / ((double)half - shift);
        arg = sc * ht[b] * exp(ex);
        int first = i < half;
        want = (first == (sin_first != 0)) ? sin(arg) : cos(arg);
      }
      double e = fabs(g[b * dim + i] - want) / (1e-6 + (3 * fabs(ex) + 4) * 0x1p-24 * fabs(arg));
      if (!(e <= res->max_err)) res->max_err = e;
    }
}

// Oracle: guided-diffusion / diffusers formulas in double, with the stated f32 bound.
FZ_OP_CASE(seq_timestep_embedding) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_temb(&c, res, 5, 128, 0, 0.0f, 0.0f, 0.0f, 0);       // guided-diffusion / SSDiff, 128-d
  run_temb(&c, res, 3, 33, 1, 1.0f, 2.0f, 10000.0f, 1);    // diffusers defaults, odd dim, scale 2
  run_temb(&c, res, 2, 256, 0, 0.0f, 0.0f, 0.0f, 2);       // DiT frequency embedding
  run_temb(&c, res, 1, 1, 0, 0.0f, 0.0f, 0.0f, 3);         // dim 1: only the zero pad column
  res->tol = 1;  // errors are normalised by the stated bound
  snprintf(res->detail, sizeof res->detail, "128 cos-first; 33 sin-first shift 1; 256; 1");
  return sc_done(&c);
}
