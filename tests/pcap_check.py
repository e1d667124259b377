#!/usr/bin/env python3
"""tests/pcap_check.py TRACE.jsonl CAPTURE - check a `run --pcap` capture
against the `run --json` trace of the same run, with tshark only (no code
of mailsim): prints one "FAIL what" line per difference, exits 1 if any.

- no malformed packet (but Wireshark 4.0's POP dissector wants an octet
  count after "+OK" for TOP too, which RFC 1939 7 does not ask for)
- no TCP analysis flag but retransmissions, as many as the trace's losses
- "Follow TCP Stream" (follow,tcp,raw) of each session gives its lines and
  CRLF, byte for byte, each way; a line inside TLS, a record of its length
- the SMTP, POP and IMAP dissectors find the client's commands; DNS the
  questions and answers
"""
import collections
import json
import subprocess
import sys

trace, cap = sys.argv[1], sys.argv[2]
fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL", msg)


def tshark(*args):
    out = subprocess.run(["tshark", "-r", cap, *args], capture_output=True, text=True,
                         errors="replace")
    if out.returncode != 0:
        fail("tshark %s: %s" % (" ".join(args), out.stderr.strip()))
    return out.stdout


# one pass over the capture for every field, one for every stream
NAMES = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.flags.syn", "tcp.flags.ack",
         "tcp.flags.reset", "tcp.analysis.flags", "tcp.analysis.retransmission",
         "_ws.malformed", "pop.response.description", "smtp.req.command",
         "pop.request.command", "imap.request.command", "dns.flags.response", "dns.qry.name"]
ARGS = ["-T", "fields", "-E", "occurrence=f"] + sum((["-e", n] for n in NAMES), [])
PKTS = [dict(zip(NAMES, line.split("\t"))) for line in tshark(*ARGS).splitlines()]


def fields(test, *names):
    return [[p[n] for n in names] for p in PKTS if test(p)]


recs = [json.loads(line) for line in open(trace, encoding="utf-8")]
lines = [r for r in recs if "proto" in r]
losses = 0
for r in recs:
    if r.get("event") == "loss":
        losses += int(next(w for w in r["detail"].split() if w.isdigit()))

# ---- malformed, analysis flags
bad = fields(lambda p: p["_ws.malformed"] and "top of message" not in
             p["pop.response.description"], "frame.number")
if bad:
    fail("malformed packets: %s" % " ".join(b[0] for b in bad))
flags = fields(lambda p: p["tcp.analysis.flags"] and not p["tcp.analysis.retransmission"],
               "frame.number")
if flags:
    fail("TCP analysis flags: frames %s" % " ".join(f[0] for f in flags))
# a lost line is sent again; a SYN that gets no answer too (1, 3, 7, 15 s)
retrans = len(fields(lambda p: p["tcp.analysis.retransmission"] and p["tcp.flags.syn"] != "1",
                     "frame.number"))
if retrans != losses:
    fail("%d retransmissions for %d losses" % (retrans, losses))
syns = len(fields(lambda p: p["tcp.analysis.retransmission"] and p["tcp.flags.syn"] == "1",
                  "frame.number"))
timeouts = sum(1 for r in recs if r.get("event") == "connect-failed" and
               "timed out" in r["detail"])
if syns and not timeouts or timeouts and not syns:
    fail("%d SYN retransmissions for %d connections timed out" % (syns, timeouts))

# ---- follow each session's stream
sessions = collections.OrderedDict()
for r in lines:
    if r["proto"] != "dns":
        sessions.setdefault(r["session"], []).append(r)
streams = {}
for stream, sport in fields(lambda p: p["tcp.flags.syn"] == "1" and
                            p["tcp.flags.ack"] == "0",
                            "tcp.stream", "tcp.srcport"):
    streams[int(sport) - 49152] = stream
follow = sum((["-z", "follow,tcp,raw,%s" % streams[sid]] for sid in sessions if sid in streams), [])
out = tshark("-q", *follow) if follow else ""
got_by_stream = {}
for part in out.split("=" * 67 + "\nFollow: tcp,raw\n")[1:]:
    head, _, body = part.partition("\nNode 1: ")
    stream = head.split("tcp.stream eq ")[1].split()[0]
    got = {"c2s": b"", "s2c": b""}
    for row in body.split("\n")[1:]:
        if not row.strip() or row.startswith("="):
            continue
        got["s2c" if row.startswith("\t") else "c2s"] += bytes.fromhex(row.strip())
    got_by_stream[stream] = got
for sid, recs_s in sessions.items():
    if sid not in streams:
        fail("session %d: no TCP stream" % sid)
        continue
    got = got_by_stream.get(streams[sid], {"c2s": b"", "s2c": b""})
    for d in ("c2s", "s2c"):
        plain = b""
        total = 0
        for r in recs_s:
            if r["dir"] != d:
                continue
            data = r["text"].encode("utf-8") + b"\r\n"
            if r.get("tls"):
                total += 5 + len(data)
            else:
                if total == len(plain):
                    plain += data
                total += len(data)
        if got[d][:len(plain)] != plain or len(got[d]) != total:
            fail("session %d %s: the stream's bytes differ from the trace's lines" % (sid, d))

# ---- the dissectors find the commands
# IMAP's commands (RFC 9051 6): Wireshark 4.0 also takes the lines of an
# APPEND's literal for commands, so only these are counted, both sides
IMAP_COMMANDS = set("""CAPABILITY NOOP LOGOUT STARTTLS AUTHENTICATE LOGIN ENABLE SELECT
EXAMINE CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE LIST LSUB NAMESPACE STATUS APPEND
IDLE CHECK CLOSE UNSELECT EXPUNGE SEARCH FETCH STORE COPY MOVE""".split())


def commands(proto):
    """The client's commands in the trace, as the dissector names them."""
    want = collections.Counter()
    for sid, recs_s in sessions.items():
        if recs_s[0]["proto"] != proto:
            continue
        in_data = after_cont = False
        for r in recs_s:
            if r.get("tls"):
                break
            if r["dir"] == "s2c":
                t = r["text"]
                after_cont = t.startswith("334") if proto == "smtp" else t.startswith("+ ")
                continue
            words = r["text"].split()
            if in_data:
                in_data = r["text"] != "."
                continue
            if after_cont:
                after_cont = False
                continue
            if proto == "imap":
                if len(words) >= 3 and words[1].upper() == "UID":
                    words = words[1:]  # Wireshark names the command after UID
                if len(words) >= 2 and words[1].upper() in IMAP_COMMANDS:
                    want[words[1].upper()] += 1
                continue
            if words:
                want[words[0].upper()[:4] if proto == "smtp" else words[0].upper()] += 1
                in_data = proto == "smtp" and words[0].upper() == "DATA"
    return want


for proto, field in (("smtp", "smtp.req.command"), ("pop3", "pop.request.command"),
                     ("imap", "imap.request.command")):
    want = commands(proto)
    got = collections.Counter(f[0].upper() for f in fields(lambda p: p[field], field))
    if proto == "imap":
        got = collections.Counter({k: v for k, v in got.items() if k in IMAP_COMMANDS})
    if proto == "smtp":  # Wireshark 4.0 shows a command's first four letters ("STAR")
        got = collections.Counter(k[:4] for k in got.elements())
    if want != got:
        fail("%s commands: trace %s, capture %s" % (proto, dict(want), dict(got)))

qs = [r for r in lines if r["proto"] == "dns" and r["dir"] == "c2s"]
want = collections.Counter(r["text"].split()[0].rstrip(".").lower() for r in qs)
got = collections.Counter(f[0].lower() for f in
                          fields(lambda p: p["dns.flags.response"] == "0", "dns.qry.name"))
if want != got:
    fail("DNS questions: trace %s, capture %s" % (dict(want), dict(got)))
answers = len(fields(lambda p: p["dns.flags.response"] == "1", "frame.number"))
if answers != len(qs):
    fail("%d DNS answers for %d questions" % (answers, len(qs)))
sys.exit(1 if fails else 0)
