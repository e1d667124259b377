/*
 * pcap.c - the trace as a capture file: pcapng (RFC draft "PCAP Next
 * Generation Dump File Format", the format Wireshark writes) or the
 * classic pcap format.
 *
 * The trace tells of lines, not packets; this view makes up the packets a
 * wiretap between the hosts would have seen, IPv4 only:
 *
 *   connect          SYN; SYN/ACK and ACK just before the first line
 *   a line           one TCP segment carrying the line and its CRLF (the
 *                    trace keeps lines without it), ACKed by the receiver
 *                    when the line arrives (arrive_us)
 *   loss             the segment again: a retransmission, once per loss
 *   tls              nothing: a TLS handshake cannot be made up validly;
 *                    the lines after it become TLS application-data
 *                    records of their length, filled with made-up bytes
 *                    (the simulation encrypts nothing)
 *   connect-failed   a refused SYN gets a RST; a timed-out one is sent
 *                    again at 1, 3, 7 and 15 seconds
 *   end of the run   FIN/ACK both ways for a connection still open
 *   DNS lines        a query and its answer, real DNS over UDP port 53
 *
 * Addresses are the hosts' simulated ones (host.addr, RFC 5737 ranges),
 * the resolver "dns" is 203.0.113.53; client ports are 49152 plus the
 * session number, server ports the logical ones (25, 587, 110, 143).  A
 * Name Resolution Block names every address, and each teaching note is a
 * comment on the packet it explains.  Timestamps are the simulated clock
 * from the world's epoch, so a lesson and seed give the same bytes.
 *
 * In run mode packets are kept and written at the end in time order (a
 * line's ACK comes when the line arrives, after later sends).  In live
 * mode (serve) each record's packets are written as soon as nothing
 * earlier can come, so the file is whole when serve stops.
 */
#include "pcap.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "world.h"

#define PC_LINKTYPE_RAW 101   /* raw IPv4: no Ethernet header to make up */
#define PC_DNS_ADDR "203.0.113.53"
#define PC_CLIENT_PORT_BASE 49152 /* the IANA ephemeral range (RFC 6335 6) */
#define PC_WSCALE 7
#define PC_WINDOW 0xFFFFu

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10 };
enum { SIDE_C = 0, SIDE_S = 1 };

/* ------------------------------------------------------------ bytes */

static void put16(struct buf *b, uint16_t v)
{
	char x[2] = { (char)(v >> 8), (char)v };
	buf_add(b, x, 2);
}

static void put32(struct buf *b, uint32_t v)
{
	char x[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v };
	buf_add(b, x, 4);
}

/* pcapng and pcap are written little-endian (the byte-order magic says so) */
static void le16(struct buf *b, uint16_t v)
{
	char x[2] = { (char)v, (char)(v >> 8) };
	buf_add(b, x, 2);
}

static void le32(struct buf *b, uint32_t v)
{
	char x[4] = { (char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24) };
	buf_add(b, x, 4);
}

static void pad4(struct buf *b)
{
	while (b->len % 4)
		buf_addc(b, 0);
}

/* The Internet checksum (RFC 1071): the ones' complement of the ones'
 * complement sum of 16-bit words; `sum` carries a pseudo-header's part. */
static uint16_t inet_sum(uint32_t sum, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n % 2)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool parse_ipv4(const char *s, uint32_t *ip)
{
	unsigned a, b, c, d;
	char end;
	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) < 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255)
		return false;
	*ip = a << 24 | b << 16 | c << 8 | d;
	return true;
}

/* ------------------------------------------------------------ the model */

struct pc_host {
	char *name;
	uint32_t ip;
	bool named; /* goes in the Name Resolution Block */
};

struct pc_seg {
	uint32_t seq;  /* relative to the side's ISN */
	uint32_t len;  /* sequence space: payload, +1 for SYN or FIN */
	bool delivered;
};

struct pc_conn {
	uint32_t session;
	uint32_t ip[2];
	uint16_t port[2];
	uint32_t isn[2];
	uint32_t next[2];        /* next relative sequence number to hand out */
	struct pc_seg *segs[2];
	size_t nsegs[2], capsegs[2];
	size_t acked[2];         /* first segment of side not yet delivered */
	uint32_t sent_upto[2];   /* highest sequence end written by side */
	uint32_t last_ack[2];    /* last ack number side wrote */
	bool handshake;          /* SYN/ACK and ACK are made */
	bool failed, closed, tls;
	int last_side;           /* who sent the last line */
	int64_t last_t, delay_us;
	size_t last_pkt[2];      /* index of side's last line segment */
	struct buf comments;     /* '\0'-ended comments for its next packet */
};

struct pc_dns {
	uint16_t id;
	uint32_t asker_ip;
	uint16_t asker_port;
	char *name;
	uint16_t qtype;
	bool answered, nxdomain;
	int64_t answer_t;
	uint16_t ancount;
	struct buf answers;      /* encoded resource records */
};

struct pc_pkt {
	int64_t t_us;
	size_t order;            /* creation order: ties keep it */
	struct pc_conn *c;       /* a TCP packet, or NULL */
	int side;
	uint8_t flags;
	size_t seg;              /* index in c->segs[side], or SIZE_MAX */
	bool delivers;           /* this transmission gets through */
	bool ack_if_new;         /* a pure ACK: dropped if it acks nothing new */
	char *payload;
	size_t len;
	struct pc_dns *dns;      /* a DNS packet (query unless `answer`) */
	bool answer;
	struct buf comments;
};

struct pcap {
	FILE *out;
	bool classic, live;
	int64_t epoch_unix;
	struct pc_host *hosts;
	size_t nhosts;
	struct pc_conn **conns;
	size_t nconns;
	struct pc_dns **dns;
	size_t ndns;
	struct pc_pkt *pkts;
	size_t npkts, cappkts, written; /* live: pkts[0..written) are out */
	size_t order;
	uint16_t ip_id;
	bool header_done;
	struct buf comments;     /* story notes for the next packet */
	struct buf block;        /* scratch */
};

struct pcap *pcap_new(FILE *out, bool classic, bool live, int64_t epoch_unix)
{
	struct pcap *p = xcalloc(1, sizeof *p);
	p->out = out;
	p->classic = classic;
	p->live = live;
	p->epoch_unix = epoch_unix;
	buf_init(&p->comments);
	buf_init(&p->block);
	return p;
}

void pcap_host(struct pcap *p, const char *name, const char *addr)
{
	uint32_t ip;
	if (!addr || !parse_ipv4(addr, &ip))
		return;
	p->hosts = xrealloc(p->hosts, (p->nhosts + 1) * sizeof *p->hosts);
	p->hosts[p->nhosts++] = (struct pc_host){ xstrdup(name), ip, true };
}

/* A host's address: its simulated one; a live client's real one (its
 * name is "127.0.0.1:54321"); a live server is on loopback. */
static uint32_t pc_ip(struct pcap *p, const char *name, uint16_t *port)
{
	for (size_t i = 0; i < p->nhosts; i++)
		if (strcmp(p->hosts[i].name, name) == 0)
			return p->hosts[i].ip;
	uint32_t ip;
	const char *colon = strrchr(name, ':');
	if (colon && parse_ipv4(name, &ip)) {
		if (port)
			*port = (uint16_t)atoi(colon + 1);
		return ip;
	}
	if (strcmp(name, "dns") == 0) {
		pcap_host(p, "dns", PC_DNS_ADDR);
		return p->hosts[p->nhosts - 1].ip;
	}
	return 0x7F000001; /* 127.0.0.1 */
}

static void pc_comment(struct buf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	buf_add(b, s, n);
	buf_addc(b, '\0');
}

static struct pc_pkt *pc_pkt_new(struct pcap *p, int64_t t_us, struct pc_conn *c, int side,
				 bool take_comments)
{
	if (p->npkts == p->cappkts) {
		p->cappkts = p->cappkts ? p->cappkts * 2 : 256;
		p->pkts = xrealloc(p->pkts, p->cappkts * sizeof *p->pkts);
	}
	struct pc_pkt *k = &p->pkts[p->npkts++];
	*k = (struct pc_pkt){ .t_us = t_us, .order = p->order++, .c = c, .side = side,
			      .seg = SIZE_MAX, .delivers = true };
	buf_init(&k->comments);
	if (!take_comments)
		return k;
	/* what waits for the next packet goes on this one */
	if (p->comments.len) {
		buf_add(&k->comments, p->comments.p, p->comments.len);
		buf_clear(&p->comments);
	}
	if (c && c->comments.len) {
		buf_add(&k->comments, c->comments.p, c->comments.len);
		buf_clear(&c->comments);
	}
	return k;
}

static struct pc_pkt *pc_pkt(struct pcap *p, int64_t t_us, struct pc_conn *c, int side)
{
	return pc_pkt_new(p, t_us, c, side, true);
}

/* A segment of side's sequence space: `len` bytes (SYN and FIN count one). */
static size_t pc_seg(struct pc_conn *c, int side, uint32_t len)
{
	if (c->nsegs[side] == c->capsegs[side]) {
		c->capsegs[side] = c->capsegs[side] ? c->capsegs[side] * 2 : 16;
		c->segs[side] = xrealloc(c->segs[side], c->capsegs[side] * sizeof *c->segs[side]);
	}
	c->segs[side][c->nsegs[side]] = (struct pc_seg){ c->next[side], len, false };
	c->next[side] += len;
	return c->nsegs[side]++;
}

static struct pc_pkt *pc_tcp(struct pcap *p, struct pc_conn *c, int side, int64_t t,
			     uint8_t flags, const char *payload, size_t len)
{
	struct pc_pkt *k = pc_pkt(p, t, c, side);
	k->flags = flags;
	if (len || (flags & (TCP_SYN | TCP_FIN)))
		k->seg = pc_seg(c, side, (uint32_t)len + !!(flags & (TCP_SYN | TCP_FIN)));
	if (len) {
		k->payload = xmalloc(len);
		memcpy(k->payload, payload, len);
		k->len = len;
	}
	if (t > c->last_t)
		c->last_t = t;
	return k;
}

/* The receiver's ACK, if by then it acknowledges something new. */
static void pc_ack(struct pcap *p, struct pc_conn *c, int side, int64_t t)
{
	struct pc_pkt *k = pc_pkt_new(p, t, c, side, false); /* it may be dropped */
	k->flags = TCP_ACK;
	k->ack_if_new = true;
}

static struct pc_conn *pc_conn(struct pcap *p, uint32_t session)
{
	for (size_t i = p->nconns; i-- > 0;)
		if (p->conns[i]->session == session)
			return p->conns[i];
	return NULL;
}

static struct pc_conn *pc_conn_new(struct pcap *p, const struct trace_rec *r, int port)
{
	struct pc_conn *c = xcalloc(1, sizeof *c);
	bool c2s = r->dir == DIR_C2S;
	const char *client = c2s ? r->from : r->to, *server = c2s ? r->to : r->from;
	c->session = r->session;
	c->port[SIDE_C] = (uint16_t)(PC_CLIENT_PORT_BASE + r->session % 16384);
	c->ip[SIDE_C] = pc_ip(p, client, &c->port[SIDE_C]);
	c->ip[SIDE_S] = pc_ip(p, server, NULL);
	if (c->port[SIDE_C] != PC_CLIENT_PORT_BASE + r->session % 16384)
		c->ip[SIDE_S] = 0x7F000001; /* a real client came over loopback */
	c->port[SIDE_S] = (uint16_t)port;
	/* initial sequence numbers: made up, but the same every run */
	c->isn[SIDE_C] = 0x10000000u + r->session * 0x01010101u;
	c->isn[SIDE_S] = 0x80000000u + r->session * 0x00FF00FFu;
	c->delay_us = 1000;
	buf_init(&c->comments);
	p->conns = xrealloc(p->conns, (p->nconns + 1) * sizeof *p->conns);
	p->conns[p->nconns++] = c;
	return c;
}

/* The port a "connect to HOST port N" detail names: its last number
 * (the words around it are translated; the number is not). */
static int pc_port_of(const char *text, size_t n)
{
	size_t end = n;
	while (end > 0 && (text[end - 1] < '0' || text[end - 1] > '9'))
		end--;
	size_t start = end;
	while (start > 0 && text[start - 1] >= '0' && text[start - 1] <= '9')
		start--;
	int port = 0;
	for (size_t i = start; i < end && port < 65536; i++)
		port = port * 10 + (text[i] - '0');
	return port > 0 && port < 65536 ? port : 25;
}

static bool pc_text_is(const struct trace_rec *r, const char *s)
{
	return r->text_len == strlen(s) && memcmp(r->text, s, r->text_len) == 0;
}

/* The three-way handshake (RFC 9293 3.5), before the first line. */
static void pc_handshake(struct pcap *p, struct pc_conn *c, int64_t t)
{
	if (c->handshake)
		return;
	c->handshake = true;
	pc_tcp(p, c, SIDE_S, t, TCP_SYN | TCP_ACK, NULL, 0);
	pc_tcp(p, c, SIDE_C, t, TCP_ACK, NULL, 0);
}

/* A line inside TLS is, on the wire, one TLS 1.2-framed application-data
 * record (RFC 8446 5.1: type 23, legacy version 3.3, length) of the same
 * length; its contents here are filler, since nothing was encrypted. */
static void pc_tls_record(struct buf *b, const struct pc_conn *c, size_t n)
{
	buf_addc(b, 0x17);
	buf_addc(b, 0x03);
	buf_addc(b, 0x03);
	put16(b, (uint16_t)n);
	uint32_t x = 0x9E3779B9u ^ (c->session * 0x85EBCA6Bu) ^ c->next[0] ^ (c->next[1] << 7);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13; /* xorshift32: deterministic, looks random */
		x ^= x >> 17;
		x ^= x << 5;
		buf_addc(b, (char)(x >> 24));
	}
}

static void pc_line(struct pcap *p, const struct trace_rec *r)
{
	struct pc_conn *c = pc_conn(p, r->session);
	if (!c)
		c = pc_conn_new(p, r, 25);
	int side = r->dir == DIR_C2S ? SIDE_C : SIDE_S;
	pc_handshake(p, c, r->t_us);
	struct buf b;
	buf_init(&b);
	if (r->tls)
		pc_tls_record(&b, c, r->text_len + 2);
	else {
		buf_add(&b, r->text, r->text_len);
		buf_adds(&b, "\r\n"); /* lines are CRLF on the wire */
	}
	struct pc_pkt *k = pc_tcp(p, c, side, r->t_us, TCP_PSH | TCP_ACK, b.p, b.len);
	buf_free(&b);
	if (r->note)
		pc_comment(&k->comments, r->note, strlen(r->note));
	c->last_pkt[side] = (size_t)(k - p->pkts);
	c->last_side = side;
	int64_t arrive = r->arrive_us > r->t_us ? r->arrive_us : r->t_us;
	if (arrive > r->t_us)
		c->delay_us = arrive - r->t_us;
	pc_ack(p, c, !side, arrive);
}

/* The link lost the last line of this side `n` times: TCP sent it again. */
static void pc_loss(struct pcap *p, struct pc_conn *c, int side, const char *text, size_t len)
{
	int n = 0;
	for (size_t i = 0; i < len && n == 0; i++)
		while (i < len && text[i] >= '0' && text[i] <= '9')
			n = n * 10 + (text[i++] - '0');
	if (n < 1)
		n = 1;
	size_t orig = c->last_pkt[side];
	if (orig >= p->npkts || p->pkts[orig].c != c)
		return;
	int64_t t0 = p->pkts[orig].t_us;
	int64_t span = c->delay_us > 0 ? c->delay_us : 1000;
	p->pkts[orig].delivers = false;
	for (int i = 1; i <= n; i++) {
		struct pc_pkt o = p->pkts[orig]; /* copied: pc_pkt may move the array */
		struct pc_pkt *k = pc_pkt(p, t0 + span * i / (n + 1) + i, c, side);
		k->flags = o.flags;
		k->seg = o.seg;
		k->delivers = i == n;
		k->payload = xmalloc(o.len);
		memcpy(k->payload, o.payload, o.len);
		k->len = o.len;
	}
}

static void pc_event(struct pcap *p, const struct trace_rec *r)
{
	struct pc_conn *c = r->session ? pc_conn(p, r->session) : NULL;
	struct buf *comments = c ? &c->comments : &p->comments;
	if (strcmp(r->event, "connect") == 0 && r->session) {
		c = pc_conn_new(p, r, pc_port_of(r->text, r->text_len));
		comments = &c->comments;
	}
	/* the comment says what the event was, then what it teaches */
	bool story = strcmp(r->event, "note") == 0;
	if (story || r->note || c) {
		struct buf s;
		buf_init(&s);
		if (!story) {
			buf_adds(&s, r->event);
			buf_adds(&s, ": ");
		}
		buf_add(&s, r->text, r->text_len);
		if (r->note) {
			buf_adds(&s, " - ");
			buf_adds(&s, r->note);
		}
		if (strcmp(r->event, "tls") == 0)
			/* TRANSLATORS: a comment in the capture file, after the "tls" event */
			buf_printf(&s, " (%s)",
				   _("the handshake is not in this capture: mailsim simulates TLS "
				     "and encrypts nothing; the records that follow hold made-up "
				     "bytes of each line's length"));
		pc_comment(comments, s.p, s.len);
		buf_free(&s);
	}
	if (!c)
		return;
	int side = r->dir == DIR_C2S ? SIDE_C : SIDE_S;
	if (strcmp(r->event, "connect") == 0) {
		pc_tcp(p, c, SIDE_C, r->t_us, TCP_SYN, NULL, 0);
		if (p->live)
			pc_handshake(p, c, r->t_us);
	} else if (strcmp(r->event, "connect-failed") == 0) {
		c->failed = c->closed = true;
		if (pc_text_is(r, _("connection refused"))) {
			/* the SYN reached a host with nothing listening: RST (RFC 9293 3.10.7.1) */
			int64_t t = c->last_t + (r->t_us - c->last_t) / 2;
			pc_tcp(p, c, SIDE_S, t, TCP_RST | TCP_ACK, NULL, 0);
		} else if (pc_text_is(r, _("connection timed out: no route to host"))) {
			/* no answer: the SYN again after 1, 3, 7, 15 s (RFC 6298 5.5 backoff) */
			size_t syn = c->nsegs[SIDE_C] ? 0 : SIZE_MAX;
			for (int64_t s = 1; syn == 0 && c->last_t + s * 1000000 < r->t_us; s = s * 2 + 1) {
				struct pc_pkt *k = pc_pkt(p, c->last_t + s * 1000000, c, SIDE_C);
				k->flags = TCP_SYN;
				k->seg = 0;
				k->delivers = false;
			}
		}
	} else if (strcmp(r->event, "loss") == 0) {
		pc_loss(p, c, side, r->text, r->text_len);
	} else if (strcmp(r->event, "tls") == 0) {
		c->tls = true;
	} else if (strcmp(r->event, "disconnect") == 0 && !c->closed) {
		/* the side's host is gone: its peer sees a reset */
		c->closed = true;
		pc_tcp(p, c, side, r->t_us, TCP_RST | TCP_ACK, NULL, 0);
	}
}

/* ------------------------------------------------------------ DNS */

static uint16_t pc_dns_type(const char *s, size_t n)
{
	if (n == 2 && memcmp(s, "MX", 2) == 0)
		return 15;
	if (n == 3 && memcmp(s, "TXT", 3) == 0)
		return 16;
	if (n == 1 && s[0] == 'A')
		return 1;
	return 0;
}

/* A domain name in DNS labels (RFC 1035 3.1), `name` without the root dot. */
static void pc_dns_name(struct buf *b, const char *name, size_t n)
{
	while (n > 0 && name[n - 1] == '.')
		n--;
	size_t i = 0;
	while (i < n) {
		const char *dot = memchr(name + i, '.', n - i);
		size_t len = dot ? (size_t)(dot - (name + i)) : n - i;
		size_t l = len > 63 ? 63 : len;
		buf_addc(b, (char)l);
		buf_add(b, name + i, l);
		i += len + 1;
	}
	buf_addc(b, 0);
}

/* "gmail.com. IN MX ?": the name, its type */
static bool pc_dns_words(const char *text, size_t n, size_t *namelen, const char **rest,
			 size_t *restlen)
{
	const char *sp = memchr(text, ' ', n);
	if (!sp)
		return false;
	*namelen = (size_t)(sp - text);
	*rest = sp + 1;
	*restlen = n - *namelen - 1;
	return true;
}

static void pc_dns_query(struct pcap *p, const struct trace_rec *r)
{
	size_t namelen, restlen;
	const char *rest;
	if (!pc_dns_words(r->text, r->text_len, &namelen, &rest, &restlen) || restlen < 4 ||
	    memcmp(rest, "IN ", 3) != 0)
		return;
	const char *type = rest + 3;
	const char *sp = memchr(type, ' ', restlen - 3);
	size_t typelen = sp ? (size_t)(sp - type) : restlen - 3;
	struct pc_dns *d = xcalloc(1, sizeof *d);
	d->id = (uint16_t)(p->ndns + 1);
	d->asker_port = (uint16_t)(PC_CLIENT_PORT_BASE + 16384 - 1 - p->ndns % 4096);
	d->asker_ip = pc_ip(p, r->from, NULL);
	d->name = xstrndup(r->text, namelen);
	d->qtype = pc_dns_type(type, typelen);
	buf_init(&d->answers);
	p->dns = xrealloc(p->dns, (p->ndns + 1) * sizeof *p->dns);
	p->dns[p->ndns++] = d;
	pc_ip(p, "dns", NULL);
	struct pc_pkt *k = pc_pkt(p, r->t_us, NULL, SIDE_C);
	k->dns = d;
	if (r->note)
		pc_comment(&k->comments, r->note, strlen(r->note));
}

/* One answer record, from its zone-file form after "NAME. IN TYPE ". */
static void pc_dns_rr(struct pc_dns *d, uint16_t type, const char *v, size_t n)
{
	struct buf rdata;
	buf_init(&rdata);
	if (type == 15) { /* MX: "10 mx.gmail.com." */
		unsigned pref = 0;
		size_t i = 0;
		while (i < n && v[i] >= '0' && v[i] <= '9')
			pref = pref * 10 + (unsigned)(v[i++] - '0');
		while (i < n && v[i] == ' ')
			i++;
		put16(&rdata, (uint16_t)pref);
		pc_dns_name(&rdata, v + i, n - i);
	} else if (type == 1) { /* A: dotted */
		char s[16];
		uint32_t ip = 0;
		snprintf(s, sizeof s, "%.*s", (int)(n < 15 ? n : 15), v);
		parse_ipv4(s, &ip);
		put32(&rdata, ip);
	} else { /* TXT: "..." "...", \" and \\ escaped; each a <character-string> */
		size_t i = 0;
		while (i < n) {
			while (i < n && v[i] != '"')
				i++;
			if (i++ >= n)
				break;
			struct buf s;
			buf_init(&s);
			while (i < n && v[i] != '"') {
				if (v[i] == '\\' && i + 1 < n)
					i++;
				buf_addc(&s, v[i++]);
			}
			i++;
			size_t l = s.len > 255 ? 255 : s.len;
			buf_addc(&rdata, (char)l);
			buf_add(&rdata, s.p, l);
			buf_free(&s);
		}
	}
	put16(&d->answers, 0xC00C); /* the question's name (RFC 1035 4.1.4) */
	put16(&d->answers, type);
	put16(&d->answers, 1);      /* IN */
	put32(&d->answers, 300);    /* TTL */
	put16(&d->answers, (uint16_t)rdata.len);
	buf_add(&d->answers, rdata.p, rdata.len);
	buf_free(&rdata);
	d->ancount++;
}

static void pc_dns_answer(struct pcap *p, const struct trace_rec *r)
{
	size_t namelen, restlen;
	const char *rest;
	if (!pc_dns_words(r->text, r->text_len, &namelen, &rest, &restlen))
		return;
	uint32_t asker = pc_ip(p, r->to, NULL);
	struct pc_dns *d = NULL;
	for (size_t i = p->ndns; i-- > 0 && !d;) {
		struct pc_dns *q = p->dns[i];
		if (q->asker_ip == asker && strlen(q->name) == namelen &&
		    strncasecmp(q->name, r->text, namelen) == 0 &&
		    (!q->answered || q->answer_t == r->t_us))
			d = q;
	}
	if (!d)
		return;
	struct pc_pkt *k = NULL;
	if (!d->answered) {
		d->answered = true;
		d->answer_t = r->t_us;
		k = pc_pkt(p, r->t_us, NULL, SIDE_S);
		k->dns = d;
		k->answer = true;
	} else {
		for (size_t i = p->npkts; i-- > p->written && !k;)
			if (p->pkts[i].dns == d && p->pkts[i].answer)
				k = &p->pkts[i];
	}
	if (k && r->note)
		pc_comment(&k->comments, r->note, strlen(r->note));
	if (restlen >= 8 && memcmp(rest, "NXDOMAIN", 8) == 0) {
		d->nxdomain = true;
		return;
	}
	if (restlen < 3 || memcmp(rest, "IN ", 3) != 0)
		return;
	const char *type = rest + 3;
	const char *sp = memchr(type, ' ', restlen - 3);
	if (!sp)
		return;
	uint16_t t = pc_dns_type(type, (size_t)(sp - type));
	const char *v = sp + 1;
	size_t vn = (size_t)(rest + restlen - v);
	if (t && !(vn > 0 && v[0] == '(')) /* "(no record)": an empty answer */
		pc_dns_rr(d, t, v, vn);
}

static void pc_dns_message(struct buf *b, const struct pc_dns *d, bool answer)
{
	put16(b, d->id);
	/* RD for a query; QR, RD, RA (and rcode 3, NXDOMAIN) for an answer (RFC 1035 4.1.1) */
	put16(b, answer ? (uint16_t)(0x8180 | (d->nxdomain ? 3 : 0)) : 0x0100);
	put16(b, 1);
	put16(b, answer ? d->ancount : 0);
	put16(b, 0);
	put16(b, 0);
	pc_dns_name(b, d->name, strlen(d->name));
	put16(b, d->qtype ? d->qtype : 1);
	put16(b, 1);
	if (answer)
		buf_add(b, d->answers.p, d->answers.len);
}

/* ------------------------------------------------------------ writing */

/* An IPv4 packet (RFC 791) around a TCP or UDP header and payload. */
static void pc_ipv4(struct pcap *p, struct buf *b, uint32_t src, uint32_t dst, uint8_t proto,
		    const struct buf *l4)
{
	size_t start = b->len;
	buf_addc(b, 0x45);
	buf_addc(b, 0);
	put16(b, (uint16_t)(20 + l4->len));
	put16(b, ++p->ip_id);
	put16(b, proto == 6 ? 0x4000 : 0); /* DF for TCP */
	buf_addc(b, 64);
	buf_addc(b, (char)proto);
	put16(b, 0);
	put32(b, src);
	put32(b, dst);
	uint16_t sum = inet_sum(0, (const unsigned char *)b->p + start, 20);
	b->p[start + 10] = (char)(sum >> 8);
	b->p[start + 11] = (char)sum;
	buf_add(b, l4->p, l4->len);
}

/* The checksum over the pseudo-header (RFC 9293 3.1, RFC 768) and l4,
 * stored at offset `at` of l4. */
static void pc_l4_sum(struct buf *l4, uint32_t src, uint32_t dst, uint8_t proto, size_t at)
{
	uint32_t sum = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + proto +
		       (uint32_t)l4->len;
	uint16_t s = inet_sum(sum, (const unsigned char *)l4->p, l4->len);
	if (proto == 17 && s == 0)
		s = 0xFFFF;
	l4->p[at] = (char)(s >> 8);
	l4->p[at + 1] = (char)s;
}

/* The packet's bytes, or false for an ACK with nothing new to say. */
static bool pc_packet(struct pcap *p, struct pc_pkt *k, struct buf *out)
{
	struct buf l4;
	buf_init(&l4);
	uint32_t src, dst;
	uint8_t proto;
	if (k->dns) {
		struct pc_dns *d = k->dns;
		uint32_t dns_ip = pc_ip(p, "dns", NULL);
		src = k->answer ? dns_ip : d->asker_ip;
		dst = k->answer ? d->asker_ip : dns_ip;
		struct buf msg;
		buf_init(&msg);
		pc_dns_message(&msg, d, k->answer);
		put16(&l4, k->answer ? 53 : d->asker_port);
		put16(&l4, k->answer ? d->asker_port : 53);
		put16(&l4, (uint16_t)(8 + msg.len));
		put16(&l4, 0);
		buf_add(&l4, msg.p, msg.len);
		buf_free(&msg);
		proto = 17;
		pc_l4_sum(&l4, src, dst, proto, 6);
	} else {
		struct pc_conn *c = k->c;
		int s = k->side, o = !k->side;
		/* what the other side sent that got through, in order */
		while (c->acked[o] < c->nsegs[o] && c->segs[o][c->acked[o]].delivered)
			c->acked[o]++;
		uint32_t ack = c->acked[o] < c->nsegs[o] ? c->segs[o][c->acked[o]].seq : c->next[o];
		bool any = c->acked[o] > 0;
		if (k->ack_if_new && (!any || ack == c->last_ack[s])) {
			buf_free(&l4);
			return false;
		}
		uint32_t seq = k->seg != SIZE_MAX ? c->segs[s][k->seg].seq : c->sent_upto[s];
		if (k->seg != SIZE_MAX) {
			const struct pc_seg *g = &c->segs[s][k->seg];
			if (g->seq + g->len > c->sent_upto[s])
				c->sent_upto[s] = g->seq + g->len;
			if (k->delivers)
				c->segs[s][k->seg].delivered = true;
		}
		uint8_t flags = k->flags;
		if (!(flags & TCP_SYN) || (flags & TCP_ACK))
			flags |= any ? TCP_ACK : 0;
		if (flags & TCP_ACK)
			c->last_ack[s] = ack;
		bool opts = (flags & TCP_SYN) != 0;
		src = c->ip[s];
		dst = c->ip[o];
		put16(&l4, c->port[s]);
		put16(&l4, c->port[o]);
		put32(&l4, c->isn[s] + seq);
		put32(&l4, (flags & TCP_ACK) ? c->isn[o] + ack : 0);
		buf_addc(&l4, (char)((opts ? 6 : 5) << 4));
		buf_addc(&l4, (char)flags);
		/* the window: a SYN's is not scaled (RFC 7323 2.2) */
		put16(&l4, (flags & TCP_RST) ? 0 : PC_WINDOW);
		put16(&l4, 0);
		put16(&l4, 0);
		if (opts) { /* NOP, window scale (RFC 7323 2.2) */
			buf_addc(&l4, 1);
			buf_addc(&l4, 3);
			buf_addc(&l4, 3);
			buf_addc(&l4, PC_WSCALE);
		}
		buf_add(&l4, k->payload, k->len);
		proto = 6;
		pc_l4_sum(&l4, src, dst, proto, 16);
	}
	pc_ipv4(p, out, src, dst, proto, &l4);
	buf_free(&l4);
	return true;
}

static void pc_option(struct buf *b, uint16_t code, const char *v, size_t n)
{
	le16(b, code);
	le16(b, (uint16_t)n);
	buf_add(b, v, n);
	pad4(b);
}

/* A pcapng block: type, length, body, length again. */
static void pc_block(struct pcap *p, uint32_t type, const struct buf *body)
{
	struct buf *b = &p->block;
	buf_clear(b);
	le32(b, type);
	le32(b, (uint32_t)(12 + body->len));
	buf_add(b, body->p, body->len);
	le32(b, (uint32_t)(12 + body->len));
	fwrite(b->p, 1, b->len, p->out);
}

static void pc_header(struct pcap *p)
{
	if (p->header_done)
		return;
	p->header_done = true;
	struct buf b;
	buf_init(&b);
	if (p->classic) {
		le32(&b, 0xA1B2C3D4);
		le16(&b, 2);
		le16(&b, 4);
		le32(&b, 0);
		le32(&b, 0);
		le32(&b, 65535);
		le32(&b, PC_LINKTYPE_RAW);
		fwrite(b.p, 1, b.len, p->out);
		buf_free(&b);
		return;
	}
	/* Section Header Block */
	le32(&b, 0x1A2B3C4D);
	le16(&b, 1);
	le16(&b, 0);
	le32(&b, 0xFFFFFFFF); /* section length: not given */
	le32(&b, 0xFFFFFFFF);
	const char *about = p->live
		? _("mailsim serve: the lines of each real connection as TCP segments over "
		    "loopback, made up from mailsim's trace")
		: _("mailsim: a simulated lesson; no packet of it ever went on a network. "
		    "Addresses are from the documentation ranges; TLS is simulated and "
		    "encrypts nothing");
	pc_option(&b, 1, about, strlen(about));        /* shb_comment */
	pc_option(&b, 4, "mailsim", 7);                /* shb_userappl */
	le32(&b, 0);                                   /* opt_endofopt */
	pc_block(p, 0x0A0D0D0A, &b);
	/* Interface Description Block: raw IPv4, microseconds (the default) */
	buf_clear(&b);
	le16(&b, PC_LINKTYPE_RAW);
	le16(&b, 0);
	le32(&b, 0);
	pc_option(&b, 2, "mailsim", 7);                /* if_name */
	le32(&b, 0);
	pc_block(p, 1, &b);
	/* Name Resolution Block: every host, so Wireshark shows names */
	buf_clear(&b);
	size_t named = 0;
	pc_ip(p, "dns", NULL);
	for (size_t i = 0; i < p->nhosts; i++) {
		const struct pc_host *h = &p->hosts[i];
		size_t n = strlen(h->name) + 1;
		le16(&b, 1); /* nrb_record_ipv4 */
		le16(&b, (uint16_t)(4 + n));
		put32(&b, h->ip);
		buf_add(&b, h->name, n);
		pad4(&b);
		named++;
	}
	le32(&b, 0); /* nrb_record_end */
	if (named)
		pc_block(p, 4, &b);
	buf_free(&b);
}

static void pc_write(struct pcap *p, struct pc_pkt *k)
{
	struct buf pkt;
	buf_init(&pkt);
	if (!pc_packet(p, k, &pkt)) {
		buf_free(&pkt);
		return;
	}
	uint64_t ts = (uint64_t)(p->epoch_unix * 1000000 + k->t_us);
	struct buf b;
	buf_init(&b);
	if (p->classic) {
		le32(&b, (uint32_t)(ts / 1000000));
		le32(&b, (uint32_t)(ts % 1000000));
		le32(&b, (uint32_t)pkt.len);
		le32(&b, (uint32_t)pkt.len);
		buf_add(&b, pkt.p, pkt.len);
		fwrite(b.p, 1, b.len, p->out);
	} else {
		/* Enhanced Packet Block, each comment an opt_comment */
		le32(&b, 0);
		le32(&b, (uint32_t)(ts >> 32));
		le32(&b, (uint32_t)ts);
		le32(&b, (uint32_t)pkt.len);
		le32(&b, (uint32_t)pkt.len);
		buf_add(&b, pkt.p, pkt.len);
		pad4(&b);
		for (size_t i = 0; i < k->comments.len;) {
			size_t n = strlen(k->comments.p + i);
			pc_option(&b, 1, k->comments.p + i, n > 65535 ? 65535 : n);
			i += n + 1;
		}
		if (k->comments.len)
			le32(&b, 0);
		pc_block(p, 6, &b);
	}
	buf_free(&b);
	buf_free(&pkt);
}

static int pc_cmp(const void *a, const void *b)
{
	const struct pc_pkt *x = a, *y = b;
	if (x->t_us != y->t_us)
		return x->t_us < y->t_us ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Write the kept packets earlier than `before`, in time order. */
static void pc_flush(struct pcap *p, int64_t before)
{
	pc_header(p);
	if (p->written < p->npkts)
		qsort(p->pkts + p->written, p->npkts - p->written, sizeof *p->pkts, pc_cmp);
	/* loss and DNS answers find packets by index: keep them until the end
	 * in run mode; live mode has neither loss nor late answers */
	while (p->written < p->npkts && p->pkts[p->written].t_us < before) {
		struct pc_pkt *k = &p->pkts[p->written++];
		pc_write(p, k);
		free(k->payload);
		k->payload = NULL;
		k->len = 0;
		buf_free(&k->comments);
	}
	if (p->live)
		fflush(p->out);
}

void pcap_sink(void *ctx, const struct trace_rec *r)
{
	struct pcap *p = ctx;
	if (r->mail)
		return;
	if (r->event) {
		if (strncmp(r->event, "check-", 6) == 0 || strcmp(r->event, "quiz") == 0)
			return;
		pc_event(p, r);
	} else if (r->proto == PROTO_DNS) {
		if (r->dir == DIR_C2S)
			pc_dns_query(p, r);
		else
			pc_dns_answer(p, r);
	} else {
		pc_line(p, r);
	}
	if (p->live)
		pc_flush(p, r->t_us);
}

void pcap_finish(struct pcap *p)
{
	int64_t end = 0;
	for (size_t i = 0; i < p->npkts; i++)
		if (p->pkts[i].t_us > end)
			end = p->pkts[i].t_us;
	/* FIN/ACK both ways for every connection still open (RFC 9293 3.6):
	 * the side that spoke last closes first */
	for (size_t i = 0; i < p->nconns; i++) {
		struct pc_conn *c = p->conns[i];
		if (c->closed || c->failed)
			continue;
		c->closed = true;
		if (!c->handshake)
			pc_handshake(p, c, c->last_t + 1);
		int64_t t = p->live ? end + 1 : c->last_t + 1, d = c->delay_us;
		int a = c->last_side;
		pc_tcp(p, c, a, t, TCP_FIN | TCP_ACK, NULL, 0);
		pc_tcp(p, c, !a, t + d, TCP_FIN | TCP_ACK, NULL, 0);
		pc_ack(p, c, a, t + 2 * d);
	}
	if (p->comments.len && p->npkts > p->written) {
		/* story notes after the last packet: on the last one */
		struct pc_pkt *k = &p->pkts[p->npkts - 1];
		buf_add(&k->comments, p->comments.p, p->comments.len);
		buf_clear(&p->comments);
	}
	pc_flush(p, INT64_MAX);
	fflush(p->out);
}

void pcap_free(struct pcap *p)
{
	if (!p)
		return;
	for (size_t i = p->written; i < p->npkts; i++) {
		free(p->pkts[i].payload);
		buf_free(&p->pkts[i].comments);
	}
	free(p->pkts);
	for (size_t i = 0; i < p->nconns; i++) {
		free(p->conns[i]->segs[0]);
		free(p->conns[i]->segs[1]);
		buf_free(&p->conns[i]->comments);
		free(p->conns[i]);
	}
	free(p->conns);
	for (size_t i = 0; i < p->ndns; i++) {
		free(p->dns[i]->name);
		buf_free(&p->dns[i]->answers);
		free(p->dns[i]);
	}
	free(p->dns);
	for (size_t i = 0; i < p->nhosts; i++)
		free(p->hosts[i].name);
	free(p->hosts);
	buf_free(&p->comments);
	buf_free(&p->block);
	free(p);
}

/* ------------------------------------------------------------ the file */

static void pc_cannot_write(const char *prog, const char *path, int err)
{
	/* TRANSLATORS: "mailsim run: cannot write FILE: REASON" */
	fprintf(stderr, _("%s: cannot write %s: %s\n"), prog, path, strerror(err));
}

int pcap_file_open(struct pcap_file *cf, const char *prog, const char *path, struct world *w,
		   bool live)
{
	size_t n = strlen(path);
	bool classic = n >= 5 && strcmp(path + n - 5, ".pcap") == 0;
	cf->path = path;
	cf->f = fopen(path, "wb");
	if (!cf->f) {
		pc_cannot_write(prog, path, errno);
		return -1;
	}
	cf->p = pcap_new(cf->f, classic, live, w->epoch_unix);
	for (size_t i = 0; i < w->nhosts; i++)
		pcap_host(cf->p, w->hosts[i].name, w->hosts[i].addr);
	trace_add_sink(&w->trace, pcap_sink, cf->p);
	if (live)
		pc_flush(cf->p, INT64_MIN); /* the header now: a valid file at once */
	return 0;
}

int pcap_file_close(struct pcap_file *cf, const char *prog)
{
	pcap_finish(cf->p);
	pcap_free(cf->p);
	cf->p = NULL;
	int err = ferror(cf->f) ? EIO : 0;
	if (fclose(cf->f) != 0 && !err)
		err = errno;
	if (err) {
		pc_cannot_write(prog, cf->path, err);
		return -1;
	}
	return 0;
}
