/*
 * scenario_story.c - step 3 of the .scn parser: the story and the checks.
 *
 * Reading guide.  The directive table (scenario.c) calls these:
 *
 *   The actions: scn_action_send(), _pop3(), _imap(), _wait(), _link()
 *   (`link A B up|down`), _server(), _note() and _quiz() each fill one struct
 *   scn_action from the rest of the line; the table's run_action() makes
 *   it, checks the end of the line and adds it to the story (`repeat`
 *   goes through there too).
 *   The session block: scn_parse_session() reads `session DEVICE SERVER
 *   PORT`, then scn_session_body() the `>` lines up to `end`, reading the
 *   lines ahead of the main loop; for imap, the literals the lines
 *   announce must be given in full.
 *   Initial mail: scn_parse_mail() reads `mail ADDR from ... subject ...`,
 *   a message already in a mailbox (and on devices) before the story.
 *   The checks: scn_parse_expect() reads `expect mailbox|device|reply|
 *   queue ...` into a struct scn_check, keeping the line as written for
 *   the reports.
 *
 * Names of devices and servers are noted as references for step 4
 * (scenario_resolve.c), not looked up here.
 */
#include "scenario_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Step 3: directives - the story                                     */
/* ------------------------------------------------------------------ */

/* A name the line refers to (what: "a device name"): a copy in *out, and
 * a reference of that kind for step 4. */
static int take_name(struct parser *p, const char *what, enum ref_kind kind, char **out)
{
	const struct tok *t = scn_expect_word(p, what);
	if (!t)
		return -1;
	*out = xstrdup(t->text);
	scn_add_ref(p, kind, t, t->text, NULL);
	return 0;
}

static int need_device(struct parser *p, struct scn_action *a)
{
	return take_name(p, _("a device name"), REF_DEVICE, &a->device);
}

static const char *const send_words[] = {"to", "cc", "bcc", "subject", "body"};
enum { SEND_TO, SEND_CC, SEND_BCC, SEND_SUBJECT, SEND_BODY, SEND_NWORDS };

/* An address list after `to`, `cc` or `bcc`: addresses separated by
 * commas, which may be glued to them ("a@x.com,b@y.com") or not. */
static int addr_list(struct parser *p, char ***arr, size_t *n)
{
	bool need = true; /* an address must come next */
	bool any = false;
	const struct tok *t;
	while ((t = scn_peek_tok(p))) {
		if (t->string || (!need && t->text[0] != ','))
			break;
		if (need && scn_tok_which(t, send_words, SEND_NWORDS) >= 0)
			break; /* a keyword where an address should be */
		p->ti++;
		for (size_t i = 0; t->text[i];) {
			if (t->text[i] == ',') {
				if (need) {
					scn_err_col(p, t->col + (int)i,
						    _("expected an address before ','"));
					return -1;
				}
				need = true;
				i++;
				continue;
			}
			size_t len = strcspn(t->text + i, ",");
			char *addr = xstrndup(t->text + i, len);
			if (!scn_valid_address(addr)) {
				scn_err_col(p, t->col + (int)i,
					    _("'%s' is not an address (expected local@domain)"),
					    addr);
				free(addr);
				return -1;
			}
			scn_push_str(arr, n, addr);
			need = false;
			any = true;
			i += len;
		}
	}
	if (need) { /* no address yet, or one was promised by a ',' */
		scn_err_expected(p, t, any ? _("an address after ','")
					     : _("an address (local@domain)"));
		return -1;
	}
	return 0;
}

static bool has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* `subject "..."`: one line.  A copy in *out. */
static int take_subject(struct parser *p, char **out)
{
	const struct tok *v = scn_expect_string(p, _("the subject in double quotes"));
	if (!v)
		return -1;
	if (has_line_break(v->text)) {
		scn_err_col(p, v->col, _("a subject is one line: it cannot hold \\n"));
		return -1;
	}
	*out = xstrdup(v->text);
	return 0;
}

int scn_action_send(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	bool seen[SEND_NWORDS] = {false};
	a->kind = SCN_SEND;
	if (scn_tok_which(scn_peek_tok(p), send_words, SEND_NWORDS) >= 0) {
		scn_err_expected(p, scn_peek_tok(p), _("a device name"));
		return -1;
	}
	if (need_device(p, a) < 0)
		return -1;
	for (const struct tok *t; (t = scn_next_tok(p));) {
		if (scn_tok_which(t, send_words, SEND_NWORDS) < 0 && !t->string &&
		    strchr(t->text, '@')) {
			scn_err_col(p, t->col, _("missing ',' before '%s' "
						 "(separate addresses with commas)"), t->text);
			return -1;
		}
		/* TRANSLATORS: the kind of word in "unknown %s '%s'"; then the words */
		int which = scn_take_option(p, t, _("send keyword"),
					    _("to, cc, bcc, subject or body"), send_words,
					    SEND_NWORDS, seen);
		if (which < 0)
			return -1;
		const struct tok *v;
		int rc = 0;
		switch (which) {
		case SEND_TO:
			rc = addr_list(p, &a->to, &a->nto);
			break;
		case SEND_CC:
			rc = addr_list(p, &a->cc, &a->ncc);
			break;
		case SEND_BCC:
			rc = addr_list(p, &a->bcc, &a->nbcc);
			break;
		case SEND_SUBJECT:
			rc = take_subject(p, &a->subject);
			break;
		case SEND_BODY:
			if (!(v = scn_expect_string(p, _("the body in double quotes"))))
				return -1;
			a->body = xstrdup(v->text);
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (!seen[SEND_TO]) {
		scn_err_col(p, kw->col, _("send needs 'to' and at least one address"));
		return -1;
	}
	if (!seen[SEND_SUBJECT]) {
		scn_err_col(p, kw->col, _("send needs a subject: add subject \"...\""));
		return -1;
	}
	if (!seen[SEND_BODY]) {
		scn_err_col(p, kw->col, _("send needs a body: add body \"...\""));
		return -1;
	}
	return 0;
}

int scn_action_pop3(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	a->kind = SCN_POP3_FETCH;
	if (need_device(p, a) < 0 || scn_expect_keyword(p, "fetch") < 0)
		return -1;
	a->keep = scn_take_word(p, "keep");
	if (!a->keep && scn_peek_tok(p)) {
		scn_err_expected(p, scn_peek_tok(p), _("'keep' or the end of the line"));
		return -1;
	}
	return 0;
}

static int imap_msgno(struct parser *p, struct scn_action *a)
{
	return scn_expect_number(p, _("a message number"), 1, SCN_MAX_MSGNO, &a->msgno);
}

static int take_folder(struct parser *p, char **out)
{
	const struct tok *t = scn_expect_text(p, _("a folder name"));
	if (!t)
		return -1;
	if (!*t->text || has_line_break(t->text)) {
		scn_err_col(p, t->col, _("a folder name must be one line, not empty"));
		return -1;
	}
	*out = xstrdup(t->text);
	return 0;
}

/* \Seen and friends (written in any case, stored as IMAP spells them), or
 * a keyword atom like $Label1. */
static int parse_flag(struct parser *p, char **out)
{
	static const char *const system[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
					     "\\Draft"};
	const struct tok *t = scn_expect_word(p, _("a flag like \\Seen or \\Flagged"));
	if (!t)
		return -1;
	if (t->text[0] == '\\') {
		for (size_t i = 0; i < sizeof system / sizeof system[0]; i++) {
			if (strcasecmp(t->text, system[i]) == 0) {
				*out = xstrdup(system[i]);
				return 0;
			}
		}
	} else {
		const char *q = t->text;
		for (; *q; q++)
			if ((unsigned char)*q >= 0x7f || strchr("(){%*]\\", *q))
				break;
		if (!*q) {
			*out = xstrdup(t->text);
			return 0;
		}
	}
	scn_err_col(p, t->col,
		    _("unknown flag '%s' (expected \\Seen, \\Answered, \\Flagged, \\Deleted, "
		      "\\Draft or a keyword like $Label1)"),
		    t->text);
	return -1;
}

static int imap_flag(struct parser *p, struct scn_action *a)
{
	return parse_flag(p, &a->flag);
}

int scn_action_imap(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	static const char *const cmds[] = {"sync", "open", "close", "read",
					   "flag", "create", "move", "delete"};
	static const enum scn_action_kind kinds[] = {
		SCN_IMAP_SYNC, SCN_IMAP_OPEN, SCN_IMAP_CLOSE, SCN_IMAP_READ,
		SCN_IMAP_FLAG, SCN_IMAP_CREATE, SCN_IMAP_MOVE, SCN_IMAP_DELETE,
	};
	static_assert(sizeof cmds / sizeof cmds[0] == 8 && sizeof kinds / sizeof kinds[0] == 8,
		      "one kind per imap command");
	(void)kw;
	a->kind = SCN_IMAP_SYNC;
	if (need_device(p, a) < 0)
		return -1;
	const struct tok *t = scn_next_tok(p);
	int which = scn_tok_which(t, cmds, 8);
	if (which < 0) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'"; then the words */
		scn_err_unknown_word(p, t, _("imap command"), _("sync, open, close, read, flag, "
								"create, move or delete"), cmds, 8);
		return -1;
	}
	a->kind = kinds[which];
	switch (a->kind) {
	case SCN_IMAP_READ:
	case SCN_IMAP_DELETE:
		return imap_msgno(p, a);
	case SCN_IMAP_FLAG:
		return imap_msgno(p, a) < 0 ? -1 : imap_flag(p, a);
	case SCN_IMAP_CREATE:
		return take_folder(p, &a->folder);
	case SCN_IMAP_MOVE:
		return imap_msgno(p, a) < 0 ? -1 : take_folder(p, &a->folder);
	default:
		return 0;
	}
}

int scn_action_wait(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	if (scn_take_word(p, "idle")) {
		a->kind = SCN_WAIT_IDLE;
		return 0;
	}
	a->kind = SCN_WAIT;
	return scn_expect_duration(p, _("the wait"), 1, &a->duration_us);
}

static int up_or_down(struct parser *p, struct scn_action *a)
{
	const struct tok *t = scn_next_tok(p);
	if (!scn_tok_is(t, "up") && !scn_tok_is(t, "down")) {
		scn_err_expected(p, t, _("'up' or 'down'"));
		return -1;
	}
	a->up = strcmp(t->text, "up") == 0;
	return 0;
}

int scn_action_link(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	const struct tok *ta, *tb;
	a->kind = SCN_LINK_STATE;
	if (scn_link_ends(p, &ta, &tb) < 0)
		return -1;
	a->host_a = xstrdup(ta->text);
	a->host_b = xstrdup(tb->text);
	scn_add_ref(p, REF_LINKED, ta, ta->text, tb->text);
	return up_or_down(p, a);
}

int scn_action_server(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	a->kind = SCN_SERVER_STATE;
	if (take_name(p, _("a server name"), REF_SERVER, &a->host_a) < 0)
		return -1;
	return up_or_down(p, a);
}

int scn_action_note(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	a->kind = SCN_NOTE;
	const struct tok *t = scn_expect_lesson_text(p, _("the note in double quotes"));
	if (!t)
		return -1;
	a->text = xstrdup(t->text);
	return 0;
}

/* An enhanced status code like 5.1.1 (RFC 3463: class.subject.detail). */
static bool is_enhanced_code(const char *w)
{
	if ((w[0] != '2' && w[0] != '4' && w[0] != '5') || w[1] != '.')
		return false;
	size_t n1 = strspn(w + 2, "0123456789");
	size_t n2 = w[2 + n1] == '.' ? strspn(w + 3 + n1, "0123456789") : 0;
	return n1 >= 1 && n1 <= 3 && n2 >= 1 && n2 <= 3 && w[3 + n1 + n2] == '\0';
}

/* `quiz ... reply CODE`: a server reply's code, of any of the three
 * protocols: SMTP 550 or 5.1.1, POP3 +OK or -ERR, IMAP's tagged OK, NO
 * or BAD, or + (an IMAP continuation). */
static int quiz_reply(struct parser *p, struct scn_action *a)
{
	static const char *const words[] = {"+OK", "-ERR", "OK", "NO", "BAD", "+"};
	const struct tok *t = scn_next_tok(p);
	const char *w = t && !t->string ? t->text : "";
	long code;
	if ((strlen(w) == 3 && scn_parse_long(w, 200, 599, &code)) || is_enhanced_code(w) ||
	    scn_tok_which(t, words, sizeof words / sizeof words[0]) >= 0) {
		a->reply = xstrdup(w);
		return 0;
	}
	scn_err_expected(p, t, _("a reply code (550, 5.1.1, +OK, -ERR, OK, NO, BAD or +)"));
	return -1;
}

/* `quiz ... choices "A" "B" ... answer N`: 2 to 6 choices, N the right
 * one's number. */
static int quiz_choices(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	const struct tok *t;
	while ((t = scn_peek_tok(p)) && t->string) {
		if (a->nchoices == SCN_MAX_CHOICES) {
			scn_err_col(p, t->col, _("a quiz has at most %d choices"), SCN_MAX_CHOICES);
			return -1;
		}
		if (!t->text[0]) {
			scn_err_col(p, t->col, _("a choice cannot be empty"));
			return -1;
		}
		if (!(t = scn_expect_lesson_text(p, _("a choice in double quotes"))))
			return -1;
		scn_push_str(&a->choices, &a->nchoices, xstrdup(t->text));
	}
	if (a->nchoices < 2) {
		if (!t || scn_tok_is(t, "answer"))
			scn_err_col(p, kw->col,
				    _("a quiz has at least 2 choices, each in double quotes"));
		else
			scn_err_expected(p, t, _("a choice in double quotes"));
		return -1;
	}
	if (!scn_tok_is(t, "answer")) {
		scn_err_expected(p, t, _("another choice in double quotes or 'answer N'"));
		return -1;
	}
	p->ti++;
	return scn_expect_number(p, _("the number of the right choice"), 1, (long)a->nchoices,
				 &a->answer);
}

/* quiz "QUESTION" [reply CODE] [choices "A" "B" ... answer N]: at least
 * one of the two, each once, in either order. */
int scn_action_quiz(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	a->kind = SCN_QUIZ;
	const struct tok *t = scn_peek_tok(p);
	if (t && t->string && !t->text[0]) {
		scn_err_col(p, t->col, _("the question cannot be empty"));
		return -1;
	}
	if (!(t = scn_expect_lesson_text(p, _("the question in double quotes"))))
		return -1;
	a->text = xstrdup(t->text);
	while ((t = scn_peek_tok(p)) != NULL) {
		bool reply = scn_tok_is(t, "reply"), choices = scn_tok_is(t, "choices");
		if ((!reply && !choices) || (reply && a->reply) || (choices && a->nchoices)) {
			if (reply || choices)
				scn_err_col(p, t->col, _("'%s' given twice"), t->text);
			else
				scn_err_expected(p, t, a->reply || a->nchoices
					? _("'reply' or 'choices' or the end of the line")
					: _("'reply' or 'choices'"));
			return -1;
		}
		p->ti++;
		if ((reply ? quiz_reply(p, a) : quiz_choices(p, t, a)) < 0)
			return -1;
	}
	if (!a->reply && !a->nchoices) {
		scn_err_col(p, kw->col, _("a quiz needs 'reply CODE' (asked before that reply), "
					  "'choices \"...\" \"...\" answer N', or both"));
		return -1;
	}
	return 0;
}

/* The body of a session block: `>` lines up to `end`.  Blank and comment
 * lines may sit between them.  The block also ends at the first other
 * line, which is then read as a directive: a forgotten `end` is one error,
 * not one per line of the rest of the file.  a NULL: skip quietly. */
int scn_session_body(struct parser *p, struct scn_action *a, struct scn_pos pos)
{
	assert(p->li < p->nlines); /* the session's line */
	size_t j;
	for (j = p->li + 1; j < p->nlines; j++) {
		const struct line *ln = &p->lines[j];
		size_t k = skip_blanks(ln, 0);
		if (ln->bad)
			continue;
		if (k == ln->len || ln->p[k] == '#')
			continue;
		if (ln->p[k] == '>') {
			size_t start = k + 1;
			if (start < ln->len && ln->p[start] == ' ')
				start++;
			if (a) {
				struct scn_session_line *sl = APPEND(a->lines, a->nlines);
				sl->pos.line = ln->no;
				sl->pos.col = (int)k + 1;
				sl->text = xstrndup(ln->p + start, ln->len - start);
			}
			continue;
		}
		if (ln->len - k >= 3 && memcmp(ln->p + k, "end", 3) == 0) {
			size_t e = skip_blanks(ln, k + 3);
			if (e == ln->len || ln->p[e] == '#') {
				p->li = j;
				return 0;
			}
		}
		break;
	}
	p->li = j - 1;
	if (a) {
		scn_err_at(p, pos,
			   _("session has no 'end' line (a session is '>' lines, then 'end')"));
		return -1;
	}
	return 0;
}

static const char *const port_words[] = {"smtp", "submission", "pop3", "imap"};

static int session_header(struct parser *p, struct scn_action *a)
{
	static const enum scn_port ports[] = {SCN_PORT_SMTP, SCN_PORT_SUBMISSION,
					      SCN_PORT_POP3, SCN_PORT_IMAP};
	static_assert(sizeof ports / sizeof ports[0] == 4 &&
			      sizeof port_words / sizeof port_words[0] == 4,
		      "one port per port word");
	if (need_device(p, a) < 0 || take_name(p, _("a server name"), REF_SERVER, &a->server) < 0)
		return -1;
	const struct tok *t = scn_next_tok(p);
	int which = scn_tok_which(t, port_words, 4);
	if (which < 0) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'" (a port's name) */
		scn_err_unknown_word(p, t, _("port"), _("smtp, submission, pop3 or imap"),
				     port_words, 4);
		return -1;
	}
	a->port = ports[which];
	if (scn_end_of_line(p) < 0)
		return -1;
	return 0;
}

/* An IMAP line announcing a literal ("{n}" or "{n+}" at its end): n. */
static bool session_literal(const char *text, uint64_t *n)
{
	size_t len = strlen(text);
	if (len < 3 || text[len - 1] != '}')
		return false;
	size_t i = len - 1;
	if (text[i - 1] == '+')
		i--;
	size_t end = i;
	while (i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9')
		i--;
	if (i == 0 || i == end || end - i > 18 || text[i - 1] != '{')
		return false;
	*n = strtoull(text + i, NULL, 10);
	return true;
}

/* In an imap session, a literal's octets are the `>` lines after its
 * announcement, each with its CRLF: if they fall short, the server would
 * wait for the rest until it gives up, so say so now. */
static int session_check_literals(struct parser *p, const struct scn_action *a)
{
	uint64_t left = 0;
	const struct scn_session_line *announced = NULL;
	for (size_t i = 0; i < a->nlines; i++) {
		uint64_t size = strlen(a->lines[i].text) + 2, n;
		if (left > 0) {
			left = left > size ? left - size : 0;
			continue;
		}
		if (session_literal(a->lines[i].text, &n) && n > 0) {
			left = n;
			announced = &a->lines[i];
		}
	}
	if (left == 0)
		return 0;
	assert(announced);
	scn_err_at(p, announced->pos,
		   _("the literal announced here needs %llu more octets than the lines after it "
		     "give (each '>' line counts with its CRLF)"),
		   (unsigned long long)left);
	return -1;
}

int scn_parse_session(struct parser *p, const struct tok *kw)
{
	struct scn_action a;
	scn_action_init(&a, scn_tok_pos(p, kw));
	a.kind = SCN_SESSION;
	int rc = session_header(p, &a);
	if (scn_session_body(p, &a, scn_tok_pos(p, kw)) < 0)
		rc = -1;
	if (rc == 0 && a.port == SCN_PORT_IMAP && session_check_literals(p, &a) < 0)
		rc = -1;
	if (rc < 0) {
		scn_action_clear(&a);
		return -1;
	}
	*APPEND(p->s->actions, p->s->nactions) = a;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Step 3: directives - the checks                                    */
/* ------------------------------------------------------------------ */

static int check_count(struct parser *p, struct scn_check *c)
{
	if (scn_expect_keyword(p, "count") < 0)
		return -1;
	return scn_expect_number(p, _("the count"), 0, SCN_MAX_COUNT, &c->count);
}

/* Extension: `header "NAME" containing "TEXT"` in a mailbox's `has`. */
static int check_header(struct parser *p, struct scn_check *c)
{
	const struct tok *name = scn_expect_text(p, _("a header name such as "
						      "\"Authentication-Results\""));
	if (!name)
		return -1;
	size_t n = strlen(name->text);
	if (n && name->text[n - 1] == ':')
		n--; /* "Subject:" names the field as well as "Subject" */
	if (n == 0 || strcspn(name->text, " \t:") < n) {
		scn_err_col(p, name->col, _("'%s' is not a header name"), name->text);
		return -1;
	}
	if (scn_expect_keyword(p, "containing") < 0)
		return -1;
	const struct tok *text = scn_expect_string(p, _("the text in double quotes"));
	if (!text)
		return -1;
	c->header = xstrndup(name->text, n);
	c->header_text = xstrdup(text->text);
	return 0;
}

/* `has [from ADDR] [to ADDR] [subject "..."] [flag FLAG] [submitted]
 * [header "NAME" containing "TEXT"]`, at least one, any order; one message
 * must match them all.  (`flag`, `submitted` and `header` are extensions;
 * the last two read the server's copy, so they are for mailboxes.) */
static int check_has(struct parser *p, struct scn_check *c)
{
	static const char *const words[] = {"from", "to", "subject", "flag", "submitted", "header"};
	bool seen[6] = {false, false, false, false, false, false};
	/* the route is in the server's copy (its Received: lines), not a device's */
	bool mailbox = c->kind == SCN_EXPECT_MAILBOX_HAS;
	const char *expected = mailbox ? _("from, to, subject, flag, submitted or header")
				       : _("from, to, subject or flag");
	const struct tok *t;
	while ((t = scn_next_tok(p))) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'" */
		int which = scn_take_option(p, t, _("'has' field"), expected, words,
					    mailbox ? 6 : 4,
					    seen);
		if (which < 0)
			return -1;
		if (which == 4) {
			c->submitted = true;
			continue;
		}
		if (which == 5) {
			if (check_header(p, c) < 0)
				return -1;
			continue;
		}
		char **field = which == 0 ? &c->from : which == 1 ? &c->to
			     : which == 2 ? &c->subject : &c->flag;
		if (which == 3) {
			if (parse_flag(p, field) < 0)
				return -1;
			continue;
		}
		const struct tok *v =
			which == 2 ? scn_expect_string(p, _("the subject in double quotes"))
				   : scn_expect_address(p);
		if (!v)
			return -1;
		*field = xstrdup(v->text);
	}
	if (!c->from && !c->to && !c->subject && !c->flag && !c->submitted && !c->header) {
		scn_err_col(p, p->eol_col, _("expected %s after 'has'"), expected);
		return -1;
	}
	return 0;
}

static int check_mailbox(struct parser *p, struct scn_check *c)
{
	const struct tok *addr = scn_expect_address(p);
	if (!addr)
		return -1;
	c->address = xstrdup(addr->text);
	scn_add_ref(p, REF_MAILBOX, addr, addr->text, NULL);
	if (scn_take_word(p, "folder")) {
		const struct tok *t = scn_expect_text(p, _("a folder name"));
		if (!t)
			return -1;
		c->folder = xstrdup(t->text);
	}
	c->kind = SCN_EXPECT_MAILBOX_COUNT;
	if (scn_tok_is(scn_peek_tok(p), "count"))
		return check_count(p, c);
	if (scn_take_word(p, "has")) {
		c->kind = SCN_EXPECT_MAILBOX_HAS;
		return check_has(p, c);
	}
	scn_err_expected(p, scn_peek_tok(p),
			 c->folder ? _("'count' or 'has'") : _("'count', 'folder' or 'has'"));
	return -1;
}

/* 550 (200 to 599) or an enhanced status code like 5.1.1 (RFC 3463). */
static int check_reply(struct parser *p, struct scn_check *c)
{
	c->kind = SCN_EXPECT_REPLY;
	const struct tok *t = scn_next_tok(p);
	const char *w = t && !t->string ? t->text : "";
	long code;
	if (strlen(w) == 3 && scn_parse_long(w, 200, 599, &code)) {
		c->reply_code = (int)code;
		return 0;
	}
	if (is_enhanced_code(w)) {
		c->reply_enh = xstrdup(w);
		return 0;
	}
	scn_err_expected(p, t, _("a reply code like 550 or an enhanced status like 5.1.1"));
	return -1;
}

int scn_parse_expect(struct parser *p, const struct tok *kw)
{
	static const char *const kinds[] = {"mailbox", "device", "reply", "queue"};
	struct scn_check c;
	memset(&c, 0, sizeof c);
	c.pos = scn_tok_pos(p, kw);
	const struct tok *t = scn_next_tok(p);
	int rc = -1;
	switch (scn_tok_which(t, kinds, 4)) {
	case 0:
		rc = check_mailbox(p, &c);
		break;
	case 1:
		c.kind = SCN_EXPECT_DEVICE_COUNT;
		if (take_name(p, _("a device name"), REF_DEVICE, &c.device) < 0)
			break;
		if (scn_take_word(p, "has")) {
			/* extension: what the device holds, by content and flags */
			c.kind = SCN_EXPECT_DEVICE_HAS;
			rc = check_has(p, &c);
			break;
		}
		rc = check_count(p, &c);
		break;
	case 2:
		rc = check_reply(p, &c);
		break;
	case 3:
		if (take_name(p, _("a server name"), REF_SERVER, &c.host) < 0)
			break;
		c.kind = SCN_EXPECT_QUEUE_EMPTY;
		if (scn_take_word(p, "empty")) {
			rc = 0;
		} else if (scn_tok_is(scn_peek_tok(p), "count")) {
			c.kind = SCN_EXPECT_QUEUE_COUNT;
			rc = check_count(p, &c);
		} else {
			scn_err_expected(p, scn_peek_tok(p), _("'empty' or 'count'"));
		}
		break;
	default:
		/* TRANSLATORS: the kind of word in "unknown %s '%s'": a scenario's check */
		scn_err_unknown_word(p, t, _("check"), _("mailbox, device, reply or queue"), kinds,
				     4);
		break;
	}
	if (rc == 0)
		rc = scn_end_of_line(p);
	if (rc < 0) {
		scn_check_clear(&c);
		return -1;
	}
	/* The line as written, trimmed, without its comment. */
	const struct line *ln = &p->lines[p->li];
	size_t b = 0, e = p->comment_off;
	assert(e <= ln->len);
	while (b < e && is_blank(ln->p[b]))
		b++;
	while (e > b && is_blank(ln->p[e - 1]))
		e--;
	c.source = xstrndup(ln->p + b, e - b);
	*APPEND(p->s->checks, p->s->nchecks) = c;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Step 3: initial mail                                               */
/* ------------------------------------------------------------------ */

static const char *const mail_words[] = {"from", "subject", "folder", "date",
					 "flags", "body", "on"};
enum { MAIL_FROM, MAIL_SUBJECT, MAIL_FOLDER, MAIL_DATE, MAIL_FLAGS, MAIL_BODY, MAIL_ON,
       MAIL_NWORDS };

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "2 Mar 2026 08:15" or "2 Mar 2026 08:15:30", UTC, as RFC 5322 writes a
 * date without its day name and zone.  -1 if malformed. */
static int parse_mail_date(const char *s, int64_t *out)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int d, y, hh, mm, ss = 0, n = 0;
	char mon[4];
	if (sscanf(s, "%2d %3s %4d %2d:%2d%n", &d, mon, &y, &hh, &mm, &n) != 5)
		return -1;
	if (s[n] == ':') {
		int k = 0;
		if (sscanf(s + n, ":%2d%n", &ss, &k) != 1)
			return -1;
		n += k;
	}
	if (s[n] || y < 1970 || hh > 23 || mm > 59 || ss > 59 || hh < 0 || mm < 0 || ss < 0)
		return -1;
	int m = 0;
	while (m < 12 && strcasecmp(mon, months[m]) != 0)
		m++;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 12 || d < 1 || d > mdays[m] || (m == 1 && d == 29 && !leap))
		return -1;
	*out = days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

/* The words after `flags` or `on`, up to the next keyword or the end:
 * at least one. */
static bool mail_list_next(struct parser *p, bool first)
{
	const struct tok *t = scn_peek_tok(p);
	if (first)
		return true;
	return t && !t->string && scn_tok_which(t, mail_words, MAIL_NWORDS) < 0;
}

static int mail_option(struct parser *p, struct scn_mail *m, int which)
{
	const struct tok *v;
	switch (which) {
	case MAIL_FROM:
		if (!(v = scn_expect_address(p)))
			return -1;
		m->from = xstrdup(v->text);
		return 0;
	case MAIL_SUBJECT:
		return take_subject(p, &m->subject);
	case MAIL_FOLDER:
		free(m->folder);
		m->folder = NULL;
		if (take_folder(p, &m->folder) < 0)
			return -1;
		if (strcasecmp(m->folder, "INBOX") == 0)
			strcpy(m->folder, "INBOX");
		return 0;
	case MAIL_DATE:
		if (!(v = scn_expect_string(
			      p, _("a date in double quotes, like \"2 Mar 2026 08:15\""))))
			return -1;
		if (parse_mail_date(v->text, &m->date) < 0) {
			scn_err_col(p, v->col,
				    _("'%s' is not a date (expected day month year hours:minutes, "
				      "like \"2 Mar 2026 08:15\", in UTC)"),
				    v->text);
			return -1;
		}
		if (m->date >= SCN_STORY_START_UNIX) {
			scn_err_col(p, v->col,
				    _("the date '%s' is not before the story starts "
				      "(2 Mar 2026 09:00 UTC): the mail is already there"),
				    v->text);
			return -1;
		}
		m->has_date = true;
		return 0;
	case MAIL_BODY:
		if (!(v = scn_expect_string(p, _("the body in double quotes"))))
			return -1;
		free(m->body);
		m->body = xstrdup(v->text);
		return 0;
	case MAIL_FLAGS:
		for (bool first = true; mail_list_next(p, first); first = false) {
			char *f = NULL;
			if (parse_flag(p, &f) < 0)
				return -1;
			scn_push_str(&m->flags, &m->nflags, f);
		}
		return 0;
	default:
		assert(which == MAIL_ON);
		for (bool first = true; mail_list_next(p, first); first = false) {
			if (!(v = scn_expect_device_name(p)))
				return -1;
			scn_push_str(&m->devices, &m->ndevices, xstrdup(v->text));
			scn_add_ref(p, REF_MAIL_DEVICE, v, v->text, m->address);
		}
		return 0;
	}
}

/* Extension: `mail ADDR from ADDR subject "..." [folder F] [date "..."]
 * [flags FLAG...] [body "..."] [on DEVICE...]`. */
int scn_parse_mail(struct parser *p, const struct tok *kw)
{
	const struct tok *addr = scn_expect_address(p);
	if (!addr)
		return -1;
	struct scn_mail m = {
		.pos = scn_tok_pos(p, kw),
		.address = xstrdup(addr->text),
		.folder = xstrdup("INBOX"),
		.body = xstrdup(""),
	};
	scn_add_ref(p, REF_MAILBOX, addr, addr->text, NULL);
	bool seen[MAIL_NWORDS] = {false};
	const struct tok *on = NULL;
	for (const struct tok *t; (t = scn_next_tok(p));) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'"; then the words */
		int which = scn_take_option(p, t, _("mail keyword"),
					    _("from, subject, folder, date, flags, body or on"),
					    mail_words, MAIL_NWORDS, seen);
		if (which == MAIL_ON)
			on = t;
		if (which < 0 || mail_option(p, &m, which) < 0) {
			scn_mail_clear(&m);
			return -1;
		}
	}
	const char *missing = !m.from ? "from" : !m.subject ? "subject" : NULL;
	if (missing) {
		scn_err_col(p, p->eol_col,
			    _("expected '%s' (a message has a sender and a subject)"), missing);
	} else if (on && strcmp(m.folder, "INBOX") != 0) {
		scn_err_col(p, on->col, _("only INBOX mail can be on a device (devices keep "
					  "INBOX), not %s"),
			    m.folder);
		missing = "on";
	}
	if (missing) {
		scn_mail_clear(&m);
		return -1;
	}
	*APPEND(p->s->mails, p->s->nmails) = m;
	return 0;
}
