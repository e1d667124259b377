/*
 * test_mime.c - the message helpers: encodings, encoded words, headers,
 * dates, composing, Received: and bounces.
 */
#include "mime.h"
#include "test.h"

#include <stdlib.h>

/* ------------------------------------------------------------ helpers */

/* Every line of s ends with CRLF, no CR or LF stands alone, every byte is
 * 7-bit and not NUL, and no line is longer than max (CRLF excluded). */
static int lines_ok(const char *s, size_t len, size_t max)
{
	size_t col = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0 || c >= 0x80)
			return 0;
		if (c == '\r') {
			if (i + 1 >= len || s[i + 1] != '\n')
				return 0;
			i++;
			col = 0;
			continue;
		}
		if (c == '\n' || ++col > max)
			return 0;
	}
	return col == 0; /* ends with CRLF */
}

static int starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Longest line in s, CRLF excluded. */
static size_t longest_line(const char *s)
{
	size_t longest = 0, col = 0;
	for (; *s; s++) {
		if (*s == '\r' || *s == '\n') {
			col = 0;
			continue;
		}
		if (++col > longest)
			longest = col;
	}
	return longest;
}

/* Encoded words in s, each checked by the caller-supplied limits. */
static size_t count_words(const char *s, size_t *longest)
{
	size_t n = 0;
	*longest = 0;
	const char *p = s;
	while ((p = strstr(p, "=?")) != NULL) {
		const char *q = strstr(p + 2, "?");          /* after charset */
		q = q ? strstr(q + 1, "?") : NULL;            /* after B/Q */
		q = q ? strstr(q + 1, "?=") : NULL;           /* end */
		if (!q)
			break;
		size_t w = (size_t)(q + 2 - p);
		if (w > *longest)
			*longest = w;
		n++;
		p = q + 2;
	}
	return n;
}

/* ------------------------------------------------------------ base64 */

static void test_base64_rfc4648_vectors(void)
{
	/* RFC 4648 section 10. */
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
					    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		struct buf e, d;
		buf_init(&e);
		buf_init(&d);
		mime_base64_encode(&e, plain[i], strlen(plain[i]));
		buf_add(&e, "", 0);
		CHECK_STR(e.p, coded[i]);
		CHECK_INT(mime_base64_decode(&d, coded[i], strlen(coded[i])), 0);
		buf_add(&d, "", 0);
		CHECK_STR(d.p, plain[i]);
		buf_free(&e);
		buf_free(&d);
	}
}

static void test_base64_binary_round_trip(void)
{
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t n = 0; n <= 256; n += 37) {
		struct buf e, d;
		buf_init(&e);
		buf_init(&d);
		mime_base64_encode(&e, all, n);
		CHECK_INT(e.len, (n + 2) / 3 * 4);
		CHECK_INT(mime_base64_decode(&d, e.p ? e.p : "", e.len), 0);
		CHECK_INT(d.len, n);
		CHECK(n == 0 || memcmp(d.p, all, n) == 0);
		buf_free(&e);
		buf_free(&d);
	}
}

static void test_base64_whitespace_and_invalid(void)
{
	struct buf d;
	buf_init(&d);
	const char *spaced = " Zm9v\r\nYmFy \t";
	CHECK_INT(mime_base64_decode(&d, spaced, strlen(spaced)), 0);
	CHECK_STR(d.p, "foobar");

	static const char *const bad[] = {
		"Zm9v!",    /* not in the alphabet */
		"Zm9vY",    /* an incomplete quantum */
		"Zg=",      /* incomplete padding */
		"Zg==Zg==", /* data after the padding */
		"=Zg=",     /* padding first */
		"Z===",     /* too much padding */
		"Zm9v=",    /* padding after a whole quantum */
		"Zm=v",     /* data after "=" inside a quantum */
		"Zm9-",     /* base64url is not base64 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_clear(&d);
		buf_adds(&d, "kept");
		CHECK_INT(mime_base64_decode(&d, bad[i], strlen(bad[i])), -1);
		CHECK_STR(d.p, "kept"); /* nothing half-written */
	}
	buf_free(&d);
}

/* ------------------------------------------------------------ quoted-printable */

static void test_qp_encode_portuguese(void)
{
	struct buf b;
	buf_init(&b);
	const char *s = "Olá, tudo bem? ção";
	mime_qp_encode(&b, s, strlen(s));
	CHECK_STR(b.p, "Ol=C3=A1, tudo bem? =C3=A7=C3=A3o");
	buf_clear(&b);
	mime_qp_encode(&b, "a=b\r\n", 5);
	CHECK_STR(b.p, "a=3Db\r\n");
	buf_free(&b);
}

static void test_qp_soft_breaks_at_76(void)
{
	char in[200];
	struct buf b;
	buf_init(&b);

	memset(in, 'a', 100);
	mime_qp_encode(&b, in, 100);
	/* 75 characters and "=" make the 76 allowed; the rest follows. */
	CHECK_INT(b.len, 75 + 3 + 25);
	CHECK(memcmp(b.p + 75, "=\r\n", 3) == 0);
	CHECK(longest_line(b.p) <= MIME_QP_LINE_MAX);

	/* A line of exactly 76 needs no soft break; 77 does. */
	buf_clear(&b);
	memcpy(in + 76, "\r\n", 2);
	mime_qp_encode(&b, in, 78);
	CHECK_INT(b.len, 78);
	CHECK(strstr(b.p, "=\r\n") == NULL);
	buf_clear(&b);
	memset(in, 'a', 77);
	memcpy(in + 77, "\r\n", 2);
	mime_qp_encode(&b, in, 79);
	CHECK(strstr(b.p, "=\r\n") != NULL);
	CHECK(longest_line(b.p) <= MIME_QP_LINE_MAX);

	/* An =XX triple is never cut by a soft break. */
	buf_clear(&b);
	for (int i = 0; i < 60; i++)
		memcpy(in + 2 * i, "\xC3\xA7", 2); /* ç, six characters encoded */
	mime_qp_encode(&b, in, 120);
	CHECK(longest_line(b.p) <= MIME_QP_LINE_MAX);
	struct buf d;
	buf_init(&d);
	CHECK_INT(mime_qp_decode(&d, b.p, b.len), 0);
	CHECK_INT(d.len, 120);
	CHECK(memcmp(d.p, in, 120) == 0);
	buf_free(&d);
	buf_free(&b);
}

static void test_qp_trailing_blanks(void)
{
	struct buf b;
	buf_init(&b);
	const char *s = "end with space \r\nand tab\t\r\nlast ";
	mime_qp_encode(&b, s, strlen(s));
	CHECK_STR(b.p, "end with space=20\r\nand tab=09\r\nlast=20");
	/* A lone LF or CR is data, not a line break. */
	buf_clear(&b);
	mime_qp_encode(&b, "a\nb\rc", 5);
	CHECK_STR(b.p, "a=0Ab=0Dc");
	buf_free(&b);
}

static void test_qp_decode(void)
{
	struct buf d;
	buf_init(&d);
	const char *s = "Ol=C3=A1, tudo bem? =c3=a7=C3=A3o\r\nsoft=\r\n break   \r\nend=20";
	CHECK_INT(mime_qp_decode(&d, s, strlen(s)), 0);
	CHECK_STR(d.p, "Olá, tudo bem? ção\r\nsoft break\r\nend ");

	/* Transport-added blanks after a soft break's "=" are ignored. */
	buf_clear(&d);
	s = "a=  \r\nb";
	CHECK_INT(mime_qp_decode(&d, s, strlen(s)), 0);
	CHECK_STR(d.p, "ab");

	static const char *const bad[] = {"=G1", "abc=4", "x=\x01\x02", "=4\r\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_clear(&d);
		buf_adds(&d, "kept");
		CHECK_INT(mime_qp_decode(&d, bad[i], strlen(bad[i])), -1);
		CHECK_STR(d.p, "kept");
	}

	/* Round trip of a long UTF-8 text with CRLF lines. */
	struct buf e, text;
	buf_init(&e);
	buf_init(&text);
	for (int i = 0; i < 30; i++)
		buf_adds(&text, "ação = reação; ");
	buf_adds(&text, "\r\n\r\nfim \r\n");
	mime_qp_encode(&e, text.p, text.len);
	CHECK(lines_ok(e.p, e.len, MIME_QP_LINE_MAX));
	buf_clear(&d);
	CHECK_INT(mime_qp_decode(&d, e.p, e.len), 0);
	CHECK_STR(d.p, text.p);
	buf_free(&e);
	buf_free(&text);
	buf_free(&d);
}

static void test_is_7bit(void)
{
	CHECK(mime_is_7bit("plain text\r\n", 12));
	CHECK(!mime_is_7bit("ol\xC3\xA1", 4));
	CHECK(!mime_is_7bit("a\0b", 3));
	CHECK(mime_is_7bit("", 0));
}

/* ------------------------------------------------------------ encoded words */

static void test_encoded_word_ola_mundo(void)
{
	struct buf b, d;
	buf_init(&b);
	buf_init(&d);
	mime_encode_header_value(&b, "Olá mundo", 9);
	/* Mostly ASCII: Q, and only the word that needs it. */
	CHECK_STR(b.p, "=?UTF-8?Q?Ol=C3=A1?= mundo");
	mime_decode_header_value(&d, b.p, b.len);
	CHECK_STR(d.p, "Olá mundo");

	/* Mostly non-ASCII: B. */
	buf_clear(&b);
	buf_clear(&d);
	mime_encode_header_value(&b, "日本語", 9);
	CHECK_STR(b.p, "=?UTF-8?B?5pel5pys6Kqe?=");
	mime_decode_header_value(&d, b.p, b.len);
	CHECK_STR(d.p, "日本語");

	/* ASCII is copied unchanged. */
	buf_clear(&b);
	mime_encode_header_value(&b, "Hello,  world (again)", 9);
	CHECK_STR(b.p, "Hello,  world (again)");

	/* A line break cannot sneak a header in. */
	buf_clear(&b);
	mime_encode_header_value(&b, "hi\r\nBcc: eve@evil.example", 9);
	CHECK(strstr(b.p, "\r\nBcc:") == NULL);
	CHECK(strchr(b.p, '\n') == NULL);
	buf_free(&b);
	buf_free(&d);
}

/* Decode each encoded word of s on its own: none may hold a cut character
 * (the decoder would show U+FFFD). */
static void check_words_whole(const char *s)
{
	const char *p = s;
	while ((p = strstr(p, "=?")) != NULL) {
		const char *q = strstr(p + 10, "?=");
		if (!q)
			break;
		struct buf one;
		buf_init(&one);
		mime_decode_header_value(&one, p, (size_t)(q + 2 - p));
		CHECK(one.p && strstr(one.p, "=?") == NULL);
		CHECK(one.p && strstr(one.p, "\xEF\xBF\xBD") == NULL);
		buf_free(&one);
		p = q + 2;
	}
}

static void test_encoded_words_long_subject(void)
{
	static const char *const subjects[] = {
		"Re: Relatório de avaliação dos alunos do segundo semestre — versão "
		"final revisada, com anexos e observações da coordenação",
		"Привет, как дела? Это длинная тема письма на русском языке для проверки",
		"日本語の件名はとても長くなることがあります。エンコードされた単語に分割する必要があります",
		"émoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 à la fin",
	};
	for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
		struct buf b, d;
		buf_init(&b);
		buf_init(&d);
		buf_adds(&b, "Subject: ");
		mime_encode_header_value(&b, subjects[i], 9);
		size_t longest;
		CHECK(count_words(b.p, &longest) >= 2);
		CHECK(longest <= MIME_ENCODED_WORD_MAX);
		CHECK(longest_line(b.p) <= MIME_LINE_SOFT_MAX);
		buf_adds(&b, "\r\n");
		CHECK(lines_ok(b.p, b.len, MIME_LINE_SOFT_MAX));
		/* Folded lines continue with a space. */
		for (const char *p = b.p; (p = strstr(p, "\r\n")) != NULL && p[2]; p += 2)
			CHECK(p[2] == ' ');
		check_words_whole(b.p);
		/* And it all comes back, through header_get's unfolding. */
		buf_adds(&b, "\r\nbody\r\n");
		struct buf v;
		buf_init(&v);
		CHECK(mime_header_get(b.p, b.len, "subject", &v));
		mime_decode_header_value(&d, v.p, v.len);
		CHECK_STR(d.p, subjects[i]);
		buf_free(&v);
		buf_free(&b);
		buf_free(&d);
	}
}

static void test_ascii_subject_folds_at_blanks(void)
{
	const char *subject = "This is a rather long plain ASCII subject line that will not fit "
			      "on one line of seventy-eight characters at all";
	struct buf b, v;
	buf_init(&b);
	buf_init(&v);
	buf_adds(&b, "Subject: ");
	mime_encode_header_value(&b, subject, 9);
	CHECK(strstr(b.p, "=?") == NULL);
	CHECK(longest_line(b.p) <= MIME_LINE_SOFT_MAX);
	CHECK_CONTAINS(b.p, "\r\n ");
	buf_adds(&b, "\r\n\r\n");
	CHECK(mime_header_get(b.p, b.len, "Subject", &v));
	CHECK_STR(v.p, subject); /* unfolding gives it back exactly */

	/* Text that a reader would take for an encoded word is encoded. */
	buf_clear(&b);
	buf_clear(&v);
	mime_encode_header_value(&b, "about =?x?Q?y?= syntax", 9);
	mime_decode_header_value(&v, b.p, b.len);
	CHECK_STR(v.p, "about =?x?Q?y?= syntax");
	CHECK(strncmp(b.p, "about =?UTF-8?Q?", 16) == 0);
	buf_free(&b);
	buf_free(&v);
}

static void test_decode_rfc2047_examples(void)
{
	/* RFC 2047 section 8. */
	static const char *const cases[][2] = {
		{"=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"},
		{"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>",
		 "Keld Jørn Simonsen <keld@dkuug.dk>"},
		{"=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
		 "André Pirard <PIRARD@vm1.ulg.ac.be>"},
		{"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
		 "    =?ISO-8859-1?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
		 "If you can read this you understand the example."},
		{"(=?ISO-8859-1?Q?a?=)", "(a)"},
		{"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
		{"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
		{"(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"},
		{"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
		{"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
		/* A charset we do not know stays as it is, with its space. */
		{"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a =?ISO-8859-2?Q?_b?=)"},
		/* Lower-case method, RFC 2231 language, UTF-8 B. */
		{"=?utf-8?q?ol=C3=A1?=", "olá"},
		{"=?UTF-8*pt?Q?ol=C3=A1?=", "olá"},
		{"=?UTF-8?B?T2zDoQ==?= mundo", "Olá mundo"},
		/* Malformed words are text. */
		{"=?UTF-8?Q?unterminated", "=?UTF-8?Q?unterminated"},
		{"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
		{"=?UTF-8?B?!!!?=", "=?UTF-8?B?!!!?="},
		{"=??Q?a?=", "=??Q?a?="},
		{"a =?", "a =?"},
		{"plain text", "plain text"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf d;
		buf_init(&d);
		mime_decode_header_value(&d, cases[i][0], strlen(cases[i][0]));
		CHECK_STR(d.p, cases[i][1]);
		buf_free(&d);
	}
	/* Invalid UTF-8 in a word becomes U+FFFD, never raw bytes. */
	struct buf d;
	buf_init(&d);
	const char *bad = "=?UTF-8?Q?a=FFb?=";
	mime_decode_header_value(&d, bad, strlen(bad));
	CHECK_STR(d.p, "a\xEF\xBF\xBD" "b");
	buf_free(&d);
}

/* ------------------------------------------------------------ dates */

static void test_format_date(void)
{
	static const struct {
		int64_t t;
		const char *s;
	} cases[] = {
		{0, "Thu, 01 Jan 1970 00:00:00 +0000"},
		{951782400, "Tue, 29 Feb 2000 00:00:00 +0000"},
		{951868799, "Tue, 29 Feb 2000 23:59:59 +0000"},
		{1795770000, "Fri, 27 Nov 2026 09:00:00 +0000"},
		{1767225599, "Wed, 31 Dec 2025 23:59:59 +0000"},
		{1767225600, "Thu, 01 Jan 2026 00:00:00 +0000"},
		{4107542400, "Mon, 01 Mar 2100 00:00:00 +0000"}, /* 2100 is not leap */
		{-1, "Wed, 31 Dec 1969 23:59:59 +0000"},
		{-86400 * 365, "Wed, 01 Jan 1969 00:00:00 +0000"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		buf_init(&b);
		mime_format_date(&b, cases[i].t);
		CHECK_STR(b.p, cases[i].s);
		buf_free(&b);
	}
	/* Extremes do not crash. */
	struct buf b;
	buf_init(&b);
	mime_format_date(&b, INT64_MAX);
	mime_format_date(&b, INT64_MIN);
	CHECK(b.len > 0);
	buf_free(&b);
}

/* ------------------------------------------------------------ headers */

static void test_header_get(void)
{
	const char *msg = "Received: from a\r\n"
			  "\tby b; Fri, 27 Nov 2026 09:00:00 +0000\r\n"
			  "Subject:   a folded\r\n"
			  "  subject line  \r\n"
			  "X-Subject: not this one\r\n"
			  "From : Alice <alice@uea.edu.br>\r\n"
			  "To:bob@gmail.com\r\n"
			  "Empty:\r\n"
			  "\r\n"
			  "Hidden: in the body\r\n";
	size_t len = strlen(msg);
	struct buf v;
	buf_init(&v);
	CHECK(mime_header_get(msg, len, "SUBJECT", &v));
	CHECK_STR(v.p, "a folded  subject line");
	buf_clear(&v);
	CHECK(mime_header_get(msg, len, "received", &v));
	CHECK_STR(v.p, "from a\tby b; Fri, 27 Nov 2026 09:00:00 +0000");
	buf_clear(&v);
	CHECK(mime_header_get(msg, len, "from", &v));
	CHECK_STR(v.p, "Alice <alice@uea.edu.br>");
	buf_clear(&v);
	CHECK(mime_header_get(msg, len, "To", &v));
	CHECK_STR(v.p, "bob@gmail.com");
	buf_clear(&v);
	buf_adds(&v, "");
	CHECK(mime_header_get(msg, len, "Empty", &v));
	CHECK_STR(v.p, "");
	CHECK(!mime_header_get(msg, len, "Hidden", &v));
	CHECK(!mime_header_get(msg, len, "Subj", &v));
	CHECK(!mime_header_get(msg, len, "Cc", &v));
	CHECK(!mime_header_get(msg, len, "", &v));
	CHECK_INT(mime_body_offset(msg, len), strstr(msg, "Hidden") - msg);

	/* LF-only messages, and a message that is all header. */
	const char *lf = "Subject: one\n two\nFrom: x@y\n\nbody\n";
	buf_clear(&v);
	CHECK(mime_header_get(lf, strlen(lf), "subject", &v));
	CHECK_STR(v.p, "one two");
	CHECK_INT(mime_body_offset(lf, strlen(lf)), strstr(lf, "body") - lf);
	const char *nobody = "Subject: x";
	buf_clear(&v);
	CHECK(mime_header_get(nobody, strlen(nobody), "Subject", &v));
	CHECK_STR(v.p, "x");
	CHECK_INT(mime_body_offset(nobody, strlen(nobody)), strlen(nobody));
	CHECK_INT(mime_body_offset("\r\nbody", 6), 2);
	buf_free(&v);
}

static void test_addr_spec(void)
{
	static const char *const good[][2] = {
		{"Alice <alice@uea.edu.br>", "alice@uea.edu.br"},
		{"\"Raiol, Alice\" <alice@uea.edu.br>", "alice@uea.edu.br"},
		{"\"Fake <x@y>\" <real@uea.edu.br>", "real@uea.edu.br"},
		{"alice@uea.edu.br", "alice@uea.edu.br"},
		{"  <alice@uea.edu.br>  ", "alice@uea.edu.br"},
		{"alice@uea.edu.br (Alice)", "alice@uea.edu.br"},
		{"(Alice) alice@uea.edu.br", "alice@uea.edu.br"},
		{"Alice (the <boss>) <alice@uea.edu.br>", "alice@uea.edu.br"},
		{"=?UTF-8?Q?Jos=C3=A9?= <jose@x.br>", "jose@x.br"},
		{"<@relay.example:bob@gmail.com>", "bob@gmail.com"},
		{"\"john doe\"@example.com", "\"john doe\"@example.com"},
		{"bob@[192.0.2.1]", "bob@[192.0.2.1]"},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct buf b;
		buf_init(&b);
		CHECK(mime_addr_spec(good[i][0], &b));
		CHECK_STR(b.p, good[i][1]);
		buf_free(&b);
	}
	static const char *const bad[] = {
		"", "Alice", "<>", "<alice@uea.edu.br", "Alice alice@uea.edu.br", "@uea.edu.br",
		"alice@", "a@b, c@d", "a@b@c", "\"unterminated@x", "(open a@b", "<a b@c>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf b;
		buf_init(&b);
		CHECK(!mime_addr_spec(bad[i], &b));
		CHECK_INT(b.len, 0);
		buf_free(&b);
	}
	CHECK(!mime_addr_spec(NULL, NULL));

	CHECK_STR(mime_addr_domain("bob@gmail.com"), "gmail.com");
	CHECK_STR(mime_addr_domain("\"a@b\"@c.org"), "c.org");
	CHECK(mime_addr_domain("bob") == NULL);
	CHECK(mime_addr_domain("bob@") == NULL);
	CHECK(mime_addr_domain(NULL) == NULL);
}

/* ------------------------------------------------------------ composing */

static void test_compose_ascii(void)
{
	const char *to[] = {"bob@gmail.com"};
	struct mime_compose m = {
		.from_name = "Alice Raiol",
		.from_addr = "alice@uea.edu.br",
		.to = to,
		.nto = 1,
		.subject = "Lunch on Friday?",
		.body = "Hi Bob,\nlunch at noon?\n\n-- \nAlice",
		.date = 1795770000,
		.message_id = "<20261127090000.1@uea.edu.br>",
	};
	struct buf b;
	buf_init(&b);
	mime_compose(&b, &m);
	CHECK_STR(b.p, "Date: Fri, 27 Nov 2026 09:00:00 +0000\r\n"
		       "From: \"Alice Raiol\" <alice@uea.edu.br>\r\n"
		       "To: bob@gmail.com\r\n"
		       "Subject: Lunch on Friday?\r\n"
		       "Message-ID: <20261127090000.1@uea.edu.br>\r\n"
		       "MIME-Version: 1.0\r\n"
		       "Content-Type: text/plain; charset=us-ascii\r\n"
		       "Content-Transfer-Encoding: 7bit\r\n"
		       "\r\n"
		       "Hi Bob,\r\n"
		       "lunch at noon?\r\n"
		       "\r\n"
		       "-- \r\n"
		       "Alice\r\n");
	CHECK(lines_ok(b.p, b.len, MIME_LINE_SOFT_MAX));
	buf_free(&b);

	/* No display name; a name with specials is quoted and escaped;
	 * User-Agent last. */
	m.from_name = NULL;
	m.user_agent = "mailsim/1.0";
	buf_init(&b);
	mime_compose(&b, &m);
	CHECK_CONTAINS(b.p, "\r\nFrom: alice@uea.edu.br\r\n");
	CHECK_CONTAINS(b.p, "Content-Transfer-Encoding: 7bit\r\nUser-Agent: mailsim/1.0\r\n\r\n");
	buf_free(&b);
	m.from_name = "Raiol, Alice \"the\" A.";
	buf_init(&b);
	mime_compose(&b, &m);
	CHECK_CONTAINS(b.p, "\r\nFrom: \"Raiol, Alice \\\"the\\\" A.\" <alice@uea.edu.br>\r\n");
	buf_free(&b);
}

static void test_compose_long_lists_and_long_lines(void)
{
	const char *to[] = {"alice@uea.edu.br",       "bob.silva@gmail.com",
			    "carol.long.name@example.org", "dave@example.net",
			    "erin@example.com",       "frank.the.tank@example.org"};
	const char *cc[] = {"grace@example.com", "heidi@example.com"};
	char body[2100];
	memset(body, 'x', 2000); /* one 2000-octet line: too long for 7bit */
	body[2000] = '\0';
	struct mime_compose m = {
		.from_addr = "alice@uea.edu.br",
		.to = to,
		.nto = 6,
		.cc = cc,
		.ncc = 2,
		.subject = "",
		.body = body,
		.date = 0,
		.message_id = "<1@uea.edu.br>",
	};
	struct buf b, v;
	buf_init(&b);
	buf_init(&v);
	mime_compose(&b, &m);
	CHECK(lines_ok(b.p, b.len, MIME_LINE_SOFT_MAX));
	CHECK_CONTAINS(b.p, "\r\nCc: grace@example.com, heidi@example.com\r\n");
	CHECK_CONTAINS(b.p, "charset=us-ascii\r\nContent-Transfer-Encoding: quoted-printable\r\n");
	CHECK(mime_header_get(b.p, b.len, "To", &v));
	CHECK_STR(v.p, "alice@uea.edu.br, bob.silva@gmail.com, carol.long.name@example.org, "
		       "dave@example.net, erin@example.com, frank.the.tank@example.org");
	CHECK_CONTAINS(b.p, ",\r\n "); /* folded after a comma */
	buf_free(&b);
	buf_free(&v);
}

static void test_compose_non_ascii(void)
{
	const char *to[] = {"bob@gmail.com", "José Silva <jose@uea.edu.br>"};
	struct mime_compose m = {
		.from_name = "Alice Raiol — UEA",
		.from_addr = "alice@uea.edu.br",
		.to = to,
		.nto = 2,
		.subject = "Olá mundo",
		.body = "Olá, tudo bem? ção\nLinha dois\n",
		.date = 1795770000,
		.message_id = "<2@uea.edu.br>",
		.user_agent = "mailsim/1.0",
	};
	struct buf b, v, d;
	buf_init(&b);
	buf_init(&v);
	buf_init(&d);
	mime_compose(&b, &m);
	CHECK(lines_ok(b.p, b.len, MIME_LINE_SOFT_MAX));
	CHECK_CONTAINS(b.p, "\r\nFrom: =?UTF-8?Q?Alice_Raiol_=E2=80=94_UEA?= <alice@uea.edu.br>\r\n");
	CHECK_CONTAINS(b.p, "\r\nTo: bob@gmail.com, =?UTF-8?Q?Jos=C3=A9_Silva?= <jose@uea.edu.br>\r\n");
	CHECK_CONTAINS(b.p, "\r\nSubject: =?UTF-8?Q?Ol=C3=A1?= mundo\r\n");
	CHECK_CONTAINS(b.p, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"
			    "Content-Transfer-Encoding: quoted-printable\r\n"
			    "User-Agent: mailsim/1.0\r\n\r\n"
			    "Ol=C3=A1, tudo bem? =C3=A7=C3=A3o\r\nLinha dois\r\n");
	CHECK(starts_with(b.p, "Date: Fri, 27 Nov 2026 09:00:00 +0000\r\nFrom: "));
	CHECK(mime_header_get(b.p, b.len, "From", &v));
	mime_decode_header_value(&d, v.p, v.len);
	CHECK_STR(d.p, "Alice Raiol — UEA <alice@uea.edu.br>");
	/* The body decodes back to the text, with CRLF. */
	size_t body = mime_body_offset(b.p, b.len);
	buf_clear(&d);
	CHECK_INT(mime_qp_decode(&d, b.p + body, b.len - body), 0);
	CHECK_STR(d.p, "Olá, tudo bem? ção\r\nLinha dois\r\n");
	buf_free(&b);
	buf_free(&v);
	buf_free(&d);
}

/* Where a field added to a header goes: before the empty line that ends
 * it, or at the end of a message that is all header. */
static void test_header_end(void)
{
	const char *msg = "Subject: x\r\nFrom: a@b\r\n\r\nbody\r\n\r\nmore\r\n";
	CHECK_INT(mime_header_end(msg, strlen(msg)), strstr(msg, "\r\n\r\n") + 2 - msg);
	const char *folded = "Subject: a\r\n  long one\r\n\r\nbody\r\n";
	CHECK_INT(mime_header_end(folded, strlen(folded)), strstr(folded, "\r\n\r\n") + 2 - folded);
	const char *lf = "Subject: x\n\nbody\n";
	CHECK_INT(mime_header_end(lf, strlen(lf)), 11);
	const char *nobody = "Subject: x\r\nFrom: a@b\r\n";
	CHECK_INT(mime_header_end(nobody, strlen(nobody)), strlen(nobody));
	CHECK_INT(mime_header_end("\r\nbody\r\n", 8), 0);
	CHECK_INT(mime_header_end("", 0), 0);
	CHECK_INT(mime_header_end(NULL, 0), 0);
}

/* ------------------------------------------------------------ Received: */

/* TCP-info (RFC 5321 4.4): the name the client's address is known by and
 * the address itself as an address literal (4.1.3), or the literal alone. */
static void test_received_tcp_info(void)
{
	struct buf b;
	buf_init(&b);
	mime_received_tcp_info(&b, "localhost", "127.0.0.1");
	CHECK_STR(b.p, "localhost [127.0.0.1]");
	buf_clear(&b);
	mime_received_tcp_info(&b, NULL, "127.0.0.2");
	CHECK_STR(b.p, "[127.0.0.2]");
	buf_clear(&b);
	mime_received_tcp_info(&b, "", "127.0.0.2");
	CHECK_STR(b.p, "[127.0.0.2]");
	buf_clear(&b);
	/* an IPv6 address is tagged, so that its colons are not taken for
	 * anything else (RFC 5321 4.1.3) */
	mime_received_tcp_info(&b, "localhost", "::1");
	CHECK_STR(b.p, "localhost [IPv6:::1]");
	buf_clear(&b);
	/* no address: the name alone, as the simulation's hosts have none */
	mime_received_tcp_info(&b, "alice-laptop", NULL);
	CHECK_STR(b.p, "alice-laptop");
	buf_free(&b);
}

static void test_received(void)
{
	struct buf b;
	buf_init(&b);
	mime_received(&b, "laptop.uea.edu.br", "laptop.uea.edu.br [127.0.0.5]", "mail.uea.edu.br",
		      "ESMTPA", "4Xy1", "bob@gmail.com", 1795770000);
	CHECK_STR(b.p, "Received: from laptop.uea.edu.br (laptop.uea.edu.br [127.0.0.5])\r\n"
		       "\tby mail.uea.edu.br with ESMTPA id 4Xy1\r\n"
		       "\tfor <bob@gmail.com>; Fri, 27 Nov 2026 09:00:00 +0000\r\n");
	buf_clear(&b);
	mime_received(&b, "mail.uea.edu.br", "mail.uea.edu.br [127.0.0.2]", "mx.gmail.com",
		      "ESMTP", "7Q2", NULL, 0);
	CHECK_STR(b.p, "Received: from mail.uea.edu.br (mail.uea.edu.br [127.0.0.2])\r\n"
		       "\tby mx.gmail.com with ESMTP id 7Q2; Thu, 01 Jan 1970 00:00:00 +0000\r\n");
	/* Prepended to a message, it is a header like any other. */
	buf_adds(&b, "Subject: x\r\n\r\n");
	struct buf v;
	buf_init(&v);
	CHECK(mime_header_get(b.p, b.len, "received", &v));
	CHECK_CONTAINS(v.p, "by mx.gmail.com with ESMTP id 7Q2; Thu, 01 Jan 1970");
	buf_free(&v);
	buf_free(&b);
}

/* ------------------------------------------------------------ bounces */

static void test_dsn(void)
{
	const struct mime_dsn_rcpt rcpts[] = {
		{.addr = "x@gmail.com",
		 .status = "5.1.1",
		 .remote_mta = "mx.gmail.com",
		 .diagnostic = "550 5.1.1 <x@gmail.com>: recipient rejected",
		 .smtp_command = "RCPT TO"},
		{.addr = "y@nowhere.example",
		 .status = "5.4.4",
		 .remote_mta = NULL,
		 .diagnostic = "Host or domain name not found"},
	};
	const char *orig = "Received: from laptop (127.0.0.5)\r\n"
			   "\tby mail.uea.edu.br with ESMTPA id 4Xy1\r\n"
			   "From: \"Alice Raiol\" <alice@uea.edu.br>\r\n"
			   "Subject: hi\r\n"
			   "\r\n"
			   "SECRET BODY TEXT\r\n";
	struct mime_dsn d = {
		.reporting_mta = "mail.uea.edu.br",
		.postmaster_domain = "uea.edu.br",
		.to = "alice@uea.edu.br",
		.explanation = "The remote servers refused the message for the recipients below.",
		.rcpts = rcpts,
		.nrcpts = 2,
		.original = orig,
		.original_len = strlen(orig),
		.arrival_date = 1795770000,
		.date = 1795770060,
		.message_id = "<bounce.1@mail.uea.edu.br>",
		.boundary = "=_mailsim_1",
	};
	struct buf b, v;
	buf_init(&b);
	buf_init(&v);
	mime_dsn(&b, &d);
	CHECK(lines_ok(b.p, b.len, MIME_LINE_SOFT_MAX));

	CHECK(starts_with(b.p, "From: Mail Delivery Subsystem <MAILER-DAEMON@uea.edu.br>\r\n"
			   "To: alice@uea.edu.br\r\n"
			   "Subject: Undelivered Mail Returned to Sender\r\n"
			   "Date: Fri, 27 Nov 2026 09:01:00 +0000\r\n"
			   "Message-ID: <bounce.1@mail.uea.edu.br>\r\n"
			   "MIME-Version: 1.0\r\n"
			   "Content-Type: multipart/report; report-type=delivery-status;\r\n"
			   " boundary=\"=_mailsim_1\"\r\n"
			   "Auto-Submitted: auto-replied\r\n\r\n"));
	CHECK(mime_header_get(b.p, b.len, "content-type", &v));
	CHECK_STR(v.p, "multipart/report; report-type=delivery-status; boundary=\"=_mailsim_1\"");

	/* The human part. */
	CHECK_CONTAINS(b.p, "\r\n--=_mailsim_1\r\nContent-Description: Notification\r\n"
			    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
			    "This is the mail system at host mail.uea.edu.br.\r\n\r\n"
			    "I'm sorry to have to inform you that your message could not\r\n");
	CHECK_CONTAINS(b.p, "The remote servers refused the message for the recipients below.");
	CHECK_CONTAINS(b.p, "\r\n<x@gmail.com>: host mx.gmail.com said: 550 5.1.1 <x@gmail.com>: "
			    "recipient\r\n    rejected (in reply to RCPT TO command)\r\n");
	CHECK_CONTAINS(b.p, "\r\n<y@nowhere.example>: Host or domain name not found\r\n");

	/* The machine part. */
	CHECK_CONTAINS(b.p, "\r\n--=_mailsim_1\r\nContent-Description: Delivery report\r\n"
			    "Content-Type: message/delivery-status\r\n\r\n"
			    "Reporting-MTA: dns; mail.uea.edu.br\r\n"
			    "Arrival-Date: Fri, 27 Nov 2026 09:00:00 +0000\r\n\r\n"
			    "Final-Recipient: rfc822; x@gmail.com\r\n"
			    "Action: failed\r\n"
			    "Status: 5.1.1\r\n"
			    "Remote-MTA: dns; mx.gmail.com\r\n"
			    "Diagnostic-Code: smtp; 550 5.1.1 <x@gmail.com>: recipient rejected\r\n\r\n"
			    "Final-Recipient: rfc822; y@nowhere.example\r\n"
			    "Action: failed\r\n"
			    "Status: 5.4.4\r\n"
			    "Diagnostic-Code: X-mailsim; Host or domain name not found\r\n\r\n");

	/* The original's headers, not its body; then the closing boundary. */
	CHECK_CONTAINS(b.p, "\r\n--=_mailsim_1\r\nContent-Description: Undelivered Message Headers\r\n"
			    "Content-Type: text/rfc822-headers\r\n\r\n"
			    "Received: from laptop (127.0.0.5)\r\n"
			    "\tby mail.uea.edu.br with ESMTPA id 4Xy1\r\n"
			    "From: \"Alice Raiol\" <alice@uea.edu.br>\r\n"
			    "Subject: hi\r\n"
			    "\r\n--=_mailsim_1--\r\n");
	CHECK(strstr(b.p, "SECRET BODY") == NULL);
	const char *tail = "\r\n--=_mailsim_1--\r\n";
	CHECK(b.len > strlen(tail) && strcmp(b.p + b.len - strlen(tail), tail) == 0);
	buf_free(&b);
	buf_free(&v);
}

static void test_dsn_hostile_input(void)
{
	/* A remote reply with line breaks and 8-bit bytes, a long one, an
	 * LF-only original without a body: still CRLF, 7-bit, short lines. */
	char longreply[3000];
	memset(longreply, 'z', sizeof longreply - 1);
	longreply[sizeof longreply - 1] = '\0';
	memcpy(longreply, "550 ", 4);
	const struct mime_dsn_rcpt rcpts[] = {
		{"x@gmail.com", "5.1.1", "mx.gmail.com", "550 5.1.1 bad\r\nBcc: \xC3\xA7 evil", "DATA"},
		{"y@gmail.com", NULL, "mx.gmail.com", longreply, NULL},
	};
	const char *orig = "Subject: oi\nFrom: a@b\n";
	struct mime_dsn d = {
		.reporting_mta = "mail.uea.edu.br",
		.postmaster_domain = "uea.edu.br",
		.to = "alice@uea.edu.br",
		.rcpts = rcpts,
		.nrcpts = 2,
		.original = orig,
		.original_len = strlen(orig),
		.boundary = "b",
	};
	struct buf b;
	buf_init(&b);
	mime_dsn(&b, &d);
	CHECK(lines_ok(b.p, b.len, 998));
	CHECK(strstr(b.p, "\r\nBcc:") == NULL);
	CHECK_CONTAINS(b.p, "Diagnostic-Code: smtp; 550 5.1.1 bad  Bcc: ?? evil\r\n");
	CHECK_CONTAINS(b.p, "Status: 5.0.0\r\n");
	CHECK_CONTAINS(b.p, "\r\n\r\nSubject: oi\r\nFrom: a@b\r\n\r\n--b--\r\n");
	buf_free(&b);
}

/* ------------------------------------------------------------ robustness */

/* Every function, on every prefix of nasty inputs, each in a heap block of
 * exactly that size (so the sanitizer sees any read past the end). */
static void test_malformed_prefixes(void)
{
	static const char *const nasty[] = {
		"=?UTF-8?B?T2zDoQ==?= =?ISO-8859-1?Q?J=F8rn?= =?x?Q?=?= =?UTF-8?Q?=C3",
		"Subject: a\r\n b\r\nFrom: \"q\\\" <x@y> (c (d) \\) e) <a@b\r\n\r\nbody",
		"Zm9vYmFy=\r\n==",
		"abc=\r\n=4=41= \r\n=",
		"\xF0\x9F\x98\x80\xF0\x9F\x98\xE2\x82\xC3",
	};
	for (size_t k = 0; k < sizeof nasty / sizeof nasty[0]; k++) {
		size_t n = strlen(nasty[k]);
		for (size_t len = 0; len <= n; len++) {
			char *p = malloc(len ? len : 1);
			memcpy(p, nasty[k], len);
			struct buf b;
			buf_init(&b);
			(void)mime_base64_decode(&b, p, len);
			(void)mime_qp_decode(&b, p, len);
			mime_decode_header_value(&b, p, len);
			(void)mime_header_get(p, len, "from", &b);
			(void)mime_body_offset(p, len);
			(void)mime_is_7bit(p, len);
			mime_qp_encode(&b, p, len);
			mime_base64_encode(&b, p, len);
			char *z = malloc(len + 1); /* the string functions take C strings */
			memcpy(z, p, len);
			z[len] = '\0';
			mime_encode_header_value(&b, z, 9);
			(void)mime_addr_spec(z, &b);
			(void)mime_addr_domain(z);
			free(z);
			free(p);
			buf_free(&b);
		}
	}
	CHECK(1);
}

/* A small deterministic generator, so that runs are repeatable. */
static unsigned long rnd_next(unsigned long *state)
{
	*state = *state * 6364136223846793005ul + 1442695040888963407ul;
	return *state >> 33;
}

static void test_random_round_trips(void)
{
	static const char *const pieces[] = {"a", "Z", " ", "  ", "\t", "=", "?", "_", ".",
					     "=?", "?=", "á", "ç", "ã", "—", "日", "😀", ",", "\"",
					     "(", "x@y"};
	unsigned long st = 42;
	for (int round = 0; round < 300; round++) {
		/* Random bytes through base64 and quoted-printable. */
		unsigned char raw[300];
		size_t n = rnd_next(&st) % sizeof raw;
		for (size_t i = 0; i < n; i++)
			raw[i] = (unsigned char)rnd_next(&st);
		struct buf e, d;
		buf_init(&e);
		buf_init(&d);
		mime_base64_encode(&e, raw, n);
		CHECK_INT(mime_base64_decode(&d, e.p ? e.p : "", e.len), 0);
		CHECK(d.len == n && (n == 0 || memcmp(d.p, raw, n) == 0));
		buf_clear(&e);
		buf_clear(&d);
		mime_qp_encode(&e, (const char *)raw, n);
		CHECK(e.len == 0 || longest_line(e.p) <= MIME_QP_LINE_MAX);
		CHECK(mime_is_7bit(e.p ? e.p : "", e.len));
		CHECK_INT(mime_qp_decode(&d, e.p ? e.p : "", e.len), 0);
		CHECK(d.len == n && (n == 0 || memcmp(d.p, raw, n) == 0));

		/* Random valid UTF-8 text through a Subject: and back. */
		struct buf text, msg, v;
		buf_init(&text);
		buf_init(&msg);
		buf_init(&v);
		buf_adds(&text, "s");
		size_t npieces = rnd_next(&st) % 40;
		for (size_t i = 0; i < npieces; i++)
			buf_adds(&text, pieces[rnd_next(&st) % (sizeof pieces / sizeof pieces[0])]);
		buf_adds(&text, "e");
		buf_adds(&msg, "Subject: ");
		mime_encode_header_value(&msg, text.p, 9);
		buf_adds(&msg, "\r\n\r\n");
		CHECK(lines_ok(msg.p, msg.len, MIME_LINE_SOFT_MAX));
		CHECK(mime_header_get(msg.p, msg.len, "subject", &v));
		buf_clear(&d);
		mime_decode_header_value(&d, v.p, v.len);
		CHECK_STR(d.p, text.p);
		buf_free(&text);
		buf_free(&msg);
		buf_free(&v);
		buf_free(&e);
		buf_free(&d);
	}
}

int main(void)
{
	RUN(test_base64_rfc4648_vectors);
	RUN(test_base64_binary_round_trip);
	RUN(test_base64_whitespace_and_invalid);
	RUN(test_qp_encode_portuguese);
	RUN(test_qp_soft_breaks_at_76);
	RUN(test_qp_trailing_blanks);
	RUN(test_qp_decode);
	RUN(test_is_7bit);
	RUN(test_encoded_word_ola_mundo);
	RUN(test_encoded_words_long_subject);
	RUN(test_ascii_subject_folds_at_blanks);
	RUN(test_decode_rfc2047_examples);
	RUN(test_format_date);
	RUN(test_header_get);
	RUN(test_addr_spec);
	RUN(test_compose_ascii);
	RUN(test_compose_long_lists_and_long_lines);
	RUN(test_compose_non_ascii);
	RUN(test_received);
	RUN(test_dsn);
	RUN(test_header_end);
	RUN(test_received_tcp_info);
	RUN(test_dsn_hostile_input);
	RUN(test_malformed_prefixes);
	RUN(test_random_round_trips);
	return TEST_END();
}
