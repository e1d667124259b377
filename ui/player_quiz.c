/*
 * player_quiz.c - quiz mode (`play --quiz`): where the player stops to ask
 * the class a question, the choices, the answers and the score.
 *
 * At load, one pass over the steps finds the questions (struct
 * quiz_point), sorted by the step each stands before:
 *
 *   - the lesson's own, when it has any: each record "quiz" from "story"
 *     (trace_quiz_parse, sim/trace.h).  One with `reply CODE` stands
 *     before the first line of the first server reply after it that
 *     carries CODE (trace_reply_is); one without, before its own record
 *     (which holds the answer).  A reply that never came: no question
 *     (`run` warned of it).
 *   - otherwise, automatic ones at the replies that teach: SMTP 4xx/5xx,
 *     354, 235 and the first 250 to a RCPT TO of a session; POP3 -ERR and
 *     +OK to DELE or QUIT; IMAP a tagged NO or BAD.  Only a server line
 *     that answers a command (the one before it in its session is the
 *     client's) starts a reply: never a greeting, an IDLE push or a
 *     continuation line.
 *
 * A question without authored choices offers codes of its protocol, the
 * right one among them, picked from the step's number (the same run, the
 * same choices) and listed in order.  An answer is kept with its question:
 * stepping back and forward again does not ask it again, and the score
 * (quiz_asked, quiz_right) counts each question once.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "player_int.h"
#include "trace.h"

#define QUIZ_REPLY_LOOKAHEAD 10000 /* session steps from a reply's start to its code */
#define QUIZ_SMTP_CHOICES 4

/* The codes automatic choices are drawn from, in display order. */
static const char *const smtp_codes[] = { "220", "221", "235", "250", "334", "354",
					  "421", "451", "535", "550", "554" };
static const char *const pop3_codes[] = { "+OK", "-ERR" };
static const char *const imap_codes[] = { "OK", "NO", "BAD" };

/* The code of a reply's line: SMTP "550", POP3 "+OK", IMAP tagged "NO" or
 * "+" (a continuation); false for a line that carries none (IMAP untagged). */
static bool line_code(const struct pb_step *s, char *out, size_t n)
{
	const char *t = s->text;
	size_t len = s->text_len, k = 0;
	while (k < len && t[k] != ' ')
		k++;
	if (s->proto == PROTO_IMAP) {
		if (len && t[0] == '+') {
			snprintf(out, n, "+");
			return true;
		}
		if (k == 1 && t[0] == '*')
			return false;
		size_t w = k + 1, e = w;
		while (e < len && t[e] != ' ')
			e++;
		if (w >= len)
			return false;
		snprintf(out, n, "%.*s", (int)(e - w), t + w);
		for (char *c = out; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
		return true;
	}
	if (s->proto == PROTO_SMTP)
		k = k < 3 ? k : 3;
	snprintf(out, n, "%.*s", (int)k, t);
	return k > 0;
}

static bool step_starts(const struct pb_step *s, const char *word)
{
	size_t n = strlen(word);
	return s->text_len >= n && strncasecmp(s->text, word, n) == 0;
}

/* A server line that starts a reply: the line before it in its session is
 * the client's.  *cmd is that command's step. */
static bool reply_start(const struct player *p, size_t i, struct pb_step *cmd)
{
	struct pb_step s;
	if (!step_at(p, i, &s) || s.event || s.dir != DIR_S2C || !s.session ||
	    s.proto == PROTO_DNS || s.proto == PROTO_NONE)
		return false;
	return step_at(p, pb_session_prev(p->pb, i), cmd) && !cmd->event && cmd->dir == DIR_C2S;
}

/* The line of the reply starting at step i that carries its code (IMAP:
 * the tagged line after the untagged ones), or SIZE_MAX. */
static size_t reply_code_line(const struct player *p, size_t i)
{
	struct pb_step s;
	char code[16];
	for (int k = 0; i != SIZE_MAX && k < QUIZ_REPLY_LOOKAHEAD; k++) {
		if (!step_at(p, i, &s) || s.event || s.dir != DIR_S2C)
			return SIZE_MAX;
		if (line_code(&s, code, sizeof code))
			return i;
		i = pb_session_next(p->pb, i);
	}
	return SIZE_MAX;
}

/* Where the reply whose line m is starts: back over the server's lines. */
static size_t reply_first_line(const struct player *p, size_t m)
{
	struct pb_step s;
	for (int k = 0; k < QUIZ_REPLY_LOOKAHEAD; k++) {
		size_t q = pb_session_prev(p->pb, m);
		if (!step_at(p, q, &s) || s.event || s.dir != DIR_S2C)
			break;
		m = q;
	}
	return m;
}

/* An earlier 250 to a RCPT TO in the session of step i? */
static bool earlier_rcpt_250(const struct player *p, size_t i)
{
	struct pb_step s, c;
	for (size_t q = pb_session_prev(p->pb, i); q != SIZE_MAX; q = pb_session_prev(p->pb, q))
		if (step_at(p, q, &s) && s.dir == DIR_S2C && step_starts(&s, "250") &&
		    step_at(p, pb_session_prev(p->pb, q), &c) && c.dir == DIR_C2S &&
		    step_starts(&c, "RCPT TO"))
			return true;
	return false;
}

/* Does the reply coded `code` to command cmd teach (automatic quizzes)? */
static bool reply_matters(const struct player *p, size_t i, const struct pb_step *cmd,
			  enum trace_proto proto, const char *code)
{
	switch (proto) {
	case PROTO_SMTP:
		if (code[0] == '4' || code[0] == '5' || !strcmp(code, "354") || !strcmp(code, "235"))
			return true;
		return !strcmp(code, "250") && step_starts(cmd, "RCPT TO") && !earlier_rcpt_250(p, i);
	case PROTO_POP3:
		return !strcmp(code, "-ERR") ||
		       (!strcmp(code, "+OK") && (step_starts(cmd, "DELE") || step_starts(cmd, "QUIT")));
	case PROTO_IMAP:
		return !strcmp(code, "NO") || !strcmp(code, "BAD");
	default:
		return false;
	}
}

/* Choices of the protocol's codes, `right` among them; for SMTP, three
 * others picked from the step number. */
static void auto_choices(struct quiz_point *q, enum trace_proto proto, const char *right,
			 size_t step)
{
	const char *const *pool = proto == PROTO_SMTP ? smtp_codes
				: proto == PROTO_POP3 ? pop3_codes
						      : imap_codes;
	size_t n = proto == PROTO_SMTP ? sizeof smtp_codes / sizeof *smtp_codes
		 : proto == PROTO_POP3 ? 2
				       : 3;
	bool take[16] = { false };
	for (size_t k = 0; k < n && proto != PROTO_SMTP; k++)
		take[k] = true; /* +OK -ERR, OK NO BAD: all of them */
	uint64_t x = (uint64_t)step * 0x9E3779B97F4A7C15u;
	for (size_t got = 0, tries = 0; proto == PROTO_SMTP && got < QUIZ_SMTP_CHOICES - 1 &&
					 tries < 64;
	     tries++) {
		size_t k = (size_t)((x >> 17) % n);
		x = x * 6364136223846793005u + 1442695040888963407u;
		if (!take[k] && strcmp(pool[k], right) != 0) {
			take[k] = true;
			got++;
		}
	}
	q->nchoices = 0;
	bool placed = false;
	for (size_t k = 0; k < n; k++) {
		if (!placed && (strcmp(pool[k], right) == 0 ||
				(proto == PROTO_SMTP && strcmp(pool[k], right) > 0))) {
			q->answer = (int)q->nchoices + 1;
			q->choices[q->nchoices++] = xstrdup(right);
			placed = true;
		}
		if (take[k] && strcmp(pool[k], right) != 0)
			q->choices[q->nchoices++] = xstrdup(pool[k]);
	}
	if (!placed) { /* a code outside the pool (IMAP "+", an odd SMTP code) */
		q->answer = (int)q->nchoices + 1;
		q->choices[q->nchoices++] = xstrdup(right);
	}
	assert(q->nchoices <= QUIZ_MAX_CHOICES);
}

static void add_point(struct player *p, const struct quiz_point *q)
{
	if (p->nquiz == p->capquiz) {
		p->capquiz = p->capquiz ? 2 * p->capquiz : 8;
		p->quiz = xrealloc(p->quiz, p->capquiz * sizeof *p->quiz);
	}
	p->quiz[p->nquiz++] = *q;
}

/* "What does mx.gmail.com answer to `RCPT TO:<jbob@gmail.com>`?" */
static char *auto_question(const struct pb_step *reply, const struct pb_step *cmd)
{
	struct buf b;
	buf_init(&b);
	/* TRANSLATORS: a server, then a command as sent on the wire */
	buf_printf(&b, _("What does %s answer to `%.*s`?"), reply->from_name, (int)cmd->text_len,
		   cmd->text);
	buf_addc(&b, '\0');
	return b.p;
}

/* The lesson's quiz at record r (its text parsed in tq). */
static void authored_point(struct player *p, size_t r, struct trace_quiz *tq)
{
	struct quiz_point q = { .record = r, .step = r, .line = SIZE_MAX };
	struct pb_step s;
	char code[16];
	if (tq->reply) {
		size_t m = r + 1;
		for (; m < p->n; m++)
			if (step_at(p, m, &s) && !s.event && s.dir == DIR_S2C &&
			    trace_reply_is(s.proto, s.text, s.text_len, tq->reply))
				break;
		if (m >= p->n || !line_code(&s, code, sizeof code))
			return; /* it never came */
		q.line = m;
		q.step = reply_first_line(p, m);
		if (!tq->nchoices)
			auto_choices(&q, s.proto, code, q.step);
	}
	q.question = tq->question;
	tq->question = NULL;
	for (size_t i = 0; i < tq->nchoices; i++) {
		q.choices[q.nchoices++] = tq->choices[i];
		tq->choices[i] = NULL;
	}
	if (tq->nchoices)
		q.answer = tq->answer;
	add_point(p, &q);
}

static int point_cmp(const void *a, const void *b)
{
	const struct quiz_point *x = a, *y = b;
	if (x->step != y->step)
		return x->step < y->step ? -1 : 1;
	return x->record < y->record ? -1 : x->record > y->record;
}

void quiz_build(struct player *p)
{
	struct pb_step s, cmd;
	char code[16];
	for (size_t i = 0; i < p->n; i++) {
		struct trace_quiz tq;
		if (step_at(p, i, &s) && quiz_is_record(&s) &&
		    trace_quiz_parse(s.text, s.text_len, &tq) == 0) {
			p->quiz_authored = true;
			authored_point(p, i, &tq);
			trace_quiz_free(&tq);
		}
	}
	for (size_t i = 0; !p->quiz_authored && i < p->n; i++) {
		if (!reply_start(p, i, &cmd))
			continue;
		size_t m = reply_code_line(p, i);
		if (!step_at(p, m, &s) || !line_code(&s, code, sizeof code) ||
		    !reply_matters(p, i, &cmd, s.proto, code))
			continue;
		struct quiz_point q = { .step = i, .line = m, .record = SIZE_MAX };
		struct pb_step first;
		step_at(p, i, &first);
		q.question = auto_question(&first, &cmd);
		auto_choices(&q, s.proto, code, i);
		add_point(p, &q);
	}
	qsort(p->quiz, p->nquiz, sizeof *p->quiz, point_cmp);
	/* two questions before one reply: the first asks */
	size_t k = 0;
	for (size_t i = 0; i < p->nquiz; i++) {
		if (k && p->quiz[k - 1].step == p->quiz[i].step) {
			quiz_point_free(&p->quiz[i]);
			continue;
		}
		p->quiz[k++] = p->quiz[i];
	}
	p->nquiz = k;
}

void quiz_point_free(struct quiz_point *q)
{
	free(q->question);
	for (size_t i = 0; i < q->nchoices; i++)
		free(q->choices[i]);
}

void quiz_free(struct player *p)
{
	for (size_t i = 0; i < p->nquiz; i++)
		quiz_point_free(&p->quiz[i]);
	free(p->quiz);
	p->quiz = NULL;
	p->nquiz = p->capquiz = 0;
}

/* The index of the first question standing before a step >= step
 * (nquiz: none).  Binary search. */
static size_t quiz_lower_bound(const struct player *p, size_t step)
{
	size_t lo = 0, hi = p->nquiz;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->quiz[mid].step < step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t quiz_due(const struct player *p, size_t from, size_t to)
{
	for (size_t i = from == SIZE_MAX ? 0 : quiz_lower_bound(p, from + 1);
	     i < p->nquiz && p->quiz[i].step <= to; i++)
		if (!p->quiz[i].chosen)
			return i;
	return SIZE_MAX;
}

const struct quiz_point *quiz_at(const struct player *p, size_t step)
{
	size_t i = quiz_lower_bound(p, step);
	return i < p->nquiz && p->quiz[i].step == step ? &p->quiz[i] : NULL;
}

bool quiz_answer(struct player *p, int choice)
{
	assert(p->quiz_open < p->nquiz);
	struct quiz_point *q = &p->quiz[p->quiz_open];
	if (choice < 1 || (size_t)choice > q->nchoices)
		return false;
	if (!q->chosen) {
		q->chosen = choice;
		p->quiz_asked++;
		p->quiz_right += choice == q->answer;
	}
	return true;
}

bool quiz_is_record(const struct pb_step *s)
{
	return s->event && !strcmp(s->event, "quiz") && s->from_name &&
	       !strcmp(s->from_name, "story");
}

/* The explanation pane's title and text while a question is open, on an
 * answered question's step, or on a quiz record (whose answer the class
 * must not see before it is asked).  False: none of these. */
bool quiz_explain(const struct player *p, char *title, size_t n, struct buf *text)
{
	struct pb_step s;
	if (p->mode == MODE_QUIZ) {
		const struct quiz_point *q = &p->quiz[p->quiz_open];
		snprintf(title, n, _("QUIZ · question %zu of %zu"), (size_t)(q - p->quiz) + 1, p->nquiz);
		buf_adds(text, q->question);
		buf_adds(text, "\n");
		for (size_t i = 0; i < q->nchoices; i++)
			buf_printf(text, "%s%zu) %s", i ? "   " : "", i + 1, q->choices[i]);
		buf_printf(text, _("\nPress 1-%zu to answer (p: back, not yet)."), q->nchoices);
		return true;
	}
	const struct quiz_point *q = p->o->quiz ? quiz_at(p, p->cur) : NULL;
	if (q && q->chosen) {
		bool right = q->chosen == q->answer;
		snprintf(title, n, "%s", right ? _("QUIZ · right") : _("QUIZ · wrong"));
		if (right)
			buf_printf(text, _("RIGHT: %s."), q->choices[q->answer - 1]);
		else
			buf_printf(text, _("WRONG: you chose %s; the answer is %s."),
				   q->choices[q->chosen - 1], q->choices[q->answer - 1]);
		buf_printf(text, _("  (score %u of %u)\n"), p->quiz_right, p->quiz_asked);
		if (step_at(p, q->line, &s)) {
			buf_add(text, s.text, s.text_len);
			if (s.note)
				buf_printf(text, "  -- %s", s.note);
		} else {
			buf_adds(text, q->question);
		}
		return true;
	}
	if (p->o->quiz && step_at(p, p->cur, &s) && quiz_is_record(&s)) {
		struct trace_quiz tq;
		snprintf(title, n, "%s", _("QUIZ ahead"));
		if (trace_quiz_parse(s.text, s.text_len, &tq) == 0) {
			buf_adds(text, tq.question);
			trace_quiz_free(&tq);
		}
		buf_adds(text, _("\n(a question for the class: it comes with the step it is about)"));
		return true;
	}
	return false;
}
