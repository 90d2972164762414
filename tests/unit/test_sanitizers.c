// SPDX-License-Identifier: GPL-2.0
/*
 * test_sanitizers.c - the unit tests' leak checking is really on: a block made unreachable on
 * purpose must be reported by LeakSanitizer (part of ASan, which the Makefile builds every unit
 * test with), or a leak in the code under test would pass unseen (ASAN_OPTIONS=detect_leaks=0,
 * a toolchain without LSan, a Makefile change dropping -fsanitize). The block is then made
 * reachable again and freed, so this program's own exit check finds nothing. Expect one LSan
 * report of 24 bytes in this test's log: that is the check working.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sanitizer/lsan_interface.h>
#include "check.h"

#define MASK ((uintptr_t)0x5a5a5a5a5a5a5a5aULL)

/* the only copy of the pointer, masked: not a pointer LSan can follow */
static volatile uintptr_t hidden;

static void __attribute__((noinline)) leak_on_purpose(void)
{
	char *p = malloc(24);

	if (p)
		p[0] = 1;
	hidden = (uintptr_t)p ^ MASK;
}

int main(void)
{
	int found;

	setvbuf(stdout, NULL, _IONBF, 0); /* the PASS lines survive whatever LSan does at exit */
	leak_on_purpose();
	CHECK("a block was allocated", hidden != MASK);
	printf("(an LSan report of 24 bytes follows on stderr: expected)\n");
	found = __lsan_do_recoverable_leak_check();
	CHECK("LeakSanitizer reports a block nothing points to", found == 1);
	free((void *)(hidden ^ MASK));
	hidden = 0;
	CHECK("nothing left after freeing it", __lsan_do_recoverable_leak_check() == 0);
	return CHECK_DONE();
}
