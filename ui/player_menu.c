/*
 * player_menu.c - the lesson menu that `mailsim` opens with no arguments
 * on a terminal: the lessons on the left, as a course (numbered, in the
 * order main.c sorted them by their `order`), each title with its first
 * `about` sentence under it, dim; the chosen one's file name and `about`
 * paragraphs on the right.  main.c finds the lessons
 * (struct player_lesson) and plays the one chosen; this file only draws
 * the list and reads the keys (Up/Down, Home/End, Enter, a click, q).
 */
#include <assert.h>
#include <string.h>

#include "player_int.h"

/* The length of the first sentence of an about (up to ". ", "? ", "! "
 * or the end of its first paragraph): the summary under a title. */
static size_t first_sentence(const char *about)
{
	size_t i = 0;
	for (; about[i] && about[i] != '\n'; i++)
		if ((about[i] == '.' || about[i] == '?' || about[i] == '!') && about[i + 1] == ' ')
			return i + 1;
	return i;
}

/* Where a summary starts: under its title's first word, after the number. */
static int summary_indent(const char *title)
{
	const char *dot = strstr(title, ". ");
	return 1 + (dot ? (int)(dot - title) + 2 : 2);
}

/* The list's width: its longest numbered title (never cut while the about
 * keeps MENU_ABOUT_MIN columns), wider for the summaries when there is room
 * (the about keeping MENU_ABOUT_WANT). */
#define MENU_ABOUT_MIN 28
#define MENU_ABOUT_WANT 40
static int list_width(const struct player_lesson *l, size_t n)
{
	int ind = summary_indent(l[0].title);
	int tw = 0, sw = 0;
	for (size_t i = 0; i < n; i++) {
		int t = term_width(l[i].title, strlen(l[i].title));
		int s = term_width(l[i].about, first_sentence(l[i].about));
		tw = t > tw ? t : tw;
		sw = s > sw ? s : sw;
	}
	int w = tw + 2;                     /* a column either side */
	if (sw + ind + 1 > w)
		w = sw + ind + 1 < COLS - MENU_ABOUT_WANT ? sw + ind + 1 : COLS - MENU_ABOUT_WANT;
	if (w < tw + 2)
		w = tw + 2;
	if (w > COLS - MENU_ABOUT_MIN)
		w = COLS - MENU_ABOUT_MIN;
	return w;
}

int player_menu(const struct player_lesson *l, size_t n, size_t *sel, bool mono)
{
	assert(l && sel && n > 0);  /* main.c says where it looked when none */
	assert(*sel < n);           /* the selection to start on is a lesson */
	player_screen_open(mono);
	size_t top = 0;
	struct span lines[128];
	for (;;) {
		erase();
		term_fill(0, 0, COLS, " ", term_attr[R_TITLE]);
		term_put(0, 0, COLS, _(" mailsim · lessons"), term_attr[R_TITLE]);
		int listw = list_width(l, n);
		int rows = (LINES - 3) / 2;         /* a lesson: its title, its summary */
		if (rows < 1)
			rows = 1;
		if (*sel < top)
			top = *sel;
		if (*sel >= top + (size_t)rows)
			top = *sel - (size_t)rows + 1;
		for (int r = 0; r < rows && top + (size_t)r < n; r++) {
			size_t i = top + (size_t)r;
			attr_t a = i == *sel ? term_attr[R_CUR] : A_NORMAL;
			term_fill(2 + 2 * r, 0, listw, " ", a);
			term_put_cut(2 + 2 * r, 1, listw - 2, l[i].title, strlen(l[i].title), a);
			int ind = summary_indent(l[i].title);
			term_put_cut(3 + 2 * r, ind, listw - ind - 1, l[i].about,
				     first_sentence(l[i].about), term_attr[R_DIM]);
		}
		int x = listw + 2, w = COLS - x - 1;
		const char *file = strrchr(l[*sel].path, '/');
		term_put(2, x, w, file ? file + 1 : l[*sel].path, term_attr[R_HEAD]);
		size_t nl = term_wrap(l[*sel].about, strlen(l[*sel].about), w, lines, 128);
		for (size_t k = 0; k < nl && (int)k + 4 < LINES - 1; k++)
			term_putn(4 + (int)k, x, w, lines[k].p, lines[k].n, A_NORMAL);
		term_fill(LINES - 1, 0, COLS, " ", term_attr[R_STATUS]);
		term_put(LINES - 1, 0, COLS, _(" Up/Down choose   Enter play   q quit"),
			 term_attr[R_STATUS]);
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
			if (getmouse(&ev) == OK && ev.y >= 2 && ev.y < 2 + 2 * rows &&
			    top + (size_t)(ev.y - 2) / 2 < n)
				*sel = top + (size_t)(ev.y - 2) / 2;
			break;
		}
		default:
			break;
		}
	}
}
