/*
 * scenario.c - the .scn parser's entry points and its directive table: the
 * top of the parser's family.
 *
 * Reading guide.  The parser is a family of files sharing scenario_int.h
 * (whose reading guide gives the order in which they call each other: this
 * file calls the others, none calls it); the work is done in four steps:
 *
 *   1. Lines (scenario_lex.c).  The text is cut into lines (LF or CRLF);
 *      each line is checked for NUL bytes, control characters and invalid
 *      UTF-8 before anything else reads it, so the later steps can trust
 *      every byte.
 *   2. Tokens (scenario_lex.c).  A line is cut into words and "strings"
 *      (escapes decoded), each with its column; `#` outside a string ends
 *      the line.  The same file reads tokens as values: names, numbers,
 *      durations, rates.
 *   3. Directives (this file, scenario_parse.c, scenario_story.c).  The
 *      first word names a directive, found in a table {name, parser} (at
 *      the end of this file).  A parser builds one element of the tree and
 *      notes every name it refers to (a device, a server, a login...) as a
 *      "reference" with its position; it does not look names up yet.
 *      scenario_parse.c has the header and the world; scenario_story.c the
 *      actions, sessions and checks.
 *   4. Meaning (scenario_resolve.c).  When every line has been read, the
 *      references are resolved against the declarations.  So a name may be
 *      used above the line that declares it: only the story keeps file
 *      order.
 *
 * scn_parse_string() runs the steps, then prints the errors collected by
 * scn_err_at() and scn_err_col() (scenario_base.c) sorted by position, so
 * the teacher reads them top to bottom whichever step found them.  After
 * an error the parser goes on with the next line.
 *
 * Below the entry points, the directive table: parse_lines() walks the
 * lines that step 1 kept: it lexes one, looks its first word up in the
 * table and calls the directive's parser; when a line fails, the
 * references it noted are dropped and the next line is read.  A directive
 * has a line parser or an action parser; `repeat N ACTION` is here, since
 * it only wraps an action, and so is the choice between `link A B
 * up|down` (an action) and a link's declaration.
 */
#include "scenario_int.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Entry points                                                       */
/* ------------------------------------------------------------------ */

static void parse_lines(struct parser *p);

static int diag_cmp(const void *va, const void *vb)
{
	const struct diag *a = va, *b = vb;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void parser_free(struct parser *p)
{
	scn_free_toks(p);
	free(p->toks);
	free(p->lines);
	scn_drop_refs(p, 0);
	free(p->refs);
	for (size_t i = 0; i < p->ndiags; i++)
		free(p->diags[i].msg);
	free(p->diags);
}

int scn_parse_string(const char *name, const char *text, size_t len, struct scenario **out,
		     FILE *errs)
{
	struct parser p;
	memset(&p, 0, sizeof p);
	p.name = name;
	p.s = xcalloc(1, sizeof *p.s);
	p.s->file = xstrdup(name);
	p.s->seed = SCN_DEFAULT_SEED;
	*out = NULL;

	if (len > SCN_MAX_FILE_BYTES) {
		if (errs) {
			/* i18n: not for people: the "FILE:LINE:COL: error:" prefix that editors and tests read */
			fprintf(errs, "%s: error: ", name);
			fprintf(errs, _("the file is too large (more than %zu MiB)"),
				SCN_MAX_FILE_BYTES / (1024 * 1024));
			fputc('\n', errs);
		}
		scn_free(p.s);
		return 1;
	}
	scn_split_lines(&p, text, len);
	parse_lines(&p);
	scn_resolve(&p);

	int n = (int)p.ndiags;
	if (n)
		qsort(p.diags, p.ndiags, sizeof *p.diags, diag_cmp);
	for (size_t i = 0; errs && i < p.ndiags; i++)
		/* i18n: not for people: the "FILE:LINE:COL: error:" prefix that editors and tests read */
		fprintf(errs, "%s:%d:%d: error: %s\n", name, p.diags[i].pos.line,
			p.diags[i].pos.col, p.diags[i].msg);
	parser_free(&p);
	if (n) {
		scn_free(p.s);
		return n;
	}
	*out = p.s;
	return 0;
}

int scn_parse_file(const char *path, struct scenario **out, FILE *errs)
{
	struct buf b;
	char chunk[65536];
	size_t n;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errs) {
			int e = errno;
			/* i18n: not for people: the "FILE:LINE:COL: error:" prefix that editors and tests read */
			fprintf(errs, "%s: error: ", path);
			fprintf(errs, _("cannot read: %s"), strerror(e));
			fputc('\n', errs);
		}
		return 1;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_add(&b, chunk, n);
		if (b.len > SCN_MAX_FILE_BYTES)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		if (errs) {
			/* i18n: not for people: the "FILE:LINE:COL: error:" prefix that editors and tests read */
			fprintf(errs, "%s: error: ", path);
			fprintf(errs, _("cannot read: %s"), strerror(e));
			fputc('\n', errs);
		}
		fclose(f);
		buf_free(&b);
		return 1;
	}
	fclose(f);
	int rc = scn_parse_string(path, b.p ? b.p : "", b.len, out, errs);
	buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The directive table                                                */
/* ------------------------------------------------------------------ */

static int parse_repeat(struct parser *p, const struct tok *kw);
static int parse_link(struct parser *p, const struct tok *kw);

/* A directive has a line parser (header, world, checks, blocks) or an
 * action parser (the story: fills one action; run_action does the rest).
 * `link` has both: `link A B up|down` is an action. */
struct directive {
	const char *name;
	int (*parse)(struct parser *p, const struct tok *kw);
	int (*action)(struct parser *p, const struct tok *kw, struct scn_action *a);
};

static const struct directive directives[] = {
	{"title", scn_parse_title, NULL},
	{"about", scn_parse_about, NULL},
	{"seed", scn_parse_seed, NULL},
	{"order", scn_parse_order, NULL},
	{"domain", scn_parse_domain, NULL},
	{"user", scn_parse_user, NULL},
	{"device", scn_parse_device, NULL},
	{"link", parse_link, scn_action_link},
	{"retry", scn_parse_retry, NULL},
	{"tls", scn_parse_tls, NULL},
	{"mail", scn_parse_mail, NULL},
	{"dkim", scn_parse_dkim, NULL},
	{"txt", scn_parse_txt, NULL},
	{"verify", scn_parse_verify, NULL},
	{"send", NULL, scn_action_send},
	{"pop3", NULL, scn_action_pop3},
	{"imap", NULL, scn_action_imap},
	{"wait", NULL, scn_action_wait},
	{"server", NULL, scn_action_server},
	{"note", NULL, scn_action_note},
	{"quiz", NULL, scn_action_quiz},
	{"repeat", parse_repeat, NULL},
	{"session", scn_parse_session, NULL},
	{"expect", scn_parse_expect, NULL},
	{"exercise", scn_parse_exercise, NULL},
	{"task", scn_parse_lab_text, NULL},
	{"hint", scn_parse_lab_text, NULL},
};

#define NDIRECTIVES (sizeof directives / sizeof directives[0])

static const struct directive *find_directive(const char *name)
{
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

static void err_unknown_directive(struct parser *p, const struct tok *t)
{
	const char *names[NDIRECTIVES];
	for (size_t i = 0; i < NDIRECTIVES; i++)
		names[i] = directives[i].name;
	const char *s = scn_suggest(t->text, names, NDIRECTIVES);
	if (s)
		scn_err_col(p, t->col, _("unknown directive '%s' (did you mean '%s'?)"), t->text,
			    s);
	else {
		/* the list is made from the table, so it never leaves one out */
		struct buf list;
		buf_init(&list);
		for (size_t i = 0; i < NDIRECTIVES; i++) {
			if (i > 0)
				buf_adds(&list, i + 1 < NDIRECTIVES ? ", " : _(" or "));
			buf_adds(&list, directives[i].name);
		}
		scn_err_col(p, t->col, _("unknown directive '%s' (expected %s)"), t->text,
			    list.p);
		buf_free(&list);
	}
}

/* Parse the action whose keyword is kw (already read), and add it to the
 * story; pos is where the action's line starts (a `repeat`). */
static int run_action(struct parser *p, const struct tok *kw, struct scn_pos pos, long repeat)
{
	const struct directive *d = find_directive(kw->text);
	assert(d && d->action);
	struct scn_action a;
	scn_action_init(&a, pos);
	a.repeat = repeat;
	if (d->action(p, kw, &a) < 0 || scn_end_of_line(p) < 0) {
		scn_action_clear(&a);
		return -1;
	}
	*APPEND(p->s->actions, p->s->nactions) = a;
	return 0;
}

/* `link A B up|down` is a story action; any other `link` line declares a
 * link (scenario_parse.c). */
static int parse_link(struct parser *p, const struct tok *kw)
{
	const struct tok *state = p->ti + 2 < p->ntoks ? &p->toks[p->ti + 2] : NULL;
	if (scn_tok_is(state, "up") || scn_tok_is(state, "down"))
		return run_action(p, kw, scn_tok_pos(p, kw), 1);
	return scn_parse_link(p, kw);
}

static int parse_repeat(struct parser *p, const struct tok *kw)
{
	long n;
	if (scn_expect_number(p, _("the repeat count"), 1, SCN_MAX_REPEAT, &n) < 0)
		return -1;
	const struct tok *t = scn_expect_word(p, _("an action to repeat"));
	if (!t)
		return -1;
	const struct directive *d = find_directive(t->text);
	if (!d) {
		err_unknown_directive(p, t);
		return -1;
	}
	if (strcmp(d->name, "session") == 0) {
		scn_err_col(p, t->col, _("repeat cannot repeat a session block"));
		scn_session_body(p, NULL, scn_tok_pos(p, t));
		return -1;
	}
	if (!d->action || strcmp(d->name, "quiz") == 0) {
		scn_err_col(p, t->col,
			    _("repeat cannot repeat '%s' (it repeats send, pop3, imap, wait, "
			      "link ... up|down, server or note)"),
			    t->text);
		return -1;
	}
	return run_action(p, t, scn_tok_pos(p, kw), n);
}

/* Does the line's first word equal word? (for a line that did not lex) */
static bool line_starts_with(const struct line *ln, const char *word)
{
	size_t k = skip_blanks(ln, 0), n = strlen(word);
	return ln->len - k >= n && memcmp(ln->p + k, word, n) == 0 &&
	       (ln->len - k == n || is_blank(ln->p[k + n]));
}

static int parse_directive(struct parser *p)
{
	const struct tok *kw = scn_next_tok(p);
	if (!kw)
		return 0;
	if (kw->string) {
		scn_err_col(p, kw->col, _("expected a directive, got a string"));
		return -1;
	}
	if (strcmp(kw->text, "end") == 0) {
		scn_err_col(p, kw->col, _("'end' without a session"));
		return -1;
	}
	const struct directive *d = find_directive(kw->text);
	if (!d) {
		err_unknown_directive(p, kw);
		return -1;
	}
	if (d->parse)
		return d->parse(p, kw);
	return run_action(p, kw, scn_tok_pos(p, kw), 1);
}

static void parse_lines(struct parser *p)
{
	for (p->li = 0; p->li < p->nlines; p->li++) {
		const struct line *ln = &p->lines[p->li];
		size_t refs0 = p->nrefs, k = skip_blanks(ln, 0);
		int rc;
		if (ln->bad)
			continue;
		p->line_no = ln->no;
		if (k < ln->len && ln->p[k] == '>') {
			scn_err_col(p, (int)k + 1,
				    _("'>' line outside a session block (start one with "
				      "'session DEVICE SERVER PORT')"));
			continue;
		}
		if (scn_lex_line(p, ln) == 0) {
			rc = parse_directive(p);
		} else {
			rc = -1;
			if (line_starts_with(ln, "session"))
				scn_session_body(p, NULL, (struct scn_pos){0, 0});
		}
		if (rc < 0)
			scn_drop_refs(p, refs0);
		scn_free_toks(p);
	}
}
