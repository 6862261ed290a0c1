// bench_samplers.c — convergence study of the deterministic samplers with the exact Gaussian model:
// for x0 ~ N(mu_c, sd_c²) the probability-flow ODE maps the start state affinely per element,
//   x_end = alpha_1·mu + sqrt(alpha_1²·sd² + sigma_1²)/sqrt(alpha_0²·sd² + sigma_0²)·(x_start − alpha_0·mu),
// so each sampler's error against the exact solution is known for every step count. Prints the RMS
// error table with the fitted log–log slope (the measured order) and writes an SVG plot.
// usage: bench_samplers [out.svg]   (default docs/samplers_convergence.svg)
#include "fusor.h"
#include "../samplers/sampler.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C_ 4
static const double MU[C_] = {0.5, -0.3, 1.2, 0.0}, SD[C_] = {0.3, 0.8, 0.5, 1.5};
#define NS 5

typedef struct {
  const char *label;
  fz_sampler_kind sampler;
  fz_process process;
  fz_spacing spacing;
  fz_terminal terminal;
  fz_pred pred;
  int expect;
  int steps[NS];
  double err[NS], slope;
} study;

typedef struct { float *start; double scale; const fz_point *p0; fz_point first, last; } capture;

// Keeps a host copy of the start state and the first / last grid points.
static int on_step(void *user, const fz_step_event *ev) {
  capture *c = user;
  if (ev->step == 0) {
    size_t nb = fz_tensor_nbytes(ev->x);
    if (fz_tensor_download(ev->x, c->start, nb, NULL)) return 1;
    c->scale = ev->x_scale;
    c->first = *ev->pt;
  }
  if (ev->step == ev->nsteps) c->last = *ev->pt;
  return 0;
}

// RMS error of one run against the exact ODE solution (double precision).
static double run_error(study *s, int steps, const fz_backend *be, fz_gauss_model *gm, fz_tensor *out, float *start, float *res) {
  fz_sampler_config cfg;
  fz_sampler_config_default(&cfg, s->sampler);
  cfg.process = s->process;
  cfg.spacing = s->spacing;
  cfg.terminal = s->terminal;
  cfg.steps = steps;
  cfg.lower_order_final = 0;
  if (s->process == FZ_PROC_VE) { cfg.sigma_min = 0.05; cfg.sigma_max = 10; }
  fz_model m = {fz_gauss_model_fn, gm, s->pred, FZ_TIN_INDEX, 1, 0};
  capture cap = {start, 1, NULL, {0}, {0}};
  fz_err err = {0};
  if (fz_sample(be, &m, &cfg, NULL, 7, on_step, &cap, out, &err)) { fprintf(stderr, "%s: %s\n", s->label, err.msg); return NAN; }
  fz_tensor_download(out, res, fz_tensor_nbytes(out), NULL);
  int64_t hw = out->shape[2] * out->shape[3];
  double se = 0;
  for (int c = 0; c < C_; c++) {
    double a0 = cap.first.alpha, s0 = cap.first.sigma, a1 = cap.last.alpha, s1 = cap.last.sigma;
    double r = sqrt(a1 * a1 * SD[c] * SD[c] + s1 * s1) / sqrt(a0 * a0 * SD[c] * SD[c] + s0 * s0);
    for (int64_t i = 0; i < hw; i++) {
      double xs = cap.scale * start[c * hw + i], ex = a1 * MU[c] + r * (xs - a0 * MU[c]);
      double e = res[c * hw + i] - ex;
      se += e * e;
    }
  }
  return sqrt(se / (C_ * hw));
}

// Least-squares slope of log(err) against log(steps).
static double fit_slope(const int *n, const double *e, int k) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < k; i++) {
    double x = log(n[i]), y = log(e[i]);
    sx += x; sy += y; sxx += x * x; sxy += x * y;
  }
  return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

static void write_svg(const char *path, study *st, int ns) {
  FILE *f = fopen(path, "w");
  if (!f) { fprintf(stderr, "cannot write %s\n", path); return; }
  const double W = 720, H = 480, L = 70, R = 230, T = 30, B = 50;
  double xmin = log10(4), xmax = log10(512), ymin = 1e9, ymax = -1e9;
  for (int s = 0; s < ns; s++)
    for (int i = 0; i < NS; i++)
      if (st[s].err[i] > 0) { double y = log10(st[s].err[i]); ymin = fmin(ymin, y); ymax = fmax(ymax, y); }
  ymin = floor(ymin); ymax = ceil(ymax);
  static const char *col[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define PX(v) (L + ((v) - xmin) / (xmax - xmin) * (W - L - R))
#define PY(v) (H - B - ((v) - ymin) / (ymax - ymin) * (H - T - B))
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  fprintf(f, "<text x=\"%g\" y=\"18\" font-size=\"14\">RMS error vs exact ODE solution (Gaussian data, exact model)</text>\n", L);
  for (int p = 4; p <= 512; p *= 2) {
    double x = PX(log10(p));
    fprintf(f, "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#ddd\"/>\n", x, T, x, H - B);
    fprintf(f, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%d</text>\n", x, H - B + 16, p);
  }
  for (int e = (int)ymin; e <= (int)ymax; e++) {
    double y = PY(e);
    fprintf(f, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, W - R, y);
    fprintf(f, "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", L - 6, y + 4, e);
  }
  fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"black\"/>\n", L, T, W - L - R, H - T - B);
  fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">steps (log scale)</text>\n", (L + W - R) / 2, H - 12);
  fprintf(f, "<text x=\"16\" y=\"%g\" transform=\"rotate(-90 16 %g)\" text-anchor=\"middle\">RMS error (log scale)</text>\n", (T + H - B) / 2, (T + H - B) / 2);
  for (int s = 0; s < ns; s++) {
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col[s % 10]);
    for (int i = 0; i < NS; i++) fprintf(f, "%.1f,%.1f ", PX(log10(st[s].steps[i])), PY(log10(st[s].err[i])));
    fprintf(f, "\"/>\n");
    for (int i = 0; i < NS; i++)
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", PX(log10(st[s].steps[i])), PY(log10(st[s].err[i])), col[s % 10]);
    double ly = T + 14 + 18 * s;
    fprintf(f, "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n", W - R + 12, ly, W - R + 36, ly, col[s % 10]);
    fprintf(f, "<text x=\"%g\" y=\"%.1f\">%s (%.2f)</text>\n", W - R + 42, ly + 4, st[s].label, -st[s].slope);
  }
  fprintf(f, "</svg>\n");
  fclose(f);
}

int main(int argc, char **argv) {
  const char *svg = argc > 1 ? argv[1] : "docs/samplers_convergence.svg";
  study st[] = {
    {"euler (ve, karras)", FZ_SAMPLER_EULER, FZ_PROC_VE, FZ_SPACING_KARRAS, FZ_TERM_MIN, FZ_PRED_X0, 1, {16, 32, 64, 128, 256}, {0}, 0},
    {"heun (ve, karras)", FZ_SAMPLER_HEUN, FZ_PROC_VE, FZ_SPACING_KARRAS, FZ_TERM_MIN, FZ_PRED_X0, 2, {8, 16, 32, 64, 128}, {0}, 0},
    {"midpoint* (ve, karras)", FZ_SAMPLER_MIDPOINT, FZ_PROC_VE, FZ_SPACING_KARRAS, FZ_TERM_MIN, FZ_PRED_X0, 2, {8, 16, 32, 64, 128}, {0}, 0},
    {"dpmpp_2m (ve, karras)", FZ_SAMPLER_DPMPP_2M, FZ_PROC_VE, FZ_SPACING_KARRAS, FZ_TERM_MIN, FZ_PRED_X0, 2, {8, 16, 32, 64, 128}, {0}, 0},
    {"ddim eta=0 (vpsde)", FZ_SAMPLER_DDIM, FZ_PROC_VPSDE, FZ_SPACING_UNIFORM, FZ_TERM_MIN, FZ_PRED_EPS, 1, {16, 32, 64, 128, 256}, {0}, 0},
    {"dpmpp_2m (vpsde, karras)", FZ_SAMPLER_DPMPP_2M, FZ_PROC_VPSDE, FZ_SPACING_KARRAS, FZ_TERM_MIN, FZ_PRED_EPS, 2, {8, 16, 32, 64, 128}, {0}, 0},
    {"vpsde_ode (euler)", FZ_SAMPLER_VPSDE_ODE, FZ_PROC_VPSDE, FZ_SPACING_UNIFORM, FZ_TERM_MIN, FZ_PRED_EPS, 1, {16, 32, 64, 128, 256}, {0}, 0},
    {"flow_euler", FZ_SAMPLER_EULER, FZ_PROC_FLOW, FZ_SPACING_UNIFORM, FZ_TERM_ZERO, FZ_PRED_VELOCITY, 1, {8, 16, 32, 64, 128}, {0}, 0},
    {"flow_heun", FZ_SAMPLER_HEUN, FZ_PROC_FLOW, FZ_SPACING_UNIFORM, FZ_TERM_ZERO, FZ_PRED_VELOCITY, 2, {4, 8, 16, 32, 64}, {0}, 0},
    {"flow_midpoint*", FZ_SAMPLER_MIDPOINT, FZ_PROC_FLOW, FZ_SPACING_UNIFORM, FZ_TERM_ZERO, FZ_PRED_VELOCITY, 2, {4, 8, 16, 32, 64}, {0}, 0},
  };
  int ns = (int)(sizeof st / sizeof st[0]);
  const fz_backend *be = fz_backend_cpu(0);
  int64_t shape[4] = {1, C_, 32, 32};
  fz_err err = {0};
  fz_tensor out;
  fz_gauss_model gm;
  if (fz_tensor_alloc(&out, be, FZ_F32, 4, shape, &err) || fz_gauss_model_init(&gm, be, C_, MU, SD, 32 * 32, FZ_PRED_X0, &err)) {
    fprintf(stderr, "bench_samplers: %s\n", err.msg);
    return 1;
  }
  float *start = malloc(fz_tensor_nbytes(&out)), *res = malloc(fz_tensor_nbytes(&out));
  printf("bench_samplers: RMS error against the exact probability-flow ODE solution, 1x%dx32x32, Gaussian data\n", C_);
  printf("%-24s %-9s", "sampler", "order");
  for (int i = 0; i < NS; i++) printf("  %-16s", "steps: error");
  printf("  fitted\n");
  int bad = 0;
  for (int s = 0; s < ns; s++) {
    gm.pred = st[s].pred;
    for (int i = 0; i < NS; i++) st[s].err[i] = run_error(&st[s], st[s].steps[i], be, &gm, &out, start, res);
    st[s].slope = fit_slope(st[s].steps, st[s].err, NS);
    printf("%-24s %-9d", st[s].label, st[s].expect);
    for (int i = 0; i < NS; i++) printf("  %4d: %-10.3e", st[s].steps[i], st[s].err[i]);
    printf("  %.2f\n", -st[s].slope);
    if (fabs(-st[s].slope - st[s].expect) > 0.3) bad++;
  }
  write_svg(svg, st, ns);
  printf("* explicit midpoint: nominal order 2; on Gaussian data the h^2 error term vanishes identically\n"
         "  (the marginal variance is quadratic in the integration variable; docs/SAMPLERS.md), so 3 is measured\n");
  printf("wrote %s; %d of %d samplers outside their nominal order ± 0.3\n", svg, bad, ns);
  free(start);
  free(res);
  fz_gauss_model_free(&gm);
  fz_tensor_free(&out);
  return 0;
}
