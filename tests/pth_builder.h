// pth_builder.h — test helpers that write pickle bytes opcode by opcode (as torch.save lays them
// out) and zip them with libzip into .pth files, so tests can build valid and hostile checkpoints.
#ifndef FZ_TEST_PTH_BUILDER_H
#define FZ_TEST_PTH_BUILDER_H
#include <stddef.h>
#include <stdint.h>

typedef struct { uint8_t *b; size_t n, cap; } pkb;

void pb_free(pkb *p);
void pb_raw(pkb *p, const void *d, size_t n);
void pb_op(pkb *p, uint8_t c);
// BINUNICODE s
void pb_str(pkb *p, const char *s);
// The smallest int opcode for v (BININT1/BININT2/BININT/LONG1).
void pb_int(pkb *p, int64_t v);
// GLOBAL "mod\nname\n"
void pb_global(pkb *p, const char *mod, const char *name);
// PROTO 2, OrderedDict(), MARK — then key/value pairs, then pb_dict_end.
void pb_dict_begin(pkb *p);
// SETITEMS
void pb_dict_end(pkb *p);
// _rebuild_tensor_v2(('storage', torch.<stype>, key, 'cpu', numel), off, size, stride, False, OrderedDict())
void pb_tensor(pkb *p, const char *stype, const char *key, int64_t numel, int64_t off, int nd, const int64_t *size,
               const int64_t *stride);
// A contiguous float tensor over the whole storage key of numel elements, 1-D.
void pb_tensor1(pkb *p, const char *key, int64_t numel);

typedef struct { const char *name; const void *data; size_t len; } pb_entry;
// Writes a stored (uncompressed) zip with the entries; 0 on success.
int pb_write_zip(const char *path, const pb_entry *e, int n);
// Writes folder/data.pkl = pickle, folder/version = "3\n" and folder/data/<key_i> = data_i.
int pb_write_pth(const char *path, const char *folder, const pkb *pickle, int nstorages, const char *const *keys,
                 const void *const *data, const size_t *lens);
#endif
