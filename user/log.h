/* SPDX-License-Identifier: GPL-2.0 */
/* log.h - messages on stderr: warn() always, info() with -v, debug() with -vv. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

extern int log_verbosity; /* 0 quiet, 1 -v, 2 -vv */

void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libbpf's print callback: its warnings only with -v (probing fails on purpose), debug with -vv */
void log_setup_libbpf(void);

#endif
