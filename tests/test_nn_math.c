// test_nn_math.c — accuracy of the vectorised float math behind the activations (kernels/cpu/vmath_nn.h)
// and the IEEE special-value behaviour of activations, softmax and pooling (PyTorch semantics).
#include "test.h"
#include "fusor.h"
#include "vmath_nn.h"
#include <stdlib.h>
#include <string.h>

// Oracle: double-precision libm exp/erf/tanh/log1p/sin on dense sweeps (bounds are those the header promises).
TEST(nn_vmath_accuracy_sweeps) {
  const int n = 400000;
  double e_exp = 0, e_erf = 0, e_tanh = 0, e_log = 0, e_sin = 0;
  for (int i = 0; i <= n; i++) {
    float x = -87.0f + (88.7f + 87.0f) * (float)i / (float)n;
    double r = exp((double)x);
    e_exp = fmax(e_exp, fabs(fz_vexp(x) - r) / r);
    float y = -6.0f + 12.0f * (float)i / (float)n;
    e_erf = fmax(e_erf, fabs(fz_verf(y) - erf(y)));
    if (y != 0) e_tanh = fmax(e_tanh, fabs(fz_vtanh(y) - tanh(y)) / fabs(tanh(y)));
    float t = (float)i / (float)n;
    if (t > 0) e_log = fmax(e_log, fabs(fz_vlog1p01(t) - log1p(t)) / log1p(t));
    float z = -8192.0f + 16384.0f * (float)i / (float)n;
    e_sin = fmax(e_sin, fabs(fz_vsin(z) - sin(z)));
  }
  for (int k = 1; k < 150; k++) {  // tiny arguments: log1p(t) ≈ t must keep full relative accuracy
    float t = ldexpf(1.0f, -k);
    e_log = fmax(e_log, fabs(fz_vlog1p01(t) - log1p(t)) / log1p(t));
    e_tanh = fmax(e_tanh, fabs(fz_vtanh(t) - tanh(t)) / tanh(t));
  }
  CHECKF(e_exp <= 1.5 * 5.96e-8, "exp relative error %.3g > 1.5 ulp", e_exp);
  CHECKF(e_erf <= 3e-7, "erf absolute error %.3g > 3e-7", e_erf);
  CHECKF(e_tanh <= 4e-7, "tanh relative error %.3g > 4e-7", e_tanh);
  CHECKF(e_log <= 4e-7, "log1p relative error %.3g > 4e-7", e_log);
  CHECKF(e_sin <= 1.5e-7, "sin absolute error %.3g > 1.5e-7", e_sin);
}

// Oracle: IEEE-754 limits of the PyTorch definitions — exp(+inf) = inf, exp(-inf) = 0, exp(-100) is the
// denormal 3.72e-44 (libm), exp(88.8) overflows, NaN propagates.
TEST(nn_vmath_special_values) {
  CHECK(isinf(fz_vexp(INFINITY)) && fz_vexp(INFINITY) > 0);
  CHECK(fz_vexp(-INFINITY) == 0.0f);
  CHECK_NEAR(fz_vexp(-100.0f), expf(-100.0f), 3e-45);
  CHECK(isinf(fz_vexp(88.8f)));
  CHECK(isfinite(fz_vexp(88.7f)));
  CHECK(isnan(fz_vexp(NAN)));
  CHECK(fz_verf(INFINITY) == 1.0f && fz_verf(-INFINITY) == -1.0f);
  CHECK(fz_vtanh(INFINITY) == 1.0f && fz_vtanh(-INFINITY) == -1.0f);
  CHECK(fz_vsigmoid(-INFINITY) == 0.0f && fz_vsigmoid(INFINITY) == 1.0f);
}

// Oracle: torch.nn.functional on special inputs: relu/leaky_relu/sigmoid/tanh/softplus/silu of NaN are
// NaN; relu(+inf) = inf, sigmoid(±inf) = 1/0, tanh(±inf) = ±1, softplus(+inf) = inf (threshold branch),
// softplus(-inf) = 0, silu(+inf) = inf, gelu(+inf) = inf.
TEST(nn_act_special_inputs) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  float in[3] = {NAN, INFINITY, -INFINITY}, got[3];
  fz_tensor x, o;
  int64_t shp[1] = {3};
  CHECK_OK(fz_tensor_alloc(&x, be, FZ_F32, 1, shp, &err), &err);
  CHECK_OK(fz_tensor_alloc(&o, be, FZ_F32, 1, shp, &err), &err);
  memcpy(x.data, in, sizeof in);
  struct { int act; float p0, p1, pinf, ninf; } k[] = {
      {FZ_ACT_RELU, 0, 0, INFINITY, 0.0f},       {FZ_ACT_LEAKY_RELU, 0.1f, 0, INFINITY, -INFINITY},
      {FZ_ACT_SIGMOID, 0, 0, 1.0f, 0.0f},        {FZ_ACT_TANH, 0, 0, 1.0f, -1.0f},
      {FZ_ACT_SOFTPLUS, 1, 20, INFINITY, 0.0f},  {FZ_ACT_SILU, 0, 0, INFINITY, NAN},
      {FZ_ACT_GELU, 0, 0, INFINITY, NAN},        {FZ_ACT_GELU_TANH, 0, 0, INFINITY, NAN}};
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    CHECK_OK(fz_op_act(be, &o, &x, k[i].act, k[i].p0, k[i].p1, &err), &err);
    memcpy(got, o.data, sizeof got);
    CHECKF(isnan(got[0]), "%s(NaN) = %g, expected NaN", fz_act_name(k[i].act), got[0]);
    CHECKF(got[1] == k[i].pinf, "%s(+inf) = %g, expected %g", fz_act_name(k[i].act), got[1], k[i].pinf);
    if (!isnan(k[i].ninf))  // -inf·0 forms (silu, gelu) are NaN in a literal evaluation; not asserted
      CHECKF(got[2] == k[i].ninf, "%s(-inf) = %g, expected %g", fz_act_name(k[i].act), got[2], k[i].ninf);
  }
  fz_tensor_free(&x);
  fz_tensor_free(&o);
}

// Oracle: torch.softmax([-inf, 0, -inf]) = [0, 1, 0]; a NaN in a row makes the row NaN; max pooling
// propagates NaN; clamp keeps NaN (torch.clamp).
TEST(nn_softmax_pool_clamp_special) {
  const fz_backend *be = fz_backend_cpu(2);
  fz_err err = {0};
  fz_tensor x, o;
  int64_t s23[2] = {2, 3}, s21[2] = {2, 1};
  CHECK_OK(fz_tensor_alloc(&x, be, FZ_F32, 2, s23, &err), &err);
  CHECK_OK(fz_tensor_alloc(&o, be, FZ_F32, 2, s23, &err), &err);
  float in[6] = {-INFINITY, 0, -INFINITY, 1, NAN, 2}, r[6];
  memcpy(x.data, in, sizeof in);
  CHECK_OK(fz_op_softmax(be, &o, &x, -1, &err), &err);
  memcpy(r, o.data, sizeof r);
  CHECK(r[0] == 0 && r[1] == 1 && r[2] == 0);
  CHECK(isnan(r[3]) && isnan(r[4]) && isnan(r[5]));
  CHECK_OK(fz_op_clamp(be, &o, &x, -1, 1, &err), &err);
  memcpy(r, o.data, sizeof r);
  CHECK(r[0] == -1 && r[1] == 0 && r[3] == 1 && isnan(r[4]) && r[5] == 1);
  fz_tensor x4 = x, p;
  x4.ndim = 3; x4.shape[0] = 2; x4.shape[1] = 1; x4.shape[2] = 3; x4.owns = 0;
  CHECK_OK(fz_tensor_alloc(&p, be, FZ_F32, 2, s21, &err), &err);
  CHECK_OK(fz_op_global_pool(be, &p, &x4, FZ_POOL_MAX, &err), &err);
  memcpy(r, p.data, 2 * sizeof *r);
  CHECK(r[0] == 0 && isnan(r[1]));
  fz_tensor_free(&p);
  fz_tensor_free(&x);
  fz_tensor_free(&o);
}

// Oracle: libm sinf — arguments beyond the vector range (|x| > 8192, non-finite) take sinf's exact
// reduction, also in place; NaN/inf give NaN as in torch.sin.
TEST(nn_sin_large_arguments) {
  const fz_backend *be = fz_backend_cpu(1);
  fz_err err = {0};
  float in[6] = {1e6f, -123456.7f, 8193.0f, 3.0f, INFINITY, NAN}, got[6];
  fz_tensor x;
  int64_t shp[1] = {6};
  CHECK_OK(fz_tensor_alloc(&x, be, FZ_F32, 1, shp, &err), &err);
  memcpy(x.data, in, sizeof in);
  CHECK_OK(fz_op_act(be, &x, &x, FZ_ACT_SIN, 0, 0, &err), &err);
  memcpy(got, x.data, sizeof got);
  fz_tensor_free(&x);
  for (int i = 0; i < 3; i++) CHECKF(got[i] == sinf(in[i]), "sin(%g) = %.9g, libm %.9g", in[i], got[i], sinf(in[i]));
  CHECK_NEAR(got[3], sin(3.0), 1.5e-7);
  CHECK(isnan(got[4]) && isnan(got[5]));
}
