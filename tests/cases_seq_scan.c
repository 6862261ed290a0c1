// cases_seq_scan.c — op cases for the Mamba selective scan, VMamba cross-scan / cross-merge and Swin windows.
// Oracles: the sequential recurrence of mamba_ssm's selective_scan_ref written out in double; for the data
// movement ops the index formulas of the PyTorch reference code (flatten / transpose / flip; view + permute).
#include "cases_seq.h"

typedef struct {
  int64_t B, D, L, N, G;   // G = 0: B and C are [B,N,L]; else [B,G,N,L]
  int z, dskip, bias, softplus, state_in, state_out;
} scan_cfg;

// Runs one scan configuration (its own bag of buffers) against the double recurrence; folds the error into res.
static int run_scan(const fz_backend *be, uint64_t seed, fz_err *err, fz_op_result *res, const scan_cfg *k, uint64_t s0) {
  seq_case bag, *c = &bag;
  sc_init(c, be, seed, err);
  const int64_t B = k->B, D = k->D, L = k->L, N = k->N, G = k->G ? k->G : 1;
  float *hu = NULL, *hd = NULL, *hA = NULL, *hB = NULL, *hC = NULL, *hD = NULL, *hz = NULL, *hb = NULL, *hs = NULL;
  fz_scan_inputs in = {0};
  in.u = sc_rand(c, 3, SHAPE(B, D, L), s0, -1, 1, &hu);
  // Without softplus Δ must already be positive.
  in.delta = k->softplus ? sc_rand(c, 3, SHAPE(B, D, L), s0 + 1, -3, 1, &hd) : sc_rand(c, 3, SHAPE(B, D, L), s0 + 1, 0.01f, 0.6f, &hd);
  in.A = sc_rand(c, 2, SHAPE(D, N), s0 + 2, -2.0f, -0.05f, &hA);
  if (k->G) {
    in.Bm = sc_rand(c, 4, SHAPE(B, G, N, L), s0 + 3, -1, 1, &hB);
    in.Cm = sc_rand(c, 4, SHAPE(B, G, N, L), s0 + 4, -1, 1, &hC);
  } else {
    in.Bm = sc_rand(c, 3, SHAPE(B, N, L), s0 + 3, -1, 1, &hB);
    in.Cm = sc_rand(c, 3, SHAPE(B, N, L), s0 + 4, -1, 1, &hC);
  }
  if (k->dskip) in.Dskip = sc_rand(c, 1, SHAPE(D), s0 + 5, -1, 1, &hD);
  if (k->z) in.z = sc_rand(c, 3, SHAPE(B, D, L), s0 + 6, -3, 3, &hz);
  if (k->bias) in.delta_bias = sc_rand(c, 1, SHAPE(D), s0 + 7, -1, 1, &hb);
  if (k->state_in) in.state_in = sc_rand(c, 3, SHAPE(B, D, N), s0 + 8, -1, 1, &hs);
  in.delta_softplus = k->softplus;
  fz_tensor *out = sc_new(c, FZ_F32, 3, SHAPE(B, D, L), NULL);
  fz_tensor *st = k->state_out ? sc_new(c, FZ_F32, 3, SHAPE(B, D, N), NULL) : NULL;
  if (c->rc || !sc_ok(c, fz_op_selective_scan(c->be, out, st, &in, c->err))) return sc_done(c);
  float *got = sc_get(c, out), *gst = st ? sc_get(c, st) : NULL;
  double *ref = sc_mem(c, sizeof(double) * (size_t)(B * D * L)), *rst = sc_mem(c, sizeof(double) * (size_t)(B * D * N));
  double *h = sc_mem(c, sizeof(double) * (size_t)N);
  if (!got || !ref || !rst || !h || (st && !gst)) return sc_done(c);
  for (int64_t b = 0; b < B; b++)
    for (int64_t d = 0; d < D; d++) {
      int64_t g = d / (D / G);
      for (int64_t n = 0; n < N; n++) h[n] = hs ? hs[(b * D + d) * N + n] : 0.0;
      for (int64_t l = 0; l < L; l++) {
        double dl = hd[(b * D + d) * L + l] + (hb ? hb[d] : 0.0), u = hu[(b * D + d) * L + l], y = 0;
        if (k->softplus) dl = dl <= 20 ? log1p(exp(dl)) : dl;
        for (int64_t n = 0; n < N; n++) {
          double bb = hB[((b * G + g) * N + n) * L + l], cc = hC[((b * G + g) * N + n) * L + l];
          h[n] = exp(dl * hA[d * N + n]) * h[n] + dl * bb * u;
          y += h[n] * cc;
        }
        if (hD) y += hD[d] * u;
        if (hz) { double z = hz[(b * D + d) * L + l]; y *= z / (1 + exp(-z)); }
        ref[(b * D + d) * L + l] = y;
      }
      for (int64_t n = 0; n < N; n++) rst[(b * D + d) * N + n] = h[n];
    }
  sc_err(res, got, ref, B * D * L);
  if (gst) sc_err(res, gst, rst, B * D * N);
  return sc_done(c);
}

// Everything on: z gate, D skip, Δ bias + softplus, state in and out; D = 20 (a partial 16-lane block),
// L = 300 (more than one 256-step chunk), batch 2.
// Oracle: the sequential recurrence of selective_scan_ref in double.
FZ_OP_CASE(seq_selective_scan_full) {
  scan_cfg k = {.B = 2, .D = 20, .L = 300, .N = 5, .z = 1, .dskip = 1, .bias = 1, .softplus = 1, .state_in = 1, .state_out = 1};
  int rc = run_scan(be, seed, err, res, &k, 0);
  res->tol = 1e-5;
  snprintf(res->detail, sizeof res->detail, "B2 D20 L300 N5 z,D,bias,softplus,state in/out");
  return rc;
}

// Grouped B/C [B,G,N,L] with G = 2 over D = 6 (blocks split at the group edge), L = 1; a plain scan with every
// optional input absent, D = 33, N = 16; G = 4 with N = 3; FusionMamba's d_state 8; LE-Mamba's d_state 32.
// Oracle: the sequential recurrence of selective_scan_ref in double.
FZ_OP_CASE(seq_selective_scan_groups_plain) {
  static const scan_cfg k[] = {
      {.B = 1, .D = 6, .L = 1, .N = 16, .G = 2, .state_out = 1},
      {.B = 1, .D = 33, .L = 70, .N = 16},
      {.B = 3, .D = 40, .L = 17, .N = 3, .G = 4, .z = 1, .softplus = 1, .bias = 1, .state_out = 1},
      {.B = 1, .D = 18, .L = 40, .N = 8, .z = 1, .softplus = 1, .dskip = 1},
      {.B = 1, .D = 5, .L = 33, .N = 32, .state_in = 1, .state_out = 1, .softplus = 1},
  };
  int rc = 0;
  for (int i = 0; i < 5 && !rc; i++) rc = run_scan(be, seed, err, res, &k[i], (uint64_t)(20 * i));
  res->tol = 1e-5;
  snprintf(res->detail, sizeof res->detail, "G2 D6 L1 N16; D33 L70 N16 bare; G4 D40 L17 N3; N8; N32");
  return rc;
}

// Cross-scan and cross-merge for one image shape and memory order; folds the error into res.
static void run_cross(seq_case *c, fz_op_result *res, int64_t B, int64_t C, int64_t H, int64_t W, int cl, uint64_t s0) {
  const int64_t L = H * W;
  float *hx = NULL, *hy = NULL;
  fz_tensor *x = sc_rand(c, 4, cl ? SHAPE(B, H, W, C) : SHAPE(B, C, H, W), s0, -1, 1, &hx);
  fz_tensor *xs = sc_new(c, FZ_F32, 4, SHAPE(B, 4, C, L), NULL);
  fz_tensor *y = sc_rand(c, 3, SHAPE(B, 4 * C, L), s0 + 1, -1, 1, &hy);
  fz_tensor *m = sc_new(c, FZ_F32, 4, cl ? SHAPE(B, H, W, C) : SHAPE(B, C, H, W), NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_cross_scan(c->be, xs, x, cl, c->err))) return;
  if (!sc_ok(c, fz_op_cross_merge(c->be, m, y, cl, c->err))) return;
  float *gs = sc_get(c, xs), *gm = sc_get(c, m);
  double *rs = sc_mem(c, sizeof(double) * (size_t)(B * 4 * C * L)), *rm = sc_mem(c, sizeof(double) * (size_t)(B * C * L));
  if (!gs || !gm || !rs || !rm) return;
  for (int64_t b = 0; b < B; b++)
    for (int64_t ch = 0; ch < C; ch++)
      for (int64_t r = 0; r < H; r++)
        for (int64_t q = 0; q < W; q++) {
          int64_t xi = cl ? ((b * H + r) * W + q) * C + ch : ((b * C + ch) * H + r) * W + q;
          // VMamba CrossScan: xs[:,0] = x.flatten(2); xs[:,1] = x.transpose(2,3).flatten(2); xs[:,2:] = flip(xs[:,:2], -1)
          int64_t l0 = r * W + q, l1 = q * H + r;
          double v = hx[xi];
          rs[((b * 4 + 0) * C + ch) * L + l0] = v;
          rs[((b * 4 + 1) * C + ch) * L + l1] = v;
          rs[((b * 4 + 2) * C + ch) * L + (L - 1 - l0)] = v;
          rs[((b * 4 + 3) * C + ch) * L + (L - 1 - l1)] = v;
          // CrossMerge: y0 + y2.flip + (y1 + y3.flip) transposed back
          rm[xi] = (double)hy[((b * 4 + 0) * C + ch) * L + l0] + hy[((b * 4 + 1) * C + ch) * L + l1] +
                   hy[((b * 4 + 2) * C + ch) * L + (L - 1 - l0)] + hy[((b * 4 + 3) * C + ch) * L + (L - 1 - l1)];
        }
  sc_err(res, gs, rs, B * 4 * C * L);
  sc_err(res, gm, rm, B * C * L);
}

// Oracle: VMamba CrossScan / CrossMerge (flatten, transpose, flip) index rules.
FZ_OP_CASE(seq_cross_scan_merge) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_cross(&c, res, 2, 3, 5, 7, 0, 0);
  run_cross(&c, res, 1, 4, 6, 3, 1, 10);
  run_cross(&c, res, 2, 1, 1, 1, 0, 20);
  run_cross(&c, res, 1, 2, 40, 35, 0, 30);
  run_cross(&c, res, 1, 3, 33, 70, 1, 40);
  res->tol = 1e-6;  // merge sums 4 floats in f32
  snprintf(res->detail, sizeof res->detail, "NCHW [2,3,5,7]; NHWC [1,6,3,4]; [2,1,1,1]; [1,2,40,35]; NHWC 33×70");
  return sc_done(&c);
}

// Window partition and reverse for one configuration; folds the error into res.
static void run_windows(seq_case *c, fz_op_result *res, int64_t B, int64_t C, int64_t H, int64_t W, int wh, int ww,
                        int cl, uint64_t s0) {
  const int64_t nh = H / wh, nw = W / ww, nW = B * nh * nw, n = B * C * H * W;
  float *hx = NULL, *hw = NULL;
  fz_tensor *x = sc_rand(c, 4, cl ? SHAPE(B, H, W, C) : SHAPE(B, C, H, W), s0, -1, 1, &hx);
  const int64_t *ws = cl ? SHAPE(nW, wh, ww, C) : SHAPE(nW, C, wh, ww);
  fz_tensor *win = sc_new(c, FZ_F32, 4, ws, NULL), *wr = sc_rand(c, 4, ws, s0 + 1, -1, 1, &hw);
  fz_tensor *img = sc_new(c, FZ_F32, 4, cl ? SHAPE(B, H, W, C) : SHAPE(B, C, H, W), NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_window_partition(c->be, win, x, wh, ww, cl, c->err))) return;
  if (!sc_ok(c, fz_op_window_reverse(c->be, img, wr, wh, ww, cl, c->err))) return;
  float *gw = sc_get(c, win), *gi = sc_get(c, img);
  double *rw = sc_mem(c, sizeof(double) * (size_t)n), *ri = sc_mem(c, sizeof(double) * (size_t)n);
  if (!gw || !gi || !rw || !ri) return;
  // Swin: x.view(B, H/wh, wh, W/ww, ww, C).permute(0,1,3,2,4,5) -> windows [B·nh·nw, wh, ww, C].
  for (int64_t b = 0; b < B; b++)
    for (int64_t iy = 0; iy < nh; iy++)
      for (int64_t i = 0; i < wh; i++)
        for (int64_t ix = 0; ix < nw; ix++)
          for (int64_t j = 0; j < ww; j++)
            for (int64_t ch = 0; ch < C; ch++) {
              int64_t y = iy * wh + i, xx = ix * ww + j, w = (b * nh + iy) * nw + ix;
              int64_t xi = cl ? ((b * H + y) * W + xx) * C + ch : ((b * C + ch) * H + y) * W + xx;
              int64_t wi = cl ? ((w * wh + i) * ww + j) * C + ch : ((w * C + ch) * wh + i) * ww + j;
              rw[wi] = hx[xi];
              ri[xi] = hw[wi];
            }
  sc_err(res, gw, rw, n);
  sc_err(res, gi, ri, n);
}

// Oracle: Swin's view + permute(0,1,3,2,4,5) index rule.
FZ_OP_CASE(seq_window_partition_reverse) {
  seq_case c;
  sc_init(&c, be, seed, err);
  run_windows(&c, res, 2, 3, 6, 4, 3, 2, 1, 0);
  run_windows(&c, res, 1, 2, 16, 8, 8, 8, 0, 10);
  run_windows(&c, res, 2, 1, 3, 5, 1, 1, 1, 20);
  res->tol = 0;  // pure data movement: bit-exact
  snprintf(res->detail, sizeof res->detail, "NHWC 6×4 win 3×2; NCHW 16×8 win 8; 1×1 windows");
  return sc_done(&c);
}
