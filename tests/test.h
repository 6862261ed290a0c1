// test.h — a tiny self-registering test framework; the runner prints "N passed, N failed, N skipped".
#ifndef FZ_TEST_H
#define FZ_TEST_H
#include <math.h>
#include <stdio.h>

typedef struct fz_tctx {
  int failed, skipped;
  char why[1024];
} fz_tctx;

typedef void (*fz_test_fn)(fz_tctx *t_);
void fz_test_register(const char *name, const char *file, fz_test_fn fn);
void fz_test_failf(fz_tctx *t, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void fz_test_skipf(fz_tctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Path of a file under the shared folder (env FUSOR_SHARED, default ../shared), or NULL when absent.
const char *fz_test_shared(const char *rel);
// A fresh empty temporary directory for this test (removed by the runner at exit).
const char *fz_test_tmpdir(void);

#define TEST(name)                                                                        \
  static void name(fz_tctx *t_);                                                          \
  __attribute__((constructor)) static void reg_##name(void) { fz_test_register(#name, __FILE__, name); } \
  static void name(fz_tctx *t_)

#define CHECK(c) do { if (!(c)) { fz_test_failf(t_, __FILE__, __LINE__, "%s", #c); return; } } while (0)
#define CHECKF(c, ...) do { if (!(c)) { fz_test_failf(t_, __FILE__, __LINE__, __VA_ARGS__); return; } } while (0)
// |a-b| <= tol
#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); \
  if (!(fabs(a_ - b_) <= (tol))) { fz_test_failf(t_, __FILE__, __LINE__, "%s = %.10g, expected %s = %.10g (tol %g)", #a, a_, #b, b_, (double)(tol)); return; } } while (0)
// fz calls returning 0 on success; prints the error message otherwise.
#define CHECK_OK(call, err) do { int rc_ = (call); if (rc_) { fz_test_failf(t_, __FILE__, __LINE__, "%s failed: %s", #call, (err)->msg); return; } } while (0)
#define SKIP(...) do { fz_test_skipf(t_, __VA_ARGS__); return; } while (0)
#endif
