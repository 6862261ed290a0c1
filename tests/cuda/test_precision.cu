// test_precision.cu — bf16 / fp16 storage with fp32 accumulation (kernels/cuda/precision.cu) on the CUDA
// backend (emulated under `make test-cuda-emu`, a GPU under `make test-gpu`).
// Oracle: the op-case table's own double-precision loops (tests/op_cases.h) run on inputs that are already
// 16-bit values (fz_case_input_dtype rounds what fz_case_rand makes), so the reference is the exact result for
// the 16-bit operands; what remains is fp32 accumulation and the one rounding of the result to 16 bits.
// Tolerances per op and dtype (docs/CUDA.md, "Precision"): the output rounding bound u (unit roundoff: bf16 2^-8 = 3.9e-3,
// fp16 2^-11 = 4.9e-4, relative) times 1.5 for fp32 accumulation and activations (exp / erf in fp32) for linear and
// conv2d, times 2 for attention and scan (softmax / state recurrences in fp32 over the whole sequence).
#include "cuda_test_util.h"
extern "C" {
#include "precision.h"
#include "../../models/model.h"
}
#include <math.h>

// One op family: case-name prefix and its tolerance on fz_case_err-style error for bf16 and fp16.
typedef struct {
  const char *prefix;
  double tol_bf16, tol_fp16;
} p16_family;
static const p16_family k_families[] = {
    {"linear_", 6e-3, 7.5e-4},
    {"conv2d_", 6e-3, 7.5e-4},
    {"seq_attention_", 8e-3, 1e-3},
    {"seq_selective_scan_", 8e-3, 1e-3},
};

// Runs every case of the four families on the dtype table; fails on the first case above its tolerance.
static void run_families(fz_tctx *t_, fz_dtype dt) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda_precision(0, dt, &err);
  CHECKF(be != NULL, "fz_backend_cuda_precision: %s", err.msg);
  const fz_backend *fp = fz_backend_cuda(0, &err);
  CHECKF(fp && be != fp && be->linear != fp->linear && be->lincomb == fp->lincomb, "the %s table must replace only the heavy ops",
         be->name);
  int ran = 0;
  double worst[4] = {0, 0, 0, 0};
  char why[1400] = "";
  fz_case_input_dtype = dt;
  for (int i = 0; i < fz_op_case_count() && !why[0]; i++) {
    const fz_op_case *c = fz_op_case_get(i);
    for (int f = 0; f < 4; f++) {
      if (strncmp(c->name, k_families[f].prefix, strlen(k_families[f].prefix))) continue;
      double tol = dt == FZ_BF16 ? k_families[f].tol_bf16 : k_families[f].tol_fp16;
      for (uint64_t seed = 1; seed <= 2; seed++) {
        fz_op_result res;
        memset(&res, 0, sizeof res);
        int rc = c->fn(be, seed, &res, &err);
        if (rc) { snprintf(why, sizeof why, "case %s: %s", c->name, err.msg); break; }
        if (!(res.max_err <= tol)) {
          snprintf(why, sizeof why, "case %s %s (seed %llu, %s): error %.3g > tol %.3g", c->name, res.detail,
                   (unsigned long long)seed, fz_dtype_name(dt), res.max_err, tol);
          break;
        }
        if (res.max_err > worst[f]) worst[f] = res.max_err;
      }
      ran++;
    }
  }
  fz_case_input_dtype = FZ_F32;
  CHECKF(!why[0], "%s", why);
  CHECKF(ran >= 20, "only %d cases of the four families ran", ran);
  printf("     %s: %d cases; max error linear %.2g, conv2d %.2g, attention %.2g, selective_scan %.2g\n", be->name, ran,
         worst[0], worst[1], worst[2], worst[3]);
}

TEST(cuda_precision_bf16_ops) { run_families(t_, FZ_BF16); }
TEST(cuda_precision_fp16_ops) { run_families(t_, FZ_F16); }

// The results really are 16-bit values (storage, not just fp32 with a looser check), and fp32 is untouched.
// Oracle: fz_f32_to_bf16 / fz_f32_to_f16 round trips (runtime/tensor.c, tested against CUDA's conversions).
TEST(cuda_precision_outputs_are_16bit) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  for (int w = 0; w < 2; w++) {
    fz_dtype dt = w ? FZ_F16 : FZ_BF16;
    const fz_backend *be = fz_backend_cuda_precision(0, dt, &err);
    CHECKF(be != NULL, "%s", err.msg);
    fz_tensor x, wt, out;
    int64_t xs[2] = {37, 29}, ws[2] = {23, 29}, os[2] = {37, 23};
    float *hx = NULL;
    CHECK_OK(fz_case_rand(be, &x, 2, xs, 7, 1, -1.0f, 1.0f, &hx, &err), &err);
    CHECK_OK(fz_case_rand(be, &wt, 2, ws, 7, 2, -1.0f, 1.0f, NULL, &err), &err);
    CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 2, os, &err), &err);
    CHECK_OK(fz_op_linear(be, &out, &x, &wt, NULL, FZ_ACT_NONE, 0, 0, &err), &err);
    float *h = fz_case_download(&out, &err);
    CHECKF(h != NULL, "%s", err.msg);
    int bad = -1;
    for (int i = 0; i < 37 * 23; i++) {
      float r = dt == FZ_BF16 ? fz_bf16_to_f32(fz_f32_to_bf16(h[i])) : fz_f16_to_f32(fz_f32_to_f16(h[i]));
      if (r != h[i]) bad = i;
    }
    free(h);
    fz_tensor_free(&out);
    fz_tensor_free(&x);
    fz_tensor_free(&wt);
    free(hx);
    CHECKF(bad < 0, "%s linear: output %d is not a %s value", be->name, bad, fz_dtype_name(dt));
  }
  // The option parser and the CPU refusal.
  fz_dtype dt;
  CHECK(fz_precision_parse("bf16", &dt, &err) == 0 && dt == FZ_BF16);
  CHECK(fz_precision_parse("fp16", &dt, &err) == 0 && dt == FZ_F16);
  CHECK(fz_precision_parse("fp32", &dt, &err) == 0 && dt == FZ_F32);
  CHECK(fz_precision_parse("int8", &dt, &err) == FZ_EINVAL && strstr(err.msg, "int8"));
  CHECK(fz_backend_with_precision(fz_backend_cpu(1), "bf16", &err) == NULL && strstr(err.msg, "needs --device cuda"));
  CHECK(fz_backend_with_precision(fz_backend_cpu(1), "fp32", &err) == fz_backend_cpu(1));
}

// A smooth synthetic scene in [0, 1] for plane c of an H×W image (PAN: c = -1).
static float scene(int c, int64_t y, int64_t x, int64_t H) {
  double s = (double)H / 64.0;
  return (float)(0.5 + 0.2 * sin(0.21 * y / s + 0.3 * c) * cos(0.17 * x / s) + 0.1 * sin(0.05 * (x + 2 * y) / s + c));
}

// A new backend tensor [1, C, H, W] of the synthetic scene (C = 1: PAN).
static int scene_tensor(const fz_backend *be, int C, int64_t H, int64_t W, fz_tensor *t, fz_err *err) {
  int64_t sh[4] = {1, C, H, W};
  float *h = (float *)malloc(sizeof(float) * (size_t)(C * H * W));
  if (!h) return fz_fail(err, FZ_ENOMEM, "out of memory");
  for (int c = 0; c < C; c++)
    for (int64_t y = 0; y < H; y++)
      for (int64_t x = 0; x < W; x++) h[(c * H + y) * W + x] = scene(C == 1 ? -1 : c, y, x, H);
  int rc = fz_tensor_alloc(t, be, FZ_F32, 4, sh, err);
  if (!rc) rc = fz_tensor_upload(t, h, sizeof(float) * (size_t)(C * H * W), err);
  free(h);
  return rc;
}

// Runs the model file at path on backend be over a 64×64 synthetic PAN; returns the output in a malloc'd array.
static float *model_run(const char *path, const fz_backend *be, int64_t *n, fz_err *err) {
  fz_pan_model *m = NULL;
  if (fz_model_load(path, NULL, be, &m, err)) return NULL;
  const fz_model_info *info = fz_model_get_info(m);
  const int C = info->bands, r = info->ratio;
  const int64_t H = 64, W = 64;
  fz_tensor ms{}, lms{}, pan{}, out{};
  float *res = NULL;
  int64_t osh[4] = {1, C, H, W};
  if (!scene_tensor(be, C, H / r, W / r, &ms, err) && !scene_tensor(be, C, H, W, &lms, err) && !scene_tensor(be, 1, H, W, &pan, err) &&
      !fz_tensor_alloc(&out, be, FZ_F32, 4, osh, err)) {
    fz_pan_inputs in = {&ms, &lms, &pan};
    if (!fz_model_forward(m, &in, &out, err)) {
      res = fz_case_download(&out, err);
      *n = fz_tensor_numel(&out);
    }
  }
  fz_tensor_free(&ms); fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out);
  fz_model_free(m);
  return res;
}

// Whole models in bf16 and fp16 against the CPU backend in fp32 (the oracle: tests/test_models.c checks it
// against the official PyTorch code). Measure: max |16-bit − fp32| / max |fp32| over the output.
// Tolerances (docs/CUDA.md): bf16 2e-2, fp16 3e-3 (about 5 unit roundoffs: each conv layer rounds its result
// once, the residual + LMS paths keep most of the magnitude); PanNet twice that: its high-pass input
// x − box(x) is a 16-bit depthwise conv whose rounding error is large relative to the small difference.
// Measured: FusionNet 1.5e-2 / 2.0e-3, PanNet 3.0e-2 / 3.9e-3, DRPNN 1.1e-2 / 1.8e-3.
TEST(cuda_precision_models_bf16_fp16) {
  CUT_NEED_DEVICE();
  static const char *files[] = {"weights/dlpan_wv3/fusionnet.pth", "weights/dlpan_wv3/pannet.pth", "weights/dlpan_wv3/drpnn.pth"};
  static const double tols[3][2] = {{2e-2, 3e-3}, {4e-2, 6e-3}, {2e-2, 3e-3}};  // {bf16, fp16} per model
  fz_err err;
  memset(&err, 0, sizeof err);
  int ran = 0;
  for (int f = 0; f < 3; f++) {
    const char *path = fz_test_shared(files[f]);
    if (!path) continue;
    int64_t n0 = 0, n1 = 0;
    float *ref = model_run(path, fz_backend_cpu(0), &n0, &err);
    CHECKF(ref, "%s on cpu: %s", files[f], err.msg);
    double mref = 0;
    for (int64_t i = 0; i < n0; i++) mref = fmax(mref, fabs(ref[i]));
    for (int w = 0; w < 2; w++) {
      const fz_backend *be = fz_backend_cuda_precision(0, w ? FZ_F16 : FZ_BF16, &err);
      CHECKF(be, "%s", err.msg);
      float *got = model_run(path, be, &n1, &err);
      CHECKF(got && n1 == n0, "%s on %s: %s", files[f], be->name, err.msg);
      double md = 0;
      for (int64_t i = 0; i < n0; i++) {
        double d = fabs((double)got[i] - ref[i]);
        md = d <= md ? md : (isnan(d) ? INFINITY : d);
      }
      free(got);
      double rel = md / mref, tol = w ? tols[f][1] : tols[f][0];
      printf("     %s on %s: max |err| / max |fp32| = %.3g (tol %.0e)\n", files[f], be->name, rel, tol);
      CHECKF(rel <= tol && rel > 0, "%s on %s: relative error %.3g (tol %g; 0 would mean no 16-bit rounding)", files[f],
             be->name, rel, tol);
    }
    free(ref);
    ran++;
  }
  if (!ran) SKIP("../shared/weights/dlpan_wv3 absent (FusionNet, PanNet, DRPNN checkpoints)");
}
