// main.c — the fusor command dispatcher: `fusor <command> [options]`.
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fz_cmd g_cmds[64];
static int g_ncmds;

void fz_cli_register(const char *name, const char *summary, fz_cmd_fn fn) {
  if (g_ncmds < 64) g_cmds[g_ncmds++] = (fz_cmd){name, summary, fn};
}

int fz_cli_fail(const fz_err *err) {
  fprintf(stderr, "fusor: error: %s\n", err->msg[0] ? err->msg : fz_code_name(err->code));
  return 1;
}

int fz_cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
  return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(((const fz_cmd *)a)->name, ((const fz_cmd *)b)->name); }

static void usage(FILE *f) {
  fprintf(f, "fusor %s — inference engine for diffusion, flow-matching and regression image-fusion models\n\n"
             "usage: fusor <command> [options]      fusor <command> --help for a command's options\n\ncommands:\n",
          FUSOR_VERSION);
  for (int i = 0; i < g_ncmds; i++) fprintf(f, "  %-10s %s\n", g_cmds[i].name, g_cmds[i].summary);
  fprintf(f, "\nglobal options: --help, --version; FUSOR_LOG=error|warn|info|debug sets the log level\n");
}

int main(int argc, char **argv) {
  qsort(g_cmds, (size_t)g_ncmds, sizeof g_cmds[0], by_name);
  const char *lvl = getenv("FUSOR_LOG");
  if (lvl && fz_log_parse_level(lvl) >= 0) fz_log_set_level((fz_log_level)fz_log_parse_level(lvl));
  if (argc < 2) { usage(stderr); return 2; }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) { usage(stdout); return 0; }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) { printf("fusor %s\n", FUSOR_VERSION); return 0; }
  for (int i = 0; i < g_ncmds; i++)
    if (!strcmp(argv[1], g_cmds[i].name)) return g_cmds[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "fusor: error: unknown command '%s'; run 'fusor --help' for the list\n", argv[1]);
  return 2;
}
