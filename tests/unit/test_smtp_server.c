/*
 * test_smtp_server.c - the SMTP server engine, driven as a client would.
 *
 * Each test opens a session against a fake host (struct fake records what
 * the engine asked it), says some lines and checks the exact replies.
 */
#include "smtp.h"
#include "test.h"

#include <stdlib.h>

/* ------------------------------------------------------------ the fake host */

struct fake {
	int nauth, nmail, nrcpt, ndata;
	char auth_user[64], auth_password[64]; /* what ops->auth was given */
	bool data_fails;                       /* ops->data answers 451 */
	bool data_defers;                      /* ops->data defers its reply */
	struct buf msg;                        /* the last message ops->data got */
	/* the envelope ops->data saw */
	char helo[128], from[300], rcpts[4096], env_auth_user[64];
	size_t nrcpts;
	bool body_8bit;
};

static void fake_copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "(null)");
}

static bool fake_auth(void *ctx, const char *user, const char *password)
{
	struct fake *f = ctx;
	f->nauth++;
	fake_copy(f->auth_user, sizeof f->auth_user, user);
	fake_copy(f->auth_password, sizeof f->auth_password, password);
	return strcmp(user, "alice") == 0 && strcmp(password, "secret") == 0;
}

static bool fake_mail(void *ctx, const struct smtp_envelope *env, const char *from,
		      struct smtp_reply *reply)
{
	struct fake *f = ctx;
	(void)env;
	f->nmail++;
	if (strncmp(from, "spammer@", 8) == 0) {
		smtp_reply_set(reply, 550, "5.7.1", NULL, "<%s>: Sender address rejected", from);
		return false;
	}
	return true;
}

static bool fake_rcpt(void *ctx, const struct smtp_envelope *env, const char *rcpt,
		      struct smtp_reply *reply)
{
	struct fake *f = ctx;
	(void)env;
	f->nrcpt++;
	if (strncmp(rcpt, "nobody@", 7) == 0) {
		smtp_reply_set(reply, 550, "5.1.1", NULL,
			       "<%s>: Recipient address rejected: User unknown", rcpt);
		return false;
	}
	if (strncmp(rcpt, "busy@", 5) == 0) {
		smtp_reply_set(reply, 450, "4.2.1", NULL, "<%s>: Mailbox busy, try later", rcpt);
		return false;
	}
	if (strncmp(rcpt, "silent@", 7) == 0)
		return false; /* refuses without filling the reply */
	return true;
}

static void fake_data(void *ctx, const struct smtp_envelope *env, const char *msg, size_t len,
		      struct smtp_reply *reply)
{
	struct fake *f = ctx;
	f->ndata++;
	buf_clear(&f->msg);
	buf_add(&f->msg, msg, len);
	fake_copy(f->helo, sizeof f->helo, env->helo);
	fake_copy(f->from, sizeof f->from, env->mail_from);
	fake_copy(f->env_auth_user, sizeof f->env_auth_user, env->auth_user);
	f->nrcpts = env->nrcpts;
	f->body_8bit = env->body_8bit;
	f->rcpts[0] = '\0';
	for (size_t i = 0; i < env->nrcpts; i++) {
		size_t used = strlen(f->rcpts);
		snprintf(f->rcpts + used, sizeof f->rcpts - used, "%s%s", i ? "," : "", env->rcpts[i]);
	}
	if (f->data_defers)
		reply->deferred = true;
	else if (f->data_fails)
		smtp_reply_set(reply, 451, "4.3.0", NULL, "Error: queue file write error");
	else
		smtp_reply_set(reply, 250, "2.0.0", NULL, "Ok: queued as %d", f->ndata);
}

static const struct smtp_server_ops fake_ops = {
	.auth = fake_auth,
	.mail = fake_mail,
	.rcpt = fake_rcpt,
	.data = fake_data,
};

/* --------------------------------------------------------------- sessions */

struct t {
	struct smtp_server *srv;
	struct wire out; /* what the last say() produced */
	size_t used;     /* what smtp_server_feed returned */
	struct fake fake;
};

static void t_open_with(struct t *t, bool submission, size_t max_size,
			const struct smtp_server_ops *ops)
{
	memset(t, 0, sizeof *t);
	wire_init(&t->out);
	buf_init(&t->fake.msg);
	struct smtp_server_config cfg = {
		.hostname = "mx.example.org",
		.submission = submission,
		.max_size = max_size,
	};
	t->srv = smtp_server_new(&cfg, ops, &t->fake);
	smtp_server_start(t->srv, &t->out);
}

static void t_open(struct t *t, bool submission)
{
	t_open_with(t, submission, 0, &fake_ops);
}

static void t_close(struct t *t)
{
	smtp_server_free(t->srv);
	wire_free(&t->out);
	buf_free(&t->fake.msg);
}

static const char *t_text(const struct t *t)
{
	return t->out.data.p ? t->out.data.p : "";
}

/* Feed n bytes in one go; the replies they caused. */
static const char *say_n(struct t *t, const char *in, size_t n)
{
	wire_clear(&t->out);
	t->used = smtp_server_feed(t->srv, in, n, &t->out);
	return t_text(t);
}

static const char *say(struct t *t, const char *in)
{
	return say_n(t, in, strlen(in));
}

/* The same, one byte per feed. */
static const char *say_bytewise(struct t *t, const char *in)
{
	wire_clear(&t->out);
	t->used = 0;
	for (size_t i = 0; in[i]; i++)
		t->used += smtp_server_feed(t->srv, in + i, 1, &t->out);
	return t_text(t);
}

/* The note on the reply line starting with `start`, or NULL. */
static const char *note_of(const struct t *t, const char *start)
{
	const char *p = strstr(t_text(t), start);
	return p ? wire_note_at(&t->out, (size_t)(p - t_text(t))) : NULL;
}

#define EHLO_25                                                                          \
	"250-mx.example.org greets c.example\r\n"                                        \
	"250-PIPELINING\r\n"                                                             \
	"250-SIZE 10485760\r\n"                                                          \
	"250-8BITMIME\r\n"                                                               \
	"250-ENHANCEDSTATUSCODES\r\n"                                                    \
	"250 HELP\r\n"

#define EHLO_587                                                                         \
	"250-mx.example.org greets c.example\r\n"                                        \
	"250-PIPELINING\r\n"                                                             \
	"250-SIZE 10485760\r\n"                                                          \
	"250-8BITMIME\r\n"                                                               \
	"250-ENHANCEDSTATUSCODES\r\n"                                                    \
	"250-AUTH PLAIN LOGIN\r\n"                                                       \
	"250 HELP\r\n"

#define OK_354 "354 End data with <CR><LF>.<CR><LF>\r\n"
#define PLAIN_ALICE "AGFsaWNlAHNlY3JldA==" /* base64 of "\0alice\0secret" */

/* A session past EHLO (and, on 587, logged in as alice). */
static void t_ready(struct t *t, bool submission)
{
	t_open(t, submission);
	say(t, "EHLO c.example\r\n");
	if (submission)
		say(t, "AUTH PLAIN " PLAIN_ALICE "\r\n");
}

/* A session with an open transaction to bob. */
static void t_in_mail(struct t *t)
{
	t_ready(t, false);
	say(t, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n");
}

/* A long run of one character. */
static char *repeat(char c, size_t n)
{
	char *p = xmalloc(n + 1);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

/* ----------------------------------------------------- greeting and EHLO */

static void test_greeting(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(t_text(&t), "220 mx.example.org ESMTP mailsim\r\n");
	CHECK(note_of(&t, "220 ") != NULL);
	CHECK_STR(smtp_server_state_name(t.srv), "CONNECTED");
	CHECK(!smtp_server_closed(t.srv));
	t_close(&t);
}

static void test_ehlo_port_25(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "EHLO c.example\r\n"), EHLO_25);
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	t_close(&t);
}

static void test_ehlo_submission_offers_auth(void)
{
	struct t t;
	t_open(&t, true);
	CHECK_STR(say(&t, "EHLO c.example\r\n"), EHLO_587);
	CHECK(note_of(&t, "250-AUTH") != NULL);
	t_close(&t);
}

static void test_ehlo_size_shows_limit(void)
{
	struct t t;
	t_open_with(&t, false, 100, &fake_ops);
	CHECK_CONTAINS(say(&t, "EHLO c.example\r\n"), "250-SIZE 100\r\n");
	t_close(&t);
}

static void test_ehlo_helo_need_argument(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
	CHECK_STR(say(&t, "HELO\r\n"), "501 5.5.4 Syntax: HELO hostname\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "CONNECTED");
	t_close(&t);
}

/* A reply line is at most 512 octets with its CRLF (RFC 5321 4.5.3.1.5),
 * however long the name the client gave: the greeting echoes only as much
 * of it as fits.  Found by tests/fuzz/fuzz_smtp_server.c. */
static void test_ehlo_long_name_reply_fits(void)
{
	struct t t;
	t_open(&t, false);
	char *name = repeat('n', SMTP_COMMAND_LINE_MAX_OCTETS - strlen("EHLO \r\n"));
	char line[SMTP_COMMAND_LINE_MAX_OCTETS + 1];
	snprintf(line, sizeof line, "EHLO %s\r\n", name);
	CHECK_INT(strlen(line), SMTP_COMMAND_LINE_MAX_OCTETS);
	const char *r = say(&t, line);
	CHECK(strncmp(r, "250-mx.example.org greets nnnn", 30) == 0);
	size_t longest = 0;
	for (const char *p = r; *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) + 1 : strlen(p);
		if (len > longest)
			longest = len;
		p += len;
	}
	CHECK_INT(longest, SMTP_REPLY_LINE_MAX_OCTETS);
	CHECK(strstr(r, "\r\n250-PIPELINING\r\n") != NULL);
	free(name);
	t_close(&t);
}

static void test_helo(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "HELO c.example\r\n"), "250 mx.example.org\r\n");
	/* after HELO there are no extensions, so no MAIL parameters */
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org> SIZE=10\r\n"),
		  "555 5.5.4 Unsupported option: SIZE\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"), "250 2.1.0 Ok\r\n");
	t_close(&t);
}

static void test_ehlo_resets_transaction(void)
{
	struct t t;
	t_in_mail(&t);
	CHECK_STR(say(&t, "EHLO c.example\r\n"), EHLO_25);
	CHECK_STR(say(&t, "RCPT TO:<bob@example.org>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"), "250 2.1.0 Ok\r\n");
	t_close(&t);
}

/* ------------------------------------------------------------------ MAIL */

static void test_mail_before_ehlo(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"),
		  "503 5.5.1 Error: send HELO/EHLO first\r\n");
	CHECK_INT(t.fake.nmail, 0);
	t_close(&t);
}

static void test_mail_nested(void)
{
	struct t t;
	t_ready(&t, false);
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"), "250 2.1.0 Ok\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "MAIL");
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"),
		  "503 5.5.1 Error: nested MAIL command\r\n");
	t_close(&t);
}

static void test_mail_syntax(void)
{
	static const char *const bad_syntax[] = {
		"MAIL\r\n",
		"MAIL FROM:\r\n",
		"MAIL FROM:alice@example.org\r\n",
		"MAIL FROM:<alice@example.org\r\n",
		"MAIL FROM:<alice@example.org>x\r\n",
		"MAIL TO:<alice@example.org>\r\n",
		"MAIL FROMAGE:<alice@example.org>\r\n",
		"MAIL FROM:<\"alice@example.org>\r\n", /* the quote hides the '>' */
	};
	static const char *const bad_address[] = {
		"MAIL FROM:<alice>\r\n",
		"MAIL FROM:<alice@>\r\n",
		"MAIL FROM:<@example.org>\r\n",
		"MAIL FROM:<a..b@example.org>\r\n",
		"MAIL FROM:<.a@example.org>\r\n",
		"MAIL FROM:<alice@-x.example.org>\r\n",
		"MAIL FROM:<alice@example..org>\r\n",
		"MAIL FROM:<al ice@example.org>\r\n",
		"MAIL FROM:<alice@exa_mple.org>\r\n",
		"MAIL FROM:<alice@[]>\r\n",
		"MAIL FROM:<postmaster>\r\n",
		"MAIL FROM:<@relay.example.net:>\r\n",
	};
	struct t t;
	t_ready(&t, false);
	for (size_t i = 0; i < sizeof bad_syntax / sizeof *bad_syntax; i++)
		CHECK_STR(say(&t, bad_syntax[i]), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
	for (size_t i = 0; i < sizeof bad_address / sizeof *bad_address; i++)
		CHECK_STR(say(&t, bad_address[i]), "501 5.1.7 Bad sender address syntax\r\n");
	CHECK_INT(t.fake.nmail, 0);
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	t_close(&t);
}

static void test_mail_path_length(void)
{
	/* <local@example.org>: 2 + 242 + 12 = 256 octets is the most (4.5.3.1.3) */
	char *local = repeat('a', 243);
	char line[400];
	struct t t;
	t_ready(&t, false);
	snprintf(line, sizeof line, "MAIL FROM:<%s@example.org>\r\n", local);
	CHECK_STR(say(&t, line), "501 5.1.7 Path too long\r\n");
	local[242] = '\0';
	snprintf(line, sizeof line, "MAIL FROM:<%s@example.org>\r\n", local);
	CHECK_STR(say(&t, line), "250 2.1.0 Ok\r\n");
	snprintf(line, sizeof line, "RCPT TO:<%sb@example.org>\r\n", local);
	CHECK_STR(say(&t, line), "501 5.1.3 Path too long\r\n");
	free(local);
	t_close(&t);
}

static void test_mail_accepted_forms(void)
{
	static const struct {
		const char *line, *from;
	} forms[] = {
		{"MAIL FROM:<alice@example.org>\r\n", "alice@example.org"},
		{"MAIL FROM: <alice@example.org>\r\n", "alice@example.org"},
		{"mail from:<alice@example.org>\r\n", "alice@example.org"},
		{"MAIL FROM:<alice@example.org>   \r\n", "alice@example.org"},
		{"MAIL FROM:<>\r\n", ""},
		{"MAIL FROM:<\"al ice\"@example.org>\r\n", "\"al ice\"@example.org"},
		{"MAIL FROM:<first.last+tag@mail.example.org>\r\n", "first.last+tag@mail.example.org"},
		{"MAIL FROM:<@relay.example.net:alice@example.org>\r\n", "alice@example.org"},
		{"MAIL FROM:<alice@[192.0.2.1]>\r\n", "alice@[192.0.2.1]"},
	};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		struct t t;
		t_ready(&t, false);
		CHECK_STR(say(&t, forms[i].line), "250 2.1.0 Ok\r\n");
		say(&t, "RCPT TO:<bob@example.org>\r\nDATA\r\n.\r\n");
		CHECK_STR(t.fake.from, forms[i].from);
		t_close(&t);
	}
}

static void test_mail_parameters(void)
{
	struct t t;
	t_ready(&t, false);
	/* a BODY value the server does not know is a parameter it cannot
	 * implement: 555 (RFC 5321 4.1.1.11), not a syntax error */
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> BODY=BINARYMIME\r\n"),
		  "555 5.5.4 Unsupported option: BODY=BINARYMIME\r\n");
	CHECK_STR(note_of(&t, "555 "), "555: the server knows BODY=7BIT and BODY=8BITMIME "
		  "(RFC 6152), not this value (RFC 5321 4.1.1.11)");
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> BODY=\r\n"),
		  "555 5.5.4 Unsupported option: BODY=\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> BODY\r\n"),
		  "555 5.5.4 Unsupported option: BODY\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> BODY=8BITMIMEX\r\n"),
		  "555 5.5.4 Unsupported option: BODY=8BITMIMEX\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> SIZE=12x\r\n"),
		  "501 5.5.4 Bad SIZE syntax: SIZE=<octets>\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> SIZE=\r\n"),
		  "501 5.5.4 Bad SIZE syntax: SIZE=<octets>\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> FOO=1\r\n"),
		  "555 5.5.4 Unsupported option: FOO\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> SIZE=10485761\r\n"),
		  "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> SIZE=99999999999999999999999999999\r\n"),
		  "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
	CHECK(note_of(&t, "552 ") != NULL);
	CHECK_INT(t.fake.nmail, 0);
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> size=10485760 body=8bitmime\r\n"),
		  "250 2.1.0 Ok\r\n");
	say(&t, "RCPT TO:<bob@example.org>\r\nDATA\r\n.\r\n");
	CHECK(t.fake.body_8bit);
	CHECK_STR(say(&t, "MAIL FROM:<a@example.org> BODY=7BIT\r\n"), "250 2.1.0 Ok\r\n");
	say(&t, "RCPT TO:<bob@example.org>\r\nDATA\r\n.\r\n");
	CHECK(!t.fake.body_8bit);
	t_close(&t);
}

static void test_mail_submission_needs_auth(void)
{
	struct t t;
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"), "530 5.7.0 Authentication required\r\n");
	CHECK_STR(note_of(&t, "530 "),
		  "port 587 is for submission: a user agent must log in (AUTH) before it may send");
	CHECK_INT(t.fake.nmail, 0);
	t_close(&t);
}

static void test_mail_refused_by_host(void)
{
	struct t t;
	t_ready(&t, false);
	CHECK_STR(say(&t, "MAIL FROM:<spammer@example.org>\r\n"),
		  "550 5.7.1 <spammer@example.org>: Sender address rejected\r\n");
	CHECK(note_of(&t, "550 ") != NULL);
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	CHECK_STR(say(&t, "RCPT TO:<bob@example.org>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	t_close(&t);
}

/* ------------------------------------------------------------------ RCPT */

static void test_rcpt_out_of_order(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "RCPT TO:<bob@example.org>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "RCPT TO:<bob@example.org>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	CHECK_INT(t.fake.nrcpt, 0);
	t_close(&t);
}

static void test_rcpt_syntax(void)
{
	struct t t;
	t_ready(&t, false);
	say(&t, "MAIL FROM:<alice@example.org>\r\n");
	CHECK_STR(say(&t, "RCPT\r\n"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
	CHECK_STR(say(&t, "RCPT TO:bob@example.org\r\n"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
	CHECK_STR(say(&t, "RCPT FROM:<bob@example.org>\r\n"),
		  "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
	CHECK_STR(say(&t, "RCPT TO:<>\r\n"), "501 5.1.3 Bad recipient address syntax\r\n");
	CHECK_STR(say(&t, "RCPT TO:<bob>\r\n"), "501 5.1.3 Bad recipient address syntax\r\n");
	CHECK_STR(say(&t, "RCPT TO:<bob@example.org> NOTIFY=NEVER\r\n"),
		  "555 5.5.4 Unsupported option: NOTIFY\r\n");
	CHECK_INT(t.fake.nrcpt, 0);
	/* RFC 5321 4.1.1.3: Postmaster needs no domain */
	CHECK_STR(say(&t, "RCPT TO:<Postmaster>\r\n"), "250 2.1.5 Ok\r\n");
	CHECK_STR(say(&t, "rcpt to: <bob@example.org>\r\n"), "250 2.1.5 Ok\r\n");
	t_close(&t);
}

static void test_rcpt_refused_with_note(void)
{
	struct t t;
	t_ready(&t, false);
	say(&t, "MAIL FROM:<alice@example.org>\r\n");
	CHECK_STR(say(&t, "RCPT TO:<nobody@example.org>\r\n"),
		  "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown\r\n");
	CHECK_STR(note_of(&t, "550 "), "550: permanent failure - no such mailbox here; the "
				       "sending server will bounce the message");
	CHECK_STR(say(&t, "RCPT TO:<busy@example.org>\r\n"),
		  "450 4.2.1 <busy@example.org>: Mailbox busy, try later\r\n");
	CHECK_CONTAINS(note_of(&t, "450 "), "temporary");
	/* a host that refuses without saying why gets a default reply */
	CHECK_STR(say(&t, "RCPT TO:<silent@example.org>\r\n"),
		  "550 5.1.1 <silent@example.org>: Recipient address rejected\r\n");
	CHECK_STR(say(&t, "RCPT TO:<bob@example.org>\r\n"), "250 2.1.5 Ok\r\n");
	CHECK(note_of(&t, "250 ") != NULL);
	CHECK_INT(t.fake.nrcpt, 4);
	t_close(&t);
}

static void test_rcpt_duplicates_kept(void)
{
	struct t t;
	t_ready(&t, false);
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"
			  "RCPT TO:<bob@example.org>\r\n"
			  "RCPT TO:<nobody@example.org>\r\n"
			  "RCPT TO:<bob@example.org>\r\n"
			  "RCPT TO:<carol@example.org>\r\n"
			  "DATA\r\nhi\r\n.\r\n"),
		  "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
		  "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown\r\n"
		  "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n" OK_354 "250 2.0.0 Ok: queued as 1\r\n");
	CHECK_INT(t.fake.nrcpts, 3);
	CHECK_STR(t.fake.rcpts, "bob@example.org,bob@example.org,carol@example.org");
	t_close(&t);
}

static void test_rcpt_limit(void)
{
	struct t t;
	char line[80];
	t_ready(&t, false);
	say(&t, "MAIL FROM:<alice@example.org>\r\n");
	/* refused recipients do not count towards the limit */
	CHECK_STR(say(&t, "RCPT TO:<nobody@example.org>\r\n"),
		  "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown\r\n");
	for (int i = 1; i <= 100; i++) {
		snprintf(line, sizeof line, "RCPT TO:<user%d@example.org>\r\n", i);
		CHECK_STR(say(&t, line), "250 2.1.5 Ok\r\n");
	}
	CHECK_STR(say(&t, "RCPT TO:<user101@example.org>\r\n"), "452 4.5.3 Too many recipients\r\n");
	CHECK(note_of(&t, "452 ") != NULL);
	CHECK_INT(t.fake.nrcpt, 101); /* the 101st never reached the host */
	CHECK_STR(say(&t, "DATA\r\nhi\r\n.\r\n"), OK_354 "250 2.0.0 Ok: queued as 1\r\n");
	CHECK_INT(t.fake.nrcpts, 100);
	t_close(&t);
}

static void test_rcpt_limit_configured(void)
{
	struct t t;
	struct smtp_server_config cfg = {.hostname = "mx.example.org", .max_rcpts = 2};
	memset(&t, 0, sizeof t);
	wire_init(&t.out);
	buf_init(&t.fake.msg);
	t.srv = smtp_server_new(&cfg, &fake_ops, &t.fake);
	CHECK_STR(say(&t, "HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n"
			  "RCPT TO:<c@x.org>\r\n"),
		  "250 mx.example.org\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
		  "452 4.5.3 Too many recipients\r\n");
	t_close(&t);
}

/* ------------------------------------------------------------------ DATA */

static void test_data_out_of_order(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	say(&t, "MAIL FROM:<alice@example.org>\r\n");
	CHECK_STR(say(&t, "DATA\r\n"), "503 5.5.1 Error: need RCPT command\r\n");
	say(&t, "RCPT TO:<nobody@example.org>\r\n");
	CHECK_STR(say(&t, "DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
	say(&t, "RCPT TO:<bad>\r\n"); /* a syntax error counts as tried, too */
	CHECK_STR(say(&t, "DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
	say(&t, "RCPT TO:<bob@example.org>\r\n");
	CHECK_STR(say(&t, "DATA now\r\n"), "501 5.5.4 Syntax: DATA\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "MAIL");
	CHECK_STR(say(&t, "DATA\r\n"), OK_354);
	CHECK_STR(smtp_server_state_name(t.srv), "DATA");
	CHECK_INT(t.fake.ndata, 0);
	t_close(&t);
}

#define HAPPY_MESSAGE                                                                    \
	"From: alice@example.org\r\n"                                                    \
	"Subject: dots\r\n"                                                              \
	"\r\n"                                                                           \
	"line one\r\n"                                                                   \
	"..a line that began with a dot\r\n"                                             \
	"..\r\n"                                                                         \
	"...\r\n"                                                                        \
	"end. with. dots.\r\n"                                                           \
	" .\r\n"                                                                         \
	".\r\n"

#define HAPPY_STORED                                                                     \
	"From: alice@example.org\r\n"                                                    \
	"Subject: dots\r\n"                                                              \
	"\r\n"                                                                           \
	"line one\r\n"                                                                   \
	".a line that began with a dot\r\n"                                              \
	".\r\n"                                                                          \
	"..\r\n"                                                                         \
	"end. with. dots.\r\n"                                                           \
	" .\r\n"

static void test_data_happy_path(void)
{
	struct t t;
	t_in_mail(&t);
	say(&t, "RCPT TO:<carol@example.org>\r\n");
	CHECK_STR(say(&t, "DATA\r\n"), OK_354);
	CHECK_STR(note_of(&t, "354 "), "354: the server now takes the message itself, ended by a "
				       "line holding a single dot (RFC 5321 4.1.1.4)");
	CHECK_STR(say(&t, HAPPY_MESSAGE), "250 2.0.0 Ok: queued as 1\r\n");
	CHECK(note_of(&t, "250 ") != NULL);
	CHECK_INT(t.fake.ndata, 1);
	CHECK_INT(t.fake.msg.len, strlen(HAPPY_STORED));
	CHECK_STR(t.fake.msg.p, HAPPY_STORED);
	CHECK_STR(t.fake.helo, "c.example");
	CHECK_STR(t.fake.from, "alice@example.org");
	CHECK_STR(t.fake.rcpts, "bob@example.org,carol@example.org");
	CHECK_STR(t.fake.env_auth_user, "(null)");
	CHECK(!t.fake.body_8bit);
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	/* the transaction is over: a new one may start */
	CHECK_STR(say(&t, "RCPT TO:<bob@example.org>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<>\r\nRCPT TO:<dave@example.org>\r\nDATA\r\nsecond\r\n.\r\n"),
		  "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" OK_354 "250 2.0.0 Ok: queued as 2\r\n");
	CHECK_STR(t.fake.msg.p, "second\r\n");
	CHECK_STR(t.fake.from, "");
	CHECK_STR(t.fake.rcpts, "dave@example.org");
	t_close(&t);
}

static void test_data_byte_at_a_time(void)
{
	struct t whole, bytes;
	const char *session = "EHLO c.example\r\nMAIL FROM:<alice@example.org>\r\n"
			      "RCPT TO:<bob@example.org>\r\nDATA\r\n" HAPPY_MESSAGE "QUIT\r\n";
	t_open(&whole, false);
	t_open(&bytes, false);
	say(&whole, session);
	say_bytewise(&bytes, session);
	CHECK_STR(t_text(&bytes), t_text(&whole));
	CHECK_INT(bytes.used, strlen(session));
	CHECK_INT(bytes.fake.ndata, 1);
	CHECK_STR(bytes.fake.msg.p, HAPPY_STORED);
	CHECK(smtp_server_closed(bytes.srv));
	t_close(&whole);
	t_close(&bytes);
}

static void test_data_empty_message(void)
{
	struct t t;
	t_in_mail(&t);
	CHECK_STR(say(&t, "DATA\r\n.\r\n"), OK_354 "250 2.0.0 Ok: queued as 1\r\n");
	CHECK_INT(t.fake.ndata, 1);
	CHECK_INT(t.fake.msg.len, 0);
	t_close(&t);
}

/* "SMTP smuggling": none of these ends the data, so the MAIL hidden after
 * them is message text, and the message is refused for its bare CR/LF. */
static void test_data_smuggling(void)
{
	static const char *const tricks[] = {
		"one\n.\nMAIL FROM:<evil@example.org>\r\n",
		"one\r.\rMAIL FROM:<evil@example.org>\r\n",
		"one\n.\r\nMAIL FROM:<evil@example.org>\r\n",
		"one\r\n.\nMAIL FROM:<evil@example.org>\r\n",
		"one\r\n.\rMAIL FROM:<evil@example.org>\r\n",
		"one\r.\r\nMAIL FROM:<evil@example.org>\r\n",
		"one\r\n.\r\r\nMAIL FROM:<evil@example.org>\r\n",
	};
	for (size_t i = 0; i < sizeof tricks / sizeof *tricks; i++) {
		struct t t;
		t_in_mail(&t);
		say(&t, "DATA\r\n");
		CHECK_STR(say(&t, tricks[i]), "");
		CHECK_STR(smtp_server_state_name(t.srv), "DATA");
		CHECK_STR(say(&t, ".\r\n"), "554 5.6.0 Message contains bare CR or LF; lines must "
					     "end with CRLF (RFC 5321 2.3.8)\r\n");
		CHECK(note_of(&t, "554 ") != NULL);
		CHECK_INT(t.fake.ndata, 0);
		CHECK_INT(t.fake.nmail, 1);
		CHECK_STR(smtp_server_state_name(t.srv), "HELO");
		t_close(&t);
	}
}

static void test_data_bare_lf_and_cr(void)
{
	static const char *const bodies[] = {
		"Subject: x\nbody\r\n.\r\n",
		"Subject: x\rbody\r\n.\r\n",
		"\nbody\r\n.\r\n",
		"body\r\n\r\r\n.\r\n",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		struct t t;
		t_in_mail(&t);
		CHECK_STR(say(&t, "DATA\r\n"), OK_354);
		CHECK_STR(say(&t, bodies[i]), "554 5.6.0 Message contains bare CR or LF; lines must "
					       "end with CRLF (RFC 5321 2.3.8)\r\n");
		CHECK_INT(t.fake.ndata, 0);
		/* in step afterwards */
		CHECK_STR(say(&t, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
		t_close(&t);
	}
}

/* One DATA transaction with this message line (CRLF added): the reply. */
static const char *data_line_reply(struct t *t, const char *prefix, size_t nletters)
{
	char *text = repeat('a', nletters);
	struct buf msg;
	buf_init(&msg);
	buf_printf(&msg, "short\r\n%s%s\r\nmore\r\n.\r\n", prefix, text);
	say(t, "MAIL FROM:<>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
	say(t, msg.p);
	buf_free(&msg);
	free(text);
	return t_text(t);
}

#define LONG_LINE_554 "554 5.6.0 Message has a line over 1000 octets (RFC 5321 4.5.3.1.6)\r\n"

/* RFC 5321 4.5.3.1.6: 1000 octets with the CRLF, counted as sent, so a
 * stuffed dot counts although the server removes it. */
static void test_data_long_line(void)
{
	struct t t;
	t_ready(&t, false);

	/* 998 octets and CRLF: exactly 1000, accepted */
	CHECK_STR(data_line_reply(&t, "", 998), "250 2.0.0 Ok: queued as 1\r\n");
	CHECK_INT(t.fake.msg.len, 7 + 1000 + 6);
	/* 999 and CRLF: refused, nothing stored, still in step */
	CHECK_STR(data_line_reply(&t, "", 999), LONG_LINE_554);
	CHECK(note_of(&t, "554 ") != NULL);
	CHECK_INT(t.fake.ndata, 1);
	CHECK_STR(say(&t, "NOOP\r\n"), "250 2.0.0 Ok\r\n");

	/* "." + 997 and CRLF: 1000 on the wire, accepted; 999 are stored */
	CHECK_STR(data_line_reply(&t, ".", 997), "250 2.0.0 Ok: queued as 2\r\n");
	CHECK_INT(t.fake.msg.len, 7 + 999 + 6);
	/* "." + 998 and CRLF: 1001 on the wire, refused */
	CHECK_STR(data_line_reply(&t, ".", 998), LONG_LINE_554);
	/* ".." + 996 (".x" stuffed, 1000) accepted; ".." + 997 (1001) refused */
	CHECK_STR(data_line_reply(&t, "..", 996), "250 2.0.0 Ok: queued as 3\r\n");
	CHECK_INT(t.fake.msg.len, 7 + 999 + 6);
	CHECK_STR(data_line_reply(&t, "..", 997), LONG_LINE_554);
	CHECK_INT(t.fake.ndata, 3);
	CHECK_STR(say(&t, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	t_close(&t);
}

static void test_data_size_limit(void)
{
	char *text = repeat('a', 200);
	char msg[300];
	struct t t;
	t_open_with(&t, false, 100, &fake_ops);
	say(&t, "EHLO c.example\r\nMAIL FROM:<a@example.org> SIZE=100\r\nRCPT TO:<bob@example.org>\r\n");

	/* exactly 100 octets: accepted */
	snprintf(msg, sizeof msg, "%.98s\r\n.\r\n", text);
	CHECK_STR(say(&t, "DATA\r\n"), OK_354);
	CHECK_STR(say(&t, msg), "250 2.0.0 Ok: queued as 1\r\n");
	CHECK_INT(t.fake.msg.len, 100);

	/* 101 octets: refused at the end of the data, nothing stored */
	say(&t, "MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
	snprintf(msg, sizeof msg, "%.99s\r\n.\r\n", text);
	CHECK_STR(say(&t, msg), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
	CHECK(note_of(&t, "552 ") != NULL);
	CHECK_INT(t.fake.ndata, 1);

	/* well over, in many feeds: still one reply at the real end */
	say(&t, "MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
	for (int i = 0; i < 50; i++)
		CHECK_STR(say(&t, "0123456789012345678901234567890123456789\r\n"), "");
	CHECK_STR(say(&t, ".\r\n"), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
	CHECK_INT(t.fake.ndata, 1);
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	free(text);
	t_close(&t);
}

static void test_data_host_fails(void)
{
	struct t t;
	t_in_mail(&t);
	t.fake.data_fails = true;
	CHECK_STR(say(&t, "DATA\r\nhi\r\n.\r\n"), OK_354 "451 4.3.0 Error: queue file write error\r\n");
	CHECK_CONTAINS(note_of(&t, "451 "), "temporary");
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	t_close(&t);
}

/* --------------------------------------------------- command-line limits */

static void test_command_line_limit(void)
{
	struct t t;
	char *x = repeat('x', 6000);
	struct buf line;
	buf_init(&line);
	t_ready(&t, false);

	/* "NOOP " + 505 = 510 octets + CRLF = 512: the most (4.5.3.1.4) */
	buf_printf(&line, "NOOP %.505s\r\n", x);
	CHECK_STR(say(&t, line.p), "250 2.0.0 Ok\r\n");
	/* 511 + CRLF = 513: too long */
	buf_clear(&line);
	buf_printf(&line, "NOOP %.506s\r\n", x);
	CHECK_STR(say(&t, line.p), "500 5.5.2 Line too long\r\n");
	CHECK(note_of(&t, "500 ") != NULL);
	/* with a bare LF the same count holds */
	buf_clear(&line);
	buf_printf(&line, "NOOP %.506s\n", x);
	CHECK_STR(say(&t, line.p), "500 5.5.2 Line too long\r\n");
	/* a very long line: one reply, then back in step in the same feed */
	buf_clear(&line);
	buf_printf(&line, "MAIL FROM:<%s@example.org>\r\nNOOP\r\n", x);
	CHECK_STR(say(&t, line.p), "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
	/* and split over many feeds */
	for (int i = 0; i < 10; i++)
		CHECK_STR(say(&t, x), "");
	CHECK_STR(say(&t, "\r\nRSET\r\n"), "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
	CHECK_INT(t.fake.nmail, 0);
	buf_free(&line);
	free(x);
	t_close(&t);
}

static void test_command_bare_lf(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "HELO c.example\nMAIL FROM:<a@example.org>\nNOOP\n"),
		  "250 mx.example.org\r\n250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n");
	t_close(&t);
}

static void test_command_split_across_feeds(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "HE"), "");
	CHECK_STR(say(&t, "LO c.exa"), "");
	CHECK_STR(say(&t, "mple\r"), "");
	CHECK_STR(say(&t, "\n"), "250 mx.example.org\r\n");
	t_close(&t);
}

/* ---------------------------------------------------- the other commands */

static void test_unknown_and_unimplemented(void)
{
	static const char *const not_offered[] = {
		"EXPN staff\r\n", "TURN\r\n", "ETRN example.org\r\n", "ATRN\r\n",
		"BDAT 100 LAST\r\n", "STARTTLS\r\n", "SEND FROM:<a@b.org>\r\n",
		"SOML FROM:<a@b.org>\r\n", "SAML FROM:<a@b.org>\r\n", "expn staff\r\n",
	};
	struct t t;
	t_ready(&t, false);
	CHECK_STR(say(&t, "FOO bar\r\n"), "500 5.5.2 Error: command not recognized\r\n");
	CHECK_STR(say(&t, "MAILFROM:<a@example.org>\r\n"), "500 5.5.2 Error: command not recognized\r\n");
	CHECK_STR(say(&t, "\r\n"), "500 5.5.2 Error: bad syntax\r\n");
	CHECK_STR(say(&t, "    \r\n"), "500 5.5.2 Error: bad syntax\r\n");
	CHECK_STR(say(&t, " NOOP\r\n"), "500 5.5.2 Error: bad syntax\r\n");
	CHECK_STR(say_n(&t, "NO\0OP\r\n", 7), "500 5.5.2 Error: NUL byte in command line\r\n");
	CHECK_STR(say(&t, "\xff\xfe\r\n"), "500 5.5.2 Error: command not recognized\r\n");
	for (size_t i = 0; i < sizeof not_offered / sizeof *not_offered; i++)
		CHECK_STR(say(&t, not_offered[i]), "502 5.5.1 Command not implemented\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	t_close(&t);
}

static void test_noop_vrfy(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	CHECK_STR(say(&t, "noop anything at all\r\n"), "250 2.0.0 Ok\r\n");
	CHECK_STR(say(&t, "VRFY bob\r\n"),
		  "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery\r\n");
	CHECK(note_of(&t, "252 ") != NULL);
	CHECK_STR(say(&t, "VRFY\r\n"), "501 5.5.4 Syntax: VRFY address\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "CONNECTED");
	t_close(&t);
}

static void test_help(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "HELP\r\n"),
		  "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT\r\n"
		  "214-2.0.0 A transaction is MAIL FROM:<sender>, RCPT TO:<recipient>, DATA\r\n"
		  "214 2.0.0 See RFC 5321\r\n");
	t_close(&t);
	t_open(&t, true);
	CHECK_STR(say(&t, "help mail\r\n"),
		  "214-2.0.0 Commands: EHLO HELO AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT\r\n"
		  "214-2.0.0 A transaction is MAIL FROM:<sender>, RCPT TO:<recipient>, DATA\r\n"
		  "214 2.0.0 See RFC 5321\r\n");
	t_close(&t);
}

static void test_rset(void)
{
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, "RSET\r\n"), "250 2.0.0 Ok\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "CONNECTED"); /* still needs EHLO */
	t_close(&t);

	t_in_mail(&t);
	CHECK_STR(say(&t, "RSET now\r\n"), "501 5.5.4 Syntax: RSET\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "MAIL");
	CHECK_STR(say(&t, "RSET\r\n"), "250 2.0.0 Ok\r\n");
	CHECK(note_of(&t, "250 ") != NULL);
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	CHECK_STR(say(&t, "RCPT TO:<bob@example.org>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	CHECK_STR(say(&t, "DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	CHECK_STR(say(&t, "MAIL FROM:<carol@example.org>\r\nRCPT TO:<dave@example.org>\r\n"
			  "DATA\r\nx\r\n.\r\n"),
		  "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" OK_354 "250 2.0.0 Ok: queued as 1\r\n");
	CHECK_STR(t.fake.from, "carol@example.org");
	CHECK_STR(t.fake.rcpts, "dave@example.org");
	t_close(&t);
}

static void test_quit(void)
{
	struct t t;
	t_in_mail(&t);
	CHECK_STR(say(&t, "QUIT now\r\n"), "501 5.5.4 Syntax: QUIT\r\n");
	CHECK_STR(say(&t, "QUIT\r\nNOOP\r\n"), "221 2.0.0 Bye\r\n");
	CHECK_INT(t.used, 6); /* the NOOP was not read */
	CHECK(smtp_server_closed(t.srv));
	CHECK_STR(smtp_server_state_name(t.srv), "CLOSED");
	CHECK_STR(say(&t, "NOOP\r\n"), "");
	CHECK_INT(t.used, 0);
	CHECK_INT(t.fake.ndata, 0); /* the open transaction was dropped */
	t_close(&t);
}

static void test_pipelining(void)
{
	const char *in = "EHLO c.example\r\n"
			 "MAIL FROM:<alice@example.org>\r\n"
			 "RCPT TO:<bob@example.org>\r\n"
			 "RCPT TO:<nobody@example.org>\r\n"
			 "DATA\r\n"
			 "Subject: hi\r\n\r\nHello Bob.\r\n.\r\n"
			 "QUIT\r\n";
	struct t t;
	t_open(&t, false);
	CHECK_STR(say(&t, in),
		  EHLO_25 "250 2.1.0 Ok\r\n"
			  "250 2.1.5 Ok\r\n"
			  "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown\r\n"
			  OK_354 "250 2.0.0 Ok: queued as 1\r\n"
			  "221 2.0.0 Bye\r\n");
	CHECK_INT(t.used, strlen(in));
	CHECK_STR(t.fake.msg.p, "Subject: hi\r\n\r\nHello Bob.\r\n");
	CHECK(smtp_server_closed(t.srv));
	t_close(&t);
}

static void test_state_names(void)
{
	struct t t;
	t_open(&t, true);
	CHECK_STR(smtp_server_state_name(t.srv), "CONNECTED");
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	say(&t, "AUTH PLAIN\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "AUTH_PLAIN");
	say(&t, "*\r\nAUTH LOGIN\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "AUTH_USERNAME");
	say(&t, "YWxpY2U=\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "AUTH_PASSWORD");
	say(&t, "c2VjcmV0\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	say(&t, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "MAIL");
	say(&t, "DATA\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "DATA");
	say(&t, ".\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	say(&t, "QUIT\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "CLOSED");
	t_close(&t);
}

/* ------------------------------------------------------------------ AUTH */

static void test_auth_plain_inline(void)
{
	struct t t;
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"), "235 2.7.0 Authentication successful\r\n");
	CHECK(note_of(&t, "235 ") != NULL);
	CHECK_STR(t.fake.auth_user, "alice");
	CHECK_STR(t.fake.auth_password, "secret");
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
			  "DATA\r\nhi\r\n.\r\n"),
		  "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" OK_354 "250 2.0.0 Ok: queued as 1\r\n");
	CHECK_STR(t.fake.env_auth_user, "alice");
	t_close(&t);
}

static void test_auth_plain_prompt(void)
{
	struct t t;
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "auth plain\r\n"), "334 \r\n");
	CHECK(note_of(&t, "334 ") != NULL);
	CHECK_STR(say(&t, PLAIN_ALICE "\r\n"), "235 2.7.0 Authentication successful\r\n");
	CHECK_INT(t.fake.nauth, 1);
	t_close(&t);
}

static void test_auth_plain_authzid(void)
{
	struct t t;
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	/* "alice\0alice\0secret": acting as oneself is fine */
	CHECK_STR(say(&t, "AUTH PLAIN YWxpY2UAYWxpY2UAc2VjcmV0\r\n"),
		  "235 2.7.0 Authentication successful\r\n");
	t_close(&t);
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	/* "bob\0alice\0secret": alice may not act as bob */
	CHECK_STR(say(&t, "AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\n"),
		  "535 5.7.8 Authentication credentials invalid\r\n");
	CHECK_INT(t.fake.nauth, 0);
	/* "alice\0secret": only one NUL */
	CHECK_STR(say(&t, "AUTH PLAIN YWxpY2UAc2VjcmV0\r\n"), "501 5.5.2 Malformed PLAIN response\r\n");
	/* "=" is an empty initial response (RFC 4954 4) */
	CHECK_STR(say(&t, "AUTH PLAIN =\r\n"), "501 5.5.2 Malformed PLAIN response\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	t_close(&t);
}

static void test_auth_login(void)
{
	struct t t;
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
	CHECK_STR(say(&t, "YWxpY2U=\r\n"), "334 UGFzc3dvcmQ6\r\n");
	CHECK_STR(say(&t, "c2VjcmV0\r\n"), "235 2.7.0 Authentication successful\r\n");
	CHECK_STR(t.fake.auth_user, "alice");
	CHECK_STR(t.fake.auth_password, "secret");
	t_close(&t);

	/* the user name may come with the command */
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "AUTH LOGIN YWxpY2U=\r\n"), "334 UGFzc3dvcmQ6\r\n");
	CHECK_STR(say(&t, "c2VjcmV0\r\n"), "235 2.7.0 Authentication successful\r\n");
	t_close(&t);
}

static void test_auth_wrong_password(void)
{
	struct t t;
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	/* "\0alice\0wrong" */
	CHECK_STR(say(&t, "AUTH PLAIN AGFsaWNlAHdyb25n\r\n"),
		  "535 5.7.8 Authentication credentials invalid\r\n");
	CHECK(note_of(&t, "535 ") != NULL);
	CHECK_STR(t.fake.auth_password, "wrong");
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"), "530 5.7.0 Authentication required\r\n");
	/* may try again */
	CHECK_STR(say(&t, "AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n"),
		  "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n");
	t_close(&t);
}

static void test_auth_cancel_and_bad_base64(void)
{
	struct t t;
	t_open(&t, true);
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "AUTH LOGIN\r\n*\r\n"),
		  "334 VXNlcm5hbWU6\r\n501 5.0.0 Authentication cancelled\r\n");
	CHECK_STR(say(&t, "AUTH LOGIN\r\nYWxpY2U=\r\n*\r\n"),
		  "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n501 5.0.0 Authentication cancelled\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN\r\n*\r\n"), "334 \r\n501 5.0.0 Authentication cancelled\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN !!!!\r\n"), "501 5.5.2 Cannot decode response\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN\r\nabc\r\n"), "334 \r\n501 5.5.2 Cannot decode response\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN AGFsaWNlAHNlY3JldA=x\r\n"), "501 5.5.2 Cannot decode response\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN AGFs=WNlAHNlY3JldA==\r\n"), "501 5.5.2 Cannot decode response\r\n");
	CHECK_STR(say(&t, "AUTH LOGIN YWxpY2U\r\n"), "501 5.5.2 Cannot decode response\r\n");
	CHECK_STR(say(&t, "AUTH LOGIN\r\nYWxpY2U=\r\nc2Vj cmV0\r\n"),
		  "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n501 5.5.2 Cannot decode response\r\n");
	/* no white space of any kind inside an answer (RFC 4954 4) */
	CHECK_STR(say(&t, "AUTH LOGIN\r\nYWxp\tY2U=\r\n"),
		  "334 VXNlcm5hbWU6\r\n501 5.5.2 Cannot decode response\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN\r\nAGFsaWNl\rAHNlY3JldA==\r\n"),
		  "334 \r\n501 5.5.2 Cannot decode response\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN AGFsaWNl AHNlY3JldA==\r\n"),
		  "501 5.5.2 Cannot decode response\r\n");
	/* "\0alice\0" then a NUL inside the password: PLAIN has only two */
	CHECK_STR(say(&t, "AUTH PLAIN AGFsaWNlAHNlYwByZXQ=\r\n"),
		  "501 5.5.2 Malformed PLAIN response\r\n");
	/* a NUL inside a LOGIN user name */
	CHECK_STR(say(&t, "AUTH LOGIN YWwAaWNl\r\n"), "501 5.5.2 Cannot decode response\r\n");
	CHECK_INT(t.fake.nauth, 0);
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	/* an answer too long to read ends the exchange */
	char *x = repeat('Q', 600);
	say(&t, "AUTH PLAIN\r\n");
	CHECK_STR(say(&t, x), "");
	CHECK_STR(say(&t, "\r\n"), "500 5.5.2 Line too long\r\n");
	CHECK_STR(smtp_server_state_name(t.srv), "HELO");
	free(x);
	t_close(&t);
}

static void test_auth_refusals(void)
{
	struct t t;
	t_open(&t, false);
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"),
		  "502 5.5.1 AUTH is offered only on the submission port\r\n");
	t_close(&t);

	t_open(&t, true);
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"), "503 5.5.1 Error: send EHLO first\r\n");
	say(&t, "HELO c.example\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"), "503 5.5.1 Error: send EHLO first\r\n");
	say(&t, "EHLO c.example\r\n");
	CHECK_STR(say(&t, "AUTH\r\n"), "501 5.5.4 Syntax: AUTH mechanism\r\n");
	CHECK_STR(say(&t, "AUTH CRAM-MD5\r\n"), "504 5.5.4 Unrecognized authentication type\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"), "235 2.7.0 Authentication successful\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"), "503 5.5.1 Error: already authenticated\r\n");
	say(&t, "MAIL FROM:<alice@example.org>\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"),
		  "503 5.5.1 Error: AUTH not allowed during a mail transaction\r\n");
	CHECK_INT(t.fake.nauth, 1);
	/* EHLO again keeps the login */
	CHECK_STR(say(&t, "EHLO c.example\r\n"), EHLO_587);
	CHECK_STR(say(&t, "MAIL FROM:<alice@example.org>\r\n"), "250 2.1.0 Ok\r\n");
	t_close(&t);
}

/* --------------------------------------------------- hosts and robustness */

static void test_no_ops(void)
{
	struct t t;
	t_open_with(&t, true, 0, NULL);
	CHECK_STR(say(&t, "EHLO c\r\nAUTH PLAIN " PLAIN_ALICE "\r\n"),
		  "250-mx.example.org greets c\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n"
		  "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN\r\n250 HELP\r\n"
		  "535 5.7.8 Authentication credentials invalid\r\n");
	t_close(&t);
	t_open_with(&t, false, 0, NULL);
	CHECK_STR(say(&t, "HELO c\r\nMAIL FROM:<a@b.org>\r\nRCPT TO:<c@d.org>\r\nDATA\r\nx\r\n.\r\n"),
		  "250 mx.example.org\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n" OK_354 "250 2.0.0 Ok\r\n");
	t_close(&t);
}

/* Every reply is whole lines of "NNN" then " " or "-", each ending CRLF. */
static bool replies_well_formed(const char *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (len - i < 6 || p[i] < '2' || p[i] > '5' || p[i + 1] < '0' || p[i + 1] > '9' ||
		    p[i + 2] < '0' || p[i + 2] > '9' || (p[i + 3] != ' ' && p[i + 3] != '-'))
			return false;
		const char *crlf = strstr(p + i, "\r\n");
		if (!crlf || (size_t)(crlf - p) + 2 - i > SMTP_REPLY_LINE_MAX_OCTETS)
			return false;
		i = (size_t)(crlf - p) + 2;
	}
	return true;
}

/* Random bytes, random command fragments, random feed sizes: the engine
 * never crashes and always answers in well-formed reply lines. */
static void test_garbage_never_crashes(void)
{
	static const char *const pieces[] = {
		"EHLO x\r\n", "HELO x\r\n", "MAIL FROM:<a@b.org>\r\n", "RCPT TO:<c@d.org>\r\n",
		"DATA\r\n", ".\r\n", "\r\n", "\n", "\r", ".", "..", "AUTH PLAIN\r\n",
		"AUTH LOGIN\r\n", "*\r\n", "RSET\r\n", "MAIL FROM:<", "SIZE=", "=", "<>",
		"RCPT TO:<nobody@x.org>\r\n", "AUTH PLAIN " PLAIN_ALICE "\r\n", "\0",
	};
	uint32_t seed = 12345;
	for (int session = 0; session < 200; session++) {
		struct t t;
		t_open_with(&t, session % 2, 300, &fake_ops);
		bool ok = true;
		for (int step = 0; step < 200 && !smtp_server_closed(t.srv); step++) {
			char chunk[64];
			size_t n;
			seed = seed * 1103515245u + 12345u;
			if (seed >> 31) {
				const char *piece = pieces[(seed >> 8) % (sizeof pieces / sizeof *pieces)];
				n = strlen(piece);
				memcpy(chunk, piece, n);
				if (n == 0)
					chunk[n++] = '\0';
			} else {
				n = (seed >> 8) % sizeof chunk;
				for (size_t i = 0; i < n; i++) {
					seed = seed * 1103515245u + 12345u;
					chunk[i] = (char)(seed >> 16);
				}
			}
			say_n(&t, chunk, n);
			if (!replies_well_formed(t.out.data.p ? t.out.data.p : "", t.out.data.len))
				ok = false;
		}
		CHECK(ok);
		if (t.fake.ndata)
			CHECK(t.fake.msg.len <= 300);
		t_close(&t);
	}
}

/* The data op defers its reply (the host asks DNS first): what the client
 * pipelined after the dot is consumed but answered only after the deferred
 * reply, in order; a second message in it defers again. */
static void test_deferred_data_reply(void)
{
	struct t t;
	t_open(&t, false);
	t.fake.data_defers = true;
	say(&t, "EHLO c\r\n");
	const char *in = "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n"
			 "Subject: one\r\n\r\nbody\r\n.\r\n"
			 "MAIL FROM:<a@x.org>\r\nRCPT TO:<c@y.org>\r\nDATA\r\n"
			 "Subject: two\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n";
	CHECK_STR(say(&t, in), "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
			       "354 End data with <CR><LF>.<CR><LF>\r\n");
	CHECK_INT(t.used, strlen(in)); /* everything consumed, some of it held */
	CHECK(smtp_server_data_pending(t.srv));
	CHECK_INT(t.fake.ndata, 1);
	CHECK_STR(say(&t, "NOOP\r\n"), ""); /* still held, after the rest */

	struct smtp_reply r = {0};
	smtp_reply_set(&r, 550, "5.7.1", NULL, "rejected by DMARC policy");
	wire_clear(&t.out);
	smtp_server_data_reply(t.srv, &r, &t.out);
	/* the reply, then the held commands up to the second dot, which
	 * defers again */
	CHECK_STR(t_text(&t), "550 5.7.1 rejected by DMARC policy\r\n250 2.1.0 Ok\r\n"
			      "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
	CHECK_INT(t.fake.ndata, 2);
	CHECK_STR(t.fake.rcpts, "c@y.org");
	CHECK(smtp_server_data_pending(t.srv));

	struct smtp_reply ok = {0};
	smtp_reply_set(&ok, 250, "2.0.0", NULL, "Ok: queued as 2");
	wire_clear(&t.out);
	smtp_server_data_reply(t.srv, &ok, &t.out);
	CHECK_STR(t_text(&t), "250 2.0.0 Ok: queued as 2\r\n250 2.0.0 Ok\r\n"
			      "221 2.0.0 Bye\r\n");
	CHECK(!smtp_server_data_pending(t.srv));
	CHECK(smtp_server_closed(t.srv));
	/* a reply nobody waits for is ignored */
	wire_clear(&t.out);
	smtp_server_data_reply(t.srv, &ok, &t.out);
	CHECK_STR(t_text(&t), "");
	t_close(&t);
}

int main(void)
{
	RUN(test_greeting);
	RUN(test_ehlo_port_25);
	RUN(test_ehlo_submission_offers_auth);
	RUN(test_ehlo_size_shows_limit);
	RUN(test_ehlo_helo_need_argument);
	RUN(test_ehlo_long_name_reply_fits);
	RUN(test_helo);
	RUN(test_ehlo_resets_transaction);
	RUN(test_mail_before_ehlo);
	RUN(test_mail_nested);
	RUN(test_mail_syntax);
	RUN(test_mail_path_length);
	RUN(test_mail_accepted_forms);
	RUN(test_mail_parameters);
	RUN(test_mail_submission_needs_auth);
	RUN(test_mail_refused_by_host);
	RUN(test_rcpt_out_of_order);
	RUN(test_rcpt_syntax);
	RUN(test_rcpt_refused_with_note);
	RUN(test_rcpt_duplicates_kept);
	RUN(test_rcpt_limit);
	RUN(test_rcpt_limit_configured);
	RUN(test_data_out_of_order);
	RUN(test_data_happy_path);
	RUN(test_data_byte_at_a_time);
	RUN(test_data_empty_message);
	RUN(test_data_smuggling);
	RUN(test_data_bare_lf_and_cr);
	RUN(test_data_long_line);
	RUN(test_data_size_limit);
	RUN(test_data_host_fails);
	RUN(test_command_line_limit);
	RUN(test_command_bare_lf);
	RUN(test_command_split_across_feeds);
	RUN(test_unknown_and_unimplemented);
	RUN(test_noop_vrfy);
	RUN(test_help);
	RUN(test_rset);
	RUN(test_quit);
	RUN(test_pipelining);
	RUN(test_state_names);
	RUN(test_auth_plain_inline);
	RUN(test_auth_plain_prompt);
	RUN(test_auth_plain_authzid);
	RUN(test_auth_login);
	RUN(test_auth_wrong_password);
	RUN(test_auth_cancel_and_bad_base64);
	RUN(test_auth_refusals);
	RUN(test_no_ops);
	RUN(test_garbage_never_crashes);
	RUN(test_deferred_data_reply);
	return TEST_END();
}
