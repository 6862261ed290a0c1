// raster.h — the one internal image type (C×H×W, f32 samples, scale, geo metadata) and its readers
// and writers: GeoTIFF and other GDAL formats, PanCollection HDF5, MATLAB .mat (v5 / v7.3), PNG/JPEG.
#ifndef FZ_RASTER_H
#define FZ_RASTER_H
#include <stdint.h>
#include "error.h"
#include "tensor.h"

#define FZ_RASTER_MAX_BANDS 4096
#define FZ_RASTER_MAX_SIDE (1 << 20)

// Georeferencing and band metadata carried from input to output.
typedef struct fz_geo {
  int has_transform;
  double transform[6];   // GDAL geotransform: x0, dx, rx, y0, ry, dy
  char *projection;      // WKT (malloc'd) or NULL
  int has_nodata;
  double nodata;
  char **band_desc;      // C strings (malloc'd) or NULL; band_desc[c] may be NULL
  int nbands_desc;       // entries in band_desc
} fz_geo;

// An image: data[c*H*W + y*W + x] in f32 holding the stored values (DN as read, not normalised).
typedef struct fz_raster {
  int c, h, w;
  float *data;           // c*h*w floats (malloc'd)
  fz_dtype src_dtype;    // dtype as stored in the file (u8/u16/f32 ...; f32 for float64 sources)
  double scale;          // divide by this to get [0,1] data (2047 for 11-bit, 255 for 8-bit; 1 if unknown)
  fz_geo geo;
} fz_raster;

// Allocates a c×h×w raster (zeroed data, scale 1, no geo). Fails on absurd sizes.
int fz_raster_alloc(fz_raster *r, int c, int h, int w, fz_err *err);
// Frees data and geo strings; zeroes r.
void fz_raster_free(fz_raster *r);
// Copies geo metadata from src into dst (deep copy).
int fz_geo_copy(fz_geo *dst, const fz_geo *src, fz_err *err);
void fz_geo_free(fz_geo *g);

// Which bands of a multi-variable file to read; NULL/"" = the default for the format.
// .mat: variable name (e.g. "I_PAN", "I_MS"); .h5: dataset key ("gt", "ms", "lms", "pan") plus index.
typedef struct fz_raster_sel {
  const char *key;
  int index;             // image index along N for HDF5 N×C×H×W datasets
} fz_raster_sel;

// Reads path into r, choosing the reader by extension (.tif/.tiff/.img/... via GDAL, .h5/.hdf5,
// .mat, .png/.jpg/.jpeg). Errors name the file, the field and what was expected.
int fz_raster_read(const char *path, const fz_raster_sel *sel, fz_raster *r, fz_err *err);
// Writes r to path by extension; the output dtype is out_dtype (FZ_U8/FZ_U16/FZ_F32; PNG u8/u16, JPEG u8).
// Writes to a temporary file in the same directory and renames it into place: no partial output on
// failure. Refuses to overwrite an existing file unless overwrite != 0.
int fz_raster_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, const char *key, fz_err *err);

// PanCollection HDF5 (datasets gt/ms/lms/pan, N×C×H×W float64 DN).
// Number of images N in dataset key of path (0 when absent: with err set).
int fz_h5_count(const char *path, const char *key, int *n, fz_err *err);
// Writes a PanCollection file with the given N images per key; any key array may be NULL to skip it.
// All images under one key must share C, H, W.
int fz_h5_write_pancollection(const char *path, int n, const fz_raster *gt, const fz_raster *ms,
                              const fz_raster *lms, const fz_raster *pan, int overwrite, fz_err *err);
// Names of the variables in a .mat file (for messages and `fusor inspect`); returns count, fills up to max names.
int fz_mat_list(const char *path, char names[][64], int max, fz_err *err);
#endif
