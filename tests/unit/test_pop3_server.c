/*
 * test_pop3_server.c - the POP3 server engine, driven as a client would.
 *
 * Each test opens a session against a fake maildrop host (struct fake
 * records what the engine asked it, in order, in fake.log), says some lines
 * and checks the exact responses.
 */
#include "pop3.h"
#include "test.h"

#include <stdlib.h>

/* ------------------------------------------------------------ the fake host */

/* alice's maildrop.  Message 2 has lines beginning with ".", with "..", and
 * a line holding a single "." -- the one that must never end a RETR early. */
#define MSG1 "From: alice@example.org\r\nSubject: one\r\n\r\nHello.\r\n"
#define MSG2 "Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n"
#define MSG3 "Subject: three\r\nX-Count: 3\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"

static const struct {
	uint32_t id;
	const char *uidl;
	const char *content;
} fake_msgs[] = {
	{101, "1.1", MSG1}, /* 49 octets */
	{102, "1.2", MSG2}, /* 41 octets */
	{103, "1.3", MSG3}, /* 54 octets */
};

#define NFAKE_MSGS (sizeof fake_msgs / sizeof fake_msgs[0])

/*
 * The users, all with the password "secret":
 *   alice  the three messages above
 *   bob    another session holds his lock: IN_USE
 *   carol  her maildrop cannot be opened: ERROR
 *   dave   an empty maildrop
 */
struct fake {
	int nauth, nlock, nunlock, nupdate;
	int nlocked;                 /* locks granted (POP3_LOCK_OK) */
	char auth_user[256], auth_password[256]; /* what ops->auth was given last */
	bool update_fails;           /* ops->update answers false */
	uint32_t gone_id;            /* ops->content says this message is gone */
	const char *content;         /* if set, ops->content gives this for every message */
	const char *password;        /* if set, everyone's password instead of "secret" */
	struct pop3_server *srv;     /* to see the engine's state from inside an op */
	char state_in_update[32];    /* pop3_server_state_name() during ops->update */
	char log[512];               /* "lock alice|update alice 101,103|unlock alice" */
};

static void fake_log(struct fake *f, const char *what, const char *user, const char *extra)
{
	size_t used = strlen(f->log);
	snprintf(f->log + used, sizeof f->log - used, "%s%s %s%s%s", used ? "|" : "", what, user,
		 extra ? " " : "", extra ? extra : "");
}

static bool fake_auth(void *ctx, const char *user, const char *password)
{
	struct fake *f = ctx;
	f->nauth++;
	snprintf(f->auth_user, sizeof f->auth_user, "%s", user);
	snprintf(f->auth_password, sizeof f->auth_password, "%s", password);
	bool known = strcmp(user, "alice") == 0 || strcmp(user, "bob") == 0 ||
		     strcmp(user, "carol") == 0 || strcmp(user, "dave") == 0;
	return known && strcmp(password, f->password ? f->password : "secret") == 0;
}

static enum pop3_lock_result fake_lock(void *ctx, const char *user, struct pop3_msg **msgs,
				       size_t *n)
{
	struct fake *f = ctx;
	f->nlock++;
	fake_log(f, "lock", user, NULL);
	if (strcmp(user, "bob") == 0)
		return POP3_LOCK_IN_USE;
	if (strcmp(user, "carol") == 0)
		return POP3_LOCK_ERROR;
	if (strcmp(user, "dave") == 0) {
		*msgs = NULL;
		*n = 0;
		f->nlocked++;
		return POP3_LOCK_OK;
	}
	*msgs = xcalloc(NFAKE_MSGS, sizeof **msgs);
	for (size_t i = 0; i < NFAKE_MSGS; i++) {
		(*msgs)[i].id = fake_msgs[i].id;
		(*msgs)[i].size = strlen(fake_msgs[i].content);
		snprintf((*msgs)[i].uidl, sizeof (*msgs)[i].uidl, "%s", fake_msgs[i].uidl);
	}
	*n = NFAKE_MSGS;
	f->nlocked++;
	return POP3_LOCK_OK;
}

static void fake_unlock(void *ctx, const char *user)
{
	struct fake *f = ctx;
	f->nunlock++;
	fake_log(f, "unlock", user, NULL);
}

static bool fake_content(void *ctx, const char *user, const struct pop3_msg *m, struct buf *out)
{
	struct fake *f = ctx;
	(void)user;
	if (m->id == f->gone_id)
		return false;
	if (f->content) {
		buf_adds(out, f->content);
		return true;
	}
	for (size_t i = 0; i < NFAKE_MSGS; i++) {
		if (fake_msgs[i].id == m->id) {
			buf_adds(out, fake_msgs[i].content);
			return true;
		}
	}
	return false;
}

static bool fake_update(void *ctx, const char *user, const struct pop3_msg *const *dele,
			size_t n)
{
	struct fake *f = ctx;
	f->nupdate++;
	snprintf(f->state_in_update, sizeof f->state_in_update, "%s",
		 pop3_server_state_name(f->srv));
	char ids[128] = "";
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(ids);
		snprintf(ids + used, sizeof ids - used, "%s%u", i ? "," : "", (unsigned)dele[i]->id);
	}
	fake_log(f, "update", user, ids);
	return !f->update_fails;
}

static const struct pop3_server_ops fake_ops = {
	.auth = fake_auth,
	.lock = fake_lock,
	.unlock = fake_unlock,
	.content = fake_content,
	.update = fake_update,
};

/* --------------------------------------------------------------- sessions */

struct t {
	struct pop3_server *srv;
	struct wire out; /* what the last say() produced */
	size_t used;     /* what pop3_server_feed returned */
	struct fake fake;
};

static void t_open_config(struct t *t, const struct pop3_server_config *cfg,
			  const struct pop3_server_ops *ops)
{
	memset(t, 0, sizeof *t);
	wire_init(&t->out);
	t->srv = pop3_server_new(cfg, ops, &t->fake);
	t->fake.srv = t->srv;
	pop3_server_start(t->srv, &t->out);
}

static void t_open_with(struct t *t, const struct pop3_server_ops *ops)
{
	struct pop3_server_config cfg = {.hostname = "pop.example.org"};
	t_open_config(t, &cfg, ops);
}

static void t_open(struct t *t)
{
	t_open_with(t, &fake_ops);
}

static void t_close(struct t *t)
{
	pop3_server_free(t->srv);
	t->srv = NULL;
	t->fake.srv = NULL;
	wire_free(&t->out);
}

static const char *t_text(const struct t *t)
{
	return t->out.data.p ? t->out.data.p : "";
}

/* Feed n bytes in one go; the responses they caused. */
static const char *say_n(struct t *t, const char *in, size_t n)
{
	wire_clear(&t->out);
	t->used = pop3_server_feed(t->srv, in, n, &t->out);
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
		t->used += pop3_server_feed(t->srv, in + i, 1, &t->out);
	return t_text(t);
}

/* The note on the response line starting with `start`, or NULL. */
static const char *note_of(const struct t *t, const char *start)
{
	const char *p = strstr(t_text(t), start);
	return p ? wire_note_at(&t->out, (size_t)(p - t_text(t))) : NULL;
}

/* A session logged in as alice. */
static void t_login(struct t *t)
{
	t_open(t);
	say(t, "USER alice\r\nPASS secret\r\n");
}

static char *repeat(char c, size_t n)
{
	char *p = xmalloc(n + 1);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

#define GREETING "+OK pop.example.org POP3 server ready\r\n"
#define LOGGED_IN "+OK maildrop has 3 messages (144 octets)\r\n"
#define CAPA_LIST                                                                        \
	"+OK Capability list follows\r\n"                                                \
	"TOP\r\n"                                                                        \
	"UIDL\r\n"                                                                       \
	"USER\r\n"                                                                       \
	"RESP-CODES\r\n"                                                                 \
	"AUTH-RESP-CODE\r\n"                                                             \
	"PIPELINING\r\n"                                                                 \
	"SASL PLAIN\r\n"                                                                 \
	"IMPLEMENTATION mailsim\r\n"                                                     \
	".\r\n"
#define LIST_ALL "+OK 3 messages (144 octets)\r\n1 49\r\n2 41\r\n3 54\r\n.\r\n"
#define AUTH_FAILED "-ERR [AUTH] Authentication failed\r\n"
#define LOG_IN_FIRST "-ERR command not valid in this state: log in first\r\n"
#define LOGGED_IN_ALREADY "-ERR command not valid in this state: already logged in\r\n"
#define PASS_AFTER_USER "-ERR PASS must come right after USER\r\n"
#define NO_SUCH "-ERR no such message\r\n"
#define BAD_NUMBER "-ERR invalid message number\r\n"
#define SIGN_OFF "+OK pop.example.org POP3 server signing off"
#define APOP_NOT_OFFERED "-ERR APOP not offered: log in with USER and PASS, or AUTH PLAIN\r\n"
#define PLAIN_ALICE "AGFsaWNlAHNlY3JldA==" /* base64 of "\0alice\0secret" */

/* ----------------------------------------------------- greeting and login */

static void test_fake_sizes(void)
{
	/* the octet counts the expected responses below are built on */
	CHECK_INT(strlen(MSG1), 49);
	CHECK_INT(strlen(MSG2), 41);
	CHECK_INT(strlen(MSG3), 54);
}

static void test_greeting(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(t_text(&t), GREETING);
	CHECK_STR(note_of(&t, "+OK"),
		  "POP3 (RFC 1939): the server is ready; log in with USER and PASS");
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	CHECK(!pop3_server_closed(t.srv));
	CHECK_INT(t.fake.nlock, 0);
	t_close(&t);
}

static void test_user_pass(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "USER alice\r\n"), "+OK send PASS\r\n");
	CHECK(note_of(&t, "+OK") != NULL);
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	CHECK_STR(say(&t, "PASS secret\r\n"), LOGGED_IN);
	CHECK(note_of(&t, "+OK") != NULL);
	CHECK_STR(pop3_server_state_name(t.srv), "TRANSACTION");
	CHECK_STR(t.fake.auth_user, "alice");
	CHECK_STR(t.fake.auth_password, "secret");
	CHECK_STR(t.fake.log, "lock alice");
	t_close(&t);
}

static void test_user_does_not_reveal(void)
{
	struct t t;
	t_open(&t);
	/* a name nobody has gets the same answer as a real one */
	CHECK_STR(say(&t, "USER nobody\r\n"), "+OK send PASS\r\n");
	CHECK_STR(say(&t, "PASS secret\r\n"), AUTH_FAILED);
	CHECK_STR(t.fake.auth_user, "nobody");
	CHECK_INT(t.fake.nlock, 0);
	/* a second USER replaces the first */
	CHECK_STR(say(&t, "USER bob\r\nUSER alice\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n+OK send PASS\r\n" LOGGED_IN);
	CHECK_STR(t.fake.auth_user, "alice");
	t_close(&t);
}

static void test_wrong_password(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "USER alice\r\nPASS wrong\r\n"), "+OK send PASS\r\n" AUTH_FAILED);
	CHECK_STR(note_of(&t, "-ERR [AUTH]"),
		  "[AUTH]: the user name or the password is wrong, so trying again without "
		  "changing them is no use (RFC 3206)");
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	/* the USER is forgotten: PASS alone does not work */
	CHECK_STR(say(&t, "PASS secret\r\n"), PASS_AFTER_USER);
	CHECK_INT(t.fake.nauth, 1);
	CHECK_INT(t.fake.nlock, 0);
	/* and the client may try again */
	CHECK_STR(say(&t, "USER alice\r\nPASS secret\r\n"), "+OK send PASS\r\n" LOGGED_IN);
	t_close(&t);
}

static void test_pass_needs_user_just_before(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "PASS secret\r\n"), PASS_AFTER_USER);
	CHECK(note_of(&t, "-ERR") != NULL);
	/* anything between USER and PASS, even a refused or unknown command */
	CHECK_STR(say(&t, "USER alice\r\nSTAT\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n" LOG_IN_FIRST PASS_AFTER_USER);
	CHECK_STR(say(&t, "USER alice\r\nXYZZY\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n-ERR unknown command\r\n" PASS_AFTER_USER);
	CHECK_STR(say(&t, "USER alice\r\n\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n-ERR empty command line\r\n" PASS_AFTER_USER);
	CHECK_STR(say(&t, "USER alice\r\nCAPA\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n" CAPA_LIST PASS_AFTER_USER);
	CHECK_INT(t.fake.nauth, 0);
	CHECK_STR(say(&t, "USER\r\n"), "-ERR Syntax: USER name\r\n");
	CHECK_STR(say(&t, "USER alice bob\r\n"), "-ERR Syntax: USER name\r\n");
	CHECK_STR(say(&t, "USER alice\r\nPASS\r\n"), "+OK send PASS\r\n-ERR Syntax: PASS password\r\n");
	t_close(&t);
}

static void test_pass_with_spaces(void)
{
	/* RFC 1939 7: the rest of the line is the password, spaces and all */
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "USER alice\r\nPASS my  secret \r\n"), "+OK send PASS\r\n" AUTH_FAILED);
	CHECK_STR(t.fake.auth_password, "my  secret ");
	t_close(&t);
}

/* A password may be longer than the 40 characters RFC 2449 4 allows an
 * argument: the whole rest of the line is the password, so only the
 * command line's own cap (255 octets with the CRLF) bounds it. */
static void test_pass_long(void)
{
	/* 100 octets, spaces inside, at the start and at the end */
	char password[101];
	for (size_t i = 0; i < 100; i++)
		password[i] = i % 7 == 0 ? ' ' : (char)('a' + i % 26);
	password[100] = '\0';
	char line[300];
	struct t t;
	t_open(&t);
	t.fake.password = password;
	snprintf(line, sizeof line, "USER alice\r\nPASS %s\r\n", password);
	CHECK_STR(say(&t, line), "+OK send PASS\r\n" LOGGED_IN);
	CHECK_STR(t.fake.auth_password, password);
	CHECK_STR(pop3_server_state_name(t.srv), "TRANSACTION");
	t_close(&t);

	/* the longest that fits: 253 octets of text, "PASS " and 248 */
	char *x = repeat('p', 249);
	t_open(&t);
	x[248] = '\0';
	t.fake.password = x;
	snprintf(line, sizeof line, "USER alice\r\nPASS %s\r\n", x);
	CHECK_STR(say(&t, line), "+OK send PASS\r\n" LOGGED_IN);
	t_close(&t);
	/* one more is a line too long, and the name is forgotten */
	t_open(&t);
	x[248] = 'p';
	t.fake.password = x;
	snprintf(line, sizeof line, "USER alice\r\nPASS %s\r\n", x);
	CHECK_STR(say(&t, line), "+OK send PASS\r\n-ERR line too long\r\n");
	CHECK_INT(t.fake.nauth, 0);
	CHECK_STR(say(&t, "PASS secret\r\n"), PASS_AFTER_USER);
	free(x);
	t_close(&t);
}

/* APOP (RFC 1939 7) takes a name and an MD5 digest.  This server keeps no
 * greeting timestamp to digest, so it parses the two arguments and says
 * plainly that it does not offer APOP (CAPA does not list it either). */
static void test_apop_not_offered(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "APOP alice c4c9334bac560ecc979e58001b3e22fb\r\n"), APOP_NOT_OFFERED);
	CHECK(note_of(&t, "-ERR") != NULL);
	CHECK_STR(say(&t, "apop alice c4c9334bac560ecc979e58001b3e22fb\r\n"), APOP_NOT_OFFERED);
	CHECK_STR(say(&t, "APOP\r\n"), "-ERR Syntax: APOP name digest\r\n");
	CHECK_STR(say(&t, "APOP alice\r\n"), "-ERR Syntax: APOP name digest\r\n");
	CHECK_STR(say(&t, "APOP alice c4c9 extra\r\n"), "-ERR Syntax: APOP name digest\r\n");
	CHECK_INT(t.fake.nauth, 0);
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	/* CAPA says nothing of APOP */
	CHECK(strstr(say(&t, "CAPA\r\n"), "APOP") == NULL);
	/* after login it is out of place, as USER and PASS are */
	say(&t, "USER alice\r\nPASS secret\r\n");
	CHECK_STR(say(&t, "APOP alice c4c9334bac560ecc979e58001b3e22fb\r\n"), LOGGED_IN_ALREADY);
	t_close(&t);
}

/* CAPA lists AUTH-RESP-CODE (RFC 3206 6): every failed login says [AUTH]
 * or [SYS/TEMP], so a client may tell a wrong password from a passing
 * problem. */
static void test_capa_auth_resp_code(void)
{
	struct t t;
	t_open(&t);
	CHECK_CONTAINS(say(&t, "CAPA\r\n"), "\r\nAUTH-RESP-CODE\r\n");
	CHECK(note_of(&t, "AUTH-RESP-CODE") != NULL);
	t_close(&t);
}

static void test_lock_in_use(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "USER bob\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n-ERR [IN-USE] Maildrop already locked by another session\r\n");
	CHECK_STR(note_of(&t, "-ERR [IN-USE]"),
		  "[IN-USE]: another session holds this maildrop's lock, so two clients never "
		  "delete from it at once (RFC 2449 8.1.1)");
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	CHECK_STR(say(&t, "STAT\r\n"), LOG_IN_FIRST);
	CHECK_STR(t.fake.log, "lock bob"); /* never locked, so never unlocked */
	/* the session may still log in as someone else */
	CHECK_STR(say(&t, "USER alice\r\nPASS secret\r\n"), "+OK send PASS\r\n" LOGGED_IN);
	t_close(&t);
	CHECK_STR(t.fake.log, "lock bob|lock alice|unlock alice");
}

static void test_lock_error(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "USER carol\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n-ERR [SYS/TEMP] Unable to open the maildrop, try again later\r\n");
	CHECK(note_of(&t, "-ERR [SYS/TEMP]") != NULL);
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	t_close(&t);
	CHECK_INT(t.fake.nunlock, 0);
}

/* -------------------------------------------------------------- AUTH PLAIN */

static void test_auth_plain_inline(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"), LOGGED_IN);
	CHECK_STR(t.fake.auth_user, "alice");
	CHECK_STR(t.fake.auth_password, "secret");
	CHECK_STR(pop3_server_state_name(t.srv), "TRANSACTION");
	t_close(&t);

	/* mechanism names are case-insensitive; an authzid equal to the user is fine */
	t_open(&t);
	CHECK_STR(say(&t, "auth plain YWxpY2UAYWxpY2UAc2VjcmV0\r\n"), LOGGED_IN);
	t_close(&t);
}

static void test_auth_plain_continuation(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "AUTH PLAIN\r\n"), "+ \r\n");
	CHECK(note_of(&t, "+ ") != NULL);
	CHECK_STR(pop3_server_state_name(t.srv), "AUTH_PLAIN");
	CHECK_STR(say(&t, PLAIN_ALICE "\r\n"), LOGGED_IN);
	CHECK_INT(t.fake.nauth, 1);
	CHECK_STR(pop3_server_state_name(t.srv), "TRANSACTION");
	t_close(&t);

	/* the answer may come in pieces, like any line */
	t_open(&t);
	CHECK_STR(say_bytewise(&t, "AUTH PLAIN\r\n" PLAIN_ALICE "\r\n"), "+ \r\n" LOGGED_IN);
	t_close(&t);
}

static void test_auth_cancel(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "AUTH PLAIN\r\n*\r\n"), "+ \r\n-ERR authentication cancelled\r\n");
	CHECK(note_of(&t, "-ERR") != NULL);
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	CHECK_INT(t.fake.nauth, 0);
	/* in AUTH_PLAIN every line is the answer, even one that looks like a command */
	CHECK_STR(say(&t, "AUTH PLAIN\r\nQUIT\r\n"), "+ \r\n-ERR malformed PLAIN response\r\n");
	CHECK(!pop3_server_closed(t.srv));
	t_close(&t);
}

static void test_auth_bad(void)
{
	static const char *const undecodable[] = {
		"AUTH PLAIN !!!!\r\n",
		"AUTH PLAIN AGFsaWNlAHNlY3JldA=x\r\n",
		"AUTH PLAIN AGFs=WNlAHNlY3JldA==\r\n",
		"AUTH PLAIN AGFsaWNlAHNlY3JldA\r\n", /* padding missing */
		"AUTH PLAIN\r\nAGFsaWNl AHNlY3JldA==\r\n", /* a space inside */
		"AUTH PLAIN\r\nAGFsaWNl\tAHNlY3JldA==\r\n",
		"AUTH PLAIN\r\nabc\r\n",
	};
	struct t t;
	t_open(&t);
	for (size_t i = 0; i < sizeof undecodable / sizeof *undecodable; i++) {
		const char *r = say(&t, undecodable[i]);
		if (strncmp(r, "+ \r\n", 4) == 0)
			r += 4;
		CHECK_STR(r, "-ERR cannot decode the base64 response\r\n");
	}
	CHECK_STR(say(&t, "AUTH PLAIN YWxpY2UAc2VjcmV0\r\n"), "-ERR malformed PLAIN response\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN AGFsaWNlAHNlYwByZXQ=\r\n"), "-ERR malformed PLAIN response\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN =\r\n"), "-ERR malformed PLAIN response\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN\r\n\r\n"), "+ \r\n-ERR malformed PLAIN response\r\n");
	CHECK_INT(t.fake.nauth, 0);
	/* "bob\0alice\0secret": alice may not act as bob */
	CHECK_STR(say(&t, "AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\n"), AUTH_FAILED);
	CHECK_INT(t.fake.nauth, 0);
	/* "\0alice\0wrong" */
	CHECK_STR(say(&t, "AUTH PLAIN AGFsaWNlAHdyb25n\r\n"), AUTH_FAILED);
	CHECK_STR(t.fake.auth_password, "wrong");
	/* an initial response may be longer than 40 characters (RFC 5034 4) */
	CHECK_STR(say(&t, "AUTH PLAIN AGFsaWNlAHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg=\r\n"),
		  AUTH_FAILED);
	CHECK_INT(strlen(t.fake.auth_password), 40);
	CHECK_STR(say(&t, "AUTH\r\n"), "-ERR Syntax: AUTH mechanism [initial-response]\r\n");
	CHECK_STR(say(&t, "AUTH PLAIN a b\r\n"), "-ERR Syntax: AUTH mechanism [initial-response]\r\n");
	CHECK_STR(say(&t, "AUTH CRAM-MD5\r\n"), "-ERR unrecognized authentication mechanism\r\n");
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	/* an answer too long to read ends the exchange */
	char *x = repeat('Q', 300);
	CHECK_STR(say(&t, "AUTH PLAIN\r\n"), "+ \r\n");
	CHECK_STR(say(&t, x), "");
	CHECK_STR(say(&t, "\r\n"), "-ERR line too long\r\n");
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	free(x);
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"), LOGGED_IN);
	t_close(&t);
}

/* --------------------------------------------------------- states and CAPA */

static void test_transaction_commands_before_login(void)
{
	static const char *const lines[] = {
		"STAT\r\n", "LIST\r\n", "LIST 1\r\n", "RETR 1\r\n", "DELE 1\r\n", "NOOP\r\n",
		"RSET\r\n", "TOP 1 0\r\n", "UIDL\r\n", "UIDL 1\r\n", "RETR\r\n",
	};
	struct t t;
	t_open(&t);
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		CHECK_STR(say(&t, lines[i]), LOG_IN_FIRST);
		CHECK(note_of(&t, "-ERR") != NULL);
	}
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	t_close(&t);
}

static void test_authorization_commands_after_login(void)
{
	static const char *const lines[] = {
		"USER alice\r\n", "USER bob\r\n", "PASS secret\r\n",
		"AUTH PLAIN " PLAIN_ALICE "\r\n", "AUTH PLAIN\r\n", "AUTH\r\n",
	};
	struct t t;
	t_login(&t);
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
		CHECK_STR(say(&t, lines[i]), LOGGED_IN_ALREADY);
	CHECK_STR(pop3_server_state_name(t.srv), "TRANSACTION");
	CHECK_INT(t.fake.nauth, 1);
	CHECK_INT(t.fake.nlock, 1);
	t_close(&t);
}

static void test_capa_both_states(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "CAPA\r\n"), CAPA_LIST);
	CHECK(note_of(&t, "+OK") != NULL);
	CHECK(note_of(&t, "SASL PLAIN") != NULL);
	CHECK_STR(say(&t, "capa\r\n"), CAPA_LIST);
	CHECK_STR(say(&t, "CAPA now\r\n"), "-ERR Syntax: CAPA\r\n");
	say(&t, "USER alice\r\nPASS secret\r\n");
	CHECK_STR(say(&t, "CAPA\r\n"), CAPA_LIST);
	CHECK_STR(pop3_server_state_name(t.srv), "TRANSACTION");
	t_close(&t);
}

static void test_state_names(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	say(&t, "AUTH PLAIN\r\n");
	CHECK_STR(pop3_server_state_name(t.srv), "AUTH_PLAIN");
	say(&t, PLAIN_ALICE "\r\n");
	CHECK_STR(pop3_server_state_name(t.srv), "TRANSACTION");
	say(&t, "DELE 2\r\nQUIT\r\n");
	CHECK_STR(t.fake.state_in_update, "UPDATE"); /* as the host removed the message */
	CHECK_STR(pop3_server_state_name(t.srv), "CLOSED");
	t_close(&t);
}

/* ------------------------------------------------------------- TRANSACTION */

static void test_stat_list_uidl(void)
{
	struct t t;
	t_login(&t);
	CHECK_STR(say(&t, "STAT\r\n"), "+OK 3 144\r\n");
	CHECK(note_of(&t, "+OK") != NULL);
	CHECK_STR(say(&t, "LIST\r\n"), LIST_ALL);
	CHECK(note_of(&t, "+OK") != NULL);
	CHECK_STR(say(&t, "LIST 2\r\n"), "+OK 2 41\r\n");
	CHECK_STR(say(&t, "UIDL\r\n"), "+OK unique-id listing follows\r\n1 1.1\r\n2 1.2\r\n3 1.3\r\n.\r\n");
	CHECK_STR(note_of(&t, "+OK"), "a unique-id never changes, so a client that keeps mail on "
				      "the server can tell which messages it already has");
	CHECK_STR(say(&t, "UIDL 3\r\n"), "+OK 3 1.3\r\n");
	CHECK(note_of(&t, "+OK") != NULL);
	CHECK_STR(say(&t, "NOOP\r\n"), "+OK\r\n");
	CHECK_STR(say(&t, "stat\r\nList 1\r\nuidl 1\r\n"), "+OK 3 144\r\n+OK 1 49\r\n+OK 1 1.1\r\n");
	t_close(&t);
}

static void test_message_numbers(void)
{
	static const char *const no_such[] = {
		"LIST 0\r\n", "LIST 4\r\n", "LIST 99999999999999999999999999\r\n",
		"RETR 0\r\n", "DELE 4\r\n", "UIDL 9\r\n", "TOP 4 1\r\n",
	};
	static const char *const bad[] = {
		"LIST abc\r\n", "LIST +1\r\n", "LIST -1\r\n", "LIST 1x\r\n", "LIST 0x1\r\n",
		"RETR 1.\r\n", "DELE \t1\r\n", "UIDL one\r\n", "TOP x 1\r\n",
	};
	struct t t;
	t_login(&t);
	for (size_t i = 0; i < sizeof no_such / sizeof *no_such; i++)
		CHECK_STR(say(&t, no_such[i]), NO_SUCH);
	CHECK(note_of(&t, "-ERR") != NULL);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_STR(say(&t, bad[i]), BAD_NUMBER);
	/* leading zeros are still decimal digits; extra spaces are forgiven */
	CHECK_STR(say(&t, "LIST 01\r\n"), "+OK 1 49\r\n");
	CHECK_STR(say(&t, "LIST  2 \r\n"), "+OK 2 41\r\n");
	CHECK_STR(say(&t, "LIST 1 2\r\n"), "-ERR Syntax: LIST [msg]\r\n");
	CHECK_STR(say(&t, "UIDL 1 2\r\n"), "-ERR Syntax: UIDL [msg]\r\n");
	CHECK_STR(say(&t, "RETR\r\n"), "-ERR Syntax: RETR msg\r\n");
	CHECK_STR(say(&t, "RETR 1 2 3\r\n"), "-ERR Syntax: RETR msg\r\n");
	CHECK_STR(say(&t, "DELE\r\n"), "-ERR Syntax: DELE msg\r\n");
	CHECK_STR(say(&t, "TOP 1\r\n"), "-ERR Syntax: TOP msg n\r\n");
	CHECK_STR(say(&t, "STAT 1\r\n"), "-ERR Syntax: STAT\r\n");
	CHECK_STR(say(&t, "NOOP x\r\n"), "-ERR Syntax: NOOP\r\n");
	CHECK_STR(say(&t, "RSET x\r\n"), "-ERR Syntax: RSET\r\n");
	CHECK_STR(say(&t, "QUIT x\r\n"), "-ERR Syntax: QUIT\r\n");
	CHECK(!pop3_server_closed(t.srv));
	CHECK_STR(t.fake.log, "lock alice");
	t_close(&t);
}

static void test_retr(void)
{
	struct t t;
	t_login(&t);
	CHECK_STR(say(&t, "RETR 1\r\n"), "+OK 49 octets\r\n" MSG1 ".\r\n");
	CHECK_STR(note_of(&t, "+OK"),
		  "RETR: the whole message follows, ended by a line with a single dot");
	CHECK_STR(say(&t, "RETR 3\r\n"), "+OK 54 octets\r\n" MSG3 ".\r\n");
	t_close(&t);
}

static void test_retr_stuffing(void)
{
	struct t t;
	t_login(&t);
	/* every line that begins with "." gets one more; the size is the unstuffed one */
	CHECK_STR(say(&t, "RETR 2\r\n"),
		  "+OK 41 octets\r\n"
		  "Subject: dots\r\n"
		  "\r\n"
		  "..hidden\r\n"
		  "...two\r\n"
		  "..\r\n"
		  "end\r\n"
		  ".\r\n");
	CHECK(note_of(&t, "..hidden") != NULL);
	CHECK(note_of(&t, "...two") != NULL);
	CHECK(note_of(&t, "..\r\nend") != NULL);
	CHECK(note_of(&t, "end\r\n") == NULL);
	t_close(&t);
}

static void test_retr_odd_content(void)
{
	struct t t;
	t_login(&t);
	/* no line end at the very end: the server adds one before the dot */
	t.fake.content = "Subject: x\r\n\r\nno line end";
	CHECK_STR(say(&t, "RETR 1\r\n"), "+OK 49 octets\r\nSubject: x\r\n\r\nno line end\r\n.\r\n");
	/* a bare LF starts a line too, so a dot after it is stuffed */
	t.fake.content = "a\n.\nb\r\n";
	CHECK_STR(say(&t, "RETR 1\r\n"), "+OK 49 octets\r\na\n..\nb\r\n.\r\n");
	/* an empty message is just the end */
	t.fake.content = "";
	CHECK_STR(say(&t, "RETR 1\r\n"), "+OK 49 octets\r\n.\r\n");
	t.fake.content = ".";
	CHECK_STR(say(&t, "RETR 1\r\n"), "+OK 49 octets\r\n..\r\n.\r\n");
	t_close(&t);
}

static void test_content_gone(void)
{
	struct t t;
	t_login(&t);
	t.fake.gone_id = 102;
	CHECK_STR(say(&t, "RETR 2\r\n"), "-ERR message 2 no longer exists\r\n");
	CHECK(note_of(&t, "-ERR") != NULL);
	CHECK_STR(say(&t, "TOP 2 0\r\n"), "-ERR message 2 no longer exists\r\n");
	CHECK_STR(say(&t, "RETR 1\r\n"), "+OK 49 octets\r\n" MSG1 ".\r\n");
	t_close(&t);
}

static void test_top(void)
{
	struct t t;
	t_login(&t);
	CHECK_STR(say(&t, "TOP 3 0\r\n"),
		  "+OK top of message follows\r\nSubject: three\r\nX-Count: 3\r\n\r\n.\r\n");
	CHECK(note_of(&t, "+OK") != NULL);
	CHECK_STR(say(&t, "TOP 3 2\r\n"),
		  "+OK top of message follows\r\nSubject: three\r\nX-Count: 3\r\n\r\n"
		  "line 1\r\nline 2\r\n.\r\n");
	/* more lines than the body has: the whole message */
	CHECK_STR(say(&t, "TOP 3 100\r\n"), "+OK top of message follows\r\n" MSG3 ".\r\n");
	CHECK_STR(say(&t, "TOP 3 99999999999999999999999\r\n"),
		  "+OK top of message follows\r\n" MSG3 ".\r\n");
	/* stuffed like RETR */
	CHECK_STR(say(&t, "TOP 2 1\r\n"),
		  "+OK top of message follows\r\nSubject: dots\r\n\r\n..hidden\r\n.\r\n");
	CHECK_STR(say(&t, "TOP 1 -1\r\n"), "-ERR invalid number of lines\r\n");
	CHECK_STR(say(&t, "TOP 1 x\r\n"), "-ERR invalid number of lines\r\n");
	CHECK_STR(say(&t, "TOP 1 +2\r\n"), "-ERR invalid number of lines\r\n");
	t_close(&t);
}

static void test_dele(void)
{
	struct t t;
	t_login(&t);
	CHECK_STR(say(&t, "DELE 1\r\n"), "+OK message 1 deleted\r\n");
	CHECK_STR(note_of(&t, "+OK"),
		  "DELE only marks the message: it is removed at QUIT, in the UPDATE state");
	CHECK_STR(say(&t, "DELE 1\r\n"), "-ERR message 1 already deleted\r\n");
	CHECK(note_of(&t, "-ERR") != NULL);
	CHECK_STR(say(&t, "LIST\r\n"), "+OK 2 messages (95 octets)\r\n2 41\r\n3 54\r\n.\r\n");
	CHECK_STR(say(&t, "STAT\r\n"), "+OK 2 95\r\n");
	CHECK_STR(say(&t, "UIDL\r\n"), "+OK unique-id listing follows\r\n2 1.2\r\n3 1.3\r\n.\r\n");
	CHECK_STR(say(&t, "RETR 1\r\n"), "-ERR message 1 already deleted\r\n");
	CHECK_STR(say(&t, "LIST 1\r\n"), "-ERR message 1 already deleted\r\n");
	CHECK_STR(say(&t, "UIDL 1\r\n"), "-ERR message 1 already deleted\r\n");
	CHECK_STR(say(&t, "TOP 1 0\r\n"), "-ERR message 1 already deleted\r\n");
	/* the other messages keep their numbers */
	CHECK_STR(say(&t, "LIST 3\r\n"), "+OK 3 54\r\n");
	CHECK_STR(say(&t, "DELE 2\r\nDELE 3\r\nSTAT\r\nLIST\r\n"),
		  "+OK message 2 deleted\r\n+OK message 3 deleted\r\n+OK 0 0\r\n"
		  "+OK 0 messages (0 octets)\r\n.\r\n");
	CHECK_STR(t.fake.log, "lock alice"); /* nothing removed yet */
	CHECK_INT(t.fake.nupdate, 0);
	t_close(&t);
}

static void test_rset(void)
{
	struct t t;
	t_login(&t);
	say(&t, "DELE 1\r\nDELE 3\r\n");
	CHECK_STR(say(&t, "RSET\r\n"), LOGGED_IN);
	CHECK_STR(note_of(&t, "+OK"), "RSET unmarks every message marked deleted in this session");
	CHECK_STR(say(&t, "LIST\r\n"), LIST_ALL);
	CHECK_STR(say(&t, "RETR 1\r\n"), "+OK 49 octets\r\n" MSG1 ".\r\n");
	CHECK_STR(say(&t, "QUIT\r\n"), SIGN_OFF " (0 messages deleted)\r\n");
	CHECK_INT(t.fake.nupdate, 0);
	CHECK_STR(t.fake.log, "lock alice|unlock alice");
	t_close(&t);
}

static void test_empty_maildrop(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "USER dave\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n+OK maildrop has 0 messages (0 octets)\r\n");
	CHECK_STR(say(&t, "STAT\r\n"), "+OK 0 0\r\n");
	CHECK_STR(say(&t, "LIST\r\n"), "+OK 0 messages (0 octets)\r\n.\r\n");
	CHECK_STR(say(&t, "UIDL\r\n"), "+OK unique-id listing follows\r\n.\r\n");
	CHECK_STR(say(&t, "RETR 1\r\n"), NO_SUCH);
	CHECK_STR(say(&t, "RSET\r\n"), "+OK maildrop has 0 messages (0 octets)\r\n");
	CHECK_STR(say(&t, "QUIT\r\n"), SIGN_OFF " (0 messages deleted)\r\n");
	CHECK_STR(t.fake.log, "lock dave|unlock dave");
	t_close(&t);
}

/* ----------------------------------------------------------- QUIT, UPDATE */

static void test_quit_updates(void)
{
	struct t t;
	t_login(&t);
	say(&t, "DELE 3\r\nDELE 1\r\n");
	CHECK_STR(say(&t, "QUIT\r\nNOOP\r\n"), SIGN_OFF " (2 messages deleted)\r\n");
	CHECK_STR(note_of(&t, "+OK"),
		  "UPDATE: now, and only now, the marked messages are removed from the server");
	CHECK_INT(t.used, 6); /* the NOOP was not read */
	CHECK(pop3_server_closed(t.srv));
	CHECK_STR(pop3_server_state_name(t.srv), "CLOSED");
	/* one update with exactly the marked messages, then the lock is released */
	CHECK_INT(t.fake.nupdate, 1);
	CHECK_STR(t.fake.log, "lock alice|update alice 101,103|unlock alice");
	CHECK_STR(say(&t, "NOOP\r\n"), "");
	CHECK_INT(t.used, 0);
	t_close(&t);
	CHECK_INT(t.fake.nunlock, 1); /* not again at free */

	t_login(&t);
	CHECK_STR(say(&t, "DELE 2\r\nQUIT\r\n"),
		  "+OK message 2 deleted\r\n" SIGN_OFF " (1 message deleted)\r\n");
	CHECK_STR(t.fake.log, "lock alice|update alice 102|unlock alice");
	t_close(&t);
}

static void test_quit_without_dele(void)
{
	struct t t;
	t_login(&t);
	CHECK_STR(say(&t, "RETR 1\r\nQUIT\r\n"),
		  "+OK 49 octets\r\n" MSG1 ".\r\n" SIGN_OFF " (0 messages deleted)\r\n");
	CHECK(note_of(&t, SIGN_OFF) != NULL);
	CHECK_INT(t.fake.nupdate, 0);
	CHECK_STR(t.fake.log, "lock alice|unlock alice");
	t_close(&t);
}

static void test_quit_before_login(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "USER alice\r\nQUIT\r\n"), "+OK send PASS\r\n" SIGN_OFF "\r\n");
	CHECK(note_of(&t, SIGN_OFF) != NULL);
	CHECK(pop3_server_closed(t.srv));
	t_close(&t);
	CHECK_STR(t.fake.log, "");
	CHECK_INT(t.fake.nauth, 0);
}

static void test_update_fails(void)
{
	struct t t;
	t_login(&t);
	t.fake.update_fails = true;
	say(&t, "DELE 1\r\n");
	CHECK_STR(say(&t, "QUIT\r\n"), "-ERR [SYS/TEMP] some deleted messages not removed\r\n");
	CHECK(note_of(&t, "-ERR") != NULL);
	CHECK(pop3_server_closed(t.srv));
	CHECK_STR(t.fake.log, "lock alice|update alice 101|unlock alice");
	t_close(&t);
	CHECK_INT(t.fake.nunlock, 1);
}

static void test_dropped_session_deletes_nothing(void)
{
	/* RFC 1939 6: no QUIT, no UPDATE -- the marks are simply lost */
	struct t t;
	t_login(&t);
	CHECK_STR(say(&t, "DELE 1\r\nDELE 2\r\n"), "+OK message 1 deleted\r\n+OK message 2 deleted\r\n");
	t_close(&t);
	CHECK_INT(t.fake.nupdate, 0);
	CHECK_STR(t.fake.log, "lock alice|unlock alice");

	/* in the middle of AUTH PLAIN, or before any login: nothing to unlock */
	t_open(&t);
	say(&t, "AUTH PLAIN\r\n");
	t_close(&t);
	CHECK_STR(t.fake.log, "");
	pop3_server_free(NULL);
}

/* ------------------------------------------------------ lines and limits */

static void test_line_too_long(void)
{
	struct t t;
	t_login(&t);
	char *x = repeat('A', 300);
	char line[400];
	snprintf(line, sizeof line, "%s\r\nSTAT\r\n", x);
	CHECK_STR(say(&t, line), "-ERR line too long\r\n+OK 3 144\r\n");
	CHECK(note_of(&t, "-ERR") != NULL);
	CHECK_INT(t.used, strlen(line));
	/* fed a byte at a time, the same */
	CHECK_STR(say_bytewise(&t, line), "-ERR line too long\r\n+OK 3 144\r\n");
	/* 253 octets before the CRLF is the most (255 with it) */
	snprintf(line, sizeof line, "NOOP %.*s\r\n", 248, x);
	CHECK_STR(say(&t, line), "-ERR Syntax: NOOP\r\n");
	snprintf(line, sizeof line, "NOOP %.*s\r\n", 249, x);
	CHECK_STR(say(&t, line), "-ERR line too long\r\n");
	/* with a bare LF, the same count of text */
	snprintf(line, sizeof line, "NOOP %.*s\n", 249, x);
	CHECK_STR(say(&t, line), "-ERR line too long\r\n");
	CHECK_STR(pop3_server_state_name(t.srv), "TRANSACTION");
	free(x);
	t_close(&t);
}

static void test_argument_too_long(void)
{
	char *x = repeat('u', 41);
	char line[100];
	struct t t;
	t_open(&t);
	snprintf(line, sizeof line, "USER %s\r\n", x);
	CHECK_STR(say(&t, line), "-ERR argument too long\r\n");
	CHECK(note_of(&t, "-ERR") != NULL);
	snprintf(line, sizeof line, "USER %.40s\r\n", x);
	CHECK_STR(say(&t, line), "+OK send PASS\r\n");
	/* a password is exempt (see test_pass_long): it reaches the check */
	snprintf(line, sizeof line, "PASS %s\r\n", x);
	CHECK_STR(say(&t, line), AUTH_FAILED);
	CHECK_INT(t.fake.nauth, 1);
	CHECK_STR(t.fake.auth_password, x);
	say(&t, "USER alice\r\nPASS secret\r\n");
	snprintf(line, sizeof line, "LIST %s\r\n", x);
	CHECK_STR(say(&t, line), "-ERR argument too long\r\n");
	free(x);
	t_close(&t);
}

static void test_bare_lf(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "USER alice\nPASS secret\nSTAT\n"), "+OK send PASS\r\n" LOGGED_IN "+OK 3 144\r\n");
	CHECK_STR(say(&t, "LIST 2\r\nLIST 3\n"), "+OK 2 41\r\n+OK 3 54\r\n");
	t_close(&t);
}

static void test_split_across_feeds(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say_bytewise(&t, "USER alice\r\nPASS secret\r\nRETR 2\r\n"),
		  "+OK send PASS\r\n" LOGGED_IN "+OK 41 octets\r\nSubject: dots\r\n\r\n"
		  "..hidden\r\n...two\r\n..\r\nend\r\n.\r\n");
	CHECK_STR(say(&t, "ST"), "");
	CHECK_INT(t.used, 2);
	CHECK_STR(say(&t, "AT\r"), "");
	CHECK_STR(say(&t, "\n"), "+OK 3 144\r\n");
	t_close(&t);
}

static void test_pipelining(void)
{
	const char *in = "CAPA\r\n"
			 "USER alice\r\n"
			 "PASS secret\r\n"
			 "STAT\r\n"
			 "LIST\r\n"
			 "UIDL\r\n"
			 "RETR 1\r\n"
			 "DELE 1\r\n"
			 "RETR 2\r\n"
			 "DELE 2\r\n"
			 "QUIT\r\n";
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, in),
		  CAPA_LIST "+OK send PASS\r\n" LOGGED_IN "+OK 3 144\r\n" LIST_ALL
			    "+OK unique-id listing follows\r\n1 1.1\r\n2 1.2\r\n3 1.3\r\n.\r\n"
			    "+OK 49 octets\r\n" MSG1 ".\r\n"
			    "+OK message 1 deleted\r\n"
			    "+OK 41 octets\r\nSubject: dots\r\n\r\n..hidden\r\n...two\r\n..\r\nend\r\n.\r\n"
			    "+OK message 2 deleted\r\n" SIGN_OFF " (2 messages deleted)\r\n");
	CHECK_INT(t.used, strlen(in));
	CHECK_STR(t.fake.log, "lock alice|update alice 101,102|unlock alice");
	/* the notes land on the right lines even in one long response */
	CHECK_STR(note_of(&t, "+OK message 1 deleted"),
		  "DELE only marks the message: it is removed at QUIT, in the UPDATE state");
	CHECK_STR(note_of(&t, SIGN_OFF),
		  "UPDATE: now, and only now, the marked messages are removed from the server");
	t_close(&t);
}

static void test_unknown_empty_and_nul(void)
{
	struct t t;
	t_open(&t);
	CHECK_STR(say(&t, "XYZZY\r\n"), "-ERR unknown command\r\n");
	CHECK(note_of(&t, "-ERR") != NULL);
	CHECK_STR(say(&t, "STATS\r\n"), "-ERR unknown command\r\n");
	CHECK_STR(say(&t, " STAT\r\n"), "-ERR unknown command\r\n");
	CHECK_STR(say(&t, "\r\n"), "-ERR empty command line\r\n");
	CHECK_STR(say(&t, "\n"), "-ERR empty command line\r\n");
	CHECK_STR(say_n(&t, "ST\0AT\r\n", 7), "-ERR NUL byte in command line\r\n");
	CHECK_INT(t.used, 7);
	CHECK_STR(say(&t, "APOP alice c4c9334bac560ecc979e58001b3e22fb\r\n"), APOP_NOT_OFFERED);
	CHECK_STR(say(&t, "STLS\r\n"), "-ERR command not offered by this server\r\n");
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	t_close(&t);
}

static void test_no_ops(void)
{
	struct t t;
	t_open_with(&t, NULL);
	CHECK_STR(say(&t, "USER alice\r\nPASS secret\r\nAUTH PLAIN " PLAIN_ALICE "\r\nQUIT\r\n"),
		  "+OK send PASS\r\n" AUTH_FAILED AUTH_FAILED SIGN_OFF "\r\n");
	t_close(&t);

	/* a host that can say yes but cannot open maildrops */
	static const struct pop3_server_ops auth_only = {.auth = fake_auth};
	t_open_with(&t, &auth_only);
	CHECK_STR(say(&t, "USER alice\r\nPASS secret\r\n"),
		  "+OK send PASS\r\n-ERR [SYS/TEMP] Unable to open the maildrop, try again later\r\n");
	t_close(&t);
}

/* Every response begins "+OK", "-ERR" or "+ ", and the output is whole
 * CRLF-ended lines. */
static bool responses_well_formed(const char *p, size_t len)
{
	if (len == 0)
		return true;
	if (len < 2 || p[len - 2] != '\r' || p[len - 1] != '\n')
		return false;
	return strncmp(p, "+OK", 3) == 0 || strncmp(p, "-ERR", 4) == 0 || strncmp(p, "+ \r\n", 4) == 0;
}

/* Random bytes, random command fragments, random feed sizes: the engine
 * never crashes, answers in whole lines, and unlocks exactly what it
 * locked. */
static void test_garbage_never_crashes(void)
{
	static const char *const pieces[] = {
		"USER alice\r\n", "PASS secret\r\n", "USER bob\r\n", "AUTH PLAIN\r\n",
		"AUTH PLAIN " PLAIN_ALICE "\r\n", PLAIN_ALICE "\r\n", "*\r\n", "STAT\r\n",
		"LIST\r\n", "LIST 2\r\n", "RETR 2\r\n", "TOP 2 1\r\n", "DELE 1\r\n", "DELE 2\r\n",
		"RSET\r\n", "UIDL\r\n", "CAPA\r\n", "NOOP\r\n", "QUIT\r\n", "\r\n", "\n", "\r",
		" ", "RETR ", "99999999999999999999", "=", "\0",
	};
	uint32_t seed = 4242;
	for (int session = 0; session < 300; session++) {
		struct t t;
		t_open(&t);
		bool ok = true;
		for (int step = 0; step < 100 && !pop3_server_closed(t.srv); step++) {
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
			if (!responses_well_formed(t_text(&t), t.out.data.len))
				ok = false;
		}
		CHECK(ok);
		t_close(&t);
		/* every lock granted is released exactly once */
		CHECK_INT(t.fake.nunlock, t.fake.nlocked);
		CHECK(t.fake.nupdate <= 1);
	}
}

/* ------------------------------------------------------------ STLS (RFC 2595) */

static void t_open_tls(struct t *t, bool plaintext_auth)
{
	struct pop3_server_config cfg = {.hostname = "pop.example.org", .tls_offered = true,
					 .plaintext_auth = plaintext_auth};
	t_open_config(t, &cfg, &fake_ops);
}

#define PLAINTEXT_DISABLED "-ERR [AUTH] Plaintext authentication is disabled: use STLS first\r\n"

static void test_stls_capa_and_go_ahead(void)
{
	struct t t;
	t_open_tls(&t, false);
	CHECK_STR(say(&t, "CAPA\r\n"),
		  "+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\nRESP-CODES\r\n"
		  "AUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION mailsim\r\n.\r\n");
	CHECK(note_of(&t, "STLS") != NULL);
	CHECK_STR(say(&t, "STLS\r\n"), "+OK Begin TLS negotiation\r\n");
	CHECK(note_of(&t, "+OK Begin") != NULL);
	CHECK(pop3_server_tls_pending(t.srv));
	CHECK_STR(say(&t, "CAPA\r\n"), ""); /* nothing read while pending */
	CHECK_INT(t.used, 6);
	pop3_server_tls_started(t.srv);
	CHECK(!pop3_server_tls_pending(t.srv));
	/* STLS is gone from CAPA; USER and SASL PLAIN are back */
	CHECK_STR(say(&t, "CAPA\r\n"), CAPA_LIST);
	CHECK_STR(say(&t, "STLS\r\n"), "-ERR Command not permitted when TLS active\r\n");
	CHECK_STR(say(&t, "USER alice\r\nPASS secret\r\n"), "+OK send PASS\r\n" LOGGED_IN);
	t_close(&t);
}

/* CVE-2011-0411: USER and PASS pipelined after STLS are never run. */
static void test_stls_injection(void)
{
	struct t t;
	t_open_tls(&t, true);
	static const char packet[] = "STLS\r\nUSER alice\r\nPASS secret\r\nDELE 1\r\n";
	CHECK_STR(say(&t, packet), "+OK Begin TLS negotiation\r\n");
	CHECK_INT(t.used, strlen(packet));
	pop3_server_tls_started(t.srv);
	CHECK_INT(t.fake.nauth, 0);
	CHECK_STR(pop3_server_state_name(t.srv), "AUTHORIZATION");
	/* a USER given before STLS is forgotten too */
	t_close(&t);
	t_open_tls(&t, true);
	say(&t, "USER alice\r\n");
	say(&t, "STLS\r\n");
	pop3_server_tls_started(t.srv);
	CHECK_STR(say(&t, "PASS secret\r\n"), PASS_AFTER_USER);
	t_close(&t);
}

static void test_stls_login_needs_tls(void)
{
	struct t t;
	t_open_tls(&t, false);
	CHECK_STR(say(&t, "USER alice\r\n"), PLAINTEXT_DISABLED);
	CHECK(note_of(&t, "-ERR [AUTH]") != NULL);
	CHECK_STR(say(&t, "PASS secret\r\n"), PLAINTEXT_DISABLED);
	CHECK_STR(say(&t, "AUTH PLAIN " PLAIN_ALICE "\r\n"), PLAINTEXT_DISABLED);
	CHECK_INT(t.fake.nauth, 0);
	t_close(&t);
	/* plaintext_auth: allowed, and CAPA lists USER */
	t_open_tls(&t, true);
	CHECK_CONTAINS(say(&t, "CAPA\r\n"), "\r\nSTLS\r\nUSER\r\n");
	CHECK_STR(say(&t, "USER alice\r\nPASS secret\r\n"), "+OK send PASS\r\n" LOGGED_IN);
	/* STLS only before login */
	CHECK_STR(say(&t, "STLS\r\n"), LOGGED_IN_ALREADY);
	t_close(&t);
}

int main(void)
{
	RUN(test_stls_capa_and_go_ahead);
	RUN(test_stls_injection);
	RUN(test_stls_login_needs_tls);
	RUN(test_fake_sizes);
	RUN(test_greeting);
	RUN(test_user_pass);
	RUN(test_user_does_not_reveal);
	RUN(test_wrong_password);
	RUN(test_pass_needs_user_just_before);
	RUN(test_pass_with_spaces);
	RUN(test_pass_long);
	RUN(test_apop_not_offered);
	RUN(test_capa_auth_resp_code);
	RUN(test_lock_in_use);
	RUN(test_lock_error);
	RUN(test_auth_plain_inline);
	RUN(test_auth_plain_continuation);
	RUN(test_auth_cancel);
	RUN(test_auth_bad);
	RUN(test_transaction_commands_before_login);
	RUN(test_authorization_commands_after_login);
	RUN(test_capa_both_states);
	RUN(test_state_names);
	RUN(test_stat_list_uidl);
	RUN(test_message_numbers);
	RUN(test_retr);
	RUN(test_retr_stuffing);
	RUN(test_retr_odd_content);
	RUN(test_content_gone);
	RUN(test_top);
	RUN(test_dele);
	RUN(test_rset);
	RUN(test_empty_maildrop);
	RUN(test_quit_updates);
	RUN(test_quit_without_dele);
	RUN(test_quit_before_login);
	RUN(test_update_fails);
	RUN(test_dropped_session_deletes_nothing);
	RUN(test_line_too_long);
	RUN(test_argument_too_long);
	RUN(test_bare_lf);
	RUN(test_split_across_feeds);
	RUN(test_pipelining);
	RUN(test_unknown_empty_and_nul);
	RUN(test_no_ops);
	RUN(test_garbage_never_crashes);
	return TEST_END();
}
