/*
 * lab_card.c - the lab report to hand in: its card, its two forms (text,
 * JSON), and its digest.
 *
 * The digest is SHA-256 (protocols/sha256.c) over the canonical form: one
 * line per field, tab-separated, in a fixed order, whichever form the file
 * has -
 *
 *   mailsim lab report 1
 *   exercise<TAB>NAME    title<TAB>...    student<TAB>...    date<TAB>...
 *   check<TAB>I<TAB>RESULT<TAB>MASKED TEXT      (one per check)
 *   score<TAB>P/N
 *   mailbox<TAB>ADDRESS FOLDER                  (one per graded mailbox)
 *   store
 *   mailbox<TAB>ADDRESS FOLDER, then per message uid<TAB>N<TAB>SHA-256 of
 *   the whole message, and its Message-ID: and Received: lines, unfolded
 *
 * so that the report is tied to the store it graded.  The store's path is
 * not part of it (a store may be moved; `--verify --db` names it).
 *
 * Reading: the text form line by line ("key: value"); the JSON form by a
 * small tokenizer that tolerates any layout, so that a report reformatted
 * by an editor still reads.
 */
#include "lab_card.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "i18n.h"
#include "mime.h"

#define LAB_CARD_MAGIC "mailsim lab report"
#define LAB_CARD_FILE_MAX (1024 * 1024) /* bytes: a report is small */

void lab_card_init(struct lab_card *c)
{
	memset(c, 0, sizeof *c);
}

static void lab_card_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void lab_card_free(struct lab_card *c)
{
	free(c->exercise);
	free(c->title);
	free(c->student);
	free(c->date);
	free(c->store);
	free(c->score);
	lab_card_strv_free(c->result, c->nchecks);
	lab_card_strv_free(c->check, c->nchecks);
	lab_card_strv_free(c->mailbox, c->nmailboxes);
	lab_card_init(c);
}

void lab_card_add_check(struct lab_card *c, const char *result, const char *masked)
{
	c->result = xrealloc(c->result, (c->nchecks + 1) * sizeof *c->result);
	c->check = xrealloc(c->check, (c->nchecks + 1) * sizeof *c->check);
	c->result[c->nchecks] = xstrdup(result);
	c->check[c->nchecks++] = xstrdup(masked);
}

static void lab_card_add_mailbox_line(struct lab_card *c, const char *line)
{
	for (size_t i = 0; i < c->nmailboxes; i++)
		if (strcmp(c->mailbox[i], line) == 0)
			return;
	c->mailbox = xrealloc(c->mailbox, (c->nmailboxes + 1) * sizeof *c->mailbox);
	c->mailbox[c->nmailboxes++] = xstrdup(line);
}

void lab_card_add_mailbox(struct lab_card *c, const char *address, const char *folder)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s %s", address, folder);
	lab_card_add_mailbox_line(c, b.p);
	buf_free(&b);
}

void lab_card_now(char *out, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	if (!gmtime_r(&now, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "unknown");
}

/* ------------------------------------------------------------------ */
/* The digest                                                         */
/* ------------------------------------------------------------------ */

static const char *lab_card_str(const char *s)
{
	return s ? s : "";
}

/* The Message-ID: and Received: lines of a message's header, unfolded. */
static void lab_card_trace_lines(const char *msg, size_t len, struct buf *out)
{
	size_t end = mime_header_end(msg, len);
	bool keep = false;
	for (size_t i = 0; i < end;) {
		size_t j = i;
		while (j < end && msg[j] != '\r' && msg[j] != '\n')
			j++;
		bool cont = msg[i] == ' ' || msg[i] == '\t';
		if (!cont) {
			if (keep)
				buf_addc(out, '\n');
			keep = (j - i >= 9 && strncasecmp(msg + i, "Received:", 9) == 0) ||
			       (j - i >= 11 && strncasecmp(msg + i, "Message-ID:", 11) == 0);
		}
		if (keep && j > i) {
			if (cont)
				buf_addc(out, ' ');
			size_t k = i;
			while (cont && k < j && (msg[k] == ' ' || msg[k] == '\t'))
				k++;
			buf_add(out, msg + k, j - k);
		}
		i = j;
		if (i < end && msg[i] == '\r')
			i++;
		if (i < end && msg[i] == '\n')
			i++;
	}
	if (keep)
		buf_addc(out, '\n');
}

/* What st holds in mailbox "ADDRESS FOLDER"; a mailbox that is not there
 * is said so (it is part of what was graded). */
static int lab_card_summary(struct store *st, const char *mailbox, struct buf *out, char *err,
			    size_t errlen)
{
	buf_printf(out, "mailbox\t%s\n", mailbox);
	const char *sp = strchr(mailbox, ' ');
	if (!sp) {
		snprintf(err, errlen, _("mailbox '%s' has no folder"), mailbox);
		return -1;
	}
	char *address = xstrdup(mailbox);
	address[sp - mailbox] = '\0';
	struct store_account acct;
	int64_t folder;
	if (store_account_find(st, address, &acct) != STORE_OK ||
	    store_folder_find(st, acct.id, sp + 1, &folder) != STORE_OK) {
		free(address);
		buf_adds(out, "absent\n");
		return 0;
	}
	free(address);
	struct store_message *v = NULL;
	size_t n = 0;
	if (store_folder_list(st, folder, &v, &n) != STORE_OK) {
		snprintf(err, errlen, _("cannot list %s: %s"), mailbox, store_error(st));
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_message m;
		if (store_message_get(st, folder, v[i].uid, true, &m) != STORE_OK) {
			snprintf(err, errlen, _("cannot read uid %u of %s: %s"), v[i].uid, mailbox,
				 store_error(st));
			rc = -1;
			break;
		}
		char hex[SHA256_HEX];
		sha256_hex(m.content, m.content_len, hex);
		buf_printf(out, "uid\t%u\t%s\n", m.uid, hex);
		lab_card_trace_lines(m.content, m.content_len, out);
		store_message_free(&m);
	}
	free(v);
	return rc;
}

int lab_card_digest(const struct lab_card *c, struct store *st, char *out, size_t outlen,
		    char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, LAB_CARD_MAGIC " 1\nexercise\t%s\ntitle\t%s\nstudent\t%s\ndate\t%s\n",
		   lab_card_str(c->exercise), lab_card_str(c->title), lab_card_str(c->student),
		   lab_card_str(c->date));
	for (size_t i = 0; i < c->nchecks; i++)
		buf_printf(&b, "check\t%zu\t%s\t%s\n", i + 1, c->result[i], c->check[i]);
	buf_printf(&b, "score\t%s\n", lab_card_str(c->score));
	for (size_t i = 0; i < c->nmailboxes; i++)
		buf_printf(&b, "mailbox\t%s\n", c->mailbox[i]);
	buf_adds(&b, "store\n");
	int rc = 0;
	for (size_t i = 0; i < c->nmailboxes && rc == 0; i++)
		rc = lab_card_summary(st, c->mailbox[i], &b, err, errlen);
	if (rc == 0) {
		char hex[SHA256_HEX];
		sha256_hex(b.p, b.len, hex);
		snprintf(out, outlen, "sha256:%s", hex);
	}
	buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

static void lab_card_json_str(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)lab_card_str(s); *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_addc(b, (char)*p);
	}
	buf_addc(b, '"');
}

static void lab_card_json(const struct lab_card *c, struct buf *b)
{
	const char *key[] = { "exercise", "title", "student", "date", "store" };
	const char *val[] = { c->exercise, c->title, c->student, c->date, c->store };
	buf_adds(b, "{\n  \"report\": \"" LAB_CARD_MAGIC "\",\n");
	for (size_t i = 0; i < 5; i++) {
		buf_printf(b, "  \"%s\": ", key[i]);
		lab_card_json_str(b, val[i]);
		buf_adds(b, ",\n");
	}
	buf_adds(b, "  \"mailboxes\": [");
	for (size_t i = 0; i < c->nmailboxes; i++) {
		buf_adds(b, i ? ", " : "");
		lab_card_json_str(b, c->mailbox[i]);
	}
	buf_adds(b, "],\n  \"checks\": [\n");
	for (size_t i = 0; i < c->nchecks; i++) {
		buf_printf(b, "    { \"n\": %zu, \"result\": ", i + 1);
		lab_card_json_str(b, c->result[i]);
		buf_adds(b, ", \"check\": ");
		lab_card_json_str(b, c->check[i]);
		buf_adds(b, i + 1 < c->nchecks ? " },\n" : " }\n");
	}
	buf_adds(b, "  ],\n  \"score\": ");
	lab_card_json_str(b, c->score);
	buf_adds(b, ",\n  \"digest\": ");
	lab_card_json_str(b, c->digest);
	buf_adds(b, "\n}\n");
}

static void lab_card_text(const struct lab_card *c, struct buf *b)
{
	buf_printf(b, LAB_CARD_MAGIC "\nexercise: %s\ntitle: %s\nstudent: %s\ndate: %s\nstore: %s\n",
		   lab_card_str(c->exercise), lab_card_str(c->title), lab_card_str(c->student),
		   lab_card_str(c->date), lab_card_str(c->store));
	for (size_t i = 0; i < c->nmailboxes; i++)
		buf_printf(b, "mailbox: %s\n", c->mailbox[i]);
	for (size_t i = 0; i < c->nchecks; i++)
		buf_printf(b, "check %zu/%zu: %s %s\n", i + 1, c->nchecks, c->result[i], c->check[i]);
	buf_printf(b, "score: %s\ndigest: %s\n", lab_card_str(c->score), c->digest);
}

static bool lab_card_is_json(const char *path)
{
	size_t len = strlen(path);
	return len >= 5 && strcasecmp(path + len - 5, ".json") == 0;
}

int lab_card_write(const struct lab_card *c, const char *path, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b);
	if (lab_card_is_json(path))
		lab_card_json(c, &b);
	else
		lab_card_text(c, &b);
	FILE *f = fopen(path, "w");
	bool ok = f && fwrite(b.p, 1, b.len, f) == b.len;
	int e = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	buf_free(&b);
	if (!ok)
		snprintf(err, errlen, _("cannot write %s: %s"), path, strerror(e));
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Reading                                                            */
/* ------------------------------------------------------------------ */

/* Set the card's field KEY (one of the five strings, "score" or
 * "digest"); false if KEY is none of them. */
static bool lab_card_set(struct lab_card *c, const char *key, const char *val)
{
	char **field = strcmp(key, "exercise") == 0  ? &c->exercise
		       : strcmp(key, "title") == 0   ? &c->title
		       : strcmp(key, "student") == 0 ? &c->student
		       : strcmp(key, "date") == 0    ? &c->date
		       : strcmp(key, "store") == 0   ? &c->store
		       : strcmp(key, "score") == 0   ? &c->score
						     : NULL;
	if (strcmp(key, "digest") == 0) {
		snprintf(c->digest, sizeof c->digest, "%s", val);
		return true;
	}
	if (!field)
		return false;
	free(*field);
	*field = xstrdup(val);
	return true;
}

/* "check 2/3: FAILED expect ..." */
static int lab_card_text_check(struct lab_card *c, const char *v)
{
	const char *colon = strstr(v, ": ");
	if (!colon)
		return -1;
	const char *res = colon + 2;
	const char *sp = strchr(res, ' ');
	if (!sp)
		return -1;
	char *result = xstrdup(res);
	result[sp - res] = '\0';
	lab_card_add_check(c, result, sp + 1);
	free(result);
	return 0;
}

static int lab_card_parse_text(struct lab_card *c, char *text, char *err, size_t errlen)
{
	size_t line = 0;
	for (char *p = text, *next; p && *p; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		line++;
		if (line == 1) {
			if (strcmp(p, LAB_CARD_MAGIC) != 0)
				break;
			continue;
		}
		char *colon = strstr(p, ": ");
		int rc = 0;
		if (strncmp(p, "check ", 6) == 0) {
			rc = lab_card_text_check(c, p);
		} else if (!colon) {
			rc = -1;
		} else {
			*colon = '\0';
			if (strcmp(p, "mailbox") == 0)
				lab_card_add_mailbox_line(c, colon + 2);
			else if (!lab_card_set(c, p, colon + 2))
				rc = -1;
		}
		if (rc != 0) {
			snprintf(err, errlen, _("line %zu is not a line of a lab report"), line);
			return -1;
		}
	}
	if (line == 0 || !c->digest[0] || !c->score) {
		snprintf(err, errlen, "%s", _("not a mailsim lab report (or its digest or score is gone)"));
		return -1;
	}
	return 0;
}

/* The JSON form: tokens are punctuation, strings (unescaped) and words. */
struct lab_json {
	const char *p;
	struct buf tok;
	char kind; /* '"' a string, 'w' a word, else the punctuation itself; 0 at the end */
};

static void lab_json_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | cp >> 6));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xe0 | cp >> 12));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* The next token; -1 if the text is not JSON. */
static int lab_json_next(struct lab_json *j)
{
	while (isspace((unsigned char)*j->p))
		j->p++;
	buf_clear(&j->tok);
	j->kind = *j->p;
	if (!*j->p)
		return 0;
	if (strchr("{}[]:,", *j->p)) {
		j->p++;
		return 0;
	}
	if (*j->p != '"') {
		j->kind = 'w';
		while (*j->p && (isalnum((unsigned char)*j->p) || strchr("+-.", *j->p)))
			buf_addc(&j->tok, *j->p++);
		buf_adds(&j->tok, "");
		return j->tok.len > 0 ? 0 : -1;
	}
	for (j->p++; *j->p != '"'; j->p++) {
		if (!*j->p || (unsigned char)*j->p < 0x20)
			return -1;
		if (*j->p != '\\') {
			buf_addc(&j->tok, *j->p);
			continue;
		}
		char e = *++j->p;
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		const char *k = e ? strchr(from, e) : NULL;
		if (k) {
			buf_addc(&j->tok, to[k - from]);
		} else if (e == 'u' && isxdigit((unsigned char)j->p[1]) &&
			   isxdigit((unsigned char)j->p[2]) && isxdigit((unsigned char)j->p[3]) &&
			   isxdigit((unsigned char)j->p[4])) {
			char hex[5] = { j->p[1], j->p[2], j->p[3], j->p[4], '\0' };
			lab_json_utf8(&j->tok, (unsigned)strtoul(hex, NULL, 16));
			j->p += 4;
		} else {
			return -1;
		}
	}
	j->p++;
	buf_adds(&j->tok, "");
	return 0;
}

/*
 * The fields, whatever the layout: a string followed by ':' is a key; the
 * value of "mailboxes" is an array of strings; of "checks", an array of
 * objects, each a new check whose "result" and "check" fill it.
 */
static int lab_card_parse_json(struct lab_card *c, const char *text, char *err, size_t errlen)
{
	struct lab_json j = { .p = text };
	buf_init(&j.tok);
	char key[32] = "", outer[32] = "";
	int depth = 0, rc = 0;
	bool magic = false, in_check = false;
	char *result = NULL, *check = NULL;
	while (rc == 0 && (rc = lab_json_next(&j)) == 0 && j.kind) {
		if (j.kind == '{' || j.kind == '[') {
			depth++;
			if (depth == 2)
				snprintf(outer, sizeof outer, "%s", key);
			in_check = depth == 3 && strcmp(outer, "checks") == 0;
			key[0] = '\0';
		} else if (j.kind == '}' || j.kind == ']') {
			if (in_check && depth == 3) {
				if (!result || !check)
					rc = -1;
				else
					lab_card_add_check(c, result, check);
				free(result);
				free(check);
				result = check = NULL;
				in_check = false;
			}
			depth--;
		} else if (j.kind == '"' && *(j.p + strspn(j.p, " \t\r\n")) == ':') {
			snprintf(key, sizeof key, "%s", j.tok.p);
		} else if (j.kind == '"' || j.kind == 'w') {
			if (depth == 1 && strcmp(key, "report") == 0)
				magic = strcmp(j.tok.p, LAB_CARD_MAGIC) == 0;
			else if (depth == 1 && j.kind == '"')
				lab_card_set(c, key, j.tok.p);
			else if (depth == 2 && strcmp(outer, "mailboxes") == 0 && j.kind == '"')
				lab_card_add_mailbox_line(c, j.tok.p);
			else if (in_check && strcmp(key, "result") == 0 && !result)
				result = xstrdup(j.tok.p);
			else if (in_check && strcmp(key, "check") == 0 && !check)
				check = xstrdup(j.tok.p);
		}
	}
	free(result);
	free(check);
	buf_free(&j.tok);
	if (rc != 0 || !magic || depth != 0 || !c->digest[0] || !c->score) {
		snprintf(err, errlen, "%s",
			 _("not a mailsim lab report in JSON (or its digest or score is gone)"));
		return -1;
	}
	return 0;
}

int lab_card_read(struct lab_card *c, const char *path, char *err, size_t errlen)
{
	lab_card_init(c);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, _("cannot read %s: %s"), path, strerror(errno));
		return -1;
	}
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= LAB_CARD_FILE_MAX)
		buf_add(&b, chunk, n);
	fclose(f);
	buf_adds(&b, "");
	int rc;
	if (b.len > LAB_CARD_FILE_MAX) {
		snprintf(err, errlen, _("%s: too large for a lab report"), path);
		rc = -1;
	} else {
		size_t k = 0;
		while (isspace((unsigned char)b.p[k]))
			k++;
		rc = b.p[k] == '{' ? lab_card_parse_json(c, b.p, err, errlen)
				   : lab_card_parse_text(c, b.p, err, errlen);
	}
	buf_free(&b);
	if (rc != 0)
		lab_card_free(c);
	return rc;
}
