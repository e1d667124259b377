# mailsim - a teaching mail-system simulator.
#
#   make            build ./mailsim
#   make test       build and run every test; ends with "N passed, N failed"
#   make check      the same suite built with AddressSanitizer + UBSan
#   make bench      the benchmarks (speed and memory goals live here)
#   make run        the lesson menu on a terminal (else the first lesson's transcript)
#   make install    install into $(PREFIX) (default /usr/local); DESTDIR works
#   make clean

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/mailsim

CC      ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(shell $(PKG_CONFIG) --version >/dev/null 2>&1 && echo yes),)
$(error pkg-config not found: install it with 'apt-get install pkg-config')
endif
ifeq ($(shell $(PKG_CONFIG) --exists sqlite3 && echo yes),)
$(error SQLite development files not found: install them with 'apt-get install libsqlite3-dev')
endif

ifeq ($(shell $(PKG_CONFIG) --exists ncursesw && echo yes),)
$(error ncursesw (wide-character ncurses) development files not found: install them with 'apt-get install libncurses-dev')
endif

SQLITE_CFLAGS := $(shell $(PKG_CONFIG) --cflags sqlite3)
SQLITE_LIBS   := $(shell $(PKG_CONFIG) --libs sqlite3)
NCURSES_CFLAGS := $(shell $(PKG_CONFIG) --cflags ncursesw)
NCURSES_LIBS   := $(shell $(PKG_CONFIG) --libs ncursesw)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wno-format-nonliteral -Wvla
BASEFLAGS := -std=c17 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
           -Iprotocols -Isim -Iui $(SQLITE_CFLAGS) $(WARN) -MMD -MP
CFLAGS  ?= -O2 -g
LDLIBS  := $(SQLITE_LIBS) $(NCURSES_LIBS) -lm

# The sanitizer build used by `make check`.
ifeq ($(SAN),1)
BUILD   := build/san
CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
BUILD   := build/release
endif

LIB_SRC  := $(wildcard protocols/*.c) $(wildcard sim/*.c) $(filter-out ui/main.c,$(wildcard ui/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/ui/main.o
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libmailsim.a

.SECONDARY:
.PHONY: all test check bench run install uninstall clean tests-bin
.DEFAULT_GOAL := all

all: mailsim

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

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Only the player sees curses' feature macros; main.c learns where the
# lessons are installed (the menu's last resort).
$(BUILD)/ui/player.o: BASEFLAGS += $(NCURSES_CFLAGS)
$(BUILD)/ui/main.o: BASEFLAGS += -DMAILSIM_DATADIR='"$(DATADIR)"'
$(BUILD)/ui/lab.o: BASEFLAGS += -DMAILSIM_DATADIR='"$(DATADIR)"'

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) -Itests $(CFLAGS) -c -o $@ $<

tests-bin: $(mailsim_bin) $(TEST_BIN)

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
	$(CC) $(BASEFLAGS) $(CFLAGS) -c -o $@ $<

bench: $(mailsim_bin) $(BENCH_BIN)
	@sh tests/bench.sh ./$(mailsim_bin) $(BENCH_BIN)

# On a terminal: the lesson menu (pop3-vs-imap selected); otherwise the
# transcript of the first lesson.
run: $(mailsim_bin)
	@if [ -t 0 ] && [ -t 1 ]; then ./$(mailsim_bin); \
	else ./$(mailsim_bin) run scenarios/smtp-send.scn; fi

install: $(mailsim_bin)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/scenarios \
		$(DESTDIR)$(DATADIR)/scenarios/labs
	install -m 755 $(mailsim_bin) $(DESTDIR)$(BINDIR)/mailsim
	install -m 644 docs/mailsim.1 $(DESTDIR)$(MANDIR)/man1/mailsim.1
	install -m 644 scenarios/*.scn $(DESTDIR)$(DATADIR)/scenarios/
	install -m 644 scenarios/labs/*.scn $(DESTDIR)$(DATADIR)/scenarios/labs/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailsim $(DESTDIR)$(MANDIR)/man1/mailsim.1
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build mailsim

-include $(shell find build -name '*.d' 2>/dev/null)
