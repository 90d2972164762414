// SPDX-License-Identifier: GPL-2.0
/* privilege.c - give up every capability after attach, with raw capget/capset/prctl: about
 * a hundred lines, so no libcap dependency (and nothing more to link into a static build). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "log.h"
#include "privilege.h"

/* beyond any CAP_LAST_CAP a kernel has had (40 in 6.18): PR_CAPBSET_DROP says EINVAL there */
#define CAP_PROBE_LIMIT 64
#define NO_CAP (-1)

#ifndef CAP_BPF
#define CAP_BPF 39 /* 5.8 */
#endif

static int capget_all(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

/* effective and permitted reduced to keep (NO_CAP: nothing), inheritable empty; lowering
 * them needs no capability */
static int set_cap_sets(int keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (keep != NO_CAP) {
		data[keep / 32].effective = 1u << (keep % 32);
		data[keep / 32].permitted = 1u << (keep % 32);
	}
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static bool cap_sets_are(int keep)
{
	struct __user_cap_data_struct d[2];

	if (capget_all(d))
		return false;
	for (int i = 0; i < 2; i++) {
		__u32 want = keep != NO_CAP && keep / 32 == i ? 1u << (keep % 32) : 0;

		if (d[i].effective != want || d[i].permitted != want || d[i].inheritable)
			return false;
	}
	return true;
}

/* Every capability but keep out of the bounding set. Needs CAP_SETPCAP: without it (file
 * capabilities granting only CAP_BPF and CAP_PERFMON) the bounding set stays, which is
 * harmless once no_new_privs is set: execve can then grant nothing. */
static int drop_bounding_set(int keep)
{
	int dropped = 0;

	for (int cap = 0; cap < CAP_PROBE_LIMIT; cap++) {
		if (cap == keep || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) <= 0)
			continue; /* not in the set, or EINVAL: past the last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
		dropped++;
	}
	return dropped;
}

/* Does a look-up on map_fd still work without any capability? Before 5.19 the kernel checked
 * CAP_BPF (or CAP_SYS_ADMIN) on every bpf() command, look-ups included, whenever
 * kernel.unprivileged_bpf_disabled is set (Debian's default). Tried for real in a child that
 * drops everything, as the probes are: what the kernel does, not its version. */
static bool lookups_work_unprivileged(int map_fd)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		__u8 key[64]; /* the probed map's key is smaller */

		if (set_cap_sets(NO_CAP))
			_exit(1);
		/* ENOENT: an empty map, the look-up itself was allowed */
		_exit(!bpf_map_get_next_key(map_fd, NULL, key) || errno == ENOENT ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* the one capability such a kernel checks: CAP_BPF where it exists and is held, else
 * CAP_SYS_ADMIN (kernels before 5.8) */
static int bpf_cap_held(void)
{
	struct __user_cap_data_struct d[2];

	if (!capget_all(d) && (d[CAP_BPF / 32].effective & (1u << (CAP_BPF % 32))))
		return CAP_BPF;
	return CAP_SYS_ADMIN;
}

static void log_result(int keep, int bset)
{
	const char *what = keep == NO_CAP ? "every capability" :
			   keep == CAP_BPF ? "every capability but CAP_BPF (this kernel checks it "
					     "on map look-ups)" :
					     "every capability but CAP_SYS_ADMIN (this kernel checks "
					     "it on map look-ups)";

	if (bset >= 0)
		info("dropped %s (%d from the bounding set), no_new_privs set", what, bset);
	else
		info("dropped %s (bounding set kept, %s: started without CAP_SETPCAP), "
		     "no_new_privs set", what, strerror(-bset));
}

int privilege_drop_all(int map_fd, char *err, size_t len)
{
	int keep, bset, e;

	keep = lookups_work_unprivileged(map_fd) ? NO_CAP : bpf_cap_held();
	/* first, so that nothing below can be undone by an execve of a setuid or file-cap binary */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, len, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* EINVAL: a kernel before 4.3, which has no ambient set */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		snprintf(err, len, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	/* before the capset: dropping from the bounding set needs CAP_SETPCAP still effective */
	bset = drop_bounding_set(keep);
	e = set_cap_sets(keep);
	if (e || !cap_sets_are(keep)) {
		snprintf(err, len, "cannot drop capabilities: %s", e ? strerror(-e) : "some remain");
		return -1;
	}
	log_result(keep, bset);
	return 0;
}
