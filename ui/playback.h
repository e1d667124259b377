/*
 * playback.h - a recorded run, for the player: every trace record kept
 * compactly, the steps a class walks through, and the mailboxes as they
 * were after any step.
 *
 * The simulation runs to its end first (it is fast), with pb_sink as a
 * trace sink.  Then the player moves a cursor over the steps.  Moving
 * backwards is replaying the records the other way: each mailbox change
 * remembers what it replaced the first time it was applied, so going back
 * is exact and costs only the changes passed over - never a walk over the
 * whole trace.  No curses here: the model is tested on its own.
 */
#ifndef MAILSIM_PLAYBACK_H
#define MAILSIM_PLAYBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define PB_NONE UINT32_MAX

/* A host of the world, for the map. */
struct pb_host {
	const char *name;
	bool server;             /* a mail server (else a device) */
	const char *owner;       /* a device's owner address, or NULL */
	uint32_t home;           /* a device's server (host index), or PB_NONE */
};

/* A link of the world, for the map. */
struct pb_link {
	uint32_t a, b;           /* host indexes */
	int64_t latency_us;
};

/* One step, with its strings resolved (valid while the playback lives). */
struct pb_step {
	size_t index;            /* 0-based step number */
	int64_t t_us;            /* simulated time it was sent (or happened) */
	int64_t arrive_us;       /* a line: when it arrived; else t_us */
	uint32_t from, to;       /* host indexes; PB_NONE if not a host ("dns", "story") */
	const char *from_name, *to_name; /* as recorded ("dns", "story", "check"...) */
	enum trace_proto proto;
	enum trace_dir dir;
	const char *event;       /* NULL for a protocol line */
	const char *text;
	size_t text_len;
	const char *note;        /* NULL if none */
	uint32_t session;        /* connection id, 0 if none */
	bool is_reply;           /* a server's reply line that ends a reply (for quiz mode):
				  * SMTP "NNN text" (not "NNN-"), POP3 "+OK"/"-ERR" first line,
				  * IMAP tagged "tag OK|NO|BAD" line */
	bool is_note;            /* a scenario `note` (a banner that pauses auto-play) */
	bool tls;                /* a line sent inside TLS: on the wire an opaque record */
	size_t block;            /* the message body it is a line of (pb_get_block), or SIZE_MAX */
	uint32_t changes;        /* how many mailbox changes this step brings */
};

/* A message as a mailbox or a device holds it at the current step. */
struct pb_msg {
	uint32_t uid;
	uint32_t flags;          /* STORE_FLAG_* */
	bool marked;             /* POP3 DELE marked it: it goes at QUIT, unless RSET or a
				  * session without QUIT undoes the mark (MAIL_MARK) */
	const char *from, *subject;
	const char *auth;        /* the receiving server's results ("spf=pass dkim=fail
				  * dmarc=fail"), or NULL if it verified nothing */
	const char *content;
	size_t content_len;
	size_t changed_at;       /* the step that last added or changed it (for flashing) */
};

struct playback;

struct playback *pb_new(void);
void pb_free(struct playback *pb);

/* The world's hosts and links, given before the run (names are copied). */
uint32_t pb_add_host(struct playback *pb, const char *name, bool server, const char *owner,
		     const char *home_server);
void pb_add_link(struct playback *pb, const char *a, const char *b, int64_t latency_us);
size_t pb_nhosts(const struct playback *pb);
const struct pb_host *pb_host(const struct playback *pb, uint32_t i);
size_t pb_nlinks(const struct playback *pb);
const struct pb_link *pb_link(const struct playback *pb, size_t i);
uint32_t pb_host_find(const struct playback *pb, const char *name); /* or PB_NONE */

/* The trace sink that records the run (ctx = the playback). */
void pb_sink(void *ctx, const struct trace_rec *r);

/* Live mode (`mailsim serve` on a terminal): the playback records while
 * the world runs, and real clients appear as they connect.  With live on,
 * pb_sink adds the unknown client of a "connect" event as a device whose
 * home is the server it connected to.  Off by default (`play`). */
void pb_set_live(struct playback *pb, bool live);

/* Steps: every record except mailbox changes and check results, in order. */
size_t pb_nsteps(const struct playback *pb);
bool pb_get_step(const struct playback *pb, size_t i, struct pb_step *out);

/* Message bodies, which the views fold into one row: the runs of a
 * session's lines that carry a message - SMTP's after 354 up to the ".",
 * a POP3 RETR or TOP answer's between +OK and ".", an IMAP literal's
 * (FETCH BODY[] from the server, APPEND from the client) - each a block
 * from its first to its last line (the "." and the lines around are not
 * in it).  Lines of other sessions may come between them in the run. */
struct pb_block {
	size_t first, last;      /* steps */
	size_t lines;
	uint64_t octets;         /* each line with its CRLF */
};
size_t pb_nblocks(const struct playback *pb);
bool pb_get_block(const struct playback *pb, size_t b, struct pb_block *out);
/* Step i's line number in its block, from 1 (0 if not in one).  O(that number). */
size_t pb_block_line_no(const struct playback *pb, size_t i);

/* The results of the scenario's checks (`expect`), which the simulation
 * tells at the end as "check-passed" / "check-failed" events from "check":
 * kept apart, not steps (the class does not walk through them).  The text
 * is the check itself, "expect reply 250" (for a failed one with what was
 * found, in parentheses), without the file, line and verdict. */
size_t pb_nchecks(const struct playback *pb);
const char *pb_check(const struct playback *pb, size_t i, bool *passed);

/* The cursor: the mailboxes as they were after step i (i = SIZE_MAX: before
 * the first step).  Cost: the mailbox changes between the old and the new
 * position. */
void pb_seek(struct playback *pb, size_t i);
size_t pb_position(const struct playback *pb);

/* The mailbox model at the cursor.  Owners in order of first appearance
 * (server mailboxes and devices alike), their folders in order of first
 * appearance (INBOX first), and the messages of a folder in UID order
 * (POP3 downloads, uid 0, in arrival order). */
size_t pb_nowners(const struct playback *pb);
const char *pb_owner(const struct playback *pb, size_t i, bool *device);
size_t pb_nfolders(const struct playback *pb, size_t owner);
const char *pb_folder(const struct playback *pb, size_t owner, size_t folder);
size_t pb_nmsgs(const struct playback *pb, size_t owner, size_t folder);
bool pb_get_msg(const struct playback *pb, size_t owner, size_t folder, size_t i,
		struct pb_msg *out);

/* The ladder: the steps of the same session before and after step i
 * (SIZE_MAX when there is none), so that a view can draw a window of a
 * conversation without walking the trace. */
size_t pb_session_prev(const struct playback *pb, size_t i);
size_t pb_session_next(const struct playback *pb, size_t i);

/* The next / previous step that is a scenario `note`, a reply, ... */
size_t pb_find_next(const struct playback *pb, size_t from, bool (*match)(const struct pb_step *));
/* The same backwards, from from - 1 (from = SIZE_MAX: from the last step). */
size_t pb_find_prev(const struct playback *pb, size_t from, bool (*match)(const struct pb_step *));

/* The protocol filter of the timeline (and of stepping): the next / the
 * previous step of protocol proto (PROTO_NONE: any step), from from + 1
 * (from = SIZE_MAX: from the first) / from from - 1 (from = SIZE_MAX: from
 * the last); SIZE_MAX when there is none.  O(distance to the match). */
bool pb_step_shown(const struct pb_step *s, enum trace_proto proto);
size_t pb_next_of(const struct playback *pb, size_t from, enum trace_proto proto);
size_t pb_prev_of(const struct playback *pb, size_t from, enum trace_proto proto);

#endif
