// SPDX-License-Identifier: GPL-2.0
/* test_identity.c - cgroup v2 paths from /proc/PID/cgroup, container ids and units from
 * paths, and the bounded cache. */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "../../user/identity.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void parse(const char *name, const char *path, const char *container, const char *unit)
{
	struct identity id;
	char label[200];

	identity_parse(path, &id);
	snprintf(label, sizeof(label), "%s: container", name);
	CHECK_STR(label, id.container, container);
	snprintf(label, sizeof(label), "%s: unit", name);
	CHECK_STR(label, id.unit, unit);
	snprintf(label, sizeof(label), "%s: cgroup", name);
	CHECK_STR(label, id.cgroup, path);
}

static void test_parse(void)
{
	parse("docker (systemd driver)", "/system.slice/docker-" ID64 ".scope", ID64,
	      "docker-" ID64 ".scope");
	parse("kubernetes containerd", "/kubepods.slice/kubepods-burstable.slice/kubepods-"
	      "burstable-pod1234.slice/cri-containerd-" ID64 ".scope", ID64,
	      "cri-containerd-" ID64 ".scope");
	parse("cri-o", "/kubepods.slice/crio-" ID64 ".scope", ID64, "crio-" ID64 ".scope");
	parse("podman", "/machine.slice/libpod-" ID64 ".scope/container", ID64,
	      "libpod-" ID64 ".scope");
	parse("conmon is not a container", "/machine.slice/libpod-conmon-" ID64 ".scope", "",
	      "libpod-conmon-" ID64 ".scope");
	parse("cgroupfs driver", "/docker/" ID64, ID64, "");
	parse("a service", "/system.slice/nginx.service", "", "nginx.service");
	parse("a session", "/user.slice/user-1000.slice/session-3.scope", "", "session-3.scope");
	parse("the root", "/", "", "");
	parse("not hex", "/system.slice/docker-xyz.scope", "", "docker-xyz.scope");
	parse("upper-case hex is not an id", "/docker-0123456789ABCDEF.scope", "",
	      "docker-0123456789ABCDEF.scope");
	parse("too short an id", "/docker-0123456789a.scope", "", "docker-0123456789a.scope");
}

static void test_v2_path(void)
{
	const char hybrid[] = "9:name=systemd:/\n4:memory:/x\n0::/system.slice/a.service\n";
	const char v1[] = "4:memory:/x\n1:cpu:/\n";
	char path[64], small[16];

	CHECK("hybrid: the 0:: line", identity_v2_path(hybrid, sizeof(hybrid) - 1, path,
						      sizeof(path)) &&
	      !strcmp(path, "/system.slice/a.service"));
	CHECK("v1 only: none", !identity_v2_path(v1, sizeof(v1) - 1, path, sizeof(path)));
	CHECK("too long: the tail kept",
	      identity_v2_path(hybrid, sizeof(hybrid) - 1, small, sizeof(small)) &&
	      !strcmp(small, "...ce/a.service"));
}

static void test_cache(void)
{
	struct identity_cache *c = identity_cache_new();
	struct rec_identity r = { .pid = 42, .found = 1, .comm = "nginx" };
	struct rec_identity gone = { .pid = 43, .found = 0, .comm = "curl" };

	strcpy(r.cgroup, "/system.slice/docker-" ID64 ".scope");
	identity_put(c, &r);
	identity_put(c, &gone);
	CHECK("found: get", identity_get(c, 42) && !strcmp(identity_get(c, 42)->container, ID64));
	CHECK("known with its comm", identity_known(c, 42, "nginx"));
	CHECK("a reused pid (other comm) is not known", !identity_known(c, 42, "bash"));
	CHECK("gone: known, no identity", identity_known(c, 43, "curl") && !identity_get(c, 43));
	CHECK("never seen: unknown", !identity_known(c, 44, "x") && !identity_get(c, 44));
	identity_cache_free(c);
}

static int counted;
static void count_one(void *ctx, const struct rec_identity *r)
{
	(void)ctx;
	(void)r;
	counted++;
}

static void test_bounded(void)
{
	struct identity_cache *c = identity_cache_new();
	struct rec_identity self;

	for (__u32 pid = 1000; pid < 1000 + 4 * IDENTITY_SLOTS; pid++) {
		struct rec_identity x = { .pid = pid, .found = 1 };

		strcpy(x.cgroup, "/");
		identity_put(c, &x);
	}
	identity_each(c, count_one, NULL);
	CHECK("bounded: at most IDENTITY_SLOTS entries", counted > 0 && counted <= IDENTITY_SLOTS);
	identity_lookup(getpid(), "test", &self);
	CHECK("lookup of this process finds a cgroup v2 path", self.found && self.cgroup[0] == '/');
	identity_lookup(0x7ffffff0, "gone", &self);
	CHECK("lookup of a pid that does not exist: not found", !self.found);
	identity_cache_free(c);
}

int main(void)
{
	test_parse();
	test_v2_path();
	test_cache();
	test_bounded();
	return CHECK_DONE();
}
