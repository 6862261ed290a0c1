// progress.h — a progress line "label  12/50  3.1 it/s  ETA 0:15" on a terminal, or JSON lines.
#ifndef FZ_PROGRESS_H
#define FZ_PROGRESS_H
#include <stdio.h>
#include <stdint.h>

typedef struct fz_progress {
  FILE *out;            // stderr for the line, stdout for JSON
  int json;             // 1: one JSON object per update
  int tty;              // 1: redraw in place with \r
  char label[64];
  int64_t total, done;
  double t0, last_print;
} fz_progress;

// Monotonic seconds.
double fz_now(void);
// Starts a progress report of `total` items; json selects JSON lines on stdout.
void fz_progress_start(fz_progress *p, const char *label, int64_t total, int json);
// Records that `done` items are complete and redraws at most 10 times a second (always on the last).
void fz_progress_update(fz_progress *p, int64_t done);
// Finishes the line (newline on a terminal, a final "done" JSON event).
void fz_progress_finish(fz_progress *p);
// Formats the current line into buf (used by the terminal and by tests).
const char *fz_progress_format(const fz_progress *p, double now, char *buf, size_t n);
#endif
