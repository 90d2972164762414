/* SPDX-License-Identifier: GPL-2.0 */
/* nsfilter.h - what --netns and --cgroup name, resolved to the numbers the kernel filter
 * compares: a network namespace's inode number; a cgroup v2 directory's id and depth. */
#ifndef NSFILTER_H
#define NSFILTER_H

#include <stddef.h>
#include <linux/types.h>

/* deepest cgroup --cgroup accepts (the kernel's own bound is cgroup.max.depth) */
#define NSFILTER_MAX_CGROUP_LEVEL 64

/* arg: a decimal inode number, or a network namespace file (/run/netns/NAME,
 * /proc/PID/ns/net). 0, or -1 with why (the rule it broke, no prefix) filled in. */
int netns_resolve(const char *arg, __u32 *inum, char *why, size_t len);

/* path: a directory of a cgroup v2 hierarchy. Its id (the directory's inode number: what
 * the kernel's kernfs id and bpf_get_current_cgroup_id() give) and its level (0 for the
 * root of the hierarchy). 0, or -1 with why filled in. */
int cgroup_resolve(const char *path, __u64 *id, __u32 *level, char *why, size_t len);

#endif
