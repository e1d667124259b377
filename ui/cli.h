/*
 * cli.h - what the subcommands of the command line share: main.c (run,
 * play, the menu), serve.c and lab.c.  Opening a scenario's store and
 * world with their errors said the same way, recording a world for the
 * player, the options of the live servers, a number on the command line,
 * NO_COLOR, the users' header, the .scn files of a folder and the folders
 * where the shipped lessons and exercises are looked for.
 *
 * Error messages begin with the program's words for the command, `prog`
 * ("mailsim", "mailsim serve", "mailsim lab"), as each command always said
 * them; exit statuses are mailsim's (2 usage, 3 the run failed).
 */
#ifndef MAILSIM_CLI_H
#define MAILSIM_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "live.h"
#include "playback.h"
#include "scenario.h"
#include "store.h"
#include "world.h"

#define CLI_EXIT_RUNTIME 3 /* as main.c's EXIT_RUNTIME */

/* The language, once, before anything is printed: `--lang` (opt: "pt-BR",
 * "pt_BR", "pt", "en", "C"; NULL when not given), else the first of
 * LANGUAGE, LC_ALL, LC_MESSAGES and LANG that is set, as gettext looks
 * (pt... is Brazilian Portuguese, anything else English).  Binds the
 * catalogue of the build tree (build/locale, beside the executable) or of
 * the installation (PREFIX/share/locale).  Only LC_CTYPE and LC_MESSAGES
 * follow the environment: numbers, dates and sorting stay "C", so a
 * transcript's times and a message's Date: header are the same in every
 * language.  false (nothing changed) when opt names no language we have. */
bool cli_i18n_init(const char *opt);

/* NO_COLOR set and not empty: no colour (https://no-color.org). */
bool cli_no_color(void);

/* arg as a whole decimal number (strtol) from lo to hi, into *out. */
bool cli_number(const char *arg, long lo, long hi, long *out);

/* Open the store (the file db, or in memory when NULL) and build the world
 * of scn on it.  0; or, after printing "PROG: why" on stderr and freeing
 * the store and the world (not scn), CLI_EXIT_RUNTIME. */
int cli_world_open(const char *prog, const struct scenario *scn, const char *db,
		   struct store **st, struct world *w);

/* A new playback that records w from now on: w's hosts (servers first: a
 * device names its home server) and links, and pb_sink on w's trace.
 * live: the playback of `serve`, where clients appear as they connect. */
struct playback *cli_playback_record(struct world *w, bool live);

/* The options of the live servers, as rows of a struct option table (in
 * this order: getopt_long names them so when an abbreviation is
 * ambiguous), and their defaults. */
#define CLI_LIVE_OPTIONS                                                  \
	{ "bind", required_argument, NULL, 'b' },                         \
	{ "smtp-port", required_argument, NULL, 's' },                    \
	{ "submission-port", required_argument, NULL, 'u' },              \
	{ "pop3-port", required_argument, NULL, 'p' },                    \
	{ "imap-port", required_argument, NULL, 'i' },                    \
	{ "submissions-port", required_argument, NULL, 'U' },             \
	{ "pop3s-port", required_argument, NULL, 'P' },                   \
	{ "imaps-port", required_argument, NULL, 'I' },                   \
	{ "no-tls", no_argument, NULL, 'T' },                             \
	{ "tls-cert", required_argument, NULL, 'E' },                     \
	{ "tls-key", required_argument, NULL, 'K' },                      \
	{ "plaintext-auth", no_argument, NULL, 'A' }
/* The letters of CLI_LIVE_OPTIONS, for a switch on getopt_long's answer. */
#define CLI_LIVE_CASES                                                             \
	case 'b': case 's': case 'u': case 'p': case 'i': case 'U': case 'P': case 'I': \
	case 'T': case 'E': case 'K': case 'A'
void cli_live_defaults(struct live_options *lo);
/* Take live option c (a letter of CLI_LIVE_CASES) and its argument; false,
 * said on stderr as "PROG: 'arg' is not a port (1 to 65535)", for a bad
 * port. */
bool cli_live_option(const char *prog, int c, const char *arg, struct live_options *lo);
/* After the options: --tls-cert and --tls-key come together, and not
 * with --no-tls; false, said on stderr, if not. */
bool cli_live_options_check(const char *prog, const struct live_options *lo);
/* The host column of a live transcript (view_text_init): the longest
 * host name, at least 16 characters, and 6 more. */
int cli_live_host_width(const struct world *w);

/* "  user ADDRESS  password PASSWORD", a line per user of scn. */
void cli_print_users(FILE *out, const struct scenario *scn);

/* The names of the .scn files in dir, sorted (strcmp), malloc'd; the
 * count (0, and *names NULL, when dir cannot be read).  Free each name
 * and the array. */
size_t cli_scn_files(const char *dir, char ***names);

/* The folders where the shipped scenarios of sub ("scenarios", or
 * "scenarios/labs" for the lab) are looked for, in this order, without
 * repeats: $env when it is set and not empty (the user's own folder);
 * ./sub (a checkout, the working directory); sub beside the executable
 * (the build tree's ./mailsim run from anywhere); share/mailsim/sub in
 * the executable's folder's parent (installed under any PREFIX, or staged
 * with DESTDIR); MAILSIM_DATADIR/sub (where `make install` put them). */
#define CLI_DIRS_MAX 5
struct cli_dirs {
	size_t n;
	char *dir[CLI_DIRS_MAX]; /* malloc'd */
};
void cli_dirs_init(struct cli_dirs *d, const char *env, const char *sub);
void cli_dirs_free(struct cli_dirs *d);
/* The folders, sep between two: "A, B, C" with ", ". */
void cli_dirs_print(FILE *out, const struct cli_dirs *d, const char *sep);

#endif
