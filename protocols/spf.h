/*
 * spf.h - the Sender Policy Framework (RFC 7208), sans-I/O: may this IP
 * address send mail for this domain?
 *
 * Reading guide: spf_parse() turns one "v=spf1 ..." TXT record into terms;
 * spf_check() is check_host(ip, domain, sender) of section 4, which asks
 * the caller's spf_lookup_fn for every DNS answer it needs (TXT, A, MX),
 * synchronously, so a simulated DNS answers.  The result is one of the
 * seven of section 2.6, with the term that decided it (for a teaching
 * note) or, for an error, a reason (marked N_, translated when shown) and
 * the term at fault.
 *
 * Simplifications, each a permerror or a no-op, never a silent pass:
 *   - IPv4 only is evaluated: ip6 terms are parsed and never match an
 *     IPv4 client; a/mx take an IPv4 prefix (/len), an IPv6 one (//len)
 *     is parsed and ignored.
 *   - macros (section 7, "%{...}"), "exists" and "ptr" give permerror
 *     ("not supported here").
 *   - exp= is parsed and ignored: no explanation string is fetched
 *     (section 6.2 makes it optional).
 *   - the sender is kept only for the macros it would feed.
 */
#ifndef MAILSIM_SPF_H
#define MAILSIM_SPF_H

#include <stdint.h>

#define SPF_NAME_MAX 256   /* a domain name, NUL included (RFC 1035: 253) */
#define SPF_TXT_MAX 512    /* one TXT answer, NUL included */
#define SPF_ANSWERS_MAX 16 /* answers one lookup may give */
#define SPF_TERMS_MAX 32   /* terms in one record */
#define SPF_DNS_TERMS_MAX 10 /* section 4.6.4: terms that query DNS */
#define SPF_VOID_MAX 2     /* section 4.6.4: lookups with no answer */
#define SPF_MX_NAMES_MAX 10 /* section 4.6.4: MX names looked up per mx */

/* Section 2.6. */
enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

enum spf_rrtype { SPF_RR_TXT, SPF_RR_A, SPF_RR_MX };

#define SPF_DNS_TEMPFAIL (-1) /* a lookup's answer: the server failed */

/*
 * The caller's DNS: the answers of type for name into out (at most max),
 * each a NUL-terminated string (TXT: the record's text, its strings
 * joined; A: a dotted IPv4 address; MX: a host name, by preference).
 * Returns the number of answers, 0 for none (NXDOMAIN or no such record:
 * a "void lookup"), or SPF_DNS_TEMPFAIL.
 */
typedef int (*spf_lookup_fn)(void *ctx, enum spf_rrtype type, const char *name,
			     char out[][SPF_TXT_MAX], int max);

enum spf_mech { SPF_ALL, SPF_INCLUDE, SPF_A, SPF_MX, SPF_IP4, SPF_IP6 };

struct spf_term {
	char qual;                  /* '+', '-', '~' or '?' */
	enum spf_mech mech;
	char domain[SPF_NAME_MAX];  /* include/a/mx: its domain ("" = current) */
	uint32_t addr;              /* ip4: the network, host order */
	int len4;                   /* ip4/a/mx: prefix length, 32 if none */
	char text[SPF_NAME_MAX];    /* the term as written, for notes */
};

struct spf_record {
	struct spf_term term[SPF_TERMS_MAX];
	int nterms;
	char redirect[SPF_NAME_MAX]; /* redirect= ("" if none) */
	char exp[SPF_NAME_MAX];      /* exp= ("" if none): kept, not used */
};

struct spf_eval {
	enum spf_result result;
	char matched[SPF_NAME_MAX]; /* the term that decided, "" if default */
	char domain[SPF_NAME_MAX];  /* the domain whose record held it */
	const char *reason;         /* errors: why, N_() marked; else NULL */
	char term[SPF_NAME_MAX];    /* errors: the term at fault, or "" */
	int dns_terms;              /* DNS-querying terms counted */
	int void_lookups;           /* lookups that found nothing */
};

/* One record into r.  0, or -1 with *reason (N_) and the bad term in bad. */
int spf_parse(const char *txt, struct spf_record *r, const char **reason,
	      char bad[SPF_NAME_MAX]);

/* check_host() (section 4): the result for ip (dotted IPv4) sending as
 * sender for domain.  Returns e->result. */
enum spf_result spf_check(const char *ip, const char *domain, const char *sender,
			  spf_lookup_fn lookup, void *ctx, struct spf_eval *e);

/* "pass", "fail" ... as RFC 8601 spells them (protocol text). */
const char *spf_result_name(enum spf_result r);

/* 1 if name is a domain SPF can check (section 4.3): labels of 1..63
 * bytes, at least two of them, 253 bytes at most. */
int spf_domain_ok(const char *name);

#endif
