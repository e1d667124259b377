/*
 * fuzz_mime.c - MIME decoding (protocols/mime.c) fed arbitrary bytes.
 *
 * Reading guide.  The input is one message (or one encoded text): it goes
 * through every decoder - base64, quoted-printable, RFC 2047 encoded
 * words, header look-up and unfolding, the body offset, addr-spec and
 * domain extraction.  The first line names the header to look up.  One
 * property is checked on top of "no crash": base64 decodes what it
 * encoded.  No chunking: these functions take a whole buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so that reading past the end is caught */
	char *in = xmalloc(size ? size : 1);
	memcpy(in, data, size);
	struct buf out;
	buf_init(&out);

	mime_base64_decode(&out, in, size);
	buf_clear(&out);
	mime_qp_decode(&out, in, size);
	buf_clear(&out);
	mime_decode_header_value(&out, in, size);
	buf_clear(&out);
	(void)mime_is_7bit(in, size);
	(void)mime_body_offset(in, size);

	/* the first line, as a C string: a header name, a mailbox */
	size_t eol = 0;
	while (eol < size && eol < 200 && in[eol] != '\n' && in[eol] != '\0')
		eol++;
	char *line = xstrndup(in, eol);
	if (mime_header_get(in, size, line, &out)) {
		struct buf dec;
		buf_init(&dec);
		mime_decode_header_value(&dec, out.p, out.len);
		buf_free(&dec);
	}
	buf_clear(&out);
	(void)mime_header_get(in, size, "Content-Type", &out);
	buf_clear(&out);
	(void)mime_addr_spec(line, &out);
	(void)mime_addr_domain(line);
	buf_clear(&out);
	mime_encode_header_value(&out, line, eol % 20);
	free(line);

	/* base64 round trip */
	struct buf enc, back;
	buf_init(&enc);
	buf_init(&back);
	mime_base64_encode(&enc, in, size);
	if (mime_base64_decode(&back, enc.p ? enc.p : "", enc.len) != 0 || back.len != size ||
	    (size && memcmp(back.p, in, size) != 0))
		abort();
	buf_free(&enc);
	buf_free(&back);

	buf_free(&out);
	free(in);
	return 0;
}
