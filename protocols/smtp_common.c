/*
 * smtp_common.c - what the SMTP server and client engines share.
 */
#include "smtp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Fill a reply the way a host hands it to the engine:
 *   smtp_reply_set(r, 550, "5.1.1", note, "<%s>: recipient rejected", rcpt);
 * enh may be NULL or "" for a reply without an enhanced status code; the text
 * is cut to fit struct smtp_reply (a reply line is at most 512 octets,
 * RFC 5321 4.5.3.1.5).
 */
void smtp_reply_set(struct smtp_reply *r, int code, const char *enh,
		    const char *note, const char *fmt, ...)
{
	r->code = code;
	snprintf(r->enh, sizeof r->enh, "%s", enh ? enh : "");
	r->note = note;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof r->text, fmt, ap);
	va_end(ap);
}
