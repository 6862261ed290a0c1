// test_selftest.cu — `fusor selftest` (bench/selftest.h) on the CUDA backend (emulated under test-cuda-emu).
// Oracle: the CPU backend, op by op, within the op-case table's fp32 tolerances (the function's own check);
// the test also checks that the report names every op and is labelled emulated under the emulation.
#include "cuda_test_util.h"
extern "C" {
#include "../../bench/selftest.h"
}

TEST(cuda_selftest_report) {
  CUT_NEED_DEVICE();
  fz_err err;
  memset(&err, 0, sizeof err);
  const fz_backend *be = fz_backend_cuda(0, &err);
  CHECKF(be, "%s", err.msg);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  CHECK(f != NULL);
#ifdef FZ_CUDA_EMULATED
  const char *label = "emulated";
#else
  const char *label = "GPU";  // (full sizes on a GPU would be fine; small keeps both builds alike)
#endif
  int rc = fz_selftest_run(be, label, 1, 1, f, &err);
  fclose(f);
  printf("%s", buf);
  int named = strstr(buf, "conv2d") && strstr(buf, "linear") && strstr(buf, "attention") && strstr(buf, "selective_scan") &&
              strstr(buf, "GB/s") && !strstr(buf, "FAIL");
#ifdef FZ_CUDA_EMULATED
  named = named && strstr(buf, "not of a GPU");
#endif
  free(buf);
  CHECKF(rc == 0, "%s", err.msg);
  CHECK(named);
}
