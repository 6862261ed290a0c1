// progress.c — rate and ETA reporting for long work.
#define _POSIX_C_SOURCE 200809L
#include "progress.h"
#include <string.h>
#include <time.h>
#include <unistd.h>

double fz_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void fz_progress_start(fz_progress *p, const char *label, int64_t total, int json) {
  memset(p, 0, sizeof *p);
  p->json = json;
  p->out = json ? stdout : stderr;
  p->tty = !json && isatty(fileno(stderr));
  snprintf(p->label, sizeof p->label, "%s", label ? label : "");
  p->total = total;
  p->t0 = fz_now();
  p->last_print = -1;
}

static void fmt_hms(double s, char *buf, size_t n) {
  if (!(s >= 0) || s > 1e7) { snprintf(buf, n, "--:--"); return; }
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

const char *fz_progress_format(const fz_progress *p, double now, char *buf, size_t n) {
  double el = now - p->t0, rate = el > 0 ? (double)p->done / el : 0;
  double eta = rate > 0 ? (double)(p->total - p->done) / rate : -1;
  char e[32], t[32];
  fmt_hms(eta, e, sizeof e);
  fmt_hms(el, t, sizeof t);
  if (p->json)
    snprintf(buf, n, "{\"event\":\"progress\",\"label\":\"%s\",\"done\":%lld,\"total\":%lld,\"it_per_s\":%.4g,\"elapsed_s\":%.3f,\"eta_s\":%.3f}",
             p->label, (long long)p->done, (long long)p->total, rate, el, eta < 0 ? -1.0 : eta);
  else
    snprintf(buf, n, "%s %lld/%lld  %.2f it/s  elapsed %s  ETA %s", p->label, (long long)p->done, (long long)p->total,
             rate, t, e);
  return buf;
}

void fz_progress_update(fz_progress *p, int64_t done) {
  p->done = done;
  double now = fz_now();
  if (done < p->total && now - p->last_print < 0.1) return;
  p->last_print = now;
  char buf[512];
  fz_progress_format(p, now, buf, sizeof buf);
  if (p->json) fprintf(p->out, "%s\n", buf);
  else if (p->tty) fprintf(p->out, "\r%s\033[K", buf);
  else if (done == p->total) fprintf(p->out, "%s\n", buf);
  fflush(p->out);
}

void fz_progress_finish(fz_progress *p) {
  if (p->done != p->total || p->last_print < 0) fz_progress_update(p, p->done);
  if (p->json) fprintf(p->out, "{\"event\":\"done\",\"label\":\"%s\",\"done\":%lld,\"elapsed_s\":%.3f}\n", p->label,
                       (long long)p->done, fz_now() - p->t0);
  else if (p->tty) fputc('\n', p->out);
  fflush(p->out);
}
