// SPDX-License-Identifier: GPL-2.0
/* json.c - streaming JSON writer, see json.h. */
#define _GNU_SOURCE /* the _unlocked stdio calls: one thread writes a FILE, no lock per byte */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "json.h"

#define JSON_MAX_DECIMALS 17 /* DBL_DECIMAL_DIG: more digits carry no information */

void json_init(struct json_out *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* A line is built in j->buf and handed to stdio in one call at its end: stdio's per-call
 * overhead (a lock and a buffer check per byte or field) was most of the cost of a line. A
 * line longer than the buffer goes out in pieces. */
static void out_flush_buf(struct json_out *j)
{
	if (j->len)
		fwrite_unlocked(j->buf, 1, j->len, j->f);
	j->len = 0;
}

static void out_write(struct json_out *j, const void *p, size_t n)
{
	if (j->len + n > sizeof(j->buf)) {
		out_flush_buf(j);
		if (n > sizeof(j->buf)) {
			fwrite_unlocked(p, 1, n, j->f);
			return;
		}
	}
	memcpy(j->buf + j->len, p, n);
	j->len += n;
}

static void out_c(struct json_out *j, char c)
{
	if (j->len == sizeof(j->buf))
		out_flush_buf(j);
	j->buf[j->len++] = c;
}

static void out_puts(struct json_out *j, const char *s)
{
	out_write(j, s, strlen(s));
}

/*
 * The comma flag of the current level. Once a container closes, its parent always needs a comma
 * before its next value, so levels deeper than the array can share the last slot and still be
 * written correctly (json__close() sets the flag back to true).
 */
static bool *json__comma(struct json_out *j)
{
	return &j->need_comma[j->depth < JSON_MAX_DEPTH ? j->depth : JSON_MAX_DEPTH - 1];
}

/*
 * Length (2..4) of the valid UTF-8 sequence at s, 0 when there is none. Unicode 15, table 3-7:
 * the range of the second byte depends on the lead byte, which is what rejects overlongs
 * (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF
 * (F4 90.., F5..FF). A sequence cut short by n is invalid too.
 */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* how many bytes at s go out unchanged: 0 when s[0] needs an escape */
static size_t json__plain_len(const unsigned char *s, size_t n)
{
	if (s[0] >= 0x20 && s[0] < 0x7f)
		return s[0] == '"' || s[0] == '\\' ? 0 : 1;
	return utf8_seq_len(s, n);
}

/*
 * Control bytes, 0x7f and every byte that is not part of a valid UTF-8 sequence become \u00XX
 * with XX the byte's value. comm and other kernel strings are arbitrary bytes: copying a stray
 * byte would make the whole line invalid UTF-8 (and so invalid JSON, which jq and Python reject),
 * dropping or replacing it with U+FFFD would lose it. \u00XX keeps the line valid and the byte
 * readable in the text. Caveat: once decoded, an invalid byte 0xe9 (\u00e9) and a valid U+00E9
 * (C3 A9) decode to the same character; only the raw line tells them apart.
 */
static void json__escape_byte(struct json_out *j, unsigned char c)
{
	static const char short_esc[] = { ['"'] = '"', ['\\'] = '\\', ['\b'] = 'b',
					  ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't' };

	static const char hex[] = "0123456789abcdef";
	char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	if (c < sizeof(short_esc) && short_esc[c]) {
		out_c(j, '\\');
		out_c(j, short_esc[c]);
	} else {
		out_write(j, u, sizeof(u));
	}
}

static void json__string(struct json_out *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	out_c(j, '"');
	while (i < n) {
		size_t run = i;

		/* the longest run that goes out unchanged, in one write: a call per byte
		 * was most of the cost of a flood; printable ASCII, the common case, first */
		for (;;) {
			while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
			       p[run] != '\\')
				run++;
			if (run >= n || !(len = json__plain_len(p + run, n - run)))
				break;
			run += len;
		}
		if (run > i)
			out_write(j, p + i, run - i);
		i = run;
		if (i < n)
			json__escape_byte(j, p[i++]);
	}
	out_c(j, '"');
}

/* the comma before a value and, inside an object, its key (escaped too: it may be a name
 * that came with the data) */
static void json__prefix(struct json_out *j, const char *key)
{
	bool *comma = json__comma(j);

	if (*comma)
		out_c(j, ',');
	*comma = true;
	if (key) {
		json__string(j, key, strlen(key));
		out_c(j, ':');
	}
}

/* decimal digits of v, without printf's format parsing (a few per record, every record) */
static void json__digits(struct json_out *j, unsigned long long v)
{
	char buf[20];
	int i = sizeof(buf);

	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	out_write(j, buf + i, sizeof(buf) - i);
}

static void json__open(struct json_out *j, const char *key, char bracket)
{
	json__prefix(j, key);
	out_c(j, bracket);
	j->depth++;
	*json__comma(j) = false;
}

/* an unmatched end is a caller bug; ignoring it keeps the line parseable */
static void json__close(struct json_out *j, char bracket)
{
	if (j->depth <= 0)
		return;
	out_c(j, bracket);
	j->depth--;
	*json__comma(j) = true;
}

void json_object_begin(struct json_out *j, const char *key)
{
	json__open(j, key, '{');
}

void json_object_end(struct json_out *j)
{
	json__close(j, '}');
}

void json_array_begin(struct json_out *j, const char *key)
{
	json__open(j, key, '[');
}

void json_array_end(struct json_out *j)
{
	json__close(j, ']');
}

void json_bytes(struct json_out *j, const char *key, const void *s, size_t n)
{
	if (!s) {
		json_null(j, key);
		return;
	}
	json__prefix(j, key);
	json__string(j, s, n);
}

void json_strn(struct json_out *j, const char *key, const char *s, size_t n)
{
	const char *nul = s ? memchr(s, 0, n) : NULL;

	json_bytes(j, key, s, nul ? (size_t)(nul - s) : n);
}

void json_str(struct json_out *j, const char *key, const char *s)
{
	json_bytes(j, key, s, s ? strlen(s) : 0);
}

void json_u64(struct json_out *j, const char *key, unsigned long long v)
{
	json__prefix(j, key);
	json__digits(j, v);
}

void json_i64(struct json_out *j, const char *key, long long v)
{
	json__prefix(j, key);
	if (v < 0)
		out_c(j, '-');
	json__digits(j, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
}

void json_u64_as_str(struct json_out *j, const char *key, unsigned long long v)
{
	json__prefix(j, key);
	out_c(j, '"');
	json__digits(j, v);
	out_c(j, '"');
}

/* "%f" follows LC_NUMERIC: the tool must not setlocale() it, or a "," could replace the "." */
void json_double(struct json_out *j, const char *key, double v, int decimals)
{
	if (!isfinite(v)) {
		json_null(j, key);
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > JSON_MAX_DECIMALS)
		decimals = JSON_MAX_DECIMALS;
	char buf[64];
	int n;

	json__prefix(j, key);
	n = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (n >= (int)sizeof(buf)) /* a value too large for fixed notation: as printf writes it */
		n = 0, out_flush_buf(j), fprintf(j->f, "%.*f", decimals, v);
	out_write(j, buf, n);
}

void json_bool(struct json_out *j, const char *key, bool v)
{
	json__prefix(j, key);
	out_puts(j, v ? "true" : "false");
}

void json_null(struct json_out *j, const char *key)
{
	json__prefix(j, key);
	out_puts(j, "null");
}

/*
 * Flushed per record so that a reader (jq, tail -f) sees each line at once and a closed pipe or a
 * full disk shows up on the record that hit it; a batching caller flushes once per batch of
 * records instead (a write(2) per record caps the rate far below a reset flood's).
 */
int json_end_line(struct json_out *j)
{
	int err = 0;

	errno = 0;
	out_c(j, '\n');
	out_flush_buf(j);
	/* errno is this line's write's; an earlier failed write's is long gone: EIO */
	if ((!j->batch && fflush(j->f) == EOF) || ferror(j->f))
		err = errno ? -errno : -EIO;
	if (!err && j->depth != 0)
		err = -EINVAL;
	j->depth = 0;
	j->need_comma[0] = false;
	return err;
}
