/*
 * html.h - the handout: a recorded run (playback.h) as one self-contained
 * HTML5 page, or its sequence diagram alone as an SVG file.
 *
 * Like the transcript and the JSON views, a reader of the trace's records:
 * it walks the playback's steps (lines, events, notes, quizzes), its
 * message-body blocks, its checks and its mailbox model, and never runs
 * protocol logic.  The page needs no network: the CSS is inline, the
 * diagrams are inline SVG, and the small script (n/p, j/k: the next and
 * previous note) is optional - every note is an anchor with a link to the
 * next one.  Deterministic: the same run and language give the same bytes.
 */
#ifndef MAILSIM_HTML_H
#define MAILSIM_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "playback.h"

struct html_doc {
	const char *title;           /* the lesson's title (in the language), or its file name */
	const char *const *about;    /* its `about` paragraphs */
	size_t nabout;
	uint64_t seed;
	size_t upto;                 /* the steps shown: 0 .. upto - 1; SIZE_MAX: every step */
};

/* The page, or the SVG, of pb's run as of doc->upto.  Both move pb's
 * cursor (pb_seek): a caller that shows it puts it back.  0, or -1 when
 * writing failed. */
int html_write(struct playback *pb, const struct html_doc *doc, FILE *out);
int html_svg_write(struct playback *pb, const struct html_doc *doc, FILE *out);

/* The same into the file path ("-": standard output); svg picks the SVG.
 * 0, or -1 with errno set. */
int html_write_file(struct playback *pb, const struct html_doc *doc, const char *path, bool svg);

#endif
