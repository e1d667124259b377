/*
 * test_playback.c - the recorded run: steps, reply framing, the mailbox
 * model, seeking both ways.
 */
#include "buf.h"
#include "playback.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

/* ---- building records by hand ---- */

static void line(struct playback *pb, int64_t t, const char *from, const char *to,
		 enum trace_proto proto, enum trace_dir dir, uint32_t session, const char *text)
{
	struct trace_rec r = {
		.t_us = t, .from = from, .to = to, .proto = proto, .dir = dir,
		.text = text, .text_len = text ? strlen(text) : 0,
		.session = session, .arrive_us = t + 1000,
	};
	pb_sink(pb, &r);
}

static void event(struct playback *pb, int64_t t, const char *from, const char *ev,
		  const char *text)
{
	struct trace_rec r = {
		.t_us = t, .from = from, .event = ev, .text = text,
		.text_len = text ? strlen(text) : 0,
	};
	pb_sink(pb, &r);
}

static void mail(struct playback *pb, enum trace_mail_op op, const char *owner, bool device,
		 const char *folder, uint32_t uid, uint32_t flags, const char *subject)
{
	struct trace_mail m = {
		.op = op, .owner = owner, .device = device, .folder = folder, .uid = uid,
		.flags = flags, .from = op == MAIL_ADD ? "Alice <alice@a.test>" : NULL,
		.subject = op == MAIL_ADD ? subject : NULL,
		.content = op == MAIL_ADD ? subject : NULL,
		.content_len = op == MAIL_ADD && subject ? strlen(subject) : 0,
	};
	struct trace_rec r = { .t_us = 0, .from = "x", .event = "mail", .mail = &m };
	pb_sink(pb, &r);
}

/* The whole model at the cursor as text: equal models, equal dumps. */
static void dump(const struct playback *pb, struct buf *out)
{
	buf_clear(out);
	for (size_t o = 0; o < pb_nowners(pb); o++) {
		bool dev = false;
		const char *name = pb_owner(pb, o, &dev);
		buf_printf(out, "%s%s\n", name, dev ? " (device)" : "");
		for (size_t f = 0; f < pb_nfolders(pb, o); f++) {
			buf_printf(out, " %s\n", pb_folder(pb, o, f));
			for (size_t i = 0; i < pb_nmsgs(pb, o, f); i++) {
				struct pb_msg m;
				if (!pb_get_msg(pb, o, f, i, &m)) {
					buf_printf(out, "  ?\n");
					continue;
				}
				buf_printf(out, "  %u %u %s|%s|%.*s @%zu\n", m.uid, m.flags,
					   m.from ? m.from : "-", m.subject ? m.subject : "-",
					   (int)m.content_len, m.content, m.changed_at);
			}
		}
	}
}

/* A one-line summary of one folder: "uid:flags@changed_at ...", the uid
 * followed by * when POP3's DELE marked the message. */
static const char *folder_str(const struct playback *pb, size_t o, size_t f)
{
	static char s[512];
	size_t n = 0;
	s[0] = '\0';
	for (size_t i = 0; i < pb_nmsgs(pb, o, f) && n < sizeof s - 40; i++) {
		struct pb_msg m;
		pb_get_msg(pb, o, f, i, &m);
		n += (size_t)snprintf(s + n, sizeof s - n, "%s%u%s:%u@%zu", i ? " " : "", m.uid,
				      m.marked ? "*" : "", m.flags, m.changed_at);
	}
	return s;
}

static uint64_t rng_state = 42;

static uint32_t rng(uint32_t n)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (uint32_t)(z % n);
}

/* ---- tests ---- */

static void test_steps_and_fields(void)
{
	struct playback *pb = pb_new();
	CHECK_INT(pb_add_host(pb, "mx.a.test", true, NULL, NULL), 0);
	CHECK_INT(pb_add_host(pb, "alice-laptop", false, "alice@a.test", "mx.a.test"), 1);
	CHECK_INT(pb_add_host(pb, "bob-phone", false, "bob@b.test", "mx.b.test"), 2);
	CHECK_INT(pb_add_host(pb, "mx.b.test", true, NULL, NULL), 3);
	CHECK_INT(pb_add_host(pb, "mx.a.test", true, NULL, NULL), 0); /* one name, one host */
	pb_add_link(pb, "alice-laptop", "mx.a.test", 20000);
	pb_add_link(pb, "mx.a.test", "nowhere", 1); /* ignored */
	CHECK_INT(pb_nhosts(pb), 4);
	CHECK_INT(pb_nlinks(pb), 1);
	CHECK_INT(pb_link(pb, 0)->a, 1);
	CHECK_INT(pb_link(pb, 0)->b, 0);
	CHECK_INT(pb_link(pb, 0)->latency_us, 20000);
	CHECK_INT(pb_host(pb, 1)->home, 0);
	CHECK_INT(pb_host(pb, 2)->home, 3); /* named before its server */
	CHECK_STR(pb_host(pb, 2)->owner, "bob@b.test");
	CHECK(pb_host(pb, 0)->server);
	CHECK(pb_host(pb, 0)->owner == NULL);
	CHECK(pb_host(pb, 4) == NULL);
	CHECK_INT(pb_host_find(pb, "bob-phone"), 2);
	CHECK_INT(pb_host_find(pb, "dns"), PB_NONE);
	CHECK_INT(pb_host_find(pb, NULL), PB_NONE);

	struct trace_rec r = {
		.t_us = 5, .from = "alice-laptop", .to = "mx.a.test", .proto = PROTO_SMTP,
		.dir = DIR_C2S, .text = "EHLO laptopXX", .text_len = 11,
		.note = "the client greets", .session = 7, .arrive_us = 20005,
	};
	pb_sink(pb, &r);
	mail(pb, MAIL_ADD, "alice@a.test", false, "INBOX", 1, 0, "hi");
	event(pb, 30, "dns", "dns-answer", "b.test MX mx.b.test");
	struct trace_rec far = {
		.t_us = 40, .from = "mx.a.test", .to = "mx.b.test", .proto = PROTO_SMTP,
		.dir = DIR_C2S, .text = "QUIT", .text_len = 4, .session = 8,
		.arrive_us = 40 + 5000000000LL, /* too far for 32 bits of microseconds */
	};
	pb_sink(pb, &far);
	CHECK_INT(pb_nsteps(pb), 3); /* the mail record is not a step */

	struct pb_step s;
	CHECK(pb_get_step(pb, 0, &s));
	CHECK_INT(s.index, 0);
	CHECK_INT(s.t_us, 5);
	CHECK_INT(s.arrive_us, 20005);
	CHECK_INT(s.from, 1);
	CHECK_INT(s.to, 0);
	CHECK_STR(s.from_name, "alice-laptop");
	CHECK_STR(s.to_name, "mx.a.test");
	CHECK_INT(s.proto, PROTO_SMTP);
	CHECK_INT(s.dir, DIR_C2S);
	CHECK(s.event == NULL);
	CHECK_INT(s.text_len, 11);
	CHECK(memcmp(s.text, "EHLO laptop", 11) == 0 && s.text[11] == '\0');
	CHECK_STR(s.note, "the client greets");
	CHECK_INT(s.session, 7);
	CHECK(!s.is_reply);
	CHECK(!s.is_note);
	CHECK_INT(s.changes, 0); /* the change recorded after it leads to step 1 */

	CHECK(pb_get_step(pb, 1, &s));
	CHECK_INT(s.from, PB_NONE); /* "dns" is not a host */
	CHECK_INT(s.to, PB_NONE);
	CHECK_STR(s.from_name, "dns");
	CHECK(s.to_name == NULL);
	CHECK_STR(s.event, "dns-answer");
	CHECK_STR(s.text, "b.test MX mx.b.test");
	CHECK_INT(s.arrive_us, 30); /* an event arrives when it happens */
	CHECK(s.note == NULL);
	CHECK_INT(s.session, 0);
	CHECK_INT(s.changes, 1);

	CHECK(pb_get_step(pb, 2, &s));
	CHECK_INT(s.arrive_us, 40 + 5000000000LL);
	CHECK_INT(s.from, 0);
	CHECK_INT(s.to, 3);
	CHECK_INT(s.changes, 0);
	CHECK(!pb_get_step(pb, 3, &s));
	pb_free(pb);
}

static bool is_reply(const struct pb_step *s)
{
	return s->is_reply;
}

static bool is_note(const struct pb_step *s)
{
	return s->is_note;
}

/* Record lines of one session, alternating by a leading "C:" / "S:". */
static void convo(struct playback *pb, enum trace_proto proto, uint32_t session,
		  const char *const *lines)
{
	for (size_t i = 0; lines[i]; i++)
		line(pb, (int64_t)i, "c", "s", proto, lines[i][0] == 'C' ? DIR_C2S : DIR_S2C,
		     session, lines[i] + 2);
}

/* The replies of steps [first, last) as a string of 0 and 1. */
static const char *replies(const struct playback *pb, size_t first, size_t last)
{
	static char s[128];
	size_t n = 0;
	for (size_t i = first; i < last && n < sizeof s - 1; i++) {
		struct pb_step st;
		pb_get_step(pb, i, &st);
		s[n++] = st.is_reply ? '1' : '0';
	}
	s[n] = '\0';
	return s;
}

static void test_is_reply_smtp(void)
{
	struct playback *pb = pb_new();
	static const char *const l[] = {
		"S:220 mx ESMTP", "C:EHLO x", "S:250-mx", "S:250-PIPELINING", "S:250 Ok",
		"C:250 not a reply from a client", "S:354", "S:35x no", "S:25", "S:", NULL,
	};
	convo(pb, PROTO_SMTP, 1, l);
	CHECK_STR(replies(pb, 0, pb_nsteps(pb)), "1000101000");
	pb_free(pb);
}

static void test_is_reply_pop3(void)
{
	struct playback *pb = pb_new();
	static const char *const l[] = {
		"S:+OK POP3 ready", "C:USER bob", "S:+OK", "C:PASS x", "S:-ERR [AUTH] no",
		"C:LIST", "S:+OK 2 messages", "S:1 620", "S:2 300", "S:.",
		"C:RETR 1", "S:+OK 620 octets", "S:+OK this is a body line", "S:-ERR so is this",
		"S:..", "S:.",
		"C:LIST 2", "S:+OK 2 300",
		"C:AUTH PLAIN", "S:+ ", "C:AGJvYgB4", "S:+OK welcome",
		"C:UIDL", "C:STAT", "S:+OK", "S:1 a.1", "S:.", "S:+OK 1 620",
		"S:+OKAY is not", NULL,
	};
	convo(pb, PROTO_POP3, 3, l);
	CHECK_STR(replies(pb, 0, pb_nsteps(pb)), "10101010000100000100010010010");
	/* without a session, the plain rule */
	struct playback *p2 = pb_new();
	static const char *const m[] = { "S:+OK", "S:-ERR x", "S:1 620", "S:+OK body", NULL };
	convo(p2, PROTO_POP3, 0, m);
	CHECK_STR(replies(p2, 0, pb_nsteps(p2)), "1101");
	pb_free(p2);
	pb_free(pb);
}

static void test_is_reply_imap(void)
{
	struct playback *pb = pb_new();
	static const char *const l[] = {
		"S:* OK IMAP4rev1 ready", "C:a1 LOGIN bob x", "S:a1 OK LOGIN completed",
		"C:a2 SELECT INBOX", "S:* 3 EXISTS", "S:a2 ok [READ-WRITE] done",
		"C:a3 IDLE", "S:+ idling", "C:DONE", "S:a3 NO nope", "S:a4 BAD what",
		"S:a5 OKAY no", "S:a6", "S:a7 FETCH (BODY[] {16}", "S:a8 OK body!!", "S:",
		"S: UID 4)", "S:a9 OK fetched", NULL,
	};
	/* the literal: "a8 OK body!!" (12 + 2) and "" (0 + 2) are its 16 bytes */
	convo(pb, PROTO_IMAP, 9, l);
	CHECK_STR(replies(pb, 0, pb_nsteps(pb)), "001001000110000001");
	pb_free(pb);
}

static void test_is_note_and_find(void)
{
	struct playback *pb = pb_new();
	event(pb, 0, "story", "note", "Now watch the relay");
	line(pb, 1, "c", "s", PROTO_SMTP, DIR_S2C, 1, "250 Ok");
	event(pb, 2, "story", "notes", "not a note");
	event(pb, 3, "story", "note", "");
	struct pb_step s;
	pb_get_step(pb, 0, &s);
	CHECK(s.is_note);
	CHECK(!s.is_reply);
	pb_get_step(pb, 2, &s);
	CHECK(!s.is_note);
	CHECK_INT(pb_find_next(pb, SIZE_MAX, is_note), 0);
	CHECK_INT(pb_find_next(pb, 0, is_note), 3);
	CHECK_INT(pb_find_next(pb, 3, is_note), SIZE_MAX);
	CHECK_INT(pb_find_next(pb, 0, is_reply), 1);
	CHECK_INT(pb_find_prev(pb, SIZE_MAX, is_note), 3);
	CHECK_INT(pb_find_prev(pb, 3, is_note), 0);
	CHECK_INT(pb_find_prev(pb, 0, is_note), SIZE_MAX);
	CHECK_INT(pb_find_next(pb, 0, NULL), SIZE_MAX);
	pb_free(pb);
}

/* Step i's block, or SIZE_MAX. */
static size_t block_of(struct playback *pb, size_t i)
{
	struct pb_step s;
	return pb_get_step(pb, i, &s) ? s.block : SIZE_MAX;
}

/* Message bodies: the lines after SMTP's 354 up to ".", of a POP3 RETR /
 * TOP answer (not LIST's), inside an IMAP literal either way. */
static void test_message_blocks(void)
{
	struct playback *pb = pb_new();
	line(pb, 0, "c", "s", PROTO_SMTP, DIR_C2S, 1, "DATA");            /* 0 */
	line(pb, 1, "s", "c", PROTO_SMTP, DIR_S2C, 1, "354 Go ahead");    /* 1 */
	line(pb, 2, "c", "s", PROTO_SMTP, DIR_C2S, 1, "Subject: Hi");     /* 2 */
	line(pb, 3, "x", "y", PROTO_POP3, DIR_C2S, 2, "LIST");            /* 3: another session */
	line(pb, 4, "c", "s", PROTO_SMTP, DIR_C2S, 1, "");                /* 4 */
	line(pb, 5, "c", "s", PROTO_SMTP, DIR_C2S, 1, "..dot-stuffed");   /* 5 */
	line(pb, 6, "c", "s", PROTO_SMTP, DIR_C2S, 1, ".");               /* 6 */
	line(pb, 7, "s", "c", PROTO_SMTP, DIR_S2C, 1, "250 Ok");          /* 7 */
	line(pb, 8, "c", "s", PROTO_SMTP, DIR_C2S, 1, "QUIT");            /* 8 */
	line(pb, 9, "y", "x", PROTO_POP3, DIR_S2C, 2, "+OK 1 messages");  /* 9 */
	line(pb, 10, "y", "x", PROTO_POP3, DIR_S2C, 2, "1 120");          /* 10: a listing */
	line(pb, 11, "y", "x", PROTO_POP3, DIR_S2C, 2, ".");              /* 11 */
	line(pb, 12, "x", "y", PROTO_POP3, DIR_C2S, 2, "RETR 1");         /* 12 */
	line(pb, 13, "y", "x", PROTO_POP3, DIR_S2C, 2, "+OK 120 octets"); /* 13 */
	line(pb, 14, "y", "x", PROTO_POP3, DIR_S2C, 2, "From: a");        /* 14 */
	line(pb, 15, "y", "x", PROTO_POP3, DIR_S2C, 2, ".");              /* 15 */
	line(pb, 16, "y", "x", PROTO_IMAP, DIR_S2C, 3, "* 1 FETCH (BODY[] {9}"); /* 16 */
	line(pb, 17, "y", "x", PROTO_IMAP, DIR_S2C, 3, "Hi: a");          /* 17: 7 of 9 */
	line(pb, 18, "y", "x", PROTO_IMAP, DIR_S2C, 3, ")");              /* 18: ends it */
	line(pb, 19, "x", "y", PROTO_IMAP, DIR_C2S, 3, "a1 APPEND INBOX {4+}"); /* 19 */
	line(pb, 20, "x", "y", PROTO_IMAP, DIR_C2S, 3, "ab");             /* 20 */
	line(pb, 21, "y", "x", PROTO_IMAP, DIR_S2C, 3, "a1 OK APPEND completed"); /* 21 */
	CHECK_INT(pb_nblocks(pb), 4);
	size_t none[] = { 0, 1, 3, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 18, 19, 21 };
	for (size_t k = 0; k < sizeof none / sizeof none[0]; k++)
		CHECK_INT(block_of(pb, none[k]), SIZE_MAX);
	CHECK_INT(block_of(pb, 2), 0);
	CHECK_INT(block_of(pb, 4), 0);
	CHECK_INT(block_of(pb, 5), 0);
	CHECK_INT(block_of(pb, 14), 1);
	CHECK_INT(block_of(pb, 17), 2);
	CHECK_INT(block_of(pb, 20), 3);
	struct pb_block b;
	CHECK(pb_get_block(pb, 0, &b));
	CHECK_INT(b.first, 2);
	CHECK_INT(b.last, 5);
	CHECK_INT(b.lines, 3);
	CHECK_INT(b.octets, 13 + 2 + 15);
	CHECK_INT(pb_block_line_no(pb, 2), 1);
	CHECK_INT(pb_block_line_no(pb, 5), 3);
	CHECK_INT(pb_block_line_no(pb, 6), 0);
	CHECK(pb_get_block(pb, 1, &b) && b.first == 14 && b.last == 14 && b.lines == 1);
	CHECK(!pb_get_block(pb, 4, &b));
	/* the reply framing is unchanged: 250 and the tagged OK are replies */
	struct pb_step s;
	CHECK(pb_get_step(pb, 7, &s) && s.is_reply);
	CHECK(pb_get_step(pb, 21, &s) && s.is_reply);
	CHECK(pb_get_step(pb, 5, &s) && !s.is_reply);
	pb_free(pb);
}

/* Check results are kept apart: not steps, the check without file and line. */
static void test_checks_apart(void)
{
	struct playback *pb = pb_new();
	line(pb, 0, "c", "s", PROTO_SMTP, DIR_S2C, 1, "221 Bye");
	mail(pb, MAIL_ADD, "bob@b.test", false, NULL, 1, 0, "Hi");
	event(pb, 1, "check", "check-passed", "t.scn:9: passed: expect reply 250");
	event(pb, 1, "check", "check-failed",
	      "t.scn:10: FAILED: expect mailbox bob@b.test count 2 (found 1)");
	event(pb, 1, "story", "check-passed", "not from check: a step");
	event(pb, 1, "check", "checked", "not a result: a step");
	event(pb, 1, "check", "check-passed", "no verdict in it");
	CHECK_INT(pb_nsteps(pb), 3);
	struct pb_step s;
	CHECK(pb_get_step(pb, 1, &s) && s.from_name && strcmp(s.from_name, "story") == 0);
	CHECK(pb_get_step(pb, 2, &s) && strcmp(s.event, "checked") == 0);
	CHECK_INT(pb_nchecks(pb), 3);
	bool ok = false;
	CHECK_STR(pb_check(pb, 0, &ok), "expect reply 250");
	CHECK(ok);
	CHECK_STR(pb_check(pb, 1, &ok), "expect mailbox bob@b.test count 2 (found 1)");
	CHECK(!ok);
	CHECK_STR(pb_check(pb, 2, &ok), "no verdict in it");
	CHECK(ok);
	CHECK(pb_check(pb, 3, &ok) == NULL);
	/* the mailbox change before them still belongs to a step */
	pb_seek(pb, 1);
	CHECK_INT(pb_nowners(pb), 1);
	pb_free(pb);
}

/* The timeline's filter: stepping skips the steps of other protocols. */
static void test_filtered_stepping(void)
{
	struct playback *pb = pb_new();
	line(pb, 0, "c", "s", PROTO_POP3, DIR_C2S, 1, "USER bob");  /* 0 */
	line(pb, 1, "t", "s", PROTO_IMAP, DIR_C2S, 2, "a1 LOGIN");  /* 1 */
	event(pb, 2, "story", "note", "x");                         /* 2 */
	line(pb, 3, "s", "c", PROTO_POP3, DIR_S2C, 1, "+OK");       /* 3 */
	line(pb, 4, "s", "t", PROTO_IMAP, DIR_S2C, 2, "a1 OK");     /* 4 */
	CHECK_INT(pb_next_of(pb, SIZE_MAX, PROTO_IMAP), 1);
	CHECK_INT(pb_next_of(pb, 1, PROTO_IMAP), 4);
	CHECK_INT(pb_next_of(pb, 4, PROTO_IMAP), SIZE_MAX);
	CHECK_INT(pb_next_of(pb, 0, PROTO_POP3), 3);
	CHECK_INT(pb_next_of(pb, 1, PROTO_NONE), 2);
	CHECK_INT(pb_next_of(pb, SIZE_MAX, PROTO_SMTP), SIZE_MAX);
	CHECK_INT(pb_prev_of(pb, SIZE_MAX, PROTO_POP3), 3);
	CHECK_INT(pb_prev_of(pb, 3, PROTO_POP3), 0);
	CHECK_INT(pb_prev_of(pb, 4, PROTO_IMAP), 1);
	CHECK_INT(pb_prev_of(pb, 1, PROTO_IMAP), SIZE_MAX);
	CHECK_INT(pb_prev_of(pb, 3, PROTO_NONE), 2);
	CHECK_INT(pb_prev_of(pb, 99, PROTO_IMAP), 4);
	CHECK_INT(pb_next_of(NULL, 0, PROTO_NONE), SIZE_MAX);
	struct pb_step st;
	pb_get_step(pb, 2, &st);
	CHECK(pb_step_shown(&st, PROTO_NONE));
	CHECK(!pb_step_shown(&st, PROTO_IMAP));
	pb_free(pb);
}

static void test_sessions(void)
{
	struct playback *pb = pb_new();
	line(pb, 0, "c", "s", PROTO_SMTP, DIR_S2C, 1, "220 hi"); /* 0 */
	line(pb, 0, "c", "s", PROTO_SMTP, DIR_S2C, 2, "220 hi"); /* 1 */
	event(pb, 0, "story", "note", "x");                      /* 2 */
	line(pb, 0, "c", "s", PROTO_SMTP, DIR_C2S, 1, "QUIT");   /* 3 */
	line(pb, 0, "c", "s", PROTO_SMTP, DIR_C2S, 2, "QUIT");   /* 4 */
	line(pb, 0, "c", "s", PROTO_SMTP, DIR_S2C, 1, "221 Bye"); /* 5 */
	CHECK_INT(pb_session_prev(pb, 0), SIZE_MAX);
	CHECK_INT(pb_session_next(pb, 0), 3);
	CHECK_INT(pb_session_next(pb, 3), 5);
	CHECK_INT(pb_session_prev(pb, 5), 3);
	CHECK_INT(pb_session_next(pb, 5), SIZE_MAX);
	CHECK_INT(pb_session_next(pb, 1), 4);
	CHECK_INT(pb_session_prev(pb, 4), 1);
	CHECK_INT(pb_session_next(pb, 2), SIZE_MAX); /* session 0: no ladder */
	CHECK_INT(pb_session_prev(pb, 2), SIZE_MAX);
	CHECK_INT(pb_session_next(pb, 99), SIZE_MAX);
	pb_free(pb);
}

/* A message's authentication results travel with its ADD to pb_msg. */
static void test_auth_results(void)
{
	struct playback *pb = pb_new();
	event(pb, 0, "story", "start", "");
	struct trace_mail m = {
		.op = MAIL_ADD, .owner = "bob@b.test", .folder = "Junk", .uid = 1,
		.subject = "forged", .content = "x", .content_len = 1,
		.auth = "spf=fail dkim=none dmarc=fail",
	};
	struct trace_rec r = { .t_us = 1, .from = "x", .event = "mail", .mail = &m };
	pb_sink(pb, &r);
	mail(pb, MAIL_ADD, "bob@b.test", false, "INBOX", 1, 0, "plain");
	event(pb, 1, "story", "x", "");
	pb_seek(pb, 1);
	struct pb_msg msg;
	CHECK(pb_get_msg(pb, 0, 1, 0, &msg));
	CHECK_STR(pb_folder(pb, 0, 1), "Junk");
	CHECK_STR(msg.auth, "spf=fail dkim=none dmarc=fail");
	CHECK(pb_get_msg(pb, 0, 0, 0, &msg));
	CHECK(msg.auth == NULL); /* no verifying server: no results */
	pb_free(pb);
}

static void test_owners_and_folders(void)
{
	struct playback *pb = pb_new();
	mail(pb, MAIL_ADD, "bob-phone", true, "Sent", 5, 0, "pre"); /* before any step */
	mail(pb, MAIL_ADD, "alice@a.test", false, "Archive", 1, 0, "a");
	event(pb, 0, "story", "start", "");                         /* step 0 */
	mail(pb, MAIL_ADD, "alice@a.test", false, "INBOX", 1, 0, "b");
	mail(pb, MAIL_ADD, "bob-phone", true, "Drafts", 1, 0, "c");
	event(pb, 1, "story", "x", "");                             /* step 1 */
	event(pb, 2, "story", "y", "");                             /* step 2 */

	CHECK_INT(pb_position(pb), SIZE_MAX);
	CHECK_INT(pb_nowners(pb), 0); /* before any change */
	struct pb_step s;
	pb_get_step(pb, 0, &s);
	CHECK_INT(s.changes, 2); /* the changes recorded before any step */
	pb_get_step(pb, 1, &s);
	CHECK_INT(s.changes, 2);
	pb_get_step(pb, 2, &s);
	CHECK_INT(s.changes, 0);

	pb_seek(pb, 0);
	CHECK_INT(pb_position(pb), 0);
	CHECK_INT(pb_nowners(pb), 2);
	bool dev = false;
	CHECK_STR(pb_owner(pb, 0, &dev), "bob-phone");
	CHECK(dev);
	CHECK_STR(pb_owner(pb, 1, &dev), "alice@a.test");
	CHECK(!dev);
	CHECK(pb_owner(pb, 2, &dev) == NULL);
	CHECK_INT(pb_nfolders(pb, 0), 2);
	CHECK_STR(pb_folder(pb, 0, 0), "INBOX"); /* INBOX first, even if empty */
	CHECK_STR(pb_folder(pb, 0, 1), "Sent");
	CHECK_INT(pb_nmsgs(pb, 0, 0), 0);
	CHECK_INT(pb_nmsgs(pb, 0, 1), 1);
	CHECK_INT(pb_nfolders(pb, 1), 2);
	CHECK_STR(pb_folder(pb, 1, 1), "Archive");
	struct pb_msg m;
	CHECK(pb_get_msg(pb, 0, 1, 0, &m));
	CHECK_INT(m.changed_at, 0);
	CHECK_STR(m.subject, "pre");
	CHECK_STR(m.from, "Alice <alice@a.test>");
	CHECK_INT(m.content_len, 3);
	CHECK(!pb_get_msg(pb, 0, 1, 1, &m));
	CHECK(!pb_get_msg(pb, 0, 2, 0, &m));
	CHECK(pb_folder(pb, 0, 2) == NULL);

	pb_seek(pb, 1);
	CHECK_INT(pb_nfolders(pb, 0), 3);
	CHECK_STR(pb_folder(pb, 0, 2), "Drafts");
	CHECK_INT(pb_nmsgs(pb, 1, 0), 1);
	CHECK(pb_get_msg(pb, 1, 0, 0, &m));
	CHECK_INT(m.changed_at, 1);

	pb_seek(pb, 1000); /* past the end: the last step */
	CHECK_INT(pb_position(pb), 2);
	pb_seek(pb, SIZE_MAX);
	CHECK_INT(pb_position(pb), SIZE_MAX);
	CHECK_INT(pb_nowners(pb), 0);
	CHECK_INT(pb_nfolders(pb, 0), 0);
	pb_free(pb);
}

/* The rule: a change belongs to the step recorded after it, for the
 * simulation tells a change just before the event that explains it. */
static void test_change_leads_to_next_step(void)
{
	struct playback *pb = pb_new();
	const char *o = "bob@b.test";
	event(pb, 0, "story", "A", "");                      /* step 0 */
	mail(pb, MAIL_ADD, o, false, "INBOX", 1, 0, "X");    /* X */
	event(pb, 1, "smtp", "delivered", "to bob");         /* step 1: says X */
	mail(pb, MAIL_FLAGS, o, false, "INBOX", 1, 1, NULL); /* Y */
	event(pb, 2, "imap", "flagged", "\\Seen");            /* step 2: says Y */
	event(pb, 3, "story", "D", "");                      /* step 3 */

	struct pb_step s;
	CHECK(pb_get_step(pb, 0, &s));
	CHECK_INT(s.changes, 0);
	CHECK(pb_get_step(pb, 1, &s));
	CHECK_INT(s.changes, 1);
	CHECK(pb_get_step(pb, 2, &s));
	CHECK_INT(s.changes, 1);
	CHECK(pb_get_step(pb, 3, &s));
	CHECK_INT(s.changes, 0);

	pb_seek(pb, 0); /* A: X not yet */
	CHECK_INT(pb_nowners(pb), 0);
	pb_seek(pb, 1); /* B: X, changed at B */
	CHECK_INT(pb_nowners(pb), 1);
	CHECK_STR(pb_owner(pb, 0, NULL), o);
	struct pb_msg m;
	CHECK_INT(pb_nmsgs(pb, 0, 0), 1);
	CHECK(pb_get_msg(pb, 0, 0, 0, &m));
	CHECK_STR(m.subject, "X");
	CHECK_INT(m.flags, 0);
	CHECK_INT(m.changed_at, 1);
	pb_seek(pb, 2); /* Y shows with its own step */
	CHECK(pb_get_msg(pb, 0, 0, 0, &m));
	CHECK_INT(m.flags, 1);
	CHECK_INT(m.changed_at, 2);
	pb_seek(pb, 3);
	CHECK(pb_get_msg(pb, 0, 0, 0, &m));
	CHECK_INT(m.changed_at, 2);
	pb_seek(pb, 1); /* back: Y undone, X stays */
	CHECK(pb_get_msg(pb, 0, 0, 0, &m));
	CHECK_INT(m.flags, 0);
	CHECK_INT(m.changed_at, 1);
	pb_seek(pb, 0); /* back to A: X undone too */
	CHECK_INT(pb_nowners(pb), 0);
	pb_seek(pb, SIZE_MAX);
	CHECK_INT(pb_nowners(pb), 0);
	pb_free(pb);
}

/* Changes recorded after the last step belong to the last step. */
static void test_trailing_change_flashes_at_last_step(void)
{
	struct playback *pb = pb_new();
	event(pb, 0, "story", "s0", "");
	event(pb, 1, "story", "s1", "");
	mail(pb, MAIL_ADD, "bob@b.test", false, "INBOX", 7, 0, "late");
	pb_seek(pb, 1);
	struct pb_msg m;
	CHECK(pb_get_msg(pb, 0, 0, 0, &m));
	CHECK_INT(m.changed_at, 1); /* the last step, not one past it */
	pb_free(pb);
}

static void test_trailing_changes(void)
{
	struct playback *pb = pb_new();
	const char *o = "bob@b.test";
	event(pb, 0, "story", "s0", "");
	mail(pb, MAIL_ADD, o, false, "INBOX", 1, 0, "one"); /* step 1's */
	event(pb, 1, "story", "s1", "");
	mail(pb, MAIL_ADD, o, false, "INBOX", 2, 0, "two"); /* after the last step */
	mail(pb, MAIL_ADD, o, false, "Archive", 3, 0, "three");

	struct pb_step s;
	CHECK(pb_get_step(pb, 0, &s));
	CHECK_INT(s.changes, 0);
	CHECK(pb_get_step(pb, 1, &s));
	CHECK_INT(s.changes, 3);
	pb_seek(pb, 0);
	CHECK_INT(pb_nowners(pb), 0);
	pb_seek(pb, 1);
	CHECK_INT(pb_nfolders(pb, 0), 2);
	CHECK_STR(pb_folder(pb, 0, 1), "Archive");
	CHECK_INT(pb_nmsgs(pb, 0, 0), 2);
	CHECK_INT(pb_nmsgs(pb, 0, 1), 1);
	struct pb_msg m;
	CHECK(pb_get_msg(pb, 0, 0, 0, &m));
	CHECK_INT(m.changed_at, 1);
	/* the trailing changes' changed_at is not checked here: see the
	 * report that came with this test (it is pb->nsteps, not the last step) */
	pb_seek(pb, 0);
	CHECK_INT(pb_nowners(pb), 0);
	pb_seek(pb, 1000); /* past the end: the last step, trailing changes and all */
	CHECK_INT(pb_position(pb), 1);
	CHECK_INT(pb_nmsgs(pb, 0, 0), 2);
	CHECK_INT(pb_nmsgs(pb, 0, 1), 1);

	/* recording goes on: the trailing changes now lead to the new step */
	event(pb, 2, "story", "s2", "");
	CHECK(pb_get_step(pb, 1, &s));
	CHECK_INT(s.changes, 1);
	CHECK(pb_get_step(pb, 2, &s));
	CHECK_INT(s.changes, 2);
	pb_seek(pb, 1);
	CHECK_INT(pb_nmsgs(pb, 0, 0), 1);
	CHECK_INT(pb_nfolders(pb, 0), 1); /* Archive not created yet */
	pb_seek(pb, 2);
	CHECK_INT(pb_nmsgs(pb, 0, 0), 2);
	CHECK(pb_get_msg(pb, 0, 0, 1, &m));
	CHECK_STR(m.subject, "two");
	CHECK_INT(m.changed_at, 2);
	CHECK(pb_get_msg(pb, 0, 1, 0, &m));
	CHECK_INT(m.changed_at, 2);
	pb_free(pb);

	/* only changes, no step: nothing to show them at */
	pb = pb_new();
	mail(pb, MAIL_ADD, o, false, "INBOX", 1, 0, "one");
	pb_seek(pb, 0);
	CHECK_INT(pb_position(pb), SIZE_MAX);
	CHECK_INT(pb_nowners(pb), 0);
	event(pb, 0, "story", "s0", ""); /* the first step takes them */
	CHECK(pb_get_step(pb, 0, &s));
	CHECK_INT(s.changes, 1);
	pb_seek(pb, 0);
	CHECK_INT(pb_nmsgs(pb, 0, 0), 1);
	pb_free(pb);
}

static void test_ops_and_undo(void)
{
	struct playback *pb = pb_new();
	const char *o = "bob@b.test";
	/* each step's changes are told just before it */
	mail(pb, MAIL_ADD, o, false, "INBOX", 3, 0, "three");
	mail(pb, MAIL_ADD, o, false, "INBOX", 1, 0, "one");
	event(pb, 0, "story", "s0", "");
	mail(pb, MAIL_ADD, o, false, "INBOX", 2, 0, "two");
	event(pb, 1, "story", "s1", "");
	mail(pb, MAIL_FLAGS, o, false, "INBOX", 2, 1, NULL);
	mail(pb, MAIL_FLAGS, o, false, "INBOX", 9, 1, NULL); /* no such uid: nothing */
	event(pb, 2, "story", "s2", "");
	mail(pb, MAIL_REMOVE, o, false, "INBOX", 1, 0, NULL);
	mail(pb, MAIL_REMOVE, o, false, "INBOX", 8, 0, NULL); /* nothing */
	event(pb, 3, "story", "s3", "");
	mail(pb, MAIL_ADD, o, false, "INBOX", 3, 4, "three again"); /* replaces */
	event(pb, 4, "story", "s4", "");
	mail(pb, MAIL_CLEAR, o, false, "INBOX", 0, 0, NULL);
	event(pb, 5, "story", "s5", "");
	mail(pb, MAIL_ADD, o, false, "INBOX", 7, 0, "seven");
	event(pb, 6, "story", "s6", "");
	event(pb, 7, "story", "s7", "");

	static const char *const want[] = {
		"1:0@0 3:0@0",
		"1:0@0 2:0@1 3:0@0",
		"1:0@0 2:1@2 3:0@0",
		"2:1@2 3:0@0",
		"2:1@2 3:4@4",
		"",
		"7:0@6",
		"7:0@6",
	};
	static const uint32_t nchg[] = { 2, 1, 2, 2, 1, 1, 1, 0 };
	for (size_t i = 0; i < 8; i++) {
		struct pb_step s;
		CHECK(pb_get_step(pb, i, &s));
		CHECK_INT(s.changes, nchg[i]);
		pb_seek(pb, i);
		CHECK_STR(folder_str(pb, 0, 0), want[i]);
	}
	for (size_t i = 8; i-- > 0;) {
		pb_seek(pb, i);
		CHECK_STR(folder_str(pb, 0, 0), want[i]);
	}
	pb_seek(pb, 4);
	struct pb_msg m;
	CHECK(pb_get_msg(pb, 0, 0, 1, &m));
	CHECK_STR(m.subject, "three again");
	pb_seek(pb, 3); /* the replaced entry is back, content and changed_at too */
	CHECK(pb_get_msg(pb, 0, 0, 1, &m));
	CHECK_STR(m.subject, "three");
	CHECK_INT(m.changed_at, 0);
	pb_seek(pb, 1); /* FLAGS undone: flags and changed_at */
	CHECK(pb_get_msg(pb, 0, 0, 1, &m));
	CHECK_INT(m.uid, 2);
	CHECK_INT(m.flags, 0);
	CHECK_INT(m.changed_at, 1);
	pb_seek(pb, 7);
	pb_seek(pb, 2); /* straight back across CLEAR, REMOVE and the replacement */
	CHECK_STR(folder_str(pb, 0, 0), want[2]);
	pb_seek(pb, SIZE_MAX);
	CHECK_INT(pb_nowners(pb), 0);
	pb_free(pb);
}

static void test_pop3_uid0_order(void)
{
	struct playback *pb = pb_new();
	const char *d = "bob-laptop";
	mail(pb, MAIL_ADD, d, true, "INBOX", 0, 0, "first");
	mail(pb, MAIL_ADD, d, true, "INBOX", 0, 0, "second");
	event(pb, 0, "story", "s0", "");
	mail(pb, MAIL_ADD, d, true, "INBOX", 0, 0, "third");
	mail(pb, MAIL_REMOVE, d, true, "INBOX", 0, 0, NULL); /* no uid to name: nothing */
	mail(pb, MAIL_ADD, d, true, "INBOX", 0, 0, "first"); /* same content again */
	event(pb, 1, "story", "s1", "");
	mail(pb, MAIL_CLEAR, d, true, "INBOX", 0, 0, NULL);
	event(pb, 2, "story", "s2", "");
	event(pb, 3, "story", "s3", "");

	pb_seek(pb, 1);
	CHECK_INT(pb_nmsgs(pb, 0, 0), 4);
	static const char *const want[] = { "first", "second", "third", "first" };
	for (size_t i = 0; i < 4; i++) {
		struct pb_msg m;
		CHECK(pb_get_msg(pb, 0, 0, i, &m));
		CHECK_STR(m.subject, want[i]);
		CHECK_INT(m.uid, 0);
	}
	pb_seek(pb, 2); /* the CLEAR comes with step 2 */
	CHECK_INT(pb_nmsgs(pb, 0, 0), 0);
	pb_seek(pb, 0);
	CHECK_INT(pb_nmsgs(pb, 0, 0), 2);
	struct pb_msg m;
	CHECK(pb_get_msg(pb, 0, 0, 1, &m));
	CHECK_STR(m.subject, "second");
	pb_free(pb);
}

/* A random run over a few owners and folders: every position's dump taken
 * walking forward must come back walking backward and jumping. */
static void test_seek_both_ways(void)
{
	static const char *const owners[] = { "a@x.test", "b@x.test", "b-phone", "c-laptop" };
	static const char *const folders[] = { "INBOX", "Sent", "Archive" };
	static const char *const subjects[] = { "lunch?", "re: lunch?", "report", "", "x" };
	enum { STEPS = 400 };
	rng_state = 7;
	struct playback *pb = pb_new();
	uint32_t fed[STEPS] = { 0 }; /* the changes fed before each step (after the previous) */
	mail(pb, MAIL_ADD, "early@x.test", false, "INBOX", 1, 0, "early");
	fed[0] = 1;
	for (int i = 0; i < STEPS; i++) {
		line(pb, i, "c", "s", PROTO_IMAP, DIR_S2C, (uint32_t)(i % 5), "* 1 EXISTS");
		uint32_t n = rng(4);
		fed[i + 1 < STEPS ? i + 1 : STEPS - 1] += n; /* after the last: the last's */
		for (uint32_t k = 0; k < n; k++) {
			uint32_t o = rng(4), f = rng(3), uid = rng(12);
			uint32_t op = rng(10);
			if (o >= 2 && rng(2))
				uid = 0;
			enum trace_mail_op mop = op < 5 ? MAIL_ADD
					       : op < 7 ? MAIL_FLAGS
					       : op < 9 ? MAIL_REMOVE
							: MAIL_CLEAR;
			mail(pb, mop, owners[o], o >= 2, folders[f], uid, rng(64),
			     subjects[rng(5)]);
		}
	}
	struct buf d;
	buf_init(&d);
	char **dumps = calloc(STEPS + 1, sizeof *dumps); /* [0]: before the first step */
	pb_seek(pb, SIZE_MAX);
	dump(pb, &d);
	dumps[0] = xstrdup(d.p ? d.p : "");
	CHECK_STR(dumps[0], "");
	for (size_t i = 0; i < STEPS; i++) {
		pb_seek(pb, i);
		dump(pb, &d);
		dumps[i + 1] = xstrdup(d.p ? d.p : "");
	}
	CHECK(strstr(dumps[1], "early") != NULL);
	int bad = 0;
	for (size_t i = 0; i < STEPS; i++) {
		struct pb_step s;
		pb_get_step(pb, i, &s);
		bad += s.changes != fed[i];
		/* a step that brings no change shows the model of the one before */
		if (fed[i] == 0)
			bad += strcmp(dumps[i + 1], dumps[i]) != 0;
	}
	CHECK_INT(bad, 0);
	for (size_t i = STEPS; i-- > 0;) {
		pb_seek(pb, i);
		dump(pb, &d);
		bad += strcmp(d.p ? d.p : "", dumps[i + 1]) != 0;
	}
	pb_seek(pb, SIZE_MAX);
	dump(pb, &d);
	bad += strcmp(d.p ? d.p : "", dumps[0]) != 0;
	for (int k = 0; k < 2000; k++) {
		uint32_t j = rng(STEPS + 1);
		size_t pos = j == 0 ? SIZE_MAX : j - 1;
		pb_seek(pb, pos);
		CHECK_INT(pb_position(pb), pos);
		dump(pb, &d);
		bad += strcmp(d.p ? d.p : "", dumps[j]) != 0;
	}
	CHECK_INT(bad, 0);
	for (size_t i = 0; i <= STEPS; i++)
		free(dumps[i]);
	free(dumps);
	buf_free(&d);
	pb_free(pb);
}

static void test_robust(void)
{
	struct playback *pb = pb_new();
	pb_sink(pb, NULL);
	pb_sink(NULL, NULL);
	pb_seek(pb, 5); /* no steps */
	CHECK_INT(pb_position(pb), SIZE_MAX);
	struct trace_rec r = { .text = NULL, .text_len = 99 }; /* every string NULL */
	pb_sink(pb, &r);
	struct trace_rec z = { .from = "", .to = "", .text = "", .text_len = 0, .event = "" };
	pb_sink(pb, &z);
	struct trace_rec nul = { .from = "a", .text = "a\0b", .text_len = 3, .proto = PROTO_IMAP,
				 .dir = DIR_S2C, .session = 4 };
	pb_sink(pb, &nul);
	struct trace_mail m = { .op = MAIL_ADD }; /* no owner, no folder, no content */
	struct trace_rec mr = { .mail = &m };
	pb_sink(pb, &mr);
	struct trace_mail bad = { .op = MAIL_FLAGS, .owner = "o", .uid = 3 };
	struct trace_rec br = { .mail = &bad };
	pb_sink(pb, &br);
	CHECK_INT(pb_nsteps(pb), 3);
	struct pb_step s;
	CHECK(pb_get_step(pb, 0, &s));
	CHECK_STR(s.text, "");
	CHECK_INT(s.text_len, 0);
	CHECK(s.from_name == NULL && s.to_name == NULL && s.event == NULL && s.note == NULL);
	CHECK_INT(s.from, PB_NONE);
	CHECK(pb_get_step(pb, 1, &s));
	CHECK_STR(s.event, "");
	CHECK_STR(s.from_name, "");
	CHECK(pb_get_step(pb, 2, &s));
	CHECK_INT(s.text_len, 3);
	CHECK(memcmp(s.text, "a\0b", 3) == 0);
	CHECK_INT(s.changes, 2);
	pb_seek(pb, 2);
	CHECK_INT(pb_nowners(pb), 2);
	CHECK_STR(pb_owner(pb, 0, NULL), "");
	CHECK_STR(pb_folder(pb, 0, 0), "INBOX");
	struct pb_msg msg;
	CHECK(pb_get_msg(pb, 0, 0, 0, &msg));
	CHECK_STR(msg.content, "");
	CHECK_INT(msg.content_len, 0);
	CHECK(msg.from == NULL && msg.subject == NULL);
	CHECK(!pb_get_msg(pb, 0, 0, 0, NULL));
	CHECK(!pb_get_step(pb, 0, NULL));
	pb_seek(pb, SIZE_MAX);
	pb_free(pb);
	pb_free(NULL);

	/* a long line and big content land in their own blocks */
	pb = pb_new();
	size_t big = 3 * 1024 * 1024 + 17;
	char *t = malloc(big);
	memset(t, 'x', big);
	t[big - 1] = 'y';
	struct trace_rec lr = { .from = "a", .text = t, .text_len = big };
	pb_sink(pb, &lr);
	event(pb, 1, "a", "small", "after the big one");
	struct trace_mail bm = { .op = MAIL_ADD, .owner = "o", .uid = 1, .content = t,
				 .content_len = big };
	struct trace_rec bmr = { .mail = &bm };
	pb_sink(pb, &bmr);
	CHECK(pb_get_step(pb, 0, &s));
	CHECK_INT(s.text_len, big);
	CHECK(s.text[big - 1] == 'y' && s.text[big] == '\0');
	CHECK(pb_get_step(pb, 1, &s));
	CHECK_STR(s.text, "after the big one");
	pb_seek(pb, 1);
	CHECK(pb_get_msg(pb, 0, 0, 0, &msg));
	CHECK_INT(msg.content_len, big);
	free(t);
	pb_free(pb);
}

static void test_big_run(void)
{
	enum { STEPS = 200000, CHANGES = 30000 };
	struct playback *pb = pb_new();
	pb_add_host(pb, "mx", true, NULL, NULL);
	pb_add_host(pb, "dev", false, "u0@x.test", "mx");
	char text[64], owner[32];
	size_t added = 0;
	for (int i = 0; i < STEPS; i++) {
		snprintf(text, sizeof text, "%d DATA line %d", i % 7 ? 250 : 354, i % 1000);
		line(pb, i, i % 2 ? "mx" : "dev", i % 2 ? "dev" : "mx", PROTO_SMTP,
		     i % 2 ? DIR_S2C : DIR_C2S, (uint32_t)(i / 20 + 1), text);
		if (i % (STEPS / CHANGES) == 0 && added < CHANGES) {
			snprintf(owner, sizeof owner, "u%zu@x.test", added % 50);
			uint32_t uid = (uint32_t)(added / 50 + 1);
			if (added % 5 == 4)
				mail(pb, MAIL_FLAGS, owner, false, "INBOX", uid - 1, 1, NULL);
			else
				mail(pb, MAIL_ADD, owner, false, "INBOX", uid, 0, "hello");
			added++;
		}
	}
	CHECK_INT(pb_nsteps(pb), STEPS);
	CHECK_INT(added, CHANGES);
	pb_seek(pb, STEPS - 1);
	CHECK_INT(pb_nowners(pb), 50);
	size_t total = 0;
	for (size_t o = 0; o < pb_nowners(pb); o++)
		total += pb_nmsgs(pb, o, 0);
	CHECK_INT(total, CHANGES / 5 * 4);
	pb_seek(pb, SIZE_MAX);
	CHECK_INT(pb_nowners(pb), 0);
	pb_seek(pb, STEPS / 2);
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	dump(pb, &a);
	pb_seek(pb, STEPS - 1);
	pb_seek(pb, 0);
	pb_seek(pb, STEPS / 2);
	dump(pb, &b);
	CHECK(a.len > 0 && strcmp(a.p, b.p) == 0);
	CHECK_INT(pb_session_next(pb, 0), 1);
	CHECK_INT(pb_session_next(pb, 19), SIZE_MAX);
	buf_free(&a);
	buf_free(&b);
	pb_free(pb);
}

/* Live mode: a "connect" from an unknown host adds it as a device of the
 * server it connected to, and earlier steps naming it resolve too; off
 * (play), nothing is added. */
static void connect_ev(struct playback *pb, int64_t t, const char *from, const char *to,
		       uint32_t session)
{
	struct trace_rec r = {
		.t_us = t, .from = from, .to = to, .proto = PROTO_SMTP, .dir = DIR_C2S,
		.event = "connect", .text = "connect to mx port 25",
		.text_len = strlen("connect to mx port 25"), .session = session, .arrive_us = t,
	};
	pb_sink(pb, &r);
}

static void test_live_hosts(void)
{
	struct playback *pb = pb_new();
	pb_add_host(pb, "mx.b.test", true, NULL, NULL);
	pb_add_host(pb, "laptop", false, "bob@b.test", "mx.b.test");
	connect_ev(pb, 0, "127.0.0.1:5000", "mx.b.test", 1);
	CHECK_INT(pb_nhosts(pb), 2); /* not live: unchanged */
	struct pb_step s;
	CHECK(pb_get_step(pb, 0, &s));
	CHECK_INT(s.from, PB_NONE);

	pb_set_live(pb, true);
	connect_ev(pb, 10, "127.0.0.1:5001", "mx.b.test", 2);
	line(pb, 20, "mx.b.test", "127.0.0.1:5001", PROTO_SMTP, DIR_S2C, 2, "220 mx.b.test");
	CHECK_INT(pb_nhosts(pb), 3);
	const struct pb_host *h = pb_host(pb, 2);
	CHECK(h && strcmp(h->name, "127.0.0.1:5001") == 0);
	CHECK(h && !h->server);
	CHECK_INT(h ? h->home : 0, 0);
	CHECK(pb_get_step(pb, 1, &s));
	CHECK_INT(s.from, 2);
	CHECK_INT(s.to, 0);
	CHECK(pb_get_step(pb, 2, &s));
	CHECK_INT(s.from, 0);
	CHECK_INT(s.to, 2);
	/* a second connect of a known host, or a connect between the world's
	 * own hosts, or to no known server, adds nothing */
	connect_ev(pb, 30, "127.0.0.1:5001", "mx.b.test", 3);
	connect_ev(pb, 40, "laptop", "mx.b.test", 4);
	connect_ev(pb, 50, "127.0.0.1:5002", "nowhere", 5);
	event(pb, 60, "127.0.0.1:5003", "refused", "refused");
	CHECK_INT(pb_nhosts(pb), 3);
	/* the first connect, recorded before live mode, resolves now (same name) */
	connect_ev(pb, 70, "127.0.0.1:5000", "mx.b.test", 6);
	CHECK_INT(pb_nhosts(pb), 4);
	CHECK(pb_get_step(pb, 0, &s));
	CHECK_INT(s.from, 3);
	CHECK_INT(pb_nsteps(pb), 8);
	pb_free(pb);
}

/* POP3's marks (MAIL_MARK, MAIL_UNMARK): DELE marks, RSET and a session
 * ended without QUIT unmark, QUIT's UPDATE removes; an IMAP flag change in
 * between keeps the mark; every step back undoes exactly. */
static void test_pop3_marks(void)
{
	struct playback *pb = pb_new();
	const char *o = "bob@b.test";
	mail(pb, MAIL_ADD, o, false, "INBOX", 1, 0, "one");
	mail(pb, MAIL_ADD, o, false, "INBOX", 2, 0, "two");
	event(pb, 0, "story", "s0", "");
	mail(pb, MAIL_MARK, o, false, "INBOX", 1, 0, NULL);
	event(pb, 1, "story", "+OK message 1 deleted", "");
	mail(pb, MAIL_UNMARK, o, false, "INBOX", 1, 0, NULL);
	event(pb, 2, "story", "RSET's +OK", "");
	mail(pb, MAIL_MARK, o, false, "INBOX", 2, 0, NULL);
	event(pb, 3, "story", "+OK message 2 deleted", "");
	mail(pb, MAIL_FLAGS, o, false, "INBOX", 2, 1, NULL); /* \Seen set by IMAP */
	event(pb, 4, "story", "FETCH", "");
	mail(pb, MAIL_UNMARK, o, false, "INBOX", 2, 0, NULL);
	event(pb, 5, "story", "pop3-unmarked", ""); /* dropped: no QUIT */
	mail(pb, MAIL_MARK, o, false, "INBOX", 1, 0, NULL);
	event(pb, 6, "story", "+OK message 1 deleted", "");
	mail(pb, MAIL_REMOVE, o, false, "INBOX", 1, 0, NULL);
	event(pb, 7, "story", "QUIT's +OK", "");
	static const char *const want[] = {
		"1:0@0 2:0@0", "1*:0@1 2:0@0", "1:0@2 2:0@0", "1:0@2 2*:0@3",
		"1:0@2 2*:1@4", "1:0@2 2:1@5", "1*:0@6 2:1@5", "2:1@5",
	};
	for (size_t i = 0; i < 8; i++) {
		pb_seek(pb, i);
		CHECK_STR(folder_str(pb, 0, 0), want[i]);
	}
	for (size_t i = 8; i-- > 0;) {
		pb_seek(pb, i);
		CHECK_STR(folder_str(pb, 0, 0), want[i]);
	}
	pb_seek(pb, 7);
	pb_seek(pb, 1); /* straight back across REMOVE, UNMARK and FLAGS */
	CHECK_STR(folder_str(pb, 0, 0), want[1]); /* the mark is no STORE_FLAG_* */
	pb_seek(pb, 6);
	CHECK_STR(folder_str(pb, 0, 0), want[6]);
	pb_seek(pb, SIZE_MAX);
	CHECK_STR(folder_str(pb, 0, 0), "");
	pb_free(pb);
}

int main(void)
{
	RUN(test_steps_and_fields);
	RUN(test_is_reply_smtp);
	RUN(test_is_reply_pop3);
	RUN(test_is_reply_imap);
	RUN(test_is_note_and_find);
	RUN(test_checks_apart);
	RUN(test_message_blocks);
	RUN(test_filtered_stepping);
	RUN(test_sessions);
	RUN(test_owners_and_folders);
	RUN(test_change_leads_to_next_step);
	RUN(test_trailing_changes);
	RUN(test_trailing_change_flashes_at_last_step);
	RUN(test_ops_and_undo);
	RUN(test_pop3_uid0_order);
	RUN(test_pop3_marks);
	RUN(test_seek_both_ways);
	RUN(test_robust);
	RUN(test_big_run);
	RUN(test_live_hosts);
	RUN(test_auth_results);
	return TEST_END();
}
