/*
 * sasl.h - what the servers' AUTH PLAIN share: cutting the decoded answer
 * into its three parts (RFC 4616 2).
 *
 * The SMTP (AUTH, RFC 4954), POP3 (AUTH, RFC 5034) and IMAP (AUTHENTICATE,
 * RFC 3501 6.2.2) servers each decode the client's base64 their own way and
 * answer in their own words; the message inside is the same in all three:
 *
 *   authzid NUL authcid NUL password
 *
 * The authcid is the user who logs in; an authzid, if not empty, is the user
 * to act as.  mailsim's servers let a user act only as itself.
 */
#ifndef MAILSIM_SASL_H
#define MAILSIM_SASL_H

#include <stdbool.h>

#include "buf.h"

struct sasl_plain {
	const char *authzid;  /* "" when the client asks for nothing more */
	const char *user;     /* the authcid */
	const char *password;
};

/* Find the three parts in a decoded PLAIN message (pointers into dec, whose
 * own NUL ends the password).  False unless it holds exactly two NULs. */
bool sasl_plain_split(const struct buf *dec, struct sasl_plain *plain);

/* The authzid names another user than the authcid. */
bool sasl_plain_acts_as_other(const struct sasl_plain *plain);

#endif
