// test_safetensors.c — safetensors reader/writer: official-library bytes, round trips, every
// validation rule on hand-made bad headers, truncation, atomic writes and full-disk errors.
#include "test.h"
#include "fusor.h"
#include "safetensors.h"
#include "sha256.h"
#include "weights.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

// Written by the official safetensors 0.8.0 Python library: safetensors.numpy.save({
//   'w': float32 [[1.5,-2.25,3],[0.5,0,-1]], 'h': float16 [1,-0.5,65504], 'i': int64 [-7,9],
//   'u': uint8 [0,255,17], 'd': float64 [pi]}, metadata={'format':'np','fusor.arch':'demo'}).
static const unsigned char official_st[] = {
    0x48,0x01,0x00,0x00,0x00,0x00,0x00,0x00,0x7b,0x22,0x5f,0x5f,0x6d,0x65,0x74,0x61,0x64,0x61,0x74,0x61,0x5f,0x5f,0x22,0x3a,
    0x7b,0x22,0x66,0x6f,0x72,0x6d,0x61,0x74,0x22,0x3a,0x22,0x6e,0x70,0x22,0x2c,0x22,0x66,0x75,0x73,0x6f,0x72,0x2e,0x61,0x72,
    0x63,0x68,0x22,0x3a,0x22,0x64,0x65,0x6d,0x6f,0x22,0x7d,0x2c,0x22,0x69,0x22,0x3a,0x7b,0x22,0x64,0x74,0x79,0x70,0x65,0x22,
    0x3a,0x22,0x49,0x36,0x34,0x22,0x2c,0x22,0x73,0x68,0x61,0x70,0x65,0x22,0x3a,0x5b,0x32,0x5d,0x2c,0x22,0x64,0x61,0x74,0x61,
    0x5f,0x6f,0x66,0x66,0x73,0x65,0x74,0x73,0x22,0x3a,0x5b,0x30,0x2c,0x31,0x36,0x5d,0x7d,0x2c,0x22,0x64,0x22,0x3a,0x7b,0x22,
    0x64,0x74,0x79,0x70,0x65,0x22,0x3a,0x22,0x46,0x36,0x34,0x22,0x2c,0x22,0x73,0x68,0x61,0x70,0x65,0x22,0x3a,0x5b,0x31,0x5d,
    0x2c,0x22,0x64,0x61,0x74,0x61,0x5f,0x6f,0x66,0x66,0x73,0x65,0x74,0x73,0x22,0x3a,0x5b,0x31,0x36,0x2c,0x32,0x34,0x5d,0x7d,
    0x2c,0x22,0x77,0x22,0x3a,0x7b,0x22,0x64,0x74,0x79,0x70,0x65,0x22,0x3a,0x22,0x46,0x33,0x32,0x22,0x2c,0x22,0x73,0x68,0x61,
    0x70,0x65,0x22,0x3a,0x5b,0x32,0x2c,0x33,0x5d,0x2c,0x22,0x64,0x61,0x74,0x61,0x5f,0x6f,0x66,0x66,0x73,0x65,0x74,0x73,0x22,
    0x3a,0x5b,0x32,0x34,0x2c,0x34,0x38,0x5d,0x7d,0x2c,0x22,0x68,0x22,0x3a,0x7b,0x22,0x64,0x74,0x79,0x70,0x65,0x22,0x3a,0x22,
    0x46,0x31,0x36,0x22,0x2c,0x22,0x73,0x68,0x61,0x70,0x65,0x22,0x3a,0x5b,0x33,0x5d,0x2c,0x22,0x64,0x61,0x74,0x61,0x5f,0x6f,
    0x66,0x66,0x73,0x65,0x74,0x73,0x22,0x3a,0x5b,0x34,0x38,0x2c,0x35,0x34,0x5d,0x7d,0x2c,0x22,0x75,0x22,0x3a,0x7b,0x22,0x64,
    0x74,0x79,0x70,0x65,0x22,0x3a,0x22,0x55,0x38,0x22,0x2c,0x22,0x73,0x68,0x61,0x70,0x65,0x22,0x3a,0x5b,0x33,0x5d,0x2c,0x22,
    0x64,0x61,0x74,0x61,0x5f,0x6f,0x66,0x66,0x73,0x65,0x74,0x73,0x22,0x3a,0x5b,0x35,0x34,0x2c,0x35,0x37,0x5d,0x7d,0x7d,0x20,
    0xf9,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0x09,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x18,0x2d,0x44,0x54,0xfb,0x21,0x09,0x40,
    0x00,0x00,0xc0,0x3f,0x00,0x00,0x10,0xc0,0x00,0x00,0x40,0x40,0x00,0x00,0x00,0x3f,0x00,0x00,0x00,0x00,0x00,0x00,0x80,0xbf,
    0x00,0x3c,0x00,0xb8,0xff,0x7b,0x00,0xff,0x11
};

// Oracle: the bytes above, written by the official safetensors library from known numpy arrays.
TEST(st_reads_official_library_file) {
  fz_weights w;
  fz_err err = {0};
  CHECK_OK(st_parse(official_st, sizeof official_st, "official.safetensors", &w, &err), &err);
  CHECK(st_count(&w) == 5);
  CHECK(st_metadata_get(&w, "format") && !strcmp(st_metadata_get(&w, "format"), "np"));
  CHECK(st_metadata_get(&w, "fusor.arch") && !strcmp(st_metadata_get(&w, "fusor.arch"), "demo"));
  const fz_wtensor *t = st_find(&w, "w");
  CHECK(t && t->dtype == FZ_W_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3);
  const double wv[6] = {1.5, -2.25, 3.0, 0.5, 0.0, -1.0};
  for (int i = 0; i < 6; i++) CHECK(fz_wtensor_get_f64(t, i) == wv[i]);
  t = st_find(&w, "h");
  CHECK(t && t->dtype == FZ_W_F16 && fz_wtensor_get_f64(t, 1) == -0.5 && fz_wtensor_get_f64(t, 2) == 65504.0);
  t = st_find(&w, "i");
  CHECK(t && t->dtype == FZ_W_I64 && fz_wtensor_get_f64(t, 0) == -7 && fz_wtensor_get_f64(t, 1) == 9);
  t = st_find(&w, "u");
  CHECK(t && t->dtype == FZ_W_U8 && t->nbytes == 3 && t->data[1] == 255 && t->data[2] == 17);
  t = st_find(&w, "d");
  CHECK(t && t->dtype == FZ_W_F64 && fz_wtensor_get_f64(t, 0) == 3.141592653589793);
  // loading into fz_tensor: f32 maps directly, F64 only on request, I64 has no fusor dtype
  fz_tensor x;
  CHECK_OK(st_load_tensor(&w, "w", NULL, 0, &x, &err), &err);
  CHECK(x.dtype == FZ_F32 && x.ndim == 2 && ((float *)x.data)[1] == -2.25f);
  fz_tensor_free(&x);
  CHECK_OK(st_load_tensor(&w, "w", fz_backend_cpu(1), 0, &x, &err), &err);
  CHECK(((float *)x.data)[2] == 3.0f);
  fz_tensor_free(&x);
  CHECK(st_load_tensor(&w, "d", NULL, 0, &x, &err) == FZ_EUNSUP && strstr(err.msg, "F64"));
  CHECK_OK(st_load_tensor(&w, "d", NULL, FZ_WLOAD_F64_TO_F32, &x, &err), &err);
  CHECK(x.dtype == FZ_F32 && ((float *)x.data)[0] == 3.14159265f);
  fz_tensor_free(&x);
  CHECK(st_load_tensor(&w, "i", NULL, 0, &x, &err) == FZ_EUNSUP && strstr(err.msg, "I64"));
  CHECK(st_load_tensor(&w, "nope", NULL, 0, &x, &err) == FZ_EINVAL && strstr(err.msg, "nope"));
  st_close(&w);
}

// Builds "u64 length + header + data_len zero bytes" into a malloc'd buffer.
static uint8_t *make_st(const char *header, size_t data_len, size_t *len) {
  size_t n = strlen(header);
  uint8_t *b = calloc(1, 8 + n + data_len + 1);
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)n >> (8 * i));
  memcpy(b + 8, header, n);
  *len = 8 + n + data_len;
  return b;
}

typedef struct { const char *header; size_t data_len; const char *expect; } bad_case;

// Oracle: the safetensors format rules (huggingface/safetensors README "Format" and its Rust
// validate_metadata), each broken once by a hand-written header.
TEST(st_rejects_bad_headers) {
  static const bad_case cases[] = {
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not valid JSON"},
      {"{\"a\":5}", 0, "value is not an object"},
      {"[1]", 0, "does not start with '{'"},
      {"{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'F33'"},
      {"{\"a\":{\"dtype\":1,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype is not a string"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape holds -2, expected non-negative"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "shape holds 2.0, expected non-negative integers (no fractions"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", 8, "shape holds 2e0"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, "leading zeros"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1048576,1048576,2],\"data_offsets\":[0,8]}}", 8, "more than 2^40 elements"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}", 8, "9 dims, expected at most 8"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,8]}}", 8, "shape is not an array"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "shape holds a non-number"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, "end past the data region of 8 bytes"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin > end"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8, "not an array of 2 integers"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", 8, "larger than 2^63-1"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
       "tensor 'b': data_offsets [4, 12] overlap tensor 'a' which ends at 8"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20,
       "leave a hole: bytes [8, 12) belong to no tensor"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "trailing bytes belong to no tensor"},
      {"{\"head.weight\":{\"dtype\":\"F32\",\"shape\":[4,8],\"data_offsets\":[0,96]}}", 96,
       "t.safetensors: tensor 'head.weight': data_offsets [0, 96] hold 96 bytes, expected 4*8*4 = 128 (F32 [4,8])"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16,
       "tensor 'a' appears twice"},
      {"{\"__metadata__\":{\"k\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "__metadata__ key 'k' holds a non-string value"},
      {"{\"__metadata__\":\"x\",\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "__metadata__ is not an object"},
      {"{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "__metadata__ key 'k' appears twice"},
      {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "__metadata__ appears twice"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", 8, "unexpected field 'extra'"},
      {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "missing field 'shape'"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "field 'shape' appears twice"},
      {"{\"\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "empty name"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}\n", 8, "expected only space padding"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  x", 8, "expected only space padding"},
  };
  fz_err err = {0};
  fz_weights w;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t len;
    uint8_t *b = make_st(cases[i].header, cases[i].data_len, &len);
    int rc = st_parse(b, len, "t.safetensors", &w, &err);
    free(b);
    CHECKF(rc == FZ_EFORMAT, "case %zu (%s): rc %d, expected a format error", i, cases[i].header, rc);
    CHECKF(strstr(err.msg, cases[i].expect) && strstr(err.msg, "t.safetensors"), "case %zu: message '%s' lacks '%s'", i, err.msg, cases[i].expect);
    CHECK(w.count == 0 && w.nmeta == 0);
  }
  // controls: the same layouts made valid parse, with JSON whitespace and escapes allowed
  size_t len;
  uint8_t *b = make_st("{ \"a\\\"b\" : {\"data_offsets\": [0, 8], \"shape\": [2], \"dtype\": \"F32\"}, \"z\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[8,8]} }   ", 8, &len);
  CHECK_OK(st_parse(b, len, "t.safetensors", &w, &err), &err);
  CHECK(w.count == 2 && st_find(&w, "a\"b") && st_find(&w, "a\"b")->nbytes == 8 && st_find(&w, "z")->numel == 0);
  st_close(&w);
  free(b);
}

// Oracle: the header-length rules of the format (u64 LE length N, 2 <= N, 8 + N <= file size).
TEST(st_rejects_bad_header_lengths) {
  fz_err err = {0};
  fz_weights w;
  uint8_t b[64] = {0};
  memcpy(b + 8, "{}      ", 8);
  const struct { uint64_t n; size_t len; const char *expect; } cases[] = {
      {0, 16, "below the minimum of 2"}, {1, 16, "below the minimum of 2"}, {UINT64_C(1) << 63, 16, "exceeds the limit"},
      {100000001, 16, "exceeds the limit"}, {9, 16, "exceeds the file: 8 + 9 > 16"}, {8, 7, "too short for the 8-byte header length"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)(cases[i].n >> (8 * k));
    CHECK(st_parse(b, cases[i].len, "h.safetensors", &w, &err) == FZ_EFORMAT);
    CHECKF(strstr(err.msg, cases[i].expect), "case %zu: '%s' lacks '%s'", i, err.msg, cases[i].expect);
  }
  b[0] = 8;
  CHECK_OK(st_parse(b, 16, "h.safetensors", &w, &err), &err);  // "{}" + 6 spaces: an empty file is valid
  CHECK(w.count == 0);
  st_close(&w);
}

// Writes bytes to dir/name; returns the path (static buffer).
static const char *put_file(const char *dir, const char *name, const void *p, size_t n) {
  static char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return NULL;
  fwrite(p, 1, n, f);
  fclose(f);
  return path;
}

// Oracle: any prefix of a valid file is invalid (the data region must be exactly covered).
TEST(st_rejects_truncated_files) {
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  fz_weights w;
  size_t n = sizeof official_st, hdr = 8 + 0x148;
  size_t cuts[] = {0, 3, 7, 8, 9, hdr / 2, hdr - 1, hdr, hdr + 5, n - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
    const char *p = put_file(dir, "cut.safetensors", official_st, cuts[i]);
    CHECK(p);
    int rc = st_open(p, &w, &err);
    CHECKF(rc == FZ_EFORMAT, "cut at %zu: rc %d", cuts[i], rc);
    CHECKF(strstr(err.msg, "cut.safetensors") && (strstr(err.msg, "truncated?") || strstr(err.msg, "not valid JSON")),
           "cut at %zu: %s", cuts[i], err.msg);
    CHECK(w.count == 0 && w.map == NULL);
  }
  const char *p = put_file(dir, "full.safetensors", official_st, n);
  CHECK_OK(st_open(p, &w, &err), &err);
  CHECK(st_count(&w) == 5);
  st_close(&w);
  CHECK(st_open("/nonexistent/x.safetensors", &w, &err) == FZ_EIO && strstr(err.msg, "x.safetensors"));
}

// Oracle: the written file is re-read by an independent check of the format: u64 LE length,
// (8 + N) % 8 == 0, space padding, offsets covering the data, each tensor aligned to its element
// size, bytes equal to the input, metadata as given.
TEST(st_writer_round_trip_all_dtypes) {
  const char *dir = fz_test_tmpdir();
  char path[600];
  snprintf(path, sizeof path, "%s/rt.safetensors", dir);
  st_writer wr;
  st_writer_init(&wr);
  fz_err err = {0};
  uint8_t src[FZ_W_DTYPE_COUNT][64];
  for (int d = 0; d < FZ_W_DTYPE_COUNT; d++)
    for (int i = 0; i < 64; i++) src[d][i] = (uint8_t)(d * 31 + i * 7 + 1);
  char name[32];
  for (int d = 0; d < FZ_W_DTYPE_COUNT; d++) {  // odd element counts so sizes would misalign if unsorted
    int64_t shape[2] = {1, 3};
    snprintf(name, sizeof name, "t_%s", fz_wdtype_name(d));
    CHECK_OK(st_writer_add(&wr, name, (fz_wdtype)d, 2, shape, src[d], 3 * fz_wdtype_size(d), &err), &err);
  }
  int64_t s0[1] = {0};
  CHECK_OK(st_writer_add(&wr, "empty", FZ_W_F32, 1, s0, NULL, 0, &err), &err);
  CHECK_OK(st_writer_add(&wr, "scalar", FZ_W_F64, 0, NULL, src[0], 8, &err), &err);
  CHECK_OK(st_writer_meta(&wr, "k", "v \"quoted\"\n", &err), &err);
  CHECK_OK(st_writer_meta(&wr, "fusor.arch", "first", &err), &err);
  CHECK_OK(st_writer_meta(&wr, "fusor.arch", "demo", &err), &err);  // replaces
  CHECK_OK(st_writer_write(&wr, path, 0, &err), &err);
  CHECK(st_writer_write(&wr, path, 0, &err) == FZ_EINVAL && strstr(err.msg, "exists"));
  CHECK_OK(st_writer_write(&wr, path, ST_OVERWRITE, &err), &err);
  st_writer_free(&wr);
  fz_weights w;
  CHECK_OK(st_open(path, &w, &err), &err);
  CHECK(st_count(&w) == FZ_W_DTYPE_COUNT + 2 && w.nmeta == 2);
  CHECK(!strcmp(st_metadata_get(&w, "k"), "v \"quoted\"\n") && !strcmp(st_metadata_get(&w, "fusor.arch"), "demo"));
  const uint8_t *base = (const uint8_t *)w.map;
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | base[i];
  CHECK((8 + n) % 8 == 0 && base[8] == '{');
  size_t end = 8 + n;
  while (base[end - 1] == ' ') end--;
  CHECK(base[end - 1] == '}');
  for (int d = 0; d < FZ_W_DTYPE_COUNT; d++) {
    snprintf(name, sizeof name, "t_%s", fz_wdtype_name(d));
    const fz_wtensor *t = st_find(&w, name);
    CHECKF(t && t->dtype == d && t->ndim == 2 && t->shape[1] == 3, "%s", name);
    CHECK(memcmp(t->data, src[d], t->nbytes) == 0);
    CHECKF((size_t)(t->data - base) % fz_wdtype_size(d) == 0, "%s misaligned", name);
  }
  CHECK(st_find(&w, "scalar")->ndim == 0 && st_find(&w, "scalar")->numel == 1 && st_find(&w, "empty")->nbytes == 0);
  st_close(&w);
  DIR *dd = opendir(dir);
  int files = 0;
  for (struct dirent *e; (e = readdir(dd));) files += e->d_name[0] != '.';
  closedir(dd);
  CHECK(files == 1);  // no temp files left behind
}

// Oracle: the writer's own contract (unique names, byte counts) and POSIX errors (ENOSPC on /dev/full, EFBIG past RLIMIT_FSIZE).
TEST(st_writer_reports_write_errors_and_leaves_nothing) {
  const char *dir = fz_test_tmpdir();
  st_writer wr;
  st_writer_init(&wr);
  fz_err err = {0};
  static float big[1 << 16];
  int64_t shape[1] = {1 << 16}, two[1] = {2};
  CHECK(st_writer_add(&wr, "x", FZ_W_F32, 1, two, big, 4, &err) == FZ_EINVAL && strstr(err.msg, "expected 8"));
  CHECK(st_writer_add(&wr, "__metadata__", FZ_W_F32, 1, two, big, 8, &err) == FZ_EINVAL);
  CHECK_OK(st_writer_add(&wr, "x", FZ_W_F32, 1, shape, big, sizeof big, &err), &err);
  // a full disk: write straight to /dev/full
  int fd = open("/dev/full", O_WRONLY);
  if (fd >= 0) {
    CHECK(st_writer_write_fd(&wr, fd, "/dev/full", &err) == FZ_EIO);
    CHECKF(strstr(err.msg, "No space left on device"), "%s", err.msg);
    close(fd);
    CHECK(st_writer_write(&wr, "/dev/full", 0, &err) == FZ_EINVAL && strstr(err.msg, "exists"));
    CHECK(st_writer_write(&wr, "/dev/full", ST_OVERWRITE, &err) == FZ_EIO && strstr(err.msg, "No space left on device"));
  }
  // a file-size limit makes the temp-file write fail midway: the temp must be removed, no output
  char path[600];
  snprintf(path, sizeof path, "%s/limited.safetensors", dir);
  struct rlimit old, lim;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = 100000;
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  int set = setrlimit(RLIMIT_FSIZE, &lim) == 0;
  int rc = st_writer_write(&wr, path, 0, &err);
  if (set) setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, prev);
  CHECK(set);
  {
    CHECK(rc == FZ_EIO);
    CHECKF(strstr(err.msg, "limited.safetensors") && strstr(err.msg, "no output written"), "%s", err.msg);
    DIR *dd = opendir(dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(dd));) files += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(dd);
    CHECK(files == 0);
  }
  CHECK_OK(st_writer_add(&wr, "x", FZ_W_F32, 1, two, big, 8, &err), &err);  // duplicate name: refused at write
  snprintf(path, sizeof path, "%s/dup.safetensors", dir);
  CHECK(st_writer_write(&wr, path, 0, &err) == FZ_EINVAL && strstr(err.msg, "'x' given twice"));
  CHECK(access(path, F_OK) != 0);
  CHECK(st_writer_write(&wr, dir, ST_OVERWRITE, &err) == FZ_EINVAL && strstr(err.msg, "directory"));
  st_writer_free(&wr);
}

// Oracle: FIPS 180-2 appendix B test vectors.
TEST(sha256_fips_vectors) {
  char hex[65];
  fz_sha256_hex("abc", 3, hex);
  CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  fz_sha256_hex(m, strlen(m), hex);
  CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  fz_sha256 s;
  uint8_t d[32], a[1000];
  memset(a, 'a', sizeof a);
  fz_sha256_init(&s);
  for (int i = 0; i < 1000; i++) fz_sha256_update(&s, a, 1000);
  fz_sha256_final(&s, d);
  CHECK(d[0] == 0xcd && d[1] == 0xc7 && d[2] == 0x6e && d[31] == 0xd0);  // cdc76e5c ... 046d39ccc7112cd0
  fz_sha256_hex("", 0, hex);
  CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

// Oracle: the safetensors layout — a file whose header length is 128 starts with byte 0x80 (the
// pickle PROTO opcode) and must still be read as safetensors; a zip goes to the .pth reader.
TEST(weights_load_detects_format_by_content) {
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  char hdr[129];
  int n = snprintf(hdr, sizeof hdr, "{\"__metadata__\":{\"pad\":\"x\"},\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}");
  memset(hdr + n, ' ', 128 - (size_t)n);
  hdr[128] = 0;
  size_t len;
  uint8_t *b = make_st(hdr, 2, &len);
  CHECK(b[0] == 0x80);
  b[len - 1] = 7;
  const char *p = put_file(dir, "x128.safetensors", b, len);
  free(b);
  fz_weights w;
  CHECK_OK(fz_weights_load(p, &w, &err), &err);
  CHECK(w.count == 1 && !strcmp(w.format, "safetensors") && w.tensors[0].data[1] == 7);
  fz_weights_free(&w);
  p = put_file(dir, "bare.pkl", "\x80\x02}q\x00.", 6);
  CHECK(fz_weights_load(p, &w, &err) == FZ_EFORMAT && strstr(err.msg, "bare torch pickle"));
}
