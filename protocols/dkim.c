/*
 * dkim.c - DKIM signing and verifying (RFC 6376, RFC 8463); see dkim.h.
 *
 * Reading guide: the small text helpers first (white space, the tag-list
 * walker), then canonicalization, the DKIM-Signature tag-list, the two
 * hashes, keys (OpenSSL EVP), and last dkim_sign() and dkim_verify(), which
 * put the rest together.
 */
#include "dkim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "i18n.h"
#include "mime.h"

const char *dkim_result_word(enum dkim_result r)
{
	static const char *const words[] = { "none", "pass", "fail", "neutral", "permerror",
					     "temperror" };
	return words[r];
}

const char *dkim_alg_name(enum dkim_alg a)
{
	return a == DKIM_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_fws(char c)
{
	return is_wsp(c) || c == '\r' || c == '\n';
}

/* The next tag of a tag-list (3.2): name and value with the folding white
 * space around them trimmed.  false at the end; *bad on a tag without '='. */
static bool tag_next(const char **pp, const char *end, const char **name, size_t *nlen,
		     const char **val, size_t *vlen, bool *bad)
{
	const char *p = *pp;
	while (p < end && (is_fws(*p) || *p == ';'))
		p++;
	if (p >= end)
		return false;
	const char *semi = memchr(p, ';', (size_t)(end - p));
	const char *stop = semi ? semi : end;
	const char *eq = memchr(p, '=', (size_t)(stop - p));
	*pp = semi ? semi + 1 : end;
	if (!eq) {
		*bad = true;
		return false;
	}
	const char *ne = eq;
	while (ne > p && is_fws(ne[-1]))
		ne--;
	const char *v = eq + 1, *ve = stop;
	while (v < ve && is_fws(*v))
		v++;
	while (ve > v && is_fws(ve[-1]))
		ve--;
	*name = p, *nlen = (size_t)(ne - p), *val = v, *vlen = (size_t)(ve - v);
	return true;
}

static bool span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* --------------------------------------------------- canonicalization */

void dkim_canon_header(struct buf *out, enum dkim_canon c, const char *field, size_t len,
		       bool with_crlf)
{
	if (c == DKIM_SIMPLE) { /* 3.4.1: not changed at all */
		if (!with_crlf && len >= 2 && field[len - 2] == '\r' && field[len - 1] == '\n')
			len -= 2;
		buf_add(out, field, len);
		if (with_crlf && (len < 2 || field[len - 1] != '\n'))
			buf_adds(out, "\r\n");
		return;
	}
	/* 3.4.2: the name lowercased, unfolded, runs of WSP made one SP, WSP
	 * at the end of the value and around the colon removed. */
	const char *colon = memchr(field, ':', len);
	size_t nend = colon ? (size_t)(colon - field) : len;
	while (nend > 0 && is_wsp(field[nend - 1]))
		nend--;
	for (size_t i = 0; i < nend; i++)
		buf_addc(out, (char)tolower((unsigned char)field[i]));
	buf_addc(out, ':');
	if (colon) {
		const char *p = colon + 1, *end = field + len;
		bool space = false, started = false;
		for (; p < end; p++) {
			if (*p == '\r' || *p == '\n')
				continue;
			if (is_wsp(*p)) {
				space = true;
				continue;
			}
			if (space && started)
				buf_addc(out, ' ');
			space = false, started = true;
			buf_addc(out, *p);
		}
	}
	if (with_crlf)
		buf_adds(out, "\r\n");
}

void dkim_canon_body(struct buf *out, enum dkim_canon c, const char *body, size_t len)
{
	size_t empty = 0; /* empty lines held back: trailing ones are dropped */
	bool any = false;
	struct buf line;
	buf_init(&line);
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - body) : len; /* the LF, or the end */
		size_t ce = e > i && body[e - 1] == '\r' ? e - 1 : e;
		buf_clear(&line);
		if (c == DKIM_SIMPLE) {
			buf_add(&line, body + i, ce - i);
		} else { /* 3.4.4: WSP runs made one SP, WSP at line end removed */
			bool space = false;
			for (size_t k = i; k < ce; k++) {
				if (is_wsp(body[k])) {
					space = true;
					continue;
				}
				if (space)
					buf_addc(&line, ' ');
				space = false;
				buf_addc(&line, body[k]);
			}
		}
		i = nl ? e + 1 : len;
		if (line.len == 0) {
			empty++;
			continue;
		}
		for (; empty > 0; empty--)
			buf_adds(out, "\r\n");
		buf_add(out, line.p, line.len);
		buf_adds(out, "\r\n");
		any = true;
	}
	buf_free(&line);
	/* 3.4.3: an empty body is one CRLF under simple; under relaxed it
	 * stays empty (3.4.4, as errata 3133 reads it). */
	if (!any && c == DKIM_SIMPLE)
		buf_adds(out, "\r\n");
}

/* ------------------------------------------------------- the tag-list */

void dkim_sig_init(struct dkim_sig *s)
{
	memset(s, 0, sizeof *s);
	buf_init(&s->b);
	s->t = s->x = s->l = -1;
}

void dkim_sig_free(struct dkim_sig *s)
{
	buf_free(&s->b);
}

static int64_t parse_num(const char *v, size_t n)
{
	int64_t x = 0;
	if (n == 0 || n > 12)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

static int parse_h(struct dkim_sig *s, const char *v, size_t n)
{
	s->nh = 0;
	for (size_t i = 0; i <= n;) {
		const char *colon = memchr(v + i, ':', n - i);
		size_t e = colon ? (size_t)(colon - v) : n;
		size_t a = i, b = e;
		while (a < b && is_fws(v[a]))
			a++;
		while (b > a && is_fws(v[b - 1]))
			b--;
		if (b == a || b - a > DKIM_MAX_NAME || s->nh == DKIM_MAX_HEADERS)
			return -1;
		memcpy(s->h[s->nh], v + a, b - a);
		s->h[s->nh++][b - a] = '\0';
		i = e + 1;
	}
	return 0;
}

/* Where the word nm stands in the space-separated list tags, or -1. */
static int tag_place(const char *tags, const char *nm)
{
	size_t n = strlen(nm);
	for (const char *at = strstr(tags, nm); at; at = strstr(at + 1, nm))
		if ((at == tags || at[-1] == ' ') && at[n] == ' ')
			return (int)(at - tags);
	return -1;
}

int dkim_sig_parse(struct dkim_sig *s, const char *value, size_t len, const char **err)
{
	const char *p = value, *end = value + len, *name, *v;
	size_t nlen, vlen;
	bool bad = false;
	unsigned seen = 0; /* one bit a tag, by its place in tags */
	static const char *const tags = "v a b bh c d h s t x l ";
	s->t = s->x = s->l = -1;
	s->hcanon = s->bcanon = DKIM_SIMPLE;
	buf_clear(&s->b);
	while (tag_next(&p, end, &name, &nlen, &v, &vlen, &bad)) {
		char nm[4] = "";
		if (nlen < sizeof nm - 1)
			memcpy(nm, name, nlen), nm[nlen] = '\0';
		int place = nlen && nlen < 3 ? tag_place(tags, nm) : -1;
		if (place < 0)
			continue; /* 3.2: unknown tags are ignored (i=, q=, z=...) */
		unsigned bit = 1u << place;
		if (seen & bit) {
			*err = N_("a tag appears twice in the signature");
			return -1;
		}
		seen |= bit;
		if (!strcmp(nm, "v")) {
			if (!span_is(v, vlen, "1")) {
				*err = N_("unsupported signature version (v= must be 1)");
				return -1;
			}
		} else if (!strcmp(nm, "a")) {
			if (span_is(v, vlen, "rsa-sha256"))
				s->alg = DKIM_RSA_SHA256;
			else if (span_is(v, vlen, "ed25519-sha256"))
				s->alg = DKIM_ED25519_SHA256;
			else {
				*err = N_("unknown signing algorithm in a=");
				return -1;
			}
		} else if (!strcmp(nm, "b")) {
			if (mime_base64_decode(&s->b, v, vlen) < 0 || s->b.len == 0) {
				*err = N_("b= is not valid base64");
				return -1;
			}
		} else if (!strcmp(nm, "bh")) {
			struct buf d;
			buf_init(&d);
			int bad_bh = mime_base64_decode(&d, v, vlen) < 0 || d.len != sizeof s->bh;
			if (!bad_bh)
				memcpy(s->bh, d.p, sizeof s->bh);
			buf_free(&d);
			if (bad_bh) {
				*err = N_("bh= is not a base64 SHA-256 hash");
				return -1;
			}
		} else if (!strcmp(nm, "c")) {
			const char *slash = memchr(v, '/', vlen);
			size_t hl = slash ? (size_t)(slash - v) : vlen;
			enum dkim_canon *cc[2] = { &s->hcanon, &s->bcanon };
			const char *part[2] = { v, slash ? slash + 1 : NULL };
			size_t plen[2] = { hl, slash ? vlen - hl - 1 : 0 };
			for (int k = 0; k < 2 && part[k]; k++) {
				if (span_is(part[k], plen[k], "relaxed"))
					*cc[k] = DKIM_RELAXED;
				else if (!span_is(part[k], plen[k], "simple")) {
					*err = N_("unknown canonicalization in c=");
					return -1;
				}
			}
		} else if (!strcmp(nm, "d") || !strcmp(nm, "s")) {
			char *dst = nm[0] == 'd' ? s->d : s->s;
			size_t max = nm[0] == 'd' ? DKIM_MAX_DOMAIN : DKIM_MAX_NAME;
			if (vlen == 0 || vlen > max) {
				*err = N_("d= or s= is empty or too long");
				return -1;
			}
			memcpy(dst, v, vlen), dst[vlen] = '\0';
		} else if (!strcmp(nm, "h")) {
			if (parse_h(s, v, vlen) < 0) {
				*err = N_("h= is not a list of header names");
				return -1;
			}
		} else {
			int64_t n = parse_num(v, vlen);
			if (n < 0) {
				*err = N_("t=, x= or l= is not a number");
				return -1;
			}
			*(nm[0] == 't' ? &s->t : nm[0] == 'x' ? &s->x : &s->l) = n;
		}
	}
	if (bad) {
		*err = N_("a tag without '=' in the signature");
		return -1;
	}
	/* 6.1.1: v, a, b, bh, d, h and s are required. */
	static const char *const required[] = { "v", "a", "b", "bh", "d", "h", "s" };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (!(seen & (1u << tag_place(tags, required[i])))) {
			*err = N_("a required tag is missing (v, a, b, bh, d, h, s)");
			return -1;
		}
	}
	bool from = false; /* 5.4: From MUST be signed */
	for (int i = 0; i < s->nh; i++)
		from = from || !strcasecmp(s->h[i], "from");
	if (!from) {
		*err = N_("h= does not include From");
		return -1;
	}
	return 0;
}

/* Adds text, first folding (CRLF SP) if the line would pass the width. */
static void fold_add(struct buf *out, size_t *col, const char *text, bool space)
{
	size_t n = strlen(text);
	if (*col + n + space > DKIM_FOLD_WIDTH) {
		buf_adds(out, "\r\n ");
		*col = 1;
	} else if (space) {
		buf_addc(out, ' ');
		(*col)++;
	}
	buf_adds(out, text);
	*col += n;
}

void dkim_sig_format(struct buf *out, const struct dkim_sig *s)
{
	char tmp[DKIM_MAX_DOMAIN + 32];
	size_t col = strlen("DKIM-Signature:");
	buf_adds(out, "DKIM-Signature:");
	fold_add(out, &col, "v=1;", true);
	snprintf(tmp, sizeof tmp, "a=%s;", dkim_alg_name(s->alg));
	fold_add(out, &col, tmp, true);
	snprintf(tmp, sizeof tmp, "c=%s/%s;", s->hcanon ? "relaxed" : "simple",
		 s->bcanon ? "relaxed" : "simple");
	fold_add(out, &col, tmp, true);
	snprintf(tmp, sizeof tmp, "d=%s;", s->d);
	fold_add(out, &col, tmp, true);
	snprintf(tmp, sizeof tmp, "s=%s;", s->s);
	fold_add(out, &col, tmp, true);
	const char *num[3] = { "t", "x", "l" };
	const int64_t val[3] = { s->t, s->x, s->l };
	for (int i = 0; i < 3; i++) {
		if (val[i] < 0)
			continue;
		snprintf(tmp, sizeof tmp, "%s=%lld;", num[i], (long long)val[i]);
		fold_add(out, &col, tmp, true);
	}
	for (int i = 0; i < s->nh; i++) { /* may fold after a colon: FWS (3.5) */
		snprintf(tmp, sizeof tmp, "%s%s%s", i ? "" : "h=", s->h[i],
			 i + 1 < s->nh ? ":" : ";");
		fold_add(out, &col, tmp, i == 0);
	}
	struct buf b64;
	buf_init(&b64);
	mime_base64_encode(&b64, s->bh, sizeof s->bh);
	buf_adds(&b64, ";");
	fold_add(out, &col, "bh=", true);
	fold_add(out, &col, b64.p, false);
	fold_add(out, &col, "b=", true);
	buf_clear(&b64);
	mime_base64_encode(&b64, s->b.p, s->b.len);
	for (size_t i = 0; i < b64.len;) { /* b= folds anywhere: FWS (3.5) */
		size_t room = col < DKIM_FOLD_WIDTH ? DKIM_FOLD_WIDTH - col : 0;
		if (room == 0) {
			buf_adds(out, "\r\n ");
			col = 1;
			continue;
		}
		size_t n = b64.len - i < room ? b64.len - i : room;
		buf_add(out, b64.p + i, n);
		col += n, i += n;
	}
	buf_free(&b64);
	buf_adds(out, "\r\n");
}

/* ------------------------------------------------------------- hashes */

void dkim_body_hash(const struct dkim_sig *s, const char *body, size_t len,
		    unsigned char out[32])
{
	struct buf c;
	buf_init(&c);
	dkim_canon_body(&c, s->bcanon, body, len);
	size_t n = s->l >= 0 && (uint64_t)s->l < c.len ? (size_t)s->l : c.len;
	EVP_Digest(c.p, n, out, NULL, EVP_sha256(), NULL);
	buf_free(&c);
}

/* The end of the header field starting at p: past the CRLF of its last
 * line (continuation lines begin with WSP). */
static const char *field_end(const char *p, const char *end)
{
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return end;
		p = nl + 1;
		if (p >= end || !is_wsp(*p))
			return p;
	}
}

static bool field_named(const char *f, const char *fend, const char *name)
{
	size_t n = strlen(name);
	if ((size_t)(fend - f) <= n || strncasecmp(f, name, n) != 0)
		return false;
	const char *p = f + n;
	while (p < fend && is_wsp(*p))
		p++;
	return p < fend && *p == ':';
}

void dkim_header_data(struct buf *out, const struct dkim_sig *s, const char *hdrs, size_t hlen,
		      const char *sigfield, size_t siglen)
{
	const char *end = hdrs + hlen;
	/* 5.4.2: each name in h= takes that name's instances from the bottom
	 * up; used[] remembers which have gone. */
	const char *starts[DKIM_MAX_FIELDS];
	int nf = 0;
	for (const char *p = hdrs; p < end && nf < DKIM_MAX_FIELDS; p = field_end(p, end))
		starts[nf++] = p;
	bool used[DKIM_MAX_FIELDS] = { false };
	for (int i = 0; i < s->nh; i++) {
		for (int k = nf - 1; k >= 0; k--) {
			const char *fe = k + 1 < nf ? starts[k + 1] : field_end(starts[k], end);
			if (used[k] || !field_named(starts[k], fe, s->h[i]))
				continue;
			used[k] = true;
			dkim_canon_header(out, s->hcanon, starts[k], (size_t)(fe - starts[k]), true);
			break;
		}
	}
	/* 3.7: the signature field last, its b= value and the white space
	 * around it deleted, without its final CRLF. */
	struct buf f;
	buf_init(&f);
	const char *colon = memchr(sigfield, ':', siglen);
	const char *p = colon ? colon + 1 : sigfield + siglen, *fend = sigfield + siglen;
	buf_add(&f, sigfield, (size_t)(p - sigfield));
	const char *name, *v;
	size_t nlen, vlen;
	bool bad = false;
	const char *from = p;
	while (tag_next(&p, fend, &name, &nlen, &v, &vlen, &bad)) {
		if (!span_is(name, nlen, "b"))
			continue;
		const char *eq = memchr(name, '=', (size_t)(fend - name));
		const char *stop = memchr(eq, ';', (size_t)(fend - eq));
		if (!stop) { /* b= last: keep the field's final CRLF */
			stop = fend;
			while (stop > eq + 1 && is_fws(stop[-1]))
				stop--;
		}
		buf_add(&f, from, (size_t)(eq + 1 - from));
		from = stop;
		break;
	}
	buf_add(&f, from, (size_t)(fend - from));
	dkim_canon_header(out, s->hcanon, f.p, f.len, false);
	buf_free(&f);
}

/* --------------------------------------------------------------- keys */

EVP_PKEY *dkim_key_from_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	if (!bio)
		return NULL;
	EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return k;
}

EVP_PKEY *dkim_key_from_ed25519_seed(const unsigned char seed[DKIM_ED25519_SEED])
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, DKIM_ED25519_SEED);
}

/*
 * An RSA key made deterministically from a seed, so that a simulated world
 * signs with the same key, and writes the same bytes, on every run.  Not
 * a way to make a key anyone should trust: whoever knows the seed knows
 * the key.
 *
 * The numbers come from a stream of bytes: SHA-256(seed || counter), the
 * counter a 32-bit big-endian block number (SHA-256 in counter mode).
 * Each candidate for a prime takes bits/2 bits of it, with its two top
 * bits set (so that p*q has all `bits` bits) and its lowest set (odd);
 * BN_check_prime() tests it, and a candidate that is not prime, or whose
 * p-1 shares a factor with e, is dropped for the next one.  Then the key
 * as PKCS #1 (RFC 8017 3.2) holds it: n = pq, e = 65537,
 * d = e^-1 mod (p-1)(q-1), and the CRT values dP, dQ, qInv.
 */
struct seed_stream {
	const unsigned char *seed;
	size_t len;
	uint32_t counter;
	unsigned char block[32];
	size_t used; /* bytes of block already handed out */
};

static void seed_stream_bytes(struct seed_stream *st, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (st->used == sizeof st->block) {
			unsigned char ctr[4] = { (unsigned char)(st->counter >> 24),
						 (unsigned char)(st->counter >> 16),
						 (unsigned char)(st->counter >> 8),
						 (unsigned char)st->counter };
			EVP_MD_CTX *c = EVP_MD_CTX_new();
			EVP_DigestInit_ex(c, EVP_sha256(), NULL);
			EVP_DigestUpdate(c, st->seed, st->len);
			EVP_DigestUpdate(c, ctr, sizeof ctr);
			EVP_DigestFinal_ex(c, st->block, NULL);
			EVP_MD_CTX_free(c);
			st->counter++;
			st->used = 0;
		}
		out[i] = st->block[st->used++];
	}
}

/* The next prime of the stream with gcd(p - 1, e) = 1, into p. */
static bool seed_prime(struct seed_stream *st, int bits, const BIGNUM *e, BIGNUM *p,
		       BN_CTX *bc)
{
	size_t n = (size_t)bits / 8;
	unsigned char cand[512];
	BIGNUM *pm1 = BN_new(), *g = BN_new();
	bool found = false;
	for (int tries = 0; pm1 && g && n <= sizeof cand && tries < 100000 && !found; tries++) {
		seed_stream_bytes(st, cand, n);
		cand[0] |= 0xC0;     /* the two top bits: p*q gets all its bits */
		cand[n - 1] |= 0x01; /* odd */
		if (!BN_bin2bn(cand, (int)n, p))
			break;
		if (BN_check_prime(p, bc, NULL) != 1)
			continue;
		found = BN_sub(pm1, p, BN_value_one()) && BN_gcd(g, pm1, e, bc) && BN_is_one(g);
	}
	BN_free(pm1);
	BN_free(g);
	return found;
}

EVP_PKEY *dkim_key_rsa_from_seed(const unsigned char *seed, size_t len, int bits)
{
	if (bits < 512 || bits > 4096 || bits % 16)
		return NULL;
	struct seed_stream st = { .seed = seed, .len = len, .used = 32 };
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *e = BN_new(), *p = BN_new(), *q = BN_new(), *n = BN_new(), *d = BN_new();
	BIGNUM *pm1 = BN_new(), *qm1 = BN_new(), *phi = BN_new();
	BIGNUM *dp = BN_new(), *dq = BN_new(), *qinv = BN_new();
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *key = NULL;
	if (!bc || !e || !p || !q || !n || !d || !pm1 || !qm1 || !phi || !dp || !dq || !qinv ||
	    !BN_set_word(e, 65537) || !seed_prime(&st, bits / 2, e, p, bc))
		goto out;
	do { /* q different from p (a stream that repeats itself would be broken) */
		if (!seed_prime(&st, bits / 2, e, q, bc))
			goto out;
	} while (BN_cmp(p, q) == 0);
	if (BN_cmp(p, q) < 0) /* p > q, as PKCS #1 implementations usually keep them */
		BN_swap(p, q);
	if (!BN_mul(n, p, q, bc) || !BN_sub(pm1, p, BN_value_one()) ||
	    !BN_sub(qm1, q, BN_value_one()) || !BN_mul(phi, pm1, qm1, bc) ||
	    !BN_mod_inverse(d, e, phi, bc) || !BN_mod(dp, d, pm1, bc) || !BN_mod(dq, d, qm1, bc) ||
	    !BN_mod_inverse(qinv, q, p, bc))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &key, EVP_PKEY_KEYPAIR, params) != 1)
		key = NULL;
out:
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qinv);
	BN_clear_free(pm1);
	BN_clear_free(qm1);
	BN_clear_free(phi);
	BN_free(n);
	BN_free(e);
	BN_CTX_free(bc);
	return key;
}

void dkim_key_free(EVP_PKEY *key)
{
	EVP_PKEY_free(key);
}

int dkim_key_txt(struct buf *out, EVP_PKEY *key)
{
	if (EVP_PKEY_get_id(key) == EVP_PKEY_ED25519) { /* RFC 8463 4.2: raw */
		unsigned char raw[32];
		size_t n = sizeof raw;
		if (EVP_PKEY_get_raw_public_key(key, raw, &n) != 1)
			return -1;
		buf_adds(out, "v=DKIM1; k=ed25519; p=");
		mime_base64_encode(out, raw, n);
		return 0;
	}
	if (EVP_PKEY_get_id(key) != EVP_PKEY_RSA)
		return -1;
	unsigned char *der = NULL; /* RFC 6376 3.6.1: SubjectPublicKeyInfo */
	int n = i2d_PUBKEY(key, &der);
	if (n <= 0)
		return -1;
	buf_adds(out, "v=DKIM1; k=rsa; p=");
	mime_base64_encode(out, der, (size_t)n);
	OPENSSL_free(der);
	return 0;
}

EVP_PKEY *dkim_key_parse(const char *txt, const char **err)
{
	const char *p = txt, *end = txt + strlen(txt), *name, *v;
	const char *pv = NULL;
	size_t nlen, vlen, plen = 0;
	bool bad = false, ed = false;
	while (tag_next(&p, end, &name, &nlen, &v, &vlen, &bad)) {
		if (span_is(name, nlen, "v") && !span_is(v, vlen, "DKIM1")) {
			*err = N_("the key record's v= is not DKIM1");
			return NULL;
		} else if (span_is(name, nlen, "k")) {
			ed = span_is(v, vlen, "ed25519");
			if (!ed && !span_is(v, vlen, "rsa")) {
				*err = N_("unknown key type in k=");
				return NULL;
			}
		} else if (span_is(name, nlen, "p")) {
			pv = v, plen = vlen;
		}
	}
	if (bad || !pv) {
		*err = N_("the key record has no p=");
		return NULL;
	}
	if (plen == 0) {
		*err = N_("the key has been revoked (empty p=)");
		return NULL;
	}
	struct buf d;
	buf_init(&d);
	EVP_PKEY *k = NULL;
	if (mime_base64_decode(&d, pv, plen) == 0) {
		if (ed && d.len == 32) {
			k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							(const unsigned char *)d.p, d.len);
		} else if (!ed) {
			const unsigned char *q = (const unsigned char *)d.p;
			k = d2i_PUBKEY(NULL, &q, (long)d.len);
			if (k && EVP_PKEY_get_id(k) != EVP_PKEY_RSA) {
				EVP_PKEY_free(k);
				k = NULL;
			}
		}
	}
	buf_free(&d);
	if (!k)
		*err = N_("the key record's p= is not a valid public key");
	return k;
}

/* ---------------------------------------------------- sign and verify */

/* Splits msg into the header block (through the last field's CRLF) and
 * the body (after the blank line). */
static void split_message(const char *msg, size_t len, size_t *hlen, const char **body,
			  size_t *blen)
{
	const char *end = msg + len, *p = msg;
	while (p < end && *p != '\r' && *p != '\n')
		p = field_end(p, end);
	*hlen = (size_t)(p - msg);
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	*body = p, *blen = (size_t)(end - p);
}

/* The bytes handed to the signature algorithm: the header data for RSA
 * (hashed inside EVP), its SHA-256 for ed25519 (RFC 8463 3). */
static const EVP_MD *prepare(enum dkim_alg a, const struct buf *data, unsigned char h[32],
			     const unsigned char **in, size_t *n)
{
	if (a == DKIM_ED25519_SHA256) {
		EVP_Digest(data->p, data->len, h, NULL, EVP_sha256(), NULL);
		*in = h, *n = 32;
		return NULL;
	}
	*in = (const unsigned char *)data->p, *n = data->len;
	return EVP_sha256();
}

static bool key_fits(enum dkim_alg a, EVP_PKEY *key)
{
	return EVP_PKEY_get_id(key) == (a == DKIM_ED25519_SHA256 ? EVP_PKEY_ED25519 : EVP_PKEY_RSA);
}

int dkim_sign(struct buf *out, struct dkim_sig *s, EVP_PKEY *key, const char *msg, size_t len,
	      const char **err)
{
	if (!key_fits(s->alg, key)) {
		*err = N_("the key does not fit the algorithm in a=");
		return -1;
	}
	size_t hlen, blen;
	const char *body;
	split_message(msg, len, &hlen, &body, &blen);
	dkim_body_hash(s, body, blen, s->bh);
	buf_clear(&s->b);
	struct buf field, data;
	buf_init(&field);
	buf_init(&data);
	dkim_sig_format(&field, s);
	dkim_header_data(&data, s, msg, hlen, field.p, field.len);
	unsigned char h[32], sig[1024];
	const unsigned char *in;
	size_t n, siglen = sizeof sig;
	const EVP_MD *md = prepare(s->alg, &data, h, &in, &n);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, md, NULL, key) == 1 &&
		 EVP_DigestSign(ctx, sig, &siglen, in, n) == 1;
	EVP_MD_CTX_free(ctx);
	buf_free(&data);
	buf_free(&field);
	if (!ok) {
		*err = N_("the signing key could not sign");
		return -1;
	}
	buf_add(&s->b, sig, siglen);
	dkim_sig_format(out, s);
	return 0;
}

enum dkim_result dkim_verify(const char *msg, size_t len, EVP_PKEY *key, const char **reason)
{
	size_t hlen, blen;
	const char *body, *end;
	split_message(msg, len, &hlen, &body, &blen);
	end = msg + hlen;
	const char *f = msg, *fe = NULL;
	for (; f < end; f = fe) {
		fe = field_end(f, end);
		if (field_named(f, fe, "DKIM-Signature"))
			break;
	}
	if (f >= end) {
		*reason = N_("the message has no DKIM-Signature");
		return DKIM_NONE;
	}
	struct dkim_sig s;
	dkim_sig_init(&s);
	enum dkim_result r = DKIM_PASS;
	const char *colon = memchr(f, ':', (size_t)(fe - f));
	*reason = NULL;
	if (dkim_sig_parse(&s, colon + 1, (size_t)(fe - colon - 1), reason) < 0) {
		r = DKIM_PERMERROR;
		goto done;
	}
	if (!key) {
		*reason = N_("no key");
		r = DKIM_PERMERROR;
		goto done;
	}
	if (!key_fits(s.alg, key)) {
		*reason = N_("the key's type does not match a=");
		r = DKIM_PERMERROR;
		goto done;
	}
	unsigned char bh[32];
	dkim_body_hash(&s, body, blen, bh);
	if (memcmp(bh, s.bh, sizeof bh) != 0) {
		*reason = N_("body hash did not verify");
		r = DKIM_FAIL;
		goto done;
	}
	struct buf data;
	buf_init(&data);
	dkim_header_data(&data, &s, msg, hlen, f, (size_t)(fe - f));
	unsigned char h[32];
	const unsigned char *in;
	size_t n;
	const EVP_MD *md = prepare(s.alg, &data, h, &in, &n);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
		 EVP_DigestVerify(ctx, (const unsigned char *)s.b.p, s.b.len, in, n) == 1;
	EVP_MD_CTX_free(ctx);
	buf_free(&data);
	if (!ok) {
		*reason = N_("signature did not verify");
		r = DKIM_FAIL;
	}
done:
	dkim_sig_free(&s);
	return r;
}
