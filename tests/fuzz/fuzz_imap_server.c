/*
 * fuzz_imap_server.c - the IMAP server engine (protocols/imap_server.c)
 * fed hostile clients' bytes in random chunks: one session, or two
 * sessions interleaved on the same folders.
 *
 * Reading guide.  The host is the unit tests' in-memory fake
 * (../fake_imap.h): bob/secret (or bob@gmail.com/bob123, as in the
 * lessons) owns INBOX (four messages: a plain one, a multipart one, one
 * with a keyword, one that carries a message/rfc822 part), Sent, Trash,
 * Work and Work/2024.  Every change moves a version number, so the
 * engines resynchronise as they would against the real store.
 *
 * Control bits (fuzz.h): bit 0 opens a second session on the same store;
 * each chunk then goes to one session or the other (the generator
 * chooses), and the other is poked as the real host pokes every session
 * that has the changed folder selected.  That is how one session's
 * EXPUNGE meets the other's UID commands.  With bit 2 as well, the
 * sessions take turns instead: the stream is cut at each byte 0x01 (not
 * fed), the first piece going to session 1, the next to session 2...;
 * that makes a two-session input easy to write by hand.  Bit 1 starts at
 * the greeting; otherwise both sessions are logged in with INBOX selected
 * before the input begins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fake_imap.h"
#include "fuzz.h"
#include "imap.h"

#define MSG_HELLO                                                                    \
	"From: Alice <alice@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Subject: Hello\r\n"                                                         \
	"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"                                   \
	"Message-ID: <1@example.org>\r\n"                                            \
	"\r\n"                                                                       \
	"Hi Bob, see you at noon.\r\n"

#define MSG_MULTI                                                                    \
	"From: Carol <carol@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Cc: dave@example.org\r\n"                                                   \
	"Subject: Report\r\n"                                                        \
	"Date: Tue, 8 Feb 1994 10:00:00 +0000\r\n"                                   \
	"MIME-Version: 1.0\r\n"                                                      \
	"Content-Type: multipart/mixed; boundary=\"xyz\"\r\n"                        \
	"\r\n"                                                                       \
	"--xyz\r\n"                                                                  \
	"Content-Type: text/plain; charset=us-ascii\r\n"                             \
	"\r\n"                                                                       \
	"The report is attached.\r\n"                                                \
	"--xyz\r\n"                                                                  \
	"Content-Type: text/csv\r\n"                                                 \
	"Content-Transfer-Encoding: base64\r\n"                                      \
	"\r\n"                                                                       \
	"YSxiCjEsMgo=\r\n"                                                           \
	"--xyz--\r\n"

#define MSG_LUNCH                                                                    \
	"From: Carol <carol@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Subject: =?UTF-8?Q?Almo=C3=A7o?= tomorrow\r\n"                              \
	"Date: Wed, 9 Feb 1994 12:00:00 +0000\r\n"                                   \
	"\r\n"                                                                       \
	"Pizza?\r\n"

#define MSG_FORWARD                                                                  \
	"From: Dave <dave@example.org>\r\n"                                          \
	"To: bob@example.org\r\n"                                                    \
	"Subject: Fwd: Hello\r\n"                                                    \
	"MIME-Version: 1.0\r\n"                                                      \
	"Content-Type: multipart/mixed; boundary=b1\r\n"                             \
	"\r\n"                                                                       \
	"--b1\r\n"                                                                   \
	"\r\n"                                                                       \
	"See below.\r\n"                                                             \
	"--b1\r\n"                                                                   \
	"Content-Type: message/rfc822\r\n"                                           \
	"\r\n" MSG_HELLO "--b1--\r\n"

/* ------------------------------------------------------------ the host (../fake_imap.h) */

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof *f);
	struct fake_folder *inbox = fake_add_folder(f, "INBOX", "", 1000);
	fake_add_folder(f, "Sent", "\\Sent", 1001);
	fake_add_folder(f, "Trash", "\\Trash", 1002);
	fake_add_folder(f, "Work", "", 1003);
	fake_add_folder(f, "Work/2024", "", 1004)->subscribed = false;
	fake_add_msg(f, inbox, MSG_HELLO, strlen(MSG_HELLO), IMAP_FLAG_SEEN, "", DAY_1994_02_09);
	fake_add_msg(f, inbox, MSG_MULTI, strlen(MSG_MULTI), IMAP_FLAG_FLAGGED, "",
		     DAY_1994_02_09 + DAY_SECONDS);
	fake_add_msg(f, inbox, MSG_LUNCH, strlen(MSG_LUNCH), IMAP_FLAG_RECENT, "$Label1",
		     DAY_1994_02_09 + 2 * DAY_SECONDS);
	fake_add_msg(f, inbox, MSG_FORWARD, strlen(MSG_FORWARD), 0, "", DAY_1994_02_09 + 3 * DAY_SECONDS);
}


/* ------------------------------------------------------------ sessions */

static void feed(struct imap_server *s, const char *p, size_t len, struct wire *out)
{
	/* an exact-size copy, so that reading past the chunk is caught */
	char *chunk = xmalloc(len ? len : 1);
	memcpy(chunk, p, len);
	wire_clear(out);
	size_t used = imap_server_feed(s, chunk, len, out);
	if (used > len)
		abort();
	(void)imap_server_state_name(s);
	(void)imap_server_selected(s);
	(void)imap_server_user(s);
	free(chunk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imap_server_config cfg = {.hostname = "mail.example.org"};
	static const char setup[] = "l LOGIN bob secret\r\ns SELECT INBOX\r\n";
	struct fz z;
	fz_init(&z, data, size);
	struct fake f;
	fake_init(&f);
	size_t nsessions = (z.flags & 1) ? 2 : 1;
	struct imap_server *s[2] = {NULL, NULL};
	struct wire out;
	wire_init(&out);
	for (size_t i = 0; i < nsessions; i++) {
		s[i] = imap_server_new(&cfg, &fake_ops, &f);
		imap_server_start(s[i], &out);
		if (!(z.flags & 2))
			feed(s[i], setup, sizeof setup - 1, &out);
	}

	const char *p;
	size_t len;
	bool turns = nsessions == 2 && (z.flags & 4);
	size_t turn = 0;
	while ((len = fz_chunk(&z, &p)) > 0) {
		size_t who = nsessions == 2 ? (fz_rand(&z) >> 7) & 1 : 0;
		if (turns) {
			const char *sep = memchr(p, 0x01, len);
			if (sep) { /* feed up to the separator, then switch */
				size_t rest = len - (size_t)(sep - p) - 1;
				len = (size_t)(sep - p);
				z.p -= rest;
				z.n += rest;
			}
			who = turn;
			if (sep)
				turn = 1 - turn;
			if (len == 0)
				continue;
		}
		if (imap_server_closed(s[who]))
			who = 1 - who;
		if (who >= nsessions || imap_server_closed(s[who]))
			break;
		feed(s[who], p, len, &out);
		/* the host tells the other session its folder may have changed */
		if (nsessions == 2 && !imap_server_closed(s[1 - who])) {
			wire_clear(&out);
			imap_server_poke(s[1 - who], &out);
		}
	}
	for (size_t i = 0; i < nsessions; i++)
		imap_server_free(s[i]);
	wire_free(&out);
	fake_free(&f);
	return 0;
}
