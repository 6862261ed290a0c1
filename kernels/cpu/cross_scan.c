// cross_scan.c — VMamba's 4-direction cross-scan / cross-merge of H×W grids and Swin window partition /
// reverse on the CPU. Pure data movement: parallel over (batch, channel) or (batch, window row).
#include "cpu_seq.h"
#include <string.h>

// Offset of pixel (0, 0) of channel c of image b, and the row / column strides, in either memory order.
static inline int64_t plane_at(int64_t b, int64_t c, int64_t C, int64_t H, int64_t W, int cl, int64_t *sy, int64_t *sx) {
  *sy = cl ? W * C : W;
  *sx = cl ? C : 1;
  return cl ? b * H * W * C + c : (b * C + c) * H * W;
}

// x (B,C,H,W in either memory order) -> out [B,4,C,H·W]: row-major, column-major and both reversed.
int fz_cpu_cross_scan(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t B, int64_t C, int64_t H,
                      int64_t W, int channels_last, fz_err *err) {
  (void)err;
  const float *xd = x->data;
  float *od = out->data;
  const int64_t L = H * W;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (B * C * L > 65536)
  for (int64_t bc = 0; bc < B * C; bc++) {
    int64_t b = bc / C, c = bc % C;
    float *o0 = od + ((b * 4 + 0) * C + c) * L, *o1 = od + ((b * 4 + 1) * C + c) * L;
    float *o2 = od + ((b * 4 + 2) * C + c) * L, *o3 = od + ((b * 4 + 3) * C + c) * L;
    int64_t sy, sx;
    const float *src = xd + plane_at(b, c, C, H, W, channels_last, &sy, &sx);
    // Row by row: o0 / o2 are written sequentially, o1 / o3 with stride H (32×32 tiles measured slower).
    for (int64_t y = 0; y < H; y++)
      for (int64_t xx = 0; xx < W; xx++) {
        float v = src[y * sy + xx * sx];
        int64_t lr = y * W + xx, lc = xx * H + y;  // row-major and column-major positions
        o0[lr] = v;
        o1[lc] = v;
        o2[L - 1 - lr] = v;
        o3[L - 1 - lc] = v;
      }
  }
  return FZ_OK;
}

// y [B,4,C,H·W] -> out (B,C,H,W): each pixel sums its 4 sequence positions.
int fz_cpu_cross_merge(const fz_backend *be, fz_tensor *out, const fz_tensor *y, int64_t B, int64_t C, int64_t H,
                       int64_t W, int channels_last, fz_err *err) {
  (void)err;
  const float *yd = y->data;
  float *od = out->data;
  const int64_t L = H * W;
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (B * C * L > 65536)
  for (int64_t bc = 0; bc < B * C; bc++) {
    int64_t b = bc / C, c = bc % C;
    const float *y0p = yd + ((b * 4 + 0) * C + c) * L, *y1p = yd + ((b * 4 + 1) * C + c) * L;
    const float *y2p = yd + ((b * 4 + 2) * C + c) * L, *y3p = yd + ((b * 4 + 3) * C + c) * L;
    int64_t sy, sx;
    float *dst = od + plane_at(b, c, C, H, W, channels_last, &sy, &sx);
    for (int64_t r = 0; r < H; r++)
      for (int64_t xx = 0; xx < W; xx++) {
        int64_t lr = r * W + xx, lc = xx * H + r;
        dst[r * sy + xx * sx] = y0p[lr] + y1p[lc] + y2p[L - 1 - lr] + y3p[L - 1 - lc];
      }
  }
  return FZ_OK;
}

// Image (B,C,H,W) <-> windows [B·nW,wh,ww,C] / [B·nW,C,wh,ww]; reverse = 1 writes the image.
int fz_cpu_window_partition(const fz_backend *be, fz_tensor *dst, const fz_tensor *src, int64_t B, int64_t C,
                            int64_t H, int64_t W, int wh, int ww, int channels_last, int reverse, fz_err *err) {
  (void)err;
  const int64_t nh = H / wh, nw = W / ww;
  float *img = reverse ? dst->data : (float *)src->data;
  float *win = reverse ? (float *)src->data : dst->data;
  // One task per (batch, window row, row inside the window): copies nw windows' rows.
#pragma omp parallel for schedule(static) num_threads(fz_cpu_threads(be)) if (B * H * W * C > 65536)
  for (int64_t t = 0; t < B * H; t++) {
    int64_t b = t / H, y = t % H, iy = y / wh, i = y % wh;
    for (int64_t ix = 0; ix < nw; ix++) {
      int64_t w_idx = (b * nh + iy) * nw + ix;
      if (channels_last) {
        // window [wh, ww, C]: row i holds ww·C contiguous floats, as does the image row segment.
        float *pi = img + ((b * H + y) * W + ix * ww) * C, *pw = win + (w_idx * wh + i) * ww * C;
        if (reverse) memcpy(pi, pw, sizeof(float) * (size_t)(ww * C));
        else memcpy(pw, pi, sizeof(float) * (size_t)(ww * C));
      } else {
        for (int64_t c = 0; c < C; c++) {
          float *pi = img + ((b * C + c) * H + y) * W + ix * ww, *pw = win + ((w_idx * C + c) * wh + i) * ww;
          if (reverse) memcpy(pi, pw, sizeof(float) * (size_t)ww);
          else memcpy(pw, pi, sizeof(float) * (size_t)ww);
        }
      }
    }
  }
  return FZ_OK;
}
