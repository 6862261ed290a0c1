// runner.c — runs every registered test (optionally those whose name contains argv[1]).
#include "test.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct { const char *name, *file; fz_test_fn fn; } test_entry;
static test_entry g_tests[4096];
static int g_ntests;
static char g_tmproot[256];
static int g_tmpcount;

void fz_test_register(const char *name, const char *file, fz_test_fn fn) {
  if (g_ntests < 4096) g_tests[g_ntests++] = (test_entry){name, file, fn};
}

void fz_test_failf(fz_tctx *t, const char *file, int line, const char *fmt, ...) {
  t->failed = 1;
  int o = snprintf(t->why, sizeof t->why, "%s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->why + o, sizeof t->why - (size_t)o, fmt, ap);
  va_end(ap);
}

void fz_test_skipf(fz_tctx *t, const char *fmt, ...) {
  t->skipped = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->why, sizeof t->why, fmt, ap);
  va_end(ap);
}

const char *fz_test_shared(const char *rel) {
  static char buf[8][1024];
  static int k;
  const char *root = getenv("FUSOR_SHARED");
  if (!root) root = "../shared";
  char *b = buf[k++ & 7];
  snprintf(b, 1024, "%s/%s", root, rel);
  return access(b, R_OK) == 0 ? b : NULL;
}

const char *fz_test_tmpdir(void) {
  static char buf[8][512];
  char *b = buf[g_tmpcount & 7];
  snprintf(b, 512, "%s/t%d", g_tmproot, g_tmpcount++);
  mkdir(b, 0700);
  return b;
}

static int by_file_then_name(const void *a, const void *b) {
  const test_entry *x = a, *y = b;
  int c = strcmp(x->file, y->file);
  return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv) {
  const char *filter = argc > 1 ? argv[1] : NULL;
  snprintf(g_tmproot, sizeof g_tmproot, "/tmp/fusor-tests-XXXXXX");
  if (!mkdtemp(g_tmproot)) { perror("mkdtemp"); return 2; }
  qsort(g_tests, (size_t)g_ntests, sizeof g_tests[0], by_file_then_name);
  int passed = 0, failed = 0, skipped = 0;
  for (int i = 0; i < g_ntests; i++) {
    if (filter && !strstr(g_tests[i].name, filter) && !strstr(g_tests[i].file, filter)) continue;
    fz_tctx t = {0};
    g_tests[i].fn(&t);
    if (t.failed) { failed++; printf("FAIL %s: %s\n", g_tests[i].name, t.why); }
    else if (t.skipped) { skipped++; printf("skip %s: %s\n", g_tests[i].name, t.why); }
    else { passed++; printf("ok   %s\n", g_tests[i].name); }
    fflush(stdout);
  }
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmproot);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", g_tmproot);
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : 0;
}
