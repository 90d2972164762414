/* SPDX-License-Identifier: GPL-2.0 */
/* replay_filter.h - -p, -P, -c and --netns applied in user space to a recording, with the
 * kernel's semantics (bpf/learn.h: owner_resolve, filter_scope, cause_pid, owner_learn;
 * bpf/filters.h: sk_wanted; bpf/rsttrace.bpf.c: on_signal):
 * - -p/-c: an event passes when its owner, or the task whose syscall ran it (the trigger),
 *   is wanted; a SIGPIPE when its process is wanted;
 * - -P, --netns: an event passes when its local or remote port is listed and it is in that
 *   network namespace (the recorded tuple's), or its socket matched before (the kernel zeroes
 *   a tuple on a linger close); otherwise, when the socket's owner owns a wanted socket
 *   (learnt in its own syscall), it passes flagged RT_F_CAUSE: kept as a possible cause,
 *   never printed on its own; a SIGPIPE passes when a write or pending error that passed
 *   armed it, and inherits its flag.
 * Every table is bounded (direct-mapped: a newer entry replaces an older one, as the
 * kernel's bounded tables forget). A recording holds only what its own filters let through: a
 * replay filter narrows it, it cannot bring back what was not recorded. */
#ifndef REPLAY_FILTER_H
#define REPLAY_FILTER_H

#include <stdbool.h>
#include "options.h"

struct replay_filter;

/* NULL when o sets no filter (nothing to do) or out of memory (*oom set) */
struct replay_filter *replay_filter_new(const struct rt_options *o, bool *oom);
/* true: keep the record (its flags may have gained RT_F_CAUSE); false: drop it */
bool replay_filter_pass(struct replay_filter *f, struct rt_event *e);
void replay_filter_free(struct replay_filter *f);

#endif
