// cmd_bench.c — `fusor bench steps`: the steps-vs-quality sweep of generative models (samplers × step counts ×
// seeds) beside regression models as reference lines, on a PanCollection test set; every point's metrics, time,
// network evaluations and peak memory go to DIR/results.jsonl (resumable), then results.csv / .json and SVG
// plots (bench/steps*.c). Each point runs in a forked worker process so that its peak RSS is its own and an
// interrupted sweep loses at most the point in flight.
#include "cli.h"
#include "raster.h"
#include "sha256.h"
#include "progress.h"
#include "../bench/steps.h"
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *f) {
  fprintf(f,
          "usage: fusor bench steps --set TEST.h5 -m MODEL [--samplers SPEC] [-m MODEL ...] -o DIR [options]\n"
          "  Sweeps every generative model over samplers x step counts x seeds on a PanCollection test set (gt/ms/lms/pan\n"
          "  in DN, as `fusor simulate` writes), with each regression model as one reference point. Per point: SAM, ERGAS,\n"
          "  SCC, Q2n, Q_avg, PSNR, SSIM vs gt (means over the images), D_lambda, D_s, HQNR with the reduced ms/pan taken\n"
          "  as full-resolution inputs, median seconds per image, network evaluations per tile, peak RSS of the worker.\n"
          "  DIR gets results.jsonl (one line per finished model/sampler/steps/seed: rerunning skips those), results.csv,\n"
          "  results.json, and steps_<METRIC>.svg / time_<METRIC>.svg plots with the Pareto front marked.\n"
          "options:\n"
          "  --set PATH         the test set (.h5);  --index SEL  images to use: 15-24, 0,3,5-7 or all (default all)\n"
          "  -m, --model FILE   a model (repeatable): generative models are swept, regression models are one point\n"
          "  --samplers SPEC    'ddim:1,2,5,10;ddpm:100,1000;dpmpp_2m:10' (steps 1..1000); after a -m it applies to that\n"
          "                     model, before any -m to every generative model. Default: every sampler of the model's\n"
          "                     process at 1,2,5,10,20,50,100 steps (onestep at 1)\n"
          "  --lms              add the set's lms (the interpolated MS every trained model must beat) as a reference line\n"
          "  --seeds N          noise seeds 0..N-1 per generative point (default 1)\n"
          "  --sensor NAME      MTF table of D_lambda (default: the model's sensor); QB and GF2 are scored as IKONOS\n"
          "  --L BITS           radiometric bits (default 11);  --block S  Q2n / D_lambda / D_s block (default 32)\n"
          "  --tile N --overlap N --merge M --batch N   tiling as `fusor sample` (64, 16, patchmerge, 10)\n"
          "  --threads N, --device D   backend (default cpu, all cores)\n"
          "  --plan             check the models and the spec, list the points (done / to run) and stop\n"
          "  --no-fork          run the points in this process (no peak memory; for debugging)\n"
          "  -o, --output DIR   output directory (created; an existing results.jsonl is resumed)\n");
}

// ---------------------------------------------------------------- options
#define MAX_MODELS 32
typedef struct {
  const char *path;          // NULL: the LMS reference (--lms)
  char sha[65], name[128];
  const char *spec;          // per-model --samplers (NULL: the global one or the default)
  // from the probe
  int generative;
  char arch[32], sensor[16];
  fz_steps_item items[FZ_STEPS_MAX_ITEMS];
  int nitems;
} model_t;

typedef struct {
  const char *set, *index, *out, *device, *spec;
  model_t models[MAX_MODELS];
  int nmodels, seeds, threads, nofork, plan;
  fz_steps_opts so;
  char options[256];         // the result-changing options, part of every key
  char cmdline[4096];
} opts_t;

// ---------------------------------------------------------------- worker processes
typedef int (*job_fn)(void *ctx, FILE *out, fz_err *err);

// Runs fn(ctx) in a forked child (or in-process when nofork) and returns what it printed in *text (malloc'd).
// The child dies with the parent (PR_SET_PDEATHSIG). Errors: the child's message, or how it died.
static int run_job(int nofork, job_fn fn, void *ctx, char **text, fz_err *err) {
  *text = NULL;
  if (nofork) {
    size_t len = 0;
    FILE *m = open_memstream(text, &len);
    if (!m) return fz_fail(err, FZ_ENOMEM, "no memory");
    int rc = fn(ctx, m, err);
    fclose(m);
    if (rc) { free(*text); *text = NULL; }
    return rc;
  }
  int fd[2];
  if (pipe(fd) != 0) return fz_fail(err, FZ_EIO, "pipe: %s", strerror(errno));
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) { close(fd[0]); close(fd[1]); return fz_fail(err, FZ_EIO, "fork: %s", strerror(errno)); }
  if (pid == 0) {
    close(fd[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    FILE *o = fdopen(fd[1], "w");
    fz_err e = {0};
    int rc = o ? fn(ctx, o, &e) : fz_fail(&e, FZ_EIO, "fdopen failed");
    if (rc && o) fprintf(o, "\001%s", e.msg[0] ? e.msg : fz_code_name(e.code));
    if (o) fclose(o);
    _exit(rc ? 1 : 0);
  }
  close(fd[1]);
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  ssize_t k;
  while (buf) {
    if (len + 1024 > cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) { free(buf); buf = NULL; break; }
      buf = nb;
    }
    k = read(fd[0], buf + len, cap - len - 1);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    len += (size_t)k;
  }
  close(fd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (!buf) return fz_fail(err, FZ_ENOMEM, "no memory");
  buf[len] = 0;
  if (WIFSIGNALED(status)) {
    free(buf);
    return fz_fail(err, FZ_EINTERNAL, "the worker process died of signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    char *m = strchr(buf, '\001');
    fz_fail(err, FZ_EINVAL, "%s", m ? m + 1 : "the worker process failed without a message");
    free(buf);
    return err->code;
  }
  *text = buf;
  return FZ_OK;
}

// ---------------------------------------------------------------- probing a model
typedef struct { const opts_t *o; model_t *m; } probe_ctx;

// Worker: loads the model, prints "generative|regression ARCH SENSOR" then one "SAMPLER STEPS" line per item.
static int probe_job(void *vctx, FILE *out, fz_err *err) {
  probe_ctx *c = vctx;
  const fz_backend *be = fz_backend_cpu(1);
  fz_pan_model *pm = NULL;
  if (fz_model_load(c->m->path, NULL, be, &pm, err)) return err->code;
  const fz_model_info *I = fz_model_get_info(pm);
  int gen = fz_model_is_generative(pm), rc = FZ_OK;
  const char *spec = c->m->spec ? c->m->spec : c->o->spec;
  fz_steps_item items[FZ_STEPS_MAX_ITEMS];
  int n = 0;
  if (!(I->scale > 0))
    rc = fz_fail(err, FZ_EINVAL, "model %s (%s): the metadata gives no normalisation (fusor.hparams.scale); convert it with --set "
                 "scale=2047|1023|255", c->m->path, I->arch);
  else if (!gen && c->m->spec)
    rc = fz_fail(err, FZ_EINVAL, "--samplers '%s' after -m %s: a %s model is a regression network (one reference point, no sampler sweep)",
                 c->m->spec, c->m->path, I->arch);
  else if (gen && spec) {
    if (!(rc = fz_steps_spec_parse(spec, items, FZ_STEPS_MAX_ITEMS, &n, err))) rc = fz_steps_check_items(pm, items, n, err);
    if (rc) fz_wrap(err, "model %s (%s)", c->m->path, I->arch);
  } else if (gen) {
    if ((rc = fz_steps_default_items(pm, items, FZ_STEPS_MAX_ITEMS, &n, err))) fz_wrap(err, "model %s", c->m->path);
  }
  if (!rc) {
    fprintf(out, "%s %s %s\n", gen ? "generative" : "regression", I->arch, I->sensor[0] ? I->sensor : "-");
    for (int i = 0; i < n; i++) fprintf(out, "%s %d\n", fz_sampler_name(items[i].sampler), items[i].steps);
  }
  fz_model_free(pm);
  return rc;
}

// Fills m's probe fields from the worker's text.
static int probe_model(const opts_t *o, model_t *m, fz_err *err) {
  probe_ctx c = {o, m};
  char *t = NULL;
  if (run_job(o->nofork, probe_job, &c, &t, err)) return err->code;
  char kind[32] = "", sensor[16] = "";
  int off = 0;
  if (sscanf(t, "%31s %31s %15s%n", kind, m->arch, sensor, &off) != 3) { free(t); return fz_fail(err, FZ_EINTERNAL, "bad probe answer"); }
  m->generative = !strcmp(kind, "generative");
  snprintf(m->sensor, sizeof m->sensor, "%s", strcmp(sensor, "-") ? sensor : "");
  m->nitems = 0;
  char name[32];
  int steps, k;
  for (const char *p = t + off; sscanf(p, "%31s %d%n", name, &steps, &k) == 2 && m->nitems < FZ_STEPS_MAX_ITEMS; p += k) {
    fz_process implied;
    if (fz_sampler_parse(name, &m->items[m->nitems].sampler, &implied, err)) { free(t); return err->code; }
    m->items[m->nitems++].steps = steps;
  }
  free(t);
  if (!m->generative) {  // one reference point
    m->items[0].sampler = FZ_SAMPLER_REGRESSION;
    m->items[0].steps = 1;
    m->nitems = 1;
  }
  return FZ_OK;
}

// ---------------------------------------------------------------- one point
typedef struct {
  const opts_t *o;
  const model_t *m;
  fz_sampler_kind sampler;
  int steps;
  uint64_t seed;
  const char *key;
} point_ctx;

// Worker: loads the model and the test set, runs the point and prints its record line.
static int point_job(void *vctx, FILE *out, fz_err *err) {
  point_ctx *c = vctx;
  const fz_backend *be = fz_backend_get(c->o->device, c->o->threads, err);
  if (!be) return err->code;
  fz_steps_set s;
  if (fz_steps_set_load(c->o->set, c->o->index, &s, err)) return err->code;
  fz_pan_model *pm = NULL;
  fz_steps_result r = {0};
  char sha[65];
  int rc = FZ_OK;
  if (c->m->path && !(rc = fz_sha256_file(c->m->path, sha, err)) && strcmp(sha, c->m->sha))  // the file the key names
    rc = fz_fail(err, FZ_EINVAL, "model %s changed since the sweep started (sha256 %.16s, was %.16s): rerun to sweep the new file",
                 c->m->path, sha, c->m->sha);
  if (!rc && c->m->path) rc = fz_model_load(c->m->path, NULL, be, &pm, err);
  if (!rc) rc = fz_steps_run_point(pm, &s, c->sampler, c->steps, c->seed, &c->o->so, &r, err);
  if (!rc) {
    fz_steps_rec rec = {0};
    snprintf(rec.key, sizeof rec.key, "%s", c->key);
    snprintf(rec.model, sizeof rec.model, "%s", c->m->path ? c->m->path : "lms");
    snprintf(rec.model_sha256, sizeof rec.model_sha256, "%s", c->m->sha);
    snprintf(rec.arch, sizeof rec.arch, "%s", c->m->arch);
    snprintf(rec.kind, sizeof rec.kind, "%s", c->m->generative ? "generative" : "regression");
    snprintf(rec.sampler, sizeof rec.sampler, "%s", c->m->generative ? fz_sampler_name(c->sampler) : "regression");
    snprintf(rec.set_sha256, sizeof rec.set_sha256, "%s", s.sha256);
    rec.steps = r.steps;
    rec.seed = (int)c->seed;
    rec.images = r.n;
    rec.nfe = r.tiles ? (double)r.evals / (double)r.tiles : NAN;
    rec.evals_per_image = (double)r.evals / r.n;
    rec.wall_median = r.wall_median;
    struct rusage ru;
    rec.peak_rss_mib = !c->o->nofork && getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss / 1024.0 : NAN;
    memcpy(rec.m, r.mean, sizeof rec.m);
    if (!(rc = fz_steps_rec_format(&rec, &s, &r, err))) fprintf(out, "%s", rec.line);
    fz_steps_rec_free(&rec);
  }
  fz_steps_result_free(&r);
  fz_model_free(pm);
  fz_steps_set_free(&s);
  return rc;
}

// ---------------------------------------------------------------- header facts
// First line of a command's output, or "unknown".
static void command_line_of(const char *cmd, char *buf, size_t n) {
  snprintf(buf, n, "unknown");
  FILE *p = popen(cmd, "r");
  if (!p) return;
  char line[512];
  if (fgets(line, sizeof line, p)) {
    line[strcspn(line, "\r\n")] = 0;
    if (line[0] && strlen(line) < n) memcpy(buf, line, strlen(line) + 1);
  }
  pclose(p);
}

// "Linux 6.1 x86_64, <CPU model>, N cores".
static void machine_of(char *buf, size_t n) {
  struct utsname u;
  char cpu[256] = "unknown CPU";
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f) {
    char line[512];
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
        const char *v = strchr(line, ':') + 1;
        while (*v == ' ') v++;
        snprintf(cpu, sizeof cpu, "%s", v);
        cpu[strcspn(cpu, "\n")] = 0;
        break;
      }
    fclose(f);
  }
  if (uname(&u) == 0) snprintf(buf, n, "%s %s %s, %s, %ld cores", u.sysname, u.release, u.machine, cpu, sysconf(_SC_NPROCESSORS_ONLN));
  else snprintf(buf, n, "%s", cpu);
}

// A model's display name: the file name without its directory and extension.
static void model_name(const char *path, char *buf, size_t n) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  snprintf(buf, n, "%s", b);
  char *dot = strrchr(buf, '.');
  if (dot && dot != buf) *dot = 0;
}

// ---------------------------------------------------------------- the sweep
// Parses an integer in [lo, hi] into *v; -1 when malformed or out of range.
static int int_arg(const char *s, int lo, int hi, int *v) {
  char *e;
  long x = strtol(s, &e, 10);
  if (!*s || *e || x < lo || x > hi) return -1;
  *v = (int)x;
  return 0;
}

// The sweep after option parsing: probe the models, run the missing points, write the reports and plots.
static int sweep(opts_t *o, fz_err *err) {
  fz_steps_set set;
  if (fz_steps_set_open(o->set, o->index, &set, err)) return err->code;
  int rc = FZ_OK;
  // models: hash, probe (load + sampler check in a worker), sensor
  for (int i = 0; i < o->nmodels && !rc; i++) {
    model_t *m = &o->models[i];
    if (!m->path) {  // the LMS reference: one point, scored without a model
      snprintf(m->name, sizeof m->name, "LMS");
      snprintf(m->sha, sizeof m->sha, "lms-reference");
      snprintf(m->arch, sizeof m->arch, "lms");
      m->generative = 0;
      m->items[0] = (fz_steps_item){FZ_SAMPLER_REGRESSION, 1, FZ_PROC_DEFAULT};
      m->nitems = 1;
      if (!o->so.sensor) rc = fz_fail(err, FZ_EINVAL, "--lms: pass --sensor (the MTF table of D_lambda: WV3, WV2, QB, IKONOS, ...)");
      continue;
    }
    model_name(m->path, m->name, sizeof m->name);
    if ((rc = fz_sha256_file(m->path, m->sha, err))) break;
    if ((rc = probe_model(o, m, err))) break;
    if (!o->so.sensor && !m->sensor[0])
      rc = fz_fail(err, FZ_EINVAL, "model %s (%s) names no sensor: pass --sensor (the MTF table of D_lambda: WV3, WV2, QB, IKONOS, ...)",
                   m->path, m->arch);
  }
  if (!rc && !o->plan && mkdir(o->out, 0777) != 0 && errno != EEXIST) rc = fz_fail(err, FZ_EIO, "-o %s: %s", o->out, strerror(errno));
  fz_steps_store st = {0};
  if (!rc) rc = fz_steps_store_open(o->out, &st, err);
  // the plan: every (model, item, seed)
  int total = 0, computed = 0, reused = 0;
  for (int i = 0; i < o->nmodels; i++) total += o->models[i].nitems * (o->models[i].generative ? o->seeds : 1);
  int done = 0;
  double t_start = fz_now();
  for (int i = 0; i < o->nmodels && !rc; i++) {
    model_t *m = &o->models[i];
    char opts[400];
    snprintf(opts, sizeof opts, "%s,sensor=%s", o->options, o->so.sensor ? o->so.sensor : m->sensor);
    for (int j = 0; j < m->nitems && !rc; j++)
      for (int s = 0; s < (m->generative ? o->seeds : 1) && !rc; s++) {
        char key[512];
        const char *sname = m->generative ? fz_sampler_name(m->items[j].sampler) : "regression";
        fz_steps_key(key, sizeof key, m->sha, sname, m->items[j].steps, (uint64_t)s, set.sha256, set.spec, opts);
        done++;
        if (o->plan) {  // list the point, compute nothing
          printf("%s %s:%d seed %d: %s\n", m->name, sname, m->items[j].steps, s, fz_steps_store_find(&st, key) ? "done" : "to run");
          continue;
        }
        if (fz_steps_store_find(&st, key)) { reused++; continue; }
        point_ctx c = {o, m, m->items[j].sampler, m->items[j].steps, (uint64_t)s, key};
        char *line = NULL;
        double t0 = fz_now();
        if ((rc = run_job(o->nofork, point_job, &c, &line, err))) {
          fz_wrap(err, "point %s %s:%d seed %d", m->name, sname, m->items[j].steps, s);
          break;
        }
        fz_steps_rec rec;
        if ((rc = fz_steps_rec_parse(line, &rec, err))) { free(line); fz_wrap(err, "the worker's record"); break; }
        free(line);
        fprintf(stderr, "[%d/%d] %s %s:%d seed %d: SAM %.4g ERGAS %.4g Q2n %.4g HQNR %.4g, %.3g s/image, %.0f evals/tile (%.1f s)\n",
                done, total, m->name, sname, m->items[j].steps, s, rec.m[FZ_SM_SAM], rec.m[FZ_SM_ERGAS], rec.m[FZ_SM_Q2N],
                rec.m[FZ_SM_HQNR], rec.wall_median, rec.nfe, fz_now() - t0);
        if ((rc = fz_steps_store_add(&st, &rec, err))) { fz_steps_rec_free(&rec); break; }
        computed++;
      }
  }
  if (o->plan) {
    fz_steps_store_free(&st);
    fz_steps_set_free(&set);
    return rc;
  }
  // the report: one point per (model, item) averaged over its seeds
  int np = 0, cap = 0;
  for (int i = 0; i < o->nmodels; i++) cap += o->models[i].nitems;
  fz_steps_point *pts = rc ? NULL : calloc((size_t)(cap ? cap : 1), sizeof *pts);
  if (!rc && !pts) rc = fz_fail(err, FZ_ENOMEM, "no memory");
  for (int i = 0; i < o->nmodels && !rc; i++) {
    model_t *m = &o->models[i];
    char opts[400];
    snprintf(opts, sizeof opts, "%s,sensor=%s", o->options, o->so.sensor ? o->so.sensor : m->sensor);
    for (int j = 0; j < m->nitems && !rc; j++) {
      const fz_steps_rec *recs[FZ_STEPS_MAX_SEEDS];
      int nr = 0;
      const char *sname = m->generative ? fz_sampler_name(m->items[j].sampler) : "regression";
      for (int s = 0; s < (m->generative ? o->seeds : 1); s++) {
        char key[512];
        fz_steps_key(key, sizeof key, m->sha, sname, m->items[j].steps, (uint64_t)s, set.sha256, set.spec, opts);
        const fz_steps_rec *r = fz_steps_store_find(&st, key);
        if (r && nr < FZ_STEPS_MAX_SEEDS) recs[nr++] = r;
      }
      if (!nr) { rc = fz_fail(err, FZ_EINTERNAL, "point %s %s:%d has no record", m->name, sname, m->items[j].steps); break; }
      fz_steps_point *p = &pts[np++];
      fz_steps_point_from_recs(p, recs, nr);
      if (m->generative) snprintf(p->label, sizeof p->label, "%s %s", m->name, sname);
      else if (!m->path) snprintf(p->label, sizeof p->label, "LMS (interpolated MS)");
      else snprintf(p->label, sizeof p->label, "%s (regression)", m->name);
    }
  }
  if (!rc) {
    fz_steps_mark_pareto(pts, np);
    char git[256], machine[512];
    command_line_of("git describe --always --dirty --tags 2>/dev/null", git, sizeof git);
    machine_of(machine, sizeof machine);
    fz_steps_meta meta = {o->cmdline, git, machine, o->set, set.spec, o->device, o->threads};
    if (!(rc = fz_steps_write_reports(o->out, &meta, pts, np, err))) rc = fz_steps_write_plots(o->out, pts, np, err);
  }
  if (!rc)
    printf("bench steps: %d points (%d runs: %d computed, %d reused from %s/results.jsonl) in %.1f s; wrote %s/results.csv, "
           "results.json and %d plots\n", np, total, computed, reused, o->out, fz_now() - t_start, o->out, 2 * FZ_SM_COUNT);
  free(pts);
  fz_steps_store_free(&st);
  fz_steps_set_free(&set);
  return rc;
}

// `fusor bench steps`: parses the options (argv[0] = "steps") and runs the sweep.
static int cmd_steps(int argc, char **argv) {
  opts_t o;
  memset(&o, 0, sizeof o);
  o.device = "cpu";
  o.seeds = 1;
  fz_steps_opts_default(&o.so);
  size_t cl = 0;
  for (int i = 0; i < argc && cl + 2 < sizeof o.cmdline; i++)
    cl += (size_t)snprintf(o.cmdline + cl, sizeof o.cmdline - cl, "%s%s", i ? " " : "fusor bench ", argv[i]);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    if (!strcmp(a, "--no-fork")) { o.nofork = 1; continue; }
    if (!strcmp(a, "--plan")) { o.plan = 1; continue; }
    if (!strcmp(a, "--lms")) {
      if (o.nmodels == MAX_MODELS) { fprintf(stderr, "fusor bench steps: more than %d models\n", MAX_MODELS); return 2; }
      o.models[o.nmodels++].path = NULL;
      continue;
    }
    if (!v) { fprintf(stderr, "fusor bench steps: %s needs a value (or is unknown); run 'fusor bench steps --help'\n", a); return 2; }
    i++;
    int bad = 0;
    if (!strcmp(a, "--set") || !strcmp(a, "--test-set")) o.set = v;
    else if (!strcmp(a, "--index")) o.index = v;
    else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o.out = v;
    else if (!strcmp(a, "--device")) o.device = v;
    else if (!strcmp(a, "--sensor")) o.so.sensor = v;
    else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
      if (o.nmodels == MAX_MODELS) { fprintf(stderr, "fusor bench steps: more than %d models\n", MAX_MODELS); return 2; }
      o.models[o.nmodels++].path = v;
    } else if (!strcmp(a, "--samplers")) {
      fz_steps_item items[FZ_STEPS_MAX_ITEMS];
      int n;
      fz_err e = {0};
      if (fz_steps_spec_parse(v, items, FZ_STEPS_MAX_ITEMS, &n, &e)) { fprintf(stderr, "fusor bench steps: %s\n", e.msg); return 2; }
      if (o.nmodels && !o.models[o.nmodels - 1].path) {
        fprintf(stderr, "fusor bench steps: --samplers after --lms: the LMS reference has no sampler\n");
        return 2;
      }
      if (o.nmodels) o.models[o.nmodels - 1].spec = v;
      else o.spec = v;
    } else if (!strcmp(a, "--merge")) {
      int mm = fz_merge_parse(v);
      if (mm < 0) { fprintf(stderr, "fusor bench steps: --merge '%s': expected patchmerge, blend or grid\n", v); return 2; }
      o.so.fo.merge = (fz_merge_mode)mm;
    } else if (!strcmp(a, "--seeds")) bad = int_arg(v, 1, FZ_STEPS_MAX_SEEDS, &o.seeds);
    else if (!strcmp(a, "--threads")) bad = int_arg(v, 0, 4096, &o.threads);
    else if (!strcmp(a, "--L")) bad = int_arg(v, 1, 32, &o.so.L);
    else if (!strcmp(a, "--block")) bad = int_arg(v, 2, 4096, &o.so.block);
    else if (!strcmp(a, "--tile")) bad = int_arg(v, 0, 1 << 20, &o.so.fo.tile);
    else if (!strcmp(a, "--overlap")) bad = int_arg(v, 0, 1 << 20, &o.so.fo.overlap);
    else if (!strcmp(a, "--batch")) bad = int_arg(v, 1, 4096, &o.so.fo.batch);
    else { fprintf(stderr, "fusor bench steps: unknown option '%s'; run 'fusor bench steps --help'\n", a); return 2; }
    if (bad) {
      fprintf(stderr, "fusor bench steps: %s '%s': expected an integer%s\n", a, v,
              !strcmp(a, "--seeds") ? " from 1 to 64" : !strcmp(a, "--batch") ? " >= 1" : " >= 0");
      return 2;
    }
  }
  if (!o.set || !o.nmodels || !o.out) {
    fprintf(stderr, "fusor bench steps: --set TEST.h5, at least one -m MODEL and -o DIR are required; run 'fusor bench steps --help'\n");
    return 2;
  }
  // what changes a point's numbers (threads and device change its time), part of every resume key
  snprintf(o.options, sizeof o.options, "tile=%d,overlap=%d,merge=%s,L=%d,block=%d,device=%s,threads=%d", o.so.fo.tile,
           o.so.fo.overlap, fz_merge_name(o.so.fo.merge), o.so.L, o.so.block, o.device, o.threads);
  fz_err err = {0};
  if (sweep(&o, &err)) return fz_cli_fail(&err);
  return 0;
}

// `fusor bench KIND ...`: dispatches to the benchmark named by argv[1] (steps).
static int cmd_bench(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    FILE *f = argc < 2 ? stderr : stdout;
    fprintf(f, "usage: fusor bench steps [options]   the steps-vs-quality sweep (fusor bench steps --help)\n");
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "steps")) return cmd_steps(argc - 1, argv + 1);
  fprintf(stderr, "fusor bench: unknown benchmark '%s'; expected: steps\n", argv[1]);
  return 2;
}
FZ_COMMAND(bench, "benchmarks: `bench steps` sweeps samplers x steps x seeds of generative models vs quality, time, memory",
           cmd_bench)
