/*
 * serve.c - `mailsim serve [FILE]`: the world of FILE (or a built-in
 * classroom) on a real clock, its servers on real TCP sockets on loopback,
 * every line that crosses printed as it happens (--log, or --json).
 * On a terminal (stdin and stdout both, and neither --log nor --json),
 * the player instead, live: each real client a device on the map.
 */
#include "serve.h"

#include <assert.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "pcap.h"
#include "i18n.h"
#include "live.h"
#include "playback.h"
#include "player.h"
#include "scenario.h"
#include "store.h"
#include "view.h"
#include "world.h"

/* The built-in classroom: two domains, three users, passwords printed. */
static const char serve_classroom[] =
	"title \"The classroom\"\n"
	"domain uea.edu.br server mail.uea.edu.br\n"
	"domain gmail.com  server mx.gmail.com\n"
	"user alice@uea.edu.br password alice123 name \"Alice Raiol\"\n"
	"user bob@gmail.com    password bob123   name \"Bob Souza\"\n"
	"user carol@gmail.com  password carol123 name \"Carol\"\n";

static void serve_usage(FILE *out)
{
	fprintf(out,
		_("usage: mailsim serve [OPTIONS] [FILE]\n"
		  "\n"
		  "Run the world of FILE (or a built-in classroom) on a real clock, with its\n"
		  "mail servers listening on real TCP sockets, so that telnet, nc, curl, a mail\n"
		  "client or your own program can talk to them. Every line is printed as it\n"
		  "happens; on a terminal, the player shows it live instead (each real client\n"
		  "a device on the map; q stops). Stop with Ctrl-C.\n"
		  "\n"
		  "options:\n"
		  "  --bind ADDR            listen on ADDR (default 127.0.0.1, loopback only)\n"
		  "  --smtp-port N          the first server's SMTP port (default %d)\n"
		  "  --submission-port N    its submission port (default %d)\n"
		  "  --pop3-port N          its POP3 port (default %d)\n"
		  "  --imap-port N          its IMAP port (default %d)\n"
		  "                         (the next server listens one above each, and so on)\n"
		  "  --db FILE              keep the store in an SQLite file: what was\n"
		  "                         acknowledged survives a crash or a kill\n"
		  "  --max-conns N          connections in all (default %d)\n"
		  "  --max-per-client N     connections from one address (default %d)\n"
		  "  --log                  print the transcript (the default when not on a\n"
		  "                         terminal), line by line\n"
		  "  --json                 print JSON Lines instead, line by line\n"
		  "  --seconds N            stop by itself after N seconds\n"
		  "  --faults SPEC          inject faults for lab work, e.g.\n"
		  "                         rcpt451=3 (every 3rd RCPT gets 451), drop-data=2\n"
		  "                         (every 2nd message: the connection drops after its\n"
		  "                         \".\", nothing stored), slow=500ms (replies late)\n"
		  "  -h, --help             this text\n"),
		LIVE_DEFAULT_SMTP_PORT, LIVE_DEFAULT_SUBMISSION_PORT, LIVE_DEFAULT_POP3_PORT,
		LIVE_DEFAULT_IMAP_PORT, LIVE_DEFAULT_MAX_CONNS, LIVE_DEFAULT_MAX_PER_ADDR);
	fputs(_("  --pcap FILE            also write each connection's lines as a capture for\n"
		"                         Wireshark (pcapng; pcap if FILE ends in .pcap),\n"
		"                         whole when serve stops\n"),
	      out);
	fprintf(out,
		_("\n"
		  "TLS (OpenSSL): every server offers STARTTLS on its SMTP, submission, POP3\n"
		  "and IMAP ports, and listens for TLS from the first byte (RFC 8314) on three\n"
		  "more; logging in is refused before TLS:\n"
		  "  --submissions-port N   the first server's submissions port, 465 in the\n"
		  "                         real world (default %d)\n"
		  "  --pop3s-port N         its POP3S port, 995 in the real world (default %d)\n"
		  "  --imaps-port N         its IMAPS port, 993 in the real world (default %d)\n"
		  "  --tls-cert FILE        the certificate (PEM) instead of a self-signed one\n"
		  "                         made at start (naming every server, localhost and\n"
		  "                         127.0.0.1)\n"
		  "  --tls-key FILE         its private key (PEM)\n"
		  "  --plaintext-auth       allow AUTH, LOGIN, USER/PASS before TLS too\n"
		  "  --no-tls               no TLS at all: no STARTTLS, no TLS ports\n"),
		LIVE_DEFAULT_SUBMISSIONS_PORT, LIVE_DEFAULT_POP3S_PORT, LIVE_DEFAULT_IMAPS_PORT);
}

struct serve_out {
	struct view_text text;
	struct view_json json;
	bool as_json;
};

/* Each record as soon as it happens: a lab needs to see it now. */
static void serve_sink(void *ctx, const struct trace_rec *r)
{
	struct serve_out *o = ctx;
	if (o->as_json)
		view_json_sink(&o->json, r);
	else
		view_text_sink(&o->text, r);
	fflush(stdout);
}

/* The player on the terminal, ticked by the poll loop of live_run. */
struct serve_tui {
	struct player_live *pl;
	FILE *table;             /* live_run prints the ports here */
	char *table_text;
	size_t table_len;
	const char *header;      /* users and faults */
	char *info;              /* the ports, then the header */
};

static bool serve_tick(void *ctx, int *timeout_ms)
{
	struct serve_tui *t = ctx;
	assert(t->pl && t->table && t->header); /* serve_main set them before live_run */
	if (!t->info) { /* the first turn: the ports are listening */
		fflush(t->table);
		size_t n = t->table_len + strlen(t->header) + 1;
		t->info = xmalloc(n);
		snprintf(t->info, n, "%.*s%s", (int)t->table_len, t->table_text, t->header);
		player_live_info(t->pl, t->info);
	}
	return player_live_tick(t->pl, timeout_ms);
}

int serve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_LIVE_OPTIONS,
		{ "db", required_argument, NULL, 'd' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "max-per-client", required_argument, NULL, 'c' },
		{ "log", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "faults", required_argument, NULL, 'F' },
		{ "pcap", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct live_options lo;
	cli_live_defaults(&lo);
	const char *db = NULL;
	const char *faults = NULL, *pcap_path = NULL;
	struct serve_out out = { .as_json = false };
	bool as_log = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		CLI_LIVE_CASES:
			if (!cli_live_option("mailsim serve", c, optarg, &lo))
				return 2;
			break;
		case 'd':
			db = optarg;
			break;
		case 'm':
		case 'c':
		case 'S': {
			long v;
			if (!cli_number(optarg, 1, 1000000, &v)) {
				fprintf(stderr, _("mailsim serve: '%s' is not a number from 1 to 1000000\n"), optarg);
				return 2;
			}
			if (c == 'm')
				lo.max_conns = (int)v;
			else if (c == 'c')
				lo.max_per_addr = (int)v;
			else
				lo.stop_after_us = v * US_PER_SEC;
			break;
		}
		case 'F':
			faults = optarg;
			break;
		case 'W':
			pcap_path = optarg;
			break;
		case 'l':
			as_log = true;
			out.as_json = false;
			break;
		case 'j':
			out.as_json = true;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			fputs(_("mailsim: try 'mailsim serve --help'\n"), stderr);
			return 2;
		}
	}
	if (!cli_live_options_check("mailsim serve", &lo))
		return 2;
	if (argc - optind > 1) {
		fputs(_("mailsim serve: at most one scenario FILE (try 'mailsim serve --help')\n"), stderr);
		return 2;
	}
	struct scenario *scn;
	int errs = optind < argc ? scn_parse_file(argv[optind], &scn, stderr)
				 : scn_parse_string("classroom", serve_classroom,
						    sizeof serve_classroom - 1, &scn, stderr);
	if (errs)
		return 2;

	char err[512];
	struct store *st;
	struct world w;
	if (cli_world_open("mailsim", scn, db, &st, &w) != 0) {
		scn_free(scn);
		return 3;
	}
	if (faults && !world_faults_parse(&w.faults, faults, err, sizeof err)) {
		fprintf(stderr, _("mailsim serve: --faults: %s\n"), err);
		world_free(&w);
		store_close(st);
		scn_free(scn);
		return 2;
	}
	struct pcap_file cap;
	if (pcap_path && pcap_file_open(&cap, "mailsim serve", pcap_path, &w, true) != 0) {
		world_free(&w);
		store_close(st);
		scn_free(scn);
		return 3;
	}
	/* on a terminal: the player, live; the header goes into its panes */
	bool tui = !as_log && !out.as_json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	char *hdr_text = NULL;
	size_t hdr_len = 0;
	FILE *hdr = tui ? open_memstream(&hdr_text, &hdr_len) : stdout;
	if (!hdr) {
		fputs(_("mailsim serve: out of memory\n"), stderr);
		world_free(&w);
		store_close(st);
		scn_free(scn);
		return 3;
	}
	view_text_init(&out.text, stdout, cli_live_host_width(&w));
	view_json_init(&out.json, stdout);

	if (!tui)
		printf("mailsim serve: %s\n", scn->title ? scn->title : argv[optind]);
	cli_print_users(hdr, scn);
	if (w.faults.rcpt_451_every)
		fprintf(hdr, _("  fault: one RCPT in %u gets 451 4.3.0 (try again later)\n"),
			w.faults.rcpt_451_every);
	if (w.faults.drop_data_every)
		fprintf(hdr, _("  fault: for one message in %u, the connection drops after its final \".\"\n"),
			w.faults.drop_data_every);
	if (w.faults.slow_us)
		fprintf(hdr, _("  fault: every reply arrives %lld ms late\n"),
			(long long)(w.faults.slow_us / US_PER_MS));
	int rc = 0;
	struct playback *pb = NULL;
	struct serve_tui tt = { 0 };
	char title[256];
	struct player_opts po = { 0 };
	if (tui) {
		fflush(hdr);
		tt.header = hdr_text;
		tt.table = open_memstream(&tt.table_text, &tt.table_len);
		if (!tt.table)
			tui = false; /* no memory: the transcript, then */
	}
	if (tui) {
		pb = cli_playback_record(&w, true); /* as `play`, and clients join */
		snprintf(title, sizeof title, "%s (serve)", scn->title ? scn->title : argv[optind]);
		po = (struct player_opts){
			.title = title,
			.mono = cli_no_color(),
			.anim = true,
			.start = SIZE_MAX,
			.speed = PLAYER_SPEED_1X,
		};
		/* the terminal is taken before live_run sets its SIGINT/SIGTERM
		 * handlers, so that those stop serve cleanly (then endwin) */
		tt.pl = player_live_open(pb, &po);
		lo.tick = serve_tick;
		lo.tick_ctx = &tt;
		lo.tick_fd = STDIN_FILENO;
	} else {
		trace_add_sink(&w.trace, serve_sink, &out);
	}
	if (live_run(&w, &lo, tui ? tt.table : stdout, err, sizeof err) != 0) {
		if (tui)
			player_screen_close();
		fprintf(stderr, "mailsim serve: %s\n", err);
		rc = 3;
	}
	if (tui) {
		player_live_close(tt.pl);
		player_screen_close();
		fclose(tt.table);
		free(tt.table_text);
		free(tt.info);
		pb_free(pb);
	}
	if (hdr != stdout) {
		fclose(hdr);
		free(hdr_text);
	}
	fflush(stdout);
	if (pcap_path && pcap_file_close(&cap, "mailsim serve") != 0)
		rc = 3;
	world_free(&w); /* prints nothing more: the stop line is the last */
	view_text_free(&out.text);
	view_json_free(&out.json);
	store_close(st);
	scn_free(scn);
	return rc;
}
