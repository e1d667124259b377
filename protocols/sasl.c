/*
 * sasl.c - cutting an AUTH PLAIN answer into its parts (RFC 4616 2); see
 * sasl.h.
 */
#include "sasl.h"

#include <string.h>

bool sasl_plain_split(const struct buf *dec, struct sasl_plain *plain)
{
	const char *user = NULL, *password = NULL;
	size_t nuls = 0;
	for (size_t i = 0; i < dec->len; i++) {
		if (dec->p[i] != '\0')
			continue;
		if (++nuls == 1)
			user = dec->p + i + 1;
		else if (nuls == 2)
			password = dec->p + i + 1;
	}
	if (nuls != 2)
		return false;
	*plain = (struct sasl_plain){.authzid = dec->p, .user = user, .password = password};
	return true;
}

bool sasl_plain_acts_as_other(const struct sasl_plain *plain)
{
	return plain->authzid[0] != '\0' && strcmp(plain->authzid, plain->user) != 0;
}
