// log.c — levelled logging to a single sink.
#include "log.h"
#include <stdarg.h>
#include <string.h>

static fz_log_level g_level = FZ_LOG_WARN;
static FILE *g_sink = NULL;

void fz_log_set_level(fz_log_level level) { g_level = level; }
fz_log_level fz_log_get_level(void) { return g_level; }
void fz_log_set_sink(FILE *f) { g_sink = f; }

void fz_log(fz_log_level level, const char *fmt, ...) {
  if (level > g_level) return;
  static const char *names[] = {"error", "warning", "info", "debug"};
  FILE *f = g_sink ? g_sink : stderr;
  fprintf(f, "fusor: %s: ", names[level]);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
}

int fz_log_parse_level(const char *s) {
  static const char *names[] = {"error", "warn", "info", "debug"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return -1;
}
