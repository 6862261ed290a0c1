// cli.h — the subcommand registry of the fusor CLI; each subcommand is one tools/cmd_<name>.c file.
#ifndef FZ_CLI_H
#define FZ_CLI_H
#include "fusor.h"

typedef int (*fz_cmd_fn)(int argc, char **argv);  // argv[0] is the subcommand name; returns the exit code
typedef struct { const char *name, *summary; fz_cmd_fn fn; } fz_cmd;
void fz_cli_register(const char *name, const char *summary, fz_cmd_fn fn);

// Registers a subcommand at program start: FZ_COMMAND(inspect, "...", cmd_inspect)
#define FZ_COMMAND(name, summary, fn) \
  __attribute__((constructor)) static void reg_cmd_##name(void) { fz_cli_register(#name, summary, fn); }

// Prints "fusor: error: <msg>" to stderr and returns the exit code (1) for err.
int fz_cli_fail(const fz_err *err);
// 1 when argv contains -h or --help.
int fz_cli_wants_help(int argc, char **argv);
#endif
