/*
 * main.c - the mailsim command line.
 *
 *   mailsim run [--json] [--db FILE] [--seed N] FILE
 *   mailsim validate FILE...
 *   mailsim play [--mono] [--quiz] [--step N] [--no-anim] FILE
 *   mailsim            (on a terminal: the lesson menu)
 *
 * Exit status: 0 every check passed; 1 a check failed; 2 the command line
 * or the scenario file is wrong (nothing was played); 3 the run itself
 * failed (the store could not be opened, say).
 *
 * Read: the table of commands (`commands`, at the end: a command is a
 * row, its word, its handler and its line of --help), then each handler.
 * serve, inspect and lab live in files of their own; what the commands
 * share is in cli.c.
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "html.h"
#include "i18n.h"
#include "inspect.h"
#include "lab.h"
#include "pcap.h"
#include "playback.h"
#include "player.h"
#include "scenario.h"
#include "serve.h"
#include "store.h"
#include "view.h"
#include "world.h"

#define MAILSIM_VERSION "0.1.0"

enum {
	EXIT_CHECKS_PASSED = 0,
	EXIT_CHECK_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_RUNTIME = CLI_EXIT_RUNTIME,
};

static void usage(FILE *out);

/* A whole decimal number (strtoull) for --seed and --step. */
static bool whole_number(const char *arg, unsigned long long *out)
{
	char *end;
	unsigned long long v = strtoull(arg, &end, 10);
	if (!*arg || *end)
		return false;
	*out = v;
	return true;
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

/* Parse a scenario (with --seed applied), open its store and build its
 * world: what `run` and `play` both begin with.  0, or the exit status
 * after saying what went wrong. */
static int open_world(const char *cmd, const char *path, const char *seed, const char *db,
		      struct scenario **scn, struct store **st, struct world *w)
{
	assert(cmd && path && scn && st && w);
	if (scn_parse_file(path, scn, stderr) != 0)
		return EXIT_USAGE;
	if (seed) {
		unsigned long long v;
		if (!whole_number(seed, &v)) {
			fprintf(stderr, _("mailsim %s: --seed wants a number, not '%s'\n"), cmd, seed);
			scn_free(*scn);
			return EXIT_USAGE;
		}
		(*scn)->seed = v;
	}
	int rc = cli_world_open("mailsim", *scn, db, st, w);
	if (rc != 0)
		scn_free(*scn);
	return rc;
}

/* The files of the handout (--html, --svg), NULL when not asked for. */
struct handout_files {
	const char *html, *svg;
};

/* Write the handout of a recorded run as of `upto` steps (SIZE_MAX: all);
 * 0, or -1 after saying on stderr which file could not be written. */
static int write_handout(struct playback *pb, const struct scenario *scn, size_t upto,
			 const struct handout_files *hf)
{
	struct html_doc doc = {
		.title = scn->title ? scn->title : scn->file,
		.about = (const char *const *)scn->about,
		.nabout = scn->nabout,
		.seed = scn->seed,
		.upto = upto,
	};
	const char *path[2] = { hf->html, hf->svg };
	for (int k = 0; k < 2; k++)
		if (path[k] && html_write_file(pb, &doc, path[k], k == 1) != 0) {
			fprintf(stderr, _("mailsim: cannot write %s: %s\n"), path[k], strerror(errno));
			return -1;
		}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "db", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, 'S' },
		{ "pcap", required_argument, NULL, 'P' },
		{ "html", required_argument, NULL, 'H' },
		{ "svg", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, quiet = false, stats = false;
	const char *db = NULL, *pcap_path = NULL;
	struct handout_files hf = { NULL, NULL };
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
		case 'P':
			pcap_path = optarg;
			break;
		case 'H':
			hf.html = optarg;
			break;
		case 'G':
			hf.svg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs(_("mailsim: try 'mailsim run --help'\n"), stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(_("mailsim run: expected one scenario FILE (try 'mailsim run --help')\n"), stderr);
		return EXIT_USAGE;
	}
	struct scenario *scn;
	struct store *st;
	struct world w;
	int rc = open_world("run", argv[optind], seed, db, &scn, &st, &w);
	if (rc != 0)
		return rc;
	struct pcap_file cap;
	if (pcap_path && pcap_file_open(&cap, "mailsim run", pcap_path, &w, false) != 0) {
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
	/* the handout reads the run back from a recording */
	struct playback *pb = hf.html || hf.svg ? cli_playback_record(&w, false) : NULL;

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
	if (pcap_path && pcap_file_close(&cap, "mailsim run") != 0)
		rc = EXIT_RUNTIME;
	if (json)
		view_json_summary(&js, w.checks_passed, w.checks_failed);
	else
		view_text_summary(&text, w.checks_passed, w.checks_failed);
	fflush(stdout);
	if (pb && write_handout(pb, scn, SIZE_MAX, &hf) != 0)
		rc = EXIT_RUNTIME;
	pb_free(pb);
	if (stats)
		fprintf(stderr,
			_("stats: %llu trace records, %llu events, %zu connections at most at once, "
			  "simulated time %.3fs, SQLite holds %lld KiB\n"),
			(unsigned long long)w.trace.count, (unsigned long long)w.loop.ran,
			w.peak_conns, (double)w.loop.now_us / 1e6,
			(long long)(store_memory_used() / 1024));

	int status = rc ? rc : w.checks_failed ? EXIT_CHECK_FAILED : EXIT_CHECKS_PASSED;
	world_free(&w);
	view_text_free(&text);
	view_json_free(&js);
	store_close(st);
	scn_free(scn);
	if (ferror(stdout)) {
		fputs(_("mailsim: error writing the output\n"), stderr);
		return EXIT_RUNTIME;
	}
	return status;
}

static int cmd_validate(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(_("usage: mailsim validate FILE...\n"
			"Parse each scenario and report every error as FILE:LINE:COL: error: MESSAGE.\n"
			"Exit status 0 if every file is valid, 2 otherwise.\n"),
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
		char na[48], nc[48];
		snprintf(na, sizeof na, P_("%zu action", "%zu actions", scn->nactions), scn->nactions);
		snprintf(nc, sizeof nc, P_("%zu check", "%zu checks", scn->nchecks), scn->nchecks);
		/* TRANSLATORS: a file name, "N actions", "N checks" */
		printf(_("%s: ok: %s, %s\n"), argv[i], na, nc);
		scn_free(scn);
	}
	return status;
}


/* Run the whole scenario with the playback recording, then play it on the
 * terminal.  The world is freed before the player starts: the playback
 * keeps its own copy of everything it shows. */
static int play_file(const char *path, const char *seed, struct player_opts *po,
		     enum player_exit *how)
{
	assert(path && po && how);
	struct scenario *scn;
	struct store *st;
	struct world w;
	int rc = open_world("play", path, seed, NULL, &scn, &st, &w);
	if (rc != 0)
		return rc;
	struct playback *pb = cli_playback_record(&w, false);
	world_run(&w);
	world_check(&w);
	int status = w.checks_failed ? EXIT_CHECK_FAILED : EXIT_CHECKS_PASSED;
	char title[256];
	snprintf(title, sizeof title, "%s", scn->title ? scn->title : path);
	world_free(&w);
	store_close(st);

	/* w in the player: the handout of the step it is at (scn lives on for it) */
	struct html_doc doc = {
		.title = title,
		.about = (const char *const *)scn->about,
		.nabout = scn->nabout,
		.seed = scn->seed,
	};
	po->title = title;
	po->handout = &doc;
	po->lesson_file = path;
	*how = player_run(pb, po);
	po->handout = NULL;
	pb_free(pb);
	scn_free(scn);
	return status;
}

static int cmd_play(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mono", no_argument, NULL, 'm' },
		{ "quiz", no_argument, NULL, 'Q' },
		{ "step", required_argument, NULL, 'n' },
		{ "paused", no_argument, NULL, 'P' },
		{ "speed", required_argument, NULL, 'v' },
		{ "no-anim", no_argument, NULL, 'A' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct player_opts po = {
		.mono = cli_no_color(),
		.anim = true,
		.autoplay = true,
		.start = SIZE_MAX,
		.speed = PLAYER_SPEED_1X,
	};
	const char *seed = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			po.mono = true;
			break;
		case 'Q':
			po.quiz = true;
			break;
		case 'n': {
			unsigned long long v;
			if (!whole_number(optarg, &v)) {
				fprintf(stderr, _("mailsim play: --step wants a number, not '%s'\n"), optarg);
				return EXIT_USAGE;
			}
			po.start = v == 0 ? SIZE_MAX : (size_t)(v - 1);
			po.autoplay = false;
			break;
		}
		case 'P':
			po.autoplay = false;
			break;
		case 'v': {
			int k = player_speed_find(optarg);
			if (k < 0) {
				fprintf(stderr, _("mailsim play: --speed is one of 0.25 0.5 1 2 4 8 16\n"));
				return EXIT_USAGE;
			}
			po.speed = k;
			break;
		}
		case 'A':
			po.anim = false;
			break;
		case 's':
			seed = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs(_("mailsim: try 'mailsim help'\n"), stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs(_("mailsim play: expected one scenario FILE (try 'mailsim help')\n"), stderr);
		return EXIT_USAGE;
	}
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		fputs(_("mailsim play needs a terminal; use 'mailsim run FILE' for a transcript\n"), stderr);
		return EXIT_USAGE;
	}
	enum player_exit how;
	int status = play_file(argv[optind], seed, &po, &how);
	player_screen_close();
	return status;
}

/* `mailsim export`: the handout as of a step, for a teacher who paused in
 * class (the player's w key writes the same page). */
static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'H' },
		{ "svg", required_argument, NULL, 'G' },
		{ "step", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct handout_files hf = { NULL, NULL };
	const char *seed = NULL;
	size_t upto = SIZE_MAX;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			hf.html = optarg;
			break;
		case 'G':
			hf.svg = optarg;
			break;
		case 'n': {
			unsigned long long v;
			if (!whole_number(optarg, &v)) {
				fprintf(stderr, _("mailsim export: --step wants a number, not '%s'\n"),
					optarg);
				return EXIT_USAGE;
			}
			upto = v >= SIZE_MAX ? SIZE_MAX - 1 : (size_t)v; /* steps 1 .. N */
			break;
		}
		case 's':
			seed = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fputs(_("mailsim: try 'mailsim help'\n"), stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (!hf.html && !hf.svg)) {
		fputs(_("mailsim export: expected --html FILE or --svg FILE and one scenario FILE "
			"(try 'mailsim help')\n"),
		      stderr);
		return EXIT_USAGE;
	}
	struct scenario *scn;
	struct store *st;
	struct world w;
	int rc = open_world("export", argv[optind], seed, NULL, &scn, &st, &w);
	if (rc != 0)
		return rc;
	struct playback *pb = cli_playback_record(&w, false);
	world_run(&w);
	world_check(&w);
	int status = write_handout(pb, scn, upto, &hf) != 0 ? EXIT_RUNTIME : 0;
	pb_free(pb);
	world_free(&w);
	store_close(st);
	scn_free(scn);
	return status;
}

/* ---- the lesson menu */

/* The course's sequence: by `order`, those without one after, by file name. */
static int lesson_cmp(const void *a, const void *b)
{
	const struct player_lesson *x = a, *y = b;
	unsigned ox = x->order ? x->order : UINT_MAX, oy = y->order ? y->order : UINT_MAX;
	if (ox != oy)
		return ox < oy ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* The shipped lessons, as a course: those of the first folder of dirs
 * (cli_dirs_init: $MAILSIM_SCENARIOS, ./scenarios, beside the executable,
 * the installed share directory) that has any that parse, sorted by
 * lesson_cmp and numbered: the title "1. SMTP: Alice writes to Bob" (" 1."
 * when there are ten or more). */
static size_t find_lessons(const struct cli_dirs *dirs, struct player_lesson **out)
{
	struct player_lesson *l = NULL;
	size_t n = 0, cap = 0;
	for (size_t d = 0; d < dirs->n && n == 0; d++) {
		char **names;
		size_t nnames = cli_scn_files(dirs->dir[d], &names);
		FILE *devnull = nnames ? fopen("/dev/null", "w") : NULL;
		for (size_t k = 0; k < nnames; k++) {
			struct buf path;
			buf_init(&path);
			buf_printf(&path, "%s/%s", dirs->dir[d], names[k]);
			struct scenario *scn;
			if (scn_parse_file(path.p, &scn, devnull ? devnull : stderr) != 0) {
				buf_free(&path);
				continue;
			}
			struct buf about;
			buf_init(&about);
			for (size_t i = 0; i < scn->nabout; i++) {
				if (i)
					buf_adds(&about, "\n\n");
				buf_adds(&about, scn->about[i]);
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				l = xrealloc(l, cap * sizeof *l);
			}
			l[n].path = buf_steal(&path);
			l[n].title = xstrdup(scn->title ? scn->title : names[k]);
			l[n].about = buf_steal(&about);
			l[n].order = scn->order;
			n++;
			scn_free(scn);
		}
		if (devnull)
			fclose(devnull);
		for (size_t k = 0; k < nnames; k++)
			free(names[k]);
		free(names);
	}
	if (n)
		qsort(l, n, sizeof *l, lesson_cmp);
	int digits = n >= 100 ? 3 : n >= 10 ? 2 : 1; /* " 1." under "10." */
	for (size_t i = 0; i < n; i++) {
		struct buf t;
		buf_init(&t);
		buf_printf(&t, "%*zu. %s", digits, i + 1, l[i].title);
		free(l[i].title);
		l[i].title = buf_steal(&t);
	}
	*out = l;
	return n;
}

static int cmd_menu(void)
{
	struct player_lesson *l;
	struct cli_dirs dirs;
	cli_dirs_init(&dirs, "MAILSIM_SCENARIOS", "scenarios");
	size_t n = find_lessons(&dirs, &l);
	if (n == 0) {
		/* TRANSLATORS: the folders looked in follow */
		fputs(_("mailsim: no lessons found in "), stderr);
		cli_dirs_print(stderr, &dirs, ", ");
		fputs(_("\n(set MAILSIM_SCENARIOS to a folder of .scn files, or give one: "
			"'mailsim play FILE')\n"),
		      stderr);
		cli_dirs_free(&dirs);
		return EXIT_RUNTIME;
	}
	cli_dirs_free(&dirs);
	size_t sel = 0;
	for (size_t i = 0; i < n; i++)
		if (strstr(l[i].path, "/pop3-vs-imap.scn"))
			sel = i;
	bool mono = cli_no_color();
	int status = 0;
	for (;;) {
		int k = player_menu(l, n, &sel, mono);
		if (k < 0)
			break;
		struct player_opts po = {
			.mono = mono,
			.anim = true,
			.autoplay = true,
			.start = SIZE_MAX,
			.speed = PLAYER_SPEED_1X,
			.from_menu = true,
		};
		enum player_exit how = PLAYER_QUIT;
		player_screen_close(); /* while the lesson is simulated, a plain terminal */
		int st = play_file(l[k].path, NULL, &po, &how);
		if (st == EXIT_USAGE || st == EXIT_RUNTIME) {
			status = st;
			break;
		}
		if (how == PLAYER_QUIT)
			break;
	}
	player_screen_close();
	for (size_t i = 0; i < n; i++) {
		free(l[i].path);
		free(l[i].title);
		free(l[i].about);
	}
	free(l);
	return status;
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("mailsim %s\n", MAILSIM_VERSION);
	return 0;
}

/* The commands, in the order --help lists them: the word after `mailsim`,
 * the handler (given argv from that word on: argv[0] is "run"), the
 * command's line of --help, and other words for it.  The handler's return
 * is the exit status.  Adding a command is adding a row. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;           /* its arguments, as --help shows them */
	const char *summary;        /* the rest of its line of --help */
	const char *alias[2];       /* other words for it, or NULL */
} commands[] = {
	{ "play", cmd_play, "FILE", N_("play a scenario on the terminal (map, ladder, mailboxes)"),
	  { NULL } },
	{ "run", cmd_run, "FILE", N_("play a scenario headless and print every step"), { NULL } },
	{ "export", cmd_export, "FILE",
	  N_("the handout (HTML page, SVG diagram) as of a step: --step N"), { NULL } },
	{ "validate", cmd_validate, "FILE", N_("check scenario files without playing them"),
	  { NULL } },
	{ "serve", serve_main, "[FILE]",
	  N_("live: the servers on real sockets (loopback) for real clients"), { NULL } },
	{ "inspect", inspect_main, "", N_("what a --db file holds: mailboxes, devices, queues"),
	  { NULL } },
	{ "lab", lab_main, "[NAME]",
	  N_("the student lab: list the exercises, start one, --check it"), { NULL } },
	{ "help", cmd_help, "", N_("this text"), { "--help", "-h" } },
	{ "version", cmd_version, "", N_("the version"), { "--version" } },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The command called word (its name or another word for it), or NULL. */
static const struct command *command_find(const char *word)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];
		if (strcmp(word, c->name) == 0)
			return c;
		for (size_t k = 0; k < sizeof c->alias / sizeof c->alias[0] && c->alias[k]; k++)
			if (strcmp(word, c->alias[k]) == 0)
				return c;
	}
	return NULL;
}

static void usage(FILE *out)
{
	fputs(_("usage: mailsim COMMAND [OPTIONS] [FILE]\n"
		"\n"
		"A teaching mail-system simulator: user agents, mail servers and mailboxes\n"
		"exchanging real SMTP, POP3 and IMAP over simulated links.\n"
		"\n"
		"commands:\n"),
	      out);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char word[32];
		snprintf(word, sizeof word, "%s%s%s", commands[i].name, *commands[i].args ? " " : "",
			 commands[i].args);
		fprintf(out, "  %-15s %s\n", word, _(commands[i].summary));
	}
	fputs(_("  (none)          on a terminal: the menu of the shipped lessons\n"
		"\n"
		"options of every command:\n"
		"  --lang L        the language: pt-BR (Brazilian Portuguese) or en; by\n"
		"                  default LANGUAGE, LC_ALL, LC_MESSAGES or LANG decides\n"),
	      out);
	fputs(_("\n"
		"options of run:\n"
		"  --json          JSON Lines instead of the transcript\n"
		"  --db FILE       keep the store in an SQLite file (default: in memory)\n"
		"  --seed N        override the scenario's seed\n"
		"  -q, --quiet     print only the checks\n"
		"  --html FILE     also write the handout: one self-contained HTML page\n"
		"  --svg FILE      also write the sequence diagram as an SVG file\n"
		"  -h, --help      this text\n"),
	      out);
	fputs(_("  --pcap FILE     also write the run as a capture for Wireshark: pcapng,\n"
		"                  or pcap when FILE ends in .pcap\n"),
	      out);
	fputs(_("\n"
		"options of export:\n"
		"  --html FILE     the handout page as of the step\n"
		"  --svg FILE      the sequence diagram as of the step\n"
		"  --step N        the first N steps (default: all)\n"
		"  --seed N        override the scenario's seed\n"),
	      out);
	fputs(_("\n"
		"options of inspect:\n"
		"  --db FILE       a store kept by 'mailsim run --db FILE' (required)\n"
		"  --json          one JSON document instead of the table\n"),
	      out);
	fputs(_("\n"
		"options of play:\n"
		"  --mono          no colour (also when NO_COLOR is set)\n"
		"  --quiz          stop at the lesson's questions (or the replies that teach):\n"
		"                  the class answers with 1-6, the status line keeps the score\n"
		"  --step N        start paused at step N\n"
		"  --paused        start paused (at the beginning)\n"
		"  --speed X       0.25, 0.5, 1, 2, 4, 8 or 16\n"
		"  --no-anim       no token animation (tokens jump to their end)\n"
		"  --seed N        override the scenario's seed\n"),
	      out);
	fputs(_("\n"
		"exit status: 0 all checks passed, 1 a check failed, 2 bad command line or\n"
		"scenario file (errors as FILE:LINE:COL: error: MESSAGE), 3 the run failed.\n"
		"\n"
		"example:\n"
		"  mailsim run scenarios/wrong-address.scn\n"),
	      out);
}

/* `--lang L` or `--lang=L`, anywhere on the line (before or after the
 * command): taken out of argv, so that no command has to know it.  The
 * value, or NULL; *bad when --lang has no value. */
static const char *take_lang(int *argc, char **argv, bool *bad)
{
	const char *lang = NULL;
	*bad = false;
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) { /* the rest are not options */
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strncmp(argv[i], "--lang=", 7) == 0) {
			lang = argv[i] + 7;
		} else if (strcmp(argv[i], "--lang") == 0) {
			if (i + 1 >= *argc)
				*bad = true;
			else
				lang = argv[++i];
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	argv[out] = NULL;
	return lang;
}

int main(int argc, char **argv)
{
	bool bad;
	const char *lang = take_lang(&argc, argv, &bad);
	if (bad || !cli_i18n_init(lang)) {
		cli_i18n_init(NULL);
		fprintf(stderr, _("mailsim: --lang takes pt-BR or en, not '%s'\n"),
			bad ? "" : lang);
		return EXIT_USAGE;
	}
	if (argc < 2 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		return cmd_menu();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const struct command *c = command_find(argv[1]);
	if (c)
		return c->run(argc - 1, argv + 1);
	fprintf(stderr, _("mailsim: unknown command '%s'\n\n"), argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
