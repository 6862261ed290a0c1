// raster_stb.c — PNG and JPEG through stb_image / stb_image_write: read 8- and 16-bit PNG and JPEG
// (grey, grey+alpha, RGB, RGBA -> C = 1, 2, 3, 4); write 8-bit PNG (stb), 16-bit PNG (own encoder:
// stb_image_write has none; deflate via stbi_zlib_compress) and 8-bit JPEG (GDAL/libjpeg when built with
// GDAL, else stb_image_write, which always writes YCbCr: a grey image then reads back as 3 equal bands).
#include "raster.h"
#include "raster_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FZ_HAVE_STB
#define NO_STB(path) fz_fail(err, FZ_EUNSUP, "%s: cannot use PNG/JPEG: built without stb (install libstb-dev and rebuild)", path)
// Stubs without stb: FZ_EUNSUP.
int fz_stb_read(const char *path, fz_raster *r, fz_err *err) { return NO_STB(path); }
int fz_png_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, fz_err *err) { return NO_STB(path); }
int fz_jpg_write(const char *path, const fz_raster *r, int quality, int overwrite, fz_err *err) { return NO_STB(path); }
#else
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#include <stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#pragma GCC diagnostic pop

// Decodes a PNG (8/16-bit) or JPEG into C×H×W (C = channels in the file), scale 255 or 65535.
int fz_stb_read(const char *path, fz_raster *r, fz_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return fz_fail(err, FZ_EIO, "%s: cannot open: %s", path, strerror(errno));
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_file(f, &w, &h, &c)) {
    fclose(f);
    return fz_fail(err, FZ_EFORMAT, "%s: not a readable PNG/JPEG: %s", path, stbi_failure_reason());
  }
  char what[600];
  snprintf(what, sizeof what, "%.500s: image", path);
  int rc = fz_raster_check_dims(c, h, w, what, err);
  if (rc) { fclose(f); return rc; }
  int is16 = stbi_is_16_bit_from_file(f);
  void *px = is16 ? (void *)stbi_load_from_file_16(f, &w, &h, &c, 0) : (void *)stbi_load_from_file(f, &w, &h, &c, 0);
  fclose(f);
  if (!px) return fz_fail(err, FZ_EFORMAT, "%s: decoding failed (corrupt or truncated file?): %s", path, stbi_failure_reason());
  if ((rc = fz_raster_alloc(r, c, h, w, err))) { stbi_image_free(px); return rc; }
  size_t hw = (size_t)h * w;
  for (size_t i = 0; i < hw; i++)  // interleaved HWC -> planar CHW
    for (int k = 0; k < c; k++)
      r->data[(size_t)k * hw + i] = is16 ? (float)((const uint16_t *)px)[i * c + k] : (float)((const uint8_t *)px)[i * c + k];
  stbi_image_free(px);
  r->src_dtype = is16 ? FZ_U16 : FZ_U8;
  r->scale = is16 ? 65535 : 255;
  return FZ_OK;
}

// stb_image_write callback: appends to a FILE*, remembering the first short write.
typedef struct sink {
  FILE *f;
  int failed;
} sink;
// stb write callback (also used by the PNG encoder).
static void sink_write(void *ctx, void *data, int size) {
  sink *s = ctx;
  if (!s->failed && size > 0 && fwrite(data, 1, (size_t)size, s->f) != (size_t)size) s->failed = errno ? errno : EIO;
}

// Interleaves bands (C×H×W f32) into H×W×C u8 or u16 (rounded, saturated).
static void *interleave(const fz_raster *r, fz_dtype dt) {
  size_t hw = (size_t)r->h * r->w, es = dt == FZ_U16 ? 2 : 1;
  unsigned char *out = malloc(hw * r->c * es), *plane = malloc(hw * es);
  if (!out || !plane) { free(out); free(plane); return NULL; }
  for (int k = 0; k < r->c; k++) {
    fz_convert_from_f32(plane, dt, r->data + (size_t)k * hw, hw);
    for (size_t i = 0; i < hw; i++) memcpy(out + (i * r->c + k) * es, plane + i * es, es);
  }
  free(plane);
  return out;
}

// Stores v big-endian in p[0..3].
static void put32(unsigned char *p, uint32_t v) { p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v; }

// CRC-32 (PNG/zlib polynomial) of len bytes, continuing from crc; table built by the caller.
static uint32_t crc32_upd(const uint32_t tab[256], uint32_t crc, const unsigned char *p, size_t len) {
  crc = ~crc;
  for (size_t i = 0; i < len; i++) crc = tab[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// Writes one PNG chunk (length, type, data, CRC) to s.
static void png_chunk(sink *s, const uint32_t tab[256], const char type[4], const unsigned char *data, size_t len) {
  unsigned char hdr[8];
  put32(hdr, (uint32_t)len);
  memcpy(hdr + 4, type, 4);
  uint32_t crc = crc32_upd(tab, 0, (const unsigned char *)type, 4);
  crc = crc32_upd(tab, crc, data, len);
  unsigned char tail[4];
  put32(tail, crc);
  sink_write(s, hdr, 8);
  if (len) sink_write(s, (void *)data, (int)len);
  sink_write(s, tail, 4);
}

// Paeth predictor of PNG filter type 4.
static int paeth(int a, int b, int c) {
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// Encodes an H×W×C big-endian 16-bit PNG into s: each row gets the filter (0..4) with the smallest sum
// of absolute signed residuals (the usual libpng heuristic); deflate by stbi_zlib_compress.
static int png16_encode(sink *s, const uint16_t *px, int w, int h, int c, fz_err *err, const char *path) {
  size_t bpp = (size_t)c * 2, rowb = (size_t)w * bpp, total = (rowb + 1) * (size_t)h;
  if (total > 0x7fffffff) return fz_fail(err, FZ_EINVAL, "%s: 16-bit PNG of %zu raw bytes is over the 2 GB encoder limit; use .tif", path, total);
  unsigned char *raw = malloc(total), *prev = calloc(rowb, 1), *cur = malloc(rowb), *cand = malloc(rowb * 5);
  if (!raw || !prev || !cur || !cand) {
    free(raw); free(prev); free(cur); free(cand);
    return fz_fail(err, FZ_ENOMEM, "%s: cannot allocate %zu bytes for the PNG encoder", path, total);
  }
  for (int y = 0; y < h; y++) {
    for (size_t i = 0; i < (size_t)w * c; i++) {  // big-endian samples
      uint16_t v = px[(size_t)y * w * c + i];
      cur[2 * i] = (unsigned char)(v >> 8);
      cur[2 * i + 1] = (unsigned char)v;
    }
    long best_cost = -1;
    int best = 0;
    for (int ft = 0; ft < 5; ft++) {
      unsigned char *o = cand + (size_t)ft * rowb;
      long cost = 0;
      for (size_t i = 0; i < rowb; i++) {
        int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], cc = i >= bpp ? prev[i - bpp] : 0;
        int pred = ft == 0 ? 0 : ft == 1 ? a : ft == 2 ? b : ft == 3 ? (a + b) / 2 : paeth(a, b, cc);
        o[i] = (unsigned char)(cur[i] - pred);
        cost += o[i] < 128 ? o[i] : 256 - o[i];
      }
      if (best_cost < 0 || cost < best_cost) { best_cost = cost; best = ft; }
    }
    unsigned char *row = raw + (size_t)y * (rowb + 1);
    row[0] = (unsigned char)best;
    memcpy(row + 1, cand + (size_t)best * rowb, rowb);
    unsigned char *t = prev; prev = cur; cur = t;
  }
  free(prev); free(cur); free(cand);
  int zlen = 0;
  unsigned char *z = stbi_zlib_compress(raw, (int)total, &zlen, 8);
  free(raw);
  if (!z) return fz_fail(err, FZ_ENOMEM, "%s: PNG deflate failed (out of memory)", path);
  uint32_t tab[256];
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t k = n;
    for (int b = 0; b < 8; b++) k = k & 1 ? 0xedb88320u ^ (k >> 1) : k >> 1;
    tab[n] = k;
  }
  static const unsigned char sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  static const unsigned char color_type[5] = {0, 0, 4, 2, 6};  // grey, grey+alpha, RGB, RGBA
  unsigned char ihdr[13];
  put32(ihdr, (uint32_t)w);
  put32(ihdr + 4, (uint32_t)h);
  ihdr[8] = 16;
  ihdr[9] = color_type[c];
  ihdr[10] = ihdr[11] = ihdr[12] = 0;  // deflate, adaptive filtering, no interlace
  sink_write(s, (void *)sig, 8);
  png_chunk(s, tab, "IHDR", ihdr, 13);
  png_chunk(s, tab, "IDAT", z, (size_t)zlen);
  png_chunk(s, tab, "IEND", NULL, 0);
  STBIW_FREE(z);
  return FZ_OK;
}

#ifdef FZ_HAVE_GDAL
// JPEG through GDAL/libjpeg (preferred: true greyscale JPEG, and stb_image_write's JPEG encoder shifts
// signed ints past their range, which UBSan rejects).
static int gdal_jpeg(const char *path, const fz_raster *r, int quality, int overwrite, fz_err *err) {
  size_t n = (size_t)r->c * r->h * r->w;
  uint8_t *planes = malloc(n);
  if (!planes) return fz_fail(err, FZ_ENOMEM, "%s: cannot allocate %zu bytes", path, n);
  fz_convert_from_f32(planes, FZ_U8, r->data, n);
  fz_outfile out;
  int rc = fz_out_begin(&out, path, overwrite, err);
  if (!rc) rc = fz_gdal_jpeg_encode(out.tmp, path, planes, r->c, r->h, r->w, quality, err);
  free(planes);
  if (rc) { fz_out_abort(&out); return rc; }
  return fz_out_commit(&out, err);
}
#endif

// Shared PNG/JPEG writer: interleaves, encodes into a temp file, renames into place.
static int stb_write(const char *path, const fz_raster *r, int jpeg, fz_dtype dt, int quality, int overwrite, fz_err *err) {
  if (r->c < 1 || r->c > 4)
    return fz_fail(err, FZ_EINVAL, "%s: %s holds 1 to 4 bands (grey, grey+alpha, RGB, RGBA); this raster has %d (write .tif, "
                   "or a quicklook for an RGB preview)", path, jpeg ? "JPEG" : "PNG", r->c);
  if (jpeg && (r->c == 2 || r->c == 4))
    return fz_fail(err, FZ_EINVAL, "%s: JPEG holds 1 (grey) or 3 (RGB) bands, not %d; use .png", path, r->c);
  size_t raw = ((size_t)r->w * r->c * (dt == FZ_U16 ? 2 : 1) + 1) * (size_t)r->h;  // filtered PNG bytes (int in stb)
  if ((!jpeg && raw > 0x7fffffff / 2) || (jpeg && (r->w > 65535 || r->h > 65535)))
    return fz_fail(err, FZ_EINVAL, "%s: %d x %d is too large for %s; use .tif", path, r->h, r->w, jpeg ? "JPEG (65535 max)" : "PNG");
#ifdef FZ_HAVE_GDAL
  if (jpeg) return gdal_jpeg(path, r, quality, overwrite, err);
#endif
  void *px = interleave(r, dt);
  if (!px) return fz_fail(err, FZ_ENOMEM, "%s: cannot allocate the interleaved image", path);
  fz_outfile out;
  int rc = fz_out_begin(&out, path, overwrite, err);
  if (rc) { free(px); return rc; }
  sink s = {fopen(out.tmp, "wb"), 0};
  if (!s.f) {
    rc = fz_fail(err, FZ_EIO, "%s: cannot open the temporary file: %s", path, strerror(errno));
  } else {
    int ok = 1;
    errno = 0;
    if (dt == FZ_U16) rc = png16_encode(&s, px, r->w, r->h, r->c, err, path);
    else if (jpeg) ok = stbi_write_jpg_to_func(sink_write, &s, r->w, r->h, r->c, px, quality);
    else ok = stbi_write_png_to_func(sink_write, &s, r->w, r->h, r->c, px, r->w * r->c);
    if (!rc && !ok) rc = fz_fail(err, FZ_ENOMEM, "%s: %s encoder failed (out of memory?)", path, jpeg ? "JPEG" : "PNG");
    if (fflush(s.f) != 0 && !s.failed) s.failed = errno ? errno : EIO;
    if (fclose(s.f) != 0 && !s.failed) s.failed = errno ? errno : EIO;
    if (!rc && s.failed) rc = fz_fail(err, FZ_EIO, "%s: write failed: %s", path, strerror(s.failed));
  }
  free(px);
  if (rc) { fz_out_abort(&out); return rc; }
  return fz_out_commit(&out, err);
}

// Writes 1..4 bands as an 8-bit (stb) or 16-bit (own encoder) PNG.
int fz_png_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, fz_err *err) {
  if (out_dtype != FZ_U8 && out_dtype != FZ_U16)
    return fz_fail(err, FZ_EINVAL, "%s: PNG holds u8 or u16 samples; asked for %s (use .tif or .mat for floats)", path,
                   fz_out_dtype_name(out_dtype));
  return stb_write(path, r, 0, out_dtype, 0, overwrite, err);
}

// Writes 1 or 3 bands as an 8-bit JPEG of the given quality.
int fz_jpg_write(const char *path, const fz_raster *r, int quality, int overwrite, fz_err *err) {
  return stb_write(path, r, 1, FZ_U8, quality, overwrite, err);
}
#endif
