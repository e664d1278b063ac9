# skagent: a hardware-token-backed ssh-agent.  `make`, `make check`, `make run`.

PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

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
Q_CC = @echo "  CC      $@";
Q_LD = @echo "  LD      $@";
Q_AR = @echo "  AR      $@";
endif

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:.c=.o)
LIB := lib/libskagent.a

AGENT_SRC := $(wildcard agent/*.c)
AGENT_OBJ := $(AGENT_SRC:.c=.o)
AGENT := $(if $(AGENT_SRC),agent/skagent)

# One program per tools/NAME.c.
TOOLS := $(patsubst %.c,%,$(wildcard tools/*.c))

# The software authenticator shares no code with lib/ on purpose: a test
# oracle that reuses the code under test proves nothing.
SOFTTOKEN_SRC := $(wildcard tests/softtoken/*.c)
SOFTTOKEN_OBJ := $(SOFTTOKEN_SRC:.c=.o)
SOFTTOKEN := $(if $(SOFTTOKEN_SRC),tests/softtoken/softtoken)

TAP_OBJ := tests/unit/tap.o
UNIT := $(patsubst %.c,%,$(wildcard tests/unit/test-*.c))
# Small programs the end-to-end tests drive (raw protocol client, memory scan).
HELPERS := $(patsubst %.c,%,$(wildcard tests/helpers/*.c))

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

BIN := $(AGENT) $(TOOLS) $(SOFTTOKEN)

all: $(BIN)

%.o: %.c
	$(Q_CC)$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(Q_AR)rm -f $@ && $(AR) rcs $@ $^

$(AGENT): $(AGENT_OBJ) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tools/%: tools/%.o $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(SOFTTOKEN): $(SOFTTOKEN_OBJ)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/unit/test-%: tests/unit/test-%.o $(TAP_OBJ) $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/helpers/%: tests/helpers/%.o $(LIB)
	$(Q_LD)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests/fuzz/fuzz-agent: tests/fuzz/fuzz-agent.c $(FUZZ_AGENT_SRC) $(LIB_SRC)
	$(Q_LD)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(LDLIBS)

tests/fuzz/fuzz-softtoken: tests/fuzz/fuzz-softtoken.c $(FUZZ_SOFTTOKEN_SRC)
	$(Q_LD)$(FUZZ_CC) $(FUZZ_FLAGS) -Itests/softtoken -o $@ $^ $(LDLIBS)

# the rest fuzz lib/ alone
tests/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(LIB_SRC)
	$(Q_LD)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(LDLIBS)

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

all-tests: all $(UNIT) $(HELPERS) $(FUZZERS)

test:
	$(PROVE) $(PROVEFLAGS) $(TESTS)

# Runs the agent in the foreground on a fresh socket; it prints the
# SSH_AUTH_SOCK line to paste into another shell.
run: deps
	@$(MAKE) --no-print-directory all
	./agent/skagent -D

install: all
	install -d "$(DESTDIR)$(BINDIR)"
	install -m 0755 $(BIN:tests/softtoken/softtoken=) "$(DESTDIR)$(BINDIR)/"

uninstall:
	rm -f $(addprefix "$(DESTDIR)$(BINDIR)"/,$(notdir $(AGENT) $(TOOLS)))

clean:
	rm -f $(BIN) $(UNIT) $(HELPERS) $(FUZZERS) $(LIB) */*.o */*/*.o */*.d */*/*.d

.PHONY: all deps deps-check check all-tests test run install uninstall clean fuzz fuzzers
.SECONDARY:

-include $(wildcard */*.d */*/*.d)
