/* SPDX-License-Identifier: GPL-2.0 */
/* privilege.h - least privilege: once every probe is attached, give up every capability and
 * forbid gaining any back. rsttrace then works only from the file descriptors it holds (the
 * ring buffer, the maps, the links), which need no capability to read or close. */
#ifndef PRIVILEGE_H
#define PRIVILEGE_H

#include <stddef.h>

/* Set no_new_privs, clear the ambient set, drop the bounding set (when CAP_SETPCAP allows),
 * then empty the effective, permitted and inheritable sets, and check that they are empty.
 * map_fd is a map rsttrace reads later: where the kernel refuses look-ups without a
 * capability (before 5.19 with kernel.unprivileged_bpf_disabled set), that one capability
 * (CAP_BPF, else CAP_SYS_ADMIN) is kept in the effective and permitted sets, so that the
 * loss counter is never read as 0 silently. Call it after the last step that needs a
 * privilege (load, attach, ring buffer, -w file, any start-up scan). 0, or -1 with what
 * failed in err. */
int privilege_drop_all(int map_fd, char *err, size_t len);

#endif
