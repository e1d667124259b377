/*
 * player.c - the terminal player (ncursesw): its state, stepping, the
 * input handlers, the layout and the loop; live mode for `serve`.
 *
 * The player is a family of files sharing player_int.h: the terminal and
 * its text (player_term.c), the map (player_map.c), the other panes
 * (player_panes.c) and the lesson menu (player_menu.c).  This one holds
 * the state they draw.
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
 *
 * Read: stepping (seek, go_to), the layout and draw, the input handlers
 * (one per mode, in a table), then the loop and live mode.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "player_int.h"

#define TICK_MS 30                  /* getch timeout while something moves */
#define TOKEN_MIN_S 0.5
#define TOKEN_MAX_S 3.0
#define TOKEN_PER_LATENCY 5.0       /* seconds of animation per simulated second */
#define EVENT_DWELL_S 0.4
#define ARRIVAL_PAUSE_S 0.15        /* the token rests at its end before the next step */
#define MAP_MIN_ROWS 7

const double player_speeds[PLAYER_NSPEEDS] = { 0.25, 0.5, 1, 2, 4, 8, 16 };
const char *const player_speed_names[PLAYER_NSPEEDS] = { "0.25x", "0.5x", "1x", "2x",
							 "4x", "8x", "16x" };

int player_speed_find(const char *name)
{
	for (int i = 0; i < PLAYER_NSPEEDS; i++) {
		size_t n = strlen(player_speed_names[i]) - 1; /* without its x */
		if (strncmp(name, player_speed_names[i], n) == 0 &&
		    (name[n] == '\0' || strcmp(name + n, "x") == 0))
			return i;
	}
	return -1;
}

enum key_result { HANDLED, REDRAW, QUIT };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double player_token_progress(const struct player *p)
{
	double f = 1;
	if (p->animating && p->anim_dur > 0) {
		f = (now_s() - p->anim_start) / p->anim_dur;
		if (f > 1)
			f = 1;
	}
	return f;
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
	assert(target == SIZE_MAX || target < p->n); /* go_to clamps */
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
	assert(p->speed >= 0 && p->speed < PLAYER_NSPEEDS);
	double d = EVENT_DWELL_S;
	if (!s->event || (s->from != PB_NONE && s->to != PB_NONE)) {
		double lat = (double)(s->arrive_us - s->t_us) / 1e6;
		d = TOKEN_MIN_S + lat * TOKEN_PER_LATENCY;
		if (d > TOKEN_MAX_S)
			d = TOKEN_MAX_S;
	}
	return d / player_speeds[p->speed];
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
	if (animate && p->o->anim && map_has_token(&s)) {
		p->animating = true;
		p->anim_start = t;
		p->anim_dur = d;
		p->next_at = t + d + ARRIVAL_PAUSE_S / player_speeds[p->speed];
	} else {
		p->next_at = t + (map_has_token(&s) ? d : EVENT_DWELL_S / player_speeds[p->speed]);
	}
	if (s.is_note && p->playing && !p->live)
		p->playing = false; /* a banner: the teacher talks, then Space */
}

static void step_forward(struct player *p, bool animate)
{
	size_t target = pb_next_of(p->pb, p->cur, p->filter); /* the filter hides the rest */
	if (target >= p->n) {
		p->playing = false;
		return;
	}
	/* quiz mode: a question not answered yet stands before a step up to
	 * the target (one the filter skips too) */
	size_t q = quiz_due(p, p->cur, target);
	if (q != SIZE_MAX) {
		p->quiz_open = q;
		p->mode = MODE_QUIZ;
		p->playing = false;
		p->animating = false;
		return;
	}
	go_to(p, target, animate);
}

/* ---- folding (player_int.h) ---- */

static bool fold_open(const struct player *p, size_t b)
{
	return b / 8 < p->nunfolded && (p->unfolded[b / 8] >> (b % 8) & 1);
}

/* The step a folded block is drawn at: the last of its lines at or before
 * the cursor (SIZE_MAX: the cursor has not reached it). */
static size_t fold_row(const struct player *p, const struct pb_block *b)
{
	size_t q = b->last;
	if (p->cur == SIZE_MAX || p->cur >= q)
		return p->cur == SIZE_MAX ? SIZE_MAX : q;
	while (q != SIZE_MAX && q >= b->first && q > p->cur)
		q = pb_session_prev(p->pb, q);
	return q != SIZE_MAX && q >= b->first ? q : SIZE_MAX;
}

bool fold_hidden(const struct player *p, const struct pb_step *s)
{
	struct pb_block b;
	if (s->block == SIZE_MAX || fold_open(p, s->block) || !pb_get_block(p->pb, s->block, &b))
		return false;
	return s->index != fold_row(p, &b);
}

size_t fold_visible(const struct player *p, size_t q)
{
	struct pb_step s;
	struct pb_block b;
	while (q != SIZE_MAX && pb_get_step(p->pb, q, &s) && fold_hidden(p, &s) &&
	       pb_get_block(p->pb, s.block, &b)) {
		size_t row = fold_row(p, &b);
		if (row != SIZE_MAX && row < q)
			return row;
		q = pb_session_prev(p->pb, b.first);
	}
	return q;
}

bool fold_label(const struct player *p, const struct pb_step *s, char *out, size_t n)
{
	struct pb_block b;
	if (s->block == SIZE_MAX || fold_open(p, s->block) || !pb_get_block(p->pb, s->block, &b))
		return false;
	if (s->index == p->cur) /* the cursor on one of its lines: that line */
		snprintf(out, n, _("▸ message, line %zu of %zu: %.*s"), pb_block_line_no(p->pb, s->index),
			 b.lines, (int)s->text_len, s->text);
	else
		snprintf(out, n,
			 P_("▸ message: %zu line, %llu octets — Enter unfolds",
			    "▸ message: %zu lines, %llu octets — Enter unfolds", b.lines),
			 b.lines, (unsigned long long)b.octets);
	return true;
}

bool tls_text(const struct player *p, struct pb_step *s, char *out, size_t n)
{
	if (!s->tls || s->event)
		return false;
	if (p->tls_reveal)
		snprintf(out, n, "🔒 %.*s", (int)s->text_len, s->text ? s->text : "");
	else /* the record's plaintext is the line and its CRLF */
		snprintf(out, n, _("TLS record, %zu octets"), s->text_len + 2);
	s->text = out;
	s->text_len = strlen(out);
	return true;
}

bool tls_in_run(struct player *p)
{
	struct pb_step s;
	for (; !p->tls_seen && p->tls_scanned < p->n; p->tls_scanned++)
		if (pb_get_step(p->pb, p->tls_scanned, &s) && s.tls)
			p->tls_seen = true;
	return p->tls_seen;
}

/* Enter in the conversation: fold or unfold the message body the cursor
 * is in, or else the last one before it (in its session on the ladder,
 * in the run on the timeline), looked for as far back as the pane shows. */
static void fold_toggle(struct player *p)
{
	struct pb_step s;
	size_t q = p->cur;
	for (int k = 0; q != SIZE_MAX && k < p->pane[PANE_LADDER].h; k++) {
		if (!pb_get_step(p->pb, q, &s))
			return;
		if (s.block != SIZE_MAX) {
			size_t need = s.block / 8 + 1;
			if (need > p->nunfolded) {
				p->unfolded = xrealloc(p->unfolded, need);
				memset(p->unfolded + p->nunfolded, 0, need - p->nunfolded);
				p->nunfolded = need;
			}
			p->unfolded[s.block / 8] ^= (uint8_t)(1u << (s.block % 8));
			return;
		}
		q = p->timeline ? (q ? q - 1 : SIZE_MAX) : pb_session_prev(p->pb, q);
	}
}

static void step_back(struct player *p)
{
	if (p->cur == SIZE_MAX)
		return;
	go_to(p, pb_prev_of(p->pb, p->cur, p->filter), false);
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
	int ladw = p->timeline ? W : p->mail_centric ? W - wide : wide;
	p->pane[PANE_MAP] = (struct pane){ "map", 1, 0, maph, W, 0, map_draw };
	p->pane[PANE_LADDER] = (struct pane){ p->timeline ? "timeline" : "conversation", midy, 0,
					      midh, ladw, p->pane[PANE_LADDER].scroll,
					      p->timeline ? timeline_draw : pane_draw_ladder };
	/* the timeline takes the mailboxes' room too: their pane is empty */
	p->pane[PANE_MAIL] = (struct pane){ "mailboxes", midy, ladw, p->timeline ? 0 : midh,
					    W - ladw, p->pane[PANE_MAIL].scroll,
					    p->timeline ? NULL : pane_draw_mail };
	p->pane[PANE_EXPLAIN] = (struct pane){ "explanation", H - 1 - exph, 0, exph, W,
					       p->pane[PANE_EXPLAIN].scroll, pane_draw_explain };
	map_layout(p);
}

static void draw(struct player *p)
{
	erase();
	if (p->too_small) {
		term_too_small();
		refresh();
		return;
	}
	pane_draw_title_line(p);
	for (int i = 0; i < NPANES; i++)
		if (p->pane[i].draw)
			p->pane[i].draw(p, &p->pane[i]);
	pane_draw_status_line(p);
	if (p->mode == MODE_HELP)
		pane_draw_help(p->live);
	else if (p->mode == MODE_SOURCE)
		pane_draw_source(p);
	else if (p->mode == MODE_END)
		pane_draw_end(p);
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

/* At the last step (not live), Space and Right open the end screen. */
static bool at_end(const struct player *p)
{
	return !p->live && p->n && p->cur == p->n - 1;
}

/* w: the handout of the current step, into the current directory as
 * LESSON-step-N.html (the lesson's file name without .scn); the status
 * line says the path, or why it could not be written. */
static void write_handout(struct player *p)
{
	if (!p->o->handout) {
		snprintf(p->said, sizeof p->said, "%s", _("no handout here"));
		return;
	}
	const char *file = p->o->lesson_file ? p->o->lesson_file : "lesson";
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".scn") == 0)
		len -= 4;
	size_t step = p->cur == SIZE_MAX ? 0 : p->cur + 1;
	char path[200];
	snprintf(path, sizeof path, "%.*s-step-%zu.html", (int)(len > 150 ? 150 : len), base, step);
	struct html_doc doc = *p->o->handout;
	doc.upto = step;
	int rc = html_write_file(p->pb, &doc, path, false);
	int err = errno;
	pb_seek(p->pb, p->cur); /* the page moved the cursor to show the mailboxes */
	if (rc == 0)
		snprintf(p->said, sizeof p->said, _("handout written: %s"), path);
	else
		snprintf(p->said, sizeof p->said, _("cannot write %s: %s"), path, strerror(err));
}

static enum key_result key_play(struct player *p, int ch)
{
	int page = p->pane[p->focus].h - 2;
	if ((ch == ' ' || ch == KEY_RIGHT || ch == 'n') && at_end(p)) {
		p->playing = false;
		p->mode = MODE_END;
		return REDRAW;
	}
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
	case ']': /* the next / the previous chapter: the filter never hides a note */
	case '[': {
		p->playing = false;
		size_t to = ch == ']' ? pb_find_next(p->pb, p->cur, step_is_note)
			  : p->cur == SIZE_MAX ? SIZE_MAX
					       : pb_find_prev(p->pb, p->cur, step_is_note);
		if (to != SIZE_MAX) /* none: stay */
			go_to(p, to, false);
		return REDRAW;
	}
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
		if (p->timeline && p->focus == PANE_MAIL) /* hidden */
			p->focus = PANE_EXPLAIN;
		return REDRAW;
	case KEY_BTAB:
		p->focus = p->focus == PANE_LADDER ? PANE_EXPLAIN
			   : p->focus == PANE_MAIL ? PANE_LADDER
						   : PANE_MAIL;
		if (p->timeline && p->focus == PANE_MAIL)
			p->focus = PANE_LADDER;
		return REDRAW;
	case 't': /* TLS: what a wiretapper sees, or the lines it cannot read */
		p->tls_reveal = !p->tls_reveal;
		return REDRAW;
	case 'w': /* the handout of this step, for a teacher who paused in class */
		p->playing = false;
		write_handout(p);
		return REDRAW;
	case 'v': /* the ladder and the mailboxes, or the timeline */
		p->timeline = !p->timeline;
		p->pane[PANE_LADDER].scroll = 0;
		if (p->timeline && p->focus == PANE_MAIL)
			p->focus = PANE_LADDER;
		layout(p);
		return REDRAW;
	case '0':
	case '1':
	case '2':
	case '3': { /* the protocol filter: the timeline and stepping */
		static const enum trace_proto f[] = { PROTO_NONE, PROTO_SMTP, PROTO_POP3, PROTO_IMAP };
		p->filter = f[ch - '0'];
		p->pane[PANE_LADDER].scroll = 0;
		return REDRAW;
	}
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
			pane_open_source(p);
		} else if (p->focus == PANE_LADDER) {
			fold_toggle(p);
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

/* A question is open: 1-6 answer it (and reveal the reply), p or Left
 * go back to the step before it without answering, q quits. */
static enum key_result key_quiz(struct player *p, int ch)
{
	if (ch == 'q' || ch == 'Q')
		return QUIT;
	if (ch == KEY_MOUSE) {
		MEVENT ev;
		getmouse(&ev);
		return HANDLED;
	}
	if (ch == KEY_LEFT || ch == 'p') { /* not yet: back to the command */
		p->mode = MODE_PLAY;
		return REDRAW;
	}
	if (ch < '1' || ch > '9' || !quiz_answer(p, ch - '0'))
		return HANDLED;
	p->mode = MODE_PLAY;
	go_to(p, p->quiz[p->quiz_open].step, false);
	return REDRAW;
}

/* The end screen: q quits (to the menu), Left / Backspace / Esc / p go
 * back to the last step, Home starts again. */
static enum key_result key_end(struct player *p, int ch)
{
	switch (ch) {
	case 'q':
	case 'Q':
		return QUIT;
	case KEY_LEFT:
	case 'p':
	case KEY_BACKSPACE:
	case 127:
	case 8:
	case 27:
		p->mode = MODE_PLAY;
		return REDRAW;
	case KEY_HOME:
		p->mode = MODE_PLAY;
		go_to(p, SIZE_MAX, false);
		return REDRAW;
	case KEY_MOUSE: {
		MEVENT ev;
		getmouse(&ev);
		return HANDLED;
	}
	default:
		return HANDLED;
	}
}

typedef enum key_result (*key_handler)(struct player *p, int ch);

static const key_handler handlers[NMODES] = {
	[MODE_PLAY] = key_play,
	[MODE_HELP] = key_help,
	[MODE_SOURCE] = key_source,
	[MODE_GOTO] = key_goto,
	[MODE_QUIZ] = key_quiz,
	[MODE_END] = key_end,
};

/* ------------------------------------------------------------------ */
/* The loop.                                                           */

/* While a token moves, every turn redraws; at time t its run is over. */
static void animation_tick(struct player *p, double t)
{
	if (p->animating) {
		if (t >= p->anim_start + p->anim_dur)
			p->animating = false;
		p->dirty = true;
	}
}

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
	map_scan_steps(p);
	if (o->quiz && !live)
		quiz_build(p);
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
	free(p->hp);
	free(p->box);
	free(p->removed);
	free(p->vis);
	free(p->ladder_step);
	free(p->unfolded);
	free(p->srcl);
	buf_free(&p->src);
	quiz_free(p);
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
	assert(p->mode < NMODES && handlers[p->mode]);
	if (ch == KEY_RESIZE) {
		layout(p);
		clear();
		p->dirty = true;
		return false;
	}
	if (p->too_small)
		return ch == 'q' || ch == 'Q';
	if (p->said[0]) { /* said until the next key */
		p->said[0] = '\0';
		p->dirty = true;
	}
	enum key_result r = p->live ? key_live(p, ch) : handlers[p->mode](p, ch);
	if (r == QUIT)
		return true;
	p->dirty = p->dirty || r == REDRAW;
	return false;
}

enum player_exit player_run(struct playback *pb, const struct player_opts *o)
{
	assert(pb && o);
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
			animation_tick(p, t);
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
	assert(pb && o);
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
	assert(l && timeout_ms);
	struct player *p = &l->p;
	size_t n = pb_nsteps(p->pb);
	if (n != p->n) {
		p->n = n;
		bool dns = p->uses_dns;
		map_scan_steps(p);
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
	animation_tick(p, now_s());
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

