/*
 * main.c - the mailsim command line.
 *
 *   mailsim run [--json] [--db FILE] [--seed N] FILE
 *   mailsim validate FILE...
 *
 * Exit status: 0 every check passed; 1 a check failed; 2 the command line
 * or the scenario file is wrong (nothing was played); 3 the run itself
 * failed (the store could not be opened, say).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "store.h"
#include "view.h"
#include "world.h"

#define MAILSIM_VERSION "0.1.0"

enum {
	EXIT_CHECKS_PASSED = 0,
	EXIT_CHECK_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_RUNTIME = 3,
};

static void usage(FILE *out)
{
	fputs("usage: mailsim COMMAND [OPTIONS] [FILE]\n"
	      "\n"
	      "A teaching mail-system simulator: user agents, mail servers and mailboxes\n"
	      "exchanging real SMTP over simulated links.\n"
	      "\n"
	      "commands:\n"
	      "  run FILE        play a scenario headless and print every step\n"
	      "  validate FILE   check scenario files without playing them\n"
	      "  help            this text\n"
	      "  version         the version\n"
	      "\n"
	      "options of run:\n"
	      "  --json          JSON Lines instead of the transcript\n"
	      "  --db FILE       keep the store in an SQLite file (default: in memory)\n"
	      "  --seed N        override the scenario's seed\n"
	      "  -q, --quiet     print only the checks\n"
	      "  -h, --help      this text\n"
	      "\n"
	      "exit status: 0 all checks passed, 1 a check failed, 2 bad command line or\n"
	      "scenario file (errors as FILE:LINE:COL: error: MESSAGE), 3 the run failed.\n"
	      "\n"
	      "example:\n"
	      "  mailsim run scenarios/wrong-address.scn\n",
	      out);
}

/* The widest host name, so that the transcript's columns line up. */
static int host_width(const struct scenario *s)
{
	size_t w = 3; /* "dns" */
	for (size_t i = 0; i < s->ndomains; i++)
		if (strlen(s->domains[i].server) > w)
			w = strlen(s->domains[i].server);
	for (size_t i = 0; i < s->ndevices; i++)
		if (strlen(s->devices[i].name) > w)
			w = strlen(s->devices[i].name);
	return (int)(w > 40 ? 40 : w);
}

struct run_quiet {
	FILE *out;
};

/* --quiet: only the check results */
static void run_quiet_sink(void *ctx, const struct trace_rec *r)
{
	struct run_quiet *q = ctx;
	if (r->event && strncmp(r->event, "check-", 6) == 0)
		fprintf(q->out, "%.*s\n", (int)r->text_len, r->text);
}

/* --quiet --json: only the check records, as JSON */
static void run_json_checks_sink(void *ctx, const struct trace_rec *r)
{
	if (r->event && strncmp(r->event, "check-", 6) == 0)
		view_json_sink(ctx, r);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "db", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, quiet = false, stats = false;
	const char *db = NULL;
	const char *seed = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'd':
			db = optarg;
			break;
		case 's':
			seed = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'S':
			stats = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs("mailsim: try 'mailsim run --help'\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs("mailsim run: expected one scenario FILE (try 'mailsim run --help')\n", stderr);
		return EXIT_USAGE;
	}
	struct scenario *scn;
	if (scn_parse_file(argv[optind], &scn, stderr) != 0)
		return EXIT_USAGE;
	if (seed) {
		char *end;
		unsigned long long v = strtoull(seed, &end, 10);
		if (!*seed || *end) {
			fprintf(stderr, "mailsim run: --seed wants a number, not '%s'\n", seed);
			scn_free(scn);
			return EXIT_USAGE;
		}
		scn->seed = v;
	}

	char err[512];
	struct store *st;
	if (store_open(&st, db, err, sizeof err) != 0) {
		fprintf(stderr, "mailsim: %s\n", err);
		scn_free(scn);
		return EXIT_RUNTIME;
	}
	struct world w;
	if (world_init(&w, scn, st, err, sizeof err) != 0) {
		fprintf(stderr, "mailsim: %s\n", err);
		world_free(&w);
		store_close(st);
		scn_free(scn);
		return EXIT_RUNTIME;
	}

	/* Full buffering: a transcript of 10,000 messages is many lines. */
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	struct view_text text;
	struct view_json js;
	struct run_quiet q = { stdout };
	view_text_init(&text, stdout, host_width(scn));
	view_json_init(&js, stdout);
	if (quiet && !json)
		trace_add_sink(&w.trace, run_quiet_sink, &q);
	else if (quiet)
		trace_add_sink(&w.trace, run_json_checks_sink, &js);
	else if (json)
		trace_add_sink(&w.trace, view_json_sink, &js);
	else
		trace_add_sink(&w.trace, view_text_sink, &text);

	if (!json && !quiet) {
		if (scn->title)
			printf("# %s\n", scn->title);
		for (size_t i = 0; i < scn->nabout; i++)
			printf("# %s\n", scn->about[i]);
		if (scn->title || scn->nabout)
			printf("\n");
	}
	world_run(&w);
	world_check(&w);
	if (json)
		view_json_summary(&js, w.checks_passed, w.checks_failed);
	else
		view_text_summary(&text, w.checks_passed, w.checks_failed);
	fflush(stdout);
	if (stats)
		fprintf(stderr,
			"stats: %llu trace records, %llu events, %zu connections at most at once, "
			"simulated time %.3fs, SQLite holds %lld KiB\n",
			(unsigned long long)w.trace.count, (unsigned long long)w.loop.ran,
			w.peak_conns, (double)w.loop.now_us / 1e6,
			(long long)(store_memory_used() / 1024));

	int status = w.checks_failed ? EXIT_CHECK_FAILED : EXIT_CHECKS_PASSED;
	world_free(&w);
	view_text_free(&text);
	view_json_free(&js);
	store_close(st);
	scn_free(scn);
	if (ferror(stdout)) {
		fputs("mailsim: error writing the output\n", stderr);
		return EXIT_RUNTIME;
	}
	return status;
}

static int cmd_validate(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs("usage: mailsim validate FILE...\n"
		      "Parse each scenario and report every error as FILE:LINE:COL: error: MESSAGE.\n"
		      "Exit status 0 if every file is valid, 2 otherwise.\n",
		      argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		struct scenario *scn;
		if (scn_parse_file(argv[i], &scn, stderr) != 0) {
			status = EXIT_USAGE;
			continue;
		}
		printf("%s: ok: %zu actions, %zu checks\n", argv[i], scn->nactions, scn->nchecks);
		scn_free(scn);
	}
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "validate") == 0)
		return cmd_validate(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("mailsim %s\n", MAILSIM_VERSION);
		return 0;
	}
	fprintf(stderr, "mailsim: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
