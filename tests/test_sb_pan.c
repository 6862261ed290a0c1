// test_sb_pan.c — the Schrödinger-bridge pansharpening model (arch sb_pan): the I²SB table against its closed form,
// fusor's Philox noise against the numpy port in tools/python/fusor_ref/sb.py, parity with fusor's own PyTorch
// reference (one forward, bridge_sde 5 steps and bridge_ode 1 step with the same noise; goldens made by
// `python3 -m fusor_ref.sb --goldens tests/golden`, see tests/golden/README.md), the sampler hooks and bad files.
#include "test.h"
#include "test_models_util.h"
#include "../models/sb_pan.h"
#include "../models/generative.h"
#include "../models/model_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Σ_{i=0}^{m} (r0 + i·d)² (0 for m < 0).
static double sq_sum(double r0, double d, long m) {
  if (m < 0) return 0;
  double k = (double)m + 1;
  return k * r0 * r0 + r0 * d * (double)m * k + d * d * (double)m * k * (2.0 * m + 1) / 6.0;
}

// Oracle: the closed form of I²SB's table. β_i = (r0 + i·d)², r0 = √1e-4, d = (√(β_max/T) − r0)/(T − 1), first half
// mirrored, so std_fwd[n]² = S(n) for n < T/2 and 2·S(T/2 − 1) − S(T − 2 − n) after (S = sum of squares of an
// arithmetic sequence). Also the golden's python table (sb.bridge_std) agrees to float rounding.
TEST(sb_bridge_std_closed_form) {
  fz_err err = {0};
  const int Ts[3] = {1000, 200, 2};
  const double bm[3] = {0.3, 0.5, 0.1};
  for (int c = 0; c < 3; c++) {
    int T = Ts[c];
    double *f = malloc((size_t)T * sizeof *f), r0 = 1e-2, d = (sqrt(bm[c] / T) - r0) / (T - 1), md = 0;
    CHECK(f);
    CHECK_OK(fz_bridge_std_fwd(T, bm[c], f, &err), &err);
    for (int n = 0; n < T; n++) {
      double s2 = n < T / 2 ? sq_sum(r0, d, n) : 2 * sq_sum(r0, d, T / 2 - 1) - sq_sum(r0, d, T - 2 - n);
      md = fmax(md, fabs(f[n] - sqrt(s2)));
    }
    CHECKF(md < 1e-12, "T %d beta_max %g: max |std_fwd - closed form| = %.3g", T, bm[c], md);
    free(f);
  }
  char p[512];
  if (!golden_path("sb_parity.safetensors", p, sizeof p)) SKIP("tests/golden/sb_parity.safetensors is missing");
  fz_weights g;
  CHECK_OK(fz_weights_load(p, &g, &err), &err);
  const fz_wtensor *py = fz_weights_find(&g, "std_fwd");  // F64
  double f[1000];
  CHECK(py && py->numel == 1000);
  CHECK_OK(fz_bridge_std_fwd(1000, 0.3, f, &err), &err);
  for (int i = 0; i < 1000; i++)
    CHECKF(fabs(f[i] - fz_wtensor_get_f64(py, i)) < 1e-15, "std_fwd[%d]: C %.17g python %.17g", i, f[i], fz_wtensor_get_f64(py, i));
  fz_weights_free(&g);
}

// Loads the random-weight sb_pan model and the parity goldens; 0 when either file is missing.
static int open_goldens(fz_pan_model **m, fz_weights *g, fz_err *err) {
  char p1[512], p2[512];
  if (!golden_path("sb_random.safetensors", p1, sizeof p1) || !golden_path("sb_parity.safetensors", p2, sizeof p2)) return 0;
  if (fz_model_load(p1, NULL, fz_backend_cpu(1), m, err)) return -1;
  if (fz_weights_load(p2, g, err)) { fz_model_free(*m); *m = NULL; return -1; }
  return 1;
}

// A backend tensor holding golden tensor `name`.
static int golden_tensor(const fz_backend *be, const fz_weights *g, const char *name, fz_tensor *t, fz_err *err) {
  int64_t n = 0, sh[5];
  int nd = 0;
  float *f = golden_floats(g, name, &n, &nd, sh, err);
  if (!f) return err->code ? err->code : FZ_EIO;
  int rc = fz_tensor_alloc(t, be, FZ_F32, nd, sh, err);
  if (!rc) rc = fz_tensor_upload(t, f, (size_t)n * sizeof *f, err);
  free(f);
  return rc;
}

// max |t − golden `name`| (t downloaded); -1 on a size mismatch.
static double diff_golden(const fz_tensor *t, const fz_weights *g, const char *name, double *mag, fz_err *err) {
  int64_t n = 0;
  float *want = golden_floats(g, name, &n, NULL, NULL, err);
  if (!want || n != fz_tensor_numel(t)) { free(want); return -1; }
  float *got = malloc((size_t)n * sizeof *got);
  double md = -1;
  if (got && !fz_tensor_download(t, got, (size_t)n * sizeof *got, err)) md = max_abs_diff(got, want, n);
  if (mag) { *mag = 0; for (int64_t i = 0; i < n; i++) *mag = fmax(*mag, fabs(want[i])); }
  free(want);
  free(got);
  return md;
}

// Oracle: sb.py's numpy Philox4x32-10 + Box–Muller (written from the algorithm, Salmon et al. SC'11) produced
// noise.z0 = the noise of bridge step 0 (slot 1, seed 1234) for a [2,4,32,32] batch; fusor's randn_image with the
// sampler's stream layout ((slot << 32) + image·C + c) must give the same numbers (≤ 1e-6: both round a double once).
TEST(sb_philox_matches_python) {
  fz_err err = {0};
  char p[512];
  if (!golden_path("sb_parity.safetensors", p, sizeof p)) SKIP("tests/golden/sb_parity.safetensors is missing");
  fz_weights g;
  CHECK_OK(fz_weights_load(p, &g, &err), &err);
  const fz_backend *be = fz_backend_cpu(1);
  int64_t s[4] = {2, 4, 32, 32};
  fz_tensor z = {0};
  CHECK_OK(fz_tensor_alloc(&z, be, FZ_F32, 4, s, &err), &err);
  CHECK_OK(fz_op_randn_image(be, &z, 1234, (uint64_t)1 << 32, 0, 0, 32, &err), &err);
  double md = diff_golden(&z, &g, "noise.z0", NULL, &err);
  printf("    philox: max |C - numpy| = %.3g\n", md);
  CHECKF(md >= 0 && md <= 1e-6, "noise max abs diff %.3g", md);
  fz_tensor_free(&z);
  fz_weights_free(&g);
}

// Oracle: SBPan.forward of fusor's PyTorch reference (tools/python/fusor_ref/sb.py over condunet.py, torch 1.13 CPU)
// on the same random weights and synthetic inputs, batch 2 at bridge index t = 999 and 431.5. fp32, ≤ 1e-4.
TEST(sb_forward_parity) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_goldens(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/sb_random.safetensors or sb_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  CHECK(fz_is_sb_pan(m) && fz_model_get_info(m)->bands == 4 && fz_model_get_info(m)->scale == 2047);
  const fz_backend *be = fz_model_backend(m);
  fz_tensor lms = {0}, pan = {0}, xt = {0}, out = {0};
  CHECK_OK(golden_tensor(be, &g, "lms", &lms, &err), &err);
  CHECK_OK(golden_tensor(be, &g, "pan", &pan, &err), &err);
  CHECK_OK(golden_tensor(be, &g, "fwd.x_t", &xt, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, lms.shape, &err), &err);
  int64_t nt = 0;
  float *t = golden_floats(&g, "fwd.t", &nt, NULL, NULL, &err);
  CHECK(t && nt == 2);
  uint64_t e0 = fz_model_evaluations(m);
  CHECK_OK(fz_sb_pan_denoise(m, &xt, &lms, &pan, t, &out, &err), &err);
  CHECK(fz_model_evaluations(m) == e0 + 2);
  double mag = 0, md = diff_golden(&out, &g, "fwd.out", &mag, &err);
  printf("    sb_pan forward: max |fusor - pytorch| = %.3g (outputs up to %.3g)\n", md, mag);
  CHECKF(md >= 0 && md <= 1e-4, "forward max abs diff %.3g > 1e-4", md);
  free(t);
  fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&xt); fz_tensor_free(&out);
  fz_weights_free(&g);
  fz_model_free(m);
}

// Runs m's sampler `kind` with `steps` steps (seed 1234) on the golden batch and compares with golden `name`.
static void run_sampler_case(fz_tctx *t_, fz_sampler_kind kind, int steps, const char *name) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  fz_weights g;
  int ok = open_goldens(&m, &g, &err);
  if (ok == 0) SKIP("tests/golden/sb_random.safetensors or sb_parity.safetensors is missing");
  CHECK_OK(ok < 0, &err);
  const fz_backend *be = fz_model_backend(m);
  fz_tensor lms = {0}, pan = {0}, out = {0};
  CHECK_OK(golden_tensor(be, &g, "lms", &lms, &err), &err);
  CHECK_OK(golden_tensor(be, &g, "pan", &pan, &err), &err);
  CHECK_OK(fz_tensor_alloc(&out, be, FZ_F32, 4, lms.shape, &err), &err);
  fz_sampler_config cfg;
  CHECK_OK(fz_model_sampler_for(m, kind, steps, &cfg, &err), &err);
  CHECK_OK(fz_model_set_sampler(m, &cfg, FZ_TIN_INDEX, 1234, &err), &err);
  fz_pan_inputs in = {NULL, &lms, &pan};
  uint64_t e0 = fz_model_evaluations(m);
  CHECK_OK(fz_model_sample(m, &in, NULL, 0, NULL, NULL, &out, &err), &err);
  CHECK(fz_model_evaluations(m) == e0 + 2 * (uint64_t)steps);
  double mag = 0, md = diff_golden(&out, &g, name, &mag, &err);
  printf("    sb_pan %s %d steps: max |fusor - pytorch| = %.3g (values up to %.3g)\n", fz_sampler_name(kind), steps, md, mag);
  CHECKF(md >= 0 && md <= 1e-4, "%s max abs diff %.3g > 1e-4", name, md);
  fz_tensor_free(&lms); fz_tensor_free(&pan); fz_tensor_free(&out);
  fz_weights_free(&g);
  fz_model_free(m);
}

// Oracle: sb.sample (I²SB p_posterior from x = lms along space_indices(1000, 6) = 999, 799, 599, 400, 200, 0) in the
// PyTorch reference with the same Philox noise per step (slot 1 + 2k, sb.sampler_noise), 5 network evaluations.
TEST(sb_bridge_sde5_parity) { run_sampler_case(t_, FZ_SAMPLER_BRIDGE_SDE, 5, "sde5.out"); }

// Oracle: sb.sample with the ODE (no noise), one step 999 -> 0: x = mu_x0·x̂0 + mu_xn·lms.
TEST(sb_bridge_ode1_parity) { run_sampler_case(t_, FZ_SAMPLER_BRIDGE_ODE, 1, "ode1.out"); }

// Oracle: the hook contract (models/model_internal.h): the default is bridge_ode, 1 step, bridge index time input;
// every non-bridge sampler or process, another time input and an SDEdit start are refused with a message naming
// the bridge; the table is the model's own (fusor.hparams beta_max replaces the sampler's β_max).
TEST(sb_sampler_hooks) {
  fz_err err = {0};
  fz_pan_model *m = NULL;
  char p[512];
  if (!golden_path("sb_random.safetensors", p, sizeof p)) SKIP("tests/golden/sb_random.safetensors is missing");
  CHECK_OK(fz_model_load(p, NULL, fz_backend_cpu(1), &m, &err), &err);
  CHECK(fz_model_is_generative(m));
  fz_sampler_config def, cfg;
  fz_time_input tin;
  CHECK_OK(fz_model_sampler_default(m, &def, &tin, &err), &err);
  CHECK(def.sampler == FZ_SAMPLER_BRIDGE_ODE && def.steps == 1 && def.process == FZ_PROC_BRIDGE && tin == FZ_TIN_INDEX);
  const fz_sampler_kind wrong[] = {FZ_SAMPLER_DDIM, FZ_SAMPLER_DDPM, FZ_SAMPLER_EULER, FZ_SAMPLER_VPSDE_EM, FZ_SAMPLER_ONESTEP,
                                   FZ_SAMPLER_REGRESSION};
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    CHECK_OK(fz_model_sampler_for(m, wrong[i], 4, &cfg, &err), &err);
    memset(&err, 0, sizeof err);
    CHECKF(fz_model_set_sampler(m, &cfg, FZ_TIN_INDEX, 0, &err) != 0, "sampler %s accepted", fz_sampler_name(wrong[i]));
    CHECKF(strstr(err.msg, "bridge_ode or bridge_sde"), "message: %s", err.msg);
    fz_sampler_config_default(&cfg, wrong[i]);  // the sampler's own process (vp, ve, flow) named explicitly
    memset(&err, 0, sizeof err);
    CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_INDEX, 0, &err) != 0 && strstr(err.msg, "bridge"));
  }
  fz_sampler_config_default(&cfg, FZ_SAMPLER_EULER);  // `--process flow`: the flow Euler sampler
  cfg.process = FZ_PROC_FLOW;
  memset(&err, 0, sizeof err);
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_INDEX, 0, &err) != 0 && strstr(err.msg, "flow process") && strstr(err.msg, "bridge"));
  CHECK_OK(fz_model_sampler_for(m, FZ_SAMPLER_BRIDGE_SDE, 5, &cfg, &err), &err);
  memset(&err, 0, sizeof err);
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_T, 0, &err) != 0 && strstr(err.msg, "index"));
  cfg.start = FZ_START_SDEDIT;
  cfg.strength = 0.5;
  memset(&err, 0, sizeof err);
  CHECK(fz_model_set_sampler(m, &cfg, FZ_TIN_INDEX, 0, &err) != 0 && strstr(err.msg, "LMS"));
  cfg.start = FZ_START_DEFAULT;
  cfg.beta_end = 0.9;  // not the model's table: replaced
  CHECK_OK(fz_model_set_sampler(m, &cfg, FZ_TIN_INDEX, 0, &err), &err);
  CHECK(fz_model_sampler(m)->beta_end == 0.3 && fz_model_sampler(m)->train_steps == 1000 && fz_model_sampler(m)->steps == 5);
  fz_model_free(m);
  // a file whose hparams say beta_max 0.5 / T 200 samples on that table
  fz_weights w;
  CHECK_OK(fz_weights_load(p, &w, &err), &err);
  const char *hp = fz_weights_meta_get(&w, "fusor.hparams");
  CHECK(hp && strstr(hp, "\"beta_max\": 0.3"));
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", hp);
  char *b = strstr(buf, "\"beta_max\": 0.3");
  memcpy(b, "\"beta_max\": 0.5", 15);
  char *tp = strstr(buf, "\"train_steps\": 1000");
  CHECK(tp);
  memcpy(tp, "\"train_steps\":  200", 19);
  CHECK_OK(fz_weights_meta_set(&w, "fusor.hparams", buf, &err), &err);
  CHECK_OK(fz_model_from_weights(&w, "hp.safetensors", fz_backend_cpu(1), &m, &err), &err);
  double bmax = 0;
  int T = 0;
  CHECK_OK(fz_sb_pan_bridge(m, &bmax, &T, &err), &err);
  CHECK(bmax == 0.5 && T == 200);
  CHECK_OK(fz_model_sampler_for(m, FZ_SAMPLER_BRIDGE_SDE, 5, &cfg, &err), &err);
  CHECK_OK(fz_model_set_sampler(m, &cfg, FZ_TIN_INDEX, 0, &err), &err);
  CHECK(fz_model_sampler(m)->beta_end == 0.5 && fz_model_sampler(m)->train_steps == 200);
  fz_model_free(m);
  fz_weights_free(&w);
}

// Oracle: the file contract (sb_pan.h): bad hyper-parameters and a network whose input does not take
// (x_t, lms, pan) are refused with a message naming the field and what was expected.
TEST(sb_bad_files) {
  fz_err err = {0};
  char p[512];
  if (!golden_path("sb_random.safetensors", p, sizeof p)) SKIP("tests/golden/sb_random.safetensors is missing");
  const struct { const char *from, *to, *msg; } cases[] = {
      {"\"beta_max\": 0.3", "\"beta_max\": -1 ", "beta_max = -1"},
      {"\"train_steps\": 1000", "\"train_steps\": 999 ", "train_steps = 999"},
      {"\"pred\": \"x0\"", "\"pred\": \"v1\"", "pred = \"v1\""},
      {"\"time_input\": \"index\"", "\"time_input\": \"sigma\"", "time_input = \"sigma\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fz_weights w;
    fz_pan_model *m = NULL;
    CHECK_OK(fz_weights_load(p, &w, &err), &err);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", fz_weights_meta_get(&w, "fusor.hparams"));
    char *at = strstr(buf, cases[i].from);
    CHECKF(at && strlen(cases[i].from) == strlen(cases[i].to), "case %zu", i);
    memcpy(at, cases[i].to, strlen(cases[i].to));
    CHECK_OK(fz_weights_meta_set(&w, "fusor.hparams", buf, &err), &err);
    memset(&err, 0, sizeof err);
    CHECKF(fz_model_from_weights(&w, "bad.safetensors", fz_backend_cpu(1), &m, &err) != 0 && !m, "case %zu loaded", i);
    CHECKF(strstr(err.msg, "bad.safetensors") && strstr(err.msg, cases[i].msg), "case %zu message: %s", i, err.msg);
    fz_weights_free(&w);
  }
  // the in_conv of another architecture (no pan channel): 2C+1 expected
  fz_weights w, w2;
  fz_pan_model *m = NULL;
  CHECK_OK(fz_weights_load(p, &w, &err), &err);
  fz_weights_init(&w2);
  for (int i = 0; i < w.count; i++) {
    const fz_wtensor *t = &w.tensors[i];
    int64_t sh[FZ_W_MAX_DIMS];
    memcpy(sh, t->shape, sizeof sh);
    size_t nb = t->nbytes;
    if (!strcmp(t->name, "net.in_conv.weight")) { sh[1] -= 1; nb = nb / 9 * 8; }
    CHECK_OK(fz_weights_add(&w2, t->name, t->dtype, t->ndim, sh, t->data, nb, &err), &err);
  }
  CHECK_OK(fz_weights_meta_set(&w2, "fusor.arch", "sb_pan", &err), &err);
  memset(&err, 0, sizeof err);
  CHECK(fz_model_from_weights(&w2, "cut.safetensors", fz_backend_cpu(1), &m, &err) != 0 && !m);
  CHECKF(strstr(err.msg, "cut.safetensors") && strstr(err.msg, "2*bands+1 = 9"), "message: %s", err.msg);
  fz_weights_free(&w2);
  fz_weights_free(&w);
}
