// test_raster.c — raster round trips for every format and output dtype (GeoTIFF, PanCollection HDF5,
// .mat v5/v7.3, PNG 8/16-bit, JPEG), each checked against an independent reader/writer where one exists
// (raw GDAL / HDF5 / matio / stb calls), plus the helper functions (tensor conversion, checks, quicklook).
#include "test.h"
#include "fusor.h"
#include "raster.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_HAVE_GDAL
#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#endif
#ifdef FZ_HAVE_HDF5
#include <hdf5.h>
#endif
#ifdef FZ_HAVE_MATIO
#include <matio.h>
#endif
#ifdef FZ_HAVE_STB
#include <stb_image.h>
#endif

// Fills r (c×h×w) with a deterministic pattern of exact integers below `range` (or fractional values when frac).
static void fill_pattern(fz_raster *r, int range, int frac) {
  size_t n = (size_t)r->c * r->h * r->w;
  uint32_t s = 12345;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    r->data[i] = frac ? (float)((s >> 8) % 100000) / 977.0f - 40.0f : (float)((s >> 8) % (uint32_t)range);
  }
}

// dir/name in one of 8 rotating static buffers.
static char *path_in(const char *dir, const char *name) {
  static char buf[8][512];
  static int k;
  char *b = buf[k++ & 7];
  snprintf(b, 512, "%s/%s", dir, name);
  return b;
}

// ---------------------------------------------------------------- GeoTIFF

#ifdef FZ_HAVE_GDAL
// WKT of EPSG:32633 as GDAL's OSR writes it (malloc'd).
static char *utm33_wkt(void) {
  OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
  OSRImportFromEPSG(s, 32633);
  char *w = NULL;
  OSRExportToWkt(s, &w);
  char *out = strdup(w);
  CPLFree(w);
  OSRDestroySpatialReference(s);
  return out;
}
#endif

// Oracle: the input itself — samples, geotransform, projection (string-equal, else OSRIsSame), nodata,
// band descriptions and scale written must come back unchanged; GDAL's own API reports DEFLATE and tiling.
TEST(raster_geotiff_roundtrip_all_dtypes) {
#ifndef FZ_HAVE_GDAL
  SKIP("built without GDAL");
#else
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  fz_dtype dts[4] = {FZ_U8, FZ_U16, FZ_F32, FZ_RASTER_F64};
  const char *names[4] = {"u8.tif", "u16.tif", "f32.tif", "f64.tif"};
  double nodata[4] = {7, 65535, -9999.5, -1e30};
  char *wkt = utm33_wkt();
  for (int k = 0; k < 4; k++) {
    fz_raster r, b;
    int big = k == 1;  // the u16 case is wide enough to be tiled
    CHECK_OK(fz_raster_alloc(&r, 3, big ? 40 : 37, big ? 600 : 53, &err), &err);
    fill_pattern(&r, k == 0 ? 256 : 65536, k >= 2);
    double gt[6] = {500000.5, 10, 0, 4600000.25, 0, -10};
    r.geo.has_transform = 1;
    memcpy(r.geo.transform, gt, sizeof gt);
    r.geo.projection = strdup(wkt);
    r.geo.has_nodata = 1;
    r.geo.nodata = nodata[k];
    r.geo.nbands_desc = 3;
    r.geo.band_desc = calloc(3, sizeof(char *));
    r.geo.band_desc[0] = strdup("blue (450-510 nm)");
    r.geo.band_desc[1] = strdup("green");
    r.scale = k == 1 ? 2047 : 1;
    const char *p = path_in(dir, names[k]);
    CHECK_OK(fz_raster_write(p, &r, dts[k], 0, NULL, &err), &err);
    CHECK_OK(fz_raster_read(p, NULL, &b, &err), &err);
    CHECK(b.c == 3 && b.h == r.h && b.w == r.w);
    size_t n = (size_t)r.c * r.h * r.w;
    for (size_t i = 0; i < n; i++) CHECKF(b.data[i] == r.data[i], "%s sample %zu: %g != %g", names[k], i, b.data[i], r.data[i]);
    CHECK(b.src_dtype == (k == 0 ? FZ_U8 : k == 1 ? FZ_U16 : FZ_F32));
    CHECK(b.geo.has_transform && memcmp(b.geo.transform, gt, sizeof gt) == 0);
    CHECK(b.geo.has_nodata && b.geo.nodata == nodata[k]);
    CHECK(b.geo.projection != NULL);
    if (strcmp(b.geo.projection, wkt) != 0) {
      OGRSpatialReferenceH s1 = OSRNewSpatialReference(wkt), s2 = OSRNewSpatialReference(b.geo.projection);
      int same = OSRIsSame(s1, s2);
      OSRDestroySpatialReference(s1);
      OSRDestroySpatialReference(s2);
      CHECKF(same, "projection changed: %s", b.geo.projection);
    }
    CHECK(b.geo.band_desc && b.geo.nbands_desc == 3);
    CHECK(!strcmp(b.geo.band_desc[0], "blue (450-510 nm)") && !strcmp(b.geo.band_desc[1], "green") && b.geo.band_desc[2] == NULL);
    CHECK_NEAR(b.scale, k == 0 ? 255 : k == 1 ? 2047 : 1, 0);
    char crs[256];
    CHECKF(strstr(fz_geo_crs_name(&b.geo, crs, sizeof crs), "32633") != NULL, "crs name %s", crs);
    GDALDatasetH ds = GDALOpen(p, GA_ReadOnly);
    CHECK(ds != NULL);
    const char *cm = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
    char comp[32];
    snprintf(comp, sizeof comp, "%s", cm ? cm : "none");
    int bx, by;
    GDALGetBlockSize(GDALGetRasterBand(ds, 1), &bx, &by);
    GDALClose(ds);
    CHECKF(!strcmp(comp, "DEFLATE"), "compression %s", comp);
    if (big) CHECKF(bx == 256 && by == 256, "big image blocks %dx%d, expected 256x256 tiles", bx, by);
    else CHECKF(bx == r.w, "small image blocks %dx%d, expected strips", bx, by);
    fz_raster_free(&r);
    fz_raster_free(&b);
  }
  free(wkt);
#endif
}

// ---------------------------------------------------------------- HDF5

#ifdef FZ_HAVE_HDF5
// v(n, c, y, x) written by the independent-writer test.
static double h5_val(int n, int c, int y, int x) { return n * 1000 + c * 100 + y * 10 + x + 0.25; }
#endif

// Oracle: a file written with the raw HDF5 C API (float64 'lms', float32 'pan') holding the closed form
// v(n,c,y,x) = 1000n + 100c + 10y + x + 0.25; fusor must read exactly those values at every position.
TEST(raster_h5_reads_independently_written_file) {
#ifndef FZ_HAVE_HDF5
  SKIP("built without HDF5");
#else
  const char *p = path_in(fz_test_tmpdir(), "indep.h5");
  hid_t f = H5Fcreate(p, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t d1[4] = {3, 2, 5, 7}, d2[4] = {3, 1, 5, 7};
  double *a = malloc(3 * 2 * 5 * 7 * sizeof(double));
  float *b = malloc(3 * 1 * 5 * 7 * sizeof(float));
  for (int n = 0; n < 3; n++)
    for (int c = 0; c < 2; c++)
      for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++) {
          a[((n * 2 + c) * 5 + y) * 7 + x] = h5_val(n, c, y, x);
          if (c == 0) b[(n * 5 + y) * 7 + x] = (float)h5_val(n, 0, y, x);
        }
  hid_t s1 = H5Screate_simple(4, d1, NULL), s2 = H5Screate_simple(4, d2, NULL);
  hid_t ds1 = H5Dcreate2(f, "lms", H5T_IEEE_F64LE, s1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t ds2 = H5Dcreate2(f, "pan", H5T_IEEE_F32LE, s2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds1, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a);
  H5Dwrite(ds2, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, b);
  H5Dclose(ds1); H5Dclose(ds2); H5Sclose(s1); H5Sclose(s2); H5Fclose(f);
  free(a); free(b);
  fz_err err = {0};
  int n = 0;
  CHECK_OK(fz_h5_count(p, "lms", &n, &err), &err);
  CHECK(n == 3);
  fz_raster r;
  fz_raster_sel sel = {"lms", 2};
  CHECK_OK(fz_raster_read(p, &sel, &r, &err), &err);
  CHECK(r.c == 2 && r.h == 5 && r.w == 7);
  for (int c = 0; c < 2; c++)
    for (int y = 0; y < 5; y++)
      for (int x = 0; x < 7; x++) CHECK(r.data[(c * 5 + y) * 7 + x] == (float)h5_val(2, c, y, x));
  fz_raster_free(&r);
  sel = (fz_raster_sel){"pan", 1};
  CHECK_OK(fz_raster_read(p, &sel, &r, &err), &err);
  CHECK(r.c == 1 && r.data[3 * 7 + 4] == (float)h5_val(1, 0, 3, 4));
  fz_raster_free(&r);
  fz_var_info v[8];
  CHECK(fz_raster_list_vars(p, v, 8, &err) == 2);
  CHECK(!strcmp(v[0].name, "lms") && v[0].ndim == 4 && v[0].dims[0] == 3 && !strcmp(v[0].type, "double"));
  CHECK(!strcmp(v[1].name, "pan") && !strcmp(v[1].type, "single"));
#endif
}

// Oracle: the raw HDF5 API reads fusor's file back — float64 datasets N×C×H×W with the written samples —
// and fusor's reader returns each image unchanged (2 images per key, 4 keys with different shapes).
TEST(raster_h5_pancollection_roundtrip) {
#ifndef FZ_HAVE_HDF5
  SKIP("built without HDF5");
#else
  const char *p = path_in(fz_test_tmpdir(), "pc.h5");
  fz_err err = {0};
  fz_raster gt[2], ms[2], lms[2], pan[2];
  for (int i = 0; i < 2; i++) {
    CHECK_OK(fz_raster_alloc(&gt[i], 4, 16, 12, &err), &err);
    CHECK_OK(fz_raster_alloc(&ms[i], 4, 4, 3, &err), &err);
    CHECK_OK(fz_raster_alloc(&lms[i], 4, 16, 12, &err), &err);
    CHECK_OK(fz_raster_alloc(&pan[i], 1, 16, 12, &err), &err);
    fill_pattern(&gt[i], 2048, 0); gt[i].data[0] = (float)i;
    fill_pattern(&ms[i], 2048, 1); ms[i].data[1] = (float)(i + 100);
    fill_pattern(&lms[i], 2048, 1); lms[i].data[2] = (float)(i + 200);
    fill_pattern(&pan[i], 2048, 0); pan[i].data[3] = (float)(i + 300);
  }
  CHECK_OK(fz_h5_write_pancollection(p, 2, gt, ms, lms, pan, 0, &err), &err);
  hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(f >= 0);
  hid_t d = H5Dopen2(f, "ms", H5P_DEFAULT), s = H5Dget_space(d), t = H5Dget_type(d);
  hsize_t dims[4];
  CHECK(H5Sget_simple_extent_ndims(s) == 4);
  H5Sget_simple_extent_dims(s, dims, NULL);
  int is_f64 = H5Tget_class(t) == H5T_FLOAT && H5Tget_size(t) == 8;
  double all[2 * 4 * 4 * 3];
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all);
  H5Tclose(t); H5Sclose(s); H5Dclose(d); H5Fclose(f);
  CHECK(is_f64);
  CHECK(dims[0] == 2 && dims[1] == 4 && dims[2] == 4 && dims[3] == 3);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 48; j++) CHECK(all[i * 48 + j] == (double)ms[i].data[j]);
  const char *keys[4] = {"gt", "ms", "lms", "pan"};
  fz_raster *arr[4] = {gt, ms, lms, pan};
  for (int k = 0; k < 4; k++) {
    int n = 0;
    CHECK_OK(fz_h5_count(p, keys[k], &n, &err), &err);
    CHECK(n == 2);
    for (int i = 0; i < 2; i++) {
      fz_raster r;
      fz_raster_sel sel = {keys[k], i};
      CHECK_OK(fz_raster_read(p, &sel, &r, &err), &err);
      CHECK(r.c == arr[k][i].c && r.h == arr[k][i].h && r.w == arr[k][i].w);
      CHECKF(memcmp(r.data, arr[k][i].data, (size_t)r.c * r.h * r.w * 4) == 0, "%s[%d] differs", keys[k], i);
      fz_raster_free(&r);
    }
  }
  // a single image through fz_raster_write lands in dataset "sr" (default key) as 1×C×H×W float64
  const char *q = path_in(fz_test_tmpdir(), "one.h5");
  CHECK_OK(fz_raster_write(q, &ms[1], FZ_F32, 0, NULL, &err), &err);
  fz_var_info v[4];
  CHECK(fz_raster_list_vars(q, v, 4, &err) == 1);
  CHECK(!strcmp(v[0].name, "sr") && v[0].ndim == 4 && v[0].dims[0] == 1 && v[0].dims[1] == 4 && !strcmp(v[0].type, "double"));
  fz_raster one;
  CHECK_OK(fz_raster_read(q, NULL, &one, &err), &err);  // the only dataset is the default
  CHECK(one.c == 4 && one.h == 4 && one.w == 3 && memcmp(one.data, ms[1].data, 48 * 4) == 0);
  fz_raster_free(&one);
  for (int i = 0; i < 2; i++) { fz_raster_free(&gt[i]); fz_raster_free(&ms[i]); fz_raster_free(&lms[i]); fz_raster_free(&pan[i]); }
#endif
}

// ---------------------------------------------------------------- MATLAB .mat

// Oracle: the raw matio API reads fusor's .mat back: an H×W×C array whose column-major element
// y + H*x + H*W*c equals raster sample (c, y, x), class as asked, and "L" = 11 for scale 2047;
// fusor's reader then returns the raster unchanged, for v5 (u8/u16/f32/f64) and v7.3.
TEST(raster_mat_roundtrip_v5_v73) {
#ifndef FZ_HAVE_MATIO
  SKIP("built without matio");
#else
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  fz_dtype dts[5] = {FZ_U8, FZ_U16, FZ_F32, FZ_RASTER_F64, FZ_U16};
  enum matio_classes cls[5] = {MAT_C_UINT8, MAT_C_UINT16, MAT_C_SINGLE, MAT_C_DOUBLE, MAT_C_UINT16};
  for (int k = 0; k < 5; k++) {
    int v73 = k == 4;
    char name[32];
    snprintf(name, sizeof name, "m%d.mat", k);
    const char *p = path_in(dir, name);
    fz_raster r, b;
    CHECK_OK(fz_raster_alloc(&r, 3, 5, 7, &err), &err);
    fill_pattern(&r, k == 0 ? 256 : 2048, k == 2 || k == 3);
    r.scale = k == 0 ? 255 : k == 2 || k == 3 ? 1 : 2047;
    CHECK_OK(fz_mat_write(p, &r, dts[k], 0, "sr", v73, &err), &err);
    mat_t *m = Mat_Open(p, MAT_ACC_RDONLY);
    CHECK(m != NULL);
    CHECK(Mat_GetVersion(m) == (v73 ? MAT_FT_MAT73 : MAT_FT_MAT5));
    matvar_t *v = Mat_VarRead(m, "sr");
    matvar_t *lv = Mat_VarRead(m, "L");
    int ok = v && v->rank == 3 && v->dims[0] == 5 && v->dims[1] == 7 && v->dims[2] == 3 && v->class_type == cls[k];
    double mism = 0;
    if (ok)
      for (int c = 0; c < 3; c++)
        for (int y = 0; y < 5; y++)
          for (int x = 0; x < 7; x++) {
            size_t i = (size_t)y + 5 * x + 35 * c;
            double got = cls[k] == MAT_C_UINT8 ? ((uint8_t *)v->data)[i] : cls[k] == MAT_C_UINT16 ? ((uint16_t *)v->data)[i]
                       : cls[k] == MAT_C_SINGLE ? ((float *)v->data)[i] : ((double *)v->data)[i];
            mism += got != r.data[(c * 5 + y) * 7 + x];
          }
    double L = lv && lv->class_type == MAT_C_DOUBLE ? *(double *)lv->data : -1;
    if (v) Mat_VarFree(v);
    if (lv) Mat_VarFree(lv);
    Mat_Close(m);
    CHECKF(ok, "case %d: variable sr has the wrong shape or class", k);
    CHECKF(mism == 0, "case %d: %g samples differ in MATLAB layout", k, mism);
    CHECKF(L == (k == 0 ? 8 : k == 2 || k == 3 ? -1 : 11), "case %d: L = %g", k, L);
    CHECK_OK(fz_raster_read(p, NULL, &b, &err), &err);  // default variable "sr"
    CHECK(b.c == 3 && b.h == 5 && b.w == 7);
    CHECK(memcmp(b.data, r.data, 105 * 4) == 0);
    CHECK_NEAR(b.scale, r.scale, 0);
    fz_raster_free(&r);
    fz_raster_free(&b);
  }
  // a 2-D variable is one band
  fz_raster g, h;
  CHECK_OK(fz_raster_alloc(&g, 1, 4, 6, &err), &err);
  fill_pattern(&g, 1000, 0);
  const char *p = path_in(dir, "grey.mat");
  CHECK_OK(fz_raster_write(p, &g, FZ_U16, 0, "I_PAN", &err), &err);
  fz_raster_sel sel = {"I_PAN", 0};
  CHECK_OK(fz_raster_read(p, &sel, &h, &err), &err);
  CHECK(h.c == 1 && h.h == 4 && h.w == 6 && memcmp(g.data, h.data, 24 * 4) == 0);
  fz_raster_free(&g);
  fz_raster_free(&h);
#endif
}

// Oracle: .mat files written with the raw matio API from closed forms — f(y,x,c) = 100c + 10y + x at
// column-major index y + H*x + H*W*c, and a band-by-pixel matrix Y(b, y + H*x) = 1000b + 10y + x read with
// the "Y:HxW" selector (MATLAB reshape(Y,[B,H,W])) — must come back as raster(c, y, x) = f.
TEST(raster_mat_reads_matlab_layout) {
#ifndef FZ_HAVE_MATIO
  SKIP("built without matio");
#else
  const char *p = path_in(fz_test_tmpdir(), "layout.mat");
  enum { H = 4, W = 5, C = 3, B = 6 };
  uint16_t img[H * W * C];
  double Y[B * H * W], L = 11;
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) img[y + H * x + H * W * c] = (uint16_t)(100 * c + 10 * y + x);
  for (int b = 0; b < B; b++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) Y[b + B * (y + H * x)] = 1000 * b + 10 * y + x;
  mat_t *m = Mat_CreateVer(p, NULL, MAT_FT_MAT5);
  CHECK(m != NULL);
  size_t d3[3] = {H, W, C}, d2[2] = {B, H * W}, d1[2] = {1, 1};
  matvar_t *v1 = Mat_VarCreate("I_MS", MAT_C_UINT16, MAT_T_UINT16, 3, d3, img, 0);
  matvar_t *v2 = Mat_VarCreate("Y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d2, Y, 0);
  matvar_t *v3 = Mat_VarCreate("L", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d1, &L, 0);
  Mat_VarWrite(m, v1, MAT_COMPRESSION_NONE);
  Mat_VarWrite(m, v2, MAT_COMPRESSION_ZLIB);
  Mat_VarWrite(m, v3, MAT_COMPRESSION_NONE);
  Mat_VarFree(v1); Mat_VarFree(v2); Mat_VarFree(v3);
  Mat_Close(m);
  fz_err err = {0};
  fz_raster r;
  fz_raster_sel sel = {"I_MS", 0};
  CHECK_OK(fz_raster_read(p, &sel, &r, &err), &err);
  CHECK(r.c == C && r.h == H && r.w == W && r.src_dtype == FZ_U16);
  CHECK_NEAR(r.scale, 2047, 0);
  for (int c = 0; c < C; c++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) CHECK(r.data[(c * H + y) * W + x] == 100 * c + 10 * y + x);
  fz_raster_free(&r);
  sel.key = "Y:4x5";
  CHECK_OK(fz_raster_read(p, &sel, &r, &err), &err);
  CHECK(r.c == B && r.h == H && r.w == W);
  for (int b = 0; b < B; b++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) CHECK(r.data[(b * H + y) * W + x] == 1000 * b + 10 * y + x);
  fz_raster_free(&r);
  sel.key = "Y";  // without a selector a 2-D matrix is one B×(H·W) band
  CHECK_OK(fz_raster_read(p, &sel, &r, &err), &err);
  CHECK(r.c == 1 && r.h == B && r.w == H * W && r.data[2 * (H * W) + (1 + H * 3)] == 2000 + 10 + 3);
  fz_raster_free(&r);
  sel.key = "Y:3x5";
  CHECK(fz_raster_read(p, &sel, &r, &err) == FZ_EINVAL);
  CHECK(strstr(err.msg, "3 x 5 = 15 columns") != NULL);
  char names[8][64];
  CHECK(fz_mat_list(p, names, 8, &err) == 3);
  CHECK(!strcmp(names[0], "I_MS") && !strcmp(names[1], "Y") && !strcmp(names[2], "L"));
#endif
}

// ---------------------------------------------------------------- PNG / JPEG

// Oracle: stb_image (an independent decoder) reads fusor's 8-bit PNG and its own-encoder 16-bit PNG
// (grey, grey+alpha, RGB, RGBA) back to the exact samples; stbi_is_16_bit confirms the bit depth.
TEST(raster_png_roundtrip_8_16_bit) {
#ifndef FZ_HAVE_STB
  SKIP("built without stb");
#else
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  for (int c = 1; c <= 4; c++)
    for (int bits = 8; bits <= 16; bits += 8) {
      fz_raster r, b;
      CHECK_OK(fz_raster_alloc(&r, c, 29, 41, &err), &err);
      fill_pattern(&r, bits == 8 ? 256 : 65536, 0);
      for (int x = 0; x < 41; x++) r.data[x] = (float)(x * 1000 % (bits == 8 ? 256 : 65536));  // smooth row: filters
      char name[32];
      snprintf(name, sizeof name, "c%d_%d.png", c, bits);
      const char *p = path_in(dir, name);
      CHECK_OK(fz_raster_write(p, &r, bits == 8 ? FZ_U8 : FZ_U16, 0, NULL, &err), &err);
      CHECK(stbi_is_16_bit(p) == (bits == 16));
      CHECK_OK(fz_raster_read(p, NULL, &b, &err), &err);
      CHECKF(b.c == c && b.h == 29 && b.w == 41, "%s: %dx%dx%d", name, b.c, b.h, b.w);
      CHECK(b.src_dtype == (bits == 8 ? FZ_U8 : FZ_U16));
      CHECK_NEAR(b.scale, bits == 8 ? 255 : 65535, 0);
      CHECKF(memcmp(b.data, r.data, (size_t)c * 29 * 41 * 4) == 0, "%s differs", name);
      fz_raster_free(&r);
      fz_raster_free(&b);
    }
#endif
}

// Oracle: a smooth RGB and grey gradient survive JPEG quality 95 within a stated tolerance (max abs
// error 3 DN, mean abs error 1 DN — JPEG is lossy), decoded by stb_image. With GDAL (libjpeg) a grey
// image stays 1 band; stb_image_write always writes YCbCr, so without GDAL it comes back as 3 bands.
TEST(raster_jpeg_roundtrip_within_tolerance) {
#ifndef FZ_HAVE_STB
  SKIP("built without stb");
#else
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  for (int c = 1; c <= 3; c += 2) {
    fz_raster r, b;
    CHECK_OK(fz_raster_alloc(&r, c, 48, 64, &err), &err);
    for (int k = 0; k < c; k++)
      for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++) r.data[(k * 48 + y) * 64 + x] = (float)(20 + 2 * x + y + 30 * k);
    const char *p = path_in(dir, c == 1 ? "g.jpg" : "rgb.jpeg");
    CHECK_OK(fz_raster_write(p, &r, FZ_U8, 0, NULL, &err), &err);
    CHECK_OK(fz_raster_read(p, NULL, &b, &err), &err);
#ifdef FZ_HAVE_GDAL
    int bands = c;
#else
    int bands = 3;
#endif
    CHECKF(b.c == bands && b.h == 48 && b.w == 64 && b.src_dtype == FZ_U8, "%d bands %dx%d", b.c, b.h, b.w);
    double maxe = 0, sum = 0;
    size_t hw = 48 * 64;
    for (int k = 0; k < bands; k++)
      for (size_t i = 0; i < hw; i++) {
        double e = fabs(b.data[k * hw + i] - r.data[(c == 1 ? 0 : k) * hw + i]);
        maxe = e > maxe ? e : maxe;
        sum += e;
      }
    CHECKF(maxe <= 3 && sum / (bands * hw) <= 1.0, "JPEG error max %g mean %g", maxe, sum / (bands * hw));
    fz_raster_free(&r);
    fz_raster_free(&b);
  }
#endif
}

// ---------------------------------------------------------------- helpers

// Oracle: plain loops — tensor = raster / scale in [1, C, H, W] order; from_tensor picks image n of N and
// multiplies by scale; f16 tensors convert through the IEEE half values of the inputs.
TEST(raster_tensor_conversion) {
  fz_err err = {0};
  fz_raster r, b;
  CHECK_OK(fz_raster_alloc(&r, 2, 3, 4, &err), &err);
  fill_pattern(&r, 2048, 0);
  r.scale = 2047;
  fz_tensor t;
  CHECK_OK(fz_raster_to_tensor(&r, fz_backend_cpu(1), 1, &t, &err), &err);
  CHECK(t.ndim == 4 && t.shape[0] == 1 && t.shape[1] == 2 && t.shape[2] == 3 && t.shape[3] == 4 && t.dtype == FZ_F32);
  for (int i = 0; i < 24; i++) CHECK_NEAR(((float *)t.data)[i], r.data[i] / 2047.0, 1e-7);
  CHECK_OK(fz_raster_from_tensor(&t, 0, 2047, 1, &b, &err), &err);
  CHECK(b.c == 2 && b.h == 3 && b.w == 4 && b.scale == 2047);
  for (int i = 0; i < 24; i++) CHECK_NEAR(b.data[i], r.data[i], 1e-3);
  fz_raster_free(&b);
  fz_tensor_free(&t);
  // image 1 of a [2, 1, 2, 3] f16 host tensor, not denormalised
  int64_t sh[4] = {2, 1, 2, 3};
  CHECK_OK(fz_tensor_alloc(&t, NULL, FZ_F16, 4, sh, &err), &err);
  for (int i = 0; i < 12; i++) ((uint16_t *)t.data)[i] = fz_f32_to_f16(0.125f * i);
  CHECK_OK(fz_raster_from_tensor(&t, 1, 1, 0, &b, &err), &err);
  CHECK(b.c == 1 && b.h == 2 && b.w == 3);
  for (int i = 0; i < 6; i++) CHECK(b.data[i] == 0.125f * (6 + i));
  fz_raster_free(&b);
  CHECK(fz_raster_from_tensor(&t, 2, 1, 0, &b, &err) == FZ_EINVAL);
  CHECK(strstr(err.msg, "out of range") != NULL);
  fz_tensor_free(&t);
  fz_raster_free(&r);
}

// Oracle: the sizes and positions are set by hand, so the expected messages and indices are known.
TEST(raster_checks_and_rescale) {
  fz_err err = {0};
  fz_raster a, b;
  CHECK_OK(fz_raster_alloc(&a, 1, 1280, 1280, &err), &err);
  CHECK_OK(fz_raster_alloc(&b, 8, 320, 320, &err), &err);
  const char *const names[2] = {"PAN pan.tif", "MS ms.tif"};
  CHECK(fz_raster_check_same_size(&a, &b, names, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "PAN pan.tif is 1280 x 1280") && strstr(err.msg, "MS ms.tif is 320 x 320"), "%s", err.msg);
  CHECK(fz_raster_check_same_size(&a, &a, names, &err) == FZ_OK);
  int pos[3] = {-1, -1, -1};
  CHECK(fz_raster_check_finite(&b, "ms.tif", pos, &err) == FZ_OK);
  b.data[(size_t)5 * 320 * 320 + 17 * 320 + 301] = NAN;
  b.data[(size_t)6 * 320 * 320] = INFINITY;
  CHECK(fz_raster_check_finite(&b, "ms.tif", pos, &err) == FZ_EINVAL);
  CHECK(pos[0] == 5 && pos[1] == 17 && pos[2] == 301);
  CHECKF(strstr(err.msg, "ms.tif") && strstr(err.msg, "band 5, row 17, column 301 is NaN"), "%s", err.msg);
  fz_raster_free(&a);
  fz_raster_free(&b);
  CHECK_OK(fz_raster_alloc(&a, 1, 1, 2, &err), &err);
  a.data[0] = 2047;
  a.data[1] = 1000;
  a.scale = 2047;
  CHECK_OK(fz_raster_rescale(&a, 255, &err), &err);
  CHECK(a.scale == 255);
  CHECK_NEAR(a.data[0], 255, 1e-4);
  CHECK_NEAR(a.data[1], 1000 * 255.0 / 2047, 1e-4);
  CHECK(fz_raster_rescale(&a, 0, &err) == FZ_EINVAL);
  fz_raster_free(&a);
}

// Oracle: limits stated in raster.h (sides up to 2^20, 4096 bands, 2^34 samples), tested at and past them
// without allocating (the limit check runs first).
TEST(raster_rejects_absurd_sizes) {
  fz_err err = {0};
  fz_raster r;
  CHECK(fz_raster_alloc(&r, 0, 10, 10, &err) == FZ_EINVAL);
  CHECK(fz_raster_alloc(&r, 1, FZ_RASTER_MAX_SIDE + 1, 1, &err) == FZ_ENOMEM);
  CHECK(strstr(err.msg, "absurd size") != NULL);
  CHECK(fz_raster_alloc(&r, FZ_RASTER_MAX_BANDS + 1, 1, 1, &err) == FZ_ENOMEM);
  CHECK(fz_raster_alloc(&r, 32, 1 << 15, 1 << 15, &err) == FZ_ENOMEM);  // 2^35 samples
  CHECK(r.data == NULL);
  CHECK_OK(fz_raster_alloc(&r, 1, 1, FZ_RASTER_MAX_SIDE, &err), &err);
  fz_raster_free(&r);
}

// qsort comparator for floats (ascending).
static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

// Oracle: percentiles from a full qsort of the finite samples (index round(p*(n-1))), and the quicklook
// PNG decoded by stb_image equal to clamp(255*(v-p2)/(p98-p2)) computed here in double precision.
TEST(raster_percentile_and_quicklook) {
  fz_err err = {0};
  fz_raster r;
  CHECK_OK(fz_raster_alloc(&r, 4, 33, 47, &err), &err);
  fill_pattern(&r, 2048, 0);
  size_t hw = 33 * 47;
  r.data[5] = NAN;
  r.data[hw + 9] = INFINITY;
  r.data[2 * hw + 11] = -5;  // nodata in band 2
  r.geo.has_nodata = 1;
  r.geo.nodata = -5;
  double ref[4][2];
  for (int b = 0; b < 4; b++) {
    float *tmp = malloc(hw * sizeof(float));
    size_t m = 0;
    for (size_t i = 0; i < hw; i++) {
      float v = r.data[b * hw + i];
      if (isfinite(v) && v != -5) tmp[m++] = v;
    }
    qsort(tmp, m, sizeof(float), cmp_float);
    ref[b][0] = tmp[(size_t)floor(0.02 * (m - 1) + 0.5)];
    ref[b][1] = tmp[(size_t)floor(0.98 * (m - 1) + 0.5)];
    free(tmp);
    CHECK(fz_percentile_f32(r.data + b * hw, hw, 0.02, 1, -5, &err) == (float)ref[b][0]);
    CHECK(fz_percentile_f32(r.data + b * hw, hw, 0.98, 1, -5, &err) == (float)ref[b][1]);
  }
  float same[5] = {3, 3, 3, 3, 3};
  CHECK(fz_percentile_f32(same, 5, 0.5, 0, 0, &err) == 3);
#ifdef FZ_HAVE_STB
  const char *p = path_in(fz_test_tmpdir(), "ql.png");
  int bands[3] = {3, 2, 1};
  CHECK_OK(fz_raster_quicklook(&r, 3, 2, 1, p, &err), &err);
  int w, h, c;
  unsigned char *px = stbi_load(p, &w, &h, &c, 0);
  CHECK(px && w == 47 && h == 33 && c == 3);
  int bad = 0;
  for (int k = 0; k < 3; k++)
    for (size_t i = 0; i < hw; i++) {
      double v = r.data[bands[k] * hw + i], lo = ref[bands[k]][0], hi = ref[bands[k]][1];
      double e = isfinite(v) ? 255 * (v - lo) / (hi - lo) : 0;
      e = e < 0 ? 0 : e > 255 ? 255 : e;
      if (fabs(px[i * 3 + k] - e) > 0.5 + 1e-3) bad++;
    }
  stbi_image_free(px);
  CHECKF(bad == 0, "%d quicklook pixels differ", bad);
  CHECK(fz_raster_quicklook(&r, 0, 1, 4, p, &err) == FZ_EINVAL);
#endif
  fz_raster_free(&r);
}

// Oracle: a deep copy must equal the source field by field and own distinct memory.
TEST(raster_geo_copy_is_deep) {
  fz_err err = {0};
  fz_geo g = {0}, h = {0};
  g.has_transform = 1;
  g.transform[0] = 3;
  g.projection = strdup("LOCAL_CS[\"x\"]");
  g.nbands_desc = 2;
  g.band_desc = calloc(2, sizeof(char *));
  g.band_desc[1] = strdup("nir");
  CHECK_OK(fz_geo_copy(&h, &g, &err), &err);
  CHECK(h.projection != g.projection && !strcmp(h.projection, g.projection));
  CHECK(h.band_desc != g.band_desc && h.band_desc[0] == NULL && !strcmp(h.band_desc[1], "nir") && h.nbands_desc == 2);
  CHECK(h.has_transform && h.transform[0] == 3);
  fz_geo_free(&g);
  fz_geo_free(&h);
}
