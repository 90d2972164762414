// SPDX-License-Identifier: GPL-2.0
/* identity.c - cgroup paths to container ids and units, and the bounded cache by pid: see
 * identity.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "identity.h"

_Static_assert((IDENTITY_SLOTS & (IDENTITY_SLOTS - 1)) == 0, "IDENTITY_SLOTS: a power of two");

bool identity_v2_path(const char *text, size_t len, char *path, size_t size)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end;
		size_t n = eol - p;

		/* the unified hierarchy's line is "0::PATH"; v1 lines have a number > 0 and a
		 * controller list */
		if (n >= 3 && !memcmp(p, "0::", 3)) {
			p += 3;
			n -= 3;
			if (n >= size) { /* keep the tail: the names are at the end */
				p += n - (size - 4);
				n = size - 4;
				memcpy(path, "...", 3);
				memcpy(path + 3, p, n);
				path[n + 3] = '\0';
			} else {
				memcpy(path, p, n);
				path[n] = '\0';
			}
			return true;
		}
		p = eol + 1;
	}
	return false;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* A container id in one path component: PREFIX<hex>.scope (systemd's cgroup driver: docker,
 * containerd under kubernetes, CRI-O, podman) or a bare 64-hex directory (the cgroupfs
 * driver: /docker/<id>, /kubepods/.../<id>). Conmon's own scopes (crio-conmon-, libpod-conmon-)
 * are not containers. */
static bool container_of(const char *comp, size_t n, char *id, size_t size)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };
	const size_t scope = sizeof(".scope") - 1;

	if (n == 64 && all_hex(comp, n)) {
		snprintf(id, size, "%.*s", (int)n, comp);
		return true;
	}
	if (n <= scope || memcmp(comp + n - scope, ".scope", scope))
		return false;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]), idl = n - scope - pl;

		if (n > pl + scope && !memcmp(comp, prefixes[i], pl) && idl >= 12 && idl <= 64 &&
		    all_hex(comp + pl, idl)) {
			snprintf(id, size, "%.*s", (int)idl, comp + pl);
			return true;
		}
	}
	return false;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t l = strlen(suffix);

	return n > l && !memcmp(s + n - l, suffix, l);
}

/* the deepest component that names a container, and the deepest .service or .scope (a
 * container's own scope is its unit too; a unit's sub-cgroups, e.g. "/init", are skipped) */
void identity_parse(const char *path, struct identity *out)
{
	const char *p = path;

	snprintf(out->cgroup, sizeof(out->cgroup), "%s", path);
	out->container[0] = '\0';
	out->unit[0] = '\0';
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (!n)
			break;
		container_of(p, n, out->container, sizeof(out->container));
		if ((ends_with(p, n, ".service") || ends_with(p, n, ".scope")) &&
		    n < sizeof(out->unit))
			snprintf(out->unit, sizeof(out->unit), "%.*s", (int)n, p);
		p += n;
	}
}

size_t identity_encode(const struct rec_identity *r, void *buf)
{
	size_t n = strnlen(r->cgroup, sizeof(r->cgroup) - 1);

	memcpy(buf, r, IDENTITY_REC_HEAD);
	memcpy((char *)buf + IDENTITY_REC_HEAD, r->cgroup, n);
	return IDENTITY_REC_HEAD + n;
}

bool identity_decode(const void *data, size_t len, struct rec_identity *r)
{
	if (len < IDENTITY_REC_HEAD || len > IDENTITY_REC_HEAD + sizeof(r->cgroup) - 1)
		return false;
	memset(r, 0, sizeof(*r));
	memcpy(r, data, len);
	return true;
}

/* ---- the cache ------------------------------------------------------------------------- */

struct slot {
	bool used;
	struct rec_identity rec;
	struct identity id;            /* parsed, when rec.found */
};

struct identity_cache {
	struct slot slot[IDENTITY_SLOTS];
};

/* direct-mapped: a pid has one slot, a newer pid in it replaces the older (bounded, and the
 * same inserts in the same order give the same cache: a replay sees what the live run saw) */
static unsigned slot_of(__u32 pid)
{
	return (pid * 2654435761u) >> (32 - __builtin_ctz(IDENTITY_SLOTS));
}

struct identity_cache *identity_cache_new(void)
{
	return calloc(1, sizeof(struct identity_cache));
}

void identity_cache_free(struct identity_cache *c)
{
	free(c);
}

const struct identity *identity_get(const struct identity_cache *c, __u32 pid)
{
	const struct slot *s;

	if (!c || !pid)
		return NULL;
	s = &c->slot[slot_of(pid)];
	return s->used && s->rec.pid == pid && s->rec.found ? &s->id : NULL;
}

bool identity_known(const struct identity_cache *c, __u32 pid, const char *comm)
{
	const struct slot *s = &c->slot[slot_of(pid)];

	return s->used && s->rec.pid == pid && !strncmp(s->rec.comm, comm, IDENTITY_COMM_LEN);
}

void identity_put(struct identity_cache *c, const struct rec_identity *r)
{
	struct slot *s = &c->slot[slot_of(r->pid)];

	s->used = true;
	s->rec = *r;
	s->rec.cgroup[sizeof(s->rec.cgroup) - 1] = '\0'; /* a recording's bytes: terminate */
	if (r->found)
		identity_parse(s->rec.cgroup, &s->id);
}

void identity_lookup(__u32 pid, const char *comm, struct rec_identity *r)
{
	char path[64], text[4096];
	ssize_t n;
	int fd;

	memset(r, 0, sizeof(*r));
	r->pid = pid;
	memcpy(r->comm, comm, strnlen(comm, sizeof(r->comm)));
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n > 0)
		r->found = identity_v2_path(text, n, r->cgroup, sizeof(r->cgroup));
}

void identity_each(const struct identity_cache *c,
		   void (*fn)(void *ctx, const struct rec_identity *r), void *ctx)
{
	for (unsigned i = 0; i < IDENTITY_SLOTS; i++)
		if (c->slot[i].used)
			fn(ctx, &c->slot[i].rec);
}
