/*
 * dmarc.c - DMARC records, alignment and policy (RFC 7489), and the
 * Authentication-Results value (RFC 8601).
 *
 * Reading guide: dmarc_parse() reads tag=value pairs (section 6.3);
 * dmarc_find() is the discovery of section 6.6.3; dmarc_check() puts
 * alignment (section 3.1) and the policy (section 6.6.4) together.
 */
#include "dmarc.h"

#include "i18n.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *dmarc_result_name(enum dmarc_result r)
{
	static const char *const names[] = { "none", "pass", "fail", "temperror", "permerror" };
	return (unsigned)r < 5 ? names[r] : "?";
}

const char *dmarc_policy_name(enum dmarc_policy p)
{
	static const char *const names[] = { "none", "quarantine", "reject" };
	return (unsigned)p < 3 ? names[p] : "?";
}

static int dmarc_policy_of(const char *v, size_t n, enum dmarc_policy *p)
{
	for (int i = 0; i < 3; i++)
		if (strlen(dmarc_policy_name((enum dmarc_policy)i)) == n &&
		    strncasecmp(v, dmarc_policy_name((enum dmarc_policy)i), n) == 0) {
			*p = (enum dmarc_policy)i;
			return 0;
		}
	return -1;
}

int dmarc_parse(const char *txt, struct dmarc_record *r, const char **reason)
{
	memset(r, 0, sizeof *r);
	r->adkim = r->aspf = 'r';
	r->pct = 100;
	int has_p = 0, has_sp = 0, first = 1, bad_p = 0;
	*reason = NULL;
	for (const char *s = txt; *s;) {
		while (*s == ' ' || *s == '\t')
			s++;
		size_t len = strcspn(s, ";");
		const char *eq = memchr(s, '=', len);
		const char *end = s + len;
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (!eq) {
			if (end != s || first) { /* an empty tag between ;; is allowed */
				*reason = N_("a DMARC tag has no '='");
				return -1;
			}
		} else {
			const char *ne = eq, *v = eq + 1;
			while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			size_t tn = (size_t)(ne - s), vn = (size_t)(end - v);
#define TAG(name) (tn == strlen(name) && strncasecmp(s, name, tn) == 0)
			if (first && !(TAG("v") && vn == 6 && strncmp(v, "DMARC1", 6) == 0)) {
				*reason = N_("the record does not begin with v=DMARC1");
				return -1;
			}
			if (TAG("p")) {
				has_p = 1;
				bad_p |= dmarc_policy_of(v, vn, &r->p) < 0;
			} else if (TAG("sp")) {
				has_sp = 1;
				bad_p |= dmarc_policy_of(v, vn, &r->sp) < 0;
			} else if (TAG("adkim") || TAG("aspf")) {
				if (vn != 1 || (*v != 'r' && *v != 's')) {
					*reason = N_("adkim= and aspf= take r or s");
					return -1;
				}
				*(TAG("adkim") ? &r->adkim : &r->aspf) = *v;
			} else if (TAG("pct")) {
				int pct = 0;
				for (size_t i = 0; i < vn; i++)
					pct = (v[i] >= '0' && v[i] <= '9' && pct <= 100)
						      ? pct * 10 + (v[i] - '0')
						      : 1000;
				if (vn == 0 || pct > 100) {
					*reason = N_("pct= takes a whole number from 0 to 100");
					return -1;
				}
				r->pct = pct;
			} else if (TAG("rua")) {
				snprintf(r->rua, sizeof r->rua, "%.*s", (int)vn, v);
			}
#undef TAG
		}
		first = 0;
		s += len;
		if (*s == ';')
			s++;
	}
	if (first) {
		*reason = N_("the record does not begin with v=DMARC1");
		return -1;
	}
	/* section 6.6.3: a bad or missing p= (or a bad sp=) with a rua= is
	 * read as p=none; without one the record is discarded */
	if (!has_p || bad_p) {
		if (!r->rua[0]) {
			*reason = N_("the record has no valid p= policy");
			return -1;
		}
		r->p = r->sp = DMARC_P_NONE;
		return 0;
	}
	if (!has_sp)
		r->sp = r->p;
	return 0;
}

/*
 * Public suffixes of more than one label: names under which anyone may
 * register a domain, so they are never an organization of their own.  RFC
 * 7489 3.2 takes them from the Public Suffix List (publicsuffix.org, some
 * 9000 rules); mailsim keeps this excerpt: Brazil's, where this course is
 * taught, and a few that lessons and students meet elsewhere.  A suffix not
 * listed here counts as one label (".org", ".com", ".br").
 */
static const char *const dmarc_public_suffixes[] = {
	"com.br", "edu.br", "gov.br", "org.br", "net.br", "mil.br", "art.br", "blog.br",
	"eng.br", "ind.br", "inf.br", "jus.br", "leg.br", "mp.br", "nom.br", "tec.br",
	"co.uk", "ac.uk", "gov.uk", "org.uk", "com.au", "edu.au", "co.jp", "ac.jp",
	"com.pt", "com.ar", "com.mx", "co.za",
};

static bool dmarc_is_public_suffix(const char *name, size_t len)
{
	if (len > 0 && name[len - 1] == '.')
		len--; /* a root dot: "edu.br." is "edu.br" */
	for (size_t i = 0; i < sizeof dmarc_public_suffixes / sizeof *dmarc_public_suffixes; i++)
		if (strlen(dmarc_public_suffixes[i]) == len &&
		    strncasecmp(dmarc_public_suffixes[i], name, len) == 0)
			return true;
	return false;
}

/* Section 3.2: the public suffix and one label more.  Walking the labels
 * from the right: the last two, or the last three when the last two are
 * a public suffix ("uea.edu.br", not "edu.br"). */
const char *dmarc_org_domain(const char *domain)
{
	const char *dots[3] = {NULL, NULL, NULL}; /* the last three label starts' dots */
	for (const char *p = domain; *p; p++)
		if (*p == '.' && p[1]) {
			dots[0] = dots[1];
			dots[1] = dots[2];
			dots[2] = p;
		}
	if (!dots[2])
		return domain; /* one label */
	const char *two = dots[1] ? dots[1] + 1 : domain; /* the last two labels */
	if (dmarc_is_public_suffix(two, strlen(two)))
		return dots[0] ? dots[0] + 1 : domain;
	return two;
}

int dmarc_aligned(const char *a, const char *b, char mode)
{
	if (!a || !b || !*a || !*b)
		return 0;
	if (mode == 's')
		return strcasecmp(a, b) == 0;
	return strcasecmp(dmarc_org_domain(a), dmarc_org_domain(b)) == 0;
}

/* The one DMARC record at _dmarc.<domain> (section 6.6.3): 1 found,
 * 0 none, -1 temperror. */
static int dmarc_find(const char *domain, spf_lookup_fn lookup, void *ctx, struct dmarc_eval *e)
{
	char name[SPF_NAME_MAX + 8];
	snprintf(name, sizeof name, "_dmarc.%s", domain);
	char ans[SPF_ANSWERS_MAX][SPF_TXT_MAX];
	int n = lookup(ctx, SPF_RR_TXT, name, ans, SPF_ANSWERS_MAX);
	if (n == SPF_DNS_TEMPFAIL)
		return -1;
	int found = -1;
	for (int i = 0; i < n && i < SPF_ANSWERS_MAX; i++) {
		if (strncmp(ans[i], "v=DMARC1", 8) != 0) /* not DMARC: discarded */
			continue;
		if (found >= 0) { /* more than one: as if none */
			e->reason = N_("more than one DMARC record: none is used");
			return 0;
		}
		found = i;
	}
	if (found < 0)
		return 0;
	if (dmarc_parse(ans[found], &e->rec, &e->reason) < 0)
		return 0; /* a record that does not parse is no record */
	snprintf(e->record_domain, sizeof e->record_domain, "%s", domain);
	return 1;
}

enum dmarc_result dmarc_check(const struct dmarc_input *in, spf_lookup_fn lookup, void *ctx,
			      struct dmarc_eval *e)
{
	memset(e, 0, sizeof *e);
	const char *org = dmarc_org_domain(in->from_domain);
	int got = dmarc_find(in->from_domain, lookup, ctx, e);
	if (got == 0 && strcasecmp(org, in->from_domain) != 0)
		got = dmarc_find(org, lookup, ctx, e);
	if (got < 0) {
		e->reason = N_("the DMARC record's lookup failed for now");
		return e->result = DMARC_TEMPERROR;
	}
	if (got == 0) {
		if (!e->reason)
			e->reason = N_("neither the From: domain nor its organizational domain "
				       "publishes a DMARC record");
		return e->result = DMARC_NONE;
	}
	e->reason = NULL;
	/* section 3.1: an identifier passes and is aligned with From: */
	e->spf_aligned = in->spf == SPF_PASS &&
			 dmarc_aligned(in->spf_domain, in->from_domain, e->rec.aspf);
	e->dkim_aligned = in->dkim_pass &&
			  dmarc_aligned(in->dkim_domain, in->from_domain, e->rec.adkim);
	if (e->spf_aligned || e->dkim_aligned)
		return e->result = DMARC_PASS;
	/* section 6.3: sp= for a subdomain whose record came from its org */
	int sub = strcasecmp(e->record_domain, in->from_domain) != 0;
	e->policy = sub ? e->rec.sp : e->rec.p;
	/* section 6.6.4: outside pct=, one step gentler */
	if (in->sample >= e->rec.pct && e->policy != DMARC_P_NONE) {
		e->policy = e->policy == DMARC_P_REJECT ? DMARC_P_QUARANTINE : DMARC_P_NONE;
		e->reason = N_("outside the pct= sample: the policy is one step gentler");
	}
	return e->result = DMARC_FAIL;
}

int dmarc_authres(const struct dmarc_authres *a, char *out, size_t n)
{
	size_t len = 0;
	int any = 0;
#define ADD(...)                                                                       \
	do {                                                                           \
		int k_ = snprintf(out + len, len < n ? n - len : 0, __VA_ARGS__);      \
		if (k_ < 0)                                                            \
			return -1;                                                     \
		len += (size_t)k_;                                                     \
	} while (0)
	ADD("%s", a->authserv_id ? a->authserv_id : "");
	if (a->spf) {
		ADD("; spf=%s", a->spf);
		if (a->mailfrom)
			ADD(" smtp.mailfrom=%s", a->mailfrom);
		any = 1;
	}
	if (a->dkim) {
		ADD("; dkim=%s", a->dkim);
		if (a->dkim_d)
			ADD(" header.d=%s", a->dkim_d);
		if (a->dkim_s)
			ADD(" header.s=%s", a->dkim_s);
		any = 1;
	}
	if (a->dmarc) {
		ADD("; dmarc=%s", a->dmarc);
		if (a->from)
			ADD(" header.from=%s", a->from);
		any = 1;
	}
	if (!any) /* RFC 8601 section 2.2: no method at all */
		ADD("; none");
#undef ADD
	return len < n ? (int)len : -1;
}
