// error.c — filling and wrapping fz_err messages.
#include "error.h"
#include <stdio.h>
#include <string.h>

int fz_fail(fz_err *err, fz_code code, const char *fmt, ...) {
  if (err) {
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

int fz_wrap(fz_err *err, const char *fmt, ...) {
  if (!err) return FZ_EINTERNAL;
  char prefix[512], old[sizeof err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%.500s: %.500s", prefix, old);
  if (err->code == FZ_OK) err->code = FZ_EINTERNAL;
  return err->code;
}

void fz_err_clear(fz_err *err) {
  if (!err) return;
  err->code = FZ_OK;
  err->msg[0] = 0;
}

const char *fz_code_name(fz_code code) {
  switch (code) {
    case FZ_OK: return "ok";
    case FZ_EINVAL: return "invalid input";
    case FZ_EIO: return "I/O error";
    case FZ_ENOMEM: return "out of memory";
    case FZ_EUNSUP: return "unsupported";
    case FZ_EFORMAT: return "malformed file";
    case FZ_EINTERNAL: return "internal error";
  }
  return "unknown error";
}
