# skagent: a hardware-token-backed ssh-agent.  `make`, `make check`, `make run`.

PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# Programs only skagent runs (not commands), in LIBEXECDIR/skagent.
LIBEXECDIR ?= $(PREFIX)/libexec

# Where the optional parts go: under PREFIX, where systemd, environment.d
# and bash-completion look for PREFIX=/usr and /usr/local (pkg-config's
# answers are absolute, /usr/share whatever PREFIX).  udev reads rules from
# its own directory only, whatever PREFIX is.
pkgvar = $(shell $(PKG_CONFIG) $(3) --variable=$(1) $(2) 2>/dev/null)
UDEVDIR := $(call pkgvar,udevdir,udev)
UDEVRULESDIR ?= $(or $(UDEVDIR),/usr/lib/udev)/rules.d
SYSTEMDUSERUNITDIR ?= $(PREFIX)/lib/systemd/user
ENVIRONMENTDDIR ?= $(PREFIX)/lib/environment.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# Each optional part is installed when this system has what reads it;
# WITH_UDEV=yes|no, WITH_SYSTEMDUNITS=yes|no, WITH_BASHCOMPLETION=yes|no
# decide otherwise.  The systemd part includes the environment.d snippet.
WITH_UDEV ?= $(if $(UDEVDIR)$(wildcard /usr/lib/udev/rules.d /lib/udev/rules.d),yes,no)
WITH_SYSTEMDUNITS ?= $(if $(call pkgvar,systemduserunitdir,systemd)$(wildcard /usr/lib/systemd/user /lib/systemd/user),yes,no)
WITH_BASHCOMPLETION ?= $(if $(call pkgvar,completionsdir,bash-completion)$(wildcard /usr/share/bash-completion/completions),yes,no)

comma := ,
PKGS := libfido2 libsodium libcbor libcrypto

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -Ilib
CFLAGS += -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	  -Wcast-qual -Wwrite-strings -Wimplicit-fallthrough -Wformat=2 \
	  -Wno-unused-parameter
CFLAGS += -fstack-protector-strong -fno-strict-aliasing
CFLAGS += -MMD -MP
CFLAGS += $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lpthread

ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS += -D_FORTIFY_SOURCE=2
endif

ifneq ($(V),1)
Q = @
Q_CC = @echo "  CC      $@";
Q_LD = @echo "  LD      $@";
Q_AR = @echo "  AR      $@";
Q_GEN = @echo "  GEN     $@";
endif

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:.c=.o)
LIB := lib/libskagent.a

# agent/sk-helper.c is a program of its own: skagent-sk-helper runs
# security key provider libraries outside the agent (in LIBEXECDIR/skagent).
SKHELPER_SRC := $(wildcard agent/sk-helper.c)
SKHELPER := $(if $(SKHELPER_SRC),agent/skagent-sk-helper)
# agent/pkcs11-helper.c too: skagent-pkcs11-helper runs one PKCS#11 module
# (ssh-add -s) outside the agent.  p11-kit's pkcs11.h, not its library.
P11HELPER_SRC := $(wildcard agent/pkcs11-helper.c)
P11HELPER := $(if $(P11HELPER_SRC),agent/skagent-pkcs11-helper)
P11KIT_CFLAGS := $(shell $(PKG_CONFIG) --cflags p11-kit-1 2>/dev/null)
AGENT_SRC := $(filter-out $(SKHELPER_SRC) $(P11HELPER_SRC),$(wildcard agent/*.c))
AGENT_OBJ := $(AGENT_SRC:.c=.o)
AGENT := $(if $(AGENT_SRC),agent/skagent)

# One program per tools/NAME.c; agent-keygen's modes beyond key generation
# are tools/keygen/*.c, agent-token's subcommands tools/token/*.c.
TOOLS := $(patsubst %.c,%,$(wildcard tools/*.c))
KEYGEN_PARTS := $(patsubst %.c,%.o,$(wildcard tools/keygen/*.c))
TOKEN_PARTS := $(patsubst %.c,%.o,$(wildcard tools/token/*.c))

# The software authenticator shares no code with lib/ on purpose: a test
# oracle that reuses the code under test proves nothing.
SOFTTOKEN_SRC := $(wildcard tests/softtoken/*.c)
SOFTTOKEN_OBJ := $(SOFTTOKEN_SRC:.c=.o)
SOFTTOKEN := $(if $(SOFTTOKEN_SRC),tests/softtoken/softtoken)

# A SecurityKeyProvider (OpenSSH's sk-api.h) for softtoken, so stock
# ssh-keygen, ssh-add, ssh and ssh-agent run their own security-key code in
# the tests.  A test oracle too: no code from lib/.  Never sanitized, since
# stock programs dlopen it.
SKPROV_SRC := $(wildcard tests/sk-provider/*.c)
SKPROV := $(if $(SKPROV_SRC),tests/sk-provider/libsk-softtoken.so)
SKPROV_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) \
	-fPIC -fvisibility=hidden
SKPROV_LDFLAGS := $(filter-out -fsanitize=%,$(LDFLAGS)) -shared -Wl,-z,defs

# libfido2 custom I/O on softtoken's socket, for the test programs that use
# libfido2 directly (test oracles: no code from lib/).
UNIX_IO_SRC := tests/unix-io.c
UNIX_IO_OBJ := $(UNIX_IO_SRC:.c=.o)
UNIX_IO_USERS := tests/unit/test-token tests/unit/test-softtoken \
	tests/helpers/token-pin

TAP_OBJ := tests/unit/tap.o tests/unit/torture.o
# Every allocation the unit tests' own objects make goes through
# tests/unit/torture.c, which fails one on request (SKA_TORTURE=N).
TORTURE_WRAP := malloc calloc realloc reallocarray strdup strndup asprintf \
	vasprintf __asprintf_chk __vasprintf_chk sodium_malloc \
	CRYPTO_secure_malloc CRYPTO_secure_zalloc
TORTURE_LDFLAGS := $(addprefix -Wl$(comma)--wrap=,$(TORTURE_WRAP))
UNIT := $(patsubst %.c,%,$(wildcard tests/unit/test-*.c))
# Small programs the end-to-end tests drive (raw protocol client, memory scan).
HELPERS := $(patsubst %.c,%,$(wildcard tests/helpers/*.c))
# skagent against OpenSSH's ssh-agent: built by make check, run by make bench.
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_OBJ := $(BENCH_SRC:.c=.o)
BENCH := $(if $(BENCH_SRC),tests/bench/bench)
BENCHFLAGS ?=

# libFuzzer harnesses (clang): tests/fuzz/fuzz-NAME.c, seeds in
# tests/fuzz/corpus/NAME.  Each compiles its sources in one go with the
# fuzzer and sanitizers, apart from the normal objects.
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Ilib -Iagent \
	-Wno-unused-command-line-argument \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZERS := $(patsubst %.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_AGENT_SRC := $(filter-out agent/main.c agent/loop.c agent/pool.c,$(AGENT_SRC))
FUZZ_SOFTTOKEN_SRC := $(filter-out tests/softtoken/main.c,$(SOFTTOKEN_SRC))
FUZZ_TIME ?= 60

BIN := $(AGENT) $(SKHELPER) $(P11HELPER) $(TOOLS) $(SOFTTOKEN)

# What make install puts down: the commands (not the software token), each
# one's man page and completion; the helpers only skagent runs, in
# LIBEXECDIR/skagent (agent/libexec.c finds them there); the optional parts.
PROGRAMS := $(AGENT) $(TOOLS)
HELPER_PROGRAMS := $(SKHELPER) $(P11HELPER)
MANPAGES := $(wildcard $(PROGRAMS:=.1))
COMPLETIONS := $(wildcard $(addprefix completion/,$(notdir $(PROGRAMS))))
UDEV_RULES := udev/70-skagent-fido.rules
USER_UNITS := systemd/skagent.socket systemd/skagent.service
ENVIRONMENTD := systemd/60-skagent.conf
GENERATED := systemd/skagent.service agent/paths.h

all: $(BIN) $(GENERATED)

%.o: %.c
	$(Q_CC)$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(Q_AR)rm -f $@ && $(AR) rcs $@ $^

$(AGENT): $(AGENT_OBJ) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(SKHELPER): $(SKHELPER_SRC:.c=.o) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -ldl

$(P11HELPER_SRC:.c=.o): CFLAGS += $(P11KIT_CFLAGS)
$(P11HELPER): $(P11HELPER_SRC:.c=.o) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -ldl

tools/%: tools/%.o $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tools/agent-keygen: tools/agent-keygen.o $(KEYGEN_PARTS) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tools/agent-token: tools/agent-token.o $(TOKEN_PARTS) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# agent-copy-id is its main file and its parts in tools/copy-id/.
COPYID_OBJ := $(patsubst %.c,%.o,$(wildcard tools/copy-id/*.c))
tools/agent-copy-id: tools/agent-copy-id.o $(COPYID_OBJ) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(SOFTTOKEN): $(SOFTTOKEN_OBJ)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(SKPROV): $(SKPROV_SRC) $(UNIX_IO_SRC)
	$(Q_LD)$(CC) $(SKPROV_CFLAGS) -Itests $(CPPFLAGS) $(SKPROV_LDFLAGS) -o $@ $^ \
		$(shell $(PKG_CONFIG) --libs libfido2 libcrypto 2>/dev/null)

tests/unit/test-%: tests/unit/test-%.o $(TAP_OBJ) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) $(TORTURE_LDFLAGS) -o $@ $^ $(LDLIBS)

# The agent's framing and dispatch under allocation failure: agent objects
# without the event loop, the pool and main (the test stands in for them).
TORTURE_AGENT_OBJ := $(filter-out agent/main.o agent/loop.o agent/pool.o,$(AGENT_OBJ))
tests/unit/test-torture-agent.o: CPPFLAGS += -Iagent -Itests
tests/unit/test-torture-agent: tests/unit/test-torture-agent.o $(TORTURE_AGENT_OBJ) $(TAP_OBJ) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) $(TORTURE_LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIX_IO_USERS): $(UNIX_IO_OBJ)
$(UNIX_IO_USERS:=.o): CPPFLAGS += -Itests

# Unit tests of the agent's pure parts link the agent objects they test.
tests/unit/test-notices: agent/proc.o agent/recfmt.o
tests/unit/test-term: agent/term.o agent/proc.o
tests/unit/test-say: tests/unit/test-say.o agent/say.o agent/destview.o agent/proc.o agent/log.o $(TAP_OBJ) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) $(TORTURE_LDFLAGS) -o $@ $^ $(LDLIBS)

tests/helpers/%: tests/helpers/%.o $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# CKA_ALWAYS_AUTHENTICATE keys for SoftHSMv2: p11-kit's pkcs11.h
tests/helpers/p11-always-auth.o: CFLAGS += $(P11KIT_CFLAGS)

# The agent's provider path (skhelper.c, child.c) on a stand-in loop.
tests/helpers/skhelper-run.o: CFLAGS += -Iagent
tests/helpers/skhelper-run: tests/helpers/skhelper-run.o agent/child.o \
		agent/skhelper.o agent/libexec.o $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/fuzz/fuzz-agent: tests/fuzz/fuzz-agent.c tests/agent-standin.h $(FUZZ_AGENT_SRC) $(LIB_SRC) \
		agent/paths.h
	$(Q_LD)$(FUZZ_CC) $(FUZZ_FLAGS) -Itests -o $@ $(filter %.c,$^) $(LDLIBS)

tests/fuzz/fuzz-softtoken: tests/fuzz/fuzz-softtoken.c $(FUZZ_SOFTTOKEN_SRC)
	$(Q_LD)$(FUZZ_CC) $(FUZZ_FLAGS) -Itests/softtoken -o $@ $^ $(LDLIBS)

# the rest fuzz lib/ alone
tests/fuzz/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h $(LIB_SRC) $(wildcard lib/*.h)
	$(Q_LD)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) $(LDLIBS)

fuzzers: $(FUZZERS)

# Each harness for FUZZ_TIME seconds on a copy of its seeds; crashes are
# left in tests/fuzz/crash-NAME-* (add them to the corpus as regressions).
fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
		n=$${f##*/fuzz-}; w=$$(mktemp -d); \
		cp -r tests/fuzz/corpus/$$n/. $$w/ 2>/dev/null; \
		echo "fuzz $$n for $(FUZZ_TIME) s"; \
		$$f -max_total_time=$(FUZZ_TIME) -artifact_prefix=tests/fuzz/crash-$$n- \
			-print_final_stats=1 $$w || exit 1; rm -rf $$w; \
	done

# The helpers' directory compiled into the agent, rewritten only when
# LIBEXECDIR changes: make install with another PREFIX than the build's
# rebuilds what uses it.
agent/paths.h: FORCE
	$(Q)printf '#define SKAGENT_LIBEXECDIR "%s"\n' '$(LIBEXECDIR)/skagent' >$@.tmp && \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else \
		mv -f $@.tmp $@ && $(if $(Q),echo "  GEN     $@",:); fi
agent/libexec.o: agent/paths.h

# Rewritten only when BINDIR changes the text, so make install with another
# BINDIR than the build's still gets a unit that names the right program.
systemd/skagent.service: systemd/skagent.service.in FORCE
	$(Q)sed 's|@BINDIR@|$(BINDIR)|g' $< >$@.tmp && \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else \
		mv -f $@.tmp $@ && $(if $(Q),echo "  GEN     $@",:); fi

$(BENCH): $(BENCH_OBJ) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

deps:
	@./scripts/deps build

deps-check:
	@./scripts/deps check

# The test runner is prove: C unit tests print TAP, end-to-end tests are
# shell scripts (*.t) that print TAP.  TESTS= narrows the run.
TESTS ?= $(UNIT) $(sort $(wildcard tests/e2e/*.t))
PROVE ?= prove
PROVEFLAGS ?=

check: deps-check
	@$(MAKE) --no-print-directory all-tests
	@$(MAKE) --no-print-directory test

all-tests: all $(UNIT) $(HELPERS) $(SKPROV) $(FUZZERS) $(BENCH)

test:
	$(PROVE) $(PROVEFLAGS) $(TESTS)

# The end-to-end suite with the agent and the tools under valgrind's
# memcheck: no invalid access, no uninitialised value used, no leak.  Needs
# a plain build (not SANITIZE=1); tests bound by time skip themselves.
VALGRIND_LOGS ?= $(CURDIR)/tests/e2e/valgrind-logs
check-valgrind: deps-check
	@./scripts/deps valgrind
	@$(MAKE) --no-print-directory all-tests
	@rm -rf $(VALGRIND_LOGS) && mkdir -p -m 1777 $(VALGRIND_LOGS)
	SKA_VALGRIND=$(VALGRIND_LOGS) $(PROVE) $(PROVEFLAGS) \
		$(sort $(wildcard tests/e2e/*.t)); st=$$?; \
		tests/e2e/valgrind-check $(VALGRIND_LOGS) && exit $$st

# Allocation failure: every allocation of every torture scenario fails in
# turn (make check tries a sample of them); SANITIZE=1 adds leak checks.
TORTURE := tests/unit/test-torture tests/unit/test-torture-agent
torture: deps-check
	@$(MAKE) --no-print-directory $(TORTURE)
	SKA_TORTURE=full $(PROVE) $(PROVEFLAGS) $(TORTURE)

# About a minute: skagent and ssh-agent side by side (BENCHFLAGS=--quick,
# --only sign, --tsv ...; see tests/bench/bench --help).
bench: deps-check
	@$(MAKE) --no-print-directory all $(BENCH)
	./$(BENCH) $(BENCHFLAGS)

# The whole flow in a minute, no hardware needed (scripts/demo).
demo: deps-check
	@$(MAKE) --no-print-directory all
	@./scripts/demo

# Runs the agent in the foreground on a fresh socket; it prints the
# SSH_AUTH_SOCK line to paste into another shell.
run: deps
	@$(MAKE) --no-print-directory all
	./agent/skagent -D

install: all
	$(Q)install -v -d "$(DESTDIR)$(BINDIR)" && \
	install -v -m 0755 $(PROGRAMS) "$(DESTDIR)$(BINDIR)/"
ifneq ($(HELPER_PROGRAMS),)
	$(Q)install -v -d "$(DESTDIR)$(LIBEXECDIR)/skagent" && \
	install -v -m 0755 $(HELPER_PROGRAMS) "$(DESTDIR)$(LIBEXECDIR)/skagent/"
endif
	$(Q)install -v -d "$(DESTDIR)$(MANDIR)/man1" && \
	install -v -m 0644 $(MANPAGES) "$(DESTDIR)$(MANDIR)/man1/"
ifeq ($(WITH_UDEV),yes)
	$(Q)install -v -d "$(DESTDIR)$(UDEVRULESDIR)" && \
	install -v -m 0644 $(UDEV_RULES) "$(DESTDIR)$(UDEVRULESDIR)/"
endif
ifeq ($(WITH_SYSTEMDUNITS),yes)
	$(Q)install -v -d "$(DESTDIR)$(SYSTEMDUSERUNITDIR)" && \
	install -v -m 0644 $(USER_UNITS) "$(DESTDIR)$(SYSTEMDUSERUNITDIR)/"
	$(Q)install -v -d "$(DESTDIR)$(ENVIRONMENTDDIR)" && \
	install -v -m 0644 $(ENVIRONMENTD) "$(DESTDIR)$(ENVIRONMENTDDIR)/"
endif
ifeq ($(WITH_BASHCOMPLETION),yes)
	$(Q)install -v -d "$(DESTDIR)$(BASHCOMPDIR)" && \
	install -v -m 0644 $(COMPLETIONS) "$(DESTDIR)$(BASHCOMPDIR)/"
endif

# Removes the files install puts down, and LIBEXECDIR/skagent once empty;
# no other directory: they are shared.
uninstall:
	$(Q)rm -vf $(addprefix "$(DESTDIR)$(BINDIR)"/,$(notdir $(PROGRAMS))) \
		$(addprefix "$(DESTDIR)$(MANDIR)/man1"/,$(notdir $(MANPAGES)))
ifneq ($(HELPER_PROGRAMS),)
	$(Q)rm -vf $(addprefix "$(DESTDIR)$(LIBEXECDIR)/skagent"/,$(notdir $(HELPER_PROGRAMS))) && \
	{ ! [ -d "$(DESTDIR)$(LIBEXECDIR)/skagent" ] || \
		rmdir -v --ignore-fail-on-non-empty "$(DESTDIR)$(LIBEXECDIR)/skagent"; }
endif
ifeq ($(WITH_UDEV),yes)
	$(Q)rm -vf $(addprefix "$(DESTDIR)$(UDEVRULESDIR)"/,$(notdir $(UDEV_RULES)))
endif
ifeq ($(WITH_SYSTEMDUNITS),yes)
	$(Q)rm -vf $(addprefix "$(DESTDIR)$(SYSTEMDUSERUNITDIR)"/,$(notdir $(USER_UNITS))) \
		$(addprefix "$(DESTDIR)$(ENVIRONMENTDDIR)"/,$(notdir $(ENVIRONMENTD)))
endif
ifeq ($(WITH_BASHCOMPLETION),yes)
	$(Q)rm -vf $(addprefix "$(DESTDIR)$(BASHCOMPDIR)"/,$(notdir $(COMPLETIONS)))
endif

clean:
	rm -f $(BIN) $(UNIT) $(HELPERS) $(SKPROV) $(FUZZERS) $(BENCH) $(LIB) $(GENERATED) \
		*/*.o */*/*.o */*.d */*/*.d

FORCE:

.PHONY: all deps deps-check check all-tests test bench torture check-valgrind \
	run install uninstall clean fuzz fuzzers demo FORCE
.SECONDARY:

-include $(wildcard */*.d */*/*.d)
