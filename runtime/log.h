// log.h — levelled logging to one sink (stderr by default); the only global state in fusor.
#ifndef FZ_LOG_H
#define FZ_LOG_H
#include <stdio.h>

typedef enum { FZ_LOG_ERROR = 0, FZ_LOG_WARN = 1, FZ_LOG_INFO = 2, FZ_LOG_DEBUG = 3 } fz_log_level;

// Sets the most verbose level printed (default FZ_LOG_WARN).
void fz_log_set_level(fz_log_level level);
fz_log_level fz_log_get_level(void);
// Redirects log lines to f (NULL restores stderr).
void fz_log_set_sink(FILE *f);
// Prints "fusor: <level>: message\n" when level is enabled.
void fz_log(fz_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Parses "error|warn|info|debug"; returns -1 when unknown.
int fz_log_parse_level(const char *s);

#define FZ_ERROR(...) fz_log(FZ_LOG_ERROR, __VA_ARGS__)
#define FZ_WARN(...) fz_log(FZ_LOG_WARN, __VA_ARGS__)
#define FZ_INFO(...) fz_log(FZ_LOG_INFO, __VA_ARGS__)
#define FZ_DEBUG(...) fz_log(FZ_LOG_DEBUG, __VA_ARGS__)
#endif
