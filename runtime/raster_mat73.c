// raster_mat73.c — writes MATLAB v7.3 .mat files directly with HDF5: a 512-byte userblock holding the
// MATLAB header, then one dataset per variable with a MATLAB_class attribute. MATLAB's column-major
// H×W×C array is HDF5's row-major C×W×H, so dims are stored reversed. The file is built in memory and
// written with checked writes (see fz_h5_mem_create), so a full disk yields an error and no output.
#include "raster.h"
#include "raster_internal.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifndef FZ_HAVE_HDF5
// Stub without HDF5: FZ_EUNSUP.
int fz_mat73_write(const char *tmp, const char *path, const fz_mat73_var *vars, int n, fz_err *err) {
  return fz_fail(err, FZ_EUNSUP, "%s: cannot write .mat v7.3: built without HDF5 (install libhdf5-dev and rebuild)", path);
}
#else
#include <hdf5.h>

// The 128-byte MATLAB header at the start of the userblock: text, no subsystem data, version 0x0200, "IM".
static void mat73_header(unsigned char hdr[512]) {
  memset(hdr, 0, 512);
  char text[160];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  char date[64];
  strftime(date, sizeof date, "%a %b %d %H:%M:%S %Y", &tm);
  snprintf(text, sizeof text, "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: %s HDF5 schema 1.00 .", date);
  memset(hdr, ' ', 116);
  memcpy(hdr, text, strlen(text) < 116 ? strlen(text) : 116);
  hdr[124] = 0x00;  // version 0x0200, little-endian
  hdr[125] = 0x02;
  hdr[126] = 'I';
  hdr[127] = 'M';
}

// Adds the string attribute MATLAB_class = cls to object o.
static int set_class(hid_t o, const char *cls) {
  hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a = -1;
  int ok = t >= 0 && s >= 0 && H5Tset_size(t, strlen(cls)) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0 &&
           (a = H5Acreate2(o, "MATLAB_class", t, s, H5P_DEFAULT, H5P_DEFAULT)) >= 0 && H5Awrite(a, t, cls) >= 0;
  if (a >= 0) H5Aclose(a);
  if (s >= 0) H5Sclose(s);
  if (t >= 0) H5Tclose(t);
  return ok ? 0 : -1;
}

// Builds the v7.3 file in memory (one dataset per variable, dims reversed) and writes userblock + image.
int fz_mat73_write(const char *tmp, const char *path, const fz_mat73_var *vars, int n, fz_err *err) {
  fz_h5_lock();
  H5E_auto2_t old_fn = NULL;
  void *old_data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int rc = FZ_OK;
  hid_t f = (hid_t)fz_h5_mem_create(512, path, err);
  if (f < 0) rc = err ? (int)err->code : FZ_EIO;
  for (int i = 0; i < n && !rc; i++) {
    const fz_mat73_var *v = &vars[i];
    hid_t ft, mt;
    const char *cls;
    switch ((int)v->type) {
      case FZ_U8: ft = H5T_STD_U8LE; mt = H5T_NATIVE_UINT8; cls = "uint8"; break;
      case FZ_U16: ft = H5T_STD_U16LE; mt = H5T_NATIVE_UINT16; cls = "uint16"; break;
      case FZ_F32: ft = H5T_IEEE_F32LE; mt = H5T_NATIVE_FLOAT; cls = "single"; break;
      case (int)FZ_RASTER_F64: ft = H5T_IEEE_F64LE; mt = H5T_NATIVE_DOUBLE; cls = "double"; break;
      default: rc = fz_fail(err, FZ_EINTERNAL, "%s: v7.3 variable '%s' has an unsupported type", path, v->name); continue;
    }
    hsize_t dims[3];
    for (int d = 0; d < v->rank; d++) dims[d] = v->dims[v->rank - 1 - d];  // MATLAB (H, W, C) -> HDF5 (C, W, H)
    hid_t s = H5Screate_simple(v->rank, dims, NULL);
    hid_t d = s >= 0 ? H5Dcreate2(f, v->name, ft, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    if (d < 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v->data) < 0 || set_class(d, cls) < 0)
      rc = fz_fail(err, FZ_EIO, "%s: writing v7.3 variable '%s' failed", path, v->name);
    if (d >= 0) H5Dclose(d);
    if (s >= 0) H5Sclose(s);
  }
  if (f >= 0) {
    unsigned char hdr[512];
    mat73_header(hdr);
    if (!rc) rc = fz_h5_mem_save(f, tmp, path, hdr, 512, err);
    else H5Fclose(f);
  }
  H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  fz_h5_unlock();
  return rc;
}
#endif
