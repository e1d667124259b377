/*
 * pcap.h - the capture view of the trace: `run --pcap FILE` and
 * `serve --pcap FILE` write every connection the trace tells of as the
 * packets a wiretap would have seen, in a file Wireshark and tshark open.
 *
 * A trace sink like the transcript and the JSON view (views.c): it reads
 * the records and never runs protocol logic.  No packet ever leaves the
 * machine: this is a file.
 */
#ifndef MAILSIM_PCAP_H
#define MAILSIM_PCAP_H

#include <stdbool.h>
#include <stdio.h>

#include "trace.h"

struct pcap;

/*
 * A capture written to `out`: pcapng, or the classic pcap format when
 * `classic` (no comments, no names in it).  `epoch_unix` is the Unix time
 * of simulated time 0.  `live`: records come from real connections as
 * they happen; each is written at once, and the file is valid after each
 * record (the caller flushes `out`).  Otherwise packets are kept and
 * written in time order by pcap_finish.
 */
struct pcap *pcap_new(FILE *out, bool classic, bool live, int64_t epoch_unix);
/* A host's simulated IPv4 address ("198.51.100.1"); before any record.
 * The resolver "dns" has 203.0.113.53 unless given here. */
void pcap_host(struct pcap *p, const char *name, const char *addr);
void pcap_sink(void *ctx, const struct trace_rec *r);
/* Close what is still open (FIN) and write what is kept; then free. */
void pcap_finish(struct pcap *p);
void pcap_free(struct pcap *p);

/*
 * `--pcap FILE` of run and serve: open FILE (pcap when its name ends in
 * ".pcap", else pcapng), name w's hosts and add the sink to w's trace;
 * close writes what is kept and closes FILE.  Each 0, or -1 after saying
 * "PROG: cannot write FILE: REASON" on stderr.
 */
struct world;
struct pcap_file {
	FILE *f;
	struct pcap *p;
	const char *path;
};
int pcap_file_open(struct pcap_file *cf, const char *prog, const char *path, struct world *w,
		   bool live);
int pcap_file_close(struct pcap_file *cf, const char *prog);

#endif
