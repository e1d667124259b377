/*
 * spf.c - SPF records parsed and check_host() evaluated (RFC 7208).
 *
 * Reading guide: spf_parse() walks the record term by term (section 12's
 * grammar, mechanisms of section 5, modifiers of section 6); spf_host() is
 * check_host() of section 4 for one domain, calling itself for include:
 * and redirect=, with one struct spf_walk counting the DNS-querying terms
 * and the void lookups of section 4.6.4 across the whole walk.  Every
 * error sets a reason (N_) and the term at fault once, in spf_fail().
 */
#include "spf.h"

#include "i18n.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The walk of one spf_check(): the caller's DNS and the shared counters. */
struct spf_walk {
	uint32_t ip;          /* the client, host order */
	spf_lookup_fn lookup;
	void *ctx;
	struct spf_eval *e;
	char ans[SPF_ANSWERS_MAX][SPF_TXT_MAX]; /* the last lookup's answers */
};

const char *spf_result_name(enum spf_result r)
{
	static const char *const names[] = {
		[SPF_NONE] = "none",         [SPF_NEUTRAL] = "neutral",
		[SPF_PASS] = "pass",         [SPF_FAIL] = "fail",
		[SPF_SOFTFAIL] = "softfail", [SPF_TEMPERROR] = "temperror",
		[SPF_PERMERROR] = "permerror",
	};
	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

int spf_domain_ok(const char *name)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--; /* a final dot: the root, allowed */
	if (n == 0 || n > 253)
		return 0;
	int labels = 0;
	size_t len = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || name[i] == '.') {
			if (len == 0 || len > 63)
				return 0;
			labels++;
			len = 0;
		} else if ((unsigned char)name[i] <= ' ' || name[i] == '/') {
			return 0;
		} else {
			len++;
		}
	}
	return labels >= 2;
}

static void spf_copy(char *dst, const char *src, size_t n)
{
	snprintf(dst, SPF_NAME_MAX, "%.*s", (int)n, src);
}

/* "<n>" of 0..max into *out; 0 or -1. */
static int spf_num(const char *s, size_t n, int max, int *out)
{
	if (n == 0 || n > 3)
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max || (n > 1 && s[0] == '0'))
		return -1;
	*out = v;
	return 0;
}

/* The "/len" and "//len6" after a's and mx's domain (section 5.6):
 * s..end holds them; 0 or -1. */
static int spf_cidr(const char *s, const char *end, int *len4)
{
	*len4 = 32;
	const char *v6 = NULL;
	for (const char *p = s; p + 1 < end; p++)
		if (p[0] == '/' && p[1] == '/') {
			v6 = p;
			break;
		}
	const char *v4end = v6 ? v6 : end;
	if (v4end > s && spf_num(s + 1, (size_t)(v4end - s - 1), 32, len4) < 0)
		return -1;
	int len6;
	if (v6 && spf_num(v6 + 2, (size_t)(end - v6 - 2), 128, &len6) < 0)
		return -1;
	return 0;
}

/* One term (no spaces) into r; 0, or -1 with *reason. */
static int spf_term(const char *s, size_t n, struct spf_record *r, const char **reason)
{
	const char *end = s + n;
	size_t name = 0;
	while (name < n && s[name] != ':' && s[name] != '/' && s[name] != '=')
		name++;
	if (name < n && s[name] == '=') { /* a modifier (section 6) */
		char *dst = NULL;
		if (name == 8 && strncasecmp(s, "redirect", 8) == 0)
			dst = r->redirect;
		else if (name == 3 && strncasecmp(s, "exp", 3) == 0)
			dst = r->exp;
		if (name == 0 || strchr("+-~?", s[0])) {
			*reason = N_("a modifier has a bad name (or a qualifier, which only mechanisms take)");
			return -1;
		}
		if (!dst)
			return 0; /* unknown modifiers are ignored (section 6) */
		if (*dst) {
			*reason = N_("redirect= or exp= appears twice");
			return -1;
		}
		const char *v = s + name + 1;
		if (memchr(v, '%', (size_t)(end - v))) {
			*reason = N_("macros (section 7) are not supported here");
			return -1;
		}
		spf_copy(dst, v, (size_t)(end - v));
		if (!spf_domain_ok(dst)) {
			*reason = N_("the modifier's domain is not a valid domain name");
			return -1;
		}
		return 0;
	}
	if (r->nterms == SPF_TERMS_MAX) {
		*reason = N_("too many terms in one record");
		return -1;
	}
	struct spf_term *t = &r->term[r->nterms];
	memset(t, 0, sizeof *t);
	spf_copy(t->text, s, n);
	t->qual = '+';
	if (strchr("+-~?", *s)) {
		t->qual = *s++;
		name--;
	}
	static const struct {
		const char *name;
		enum spf_mech mech;
	} mechs[] = { { "all", SPF_ALL }, { "include", SPF_INCLUDE }, { "a", SPF_A },
		      { "mx", SPF_MX },   { "ip4", SPF_IP4 },         { "ip6", SPF_IP6 } };
	size_t m = 0;
	while (m < sizeof mechs / sizeof mechs[0] &&
	       !(strlen(mechs[m].name) == name && strncasecmp(s, mechs[m].name, name) == 0))
		m++;
	if (m == sizeof mechs / sizeof mechs[0]) {
		if ((name == 6 && strncasecmp(s, "exists", 6) == 0) ||
		    (name == 3 && strncasecmp(s, "ptr", 3) == 0))
			*reason = N_("the mechanisms exists and ptr are not supported here");
		else
			*reason = N_("an unknown mechanism");
		return -1;
	}
	t->mech = mechs[m].mech;
	t->len4 = 32;
	const char *arg = s + name, *slash = arg;
	if (*arg == ':') {
		arg++;
		slash = arg;
		while (slash < end && *slash != '/')
			slash++;
	}
	if (memchr(s, '%', (size_t)(end - s))) {
		*reason = N_("macros (section 7) are not supported here");
		return -1;
	}
	*reason = N_("a mechanism's argument is malformed");
	switch (t->mech) {
	case SPF_ALL:
		return arg == end ? (r->nterms++, 0) : -1;
	case SPF_INCLUDE:
	case SPF_A:
	case SPF_MX:
		if (arg > s + name) { /* ":domain" */
			spf_copy(t->domain, arg, (size_t)(slash - arg));
			if (!spf_domain_ok(t->domain))
				return -1;
		} else if (t->mech == SPF_INCLUDE) {
			return -1; /* include: needs its domain */
		}
		if (t->mech == SPF_INCLUDE ? slash != end : spf_cidr(slash, end, &t->len4) < 0)
			return -1;
		break;
	case SPF_IP4:
	case SPF_IP6: {
		if (arg == s + name)
			return -1;
		char ipbuf[64];
		unsigned char bin[16];
		if (slash - arg >= (long)sizeof ipbuf)
			return -1;
		memcpy(ipbuf, arg, (size_t)(slash - arg));
		ipbuf[slash - arg] = '\0';
		int af = t->mech == SPF_IP4 ? AF_INET : AF_INET6, len;
		if (inet_pton(af, ipbuf, bin) != 1)
			return -1;
		if (slash < end) {
			if (spf_num(slash + 1, (size_t)(end - slash - 1), af == AF_INET ? 32 : 128,
				    &len) < 0)
				return -1;
			if (af == AF_INET)
				t->len4 = len;
		}
		if (af == AF_INET)
			t->addr = (uint32_t)bin[0] << 24 | (uint32_t)bin[1] << 16 |
				  (uint32_t)bin[2] << 8 | bin[3];
		break;
	}
	}
	*reason = NULL;
	r->nterms++;
	return 0;
}

int spf_parse(const char *txt, struct spf_record *r, const char **reason, char bad[SPF_NAME_MAX])
{
	memset(r, 0, sizeof *r);
	*reason = NULL;
	bad[0] = '\0';
	if (strncasecmp(txt, "v=spf1", 6) != 0 || (txt[6] && txt[6] != ' ')) {
		*reason = N_("the record does not begin with v=spf1");
		spf_copy(bad, txt, strcspn(txt, " "));
		return -1;
	}
	for (const char *p = txt + 6; *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n && spf_term(p, n, r, reason) < 0) {
			spf_copy(bad, p, n);
			return -1;
		}
		p += n;
	}
	return 0;
}

/* Every error and every decision of the walk passes here. */
static enum spf_result spf_fail(struct spf_walk *w, enum spf_result res, const char *domain,
				const char *term, const char *reason)
{
	struct spf_eval *e = w->e;
	if (!e->reason) { /* the innermost cause stays */
		e->reason = reason;
		snprintf(e->term, sizeof e->term, "%s", term);
		snprintf(e->domain, sizeof e->domain, "%s", domain);
	}
	return res;
}

/* Ask the caller; counts a void lookup (section 4.6.4).  The count of
 * answers, 0 for none, or SPF_DNS_TEMPFAIL; -2 when voids are over. */
static int spf_ask(struct spf_walk *w, enum spf_rrtype type, const char *name)
{
	int n = w->lookup(w->ctx, type, name, w->ans, SPF_ANSWERS_MAX);
	if (n > SPF_ANSWERS_MAX)
		n = SPF_ANSWERS_MAX;
	if (n == 0 && type != SPF_RR_TXT && ++w->e->void_lookups > SPF_VOID_MAX)
		return -2;
	return n;
}

static uint32_t spf_mask(int len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

/* Does an A answer (dotted IPv4) hold the client within len bits? */
static int spf_in(const struct spf_walk *w, const char *a, int len)
{
	struct in_addr in;
	if (inet_pton(AF_INET, a, &in) != 1)
		return 0;
	uint32_t x = ntohl(in.s_addr);
	return ((x ^ w->ip) & spf_mask(len)) == 0;
}

static enum spf_result spf_host(struct spf_walk *w, const char *domain);
/* Does any of the n A answers of the last lookup hold the client? */
static int spf_any_in(const struct spf_walk *w, int n, int len)
{
	for (int i = 0; i < n; i++)
		if (spf_in(w, w->ans[i], len))
			return 1;
	return 0;
}

/* spf_ask's n for term t of domain's record: true, with *res set, when the
 * lookup failed for now or the void lookups are over (section 4.6.4). */
static bool spf_lookup_failed(struct spf_walk *w, int n, const char *domain,
			      const struct spf_term *t, enum spf_result *res)
{
	if (n == SPF_DNS_TEMPFAIL)
		*res = spf_fail(w, SPF_TEMPERROR, domain, t->text, N_("a DNS lookup failed for now"));
	else if (n == -2)
		*res = spf_fail(w, SPF_PERMERROR, domain, t->text,
				N_("more than 2 lookups found nothing (section 4.6.4)"));
	return n == SPF_DNS_TEMPFAIL || n == -2;
}


/* One term of domain's record: 1 matched, 0 not, or -1 with *res set. */
static int spf_match(struct spf_walk *w, const char *domain, const struct spf_term *t,
		     enum spf_result *res)
{
	const char *target = t->domain[0] ? t->domain : domain;
	if (t->mech == SPF_ALL)
		return 1;
	if (t->mech == SPF_IP4)
		return ((t->addr ^ w->ip) & spf_mask(t->len4)) == 0;
	if (t->mech == SPF_IP6)
		return 0; /* an IPv4 client never matches */
	if (++w->e->dns_terms > SPF_DNS_TERMS_MAX) {
		*res = spf_fail(w, SPF_PERMERROR, domain, t->text,
				N_("more than 10 DNS-querying terms (section 4.6.4)"));
		return -1;
	}
	if (t->mech == SPF_INCLUDE) { /* section 5.2's table */
		enum spf_result r = spf_host(w, target);
		if (r == SPF_PASS)
			return 1;
		if (r == SPF_FAIL || r == SPF_SOFTFAIL || r == SPF_NEUTRAL)
			return 0;
		*res = r == SPF_NONE ? SPF_PERMERROR : r;
		if (r == SPF_NONE) {
			w->e->reason = NULL; /* not "no record": the include's error */
			spf_fail(w, r, domain, t->text,
				 N_("include: names a domain with no SPF record"));
		}
		return -1;
	}
	int n = spf_ask(w, t->mech == SPF_A ? SPF_RR_A : SPF_RR_MX, target);
	if (spf_lookup_failed(w, n, domain, t, res))
		return -1;
	if (t->mech == SPF_A)
		return spf_any_in(w, n, t->len4);
	if (n > SPF_MX_NAMES_MAX) {
		*res = spf_fail(w, SPF_PERMERROR, domain, t->text,
				N_("more than 10 MX names to look up (section 4.6.4)"));
		return -1;
	}
	char mx[SPF_MX_NAMES_MAX][SPF_NAME_MAX];
	for (int i = 0; i < n; i++)
		spf_copy(mx[i], w->ans[i], strnlen(w->ans[i], SPF_NAME_MAX - 1));
	for (int i = 0; i < n; i++) {
		int k = spf_ask(w, SPF_RR_A, mx[i]);
		if (spf_lookup_failed(w, k, domain, t, res))
			return -1;
		if (spf_any_in(w, k, t->len4))
			return 1;
	}
	return 0;
}

/* check_host() for one domain (section 4). */
static enum spf_result spf_host(struct spf_walk *w, const char *domain)
{
	if (!spf_domain_ok(domain)) /* section 4.3 */
		return spf_fail(w, SPF_NONE, domain, "", N_("the domain name is malformed"));
	int n = spf_ask(w, SPF_RR_TXT, domain);
	if (n == SPF_DNS_TEMPFAIL)
		return spf_fail(w, SPF_TEMPERROR, domain, "", N_("a DNS lookup failed for now"));
	int found = -1; /* section 4.5: exactly one record that is SPF */
	for (int i = 0; i < n; i++) {
		if (strncasecmp(w->ans[i], "v=spf1", 6) == 0 &&
		    (w->ans[i][6] == '\0' || w->ans[i][6] == ' ')) {
			if (found >= 0)
				return spf_fail(w, SPF_PERMERROR, domain, "",
						N_("the domain publishes more than one SPF record"));
			found = i;
		}
	}
	if (found < 0)
		return spf_fail(w, SPF_NONE, domain, "", N_("the domain publishes no SPF record"));
	struct spf_record rec;
	const char *reason;
	char bad[SPF_NAME_MAX];
	if (spf_parse(w->ans[found], &rec, &reason, bad) < 0)
		return spf_fail(w, SPF_PERMERROR, domain, bad, reason);
	for (int i = 0; i < rec.nterms; i++) {
		enum spf_result res = SPF_PERMERROR; /* spf_match sets it whenever it returns -1 */
		int m = spf_match(w, domain, &rec.term[i], &res);
		if (m < 0)
			return res;
		if (m) {
			static const char quals[] = "+-~?";
			static const enum spf_result by_qual[] = { SPF_PASS, SPF_FAIL,
								    SPF_SOFTFAIL, SPF_NEUTRAL };
			struct spf_eval *e = w->e;
			snprintf(e->matched, sizeof e->matched, "%s", rec.term[i].text);
			snprintf(e->domain, sizeof e->domain, "%s", domain);
			return by_qual[strchr(quals, rec.term[i].qual) - quals];
		}
	}
	if (rec.redirect[0]) { /* section 6.1: only when nothing matched */
		char term[SPF_NAME_MAX];
		snprintf(term, sizeof term, "redirect=%.*s", SPF_NAME_MAX - 10, rec.redirect);
		if (++w->e->dns_terms > SPF_DNS_TERMS_MAX)
			return spf_fail(w, SPF_PERMERROR, domain, term,
					N_("more than 10 DNS-querying terms (section 4.6.4)"));
		enum spf_result r = spf_host(w, rec.redirect);
		if (r == SPF_NONE) {
			w->e->reason = NULL;
			return spf_fail(w, SPF_PERMERROR, domain, term,
					N_("redirect= names a domain with no SPF record"));
		}
		return r;
	}
	w->e->matched[0] = '\0'; /* an include's own -all decided nothing */
	snprintf(w->e->domain, sizeof w->e->domain, "%s", domain);
	return SPF_NEUTRAL; /* section 4.7: no match, no redirect */
}

enum spf_result spf_check(const char *ip, const char *domain, const char *sender,
			  spf_lookup_fn lookup, void *ctx, struct spf_eval *e)
{
	(void)sender; /* only macros (%{s}) would read it */
	struct spf_walk w;
	memset(e, 0, sizeof *e);
	memset(&w, 0, sizeof w);
	w.lookup = lookup;
	w.ctx = ctx;
	w.e = e;
	struct in_addr in;
	if (inet_pton(AF_INET, ip, &in) != 1) {
		e->reason = N_("the client's address is not an IPv4 address");
		snprintf(e->term, sizeof e->term, "%s", ip);
		return e->result = SPF_PERMERROR;
	}
	w.ip = ntohl(in.s_addr);
	e->result = spf_host(&w, domain);
	if (e->result != SPF_PERMERROR && e->result != SPF_TEMPERROR && e->result != SPF_NONE)
		e->reason = NULL;
	return e->result;
}
