// op_cases.h — one table of op cases that any backend can be run through (like ggml's test-backend-ops).
// A case builds its inputs from a seed on the host, uploads them to the backend under test, runs the
// op through its fz_op_* wrapper, downloads the result and compares it against its own plain
// double-precision loop. tests/test_op_table.c runs every case on the CPU backend; the CUDA issue
// runs the same table on the emulated CUDA backend.
#ifndef FZ_OP_CASES_H
#define FZ_OP_CASES_H
#include "fusor.h"

typedef struct fz_op_result {
  double max_err;   // max over elements of |got - ref| / (atol_scale + |ref|) as the case defines it
  double tol;       // the case's stated tolerance for fp32
  char detail[256]; // shape / parameter description for failure messages
} fz_op_result;

// Runs the case on backend be with inputs from seed; fills res. Returns 0 or an fz_code with err.
typedef int (*fz_op_case_fn)(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err);
typedef struct { const char *name; fz_op_case_fn fn; } fz_op_case;

void fz_op_case_register(const char *name, fz_op_case_fn fn);
int fz_op_case_count(void);
const fz_op_case *fz_op_case_get(int i);

// Registers a case at program start: FZ_OP_CASE(conv2d_3x3_pad1) { ... }
#define FZ_OP_CASE(name)                                                                   \
  static int opcase_##name(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err); \
  __attribute__((constructor)) static void reg_opcase_##name(void) { fz_op_case_register(#name, opcase_##name); } \
  static int opcase_##name(const fz_backend *be, uint64_t seed, fz_op_result *res, fz_err *err)

// Helpers for cases: a backend tensor filled with uniform values in [lo, hi) from (seed, stream),
// also returned as a host copy in *host (malloc'd, caller frees).
int fz_case_rand(const fz_backend *be, fz_tensor *t, int ndim, const int64_t *shape, uint64_t seed,
                 uint64_t stream, float lo, float hi, float **host, fz_err *err);
// Storage precision of the inputs fz_case_rand makes (FZ_F32 by default): FZ_BF16 / FZ_F16 round every value
// to that type first, so a case's double-loop reference sees exactly the 16-bit inputs (tests/cuda/test_precision.cu).
extern fz_dtype fz_case_input_dtype;
// Downloads t into a new malloc'd host array.
float *fz_case_download(const fz_tensor *t, fz_err *err);
// max_i |got[i]-ref[i]| / (1 + |ref[i]|) — a mixed absolute/relative error.
double fz_case_err(const float *got, const double *ref, int64_t n);
#endif
