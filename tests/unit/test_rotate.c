// SPDX-License-Identifier: GPL-2.0
/* test_rotate.c - the names of a rotated recording's files, as tcpdump names them, and the
 * identity record's encoding. */
#include <stdlib.h>
#include "check.h"
#include "../../user/identity.h"
#include "../../user/rotate.h"

static const char *name(const char *pattern, unsigned seq, unsigned count, bool size, bool time_)
{
	static char out[256];

	if (rotate_name(pattern, seq, count, size, time_, 1795829351 /* 2026-11-28 */, out,
			sizeof(out)))
		return "(error)";
	return out;
}

int main(void)
{
	char small[8];

	setenv("TZ", "UTC", 1);
	CHECK_STR("-C: the first file is FILE", name("r.rec", 0, 0, true, false), "r.rec");
	CHECK_STR("-C: then FILE1", name("r.rec", 1, 0, true, false), "r.rec1");
	CHECK_STR("-C: FILE12", name("r.rec", 12, 0, true, false), "r.rec12");
	CHECK_STR("-C -W 10: FILE0", name("r.rec", 0, 10, true, false), "r.rec0");
	CHECK_STR("-C -W 10: seq 13 is FILE3 (a ring)", name("r.rec", 13, 10, true, false),
		  "r.rec3");
	CHECK_STR("-C -W 11: two digits", name("r.rec", 3, 11, true, false), "r.rec03");
	CHECK_STR("-C -W 100: two digits", name("r.rec", 99, 100, true, false), "r.rec99");
	CHECK_STR("-C -W 1: one file, no number", name("r.rec", 5, 1, true, false), "r.rec");
	CHECK_STR("-G: strftime", name("r-%Y%m%d-%H%M%S.rec", 3, 0, false, true),
		  "r-20261128-012911.rec");
	CHECK_STR("-G without a conversion: numbered, not overwritten",
		  name("r.rec", 2, 0, false, true), "r.rec2");
	CHECK_STR("-G with %% only: numbered", name("r%%.rec", 1, 0, false, true), "r%.rec1");
	CHECK_STR("-G -C: strftime and a number", name("r-%H.rec", 1, 0, true, true),
		  "r-01.rec1");
	CHECK("too long a name: an error", rotate_name("abcdefgh", 1, 0, true, false, 0, small,
						    sizeof(small)) == -1);

	struct rec_identity r = { .pid = 7, .found = 1, .comm = "nginx" }, back;
	unsigned char buf[sizeof(r)];
	size_t len;

	strcpy(r.cgroup, "/system.slice/nginx.service");
	len = identity_encode(&r, buf);
	CHECK("identity record: head and path, no padding", len == IDENTITY_REC_HEAD + 27);
	CHECK("identity record: decodes", identity_decode(buf, len, &back) && back.pid == 7 &&
	      back.found && !strcmp(back.cgroup, r.cgroup) && !strcmp(back.comm, "nginx"));
	CHECK("identity record: too short rejected", !identity_decode(buf, 10, &back));
	CHECK("identity record: too long rejected",
	      !identity_decode(buf, IDENTITY_REC_HEAD + IDENTITY_PATH_LEN, &back));
	return CHECK_DONE();
}
