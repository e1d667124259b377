/*
 * player_int.h - what the files of the player share, and nobody else.
 *
 * The player (player.h) is a family of seven files; only they include
 * this header (the Makefile gives every ui/player*.o the ncursesw cflags):
 *
 *   player.c        the player's state, stepping, the input handlers of
 *                   the modes, the layout, the loop, live mode
 *   player_term.c   the terminal: curses opened and given back, colours
 *                   (term_attr), UTF-8 text drawn by display columns
 *   player_map.c    the map: hosts as boxes, links, the token in flight,
 *                   servers and links down
 *   player_panes.c  the ladder, the mailboxes, the explanation, the title
 *                   and status lines, the help, source and end overlays
 *   player_menu.c   the lesson menu
 *   player_timeline.c  the timeline: every session's lines on one time
 *                   axis, a column per host (`v` shows it instead of the
 *                   ladder and the mailboxes)
 *   player_quiz.c   quiz mode: the questions, their choices, the score
 *
 * Read it in that order: the colours and text primitives, then the state
 * (struct player), then what each file offers the others.  Every function
 * here carries its file's prefix (term_, map_, pane_, timeline_, quiz_), or player_ for
 * player.c's.
 */
#ifndef MAILSIM_PLAYER_INT_H
#define MAILSIM_PLAYER_INT_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "i18n.h"
#include "player.h"

#define FLASH_STEPS 3               /* a change stays highlighted this many steps */
#define HOST_DNS (UINT32_MAX - 1)   /* the map's "dns" box (not a host of the world) */

/* ------------------------------------------------------------------ */
/* player_term.c: colours and text.                                    */

/* What a piece of the screen is; term_attr[] says how it looks (in
 * colour, or in bold, reverse and underline with --mono). */
enum role {
	R_NORMAL, R_TITLE, R_SMTP, R_POP3, R_IMAP, R_DNS, R_EVENT, R_CUR, R_FLASH,
	R_DOWN, R_BANNER, R_DIM, R_FOCUS, R_STATUS, R_HEAD, R_TLS,
	R_PASS, R_FAIL,   /* an authentication result that passed, that failed */
	NROLES,
};

extern attr_t term_attr[NROLES];   /* set by player_screen_open */

/* A protocol's colour (R_EVENT's look for none). */
attr_t term_proto_attr(enum trace_proto p);

/* A line of wrapped text: bytes of the text wrapped, not a copy. */
struct span {
	const char *p;
	size_t n;
};

/* Display columns of s; the bytes of s that fit in maxw columns. */
int term_width(const char *s, size_t len);
size_t term_fit(const char *s, size_t len, int maxw);
/* Draw s at (y, x) in at most maxw columns (clipped to the screen;
 * control characters and bad UTF-8 as '?'); returns the columns used. */
int term_putn(int y, int x, int maxw, const char *s, size_t len, attr_t a);
int term_put(int y, int x, int maxw, const char *s, attr_t a);
/* The same, cut with "…" when s is wider than maxw. */
int term_put_cut(int y, int x, int maxw, const char *s, size_t len, attr_t a);
/* n copies of a one-column UTF-8 string. */
void term_fill(int y, int x, int n, const char *ch, attr_t a);
/* Greedy word wrap into at most max lines of at most w columns; '\n'
 * breaks.  Returns the number of lines. */
size_t term_wrap(const char *s, size_t len, int w, struct span *out, size_t max);
/* An empty framed box with a title in its top line. */
void term_box(int y, int x, int h, int w, const char *title);
/* The whole screen: "mailsim needs at least 80x24". */
void term_too_small(void);

/* ------------------------------------------------------------------ */
/* The player's state.                                                 */

enum mode { MODE_PLAY, MODE_HELP, MODE_SOURCE, MODE_GOTO, MODE_QUIZ, MODE_END, NMODES };
enum pane_id { PANE_MAP, PANE_LADDER, PANE_MAIL, PANE_EXPLAIN, NPANES };

struct player;
struct pane {
	const char *name;
	int y, x, h, w;
	int scroll;                 /* rows (ladder: steps; mail: owners) scrolled back */
	void (*draw)(struct player *p, struct pane *pn);
};

/* A message drawn in the mailbox pane (for Enter and the mouse). */
struct visible_msg {
	size_t owner, folder, index;
	int y, x, w;
};

/* A port a server was connected to in the run (for the map's labels). */
struct hostport {
	uint32_t host;
	unsigned port;
};

/* A question of quiz mode (player_quiz.c). */
#define QUIZ_MAX_CHOICES 6
struct quiz_point {
	size_t step;                /* it stands before this step, hidden until answered */
	size_t line;                /* the reply's line with the code (revealed), or SIZE_MAX */
	size_t record;              /* the story's quiz record, or SIZE_MAX (automatic) */
	char *question;
	char *choices[QUIZ_MAX_CHOICES];
	size_t nchoices;
	int answer;                 /* 1-based */
	int chosen;                 /* the class's answer, 1-based; 0: not asked yet */
};

struct updown;                      /* player_map.c's */
struct mapbox;                      /* player_map.c's */

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
	bool timeline;              /* `v`: the timeline instead of ladder and mailboxes */
	enum trace_proto filter;    /* `1`-`3`: only this protocol's steps (PROTO_NONE: all) */
	/* TLS (`tls HOST` lessons): a line sent inside TLS shows as what a
	 * wiretapper sees, an opaque record, until `t` reveals the plaintext */
	bool tls_reveal;            /* `t`: show the lines inside TLS, marked with a lock */
	/* what the last key did, said on the status line until the next key
	 * (w: the handout's file), or "" */
	char said[256];
	bool tls_seen;              /* some step so far was sent inside TLS */
	size_t tls_scanned;         /* steps looked at for tls_seen */
	/* the status line's chapter: the last note at or before chapter_cur
	 * (SIZE_MAX: none), kept so that a redraw or a step forward does not
	 * scan the run back to its last note again */
	bool chapter_known;
	size_t chapter_cur, chapter;

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
	struct updown *ud;          /* servers and links going down or up */
	size_t nud, capud;
	size_t scanned;             /* steps scanned for up/down and DNS */
	bool uses_dns;
	struct hostport *hp;        /* the ports each server was connected to */
	size_t nhp, caphp;
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
	/* folding: the message bodies (pb blocks) unfolded with Enter, a bit each */
	uint8_t *unfolded;
	size_t nunfolded;           /* bytes */

	/* GOTO */
	char go[16];
	size_t golen;

	/* QUIZ (player_quiz.c): the questions, by the step each stands
	 * before; the one open in MODE_QUIZ; the score, each question once */
	struct quiz_point *quiz;
	size_t nquiz, capquiz;
	bool quiz_authored;         /* the lesson has quizzes of its own */
	size_t quiz_open;           /* index into quiz */
	/* the score, on the status line and the end screen (when quiz_asked > 0) */
	unsigned quiz_asked, quiz_right;

	/* SOURCE */
	struct buf src;
	struct span *srcl;
	size_t nsrcl;
	int src_scroll;
	char src_title[160];
};

/* Step i, if there is one (i = SIZE_MAX: before the first, none). */
static inline bool step_at(const struct player *p, size_t i, struct pb_step *s)
{
	return i != SIZE_MAX && pb_get_step(p->pb, i, s);
}

/* A scenario `note`: a lesson's chapters (] and [ jump between them). */
static inline bool step_is_note(const struct pb_step *s)
{
	return s->event && s->is_note;
}

/* ------------------------------------------------------------------ */
/* player.c                                                            */

/* The speeds offered by + and -, and their names on the status line. */
extern const double player_speeds[PLAYER_NSPEEDS];
extern const char *const player_speed_names[PLAYER_NSPEEDS];

/* Folding.  A message body (a pb block: playback.h) is one row of the
 * ladder and the timeline unless Enter unfolded it.  That row stands at
 * the block's last line, or at the cursor while the cursor is inside the
 * block (then it names the current line), so the current step is always
 * on the screen.  fold_visible: step q if it is drawn, else the step drawn
 * for it at or before it in its session (the block's row), or the step
 * before the block; fold_hidden: whether q is a folded block's line other
 * than its row; fold_label: the row's text for step s (false if s is not a
 * folded block's row). */
size_t fold_visible(const struct player *p, size_t q);
bool fold_hidden(const struct player *p, const struct pb_step *s);
bool fold_label(const struct player *p, const struct pb_step *s, char *out, size_t n);
/* A line sent inside TLS, as the player shows it: "TLS record, 37 octets"
 * (its size on the wire, the line and its CRLF: what a wiretapper sees), or
 * with `t` the line itself after a lock.  Rewrites s->text into out (n
 * bytes); false (s untouched) if s is not such a line. */
bool tls_text(const struct player *p, struct pb_step *s, char *out, size_t n);
/* Has the run so far any line inside TLS?  (The status line says the
 * mode only then.) */
bool tls_in_run(struct player *p);

/* How far the current step's token has travelled: 0 to 1 (1 when it is
 * not moving).  The only wall-clock time a drawing reads. */
double player_token_progress(const struct player *p);

/* ------------------------------------------------------------------ */
/* player_map.c                                                        */

/* Note the servers and links going down or up, and whether DNS is used,
 * in the steps not scanned yet (p->scanned to p->n). */
void map_scan_steps(struct player *p);
/* Lay the boxes out in the map pane (after a resize, or a new host). */
void map_layout(struct player *p);
/* The map pane's draw function. */
void map_draw(struct player *p, struct pane *pn);
/* Whether step s moves a token along the map (a line or a connect
 * between two boxes). */
bool map_has_token(const struct pb_step *s);
/* The port of a "connect" step ("connect to mx.gmail.com port 143"), or 0. */
unsigned map_connect_port(const struct pb_step *s);
/* The hosts (HOST_DNS for the "dns" box) from the map's left to its
 * right, at most max; returns how many. */
size_t map_columns(const struct player *p, uint32_t *out, size_t max);

/* ------------------------------------------------------------------ */
/* player_panes.c                                                      */

/* A pane's title line ("─ Title ───"), in the focus colour if focused. */
void pane_title(struct player *p, struct pane *pn, int id, const char *text);
/* The panes' draw functions (struct pane's draw). */
void pane_draw_ladder(struct player *p, struct pane *pn);
void pane_draw_mail(struct player *p, struct pane *pn);
void pane_draw_explain(struct player *p, struct pane *pn);
/* The top and bottom lines of the screen. */
void pane_draw_title_line(struct player *p);
void pane_draw_status_line(struct player *p);
/* The overlays: the keys (MODE_HELP), a message's source (MODE_SOURCE),
 * the end screen after the last step (MODE_END: the checks, the quiz). */
void pane_draw_help(bool live);
void pane_draw_source(struct player *p);
void pane_draw_end(struct player *p);
/* Enter on a message: read its source into p->src and go to MODE_SOURCE. */
void pane_open_source(struct player *p);

/* ------------------------------------------------------------------ */
/* player_quiz.c                                                       */

/* Find the questions of the run (--quiz, not live); free them. */
void quiz_build(struct player *p);
void quiz_point_free(struct quiz_point *q);
void quiz_free(struct player *p);
/* The first question not answered yet standing before a step in
 * (from, to] (from = SIZE_MAX: from the first), as an index, or SIZE_MAX. */
size_t quiz_due(const struct player *p, size_t from, size_t to);
/* The question standing before step `step`, or NULL. */
const struct quiz_point *quiz_at(const struct player *p, size_t step);
/* The class chose `choice` (1-based) for the open question: false if there
 * is no such choice; the score counts a question's first answer only. */
bool quiz_answer(struct player *p, int choice);
/* A step that is the story's "quiz" record. */
bool quiz_is_record(const struct pb_step *s);
/* The explanation pane while a question is open, on an answered
 * question's step, or on a quiz record: its title and text (false: the
 * pane's usual content). */
bool quiz_explain(const struct player *p, char *title, size_t n, struct buf *text);

/* ------------------------------------------------------------------ */
/* player_timeline.c                                                   */

/* The timeline's draw function (in the ladder's place, the full width). */
void timeline_draw(struct player *p, struct pane *pn);
/* "SMTP", "POP3", "IMAP": the filter's name (NULL for none). */
const char *timeline_filter_name(enum trace_proto f);

#endif
