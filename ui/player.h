/*
 * player.h - the terminal player (ncursesw): a recorded run (playback.h)
 * shown as a map, a ladder diagram, the teaching note, the mailboxes and a
 * status line; and the lesson menu that `mailsim` opens with no arguments.
 *
 * The simulation has already run to its end when the player starts: the
 * player only moves a cursor over the steps, so going back is exact.
 * Drawing reads a window of steps around the cursor (pb_session_prev, a
 * bounded look-back), never the whole trace.
 *
 * Live (`mailsim serve` on a terminal, player_live_* below), the run is
 * still recording: the same cursor, following the newest step.
 *
 * The terminal is always given back: endwin() at the end, at exit, and
 * from SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGFPE and SIGABRT
 * (the handler restores the terminal, then re-raises the signal).
 *
 * The player is a family of files behind this header: player.c (the state,
 * stepping, input, the loop, live mode), player_term.c (the terminal,
 * colours, text by display columns), player_map.c, player_panes.c (the
 * ladder, mailboxes, explanation, status line, help) and player_menu.c;
 * what they share, and only they, is in player_int.h.
 */
#ifndef MAILSIM_PLAYER_H
#define MAILSIM_PLAYER_H

#include <stdbool.h>
#include <stddef.h>

#include "html.h"
#include "playback.h"

#define PLAYER_MIN_COLS 80
#define PLAYER_MIN_LINES 24

struct player_opts {
	const char *title;     /* the scenario's title, or its file name */
	bool mono;             /* --mono or NO_COLOR: no colour at all */
	bool quiz;             /* --quiz: stop before each server reply */
	bool anim;             /* false with --no-anim: tokens jump, no timing on screen */
	bool autoplay;         /* start playing (else paused) */
	size_t start;          /* the step to start at (0-based), or SIZE_MAX: before the first */
	int speed;             /* index into the speeds (0.25x .. 16x); 2 is 1x */
	bool from_menu;        /* q goes back to the menu */
	/* w: the handout of the current step (html.h) into ./LESSON-step-N.html;
	 * NULL: no handout (live mode) */
	const struct html_doc *handout;
	const char *lesson_file; /* the scenario's file, for the handout's name */
};

/* Speeds offered by + and -. */
#define PLAYER_NSPEEDS 7
#define PLAYER_SPEED_1X 2

/* The speed a name on the command line (--speed) means: a name the status
 * line shows ("0.25x" .. "16x"), with or without its x; its index, or -1. */
int player_speed_find(const char *name);

enum player_exit {
	PLAYER_QUIT,           /* q: leave the program (or the menu) */
	PLAYER_BACK,           /* q from a lesson opened by the menu: back to it */
};

/* Play a recorded run on the terminal until the user quits. */
enum player_exit player_run(struct playback *pb, const struct player_opts *o);

/* Live mode (`mailsim serve` on a terminal): the player over a playback
 * that is still recording.  The caller's poll loop calls player_live_tick
 * every turn (and when stdin is readable): it follows the newest step
 * unless the user paused or stepped back (Space follows again), lays the
 * map out again when a client connected, reads the keys without waiting,
 * draws, lowers *timeout_ms while a token moves, and returns false when
 * the user pressed q.  The status line says LIVE; `info` (the listening
 * ports, kept by the caller) fills the explanation pane until the first
 * client connects.  player_live_close frees; player_screen_close gives the
 * terminal back. */
struct player_live;
struct player_live *player_live_open(struct playback *pb, const struct player_opts *o);
void player_live_info(struct player_live *l, const char *info);
bool player_live_tick(struct player_live *l, int *timeout_ms);
void player_live_close(struct player_live *l);

/* A shipped lesson, for the menu. */
struct player_lesson {
	char *path;            /* scenarios/pop3-vs-imap.scn */
	char *title;           /* its `title`, or the file name */
	char *about;           /* its `about` paragraphs joined by blank lines, or "" */
	unsigned order;        /* its `order` (the course's sequence), 0 if none */
};

/* The lesson menu over n > 0 lessons: the index chosen with Enter, or -1
 * (q).  `*sel` is the selection to start on and is left on the last one. */
int player_menu(const struct player_lesson *l, size_t n, size_t *sel, bool mono);

/* Open / close the terminal (idempotent; also used by main.c between the
 * menu and a lesson while the simulation runs). */
void player_screen_open(bool mono);
void player_screen_close(void);

#endif
