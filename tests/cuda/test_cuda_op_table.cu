// test_cuda_op_table.cu — every registered op case (tests/op_cases.h, tests/cases_*.c) on the CUDA backend
// (the SIMT emulation under `make test-cuda-emu`, a GPU under `make test-gpu`), three input seeds, each
// under a different schedule (in order, then two randomised interleavings).
// Oracle: each case's own double-precision loop and its stated fp32 tolerance (the same check
// tests/test_op_table.c applies to the CPU backend). Cases whose op the CUDA backend lacks (FZ_EUNSUP) are
// reported as skipped, never as passed.
#include "cuda_test_util.h"

// Outcome of one pass over the table: how many cases ran and which were unsupported.
typedef struct {
  int done, ran, unsupported;
  char missing[2048];
} table_run;
static table_run g_run;

// Runs case c on be for seeds 1..3; returns 0 (ok), FZ_EUNSUP, or fills why and returns 1 (failure).
static int run_case(const fz_backend *be, const fz_op_case *c, char *why, size_t nwhy) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    cut_schedule(seed == 1 ? 0 : seed);
    fz_op_result res;
    memset(&res, 0, sizeof res);
    fz_err err;
    memset(&err, 0, sizeof err);
    int rc = c->fn(be, seed, &res, &err);
    if (rc == FZ_EUNSUP) return FZ_EUNSUP;
    if (rc) { snprintf(why, nwhy, "case %s (seed %llu): %s", c->name, (unsigned long long)seed, err.msg); return 1; }
    if (!(res.max_err <= res.tol)) {
      snprintf(why, nwhy, "case %s %s (seed %llu): error %.3g > tol %.3g", c->name, res.detail, (unsigned long long)seed,
               res.max_err, res.tol);
      return 1;
    }
  }
  return 0;
}

TEST(op_table_cuda) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be != NULL, "fz_backend_cuda(0): %s", err.msg);
  int n = fz_op_case_count();
  CHECKF(n >= 1, "no op cases registered");
#ifdef FZ_CUDA_EMULATED
  size_t live0 = fz_simt::live_allocations(NULL);
  uint64_t launches0 = fz_simt::launch_count();
#endif
  memset(&g_run, 0, sizeof g_run);
  // The hand-written kernels (conv2d / FFTs otherwise go to cuDNN / cuFFT: op_table_cuda_libraries).
  unsigned libs0 = fz_cuda_set_libraries(be, 0, -1);
  char why[1200] = "";
  int failed = 0;
  for (int i = 0; i < n; i++) {
    const fz_op_case *c = fz_op_case_get(i);
    int rc = run_case(be, c, why, sizeof why);
    if (rc == FZ_EUNSUP) {
      g_run.unsupported++;
      size_t o = strlen(g_run.missing);
      snprintf(g_run.missing + o, sizeof g_run.missing - o, "%s%s", o ? ", " : "", c->name);
      continue;
    }
    g_run.ran++;
    if (rc) { failed = 1; break; }
  }
  cut_schedule_default();
  fz_cuda_set_libraries(be, libs0, -1);
  g_run.done = 1;
  CHECKF(!failed, "%s", why);
  CHECKF(g_run.ran >= 1, "no op case ran on %s", be->name);
#ifdef FZ_CUDA_EMULATED
  // Every case frees what it allocates; the backend may keep one scratch buffer.
  size_t live1 = fz_simt::live_allocations(NULL);
  CHECKF(live1 <= live0 + 1, "%zu device allocations before the cases, %zu after: a leak", live0, live1);
  printf("     %s (emulated, %llu kernel launches): %d of %d op cases passed (3 seeds, 3 schedules), %d need ops "
         "the CUDA backend lacks\n", be->name, (unsigned long long)(fz_simt::launch_count() - launches0), g_run.ran, n,
         g_run.unsupported);
#else
  printf("     %s: %d of %d op cases passed (3 seeds), %d need ops the CUDA backend lacks\n", be->name, g_run.ran, n,
         g_run.unsupported);
#endif
}

// Every op case again with cuDNN and cuFFT routing on for every eligible size (threshold 0): the conv2d /
// conv1d cases with dense zero-padded geometry run through cudnnConvolutionForward, fft2 / rfft2 / irfft2 through
// cuFFT plans (the emulation's shims, kernels/cuda/simt, or the real libraries under test-gpu).
// Oracle: each case's own double-precision loop and tolerance, as op_table_cuda.
TEST(op_table_cuda_libraries) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be != NULL, "fz_backend_cuda(0): %s", err.msg);
  unsigned libs0 = fz_cuda_set_libraries(be, 3u, 0);
  fz_cuda_set_libraries(be, libs0, 0);
  if (libs0 != 3u) SKIP("this build lacks cuDNN or cuFFT (library mask %u)", libs0);
  fz_cuda_set_libraries(be, 3u, 0);
#ifdef FZ_CUDA_EMULATED
  unsigned long long dnn0 = fz_simt::cudnn_forward_calls(), fft0 = fz_simt::cufft_exec_calls();
#endif
  char why[1200] = "";
  int failed = 0, ran = 0;
  for (int i = 0; i < fz_op_case_count() && !failed; i++) {
    int rc = run_case(be, fz_op_case_get(i), why, sizeof why);
    if (rc == FZ_EUNSUP) continue;
    ran++;
    failed = rc != 0;
  }
  cut_schedule_default();
  fz_cuda_set_libraries(be, libs0, 1LL << 20);
  CHECKF(!failed, "with cuDNN / cuFFT: %s", why);
#ifdef FZ_CUDA_EMULATED
  unsigned long long dnn = fz_simt::cudnn_forward_calls() - dnn0, fft = fz_simt::cufft_exec_calls() - fft0;
  CHECKF(dnn > 0 && fft > 0, "the library routes were not taken: %llu cuDNN convolutions, %llu cuFFT executions", dnn, fft);
  printf("     %s: %d op cases passed with cuDNN / cuFFT routing (3 seeds; %llu cudnnConvolutionForward, %llu cufftExec calls)\n",
         be->name, ran, dnn, fft);
#else
  printf("     %s: %d op cases passed with cuDNN / cuFFT routing (3 seeds)\n", be->name, ran);
#endif
}

// Reports the cases the CUDA backend cannot run yet as a skip (so the runner's skip count shows them).
// Oracle: the backend table — a case is unsupported exactly when an op it calls has a NULL entry, which
// its fz_op_* wrapper reports as FZ_EUNSUP; passes when every case runs.
TEST(op_table_cuda_unsupported) {
  CUT_NEED_DEVICE();
  if (!g_run.done) {  // run on its own (test filter): find the unsupported cases with seed 1 only
    fz_err err;
    memset(&err, 0, sizeof err);
    const fz_backend *be = fz_backend_cuda(0, &err);
    CHECKF(be != NULL, "fz_backend_cuda(0): %s", err.msg);
    for (int i = 0; i < fz_op_case_count(); i++) {
      const fz_op_case *c = fz_op_case_get(i);
      fz_op_result res;
      memset(&res, 0, sizeof res);
      if (c->fn(be, 1, &res, &err) == FZ_EUNSUP) {
        g_run.unsupported++;
        size_t o = strlen(g_run.missing);
        snprintf(g_run.missing + o, sizeof g_run.missing - o, "%s%s", o ? ", " : "", c->name);
      }
    }
  }
  if (g_run.unsupported) SKIP("%d op cases need ops not on CUDA yet: %s", g_run.unsupported, g_run.missing);
}
