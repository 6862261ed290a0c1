// test_raster_bad.c — raster I/O on bad inputs and failing outputs: missing/truncated/mislabelled files,
// absent variables and keys, wrong ranks, overwrite refusal, missing directories, and write errors
// (simulated full disk through RLIMIT_FSIZE) that must leave neither output nor temporary files behind.
#include "test.h"
#include "fusor.h"
#include "raster.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef FZ_HAVE_HDF5
#include <hdf5.h>
#endif

// dir/name in one of 8 rotating static buffers.
static char *bad_path(const char *dir, const char *name) {
  static char buf[8][512];
  static int k;
  char *b = buf[k++ & 7];
  snprintf(b, 512, "%s/%s", dir, name);
  return b;
}

// Number of entries (other than . and ..) in dir.
static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

// Writes n bytes to path; 0 on success.
static int write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, n, f);
  return fclose(f) == 0 && w == n ? 0 : -1;
}

// Size of path in bytes, -1 when absent.
static int file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (int)st.st_size : -1;
}

// Oracle: POSIX — a missing file gives ENOENT's text; unknown extensions list the known ones.
TEST(raster_bad_missing_file_and_unknown_extension) {
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  fz_raster r;
  CHECK(fz_raster_read(bad_path(dir, "nope.tif"), NULL, &r, &err) == FZ_EIO);
  CHECKF(strstr(err.msg, "nope.tif") && strstr(err.msg, "No such file or directory"), "%s", err.msg);
  CHECK(r.data == NULL);
  CHECK(fz_raster_read(dir, NULL, &r, &err) == FZ_EIO);
  CHECKF(strstr(err.msg, "directory"), "%s", err.msg);
  const char *p = bad_path(dir, "x.xyz");
  CHECK(write_bytes(p, "hello", 5) == 0);
  CHECK(fz_raster_read(p, NULL, &r, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "unknown image extension") && strstr(err.msg, ".tif") && strstr(err.msg, ".mat"), "%s", err.msg);
  CHECK_OK(fz_raster_alloc(&r, 1, 2, 2, &err), &err);
  CHECK(fz_raster_write(bad_path(dir, "out.bmp"), &r, FZ_U8, 0, NULL, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, ".png") && strstr(err.msg, ".h5"), "%s", err.msg);
  CHECK(fz_raster_write(bad_path(dir, "out.vrt"), &r, FZ_U8, 0, NULL, &err) == FZ_EUNSUP);
  fz_raster_free(&r);
}

// Oracle: a text file is not a TIFF/PNG/MAT/HDF5/JPEG — each reader must refuse it as malformed (FZ_EFORMAT),
// or say the format is not built in (FZ_EUNSUP).
TEST(raster_bad_text_file_with_image_extensions) {
  const char *dir = fz_test_tmpdir();
  const char *exts[5] = {"t.tif", "t.png", "t.mat", "t.h5", "t.jpg"};
  int have[5] = {0, 0, 0, 0, 0};  // formats this build can read; the others must say FZ_EUNSUP
#ifdef FZ_HAVE_GDAL
  have[0] = 1;
#endif
#ifdef FZ_HAVE_STB
  have[1] = have[4] = 1;
#endif
#ifdef FZ_HAVE_MATIO
  have[2] = 1;
#endif
#ifdef FZ_HAVE_HDF5
  have[3] = 1;
#endif
  fz_err err = {0};
  for (int i = 0; i < 5; i++) {
    const char *p = bad_path(dir, exts[i]);
    const char *txt = "this is plain text, not an image\n";
    CHECK(write_bytes(p, txt, strlen(txt)) == 0);
    fz_raster r;
    int rc = fz_raster_read(p, NULL, &r, &err);
    CHECKF(rc == (have[i] ? FZ_EFORMAT : FZ_EUNSUP), "%s: rc %d (%s)", exts[i], rc, err.msg);
    CHECKF(strstr(err.msg, exts[i]) != NULL, "%s", err.msg);
  }
}

// Oracle: a PNG cut in half loses most of its IDAT stream, so no decoder can rebuild the image.
TEST(raster_bad_truncated_png) {
#ifndef FZ_HAVE_STB
  SKIP("built without stb");
#else
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  fz_raster r;
  CHECK_OK(fz_raster_alloc(&r, 3, 64, 64, &err), &err);
  for (int i = 0; i < 3 * 64 * 64; i++) r.data[i] = (float)((i * 7919) % 251);
  const char *p = bad_path(dir, "full.png"), *q = bad_path(dir, "cut.png");
  CHECK_OK(fz_raster_write(p, &r, FZ_U8, 0, NULL, &err), &err);
  fz_raster_free(&r);
  int n = file_size(p);
  CHECK(n > 100);
  char *buf = malloc((size_t)n);
  FILE *f = fopen(p, "rb");
  CHECK(f && fread(buf, 1, (size_t)n, f) == (size_t)n);
  fclose(f);
  CHECK(write_bytes(q, buf, (size_t)n / 2) == 0);
  free(buf);
  CHECK(fz_raster_read(q, NULL, &r, &err) == FZ_EFORMAT);
  CHECKF(strstr(err.msg, "cut.png") != NULL, "%s", err.msg);
  CHECK(r.data == NULL);
#endif
}

// Oracle: the file holds exactly the variables written here, so the message must list them.
TEST(raster_bad_mat_missing_variable) {
#ifndef FZ_HAVE_MATIO
  SKIP("built without matio");
#else
  const char *p = bad_path(fz_test_tmpdir(), "v.mat");
  fz_err err = {0};
  fz_raster r;
  CHECK_OK(fz_raster_alloc(&r, 2, 3, 4, &err), &err);
  CHECK_OK(fz_raster_write(p, &r, FZ_F32, 0, "I_MS", &err), &err);
  fz_raster_free(&r);
  fz_raster_sel sel = {"I_PAN", 0};
  CHECK(fz_raster_read(p, &sel, &r, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "no variable 'I_PAN'") && strstr(err.msg, "I_MS (3x4x2 single)"), "%s", err.msg);
  CHECK(fz_raster_write(bad_path(fz_test_tmpdir(), "w.mat"), &r, FZ_F32, 0, "1bad", &err) == FZ_EINVAL);
#endif
}

// Oracle: the HDF5 files are built here (keys, ranks, sizes known), so each message is predictable.
TEST(raster_bad_h5_missing_key_rank_index_shape) {
#ifndef FZ_HAVE_HDF5
  SKIP("built without HDF5");
#else
  const char *dir = fz_test_tmpdir();
  const char *p = bad_path(dir, "nolms.h5");
  fz_err err = {0};
  fz_raster ms[2], pan[2];
  for (int i = 0; i < 2; i++) {
    CHECK_OK(fz_raster_alloc(&ms[i], 4, 4, 4, &err), &err);
    CHECK_OK(fz_raster_alloc(&pan[i], 1, 16, 16, &err), &err);
  }
  CHECK_OK(fz_h5_write_pancollection(p, 2, NULL, ms, NULL, pan, 0, &err), &err);
  fz_raster r;
  fz_raster_sel sel = {"lms", 0};
  CHECK(fz_raster_read(p, &sel, &r, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "no dataset 'lms'") && strstr(err.msg, "ms, pan"), "%s", err.msg);
  int n = -1;
  CHECK(fz_h5_count(p, "lms", &n, &err) == FZ_EINVAL && n == 0);
  sel = (fz_raster_sel){"ms", 2};
  CHECK(fz_raster_read(p, &sel, &r, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "index 2 out of range") && strstr(err.msg, "holds 2 images"), "%s", err.msg);
  CHECK(fz_raster_read(p, NULL, &r, &err) == FZ_EINVAL);  // two datasets: a key is needed
  CHECKF(strstr(err.msg, "pass a key"), "%s", err.msg);
  // mismatched C/H/W under one key: refused before any file appears
  fz_raster_free(&ms[1]);
  CHECK_OK(fz_raster_alloc(&ms[1], 4, 5, 4, &err), &err);
  const char *q = bad_path(dir, "mismatch.h5");
  CHECK(fz_h5_write_pancollection(q, 2, NULL, ms, NULL, NULL, 0, &err) == FZ_EINVAL);
  CHECKF(strstr(err.msg, "'ms' image 1 is 4 x 5 x 4") && strstr(err.msg, "image 0 is 4 x 4 x 4"), "%s", err.msg);
  CHECK(access(q, F_OK) != 0);
  for (int i = 0; i < 2; i++) { fz_raster_free(&ms[i]); fz_raster_free(&pan[i]); }
  // rank 3 and an absurd declared size, written with the raw HDF5 API (no data is allocated)
  const char *z = bad_path(dir, "odd.h5");
  hid_t f = H5Fcreate(z, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t d3[3] = {2, 8, 8}, dbig[4] = {1, 1, (hsize_t)1 << 21, 1};
  hid_t s3 = H5Screate_simple(3, d3, NULL), sb = H5Screate_simple(4, dbig, NULL);
  H5Dclose(H5Dcreate2(f, "pan", H5T_IEEE_F64LE, s3, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Dclose(H5Dcreate2(f, "gt", H5T_IEEE_F64LE, sb, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Sclose(s3); H5Sclose(sb); H5Fclose(f);
  sel = (fz_raster_sel){"pan", 0};
  CHECK(fz_raster_read(z, &sel, &r, &err) == FZ_EFORMAT);
  CHECKF(strstr(err.msg, "rank 3 (2 x 8 x 8)") && strstr(err.msg, "expected rank 4"), "%s", err.msg);
  sel = (fz_raster_sel){"gt", 0};
  CHECK(fz_raster_read(z, &sel, &r, &err) == FZ_ENOMEM);
  CHECKF(strstr(err.msg, "absurd size"), "%s", err.msg);
#endif
}

// Oracle: the documented overwrite rule — a second write without overwrite fails naming --force and
// leaves the first file byte-identical; with overwrite it replaces the file.
TEST(raster_bad_overwrite_refused_and_missing_directory) {
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  fz_raster r;
  CHECK_OK(fz_raster_alloc(&r, 1, 8, 8, &err), &err);
  const char *names[4] = {"o.tif", "o.mat", "o.h5", "o.png"};
  int have[4] = {0, 0, 0, 0};
#ifdef FZ_HAVE_GDAL
  have[0] = 1;
#endif
#ifdef FZ_HAVE_MATIO
  have[1] = 1;
#endif
#ifdef FZ_HAVE_HDF5
  have[2] = 1;
#endif
#ifdef FZ_HAVE_STB
  have[3] = 1;
#endif
  for (int i = 0; i < 4; i++) {
    if (!have[i]) continue;
    const char *p = bad_path(dir, names[i]);
    const char *key = i == 2 ? "pan" : NULL;
    CHECK_OK(fz_raster_write(p, &r, FZ_U8, 0, key, &err), &err);
    int n0 = file_size(p);
    r.data[0] = 200;
    CHECK(fz_raster_write(p, &r, FZ_U8, 0, key, &err) == FZ_EIO);
    CHECKF(strstr(err.msg, "--force") && strstr(err.msg, names[i]), "%s", err.msg);
    CHECK(file_size(p) == n0);
    fz_raster b;
    CHECK_OK(fz_raster_read(p, &(fz_raster_sel){key, 0}, &b, &err), &err);
    CHECK(b.data[0] == 0);
    fz_raster_free(&b);
    CHECK_OK(fz_raster_write(p, &r, FZ_U8, 1, key, &err), &err);
    CHECK_OK(fz_raster_read(p, &(fz_raster_sel){key, 0}, &b, &err), &err);
    CHECK(b.data[0] == 200);
    fz_raster_free(&b);
    r.data[0] = 0;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/dir/%s", dir, names[i]);
    CHECK(fz_raster_write(missing, &r, FZ_U8, 1, key, &err) == FZ_EIO);
    CHECKF(strstr(err.msg, "No such file or directory"), "%s", err.msg);
  }
  CHECKF(count_entries(dir) == have[0] + have[1] + have[2] + have[3], "%d entries: temporary files left behind", count_entries(dir));
  fz_raster_free(&r);
}

// Oracle: the write fails (the kernel refuses to grow a file past RLIMIT_FSIZE with EFBIG, the same path
// as a full disk), so each writer must report FZ_EIO and leave the directory empty — no output, no temp.
TEST(raster_bad_write_error_leaves_nothing) {
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  fz_raster r;
  CHECK_OK(fz_raster_alloc(&r, 3, 300, 300, &err), &err);
  uint32_t s = 99;
  for (int i = 0; i < 3 * 300 * 300; i++) { s = s * 1664525u + 1013904223u; r.data[i] = (float)(s >> 24); }
  struct rlimit old;
  if (getrlimit(RLIMIT_FSIZE, &old) != 0) SKIP("getrlimit(RLIMIT_FSIZE) failed");
  struct sigaction ign = {0}, prev;
  ign.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ign, &prev);
  const char *names[7] = {"f.tif", "f.mat", "f.h5", "f.png", "f.jpg", "f16.png", "f73.mat"};
  fz_dtype dts[7] = {FZ_F32, FZ_F32, FZ_F32, FZ_U8, FZ_U8, FZ_U16, FZ_U16};
  int rcs[7];
  char msgs[7][256];
  for (int i = 0; i < 7; i++) {
    struct rlimit lim = {16384, old.rlim_max};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) { rcs[i] = -1; continue; }
    if (i == 6) rcs[i] = fz_mat_write(bad_path(dir, names[i]), &r, dts[i], 0, "sr", 1, &err);
    else rcs[i] = fz_raster_write(bad_path(dir, names[i]), &r, dts[i], 0, "pan", &err);
    snprintf(msgs[i], sizeof msgs[i], "%.250s", err.msg);
    setrlimit(RLIMIT_FSIZE, &old);
  }
  sigaction(SIGXFSZ, &prev, NULL);
  fz_raster_free(&r);
  for (int i = 0; i < 7; i++) {
    if (rcs[i] == -1) SKIP("setrlimit(RLIMIT_FSIZE) refused");
    int unsup = rcs[i] == FZ_EUNSUP;  // format not built in: nothing to check
    CHECKF(unsup || rcs[i] == FZ_EIO, "%s: rc %d, expected an I/O error (%s)", names[i], rcs[i], msgs[i]);
    CHECKF(unsup || strstr(msgs[i], names[i]), "%s", msgs[i]);
  }
  CHECKF(count_entries(dir) == 0, "%d files left behind after failed writes", count_entries(dir));
}
