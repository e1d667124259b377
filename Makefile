# mailsim - a teaching mail-system simulator.
#
#   make            build ./mailsim
#   make test       build and run every test; ends with "N passed, N failed"
#   make check      the same suite built with AddressSanitizer + UBSan
#   make bench      the benchmarks (speed and memory goals live here)
#   make fuzz       build the libFuzzer targets with clang, run each SECS=60
#                   seconds (tests/fuzz/README.md)
#   make run        the lesson menu on a terminal (else the first lesson's transcript)
#   make install    install into $(PREFIX) (default /usr/local); DESTDIR works
#   make pot        extract the translatable strings into po/mailsim.pot
#   make clean

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/mailsim
LOCALEDIR ?= $(PREFIX)/share/locale

CC      ?= cc
FUZZ_CC ?= clang
PKG_CONFIG ?= pkg-config

ifeq ($(shell $(PKG_CONFIG) --version >/dev/null 2>&1 && echo yes),)
$(error pkg-config not found: install it with 'apt-get install pkg-config')
endif
ifeq ($(shell $(PKG_CONFIG) --exists sqlite3 && echo yes),)
$(error SQLite development files not found: install them with 'apt-get install libsqlite3-dev')
endif

ifeq ($(shell msgfmt --version >/dev/null 2>&1 && echo yes),)
$(error msgfmt (GNU gettext) not found: install it with 'apt-get install gettext')
endif

ifeq ($(shell $(PKG_CONFIG) --exists ncursesw && echo yes),)
$(error ncursesw (wide-character ncurses) development files not found: install them with 'apt-get install libncurses-dev')
endif

ifeq ($(shell $(PKG_CONFIG) --exists libssl libcrypto && echo yes),)
$(error OpenSSL (libssl, libcrypto) development files not found: install them with 'apt-get install libssl-dev')
endif

SQLITE_CFLAGS := $(shell $(PKG_CONFIG) --cflags sqlite3)
SQLITE_LIBS   := $(shell $(PKG_CONFIG) --libs sqlite3)
NCURSES_CFLAGS := $(shell $(PKG_CONFIG) --cflags ncursesw)
NCURSES_LIBS   := $(shell $(PKG_CONFIG) --libs ncursesw)
# libcrypto: DKIM's signatures (protocols/dkim.c); libssl: live mode's TLS
# (sim/tls.c)
CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags libssl libcrypto)
CRYPTO_LIBS   := $(shell $(PKG_CONFIG) --libs libssl libcrypto)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Wvla
BASEFLAGS := -std=c17 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
           $(SQLITE_CFLAGS) $(CRYPTO_CFLAGS) $(WARN) -MMD -MP

# The layers, lowest first.  A layer sees only its own headers and those of
# the layers below it: protocols/ (the sans-I/O engines) sees itself; sim/
# (the world, the store) sees protocols/; ui/ (the command line, the player)
# sees both.  The compiler enforces the rule, because each layer is compiled
# with its own include path only, and each becomes its own archive;
# tests/suites/layers.sh checks it once more on the #include lines.
INC_protocols := -Iprotocols
INC_sim       := -Isim -Iprotocols
INC_ui        := -Iui -Isim -Iprotocols
INC_tests     := $(INC_ui)
CFLAGS  ?= -O2 -g
LDLIBS  := $(SQLITE_LIBS) $(NCURSES_LIBS) $(CRYPTO_LIBS) -lm

# The sanitizer build used by `make check`; the libFuzzer build of `make
# fuzz` (clang only, with its own build directory).
ifeq ($(FUZZ),1)
BUILD   := build/fuzz
CC      := $(FUZZ_CC)
CFLAGS  := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SAN),1)
BUILD   := build/san
CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
BUILD   := build/release
endif

PROTOCOLS_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard protocols/*.c))
SIM_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard sim/*.c))
UI_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(filter-out ui/main.c,$(wildcard ui/*.c)))
MAIN_OBJ := $(BUILD)/ui/main.o
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Fuzz targets: each linked with libFuzzer (make fuzz) or with the replay
# driver that make test runs on the corpora (any compiler).
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
SECS     ?= 60
# One archive a layer, in link order: a layer calls only those after it.
LIB      := $(BUILD)/libmailsim-ui.a $(BUILD)/libmailsim-sim.a $(BUILD)/libmailsim-protocols.a

.SECONDARY:
.PHONY: all test check bench run install uninstall clean tests-bin fuzz fuzz-bin fuzz-merge \
	fuzz-seed layer-flags pot FORCE
.DEFAULT_GOAL := all

# The Portuguese catalogue, where ./mailsim finds it without installing
# (cli_i18n_init: build/locale beside the executable), and the template
# xgettext makes of every string marked _(), N_() or P_() (protocols/i18n.h).
MO := build/locale/pt_BR/LC_MESSAGES/mailsim.mo
POT ?= po/mailsim.pot
XGETTEXT_FLAGS := --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=P_:1,2 \
	--add-comments=TRANSLATORS: --package-name=mailsim --msgid-bugs-address= --sort-by-file
$(MO): po/pt_BR.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<
pot:
	xgettext $(XGETTEXT_FLAGS) -o $(POT) $(sort $(wildcard protocols/*.[ch] sim/*.[ch] ui/*.[ch]))

all: mailsim $(MO)

ifeq ($(SAN),1)
mailsim_bin := $(BUILD)/mailsim
else
mailsim_bin := mailsim
endif

$(mailsim_bin): $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

ifeq ($(SAN),1)
mailsim: $(mailsim_bin)
endif

$(BUILD)/libmailsim-protocols.a: $(PROTOCOLS_OBJ)
$(BUILD)/libmailsim-sim.a: $(SIM_OBJ)
$(BUILD)/libmailsim-ui.a: $(UI_OBJ)
$(BUILD)/libmailsim-%.a:
	@rm -f $@
	$(AR) rcs $@ $^

# Only the player's files (ui/player*.c) see curses' feature macros;
# cli.c learns where the lessons are installed (the last folder the menu
# and the lab look in, after those beside the executable).  The stamp holds
# DATADIR and changes with it, so `make install PREFIX=X` after `make`
# compiles cli.c again with X's.
$(BUILD)/ui/player.o $(BUILD)/ui/player_%.o: BASEFLAGS += $(NCURSES_CFLAGS)
$(BUILD)/ui/cli.o: BASEFLAGS += -DMAILSIM_DATADIR='"$(DATADIR)"' -DMAILSIM_LOCALEDIR='"$(LOCALEDIR)"'
$(BUILD)/ui/cli.o: $(BUILD)/datadir.stamp
$(BUILD)/datadir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR) $(LOCALEDIR)' | cmp -s - $@ || echo '$(DATADIR) $(LOCALEDIR)' >$@

$(BUILD)/protocols/%.o: protocols/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(INC_protocols) $(CFLAGS) -c -o $@ $<

$(BUILD)/sim/%.o: sim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(INC_sim) $(CFLAGS) -c -o $@ $<

$(BUILD)/ui/%.o: ui/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(INC_ui) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(INC_tests) -Itests $(CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(INC_tests) -Itests/fuzz $(CFLAGS) -c -o $@ $<

tests-bin: $(MO) $(mailsim_bin) $(TEST_BIN) $(REPLAY_BIN)

# make fuzz SECS=N [TARGETS="mime imap_parse"]: build with clang, then run
# each target N seconds on its corpus (new inputs go to build/fuzz/corpus,
# crashes to build/fuzz/crashes; see tests/fuzz/README.md).
fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bin
	@sh tests/fuzz/run.sh $(SECS) $(or $(TARGETS),$(FUZZ_TARGETS))

fuzz-bin: $(FUZZ_BIN)

# Fold what make fuzz found back into the committed corpora, minimized.
fuzz-merge:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bin
	@sh tests/fuzz/run.sh merge $(or $(TARGETS),$(FUZZ_TARGETS))

# Seed the corpora again from the unit tests, lessons and golden transcripts.
fuzz-seed:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bin
	@sh tests/fuzz/run.sh seed $(or $(TARGETS),$(FUZZ_TARGETS))

test: tests-bin
	@sh tests/run.sh $(BUILD) ./$(mailsim_bin)

check:
	@$(MAKE) --no-print-directory SAN=1 tests-bin
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99 \
	 sh tests/run.sh build/san ./build/san/mailsim

BENCH_BIN := $(BUILD)/bench/imap_bench $(BUILD)/bench/live_bench

$(BUILD)/bench/%: $(BUILD)/tests/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/bench/%.o: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(INC_tests) $(CFLAGS) -c -o $@ $<

bench: $(mailsim_bin) $(BENCH_BIN)
	@sh tests/bench.sh ./$(mailsim_bin) $(BENCH_BIN)

# On a terminal: the lesson menu (pop3-vs-imap selected); otherwise the
# transcript of the first lesson.
run: $(mailsim_bin)
	@if [ -t 0 ] && [ -t 1 ]; then ./$(mailsim_bin); \
	else ./$(mailsim_bin) run scenarios/smtp-send.scn; fi

install: $(mailsim_bin) $(MO)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/scenarios \
		$(DESTDIR)$(DATADIR)/scenarios/labs $(DESTDIR)$(LOCALEDIR)/pt_BR/LC_MESSAGES \
		$(DESTDIR)$(MANDIR)/pt_BR/man1
	install -m 755 $(mailsim_bin) $(DESTDIR)$(BINDIR)/mailsim
	install -m 644 docs/mailsim.1 $(DESTDIR)$(MANDIR)/man1/mailsim.1
	install -m 644 docs/mailsim.pt_BR.1 $(DESTDIR)$(MANDIR)/pt_BR/man1/mailsim.1
	install -m 644 scenarios/*.scn $(DESTDIR)$(DATADIR)/scenarios/
	install -m 644 scenarios/labs/*.scn $(DESTDIR)$(DATADIR)/scenarios/labs/
	install -m 644 $(MO) $(DESTDIR)$(LOCALEDIR)/pt_BR/LC_MESSAGES/mailsim.mo

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailsim $(DESTDIR)$(MANDIR)/man1/mailsim.1
	rm -f $(DESTDIR)$(LOCALEDIR)/pt_BR/LC_MESSAGES/mailsim.mo
	rm -f $(DESTDIR)$(MANDIR)/pt_BR/man1/mailsim.1
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build mailsim

# The include path of a layer (tests/suites/layers.sh compiles with it).
layer-flags:
	@echo $(INC_$(LAYER))

-include $(shell find build -name '*.d' 2>/dev/null)
