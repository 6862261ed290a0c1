// test_cuda_fuse.c — whole-scene fusion (models/fuse.c) on the CUDA backend: the tiler stages its batches in
// page-locked host memory (the backend's host_alloc) and double-buffers them, so the host cuts the next batch and
// hands the previous one to the merge while the device computes. Oracle: the same fz_fuse_scene on the CPU backend
// (itself checked against per-pixel double loops in tests/test_models_fuse.c): fp32 within 1e-5 of the largest
// output, for the blend, grid and patchmerge merges over several batches with a partial last batch.
#include "../test.h"
#include "../../models/fuse.h"
#include "../../models/model.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

const fz_backend *fz_backend_cuda(int device, fz_err *err);
unsigned long long fz_cuda_pinned_allocs(const fz_backend *be);

// Fills a smooth synthetic scene: pan [H, W], lms [C, H, W], ms [C, H/4, W/4], values in [0, 1].
static void make_scene(float *pan, float *lms, float *ms, int C, int H, int W) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) pan[y * W + x] = (float)(0.5 + 0.3 * sin(0.11 * x + 0.07 * y));
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) lms[((size_t)c * H + y) * W + x] = (float)(0.45 + 0.25 * cos(0.05 * (c + 1) * x - 0.09 * y));
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H / 4; y++)
      for (int x = 0; x < W / 4; x++) ms[((size_t)c * (H / 4) + y) * (W / 4) + x] = lms[((size_t)c * H + 4 * y) * W + 4 * x];
}

TEST(cuda_fuse_scene_matches_cpu) {
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *cu = fz_backend_cuda(0, &err);
  if (!cu) SKIP("no CUDA device: %s", err.msg);
  const char *path = fz_test_shared("weights/dlpan_wv3/fusionnet.pth");
  if (!path) SKIP("needs ../shared/weights/dlpan_wv3/fusionnet.pth (pretrained checkpoint)");
  const int C = 8, H = 100, W = 92;
  float *pan = malloc(sizeof(float) * H * W), *lms = malloc(sizeof(float) * C * H * W), *ms = malloc(sizeof(float) * C * H * W / 16);
  float *out[2] = {malloc(sizeof(float) * C * H * W), malloc(sizeof(float) * C * H * W)};
  CHECK(pan && lms && ms && out[0] && out[1]);
  make_scene(pan, lms, ms, C, H, W);
  const fz_scene sc = {C, H, W, ms, lms, pan};
  const fz_fuse_opts opts[3] = {{.tile = 32, .overlap = 8, .merge = FZ_MERGE_BLEND, .batch = 3},
                                {.tile = 32, .merge = FZ_MERGE_GRID, .batch = 2},
                                {.tile = 32, .merge = FZ_MERGE_PATCHMERGE, .batch = 4}};
  const fz_backend *bes[2] = {fz_backend_cpu(0), cu};
  fz_pan_model *m[2] = {NULL, NULL};
  for (int k = 0; k < 2; k++) CHECK_OK(fz_model_load(path, NULL, bes[k], &m[k], &err), &err);
  for (int o = 0; o < 3; o++) {
    const unsigned long long pinned0 = fz_cuda_pinned_allocs(cu);
    int64_t tiles = 0;
    CHECK_OK(fz_fuse_count_tiles(m[1], &sc, &opts[o], &tiles, &err), &err);
    CHECKF(tiles > 2 * opts[o].batch, "%s: only %lld tiles: too few batches to exercise the double buffering",
           fz_merge_name(opts[o].merge), (long long)tiles);
    for (int k = 0; k < 2; k++) CHECK_OK(fz_fuse_scene(m[k], &sc, &opts[o], out[k], &err), &err);
    CHECKF(fz_cuda_pinned_allocs(cu) > pinned0, "%s: the CUDA run did not stage through page-locked memory",
           fz_merge_name(opts[o].merge));
    double md = 0, mr = 0;
    for (size_t i = 0; i < (size_t)C * H * W; i++) {
      md = fmax(md, fabs((double)out[1][i] - out[0][i]));
      mr = fmax(mr, fabs((double)out[0][i]));
    }
    printf("     %-10s %lld tiles, batch %d: max|cuda-cpu| / max|cpu| = %.3g\n", fz_merge_name(opts[o].merge), (long long)tiles,
           opts[o].batch, md / mr);
    CHECKF(mr > 0 && md <= 1e-5 * mr, "%s: cuda vs cpu %.3g (max |cpu| %.3g)", fz_merge_name(opts[o].merge), md, mr);
  }
  for (int k = 0; k < 2; k++) fz_model_free(m[k]);
  free(pan); free(lms); free(ms); free(out[0]); free(out[1]);
}
