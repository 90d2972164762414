// SPDX-License-Identifier: GPL-2.0
/* test_record.c - the recording format: writer -> reader round trip, and every way a file can
 * be truncated or corrupt (the message names the offset); replay_stream() on canned records:
 * what came before a bad record is still printed, exit 1; a file without its end record (a
 * killed recorder) still replays, exit 0. No kernel, no root. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "record.h"
#include "replay.h"

static char path[] = "/tmp/rsttrace-test-record.XXXXXX";

static struct rt_event ev_at(int kind, __u64 ts, __u16 sport, __u16 dport)
{
	struct rt_event e = { .kind = kind, .family = RT_FAMILY_IPV4, .ts_ns = ts,
			      .state = RT_TCP_CLOSE, .ctx = RT_CTX_TASK,
			      .owner_by = RT_OWNER_CURRENT, .reason = RT_REASON_NONE };

	e.tuple.saddr[10] = e.tuple.saddr[11] = 0xff;
	e.tuple.saddr[12] = 127;
	e.tuple.saddr[15] = 1;
	memcpy(e.tuple.daddr, e.tuple.saddr, 16);
	e.tuple.sport = sport;
	e.tuple.dport = dport;
	e.cookie = 1000 + sport;
	e.owner.pid = e.current.pid = 42;
	e.owner.tid = e.current.tid = 42;
	strcpy(e.owner.comm, "srv");
	strcpy(e.current.comm, "srv");
	return e;
}

/* a small recording: header, connect, write_error, tick, end; returns its size */
static long write_sample(bool with_end)
{
	const char hdr[] = "format=1\nmono_to_real_ns=1000000000\nevent_size=" "%zu\n"
			   "probe.send_reset=tp_btf\nreason.9=TCP_TIMEWAIT_SOCKET\n";
	char text[256];
	struct rec_writer *w = rec_writer_open(path);
	struct rt_event e1 = ev_at(RT_ACCEPT, 1000000, 18878, 40000);
	struct rt_event e2 = ev_at(RT_WRITE_ERROR, 2000000, 18878, 40000);
	struct rec_tick t = { 3000000, 7 };
	long size;

	e2.ret = -32;
	snprintf(text, sizeof(text), hdr, sizeof(struct rt_event));
	rec_write_header(w, text, strlen(text));
	rec_write(w, REC_EVENT, &e1, sizeof(e1));
	rec_write(w, REC_EVENT, &e2, sizeof(e2));
	rec_write(w, REC_TICK, &t, sizeof(t));
	if (with_end)
		rec_write(w, REC_END, &t, sizeof(t));
	size = (long)w->written + (long)w->len;
	CHECK("writer: the file head and framed records, nothing else",
	      size == REC_FILE_HEAD + (with_end ? 5 : 4) * REC_FRAME + (long)strlen(text) +
			      2 * (long)sizeof(e1) + (with_end ? 2 : 1) * (long)sizeof(t));
	CHECK("writer: no error", rec_writer_close(w) == 0);
	return size;
}

static void test_round_trip(void)
{
	long size = write_sample(true);
	FILE *f = fopen(path, "rb");
	struct rec_reader *r = malloc(sizeof(*r));
	struct rec_record rec;
	struct rt_event e;
	char v[64];
	int types[8], n = 0;

	CHECK("reader: head accepted", rec_reader_init(r, f) == 0);
	while (n < 8 && rec_next(r, &rec) == 1) {
		types[n++] = rec.type;
		if (n == 3)
			memcpy(&e, rec.data, sizeof(e));
		if (n == 1)
			CHECK("header: key read back",
			      rec_header_get((const char *)rec.data, rec.len, "mono_to_real_ns", v,
					     sizeof(v)) && !strcmp(v, "1000000000"));
	}
	CHECK("reader: five records in order", n == 5 && types[0] == REC_HEADER &&
	      types[1] == REC_EVENT && types[2] == REC_EVENT && types[3] == REC_TICK &&
	      types[4] == REC_END);
	CHECK("reader: the event's bytes are kept", e.kind == RT_WRITE_ERROR && e.ret == -32 &&
	      e.tuple.sport == 18878 && e.ts_ns == 2000000);
	CHECK("reader: clean end of file", rec_next(r, &rec) == 0 && r->offset == (unsigned long long)size);
	fclose(f);
	free(r);
}

/* type 6 (a kept FIN, the joiner's fin_of answer): read back with its exact length only */
static void test_fin_record(void)
{
	const char text[] = "format=1\n";
	struct rec_fin a = { .cookie = 302, .found = 1, .ts_ns = 1000000 }, b;
	struct rec_writer *w = rec_writer_open(path);
	struct rec_reader *r = malloc(sizeof(*r));
	struct rec_record rec;
	FILE *f;

	strcpy(a.trigger.comm, "curl");
	a.trigger.pid = 7001;
	rec_write_header(w, text, strlen(text));
	rec_write(w, REC_FIN, &a, sizeof(a));
	rec_write(w, REC_FIN, &a, sizeof(a) - 1);
	CHECK("fin: written", rec_writer_close(w) == 0);
	f = fopen(path, "rb");
	rec_reader_init(r, f);
	rec_next(r, &rec);
	CHECK("fin: read back whole", rec_next(r, &rec) == 1 && rec.type == REC_FIN &&
	      rec.len == sizeof(b) && !memcmp(rec.data, &a, sizeof(a)));
	CHECK("fin: a short one is corrupt", rec_next(r, &rec) < 0 &&
	      strstr(r->error, "type 7 with length"));
	fclose(f);
	free(r);
}

/* the reader's verdict on the sample file cut to len bytes or with one byte changed */
static int read_all(const unsigned char *data, size_t len, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)data, len, "rb");
	struct rec_reader *r = malloc(sizeof(*r));
	struct rec_record rec;
	int rc;

	rc = rec_reader_init(r, f);
	if (!rc)
		while ((rc = rec_next(r, &rec)) == 1)
			;
	snprintf(err, errlen, "%s", r->error);
	fclose(f);
	free(r);
	return rc;
}

static unsigned char *load(long *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = malloc(1 << 16);

	*len = (long)fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void test_damage(void)
{
	long len, ev2;
	unsigned char *buf, *copy;
	char err[200];
	__u32 bad;

	write_sample(true);
	buf = load(&len);
	copy = malloc(len);
	/* the second event's frame: after the end record (24+8), tick (16+8) and event */
	ev2 = len - (REC_FRAME + 16) * 2 - (REC_FRAME + (long)sizeof(struct rt_event));
	CHECK("cut inside a record: error", read_all(buf, ev2 + 20, err, sizeof(err)) == -1);
	snprintf((char *)copy, 64, "truncated record at offset %ld:", ev2);
	CHECK_STR("cut inside a record: the record's offset named", strncmp(err, (char *)copy, strlen((char *)copy)) ? err : "ok", "ok");
	CHECK("cut inside a frame: error",
	      read_all(buf, ev2 + 3, err, sizeof(err)) == -1 && strstr(err, "truncated record"));
	CHECK("cut at a record boundary: clean", read_all(buf, ev2, err, sizeof(err)) == 0);
	CHECK("empty file: not a recording", read_all(buf, 0, err, sizeof(err)) == -1 &&
	      strstr(err, "not an rsttrace recording"));
	CHECK("file head only: no header record", read_all(buf, REC_FILE_HEAD, err, sizeof(err)) == -1 &&
	      strstr(err, "no header record"));

	memcpy(copy, buf, len);
	copy[8] = 9;
	CHECK("other version: refused, offset 8", read_all(copy, len, err, sizeof(err)) == -1 &&
	      strstr(err, "version 9 at offset 8"));
	memcpy(copy, buf, len);
	copy[0] = 'X';
	CHECK("bad magic: refused", read_all(copy, len, err, sizeof(err)) == -1 &&
	      strstr(err, "offset 0"));
	memcpy(copy, buf, len);
	bad = 77;
	memcpy(copy + ev2, &bad, 4);
	CHECK("unknown type: corrupt, offset named", read_all(copy, len, err, sizeof(err)) == -1 &&
	      strstr(err, "corrupt record at offset") && strstr(err, "unknown record type 77"));
	memcpy(copy, buf, len);
	bad = 1u << 30;
	memcpy(copy + ev2 + 4, &bad, 4);
	CHECK("huge length: corrupt, not an allocation",
	      read_all(copy, len, err, sizeof(err)) == -1 && strstr(err, "longer than any record"));
	memcpy(copy, buf, len);
	bad = 12;
	memcpy(copy + ev2 + 4, &bad, 4);
	CHECK("wrong length for the type: corrupt",
	      read_all(copy, len, err, sizeof(err)) == -1 && strstr(err, "not that type's length"));
	memcpy(copy, buf, len);
	bad = REC_EVENT;
	memcpy(copy + REC_FILE_HEAD, &bad, 4);
	CHECK("event before the header: corrupt",
	      read_all(copy, len, err, sizeof(err)) == -1 && strstr(err, "before the header"));
	free(copy);
	free(buf);
}

/* replay_stream() on the file cut to len bytes: exit code, stdout, stderr */
static int replay_cut(long len, bool json, char *out, size_t outlen, char *err, size_t errlen)
{
	long all;
	unsigned char *buf = load(&all);
	FILE *in = fmemopen(buf, len, "rb");
	FILE *o = fmemopen(out, outlen, "w");
	FILE *e = fmemopen(err, errlen, "w");
	struct rt_options opts = { .json = json, .events = true };
	int rc;

	memset(out, 0, outlen);
	memset(err, 0, errlen);
	rc = replay_stream(&opts, in, "sample.rec", o, e);
	fclose(in);
	fclose(o);
	fclose(e);
	free(buf);
	return rc;
}

static void test_replay(void)
{
	char out[8192], err[512];
	long size = write_sample(false), cut;

	CHECK("no end record: exit 0", replay_cut(size, true, out, sizeof(out), err, sizeof(err)) == 0);
	CHECK("no end record: a message says so", strstr(err, "no end record") != NULL);
	CHECK("no end record: both events printed",
	      strstr(out, "\"kind\":\"accept\"") && strstr(out, "\"kind\":\"write_error\""));
	CHECK("no end record: lost from the last tick",
	      strstr(out, "\"type\":\"stats\",\"events\":2,\"lost\":7") != NULL);
	CHECK("wall clock from the header's offset",
	      strstr(out, "\"time\":\"1970-01-01T00:00:01.001000Z\"") != NULL);
	/* cut 10 bytes into the tick record: both events came before it */
	cut = size - (REC_FRAME + 16) + 10;
	CHECK("truncated: exit 1", replay_cut(cut, true, out, sizeof(out), err, sizeof(err)) == 1);
	CHECK("truncated: offset named", strstr(err, "sample.rec: truncated record at offset") &&
	      strstr(err, "the records before it were replayed"));
	CHECK("truncated: the records before it printed, and the stats",
	      strstr(out, "\"kind\":\"write_error\"") && strstr(out, "\"type\":\"stats\""));
	size = write_sample(true);
	CHECK("complete: exit 0, no message",
	      replay_cut(size, false, out, sizeof(out), err, sizeof(err)) == 0 &&
	      !strstr(err, "no end record"));
	CHECK("text mode: errno named", strstr(out, "write_error") && strstr(out, "EPIPE"));
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	test_round_trip();
	test_fin_record();
	test_damage();
	test_replay();
	unlink(path);
	return CHECK_DONE();
}
