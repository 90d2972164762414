// SPDX-License-Identifier: GPL-2.0
/* test_json.c - the JSON writer, byte for byte: structure, escaping, UTF-8 validation, numbers,
 * errors; and every line it produced here must parse with Python's strict UTF-8 + json. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "check.h"
#include "json.h"

/* every line written by the cases, handed to python3 at the end */
struct corpus {
	FILE *f;
	char *buf;
	size_t len;
	int lines;
};

/* one writer on a memory stream */
struct mem {
	FILE *f;
	char *buf;
	size_t len;
	struct json_out j;
};

static struct json_out *mem_open(struct mem *m)
{
	m->buf = NULL;
	m->f = open_memstream(&m->buf, &m->len);
	if (!m->f) {
		perror("open_memstream");
		exit(1);
	}
	json_init(&m->j, m->f);
	return &m->j;
}

static const char *mem_text(struct mem *m)
{
	fflush(m->f);
	return m->buf;
}

/* complete lines go to the corpus */
static void mem_close(struct mem *m, struct corpus *c)
{
	const char *p;

	fclose(m->f);
	for (p = m->buf; p && *p; p++)
		c->lines += *p == '\n';
	if (m->buf)
		fputs(m->buf, c->f);
	free(m->buf);
}

/* {"s":<json_bytes(s, n)>} must come out as {"s":want} */
static void check_bytes(struct corpus *c, const char *name, const char *s, size_t n,
			const char *want)
{
	char line[1024];
	struct mem m;
	struct json_out *j = mem_open(&m);

	json_object_begin(j, NULL);
	json_bytes(j, "s", s, n);
	json_object_end(j);
	json_end_line(j);
	snprintf(line, sizeof(line), "{\"s\":%s}\n", want);
	CHECK_STR(name, mem_text(&m), line);
	mem_close(&m, c);
}

/* the same for a NUL-terminated string */
static void check_str(struct corpus *c, const char *name, const char *s, const char *want)
{
	check_bytes(c, name, s, strlen(s), want);
}

static void test_structure(struct corpus *c)
{
	struct mem m;
	struct json_out *j = mem_open(&m);

	json_object_begin(j, NULL);
	json_u64(j, "a", 1);
	json_object_begin(j, "o");
	json_null(j, "x");
	json_array_begin(j, "arr");
	json_u64(j, NULL, 1);
	json_object_begin(j, NULL);
	json_str(j, "k", "v");
	json_object_end(j);
	json_array_begin(j, NULL);
	json_array_end(j);
	json_object_begin(j, NULL);
	json_object_end(j);
	json_array_end(j);
	json_object_begin(j, "e");
	json_object_end(j);
	json_object_end(j);
	json_bool(j, "t", true);
	json_bool(j, "f", false);
	json_object_end(j);
	CHECK("end_line ok", json_end_line(j) == 0);
	json_object_begin(j, NULL);
	json_u64(j, "b", 2);
	json_object_end(j);
	CHECK("second end_line ok", json_end_line(j) == 0);
	json_array_begin(j, NULL);
	json_i64(j, NULL, 1);
	json_i64(j, NULL, 2);
	json_array_end(j);
	json_end_line(j);
	CHECK_STR("nested objects/arrays, commas, lines", mem_text(&m),
		  "{\"a\":1,\"o\":{\"x\":null,\"arr\":[1,{\"k\":\"v\"},[],{}],\"e\":{}},"
		  "\"t\":true,\"f\":false}\n"
		  "{\"b\":2}\n"
		  "[1,2]\n");
	mem_close(&m, c);
}

/* deeper than need_comma[]: commas still right, including after an empty container */
static void test_deep(struct corpus *c)
{
	char want[256] = "";
	struct mem m;
	struct json_out *j = mem_open(&m);
	int i, depth = 20;

	for (i = 0; i < depth; i++) {
		json_array_begin(j, NULL);
		strcat(want, "[");
	}
	json_object_begin(j, NULL);
	json_object_end(j);
	json_u64(j, NULL, 1);
	strcat(want, "{},1");
	for (i = 0; i < depth - 1; i++) {
		json_array_end(j);
		json_u64(j, NULL, 7);
		strcat(want, "],7");
	}
	json_array_end(j);
	strcat(want, "]\n");
	CHECK("deep end_line ok", json_end_line(j) == 0);
	CHECK_STR("nesting deeper than JSON_MAX_DEPTH", mem_text(&m), want);
	mem_close(&m, c);
}

static void test_unbalanced(void)
{
	struct mem m;
	struct json_out *j = mem_open(&m);

	json_object_begin(j, NULL);
	json_object_begin(j, "o");
	json_object_end(j);
	CHECK("end_line with an open object -> -EINVAL", json_end_line(j) == -EINVAL);
	json_object_begin(j, NULL);
	json_object_end(j);
	json_object_end(j); /* one too many: ignored */
	CHECK("next line is clean", json_end_line(j) == 0);
	CHECK_STR("unbalanced output", mem_text(&m), "{\"o\":{}\n{}\n");
	fclose(m.f); /* the first line is not JSON: keep it out of the corpus */
	free(m.buf);
}

static void test_null_and_keys(struct corpus *c)
{
	struct mem m;
	struct json_out *j = mem_open(&m);

	json_object_begin(j, NULL);
	json_str(j, "a", NULL);
	json_strn(j, "b", NULL, 16);
	json_bytes(j, "c", NULL, 3);
	json_str(j, "k\"\\\n\x01\xff", "");
	json_object_end(j);
	json_end_line(j);
	CHECK_STR("NULL strings -> null, keys escaped", mem_text(&m),
		  "{\"a\":null,\"b\":null,\"c\":null,\"k\\\"\\\\\\n\\u0001\\u00ff\":\"\"}\n");
	mem_close(&m, c);
}

static void test_escapes(struct corpus *c)
{
	char all[33];
	int i;

	for (i = 0; i < 32; i++)
		all[i] = (char)i;
	all[32] = 0x7f;
	check_bytes(c, "every control byte 0x00-0x1f and 0x7f", all, sizeof(all),
		    "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
		    "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
		    "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
		    "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\u007f\"");
	check_str(c, "quote and backslash", "a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	check_str(c, "printable ASCII as is", " ~!#$%&'()*+,-.:;<=>?@[]^_`{|}",
		  "\" ~!#$%&'()*+,-.:;<=>?@[]^_`{|}\"");
	check_str(c, "empty string", "", "\"\"");
}

static void test_utf8_valid(struct corpus *c)
{
	check_str(c, "2-byte UTF-8", "caf\xc3\xa9", "\"caf\xc3\xa9\"");
	check_str(c, "3-byte UTF-8", "\xe2\x82\xac", "\"\xe2\x82\xac\"");
	check_str(c, "4-byte UTF-8", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	check_str(c, "U+0080 and U+07FF", "\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"");
	check_str(c, "U+0800 and U+FFFF", "\xe0\xa0\x80\xef\xbf\xbf",
		  "\"\xe0\xa0\x80\xef\xbf\xbf\"");
	check_str(c, "U+D7FF and U+E000 around surrogates", "\xed\x9f\xbf\xee\x80\x80",
		  "\"\xed\x9f\xbf\xee\x80\x80\"");
	check_str(c, "U+10000 and U+10FFFF", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
		  "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
}

static void test_utf8_invalid(struct corpus *c)
{
	check_str(c, "lone continuation byte", "a\x80z", "\"a\\u0080z\"");
	check_str(c, "0xff", "\xff", "\"\\u00ff\"");
	check_str(c, "0xfe and 0xf5", "\xfe\xf5", "\"\\u00fe\\u00f5\"");
	check_str(c, "overlong C0 80", "\xc0\x80", "\"\\u00c0\\u0080\"");
	check_str(c, "overlong C1 BF", "\xc1\xbf", "\"\\u00c1\\u00bf\"");
	check_str(c, "overlong E0 9F BF", "\xe0\x9f\xbf", "\"\\u00e0\\u009f\\u00bf\"");
	check_str(c, "overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf",
		  "\"\\u00f0\\u008f\\u00bf\\u00bf\"");
	check_str(c, "surrogate ED A0 80", "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");
	check_str(c, "surrogate ED BF BF", "\xed\xbf\xbf", "\"\\u00ed\\u00bf\\u00bf\"");
	check_str(c, "above U+10FFFF F4 90 80 80", "\xf4\x90\x80\x80",
		  "\"\\u00f4\\u0090\\u0080\\u0080\"");
	check_str(c, "lead byte then ASCII", "\xc3" "A", "\"\\u00c3A\"");
	check_str(c, "3-byte lead, bad third byte", "\xe2\x82" "A", "\"\\u00e2\\u0082A\"");
	check_str(c, "truncated at end of string", "ab\xf0\x9f\x98", "\"ab\\u00f0\\u009f\\u0098\"");
}

/* comm[16] with no NUL, in a 16-byte heap block so ASan sees any read past it */
static void test_comm(struct corpus *c)
{
	static const char euro[] = "\xe2\x82\xac";
	char *comm = malloc(16);
	struct mem m;
	struct json_out *j = mem_open(&m);

	memcpy(comm, "0123456789abcd\xe2\x82", 16); /* U+20AC cut after 2 of its 3 bytes */
	json_object_begin(j, NULL);
	json_strn(j, "comm", comm, 16);
	memcpy(comm, "0123456789abc\xe2\x82\xac", 16); /* ends with a whole U+20AC */
	json_strn(j, "full", comm, 16);
	memcpy(comm, "ab\0cd", 6);
	json_strn(j, "nul", comm, 16);
	json_strn(j, "cut", euro, 2);
	json_strn(j, "zero", euro, 0);
	json_object_end(j);
	json_end_line(j);
	CHECK_STR("json_strn stops at n or NUL", mem_text(&m),
		  "{\"comm\":\"0123456789abcd\\u00e2\\u0082\","
		  "\"full\":\"0123456789abc\xe2\x82\xac\","
		  "\"nul\":\"ab\",\"cut\":\"\\u00e2\\u0082\",\"zero\":\"\"}\n");
	mem_close(&m, c);
	free(comm);
}

static void test_numbers(struct corpus *c)
{
	struct mem m;
	struct json_out *j = mem_open(&m);

	json_object_begin(j, NULL);
	json_u64(j, "u0", 0);
	json_u64(j, "umax", ULLONG_MAX);
	json_u64_as_str(j, "id", ULLONG_MAX);
	json_u64_as_str(j, "id0", 0);
	json_i64(j, "neg", -42);
	json_i64(j, "min", LLONG_MIN);
	json_i64(j, "max", LLONG_MAX);
	json_object_end(j);
	json_end_line(j);
	CHECK_STR("integers", mem_text(&m),
		  "{\"u0\":0,\"umax\":18446744073709551615,\"id\":\"18446744073709551615\","
		  "\"id0\":\"0\",\"neg\":-42,\"min\":-9223372036854775808,"
		  "\"max\":9223372036854775807}\n");
	mem_close(&m, c);
}

static void test_doubles(struct corpus *c)
{
	struct mem m;
	struct json_out *j = mem_open(&m);

	json_object_begin(j, NULL);
	json_double(j, "t_ms", 12.345, 3);
	json_double(j, "third", 2.0 / 3, 3);
	json_double(j, "int", 7.0, 0);
	json_double(j, "neg", -1.5, 1);
	json_double(j, "pad", 0.1, 4);
	json_double(j, "negdec", 3.7, -2);
	json_double(j, "nan", NAN, 3);
	json_double(j, "inf", INFINITY, 3);
	json_double(j, "ninf", -INFINITY, 3);
	json_object_end(j);
	json_end_line(j);
	CHECK_STR("doubles", mem_text(&m),
		  "{\"t_ms\":12.345,\"third\":0.667,\"int\":7,\"neg\":-1.5,\"pad\":0.1000,"
		  "\"negdec\":4,\"nan\":null,\"inf\":null,\"ninf\":null}\n");
	mem_close(&m, c);
}

static void test_write_error(void)
{
	struct json_out j;
	FILE *f = fopen("/dev/full", "w");

	if (!f) {
		CHECK("open /dev/full", f != NULL);
		return;
	}
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_str(&j, "a", "b");
	json_object_end(&j);
	CHECK("end_line on /dev/full -> -ENOSPC", json_end_line(&j) == -ENOSPC);
	fclose(f);
}

/* strict: bytes must decode as UTF-8 (no surrogatepass), no NaN/Infinity, one value per line */
#define PY_CHECK                                                                             \
	"python3 -c 'import json, sys\n"                                                     \
	"ls = sys.stdin.buffer.read().split(b\"\\n\")[:-1]\n"                                \
	"bad = lambda c: sys.exit(\"non-JSON constant \" + c)\n"                             \
	"[json.loads(l.decode(\"utf-8\"), parse_constant=bad) for l in ls]\n"                \
	"sys.exit(0 if len(ls) == int(sys.argv[1]) else \"line count\")' %d"

static void test_python_parses(struct corpus *c)
{
	char cmd[512];
	FILE *p;
	int st;

	fflush(c->f);
	snprintf(cmd, sizeof(cmd), PY_CHECK, c->lines);
	p = popen(cmd, "w");
	if (!p) {
		CHECK("popen python3", p != NULL);
		return;
	}
	fwrite(c->buf, 1, c->len, p);
	st = pclose(p);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		CHECK("python3 not found: it is needed to check the output parses", 0);
		return;
	}
	printf("(%d lines piped to python3)\n", c->lines);
	CHECK("every line parses with python3 json (strict UTF-8)",
	      st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	struct corpus c = { 0 };

	signal(SIGPIPE, SIG_IGN); /* python3 missing or failing must not kill us mid-write */
	c.f = open_memstream(&c.buf, &c.len);
	if (!c.f) {
		perror("open_memstream");
		return 1;
	}
	test_structure(&c);
	test_deep(&c);
	test_unbalanced();
	test_null_and_keys(&c);
	test_escapes(&c);
	test_utf8_valid(&c);
	test_utf8_invalid(&c);
	test_comm(&c);
	test_numbers(&c);
	test_doubles(&c);
	test_write_error();
	test_python_parses(&c);
	fclose(c.f);
	free(c.buf);
	return CHECK_DONE();
}
