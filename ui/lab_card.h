/*
 * lab_card.h - the lab report a student hands in (`mailsim lab ...
 * --report FILE`), and its check (`mailsim lab --verify FILE`).
 *
 * A card holds what the report says: the exercise, the student, the date,
 * each check's result with its masked text, the score, and the graded
 * mailboxes.  Written as text or JSON, it ends with a digest: SHA-256 of
 * the card's canonical form followed by a summary of what the store holds
 * in those mailboxes (each message's own digest, Message-ID: and Received:
 * lines).
 * A plain digest shows a naive edit, nothing more: anyone who knows the
 * algorithm can compute it again (README, "Handing in").
 */
#ifndef MAILSIM_LAB_CARD_H
#define MAILSIM_LAB_CARD_H

#include <stdbool.h>
#include <stddef.h>

#include "sha256.h"
#include "store.h"

struct lab_card {
	char *exercise, *title, *student, *date, *store, *score;
	char **result;  /* per check: "passed" or "FAILED" */
	char **check;   /* per check: its masked text */
	size_t nchecks;
	char **mailbox; /* "ADDRESS FOLDER", each graded mailbox once */
	size_t nmailboxes;
	char digest[8 + SHA256_HEX]; /* "sha256:" and hex; "" until sealed */
};

void lab_card_init(struct lab_card *c);
void lab_card_free(struct lab_card *c);
void lab_card_add_check(struct lab_card *c, const char *result, const char *masked);
/* A mailbox the checks look at; added once however often it is given. */
void lab_card_add_mailbox(struct lab_card *c, const char *address, const char *folder);
/* The date now, ISO 8601 UTC ("2025-03-01T14:05:09Z"), into out. */
void lab_card_now(char *out, size_t len);

/* The digest of the card and of what st holds for its mailboxes, into
 * out; 0, or -1 with the reason in err. */
int lab_card_digest(const struct lab_card *c, struct store *st, char *out, size_t outlen,
		    char *err, size_t errlen);
/* Write the sealed card to path: JSON if it ends in ".json", else text.
 * 0, or -1 with the reason in err. */
int lab_card_write(const struct lab_card *c, const char *path, char *err, size_t errlen);
/* Read a card written by lab_card_write (either form); 0, or -1 with the
 * reason in err. */
int lab_card_read(struct lab_card *c, const char *path, char *err, size_t errlen);

#endif
