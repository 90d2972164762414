/* SPDX-License-Identifier: GPL-2.0 */
/* check.h - the smallest test harness that does the job: every CHECK prints one line and
 * counts; tests/run.sh adds up the "PASS"/"FAIL" lines of every test program. */
#ifndef CHECK_H
#define CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failed;
static int check_passed;

#define CHECK(name, cond)                                                                  \
	do {                                                                               \
		if (cond) {                                                                \
			check_passed++;                                                    \
			printf("PASS %s\n", (name));                                       \
		} else {                                                                   \
			check_failed++;                                                    \
			printf("FAIL %s (%s:%d: %s)\n", (name), __FILE__, __LINE__, #cond); \
		}                                                                          \
	} while (0)

#define CHECK_STR(name, got, want)                                                         \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		if (g_ && w_ && !strcmp(g_, w_)) {                                         \
			check_passed++;                                                    \
			printf("PASS %s\n", (name));                                       \
		} else {                                                                   \
			check_failed++;                                                    \
			printf("FAIL %s (%s:%d)\n  got:  %s\n  want: %s\n", (name), __FILE__, \
			       __LINE__, g_ ? g_ : "(null)", w_ ? w_ : "(null)");          \
		}                                                                          \
	} while (0)

/* exit status of a test program: non-zero when anything failed */
#define CHECK_DONE() (check_failed ? 1 : 0)
#endif
