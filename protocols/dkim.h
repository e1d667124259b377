/*
 * dkim.h - DomainKeys Identified Mail (RFC 6376), with rsa-sha256 and
 * ed25519-sha256 (RFC 8463), sans-I/O: a message in, a DKIM-Signature
 * value or a verdict out.  No DNS here: the caller looks up the selector's
 * TXT record and hands its text to dkim_key_parse().
 *
 * Reading guide, in the order a message meets it:
 *   - canonicalization (RFC 6376 3.4): dkim_canon_header(), dkim_canon_body();
 *   - the tag-list (3.2, 3.5): dkim_sig_parse() reads a DKIM-Signature value,
 *     dkim_sig_format() writes one with b= empty, folded;
 *   - hashing (3.7): dkim_body_hash(), dkim_header_data();
 *   - keys: dkim_key_from_pem(), dkim_key_from_ed25519_seed(),
 *     dkim_key_txt() (the p= of a DNS record), dkim_key_parse();
 *   - dkim_sign() and dkim_verify().
 * Errors and reasons are English constants marked N_(): translate with _().
 */
#ifndef MAILSIM_DKIM_H
#define MAILSIM_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct evp_pkey_st EVP_PKEY; /* OpenSSL's, kept opaque here */

#define DKIM_MAX_HEADERS 32   /* names in h= we accept */
#define DKIM_MAX_FIELDS 256   /* header fields of a message looked at for h= */
#define DKIM_MAX_NAME 64      /* bytes of a header name in h= */
#define DKIM_MAX_DOMAIN 254   /* bytes of d= (a DNS name) */
#define DKIM_FOLD_WIDTH 72    /* columns a signer folds its tag-list at */
#define DKIM_ED25519_SEED 32  /* bytes of an ed25519 private seed */

enum dkim_canon { DKIM_SIMPLE, DKIM_RELAXED };
enum dkim_alg { DKIM_RSA_SHA256, DKIM_ED25519_SHA256 };
/* RFC 8601 2.7.1's words for a dkim result. */
enum dkim_result { DKIM_NONE, DKIM_PASS, DKIM_FAIL, DKIM_NEUTRAL, DKIM_PERMERROR, DKIM_TEMPERROR };

const char *dkim_result_word(enum dkim_result r); /* "pass", "fail"... */
const char *dkim_alg_name(enum dkim_alg a);       /* "rsa-sha256"... */

/* ------------------------------------------------- canonicalization */

/* One header field, name through the CRLF of its last line (folds kept),
 * canonicalized and appended to out (3.4.1, 3.4.2); with_crlf false drops
 * the final CRLF, as for the signature header itself (3.7). */
void dkim_canon_header(struct buf *out, enum dkim_canon c, const char *field, size_t len,
		       bool with_crlf);
/* The body (everything after the blank line) canonicalized (3.4.3, 3.4.4). */
void dkim_canon_body(struct buf *out, enum dkim_canon c, const char *body, size_t len);

/* ------------------------------------------------------ the tag-list */

struct dkim_sig {
	enum dkim_alg alg;          /* a= */
	enum dkim_canon hcanon;     /* c= header part (simple if absent) */
	enum dkim_canon bcanon;     /* c= body part */
	char d[DKIM_MAX_DOMAIN + 1]; /* d= signing domain */
	char s[DKIM_MAX_NAME + 1];  /* s= selector */
	char h[DKIM_MAX_HEADERS][DKIM_MAX_NAME + 1]; /* h= names, in order */
	int nh;                     /* names in h */
	unsigned char bh[32];       /* bh= decoded (sha256) */
	struct buf b;               /* b= decoded */
	int64_t t, x;               /* t=, x=; -1 when absent */
	int64_t l;                  /* l= body length; -1 when absent */
};

void dkim_sig_init(struct dkim_sig *s);
void dkim_sig_free(struct dkim_sig *s);
/* Parses a DKIM-Signature value; 0, or -1 with *err an N_() reason. */
int dkim_sig_parse(struct dkim_sig *s, const char *value, size_t len, const char **err);
/* Appends "DKIM-Signature: v=1; a=...; ...; b=" folded at DKIM_FOLD_WIDTH
 * with CRLF SP; the b= value (if s->b is not empty) folded after it; CRLF. */
void dkim_sig_format(struct buf *out, const struct dkim_sig *s);

/* ------------------------------------------------------------ hashes */

/* bh=: sha256 of the canonical body, cut at l= when s->l >= 0. */
void dkim_body_hash(const struct dkim_sig *s, const char *body, size_t len,
		    unsigned char out[32]);
/* The data the signature covers (3.7): the h= fields of the header block
 * (hdrs, through the last field's CRLF), each name taken from the bottom up
 * (5.4.2; a missing one adds nothing), then the signature field sigfield
 * with its b= value emptied and no final CRLF. */
void dkim_header_data(struct buf *out, const struct dkim_sig *s, const char *hdrs, size_t hlen,
		      const char *sigfield, size_t siglen);

/* -------------------------------------------------------------- keys */

EVP_PKEY *dkim_key_from_pem(const char *pem);
EVP_PKEY *dkim_key_from_ed25519_seed(const unsigned char seed[DKIM_ED25519_SEED]);
/* An RSA key of `bits` bits (e = 65537) made from seed alone, the same on
 * every run (for the simulation: see dkim.c); NULL if bits is not 512..4096
 * in steps of 16, or OpenSSL failed. */
EVP_PKEY *dkim_key_rsa_from_seed(const unsigned char *seed, size_t len, int bits);
/* Appends "v=DKIM1; k=rsa|ed25519; p=BASE64" for key's public half. */
int dkim_key_txt(struct buf *out, EVP_PKEY *key);
/* Reads a key record; a public key, or NULL with *err set.  An empty p=
 * (a revoked key, 3.6.1) is an error too. */
EVP_PKEY *dkim_key_parse(const char *txt, const char **err);
void dkim_key_free(EVP_PKEY *key);

/* ------------------------------------------------- sign and verify */

/* Signs msg (header block, blank line, body) as s describes (a, c, d, s,
 * h, t, x, l; bh and b are filled): appends the whole DKIM-Signature field,
 * folded, CRLF-ended, to out.  0, or -1 with *err. */
int dkim_sign(struct buf *out, struct dkim_sig *s, EVP_PKEY *key, const char *msg, size_t len,
	      const char **err);
/* Verifies the first DKIM-Signature field of msg with key (NULL: no key
 * was found: permerror "no key").  No signature field is DKIM_NONE.
 * *reason is an N_() string, or NULL on pass.  t= and x= are the caller's
 * to weigh against its own clock (no clock here). */
enum dkim_result dkim_verify(const char *msg, size_t len, EVP_PKEY *key, const char **reason);

#endif
