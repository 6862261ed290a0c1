// cases_seq_resample.c — op cases for F.interpolate (nearest, bilinear, bicubic) and F.grid_sample.
// Oracle: PyTorch's definitions (aten/src/ATen/native/UpSample.h and GridSampler.h) written out here: the
// source coordinate of each output pixel is evaluated in f32 exactly as PyTorch specifies it (the
// coordinate map is part of the definition, and a double map would move floor() at exact ties), then the
// interpolation sum runs in double.
#include "cases_seq.h"

// Source coordinate of output index o for input size in, output size out (PyTorch area_pixel_* rules).
static float ref_src(int64_t in, int64_t out, int64_t o, int align, double sf, int cubic) {
  float scale;
  if (align) scale = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
  else scale = sf > 0 ? (float)(1.0 / sf) : (float)in / (float)out;
  if (align) return scale * (float)o;
  float s = scale * ((float)o + 0.5f) - 0.5f;
  return (!cubic && s < 0) ? 0.0f : s;
}

// Keys cubic kernel with A = -0.75 at distance x (double).
static double keys(double x) {
  const double A = -0.75;
  x = fabs(x);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

// Weights w[in] of output index o along one dimension (dense row of the interpolation matrix).
static void ref_row(double *w, int64_t in, int64_t out, int64_t o, int mode, int align, double sf) {
  for (int64_t i = 0; i < in; i++) w[i] = 0;
  if (mode == 0) {
    int64_t i;
    if (out == in) i = o;
    else if (out == 2 * in) i = o / 2;
    else {
      float s = sf > 0 ? (float)(1.0 / sf) : (float)in / (float)out;
      i = (int64_t)floorf((float)o * s);
      if (i > in - 1) i = in - 1;
    }
    w[i] = 1;
  } else if (mode == 1) {
    double s = ref_src(in, out, o, align, sf, 0);
    int64_t i0 = (int64_t)floor(s);
    if (i0 > in - 1) i0 = in - 1;
    double l = s - (double)i0;
    l = l < 0 ? 0 : l > 1 ? 1 : l;
    int64_t i1 = i0 < in - 1 ? i0 + 1 : i0;
    w[i0] += 1 - l;
    w[i1] += l;
  } else {
    double s = ref_src(in, out, o, align, sf, 1);
    int64_t i0 = (int64_t)floor(s);
    if (i0 > in - 1) i0 = in - 1;
    double t = s - (double)i0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    for (int j = -1; j <= 2; j++) {  // taps at i0-1..i0+2 clamped to the border
      int64_t k = i0 + j;
      k = k < 0 ? 0 : k > in - 1 ? in - 1 : k;
      w[k] += keys(t - j);
    }
  }
}

// One interpolate configuration over P planes (its own bag of buffers); folds the error into res, returns rc.
static int run_interp(const fz_backend *be, uint64_t seed, fz_err *err, fz_op_result *res, int64_t P, int64_t H,
                      int64_t W, int64_t Ho, int64_t Wo, int mode, int align, double sh, double sw, uint64_t s0) {
  seq_case bag, *c = &bag;
  sc_init(c, be, seed, err);
  float *hx = NULL;
  fz_tensor *x = sc_rand(c, 4, SHAPE(1, P, H, W), s0, -1, 1, &hx), *out = sc_new(c, FZ_F32, 4, SHAPE(1, P, Ho, Wo), NULL);
  if (c->rc || !sc_ok(c, fz_op_interpolate(c->be, out, x, mode, align, sh, sw, c->err))) return sc_done(c);
  float *g = sc_get(c, out);
  double *ref = sc_mem(c, sizeof(double) * (size_t)(P * Ho * Wo));
  double *wy = sc_mem(c, sizeof(double) * (size_t)(Ho * H)), *wx = sc_mem(c, sizeof(double) * (size_t)(Wo * W));
  if (!g || !ref || !wy || !wx) return sc_done(c);
  double *hrow = sc_mem(c, sizeof(double) * (size_t)(H * Wo));  // x interpolated along W, per input row
  if (!hrow) return sc_done(c);
  for (int64_t o = 0; o < Ho; o++) ref_row(wy + o * H, H, Ho, o, mode, align, sh);
  for (int64_t o = 0; o < Wo; o++) ref_row(wx + o * W, W, Wo, o, mode, align, sw);
  // out = Wy · X · Wxᵀ with the dense weight matrices, in double.
  for (int64_t p = 0; p < P; p++) {
    for (int64_t y = 0; y < H; y++)
      for (int64_t ox = 0; ox < Wo; ox++) {
        double acc = 0;
        for (int64_t xx = 0; xx < W; xx++) acc += wx[ox * W + xx] * hx[(p * H + y) * W + xx];
        hrow[y * Wo + ox] = acc;
      }
    for (int64_t oy = 0; oy < Ho; oy++)
      for (int64_t ox = 0; ox < Wo; ox++) {
        double acc = 0;
        for (int64_t y = 0; y < H; y++) acc += wy[oy * H + y] * hrow[y * Wo + ox];
        ref[(p * Ho + oy) * Wo + ox] = acc;
      }
  }
  sc_err(res, g, ref, P * Ho * Wo);
  return sc_done(c);
}

// Up, down, odd sizes, 1×1 in and out, given scale factors, for one mode (both align_corners for linear modes).
static int run_mode(const fz_backend *be, uint64_t seed, fz_err *err, fz_op_result *res, int mode) {
  static const struct { int64_t P, H, W, Ho, Wo; double sh, sw; } cfg[] = {
      {3, 5, 7, 11, 16, 0, 0},    // up, odd factors
      {2, 9, 8, 4, 3, 0, 0},      // down
      {2, 8, 8, 16, 16, 2, 2},    // ×2 with scale_factor (LE-Mamba's up path)
      {1, 6, 10, 3, 4, 0.5, 0.4}, // scale_factor < 1 with floor sizes
      {1, 1, 1, 3, 2, 0, 0},      // 1×1 input
      {2, 4, 5, 1, 1, 0, 0},      // 1×1 output
      {1, 7, 7, 7, 7, 0, 0},      // identity size
      {1, 12, 40, 70, 2048, 0, 0}, // wide rows: the kernel's output-row bands (32 rows of 2048) split the plane
  };
  int rc = 0;
  for (int align = 0; align <= (mode ? 1 : 0) && !rc; align++)
    for (int i = 0; i < (int)(sizeof cfg / sizeof cfg[0]) && !rc; i++)
      rc = run_interp(be, seed, err, res, cfg[i].P, cfg[i].H, cfg[i].W, cfg[i].Ho, cfg[i].Wo, mode, align, cfg[i].sh,
                      cfg[i].sw, (uint64_t)(mode * 100 + align * 50 + i));
  return rc;
}

// Oracle: PyTorch's nearest_idx rule, weights as dense matrices in double.
FZ_OP_CASE(seq_interpolate_nearest) {
  int rc = run_mode(be, seed, err, res, FZ_INTERP_NEAREST);
  res->tol = 0;
  snprintf(res->detail, sizeof res->detail, "nearest: up, down, ×2 sf, sf<1, 1×1 in/out, same");
  return rc;
}

// Oracle: PyTorch's linear source index and lambda, Wy·X·Wxᵀ in double.
FZ_OP_CASE(seq_interpolate_bilinear) {
  int rc = run_mode(be, seed, err, res, FZ_INTERP_BILINEAR);
  res->tol = 1e-6;
  snprintf(res->detail, sizeof res->detail, "bilinear, align_corners 0/1: up, down, ×2 sf, sf<1, 1×1, same");
  return rc;
}

// Oracle: Keys cubic (A = -0.75) at PyTorch source indices, Wy·X·Wxᵀ in double.
FZ_OP_CASE(seq_interpolate_bicubic) {
  int rc = run_mode(be, seed, err, res, FZ_INTERP_BICUBIC);
  res->tol = 4e-6;  // f32 cubic weights (about 10 f32 operations each, as PyTorch computes them) times 16 taps
  snprintf(res->detail, sizeof res->detail, "bicubic A=-0.75, align_corners 0/1: up, down, ×2 sf, sf<1, 1×1, same");
  return rc;
}

// One grid_sample configuration; grid values in [-1.25, 1.25] so some taps fall outside.
static void run_grid(seq_case *c, fz_op_result *res, int mode, int pad, int align, uint64_t s0) {
  const int64_t N = 2, C = 3, H = 5, W = 6, Ho = 4, Wo = 7;
  float *hx = NULL, *hg = NULL;
  fz_tensor *x = sc_rand(c, 4, SHAPE(N, C, H, W), s0, -1, 1, &hx);
  fz_tensor *grid = sc_rand(c, 4, SHAPE(N, Ho, Wo, 2), s0 + 1, -1.25f, 1.25f, &hg);
  fz_tensor *out = sc_new(c, FZ_F32, 4, SHAPE(N, C, Ho, Wo), NULL);
  if (c->rc) return;
  if (!sc_ok(c, fz_op_grid_sample(c->be, out, x, grid, mode, pad, align, c->err))) return;
  float *g = sc_get(c, out);
  double *ref = sc_mem(c, sizeof(double) * (size_t)(N * C * Ho * Wo));
  if (!g || !ref) return;
  for (int64_t n = 0; n < N; n++)
    for (int64_t oy = 0; oy < Ho; oy++)
      for (int64_t ox = 0; ox < Wo; ox++) {
        const float *gg = hg + ((n * Ho + oy) * Wo + ox) * 2;
        double sx = align ? (gg[0] + 1.0) / 2 * (W - 1) : ((gg[0] + 1.0) * W - 1) / 2;
        double sy = align ? (gg[1] + 1.0) / 2 * (H - 1) : ((gg[1] + 1.0) * H - 1) / 2;
        if (pad == FZ_GRID_PAD_BORDER) {
          sx = fmin(W - 1, fmax(sx, 0));
          sy = fmin(H - 1, fmax(sy, 0));
        }
        for (int64_t ch = 0; ch < C; ch++) {
          const float *pl = hx + (n * C + ch) * H * W;
          double acc = 0;
          if (mode == FZ_INTERP_NEAREST) {
            double rx = nearbyint(sx), ry = nearbyint(sy);
            if (rx >= 0 && rx < W && ry >= 0 && ry < H) acc = pl[(int64_t)ry * W + (int64_t)rx];
          } else {
            int64_t x0 = (int64_t)floor(sx), y0 = (int64_t)floor(sy);
            for (int dy = 0; dy <= 1; dy++)
              for (int dx = 0; dx <= 1; dx++) {
                int64_t xx = x0 + dx, yy = y0 + dy;
                double w = (dx ? sx - x0 : x0 + 1 - sx) * (dy ? sy - y0 : y0 + 1 - sy);
                if (xx >= 0 && xx < W && yy >= 0 && yy < H) acc += w * pl[yy * W + xx];
              }
          }
          ref[((n * C + ch) * Ho + oy) * Wo + ox] = acc;
        }
      }
  sc_err(res, g, ref, N * C * Ho * Wo);
}

// Oracle: PyTorch GridSampler.h unnormalise / clip / taps written out in double.
FZ_OP_CASE(seq_grid_sample) {
  seq_case c;
  sc_init(&c, be, seed, err);
  for (int mode = 0; mode <= 1; mode++)
    for (int pad = 0; pad <= 1; pad++)
      for (int align = 0; align <= 1; align++) run_grid(&c, res, mode, pad, align, (uint64_t)(mode * 8 + pad * 4 + align * 2));
  res->tol = 2e-6;
  snprintf(res->detail, sizeof res->detail, "nearest/bilinear × zeros/border × align 0/1, [2,3,5,6] -> 4×7");
  return sc_done(&c);
}
