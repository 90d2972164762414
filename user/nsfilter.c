// SPDX-License-Identifier: GPL-2.0
/* nsfilter.c - --netns and --cgroup arguments checked against the running system: a typo
 * must be a usage error naming it, not a filter that silently matches nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include "nsfilter.h"

static const char *ns_type_name(int type)
{
	switch (type) {
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWCGROUP: return "cgroup";
#ifdef CLONE_NEWTIME
	case CLONE_NEWTIME: return "time";
#endif
	default: return "another kind of";
	}
}

/* all decimal digits: an inode number (a relative path made of digits needs "./") */
static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int netns_number(const char *arg, __u32 *inum, char *why, size_t len)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end || errno == ERANGE || v == 0 || v > 0xffffffffULL) {
		snprintf(why, len, "an inode number must be 1..4294967295");
		return -1;
	}
	*inum = (__u32)v;
	return 0;
}

/* NS_GET_NSTYPE (4.11+) tells a namespace file from any other file, and which kind it is */
static int netns_file(const char *path, __u32 *inum, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), type, err = -1;
	struct stat st;

	if (fd < 0) {
		snprintf(why, len, "%s", errno == ENOENT ? "no such file" : strerror(errno));
		return -1;
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		snprintf(why, len, "not a namespace file (expected /run/netns/NAME, "
			 "/proc/PID/ns/net or an inode number)");
	else if (type != CLONE_NEWNET)
		snprintf(why, len, "a %s namespace, not a network namespace", ns_type_name(type));
	else if (fstat(fd, &st))
		snprintf(why, len, "%s", strerror(errno));
	else if (st.st_ino == 0 || st.st_ino > 0xffffffffULL) /* ns inodes are 32 bits */
		snprintf(why, len, "unexpected inode number %llu", (unsigned long long)st.st_ino);
	else {
		*inum = (__u32)st.st_ino;
		err = 0;
	}
	close(fd);
	return err;
}

int netns_resolve(const char *arg, __u32 *inum, char *why, size_t len)
{
	if (!*arg) {
		snprintf(why, len, "must not be empty");
		return -1;
	}
	return all_digits(arg) ? netns_number(arg, inum, why, len)
			       : netns_file(arg, inum, why, len);
}

/* Levels below the hierarchy's root: walk ".." until it leaves the cgroup2 mount (another
 * device) or stops moving (the root of everything). Assumes rsttrace sees the whole
 * hierarchy (the host's cgroup namespace), as the kernel's cgroup->level counts from there. */
static int cgroup_level(int fd, dev_t dev, __u32 *level, char *why, size_t len)
{
	struct stat cur, up;
	int n, dir = dup(fd);

	if (dir < 0 || fstat(dir, &cur))
		goto fail;
	for (n = 0; n <= NSFILTER_MAX_CGROUP_LEVEL; n++) {
		int parent = openat(dir, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		close(dir);
		dir = parent;
		if (dir < 0 || fstat(dir, &up))
			goto fail;
		if (up.st_dev != dev || up.st_ino == cur.st_ino) {
			close(dir);
			*level = n;
			return 0;
		}
		cur = up;
	}
	close(dir);
	snprintf(why, len, "deeper than %d levels", NSFILTER_MAX_CGROUP_LEVEL);
	return -1;
fail:
	snprintf(why, len, "%s", strerror(errno));
	if (dir >= 0)
		close(dir);
	return -1;
}

int cgroup_resolve(const char *path, __u64 *id, __u32 *level, char *why, size_t len)
{
	struct statfs fs;
	struct stat st;
	int fd, err;

	if (!*path) {
		snprintf(why, len, "must not be empty");
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "%s", errno == ENOENT ? "no such directory" :
			 errno == ENOTDIR ? "not a directory (give the cgroup's directory)" :
			 strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &fs) || fstat(fd, &st)) {
		snprintf(why, len, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	/* only cgroup v2 gives sockets a cgroup the kernel can compare */
	if (fs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, len, "not a cgroup v2 directory (see `findmnt -t cgroup2`: "
			 "/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host)");
		close(fd);
		return -1;
	}
	*id = st.st_ino;
	err = cgroup_level(fd, st.st_dev, level, why, len);
	close(fd);
	return err;
}
