// raster_gdal.c — GeoTIFF and the other GDAL raster formats: read any band count and sample type into
// f32 C×H×W with geotransform, projection, nodata and band descriptions; write GeoTIFF (u8/u16/f32/f64,
// DEFLATE, tiled when large) with the same metadata. GDAL's messages are captured into fz_err.
#include "raster.h"
#include "raster_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FZ_HAVE_GDAL
// Stub without GDAL: FZ_EUNSUP.
int fz_gdal_read(const char *path, fz_raster *r, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "%s: cannot read GeoTIFF/GDAL rasters: built without GDAL (install libgdal-dev and rebuild)", path);
}
// Stub without GDAL: FZ_EUNSUP.
int fz_gdal_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "%s: cannot write GeoTIFF: built without GDAL (install libgdal-dev and rebuild)", path);
}
// Stub without GDAL: FZ_EUNSUP (JPEG then goes through stb).
int fz_gdal_jpeg_encode(const char *tmp, const char *path, const uint8_t *planes, int c, int h, int w, int quality, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "%s: JPEG through GDAL: built without GDAL", path);
}
// Without GDAL: "none" or the start of the WKT.
const char *fz_geo_crs_name(const fz_geo *g, char *buf, size_t n) {
  if (!g->projection || !*g->projection) snprintf(buf, n, "none");
  else snprintf(buf, n, "%.60s...", g->projection);
  return buf;
}
#else
#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#include <pthread.h>

static pthread_once_t g_gdal_once = PTHREAD_ONCE_INIT;
// Registers GDAL's drivers (run once through pthread_once).
static void gdal_register(void) { GDALAllRegister(); }

// The messages GDAL reported during one fusor call (per call, so no global state).
typedef struct gdal_cap {
  char msg[600];
  int failed;
} gdal_cap;

// GDAL error handler: keeps the first failure message (or the last warning until a failure arrives).
static void CPL_STDCALL gdal_capture(CPLErr cls, CPLErrorNum no, const char *msg) {
  gdal_cap *c = CPLGetErrorHandlerUserData();
  if (!c) return;
  if (cls >= CE_Failure) {
    if (!c->failed) snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "unknown GDAL error");
    c->failed = 1;
  } else if (cls == CE_Warning && !c->failed) {
    snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "");
  }
}

// Starts a GDAL call: registers drivers once, routes messages into cap, keeps PAM (.aux.xml) off.
static void gdal_begin(gdal_cap *cap) {
  pthread_once(&g_gdal_once, gdal_register);
  memset(cap, 0, sizeof *cap);
  CPLPushErrorHandlerEx(gdal_capture, cap);
  CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO");
}
// Ends a GDAL call: restores the PAM option and pops fusor's error handler.
static void gdal_end(void) {
  CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", NULL);
  CPLPopErrorHandler();
}

// Maps a GDAL sample type to the dtype recorded in fz_raster.src_dtype; -1 for complex types.
static int src_dtype_of(GDALDataType t) {
  switch (t) {
    case GDT_Byte: return FZ_U8;
    case GDT_UInt16: return FZ_U16;
    case GDT_Int16: case GDT_UInt32: case GDT_Int32: return FZ_I32;
    case GDT_Float32: case GDT_Float64: return FZ_F32;
#if GDAL_VERSION_NUM >= 3050000
    case GDT_UInt64: case GDT_Int64: return FZ_I32;
#endif
    default: return -1;
  }
}

// Reads every band of a GDAL raster as f32 C×H×W plus geotransform, WKT, nodata, descriptions, scale.
int fz_gdal_read(const char *path, fz_raster *r, fz_err *err) {
  gdal_cap cap;
  gdal_begin(&cap);
  int rc = FZ_OK;
  GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
  if (!ds) {
    rc = fz_fail(err, FZ_EFORMAT, "%s: not a raster GDAL can read (expected GeoTIFF or another GDAL format): %s", path,
                 cap.msg[0] ? cap.msg : "unrecognised contents");
    goto done;
  }
  int c = GDALGetRasterCount(ds), h = GDALGetRasterYSize(ds), w = GDALGetRasterXSize(ds);
  char what[600];
  snprintf(what, sizeof what, "%.500s: raster", path);
  if (c < 1) { rc = fz_fail(err, FZ_EFORMAT, "%s: holds no raster bands (subdatasets only?)", path); goto done; }
  if ((rc = fz_raster_check_dims(c, h, w, what, err))) goto done;
  GDALRasterBandH b1 = GDALGetRasterBand(ds, 1);
  GDALDataType dt = GDALGetRasterDataType(b1);
  int sdt = src_dtype_of(dt);
  if (sdt < 0) {
    rc = fz_fail(err, FZ_EUNSUP, "%s: band 1 has sample type %s; expected a real (non-complex) type", path, GDALGetDataTypeName(dt));
    goto done;
  }
  if ((rc = fz_raster_alloc(r, c, h, w, err))) goto done;
  r->src_dtype = (fz_dtype)sdt;
  if (GDALDatasetRasterIO(ds, GF_Read, 0, 0, w, h, r->data, w, h, GDT_Float32, c, NULL, 0, 0, 0) != CE_None) {
    rc = fz_fail(err, FZ_EFORMAT, "%s: reading %d bands of %d x %d failed: %s", path, c, h, w, cap.msg[0] ? cap.msg : "GDAL error");
    goto done;
  }
  // scale: fusor's own FUSOR_SCALE tag, else the NBITS of the band, else 255 for bytes, else 1
  const char *s = GDALGetMetadataItem(ds, "FUSOR_SCALE", NULL);
  const char *nbits = GDALGetMetadataItem(b1, "NBITS", "IMAGE_STRUCTURE");
  if (s && atof(s) > 0) r->scale = atof(s);
  else if (nbits && atoi(nbits) > 0 && atoi(nbits) < 32) r->scale = (double)((1ull << atoi(nbits)) - 1);
  else if (dt == GDT_Byte) r->scale = 255;
  double gt[6];
  if (GDALGetGeoTransform(ds, gt) == CE_None) {
    r->geo.has_transform = 1;
    memcpy(r->geo.transform, gt, sizeof gt);
  }
  const char *wkt = GDALGetProjectionRef(ds);
  if (wkt && *wkt && !(r->geo.projection = strdup(wkt))) { rc = fz_fail(err, FZ_ENOMEM, "%s: out of memory", path); goto done; }
  int has = 0;
  double nd = GDALGetRasterNoDataValue(b1, &has);
  if (has) { r->geo.has_nodata = 1; r->geo.nodata = nd; }
  int any_desc = 0;
  for (int i = 1; i <= c; i++) {
    const char *d = GDALGetDescription(GDALGetRasterBand(ds, i));
    if (d && *d) any_desc = 1;
  }
  if (any_desc) {
    if (!(r->geo.band_desc = calloc((size_t)c, sizeof(char *)))) { rc = fz_fail(err, FZ_ENOMEM, "%s: out of memory", path); goto done; }
    r->geo.nbands_desc = c;
    for (int i = 0; i < c; i++) {
      const char *d = GDALGetDescription(GDALGetRasterBand(ds, i + 1));
      if (d && *d && !(r->geo.band_desc[i] = strdup(d))) { rc = fz_fail(err, FZ_ENOMEM, "%s: out of memory", path); goto done; }
    }
  }
done:
  if (ds) GDALClose(ds);
  gdal_end();
  if (rc) fz_raster_free(r);
  return rc;
}

// Writes C×H×W as a DEFLATE GeoTIFF (tiled above 512 px) with geo metadata, via a temp file.
int fz_gdal_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, fz_err *err) {
  GDALDataType gdt;
  switch ((int)out_dtype) {
    case FZ_U8: gdt = GDT_Byte; break;
    case FZ_U16: gdt = GDT_UInt16; break;
    case FZ_F32: gdt = GDT_Float32; break;
    case (int)FZ_RASTER_F64: gdt = GDT_Float64; break;
    default:
      return fz_fail(err, FZ_EINVAL, "%s: cannot write %s samples to GeoTIFF; expected u8, u16, f32 or f64", path,
                     fz_out_dtype_name(out_dtype));
  }
  fz_outfile out;
  int rc = fz_out_begin(&out, path, overwrite, err);
  if (rc) return rc;
  gdal_cap cap;
  gdal_begin(&cap);
  GDALDatasetH ds = NULL;
  void *buf = NULL;
  GDALDriverH drv = GDALGetDriverByName("GTiff");
  if (!drv) { rc = fz_fail(err, FZ_EUNSUP, "%s: this GDAL has no GTiff driver", path); goto fail; }
  char bx[32], by[32];
  int tiled = r->w > 512 || r->h > 512;
  const char *opts[10];
  int k = 0;
  opts[k++] = "COMPRESS=DEFLATE";
  opts[k++] = gdt == GDT_Float32 || gdt == GDT_Float64 ? "PREDICTOR=3" : "PREDICTOR=2";
  opts[k++] = "BIGTIFF=IF_SAFER";
  opts[k++] = r->c <= 4 ? "INTERLEAVE=PIXEL" : "INTERLEAVE=BAND";
  if (tiled) {
    snprintf(bx, sizeof bx, "BLOCKXSIZE=%d", 256);
    snprintf(by, sizeof by, "BLOCKYSIZE=%d", 256);
    opts[k++] = "TILED=YES";
    opts[k++] = bx;
    opts[k++] = by;
  }
  opts[k] = NULL;
  ds = GDALCreate(drv, out.tmp, r->w, r->h, r->c, gdt, (char **)opts);
  if (!ds) { rc = fz_fail(err, FZ_EIO, "%s: cannot create GeoTIFF: %s", path, cap.msg[0] ? cap.msg : "GDAL error"); goto fail; }
  if (r->geo.has_transform && GDALSetGeoTransform(ds, (double *)r->geo.transform) != CE_None) goto gdal_fail;
  if (r->geo.projection && *r->geo.projection && GDALSetProjection(ds, r->geo.projection) != CE_None) goto gdal_fail;
  if (r->scale != 1) {
    char sc[64];
    snprintf(sc, sizeof sc, "%.17g", r->scale);
    if (GDALSetMetadataItem(ds, "FUSOR_SCALE", sc, NULL) != CE_None) goto gdal_fail;
  }
  size_t hw = (size_t)r->h * r->w;
  if (gdt == GDT_Byte || gdt == GDT_UInt16) {
    if (!(buf = malloc(hw * 2))) { rc = fz_fail(err, FZ_ENOMEM, "%s: cannot allocate %zu bytes", path, hw * 2); goto fail; }
  }
  for (int i = 0; i < r->c; i++) {
    GDALRasterBandH b = GDALGetRasterBand(ds, i + 1);
    if (r->geo.has_nodata && GDALSetRasterNoDataValue(b, r->geo.nodata) != CE_None) goto gdal_fail;
    // descriptions only when there is one entry per band (geo copied from a PAN onto an MS output has 1)
    if (r->geo.band_desc && r->geo.nbands_desc == r->c && r->geo.band_desc[i]) GDALSetDescription(b, r->geo.band_desc[i]);
    const float *src = r->data + (size_t)i * hw;
    CPLErr e;
    if (buf) {
      fz_convert_from_f32(buf, out_dtype, src, hw);
      e = GDALRasterIO(b, GF_Write, 0, 0, r->w, r->h, buf, r->w, r->h, gdt, 0, 0);
    } else {
      e = GDALRasterIO(b, GF_Write, 0, 0, r->w, r->h, (void *)src, r->w, r->h, GDT_Float32, 0, 0);
    }
    if (e != CE_None || cap.failed) goto gdal_fail;
  }
  GDALClose(ds);  // flushes: write errors (full disk) arrive through the error handler
  ds = NULL;
  if (cap.failed) goto gdal_fail;
  free(buf);
  gdal_end();
  return fz_out_commit(&out, err);
gdal_fail:
  rc = fz_fail(err, FZ_EIO, "%s: writing GeoTIFF failed: %s", path, cap.msg[0] ? cap.msg : "GDAL error");
fail:
  if (ds) GDALClose(ds);
  free(buf);
  gdal_end();
  fz_out_abort(&out);
  return rc;
}

// Copies c×h×w u8 planes into a MEM dataset and CreateCopy()s it as a JPEG into tmp.
int fz_gdal_jpeg_encode(const char *tmp, const char *path, const uint8_t *planes, int c, int h, int w, int quality, fz_err *err) {
  gdal_cap cap;
  gdal_begin(&cap);
  int rc = FZ_OK;
  GDALDriverH mem = GDALGetDriverByName("MEM"), jpg = GDALGetDriverByName("JPEG");
  GDALDatasetH src = NULL, dst = NULL;
  if (!mem || !jpg) { rc = fz_fail(err, FZ_EUNSUP, "%s: this GDAL lacks the MEM or JPEG driver", path); goto done; }
  if (!(src = GDALCreate(mem, "", w, h, c, GDT_Byte, NULL))) { rc = fz_fail(err, FZ_ENOMEM, "%s: %s", path, cap.msg); goto done; }
  for (int i = 0; i < c; i++)
    if (GDALRasterIO(GDALGetRasterBand(src, i + 1), GF_Write, 0, 0, w, h, (void *)(planes + (size_t)i * h * w), w, h, GDT_Byte, 0, 0) != CE_None) {
      rc = fz_fail(err, FZ_EINTERNAL, "%s: filling the JPEG source failed: %s", path, cap.msg);
      goto done;
    }
  char q[32];
  snprintf(q, sizeof q, "QUALITY=%d", quality);
  const char *opts[] = {q, NULL};
  dst = GDALCreateCopy(jpg, tmp, src, FALSE, (char **)opts, NULL, NULL);
  if (dst) GDALClose(dst);  // flushes; write errors arrive through the handler
  if (!dst || cap.failed) rc = fz_fail(err, FZ_EIO, "%s: writing JPEG failed: %s", path, cap.msg[0] ? cap.msg : "GDAL error");
done:
  if (src) GDALClose(src);
  gdal_end();
  return rc;
}

// AUTHORITY:CODE (name) of g's WKT through OSR, or the CRS name when no EPSG code is found.
const char *fz_geo_crs_name(const fz_geo *g, char *buf, size_t n) {
  if (!g->projection || !*g->projection) { snprintf(buf, n, "none"); return buf; }
  gdal_cap cap;
  gdal_begin(&cap);
  OGRSpatialReferenceH srs = OSRNewSpatialReference(g->projection);
  if (!srs) snprintf(buf, n, "%.60s...", g->projection);
  else {
    OSRAutoIdentifyEPSG(srs);
    const char *auth = OSRGetAuthorityName(srs, NULL), *code = OSRGetAuthorityCode(srs, NULL), *name = OSRGetName(srs);
    if (auth && code) snprintf(buf, n, "%s:%s (%s)", auth, code, name ? name : "unnamed");
    else snprintf(buf, n, "%s", name ? name : "unnamed CRS");
    OSRDestroySpatialReference(srs);
  }
  gdal_end();
  return buf;
}
#endif
