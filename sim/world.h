/*
 * world.h - the simulated world: hosts, links, connections, DNS, the mail
 * servers' behaviour, the user agents, the story and the checks.
 *
 * A world is built from a parsed scenario and played on the event loop.
 * Everything that happens is told to the trace; nothing here prints.
 *
 *   world.c       building the world (hosts, links, the table of services,
 *                 the store's mailboxes) and taking it down
 *   story.c       the story: one action after the other, the run
 *   checks.c      the `expect` lines, and the SMTP replies they ask about
 *                 (heard on the trace)
 *   agent.c       the user agents (send, POP3 fetch, IMAP) and raw
 *                 sessions; each tells whoever started it when it is done
 *   mailserver.c  the SMTP service (25, 587) and what a mail server does
 *                 around its engine: local delivery, relay queue, retries,
 *                 bounces
 *   maildrop.c    the POP3 service (110): lock, list, UPDATE
 *   imapd.c       the IMAP service (143): folders in the store, sessions
 *                 told of every committed change
 *   changes.c     a change to the mailboxes as one transaction (changes.h):
 *                 told to the trace and the IMAP sessions once committed
 *   net.c         connections (their life cycle) and the simulated
 *                 links: bytes in flight, latency, bandwidth, loss,
 *                 down/up; the simulated DNS; an arriving connection goes
 *                 to the service for its port
 *   sock.c        (sock.h) connections from real clients on sockets
 *   base.c        what all of them use: clock, random numbers, hosts, MX,
 *                 the service table's look-up, events, header summaries
 *   live.c        live mode (live.h): the servers on real sockets
 *   auth.c        mail authentication: the DKIM keys, signing on
 *                 submission, SPF/DKIM/DMARC checks on port 25
 *
 * Who calls whom: no two of them call each other.  A service is reached
 * through the table, a transport through its struct conn_transport, the
 * IMAP sessions through changes.c's listener, the story through an
 * agent's done: pointers, not calls.
 *
 *   world                        -> checks, net, changes, auth, base (and
 *                                   it lists the services' table entries)
 *   live                         -> story, sock, tls, auth, base
 *   sock                         -> net, tls (OpenSSL stays in tls.c)
 *   story                        -> agent, mailserver, net, base
 *   agent                        -> mailserver, net, changes, base
 *   mailserver                   -> auth, net, changes, base
 *   maildrop, imapd              -> net, changes, base
 *   auth                         -> net, base
 *   net, changes, checks         -> base
 *   base                         -> the trace and the scenario only
 *
 * (and any of them -> store, trace, event loop).
 */
#ifndef MAILSIM_WORLD_H
#define MAILSIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "changes.h"
#include "dkim.h"
#include "spf.h"
#include "event.h"
#include "scenario.h"
#include "store.h"
#include "trace.h"

/* Simulated time 0 is this instant: Monday 2 March 2026, 09:00 UTC, the
 * first class of a semester.  Date: headers count from here, so every run
 * writes the same dates. */
#define WORLD_EPOCH_UNIX INT64_C(1772442000)

#define PORT_SMTP 25
#define PORT_SUBMISSION 587
#define PORT_POP3 110
#define PORT_IMAP 143
/* Implicit TLS (RFC 8314 3.3, RFC 8314 7.3): the same services, encrypted
 * from the first byte; live mode only (sim/tls.c). */
#define PORT_SUBMISSIONS 465
#define PORT_IMAPS 993
#define PORT_POP3S 995

/* Defaults from SCENARIOS.md: device-server 10ms, server-server 50ms. */
#define LINK_DEVICE_LATENCY_US (10 * US_PER_MS)
#define LINK_SERVER_LATENCY_US (50 * US_PER_MS)
#define DNS_LATENCY_US (2 * US_PER_MS)          /* each way, to the resolver */
#define CONNECT_TIMEOUT_US (30 * US_PER_SEC)    /* no route: give up after */
#define TCP_MIN_RTO_US (200 * US_PER_MS)        /* retransmission timeout */
#define SMTP_SERVER_IDLE_TIMEOUT_US (300 * US_PER_SEC) /* RFC 5321 4.5.3.2.7 */
#define POP3_SERVER_IDLE_TIMEOUT_US (600 * US_PER_SEC) /* RFC 1939 3 */
#define IMAP_SERVER_AUTOLOGOUT_US (1800 * US_PER_SEC) /* RFC 3501 5.4 */
#define RETRY_FIRST_US (60 * US_PER_SEC)        /* first retry after 1 minute */
#define RETRY_BACKOFF 2
#define RETRY_ATTEMPTS 5

enum host_kind { HOST_SERVER, HOST_DEVICE };

struct host {
	char *name;
	enum host_kind kind;
	bool up;
	/* its simulated IPv4 address, dotted, from the documentation ranges
	 * (RFC 5737): servers 198.51.100.N, devices 192.0.2.N, N counting
	 * each kind in declaration order; "" for a live client (its real
	 * address is in its name) */
	char addr[16];

	/* a mail server */
	const char **domains; /* the domains it serves (MX for them) */
	size_t ndomains;
	int64_t retry_first_us;
	int retry_backoff;
	int retry_attempts;

	/* a device */
	const struct scn_user *owner;
	struct host *server;  /* where it submits and reads mail */
	int64_t device_id;    /* in the store */
	bool uses_imap;       /* reads mail with IMAP: keeps sent mail in Sent */
	bool tls;             /* a server that offers STARTTLS (`tls HOST`) */
	struct agent_imap *imap_open; /* its background IDLE session, if any */
	void *webapp;         /* a server: its http_app instance (httpd.c), or NULL */
};

struct link {
	struct host *a, *b;
	int64_t latency_us;
	int64_t bandwidth_bps;   /* 0 = unlimited */
	uint32_t loss_ppm;
	const char *tamper;      /* ext: a relay on the link adds this line to every
				  * SMTP message body from a to b (net.c), or NULL */
	bool up;
	int64_t busy_until_us[2]; /* per direction, for bandwidth: [0] a->b */
};

struct conn;
struct imapd;
struct agent_imap;

/*
 * A service of the mail servers: what listens on one port.  Each service
 * module exports its entry (mailserver.c: 25 and 587, maildrop.c: 110,
 * imapd.c: 143); the world holds the table, and the link layer hands a
 * connection that arrives to the entry for its port (world_service).
 */
struct service {
	int port;                       /* the well-known port: PORT_* */
	enum trace_proto proto;         /* what its connections speak */
	const char *name;               /* "SMTP", "submission", "POP3", "IMAP" */
	void (*accept)(struct conn *c); /* set up the server side of a new connection */
};

/*
 * An application the HTTP service (httpd.c, port 80 of every mail server)
 * serves: the webmail (webmail.c, `webmail_app`).  The world holds the
 * table (world.http_app); httpd.c runs the HTTP engine on each connection
 * and hands each whole request to the application of that server.
 */
struct http_request;
struct http_response;
typedef void (*http_app_done_fn)(void *done_ctx, struct http_response *rs);
struct http_app {
	/* The application on mail server `server`, made the first time a
	 * request reaches it (kept in host.webapp); `close` frees it when the
	 * world is freed. */
	void *(*open)(struct world *w, struct host *server);
	void (*close)(void *app);
	/* A whole request: fill rs (200, empty) and return true to answer now,
	 * or return false and call done(done_ctx, rs) once later (a form that
	 * sends mail waits for its SMTP session), unless cancel(app, done_ctx)
	 * came first: the connection went. */
	bool (*request)(void *app, const struct http_request *rq, struct http_response *rs,
			http_app_done_fn done, void *done_ctx);
	void (*cancel)(void *app, void *done_ctx);
};

/* A domain's DKIM key (a `dkim` line): the private key its server signs
 * with, and the TXT record the simulated DNS publishes at
 * SELECTOR._domainkey.DOMAIN (RFC 6376 3.6.2.1). */
struct world_dkim {
	const struct scn_dkim *scn;
	EVP_PKEY *key;
	char *name;  /* "sel._domainkey.gmail.com" */
	char *txt;   /* "v=DKIM1; k=rsa; p=..." */
};

/* The simulated DNS's record types (RFC 1035 3.2.2). */
enum dns_type { DNS_A, DNS_MX, DNS_TXT };
#define DNS_ANSWERS_MAX SPF_ANSWERS_MAX

/* One answer of the simulated DNS: n records (A: dotted addresses; MX:
 * host names; TXT: the record's strings joined), and whether the name
 * exists at all (NXDOMAIN when it does not). */
struct dns_answer {
	enum dns_type type;
	char name[SPF_NAME_MAX];
	bool exists;
	int n;
	char rr[DNS_ANSWERS_MAX][SPF_TXT_MAX];
};

/* What each end of a connection does with what reaches it. */
struct conn_ops {
	/* the other side's bytes have arrived */
	void (*data)(struct conn *c, int side, const char *p, size_t n);
	/* the connection could not be made, was closed by the peer, or broke;
	 * why is English marked N_(): _(why) where a person reads it, as it is
	 * where it goes into mail (a bounce's diagnostic) */
	void (*closed)(struct conn *c, int side, const char *why);
	/* the connection is gone: free the context */
	void (*release)(void *ctx);
};

enum { SIDE_CLIENT = 0, SIDE_SERVER = 1 };

/* A side's timer (net_timer): one event in the loop, cancelled when the
 * timer is armed again or when the connection goes. */
struct conn_timer {
	struct conn *c;
	int side;
	ev_id ev;                    /* 0: not armed */
	void (*fn)(struct conn *c);  /* what runs when it fires */
};

/* TLS on a connection, as its transport says (net_tls). */
struct conn_tls {
	bool offered;        /* the server may offer STARTTLS (STLS) */
	bool active;         /* encrypted already: an implicit-TLS port, or
			      * after the handshake */
	bool plaintext_auth; /* logins allowed before TLS all the same
			      * (serve --plaintext-auth, the labs) */
};

/* How a connection's bytes travel, as Redis has connection types.  net.c
 * keeps the life cycle of every connection (opening, each side's close,
 * timers, release) and asks the transport to carry the bytes.  Two
 * transports:
 *   the simulated link (net.c)  latency, bandwidth, loss, retransmission
 *   the socket (sock.c)         the client is a real program on a TCP
 *                               socket (live mode), the server a world's */
struct conn_transport {
	const char *name;  /* "link", "socket" */
	bool real_client;  /* the client is a real program: its host is named
			    * ADDRESS:PORT */
	/* Carry n bytes (one line) that side sends now; return when they reach
	 * the other side (the trace's arrival time), and in *losses how many
	 * times the link lost them on the way (TCP sent them again). */
	int64_t (*send)(struct conn *c, int side, const char *p, size_t n, int *losses);
	/* side has just closed: tell the other side, after the data */
	void (*closing)(struct conn *c, int side);
	/* Both sides are closed and no event points here: may the connection
	 * be freed now?  If not, the transport frees it later.  NULL: yes. */
	bool (*may_release)(struct conn *c);
	/* The connection is being freed: free the transport's state.  NULL:
	 * there is none. */
	void (*release)(struct conn *c);
	/* TLS (NULL: none, as on a simulated link; live mode's sockets have
	 * it, sim/sock.c): what c has now (net_tls); and start it after a
	 * server's STARTTLS go-ahead (net_start_tls): the go-ahead goes out
	 * first, nothing more is read, then the handshake, then started(c).
	 * False if it cannot; true again while it is under way. */
	struct conn_tls (*tls)(const struct conn *c);
	bool (*start_tls)(struct conn *c, void (*started)(struct conn *c));
};


struct conn {
	uint32_t id;
	struct world *w;
	struct host *host[2];      /* [SIDE_CLIENT], [SIDE_SERVER] */
	struct link *link;         /* the simulated link it uses (NULL on a socket) */
	enum trace_proto proto;
	int port;
	const struct conn_ops *ops[2];
	void *ctx[2];
	bool open[2];              /* each side still open? */
	bool established;
	bool tls;                  /* the TLS handshake is done: lines are encrypted */
	int pending;               /* scheduled events that point here */
	int64_t last_arrival[2];   /* on the link, TCP keeps order: per sending side */
	bool tamper_in_body;       /* a tampering link saw the server's 354: the client's
				    * lines are the message until "." (net.c) */
	struct conn_timer timer[2];  /* each side's timer */
	const struct conn_transport *transport; /* how the bytes travel */
	void *transport_state;     /* the transport's own (sock.c: struct sock) */
	struct conn *prev, *next;  /* the world's list of live connections */
};

struct world {
	const struct scenario *scn;
	struct store *store;
	struct evloop loop;
	struct trace trace;
	uint64_t rng;              /* splitmix64 state, from the seed */
	int64_t epoch_unix;        /* Unix time of simulated time 0 (WORLD_EPOCH_UNIX,
				    * or the real start time in live mode) */

	struct host *hosts;
	size_t nhosts;
	struct link *links;
	size_t nlinks;
	const struct service *const *services; /* what the servers listen on */
	size_t nservices;
	const struct http_app *http_app; /* what port 80 serves (webmail.c), or NULL */

	struct conn *conns;        /* live connections */
	uint32_t next_conn_id;
	size_t nconns, peak_conns; /* connections now, and the most at once */
	bool live_busy;            /* the live loop holds connection pointers */
	/* faults injected for lab work (serve --faults): 0 = none */
	struct world_faults {
		unsigned rcpt_451_every;  /* every Nth RCPT gets 451 */
		unsigned drop_data_every; /* every Nth message: the connection drops at "." */
		int64_t slow_us;          /* every reply to a live client is this late */
		unsigned rcpts, datas;    /* counters */
	} faults;
	bool stopping;             /* world_free: pending work is dropped, not done */
	bool tls_clients;          /* the scenario has `tls`: clients try STARTTLS */

	/* the story */
	size_t action;             /* index of the current action */
	long repeat_i;             /* 1-based iteration of a `repeat` */
	bool story_done;
	bool waiting_idle;         /* `wait idle`: resume when nothing is pending */

	/* what the checks heard on the trace (checks.c) */
	unsigned char replies_seen[600]; /* SMTP reply codes seen */
	char **enh_seen;           /* enhanced status codes seen */
	size_t nenh_seen;
	size_t *quiz_open;         /* story actions `quiz ... reply CODE` asked whose */
	size_t nquiz_open;         /* reply has not come yet (story.c adds, checks.c removes) */

	char **locks;              /* POP3 maildrops locked now (addresses, maildrop.c) */
	size_t nlocks;

	struct imapd *imap_sessions; /* IMAP: live sessions (imapd.c) */
	struct changes changes;      /* the change under way, folder versions (changes.c) */

	/* the scenario's `mail` lines, stored by world_init, told to the
	 * trace when the story starts (world_tell_initial_mail) */
	struct world_initial *initial;
	size_t ninitial;

	struct world_dkim *dkims;  /* the `dkim` lines' keys (auth.c) */
	size_t ndkims;

	int checks_passed, checks_failed;
	char err[256];
};

/* A message the world stored before the story: a server folder's, or a
 * device's copy (mail.device).  Owns its strings. */
struct world_initial {
	struct trace_mail mail;
	char *host;                /* the server of the mailbox, or the device */
};

/* --- world.c */
int world_init(struct world *w, const struct scenario *scn, struct store *st,
	       char *err, size_t errlen);
void world_free(struct world *w);
/* Parse a --faults SPEC ("rcpt451=3,drop-data=2,slow=500ms") into w->faults;
 * false with a message in err if it is not one. */
bool world_faults_parse(struct world_faults *f, const char *spec, char *err, size_t errlen);

/* --- base.c */
uint64_t world_random(struct world *w);
/* The world's clock as Unix seconds (for Date:, Received:, INTERNALDATE). */
int64_t world_unix_now(const struct world *w);
struct host *world_host(struct world *w, const char *name);
/* The server for an address's domain, or NULL if the domain is unknown. */
struct host *world_mx(struct world *w, const char *domain);
/* The service for a port.  A port no entry names gets the table's first,
 * SMTP on port 25, as every connection not to 110 or 143 always did. */
const struct service *world_service(const struct world *w, int port);
/* The service port an implicit-TLS port carries (465 -> 587, 993 -> 143,
 * 995 -> 110); any other port is itself. */
int world_port_service(int port);

/* The simulated DNS's zone, answered at once: the records of type for
 * name into a (A: a host's address, or a mail domain's server's; MX: a
 * mail domain's server; TXT: the `txt` lines and the DKIM keys). */
void world_dns_zone(struct world *w, enum dns_type type, const char *name,
		    struct dns_answer *a);
const char *world_dns_type_name(enum dns_type type); /* "A", "MX", "TXT" */

/* Emit an event record at a host. */
void world_event(struct world *w, const char *host, const char *to,
		 const char *event, const char *note, const char *fmt, ...)
	PRINTF_LIKE(6, 7);

/* "\\Seen \\Flagged", or "no flags", for events. */
const char *world_flag_names(uint32_t flags, char *buf, size_t n);
/* The bit of a system flag ("\\Seen", any case), or 0 if name is none. */
uint32_t world_flag_bit(const char *name);
/* Tell the trace of the mail the world stored before the story (each
 * message, then one "mail-ready" event per mailbox folder or device), and
 * forget it; story.c calls it when the story starts. */
void world_tell_initial_mail(struct world *w);
void world_initial_free(struct world *w);

/* The headers the views show, parsed once (encoded words decoded). */
struct world_summary {
	struct buf from, to, subject, date, msgid;
	struct store_summary sum; /* points into the buffers above */
};
void world_summary_parse(struct world_summary *s, const char *msg, size_t len);
void world_summary_free(struct world_summary *s);

/* --- story.c */
/* Play the story to its end (and the implicit `wait idle`). */
void world_run(struct world *w);
/* Live mode: start the story; the live loop runs its events. */
void world_story_start_live(struct world *w);
/* The story's current action is finished: go on with the next (the
 * agents' done; live mode's `wait idle`). */
void world_story_next(struct world *w);

/* --- checks.c */
/* Start listening to the trace for the SMTP replies `expect reply` asks
 * about (world_init); forget what was heard (world_free). */
void world_check_init(struct world *w);
void world_check_free(struct world *w);
/* Evaluate the checks; each result is a trace event "check". */
void world_check(struct world *w);
/* Evaluate check i alone, emitting nothing: true if it passes; detail gets
 * what was found ("found 0", "no such message"...), shown on failure. */
bool world_check_one(struct world *w, size_t i, char *detail, size_t n);

/* --- net.c: the life cycle of a connection, and the simulated link */
struct link *net_link(struct world *w, struct host *a, struct host *b);
/* Open a connection from client to server:port over the simulated link.
 * The server side is set up when the connection arrives, by the service
 * for the port (world_service); the client learns of failure through
 * ops->closed. */
struct conn *net_connect(struct world *w, struct host *client, struct host *server,
			 int port, enum trace_proto proto,
			 const struct conn_ops *ops, void *ctx);
/* Send what an engine wrote; every line becomes a trace record. */
void net_send(struct conn *c, int side, struct wire *out);
/* This side closes (after QUIT, say); the peer learns of it after the data. */
void net_close(struct conn *c, int side);
/* The client got the go-ahead to STARTTLS: the handshake, simulated (one
 * trace event); from now on the connection's lines are traced with tls. */
void net_tls_handshake(struct conn *c);
/* On the simulated link, a server engine that said go-ahead to STARTTLS is
 * ready for the handshake at once (the client's net_tls_handshake is the
 * event); a real client's connection does a real one instead (live mode).
 * True if the server side should call its *_tls_started now. */
bool net_tls_simulated(const struct conn *c);
/* Break every connection that uses a link, or that reaches a host. */
void net_break_link(struct world *w, struct link *l, const char *why);
void net_break_host(struct world *w, struct host *h, const char *why);
/* At the end: free every connection still open. */
void net_release_all(struct world *w);
/* Run fn(conn) after delay if that side is still open; a side has one
 * timer, so arming it again cancels the old one, and the connection going
 * cancels both.  Timers are background events: they never keep `wait idle`
 * waiting. */
void net_timer(struct conn *c, int side, int64_t delay_us, void (*fn)(struct conn *));
/* Ask the simulated DNS for the records of type at name, over the trace
 * (the question and the answer are records of proto "dns", note the
 * question's note); cb gets the answer when it reaches asker. */
void net_dns_query(struct world *w, struct host *asker, enum dns_type type, const char *name,
		   const char *note,
		   void (*cb)(struct world *w, void *arg, const struct dns_answer *a), void *arg);
/* Ask the simulated DNS for the MX of domain; cb gets the host or NULL. */
void net_dns_mx(struct world *w, struct host *asker, const char *domain,
		void (*cb)(struct world *w, void *arg, struct host *mx), void *arg);

/* For a transport whose client is outside the world (sock.c): a client
 * (client, a host standing for it) has connected to server:port, and the
 * connection is established at once; state is the transport's own. */
struct conn *net_accept(struct world *w, struct host *client, struct host *server, int port,
			enum trace_proto proto, const struct conn_transport *t, void *state);
/* Bytes from side's peer reached side: its engine reads them. */
void net_received(struct conn *c, int side, const char *p, size_t n);
/* An event of the connection in the trace, at side's host (text is what
 * it shows, note the teaching note, marked N_() or NULL). */
void net_trace_event(struct conn *c, int side, const char *event, const char *note,
		     const char *text);
/* What TLS the connection has: on a socket, what live mode gives it; on
 * the simulated link, STARTTLS offered by a server of `tls HOST`. */
struct conn_tls net_tls(const struct conn *c);
/* The server side said go ahead to STARTTLS (the engine's *_tls_pending):
 * the transport does the handshake, then calls started(c) (where the
 * server calls the engine's *_tls_started).  False if the transport has
 * no TLS. */
bool net_start_tls(struct conn *c, void (*started)(struct conn *c));
/* side's end went away by itself (a real client hung up): the trace says
 * why, the other side hears it. */
void net_gone(struct conn *c, int side, const char *why);
/* The other side closed, and the transport has carried everything it said
 * to side: side's end closes too. */
void net_drained(struct conn *c, int side);
/* Free the connection if both sides are closed and nothing points here
 * (for a transport that put the release off). */
void net_maybe_release(struct conn *c);

/* --- mailserver.c */
extern const struct service mailserver_smtp_service;       /* port 25 */
extern const struct service mailserver_submission_service; /* port 587 */
/* A queue entry is due (scheduled by the server itself). */
void mailserver_queue_schedule(struct world *w, struct host *srv, int64_t id, int64_t at_us);
/* The server is up again: schedule every entry of its queue. */
void mailserver_resume(struct world *w, struct host *srv);
/* The next number for a Message-ID the world writes (bounces, the user
 * agents' messages): kept in the store, so never repeated, not even by a
 * new run on the same --db file.  0, or -1 (store_error() says why). */
int mailserver_next_message_number(struct world *w, uint64_t *k);

/* --- auth.c: mail authentication (DKIM, SPF, DMARC) */
/* Make the keys of the `dkim` lines: from the scenario's seed (random
 * false: the same keys every run) or from random bytes (live mode), or
 * read from the PEM file a line names.  0, or -1 with err. */
int auth_keys_init(struct world *w, bool random, char *err, size_t errlen);
void auth_keys_free(struct world *w);
/* Submission: sign msg (header, blank line, body) with the key of its
 * From: domain if this server has one (a `dkim` line of one of its
 * domains) and the user logged in; the DKIM-Signature is put on top of
 * msg.  true if it was signed. */
bool auth_sign(struct world *w, struct host *srv, const char *auth_user, struct buf *msg);

/* What a verifying server found (RFC 8601's words): the header value, a
 * short summary for the trace, and what DMARC asks for. */
struct auth_result {
	char header[1024];     /* "mx.gmail.com; spf=pass smtp.mailfrom=...; ..." */
	char summary[128];     /* "spf=fail dkim=none dmarc=fail" */
	char spf[16], dkim[16], dmarc[16];
	char spf_detail[SPF_NAME_MAX + 128]; /* the deciding term ("-all"), or an
				* error's reason (translated) */
	char dkim_detail[128]; /* why a signature did not pass, as dkim.c says it
				* (English, as the header gives it): "body hash
				* did not verify" */
	char dmarc_detail[32]; /* a failure's policy: "p=reject" */
	char detail[1024];     /* for people (the trace's `auth` event): each
				* result with its reason, "spf=fail (-all)
				* dkim=fail (...) dmarc=fail (p=reject)" */
	char from_domain[SPF_NAME_MAX];
	bool reject;           /* DMARC fail with p=reject */
	bool quarantine;       /* DMARC fail with p=quarantine */
};
typedef void (*auth_verify_done_fn)(struct world *w, void *arg, const struct auth_result *r);
/* Does srv check incoming mail (a `verify` line for it, or for every
 * server)?  Which methods. */
bool auth_verifies(const struct world *w, const struct host *srv, bool *spf, bool *dkim,
		   bool *dmarc);
/* Check a message that came to srv on port 25 from client_ip: the DNS
 * questions go over the trace, and done gets the result when the last
 * answer has come -- always from an event of its own, never before this
 * returns. */
void auth_verify_start(struct world *w, struct host *srv, const char *client_ip,
		       const char *helo, const char *mail_from, const char *msg, size_t len,
		       auth_verify_done_fn done, void *arg);

/* --- maildrop.c */
extern const struct service maildrop_service; /* port 110 */

/* --- imapd.c */
extern const struct service imapd_service; /* port 143 */

/* --- agent.c: each starts one task of a scenario action, and calls done
 * once when it is over (for `imap DEV open`: once the session is in IDLE;
 * `imap DEV close` hands the open session the closer's done).  The story
 * passes world_story_next. */
typedef void (*agent_done_fn)(struct world *w);
void agent_send(struct world *w, const struct scn_action *a, long iteration, agent_done_fn done);
void agent_session(struct world *w, const struct scn_action *a, agent_done_fn done);
void agent_pop3_fetch(struct world *w, const struct scn_action *a, agent_done_fn done);
void agent_imap(struct world *w, const struct scn_action *a, agent_done_fn done);

#endif
