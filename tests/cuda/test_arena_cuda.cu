// test_arena_cuda.cu — a model forward on the CUDA backend through the forward arena (runtime/arena_backend.h):
// the first forward records and plans, later forwards take every intermediate from the one allocation.
// Oracles: a counting layer between the arena and the CUDA backend (allocations that really reach cudaMalloc),
// bitwise equality of the replayed forward with the recorded one, and the CPU backend's forward
// (itself checked against the official PyTorch code in tests/test_models.c) within 1e-5 relative.
#include "cuda_test_util.h"
extern "C" {
#include "arena_backend.h"
#include "../../models/model.h"
}
#include <math.h>

static int64_t g_cuda_allocs;
static const fz_backend *g_cuda;
// Counts allocations that reach the CUDA backend (cudaMalloc).
static void *count_alloc(const fz_backend *be, size_t n, fz_err *err) {
  g_cuda_allocs++;
  return g_cuda->alloc(g_cuda, n, err);
}

// A backend tensor [1, C, H, W] holding a smooth pattern in [0, 1] (PAN when C = 1).
static int pattern(const fz_backend *be, int C, int64_t H, int64_t W, fz_tensor *t, fz_err *err) {
  int64_t sh[4] = {1, C, H, W};
  float *h = (float *)malloc(sizeof(float) * (size_t)(C * H * W));
  if (!h) return fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int64_t i = 0; i < C * H * W; i++) h[i] = (float)(0.5 + 0.3 * sin(0.37 * (double)i + 0.1 * C));
  int rc = fz_tensor_alloc(t, be, FZ_F32, 4, sh, err);
  if (!rc) rc = fz_tensor_upload(t, h, sizeof(float) * (size_t)(C * H * W), err);
  free(h);
  return rc;
}

// One forward of m at H×W (fresh inputs and output on m's backend); the output in a malloc'd array.
static float *forward(fz_pan_model *m, int64_t H, int64_t W, int64_t *n, fz_err *err) {
  const fz_backend *be = fz_model_backend(m);
  const fz_model_info *I = fz_model_get_info(m);
  fz_tensor ms{}, lms{}, pan{}, out{};
  int64_t osh[4] = {1, I->bands, H, W};
  float *r = NULL;
  if (!pattern(be, I->bands, H / I->ratio, W / I->ratio, &ms, err) && !pattern(be, I->bands, H, W, &lms, err) &&
      !pattern(be, 1, H, W, &pan, err) && !fz_tensor_alloc(&out, be, FZ_F32, 4, osh, err)) {
    fz_pan_inputs in = {&ms, &lms, &pan};
    if (!fz_model_forward(m, &in, &out, err)) { r = fz_case_download(&out, err); *n = fz_tensor_numel(&out); }
  }
  fz_tensor_free(&ms); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out);
  return r;
}

// max |a − b| / max |b| over n values.
static double rel_err(const float *a, const float *b, int64_t n) {
  double md = 0, mb = 0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    md = d <= md ? md : (isnan(d) ? INFINITY : d);
    mb = fmax(mb, fabs(b[i]));
  }
  return md / mb;
}

// Runs nfwd (2 or 4) forwards (big, big, big/2, big/2) of the model file at path through the arena and checks them.
static void arena_model(fz_tctx *t_, const char *path, int64_t big, int nfwd) {
  fz_err err;
  memset(&err, 0, sizeof err);
  g_cuda = fz_backend_cuda(0, &err);
  CHECKF(g_cuda, "%s", err.msg);
  static fz_backend counting;
  counting = *g_cuda;
  counting.alloc = count_alloc;
  fz_arena_backend *ab = NULL;
  CHECK_OK(fz_arena_backend_create(&counting, &ab, &err), &err);
  fz_pan_model *m = NULL, *mc = NULL;
  CHECK_OK(fz_model_load(path, NULL, fz_arena_backend_table(ab), &m, &err), &err);
  CHECK_OK(fz_model_load(path, NULL, fz_backend_cpu(0), &mc, &err), &err);
  int64_t n = 0, nc = 0;
  const int64_t sizes[4] = {big, big, big / 2, big / 2};
  float *outs[4] = {0}, *ref[2] = {0};
  int64_t allocs[4];
  for (int k = 0; k < nfwd; k++) {
    // Inputs and output are allocated outside the forward (pass-through); count only the forward itself.
    fz_arena_stats s0 = fz_arena_backend_stats(ab);
    outs[k] = forward(m, sizes[k], sizes[k], &n, &err);
    CHECKF(outs[k], "forward %d: %s", k, err.msg);
    fz_arena_stats s = fz_arena_backend_stats(ab);
    allocs[k] = s.last_base_allocs;
    CHECK(s.forwards == s0.forwards + 1);
    if (k == 0 || k == 2) {
      ref[k / 2] = forward(mc, sizes[k], sizes[k], &nc, &err);
      CHECKF(ref[k / 2] && nc == n, "cpu forward: %s", err.msg);
      double e = rel_err(outs[k], ref[k / 2], n);
      CHECKF(e <= 1e-5, "forward %d (%lldx%lld) through the arena vs cpu: %.3g", k, (long long)sizes[k], (long long)sizes[k], e);
      printf("     %s %lldx%lld: %lld device allocations in the recorded forward (%zu bytes); %zu bytes of them freed inside "
             "it (peak live %zu) -> arena %zu bytes, %lld plan(s)\n", fz_model_get_info(m)->arch, (long long)sizes[k],
             (long long)sizes[k], (long long)allocs[k], s.recorded_bytes, s.planned_bytes, s.planned_peak_bytes, s.arena_bytes,
             (long long)s.plans);
      CHECK(s.planned_peak_bytes <= s.arena_bytes && s.arena_bytes <= s.planned_bytes);
    } else {
      CHECKF(!memcmp(outs[k], outs[k - 1], sizeof(float) * (size_t)n), "replayed forward %d differs from the recorded one", k);
      CHECKF(allocs[k] == 0, "replayed forward %d: %lld cudaMallocs (expected none)", k, (long long)allocs[k]);
    }
  }
  for (int k = 0; k < 4; k++) free(outs[k]);
  free(ref[0]);
  free(ref[1]);
  fz_model_free(m);
  fz_model_free(mc);
  fz_arena_backend_free(ab);
}

TEST(cuda_arena_model_forward) {
  CUT_NEED_DEVICE();
  static const char *files[] = {"weights/dlpan_wv3/fusionnet.pth", "weights/fusionmamba_wv3.pth"};
  // FusionMamba (thousands of launches per forward: slow under the emulation) records and replays once.
  static const int64_t big[] = {64, 16};
  static const int nfwd[] = {4, 2};
  int ran = 0;
  for (int f = 0; f < 2; f++) {
    const char *path = fz_test_shared(files[f]);
    if (!path) continue;
    arena_model(t_, path, big[f], nfwd[f]);
    if (t_->failed) return;
    ran++;
  }
  if (!ran) SKIP("../shared/weights (FusionNet, FusionMamba checkpoints) absent");
}
