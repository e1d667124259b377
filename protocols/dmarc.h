/*
 * dmarc.h - DMARC (RFC 7489), sans-I/O: does the From: domain's policy
 * accept this message, given its SPF and DKIM results?  And the
 * Authentication-Results header value (RFC 8601) that records all three.
 *
 * Reading guide: dmarc_parse() reads one "v=DMARC1; p=..." record;
 * dmarc_check() finds the record (section 6.6.3: _dmarc.<From domain>,
 * then _dmarc.<organizational domain>) through the same kind of lookup
 * callback as SPF's (TXT only), checks alignment (section 3.1) and gives
 * pass, or fail with the policy to apply.  dmarc_authres() writes the
 * header value.
 *
 * Simplifications:
 *   - the organizational domain is the public suffix and one label more
 *     (section 3.2), but the suffixes come from a short built-in excerpt
 *     of the Public Suffix List (edu.br, com.br, co.uk... in dmarc.c), not
 *     the whole list: a suffix it lacks counts as one label;
 *   - of the tags, v, p, sp, adkim, aspf, pct and rua are kept (rua as
 *     written); ruf, fo, rf and ri are read past and unknown tags ignored
 *     (section 6.3);
 *   - pct= needs a random draw: the caller gives it (sample, 0..99).
 */
#ifndef MAILSIM_DMARC_H
#define MAILSIM_DMARC_H

#include "spf.h"

#include <stddef.h>

enum dmarc_policy { DMARC_P_NONE, DMARC_P_QUARANTINE, DMARC_P_REJECT };

struct dmarc_record {
	enum dmarc_policy p;   /* for the domain itself */
	enum dmarc_policy sp;  /* for its subdomains (p when absent) */
	char adkim, aspf;      /* 'r' relaxed (the default) or 's' strict */
	int pct;               /* percent of failing mail the policy covers */
	char rua[SPF_NAME_MAX]; /* aggregate report addresses, "" if none */
};

enum dmarc_result { DMARC_NONE, DMARC_PASS, DMARC_FAIL, DMARC_TEMPERROR, DMARC_PERMERROR };

struct dmarc_input {
	const char *from_domain;     /* the header From: domain */
	enum spf_result spf;         /* SPF's result ... */
	const char *spf_domain;      /* ... for this MAIL FROM domain */
	int dkim_pass;               /* 1 if a DKIM signature verified ... */
	const char *dkim_domain;     /* ... with this d= */
	int sample;                  /* 0..99: the draw pct= is compared to */
};

struct dmarc_eval {
	enum dmarc_result result;
	enum dmarc_policy policy;        /* fail: what to do (after pct) */
	int spf_aligned, dkim_aligned;   /* each: passed and aligned */
	char record_domain[SPF_NAME_MAX]; /* where the record was found */
	struct dmarc_record rec;
	const char *reason;              /* N_() marked; why, for a note */
};

/* One record into r: 0, or -1 with *reason (N_). */
int dmarc_parse(const char *txt, struct dmarc_record *r, const char **reason);

/* The organizational domain of domain (the simplification above). */
const char *dmarc_org_domain(const char *domain);

/* Are a and b aligned in mode 's' (equal) or 'r' (same org domain)?
 * Names compare without regard to case. */
int dmarc_aligned(const char *a, const char *b, char mode);

enum dmarc_result dmarc_check(const struct dmarc_input *in, spf_lookup_fn lookup, void *ctx,
			      struct dmarc_eval *e);

const char *dmarc_result_name(enum dmarc_result r);
const char *dmarc_policy_name(enum dmarc_policy p);

/* What Authentication-Results records; a NULL method is left out. */
struct dmarc_authres {
	const char *authserv_id;
	const char *spf, *mailfrom;        /* "pass", smtp.mailfrom= */
	const char *dkim, *dkim_d, *dkim_s; /* "pass", header.d=, header.s= */
	const char *dmarc, *from;          /* "pass", header.from= */
};

/* The header value into out (n bytes); its length, or -1 if it did not
 * fit.  "mx.example; spf=pass smtp.mailfrom=...; dkim=pass header.d=...
 * header.s=...; dmarc=pass header.from=..." (RFC 8601 section 2.2); none
 * at all gives "authserv-id; none". */
int dmarc_authres(const struct dmarc_authres *a, char *out, size_t n);

#endif
