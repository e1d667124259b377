/*
 * cli.c - what the subcommands share (cli.h): main.c's run, play and
 * menu, serve.c and lab.c once wrote each of these for themselves.
 *
 * Read in any order: each function is one step a command takes (open the
 * world, record it, read an option, list the lessons), with the words and
 * the exit status the commands always used.
 */
#include "cli.h"

#include <assert.h>
#include <dirent.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "i18n.h"

/* Where `make install` puts the lessons (the Makefile says, from DATADIR). */
#ifndef MAILSIM_LOCALEDIR
#define MAILSIM_LOCALEDIR "/usr/local/share/locale"
#endif
#ifndef MAILSIM_DATADIR
#define MAILSIM_DATADIR "/usr/local/share/mailsim"
#endif

bool cli_no_color(void)
{
	const char *nc = getenv("NO_COLOR");
	return nc && *nc;
}

bool cli_number(const char *arg, long lo, long hi, long *out)
{
	assert(arg && out);
	char *end;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int cli_world_open(const char *prog, const struct scenario *scn, const char *db,
		   struct store **st, struct world *w)
{
	assert(prog && scn && st && w);
	char err[512];
	if (store_open(st, db, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return CLI_EXIT_RUNTIME;
	}
	if (world_init(w, scn, *st, err, sizeof err) != 0) {
		/* a second start on the same --db: the accounts are there already */
		fprintf(stderr, "%s: %s\n", prog, err);
		world_free(w);
		store_close(*st);
		return CLI_EXIT_RUNTIME;
	}
	return 0;
}

struct playback *cli_playback_record(struct world *w, bool live)
{
	assert(w);
	struct playback *pb = pb_new();
	pb_set_live(pb, live);
	for (size_t i = 0; i < w->nhosts; i++)
		if (w->hosts[i].kind == HOST_SERVER)
			pb_add_host(pb, w->hosts[i].name, true, NULL, NULL);
	for (size_t i = 0; i < w->nhosts; i++) {
		const struct host *h = &w->hosts[i];
		if (h->kind == HOST_DEVICE)
			pb_add_host(pb, h->name, false, h->owner ? h->owner->address : NULL,
				    h->server ? h->server->name : NULL);
	}
	for (size_t i = 0; i < w->nlinks; i++)
		pb_add_link(pb, w->links[i].a->name, w->links[i].b->name, w->links[i].latency_us);
	trace_add_sink(&w->trace, pb_sink, pb);
	return pb;
}

void cli_live_defaults(struct live_options *lo)
{
	*lo = (struct live_options){
		.bind = "127.0.0.1",
		.smtp_port = LIVE_DEFAULT_SMTP_PORT,
		.submission_port = LIVE_DEFAULT_SUBMISSION_PORT,
		.pop3_port = LIVE_DEFAULT_POP3_PORT,
		.imap_port = LIVE_DEFAULT_IMAP_PORT,
		.submissions_port = LIVE_DEFAULT_SUBMISSIONS_PORT,
		.pop3s_port = LIVE_DEFAULT_POP3S_PORT,
		.imaps_port = LIVE_DEFAULT_IMAPS_PORT,
		.tls = true,
		.max_conns = LIVE_DEFAULT_MAX_CONNS,
		.max_per_addr = LIVE_DEFAULT_MAX_PER_ADDR,
	};
}

bool cli_live_option(const char *prog, int c, const char *arg, struct live_options *lo)
{
	switch (c) {
	case 'b':
		lo->bind = arg;
		return true;
	case 'T':
		lo->tls = false;
		return true;
	case 'E':
		lo->tls_cert = arg;
		return true;
	case 'K':
		lo->tls_key = arg;
		return true;
	case 'A':
		lo->plaintext_auth = true;
		return true;
	default:
		break;
	}
	long v;
	if (!cli_number(arg, 1, 65535, &v)) {
		fprintf(stderr, _("%s: '%s' is not a port (1 to 65535)\n"), prog, arg);
		return false;
	}
	int *port = c == 's' ? &lo->smtp_port
		  : c == 'u' ? &lo->submission_port
		  : c == 'p' ? &lo->pop3_port
		  : c == 'i' ? &lo->imap_port
		  : c == 'U' ? &lo->submissions_port
		  : c == 'P' ? &lo->pop3s_port
			     : &lo->imaps_port;
	assert(c == 's' || c == 'u' || c == 'p' || c == 'i' || c == 'U' || c == 'P' || c == 'I');
	*port = (int)v;
	return true;
}

bool cli_live_options_check(const char *prog, const struct live_options *lo)
{
	if (!lo->tls_cert != !lo->tls_key) {
		fprintf(stderr, _("%s: --tls-cert and --tls-key go together\n"), prog);
		return false;
	}
	if (lo->tls_cert && !lo->tls) {
		fprintf(stderr, _("%s: --tls-cert and --tls-key make no sense with --no-tls\n"), prog);
		return false;
	}
	return true;
}

int cli_live_host_width(const struct world *w)
{
	int width = 16;
	for (size_t i = 0; i < w->nhosts; i++)
		if ((int)strlen(w->hosts[i].name) > width)
			width = (int)strlen(w->hosts[i].name);
	return width + 6;
}

void cli_print_users(FILE *out, const struct scenario *scn)
{
	for (size_t i = 0; i < scn->nusers; i++)
		fprintf(out, _("  user %-24s password %s\n"), scn->users[i].address,
			scn->users[i].password);
}

static int cli_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t cli_scn_files(const char *dir, char ***names)
{
	assert(dir && names);
	*names = NULL;
	DIR *dp = opendir(dir);
	if (!dp)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dp)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".scn") != 0)
			continue;
		*names = xrealloc(*names, (n + 1) * sizeof **names);
		(*names)[n++] = xstrdup(e->d_name);
	}
	closedir(dp);
	if (n)
		qsort(*names, n, sizeof **names, cli_name_cmp);
	return n;
}

/* ---- where the shipped lessons are */

static void cli_dirs_add(struct cli_dirs *d, char *dir)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->dir[i], dir) == 0) {
			free(dir);
			return;
		}
	assert(d->n < CLI_DIRS_MAX);
	d->dir[d->n++] = dir;
}

/* The executable's folder, from Linux's /proc, into out; false when it
 * cannot be known. */
static bool cli_exe_dir(char *out, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", out, n - 1);
	if (len <= 0)
		return false;
	out[len] = '\0';
	char *slash = strrchr(out, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return true;
}

void cli_dirs_init(struct cli_dirs *d, const char *env, const char *sub)
{
	assert(d && sub);
	d->n = 0;
	const char *own = env ? getenv(env) : NULL;
	if (own && *own)
		cli_dirs_add(d, xstrdup(own));
	cli_dirs_add(d, xstrdup(sub));
	/* The executable's folder (elsewhere than Linux the other three
	 * still hold). */
	char exe[4096];
	struct buf b;
	if (cli_exe_dir(exe, sizeof exe)) {
		buf_init(&b);
		buf_printf(&b, "%s/%s", exe, sub);
		cli_dirs_add(d, buf_steal(&b));
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0'; /* exe: its parent, PREFIX when it is PREFIX/bin */
			buf_init(&b);
			buf_printf(&b, "%s/share/mailsim/%s", exe, sub);
			cli_dirs_add(d, buf_steal(&b));
		}
	}
	buf_init(&b);
	buf_printf(&b, "%s/%s", MAILSIM_DATADIR, sub);
	cli_dirs_add(d, buf_steal(&b));
}

void cli_dirs_free(struct cli_dirs *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->dir[i]);
	d->n = 0;
}

void cli_dirs_print(FILE *out, const struct cli_dirs *d, const char *sep)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s%s", i ? sep : "", d->dir[i]);
}

/* ---- the language */

static bool cli_lang_parse(const char *v, enum i18n_lang *out)
{
	if (strncmp(v, "pt", 2) == 0 && (v[2] == '\0' || v[2] == '_' || v[2] == '-' || v[2] == '.')) {
		*out = I18N_PT_BR;
		return true;
	}
	if (strcmp(v, "en") == 0 || strncmp(v, "en_", 3) == 0 || strncmp(v, "en-", 3) == 0 ||
	    strcmp(v, "C") == 0 || strcmp(v, "POSIX") == 0) {
		*out = I18N_EN;
		return true;
	}
	return false;
}

/* The catalogue's folder: the build tree's, beside the executable (the
 * release build's mailsim is at the top, the others in build/KIND/), or
 * the installation's PREFIX/share/locale, or the configured one. */
static void cli_bind_catalogue(void)
{
	static const char *const beside[] = {"/build/locale", "/../locale", "/../share/locale"};
	char exe[4096];
	bool known = cli_exe_dir(exe, sizeof exe);
	for (size_t i = 0; known && i < sizeof beside / sizeof beside[0]; i++) {
		struct buf dir, mo;
		buf_init(&dir);
		buf_init(&mo);
		buf_printf(&dir, "%s%s", exe, beside[i]);
		buf_printf(&mo, "%s/pt_BR/LC_MESSAGES/mailsim.mo", dir.p);
		bool found = access(mo.p, R_OK) == 0;
		if (found)
			bindtextdomain("mailsim", dir.p);
		buf_free(&dir);
		buf_free(&mo);
		if (found)
			return;
	}
	bindtextdomain("mailsim", MAILSIM_LOCALEDIR);
}

bool cli_i18n_init(const char *opt)
{
	enum i18n_lang lang = I18N_EN;
	if (opt) {
		if (!cli_lang_parse(opt, &lang))
			return false;
	} else {
		static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
		for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			const char *v = getenv(vars[i]);
			if (v && *v) {
				if (!cli_lang_parse(v, &lang))
					lang = I18N_EN;
				break;
			}
		}
	}
	/* Text is UTF-8 on the screen and in the files whatever the locale. */
	setlocale(LC_CTYPE, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	/* gettext reads LANGUAGE first, but ignores it under the "C" locale;
	 * pt_BR.UTF-8 need not be installed (Debian ships only C.UTF-8), so
	 * the messages' locale is the environment's when it exists, else
	 * C.UTF-8, and LANGUAGE names the catalogue. */
	setenv("LANGUAGE", lang == I18N_PT_BR ? "pt_BR" : "en", 1);
	if (!setlocale(LC_MESSAGES, "") || strcmp(setlocale(LC_MESSAGES, NULL), "C") == 0 ||
	    strcmp(setlocale(LC_MESSAGES, NULL), "POSIX") == 0)
		setlocale(LC_MESSAGES, "C.UTF-8");
	cli_bind_catalogue();
	bind_textdomain_codeset("mailsim", "UTF-8");
	textdomain("mailsim");
	i18n_set_lang(lang);
	return true;
}
