// sha256.h — SHA-256 (FIPS 180-4), used to record the source checkpoint's digest in metadata.
#ifndef FZ_SHA256_H
#define FZ_SHA256_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"

typedef struct { uint32_t h[8]; uint64_t len; uint8_t buf[64]; size_t nbuf; } fz_sha256;

void fz_sha256_init(fz_sha256 *s);
// Hashes n more bytes.
void fz_sha256_update(fz_sha256 *s, const void *data, size_t n);
// Finishes and writes the 32-byte digest.
void fz_sha256_final(fz_sha256 *s, uint8_t out[32]);
// Digest of n bytes as 64 lowercase hex characters + NUL in hex[65].
void fz_sha256_hex(const void *data, size_t n, char hex[65]);
// Digest of the file at path as hex; fails with a message naming the file.
int fz_sha256_file(const char *path, char hex[65], fz_err *err);
#endif
