// test_cuda_models.c — every model end to end through the CUDA backend (the SIMT emulation under
// `make test-cuda-emu`, a GPU under `make test-gpu`): the pretrained checkpoints of ../shared/weights (PNN,
// PanNet, DiCNN, MSDCNN, FusionNet, DRPNN, CANNet WV3/QB/GF2, FusionMamba), SSDiff (random weights of
// tests/golden/ssdiff_random.safetensors, a DDIM run with injected start noise), PAN-OTFM and the Schrödinger
// bridge (random-weight golden model files, their samplers with Philox noise), each run on the `cpu` backend and
// on `cuda:0` with the same input (a real 64×64-PAN crop rebuilt from ../shared by golden_inputs.h, or the
// synthetic inputs of the parity goldens). Oracle: the CPU backend, itself checked against the official PyTorch
// outputs (tests/test_models*.c, tests/test_ssdiff.c) or our PyTorch reference (tests/test_pan_otfm.c,
// tests/test_sb_pan.c). Measure: rel = max_i |cuda_i − cpu_i| / max_i |cpu_i| over the whole output, fp32;
// the bound is 1e-5 (the nets differ only in the order of fp32 sums: implicit GEMM / cuBLAS vs CPU kernels).
#include "../test.h"
#include "../test_models_util.h"
#include "../../models/cannet.h"
#include "../../models/ssdiff.h"
#include "../../models/generative.h"
#include "../../models/gen_graph.h"
#include <stdio.h>
#include <time.h>

const fz_backend *fz_backend_cuda(int device, fz_err *err);

// The numeric claim is the optimised build's (-O2 -march=native, the build that ships): 1e-5. The ASan + UBSan
// variant compiles both the CPU oracle and the emulated kernels at -O1 without -march=native (no AVX-512, other
// summation orders), where deep nets such as CANNet reach 1.4e-5; there the test checks memory safety and keeps a
// 3e-5 bound (gcc and clang define __SANITIZE_ADDRESS__ / __has_feature(address_sanitizer)).
// On a real GPU (the nvcc build, `make test-gpu`) cuBLAS and cuDNN choose their own kernels and summation trees:
// on an H100 (CUDA 13, cuDNN 9) every model was within 1e-5 except CANNet WV3 with injected clusters at 1.12e-5,
// so the GPU bound is 2e-5 (docs/CUDA.md, "On a real GPU").
#if defined(__SANITIZE_ADDRESS__)
#define CUDA_MODEL_REL_TOL_EMU 3e-5
#else
#define CUDA_MODEL_REL_TOL_EMU 1e-5
#endif
#define CUDA_MODEL_REL_TOL_GPU 2e-5
int fz_cuda_is_emulated(void);
#define CUDA_MODEL_REL_TOL (fz_cuda_is_emulated() ? CUDA_MODEL_REL_TOL_EMU : CUDA_MODEL_REL_TOL_GPU)

// 1 when a CUDA device (real or emulated) can be opened; else fills why.
static const fz_backend *cuda_or_skip(char *why, size_t n) {
  fz_err err = {0};
  const fz_backend *be = fz_backend_cuda(0, &err);
  if (!be) snprintf(why, n, "no CUDA device: %s", err.msg);
  return be;
}

// Seconds of wall time since t0.
static double since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

// rel = max |a - b| / max |ref| over n floats (NaN or an all-zero reference count as infinite).
static double rel_diff(const float *got, const float *ref, int64_t n, double *mag) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = fmax(m, fabs((double)ref[i]));
  *mag = m;
  double d = max_abs_diff(got, ref, n);
  return m > 0 && isfinite(d) ? d / m : INFINITY;
}

// Golden cluster maps <cname>.clusters0..2 of tests/golden/<file> injected into CANNet model m.
static int inject_clusters(fz_pan_model *m, const char *file, const char *cname, fz_err *err) {
  char path[600], name[64];
  if (!golden_path(file, path, sizeof path)) return fz_fail(err, FZ_EIO, "golden file tests/golden/%s is missing", file);
  fz_weights g;
  if (st_open(path, &g, err)) return err->code;
  int32_t *idx[3] = {0};
  int64_t n[3] = {0};
  int rc = FZ_OK;
  for (int lv = 0; lv < 3 && !rc; lv++) {
    snprintf(name, sizeof name, "%s.clusters%d", cname, lv);
    float *f = golden_floats(&g, name, &n[lv], NULL, NULL, err);
    if (!f) { rc = err->code ? err->code : FZ_EIO; break; }
    idx[lv] = malloc((size_t)(n[lv] ? n[lv] : 1) * sizeof *idx[lv]);
    if (!idx[lv]) rc = fz_fail(err, FZ_ENOMEM, "out of memory");
    for (int64_t i = 0; !rc && i < n[lv]; i++) idx[lv][i] = (int32_t)f[i];
    free(f);
  }
  if (!rc) rc = fz_cannet_set_clusters(m, (const int32_t *const *)idx, n, err);
  for (int lv = 0; lv < 3; lv++) free(idx[lv]);
  st_close(&g);
  return rc;
}

// Loads ../shared/<rel> on the CPU and on cuda:0, runs both on golden case cname (clusters of golden file
// `clusters` injected into both when not NULL) and checks rel <= CUDA_MODEL_REL_TOL.
static void model_cpu_vs_cuda(fz_tctx *t_, const char *rel, const char *arch, const char *cname, const char *clusters) {
  const char *path = fz_test_shared(rel);
  if (!path) SKIP("needs ../shared/%s (pretrained checkpoint)", rel);
  if (golden_inputs_missing(cname)) SKIP("%s", golden_inputs_missing(cname));
  char why[1200];
  const fz_backend *cu = cuda_or_skip(why, sizeof why);
  if (!cu) SKIP("%s", why);
  const fz_backend *be[2] = {fz_backend_cpu(0), cu};
  float *out[2] = {NULL, NULL};
  int64_t shp[2][4] = {{0}};
  double secs[2] = {0, 0};
  fz_err err = {0};
  int rc = FZ_OK;
  char arch_got[32] = "";
  for (int k = 0; k < 2 && !rc; k++) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fz_pan_model *m = NULL;
    rc = fz_model_load(path, NULL, be[k], &m, &err);
    if (!rc) snprintf(arch_got, sizeof arch_got, "%s", fz_model_get_info(m)->arch);
    if (!rc && clusters) rc = inject_clusters(m, clusters, cname, &err);
    if (!rc) rc = golden_forward(m, cname, 2047.0f, &out[k], shp[k], &err);
    fz_model_free(m);
    secs[k] = since(&t0);
  }
  double mag = 0, r = -1;
  int same = !rc && !memcmp(shp[0], shp[1], sizeof shp[0]);
  if (same) r = rel_diff(out[1], out[0], shp[0][0] * shp[0][1] * shp[0][2] * shp[0][3], &mag);
  free(out[0]);
  free(out[1]);
  CHECKF(!rc, "%s on %s: %s", rel, be[rc && out[0] ? 1 : 0]->name, err.msg);
  CHECKF(!strcmp(arch_got, arch), "%s: detected arch %s, expected %s", rel, arch_got, arch);
  CHECKF(same, "%s: output shapes differ between cpu and %s", rel, cu->name);
  printf("     %-12s %s [%lldx%lldx%lldx%lld]%s: max|cuda-cpu|/max|cpu| = %.3g (max|cpu| %.3g; cpu %.2fs, %s %.2fs)\n", arch,
         cname, (long long)shp[0][0], (long long)shp[0][1], (long long)shp[0][2], (long long)shp[0][3],
         clusters ? " clusters injected" : "", r, mag, secs[0], cu->name, secs[1]);
  CHECKF(r <= CUDA_MODEL_REL_TOL, "%s: rel difference %.3g > %g", arch, r, CUDA_MODEL_REL_TOL);
}

// Oracle (every test below): the CPU backend on the same weights and input (see the file comment).
TEST(cuda_model_pnn) { model_cpu_vs_cuda(t_, "weights/dlpan_wv3/pnn.pth", "pnn", "wv3_64", NULL); }
TEST(cuda_model_pannet) { model_cpu_vs_cuda(t_, "weights/dlpan_wv3/pannet.pth", "pannet", "wv3_64", NULL); }
TEST(cuda_model_dicnn) { model_cpu_vs_cuda(t_, "weights/dlpan_wv3/dicnn1.pth", "dicnn", "wv3_64", NULL); }
TEST(cuda_model_msdcnn) { model_cpu_vs_cuda(t_, "weights/dlpan_wv3/msdcnn.pth", "msdcnn", "wv3_64", NULL); }
TEST(cuda_model_fusionnet) { model_cpu_vs_cuda(t_, "weights/dlpan_wv3/fusionnet.pth", "fusionnet", "wv3_64", NULL); }
TEST(cuda_model_drpnn) { model_cpu_vs_cuda(t_, "weights/dlpan_wv3/drpnn.pth", "drpnn", "wv3_64", NULL); }
TEST(cuda_model_fusionmamba) { model_cpu_vs_cuda(t_, "weights/fusionmamba_wv3.pth", "fusionmamba", "wv3_64", NULL); }
// CANNet with the official run's cluster maps injected into both backends.
TEST(cuda_model_cannet_wv3) { model_cpu_vs_cuda(t_, "weights/cannet_wv3.pth", "cannet", "wv3_64", "cannet_wv3.safetensors"); }
TEST(cuda_model_cannet_qb) { model_cpu_vs_cuda(t_, "weights/cannet_qb.pth", "cannet", "ik_64", "cannet_qb.safetensors"); }
TEST(cuda_model_cannet_gf2) { model_cpu_vs_cuda(t_, "weights/cannet_gf2.pth", "cannet", "ik_64", "cannet_gf2.safetensors"); }
// CANNet with fusor's own k-means++ (Philox seed, the same arithmetic on both backends: kmeans.cu) on each side.
TEST(cuda_model_cannet_wv3_own_kmeans) { model_cpu_vs_cuda(t_, "weights/cannet_wv3.pth", "cannet", "wv3_64", NULL); }

// A [1, c, side, side] tensor on be holding the top-left side×side corner of the first image of golden
// tensor `name` of g.
static int golden_crop(const fz_backend *be, const fz_weights *g, const char *name, int64_t side, fz_tensor *t, fz_err *err) {
  int64_t n = 0, sh[5] = {0};
  int nd = 0;
  float *f = golden_floats(g, name, &n, &nd, sh, err);
  if (!f) return err->code ? err->code : FZ_EIO;
  int rc = nd == 4 && sh[2] >= side && sh[3] >= side ? FZ_OK
           : fz_fail(err, FZ_EINVAL, "golden %s: %d dims, expected 4 with H, W >= %lld", name, nd, (long long)side);
  int64_t s[4] = {1, sh[1], side, side};
  float *c = rc ? NULL : malloc((size_t)(sh[1] * side * side) * sizeof *c);
  if (!rc && !c) rc = fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int64_t ch = 0; !rc && ch < sh[1]; ch++)
    for (int64_t y = 0; y < side; y++) memcpy(c + (ch * side + y) * side, f + (ch * sh[2] + y) * sh[3], (size_t)side * sizeof *c);
  if (!rc) rc = fz_tensor_alloc(t, be, FZ_F32, 4, s, err);
  if (!rc) rc = fz_tensor_upload(t, c, (size_t)(sh[1] * side * side) * sizeof *c, err);
  free(f);
  free(c);
  return rc;
}

// PAN side of the SSDiff run (the emulated flash attention over side² tokens dominates the test's time).
#define SSDIFF_SIDE 32

// Runs the released SSDiff sampler (DDIM "ddim10", η 0) with a respacing of `steps` steps on backend be from the
// top-left SSDIFF_SIDE² corner of the golden inputs and injected start noise x_T of ssdiff_parity.safetensors;
// *out = the host result [1, 4, SSDIFF_SIDE, SSDIFF_SIDE].
static int ssdiff_run(const fz_backend *be, const char *wpath, const fz_weights *g, int steps, float **out, int64_t *n,
                      fz_err *err) {
  fz_pan_model *m = NULL;
  fz_tensor lms = {0}, pan = {0}, ms = {0}, xT = {0}, o = {0};
  *out = NULL;
  int rc = fz_ssdiff_load(wpath, NULL, be, &m, err);
  if (!rc) {
    fz_sampler_config cfg;
    fz_time_input tin;
    fz_ssdiff_sampler_default(&cfg, &tin);
    cfg.steps = steps;
    snprintf(cfg.respace, sizeof cfg.respace, "ddim%d", steps);
    rc = fz_ssdiff_set_sampler(m, &cfg, tin, 0, err);
  }
  if (!rc) rc = golden_crop(be, g, "lms", SSDIFF_SIDE, &lms, err);
  if (!rc) rc = golden_crop(be, g, "pan", SSDIFF_SIDE, &pan, err);
  if (!rc) rc = golden_crop(be, g, "ms", SSDIFF_SIDE / 4, &ms, err);
  if (!rc) rc = golden_crop(be, g, "ddim.x_T", SSDIFF_SIDE, &xT, err);
  if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, 4, lms.shape, err);
  fz_pan_inputs in = {&ms, &lms, &pan};
  if (!rc) rc = fz_ssdiff_sample(m, &in, &xT, 0, NULL, NULL, &o, err);
  *n = rc ? 0 : fz_tensor_numel(&o);
  if (!rc && !(*out = malloc((size_t)*n * sizeof **out))) rc = fz_fail(err, FZ_ENOMEM, "out of memory");
  if (!rc) rc = fz_tensor_download(&o, *out, (size_t)*n * sizeof **out, err);
  if (rc) { free(*out); *out = NULL; }
  fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&ms); fz_tensor_free(&xT); fz_tensor_free(&o);
  fz_model_free(m);
  return rc;
}

// Oracle: the CPU backend (itself ≤ 1e-4 from the official SSDiff code, tests/test_ssdiff.c) on the same random
// weights, inputs and injected x_T; a 2-step respacing of the released DDIM sampler (every network op runs twice).
TEST(cuda_model_ssdiff_ddim) {
  char wpath[600], gpath[600], why[1200];
  if (!golden_path("ssdiff_random.safetensors", wpath, sizeof wpath) || !golden_path("ssdiff_parity.safetensors", gpath, sizeof gpath))
    SKIP("tests/golden/ssdiff_random.safetensors or ssdiff_parity.safetensors is missing");
  const fz_backend *cu = cuda_or_skip(why, sizeof why);
  if (!cu) SKIP("%s", why);
  fz_err err = {0};
  fz_weights g;
  CHECK_OK(fz_weights_load(gpath, &g, &err), &err);
  const fz_backend *be[2] = {fz_backend_cpu(0), cu};
  float *out[2] = {NULL, NULL};
  int64_t n[2] = {0, 0};
  double secs[2] = {0, 0};
  int rc = FZ_OK, which = 0;
  for (int k = 0; k < 2 && !rc; k++) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = ssdiff_run(be[k], wpath, &g, 2, &out[k], &n[k], &err);
    secs[k] = since(&t0);
    which = k;
  }
  fz_weights_free(&g);
  double mag = 0, r = -1;
  int inside = 0;
  if (!rc && n[0] == n[1]) {
    r = rel_diff(out[1], out[0], n[0], &mag);
    for (int64_t i = 0; i < n[0]; i++) inside += out[0][i] > 0 && out[0][i] < 1;
  }
  free(out[0]);
  free(out[1]);
  CHECKF(!rc, "ssdiff on %s: %s", be[which]->name, err.msg);
  CHECKF(n[0] == n[1] && n[0] == 4 * SSDIFF_SIDE * SSDIFF_SIDE, "ssdiff outputs have %lld / %lld values", (long long)n[0], (long long)n[1]);
  printf("     ssdiff       ddim 2 steps [1x4x%dx%d]: max|cuda-cpu|/max|cpu| = %.3g (max|cpu| %.3g, %d values inside (0,1); "
         "cpu %.2fs, %s %.2fs)\n", SSDIFF_SIDE, SSDIFF_SIDE, r, mag, inside, secs[0], cu->name, secs[1]);
  CHECK(inside > n[0] / 2);  // not a saturated image: the comparison exercises the network, not the clamp
  CHECKF(r <= CUDA_MODEL_REL_TOL, "ssdiff: rel difference %.3g > %g", r, CUDA_MODEL_REL_TOL);
}

// Samples the random-weight generative model file `model` (tests/golden) on backend be with sampler `kind`,
// `steps` steps, seed 3, from the top-left 32×32 of the golden inputs lms / pan (/ ms when the model reads it)
// of `inputs`; *out = the host result [1, C, 32, 32].
static int generative_run(const fz_backend *be, const char *model, const fz_weights *g, fz_sampler_kind kind, int steps,
                          float **out, int64_t *n, fz_err *err) {
  fz_pan_model *m = NULL;
  fz_tensor lms = {0}, pan = {0}, ms = {0}, o = {0};
  fz_sampler_config cfg;
  fz_time_input tin;
  *out = NULL;
  int rc = fz_model_load(model, NULL, be, &m, err);
  if (!rc) rc = fz_model_sampler_default(m, &cfg, &tin, err);
  if (!rc) rc = fz_model_sampler_for(m, kind, steps, &cfg, err);
  if (!rc) rc = fz_model_set_sampler(m, &cfg, tin, 3, err);
  if (!rc) rc = golden_crop(be, g, "lms", 32, &lms, err);
  if (!rc) rc = golden_crop(be, g, "pan", 32, &pan, err);
  if (!rc && (fz_model_get_info(m)->inputs & FZ_MODEL_IN_MS)) rc = golden_crop(be, g, "ms", 8, &ms, err);
  if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, 4, lms.shape, err);
  fz_pan_inputs in = {ms.data ? &ms : NULL, &lms, &pan};
  if (!rc) rc = fz_model_forward(m, &in, &o, err);
  *n = rc ? 0 : fz_tensor_numel(&o);
  if (!rc && !(*out = malloc((size_t)*n * sizeof **out))) rc = fz_fail(err, FZ_ENOMEM, "out of memory");
  if (!rc) rc = fz_tensor_download(&o, *out, (size_t)*n * sizeof **out, err);
  if (rc) { free(*out); *out = NULL; }
  fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&ms); fz_tensor_free(&o);
  fz_model_free(m);
  return rc;
}

// The generative condunet models (PAN-OTFM, the Schrödinger bridge) through cpu and emulated cuda with the same
// sampler and seed: the Philox noise is bit-identical on both backends (runtime/detmath.h), so a stochastic sampler
// (bridge_sde) is compared too. Oracle: the CPU backend, itself checked against our PyTorch reference
// (tests/test_pan_otfm.c, tests/test_sb_pan.c).
static void generative_cpu_vs_cuda(fz_tctx *t_, const char *model, const char *inputs, fz_sampler_kind kind, int steps) {
  char wpath[600], gpath[600], why[1200];
  if (!golden_path(model, wpath, sizeof wpath) || !golden_path(inputs, gpath, sizeof gpath))
    SKIP("tests/golden/%s or %s is missing", model, inputs);
  const fz_backend *cu = cuda_or_skip(why, sizeof why);
  if (!cu) SKIP("%s", why);
  fz_err err = {0};
  fz_weights g;
  CHECK_OK(fz_weights_load(gpath, &g, &err), &err);
  const fz_backend *be[2] = {fz_backend_cpu(0), cu};
  float *out[2] = {NULL, NULL};
  int64_t n[2] = {0, 0};
  int rc = FZ_OK, which = 0;
  for (int k = 0; k < 2 && !rc; k++) {
    which = k;
    rc = generative_run(be[k], wpath, &g, kind, steps, &out[k], &n[k], &err);
  }
  fz_weights_free(&g);
  double mag = 0, r = -1;
  if (!rc && n[0] == n[1] && n[0] > 0) r = rel_diff(out[1], out[0], n[0], &mag);
  free(out[0]);
  free(out[1]);
  CHECKF(!rc, "%s on %s: %s", model, be[which]->name, err.msg);
  printf("     %-24s %s %d steps: max|cuda-cpu|/max|cpu| = %.3g (max|cpu| %.3g)\n", model, fz_sampler_name(kind), steps, r, mag);
  CHECKF(r >= 0 && r <= CUDA_MODEL_REL_TOL, "%s %s %d steps: rel %.3g > %.0e", model, fz_sampler_name(kind), steps, r, CUDA_MODEL_REL_TOL);
}

TEST(cuda_model_pan_otfm_onestep) { generative_cpu_vs_cuda(t_, "condunet_random.safetensors", "otfm_parity.safetensors", FZ_SAMPLER_ONESTEP, 1); }
TEST(cuda_model_pan_otfm_heun4) { generative_cpu_vs_cuda(t_, "condunet_random.safetensors", "otfm_parity.safetensors", FZ_SAMPLER_HEUN, 4); }
TEST(cuda_model_sb_pan_sde5) { generative_cpu_vs_cuda(t_, "sb_random.safetensors", "sb_parity.safetensors", FZ_SAMPLER_BRIDGE_SDE, 5); }

// A sampling run's network calls as CUDA graph launches (models/gen_graph.h): the first call runs directly, the
// second is captured and launched, the rest are launches (calls − 1 launches). Oracle: the same run with
// FZ_CUDA_GRAPHS=0 (every call direct), bit for bit, for PAN-OTFM (Heun, 4 steps: 7 network calls, the last step
// without its correction) and the bridge (SDE, 5 steps: Philox noise between the calls); the launch counter shows
// the graph path was taken. (SSDiff's runs take the same path: cuda_model_ssdiff_ddim.)
static void graph_vs_direct(fz_tctx *t_, const char *model, const char *inputs, fz_sampler_kind kind, int steps, uint64_t want_launches) {
  char wpath[600], gpath[600], why[1200];
  if (!golden_path(model, wpath, sizeof wpath) || !golden_path(inputs, gpath, sizeof gpath))
    SKIP("tests/golden/%s or %s is missing", model, inputs);
  const fz_backend *cu = cuda_or_skip(why, sizeof why);
  if (!cu) SKIP("%s", why);
  fz_err err = {0};
  fz_weights g;
  CHECK_OK(fz_weights_load(gpath, &g, &err), &err);
  float *out[2] = {NULL, NULL};
  int64_t n[2] = {0, 0};
  int rc = FZ_OK;
  uint64_t launches[2] = {0, 0};
  for (int k = 0; k < 2 && !rc; k++) {  // k = 0: graphs off; 1: on
    setenv("FZ_CUDA_GRAPHS", k ? "1" : "0", 1);
    const uint64_t l0 = fz_gen_graph_launches();
    rc = generative_run(cu, wpath, &g, kind, steps, &out[k], &n[k], &err);
    launches[k] = fz_gen_graph_launches() - l0;
  }
  unsetenv("FZ_CUDA_GRAPHS");
  fz_weights_free(&g);
  int same = !rc && n[0] == n[1] && n[0] > 0 && !memcmp(out[0], out[1], (size_t)n[0] * sizeof(float));
  free(out[0]);
  free(out[1]);
  CHECKF(!rc, "%s: %s", model, err.msg);
  printf("     %-24s %s %d steps: %llu graph launches, output %s the direct run's\n", model, fz_sampler_name(kind), steps,
         (unsigned long long)launches[1], same ? "identical to" : "DIFFERENT from");
  CHECKF(launches[0] == 0 && launches[1] == want_launches, "graph launches: %llu with graphs off, %llu on (expected %llu)",
         (unsigned long long)launches[0], (unsigned long long)launches[1], (unsigned long long)want_launches);
  CHECK(same);
}

TEST(cuda_sampler_graph_pan_otfm_heun4) {
  graph_vs_direct(t_, "condunet_random.safetensors", "otfm_parity.safetensors", FZ_SAMPLER_HEUN, 4, 6);
}
TEST(cuda_sampler_graph_sb_pan_sde5) { graph_vs_direct(t_, "sb_random.safetensors", "sb_parity.safetensors", FZ_SAMPLER_BRIDGE_SDE, 5, 4); }
