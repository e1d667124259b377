/*
 * imap_bench.c - make bench: IMAP on a mailbox of 100,000 messages.
 *
 * Builds a world with one user, fills the INBOX straight through the store
 * (in an SQLite file, so the bodies live on disk, not in memory), then plays
 * a raw IMAP session through the real server and measures, in wall-clock
 * time, how long the server takes for each command: from the moment the
 * command reaches it to its tagged answer.  Prints the times and the
 * process's peak memory.  Speed goals live here, never in the tests.
 *
 *   imap_bench [MESSAGES] [DBFILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"
#include "store.h"
#include "world.h"

static double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench_timer {
	double sent;          /* wall time the command was traced */
	char tag[16];
	char command[64];
	long lines;           /* response lines seen */
};

static void bench_sink(void *ctx, const struct trace_rec *r)
{
	struct bench_timer *t = ctx;
	if (r->event || r->proto != PROTO_IMAP)
		return;
	if (r->dir == DIR_C2S) {
		t->sent = bench_now();
		snprintf(t->command, sizeof t->command, "%.*s", (int)(r->text_len < 60 ? r->text_len : 60),
			 r->text);
		sscanf(t->command, "%15s", t->tag);
		t->lines = 0;
		return;
	}
	t->lines++;
	size_t n = strlen(t->tag);
	if (n && r->text_len > n && strncmp(r->text, t->tag, n) == 0 && r->text[n] == ' ')
		printf("  %-44s %8.1f ms  (%ld response lines)\n", t->command,
		       (bench_now() - t->sent) * 1000.0, t->lines);
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 100000;
	const char *db = argc > 2 ? argv[2] : "/tmp/mailsim-imap-bench.db";
	unlink(db);
	static const char text[] =
		"domain gmail.com server mx.gmail.com\n"
		"user bob@gmail.com password bob123\n"
		"device bob-laptop owner bob@gmail.com\n"
		"session bob-laptop mx.gmail.com imap\n"
		"> a1 LOGIN bob@gmail.com bob123\n"
		"> a2 SELECT INBOX\n"
		"> a3 UID FETCH 1:* (FLAGS)\n"
		"> a4 SEARCH UNSEEN\n"
		"> a5 STORE 1:* +FLAGS.SILENT (\\Seen)\n"
		"> a6 SEARCH UNSEEN\n"
		"> a7 FETCH 50000 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\n"
		"> a8 LOGOUT\n"
		"end\n";
	struct scenario *scn;
	if (scn_parse_string("imap-bench.scn", text, sizeof text - 1, &scn, stderr) != 0)
		return 2;
	char err[256];
	struct store *st;
	if (store_open(&st, db, err, sizeof err) != 0) {
		fprintf(stderr, "imap_bench: %s\n", err);
		return 3;
	}
	struct world w;
	if (world_init(&w, scn, st, err, sizeof err) != 0) {
		fprintf(stderr, "imap_bench: %s\n", err);
		return 3;
	}

	/* fill the INBOX: every message a small, real RFC 5322 message */
	double t0 = bench_now();
	struct store_account acct;
	int64_t inbox;
	if (store_account_find(st, "bob@gmail.com", &acct) != STORE_OK ||
	    store_folder_find(st, acct.id, "INBOX", &inbox) != STORE_OK ||
	    store_begin(st) != STORE_OK) {
		fprintf(stderr, "imap_bench: %s\n", store_error(st));
		return 3;
	}
	char msg[512];
	for (long i = 1; i <= count; i++) {
		int len = snprintf(msg, sizeof msg,
				   "From: Alice <alice@uea.edu.br>\r\nTo: bob@gmail.com\r\n"
				   "Subject: message %ld\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
				   "\r\nBody of message %ld.\r\n",
				   i, i);
		struct store_summary sum = { .from = "Alice <alice@uea.edu.br>",
					     .subject = msg + 50 };
		uint32_t uid;
		if (store_message_add(st, inbox, msg, (size_t)len, WORLD_EPOCH_UNIX,
				      i % 3 ? STORE_FLAG_SEEN : 0, &sum, &uid) != STORE_OK) {
			fprintf(stderr, "imap_bench: %s\n", store_error(st));
			return 3;
		}
	}
	if (store_commit(st) != STORE_OK) {
		fprintf(stderr, "imap_bench: %s\n", store_error(st));
		return 3;
	}
	printf("imap: a mailbox of %ld messages (one in three unseen), stored in %.2f s\n", count,
	       bench_now() - t0);

	struct bench_timer timer = { 0 };
	trace_add_sink(&w.trace, bench_sink, &timer);
	world_run(&w);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("  peak memory %ld KiB (the bodies stay in the database file: SQLite holds %lld KiB)\n",
	       ru.ru_maxrss, (long long)(store_memory_used() / 1024));
	world_free(&w);
	store_close(st);
	scn_free(scn);
	unlink(db);
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", db);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", db);
	unlink(wal);
	return 0;
}
