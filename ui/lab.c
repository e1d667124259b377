/*
 * lab.c - `mailsim lab`: the student lab.
 *
 * An exercise is a scenario file marked `exercise`: its world is served
 * live exactly as `mailsim serve FILE --db FILE` would, its `task`
 * paragraphs say what to do, and its `expect` checks - evaluated against
 * the store file, never against what the lab process remembers - say
 * whether it was done.  So `--check` can grade from the store alone, in
 * another process, while the lab runs or after it stopped.
 *
 * While the lab runs, a background timer re-evaluates the checks a moment
 * after anything happened (a session ended, mail was delivered, flags
 * changed...) and prints a line when a check comes to pass, or stops
 * passing.  The timer runs at the top of the event loop, never inside the
 * code that emits a record, so the store is never read in the middle of
 * one of its own statements.
 */
#include "lab.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "i18n.h"
#include "lab_card.h"
#include "live.h"
#include "scenario.h"
#include "store.h"
#include "view.h"
#include "world.h"

#define LAB_EXIT_PASSED 0
#define LAB_EXIT_FAILED 1
#define LAB_EXIT_USAGE 2
#define LAB_EXIT_RUNTIME 3

#define LAB_TICK_US (200 * US_PER_MS) /* how soon a change is graded */
#define LAB_WRAP 76                   /* paragraph width, in bytes */
#define LAB_LIST_MAX 8                /* messages shown under a failed check */

/* What the student hands in: the name, the date, and where to write the
 * report (lab_card.c). */
struct lab_handin {
	const char *student; /* --student, or NULL */
	const char *report;  /* --report FILE, or NULL */
	char date[32];       /* when graded, ISO 8601 UTC */
};

static void lab_dirs(struct cli_dirs *dirs);

static void lab_usage(FILE *out)
{
	fprintf(out,
		_("usage: mailsim lab                      list the exercises\n"
		  "       mailsim lab NAME [OPTIONS]       start exercise NAME live\n"
		  "       mailsim lab NAME --check [--db FILE]   grade it (exit 0: all checks pass)\n"
		  "       mailsim lab --verify REPORT [--db FILE]   was the report edited? (exit 0:\n"
		  "                                        intact, 1: edited, 2: unreadable)\n"
		  "\n"
		  "The lab serves the exercise's world on real sockets (like 'mailsim serve'),\n"
		  "shows the task, and, as you work with telnet, nc, curl, a mail client or\n"
		  "your own program, shows every line and each check as it comes to pass.\n"
		  "\n"
		  "options:\n"
		  "  --check                print the graded report of the store and exit\n"
		  "  --db FILE              the lab's store (default ./NAME.lab.db; a start\n"
		  "                         replaces the file an earlier start left)\n"
		  "  --bind ADDR            listen on ADDR (default 127.0.0.1)\n"
		  "  --smtp-port N          the first server's SMTP port (default %d)\n"
		  "  --submission-port N    its submission port (default %d)\n"
		  "  --pop3-port N          its POP3 port (default %d)\n"
		  "  --imap-port N          its IMAP port (default %d)\n"
		  "                         (the next server listens one above each)\n"
		  "  --seconds N            stop by itself after N seconds\n"
		  "  --student NAME         put NAME and the date in the report\n"
		  "  --report FILE          write the report to FILE to hand in (JSON if FILE\n"
		  "                         ends in .json, else text), sealed with a digest\n"
		  "  -h, --help             this text\n"
		  "\n"
		  "NAME may also be the path of a .scn file.  The exercises are those of the\n"
		  "first of these folders that has any ($MAILSIM_LABS first, when set):\n  "),
		LIVE_DEFAULT_SMTP_PORT, LIVE_DEFAULT_SUBMISSION_PORT, LIVE_DEFAULT_POP3_PORT,
		LIVE_DEFAULT_IMAP_PORT);
	fprintf(out,
		_("\n"
		  "TLS, as in 'mailsim serve' (see 'mailsim serve --help'), except that the\n"
		  "lab lets you log in before TLS, as its exercises do by hand:\n"
		  "  --submissions-port N, --pop3s-port N, --imaps-port N (defaults %d, %d, %d),\n"
		  "  --tls-cert FILE, --tls-key FILE, --no-tls\n"),
		LIVE_DEFAULT_SUBMISSIONS_PORT, LIVE_DEFAULT_POP3S_PORT, LIVE_DEFAULT_IMAPS_PORT);
	fputc('\n', out);
	struct cli_dirs dirs;
	lab_dirs(&dirs);
	cli_dirs_print(out, &dirs, "\n  ");
	cli_dirs_free(&dirs);
	fputc('\n', out);
}

/* ------------------------------------------------------------------ */
/* Finding exercises                                                  */
/* ------------------------------------------------------------------ */

/* The folders of cli_dirs_init, $MAILSIM_LABS first. */
static void lab_dirs(struct cli_dirs *dirs)
{
	cli_dirs_init(dirs, "MAILSIM_LABS", "scenarios/labs");
}

static bool lab_is_file(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The .scn files of the first directory that has any, sorted; their
 * directory in *dir. */
static size_t lab_list_files(const struct cli_dirs *dirs, char ***out, const char **dir)
{
	size_t n = 0;
	*out = NULL;
	*dir = NULL;
	for (size_t d = 0; d < dirs->n && n == 0; d++) {
		n = cli_scn_files(dirs->dir[d], out);
		if (n)
			*dir = dirs->dir[d];
	}
	return n;
}

/* The file of exercise NAME (a path to a file is taken as it is), or NULL. */
static char *lab_find(const char *name)
{
	if (strchr(name, '/') && lab_is_file(name))
		return xstrdup(name);
	struct cli_dirs dirs;
	lab_dirs(&dirs);
	size_t len = strlen(name);
	bool has_ext = len > 4 && strcmp(name + len - 4, ".scn") == 0;
	char *found = NULL;
	for (size_t d = 0; d < dirs.n && !found; d++) {
		struct buf path;
		buf_init(&path);
		buf_printf(&path, "%s/%s%s", dirs.dir[d], name, has_ext ? "" : ".scn");
		if (lab_is_file(path.p))
			found = buf_steal(&path);
		else
			buf_free(&path);
	}
	cli_dirs_free(&dirs);
	return found;
}

/* "smtp-by-hand" from "scenarios/labs/smtp-by-hand.scn". */
static char *lab_short_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *s = xstrdup(base);
	size_t len = strlen(s);
	if (len > 4 && strcmp(s + len - 4, ".scn") == 0)
		s[len - 4] = '\0';
	return s;
}

/* The first sentence of a paragraph (up to ". " or the end). */
static void lab_first_sentence(const char *p, struct buf *out)
{
	const char *end = strstr(p, ". ");
	if (end)
		buf_add(out, p, (size_t)(end - p) + 1);
	else
		buf_adds(out, p);
}

static void lab_wrap(FILE *out, const char *first, const char *text);
static int lab_fill(const struct scenario *scn, const struct live_options *lo, const char *text,
		    struct buf *out, char *err, size_t errlen);

static int lab_list(void)
{
	char **names;
	const char *dir;
	struct cli_dirs dirs;
	lab_dirs(&dirs);
	size_t n = lab_list_files(&dirs, &names, &dir);
	size_t shown = 0;
	FILE *devnull = fopen("/dev/null", "w");
	if (n)
		printf(_("Exercises (in %s):\n\n"), dir);
	for (size_t i = 0; i < n; i++) {
		struct buf path;
		buf_init(&path);
		buf_printf(&path, "%s/%s", dir, names[i]);
		struct scenario *scn;
		if (scn_parse_file(path.p, &scn, devnull ? devnull : stderr) == 0) {
			if (scn->exercise) {
				char *shortname = lab_short_name(names[i]);
				struct buf first;
				buf_init(&first);
				struct live_options lo;
				cli_live_defaults(&lo);
				struct buf filled;
				buf_init(&filled);
				char err[256];
				if (scn->ntasks &&
				    lab_fill(scn, &lo, scn->tasks[0], &filled, err, sizeof err) == 0)
					lab_first_sentence(filled.p, &first);
				buf_free(&filled);
				printf("  %-20s %s\n", shortname, scn->title ? scn->title : shortname);
				if (first.len)
					lab_wrap(stdout, "                       ", first.p);
				buf_free(&first);
				free(shortname);
				shown++;
			}
			scn_free(scn);
		} else {
			printf(_("  %-20s (has errors: see 'mailsim validate %s')\n"), names[i], path.p);
		}
		buf_free(&path);
		free(names[i]);
	}
	free(names);
	if (devnull)
		fclose(devnull);
	if (!shown) {
		fputs(_("mailsim lab: no exercises found in "), stderr);
		cli_dirs_print(stderr, &dirs, ", ");
		fputs(_("\n(set MAILSIM_LABS to a folder of exercises)\n"), stderr);
		cli_dirs_free(&dirs);
		return LAB_EXIT_USAGE;
	}
	cli_dirs_free(&dirs);
	printf(_("\nStart one with 'mailsim lab NAME'; grade it with 'mailsim lab NAME --check'.\n"));
	return LAB_EXIT_PASSED;
}

/* ------------------------------------------------------------------ */
/* Placeholders and masks                                             */
/* ------------------------------------------------------------------ */

/*
 * Task and hint text name the lab's real ports with placeholders, filled
 * from the port table `mailsim lab` listens on (live_run's table: the
 * first server on the base ports, the next one above, in the order the
 * domains are declared):
 *
 *   {smtp-port}  {submission-port}  {pop3-port}  {imap-port}
 *       the first server's port for that service
 *   {smtp-port:mx.gmail.com} ...
 *       the named server's
 *
 * Any "{" + a lowercase letter + letters, digits, ".", ":" or "-" + "}"
 * is a placeholder, and one that is not known is an error, so that a typo
 * ({smtp-prot}) is found by the author, never shown to a class.  Any other
 * brace is text: "{5}" (an IMAP literal), "{ }", "{Seen}".
 */
static const char *const lab_services[] = { "smtp", "submission", "pop3", "imap" };

static int lab_base_port(const struct live_options *lo, size_t service)
{
	const int base[] = { lo->smtp_port, lo->submission_port, lo->pop3_port, lo->imap_port };
	return base[service];
}

/* The index of server NAME in the port table (domains' servers, first
 * mention), or -1. */
static int lab_server_index(const struct scenario *scn, const char *name, size_t len)
{
	int k = 0;
	for (size_t i = 0; i < scn->ndomains; i++) {
		const char *s = scn->domains[i].server;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcasecmp(scn->domains[j].server, s) == 0;
		if (seen)
			continue;
		if (strlen(s) == len && strncasecmp(s, name, len) == 0)
			return k;
		k++;
	}
	return -1;
}

/* TEXT with its placeholders filled into out; 0, or -1 with the first bad
 * placeholder in err. */
static int lab_fill(const struct scenario *scn, const struct live_options *lo, const char *text,
		    struct buf *out, char *err, size_t errlen)
{
	buf_clear(out);
	for (const char *p = text; *p;) {
		size_t len = *p == '{' && islower((unsigned char)p[1])
				     ? strspn(p + 1, "abcdefghijklmnopqrstuvwxyz0123456789.:-")
				     : 0;
		if (!len || p[1 + len] != '}') {
			buf_addc(out, *p++);
			continue;
		}
		const char *colon = memchr(p + 1, ':', len);
		size_t slen = colon ? (size_t)(colon - p - 1) : len;
		size_t svc = 0;
		while (svc < 4 && !(strlen(lab_services[svc]) + 5 == slen &&
				    strncmp(lab_services[svc], p + 1, slen - 5) == 0 &&
				    strncmp(p + 1 + slen - 5, "-port", 5) == 0))
			svc++;
		int k = colon ? lab_server_index(scn, colon + 1, (size_t)(p + 1 + len - colon - 1))
			      : 0;
		if (svc == 4 || k < 0) {
			snprintf(err, errlen, _("unknown placeholder %.*s (the ones known are {smtp-port}, "
				   "{submission-port}, {pop3-port} and {imap-port}, each also as "
				   "{smtp-port:SERVER})"), (int)len + 2, p);
			return -1;
		}
		buf_printf(out, "%d", lab_base_port(lo, svc) + k);
		p += len + 2;
	}
	if (!out->p)
		buf_adds(out, "");
	return 0;
}

/* The lab listens on the default ports (--check needs no port options). */
static bool lab_default_ports(const struct live_options *lo)
{
	struct live_options d;
	cli_live_defaults(&d);
	return lo->smtp_port == d.smtp_port && lo->submission_port == d.submission_port &&
	       lo->pop3_port == d.pop3_port && lo->imap_port == d.imap_port;
}

/* Every task and hint of the exercise fills; else said on stderr. */
static bool lab_fills(const struct scenario *scn, const struct live_options *lo)
{
	struct buf b;
	buf_init(&b);
	char err[256];
	bool ok = true;
	for (size_t i = 0; i < scn->ntasks + scn->nhints && ok; i++) {
		bool task = i < scn->ntasks;
		const char *t = task ? scn->tasks[i] : scn->hints[i - scn->ntasks];
		if (lab_fill(scn, lo, t, &b, err, sizeof err) != 0) {
			fprintf(stderr,
				task ? _("mailsim lab: %s: task %zu: %s\n")
				     : _("mailsim lab: %s: hint %zu: %s\n"),
				scn->file, task ? i + 1 : i - scn->ntasks + 1, err);
			ok = false;
		}
	}
	buf_free(&b);
	return ok;
}

/* A paragraph filled (lab_fills made sure it fills) and wrapped. */
static void lab_wrap_filled(FILE *out, const char *first, const struct scenario *scn,
			    const struct live_options *lo, const char *text)
{
	struct buf b;
	buf_init(&b);
	char err[256];
	if (lab_fill(scn, lo, text, &b, err, sizeof err) != 0) {
		buf_clear(&b);
		buf_adds(&b, text);
	}
	lab_wrap(out, first, b.p ? b.p : "");
	buf_free(&b);
}

/*
 * A check as the lab shows it: its line with every quoted value masked,
 * `expect mailbox teacher@uea.edu.br has subject "..."`.  The quoted values
 * are what the student must find or type (a status code, a subject): the
 * task says what is asked, the check would say the answer.
 */
static void lab_masked(const struct scn_check *c, struct buf *out)
{
	const char *src = c->source ? c->source : "expect";
	buf_clear(out);
	bool in = false;
	for (const char *p = src; *p; p++) {
		if (*p == '\\' && in && p[1]) {
			p++;
			continue;
		}
		if (*p == '"') {
			buf_adds(out, in ? "...\"" : "\"");
			in = !in;
			continue;
		}
		if (!in)
			buf_addc(out, *p);
	}
	if (!out->p)
		buf_adds(out, "");
}

/* ------------------------------------------------------------------ */
/* Printing                                                           */
/* ------------------------------------------------------------------ */

/* A paragraph, wrapped at LAB_WRAP, each line after indent. */
static void lab_wrap(FILE *out, const char *first, const char *text)
{
	size_t col = 0, ind = strlen(first);
	const char *p = text;
	char indent[64];
	if (ind >= sizeof indent)
		ind = sizeof indent - 1;
	memset(indent, ' ', ind);
	indent[ind] = '\0';
	fputs(first, out);
	col = ind;
	while (*p) {
		if (*p == '\n') {
			fprintf(out, "\n%s", indent);
			col = ind;
			p++;
			continue;
		}
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " \n");
		if (!w)
			continue;
		if (col > ind && col + 1 + w > LAB_WRAP) {
			fprintf(out, "\n%s", indent);
			col = ind;
		} else if (col > ind) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, w, out);
		col += w;
		p += w;
	}
	fputc('\n', out);
}

/* The messages of the folder a failed mailbox check looks at, to help. */
static void lab_show_folder(struct world *w, const struct scn_check *c, FILE *out)
{
	assert(c->kind == SCN_EXPECT_MAILBOX_HAS || c->kind == SCN_EXPECT_MAILBOX_COUNT);
	struct store_account acct;
	int64_t folder;
	const char *fname = c->folder ? c->folder : "INBOX";
	if (store_account_find(w->store, c->address, &acct) != 0 ||
	    store_folder_find(w->store, acct.id, fname, &folder) != 0)
		return;
	struct store_listed *v = NULL;
	size_t n = 0;
	if (store_folder_listing(w->store, folder, &v, &n) != 0)
		return;
	if (!n) {
		fprintf(out, _("            %s %s is empty\n"), c->address, fname);
	} else {
		fprintf(out, _("            %s %s holds:\n"), c->address, fname);
		for (size_t i = 0; i < n && i < LAB_LIST_MAX; i++) {
			char flags[128];
			fprintf(out, _("              uid %u  \"%s\"  from %s  (%s)\n"), v[i].uid,
				v[i].subject ? v[i].subject : "", v[i].from ? v[i].from : "?",
				world_flag_names(v[i].flags, flags, sizeof flags));
		}
		if (n > LAB_LIST_MAX)
			fprintf(out, P_("              ... and %zu more\n",
					"              ... and %zu more\n", n - LAB_LIST_MAX),
				n - LAB_LIST_MAX);
	}
	store_listed_free(v, n);
}

/* The graded report; returns the number of checks that did not pass. */
static size_t lab_report(struct world *w, const char *name, const char *db,
			 const struct live_options *lo, const struct lab_handin *h,
			 struct lab_card *card, FILE *out)
{
	const struct scenario *scn = w->scn;
	size_t n = scn->nchecks, passed = 0;
	struct buf masked;
	buf_init(&masked);
	fprintf(out, _("Lab report: %s (%s), store %s\n"), scn->title ? scn->title : name, name, db);
	if (h->student)
		fprintf(out, _("Student: %s, graded %s\n"), h->student, h->date);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		const struct scn_check *c = &scn->checks[i];
		lab_masked(c, &masked);
		const char *src = masked.p;
		if (card && (c->kind == SCN_EXPECT_MAILBOX_HAS || c->kind == SCN_EXPECT_MAILBOX_COUNT))
			lab_card_add_mailbox(card, c->address, c->folder ? c->folder : "INBOX");
		if (c->kind == SCN_EXPECT_REPLY) {
			if (card)
				lab_card_add_check(card, "FAILED", src);
			fprintf(out, _("  FAILED  %zu/%zu  %s\n            (not gradable from the "
				  "store: 'expect reply' is seen only live)\n"), i + 1, n, src);
			continue;
		}
		char detail[256];
		bool ok = world_check_one(w, i, detail, sizeof detail);
		if (card)
			lab_card_add_check(card, ok ? "passed" : "FAILED", src);
		if (ok) {
			passed++;
			fprintf(out, _("  passed  %zu/%zu  %s\n"), i + 1, n, src);
			continue;
		}
		fprintf(out, _("  FAILED  %zu/%zu  %s\n            (%s)\n"), i + 1, n, src, detail);
		if (c->kind == SCN_EXPECT_MAILBOX_HAS || c->kind == SCN_EXPECT_MAILBOX_COUNT)
			lab_show_folder(w, c, out);
	}
	fprintf(out, _("\nscore %zu/%zu\n"), passed, n);
	if (card) {
		struct buf score;
		buf_init(&score);
		buf_printf(&score, "%zu/%zu", passed, n);
		card->score = buf_steal(&score);
	}
	if (passed < n && scn->nhints) {
		fputs(_("\nHints:\n"), out);
		for (size_t i = 0; i < scn->nhints; i++)
			lab_wrap_filled(out, "  - ", scn, lo, scn->hints[i]);
	}
	buf_free(&masked);
	if (passed == n)
		fputs(_("\nEvery check passes: well done.\n"), out);
	return n - passed;
}

/* The graded report: printed, and with --report written to hand in.
 * Returns the number of checks that did not pass, or -1 if the report
 * could not be written (said on stderr). */
static long lab_grade_report(struct world *w, const char *name, const char *db,
			     const struct live_options *lo, const struct lab_handin *h)
{
	struct lab_card card;
	lab_card_init(&card);
	size_t failed = lab_report(w, name, db, lo, h, h->report ? &card : NULL, stdout);
	if (!h->report)
		return (long)failed;
	card.exercise = xstrdup(name);
	card.title = xstrdup(w->scn->title ? w->scn->title : name);
	card.student = xstrdup(h->student ? h->student : "");
	card.date = xstrdup(h->date);
	card.store = xstrdup(db);
	char err[512];
	int rc = lab_card_digest(&card, w->store, card.digest, sizeof card.digest, err, sizeof err);
	if (rc == 0)
		rc = lab_card_write(&card, h->report, err, sizeof err);
	if (rc == 0)
		printf(_("\nThe report is written to %s, to hand in (check it with 'mailsim lab "
		         "--verify %s --db %s').\n"), h->report, h->report, db);
	else
		fprintf(stderr, "mailsim lab: %s\n", err);
	lab_card_free(&card);
	return rc == 0 ? (long)failed : -1;
}

/* --verify: the digest of the report and of the store, computed again. */
static int lab_verify(const char *path, const char *db)
{
	struct lab_card card;
	char err[512];
	if (lab_card_read(&card, path, err, sizeof err) != 0) {
		fprintf(stderr, "mailsim lab: %s: %s\n", path, err);
		return LAB_EXIT_USAGE;
	}
	const char *file = db ? db : card.store;
	struct store *st = NULL;
	char digest[sizeof card.digest];
	int rc = LAB_EXIT_USAGE;
	if (!file || !lab_is_file(file))
		fprintf(stderr, _("mailsim lab: %s: no store %s to check it against (name it with "
			  "--db)\n"), path, file ? file : "");
	else if (store_open_readonly(&st, file, err, sizeof err) != STORE_OK)
		fprintf(stderr, "mailsim lab: %s: %s\n", file, err);
	else if (lab_card_digest(&card, st, digest, sizeof digest, err, sizeof err) != 0)
		fprintf(stderr, "mailsim lab: %s: %s\n", file, err);
	else if (strcmp(digest, card.digest) == 0)
		rc = LAB_EXIT_PASSED;
	else
		rc = LAB_EXIT_FAILED;
	if (st)
		store_close(st);
	if (rc == LAB_EXIT_PASSED)
		printf(_("%s is intact: its digest matches what it says and what %s holds\n"
		         "(a plain digest: it shows an edit by hand, not one by someone who\n"
		         "computes the digest again)\n"), path, file);
	else if (rc == LAB_EXIT_FAILED)
		printf(_("%s was edited: its digest does not match what it says and what %s\n"
		         "holds (the report was changed by hand, or the store after grading)\n"),
		       path, file);
	lab_card_free(&card);
	return rc;
}

/* ------------------------------------------------------------------ */
/* --check                                                            */
/* ------------------------------------------------------------------ */

static int lab_check(const struct scenario *scn, const char *name, const char *db,
		     const struct live_options *lo, const struct lab_handin *h)
{
	assert(scn->exercise && name && db); /* lab_main made sure */
	if (!lab_is_file(db)) {
		fprintf(stderr, _("mailsim lab: no lab store %s: start the lab with 'mailsim lab %s' "
			  "first\n"), db, name);
		return LAB_EXIT_USAGE;
	}
	char err[512];
	struct store *st;
	/* first only look: a file that is not a mailsim store is not touched */
	enum store_result rc = store_open_readonly(&st, db, err, sizeof err);
	if (rc == STORE_ERROR) {
		fprintf(stderr, "mailsim lab: %s: %s\n", db, err);
		return LAB_EXIT_USAGE;
	}
	if (rc == STORE_OK) {
		bool ours = true;
		for (size_t i = 0; i < scn->nusers && ours; i++) {
			struct store_account a;
			ours = store_account_find(st, scn->users[i].address, &a) == 0;
		}
		store_close(st);
		if (!ours) {
			fprintf(stderr, _("mailsim lab: %s is not the store of exercise %s (its users "
				  "are not there): start the lab with 'mailsim lab %s' first\n"),
				db, name, name);
			return LAB_EXIT_USAGE;
		}
	}
	struct world w;
	if (cli_world_open("mailsim lab", scn, db, &st, &w) != 0)
		return LAB_EXIT_RUNTIME;
	long failed = lab_grade_report(&w, name, db, lo, h);
	world_free(&w);
	store_close(st);
	return failed < 0 ? LAB_EXIT_RUNTIME : failed ? LAB_EXIT_FAILED : LAB_EXIT_PASSED;
}

/* ------------------------------------------------------------------ */
/* The lab, live                                                      */
/* ------------------------------------------------------------------ */

struct lab_live {
	struct world *w;
	struct view_text text;
	bool dirty;    /* something happened since the last grading */
	bool stopped;  /* the live loop is over: the timer must not come back */
	bool *passing; /* per check, as last graded */
	bool all_passed;
	bool ready;    /* the story is done and the first grading printed */
};

static void lab_sink(void *ctx, const struct trace_rec *r)
{
	struct lab_live *l = ctx;
	/* what the story did to prepare the world is for the student to find
	 * out (a bounce's status code, say): while it runs only the lines of
	 * a real client are shown, whose host is named ADDRESS:PORT (sock.c;
	 * no name of the world has a colon) - a student may start early */
	bool real = (r->from && strchr(r->from, ':')) || (r->to && strchr(r->to, ':'));
	if (!l->w->story_done && !real)
		return;
	view_text_sink(&l->text, r);
	if (r->event)
		l->dirty = true;
	fflush(stdout);
}

/* Grade again if something happened; print what changed.  Not while the
 * story prepares the world: its half-done state would pass checks. */
static void lab_grade(struct lab_live *l)
{
	if (!l->w->story_done)
		return;
	if (!l->ready) {
		const struct scenario *scn = l->w->scn;
		size_t k = 0;
		for (size_t i = 0; i < scn->nchecks; i++) {
			char detail[256];
			if (scn->checks[i].kind != SCN_EXPECT_REPLY)
				l->passing[i] = world_check_one(l->w, i, detail, sizeof detail);
			k += l->passing[i];
		}
		l->ready = true;
		l->dirty = false;
		printf(P_("* the world is ready (how the story prepared it is not shown: finding\n"
			  "  out is part of the exercise); %zu of %zu checks pass now; over to you\n",
			  "* the world is ready (how the story prepared it is not shown: finding\n"
			  "  out is part of the exercise); %zu of %zu checks pass now; over to you\n",
			  k),
		       k, scn->nchecks);
		l->all_passed = k == scn->nchecks && scn->nchecks;
		if (l->all_passed)
			printf(_("\u2714 every check passes: the exercise is done\n"));
		fflush(stdout);
		return;
	}
	if (l->dirty) {
		l->dirty = false;
		const struct scenario *scn = l->w->scn;
		size_t before = 0;
		bool changed = false;
		for (size_t i = 0; i < scn->nchecks; i++)
			before += l->passing[i];
		for (size_t i = 0; i < scn->nchecks; i++) {
			if (scn->checks[i].kind == SCN_EXPECT_REPLY)
				continue;
			char detail[256];
			bool ok = world_check_one(l->w, i, detail, sizeof detail);
			if (ok == l->passing[i])
				continue;
			l->passing[i] = ok;
			changed = true;
		}
		size_t k = 0;
		for (size_t i = 0; i < scn->nchecks; i++)
			k += l->passing[i];
		/* how many, never which: a check's text would give the answer */
		if (changed)
			printf(P_("%s %zu of %zu checks pass now\n", "%s %zu of %zu checks pass now\n", k),
			       k > before ? "\u2714" : "\u2718", k, scn->nchecks);
		bool all = k == scn->nchecks && scn->nchecks;
		if (all && !l->all_passed)
			printf(_("\u2714 every check passes: the exercise is done\n"));
		l->all_passed = all;
		fflush(stdout);
	}
}

static void lab_tick(void *arg)
{
	struct lab_live *l = arg;
	if (l->stopped)
		return;
	lab_grade(l);
	ev_after_bg(&l->w->loop, LAB_TICK_US, lab_tick, l);
}

/* Remove a store left by an earlier start, with its WAL files. */
static int lab_remove_store(const char *db)
{
	const char *sfx[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < 4; i++) {
		struct buf p;
		buf_init(&p);
		buf_printf(&p, "%s%s", db, sfx[i]);
		int r = unlink(p.p);
		int e = errno;
		buf_free(&p);
		if (r != 0 && e != ENOENT) {
			fprintf(stderr, _("mailsim lab: cannot replace %s: %s\n"), db, strerror(e));
			return -1;
		}
	}
	return 0;
}

static int lab_start(const struct scenario *scn, const char *name, const char *db,
		     const struct live_options *lo, struct lab_handin *h)
{
	assert(scn->exercise && name && db && lo); /* lab_main made sure */
	bool stale = lab_is_file(db);
	if (stale) {
		/* only a mailsim store is replaced, never some other file */
		char err[512];
		struct store *old;
		if (store_open_readonly(&old, db, err, sizeof err) == STORE_ERROR) {
			fprintf(stderr, _("mailsim lab: %s is not a lab store (%s): not replacing it; "
				  "choose another with --db\n"), db, err);
			return LAB_EXIT_USAGE;
		}
		store_close(old);
		if (lab_remove_store(db) != 0)
			return LAB_EXIT_RUNTIME;
	}
	char err[512];
	struct store *st;
	struct world w;
	if (cli_world_open("mailsim lab", scn, db, &st, &w) != 0)
		return LAB_EXIT_RUNTIME;
	struct lab_live l = { .w = &w };
	l.passing = xcalloc(scn->nchecks + 1, sizeof *l.passing);
	view_text_init(&l.text, stdout, cli_live_host_width(&w));

	printf("mailsim lab: %s (%s)\n", scn->title ? scn->title : name, name); /* as is */
	if (stale)
		printf(_("(a store %s from an earlier start was replaced: the exercise starts afresh)\n"),
		       db);
	if (scn->ntasks) {
		printf(_("\nThe task:\n\n"));
		for (size_t i = 0; i < scn->ntasks; i++) {
			if (i)
				putchar('\n');
			lab_wrap_filled(stdout, "  ", scn, lo, scn->tasks[i]);
		}
	}
	/* the checks are not shown: they hold the answers (lab_masked) */
	struct buf grading;
	buf_init(&grading);
	if (lab_default_ports(lo))
		buf_printf(&grading,
			   P_("Grading: %zu check, counted below as it passes (how many, not which: "
			      "a check would give the answer away). Grade your work with 'mailsim lab %s "
			      "--check --db %s'; a failed grading gives hints.",
			      "Grading: %zu checks, counted below as they pass (how many, not which: "
			      "a check would give the answer away). Grade your work with 'mailsim lab %s "
			      "--check --db %s'; a failed grading gives hints.",
			      scn->nchecks),
			   scn->nchecks, name, db);
	else
		buf_printf(&grading,
			   P_("Grading: %zu check, counted below as it passes (how many, not which: "
			      "a check would give the answer away). Grade your work with 'mailsim lab %s "
			      "--check --db %s' and the same port options; a failed grading gives hints.",
			      "Grading: %zu checks, counted below as they pass (how many, not which: "
			      "a check would give the answer away). Grade your work with 'mailsim lab %s "
			      "--check --db %s' and the same port options; a failed grading gives hints.",
			      scn->nchecks),
			   scn->nchecks, name, db);
	putchar('\n');
	lab_wrap(stdout, "", grading.p);
	buf_free(&grading);
	printf(_("\nThe users:\n"));
	cli_print_users(stdout, scn);
	printf(_("\nThe servers:\n"));
	fflush(stdout);

	trace_add_sink(&w.trace, lab_sink, &l);
	ev_after_bg(&w.loop, LAB_TICK_US, lab_tick, &l);
	int rc = LAB_EXIT_PASSED;
	if (live_run(&w, lo, stdout, err, sizeof err) != 0) {
		fprintf(stderr, "mailsim lab: %s\n", err);
		rc = LAB_EXIT_RUNTIME;
	}
	l.stopped = true;
	lab_grade(&l); /* what happened since the last tick */
	if (rc == LAB_EXIT_PASSED) {
		putchar('\n');
		lab_card_now(h->date, sizeof h->date);
		if (lab_grade_report(&w, name, db, lo, h) < 0)
			rc = LAB_EXIT_RUNTIME;
	}
	fflush(stdout);
	world_free(&w);
	view_text_free(&l.text);
	free(l.passing);
	store_close(st);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The command                                                        */
/* ------------------------------------------------------------------ */

int lab_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "db", required_argument, NULL, 'd' },
		CLI_LIVE_OPTIONS,
		{ "seconds", required_argument, NULL, 'S' },
		{ "student", required_argument, NULL, 'N' },
		{ "report", required_argument, NULL, 'R' },
		{ "verify", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct live_options lo;
	cli_live_defaults(&lo);
	/* the exercises are done by hand (nc, telnet): logging in before TLS
	 * is part of them */
	lo.plaintext_auth = true;
	const char *db = NULL, *verify = NULL;
	struct lab_handin h = { 0 };
	bool check = false;
	int c;
	long v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			check = true;
			break;
		case 'd':
			db = optarg;
			break;
		case 'N':
			for (const char *p = optarg; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f) {
					fputs(_("mailsim lab: --student: a name on one line, without "
					        "control characters\n"), stderr);
					return LAB_EXIT_USAGE;
				}
			h.student = optarg;
			break;
		case 'R':
			h.report = optarg;
			break;
		case 'V':
			verify = optarg;
			break;
		CLI_LIVE_CASES:
			if (!cli_live_option("mailsim lab", c, optarg, &lo))
				return LAB_EXIT_USAGE;
			break;
		case 'S':
			if (!cli_number(optarg, 1, 1000000, &v)) {
				fprintf(stderr, _("mailsim lab: '%s' is not a number of seconds from 1 "
					  "to 1000000\n"), optarg);
				return LAB_EXIT_USAGE;
			}
			lo.stop_after_us = v * US_PER_SEC;
			break;
		case 'h':
			lab_usage(stdout);
			return LAB_EXIT_PASSED;
		default:
			fputs(_("mailsim: try 'mailsim lab --help'\n"), stderr);
			return LAB_EXIT_USAGE;
		}
	}
	if (!cli_live_options_check("mailsim lab", &lo))
		return LAB_EXIT_USAGE;
	if (verify) {
		if (optind != argc || check || h.student || h.report) {
			fputs(_("mailsim lab: --verify REPORT takes only --db (try 'mailsim lab "
			        "--help')\n"), stderr);
			return LAB_EXIT_USAGE;
		}
		return lab_verify(verify, db);
	}
	if (optind == argc) {
		if (check || db || h.student || h.report) {
			fputs(_("mailsim lab: --check, --db, --student and --report need an exercise NAME (see 'mailsim "
			        "lab' for the list)\n"), stderr);
			return LAB_EXIT_USAGE;
		}
		return lab_list();
	}
	if (argc - optind > 1) {
		fputs(_("mailsim lab: one exercise NAME at a time (try 'mailsim lab --help')\n"), stderr);
		return LAB_EXIT_USAGE;
	}
	const char *arg = argv[optind];
	char *path = lab_find(arg);
	if (!path) {
		fprintf(stderr, _("mailsim lab: no exercise '%s' (see 'mailsim lab' for the list)\n"),
			arg);
		return LAB_EXIT_USAGE;
	}
	struct scenario *scn;
	if (scn_parse_file(path, &scn, stderr) != 0) {
		free(path);
		return LAB_EXIT_USAGE;
	}
	char *name = lab_short_name(path);
	int rc;
	if (!scn->exercise) {
		fprintf(stderr, _("mailsim lab: %s is a lesson, not an exercise (an exercise has the "
			  "line 'exercise'); play it with 'mailsim play %s'\n"), path, path);
		rc = LAB_EXIT_USAGE;
	} else {
		struct buf defdb;
		buf_init(&defdb);
		buf_printf(&defdb, "%s.lab.db", name);
		const char *file = db ? db : defdb.p;
		if (!lab_fills(scn, &lo))
			rc = LAB_EXIT_USAGE;
		else if (check) {
			lab_card_now(h.date, sizeof h.date);
			rc = lab_check(scn, name, file, &lo, &h);
		} else {
			rc = lab_start(scn, name, file, &lo, &h);
		}
		buf_free(&defdb);
	}
	free(name);
	free(path);
	scn_free(scn);
	return rc;
}
