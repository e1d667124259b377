/*
 * player_map.c - the player's map: every host a box, devices above their
 * server, servers in a row (the "dns" box at its end when the run uses
 * DNS), the links between them with their latency, and the current
 * step's token travelling its link.
 *
 * Read: the state of the world at the cursor (a link or server is down
 * when the last up/down event at or before the cursor says so; the events
 * are found once, by map_scan_steps), then map_layout (box positions,
 * recomputed at a resize or when a live client connects), the canvas (a
 * direction mask per cell, drawn as box-drawing characters, so that lines
 * that cross or meet join up), the paths between boxes, and map_draw.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "player_int.h"


/* A link or server going down or up, found once at load. */
struct updown {
	size_t step;
	uint32_t a, b;              /* a server (b = PB_NONE), or a link's ends */
	bool up;
};

struct mapbox {
	uint32_t host;              /* a host index, or HOST_DNS */
	int x, y, w;                /* relative to the map pane; 3 rows high */
};

/* ------------------------------------------------------------------ */
/* State of the world at the cursor: servers and links up or down.      */

static bool server_up(const struct player *p, uint32_t h)
{
	bool up = true;
	for (size_t i = 0; i < p->nud && p->cur != SIZE_MAX && p->ud[i].step <= p->cur; i++)
		if (p->ud[i].b == PB_NONE && p->ud[i].a == h)
			up = p->ud[i].up;
	return up;
}

static bool link_up(const struct player *p, uint32_t a, uint32_t b)
{
	bool up = true;
	for (size_t i = 0; i < p->nud && p->cur != SIZE_MAX && p->ud[i].step <= p->cur; i++)
		if (p->ud[i].b != PB_NONE && ((p->ud[i].a == a && p->ud[i].b == b) ||
					      (p->ud[i].a == b && p->ud[i].b == a)))
			up = p->ud[i].up;
	return up;
}

unsigned map_connect_port(const struct pb_step *s)
{
	if (!s->event || strcmp(s->event, "connect") != 0 || !s->text)
		return 0;
	/* "connect to HOST port N", in whatever language (sim/net.c): the
	 * port is the number the text ends with */
	size_t end = s->text_len, start = end;
	while (start > 0 && s->text[start - 1] >= '0' && s->text[start - 1] <= '9')
		start--;
	unsigned port = 0;
	for (size_t k = start; k < end && end - start <= 5; k++)
		port = port * 10 + (unsigned)(s->text[k] - '0');
	return port <= 65535 ? port : 0;
}

/* Remember that server h was connected to on port (once). */
static void note_port(struct player *p, uint32_t h, unsigned port)
{
	for (size_t i = 0; i < p->nhp; i++)
		if (p->hp[i].host == h && p->hp[i].port == port)
			return;
	if (p->nhp == p->caphp) {
		p->caphp = p->caphp ? p->caphp * 2 : 8;
		p->hp = xrealloc(p->hp, p->caphp * sizeof *p->hp);
	}
	p->hp[p->nhp++] = (struct hostport){ h, port };
}

void map_scan_steps(struct player *p)
{
	struct pb_step s;
	for (size_t i = p->scanned; i < p->n; i++) {
		if (!pb_get_step(p->pb, i, &s))
			continue;
		if (s.proto == PROTO_DNS)
			p->uses_dns = true;
		if (!s.event)
			continue;
		unsigned port = map_connect_port(&s);
		if (port && s.to != PB_NONE)
			note_port(p, s.to, port);
		bool server = !strcmp(s.event, "server-down") || !strcmp(s.event, "server-up");
		bool link = !strcmp(s.event, "link-down") || !strcmp(s.event, "link-up");
		if (!server && !link)
			continue;
		if (p->nud == p->capud) {
			p->capud = p->capud ? p->capud * 2 : 8;
			p->ud = xrealloc(p->ud, p->capud * sizeof *p->ud);
		}
		p->ud[p->nud++] = (struct updown){
			.step = i,
			.a = s.from,
			.b = server ? PB_NONE : s.to,
			.up = strstr(s.event, "-up") != NULL,
		};
	}
	p->scanned = p->n;
}

/* ------------------------------------------------------------------ */
/* The map.                                                            */

/* A line between two hosts (or "dns"), or a connect: a token to draw. */
bool map_has_token(const struct pb_step *s)
{
	bool from_ok = s->from != PB_NONE || (s->from_name && !strcmp(s->from_name, "dns"));
	bool to_ok = s->to != PB_NONE || (s->to_name && !strcmp(s->to_name, "dns"));
	if (!from_ok || !to_ok)
		return false;
	return !s->event || !strcmp(s->event, "connect");
}

/* "10ms", "2.5ms", "1.2s" */
static void fmt_latency(char *out, size_t n, int64_t us)
{
	if (us >= 1000000)
		snprintf(out, n, "%lld.%llds", (long long)(us / 1000000),
			 (long long)(us % 1000000 / 100000));
	else if (us % 1000 == 0)
		snprintf(out, n, "%lldms", (long long)(us / 1000));
	else
		snprintf(out, n, "%lld.%lldms", (long long)(us / 1000), (long long)(us % 1000 / 100));
}

static const char *host_name(const struct player *p, uint32_t h)
{
	return h == HOST_DNS ? "dns" : pb_host(p->pb, h)->name;
}

static struct mapbox *box_of(struct player *p, uint32_t h)
{
	for (size_t i = 0; i < p->nbox; i++)
		if (p->box[i].host == h)
			return &p->box[i];
	return NULL;
}

size_t map_columns(const struct player *p, uint32_t *out, size_t max)
{
	size_t n = 0;
	const struct mapbox **b = xcalloc(p->nbox + 1, sizeof *b);
	for (size_t i = 0; i < p->nbox; i++)
		b[n++] = &p->box[i];
	/* insertion sort by the box's centre, a device (above) before its server */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			int c0 = 2 * b[j - 1]->x + b[j - 1]->w, c1 = 2 * b[j]->x + b[j]->w;
			if (c0 < c1 || (c0 == c1 && b[j - 1]->y <= b[j]->y))
				break;
			const struct mapbox *t = b[j];
			b[j] = b[j - 1];
			b[j - 1] = t;
		}
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = b[i]->host;
	free(b);
	return n;
}

/* Devices above their server, servers in a row (DNS at its end). */
void map_layout(struct player *p)
{
	assert(!p->too_small); /* the panes have their sizes */
	struct pane *pn = &p->pane[PANE_MAP];
	size_t nh = pb_nhosts(p->pb);
	p->nhosts_laid = nh;
	free(p->box);
	p->box = xcalloc(nh + 1, sizeof *p->box);
	p->nbox = 0;
	p->srow = pn->h - 3;

	/* clusters: each server with its devices, then devices without one */
	size_t ncl = 0;
	uint32_t *cl_server = xcalloc(nh + 1, sizeof *cl_server);
	for (uint32_t h = 0; h < nh; h++)
		if (pb_host(p->pb, h)->server)
			cl_server[ncl++] = h;
	for (uint32_t h = 0; h < nh; h++) {
		const struct pb_host *ph = pb_host(p->pb, h);
		if (!ph->server && (ph->home == PB_NONE || ph->home >= nh))
			cl_server[ncl++] = h; /* its own cluster */
	}
	int *clw = xcalloc(ncl + 1, sizeof *clw);
	int cap = 24, total = 0;
	for (;; cap--) {
		total = 0;
		for (size_t c = 0; c < ncl; c++) {
			const struct pb_host *sh = pb_host(p->pb, cl_server[c]);
			int sw = 0, dw = 0, nd = 0;
			int nw = term_width(sh->name, strlen(sh->name));
			if (sh->server) {
				sw = (nw < cap ? nw : cap) + 2;
				for (uint32_t h = 0; h < nh; h++) {
					const struct pb_host *d = pb_host(p->pb, h);
					if (!d->server && d->home == cl_server[c]) {
						int w = term_width(d->name, strlen(d->name));
						dw += (w < cap ? w : cap) + 2 + (nd++ ? 1 : 0);
					}
				}
			} else {
				dw = (nw < cap ? nw : cap) + 2;
			}
			clw[c] = sw > dw ? sw : dw;
			total += clw[c];
		}
		total += (int)(ncl ? ncl - 1 : 0) * 2;
		if (p->uses_dns)
			total += 2 + 5;
		if (total <= pn->w || cap <= 4)
			break;
	}
	int items = (int)ncl + (p->uses_dns ? 1 : 0);
	int gap = (pn->w - total) / (items + 1);
	if (gap < 0)
		gap = 0;
	int x = gap;
	for (size_t c = 0; c < ncl; c++) {
		uint32_t s = cl_server[c];
		const struct pb_host *sh = pb_host(p->pb, s);
		int nw = term_width(sh->name, strlen(sh->name));
		int sw = (nw < cap ? nw : cap) + 2;
		if (sh->server) {
			p->box[p->nbox++] = (struct mapbox){ s, x + (clw[c] - sw) / 2, p->srow, sw };
			int dw = 0, nd = 0;
			for (uint32_t h = 0; h < nh; h++) {
				const struct pb_host *d = pb_host(p->pb, h);
				if (!d->server && d->home == s) {
					int w = term_width(d->name, strlen(d->name));
					dw += (w < cap ? w : cap) + 2 + (nd++ ? 1 : 0);
				}
			}
			int dx = x + (clw[c] - dw) / 2;
			for (uint32_t h = 0; h < nh; h++) {
				const struct pb_host *d = pb_host(p->pb, h);
				if (!d->server && d->home == s) {
					int w = term_width(d->name, strlen(d->name));
					w = (w < cap ? w : cap) + 2;
					p->box[p->nbox++] = (struct mapbox){ h, dx, 0, w };
					dx += w + 1;
				}
			}
		} else {
			p->box[p->nbox++] = (struct mapbox){ s, x, 0, sw };
		}
		x += clw[c] + 2 + gap;
	}
	if (p->uses_dns)
		p->box[p->nbox++] = (struct mapbox){ HOST_DNS, x, p->srow, 5 };
	free(cl_server);
	free(clw);
}

/* The canvas: a direction mask per cell, drawn as box-drawing lines. */
enum { DU = 1, DD = 2, DL = 4, DR = 8 };

struct canvas {
	int h, w;
	unsigned char *m;           /* direction bits */
	unsigned char *cut;         /* 1: part of a link that is down */
};

static void cv_set(struct canvas *c, int y, int x, unsigned bits, bool cut)
{
	if (y < 0 || y >= c->h || x < 0 || x >= c->w)
		return;
	c->m[y * c->w + x] |= (unsigned char)bits;
	if (cut)
		c->cut[y * c->w + x] = 1;
}

static void cv_segment(struct canvas *c, int y0, int x0, int y1, int x1, bool cut)
{
	if (y0 == y1) {
		int a = x0 < x1 ? x0 : x1, b = x0 < x1 ? x1 : x0;
		for (int x = a; x <= b; x++)
			cv_set(c, y0, x, (x > a ? DL : 0) | (x < b ? DR : 0), cut);
	} else {
		int a = y0 < y1 ? y0 : y1, b = y0 < y1 ? y1 : y0;
		for (int y = a; y <= b; y++)
			cv_set(c, y, x0, (y > a ? DU : 0) | (y < b ? DD : 0), cut);
	}
}

static void cv_box(struct canvas *c, const struct mapbox *b)
{
	int r = b->x + b->w - 1;
	cv_segment(c, b->y, b->x, b->y, r, false);
	cv_segment(c, b->y + 2, b->x, b->y + 2, r, false);
	cv_segment(c, b->y, b->x, b->y + 2, b->x, false);
	cv_segment(c, b->y, r, b->y + 2, r, false);
}

static const char *line_char(unsigned m)
{
	static const char *const t[16] = {
		" ", "│", "│", "│", "─", "┘", "┐", "┤",
		"─", "└", "┌", "├", "─", "┴", "┬", "┼",
	};
	return t[m & 15];
}

/* The polyline from host a to host b: at most 4 points (y, x). */
static int map_path(struct player *p, uint32_t a, uint32_t b, int pts[4][2])
{
	struct mapbox *ba = box_of(p, a), *bb = box_of(p, b);
	if (!ba || !bb)
		return 0;
	int bus = p->srow - 1;
	bool a_dev = ba->y == 0, b_dev = bb->y == 0;
	if (!a_dev && !b_dev) {
		int mid = p->srow + 1;
		if (ba->x < bb->x) {
			pts[0][0] = mid, pts[0][1] = ba->x + ba->w - 1;
			pts[1][0] = mid, pts[1][1] = bb->x;
		} else {
			pts[0][0] = mid, pts[0][1] = ba->x;
			pts[1][0] = mid, pts[1][1] = bb->x + bb->w - 1;
		}
		return 2;
	}
	/* attachment points: a device's bottom (left part), a server's top centre */
	int ax = a_dev ? ba->x + (ba->w >= 5 ? 2 : ba->w / 2) : ba->x + ba->w / 2;
	int bx = b_dev ? bb->x + (bb->w >= 5 ? 2 : bb->w / 2) : bb->x + bb->w / 2;
	int ay = a_dev ? 2 : p->srow, by = b_dev ? 2 : p->srow;
	int n = 0;
	pts[n][0] = ay, pts[n++][1] = ax;
	pts[n][0] = bus, pts[n++][1] = ax;
	pts[n][0] = bus, pts[n++][1] = bx;
	pts[n][0] = by, pts[n++][1] = bx;
	return n;
}

/* Expand a polyline into its cells; returns how many (at most max). */
static int path_cells(int pts[4][2], int npts, int (*cells)[2], int max)
{
	int n = 0;
	for (int i = 0; i + 1 < npts; i++) {
		int y = pts[i][0], x = pts[i][1];
		int ty = pts[i + 1][0], tx = pts[i + 1][1];
		while (n < max) {
			if (n == 0 || cells[n - 1][0] != y || cells[n - 1][1] != x) {
				cells[n][0] = y;
				cells[n][1] = x;
				n++;
			}
			if (y == ty && x == tx)
				break;
			y += (ty > y) - (ty < y);
			x += (tx > x) - (tx < x);
		}
	}
	return n;
}

/* The token's label: the command or the reply, short. */
static void token_label(const struct pb_step *s, char *out, size_t n)
{
	const char *t = s->text;
	size_t len = s->text_len, k = 0;
	if (s->event) {
		snprintf(out, n, "%s", s->event);
		return;
	}
	if (s->proto == PROTO_DNS) {
		bool nx = memmem(t, len, "NXDOMAIN", 8) != NULL;
		snprintf(out, n, "%s", s->dir == DIR_C2S ? "MX?" : nx ? "NXDOMAIN" : "MX");
		return;
	}
	int words = 1;
	if (s->proto == PROTO_SMTP && (len >= 9 && (!strncasecmp(t, "MAIL FROM", 9) ||
						    !strncasecmp(t, "RCPT TO", 7)))) {
		words = 2;
	} else if (s->proto == PROTO_IMAP) {
		words = 2;
		if (len > 2 && t[0] == '*' && t[2] >= '0' && t[2] <= '9')
			words = 3;
	} else if (s->proto == PROTO_SMTP && s->dir == DIR_S2C) {
		k = len < 3 ? len : 3;
		goto copy;
	}
	for (int w = 0; k < len; k++) {
		if (t[k] == ' ' && ++w == words)
			break;
		if (t[k] == ':' && words == 2 && s->proto == PROTO_SMTP)
			break;
	}
copy:
	if (k > 14)
		k = term_fit(t, k, 14);
	snprintf(out, n, "%.*s", (int)k, t);
}

void map_draw(struct player *p, struct pane *pn)
{
	assert(pn == &p->pane[PANE_MAP] && pn->h > 0 && pn->w > 0);
	struct canvas c = { pn->h, pn->w, xcalloc((size_t)(pn->h * pn->w), 1),
			    xcalloc((size_t)(pn->h * pn->w), 1) };
	char lab[32];
	int pts[4][2];
	/* links: devices to their server, servers side by side */
	for (size_t i = 0; i < p->nbox; i++)
		cv_box(&c, &p->box[i]);
	for (size_t i = 0; i < pb_nlinks(p->pb); i++) {
		const struct pb_link *l = pb_link(p->pb, i);
		struct mapbox *a = box_of(p, l->a), *b = box_of(p, l->b);
		if (!a || !b)
			continue;
		bool adjacent = true;
		if (a->y == p->srow && b->y == p->srow) {
			int lo = a->x < b->x ? a->x : b->x, hi = a->x < b->x ? b->x : a->x;
			for (size_t k = 0; k < p->nbox; k++)
				if (p->box[k].y == p->srow && p->box[k].x > lo && p->box[k].x < hi)
					adjacent = false;
		} else {
			const struct pb_host *ha = pb_host(p->pb, l->a), *hb = pb_host(p->pb, l->b);
			adjacent = ha->home == l->b || hb->home == l->a;
		}
		if (!adjacent)
			continue;
		int np = map_path(p, l->a, l->b, pts);
		bool cut = !link_up(p, l->a, l->b);
		for (int k = 0; k + 1 < np; k++)
			cv_segment(&c, pts[k][0], pts[k][1], pts[k + 1][0], pts[k + 1][1], cut);
	}
	for (int y = 0; y < c.h; y++)
		for (int x = 0; x < c.w; x++)
			if (c.m[y * c.w + x])
				term_fill(pn->y + y, pn->x + x, 1, line_char(c.m[y * c.w + x]),
					  c.cut[y * c.w + x] ? term_attr[R_DOWN] : A_NORMAL);
	/* latency labels and cuts */
	for (size_t i = 0; i < pb_nlinks(p->pb); i++) {
		const struct pb_link *l = pb_link(p->pb, i);
		struct mapbox *a = box_of(p, l->a), *b = box_of(p, l->b);
		if (!a || !b)
			continue;
		bool cut = !link_up(p, l->a, l->b);
		if (cut)
			snprintf(lab, sizeof lab, "%s", _("╳cut"));
		else
			fmt_latency(lab, sizeof lab, l->latency_us);
		int lw = term_width(lab, strlen(lab));
		attr_t at = cut ? term_attr[R_DOWN] : term_attr[R_DIM];
		if (a->y == 0 || b->y == 0) {
			struct mapbox *d = a->y == 0 ? a : b;
			uint32_t dh = a->y == 0 ? l->a : l->b, sh = a->y == 0 ? l->b : l->a;
			if (pb_host(p->pb, dh)->home != sh)
				continue;
			int lx = d->x + 4;
			if (lx + lw <= d->x + d->w - 1)
				term_put(pn->y + 2, pn->x + lx, lw, lab, at);
		} else {
			struct mapbox *lft = a->x < b->x ? a : b, *rgt = a->x < b->x ? b : a;
			int x0 = lft->x + lft->w, x1 = rgt->x - 1;
			if (x1 - x0 + 1 >= lw + 2)
				term_put(pn->y + p->srow + 1, pn->x + x0 + (x1 - x0 + 1 - lw) / 2, lw, lab, at);
		}
	}
	/* the ports each server was connected to, on its box's bottom line */
	for (size_t i = 0; i < p->nbox; i++) {
		struct mapbox *b = &p->box[i];
		for (int sep = 1; sep >= 0; sep--) { /* ":25 :143", else ":25:143" */
			char ports[64] = "";
			size_t len = 0;
			for (size_t k = 0; k < p->nhp && len < sizeof ports - 16; k++)
				if (p->hp[k].host == b->host)
					len += (size_t)snprintf(ports + len, sizeof ports - len, "%s:%u",
								len && sep ? " " : "", p->hp[k].port);
			int pw = (int)len;
			if (pw && pw <= b->w - 2) {
				term_put(pn->y + b->y + 2, pn->x + b->x + (b->w - pw) / 2, pw, ports,
					 term_attr[R_DIM]);
				break;
			}
		}
	}
	/* names, and servers that are down */
	for (size_t i = 0; i < p->nbox; i++) {
		struct mapbox *b = &p->box[i];
		bool down = b->host != HOST_DNS && !server_up(p, b->host);
		attr_t at = down ? term_attr[R_DOWN] : term_attr[R_HEAD];
		term_put(pn->y + b->y + 1, pn->x + b->x + 1, b->w - 2, host_name(p, b->host), at);
		if (down) {
			/* TRANSLATORS: on the map, a server that is down */
			term_put(pn->y + b->y, pn->x + b->x + 1, b->w - 2, _("DOWN"),
				 term_attr[R_DOWN]);
			term_put(pn->y + b->y + 2, pn->x + b->x + 1, b->w - 2, _("DOWN"),
				 term_attr[R_DOWN]);
		}
	}
	/* the token */
	struct pb_step s;
	if (step_at(p, p->cur, &s) && map_has_token(&s)) {
		uint32_t from = s.from != PB_NONE ? s.from : HOST_DNS;
		uint32_t to = s.to != PB_NONE ? s.to : HOST_DNS;
		int np = map_path(p, from, to, pts);
		int cells[512][2];
		int nc = path_cells(pts, np, cells, 512);
		if (nc > 0) {
			double f = player_token_progress(p);
			int k = (int)(f * (nc - 1) + 0.5);
			int dy = 0, dx = 0;
			if (nc > 1) {
				int k0 = k > 0 ? k - 1 : 0, k1 = k > 0 ? k : 1;
				dy = cells[k1][0] - cells[k0][0];
				dx = cells[k1][1] - cells[k0][1];
			}
			char t[40], full[64];
			if (s.tls && !p->tls_reveal)
				snprintf(t, sizeof t, "%s", "TLS"); /* a wiretapper reads no command */
			else
				token_label(&s, t, sizeof t);
			if (dx > 0)
				snprintf(full, sizeof full, "%s►", t);
			else if (dx < 0)
				snprintf(full, sizeof full, "◄%s", t);
			else if (dy > 0)
				snprintf(full, sizeof full, "%s▼", t);
			else
				snprintf(full, sizeof full, "%s▲", t);
			int lw = term_width(full, strlen(full));
			int y = cells[k][0], x = cells[k][1];
			if (dx > 0)
				x = x - lw + 1;
			else if (dx == 0)
				x = x - lw / 2;
			if (x + lw > pn->w)
				x = pn->w - lw;
			if (x < 0)
				x = 0;
			term_put(pn->y + y, pn->x + x, lw, full,
				 term_proto_attr(s.proto) | A_REVERSE | A_BOLD);
		}
	}
	free(c.m);
	free(c.cut);
}
