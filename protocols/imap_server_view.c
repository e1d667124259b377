/*
 * imap_server_view.c - the IMAP server engine's view of the selected
 * folder (one of the imap_server family, imap_server_int.h).
 *
 * The mail stays on the server, and several sessions may look at one
 * folder at once.  So each session keeps its own view of the folder it
 * selected: the UIDs and flags it has told its client about, in UID
 * order; sequence number n is view[n - 1].  Two things happen to it:
 *
 *   - a command names messages by a set ("1:4,7" or, after UID, UIDs),
 *     which is mapped to runs of the view (imap_server_resolve_arg);
 *   - other sessions (and the mail server) change the folder.  Before
 *     each tagged response, and at once while the client idles, the
 *     engine asks the host whether the folder changed (ops->version); if
 *     so it compares a fresh snapshot with the view and tells the client
 *     the difference: EXPUNGE, EXISTS, FETCH (FLAGS), and FLAGS when a new
 *     keyword is in use (imap_server_resync).  A command that names
 *     messages catches up the same way before it maps its set
 *     (imap_server_catch_up), so a UID never lands on a neighbour's
 *     position.
 *
 * An EXPUNGE may not be told while FETCH, STORE or SEARCH are answered
 * (RFC 3501 7.4.1): the message stays in the view, its number fixed, and
 * its UID waits in s->gone for the next chance.
 *
 * A reading guide, in file order:
 *   1. message sets: sequence numbers and UIDs to runs of the view
 *   2. keeping the view in step with the store: resync, catch-up, the
 *      deferred expunges, and imap_server_poke() for the host
 */
#include "imap_server_int.h"
#include "i18n.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Distinct keywords that SELECT's FLAGS response names. */
#define IMAP_SERVER_FLAGS_KEYWORDS_MAX 64

/* ------------------------------------------------------ 1. message sets */

/* The first message in the view whose UID is >= uid (binary search). */
static size_t imap_server_lower_bound(const struct imap_server *s, uint32_t uid)
{
	size_t lo = 0, hi = s->nview;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->view[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int imap_server_span_cmp(const void *a, const void *b)
{
	const struct imap_server_span *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

enum imap_server_set_result {
	IMAP_SERVER_SET_OK,
	IMAP_SERVER_SET_SYNTAX,  /* not a sequence set */
	IMAP_SERVER_SET_RANGE,   /* a message number past the last message */
};

/*
 * Resolve a sequence set (or, for UID commands, a UID set) against the
 * view.  Sequence numbers must name existing messages (RFC 3501 9), and
 * in an empty folder not even "*" does; UIDs that name nothing are simply
 * skipped (6.4.8), and "n:*" always includes the last message.  The runs come out sorted and merged: each message
 * once, in view order, whatever order the client wrote.
 */
static enum imap_server_set_result imap_server_resolve(const struct imap_server *s,
						       const char *text, bool uid,
						       struct imap_server_set *set)
{
	assert(s->nview == 0 || s->view);
	struct imap_seqset seq = {0};
	set->spans = NULL;
	set->n = set->count = 0;
	if (!text || !imap_seqset_parse(text, &seq))
		return IMAP_SERVER_SET_SYNTAX;
	set->spans = xcalloc(seq.n ? seq.n : 1, sizeof *set->spans);
	uint32_t star = uid ? (s->nview ? s->view[s->nview - 1].uid : 0) : (uint32_t)s->nview;
	enum imap_server_set_result r = IMAP_SERVER_SET_OK;
	for (size_t i = 0; i < seq.n; i++) {
		uint32_t lo = seq.ranges[i].lo, hi = seq.ranges[i].hi;
		if (lo == 0)
			lo = star;
		if (hi == 0)
			hi = star;
		if (lo > hi) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		if (s->nview == 0 || (lo == 0 && hi == 0)) {
			/* no message to name: a sequence number, "*" too, is
			 * past the last one (RFC 3501 9, seq-number) */
			if (!uid)
				r = IMAP_SERVER_SET_RANGE;
			continue;
		}
		struct imap_server_span sp;
		if (uid) {
			sp.lo = imap_server_lower_bound(s, lo);
			sp.hi = hi == UINT32_MAX ? s->nview : imap_server_lower_bound(s, hi + 1);
		} else {
			if (hi > s->nview) {
				r = IMAP_SERVER_SET_RANGE;
				continue;
			}
			sp.lo = lo - 1;
			sp.hi = hi;
		}
		assert(sp.lo <= sp.hi && sp.hi <= s->nview);
		if (sp.lo < sp.hi)
			set->spans[set->n++] = sp;
	}
	imap_seqset_free(&seq);
	if (r != IMAP_SERVER_SET_OK) {
		free(set->spans);
		set->spans = NULL;
		set->n = 0;
		return r;
	}
	qsort(set->spans, set->n, sizeof *set->spans, imap_server_span_cmp);
	size_t m = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (m && set->spans[i].lo <= set->spans[m - 1].hi) {
			if (set->spans[i].hi > set->spans[m - 1].hi)
				set->spans[m - 1].hi = set->spans[i].hi;
		} else {
			set->spans[m++] = set->spans[i];
		}
	}
	set->n = m;
	for (size_t i = 0; i < m; i++)
		set->count += set->spans[i].hi - set->spans[i].lo;
	return IMAP_SERVER_SET_OK;
}

/* Resolve a set argument, or answer BAD and return false. */
bool imap_server_resolve_arg(struct imap_server *s, const struct imap_cmd *c,
			     const struct imap_arg *a, struct imap_server_set *set,
			     struct wire *out)
{
	assert(a && set);
	const char *text = a->type == IMAP_ARG_ATOM ? imap_arg_str(a) : NULL;
	switch (imap_server_resolve(s, text, c->uid, set)) {
	case IMAP_SERVER_SET_OK:
		return true;
	case IMAP_SERVER_SET_RANGE:
		imap_server_bad(s, out, N_("sequence numbers run from 1 to the number of messages "
				   "in the folder (the last EXISTS)"),
				"Invalid message sequence number");
		return false;
	default:
		imap_server_bad(s, out, N_("a message set is numbers and ranges joined by commas: "
				   "1,3:5,7:*"), "Invalid message set");
		return false;
	}
}

/* Load a message's content into s->content; false if it is gone. */
bool imap_server_load(struct imap_server *s, uint32_t uid)
{
	assert(s->folder); /* a message of the selected folder */
	buf_clear(&s->content);
	return s->ops.content && s->ops.content(s->ctx, s->folder, uid, &s->content) == IMAP_OK;
}

/* ------------------------------------------ 2. keeping the view in step */

/* The notes of unilateral responses: as answers come, and pushed in IDLE. */
const char *const imap_server_note_expunge =
	N_("the message is gone from the folder; every client that has it selected is told");
static const char *const imap_server_note_exists =
	N_("EXISTS: the folder now holds this many messages; the new ones are at the end");
static const char *const imap_server_note_flags =
	N_("another session changed this message's flags; the client is told the new ones");
static const char *const imap_server_note_idle_expunge =
	N_("IDLE: pushed at once - a message was expunged, and later ones move down a number");
static const char *const imap_server_note_idle_exists =
	N_("IDLE: pushed at once - new mail arrived, without the client having to ask");
static const char *const imap_server_note_idle_flags =
	N_("IDLE: pushed at once - another session changed this message's flags");

/*
 * The keywords of a message's list that FLAGS has not named yet join
 * s->keywords; true if there was any.  Names compare without regard to
 * case, as flags do (RFC 3501 2.3.2).  Past IMAP_SERVER_FLAGS_KEYWORDS_MAX
 * no more are named (a client still sees them in FETCH FLAGS).
 */
bool imap_server_learn_keywords(struct imap_server *s, const char *list)
{
	bool added = false;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");
		if (n && s->nkeywords < IMAP_SERVER_FLAGS_KEYWORDS_MAX &&
		    !imap_server_has_keyword(s->keywords.len ? s->keywords.p : "", p, n)) {
			if (s->keywords.len)
				buf_addc(&s->keywords, ' ');
			buf_add(&s->keywords, p, n);
			s->nkeywords++;
			added = true;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return added;
}

/* "* FLAGS (...)": the system flags and every keyword named so far. */
void imap_server_send_flags(struct imap_server *s, struct wire *out, const char *note)
{
	wire_line(out, note, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s%s)",
		  s->keywords.len ? " " : "", s->keywords.len ? s->keywords.p : "");
}

void imap_server_send_permanentflags(struct imap_server *s, struct wire *out)
{
	if (s->read_only)
		wire_line(out, N_("PERMANENTFLAGS (): in a folder opened with EXAMINE no flag can "
			     "be changed"),
			  "* OK [PERMANENTFLAGS ()] No permanent flags permitted");
	else /* the keywords FLAGS named can be kept too (RFC 3501 7.1) */
		wire_line(out, N_("PERMANENTFLAGS: the flags the client can set and keep; \\* "
			     "means it may make up new keywords too"),
			  "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s%s "
			  "\\*)] Flags permitted", s->keywords.len ? " " : "",
			  s->keywords.len ? s->keywords.p : "");
}

/* A keyword new to the folder entered it (STORE, APPEND, another session):
 * FLAGS and PERMANENTFLAGS again, before any FETCH that carries it - a
 * client may reject flags FLAGS did not name (RFC 3501 7.2.6). */
void imap_server_announce_flags(struct imap_server *s, struct wire *out, bool pushed)
{
	imap_server_send_flags(s, out, pushed ? N_("IDLE: pushed at once - a new keyword is in "
				          "use in this folder, so the list of flags grows")
				       : N_("FLAGS again: a new keyword is in use in this folder, "
				          "and a client learns it before any message shows it"));
	imap_server_send_permanentflags(s, out);
}

size_t imap_server_count_recent(const struct imap_server *s)
{
	assert(s->nview == 0 || s->view);
	size_t recent = 0;
	for (size_t i = 0; i < s->nview; i++)
		if (s->view[i].flags & IMAP_FLAG_RECENT)
			recent++;
	return recent;
}

/*
 * Compare the view with the folder as the store has it now and tell the
 * client the difference (RFC 3501 7.3.1, 7.4.1, 7.4.2):
 *   - a message gone from the store: "* n EXPUNGE", where n is its number
 *     at that moment - the view is walked upwards, so each EXPUNGE already
 *     counts the ones before it;
 *   - flags changed: "* n FETCH (FLAGS (...))";
 *   - new messages (UIDs above the view's last): "* n EXISTS", "* r RECENT".
 * While an EXPUNGE may not be sent (during FETCH, STORE, SEARCH), a gone
 * message stays in the view - its number must not move under the client -
 * and its UID goes in s->gone, so the next chance tells it.
 * pushed: the client idles, and these lines are news sent unasked (an
 * EXPUNGE may always be sent then); may_expunge: they may be sent now.
 */
void imap_server_resync(struct imap_server *s, struct wire *out, bool pushed,
			bool may_expunge)
{
	if (!s->folder || !s->ops.snapshot)
		return;
	uint64_t v = s->ops.version ? s->ops.version(s->ctx, s->folder) : 0;
	bool expunge_ok = may_expunge || pushed;
	/* Nothing changed since the last look, and what is pending (deferred
	 * expunges) may still not be told: a new look would find the same. */
	if (s->ops.version && v == s->version && (s->ngone == 0 || !expunge_ok))
		return;
	struct imap_folder info;
	memset(&info, 0, sizeof info);
	struct imap_msg *snap = NULL;
	size_t nsnap = 0;
	if (s->ops.snapshot(s->ctx, s->folder, &info, &snap, &nsnap) != IMAP_OK) {
		free(snap);
		return; /* keep the view; try again next time */
	}
	if (!snap)
		nsnap = 0;
	s->version = v;
	s->ngone = 0;
	uint32_t uidvalidity = s->info.uidvalidity;
	s->info = info;
	s->info.uidvalidity = uidvalidity; /* fixed for the session (RFC 3501 2.3.1.1) */

	bool news = false;
	for (size_t k = 0; k < nsnap; k++)
		if (snap[k].keywords[0])
			news |= imap_server_learn_keywords(s, snap[k].keywords);
	if (news)
		imap_server_announce_flags(s, out, pushed);

	uint32_t maxuid = s->nview ? s->view[s->nview - 1].uid : 0;
	struct buf b;
	buf_init(&b);
	size_t j = 0, keep = 0, gone = 0;
	for (size_t i = 0; i < s->nview; i++) {
		struct imap_msg *m = &s->view[i];
		while (j < nsnap && snap[j].uid < m->uid)
			j++;
		if (j == nsnap || snap[j].uid != m->uid) {
			if (expunge_ok) {
				wire_line(out, pushed ? imap_server_note_idle_expunge
						      : imap_server_note_expunge,
					  "* %zu EXPUNGE", i + 1 - gone);
				gone++;
				continue;
			}
			if (s->ngone == s->capgone) {
				s->capgone = s->capgone ? 2 * s->capgone : 8;
				s->gone = xrealloc(s->gone, s->capgone * sizeof *s->gone);
			}
			s->gone[s->ngone++] = m->uid;
		} else if (snap[j].flags != m->flags ||
			   strcmp(snap[j].keywords, m->keywords) != 0) {
			m->flags = snap[j].flags;
			memcpy(m->keywords, snap[j].keywords, sizeof m->keywords);
			m->keywords[sizeof m->keywords - 1] = '\0';
			buf_clear(&b);
			buf_printf(&b, "* %zu FETCH (FLAGS ", keep + 1);
			imap_server_add_flags(&b, m->flags, m->keywords);
			buf_addc(&b, ')');
			imap_server_send(out, pushed ? imap_server_note_idle_flags
						     : imap_server_note_flags, &b);
		}
		if (keep != i)
			s->view[keep] = *m;
		keep++;
	}
	s->nview = keep;
	assert(s->ngone == 0 || !expunge_ok); /* deferred only while it may not be told */

	size_t first_new = nsnap;
	while (first_new > 0 && snap[first_new - 1].uid > maxuid)
		first_new--;
	size_t nnew = nsnap - first_new;
	if (nnew) {
		if (s->nview + nnew > s->capview) {
			s->capview = s->nview + nnew;
			s->view = xrealloc(s->view, s->capview * sizeof *s->view);
		}
		memcpy(s->view + s->nview, snap + first_new, nnew * sizeof *snap);
		s->nview += nnew;
		wire_line(out, pushed ? imap_server_note_idle_exists : imap_server_note_exists,
			  "* %zu EXISTS", s->nview);
		size_t recent = imap_server_count_recent(s);
		wire_line(out, NULL, "* %zu RECENT", recent);
		s->nrecent = recent;
	}
	buf_free(&b);
	free(snap);
}

/*
 * Before a command maps its message set (or search keys) to messages: catch
 * up with what other sessions did, so the set names the messages as the
 * store has them now - never positions in a view that is about to shrink.
 * UIDs never move, so for a UID command the EXPUNGEs go out first and the
 * set is resolved against what is left (RFC 3501 7.4.1 allows EXPUNGE
 * responses during UID commands).  Sequence numbers are the client's own
 * numbering: for them the expunges wait (the gone messages keep their
 * numbers until the tagged response, or the next command for FETCH, STORE
 * and SEARCH), and only new flags and new messages are taken in.
 */
void imap_server_catch_up(struct imap_server *s, const struct imap_cmd *c,
			  struct wire *out)
{
	assert(s->state == IMAP_SERVER_STATE_SELECTED); /* the commands that name messages */
	imap_server_resync(s, out, false, s->expunge_ok && c->uid);
}

/* Is the view's message with this UID gone from the store, its EXPUNGE
 * not yet told (binary search in s->gone)? */
bool imap_server_is_gone(const struct imap_server *s, uint32_t uid)
{
	size_t lo = 0, hi = s->ngone;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->gone[mid] == uid)
			return true;
		if (s->gone[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The NO for a command that names messages another session expunged, whose
 * EXPUNGE this one has not been told yet (RFC 2180 4.1, RFC 5530). */
void imap_server_no_expunged(struct imap_server *s, struct wire *out)
{
	imap_server_no(s, out, N_("[EXPUNGEISSUED]: another session expunged some of these "
		          "messages; the EXPUNGE is told when it may be (RFC 2180 4.1, RFC 5530)"),
		       "[EXPUNGEISSUED] Some of the requested messages no longer exist");
}

void imap_server_poke(struct imap_server *s, struct wire *out)
{
	assert(s && out);
	if (s->state == IMAP_SERVER_STATE_IDLE)
		imap_server_resync(s, out, true, s->expunge_ok);
	/* otherwise ops->version tells the next command that something changed */
}
