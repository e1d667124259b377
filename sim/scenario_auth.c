/*
 * scenario_auth.c - step 3 of the .scn parser: the directives of mail
 * authentication (extensions, SCENARIOS.md), which give the simulated DNS
 * its records and the servers their DKIM keys and checks:
 *
 *   dkim DOMAIN selector SEL [algorithm rsa-sha256|ed25519-sha256]
 *        [canonicalization relaxed|simple|HEADER/BODY] [key "FILE.pem"]
 *   txt NAME "TEXT" ["TEXT"...]
 *   verify [HOST] [spf] [dkim] [dmarc]
 *
 * The domain of `dkim` and the server of `verify` are names declared
 * elsewhere: they are noted as references for step 4 (scenario_resolve.c).
 */
#include "scenario_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A DNS owner name as TXT records use them: labels of letters, digits,
 * '-' and '_' ("_dmarc", "_domainkey": RFC 8552 2.1), 1 to 63 bytes each,
 * 253 bytes in all, at least two labels. */
static bool valid_txt_name(const char *s)
{
	size_t total = strlen(s), label = 0, labels = 0;
	if (total == 0 || total > 253)
		return false;
	for (const char *q = s;; q++) {
		if (*q == '.' || *q == '\0') {
			if (label == 0 || label > 63)
				return false;
			labels++;
			if (*q == '\0')
				return labels >= 2;
			label = 0;
		} else if (is_alnum(*q) || *q == '-' || *q == '_') {
			label++;
		} else {
			return false;
		}
	}
}

/* The name where a dkim line publishes its key: SEL._domainkey.DOMAIN
 * (RFC 6376 3.6.2.1). */
static char *dkim_key_name(const char *selector, const char *domain)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s._domainkey.%s", selector, domain);
	return b.p;
}

int scn_parse_dkim(struct parser *p, const struct tok *kw)
{
	static const char *const opts[] = {"algorithm", "key", "canonicalization"};
	const struct tok *dom = scn_expect_word(p, _("a domain name"));
	if (!dom)
		return -1;
	if (scn_expect_keyword(p, "selector") < 0)
		return -1;
	const struct tok *sel = scn_expect_word(p, _("a selector (a name like mail2026)"));
	if (!sel)
		return -1;
	char *keyname = dkim_key_name(sel->text, dom->text);
	bool name_ok = strchr(sel->text, '.') == NULL && valid_txt_name(keyname);
	free(keyname);
	if (!name_ok) {
		scn_err_col(p, sel->col,
			    _("a selector is one DNS label (letters, digits, '-' or '_', at most "
			      "63), got '%s'"),
			    sel->text);
		return -1;
	}
	enum scn_dkim_alg alg = SCN_DKIM_RSA_SHA256;
	const struct tok *file = NULL;
	bool seen[3] = {false, false, false};
	bool hsimple = false, bsimple = false;
	for (const struct tok *t; (t = scn_next_tok(p));) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'"; then the words */
		int which = scn_take_option(p, t, _("dkim option"),
					    _("algorithm, canonicalization or key"), opts, 3, seen);
		if (which < 0)
			return -1;
		if (which == 0) {
			const struct tok *a = scn_expect_word(p, _("rsa-sha256 or ed25519-sha256"));
			if (!a)
				return -1;
			if (strcasecmp(a->text, "rsa-sha256") == 0) {
				alg = SCN_DKIM_RSA_SHA256;
			} else if (strcasecmp(a->text, "ed25519-sha256") == 0) {
				alg = SCN_DKIM_ED25519_SHA256;
			} else {
				scn_err_col(p, a->col,
					    _("unknown DKIM algorithm '%s' (rsa-sha256 or "
					      "ed25519-sha256, RFC 8463)"),
					    a->text);
				return -1;
			}
		} else if (which == 2) {
			/* c= (RFC 6376 3.5): header/body, or one word for both */
			const struct tok *c = scn_expect_word(p, _("relaxed, simple, or "
								   "HEADER/BODY like relaxed/simple"));
			if (!c)
				return -1;
			const char *slash = strchr(c->text, '/');
			size_t hl = slash ? (size_t)(slash - c->text) : strlen(c->text);
			const char *b = slash ? slash + 1 : c->text;
			bool hok = (hl == 6 && strncmp(c->text, "simple", 6) == 0) ||
				   (hl == 7 && strncmp(c->text, "relaxed", 7) == 0);
			bool bok = strcmp(b, "simple") == 0 || strcmp(b, "relaxed") == 0;
			if (!hok || !bok) {
				scn_err_col(p, c->col,
					    _("unknown canonicalization '%s' (relaxed, simple, or "
					      "HEADER/BODY like relaxed/simple: RFC 6376 3.4)"),
					    c->text);
				return -1;
			}
			hsimple = c->text[0] == 's';
			bsimple = b[0] == 's';
		} else {
			file = scn_expect_string(p, _("the key file (a PEM private key) in "
						      "double quotes"));
			if (!file)
				return -1;
			if (!file->text[0]) {
				scn_err_col(p, file->col, "%s", _("the key file name is empty"));
				return -1;
			}
		}
	}
	struct scenario *s = p->s;
	for (size_t i = 0; i < s->ndkims; i++) {
		const struct scn_dkim *d = &s->dkims[i];
		if (strcasecmp(d->domain, dom->text) == 0 && strcasecmp(d->selector, sel->text) == 0) {
			scn_err_col(p, sel->col,
				    _("duplicate dkim selector '%s' for '%s' (first declared on "
				      "line %d)"),
				    sel->text, dom->text, d->pos.line);
			return -1;
		}
	}
	scn_add_ref(p, REF_DOMAIN, dom, dom->text, NULL);
	struct scn_dkim *d = APPEND(s->dkims, s->ndkims);
	memset(d, 0, sizeof *d);
	d->pos = scn_tok_pos(p, kw);
	d->domain = xstrdup(dom->text);
	d->selector = xstrdup(sel->text);
	d->alg = alg;
	d->hsimple = hsimple;
	d->bsimple = bsimple;
	if (file) {
		d->key_file = xstrdup(file->text);
		d->key_pos = scn_tok_pos(p, file);
	}
	return 0;
}

int scn_parse_txt(struct parser *p, const struct tok *kw)
{
	const struct tok *name = scn_expect_word(p, _("a DNS name like _dmarc.gmail.com"));
	if (!name)
		return -1;
	if (!valid_txt_name(name->text)) {
		scn_err_col(p, name->col,
			    _("'%s' is not a DNS name (labels of letters, digits, '-' or '_', "
			      "separated by dots)"),
			    name->text);
		return -1;
	}
	const struct tok *t = scn_expect_string(p, _("the record's text in double quotes"));
	if (!t)
		return -1;
	struct buf text;
	buf_init(&text);
	for (;;) {
		/* RFC 1035 3.3: a <character-string> is a length octet and at most
		 * 255 octets; a longer record is several strings, which SPF
		 * (RFC 7208 3.3) and DKIM (RFC 6376 3.6.2.2) join without spaces. */
		if (strlen(t->text) > SCN_TXT_STRING_MAX) {
			scn_err_col(p, t->col,
				    _("one string of a TXT record holds at most 255 octets (RFC 1035 "
				      "3.3); this one has %zu: split it into several \"...\" strings, "
				      "which are joined"),
				    strlen(t->text));
			buf_free(&text);
			return -1;
		}
		buf_adds(&text, t->text);
		if (!scn_peek_tok(p))
			break;
		t = scn_expect_string(p, _("another string of the record in double quotes"));
		if (!t) {
			buf_free(&text);
			return -1;
		}
	}
	if (!text.p)
		buf_adds(&text, ""); /* an empty record is a record */
	struct scenario *s = p->s;
	for (size_t i = 0; i < s->ntxts; i++) {
		const struct scn_txt *o = &s->txts[i];
		if (strcasecmp(o->name, name->text) == 0 && strcmp(o->text, text.p) == 0) {
			scn_err_col(p, name->col,
				    _("duplicate TXT record for '%s' (first given on line %d)"),
				    name->text, o->pos.line);
			buf_free(&text);
			return -1;
		}
	}
	for (size_t i = 0; i < s->ndkims; i++) {
		char *kn = dkim_key_name(s->dkims[i].selector, s->dkims[i].domain);
		bool same = strcasecmp(kn, name->text) == 0;
		free(kn);
		if (same) {
			scn_err_col(p, name->col,
				    _("'%s' holds the key of the dkim line %d: the key record is "
				      "published for you"),
				    name->text, s->dkims[i].pos.line);
			buf_free(&text);
			return -1;
		}
	}
	struct scn_txt *r = APPEND(s->txts, s->ntxts);
	r->pos = scn_tok_pos(p, kw);
	r->name = xstrdup(name->text);
	r->text = text.p;
	return 0;
}

int scn_parse_verify(struct parser *p, const struct tok *kw)
{
	static const char *const methods[] = {"spf", "dkim", "dmarc"};
	const struct tok *host = NULL, *t = scn_peek_tok(p);
	if (t && !t->string && scn_tok_which(t, methods, 3) < 0)
		host = scn_next_tok(p);
	bool seen[3] = {false, false, false};
	bool any = false;
	while ((t = scn_next_tok(p))) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'"; then the words */
		int which = scn_take_option(p, t, _("verify method"), _("spf, dkim or dmarc"),
					    methods, 3, seen);
		if (which < 0)
			return -1;
		any = true;
	}
	if (!any)
		seen[0] = seen[1] = seen[2] = true; /* none listed: all three */
	struct scenario *s = p->s;
	for (size_t i = 0; i < s->nverifies; i++) {
		const struct scn_verify *v = &s->verifies[i];
		if (!host && !v->server) {
			scn_err_col(p, kw->col,
				    _("duplicate verify for every server (first given on line %d)"),
				    v->pos.line);
			return -1;
		}
		if (host && v->server && strcasecmp(host->text, v->server) == 0) {
			scn_err_col(p, host->col,
				    _("duplicate verify for '%s' (first given on line %d)"),
				    host->text, v->pos.line);
			return -1;
		}
	}
	if (host)
		scn_add_ref(p, REF_SERVER, host, host->text, NULL);
	struct scn_verify *v = APPEND(s->verifies, s->nverifies);
	v->pos = scn_tok_pos(p, kw);
	v->server = host ? xstrdup(host->text) : NULL;
	v->spf = seen[0];
	v->dkim = seen[1];
	v->dmarc = seen[2];
	return 0;
}
