// SPDX-License-Identifier: GPL-2.0
/* metrics_http.h - the --metrics endpoint: libmicrohttpd on its own thread, serving
 * metrics_render() at /metrics. Bounded: connections, per-connection memory (which bounds a
 * request's size), idle timeout; a slow or hostile client can only hold its own slot. The
 * ring-buffer drain never waits on it but for the metrics mutex, held per increment or per
 * render of a bounded table. */
#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H

#include <stddef.h>
#include "metrics.h"

#define METRICS_HTTP_CONNECTIONS 256    /* more are refused until one is freed */
#define METRICS_HTTP_TIMEOUT_S 10       /* an idle (or slow) connection is closed */
#define METRICS_HTTP_MEMORY (16 * 1024) /* per connection: a larger request is refused */

struct metrics_http;

/* Bind and listen on addr:port (family AF_INET or AF_INET6): before the privileges are
 * dropped, so that a port below 1024 works. The socket fd, or -1 with a message in err. */
int metrics_http_listen(int family, const char *addr, unsigned port, char *err, size_t len);
/* Serve m on the listening fd from a thread of its own: after the privileges are dropped
 * (capabilities are per thread: one created before would keep them). NULL with a message. */
struct metrics_http *metrics_http_start(int fd, struct metrics *m, char *err, size_t len);
void metrics_http_stop(struct metrics_http *h);

#endif
