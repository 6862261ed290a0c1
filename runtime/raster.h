// raster.h — the one internal image type (C×H×W, f32 samples, scale, geo metadata) and its readers
// and writers: GeoTIFF and other GDAL formats, PanCollection HDF5, MATLAB .mat (v5 / v7.3), PNG/JPEG.
// Formats, conventions and examples: docs/RASTER.md.
#ifndef FZ_RASTER_H
#define FZ_RASTER_H
#include <stdint.h>
#include "error.h"
#include "tensor.h"

#define FZ_RASTER_MAX_BANDS 4096
#define FZ_RASTER_MAX_SIDE (1 << 20)
// Largest sample count (c*h*w) a raster may hold: 2^34 (64 GiB of f32).
#define FZ_RASTER_MAX_SAMPLES (INT64_C(1) << 34)
// Output sample type "float64" for fz_raster_write (.mat, .h5, GeoTIFF). fz_dtype has no f64 (tensors
// never hold one); this value sits past FZ_DTYPE_COUNT so it never collides with a tensor dtype.
#define FZ_RASTER_F64 ((fz_dtype)(FZ_DTYPE_COUNT + 1))

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
// .mat band-by-pixel matrices (B × H·W, e.g. Jasper Ridge "Y" 198×10000): key "Y:100x100" reshapes the
// pixel axis in MATLAB column-major order (reshape(Y,[B,H,W])) into a B×H×W raster.
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
// Samples are stored as they are (rounded, saturated to the output type): rescale first if needed.
// GeoTIFF: u8/u16/f32/FZ_RASTER_F64. .mat: u8/u16/f32/FZ_RASTER_F64, variable key (default "sr"),
// v5 (v7.3 when the data exceed 2 GB; see fz_mat_write). .h5: a one-image float64 1×C×H×W dataset named
// key (default "sr"; gt/ms/lms/pan make a PanCollection file). PNG/JPEG ignore geo metadata and scale.
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

// ---- extensions (raster engineer) ----

// Writes r as a MATLAB variable varname (default "sr"), H×W×C column-major, in .mat v5 (v73 = 0) or
// v7.3 (v73 = 1; HDF5-based). v5 is refused for a variable over 2 GB: pass v73 = 1 (fz_raster_write
// switches by itself). out_dtype u8/u16/f32/FZ_RASTER_F64. Adds a scalar "L" (bit depth) when r->scale
// is 2^L-1, so that reading the file back restores the scale. Same temp-file/overwrite rules as above.
int fz_mat_write(const char *path, const fz_raster *r, fz_dtype out_dtype, int overwrite, const char *varname,
                 int v73, fz_err *err);

// Reads the char variable name of a .mat file (e.g. sensor = 'WV2') into buf as ASCII (non-ASCII code units
// dropped). FZ_EINVAL when absent (message lists the variables) or not a char array; truncation is an error.
int fz_mat_read_string(const char *path, const char *name, char *buf, size_t n, fz_err *err);
// Reads the real numeric scalar variable name of a .mat file (any class, e.g. ratio, L) into *v.
int fz_mat_read_scalar(const char *path, const char *name, double *v, fz_err *err);

// One variable / dataset of a .mat or .h5 file, for listings and messages.
typedef struct fz_var_info {
  char name[64];
  int ndim;              // 0 for non-array variables (structs, cells)
  int64_t dims[8];       // as stored: MATLAB order for .mat (H, W, C), C order for .h5 (N, C, H, W)
  char type[24];         // "uint16", "double", "char", "struct", ...
} fz_var_info;
// Lists the variables of a .mat or datasets at the root of an .h5 file; returns the count (may exceed
// max; only max entries are filled) or -1 with err set.
int fz_raster_list_vars(const char *path, fz_var_info *vars, int max, fz_err *err);

// Short format name for path's extension ("GeoTIFF (GDAL)", "PanCollection HDF5", "MATLAB .mat",
// "PNG", "JPEG"), or NULL when the extension is unknown.
const char *fz_raster_format_name(const char *path);
// Comma-separated list of the extensions fz_raster_read/fz_raster_write know (for messages and help).
const char *fz_raster_known_extensions(void);

// Fails (FZ_EINVAL) unless a and b have the same height and width; names[0], names[1] (file names or
// roles like "PAN pan.tif") appear in the message with both sizes. Band counts may differ.
int fz_raster_check_same_size(const fz_raster *a, const fz_raster *b, const char *const names[2], fz_err *err);
// Returns 0 when every sample of r is finite; otherwise FZ_EINVAL naming `name` and the first
// non-finite sample (band, row, column, all 0-based), also stored in pos[0..2] when pos != NULL.
int fz_raster_check_finite(const fz_raster *r, const char *name, int pos[3], fz_err *err);
// Multiplies every sample by new_scale / r->scale and sets r->scale = new_scale (e.g. 2047 → 255).
int fz_raster_rescale(fz_raster *r, double new_scale, fz_err *err);

// Copies r (C×H×W) into a new f32 tensor t of shape [1, C, H, W] on backend be (NULL = host memory),
// divided by r->scale when normalise != 0. t is allocated here; release with fz_tensor_free.
int fz_raster_to_tensor(const fz_raster *r, const struct fz_backend *be, int normalise, fz_tensor *t, fz_err *err);
// Copies image n of tensor t (f32/f16/bf16, shape [N, C, H, W], [C, H, W] or [H, W]) into a new raster r
// with r->scale = scale; multiplies the samples by scale when denormalise != 0. No geo metadata is set.
int fz_raster_from_tensor(const fz_tensor *t, int n, double scale, int denormalise, fz_raster *r, fz_err *err);

// Writes an 8-bit RGB PNG preview of bands (r_band, g_band, b_band) (0-based; equal for grey), each
// stretched linearly so its 2% and 98% percentiles map to 0 and 255 (non-finite and nodata samples
// ignored). Same temp-file rules as fz_raster_write; overwrites out_path.
int fz_raster_quicklook(const fz_raster *r, int r_band, int g_band, int b_band, const char *out_path, fz_err *err);
// The value at fraction p (0..1) of the sorted finite samples of n floats, index round(p*(count-1));
// non-finite values and (when has_nodata) nodata are skipped. NAN when none is left. Used by quicklook.
float fz_percentile_f32(const float *x, size_t n, double p, int has_nodata, double nodata, fz_err *err);

// Writes "EPSG:32633 (WGS 84 / UTM zone 33N)" or the CRS name for g's projection into buf (GDAL's
// OGR); "none" without a projection; the start of the WKT when built without GDAL.
const char *fz_geo_crs_name(const fz_geo *g, char *buf, size_t n);
#endif
