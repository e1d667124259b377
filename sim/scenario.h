/*
 * scenario.h - the scenario language (.scn): parser and syntax tree.
 *
 * The language is specified in SCENARIOS.md (version 1) and documented as
 * built in the README.  The parser reads the whole file, reports every
 * error it finds as "FILE:LINE:COL: error: MESSAGE", and hands back a tree
 * only if there was none.  It also checks meaning (unknown device, a user
 * of an undeclared domain, duplicate names...), so that a tree it returns
 * can be played without surprises.
 *
 * The parser is a family of files sharing one private header,
 * scenario_int.h (the parser's state, tokens, the error helpers), which
 * nothing outside the family includes:
 *
 *   scenario_base.c     collecting errors, typo suggestions, building
 *                       and freeing the tree, look-ups
 *   scenario_lex.c      steps 1 and 2: lines (UTF-8 and control bytes
 *                       checked), tokens and strings, reading tokens as
 *                       names, numbers, durations and rates
 *   scenario_resolve.c  step 4: the names used, checked against the
 *                       declarations once every line is read
 *   scenario_parse.c    step 3: the header (title, seed, exercise...)
 *                       and the world
 *   scenario_story.c    step 3: the actions, session blocks and checks
 *   scenario.c          the entry points below (printing the errors),
 *                       the directive table, `repeat`
 *
 * each calling only those above it (scenario_int.h says more).
 */
#ifndef MAILSIM_SCENARIO_H
#define MAILSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct scn_pos {
	int line; /* 1-based */
	int col;  /* 1-based, in bytes */
};

struct scn_domain {
	struct scn_pos pos;
	char *name;   /* "uea.edu.br" */
	char *server; /* "mail.uea.edu.br" */
};

struct scn_user {
	struct scn_pos pos;
	char *address;  /* "alice@uea.edu.br" */
	char *password;
	char *name;     /* display name or NULL */
};

struct scn_device {
	struct scn_pos pos;
	char *name;
	char *owner;    /* an address declared by `user` */
};

struct scn_link {
	struct scn_pos pos;
	char *a, *b;             /* host names (devices or servers) */
	int64_t latency_us;      /* -1 if not given (default applies) */
	int64_t bandwidth_bps;   /* bits per second, 0 = unlimited */
	uint32_t loss_ppm;       /* loss in parts per million (1.5% = 15000) */
	char *tamper;            /* ext: the line a relay on the link adds to every
				  * SMTP message body from a to b, or NULL */
};

/* The longest tampered line: a body line is at most 998 octets before its
 * CRLF (RFC 5321 4.5.3.1.6), one of them the dot that stuffing may add. */
#define SCN_TAMPER_MAX 997

/* Extension: `retry [HOST] after DUR [backoff N] [attempts N]` sets how a
 * server's relay queue retries a temporary failure. */
struct scn_retry {
	struct scn_pos pos;
	char *server;            /* NULL = every server */
	int64_t first_us;        /* delay before the first retry */
	int backoff;             /* each delay is the previous times this */
	int attempts;            /* attempts in all before a bounce */
};

/* Extension: `tls HOST`: that server offers STARTTLS on its services, and
 * the simulated clients use it (the trace marks what TLS would hide). */
struct scn_tls {
	struct scn_pos pos;
	char *server;
};

/* Extension: `mail ADDR from ADDR subject "..." [folder F] [date "..."]
 * [flags FLAG...] [body "..."] [on DEVICE...]`: a message already in a
 * mailbox when the story starts (and, with `on`, already on devices). */
struct scn_mail {
	struct scn_pos pos;
	char *address;           /* the mailbox: a declared user */
	char *folder;            /* "INBOX" unless given */
	char *from;              /* any address */
	char *subject;
	char *body;              /* "" unless given */
	bool has_date;
	int64_t date;            /* Unix seconds, before SCN_STORY_START_UNIX */
	char **flags;            /* "\\Seen", "$Label1"... as parse_flag spells them */
	size_t nflags;
	char **devices;          /* devices of the mailbox's owner holding a copy */
	size_t ndevices;
};

/* Extensions for mail authentication (SCENARIOS.md):
 *   `dkim DOMAIN selector SEL [algorithm rsa-sha256|ed25519-sha256]
 *    [canonicalization relaxed|simple|H/B] [key "FILE.pem"]`  the domain's server signs what its users submit;
 *   `txt NAME "TEXT" ["TEXT"...]`  a TXT record of the simulated DNS, its
 *    strings joined (RFC 7208 3.3);
 *   `verify [HOST] [spf] [dkim] [dmarc]`  the server checks mail on port 25. */
enum scn_dkim_alg { SCN_DKIM_RSA_SHA256, SCN_DKIM_ED25519_SHA256 };

struct scn_dkim {
	struct scn_pos pos;
	char *domain;            /* a declared domain */
	char *selector;          /* "mail2026" */
	enum scn_dkim_alg alg;   /* rsa-sha256 unless given */
	bool hsimple, bsimple;   /* `canonicalization` (c=): simple for the
				  * header, the body; relaxed unless given */
	char *key_file;          /* a PEM private key, or NULL: made from the seed */
	struct scn_pos key_pos;  /* where the file was named, for errors */
};

#define SCN_TXT_STRING_MAX 255 /* RFC 1035 3.3: one <character-string> */

struct scn_txt {
	struct scn_pos pos;
	char *name;              /* "_dmarc.gmail.com" */
	char *text;              /* the strings joined */
};

struct scn_verify {
	struct scn_pos pos;
	char *server;            /* NULL = every server */
	bool spf, dkim, dmarc;
};

/* Simulated time 0: Monday 2 March 2026 09:00 UTC (world.h's
 * WORLD_EPOCH_UNIX is the same); a `mail` date must be before it. */
#define SCN_STORY_START_UNIX INT64_C(1772442000)

enum scn_action_kind {
	SCN_SEND,
	SCN_POP3_FETCH,   /* keep: leave on the server */
	SCN_IMAP_SYNC,
	SCN_IMAP_OPEN,
	SCN_IMAP_CLOSE,
	SCN_IMAP_READ,    /* msgno */
	SCN_IMAP_FLAG,    /* msgno, flag */
	SCN_IMAP_CREATE,  /* folder */
	SCN_IMAP_MOVE,    /* msgno, folder */
	SCN_IMAP_DELETE,  /* msgno */
	SCN_WAIT,         /* duration */
	SCN_WAIT_IDLE,
	SCN_LINK_STATE,   /* a, b, up */
	SCN_SERVER_STATE, /* a (server), up */
	SCN_NOTE,         /* text */
	SCN_QUIZ,         /* text (the question), reply, choices, answer */
	SCN_SESSION,      /* device, server, port, lines */
};

enum scn_port {
	SCN_PORT_SMTP,       /* 25 */
	SCN_PORT_SUBMISSION, /* 587 */
	SCN_PORT_POP3,       /* 110 */
	SCN_PORT_IMAP,       /* 143 */
};

struct scn_session_line {
	struct scn_pos pos;
	char *text;          /* sent verbatim, CRLF added */
};

struct scn_action {
	enum scn_action_kind kind;
	struct scn_pos pos;
	long repeat;         /* 1, or N for `repeat N ...` ({i} = 1..N in strings) */

	char *device;        /* send, pop3, imap, session */

	/* send */
	char **to;           /* addresses */
	size_t nto;
	char **cc;
	size_t ncc;
	char **bcc;          /* extension: `bcc A[, B]` */
	size_t nbcc;
	char *subject;       /* UTF-8, may contain {i} */
	char *body;          /* UTF-8, may contain {i} and newlines */

	/* pop3 */
	bool keep;

	/* imap */
	long msgno;
	char *flag;          /* "\\Flagged", "$Label1" ... */
	char *folder;

	/* wait */
	int64_t duration_us;

	/* link / server state */
	char *host_a, *host_b;
	bool up;

	/* note; quiz: the question */
	char *text;

	/* quiz: the reply it stands before (NULL: where it stands), and
	 * the choices with the right one (answer, 1-based; 0: no choices) */
	char *reply;         /* "550", "5.1.1", "+OK", "-ERR", "OK", "NO", "BAD", "+" */
	char **choices;
	size_t nchoices;
	long answer;

	/* session */
	char *server;
	enum scn_port port;
	struct scn_session_line *lines;
	size_t nlines;
};

enum scn_check_kind {
	SCN_EXPECT_MAILBOX_COUNT, /* address, folder (NULL = INBOX), count */
	SCN_EXPECT_MAILBOX_HAS,   /* address, folder, from/to/subject/flag (any NULL) */
	SCN_EXPECT_DEVICE_COUNT,  /* device, count */
	SCN_EXPECT_DEVICE_HAS,    /* device, from/to/subject/flag (extension) */
	SCN_EXPECT_REPLY,         /* reply_code (e.g. 550) or enhanced "5.1.1" */
	SCN_EXPECT_QUEUE_EMPTY,   /* host */
	SCN_EXPECT_QUEUE_COUNT,   /* host, count (extension) */
};

struct scn_check {
	enum scn_check_kind kind;
	struct scn_pos pos;
	char *source;        /* the check's line as written, for reports */
	char *address;
	char *folder;
	char *device;
	char *host;
	long count;
	char *from, *to, *subject;
	char *flag;          /* `has ... flag \Seen` (extension) */
	bool submitted;      /* `has ... submitted`: came in on a submission port,
			      * authenticated (extension) */
	char *header;        /* `has ... header "NAME" containing "TEXT"` (extension): */
	char *header_text;   /* a NAME: field whose value holds TEXT (any case) */
	int reply_code;      /* 0 if an enhanced code is given instead */
	char *reply_enh;     /* "5.1.1" or NULL */
};

#define SCN_ORDER_MAX 9999  /* `order N`: 1 to this */

struct scenario {
	char *file;          /* as given on the command line */
	char *title;         /* NULL if none */
	char **about;        /* paragraphs */
	size_t nabout;
	uint64_t seed;       /* default 1 */
	unsigned order;      /* `order N` (extension): the lesson's place in the
			      * menu, 1 to 9999; 0 if none (after those with one) */

	/* A lab exercise (`mailsim lab`): `exercise` marks the file as one,
	 * `task "..."` are the paragraphs of what the student must do, and
	 * `hint "..."` what the lab's report shows when a check fails. */
	bool exercise;
	char **tasks;
	size_t ntasks;
	char **hints;
	size_t nhints;

	struct scn_domain *domains;
	size_t ndomains;
	struct scn_user *users;
	size_t nusers;
	struct scn_device *devices;
	size_t ndevices;
	struct scn_link *links;
	size_t nlinks;
	struct scn_retry *retries;
	size_t nretries;
	struct scn_tls *tls;     /* servers that offer STARTTLS (extension) */
	size_t ntls;
	struct scn_mail *mails;  /* in file order: UIDs are given in it */
	size_t nmails;
	struct scn_dkim *dkims;
	size_t ndkims;
	struct scn_txt *txts;
	size_t ntxts;
	struct scn_verify *verifies;
	size_t nverifies;

	struct scn_action *actions;
	size_t nactions;
	struct scn_check *checks;
	size_t nchecks;
};

/* Parse; on success *out is the scenario and 0 is returned.  Otherwise the
 * number of errors is returned, each printed to errs as
 * "FILE:LINE:COL: error: MESSAGE", and *out is NULL. */
int scn_parse_file(const char *path, struct scenario **out, FILE *errs);
int scn_parse_string(const char *name, const char *text, size_t len,
		     struct scenario **out, FILE *errs);
void scn_free(struct scenario *s);

/* Look-ups used by the world and the checks. */
const struct scn_domain *scn_find_domain(const struct scenario *s, const char *domain);
const struct scn_user *scn_find_user(const struct scenario *s, const char *address);
const struct scn_device *scn_find_device(const struct scenario *s, const char *name);

/* Parse a duration ("250ms", "2s", "1.5s", "3m", "1h") into microseconds;
 * returns -1 if malformed. */
int64_t scn_parse_duration(const char *word);


#endif
