// error.h — the error type every fallible fusor call fills; the library never aborts or exits.
#ifndef FZ_ERROR_H
#define FZ_ERROR_H
#include <stdarg.h>

typedef enum {
  FZ_OK = 0,
  FZ_EINVAL = 1,   // bad argument or malformed input (names file/field/expectation in msg)
  FZ_EIO = 2,      // read/write failure, missing file, full disk
  FZ_ENOMEM = 3,   // allocation failed or absurd size requested
  FZ_EUNSUP = 4,   // valid input that this build cannot handle (e.g. built without GDAL)
  FZ_EFORMAT = 5,  // corrupted or hostile file contents
  FZ_EINTERNAL = 6 // an invariant broke: a fusor bug
} fz_code;

// An error: a code and a human-readable message naming file, field and expectation.
typedef struct fz_err {
  fz_code code;
  char msg[1024];
} fz_err;

// Sets *err (when non-NULL) to code and the printf-formatted message; returns code.
int fz_fail(fz_err *err, fz_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// Prefixes an existing message with "context: " (e.g. the file name); returns err->code.
int fz_wrap(fz_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Clears *err to FZ_OK with an empty message.
void fz_err_clear(fz_err *err);
// Name of an error code ("invalid input", "I/O error", ...).
const char *fz_code_name(fz_code code);

#endif
