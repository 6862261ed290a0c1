// test_seq_onnx.c — the ONNX backend test vectors of Debian's libonnx-testdata that fall under the seq ops:
// Resize / Upsample (F.interpolate), GridSample (F.grid_sample) and DepthToSpace in CRD mode (PixelShuffle).
// Oracle: the output_0.pb tensors shipped with each case (ONNX's reference implementation; its GridSample
// outputs were produced with PyTorch). Tolerance 1e-5 mixed abs/rel. Skips when the package is absent.
// Only the cases whose ONNX semantics equal the PyTorch op are run; the others are listed in `skipped` below
// with the reason (different coordinate rules, A = -0.5, exclude_outside, reflection padding, bicubic grid).
#include "test.h"
#include "fusor.h"
#include "onnx_pb.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Root of the vectors (env FUSOR_ONNX_DATA, default Debian's path), or NULL when absent.
static const char *onnx_root(void) {
  const char *r = getenv("FUSOR_ONNX_DATA");
  if (!r) r = "/usr/share/libonnx-testdata/data";
  char p[512];
  snprintf(p, sizeof p, "%s/node/test_resize_upsample_scales_linear/model.onnx", r);
  return access(p, R_OK) == 0 ? r : NULL;
}

typedef struct {
  fz_onnx_model m;
  fz_onnx_tensor in[6], out;
  int nin;
  const fz_onnx_tensor *arg[6];  // node input j: a data input, an initializer, or NULL (absent / empty name)
} seq_onnx_case;

static void case_free(seq_onnx_case *c) {
  for (int i = 0; i < c->nin; i++) fz_onnx_tensor_free(&c->in[i]);
  fz_onnx_tensor_free(&c->out);
  fz_onnx_model_free(&c->m);
}

// Loads root/dir: the one-node model, its input_k.pb files, output_0.pb; resolves the node's arguments.
static int case_load(const char *root, const char *dir, seq_onnx_case *c, fz_err *err) {
  memset(c, 0, sizeof *c);
  char p[768];
  snprintf(p, sizeof p, "%s/%s/model.onnx", root, dir);
  int rc = fz_onnx_read_model(p, &c->m, err);
  if (rc) return rc;
  if (c->m.nnodes != 1) return fz_fail(err, FZ_EUNSUP, "%s: %d nodes, expected 1", dir, c->m.nnodes);
  for (c->nin = 0; c->nin < 6; c->nin++) {
    snprintf(p, sizeof p, "%s/%s/test_data_set_0/input_%d.pb", root, dir, c->nin);
    if (access(p, R_OK)) break;
    if ((rc = fz_onnx_read_tensor(p, &c->in[c->nin], err))) return rc;
  }
  snprintf(p, sizeof p, "%s/%s/test_data_set_0/output_0.pb", root, dir);
  if ((rc = fz_onnx_read_tensor(p, &c->out, err))) return rc;
  const fz_onnx_node *n = &c->m.nodes[0];
  for (int j = 0, k = 0; j < n->ninputs && j < 6; j++) {
    if (!n->inputs[j][0]) continue;
    const fz_onnx_tensor *t = fz_onnx_init_get(&c->m, n->inputs[j]);
    c->arg[j] = t ? t : (k < c->nin ? &c->in[k++] : NULL);
  }
  return FZ_OK;
}

// String attribute or dflt.
static const char *sattr(const fz_onnx_node *n, const char *name, const char *dflt) {
  const fz_onnx_attr *a = fz_onnx_attr_get(n, name);
  return a && a->s[0] ? a->s : dflt;
}
static int64_t iattr(const fz_onnx_node *n, const char *name, int64_t dflt) {
  const fz_onnx_attr *a = fz_onnx_attr_get(n, name);
  return a && a->has_i ? a->i : dflt;
}

// Uploads an ONNX float tensor to a new backend tensor of the same shape.
static int upload(const fz_backend *be, const fz_onnx_tensor *t, fz_tensor *o, fz_err *err) {
  if (!t || !t->data) return fz_fail(err, FZ_EUNSUP, "onnx: missing or non-float tensor");
  int rc = fz_tensor_alloc(o, be, FZ_F32, t->ndim, t->dims, err);
  return rc ? rc : fz_tensor_upload(o, t->data, fz_tensor_nbytes(o), err);
}

// Runs one case on be and returns its error against output_0 in *e.
static int run_case(const fz_backend *be, const char *root, const char *dir, double *e, fz_err *err) {
  seq_onnx_case c;
  int rc = case_load(root, dir, &c, err);
  fz_tensor x = {0}, g = {0}, o = {0};
  const fz_onnx_node *n = &c.m.nodes[0];
  if (!rc) rc = upload(be, c.arg[0], &x, err);
  if (!rc) rc = fz_tensor_alloc(&o, be, FZ_F32, c.out.ndim, c.out.dims, err);
  if (!rc && (!strcmp(n->op_type, "Resize") || !strcmp(n->op_type, "Upsample"))) {
    const char *mode = sattr(n, "mode", "nearest"), *ctm = sattr(n, "coordinate_transformation_mode", "half_pixel");
    int up = !strcmp(n->op_type, "Upsample");
    const fz_onnx_tensor *scales = up ? c.arg[1] : c.arg[2];
    double sh = 0, sw = 0;  // sizes given: PyTorch's in/out
    if (scales && scales->data && scales->numel == 4) { sh = scales->data[2]; sw = scales->data[3]; }
    fz_interp_mode m = !strcmp(mode, "nearest") ? FZ_INTERP_NEAREST : !strcmp(mode, "linear") ? FZ_INTERP_BILINEAR
                                                                                               : FZ_INTERP_BICUBIC;
    rc = fz_op_interpolate(be, &o, &x, m, !strcmp(ctm, "align_corners"), sh, sw, err);
  } else if (!rc && !strcmp(n->op_type, "GridSample")) {
    rc = upload(be, c.arg[1], &g, err);
    const char *mode = sattr(n, "mode", "bilinear"), *pad = sattr(n, "padding_mode", "zeros");
    if (!rc) rc = fz_op_grid_sample(be, &o, &x, &g, !strcmp(mode, "nearest") ? FZ_INTERP_NEAREST : FZ_INTERP_BILINEAR,
                                    !strcmp(pad, "border") ? FZ_GRID_PAD_BORDER : FZ_GRID_PAD_ZEROS,
                                    (int)iattr(n, "align_corners", 0), err);
  } else if (!rc && !strcmp(n->op_type, "DepthToSpace")) {
    rc = fz_op_pixel_shuffle(be, &o, &x, (int)iattr(n, "blocksize", 1), 0, err);
  } else if (!rc) {
    rc = fz_fail(err, FZ_EUNSUP, "%s: op %s is not handled here", dir, n->op_type);
  }
  if (!rc) {
    const float *got = o.data;
    double m = 0;
    for (int64_t i = 0; i < c.out.numel; i++) {
      double d = fabs((double)got[i] - c.out.data[i]) / (1 + fabs(c.out.data[i]));
      if (!(d <= m)) m = d;
    }
    *e = m;
  }
  fz_tensor_free(&x); fz_tensor_free(&g); fz_tensor_free(&o);
  case_free(&c);
  return rc;
}

// Cases whose ONNX semantics are PyTorch's. Not run (other semantics): *_cubic_A_n0p5_exclude_outside (A = -0.5,
// exclude_outside), upsample_scales_cubic_asymmetric, downsample_sizes_linear_pytorch_half_pixel (ONNX maps a size-1
// output to 0, PyTorch to the centre), *_nearest_tf_half_pixel_for_nn, tf_crop_and_resize, nearest with
// ceil / round_prefer_ceil / floor+align_corners rounding, downsample_*_nearest (half_pixel rounding differs from
// PyTorch's floor at non-integer factors), downsample_scales_{linear,cubic}_align_corners (ONNX divides by the
// unrounded in·scale − 1, PyTorch by out − 1: equal only when in·scale is an integer), gridsample_bicubic and _reflection_padding (not fusor ops),
// DepthToSpace DCR mode and SpaceToDepth (channel orders other than PixelShuffle's).
static const char *const cases[] = {
    "node/test_resize_upsample_scales_linear", "node/test_resize_upsample_scales_linear_align_corners",
    "node/test_resize_downsample_scales_linear",
    "node/test_resize_upsample_scales_cubic", "node/test_resize_downsample_scales_cubic",
    "node/test_resize_upsample_scales_cubic_align_corners",
    "node/test_resize_upsample_sizes_cubic", "node/test_resize_downsample_sizes_cubic",
    "node/test_resize_upsample_scales_nearest",  // integer factors: half_pixel rounding = PyTorch floor
    "node/test_upsample_nearest",
    "node/test_gridsample", "node/test_gridsample_aligncorners_true", "node/test_gridsample_bilinear",
    "node/test_gridsample_border_padding", "node/test_gridsample_nearest", "node/test_gridsample_zeros_padding",
    "node/test_depthtospace_crd_mode", "node/test_depthtospace_crd_mode_example",
};

// Oracle: libonnx-testdata output_0.pb of every case above, tolerance 1e-5 (mixed abs/rel), 1 and 2 threads.
TEST(seq_onnx_resize_gridsample_vectors) {
  const char *root = onnx_root();
  if (!root) SKIP("libonnx-testdata not installed (apt-get install libonnx-testdata) or FUSOR_ONNX_DATA unset");
  int ran = 0;
  for (int th = 1; th <= 2; th++)
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      fz_err err = {0};
      double e = INFINITY;
      int rc = run_case(fz_backend_cpu(th), root, cases[i], &e, &err);
      CHECKF(rc == 0, "%s: %s", cases[i], err.msg);
      CHECKF(e <= 1e-5, "%s (%d threads): error %.3g > 1e-5", cases[i], th, e);
      ran++;
    }
  CHECK(ran == 2 * (int)(sizeof cases / sizeof cases[0]));
}
