// steps_store.c — records of `fusor bench steps`: one JSON line per finished (model, sampler, steps, seed) in
// DIR/results.jsonl (rewritten atomically after every point, so a killed sweep keeps every finished point), the
// resume key, and the CSV / JSON reports of the averaged points.
#include "steps.h"
#include "log.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// ---------------------------------------------------------------- a growing string
typedef struct { char *p; size_t n, cap; int oom; } sbuf;
static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
  if (b->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) { b->oom = 1; return; }
    if (b->p && b->n + (size_t)k < b->cap) { b->n += (size_t)k; return; }
    size_t nc = b->cap ? b->cap * 2 : 1024;
    while (nc < b->n + (size_t)k + 1) nc *= 2;
    char *q = realloc(b->p, nc);
    if (!q) { b->oom = 1; return; }
    b->p = q;
    b->cap = nc;
  }
}
// A JSON number (null for NaN / Inf).
static void sb_num(sbuf *b, double v) {
  if (isfinite(v)) sb_printf(b, "%.10g", v);
  else sb_printf(b, "null");
}
// A JSON string with quotes, backslashes and control characters escaped.
static void sb_str(sbuf *b, const char *s) {
  sb_printf(b, "\"");
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') sb_printf(b, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) sb_printf(b, "\\u%04x", *s);
    else sb_printf(b, "%c", *s);
  }
  sb_printf(b, "\"");
}

// ---------------------------------------------------------------- records
void fz_steps_key(char *out, size_t n, const char *model_sha, const char *sampler, int steps, uint64_t seed,
                  const char *set_sha, const char *selection, const char *options) {
  snprintf(out, n, "%.16s|%s|%d|%llu|%.16s|%s|%s", model_sha, sampler, steps, (unsigned long long)seed, set_sha, selection, options);
}

int fz_steps_rec_format(fz_steps_rec *rec, const fz_steps_set *s, const fz_steps_result *r, fz_err *err) {
  sbuf b = {0};
  sb_printf(&b, "{\"key\":");
  sb_str(&b, rec->key);
  sb_printf(&b, ",\"model\":");
  sb_str(&b, rec->model);
  sb_printf(&b, ",\"model_sha256\":\"%s\",\"arch\":", rec->model_sha256);
  sb_str(&b, rec->arch);
  sb_printf(&b, ",\"kind\":\"%s\",\"sampler\":", rec->kind);
  sb_str(&b, rec->sampler);
  sb_printf(&b, ",\"steps\":%d,\"seed\":%d,\"images\":%d,\"set_sha256\":\"%s\",\"nfe\":", rec->steps, rec->seed, rec->images,
            rec->set_sha256);
  sb_num(&b, rec->nfe);
  sb_printf(&b, ",\"evals_per_image\":");
  sb_num(&b, rec->evals_per_image);
  sb_printf(&b, ",\"wall_median_s\":");
  sb_num(&b, rec->wall_median);
  sb_printf(&b, ",\"peak_rss_mib\":");
  sb_num(&b, rec->peak_rss_mib);
  for (int k = 0; k < FZ_SM_COUNT; k++) {
    sb_printf(&b, ",\"%s\":", fz_steps_metric_name(k));
    sb_num(&b, rec->m[k]);
  }
  if (r) {
    sb_printf(&b, ",\"sensor\":\"%s\",\"tiles\":%lld,\"evals\":%llu,\"per_image\":[", r->sensor, (long long)r->tiles,
              (unsigned long long)r->evals);
    for (int i = 0; i < r->n; i++) {
      sb_printf(&b, "%s{\"index\":%d,\"wall_s\":", i ? "," : "", s ? s->index[i] : i);
      sb_num(&b, r->secs[i]);
      for (int k = 0; k < FZ_SM_COUNT; k++) {
        sb_printf(&b, ",\"%s\":", fz_steps_metric_name(k));
        sb_num(&b, r->img[i][k]);
      }
      sb_printf(&b, "}");
    }
    sb_printf(&b, "]");
  }
  sb_printf(&b, "}");
  if (b.oom) { free(b.p); return fz_fail(err, FZ_ENOMEM, "no memory formatting a record"); }
  free(rec->line);
  rec->line = b.p;
  return FZ_OK;
}

// Position of the value of top-level key `name` in the JSON object line, or NULL (nested objects are skipped).
static const char *field(const char *line, const char *name) {
  size_t nl = strlen(name);
  int depth = 0, instr = 0;
  for (const char *p = line; *p; p++) {
    if (instr) {
      if (*p == '\\' && p[1]) p++;
      else if (*p == '"') instr = 0;
      continue;
    }
    if (*p == '{' || *p == '[') depth++;
    else if (*p == '}' || *p == ']') depth--;
    else if (*p == '"') {
      if (depth == 1 && !strncmp(p + 1, name, nl) && p[nl + 1] == '"') {
        const char *q = p + nl + 2;
        while (*q == ' ') q++;
        if (*q == ':') {
          q++;
          while (*q == ' ') q++;
          return q;
        }
      }
      instr = 1;
    }
  }
  return NULL;
}
// Reads the string value of top-level key name into buf (unescaping \" and \\ and \uXXXX below 0x80); 0 when malformed.
static int get_str(const char *line, const char *name, char *buf, size_t n) {
  const char *p = field(line, name);
  if (!p || *p != '"') return 0;
  size_t k = 0;
  for (p++; *p && *p != '"'; p++) {
    char c = *p;
    if (c == '\\') {
      p++;
      if (*p == 'u' && p[1] && p[2] && p[3] && p[4]) {
        c = (char)strtol((char[]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
        p += 4;
      } else if (*p) c = *p;
      else return 0;
    }
    if (k + 1 >= n) return 0;
    buf[k++] = c;
  }
  if (*p != '"') return 0;
  buf[k] = 0;
  return 1;
}
// Reads a number (null → NaN); 0 when absent or malformed.
static int get_num(const char *line, const char *name, double *v) {
  const char *p = field(line, name);
  if (!p) return 0;
  if (!strncmp(p, "null", 4)) { *v = NAN; return 1; }
  char *e;
  *v = strtod(p, &e);
  return e != p;
}

int fz_steps_rec_parse(const char *line, fz_steps_rec *rec, fz_err *err) {
  memset(rec, 0, sizeof *rec);
  double steps, seed, images;
  int ok = line[0] == '{' && get_str(line, "key", rec->key, sizeof rec->key) && get_str(line, "model", rec->model, sizeof rec->model) &&
           get_str(line, "model_sha256", rec->model_sha256, sizeof rec->model_sha256) &&
           get_str(line, "arch", rec->arch, sizeof rec->arch) && get_str(line, "kind", rec->kind, sizeof rec->kind) &&
           get_str(line, "sampler", rec->sampler, sizeof rec->sampler) && get_num(line, "steps", &steps) &&
           get_num(line, "seed", &seed) && get_num(line, "images", &images) &&
           get_str(line, "set_sha256", rec->set_sha256, sizeof rec->set_sha256) && get_num(line, "nfe", &rec->nfe) &&
           get_num(line, "evals_per_image", &rec->evals_per_image) && get_num(line, "wall_median_s", &rec->wall_median) &&
           get_num(line, "peak_rss_mib", &rec->peak_rss_mib);
  for (int k = 0; ok && k < FZ_SM_COUNT; k++) ok = get_num(line, fz_steps_metric_name(k), &rec->m[k]);
  size_t len = strlen(line);
  ok = ok && len && line[len - 1] == '}';
  if (!ok) return fz_fail(err, FZ_EFORMAT, "not a bench-steps record");
  rec->steps = (int)steps;
  rec->seed = (int)seed;
  rec->images = (int)images;
  if (!(rec->line = strdup(line))) return fz_fail(err, FZ_ENOMEM, "no memory");
  return FZ_OK;
}

void fz_steps_rec_free(fz_steps_rec *rec) {
  free(rec->line);
  rec->line = NULL;
}

// ---------------------------------------------------------------- atomic files
int fz_steps_write_atomic(const char *path, const char *text, size_t len, fz_err *err) {
  char tmp[1200];
  snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) return fz_fail(err, FZ_EIO, "%s: cannot create a temporary file: %s", path, strerror(errno));
  size_t off = 0;
  while (off < len) {
    ssize_t k = write(fd, text + off, len - off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) { int e = errno; close(fd); unlink(tmp); return fz_fail(err, FZ_EIO, "%s: write failed: %s", path, strerror(e)); }
    off += (size_t)k;
  }
  if (fsync(fd) != 0 || close(fd) != 0) { unlink(tmp); return fz_fail(err, FZ_EIO, "%s: write failed: %s", path, strerror(errno)); }
  if (rename(tmp, path) != 0) { int e = errno; unlink(tmp); return fz_fail(err, FZ_EIO, "%s: %s", path, strerror(e)); }
  return FZ_OK;
}

// ---------------------------------------------------------------- the store
int fz_steps_store_open(const char *dir, fz_steps_store *st, fz_err *err) {
  memset(st, 0, sizeof *st);
  snprintf(st->path, sizeof st->path, "%s/results.jsonl", dir);
  FILE *f = fopen(st->path, "r");
  if (!f) return errno == ENOENT ? FZ_OK : fz_fail(err, FZ_EIO, "%s: %s", st->path, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int lineno = 0, rc = FZ_OK;
  while (!rc && (len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    if (!len) continue;
    fz_steps_rec r;
    fz_err e = {0};
    if (fz_steps_rec_parse(line, &r, &e)) {
      FZ_WARN("%s line %d: %s; the line is ignored (its point will be recomputed)", st->path, lineno, e.msg);
      continue;
    }
    if (fz_steps_store_find(st, r.key)) { fz_steps_rec_free(&r); continue; }
    if (st->n == st->cap) {
      int nc = st->cap ? 2 * st->cap : 64;
      fz_steps_rec *nr = realloc(st->recs, (size_t)nc * sizeof *nr);
      if (!nr) { fz_steps_rec_free(&r); rc = fz_fail(err, FZ_ENOMEM, "no memory"); break; }
      st->recs = nr;
      st->cap = nc;
    }
    st->recs[st->n++] = r;
  }
  free(line);
  fclose(f);
  if (rc) fz_steps_store_free(st);
  return rc;
}

const fz_steps_rec *fz_steps_store_find(const fz_steps_store *st, const char *key) {
  for (int i = 0; i < st->n; i++)
    if (!strcmp(st->recs[i].key, key)) return &st->recs[i];
  return NULL;
}

int fz_steps_store_add(fz_steps_store *st, fz_steps_rec *rec, fz_err *err) {
  if (!rec->line) return fz_fail(err, FZ_EINTERNAL, "record without a line");
  if (st->n == st->cap) {
    int nc = st->cap ? 2 * st->cap : 64;
    fz_steps_rec *nr = realloc(st->recs, (size_t)nc * sizeof *nr);
    if (!nr) return fz_fail(err, FZ_ENOMEM, "no memory");
    st->recs = nr;
    st->cap = nc;
  }
  st->recs[st->n++] = *rec;
  rec->line = NULL;
  sbuf b = {0};
  for (int i = 0; i < st->n; i++) sb_printf(&b, "%s\n", st->recs[i].line);
  if (b.oom) { free(b.p); return fz_fail(err, FZ_ENOMEM, "no memory"); }
  int rc = fz_steps_write_atomic(st->path, b.p, b.n, err);
  free(b.p);
  return rc;
}

void fz_steps_store_free(fz_steps_store *st) {
  for (int i = 0; i < st->n; i++) fz_steps_rec_free(&st->recs[i]);
  free(st->recs);
  memset(st, 0, sizeof *st);
}

// ---------------------------------------------------------------- reports
// A CSV field: quoted when it holds a comma, quote or newline.
static void csv_field(sbuf *b, const char *s) {
  if (!strpbrk(s, ",\"\n")) { sb_printf(b, "%s", s); return; }
  sb_printf(b, "\"");
  for (; *s; s++) sb_printf(b, *s == '"' ? "\"\"" : "%c", *s);
  sb_printf(b, "\"");
}
// A CSV number after a comma (nan for NaN / Inf).
static void csv_num(sbuf *b, double v) {
  if (isfinite(v)) sb_printf(b, ",%.10g", v);
  else sb_printf(b, ",nan");
}

int fz_steps_write_reports(const char *dir, const fz_steps_meta *meta, const fz_steps_point *p, int n, fz_err *err) {
  sbuf c = {0}, j = {0};
  sb_printf(&c, "model,arch,sampler,steps,seeds,images,nfe,evals_per_image,wall_median_s,peak_rss_mib");
  for (int k = 0; k < FZ_SM_COUNT; k++) sb_printf(&c, ",%s", fz_steps_metric_name(k));
  sb_printf(&c, ",pareto\n");
  sb_printf(&j, "{\"command\":");
  sb_str(&j, meta->command ? meta->command : "");
  sb_printf(&j, ",\"git\":");
  sb_str(&j, meta->git ? meta->git : "unknown");
  sb_printf(&j, ",\"machine\":");
  sb_str(&j, meta->machine ? meta->machine : "unknown");
  sb_printf(&j, ",\"threads\":%d,\"device\":", meta->threads);
  sb_str(&j, meta->device ? meta->device : "cpu");
  sb_printf(&j, ",\"set\":");
  sb_str(&j, meta->set ? meta->set : "");
  sb_printf(&j, ",\"index\":");
  sb_str(&j, meta->selection ? meta->selection : "all");
  sb_printf(&j, ",\"metrics\":[");
  for (int k = 0; k < FZ_SM_COUNT; k++) sb_printf(&j, "%s\"%s\"", k ? "," : "", fz_steps_metric_name(k));
  sb_printf(&j, "],\"points\":[");
  for (int i = 0; i < n; i++) {
    const fz_steps_point *q = &p[i];
    csv_field(&c, q->model);
    sb_printf(&c, ",%s,%s,%d,%d,%d", q->arch, q->sampler, q->steps, q->seeds, q->images);
    csv_num(&c, q->nfe);
    csv_num(&c, q->evals_per_image);
    csv_num(&c, q->wall_median);
    csv_num(&c, q->peak_rss_mib);
    for (int k = 0; k < FZ_SM_COUNT; k++) csv_num(&c, q->m[k]);
    sb_printf(&c, ",");
    for (int k = 0, first = 1; k < FZ_SM_COUNT; k++)
      if (q->pareto >> k & 1) { sb_printf(&c, "%s%s", first ? "" : " ", fz_steps_metric_name(k)); first = 0; }
    sb_printf(&c, "\n");
    sb_printf(&j, "%s\n{\"model\":", i ? "," : "");
    sb_str(&j, q->model);
    sb_printf(&j, ",\"arch\":\"%s\",\"kind\":\"%s\",\"sampler\":\"%s\",\"steps\":%d,\"seeds\":%d,\"images\":%d,\"nfe\":", q->arch,
              q->regression ? "regression" : "generative", q->sampler, q->steps, q->seeds, q->images);
    sb_num(&j, q->nfe);
    sb_printf(&j, ",\"evals_per_image\":");
    sb_num(&j, q->evals_per_image);
    sb_printf(&j, ",\"wall_median_s\":");
    sb_num(&j, q->wall_median);
    sb_printf(&j, ",\"peak_rss_mib\":");
    sb_num(&j, q->peak_rss_mib);
    sb_printf(&j, ",\"mean\":{");
    for (int k = 0; k < FZ_SM_COUNT; k++) {
      sb_printf(&j, "%s\"%s\":", k ? "," : "", fz_steps_metric_name(k));
      sb_num(&j, q->m[k]);
    }
    sb_printf(&j, "},\"pareto\":[");
    for (int k = 0, first = 1; k < FZ_SM_COUNT; k++)
      if (q->pareto >> k & 1) { sb_printf(&j, "%s\"%s\"", first ? "" : ",", fz_steps_metric_name(k)); first = 0; }
    sb_printf(&j, "],\"runs\":[");
    for (int r = 0; r < q->nruns; r++) sb_printf(&j, "%s%s", r ? "," : "", q->runs[r]);
    sb_printf(&j, "]}");
  }
  sb_printf(&j, "]}\n");
  int rc = c.oom || j.oom ? fz_fail(err, FZ_ENOMEM, "no memory for the reports") : FZ_OK;
  char path[1200];
  if (!rc) {
    snprintf(path, sizeof path, "%s/results.csv", dir);
    rc = fz_steps_write_atomic(path, c.p, c.n, err);
  }
  if (!rc) {
    snprintf(path, sizeof path, "%s/results.json", dir);
    rc = fz_steps_write_atomic(path, j.p, j.n, err);
  }
  free(c.p);
  free(j.p);
  return rc;
}

void fz_steps_point_from_recs(fz_steps_point *p, const fz_steps_rec *const *recs, int n) {
  const fz_steps_rec *r0 = recs[0];
  snprintf(p->model, sizeof p->model, "%s", r0->model);
  snprintf(p->arch, sizeof p->arch, "%s", r0->arch);
  snprintf(p->sampler, sizeof p->sampler, "%s", r0->sampler);
  p->regression = !strcmp(r0->kind, "regression");
  p->steps = r0->steps;
  p->seeds = n;
  p->images = r0->images;
  p->nruns = 0;
  double walls[FZ_STEPS_MAX_SEEDS] = {0};
  p->nfe = p->evals_per_image = 0;
  p->peak_rss_mib = NAN;
  for (int k = 0; k < FZ_SM_COUNT; k++) p->m[k] = 0;
  for (int i = 0; i < n; i++) {
    const fz_steps_rec *r = recs[i];
    if (p->nruns < FZ_STEPS_MAX_SEEDS) { walls[p->nruns] = r->wall_median; p->runs[p->nruns++] = r->line; }
    p->nfe += r->nfe / n;
    p->evals_per_image += r->evals_per_image / n;
    if (isfinite(r->peak_rss_mib) && !(r->peak_rss_mib <= p->peak_rss_mib)) p->peak_rss_mib = r->peak_rss_mib;
    for (int k = 0; k < FZ_SM_COUNT; k++) p->m[k] += r->m[k] / n;
  }
  // median of the seeds' median wall times (insertion sort: at most FZ_STEPS_MAX_SEEDS values)
  int m = p->nruns;
  for (int i = 1; i < m; i++)
    for (int k = i; k > 0 && walls[k - 1] > walls[k]; k--) { double t = walls[k]; walls[k] = walls[k - 1]; walls[k - 1] = t; }
  p->wall_median = !m ? NAN : m % 2 ? walls[m / 2] : 0.5 * (walls[m / 2 - 1] + walls[m / 2]);
}
