/*
 * player.c - the terminal player and the lesson menu (ncursesw).
 *
 * The screen, at 80x24 and up (more room goes to the map, the mailboxes
 * and the note):
 *
 *   title line
 *   map          hosts as boxes, links with their latency, the token in flight
 *   conversation | mailboxes
 *   explanation  the teaching note of the current step (a `note` as a banner)
 *   status line  simulated time, step n/N, speed, playing or paused, keys
 *
 * The program is a small set of modes (PLAY, HELP, SOURCE, GOTO, QUIZ), one
 * input handler each; a handler returns what must happen next (HANDLED,
 * REDRAW, QUIT).  Panes are structs with a draw function; the layout is
 * computed from LINES and COLS at every resize.
 *
 * Time.  While playing, a step's token travels its link in
 *     clamp(0.5 s + 5 x (arrive - sent), 0.5 s, 3 s) / speed
 * of wall-clock time: a 10 ms hop lasts 0.55 s at 1x, a 120 ms hop 1.1 s,
 * anything from 500 ms up 3 s.  A step without a token (an event) stays
 * 0.4 s / speed.  `note` steps pause auto-play.  The screen never shows
 * wall-clock time: paused, the same step always draws the same screen.
 *
 * Cost.  Drawing reads the steps of the current session back from the
 * cursor (one pb_session_prev per row), a look-back of at most
 * LADDER_LOOKBACK steps to find the session, and the messages a pane shows:
 * never the whole trace.  At load, one pass over the steps notes the link
 * and server up/down events and whether DNS is used.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>

#include "buf.h"
#include "mime.h"
#include "player.h"
#include "store.h"

#define TICK_MS 30                  /* getch timeout while something moves */
#define FLASH_STEPS 3               /* a change stays highlighted this many steps */
#define LADDER_LOOKBACK 4000        /* steps searched back for the session shown */
#define TOKEN_MIN_S 0.5
#define TOKEN_MAX_S 3.0
#define TOKEN_PER_LATENCY 5.0       /* seconds of animation per simulated second */
#define EVENT_DWELL_S 0.4
#define ARRIVAL_PAUSE_S 0.15        /* the token rests at its end before the next step */
#define MAP_MIN_ROWS 7
#define HOST_DNS (UINT32_MAX - 1)   /* the map's "dns" box (not a host of the world) */

static const double speeds[PLAYER_NSPEEDS] = { 0.25, 0.5, 1, 2, 4, 8, 16 };
static const char *const speed_names[PLAYER_NSPEEDS] = { "0.25x", "0.5x", "1x", "2x",
							 "4x", "8x", "16x" };

/* ------------------------------------------------------------------ */
/* The terminal: open, close, and give it back whatever happens.       */

enum role {
	R_NORMAL, R_TITLE, R_SMTP, R_POP3, R_IMAP, R_DNS, R_EVENT, R_CUR, R_FLASH,
	R_DOWN, R_BANNER, R_DIM, R_FOCUS, R_STATUS, R_HEAD, NROLES,
};

static attr_t role_attr[NROLES];
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
	}
	for (int i = 0; i < NROLES; i++)
		role_attr[i] = A_NORMAL;
	if (colour) {
		role_attr[R_TITLE] = COLOR_PAIR(7) | A_BOLD;
		role_attr[R_SMTP] = COLOR_PAIR(1);
		role_attr[R_POP3] = COLOR_PAIR(2);
		role_attr[R_IMAP] = COLOR_PAIR(3);
		role_attr[R_DNS] = COLOR_PAIR(4);
		role_attr[R_EVENT] = A_DIM;
		role_attr[R_CUR] = A_REVERSE | A_BOLD;
		role_attr[R_FLASH] = COLOR_PAIR(6) | A_BOLD;
		role_attr[R_DOWN] = COLOR_PAIR(5) | A_BOLD;
		role_attr[R_BANNER] = COLOR_PAIR(6) | A_BOLD;
		role_attr[R_DIM] = A_DIM;
		role_attr[R_FOCUS] = COLOR_PAIR(8) | A_BOLD;
		role_attr[R_STATUS] = COLOR_PAIR(7);
		role_attr[R_HEAD] = A_BOLD;
	} else {
		/* Nothing depends on colour: bold, reverse, underline, and the
		 * protocol's name in text wherever a colour would tell it. */
		role_attr[R_TITLE] = A_REVERSE | A_BOLD;
		role_attr[R_EVENT] = A_NORMAL;
		role_attr[R_CUR] = A_REVERSE | A_BOLD;
		role_attr[R_FLASH] = A_BOLD | A_UNDERLINE;
		role_attr[R_DOWN] = A_BOLD;
		role_attr[R_BANNER] = A_REVERSE;
		role_attr[R_DIM] = A_NORMAL;
		role_attr[R_FOCUS] = A_REVERSE;
		role_attr[R_STATUS] = A_REVERSE;
		role_attr[R_HEAD] = A_BOLD;
	}
}

void player_screen_open(bool mono)
{
	if (screen_on)
		return;
	install_handlers();
	/* The screen draws UTF-8 ("Olá", box drawing).  A terminal reached
	 * without a locale (LANG unset over SSH) is nearly always UTF-8 too. */
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	if (!screen)
		screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		fputs("mailsim: cannot open the terminal (is TERM set?)\n", stderr);
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

static int text_width(const char *s, size_t len)
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
static size_t text_fit(const char *s, size_t len, int maxw)
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
static int putn(int y, int x, int maxw, const char *s, size_t len, attr_t a)
{
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

static int put(int y, int x, int maxw, const char *s, attr_t a)
{
	return putn(y, x, maxw, s, strlen(s), a);
}

/* n copies of a one-column UTF-8 string. */
static void fill(int y, int x, int n, const char *ch, attr_t a)
{
	if (y < 0 || y >= LINES)
		return;
	attrset(a);
	for (int i = 0; i < n && x + i < COLS; i++)
		if (x + i >= 0)
			mvaddstr(y, x + i, ch);
	attrset(A_NORMAL);
}

struct span {
	const char *p;
	size_t n;
};

/* Greedy word wrap into lines of at most w columns; '\n' breaks. */
static size_t wrap(const char *s, size_t len, int w, struct span *out, size_t max)
{
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

/* "0.354s", "12.000250s", from microseconds, exact. */
static void fmt_time(char *out, size_t n, int64_t us)
{
	if (us < 0)
		us = 0;
	int64_t s = us / 1000000, frac = us % 1000000;
	if (frac % 1000 == 0)
		snprintf(out, n, "%lld.%03llds", (long long)s, (long long)(frac / 1000));
	else
		snprintf(out, n, "%lld.%06llds", (long long)s, (long long)frac);
}

/* "10ms", "2.5ms", "1.2s" */
static void fmt_latency(char *out, size_t n, int64_t us)
{
	if (us >= 1000000)
		snprintf(out, n, "%lld.%llds", (long long)(us / 1000000),
			 (long long)(us % 1000000 / 100000));
	else if (us % 1000 == 0)
		snprintf(out, n, "%lldms", (long long)(us / 1000));
	else
		snprintf(out, n, "%lld.%lldms", (long long)(us / 1000), (long long)(us % 1000 / 100));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum role proto_role(enum trace_proto p)
{
	switch (p) {
	case PROTO_SMTP:
		return R_SMTP;
	case PROTO_POP3:
		return R_POP3;
	case PROTO_IMAP:
		return R_IMAP;
	case PROTO_DNS:
		return R_DNS;
	default:
		return R_EVENT;
	}
}

static const char *proto_upper(enum trace_proto p)
{
	switch (p) {
	case PROTO_SMTP:
		return "SMTP";
	case PROTO_POP3:
		return "POP3";
	case PROTO_IMAP:
		return "IMAP";
	case PROTO_DNS:
		return "DNS";
	default:
		return "";
	}
}

/* ------------------------------------------------------------------ */
/* The player's state.                                                 */

enum mode { MODE_PLAY, MODE_HELP, MODE_SOURCE, MODE_GOTO, MODE_QUIZ };
enum key_result { HANDLED, REDRAW, QUIT };
enum pane_id { PANE_MAP, PANE_LADDER, PANE_MAIL, PANE_EXPLAIN, NPANES };

struct player;
struct pane {
	const char *name;
	int y, x, h, w;
	int scroll;                 /* rows (ladder: steps; mail: owners) scrolled back */
	void (*draw)(struct player *p, struct pane *pn);
};

/* A link or server going down or up, found once at load. */
struct updown {
	size_t step;
	uint32_t a, b;              /* a server (b = PB_NONE), or a link's ends */
	bool up;
};

struct mapbox {
	uint32_t host;              /* a host index, or HOST_DNS */
	int x, y, w;                /* relative to the map pane; 3 rows high */
};

/* A message drawn in the mailbox pane (for Enter and the mouse). */
struct visible_msg {
	size_t owner, folder, index;
	int y, x, w;
};

struct player {
	struct playback *pb;
	const struct player_opts *o;
	size_t n;                   /* steps */
	size_t cur;                 /* the current step, or SIZE_MAX before the first */
	enum mode mode;
	bool playing;
	int speed;
	bool too_small;
	struct pane pane[NPANES];
	int focus;                  /* PANE_LADDER, PANE_MAIL or PANE_EXPLAIN */
	bool mail_centric;          /* many mailboxes: they get the wider pane */

	/* animation of the current step's token */
	bool animating;
	double anim_start, anim_dur;
	double next_at;             /* auto-play: when to take the next step */

	/* live mode (`mailsim serve` on a terminal): steps arrive as they
	 * happen; `playing` means following the newest one */
	bool live;
	const char *live_info;      /* the listening ports, until a client connects */
	size_t nhosts0;             /* the world's own hosts (clients come after) */
	size_t nhosts_laid;         /* hosts when the map was laid out */
	bool dirty;

	/* the map */
	struct updown *ud;
	size_t nud, capud;
	size_t scanned;             /* steps scanned for up/down and DNS */
	bool uses_dns;
	struct mapbox *box;
	size_t nbox;
	int srow;                   /* the server row's top, in the map pane */

	/* mailboxes: what the step removed, per owner */
	int *removed;
	size_t nremoved;
	struct visible_msg *vis;
	size_t nvis, capvis;
	size_t sel;                 /* the selected message among vis */

	/* the ladder's rows -> steps, for the mouse */
	size_t *ladder_step;        /* LINES entries */

	/* GOTO */
	char go[16];
	size_t golen;

	/* QUIZ: the reply being asked about */
	size_t quiz_step;

	/* SOURCE */
	struct buf src;
	struct span *srcl;
	size_t nsrcl;
	int src_scroll;
	char src_title[160];
};

static bool step_at(const struct player *p, size_t i, struct pb_step *s)
{
	return i != SIZE_MAX && pb_get_step(p->pb, i, s);
}

/* ------------------------------------------------------------------ */
/* State of the world at the cursor: servers and links up or down.      */

static bool server_up(const struct player *p, uint32_t h)
{
	bool up = true;
	for (size_t i = 0; i < p->nud && p->cur != SIZE_MAX && p->ud[i].step <= p->cur; i++)
		if (p->ud[i].b == PB_NONE && p->ud[i].a == h)
			up = p->ud[i].up;
	return up;
}

static bool link_up(const struct player *p, uint32_t a, uint32_t b)
{
	bool up = true;
	for (size_t i = 0; i < p->nud && p->cur != SIZE_MAX && p->ud[i].step <= p->cur; i++)
		if (p->ud[i].b != PB_NONE && ((p->ud[i].a == a && p->ud[i].b == b) ||
					      (p->ud[i].a == b && p->ud[i].b == a)))
			up = p->ud[i].up;
	return up;
}

static void scan_steps(struct player *p)
{
	struct pb_step s;
	for (size_t i = p->scanned; i < p->n; i++) {
		if (!pb_get_step(p->pb, i, &s))
			continue;
		if (s.proto == PROTO_DNS)
			p->uses_dns = true;
		if (!s.event)
			continue;
		bool server = !strcmp(s.event, "server-down") || !strcmp(s.event, "server-up");
		bool link = !strcmp(s.event, "link-down") || !strcmp(s.event, "link-up");
		if (!server && !link)
			continue;
		if (p->nud == p->capud) {
			p->capud = p->capud ? p->capud * 2 : 8;
			p->ud = xrealloc(p->ud, p->capud * sizeof *p->ud);
		}
		p->ud[p->nud++] = (struct updown){
			.step = i,
			.a = s.from,
			.b = server ? PB_NONE : s.to,
			.up = strstr(s.event, "-up") != NULL,
		};
	}
	p->scanned = p->n;
}

/* ------------------------------------------------------------------ */
/* Stepping.                                                           */

static size_t owner_total(const struct playback *pb, size_t o)
{
	size_t t = 0;
	for (size_t f = 0; f < pb_nfolders(pb, o); f++)
		t += pb_nmsgs(pb, o, f);
	return t;
}

/* Move the cursor; note what the last FLASH_STEPS steps removed (seek
 * there, count, seek here), so that the screen depends on the position
 * only, never on where the cursor came from. */
static void seek(struct player *p, size_t target)
{
	size_t before_n = 0;
	size_t *before = NULL;
	if (target != SIZE_MAX) {
		pb_seek(p->pb, target < FLASH_STEPS ? SIZE_MAX : target - FLASH_STEPS);
		before_n = pb_nowners(p->pb);
		before = xcalloc(before_n + 1, sizeof *before);
		for (size_t o = 0; o < before_n; o++)
			before[o] = owner_total(p->pb, o);
	}
	pb_seek(p->pb, target);
	p->cur = target;
	size_t no = pb_nowners(p->pb);
	free(p->removed);
	p->removed = xcalloc(no + 1, sizeof *p->removed);
	p->nremoved = no;
	for (size_t o = 0; o < no && o < before_n; o++) {
		size_t after = owner_total(p->pb, o);
		if (after < before[o])
			p->removed[o] = (int)(before[o] - after);
	}
	free(before);
}

static double step_seconds(const struct player *p, const struct pb_step *s)
{
	double d = EVENT_DWELL_S;
	if (!s->event || (s->from != PB_NONE && s->to != PB_NONE)) {
		double lat = (double)(s->arrive_us - s->t_us) / 1e6;
		d = TOKEN_MIN_S + lat * TOKEN_PER_LATENCY;
		if (d > TOKEN_MAX_S)
			d = TOKEN_MAX_S;
	}
	return d / speeds[p->speed];
}

static bool has_token(const struct pb_step *s)
{
	bool from_ok = s->from != PB_NONE || (s->from_name && !strcmp(s->from_name, "dns"));
	bool to_ok = s->to != PB_NONE || (s->to_name && !strcmp(s->to_name, "dns"));
	if (!from_ok || !to_ok)
		return false;
	return !s->event || !strcmp(s->event, "connect");
}

static void go_to(struct player *p, size_t target, bool animate)
{
	if (target != SIZE_MAX && target >= p->n)
		target = p->n ? p->n - 1 : SIZE_MAX;
	seek(p, target);
	p->pane[PANE_LADDER].scroll = 0;
	p->pane[PANE_EXPLAIN].scroll = 0;
	p->animating = false;
	struct pb_step s;
	if (!step_at(p, target, &s))
		return;
	double d = step_seconds(p, &s);
	double t = now_s();
	if (animate && p->o->anim && has_token(&s)) {
		p->animating = true;
		p->anim_start = t;
		p->anim_dur = d;
		p->next_at = t + d + ARRIVAL_PAUSE_S / speeds[p->speed];
	} else {
		p->next_at = t + (has_token(&s) ? d : EVENT_DWELL_S / speeds[p->speed]);
	}
	if (s.is_note && p->playing && !p->live)
		p->playing = false; /* a banner: the teacher talks, then Space */
}

/* Quiz mode stops before the first line of a server's reply. */
static bool quiz_point(const struct player *p, size_t i)
{
	struct pb_step s, c;
	if (!p->o->quiz || !step_at(p, i, &s) || s.event || s.dir != DIR_S2C || !s.session ||
	    s.proto == PROTO_DNS)
		return false;
	size_t prev = pb_session_prev(p->pb, i);
	return step_at(p, prev, &c) && !c.event && c.dir == DIR_C2S;
}

static void step_forward(struct player *p, bool animate)
{
	size_t target = p->cur == SIZE_MAX ? 0 : p->cur + 1;
	if (target >= p->n) {
		p->playing = false;
		return;
	}
	if (quiz_point(p, target)) {
		p->quiz_step = target;
		p->mode = MODE_QUIZ;
		p->playing = false;
		p->animating = false;
		return;
	}
	go_to(p, target, animate);
}

static void step_back(struct player *p)
{
	if (p->cur == SIZE_MAX)
		return;
	go_to(p, p->cur == 0 ? SIZE_MAX : p->cur - 1, false);
}

/* ------------------------------------------------------------------ */
/* The map.                                                            */

static const char *host_name(const struct player *p, uint32_t h)
{
	return h == HOST_DNS ? "dns" : pb_host(p->pb, h)->name;
}

static struct mapbox *box_of(struct player *p, uint32_t h)
{
	for (size_t i = 0; i < p->nbox; i++)
		if (p->box[i].host == h)
			return &p->box[i];
	return NULL;
}

/* Devices above their server, servers in a row (DNS at its end). */
static void map_layout(struct player *p)
{
	struct pane *pn = &p->pane[PANE_MAP];
	size_t nh = pb_nhosts(p->pb);
	p->nhosts_laid = nh;
	free(p->box);
	p->box = xcalloc(nh + 1, sizeof *p->box);
	p->nbox = 0;
	p->srow = pn->h - 3;

	/* clusters: each server with its devices, then devices without one */
	size_t ncl = 0;
	uint32_t *cl_server = xcalloc(nh + 1, sizeof *cl_server);
	for (uint32_t h = 0; h < nh; h++)
		if (pb_host(p->pb, h)->server)
			cl_server[ncl++] = h;
	for (uint32_t h = 0; h < nh; h++) {
		const struct pb_host *ph = pb_host(p->pb, h);
		if (!ph->server && (ph->home == PB_NONE || ph->home >= nh))
			cl_server[ncl++] = h; /* its own cluster */
	}
	int *clw = xcalloc(ncl + 1, sizeof *clw);
	int cap = 24, total = 0;
	for (;; cap--) {
		total = 0;
		for (size_t c = 0; c < ncl; c++) {
			const struct pb_host *sh = pb_host(p->pb, cl_server[c]);
			int sw = 0, dw = 0, nd = 0;
			int nw = text_width(sh->name, strlen(sh->name));
			if (sh->server) {
				sw = (nw < cap ? nw : cap) + 2;
				for (uint32_t h = 0; h < nh; h++) {
					const struct pb_host *d = pb_host(p->pb, h);
					if (!d->server && d->home == cl_server[c]) {
						int w = text_width(d->name, strlen(d->name));
						dw += (w < cap ? w : cap) + 2 + (nd++ ? 1 : 0);
					}
				}
			} else {
				dw = (nw < cap ? nw : cap) + 2;
			}
			clw[c] = sw > dw ? sw : dw;
			total += clw[c];
		}
		total += (int)(ncl ? ncl - 1 : 0) * 2;
		if (p->uses_dns)
			total += 2 + 5;
		if (total <= pn->w || cap <= 4)
			break;
	}
	int items = (int)ncl + (p->uses_dns ? 1 : 0);
	int gap = (pn->w - total) / (items + 1);
	if (gap < 0)
		gap = 0;
	int x = gap;
	for (size_t c = 0; c < ncl; c++) {
		uint32_t s = cl_server[c];
		const struct pb_host *sh = pb_host(p->pb, s);
		int nw = text_width(sh->name, strlen(sh->name));
		int sw = (nw < cap ? nw : cap) + 2;
		if (sh->server) {
			p->box[p->nbox++] = (struct mapbox){ s, x + (clw[c] - sw) / 2, p->srow, sw };
			int dw = 0, nd = 0;
			for (uint32_t h = 0; h < nh; h++) {
				const struct pb_host *d = pb_host(p->pb, h);
				if (!d->server && d->home == s) {
					int w = text_width(d->name, strlen(d->name));
					dw += (w < cap ? w : cap) + 2 + (nd++ ? 1 : 0);
				}
			}
			int dx = x + (clw[c] - dw) / 2;
			for (uint32_t h = 0; h < nh; h++) {
				const struct pb_host *d = pb_host(p->pb, h);
				if (!d->server && d->home == s) {
					int w = text_width(d->name, strlen(d->name));
					w = (w < cap ? w : cap) + 2;
					p->box[p->nbox++] = (struct mapbox){ h, dx, 0, w };
					dx += w + 1;
				}
			}
		} else {
			p->box[p->nbox++] = (struct mapbox){ s, x, 0, sw };
		}
		x += clw[c] + 2 + gap;
	}
	if (p->uses_dns)
		p->box[p->nbox++] = (struct mapbox){ HOST_DNS, x, p->srow, 5 };
	free(cl_server);
	free(clw);
}

/* The canvas: a direction mask per cell, drawn as box-drawing lines. */
enum { DU = 1, DD = 2, DL = 4, DR = 8 };

struct canvas {
	int h, w;
	unsigned char *m;           /* direction bits */
	unsigned char *cut;         /* 1: part of a link that is down */
};

static void cv_set(struct canvas *c, int y, int x, unsigned bits, bool cut)
{
	if (y < 0 || y >= c->h || x < 0 || x >= c->w)
		return;
	c->m[y * c->w + x] |= (unsigned char)bits;
	if (cut)
		c->cut[y * c->w + x] = 1;
}

static void cv_segment(struct canvas *c, int y0, int x0, int y1, int x1, bool cut)
{
	if (y0 == y1) {
		int a = x0 < x1 ? x0 : x1, b = x0 < x1 ? x1 : x0;
		for (int x = a; x <= b; x++)
			cv_set(c, y0, x, (x > a ? DL : 0) | (x < b ? DR : 0), cut);
	} else {
		int a = y0 < y1 ? y0 : y1, b = y0 < y1 ? y1 : y0;
		for (int y = a; y <= b; y++)
			cv_set(c, y, x0, (y > a ? DU : 0) | (y < b ? DD : 0), cut);
	}
}

static void cv_box(struct canvas *c, const struct mapbox *b)
{
	int r = b->x + b->w - 1;
	cv_segment(c, b->y, b->x, b->y, r, false);
	cv_segment(c, b->y + 2, b->x, b->y + 2, r, false);
	cv_segment(c, b->y, b->x, b->y + 2, b->x, false);
	cv_segment(c, b->y, r, b->y + 2, r, false);
}

static const char *line_char(unsigned m)
{
	static const char *const t[16] = {
		" ", "│", "│", "│", "─", "┘", "┐", "┤",
		"─", "└", "┌", "├", "─", "┴", "┬", "┼",
	};
	return t[m & 15];
}

/* The polyline from host a to host b: at most 4 points (y, x). */
static int map_path(struct player *p, uint32_t a, uint32_t b, int pts[4][2])
{
	struct mapbox *ba = box_of(p, a), *bb = box_of(p, b);
	if (!ba || !bb)
		return 0;
	int bus = p->srow - 1;
	bool a_dev = ba->y == 0, b_dev = bb->y == 0;
	if (!a_dev && !b_dev) {
		int mid = p->srow + 1;
		if (ba->x < bb->x) {
			pts[0][0] = mid, pts[0][1] = ba->x + ba->w - 1;
			pts[1][0] = mid, pts[1][1] = bb->x;
		} else {
			pts[0][0] = mid, pts[0][1] = ba->x;
			pts[1][0] = mid, pts[1][1] = bb->x + bb->w - 1;
		}
		return 2;
	}
	/* attachment points: a device's bottom (left part), a server's top centre */
	int ax = a_dev ? ba->x + (ba->w >= 5 ? 2 : ba->w / 2) : ba->x + ba->w / 2;
	int bx = b_dev ? bb->x + (bb->w >= 5 ? 2 : bb->w / 2) : bb->x + bb->w / 2;
	int ay = a_dev ? 2 : p->srow, by = b_dev ? 2 : p->srow;
	int n = 0;
	pts[n][0] = ay, pts[n++][1] = ax;
	pts[n][0] = bus, pts[n++][1] = ax;
	pts[n][0] = bus, pts[n++][1] = bx;
	pts[n][0] = by, pts[n++][1] = bx;
	return n;
}

/* Expand a polyline into its cells; returns how many (at most max). */
static int path_cells(int pts[4][2], int npts, int (*cells)[2], int max)
{
	int n = 0;
	for (int i = 0; i + 1 < npts; i++) {
		int y = pts[i][0], x = pts[i][1];
		int ty = pts[i + 1][0], tx = pts[i + 1][1];
		while (n < max) {
			if (n == 0 || cells[n - 1][0] != y || cells[n - 1][1] != x) {
				cells[n][0] = y;
				cells[n][1] = x;
				n++;
			}
			if (y == ty && x == tx)
				break;
			y += (ty > y) - (ty < y);
			x += (tx > x) - (tx < x);
		}
	}
	return n;
}

/* The token's label: the command or the reply, short. */
static void token_label(const struct pb_step *s, char *out, size_t n)
{
	const char *t = s->text;
	size_t len = s->text_len, k = 0;
	if (s->event) {
		snprintf(out, n, "%s", s->event);
		return;
	}
	if (s->proto == PROTO_DNS) {
		bool nx = memmem(t, len, "NXDOMAIN", 8) != NULL;
		snprintf(out, n, "%s", s->dir == DIR_C2S ? "MX?" : nx ? "NXDOMAIN" : "MX");
		return;
	}
	int words = 1;
	if (s->proto == PROTO_SMTP && (len >= 9 && (!strncasecmp(t, "MAIL FROM", 9) ||
						    !strncasecmp(t, "RCPT TO", 7)))) {
		words = 2;
	} else if (s->proto == PROTO_IMAP) {
		words = 2;
		if (len > 2 && t[0] == '*' && t[2] >= '0' && t[2] <= '9')
			words = 3;
	} else if (s->proto == PROTO_SMTP && s->dir == DIR_S2C) {
		k = len < 3 ? len : 3;
		goto copy;
	}
	for (int w = 0; k < len; k++) {
		if (t[k] == ' ' && ++w == words)
			break;
		if (t[k] == ':' && words == 2 && s->proto == PROTO_SMTP)
			break;
	}
copy:
	if (k > 14)
		k = text_fit(t, k, 14);
	snprintf(out, n, "%.*s", (int)k, t);
}

static void draw_map(struct player *p, struct pane *pn)
{
	struct canvas c = { pn->h, pn->w, xcalloc((size_t)(pn->h * pn->w), 1),
			    xcalloc((size_t)(pn->h * pn->w), 1) };
	char lab[32];
	int pts[4][2];
	/* links: devices to their server, servers side by side */
	for (size_t i = 0; i < p->nbox; i++)
		cv_box(&c, &p->box[i]);
	for (size_t i = 0; i < pb_nlinks(p->pb); i++) {
		const struct pb_link *l = pb_link(p->pb, i);
		struct mapbox *a = box_of(p, l->a), *b = box_of(p, l->b);
		if (!a || !b)
			continue;
		bool adjacent = true;
		if (a->y == p->srow && b->y == p->srow) {
			int lo = a->x < b->x ? a->x : b->x, hi = a->x < b->x ? b->x : a->x;
			for (size_t k = 0; k < p->nbox; k++)
				if (p->box[k].y == p->srow && p->box[k].x > lo && p->box[k].x < hi)
					adjacent = false;
		} else {
			const struct pb_host *ha = pb_host(p->pb, l->a), *hb = pb_host(p->pb, l->b);
			adjacent = ha->home == l->b || hb->home == l->a;
		}
		if (!adjacent)
			continue;
		int np = map_path(p, l->a, l->b, pts);
		bool cut = !link_up(p, l->a, l->b);
		for (int k = 0; k + 1 < np; k++)
			cv_segment(&c, pts[k][0], pts[k][1], pts[k + 1][0], pts[k + 1][1], cut);
	}
	for (int y = 0; y < c.h; y++)
		for (int x = 0; x < c.w; x++)
			if (c.m[y * c.w + x])
				fill(pn->y + y, pn->x + x, 1, line_char(c.m[y * c.w + x]),
				     c.cut[y * c.w + x] ? role_attr[R_DOWN] : A_NORMAL);
	/* latency labels and cuts */
	for (size_t i = 0; i < pb_nlinks(p->pb); i++) {
		const struct pb_link *l = pb_link(p->pb, i);
		struct mapbox *a = box_of(p, l->a), *b = box_of(p, l->b);
		if (!a || !b)
			continue;
		bool cut = !link_up(p, l->a, l->b);
		if (cut)
			snprintf(lab, sizeof lab, "╳cut");
		else
			fmt_latency(lab, sizeof lab, l->latency_us);
		int lw = text_width(lab, strlen(lab));
		attr_t at = cut ? role_attr[R_DOWN] : role_attr[R_DIM];
		if (a->y == 0 || b->y == 0) {
			struct mapbox *d = a->y == 0 ? a : b;
			uint32_t dh = a->y == 0 ? l->a : l->b, sh = a->y == 0 ? l->b : l->a;
			if (pb_host(p->pb, dh)->home != sh)
				continue;
			int lx = d->x + 4;
			if (lx + lw <= d->x + d->w - 1)
				put(pn->y + 2, pn->x + lx, lw, lab, at);
		} else {
			struct mapbox *lft = a->x < b->x ? a : b, *rgt = a->x < b->x ? b : a;
			int x0 = lft->x + lft->w, x1 = rgt->x - 1;
			if (x1 - x0 + 1 >= lw + 2)
				put(pn->y + p->srow + 1, pn->x + x0 + (x1 - x0 + 1 - lw) / 2, lw, lab, at);
		}
	}
	/* names, and servers that are down */
	for (size_t i = 0; i < p->nbox; i++) {
		struct mapbox *b = &p->box[i];
		bool down = b->host != HOST_DNS && !server_up(p, b->host);
		attr_t at = down ? role_attr[R_DOWN] : role_attr[R_HEAD];
		put(pn->y + b->y + 1, pn->x + b->x + 1, b->w - 2, host_name(p, b->host), at);
		if (down) {
			put(pn->y + b->y, pn->x + b->x + 1, b->w - 2, "DOWN", role_attr[R_DOWN]);
			put(pn->y + b->y + 2, pn->x + b->x + 1, b->w - 2, "DOWN", role_attr[R_DOWN]);
		}
	}
	/* the token */
	struct pb_step s;
	if (step_at(p, p->cur, &s) && has_token(&s)) {
		uint32_t from = s.from != PB_NONE ? s.from : HOST_DNS;
		uint32_t to = s.to != PB_NONE ? s.to : HOST_DNS;
		int np = map_path(p, from, to, pts);
		int cells[512][2];
		int nc = path_cells(pts, np, cells, 512);
		if (nc > 0) {
			double f = 1;
			if (p->animating && p->anim_dur > 0) {
				f = (now_s() - p->anim_start) / p->anim_dur;
				if (f > 1)
					f = 1;
			}
			int k = (int)(f * (nc - 1) + 0.5);
			int dy = 0, dx = 0;
			if (nc > 1) {
				int k0 = k > 0 ? k - 1 : 0, k1 = k > 0 ? k : 1;
				dy = cells[k1][0] - cells[k0][0];
				dx = cells[k1][1] - cells[k0][1];
			}
			char t[40], full[64];
			token_label(&s, t, sizeof t);
			if (dx > 0)
				snprintf(full, sizeof full, "%s►", t);
			else if (dx < 0)
				snprintf(full, sizeof full, "◄%s", t);
			else if (dy > 0)
				snprintf(full, sizeof full, "%s▼", t);
			else
				snprintf(full, sizeof full, "%s▲", t);
			int lw = text_width(full, strlen(full));
			int y = cells[k][0], x = cells[k][1];
			if (dx > 0)
				x = x - lw + 1;
			else if (dx == 0)
				x = x - lw / 2;
			if (x + lw > pn->w)
				x = pn->w - lw;
			if (x < 0)
				x = 0;
			put(pn->y + y, pn->x + x, lw, full,
			    role_attr[proto_role(s.proto)] | A_REVERSE | A_BOLD);
		}
	}
	free(c.m);
	free(c.cut);
}

/* ------------------------------------------------------------------ */
/* Pane titles.                                                        */

static void pane_title(struct player *p, struct pane *pn, int id, const char *text)
{
	attr_t a = p->focus == id ? role_attr[R_FOCUS] : role_attr[R_HEAD];
	fill(pn->y, pn->x, pn->w, "─", role_attr[R_DIM]);
	char t[256];
	snprintf(t, sizeof t, " %s ", text);
	put(pn->y, pn->x + 1, pn->w - 2, t, a);
}

/* ------------------------------------------------------------------ */
/* The conversation: a ladder diagram of the current session.          */

/* The protocol line shown: the cursor's, or the last one before it. */
static size_t ladder_anchor(const struct player *p)
{
	struct pb_step s;
	size_t i = p->cur;
	for (int k = 0; i != SIZE_MAX && k < LADDER_LOOKBACK; k++, i--) {
		if (pb_get_step(p->pb, i, &s) && !s.event && s.session)
			return i;
		if (i == 0)
			break;
	}
	return SIZE_MAX;
}

static void draw_ladder_row(struct player *p, struct pane *pn, int y, const struct pb_step *s,
			    bool current)
{
	int w = pn->w;
	attr_t pa = role_attr[proto_role(s->proto)];
	attr_t ta = current ? role_attr[R_CUR] : A_NORMAL;
	if (current)
		fill(y, pn->x, w, " ", ta);
	put(y, pn->x, 1, "│", current ? ta : pa);
	put(y, pn->x + w - 1, 1, "│", current ? ta : pa);
	int tw = w - 8;
	size_t fit = text_fit(s->text, s->text_len, tw);
	int used = text_width(s->text, fit);
	if (s->dir == DIR_C2S) {
		put(y, pn->x + 1, 2, "─ ", current ? ta : pa);
		putn(y, pn->x + 3, tw, s->text, fit, ta);
		int x = pn->x + 3 + used + 1;
		fill(y, x, pn->x + w - 2 - x, "─", current ? ta : pa);
		put(y, pn->x + w - 2, 1, "►", current ? ta : pa | A_BOLD);
	} else {
		put(y, pn->x + 1, 3, "◄─ ", current ? ta : pa | A_BOLD);
		putn(y, pn->x + 4, tw, s->text, fit, ta);
		int x = pn->x + 4 + used + 1;
		fill(y, x, pn->x + w - 1 - x, "─", current ? ta : pa);
	}
	(void)p;
}

/* The last protocol line of a session before step i (or SIZE_MAX). */
static size_t ladder_anchor_before(const struct player *p, size_t i)
{
	struct pb_step s;
	for (int k = 0; i != SIZE_MAX && i > 0 && k < LADDER_LOOKBACK; k++) {
		i--;
		if (pb_get_step(p->pb, i, &s) && !s.event && s.session)
			return i;
	}
	return SIZE_MAX;
}

static void draw_ladder(struct player *p, struct pane *pn)
{
	struct pb_step s;
	size_t a = ladder_anchor(p);
	for (int y = 0; y < LINES; y++)
		p->ladder_step[y] = SIZE_MAX;

	/* the bottom row: the anchor, scrolled back - past the start of its
	 * session into the ones before, so the whole run can be read back */
	size_t bottom = a;
	for (int k = 0; bottom != SIZE_MAX && k < pn->scroll; k++) {
		size_t q = pb_session_prev(p->pb, bottom);
		if (q == SIZE_MAX) {
			size_t first = bottom;
			while ((q = pb_session_prev(p->pb, first)) != SIZE_MAX)
				first = q;
			q = ladder_anchor_before(p, first);
		}
		if (q == SIZE_MAX) {
			pn->scroll = k;
			break;
		}
		bottom = q;
	}
	if (!step_at(p, bottom, &s)) {
		pane_title(p, pn, PANE_LADDER, "Conversation");
		put(pn->y + 2, pn->x + 2, pn->w - 4, "No conversation yet.", role_attr[R_DIM]);
		return;
	}
	char t[200];
	snprintf(t, sizeof t, "%s%s session %u%s", pn->w >= 44 ? "Conversation · " : "",
		 proto_upper(s.proto), s.session, pn->scroll ? " (scrolled back)" : "");
	pane_title(p, pn, PANE_LADDER, t);
	const char *client = s.dir == DIR_C2S ? s.from_name : s.to_name;
	const char *server = s.dir == DIR_C2S ? s.to_name : s.from_name;
	int sw = text_width(server, strlen(server));
	if (sw > pn->w / 2 - 1)
		sw = pn->w / 2 - 1;
	put(pn->y + 1, pn->x, pn->w / 2 - 1, client, role_attr[R_HEAD]);
	put(pn->y + 1, pn->x + pn->w - sw, sw, server, role_attr[R_HEAD]);

	int rows = pn->h - 2;
	size_t *idx = xcalloc((size_t)rows + 1, sizeof *idx);
	int nr = 0;
	for (size_t q = bottom; q != SIZE_MAX && nr < rows; q = pb_session_prev(p->pb, q))
		idx[nr++] = q;
	for (int r = 0; r < nr; r++) {
		size_t q = idx[nr - 1 - r];
		int y = pn->y + 2 + r;
		if (step_at(p, q, &s)) {
			draw_ladder_row(p, pn, y, &s, q == p->cur);
			p->ladder_step[y] = q;
		}
	}
	for (int r = nr; r < rows; r++) {
		put(pn->y + 2 + r, pn->x, 1, "│", role_attr[R_DIM]);
		put(pn->y + 2 + r, pn->x + pn->w - 1, 1, "│", role_attr[R_DIM]);
	}
	free(idx);
}

/* ------------------------------------------------------------------ */
/* The explanation of the current step.                                */

static void draw_explain(struct player *p, struct pane *pn)
{
	struct pb_step s;
	char t[512];
	struct span lines[64];
	struct buf text;
	buf_init(&text);
	attr_t body = A_NORMAL;
	if (p->mode == MODE_QUIZ && step_at(p, p->quiz_step, &s)) {
		struct pb_step c;
		size_t prev = pb_session_prev(p->pb, p->quiz_step);
		snprintf(t, sizeof t, "QUIZ · %s · %s answers", proto_upper(s.proto), s.from_name);
		pane_title(p, pn, PANE_EXPLAIN, t);
		const char *hint = s.proto == PROTO_SMTP   ? "2xx, 3xx, 4xx or 5xx?"
				   : s.proto == PROTO_POP3 ? "+OK or -ERR?"
							   : "OK, NO or BAD?";
		if (step_at(p, prev, &c))
			buf_printf(&text, "%.*s  —  what will the server answer? %s\n",
				   (int)c.text_len, c.text, hint);
		buf_adds(&text, "Ask the class, then press any key to reveal the answer.");
		body = role_attr[R_BANNER];
	} else if (p->live && p->live_info && pb_nhosts(p->pb) == p->nhosts0) {
		pane_title(p, pn, PANE_EXPLAIN, "LIVE · listening");
		buf_adds(&text, p->live_info);
		buf_adds(&text, "Connect a client (telnet, nc, a mail client) to a port above: it "
				"appears on the map. Space follows or pauses, q stops serve.");
	} else if (!step_at(p, p->cur, &s)) {
		pane_title(p, pn, PANE_EXPLAIN, "Explanation");
		buf_printf(&text, "%s: %zu steps. Space plays, n steps forward, ? lists the keys.",
			   p->o->title, p->n);
	} else if (s.is_note) {
		pane_title(p, pn, PANE_EXPLAIN, "Note");
		buf_adds(&text, "NOTE  ");
		buf_add(&text, s.text, s.text_len);
		buf_adds(&text, "\n(auto-play pauses here: Space goes on)");
		body = role_attr[R_BANNER];
	} else {
		if (s.event)
			snprintf(t, sizeof t, "Step %zu · %s at %s", s.index + 1, s.event, s.from_name);
		else
			snprintf(t, sizeof t, "Step %zu · %s · %s %s %s", s.index + 1,
				 proto_upper(s.proto), s.from_name, "→", s.to_name ? s.to_name : "");
		pane_title(p, pn, PANE_EXPLAIN, t);
		if (s.event)
			buf_printf(&text, "* %s: ", s.event);
		buf_add(&text, s.text, s.text_len);
		buf_addc(&text, '\n');
		if (s.note)
			buf_adds(&text, s.note);
	}
	size_t nl = wrap(text.p, text.len, pn->w - 2, lines, 64);
	int rows = pn->h - 1;
	if (pn->scroll > (int)nl - rows)
		pn->scroll = (int)nl - rows > 0 ? (int)nl - rows : 0;
	for (int r = 0; r < rows; r++) {
		size_t li = (size_t)(r + pn->scroll);
		if (body != A_NORMAL)
			fill(pn->y + 1 + r, pn->x, pn->w, " ", body);
		if (li >= nl)
			continue;
		attr_t a = body;
		if (li == 0 && body == A_NORMAL && step_at(p, p->cur, &s) && !s.event)
			a = role_attr[proto_role(s.proto)] | A_BOLD;
		putn(pn->y + 1 + r, pn->x + 1, pn->w - 2, lines[li].p, lines[li].n, a);
	}
	if ((int)nl > rows + pn->scroll)
		put(pn->y + pn->h - 1, pn->x + pn->w - 1, 1, "↓", role_attr[R_HEAD]);
	buf_free(&text);
}

/* ------------------------------------------------------------------ */
/* The mailboxes: each owner's folders and messages, in columns.       */

static void flags_text(uint32_t f, char out[4])
{
	out[0] = f & STORE_FLAG_SEEN ? 'S' : '.';
	out[1] = f & STORE_FLAG_FLAGGED ? 'F' : '.';
	out[2] = f & STORE_FLAG_DELETED ? 'D' : '.';
	out[3] = 0;
}

static bool flashing(const struct player *p, size_t changed_at)
{
	return p->cur != SIZE_MAX && changed_at <= p->cur && p->cur - changed_at < FLASH_STEPS;
}

enum mline_kind { ML_OWNER, ML_FOLDER, ML_MSG, ML_MORE, ML_EMPTY };
struct mline {
	enum mline_kind kind;
	size_t folder, index, more;
};

/* The lines of one owner's block, at most max. */
static size_t owner_lines(struct player *p, size_t o, struct mline *ml, size_t max)
{
	size_t n = 0, nf = pb_nfolders(p->pb, o), shown = 0;
	ml[n++] = (struct mline){ ML_OWNER, 0, 0, 0 };
	size_t nonempty = 0;
	for (size_t f = 0; f < nf; f++)
		nonempty += pb_nmsgs(p->pb, o, f) > 0;
	for (size_t f = 0; f < nf && n < max; f++) {
		size_t nm = pb_nmsgs(p->pb, o, f);
		if (!nm)
			continue;
		const char *fname = pb_folder(p->pb, o, f);
		if (nonempty > 1 || strcmp(fname, "INBOX") != 0)
			ml[n++] = (struct mline){ ML_FOLDER, f, 0, nm };
		size_t room = max > n ? max - n : 0;
		size_t first = 0;
		if (nm > room) { /* the newest messages, and how many more */
			first = nm - (room > 1 ? room - 1 : 0);
			if (n < max)
				ml[n++] = (struct mline){ ML_MORE, f, 0, first };
		}
		for (size_t i = first; i < nm && n < max; i++, shown++)
			ml[n++] = (struct mline){ ML_MSG, f, i, 0 };
	}
	if (!shown && n < max)
		ml[n++] = (struct mline){ ML_EMPTY, 0, 0, 0 };
	return n;
}

static void draw_mail(struct player *p, struct pane *pn)
{
	size_t no = pb_nowners(p->pb);
	char t[160];
	snprintf(t, sizeof t, "Mailboxes (%zu)", no);
	pane_title(p, pn, PANE_MAIL, t); /* the ladder's right line separates */
	p->nvis = 0;
	int x0 = pn->x + 2, w = pn->w - 2, rows = pn->h - 1;
	if (!no) {
		put(pn->y + 2, x0, w, "No mail yet.", role_attr[R_DIM]);
		return;
	}
	int ncol = w / 22 > 0 ? w / 22 : 1;
	if (ncol > 4)
		ncol = 4;
	int colw = (w - (ncol - 1)) / ncol;
	if (pn->scroll >= (int)no)
		pn->scroll = (int)no - 1;
	if (pn->scroll < 0)
		pn->scroll = 0;
	struct mline *ml = xcalloc((size_t)rows + 2, sizeof *ml);
	int col = 0, y = 0;
	size_t o;
	for (o = (size_t)pn->scroll; o < no; o++) {
		size_t room = (size_t)(rows - y);
		size_t want = owner_lines(p, o, ml, (size_t)rows);
		if (want > room && y > 0) {
			if (++col >= ncol)
				break;
			y = 0;
			room = (size_t)rows;
		}
		size_t nl = owner_lines(p, o, ml, room);
		int cx = x0 + col * (colw + 1);
		for (size_t k = 0; k < nl; k++) {
			int yy = pn->y + 1 + y + (int)k;
			struct mline *m = &ml[k];
			if (m->kind == ML_OWNER) {
				bool dev;
				const char *name = pb_owner(p->pb, o, &dev);
				int used = put(yy, cx, colw, name, role_attr[R_HEAD] | A_UNDERLINE);
				if (o < p->nremoved && p->removed[o]) {
					snprintf(t, sizeof t, " −%d", p->removed[o]);
					put(yy, cx + used, colw - used, t, role_attr[R_FLASH]);
				} else if (used + 9 <= colw) {
					put(yy, cx + used, colw - used, dev ? " (device)" : " (server)",
					    role_attr[R_DIM]);
				}
			} else if (m->kind == ML_FOLDER) {
				snprintf(t, sizeof t, " %s (%zu)", pb_folder(p->pb, o, m->folder), m->more);
				put(yy, cx, colw, t, role_attr[R_HEAD]);
			} else if (m->kind == ML_MORE) {
				snprintf(t, sizeof t, "  … %zu older", m->more);
				put(yy, cx, colw, t, role_attr[R_DIM]);
			} else if (m->kind == ML_EMPTY) {
				put(yy, cx, colw, "  (empty)", role_attr[R_DIM]);
			} else {
				struct pb_msg msg;
				if (!pb_get_msg(p->pb, o, m->folder, m->index, &msg))
					continue;
				char fl[4];
				flags_text(msg.flags, fl);
				bool sel = p->focus == PANE_MAIL && p->nvis == p->sel;
				attr_t a = flashing(p, msg.changed_at) ? role_attr[R_FLASH] : A_NORMAL;
				if (sel)
					a = role_attr[R_CUR];
				if (!(msg.flags & STORE_FLAG_SEEN))
					a |= A_BOLD;
				snprintf(t, sizeof t, " %s %s", fl, msg.subject ? msg.subject : "(no subject)");
				fill(yy, cx, colw, " ", a);
				put(yy, cx, colw, t, a);
				if (p->nvis == p->capvis) {
					p->capvis = p->capvis ? p->capvis * 2 : 32;
					p->vis = xrealloc(p->vis, p->capvis * sizeof *p->vis);
				}
				p->vis[p->nvis++] = (struct visible_msg){ o, m->folder, m->index, yy, cx, colw };
			}
		}
		y += (int)nl;
		if (y < rows)
			y++; /* a blank line between owners */
	}
	if (o < no)
		put(pn->y + pn->h - 1, pn->x + pn->w - 1, 1, "↓", role_attr[R_HEAD]);
	if (pn->scroll > 0)
		put(pn->y + 1, pn->x + pn->w - 1, 1, "↑", role_attr[R_HEAD]);
	if (p->sel >= p->nvis)
		p->sel = p->nvis ? p->nvis - 1 : 0;
	free(ml);
}

/* ------------------------------------------------------------------ */
/* Title, status line, overlays.                                       */

static void draw_title(struct player *p)
{
	fill(0, 0, COLS, " ", role_attr[R_TITLE]);
	char t[256];
	snprintf(t, sizeof t, " mailsim · %s%s", p->o->title, p->o->quiz ? "  [quiz]" : "");
	put(0, 0, COLS, t, role_attr[R_TITLE]);
	if (!p->o->mono && has_colors()) {
		static const struct {
			const char *n;
			enum role r;
		} legend[] = { { "SMTP", R_SMTP }, { "POP3", R_POP3 }, { "IMAP", R_IMAP }, { "DNS", R_DNS } };
		int x = COLS - 21;
		for (size_t i = 0; i < 4; i++) {
			put(0, x, 5, legend[i].n, role_attr[legend[i].r] | A_REVERSE | A_BOLD);
			x += (int)strlen(legend[i].n) + 1;
		}
	}
}

static void draw_status(struct player *p)
{
	int y = LINES - 1;
	fill(y, 0, COLS, " ", role_attr[R_STATUS]);
	if (p->mode == MODE_GOTO) {
		char t[80];
		snprintf(t, sizeof t, " Go to step (1-%zu): %.*s_   Enter go  Esc cancel", p->n,
			 (int)p->golen, p->go);
		put(y, 0, COLS, t, role_attr[R_STATUS]);
		return;
	}
	struct pb_step s;
	char tm[32], t[256];
	fmt_time(tm, sizeof tm, step_at(p, p->cur, &s) ? s.t_us : 0);
	if (p->live)
		snprintf(t, sizeof t, " LIVE  t=%s  step %zu/%zu  %s", tm,
			 p->cur == SIZE_MAX ? 0 : p->cur + 1, p->n,
			 p->playing ? "▶ following" : "‖ paused");
	else
		snprintf(t, sizeof t, " t=%s  step %zu/%zu  %s  %s", tm,
			 p->cur == SIZE_MAX ? 0 : p->cur + 1, p->n, speed_names[p->speed],
			 p->mode == MODE_QUIZ ? "? quiz" : p->playing ? "▶ playing" : "‖ paused");
	int used = put(y, 0, COLS, t, role_attr[R_STATUS] | A_BOLD);
	const char *keys = p->live	  ? "Space follow  n/p step  Tab pane  ? help  q stop "
			   : COLS >= 100 ? "Space play  n/p step  +/- speed  Tab pane  ? help  q quit "
					 : "Space play  n/p step  ? help  q quit ";
	int kw = text_width(keys, strlen(keys));
	if (used + 2 + kw <= COLS)
		put(y, COLS - kw, kw, keys, role_attr[R_STATUS]);
	else if (used + 18 <= COLS)
		put(y, COLS - 17, 17, "? help  q quit ", role_attr[R_STATUS]);
}

static void draw_box(int y, int x, int h, int w, const char *title)
{
	for (int r = 0; r < h; r++)
		fill(y + r, x, w, " ", A_NORMAL);
	fill(y, x + 1, w - 2, "─", A_NORMAL);
	fill(y + h - 1, x + 1, w - 2, "─", A_NORMAL);
	for (int r = 1; r < h - 1; r++) {
		put(y + r, x, 1, "│", A_NORMAL);
		put(y + r, x + w - 1, 1, "│", A_NORMAL);
	}
	put(y, x, 1, "┌", A_NORMAL);
	put(y, x + w - 1, 1, "┐", A_NORMAL);
	put(y + h - 1, x, 1, "└", A_NORMAL);
	put(y + h - 1, x + w - 1, 1, "┘", A_NORMAL);
	char t[200];
	snprintf(t, sizeof t, " %s ", title);
	put(y, x + 2, w - 4, t, role_attr[R_HEAD]);
}

static const char *const help_lines[] = {
	"Space        play / pause",
	"Right  n     next step",
	"Left   p     previous step (exact: replayed from the trace)",
	"+  -         speed, 0.25x to 16x",
	"Home  End    the start, the last step",
	"g            go to a step by number",
	"Tab          focus: conversation, mailboxes, explanation",
	"Up Down      scroll the focused pane / choose a message",
	"PgUp PgDn    scroll by a page",
	"Enter        the selected message's full source",
	"mouse        click a pane, a ladder line or a message",
	"?            this help        q  quit",
	"",
	"Mailboxes: flags S seen, F flagged, D deleted ('.' not set);",
	"unread messages in bold; a change is highlighted for 3 steps;",
	"'−N' beside a mailbox: N messages left it in those 3 steps.",
	"Ladder: ──► a command (client to server), ◄── a reply.",
	"Colours: SMTP yellow, POP3 magenta, IMAP cyan, DNS green.",
};

/* Live mode (serve) says its own words for a few keys. */
static const char *help_line(bool live, int i)
{
	if (live && i == 0)
		return "Space        follow the newest step / pause (LIVE)";
	if (live && i == 3)
		return "+  -         (none: live runs on the real clock)";
	if (live && i == 4)
		return "Home  End    the start, the newest step (and follow)";
	if (live && i == 11)
		return "?            this help        q  stop serve";
	return help_lines[i];
}

static void draw_help(bool live)
{
	int n = (int)(sizeof help_lines / sizeof help_lines[0]);
	int w = 66, h = n + 4;
	if (w > COLS)
		w = COLS;
	int y = (LINES - h) / 2, x = (COLS - w) / 2;
	draw_box(y, x, h, w, "Keys");
	for (int i = 0; i < n; i++)
		put(y + 2 + i, x + 2, w - 4, help_line(live, i), A_NORMAL);
	put(y + h - 1, x + w - 22, 20, " any key closes ", role_attr[R_HEAD]);
}

static void draw_source(struct player *p)
{
	int y = 1, x = 1, h = LINES - 2, w = COLS - 2;
	draw_box(y, x, h, w, p->src_title);
	int rows = h - 2;
	if (p->src_scroll > (int)p->nsrcl - rows)
		p->src_scroll = (int)p->nsrcl - rows;
	if (p->src_scroll < 0)
		p->src_scroll = 0;
	for (int r = 0; r < rows && (size_t)(r + p->src_scroll) < p->nsrcl; r++) {
		struct span *l = &p->srcl[r + p->src_scroll];
		const char *arrow = memmem(l->p, l->n, "  ⇒ ", strlen("  ⇒ "));
		if (arrow) {
			int used = putn(y + 1 + r, x + 1, w - 2, l->p, (size_t)(arrow - l->p), A_NORMAL);
			putn(y + 1 + r, x + 1 + used, w - 2 - used, arrow, l->n - (size_t)(arrow - l->p),
			     role_attr[R_FLASH]);
		} else {
			putn(y + 1 + r, x + 1, w - 2, l->p, l->n, A_NORMAL);
		}
	}
	put(y + h - 1, x + 2, w - 4, " Up/Down PgUp/PgDn scroll   q Esc Enter close ",
	    role_attr[R_HEAD]);
}

static void open_source(struct player *p)
{
	if (p->sel >= p->nvis)
		return;
	struct visible_msg *v = &p->vis[p->sel];
	struct pb_msg m;
	if (!pb_get_msg(p->pb, v->owner, v->folder, v->index, &m) || !m.content)
		return;
	bool dev;
	snprintf(p->src_title, sizeof p->src_title, "%s · %s · %s", pb_owner(p->pb, v->owner, &dev),
		 pb_folder(p->pb, v->owner, v->folder), m.subject ? m.subject : "(no subject)");
	buf_clear(&p->src);
	bool headers = true;
	struct buf dec;
	buf_init(&dec);
	for (size_t i = 0; i < m.content_len;) {
		const char *nl = memchr(m.content + i, '\n', m.content_len - i);
		size_t end = nl ? (size_t)(nl - m.content) : m.content_len;
		size_t n = end - i;
		if (n && m.content[i + n - 1] == '\r')
			n--;
		const char *line = m.content + i;
		buf_add(&p->src, line, n);
		if (!n)
			headers = false;
		if (headers && memmem(line, n, "=?", 2)) {
			const char *colon = memchr(line, ':', n);
			size_t off = colon ? (size_t)(colon - line) + 1 : 0;
			buf_clear(&dec);
			mime_decode_header_value(&dec, line + off, n - off);
			buf_adds(&p->src, "  ⇒ ");
			buf_add(&p->src, dec.p, dec.len);
		}
		buf_addc(&p->src, '\n');
		i = end + 1;
	}
	/* a body sent as quoted-printable or base64: decoded, after the source */
	const char *cte = NULL;
	size_t hdr_end = m.content_len;
	const char *blank = memmem(m.content, m.content_len, "\r\n\r\n", 4);
	size_t skip = 4;
	if (!blank) {
		blank = memmem(m.content, m.content_len, "\n\n", 2);
		skip = 2;
	}
	if (blank)
		hdr_end = (size_t)(blank - m.content);
	for (const char *q = m.content; q && q < m.content + hdr_end;) {
		if (!strncasecmp(q, "Content-Transfer-Encoding:", 26)) {
			cte = q + 26;
			break;
		}
		q = memchr(q, '\n', hdr_end - (size_t)(q - m.content));
		q = q ? q + 1 : NULL;
	}
	if (blank && cte) {
		while (*cte == ' ' || *cte == '\t')
			cte++;
		const char *body = blank + skip;
		size_t blen = m.content_len - (size_t)(body - m.content);
		buf_clear(&dec);
		int rc = -1;
		if (!strncasecmp(cte, "quoted-printable", 16))
			rc = mime_qp_decode(&dec, body, blen);
		else if (!strncasecmp(cte, "base64", 6))
			rc = mime_base64_decode(&dec, body, blen);
		if (rc == 0) {
			buf_adds(&p->src, "\n── the body decoded  ⇒ ──\n");
			for (size_t i = 0; i < dec.len; i++)
				if (dec.p[i] != '\r')
					buf_addc(&p->src, dec.p[i]);
			buf_addc(&p->src, '\n');
		}
	}
	buf_free(&dec);
	/* split into lines (no wrapping: the source as it is) */
	size_t cap = 16;
	p->nsrcl = 0;
	p->srcl = xrealloc(p->srcl, cap * sizeof *p->srcl);
	for (size_t i = 0; i < p->src.len;) {
		const char *nl = memchr(p->src.p + i, '\n', p->src.len - i);
		size_t end = nl ? (size_t)(nl - p->src.p) : p->src.len;
		if (p->nsrcl == cap) {
			cap *= 2;
			p->srcl = xrealloc(p->srcl, cap * sizeof *p->srcl);
		}
		p->srcl[p->nsrcl++] = (struct span){ p->src.p + i, end - i };
		i = end + 1;
	}
	p->src_scroll = 0;
	p->mode = MODE_SOURCE;
}

static void draw_too_small(void)
{
	char t[96];
	snprintf(t, sizeof t, "mailsim needs at least %dx%d (now %dx%d)", PLAYER_MIN_COLS,
		 PLAYER_MIN_LINES, COLS, LINES);
	const char *t2 = "enlarge the window, or press q to quit";
	int w = (int)strlen(t);
	put(LINES / 2 - 1, (COLS - w) / 2 > 0 ? (COLS - w) / 2 : 0, COLS, t, A_BOLD);
	w = (int)strlen(t2);
	put(LINES / 2 + 1, (COLS - w) / 2 > 0 ? (COLS - w) / 2 : 0, COLS, t2, A_NORMAL);
}

/* ------------------------------------------------------------------ */
/* Layout and drawing.                                                 */

static void layout(struct player *p)
{
	int W = COLS, H = LINES;
	p->too_small = W < PLAYER_MIN_COLS || H < PLAYER_MIN_LINES;
	free(p->ladder_step);
	p->ladder_step = xcalloc((size_t)(H > 0 ? H : 1), sizeof *p->ladder_step);
	if (p->too_small)
		return;
	int extra = H - PLAYER_MIN_LINES;
	int maph = MAP_MIN_ROWS + (extra / 4 < 4 ? extra / 4 : 4);
	int exph = 4 + (extra / 5 < 3 ? extra / 5 : 3);
	int midy = 1 + maph, midh = H - 1 - exph - midy;
	int wide = 48 + (W - PLAYER_MIN_COLS) / 2;
	int ladw = p->mail_centric ? W - wide : wide;
	p->pane[PANE_MAP] = (struct pane){ "map", 1, 0, maph, W, 0, draw_map };
	p->pane[PANE_LADDER] = (struct pane){ "conversation", midy, 0, midh, ladw,
					      p->pane[PANE_LADDER].scroll, draw_ladder };
	p->pane[PANE_MAIL] = (struct pane){ "mailboxes", midy, ladw, midh, W - ladw,
					    p->pane[PANE_MAIL].scroll, draw_mail };
	p->pane[PANE_EXPLAIN] = (struct pane){ "explanation", H - 1 - exph, 0, exph, W,
					       p->pane[PANE_EXPLAIN].scroll, draw_explain };
	map_layout(p);
}

static void draw(struct player *p)
{
	erase();
	if (p->too_small) {
		draw_too_small();
		refresh();
		return;
	}
	draw_title(p);
	for (int i = 0; i < NPANES; i++)
		p->pane[i].draw(p, &p->pane[i]);
	draw_status(p);
	if (p->mode == MODE_HELP)
		draw_help(p->live);
	else if (p->mode == MODE_SOURCE)
		draw_source(p);
	refresh();
}

/* ------------------------------------------------------------------ */
/* Input: one handler per mode.                                        */

static void scroll_focused(struct player *p, int delta)
{
	struct pane *pn = &p->pane[p->focus];
	if (p->focus == PANE_MAIL) {
		/* Up/Down choose a message; past the ends, scroll the owners */
		if (delta < 0 && p->sel > 0 && delta == -1)
			p->sel--;
		else if (delta > 0 && p->sel + 1 < p->nvis && delta == 1)
			p->sel++;
		else
			pn->scroll += delta > 0 ? 1 : -1;
		if (pn->scroll < 0)
			pn->scroll = 0;
		return;
	}
	if (p->focus == PANE_LADDER)
		delta = -delta; /* the ladder scrolls back in time */
	pn->scroll += delta;
	if (pn->scroll < 0)
		pn->scroll = 0;
}

static enum key_result click(struct player *p, MEVENT *ev)
{
	for (int i = PANE_LADDER; i < NPANES; i++) {
		struct pane *pn = &p->pane[i];
		if (ev->y < pn->y || ev->y >= pn->y + pn->h || ev->x < pn->x || ev->x >= pn->x + pn->w)
			continue;
		if (ev->bstate & BUTTON4_PRESSED) {
			p->focus = i;
			scroll_focused(p, -1);
			return REDRAW;
		}
		if (ev->bstate & BUTTON5_PRESSED) {
			p->focus = i;
			scroll_focused(p, 1);
			return REDRAW;
		}
		p->focus = i;
		if (i == PANE_LADDER && ev->y < LINES && p->ladder_step[ev->y] != SIZE_MAX) {
			p->playing = false;
			go_to(p, p->ladder_step[ev->y], false);
		}
		if (i == PANE_MAIL)
			for (size_t k = 0; k < p->nvis; k++)
				if (p->vis[k].y == ev->y && ev->x >= p->vis[k].x &&
				    ev->x < p->vis[k].x + p->vis[k].w)
					p->sel = k;
		return REDRAW;
	}
	return HANDLED;
}

static enum key_result key_play(struct player *p, int ch)
{
	int page = p->pane[p->focus].h - 2;
	switch (ch) {
	case 'q':
	case 'Q':
		return QUIT;
	case ' ':
		p->playing = !p->playing;
		if (p->playing && p->cur != SIZE_MAX && p->cur + 1 >= p->n)
			p->playing = false;
		p->next_at = now_s();
		return REDRAW;
	case KEY_RIGHT:
	case 'n':
		p->playing = false;
		step_forward(p, false);
		return REDRAW;
	case KEY_LEFT:
	case 'p':
		p->playing = false;
		step_back(p);
		return REDRAW;
	case '+':
	case '=':
		if (p->speed + 1 < PLAYER_NSPEEDS)
			p->speed++;
		return REDRAW;
	case '-':
	case '_':
		if (p->speed > 0)
			p->speed--;
		return REDRAW;
	case KEY_HOME:
		p->playing = false;
		go_to(p, SIZE_MAX, false);
		return REDRAW;
	case KEY_END:
		p->playing = false;
		go_to(p, p->n ? p->n - 1 : SIZE_MAX, false);
		return REDRAW;
	case 'g':
		p->playing = false;
		p->mode = MODE_GOTO;
		p->golen = 0;
		return REDRAW;
	case '\t':
		p->focus = p->focus == PANE_LADDER ? PANE_MAIL
			   : p->focus == PANE_MAIL ? PANE_EXPLAIN
						   : PANE_LADDER;
		return REDRAW;
	case KEY_BTAB:
		p->focus = p->focus == PANE_LADDER ? PANE_EXPLAIN
			   : p->focus == PANE_MAIL ? PANE_LADDER
						   : PANE_MAIL;
		return REDRAW;
	case KEY_UP:
	case 'k':
		scroll_focused(p, -1);
		return REDRAW;
	case KEY_DOWN:
	case 'j':
		scroll_focused(p, 1);
		return REDRAW;
	case KEY_PPAGE:
		scroll_focused(p, -(page > 1 ? page : 1));
		return REDRAW;
	case KEY_NPAGE:
		scroll_focused(p, page > 1 ? page : 1);
		return REDRAW;
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (p->focus == PANE_MAIL) {
			p->playing = false;
			open_source(p);
		}
		return REDRAW;
	case '?':
	case 'h':
		p->mode = MODE_HELP;
		return REDRAW;
	case KEY_MOUSE: {
		MEVENT ev;
		if (getmouse(&ev) == OK)
			return click(p, &ev);
		return HANDLED;
	}
	default:
		return HANDLED;
	}
}

static enum key_result key_help(struct player *p, int ch)
{
	(void)ch;
	p->mode = MODE_PLAY;
	return REDRAW;
}

static enum key_result key_source(struct player *p, int ch)
{
	int page = LINES - 4;
	switch (ch) {
	case KEY_UP:
	case 'k':
		p->src_scroll--;
		break;
	case KEY_DOWN:
	case 'j':
		p->src_scroll++;
		break;
	case KEY_PPAGE:
		p->src_scroll -= page;
		break;
	case KEY_NPAGE:
	case ' ':
		p->src_scroll += page;
		break;
	case KEY_HOME:
		p->src_scroll = 0;
		break;
	case 'q':
	case 27:
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_LEFT:
		p->mode = MODE_PLAY;
		break;
	default:
		return HANDLED;
	}
	return REDRAW;
}

static enum key_result key_goto(struct player *p, int ch)
{
	if (ch >= '0' && ch <= '9' && p->golen < sizeof p->go - 1) {
		p->go[p->golen++] = (char)ch;
	} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && p->golen) {
		p->golen--;
	} else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
		p->go[p->golen] = 0;
		unsigned long long v = p->golen ? strtoull(p->go, NULL, 10) : 0;
		p->mode = MODE_PLAY;
		go_to(p, v == 0 ? SIZE_MAX : (size_t)(v - 1), false);
	} else if (ch == 27 || ch == 'q') {
		p->mode = MODE_PLAY;
	}
	return REDRAW;
}

static enum key_result key_quiz(struct player *p, int ch)
{
	if (ch == 'q' || ch == 'Q')
		return QUIT;
	if (ch == KEY_MOUSE) {
		MEVENT ev;
		getmouse(&ev);
	}
	if (ch == KEY_LEFT || ch == 'p') { /* not yet: back to the command */
		p->mode = MODE_PLAY;
		return REDRAW;
	}
	p->mode = MODE_PLAY;
	go_to(p, p->quiz_step, false);
	return REDRAW;
}

typedef enum key_result (*key_handler)(struct player *p, int ch);

static const key_handler handlers[] = {
	[MODE_PLAY] = key_play,
	[MODE_HELP] = key_help,
	[MODE_SOURCE] = key_source,
	[MODE_GOTO] = key_goto,
	[MODE_QUIZ] = key_quiz,
};

/* ------------------------------------------------------------------ */
/* The loop.                                                           */

static void player_init(struct player *p, struct playback *pb, const struct player_opts *o,
			bool live)
{
	memset(p, 0, sizeof *p);
	p->pb = pb;
	p->o = o;
	p->live = live;
	p->n = pb_nsteps(pb);
	p->nhosts0 = pb_nhosts(pb);
	p->speed = o->speed >= 0 && o->speed < PLAYER_NSPEEDS ? o->speed : PLAYER_SPEED_1X;
	p->focus = PANE_LADDER;
	p->cur = SIZE_MAX;
	buf_init(&p->src);
	scan_steps(p);
	/* how many mailboxes the lesson shows at most: many, and they get the
	 * wider pane (pop3-vs-imap: the contrast is the lesson) */
	if (p->n && !live) {
		pb_seek(pb, p->n - 1);
		p->mail_centric = pb_nowners(pb) >= 3;
	}
	player_screen_open(o->mono);
	layout(p);
	go_to(p, live && p->n ? p->n - 1 : o->start, false);
	p->playing = live || o->autoplay;
	p->next_at = now_s();
	p->dirty = true;
}

static void player_fini(struct player *p)
{
	free(p->ud);
	free(p->box);
	free(p->removed);
	free(p->vis);
	free(p->ladder_step);
	free(p->srcl);
	buf_free(&p->src);
}

/* A key in live mode: Space and End follow the newest step; the rest is
 * the player's (stepping back pauses the following). */
static enum key_result key_live(struct player *p, int ch)
{
	if (p->mode == MODE_PLAY && (ch == ' ' || ch == KEY_END)) {
		p->playing = ch == KEY_END || !p->playing;
		if (p->playing && p->n)
			go_to(p, p->n - 1, false);
		return REDRAW;
	}
	if (p->mode == MODE_PLAY && (ch == '+' || ch == '=' || ch == '-' || ch == '_'))
		return HANDLED; /* no speed: it is the real clock */
	return handlers[p->mode](p, ch);
}

/* One key (or a resize); true to quit. */
static bool player_key(struct player *p, int ch)
{
	if (ch == KEY_RESIZE) {
		layout(p);
		clear();
		p->dirty = true;
		return false;
	}
	if (p->too_small)
		return ch == 'q' || ch == 'Q';
	enum key_result r = p->live ? key_live(p, ch) : handlers[p->mode](p, ch);
	if (r == QUIT)
		return true;
	p->dirty = p->dirty || r == REDRAW;
	return false;
}

enum player_exit player_run(struct playback *pb, const struct player_opts *o)
{
	struct player pl;
	struct player *p = &pl;
	player_init(p, pb, o, false);

	enum player_exit result = PLAYER_QUIT;
	for (;;) {
		if (p->dirty)
			draw(p);
		p->dirty = false;
		bool moving = p->animating || p->playing;
		timeout(moving && p->mode == MODE_PLAY ? TICK_MS : -1);
		int ch = getch();
		if (ch == ERR) {
			double t = now_s();
			if (p->animating) {
				if (t >= p->anim_start + p->anim_dur)
					p->animating = false;
				p->dirty = true;
			}
			if (p->playing && p->mode == MODE_PLAY && t >= p->next_at) {
				step_forward(p, true);
				p->dirty = true;
			}
			continue;
		}
		if (player_key(p, ch)) {
			result = o->from_menu ? PLAYER_BACK : PLAYER_QUIT;
			break;
		}
	}
	player_fini(p);
	return result;
}

/* ------------------------------------------------------------------ */
/* Live mode: the same player, driven by the poll loop of `serve`.      */

struct player_live {
	struct player p;
};

struct player_live *player_live_open(struct playback *pb, const struct player_opts *o)
{
	struct player_live *l = xcalloc(1, sizeof *l);
	player_init(&l->p, pb, o, true);
	draw(&l->p);
	l->p.dirty = false;
	return l;
}

void player_live_info(struct player_live *l, const char *info)
{
	l->p.live_info = info;
	l->p.dirty = true;
}

bool player_live_tick(struct player_live *l, int *timeout_ms)
{
	struct player *p = &l->p;
	size_t n = pb_nsteps(p->pb);
	if (n != p->n) {
		p->n = n;
		bool dns = p->uses_dns;
		scan_steps(p);
		if (!p->too_small && (pb_nhosts(p->pb) != p->nhosts_laid || dns != p->uses_dns))
			map_layout(p); /* a client connected: a new box */
		p->dirty = true;
	}
	if (p->playing && p->mode == MODE_PLAY && n && p->cur != n - 1) {
		/* follow: the newest step, its token moving if it is the only new one */
		go_to(p, n - 1, p->cur != SIZE_MAX && p->cur + 2 == n);
		p->dirty = true;
	}
	timeout(0);
	int ch;
	while ((ch = getch()) != ERR)
		if (player_key(p, ch))
			return false;
	if (p->animating) {
		if (now_s() >= p->anim_start + p->anim_dur)
			p->animating = false;
		p->dirty = true;
	}
	if (p->dirty)
		draw(p);
	p->dirty = false;
	if (p->animating && *timeout_ms > TICK_MS)
		*timeout_ms = TICK_MS;
	return true;
}

void player_live_close(struct player_live *l)
{
	if (!l)
		return;
	player_fini(&l->p);
	free(l);
}

/* ------------------------------------------------------------------ */
/* The lesson menu.                                                    */

int player_menu(const struct player_lesson *l, size_t n, size_t *sel, bool mono)
{
	player_screen_open(mono);
	size_t top = 0;
	struct span lines[128];
	for (;;) {
		erase();
		fill(0, 0, COLS, " ", role_attr[R_TITLE]);
		put(0, 0, COLS, " mailsim · lessons", role_attr[R_TITLE]);
		int listw = COLS >= 90 ? 40 : COLS / 2;
		int rows = LINES - 3;
		if (rows < 1)
			rows = 1;
		if (*sel < top)
			top = *sel;
		if (*sel >= top + (size_t)rows)
			top = *sel - (size_t)rows + 1;
		for (int r = 0; r < rows && top + (size_t)r < n; r++) {
			size_t i = top + (size_t)r;
			attr_t a = i == *sel ? role_attr[R_CUR] : A_NORMAL;
			fill(2 + r, 0, listw, " ", a);
			put(2 + r, 1, listw - 2, l[i].title, a);
		}
		if (n == 0)
			put(2, 1, COLS - 2,
			    "No lessons found: set MAILSIM_SCENARIOS to a folder of .scn files.",
			    A_BOLD);
		else {
			int x = listw + 2, w = COLS - x - 1;
			const char *file = strrchr(l[*sel].path, '/');
			put(2, x, w, file ? file + 1 : l[*sel].path, role_attr[R_HEAD]);
			size_t nl = wrap(l[*sel].about, strlen(l[*sel].about), w, lines, 128);
			for (size_t k = 0; k < nl && (int)k + 4 < LINES - 1; k++)
				putn(4 + (int)k, x, w, lines[k].p, lines[k].n, A_NORMAL);
		}
		fill(LINES - 1, 0, COLS, " ", role_attr[R_STATUS]);
		put(LINES - 1, 0, COLS, " Up/Down choose   Enter play   q quit", role_attr[R_STATUS]);
		refresh();
		timeout(-1);
		int ch = getch();
		switch (ch) {
		case 'q':
		case 'Q':
		case 27:
			return -1;
		case KEY_UP:
		case 'k':
			if (*sel > 0)
				(*sel)--;
			break;
		case KEY_DOWN:
		case 'j':
			if (*sel + 1 < n)
				(*sel)++;
			break;
		case KEY_HOME:
			*sel = 0;
			break;
		case KEY_END:
			*sel = n ? n - 1 : 0;
			break;
		case '\r':
		case '\n':
		case KEY_ENTER:
			if (n)
				return (int)*sel;
			break;
		case KEY_MOUSE: {
			MEVENT ev;
			if (getmouse(&ev) == OK && ev.y >= 2 && ev.y < 2 + rows &&
			    top + (size_t)(ev.y - 2) < n)
				*sel = top + (size_t)(ev.y - 2);
			break;
		}
		default:
			break;
		}
	}
}
