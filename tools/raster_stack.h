// raster_stack.h — reading a band stack given as a comma-separated list of single-scene files (Landsat
// ships one GeoTIFF per band: "B2.TIF,B3.TIF,B4.TIF,B5.TIF"), for the CLI inputs of run / simulate / eval.
#ifndef FZ_RASTER_STACK_H
#define FZ_RASTER_STACK_H
#include "raster.h"

// 1 when spec is a comma-separated list (it names more than one file).
int fz_stack_is_list(const char *spec);
// Reads spec into r: one file (fz_raster_read with sel) or, for a list, every file's bands in list order.
// The files must share size and geotransform (errors name the file, its size or origin and the first file's);
// r keeps the first file's georeferencing and scale, band descriptions are the file names.
int fz_raster_read_stack(const char *spec, const fz_raster_sel *sel, fz_raster *r, fz_err *err);
#endif
