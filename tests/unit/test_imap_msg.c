/*
 * test_imap_msg.c - what IMAP sees of a message: ENVELOPE, BODYSTRUCTURE,
 * BODY[section], SEARCH text matching, and IMAP dates.
 */
#include "imap_msg.h"
#include "mime.h"
#include "test.h"

#include <stdlib.h>

/* ------------------------------------------------------------ messages */

static const char simple_msg[] =
	"From: Alice <alice@example.com>\r\n"
	"To: bob@example.org\r\n"
	"Subject: Hello\r\n"
	"Date: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
	"Message-ID: <1@example.com>\r\n"
	"\r\n"
	"Hi Bob.\r\n"
	"Bye.\r\n";

/* Like the example of RFC 3501 7.4.2, plus a group, a quoted display name
 * with a comma, and a folded Cc. */
static const char rfc_msg[] =
	"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
	"From: Terry Gray <gray@cac.washington.edu>\r\n"
	"Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
	"To: imap@cac.washington.edu\r\n"
	"cc: minutes@CNRI.Reston.VA.US,\r\n"
	"  John Klensin <KLENSIN@MIT.EDU>\r\n"
	"Bcc: undisclosed-recipients:;\r\n"
	"Reply-To: \"Gray, Terry\" <gray@example.org>\r\n"
	"In-Reply-To: <x@y>\r\n"
	"Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
	"\r\n"
	"minutes\r\n";

static const char qp_msg[] =
	"From: =?UTF-8?Q?Ol=C3=A1?= <ola@example.com>\r\n"
	"To: bob@example.org\r\n"
	"Subject: =?UTF-8?Q?Ol=C3=A1?= mundo\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=UTF-8\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"Ol=C3=A1 mundo\r\n";

static const char mixed_msg[] =
	"From: a@b.c\r\n"
	"Subject: parts\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--XyZ\r\n"
	"Content-Type: text/plain; charset=us-ascii\r\n"
	"\r\n"
	"first part\r\n"
	"--XyZ\r\n"
	"Content-Type: application/pdf; name=\"a.pdf\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"Content-Disposition: attachment; filename=\"a.pdf\"\r\n"
	"Content-ID: <pdf@x>\r\n"
	"\r\n"
	"JVBERi0=\r\n"
	"--XyZ--\r\n"
	"epilogue\r\n";

static const char nested_msg[] =
	"From: a@b.c\r\n"
	"Subject: fwd\r\n"
	"Content-Type: multipart/mixed; boundary=b1\r\n"
	"\r\n"
	"--b1\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"see below\r\n"
	"--b1\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"From: Carol <c@d.e>\r\n"
	"Subject: inner\r\n"
	"\r\n"
	"inner body\r\n"
	"--b1--\r\n";

/* message/rfc822 inside multipart inside message/rfc822 inside multipart:
 * part 1 is a forwarded message whose own part 1 is a forwarded message. */
static const char deep_msg[] =
	"From: outer@example.org\r\n"
	"Subject: outer\r\n"
	"Content-Type: multipart/mixed; boundary=o\r\n"
	"\r\n"
	"--o\r\n"
	"Content-Type: message/rfc822\r\n"
	"Content-Description: forwarded\r\n"
	"\r\n"
	"From: Mid <mid@example.org>\r\n"
	"Subject: middle\r\n"
	"Content-Type: multipart/mixed; boundary=m\r\n"
	"\r\n"
	"--m\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"From: inner@example.org (Inner Person)\r\n"
	"Subject: innermost\r\n"
	"\r\n"
	"innermost body\r\n"
	"--m\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"mid text\r\n"
	"--m--\r\n"
	"--o\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"outer text\r\n"
	"--o--\r\n";

/* A message that is itself of type message/rfc822 (no multipart). */
static const char wrapper_msg[] =
	"From: a@b.c\r\n"
	"Subject: wrapper\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"From: c@d.e\r\n"
	"Subject: wrapped\r\n"
	"\r\n"
	"wrapped body\r\n";

/* ------------------------------------------------------------ helpers */

static char *envelope(const char *msg)
{
	struct buf b;
	buf_init(&b);
	imap_msg_envelope(&b, msg, strlen(msg));
	buf_add(&b, "", 0);
	return b.p;
}

static char *structure(const char *msg, bool ext)
{
	struct buf b;
	buf_init(&b);
	imap_msg_bodystructure(&b, msg, strlen(msg), ext);
	buf_add(&b, "", 0);
	return b.p;
}

/* The section's octets, or "(-1)" if the call said malformed. */
static char *section(const char *msg, const char *sec)
{
	struct buf b;
	buf_init(&b);
	if (imap_msg_section(&b, msg, strlen(msg), sec) != 0) {
		buf_clear(&b);
		buf_adds(&b, "(-1)");
	}
	buf_add(&b, "", 0);
	return b.p;
}

static bool search(const char *msg, const char *field, const char *needle)
{
	return imap_msg_search(msg, strlen(msg), field, needle);
}

#define CHECK_ENVELOPE(msg, expected)               \
	do {                                        \
		char *s_ = envelope(msg);           \
		CHECK_STR(s_, expected);            \
		free(s_);                           \
	} while (0)

#define CHECK_STRUCTURE(msg, ext, expected)         \
	do {                                        \
		char *s_ = structure(msg, ext);     \
		CHECK_STR(s_, expected);            \
		free(s_);                           \
	} while (0)

#define CHECK_SECTION(msg, sec, expected)           \
	do {                                        \
		char *s_ = section(msg, sec);       \
		CHECK_STR(s_, expected);            \
		free(s_);                           \
	} while (0)

/* Parentheses balance outside quoted strings and literals, and never go
 * below zero: the output is at least shaped like an IMAP list. */
static bool balanced(const char *s)
{
	int depth = 0;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '"') {
			for (i++; s[i] && s[i] != '"'; i++)
				if (s[i] == '\\' && s[i + 1])
					i++;
			if (!s[i])
				return false;
		} else if (s[i] == '{') {
			char *end;
			unsigned long n = strtoul(s + i + 1, &end, 10);
			if (end[0] != '}' || end[1] != '\r' || end[2] != '\n' ||
			    strlen(end + 3) < n)
				return false;
			i = (size_t)(end + 3 - s) + n - 1;
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')' && --depth < 0) {
			return false;
		}
	}
	return depth == 0;
}

/* ------------------------------------------------------------ ENVELOPE */

static void test_envelope_simple(void)
{
	CHECK_ENVELOPE(simple_msg,
		       "(\"Mon, 02 Mar 2026 09:00:00 +0000\" \"Hello\" "
		       "((\"Alice\" NIL \"alice\" \"example.com\")) "
		       "((\"Alice\" NIL \"alice\" \"example.com\")) "
		       "((\"Alice\" NIL \"alice\" \"example.com\")) "
		       "((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<1@example.com>\")");
}

static void test_envelope_rfc3501(void)
{
	CHECK_ENVELOPE(rfc_msg,
		       "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
		       "\"IMAP4rev1 WG mtg summary and minutes\" "
		       "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
		       "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
		       "((\"Gray, Terry\" NIL \"gray\" \"example.org\")) "
		       "((NIL NIL \"imap\" \"cac.washington.edu\")) "
		       "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
		       "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
		       "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
		       "\"<x@y>\" \"<B27397-0100000@cac.washington.edu>\")");
}

static void test_envelope_groups_and_names(void)
{
	/* A group with members, a quote inside a quoted name, an address
	 * after the group, comments, an obsolete route, no "@". */
	const char *msg = "To: friends: a@b.c, \"Q \\\"x\\\"\" <q@d.e>;, z@y.x (Zed)\r\n"
			  "Cc: <@relay.net:r@e.f>, postmaster\r\n"
			  "From: =?UTF-8?Q?Ol=C3=A1?= <ola@example.com>\r\n"
			  "Subject: Ol\xC3\xA1\r\n"
			  "\r\n";
	CHECK_ENVELOPE(msg, "(NIL {4}\r\nOl\xC3\xA1 "
			    "((\"=?UTF-8?Q?Ol=C3=A1?=\" NIL \"ola\" \"example.com\")) "
			    "((\"=?UTF-8?Q?Ol=C3=A1?=\" NIL \"ola\" \"example.com\")) "
			    "((\"=?UTF-8?Q?Ol=C3=A1?=\" NIL \"ola\" \"example.com\")) "
			    "((NIL NIL \"friends\" NIL)(NIL NIL \"a\" \"b.c\")"
			    "(\"Q \\\"x\\\"\" NIL \"q\" \"d.e\")(NIL NIL NIL NIL)"
			    "(\"Zed\" NIL \"z\" \"y.x\")) "
			    "((NIL \"@relay.net\" \"r\" \"e.f\")(NIL NIL \"postmaster\" \"\")) "
			    "NIL NIL NIL)");
	/* No header at all. */
	CHECK_ENVELOPE("\r\nbody\r\n", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	CHECK_ENVELOPE("", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	/* An empty To: is NIL; an explicit Sender is kept. */
	CHECK_ENVELOPE("From: a@b.c\r\nSender: s@b.c\r\nTo:\r\n\r\n",
		       "(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"s\" \"b.c\")) "
		       "((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)");
}

/* The RFC 822 legacy form "user@domain (Real Name)": with no phrase, a
 * trailing comment is the display name (as Dovecot and Cyrus read it); a
 * phrase wins over a comment; a comment before the address is no name. */
static void test_envelope_comment_names(void)
{
	CHECK_ENVELOPE("From: user@example.org (Real Name)\r\n\r\n",
		       "(NIL NIL ((\"Real Name\" NIL \"user\" \"example.org\")) "
		       "((\"Real Name\" NIL \"user\" \"example.org\")) "
		       "((\"Real Name\" NIL \"user\" \"example.org\")) NIL NIL NIL NIL NIL)");
	CHECK_ENVELOPE("To: a@b.c (Ann \\(A\\)  Smith), d@e.f (\r\n Dee), <g@h.i> (Gee),"
		       " Phrase <j@k.l> (comment), (lead) m@n.o, p@q.r (x) (Last),"
		       " s@t.u (has \"quote\" (nested))\r\n\r\n",
		       "(NIL NIL NIL NIL NIL "
		       "((\"Ann (A) Smith\" NIL \"a\" \"b.c\")(\"Dee\" NIL \"d\" \"e.f\")"
		       "(\"Gee\" NIL \"g\" \"h.i\")(\"Phrase\" NIL \"j\" \"k.l\")"
		       "(NIL NIL \"m\" \"n.o\")(\"Last\" NIL \"p\" \"q.r\")"
		       "(\"has \\\"quote\\\" (nested)\" NIL \"s\" \"t.u\")) "
		       "NIL NIL NIL NIL)");
	/* An empty comment is no name. */
	CHECK_ENVELOPE("Cc: a@b.c ( )\r\n\r\n",
		       "(NIL NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL)");
}

/* ------------------------------------------------------------ BODYSTRUCTURE */

static void test_structure_text_plain(void)
{
	CHECK_STRUCTURE(simple_msg, true,
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 15 2 "
			"NIL NIL NIL NIL)");
	CHECK_STRUCTURE(simple_msg, false,
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 15 2)");
}

static void test_structure_qp(void)
{
	CHECK_STRUCTURE(qp_msg, true,
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL "
			"\"QUOTED-PRINTABLE\" 16 1 NIL NIL NIL NIL)");
}

/* A text part without a charset parameter has the default one, US-ASCII
 * (RFC 2046 4.1.2), and BODYSTRUCTURE names it after the parameters given,
 * as Dovecot does. */
static void test_structure_default_charset(void)
{
	CHECK_STRUCTURE("Content-Type: text/html\r\n\r\nx\r\n", false,
			"(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1)");
	CHECK_STRUCTURE("Content-Type: text/plain; format=flowed\r\n\r\nx\r\n", false,
			"(\"TEXT\" \"PLAIN\" (\"FORMAT\" \"flowed\" \"CHARSET\" \"us-ascii\") NIL NIL "
			"\"7BIT\" 3 1)");
	CHECK_STRUCTURE("Content-Type: text/plain; charset=utf-8\r\n\r\nx\r\n", false,
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 3 1)");
	/* not text: no charset is made up */
	CHECK_STRUCTURE("Content-Type: application/x-foo\r\n\r\nx\r\n", false,
			"(\"APPLICATION\" \"X-FOO\" NIL NIL NIL \"7BIT\" 3)");
}

/* A part's lines are its line ends: the CRLF before a boundary is the
 * boundary's (RFC 2046 5.1.1), so a one-line part counts 0 (Dovecot too). */
static void test_structure_multipart(void)
{
	CHECK_STRUCTURE(mixed_msg, true,
			"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 0 "
			"NIL NIL NIL NIL)"
			"(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") \"<pdf@x>\" NIL \"BASE64\" 8 "
			"NIL (\"ATTACHMENT\" (\"FILENAME\" \"a.pdf\")) NIL NIL) "
			"\"MIXED\" (\"BOUNDARY\" \"XyZ\") NIL NIL NIL)");
	CHECK_STRUCTURE(mixed_msg, false,
			"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 0)"
			"(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") \"<pdf@x>\" NIL \"BASE64\" 8) "
			"\"MIXED\")");
}

static void test_structure_rfc822(void)
{
	CHECK_STRUCTURE(nested_msg, true,
			"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 9 0 NIL NIL NIL NIL)"
			"(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 49 "
			"(NIL \"inner\" ((\"Carol\" NIL \"c\" \"d.e\")) ((\"Carol\" NIL \"c\" \"d.e\")) "
			"((\"Carol\" NIL \"c\" \"d.e\")) NIL NIL NIL NIL NIL) "
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 0 "
			"NIL NIL NIL NIL) 3 NIL NIL NIL NIL) "
			"\"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL)");
}

/* BODYSTRUCTURE of a message/rfc822 part (RFC 3501 7.4.2): the body
 * fields, then the ENVELOPE, the BODYSTRUCTURE and the line count of the
 * message inside, nested as deep as the message goes. */
static void test_structure_rfc822_nested(void)
{
	static const char inner_env[] =
		"(NIL \"innermost\" ((\"Inner Person\" NIL \"inner\" \"example.org\")) "
		"((\"Inner Person\" NIL \"inner\" \"example.org\")) "
		"((\"Inner Person\" NIL \"inner\" \"example.org\")) NIL NIL NIL NIL NIL)";
	static const char mid_env[] =
		"(NIL \"middle\" ((\"Mid\" NIL \"mid\" \"example.org\")) "
		"((\"Mid\" NIL \"mid\" \"example.org\")) "
		"((\"Mid\" NIL \"mid\" \"example.org\")) NIL NIL NIL NIL NIL)";
	struct buf want;
	buf_init(&want);
	buf_printf(&want,
		   "((\"MESSAGE\" \"RFC822\" NIL NIL \"forwarded\" \"7BIT\" %zu %s "
		   "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 76 %s "
		   "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 14 0) 3)"
		   "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 8 0) \"MIXED\") 15)"
		   "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 0) \"MIXED\")",
		   strlen(strstr(deep_msg, "From: Mid")) - strlen("\r\n--o\r\n"
		   "Content-Type: text/plain\r\n\r\nouter text\r\n--o--\r\n"),
		   mid_env, inner_env);
	CHECK_STRUCTURE(deep_msg, false, want.p);
	char *ext = structure(deep_msg, true);
	CHECK(balanced(ext));
	CHECK(strstr(ext, inner_env) != NULL);
	free(ext);
	/* The whole message is message/rfc822. */
	CHECK_STRUCTURE(wrapper_msg, false,
			"(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 47 "
			"(NIL \"wrapped\" ((NIL NIL \"c\" \"d.e\")) ((NIL NIL \"c\" \"d.e\")) "
			"((NIL NIL \"c\" \"d.e\")) NIL NIL NIL NIL NIL) "
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 14 1) 4)");
	buf_free(&want);
}

static void build_dsn(struct buf *out)
{
	const struct mime_dsn_rcpt rcpt = {
		.addr = "x@gmail.com",
		.status = "5.1.1",
		.remote_mta = "mx.gmail.com",
		.diagnostic = "550 5.1.1 <x@gmail.com>: recipient rejected",
		.smtp_command = "RCPT TO",
	};
	const struct mime_dsn d = {
		.reporting_mta = "mail.example.com",
		.postmaster_domain = "example.com",
		.to = "alice@example.com",
		.explanation = "The remote server said there is no such user.",
		.rcpts = &rcpt,
		.nrcpts = 1,
		.original = simple_msg,
		.original_len = sizeof simple_msg - 1,
		.arrival_date = 1772442000,
		.date = 1772442060,
		.message_id = "<bounce@example.com>",
		.boundary = "dsn-b",
	};
	mime_dsn(out, &d);
}

static void test_structure_dsn(void)
{
	struct buf m;
	buf_init(&m);
	build_dsn(&m);
	char *s = structure(m.p, true);
	CHECK(balanced(s));
	CHECK(strncmp(s, "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL \"Notification\"",
		      strlen("((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL \"Notification\"")) == 0);
	CHECK_CONTAINS(s, ")(\"MESSAGE\" \"DELIVERY-STATUS\" NIL NIL \"Delivery report\" \"7BIT\" ");
	CHECK_CONTAINS(s, ")(\"TEXT\" \"RFC822-HEADERS\" (\"CHARSET\" \"us-ascii\") NIL \"Undelivered Message Headers\" ");
	CHECK_CONTAINS(s, ") \"REPORT\" (\"REPORT-TYPE\" \"delivery-status\" \"BOUNDARY\" \"dsn-b\") "
			  "NIL NIL NIL)");
	free(s);
	/* Three parts, the third the original's header. */
	char *p3 = section(m.p, "3");
	CHECK(strncmp(p3, "From: Alice <alice@example.com>\r\n", 33) == 0);
	CHECK_CONTAINS(p3, "Message-ID: <1@example.com>\r\n");
	free(p3);
	CHECK_SECTION(m.p, "4", "");
	char *p2 = section(m.p, "2");
	CHECK_CONTAINS(p2, "Status: 5.1.1\r\n");
	free(p2);
	CHECK_SECTION(m.p, "2.MIME", "Content-Description: Delivery report\r\n"
				     "Content-Type: message/delivery-status\r\n\r\n");
	buf_free(&m);
}

static void test_structure_broken(void)
{
	/* No close-delimiter: the last part runs to the end. */
	CHECK_STRUCTURE("Content-Type: multipart/alternative; boundary=q\r\n\r\n"
			"--q\r\n\r\none\r\n--q\r\nContent-Type: text/html\r\n\r\n<p>two",
			false,
			"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 0)"
			"(\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 6 0) \"ALTERNATIVE\")");
	/* The boundary never appears: one part, the whole body. */
	CHECK_STRUCTURE("Content-Type: multipart/mixed; boundary=nope\r\n\r\nhello\r\n", false,
			"((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 7 1) "
			"\"MIXED\")");
	/* No boundary parameter: read as text. */
	CHECK_STRUCTURE("Content-Type: multipart/mixed\r\n\r\nhello\r\n", false,
			"(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 7 1)");
	/* A Content-Type that is not one: the default. */
	CHECK_STRUCTURE("Content-Type: ;;garbage\r\nContent-Transfer-Encoding: \r\n\r\nx", false,
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 1 0)");
	/* Garbage parameters are skipped; quoted values unescaped. */
	CHECK_STRUCTURE("Content-Type: Text/X-Odd; ; junk ; a=\"q\\\"t\" (c); b=1\r\n\r\n", false,
			"(\"TEXT\" \"X-ODD\" (\"A\" \"q\\\"t\" \"B\" \"1\" \"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0)");
	/* Headers only, no body, no empty line; and nothing at all. */
	CHECK_STRUCTURE("Subject: x\r\n", false,
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0)");
	CHECK_STRUCTURE("", false,
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0)");
	/* Digest parts default to message/rfc822 (RFC 2046 5.1.5). */
	char *d = structure("Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
			    "Subject: in\r\n\r\nx\r\n--d--\r\n", false);
	CHECK_CONTAINS(d, "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 16 (NIL \"in\" ");
	CHECK(balanced(d));
	free(d);
	/* Language and location. */
	CHECK_STRUCTURE("Content-Language: en, pt-BR\r\nContent-Location: http://x/y\r\n"
			"Content-Disposition: inline\r\n\r\nx\r\n", true,
			"(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 3 1 NIL "
			"(\"INLINE\" NIL) (\"en\" \"pt-BR\") \"http://x/y\")");
}

/* Multiparts inside each other far deeper than anyone writes. */
static void test_structure_deep(void)
{
	struct buf m;
	buf_init(&m);
	for (int i = 0; i < 200; i++)
		buf_printf(&m, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
	buf_adds(&m, "\r\ndeep\r\n");
	struct buf s;
	buf_init(&s);
	imap_msg_bodystructure(&s, m.p, m.len, true);
	CHECK(balanced(s.p));
	CHECK_CONTAINS(s.p, "\"APPLICATION\" \"OCTET-STREAM\"");
	CHECK(!imap_msg_search(m.p, m.len, "BODY", "nothere"));
	buf_free(&s);
	buf_free(&m);
}

/* Every prefix of every test message: no crash, no read past len (the
 * sanitizer build checks that), always a balanced structure. */
static void test_truncations(void)
{
	static const char comments_msg[] =
		"From: user@example.org (Real \\(Name\\) (nested))\r\n"
		"To: team: a@b.c (A), \"Q\" <q@d.e> (Q2);, <@r:x@y.z> (X)\r\n"
		"\r\nbody\r\n";
	const char *msgs[] = {simple_msg, rfc_msg,  qp_msg,      mixed_msg,
			      nested_msg, deep_msg, wrapper_msg, comments_msg};
	for (size_t k = 0; k < sizeof msgs / sizeof msgs[0]; k++) {
		size_t n = strlen(msgs[k]);
		for (size_t len = 0; len <= n; len++) {
			char *copy = malloc(len ? len : 1);
			memcpy(copy, msgs[k], len);
			struct buf s;
			buf_init(&s);
			imap_msg_bodystructure(&s, copy, len, true);
			imap_msg_envelope(&s, copy, len);
			buf_add(&s, "", 0);
			CHECK(balanced(s.p));
			CHECK(imap_msg_section(&s, copy, len, "2.1") == 0);
			CHECK(imap_msg_section(&s, copy, len, "HEADER.FIELDS (From)") == 0);
			CHECK(imap_msg_section(&s, copy, len, "1.1.HEADER") == 0);
			CHECK(imap_msg_section(&s, copy, len, "1.1.1") == 0);
			CHECK(imap_msg_section(&s, copy, len, "1.TEXT") == 0);
			CHECK(imap_msg_section(&s, copy, len, "1.MIME") == 0);
			(void)imap_msg_search(copy, len, "TEXT", "zzz");
			(void)imap_msg_search(copy, len, "From", "Real Name <zzz>");
			(void)imap_msg_search(copy, len, "To", "Q <q@d.e>");
			(void)imap_msg_date(copy, len);
			buf_free(&s);
			free(copy);
		}
	}
}

/* ------------------------------------------------------------ sections */

static void test_sections_simple(void)
{
	CHECK_SECTION(simple_msg, "", simple_msg);
	CHECK_SECTION(simple_msg, "HEADER",
		      "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\n"
		      "Subject: Hello\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
		      "Message-ID: <1@example.com>\r\n\r\n");
	CHECK_SECTION(simple_msg, "TEXT", "Hi Bob.\r\nBye.\r\n");
	/* A message that is not multipart has a part 1: its body. */
	CHECK_SECTION(simple_msg, "1", "Hi Bob.\r\nBye.\r\n");
	CHECK_SECTION(simple_msg, "2", "");
	CHECK_SECTION(simple_msg, "1.1", "");
	CHECK_SECTION(simple_msg, "HEADER.FIELDS (FROM SUBJECT)",
		      "From: Alice <alice@example.com>\r\nSubject: Hello\r\n\r\n");
	CHECK_SECTION(simple_msg, "header.fields (subject \"from\")",
		      "From: Alice <alice@example.com>\r\nSubject: Hello\r\n\r\n");
	CHECK_SECTION(simple_msg, "HEADER.FIELDS (X-Nothing)", "\r\n");
	CHECK_SECTION(simple_msg, "HEADER.FIELDS.NOT (From Subject Date Message-ID)",
		      "To: bob@example.org\r\n\r\n");
	/* Folded fields come whole. */
	CHECK_SECTION(rfc_msg, "HEADER.FIELDS (CC)",
		      "cc: minutes@CNRI.Reston.VA.US,\r\n  John Klensin <KLENSIN@MIT.EDU>\r\n\r\n");
}

static void test_sections_multipart(void)
{
	CHECK_SECTION(mixed_msg, "1", "first part");
	CHECK_SECTION(mixed_msg, "2", "JVBERi0=");
	CHECK_SECTION(mixed_msg, "1.MIME", "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	CHECK_SECTION(mixed_msg, "3", "");
	CHECK_SECTION(mixed_msg, "2.1", "");
	CHECK_SECTION(mixed_msg, "1.HEADER", ""); /* not a message/rfc822 part */
	CHECK_SECTION(mixed_msg, "HEADER.FIELDS.NOT (Content-Type MIME-Version)",
		      "From: a@b.c\r\nSubject: parts\r\n\r\n");
	char *text = section(mixed_msg, "TEXT");
	CHECK(strncmp(text, "preamble\r\n--XyZ\r\n", 17) == 0);
	CHECK(strlen(text) > 100 && strcmp(text + strlen(text) - 10, "epilogue\r\n") == 0);
	free(text);

	CHECK_SECTION(nested_msg, "1", "see below");
	CHECK_SECTION(nested_msg, "2",
		      "From: Carol <c@d.e>\r\nSubject: inner\r\n\r\ninner body");
	CHECK_SECTION(nested_msg, "2.HEADER", "From: Carol <c@d.e>\r\nSubject: inner\r\n\r\n");
	CHECK_SECTION(nested_msg, "2.HEADER.FIELDS (Subject)", "Subject: inner\r\n\r\n");
	CHECK_SECTION(nested_msg, "2.TEXT", "inner body");
	CHECK_SECTION(nested_msg, "2.1", "inner body");
	CHECK_SECTION(nested_msg, "2.MIME", "Content-Type: message/rfc822\r\n\r\n");
	CHECK_SECTION(nested_msg, "2.2", "");
}

/* Sections inside message/rfc822 parts, RFC 3501 6.4.5: a part number
 * on a message/rfc822 part names the message inside; HEADER, TEXT and
 * HEADER.FIELDS after it are that message's, MIME is the part's own. */
static void test_sections_rfc822(void)
{
	static const char mid[] =
		"From: Mid <mid@example.org>\r\n"
		"Subject: middle\r\n"
		"Content-Type: multipart/mixed; boundary=m\r\n"
		"\r\n"
		"--m\r\n"
		"Content-Type: message/rfc822\r\n"
		"\r\n"
		"From: inner@example.org (Inner Person)\r\n"
		"Subject: innermost\r\n"
		"\r\n"
		"innermost body\r\n"
		"--m\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"mid text\r\n"
		"--m--";
	static const char inner[] = "From: inner@example.org (Inner Person)\r\n"
				    "Subject: innermost\r\n"
				    "\r\n"
				    "innermost body";
	CHECK_SECTION(deep_msg, "1", mid);
	CHECK_SECTION(deep_msg, "1.MIME",
		      "Content-Type: message/rfc822\r\nContent-Description: forwarded\r\n\r\n");
	CHECK_SECTION(deep_msg, "1.HEADER",
		      "From: Mid <mid@example.org>\r\nSubject: middle\r\n"
		      "Content-Type: multipart/mixed; boundary=m\r\n\r\n");
	CHECK_SECTION(deep_msg, "1.HEADER.FIELDS (SUBJECT)", "Subject: middle\r\n\r\n");
	CHECK_SECTION(deep_msg, "1.HEADER.FIELDS.NOT (From Content-Type)",
		      "Subject: middle\r\n\r\n");
	char *text = section(deep_msg, "1.TEXT");
	CHECK(strncmp(text, "--m\r\nContent-Type: message/rfc822", 10) == 0);
	CHECK_STR(text, strstr(mid, "\r\n\r\n") + 4);
	free(text);
	CHECK_SECTION(deep_msg, "1.1", inner);
	CHECK_SECTION(deep_msg, "1.1.MIME", "Content-Type: message/rfc822\r\n\r\n");
	CHECK_SECTION(deep_msg, "1.1.HEADER",
		      "From: inner@example.org (Inner Person)\r\nSubject: innermost\r\n\r\n");
	CHECK_SECTION(deep_msg, "1.1.HEADER.FIELDS (Subject)", "Subject: innermost\r\n\r\n");
	CHECK_SECTION(deep_msg, "1.1.TEXT", "innermost body");
	CHECK_SECTION(deep_msg, "1.1.1", "innermost body"); /* a single-part message's part 1 */
	CHECK_SECTION(deep_msg, "1.1.1.1", "");
	CHECK_SECTION(deep_msg, "1.1.2", "");
	CHECK_SECTION(deep_msg, "1.2", "mid text");
	CHECK_SECTION(deep_msg, "1.2.MIME", "Content-Type: text/plain\r\n\r\n");
	CHECK_SECTION(deep_msg, "1.2.HEADER", ""); /* text/plain: no message inside */
	CHECK_SECTION(deep_msg, "1.3", "");
	CHECK_SECTION(deep_msg, "2", "outer text");
	CHECK_SECTION(deep_msg, "3", "");

	/* The whole message is message/rfc822: its part 1 is the message
	 * inside, whole, and 1.1 that message's body. */
	static const char wrapped[] = "From: c@d.e\r\nSubject: wrapped\r\n\r\nwrapped body\r\n";
	CHECK_SECTION(wrapper_msg, "TEXT", wrapped);
	CHECK_SECTION(wrapper_msg, "1", wrapped);
	CHECK_SECTION(wrapper_msg, "1.HEADER", "From: c@d.e\r\nSubject: wrapped\r\n\r\n");
	CHECK_SECTION(wrapper_msg, "1.TEXT", "wrapped body\r\n");
	CHECK_SECTION(wrapper_msg, "1.1", "wrapped body\r\n");
	CHECK_SECTION(wrapper_msg, "1.2", "");
	CHECK_SECTION(wrapper_msg, "2", "");
}

static void test_sections_malformed(void)
{
	const char *bad[] = {
		"HEADER.FIELDS", "HEADER.FIELDS ()", "HEADER.FIELDS (FROM", "HEADER.FIELDS FROM",
		"HEADER.FIELDS (FROM) x", "HEADER.FIELDS.NOT", "HEADER ", "HEADERS", "MIME",
		"1.", ".1", "0", "1.0", "01", "1..2", "1.FOO", "TEXT.1", "1 ", "x",
		"99999999999999999999",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf b;
		buf_init(&b);
		if (imap_msg_section(&b, simple_msg, strlen(simple_msg), bad[i]) != -1)
			fprintf(stderr, "section \"%s\" was accepted\n", bad[i]);
		CHECK(imap_msg_section(&b, simple_msg, strlen(simple_msg), bad[i]) == -1);
		buf_free(&b);
	}
}

/* ------------------------------------------------------------ search */

static void test_search(void)
{
	/* Encoded words are decoded before matching. */
	CHECK(search(qp_msg, "Subject", "Ol\xC3\xA1"));
	CHECK(search(qp_msg, "SUBJECT", "ol\xC3\xA1 MUNDO"));
	CHECK(!search(qp_msg, "Subject", "adeus"));
	CHECK(search(qp_msg, "From", "Ol\xC3\xA1"));
	CHECK(search(qp_msg, "from", "OLA@EXAMPLE"));
	/* The body as written and as decoded. */
	CHECK(search(qp_msg, "BODY", "=C3=A1"));
	CHECK(search(qp_msg, "BODY", "Ol\xC3\xA1 mundo"));
	CHECK(search(simple_msg, "BODY", "bye"));
	CHECK(!search(simple_msg, "BODY", "Hello"));
	CHECK(search(simple_msg, "TEXT", "hello"));
	CHECK(search(simple_msg, "text", "BOB."));
	CHECK(search(simple_msg, "TEXT", "message-id"));
	CHECK(!search(simple_msg, "TEXT", "carol"));
	/* Nested parts: an inner base64 text part, an inner message. */
	CHECK(search(nested_msg, "BODY", "CAROL"));
	CHECK(!search(nested_msg, "From", "carol"));
	const char *b64 = "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
			  "Content-Type: text/plain; charset=utf-8\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\n"
			  "c2VjcmV0IHdvcmQ=\r\n--z--\r\n"; /* "secret word" */
	CHECK(search(b64, "BODY", "SECRET WORD"));
	CHECK(search(b64, "TEXT", "secret"));
	/* Every occurrence of a field; empty needles. */
	CHECK(search("Received: a\r\nReceived: b\r\n\r\n", "Received", "B"));
	CHECK(search(simple_msg, "Subject", ""));
	CHECK(!search(simple_msg, "Cc", ""));
	CHECK(search(simple_msg, "BODY", ""));
	/* Folded values are searched unfolded. */
	CHECK(search(rfc_msg, "Cc", "US,  John"));
}

/* SEARCH FROM/TO/CC/BCC match an address field as written and as its
 * addresses read: "Name <mailbox@host>", the name from the phrase or the
 * trailing comment, quotes and escapes removed, encoded words decoded. */
static void test_search_addresses(void)
{
	const char *msg = "From: user@example.org (Real Name)\r\n"
			  "To: \"Bob \\\"the\\\" Builder\" <bob@example.org>\r\n"
			  "Cc: =?UTF-8?Q?Ol=C3=A1?= <ola@example.com>, x@y.z\r\n"
			  "Bcc: team: m@example.net (Member  One);\r\n"
			  "\r\nbody\r\n";
	CHECK(search(msg, "From", "Real Name"));
	CHECK(search(msg, "From", "real name"));
	CHECK(search(msg, "From", "user@example.org"));
	CHECK(search(msg, "FROM", "USER@EXAMPLE.ORG"));
	CHECK(search(msg, "From", "Real Name <user@example.org>"));
	CHECK(search(msg, "From", "name <user@"));
	CHECK(!search(msg, "From", "Other Name"));
	CHECK(search(msg, "To", "Bob \"the\" Builder <bob@example.org>"));
	CHECK(search(msg, "To", "bob \"THE\" builder"));
	CHECK(search(msg, "Cc", "Ol\xC3\xA1 <ola@example.com>"));
	CHECK(search(msg, "Cc", "x@y.z"));
	CHECK(search(msg, "Bcc", "Member One <m@example.net>"));
	CHECK(search(msg, "Bcc", "team"));
	CHECK(!search(msg, "Bcc", "bob"));
	/* Comments inside an address do not hide it. */
	CHECK(search("From: user(c)@example.org\r\n\r\n", "From", "user@example.org"));
	/* Only address fields are read as addresses. */
	CHECK(!search("Subject: a@b.c (Real  Name)\r\n\r\n", "Subject", "Real Name"));
}

/* ------------------------------------------------------------ dates */

static void test_dates(void)
{
	CHECK_INT(imap_parse_date("1-Feb-1994"), 760060800);
	CHECK_INT(imap_parse_date("01-feb-1994"), 760060800);
	CHECK_INT(imap_parse_date("29-Feb-2024"), 1709164800);
	const char *bad_dates[] = {"", "1-Feb-94", "32-Jan-2000", "29-Feb-2023", "0-Jan-2000",
				   "1-Foo-1994", "1-Feb-1994 ", "1 Feb 1994", "123-Feb-1994",
				   "1-Feb-19940", "-Feb-1994", "1-Fe"};
	for (size_t i = 0; i < sizeof bad_dates / sizeof bad_dates[0]; i++)
		CHECK_INT(imap_parse_date(bad_dates[i]), -1);
	CHECK_INT(imap_parse_date(NULL), -1);

	struct buf b;
	buf_init(&b);
	imap_format_datetime(&b, 1772442000);
	CHECK_STR(b.p, " 2-Mar-2026 09:00:00 +0000");
	buf_clear(&b);
	imap_format_datetime(&b, 837596665);
	CHECK_STR(b.p, "17-Jul-1996 09:44:25 +0000");
	buf_clear(&b);
	imap_format_datetime(&b, -1);
	CHECK_STR(b.p, "31-Dec-1969 23:59:59 +0000");

	CHECK_INT(imap_parse_datetime("17-Jul-1996 02:44:25 -0700"), 837596665);
	CHECK_INT(imap_parse_datetime("\"17-Jul-1996 09:44:25 +0000\""), 837596665);
	CHECK_INT(imap_parse_datetime(" 2-Mar-2026 10:30:00 +0130"), 1772442000);
	CHECK_INT(imap_parse_datetime("2-Mar-2026 09:00:00 +0000"), 1772442000);
	const char *bad_times[] = {"17-Jul-1996 02:44:25", "17-Jul-1996 02:44 -0700",
				   "17-Jul-1996 24:00:00 +0000", "17-Jul-1996 02:44:25 +0060",
				   "17-Jul-1996 02:44:25 0700", "17-Jul-1996  02:44:25 +0000",
				   "17-Jul-1996 02:44:25 +0000x", "\"17-Jul-1996 02:44:25 +0000",
				   ""};
	for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++)
		CHECK_INT(imap_parse_datetime(bad_times[i]), -1);

	/* Round trips, single-digit days included. */
	const int64_t times[] = {0, 1, 86399, 760060800, 1709164800 + 3661, 1772442000,
				 4102444799, -86400 * 365};
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		buf_clear(&b);
		imap_format_datetime(&b, times[i]);
		CHECK_INT(imap_parse_datetime(b.p), times[i]);
	}
	buf_free(&b);
}

static void test_msg_date(void)
{
	CHECK_INT(imap_msg_date(simple_msg, strlen(simple_msg)), 1772442000);
	CHECK_INT(imap_msg_date(rfc_msg, strlen(rfc_msg)), 837595405);
	const struct {
		const char *date;
		int64_t t;
	} cases[] = {
		{"Date: 2 Mar 2026 10:00 +0100\r\n\r\n", 1772442000},
		{"Date: Mon,  2 Mar 2026 09:00:00 GMT\r\n\r\n", 1772442000},
		{"date:Mon, 02 mar 2026\r\n 04:00:00 -0500\r\n\r\n", 1772442000},
		{"Date: Tue, 1 Jul 03 10:52:37 EDT\r\n\r\n", 1057071157},
		{"Date: Mon, 02 Mar 2026 09:00:00\r\n\r\n", 1772442000},
		{"Date: yesterday\r\n\r\n", -1},
		{"Date: Mon, 30 Feb 2026 09:00:00 +0000\r\n\r\n", -1},
		{"Date: Mon, 02 Mar 2026 09:00:00 +0000 junk\r\n\r\n", -1},
		{"Date: Mon 02 Mar 2026 09:00:00 +0000\r\n\r\n", -1},
		{"Subject: no date\r\n\r\n", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t t = imap_msg_date(cases[i].date, strlen(cases[i].date));
		if (t != cases[i].t)
			fprintf(stderr, "date case %zu: %s", i, cases[i].date);
		CHECK_INT(t, cases[i].t);
	}
	CHECK_INT(imap_msg_date(NULL, 0), -1);
}

int main(void)
{
	RUN(test_envelope_simple);
	RUN(test_envelope_rfc3501);
	RUN(test_envelope_groups_and_names);
	RUN(test_envelope_comment_names);
	RUN(test_structure_text_plain);
	RUN(test_structure_qp);
	RUN(test_structure_default_charset);
	RUN(test_structure_multipart);
	RUN(test_structure_rfc822);
	RUN(test_structure_rfc822_nested);
	RUN(test_structure_dsn);
	RUN(test_structure_broken);
	RUN(test_structure_deep);
	RUN(test_truncations);
	RUN(test_sections_simple);
	RUN(test_sections_multipart);
	RUN(test_sections_rfc822);
	RUN(test_sections_malformed);
	RUN(test_search);
	RUN(test_search_addresses);
	RUN(test_dates);
	RUN(test_msg_date);
	return TEST_END();
}
