/*
 * imap_server_selected.c - the IMAP server engine's commands of the
 * selected state (RFC 3501 6.4), but for SEARCH and FETCH, which have
 * files of their own (one of the imap_server family, imap_server_int.h).
 *
 *   CHECK             nothing to do: the store is always in order
 *   CLOSE, UNSELECT   leave the folder; CLOSE expunges \Deleted first,
 *                     silently
 *   EXPUNGE           remove the \Deleted messages ("UID EXPUNGE set":
 *                     only those of the set, RFC 4315), telling each one's
 *                     number as it goes
 *   STORE             set, add or remove flags, in one call to the store,
 *                     and tell the new flags unless .SILENT
 *   COPY, MOVE        into another folder, with COPYUID (RFC 4315); MOVE
 *                     (RFC 6851) expunges the originals here
 *
 * Each that names messages catches up with other sessions first
 * (imap_server_catch_up), then maps its set to the view.
 *
 * A reading guide, in file order: CHECK, CLOSE, UNSELECT and EXPUNGE
 * (with the expunge they share); STORE; COPY and MOVE.
 */
#include "imap_server_int.h"
#include "i18n.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const imap_server_note_move =
	N_("MOVE: the message left this folder for the other one, so it is expunged here");

/* NO [READ-ONLY]: the folder was opened with EXAMINE (note: why it matters). */
static void imap_server_no_read_only(struct imap_server *s, const char *note,
				     struct wire *out)
{
	imap_server_no(s, out, note, "[READ-ONLY] Mailbox is read-only");
}

/*
 * The messages with these UIDs (ascending, each in the view) are gone from
 * the store: they leave the view, and each one's "* n EXPUNGE" is told,
 * with the note (out NULL: silently, as CLOSE does).  The view is walked
 * upwards, so each number already counts the ones before it.
 */
static void imap_server_remove_from_view(struct imap_server *s, const uint32_t *uids,
					 size_t n, const char *note, struct wire *out)
{
	size_t keep = 0, k = 0;
	assert(s->nview == 0 || s->view);
	for (size_t i = 0; i < s->nview; i++) {
		if (k < n && s->view[i].uid == uids[k]) {
			k++;
			if (out)
				wire_line(out, note, "* %zu EXPUNGE", keep + 1);
			continue;
		}
		s->view[keep++] = s->view[i];
	}
	s->nview = keep;
	assert(k == n); /* every UID was in the view */
}

/* ---- CHECK, CLOSE, UNSELECT and EXPUNGE (RFC 3501 6.4.1-3, RFC 3691) */

void imap_server_proceed_check(struct imap_server *s, const struct imap_cmd *c,
			       struct wire *out)
{
	(void)c;
	imap_server_ok(s, out, NULL, "CHECK completed");
}

/*
 * Expunge the \Deleted messages of the view (only those in `only`, for UID
 * EXPUNGE), one transaction, and tell the client each one's number as it
 * goes (unless silent: CLOSE).  Returns the host's result.
 */
static enum imap_result imap_server_expunge(struct imap_server *s,
					    const struct imap_server_set *only, bool silent,
					    struct wire *out)
{
	assert(s->folder && !s->read_only); /* the callers checked both */
	struct imap_server_span all = {0, s->nview};
	const struct imap_server_set whole = {&all, 1, s->nview};
	if (!only)
		only = &whole;
	uint32_t *uids = xcalloc(only->count ? only->count : 1, sizeof *uids);
	size_t n = 0;
	IMAP_SERVER_FOR_EACH(only, i)
		if (s->view[i].flags & IMAP_FLAG_DELETED)
			uids[n++] = s->view[i].uid;
	enum imap_result r = IMAP_OK;
	if (n)
		r = s->ops.expunge ? s->ops.expunge(s->ctx, s->folder, uids, n) : IMAP_FAILED;
	if (r == IMAP_OK && n)
		imap_server_remove_from_view(s, uids, n, imap_server_note_expunge,
					     silent ? NULL : out);
	free(uids);
	return r;
}

void imap_server_proceed_close(struct imap_server *s, const struct imap_cmd *c,
			       struct wire *out)
{
	(void)c;
	if (!s->read_only) {
		/* Catch up silently with other sessions' flags first: CLOSE
		 * expunges what the store has marked \Deleted now. */
		struct wire scratch;
		wire_init(&scratch);
		imap_server_resync(s, &scratch, false, s->expunge_ok);
		wire_free(&scratch);
		imap_server_expunge(s, NULL, true, out);
	}
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATED);
	imap_server_ok(s, out, N_("CLOSE: messages marked \\Deleted are removed, silently, and no "
		          "folder is selected now"), "CLOSE completed");
}

void imap_server_proceed_unselect(struct imap_server *s, const struct imap_cmd *c,
				  struct wire *out)
{
	(void)c;
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATED);
	imap_server_ok(s, out, N_("UNSELECT: no folder is selected now, and nothing was expunged "
		          "(RFC 3691)"), "UNSELECT completed");
}

void imap_server_proceed_expunge(struct imap_server *s, const struct imap_cmd *c,
				 struct wire *out)
{
	assert(s->folder); /* imap_server_check_selected */
	struct imap_server_set set = {0};
	if (c->nargs != (c->uid ? 1u : 0u)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: %s",
				c->uid ? "UID EXPUNGE set" : "EXPUNGE");
		return;
	}
	if (s->read_only) {
		imap_server_no_read_only(s, N_("[READ-ONLY]: the folder was opened with EXAMINE"),
					 out);
		return;
	}
	/* Others' news first, then this: the UIDs are mapped to the view only
	 * once it holds what the store holds, or a position would name the
	 * message that moved into it (or lie past the end). */
	imap_server_resync(s, out, false, s->expunge_ok);
	if (c->uid && !imap_server_resolve_arg(s, c, &c->args[0], &set, out))
		return;
	enum imap_result r = imap_server_expunge(s, c->uid ? &set : NULL, false, out);
	free(set.spans);
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		return;
	}
	imap_server_ok(s, out, NULL, "EXPUNGE completed");
}

/* ---- STORE (RFC 3501 6.4.6) */

/* -FLAGS: remove each keyword of `drop` from list. */
static void imap_server_remove_keywords(char *list, const char *drop)
{
	char kept[IMAP_KEYWORDS_MAX_OCTETS] = "";
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, " ");
		if (n && !imap_server_has_keyword(drop, p, n))
			imap_server_add_keyword(kept, p, n);
		p += n;
		while (*p == ' ')
			p++;
	}
	memcpy(list, kept, sizeof kept);
}

/* What STORE does to one message's flags: replace them (mode 0), add
 * (1) or remove (-1) the ones given; \Recent stays as it was (RFC 3501
 * 2.3.2).  False if the keywords would not fit. */
static bool imap_server_store_one(struct imap_msg *v, int mode, uint32_t flags,
				  const char keywords[IMAP_KEYWORDS_MAX_OCTETS])
{
	bool fits = true;
	if (mode == 0) {
		v->flags = flags | (v->flags & IMAP_FLAG_RECENT);
		memcpy(v->keywords, keywords, sizeof v->keywords);
	} else if (mode > 0) {
		v->flags |= flags;
		const char *p = keywords;
		while (*p) {
			size_t k = strcspn(p, " ");
			if (!imap_server_add_keyword(v->keywords, p, k))
				fits = false;
			p += k;
			while (*p == ' ')
				p++;
		}
	} else {
		v->flags &= ~flags;
		imap_server_remove_keywords(v->keywords, keywords);
	}
	return fits;
}

void imap_server_proceed_store(struct imap_server *s, const struct imap_cmd *c,
			       struct wire *out)
{
	assert(c->nargs >= 3); /* the table's row */
	/* +FLAGS and -FLAGS change the message's flags as they are now, with
	 * what other sessions did since this one last looked (RFC 3501 6.4.6):
	 * catch up first */
	imap_server_catch_up(s, c, out);
	const struct imap_arg *what = &c->args[1];
	int mode; /* 0 replace, 1 add, -1 remove */
	bool silent = false;
	if (what->type != IMAP_ARG_ATOM) {
		imap_server_bad(s, out, imap_server_note_syntax,
				"Syntax: STORE set [+|-]FLAGS[.SILENT] (flags)");
		return;
	}
	const char *w = what->s;
	size_t wn = what->len;
	mode = w[0] == '+' ? 1 : w[0] == '-' ? -1 : 0;
	if (mode) {
		w++;
		wn--;
	}
	if (wn == 12 && strncasecmp(w, "FLAGS.SILENT", 12) == 0)
		silent = true;
	else if (!(wn == 5 && strncasecmp(w, "FLAGS", 5) == 0)) {
		imap_server_bad(s, out, N_("STORE changes FLAGS, +FLAGS or -FLAGS, optionally "
					   ".SILENT"),
				"Invalid STORE data item");
		return;
	}
	uint32_t flags;
	char keywords[IMAP_KEYWORDS_MAX_OCTETS];
	const char *err = NULL;
	if (!imap_server_parse_flags(c->args + 2, c->nargs - 2, &flags, keywords, &err)) {
		imap_server_bad(s, out, N_("flags are \\Seen \\Answered \\Flagged \\Deleted "
				   "\\Draft or keywords; \\Recent belongs to the server"),
				"%s", err);
		return;
	}
	struct imap_server_set set;
	if (!imap_server_resolve_arg(s, c, &c->args[0], &set, out))
		return;
	if (s->read_only) {
		free(set.spans);
		imap_server_no_read_only(s, N_("[READ-ONLY]: the folder was opened with EXAMINE"),
					 out);
		return;
	}
	/* The new flags of every chosen message; only the changed ones go to
	 * the store, in one call. */
	uint32_t *uids = xcalloc(set.count ? set.count : 1, sizeof *uids);
	struct imap_msg *values = xcalloc(set.count ? set.count : 1, sizeof *values);
	size_t n = 0;
	IMAP_SERVER_FOR_EACH(&set, i) {
		struct imap_msg v = s->view[i];
		if (!imap_server_store_one(&v, mode, flags, keywords))
			err = "Too many keywords";
		if (v.flags == s->view[i].flags && strcmp(v.keywords, s->view[i].keywords) == 0)
			continue;
		uids[n] = v.uid;
		values[n++] = v;
	}
	if (err) {
		imap_server_no(s, out, N_("a message may hold at most 255 octets of keywords here"),
			       "%s", err);
		goto done;
	}
	enum imap_result r = IMAP_OK;
	if (n)
		r = s->ops.set_flags ? s->ops.set_flags(s->ctx, s->folder, uids, values, n)
				     : IMAP_FAILED;
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		goto done;
	}
	/* The view learns the new flags now, so the next resync does not
	 * report this session's own change back to it; a new keyword is
	 * named first, also to this session and also for .SILENT. */
	bool news = false;
	for (size_t i = 0; i < n; i++)
		news |= imap_server_learn_keywords(s, values[i].keywords);
	if (news)
		imap_server_announce_flags(s, out, false);
	size_t k = 0;
	IMAP_SERVER_FOR_EACH(&set, i) {
		if (k < n && s->view[i].uid == uids[k])
			s->view[i] = values[k++];
	}
	assert(k == n); /* each changed message found again, in the same order */
	if (!silent) {
		struct buf b;
		buf_init(&b);
		IMAP_SERVER_FOR_EACH(&set, i) {
			buf_clear(&b);
			buf_adds(&b, "* ");
			buf_add_u64(&b, i + 1);
			buf_adds(&b, " FETCH (");
			if (c->uid) {
				buf_adds(&b, "UID ");
				buf_add_u64(&b, s->view[i].uid);
				buf_addc(&b, ' ');
			}
			buf_adds(&b, "FLAGS ");
			imap_server_add_flags(&b, s->view[i].flags, s->view[i].keywords);
			buf_addc(&b, ')');
			imap_server_send(out, N_("the message's flags after the STORE; .SILENT "
					    "would leave this line out"), &b);
		}
		buf_free(&b);
	}
	imap_server_ok(s, out, NULL, "STORE completed");
done:
	free(uids);
	free(values);
	free(set.spans);
}

/* ---- COPY and MOVE (RFC 3501 6.4.7, RFC 6851, RFC 4315) */

/* UIDs in order, as a compact set: "4,7:9" (COPYUID, RFC 4315).  Only
 * runs that climb by one are joined, so the order is kept: the n-th UID of
 * the source set matches the n-th of the destination set. */
static void imap_server_add_uidset(struct buf *b, const uint32_t *uids, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (i)
			buf_addc(b, ',');
		buf_add_u64(b, uids[i]);
		if (j > i) {
			buf_addc(b, ':');
			buf_add_u64(b, uids[j]);
		}
		i = j + 1;
	}
}

void imap_server_proceed_copy(struct imap_server *s, const struct imap_cmd *c,
			      struct wire *out)
{
	assert(c->nargs == 2); /* the table's row */
	bool move = strcmp(c->name, "MOVE") == 0;
	char to[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox(&c->args[1], to)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: %s set mailbox", c->name);
		return;
	}
	imap_server_catch_up(s, c, out);
	struct imap_server_set set;
	if (!imap_server_resolve_arg(s, c, &c->args[0], &set, out))
		return;
	if (move && s->read_only) {
		free(set.spans);
		imap_server_no_read_only(s, N_("[READ-ONLY]: MOVE removes messages, and the folder "
					    "was opened with EXAMINE"), out);
		return;
	}
	/* A sequence number may still name a message another session expunged
	 * (its EXPUNGE waits for this command's end): copy none of them, say
	 * why (RFC 2180 4.4.1 lets a server refuse the whole COPY). */
	IMAP_SERVER_FOR_EACH(&set, i) {
		if (imap_server_is_gone(s, s->view[i].uid)) {
			free(set.spans);
			imap_server_no_expunged(s, out);
			return;
		}
	}
	uint32_t *uids = xcalloc(set.count ? set.count : 1, sizeof *uids);
	uint32_t *new_uids = xcalloc(set.count ? set.count : 1, sizeof *new_uids);
	size_t n = 0;
	IMAP_SERVER_FOR_EACH(&set, i)
		uids[n++] = s->view[i].uid;
	uint32_t uidvalidity = 0;
	enum imap_result r = IMAP_OK;
	if (n)
		r = s->ops.copy ? s->ops.copy(s->ctx, s->folder, uids, n, to, move, new_uids,
					      &uidvalidity)
				: IMAP_FAILED;
	if (r == IMAP_NO_SUCH && to[0]) {
		imap_server_no(s, out, imap_server_note_trycreate,
			       "[TRYCREATE] Mailbox doesn't exist");
	} else if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
	} else if (n == 0) {
		imap_server_ok(s, out, NULL, "No messages %s", move ? "moved" : "copied");
	} else {
		struct buf code;
		buf_init(&code);
		buf_printf(&code, "COPYUID %" PRIu32 " ", uidvalidity);
		imap_server_add_uidset(&code, uids, n);
		buf_addc(&code, ' ');
		imap_server_add_uidset(&code, new_uids, n);
		if (!move) {
			imap_server_ok(s, out, N_("COPYUID: the target's UIDVALIDITY, the UIDs "
				          "copied and the UIDs the copies got, in the same order "
				          "(RFC 4315)"),
				       "[%s] COPY completed", code.p);
		} else {
			wire_line(out, N_("COPYUID: the target's UIDVALIDITY, the UIDs moved and "
				     "the UIDs they have there now (RFC 4315, RFC 6851)"),
				  "* OK [%s] Moved", code.p);
			imap_server_remove_from_view(s, uids, n, imap_server_note_move, out);
			imap_server_ok(s, out, NULL, "MOVE completed");
		}
		buf_free(&code);
	}
	free(uids);
	free(new_uids);
	free(set.spans);
}
