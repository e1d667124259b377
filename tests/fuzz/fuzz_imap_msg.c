/*
 * fuzz_imap_msg.c - the message helpers of IMAP (protocols/imap_msg.c):
 * ENVELOPE, BODYSTRUCTURE and BODY, BODY[section], SEARCH's text
 * matching and the date parsers, fed arbitrary bytes.
 *
 * Reading guide.  The input is three parts:
 *
 *   line 1   a section spec, as inside BODY[...] ("1.2.MIME", "HEADER.FIELDS (TO)")
 *   line 2   a search: a field name, a space, the needle ("Subject hello")
 *   rest     the message
 *
 * The message is copied into a buffer of its exact size so that any read
 * past its end is caught by AddressSanitizer.  The section and field
 * lines double as date strings for the date parsers.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "imap_msg.h"

/* Cut the next line (up to LF, CR dropped) off *p as a C string. */
static char *take_line(const uint8_t **p, size_t *n)
{
	size_t i = 0;
	while (i < *n && (*p)[i] != '\n')
		i++;
	size_t len = i;
	if (len > 0 && (*p)[len - 1] == '\r')
		len--;
	char *s = xstrndup((const char *)*p, len);
	if (i < *n)
		i++;
	*p += i;
	*n -= i;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t n = size;
	char *section = take_line(&p, &n);
	char *search = take_line(&p, &n);
	char *msg = xmalloc(n ? n : 1);
	memcpy(msg, p, n);

	struct buf out;
	buf_init(&out);
	imap_msg_envelope(&out, msg, n);
	buf_clear(&out);
	imap_msg_bodystructure(&out, msg, n, true);
	buf_clear(&out);
	imap_msg_bodystructure(&out, msg, n, false);
	buf_clear(&out);
	(void)imap_msg_section(&out, msg, n, section);
	buf_clear(&out);

	char *needle = strchr(search, ' ');
	if (needle)
		*needle++ = '\0';
	else
		needle = search + strlen(search);
	(void)imap_msg_search(msg, n, search, needle);
	(void)imap_msg_search(msg, n, "TEXT", needle);
	(void)imap_msg_search(msg, n, "BODY", needle);
	(void)imap_msg_date(msg, n);

	(void)imap_parse_date(section);
	int64_t t = imap_parse_datetime(section);
	if (t >= 0)
		imap_format_datetime(&out, t);
	(void)imap_parse_date(needle);

	buf_free(&out);
	free(msg);
	free(search);
	free(section);
	return 0;
}
