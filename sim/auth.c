/*
 * auth.c - mail authentication in the world: the DKIM keys of the `dkim`
 * lines, signing what a domain's users submit, and (on port 25 of a server
 * with `verify`) checking SPF, DKIM and DMARC through the simulated DNS.
 *
 * The engines of protocols/ (dkim.c, spf.c, dmarc.c) do the work; they
 * ask for DNS answers synchronously.  The simulated DNS answers over the
 * trace, later (each query is an event), so the checks here run against a
 * cache of answers: a run that misses an answer notes the name and type,
 * the missing ones are asked for together, and when every answer has come
 * the checks run again from the start.  The engines are deterministic, so
 * each run asks for what the last one asked and a little more; the rounds
 * are bounded (AUTH_ROUNDS_MAX), and SPF's own limit of ten DNS-querying
 * terms (RFC 7208 4.6.4) bounds the names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "dmarc.h"
#include "i18n.h"
#include "mime.h"
#include "world.h"

/* ================================================================ keys */

#define AUTH_RSA_BITS 2048

/* The 32 bytes a key is made from: in the simulation SHA-256 of the
 * scenario's seed (8 bytes, big-endian), the domain in lower case, a NUL
 * and the selector, so each domain and selector has its own key, the same
 * on every run; in live mode random bytes. */
static bool auth_key_seed(const struct world *w, const struct scn_dkim *d, bool random,
			  unsigned char seed[32])
{
	if (random)
		return RAND_bytes(seed, 32) == 1;
	struct buf in;
	buf_init(&in);
	for (int i = 7; i >= 0; i--)
		buf_addc(&in, (char)(w->scn->seed >> (8 * i)));
	for (const char *q = d->domain; *q; q++)
		buf_addc(&in, (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q));
	buf_addc(&in, '\0');
	buf_adds(&in, d->selector);
	bool ok = EVP_Digest(in.p, in.len, seed, NULL, EVP_sha256(), NULL) == 1;
	buf_free(&in);
	return ok;
}

/* A key file is read relative to the scenario's folder (as an editor
 * opens it beside the .scn), unless its name is absolute. */
static EVP_PKEY *auth_key_file(const struct world *w, const struct scn_dkim *d, char *why,
			       size_t n)
{
	struct buf path;
	buf_init(&path);
	const char *slash = strrchr(w->scn->file, '/');
	if (d->key_file[0] != '/' && slash)
		buf_add(&path, w->scn->file, (size_t)(slash - w->scn->file + 1));
	buf_adds(&path, d->key_file);
	FILE *f = fopen(path.p, "rb");
	buf_free(&path);
	if (!f) {
		snprintf(why, n, "%s", _("cannot open it"));
		return NULL;
	}
	struct buf pem;
	buf_init(&pem);
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && pem.len < 65536)
		buf_add(&pem, chunk, got);
	fclose(f);
	buf_addc(&pem, '\0');
	EVP_PKEY *k = dkim_key_from_pem(pem.p);
	buf_free(&pem);
	if (!k)
		snprintf(why, n, "%s", _("it is not a PEM private key"));
	else if (EVP_PKEY_get_id(k) !=
		 (d->alg == SCN_DKIM_ED25519_SHA256 ? EVP_PKEY_ED25519 : EVP_PKEY_RSA)) {
		snprintf(why, n, "%s", _("its key type does not fit the algorithm"));
		dkim_key_free(k);
		k = NULL;
	}
	return k;
}

int auth_keys_init(struct world *w, bool random, char *err, size_t errlen)
{
	auth_keys_free(w);
	const struct scenario *scn = w->scn;
	w->dkims = xcalloc(scn->ndkims + 1, sizeof *w->dkims);
	for (size_t i = 0; i < scn->ndkims; i++) {
		const struct scn_dkim *d = &scn->dkims[i];
		struct world_dkim *k = &w->dkims[w->ndkims];
		EVP_PKEY *key = NULL;
		char why[128] = "";
		unsigned char seed[32];
		if (d->key_file) {
			key = auth_key_file(w, d, why, sizeof why);
			if (!key) {
				/* i18n: not for people: the "FILE:LINE:COL: error:" prefix */
				int m = snprintf(err, errlen, "%s:%d:%d: error: ", scn->file,
						 d->key_pos.line, d->key_pos.col);
				if (m > 0 && (size_t)m < errlen)
					snprintf(err + m, errlen - (size_t)m,
						 _("the key file '%s' of dkim: %s"), d->key_file, why);
				return -1;
			}
		} else if (auth_key_seed(w, d, random, seed)) {
			key = d->alg == SCN_DKIM_ED25519_SHA256
				      ? dkim_key_from_ed25519_seed(seed)
				      : dkim_key_rsa_from_seed(seed, sizeof seed, AUTH_RSA_BITS);
		}
		struct buf txt, name;
		buf_init(&txt);
		buf_init(&name);
		if (!key || dkim_key_txt(&txt, key) != 0) {
			dkim_key_free(key);
			buf_free(&txt);
			snprintf(err, errlen, _("cannot make the DKIM key of %s"), d->domain);
			return -1;
		}
		buf_printf(&name, "%s._domainkey.%s", d->selector, d->domain);
		k->scn = d;
		k->key = key;
		k->name = name.p;
		k->txt = txt.p;
		w->ndkims++;
	}
	return 0;
}

void auth_keys_free(struct world *w)
{
	for (size_t i = 0; i < w->ndkims; i++) {
		dkim_key_free(w->dkims[i].key);
		free(w->dkims[i].name);
		free(w->dkims[i].txt);
	}
	free(w->dkims);
	w->dkims = NULL;
	w->ndkims = 0;
}

/* ================================================================ signing */

/* The header fields a signature covers, those the message has; From
 * twice (oversigned, RFC 6376 8.15: a second From: added on the way would
 * break the signature instead of being shown to the reader). */
static const char *const auth_signed_fields[] = {
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
};

bool auth_sign(struct world *w, struct host *srv, const char *auth_user, struct buf *msg)
{
	if (!auth_user || !w->ndkims)
		return false;
	/* the From: domain must be one this server signs for */
	struct buf from;
	buf_init(&from);
	const char *domain = NULL;
	if (mime_header_get(msg->p, msg->len, "From", &from)) {
		const char *at = strrchr(from.p, '@');
		if (at) {
			char *end = (char *)at + 1 + strcspn(at + 1, "> \t\r\n");
			*end = '\0';
			domain = at + 1;
		}
	}
	const struct world_dkim *k = NULL;
	for (size_t i = 0; domain && !k && i < w->ndkims; i++) {
		const struct world_dkim *c = &w->dkims[i];
		bool served = false;
		for (size_t j = 0; j < srv->ndomains; j++)
			served = served || strcasecmp(srv->domains[j], c->scn->domain) == 0;
		if (served && strcasecmp(c->scn->domain, domain) == 0)
			k = c;
	}
	buf_free(&from);
	if (!k)
		return false;

	struct dkim_sig s;
	dkim_sig_init(&s);
	s.alg = k->scn->alg == SCN_DKIM_ED25519_SHA256 ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256;
	s.hcanon = k->scn->hsimple ? DKIM_SIMPLE : DKIM_RELAXED;
	s.bcanon = k->scn->bsimple ? DKIM_SIMPLE : DKIM_RELAXED;
	snprintf(s.d, sizeof s.d, "%s", k->scn->domain);
	snprintf(s.s, sizeof s.s, "%s", k->scn->selector);
	struct buf v;
	buf_init(&v);
	for (size_t i = 0; i < sizeof auth_signed_fields / sizeof *auth_signed_fields; i++) {
		if (!mime_header_get(msg->p, msg->len, auth_signed_fields[i], &v))
			continue;
		snprintf(s.h[s.nh++], sizeof s.h[0], "%s", auth_signed_fields[i]);
		if (i == 0)
			snprintf(s.h[s.nh++], sizeof s.h[0], "%s", "From");
	}
	buf_free(&v);
	s.t = world_unix_now(w);
	struct buf out;
	buf_init(&out);
	const char *err = NULL;
	bool ok = dkim_sign(&out, &s, k->key, msg->p, msg->len, &err) == 0;
	if (ok) {
		buf_add(&out, msg->p, msg->len);
		buf_free(msg);
		*msg = out;
		world_event(w, srv->name, NULL, "dkim-signed",
			    N_("the submission server signs the message with the domain's private "
			       "key (DKIM, RFC 6376): the DKIM-Signature header lists the signed "
			       "headers (h=), the body's hash (bh=) and the signature (b=); "
			       "receivers fetch the public key from DNS at "
			       "selector._domainkey.domain"),
			    _("signed with d=%s s=%s a=%s"), s.d, s.s, dkim_alg_name(s.alg));
	} else {
		buf_free(&out);
		world_event(w, srv->name, NULL, "dkim-error", NULL, _("not signed: %s"), _(err));
	}
	dkim_sig_free(&s);
	return ok;
}

/* ================================================================ verifying */

#define AUTH_ROUNDS_MAX 32 /* rounds of DNS questions one message may ask */
#define AUTH_CACHE_MAX 48  /* answers one message may gather */
/* RFC 6376 3.5 leaves the tolerance for a t= in the future to the
 * verifier; a few minutes of clock skew is the usual allowance. */
#define AUTH_CLOCK_SKEW_S 300

struct auth_verify {
	struct world *w;
	struct host *srv;
	bool spf_on, dkim_on, dmarc_on;
	char ip[64], helo[SPF_NAME_MAX], mail_from[SPF_NAME_MAX + 64];
	struct buf msg;
	int sample;                         /* DMARC pct= draw, 0..99 */
	auth_verify_done_fn done;
	void *arg;

	struct dns_answer *cache;           /* the answers so far */
	size_t ncache;
	struct { enum dns_type type; char name[SPF_NAME_MAX]; } miss[AUTH_CACHE_MAX];
	size_t nmiss;                       /* asked for this run, not in the cache */
	size_t waiting;                     /* questions in flight */
	int rounds;
};

static enum dns_type auth_dns_type(enum spf_rrtype t)
{
	return t == SPF_RR_A ? DNS_A : t == SPF_RR_MX ? DNS_MX : DNS_TXT;
}

/* The engines' DNS: an answer from the cache, or a miss noted for the
 * next round.  A miss is a temporary failure this time, so the engine
 * stops there instead of going on as if the name had nothing (DMARC
 * would look at the organizational domain, SPF count a void lookup); the
 * run's result is not used. */
static int auth_lookup(void *ctx, enum spf_rrtype type, const char *name,
		       char out[][SPF_TXT_MAX], int max)
{
	struct auth_verify *v = ctx;
	enum dns_type t = auth_dns_type(type);
	for (size_t i = 0; i < v->ncache; i++) {
		const struct dns_answer *a = &v->cache[i];
		if (a->type != t || strcasecmp(a->name, name) != 0)
			continue;
		int n = a->n < max ? a->n : max;
		for (int k = 0; k < n; k++)
			memcpy(out[k], a->rr[k], SPF_TXT_MAX);
		return n;
	}
	for (size_t i = 0; i < v->nmiss; i++)
		if (v->miss[i].type == t && strcasecmp(v->miss[i].name, name) == 0)
			return SPF_DNS_TEMPFAIL;
	if (v->ncache + v->nmiss < AUTH_CACHE_MAX) {
		v->miss[v->nmiss].type = t;
		snprintf(v->miss[v->nmiss].name, sizeof v->miss[0].name, "%s", name);
		v->nmiss++;
	}
	return SPF_DNS_TEMPFAIL;
}

/* The domain of an address in a header value: "Alice <a@b.org>" -> b.org. */
static void auth_header_domain(const char *msg, size_t len, const char *field, char *out,
			       size_t n)
{
	struct buf v;
	buf_init(&v);
	out[0] = '\0';
	if (mime_header_get(msg, len, field, &v) && v.p) {
		const char *lt = strchr(v.p, '<');
		const char *addr = lt ? lt + 1 : v.p;
		const char *at = strchr(addr, '@');
		if (at)
			snprintf(out, n, "%.*s", (int)strcspn(at + 1, "> \t\r\n,;"), at + 1);
	}
	buf_free(&v);
}

/* "method=result (why)" for each method checked, for the trace. */
static void auth_detail(const struct auth_verify *v, struct auth_result *res)
{
	struct buf d;
	buf_init(&d);
	const struct { bool on; const char *name, *result, *why; } m[] = {
		{ v->spf_on, "spf", res->spf, res->spf_detail },
		{ v->dkim_on, "dkim", res->dkim, res->dkim_detail[0] ? _(res->dkim_detail) : "" },
		{ v->dmarc_on, "dmarc", res->dmarc, res->dmarc_detail },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		if (!m[i].on)
			continue;
		buf_printf(&d, "%s%s=%s", d.len ? " " : "", m[i].name, m[i].result);
		if (m[i].why[0])
			buf_printf(&d, " (%s)", m[i].why);
	}
	snprintf(res->detail, sizeof res->detail, "%s", d.p ? d.p : "");
	buf_free(&d);
}

/* One run of the three checks against the cache. */
static void auth_run(struct auth_verify *v, struct auth_result *res)
{
	memset(res, 0, sizeof *res);
	const char *msg = v->msg.p ? v->msg.p : "";
	size_t len = v->msg.len;

	/* SPF (RFC 7208 2.4): the MAIL FROM domain, or the HELO name for a
	 * bounce (null reverse-path) */
	enum spf_result spf = SPF_NONE;
	char spf_domain[SPF_NAME_MAX] = "";
	const char *at = strrchr(v->mail_from, '@');
	snprintf(spf_domain, sizeof spf_domain, "%s", at ? at + 1 : v->helo);
	if (v->spf_on) {
		struct spf_eval e;
		memset(&e, 0, sizeof e);
		spf = spf_domain_ok(spf_domain)
			      ? spf_check(v->ip, spf_domain, v->mail_from, auth_lookup, v, &e)
			      : SPF_NONE;
		snprintf(res->spf, sizeof res->spf, "%s", spf_result_name(spf));
		const char *why = e.reason ? _(e.reason) : "";
		snprintf(res->spf_detail, sizeof res->spf_detail, "%s%s%s", e.matched,
			 e.matched[0] && why[0] ? ": " : "", why);
	}

	/* DKIM: the first signature; its key at s._domainkey.d */
	enum dkim_result dkim = DKIM_NONE;
	const char *reason = NULL;
	struct dkim_sig sig;
	dkim_sig_init(&sig);
	struct buf field;
	buf_init(&field);
	bool has_sig = mime_header_get(msg, len, "DKIM-Signature", &field) && field.p;
	bool sig_ok = has_sig && dkim_sig_parse(&sig, field.p, field.len, &reason) == 0;
	if (v->dkim_on && has_sig && !sig_ok) {
		dkim = DKIM_PERMERROR;
	} else if (v->dkim_on && sig_ok) {
		char keyname[2 * SPF_NAME_MAX];
		char txt[1][SPF_TXT_MAX];
		snprintf(keyname, sizeof keyname, "%s._domainkey.%s", sig.s, sig.d);
		int n = auth_lookup(v, SPF_RR_TXT, keyname, txt, 1);
		const char *kerr = N_("no key");
		EVP_PKEY *key = n > 0 ? dkim_key_parse(txt[0], &kerr) : NULL;
		int64_t now = world_unix_now(v->w);
		if (!key) {
			dkim = DKIM_PERMERROR;
			reason = kerr;
		} else if (sig.x >= 0 && now > sig.x) {
			dkim = DKIM_FAIL; /* RFC 6376 3.5: x= */
			reason = N_("the signature has expired (x=)");
		} else if (sig.t > now + AUTH_CLOCK_SKEW_S) {
			dkim = DKIM_PERMERROR;
			reason = N_("the signature was made in the future (t=)");
		} else {
			dkim = dkim_verify(msg, len, key, &reason);
		}
		dkim_key_free(key);
	}
	buf_free(&field);
	if (v->dkim_on) {
		snprintf(res->dkim, sizeof res->dkim, "%s", dkim_result_word(dkim));
		if (reason && dkim != DKIM_NONE)
			snprintf(res->dkim_detail, sizeof res->dkim_detail, "%s", reason);
	}

	/* DMARC: the From: domain's policy, given the two results */
	char from_domain[SPF_NAME_MAX];
	auth_header_domain(msg, len, "From", from_domain, sizeof from_domain);
	struct dmarc_eval de;
	memset(&de, 0, sizeof de);
	if (v->dmarc_on && from_domain[0]) {
		struct dmarc_input in = {
			.from_domain = from_domain,
			.spf = spf,
			.spf_domain = spf_domain,
			.dkim_pass = dkim == DKIM_PASS,
			.dkim_domain = sig_ok ? sig.d : "",
			.sample = v->sample,
		};
		dmarc_check(&in, auth_lookup, v, &de);
		snprintf(res->dmarc, sizeof res->dmarc, "%s", dmarc_result_name(de.result));
		if (de.result == DMARC_FAIL) {
			res->reject = de.policy == DMARC_P_REJECT;
			res->quarantine = de.policy == DMARC_P_QUARANTINE;
		}
		if (de.result == DMARC_FAIL)
			snprintf(res->dmarc_detail, sizeof res->dmarc_detail, "p=%s",
				 dmarc_policy_name(de.policy));
	} else if (v->dmarc_on) {
		snprintf(res->dmarc, sizeof res->dmarc, "%s", "none");
	}

	/* RFC 8601: "mx.gmail.com; spf=pass smtp.mailfrom=uea.edu.br; dkim=fail
	 * (body hash did not verify) header.d=uea.edu.br header.s=sel; dmarc=fail
	 * header.from=uea.edu.br".  The comment is protocol text: English. */
	char dkim_word[sizeof res->dkim + sizeof res->dkim_detail + 8];
	snprintf(dkim_word, sizeof dkim_word, "%s%s%s%s", res->dkim,
		 res->dkim_detail[0] ? " (" : "", res->dkim_detail,
		 res->dkim_detail[0] ? ")" : "");
	struct dmarc_authres ar = {
		.authserv_id = v->srv->name,
		.spf = v->spf_on ? res->spf : NULL,
		.mailfrom = v->spf_on && spf_domain[0] ? spf_domain : NULL,
		.dkim = v->dkim_on ? dkim_word : NULL,
		.dkim_d = v->dkim_on && sig_ok ? sig.d : NULL,
		.dkim_s = v->dkim_on && sig_ok ? sig.s : NULL,
		.dmarc = v->dmarc_on ? res->dmarc : NULL,
		.from = v->dmarc_on && from_domain[0] ? from_domain : NULL,
	};
	if (dmarc_authres(&ar, res->header, sizeof res->header) < 0)
		snprintf(res->header, sizeof res->header, "%s; none", v->srv->name);
	snprintf(res->summary, sizeof res->summary, "%s%s%s%s%s%s%s%s", v->spf_on ? "spf=" : "",
		 v->spf_on ? res->spf : "", v->dkim_on && v->spf_on ? " " : "",
		 v->dkim_on ? "dkim=" : "", v->dkim_on ? res->dkim : "",
		 v->dmarc_on && (v->spf_on || v->dkim_on) ? " " : "", v->dmarc_on ? "dmarc=" : "",
		 v->dmarc_on ? res->dmarc : "");
	snprintf(res->from_domain, sizeof res->from_domain, "%s", from_domain);
	auth_detail(v, res);
	dkim_sig_free(&sig);
}

static void auth_round(struct auth_verify *v);

static void auth_answer(struct world *w, void *arg, const struct dns_answer *a)
{
	(void)w;
	struct auth_verify *v = arg;
	if (v->ncache < AUTH_CACHE_MAX)
		v->cache[v->ncache++] = *a;
	if (--v->waiting == 0)
		auth_round(v);
}

/* What the question is for, for its note. */
static const char *auth_query_note(enum dns_type type, const char *name)
{
	if (strncasecmp(name, "_dmarc.", 7) == 0)
		return N_("DMARC: the receiving server asks for the policy of the From: domain "
			  "(RFC 7489 6.6.3), or of its organizational domain");
	if (strstr(name, "._domainkey."))
		return N_("DKIM: the receiving server asks for the public key that the "
			  "signature's s= and d= name (RFC 6376 3.6.2)");
	if (type == DNS_TXT)
		return N_("SPF: the receiving server asks for the record of the domain in MAIL "
			  "FROM, which lists the hosts that may send its mail (RFC 7208 4.4)");
	return N_("SPF: the record's a or mx term needs the addresses of the domain's "
		  "hosts (RFC 7208 5.3, 5.4)");
}

/* Run the checks; if answers are missing, ask for them all at once and
 * come back when the last has come; else the result. */
static void auth_round(struct auth_verify *v)
{
	struct auth_result res;
	v->nmiss = 0;
	auth_run(v, &res);
	if (v->nmiss && v->rounds < AUTH_ROUNDS_MAX) {
		v->rounds++;
		v->waiting = v->nmiss;
		for (size_t i = 0; i < v->nmiss; i++)
			net_dns_query(v->w, v->srv, v->miss[i].type, v->miss[i].name,
				      auth_query_note(v->miss[i].type, v->miss[i].name),
				      auth_answer, v);
		return;
	}
	v->done(v->w, v->arg, &res);
	buf_free(&v->msg);
	free(v->cache);
	free(v);
}

static void auth_first_round(void *arg)
{
	auth_round(arg);
}

bool auth_verifies(const struct world *w, const struct host *srv, bool *spf, bool *dkim,
		   bool *dmarc)
{
	const struct scn_verify *all = NULL, *own = NULL;
	for (size_t i = 0; i < w->scn->nverifies; i++) {
		const struct scn_verify *v = &w->scn->verifies[i];
		if (!v->server)
			all = v;
		else if (strcasecmp(v->server, srv->name) == 0)
			own = v;
	}
	const struct scn_verify *v = own ? own : all;
	if (!v)
		return false;
	*spf = v->spf, *dkim = v->dkim, *dmarc = v->dmarc;
	return true;
}

void auth_verify_start(struct world *w, struct host *srv, const char *client_ip,
		       const char *helo, const char *mail_from, const char *msg, size_t len,
		       auth_verify_done_fn done, void *arg)
{
	struct auth_verify *v = xcalloc(1, sizeof *v);
	v->w = w;
	v->srv = srv;
	if (!auth_verifies(w, srv, &v->spf_on, &v->dkim_on, &v->dmarc_on))
		v->spf_on = v->dkim_on = v->dmarc_on = true;
	snprintf(v->ip, sizeof v->ip, "%s", client_ip ? client_ip : "");
	snprintf(v->helo, sizeof v->helo, "%s", helo ? helo : "");
	snprintf(v->mail_from, sizeof v->mail_from, "%s", mail_from ? mail_from : "");
	buf_init(&v->msg);
	buf_add(&v->msg, msg, len);
	/* pct= (RFC 7489 6.6.4): a draw from the world's seeded stream, made
	 * once per message, so every run draws the same */
	v->sample = (int)(world_random(w) % 100);
	v->done = done;
	v->arg = arg;
	v->cache = xcalloc(AUTH_CACHE_MAX, sizeof *v->cache);
	/* the first run as an event of its own: done never comes before this
	 * returns, so the caller has deferred its reply by then */
	ev_after(&w->loop, 0, auth_first_round, v);
}
