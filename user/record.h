/* SPDX-License-Identifier: GPL-2.0 */
/* record.h - the recording format of `-w FILE` / `-r FILE` (docs/recording.md): a magic and a
 * version, then framed records {type, length, payload}. The writer buffers records and writes
 * them with write(2) once per ring-buffer batch, so a crash or SIGKILL loses at most the last
 * batch; the reader names the byte offset of whatever it cannot read. */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "../bpf/rsttrace.h"

#define REC_MAGIC "RSTTRACE"         /* 8 bytes, no NUL */
#define REC_VERSION 1
#define REC_FILE_HEAD 16             /* magic, u32 version, u32 reserved (0) */
#define REC_FRAME 8                  /* u32 type, u32 payload length */
#define REC_MAX_PAYLOAD 65536        /* larger: corrupt (the header is the largest, ~2 KB) */

enum rec_type {
	REC_HEADER = 1,  /* text "key=value\n" lines: first record, exactly once */
	REC_EVENT = 2,   /* struct rt_event as it came off the ring buffer */
	REC_OWNER = 3,   /* the kernel's answer to "who owns the socket with this tuple" */
	REC_TICK = 4,    /* the live loop's clock: the joiner ticked at now_ns; lost so far */
	REC_END = 5,     /* clean end: the final tick and lost count */
	REC_IDENTITY = 6, /* struct rec_identity (identity.h): an owner's cgroup, from /proc */
	REC_FIN = 7,      /* the kernel's answer to "did this socket's peer close before" */
};

struct rec_owner {
	struct rt_tuple tuple;
	__u32 found;                 /* 0: the kernel did not know */
	struct rt_task task;
};

/* the FIN a followed process missed, kept by the kernel (joiner_config.fin_of) */
struct rec_fin {
	__u64 cookie;                /* the question: the socket */
	__u32 found;                 /* 0: the kernel kept none */
	__u32 reserved;              /* 0 */
	__u64 ts_ns;                 /* when the FIN came */
	struct rt_task trigger;      /* the task that sent it; pid 0: none */
};

struct rec_tick {
	__u64 now_ns;                /* CLOCK_MONOTONIC */
	__u64 lost;                  /* records the kernel could not queue, since start */
};

/* ---- writer ---- */

#define REC_WBUF (256 * 1024)

struct rec_writer {
	int fd;
	size_t len;                  /* bytes waiting in buf */
	unsigned long long written;  /* bytes on disk */
	int error;                   /* first -errno; later calls do nothing */
	unsigned char buf[REC_WBUF];
};

/* open (create/truncate) path and write the file head; NULL with errno set */
struct rec_writer *rec_writer_open(const char *path);
/* the header record's text: "key=value\n" lines */
int rec_write_header(struct rec_writer *w, const char *text, size_t len);
int rec_write(struct rec_writer *w, enum rec_type type, const void *payload, size_t len);
/* write(2) what is buffered: once per batch. 0 or -errno */
int rec_flush(struct rec_writer *w);
/* flush, close, and go on in a new file at path (rotation): 0 or -errno */
int rec_writer_reopen(struct rec_writer *w, const char *path);
/* flush and close; 0 or the first -errno */
int rec_writer_close(struct rec_writer *w);

/* ---- reader ---- */

struct rec_reader {
	FILE *f;
	unsigned long long offset;   /* of the next byte to read */
	unsigned long long at;       /* offset of the record last returned */
	unsigned version;
	bool seen_header;
	char error[160];             /* why rec_next failed, naming the offset */
	unsigned char payload[REC_MAX_PAYLOAD + 1];
};

struct rec_record {
	enum rec_type type;
	const unsigned char *data;   /* reader-owned, valid until the next call */
	size_t len;
};

/* read and check the file head: 0, or -1 with reader->error set */
int rec_reader_init(struct rec_reader *r, FILE *f);
/* 1: a record; 0: clean end of file; -1: truncated or corrupt (reader->error) */
int rec_next(struct rec_reader *r, struct rec_record *rec);

/* the value of key in a header's "key=value\n" text, copied into buf; false when absent */
bool rec_header_get(const char *text, size_t len, const char *key, char *buf, size_t size);

#endif
