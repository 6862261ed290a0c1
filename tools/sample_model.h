// sample_model.h — the model-file half of `fusor sample` (tools/sample_model.c): sampling a real scene with
// a generative model file (SSDiff), called by tools/cmd_sample.c when --model names a file.
#ifndef FZ_SAMPLE_MODEL_H
#define FZ_SAMPLE_MODEL_H
#include <stdio.h>

// Runs `fusor sample -m MODEL --ms MS --pan PAN [--lms LMS] -o OUT [options]`; argv[0] is "sample".
// Returns the exit code (0 ok, 1 error, 2 bad command line).
int fz_sample_model_main(int argc, char **argv);
// Prints the model-file options of `fusor sample --help` to f.
void fz_sample_model_usage(FILE *f);
// 1 when argv selects a model file (-m/--model with a value that is not "gaussian:...").
int fz_sample_wants_model_file(int argc, char **argv);
#endif
