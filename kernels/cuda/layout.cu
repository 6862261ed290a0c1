// layout.cu — the data-movement ops of the seq family on the GPU: permute, PixelShuffle / Unshuffle,
// DiT patchify / unpatchify, VMamba cross-scan / cross-merge and Swin window partition / reverse. Each is
// a bijection (or, for cross-merge, a 4-term gather) between element indices: one thread per element of
// the image side, grid-stride. Roofline: 8 bytes per element moved, memory bound.
#include "cuda_ops.h"
#include "device_util.cuh"

#define EW_GRID(n) fz_cuda_blocks((n), FZ_EW_THREADS, FZ_EW_MAX_BLOCKS), FZ_EW_THREADS, 0, fz_cuda_stream(be)
#define EW_LOOP(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

// Output dims and the input stride of each output dim.
struct perm_geom {
  int nd;
  int64_t dim[FZ_MAX_DIMS], ist[FZ_MAX_DIMS];
};

// out[i] = x[input offset of i] for 4-byte elements (bit patterns: f32 or i32).
__global__ void k_permute(uint32_t *out, const uint32_t *x, int64_t n, perm_geom g) {
  EW_LOOP(i, n) {
    int64_t rem = i, off = 0;
    for (int d = g.nd - 1; d >= 0; d--) {
      off += (rem % g.dim[d]) * g.ist[d];
      rem /= g.dim[d];
    }
    out[i] = x[off];
  }
}

// big [N,C,H·r,W·r] <-> small [N,C·r²,H,W]: big[n,c,y·r+i,x·r+j] = small[n,c·r²+i·r+j,y,x].
__global__ void k_pixel_shuffle(float *big, float *small, int64_t N, int64_t C, int64_t H, int64_t W, int r, int to_small) {
  int64_t Hb = H * r, Wb = W * r;
  EW_LOOP(t, N * C * Hb * Wb) {
    int64_t X = t % Wb, Y = (t / Wb) % Hb, nc = t / (Wb * Hb), c = nc % C, n = nc / C;
    int64_t s = ((n * C * r * r + c * r * r + (Y % r) * r + X % r) * H + Y / r) * W + X / r;
    if (to_small) small[s] = big[t];
    else big[t] = small[s];
  }
}

// image [N,C,H,W] <-> tokens [N,(H/p)(W/p),p·p·C]; feature f = (py·p+px)·C + c (order 0) or (c·p+py)·p+px.
__global__ void k_patchify(float *img, float *tok, int64_t N, int64_t C, int64_t H, int64_t W, int p, int order, int to_img) {
  int64_t nh = H / p, nw = W / p, F = (int64_t)p * p * C;
  EW_LOOP(t, N * C * H * W) {
    int64_t x = t % W, y = (t / W) % H, nc = t / (W * H), c = nc % C, n = nc / C;
    int64_t py = y % p, px = x % p, f = order == 0 ? (py * p + px) * C + c : (c * p + py) * p + px;
    int64_t k = ((n * nh + y / p) * nw + x / p) * F + f;
    if (to_img) img[t] = tok[k];
    else tok[k] = img[t];
  }
}

// Offset of pixel (y, x) of channel c of image b in (B,C,H,W) memory order NCHW or NHWC (cl).
__device__ __forceinline__ int64_t fz_img_at(int64_t b, int64_t c, int64_t y, int64_t x, int64_t C, int64_t H, int64_t W, int cl) {
  return cl ? ((b * H + y) * W + x) * C + c : ((b * C + c) * H + y) * W + x;
}

// Cross-scan (merge = 0): seq[b,k,c,·] gets pixel (y,x) at positions lr = y·W+x, lc = x·H+y, L-1-lr,
// L-1-lc for k = 0..3. Cross-merge (merge = 1): img(y,x) = the sum of those four positions.
__global__ void k_cross(float *img, float *seq, int64_t B, int64_t C, int64_t H, int64_t W, int cl, int merge) {
  int64_t L = H * W;
  EW_LOOP(t, B * C * L) {
    int64_t lr = t % L, bc = t / L, c = bc % C, b = bc / C, y = lr / W, x = lr % W, lc = x * H + y;
    float *s0 = seq + ((b * 4 + 0) * C + c) * L, *s1 = seq + ((b * 4 + 1) * C + c) * L;
    float *s2 = seq + ((b * 4 + 2) * C + c) * L, *s3 = seq + ((b * 4 + 3) * C + c) * L;
    int64_t o = fz_img_at(b, c, y, x, C, H, W, cl);
    if (merge) {
      img[o] = s0[lr] + s1[lc] + s2[L - 1 - lr] + s3[L - 1 - lc];
    } else {
      float v = img[o];
      s0[lr] = v;
      s1[lc] = v;
      s2[L - 1 - lr] = v;
      s3[L - 1 - lc] = v;
    }
  }
}

// Image (B,C,H,W; NHWC when cl) <-> windows [B·nW, wh, ww, C] (cl) or [B·nW, C, wh, ww].
__global__ void k_window(float *img, float *win, int64_t B, int64_t C, int64_t H, int64_t W, int wh, int ww, int cl, int to_img) {
  int64_t nh = H / wh, nw = W / ww;
  EW_LOOP(t, B * C * H * W) {
    int64_t c, y, x, b;
    if (cl) { c = t % C; x = (t / C) % W; y = (t / (C * W)) % H; b = t / (C * W * H); }
    else { x = t % W; y = (t / W) % H; c = (t / (W * H)) % C; b = t / (W * H * C); }
    int64_t widx = (b * nh + y / wh) * nw + x / ww, i = y % wh, j = x % ww;
    int64_t k = cl ? ((widx * wh + i) * ww + j) * C + c : ((widx * C + c) * wh + i) * ww + j;
    if (to_img) img[t] = win[k];
    else win[k] = img[t];
  }
}

int fz_cuda_permute(const fz_backend *be, fz_tensor *out, const fz_tensor *x, const int *perm, fz_err *err) {
  int64_t n = fz_tensor_numel(x);
  if (n == 0) return FZ_OK;
  perm_geom g;
  memset(&g, 0, sizeof g);
  int64_t ist[FZ_MAX_DIMS];
  int nd = x->ndim;
  if (nd > 0) ist[nd - 1] = 1;
  for (int i = nd - 2; i >= 0; i--) ist[i] = ist[i + 1] * x->shape[i + 1];
  g.nd = nd > 0 ? nd : 1;
  g.dim[0] = 1;
  for (int i = 0; i < nd; i++) {
    g.dim[i] = x->shape[perm[i]];
    g.ist[i] = ist[perm[i]];
  }
  FZ_LAUNCH(k_permute, EW_GRID(n))((uint32_t *)out->data, (const uint32_t *)x->data, n, g);
  return fz_cuda_check_launch(be, "permute kernel", err);
}

int fz_cuda_pixel_shuffle(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int r, int inverse, fz_err *err) {
  const fz_tensor *big = inverse ? x : out, *small = inverse ? out : x;
  int64_t N = big->shape[0], C = big->shape[1], H = small->shape[2], W = small->shape[3];
  if (N * C * H * W == 0) return FZ_OK;
  FZ_LAUNCH(k_pixel_shuffle, EW_GRID(N * C * H * W * r * r))((float *)big->data, (float *)small->data, N, C, H, W, r, inverse);
  return fz_cuda_check_launch(be, "pixel_shuffle kernel", err);
}

int fz_cuda_patchify(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int p, int order, int inverse, fz_err *err) {
  const fz_tensor *img = inverse ? out : x, *tok = inverse ? x : out;
  int64_t N = img->shape[0], C = img->shape[1], H = img->shape[2], W = img->shape[3];
  if (N * C * H * W == 0) return FZ_OK;
  FZ_LAUNCH(k_patchify, EW_GRID(N * C * H * W))((float *)img->data, (float *)tok->data, N, C, H, W, p, order, inverse);
  return fz_cuda_check_launch(be, "patchify kernel", err);
}

int fz_cuda_cross_scan(const fz_backend *be, fz_tensor *out, const fz_tensor *x, int64_t B, int64_t C, int64_t H, int64_t W,
                       int channels_last, fz_err *err) {
  if (B * C * H * W == 0) return FZ_OK;
  FZ_LAUNCH(k_cross, EW_GRID(B * C * H * W))((float *)x->data, (float *)out->data, B, C, H, W, channels_last, 0);
  return fz_cuda_check_launch(be, "cross_scan kernel", err);
}

int fz_cuda_cross_merge(const fz_backend *be, fz_tensor *out, const fz_tensor *y, int64_t B, int64_t C, int64_t H, int64_t W,
                        int channels_last, fz_err *err) {
  if (B * C * H * W == 0) return FZ_OK;
  FZ_LAUNCH(k_cross, EW_GRID(B * C * H * W))((float *)out->data, (float *)y->data, B, C, H, W, channels_last, 1);
  return fz_cuda_check_launch(be, "cross_merge kernel", err);
}

int fz_cuda_window_partition(const fz_backend *be, fz_tensor *dst, const fz_tensor *src, int64_t B, int64_t C, int64_t H,
                             int64_t W, int wh, int ww, int channels_last, int reverse, fz_err *err) {
  if (B * C * H * W == 0) return FZ_OK;
  float *img = reverse ? (float *)dst->data : (float *)src->data, *win = reverse ? (float *)src->data : (float *)dst->data;
  FZ_LAUNCH(k_window, EW_GRID(B * C * H * W))(img, win, B, C, H, W, wh, ww, channels_last, reverse);
  return fz_cuda_check_launch(be, "window_partition kernel", err);
}
