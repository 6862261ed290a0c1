// patchmerge.c — the family's PatchMergeModule.forward_chop merge rule (open Python version, GPL, UESTC,
// Zihan Cao & Xiao Wu, 2023/6/21), restated in PAN pixels (equal to its [ms, lms, pan] form with scale 4
// when H = 4h). With patch P, shave P/2 and stride s = P/4 on an H x W scene:
//   grid tiles at (i·s, j·s), i < nH = (H-P)/s + 1, j < nW; cut_h = (H-P) % s, Hc = H - cut_h (same for W);
//   centre  : mean of the central (P-2s)² crops of the grid tiles, used for rows [s, Hc-s) x cols [s, Wc-s);
//   top/left: strips from grid row 0 / column 0 (mean of the tiles' central columns / rows, the first
//             tile's leading s and the last tile's trailing s samples as they are), used where the centre
//             does not reach (columns < P take the left strip);
//   bottom  : the strip of tiles at row H-P (same rule), used for rows >= Hc - (P-cut_h)/2;
//   right   : the strip at column W-P, for columns >= Wc - (P-cut_w)/2; corner: the tile at (H-P, W-P).
// Tiles evaluated: nH·nW + nW + nH + 1 (the Python code also re-runs grid row 0 and column 0 for the top
// and left strips; they are the same tiles, so fusor reuses them).
#include "fuse.h"
#include <stdlib.h>
#include <string.h>

int64_t fz_patchmerge_count(int H, int W, int P) {
  int s = P / 4;
  int64_t nh = (H - P) / s + 1, nw = (W - P) / s + 1;
  return nh * nw + nw + nh + 1;
}

// Sum/count canvas of c planes h x w.
typedef struct canvas {
  float *sum, *cnt;
  int h, w;
} canvas;

typedef struct pm_ctx {
  int C, P, s, nh, nw, H, W, Hc, Wc;
  canvas cen, top, left, bottom, right, corner;
  const int64_t *kind;   // per tile: 0 grid (index i*nw+j), 1 bottom (j), 2 right (i), 3 corner
  const int64_t *idx;
} pm_ctx;

// Allocates canvas k for c planes of h x w (zeroed); 0 on failure.
static int canvas_alloc(canvas *k, int c, int h, int w) {
  k->h = h;
  k->w = w;
  k->sum = calloc((size_t)c * h * w, sizeof *k->sum);
  k->cnt = calloc((size_t)h * w, sizeof *k->cnt);
  return k->sum && k->cnt;
}

// Frees canvas k.
static void canvas_free(canvas *k) {
  free(k->sum);
  free(k->cnt);
}

// Adds rows [r0, r1) x cols [c0, c1) of tile t (C x P x P) to canvas k at offset (oy, ox).
static void add(canvas *k, int C, int P, const float *t, int r0, int r1, int c0, int c1, int oy, int ox) {
  for (int y = r0; y < r1; y++)
    for (int x = c0; x < c1; x++) {
      size_t o = (size_t)(oy + y) * k->w + (size_t)(ox + x);
      k->cnt[o] += 1;
      for (int c = 0; c < C; c++) k->sum[(size_t)c * k->h * k->w + o] += t[((size_t)c * P + y) * P + x];
    }
}

// The strip rule along one axis: tile j of n keeps samples [s, P-s), plus [0, s) when first, [P-s, P) when last.
static void strip_range(int j, int n, int P, int s, int *a, int *b) {
  *a = j == 0 ? 0 : s;
  *b = j == n - 1 ? P : P - s;
}

// Routes one tile output to the canvases it feeds.
static void pm_sink(void *ctx, int64_t i, const float *t) {
  pm_ctx *q = ctx;
  int C = q->C, P = q->P, s = q->s, a, b;
  int64_t k = q->kind[i], n = q->idx[i];
  if (k == 0) {
    int ti = (int)(n / q->nw), tj = (int)(n % q->nw);
    add(&q->cen, C, P, t, s, P - s, s, P - s, ti * s, tj * s);
    if (ti == 0) { strip_range(tj, q->nw, P, s, &a, &b); add(&q->top, C, P, t, 0, P, a, b, 0, tj * s); }
    if (tj == 0) { strip_range(ti, q->nh, P, s, &a, &b); add(&q->left, C, P, t, a, b, 0, P, ti * s, 0); }
  } else if (k == 1) {
    strip_range((int)n, q->nw, P, s, &a, &b);
    add(&q->bottom, C, P, t, 0, P, a, b, 0, (int)n * s);
  } else if (k == 2) {
    strip_range((int)n, q->nh, P, s, &a, &b);
    add(&q->right, C, P, t, a, b, 0, P, (int)n * s, 0);
  } else {
    add(&q->corner, C, P, t, 0, P, 0, P, 0, 0);
  }
}

// Mean of canvas k at (y, x), band c.
static float mean_at(const canvas *k, int c, int y, int x) {
  size_t o = (size_t)y * k->w + x;
  return k->sum[(size_t)c * k->h * k->w + o] / k->cnt[o];
}

int fz_patchmerge(fz_tiler *t, int C, int H, int W, int P, float *out, fz_err *err) {
  pm_ctx q;
  memset(&q, 0, sizeof q);
  q.C = C; q.P = P; q.s = P / 4; q.H = H; q.W = W;
  q.nh = (H - P) / q.s + 1;
  q.nw = (W - P) / q.s + 1;
  q.Hc = H - (H - P) % q.s;
  q.Wc = W - (W - P) % q.s;
  int64_t n = fz_patchmerge_count(H, W, P), k = 0;
  int64_t *ys = malloc((size_t)n * sizeof *ys), *xs = malloc((size_t)n * sizeof *xs);
  int64_t *kind = malloc((size_t)n * sizeof *kind), *idx = malloc((size_t)n * sizeof *idx);
  int ok = ys && xs && kind && idx && canvas_alloc(&q.cen, C, q.Hc, q.Wc) && canvas_alloc(&q.top, C, P, q.Wc) &&
           canvas_alloc(&q.left, C, q.Hc, P) && canvas_alloc(&q.bottom, C, P, q.Wc) && canvas_alloc(&q.right, C, q.Hc, P) &&
           canvas_alloc(&q.corner, C, P, P);
  int rc = ok ? FZ_OK : fz_fail(err, FZ_ENOMEM, "out of memory for the patch-merge canvases (%dx%d scene)", H, W);
  if (!rc) {
    for (int i = 0; i < q.nh; i++)
      for (int j = 0; j < q.nw; j++) { ys[k] = (int64_t)i * q.s; xs[k] = (int64_t)j * q.s; kind[k] = 0; idx[k++] = (int64_t)i * q.nw + j; }
    for (int j = 0; j < q.nw; j++) { ys[k] = H - P; xs[k] = (int64_t)j * q.s; kind[k] = 1; idx[k++] = j; }
    for (int i = 0; i < q.nh; i++) { ys[k] = (int64_t)i * q.s; xs[k] = W - P; kind[k] = 2; idx[k++] = i; }
    ys[k] = H - P; xs[k] = W - P; kind[k] = 3; idx[k++] = 0;
    q.kind = kind;
    q.idx = idx;
    rc = fz_tiler_run(t, ys, xs, n, P, P, pm_sink, &q, err);
  }
  if (!rc) {
    int s = q.s, dH = (P - (H - q.Hc)) / 2, dW = (P - (W - q.Wc)) / 2;
    for (int c = 0; c < C; c++)
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
          int top = y < q.Hc - dH, lft = x < q.Wc - dW;
          float v;
          if (top && lft) {
            if (y >= s && y < q.Hc - s && x >= s && x < q.Wc - s) v = mean_at(&q.cen, c, y, x);
            else if (x < P) v = mean_at(&q.left, c, y, x);
            else v = mean_at(&q.top, c, y, x);
          } else if (!top && lft) v = mean_at(&q.bottom, c, y - (H - P), x);
          else if (top) v = mean_at(&q.right, c, y, x - (W - P));
          else v = mean_at(&q.corner, c, y - (H - P), x - (W - P));
          out[((size_t)c * H + y) * W + x] = v;
        }
  }
  canvas_free(&q.cen); canvas_free(&q.top); canvas_free(&q.left); canvas_free(&q.bottom); canvas_free(&q.right);
  canvas_free(&q.corner);
  free(ys); free(xs); free(kind); free(idx);
  return rc;
}
