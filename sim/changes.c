/*
 * changes.c - a change to the mailboxes as one store transaction, told to
 * the trace and to the IMAP sessions only once it is committed.
 *
 * See changes.h for the rules.  The listener is a hook the IMAP service
 * sets (imapd.c): this file knows no service.
 */
#include "changes.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

/* ================================================================ versions */

static struct changes_version *changes_slot(struct world *w, int64_t folder)
{
	struct changes *ch = &w->changes;
	for (size_t i = 0; i < ch->nversions; i++)
		if (ch->versions[i].folder == folder)
			return &ch->versions[i];
	ch->versions = xrealloc(ch->versions, (ch->nversions + 1) * sizeof *ch->versions);
	struct changes_version *v = &ch->versions[ch->nversions++];
	v->folder = folder;
	v->version = 1;
	return v;
}

uint64_t changes_version(struct world *w, int64_t folder)
{
	return changes_slot(w, folder)->version;
}

void changes_touch(struct world *w, int64_t folder)
{
	struct changes *ch = &w->changes;
	for (size_t i = 0; i < ch->ntouched; i++)
		if (ch->touched[i] == folder)
			return;
	ch->touched = xrealloc(ch->touched, (ch->ntouched + 1) * sizeof *ch->touched);
	ch->touched[ch->ntouched++] = folder;
}

void changes_listen(struct world *w, changes_listener_fn fn)
{
	w->changes.listener = fn;
}

/* ================================================================ mail */

static void changes_mail_emit(struct world *w, const struct trace_mail *m)
{
	struct trace_rec r = {
		.t_us = w->loop.now_us,
		.from = m->owner,
		.proto = PROTO_NONE,
		.event = "mail",
		.text = "",
		.text_len = 0,
		.arrive_us = w->loop.now_us,
		.mail = m,
	};
	trace_emit(&w->trace, &r);
}

static char *changes_dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void changes_mail_free(struct trace_mail *m)
{
	free((char *)m->owner);
	free((char *)m->folder);
	free((char *)m->from);
	free((char *)m->subject);
	free((char *)m->content);
	free((char *)m->auth);
}

void changes_mail(struct world *w, const struct trace_mail *m, bool pending)
{
	struct changes *ch = &w->changes;
	if (!pending) {
		changes_mail_emit(w, m);
		return;
	}
	assert(ch->open); /* pending on what? */
	ch->pending = xrealloc(ch->pending, (ch->npending + 1) * sizeof *ch->pending);
	struct trace_mail *c = &ch->pending[ch->npending++];
	*c = *m;
	c->owner = xstrdup(m->owner);
	c->folder = xstrdup(m->folder);
	c->from = changes_dup_or_null(m->from);
	c->subject = changes_dup_or_null(m->subject);
	c->content = m->content ? xstrndup(m->content, m->content_len) : NULL;
	c->auth = changes_dup_or_null(m->auth);
}

/* Tell the trace what is pending (emit), or not; forget it either way. */
static void changes_mail_flush(struct world *w, bool emit)
{
	struct changes *ch = &w->changes;
	for (size_t i = 0; i < ch->npending; i++) {
		if (emit)
			changes_mail_emit(w, &ch->pending[i]);
		changes_mail_free(&ch->pending[i]);
	}
	ch->npending = 0;
}

void changes_mail_stored(struct world *w, const char *owner, const char *folder,
			 int64_t folder_id, uint32_t uid, bool pending)
{
	struct store_message m;
	if (store_message_get(w->store, folder_id, uid, true, &m) != 0)
		return;
	struct world_summary s;
	world_summary_parse(&s, m.content, m.content_len);
	struct trace_mail tm = {
		.op = MAIL_ADD,
		.owner = owner,
		.folder = folder,
		.uid = uid,
		.flags = m.flags & STORE_FLAGS_SYSTEM,
		.from = s.sum.from,
		.subject = s.sum.subject,
		.content = m.content,
		.content_len = m.content_len,
	};
	changes_mail(w, &tm, pending);
	world_summary_free(&s);
	store_message_free(&m);
}

/* ================================================================ begin, end */

bool changes_begin(struct world *w)
{
	assert(!w->changes.open); /* changes do not nest */
	w->changes.open = store_begin(w->store) == STORE_OK;
	return w->changes.open;
}

bool changes_end(struct world *w, bool ok)
{
	struct changes *ch = &w->changes;
	assert(ch->open || !ok); /* ok, but nothing was opened? */
	if (ch->open) {
		ch->open = false;
		/* a commit that fails has rolled back already (store.h): a
		 * store_rollback() after it would close a level twice */
		if (ok)
			ok = store_commit(w->store) == STORE_OK;
		else
			store_rollback(w->store);
	}
	if (!ok) {
		ch->ntouched = 0;
		changes_mail_flush(w, false);
		return false;
	}
	changes_mail_flush(w, true);
	/* bump first, then tell: a poked session snapshots what is committed */
	for (size_t i = 0; i < ch->ntouched; i++)
		changes_slot(w, ch->touched[i])->version++;
	if (ch->listener)
		ch->listener(w, ch->touched, ch->ntouched);
	ch->ntouched = 0;
	return true;
}

void changes_free(struct world *w)
{
	struct changes *ch = &w->changes;
	changes_mail_flush(w, false);
	free(ch->pending);
	free(ch->versions);
	free(ch->touched);
	memset(ch, 0, sizeof *ch);
}
