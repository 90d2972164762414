/* SPDX-License-Identifier: GPL-2.0 */
/* json.h - a streaming JSON writer: one object per line (JSON lines), written straight to a FILE,
 * no allocation. Keys and strings are escaped so every line is valid JSON in valid UTF-8. */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

#define JSON_LINE_BUF 4096

struct json_out {
	FILE *f;
	char buf[JSON_LINE_BUF];   /* the line being built (json.c) */
	size_t len;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool batch;    /* false (json_init's default): flush every line; true: the caller flushes */
};

void json_init(struct json_out *j, FILE *f);

/* key: NULL at top level and inside arrays, the member name inside objects */
void json_object_begin(struct json_out *j, const char *key);
void json_object_end(struct json_out *j);
void json_array_begin(struct json_out *j, const char *key);
void json_array_end(struct json_out *j);

void json_str(struct json_out *j, const char *key, const char *s); /* s NULL -> null */
/* bytes of s up to n or the first NUL, whichever comes first: for comm[16] */
void json_strn(struct json_out *j, const char *key, const char *s, size_t n);
/* exactly n bytes of s, NULs included (as \u0000) */
void json_bytes(struct json_out *j, const char *key, const void *s, size_t n);
void json_u64(struct json_out *j, const char *key, unsigned long long v);
void json_i64(struct json_out *j, const char *key, long long v);
/* 64-bit ids as "123": JSON numbers lose precision above 2^53 in most readers */
void json_u64_as_str(struct json_out *j, const char *key, unsigned long long v);
/* fixed decimals (0..17), e.g. t_ms 12.345; NaN and infinities -> null */
void json_double(struct json_out *j, const char *key, double v, int decimals);
void json_bool(struct json_out *j, const char *key, bool v);
void json_null(struct json_out *j, const char *key);

/* '\n' after a top-level value, then fflush. 0, -errno of a failed write, or -EINVAL when
 * objects/arrays were left open (the writer is reset for the next line either way). */
int json_end_line(struct json_out *j);

#endif
