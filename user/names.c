// SPDX-License-Identifier: GPL-2.0
/* names.c - numbers to the names of the JSON contract. Every lookup is range-checked: new
 * kernels add states and reasons. */
#define _GNU_SOURCE /* strerrorname_np */
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include "../bpf/rsttrace.h"
#include "../bpf/nf_reset.h"
#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const kinds[RT_KIND_MAX] = {
	[RT_CONNECT] = "connect",
	[RT_ACCEPT] = "accept",
	[RT_PEER_FIN] = "peer_fin",
	[RT_CLOSE] = "close",
	[RT_RST_SENT] = "rst_sent",
	[RT_RST_RECV] = "rst_recv",
	[RT_ERROR_PENDING] = "error_pending",
	[RT_WRITE] = "write",
	[RT_WRITE_ERROR] = "write_error",
	[RT_READ_ERROR] = "read_error",
	[RT_SIGPIPE] = "sigpipe",
	[RT_DESTROY] = "destroy",
	/* bpf/nf_reset.bpf.c's kind: a contract extension */
	[RT_RST_FILTER] = "rst_filter",
};

static const char *const states[] = {
	[RT_TCP_ESTABLISHED] = "ESTABLISHED", [RT_TCP_SYN_SENT] = "SYN_SENT",
	[RT_TCP_SYN_RECV] = "SYN_RECV",       [RT_TCP_FIN_WAIT1] = "FIN_WAIT1",
	[RT_TCP_FIN_WAIT2] = "FIN_WAIT2",     [RT_TCP_TIME_WAIT] = "TIME_WAIT",
	[RT_TCP_CLOSE] = "CLOSE",             [RT_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[RT_TCP_LAST_ACK] = "LAST_ACK",       [RT_TCP_LISTEN] = "LISTEN",
	[RT_TCP_CLOSING] = "CLOSING",         [RT_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

/* enum sk_rst_reason as of 6.18, without the SK_RST_REASON_ prefix */
static const char *const builtin_reasons[] = {
	"NOT_SPECIFIED", "NO_SOCKET", "TCP_INVALID_ACK_SEQUENCE", "TCP_RFC7323_PAWS",
	"TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA", "TCP_FLAGS", "TCP_OLD_ACK", "TCP_ABORT_ON_DATA",
	"TCP_TIMEWAIT_SOCKET", "INVALID_SYN", "TCP_ABORT_ON_CLOSE", "TCP_ABORT_ON_LINGER",
	"TCP_ABORT_ON_MEMORY", "TCP_STATE", "TCP_KEEPALIVE_TIMEOUT", "TCP_DISCONNECT_WITH_DATA",
	"MPTCP_RST_EUNSPEC", "MPTCP_RST_EMPTCP", "MPTCP_RST_ERESOURCE", "MPTCP_RST_EPROHIBIT",
	"MPTCP_RST_EWQ2BIG", "MPTCP_RST_EBADPERF", "MPTCP_RST_EMIDDLEBOX", "ERROR",
};

const char *kind_name(int kind)
{
	return kind > 0 && kind < RT_KIND_MAX ? kinds[kind] : NULL;
}

const char *tcp_state_name(int state)
{
	return state > 0 && state < (int)ARRAY_SIZE(states) ? states[state] : NULL;
}

const char *errno_name(int err, char *buf, size_t len)
{
	const char *name = err > 0 ? strerrorname_np(err) : NULL;

	if (name)
		return name;
	snprintf(buf, len, "ERRNO_%d", err);
	return buf;
}

static void reason_set(struct reason_names *r, unsigned value, const char *name)
{
	if (value >= NAMES_MAX_REASONS)
		return;
	snprintf(r->name[value], NAMES_REASON_LEN, "%s", name);
	if ((int)value >= r->count)
		r->count = value + 1;
}

void reason_names_builtin(struct reason_names *r)
{
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < ARRAY_SIZE(builtin_reasons); i++)
		reason_set(r, i, builtin_reasons[i]);
}

bool reason_names_from_btf(struct reason_names *r, const struct btf *btf)
{
	static const char prefix[] = "SK_RST_REASON_";
	const struct btf_type *t;
	const struct btf_enum *e;
	int id;

	id = btf ? btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM) : -1;
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *name = btf__name_by_offset(btf, e->name_off);

		if (!name || strcmp(name, "SK_RST_REASON_MAX") == 0)
			continue;
		if (strncmp(name, prefix, sizeof(prefix) - 1) == 0)
			name += sizeof(prefix) - 1;
		reason_set(r, (unsigned)e->val, name);
	}
	return r->count > 0;
}

const char *reason_name(const struct reason_names *r, unsigned value, char *buf, size_t len)
{
	if ((int)value < r->count && r->name[value][0])
		return r->name[value];
	snprintf(buf, len, "REASON_%u", value);
	return buf;
}
