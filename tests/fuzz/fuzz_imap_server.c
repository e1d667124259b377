/*
 * fuzz_imap_server.c - the IMAP server engine (protocols/imap_server.c)
 * fed hostile clients' bytes in random chunks: one session, or two
 * sessions interleaved on the same folders.
 *
 * Reading guide.  The host is an in-memory store like the unit tests'
 * fake: bob/secret (or bob@gmail.com/bob123, as in the lessons) owns INBOX (four messages: a plain one, a multipart
 * one, one with a keyword, one that carries a message/rfc822 part), Sent,
 * Trash, Work and Work/2024.  Every change moves a version number, so the
 * engines resynchronise as they would against the real store.
 *
 * Control bits (fuzz.h): bit 0 opens a second session on the same store;
 * each chunk then goes to one session or the other (the generator
 * chooses), and the other is poked as the real host pokes every session
 * that has the changed folder selected.  That is how one session's
 * EXPUNGE meets the other's UID commands.  With bit 2 as well, the
 * sessions take turns instead: the stream is cut at each byte 0x01 (not
 * fed), the first piece going to session 1, the next to session 2...;
 * that makes a two-session input easy to write by hand.  Bit 1 starts at
 * the greeting; otherwise both sessions are logged in with INBOX selected
 * before the input begins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imap.h"

#define MSG_HELLO                                                                    \
	"From: Alice <alice@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Subject: Hello\r\n"                                                         \
	"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"                                   \
	"Message-ID: <1@example.org>\r\n"                                            \
	"\r\n"                                                                       \
	"Hi Bob, see you at noon.\r\n"

#define MSG_MULTI                                                                    \
	"From: Carol <carol@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Cc: dave@example.org\r\n"                                                   \
	"Subject: Report\r\n"                                                        \
	"Date: Tue, 8 Feb 1994 10:00:00 +0000\r\n"                                   \
	"MIME-Version: 1.0\r\n"                                                      \
	"Content-Type: multipart/mixed; boundary=\"xyz\"\r\n"                        \
	"\r\n"                                                                       \
	"--xyz\r\n"                                                                  \
	"Content-Type: text/plain; charset=us-ascii\r\n"                             \
	"\r\n"                                                                       \
	"The report is attached.\r\n"                                                \
	"--xyz\r\n"                                                                  \
	"Content-Type: text/csv\r\n"                                                 \
	"Content-Transfer-Encoding: base64\r\n"                                      \
	"\r\n"                                                                       \
	"YSxiCjEsMgo=\r\n"                                                           \
	"--xyz--\r\n"

#define MSG_LUNCH                                                                    \
	"From: Carol <carol@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Subject: =?UTF-8?Q?Almo=C3=A7o?= tomorrow\r\n"                              \
	"Date: Wed, 9 Feb 1994 12:00:00 +0000\r\n"                                   \
	"\r\n"                                                                       \
	"Pizza?\r\n"

#define MSG_FORWARD                                                                  \
	"From: Dave <dave@example.org>\r\n"                                          \
	"To: bob@example.org\r\n"                                                    \
	"Subject: Fwd: Hello\r\n"                                                    \
	"MIME-Version: 1.0\r\n"                                                      \
	"Content-Type: multipart/mixed; boundary=b1\r\n"                             \
	"\r\n"                                                                       \
	"--b1\r\n"                                                                   \
	"\r\n"                                                                       \
	"See below.\r\n"                                                             \
	"--b1\r\n"                                                                   \
	"Content-Type: message/rfc822\r\n"                                           \
	"\r\n" MSG_HELLO "--b1--\r\n"

/* ------------------------------------------------------------ the host */

struct fake_msg {
	uint32_t uid, flags;
	char keywords[IMAP_KEYWORDS_MAX_OCTETS];
	int64_t date;
	char *content;
	size_t len;
};

struct fake_folder {
	char name[256];
	char special[16];
	bool subscribed;
	uint32_t uidvalidity, uidnext;
	struct fake_msg *msgs; /* in UID order */
	size_t n, cap;
};

#define FAKE_FOLDERS_MAX 12
#define FAKE_MSGS_MAX 200 /* per folder: APPEND refuses beyond */
#define DAY_1994_02_09 760795200

struct fake {
	struct fake_folder folders[FAKE_FOLDERS_MAX];
	size_t nfolders;
	uint64_t version;
};

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
	m->content = xmalloc(len ? len : 1);
	memcpy(m->content, content, len);
	m->len = len;
	f->version++;
	return m;
}

static struct fake_msg *fake_find(struct fake_folder *d, uint32_t uid, size_t *idx)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->msgs[i].uid == uid) {
			if (idx)
				*idx = i;
			return &d->msgs[i];
		}
	return NULL;
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

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof *f);
	struct fake_folder *inbox = fake_add_folder(f, "INBOX", "", 1000);
	fake_add_folder(f, "Sent", "\\Sent", 1001);
	fake_add_folder(f, "Trash", "\\Trash", 1002);
	fake_add_folder(f, "Work", "", 1003);
	fake_add_folder(f, "Work/2024", "", 1004)->subscribed = false;
	fake_add_msg(f, inbox, MSG_HELLO, strlen(MSG_HELLO), IMAP_FLAG_SEEN, "", DAY_1994_02_09);
	fake_add_msg(f, inbox, MSG_MULTI, strlen(MSG_MULTI), IMAP_FLAG_FLAGGED, "",
		     DAY_1994_02_09 + 86400);
	fake_add_msg(f, inbox, MSG_LUNCH, strlen(MSG_LUNCH), IMAP_FLAG_RECENT, "$Label1",
		     DAY_1994_02_09 + 2 * 86400);
	fake_add_msg(f, inbox, MSG_FORWARD, strlen(MSG_FORWARD), 0, "", DAY_1994_02_09 + 3 * 86400);
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
	/* the unit tests' bob, and the lessons' (the golden transcripts' seeds) */
	return (strcmp(user, "bob") == 0 && strcmp(password, "secret") == 0) ||
	       (strcmp(user, "bob@gmail.com") == 0 && strcmp(password, "bob123") == 0);
}

static void fake_info(const struct fake *f, const struct fake_folder *d, struct imap_folder *info)
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
		fake_info(f, &f->folders[i], &(*out)[i]);
	*n = f->nfolders;
	return IMAP_OK;
}

static enum imap_result fake_create(void *ctx, const char *name)
{
	struct fake *f = ctx;
	if (fake_folder(f, name))
		return IMAP_EXISTS;
	if (f->nfolders == FAKE_FOLDERS_MAX)
		return IMAP_FAILED;
	fake_add_folder(f, name, "", 2000 + (uint32_t)f->nfolders);
	return IMAP_OK;
}

static enum imap_result fake_remove_folder(void *ctx, const char *name)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	if (!d)
		return IMAP_NO_SUCH;
	if (strcmp(name, "INBOX") == 0)
		return IMAP_REFUSED;
	for (size_t k = 0; k < d->n; k++)
		free(d->msgs[k].content);
	free(d->msgs);
	size_t i = (size_t)(d - f->folders);
	memmove(f->folders + i, f->folders + i + 1, (f->nfolders - i - 1) * sizeof *d);
	f->nfolders--;
	f->version++;
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
	return IMAP_OK;
}

static enum imap_result fake_subscribe(void *ctx, const char *name, bool on)
{
	struct fake_folder *d = fake_folder(ctx, name);
	if (!d)
		return IMAP_NO_SUCH;
	d->subscribed = on;
	return IMAP_OK;
}

static enum imap_result fake_snapshot(void *ctx, const char *name, struct imap_folder *info,
				      struct imap_msg **msgs, size_t *n)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	if (!d)
		return IMAP_NO_SUCH;
	fake_info(f, d, info);
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
	struct fake_folder *d = fake_folder(ctx, name);
	struct fake_msg *m = d ? fake_find(d, uid, NULL) : NULL;
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
	if (!d)
		return IMAP_NO_SUCH;
	for (size_t i = 0; i < n; i++) {
		struct fake_msg *m = fake_find(d, uids[i], NULL);
		if (!m)
			continue;
		m->flags = values[i].flags;
		memcpy(m->keywords, values[i].keywords, sizeof m->keywords);
		m->keywords[sizeof m->keywords - 1] = '\0';
	}
	f->version++;
	return IMAP_OK;
}

static enum imap_result fake_expunge(void *ctx, const char *name, const uint32_t *uids, size_t n)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	if (!d)
		return IMAP_NO_SUCH;
	for (size_t i = 0; i < n; i++)
		fake_remove(f, d, uids[i]);
	return IMAP_OK;
}

static enum imap_result fake_copy(void *ctx, const char *from, const uint32_t *uids, size_t n,
				  const char *to, bool move, uint32_t *new_uids,
				  uint32_t *dest_uidvalidity)
{
	struct fake *f = ctx;
	struct fake_folder *src = fake_folder(f, from), *dst = fake_folder(f, to);
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
	return IMAP_OK;
}

static enum imap_result fake_append(void *ctx, const char *name, uint32_t flags,
				    const char *keywords, int64_t internaldate, const char *msg,
				    size_t len, uint32_t *uid, uint32_t *uidvalidity)
{
	struct fake *f = ctx;
	struct fake_folder *d = fake_folder(f, name);
	if (!d)
		return IMAP_NO_SUCH;
	if (d->n >= FAKE_MSGS_MAX)
		return IMAP_FAILED;
	struct fake_msg *m = fake_add_msg(f, d, msg, len, flags | IMAP_FLAG_RECENT, keywords,
					  internaldate);
	*uid = m->uid;
	*uidvalidity = d->uidvalidity;
	return IMAP_OK;
}

static int64_t fake_now(void *ctx)
{
	(void)ctx;
	return DAY_1994_02_09 + 10 * 86400;
}

static const struct imap_server_ops fake_ops = {
	.login = fake_login,
	.folders = fake_folders,
	.create = fake_create,
	.remove = fake_remove_folder,
	.rename = fake_rename,
	.subscribe = fake_subscribe,
	.snapshot = fake_snapshot,
	.version = fake_version,
	.content = fake_content,
	.set_flags = fake_set_flags,
	.expunge = fake_expunge,
	.copy = fake_copy,
	.append = fake_append,
	.now = fake_now,
};

/* ------------------------------------------------------------ sessions */

static void feed(struct imap_server *s, const char *p, size_t len, struct wire *out)
{
	/* an exact-size copy, so that reading past the chunk is caught */
	char *chunk = xmalloc(len ? len : 1);
	memcpy(chunk, p, len);
	wire_clear(out);
	size_t used = imap_server_feed(s, chunk, len, out);
	if (used > len)
		abort();
	(void)imap_server_state_name(s);
	(void)imap_server_selected(s);
	(void)imap_server_user(s);
	free(chunk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imap_server_config cfg = {.hostname = "mail.example.org"};
	static const char setup[] = "l LOGIN bob secret\r\ns SELECT INBOX\r\n";
	struct fz z;
	fz_init(&z, data, size);
	struct fake f;
	fake_init(&f);
	size_t nsessions = (z.flags & 1) ? 2 : 1;
	struct imap_server *s[2] = {NULL, NULL};
	struct wire out;
	wire_init(&out);
	for (size_t i = 0; i < nsessions; i++) {
		s[i] = imap_server_new(&cfg, &fake_ops, &f);
		imap_server_start(s[i], &out);
		if (!(z.flags & 2))
			feed(s[i], setup, sizeof setup - 1, &out);
	}

	const char *p;
	size_t len;
	bool turns = nsessions == 2 && (z.flags & 4);
	size_t turn = 0;
	while ((len = fz_chunk(&z, &p)) > 0) {
		size_t who = nsessions == 2 ? (fz_rand(&z) >> 7) & 1 : 0;
		if (turns) {
			const char *sep = memchr(p, 0x01, len);
			if (sep) { /* feed up to the separator, then switch */
				size_t rest = len - (size_t)(sep - p) - 1;
				len = (size_t)(sep - p);
				z.p -= rest;
				z.n += rest;
			}
			who = turn;
			if (sep)
				turn = 1 - turn;
			if (len == 0)
				continue;
		}
		if (imap_server_closed(s[who]))
			who = 1 - who;
		if (who >= nsessions || imap_server_closed(s[who]))
			break;
		feed(s[who], p, len, &out);
		/* the host tells the other session its folder may have changed */
		if (nsessions == 2 && !imap_server_closed(s[1 - who])) {
			wire_clear(&out);
			imap_server_poke(s[1 - who], &out);
		}
	}
	for (size_t i = 0; i < nsessions; i++)
		imap_server_free(s[i]);
	wire_free(&out);
	fake_free(&f);
	return 0;
}
