/*
 * test_imap_parse.c - the IMAP command grammar: framer, parser, sequence
 * sets and output helpers.
 *
 * Parser tests render the parsed command back as one line (render()) and
 * compare it with what is expected, so each test reads as a transcript:
 * the command on the left, its tree on the right.  Framer tests feed a
 * stream and record every result as a transcript too (frame_all()).
 */
#include "imap_parse.h"
#include "test.h"

#include <stdlib.h>

/* ------------------------------------------------------------ helpers */

/* One argument as text: atoms bare, strings in <>, literals as {n}<...>,
 * NIL as NIL, lists in (). */
static void render_arg(struct buf *out, const struct imap_arg *a)
{
	switch (a->type) {
	case IMAP_ARG_ATOM:
		buf_add(out, a->s, a->len);
		break;
	case IMAP_ARG_STRING:
		if (a->literal)
			buf_printf(out, "{%zu}", a->len);
		buf_addc(out, '<');
		buf_add(out, a->s, a->len);
		buf_addc(out, '>');
		break;
	case IMAP_ARG_NIL:
		buf_adds(out, "NIL");
		break;
	case IMAP_ARG_LIST:
		buf_addc(out, '(');
		for (size_t i = 0; i < a->nlist; i++) {
			if (i)
				buf_addc(out, ' ');
			render_arg(out, &a->list[i]);
		}
		buf_addc(out, ')');
		break;
	}
}

/* Parse text and render "tag|NAME|args" (UID shown as "UID NAME"), or
 * "BAD tag|message". */
static char *render_n(const char *text, size_t len)
{
	struct imap_cmd cmd;
	char err[256];
	struct buf out;
	buf_init(&out);
	if (imap_parse_command(text, len, &cmd, err, sizeof err) < 0) {
		buf_printf(&out, "BAD %s|%s", cmd.tag, err);
	} else {
		buf_printf(&out, "%s|%s%s|", cmd.tag, cmd.uid ? "UID " : "", cmd.name);
		for (size_t i = 0; i < cmd.nargs; i++) {
			if (i)
				buf_addc(&out, ' ');
			render_arg(&out, &cmd.args[i]);
		}
	}
	imap_cmd_free(&cmd);
	return buf_steal(&out);
}

static char *last_render;

/* render_n for a C string; the result lives until the next call. */
static const char *render(const char *text)
{
	free(last_render);
	last_render = render_n(text, strlen(text));
	return last_render;
}

/* Feed all of in, chunk octets at a time, and record every result:
 * "C" continue, "[text]" a command, "BIG:tag:err", "LONG:tag:err". */
static char *frame_all(struct imap_framer *f, const char *in, size_t len, size_t chunk)
{
	struct buf log;
	buf_init(&log);
	size_t off = 0;
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		size_t used_in_chunk = 0;
		for (;;) {
			enum imap_frame what;
			size_t used = imap_framer_feed(f, in + off + used_in_chunk,
						       n - used_in_chunk, &what);
			used_in_chunk += used;
			switch (what) {
			case IMAP_FRAME_MORE:
				break;
			case IMAP_FRAME_CONTINUE:
				buf_adds(&log, "C ");
				break;
			case IMAP_FRAME_COMMAND:
				buf_addc(&log, '[');
				buf_add(&log, f->cmd.p, f->cmd.len);
				buf_printf(&log, "]tag=%s ", f->tag);
				imap_framer_next(f);
				break;
			case IMAP_FRAME_TOO_BIG:
				buf_printf(&log, "BIG:%s:%s ", f->tag, f->err);
				break;
			case IMAP_FRAME_LINE_TOO_LONG:
				buf_printf(&log, "LONG:%s:%s ", f->tag, f->err);
				break;
			}
			if (what == IMAP_FRAME_MORE) /* all of the chunk was taken */
				break;
		}
		off += n;
	}
	return buf_steal(&log);
}

/* frame_all on a fresh framer, all at once and octet by octet: the two
 * must agree; returns the transcript (free it). */
static char *frame(const char *in, size_t len)
{
	struct imap_framer f;
	imap_framer_init(&f);
	char *whole = frame_all(&f, in, len, len ? len : 1);
	imap_framer_free(&f);
	imap_framer_init(&f);
	char *bytewise = frame_all(&f, in, len, 1);
	imap_framer_free(&f);
	CHECK_STR(bytewise, whole);
	free(bytewise);
	return whole;
}

static char *last_frame;

static const char *frames(const char *in)
{
	free(last_frame);
	last_frame = frame(in, strlen(in));
	return last_frame;
}

/* ------------------------------------------------------------ parser */

static void test_tags_and_names(void)
{
	CHECK_STR(render("a1 NOOP\r\n"), "a1|NOOP|");
	CHECK_STR(render("a1 noop\r\n"), "a1|NOOP|");           /* upper-cased */
	CHECK_STR(render("a1 NOOP\n"), "a1|NOOP|");             /* bare LF */
	CHECK_STR(render("a1 NOOP"), "a1|NOOP|");               /* no line end at all */
	CHECK_STR(render("x]y NOOP\r\n"), "x]y|NOOP|");         /* ']' is an ASTRING-CHAR */
	CHECK_STR(render("A.1-b NOOP\r\n"), "A.1-b|NOOP|");
	CHECK_STR(render("* NOOP\r\n"),
		  "BAD |'*' cannot be a tag: it begins the server's untagged replies");
	CHECK_STR(render("+ NOOP\r\n"),
		  "BAD |'+' cannot be a tag: it begins the server's continuation replies");
	CHECK_STR(render("a+b NOOP\r\n"), "BAD |'+' is not allowed in a tag (offset 1)");
	CHECK_STR(render("a*b NOOP\r\n"), "BAD |'*' is not allowed in a tag (offset 1)");
	CHECK_STR(render(" NOOP\r\n"), "BAD |missing tag: the line begins with a space");
	CHECK_STR(render("\r\n"), "BAD |empty line: expected a tag, a space and a command");
	CHECK_STR(render(""), "BAD |empty line: expected a tag, a space and a command");
	CHECK_STR(render("a1\r\n"), "BAD a1|missing command after the tag");
	CHECK_STR(render("a1 \r\n"), "BAD a1|missing command after the tag");
	CHECK_STR(render("a1  NOOP\r\n"), "a1|NOOP|"); /* lenient about two spaces */
	char longtag[IMAP_TAG_MAX_CHARS + 20];
	memset(longtag, 't', IMAP_TAG_MAX_CHARS + 1);
	strcpy(longtag + IMAP_TAG_MAX_CHARS + 1, " NOOP\r\n");
	CHECK_STR(render(longtag), "BAD |tag longer than 64 characters");
	CHECK_STR(render("a1 NO(OP\r\n"), "BAD a1|'(' is not allowed in a command name (offset 5)");
	CHECK_STR(render("a1 ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG\r\n"),
		  "BAD a1|command name longer than 31 characters");
}

static void test_uid_prefix(void)
{
	CHECK_STR(render("a UID FETCH 1:* FLAGS\r\n"), "a|UID FETCH|1:* FLAGS");
	CHECK_STR(render("a uid store 4 +FLAGS (\\Seen)\r\n"), "a|UID STORE|4 +FLAGS (\\Seen)");
	CHECK_STR(render("a UID\r\n"),
		  "BAD a|UID must be followed by a command (COPY, FETCH, SEARCH, STORE...)");
	CHECK_STR(render("a UID \r\n"),
		  "BAD a|UID must be followed by a command (COPY, FETCH, SEARCH, STORE...)");
	/* Only one UID is folded: "UID UID" names a command called UID. */
	CHECK_STR(render("a UID UID x\r\n"), "a|UID UID|x");

	struct imap_cmd cmd;
	char err[128];
	CHECK_INT(imap_parse_command("t UID COPY 1 B\r\n", 16, &cmd, err, sizeof err), 0);
	CHECK(cmd.uid);
	CHECK_STR(cmd.name, "COPY");
	CHECK_STR(cmd.tag, "t");
	CHECK_INT(cmd.nargs, 2);
	imap_cmd_free(&cmd);
}

static void test_atoms_and_flags(void)
{
	CHECK_STR(render("a SELECT INBOX\r\n"), "a|SELECT|INBOX");
	CHECK_STR(render("a LIST \"\" *\r\n"), "a|LIST|<> *");
	CHECK_STR(render("a LIST \"\" INBOX.%\r\n"), "a|LIST|<> INBOX.%");
	CHECK_STR(render("a STORE 1 FLAGS (\\Seen \\Answered $Junk)\r\n"),
		  "a|STORE|1 FLAGS (\\Seen \\Answered $Junk)");
	CHECK_STR(render("a X \\*\r\n"), "a|X|\\*");
	CHECK_STR(render("a X a  b\r\n"), "a|X|a b");   /* two spaces between arguments */
	CHECK_STR(render("a X a \r\n"), "a|X|a");       /* a trailing space */
	CHECK_STR(render("a X a\\b\r\n"), "BAD a|'\\' is not allowed in an atom (offset 5)");
	CHECK_STR(render("a X \\ b\r\n"), "BAD a|'\\' is not allowed in an atom (offset 4)");
	CHECK_STR(render("a X caf\xc3\xa9\r\n"),
		  "BAD a|8-bit characters are not allowed in an atom; use a literal "
		  "(octet 0xC3 at offset 7)");
	CHECK_STR(render("a X a\tb\r\n"),
		  "BAD a|control character 0x09 is not allowed in an atom (offset 5)");
	CHECK_STR(render("a X a\rb\r\n"),
		  "BAD a|control character 0x0D is not allowed in an atom (offset 5)");
	CHECK_STR(render("a X a\"b\"\r\n"), "BAD a|a space is needed between arguments (offset 5)");
	CHECK_STR(render("a X a(b)\r\n"), "BAD a|a space is needed between arguments (offset 5)");
	CHECK_STR(render("a X a\r\nb\r\n"), "BAD a|text after the end of the command (offset 7)");
	const char nul[] = "a X a\0b\r\n";
	char *r = render_n(nul, sizeof nul - 1);
	CHECK_STR(r, "BAD a|NUL is not allowed in a command line (offset 5)");
	free(r);
	const char nul_tag[] = "a\0 X\r\n";
	r = render_n(nul_tag, sizeof nul_tag - 1);
	CHECK_STR(r, "BAD |NUL is not allowed in a command line (offset 1)");
	free(r);
}

static void test_fetch_attributes(void)
{
	CHECK_STR(render("a FETCH 1 BODY[]\r\n"), "a|FETCH|1 BODY[]");
	CHECK_STR(render("a FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)\r\n"),
		  "a|FETCH|1 (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)");
	CHECK_STR(render("a FETCH 1 BODY[1.2.MIME]<5>\r\n"), "a|FETCH|1 BODY[1.2.MIME]<5>");
	CHECK_STR(render("a FETCH 1 (BODY[HEADER.FIELDS (\"X-A]\")])\r\n"),
		  "a|FETCH|1 (BODY[HEADER.FIELDS (\"X-A]\")])");
	CHECK_STR(render("a FETCH 1 BODY[TEXT\r\n"),
		  "BAD a|unbalanced brackets: the '[' at offset 14 is never closed");
	CHECK_STR(render("a FETCH 1 BODY[]<0.\r\n"),
		  "BAD a|unterminated partial: the '<' at offset 16 needs digits, an optional "
		  "'.' and digits, and '>'");
	CHECK_STR(render("a FETCH 1 BODY[]x\r\n"),
		  "BAD a|'x' is not allowed in an atom (offset 16)");
	/* The bracket atom is one argument, not a list. */
	struct imap_cmd cmd;
	char err[128];
	const char *t = "a FETCH 1 BODY[HEADER.FIELDS (FROM)]\r\n";
	CHECK_INT(imap_parse_command(t, strlen(t), &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.nargs, 2);
	CHECK_INT(cmd.args[1].type, IMAP_ARG_ATOM);
	CHECK_STR(imap_arg_str(&cmd.args[1]), "BODY[HEADER.FIELDS (FROM)]");
	imap_cmd_free(&cmd);
}

/*
 * "[" and "]" outside fetch attributes (RFC 3501 9): "[" is an ATOM-CHAR,
 * "]" a resp-special, allowed in an astring (ASTRING-CHAR), a list-mailbox
 * (list-char) and a tag.  So "a[b]", "a[b", "a]b" are mailbox names, and
 * only a section of FETCH, after BODY, BODY.PEEK or BINARY... (RFC 3516),
 * runs to its matching "]" across spaces.
 */
static void test_brackets_in_atoms(void)
{
	CHECK_STR(render("a SELECT a[b]\r\n"), "a|SELECT|a[b]");
	CHECK_STR(render("a LIST \"\" foo[1]\r\n"), "a|LIST|<> foo[1]");
	CHECK_STR(render("a LIST \"\" %[*]\r\n"), "a|LIST|<> %[*]");
	CHECK_STR(render("a SELECT a[b\r\n"), "a|SELECT|a[b");
	CHECK_STR(render("a SELECT a]b\r\n"), "a|SELECT|a]b");
	CHECK_STR(render("a X a]\r\n"), "a|X|a]");
	CHECK_STR(render("a X ]\r\n"), "a|X|]");
	CHECK_STR(render("a X [\r\n"), "a|X|[");
	CHECK_STR(render("a RENAME a[1 b]2\r\n"), "a|RENAME|a[1 b]2"); /* two names */
	CHECK_STR(render("a X (a[b] c])\r\n"), "a|X|(a[b] c])");
	CHECK_STR(render("a X [[x]]\r\n"), "a|X|[[x]]");
	/* Not a section name: the brackets do not swallow the space. */
	CHECK_STR(render("a X XBODY[a b]\r\n"), "a|X|XBODY[a b]");
	struct imap_cmd cmd;
	char err[128];
	const char *t = "a X XBODY[a b]\r\n";
	CHECK_INT(imap_parse_command(t, strlen(t), &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.nargs, 2);
	CHECK_STR(imap_arg_str(&cmd.args[0]), "XBODY[a");
	CHECK_STR(imap_arg_str(&cmd.args[1]), "b]");
	imap_cmd_free(&cmd);
	/* Sections are FETCH's (fetch-att): elsewhere BODY[ is a plain word. */
	t = "a SELECT BODY[x y]\r\n";
	CHECK_INT(imap_parse_command(t, strlen(t), &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.nargs, 2);
	CHECK_STR(imap_arg_str(&cmd.args[0]), "BODY[x");
	imap_cmd_free(&cmd);
	CHECK_STR(render("a CREATE body[x\r\n"), "a|CREATE|body[x");
	CHECK_STR(render("a UID FETCH 1 BODY[x\r\n"),
		  "BAD a|unbalanced brackets: the '[' at offset 18 is never closed");
	/* A header-fld-name is an astring, so "]" may be in it: the section
	 * ends at the first "]" outside its parentheses and quoted strings. */
	CHECK_STR(render("a FETCH 1 (BODY[HEADER.FIELDS (A]B \"C]\")]<1.2> FLAGS)\r\n"),
		  "a|FETCH|1 (BODY[HEADER.FIELDS (A]B \"C]\")]<1.2> FLAGS)");
	CHECK_STR(render("a FETCH 1 BODY[HEADER.FIELDS (A]\r\n"),
		  "BAD a|unbalanced brackets: the '[' at offset 14 is never closed");
	/* Sections still run to their "]", whatever the case of the name. */
	CHECK_STR(render("a FETCH 1 body.peek[header.fields (a b)]<0.5>\r\n"),
		  "a|FETCH|1 body.peek[header.fields (a b)]<0.5>");
	CHECK_STR(render("a FETCH 1 (BINARY[1]<0.10> BINARY.PEEK[2] BINARY.SIZE[1 ])\r\n"),
		  "a|FETCH|1 (BINARY[1]<0.10> BINARY.PEEK[2] BINARY.SIZE[1 ])");
	t = "a FETCH 1 (BODY[HEADER.FIELDS (A B)] FLAGS)\r\n";
	CHECK_INT(imap_parse_command(t, strlen(t), &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.args[1].type, IMAP_ARG_LIST);
	CHECK_INT(cmd.args[1].nlist, 2);
	CHECK_STR(imap_arg_str(&cmd.args[1].list[0]), "BODY[HEADER.FIELDS (A B)]");
	imap_cmd_free(&cmd);
	/* After a section nothing but a partial may stick to it. */
	CHECK_STR(render("a FETCH 1 BODY[]]\r\n"),
		  "BAD a|unbalanced brackets: ']' without '[' (offset 16)");
	CHECK_STR(render("a FETCH 1 BODY[]x\r\n"),
		  "BAD a|'x' is not allowed in an atom (offset 16)");
}

static void test_quoted(void)
{
	CHECK_STR(render("a LOGIN \"bob\" \"s3 cr\\\"t\\\\\"\r\n"), "a|LOGIN|<bob> <s3 cr\"t\\>");
	CHECK_STR(render("a X \"\"\r\n"), "a|X|<>");
	CHECK_STR(render("a X \"(not a list)\"\r\n"), "a|X|<(not a list)>");
	CHECK_STR(render("a X \"tab\there\"\r\n"), "a|X|<tab\there>");
	CHECK_STR(render("a X \"abc\r\n"),
		  "BAD a|unterminated quoted string: the '\"' at offset 4 is never closed on its line");
	CHECK_STR(render("a X \"abc"),
		  "BAD a|unterminated quoted string: the '\"' at offset 4 is never closed on its line");
	CHECK_STR(render("a X \"a\\nb\"\r\n"),
		  "BAD a|invalid escape in quoted string at offset 6: only \\\" and \\\\ are allowed");
	CHECK_STR(render("a X \"caf\xc3\xa9\"\r\n"),
		  "BAD a|8-bit characters are not allowed in a quoted string; use a literal "
		  "(octet 0xC3 at offset 8)");
	const char nul[] = "a X \"a\0b\"\r\n";
	char *r = render_n(nul, sizeof nul - 1);
	CHECK_STR(r, "BAD a|NUL is not allowed in a quoted string; use a literal (offset 6)");
	free(r);
	CHECK_STR(render("a X \"a\"b\r\n"), "BAD a|a space is needed between arguments (offset 7)");
}

static void test_literals(void)
{
	CHECK_STR(render("a LOGIN {3}\r\nbob {6}\r\nse\"c\r\n\r\n"),
		  "a|LOGIN|{3}<bob> {6}<se\"c\r\n>");
	CHECK_STR(render("a LOGIN {3+}\r\nbob {0}\r\n\r\n"), "a|LOGIN|{3}<bob> {0}<>");
	CHECK_STR(render("a X ({2}\nab)\n"), "a|X|({2}<ab>)"); /* bare LF after '}' */
	CHECK_STR(render("a X {abc}\r\n"),
		  "BAD a|invalid literal at offset 4: \"{abc}\" is not {number} or {number+}");
	CHECK_STR(render("a X {}\r\n"),
		  "BAD a|invalid literal at offset 4: \"{}\" is not {number} or {number+}");
	CHECK_STR(render("a X {5\r\n"),
		  "BAD a|invalid literal at offset 4: \"{5\" is not {number} or {number+}");
	CHECK_STR(render("a X {5}\r\nabc"),
		  "BAD a|the literal at offset 4 announces 5 octets but only 3 follow");
	CHECK_STR(render("a X {5}abcde\r\n"),
		  "BAD a|the literal announced at offset 4 must end its line: CRLF expected after '}'");
	CHECK_STR(render("a X {99999999999}\r\n"),
		  "BAD a|literal of 99999999999 octets is larger than the limit of 67108864");
	CHECK_STR(render("a X {2}\r\nabc\r\n"), "BAD a|a space is needed between arguments (offset 11)");

	/* A literal holds anything, NUL included; imap_arg_str refuses it. */
	const char t[] = "a APPEND box {5}\r\na\0(\")\r\n";
	struct imap_cmd cmd;
	char err[128];
	CHECK_INT(imap_parse_command(t, sizeof t - 1, &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.nargs, 2);
	CHECK(cmd.args[1].literal);
	CHECK_INT(cmd.args[1].len, 5);
	CHECK(memcmp(cmd.args[1].s, "a\0(\")", 5) == 0);
	CHECK(imap_arg_str(&cmd.args[1]) == NULL);
	CHECK_STR(imap_arg_str(&cmd.args[0]), "box");
	imap_cmd_free(&cmd);
}

static void test_nil_and_lists(void)
{
	CHECK_STR(render("a X NIL nil Nil\r\n"), "a|X|NIL NIL NIL");
	CHECK_STR(render("a X NILS \"NIL\"\r\n"), "a|X|NILS <NIL>");
	CHECK_STR(render("a X () (a) (a (b (c)) \"d\") e\r\n"), "a|X|() (a) (a (b (c)) <d>) e");
	CHECK_STR(render("a X ( a  b )\r\n"), "a|X|(a b)");
	CHECK_STR(render("a X (a)(b)\r\n"), "BAD a|a space is needed between arguments (offset 7)");
	CHECK_STR(render("a X (a (b)\r\n"),
		  "BAD a|unbalanced parentheses: the '(' at offset 4 has no ')'");
	CHECK_STR(render("a X a)\r\n"),
		  "BAD a|unbalanced parentheses: ')' without '(' (offset 5)");
	CHECK_STR(render("a X (a))\r\n"),
		  "BAD a|unbalanced parentheses: ')' without '(' (offset 7)");

	/* Nesting: 32 levels are fine, 33 are not. */
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "a X ");
	for (int i = 0; i < IMAP_NESTING_MAX; i++)
		buf_addc(&b, '(');
	for (int i = 0; i < IMAP_NESTING_MAX; i++)
		buf_addc(&b, ')');
	buf_adds(&b, "\r\n");
	CHECK(strncmp(render(b.p), "a|X|((((", 8) == 0);
	buf_clear(&b);
	buf_adds(&b, "a X ");
	for (int i = 0; i <= IMAP_NESTING_MAX; i++)
		buf_addc(&b, '(');
	buf_adds(&b, "\r\n");
	CHECK_STR(render(b.p), "BAD a|lists nested deeper than 32 levels (offset 36)");

	/* Too many arguments. */
	buf_clear(&b);
	buf_adds(&b, "a X");
	for (int i = 0; i <= IMAP_ARGS_MAX; i++)
		buf_adds(&b, " 1");
	buf_adds(&b, "\r\n");
	CHECK_STR(render(b.p), "BAD a|more than 100000 arguments in one command");
	buf_free(&b);

	/* The tree: list pointers and counts. */
	struct imap_cmd cmd;
	char err[128];
	const char *t = "a X (1 (2 3) 4) 5\r\n";
	CHECK_INT(imap_parse_command(t, strlen(t), &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.nargs, 2);
	CHECK_INT(cmd.args[0].type, IMAP_ARG_LIST);
	CHECK_INT(cmd.args[0].nlist, 3);
	CHECK_INT(cmd.args[0].list[1].type, IMAP_ARG_LIST);
	CHECK_INT(cmd.args[0].list[1].nlist, 2);
	CHECK_STR(imap_arg_str(&cmd.args[0].list[1].list[1]), "3");
	CHECK(imap_arg_str(&cmd.args[0]) == NULL);
	CHECK_INT(cmd.npool, 7);
	imap_cmd_free(&cmd);
}

static void test_self_contained(void)
{
	/* The command keeps its own copy: the input may be overwritten. */
	char t[] = "a LOGIN alice \"pw\"\r\n";
	struct imap_cmd cmd;
	char err[128];
	CHECK_INT(imap_parse_command(t, strlen(t), &cmd, err, sizeof err), 0);
	memset(t, 'x', strlen(t));
	CHECK_STR(imap_arg_str(&cmd.args[0]), "alice");
	CHECK_STR(imap_arg_str(&cmd.args[1]), "pw");
	imap_cmd_free(&cmd);
	imap_cmd_free(&cmd); /* freeing twice is harmless: free zeroes */
}

static void test_arg_helpers(void)
{
	struct imap_cmd cmd;
	char err[128];
	const char *t = "a X flags \"FLAGS\" 0 4294967295 4294967296 -1 12a NIL ()\r\n";
	CHECK_INT(imap_parse_command(t, strlen(t), &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.nargs, 9);
	CHECK(imap_arg_is(&cmd.args[0], "FLAGS"));
	CHECK(!imap_arg_is(&cmd.args[0], "FLAG"));
	CHECK(!imap_arg_is(&cmd.args[1], "FLAGS")); /* a quoted string is not the atom */
	uint32_t v = 7;
	CHECK(imap_arg_number(&cmd.args[2], &v) && v == 0);
	CHECK(imap_arg_number(&cmd.args[3], &v) && v == 4294967295u);
	CHECK(!imap_arg_number(&cmd.args[4], &v));
	CHECK(!imap_arg_number(&cmd.args[5], &v));
	CHECK(!imap_arg_number(&cmd.args[6], &v));
	CHECK(!imap_arg_number(&cmd.args[1], &v));
	/* NIL is an atom too (RFC 3501 9): where a string is wanted it is the
	 * string "NIL", as written. */
	CHECK_INT(cmd.args[7].type, IMAP_ARG_NIL);
	CHECK_STR(imap_arg_str(&cmd.args[7]), "NIL");
	CHECK(imap_arg_str(&cmd.args[8]) == NULL);
	imap_cmd_free(&cmd);
}

/* A heap copy of exactly len octets: malloc(0) too gives a block of which
 * ASan lets nothing be read. */
static char *exact_copy(const char *text, size_t len)
{
	char *copy = malloc(len);
	CHECK(copy != NULL);
	if (!copy)
		abort();
	if (len)
		memcpy(copy, text, len);
	return copy;
}

/* Parse a heap copy of exactly len octets (no NUL after it, nothing to
 * spare), so that under ASan any read past the end is caught; returns the
 * render, like render_n (free it). */
static char *render_exact(const char *text, size_t len)
{
	char *copy = exact_copy(text, len);
	char *r = render_n(copy, len);
	free(copy);
	return r;
}

static void test_exact_length_buffers(void)
{
	/* The report: an atom at the very end, no line end. */
	char *r = render_exact("a X y", 5);
	CHECK_STR(r, "a|X|y");
	free(r);
	r = render_exact("a X \\", 5);
	CHECK_STR(r, "BAD a|'\\' is not allowed in an atom (offset 4)");
	free(r);

	/* Every prefix of commands that use every rule of the grammar: the
	 * parser must stop at the end whatever it was reading. */
	static const char *const cmds[] = {
		"a1 UID FETCH 1:*,3 (FLAGS BODY.PEEK[HEADER.FIELDS (FROM \"X-A]\")]<0.100>)\r\n",
		"a2 STORE 1 +FLAGS (\\Seen \\*)\r\n",
		"a3 LOGIN {3+}\r\nbob \"p\\\\w\\\"\"\r\n",
		"a4 LIST \"\" foo[1] NIL nil \\\r\n",
		"a5 SELECT a[b]\r\n",
		"a6 X ((a) \"b\" {1}\r\nc)\r",
		"x]y NOOP\n",
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		size_t n = strlen(cmds[i]);
		for (size_t k = 0; k <= n; k++) {
			free(render_exact(cmds[i], k));
			/* and the framer, fed the same exact copy in one go */
			char *copy = exact_copy(cmds[i], k);
			struct imap_framer f;
			imap_framer_init(&f);
			free(frame_all(&f, copy, k, k ? k : 1));
			imap_framer_free(&f);
			free(copy);
		}
	}
}

/* ------------------------------------------------------------ sequence sets */

static void test_seqset(void)
{
	struct imap_seqset set;
	CHECK(imap_seqset_parse("1", &set));
	CHECK_INT(set.n, 1);
	CHECK(imap_seqset_contains(&set, 1, 10) && !imap_seqset_contains(&set, 2, 10));
	imap_seqset_free(&set);

	CHECK(imap_seqset_parse("2,4:7,9,12:*", &set));
	CHECK_INT(set.n, 4);
	CHECK_INT(set.ranges[3].lo, 12);
	CHECK_INT(set.ranges[3].hi, 0);
	CHECK(!imap_seqset_contains(&set, 1, 20));
	CHECK(imap_seqset_contains(&set, 2, 20));
	CHECK(!imap_seqset_contains(&set, 3, 20));
	CHECK(imap_seqset_contains(&set, 5, 20));
	CHECK(imap_seqset_contains(&set, 9, 20));
	CHECK(imap_seqset_contains(&set, 15, 20));
	CHECK(imap_seqset_contains(&set, 20, 20));
	CHECK(!imap_seqset_contains(&set, 21, 20));
	imap_seqset_free(&set);

	CHECK(imap_seqset_parse("7:3", &set)); /* reversed: same as 3:7 */
	CHECK(imap_seqset_contains(&set, 3, 9) && imap_seqset_contains(&set, 7, 9));
	CHECK(!imap_seqset_contains(&set, 8, 9));
	imap_seqset_free(&set);

	CHECK(imap_seqset_parse("*:5", &set)); /* star below 5 reverses it too */
	CHECK(imap_seqset_contains(&set, 6, 9) && !imap_seqset_contains(&set, 4, 9));
	CHECK(imap_seqset_contains(&set, 4, 3) && !imap_seqset_contains(&set, 2, 3));
	imap_seqset_free(&set);

	CHECK(imap_seqset_parse("*", &set));
	CHECK(imap_seqset_contains(&set, 9, 9) && !imap_seqset_contains(&set, 8, 9));
	imap_seqset_free(&set);

	CHECK(imap_seqset_parse("4294967295", &set));
	imap_seqset_free(&set);

	const char *bad[] = {"0",  "1:",  ",1", "1,,2", "a",   "1,",         "",  "1 ,2",
			     "1:0", "01",  ":",  "1:2:3", "-1", "4294967296", "**", "1:**"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bool ok = imap_seqset_parse(bad[i], &set);
		if (ok)
			fprintf(stderr, "seqset \"%s\" accepted\n", bad[i]);
		CHECK(!ok);
		CHECK(set.ranges == NULL && set.n == 0);
	}
	CHECK(!imap_seqset_parse(NULL, &set));
}

/* ------------------------------------------------------------ framer */

static void test_framer_lines(void)
{
	CHECK_STR(frames("a NOOP\r\n"), "[a NOOP\r\n]tag=a ");
	CHECK_STR(frames("a NOOP\n"), "[a NOOP\n]tag=a ");
	/* Pipelined commands in one feed. */
	CHECK_STR(frames("a NOOP\r\nb CHECK\r\nc LOGOUT\r\n"),
		  "[a NOOP\r\n]tag=a [b CHECK\r\n]tag=b [c LOGOUT\r\n]tag=c ");
	CHECK_STR(frames("\r\n"), "[\r\n]tag= ");
	CHECK_STR(frames("tagonly\r\n"), "[tagonly\r\n]tag=tagonly ");
	CHECK_STR(frames("* NOOP\r\n"), "[* NOOP\r\n]tag= ");
	CHECK_STR(frames("a NOOP"), ""); /* no end yet */
}

static void test_framer_literals(void)
{
	/* Synchronizing: CONTINUE once, then the octets, then the line goes on. */
	CHECK_STR(frames("a LOGIN {3}\r\nbob {2}\r\npw\r\nb NOOP\r\n"),
		  "C C [a LOGIN {3}\r\nbob {2}\r\npw\r\n]tag=a [b NOOP\r\n]tag=b ");
	/* Non-synchronizing: no CONTINUE. */
	CHECK_STR(frames("a LOGIN {3+}\r\nbob {2+}\r\npw\r\nb NOOP\r\n"),
		  "[a LOGIN {3+}\r\nbob {2+}\r\npw\r\n]tag=a [b NOOP\r\n]tag=b ");
	/* A literal's octets may hold CRLF and "{9}" without being read as lines. */
	CHECK_STR(frames("a X {6+}\r\n{9}\r\n\n\r\n"), "[a X {6+}\r\n{9}\r\n\n\r\n]tag=a ");
	CHECK_STR(frames("a X {0}\r\n\r\n"), "C [a X {0}\r\n\r\n]tag=a ");
	/* Not announcements: the line is the whole command; the parser says BAD. */
	CHECK_STR(frames("a X {abc}\r\n"), "[a X {abc}\r\n]tag=a ");
	CHECK_STR(frames("a X {5}x\r\n"), "[a X {5}x\r\n]tag=a ");
	CHECK_STR(frames("a X }\r\n"), "[a X }\r\n]tag=a ");

	/* The framer's command parses whole. */
	struct imap_framer f;
	imap_framer_init(&f);
	const char *in = "a1 APPEND INBOX (\\Seen) {11}\r\nhello world\r\n";
	enum imap_frame what;
	size_t used = imap_framer_feed(&f, in, strlen(in), &what);
	CHECK_INT(what, IMAP_FRAME_CONTINUE);
	CHECK(f.sync_pending);
	CHECK_STR(f.tag, "a1");
	used += imap_framer_feed(&f, in + used, strlen(in) - used, &what);
	CHECK_INT(what, IMAP_FRAME_COMMAND);
	CHECK_INT(used, strlen(in));
	CHECK(!f.sync_pending);
	char *r = render_n(f.cmd.p, f.cmd.len);
	CHECK_STR(r, "a1|APPEND|INBOX (\\Seen) {11}<hello world>");
	free(r);
	imap_framer_next(&f);
	used = imap_framer_feed(&f, "", 0, &what);
	CHECK_INT(used, 0);
	CHECK_INT(what, IMAP_FRAME_MORE);
	imap_framer_free(&f);
}

static void test_framer_too_big(void)
{
	/* Synchronizing: refused at once, nothing grows, the client does not
	 * send the octets; the next line is a new command. */
	CHECK_STR(frames("a APPEND box {99999999999}\r\nb NOOP\r\n"),
		  "BIG:a:literal of 99999999999 octets is larger than the limit of 67108864 "
		  "[b NOOP\r\n]tag=b ");
	/* Non-synchronizing literals: see test_framer_limit. */

	struct imap_framer f;
	imap_framer_init(&f);
	enum imap_frame what;
	const char *in = "t1 APPEND box {4000000000}\r\n";
	size_t used = imap_framer_feed(&f, in, strlen(in), &what);
	CHECK_INT(what, IMAP_FRAME_TOO_BIG);
	CHECK_INT(used, strlen(in));
	CHECK_STR(f.tag, "t1");
	CHECK(f.cmd.cap <= 256); /* refused before anything grew */
	imap_framer_next(&f);    /* harmless here */
	CHECK_STR(f.tag, "t1");
	in = "t2 NOOP\r\n";
	used = imap_framer_feed(&f, in, strlen(in), &what);
	CHECK_INT(what, IMAP_FRAME_COMMAND);
	CHECK_STR(f.tag, "t2");
	imap_framer_next(&f);

	/* A huge digit string is refused too, and echoed cut short. */
	in = "t3 X {123456789012345678901234567890}\r\n";
	imap_framer_feed(&f, in, strlen(in), &what);
	CHECK_INT(what, IMAP_FRAME_TOO_BIG);
	CHECK_STR(f.err, "literal of 123456789012345678901234... octets is larger than the limit "
			 "of 67108864");
	imap_framer_free(&f);
}

/* frames() with a lower literal limit. */
static char *frame_limited(const char *in, size_t limit, size_t chunk)
{
	struct imap_framer f;
	imap_framer_init(&f);
	f.literal_limit = limit;
	char *r = frame_all(&f, in, strlen(in), chunk);
	CHECK(f.cmd.cap <= 256);
	imap_framer_free(&f);
	return r;
}

static void test_framer_limit(void)
{
	const char *in = "a APPEND box {20+}\r\n01234567890123456789 {3+}\r\nxyz\r\nb NOOP\r\n";
	const char *want = "BIG:a:literal of 20 octets is larger than the limit of 16 "
			   "[b NOOP\r\n]tag=b ";
	for (size_t chunk = 1; chunk <= strlen(in); chunk++) {
		char *r = frame_limited(in, 16, chunk);
		CHECK_STR(r, want);
		free(r);
	}
	/* At the limit is fine. */
	char *r = frame_limited("a X {16}\r\n0123456789abcdef\r\n", 16, 100);
	CHECK_STR(r, "C [a X {16}\r\n0123456789abcdef\r\n]tag=a ");
	free(r);
}

static void test_framer_long_line(void)
{
	struct buf in;
	buf_init(&in);
	buf_adds(&in, "a1 SEARCH ");
	while (in.len < IMAP_LINE_MAX_OCTETS + 100)
		buf_adds(&in, "ALL ");
	buf_adds(&in, "\r\nb NOOP\r\n");
	char *r = frame(in.p, in.len);
	CHECK_STR(r, "LONG:a1:line longer than 65536 octets [b NOOP\r\n]tag=b ");
	free(r);

	/* Exactly at the limit is fine (CRLF or a bare LF not counted). */
	buf_clear(&in);
	buf_adds(&in, "a X ");
	while (in.len < IMAP_LINE_MAX_OCTETS)
		buf_addc(&in, 'x');
	buf_adds(&in, "\r\n");
	r = frame(in.p, in.len);
	CHECK(strncmp(r, "[a X xxx", 8) == 0);
	free(r);
	in.len -= 2;
	buf_adds(&in, "\n");
	r = frame(in.p, in.len);
	CHECK(strncmp(r, "[a X xxx", 8) == 0);
	free(r);
	in.len -= 1;
	buf_adds(&in, "y\r\n");
	r = frame(in.p, in.len);
	CHECK_STR(r, "LONG:a:line longer than 65536 octets ");
	free(r);

	/* An over-long line that announces a non-synchronizing literal: the
	 * literal is skipped too, so its octets are not read as commands. */
	buf_clear(&in);
	buf_adds(&in, "a X ");
	while (in.len < IMAP_LINE_MAX_OCTETS + 10)
		buf_addc(&in, 'x');
	buf_adds(&in, " {10+}\r\nc LOGOUT\r\n\r\nb NOOP\r\n");
	r = frame(in.p, in.len);
	CHECK_STR(r, "LONG:a:line longer than 65536 octets [b NOOP\r\n]tag=b ");
	free(r);

	/* An over-long line on a later line of a command (after a literal). */
	buf_clear(&in);
	buf_adds(&in, "z X {1}\r\nq ");
	while (in.len < IMAP_LINE_MAX_OCTETS + 50)
		buf_addc(&in, 'x');
	buf_adds(&in, "\r\nb NOOP\r\n");
	r = frame(in.p, in.len);
	CHECK_STR(r, "C LONG:z:line longer than 65536 octets [b NOOP\r\n]tag=b ");
	free(r);

	/* Megabytes of garbage without LF: memory stays bounded. */
	struct imap_framer f;
	imap_framer_init(&f);
	char chunk[4096];
	memset(chunk, 'g', sizeof chunk);
	enum imap_frame what;
	for (int i = 0; i < 1024; i++) {
		size_t used = imap_framer_feed(&f, chunk, sizeof chunk, &what);
		CHECK_INT(used, sizeof chunk);
		CHECK_INT(what, IMAP_FRAME_MORE);
	}
	CHECK(f.cmd.cap <= 2 * IMAP_LINE_MAX_OCTETS + 64);
	CHECK(imap_framer_feed(&f, "\n", 1, &what) == 1 && what == IMAP_FRAME_LINE_TOO_LONG);
	CHECK_STR(f.tag, "");
	imap_framer_free(&f);
	buf_free(&in);
}

/* RFC 7162 section 4 asks servers to take lines of at least 8192 octets and
 * RFC 2971 ID lines can be longer: a 60 KiB line is one command, literals
 * keep their own limit, and a line over 64 KiB is refused to its end. */
static void test_framer_64k_line(void)
{
	CHECK_INT(IMAP_LINE_MAX_OCTETS, 65536);
	struct buf in;
	buf_init(&in);
	buf_adds(&in, "a1 ID (\"name\" \"");
	while (in.len < 60 * 1024)
		buf_addc(&in, 'n');
	buf_adds(&in, "\")\r\n");
	size_t first = in.len;
	buf_adds(&in, "b NOOP\r\n");
	char *r = frame(in.p, in.len); /* at once and octet by octet */
	CHECK(strncmp(r, "[a1 ID (\"name\" \"nnn", 19) == 0);
	CHECK(strstr(r, "\")\r\n]tag=a1 [b NOOP\r\n]tag=b ") != NULL);
	CHECK_INT(strlen(r), first + strlen("[]tag=a1 [b NOOP\r\n]tag=b "));
	free(r);
	struct imap_cmd cmd;
	char err[128];
	CHECK_INT(imap_parse_command(in.p, first, &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.args[0].nlist, 2);
	CHECK_INT(cmd.args[0].list[1].len, 60 * 1024 - strlen("a1 ID (\"name\" \""));
	imap_cmd_free(&cmd);

	/* Over the limit: LINE_TOO_LONG at its end, the next command whole. */
	buf_clear(&in);
	buf_adds(&in, "a2 SEARCH SUBJECT ");
	while (in.len < IMAP_LINE_MAX_OCTETS + 1)
		buf_addc(&in, 's');
	buf_adds(&in, "\r\nb NOOP\r\n");
	r = frame(in.p, in.len);
	CHECK_STR(r, "LONG:a2:line longer than 65536 octets [b NOOP\r\n]tag=b ");
	free(r);

	/* A literal at its own limit still fits between two long lines. */
	struct imap_framer f;
	imap_framer_init(&f);
	buf_clear(&in);
	buf_adds(&in, "a3 APPEND ");
	while (in.len < IMAP_LINE_MAX_OCTETS - 40)
		buf_addc(&in, 'x');
	buf_printf(&in, " {%u+}\r\n", (unsigned)IMAP_LITERAL_MAX_OCTETS);
	enum imap_frame what;
	CHECK_INT(imap_framer_feed(&f, in.p, in.len, &what), in.len);
	CHECK_INT(what, IMAP_FRAME_MORE);
	CHECK_INT(f.state, IMAP_FRAMER_LITERAL);
	imap_framer_free(&f);
	buf_free(&in);
}

static void test_framer_big_literal(void)
{
	/* 10 MB in 64 KB chunks, and 1 MB byte-compared with the parse. */
	size_t size = 10u * 1024u * 1024u;
	char *data = xmalloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)(i * 7 + 3);
	struct imap_framer f;
	imap_framer_init(&f);
	enum imap_frame what;
	char head[64];
	int nh = snprintf(head, sizeof head, "a APPEND INBOX {%zu+}\r\n", size);
	CHECK_INT(imap_framer_feed(&f, head, (size_t)nh, &what), nh);
	CHECK_INT(what, IMAP_FRAME_MORE);
	for (size_t off = 0; off < size; off += 65536) {
		size_t n = size - off < 65536 ? size - off : 65536;
		CHECK_INT(imap_framer_feed(&f, data + off, n, &what), n);
		CHECK_INT(what, IMAP_FRAME_MORE);
	}
	CHECK_INT(imap_framer_feed(&f, "\r\nb NOOP\r\n", 10, &what), 2);
	CHECK_INT(what, IMAP_FRAME_COMMAND);
	CHECK_INT(f.cmd.len, (size_t)nh + size + 2);
	CHECK(memcmp(f.cmd.p + nh, data, size) == 0);

	struct imap_cmd cmd;
	char err[128];
	size_t big = 1024 * 1024;
	imap_framer_next(&f);
	CHECK(f.cmd.cap <= 64 * 1024); /* the memory went back */
	nh = snprintf(head, sizeof head, "b APPEND INBOX {%zu}\r\n", big);
	CHECK_INT(imap_framer_feed(&f, head, (size_t)nh, &what), nh);
	CHECK_INT(what, IMAP_FRAME_CONTINUE);
	for (size_t off = 0; off < big; off += 1000) {
		size_t n = big - off < 1000 ? big - off : 1000;
		CHECK_INT(imap_framer_feed(&f, data + off, n, &what), n);
	}
	CHECK_INT(imap_framer_feed(&f, "\r\n", 2, &what), 2);
	CHECK_INT(what, IMAP_FRAME_COMMAND);
	CHECK_INT(imap_parse_command(f.cmd.p, f.cmd.len, &cmd, err, sizeof err), 0);
	CHECK_INT(cmd.nargs, 2);
	CHECK(cmd.args[1].literal && cmd.args[1].len == big);
	CHECK(memcmp(cmd.args[1].s, data, big) == 0);
	imap_cmd_free(&cmd);
	imap_framer_free(&f);
	free(data);
}

static void test_framer_bytewise_mix(void)
{
	/* Everything at once, then octet by octet (frame() compares). */
	const char *in = "a LOGIN {5}\r\nalice \"pw\"\r\n"
			 "b SELECT INBOX\nc FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\n"
			 "d APPEND INBOX {4+}\r\nab\r\n\r\n"
			 "e X {99999999999+}\r\n";
	char *r = frame(in, strlen(in));
	CHECK_STR(r, "C [a LOGIN {5}\r\nalice \"pw\"\r\n]tag=a "
		     "[b SELECT INBOX\n]tag=b "
		     "[c FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\n]tag=c "
		     "[d APPEND INBOX {4+}\r\nab\r\n\r\n]tag=d "
		     "BIG:e:literal of 99999999999 octets is larger than the limit of 67108864 ");
	free(r);
}

/* ------------------------------------------------------------ output */

static void test_write_string(void)
{
	struct buf b;
	buf_init(&b);
	imap_write_string(&b, NULL, 0);
	CHECK_STR(b.p, "NIL");
	buf_clear(&b);
	imap_write_string(&b, "", 0);
	CHECK_STR(b.p, "\"\"");
	buf_clear(&b);
	imap_write_string(&b, "say \"hi\" \\o/", 12);
	CHECK_STR(b.p, "\"say \\\"hi\\\" \\\\o/\"");
	buf_clear(&b);
	imap_write_string(&b, "two\r\nlines", 10);
	CHECK_STR(b.p, "{10}\r\ntwo\r\nlines");
	buf_clear(&b);
	imap_write_string(&b, "caf\xc3\xa9", 5);
	CHECK_STR(b.p, "{5}\r\ncaf\xc3\xa9");
	buf_clear(&b);
	imap_write_string(&b, "a\0b", 3);
	CHECK_INT(b.len, 8);
	CHECK(memcmp(b.p, "{3}\r\na\0b", 8) == 0);
	buf_clear(&b);
	char big[1001];
	memset(big, 'x', sizeof big);
	imap_write_string(&b, big, 1000);
	CHECK_INT(b.len, 1002);
	buf_clear(&b);
	imap_write_string(&b, big, 1001);
	CHECK(strncmp(b.p, "{1001}\r\nxxx", 11) == 0);

	/* What is written parses back to the same value. */
	const char *vals[] = {"plain", "with \"quotes\" and \\", "cr\rlf\n", ""};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		buf_clear(&b);
		buf_adds(&b, "t X ");
		imap_write_string(&b, vals[i], strlen(vals[i]));
		buf_adds(&b, "\r\n");
		struct imap_cmd cmd;
		char err[128];
		CHECK_INT(imap_parse_command(b.p, b.len, &cmd, err, sizeof err), 0);
		CHECK_STR(imap_arg_str(&cmd.args[0]), vals[i]);
		imap_cmd_free(&cmd);
	}
	buf_free(&b);

	CHECK(imap_is_atom("INBOX", 5));
	CHECK(imap_is_atom("a.b-c_d+e", 9));
	CHECK(!imap_is_atom("", 0));
	CHECK(!imap_is_atom("a b", 3));
	CHECK(!imap_is_atom("a*", 2));
	CHECK(!imap_is_atom("a%", 2));
	CHECK(!imap_is_atom("a]", 2));
	CHECK(!imap_is_atom("\\Seen", 5));
	CHECK(!imap_is_atom("caf\xc3\xa9", 5));
	CHECK(!imap_is_atom("a\"", 2));
	CHECK(imap_is_flag("\\Seen", 5));
	CHECK(imap_is_flag("$Junk", 5));
	CHECK(!imap_is_flag("\\", 1));
	CHECK(!imap_is_flag("\\S een", 6));
}

int main(void)
{
	RUN(test_tags_and_names);
	RUN(test_uid_prefix);
	RUN(test_atoms_and_flags);
	RUN(test_fetch_attributes);
	RUN(test_brackets_in_atoms);
	RUN(test_quoted);
	RUN(test_literals);
	RUN(test_nil_and_lists);
	RUN(test_self_contained);
	RUN(test_arg_helpers);
	RUN(test_exact_length_buffers);
	RUN(test_seqset);
	RUN(test_framer_lines);
	RUN(test_framer_literals);
	RUN(test_framer_too_big);
	RUN(test_framer_limit);
	RUN(test_framer_long_line);
	RUN(test_framer_64k_line);
	RUN(test_framer_big_literal);
	RUN(test_framer_bytewise_mix);
	RUN(test_write_string);
	free(last_render);
	free(last_frame);
	return TEST_END();
}
