// unpickle.h — a restricted pickle reader for PyTorch state_dict files that EXECUTES NOTHING.
// It interprets the opcodes torch.save emits (protocol 2, plus the few protocol 3/4 ones listed in
// docs/WEIGHTS.md) into a small object tree. Only these globals may be named, and none is ever
// called: collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter
// and torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage. REDUCE of them
// builds a dict, a tensor record or passes a tensor through; anything else is refused by name.
// Stack depth, mark depth, memo size and object count are bounded.
#ifndef FZ_UNPICKLE_H
#define FZ_UNPICKLE_H
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "weights.h"

#define PK_MAX_STACK (1 << 20)    // stack entries
#define PK_MAX_MARKS (1 << 12)    // nested MARKs
#define PK_MAX_MEMO (1 << 20)     // memo slots
#define PK_MAX_OBJECTS (1 << 22)  // objects created by one pickle
#define PK_MAX_PICKLE (256u << 20)  // bytes of data.pkl

typedef enum {
  PK_NONE, PK_BOOL, PK_INT, PK_FLOAT, PK_STR, PK_BYTES, PK_TUPLE, PK_LIST, PK_DICT,
  PK_GLOBAL,   // an allowed global (g says which); only ever an argument of REDUCE/BINPERSID
  PK_STORAGE,  // a persistent id ('storage', torch.XStorage, key, location, numel)
  PK_TENSOR    // _rebuild_tensor_v2(storage, offset, size, stride, ...) record
} pk_kind;

typedef enum { PK_G_ORDERED_DICT = 0, PK_G_REBUILD_TENSOR_V2, PK_G_REBUILD_PARAMETER, PK_G_STORAGE } pk_global;

typedef struct pk_obj pk_obj;
struct pk_obj {
  pk_kind kind;
  pk_global g;         // GLOBAL
  fz_wdtype dtype;     // GLOBAL of a storage type, STORAGE
  int64_t i;           // INT, BOOL; STORAGE: numel; TENSOR: storage offset (elements)
  double f;            // FLOAT
  char *s;             // STR/BYTES (NUL-terminated copy of slen bytes); STORAGE: key
  size_t slen;
  pk_obj **items;      // TUPLE/LIST: n items; DICT: n (key, value) pairs as items[2k], items[2k+1]
  size_t n, cap;
  pk_obj *storage;     // TENSOR: the STORAGE
  pk_obj *size, *stride;  // TENSOR: TUPLEs of n INTs each (same n, <= FZ_W_MAX_DIMS)
};

typedef struct pk_ctx pk_ctx;

// Runs the restricted pickle machine over buf[0..len); display names the file in messages.
// On success *root is the unpickled object (owned by *ctx; pk_free releases everything).
// On failure *ctx is NULL and err names the file, the byte offset and the problem.
int pk_load(const void *buf, size_t len, const char *display, pk_ctx **ctx, pk_obj **root, fz_err *err);
void pk_free(pk_ctx *ctx);
// "dict", "tensor", ... for messages.
const char *pk_kind_name(pk_kind k);

#endif
