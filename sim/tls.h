/*
 * tls.h - real TLS for live mode (OpenSSL libssl), server side only.
 *
 * The rest of mailsim sees two opaque types and never an OpenSSL one:
 *
 *   struct tls_server   the certificate and key every live server shows
 *                       (made at start, self-signed, or read from files)
 *   struct tls_session  one connection's TLS, over a non-blocking socket
 *
 * The socket stays non-blocking: every call may answer "not yet" (the
 * peer's bytes have not come, or the kernel's buffer is full), and says
 * which way the poll loop must wait (TLS_WANT_READ or TLS_WANT_WRITE).
 * A TLS handshake reads and writes several times, so even a read may need
 * the socket to be writable (and a write readable) before it can go on.
 */
#ifndef MAILSIM_TLS_H
#define MAILSIM_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_server;
struct tls_session;

/* What a call that could not finish needs from the socket first. */
enum tls_want {
	TLS_WANT_NOTHING,
	TLS_WANT_READ,   /* poll for POLLIN, then call again */
	TLS_WANT_WRITE,  /* poll for POLLOUT, then call again */
};

/* The certificate the servers show.  With cert_file and key_file (PEM),
 * read from them; with both NULL, a new key and a self-signed certificate
 * valid from now for a year, naming every one of the nnames names (as
 * subjectAltName DNS entries, RFC 6125) plus "localhost" and the address
 * 127.0.0.1.  NULL with err filled ("FILE: reason") if it cannot be had. */
struct tls_server *tls_server_new(const char *const *names, size_t nnames, const char *cert_file,
				  const char *key_file, char *err, size_t errlen);
void tls_server_free(struct tls_server *ts);
/* The certificate's SHA-256 fingerprint as the browsers print it
 * ("AB:CD:..."), for the user to compare with what a client shows. */
const char *tls_server_fingerprint(const struct tls_server *ts);
/* The certificate in PEM, for a client to trust (a NUL-ended string). */
const char *tls_server_cert_pem(const struct tls_server *ts);

/* A new session on fd, the server's side: the handshake begins with the
 * first tls_handshake call.  Never NULL (out of memory: abort, as xmalloc). */
struct tls_session *tls_session_new(struct tls_server *ts, int fd);
/* Close the session: one close_notify alert, if the socket takes it
 * (no waiting for the peer's), then free it.  The fd stays open. */
void tls_session_free(struct tls_session *t);

/* Go on with the handshake: 1 done, 0 not yet (*want says why), -1 failed
 * (err says why, in OpenSSL's words: "wrong version number", say). */
int tls_handshake(struct tls_session *t, enum tls_want *want, char *err, size_t errlen);
/* The protocol version and cipher agreed ("TLSv1.3 TLS_AES_256_GCM_SHA384"). */
void tls_describe(const struct tls_session *t, char *out, size_t outlen);

/* Read decrypted bytes: > 0 how many; 0 the peer closed (close_notify
 * or end of file); -1 not yet (*want says why) or, with *want ==
 * TLS_WANT_NOTHING, an error (err says which). */
ssize_t tls_read(struct tls_session *t, void *p, size_t n, enum tls_want *want, char *err,
		 size_t errlen);
/* Write: > 0 how many went (perhaps fewer than n); -1 as for tls_read. */
ssize_t tls_write(struct tls_session *t, const void *p, size_t n, enum tls_want *want, char *err,
		  size_t errlen);

#endif
