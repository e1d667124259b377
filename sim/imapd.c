/*
 * imapd.c - the IMAP service of a mail server (port 143).
 *
 * The IMAP engine (protocols/imap_server.c) knows the protocol and keeps
 * each session's view of its selected folder; this file gives it the
 * user's folders in the store, and tells every session that has a folder
 * selected when that folder changed - whoever changed it: SMTP delivering
 * new mail, POP3 deleting at UPDATE, or another IMAP session setting a
 * flag.  That is how every device stays in step.
 *
 * Every change here is one change of changes.c (changes_begin ...
 * changes_end): the sessions hear of it through the hook this service
 * sets (imapd_changed), only after it committed, so no session ever sees
 * what might still be rolled back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "imap.h"
#include "world.h"

/* The IMAP engine's flag bits go to the store as they are, and come back
 * from it so: the two enums must agree bit for bit (the casts: they are
 * two different enums). */
#define IMAPD_SAME_FLAG(name)                                            \
	_Static_assert((int)IMAP_FLAG_##name == (int)STORE_FLAG_##name, \
		       "IMAP_FLAG_" #name " is not STORE_FLAG_" #name)
IMAPD_SAME_FLAG(SEEN);
IMAPD_SAME_FLAG(ANSWERED);
IMAPD_SAME_FLAG(FLAGGED);
IMAPD_SAME_FLAG(DELETED);
IMAPD_SAME_FLAG(DRAFT);
IMAPD_SAME_FLAG(RECENT);

struct imapd {
	struct world *w;
	struct host *srv;
	struct conn *c;
	struct imap_server *eng;
	struct wire out;
	struct store_account acct;
	bool logged_in;
	/* \Recent, per session (RFC 3501 2.3.2; a session lasts from SELECT
	 * or EXAMINE until the selection ends, 1.2): the UIDs this session was
	 * the first to see in the folder it has selected (or, read-only, the
	 * ones no session had been told of when it looked) */
	int64_t recent_folder;
	struct imapd_range {
		uint32_t lo, hi;
	} *recent;
	size_t nrecent;
	uint32_t recent_seen;      /* the highest UID of recent_folder looked at */
	struct imapd *next;        /* the world's list of IMAP sessions */
};

/* ================================================================ changes */

/* The folder id a session has selected, or 0. */
static int64_t imapd_selected_folder(struct imapd *d)
{
	const char *name = imap_server_selected(d->eng);
	int64_t id;
	if (!name || !d->logged_in || store_folder_find(d->w->store, d->acct.id, name, &id) != 0)
		return 0;
	return id;
}

/* A change committed (changes.c): every session that has one of its
 * folders selected is poked, and tells its client (at once in IDLE). */
static void imapd_changed(struct world *w, const int64_t *folders, size_t n)
{
	for (struct imapd *d = w->imap_sessions; d; d = d->next) {
		int64_t sel = imapd_selected_folder(d);
		for (size_t i = 0; sel && i < n; i++) {
			if (folders[i] != sel || !d->c->open[SIDE_SERVER])
				continue;
			imap_server_poke(d->eng, &d->out);
			net_send(d->c, SIDE_SERVER, &d->out);
			break;
		}
	}
}

/* ================================================================ ops */

static int64_t imapd_now(void *ctx)
{
	struct imapd *d = ctx;
	return world_unix_now(d->w);
}

static bool imapd_login(void *ctx, const char *user, const char *password)
{
	struct imapd *d = ctx;
	struct store_account acct;
	if (store_account_find(d->w->store, user, &acct) != 0 ||
	    strcasecmp(acct.server, d->srv->name) != 0 ||
	    store_account_auth(d->w->store, user, password) != 0)
		return false;
	d->acct = acct;
	d->logged_in = true;
	return true;
}

static bool imapd_folder_id(struct imapd *d, const char *name, int64_t *id)
{
	return d->logged_in && store_folder_find(d->w->store, d->acct.id, name, id) == 0;
}

/* false if the store failed (the caller answers NO) */
static bool imapd_fill(struct imapd *d, const struct store_folder *f, struct imap_folder *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", f->name);
	snprintf(out->special_use, sizeof out->special_use, "%s", f->special_use);
	out->subscribed = f->subscribed;
	out->uidvalidity = f->uidvalidity;
	out->uidnext = f->uidnext;
	if (store_folder_stats(d->w->store, f->id, &out->messages, &out->unseen, NULL) != STORE_OK)
		return false;
	/* recent: what no session has been told of yet */
	uint32_t told = 0;
	int64_t recent = 0;
	if (store_folder_recent_uid(d->w->store, f->id, &told) != STORE_OK ||
	    store_folder_count_above(d->w->store, f->id, told, &recent) != STORE_OK)
		return false;
	out->recent = (uint32_t)recent;
	return true;
}

/* Is uid \Recent for this session? */
static bool imapd_is_recent(const struct imapd *d, uint32_t uid)
{
	for (size_t i = 0; i < d->nrecent; i++)
		if (uid >= d->recent[i].lo && uid <= d->recent[i].hi)
			return true;
	return false;
}

static void imapd_add_recent(struct imapd *d, uint32_t lo, uint32_t hi)
{
	d->recent = xrealloc(d->recent, (d->nrecent + 1) * sizeof *d->recent);
	d->recent[d->nrecent].lo = lo;
	d->recent[d->nrecent].hi = hi;
	d->nrecent++;
}

/*
 * The first session to see new messages in a folder takes them as its
 * \Recent ones (RFC 3501 2.3.2): no other session will see them so.  The
 * store keeps the highest UID taken (folders.recent_uid), so a restart of
 * a --db store does not make them recent again.  A read-only session
 * (EXAMINE) sees them \Recent too but takes them from nobody (6.3.2):
 * after it, the next SELECT still finds them new.
 */
static void imapd_claim_recent(struct imapd *d, int64_t folder, uint32_t max_uid, bool claim)
{
	if (d->recent_folder != folder) {
		d->recent_folder = folder;
		d->nrecent = 0;
		d->recent_seen = 0;
	}
	uint32_t told = 0;
	if (store_folder_recent_uid(d->w->store, folder, &told) != 0)
		told = max_uid; /* cannot tell: call nothing recent rather than all */
	if (claim) {
		if (max_uid > told && store_folder_set_recent_uid(d->w->store, folder, max_uid) == 0)
			imapd_add_recent(d, told + 1, max_uid);
	} else {
		uint32_t from = told > d->recent_seen ? told : d->recent_seen;
		if (max_uid > from)
			imapd_add_recent(d, from + 1, max_uid);
	}
	if (max_uid > d->recent_seen)
		d->recent_seen = max_uid;
}

/* A folder's name as the store spells it ("INBOX" whatever the case the
 * client used), for the trace's mailbox changes. */
static const char *imapd_canon(struct imapd *d, int64_t id, struct store_folder *f)
{
	if (store_folder_get(d->w->store, id, f) != 0)
		snprintf(f->name, sizeof f->name, "?");
	return f->name;
}

static void imapd_mail(struct imapd *d, enum trace_mail_op op, const char *folder, uint32_t uid,
		       uint32_t flags)
{
	struct trace_mail tm = { .op = op, .owner = d->acct.address, .folder = folder, .uid = uid,
				 .flags = flags & STORE_FLAGS_SYSTEM };
	changes_mail(d->w, &tm, true);
}

/* Is name a folder below parent ("Work/2024" below "Work")? */
static bool imapd_is_below(const char *name, const char *parent)
{
	size_t len = strlen(parent);
	return strncmp(name, parent, len) == 0 && name[len] == '/';
}

static enum imap_result imapd_folders(void *ctx, struct imap_folder **out, size_t *n)
{
	struct imapd *d = ctx;
	struct store_folder *fs = NULL;
	size_t nf = 0;
	*out = NULL;
	*n = 0;
	if (!d->logged_in || store_folders(d->w->store, d->acct.id, &fs, &nf) != 0)
		return IMAP_FAILED;
	struct imap_folder *v = xcalloc(nf ? nf : 1, sizeof *v);
	for (size_t i = 0; i < nf; i++) {
		if (!imapd_fill(d, &fs[i], &v[i])) {
			free(fs);
			free(v);
			return IMAP_FAILED;
		}
		for (size_t k = 0; k < nf && !v[i].has_children; k++)
			v[i].has_children = imapd_is_below(fs[k].name, fs[i].name);
	}
	free(fs);
	*out = v;
	*n = nf;
	return IMAP_OK;
}

/* A new folder, subscribed (as every new folder is), so a subscription its
 * name kept from a deleted folder is its own again.  Part of the caller's
 * transaction. */
static bool imapd_folder_create(struct imapd *d, const char *name, int64_t *id)
{
	return store_folder_create(d->w->store, d->acct.id, name, NULL, id) == 0 &&
	       store_orphan_subscription_set(d->w->store, d->acct.id, name, false) >= 0;
}

/* RFC 3501 6.3.3 and 6.3.5: a name with the hierarchy separator gets its
 * superior names created too ("a/b/c" makes "a" and "a/b" if missing).
 * Part of the caller's transaction. */
static bool imapd_create_superiors(struct imapd *d, const char *name)
{
	struct buf part;
	buf_init(&part);
	bool ok = true;
	int64_t id;
	for (const char *p = name; ok && *p; p++) {
		if (*p != '/' || p == name)
			continue;
		buf_clear(&part);
		buf_add(&part, name, (size_t)(p - name));
		if (!imapd_folder_id(d, part.p, &id))
			ok = imapd_folder_create(d, part.p, &id);
	}
	buf_free(&part);
	return ok;
}

static enum imap_result imapd_create(void *ctx, const char *name)
{
	struct imapd *d = ctx;
	int64_t id;
	if (!d->logged_in)
		return IMAP_FAILED;
	if (strcasecmp(name, "INBOX") == 0 || imapd_folder_id(d, name, &id))
		return IMAP_EXISTS;
	bool ok = changes_begin(d->w) && imapd_create_superiors(d, name) &&
		  imapd_folder_create(d, name, &id);
	ok = changes_end(d->w, ok);
	if (ok)
		world_event(d->w, d->srv->name, NULL, "folder-created",
			    N_("folders live on the server with IMAP: every device will see it"),
			    _("%s: folder \"%s\" created"), d->acct.address, name);
	return ok ? IMAP_OK : IMAP_FAILED;
}

static enum imap_result imapd_remove(void *ctx, const char *name)
{
	struct imapd *d = ctx;
	int64_t id;
	if (strcasecmp(name, "INBOX") == 0)
		return IMAP_REFUSED; /* RFC 3501 6.3.4: INBOX cannot be deleted */
	if (!imapd_folder_id(d, name, &id))
		return IMAP_NO_SUCH;
	/* RFC 3501 6.3.6: the server must not unsubscribe a name by itself,
	 * so a subscribed folder leaves its name among the subscriptions */
	struct store_folder f;
	bool ok = changes_begin(d->w) && store_folder_get(d->w->store, id, &f) == 0;
	if (ok && f.subscribed)
		ok = store_orphan_subscription_set(d->w->store, d->acct.id, f.name, true) == 0;
	ok = ok && store_folder_delete(d->w->store, id) == 0;
	if (ok) {
		snprintf(f.name, sizeof f.name, "%s", name);
		imapd_mail(d, MAIL_CLEAR, f.name, 0, 0);
	}
	if (!changes_end(d->w, ok))
		return IMAP_FAILED;
	world_event(d->w, d->srv->name, NULL, "folder-deleted", NULL, _("%s: folder \"%s\" deleted"),
		    d->acct.address, name);
	return IMAP_OK;
}

/* Does some folder stand below name ("Work/2024" below "Work")? */
static bool imapd_has_inferiors(struct imapd *d, const char *name)
{
	struct store_folder *fs = NULL;
	size_t nf = 0;
	bool found = false;
	if (!d->logged_in || store_folders(d->w->store, d->acct.id, &fs, &nf) != STORE_OK)
		return false;
	for (size_t i = 0; !found && i < nf; i++)
		found = imapd_is_below(fs[i].name, name);
	free(fs);
	return found;
}

static enum imap_result imapd_rename(void *ctx, const char *from, const char *to)
{
	struct imapd *d = ctx;
	struct world *w = d->w;
	int64_t src, dst;
	if (!imapd_folder_id(d, from, &src)) {
		/* A \Noselect name (a deleted folder's, with folders below it)
		 * is renamed too: its inferiors MUST follow (RFC 3501 6.3.5),
		 * and the new name stays \Noselect above them. */
		if (!imapd_has_inferiors(d, from))
			return IMAP_NO_SUCH;
		src = -1;
	}
	if (strcasecmp(to, "INBOX") == 0 || imapd_folder_id(d, to, &dst))
		return IMAP_EXISTS;
	bool ok = changes_begin(w);
	if (strcasecmp(from, "INBOX") == 0) {
		/* RFC 3501 6.3.5: renaming INBOX moves all its messages to a new
		 * folder and leaves INBOX, empty, in place */
		struct store_message *list = NULL;
		size_t n = 0;
		ok = ok && imapd_folder_create(d, to, &dst) &&
		     store_folder_list(w->store, src, &list, &n) == 0;
		for (size_t i = 0; ok && i < n; i++) {
			uint32_t uid;
			ok = store_message_copy(w->store, src, list[i].uid, dst, &uid) == 0 &&
			     store_message_delete(w->store, src, list[i].uid) == 0;
			if (ok) {
				changes_mail_stored(w, d->acct.address, to, dst, uid, true);
				imapd_mail(d, MAIL_REMOVE, "INBOX", list[i].uid, 0);
			}
		}
		free(list);
		changes_touch(w, src);
	} else {
		/* the folder and every folder below it ("from/...") */
		struct store_folder *fs = NULL;
		size_t nf = 0;
		size_t flen = strlen(from);
		ok = ok && store_folders(w->store, d->acct.id, &fs, &nf) == 0;
		for (size_t i = 0; ok && i < nf; i++) {
			struct buf nn;
			buf_init(&nn);
			if (fs[i].id == src)
				buf_adds(&nn, to);
			else if (imapd_is_below(fs[i].name, from))
				buf_printf(&nn, "%s%s", to, fs[i].name + flen);
			if (nn.len) {
				ok = store_folder_rename(w->store, fs[i].id, nn.p) == 0 &&
				     store_orphan_subscription_set(w->store, d->acct.id, nn.p,
								   false) >= 0;
				/* for the player: the messages now stand under the new name */
				struct store_message *list = NULL;
				size_t n = 0;
				imapd_mail(d, MAIL_CLEAR, fs[i].name, 0, 0);
				if (ok && store_folder_list(w->store, fs[i].id, &list, &n) == 0)
					for (size_t k = 0; k < n; k++)
						changes_mail_stored(w, d->acct.address, nn.p,
								    fs[i].id, list[k].uid, true);
				free(list);
			}
			buf_free(&nn);
		}
		free(fs);
	}
	/* "Archive" renamed to "Archive/2026" needs a new "Archive" above it */
	if (ok)
		ok = imapd_create_superiors(d, to);
	if (!changes_end(w, ok))
		return IMAP_FAILED;
	world_event(w, d->srv->name, NULL, "folder-renamed", NULL,
		    _("%s: \"%s\" renamed to \"%s\""),
		    d->acct.address, from, to);
	return IMAP_OK;
}

/* SUBSCRIBE checks that the folder exists (RFC 3501 6.3.6 allows it);
 * UNSUBSCRIBE also takes a name whose folder is gone. */
static enum imap_result imapd_subscribe(void *ctx, const char *name, bool on)
{
	struct imapd *d = ctx;
	int64_t id;
	if (!d->logged_in)
		return IMAP_FAILED;
	if (!imapd_folder_id(d, name, &id)) {
		if (on || !name[0])
			return IMAP_NO_SUCH;
		enum store_result rc =
			store_orphan_subscription_set(d->w->store, d->acct.id, name, false);
		return rc == STORE_OK	       ? IMAP_OK
		       : rc == STORE_NOT_FOUND ? IMAP_NO_SUCH
					       : IMAP_FAILED;
	}
	return store_folder_subscribe(d->w->store, id, on) == STORE_OK ? IMAP_OK : IMAP_FAILED;
}

static enum imap_result imapd_orphan_subscriptions(void *ctx, char ***names, size_t *n)
{
	struct imapd *d = ctx;
	*names = NULL;
	*n = 0;
	if (!d->logged_in || store_orphan_subscriptions(d->w->store, d->acct.id, names, n) != 0)
		return IMAP_FAILED;
	return IMAP_OK;
}

static enum imap_result imapd_snapshot(void *ctx, const char *name, struct imap_folder *info,
				       struct imap_msg **msgs, size_t *n)
{
	struct imapd *d = ctx;
	int64_t id;
	struct store_folder f;
	struct store_message *list = NULL;
	size_t count = 0;
	*msgs = NULL;
	*n = 0;
	if (!imapd_folder_id(d, name, &id))
		return IMAP_NO_SUCH;
	if (store_folder_get(d->w->store, id, &f) != 0 ||
	    store_folder_list(d->w->store, id, &list, &count) != 0)
		return IMAP_FAILED;
	/* Nothing selected yet: this snapshot opens a selection, and each
	 * selection is a session of its own (RFC 3501 1.2), so what an earlier
	 * selection of the same folder took as \Recent is no longer new. */
	if (!imap_server_selected(d->eng))
		d->recent_folder = -1;
	imapd_claim_recent(d, id, count ? list[count - 1].uid : 0,
			   !imap_server_read_only(d->eng));
	if (!imapd_fill(d, &f, info)) {
		free(list);
		return IMAP_FAILED;
	}
	struct imap_msg *v = xcalloc(count ? count : 1, sizeof *v);
	uint32_t nrecent = 0;
	for (size_t i = 0; i < count; i++) {
		v[i].uid = list[i].uid;
		v[i].flags = list[i].flags & ~(uint32_t)IMAP_FLAG_RECENT;
		if (imapd_is_recent(d, v[i].uid)) {
			v[i].flags |= IMAP_FLAG_RECENT;
			nrecent++;
		}
		snprintf(v[i].keywords, sizeof v[i].keywords, "%s", list[i].keywords);
		v[i].internaldate = list[i].internaldate;
		v[i].size = (uint64_t)list[i].size;
	}
	free(list);
	info->recent = nrecent;
	*msgs = v;
	*n = count;
	return IMAP_OK;
}

static uint64_t imapd_version(void *ctx, const char *name)
{
	struct imapd *d = ctx;
	int64_t id;
	if (!imapd_folder_id(d, name, &id))
		return 0;
	return changes_version(d->w, id);
}

static enum imap_result imapd_content(void *ctx, const char *name, uint32_t uid, struct buf *out)
{
	struct imapd *d = ctx;
	int64_t id;
	struct store_message m;
	if (!imapd_folder_id(d, name, &id))
		return IMAP_NO_SUCH;
	enum store_result rc = store_message_get(d->w->store, id, uid, true, &m);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? IMAP_NO_SUCH : IMAP_FAILED;
	buf_add(out, m.content, m.content_len);
	store_message_free(&m);
	return IMAP_OK;
}

static enum imap_result imapd_set_flags(void *ctx, const char *name, const uint32_t *uids,
					const struct imap_msg *values, size_t n)
{
	struct imapd *d = ctx;
	int64_t id;
	if (!imapd_folder_id(d, name, &id))
		return IMAP_NO_SUCH;
	struct store_folder f;
	imapd_canon(d, id, &f);
	bool ok = changes_begin(d->w);
	for (size_t i = 0; ok && i < n; i++) {
		ok = store_message_set_flags(d->w->store, id, uids[i],
					     values[i].flags & ~(uint32_t)IMAP_FLAG_RECENT,
					     values[i].keywords) >= 0;
		imapd_mail(d, MAIL_FLAGS, f.name, uids[i], values[i].flags);
	}
	changes_touch(d->w, id);
	enum imap_result r = changes_end(d->w, ok) ? IMAP_OK : IMAP_FAILED;
	if (r == IMAP_OK && n == 1) {
		char names[80];
		bool kw = values[0].keywords[0] != '\0';
		bool sys = (values[0].flags & STORE_FLAGS_SYSTEM) != 0;
		/* i18n: not for people: the detail is the protocol's words only (uid, flags) */
		world_event(d->w, d->srv->name, NULL, "flags",
			    N_("flags live on the server: every device that looks sees the same"),
			    "%s %s uid %u: %s%s%s", d->acct.address, name, uids[0],
			    kw && !sys ? "" : world_flag_names(values[0].flags, names, sizeof names),
			    kw && sys ? " " : "", values[0].keywords);
	} else if (r == IMAP_OK && n > 1) {
		world_event(d->w, d->srv->name, NULL, "flags", NULL,
			    P_("%s %s: flags of %zu message set", "%s %s: flags of %zu messages set",
			       n),
			    d->acct.address, name, n);
	}
	return r;
}

static enum imap_result imapd_expunge(void *ctx, const char *name, const uint32_t *uids, size_t n)
{
	struct imapd *d = ctx;
	int64_t id;
	if (!imapd_folder_id(d, name, &id))
		return IMAP_NO_SUCH;
	struct store_folder f;
	imapd_canon(d, id, &f);
	bool ok = changes_begin(d->w);
	for (size_t i = 0; ok && i < n; i++) {
		ok = store_message_delete(d->w->store, id, uids[i]) != STORE_ERROR;
		imapd_mail(d, MAIL_REMOVE, f.name, uids[i], 0);
	}
	changes_touch(d->w, id);
	enum imap_result r = changes_end(d->w, ok) ? IMAP_OK : IMAP_FAILED;
	if (r == IMAP_OK && n)
		world_event(d->w, d->srv->name, NULL, "expunged",
			    N_("EXPUNGE removes for good; every session with the folder open is "
			       "told at once (in IDLE) or at its next command"),
			    P_("%s %s: %zu message expunged", "%s %s: %zu messages expunged", n),
			    d->acct.address, name, n);
	return r;
}

static enum imap_result imapd_copy(void *ctx, const char *from, const uint32_t *uids, size_t n,
				   const char *to, bool move, uint32_t *new_uids,
				   uint32_t *dest_uidvalidity)
{
	struct imapd *d = ctx;
	int64_t src, dst;
	struct store_folder f;
	if (!imapd_folder_id(d, from, &src) || !imapd_folder_id(d, to, &dst))
		return IMAP_NO_SUCH;
	if (store_folder_get(d->w->store, dst, &f) != 0)
		return IMAP_FAILED;
	*dest_uidvalidity = f.uidvalidity;
	struct store_folder sf;
	imapd_canon(d, src, &sf);
	bool ok = changes_begin(d->w);
	for (size_t i = 0; ok && i < n; i++) {
		ok = store_message_copy(d->w->store, src, uids[i], dst, &new_uids[i]) == 0;
		if (ok)
			changes_mail_stored(d->w, d->acct.address, f.name, dst, new_uids[i], true);
		if (ok && move) {
			ok = store_message_delete(d->w->store, src, uids[i]) != STORE_ERROR;
			imapd_mail(d, MAIL_REMOVE, sf.name, uids[i], 0);
		}
	}
	changes_touch(d->w, dst);
	if (move)
		changes_touch(d->w, src);
	enum imap_result r = changes_end(d->w, ok) ? IMAP_OK : IMAP_FAILED;
	if (r == IMAP_OK)
		world_event(d->w, d->srv->name, NULL, move ? "moved" : "copied",
			    move ? N_("MOVE is copy and expunge in one step (RFC 6851)") : NULL,
			    move ? P_("%s: %zu message moved from %s to %s",
				      "%s: %zu messages moved from %s to %s", n)
				 : P_("%s: %zu message copied from %s to %s",
				      "%s: %zu messages copied from %s to %s", n),
			    d->acct.address, n, from, to);
	return r;
}

static enum imap_result imapd_append(void *ctx, const char *name, uint32_t flags,
				     const char *keywords, int64_t internaldate, const char *msg,
				     size_t len, uint32_t *uid, uint32_t *uidvalidity)
{
	struct imapd *d = ctx;
	int64_t id;
	struct store_folder f;
	if (!imapd_folder_id(d, name, &id))
		return IMAP_NO_SUCH;
	if (store_folder_get(d->w->store, id, &f) != 0)
		return IMAP_FAILED;
	*uidvalidity = f.uidvalidity;
	struct world_summary s;
	world_summary_parse(&s, msg, len);
	bool ok = changes_begin(d->w);
	flags &= ~(uint32_t)IMAP_FLAG_RECENT; /* a session's, not the message's */
	ok = ok && store_message_add(d->w->store, id, msg, len, internaldate, flags, &s.sum, uid) == 0;
	if (ok && keywords && *keywords)
		ok = store_message_set_flags(d->w->store, id, *uid, flags, keywords) == 0;
	if (ok) {
		struct trace_mail tm = { .op = MAIL_ADD, .owner = d->acct.address, .folder = f.name,
					 .uid = *uid, .flags = flags & STORE_FLAGS_SYSTEM,
					 .from = s.sum.from, .subject = s.sum.subject,
					 .content = msg, .content_len = len };
		changes_mail(d->w, &tm, true);
	}
	world_summary_free(&s);
	changes_touch(d->w, id);
	enum imap_result r = changes_end(d->w, ok) ? IMAP_OK : IMAP_FAILED;
	if (r == IMAP_OK)
		world_event(d->w, d->srv->name, NULL, "appended", NULL,
			    _("%s: message stored in %s (uid %u)"),
			    d->acct.address, name, *uid);
	return r;
}

static const struct imap_server_ops imapd_ops = {
	.login = imapd_login,
	.folders = imapd_folders,
	.create = imapd_create,
	.remove = imapd_remove,
	.rename = imapd_rename,
	.subscribe = imapd_subscribe,
	.orphan_subscriptions = imapd_orphan_subscriptions,
	.snapshot = imapd_snapshot,
	.version = imapd_version,
	.content = imapd_content,
	.set_flags = imapd_set_flags,
	.expunge = imapd_expunge,
	.copy = imapd_copy,
	.append = imapd_append,
	.now = imapd_now,
};

/* ================================================================ conn */

static void imapd_idle_check(struct conn *c);

/* RFC 3501 6.2.1: after the handshake, CAPABILITY drops STARTTLS and
 * LOGINDISABLED (the engine sends nothing). */
static void imapd_tls_started(struct conn *c)
{
	struct imapd *d = c->ctx[SIDE_SERVER];
	if (d)
		imap_server_tls_started(d->eng);
}

static void imapd_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct imapd *d = c->ctx[side];
	imap_server_feed(d->eng, p, n, &d->out);
	if (imap_server_tls_pending(d->eng) && net_tls_simulated(c))
		imap_server_tls_started(d->eng); /* the handshake: the client's event */
	net_send(c, side, &d->out);
	if (imap_server_closed(d->eng))
		net_close(c, side);
	else if (imap_server_tls_pending(d->eng) && !net_start_tls(c, imapd_tls_started))
		net_close(c, side); /* cannot happen: STARTTLS is offered only where it can */
	else
		net_timer(c, SIDE_SERVER, IMAP_SERVER_AUTOLOGOUT_US, imapd_idle_check);
}

/* RFC 3501 5.4: an inactivity autologout timer of at least 30 minutes. */
static void imapd_idle_check(struct conn *c)
{
	struct imapd *d = c->ctx[SIDE_SERVER];
	if (!d || !c->open[SIDE_SERVER])
		return;
	wire_line(&d->out,
		  N_("the client said nothing for 30 minutes: the server logs it out "
		     "(RFC 3501 5.4)"),
		  "* BYE Autologout; idle for too long");
	net_send(c, SIDE_SERVER, &d->out);
	net_close(c, SIDE_SERVER);
}

static void imapd_on_closed(struct conn *c, int side, const char *why)
{
	(void)why;
	net_close(c, side);
}

static void imapd_release(void *ctx)
{
	struct imapd *d = ctx;
	if (!d)
		return;
	struct imapd **pp = &d->w->imap_sessions;
	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	imap_server_free(d->eng);
	wire_free(&d->out);
	free(d->recent);
	free(d);
}

static const struct conn_ops imapd_conn_ops = {
	.data = imapd_on_data,
	.closed = imapd_on_closed,
	.release = imapd_release,
};

static void imapd_accept(struct conn *c)
{
	struct imapd *d = xcalloc(1, sizeof *d);
	d->w = c->w;
	d->srv = c->host[SIDE_SERVER];
	d->c = c;
	wire_init(&d->out);
	struct conn_tls tls = net_tls(c);
	struct imap_server_config cfg = {
		.hostname = d->srv->name,
		.tls_offered = tls.offered,
		.tls_active = tls.active,
		.plaintext_auth = tls.plaintext_auth,
	};
	d->eng = imap_server_new(&cfg, &imapd_ops, d);
	d->next = c->w->imap_sessions;
	c->w->imap_sessions = d;
	changes_listen(c->w, imapd_changed);
	c->ops[SIDE_SERVER] = &imapd_conn_ops;
	c->ctx[SIDE_SERVER] = d;
	imap_server_start(d->eng, &d->out);
	net_send(c, SIDE_SERVER, &d->out);
	net_timer(c, SIDE_SERVER, IMAP_SERVER_AUTOLOGOUT_US, imapd_idle_check);
}

const struct service imapd_service = {
	.port = PORT_IMAP, .proto = PROTO_IMAP, .name = "IMAP", .accept = imapd_accept,
};
