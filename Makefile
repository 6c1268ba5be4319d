# jobmatch: one Makefile for the library, the services, the tests and the benchmarks.
#
#   make            build build/libjobmatch.a and one binary per services/<name>/
#   make test       install missing Debian packages, build, run unit + integration tests
#   make check      unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make eval       the evaluation set (tests/eval/): extraction precision, recall, F1 and
#                   trap finds, Spearman's rho per job, judged by tests/eval/thresholds.json
#   make fuzz       every libFuzzer target tests/fuzz/fuzz_*.c for FUZZ_SECONDS (60) each,
#                   with ASan/UBSan, on a copy of its corpus; fails on any crash, leak or hang
#                   (FUZZ_TARGETS="fuzz_config ..." picks some; see tests/fuzz/README.md)
#   make bench      the benchmarks: bench/RESULTS.md, and the measured tables of docs/capacity.md
#   make chaos      the chaos suite: every fault on a CHAOS_N (200000) candidate batch
#                   (CHAOS_FAULTS="redis-pause ..." picks some; see tests/chaos/README.md)
#   make run        the whole stack on a private Redis, scoring the sample candidates
#   make install    PREFIX=/usr/local DESTDIR=: programs, data, web page, man pages,
#                   systemd units, example settings (make uninstall removes them)
#   make deb        a Debian package in build/deb/ (dpkg-buildpackage, then lintian)
#
# A new common/<layer>/jm_*.c, services/<name>/ or tests/unit/test_*.c needs no edit here.

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers -Wformat=2 \
            -Wno-format-truncation
# common/ in layers, each including only those below it (README, "Layers"):
# util < wire < engine < store.  Headers are included by bare name.
LAYERS   := util wire engine store
CPPFLAGS += $(LAYERS:%=-Icommon/%) -DJM_VERSION=\"$(VERSION)\" -D_GNU_SOURCE
override CFLAGS += -std=gnu11 $(WARN) -MMD -MP
LDLIBS   := -lczmq -lzmq -lhiredis -ljansson -lmicrohttpd -lm -lpthread -ldl
VERSION  := 0.1.0
.DEFAULT_GOAL := all
DATADIR  := $(PREFIX)/share/jobmatch/data
WEBDIR   := $(PREFIX)/share/jobmatch/web

# The installed data and web folders are compiled into the two files that look
# for them; $(BUILD)/prefix holds the PREFIX they were built for and changes
# (rebuilding them) when PREFIX does.
PREFIX_STAMP := $(BUILD)/prefix
$(shell mkdir -p $(BUILD) && [ "$$(cat $(PREFIX_STAMP) 2>/dev/null)" = "$(PREFIX)" ] || echo "$(PREFIX)" > $(PREFIX_STAMP))
$(BUILD)/obj/common/engine/jm_engine.o: CPPFLAGS += -DJM_DATADIR=\"$(DATADIR)\"
$(BUILD)/obj/common/engine/jm_engine.o: $(PREFIX_STAMP)
$(BUILD)/obj/services/jobmatch-dashboard/web.o: CPPFLAGS += -DJM_WEBDIR=\"$(WEBDIR)\"
$(BUILD)/obj/services/jobmatch-dashboard/web.o: $(PREFIX_STAMP)

COMMON_SRC  := $(sort $(wildcard $(LAYERS:%=common/%/*.c)))
COMMON_OBJ  := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
LIB         := $(BUILD)/libjobmatch.a
SERVICES    := $(notdir $(patsubst %/,%,$(sort $(dir $(wildcard services/*/main.c)))))
SERVICE_BIN := $(SERVICES:%=$(BUILD)/bin/%)
UNIT_SRC    := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJ    := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN    := $(BUILD)/bin/jm-unit-tests
BENCH_SRC   := $(sort $(wildcard bench/*.c))
BENCH_BIN   := $(BENCH_SRC:bench/%.c=$(BUILD)/bin/%)

.PHONY: all test check bench chaos run deps install uninstall man programs deb clean unit fuzz fuzz-build eval
.SECONDARY:
all: $(LIB) $(SERVICE_BIN) $(UNIT_BIN) $(BENCH_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# Each service is every .c file in its folder, linked against the library.
service_objs = $(addprefix $(BUILD)/obj/,$(patsubst %.c,%.o,$(wildcard services/$(1)/*.c)))
.SECONDEXPANSION:
$(BUILD)/bin/%: $$(call service_objs,$$*) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.o,$^) $(LIB) $(LDLIBS) -o $@

# Each service's modules (its .c files but main.c) as an archive the unit
# tests link: a test of a service module links just the objects it needs.
SERVICE_LIBS := $(SERVICES:%=$(BUILD)/svc/lib%.a)
service_lib_objs = $(filter-out %/main.o,$(call service_objs,$(1)))
$(BUILD)/svc/lib%.a: $$(call service_lib_objs,$$*)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(UNIT_BIN): $(UNIT_OBJ) $(SERVICE_LIBS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $(UNIT_OBJ) $(SERVICE_LIBS) $(LIB) $(LDLIBS) -o $@

$(BUILD)/obj/tests/unit/%.o: CPPFLAGS += -Itests/unit

# The dashboard checks its --tls-cert/--tls-key pair with GnuTLS itself;
# jm_tls loads GnuTLS only when a program speaks TLS to Redis.
$(BUILD)/bin/jobmatch-dashboard: LDLIBS += -lgnutls

$(BENCH_BIN): $(BUILD)/bin/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

deps:
	@tests/deps.sh

unit: all
	$(UNIT_BIN)

test: deps
	$(MAKE) all
	tests/run

check: deps
	$(MAKE) BUILD=build-san OPT=-O1 \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build-san/bin/jm-unit-tests
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 build-san/bin/jm-unit-tests

# Fuzzing: build-fuzz/ holds the library built with clang for libFuzzer; each
# tests/fuzz/fuzz_<name>.c becomes build-fuzz/fuzz/fuzz_<name>, linked with the
# service files its "// fuzz-sources:" line names, compiled with the flags of
# its "// fuzz-cflags:" line (tests/fuzz/README.md).
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g $(FUZZ_SAN) -Wno-unknown-warning-option
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/fuzz/%)
FUZZ_SECONDS ?= 60
fuzz_sources = $(shell sed -n 's|^// fuzz-sources:||p' $(1))
fuzz_cflags  = $(shell sed -n 's|^// fuzz-cflags:||p' $(1))

fuzz: deps fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_TARGETS)

fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" \
	  build-fuzz/libjobmatch.a
	$(MAKE) $(FUZZ_BIN)

build-fuzz/fuzz/%: tests/fuzz/%.c $$(call fuzz_sources,tests/fuzz/$$*.c) $(wildcard tests/fuzz/*.h) \
                   build-fuzz/libjobmatch.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(addprefix -I,$(sort $(dir $(call fuzz_sources,$<)))) -std=gnu11 \
	  $(WARN) $(FUZZ_CFLAGS) $(call fuzz_cflags,$<) -fsanitize=fuzzer $< $(call fuzz_sources,$<) \
	  build-fuzz/libjobmatch.a $(LDLIBS) -o $@

eval: all
	JM_BIN=$(CURDIR)/$(BUILD)/bin JM_DATA_DIR=$(CURDIR)/data tests/eval/run

bench: deps
	$(MAKE) all
	bench/run

CHAOS_N ?= 200000
chaos: deps
	$(MAKE) all
	JM_BIN=$(CURDIR)/$(BUILD)/bin tests/chaos/run --n $(CHAOS_N) $(CHAOS_FAULTS)

run: deps
	$(MAKE) all
	scripts/run-stack.sh

# make install: programs, data, web page, man pages, systemd units, the
# sysusers.d file for the jobmatch user and an example settings file.
# SYSCONFDIR and SYSTEMDUNITDIR are absolute (DESTDIR still applies).
SYSCONFDIR     ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
MAN_PAGES      := $(SERVICES:%=$(BUILD)/man/%.1) $(BUILD)/man/jobmatch-healthcheck.1
UNITS          := $(wildcard packaging/systemd/*.service)
man_name_jobmatch           := score candidates against job profiles, offline or through the gateway
man_name_jobmatch-gateway   := route scoring requests from clients to matcher workers
man_name_jobmatch-matcher   := score candidates and store the results in Redis
man_name_jobmatch-dashboard := the web page and HTTP API of jobmatch
man_name_jobmatch-healthcheck := probe a jobmatch gateway, matcher or dashboard

# Man pages are generated from each program's --help (its settings table)
man: $(MAN_PAGES)
$(BUILD)/man/%.1: $(BUILD)/bin/%
	@mkdir -p $(@D)
	help2man --no-info --no-discard-stderr --section=1 --name="$(man_name_$*)" \
	  --version-string=$(VERSION) --output=$@ $<
# jobmatch's page also holds each command's --help (its options and settings)
$(BUILD)/man/jobmatch.1: $(BUILD)/bin/jobmatch scripts/cli-man-commands
	@mkdir -p $(@D)
	scripts/cli-man-commands $< > $(BUILD)/man/jobmatch.h2m
	help2man --no-info --no-discard-stderr --section=1 --name="$(man_name_jobmatch)" \
	  --include=$(BUILD)/man/jobmatch.h2m --version-string=$(VERSION) --output=$@ $<
$(BUILD)/man/jobmatch-healthcheck.1: scripts/jobmatch-healthcheck
	@mkdir -p $(@D)
	help2man --no-info --section=1 --name="$(man_name_jobmatch-healthcheck)" \
	  --version-string=$(VERSION) --output=$@ $<

programs: $(LIB) $(SERVICE_BIN)

install: programs man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/jobs $(DESTDIR)$(WEBDIR) \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/jobmatch
	install -m 755 $(SERVICE_BIN) scripts/jobmatch-healthcheck $(DESTDIR)$(PREFIX)/bin/
	install -m 644 data/taxonomy.json $(DESTDIR)$(DATADIR)/
	install -m 644 data/jobs/*.json $(DESTDIR)$(DATADIR)/jobs/
	install -m 644 services/jobmatch-dashboard/web/* $(DESTDIR)$(WEBDIR)/
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	for unit in $(UNITS); do \
	  sed 's|@BINDIR@|$(PREFIX)/bin|g' $$unit > $(DESTDIR)$(SYSTEMDUNITDIR)/$${unit##*/} || exit 1; \
	  chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${unit##*/}; done
	install -m 644 packaging/sysusers.d/jobmatch.conf $(DESTDIR)$(SYSUSERSDIR)/
	install -m 644 packaging/jobmatch.env.example $(DESTDIR)$(SYSCONFDIR)/jobmatch/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(SERVICES) jobmatch-healthcheck)
	rm -rf $(DESTDIR)$(PREFIX)/share/jobmatch
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(MAN_PAGES)))
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(UNITS)))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/jobmatch.conf $(DESTDIR)$(SYSCONFDIR)/jobmatch/jobmatch.env.example
	-rmdir $(DESTDIR)$(SYSCONFDIR)/jobmatch 2>/dev/null

# make deb: a copy of the tracked and new files in build/deb/jobmatch-VERSION,
# built there by dpkg-buildpackage (debian/), then checked by lintian (the
# .changes: both .debs and the .buildinfo; info tags too, the ones that do not
# apply are overridden in debian/jobmatch.lintian-overrides with the reason).
# The .deb lands in build/deb/.
DEB_SRC := $(BUILD)/deb/jobmatch-$(VERSION)
LINTIAN ?= lintian --display-info --fail-on error,warning,info
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp -a --parents -t $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	$(LINTIAN) $(BUILD)/deb/jobmatch_$(VERSION)_*.changes

clean:
	rm -rf $(BUILD) build-san build-fuzz

-include $(shell find $(BUILD) build-san build-fuzz -path '*/deb' -prune -o -name '*.d' -type f -print 2>/dev/null)
