// pth_zip.c — the zip side of the .pth reader (libzip): finds <folder>/data.pkl, checks byte order,
// and supplies each storage entry <folder>/data/<key> with its size checked.
#include "pth.h"
#include "unpickle.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef FZ_HAVE_ZIP
#include <zip.h>

#define PTH_MAX_RATIO 1100  // deflate cannot expand more than ~1032:1; larger claims are zip bombs

typedef struct {
  zip_t *za;
  const char *display;
  char prefix[512];  // "archive/"
  size_t archive_len;
} zip_ctx;

// Reads entry idx (expected exactly want bytes; want == SIZE_MAX: any size up to cap) into a new buffer.
static int read_entry(zip_ctx *z, zip_int64_t idx, const char *what, size_t want, size_t cap, uint8_t **out, size_t *outlen, fz_err *err) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(z->za, (zip_uint64_t)idx, 0, &st) || !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
    return fz_fail(err, FZ_EFORMAT, "entry '%s': cannot read its size: %s", what, zip_strerror(z->za));
  if (want != SIZE_MAX && st.size != want)
    return fz_fail(err, FZ_EFORMAT, "entry '%s' holds %llu bytes, expected %zu", what, (unsigned long long)st.size, want);
  if (st.size > cap) return fz_fail(err, FZ_EFORMAT, "entry '%s' holds %llu bytes, above the %zu-byte limit", what,
                                    (unsigned long long)st.size, cap);
  if (st.comp_size > z->archive_len || st.size > (zip_uint64_t)st.comp_size * PTH_MAX_RATIO + 1024)
    return fz_fail(err, FZ_EFORMAT, "entry '%s' claims %llu bytes from %llu compressed bytes in a %zu-byte file (corrupt or a zip bomb)",
                   what, (unsigned long long)st.size, (unsigned long long)st.comp_size, z->archive_len);
  uint8_t *buf = malloc(st.size ? st.size : 1);
  if (!buf) return fz_fail(err, FZ_ENOMEM, "entry '%s': cannot allocate %llu bytes", what, (unsigned long long)st.size);
  zip_file_t *zf = zip_fopen_index(z->za, (zip_uint64_t)idx, 0);
  if (!zf) { free(buf); return fz_fail(err, FZ_EFORMAT, "entry '%s': cannot open: %s", what, zip_strerror(z->za)); }
  zip_int64_t got = st.size ? zip_fread(zf, buf, st.size) : 0;
  char extra;
  zip_int64_t more = got == (zip_int64_t)st.size ? zip_fread(zf, &extra, 1) : 0;  // reaching EOF makes libzip check the CRC
  int rc = FZ_OK;
  if (got != (zip_int64_t)st.size || more != 0)
    rc = fz_fail(err, FZ_EFORMAT, "entry '%s': read %lld of %llu bytes: %s (corrupt zip?)", what, (long long)got,
                 (unsigned long long)st.size, zip_file_strerror(zf));
  zip_fclose(zf);
  if (rc) { free(buf); return rc; }
  *out = buf;
  if (outlen) *outlen = st.size;
  return FZ_OK;
}

// pth_storage_fn over the zip: entry <prefix>data/<key>, exactly nbytes long.
static int zip_storage(void *ctx, fz_weights *w, const char *key, size_t nbytes, const uint8_t **data, fz_err *err) {
  zip_ctx *z = ctx;
  char name[800], pk[220];
  snprintf(name, sizeof name, "%sdata/%s", z->prefix, fz_printable(key, pk, sizeof pk));
  zip_int64_t idx = zip_name_locate(z->za, name, 0);
  if (idx < 0) return fz_fail(err, FZ_EFORMAT, "storage entry '%s' is missing from the zip", name);
  uint8_t *buf = NULL;
  int rc = read_entry(z, idx, name, nbytes, SIZE_MAX, &buf, NULL, err);
  if (rc) return rc;
  if (fz_weights_own(w, buf, err)) return err->code;
  *data = buf;
  return FZ_OK;
}

// Finds the one entry "<folder>/data.pkl" (or "data.pkl"); sets z->prefix.
static zip_int64_t find_pickle(zip_ctx *z, fz_err *err) {
  zip_int64_t n = zip_get_num_entries(z->za, 0), found = -1;
  int count = 0;
  for (zip_int64_t i = 0; i < n; i++) {
    const char *nm = zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
    if (!nm) continue;
    size_t l = strlen(nm);
    const char *slash = strchr(nm, '/');
    int ok = !strcmp(nm, "data.pkl") || (l > 9 && !strcmp(nm + l - 9, "/data.pkl") && slash == nm + l - 9);
    if (!ok) continue;
    if (++count == 1) {
      found = i;
      if (l - 8 >= sizeof z->prefix) return fz_fail(err, FZ_EFORMAT, "%s: folder name of '%s' is too long", z->display, nm), -1;
      snprintf(z->prefix, sizeof z->prefix, "%.*s", (int)(l - 8), nm);
    }
  }
  if (count > 1) return fz_fail(err, FZ_EFORMAT, "%s: %d data.pkl entries in the zip, expected exactly one", z->display, count), -1;
  if (found < 0)
    return fz_fail(err, FZ_EFORMAT, "%s: no '<folder>/data.pkl' entry in the zip: not a torch.save checkpoint", z->display), -1;
  return found;
}

int pth_parse_mem(const void *buf, size_t len, const char *display, fz_weights *w, fz_err *err) {
  fz_err local = {0};
  if (!err) err = &local;
  fz_weights_init(w);
  const uint8_t *b = buf;
  static const uint8_t legacy_magic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (len >= 14 && b[0] == 0x80 && !memcmp(b + 2, legacy_magic, sizeof legacy_magic))
    return fz_fail(err, FZ_EUNSUP, "%s: legacy (pre-1.6, non-zip) torch.save format is not supported: re-save it with torch >= 1.6 "
                                   "(torch.save(torch.load(f), f2)) to get the zip format", display);
  if (len >= 2 && b[0] == 0x80)
    return fz_fail(err, FZ_EFORMAT, "%s: a bare pickle, not a torch.save zip archive (PyTorch .pth files are zips starting with 'PK')", display);
  if (len < 4 || b[0] != 'P' || b[1] != 'K')
    return fz_fail(err, FZ_EFORMAT, "%s: not a zip archive (PyTorch .pth files are zips starting with 'PK')", display);
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *src = zip_source_buffer_create(buf, len, 0, &ze);
  if (!src) { zip_error_fini(&ze); return fz_fail(err, FZ_ENOMEM, "%s: cannot create a zip source", display); }
  zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
  if (!za) {
    int code = zip_error_code_zip(&ze);
    int rc = fz_fail(err, FZ_EFORMAT, "%s: %s: %s", display, code == ZIP_ER_NOZIP ? "not a zip archive" : "corrupt zip archive", zip_error_strerror(&ze));
    zip_source_free(src);
    zip_error_fini(&ze);
    return rc;
  }
  zip_error_fini(&ze);
  zip_ctx z = {za, display, "", len};
  int rc = FZ_OK;
  zip_int64_t pidx = find_pickle(&z, err);
  uint8_t *pkl = NULL, *bo = NULL;
  size_t plen = 0, bolen = 0;
  if (pidx < 0) rc = err->code;
  if (!rc) {  // byte order: torch >= 1.11 records it; older files are little-endian
    char bname[600];
    snprintf(bname, sizeof bname, "%sbyteorder", z.prefix);
    zip_int64_t bidx = zip_name_locate(za, bname, 0);
    if (bidx >= 0 && (rc = read_entry(&z, bidx, bname, SIZE_MAX, 64, &bo, &bolen, err))) fz_wrap(err, "%s", display);
    else if (bidx >= 0 && !(bolen == 6 && !memcmp(bo, "little", 6)))
      rc = fz_fail(err, FZ_EUNSUP, "%s: '%s' says '%.*s': only little-endian checkpoints are supported", display, bname,
                   (int)(bolen < 16 ? bolen : 16), (const char *)bo);
  }
  char pname[600];
  snprintf(pname, sizeof pname, "%sdata.pkl", z.prefix);
  if (!rc && (rc = read_entry(&z, pidx, pname, SIZE_MAX, PK_MAX_PICKLE, &pkl, &plen, err))) fz_wrap(err, "%s", display);
  if (!rc) {
    char disp[900];
    snprintf(disp, sizeof disp, "%s: %s", display, pname);
    rc = pth_from_pickle(pkl, plen, disp, zip_storage, &z, w, err);
  }
  free(pkl);
  free(bo);
  zip_discard(za);
  return rc;
}
#else
int pth_parse_mem(const void *buf, size_t len, const char *display, fz_weights *w, fz_err *err) {
  fz_weights_init(w);
  return fz_fail(err, FZ_EUNSUP, "%s: this fusor was built without libzip (libzip-dev): cannot read .pth checkpoints", display);
}
#endif

int pth_open(const char *path, fz_weights *w, fz_err *err) {
  fz_weights_init(w);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fz_fail(err, FZ_EIO, "%s: cannot open: %s", path, strerror(errno));
  struct stat s;
  if (fstat(fd, &s) != 0 || !S_ISREG(s.st_mode)) {
    close(fd);
    return fz_fail(err, FZ_EINVAL, "%s: not a regular file", path);
  }
  size_t len = (size_t)s.st_size;
  if (len == 0) { close(fd); return fz_fail(err, FZ_EFORMAT, "%s: empty file, expected a zip archive", path); }
  void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  close(fd);
  if (map == MAP_FAILED) return fz_fail(err, FZ_EIO, "%s: cannot map %zu bytes: %s", path, len, strerror(e));
  int rc = pth_parse_mem(map, len, path, w, err);
  munmap(map, len);
  return rc;
}
