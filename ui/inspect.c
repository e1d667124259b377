/*
 * inspect.c - mailsim inspect --db FILE [--json]: what the store holds.
 *
 * Every server mailbox with its folders (UIDVALIDITY, UIDNEXT) and
 * messages, every device with what it keeps, every server's relay queue:
 * after a POP3 lesson, the server's INBOX is empty and the laptop holds the
 * mail.  The same rows the sqlite3 shell shows (docs/SCHEMA.md), read
 * through the store and laid out for people: a table, or one JSON document.
 * One walk reads the store (inspect_walk) and hands each row to a writer,
 * text_writer or json_writer: a table of callbacks, one per kind of row.
 *
 * The file is opened read-only: nothing is created (a mistyped name stays
 * an error) and nothing written.  Only a version 1 database, which the
 * store can read only after upgrading it, is opened for writing.
 */
#include "inspect.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "i18n.h"
#include "store.h"
#include "view.h"

enum {
	INSPECT_OK = 0,
	INSPECT_USAGE = 2,   /* as mailsim's EXIT_USAGE */
	INSPECT_RUNTIME = 3, /* as mailsim's EXIT_RUNTIME */
};

/* A padded column is cut (with an ellipsis) beyond this many columns of
 * the terminal; the last column of a table never is. */
#define INSPECT_COL_MAX 40
/* Output goes out in pieces of about this size. */
#define INSPECT_FLUSH_AT (1 << 16)

static void inspect_usage(FILE *out)
{
	fputs(_("usage: mailsim inspect --db FILE [--json]\n"
		"\n"
		"Print what a store kept with 'mailsim run --db FILE' holds: every mailbox\n"
		"on the servers (folders with UIDVALIDITY and UIDNEXT, and their messages),\n"
		"what every device keeps, and every server's relay queue.  The file is\n"
		"only read.  docs/SCHEMA.md describes the tables, for the sqlite3 shell.\n"
		"\n"
		"options:\n"
		"  --db FILE       the database file (required)\n"
		"  --json          one JSON document instead of the table\n"
		"  -h, --help      this text\n"
		"\n"
		"flags: S seen, A answered, F flagged, D deleted, R draft ('-' where not set)\n"
		"\n"
		"exit status: 0 listed, 2 bad command line or not a mailsim database,\n"
		"3 reading the database failed.\n"),
	      out);
}

/* ------------------------------------------------------------------------
 * Text for a terminal: UTF-8 kept, anything that could move the cursor or
 * is not UTF-8 shown as '?', widths counted in terminal columns
 * ------------------------------------------------------------------------ */


/* Terminal columns of a code point: 0 for combining marks, 2 for the wide
 * East Asian ranges and emoji, else 1.  Enough for subjects; not wcwidth()
 * (which depends on the locale: the output would too). */
static int cp_width(long cp)
{
	if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
	    (cp >= 0xFE00 && cp <= 0xFE0F))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
	    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
	    (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
		return 2;
	return 1;
}

/* A malloc'd copy of s fit for a terminal line: control characters (C0,
 * DEL, C1: a subject may hold ESC) and bytes that are not UTF-8 become '?'.
 * NULL becomes "".  *width is its width in columns. */
static char *text_clean(const char *s, size_t *width)
{
	struct buf b;
	buf_init(&b);
	size_t w = 0;
	size_t n = s ? strlen(s) : 0;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len;
		long cp = utf8_decode(p + i, n - i, &len);
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
			buf_addc(&b, '?');
			w++;
		} else {
			buf_add(&b, p + i, len);
			w += (size_t)cp_width(cp);
		}
		i += len;
	}
	buf_addc(&b, '\0'); /* an empty buf has no memory yet */
	b.len--;
	if (width)
		*width = w;
	return buf_steal(&b);
}

/* Cut a cleaned, malloc'd string to at most max columns, the last one an
 * ellipsis when something was cut; *width is updated. */
static void text_cut(char **sp, size_t *width, size_t max)
{
	assert(max >= 1); /* room for the ellipsis */
	if (*width <= max)
		return;
	char *s = *sp;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, w = 0;
	while (i < n) {
		size_t len;
		long cp = utf8_decode(p + i, n - i, &len);
		int cw = cp_width(cp);
		if (w + (size_t)cw > max - 1)
			break;
		w += (size_t)cw;
		i += len;
	}
	s = xrealloc(s, i + 4);
	memcpy(s + i, "\xE2\x80\xA6", 4); /* U+2026 and the NUL */
	*sp = s;
	*width = w + 1;
}

/* ------------------------------------------------------------------------
 * Tables: cells collected, then printed with every column as wide as its
 * widest cell
 * ------------------------------------------------------------------------ */

#define TABLE_MAXCOLS 9

struct cell {
	char *text;
	size_t width;
};

struct table {
	size_t ncols;
	const char *const *head;
	const char *align; /* 'l' or 'r' per column */
	struct cell *cells;
	size_t ncells, cap;
};

/* Output: a buffer written out whenever it grows large. */
struct out {
	FILE *f;
	struct buf b;
	struct table rows; /* the text writer's relay queue, until its end */
};

static void out_flush(struct out *o, bool force)
{
	if (o->b.len && (force || o->b.len >= INSPECT_FLUSH_AT)) {
		fwrite(o->b.p, 1, o->b.len, o->f);
		buf_clear(&o->b);
	}
}

static void table_init(struct table *t, size_t ncols, const char *const *head, const char *align)
{
	assert(ncols >= 1 && ncols <= TABLE_MAXCOLS && strlen(align) == ncols);
	memset(t, 0, sizeof *t);
	t->ncols = ncols;
	t->head = head;
	t->align = align;
}

static void table_add(struct table *t, const char *text)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xrealloc(t->cells, t->cap * sizeof *t->cells);
	}
	struct cell *c = &t->cells[t->ncells++];
	c->text = text_clean(text, &c->width);
	if (t->ncells % t->ncols != 0) /* not the last column */
		text_cut(&c->text, &c->width, INSPECT_COL_MAX);
}

static void table_addf(struct table *t, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void table_addf(struct table *t, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	table_add(t, tmp);
}

static void pad(struct buf *b, size_t n)
{
	while (n--)
		buf_addc(b, ' ');
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i].text);
	free(t->cells);
	memset(t, 0, sizeof *t);
}

/* Print the heading and the rows, each line after indent; frees the cells. */
static void table_print(struct table *t, struct out *o, const char *indent)
{
	assert(t->ncells % t->ncols == 0); /* whole rows only */
	size_t width[TABLE_MAXCOLS] = { 0 }, head_width[TABLE_MAXCOLS];
	for (size_t c = 0; c < t->ncols; c++) { /* the headings, in the reader's language */
		free(text_clean(_(t->head[c]), &head_width[c]));
		width[c] = head_width[c];
	}
	for (size_t i = 0; i < t->ncells; i++)
		if (t->cells[i].width > width[i % t->ncols])
			width[i % t->ncols] = t->cells[i].width;
	size_t nrows = t->ncells / t->ncols;
	for (size_t r = 0; r <= nrows; r++) { /* row 0: the heading */
		buf_adds(&o->b, indent);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *text = r ? t->cells[(r - 1) * t->ncols + c].text : _(t->head[c]);
			size_t w = r ? t->cells[(r - 1) * t->ncols + c].width : head_width[c];
			bool last = c + 1 == t->ncols;
			if (c)
				buf_adds(&o->b, "  ");
			if (t->align[c] == 'r')
				pad(&o->b, width[c] - w);
			buf_adds(&o->b, text);
			if (t->align[c] != 'r' && !last)
				pad(&o->b, width[c] - w);
		}
		while (o->b.len && o->b.p[o->b.len - 1] == ' ')
			o->b.p[--o->b.len] = '\0'; /* an empty last cell */
		buf_addc(&o->b, '\n');
		out_flush(o, false);
	}
	table_free(t);
}

/* Text from the store on a line of its own making. */
static void add_clean(struct buf *b, const char *s)
{
	char *c = text_clean(s, NULL);
	buf_adds(b, c);
	free(c);
}

/* S seen, A answered, F flagged, D deleted, R draft: always five columns. */
static const char *flag_letters(uint32_t flags, char out[6])
{
	static const struct {
		uint32_t bit;
		char letter;
	} map[5] = {
		{ STORE_FLAG_SEEN, 'S' },    { STORE_FLAG_ANSWERED, 'A' }, { STORE_FLAG_FLAGGED, 'F' },
		{ STORE_FLAG_DELETED, 'D' }, { STORE_FLAG_DRAFT, 'R' },
	};
	for (int i = 0; i < 5; i++)
		out[i] = flags & map[i].bit ? map[i].letter : '-';
	out[5] = '\0';
	return out;
}

/* " (s)" after a name, when s is not empty. */
static void add_clean_aside(struct buf *b, const char *s)
{
	if (s[0]) {
		buf_adds(b, " (");
		add_clean(b, s);
		buf_addc(b, ')');
	}
}

/* The messages of a folder, or of a device (with the folder each is in
 * and its UID or POP3 unique-id), as a table after indent, or "(empty)". */
static void text_listing(struct out *o, const struct store_listed *m, size_t nm,
			 const char *indent, bool device)
{
	if (nm == 0) {
		buf_adds(&o->b, indent);
		buf_adds(&o->b, _("(empty)\n"));
		return;
	}
	static const char *const folder_head[] = { "UID", N_("FLAGS"), N_("SIZE"), N_("FROM"),
						   N_("SUBJECT") };
	/* UID for what IMAP cached, the POP3 unique-id for a download */
	static const char *const device_head[] = { N_("FOLDER"), "UID/UIDL", N_("FLAGS"),
						   N_("SIZE"),	 N_("FROM"), N_("SUBJECT") };
	struct table t;
	if (device)
		table_init(&t, 6, device_head, "lllrll");
	else
		table_init(&t, 5, folder_head, "rlrll");
	for (size_t k = 0; k < nm; k++) {
		char fl[6];
		if (device) {
			table_add(&t, m[k].folder);
			if (m[k].uidl)
				table_addf(&t, "uidl %.100s", m[k].uidl);
			else
				table_addf(&t, "uid %u", (unsigned)m[k].uid);
		} else {
			table_addf(&t, "%u", (unsigned)m[k].uid);
		}
		table_add(&t, flag_letters(m[k].flags, fl));
		table_addf(&t, "%lld", (long long)m[k].size);
		table_add(&t, m[k].from);
		table_add(&t, m[k].subject);
	}
	table_print(&t, o, indent);
	/* what a verifying server found, under the table: only messages that
	 * carry an Authentication-Results: header have a line */
	for (size_t k = 0; k < nm; k++) {
		if (!m[k].auth)
			continue;
		buf_adds(&o->b, indent);
		if (device && m[k].uidl)
			buf_printf(&o->b, _("authentication of uidl %.100s: "), m[k].uidl);
		else
			buf_printf(&o->b, _("authentication of uid %u: "), (unsigned)m[k].uid);
		add_clean(&o->b, m[k].auth);
		buf_addc(&o->b, '\n');
	}
}

/* ------------------------------------------------------------------------
 * One walk through the store, two writers
 *
 * The walk reads the sections in order (the mailboxes on the servers, the
 * devices, the relay queues) and hands every row to a writer: the text
 * writer lays them out as tables for people, the JSON writer as one
 * document.  i, j and k count a row's place in its list, from 0.
 * ------------------------------------------------------------------------ */

enum section { SECTION_ACCOUNTS, SECTION_DEVICES, SECTION_QUEUES };

struct writer {
	const char *opening, *closing; /* before the first section, after the last */
	/* A section of n rows (accounts, devices or servers) begins; ends. */
	void (*section)(struct out *o, enum section s, size_t n);
	void (*section_end)(struct out *o, size_t n);
	/* An account, each of its nf folders with the folder's messages, the end. */
	void (*account)(struct out *o, const struct store_account *a, size_t i);
	void (*folder)(struct out *o, const struct store_folder *f, size_t j,
		       const struct store_listed *m, size_t nm);
	void (*account_end)(struct out *o, size_t nf);
	/* A device with the messages it keeps. */
	void (*device)(struct out *o, const struct store_device *d, size_t i,
		       const struct store_listed *m, size_t nm);
	/* A server's relay queue of n entries, each entry, the end; whole is
	 * false when an entry could not be read (the output is then dropped). */
	void (*queue)(struct out *o, const char *server, size_t i, size_t n);
	void (*queue_entry)(struct out *o, const struct store_queue_entry *e, size_t k);
	void (*queue_end)(struct out *o, size_t n, bool whole);
};

static int walk_accounts(struct store *st, const struct writer *w, struct out *o)
{
	struct store_account *acc;
	size_t nacc;
	if (store_accounts(st, &acc, &nacc) != STORE_OK)
		return -1;
	int rc = 0;
	w->section(o, SECTION_ACCOUNTS, nacc);
	for (size_t i = 0; i < nacc && rc == 0; i++) {
		struct store_folder *f;
		size_t nf;
		if (store_folders(st, acc[i].id, &f, &nf) != STORE_OK) {
			rc = -1;
			break;
		}
		w->account(o, &acc[i], i);
		for (size_t j = 0; j < nf; j++) {
			struct store_listed *m;
			size_t nm;
			if (store_folder_listing(st, f[j].id, &m, &nm) != STORE_OK) {
				rc = -1;
				break;
			}
			w->folder(o, &f[j], j, m, nm);
			store_listed_free(m, nm);
			out_flush(o, false);
		}
		w->account_end(o, nf);
		free(f);
	}
	w->section_end(o, nacc);
	free(acc);
	return rc;
}

static int walk_devices(struct store *st, const struct writer *w, struct out *o)
{
	struct store_device *dev;
	size_t ndev;
	if (store_devices(st, &dev, &ndev) != STORE_OK)
		return -1;
	int rc = 0;
	w->section(o, SECTION_DEVICES, ndev);
	for (size_t i = 0; i < ndev; i++) {
		struct store_listed *m;
		size_t nm;
		if (store_device_listing(st, dev[i].id, &m, &nm) != STORE_OK) {
			rc = -1;
			break;
		}
		w->device(o, &dev[i], i, m, nm);
		store_listed_free(m, nm);
		out_flush(o, false);
	}
	w->section_end(o, ndev);
	free(dev);
	return rc;
}

static int walk_queues(struct store *st, const struct writer *w, struct out *o)
{
	char **srv;
	size_t nsrv;
	if (store_servers(st, &srv, &nsrv) != STORE_OK)
		return -1;
	int rc = 0;
	w->section(o, SECTION_QUEUES, nsrv);
	for (size_t i = 0; i < nsrv && rc == 0; i++) {
		int64_t *ids, *next;
		size_t n;
		if (store_queue_list(st, srv[i], &ids, &next, &n) != STORE_OK) {
			rc = -1;
			break;
		}
		w->queue(o, srv[i], i, n);
		for (size_t k = 0; k < n; k++) {
			struct store_queue_entry e;
			if (store_queue_get(st, ids[k], &e) != STORE_OK) {
				rc = -1;
				break;
			}
			w->queue_entry(o, &e, k);
			store_queue_entry_free(&e);
			out_flush(o, false);
		}
		w->queue_end(o, n, rc == 0);
		free(ids);
		free(next);
		out_flush(o, false);
	}
	w->section_end(o, nsrv);
	store_strings_free(srv, nsrv);
	return rc;
}

/* Each section is its own read: a run writing the file meanwhile may
 * show in a later section and not an earlier one.  0, or -1 when reading
 * failed (store_error() says why). */
static int inspect_walk(struct store *st, const struct writer *w, struct out *o)
{
	buf_adds(&o->b, w->opening);
	int rc = walk_accounts(st, w, o);
	if (rc == 0)
		rc = walk_devices(st, w, o);
	if (rc == 0)
		rc = walk_queues(st, w, o);
	buf_adds(&o->b, w->closing);
	return rc;
}

/* ------------------------------------------------------------------------
 * The text writer: a heading per section, a table per list
 * ------------------------------------------------------------------------ */

static void text_section(struct out *o, enum section s, size_t n)
{
	static const char *const title[] = {
		[SECTION_ACCOUNTS] = N_("Mailboxes on the servers"),
		[SECTION_DEVICES] = N_("Devices"),
		[SECTION_QUEUES] = N_("Relay queues"),
	};
	buf_printf(&o->b, "%s== %s ==\n", s == SECTION_ACCOUNTS ? "" : "\n", _(title[s]));
	if (n == 0) {
		buf_addc(&o->b, '\n');
		buf_adds(&o->b, _("(empty)\n"));
	}
}

/* The end of a section or of an account: nothing to write. */
static void text_end(struct out *o, size_t n)
{
	(void)o;
	(void)n;
}

static void text_account(struct out *o, const struct store_account *a, size_t i)
{
	(void)i;
	buf_addc(&o->b, '\n');
	char *addr = text_clean(a->address, NULL), *server = text_clean(a->server, NULL);
	/* TRANSLATORS: an address on a mail server */
	buf_printf(&o->b, _("%s on %s"), addr, server);
	free(addr);
	free(server);
	add_clean_aside(&o->b, a->name);
	buf_addc(&o->b, '\n');
}

static void text_folder(struct out *o, const struct store_folder *f, size_t j,
			const struct store_listed *m, size_t nm)
{
	(void)j;
	buf_adds(&o->b, "  ");
	add_clean(&o->b, f->name);
	add_clean_aside(&o->b, f->special_use);
	buf_printf(&o->b, "  UIDVALIDITY %u  UIDNEXT %u  ", (unsigned)f->uidvalidity,
		   (unsigned)f->uidnext);
	buf_printf(&o->b, P_("%zu message", "%zu messages", nm), nm);
	buf_addc(&o->b, '\n');
	text_listing(o, m, nm, "    ", false);
}

static void text_device(struct out *o, const struct store_device *d, size_t i,
			const struct store_listed *m, size_t nm)
{
	(void)i;
	buf_addc(&o->b, '\n');
	char *name = text_clean(d->name, NULL);
	if (d->owner[0]) {
		char *owner = text_clean(d->owner, NULL);
		/* TRANSLATORS: a device of its owner (an address) */
		buf_printf(&o->b, _("%s of %s"), name, owner);
		free(owner);
	} else {
		buf_adds(&o->b, name);
	}
	free(name);
	buf_adds(&o->b, ": ");
	buf_printf(&o->b, P_("%zu message", "%zu messages", nm), nm);
	buf_addc(&o->b, '\n');
	text_listing(o, m, nm, "  ", true);
}

/* A queue's entries gather in o->rows, printed at the queue's end. */
static void text_queue(struct out *o, const char *server, size_t i, size_t n)
{
	(void)i;
	buf_addc(&o->b, '\n');
	add_clean(&o->b, server);
	buf_adds(&o->b, ": ");
	buf_printf(&o->b, P_("%zu entry", "%zu entries", n), n);
	buf_addc(&o->b, '\n');
	if (n == 0) {
		buf_adds(&o->b, "  ");
		buf_adds(&o->b, _("(empty)\n"));
	}
	static const char *const head[] = { "ID",	 N_("DOMAIN"),   N_("FROM"),
					    N_("TO"),	 N_("SIZE"),	 N_("ATTEMPTS"),
					    N_("NEXT TRY"), N_("LAST REPLY") };
	table_init(&o->rows, 8, head, "rlllrrrl");
}

static void text_queue_entry(struct out *o, const struct store_queue_entry *e, size_t k)
{
	(void)k;
	struct table *t = &o->rows;
	struct buf rc_list, when;
	buf_init(&rc_list);
	buf_init(&when);
	for (size_t r = 0; r < e->nrcpts; r++)
		buf_printf(&rc_list, "%s%s", r ? ", " : "", e->rcpts[r]);
	buf_adds(&when, "t=");
	view_seconds(&when, e->next_try_us);
	buf_addc(&when, 's');
	table_addf(t, "%lld", (long long)e->id);
	table_add(t, e->domain);
	table_add(t, e->mail_from[0] ? e->mail_from : "<>");
	table_add(t, rc_list.p);
	table_addf(t, "%zu", e->content_len);
	table_addf(t, "%d", e->attempts);
	table_add(t, when.p);
	table_add(t, e->last_reply ? e->last_reply : "-");
	buf_free(&rc_list);
	buf_free(&when);
}

static void text_queue_end(struct out *o, size_t n, bool whole)
{
	if (whole && n)
		table_print(&o->rows, o, "  ");
	else
		table_free(&o->rows);
}

static const struct writer text_writer = {
	.opening = "",
	.closing = "",
	.section = text_section,
	.section_end = text_end,
	.account = text_account,
	.folder = text_folder,
	.account_end = text_end,
	.device = text_device,
	.queue = text_queue,
	.queue_entry = text_queue_entry,
	.queue_end = text_queue_end,
};

/* ------------------------------------------------------------------------
 * The JSON writer: one document; objects that hold lists open on their own
 * line, each message and queue entry is one line
 * ------------------------------------------------------------------------ */

static void js_str(struct buf *b, const char *s)
{
	if (s)
		view_json_string(b, s, strlen(s));
	else
		buf_adds(b, "null");
}

static void js_flags(struct buf *b, uint32_t flags)
{
	static const char *const names[] = { "\\\\Seen",    "\\\\Answered", "\\\\Flagged",
					     "\\\\Deleted", "\\\\Draft",    "\\\\Recent" };
	bool first = true;
	buf_addc(b, '[');
	for (int i = 0; i < 6; i++) {
		if (flags & (1u << i)) {
			buf_printf(b, "%s\"%s\"", first ? "" : ", ", names[i]);
			first = false;
		}
	}
	buf_addc(b, ']');
}

/* A message's flags, size, from and subject, and the end of its object. */
static void js_msg_rest(struct out *o, const struct store_listed *m)
{
	js_flags(&o->b, m->flags);
	buf_printf(&o->b, ", \"size\": %lld, \"from\": ", (long long)m->size);
	js_str(&o->b, m->from);
	buf_adds(&o->b, ", \"subject\": ");
	js_str(&o->b, m->subject);
	if (m->auth) {
		buf_adds(&o->b, ", \"auth\": ");
		js_str(&o->b, m->auth);
	}
	buf_addc(&o->b, '}');
	out_flush(o, false);
}

static void json_section(struct out *o, enum section s, size_t n)
{
	static const char *const key[] = {
		[SECTION_ACCOUNTS] = "accounts",
		[SECTION_DEVICES] = "devices",
		[SECTION_QUEUES] = "queues",
	};
	(void)n;
	buf_printf(&o->b, "%s  \"%s\": [", s == SECTION_ACCOUNTS ? "" : ",\n", key[s]);
}

static void json_section_end(struct out *o, size_t n)
{
	buf_adds(&o->b, n ? "\n  ]" : "]");
}

/* The end of the list an account, device or queue holds, and of its object. */
static void json_inner_end(struct out *o, size_t n)
{
	buf_adds(&o->b, n ? "\n     ]}" : "]}");
}

static void json_account(struct out *o, const struct store_account *a, size_t i)
{
	buf_adds(&o->b, i ? ",\n    {\"address\": " : "\n    {\"address\": ");
	js_str(&o->b, a->address);
	buf_adds(&o->b, ", \"name\": ");
	js_str(&o->b, a->name);
	buf_adds(&o->b, ", \"server\": ");
	js_str(&o->b, a->server);
	buf_adds(&o->b, ",\n     \"folders\": [");
}

static void json_folder(struct out *o, const struct store_folder *f, size_t j,
			const struct store_listed *m, size_t nm)
{
	buf_adds(&o->b, j ? ",\n      {\"name\": " : "\n      {\"name\": ");
	js_str(&o->b, f->name);
	buf_adds(&o->b, ", \"special_use\": ");
	js_str(&o->b, f->special_use[0] ? f->special_use : NULL);
	buf_printf(&o->b, ", \"uidvalidity\": %u, \"uidnext\": %u, \"count\": %zu,",
		   (unsigned)f->uidvalidity, (unsigned)f->uidnext, nm);
	buf_adds(&o->b, "\n       \"messages\": [");
	for (size_t k = 0; k < nm; k++) {
		buf_printf(&o->b, "%s\n        {\"uid\": %u, \"flags\": ", k ? "," : "",
			   (unsigned)m[k].uid);
		js_msg_rest(o, &m[k]);
	}
	buf_adds(&o->b, nm ? "\n       ]}" : "]}");
}

static void json_device(struct out *o, const struct store_device *d, size_t i,
			const struct store_listed *m, size_t nm)
{
	buf_adds(&o->b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
	js_str(&o->b, d->name);
	buf_adds(&o->b, ", \"owner\": ");
	js_str(&o->b, d->owner[0] ? d->owner : NULL);
	buf_printf(&o->b, ", \"count\": %zu,\n     \"messages\": [", nm);
	for (size_t k = 0; k < nm; k++) {
		buf_adds(&o->b, k ? ",\n      {\"folder\": " : "\n      {\"folder\": ");
		js_str(&o->b, m[k].folder);
		if (m[k].uid)
			buf_printf(&o->b, ", \"uid\": %u", (unsigned)m[k].uid);
		else
			buf_adds(&o->b, ", \"uid\": null");
		buf_adds(&o->b, ", \"uidl\": ");
		js_str(&o->b, m[k].uidl);
		buf_adds(&o->b, ", \"flags\": ");
		js_msg_rest(o, &m[k]);
	}
	json_inner_end(o, nm);
}

static void json_queue(struct out *o, const char *server, size_t i, size_t n)
{
	buf_adds(&o->b, i ? ",\n    {\"server\": " : "\n    {\"server\": ");
	js_str(&o->b, server);
	buf_printf(&o->b, ", \"count\": %zu,\n     \"entries\": [", n);
}

static void json_queue_entry(struct out *o, const struct store_queue_entry *e, size_t k)
{
	buf_printf(&o->b, "%s\n      {\"id\": %lld, \"domain\": ", k ? "," : "", (long long)e->id);
	js_str(&o->b, e->domain);
	buf_adds(&o->b, ", \"mail_from\": ");
	js_str(&o->b, e->mail_from);
	buf_adds(&o->b, ", \"rcpts\": [");
	for (size_t r = 0; r < e->nrcpts; r++) {
		if (r)
			buf_adds(&o->b, ", ");
		js_str(&o->b, e->rcpts[r]);
	}
	buf_printf(&o->b, "], \"size\": %zu, \"attempts\": %d, \"next_try\": ", e->content_len,
		   e->attempts);
	view_seconds(&o->b, e->next_try_us); /* seconds of simulated time */
	buf_adds(&o->b, ", \"last_reply\": ");
	js_str(&o->b, e->last_reply);
	buf_addc(&o->b, '}');
}

static void json_queue_end(struct out *o, size_t n, bool whole)
{
	(void)whole;
	json_inner_end(o, n);
}

static const struct writer json_writer = {
	.opening = "{\n",
	.closing = "\n}\n",
	.section = json_section,
	.section_end = json_section_end,
	.account = json_account,
	.folder = json_folder,
	.account_end = json_inner_end,
	.device = json_device,
	.queue = json_queue,
	.queue_entry = json_queue_entry,
	.queue_end = json_queue_end,
};

/* ------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------ */

/* Open FILE to look at it: read-only; a version 1 database only by the
 * store's ordinary open, which upgrades it.  0, or an exit status. */
static int inspect_open(const char *path, struct store **st)
{
	struct stat sb;
	char err[512];
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			fprintf(stderr, _("mailsim inspect: %s: no such file\n"), path);
		else
			fprintf(stderr, "mailsim inspect: %s: %s\n", path, strerror(errno));
		return INSPECT_USAGE;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, _("mailsim inspect: %s: not a file\n"), path);
		return INSPECT_USAGE;
	}
	enum store_result rc = store_open_readonly(st, path, err, sizeof err);
	if (rc == STORE_OLD_SCHEMA) {
		fprintf(stderr, _("mailsim inspect: %s: upgrading the database to schema %d\n"), path,
			STORE_SCHEMA_VERSION);
		rc = store_open(st, path, err, sizeof err);
	}
	if (rc != STORE_OK) {
		fprintf(stderr, "mailsim inspect: %s: %s\n", path, err);
		return INSPECT_USAGE;
	}
	return 0;
}

int inspect_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL;
	bool json = false;
	int c;
	optind = 1;
	opterr = 0; /* our own words, below */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			inspect_usage(stdout);
			return INSPECT_OK;
		default:
			if (optopt == 'd')
				fputs(_("mailsim inspect: --db needs a FILE\n"), stderr);
			else
				fprintf(stderr, _("mailsim inspect: unknown option '%s'\n"),
					argv[optind - 1]);
			fputs(_("try 'mailsim inspect --help'\n"), stderr);
			return INSPECT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("mailsim inspect: unexpected '%s' (the file goes after --db)\n"),
			argv[optind]);
		return INSPECT_USAGE;
	}
	if (!db || !*db) {
		fputs(_("mailsim inspect: which database? give --db FILE "
			"(try 'mailsim inspect --help')\n"),
		      stderr);
		return INSPECT_USAGE;
	}
	struct store *st;
	int status = inspect_open(db, &st);
	if (status)
		return status;

	struct out o = { .f = stdout };
	buf_init(&o.b);
	int rc = inspect_walk(st, json ? &json_writer : &text_writer, &o);
	if (rc == 0)
		out_flush(&o, true);
	buf_free(&o.b);
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, "mailsim inspect: %s: %s\n", db, store_error(st));
		store_close(st);
		return INSPECT_RUNTIME;
	}
	store_close(st);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs(_("mailsim inspect: error writing the output\n"), stderr);
		return INSPECT_RUNTIME;
	}
	return INSPECT_OK;
}
