// onnx_pb.h — a minimal protobuf wire-format reader for the ONNX test vectors (Debian libonnx-testdata):
// TensorProto files (input_*.pb / output_*.pb) and, from model.onnx, the graph's nodes (op type, input
// names, attributes), its float initializers and the default-domain opset. Test-only code; every length
// and count in the file is bounds-checked, so a corrupted file gives FZ_EFORMAT, never a crash.
#ifndef FZ_ONNX_PB_H
#define FZ_ONNX_PB_H
#include <stdint.h>
#include "error.h"

#define FZ_ONNX_MAX_DIMS 8
#define FZ_ONNX_MAX_INTS 16
#define FZ_ONNX_MAX_ATTRS 24
#define FZ_ONNX_MAX_IO 8
#define FZ_ONNX_MAX_NODES 16
#define FZ_ONNX_MAX_INITS 16

// A tensor: shape, ONNX data_type (1 = FLOAT) and, for FLOAT tensors, the values (malloc'd).
typedef struct {
  char name[128];
  int data_type;
  int ndim;
  int64_t dims[FZ_ONNX_MAX_DIMS];
  int64_t numel;
  float *data;  // NULL unless data_type == 1
} fz_onnx_tensor;

// A node attribute: scalar int / float, int list, or string (whichever the file sets).
typedef struct {
  char name[64];
  int has_i, has_f, nints;
  int64_t i;
  float f;
  int64_t ints[FZ_ONNX_MAX_INTS];
  char s[64];
} fz_onnx_attr;

typedef struct {
  char op_type[64];
  int ninputs;
  char inputs[FZ_ONNX_MAX_IO][128];
  int nattrs;
  fz_onnx_attr attrs[FZ_ONNX_MAX_ATTRS];
} fz_onnx_node;

typedef struct {
  int64_t opset;  // version of the default ("" / "ai.onnx") domain, 0 when absent
  int nnodes, ninits;
  fz_onnx_node nodes[FZ_ONNX_MAX_NODES];
  fz_onnx_tensor inits[FZ_ONNX_MAX_INITS];
} fz_onnx_model;

// Reads one serialized TensorProto file into t (zeroed first); FLOAT data from float_data or raw_data.
int fz_onnx_read_tensor(const char *path, fz_onnx_tensor *t, fz_err *err);
void fz_onnx_tensor_free(fz_onnx_tensor *t);
// Reads model.onnx: nodes, attributes, initializers and opset (heap-allocates *m's tensor data).
int fz_onnx_read_model(const char *path, fz_onnx_model *m, fz_err *err);
void fz_onnx_model_free(fz_onnx_model *m);
// The attribute called name of node n, or NULL.
const fz_onnx_attr *fz_onnx_attr_get(const fz_onnx_node *n, const char *name);
// The initializer called name, or NULL.
const fz_onnx_tensor *fz_onnx_init_get(const fz_onnx_model *m, const char *name);
#endif
