/*
 * playback.c - a recorded run: the steps, and the mailboxes at any step.
 *
 * Storage.  Every string (a line's text, a note, an event name, a host
 * name, a mailbox change's owner, folder, From:, Subject: and content) is
 * interned: stored once in the arena and named by a 32-bit id (0 = none).
 * The arena is a list of 1 MiB chunks that never move, so a pointer handed
 * out stays valid while the playback lives, even while it still records.
 * A step is one fixed-size struct pb_rec (48 bytes on LP64); a (from, to)
 * pair of names is one id, because a run has few of them.
 *
 * Mailbox changes are kept apart, in order, each tagged with the step it
 * leads to: the changes recorded after step k-1 and before step k belong
 * to step k.  The simulation tells a change just before the event that
 * says it in words ("delivered", "pop3-deleted", "removed"), so a change
 * shows on the screen with its explanation, not one step early.  Changes
 * after the last step belong to the last step; the cursor before the
 * first step (SIZE_MAX) shows the state before any change.  Because the tags never decrease, "the changes up to step k" is
 * a prefix of the array, found by binary search.
 *
 * The model.  Owners (in order of first appearance), their folders (INBOX
 * first, created with the owner), each folder a vector of entries sorted
 * by UID, uid-0 entries (POP3 downloads) first in arrival order.  An owner
 * or folder is shown once the change that created it is applied.  Applying
 * a change pushes what it destroyed on one undo stack (the old entry of a
 * replacing ADD, a removed entry, the entry before FLAGS, every entry of a
 * CLEAR) and counts it in the change; changes are applied and undone in
 * strict LIFO order, so undoing pops exactly what was pushed.
 */
#include "playback.h"

#include "buf.h"
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PB_CHUNK_SHIFT 20                        /* arena chunks of 1 MiB */
#define PB_CHUNK_BYTES ((size_t)1 << PB_CHUNK_SHIFT)
#define PB_CHUNK_BIG (PB_CHUNK_BYTES / 4)        /* bigger strings get their own block */
#define PB_ARRIVE_FAR UINT32_MAX                 /* arrive_us - t_us did not fit: see far[] */
#define PB_MAX_INDEX (UINT32_MAX - 1)            /* steps, changes, ids fit in 32 bits */
#define PB_POP3_PENDING_MAX 64                   /* POP3 commands tracked in flight */

enum {
	PB_BIT_REPLY = 1 << 0,
	PB_BIT_NOTE = 1 << 1,
	PB_BIT_TLS = 1 << 2,     /* a line sent inside TLS (trace_rec.tls) */
};

/* One step: every field an id, an index or a small code. */
struct pb_rec {
	int64_t t_us;
	uint32_t text;                 /* intern id (never 0: "" for none) */
	uint32_t arrive_dt;            /* arrive_us - t_us, or PB_ARRIVE_FAR */
	uint32_t note, event;          /* intern ids, 0 = none */
	uint32_t ends;                 /* index into pb->pairs: the (from, to) names */
	uint32_t session;
	uint32_t sess_prev, sess_next; /* steps of the same session, or PB_NONE */
	uint32_t block;                /* the message body it is a line of, or PB_NONE */
	uint8_t proto, dir, bits;      /* enum trace_proto, enum trace_dir, PB_BIT_* */
};

/* A step whose arrival is too far from its sending to fit arrive_dt. */
struct pb_far {
	uint32_t step;
	int64_t arrive_us;
};

/* An interned string. */
struct pb_str {
	uint64_t off;  /* arena offset */
	uint32_t len;
	uint32_t host; /* host index if a host has this name, else PB_NONE */
};

struct pb_pair {
	uint32_t from, to; /* intern ids, 0 = none */
};

/* A recorded mailbox change. */
struct pb_chg {
	uint32_t step;                  /* the step it belongs to (changed_at) */
	uint32_t folder;                /* index into pb->folders */
	uint32_t uid, flags;
	uint32_t from, subject, content; /* intern ids (ADD) */
	uint32_t auth;                  /* intern id (ADD): the authentication results, 0 = none */
	uint32_t undo_n;                /* entries it pushed on the undo stack when applied */
	uint8_t op;                     /* enum trace_mail_op */
};

/* The bit of pb_entry.flags that holds POP3 DELE's mark (MAIL_MARK): no
 * STORE_FLAG_* uses it, and pb_get_msg hands it out as pb_msg.marked. */
#define PB_FLAG_MARKED (UINT32_C(1) << 31)

/* A message in the model. */
struct pb_entry {
	uint32_t uid, flags;
	uint32_t add;        /* the ADD change that brought its content */
	uint32_t changed_at; /* step */
};

struct pb_folder {
	uint32_t name;      /* intern id */
	uint32_t first_chg; /* shown once this change is applied */
	struct pb_entry *v;
	size_t n, cap;
};

struct pb_owner {
	uint32_t name;
	bool device;
	uint32_t first_chg;
	uint32_t *folders; /* indexes into pb->folders, in order of appearance */
	size_t nfolders, capfolders;
};

/* What the recorder remembers per session: the ladder and reply framing. */
struct pb_sess {
	uint32_t last_step;
	uint8_t pop_n;      /* POP3 commands sent, not yet answered */
	bool pop_data;      /* inside a POP3 multi-line response */
	bool pop_sasl;      /* the next client line answers a "+ " challenge */
	uint64_t pop_multi; /* bit i: pending command i expects a multi-line answer */
	uint64_t pop_bodyq; /* bit i: pending command i is RETR or TOP (a message) */
	bool pop_body;      /* the multi-line response is a message */
	bool smtp_data;     /* SMTP: after 354, the client's lines are the message */
	uint64_t lit_left;  /* IMAP: server literal bytes still to come */
	uint64_t clit_left; /* IMAP: client literal bytes still to come (APPEND) */
	uint32_t block;     /* the message body being recorded (pb->blocks), or PB_NONE */
};

/* A check's result (pb_check). */
struct pb_check {
	uint32_t text; /* intern id */
	bool passed;
};

/* An open-addressing map from a 64-bit key to a 32-bit value. */
struct pb_map {
	uint64_t *keys;
	uint32_t *vals; /* PB_NONE = empty slot */
	size_t n, cap;
};

struct playback {
	/* the arena */
	char **chunks;       /* slot i covers offsets [i << 20, (i + 1) << 20) */
	size_t nchunks, capchunks;
	size_t cur_chunk, cur_used; /* where small strings go */
	bool have_cur;              /* cur_chunk is set */

	/* interned strings: id -> pb_str; table of ids by hash */
	struct pb_str *strs;
	size_t nstrs, capstrs;
	uint32_t *strtab; /* 0 = empty */
	size_t captab;

	struct pb_host *hosts;
	uint32_t *host_home; /* intern id of each host's home server name */
	size_t nhosts, caphosts;
	struct pb_link *links;
	size_t nlinks, caplinks;

	struct pb_rec *steps;
	size_t nsteps, capsteps;
	struct pb_far *far;
	size_t nfar, capfar;
	struct pb_pair *pairs;
	size_t npairs, cappairs;
	struct pb_map pairmap;

	struct pb_sess *sess;
	size_t nsess, capsess;
	struct pb_map sessmap;

	struct pb_chg *chgs;
	size_t nchgs, capchgs;

	struct pb_check *checks;
	size_t nchecks, capchecks;

	struct pb_block *blocks;
	size_t nblocks, capblocks;

	struct pb_owner *owners;
	size_t nowners, capowners;
	struct pb_map ownermap;  /* owner name id -> owner index */
	struct pb_folder *folders;
	size_t nfolders, capfolders;
	struct pb_map foldermap; /* owner index << 32 | folder name id -> folder index */

	struct pb_entry *undo; /* the undo stack */
	size_t nundo, capundo;

	bool live;       /* pb_set_live: a "connect" from an unknown host adds it */
	size_t napplied; /* changes applied to the model */
	size_t pos;      /* the cursor: a step, or SIZE_MAX */
};

/* The array p of *cap elements of `size` bytes, grown to hold `need`. */
static void *pb_grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	*cap = c;
	return xrealloc(p, c * size);
}

/* ---- the arena ---- */

static const char *pb_at(const struct playback *pb, uint64_t off)
{
	return pb->chunks[off >> PB_CHUNK_SHIFT] + (off & (PB_CHUNK_BYTES - 1));
}

/* Copy n bytes and a NUL; returns the offset. */
static uint64_t pb_arena_put(struct playback *pb, const char *s, size_t n)
{
	size_t need = n + 1;
	uint64_t off;
	char *dst;
	if (need > PB_CHUNK_BIG) {
		size_t slots = (need + PB_CHUNK_BYTES - 1) / PB_CHUNK_BYTES;
		pb->chunks = pb_grow(pb->chunks, &pb->capchunks, pb->nchunks + slots,
				     sizeof *pb->chunks);
		dst = xmalloc(need);
		off = (uint64_t)pb->nchunks << PB_CHUNK_SHIFT;
		pb->chunks[pb->nchunks++] = dst;
		for (size_t i = 1; i < slots; i++)
			pb->chunks[pb->nchunks++] = NULL;
	} else {
		if (!pb->have_cur || pb->cur_used + need > PB_CHUNK_BYTES) {
			pb->chunks = pb_grow(pb->chunks, &pb->capchunks, pb->nchunks + 1,
					     sizeof *pb->chunks);
			pb->cur_chunk = pb->nchunks;
			pb->chunks[pb->nchunks++] = xmalloc(PB_CHUNK_BYTES);
			pb->cur_used = 0;
			pb->have_cur = true;
		}
		off = ((uint64_t)pb->cur_chunk << PB_CHUNK_SHIFT) | pb->cur_used;
		dst = pb->chunks[pb->cur_chunk] + pb->cur_used;
		pb->cur_used += need;
	}
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
	return off;
}

/* ---- interned strings ---- */

static uint64_t pb_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

static const char *pb_str(const struct playback *pb, uint32_t id)
{
	return id ? pb_at(pb, pb->strs[id].off) : NULL;
}

/* The slot of s in strtab: its id, or the empty slot where it would go. */
static size_t pb_str_slot(const struct playback *pb, const char *s, size_t n)
{
	size_t mask = pb->captab - 1;
	size_t i = (size_t)pb_hash(s, n) & mask;
	for (;;) {
		uint32_t id = pb->strtab[i];
		if (!id)
			return i;
		const struct pb_str *e = &pb->strs[id];
		if (e->len == n && memcmp(pb_at(pb, e->off), s, n) == 0)
			return i;
		i = (i + 1) & mask;
	}
}

static void pb_strtab_grow(struct playback *pb)
{
	size_t cap = pb->captab ? pb->captab * 2 : 1024;
	free(pb->strtab);
	pb->strtab = xcalloc(cap, sizeof *pb->strtab);
	pb->captab = cap;
	for (size_t id = 1; id < pb->nstrs; id++) {
		const struct pb_str *e = &pb->strs[id];
		pb->strtab[pb_str_slot(pb, pb_at(pb, e->off), e->len)] = (uint32_t)id;
	}
}

/* Find s without adding it: its id, or 0. */
static uint32_t pb_str_find(const struct playback *pb, const char *s, size_t n)
{
	if (!s || !pb->captab)
		return 0;
	return pb->strtab[pb_str_slot(pb, s, n)];
}

/* The id of s (n bytes), adding it if new; 0 for NULL. */
static uint32_t pb_intern_n(struct playback *pb, const char *s, size_t n)
{
	if (!s)
		return 0;
	if (n > UINT32_MAX)
		n = UINT32_MAX; /* a 4 GiB line is cut, not a crash */
	if ((pb->nstrs + 1) * 2 > pb->captab)
		pb_strtab_grow(pb);
	size_t slot = pb_str_slot(pb, s, n);
	if (pb->strtab[slot])
		return pb->strtab[slot];
	if (pb->nstrs > PB_MAX_INDEX) {
		fputs(_("mailsim: playback: too many strings\n"), stderr);
		abort();
	}
	pb->strs = pb_grow(pb->strs, &pb->capstrs, pb->nstrs + 1, sizeof *pb->strs);
	uint32_t id = (uint32_t)pb->nstrs++;
	pb->strs[id] = (struct pb_str){ pb_arena_put(pb, s, n), (uint32_t)n, PB_NONE };
	pb->strtab[slot] = id;
	return id;
}

static uint32_t pb_intern(struct playback *pb, const char *s)
{
	return s ? pb_intern_n(pb, s, strlen(s)) : 0;
}

/* ---- a small map: u64 -> u32 ---- */

static size_t pb_map_slot(const struct pb_map *m, uint64_t key)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ULL;
	size_t mask = m->cap - 1;
	size_t i = (size_t)(h >> 17) & mask;
	while (m->vals[i] != PB_NONE && m->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

static uint32_t pb_map_get(const struct pb_map *m, uint64_t key)
{
	return m->cap ? m->vals[pb_map_slot(m, key)] : PB_NONE;
}

static void pb_map_put(struct pb_map *m, uint64_t key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct pb_map old = *m;
		m->cap = old.cap ? old.cap * 2 : 64;
		m->keys = xmalloc(m->cap * sizeof *m->keys);
		m->vals = xmalloc(m->cap * sizeof *m->vals);
		memset(m->vals, 0xFF, m->cap * sizeof *m->vals);
		for (size_t i = 0; i < old.cap; i++) {
			if (old.vals[i] != PB_NONE) {
				size_t j = pb_map_slot(m, old.keys[i]);
				m->keys[j] = old.keys[i];
				m->vals[j] = old.vals[i];
			}
		}
		free(old.keys);
		free(old.vals);
	}
	size_t i = pb_map_slot(m, key);
	if (m->vals[i] == PB_NONE)
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

static void pb_map_free(struct pb_map *m)
{
	free(m->keys);
	free(m->vals);
}

/* ---- life ---- */

struct playback *pb_new(void)
{
	struct playback *pb = xcalloc(1, sizeof *pb);
	pb->nstrs = 1; /* id 0 is "none" */
	pb->strs = pb_grow(pb->strs, &pb->capstrs, 1, sizeof *pb->strs);
	pb->strs[0] = (struct pb_str){ 0, 0, PB_NONE };
	pb->pos = SIZE_MAX;
	return pb;
}

void pb_free(struct playback *pb)
{
	if (!pb)
		return;
	for (size_t i = 0; i < pb->nchunks; i++)
		free(pb->chunks[i]);
	free(pb->chunks);
	free(pb->strs);
	free(pb->strtab);
	free(pb->hosts);
	free(pb->host_home);
	free(pb->links);
	free(pb->steps);
	free(pb->far);
	free(pb->pairs);
	pb_map_free(&pb->pairmap);
	free(pb->sess);
	pb_map_free(&pb->sessmap);
	free(pb->chgs);
	free(pb->checks);
	free(pb->blocks);
	for (size_t i = 0; i < pb->nowners; i++)
		free(pb->owners[i].folders);
	free(pb->owners);
	pb_map_free(&pb->ownermap);
	for (size_t i = 0; i < pb->nfolders; i++)
		free(pb->folders[i].v);
	free(pb->folders);
	pb_map_free(&pb->foldermap);
	free(pb->undo);
	free(pb);
}

/* ---- hosts and links ---- */

uint32_t pb_host_find(const struct playback *pb, const char *name)
{
	if (!pb || !name)
		return PB_NONE;
	return pb->strs[pb_str_find(pb, name, strlen(name))].host; /* strs[0].host is PB_NONE */
}

uint32_t pb_add_host(struct playback *pb, const char *name, bool server, const char *owner,
		     const char *home_server)
{
	if (!name)
		name = "";
	uint32_t id = pb_intern(pb, name);
	if (pb->strs[id].host != PB_NONE)
		return pb->strs[id].host; /* a name is one host */
	if (pb->nhosts >= PB_MAX_INDEX)
		return PB_NONE;
	pb->hosts = pb_grow(pb->hosts, &pb->caphosts, pb->nhosts + 1, sizeof *pb->hosts);
	pb->host_home = xrealloc(pb->host_home, pb->caphosts * sizeof *pb->host_home);
	uint32_t h = (uint32_t)pb->nhosts++;
	uint32_t home = pb_intern(pb, home_server);
	pb->strs[id].host = h;
	pb->hosts[h] = (struct pb_host){
		.name = pb_str(pb, id),
		.server = server,
		.owner = pb_str(pb, pb_intern(pb, owner)),
		.home = home ? pb->strs[home].host : PB_NONE,
	};
	pb->host_home[h] = home;
	/* a device named before its server learns the server's index now */
	for (size_t i = 0; i < pb->nhosts; i++)
		if (pb->hosts[i].home == PB_NONE && pb->host_home[i] == id)
			pb->hosts[i].home = h;
	return h;
}

void pb_add_link(struct playback *pb, const char *a, const char *b, int64_t latency_us)
{
	uint32_t ha = pb_host_find(pb, a), hb = pb_host_find(pb, b);
	if (ha == PB_NONE || hb == PB_NONE)
		return; /* a link to no known host cannot be drawn */
	pb->links = pb_grow(pb->links, &pb->caplinks, pb->nlinks + 1, sizeof *pb->links);
	pb->links[pb->nlinks++] = (struct pb_link){ ha, hb, latency_us };
}

size_t pb_nhosts(const struct playback *pb)
{
	return pb->nhosts;
}

const struct pb_host *pb_host(const struct playback *pb, uint32_t i)
{
	return i < pb->nhosts ? &pb->hosts[i] : NULL;
}

size_t pb_nlinks(const struct playback *pb)
{
	return pb->nlinks;
}

const struct pb_link *pb_link(const struct playback *pb, size_t i)
{
	return i < pb->nlinks ? &pb->links[i] : NULL;
}

/* ---- reply framing, for quiz mode ---- */

static bool pb_prefix_word(const char *t, size_t n, const char *w)
{
	size_t k = strlen(w);
	return n >= k && memcmp(t, w, k) == 0 && (n == k || t[k] == ' ');
}

static bool pb_word_is(const char *t, size_t n, const char *w)
{
	size_t k = strlen(w);
	if (n != k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = t[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != w[i])
			return false;
	}
	return true;
}

static bool pb_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* SMTP: "NNN text" or "NNN" ends a reply; "NNN-text" continues it. */
static bool pb_smtp_final(const char *t, size_t n)
{
	return n >= 3 && pb_digit(t[0]) && pb_digit(t[1]) && pb_digit(t[2]) &&
	       (n == 3 || t[3] == ' ');
}

/* SMTP with a session: after a 354 reply the client's lines up to "." are
 * the message (RFC 5321 4.1.1.4); *content says a line is one of them. */
static bool pb_smtp_line(struct pb_sess *st, enum trace_dir dir, const char *t, size_t n,
			 bool *content)
{
	if (dir == DIR_C2S) {
		if (st && st->smtp_data) {
			if (n == 1 && t[0] == '.')
				st->smtp_data = false;
			else
				*content = true;
		}
		return false;
	}
	bool final = pb_smtp_final(t, n);
	if (st && final)
		st->smtp_data = t[0] == '3' && t[1] == '5' && t[2] == '4';
	return final;
}

/* Does this POP3 command get a multi-line answer after +OK (RFC 1939, 2449)? */
static bool pb_pop3_multi(const char *t, size_t n)
{
	size_t k = 0;
	while (k < n && t[k] != ' ')
		k++;
	size_t rest = k;
	while (rest < n && t[rest] == ' ')
		rest++;
	bool noarg = rest == n;
	if (pb_word_is(t, k, "CAPA") || pb_word_is(t, k, "RETR") || pb_word_is(t, k, "TOP"))
		return true;
	return noarg && (pb_word_is(t, k, "LIST") || pb_word_is(t, k, "UIDL"));
}

/* POP3: "+OK" / "-ERR" that starts a response, not a line of its data.
 * With a session, the client's commands are queued so that the data of
 * RETR, TOP, LIST, UIDL and CAPA (ended by ".") is not taken for replies;
 * a line answering a "+ " SASL challenge is not a command.  Without one,
 * every "+OK" / "-ERR" line counts. */
static bool pb_pop3_line(struct pb_sess *st, enum trace_dir dir, const char *t, size_t n,
			 bool *content)
{
	if (dir == DIR_C2S) {
		if (!st)
			return false;
		if (st->pop_sasl) {
			st->pop_sasl = false;
		} else if (st->pop_n < PB_POP3_PENDING_MAX) {
			if (pb_pop3_multi(t, n))
				st->pop_multi |= (uint64_t)1 << st->pop_n;
			if (pb_prefix_word(t, n, "RETR") || pb_prefix_word(t, n, "TOP"))
				st->pop_bodyq |= (uint64_t)1 << st->pop_n;
			st->pop_n++;
		}
		return false;
	}
	if (st && st->pop_data) {
		if (n == 1 && t[0] == '.')
			st->pop_data = false;
		else
			*content = st->pop_body; /* a message's line, not a listing's */
		return false;
	}
	bool ok = pb_prefix_word(t, n, "+OK");
	if (!ok && !pb_prefix_word(t, n, "-ERR")) {
		if (st && n >= 1 && t[0] == '+')
			st->pop_sasl = true;
		return false;
	}
	if (st) {
		bool multi = false, body = false;
		if (st->pop_n) {
			multi = st->pop_multi & 1;
			body = st->pop_bodyq & 1;
			st->pop_multi >>= 1;
			st->pop_bodyq >>= 1;
			st->pop_n--;
		}
		st->pop_data = ok && multi;
		st->pop_body = body;
	}
	return true;
}

/* The size announced by a literal "{N}" or "{N+}" at the end of a line, or 0. */
static uint64_t pb_imap_literal(const char *t, size_t n)
{
	if (n < 3 || t[n - 1] != '}')
		return 0;
	size_t i = n - 1;
	if (t[i - 1] == '+')
		i--;
	size_t end = i;
	while (i > 0 && pb_digit(t[i - 1]))
		i--;
	if (i == end || i == 0 || t[i - 1] != '{' || end - i > 18)
		return 0;
	uint64_t v = 0;
	for (size_t k = i; k < end; k++)
		v = v * 10 + (uint64_t)(t[k] - '0');
	return v;
}

/* IMAP: a tagged "tag OK|NO|BAD" server line.  With a session, the lines
 * inside a literal (counted as line + CRLF) are skipped: the server's
 * (FETCH BODY[]) and the client's (APPEND); a line wholly inside one is
 * *content.  The line that ends a literal and goes on is not content. */
static bool pb_imap_line(struct pb_sess *st, enum trace_dir dir, const char *t, size_t n,
			 bool *content)
{
	if (dir != DIR_S2C) {
		if (st && st->clit_left >= (uint64_t)n + 2) {
			st->clit_left -= (uint64_t)n + 2;
			*content = true;
		} else if (st) {
			st->clit_left = pb_imap_literal(t, n);
		}
		return false;
	}
	if (st && st->lit_left) {
		if (st->lit_left >= (uint64_t)n + 2) {
			st->lit_left -= (uint64_t)n + 2;
			*content = true;
			return false;
		}
		st->lit_left = pb_imap_literal(t, n); /* the response goes on after it */
		return false;
	}
	if (st)
		st->lit_left = pb_imap_literal(t, n);
	size_t k = 0;
	while (k < n && t[k] != ' ')
		k++;
	if (k == 0 || (k == 1 && (t[0] == '*' || t[0] == '+')) || k == n)
		return false;
	size_t w = k + 1, e = w;
	while (e < n && t[e] != ' ')
		e++;
	return pb_word_is(t + w, e - w, "OK") || pb_word_is(t + w, e - w, "NO") ||
	       pb_word_is(t + w, e - w, "BAD");
}

/* ---- recording ---- */

static uint32_t pb_pair(struct playback *pb, uint32_t from, uint32_t to)
{
	uint64_t key = (uint64_t)from << 32 | to;
	uint32_t i = pb_map_get(&pb->pairmap, key);
	if (i != PB_NONE)
		return i;
	pb->pairs = pb_grow(pb->pairs, &pb->cappairs, pb->npairs + 1, sizeof *pb->pairs);
	i = (uint32_t)pb->npairs++;
	pb->pairs[i] = (struct pb_pair){ from, to };
	pb_map_put(&pb->pairmap, key, i);
	return i;
}

/* Step i of a session: a line of a message body (len: its length) extends
 * the session's block, or starts one; anything else (len = SIZE_MAX) ends it. */
static void pb_block_line(struct playback *pb, struct pb_sess *st, struct pb_rec *s, uint32_t i,
			  size_t len)
{
	if (len == SIZE_MAX) {
		st->block = PB_NONE;
		return;
	}
	if (st->block == PB_NONE) {
		pb->blocks = pb_grow(pb->blocks, &pb->capblocks, pb->nblocks + 1, sizeof *pb->blocks);
		st->block = (uint32_t)pb->nblocks++;
		pb->blocks[st->block] = (struct pb_block){ .first = i };
	}
	struct pb_block *b = &pb->blocks[st->block];
	b->last = i;
	b->lines++;
	b->octets += (uint64_t)len + 2;
	s->block = st->block;
}

static struct pb_sess *pb_session(struct playback *pb, uint32_t id)
{
	if (!id)
		return NULL;
	uint32_t i = pb_map_get(&pb->sessmap, id);
	if (i == PB_NONE) {
		pb->sess = pb_grow(pb->sess, &pb->capsess, pb->nsess + 1, sizeof *pb->sess);
		i = (uint32_t)pb->nsess++;
		pb->sess[i] = (struct pb_sess){ .last_step = PB_NONE, .block = PB_NONE };
		pb_map_put(&pb->sessmap, id, i);
	}
	return &pb->sess[i];
}

static uint32_t pb_folder_get(struct playback *pb, uint32_t owner, uint32_t name)
{
	uint64_t key = (uint64_t)owner << 32 | name;
	uint32_t f = pb_map_get(&pb->foldermap, key);
	if (f != PB_NONE)
		return f;
	struct pb_owner *o = &pb->owners[owner];
	pb->folders = pb_grow(pb->folders, &pb->capfolders, pb->nfolders + 1, sizeof *pb->folders);
	f = (uint32_t)pb->nfolders++;
	pb->folders[f] = (struct pb_folder){ .name = name, .first_chg = (uint32_t)pb->nchgs };
	o->folders = pb_grow(o->folders, &o->capfolders, o->nfolders + 1, sizeof *o->folders);
	o->folders[o->nfolders++] = f;
	pb_map_put(&pb->foldermap, key, f);
	return f;
}

static void pb_record_mail(struct playback *pb, const struct trace_mail *m)
{
	if (pb->nchgs >= PB_MAX_INDEX || pb->nfolders >= PB_MAX_INDEX - 1)
		return;
	uint32_t oname = pb_intern(pb, m->owner ? m->owner : "");
	uint32_t inbox = pb_intern(pb, "INBOX");
	uint32_t fname = m->folder ? pb_intern(pb, m->folder) : inbox;
	uint32_t o = pb_map_get(&pb->ownermap, oname);
	if (o == PB_NONE) {
		pb->owners = pb_grow(pb->owners, &pb->capowners, pb->nowners + 1,
				     sizeof *pb->owners);
		o = (uint32_t)pb->nowners++;
		pb->owners[o] = (struct pb_owner){
			.name = oname, .device = m->device, .first_chg = (uint32_t)pb->nchgs
		};
		pb_map_put(&pb->ownermap, oname, o);
		pb_folder_get(pb, o, inbox); /* INBOX first */
	}
	uint32_t f = pb_folder_get(pb, o, fname);
	struct pb_chg c = {
		.step = (uint32_t)pb->nsteps, /* the step that comes next */
		.folder = f,
		.uid = m->uid,
		.flags = m->flags,
		.op = (uint8_t)m->op,
	};
	if (m->op == MAIL_ADD) {
		c.from = pb_intern(pb, m->from);
		c.subject = pb_intern(pb, m->subject);
		c.auth = pb_intern(pb, m->auth);
		c.content = pb_intern_n(pb, m->content ? m->content : "",
					m->content ? m->content_len : 0);
	}
	pb->chgs = pb_grow(pb->chgs, &pb->capchgs, pb->nchgs + 1, sizeof *pb->chgs);
	pb->chgs[pb->nchgs++] = c;
}

/* The words between "FILE:LINE" and the check in sim/checks.c's format,
 * in the language chosen (": passed: ", ": passou: "): what follows the
 * "%d" of fmt up to its last "%s". */
static size_t pb_verdict(const char *fmt, char *out, size_t cap)
{
	const char *d = strstr(fmt, "%d");
	const char *s = d ? strstr(d + 2, "%s") : NULL;
	size_t n = s ? (size_t)(s - (d + 2)) : 0;
	if (n >= cap)
		n = 0;
	memcpy(out, d ? d + 2 : "", n);
	out[n] = '\0';
	return n;
}

/* A "check-passed" / "check-failed" event: its result, not a step.  The
 * text is "FILE:LINE: passed: expect ..." (sim/checks.c, translated); the
 * check is what follows the verdict. */
static bool pb_record_check(struct playback *pb, const struct trace_rec *r)
{
	if (!r->event || !r->from || strcmp(r->from, "check") != 0)
		return false;
	bool passed = strcmp(r->event, "check-passed") == 0;
	if (!passed && strcmp(r->event, "check-failed") != 0)
		return false;
	const char *t = r->text ? r->text : "";
	size_t n = r->text ? r->text_len : 0;
	char verdict[64];
	/* TRANSLATORS: FILE:LINE: passed: THE CHECK (as written in the scenario) */
	size_t vn = pb_verdict(passed ? _("%s:%d: passed: %s") : _("%s:%d: FAILED: %s"), verdict,
			       sizeof verdict);
	for (size_t i = 0; i + vn <= n; i++)
		if (memcmp(t + i, verdict, vn) == 0) {
			t += i + vn;
			n -= i + vn;
			break;
		}
	pb->checks = pb_grow(pb->checks, &pb->capchecks, pb->nchecks + 1, sizeof *pb->checks);
	pb->checks[pb->nchecks++] = (struct pb_check){ pb_intern_n(pb, t, n), passed };
	return true;
}

size_t pb_nblocks(const struct playback *pb)
{
	return pb->nblocks;
}

bool pb_get_block(const struct playback *pb, size_t b, struct pb_block *out)
{
	if (b >= pb->nblocks || !out)
		return false;
	*out = pb->blocks[b];
	return true;
}

size_t pb_block_line_no(const struct playback *pb, size_t i)
{
	if (i >= pb->nsteps || pb->steps[i].block == PB_NONE)
		return 0;
	uint32_t b = pb->steps[i].block;
	size_t k = 1;
	for (uint32_t q = pb->steps[i].sess_prev; q != PB_NONE && pb->steps[q].block == b;
	     q = pb->steps[q].sess_prev)
		k++;
	return k;
}

size_t pb_nchecks(const struct playback *pb)
{
	return pb->nchecks;
}

const char *pb_check(const struct playback *pb, size_t i, bool *passed)
{
	if (i >= pb->nchecks)
		return NULL;
	if (passed)
		*passed = pb->checks[i].passed;
	return pb_str(pb, pb->checks[i].text);
}

void pb_sink(void *ctx, const struct trace_rec *r)
{
	struct playback *pb = ctx;
	if (!pb || !r)
		return;
	if (r->mail) {
		pb_record_mail(pb, r->mail);
		return;
	}
	if (pb_record_check(pb, r))
		return; /* a check's result: not a step */
	if (pb->nsteps >= PB_MAX_INDEX)
		return; /* four billion steps: the rest is not kept */
	if (pb->live && r->event && r->from && r->to && strcmp(r->event, "connect") == 0 &&
	    pb_host_find(pb, r->from) == PB_NONE && pb_host_find(pb, r->to) != PB_NONE)
		pb_add_host(pb, r->from, false, NULL, r->to); /* a real client, on the map */
	const char *text = r->text ? r->text : "";
	size_t len = r->text ? r->text_len : 0;
	uint32_t i = (uint32_t)pb->nsteps;
	struct pb_rec s = {
		.t_us = r->t_us,
		.text = pb_intern_n(pb, text, len),
		.note = pb_intern(pb, r->note),
		.event = pb_intern(pb, r->event),
		.ends = pb_pair(pb, pb_intern(pb, r->from), pb_intern(pb, r->to)),
		.session = r->session,
		.sess_prev = PB_NONE,
		.sess_next = PB_NONE,
		.proto = (uint8_t)r->proto,
		.dir = (uint8_t)r->dir,
	};
	int64_t arrive = r->event ? r->t_us : r->arrive_us;
	uint64_t dt = (uint64_t)arrive - (uint64_t)r->t_us;
	if (arrive >= r->t_us && dt < PB_ARRIVE_FAR) {
		s.arrive_dt = (uint32_t)dt;
	} else {
		s.arrive_dt = PB_ARRIVE_FAR;
		pb->far = pb_grow(pb->far, &pb->capfar, pb->nfar + 1, sizeof *pb->far);
		pb->far[pb->nfar++] = (struct pb_far){ i, arrive };
	}
	struct pb_sess *st = pb_session(pb, r->session);
	s.block = PB_NONE;
	if (st) {
		s.sess_prev = st->last_step;
		if (st->last_step != PB_NONE)
			pb->steps[st->last_step].sess_next = i;
		st->last_step = i;
	}
	bool content = false;
	if (!r->event) {
		bool reply = false;
		switch (r->proto) {
		case PROTO_SMTP:
			reply = pb_smtp_line(st, r->dir, text, len, &content);
			break;
		case PROTO_POP3:
			reply = pb_pop3_line(st, r->dir, text, len, &content);
			break;
		case PROTO_IMAP:
			reply = pb_imap_line(st, r->dir, text, len, &content);
			break;
		case PROTO_NONE:
		case PROTO_DNS:
			break;
		}
		if (reply)
			s.bits |= PB_BIT_REPLY;
	} else if (strcmp(r->event, "note") == 0) {
		s.bits |= PB_BIT_NOTE;
	}
	if (!r->event && r->tls)
		s.bits |= PB_BIT_TLS;
	if (st)
		pb_block_line(pb, st, &s, i, content ? len : SIZE_MAX);
	pb->steps = pb_grow(pb->steps, &pb->capsteps, pb->nsteps + 1, sizeof *pb->steps);
	pb->steps[pb->nsteps++] = s;
}

void pb_set_live(struct playback *pb, bool live)
{
	if (pb)
		pb->live = live;
}

/* ---- steps ---- */

size_t pb_nsteps(const struct playback *pb)
{
	return pb->nsteps;
}

/* The first change that belongs to a step after `step` (the last step
 * takes every change recorded after it too). */
static size_t pb_chg_end(const struct playback *pb, size_t step)
{
	if (pb->nsteps && step >= pb->nsteps - 1)
		return pb->nchgs;
	size_t lo = 0, hi = pb->nchgs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pb->chgs[mid].step <= step)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int64_t pb_arrive(const struct playback *pb, size_t i)
{
	const struct pb_rec *s = &pb->steps[i];
	if (s->arrive_dt != PB_ARRIVE_FAR)
		return s->t_us + (int64_t)s->arrive_dt;
	size_t lo = 0, hi = pb->nfar;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pb->far[mid].step < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pb->nfar && pb->far[lo].step == i ? pb->far[lo].arrive_us : s->t_us;
}

bool pb_get_step(const struct playback *pb, size_t i, struct pb_step *out)
{
	if (!pb || !out || i >= pb->nsteps)
		return false;
	const struct pb_rec *s = &pb->steps[i];
	const struct pb_pair *e = &pb->pairs[s->ends];
	*out = (struct pb_step){
		.index = i,
		.t_us = s->t_us,
		.arrive_us = pb_arrive(pb, i),
		.from = pb->strs[e->from].host,
		.to = pb->strs[e->to].host,
		.from_name = pb_str(pb, e->from),
		.to_name = pb_str(pb, e->to),
		.proto = (enum trace_proto)s->proto,
		.dir = (enum trace_dir)s->dir,
		.event = pb_str(pb, s->event),
		.text = pb_str(pb, s->text),
		.text_len = pb->strs[s->text].len,
		.note = pb_str(pb, s->note),
		.session = s->session,
		.is_reply = s->bits & PB_BIT_REPLY,
		.is_note = s->bits & PB_BIT_NOTE,
		.tls = s->bits & PB_BIT_TLS,
		.block = s->block == PB_NONE ? SIZE_MAX : s->block,
	};
	/* step 0 also brings the changes recorded before any step */
	size_t first = i == 0 ? 0 : pb_chg_end(pb, i - 1);
	out->changes = (uint32_t)(pb_chg_end(pb, i) - first);
	return true;
}

size_t pb_session_prev(const struct playback *pb, size_t i)
{
	if (!pb || i >= pb->nsteps || pb->steps[i].sess_prev == PB_NONE)
		return SIZE_MAX;
	return pb->steps[i].sess_prev;
}

size_t pb_session_next(const struct playback *pb, size_t i)
{
	if (!pb || i >= pb->nsteps || pb->steps[i].sess_next == PB_NONE)
		return SIZE_MAX;
	return pb->steps[i].sess_next;
}

/* A linear scan from from + 1 (from = SIZE_MAX: from the first step) that
 * stops at the first match: O(distance to the match). */
size_t pb_find_next(const struct playback *pb, size_t from, bool (*match)(const struct pb_step *))
{
	if (!pb || !match)
		return SIZE_MAX;
	struct pb_step s;
	for (size_t i = from == SIZE_MAX ? 0 : from + 1; i < pb->nsteps; i++)
		if (pb_get_step(pb, i, &s) && match(&s))
			return i;
	return SIZE_MAX;
}

/* The same backwards from from - 1 (from = SIZE_MAX or past the end: from
 * the last step).  O(distance to the match). */
size_t pb_find_prev(const struct playback *pb, size_t from, bool (*match)(const struct pb_step *))
{
	if (!pb || !match)
		return SIZE_MAX;
	struct pb_step s;
	size_t i = from > pb->nsteps ? pb->nsteps : from;
	while (i-- > 0)
		if (pb_get_step(pb, i, &s) && match(&s))
			return i;
	return SIZE_MAX;
}

bool pb_step_shown(const struct pb_step *s, enum trace_proto proto)
{
	return proto == PROTO_NONE || s->proto == proto;
}

size_t pb_next_of(const struct playback *pb, size_t from, enum trace_proto proto)
{
	if (!pb)
		return SIZE_MAX;
	struct pb_step s;
	for (size_t i = from == SIZE_MAX ? 0 : from + 1; i < pb->nsteps; i++)
		if (pb_get_step(pb, i, &s) && pb_step_shown(&s, proto))
			return i;
	return SIZE_MAX;
}

size_t pb_prev_of(const struct playback *pb, size_t from, enum trace_proto proto)
{
	if (!pb)
		return SIZE_MAX;
	struct pb_step s;
	size_t i = from > pb->nsteps ? pb->nsteps : from;
	while (i-- > 0)
		if (pb_get_step(pb, i, &s) && pb_step_shown(&s, proto))
			return i;
	return SIZE_MAX;
}

/* ---- the model ---- */

/* The first entry with uid >= `uid` (lower) or > `uid` (upper). */
static size_t pb_bound(const struct pb_folder *f, uint32_t uid, bool upper)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->v[mid].uid < uid || (upper && f->v[mid].uid == uid))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry with this nonzero uid, or SIZE_MAX. */
static size_t pb_entry_find(const struct pb_folder *f, uint32_t uid)
{
	if (!uid)
		return SIZE_MAX; /* POP3 downloads have no name to change them by */
	size_t p = pb_bound(f, uid, false);
	return p < f->n && f->v[p].uid == uid ? p : SIZE_MAX;
}

static void pb_entry_insert(struct pb_folder *f, size_t p, struct pb_entry e)
{
	f->v = pb_grow(f->v, &f->cap, f->n + 1, sizeof *f->v);
	memmove(f->v + p + 1, f->v + p, (f->n - p) * sizeof *f->v);
	f->v[p] = e;
	f->n++;
}

static void pb_entry_erase(struct pb_folder *f, size_t p)
{
	memmove(f->v + p, f->v + p + 1, (f->n - p - 1) * sizeof *f->v);
	f->n--;
}

static void pb_undo_push(struct playback *pb, struct pb_entry e)
{
	pb->undo = pb_grow(pb->undo, &pb->capundo, pb->nundo + 1, sizeof *pb->undo);
	pb->undo[pb->nundo++] = e;
}

/* The place in f of the message change c is about, its entry kept for the
 * undo (c->undo_n 1); SIZE_MAX, nothing kept, when f has no such message. */
static size_t pb_entry_keep(struct playback *pb, struct pb_chg *c, struct pb_folder *f)
{
	size_t p = pb_entry_find(f, c->uid);
	if (p != SIZE_MAX) {
		pb_undo_push(pb, f->v[p]);
		c->undo_n = 1;
	}
	return p;
}

/* The step a change shows at: its tag, except that a change recorded after
 * the last step shows at the last step. */
static uint32_t pb_chg_step(const struct playback *pb, const struct pb_chg *c)
{
	if (pb->nsteps && c->step >= pb->nsteps)
		return (uint32_t)(pb->nsteps - 1);
	return c->step;
}

static void pb_apply(struct playback *pb, size_t ci)
{
	struct pb_chg *c = &pb->chgs[ci];
	struct pb_folder *f = &pb->folders[c->folder];
	size_t p;
	c->undo_n = 0;
	switch ((enum trace_mail_op)c->op) {
	case MAIL_ADD: {
		struct pb_entry e = { c->uid, c->flags, (uint32_t)ci, pb_chg_step(pb, c) };
		p = pb_entry_keep(pb, c, f);
		if (p != SIZE_MAX) {
			f->v[p] = e;
		} else {
			pb_entry_insert(f, pb_bound(f, c->uid, true), e);
		}
		break;
	}
	case MAIL_REMOVE:
		p = pb_entry_keep(pb, c, f);
		if (p != SIZE_MAX)
			pb_entry_erase(f, p);
		break;
	case MAIL_FLAGS:
	case MAIL_MARK:
	case MAIL_UNMARK:
		p = pb_entry_keep(pb, c, f);
		if (p != SIZE_MAX) {
			uint32_t mark = f->v[p].flags & PB_FLAG_MARKED; /* FLAGS keeps it */
			f->v[p].flags = c->op == MAIL_MARK     ? f->v[p].flags | PB_FLAG_MARKED
					: c->op == MAIL_UNMARK ? f->v[p].flags & ~PB_FLAG_MARKED
							       : c->flags | mark;
			f->v[p].changed_at = pb_chg_step(pb, c);
		}
		break;
	case MAIL_CLEAR:
		pb->undo = pb_grow(pb->undo, &pb->capundo, pb->nundo + f->n, sizeof *pb->undo);
		if (f->n)
			memcpy(pb->undo + pb->nundo, f->v, f->n * sizeof *f->v);
		pb->nundo += f->n;
		c->undo_n = (uint32_t)f->n;
		f->n = 0;
		break;
	}
}

/* Undo change ci, the last one applied: the model is as it left it. */
static void pb_unapply(struct playback *pb, size_t ci)
{
	struct pb_chg *c = &pb->chgs[ci];
	struct pb_folder *f = &pb->folders[c->folder];
	size_t p;
	if (c->undo_n > pb->nundo)
		abort(); /* a broken invariant: undo out of order */
	switch ((enum trace_mail_op)c->op) {
	case MAIL_ADD:
		if (c->undo_n) {
			p = pb_entry_find(f, c->uid);
			f->v[p] = pb->undo[--pb->nundo];
		} else {
			p = pb_bound(f, c->uid, true); /* the ADD went last among equal uids */
			if (p == 0)
				abort();
			pb_entry_erase(f, p - 1);
		}
		break;
	case MAIL_REMOVE:
		if (c->undo_n) {
			struct pb_entry e = pb->undo[--pb->nundo];
			pb_entry_insert(f, pb_bound(f, e.uid, false), e);
		}
		break;
	case MAIL_FLAGS:
	case MAIL_MARK:
	case MAIL_UNMARK:
		if (c->undo_n) {
			struct pb_entry e = pb->undo[--pb->nundo];
			f->v[pb_entry_find(f, e.uid)] = e;
		}
		break;
	case MAIL_CLEAR:
		f->v = pb_grow(f->v, &f->cap, c->undo_n, sizeof *f->v);
		pb->nundo -= c->undo_n;
		if (c->undo_n)
			memcpy(f->v, pb->undo + pb->nundo, c->undo_n * sizeof *f->v);
		f->n = c->undo_n;
		break;
	}
	c->undo_n = 0;
}

void pb_seek(struct playback *pb, size_t i)
{
	if (!pb)
		return;
	if (pb->nsteps == 0)
		i = SIZE_MAX; /* no step to show changes at */
	else if (i != SIZE_MAX && i >= pb->nsteps)
		i = pb->nsteps - 1;
	size_t target = i == SIZE_MAX ? 0 : pb_chg_end(pb, i);
	while (pb->napplied < target)
		pb_apply(pb, pb->napplied++);
	while (pb->napplied > target)
		pb_unapply(pb, --pb->napplied);
	pb->pos = i;
}

size_t pb_position(const struct playback *pb)
{
	return pb->pos;
}

size_t pb_nowners(const struct playback *pb)
{
	/* owners are created in change order: the shown ones are a prefix */
	size_t lo = 0, hi = pb->nowners;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pb->owners[mid].first_chg < pb->napplied)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *pb_owner(const struct playback *pb, size_t i, bool *device)
{
	if (i >= pb_nowners(pb))
		return NULL;
	if (device)
		*device = pb->owners[i].device;
	return pb_str(pb, pb->owners[i].name);
}

size_t pb_nfolders(const struct playback *pb, size_t owner)
{
	if (owner >= pb_nowners(pb))
		return 0;
	const struct pb_owner *o = &pb->owners[owner];
	size_t n = 0;
	while (n < o->nfolders && pb->folders[o->folders[n]].first_chg < pb->napplied)
		n++; /* a few folders per owner */
	return n;
}

static const struct pb_folder *pb_folder_at(const struct playback *pb, size_t owner,
					     size_t folder)
{
	if (folder >= pb_nfolders(pb, owner))
		return NULL;
	return &pb->folders[pb->owners[owner].folders[folder]];
}

const char *pb_folder(const struct playback *pb, size_t owner, size_t folder)
{
	const struct pb_folder *f = pb_folder_at(pb, owner, folder);
	return f ? pb_str(pb, f->name) : NULL;
}

size_t pb_nmsgs(const struct playback *pb, size_t owner, size_t folder)
{
	const struct pb_folder *f = pb_folder_at(pb, owner, folder);
	return f ? f->n : 0;
}

bool pb_get_msg(const struct playback *pb, size_t owner, size_t folder, size_t i,
		struct pb_msg *out)
{
	const struct pb_folder *f = pb_folder_at(pb, owner, folder);
	if (!f || i >= f->n || !out)
		return false;
	const struct pb_entry *e = &f->v[i];
	const struct pb_chg *add = &pb->chgs[e->add];
	*out = (struct pb_msg){
		.uid = e->uid,
		.flags = e->flags & ~PB_FLAG_MARKED,
		.marked = (e->flags & PB_FLAG_MARKED) != 0,
		.from = pb_str(pb, add->from),
		.subject = pb_str(pb, add->subject),
		.auth = pb_str(pb, add->auth),
		.content = add->content ? pb_str(pb, add->content) : "",
		.content_len = pb->strs[add->content].len,
		.changed_at = e->changed_at,
	};
	return true;
}
