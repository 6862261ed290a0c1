// layout.c — pure data-movement ops on the CPU: PixelShuffle / PixelUnshuffle, DiT patchify / unpatchify and a
// general permute (NCHW <-> NHWC and friends) with a cache-blocked transpose for the common case.
#include "cpu_seq.h"
#include <string.h>

// PixelShuffle / PixelUnshuffle between [N,C·r²,H,W] and [N,C,H·r,W·r], one task per image row.
int fz_cpu_pixel_shuffle(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int r, int inverse, fz_err *err) {
  (void)err;
  // Image side [N, C, H·r, W·r] (big), channel side [N, C·r², H, W] (small).
  const fz_tensor *big = inverse ? x : out, *small = inverse ? out : x;
  const int64_t N = big->shape[0], C = big->shape[1], Hb = big->shape[2], Wb = big->shape[3];
  const int64_t H = small->shape[2], W = small->shape[3];
  float *bd = inverse ? (float *)x->data : out->data, *sd = inverse ? out->data : (float *)x->data;
  // One task per image row: big[n,c,y,:] <-> small[n, c·r² + (y%r)·r + j, y/r, :] for j < r.
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (N * C * Hb * Wb > 65536)
  for (int64_t t = 0; t < N * C * Hb; t++) {
    int64_t y = t % Hb, nc = t / Hb, c = nc % C, n = nc / C, h = y / r, i = y % r;
    float *brow = bd + t * Wb;
    for (int j = 0; j < r; j++) {
      float *srow = sd + ((n * C * r * r + c * r * r + i * r + j) * H + h) * W;
      if (inverse) for (int64_t w = 0; w < W; w++) srow[w] = brow[w * r + j];
      else for (int64_t w = 0; w < W; w++) brow[w * r + j] = srow[w];
    }
  }
  return FZ_OK;
}

// Patchify / unpatchify between [N,C,H,W] and [N,(H/p)(W/p),p·p·C] in feature order pqc or cpq.
int fz_cpu_patchify(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int p, int order, int inverse,
                    fz_err *err) {
  (void)err;
  const fz_tensor *img = inverse ? out : x;
  const int64_t N = img->shape[0], C = img->shape[1], H = img->shape[2], W = img->shape[3];
  const int64_t nh = H / p, nw = W / p, F = (int64_t)p * p * C;
  float *id = inverse ? out->data : (float *)x->data, *td = inverse ? (float *)x->data : out->data;
  // One task per (n, c, image row y): the row's W pixels go to nw tokens at feature offsets (py, px, c).
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (N * C * H * W > 65536)
  for (int64_t t = 0; t < N * C * H; t++) {
    int64_t y = t % H, nc = t / H, c = nc % C, n = nc / C, ty = y / p, py = y % p;
    float *row = id + t * W;
    for (int64_t xx = 0; xx < W; xx++) {
      int64_t tx = xx / p, px = xx % p;
      int64_t f = order == 0 ? (py * p + px) * C + c : (c * p + py) * p + px;
      float *tok = td + ((n * nh + ty) * nw + tx) * F + f;
      if (inverse) row[xx] = *tok;
      else *tok = row[xx];
    }
  }
  return FZ_OK;
}

// out[a][b] = in[b][a] for an R×S matrix in (row stride S) into out (row stride R), 32×32 blocks.
static void transpose_block(uint32_t *out, const uint32_t *in, int64_t R, int64_t S) {
  for (int64_t r0 = 0; r0 < R; r0 += 32)
    for (int64_t s0 = 0; s0 < S; s0 += 32) {
      int64_t r1 = r0 + 32 < R ? r0 + 32 : R, s1 = s0 + 32 < S ? s0 + 32 : S;
      for (int64_t s = s0; s < s1; s++)
        for (int64_t r = r0; r < r1; r++) out[s * R + r] = in[r * S + s];
    }
}

// out = x.permute(perm) for 4-byte elements: collapsed dims, a blocked transpose when it applies.
int fz_cpu_permute(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const int *perm, fz_err *err) {
  (void)err;
  const int nd = x->ndim;
  const uint32_t *xd = x->data;  // 4-byte elements moved as bit patterns
  uint32_t *od = out->data;
  int64_t n = fz_tensor_numel(x);
  if (n == 0) return FZ_OK;
  if (nd == 0) { od[0] = xd[0]; return FZ_OK; }
  // Collapse output dims that are adjacent and in order in the input too: (dim, size) runs.
  int64_t istride[FZ_MAX_DIMS];
  istride[nd - 1] = 1;
  for (int i = nd - 2; i >= 0; i--) istride[i] = istride[i + 1] * x->shape[i + 1];
  int64_t sz[FZ_MAX_DIMS], st[FZ_MAX_DIMS];  // collapsed output dims: size and input stride
  int m = 0;
  for (int i = 0; i < nd; i++) {
    int64_t s = x->shape[perm[i]];
    if (s == 1) continue;
    if (m > 0 && st[m - 1] == istride[perm[i]] * s) { sz[m - 1] *= s; st[m - 1] = istride[perm[i]]; }
    else { sz[m] = s; st[m] = istride[perm[i]]; m++; }
  }
  if (m <= 1) { memcpy(od, xd, sizeof(uint32_t) * (size_t)n); return FZ_OK; }
  // Batched 2-D transpose: [..batch.., A, Bd] -> [..batch.., Bd, A] with the batch dims in order.
  if (st[m - 2] == 1 && st[m - 1] == sz[m - 2]) {
    int64_t A = sz[m - 1], Bd = sz[m - 2], batch = n / (A * Bd);
    int batch_ok = 1;
    for (int i = m - 3, want = A * Bd; i >= 0; i--) { if (st[i] != want) batch_ok = 0; want *= sz[i]; }
    if (batch_ok) {
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n > 65536)
      for (int64_t b = 0; b < batch; b++) transpose_block(od + b * A * Bd, xd + b * A * Bd, A, Bd);
      return FZ_OK;
    }
  }
  // General case: walk the output in order, innermost collapsed dim as a strided gather.
  int64_t inner = sz[m - 1], istr = st[m - 1], rows = n / inner;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (n > 65536)
  for (int64_t r = 0; r < rows; r++) {
    int64_t rem = r, off = 0;
    for (int i = m - 2; i >= 0; i--) { off += (rem % sz[i]) * st[i]; rem /= sz[i]; }
    uint32_t *o = od + r * inner;
    const uint32_t *src = xd + off;
    for (int64_t j = 0; j < inner; j++) o[j] = src[j * istr];
  }
  return FZ_OK;
}
