// test_pth.c — the .pth reader on the real checkpoints (names/shapes/values against independent
// oracles), bit-identical conversion to safetensors, synthetic views/aliases/nesting, and refusal
// of hostile or broken checkpoints.
#include "test.h"
#include "fusor.h"
#include "pth.h"
#include "pth_builder.h"
#include "safetensors.h"
#include "weights.h"
#include "weights_convert.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const checkpoints[] = {"cannet_wv3.pth", "cannet_gf2.pth", "cannet_qb.pth", "fusionmamba_wv3.pth",
                                          "dlpan_wv3/dicnn1.pth", "dlpan_wv3/drpnn.pth", "dlpan_wv3/fusionnet.pth",
                                          "dlpan_wv3/msdcnn.pth", "dlpan_wv3/pannet.pth", "dlpan_wv3/pnn.pth"};
#define NCKPT (int)(sizeof checkpoints / sizeof *checkpoints)

// Path of weights/<rel> under the shared folder, or NULL.
static const char *weights_path(const char *rel) {
  char r[256];
  snprintf(r, sizeof r, "weights/%s", rel);
  return fz_test_shared(r);
}

// Oracle: shared/weights/TENSORS.txt, produced by parsing each data.pkl with the Python standard
// library (not by fusor): every tensor name and shape in order, the tensor and parameter counts.
TEST(pth_names_and_shapes_match_tensors_txt) {
  const char *list = weights_path("TENSORS.txt");
  if (!list) SKIP("shared/weights not available");
  FILE *f = fopen(list, "r");
  CHECK(f);
  char line[1024], file[256] = "";
  fz_weights w;
  fz_weights_init(&w);
  fz_err err = {0};
  int sections = 0, idx = 0, failed = 0;
  while (fgets(line, sizeof line, f) && !failed) {
    if (!strncmp(line, "== ", 3)) {
      CHECKF(w.count == 0 || idx == w.count, "%s: %d tensors listed, %d loaded", file, idx, w.count);
      fz_weights_free(&w);
      CHECK(sscanf(line + 3, "%255s", file) == 1);
      const char *p = weights_path(file);
      CHECKF(p, "%s listed but missing", file);
      int rc = pth_open(p, &w, &err);
      CHECKF(rc == 0, "%s: %s", file, err.msg);
      sections++;
      idx = 0;
    } else if (!strncmp(line, "tensors:", 8)) {
      int nt = 0;
      long long np = 0;
      CHECK(sscanf(line, "tensors: %d params: %lld", &nt, &np) == 2);
      CHECKF(w.count == nt, "%s: %d tensors, TENSORS.txt says %d", file, w.count, nt);
      CHECKF(fz_weights_param_count(&w) == np, "%s: %lld params, TENSORS.txt says %lld", file, (long long)fz_weights_param_count(&w), np);
    } else if (line[0] == ' ' && w.count) {
      char name[512], shape[256], got[256];
      CHECK(sscanf(line, " %511s %255[^\n]", name, shape) == 2);
      CHECKF(idx < w.count, "%s: more names listed than loaded", file);
      const fz_wtensor *t = &w.tensors[idx++];
      CHECKF(!strcmp(t->name, name), "%s: tensor %d is '%s', TENSORS.txt says '%s'", file, idx - 1, t->name, name);
      fz_wshape_str(t->ndim, t->shape, got, sizeof got);
      CHECKF(!strcmp(got, shape), "%s: '%s' has shape %s, TENSORS.txt says %s", file, name, got, shape);
      CHECKF(t->dtype == FZ_W_F32, "%s: '%s' is %s, all are FloatStorage", file, name, fz_wdtype_name(t->dtype));
    }
  }
  fclose(f);
  CHECKF(idx == w.count, "%s: %d tensors listed, %d loaded", file, idx, w.count);
  fz_weights_free(&w);
  CHECK(sections == NCKPT);
}

// Oracle: a Python stdlib reader (zipfile + pickle.Unpickler with find_class restricted to the
// same allow-list, persistent_load returning the storage key, struct.unpack('<f') of the raw
// storage entry, strides applied) run once by hand: math.fsum of the float32 values, and the
// first/last element in row-major order printed with %.9g (exact for float32).
TEST(pth_values_match_stdlib_reader) {
  static const struct { const char *file, *name; double sum; float first, last; } ref[] = {
      {"cannet_gf2.pth", "head_conv.weight", 3.7398504970769864, 0.0890519768f, 0.195254952f},
      {"cannet_gf2.pth", "rb3.conv2.kernels", -76.239124629330405, 0.0948544294f, 0.0267080534f},
      {"cannet_qb.pth", "head_conv.weight", 6.6814041539037134, 0.120555811f, 0.0994289666f},
      {"cannet_qb.pth", "tail_conv.bias", -0.0099328247597441077, -0.00121937844f, -0.00372011447f},
      {"cannet_wv3.pth", "head_conv.weight", -1.5563043607544387, 0.325113952f, -0.0212527309f},
      {"cannet_wv3.pth", "rb3.conv2.kernels", -369.71838141231228, 0.813787341f, -0.467553824f},
      {"cannet_wv3.pth", "tail_conv.bias", 0.0057784793752944097, 0.000941606821f, -0.000134147194f},
      {"fusionmamba_wv3.pth", "upsample.upsamle.0.weight", 103.58378306816985, 0.0860790685f, 0.054743059f},
      {"fusionmamba_wv3.pth", "stage2.fm.spa_cross_mamba.block.conv1d.bias", -8.5026891166344285, 0.465379179f, 0.148638695f},
      {"fusionmamba_wv3.pth", "spe_attn.block.3.bias", -0.0088647399097681046, -0.00886473991f, -0.00886473991f},
      {"dlpan_wv3/dicnn1.pth", "conv1.weight", -8.9690525772784895, -0.0089498926f, 0.00145404367f},
      {"dlpan_wv3/drpnn.pth", "conv1.weight", 5.0766592234906724, -0.00174338103f, -1.30882538e-39f},
      {"dlpan_wv3/drpnn.pth", "backbone.7.conv2.bias", 0.270508768648142, 0.0217553563f, -5.97834563e-40f},
      {"dlpan_wv3/fusionnet.pth", "conv3.weight", 1.0184975585898428, 0.0107156029f, -0.00229501631f},
      {"dlpan_wv3/fusionnet.pth", "backbone.3.conv21.bias", 0.080525778001174331, 0.0120175909f, 0.029796537f},
      {"dlpan_wv3/msdcnn.pth", "conv4_2.weight", -1.8680780334066185, 0.00523972511f, -0.000661040831f},
      {"dlpan_wv3/pannet.pth", "deconv.weight", -38.551693498149689, 0.109785415f, 0.437010735f},
      {"dlpan_wv3/pannet.pth", "res4.conv21.bias", 0.30450912390369922, 0.0532225072f, 0.0442398675f},
      {"dlpan_wv3/pannet.pth", "backbone.3.conv21.bias", 0.30450912390369922, 0.0532225072f, 0.0442398675f},
      {"dlpan_wv3/pnn.pth", "conv1.weight", -87.145189551157728, -0.0377161764f, 0.00282780826f},
      {"dlpan_wv3/pnn.pth", "conv3.bias", 0.36700554750859737, 0.0783372223f, 0.0224943124f},
  };
  if (!weights_path("TENSORS.txt")) SKIP("shared/weights not available");
  fz_err err = {0};
  for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
    fz_weights w;
    CHECK_OK(pth_open(weights_path(ref[i].file), &w, &err), &err);
    const fz_wtensor *t = fz_weights_find(&w, ref[i].name);
    CHECKF(t, "%s: no '%s'", ref[i].file, ref[i].name);
    fz_tensor x;
    CHECK_OK(fz_wtensor_to_tensor(t, NULL, 0, &x, &err), &err);
    const float *v = x.data;
    double s = 0;
    for (int64_t k = 0; k < t->numel; k++) s += v[k];
    float first = v[0], last = v[t->numel - 1];
    fz_tensor_free(&x);
    fz_weights_free(&w);
    CHECK_NEAR(s, ref[i].sum, 1e-12 * (1 + fabs(ref[i].sum)) + 1e-9);
    CHECKF(first == ref[i].first && last == ref[i].last, "%s %s: first/last %.9g %.9g", ref[i].file, ref[i].name, first, last);
  }
}

// Oracle: shared/weights/PROVENANCE.md — FusionNet has 36 names on 20 storages, PanNet 38 on 22;
// the res*/backbone.* pairs alias the same storage, so their bytes are equal.
TEST(pth_aliased_storages_all_load) {
  if (!weights_path("dlpan_wv3/fusionnet.pth")) SKIP("shared/weights not available");
  static const struct { const char *file; int names, storages; } ref[] = {{"dlpan_wv3/fusionnet.pth", 36, 20}, {"dlpan_wv3/pannet.pth", 38, 22}};
  fz_err err = {0};
  for (int r = 0; r < 2; r++) {
    fz_weights w;
    CHECK_OK(pth_open(weights_path(ref[r].file), &w, &err), &err);
    CHECK(w.count == ref[r].names);
    int distinct = 0;
    for (int i = 0; i < w.count; i++) {
      int seen = 0;
      for (int j = 0; j < i; j++) seen |= w.tensors[j].data == w.tensors[i].data;
      distinct += !seen;
    }
    CHECKF(distinct == ref[r].storages, "%s: %d distinct storages", ref[r].file, distinct);
    for (int k = 0; k < 4; k++) {
      char a[64], b[64];
      snprintf(a, sizeof a, "res%d.conv20.weight", k + 1);
      snprintf(b, sizeof b, "backbone.%d.conv20.weight", k);
      const fz_wtensor *x = fz_weights_find(&w, a), *y = fz_weights_find(&w, b);
      CHECK(x && y && x->nbytes == y->nbytes && memcmp(x->data, y->data, x->nbytes) == 0);
    }
    fz_weights_free(&w);
  }
}

// Reads a whole file into a malloc'd buffer.
static uint8_t *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long l = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(l > 0 ? (size_t)l : 1);
  *n = b ? fread(b, 1, (size_t)l, f) : 0;
  fclose(f);
  return b;
}

// Oracle: the .pth-loaded tensors themselves (memcmp of every byte), and determinism (two
// conversions of the same input give byte-identical files). fusor.source carries the sha256
// listed in shared/weights/PROVENANCE.md.
TEST(pth_convert_reload_is_bit_identical) {
  if (!weights_path("TENSORS.txt")) SKIP("shared/weights not available");
  const char *dir = fz_test_tmpdir();
  fz_err err = {0};
  for (int c = 0; c < NCKPT; c++) {
    const char *in = weights_path(checkpoints[c]);
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/a%d.safetensors", dir, c);
    snprintf(b, sizeof b, "%s/b%d.safetensors", dir, c);
    const char *sk[] = {"spectral_num"}, *sv[] = {"8"};
    fz_convert_opts o = {.arch = "test", .nset = 1, .set_keys = sk, .set_vals = sv};
    CHECK_OK(fz_weights_convert(in, a, &o, NULL, &err), &err);
    CHECK_OK(fz_weights_convert(in, b, &o, NULL, &err), &err);
    CHECK(fz_weights_convert(in, b, &o, NULL, &err) == FZ_EINVAL && strstr(err.msg, "exists"));
    size_t na, nb;
    uint8_t *ba = slurp(a, &na), *bb = slurp(b, &nb);
    CHECK(ba && bb);
    int same = na == nb && memcmp(ba, bb, na) == 0;
    free(ba);
    free(bb);
    CHECKF(same, "%s: two conversions differ", checkpoints[c]);
    fz_weights p, s;
    CHECK_OK(pth_open(in, &p, &err), &err);
    CHECK_OK(st_open(a, &s, &err), &err);
    CHECK(p.count == s.count);
    for (int i = 0; i < p.count; i++) {
      const fz_wtensor *x = &p.tensors[i], *y = st_find(&s, x->name);
      CHECKF(y, "%s: '%s' missing after conversion", checkpoints[c], x->name);
      CHECK(y->dtype == x->dtype && y->ndim == x->ndim && y->nbytes == x->nbytes);
      for (int d = 0; d < x->ndim; d++) CHECK(y->shape[d] == x->shape[d]);
      CHECKF(memcmp(x->data, y->data, x->nbytes) == 0, "%s: '%s' bytes differ", checkpoints[c], x->name);
    }
    CHECK(!strcmp(st_metadata_get(&s, "fusor.arch"), "test"));
    CHECK(!strcmp(st_metadata_get(&s, "fusor.hparams"), "{\"spectral_num\":8}"));
    CHECK(st_metadata_get(&s, "fusor.version") != NULL);
    if (c == 0) CHECK(!strcmp(st_metadata_get(&s, "fusor.source"), "cannet_wv3.pth sha256:06566c98f6a228d74e50a5c1314a6f89919832b376e5dd61fced736a7e4ccc0b"));
    fz_weights_free(&p);
    st_close(&s);
    unlink(a);
    unlink(b);
  }
}

// A tiny in-memory storage provider for pth_from_pickle.
typedef struct { int n; const char *key[8]; const void *data[8]; size_t len[8]; } memstore;

static int mem_storage(void *ctx, fz_weights *w, const char *key, size_t nbytes, const uint8_t **data, fz_err *err) {
  memstore *m = ctx;
  for (int i = 0; i < m->n; i++)
    if (!strcmp(m->key[i], key)) {
      if (m->len[i] != nbytes) return fz_fail(err, FZ_EFORMAT, "storage '%s' holds %zu bytes, expected %zu", key, m->len[i], nbytes);
      *data = m->data[i];
      return FZ_OK;
    }
  return fz_fail(err, FZ_EFORMAT, "storage '%s' is missing", key);
}

// Oracle: torch's view semantics written as plain loops: element [i][j] of a (size, stride,
// offset) view is storage[offset + i*stride0 + j*stride1]; aliases share bytes; dtypes map by
// storage type; a wrapper dict's "state_dict" entry is the state dict; nested dicts join with '.'.
TEST(pth_views_dtypes_nesting_from_pickle) {
  const float s0[6] = {0, 1, 2, 3, 4, 5};
  const uint16_t s1[2] = {0x3c00, 0xc000};       // f16 1, -2
  const int64_t s2[2] = {-5, INT64_C(1) << 40};
  const uint8_t s3[3] = {1, 0, 1};
  memstore m = {4, {"0", "1", "2", "3"}, {s0, s1, s2, s3}, {24, 4, 16, 3}};
  pkb p = {0};
  pb_op(&p, 0x80); pb_op(&p, 2);
  pb_op(&p, '}');  // {"state_dict": OrderedDict(...), "epoch": 3, "lr": 0.1, "opt": {...}}
  pb_op(&p, '(');
  pb_str(&p, "epoch"); pb_int(&p, 3);
  pb_str(&p, "lr"); pb_op(&p, 'G'); pb_raw(&p, "\x3f\xb9\x99\x99\x99\x99\x99\x9a", 8);
  pb_str(&p, "state_dict");
  pb_global(&p, "collections", "OrderedDict"); pb_op(&p, ')'); pb_op(&p, 'R');
  pb_op(&p, 'q'); pb_op(&p, 0);  // memo[0] = the state dict
  pb_op(&p, '(');
  int64_t sz[2] = {3, 2}, st[2] = {1, 3}, sz1[1] = {2}, st1[1] = {1};
  pb_str(&p, "t"); pb_tensor(&p, "FloatStorage", "0", 6, 0, 2, sz, st);       // transposed view
  pb_str(&p, "off"); pb_tensor(&p, "FloatStorage", "0", 6, 2, 1, sz1, st1);   // offset view
  pb_str(&p, "alias"); pb_tensor1(&p, "0", 6);
  pb_str(&p, "param");  // _rebuild_parameter(tensor, True, OrderedDict())
  pb_global(&p, "torch._utils", "_rebuild_parameter"); pb_op(&p, '(');
  pb_tensor(&p, "HalfStorage", "1", 2, 0, 1, sz1, st1); pb_op(&p, 0x88);
  pb_global(&p, "collections", "OrderedDict"); pb_op(&p, ')'); pb_op(&p, 'R'); pb_op(&p, 't'); pb_op(&p, 'R');
  pb_str(&p, "long"); pb_tensor(&p, "LongStorage", "2", 2, 0, 1, sz1, st1);
  pb_str(&p, "flag"); pb_op(&p, 0x8c); pb_op(&p, 1); pb_op(&p, 'x');  // a str leaf: skipped
  pb_op(&p, 'u');
  pb_op(&p, '}'); pb_op(&p, 'q'); pb_op(&p, 1); pb_op(&p, 'b');  // BUILD with an (ignored) state dict
  pb_str(&p, "opt"); pb_op(&p, '}'); pb_str(&p, "b"); pb_tensor(&p, "BoolStorage", "3", 3, 0, 1, (int64_t[]){3}, st1); pb_op(&p, 's');
  pb_op(&p, 'u');
  pb_op(&p, '.');
  fz_weights w;
  fz_err err = {0};
  CHECK_OK(pth_from_pickle(p.b, p.n, "mem.pkl", mem_storage, &m, &w, &err), &err);
  CHECK(w.count == 5);  // state_dict entry chosen: its 5 tensors, not "opt"
  const fz_wtensor *t = fz_weights_find(&w, "t");
  CHECK(t && t->ndim == 2 && t->shape[0] == 3 && t->shape[1] == 2 && t->dtype == FZ_W_F32);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++) CHECK(fz_wtensor_get_f64(t, i * 2 + j) == s0[i * 1 + j * 3]);
  t = fz_weights_find(&w, "off");
  CHECK(t && fz_wtensor_get_f64(t, 0) == 2 && fz_wtensor_get_f64(t, 1) == 3);
  t = fz_weights_find(&w, "alias");
  CHECK(t && t->nbytes == 24 && memcmp(t->data, s0, 24) == 0);
  t = fz_weights_find(&w, "param");
  CHECK(t && t->dtype == FZ_W_F16 && fz_wtensor_get_f64(t, 0) == 1.0 && fz_wtensor_get_f64(t, 1) == -2.0);
  t = fz_weights_find(&w, "long");
  CHECK(t && t->dtype == FZ_W_I64 && fz_wtensor_get_f64(t, 0) == -5 && fz_wtensor_get_f64(t, 1) == 1099511627776.0);
  fz_weights_free(&w);
  pb_free(&p);
  // no wrapper key: everything flattens with '.', int keys in decimal, non-tensors skipped
  pb_op(&p, 0x80); pb_op(&p, 4);
  pb_op(&p, 0x95); pb_raw(&p, "\0\0\0\0\0\0\0\0", 8);  // FRAME (ignored)
  pb_op(&p, '}'); pb_op(&p, 0x94); pb_op(&p, '(');
  pb_str(&p, "enc"); pb_op(&p, '}'); pb_str(&p, "w"); pb_tensor1(&p, "0", 6); pb_op(&p, 's');
  pb_str(&p, "opt"); pb_op(&p, '}'); pb_int(&p, 7); pb_tensor(&p, "ByteStorage", "3", 3, 0, 1, (int64_t[]){3}, st1); pb_op(&p, 's');
  pb_str(&p, "step"); pb_op(&p, 'N');
  pb_op(&p, 'u'); pb_op(&p, '.');
  CHECK_OK(pth_from_pickle(p.b, p.n, "mem.pkl", mem_storage, &m, &w, &err), &err);
  CHECK(w.count == 2 && fz_weights_find(&w, "enc.w") && fz_weights_find(&w, "opt.7"));
  CHECK(fz_weights_find(&w, "opt.7")->dtype == FZ_W_U8 && fz_weights_find(&w, "opt.7")->data[0] == 1);
  fz_weights_free(&w);
  pb_free(&p);
}

typedef struct { const char *what, *expect; pkb p; } pickle_case;

// Oracle: the allow-list and bounds documented in unpickle.h / docs/WEIGHTS.md — each hostile or
// broken pickle below must be refused with the named reason, and nothing loaded.
TEST(pth_refuses_hostile_and_broken_pickles) {
  const float s0[6] = {0};
  memstore m = {1, {"0"}, {s0}, {24}};
  pickle_case c[32];
  int n = 0;
  memset(c, 0, sizeof c);
#define CASE(w, e) (c[n].what = (w), c[n].expect = (e), &c[n++].p)
  pkb *p = CASE("posix system", "refuses pickle global 'posix.system': only state_dict contents are allowed");
  pb_op(p, 0x80); pb_op(p, 2); pb_global(p, "posix", "system"); pb_str(p, "touch /tmp/pwned"); pb_op(p, 0x85); pb_op(p, 'R'); pb_op(p, '.');
  p = CASE("os system", "refuses pickle global 'os.system'");
  pb_op(p, 0x80); pb_op(p, 2); pb_global(p, "os", "system"); pb_op(p, '.');
  p = CASE("builtins eval via STACK_GLOBAL", "refuses pickle global 'builtins.eval'");
  pb_op(p, 0x80); pb_op(p, 4); pb_op(p, 0x8c); pb_op(p, 8); pb_raw(p, "builtins", 8); pb_op(p, 0x8c); pb_op(p, 4); pb_raw(p, "eval", 4);
  pb_op(p, 0x93); pb_str(p, "1+1"); pb_op(p, 0x85); pb_op(p, 'R'); pb_op(p, '.');
  p = CASE("__builtin__ eval", "refuses pickle global '__builtin__.eval'");
  pb_op(p, 0x80); pb_op(p, 2); pb_global(p, "__builtin__", "eval"); pb_op(p, '.');
  p = CASE("subprocess", "refuses pickle global 'subprocess.Popen'");
  pb_op(p, 0x80); pb_op(p, 2); pb_global(p, "subprocess", "Popen"); pb_op(p, '.');
  p = CASE("torch non-storage", "refuses pickle global 'torch.load'");
  pb_op(p, 0x80); pb_op(p, 2); pb_global(p, "torch", "load"); pb_op(p, '.');
  p = CASE("calling a storage type", "refusing to call a storage type");
  pb_op(p, 0x80); pb_op(p, 2); pb_global(p, "torch", "FloatStorage"); pb_op(p, ')'); pb_op(p, 'R'); pb_op(p, '.');
  p = CASE("INST opcode", "opcode 0x69 is not allowed");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, '('); pb_raw(p, "ios\nsystem\n", 11); pb_op(p, '.');
  p = CASE("NEWOBJ opcode", "opcode 0x81 is not allowed");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, ')'); pb_op(p, ')'); pb_op(p, 0x81); pb_op(p, '.');
  p = CASE("truncated pickle (no STOP)", "truncated pickle");
  pb_dict_begin(p); pb_str(p, "a"); pb_tensor1(p, "0", 6); pb_dict_end(p);
  p = CASE("truncated inside an opcode", "truncated pickle: 100 bytes needed");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, 'X'); pb_raw(p, "\x64\0\0\0abc", 7);
  p = CASE("stack underflow", "stack underflow");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, 0x85); pb_op(p, '.');
  p = CASE("pop below MARK", "stack underflow: nothing to pop above the MARK");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, 'N'); pb_op(p, '('); pb_op(p, '0'); pb_op(p, '.');
  p = CASE("memo index out of range", "memo index 5 is out of range");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, 'N'); pb_op(p, 'q'); pb_op(p, 1); pb_op(p, 'h'); pb_op(p, 5); pb_op(p, '.');
  p = CASE("memo bomb", "memo index 4294967295 exceeds the limit");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, 'N'); pb_op(p, 'r'); pb_raw(p, "\xff\xff\xff\xff", 4); pb_op(p, '.');
  p = CASE("MARK bomb", "nested MARKs");
  pb_op(p, 0x80); pb_op(p, 2); for (int i = 0; i < 5000; i++) pb_op(p, '('); pb_op(p, '.');
  p = CASE("huge shape", "more than 2^40 elements");
  pb_dict_begin(p); pb_str(p, "a"); pb_tensor(p, "FloatStorage", "0", 6, 0, 3, (int64_t[]){1 << 30, 1 << 30, 4}, (int64_t[]){4, 4, 1}); pb_dict_end(p); pb_op(p, '.');
  p = CASE("view past the storage", "reach element 6 of storage '0', which holds 6 elements");
  pb_dict_begin(p); pb_str(p, "a"); pb_tensor(p, "FloatStorage", "0", 6, 1, 1, (int64_t[]){6}, (int64_t[]){1}); pb_dict_end(p); pb_op(p, '.');
  p = CASE("stride overflow", "reach element > ");
  pb_dict_begin(p); pb_str(p, "a"); pb_tensor(p, "FloatStorage", "0", 6, 0, 2, (int64_t[]){3, 2}, (int64_t[]){INT64_C(1) << 62, 1}); pb_dict_end(p); pb_op(p, '.');
  p = CASE("negative stride", "stride [-1] is negative");
  pb_dict_begin(p); pb_str(p, "a"); pb_tensor(p, "FloatStorage", "0", 6, 5, 1, (int64_t[]){6}, (int64_t[]){-1}); pb_dict_end(p); pb_op(p, '.');
  p = CASE("expanded view", "expanded view");
  pb_dict_begin(p); pb_str(p, "a"); pb_tensor(p, "FloatStorage", "0", 6, 0, 2, (int64_t[]){4, 6}, (int64_t[]){0, 1}); pb_dict_end(p); pb_op(p, '.');
  p = CASE("storage size disagrees", "holds 24 bytes, expected 28");
  pb_dict_begin(p); pb_str(p, "a"); pb_tensor1(p, "0", 7); pb_dict_end(p); pb_op(p, '.');
  p = CASE("storage missing", "storage '9' is missing");
  pb_dict_begin(p); pb_str(p, "a"); pb_tensor1(p, "9", 6); pb_dict_end(p); pb_op(p, '.');
  p = CASE("top-level list", "holds a list, expected a dict of tensors");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, ']'); pb_op(p, '.');
  p = CASE("empty state dict", "no tensors found");
  pb_dict_begin(p); pb_dict_end(p); pb_op(p, '.');
  p = CASE("duplicate names", "'a.b' appears twice");
  pb_dict_begin(p); pb_str(p, "a.b"); pb_tensor1(p, "0", 6); pb_str(p, "a"); pb_op(p, '}'); pb_str(p, "b"); pb_tensor1(p, "0", 6);
  pb_op(p, 's'); pb_dict_end(p); pb_op(p, '.');
  p = CASE("self-referencing dict", "nested deeper than 16 levels");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, '}'); pb_op(p, 'q'); pb_op(p, 0); pb_str(p, "x"); pb_op(p, 'h'); pb_op(p, 0); pb_op(p, 's'); pb_op(p, '.');
  p = CASE("bad persistent id", "persistent id is not ('storage'");
  pb_op(p, 0x80); pb_op(p, 2); pb_str(p, "x"); pb_op(p, 0x85); pb_op(p, 'Q'); pb_op(p, '.');
  p = CASE("SETITEM on a list", "SETITEM on a list, expected a dict");
  pb_op(p, 0x80); pb_op(p, 2); pb_op(p, ']'); pb_str(p, "k"); pb_op(p, 'N'); pb_op(p, 's'); pb_op(p, '.');
  p = CASE("unsupported protocol", "pickle protocol 9");
  pb_op(p, 0x80); pb_op(p, 9); pb_op(p, '.');
#undef CASE
  fz_err err = {0};
  fz_weights w;
  for (int i = 0; i < n; i++) {
    int rc = pth_from_pickle(c[i].p.b, c[i].p.n, "evil.pth: archive/data.pkl", mem_storage, &m, &w, &err);
    pb_free(&c[i].p);
    CHECKF(rc != 0, "%s: accepted", c[i].what);
    CHECKF(strstr(err.msg, c[i].expect) && strstr(err.msg, "evil.pth"), "%s: message '%s' lacks '%s'", c[i].what, err.msg, c[i].expect);
    CHECK(w.count == 0);
  }
  CHECK(access("/tmp/pwned", F_OK) != 0);
}

// Writes n bytes to dir/name and returns the path (static buffer).
static const char *put(const char *dir, const char *name, const void *b, size_t n) {
  static char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return NULL;
  fwrite(b, 1, n, f);
  fclose(f);
  return path;
}

typedef struct { char *file; const char *expect; int rc; } zcase;

// Oracle: the torch.save zip layout (<folder>/data.pkl, <folder>/data/<key> of numel*elem bytes,
// optional <folder>/byteorder) and the zip format (PKWARE APPNOTE: CRC-32 per entry) — each file
// below breaks one rule and must be refused with a message naming the file and the rule.
TEST(pth_refuses_broken_zips) {
  const char *dir = fz_test_tmpdir();
  char path[600];
  fz_err err = {0};
  fz_weights w;
  float s0[6] = {1, 2, 3, 4, 5, 6};
  const char *keys[] = {"0"};
  const void *data[] = {s0};
  size_t lens[] = {24}, short_lens[] = {20};
  pkb ok = {0}, evil = {0};
  pb_dict_begin(&ok); pb_str(&ok, "w"); pb_tensor1(&ok, "0", 6); pb_dict_end(&ok); pb_op(&ok, '.');
  pb_op(&evil, 0x80); pb_op(&evil, 2); pb_global(&evil, "posix", "system"); pb_str(&evil, "id"); pb_op(&evil, 0x85); pb_op(&evil, 'R'); pb_op(&evil, '.');
  // control: the valid file loads under any folder name
  snprintf(path, sizeof path, "%s/ok.pth", dir);
  CHECK(pb_write_pth(path, "final", &ok, 1, keys, data, lens) == 0);
  CHECK_OK(pth_open(path, &w, &err), &err);
  CHECK(w.count == 1 && fz_weights_find(&w, "w") && memcmp(fz_weights_find(&w, "w")->data, s0, 24) == 0);
  fz_weights_free(&w);
  CHECK_OK(fz_weights_load(path, &w, &err), &err);  // format detection picks the .pth reader
  CHECK(w.count == 1 && !strcmp(w.format, "pth"));
  fz_weights_free(&w);
  size_t zn;
  uint8_t *zb = slurp(path, &zn);
  CHECK(zb && zn > 100);
  zcase cases[16];
  int n = 0;
  cases[n++] = (zcase){strdup(put(dir, "text.pth", "hello world, not a zip", 22)), "not a zip archive", FZ_EFORMAT};
  uint8_t legacy[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
  cases[n++] = (zcase){strdup(put(dir, "legacy.pth", legacy, sizeof legacy)), "legacy (pre-1.6, non-zip) torch.save format", FZ_EUNSUP};
  cases[n++] = (zcase){strdup(put(dir, "empty.pth", "", 0)), "empty file", FZ_EFORMAT};
  cases[n++] = (zcase){strdup(put(dir, "cut.pth", zb, zn - 30)), "zip archive", FZ_EFORMAT};  // end record cut
  uint8_t *bad = malloc(zn);
  memcpy(bad, zb, zn);
  size_t at = 0;  // flip a byte of the storage payload: the entry's CRC-32 no longer matches
  for (size_t i = 0; i + 24 <= zn; i++)
    if (!memcmp(zb + i, s0, 24)) at = i;
  CHECK(at > 0);
  bad[at + 5] ^= 0x40;
  cases[n++] = (zcase){strdup(put(dir, "crc.pth", bad, zn)), "CRC error", FZ_EFORMAT};
  free(bad);
  pb_entry other[] = {{"archive/other.txt", "x", 1}};
  snprintf(path, sizeof path, "%s/nopkl.pth", dir);
  CHECK(pb_write_zip(path, other, 1) == 0);
  cases[n++] = (zcase){strdup(path), "no '<folder>/data.pkl' entry", FZ_EFORMAT};
  pb_entry two[] = {{"a/data.pkl", ok.b, ok.n}, {"b/data.pkl", ok.b, ok.n}};
  snprintf(path, sizeof path, "%s/two.pth", dir);
  CHECK(pb_write_zip(path, two, 2) == 0);
  cases[n++] = (zcase){strdup(path), "2 data.pkl entries", FZ_EFORMAT};
  snprintf(path, sizeof path, "%s/evil.pth", dir);
  CHECK(pb_write_pth(path, "archive", &evil, 0, NULL, NULL, NULL) == 0);
  cases[n++] = (zcase){strdup(path), "refuses pickle global 'posix.system': only state_dict contents are allowed", FZ_EFORMAT};
  snprintf(path, sizeof path, "%s/short.pth", dir);
  CHECK(pb_write_pth(path, "archive", &ok, 1, keys, data, short_lens) == 0);
  cases[n++] = (zcase){strdup(path), "entry 'archive/data/0' holds 20 bytes, expected 24", FZ_EFORMAT};
  snprintf(path, sizeof path, "%s/nostorage.pth", dir);
  CHECK(pb_write_pth(path, "archive", &ok, 0, NULL, NULL, NULL) == 0);
  cases[n++] = (zcase){strdup(path), "storage entry 'archive/data/0' is missing from the zip", FZ_EFORMAT};
  pkb eval = {0};  // builtins.eval named through STACK_GLOBAL at byte 2 + 10 + 6 = 18 (protocol 4)
  pb_op(&eval, 0x80); pb_op(&eval, 4); pb_op(&eval, 0x8c); pb_op(&eval, 8); pb_raw(&eval, "builtins", 8);
  pb_op(&eval, 0x8c); pb_op(&eval, 4); pb_raw(&eval, "eval", 4); pb_op(&eval, 0x93); pb_str(&eval, "__import__('os').system('id')");
  pb_op(&eval, 0x85); pb_op(&eval, 'R'); pb_op(&eval, '.');
  snprintf(path, sizeof path, "%s/eval.pth", dir);
  CHECK(pb_write_pth(path, "420", &eval, 0, NULL, NULL, NULL) == 0);
  pb_free(&eval);
  cases[n++] = (zcase){strdup(path), "byte 18 (STACK_GLOBAL): refuses pickle global 'builtins.eval'", FZ_EFORMAT};
  pb_entry be[] = {{"archive/data.pkl", ok.b, ok.n}, {"archive/byteorder", "big", 3}, {"archive/data/0", s0, 24}};
  snprintf(path, sizeof path, "%s/bigendian.pth", dir);
  CHECK(pb_write_zip(path, be, 3) == 0);
  cases[n++] = (zcase){strdup(path), "only little-endian", FZ_EUNSUP};
  for (int i = 0; i < n; i++) {
    int rc = pth_open(cases[i].file, &w, &err);
    const char *base = strrchr(cases[i].file, '/') + 1;
    CHECKF(rc == cases[i].rc, "%s: rc %d, expected %d (%s)", base, rc, cases[i].rc, err.msg);
    CHECKF(strstr(err.msg, cases[i].expect) && strstr(err.msg, base), "%s: message '%s' lacks '%s'", base, err.msg, cases[i].expect);
    CHECK(w.count == 0 && w.nowned == 0);
    char out[700];  // converting it fails the same way and leaves no output behind
    snprintf(out, sizeof out, "%s.safetensors", cases[i].file);
    fz_convert_opts o = {0};
    CHECK(fz_weights_convert(cases[i].file, out, &o, NULL, &err) != 0 && strstr(err.msg, base));
    CHECKF(access(out, F_OK) != 0, "%s: output left behind", out);
    free(cases[i].file);
  }
  CHECK(pth_open("/nonexistent/x.pth", &w, &err) == FZ_EIO);
  free(zb);
  pb_free(&ok);
  pb_free(&evil);
}
