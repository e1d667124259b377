/*
 * player_term.c - the player's terminal (ncursesw): opened, closed, and
 * given back whatever happens; the colours; UTF-8 text drawn by display
 * columns.  The rest of the player draws only through term_put, term_fill
 * and term_attr[], so that no pane has to think about widths, clipping or
 * --mono.
 *
 * Read: the signal handlers and player_screen_open (curses set up: keys,
 * mouse, Esc delay, cursor off), init_roles (every role's look in colour
 * and in mono), then the text primitives (u8next is the one place that
 * decodes UTF-8), then the box and the "too small" screen.
 */
#include <assert.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "player_int.h"

/* ------------------------------------------------------------------ */
/* The terminal: open, close, and give it back whatever happens.       */

attr_t term_attr[NROLES];
static SCREEN *screen;
static volatile sig_atomic_t screen_on;
static bool handlers_installed;

static void restore_terminal(void)
{
	if (screen_on) {
		screen_on = 0;
		endwin();
	}
}

/* A fatal or terminating signal: give the terminal back, then die of it. */
static void on_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS,
				    SIGFPE, SIGABRT };
	if (handlers_installed)
		return;
	handlers_installed = true;
	atexit(restore_terminal);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

static void init_roles(bool mono)
{
	bool colour = !mono && has_colors();
	if (colour) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_YELLOW, -1);
		init_pair(2, COLOR_MAGENTA, -1);
		init_pair(3, COLOR_CYAN, -1);
		init_pair(4, COLOR_GREEN, -1);
		init_pair(5, COLOR_RED, -1);
		init_pair(6, COLOR_BLACK, COLOR_YELLOW);
		init_pair(7, COLOR_WHITE, COLOR_BLUE);
		init_pair(8, COLOR_BLACK, COLOR_CYAN);
		init_pair(9, COLOR_BLUE, -1);
	}
	for (int i = 0; i < NROLES; i++)
		term_attr[i] = A_NORMAL;
	if (colour) {
		term_attr[R_TITLE] = COLOR_PAIR(7) | A_BOLD;
		term_attr[R_SMTP] = COLOR_PAIR(1);
		term_attr[R_POP3] = COLOR_PAIR(2);
		term_attr[R_IMAP] = COLOR_PAIR(3);
		term_attr[R_DNS] = COLOR_PAIR(4);
		term_attr[R_EVENT] = A_DIM;
		term_attr[R_CUR] = A_REVERSE | A_BOLD;
		term_attr[R_FLASH] = COLOR_PAIR(6) | A_BOLD;
		term_attr[R_DOWN] = COLOR_PAIR(5) | A_BOLD;
		term_attr[R_BANNER] = COLOR_PAIR(6) | A_BOLD;
		term_attr[R_DIM] = A_DIM;
		term_attr[R_FOCUS] = COLOR_PAIR(8) | A_BOLD;
		term_attr[R_STATUS] = COLOR_PAIR(7);
		term_attr[R_HEAD] = A_BOLD;
		term_attr[R_TLS] = COLOR_PAIR(9) | A_BOLD;
		term_attr[R_PASS] = COLOR_PAIR(4);
		term_attr[R_FAIL] = COLOR_PAIR(5) | A_BOLD;
	} else {
		/* Nothing depends on colour: bold, reverse, underline, and the
		 * protocol's name in text wherever a colour would tell it. */
		term_attr[R_TITLE] = A_REVERSE | A_BOLD;
		term_attr[R_EVENT] = A_NORMAL;
		term_attr[R_CUR] = A_REVERSE | A_BOLD;
		term_attr[R_FLASH] = A_BOLD | A_UNDERLINE;
		term_attr[R_DOWN] = A_BOLD;
		term_attr[R_BANNER] = A_REVERSE;
		term_attr[R_DIM] = A_NORMAL;
		term_attr[R_FOCUS] = A_REVERSE;
		term_attr[R_STATUS] = A_REVERSE;
		term_attr[R_HEAD] = A_BOLD;
		term_attr[R_TLS] = A_UNDERLINE; /* a TLS record, without colour */
		term_attr[R_PASS] = A_NORMAL; /* the ✓ and ✗ tell them apart */
		term_attr[R_FAIL] = A_BOLD;
	}
}

attr_t term_proto_attr(enum trace_proto p)
{
	switch (p) {
	case PROTO_SMTP:
		return term_attr[R_SMTP];
	case PROTO_POP3:
		return term_attr[R_POP3];
	case PROTO_IMAP:
		return term_attr[R_IMAP];
	case PROTO_DNS:
		return term_attr[R_DNS];
	default:
		return term_attr[R_EVENT];
	}
}

void player_screen_open(bool mono)
{
	if (screen_on)
		return;
	install_handlers();
	/* The screen draws UTF-8 ("Olá", box drawing).  A terminal reached
	 * without a locale (LANG unset over SSH) is nearly always UTF-8 too. */
	setlocale(LC_CTYPE, ""); /* only the characters: numbers stay "C" */
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	if (!screen)
		screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		fputs(_("mailsim: cannot open the terminal (is TERM set?)\n"), stderr);
		exit(3);
	}
	set_term(screen);
	screen_on = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	init_roles(mono);
	clear();
}

void player_screen_close(void)
{
	if (!screen_on)
		return;
	restore_terminal();
	delscreen(screen);
	screen = NULL;
}

/* ------------------------------------------------------------------ */
/* Text: UTF-8 drawn by display columns.                               */

/* The next character of s: its length in bytes and its width.  Invalid
 * bytes and control characters count as one column (drawn as '?'). */
static size_t u8next(const char *s, size_t len, int *width, bool *bad)
{
	assert(len > 0); /* the callers stop at the end */
	unsigned char c = (unsigned char)s[0];
	*bad = false;
	if (c < 0x80) {
		*width = 1;
		*bad = c < 0x20 || c == 0x7f;
		return 1;
	}
	mbstate_t st;
	memset(&st, 0, sizeof st);
	wchar_t wc;
	size_t n = mbrtowc(&wc, s, len, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*width = 1;
		*bad = true;
		return 1;
	}
	int w = wcwidth(wc);
	if (w < 0) {
		*width = 1;
		*bad = true;
		return n;
	}
	*width = w;
	return n;
}

int term_width(const char *s, size_t len)
{
	int cols = 0, w;
	bool bad;
	for (size_t i = 0; i < len;) {
		i += u8next(s + i, len - i, &w, &bad);
		cols += w;
	}
	return cols;
}

/* The bytes of s that fit in maxw columns. */
size_t term_fit(const char *s, size_t len, int maxw)
{
	int cols = 0, w;
	bool bad;
	size_t i = 0;
	while (i < len) {
		size_t n = u8next(s + i, len - i, &w, &bad);
		if (cols + w > maxw)
			break;
		cols += w;
		i += n;
	}
	return i;
}

/* Draw s at (y, x) in at most maxw columns; returns the columns used. */
int term_putn(int y, int x, int maxw, const char *s, size_t len, attr_t a)
{
	assert(s || !len);
	if (maxw <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + maxw > COLS)
		maxw = COLS - x;
	char out[1024];
	size_t o = 0;
	int cols = 0, w;
	bool bad;
	for (size_t i = 0; i < len && o < sizeof out - 8;) {
		size_t n = u8next(s + i, len - i, &w, &bad);
		if (cols + w > maxw)
			break;
		if (bad)
			out[o++] = s[i] == '\t' ? ' ' : '?';
		else {
			memcpy(out + o, s + i, n);
			o += n;
		}
		cols += w;
		i += n;
	}
	attrset(a);
	mvaddnstr(y, x, out, (int)o);
	attrset(A_NORMAL);
	return cols;
}

int term_put(int y, int x, int maxw, const char *s, attr_t a)
{
	assert(s);
	return term_putn(y, x, maxw, s, strlen(s), a);
}

int term_put_cut(int y, int x, int maxw, const char *s, size_t len, attr_t a)
{
	if (term_width(s, len) <= maxw)
		return term_putn(y, x, maxw, s, len, a);
	if (maxw < 2)
		return 0;
	int used = term_putn(y, x, maxw - 1, s, term_fit(s, len, maxw - 1), a);
	return used + term_put(y, x + used, 1, "…", a);
}

/* n copies of a one-column UTF-8 string. */
void term_fill(int y, int x, int n, const char *ch, attr_t a)
{
	assert(ch);
	if (y < 0 || y >= LINES)
		return;
	attrset(a);
	for (int i = 0; i < n && x + i < COLS; i++)
		if (x + i >= 0)
			mvaddstr(y, x + i, ch);
	attrset(A_NORMAL);
}

/* Greedy word wrap into lines of at most w columns; '\n' breaks. */
size_t term_wrap(const char *s, size_t len, int w, struct span *out, size_t max)
{
	assert(s || !len);
	assert(out || !max);
	size_t nl = 0, i = 0;
	if (w < 1)
		return 0;
	while (i < len && nl < max) {
		while (i < len && s[i] == ' ')
			i++;
		size_t start = i, j = i, brk = 0;
		int cols = 0, cw;
		bool bad, full = false;
		while (j < len && s[j] != '\n') {
			size_t n = u8next(s + j, len - j, &cw, &bad);
			if (cols + cw > w) {
				full = true;
				break;
			}
			if (s[j] == ' ')
				brk = j;
			cols += cw;
			j += n;
		}
		size_t end = j, next = j;
		if (full && brk > start) {
			end = brk;
			next = brk + 1;
		} else if (j < len && s[j] == '\n') {
			next = j + 1;
		}
		out[nl].p = s + start;
		out[nl].n = end - start;
		nl++;
		if (next == start) /* a character wider than the line */
			next = start + 1;
		i = next;
	}
	return nl;
}

/* ------------------------------------------------------------------ */
/* A box, and the screen for a terminal too small.                     */

void term_box(int y, int x, int h, int w, const char *title)
{
	assert(title);
	for (int r = 0; r < h; r++)
		term_fill(y + r, x, w, " ", A_NORMAL);
	term_fill(y, x + 1, w - 2, "─", A_NORMAL);
	term_fill(y + h - 1, x + 1, w - 2, "─", A_NORMAL);
	for (int r = 1; r < h - 1; r++) {
		term_put(y + r, x, 1, "│", A_NORMAL);
		term_put(y + r, x + w - 1, 1, "│", A_NORMAL);
	}
	term_put(y, x, 1, "┌", A_NORMAL);
	term_put(y, x + w - 1, 1, "┐", A_NORMAL);
	term_put(y + h - 1, x, 1, "└", A_NORMAL);
	term_put(y + h - 1, x + w - 1, 1, "┘", A_NORMAL);
	char t[200];
	snprintf(t, sizeof t, " %s ", title);
	term_put(y, x + 2, w - 4, t, term_attr[R_HEAD]);
}

void term_too_small(void)
{
	char t[96];
	snprintf(t, sizeof t, _("mailsim needs at least %dx%d (now %dx%d)"), PLAYER_MIN_COLS,
		 PLAYER_MIN_LINES, COLS, LINES);
	const char *t2 = _("enlarge the window, or press q to quit");
	int w = term_width(t, strlen(t));
	term_put(LINES / 2 - 1, (COLS - w) / 2 > 0 ? (COLS - w) / 2 : 0, COLS, t, A_BOLD);
	w = term_width(t2, strlen(t2));
	term_put(LINES / 2 + 1, (COLS - w) / 2 > 0 ? (COLS - w) / 2 : 0, COLS, t2, A_NORMAL);
}
