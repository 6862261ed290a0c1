// cmd_sample.c — `fusor sample`: runs a sampler with the built-in exact Gaussian model, prints per-channel
// statistics against the data's, optionally progress as JSON lines, and writes the sample as a .npy file
// (<f4, shape N×C×H×W). With -m MODEL-FILE it samples a real scene with a generative model (SSDiff) instead
// (tools/sample_model.c).
#include "cli.h"
#include "sample_model.h"
#include "../samplers/sampler.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
  fprintf(f,
    "usage: fusor sample --model gaussian:MU,SD[;MU,SD...] [options]\n"
    "  Samples with the exact optimal predictor for Gaussian data x0 ~ N(MU_c, SD_c^2) (one MU,SD pair for\n"
    "  every channel, or one per channel) and prints each channel's mean and std against the data's.\n"
    "  A generative model file (-m MODEL.safetensors: SSDiff) samples a real scene instead; see the second form below.\n"
    "options:\n"
    "  --sampler NAME     ddpm ddim dpmpp_2m dpmpp_2m_sde euler heun midpoint euler_a vpsde_em vpsde_ode\n"
    "                     bridge_sde bridge_ode onestep regression flow_euler flow_heun flow_midpoint (default ddim)\n"
    "  --steps N          sampling steps (default 20; onestep 1)\n"
    "  --eta X            DDIM / Euler-ancestral eta\n"
    "  --process P        vp vpsde ve flow bridge (default: the sampler's)\n"
    "  --schedule S       beta schedule of vp tables: linear scaled_linear cosine (default linear)\n"
    "  --spacing S        leading trailing linspace respace karras exponential uniform\n"
    "  --respace STR      improved-diffusion sections with --spacing respace: ddim10, 50,25,10\n"
    "  --shift X          flow time shift (SD3), default 1\n"
    "  --strength X       SDEdit start from the prior with this strength (0 < X <= 1)\n"
    "  --prior V          constant prior (LMS) value: SDEdit / bridge x1 / residual base (default 0)\n"
    "  --pred P           what the Gaussian model emits: eps x0 v velocity residual (default eps; flow velocity)\n"
    "  --terminal T       zero | min: where the grid ends\n"
    "  --clamp LO,HI      clamp x0 predictions\n"
    "  --shape C,H,W      sample shape (default 4,64,64; channels from --model when it lists several)\n"
    "  --seed N           noise seed (default 0)\n"
    "  --threads N        CPU threads (0 = all)\n"
    "  --device D         cpu | cuda:N\n"
    "  --json             progress and the result as JSON lines on stdout\n"
    "  -o FILE.npy        write the sample (float32 .npy); refuses to overwrite without --force\n");
}

// Parses "MU,SD" or "MU,SD;MU,SD;..." into mu/sd; returns the count or -1.
static int parse_gauss(const char *s, double *mu, double *sd, int max) {
  int n = 0;
  while (*s) {
    char *end;
    if (n == max) return -1;
    mu[n] = strtod(s, &end);
    if (end == s || *end != ',') return -1;
    s = end + 1;
    sd[n] = strtod(s, &end);
    if (end == s || !(sd[n] >= 0)) return -1;
    n++;
    s = end;
    if (*s == ';') s++;
    else if (*s) return -1;
  }
  return n;
}

// Writes t (host floats) as a .npy v1.0 file via a temporary file and rename (no partial output).
static int write_npy(const char *path, const float *data, const int64_t *shape, int force, fz_err *err) {
  if (!force && access(path, F_OK) == 0) return fz_fail(err, FZ_EINVAL, "-o %s: file exists; pass --force to overwrite", path);
  char tmp[4200], hdr[256];
  snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
  int hl = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, %lld, %lld, %lld), }",
                    (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3]);
  int total = 10 + hl + 1, pad = (64 - total % 64) % 64;
  for (int i = 0; i < pad; i++) hdr[hl++] = ' ';
  hdr[hl++] = '\n';
  FILE *f = fopen(tmp, "wb");
  if (!f) return fz_fail(err, FZ_EIO, "-o %s: cannot create %s: %s", path, tmp, strerror(errno));
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff), (unsigned char)(hl >> 8)};
  size_t n = (size_t)(shape[0] * shape[1] * shape[2] * shape[3]);
  int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)hl, f) == (size_t)hl && fwrite(data, 4, n, f) == n;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return fz_fail(err, FZ_EIO, "-o %s: write failed: %s", path, strerror(errno));
  }
  return FZ_OK;
}

typedef struct { fz_progress p; int json; } prog;
static int on_step(void *user, const fz_step_event *ev) {
  prog *pr = user;
  if (ev->step > 0) fz_progress_update(&pr->p, ev->step);
  return 0;
}

static int cmd_sample(int argc, char **argv) {
  if (fz_cli_wants_help(argc, argv)) { usage(stdout); fputc('\n', stdout); fz_sample_model_usage(stdout); return 0; }
  if (fz_sample_wants_model_file(argc, argv)) return fz_sample_model_main(argc, argv);
  fz_err err = {0};
  const char *model = NULL, *out_path = NULL, *device = "cpu";
  int json = 0, threads = 0, force = 0, have_pred = 0;
  int64_t C = 4, H = 64, W = 64;
  double prior_v = 0, mu[FZ_GAUSS_MAX_C], sd[FZ_GAUSS_MAX_C];
  uint64_t seed = 0;
  fz_sampler_kind kind = FZ_SAMPLER_DDIM;
  fz_process implied = FZ_PROC_DEFAULT;
  fz_pred pred = FZ_PRED_EPS;
  fz_sampler_config cfg;
  fz_sampler_config_default(&cfg, kind);
  fz_sampler_config opt = cfg;  // options are collected here and applied after --sampler
  int steps = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV() do { if (!v) { fprintf(stderr, "fusor sample: %s needs a value\n", a); return 2; } i++; } while (0)
    int rc = 0;
    if (!strcmp(a, "--json")) json = 1;
    else if (!strcmp(a, "--force")) force = 1;
    else if (!strcmp(a, "--model") || !strcmp(a, "-m")) { NEEDV(); model = v; }
    else if (!strcmp(a, "-o")) { NEEDV(); out_path = v; }
    else if (!strcmp(a, "--device")) { NEEDV(); device = v; }
    else if (!strcmp(a, "--sampler")) { NEEDV(); rc = fz_sampler_parse(v, &kind, &implied, &err); }
    else if (!strcmp(a, "--steps")) { NEEDV(); steps = atoi(v); if (steps < 1) rc = fz_fail(&err, FZ_EINVAL, "--steps: '%s', expected an integer >= 1", v); }
    else if (!strcmp(a, "--eta")) { NEEDV(); opt.eta = atof(v); opt.eta_set = 1; }
    else if (!strcmp(a, "--process")) { NEEDV(); rc = fz_process_parse(v, &opt.process, &err); }
    else if (!strcmp(a, "--schedule")) { NEEDV(); rc = fz_beta_schedule_parse(v, &opt.beta_schedule, &err); }
    else if (!strcmp(a, "--spacing")) { NEEDV(); rc = fz_spacing_parse(v, &opt.spacing, &err); }
    else if (!strcmp(a, "--respace")) { NEEDV(); snprintf(opt.respace, sizeof opt.respace, "%s", v); }
    else if (!strcmp(a, "--shift")) { NEEDV(); opt.shift = atof(v); if (!(opt.shift > 0)) rc = fz_fail(&err, FZ_EINVAL, "--shift: '%s', expected > 0", v); }
    else if (!strcmp(a, "--strength")) { NEEDV(); opt.strength = atof(v); opt.start = FZ_START_SDEDIT; }
    else if (!strcmp(a, "--prior")) { NEEDV(); prior_v = atof(v); }
    else if (!strcmp(a, "--pred")) { NEEDV(); rc = fz_pred_parse(v, &pred, &err); have_pred = 1; }
    else if (!strcmp(a, "--terminal")) {
      NEEDV();
      if (!strcmp(v, "zero")) opt.terminal = FZ_TERM_ZERO;
      else if (!strcmp(v, "min")) opt.terminal = FZ_TERM_MIN;
      else rc = fz_fail(&err, FZ_EINVAL, "--terminal: '%s', expected zero or min", v);
    } else if (!strcmp(a, "--clamp")) {
      NEEDV();
      if (sscanf(v, "%lf,%lf", &opt.clamp_lo, &opt.clamp_hi) != 2 || !(opt.clamp_lo < opt.clamp_hi))
        rc = fz_fail(&err, FZ_EINVAL, "--clamp: '%s', expected LO,HI with LO < HI", v);
      opt.clamp_x0 = 1;
    } else if (!strcmp(a, "--shape")) {
      NEEDV();
      long long c, h, w;
      if (sscanf(v, "%lld,%lld,%lld", &c, &h, &w) != 3 || c < 1 || c > FZ_GAUSS_MAX_C || h < 1 || w < 1 || h * w > (1LL << 28))
        rc = fz_fail(&err, FZ_EINVAL, "--shape: '%s', expected C,H,W with 1 <= C <= %d and H·W <= 2^28", v, FZ_GAUSS_MAX_C);
      C = c; H = h; W = w;
    } else if (!strcmp(a, "--seed")) { NEEDV(); seed = strtoull(v, NULL, 10); }
    else if (!strcmp(a, "--threads")) { NEEDV(); threads = atoi(v); }
    else { fprintf(stderr, "fusor sample: unknown option '%s'; run 'fusor sample --help'\n", a); return 2; }
    if (rc) return fz_cli_fail(&err);
  }
  if (!model) { fprintf(stderr, "fusor sample: --model is required (gaussian:MU,SD); run 'fusor sample --help'\n"); return 2; }
  if (strncmp(model, "gaussian:", 9)) {
    fz_fail(&err, FZ_EUNSUP, "--model %s: generative model files are not supported yet; the only model is gaussian:MU,SD[;MU,SD...]", model);
    return fz_cli_fail(&err);
  }
  int nch = parse_gauss(model + 9, mu, sd, FZ_GAUSS_MAX_C);
  if (nch < 1) { fz_fail(&err, FZ_EINVAL, "--model %s: expected gaussian:MU,SD or gaussian:MU,SD;MU,SD;... with SD >= 0", model); return fz_cli_fail(&err); }
  if (nch > 1) C = nch;
  for (int c = nch; c < C; c++) { mu[c] = mu[0]; sd[c] = sd[0]; }
  // apply the options to the sampler's defaults
  fz_sampler_config_default(&cfg, kind);
  cfg.process = opt.process != FZ_PROC_DEFAULT ? opt.process : implied;
  cfg.eta = opt.eta; cfg.eta_set = opt.eta_set; cfg.beta_schedule = opt.beta_schedule; cfg.spacing = opt.spacing;
  memcpy(cfg.respace, opt.respace, sizeof cfg.respace);
  cfg.shift = opt.shift; cfg.strength = opt.strength; cfg.start = opt.start; cfg.terminal = opt.terminal;
  cfg.clamp_x0 = opt.clamp_x0; cfg.clamp_lo = opt.clamp_lo; cfg.clamp_hi = opt.clamp_hi;
  if (steps > 0) cfg.steps = steps;
  if (!have_pred) pred = fz_resolve_process(&cfg) == FZ_PROC_FLOW ? FZ_PRED_VELOCITY : kind == FZ_SAMPLER_REGRESSION ? FZ_PRED_X0 : FZ_PRED_EPS;
  const fz_backend *be = fz_backend_get(device, threads, &err);
  if (!be) return fz_cli_fail(&err);
  int64_t shape[4] = {1, C, H, W};
  fz_tensor out = {0}, prior = {0};
  fz_gauss_model gm;
  memset(&gm, 0, sizeof gm);
  int rc = fz_tensor_alloc(&out, be, FZ_F32, 4, shape, &err);
  if (!rc) rc = fz_tensor_alloc(&prior, be, FZ_F32, 4, shape, &err);
  float *host = rc ? NULL : malloc(fz_tensor_nbytes(&out));
  if (!rc && !host) rc = fz_fail(&err, FZ_ENOMEM, "sample: no memory for %lld values", (long long)(C * H * W));
  if (!rc) {
    for (int64_t i = 0; i < C * H * W; i++) host[i] = (float)prior_v;
    rc = fz_tensor_upload(&prior, host, fz_tensor_nbytes(&prior), &err);
  }
  if (!rc) rc = fz_gauss_model_init(&gm, be, (int)C, mu, sd, H * W, pred, &err);
  gm.prior = &prior;
  prog pr;
  memset(&pr, 0, sizeof pr);
  if (!rc) {
    fz_model m = {fz_gauss_model_fn, &gm, pred, FZ_TIN_INDEX, 1, 0};
    fz_sample_inputs in = {0};
    in.prior = &prior;
    char label[64];
    snprintf(label, sizeof label, "sample %s", fz_sampler_name(kind));
    int total = kind == FZ_SAMPLER_ONESTEP || kind == FZ_SAMPLER_REGRESSION ? 1 : cfg.steps;
    if (cfg.start == FZ_START_SDEDIT) total = (int)(total * cfg.strength);
    fz_progress_start(&pr.p, label, total, json);
    rc = fz_sample(be, &m, &cfg, &in, seed, on_step, &pr, &out, &err);
    if (!rc) fz_progress_finish(&pr.p);
  }
  if (!rc) rc = fz_tensor_download(&out, host, fz_tensor_nbytes(&out), &err);
  if (!rc) {
    if (json) printf("{\"event\":\"result\",\"sampler\":\"%s\",\"steps\":%d,\"seed\":%llu,\"channels\":[", fz_sampler_name(kind), cfg.steps,
                     (unsigned long long)seed);
    for (int64_t c = 0; c < C; c++) {
      double m1 = 0, m2 = 0;
      int64_t hw = H * W;
      for (int64_t i = 0; i < hw; i++) m1 += host[c * hw + i];
      m1 /= hw;
      for (int64_t i = 0; i < hw; i++) m2 += (host[c * hw + i] - m1) * (host[c * hw + i] - m1);
      double s = hw > 1 ? sqrt(m2 / (hw - 1)) : 0;
      if (json) printf("%s{\"mean\":%.6g,\"std\":%.6g,\"data_mean\":%.6g,\"data_std\":%.6g}", c ? "," : "", m1, s, mu[c], sd[c]);
      else printf("channel %lld: mean %.5f std %.5f   (data mean %.5f std %.5f)\n", (long long)c, m1, s, mu[c], sd[c]);
    }
    if (json) printf("]}\n");
    if (out_path) {
      rc = write_npy(out_path, host, shape, force, &err);
      if (!rc && !json) printf("wrote %s (float32 .npy, shape 1x%lldx%lldx%lld)\n", out_path, (long long)C, (long long)H, (long long)W);
    }
  }
  free(host);
  fz_gauss_model_free(&gm);
  fz_tensor_free(&out);
  fz_tensor_free(&prior);
  return rc ? fz_cli_fail(&err) : 0;
}
FZ_COMMAND(sample, "run a sampler (DDPM/DDIM/DPM-Solver++/Euler/Heun/SDE/bridge/flow) with the exact Gaussian model or an SSDiff model file", cmd_sample)
