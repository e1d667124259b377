"""Stopping: SIGTERM (and SIGINT) make `mailsim serve` exit 0 promptly,
also with clients connected and mail in flight, the log ending with a
"stop" line; --seconds N stops it by itself; --json prints one JSON object
per line with the stop event; the store is whole afterwards."""
import json
import os
import signal
import smtplib
import socket
import subprocess
import time

import livelib as L

# "Promptly": well before the 30 s retry of down_queue() below would come
# due, and with room for a busy machine (stopping takes milliseconds).
STOP_DEADLINE = 20.0


def read_until(s, end):
    """Read from socket s until what came ends with `end` (bytes); what
    came, or None if the server closed first."""
    got = b""
    while not got.endswith(end):
        data = s.recv(65536)
        if not data:
            return None
        got += data
    return got


def stop_with(t, srv, sig, name):
    t0 = time.monotonic()
    srv.proc.send_signal(sig)
    try:
        rc = srv.proc.wait(STOP_DEADLINE)
        took = time.monotonic() - t0
    except subprocess.TimeoutExpired:
        rc, took = None, None
        srv.proc.kill()
        srv.proc.wait(L.PATIENCE)
    srv._close()
    t.ok("%s: exits within %.0f s" % (name, STOP_DEADLINE), rc is not None, "still running")
    t.eq("%s: exit status 0" % name, rc, 0)
    return took


def last_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else ""


def run(t, mailsim, tmp):
    # SIGTERM with clients connected: an SMTP session half-way, an IMAP
    # session in IDLE, a POP3 session logged in, and a relay on its way
    srv = L.Server(mailsim, tmp, name="term")
    held = []
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        with smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT) as s:
            s.login("alice@uea.edu.br", "alice123")
            s.sendmail("alice@uea.edu.br", ["bob@gmail.com"],
                       L.message("alice@uea.edu.br", ["bob@gmail.com"], "in flight"))
        smtp = socket.create_connection((L.HOST, srv.smtp), timeout=L.SOCK_TIMEOUT)
        smtp.sendall(b"EHLO half.example.org\r\nMAIL FROM:<a@example.org>\r\n")
        pop = socket.create_connection((L.HOST, srv.pop3 + 1), timeout=L.SOCK_TIMEOUT)
        pop.sendall(b"USER bob@gmail.com\r\nPASS bob123\r\n")
        imap = socket.create_connection((L.HOST, srv.imap + 1), timeout=L.SOCK_TIMEOUT)
        imap.sendall(b"a LOGIN carol@gmail.com carol123\r\nb SELECT INBOX\r\nc IDLE\r\n")
        held = [smtp, pop, imap]
        # each session is where the test says once the client has its reply
        t.ok("SMTP half-way: MAIL FROM taken", (read_until(smtp, b"\r\n250 2.1.0 Ok\r\n") or b"")
             .endswith(b"250 2.1.0 Ok\r\n"))
        logged = b""
        while logged.count(b"\r\n") < 3:    # the greeting, USER's and PASS's answers
            data = pop.recv(65536)
            if not data:
                break
            logged += data
        t.ok("POP3 logged in", [l[:3] for l in logged.split(b"\r\n")[:3]] == [b"+OK"] * 3, logged)
        idle = read_until(imap, b"\r\n+ idling\r\n") or b""
        t.ok("IMAP in IDLE", idle.endswith(b"+ idling\r\n"), idle[-200:])
        stop_with(t, srv, signal.SIGTERM, "SIGTERM")
        log = srv.log()
        t.ok("SIGTERM: the log ends with a stop line", "* stop: live mode stopped by a signal" in last_line(log),
             last_line(log))
        t.eq("SIGTERM: nothing on stderr", srv.stderr(), "")
        # the clients see the connection end (EOF or reset), not a hang
        for name, s in zip(("SMTP", "POP3", "IMAP"), held):
            try:
                s.settimeout(L.PATIENCE)
                data = s.recv(65536)
                while data:
                    data = s.recv(65536)
                t.ok("%s client sees the close" % name, True)
            except ConnectionResetError:
                t.ok("%s client sees the close" % name, True)
            except OSError as e:
                t.ok("%s client sees the close" % name, False, repr(e))
        t.eq("the store is whole after SIGTERM", srv.sql("PRAGMA integrity_check"), [("ok",)])
        # what was acknowledged is in the store: delivered, or still queued
        where = srv.sql("SELECT (SELECT count(*) FROM messages WHERE subject = 'in flight'),"
                        " (SELECT count(*) FROM queue)")[0]
        t.ok("the relayed message is delivered or still queued", where in [(1, 0), (0, 1)], where)
    finally:
        for s in held:
            s.close()
        srv.terminate()

    # SIGTERM while a message waits in the queue for a retry: the stop must
    # leave it there (the store keeps the queue; a restart resumes it), not
    # play the remaining retries and bounce it after the stop line
    down_queue(t, mailsim, tmp)

    # SIGINT, as Ctrl-C
    srv = L.Server(mailsim, tmp, name="int")
    try:
        if t.ok("serve listens (SIGINT)", srv.wait_ready(), srv.stderr()):
            stop_with(t, srv, signal.SIGINT, "SIGINT")
            t.ok("SIGINT: the log ends with a stop line", "* stop: live mode stopped by a signal"
                 in last_line(srv.log()), last_line(srv.log()))
    finally:
        srv.terminate()

    # --seconds 1: stops by itself, exit 0
    srv = L.Server(mailsim, tmp, seconds=1, name="seconds")
    try:
        t0 = time.monotonic()
        try:
            rc = srv.proc.wait(L.PATIENCE)
        except subprocess.TimeoutExpired:
            rc = None
        took = time.monotonic() - t0
        t.eq("--seconds 1: exit 0", rc, 0)
        # at least the second; at most what a busy machine adds to a start
        t.ok("--seconds 1: a second, not much more (%.2f s)" % took, 0.8 <= took <= 30, took)
        t.ok("--seconds: the log ends with a stop line (no signal)",
             last_line(srv.log()).rstrip().endswith("* stop: live mode stopped"), last_line(srv.log()))
    finally:
        srv.terminate()

    # --json: every line after the table is one JSON object; a stop event
    srv = L.Server(mailsim, tmp, json_log=True, name="json")
    try:
        if t.ok("serve --json listens", srv.wait_ready(), srv.stderr()):
            with smtplib.SMTP(L.HOST, srv.smtp, timeout=L.SOCK_TIMEOUT) as s:
                s.sendmail("x@example.org", ["alice@uea.edu.br"],
                           L.message("x@example.org", ["alice@uea.edu.br"], "json run"))
            stop_with(t, srv, signal.SIGTERM, "SIGTERM --json")
            records, bad = [], []
            for line in srv.log().splitlines():
                if line.startswith("{"):
                    try:
                        records.append(json.loads(line))
                    except ValueError:
                        bad.append(line)
            t.eq("--json: every record parses", bad, [])
            t.ok("--json: protocol records have text, dir, proto", any(
                r.get("proto") == "smtp" and r.get("dir") == "c2s" and r.get("text", "").upper().startswith("MAIL FROM")
                for r in records), records[:5])
            stops = [i for i, r in enumerate(records) if r.get("event") == "stop"]
            t.ok("--json: a stop event", stops, records[-3:])
            if stops:
                t.ok("--json: nothing but a checks summary after the stop",
                     all("checks" in r for r in records[stops[-1] + 1:]), records[stops[-1]:])
    finally:
        srv.terminate()


DOWN = """title "The other server is down"
domain uea.edu.br server mail.uea.edu.br
domain gmail.com  server mx.gmail.com
user alice@uea.edu.br password alice123
user bob@gmail.com    password bob123
retry after 30s backoff 2 attempts 3
server mx.gmail.com down
"""


def down_queue(t, mailsim, tmp):
    scn = os.path.join(tmp, "down.scn")
    with open(scn, "w") as f:
        f.write(DOWN)
    db = os.path.join(tmp, "down.db")
    srv = L.Server(mailsim, tmp, scenario=scn, db=db, name="down")
    try:
        if not t.ok("serve (mx.gmail.com down) listens", srv.wait_ready(), srv.stderr()):
            return
        with smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT) as s:
            s.login("alice@uea.edu.br", "alice123")
            t.eq("mail for the down server accepted", s.sendmail(
                "alice@uea.edu.br", ["bob@gmail.com"],
                L.message("alice@uea.edu.br", ["bob@gmail.com"], "waits for a retry")), {})
        # the first attempt fails at once (refused); the next is due in 30 s
        first = L.wait_until(lambda: srv.sql("SELECT attempts FROM queue") == [(1,)])
        t.ok("first attempt failed, entry queued for a retry", first, srv.sql("SELECT * FROM queue"))
        stop_with(t, srv, signal.SIGTERM, "SIGTERM with a queued retry")
        log = srv.log()
        t.ok("queued retry: the log ends with the stop line",
             "* stop: live mode stopped by a signal" in last_line(log),
             "after the stop: " + " | ".join(
                 " ".join(l.split())[:60] for l in log[log.find("* stop:"):].splitlines()[1:])[:600])
        t.eq("queued retry: still in the queue after SIGTERM, attempts 1",
             srv.sql("SELECT attempts FROM queue"), [(1,)])
        t.eq("queued retry: no bounce after a 1-second run",
             srv.sql("SELECT subject FROM messages"), [])
    finally:
        srv.terminate()


if __name__ == "__main__":
    L.main(run)
