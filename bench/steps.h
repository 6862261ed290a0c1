// steps.h — the steps-vs-quality sweep behind `fusor bench steps` (tools/cmd_bench.c): the test set, the sweep
// spec, one point's run (sampling + every reduced- and full-resolution metric), the results.jsonl store used to
// resume, the CSV / JSON reports, the Pareto front and the SVG plots. docs/BENCHMARKS.md describes the outputs.
//   steps_point.c  test set, sweep spec, one point     steps_store.c  records, results.jsonl, CSV / JSON
//   steps_plot.c   Pareto front, SVG plots
#ifndef FZ_STEPS_H
#define FZ_STEPS_H
#include <stdint.h>
#include <stdio.h>
#include "error.h"
#include "raster.h"
#include "../models/fuse.h"
#include "../models/generative.h"

// ---------------------------------------------------------------- metrics of a point
// Reduced resolution vs gt (SAM, ERGAS, SCC, Q2n, Q_avg, PSNR, SSIM), then full resolution (D_lambda, D_s, HQNR).
enum { FZ_SM_SAM, FZ_SM_ERGAS, FZ_SM_SCC, FZ_SM_Q2N, FZ_SM_QAVG, FZ_SM_PSNR, FZ_SM_SSIM, FZ_SM_DLAMBDA, FZ_SM_DS, FZ_SM_HQNR,
       FZ_SM_COUNT };
// Column name of metric k ("SAM", ..., "HQNR").
const char *fz_steps_metric_name(int k);
// +1 when a larger value of metric k is better (Q2n, SCC, PSNR, ...), -1 when smaller is (SAM, ERGAS, D_lambda, D_s).
int fz_steps_metric_sense(int k);
// Index of the metric called name, -1 when unknown.
int fz_steps_metric_find(const char *name);

// ---------------------------------------------------------------- the test set
// Images of a PanCollection HDF5 set (gt / ms / lms / pan in DN, as `fusor simulate` writes), a selection of them.
typedef struct fz_steps_set {
  char path[1024];
  char sha256[65];  // digest of the whole file
  char spec[256];   // the selection in canonical form ("15-24", "0,3,5-7"; "all" for every image)
  int n;            // selected images
  int *index;       // their indices in the file
  fz_raster *gt, *ms, *lms, *pan;  // n each (loaded by fz_steps_set_load; NULL after fz_steps_set_open)
} fz_steps_set;
// Parses an index selection "15-24", "0,3,7-9" or "all" of a set of `total` images into a new array *idx of *n
// increasing, distinct indices; errors name the bad item and the valid range.
int fz_steps_parse_index(const char *spec, int total, int **idx, int *n, fz_err *err);
// Checks path holds gt, ms, lms and pan with the same image count, selects `spec` (NULL = all) and hashes the
// file; no image is read.
int fz_steps_set_open(const char *path, const char *spec, fz_steps_set *s, fz_err *err);
// fz_steps_set_open, then reads the selected images and checks their sizes (PAN 1 band, gt/lms = PAN grid).
int fz_steps_set_load(const char *path, const char *spec, fz_steps_set *s, fz_err *err);
void fz_steps_set_free(fz_steps_set *s);

// ---------------------------------------------------------------- the sweep spec
// One (sampler, steps) pair of a sweep.
typedef struct fz_steps_item {
  fz_sampler_kind sampler;
  int steps;
  fz_process process;  // the process the name implies (flow_euler: flow), FZ_PROC_DEFAULT when none
} fz_steps_item;
#define FZ_STEPS_MAX_ITEMS 256
#define FZ_STEPS_MAX_STEPS 1000
// Parses "ddim:1,2,5,10;ddpm:100,1000;dpmpp_2m:10" (';' between samplers, ',' between step counts 1..1000)
// into items (capacity cap); duplicates are dropped. Errors name the bad part (unknown sampler, steps 0, ...).
int fz_steps_spec_parse(const char *spec, fz_steps_item *items, int cap, int *n, fz_err *err);
// The default sweep of a generative model: every sampler of its process that fz_model_set_sampler accepts
// (onestep at 1 step, the others at 1, 2, 5, 10, 20, 50, 100 where the grid exists: improved-diffusion
// respacing has no "ddim1"). Leaves m's sampler at its default.
int fz_steps_default_items(fz_pan_model *m, fz_steps_item *items, int cap, int *n, fz_err *err);
// Checks every item against m (fz_model_sampler_for + fz_model_set_sampler: a sampler of another process
// fails with the model's message; a respaced grid must exist); leaves m's sampler at its default.
int fz_steps_check_items(fz_pan_model *m, const fz_steps_item *items, int n, fz_err *err);

// ---------------------------------------------------------------- one point
typedef struct fz_steps_opts {
  fz_fuse_opts fo;     // tiling as `fusor sample` (default tile 64, overlap 16, patchmerge, batch 10)
  const char *sensor;  // MTF table for D_lambda (NULL: the model's sensor); QB / GF2 are scored as IKONOS
  int L;               // radiometric bits (default 11)
  int block;           // Q2n / D_lambda / D_s block (default 32)
} fz_steps_opts;
// Defaults of the options above (those of `fusor sample` and `fusor eval`).
void fz_steps_opts_default(fz_steps_opts *o);

// A point's outcome for one seed: per image metrics and timings, with their aggregates.
typedef struct fz_steps_result {
  int n;                        // images
  double (*img)[FZ_SM_COUNT];   // n × metrics
  double *secs;                 // n: seconds to sample (or run) the image, metrics excluded
  double mean[FZ_SM_COUNT];     // means over the images
  double wall_median;           // median of secs
  int64_t tiles;                // tiles over all images
  uint64_t evals;               // network evaluations over all images (a regression forward counts 1 per tile)
  int steps;                    // the grid's step count as the sampler runs it
  char sensor[16];              // the MTF table used
} fz_steps_result;
// Runs m with (sampler, steps, seed) on every image of s (loaded) and scores it: the output clamped to [0,1]
// and scaled to DN as `fusor sample` writes it (f32), then fz_metrics_rr vs gt and fz_metrics_fr on the reduced
// ms / lms / pan taken as full-resolution inputs. A regression model ignores sampler / steps / seed (pass
// FZ_SAMPLER_REGRESSION, 1). m = NULL scores the set's lms itself (the LMS reference line: no time, no
// evaluations; o->sensor required). r is allocated here; fz_steps_result_free releases it.
int fz_steps_run_point(fz_pan_model *m, const fz_steps_set *s, fz_sampler_kind sampler, int steps, uint64_t seed,
                       const fz_steps_opts *o, fz_steps_result *r, fz_err *err);
void fz_steps_result_free(fz_steps_result *r);
// The fused image of s's image i as fz_steps_run_point scores it (C×H×W DN doubles into out), for tests.
int fz_steps_fuse_image(fz_pan_model *m, const fz_steps_set *s, int i, const fz_steps_opts *o, double *out, double *secs,
                        fz_err *err);

// ---------------------------------------------------------------- records and the results store
// One finished (model, sampler, steps, seed) point as stored in results.jsonl.
typedef struct fz_steps_rec {
  char key[512];        // model sha + sampler + steps + seed + set sha + selection + options (see fz_steps_key)
  char model[1024], model_sha256[65], arch[32], kind[16];  // kind "generative" | "regression"
  char sampler[32];
  int steps, seed, images;
  char set_sha256[65];
  double nfe;           // network evaluations per tile
  double evals_per_image, wall_median, peak_rss_mib;  // peak NAN when not measured
  double m[FZ_SM_COUNT];
  char *line;           // the record's JSON line (malloc'd; per-image values included)
} fz_steps_rec;
// The resume key: "<model sha[0:16]>|<sampler>|<steps>|<seed>|<set sha[0:16]>|<selection>|<options>".
void fz_steps_key(char *out, size_t n, const char *model_sha, const char *sampler, int steps, uint64_t seed,
                  const char *set_sha, const char *selection, const char *options);
// The record's JSON line (no newline) from a result; rec's scalar fields must be set; rec->line is replaced.
int fz_steps_rec_format(fz_steps_rec *rec, const fz_steps_set *s, const fz_steps_result *r, fz_err *err);
// Parses a JSON line written by fz_steps_rec_format back into rec (rec->line = a copy); FZ_EFORMAT when malformed.
int fz_steps_rec_parse(const char *line, fz_steps_rec *rec, fz_err *err);
void fz_steps_rec_free(fz_steps_rec *rec);

// The records of DIR/results.jsonl (none when the file is absent); malformed lines are skipped with a warning.
typedef struct fz_steps_store {
  char path[1100];
  fz_steps_rec *recs;
  int n, cap;
} fz_steps_store;
int fz_steps_store_open(const char *dir, fz_steps_store *st, fz_err *err);
// The record with key, or NULL.
const fz_steps_rec *fz_steps_store_find(const fz_steps_store *st, const char *key);
// Adds rec (taken over: its line is owned by the store) and rewrites results.jsonl atomically (temporary file,
// fsync, rename): an interruption leaves either the old or the new file, never a partial one.
int fz_steps_store_add(fz_steps_store *st, fz_steps_rec *rec, fz_err *err);
void fz_steps_store_free(fz_steps_store *st);
// Writes text to path atomically (temporary file in the same directory, fsync, rename).
int fz_steps_write_atomic(const char *path, const char *text, size_t len, fz_err *err);

// ---------------------------------------------------------------- points over seeds, reports, plots
#define FZ_STEPS_MAX_SEEDS 64
// A point of the report: the records of one (model, sampler, steps) over the seeds, averaged.
typedef struct fz_steps_point {
  char label[160];      // "ssdiff_wv2 ddim" (model name + sampler): one curve per label
  char model[1024], arch[32], sampler[32];
  int regression, steps, seeds, images;
  double nfe, evals_per_image, wall_median, peak_rss_mib;  // wall: median of the seeds' medians; peak: max
  double m[FZ_SM_COUNT];  // means over seeds of the image means
  unsigned pareto;        // bit k: on the quality-vs-time Pareto front of metric k
  int nruns;              // records (seeds) behind the point
  const char *runs[FZ_STEPS_MAX_SEEDS];  // their JSON lines (owned by the store)
} fz_steps_point;
// Indices of the points not dominated in (time, quality): no other point is at most as slow and at least as
// good with one of the two strictly. sense +1: larger q is better. NaN values are never on the front.
// O(n log n); front[i] = 1 on the front. Returns the front size.
int fz_steps_pareto(const double *t, const double *q, int n, int sense, unsigned char *front);
// Sets the pareto bits of every point (per metric, over wall_median).
void fz_steps_mark_pareto(fz_steps_point *p, int n);

// Header facts of a report.
typedef struct fz_steps_meta {
  const char *command, *git, *machine, *set, *selection, *device;
  int threads;
} fz_steps_meta;
// Writes DIR/results.csv (one row per point) and DIR/results.json (header + points with their records,
// per-seed and per-image values from the points' records) atomically.
int fz_steps_write_reports(const char *dir, const fz_steps_meta *meta, const fz_steps_point *p, int n, fz_err *err);
// Averages the records recs[0..n) of one (model, sampler, steps) over their seeds into *p (label and
// pareto left to the caller).
void fz_steps_point_from_recs(fz_steps_point *p, const fz_steps_rec *const *recs, int n);
// Writes DIR/steps_<metric>.svg (quality vs steps, log x) and DIR/time_<metric>.svg (quality vs median wall time,
// log x) for every metric: one curve per label, regression points as horizontal reference lines, the Pareto
// front of the time plot marked (black rings joined by a dashed staircase).
int fz_steps_write_plots(const char *dir, const fz_steps_point *p, int n, fz_err *err);
#endif
