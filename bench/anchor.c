// SPDX-License-Identifier: GPL-2.0
/* anchor.c - load a BPF object, attach every program in it, say so on stderr, and hold them
 * until SIGINT or SIGTERM. The benchmark's empty-program floor (bench/bpf/empty.bpf.c).
 * usage: anchor OBJECT.bpf.o */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) { stop = sig; }

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: anchor OBJECT.bpf.o\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "anchor: cannot open or load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "anchor: cannot attach %s\n", bpf_program__name(prog));
			return 1;
		}
		n++;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "anchor: %d programs attached\n", n);
	while (!stop)
		pause();
	bpf_object__close(obj);
	return 0;
}
