/*
 * imap_server_fetch.c - FETCH in the IMAP server engine (RFC 3501 6.4.5,
 * 7.4.2; one of the imap_server family, imap_server_int.h).
 *
 *   a5 FETCH 2 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])
 *   * 2 FETCH (FLAGS (\Seen) BODY[HEADER.FIELDS (SUBJECT)] {19}
 *   Subject: Lunch?
 *
 *   )
 *   a5 OK FETCH completed
 *
 * The items are parsed first (struct imap_server_fetch; the macros ALL,
 * FAST and FULL expand to several), then each chosen message of the view
 * is answered with one FETCH line.  What the view holds (UID, FLAGS,
 * INTERNALDATE, RFC822.SIZE) is answered from it; ENVELOPE, BODY,
 * BODYSTRUCTURE and the BODY[section]<partial> octets load the message's
 * content and ask imap_msg.c.  A BODY[...] fetch without .PEEK marks the
 * message \Seen first, in one call to the store, and that FETCH line then
 * carries the new FLAGS too.
 *
 * A reading guide, in file order: the items; parsing them (partials, the
 * BODY[section] form, the macros); marking \Seen; one section's octets;
 * one item's name and value; the command.
 */
#include "imap_server_int.h"
#include "i18n.h"
#include "imap_msg.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum imap_server_item_kind {
	IMAP_SERVER_ITEM_UID,
	IMAP_SERVER_ITEM_FLAGS,
	IMAP_SERVER_ITEM_INTERNALDATE,
	IMAP_SERVER_ITEM_SIZE,
	IMAP_SERVER_ITEM_ENVELOPE,
	IMAP_SERVER_ITEM_BODY,          /* BODY without [...]: the structure, short form */
	IMAP_SERVER_ITEM_BODYSTRUCTURE,
	IMAP_SERVER_ITEM_SECTION,       /* BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER/TEXT */
};

struct imap_server_item {
	enum imap_server_item_kind kind;
	const char *label;      /* the name in the response: "RFC822.HEADER" (SECTION only) */
	char *section;          /* SECTION: the text between [ and ], malloc'd */
	bool bracket;           /* SECTION: reported as BODY[section] */
	bool sets_seen;         /* reading it marks the message \Seen */
	bool partial;
	uint32_t origin, count; /* partial: <origin.count> */
};

struct imap_server_fetch {
	struct imap_server_item *items;
	size_t n, cap;          /* items used, allocated */
	bool content;           /* some item needs the message's content */
	bool sets_seen;
	bool has_uid, has_flags;
};

static void imap_server_fetch_free(struct imap_server_fetch *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->items[i].section);
	free(f->items);
}

static void imap_server_fetch_add(struct imap_server_fetch *f, enum imap_server_item_kind kind)
{
	assert(f->n < f->cap); /* parse_fetch made room: one per item, + 4 for a macro */
	struct imap_server_item *it = &f->items[f->n++];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	f->has_uid |= kind == IMAP_SERVER_ITEM_UID;
	f->has_flags |= kind == IMAP_SERVER_ITEM_FLAGS;
	f->content |= kind == IMAP_SERVER_ITEM_ENVELOPE || kind == IMAP_SERVER_ITEM_BODY ||
		      kind == IMAP_SERVER_ITEM_BODYSTRUCTURE || kind == IMAP_SERVER_ITEM_SECTION;
}

/* "<0.10>": false if malformed. */
static bool imap_server_parse_partial(const char *p, struct imap_server_item *it)
{
	uint64_t v[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			v[k] = v[k] * 10 + (uint64_t)(*p++ - '0');
			if (v[k] > UINT32_MAX)
				return false;
		}
		if (p == start || *p++ != (k == 0 ? '.' : '>'))
			return false;
	}
	if (*p || v[1] == 0)
		return false;
	it->partial = true;
	it->origin = (uint32_t)v[0];
	it->count = (uint32_t)v[1];
	return true;
}

/* One fetch attribute (a macro expands to several); false if unknown. */
static bool imap_server_parse_item(struct imap_server_fetch *f, const struct imap_arg *a)
{
	static const struct {
		const char *name;
		enum imap_server_item_kind kind;
	} simple[] = {
		{"UID", IMAP_SERVER_ITEM_UID},
		{"FLAGS", IMAP_SERVER_ITEM_FLAGS},
		{"INTERNALDATE", IMAP_SERVER_ITEM_INTERNALDATE},
		{"RFC822.SIZE", IMAP_SERVER_ITEM_SIZE},
		{"ENVELOPE", IMAP_SERVER_ITEM_ENVELOPE},
		{"BODY", IMAP_SERVER_ITEM_BODY},
		{"BODYSTRUCTURE", IMAP_SERVER_ITEM_BODYSTRUCTURE},
	};
	if (a->type != IMAP_ARG_ATOM)
		return false;
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(simple); i++) {
		if (imap_arg_is(a, simple[i].name)) {
			imap_server_fetch_add(f, simple[i].kind);
			return true;
		}
	}
	static const struct {
		const char *name, *section;
		bool seen;
	} rfc822[] = {
		{"RFC822", "", true},
		{"RFC822.HEADER", "HEADER", false},
		{"RFC822.TEXT", "TEXT", true},
	};
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(rfc822); i++) {
		if (imap_arg_is(a, rfc822[i].name)) {
			imap_server_fetch_add(f, IMAP_SERVER_ITEM_SECTION);
			struct imap_server_item *it = &f->items[f->n - 1];
			it->label = rfc822[i].name;
			it->section = xstrdup(rfc822[i].section);
			it->sets_seen = rfc822[i].seen;
			f->sets_seen |= it->sets_seen;
			return true;
		}
	}
	/* BODY[section]<partial> and BODY.PEEK[section]<partial> */
	const char *open = memchr(a->s, '[', a->len);
	if (!open)
		return false;
	size_t prefix = (size_t)(open - a->s);
	bool peek;
	if (prefix == 4 && strncasecmp(a->s, "BODY", 4) == 0)
		peek = false;
	else if (prefix == 9 && strncasecmp(a->s, "BODY.PEEK", 9) == 0)
		peek = true;
	else
		return false;
	/* The parser ended the word at the section's "]" or after its
	 * partial; the section itself may hold "]" (a header-fld-name is an
	 * astring, RFC 3501 9), so its end is found from the right. */
	const char *close = a->s + a->len - 1;
	if (*close == '>')
		while (close > open && *close != '<')
			close--;
	if (close > open && *close == '<')
		close--;
	if (close <= open || *close != ']')
		return false;
	struct imap_server_item it = {0};
	it.kind = IMAP_SERVER_ITEM_SECTION;
	it.bracket = true;
	it.sets_seen = !peek;
	const char *rest = close + 1;
	size_t nrest = a->len - (size_t)(rest - a->s);
	if (nrest) {
		char partial[48];
		if (rest[0] != '<' || nrest >= sizeof partial)
			return false;
		memcpy(partial, rest + 1, nrest - 1);
		partial[nrest - 1] = '\0';
		if (!imap_server_parse_partial(partial, &it))
			return false;
	}
	it.section = xstrndup(open + 1, (size_t)(close - open - 1));
	struct buf check;
	buf_init(&check);
	int valid = imap_msg_section(&check, "", 0, it.section);
	buf_free(&check);
	if (valid != 0) {
		free(it.section);
		return false;
	}
	imap_server_fetch_add(f, IMAP_SERVER_ITEM_SECTION);
	f->items[f->n - 1] = it;
	f->sets_seen |= it.sets_seen;
	return true;
}

/* The fetch attributes: one atom, a macro, or a parenthesised list. */
static bool imap_server_parse_fetch(const struct imap_arg *a, struct imap_server_fetch *f)
{
	memset(f, 0, sizeof *f);
	size_t n = a->type == IMAP_ARG_LIST ? a->nlist : 1;
	f->cap = n + 4; /* + 4: a macro's items */
	f->items = xcalloc(f->cap, sizeof *f->items);
	if (a->type == IMAP_ARG_ATOM) {
		bool all = imap_arg_is(a, "ALL"), fast = imap_arg_is(a, "FAST"),
		     full = imap_arg_is(a, "FULL");
		if (all || fast || full) {
			imap_server_fetch_add(f, IMAP_SERVER_ITEM_FLAGS);
			imap_server_fetch_add(f, IMAP_SERVER_ITEM_INTERNALDATE);
			imap_server_fetch_add(f, IMAP_SERVER_ITEM_SIZE);
			if (!fast)
				imap_server_fetch_add(f, IMAP_SERVER_ITEM_ENVELOPE);
			if (full)
				imap_server_fetch_add(f, IMAP_SERVER_ITEM_BODY);
			return true;
		}
		return imap_server_parse_item(f, a);
	}
	if (a->type != IMAP_ARG_LIST || a->nlist == 0)
		return false;
	for (size_t i = 0; i < a->nlist; i++)
		if (!imap_server_parse_item(f, &a->list[i]))
			return false;
	return true;
}

/* Body data as a literal: "{n}" CRLF and the octets. */
static void imap_server_add_literal(struct buf *b, const char *p, size_t n)
{
	buf_addc(b, '{');
	buf_add_u64(b, n);
	buf_adds(b, "}\r\n");
	buf_add(b, p, n);
}

/*
 * Mark \Seen, in one set_flags call, every chosen message a non-PEEK body
 * fetch reads that is not \Seen yet (RFC 3501 6.4.5).  seen_now[i] tells
 * which, so their FETCH responses can include the new FLAGS.
 */
static bool imap_server_fetch_mark_seen(struct imap_server *s, const struct imap_server_set *set,
					bool *seen_now)
{
	assert(!s->read_only); /* EXAMINE sets no flag (RFC 3501 6.3.2) */
	size_t n = 0;
	uint32_t *uids = xcalloc(set->count ? set->count : 1, sizeof *uids);
	struct imap_msg *values = xcalloc(set->count ? set->count : 1, sizeof *values);
	IMAP_SERVER_FOR_EACH(set, i) {
		if (s->view[i].flags & IMAP_FLAG_SEEN)
			continue;
		uids[n] = s->view[i].uid;
		values[n] = s->view[i];
		values[n].flags |= IMAP_FLAG_SEEN;
		n++;
	}
	bool ok = n == 0 || (s->ops.set_flags &&
			     s->ops.set_flags(s->ctx, s->folder, uids, values, n) == IMAP_OK);
	if (ok) {
		IMAP_SERVER_FOR_EACH(set, i) {
			if (!(s->view[i].flags & IMAP_FLAG_SEEN)) {
				s->view[i].flags |= IMAP_FLAG_SEEN;
				seen_now[i - set->spans[0].lo] = true;
			}
		}
	}
	free(uids);
	free(values);
	return ok;
}

static void imap_server_fetch_section(struct imap_server *s, struct buf *b,
				      const struct imap_server_item *it, struct buf *data)
{
	if (it->bracket)
		buf_printf(b, "BODY[%s]", it->section);
	else
		buf_adds(b, it->label);
	if (it->partial)
		buf_printf(b, "<%" PRIu32 ">", it->origin);
	buf_addc(b, ' ');
	buf_clear(data);
	imap_msg_section(data, s->content.p, s->content.len, it->section);
	size_t from = 0, n = data->len;
	if (it->partial) {
		from = it->origin < data->len ? it->origin : data->len;
		n = data->len - from < it->count ? data->len - from : it->count;
	}
	imap_server_add_literal(b, data->p + from, n);
}

/* One item of a message's FETCH response, its name and its value;
 * s->content holds the message if the item needs it. */
static void imap_server_fetch_item(struct imap_server *s, struct buf *b,
				   const struct imap_server_item *it, const struct imap_msg *m,
				   struct buf *data)
{
	switch (it->kind) {
	case IMAP_SERVER_ITEM_UID:
		buf_adds(b, "UID ");
		buf_add_u64(b, m->uid);
		break;
	case IMAP_SERVER_ITEM_FLAGS:
		buf_adds(b, "FLAGS ");
		imap_server_add_flags(b, m->flags, m->keywords);
		break;
	case IMAP_SERVER_ITEM_INTERNALDATE:
		buf_adds(b, "INTERNALDATE \"");
		imap_format_datetime(b, m->internaldate);
		buf_addc(b, '"');
		break;
	case IMAP_SERVER_ITEM_SIZE:
		buf_adds(b, "RFC822.SIZE ");
		buf_add_u64(b, m->size);
		break;
	case IMAP_SERVER_ITEM_ENVELOPE:
		buf_adds(b, "ENVELOPE ");
		imap_msg_envelope(b, s->content.p, s->content.len);
		break;
	case IMAP_SERVER_ITEM_BODY:
	case IMAP_SERVER_ITEM_BODYSTRUCTURE:
		buf_adds(b, it->kind == IMAP_SERVER_ITEM_BODY ? "BODY " : "BODYSTRUCTURE ");
		imap_msg_bodystructure(b, s->content.p, s->content.len,
				       it->kind == IMAP_SERVER_ITEM_BODYSTRUCTURE);
		break;
	case IMAP_SERVER_ITEM_SECTION:
		imap_server_fetch_section(s, b, it, data);
		break;
	}
}

void imap_server_proceed_fetch(struct imap_server *s, const struct imap_cmd *c,
			       struct wire *out)
{
	assert(c->nargs == 2); /* the table's row */
	struct imap_server_fetch f;
	struct imap_server_set set;
	if (!imap_server_parse_fetch(&c->args[1], &f)) {
		imap_server_fetch_free(&f);
		imap_server_bad(s, out, N_("FETCH items are words like FLAGS, UID, ENVELOPE, "
				   "BODY.PEEK[HEADER], alone or in parentheses"),
				"Invalid fetch attribute");
		return;
	}
	/* the set names messages as they are now (and a BODY[] fetch adds
	 * \Seen to the flags as they are now) */
	imap_server_catch_up(s, c, out);
	if (!imap_server_resolve_arg(s, c, &c->args[0], &set, out)) {
		imap_server_fetch_free(&f);
		return;
	}
	/* seen_now is indexed from the first chosen message */
	size_t span = set.n ? set.spans[set.n - 1].hi - set.spans[0].lo : 0;
	bool *seen_now = xcalloc(span ? span : 1, sizeof *seen_now);
	if (f.sets_seen && !s->read_only && !imap_server_fetch_mark_seen(s, &set, seen_now)) {
		free(seen_now);
		free(set.spans);
		imap_server_fetch_free(&f);
		imap_server_no(s, out, N_("[SERVERBUG]: the store could not mark the messages "
					  "\\Seen"),
			       "[SERVERBUG] Could not set \\Seen");
		return;
	}
	struct buf b, data;
	buf_init(&b);
	buf_init(&data);
	bool missing = false;
	IMAP_SERVER_FOR_EACH(&set, i) {
		const struct imap_msg *m = &s->view[i];
		if (f.content && !imap_server_load(s, m->uid)) {
			missing = true; /* expunged by another session, not yet told */
			continue;
		}
		buf_clear(&b);
		buf_adds(&b, "* ");
		buf_add_u64(&b, i + 1);
		buf_adds(&b, " FETCH (");
		bool first = true;
		if (c->uid && !f.has_uid) {
			buf_adds(&b, "UID ");
			buf_add_u64(&b, m->uid);
			first = false;
		}
		for (size_t k = 0; k < f.n; k++) {
			if (!first)
				buf_addc(&b, ' ');
			first = false;
			imap_server_fetch_item(s, &b, &f.items[k], m, &data);
		}
		if (!f.has_flags && seen_now[i - set.spans[0].lo]) {
			buf_adds(&b, " FLAGS ");
			imap_server_add_flags(&b, m->flags, m->keywords);
		}
		buf_addc(&b, ')');
		imap_server_send(out, N_("FETCH: the data the client asked for about this message"),
				 &b);
	}
	buf_free(&b);
	buf_free(&data);
	free(seen_now);
	free(set.spans);
	imap_server_fetch_free(&f);
	if (missing)
		imap_server_no_expunged(s, out);
	else
		imap_server_ok(s, out, NULL, "FETCH completed");
}
