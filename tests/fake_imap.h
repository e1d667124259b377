/*
 * fake_imap.h - an IMAP host in memory, for the IMAP server engine's unit
 * tests (tests/unit/test_imap_server.c) and its fuzz target
 * (tests/fuzz/fuzz_imap_server.c): one copy, so both drive the engine
 * against the same host.
 *
 * Reading guide.  The fake keeps folders of messages with flags, keywords
 * and UIDs, and a version number that moves on every change of any folder,
 * so the engines resynchronise as they do against the real store.  It
 * records which ops the engine called (counters and a short log) for the
 * tests to check.  fake_ops is the struct imap_server_ops to give
 * imap_server_new(); each includer writes its own fake_init() (the
 * messages it starts from) and calls fake_free() at the end.  Everything
 * here is static: include it from one file of a program only.
 */
#ifndef MAILSIM_FAKE_IMAP_H
#define MAILSIM_FAKE_IMAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap.h"

/* 9-Feb-1994 12:00:00 UTC, 10 and 11 */
#define DAY_1994_02_09 760795200
#define DAY_SECONDS 86400

struct fake_msg {
	uint32_t uid, flags;
	char keywords[IMAP_KEYWORDS_MAX_OCTETS];
	int64_t date;
	char *content;     /* malloc'd */
	size_t len;
};

struct fake_folder {
	char name[256];
	char special[16];
	bool subscribed;
	uint32_t uidvalidity, uidnext;
	struct fake_msg *msgs;
	size_t n, cap;
};

#define FAKE_FOLDERS_MAX 16
#define FAKE_MSGS_MAX 200 /* per folder: APPEND and COPY refuse beyond */

struct fake {
	struct fake_folder folders[FAKE_FOLDERS_MAX];
	size_t nfolders;
	uint64_t version;          /* moves on every change of any folder */
	char orphans[8][256];      /* subscribed names with no folder (RFC 3501 6.3.6) */
	size_t norphans;
	int ncontent, nset_flags, nsnapshot, nexpunge, ncopy, nappend;
	size_t last_set_flags_n;   /* pairs in the last set_flags call */
	char log[1024];            /* "expunge INBOX 2,3,5|copy INBOX->Trash 1" */
};

static void fake_log(struct fake *f, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void fake_log(struct fake *f, const char *fmt, ...)
{
	size_t used = strlen(f->log);
	if (used + 2 >= sizeof f->log)
		return;
	if (used)
		f->log[used++] = '|';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->log + used, sizeof f->log - used, fmt, ap);
	va_end(ap);
}

static struct fake_folder *fake_folder(struct fake *f, const char *name)
{
	for (size_t i = 0; i < f->nfolders; i++)
		if (strcmp(f->folders[i].name, name) == 0)
			return &f->folders[i];
	return NULL;
}

static struct fake_folder *fake_add_folder(struct fake *f, const char *name, const char *special,
					   uint32_t uidvalidity)
{
	struct fake_folder *d = &f->folders[f->nfolders++];
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", name);
	snprintf(d->special, sizeof d->special, "%s", special);
	d->subscribed = true;
	d->uidvalidity = uidvalidity;
	d->uidnext = 1;
	f->version++;
	return d;
}

static struct fake_msg *fake_add_msg(struct fake *f, struct fake_folder *d, const char *content,
				     size_t len, uint32_t flags, const char *keywords, int64_t date)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->msgs = xrealloc(d->msgs, d->cap * sizeof *d->msgs);
	}
	struct fake_msg *m = &d->msgs[d->n++];
	memset(m, 0, sizeof *m);
	m->uid = d->uidnext++;
	m->flags = flags;
	snprintf(m->keywords, sizeof m->keywords, "%s", keywords ? keywords : "");
	m->date = date;
	m->content = xstrndup(content, len);
	m->len = len;
	f->version++;
	return m;
}

/* The message with this UID (a folder's messages are in UID order). */
static struct fake_msg *fake_find(struct fake_folder *d, uint32_t uid, size_t *idx)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == d->n || d->msgs[lo].uid != uid)
		return NULL;
	if (idx)
		*idx = lo;
	return &d->msgs[lo];
}

static void fake_remove(struct fake *f, struct fake_folder *d, uint32_t uid)
{
	size_t i;
	if (!fake_find(d, uid, &i))
		return;
	free(d->msgs[i].content);
	memmove(d->msgs + i, d->msgs + i + 1, (d->n - i - 1) * sizeof *d->msgs);
	d->n--;
	f->version++;
}

static void fake_free(struct fake *f)
{
	for (size_t i = 0; i < f->nfolders; i++) {
		for (size_t k = 0; k < f->folders[i].n; k++)
			free(f->folders[i].msgs[k].content);
		free(f->folders[i].msgs);
	}
}

static bool fake_login(void *ctx, const char *user, const char *password)
{
	(void)ctx;
	/* the unit tests' bob, and the lessons' (the fuzz target's seeds) */
	return (strcmp(user, "bob") == 0 && strcmp(password, "secret") == 0) ||
	       (strcmp(user, "bob@gmail.com") == 0 && strcmp(password, "bob123") == 0);
}

static void fake_info(const struct fake_folder *d, struct imap_folder *info, const struct fake *f)
{
	memset(info, 0, sizeof *info);
	snprintf(info->name, sizeof info->name, "%s", d->name);
	snprintf(info->special_use, sizeof info->special_use, "%s", d->special);
	info->subscribed = d->subscribed;
	size_t nlen = strlen(d->name);
	for (size_t i = 0; i < f->nfolders; i++)
		if (strncmp(f->folders[i].name, d->name, nlen) == 0 &&
		    f->folders[i].name[nlen] == '/')
			info->has_children = true;
	info->uidvalidity = d->uidvalidity;
	info->uidnext = d->uidnext;
	info->messages = (uint32_t)d->n;
	for (size_t i = 0; i < d->n; i++) {
		info->recent += (d->msgs[i].flags & IMAP_FLAG_RECENT) != 0;
		info->unseen += !(d->msgs[i].flags & IMAP_FLAG_SEEN);
	}
}

static enum imap_result fake_folders(void *ctx, struct imap_folder **out, size_t *n)
{
	struct fake *f = ctx;
	*out = xcalloc(f->nfolders ? f->nfolders : 1, sizeof **out);
	for (size_t i = 0; i < f->nfolders; i++)
		fake_info(&f->folders[i], &(*out)[i], f);
	*n = f->nfolders;
	return IMAP_OK;
}

/* Drop name from the subscribed names with no folder; false if absent. */
static bool fake_orphan_drop(struct fake *f, const char *name)
{
	for (size_t i = 0; i < f->norphans; i++) {
		if (strcmp(f->orphans[i], name) == 0) {
			memmove(f->orphans + i, f->orphans + i + 1,
				(f->norphans - i - 1) * sizeof f->orphans[0]);
			f->norphans--;
			return true;
		}
	}
	return false;
}

static enum imap_result fake_create(void *ctx, const char *name)
{
	struct fake *f = ctx;
	if (fake_folder(f, name))
		return IMAP_EXISTS;
	if (f->nfolders == FAKE_FOLDERS_MAX)
		return IMAP_FAILED;
	fake_orphan_drop(f, name);
	fake_add_folder(f, name, "", 2000 + (uint32_t)f->nfolders);
	fake_log(f, "create %s", name);
	return IMAP_OK;
}

static enum imap_result fake_remove_folder(void *ctx, const char *name)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	if (!d)
		return IMAP_NO_SUCH;
	if (strcmp(name, "INBOX") == 0) /* as the store refuses it */
		return IMAP_REFUSED;
	/* the subscription outlives the folder */
	if (d->subscribed && f->norphans < sizeof f->orphans / sizeof f->orphans[0])
		snprintf(f->orphans[f->norphans++], sizeof f->orphans[0], "%s", name);
	for (size_t k = 0; k < d->n; k++)
		free(d->msgs[k].content);
	free(d->msgs);
	size_t i = (size_t)(d - f->folders);
	memmove(f->folders + i, f->folders + i + 1, (f->nfolders - i - 1) * sizeof *d);
	f->nfolders--;
	f->version++;
	fake_log(f, "delete %s", name);
	return IMAP_OK;
}

static enum imap_result fake_rename(void *ctx, const char *from, const char *to)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, from);
	if (!d)
		return IMAP_NO_SUCH;
	if (fake_folder(f, to))
		return IMAP_EXISTS;
	snprintf(d->name, sizeof d->name, "%s", to);
	f->version++;
	fake_log(f, "rename %s %s", from, to);
	return IMAP_OK;
}

static enum imap_result fake_subscribe(void *ctx, const char *name, bool on)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	if (!d)
		return !on && fake_orphan_drop(f, name) ? IMAP_OK : IMAP_NO_SUCH;
	d->subscribed = on;
	return IMAP_OK;
}

static enum imap_result fake_orphan_subscriptions(void *ctx, char ***names, size_t *n)
{
	struct fake *f = ctx;
	*names = xcalloc(f->norphans ? f->norphans : 1, sizeof **names);
	for (size_t i = 0; i < f->norphans; i++)
		(*names)[i] = xstrdup(f->orphans[i]);
	*n = f->norphans;
	return IMAP_OK;
}

static enum imap_result fake_snapshot(void *ctx, const char *name, struct imap_folder *info,
				      struct imap_msg **msgs, size_t *n)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	f->nsnapshot++;
	if (!d)
		return IMAP_NO_SUCH;
	fake_info(d, info, f);
	*msgs = xcalloc(d->n ? d->n : 1, sizeof **msgs);
	for (size_t i = 0; i < d->n; i++) {
		struct imap_msg *m = &(*msgs)[i];
		m->uid = d->msgs[i].uid;
		m->flags = d->msgs[i].flags;
		memcpy(m->keywords, d->msgs[i].keywords, sizeof m->keywords);
		m->internaldate = d->msgs[i].date;
		m->size = d->msgs[i].len;
	}
	*n = d->n;
	return IMAP_OK;
}

static uint64_t fake_version(void *ctx, const char *name)
{
	struct fake *f = ctx;
	(void)name;
	return f->version;
}

static enum imap_result fake_content(void *ctx, const char *name, uint32_t uid, struct buf *out)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	struct fake_msg *m = d ? fake_find(d, uid, NULL) : NULL;
	f->ncontent++;
	if (!m)
		return IMAP_NO_SUCH;
	buf_add(out, m->content, m->len);
	return IMAP_OK;
}

static enum imap_result fake_set_flags(void *ctx, const char *name, const uint32_t *uids,
				       const struct imap_msg *values, size_t n)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	f->nset_flags++;
	f->last_set_flags_n = n;
	if (!d)
		return IMAP_NO_SUCH;
	for (size_t i = 0; i < n; i++) {
		struct fake_msg *m = fake_find(d, uids[i], NULL);
		if (!m)
			continue;
		m->flags = values[i].flags;
		memcpy(m->keywords, values[i].keywords, sizeof m->keywords);
	}
	f->version++;
	return IMAP_OK;
}

static enum imap_result fake_expunge(void *ctx, const char *name, const uint32_t *uids, size_t n)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	f->nexpunge++;
	if (!d)
		return IMAP_NO_SUCH;
	char list[256] = "";
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, "%s%u", i ? "," : "", (unsigned)uids[i]);
		fake_remove(f, d, uids[i]);
	}
	fake_log(f, "expunge %s %s", name, list);
	return IMAP_OK;
}

static enum imap_result fake_copy(void *ctx, const char *from, const uint32_t *uids, size_t n,
				  const char *to, bool move, uint32_t *new_uids,
				  uint32_t *dest_uidvalidity)
{
	struct fake *f = ctx;
	struct fake_folder *src = fake_folder(f, from), *dst = fake_folder(f, to);
	f->ncopy++;
	if (!src || !dst)
		return IMAP_NO_SUCH;
	for (size_t i = 0; i < n; i++)
		if (!fake_find(src, uids[i], NULL))
			return IMAP_NO_SUCH;
	if (dst->n + n > FAKE_MSGS_MAX)
		return IMAP_FAILED;
	for (size_t i = 0; i < n; i++) {
		/* fake_add_msg may move src's array when src == dst */
		struct fake_msg copy = *fake_find(src, uids[i], NULL);
		struct fake_msg *c = fake_add_msg(f, dst, copy.content, copy.len,
						  copy.flags & ~(uint32_t)IMAP_FLAG_RECENT,
						  copy.keywords, copy.date);
		new_uids[i] = c->uid;
	}
	if (move && src != dst)
		for (size_t i = 0; i < n; i++)
			fake_remove(f, src, uids[i]);
	*dest_uidvalidity = dst->uidvalidity;
	fake_log(f, "%s %s->%s %zu", move ? "move" : "copy", from, to, n);
	return IMAP_OK;
}

static enum imap_result fake_append(void *ctx, const char *name, uint32_t flags,
				    const char *keywords, int64_t internaldate, const char *msg,
				    size_t len, uint32_t *uid, uint32_t *uidvalidity)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	f->nappend++;
	if (!d)
		return IMAP_NO_SUCH;
	if (d->n >= FAKE_MSGS_MAX)
		return IMAP_FAILED;
	struct fake_msg *m = fake_add_msg(f, d, msg, len, flags | IMAP_FLAG_RECENT, keywords,
					  internaldate);
	*uid = m->uid;
	*uidvalidity = d->uidvalidity;
	fake_log(f, "append %s %u %s", name, (unsigned)flags, keywords);
	return IMAP_OK;
}

static int64_t fake_now(void *ctx)
{
	(void)ctx;
	return DAY_1994_02_09 + 10 * DAY_SECONDS;
}

static const struct imap_server_ops fake_ops = {
	.login = fake_login,
	.folders = fake_folders,
	.create = fake_create,
	.remove = fake_remove_folder,
	.rename = fake_rename,
	.subscribe = fake_subscribe,
	.orphan_subscriptions = fake_orphan_subscriptions,
	.snapshot = fake_snapshot,
	.version = fake_version,
	.content = fake_content,
	.set_flags = fake_set_flags,
	.expunge = fake_expunge,
	.copy = fake_copy,
	.append = fake_append,
	.now = fake_now,
};

#endif
