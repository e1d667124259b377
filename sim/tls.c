/*
 * tls.c - real TLS for live mode, with OpenSSL's libssl: the server's
 * certificate (made at start or read from PEM files) and each
 * connection's session over a non-blocking socket.  See tls.h.
 *
 * The certificate made at start is what a teaching server needs, no more:
 * a fresh P-256 key, self-signed, valid from now for a year, naming every
 * server of the world in subjectAltName (RFC 6125 6.4.4: clients match the
 * DNS names there, not the subject's CN), with "localhost" and 127.0.0.1
 * for a client that connects by address.  No client trusts it at first:
 * the user compares the fingerprint that serve prints with the one the
 * client shows (Thunderbird's "Confirm Security Exception"), or tells the
 * client not to check (curl -k, openssl s_client without -verify).
 */
#include "tls.h"
#include "buf.h"
#include "i18n.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLS_CERT_DAYS 365
#define TLS_SERIAL_OCTETS 16 /* RFC 5280 4.1.2.2: positive, at most 20 octets */

struct tls_server {
	SSL_CTX *ctx;
	char fingerprint[3 * 32];  /* SHA-256, "AB:CD:...", NUL-ended */
	char *cert_pem;
};

struct tls_session {
	SSL *ssl;
	bool established; /* the handshake is over: a close_notify may be sent */
	bool failed;      /* a fatal error: OpenSSL forbids a shutdown then */
};

/* OpenSSL's reason for the last error ("wrong version number"), or
 * fallback when its queue is empty. */
static void tls_reason(char *err, size_t errlen, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;
	snprintf(err, errlen, "%s", why ? why : fallback);
	ERR_clear_error();
}

/* ------------------------------------------------------------ the certificate */

/* One v3 extension from its text form (as in openssl.cnf). */
static int tls_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* "DNS:a,DNS:b,DNS:localhost,IP:127.0.0.1": every name once. */
static char *tls_alt_names(const char *const *names, size_t nnames)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < nnames; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcasecmp(names[i], names[j]) == 0;
		if (!seen && strcasecmp(names[i], "localhost") != 0)
			buf_printf(&b, "DNS:%s,", names[i]);
	}
	buf_adds(&b, "DNS:localhost,IP:127.0.0.1");
	return buf_steal(&b);
}

/* A new key and a self-signed certificate for the names. */
static int tls_make_cert(SSL_CTX *ctx, const char *const *names, size_t nnames, char *err,
			 size_t errlen)
{
	int rc = -1;
	X509 *x = NULL;
	BIGNUM *serial = NULL;
	char *alt = NULL;
	/* P-256: made at once (an RSA key takes a while) and every client
	 * of the last ten years speaks ECDSA */
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!key)
		goto out;
	x = X509_new();
	serial = BN_new();
	if (!x || !serial || !X509_set_version(x, 2 /* v3 */) ||
	    !BN_rand(serial, TLS_SERIAL_OCTETS * 8 - 1, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)TLS_CERT_DAYS * 24 * 3600) ||
	    !X509_set_pubkey(x, key))
		goto out;
	X509_NAME *name = X509_get_subject_name(x);
	const char *cn = nnames ? names[0] : "localhost";
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mailsim", -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
					0) ||
	    !X509_set_issuer_name(x, name))
		goto out;
	alt = tls_alt_names(names, nnames);
	if (tls_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    tls_add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
	    tls_add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
	    tls_add_ext(x, NID_subject_key_identifier, "hash") < 0 ||
	    tls_add_ext(x, NID_subject_alt_name, alt) < 0)
		goto out;
	if (!X509_sign(x, key, EVP_sha256()) || SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		char why[200];
		tls_reason(why, sizeof why, "?");
		snprintf(err, errlen, _("cannot make a TLS certificate: %s"), why);
	}
	free(alt);
	BN_free(serial);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* The certificate and key from PEM files (the certificate file may hold
 * the chain after it). */
static int tls_load_cert(SSL_CTX *ctx, const char *cert_file, const char *key_file, char *err,
			 size_t errlen)
{
	char why[200];
	/* fopen first: "No such file or directory" says more than OpenSSL's
	 * "system lib" */
	const char *files[] = { cert_file, key_file };
	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		if (!f) {
			snprintf(err, errlen, "%s: %s", files[i], strerror(errno));
			return -1;
		}
		fclose(f);
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		tls_reason(why, sizeof why, "?");
		snprintf(err, errlen, _("%s: not a PEM certificate (%s)"), cert_file, why);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		/* a good key, but another certificate's: checked as it loads */
		bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
		tls_reason(why, sizeof why, "?");
		if (mismatch)
			snprintf(err, errlen, _("%s: the key does not match the certificate %s (%s)"),
				 key_file, cert_file, why);
		else
			snprintf(err, errlen, _("%s: not a PEM private key (%s)"), key_file, why);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_reason(why, sizeof why, "?");
		snprintf(err, errlen, _("%s: the key does not match the certificate %s (%s)"),
			 key_file, cert_file, why);
		return -1;
	}
	return 0;
}

/* The fingerprint and the PEM of the certificate the context holds. */
static int tls_describe_cert(struct tls_server *ts)
{
	X509 *x = SSL_CTX_get0_certificate(ts->ctx);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!x || !X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(ts->fingerprint + 3 * i, 4, i + 1 < mdlen ? "%02X:" : "%02X", md[i]);
	BIO *mem = BIO_new(BIO_s_mem());
	if (!mem || !PEM_write_bio_X509(mem, x)) {
		BIO_free(mem);
		return -1;
	}
	char *p;
	long n = BIO_get_mem_data(mem, &p);
	ts->cert_pem = xmalloc((size_t)n + 1);
	memcpy(ts->cert_pem, p, (size_t)n);
	ts->cert_pem[n] = '\0';
	BIO_free(mem);
	return 0;
}

struct tls_server *tls_server_new(const char *const *names, size_t nnames, const char *cert_file,
				  const char *key_file, char *err, size_t errlen)
{
	struct tls_server *ts = xcalloc(1, sizeof *ts);
	ts->ctx = SSL_CTX_new(TLS_server_method());
	if (!ts->ctx) {
		char why[200];
		tls_reason(why, sizeof why, "?");
		snprintf(err, errlen, "SSL_CTX_new: %s", why);
		goto fail;
	}
	/* RFC 8996: no TLS 1.0 or 1.1 */
	SSL_CTX_set_min_proto_version(ts->ctx, TLS1_2_VERSION);
	/* a client that hangs up without close_notify has simply gone (most
	 * mail clients do after QUIT) */
	SSL_CTX_set_options(ts->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	/* the write buffer moves and may be written in parts (sock.c's wbuf) */
	SSL_CTX_set_mode(ts->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* no session resumption: nothing to remember between connections */
	SSL_CTX_set_session_cache_mode(ts->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ts->ctx, 0);
	int r = cert_file || key_file ? tls_load_cert(ts->ctx, cert_file, key_file, err, errlen)
				      : tls_make_cert(ts->ctx, names, nnames, err, errlen);
	if (r < 0)
		goto fail;
	if (tls_describe_cert(ts) < 0) {
		snprintf(err, errlen, "%s", _("cannot read the TLS certificate back"));
		goto fail;
	}
	return ts;
fail:
	tls_server_free(ts);
	return NULL;
}

void tls_server_free(struct tls_server *ts)
{
	if (!ts)
		return;
	SSL_CTX_free(ts->ctx);
	free(ts->cert_pem);
	free(ts);
}

const char *tls_server_fingerprint(const struct tls_server *ts)
{
	return ts->fingerprint;
}

const char *tls_server_cert_pem(const struct tls_server *ts)
{
	return ts->cert_pem;
}

/* ------------------------------------------------------------ sessions */

struct tls_session *tls_session_new(struct tls_server *ts, int fd)
{
	/* both fail only when memory is out: as xmalloc, give up */
	SSL *ssl = SSL_new(ts->ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1) {
		fputs(_("mailsim: out of memory\n"), stderr);
		abort();
	}
	SSL_set_accept_state(ssl);
	struct tls_session *t = xcalloc(1, sizeof *t);
	t->ssl = ssl;
	return t;
}

void tls_session_free(struct tls_session *t)
{
	if (!t)
		return;
	if (t->established && !t->failed) {
		ERR_clear_error();
		SSL_shutdown(t->ssl); /* one try: the socket is closed next anyway */
	}
	SSL_free(t->ssl);
	ERR_clear_error();
	free(t);
}

/* After a call that returned ret <= 0: -1 with *want, or 0 for a clean
 * end, or -1 with *want == TLS_WANT_NOTHING and err for an error. */
static int tls_result(struct tls_session *t, int ret, enum tls_want *want, char *err, size_t errlen)
{
	*want = TLS_WANT_NOTHING;
	int e = SSL_get_error(t->ssl, ret);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want = TLS_WANT_READ;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = TLS_WANT_WRITE;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		t->failed = true;
		if (ERR_peek_last_error() == 0) {
			snprintf(err, errlen, "%s",
				 errno ? strerror(errno) : _("the client hung up"));
			return -1;
		}
		tls_reason(err, errlen, "?");
		return -1;
	default:
		t->failed = true;
		tls_reason(err, errlen, _("TLS error"));
		return -1;
	}
}

int tls_handshake(struct tls_session *t, enum tls_want *want, char *err, size_t errlen)
{
	ERR_clear_error();
	errno = 0;
	int ret = SSL_do_handshake(t->ssl);
	if (ret == 1) {
		t->established = true;
		*want = TLS_WANT_NOTHING;
		return 1;
	}
	if (tls_result(t, ret, want, err, errlen) == 0) {
		/* a close_notify in the middle of the handshake */
		t->failed = true;
		snprintf(err, errlen, "%s", _("the client hung up"));
		return -1;
	}
	return *want == TLS_WANT_NOTHING ? -1 : 0;
}

void tls_describe(const struct tls_session *t, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s %s", SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl));
}

/* After SSL_read_ex or SSL_write_ex (called with OpenSSL's error queue
 * and errno cleared): how many bytes, or tls_result's answer. */
static ssize_t tls_io_result(struct tls_session *t, int ret, size_t done, enum tls_want *want,
			     char *err, size_t errlen)
{
	if (ret == 1) {
		*want = TLS_WANT_NOTHING;
		return (ssize_t)done;
	}
	return tls_result(t, ret, want, err, errlen);
}

ssize_t tls_read(struct tls_session *t, void *p, size_t n, enum tls_want *want, char *err,
		 size_t errlen)
{
	ERR_clear_error();
	errno = 0;
	size_t got = 0;
	int ret = SSL_read_ex(t->ssl, p, n, &got);
	return tls_io_result(t, ret, got, want, err, errlen);
}

ssize_t tls_write(struct tls_session *t, const void *p, size_t n, enum tls_want *want, char *err,
		  size_t errlen)
{
	ERR_clear_error();
	errno = 0;
	size_t put = 0;
	int ret = SSL_write_ex(t->ssl, p, n, &put);
	ssize_t r = tls_io_result(t, ret, put, want, err, errlen);
	if (r == 0) { /* the peer closed: nothing more can be written */
		snprintf(err, errlen, "%s", _("the client hung up"));
		return -1;
	}
	return r;
}
