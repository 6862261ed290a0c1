// cmd_convert.c — `fusor convert IN OUT`: PyTorch .pth (or safetensors) -> fusor safetensors with
// metadata; tensors keep their dtype; output written atomically, never over an existing file
// unless --force.
#include "cli.h"
#include "../models/model.h"
#include "weights.h"
#include "weights_convert.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// Arch name -> key mapping from official checkpoint names to fusor names. The models issue adds
// entries here (one function per architecture, defined beside the model in models/).
static const struct { const char *arch; fz_weights_keymap_fn fn; } keymaps[] = {
    {NULL, NULL},
};

// The key mapping registered for arch, or NULL.
static fz_weights_keymap_fn find_keymap(const char *arch) {
  for (int i = 0; keymaps[i].arch; i++)
    if (!strcmp(keymaps[i].arch, arch)) return keymaps[i].fn;
  return fz_model_keymap(arch);
}

// Prints the help text.
static void usage(FILE *f) {
  fprintf(f, "usage: fusor convert IN OUT.safetensors [--arch NAME] [--set key=value ...] [--meta key=value ...] [--force]\n"
             "  Converts a PyTorch checkpoint (.pth/.pt zip, read without Python and without executing the pickle)\n"
             "  or a safetensors file into a safetensors file. Tensors keep their names, dtypes and shapes.\n"
             "  Metadata written: fusor.arch, fusor.hparams (JSON object), fusor.source (input name + sha256,\n"
             "  kept when IN already has one), fusor.version, plus the input's own metadata.\n"
             "  --arch NAME       record the architecture (and apply its key mapping once one is defined)\n"
             "  --set key=value   add a hyper-parameter to fusor.hparams (value: JSON number/bool/array/object, else a string)\n"
             "  --meta key=value  set a raw metadata string\n"
             "  --force           replace OUT if it exists (written to a temp file, then renamed into place)\n"
             "  example: fusor convert cannet_wv3.pth cannet_wv3.safetensors --arch cannet --set spectral_num=8 --set scale=2047\n");
}

// Splits "key=value" in place; 0 when there is no '='.
static int split_kv(char *s, char **k, char **v) {
  char *eq = strchr(s, '=');
  if (!eq) return 0;
  *eq = 0;
  *k = s;
  *v = eq + 1;
  return 1;
}

// `fusor convert` entry point: argv[0] = "convert"; returns the exit code.
static int cmd_convert(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  fz_convert_opts o = {0};
  const char **sk = calloc((size_t)argc, sizeof *sk), **sv = calloc((size_t)argc, sizeof *sv);
  const char **mk = calloc((size_t)argc, sizeof *mk), **mv = calloc((size_t)argc, sizeof *mv);
  int rc = 2;
  if (!sk || !sv || !mk || !mv) { fprintf(stderr, "fusor convert: out of memory\n"); goto done; }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); rc = 0; goto done; }
    if (!strcmp(a, "--force")) o.overwrite = 1;
    else if (!strcmp(a, "--arch") || !strcmp(a, "--set") || !strcmp(a, "--meta")) {
      if (i + 1 >= argc) { fprintf(stderr, "fusor convert: %s needs a value\n", a); goto done; }
      char *val = argv[++i], *k, *v;
      if (!strcmp(a, "--arch")) o.arch = val;
      else if (!split_kv(val, &k, &v) || !k[0]) { fprintf(stderr, "fusor convert: %s '%s': expected key=value\n", a, val); goto done; }
      else if (!strcmp(a, "--set")) { sk[o.nset] = k; sv[o.nset++] = v; }
      else { mk[o.nmeta] = k; mv[o.nmeta++] = v; }
    } else if (a[0] == '-' && a[1]) { fprintf(stderr, "fusor convert: unknown option '%s'\n", a); usage(stderr); goto done; }
    else if (!in) in = a;
    else if (!out) out = a;
    else { fprintf(stderr, "fusor convert: unexpected argument '%s' (IN and OUT already given)\n", a); goto done; }
  }
  if (!in || !out) { usage(stderr); goto done; }
  o.set_keys = sk; o.set_vals = sv; o.meta_keys = mk; o.meta_vals = mv;
  if (o.arch) {
    o.keymap = find_keymap(o.arch);
    if (!o.keymap) FZ_INFO("no key mapping defined for arch %s yet: tensors are written under their checkpoint names", o.arch);
  }
  fz_weights w;
  fz_err err = {0};
  if (fz_weights_convert(in, out, &o, &w, &err)) { rc = fz_cli_fail(&err); goto done; }
  struct stat s;
  long long bytes = stat(out, &s) == 0 ? (long long)s.st_size : -1;
  printf("wrote %s: %d tensors, %lld parameters, %lld bytes\n", out, w.count, (long long)fz_weights_param_count(&w), bytes);
  fz_weights_free(&w);
  rc = 0;
done:
  free(sk); free(sv); free(mk); free(mv);
  return rc;
}
FZ_COMMAND(convert, "convert a PyTorch .pth (or safetensors) into a fusor safetensors file with metadata", cmd_convert)
