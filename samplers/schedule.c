// schedule.c — host-side schedule math in double: discrete ᾱ tables, diffusers spacings, improved-
// diffusion respacing, Karras/exponential σ grids, VP-SDE, flow time grids with shift, the I²SB
// bridge table, and the grid of fz_points a sampler walks.
#include "sampler_impl.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int fz_vp_alphas_cumprod(fz_beta_schedule kind, int T, double b0, double b1, double *abar, fz_err *err) {
  if (T < 1 || T > 1000000) return fz_fail(err, FZ_EINVAL, "schedule: train_steps %d, expected 1..1000000", T);
  double prod = 1.0;
  for (int i = 0; i < T; i++) {
    double beta;
    double f = T > 1 ? (double)i / (double)(T - 1) : 0.0;
    if (kind == FZ_BETA_LINEAR) beta = b0 + (b1 - b0) * f;
    else if (kind == FZ_BETA_SCALED_LINEAR) { double r = sqrt(b0) + (sqrt(b1) - sqrt(b0)) * f; beta = r * r; }
    else if (kind == FZ_BETA_COSINE) {
      // betas_for_alpha_bar: β_i = min(1 − ᾱ(t2)/ᾱ(t1), 0.999), ᾱ(t) = cos²((t + 0.008)/1.008 · π/2)
      double t1 = (double)i / T, t2 = (double)(i + 1) / T;
      double a1 = cos((t1 + 0.008) / 1.008 * M_PI / 2), a2 = cos((t2 + 0.008) / 1.008 * M_PI / 2);
      beta = 1.0 - (a2 * a2) / (a1 * a1);
      if (beta > 0.999) beta = 0.999;
    } else return fz_fail(err, FZ_EINVAL, "schedule: unknown beta schedule %d", (int)kind);
    if (!(beta > 0 && beta < 1))
      return fz_fail(err, FZ_EINVAL, "schedule: beta[%d] = %g lies outside (0, 1) (beta_start %g, beta_end %g)", i, beta, b0, b1);
    prod *= 1.0 - beta;
    abar[i] = prod;
  }
  return FZ_OK;
}

// numpy.linspace(start, stop, num)[i] (endpoint included): i·step + start, last = stop exactly.
static double np_linspace(double start, double stop, int num, int i) {
  if (num == 1) return start;
  if (i == num - 1) return stop;
  double step = (stop - start) / (double)(num - 1);
  return (double)i * step + start;
}

int fz_spacing_timesteps(fz_spacing sp, int T, int n, int off, int dpm, int *ts, fz_err *err) {
  if (n < 1 || n > T) return fz_fail(err, FZ_EINVAL, "schedule: %d steps for a %d-step table, expected 1..%d", n, T, T);
  if (sp == FZ_SPACING_LEADING) {
    int ratio = dpm ? T / (n + 1) : T / n;
    // arange(n)·ratio reversed; DPM-Solver: arange(n+1)·ratio reversed with the last (0) dropped
    for (int k = 0; k < n; k++) ts[k] = (dpm ? n - k : n - 1 - k) * ratio + off;
  } else if (sp == FZ_SPACING_TRAILING) {
    double r = (double)T / n;
    int len = (int)ceil((0.0 - T) / -r);
    if (len != n) return fz_fail(err, FZ_EINVAL, "schedule: trailing spacing of %d steps over %d gives %d points", n, T, len);
    for (int k = 0; k < n; k++) ts[k] = (int)nearbyint((double)T + (double)k * -r) - 1;
  } else if (sp == FZ_SPACING_LINSPACE) {
    int num = dpm ? n + 1 : n;
    for (int k = 0; k < n; k++) ts[k] = (int)nearbyint(np_linspace(0, T - 1, num, num - 1 - k));
  } else return fz_fail(err, FZ_EINVAL, "schedule: spacing %s does not give training indices", fz_spacing_name(sp));
  for (int k = 0; k < n; k++)
    if (ts[k] < 0 || ts[k] >= T)
      return fz_fail(err, FZ_EINVAL, "schedule: timestep %d of %s spacing lies outside 0..%d (steps_offset %d)", ts[k],
                     fz_spacing_name(sp), T - 1, off);
  return FZ_OK;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int fz_respace_timesteps(int T, const char *sec, int *ts, int cap, int *n, fz_err *err) {
  *n = 0;
  if (!sec || !*sec) return fz_fail(err, FZ_EINVAL, "respace: empty section string, expected \"ddimN\" or \"a,b,c\"");
  if (!strncmp(sec, "ddim", 4)) {
    char *end;
    long want = strtol(sec + 4, &end, 10);
    if (*end || want < 1) return fz_fail(err, FZ_EINVAL, "respace: '%s' is not ddimN with N >= 1", sec);
    for (int i = 1; i < T; i++)
      if ((T + i - 1) / i == want) {
        if (want > cap) return fz_fail(err, FZ_EINVAL, "respace: %ld steps exceed %d", want, cap);
        for (int k = 0; k < want; k++) ts[k] = k * i;
        *n = (int)want;
        return FZ_OK;
      }
    return fz_fail(err, FZ_EINVAL, "respace: cannot create exactly %ld steps out of %d with an integer stride", want, T);
  }
  long counts[64];
  int nsec = 0;
  const char *p = sec;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 0 || nsec == 64) return fz_fail(err, FZ_EINVAL, "respace: '%s' is not a comma-separated list of counts", sec);
    counts[nsec++] = v;
    p = end;
    if (*p == ',') p++;
    else if (*p) return fz_fail(err, FZ_EINVAL, "respace: '%s' is not a comma-separated list of counts", sec);
  }
  int size_per = T / nsec, extra = T % nsec, start = 0, m = 0;
  for (int i = 0; i < nsec; i++) {
    int size = size_per + (i < extra ? 1 : 0);
    if (size < counts[i]) return fz_fail(err, FZ_EINVAL, "respace: cannot divide a section of %d steps into %ld", size, counts[i]);
    double stride = counts[i] <= 1 ? 1.0 : (double)(size - 1) / (double)(counts[i] - 1), cur = 0.0;
    for (long k = 0; k < counts[i]; k++) {
      if (m == cap) return fz_fail(err, FZ_EINVAL, "respace: more than %d steps", cap);
      ts[m++] = start + (int)nearbyint(cur);
      cur += stride;
    }
    start += size;
  }
  qsort(ts, (size_t)m, sizeof *ts, cmp_int);  // a set in Python: sort and drop duplicates
  int u = 0;
  for (int i = 0; i < m; i++)
    if (u == 0 || ts[i] != ts[u - 1]) ts[u++] = ts[i];
  if (u == 0) return fz_fail(err, FZ_EINVAL, "respace: '%s' keeps no step", sec);
  *n = u;
  return FZ_OK;
}

void fz_karras_sigmas(int n, double smin, double smax, double rho, double *out) {
  double lo = pow(smin, 1.0 / rho), hi = pow(smax, 1.0 / rho);
  for (int i = 0; i < n; i++) {
    double ramp = n > 1 ? (double)i / (double)(n - 1) : 0.0;
    out[i] = pow(hi + ramp * (lo - hi), rho);
  }
}

double fz_flow_shift(double t, double shift) { return shift * t / (1.0 + (shift - 1.0) * t); }

double fz_vp_posterior_variance(double abar_t, double abar_prev) {
  double beta_t = 1.0 - abar_t / abar_prev;
  double v = (1.0 - abar_prev) / (1.0 - abar_t) * beta_t;
  return v < 1e-20 ? 1e-20 : v;
}

// I²SB: betas = linspace(√1e-4, √(β_max/T), T)², first half then its mirror; std_fwd/std_bwd = sqrt of
// the forward / backward cumulative sums (std_bwd[n] includes β_n, as np.flip(np.cumsum(np.flip))).
static int bridge_tables(int T, double beta_max, double *fwd, double *bwd, fz_err *err) {
  if (T < 2 || T % 2 || T > 1000000) return fz_fail(err, FZ_EINVAL, "bridge: train_steps %d, expected an even number >= 2", T);
  if (!(beta_max > 0)) return fz_fail(err, FZ_EINVAL, "bridge: beta_max %g, expected > 0", beta_max);
  double *b = malloc((size_t)T * sizeof *b);
  if (!b) return fz_fail(err, FZ_ENOMEM, "bridge: no memory for %d betas", T);
  double r0 = sqrt(1e-4), r1 = sqrt(beta_max / T);
  for (int i = 0; i < T / 2; i++) {
    double r = np_linspace(r0, r1, T, i);
    b[i] = b[T - 1 - i] = r * r;
  }
  double acc = 0;
  for (int i = 0; i < T; i++) { acc += b[i]; fwd[i] = sqrt(acc); }
  acc = 0;
  for (int i = T - 1; i >= 0; i--) { acc += b[i]; if (bwd) bwd[i] = sqrt(acc); }
  free(b);
  return FZ_OK;
}

int fz_bridge_std_fwd(int T, double beta_max, double *std_fwd, fz_err *err) { return bridge_tables(T, beta_max, std_fwd, NULL, err); }

void fz_bridge_posterior(double s_prev, double s_n, double *mu_x0, double *mu_xn, double *var) {
  double d2 = s_n * s_n - s_prev * s_prev, p2 = s_prev * s_prev, den = p2 + d2;
  *mu_x0 = den > 0 ? d2 / den : 1.0;
  *mu_xn = den > 0 ? p2 / den : 0.0;
  *var = den > 0 ? p2 * d2 / den : 0.0;
}

// ------------------------------------------------------------------ points of each process
static void vp_point_abar(double abar, fz_point *p) {
  p->alpha = sqrt(abar);
  p->sigma = sqrt(1.0 - abar);
}

// k-diffusion DiscreteSchedule.sigma_to_t: log-linear interpolation over the table's log σ.
static double vp_sigma_to_t(const fz_schedule *s, double sigma) {
  double ls = log(sigma);
  int low = 0;
  for (int i = 0; i < s->T; i++)
    if (ls - s->log_sigmas[i] >= 0) low = i;
  if (low > s->T - 2) low = s->T - 2;
  if (low < 0) low = 0;
  double lo = s->log_sigmas[low], hi = s->log_sigmas[low + 1];
  double w = (lo - ls) / (lo - hi);
  w = w < 0 ? 0 : w > 1 ? 1 : w;
  return (1 - w) * low + w * (low + 1);
}

static void vpsde_point(const fz_schedule *s, double t, fz_point *p) {
  double db = s->beta_max - s->beta_min, B = s->beta_min * t + 0.5 * db * t * t;
  p->t = t;
  p->alpha = exp(-0.5 * B);
  p->sigma = sqrt(-expm1(-B));
  p->beta = s->beta_min + t * db;
  p->d_alpha = -0.5 * p->beta * p->alpha;
  p->d_sigma = p->sigma > 0 ? 0.5 * p->beta * p->alpha * p->alpha / p->sigma : 0.0;
}

static double vpsde_sigma_to_t(const fz_schedule *s, double sigma) {
  double L = log1p(sigma * sigma), db = s->beta_max - s->beta_min;
  if (db <= 0) return L / s->beta_min;
  return (-s->beta_min + sqrt(s->beta_min * s->beta_min + 2 * db * L)) / db;
}

// Fills t_model of p from the model's time input.
static void set_t_model(const fz_schedule *s, fz_point *p) {
  double v = 0, T = s->T > 0 ? s->T : 1000;
  double tf = s->flow_data_at_one ? 1.0 - p->t : p->t;  // flow time as the model knows it
  switch (s->tin) {
    case FZ_TIN_INDEX:
      v = s->process == FZ_PROC_VP ? p->t : s->process == FZ_PROC_VPSDE ? p->t * (T - 1)
        : s->process == FZ_PROC_FLOW ? tf * T : s->process == FZ_PROC_BRIDGE ? p->t : p->sigma / p->alpha;
      break;
    case FZ_TIN_RESPACED: v = p->respaced; break;
    case FZ_TIN_T:
      v = s->process == FZ_PROC_VP ? p->t / T : s->process == FZ_PROC_FLOW ? tf
        : s->process == FZ_PROC_BRIDGE ? p->t / T : s->process == FZ_PROC_VE ? p->sigma : p->t;
      break;
    case FZ_TIN_SIGMA:
      v = s->process == FZ_PROC_FLOW ? tf : s->process == FZ_PROC_BRIDGE ? p->std_fwd
        : (p->alpha > 0 ? p->sigma / p->alpha : INFINITY);
      break;
    default: break;
  }
  p->t_model = v * s->time_scale;
}

int fz_schedule_point_at(const fz_schedule *s, double tau, double respaced, fz_point *p, fz_err *err) {
  memset(p, 0, sizeof *p);
  p->process = s->process;
  p->respaced = respaced;
  if (!(tau >= 0)) return fz_fail(err, FZ_EINVAL, "schedule: point at %g, expected >= 0", tau);
  switch (s->process) {
    case FZ_PROC_VP:
      p->alpha = 1.0 / sqrt(1.0 + tau * tau);
      p->sigma = tau * p->alpha;
      p->t = tau > 0 ? vp_sigma_to_t(s, tau) : -1;
      break;
    case FZ_PROC_VPSDE: vpsde_point(s, tau > 0 ? vpsde_sigma_to_t(s, tau) : 0.0, p); break;
    case FZ_PROC_VE: p->t = tau; p->alpha = 1; p->sigma = tau; p->d_sigma = 1; break;
    case FZ_PROC_FLOW:
      if (tau > 1) return fz_fail(err, FZ_EINVAL, "schedule: flow time %g, expected 0..1", tau);
      p->t = tau; p->alpha = 1 - tau; p->sigma = tau; p->d_alpha = -1; p->d_sigma = 1;
      break;
    default: return fz_fail(err, FZ_EUNSUP, "schedule: no off-grid points for the %s process", fz_process_name(s->process));
  }
  set_t_model(s, p);
  return FZ_OK;
}

// The σ grid (karras or exponential) of n steps plus the terminal: n+1 values into sig.
static void sigma_grid(fz_spacing sp, int n, double smin, double smax, double rho, fz_terminal term, double *sig) {
  int m = term == FZ_TERM_ZERO ? n : n + 1;
  if (sp == FZ_SPACING_KARRAS) fz_karras_sigmas(m, smin, smax, rho, sig);
  else
    for (int i = 0; i < m; i++) sig[i] = exp(np_linspace(log(smax), log(smin), m, i));
  if (term == FZ_TERM_ZERO) sig[n] = 0;
}

void fz_schedule_free(fz_schedule *s) {
  if (!s) return;
  free(s->pts);
  free(s->abar);
  free(s->log_sigmas);
  memset(s, 0, sizeof *s);
}

// Fills the points of a VP table grid from descending indices ts[0..n) and the terminal.
static void vp_index_points(fz_schedule *s, const int *ts, int n, fz_terminal term) {
  for (int k = 0; k < n; k++) {
    fz_point *p = &s->pts[k];
    p->t = ts[k];
    vp_point_abar(s->abar[ts[k]], p);
  }
  fz_point *e = &s->pts[n];
  e->t = -1;
  vp_point_abar(term == FZ_TERM_ZERO ? 1.0 : s->abar[0], e);
}

int fz_schedule_build(const fz_sampler_config *c, const fz_model *m, fz_schedule *s, fz_err *err) {
  memset(s, 0, sizeof *s);
  fz_process proc = c->process;
  fz_spacing sp = c->spacing;
  fz_terminal term = c->terminal;
  int n = c->steps, rc = FZ_OK, dpm = c->sampler == FZ_SAMPLER_DPMPP_2M || c->sampler == FZ_SAMPLER_DPMPP_2M_SDE;
  s->process = proc;
  s->tin = m->time_input;
  s->time_scale = m->time_scale != 0 ? m->time_scale : 1.0;
  s->flow_data_at_one = m->flow_data_at_one;
  s->T = c->train_steps;
  s->beta_min = c->beta_start;
  s->beta_max = c->beta_end;
  int *ts = NULL;
  double *sig = NULL;
  if (sp == FZ_SPACING_RESPACE && proc == FZ_PROC_VP) {
    ts = malloc((size_t)c->train_steps * sizeof *ts);
    if (!ts) return fz_fail(err, FZ_ENOMEM, "schedule: no memory");
    if ((rc = fz_respace_timesteps(c->train_steps, c->respace, ts, c->train_steps, &n, err))) goto done;
    for (int i = 0; i < n / 2; i++) { int t = ts[i]; ts[i] = ts[n - 1 - i]; ts[n - 1 - i] = t; }  // descending
  } else if (sp == FZ_SPACING_LIST) {
    n = c->ntimesteps;
  }
  if (n < 1 || n > 100000) return fz_fail(err, FZ_EINVAL, "sampler: %d steps, expected 1..100000", n);
  s->n = n;
  s->pts = calloc((size_t)n + 1, sizeof *s->pts);
  sig = malloc(((size_t)n + 1) * sizeof *sig);
  if (!ts) ts = malloc(((size_t)n + 1) * sizeof *ts);
  if (!s->pts || !sig || !ts) { rc = fz_fail(err, FZ_ENOMEM, "schedule: no memory for %d points", n); goto done; }
  switch (proc) {
    case FZ_PROC_VP: {
      int T = c->train_steps;
      s->abar = malloc((size_t)T * sizeof *s->abar);
      s->log_sigmas = malloc((size_t)T * sizeof *s->log_sigmas);
      if (!s->abar || !s->log_sigmas) { rc = fz_fail(err, FZ_ENOMEM, "schedule: no memory for a %d-step table", T); goto done; }
      if ((rc = fz_vp_alphas_cumprod(c->beta_schedule, T, c->beta_start, c->beta_end, s->abar, err))) goto done;
      for (int i = 0; i < T; i++) s->log_sigmas[i] = 0.5 * log((1 - s->abar[i]) / s->abar[i]);
      if (sp == FZ_SPACING_KARRAS || sp == FZ_SPACING_EXPONENTIAL) {
        double smin = c->sigma_min > 0 ? c->sigma_min : exp(s->log_sigmas[0]);
        double smax = c->sigma_max > 0 ? c->sigma_max : exp(s->log_sigmas[T - 1]);
        sigma_grid(sp, n, smin, smax, c->rho, term, sig);
        for (int k = 0; k <= n; k++)
          if ((rc = fz_schedule_point_at(s, sig[k], 0, &s->pts[k], err))) goto done;
      } else {
        if (sp == FZ_SPACING_LIST) {
          for (int k = 0; k < n; k++) {
            ts[k] = c->timesteps[k];
            if (ts[k] < 0 || ts[k] >= T || (k && ts[k] >= ts[k - 1])) {
              rc = fz_fail(err, FZ_EINVAL, "schedule: timesteps[%d] = %d, expected strictly descending values in 0..%d", k, ts[k], T - 1);
              goto done;
            }
          }
        } else if (sp != FZ_SPACING_RESPACE) {
          if ((rc = fz_spacing_timesteps(sp, T, n, c->steps_offset, dpm, ts, err))) goto done;
        }
        vp_index_points(s, ts, n, term);
      }
      break;
    }
    case FZ_PROC_VPSDE: {
      if (!(c->beta_start > 0) || !(c->beta_end >= c->beta_start))
        { rc = fz_fail(err, FZ_EINVAL, "vpsde: beta_min %g, beta_max %g, expected 0 < beta_min <= beta_max", c->beta_start, c->beta_end); goto done; }
      double eps = c->t_eps;
      if (sp == FZ_SPACING_KARRAS || sp == FZ_SPACING_EXPONENTIAL) {
        fz_point a, b;
        vpsde_point(s, eps, &a);
        vpsde_point(s, 1.0, &b);
        sigma_grid(sp, n, a.sigma / a.alpha, b.sigma / b.alpha, c->rho, term, sig);
        for (int k = 0; k <= n; k++) vpsde_point(s, sig[k] > 0 ? vpsde_sigma_to_t(s, sig[k]) : 0.0, &s->pts[k]);
      } else if (sp == FZ_SPACING_UNIFORM) {
        for (int k = 0; k <= n; k++) {
          double t = term == FZ_TERM_ZERO ? (k == n ? 0.0 : np_linspace(1.0, eps, n, k)) : np_linspace(1.0, eps, n + 1, k);
          vpsde_point(s, t, &s->pts[k]);
        }
      } else { rc = fz_fail(err, FZ_EINVAL, "vpsde: spacing %s is not available, expected uniform, karras or exponential", fz_spacing_name(sp)); goto done; }
      break;
    }
    case FZ_PROC_VE:
      if (sp != FZ_SPACING_KARRAS && sp != FZ_SPACING_EXPONENTIAL)
        { rc = fz_fail(err, FZ_EINVAL, "ve: spacing %s is not available, expected karras or exponential", fz_spacing_name(sp)); goto done; }
      if (!(c->sigma_min > 0 && c->sigma_max > c->sigma_min))
        { rc = fz_fail(err, FZ_EINVAL, "ve: sigma_min %g, sigma_max %g, expected 0 < sigma_min < sigma_max", c->sigma_min, c->sigma_max); goto done; }
      sigma_grid(sp, n, c->sigma_min, c->sigma_max, c->rho, term, sig);
      for (int k = 0; k <= n; k++) fz_schedule_point_at(s, sig[k], 0, &s->pts[k], NULL);
      break;
    case FZ_PROC_FLOW:
      if (sp != FZ_SPACING_UNIFORM) { rc = fz_fail(err, FZ_EINVAL, "flow: spacing %s is not available, expected uniform (with --shift)", fz_spacing_name(sp)); goto done; }
      if (!(c->shift > 0)) { rc = fz_fail(err, FZ_EINVAL, "flow: shift %g, expected > 0", c->shift); goto done; }
      for (int k = 0; k <= n; k++) fz_schedule_point_at(s, fz_flow_shift(1.0 - (double)k / n, c->shift), 0, &s->pts[k], NULL);
      break;
    case FZ_PROC_BRIDGE: {
      int T = c->train_steps;
      if (sp != FZ_SPACING_UNIFORM) { rc = fz_fail(err, FZ_EINVAL, "bridge: spacing %s is not available, expected uniform (I2SB space_indices)", fz_spacing_name(sp)); goto done; }
      if (n > T - 1) { rc = fz_fail(err, FZ_EINVAL, "bridge: %d steps for a %d-step table, expected 1..%d", n, T, T - 1); goto done; }
      double *fwd = malloc(2 * (size_t)T * sizeof *fwd);
      if (!fwd) { rc = fz_fail(err, FZ_ENOMEM, "bridge: no memory"); goto done; }
      double *bwd = fwd + T;
      if ((rc = bridge_tables(T, c->beta_end, fwd, bwd, err))) { free(fwd); goto done; }
      // I²SB space_indices(T, n+1): round(k·(T−1)/n) accumulated, taken descending
      double stride = (double)(T - 1) / n, cur = 0;
      for (int k = 0; k <= n; k++) { ts[n - k] = (int)nearbyint(cur); cur += stride; }
      for (int k = 0; k <= n; k++) {
        fz_point *p = &s->pts[k];
        int idx = ts[k];
        p->t = idx;
        if (k == n && term == FZ_TERM_ZERO) { p->t = -1; p->alpha = 1; continue; }
        double f2 = fwd[idx] * fwd[idx], b2 = bwd[idx] * bwd[idx];
        p->std_fwd = fwd[idx];
        p->alpha = b2 / (f2 + b2);
        p->mu1 = f2 / (f2 + b2);
        p->sigma = sqrt(f2 * b2 / (f2 + b2));
      }
      free(fwd);
      break;
    }
    default: rc = fz_fail(err, FZ_EINVAL, "sampler: unknown process %d", (int)proc); goto done;
  }
  for (int k = 0; k <= n; k++) {
    s->pts[k].process = proc;
    s->pts[k].respaced = k < n ? n - 1 - k : -1;
    set_t_model(s, &s->pts[k]);
  }
done:
  free(ts);
  free(sig);
  if (rc) fz_schedule_free(s);
  return rc;
}
