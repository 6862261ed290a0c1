// test_onnx.c — runs the ONNX backend test vectors of Debian's libonnx-testdata through fusor's nn ops:
// Conv, ConvTranspose, LayerNormalization, InstanceNormalization, BatchNormalization (inference),
// Softmax, Gemm and single-node activations, from data/node (ONNX's own cases) and data/pytorch-converted
// / pytorch-operator (modules exported from PyTorch with their outputs). Attributes come from model.onnx
// (tests/onnx_pb.c). Skips with a reason when the package is absent (apt-get install libonnx-testdata).
// Oracle: the output_0.pb tensors shipped with each case; tolerance 1e-5 mixed abs/rel (fz_case_err-like).
// Not run here: 3-D convolutions (fusor has no 3-D conv), the legacy opset-6 Add broadcasts, multi-node
// graphs, and Resize (left to the resampling tests, which can reuse onnx_pb.h).
#include "test.h"
#include "fusor.h"
#include "onnx_pb.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Root of the test data (env FUSOR_ONNX_DATA, default Debian's path), or NULL when absent.
static const char *onnx_root(void) {
  const char *r = getenv("FUSOR_ONNX_DATA");
  if (!r) r = "/usr/share/libonnx-testdata/data";
  char p[512];
  snprintf(p, sizeof p, "%s/node/test_gemm_alpha/model.onnx", r);
  return access(p, R_OK) == 0 ? r : NULL;
}

typedef struct {
  fz_onnx_model *m;
  fz_onnx_tensor in[8], out;
  int nin;
  const fz_onnx_tensor *arg[8];  // node inputs resolved to data inputs or initializers (NULL: absent)
} ocase;

// Frees a loaded case.
static void ocase_free(ocase *c) {
  for (int i = 0; i < c->nin; i++) fz_onnx_tensor_free(&c->in[i]);
  fz_onnx_tensor_free(&c->out);
  if (c->m) { fz_onnx_model_free(c->m); free(c->m); }
  memset(c, 0, sizeof *c);
}

// Loads dir's model (one node), its data inputs and output_0, and resolves the node's arguments.
static int ocase_load(const char *root, const char *dir, ocase *c, fz_err *err) {
  memset(c, 0, sizeof *c);
  char p[768];
  c->m = malloc(sizeof *c->m);
  if (!c->m) return fz_fail(err, FZ_ENOMEM, "no memory");
  snprintf(p, sizeof p, "%s/%s/model.onnx", root, dir);
  int rc = fz_onnx_read_model(p, c->m, err);
  if (rc) { free(c->m); c->m = NULL; return rc; }
  if (c->m->nnodes != 1) return fz_fail(err, FZ_EUNSUP, "%s: %d nodes, the runner takes single-node graphs", dir, c->m->nnodes);
  for (c->nin = 0; c->nin < 8; c->nin++) {
    snprintf(p, sizeof p, "%s/%s/test_data_set_0/input_%d.pb", root, dir, c->nin);
    if (access(p, R_OK)) break;
    if ((rc = fz_onnx_read_tensor(p, &c->in[c->nin], err))) return rc;
  }
  snprintf(p, sizeof p, "%s/%s/test_data_set_0/output_0.pb", root, dir);
  if ((rc = fz_onnx_read_tensor(p, &c->out, err))) return rc;
  const fz_onnx_node *n = &c->m->nodes[0];
  for (int j = 0, k = 0; j < n->ninputs && j < 8; j++) {
    if (!n->inputs[j][0]) continue;
    const fz_onnx_tensor *t = fz_onnx_init_get(c->m, n->inputs[j]);
    c->arg[j] = t ? t : (k < c->nin ? &c->in[k++] : NULL);
  }
  return FZ_OK;
}

// A fusor tensor on be holding t's float data with the given shape (ndim dims).
static int to_fz(const fz_backend *be, const fz_onnx_tensor *t, int ndim, const int64_t *shape, fz_tensor *o, fz_err *err) {
  if (!t || !t->data) return fz_fail(err, FZ_EUNSUP, "onnx: missing or non-float tensor");
  int rc = fz_tensor_alloc(o, be, FZ_F32, ndim, shape, err);
  if (rc) return rc;
  if ((int64_t)fz_tensor_numel(o) != t->numel) { fz_tensor_free(o); return fz_fail(err, FZ_EINVAL, "onnx: %lld values for shape of %lld", (long long)t->numel, (long long)fz_tensor_numel(o)); }
  return fz_tensor_upload(o, t->data, fz_tensor_nbytes(o), err);
}

// max |got - want| / (1 + |want|) over the expected output.
static double max_err(const fz_tensor *got, const fz_onnx_tensor *want) {
  if (fz_tensor_numel(got) != want->numel) return INFINITY;
  const float *g = got->data;
  double m = 0;
  for (int64_t i = 0; i < want->numel; i++) {
    double e = fabs((double)g[i] - want->data[i]) / (1 + fabs(want->data[i]));
    if (!(e <= m)) m = e;
  }
  return m;
}

// Int attribute name of n, or dflt.
static int64_t iattr(const fz_onnx_node *n, const char *name, int64_t dflt) {
  const fz_onnx_attr *a = fz_onnx_attr_get(n, name);
  return a && a->has_i ? a->i : dflt;
}
// Float attribute name of n, or dflt.
static float fattr(const fz_onnx_node *n, const char *name, float dflt) {
  const fz_onnx_attr *a = fz_onnx_attr_get(n, name);
  return a && a->has_f ? a->f : dflt;
}
// ints attribute element k (spatial dim k of nsp), or dflt.
static int64_t ints_at(const fz_onnx_node *n, const char *name, int k, int64_t dflt) {
  const fz_onnx_attr *a = fz_onnx_attr_get(n, name);
  return a && k < a->nints ? a->ints[k] : dflt;
}

// Runs a Conv / ConvTranspose node (1-D as height-1 2-D) into *o.
static int run_conv(const fz_backend *be, ocase *c, int transposed, fz_tensor *o, fz_err *err) {
  const fz_onnx_node *n = &c->m->nodes[0];
  const fz_onnx_tensor *X = c->arg[0], *W = c->arg[1], *B = c->arg[2];
  if (!X || !W || (X->ndim != 4 && X->ndim != 3)) return fz_fail(err, FZ_EUNSUP, "only 1-D and 2-D convolutions");
  int sp = X->ndim - 2;  // spatial dims; 1-D runs with height 1
  int64_t xs[4] = {X->dims[0], X->dims[1], sp == 2 ? X->dims[2] : 1, X->dims[sp + 1]};
  int64_t ws[4] = {W->dims[0], W->dims[1], sp == 2 ? W->dims[2] : 1, W->dims[sp + 1]};
  const fz_onnx_attr *ap = fz_onnx_attr_get(n, "auto_pad");
  const char *auto_pad = ap ? ap->s : "NOTSET";
  int64_t pad_b[2] = {0, 0}, pad_e[2] = {0, 0}, opad[2] = {0, 0};
  int64_t st[2], dl[2], in[2] = {xs[2], xs[3]}, k[2] = {ws[2], ws[3]};
  for (int d = 0; d < 2; d++) {
    int a = sp == 2 ? d : 0;  // attribute index of this dim (1-D: only width)
    int real = sp == 2 || d == 1;
    st[d] = real ? ints_at(n, "strides", a, 1) : 1;
    dl[d] = real ? ints_at(n, "dilations", a, 1) : 1;
    if (!real) continue;
    pad_b[d] = ints_at(n, "pads", a, 0);
    pad_e[d] = ints_at(n, "pads", a + sp, 0);
    opad[d] = ints_at(n, "output_padding", a, 0);
    int64_t ext = (k[d] - 1) * dl[d] + 1;
    if (!transposed && strncmp(auto_pad, "SAME", 4) == 0) {  // out = ceil(in / stride)
      int64_t out = (in[d] + st[d] - 1) / st[d], total = (out - 1) * st[d] + ext - in[d];
      if (total < 0) total = 0;
      pad_b[d] = !strcmp(auto_pad, "SAME_UPPER") ? total / 2 : total - total / 2;
      pad_e[d] = total - pad_b[d];
    }
    const fz_onnx_attr *os = fz_onnx_attr_get(n, "output_shape");
    if (transposed && (os || strncmp(auto_pad, "SAME", 4) == 0)) {
      int64_t want = os ? os->ints[os->nints - sp + a] : in[d] * st[d];
      int64_t total = st[d] * (in[d] - 1) + opad[d] + ext - want;
      if (total < 0) { opad[d] += -total; total = 0; }  // a larger output_shape extends at the end
      // ONNX: SAME_UPPER puts total/2 at the start; NOTSET / SAME_LOWER put the larger half there.
      pad_b[d] = !strcmp(auto_pad, "SAME_UPPER") ? total / 2 : total - total / 2;
      pad_e[d] = total - pad_b[d];
      if (pad_e[d] > pad_b[d] && opad[d]) return fz_fail(err, FZ_EUNSUP, "output padding with a larger end crop");
    }
  }
  fz_conv2d_params p = {.stride_h = (int)st[0], .stride_w = (int)st[1], .dil_h = (int)dl[0], .dil_w = (int)dl[1],
                        .groups = (int)iattr(n, "group", 1), .pad_h = (int)pad_b[0], .pad_w = (int)pad_b[1],
                        .pad_h_extra = (int)(pad_e[0] - pad_b[0]), .pad_w_extra = (int)(pad_e[1] - pad_b[1]),
                        .out_pad_h = (int)opad[0], .out_pad_w = (int)opad[1]};
  fz_tensor x, w, b = {0};
  int64_t os4[4];
  int rc = to_fz(be, X, 4, xs, &x, err);
  if (!rc) rc = to_fz(be, W, 4, ws, &w, err);
  if (!rc && B) rc = to_fz(be, B, 1, B->dims, &b, err);
  if (!rc) {
    os4[0] = xs[0];
    if (transposed) { os4[1] = ws[1] * p.groups; fz_conv_transpose2d_out_size(&p, xs[2], xs[3], ws[2], ws[3], &os4[2], &os4[3]); }
    else { os4[1] = ws[0]; fz_conv2d_out_size(&p, xs[2], xs[3], ws[2], ws[3], &os4[2], &os4[3]); }
    rc = fz_tensor_alloc(o, be, FZ_F32, 4, os4, err);
  }
  if (!rc) rc = transposed ? fz_op_conv_transpose2d(be, o, &x, &w, B ? &b : NULL, &p, err) : fz_op_conv2d(be, o, &x, &w, B ? &b : NULL, &p, err);
  fz_tensor_free(&x); fz_tensor_free(&w); fz_tensor_free(&b);
  return rc;
}

// Runs the case in dir and returns its error against output_0 in *e (FZ_EUNSUP: the runner cannot run it).
static int run_dir(const char *root, const char *dir, double *e, fz_err *err) {
  const fz_backend *be = fz_backend_cpu(2);
  ocase c;
  int rc = ocase_load(root, dir, &c, err);
  fz_tensor o = {0}, x = {0}, g = {0}, b = {0}, mu = {0}, va = {0};
  const fz_onnx_node *n = rc ? NULL : &c.m->nodes[0];
  const char *op = n ? n->op_type : "";
  const fz_onnx_tensor *X = c.arg[0];
  if (rc) goto done;
  if (!X || !X->data) { rc = fz_fail(err, FZ_EUNSUP, "%s: first input is not float", dir); goto done; }
  if (!strcmp(op, "Conv") || !strcmp(op, "ConvTranspose")) {
    rc = run_conv(be, &c, op[4] == 'T', &o, err);
  } else if (!strcmp(op, "LayerNormalization")) {
    int axis = (int)iattr(n, "axis", -1);
    if (axis < 0) axis += X->ndim;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < X->ndim; d++) *(d < axis ? &outer : &inner) *= X->dims[d];
    int64_t s2[2] = {outer, inner};
    rc = to_fz(be, X, 2, s2, &x, err);
    if (!rc) rc = to_fz(be, c.arg[1], 1, &inner, &g, err);
    if (!rc && c.arg[2]) rc = to_fz(be, c.arg[2], 1, &inner, &b, err);
    if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, 2, s2, err);
    if (!rc) rc = fz_op_layer_norm(be, &o, &x, &g, c.arg[2] ? &b : NULL, fattr(n, "epsilon", 1e-5f), err);
  } else if (!strcmp(op, "InstanceNormalization") || !strcmp(op, "BatchNormalization")) {
    int inst = op[0] == 'I';
    if (iattr(n, "training_mode", 0)) { rc = fz_fail(err, FZ_EUNSUP, "training-mode BatchNorm"); goto done; }
    int64_t ch = X->dims[1];
    rc = to_fz(be, X, X->ndim, X->dims, &x, err);
    if (!rc) rc = to_fz(be, c.arg[1], 1, &ch, &g, err);
    if (!rc) rc = to_fz(be, c.arg[2], 1, &ch, &b, err);
    if (!rc && !inst) rc = to_fz(be, c.arg[3], 1, &ch, &mu, err);
    if (!rc && !inst) rc = to_fz(be, c.arg[4], 1, &ch, &va, err);
    if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, X->ndim, X->dims, err);
    float eps = fattr(n, "epsilon", 1e-5f);
    if (!rc) rc = inst ? fz_op_group_norm(be, &o, &x, (int)ch, &g, &b, eps, FZ_ACT_NONE, 0, err)
                       : fz_op_batch_norm(be, &o, &x, &mu, &va, &g, &b, eps, FZ_ACT_NONE, 0, err);
  } else if (!strcmp(op, "Softmax")) {
    int axis = (int)iattr(n, "axis", c.m->opset >= 13 ? -1 : 1);
    if (axis < 0) axis += X->ndim;
    rc = to_fz(be, X, X->ndim, X->dims, &x, err);
    if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, X->ndim, X->dims, err);
    if (!rc && c.m->opset >= 13) rc = fz_op_softmax(be, &o, &x, axis, err);
    else if (!rc) {  // opset < 13: softmax of the input flattened to [prod(dims < axis), prod(dims >= axis)]
      fz_tensor x2 = x, o2 = o;
      int64_t outer = 1;
      for (int d = 0; d < axis; d++) outer *= X->dims[d];
      x2.ndim = o2.ndim = 2;
      x2.shape[0] = o2.shape[0] = outer;
      x2.shape[1] = o2.shape[1] = X->numel / (outer ? outer : 1);
      rc = fz_op_softmax(be, &o2, &x2, -1, err);
    }
  } else if (!strcmp(op, "Gemm")) {
    int ta = (int)iattr(n, "transA", 0), tb = (int)iattr(n, "transB", 0);
    const fz_onnx_tensor *A = c.arg[0], *Bm = c.arg[1], *C = c.arg[2];
    int64_t m = ta ? A->dims[1] : A->dims[0], nn = tb ? Bm->dims[0] : Bm->dims[1], os[2] = {m, nn};
    rc = to_fz(be, A, 2, A->dims, &x, err);
    if (!rc) rc = to_fz(be, Bm, 2, Bm->dims, &g, err);
    if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, 2, os, err);
    if (!rc) {  // out = C broadcast to [M, N] (unidirectional ONNX broadcasting), then beta·out + alpha·AB
      float *od = o.data;
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < nn; j++) {
          float v = 0;
          if (C && C->data) {
            int64_t r = C->ndim == 2 ? C->dims[0] : 1, cc = C->ndim >= 1 ? C->dims[C->ndim - 1] : 1;
            v = C->data[(r == 1 ? 0 : i) * cc + (cc == 1 ? 0 : j)];
          }
          od[i * nn + j] = v;
        }
      rc = fz_op_gemm(be, &o, &x, &g, ta, tb, fattr(n, "alpha", 1.0f), C ? fattr(n, "beta", 1.0f) : 0.0f, err);
    }
  } else if (!strcmp(op, "Relu") || !strcmp(op, "LeakyRelu") || !strcmp(op, "Sigmoid") || !strcmp(op, "Tanh") ||
             !strcmp(op, "Softplus") || !strcmp(op, "Clip")) {
    rc = to_fz(be, X, X->ndim, X->dims, &x, err);
    if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, X->ndim, X->dims, err);
    if (rc) goto done;
    if (!strcmp(op, "Clip")) rc = fz_op_clamp(be, &o, &x, fattr(n, "min", -INFINITY), fattr(n, "max", INFINITY), err);
    else if (!strcmp(op, "Relu")) rc = fz_op_act(be, &o, &x, FZ_ACT_RELU, 0, 0, err);
    else if (!strcmp(op, "LeakyRelu")) rc = fz_op_act(be, &o, &x, FZ_ACT_LEAKY_RELU, fattr(n, "alpha", 0.01f), 0, err);
    else if (!strcmp(op, "Sigmoid")) rc = fz_op_act(be, &o, &x, FZ_ACT_SIGMOID, 0, 0, err);
    else if (!strcmp(op, "Tanh")) rc = fz_op_act(be, &o, &x, FZ_ACT_TANH, 0, 0, err);
    else rc = fz_op_act(be, &o, &x, FZ_ACT_SOFTPLUS, 1.0f, INFINITY, err);  // ONNX Softplus: log(exp(x)+1), no threshold
  } else {
    rc = fz_fail(err, FZ_EUNSUP, "%s: op %s is not run here", dir, op);
  }
  if (!rc) *e = max_err(&o, &c.out);
done:
  if (rc && rc != FZ_EUNSUP) fz_wrap(err, "%s", dir);
  fz_tensor_free(&o); fz_tensor_free(&x); fz_tensor_free(&g); fz_tensor_free(&b); fz_tensor_free(&mu); fz_tensor_free(&va);
  ocase_free(&c);
  return rc;
}

// Runs every case of list (NULL-terminated) and fails on the first error or mismatch above 1e-5.
#define RUN_LIST(list)                                                                                    \
  do {                                                                                                    \
    const char *root_ = onnx_root();                                                                      \
    if (!root_) SKIP("libonnx-testdata is not installed (apt-get install libonnx-testdata)");            \
    int n_ = 0;                                                                                           \
    for (int i_ = 0; (list)[i_]; i_++) {                                                                  \
      fz_err err_ = {0};                                                                                  \
      double e_ = INFINITY;                                                                               \
      int rc_ = run_dir(root_, (list)[i_], &e_, &err_);                                                   \
      CHECKF(rc_ == 0, "%s: %s", (list)[i_], err_.msg);                                                   \
      CHECKF(e_ <= 1e-5, "%s: max error %.3g > 1e-5", (list)[i_], e_);                                    \
      n_++;                                                                                               \
    }                                                                                                     \
    CHECK(n_ > 0);                                                                                        \
  } while (0)

// Oracle: ONNX Conv vectors (node/) and PyTorch Conv1d/Conv2d modules exported with their outputs.
TEST(onnx_conv) {
  static const char *l[] = {"node/test_basic_conv_with_padding", "node/test_basic_conv_without_padding",
                            "node/test_conv_with_autopad_same", "node/test_conv_with_strides_and_asymmetric_padding",
                            "node/test_conv_with_strides_no_padding", "node/test_conv_with_strides_padding",
                            "pytorch-converted/test_Conv1d", "pytorch-converted/test_Conv1d_dilated", "pytorch-converted/test_Conv1d_groups",
                            "pytorch-converted/test_Conv1d_pad1", "pytorch-converted/test_Conv1d_pad1size1", "pytorch-converted/test_Conv1d_pad2",
                            "pytorch-converted/test_Conv1d_pad2size1", "pytorch-converted/test_Conv1d_stride", "pytorch-converted/test_Conv2d",
                            "pytorch-converted/test_Conv2d_depthwise", "pytorch-converted/test_Conv2d_depthwise_padded",
                            "pytorch-converted/test_Conv2d_depthwise_strided", "pytorch-converted/test_Conv2d_depthwise_with_multiplier",
                            "pytorch-converted/test_Conv2d_dilated", "pytorch-converted/test_Conv2d_groups", "pytorch-converted/test_Conv2d_groups_thnn",
                            "pytorch-converted/test_Conv2d_no_bias", "pytorch-converted/test_Conv2d_padding", "pytorch-converted/test_Conv2d_strided",
                            "pytorch-operator/test_operator_conv", NULL};
  RUN_LIST(l);
}

// Oracle: ONNX ConvTranspose vectors (2-D and 1-D; output_shape, auto_pad, pads, output_padding,
// dilations) and PyTorch ConvTranspose2d modules.
TEST(onnx_convtranspose) {
  static const char *l[] = {"node/test_convtranspose", "node/test_convtranspose_1d", "node/test_convtranspose_autopad_same",
                            "node/test_convtranspose_dilations", "node/test_convtranspose_kernel_shape", "node/test_convtranspose_output_shape",
                            "node/test_convtranspose_pad", "node/test_convtranspose_pads", "node/test_convtranspose_with_kernel",
                            "pytorch-converted/test_ConvTranspose2d", "pytorch-converted/test_ConvTranspose2d_no_bias",
                            "pytorch-operator/test_operator_convtranspose", NULL};
  RUN_LIST(l);
}

// Oracle: ONNX LayerNormalization vectors for every axis of 2-D, 3-D and 4-D inputs (output Y).
TEST(onnx_layer_norm) {
  static const char *l[] = {"node/test_layer_normalization_2d_axis0", "node/test_layer_normalization_2d_axis1",
                            "node/test_layer_normalization_2d_axis_negative_1", "node/test_layer_normalization_2d_axis_negative_2",
                            "node/test_layer_normalization_3d_axis0_epsilon", "node/test_layer_normalization_3d_axis1_epsilon",
                            "node/test_layer_normalization_3d_axis2_epsilon", "node/test_layer_normalization_3d_axis_negative_1_epsilon",
                            "node/test_layer_normalization_3d_axis_negative_2_epsilon", "node/test_layer_normalization_3d_axis_negative_3_epsilon",
                            "node/test_layer_normalization_4d_axis0", "node/test_layer_normalization_4d_axis1",
                            "node/test_layer_normalization_4d_axis2", "node/test_layer_normalization_4d_axis3",
                            "node/test_layer_normalization_4d_axis_negative_1", "node/test_layer_normalization_4d_axis_negative_2",
                            "node/test_layer_normalization_4d_axis_negative_3", "node/test_layer_normalization_4d_axis_negative_4",
                            "node/test_layer_normalization_default_axis", NULL};
  RUN_LIST(l);
}

// Oracle: ONNX InstanceNormalization and inference BatchNormalization vectors, PyTorch BatchNorm2d (eval).
TEST(onnx_instance_batch_norm) {
  static const char *l[] = {"node/test_instancenorm_epsilon", "node/test_instancenorm_example", "node/test_batchnorm_epsilon",
                            "node/test_batchnorm_example", "pytorch-converted/test_BatchNorm2d_eval",
                            "pytorch-converted/test_BatchNorm2d_momentum_eval", NULL};
  RUN_LIST(l);
}

// Oracle: ONNX Softmax vectors (opset 13: one axis) and PyTorch softmax exports (opset 6 semantics).
TEST(onnx_softmax) {
  static const char *l[] = {"node/test_softmax_axis_0", "node/test_softmax_axis_1", "node/test_softmax_axis_2",
                            "node/test_softmax_default_axis", "node/test_softmax_example", "node/test_softmax_large_number",
                            "node/test_softmax_negative_axis", "pytorch-converted/test_Softmax", "pytorch-converted/test_softmax_functional_dim3",
                            "pytorch-converted/test_softmax_lastdim", NULL};
  RUN_LIST(l);
}

// Oracle: ONNX Gemm vectors (alpha, beta, transposes, every bias broadcast) and PyTorch Linear.
TEST(onnx_gemm) {
  static const char *l[] = {"node/test_gemm_all_attributes", "node/test_gemm_alpha", "node/test_gemm_beta",
                            "node/test_gemm_default_matrix_bias", "node/test_gemm_default_no_bias", "node/test_gemm_default_scalar_bias",
                            "node/test_gemm_default_single_elem_vector_bias", "node/test_gemm_default_vector_bias",
                            "node/test_gemm_default_zero_bias", "node/test_gemm_transposeA", "node/test_gemm_transposeB",
                            "pytorch-converted/test_Linear", NULL};
  RUN_LIST(l);
}

// Oracle: PyTorch ReLU, LeakyReLU, Sigmoid, Tanh, Softplus modules and torch.clamp exported with outputs.
TEST(onnx_activations) {
  static const char *l[] = {"pytorch-converted/test_ReLU", "pytorch-converted/test_LeakyReLU", "pytorch-converted/test_LeakyReLU_with_negval",
                            "pytorch-converted/test_Sigmoid", "pytorch-converted/test_Tanh", "pytorch-converted/test_Softplus",
                            "pytorch-operator/test_operator_clip", NULL};
  RUN_LIST(l);
}

// Oracle: protobuf wire format — a truncated or garbage file is FZ_EFORMAT / FZ_EIO, never a crash.
TEST(onnx_pb_rejects_bad_files) {
  const char *dir = fz_test_tmpdir();
  char p[600];
  snprintf(p, sizeof p, "%s/bad.pb", dir);
  static const unsigned char cases[][6] = {{0x0a, 0x05, 0x01}, {0x4a, 0xff, 0xff, 0xff, 0xff, 0x0f}, {0x0b, 0, 0, 0, 0, 0}, {0x08, 0x80, 0x80}};
  static const size_t lens[] = {3, 6, 6, 3};
  for (int i = 0; i < 4; i++) {
    FILE *f = fopen(p, "wb");
    CHECK(f);
    fwrite(cases[i], 1, lens[i], f);
    fclose(f);
    fz_onnx_tensor t;
    fz_err err = {0};
    CHECKF(fz_onnx_read_tensor(p, &t, &err) == FZ_EFORMAT, "case %d: %s", i, err.msg);
    fz_onnx_model *m = malloc(sizeof *m);
    CHECK(m);
    int rc = fz_onnx_read_model(p, m, &err);
    free(m);
    CHECKF(rc == FZ_EFORMAT, "model case %d: rc %d", i, rc);
  }
  fz_onnx_tensor t;
  fz_err err = {0};
  snprintf(p, sizeof p, "%s/absent.pb", dir);
  CHECK(fz_onnx_read_tensor(p, &t, &err) == FZ_EIO);
}
