/*
 * player_menu.c - the lesson menu that `mailsim` opens with no arguments
 * on a terminal: the lessons' titles on the left, the chosen one's file
 * name and `about` paragraphs on the right.  main.c finds the lessons
 * (struct player_lesson) and plays the one chosen; this file only draws
 * the list and reads the keys (Up/Down, Home/End, Enter, a click, q).
 */
#include <assert.h>
#include <string.h>

#include "player_int.h"

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
		term_put(0, 0, COLS, " mailsim · lessons", term_attr[R_TITLE]);
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
			attr_t a = i == *sel ? term_attr[R_CUR] : A_NORMAL;
			term_fill(2 + r, 0, listw, " ", a);
			term_put(2 + r, 1, listw - 2, l[i].title, a);
		}
		int x = listw + 2, w = COLS - x - 1;
		const char *file = strrchr(l[*sel].path, '/');
		term_put(2, x, w, file ? file + 1 : l[*sel].path, term_attr[R_HEAD]);
		size_t nl = term_wrap(l[*sel].about, strlen(l[*sel].about), w, lines, 128);
		for (size_t k = 0; k < nl && (int)k + 4 < LINES - 1; k++)
			term_putn(4 + (int)k, x, w, lines[k].p, lines[k].n, A_NORMAL);
		term_fill(LINES - 1, 0, COLS, " ", term_attr[R_STATUS]);
		term_put(LINES - 1, 0, COLS, " Up/Down choose   Enter play   q quit",
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
