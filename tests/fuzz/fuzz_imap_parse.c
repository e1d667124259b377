/*
 * fuzz_imap_parse.c - the IMAP framer and command parser
 * (protocols/imap_parse.c) fed arbitrary bytes in random chunks.
 *
 * Reading guide.  The bytes after the control pair (see fuzz.h) are a
 * client's stream: the framer cuts it into commands, each whole command
 * is parsed into its argument tree, every argument is looked at through
 * the helpers the server uses (imap_arg_str, imap_arg_number, sequence
 * sets), and each command's text is written back with imap_write_string.
 * Control bits: bit 0 lowers the literal limit to 100 octets, so the
 * TOO_BIG paths are reached with small inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "imap_parse.h"

static void look_at(const struct imap_arg *a, size_t n, struct buf *out, int depth)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = imap_arg_str(&a[i]);
		uint32_t v;
		(void)imap_arg_number(&a[i], &v);
		(void)imap_arg_is(&a[i], "NIL");
		if (a[i].type == IMAP_ARG_LIST) {
			look_at(a[i].list, a[i].nlist, out, depth + 1);
			continue;
		}
		if (!s)
			continue;
		(void)imap_is_atom(s, strlen(s));
		(void)imap_is_flag(s, strlen(s));
		imap_write_string(out, s, strlen(s));
		struct imap_seqset set;
		if (imap_seqset_parse(s, &set)) {
			(void)imap_seqset_contains(&set, 1, 5);
			(void)imap_seqset_contains(&set, 4294967295u, 4294967295u);
			(void)imap_seqset_contains(&set, 7, 0);
			imap_seqset_free(&set);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	fz_init(&z, data, size);
	struct imap_framer f;
	imap_framer_init(&f);
	if (z.flags & 1)
		f.literal_limit = 100;
	struct buf out;
	buf_init(&out);

	const char *p;
	size_t len;
	while ((len = fz_chunk(&z, &p)) > 0) {
		/* an exact-size copy of the chunk, so over-reads are caught */
		char *chunk = xmalloc(len);
		memcpy(chunk, p, len);
		size_t off = 0;
		for (;;) {
			enum imap_frame what;
			size_t used = imap_framer_feed(&f, chunk + off, len - off, &what);
			off += used;
			if (what == IMAP_FRAME_COMMAND) {
				struct imap_cmd cmd;
				char err[200];
				if (imap_parse_command(f.cmd.p, f.cmd.len, &cmd, err, sizeof err) == 0)
					look_at(cmd.args, cmd.nargs, &out, 0);
				imap_cmd_free(&cmd);
				imap_cmd_free(&cmd); /* twice is harmless, says imap_parse.h */
				imap_framer_next(&f);
				buf_clear(&out);
				continue;
			}
			if (what == IMAP_FRAME_MORE && used == 0)
				break;
			if (off == len && what == IMAP_FRAME_MORE)
				break;
		}
		free(chunk);
	}
	/* the parser on the raw bytes too, as one "command" */
	if (z.n == 0 && size > 2) {
		char *raw = xmalloc(size - 2);
		memcpy(raw, data + 2, size - 2);
		struct imap_cmd cmd;
		char err[200];
		if (imap_parse_command(raw, size - 2, &cmd, err, sizeof err) == 0)
			look_at(cmd.args, cmd.nargs, &out, 0);
		imap_cmd_free(&cmd);
		free(raw);
	}
	buf_free(&out);
	imap_framer_free(&f);
	return 0;
}
