/*
 * test_world.c - the simulated world end to end: links and timing, relay,
 * bounces, retries, the store's contents afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"
#include "scenario.h"
#include "store.h"
#include "test.h"
#include "world.h"

/* Every record as one line "T FROM>TO [EVENT] TEXT", for assertions. */
struct capture {
	struct buf all;
};

static void capture_sink(void *ctx, const struct trace_rec *r)
{
	struct capture *c = ctx;
	if (r->mail) {
		static const char *const ops[] = { "ADD", "REMOVE", "FLAGS", "CLEAR", "MARK",
						    "UNMARK" };
		buf_printf(&c->all, "%lld mail %s %s %s uid %u flags %u%s%s%s%s\n",
			   (long long)r->t_us, ops[r->mail->op], r->mail->owner, r->mail->folder,
			   r->mail->uid, r->mail->flags, r->mail->subject ? " " : "",
			   r->mail->subject ? r->mail->subject : "",
			   r->mail->auth ? " auth " : "", r->mail->auth ? r->mail->auth : "");
		return;
	}
	buf_printf(&c->all, "%lld %s>%s %s%s%.*s%s%s\n", (long long)r->t_us, r->from,
		   r->to ? r->to : "-", r->event ? r->event : "", r->event ? ": " : "",
		   (int)r->text_len, r->text, r->auth ? " auth=" : "", r->auth ? r->auth : "");
}

struct fixture {
	struct scenario *scn;
	struct store *st;
	struct world w;
	struct capture cap;
	bool ok;
};

static const char *WORLD =
	"domain uea.edu.br server mail.uea.edu.br\n"
	"domain gmail.com server mx.gmail.com\n"
	"user alice@uea.edu.br password alice123 name \"Alice Raiol\"\n"
	"user bob@gmail.com password bob123\n"
	"device alice-laptop owner alice@uea.edu.br\n";

/* The world and its store (in memory if db is NULL, else in that file),
 * ready to run: fx_open() then fx_go() is fx_run_db(), with room in between
 * for a test to set a fault. */
static void fx_open(struct fixture *f, const char *story, const char *db)
{
	memset(f, 0, sizeof *f);
	struct buf text;
	buf_init(&text);
	buf_adds(&text, WORLD);
	buf_adds(&text, story);
	f->ok = scn_parse_string("t.scn", text.p, text.len, &f->scn, stderr) == 0;
	buf_free(&text);
	CHECK(f->ok);
	if (!f->ok)
		return;
	char err[256];
	CHECK_INT(store_open(&f->st, db, err, sizeof err), STORE_OK);
	CHECK_INT(world_init(&f->w, f->scn, f->st, err, sizeof err), 0);
	buf_init(&f->cap.all);
}

static void fx_go(struct fixture *f)
{
	if (!f->ok)
		return;
	trace_add_sink(&f->w.trace, capture_sink, &f->cap);
	world_run(&f->w);
	world_check(&f->w);
}

static void fx_run_db(struct fixture *f, const char *story, const char *db)
{
	fx_open(f, story, db);
	fx_go(f);
}

static void fx_run(struct fixture *f, const char *story)
{
	fx_run_db(f, story, NULL);
}

static void fx_free(struct fixture *f)
{
	if (!f->ok)
		return;
	world_free(&f->w);
	store_close(f->st);
	scn_free(f->scn);
	buf_free(&f->cap.all);
}

/* Lines of the capture in this order (each after the one before). */
static bool in_order(const char *all, const char *const *want, size_t n)
{
	const char *at = all;
	for (size_t i = 0; i < n; i++) {
		const char *hit = at ? strstr(at, want[i]) : NULL;
		if (!hit) {
			fprintf(stderr, "missing or out of order: %s\n", want[i]);
			return false;
		}
		at = hit + strlen(want[i]);
	}
	return true;
}

static int64_t fx_count(struct fixture *f, const char *addr, const char *folder)
{
	struct store_account a;
	int64_t id, n = -1;
	if (store_account_find(f->st, addr, &a) != STORE_OK)
		return -1;
	if (store_folder_find(f->st, a.id, folder, &id) != STORE_OK)
		return -1;
	if (store_folder_count(f->st, id, &n) != STORE_OK)
		return -1;
	return n;
}

static void test_send_and_relay(void)
{
	struct fixture f;
	fx_run(&f, "send alice-laptop to bob@gmail.com subject \"Teste\" body \"Oi\"\n"
		   "expect mailbox bob@gmail.com count 1\n"
		   "expect queue mail.uea.edu.br empty\n"
		   "expect reply 354\n");
	if (!f.ok)
		return;
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
	CHECK_INT(f.w.checks_failed, 0);
	CHECK_INT(f.w.checks_passed, 3);
	/* the laptop connects at 0; the server has it 10ms later and greets;
	 * the greeting arrives 10ms after that */
	CHECK_CONTAINS(f.cap.all.p, "0 alice-laptop>mail.uea.edu.br connect: connect to mail.uea.edu.br port 587\n");
	CHECK_CONTAINS(f.cap.all.p, "10000 mail.uea.edu.br>alice-laptop 220 mail.uea.edu.br ESMTP");
	CHECK_CONTAINS(f.cap.all.p, "20000 alice-laptop>mail.uea.edu.br EHLO alice-laptop\n");
	CHECK_CONTAINS(f.cap.all.p, "mail.uea.edu.br>dns gmail.com. IN MX ?");
	CHECK_CONTAINS(f.cap.all.p, "dns>mail.uea.edu.br gmail.com. IN MX 10 mx.gmail.com.");
	CHECK_CONTAINS(f.cap.all.p, "mail.uea.edu.br>mx.gmail.com MAIL FROM:<alice@uea.edu.br>");
	CHECK_CONTAINS(f.cap.all.p, "relayed: bob@gmail.com relayed to mx.gmail.com");
	fx_free(&f);
}

static void test_two_received_lines(void)
{
	struct fixture f;
	fx_run(&f, "send alice-laptop to bob@gmail.com subject \"Teste\" body \"Oi\"\n");
	if (!f.ok)
		return;
	/* the message in Bob's INBOX went through two servers: two Received:
	 * lines, the newest (mx.gmail.com's) on top */
	const char *all = f.cap.all.p;
	const char *relay_data = strstr(all, "mail.uea.edu.br>mx.gmail.com Received: from alice-laptop");
	CHECK(relay_data != NULL);
	fx_free(&f);
}

static void test_partial_failure_bounces_one(void)
{
	struct fixture f;
	fx_run(&f, "send alice-laptop to bob@gmail.com, jbob@gmail.com subject \"x\" body \"y\"\n");
	if (!f.ok)
		return;
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 1);
	CHECK_CONTAINS(f.cap.all.p, "mx.gmail.com>mail.uea.edu.br 550 5.1.1 <jbob@gmail.com>: recipient rejected");
	CHECK_CONTAINS(f.cap.all.p, "bounce: bounce to alice@uea.edu.br: jbob@gmail.com (5.1.1)");
	CHECK(f.w.replies_seen[550]);
	int64_t q = -1;
	CHECK_INT(store_queue_count(f.st, NULL, &q), STORE_OK);
	CHECK_INT(q, 0);
	fx_free(&f);
}

/* A quiz is a record "quiz" from the story, in its own syntax; one whose
 * reply never came is a warning after the run, not a failed check. */
static void test_quiz_records(void)
{
	struct fixture f;
	fx_run(&f, "quiz \"Who \\\"answers\\\"?\" reply 5.1.1\n"
		   "quiz \"How many?\" choices \"0\" \"1\" answer 2 reply 250\n"
		   "quiz \"Never\" reply 421\n"
		   "send alice-laptop to bob@gmail.com, jbob@gmail.com subject \"x\" body \"y\"\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "0 story>- quiz: \"Who \\\"answers\\\"?\" reply 5.1.1\n");
	CHECK_CONTAINS(f.cap.all.p,
		       "0 story>- quiz: \"How many?\" reply 250 choices \"0\" \"1\" answer 2\n");
	CHECK_CONTAINS(f.cap.all.p, "check>- check-warning: t.scn:8: warning: quiz \"Never\": "
				    "no server answered 421 after it\n");
	CHECK(strstr(f.cap.all.p, "t.scn:6: warning") == NULL);
	CHECK(strstr(f.cap.all.p, "t.scn:7: warning") == NULL);
	CHECK_INT(f.w.checks_failed, 0);
	fx_free(&f);
}

/* The text form reads back; a reply code names the lines it should. */
static void test_quiz_text_and_replies(void)
{
	struct trace_quiz q;
	const char *t = "\"a \\\"b\\\" \\\\ c\\nd\" reply -ERR choices \"x y\" \"z\" answer 2";
	CHECK_INT(trace_quiz_parse(t, strlen(t), &q), 0);
	CHECK_STR(q.question, "a \"b\" \\ c\nd");
	CHECK_STR(q.reply, "-ERR");
	CHECK_INT(q.nchoices, 2);
	CHECK_STR(q.choices[0], "x y");
	CHECK_INT(q.answer, 2);
	struct buf b;
	buf_init(&b);
	trace_quiz_format(&b, &q);
	CHECK_STR(b.p, "\"a \\\"b\\\" \\\\ c\\nd\" reply -ERR choices \"x y\" \"z\" answer 2");
	buf_free(&b);
	trace_quiz_free(&q);
	static const char *const bad[] = {
		"\"q\"", "q reply 550", "\"q\" reply", "\"q\" choices \"a\" answer 1",
		"\"q\" choices \"a\" \"b\" answer 3", "\"q\" choices \"a\" \"b\"", "\"q\" reply 550 x",
		"\"unterminated reply 550",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_INT(trace_quiz_parse(bad[i], strlen(bad[i]), &q), -1);
		CHECK(q.question == NULL);
	}
#define IS(proto, line, code) trace_reply_is(proto, line, strlen(line), code)
	CHECK(IS(PROTO_SMTP, "550 5.1.1 <jbob@gmail.com>: no", "550"));
	CHECK(IS(PROTO_SMTP, "550 5.1.1 <jbob@gmail.com>: no", "5.1.1"));
	CHECK(IS(PROTO_SMTP, "250-PIPELINING", "250"));
	CHECK(!IS(PROTO_SMTP, "2500 x", "250"));
	CHECK(!IS(PROTO_SMTP, "550 5.1.10 x", "5.1.1"));
	CHECK(IS(PROTO_POP3, "+OK 2 messages", "+OK"));
	CHECK(!IS(PROTO_POP3, "+OKAY", "+OK"));
	CHECK(IS(PROTO_POP3, "-ERR no", "-ERR"));
	CHECK(IS(PROTO_IMAP, "a3 NO [TRYCREATE] no", "NO"));
	CHECK(!IS(PROTO_IMAP, "* OK [UIDVALIDITY 1]", "OK"));
	CHECK(IS(PROTO_IMAP, "+ idling", "+"));
	CHECK(!IS(PROTO_IMAP, "+ idling", "OK"));
	CHECK(!IS(PROTO_SMTP, "550 x", "+OK"));
#undef IS
}

static void test_no_such_domain(void)
{
	struct fixture f;
	fx_run(&f, "send alice-laptop to bob@gmial.com subject \"x\" body \"y\"\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "dns>mail.uea.edu.br gmial.com. NXDOMAIN");
	CHECK_CONTAINS(f.cap.all.p, "bounce: bounce to alice@uea.edu.br: bob@gmial.com (5.1.2)");
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 1);
	/* no SMTP to any other server was tried */
	CHECK(strstr(f.cap.all.p, "port 25") == NULL);
	fx_free(&f);
}

static void test_server_down_retries_then_delivers(void)
{
	struct fixture f;
	fx_run(&f, "retry mail.uea.edu.br after 30s backoff 2 attempts 6\n"
		   "server mx.gmail.com down\n"
		   "send alice-laptop to bob@gmail.com subject \"x\" body \"y\"\n"
		   "wait 100s\n"
		   "server mx.gmail.com up\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "connect-failed: connection refused");
	CHECK_CONTAINS(f.cap.all.p, "attempt 1 of 6 failed, next try in 30s");
	CHECK_CONTAINS(f.cap.all.p, "attempt 2 of 6 failed, next try in 60s");
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 0);
	fx_free(&f);
}

static void test_retry_limit_bounces(void)
{
	struct fixture f;
	fx_run(&f, "retry after 10s backoff 1 attempts 3\n"
		   "server mx.gmail.com down\n"
		   "send alice-laptop to bob@gmail.com subject \"x\" body \"y\"\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "gave-up: giving up on gmail.com after 3 attempts");
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 1);
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 0);
	fx_free(&f);
}

static void test_relay_refused_on_25(void)
{
	struct fixture f;
	fx_run(&f, "session alice-laptop mail.uea.edu.br smtp\n"
		   "> EHLO x\n> MAIL FROM:<alice@uea.edu.br>\n> RCPT TO:<bob@gmail.com>\n> QUIT\nend\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "554 5.7.1 <bob@gmail.com>: Relay access denied");
	CHECK_CONTAINS(f.cap.all.p, "221 2.0.0");
	fx_free(&f);
}

static void test_link_latency_and_bandwidth(void)
{
	struct fixture f;
	/* 8 kbit/s: a byte takes 1ms on the wire */
	fx_run(&f, "link alice-laptop mail.uea.edu.br latency 100ms bandwidth 8kbps\n"
		   "session alice-laptop mail.uea.edu.br smtp\n> NOOP\nend\n");
	if (!f.ok)
		return;
	/* connect at 0; accepted at 100ms; the greeting "220 mail.uea.edu.br
	 * ESMTP mailsim\r\n" (35 bytes) is sent then, and arrives 35ms + 100ms
	 * later; NOOP leaves at once */
	CHECK_CONTAINS(f.cap.all.p, "100000 mail.uea.edu.br>alice-laptop 220 ");
	CHECK_CONTAINS(f.cap.all.p, "235000 alice-laptop>mail.uea.edu.br NOOP\n");
	fx_free(&f);
}

static void test_loss_is_deterministic(void)
{
	struct fixture a, b;
	const char *story = "link alice-laptop mail.uea.edu.br latency 20ms loss 30%\n"
			    "seed 42\n"
			    "send alice-laptop to bob@gmail.com subject \"x\" body \"y\"\n";
	fx_run(&a, story);
	fx_run(&b, story);
	if (!a.ok || !b.ok)
		return;
	CHECK_STR(a.cap.all.p, b.cap.all.p);
	CHECK_CONTAINS(a.cap.all.p, "loss: segment lost");
	CHECK_INT(fx_count(&a, "bob@gmail.com", "INBOX"), 1);
	fx_free(&a);
	fx_free(&b);
}

static void test_link_down_then_up(void)
{
	struct fixture f;
	fx_run(&f, "retry after 1m backoff 1 attempts 5\n"
		   "link mail.uea.edu.br mx.gmail.com down\n"
		   "send alice-laptop to bob@gmail.com subject \"x\" body \"y\"\n"
		   "wait 45s\n"
		   "link mail.uea.edu.br mx.gmail.com up\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "connection timed out");
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
	fx_free(&f);
}

static void test_hung_session_times_out(void)
{
	struct fixture f;
	/* the student starts DATA and never types the final dot */
	fx_run(&f, "user carol@uea.edu.br password c\n"
		   "session alice-laptop mail.uea.edu.br smtp\n"
		   "> HELO x\n> MAIL FROM:<a@uea.edu.br>\n> RCPT TO:<carol@uea.edu.br>\n> DATA\n"
		   "> Subject: never finished\nend\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "421 4.4.2 mail.uea.edu.br Error: timeout exceeded");
	CHECK_INT(fx_count(&f, "carol@uea.edu.br", "INBOX"), 0);
	fx_free(&f);
}

static void test_repeat_expands_i(void)
{
	struct fixture f;
	fx_run(&f, "repeat 3 send alice-laptop to bob@gmail.com subject \"n{i}\" body \"b{i}\"\n"
		   "expect mailbox bob@gmail.com has subject \"n3\"\n");
	if (!f.ok)
		return;
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 3);
	CHECK_INT(f.w.checks_passed, 1);
	fx_free(&f);
}

static void test_sender_down_for_good_ends(void)
{
	struct fixture f;
	/* the sending server goes down with mail in its queue and never comes
	 * back: the run must still end, with the mail kept in the queue */
	fx_run(&f, "link mail.uea.edu.br mx.gmail.com latency 120ms\n"
		   "send alice-laptop to bob@gmail.com subject \"x\" body \"y\"\n"
		   "server mail.uea.edu.br down\n"
		   "expect queue mail.uea.edu.br count 1\n");
	if (!f.ok)
		return;
	CHECK_INT(f.w.checks_passed, 1);
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 0);
	/* and the connection it had started is not completed by a dead host */
	CHECK(strstr(f.cap.all.p, "relayed:") == NULL);
	fx_free(&f);
}

/* A store that fails one commit: the first commit after the trace shows
 * `after` (a line or an event) fails, as a full disk would make it fail. */
struct commit_fault {
	struct fixture *f;
	const char *after;
	bool fired;
};

static bool commit_fault_once(void *ctx)
{
	struct commit_fault *cf = ctx;
	const char *seen = cf->f->cap.all.p;
	if (cf->fired || !seen || !strstr(seen, cf->after))
		return false;
	cf->fired = true;
	return true;
}

static void test_data_commit_fails_451(void)
{
	/* RFC 5321 4.2.5: a server that cannot take responsibility for the
	 * message answers 4xx after the data, and keeps nothing of it */
	struct fixture f;
	fx_open(&f, "send alice-laptop to bob@gmail.com, alice@uea.edu.br "
		    "subject \"x\" body \"y\"\n", NULL);
	if (!f.ok)
		return;
	struct commit_fault cf = { .f = &f, .after = "alice-laptop>mail.uea.edu.br .\n" };
	store_set_commit_fault(f.st, commit_fault_once, &cf);
	fx_go(&f);
	CHECK(cf.fired);
	CHECK_CONTAINS(f.cap.all.p, "mail.uea.edu.br>alice-laptop 451 4.3.0 Error: queue file write "
		       "error, try again later\n");
	CHECK_CONTAINS(f.cap.all.p, "store-error: commit: injected failure\n");
	CHECK(strstr(f.cap.all.p, "Ok: queued as") == NULL);
	int64_t q = -1;
	CHECK_INT(store_queue_count(f.st, NULL, &q), STORE_OK);
	CHECK_INT(q, 0);
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 0);
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 0);
	fx_free(&f);
}

/* The next server took the message (250), but the queue cannot record it:
 * the entry stays queued with its recipient, nothing is bounced, and the
 * next attempt sends it again.  Bob gets it twice; nobody loses it. */
static void test_relay_commit_fails_keeps_queued(void)
{
	struct fixture f;
	fx_open(&f, "retry mail.uea.edu.br after 30s backoff 2 attempts 6\n"
		    "send alice-laptop to bob@gmail.com subject \"x\" body \"y\"\n", NULL);
	if (!f.ok)
		return;
	struct commit_fault cf = { .f = &f,
				   .after = "mx.gmail.com>mail.uea.edu.br 250 2.0.0 Ok: queued" };
	store_set_commit_fault(f.st, commit_fault_once, &cf);
	fx_go(&f);
	CHECK(cf.fired);
	CHECK_CONTAINS(f.cap.all.p, "store-error: gmail.com: commit: injected failure; the queue "
		       "tries again later\n");
	const char *retry = strstr(f.cap.all.p, "store-error: gmail.com");
	CHECK(retry && strstr(retry, "relayed: bob@gmail.com relayed to mx.gmail.com"));
	CHECK(strstr(f.cap.all.p, "bounce") == NULL);
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 2);
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 0);
	int64_t q = -1;
	CHECK_INT(store_queue_count(f.st, NULL, &q), STORE_OK);
	CHECK_INT(q, 0);
	fx_free(&f);
}

/* With no retry left, the entry waits in the store for the queue's next
 * run: still there, with its recipient, and not bounced. */
static void test_relay_commit_fails_waits_in_store(void)
{
	struct fixture f;
	fx_open(&f, "retry mail.uea.edu.br after 30s backoff 2 attempts 1\n"
		    "send alice-laptop to bob@gmail.com subject \"x\" body \"y\"\n", NULL);
	if (!f.ok)
		return;
	struct commit_fault cf = { .f = &f,
				   .after = "mx.gmail.com>mail.uea.edu.br 250 2.0.0 Ok: queued" };
	store_set_commit_fault(f.st, commit_fault_once, &cf);
	fx_go(&f);
	CHECK(cf.fired);
	CHECK_CONTAINS(f.cap.all.p, "the queue waits for its next run\n");
	CHECK(strstr(f.cap.all.p, "bounce") == NULL);
	CHECK(strstr(f.cap.all.p, "gave-up") == NULL);
	int64_t *ids = NULL, *next = NULL;
	size_t n = 0;
	CHECK_INT(store_queue_list(f.st, "mail.uea.edu.br", &ids, &next, &n), STORE_OK);
	CHECK_INT(n, 1);
	if (n == 1) {
		struct store_queue_entry e;
		CHECK_INT(store_queue_get(f.st, ids[0], &e), STORE_OK);
		CHECK_INT(e.nrcpts, 1);
		if (e.nrcpts == 1)
			CHECK_STR(e.rcpts[0], "bob@gmail.com");
		CHECK_INT(e.attempts, 0);
		store_queue_entry_free(&e);
	}
	free(ids);
	free(next);
	fx_free(&f);
}

static void test_queue_resumes_when_server_returns(void)
{
	struct fixture f;
	fx_run(&f, "link mail.uea.edu.br mx.gmail.com latency 120ms\n"
		   "send alice-laptop to bob@gmail.com subject \"x\" body \"y\"\n"
		   "server mail.uea.edu.br down\n"
		   "wait 10m\n"
		   "server mail.uea.edu.br up\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "queue-resumed: 1 queued message to retry");
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
	fx_free(&f);
}

static void test_return_path_and_one_copy(void)
{
	struct fixture f;
	fx_run(&f, "send alice-laptop to bob@gmail.com, BOB@gmail.com cc bob@gmail.com "
		   "subject \"x\" body \"y\"\n");
	if (!f.ok)
		return;
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
	struct store_account a;
	int64_t inbox;
	struct store_message m;
	CHECK_INT(store_account_find(f.st, "bob@gmail.com", &a), STORE_OK);
	CHECK_INT(store_folder_find(f.st, a.id, "INBOX", &inbox), STORE_OK);
	CHECK_INT(store_message_get(f.st, inbox, 1, true, &m), STORE_OK);
	/* the final server writes the envelope sender on top, then its own
	 * Received:, then the first server's */
	CHECK(strncmp(m.content, "Return-Path: <alice@uea.edu.br>\r\nReceived: from mail.uea.edu.br", 63) == 0);
	store_message_free(&m);
	fx_free(&f);
}

static void test_postmaster_always_accepted(void)
{
	struct fixture f;
	fx_run(&f, "session alice-laptop mail.uea.edu.br smtp\n"
		   "> HELO x\n> MAIL FROM:<x@example.org>\n> RCPT TO:<Postmaster>\n"
		   "> RCPT TO:<postmaster@uea.edu.br>\n> DATA\n> Subject: hi\n>\n> hello\n> .\n"
		   "> QUIT\nend\n");
	if (!f.ok)
		return;
	CHECK(strstr(f.cap.all.p, "550") == NULL);
	/* both reach the domain's first user, once */
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 1);
	fx_free(&f);
}

static void test_submission_sender_must_be_the_user(void)
{
	struct fixture f;
	fx_run(&f, "session alice-laptop mail.uea.edu.br submission\n"
		   "> EHLO x\n> AUTH PLAIN AGFsaWNlQHVlYS5lZHUuYnIAYWxpY2UxMjM=\n"
		   "> MAIL FROM:<bob@gmail.com>\n> MAIL FROM:<ALICE@uea.edu.br>\n> QUIT\nend\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "553 5.7.1 <bob@gmail.com>: Sender address rejected: not owned by user alice@uea.edu.br");
	CHECK_CONTAINS(f.cap.all.p, "mail.uea.edu.br>alice-laptop 250 2.1.0");
	fx_free(&f);
}

/* Message uid of addr's INBOX, malloc'd, or NULL. */
static char *fx_content(struct fixture *f, const char *addr, uint32_t uid)
{
	struct store_account a;
	int64_t inbox;
	struct store_message m;
	if (store_account_find(f->st, addr, &a) != 0 ||
	    store_folder_find(f->st, a.id, "INBOX", &inbox) != 0 ||
	    store_message_get(f->st, inbox, uid, true, &m) != 0)
		return NULL;
	char *content = m.content;
	m.content = NULL;
	store_message_free(&m);
	return content;
}

/* A header's value in a message, malloc'd ("" if absent). */
static char *header_of(const char *msg, const char *name)
{
	struct buf b;
	buf_init(&b);
	buf_add(&b, "", 0);
	if (msg)
		mime_header_get(msg, strlen(msg), name, &b);
	return b.p;
}

/* Whether msg ends with tail. */
static bool ends_with(const char *msg, const char *tail)
{
	size_t n = msg ? strlen(msg) : 0, k = strlen(tail);
	return n >= k && memcmp(msg + n - k, tail, k) == 0;
}

/* `link A B tamper "TEXT"`: a relay on the link adds TEXT as the body's
 * last line, dot-stuffed on the wire, only from A to B. */
static void test_tamper_link_adds_a_line(void)
{
	static const char *const send =
		"send alice-laptop to bob@gmail.com subject \"Hi\" body \"Hello.\"\n";
	static const char *const links[] = {
		"", /* no tamper: the body arrives as sent */
		"link mail.uea.edu.br mx.gmail.com tamper \".Pay 666\"\n",
		"link mx.gmail.com mail.uea.edu.br tamper \".Pay 666\"\n", /* the other way */
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		struct buf story;
		buf_init(&story);
		buf_adds(&story, links[i]);
		buf_adds(&story, send);
		struct fixture f;
		fx_run(&f, story.p);
		buf_free(&story);
		if (!f.ok)
			return;
		char *m = fx_content(&f, "bob@gmail.com", 1);
		CHECK(m != NULL);
		if (i == 1) {
			/* stored without the stuffing dot, before the end of the body */
			CHECK(ends_with(m, "Hello.\r\n.Pay 666\r\n"));
			const char *const order[] = {
				"mail.uea.edu.br>mx.gmail.com Hello.\n",
				"mail.uea.edu.br>mx.gmail.com ..Pay 666\n",
				"mail.uea.edu.br>mx.gmail.com .\n",
			};
			CHECK(in_order(f.cap.all.p, order, 3));
		} else {
			CHECK(ends_with(m, "Hello.\r\n"));
			CHECK(strstr(f.cap.all.p, "Pay 666") == NULL);
		}
		free(m);
		fx_free(&f);
	}
}

/*
 * RFC 5322 3.6.4: a Message-ID MUST be unique.  A server started twice on
 * the same --db file (two runs of mailsim, as a teacher restarting `serve`)
 * goes on counting where it stopped: the second bounce and its queue id
 * are not the first one's again.  In memory, every run gives the same bytes.
 */
static void test_ids_unique_across_restarts(void)
{
	static const char story[] = "send alice-laptop to bob@gmial.com subject \"x\" body \"y\"\n";
	char dir[] = "/tmp/mailsim-world-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp failed");
		return;
	}
	char db[64];
	snprintf(db, sizeof db, "%s/mail.db", dir);

	struct fixture f;
	fx_run_db(&f, story, db);
	if (!f.ok)
		return;
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 1);
	char *first = fx_content(&f, "alice@uea.edu.br", 1);
	char *run1 = xstrdup(f.cap.all.p);
	fx_free(&f);

	/* the same story again, a new world on the same file */
	fx_run_db(&f, story, db);
	if (!f.ok) {
		free(first);
		free(run1);
		return;
	}
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 2);
	char *second = fx_content(&f, "alice@uea.edu.br", 2);
	char *run2 = xstrdup(f.cap.all.p);
	fx_free(&f);

	CHECK(first != NULL && second != NULL);
	char *id1 = header_of(first, "Message-ID"), *id2 = header_of(second, "Message-ID");
	/* <YYYYMMDDhhmmss.bounce.N@server>: the simulated clock starts at the
	 * same instant each run, so only the number tells them apart */
	CHECK(strncmp(id1, "<20260302090", 12) == 0 && strstr(id1, ".bounce.") == id1 + 15);
	CHECK(strncmp(id2, "<20260302090", 12) == 0 && strstr(id2, ".bounce.") == id2 + 15);
	CHECK(strcmp(id1, id2) != 0);
	/* the queue ids too: in the 250 reply, the events, the Received: lines */
	const char *q1 = strstr(run1, "Ok: queued as "), *q2 = strstr(run2, "Ok: queued as ");
	CHECK(q1 != NULL && q2 != NULL);
	if (q1 && q2)
		CHECK(strncmp(q1, q2, 22) != 0);
	/* the bounce quotes the original's header, Received: and its id too */
	const char *r1 = first ? strstr(first, "with ESMTPA id ") : NULL;
	const char *r2 = second ? strstr(second, "with ESMTPA id ") : NULL;
	CHECK(r1 != NULL && r2 != NULL);
	if (r1 && r2)
		CHECK(strncmp(r1, r2, 23) != 0);
	free(id1);
	free(id2);
	free(first);
	free(second);
	free(run1);
	free(run2);
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[80];
		snprintf(p, sizeof p, "%s%s", db, suffixes[i]);
		unlink(p);
	}
	rmdir(dir);

	/* in memory, two runs are the same bytes */
	fx_run(&f, story);
	if (!f.ok)
		return;
	run1 = xstrdup(f.cap.all.p);
	first = fx_content(&f, "alice@uea.edu.br", 1);
	fx_free(&f);
	fx_run(&f, story);
	if (f.ok) {
		CHECK_STR(f.cap.all.p, run1);
		second = fx_content(&f, "alice@uea.edu.br", 1);
		CHECK_STR(second, first);
		free(second);
		fx_free(&f);
	}
	free(first);
	free(run1);
}

/*
 * RFC 6409 8.2 and 8.3: the submission server (port 587) adds Date: and
 * Message-ID: when the user agent left them out, at the end of the header
 * as Postfix does; the Message-ID is made of the date, the queue id (never
 * repeated, see above) and the server's name.  A message that has them
 * keeps its own; port 25 (relay, MX) adds nothing.  The Received: line of
 * the simulation names the client host without an address: simulated
 * hosts have none.
 */
static void test_submission_adds_date_and_message_id(void)
{
	struct fixture f;
	fx_run(&f, "session alice-laptop mail.uea.edu.br submission\n"
		   "> EHLO x\n> AUTH PLAIN AGFsaWNlQHVlYS5lZHUuYnIAYWxpY2UxMjM=\n"
		   "> MAIL FROM:<alice@uea.edu.br>\n> RCPT TO:<alice@uea.edu.br>\n> DATA\n"
		   "> Subject: bare\n>\n> hello\n> .\n"
		   "> MAIL FROM:<alice@uea.edu.br>\n> RCPT TO:<alice@uea.edu.br>\n> DATA\n"
		   "> Subject: whole\n> Date: Mon, 2 Mar 2026 10:00:00 -0300\n"
		   "> Message-Id: <own@laptop>\n>\n> hello\n> .\n"
		   "> MAIL FROM:<alice@uea.edu.br>\n> RCPT TO:<alice@uea.edu.br>\n> DATA\n"
		   ">\n> no header at all\n> .\n"
		   "> QUIT\nend\n"
		   "session alice-laptop mail.uea.edu.br smtp\n"
		   "> EHLO x\n> MAIL FROM:<bob@gmail.com>\n> RCPT TO:<alice@uea.edu.br>\n> DATA\n"
		   "> Subject: by port 25\n>\n> hello\n> .\n> QUIT\nend\n");
	if (!f.ok)
		return;
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 4);

	char *m = fx_content(&f, "alice@uea.edu.br", 1);
	char *when = NULL, *date = header_of(m, "Date"), *id = header_of(m, "Message-ID");
	const char *semi = m ? strstr(m, "; ") : NULL;
	if (semi)
		when = xstrdup(semi + 2);
	if (when)
		when[strcspn(when, "\r")] = '\0';
	/* the date the server received it, which the Received: line gives too */
	CHECK(when != NULL);
	CHECK_STR(date, when ? when : "?");
	/* <YYYYMMDDhhmmss.QUEUEID@server> */
	CHECK_INT(strlen(id), 1 + 14 + 1 + 8 + 1 + strlen("mail.uea.edu.br") + 1);
	CHECK(id[0] == '<' && strspn(id + 1, "0123456789") == 14 && id[15] == '.');
	CHECK_CONTAINS(id, ".1A2B0001@mail.uea.edu.br>");
	CHECK_CONTAINS(f.cap.all.p, "250 2.0.0 Ok: queued as 1A2B0001");
	/* at the end of the header, after what the user agent wrote */
	CHECK_CONTAINS(m, "\r\nSubject: bare\r\nDate: ");
	CHECK_CONTAINS(m, "\r\nMessage-ID: <");
	CHECK_CONTAINS(m, ">\r\n\r\nhello\r\n");
	/* the simulation's Received: names the host and its simulated address
	 * (the first device: 192.0.2.1), no port */
	CHECK_CONTAINS(m, "Received: from x (alice-laptop [192.0.2.1])\r\n\tby mail.uea.edu.br with ESMTPA id 1A2B0001");
	free(date);
	free(id);
	free(when);
	free(m);

	/* its own Date: and Message-Id: are kept, and no second one added */
	m = fx_content(&f, "alice@uea.edu.br", 2);
	date = header_of(m, "Date");
	id = header_of(m, "Message-ID");
	CHECK_STR(date, "Mon, 2 Mar 2026 10:00:00 -0300");
	CHECK_STR(id, "<own@laptop>");
	CHECK(m && strstr(m, "Message-ID:") == NULL && strstr(m, "\nDate:") == strstr(m, "\nDate: Mon"));
	free(date);
	free(id);
	free(m);

	/* a message with no header at all gets the two, then its empty line */
	m = fx_content(&f, "alice@uea.edu.br", 3);
	CHECK_CONTAINS(m, "@mail.uea.edu.br>\r\n\r\nno header at all\r\n");
	CHECK(m && strstr(m, "\r\nDate: ") != NULL);
	free(m);

	/* port 25 relays and delivers; it does not complete messages */
	m = fx_content(&f, "alice@uea.edu.br", 4);
	CHECK(m && strstr(m, "Message-ID") == NULL && strstr(m, "\nDate:") == NULL);
	free(m);
	fx_free(&f);
}

/* Start a raw session by hand (outside the story), so that two can overlap. */
static void fx_session(struct fixture *f, struct scn_action *act, struct scn_session_line *lines,
		       const char *const *text, size_t n)
{
	memset(act, 0, sizeof *act);
	act->kind = SCN_SESSION;
	act->repeat = 1;
	act->device = "bob-laptop";
	act->server = "mx.gmail.com";
	act->port = SCN_PORT_POP3;
	for (size_t i = 0; i < n; i++)
		lines[i].text = (char *)text[i];
	act->lines = lines;
	act->nlines = n;
	agent_session(&f->w, act, world_story_next);
}

static const char *POP3_WORLD_STORY =
	"device bob-laptop owner bob@gmail.com\n"
	"send alice-laptop to bob@gmail.com subject \"one\" body \"1\"\n"
	"send alice-laptop to bob@gmail.com subject \"two\" body \"2\"\n";

static void test_pop3_lock_in_use(void)
{
	struct fixture f;
	fx_run(&f, POP3_WORLD_STORY);
	if (!f.ok)
		return;
	/* two sessions log in to the same maildrop at the same time: the
	 * first to send PASS holds the lock, the second hears [IN-USE] */
	static const char *const a[] = { "USER bob@gmail.com", "PASS bob123", "DELE 1", "QUIT" };
	static const char *const b[] = { "USER bob@gmail.com", "PASS bob123", "QUIT" };
	struct scn_action act_a, act_b;
	struct scn_session_line la[4], lb[3];
	fx_session(&f, &act_a, la, a, 4);
	fx_session(&f, &act_b, lb, b, 3);
	world_run(&f.w);
	CHECK_CONTAINS(f.cap.all.p, "-ERR [IN-USE]");
	CHECK_CONTAINS(f.cap.all.p, "signing off (1 message deleted)");
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
	CHECK_INT(f.w.nlocks, 0);
	fx_free(&f);
}

static void test_pop3_dropped_session_deletes_nothing(void)
{
	struct fixture f;
	fx_run(&f, POP3_WORLD_STORY);
	if (!f.ok)
		return;
	/* DELE both, then hang up without QUIT: no UPDATE state, no deletion */
	static const char *const a[] = { "USER bob@gmail.com", "PASS bob123", "DELE 1", "DELE 2" };
	struct scn_action act;
	struct scn_session_line l[4];
	fx_session(&f, &act, l, a, 4);
	world_run(&f.w);
	CHECK_CONTAINS(f.cap.all.p, "+OK message 2 deleted");
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 2);
	CHECK_INT(f.w.nlocks, 0); /* and the lock went with the session */
	fx_free(&f);
}

/* POP3's marks reach the trace (the player shows them) and never the
 * store: DELE marks, RSET unmarks, a session dropped without QUIT unmarks
 * what is left and says so; each mark is told before the response that
 * explains it.  A session that QUITs removes what it marked. */
static void test_pop3_marks_are_told(void)
{
	struct fixture f;
	fx_run(&f, POP3_WORLD_STORY);
	if (!f.ok)
		return;
	static const char *const a[] = { "USER bob@gmail.com", "PASS bob123", "DELE 1", "RSET",
					 "DELE 2" };
	struct scn_action act;
	struct scn_session_line l[5];
	fx_session(&f, &act, l, a, 5);
	world_run(&f.w);
	static const char *const dropped[] = {
		"mail MARK bob@gmail.com INBOX uid 1", "+OK message 1 deleted",
		"mail UNMARK bob@gmail.com INBOX uid 1", "+OK maildrop has 2 messages",
		"mail MARK bob@gmail.com INBOX uid 2", "+OK message 2 deleted",
		"mail UNMARK bob@gmail.com INBOX uid 2",
		"pop3-unmarked: 1 message marked by DELE stays in bob@gmail.com INBOX",
	};
	CHECK(in_order(f.cap.all.p, dropped, sizeof dropped / sizeof dropped[0]));
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 2);

	buf_clear(&f.cap.all);
	static const char *const b[] = { "USER bob@gmail.com", "PASS bob123", "DELE 2", "QUIT" };
	struct scn_action act_b;
	struct scn_session_line lb[4];
	fx_session(&f, &act_b, lb, b, 4);
	world_run(&f.w);
	static const char *const quit[] = {
		"mail MARK bob@gmail.com INBOX uid 2", "+OK message 2 deleted",
		"mail REMOVE bob@gmail.com INBOX uid 2", "signing off (1 message deleted)",
	};
	CHECK(in_order(f.cap.all.p, quit, sizeof quit / sizeof quit[0]));
	CHECK(strstr(f.cap.all.p, "UNMARK") == NULL);
	CHECK(strstr(f.cap.all.p, "pop3-unmarked") == NULL);
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
	fx_free(&f);
}

static void test_pop3_uidl_stable_across_sessions(void)
{
	struct fixture f;
	fx_run(&f, "device bob-laptop owner bob@gmail.com\n"
		   "send alice-laptop to bob@gmail.com subject \"one\" body \"1\"\n"
		   "send alice-laptop to bob@gmail.com subject \"two\" body \"2\"\n"
		   "wait idle\n"
		   "pop3 bob-laptop fetch keep\n"
		   "send alice-laptop to bob@gmail.com subject \"three\" body \"3\"\n"
		   "wait idle\n"
		   "pop3 bob-laptop fetch keep\n"
		   "pop3 bob-laptop fetch\n"
		   "expect device bob-laptop count 3\n"
		   "expect mailbox bob@gmail.com count 0\n");
	if (!f.ok)
		return;
	CHECK_INT(f.w.checks_failed, 0);
	/* the first fetch and the second list the same id for message 1 */
	const char *uidl1 = strstr(f.cap.all.p, "bob-laptop>mx.gmail.com UIDL\n");
	const char *uidl2 = uidl1 ? strstr(uidl1 + 1, "bob-laptop>mx.gmail.com UIDL\n") : NULL;
	CHECK(uidl1 && uidl2);
	if (uidl1 && uidl2) {
		char id1[64] = "", id2[64] = "";
		const char *l1 = strstr(uidl1, "mx.gmail.com>bob-laptop 1 ");
		const char *l2 = strstr(uidl2, "mx.gmail.com>bob-laptop 1 ");
		CHECK(l1 && l2);
		if (l1 && l2) {
			sscanf(l1, "%*s %*s %63s", id1);
			sscanf(l2, "%*s %*s %63s", id2);
			CHECK_STR(id2, id1);
			CHECK(strchr(id1, '.') != NULL); /* UIDVALIDITY.UID */
		}
	}
	/* the second keep-fetch downloaded only the new message; the last
	 * fetch downloaded nothing and deleted all three */
	CHECK_CONTAINS(f.cap.all.p, "fetched: 2 new messages downloaded, 0 deleted on the server");
	CHECK_CONTAINS(f.cap.all.p, "fetched: 1 new message downloaded, 0 deleted on the server");
	CHECK_CONTAINS(f.cap.all.p, "fetched: 0 new messages downloaded, 3 deleted on the server");
	fx_free(&f);
}

static const char *IMAP_STORY =
	"device bob-laptop owner bob@gmail.com\n"
	"device bob-phone owner bob@gmail.com\n"
	"send alice-laptop to bob@gmail.com subject \"one\" body \"1\"\n"
	"send alice-laptop to bob@gmail.com subject \"two\" body \"2\"\n"
	"wait idle\n";

static void test_imap_idle_sees_other_device(void)
{
	struct fixture f;
	struct buf story;
	buf_init(&story);
	buf_printf(&story, "%s%s", IMAP_STORY,
		   "imap bob-phone open\n"
		   "imap bob-laptop sync\n"
		   "imap bob-laptop flag 2 \\Flagged\n"
		   "send alice-laptop to bob@gmail.com subject \"three\" body \"3\"\n"
		   "wait idle\n"
		   "expect device bob-phone count 3\n"
		   "expect device bob-phone has subject \"two\" flag \\Flagged\n"
		   "expect device bob-phone has subject \"three\"\n"
		   "expect device bob-laptop count 2\n");
	fx_run(&f, story.p);
	buf_free(&story);
	if (!f.ok)
		return;
	CHECK_INT(f.w.checks_failed, 0);
	/* pushed in IDLE, not asked for: an untagged FETCH, then EXISTS for the
	 * new mail, which the phone fetches at once */
	CHECK_CONTAINS(f.cap.all.p, "mx.gmail.com>bob-phone * 2 FETCH (FLAGS (\\Flagged");
	CHECK_CONTAINS(f.cap.all.p, "mx.gmail.com>bob-phone * 3 EXISTS");
	CHECK_CONTAINS(f.cap.all.p, "bob-phone>mx.gmail.com DONE");
	fx_free(&f);
}

static void test_pop3_delete_is_imap_expunge(void)
{
	struct fixture f;
	struct buf story;
	buf_init(&story);
	buf_printf(&story, "%s%s", IMAP_STORY,
		   "imap bob-phone open\n"
		   "pop3 bob-laptop fetch\n"
		   "imap bob-phone close\n"
		   "expect device bob-phone count 0\n"
		   "expect device bob-laptop count 2\n"
		   "expect mailbox bob@gmail.com count 0\n");
	fx_run(&f, story.p);
	buf_free(&story);
	if (!f.ok)
		return;
	CHECK_INT(f.w.checks_failed, 0);
	/* the POP3 UPDATE reached the IMAP session as two EXPUNGEs */
	const char *first = strstr(f.cap.all.p, "mx.gmail.com>bob-phone * 1 EXPUNGE");
	CHECK(first != NULL);
	if (first)
		CHECK(strstr(first + 1, "mx.gmail.com>bob-phone * 1 EXPUNGE") != NULL);
	fx_free(&f);
}

static void test_imap_read_beyond_view(void)
{
	struct fixture f;
	fx_run(&f, "device bob-laptop owner bob@gmail.com\n"
		   "imap bob-laptop read 1\n");
	if (!f.ok)
		return;
	/* the device knows no message 1 yet: a clear event, no session */
	CHECK_CONTAINS(f.cap.all.p, "imap-error: bob-laptop knows no message 1 in its INBOX");
	CHECK(strstr(f.cap.all.p, "port 143") == NULL);
	fx_free(&f);
}

static void test_idle_survives_an_hour(void)
{
	struct fixture f;
	struct buf story;
	buf_init(&story);
	/* RFC 2177 3: the phone re-issues IDLE every 29 minutes, so the
	 * server's 30-minute autologout never ends its session */
	buf_printf(&story, "%s%s", IMAP_STORY,
		   "imap bob-phone open\n"
		   "wait 1h\n"
		   "imap bob-laptop sync\n"
		   "imap bob-laptop delete 1\n"
		   "imap bob-phone close\n"
		   "expect device bob-phone count 1\n");
	fx_run(&f, story.p);
	buf_free(&story);
	if (!f.ok)
		return;
	CHECK_INT(f.w.checks_failed, 0);
	CHECK(strstr(f.cap.all.p, "Autologout") == NULL);
	CHECK_CONTAINS(f.cap.all.p, "1741114000 bob-phone>mx.gmail.com DONE");
	fx_free(&f);
}

static void test_store_on_vanished_message(void)
{
	struct fixture f;
	struct buf story;
	buf_init(&story);
	/* the phone still shows a message the laptop deleted; reading it
	 * there finds it gone, and the phone drops its copy */
	buf_printf(&story, "%s%s", IMAP_STORY,
		   "imap bob-phone sync\n"
		   "imap bob-laptop sync\n"
		   "imap bob-laptop delete 1\n"
		   "imap bob-phone read 1\n"
		   "expect device bob-phone count 1\n");
	fx_run(&f, story.p);
	buf_free(&story);
	if (!f.ok)
		return;
	CHECK_INT(f.w.checks_failed, 0);
	fx_free(&f);
}

static void test_recent_belongs_to_one_session(void)
{
	struct fixture f;
	struct buf story;
	buf_init(&story);
	buf_printf(&story, "%s%s", IMAP_STORY,
		   "imap bob-phone sync\n"
		   "imap bob-laptop sync\n");
	fx_run(&f, story.p);
	buf_free(&story);
	if (!f.ok)
		return;
	/* the first session to select the INBOX sees the two new messages as
	 * \Recent; the next one does not (RFC 3501 2.3.2) */
	const char *first = strstr(f.cap.all.p, "mx.gmail.com>bob-phone * 2 RECENT");
	CHECK(first != NULL);
	CHECK_CONTAINS(f.cap.all.p, "mx.gmail.com>bob-laptop * 0 RECENT");
	fx_free(&f);
}

/* EXAMINE opens the folder read-only: it shows \Recent but takes it from
 * nobody, so the session that selects the folder next still sees the new
 * mail as \Recent (RFC 3501 2.3.2, 6.3.2), also after EXAMINE then CLOSE. */
static void test_examine_leaves_recent(void)
{
	struct fixture f;
	struct buf story;
	buf_init(&story);
	buf_printf(&story, "%s%s", IMAP_STORY,
		   "session bob-laptop mx.gmail.com imap\n"
		   "  > e1 LOGIN bob@gmail.com bob123\n"
		   "  > e2 EXAMINE INBOX\n"
		   "  > e3 CLOSE\n"
		   "  > e4 EXAMINE INBOX\n"
		   "  > e5 LOGOUT\n"
		   "end\n"
		   "wait idle\n"
		   "imap bob-phone sync\n");
	fx_run(&f, story.p);
	buf_free(&story);
	if (!f.ok)
		return;
	const char *examined = strstr(f.cap.all.p, "mx.gmail.com>bob-laptop * 2 RECENT");
	CHECK(examined != NULL);
	/* the second EXAMINE sees them \Recent still */
	CHECK(examined && strstr(examined + 1, "mx.gmail.com>bob-laptop * 2 RECENT") != NULL);
	CHECK_CONTAINS(f.cap.all.p, "mx.gmail.com>bob-phone * 2 RECENT");
	fx_free(&f);
}

/* A selection is a session of its own (RFC 3501 1.2: from SELECT or
 * EXAMINE until the selection ends): a read-write SELECT takes the new
 * mail's \Recent, so the same connection selecting the folder again, after
 * CLOSE or straight away, sees none (as Dovecot does). */
static void test_reselect_is_a_new_session(void)
{
	struct fixture f;
	struct buf story;
	buf_init(&story);
	buf_printf(&story, "%s%s", IMAP_STORY,
		   "session bob-laptop mx.gmail.com imap\n"
		   "  > e1 LOGIN bob@gmail.com bob123\n"
		   "  > e2 SELECT INBOX\n"
		   "  > e3 CLOSE\n"
		   "  > e4 SELECT INBOX\n"
		   "  > e5 SELECT INBOX\n"
		   "  > e6 LOGOUT\n"
		   "end\n");
	fx_run(&f, story.p);
	buf_free(&story);
	if (!f.ok)
		return;
	const char *first = strstr(f.cap.all.p, "mx.gmail.com>bob-laptop * 2 RECENT");
	CHECK(first != NULL);
	const char *again = first ? strstr(first, "mx.gmail.com>bob-laptop * 0 RECENT") : NULL;
	CHECK(again != NULL);
	CHECK(again && strstr(again + 1, "mx.gmail.com>bob-laptop * 0 RECENT") != NULL);
	CHECK(first && strstr(first + 1, "mx.gmail.com>bob-laptop * 2 RECENT") == NULL);
	fx_free(&f);
}

/* A store kept in a file remembers which messages a session has been told
 * are \Recent: a restart does not make them recent again. */
static void test_recent_not_reborn_on_restart(void)
{
	char dir[] = "/tmp/mailsim-world-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp failed");
		return;
	}
	char path[64];
	snprintf(path, sizeof path, "%s/mail.db", dir);
	struct fixture f;
	struct buf story;
	buf_init(&story);
	buf_printf(&story, "%s%s", IMAP_STORY, "imap bob-phone sync\n");
	fx_run_db(&f, story.p, path);
	if (f.ok)
		CHECK_CONTAINS(f.cap.all.p, "mx.gmail.com>bob-phone * 2 RECENT");
	fx_free(&f);
	/* the second run: the same mailboxes, nothing new */
	fx_run_db(&f, "device bob-laptop owner bob@gmail.com\n"
		      "session bob-laptop mx.gmail.com imap\n"
		      "  > r1 LOGIN bob@gmail.com bob123\n"
		      "  > r2 STATUS INBOX (MESSAGES RECENT)\n"
		      "  > r3 SELECT INBOX\n"
		      "  > r4 LOGOUT\n"
		      "end\n", path);
	if (f.ok) {
		CHECK_CONTAINS(f.cap.all.p, "* STATUS \"INBOX\" (MESSAGES 2 RECENT 0)");
		CHECK_CONTAINS(f.cap.all.p, "mx.gmail.com>bob-laptop * 0 RECENT");
	}
	fx_free(&f);
	buf_free(&story);
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
		char p[96];
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* The IMAP service to the letter of RFC 3501 on folders: DELETE keeps the
 * inferiors and the subscription, the name stays in the hierarchy as
 * \Noselect, INBOX matches in any case, CREATE "" is NO, and AUTHENTICATE
 * names itself. */
static void test_imap_hierarchy_and_subscriptions(void)
{
	struct fixture f;
	fx_run(&f, "device bob-laptop owner bob@gmail.com\n"
		   "session bob-laptop mx.gmail.com imap\n"
		   "  > h1 AUTHENTICATE PLAIN AGJvYkBnbWFpbC5jb20AYm9iMTIz\n"
		   "  > h2 CREATE Work/2024\n"
		   "  > h3 DELETE Work\n"
		   "  > h4 LIST \"\" %\n"
		   "  > h5 LSUB \"\" *\n"
		   "  > h6 DELETE Work\n"
		   "  > h7 UNSUBSCRIBE Work\n"
		   "  > h8 UNSUBSCRIBE Work/2024\n"
		   "  > h9 LSUB \"\" W*\n"
		   "  > i1 LIST \"\" \"In%\"\n"
		   "  > i2 CREATE \"\"\n"
		   "  > i3 LOGOUT\n"
		   "end\n");
	if (!f.ok)
		return;
	const char *a = f.cap.all.p;
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop h1 OK AUTHENTICATE completed");
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop h3 OK DELETE completed");
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop * LIST (\\Noselect \\HasChildren) \"/\" \"Work\"");
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop * LSUB (\\Noselect \\HasChildren) \"/\" \"Work\"");
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop * LSUB (\\HasNoChildren) \"/\" \"Work/2024\"");
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop h6 NO [CANNOT]");
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop h7 OK UNSUBSCRIBE completed");
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop h8 OK UNSUBSCRIBE completed");
	const char *h9 = strstr(a, "bob-laptop>mx.gmail.com h9 LSUB");
	CHECK(h9 && strstr(h9, "* LSUB") == NULL);
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop * LIST (\\HasNoChildren) \"/\" \"INBOX\"");
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop i2 NO [CANNOT] Invalid mailbox name");
	fx_free(&f);
}

/* RENAME of a \Noselect name renames what stands below it (RFC 3501
 * 6.3.5: inferior names MUST be renamed too), as Dovecot does; a name with
 * nothing below it is no name at all. */
static void test_imap_rename_noselect(void)
{
	struct fixture f;
	fx_run(&f, "device bob-laptop owner bob@gmail.com\n"
		   "session bob-laptop mx.gmail.com imap\n"
		   "  > r1 LOGIN bob@gmail.com bob123\n"
		   "  > r2 CREATE Work/2024\n"
		   "  > r3 DELETE Work\n"
		   "  > r4 RENAME Work Job\n"
		   "  > r5 LIST \"\" *o*\n"
		   "  > r6 RENAME Nowhere Elsewhere\n"
		   "  > r7 LOGOUT\n"
		   "end\n");
	if (!f.ok)
		return;
	const char *a = f.cap.all.p;
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop r4 OK RENAME completed");
	const char *r5 = strstr(a, "bob-laptop>mx.gmail.com r5 LIST");
	CHECK(r5 != NULL);
	if (r5) {
		CHECK_CONTAINS(r5, "mx.gmail.com>bob-laptop * LIST (\\Noselect \\HasChildren) \"/\" \"Job\"");
		CHECK_CONTAINS(r5, "mx.gmail.com>bob-laptop * LIST (\\HasNoChildren) \"/\" \"Job/2024\"");
		const char *end = strstr(r5, "r5 OK");
		const char *work = strstr(r5, "\"Work");
		CHECK(end && (!work || work > end));
	}
	CHECK_CONTAINS(a, "mx.gmail.com>bob-laptop r6 NO [NONEXISTENT]");
	fx_free(&f);
}

static void test_mail_records_follow_the_store(void)
{
	struct fixture f;
	struct buf story;
	buf_init(&story);
	buf_printf(&story, "%s%s", IMAP_STORY,
		   "imap bob-phone sync\n"
		   "imap bob-phone read 2\n"
		   "pop3 bob-laptop fetch\n");
	fx_run(&f, story.p);
	buf_free(&story);
	if (!f.ok)
		return;
	const char *all = f.cap.all.p;
	/* delivery, the phone's copies, the flag on both sides, POP3's
	 * download and the UPDATE's removals, in that order */
	static const char *const steps[] = {
		"mail ADD bob@gmail.com INBOX uid 1 flags 0 one",
		"mail ADD bob@gmail.com INBOX uid 2 flags 0 two",
		"mail ADD bob-phone INBOX uid 1 flags 0 one",
		"mail FLAGS bob@gmail.com INBOX uid 2 flags 1",
		"mail FLAGS bob-phone INBOX uid 2 flags 1",
		"mail ADD bob-laptop INBOX uid 0 flags 0 one",
		"mail REMOVE bob@gmail.com INBOX uid 1 flags 0",
		"mail REMOVE bob@gmail.com INBOX uid 2 flags 0",
	};
	CHECK(in_order(all, steps, sizeof steps / sizeof steps[0]));
	fx_free(&f);
}

static void test_open_session_left_open_is_freed(void)
{
	struct fixture f;
	/* a device left in IDLE at the end: the run ends, nothing leaks (ASan) */
	fx_run(&f, "device bob-phone owner bob@gmail.com\nimap bob-phone open\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "+ idling");
	fx_free(&f);
}

/* `mail` lines: in the store at world_init, as real messages with their
 * dates and flags; told to the trace when the story starts; a device copy
 * is known to a later POP3 fetch (UIDL) and IMAP sync (UID, UIDVALIDITY). */
static void test_initial_mail(void)
{
	struct fixture f;
	fx_open(&f,
		"user carol@gmail.com password carol123\n"
		"device bob-laptop owner bob@gmail.com\n"
		"device carol-phone owner carol@gmail.com\n"
		"mail bob@gmail.com from alice@uea.edu.br subject \"One\" date \"2 Mar 2026 08:15\" "
		"flags \\Seen \\Flagged body \"first\" on bob-laptop\n"
		"mail bob@gmail.com from x@far.example subject \"Two\"\n"
		"mail bob@gmail.com folder Archive from alice@uea.edu.br subject \"Old\" flags Junk\n"
		"mail carol@gmail.com from alice@uea.edu.br subject \"Hi\" flags \\Seen on carol-phone\n"
		"mail carol@gmail.com from alice@uea.edu.br subject \"New\"\n"
		"pop3 bob-laptop fetch keep\n"
		"imap carol-phone sync\n",
		NULL);
	if (!f.ok)
		return;
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 2);
	CHECK_INT(fx_count(&f, "bob@gmail.com", "Archive"), 1);
	struct store_account a;
	int64_t inbox, archive;
	struct store_message m;
	CHECK_INT(store_account_find(f.st, "bob@gmail.com", &a), STORE_OK);
	CHECK_INT(store_folder_find(f.st, a.id, "INBOX", &inbox), STORE_OK);
	CHECK_INT(store_folder_find(f.st, a.id, "Archive", &archive), STORE_OK);
	CHECK_INT(store_message_get(f.st, inbox, 1, false, &m), STORE_OK);
	CHECK_INT(m.flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	CHECK_INT(m.internaldate, WORLD_EPOCH_UNIX - 45 * 60);
	store_message_free(&m);
	CHECK_INT(store_message_get(f.st, archive, 1, false, &m), STORE_OK);
	CHECK_STR(m.keywords, "Junk");
	store_message_free(&m);
	char *c1 = fx_content(&f, "bob@gmail.com", 1), *c2 = fx_content(&f, "bob@gmail.com", 2);
	CHECK(c1 && strstr(c1, "Return-Path: <alice@uea.edu.br>\r\n") == c1);
	CHECK(c1 && strstr(c1, "\r\nDate: Mon, 02 Mar 2026 08:15:00 +0000\r\n"));
	CHECK(c1 && strstr(c1, "\r\nFrom: \"Alice Raiol\" <alice@uea.edu.br>\r\n"));
	CHECK(c1 && strstr(c1, "\r\nTo: bob@gmail.com\r\n"));
	CHECK(c1 && strstr(c1, "\r\nSubject: One\r\n"));
	CHECK(c1 && strstr(c1, "\r\nMessage-ID: <1.mail@uea.edu.br>\r\n"));
	CHECK(c1 && strstr(c1, "\r\n\r\nfirst"));
	/* no date: a minute apart in file order, before the story */
	CHECK(c2 && strstr(c2, "\r\nDate: Mon, 02 Mar 2026 08:56:00 +0000\r\n"));
	CHECK(c2 && strstr(c2, "\r\nMessage-ID: <2.far.example.mail@far.example>\r\n") == NULL);
	CHECK(c2 && strstr(c2, "\r\nMessage-ID: <2.mail@far.example>\r\n"));
	free(c1);
	free(c2);
	int64_t laptop, phone, n;
	CHECK_INT(store_device_find(f.st, "bob-laptop", &laptop), STORE_OK);
	CHECK_INT(store_device_find(f.st, "carol-phone", &phone), STORE_OK);
	CHECK_INT(store_device_count(f.st, laptop, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_device_count(f.st, phone, &n), STORE_OK);
	CHECK_INT(n, 1);

	fx_go(&f);
	const char *t = f.cap.all.p;
	/* told first, at time 0: the mailbox and device changes, then words */
	CHECK(strstr(t, "0 mail ADD bob@gmail.com INBOX uid 1 flags 5 One\n") == t);
	CHECK(strstr(t, "0 mail ADD bob-laptop INBOX uid 0 flags 0 One\n"));
	CHECK(strstr(t, "0 mail ADD carol-phone INBOX uid 1 flags 1 Hi\n"));
	CHECK(strstr(t, "0 mx.gmail.com>- mail-ready: 2 messages waiting in bob@gmail.com INBOX\n"));
	CHECK(strstr(t, "0 mx.gmail.com>- mail-ready: 1 message waiting in bob@gmail.com Archive\n"));
	CHECK(strstr(t, "0 bob-laptop>- mail-ready: 1 message already on bob-laptop\n"));
	/* POP3 knew the first by its unique-id: one RETR, of message 2 */
	CHECK(strstr(t, "RETR 1\n") == NULL);
	CHECK(strstr(t, "RETR 2\n") != NULL);
	CHECK_INT(store_device_count(f.st, laptop, &n), STORE_OK);
	CHECK_INT(n, 2);
	/* IMAP knew UID 1 in this UIDVALIDITY: it fetched only UID 2 */
	CHECK(strstr(t, "synced: uid 1 ") == NULL);
	CHECK(strstr(t, "synced: uid 2 \"New\" now on carol-phone") != NULL);
	CHECK_INT(store_device_count(f.st, phone, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(f.w.checks_failed, 0);
	fx_free(&f);

	/* a second start on the same --db file: the mail is not stored twice */
	char db[] = "/tmp/mailsim-initmail-XXXXXX";
	int fd = mkstemp(db);
	CHECK(fd >= 0);
	close(fd);
	for (int run = 0; run < 2; run++) {
		fx_run_db(&f, "mail bob@gmail.com from alice@uea.edu.br subject \"Once\"\n", db);
		CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
		CHECK((f.cap.all.p && strstr(f.cap.all.p, "mail-ready")) == (run == 0));
		fx_free(&f);
	}
	unlink(db);
}

/* ------------------------------------------------ DKIM, SPF and DMARC */

/* Both domains sign (uea.edu.br rsa-sha256, gmail.com ed25519-sha256) and
 * publish SPF and DMARC; every server verifies. */
static const char *AUTH_WORLD =
	"device bob-phone owner bob@gmail.com\n"
	"link alice-laptop mx.gmail.com\n"
	"dkim uea.edu.br selector s1\n"
	"dkim gmail.com selector ed algorithm ed25519-sha256 canonicalization simple\n"
	"txt uea.edu.br \"v=spf1 mx -all\"\n"
	"txt _dmarc.uea.edu.br \"v=DMARC1; p=reject\"\n"
	"txt gmail.com \"v=spf1 mx -all\"\n"
	"txt _dmarc.gmail.com \"v=DMARC1; p=quarantine\"\n"
	"verify\n";

static void fx_run_auth(struct fixture *f, const char *story)
{
	struct buf b;
	buf_init(&b);
	buf_adds(&b, AUTH_WORLD);
	buf_adds(&b, story);
	fx_run(f, b.p);
	buf_free(&b);
}

static char *fx_folder_content(struct fixture *f, const char *addr, const char *folder,
			       uint32_t uid)
{
	struct store_account a;
	int64_t id;
	struct store_message m;
	if (store_account_find(f->st, addr, &a) != 0 ||
	    store_folder_find(f->st, a.id, folder, &id) != 0 ||
	    store_message_get(f->st, id, uid, true, &m) != 0)
		return NULL;
	char *content = m.content;
	m.content = NULL;
	store_message_free(&m);
	return content;
}

/* Signed on submission, checked on arrival: pass, pass, pass; the
 * questions go over the trace; the header and the record carry it. */
static void test_auth_sign_and_verify(void)
{
	struct fixture f;
	fx_run_auth(&f, "send alice-laptop to bob@gmail.com subject \"hi\" body \"hello\"\n"
			"send bob-phone to alice@uea.edu.br subject \"back\" body \"ok\"\n");
	if (!f.ok)
		return;
	const char *all = f.cap.all.p;
	CHECK_CONTAINS(all, "dkim-signed: signed with d=uea.edu.br s=s1 a=rsa-sha256");
	CHECK_CONTAINS(all, "dkim-signed: signed with d=gmail.com s=ed a=ed25519-sha256");
	CHECK_CONTAINS(all, "mx.gmail.com>dns uea.edu.br. IN TXT ?");
	CHECK_CONTAINS(all, "dns>mx.gmail.com uea.edu.br. IN TXT \"v=spf1 mx -all\"");
	CHECK_CONTAINS(all, "mx.gmail.com>dns s1._domainkey.uea.edu.br. IN TXT ?");
	CHECK_CONTAINS(all, "mx.gmail.com>dns _dmarc.uea.edu.br. IN TXT ?");
	CHECK_CONTAINS(all, "dns>mx.gmail.com mail.uea.edu.br. IN A 198.51.100.1");
	CHECK_CONTAINS(all, "mx.gmail.com>- auth: spf=pass (mx) dkim=pass dmarc=pass");
	CHECK_CONTAINS(all, "mail ADD bob@gmail.com INBOX uid 1 flags 0 hi auth spf=pass "
			    "dkim=pass dmarc=pass");
	CHECK_CONTAINS(all, ": delivered to bob@gmail.com INBOX "
			    "auth=spf=pass dkim=pass dmarc=pass");
	char *m = fx_content(&f, "bob@gmail.com", 1);
	CHECK(m != NULL);
	if (m) {
		CHECK(strncmp(m, "Return-Path: <alice@uea.edu.br>\r\n"
				 "Authentication-Results: mx.gmail.com; spf=pass "
				 "smtp.mailfrom=uea.edu.br; dkim=pass header.d=uea.edu.br "
				 "header.s=s1; dmarc=pass header.from=uea.edu.br\r\n"
				 "Received: from mail.uea.edu.br (mail.uea.edu.br [198.51.100.1])\r\n",
			      strlen("Return-Path: <alice@uea.edu.br>\r\nAuthentication-Results: "
				     "mx.gmail.com; spf=pass smtp.mailfrom=uea.edu.br; dkim=pass "
				     "header.d=uea.edu.br header.s=s1; dmarc=pass "
				     "header.from=uea.edu.br\r\nReceived: from mail.uea.edu.br "
				     "(mail.uea.edu.br [198.51.100.1])\r\n")) == 0);
		/* From listed twice in h= (oversigned), relaxed by default */
		CHECK_CONTAINS(m, "c=relaxed/relaxed; d=uea.edu.br;");
		CHECK_CONTAINS(m, "h=From:From:To:Subject:Date:Message-ID:");
		CHECK_CONTAINS(m, "t=1772442000;");
	}
	free(m);
	m = fx_content(&f, "alice@uea.edu.br", 1);
	CHECK(m != NULL);
	if (m) {
		CHECK_CONTAINS(m, "dkim=pass header.d=gmail.com header.s=ed");
		CHECK_CONTAINS(m, "a=ed25519-sha256; c=simple/simple; d=gmail.com;");
	}
	free(m);
	fx_free(&f);
}

/* Someone who is not uea.edu.br's server sends as alice@uea.edu.br, whose
 * domain asks for p=reject: SPF fails, no signature, DMARC fails, 550. */
static void test_auth_spoof_rejected(void)
{
	struct fixture f;
	fx_run_auth(&f, "session alice-laptop mx.gmail.com smtp\n"
			"> EHLO mail.uea.edu.br\n> MAIL FROM:<alice@uea.edu.br>\n"
			"> RCPT TO:<bob@gmail.com>\n> DATA\n> From: alice@uea.edu.br\n"
			"> Subject: pay this\n>\n> now\n> .\n> NOOP\n> QUIT\nend\n"
			"expect reply 5.7.1\n");
	if (!f.ok)
		return;
	const char *want[] = {
		"mx.gmail.com>- auth: spf=fail (-all) dkim=none dmarc=fail (p=reject)",
		"dmarc-reject: refused: DMARC policy of uea.edu.br is reject",
		"mx.gmail.com>alice-laptop 550 5.7.1 Unauthenticated email from uea.edu.br is "
		"not accepted due to domain's DMARC policy (p=reject)",
		/* the NOOP pipelined after the dot is answered after the 550 */
		"mx.gmail.com>alice-laptop 250 2.0.0 Ok",
	};
	CHECK(in_order(f.cap.all.p, want, 4));
	CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 0);
	CHECK_INT(f.w.checks_failed, 0);
	fx_free(&f);
}

/* gmail.com asks for p=quarantine: the spoofed message lands in Junk,
 * made with the \Junk special use. */
static void test_auth_quarantine_to_junk(void)
{
	struct fixture f;
	fx_run_auth(&f, "session alice-laptop mail.uea.edu.br smtp\n"
			"> EHLO mx.gmail.com\n> MAIL FROM:<bob@gmail.com>\n"
			"> RCPT TO:<alice@uea.edu.br>\n> DATA\n> From: bob@gmail.com\n"
			"> Subject: urgent\n>\n> click\n> .\n> QUIT\nend\n");
	if (!f.ok)
		return;
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "INBOX"), 0);
	CHECK_INT(fx_count(&f, "alice@uea.edu.br", "Junk"), 1);
	CHECK_CONTAINS(f.cap.all.p, "delivered to alice@uea.edu.br Junk auth=spf=fail dkim=none "
				    "dmarc=fail");
	CHECK_CONTAINS(f.cap.all.p, "mail ADD alice@uea.edu.br Junk uid 1");
	struct store_account a;
	int64_t id;
	struct store_folder fo;
	if (store_account_find(f.st, "alice@uea.edu.br", &a) == 0 &&
	    store_folder_find(f.st, a.id, "Junk", &id) == 0 && store_folder_get(f.st, id, &fo) == 0)
		CHECK_CONTAINS(fo.special_use ? fo.special_use : "", "\\Junk");
	else
		CHECK(false);
	char *m = fx_folder_content(&f, "alice@uea.edu.br", "Junk", 1);
	CHECK_CONTAINS(m ? m : "", "Authentication-Results: mail.uea.edu.br; spf=fail "
				   "smtp.mailfrom=gmail.com; dkim=none; dmarc=fail "
				   "header.from=gmail.com\r\n");
	free(m);
	fx_free(&f);
}

/* A signature whose selector has no key in DNS: dkim=permerror (no key);
 * a domain with neither SPF nor DMARC records: none and none. */
static void test_auth_missing_key(void)
{
	struct fixture f;
	fx_run_auth(&f, "session alice-laptop mx.gmail.com smtp\n"
			"> EHLO laptop\n> MAIL FROM:<x@example.org>\n"
			"> RCPT TO:<bob@gmail.com>\n> DATA\n"
			"> DKIM-Signature: v=1; a=rsa-sha256; d=uea.edu.br; s=nokey; h=From;\n"
			">  bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\n"
			"> From: x@example.org\n>\n> hi\n> .\n> QUIT\nend\n");
	if (!f.ok)
		return;
	CHECK_CONTAINS(f.cap.all.p, "mx.gmail.com>dns nokey._domainkey.uea.edu.br. IN TXT ?");
	CHECK_CONTAINS(f.cap.all.p, "dns>mx.gmail.com nokey._domainkey.uea.edu.br. NXDOMAIN");
	char *m = fx_content(&f, "bob@gmail.com", 1);
	CHECK_CONTAINS(m ? m : "", "Authentication-Results: mx.gmail.com; spf=none "
				   "smtp.mailfrom=example.org; dkim=permerror (no key) "
				   "header.d=uea.edu.br header.s=nokey; dmarc=none "
				   "header.from=example.org\r\n");
	free(m);
	fx_free(&f);
}

/* The same scenario twice: the same bytes in the mailboxes (keys from the
 * seed, t= from the simulated clock). */
static void test_auth_deterministic(void)
{
	char *first[2] = {NULL, NULL};
	for (int run = 0; run < 2; run++) {
		struct fixture f;
		fx_run_auth(&f, "send alice-laptop to bob@gmail.com subject \"hi\" body \"x\"\n"
				"send bob-phone to alice@uea.edu.br subject \"re\" body \"y\"\n");
		if (!f.ok)
			return;
		char *a = fx_content(&f, "bob@gmail.com", 1);
		char *b = fx_content(&f, "alice@uea.edu.br", 1);
		CHECK(a && b);
		if (run == 0) {
			first[0] = a;
			first[1] = b;
		} else {
			CHECK_STR(a ? a : "", first[0] ? first[0] : "-");
			CHECK_STR(b ? b : "", first[1] ? first[1] : "-");
			free(a);
			free(b);
		}
		fx_free(&f);
	}
	free(first[0]);
	free(first[1]);
}

/* A signed message sent again on port 25 by a host outside uea.edu.br's
 * SPF record (as a forwarder would): the signature still passes, so DMARC
 * passes aligned on DKIM alone; with one body byte changed on the way,
 * dkim=fail (body hash did not verify) and DMARC's p=reject refuses it. */
static void test_auth_forwarded_and_tampered(void)
{
	struct fixture f;
	fx_run_auth(&f, "send alice-laptop to bob@gmail.com subject \"hi\" body \"hello\"\n");
	if (!f.ok)
		return;
	char *m = fx_content(&f, "bob@gmail.com", 1);
	fx_free(&f);
	CHECK(m != NULL);
	if (!m)
		return;
	for (int tamper = 0; tamper < 2; tamper++) {
		/* the message as it left uea.edu.br, as session lines: what the
		 * receiving servers added (Return-Path, Authentication-Results,
		 * Received) left out */
		struct buf story;
		buf_init(&story);
		buf_adds(&story, "session alice-laptop mx.gmail.com smtp\n> EHLO forwarder\n"
				 "> MAIL FROM:<alice@uea.edu.br>\n> RCPT TO:<bob@gmail.com>\n> DATA\n");
		bool skipping = false;
		for (char *line = m; *line;) {
			char *end = strstr(line, "\r\n");
			size_t n = end ? (size_t)(end - line) : strlen(line);
			bool cont = line[0] == ' ' || line[0] == '\t';
			if (!cont)
				skipping = strncmp(line, "Return-Path:", 12) == 0 ||
					   strncmp(line, "Authentication-Results:", 23) == 0 ||
					   strncmp(line, "Received:", 9) == 0;
			if (!skipping) {
				bool body = n == 5 && strncmp(line, "hello", 5) == 0;
				buf_printf(&story, "> %.*s\n", (int)n,
					   body && tamper ? "hellO" : line);
			}
			line += n + (end ? 2 : 0);
		}
		buf_adds(&story, "> .\n> QUIT\nend\n");
		fx_run_auth(&f, story.p);
		buf_free(&story);
		if (!f.ok)
			break;
		if (tamper) {
			CHECK_CONTAINS(f.cap.all.p, "auth: spf=fail (-all) dkim=fail (body hash did not "
						    "verify) dmarc=fail (p=reject)");
			CHECK_CONTAINS(f.cap.all.p, "550 5.7.1 Unauthenticated email from uea.edu.br");
			CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 0);
		} else {
			CHECK_CONTAINS(f.cap.all.p, "auth: spf=fail (-all) dkim=pass dmarc=pass");
			CHECK_INT(fx_count(&f, "bob@gmail.com", "INBOX"), 1);
		}
		fx_free(&f);
	}
	free(m);
}

int main(void)
{
	RUN(test_send_and_relay);
	RUN(test_two_received_lines);
	RUN(test_partial_failure_bounces_one);
	RUN(test_no_such_domain);
	RUN(test_quiz_records);
	RUN(test_quiz_text_and_replies);
	RUN(test_server_down_retries_then_delivers);
	RUN(test_retry_limit_bounces);
	RUN(test_relay_refused_on_25);
	RUN(test_link_latency_and_bandwidth);
	RUN(test_loss_is_deterministic);
	RUN(test_link_down_then_up);
	RUN(test_hung_session_times_out);
	RUN(test_repeat_expands_i);
	RUN(test_sender_down_for_good_ends);
	RUN(test_queue_resumes_when_server_returns);
	RUN(test_data_commit_fails_451);
	RUN(test_relay_commit_fails_keeps_queued);
	RUN(test_relay_commit_fails_waits_in_store);
	RUN(test_return_path_and_one_copy);
	RUN(test_postmaster_always_accepted);
	RUN(test_submission_sender_must_be_the_user);
	RUN(test_pop3_lock_in_use);
	RUN(test_pop3_dropped_session_deletes_nothing);
	RUN(test_pop3_marks_are_told);
	RUN(test_pop3_uidl_stable_across_sessions);
	RUN(test_imap_idle_sees_other_device);
	RUN(test_pop3_delete_is_imap_expunge);
	RUN(test_imap_read_beyond_view);
	RUN(test_open_session_left_open_is_freed);
	RUN(test_mail_records_follow_the_store);
	RUN(test_idle_survives_an_hour);
	RUN(test_store_on_vanished_message);
	RUN(test_recent_belongs_to_one_session);
	RUN(test_ids_unique_across_restarts);
	RUN(test_submission_adds_date_and_message_id);
	RUN(test_examine_leaves_recent);
	RUN(test_reselect_is_a_new_session);
	RUN(test_recent_not_reborn_on_restart);
	RUN(test_imap_hierarchy_and_subscriptions);
	RUN(test_imap_rename_noselect);
	RUN(test_initial_mail);
	RUN(test_tamper_link_adds_a_line);
	RUN(test_auth_sign_and_verify);
	RUN(test_auth_spoof_rejected);
	RUN(test_auth_quarantine_to_junk);
	RUN(test_auth_missing_key);
	RUN(test_auth_deterministic);
	RUN(test_auth_forwarded_and_tampered);
	return TEST_END();
}
