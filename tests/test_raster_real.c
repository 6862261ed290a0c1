// test_raster_real.c — reading the real files under shared/data (skipped when absent): the GRIP and Z-PNN
// pansharpening .mat files, the hyperspectral cubes, a TNO PNG and a Lytro JPEG.
// Expected values were read once with Python (scipy.io.loadmat for .mat, Pillow for PNG/JPEG), e.g.
//   d = scipy.io.loadmat(f); d["I_MS"][y, x, c]   (MATLAB H×W×C, so raster sample (c, y, x))
//   numpy.asarray(PIL.Image.open(f))[y, x, c]; .reshape(-1, 3).sum(0) for the channel sums
// and are written here as literals; fusor's output was never used to make them.
#include "test.h"
#include "fusor.h"
#include "raster.h"
#include <stdlib.h>
#include <string.h>

typedef struct { int c, y, x; double v; } px_ref;

// Reads key of rel and checks size, source dtype, scale and the listed pixels exactly.
static const char *check_mat(const char *rel, const char *key, int C, int H, int W, fz_dtype dt, double scale,
                             const px_ref *px, int npx, char *why, size_t n) {
  const char *p = fz_test_shared(rel);
  if (!p) return "absent";
  fz_raster r;
  fz_err err = {0};
  fz_raster_sel sel = {key, 0};
  if (fz_raster_read(p, &sel, &r, &err)) { snprintf(why, n, "%s %s: %.400s", rel, key, err.msg); return why; }
  if (r.c != C || r.h != H || r.w != W || r.src_dtype != dt || r.scale != scale) {
    snprintf(why, n, "%s %s: %d x %d x %d %s scale %g, expected %d x %d x %d %s scale %g", rel, key, r.c, r.h, r.w,
             fz_dtype_name(r.src_dtype), r.scale, C, H, W, fz_dtype_name(dt), scale);
    fz_raster_free(&r);
    return why;
  }
  for (int i = 0; i < npx; i++) {
    float v = r.data[((size_t)px[i].c * H + px[i].y) * W + px[i].x];
    if (fabs(v - px[i].v) > 1e-6 * (1 + fabs(px[i].v))) {
      snprintf(why, n, "%s %s (c=%d, y=%d, x=%d) = %.9g, scipy says %.9g", rel, key, px[i].c, px[i].y, px[i].x, v, px[i].v);
      fz_raster_free(&r);
      return why;
    }
  }
  fz_raster_free(&r);
  return NULL;
}

#define MAT_CASE(rel, key, C, H, W, dt, scale, ...)                                                       \
  do {                                                                                                   \
    static const px_ref px_[] = {__VA_ARGS__};                                                           \
    char why_[512];                                                                                      \
    const char *e_ = check_mat(rel, key, C, H, W, dt, scale, px_, (int)(sizeof px_ / sizeof px_[0]), why_, sizeof why_); \
    if (e_ && !strcmp(e_, "absent")) SKIP("%s not in shared/", rel);                                     \
    CHECKF(!e_, "%s", e_);                                                                               \
  } while (0)

// Oracle: scipy.io.loadmat of the same files (sizes, dtypes as in PROVENANCE.md; pixel values).
TEST(raster_real_grip_wv2_ik_ge1) {
#ifndef FZ_HAVE_MATIO
  SKIP("built without matio");
#else
  MAT_CASE("data/pansharpening/grip_imgWV2.mat", "I_PAN", 1, 1280, 1280, FZ_U16, 2047,
           {0, 0, 0, 143}, {0, 17, 1001, 257}, {0, 1279, 3, 352}, {0, 640, 1279, 296});
  MAT_CASE("data/pansharpening/grip_imgWV2.mat", "I_MS", 8, 320, 320, FZ_U16, 2047,
           {0, 0, 0, 361}, {7, 10, 300, 336}, {3, 319, 1, 258}, {5, 123, 45, 325});
  MAT_CASE("data/pansharpening/grip_imgIK.mat", "I_PAN", 1, 1280, 1280, FZ_U16, 2047, {0, 0, 0, 432}, {0, 17, 1001, 456}, {0, 1279, 3, 432});
  MAT_CASE("data/pansharpening/grip_imgIK.mat", "I_MS", 4, 320, 320, FZ_U16, 2047, {0, 0, 0, 392}, {3, 10, 300, 680}, {2, 319, 1, 488});
  MAT_CASE("data/pansharpening/grip_imgGE1.mat", "I_PAN", 1, 1280, 1280, FZ_U8, 255, {0, 0, 0, 48}, {0, 17, 1001, 65}, {0, 1279, 3, 46});
  MAT_CASE("data/pansharpening/grip_imgGE1.mat", "I_MS", 4, 320, 320, FZ_U8, 255, {0, 0, 0, 62}, {3, 10, 300, 75}, {2, 319, 1, 35});
#endif
}

// Oracle: scipy.io.loadmat (Z-PNN example has I_PAN and I_MS_LR, no L: scale 1 for uint16).
TEST(raster_real_zpnn_wv3) {
#ifndef FZ_HAVE_MATIO
  SKIP("built without matio");
#else
  MAT_CASE("data/pansharpening/zpnn_WV3_example.mat", "I_PAN", 1, 128, 128, FZ_U16, 1, {0, 0, 0, 411}, {0, 5, 100, 495}, {0, 127, 2, 808});
  MAT_CASE("data/pansharpening/zpnn_WV3_example.mat", "I_MS_LR", 8, 32, 32, FZ_U16, 1, {0, 0, 0, 308}, {7, 3, 30, 744}, {4, 31, 1, 451});
#endif
}

// Oracle: scipy.io.loadmat; Jasper Ridge cube = numpy Y.reshape(198, 100, 100, order='F')[b, y, x]
// (PROVENANCE.md: MATLAB reshape(Y,[198,100,100])); Urban im[y, x, c] float64. Y's MATLAB class is double
// (loadmat(f, mat_dtype=True) gives float64; the file stores the values compactly as uint16), so src f32.
TEST(raster_real_hsi_cubes) {
#ifndef FZ_HAVE_MATIO
  SKIP("built without matio");
#else
  MAT_CASE("data/hsi/subimage_Urban_R162.mat", "im", 162, 34, 78, FZ_F32, 1,
           {0, 0, 0, 0.035}, {161, 33, 77, 0.061}, {100, 5, 60, 0.119});
  MAT_CASE("data/hsi/jasperRidge2_R198.mat", "Y:100x100", 198, 100, 100, FZ_F32, 1,
           {0, 0, 0, 101}, {197, 99, 99, 372}, {50, 3, 70, 2229}, {120, 80, 7, 217});
  MAT_CASE("data/hsi/jasperRidge2_R198.mat", "Y", 1, 198, 10000, FZ_F32, 1, {0, 5, 1234, 397});
#endif
}

// Oracle: the variables scipy.io.loadmat(f, mat_dtype=True) lists for grip_imgWV2.mat (MATLAB classes),
// and its values sensor = 'WV2', ratio = 4, L = 11; without a key the reader must refuse
// (two image variables) and name them.
TEST(raster_real_mat_listing_and_default_key) {
#ifndef FZ_HAVE_MATIO
  SKIP("built without matio");
#else
  const char *p = fz_test_shared("data/pansharpening/grip_imgWV2.mat");
  if (!p) SKIP("grip_imgWV2.mat not in shared/");
  fz_err err = {0};
  fz_var_info v[16];
  int n = fz_raster_list_vars(p, v, 16, &err);
  CHECKF(n == 6, "%d variables: %s", n, err.msg);
  int seen = 0;
  for (int i = 0; i < n; i++) {
    if (!strcmp(v[i].name, "I_MS")) seen += v[i].ndim == 3 && v[i].dims[0] == 320 && v[i].dims[2] == 8 && !strcmp(v[i].type, "uint16");
    if (!strcmp(v[i].name, "sensor")) seen += !strcmp(v[i].type, "char");
    if (!strcmp(v[i].name, "L")) seen += !strcmp(v[i].type, "double");  // class double, stored as uint8
  }
  CHECK(seen == 3);
  fz_raster r;
  CHECK(fz_raster_read(p, NULL, &r, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "I_MS (320x320x8 uint16)") && strstr(err.msg, "I_PAN (1280x1280 uint16)"), "%s", err.msg);
  fz_raster_sel sel = {"sensor", 0};
  CHECK(fz_raster_read(p, &sel, &r, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "char"), "%s", err.msg);
  char sensor[32];
  double ratio = 0, L = 0;
  CHECK_OK(fz_mat_read_string(p, "sensor", sensor, sizeof sensor, &err), &err);
  CHECKF(!strcmp(sensor, "WV2"), "sensor '%s'", sensor);
  CHECK_OK(fz_mat_read_scalar(p, "ratio", &ratio, &err), &err);
  CHECK_OK(fz_mat_read_scalar(p, "L", &L, &err), &err);
  CHECK(ratio == 4 && L == 11);
  CHECK(fz_mat_read_scalar(p, "sensor", &L, &err) == FZ_EINVAL);
  CHECK(fz_mat_read_string(p, "nope", sensor, sizeof sensor, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "no variable 'nope'") && strstr(err.msg, "I_PAN"), "%s", err.msg);
  CHECK(fz_mat_read_string(p, "sensor", sensor, 3, &err) == FZ_EINVAL);  // 'WV2' needs 4 bytes
#endif
}

// Oracle: Pillow — TNO ir/01.png is 768x576 RGB (equal channels), channel sums 56505251 each, and
// pixels (1,123,456)=132, (2,575,0)=129, (0,0,767)=220.
TEST(raster_real_tno_png) {
#ifndef FZ_HAVE_STB
  SKIP("built without stb");
#else
  const char *p = fz_test_shared("data/visir/TNO/ir/01.png");
  if (!p) SKIP("TNO ir/01.png not in shared/");
  fz_err err = {0};
  fz_raster r;
  CHECK_OK(fz_raster_read(p, NULL, &r, &err), &err);
  CHECK(r.c == 3 && r.h == 576 && r.w == 768 && r.src_dtype == FZ_U8 && r.scale == 255);
  size_t hw = (size_t)576 * 768;
  for (int c = 0; c < 3; c++) {
    double s = 0;
    for (size_t i = 0; i < hw; i++) s += r.data[c * hw + i];
    CHECKF(s == 56505251, "channel %d sum %.0f", c, s);
  }
  CHECK(r.data[1 * hw + 123 * 768 + 456] == 132);
  CHECK(r.data[2 * hw + 575 * 768 + 0] == 129);
  CHECK(r.data[0 * hw + 0 * 768 + 767] == 220);
  fz_raster_free(&r);
#endif
}

// Oracle: Pillow (libjpeg) — lytro_01_A.jpg is 520x520 RGB; channel sums 38126812 / 38426007 / 26764999 and
// pixel (y=200, x=300) = (162, 167, 144). JPEG decoders may differ slightly (IDCT, chroma upsampling; stb vs
// libjpeg differ by at most 3 DN on this file, 0.1 DN on the channel means), so the tolerance is 0.2 DN on each
// channel mean and 3 DN per pixel.
TEST(raster_real_lytro_jpeg) {
#ifndef FZ_HAVE_STB
  SKIP("built without stb");
#else
  const char *p = fz_test_shared("data/mff/lytro/lytro_01_A.jpg");
  if (!p) SKIP("lytro_01_A.jpg not in shared/");
  fz_err err = {0};
  fz_raster r;
  CHECK_OK(fz_raster_read(p, NULL, &r, &err), &err);
  CHECK(r.c == 3 && r.h == 520 && r.w == 520 && r.src_dtype == FZ_U8);
  size_t hw = (size_t)520 * 520;
  const double sums[3] = {38126812, 38426007, 26764999}, px[3] = {162, 167, 144};
  for (int c = 0; c < 3; c++) {
    double s = 0;
    for (size_t i = 0; i < hw; i++) s += r.data[c * hw + i];
    CHECKF(fabs(s / hw - sums[c] / hw) <= 0.2, "channel %d mean %.3f, Pillow %.3f", c, s / hw, sums[c] / hw);
    CHECK_NEAR(r.data[c * hw + 200 * 520 + 300], px[c], 3);
  }
  fz_raster_free(&r);
#endif
}
