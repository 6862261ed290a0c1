// test_op_table.c — runs every registered op case on the CPU backend (1 and 2 threads, 3 seeds).
#include "op_cases.h"
#include "test.h"

TEST(op_table_cpu) {
  const fz_backend *bes[2] = {fz_backend_cpu(1), fz_backend_cpu(2)};
  int n = fz_op_case_count();
  CHECKF(n >= 1, "no op cases registered");
  for (int i = 0; i < n; i++) {
    const fz_op_case *c = fz_op_case_get(i);
    for (int b = 0; b < 2; b++)
      for (uint64_t seed = 1; seed <= 3; seed++) {
        fz_op_result res = {0};
        fz_err err = {0};
        int rc = c->fn(bes[b], seed, &res, &err);
        CHECKF(rc == 0, "case %s (seed %llu, %d threads): %s", c->name, (unsigned long long)seed, b + 1, err.msg);
        CHECKF(res.max_err <= res.tol, "case %s %s (seed %llu, %d threads): error %.3g > tol %.3g", c->name,
               res.detail, (unsigned long long)seed, b + 1, res.max_err, res.tol);
      }
  }
}
