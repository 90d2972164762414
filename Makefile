# SPDX-License-Identifier: GPL-2.0
# rsttrace - build, test, install.  `make` builds ./rsttrace; `make test` installs what is
# missing (apt-get), builds and runs every test; V=1 shows the commands.
# ARCH: x86 or arm64 (the kernel's names), default this machine's. Another ARCH than this
# machine's cross-builds with Debian's cross compiler and the multiarch libraries
# (tests/install-deps.sh --arm64) into $(OUTPUT) = .output/ARCH, and the binary is
# ./rsttrace-MACHINE (rsttrace-aarch64): ./rsttrace stays this machine's.
HOST_ARCH := $(shell uname -m | sed -e 's/^x86_64$$/x86/' -e 's/^aarch64$$/arm64/')
ARCH ?= $(HOST_ARCH)
# uname -m's names are taken too
override ARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(ARCH)))
machine_x86 := x86_64
machine_arm64 := aarch64
MACHINE := $(or $(machine_$(ARCH)),$(error ARCH=$(ARCH): x86 or arm64))
ifeq ($(ARCH),$(HOST_ARCH))
OUTPUT ?= .output
BIN := rsttrace
else
OUTPUT ?= .output/$(ARCH)
BIN := rsttrace-$(MACHINE)
CROSS_COMPILE ?= $(MACHINE)-linux-gnu-
# make's built-in CC (cc) is this machine's: replace it, keep one given on the command line
ifneq ($(filter default undefined,$(origin CC)),)
CC := $(CROSS_COMPILE)gcc
endif
# the target's .pc files (multiarch): its libraries, not this machine's
export PKG_CONFIG_LIBDIR ?= /usr/lib/$(MACHINE)-linux-gnu/pkgconfig:/usr/share/pkgconfig
endif
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
PREFIX ?= /usr/local

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-missing-field-initializers -Werror
USER_CFLAGS := -std=gnu11 $(WARN) -I$(OUTPUT) -Iuser -MMD -MP
BPF_CFLAGS := -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf
# libmicrohttpd: the --metrics endpoint (user/metrics_http.c)
LIBS := -lbpf -lelf -lz -lmicrohttpd -lpthread
# STATIC=1: ./rsttrace with no shared-library dependency, to copy to another machine. A static
# link also needs the libraries' own dependencies (libelf may need -lzstd, -llzma), which only
# pkg-config --static knows.
PKG_CONFIG ?= pkg-config
ifeq ($(STATIC),1)
LDFLAGS += -static
LIBS := $(or $(shell $(PKG_CONFIG) --static --libs libbpf 2>/dev/null),-lbpf -lelf -lz) -lpthread
endif
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

USER_SRCS := $(filter-out user/main.c user/metrics_http_none.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
# a static binary has no --metrics: Debian's libmicrohttpd.a needs GnuTLS, whose own
# dependencies have no static libraries (user/metrics_http_none.c says so at run time)
STATIC_OBJS := $(filter-out $(OUTPUT)/metrics_http.o,$(USER_OBJS)) $(OUTPUT)/metrics_http_none.o
# without STATIC given, the kind of the last link (as $(OUTPUT)/link-mode below)
LINK_STATIC := $(if $(STATIC),$(filter 1,$(STATIC)),$(shell grep -qs '^STATIC=1' $(OUTPUT)/link-mode && echo 1))
LINK_OBJS := $(if $(LINK_STATIC),$(STATIC_OBJS),$(USER_OBJS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))
# the pure user-space core the unit tests link (no skeleton, no kernel)
CORE_SRCS := user/json.c user/options.c user/names.c user/events.c user/emit.c user/clock.c \
	user/log.c user/conns.c user/causes.c user/verdicts.c user/joiner.c user/floods.c \
	user/nsfilter.c user/record.c user/replay.c user/replay_filter.c user/pipeline.c \
	user/summary.c user/metrics.c user/identity.c user/rotate.c

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all test unit e2e deps run clean install vmtest

all: $(BIN)

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/rsttrace.bpf.o: bpf/rsttrace.bpf.c $(wildcard bpf/*.h) vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(OUTPUT)/rsttrace.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $(OUTPUT)/rsttrace.tmp.o

$(OUTPUT)/rsttrace.skel.h: $(OUTPUT)/rsttrace.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name rsttrace_bpf > $@

# only tracer.c includes the skeleton
$(OUTPUT)/tracer.o: $(OUTPUT)/rsttrace.skel.h

# the packet filter's resets: a separate object (netfilter program), its own skeleton,
# loaded by user/nfreset.c only
$(OUTPUT)/nf_reset.bpf.o: bpf/nf_reset.bpf.c bpf/nf_reset.h bpf/rsttrace.h vmlinux/$(ARCH)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(OUTPUT)/nf_reset.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $(OUTPUT)/nf_reset.tmp.o

$(OUTPUT)/nf_reset.skel.h: $(OUTPUT)/nf_reset.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name nf_reset_bpf > $@

$(OUTPUT)/nfreset.o: $(OUTPUT)/nf_reset.skel.h

$(OUTPUT)/%.o: user/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(USER_CFLAGS) -c $< -o $@

# how ./rsttrace was linked, rewritten only when it changes: `make STATIC=1` after `make`
# relinks instead of saying "up to date" about a dynamic binary (STATIC=0: the other way
# round). Without STATIC given, whatever was built stands: `make install` after
# `make STATIC=1` installs the static binary.
LINK_MODE := STATIC=$(STATIC) $(LDFLAGS) $(LIBS)
$(OUTPUT)/link-mode: FORCE | $(OUTPUT)
	$(Q)echo '$(LINK_MODE)' | cmp -s - $@ || echo '$(LINK_MODE)' >$@
.PHONY: FORCE
FORCE:

$(BIN): $(OUTPUT)/main.o $(LINK_OBJS) $(if $(STATIC),$(OUTPUT)/link-mode)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.o,$^) $(LIBS) -o $@

# unit tests: the core built with sanitizers, no kernel, no root
# (every header too: a test links the sources, so any header may change what it checks)
$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(CORE_SRCS) $(wildcard user/*.h bpf/*.h tests/unit/*.h) | $(OUTPUT)/tests
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) -O1 -g $(SAN) $(USER_CFLAGS) $< $(CORE_SRCS) $(LIBS) -o $@

$(OUTPUT)/scen: tests/scen/scen.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -std=gnu11 $(WARN) $< -o $@

# the kernel matrix (tests/vm): static rsttrace and scen for the VM's initramfs, linked
# from the same objects (Debian ships libbpf.a, libelf.a, libz.a); for another ARCH also
# spin and regs (tests/vm/context.sh: busy user-mode loops in the guest, bpf/arch.h's rule)
VM_BINS := $(OUTPUT)/vm/rsttrace $(OUTPUT)/vm/scen \
	$(if $(filter-out $(HOST_ARCH),$(ARCH)),$(OUTPUT)/vm/spin $(OUTPUT)/vm/regs)
VM_LIBS = $(or $(shell $(PKG_CONFIG) --static --libs libbpf 2>/dev/null),-lbpf -lelf -lz) -lpthread
$(OUTPUT)/vm/rsttrace: $(OUTPUT)/main.o $(STATIC_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -static $^ $(VM_LIBS) -o $@

$(OUTPUT)/vm/scen: tests/scen/scen.c
$(OUTPUT)/vm/spin: tests/vm/spin.c
$(OUTPUT)/vm/scen $(OUTPUT)/vm/spin:
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -std=gnu11 $(WARN) -static $< -o $@

# tests/vm/regs: bpf/arch.h's user-mode-interrupt rule counted on the guest's ticks
$(OUTPUT)/vm/regs.bpf.o: tests/vm/regs.bpf.c bpf/arch.h vmlinux/$(ARCH)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/vm/regs.skel.h: $(OUTPUT)/vm/regs.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name regs_bpf > $@

$(OUTPUT)/vm/regs: tests/vm/regs.c $(OUTPUT)/vm/regs.skel.h
	$(call msg,LINK,$@)
	$(Q)$(CC) -O2 -std=gnu11 $(WARN) -I$(OUTPUT)/vm -static $< $(VM_LIBS) -o $@

# boots Debian's 6.1 kernel under QEMU and runs the scenarios there and on this kernel;
# ARCH=arm64 on x86_64: Debian's arm64 6.1 under qemu-system-aarch64 (TCG), with the
# cross-built binaries (tests/e2e/test_vm_arm64.sh)
ifeq ($(ARCH),$(HOST_ARCH))
vmtest: deps
	$(Q)$(MAKE) --no-print-directory rsttrace $(OUTPUT)/scen $(VM_BINS)
	$(Q)tests/run.sh vm tests/e2e/test_vm.sh
else
vmtest: deps
	$(Q)$(MAKE) --no-print-directory ARCH=$(ARCH) $(VM_BINS)
	$(Q)tests/run.sh vm tests/e2e/test_vm_$(ARCH).sh
endif

deps:
	$(Q)tests/install-deps.sh $(if $(filter-out $(HOST_ARCH),$(ARCH)),--$(ARCH))

unit: $(UNIT_TESTS)
	$(Q)tests/run.sh unit $(UNIT_TESTS)

e2e: rsttrace $(OUTPUT)/scen
	$(Q)tests/run.sh e2e tests/e2e/test_*.sh

# make test also runs the arm64 kernel matrix (tests/e2e/test_vm_arm64.sh, about 70 s) with
# cross-built binaries; on an arm64 machine test_vm.sh is that matrix already
CROSS_TEST_ARCHS := $(filter-out $(HOST_ARCH),arm64)
.PHONY: vm-bins
vm-bins: $(VM_BINS)

test:
	$(Q)tests/install-deps.sh $(addprefix --,$(CROSS_TEST_ARCHS))
	$(Q)$(MAKE) --no-print-directory rsttrace $(UNIT_TESTS) $(OUTPUT)/scen $(VM_BINS) $(FUZZER)
	$(Q)$(foreach a,$(CROSS_TEST_ARCHS),$(MAKE) --no-print-directory ARCH=$(a) vm-bins &&) true
	$(Q)tests/run.sh all $(UNIT_TESTS) tests/e2e/test_*.sh

# fuzz: libFuzzer on the replay path (tests/fuzz/fuzz_replay.c), seeded with recordings;
# new inputs go to $(OUTPUT)/fuzz-corpus, crashes to $(OUTPUT)/fuzz-crashes (fix, then keep
# the input in tests/fuzz/regress/: tests/e2e/test_fuzz.sh replays it). FUZZ_SECONDS=600
FUZZ_SECONDS ?= 600
FUZZER := $(OUTPUT)/fuzz_replay
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
.PHONY: fuzz
$(FUZZER): tests/fuzz/fuzz_replay.c $(CORE_SRCS) $(wildcard user/*.h bpf/*.h) | $(OUTPUT)
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(filter-out -MMD -MP,$(USER_CFLAGS)) $< $(CORE_SRCS) $(LIBS) -o $@

fuzz: $(FUZZER)
	$(Q)mkdir -p $(OUTPUT)/fuzz-corpus $(OUTPUT)/fuzz-crashes
	$(Q)$(FUZZER) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(OUTPUT)/fuzz-crashes/ $(OUTPUT)/fuzz-corpus tests/fuzz/corpus

# bench: figures, not tests (bench/run.sh); writes bench/results.md. ROUNDS=N, QUICK=1
BENCH_BINS := $(patsubst bench/%.c,$(OUTPUT)/bench/%,$(wildcard bench/*.c))
.PHONY: bench
$(OUTPUT)/bench/%: bench/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -std=gnu11 $(WARN) $< -o $@

# the floors: empty programs on the send/recv tracepoints (per-hook section) and on every
# hook rsttrace attaches (HTTP section), held by bench/anchor.c
$(OUTPUT)/bench/%.bpf.o: bench/bpf/%.bpf.c vmlinux/$(ARCH)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/anchor: bench/anchor.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -std=gnu11 $(WARN) $< $(LIBS) -o $@

bench:
	$(Q)tests/install-deps.sh wrk tcpdump libbpf-tools
	$(Q)$(MAKE) --no-print-directory rsttrace $(BENCH_BINS) $(OUTPUT)/bench/empty.bpf.o \
		$(OUTPUT)/bench/floor.bpf.o $(OUTPUT)/bench/lifecycle.bpf.o
	$(Q)bench/run.sh

# soak: endurance, not part of `make test` (bench/soak.sh): SOAK_SECONDS (600) of connection
# churn with resets, rsttrace's RSS and table size sampled; writes bench/soak-results.md
.PHONY: soak
soak:
	$(Q)tests/install-deps.sh wrk
	$(Q)$(MAKE) --no-print-directory rsttrace $(BENCH_BINS) $(OUTPUT)/scen
	$(Q)bench/soak.sh

# dist: release artifacts in dist/: static, stripped rsttrace-VERSION-x86_64 and
# rsttrace-VERSION-aarch64 (the very links the kernel matrices boot: $(OUTPUT)/vm/rsttrace of
# each ARCH), the source tarball of the committed tree (git archive HEAD) and SHA256SUMS
VERSION := $(shell sed -n 's/^\#define RSTTRACE_VERSION "\(.*\)"/\1/p' user/options.h)
DIST_ARCHS := x86 arm64
.PHONY: dist
dist:
	$(Q)tests/install-deps.sh --build --arm64
	$(Q)rm -rf dist && mkdir dist
	$(Q)for a in $(DIST_ARCHS); do \
		case $$a in x86) m=x86_64 ;; arm64) m=aarch64 ;; esac; \
		if [ $$a = $(HOST_ARCH) ]; then o=.output strip=strip; \
		else o=.output/$$a strip=$$m-linux-gnu-strip; fi; \
		$(MAKE) --no-print-directory ARCH=$$a $$o/vm/rsttrace && \
		$$strip -o dist/rsttrace-$(VERSION)-$$m $$o/vm/rsttrace || exit 1; done
	$(Q)git archive --prefix=rsttrace-$(VERSION)/ -o dist/rsttrace-$(VERSION).tar.gz HEAD
	$(Q)cd dist && sha256sum rsttrace-$(VERSION)-* rsttrace-$(VERSION).tar.gz >SHA256SUMS
	$(Q)cd dist && file rsttrace-$(VERSION)-* | sed 's/, BuildID[^,]*//' && cat SHA256SUMS

# run installs only the build's packages (make test installs the tests' too)
run:
	$(Q)tests/install-deps.sh --build
	$(Q)$(MAKE) --no-print-directory rsttrace
	./rsttrace $(ARGS)

# install: the binary, the man page, the bash completion, the systemd unit (its ExecStart
# names the installed binary) and its options file /etc/default/rsttrace (kept when it exists:
# the admin's), under $(DESTDIR)$(PREFIX) (PREFIX=/usr for a package; DESTDIR stages into a
# directory). tests/e2e/test_install.sh checks the exact list.
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
INSTALLED := $(DESTDIR)$(PREFIX)/sbin/rsttrace $(DESTDIR)$(MANDIR)/man8/rsttrace.8 \
	$(DESTDIR)$(BASHCOMPDIR)/rsttrace $(DESTDIR)$(UNITDIR)/rsttrace.service \
	$(DESTDIR)$(SYSCONFDIR)/default/rsttrace
.PHONY: uninstall
$(OUTPUT)/rsttrace.service: service/rsttrace.service.in FORCE | $(OUTPUT)
	$(Q)sed 's|@SBINDIR@|$(PREFIX)/sbin|' $< >$@.tmp && mv $@.tmp $@

install: rsttrace $(OUTPUT)/rsttrace.service
	install -D -m 0755 rsttrace $(DESTDIR)$(PREFIX)/sbin/rsttrace
	install -D -m 0644 rsttrace.8 $(DESTDIR)$(MANDIR)/man8/rsttrace.8
	install -D -m 0644 completion/rsttrace.bash $(DESTDIR)$(BASHCOMPDIR)/rsttrace
	install -D -m 0644 $(OUTPUT)/rsttrace.service $(DESTDIR)$(UNITDIR)/rsttrace.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/rsttrace ] || \
		install -D -m 0644 service/rsttrace.default $(DESTDIR)$(SYSCONFDIR)/default/rsttrace

uninstall:
	rm -f $(INSTALLED)

clean:
	rm -rf $(OUTPUT) $(BIN)

-include $(wildcard $(OUTPUT)/*.d)
