// steps_plot.c — the Pareto front (best quality for the time) and the SVG plots of `fusor bench steps`:
// quality vs steps and quality vs wall time, log x, one curve per model × sampler, regression models as
// horizontal reference lines, the front of the time plot marked.
#include "steps.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------- Pareto front
typedef struct { double t, q; int i; } tq;
// qsort order: time ascending, then quality descending, then index.
static int by_time_then_quality(const void *a, const void *b) {
  const tq *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  if (x->q != y->q) return x->q > y->q ? -1 : 1;  // better (larger, sense applied) first
  return x->i - y->i;
}

int fz_steps_pareto(const double *t, const double *q, int n, int sense, unsigned char *front) {
  tq *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  int m = 0, cnt = 0;
  for (int i = 0; i < n; i++) {
    front[i] = 0;
    if (v && isfinite(t[i]) && isfinite(q[i])) v[m++] = (tq){t[i], sense >= 0 ? q[i] : -q[i], i};
  }
  if (!v) return 0;
  qsort(v, (size_t)m, sizeof *v, by_time_then_quality);
  // A point is dominated by a faster one with quality >= its own, or by an equally fast one with better quality.
  double best = -INFINITY;  // best quality of the strictly faster points
  for (int a = 0; a < m;) {
    int b = a;
    while (b < m && v[b].t == v[a].t) b++;
    double top = v[a].q;  // the group's best (sorted first)
    for (int k = a; k < b; k++)
      if (v[k].q > best && v[k].q == top) { front[v[k].i] = 1; cnt++; }
    if (top > best) best = top;
    a = b;
  }
  free(v);
  return cnt;
}

void fz_steps_mark_pareto(fz_steps_point *p, int n) {
  double *t = malloc((size_t)(n ? n : 1) * sizeof *t), *q = malloc((size_t)(n ? n : 1) * sizeof *q);
  unsigned char *f = malloc((size_t)(n ? n : 1));
  for (int i = 0; i < n; i++) p[i].pareto = 0;
  if (!t || !q || !f) { free(t); free(q); free(f); return; }
  for (int k = 0; k < FZ_SM_COUNT; k++) {
    for (int i = 0; i < n; i++) { t[i] = p[i].wall_median; q[i] = p[i].m[k]; }
    fz_steps_pareto(t, q, n, fz_steps_metric_sense(k), f);
    for (int i = 0; i < n; i++)
      if (f[i]) p[i].pareto |= 1u << k;
  }
  free(t); free(q); free(f);
}

// ---------------------------------------------------------------- SVG
static const char *const g_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                                       "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39",
                                       "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363"};
#define NCOL (int)(sizeof g_colors / sizeof *g_colors)
enum { W = 760, H = 440, ML = 70, MR = 230, MT = 36, MB = 50 };

// The plot's data ranges: log10 x from x0 to x1, y from y0 to y1; px / py map data to SVG coordinates.
typedef struct { double x0, x1, y0, y1; } frame;
static double px(const frame *f, double x) { return ML + (log10(x) - f->x0) / (f->x1 - f->x0) * (W - ML - MR); }
static double py(const frame *f, double y) { return H - MB - (y - f->y0) / (f->y1 - f->y0) * (H - MT - MB); }

// Escapes text for SVG into out.
static void xml_text(FILE *o, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", o);
    else if (*s == '>') fputs("&gt;", o);
    else if (*s == '&') fputs("&amp;", o);
    else fputc(*s, o);
  }
}

// A "nice" tick step for the span (1, 2 or 5 × 10^k) giving about 5 ticks.
static double nice_step(double span) {
  double raw = span / 5, p = pow(10, floor(log10(raw))), r = raw / p;
  return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * p;
}

// The x value of point i: steps (time = 0) or median wall seconds (time = 1).
static double xval(const fz_steps_point *p, int time) { return time ? p->wall_median : (double)p->steps; }

// Writes one plot of metric k; returns 0 or an fz_code.
static int plot_one(const char *path, const fz_steps_point *p, int n, int k, int time, fz_err *err) {
  frame f = {INFINITY, -INFINITY, INFINITY, -INFINITY};
  for (int i = 0; i < n; i++) {
    double x = xval(&p[i], time), y = p[i].m[k];
    if (!isfinite(y)) continue;
    if (isfinite(x) && x > 0 && (time || !p[i].regression)) {
      f.x0 = fmin(f.x0, log10(x));
      f.x1 = fmax(f.x1, log10(x));
    }
    f.y0 = fmin(f.y0, y);
    f.y1 = fmax(f.y1, y);
  }
  if (!isfinite(f.x0)) { f.x0 = 0; f.x1 = 1; }
  f.x0 = floor(f.x0 + 1e-9);
  f.x1 = ceil(f.x1 - 1e-9);
  if (f.x1 <= f.x0) f.x1 = f.x0 + 1;
  if (!isfinite(f.y0)) { f.y0 = 0; f.y1 = 1; }
  double pad = (f.y1 - f.y0) * 0.06;
  if (!(pad > 0)) pad = fabs(f.y0) * 0.05 + 1e-3;
  f.y0 -= pad;
  f.y1 += pad;
  char tmp[1300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *o = fopen(tmp, "w");
  if (!o) return fz_fail(err, FZ_EIO, "%s: cannot write", tmp);
  const char *mn = fz_steps_metric_name(k);
  fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
             "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H, W, H, W, H);
  fprintf(o, "<text x=\"%d\" y=\"22\" font-size=\"15\">%s (%s) vs %s</text>\n", ML, mn,
          fz_steps_metric_sense(k) > 0 ? "higher is better" : "lower is better",
          time ? "median wall time per image" : "sampling steps");
  // axes and grid
  fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", ML, MT, W - ML - MR, H - MT - MB);
  static const double sub[3] = {1, 2, 5};  // 1-2-5 ticks inside each decade when the axis spans few decades
  int nsub = f.x1 - f.x0 <= 2 ? 3 : 1;
  for (int e = (int)f.x0; e <= (int)f.x1; e++)
    for (int j = 0; j < nsub && (j == 0 || e < (int)f.x1); j++) {
      double v = sub[j] * pow(10, e), x = px(&f, v);
      fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, MT, x, H - MB);
      fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", x, H - MB + 16, v);
    }
  fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s (log scale)</text>\n", ML + (W - ML - MR) / 2, H - 12,
          time ? "seconds per image (median)" : "steps");
  double st = nice_step(f.y1 - f.y0);
  for (double y = ceil(f.y0 / st) * st; y <= f.y1 + 1e-12; y += st) {
    double Y = py(&f, y);
    fprintf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", ML, Y, W - MR, Y);
    fprintf(o, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>\n", ML - 6, Y + 4, fabs(y) < st * 1e-6 ? 0 : y);
  }
  fprintf(o, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\">%s</text>\n", (MT + H - MB) / 2,
          (MT + H - MB) / 2, mn);
  // curves: points with the same label, ordered by x
  int *done = calloc((size_t)(n ? n : 1), sizeof *done), *ord = malloc((size_t)(n ? n : 1) * sizeof *ord), series = 0;
  int ly = MT + 8;
  for (int i = 0; i < n && done && ord; i++) {
    if (done[i]) continue;
    int m = 0;
    for (int j = i; j < n; j++)
      if (!done[j] && !strcmp(p[j].label, p[i].label)) { ord[m++] = j; done[j] = 1; }
    for (int a = 1; a < m; a++)
      for (int b = a; b > 0 && xval(&p[ord[b - 1]], time) > xval(&p[ord[b]], time); b--) { int t = ord[b]; ord[b] = ord[b - 1]; ord[b - 1] = t; }
    const char *col = g_colors[series++ % NCOL];
    if (p[i].regression) {  // a horizontal reference line (and its point on the time axis)
      double y = p[i].m[k];
      if (!isfinite(y)) continue;
      fprintf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-opacity=\"0.7\" stroke-dasharray=\"6 4\"/>\n", ML,
              py(&f, y), W - MR, py(&f, y), col);
      if (time && p[i].wall_median > 0)
        fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\"/>\n", px(&f, p[i].wall_median) - 3.5, py(&f, y) - 3.5, col);
    } else {
      fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", col);
      for (int a = 0; a < m; a++) {
        double x = xval(&p[ord[a]], time), y = p[ord[a]].m[k];
        if (isfinite(y) && x > 0) fprintf(o, "%.1f,%.1f ", px(&f, x), py(&f, y));
      }
      fprintf(o, "\"/>\n");
      for (int a = 0; a < m; a++) {
        double x = xval(&p[ord[a]], time), y = p[ord[a]].m[k];
        if (isfinite(y) && x > 0)
          fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s, %d steps: %.6g</title></circle>\n", px(&f, x),
                  py(&f, y), col, p[ord[a]].label, p[ord[a]].steps, y);
      }
    }
    fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", W - MR + 12, ly, W - MR + 34, ly,
            col, p[i].regression ? " stroke-dasharray=\"6 4\"" : "");
    fprintf(o, "<text x=\"%d\" y=\"%d\">", W - MR + 40, ly + 4);
    xml_text(o, p[i].label);
    fprintf(o, "</text>\n");
    ly += 17;
  }
  if (time) {  // the Pareto front: black rings joined by a dashed staircase
    int m = 0;
    for (int i = 0; i < n && ord; i++)
      if (p[i].pareto >> k & 1) ord[m++] = i;
    for (int a = 1; a < m; a++)
      for (int b = a; b > 0 && p[ord[b - 1]].wall_median > p[ord[b]].wall_median; b--) { int t = ord[b]; ord[b] = ord[b - 1]; ord[b - 1] = t; }
    if (m) {
      fprintf(o, "<polyline fill=\"none\" stroke=\"black\" stroke-dasharray=\"3 3\" points=\"");
      for (int a = 0; a < m; a++) {
        double x = px(&f, p[ord[a]].wall_median), y = py(&f, p[ord[a]].m[k]);
        if (a) fprintf(o, "%.1f,%.1f ", x, py(&f, p[ord[a - 1]].m[k]));
        fprintf(o, "%.1f,%.1f ", x, y);
      }
      fprintf(o, "\"/>\n");
      for (int a = 0; a < m; a++)
        fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6.5\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\"/>\n",
                px(&f, p[ord[a]].wall_median), py(&f, p[ord[a]].m[k]));
      fprintf(o, "<circle cx=\"%d\" cy=\"%d\" r=\"6\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\"/>\n", W - MR + 23, ly);
      fprintf(o, "<text x=\"%d\" y=\"%d\">Pareto front</text>\n", W - MR + 40, ly + 4);
    }
  }
  free(done);
  free(ord);
  fprintf(o, "</svg>\n");
  int bad = ferror(o);
  if (fclose(o) != 0 || bad) { remove(tmp); return fz_fail(err, FZ_EIO, "%s: write failed", path); }
  if (rename(tmp, path) != 0) { remove(tmp); return fz_fail(err, FZ_EIO, "%s: cannot rename the plot into place", path); }
  return FZ_OK;
}

int fz_steps_write_plots(const char *dir, const fz_steps_point *p, int n, fz_err *err) {
  for (int k = 0; k < FZ_SM_COUNT; k++)
    for (int time = 0; time < 2; time++) {
      char path[1200];
      snprintf(path, sizeof path, "%s/%s_%s.svg", dir, time ? "time" : "steps", fz_steps_metric_name(k));
      if (plot_one(path, p, n, k, time, err)) return err->code;
    }
  return FZ_OK;
}
