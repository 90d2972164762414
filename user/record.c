// SPDX-License-Identifier: GPL-2.0
/* record.c - write and read recordings (docs/recording.md). Numbers are in the byte order of
 * the recording machine (little-endian on x86_64 and arm64); the version says the layout. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "identity.h"
#include "record.h"

/* ------------------------------------------------------------------------------------ */
/* writer                                                                                 */

static int write_all(struct rec_writer *w, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return w->error = n < 0 ? -errno : -EIO;
		p += n;
		len -= n;
		w->written += n;
	}
	return 0;
}

int rec_flush(struct rec_writer *w)
{
	if (w->error || !w->len)
		return w->error;
	write_all(w, w->buf, w->len);
	w->len = 0;
	return w->error;
}

static void put(struct rec_writer *w, const void *data, size_t len)
{
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

int rec_write(struct rec_writer *w, enum rec_type type, const void *payload, size_t len)
{
	__u32 frame[2] = { type, (__u32)len };

	if (w->error)
		return w->error;
	if (len > REC_MAX_PAYLOAD)
		return w->error = -EMSGSIZE;
	/* a record never straddles two writes: a crash leaves whole records behind */
	if (w->len + REC_FRAME + len > sizeof(w->buf) && rec_flush(w))
		return w->error;
	put(w, frame, sizeof(frame));
	put(w, payload, len);
	return 0;
}

int rec_write_header(struct rec_writer *w, const char *text, size_t len)
{
	return rec_write(w, REC_HEADER, text, len);
}

struct rec_writer *rec_writer_open(const char *path)
{
	struct rec_writer *w = malloc(sizeof(*w));
	unsigned char head[REC_FILE_HEAD] = { 0 };
	__u32 version = REC_VERSION;

	if (!w)
		return NULL;
	w->len = 0;
	w->written = 0;
	w->error = 0;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int e = errno;

		free(w);
		errno = e;
		return NULL;
	}
	memcpy(head, REC_MAGIC, 8);
	memcpy(head + 8, &version, 4);
	put(w, head, sizeof(head));
	return w;
}

int rec_writer_reopen(struct rec_writer *w, const char *path)
{
	unsigned char head[REC_FILE_HEAD] = { 0 };
	__u32 version = REC_VERSION;
	int fd;

	if (rec_flush(w))
		return w->error;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return w->error = -errno;
	if (close(w->fd)) {
		close(fd);
		return w->error = -errno;
	}
	w->fd = fd;
	w->written = 0;
	memcpy(head, REC_MAGIC, 8);
	memcpy(head + 8, &version, 4);
	put(w, head, sizeof(head));
	return 0;
}

int rec_writer_close(struct rec_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = rec_flush(w);
	if (close(w->fd) && !err)
		err = -errno;
	free(w);
	return err;
}

/* ------------------------------------------------------------------------------------ */
/* reader                                                                                 */

/* exactly len bytes, or how many there were */
static size_t read_n(struct rec_reader *r, void *buf, size_t len)
{
	size_t n = fread(buf, 1, len, r->f);

	r->offset += n;
	return n;
}

int rec_reader_init(struct rec_reader *r, FILE *f)
{
	unsigned char head[REC_FILE_HEAD];
	size_t n;

	memset(r, 0, offsetof(struct rec_reader, payload));
	r->f = f;
	n = read_n(r, head, sizeof(head));
	if (n < 8 || memcmp(head, REC_MAGIC, 8)) {
		snprintf(r->error, sizeof(r->error),
			 "not an rsttrace recording (offset 0: no \"%s\" magic)", REC_MAGIC);
		return -1;
	}
	if (n < sizeof(head)) {
		snprintf(r->error, sizeof(r->error),
			 "truncated file head at offset %zu: %d bytes expected, %zu present", n,
			 REC_FILE_HEAD, n);
		return -1;
	}
	memcpy(&r->version, head + 8, 4);
	if (r->version != REC_VERSION) {
		snprintf(r->error, sizeof(r->error),
			 "recording format version %u at offset 8: this rsttrace reads version %d",
			 r->version, REC_VERSION);
		return -1;
	}
	return 0;
}

/* the payload length each type must have (0: any up to REC_MAX_PAYLOAD) */
static bool length_ok(__u32 type, __u32 len)
{
	switch (type) {
	case REC_HEADER:
		return len > 0;
	case REC_EVENT:
		return len == sizeof(struct rt_event);
	case REC_OWNER:
		return len == sizeof(struct rec_owner);
	case REC_FIN:
		return len == sizeof(struct rec_fin);
	case REC_TICK:
	case REC_END:
		return len == sizeof(struct rec_tick);
	case REC_IDENTITY:
		return len >= IDENTITY_REC_HEAD && len < sizeof(struct rec_identity);
	default:
		return false;
	}
}

static int corrupt(struct rec_reader *r, const char *fmt, __u32 a, __u32 b)
{
	char what[96];

	snprintf(what, sizeof(what), fmt, a, b);
	snprintf(r->error, sizeof(r->error), "corrupt record at offset %llu: %s", r->at, what);
	return -1;
}

static int check_frame(struct rec_reader *r, __u32 type, __u32 len)
{
	if (type < REC_HEADER || type > REC_FIN)
		return corrupt(r, "unknown record type %u (length %u)", type, len);
	if (len > REC_MAX_PAYLOAD)
		return corrupt(r, "type %u with length %u, longer than any record", type, len);
	if (!r->seen_header && type != REC_HEADER)
		return corrupt(r, "type %u (length %u) before the header record", type, len);
	if (r->seen_header && type == REC_HEADER)
		return corrupt(r, "a second header record (type %u, length %u)", type, len);
	if (!length_ok(type, len))
		return corrupt(r, "type %u with length %u, not that type's length", type, len);
	return 0;
}

int rec_next(struct rec_reader *r, struct rec_record *rec)
{
	__u32 frame[2];
	size_t n;

	r->at = r->offset;
	n = read_n(r, frame, sizeof(frame));
	if (n == 0 && r->seen_header)
		return 0;
	if (n < sizeof(frame)) {
		snprintf(r->error, sizeof(r->error),
			 "truncated record at offset %llu: %zu of %d frame bytes present%s", r->at,
			 n, REC_FRAME, r->seen_header ? "" : " (no header record)");
		return -1;
	}
	if (check_frame(r, frame[0], frame[1]))
		return -1;
	n = read_n(r, r->payload, frame[1]);
	if (n < frame[1]) {
		snprintf(r->error, sizeof(r->error),
			 "truncated record at offset %llu: type %u needs %u bytes, %zu present", r->at,
			 frame[0], frame[1], n);
		return -1;
	}
	r->payload[n] = 0; /* the header is text: NUL-terminated for its reader */
	if (frame[0] == REC_HEADER)
		r->seen_header = true;
	rec->type = frame[0];
	rec->data = r->payload;
	rec->len = n;
	return 1;
}

bool rec_header_get(const char *text, size_t len, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - p) > klen && !memcmp(p, key, klen) && p[klen] == '=') {
			size_t vlen = eol - p - klen - 1;

			if (!size)
				return true;
			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, p + klen + 1, vlen);
			buf[vlen] = 0;
			return true;
		}
		p = eol + 1;
	}
	return false;
}
