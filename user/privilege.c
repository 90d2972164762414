/* privilege.c - give up every capability after attach, with raw capget/capset/prctl: about
 * fifty lines, so no libcap dependency (and nothing more to link into a static build). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "log.h"
#include "privilege.h"

/* beyond any CAP_LAST_CAP a kernel has had (40 in 6.18): PR_CAPBSET_DROP says EINVAL there */
#define CAP_PROBE_LIMIT 64

/* Every capability this kernel knows, out of the bounding set. Needs CAP_SETPCAP: without it
 * (file capabilities granting only CAP_BPF and CAP_PERFMON) the bounding set stays, which is
 * harmless once no_new_privs is set: execve can then grant nothing. */
static int drop_bounding_set(void)
{
	int dropped = 0;

	for (int cap = 0; cap < CAP_PROBE_LIMIT; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) <= 0)
			continue; /* not in the set, or EINVAL: past the last capability */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
		dropped++;
	}
	return dropped;
}

static int capget_all(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &hdr, data) ? -errno : 0;
}

/* effective, permitted and inheritable all empty; lowering them needs no capability */
static int clear_cap_sets(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static bool cap_sets_empty(void)
{
	struct __user_cap_data_struct d[2];

	if (capget_all(d))
		return false;
	return !(d[0].effective | d[0].permitted | d[0].inheritable | d[1].effective |
		 d[1].permitted | d[1].inheritable);
}

int privilege_drop_all(char *err, size_t len)
{
	int bset, e;

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
	bset = drop_bounding_set();
	e = clear_cap_sets();
	if (e || !cap_sets_empty()) {
		snprintf(err, len, "cannot drop capabilities: %s", e ? strerror(-e) : "some remain");
		return -1;
	}
	if (bset >= 0)
		info("dropped every capability (%d from the bounding set), no_new_privs set", bset);
	else
		info("dropped every capability (bounding set kept, %s: started without "
		     "CAP_SETPCAP), no_new_privs set", strerror(-bset));
	return 0;
}
