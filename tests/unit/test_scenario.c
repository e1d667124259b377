/*
 * test_scenario.c - the .scn parser: trees it builds, errors it reports.
 *
 * Errors are asserted as the exact lines a teacher sees on standard error,
 * "FILE:LINE:COL: error: MESSAGE", captured in a memory stream.
 */
#include "buf.h"
#include "i18n.h"
#include "scenario.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

/* The world of SCENARIOS.md, lines 1 to 8; tests add lines from 9 on. */
#define WORLD                                                                  \
	"domain uea.edu.br server mail.uea.edu.br\n"                           \
	"domain gmail.com  server mx.gmail.com\n"                              \
	"user   alice@uea.edu.br password alice123 name \"Alice Raiol\"\n"     \
	"user   bob@gmail.com    password bob123\n"                            \
	"device alice-laptop owner alice@uea.edu.br\n"                         \
	"device bob-phone    owner bob@gmail.com\n"                            \
	"device bob-laptop   owner bob@gmail.com\n"                            \
	"link   mail.uea.edu.br mx.gmail.com latency 120ms\n"

static char *last_errors;

/* Parse text as "t.scn"; the error output is left in last_errors. */
static int parse(const char *text, struct scenario **out)
{
	char *mem = NULL;
	size_t memlen = 0;
	FILE *errs = open_memstream(&mem, &memlen);
	int n = scn_parse_string("t.scn", text, strlen(text), out, errs);
	fclose(errs);
	free(last_errors);
	last_errors = mem;
	return n;
}

/* The text must fail with exactly these error lines. */
#define CHECK_ERRORS(text, nerr, lines)                                        \
	do {                                                                   \
		struct scenario *s_ = (struct scenario *)1;                    \
		CHECK_INT(parse((text), &s_), (nerr));                         \
		CHECK(s_ == NULL);                                             \
		CHECK_STR(last_errors, (lines));                               \
	} while (0)

/* The text must parse, with no error output. */
static struct scenario *parse_ok(const char *text)
{
	struct scenario *s = NULL;
	int n = parse(text, &s);
	if (n != 0 || !s)
		fprintf(stderr, "unexpected errors:\n%s", last_errors);
	return s;
}

/* ------------------------------------------------------------------ */

static const char full_example[] =
	"title \"POP3 vs IMAP\"\n"
	"about \"Bob reads the same mail on two machines.\"   # may repeat: paragraphs\n"
	"about \"Second paragraph.\"\n"
	"seed 7                                             # randomness (loss); default 1\n"
	"\n"
	"domain uea.edu.br server mail.uea.edu.br\n"
	"domain gmail.com  server mx.gmail.com\n"
	"user   alice@uea.edu.br password alice123 name \"Alice Raiol\"\n"
	"user   bob@gmail.com    password bob123\n"
	"device alice-laptop owner alice@uea.edu.br\n"
	"device bob-phone    owner bob@gmail.com\n"
	"device bob-laptop   owner bob@gmail.com\n"
	"link   mail.uea.edu.br mx.gmail.com latency 120ms\n"
	"link   bob-phone mx.gmail.com bandwidth 56kbps loss 2%\n"
	"\n"
	"send alice-laptop to bob@gmail.com subject \"Teste\" body \"Segue um email de teste.\"\n"
	"send alice-laptop to bob@gmail.com, carol@gmail.com cc dan@uea.edu.br subject \"...\" body \"...\"\n"
	"wait 30s                         # let simulated time pass\n"
	"wait idle                        # until nothing is pending anywhere (queues drained)\n"
	"link mail.uea.edu.br mx.gmail.com down     # and `up`\n"
	"link mail.uea.edu.br mx.gmail.com up\n"
	"server mx.gmail.com down                   # and `up`: refuses connections while down\n"
	"server mx.gmail.com up\n"
	"note \"Look: the message is gone from the server.\"   # shown to the class at that point\n"
	"repeat 1000 send alice-laptop to bob@gmail.com subject \"load {i}\" body \"message {i}\"\n"
	"session alice-laptop mail.uea.edu.br submission   # smtp (25) | submission (587)\n"
	"  > EHLO alice-laptop\n"
	"  > MAIL FROM:<alice@uea.edu.br>\n"
	"  > DATA\n"
	"end\n"
	"\n"
	"expect mailbox bob@gmail.com count 1                 # INBOX on the server\n"
	"expect mailbox bob@gmail.com folder Archive count 2\n"
	"expect mailbox alice@uea.edu.br has subject \"Undelivered Mail Returned to Sender\"\n"
	"expect mailbox bob@gmail.com has from alice@uea.edu.br subject \"Teste\"\n"
	"expect device bob-laptop count 2                     # messages stored on the device itself\n"
	"expect reply 550                                     # some server sent this reply code\n"
	"expect queue mail.uea.edu.br empty\n";

static void test_full_example(void)
{
	struct scenario *s = parse_ok(full_example);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->file, "t.scn");
	CHECK_STR(s->title, "POP3 vs IMAP");
	CHECK_INT(s->nabout, 2);
	CHECK_STR(s->about[0], "Bob reads the same mail on two machines.");
	CHECK_STR(s->about[1], "Second paragraph.");
	CHECK_INT(s->seed, 7);

	CHECK_INT(s->ndomains, 2);
	CHECK_STR(s->domains[0].name, "uea.edu.br");
	CHECK_STR(s->domains[0].server, "mail.uea.edu.br");
	CHECK_INT(s->domains[0].pos.line, 6);
	CHECK_INT(s->domains[0].pos.col, 1);
	CHECK_STR(s->domains[1].server, "mx.gmail.com");

	CHECK_INT(s->nusers, 2);
	CHECK_STR(s->users[0].address, "alice@uea.edu.br");
	CHECK_STR(s->users[0].password, "alice123");
	CHECK_STR(s->users[0].name, "Alice Raiol");
	CHECK_STR(s->users[1].address, "bob@gmail.com");
	CHECK(s->users[1].name == NULL);

	CHECK_INT(s->ndevices, 3);
	CHECK_STR(s->devices[0].name, "alice-laptop");
	CHECK_STR(s->devices[0].owner, "alice@uea.edu.br");
	CHECK_STR(s->devices[2].name, "bob-laptop");

	CHECK_INT(s->nlinks, 2);
	CHECK_STR(s->links[0].a, "mail.uea.edu.br");
	CHECK_STR(s->links[0].b, "mx.gmail.com");
	CHECK_INT(s->links[0].latency_us, 120000);
	CHECK_INT(s->links[0].bandwidth_bps, 0);
	CHECK_INT(s->links[0].loss_ppm, 0);
	CHECK_INT(s->links[1].latency_us, -1);
	CHECK_INT(s->links[1].bandwidth_bps, 56000);
	CHECK_INT(s->links[1].loss_ppm, 20000);
	CHECK_INT(s->nretries, 0);

	CHECK_INT(s->nactions, 11);
	const struct scn_action *a = s->actions;
	CHECK_INT(a[0].kind, SCN_SEND);
	CHECK_INT(a[0].pos.line, 16);
	CHECK_INT(a[0].repeat, 1);
	CHECK_STR(a[0].device, "alice-laptop");
	CHECK_INT(a[0].nto, 1);
	CHECK_STR(a[0].to[0], "bob@gmail.com");
	CHECK_INT(a[0].ncc, 0);
	CHECK_INT(a[0].nbcc, 0);
	CHECK_STR(a[0].subject, "Teste");
	CHECK_STR(a[0].body, "Segue um email de teste.");

	CHECK_INT(a[1].kind, SCN_SEND);
	CHECK_INT(a[1].nto, 2);
	CHECK_STR(a[1].to[0], "bob@gmail.com");
	CHECK_STR(a[1].to[1], "carol@gmail.com");
	CHECK_INT(a[1].ncc, 1);
	CHECK_STR(a[1].cc[0], "dan@uea.edu.br");
	CHECK_STR(a[1].subject, "...");

	CHECK_INT(a[2].kind, SCN_WAIT);
	CHECK_INT(a[2].duration_us, 30000000);
	CHECK_INT(a[3].kind, SCN_WAIT_IDLE);
	CHECK_INT(a[4].kind, SCN_LINK_STATE);
	CHECK_STR(a[4].host_a, "mail.uea.edu.br");
	CHECK_STR(a[4].host_b, "mx.gmail.com");
	CHECK(!a[4].up);
	CHECK_INT(a[5].kind, SCN_LINK_STATE);
	CHECK(a[5].up);
	CHECK_INT(a[6].kind, SCN_SERVER_STATE);
	CHECK_STR(a[6].host_a, "mx.gmail.com");
	CHECK(!a[6].up);
	CHECK(a[7].up);
	CHECK_INT(a[8].kind, SCN_NOTE);
	CHECK_STR(a[8].text, "Look: the message is gone from the server.");

	CHECK_INT(a[9].kind, SCN_SEND);
	CHECK_INT(a[9].repeat, 1000);
	CHECK_INT(a[9].pos.line, 25);
	CHECK_STR(a[9].subject, "load {i}");
	CHECK_STR(a[9].body, "message {i}");

	CHECK_INT(a[10].kind, SCN_SESSION);
	CHECK_STR(a[10].device, "alice-laptop");
	CHECK_STR(a[10].server, "mail.uea.edu.br");
	CHECK_INT(a[10].port, SCN_PORT_SUBMISSION);
	CHECK_INT(a[10].nlines, 3);
	CHECK_STR(a[10].lines[0].text, "EHLO alice-laptop");
	CHECK_INT(a[10].lines[0].pos.line, 27);
	CHECK_INT(a[10].lines[0].pos.col, 3);
	CHECK_STR(a[10].lines[1].text, "MAIL FROM:<alice@uea.edu.br>");
	CHECK_STR(a[10].lines[2].text, "DATA");

	CHECK_INT(s->nchecks, 7);
	const struct scn_check *c = s->checks;
	CHECK_INT(c[0].kind, SCN_EXPECT_MAILBOX_COUNT);
	CHECK_INT(c[0].pos.line, 32);
	CHECK_STR(c[0].source, "expect mailbox bob@gmail.com count 1");
	CHECK_STR(c[0].address, "bob@gmail.com");
	CHECK(c[0].folder == NULL);
	CHECK_INT(c[0].count, 1);

	CHECK_INT(c[1].kind, SCN_EXPECT_MAILBOX_COUNT);
	CHECK_STR(c[1].folder, "Archive");
	CHECK_INT(c[1].count, 2);

	CHECK_INT(c[2].kind, SCN_EXPECT_MAILBOX_HAS);
	CHECK_STR(c[2].address, "alice@uea.edu.br");
	CHECK_STR(c[2].subject, "Undelivered Mail Returned to Sender");
	CHECK(c[2].from == NULL && c[2].to == NULL && c[2].folder == NULL);

	CHECK_INT(c[3].kind, SCN_EXPECT_MAILBOX_HAS);
	CHECK_STR(c[3].from, "alice@uea.edu.br");
	CHECK_STR(c[3].subject, "Teste");

	CHECK_INT(c[4].kind, SCN_EXPECT_DEVICE_COUNT);
	CHECK_STR(c[4].device, "bob-laptop");
	CHECK_INT(c[4].count, 2);
	CHECK_STR(c[4].source, "expect device bob-laptop count 2");

	CHECK_INT(c[5].kind, SCN_EXPECT_REPLY);
	CHECK_INT(c[5].reply_code, 550);
	CHECK(c[5].reply_enh == NULL);

	CHECK_INT(c[6].kind, SCN_EXPECT_QUEUE_EMPTY);
	CHECK_STR(c[6].host, "mail.uea.edu.br");

	CHECK(scn_find_domain(s, "GMAIL.com") == &s->domains[1]);
	CHECK(scn_find_domain(s, "hotmail.com") == NULL);
	CHECK(scn_find_user(s, "bob@Gmail.COM") == &s->users[1]);
	CHECK(scn_find_user(s, "Bob@gmail.com") == NULL);
	CHECK(scn_find_user(s, "carol@gmail.com") == NULL);
	CHECK(scn_find_device(s, "bob-phone") == &s->devices[1]);
	CHECK(scn_find_device(s, "bob-tablet") == NULL);
	CHECK(scn_find_device(s, "Bob-Phone") == &s->devices[1]); /* host names: any case */
	scn_free(s);
}

static void test_defaults_and_empty(void)
{
	struct scenario *s = parse_ok("");
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(s->seed, 1);
		CHECK_INT(s->order, 0);
		CHECK(s->title == NULL);
		CHECK_INT(s->nactions, 0);
		scn_free(s);
	}
	s = parse_ok("# only a comment\n\n   \t\n");
	CHECK(s != NULL);
	scn_free(s);
	s = parse_ok("seed 18446744073709551615\n");
	CHECK(s && s->seed == UINT64_MAX);
	scn_free(s);
	s = parse_ok("title \"x\"\norder 12   # the twelfth lesson\n");
	CHECK(s && s->order == 12);
	scn_free(s);
	s = parse_ok("order 9999\n");
	CHECK(s && s->order == 9999);
	scn_free(s);
	scn_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Lexical rules                                                      */

static void test_strings_and_utf8(void)
{
	struct scenario *s = parse_ok(
		WORLD
		"note \"Olá, ç \\\"quoted\\\" back\\\\slash\\nline two\\tTab\"\n"
		"send alice-laptop to bob@gmail.com subject \"Ação # not a comment\" body \"Olá\"\n"
		"note \"\"\n");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->actions[0].text, "Olá, ç \"quoted\" back\\slash\nline two\tTab");
	CHECK_STR(s->actions[1].subject, "Ação # not a comment");
	CHECK_STR(s->actions[1].body, "Olá");
	CHECK_STR(s->actions[2].text, "");
	scn_free(s);
}

static void test_string_errors(void)
{
	CHECK_ERRORS(WORLD "note \"abc\n", 1,
		     "t.scn:9:6: error: unterminated string (a string ends with \" on the same line)\n");
	CHECK_ERRORS(WORLD "note \"abc\\\n", 1,
		     "t.scn:9:6: error: unterminated string (a string ends with \" on the same line)\n");
	CHECK_ERRORS(WORLD "note \"ab\\qc\"\n", 1,
		     "t.scn:9:9: error: unknown escape '\\q' in a string (use \\\", \\\\, \\n or \\t)\n");
	CHECK_ERRORS(WORLD "note \"ab\\çc\"\n", 1,
		     "t.scn:9:9: error: unknown escape '\\ç' in a string (use \\\", \\\\, \\n or \\t)\n");
}

static void test_comments_crlf_indent(void)
{
	struct scenario *s = parse_ok(
		"# a lesson\r\n"
		"title \"T\" # the title\r\n"
		"domain gmail.com server mx.gmail.com#glued comment\r\n"
		"\tuser bob@gmail.com password \"p#1 x\"\r\n"
		"   device bob-phone owner bob@gmail.com\r\n"
		"\t  expect   mailbox  bob@gmail.com   count 0   # trailing\r\n"
		"wait 1s");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->title, "T");
	CHECK_STR(s->domains[0].server, "mx.gmail.com");
	CHECK_STR(s->users[0].password, "p#1 x");
	CHECK_STR(s->checks[0].source, "expect   mailbox  bob@gmail.com   count 0");
	CHECK_INT(s->checks[0].pos.line, 6);
	CHECK_INT(s->checks[0].pos.col, 4);
	CHECK_INT(s->actions[0].duration_us, 1000000);
	scn_free(s);

	/* a BOM is skipped; columns count from after it */
	s = parse_ok("\xef\xbb\xbfseed 3\n");
	CHECK(s && s->seed == 3);
	scn_free(s);
}

static void test_bad_bytes(void)
{
	static const char nul[] = "seed 1\nti\0tle \"x\"\nseed x\n";
	char *mem = NULL;
	size_t memlen = 0;
	struct scenario *s = (struct scenario *)1;
	FILE *errs = open_memstream(&mem, &memlen);
	CHECK_INT(scn_parse_string("t.scn", nul, sizeof nul - 1, &s, errs), 2);
	fclose(errs);
	CHECK(s == NULL);
	CHECK_STR(mem, "t.scn:2:3: error: NUL byte in the file (is it a text file?)\n"
		       "t.scn:3:6: error: the seed must be a whole number from 0 to "
		       "18446744073709551615, got 'x'\n");
	free(mem);

	CHECK_ERRORS("note \"Ol\xe1\"\n", 1,
		     "t.scn:1:9: error: invalid UTF-8 (byte 0xe1): save the file as UTF-8\n");
	CHECK_ERRORS("note \"\xc0\xaf\"\n", 1, /* overlong */
		     "t.scn:1:7: error: invalid UTF-8 (byte 0xc0): save the file as UTF-8\n");
	CHECK_ERRORS("note \"a\x1b[31m\"\n", 1,
		     "t.scn:1:8: error: control character 0x1b in the file\n");
}

static void test_long_line(void)
{
	size_t n = 200000;
	char *text = xmalloc(n + 64);
	memcpy(text, "note \"", 6);
	memset(text + 6, 'x', n);
	memcpy(text + 6 + n, "\"\nsned\n", 8);
	struct scenario *s = NULL;
	CHECK_INT(parse(text, &s), 1);
	CHECK_STR(last_errors, "t.scn:2:1: error: unknown directive 'sned' (did you mean 'send'?)\n");
	text[6 + n] = 'y'; /* now unterminated, and a huge unknown word */
	memset(text, 'w', 5);
	CHECK_INT(parse(text, &s), 2);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Values                                                             */

static void test_durations(void)
{
	static const struct {
		const char *word;
		int64_t us;
	} table[] = {
		{"250ms", 250000},
		{"2s", 2000000},
		{"1.5s", 1500000},
		{"3m", 180000000},
		{"1h", 3600000000LL},
		{"0.5h", 1800000000LL},
		{"1.25ms", 1250},
		{"10us", 10},
		{"0s", 0},
		{"0.0000001s", 0},
		{"1.123456789s", 1123456},
		{"1.1234567891234s", 1123456},
		{"2562047788h", 2562047788LL * 3600000000LL},
		{"9223372036854775807us", INT64_MAX},
		{"9223372036854775808us", -1},
		{"2562047789h", -1},
		{"99999999999999999999s", -1},
		{"", -1},
		{"5", -1},
		{"s", -1},
		{"-1s", -1},
		{"+1s", -1},
		{"1.s", -1},
		{".5s", -1},
		{"1..5s", -1},
		{"1,5s", -1},
		{"1 s", -1},
		{"1S", -1},
		{"1sec", -1},
		{"abc", -1},
		{"1e3ms", -1},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		int64_t got = scn_parse_duration(table[i].word);
		if (got != table[i].us)
			fprintf(stderr, "duration '%s': got %lld, expected %lld\n", table[i].word,
				(long long)got, (long long)table[i].us);
		CHECK_INT(got, table[i].us);
	}
	CHECK_INT(scn_parse_duration(NULL), -1);

	CHECK_ERRORS(WORLD "wait abc\n", 1,
		     "t.scn:9:6: error: expected a duration like 250ms, 2s or 1.5s, got 'abc'\n");
	CHECK_ERRORS(WORLD "wait 0s\n", 1,
		     "t.scn:9:6: error: the wait must be longer than 0, got '0s'\n");
	CHECK_ERRORS(WORLD "wait\n", 1,
		     "t.scn:9:5: error: expected a duration like 250ms, 2s or 1.5s\n");
	CHECK_ERRORS(WORLD "wait 5s later\n", 1,
		     "t.scn:9:9: error: unexpected 'later' (nothing more is expected on this line)\n");
}

static void test_rates_and_loss(void)
{
	struct scenario *s = parse_ok(
		WORLD
		"link alice-laptop mail.uea.edu.br bandwidth 1Mbps latency 0ms loss 0.5%\n"
		"link bob-laptop mx.gmail.com bandwidth 1.5Gbps loss 100%\n"
		"link bob-phone mx.gmail.com bandwidth 300bps loss 0%\n"
		"link mx.gmail.com alice-laptop bandwidth 2.5kbps loss 0.0001%\n");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(s->nlinks, 5);
	CHECK_INT(s->links[1].bandwidth_bps, 1000000);
	CHECK_INT(s->links[1].latency_us, 0);
	CHECK_INT(s->links[1].loss_ppm, 5000);
	CHECK_INT(s->links[2].bandwidth_bps, 1500000000);
	CHECK_INT(s->links[2].loss_ppm, 1000000);
	CHECK_INT(s->links[3].bandwidth_bps, 300);
	CHECK_INT(s->links[3].loss_ppm, 0);
	CHECK_INT(s->links[4].bandwidth_bps, 2500);
	CHECK_INT(s->links[4].loss_ppm, 1);
	scn_free(s);

	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com bandwidth 1MBps\n", 1,
		     "t.scn:9:39: error: expected a rate like 56kbps, 1Mbps or 1.5Gbps, got '1MBps'\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com bandwidth 0kbps\n", 1,
		     "t.scn:9:39: error: expected a rate like 56kbps, 1Mbps or 1.5Gbps, got '0kbps'\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com loss 150%\n", 1,
		     "t.scn:9:34: error: the loss must be from 0% to 100%, got '150%'\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com loss 2\n", 1,
		     "t.scn:9:34: error: expected a loss like 2% or 0.5%, got '2'\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com loss\n", 1,
		     "t.scn:9:33: error: expected a loss like 2% or 0.5%\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com latency 1s latency 2s\n", 1,
		     "t.scn:9:40: error: 'latency' is given twice\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com latenc 1s\n", 1,
		     "t.scn:9:29: error: unknown link option 'latenc' (did you mean 'latency'?)\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com speed 1s\n", 1,
		     "t.scn:9:29: error: unknown link option 'speed' (expected latency, "
		     "bandwidth, loss or tamper)\n");
}

/* Extension: `tamper "TEXT"`, one line a relay on the link adds to each body. */
static void test_link_tamper(void)
{
	struct scenario *s = parse_ok(WORLD "link bob-phone mx.gmail.com tamper \"PS: pay 666\" "
					    "loss 1%\n");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->links[0].tamper == NULL);
	CHECK_STR(s->links[1].tamper, "PS: pay 666");
	CHECK_INT(s->links[1].loss_ppm, 10000);
	scn_free(s);

	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com tamper\n", 1,
		     "t.scn:9:35: error: expected the line to add, in double quotes\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com tamper PS\n", 1,
		     "t.scn:9:36: error: expected the line to add, in double quotes, got 'PS'\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com tamper \"a\\nb\"\n", 1,
		     "t.scn:9:36: error: the tampered line is one line: it cannot hold \\n\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.gmail.com tamper \"a\" tamper \"b\"\n", 1,
		     "t.scn:9:40: error: 'tamper' is given twice\n");
	char long_line[2048];
	snprintf(long_line, sizeof long_line, WORLD "link bob-phone mx.gmail.com tamper \"%0998d\"\n", 0);
	CHECK_ERRORS(long_line, 1,
		     "t.scn:9:36: error: the tampered line is too long: at most 997 octets\n");
}

/* ------------------------------------------------------------------ */
/* Directives                                                         */

/* `quiz`: before a reply, with choices, or both; every mistake at its column. */
static void test_quiz(void)
{
	struct scenario *s = parse_ok(
		WORLD
		"quiz \"Who answers RCPT TO:<jbob@gmail.com>?\" reply 550\n"
		"quiz \"How many stay?\" choices \"0\" \"1\" \"2\" answer 1\n"
		"quiz \"Which?\" choices \"a\" \"b\" answer 2 reply +OK\n"
		"quiz \"e\" reply 5.1.1\n"
		"quiz \"f\" reply -ERR\n"
		"quiz \"g\" reply NO\n"
		"quiz \"h\" reply +\n");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(s->nactions, 7);
	const struct scn_action *a = &s->actions[0];
	CHECK_INT(a->kind, SCN_QUIZ);
	CHECK_STR(a->text, "Who answers RCPT TO:<jbob@gmail.com>?");
	CHECK_STR(a->reply, "550");
	CHECK_INT(a->nchoices, 0);
	a = &s->actions[1];
	CHECK(a->reply == NULL);
	CHECK_INT(a->nchoices, 3);
	CHECK_STR(a->choices[2], "2");
	CHECK_INT(a->answer, 1);
	a = &s->actions[2];
	CHECK_STR(a->reply, "+OK");
	CHECK_INT(a->answer, 2);
	CHECK_STR(s->actions[3].reply, "5.1.1");
	CHECK_STR(s->actions[6].reply, "+");
	scn_free(s);

	CHECK_ERRORS(WORLD "quiz\n", 1,
		     "t.scn:9:5: error: expected the question in double quotes\n");
	CHECK_ERRORS(WORLD "quiz \"\" reply 550\n", 1,
		     "t.scn:9:6: error: the question cannot be empty\n");
	CHECK_ERRORS(WORLD "quiz \"q\"\n", 1,
		     "t.scn:9:1: error: a quiz needs 'reply CODE' (asked before that reply), "
		     "'choices \"...\" \"...\" answer N', or both\n");
	CHECK_ERRORS(WORLD "quiz \"q\" reply 650\n", 1,
		     "t.scn:9:16: error: expected a reply code (550, 5.1.1, +OK, -ERR, OK, NO, "
		     "BAD or +), got '650'\n");
	CHECK_ERRORS(WORLD "quiz \"q\" reply\n", 1,
		     "t.scn:9:15: error: expected a reply code (550, 5.1.1, +OK, -ERR, OK, NO, "
		     "BAD or +)\n");
	CHECK_ERRORS(WORLD "quiz \"q\" reply 550 reply 250\n", 1,
		     "t.scn:9:20: error: 'reply' given twice\n");
	CHECK_ERRORS(WORLD "quiz \"q\" answer 2\n", 1,
		     "t.scn:9:10: error: expected 'reply' or 'choices', got 'answer'\n");
	CHECK_ERRORS(WORLD "quiz \"q\" reply 550 extra\n", 1,
		     "t.scn:9:20: error: expected 'reply' or 'choices' or the end of the line, "
		     "got 'extra'\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"a\" answer 1\n", 1,
		     "t.scn:9:10: error: a quiz has at least 2 choices, each in double quotes\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices a b answer 1\n", 1,
		     "t.scn:9:18: error: expected a choice in double quotes, got 'a'\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"a\" \"\" answer 1\n", 1,
		     "t.scn:9:22: error: a choice cannot be empty\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"1\" \"2\" \"3\" \"4\" \"5\" \"6\" \"7\" answer 1\n",
		     1, "t.scn:9:42: error: a quiz has at most 6 choices\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"a\" \"b\"\n", 1,
		     "t.scn:9:25: error: expected another choice in double quotes or 'answer N'\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"a\" \"b\" answer 3\n", 1,
		     "t.scn:9:33: error: the number of the right choice must be a whole number "
		     "from 1 to 2, got '3'\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"a\" \"b\" answer\n", 1,
		     "t.scn:9:32: error: expected the number of the right choice\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"a\" \"b\" answer 1 choices \"c\" \"d\" answer 1\n",
		     1, "t.scn:9:35: error: 'choices' given twice\n");
	CHECK_ERRORS(WORLD "repeat 2 quiz \"q\" reply 550\n", 1,
		     "t.scn:9:10: error: repeat cannot repeat 'quiz' (it repeats send, pop3, imap, "
		     "wait, link ... up|down, server or note)\n");
}

static void test_send_forms(void)
{
	struct scenario *s = parse_ok(
		WORLD
		"send alice-laptop to a@x.com,b@y.com , c@z.com, d@w.com bcc e@v.com "
		"body \"b\" cc f@u.com subject \"s\"\n"
		"send bob-phone subject \"s\" body \"b\" to nobody@nowhere.example\n");
	CHECK(s != NULL);
	if (!s)
		return;
	const struct scn_action *a = &s->actions[0];
	CHECK_INT(a->nto, 4);
	CHECK_STR(a->to[0], "a@x.com");
	CHECK_STR(a->to[1], "b@y.com");
	CHECK_STR(a->to[2], "c@z.com");
	CHECK_STR(a->to[3], "d@w.com");
	CHECK_INT(a->nbcc, 1);
	CHECK_STR(a->bcc[0], "e@v.com");
	CHECK_INT(a->ncc, 1);
	CHECK_STR(a->cc[0], "f@u.com");
	CHECK_STR(a->subject, "s");
	CHECK_STR(a->body, "b");
	CHECK_STR(s->actions[1].to[0], "nobody@nowhere.example");
	scn_free(s);

	CHECK_ERRORS(WORLD "send alice-laptop to bob@gmail.com body \"b\"\n", 1,
		     "t.scn:9:1: error: send needs a subject: add subject \"...\"\n");
	CHECK_ERRORS(WORLD "send alice-laptop subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:1: error: send needs 'to' and at least one address\n");
	CHECK_ERRORS(WORLD "send alice-laptop to bob@gmail.com subject \"s\"\n", 1,
		     "t.scn:9:1: error: send needs a body: add body \"...\"\n");
	CHECK_ERRORS(WORLD "send alice-laptop to bob subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:22: error: 'bob' is not an address (expected local@domain)\n");
	CHECK_ERRORS(WORLD "send alice-laptop to a@x.com,bob subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:30: error: 'bob' is not an address (expected local@domain)\n");
	CHECK_ERRORS(WORLD "send alice-laptop to a@x.com b@y.com subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:30: error: missing ',' before 'b@y.com' (separate addresses "
		     "with commas)\n");
	CHECK_ERRORS(WORLD "send alice-laptop to a@x.com, subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:31: error: expected an address after ',', got 'subject'\n");
	CHECK_ERRORS(WORLD "send alice-laptop to a@x.com,,b@y.com subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:30: error: expected an address before ','\n");
	CHECK_ERRORS(WORLD "send alice-laptop to subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:22: error: expected an address (local@domain), got 'subject'\n");
	CHECK_ERRORS(WORLD "send alice-laptop to a@x.com subjet \"s\" body \"b\"\n", 1,
		     "t.scn:9:30: error: unknown send keyword 'subjet' (did you mean 'subject'?)\n");
	CHECK_ERRORS(WORLD "send alice-laptop to a@x.com subject s body \"b\"\n", 1,
		     "t.scn:9:38: error: expected the subject in double quotes, got 's'\n");
	CHECK_ERRORS(WORLD "send alice-laptop to a@x.com subject \"a\\nb\" body \"b\"\n", 1,
		     "t.scn:9:38: error: a subject is one line: it cannot hold \\n\n");
	CHECK_ERRORS(WORLD "send alice-laptop to a@x.com to b@x.com subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:30: error: 'to' is given twice\n");
	CHECK_ERRORS(WORLD "send to a@x.com subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:6: error: expected a device name, got 'to'\n");
}

static void test_world_errors(void)
{
	CHECK_ERRORS(WORLD "user carol@hotmail.com password x\n", 1,
		     "t.scn:9:6: error: 'carol@hotmail.com' is not in a declared domain "
		     "(declare it with 'domain hotmail.com server ...')\n");
	CHECK_ERRORS(WORLD "user bob@gmail.com password x\n", 1,
		     "t.scn:9:6: error: duplicate user 'bob@gmail.com' (first declared on line 4)\n");
	CHECK_ERRORS(WORLD "device bob-phone owner bob@gmail.com\n", 1,
		     "t.scn:9:8: error: duplicate device 'bob-phone' (first declared on line 6)\n");
	CHECK_ERRORS(WORLD "domain gmail.com server mx2.gmail.com\n", 1,
		     "t.scn:9:8: error: duplicate domain 'gmail.com' (first declared on line 2)\n");
	CHECK_ERRORS(WORLD "device Bob-Phone owner bob@gmail.com\n", 1,
		     "t.scn:9:8: error: duplicate device 'Bob-Phone' (first declared on line 6)\n");
	CHECK_ERRORS(WORLD "device MX.gmail.com owner bob@gmail.com\n", 1,
		     "t.scn:9:8: error: a device and a server cannot share the name 'MX.gmail.com'\n");
	CHECK_ERRORS(WORLD "device mx.gmail.com owner bob@gmail.com\n", 1,
		     "t.scn:9:8: error: a device and a server cannot share the name 'mx.gmail.com'\n");
	CHECK_ERRORS(WORLD "device carol-pc owner carol@gmail.com\n", 1,
		     "t.scn:9:23: error: device owner 'carol@gmail.com' is not a declared user "
		     "(declare it with 'user carol@gmail.com password ...')\n");
	CHECK_ERRORS(WORLD "device carol-pc owner carol@hotmail.com\n", 1,
		     "t.scn:9:23: error: 'carol@hotmail.com' is not in a declared domain "
		     "(declare it with 'domain hotmail.com server ...')\n");
	CHECK_ERRORS(WORLD "device carol-pc owner carol\n", 1,
		     "t.scn:9:23: error: 'carol' is not an address (expected local@domain)\n");
	CHECK_ERRORS(WORLD "device bob@pc owner bob@gmail.com\n", 1,
		     "t.scn:9:8: error: 'bob@pc' is not a valid device name (use letters, "
		     "digits, '-', '_' and '.')\n");
	CHECK_ERRORS(WORLD "link bob-phone mx.hotmail.com\n", 1,
		     "t.scn:9:16: error: unknown host 'mx.hotmail.com' (a link joins declared "
		     "devices and servers)\n");
	CHECK_ERRORS(WORLD "link bob-phone bob-phone\n", 1,
		     "t.scn:9:16: error: a link joins two different hosts, got 'bob-phone' twice\n");
	CHECK_ERRORS(WORLD "link mx.gmail.com mail.uea.edu.br latency 5ms\n", 1,
		     "t.scn:9:6: error: duplicate link between 'mx.gmail.com' and "
		     "'mail.uea.edu.br' (first declared on line 8)\n");
	CHECK_ERRORS(WORLD "domain gmail..com server x\n", 1,
		     "t.scn:9:8: error: 'gmail..com' is not a valid domain name\n");
	CHECK_ERRORS(WORLD "domain x.com server -bad\n", 1,
		     "t.scn:9:21: error: '-bad' is not a valid host name\n");
	CHECK_ERRORS(WORLD "domain x.com mx.x.com\n", 1,
		     "t.scn:9:14: error: expected 'server', got 'mx.x.com'\n");
	CHECK_ERRORS(WORLD "user carol@gmail.com\n", 1,
		     "t.scn:9:21: error: expected 'password' (a user needs a password to log in)\n");
	CHECK_ERRORS(WORLD "user carol@gmail.com password \"\"\n", 1,
		     "t.scn:9:31: error: the password cannot be empty\n");
	CHECK_ERRORS(WORLD "user carol@gmail.com password x nmae \"C\"\n", 1,
		     "t.scn:9:33: error: unknown user option 'nmae' (did you mean 'name'?)\n");
	CHECK_ERRORS("title \"a\"\ntitle \"b\"\n", 1,
		     "t.scn:2:1: error: duplicate title (the title is given on line 1)\n");
	CHECK_ERRORS("seed 1\nseed 2\n", 1,
		     "t.scn:2:1: error: duplicate seed (the seed is given on line 1)\n");
	CHECK_ERRORS("order 1\norder 2\n", 1,
		     "t.scn:2:1: error: duplicate order (the order is given on line 1)\n");
	CHECK_ERRORS("order\n", 1,
		     "t.scn:1:6: error: expected the lesson's place in the menu (a whole number)\n");
	CHECK_ERRORS("order 0\n", 1,
		     "t.scn:1:7: error: the order (the lesson's place in the menu) must be a "
		     "whole number from 1 to 9999, got '0'\n");
	CHECK_ERRORS("order 10000\n", 1,
		     "t.scn:1:7: error: the order (the lesson's place in the menu) must be a "
		     "whole number from 1 to 9999, got '10000'\n");
	CHECK_ERRORS("order 99999999999999999999\n", 1,
		     "t.scn:1:7: error: the order (the lesson's place in the menu) must be a "
		     "whole number from 1 to 9999, got '99999999999999999999'\n");
	CHECK_ERRORS("order 2x\n", 1,
		     "t.scn:1:7: error: the order (the lesson's place in the menu) must be a "
		     "whole number from 1 to 9999, got '2x'\n");
	CHECK_ERRORS("about\n", 1, "t.scn:1:6: error: expected a paragraph in double quotes\n");
	CHECK_ERRORS("title a\n", 1, "t.scn:1:7: error: expected the title in double quotes, got 'a'\n");
	CHECK_ERRORS("seed -1\n", 1,
		     "t.scn:1:6: error: the seed must be a whole number from 0 to "
		     "18446744073709551615, got '-1'\n");
	CHECK_ERRORS("seed 18446744073709551616\n", 1,
		     "t.scn:1:6: error: the seed must be a whole number from 0 to "
		     "18446744073709551615, got '18446744073709551616'\n");

	/* a password may be a string; a name is optional; options in any order */
	struct scenario *s = parse_ok("domain x.com server mx.x.com\n"
				      "user a@x.com name \"A\" password \"two words\"\n"
				      "user b@X.COM password b\n");
	CHECK(s != NULL);
	if (s) {
		CHECK_STR(s->users[0].password, "two words");
		CHECK_STR(s->users[0].name, "A");
		scn_free(s);
	}
	/* one server may serve several domains */
	s = parse_ok("domain a.com server mx.shared.net\ndomain b.com server mx.shared.net\n"
		     "user u@a.com password p\nuser u@b.com password p\n"
		     "expect queue mx.shared.net count 0\n");
	CHECK(s && s->ndomains == 2 && s->checks[0].kind == SCN_EXPECT_QUEUE_COUNT &&
	      s->checks[0].count == 0);
	scn_free(s);
}

static void test_story_errors(void)
{
	CHECK_ERRORS(WORLD "sned alice-laptop to bob@gmail.com subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:1: error: unknown directive 'sned' (did you mean 'send'?)\n");
	CHECK_ERRORS(WORLD "frobnicate\n", 1,
		     "t.scn:9:1: error: unknown directive 'frobnicate' (expected title, about, "
		     "seed, order, domain, user, device, link, retry, tls, mail, dkim, txt, verify, send, pop3, "
		     "imap, wait, server, "
		     "note, quiz, repeat, session, expect, exercise, task or hint)\n");
	CHECK_ERRORS(WORLD "send bob-tablet to bob@gmail.com subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:6: error: unknown device 'bob-tablet'\n");
	CHECK_ERRORS(WORLD "send bob-phon to bob@gmail.com subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:6: error: unknown device 'bob-phon' (did you mean 'bob-phone'?)\n");
	CHECK_ERRORS(WORLD "send mx.gmail.com to bob@gmail.com subject \"s\" body \"b\"\n", 1,
		     "t.scn:9:6: error: 'mx.gmail.com' is a server, not a device\n");
	CHECK_ERRORS(WORLD "server bob-phone down\n", 1,
		     "t.scn:9:8: error: 'bob-phone' is a device, not a server\n");
	CHECK_ERRORS(WORLD "server mx.hotmail.com down\n", 1,
		     "t.scn:9:8: error: unknown server 'mx.hotmail.com'\n");
	CHECK_ERRORS(WORLD "server mx.gmail.com sideways\n", 1,
		     "t.scn:9:21: error: expected 'up' or 'down', got 'sideways'\n");
	CHECK_ERRORS(WORLD "link mx.gmail.com nowhere down\n", 1,
		     "t.scn:9:19: error: unknown host 'nowhere' (a link joins declared devices "
		     "and servers)\n");
	CHECK_ERRORS(WORLD "link bob-phone mail.uea.edu.br down\n", 1,
		     "t.scn:9:6: error: there is no link between 'bob-phone' and "
		     "'mail.uea.edu.br' (declare one with 'link bob-phone mail.uea.edu.br')\n");
	CHECK_ERRORS(WORLD "note hello\n", 1,
		     "t.scn:9:6: error: expected the note in double quotes, got 'hello'\n");
	CHECK_ERRORS(WORLD "end\n", 1, "t.scn:9:1: error: 'end' without a session\n");
	CHECK_ERRORS(WORLD "> EHLO x\n", 1,
		     "t.scn:9:1: error: '>' line outside a session block (start one with "
		     "'session DEVICE SERVER PORT')\n");
	CHECK_ERRORS(WORLD "\"send\"\n", 1, "t.scn:9:1: error: expected a directive, got a string\n");

	/* default links: device to its own server, servers among themselves */
	struct scenario *s = parse_ok(WORLD "link bob-phone mx.gmail.com down\n"
					    "link mx.gmail.com bob-phone up\n"
					    "link mx.gmail.com mail.uea.edu.br down\n");
	CHECK(s && s->nactions == 3);
	scn_free(s);
}

static void test_session(void)
{
	struct scenario *s = parse_ok(
		WORLD
		"session alice-laptop mx.gmail.com smtp\n"
		"> HELO  two  spaces  \n"
		"  >no space # not a comment \"quote\\n\n"
		"\n"
		"  # a comment between lines\n"
		"\t>\n"
		">  \n"
		"  end   # done\n"
		"wait 1s\n"
		"session bob-phone mx.gmail.com submission\n"
		"end\n");
	CHECK(s != NULL);
	if (!s)
		return;
	const struct scn_action *a = &s->actions[0];
	CHECK_INT(a->kind, SCN_SESSION);
	CHECK_INT(a->port, SCN_PORT_SMTP);
	CHECK_INT(a->pos.line, 9);
	CHECK_INT(a->nlines, 4);
	CHECK_STR(a->lines[0].text, "HELO  two  spaces  ");
	CHECK_STR(a->lines[1].text, "no space # not a comment \"quote\\n");
	CHECK_INT(a->lines[1].pos.line, 11);
	CHECK_INT(a->lines[1].pos.col, 3);
	CHECK_STR(a->lines[2].text, "");
	CHECK_STR(a->lines[3].text, " ");
	CHECK_INT(s->actions[1].kind, SCN_WAIT);
	CHECK_INT(s->actions[2].kind, SCN_SESSION);
	CHECK_INT(s->actions[2].nlines, 0);
	scn_free(s);

	/* CRLF: the CR is not part of the text */
	s = parse_ok(WORLD "session alice-laptop mail.uea.edu.br smtp\r\n> QUIT\r\nend\r\n");
	CHECK(s && strcmp(s->actions[0].lines[0].text, "QUIT") == 0);
	scn_free(s);

	/* missing end: one error at the session, then the next line is a directive */
	CHECK_ERRORS(WORLD "session alice-laptop mail.uea.edu.br smtp\n"
			   "> HELO x\n"
			   "wait 1s\n"
			   "sned\n",
		     2,
		     "t.scn:9:1: error: session has no 'end' line (a session is '>' lines, then "
		     "'end')\n"
		     "t.scn:12:1: error: unknown directive 'sned' (did you mean 'send'?)\n");
	CHECK_ERRORS(WORLD "session alice-laptop mail.uea.edu.br smtp\n> HELO x\n", 1,
		     "t.scn:9:1: error: session has no 'end' line (a session is '>' lines, then "
		     "'end')\n");
	CHECK_ERRORS(WORLD "session alice-laptop mail.uea.edu.br telnet\n> HELO x\nend\n", 1,
		     "t.scn:9:38: error: unknown port 'telnet' (expected smtp, submission, pop3 "
		     "or imap)\n");
	CHECK_ERRORS(WORLD "session alice-laptop mail.uea.edu.br smpt\n> HELO x\nend\n", 1,
		     "t.scn:9:38: error: unknown port 'smpt' (did you mean 'smtp'?)\n");
	CHECK_ERRORS(WORLD "session alice-laptop bob-phone smtp\nend\n", 1,
		     "t.scn:9:22: error: 'bob-phone' is a device, not a server\n");
	CHECK_ERRORS(WORLD "session bob-tablet mx.gmail.com pop3\n> USER bob\nend\n", 1,
		     "t.scn:9:9: error: unknown device 'bob-tablet'\n");
	/* an IMAP literal whose octets the lines after it do not give */
	CHECK_ERRORS(WORLD "session bob-phone mx.gmail.com imap\n> a LOGIN b c\n"
			   "> b APPEND INBOX {100}\n> short\nend\n", 1,
		     "t.scn:11:1: error: the literal announced here needs 93 more octets than the "
		     "lines after it give (each '>' line counts with its CRLF)\n");
	struct scenario *lit = parse_ok(WORLD "session bob-phone mx.gmail.com imap\n"
					      "> b APPEND INBOX {7}\n> short\n>\nend\n");
	CHECK(lit != NULL);
	scn_free(lit);
	/* a header that does not lex still swallows its block */
	CHECK_ERRORS(WORLD "session \"bob-phone mx.gmail.com smtp\n> HELO\nend\n", 1,
		     "t.scn:9:9: error: unterminated string (a string ends with \" on the same "
		     "line)\n");
}

static void test_repeat(void)
{
	struct scenario *s = parse_ok(WORLD "repeat 1 wait 1s\n"
					    "repeat 1000000 note \"n {i}\"\n"
					    "repeat 3 wait idle\n"
					    "repeat 2 link bob-phone mx.gmail.com down\n");
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(s->actions[0].repeat, 1);
		CHECK_INT(s->actions[1].repeat, 1000000);
		CHECK_STR(s->actions[1].text, "n {i}");
		CHECK_INT(s->actions[2].kind, SCN_WAIT_IDLE);
		CHECK_INT(s->actions[2].repeat, 3);
		CHECK_INT(s->actions[3].kind, SCN_LINK_STATE);
		CHECK_INT(s->actions[3].pos.col, 1);
		scn_free(s);
	}
	CHECK_ERRORS(WORLD "repeat 0 wait 1s\n", 1,
		     "t.scn:9:8: error: the repeat count must be a whole number from 1 to "
		     "1000000, got '0'\n");
	CHECK_ERRORS(WORLD "repeat 1000001 wait 1s\n", 1,
		     "t.scn:9:8: error: the repeat count must be a whole number from 1 to "
		     "1000000, got '1000001'\n");
	CHECK_ERRORS(WORLD "repeat 99999999999999999999999 wait 1s\n", 1,
		     "t.scn:9:8: error: the repeat count must be a whole number from 1 to "
		     "1000000, got '99999999999999999999999'\n");
	CHECK_ERRORS(WORLD "repeat 2 repeat 2 wait 1s\n", 1,
		     "t.scn:9:10: error: repeat cannot repeat 'repeat' (it repeats send, pop3, "
		     "imap, wait, link ... up|down, server or note)\n");
	CHECK_ERRORS(WORLD "repeat 2 domain a.com server b.com\n", 1,
		     "t.scn:9:10: error: repeat cannot repeat 'domain' (it repeats send, pop3, "
		     "imap, wait, link ... up|down, server or note)\n");
	CHECK_ERRORS(WORLD "repeat 2 session bob-phone mx.gmail.com smtp\n> NOOP\nend\nwait 1s\n", 1,
		     "t.scn:9:10: error: repeat cannot repeat a session block\n");
	CHECK_ERRORS(WORLD "repeat 2 wiat 1s\n", 1,
		     "t.scn:9:10: error: unknown directive 'wiat' (did you mean 'wait'?)\n");
	CHECK_ERRORS(WORLD "repeat 2\n", 1, "t.scn:9:9: error: expected an action to repeat\n");
	CHECK_ERRORS(WORLD "repeat 2 link bob-phone mx.gmail.com latency 5ms\n", 1,
		     "t.scn:9:38: error: expected 'up' or 'down', got 'latency'\n");
	struct scenario *p3 = parse_ok(WORLD "repeat 5 pop3 bob-phone fetch keep\n");
	CHECK(p3 != NULL);
	if (p3) {
		CHECK_INT(p3->actions[0].kind, SCN_POP3_FETCH);
		CHECK_INT(p3->actions[0].repeat, 5);
		CHECK(p3->actions[0].keep);
		scn_free(p3);
	}
}

static void test_pop3_and_imap_actions(void)
{
	/* every POP3 and IMAP action of SCENARIOS.md parses into its tree */
	static const char *const lines[] = {
		"pop3 bob-laptop fetch\n",
		"pop3 bob-laptop fetch keep\n",
		"imap bob-laptop sync\n",
		"imap bob-phone open\n",
		"imap bob-laptop read 1\n",
		"imap bob-laptop flag 1 \\Flagged\n",
		"imap bob-laptop create Archive\n",
		"imap bob-laptop move 1 Archive\n",
		"imap bob-laptop delete 1\n",
		"imap bob-phone close\n",
		"imap bob-laptop flag 2 \\flagged   # any case\n",
		"imap bob-laptop flag 2 $Label1\n",
		"imap bob-laptop move 3 \"Sent Items\"\n",
		"imap  bob-laptop create \"Caixa de saída\"\n",
	};
	static const enum scn_action_kind kinds[] = {
		SCN_POP3_FETCH, SCN_POP3_FETCH, SCN_IMAP_SYNC, SCN_IMAP_OPEN, SCN_IMAP_READ,
		SCN_IMAP_FLAG, SCN_IMAP_CREATE, SCN_IMAP_MOVE, SCN_IMAP_DELETE, SCN_IMAP_CLOSE,
		SCN_IMAP_FLAG, SCN_IMAP_FLAG, SCN_IMAP_MOVE, SCN_IMAP_CREATE,
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		char text[1024];
		snprintf(text, sizeof text, "%s%s", WORLD, lines[i]);
		struct scenario *sc = parse_ok(text);
		CHECK(sc != NULL);
		if (!sc)
			continue;
		CHECK_INT(sc->actions[0].kind, kinds[i]);
		switch (i) {
		case 1:
			CHECK(sc->actions[0].keep);
			break;
		case 5:
			CHECK_INT(sc->actions[0].msgno, 1);
			CHECK_STR(sc->actions[0].flag, "\\Flagged");
			break;
		case 10:
			CHECK_STR(sc->actions[0].flag, "\\Flagged");
			break;
		case 11:
			CHECK_STR(sc->actions[0].flag, "$Label1");
			break;
		case 12:
			CHECK_INT(sc->actions[0].msgno, 3);
			CHECK_STR(sc->actions[0].folder, "Sent Items");
			break;
		case 13:
			CHECK_STR(sc->actions[0].folder, "Caixa de saída");
			break;
		}
		scn_free(sc);
	}
	/* a syntax error inside one is reported as such, and only it */
	CHECK_ERRORS(WORLD "pop3 bob-laptop fecth\n", 1,
		     "t.scn:9:17: error: expected 'fetch', got 'fecth'\n");
	CHECK_ERRORS(WORLD "pop3 bob-laptop\n", 1, "t.scn:9:16: error: expected 'fetch'\n");
	CHECK_ERRORS(WORLD "pop3 bob-laptop fetch kepp\n", 1,
		     "t.scn:9:23: error: expected 'keep' or the end of the line, got 'kepp'\n");
	CHECK_ERRORS(WORLD "imap bob-laptop snyc\n", 1,
		     "t.scn:9:17: error: unknown imap command 'snyc' (did you mean 'sync'?)\n");
	CHECK_ERRORS(WORLD "imap bob-laptop read 0\n", 1,
		     "t.scn:9:22: error: a message number must be a whole number from 1 to "
		     "1000000000, got '0'\n");
	CHECK_ERRORS(WORLD "imap bob-laptop flag 1 \\Shiny\n", 1,
		     "t.scn:9:24: error: unknown flag '\\Shiny' (expected \\Seen, \\Answered, "
		     "\\Flagged, \\Deleted, \\Draft or a keyword like $Label1)\n");
	CHECK_ERRORS(WORLD "imap bob-laptop move 1\n", 1,
		     "t.scn:9:23: error: expected a folder name\n");
	CHECK_ERRORS(WORLD "imap bob-tablet sync\n", 1,
		     "t.scn:9:6: error: unknown device 'bob-tablet'\n");
	CHECK_ERRORS(WORLD "pop3 bob-tablet fetch\n", 1,
		     "t.scn:9:6: error: unknown device 'bob-tablet'\n");
}

static void test_checks(void)
{
	struct scenario *s = parse_ok(
		WORLD
		"expect mailbox bob@gmail.com folder \"Sent Items\" has to carol@x.com from alice@uea.edu.br\n"
		"expect reply 5.1.1\n"
		"expect reply 200\n"
		"expect reply 4.7.0\n"
		"expect queue mx.gmail.com count 3   # extension\n"
		"expect mailbox bob@gmail.com has subject \"x\" flag \\seen   # extension\n"
		"expect device bob-phone has flag $Label1 from alice@uea.edu.br   # extension\n");
	CHECK(s != NULL);
	if (!s)
		return;
	const struct scn_check *c = s->checks;
	CHECK_INT(c[0].kind, SCN_EXPECT_MAILBOX_HAS);
	CHECK_STR(c[0].folder, "Sent Items");
	CHECK_STR(c[0].to, "carol@x.com");
	CHECK_STR(c[0].from, "alice@uea.edu.br");
	CHECK(c[0].subject == NULL);
	CHECK_INT(c[1].reply_code, 0);
	CHECK_STR(c[1].reply_enh, "5.1.1");
	CHECK_INT(c[2].reply_code, 200);
	CHECK_STR(c[3].reply_enh, "4.7.0");
	CHECK_INT(c[4].kind, SCN_EXPECT_QUEUE_COUNT);
	CHECK_INT(c[4].count, 3);
	CHECK_STR(c[4].source, "expect queue mx.gmail.com count 3");
	CHECK_INT(c[5].kind, SCN_EXPECT_MAILBOX_HAS);
	CHECK_STR(c[5].flag, "\\Seen");
	CHECK_STR(c[5].subject, "x");
	CHECK_INT(c[6].kind, SCN_EXPECT_DEVICE_HAS);
	CHECK_STR(c[6].device, "bob-phone");
	CHECK_STR(c[6].flag, "$Label1");
	CHECK_STR(c[6].from, "alice@uea.edu.br");
	scn_free(s);
	CHECK_ERRORS(WORLD "expect device bob-phone has flag \\Shiny\n", 1,
		     "t.scn:9:34: error: unknown flag '\\Shiny' (expected \\Seen, \\Answered, "
		     "\\Flagged, \\Deleted, \\Draft or a keyword like $Label1)\n");
	CHECK_ERRORS(WORLD "expect device bob-phone has\n", 1,
		     "t.scn:9:28: error: expected from, to, subject or flag after 'has'\n");
	CHECK_ERRORS(WORLD "expect device bob-phone has submitted\n", 1,
		     "t.scn:9:29: error: unknown 'has' field 'submitted' (expected from, to, "
		     "subject or flag)\n");
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com has submitted submitted\n", 1,
		     "t.scn:9:44: error: 'submitted' is given twice\n");

	CHECK_ERRORS(WORLD "expect mailbox carol@hotmail.com count 1\n", 1,
		     "t.scn:9:16: error: 'carol@hotmail.com' is not in a declared domain "
		     "(declare it with 'domain hotmail.com server ...')\n");
	CHECK_ERRORS(WORLD "expect mailbox carol@gmail.com count 1\n", 1,
		     "t.scn:9:16: error: 'carol@gmail.com' is not a declared user (declare it "
		     "with 'user carol@gmail.com password ...')\n");
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com has\n", 1,
		     "t.scn:9:33: error: expected from, to, subject, flag, submitted or header "
		     "after 'has'\n");
	/* ext: a header field's value, in the server's copy */
	struct scenario *hs = parse_ok(WORLD "expect mailbox bob@gmail.com has header "
					     "\"Authentication-Results:\" containing \"dkim=fail\" "
					     "subject \"x\"\n");
	CHECK(hs != NULL);
	if (hs) {
		CHECK_STR(hs->checks[0].header, "Authentication-Results");
		CHECK_STR(hs->checks[0].header_text, "dkim=fail");
		CHECK_STR(hs->checks[0].subject, "x");
		scn_free(hs);
	}
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com has header \"A B\" containing \"x\"\n", 1,
		     "t.scn:9:41: error: 'A B' is not a header name\n");
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com has header A contain \"x\"\n", 1,
		     "t.scn:9:43: error: expected 'containing', got 'contain'\n");
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com has header A containing x\n", 1,
		     "t.scn:9:54: error: expected the text in double quotes, got 'x'\n");
	CHECK_ERRORS(WORLD "expect device bob-phone has header A containing \"x\"\n", 1,
		     "t.scn:9:29: error: unknown 'has' field 'header' (expected from, to, "
		     "subject or flag)\n");
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com has subjetc \"x\"\n", 1,
		     "t.scn:9:34: error: unknown 'has' field 'subjetc' (did you mean 'subject'?)\n");
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com has flag \\Seen flag \\Seen\n", 1,
		     "t.scn:9:45: error: 'flag' is given twice\n");
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com\n", 1,
		     "t.scn:9:29: error: expected 'count', 'folder' or 'has'\n");
	CHECK_ERRORS(WORLD "expect mailbox bob@gmail.com count -1\n", 1,
		     "t.scn:9:36: error: the count must be a whole number from 0 to 1000000000, "
		     "got '-1'\n");
	CHECK_ERRORS(WORLD "expect device bob-tablet count 1\n", 1,
		     "t.scn:9:15: error: unknown device 'bob-tablet'\n");
	CHECK_ERRORS(WORLD "expect queue mx.hotmail.com empty\n", 1,
		     "t.scn:9:14: error: unknown server 'mx.hotmail.com'\n");
	CHECK_ERRORS(WORLD "expect queue mx.gmial.com empty\n", 1,
		     "t.scn:9:14: error: unknown server 'mx.gmial.com' (did you mean "
		     "'mx.gmail.com'?)\n");
	CHECK_ERRORS(WORLD "expect queue mx.gmail.com\n", 1,
		     "t.scn:9:26: error: expected 'empty' or 'count'\n");
	static const char *const bad_replies[] = {"600", "199", "55", "5500", "5.1", "3.1.1",
						  "5.1.1.1", "5.1234.1", "abc", "5.", "5"};
	for (size_t i = 0; i < sizeof bad_replies / sizeof bad_replies[0]; i++) {
		char text[512], expect[256];
		snprintf(text, sizeof text, "%sexpect reply %s\n", WORLD, bad_replies[i]);
		snprintf(expect, sizeof expect,
			 "t.scn:9:14: error: expected a reply code like 550 or an enhanced status "
			 "like 5.1.1, got '%s'\n",
			 bad_replies[i]);
		CHECK_ERRORS(text, 1, expect);
	}
	CHECK_ERRORS(WORLD "expect inbox bob@gmail.com count 1\n", 1,
		     "t.scn:9:8: error: unknown check 'inbox' (expected mailbox, device, reply "
		     "or queue)\n");
}

static void test_retry(void)
{
	struct scenario *s = parse_ok(WORLD "retry after 30s\n"
					    "retry mx.gmail.com after 1.5m backoff 3 attempts 10\n");
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(s->nretries, 2);
		CHECK(s->retries[0].server == NULL);
		CHECK_INT(s->retries[0].first_us, 30000000);
		CHECK_INT(s->retries[0].backoff, 2);
		CHECK_INT(s->retries[0].attempts, 5);
		CHECK_STR(s->retries[1].server, "mx.gmail.com");
		CHECK_INT(s->retries[1].first_us, 90000000);
		CHECK_INT(s->retries[1].backoff, 3);
		CHECK_INT(s->retries[1].attempts, 10);
		scn_free(s);
	}
	CHECK_ERRORS(WORLD "retry bob-phone after 1s\n", 1,
		     "t.scn:9:7: error: 'bob-phone' is a device, not a server\n");
	CHECK_ERRORS(WORLD "retry after 1s\nretry after 2s\n", 1,
		     "t.scn:10:1: error: duplicate retry for every server (first given on line 9)\n");
	CHECK_ERRORS(WORLD "retry mx.gmail.com 1s\n", 1,
		     "t.scn:9:20: error: expected 'after', got '1s'\n");
	CHECK_ERRORS(WORLD "retry after 1s attempts 0\n", 1,
		     "t.scn:9:25: error: the number of attempts must be a whole number from 1 to "
		     "1000, got '0'\n");
}

/* Extension: `tls HOST`, and each of its errors. */
static void test_tls(void)
{
	struct scenario *s = parse_ok(WORLD "tls mx.gmail.com\ntls mail.uea.edu.br\n");
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(s->ntls, 2);
		CHECK_STR(s->tls[0].server, "mx.gmail.com");
		CHECK_INT(s->tls[0].pos.line, 9);
		CHECK_STR(s->tls[1].server, "mail.uea.edu.br");
		scn_free(s);
	}
	CHECK_ERRORS(WORLD "tls mx.gmail.co\n", 1,
		     "t.scn:9:5: error: unknown server 'mx.gmail.co' (did you mean 'mx.gmail.com'?)\n");
	CHECK_ERRORS(WORLD "tls bob-phone\n", 1,
		     "t.scn:9:5: error: 'bob-phone' is a device, not a server\n");
	CHECK_ERRORS(WORLD "tls mx.gmail.com\ntls mx.gmail.com\n", 1,
		     "t.scn:10:5: error: duplicate tls for 'mx.gmail.com' (first given on line 9)\n");
	CHECK_ERRORS(WORLD "tls\n", 1, "t.scn:9:4: error: expected a server name\n");
	CHECK_ERRORS(WORLD "tls mx.gmail.com now\n", 1,
		     "t.scn:9:18: error: unexpected 'now' (nothing more is expected on this line)\n");
}

/* Initial mail: `mail ADDR from ADDR subject "..." [folder] [date] [flags]
 * [body] [on DEVICE...]`, and each of its errors. */
static void test_initial_mail(void)
{
	struct scenario *s = parse_ok(
		WORLD "mail bob@gmail.com from alice@uea.edu.br subject \"Lunch?\" "
		      "date \"2 Mar 2026 08:15\" flags \\seen $Label1 body \"Noon?\" "
		      "on bob-phone bob-laptop\n"
		      "mail bob@gmail.com folder Archive from x@elsewhere.example subject \"Old\" "
		      "date \"29 Feb 2024 23:59:30\"\n"
		      "mail alice@uea.edu.br subject \"S\" from bob@gmail.com folder inbox\n");
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(s->nmails, 3);
		const struct scn_mail *m = &s->mails[0];
		CHECK_STR(m->address, "bob@gmail.com");
		CHECK_STR(m->folder, "INBOX");
		CHECK_STR(m->from, "alice@uea.edu.br");
		CHECK_STR(m->subject, "Lunch?");
		CHECK_STR(m->body, "Noon?");
		CHECK(m->has_date);
		CHECK_INT(m->date, SCN_STORY_START_UNIX - 45 * 60);
		CHECK_INT(m->nflags, 2);
		CHECK_STR(m->flags[0], "\\Seen");
		CHECK_STR(m->flags[1], "$Label1");
		CHECK_INT(m->ndevices, 2);
		CHECK_STR(m->devices[1], "bob-laptop");
		CHECK_STR(s->mails[1].folder, "Archive");
		CHECK_INT(s->mails[1].date, 1709251170); /* 2024-02-29T23:59:30Z */
		CHECK_STR(s->mails[1].body, "");
		CHECK(!s->mails[2].has_date);
		CHECK_STR(s->mails[2].folder, "INBOX");
		scn_free(s);
	}
	CHECK_ERRORS(WORLD "mail carol@gmail.com from a@b.c subject \"x\"\n", 1,
		     "t.scn:9:6: error: 'carol@gmail.com' is not a declared user (declare it with "
		     "'user carol@gmail.com password ...')\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" date \"31 Feb 2026 08:00\"\n",
		     1, "t.scn:9:48: error: '31 Feb 2026 08:00' is not a date (expected day month "
			"year hours:minutes, like \"2 Mar 2026 08:15\", in UTC)\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" date \"2 Mar 2026 09:00\"\n",
		     1, "t.scn:9:48: error: the date '2 Mar 2026 09:00' is not before the story "
			"starts (2 Mar 2026 09:00 UTC): the mail is already there\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" flags \\Recent\n", 1,
		     "t.scn:9:49: error: unknown flag '\\Recent' (expected \\Seen, \\Answered, "
		     "\\Flagged, \\Deleted, \\Draft or a keyword like $Label1)\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" flags\n", 1,
		     "t.scn:9:48: error: expected a flag like \\Seen or \\Flagged\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com subject \"x\"\n", 1,
		     "t.scn:9:31: error: expected 'from' (a message has a sender and a subject)\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c\n", 1,
		     "t.scn:9:30: error: expected 'subject' (a message has a sender and a "
		     "subject)\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from nobody subject \"x\"\n", 1,
		     "t.scn:9:25: error: 'nobody' is not an address (expected local@domain)\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" on alice-laptop\n", 1,
		     "t.scn:9:46: error: device 'alice-laptop' belongs to alice@uea.edu.br: only "
		     "mail of alice@uea.edu.br can be on it\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" on bob-fone\n", 1,
		     "t.scn:9:46: error: unknown device 'bob-fone' (did you mean 'bob-phone'?)\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" folder Work on bob-phone\n",
		     1, "t.scn:9:55: error: only INBOX mail can be on a device (devices keep "
			"INBOX), not Work\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" subjet \"y\"\n", 1,
		     "t.scn:9:43: error: unknown mail keyword 'subjet' (did you mean 'subject'?)\n");
	CHECK_ERRORS(WORLD "mail bob@gmail.com from a@b.c subject \"x\" from c@d.e\n", 1,
		     "t.scn:9:43: error: 'from' is given twice\n");
}

/* Names may be used above their declaration; only the story keeps order. */
static void test_order_independence(void)
{
	struct scenario *s = parse_ok(
		"expect mailbox bob@gmail.com count 1\n"
		"send alice-laptop to bob@gmail.com subject \"s\" body \"b\"\n"
		"wait idle\n"
		"device alice-laptop owner alice@uea.edu.br\n"
		"user alice@uea.edu.br password a\n"
		"user bob@gmail.com password b\n"
		"note \"second\"\n"
		"domain gmail.com server mx.gmail.com\n"
		"domain uea.edu.br server mail.uea.edu.br\n"
		"title \"late title\"\n");
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(s->nactions, 3);
	CHECK_INT(s->actions[0].kind, SCN_SEND);
	CHECK_INT(s->actions[1].kind, SCN_WAIT_IDLE);
	CHECK_INT(s->actions[2].kind, SCN_NOTE);
	CHECK_STR(s->title, "late title");
	scn_free(s);
}

/* Every error is reported, sorted by position, whichever pass found it. */
static void test_many_errors(void)
{
	CHECK_ERRORS("domain gmail.com server mx.gmail.com\n"
		     "user bob@gmail.com password b\n"
		     "send bob-tablet to bob@gmail.com subject \"s\" body \"b\"\n"
		     "sned x\n"
		     "wait abc\n"
		     "user carol@hotmail.com password c\n"
		     "note \"unterminated\n"
		     "expect device bob-tablet count 1\n"
		     "device bob-tablet owner bob@gmail.com # declared late: the first and last"
		     " lines are fine\n"
		     "device bob-tablet owner bob@gmail.com\n",
		     5,
		     "t.scn:4:1: error: unknown directive 'sned' (did you mean 'send'?)\n"
		     "t.scn:5:6: error: expected a duration like 250ms, 2s or 1.5s, got 'abc'\n"
		     "t.scn:6:6: error: 'carol@hotmail.com' is not in a declared domain (declare "
		     "it with 'domain hotmail.com server ...')\n"
		     "t.scn:7:6: error: unterminated string (a string ends with \" on the same "
		     "line)\n"
		     "t.scn:10:8: error: duplicate device 'bob-tablet' (first declared on line 9)\n");
}

static void test_parse_file(void)
{
	char *mem = NULL;
	size_t memlen = 0;
	struct scenario *s = (struct scenario *)1;
	FILE *errs = open_memstream(&mem, &memlen);
	CHECK_INT(scn_parse_file("/nonexistent/x.scn", &s, errs), 1);
	fclose(errs);
	CHECK(s == NULL);
	CHECK_STR(mem, "/nonexistent/x.scn: error: cannot read: No such file or directory\n");
	free(mem);

	mem = NULL;
	errs = open_memstream(&mem, &memlen);
	CHECK_INT(scn_parse_file(".", &s, errs), 1);
	fclose(errs);
	CHECK_STR(mem, ".: error: cannot read: Is a directory\n");
	free(mem);

	char path[] = "/tmp/test_scenario_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "w");
	fputs(full_example, f);
	fclose(f);
	s = NULL;
	CHECK_INT(scn_parse_file(path, &s, stderr), 0);
	CHECK(s && s->nactions == 11 && s->nchecks == 7 && strcmp(s->file, path) == 0);
	scn_free(s);
	remove(path);
}


/* Lab exercises: `exercise`, `task "..."` (repeatable), `hint "..."` (repeatable). */
static void test_lab_directives(void)
{
	struct scenario *s = parse_ok(WORLD "exercise\n"
					    "task \"Send a message by hand.\"   # first paragraph\n"
					    "task \"Use port 25.\"\n"
					    "hint \"Start with EHLO.\"\n"
					    "hint \"End the data with a line holding a dot.\"\n"
					    "expect mailbox bob@gmail.com count 1\n");
	CHECK(s != NULL);
	if (s) {
		CHECK(s->exercise);
		CHECK_INT(s->ntasks, 2);
		CHECK_STR(s->tasks[0], "Send a message by hand.");
		CHECK_STR(s->tasks[1], "Use port 25.");
		CHECK_INT(s->nhints, 2);
		CHECK_STR(s->hints[1], "End the data with a line holding a dot.");
		CHECK_INT(s->nchecks, 1);
		scn_free(s);
	}
	/* a lesson is not an exercise, and has no tasks or hints */
	s = parse_ok(WORLD);
	CHECK(s && !s->exercise && s->ntasks == 0 && s->nhints == 0 && !s->tasks && !s->hints);
	scn_free(s);
	/* an exercise without tasks is allowed (the title says it all) */
	s = parse_ok("exercise\n");
	CHECK(s && s->exercise && s->ntasks == 0);
	scn_free(s);
	/* declarations in any order: `exercise` may come after the tasks */
	s = parse_ok("hint \"h\"\ntask \"t\"\nexercise\n");
	CHECK(s && s->exercise && s->ntasks == 1 && s->nhints == 1);
	scn_free(s);

	CHECK_ERRORS("exercise now\n", 1, "t.scn:1:10: error: unexpected 'now' (nothing more is expected on this line)\n");
	CHECK_ERRORS("exercise\nexercise\n", 1,
		     "t.scn:2:1: error: duplicate exercise (the file is marked an exercise on line 1)\n");
	CHECK_ERRORS("exercise\ntask\n", 1,
		     "t.scn:2:5: error: expected the task (a paragraph) in double quotes\n");
	CHECK_ERRORS("exercise\nhint word\n", 1,
		     "t.scn:2:6: error: expected the hint (a paragraph) in double quotes, got 'word'\n");
	CHECK_ERRORS("title \"x\"\ntask \"t\"\nhint \"h\"\n", 1,
		     "t.scn:2:1: error: task and hint are for lab exercises (mark the file with "
		     "the line 'exercise')\n");
	CHECK_ERRORS("exercse\n", 1, "t.scn:1:1: error: unknown directive 'exercse' (did you mean 'exercise'?)\n");
	CHECK_ERRORS("hnit \"h\"\n", 1, "t.scn:1:1: error: unknown directive 'hnit' (did you mean 'hint'?)\n");
}

/* Lessons in Portuguese: each text a person reads may carry `pt-BR "..."`;
 * the parser keeps the one for i18n_lang().  Mail is never translated. */
static const char pt_lesson[] =
	WORLD
	"title \"Relay\" pt-BR \"Retransmissão\"\n"
	"about \"One.\" pt-BR \"Um.\"\n"
	"about \"Two.\"\n"
	"note \"Look {i}\" pt-BR \"Veja {i}\"\n"
	"repeat 2 note \"Step {i}\" pt-BR \"Passo {i}\"\n"
	"quiz \"Who?\" pt-BR \"Quem?\" choices \"A\" pt-BR \"A-pt\" \"B\" answer 2 reply 550\n"
	"send alice-laptop to bob@gmail.com subject \"Oi\" body \"Tudo bem?\"\n";

static void test_lessons_pt_br(void)
{
	struct scenario *s = parse_ok(pt_lesson);
	CHECK(s != NULL);
	if (s) {
		CHECK_STR(s->title, "Relay");
		CHECK_STR(s->about[0], "One.");
		CHECK_STR(s->about[1], "Two.");
		CHECK_STR(s->actions[0].text, "Look {i}");
		CHECK_STR(s->actions[1].text, "Step {i}");
		CHECK_INT(s->actions[1].repeat, 2);
		CHECK_STR(s->actions[2].text, "Who?");
		CHECK_STR(s->actions[2].choices[0], "A");
		CHECK_STR(s->actions[2].choices[1], "B");
		CHECK_INT(s->actions[2].answer, 2);
		CHECK_STR(s->actions[2].reply, "550");
		scn_free(s);
	}

	i18n_set_lang(I18N_PT_BR);
	s = parse_ok(pt_lesson);
	CHECK(s != NULL);
	if (s) {
		CHECK_STR(s->title, "Retransmissão");
		CHECK_STR(s->about[0], "Um.");
		CHECK_STR(s->about[1], "Two."); /* no pt-BR text: the default */
		CHECK_STR(s->actions[0].text, "Veja {i}");
		CHECK_STR(s->actions[1].text, "Passo {i}");
		CHECK_STR(s->actions[2].text, "Quem?");
		CHECK_STR(s->actions[2].choices[0], "A-pt");
		CHECK_STR(s->actions[2].choices[1], "B");
		CHECK_STR(s->actions[3].subject, "Oi");
		CHECK_STR(s->actions[3].body, "Tudo bem?");
		scn_free(s);
	}
	s = parse_ok("exercise\ntask \"Send.\" pt-BR \"Envie.\"\nhint \"EHLO.\" pt-BR \"Comece.\"\n"
		     "hint \"Dot.\"\n");
	CHECK(s && s->ntasks == 1 && s->nhints == 2);
	if (s) {
		CHECK_STR(s->tasks[0], "Envie.");
		CHECK_STR(s->hints[0], "Comece.");
		CHECK_STR(s->hints[1], "Dot.");
		scn_free(s);
	}
	/* the errors are the same in either language */
	CHECK_ERRORS("title \"T\" pt-BR\n", 1,
		     "t.scn:1:16: error: expected the pt-BR text in double quotes after 'pt-BR'\n");
	i18n_set_lang(I18N_EN);

	s = parse_ok("exercise\ntask \"Send.\" pt-BR \"Envie.\"\nhint \"EHLO.\" pt-BR \"Comece.\"\n");
	CHECK(s && s->ntasks == 1 && s->nhints == 1);
	if (s) {
		CHECK_STR(s->tasks[0], "Send.");
		CHECK_STR(s->hints[0], "EHLO.");
		scn_free(s);
	}
	/* an empty default may have an empty translation */
	s = parse_ok("title \"\" pt-BR \"\"\n");
	CHECK(s && s->title && !s->title[0]);
	scn_free(s);

	CHECK_ERRORS("title \"T\" pt-BR\n", 1,
		     "t.scn:1:16: error: expected the pt-BR text in double quotes after 'pt-BR'\n");
	CHECK_ERRORS("about \"A\" pt-BR word\n", 1,
		     "t.scn:1:17: error: expected the pt-BR text in double quotes after 'pt-BR', "
		     "got 'word'\n");
	CHECK_ERRORS("title \"T\" pt-BR \"T1\" pt-BR \"T2\"\n", 1,
		     "t.scn:1:22: error: a second 'pt-BR' (the text has its pt-BR text at "
		     "column 11)\n");
	CHECK_ERRORS(WORLD "note \"N\" pt-BR \"\"\n", 1,
		     "t.scn:9:16: error: the pt-BR text cannot be empty (without 'pt-BR \"...\"' "
		     "the default text is shown)\n");
	CHECK_ERRORS(WORLD "note \"N\" pt-br \"n\"\n", 1,
		     "t.scn:9:10: error: unknown word 'pt-br' (did you mean 'pt-BR'?)\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"a\" pt-BR \"b\" pt-BR \"c\" answer 1\n", 1,
		     "t.scn:9:32: error: a second 'pt-BR' (the text has its pt-BR text at "
		     "column 22)\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices pt-BR \"a\" \"b\" answer 1\n", 1,
		     "t.scn:9:18: error: expected a choice in double quotes, got 'pt-BR'\n");
	CHECK_ERRORS(WORLD "quiz \"\" pt-BR \"q\" reply 550\n", 1,
		     "t.scn:9:6: error: the question cannot be empty\n");
	CHECK_ERRORS(WORLD "quiz \"q\" choices \"\" pt-BR \"a\" \"b\" answer 1\n", 1,
		     "t.scn:9:18: error: a choice cannot be empty\n");
#define STRAY "error: 'pt-BR' after a text that is not translated (only a lesson's title, " \
	      "about, note, quiz, choices, task and hint have a pt-BR text; mail is never "  \
	      "translated)\n"
	CHECK_ERRORS(WORLD "send alice-laptop to bob@gmail.com subject \"Oi\" pt-BR \"Olá\" "
			   "body \"b\"\n", 1, "t.scn:9:49: " STRAY);
	CHECK_ERRORS(WORLD "send alice-laptop to bob@gmail.com subject \"s\" body \"b\" pt-BR "
			   "\"c\"\n", 1, "t.scn:9:57: " STRAY);
	CHECK_ERRORS(WORLD "mail bob@gmail.com from alice@uea.edu.br subject \"s\" pt-BR \"t\"\n",
		     1, "t.scn:9:54: " STRAY);
	CHECK_ERRORS("user alice@uea.edu.br password x name \"Alice\" pt-BR \"Alícia\"\n"
		     "domain uea.edu.br server mail.uea.edu.br\n", 1, "t.scn:1:47: " STRAY);
#undef STRAY
}

/* The mail-authentication extensions: dkim, txt, verify. */
static void test_auth_directives(void)
{
	char long255[256], long256[257];
	memset(long255, 'a', 255);
	long255[255] = '\0';
	memset(long256, 'b', 256);
	long256[256] = '\0';
	struct buf ok;
	buf_init(&ok);
	buf_printf(&ok, WORLD "dkim gmail.com selector sel1\n"
		   "dkim gmail.com selector sel2 algorithm ed25519-sha256 key \"k.pem\"\n"
		   "txt gmail.com \"v=spf1 mx -all\"\n"
		   "txt _dmarc.gmail.com \"v=DMARC1; p=reject\"\n"
		   "txt long.gmail.com \"%s\" \"%s\"\n"
		   "verify mx.gmail.com dkim dmarc\n"
		   "verify\n", long255, long255);
	struct scenario *s = parse_ok(ok.p);
	buf_free(&ok);
	if (s) {
		CHECK_INT(s->ndkims, 2);
		CHECK_STR(s->dkims[0].selector, "sel1");
		CHECK_INT(s->dkims[0].alg, SCN_DKIM_RSA_SHA256);
		CHECK(s->dkims[0].key_file == NULL);
		CHECK_INT(s->dkims[1].alg, SCN_DKIM_ED25519_SHA256);
		CHECK_STR(s->dkims[1].key_file, "k.pem");
		CHECK_INT(s->ntxts, 3);
		CHECK_STR(s->txts[1].name, "_dmarc.gmail.com");
		CHECK_INT(strlen(s->txts[2].text), 510);
		CHECK_INT(s->nverifies, 2);
		CHECK_STR(s->verifies[0].server, "mx.gmail.com");
		CHECK(!s->verifies[0].spf && s->verifies[0].dkim && s->verifies[0].dmarc);
		CHECK(s->verifies[1].server == NULL);
		CHECK(s->verifies[1].spf && s->verifies[1].dkim && s->verifies[1].dmarc);
		scn_free(s);
	}
	CHECK_ERRORS(WORLD "dkim example.org selector s\n", 1,
		     "t.scn:9:6: error: unknown domain 'example.org' (declare it with 'domain "
		     "example.org server ...')\n");
	CHECK_ERRORS(WORLD "dkim gmail.com selector s algorithm rsa-sha1\n", 1,
		     "t.scn:9:37: error: unknown DKIM algorithm 'rsa-sha1' (rsa-sha256 or "
		     "ed25519-sha256, RFC 8463)\n");
	CHECK_ERRORS(WORLD "dkim gmail.com selector s\ndkim gmail.com selector s\n", 1,
		     "t.scn:10:25: error: duplicate dkim selector 's' for 'gmail.com' (first "
		     "declared on line 9)\n");
	CHECK_ERRORS(WORLD "dkim gmail.com selector a.b\n", 1,
		     "t.scn:9:25: error: a selector is one DNS label (letters, digits, '-' or "
		     "'_', at most 63), got 'a.b'\n");
	struct buf bad;
	buf_init(&bad);
	buf_printf(&bad, WORLD "txt gmail.com \"%s\"\n", long256);
	CHECK_ERRORS(bad.p, 1,
		     "t.scn:9:15: error: one string of a TXT record holds at most 255 octets "
		     "(RFC 1035 3.3); this one has 256: split it into several \"...\" strings, "
		     "which are joined\n");
	buf_free(&bad);
	CHECK_ERRORS(WORLD "txt gmail.com \"v=spf1 -all\"\ntxt gmail.com \"v=spf1 -all\"\n", 1,
		     "t.scn:10:5: error: duplicate TXT record for 'gmail.com' (first given on "
		     "line 9)\n");
	CHECK_ERRORS(WORLD "txt bad!name \"x\"\n", 1,
		     "t.scn:9:5: error: 'bad!name' is not a DNS name (labels of letters, digits, "
		     "'-' or '_', separated by dots)\n");
	CHECK_ERRORS(WORLD "dkim gmail.com selector s\ntxt s._domainkey.gmail.com \"x\"\n", 1,
		     "t.scn:10:5: error: 's._domainkey.gmail.com' holds the key of the dkim line "
		     "9: the key record is published for you\n");
	CHECK_ERRORS(WORLD "verify mx.gmial.com\n", 1,
		     "t.scn:9:8: error: unknown server 'mx.gmial.com' (did you mean "
		     "'mx.gmail.com'?)\n");
	CHECK_ERRORS(WORLD "verify spf spf\n", 1, "t.scn:9:12: error: 'spf' is given twice\n");
	CHECK_ERRORS(WORLD "verify\nverify\n", 1,
		     "t.scn:10:1: error: duplicate verify for every server (first given on "
		     "line 9)\n");
}

int main(void)
{
	RUN(test_full_example);
	RUN(test_initial_mail);
	RUN(test_defaults_and_empty);
	RUN(test_strings_and_utf8);
	RUN(test_string_errors);
	RUN(test_comments_crlf_indent);
	RUN(test_bad_bytes);
	RUN(test_long_line);
	RUN(test_durations);
	RUN(test_rates_and_loss);
	RUN(test_link_tamper);
	RUN(test_send_forms);
	RUN(test_world_errors);
	RUN(test_story_errors);
	RUN(test_session);
	RUN(test_repeat);
	RUN(test_pop3_and_imap_actions);
	RUN(test_checks);
	RUN(test_retry);
	RUN(test_tls);
	RUN(test_order_independence);
	RUN(test_many_errors);
	RUN(test_parse_file);
	RUN(test_lab_directives);
	RUN(test_quiz);
	RUN(test_lessons_pt_br);
	RUN(test_auth_directives);
	free(last_errors);
	return TEST_END();
}
