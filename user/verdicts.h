/* SPDX-License-Identifier: GPL-2.0 */
/* verdicts.h - rules over one connection's timeline that name what happened (the verdict
 * codes of docs/design.md and schema/rsttrace.schema.json) and say it in one line a person
 * understands without knowing TCP. */
#ifndef VERDICTS_H
#define VERDICTS_H

#include <stdbool.h>
#include "causes.h"
#include "conns.h"
#include "names.h"

#define VERDICT_SUMMARY_LEN 768

struct verdict {
	const char *code;                     /* "write_after_peer_close", ... */
	char summary[VERDICT_SUMMARY_LEN];
};

struct verdict_input {
	const struct conn *conn;              /* events sorted by time */
	int a;                                /* which end is "a", the connecting side */
	const struct cause *cause;            /* NULL: no cause linked */
	const struct reason_names *reasons;
};

void verdict_decide(const struct verdict_input *in, struct verdict *out);

/* every code verdict_decide() can give, NULL-terminated (--ignore checks against it) */
extern const char *const verdict_codes[];
bool verdict_code_known(const char *code);

#endif
