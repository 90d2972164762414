// SPDX-License-Identifier: GPL-2.0
/* metrics_http_none.c - the endpoint in a static build (make STATIC=1, the kernel matrix's
 * binary): Debian's libmicrohttpd.a needs GnuTLS, whose own dependencies (p11-kit,
 * libunistring) have no static libraries in Debian. --metrics says so and exits 1. */
#include <stdio.h>
#include <unistd.h>
#include "metrics_http.h"

int metrics_http_listen(int family, const char *addr, unsigned port, char *err, size_t len)
{
	(void)family;
	(void)addr;
	(void)port;
	snprintf(err, len, "--metrics is not available in this static build (make STATIC=1): "
		 "libmicrohttpd cannot be linked statically; use the dynamic build");
	return -1;
}

struct metrics_http *metrics_http_start(int fd, struct metrics *m, char *err, size_t len)
{
	(void)m;
	close(fd);
	snprintf(err, len, "--metrics is not available in this static build");
	return NULL;
}

void metrics_http_stop(struct metrics_http *h)
{
	(void)h;
}
