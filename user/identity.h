// SPDX-License-Identifier: GPL-2.0
/* identity.h - who a socket's owner is beyond its pid: its cgroup v2 path and, when the path
 * names one, its container id or systemd unit. The BPF side reports pids; the cgroup is read
 * in user space from /proc/PID/cgroup the first time a pid is seen as an owner, and kept in a
 * bounded cache. A process that has exited before that read has no identity (null): short
 * lived clients are the usual case. Every lookup is recorded (-w) as a record of its own, so a
 * replay has the same identities without a /proc. */
#ifndef IDENTITY_H
#define IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define IDENTITY_PATH_LEN 512      /* a longer path keeps its tail, where the names are */
#define IDENTITY_ID_LEN 72         /* a container id: 64 hex digits */
#define IDENTITY_UNIT_LEN 256
#define IDENTITY_SLOTS 2048        /* the cache: a power of two */
#define IDENTITY_COMM_LEN 16

struct identity {
	char cgroup[IDENTITY_PATH_LEN];    /* "/system.slice/docker-<id>.scope" */
	char container[IDENTITY_ID_LEN];   /* "" when the path names none */
	char unit[IDENTITY_UNIT_LEN];      /* "nginx.service", "" when none */
};

/* the recording's identity record: what /proc said about pid (found = 0: nothing, the
 * process had exited). Recorded without the unused tail of cgroup: IDENTITY_REC_HEAD bytes
 * and the path's bytes, no NUL (identity_encode, identity_decode). */
struct rec_identity {
	__u32 pid;
	__u32 found;
	char comm[IDENTITY_COMM_LEN];
	char cgroup[IDENTITY_PATH_LEN];
};

#define IDENTITY_REC_HEAD (8 + IDENTITY_COMM_LEN)

/* r as a record payload into buf (sizeof(struct rec_identity) bytes): its length */
size_t identity_encode(const struct rec_identity *r, void *buf);
/* a payload back; false when its length is not one encode can give */
bool identity_decode(const void *data, size_t len, struct rec_identity *r);

/* The cgroup v2 path in the text of /proc/PID/cgroup (its "0::PATH" line) into path; false
 * when there is none (a cgroup v1 only host). */
bool identity_v2_path(const char *text, size_t len, char *path, size_t size);
/* the container id and the unit a path names ("" each when none) */
void identity_parse(const char *path, struct identity *out);

struct identity_cache;

struct identity_cache *identity_cache_new(void);
void identity_cache_free(struct identity_cache *c);
/* pid's identity; NULL when it was not looked up, or the lookup found nothing */
const struct identity *identity_get(const struct identity_cache *c, __u32 pid);
/* Is an entry for pid with this comm cached (found or not)? A different comm is a pid reused
 * by another process: look it up again. */
bool identity_known(const struct identity_cache *c, __u32 pid, const char *comm);
/* what a lookup found (or, from a recording, had found) */
void identity_put(struct identity_cache *c, const struct rec_identity *r);
/* read /proc/PID/cgroup into r (found = 0 when the process is gone) */
void identity_lookup(__u32 pid, const char *comm, struct rec_identity *r);
/* every cached entry, for a new recording file to start with (rotation) */
void identity_each(const struct identity_cache *c,
		   void (*fn)(void *ctx, const struct rec_identity *r), void *ctx);

#endif
