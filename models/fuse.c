// fuse.c — whole-scene fusion: padding, tile placement, batched forwards, blend and grid merges
// (the patchmerge rule is in patchmerge.c). See fuse.h.
#include "fuse.h"
#include "model_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz_tiler {
  fz_pan_model *m;
  const fz_model_info *I;
  const fz_fuse_opts *o;
  int C, H, W;                 // the (padded) scene the tiles are cut from
  const float *ms, *lms, *pan;
  int64_t done, total;
};

const char *fz_merge_name(fz_merge_mode m) {
  return m == FZ_MERGE_BLEND ? "blend" : m == FZ_MERGE_GRID ? "grid" : m == FZ_MERGE_PATCHMERGE ? "patchmerge" : "?";
}

int fz_merge_parse(const char *s) {
  if (!strcmp(s, "blend")) return FZ_MERGE_BLEND;
  if (!strcmp(s, "grid")) return FZ_MERGE_GRID;
  if (!strcmp(s, "patchmerge")) return FZ_MERGE_PATCHMERGE;
  return -1;
}

// Copies the th x tw window at (y0, x0) of plane stack src [c, H, W] into dst [c, th, tw].
static void crop(float *dst, const float *src, int c, int H, int W, int64_t y0, int64_t x0, int th, int tw) {
  for (int k = 0; k < c; k++)
    for (int y = 0; y < th; y++)
      memcpy(dst + ((int64_t)k * th + y) * tw, src + ((int64_t)k * H + y0 + y) * W + x0, (size_t)tw * sizeof *dst);
}

// Host staging for one batch: the inputs cut from the scene and the outputs read back.
typedef struct stage {
  float *pan, *lms, *ms, *out;
} stage;

// Cuts the tiles of batch i0..i0+nb of the plan into st (PAN, and LMS / MS when the model reads them).
static void cut_batch(const fz_tiler *t, const stage *st, const int64_t *ys, const int64_t *xs, int64_t i0, int nb, int th, int tw,
                      int use_lms, int use_ms) {
  const int C = t->C, r = t->I->ratio;
  const size_t per_img = (size_t)C * th * tw, per_ms = (size_t)C * (th / r) * (tw / r), per_pan = (size_t)th * tw;
  for (int b = 0; b < nb; b++) {
    int64_t y = ys[i0 + b], x = xs[i0 + b];
    crop(st->pan + b * per_pan, t->pan, 1, t->H, t->W, y, x, th, tw);
    if (use_lms) crop(st->lms + b * per_img, t->lms, C, t->H, t->W, y, x, th, tw);
    if (use_ms) crop(st->ms + b * per_ms, t->ms, C, t->H / r, t->W / r, y / r, x / r, th / r, tw / r);
  }
}

// Runs the plan's n tiles in batches, double-buffered: batch k's upload and forward are issued, then the host
// hands batch k-1's outputs to the sink and cuts batch k+1 while the device computes, then reads batch k back.
// On a backend with page-locked staging (host_alloc: CUDA) the uploads return at once, so that host work
// overlaps the forward; elsewhere the same order runs one step after another. Results do not depend on it.
int fz_tiler_run(fz_tiler *t, const int64_t *ys, const int64_t *xs, int64_t n, int th, int tw, fz_tile_sink sink, void *ctx,
                 fz_err *err) {
  const fz_model_info *I = t->I;
  const fz_backend *be = fz_model_backend(t->m);
  int B = t->o->batch > 0 ? t->o->batch : 1, C = t->C, r = I->ratio;
  if (B > n) B = (int)(n > 0 ? n : 1);
  int use_ms = (I->inputs & FZ_MODEL_IN_MS) != 0, use_lms = (I->inputs & FZ_MODEL_IN_LMS) != 0;
  int64_t s_pan[4] = {B, 1, th, tw}, s_img[4] = {B, C, th, tw}, s_ms[4] = {B, C, th / r, tw / r};
  fz_tensor pan = {0}, lms = {0}, ms = {0}, out = {0};
  const size_t per_img = (size_t)C * th * tw, per_ms = (size_t)C * (th / r) * (tw / r), per_pan = (size_t)th * tw;
  const size_t per_set = (size_t)B * (per_pan + 2 * per_img + per_ms);  // pan, lms, out, ms of one batch
  const int pinned = be->host_alloc && be->host_free;
  float *host = pinned ? be->host_alloc(be, 2 * per_set * sizeof *host, err) : malloc(2 * per_set * sizeof *host);
  int rc = host ? FZ_OK : pinned ? err->code : fz_fail(err, FZ_ENOMEM, "out of memory staging 2 x %d tiles of %dx%d", B, th, tw);
  stage st[2];
  for (int k = 0; k < 2 && host; k++) {
    float *h = host + (size_t)k * per_set;
    st[k].pan = h;
    st[k].lms = h + (size_t)B * per_pan;
    st[k].out = st[k].lms + (size_t)B * per_img;
    st[k].ms = st[k].out + (size_t)B * per_img;
  }
  if (!rc) rc = fz_tensor_alloc(&pan, be, FZ_F32, 4, s_pan, err);
  if (!rc) rc = fz_tensor_alloc(&out, be, FZ_F32, 4, s_img, err);
  if (!rc && use_lms) rc = fz_tensor_alloc(&lms, be, FZ_F32, 4, s_img, err);
  if (!rc && use_ms) rc = fz_tensor_alloc(&ms, be, FZ_F32, 4, s_ms, err);
  const int64_t nbatch = (n + B - 1) / B;
  if (!rc && nbatch > 0) cut_batch(t, &st[0], ys, xs, 0, (int)(n < B ? n : B), th, tw, use_lms, use_ms);
  for (int64_t k = 0; !rc && k < nbatch; k++) {
    const int64_t i0 = k * B;
    const int nb = (int)(n - i0 < B ? n - i0 : B);
    const stage *cur = &st[k & 1], *prev = &st[(k + 1) & 1];
    fz_tensor vp = pan, vl = lms, vm = ms, vo = out;  // views with nb images (a prefix of the buffers)
    vp.shape[0] = vl.shape[0] = vm.shape[0] = vo.shape[0] = nb;
    rc = fz_tensor_upload(&vp, cur->pan, (size_t)nb * per_pan * sizeof *host, err);
    if (!rc && use_lms) rc = fz_tensor_upload(&vl, cur->lms, (size_t)nb * per_img * sizeof *host, err);
    if (!rc && use_ms) rc = fz_tensor_upload(&vm, cur->ms, (size_t)nb * per_ms * sizeof *host, err);
    fz_pan_inputs in = {use_ms ? &vm : NULL, use_lms ? &vl : NULL, &vp};
    if (!rc) rc = fz_model_forward(t->m, &in, &vo, err);
    if (rc) break;
    if (k > 0) {  // while batch k computes: the sink takes batch k-1, and batch k+1 is cut
      const int64_t p0 = i0 - B;
      for (int b = 0; b < B; b++) sink(ctx, p0 + b, prev->out + b * per_img);
      t->done += B;
      if (t->o->progress) t->o->progress(t->o->progress_ctx, t->done, t->total);
    }
    if (k + 1 < nbatch) cut_batch(t, prev, ys, xs, i0 + B, (int)(n - i0 - B < B ? n - i0 - B : B), th, tw, use_lms, use_ms);
    rc = fz_tensor_download(&vo, cur->out, (size_t)nb * per_img * sizeof *host, err);
    if (!rc && k + 1 == nbatch) {  // the last batch
      for (int b = 0; b < nb; b++) sink(ctx, i0 + b, cur->out + b * per_img);
      t->done += nb;
      if (t->o->progress) t->o->progress(t->o->progress_ctx, t->done, t->total);
    }
  }
  fz_tensor_free(&pan); fz_tensor_free(&lms); fz_tensor_free(&ms); fz_tensor_free(&out);
  if (pinned) { if (host) be->host_free(be, host); }
  else free(host);
  return rc;
}

// ---- geometry -------------------------------------------------------------------------------------

// Greatest common divisor; round_up: v rounded up to a multiple of a.
static int gcd(int a, int b) { while (b) { int t = a % b; a = b; b = t; } return a; }
static int64_t round_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

// Tile positions along an axis of n samples: step `step`, the last tile flush with the end.
static int64_t positions(int64_t n, int tile, int step, int64_t *pos) {
  int64_t k = 0;
  for (int64_t p = 0;; p += step) {
    if (p + tile >= n) { if (pos) pos[k] = n - tile; return k + 1; }
    if (pos) pos[k] = p;
    k++;
  }
}

// The plan for a scene: alignment, padded size, tile sizes, step.
typedef struct plan {
  int align, Hp, Wp, th, tw, step_h, step_w, overlap;
} plan;

// Works out padding and tiles for s under o; fails naming the option that cannot work.
static int make_plan(const fz_pan_model *m, const fz_scene *s, const fz_fuse_opts *o, plan *p, fz_err *err) {
  const fz_model_info *I = fz_model_get_info(m);
  int a = I->multiple > 0 ? I->multiple : 1;
  if (I->inputs & FZ_MODEL_IN_MS) a = a / gcd(a, I->ratio) * I->ratio;
  p->align = a;
  int T = o->tile;
  if (I->fixed_tile) {
    if (T && T != I->fixed_tile)
      return fz_fail(err, FZ_EINVAL, "--tile %d: %s runs %dx%d tiles only (its official test builds the network for that size)",
                     T, I->arch, I->fixed_tile, I->fixed_tile);
    T = I->fixed_tile;
  }
  if (T < 0 || (T && T % a))
    return fz_fail(err, FZ_EINVAL, "--tile %d: %s needs a tile side that is a multiple of %d", T, I->arch, a);
  if (o->merge == FZ_MERGE_PATCHMERGE) {
    if (!T) return fz_fail(err, FZ_EINVAL, "--merge patchmerge needs --tile P (the patch side, e.g. 64)");
    if (T % (4 * a)) return fz_fail(err, FZ_EINVAL, "--merge patchmerge: --tile %d must be a multiple of %d (stride P/4 on a %d grid)", T, 4 * a, a);
    if (s->h % a || s->w % a || s->h < T || s->w < T)
      return fz_fail(err, FZ_EINVAL, "--merge patchmerge: the %dx%d scene must be at least %dx%d and a multiple of %d", s->h, s->w,
                     T, T, a);
    p->Hp = s->h; p->Wp = s->w; p->th = p->tw = T;
    return FZ_OK;
  }
  p->Hp = (int)round_up(s->h, a);
  p->Wp = (int)round_up(s->w, a);
  if (o->merge == FZ_MERGE_GRID && T) {
    p->Hp = (int)round_up(s->h, T);
    p->Wp = (int)round_up(s->w, T);
  }
  if (I->fixed_tile) {
    if (p->Hp < T) p->Hp = T;
    if (p->Wp < T) p->Wp = T;
  }
  p->th = T && T < p->Hp ? T : p->Hp;
  p->tw = T && T < p->Wp ? T : p->Wp;
  int ov = o->merge == FZ_MERGE_GRID ? 0 : (o->overlap < 0 ? 32 : o->overlap);
  p->overlap = ov;
  int sh = (p->th - ov) / a * a, sw = (p->tw - ov) / a * a;
  if ((p->th < p->Hp && sh <= 0) || (p->tw < p->Wp && sw <= 0))
    return fz_fail(err, FZ_EINVAL, "--overlap %d leaves no step for %dx%d tiles (the step must be a positive multiple of %d)", ov,
                   p->th, p->tw, a);
  p->step_h = sh > 0 ? sh : a;
  p->step_w = sw > 0 ? sw : a;
  return FZ_OK;
}

int fz_fuse_count_tiles(const fz_pan_model *m, const fz_scene *s, const fz_fuse_opts *o, int64_t *tiles, fz_err *err) {
  plan p;
  if (make_plan(m, s, o, &p, err)) return err->code;
  if (o->merge == FZ_MERGE_PATCHMERGE) *tiles = fz_patchmerge_count(p.Hp, p.Wp, p.th);
  else *tiles = positions(p.Hp, p.th, p.step_h, NULL) * positions(p.Wp, p.tw, p.step_w, NULL);
  return FZ_OK;
}

// ---- padding --------------------------------------------------------------------------------------

// dst [c, Hp, Wp] = src [c, H, W] padded at the bottom/right by replication (zero = 0) or zeros.
static float *pad_planes(const float *src, int c, int H, int W, int Hp, int Wp, int zero, fz_err *err) {
  float *d = malloc((size_t)c * Hp * Wp * sizeof *d);
  if (!d) { fz_fail(err, FZ_ENOMEM, "out of memory padding the scene to %dx%d", Hp, Wp); return NULL; }
  for (int k = 0; k < c; k++)
    for (int y = 0; y < Hp; y++) {
      float *row = d + ((size_t)k * Hp + y) * Wp;
      if (zero && y >= H) { memset(row, 0, (size_t)Wp * sizeof *row); continue; }
      const float *sr = src + ((size_t)k * H + (y < H ? y : H - 1)) * W;
      memcpy(row, sr, (size_t)W * sizeof *row);
      for (int x = W; x < Wp; x++) row[x] = zero ? 0 : sr[W - 1];
    }
  return d;
}

// ---- blend / grid sinks ---------------------------------------------------------------------------

typedef struct blend_ctx {
  float *acc, *wsum;         // [C, Hp, Wp], [Hp, Wp]
  int C, Hp, Wp, th, tw, ov;
  const int64_t *ys, *xs;
} blend_ctx;

// Linear ramp weight of tile sample i (of n) whose tile starts at p on an axis of N: ramps up over the
// overlap where a neighbour precedes, down where one follows; 1 at the scene borders.
static float ramp(int i, int n, int64_t p, int64_t N, int ov) {
  float w = 1;
  if (ov <= 0) return 1;
  if (p > 0) { float r = (i + 0.5f) / ov; if (r < w) w = r; }
  if (p + n < N) { float r = (n - i - 0.5f) / ov; if (r < w) w = r; }
  return w;
}

// Accumulates tile i into the blend canvases.
static void blend_sink(void *ctx, int64_t i, const float *t) {
  blend_ctx *b = ctx;
  int64_t y0 = b->ys[i], x0 = b->xs[i];
  for (int y = 0; y < b->th; y++) {
    float wy = ramp(y, b->th, y0, b->Hp, b->ov);
    for (int x = 0; x < b->tw; x++) {
      float w = wy * ramp(x, b->tw, x0, b->Wp, b->ov);
      size_t o = (size_t)(y0 + y) * b->Wp + (size_t)(x0 + x);
      b->wsum[o] += w;
      for (int c = 0; c < b->C; c++) b->acc[(size_t)c * b->Hp * b->Wp + o] += w * t[((size_t)c * b->th + y) * b->tw + x];
    }
  }
}

int fz_fuse_scene(fz_pan_model *m, const fz_scene *s, const fz_fuse_opts *o, float *out, fz_err *err) {
  const fz_model_info *I = fz_model_get_info(m);
  if (s->bands != I->bands)
    return fz_fail(err, FZ_EINVAL, "the scene has %d bands; %s (%s) takes %d", s->bands, I->arch, I->sensor[0] ? I->sensor : "?", I->bands);
  if (!s->pan || ((I->inputs & FZ_MODEL_IN_LMS) && !s->lms) || ((I->inputs & FZ_MODEL_IN_MS) && !s->ms))
    return fz_fail(err, FZ_EINVAL, "the scene lacks an input %s reads (ms / lms / pan)", I->arch);
  if ((I->inputs & FZ_MODEL_IN_MS) && (s->h % I->ratio || s->w % I->ratio))
    return fz_fail(err, FZ_EINVAL, "PAN %dx%d is not a multiple of the PAN/MS ratio %d", s->h, s->w, I->ratio);
  plan p;
  if (make_plan(m, s, o, &p, err)) return err->code;
  int C = s->bands, r = I->ratio, zero = o->merge == FZ_MERGE_GRID;
  const float *pan = s->pan, *lms = s->lms, *ms = s->ms;
  float *ppan = NULL, *plms = NULL, *pms = NULL, *acc = NULL, *wsum = NULL;
  int64_t *ys = NULL, *xs = NULL;
  int rc = FZ_OK;
  if (p.Hp != s->h || p.Wp != s->w) {
    ppan = pad_planes(s->pan, 1, s->h, s->w, p.Hp, p.Wp, zero, err);
    if (!ppan) return err->code;
    pan = ppan;
    if (lms && !(lms = plms = pad_planes(s->lms, C, s->h, s->w, p.Hp, p.Wp, zero, err))) rc = err->code;
    if (!rc && ms && (I->inputs & FZ_MODEL_IN_MS) &&
        !(ms = pms = pad_planes(s->ms, C, s->h / r, s->w / r, p.Hp / r, p.Wp / r, zero, err)))
      rc = err->code;
  }
  fz_tiler t = {m, I, o, C, p.Hp, p.Wp, ms, lms, pan, 0, 0};
  if (!rc && o->merge == FZ_MERGE_PATCHMERGE) {
    t.total = fz_patchmerge_count(p.Hp, p.Wp, p.th);
    rc = fz_patchmerge(&t, C, p.Hp, p.Wp, p.th, out, err);
  } else if (!rc) {
    int64_t ny = positions(p.Hp, p.th, p.step_h, NULL), nx = positions(p.Wp, p.tw, p.step_w, NULL), n = ny * nx;
    int64_t *py = malloc((size_t)ny * sizeof *py), *px = malloc((size_t)nx * sizeof *px);
    ys = malloc((size_t)n * sizeof *ys);
    xs = malloc((size_t)n * sizeof *xs);
    acc = calloc((size_t)C * p.Hp * p.Wp, sizeof *acc);
    wsum = calloc((size_t)p.Hp * p.Wp, sizeof *wsum);
    if (!py || !px || !ys || !xs || !acc || !wsum) rc = fz_fail(err, FZ_ENOMEM, "out of memory planning %lld tiles", (long long)n);
    if (!rc) {
      positions(p.Hp, p.th, p.step_h, py);
      positions(p.Wp, p.tw, p.step_w, px);
      for (int64_t i = 0; i < n; i++) { ys[i] = py[i / nx]; xs[i] = px[i % nx]; }
      t.total = n;
      blend_ctx b = {acc, wsum, C, p.Hp, p.Wp, p.th, p.tw, p.overlap, ys, xs};
      rc = fz_tiler_run(&t, ys, xs, n, p.th, p.tw, blend_sink, &b, err);
    }
    if (!rc)
      for (int c = 0; c < C; c++)
        for (int y = 0; y < s->h; y++)
          for (int x = 0; x < s->w; x++) {
            size_t o2 = (size_t)y * p.Wp + x;
            out[((size_t)c * s->h + y) * s->w + x] = acc[(size_t)c * p.Hp * p.Wp + o2] / wsum[o2];
          }
    free(py); free(px);
  }
  free(ppan); free(plms); free(pms); free(acc); free(wsum); free(ys); free(xs);
  return rc;
}
