/* SPDX-License-Identifier: GPL-2.0 */
/* addr.h - test addresses as the BPF side stores them: IPv4 as IPv4-mapped, IPv6 as is. */
#ifndef TEST_ADDR_H
#define TEST_ADDR_H
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

static void addr(__u8 *a, const char *text)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, text, a + 12) == 1) {
		a[10] = a[11] = 0xff;
		return;
	}
	if (inet_pton(AF_INET6, text, a) != 1) {
		fprintf(stderr, "bad test address %s\n", text);
		exit(1);
	}
}

#endif
