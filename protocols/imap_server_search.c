/*
 * imap_server_search.c - SEARCH in the IMAP server engine (RFC 3501
 * 6.4.4; one of the imap_server family, imap_server_int.h).
 *
 *   a7 SEARCH UNSEEN FROM "bob" SINCE 1-Feb-1994
 *   * SEARCH 2 5 9
 *   a7 OK SEARCH completed
 *
 * The keys are parsed first into a tree (struct imap_server_key: a list
 * of keys is an AND, and NOT and OR take the keys after them), then every
 * message of the view is tested against it.  Keys on flags, sizes, dates
 * and numbers need only the view; a message's content is loaded only when
 * a key reads it (FROM, BODY, SENTSINCE...), once per message.
 *
 * A reading guide, in file order: days and dates; the keys and the tables
 * of their names; parsing the keys; testing one message; the command.
 */
#include "imap_server_int.h"
#include "i18n.h"
#include "imap_msg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How deeply SEARCH keys may nest (NOT NOT ..., OR (OR ...)). */
#define IMAP_SERVER_SEARCH_DEPTH_MAX 64
/* Seconds in a day: SEARCH compares dates, not times (RFC 3501 6.4.4). */
#define IMAP_SERVER_DAY_SECONDS 86400

/* Days since 1970 of a time, rounding down also before 1970. */
static int64_t imap_server_day(int64_t t)
{
	return t >= 0 ? t / IMAP_SERVER_DAY_SECONDS
		      : -((-t + IMAP_SERVER_DAY_SECONDS - 1) / IMAP_SERVER_DAY_SECONDS);
}

enum imap_server_key_kind {
	IMAP_SERVER_KEY_ALL,
	IMAP_SERVER_KEY_FLAG,      /* flags & bit set (or clear: negate) */
	IMAP_SERVER_KEY_NEW,       /* \Recent and not \Seen */
	IMAP_SERVER_KEY_KEYWORD,
	IMAP_SERVER_KEY_TEXT,      /* field contains value: FROM, SUBJECT, BODY, HEADER... */
	IMAP_SERVER_KEY_DATE,      /* INTERNALDATE day before / on / since */
	IMAP_SERVER_KEY_SENTDATE,  /* the Date: header's day */
	IMAP_SERVER_KEY_LARGER,
	IMAP_SERVER_KEY_SMALLER,
	IMAP_SERVER_KEY_SEQ,       /* a sequence set */
	IMAP_SERVER_KEY_UID,       /* a UID set */
	IMAP_SERVER_KEY_NOT,
	IMAP_SERVER_KEY_OR,
	IMAP_SERVER_KEY_AND,       /* a parenthesised group, or the whole search */
};

struct imap_server_key {
	enum imap_server_key_kind kind;
	bool negate;               /* UNSEEN is FLAG SEEN negated, and so on */
	uint32_t bit;
	const char *field, *value; /* TEXT: header name or "BODY"/"TEXT"; KEYWORD: value */
	int cmp;                   /* DATE: -1 before, 0 on, 1 since */
	int64_t day;               /* DATE: days since 1970 */
	uint64_t size;
	struct imap_seqset set;
	struct imap_server_key *kids; /* NOT: 1, OR: 2, AND: nkids */
	size_t nkids;
};

static void imap_server_key_free(struct imap_server_key *k)
{
	for (size_t i = 0; i < k->nkids; i++)
		imap_server_key_free(&k->kids[i]);
	free(k->kids);
	imap_seqset_free(&k->set);
}

/* The simple keys: a name, and what it means. */
static const struct {
	const char *name;
	enum imap_server_key_kind kind;
	uint32_t bit;
	bool negate;
} imap_server_simple_keys[] = {
	{"ALL", IMAP_SERVER_KEY_ALL, 0, false},
	{"ANSWERED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_ANSWERED, false},
	{"DELETED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_DELETED, false},
	{"DRAFT", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_DRAFT, false},
	{"FLAGGED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_FLAGGED, false},
	{"RECENT", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_RECENT, false},
	{"SEEN", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_SEEN, false},
	{"UNANSWERED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_ANSWERED, true},
	{"UNDELETED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_DELETED, true},
	{"UNDRAFT", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_DRAFT, true},
	{"UNFLAGGED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_FLAGGED, true},
	{"UNSEEN", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_SEEN, true},
	{"OLD", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_RECENT, true},
	{"NEW", IMAP_SERVER_KEY_NEW, 0, false},
};

/* Keys followed by a string: the header (or part) they search. */
static const struct {
	const char *name;
	const char *field;
} imap_server_text_keys[] = {
	{"FROM", "From"}, {"TO", "To"},     {"CC", "Cc"},     {"BCC", "Bcc"},
	{"SUBJECT", "Subject"}, {"BODY", "BODY"}, {"TEXT", "TEXT"},
};

/* Keys followed by a date. */
static const struct {
	const char *name;
	enum imap_server_key_kind kind;
	int cmp;
} imap_server_date_keys[] = {
	{"BEFORE", IMAP_SERVER_KEY_DATE, -1},         {"ON", IMAP_SERVER_KEY_DATE, 0},
	{"SINCE", IMAP_SERVER_KEY_DATE, 1},           {"SENTBEFORE", IMAP_SERVER_KEY_SENTDATE, -1},
	{"SENTON", IMAP_SERVER_KEY_SENTDATE, 0},      {"SENTSINCE", IMAP_SERVER_KEY_SENTDATE, 1},
};

/* Search parsing: the arguments, where it has got to, and the first error. */
struct imap_server_search {
	const struct imap_arg *args;
	size_t n, pos;
	const char *err;
};

static bool imap_server_parse_key(struct imap_server_search *p, struct imap_server_key *k,
				  unsigned depth);

/* Every key of a list into an AND node. */
static bool imap_server_parse_keys(const struct imap_arg *args, size_t n,
				   struct imap_server_key *k, unsigned depth, const char **err)
{
	struct imap_server_search p = {args, n, 0, NULL};
	k->kind = IMAP_SERVER_KEY_AND;
	k->kids = xcalloc(n ? n : 1, sizeof *k->kids);
	while (p.pos < n) {
		if (!imap_server_parse_key(&p, &k->kids[k->nkids++], depth + 1)) {
			*err = p.err;
			return false;
		}
	}
	if (n == 0) {
		*err = "Missing search key";
		return false;
	}
	return true;
}

static const char *imap_server_next_string(struct imap_server_search *p)
{
	if (p->pos >= p->n) {
		p->err = "Missing argument to search key";
		return NULL;
	}
	const char *v = imap_arg_str(&p->args[p->pos]);
	if (!v)
		p->err = "Invalid argument to search key";
	p->pos++;
	return v;
}

static bool imap_server_parse_key(struct imap_server_search *p, struct imap_server_key *k,
				  unsigned depth)
{
	assert(p->pos < p->n); /* the caller saw that a key comes */
	memset(k, 0, sizeof *k);
	if (depth > IMAP_SERVER_SEARCH_DEPTH_MAX) {
		p->err = "Search keys nested too deeply";
		return false;
	}
	const struct imap_arg *a = &p->args[p->pos++];
	if (a->type == IMAP_ARG_LIST)
		return imap_server_parse_keys(a->list, a->nlist, k, depth, &p->err);
	if (a->type != IMAP_ARG_ATOM) {
		p->err = "Invalid search key";
		return false;
	}
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(imap_server_simple_keys); i++) {
		if (imap_arg_is(a, imap_server_simple_keys[i].name)) {
			k->kind = imap_server_simple_keys[i].kind;
			k->bit = imap_server_simple_keys[i].bit;
			k->negate = imap_server_simple_keys[i].negate;
			return true;
		}
	}
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(imap_server_text_keys); i++) {
		if (imap_arg_is(a, imap_server_text_keys[i].name)) {
			k->kind = IMAP_SERVER_KEY_TEXT;
			k->field = imap_server_text_keys[i].field;
			k->value = imap_server_next_string(p);
			return k->value != NULL;
		}
	}
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(imap_server_date_keys); i++) {
		if (imap_arg_is(a, imap_server_date_keys[i].name)) {
			k->kind = imap_server_date_keys[i].kind;
			k->cmp = imap_server_date_keys[i].cmp;
			const char *d = imap_server_next_string(p);
			int64_t t = d ? imap_parse_date(d) : -1;
			if (t < 0) {
				p->err = "Invalid date (it is written 1-Feb-1994)";
				return false;
			}
			k->day = imap_server_day(t);
			return true;
		}
	}
	if (imap_arg_is(a, "HEADER")) {
		k->kind = IMAP_SERVER_KEY_TEXT;
		k->field = imap_server_next_string(p);
		k->value = k->field ? imap_server_next_string(p) : NULL;
		return k->value != NULL;
	}
	if (imap_arg_is(a, "KEYWORD") || imap_arg_is(a, "UNKEYWORD")) {
		k->kind = IMAP_SERVER_KEY_KEYWORD;
		k->negate = imap_arg_is(a, "UNKEYWORD");
		k->value = imap_server_next_string(p);
		return k->value != NULL;
	}
	if (imap_arg_is(a, "LARGER") || imap_arg_is(a, "SMALLER")) {
		k->kind = imap_arg_is(a, "LARGER") ? IMAP_SERVER_KEY_LARGER
						   : IMAP_SERVER_KEY_SMALLER;
		uint32_t v;
		if (p->pos >= p->n || !imap_arg_number(&p->args[p->pos], &v)) {
			p->err = "LARGER and SMALLER take a number of octets";
			return false;
		}
		p->pos++;
		k->size = v;
		return true;
	}
	if (imap_arg_is(a, "UID")) {
		k->kind = IMAP_SERVER_KEY_UID;
		const char *v = imap_server_next_string(p);
		if (!v || !imap_seqset_parse(v, &k->set)) {
			p->err = "UID takes a set of UIDs";
			return false;
		}
		return true;
	}
	if (imap_arg_is(a, "NOT") || imap_arg_is(a, "OR")) {
		k->kind = imap_arg_is(a, "NOT") ? IMAP_SERVER_KEY_NOT : IMAP_SERVER_KEY_OR;
		size_t want = k->kind == IMAP_SERVER_KEY_NOT ? 1 : 2;
		k->kids = xcalloc(want, sizeof *k->kids);
		for (size_t i = 0; i < want; i++) {
			if (p->pos >= p->n) {
				p->err = "NOT and OR need keys after them";
				return false;
			}
			if (!imap_server_parse_key(p, &k->kids[k->nkids++], depth + 1))
				return false;
		}
		return true;
	}
	const char *v = imap_arg_str(a);
	if (v && ((v[0] >= '0' && v[0] <= '9') || v[0] == '*') && imap_seqset_parse(v, &k->set)) {
		k->kind = IMAP_SERVER_KEY_SEQ;
		return true;
	}
	p->err = "Unknown search key";
	return false;
}

/* One message being tested: its content is loaded only if a key needs it. */
struct imap_server_candidate {
	size_t seq;        /* index in the view */
	bool loaded, present;
};

static bool imap_server_candidate_load(struct imap_server *s, struct imap_server_candidate *m)
{
	assert(m->seq < s->nview);
	if (!m->loaded) {
		m->loaded = true;
		m->present = imap_server_load(s, s->view[m->seq].uid);
	}
	return m->present;
}

/*
 * The day the loaded message's Date: header names, as its writer saw it:
 * SENTBEFORE, SENTON and SENTSINCE disregard time and time zone (RFC 3501
 * 6.4.4), so "Mon, 7 Feb 1994 21:52:25 -0800" is 7 February, although it
 * was already the 8th in UTC.  False if there is no readable Date:.
 */
static bool imap_server_sent_day(struct imap_server *s, int64_t *day)
{
	int64_t t = imap_msg_date(s->content.p, s->content.len);
	if (t < 0)
		return false;
	struct buf field;
	buf_init(&field);
	imap_msg_section(&field, s->content.p, s->content.len, "HEADER.FIELDS (DATE)");
	int64_t offset = 0;
	/* the zone is the last "+hhmm" or "-hhmm" of the field */
	for (size_t i = field.len; i-- > 0;) {
		const char *p = field.p + i;
		if ((*p == '+' || *p == '-') && i + 5 <= field.len) {
			bool digits = true;
			for (int k = 1; k <= 4; k++)
				digits &= p[k] >= '0' && p[k] <= '9';
			if (digits) {
				int64_t hh = (p[1] - '0') * 10 + (p[2] - '0');
				int64_t mm = (p[3] - '0') * 10 + (p[4] - '0');
				offset = (*p == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
				break;
			}
		}
	}
	buf_free(&field);
	*day = imap_server_day(t + offset);
	return true;
}

static bool imap_server_eval(struct imap_server *s, const struct imap_server_key *k,
			     struct imap_server_candidate *m)
{
	assert(m->seq < s->nview);
	const struct imap_msg *msg = &s->view[m->seq];
	bool r = false;
	switch (k->kind) {
	case IMAP_SERVER_KEY_ALL:
		r = true;
		break;
	case IMAP_SERVER_KEY_FLAG:
		r = (msg->flags & k->bit) != 0;
		break;
	case IMAP_SERVER_KEY_NEW:
		r = (msg->flags & (IMAP_FLAG_RECENT | IMAP_FLAG_SEEN)) == IMAP_FLAG_RECENT;
		break;
	case IMAP_SERVER_KEY_KEYWORD:
		r = imap_server_has_keyword(msg->keywords, k->value, strlen(k->value));
		break;
	case IMAP_SERVER_KEY_TEXT:
		r = imap_server_candidate_load(s, m) &&
		    imap_msg_search(s->content.p, s->content.len, k->field, k->value);
		break;
	case IMAP_SERVER_KEY_DATE:
	case IMAP_SERVER_KEY_SENTDATE: {
		int64_t day = imap_server_day(msg->internaldate);
		if (k->kind == IMAP_SERVER_KEY_SENTDATE &&
		    (!imap_server_candidate_load(s, m) || !imap_server_sent_day(s, &day)))
			break;
		r = k->cmp < 0 ? day < k->day : k->cmp == 0 ? day == k->day : day >= k->day;
		break;
	}
	case IMAP_SERVER_KEY_LARGER:
		r = msg->size > k->size;
		break;
	case IMAP_SERVER_KEY_SMALLER:
		r = msg->size < k->size;
		break;
	case IMAP_SERVER_KEY_SEQ:
		r = imap_seqset_contains(&k->set, (uint32_t)(m->seq + 1), (uint32_t)s->nview);
		break;
	case IMAP_SERVER_KEY_UID:
		r = imap_seqset_contains(&k->set, msg->uid,
					 s->nview ? s->view[s->nview - 1].uid : 0);
		break;
	case IMAP_SERVER_KEY_NOT:
		assert(k->nkids == 1); /* a NOT that parsed has its key */
		r = !imap_server_eval(s, &k->kids[0], m);
		break;
	case IMAP_SERVER_KEY_OR:
		assert(k->nkids == 2); /* an OR that parsed has both */
		r = imap_server_eval(s, &k->kids[0], m) || imap_server_eval(s, &k->kids[1], m);
		break;
	case IMAP_SERVER_KEY_AND:
		r = true;
		for (size_t i = 0; i < k->nkids && r; i++)
			r = imap_server_eval(s, &k->kids[i], m);
		break;
	}
	return k->negate ? !r : r;
}

void imap_server_proceed_search(struct imap_server *s, const struct imap_cmd *c,
				struct wire *out)
{
	assert(c->nargs >= 1); /* the table's row */
	size_t first = 0;
	if (c->nargs >= 2 && imap_arg_is(&c->args[0], "CHARSET")) {
		const char *cs = imap_arg_str(&c->args[1]);
		if (!cs || (strcasecmp(cs, "UTF-8") != 0 && strcasecmp(cs, "US-ASCII") != 0)) {
			wire_line(out, NULL,
				  "* OK [BADCHARSET (UTF-8 US-ASCII)] Charsets supported");
			imap_server_no(s, out, N_("[BADCHARSET]: this server searches in UTF-8 and "
				          "US-ASCII only"),
				       "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
			return;
		}
		first = 2;
	}
	struct imap_server_key root;
	memset(&root, 0, sizeof root);
	const char *err = NULL;
	if (!imap_server_parse_keys(c->args + first, c->nargs - first, &root, 0, &err)) {
		imap_server_key_free(&root);
		imap_server_bad(s, out, N_("SEARCH keys are words like UNSEEN, FROM \"bob\", SINCE "
				   "1-Feb-1994, joined by OR, NOT and parentheses"), "%s", err);
		return;
	}
	imap_server_catch_up(s, c, out); /* search the flags as they are now */
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "* SEARCH");
	for (size_t i = 0; i < s->nview; i++) {
		struct imap_server_candidate m = {i, false, false};
		if (!imap_server_eval(s, &root, &m))
			continue;
		buf_addc(&b, ' ');
		buf_add_u64(&b, c->uid ? s->view[i].uid : i + 1);
	}
	imap_server_send(out, c->uid ? N_("SEARCH: the UIDs of the messages that match")
				     : N_("SEARCH: the numbers of the messages that match"), &b);
	buf_free(&b);
	imap_server_key_free(&root);
	imap_server_ok(s, out, NULL, "SEARCH completed");
}
