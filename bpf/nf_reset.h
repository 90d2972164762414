/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * nf_reset.h - what bpf/nf_reset.bpf.c adds to the record format of rsttrace.h.
 *
 * A reset that netfilter's REJECT made (nft `reject with tcp reset`, iptables
 * `-j REJECT --reject-with tcp-reset`) comes from no socket: no tcp_send_reset fires and the
 * kernel's TcpOutRsts does not count it. The separate object sees it leave (LOCAL_OUT) and
 * sends a struct rt_event of this kind, so that recording, replay and the joiner treat it as
 * any other record. 
 */
#ifndef NF_RESET_H
#define NF_RESET_H

/* its kind, RT_RST_FILTER, is in rsttrace.h's enum with the others */

#endif
