"""Concurrency: 500 clients connect at once and each is greeted (220), then
all QUIT (221); the caps: --max-per-client 3 refuses the 4th connection
with 421 (POP3: -ERR [SYS/TEMP], IMAP: * BYE) and closes it, and a slot
freed is a slot given again; --max-conns likewise."""
import imaplib
import resource
import selectors
import smtplib
import socket
import time

import livelib as L

CLIENTS = 500
GREET_DEADLINE = L.PATIENCE


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n and (hard == resource.RLIM_INFINITY or hard >= n):
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def read_lines(socks, want, deadline):
    """Read from every socket until it has `want(buffer)` true or is closed
    or the deadline passes; returns the buffers."""
    bufs = {s: b"" for s in socks}
    closed = set()
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    pending = set(socks)
    end = time.monotonic() + deadline
    while pending and time.monotonic() < end:
        for key, _ in sel.select(timeout=max(0.0, min(1.0, end - time.monotonic()))):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                bufs[s] += data
            else:
                closed.add(s)
            if not data or want(bufs[s]):
                sel.unregister(s)
                pending.discard(s)
    sel.close()
    for s in socks:
        s.setblocking(True)
        s.settimeout(L.SOCK_TIMEOUT)
    return bufs, closed


def run(t, mailsim, tmp):
    limit = raise_nofile(4096)
    if not t.ok("enough descriptors for %d clients (%d)" % (CLIENTS, limit), limit > CLIENTS + 50):
        return
    many(t, mailsim, tmp)
    imap_sessions(t, mailsim, tmp)
    caps(t, mailsim, tmp)


def imap_sessions(t, mailsim, tmp):
    """20 IMAP sessions on one INBOX, each adding its own keyword and
    flag to the same message, interleaved: no update may be lost (each
    +FLAGS adds to what the store holds, not to a session's stale view;
    RFC 3501 6.4.6)."""
    srv = L.Server(mailsim, tmp, name="imap")
    sessions = []
    try:
        if not t.ok("serve listens (IMAP sessions)", srv.wait_ready(), srv.stderr()):
            return
        with smtplib.SMTP(L.HOST, srv.smtp + 1, timeout=L.SOCK_TIMEOUT) as s:
            s.sendmail("x@example.org", ["bob@gmail.com"], L.message("x@example.org", ["bob@gmail.com"], "shared"))
        srv.wait_subjects("bob@gmail.com", ["shared"])
        for i in range(20):
            m = imaplib.IMAP4(L.HOST, srv.imap + 1, timeout=L.SOCK_TIMEOUT)
            m.login("bob@gmail.com", "bob123")
            m.select("INBOX")
            sessions.append(m)
        answers = []
        for i, m in enumerate(sessions):     # every session selected before any STORE
            typ, data = m.store("1", "+FLAGS", "($K%02d)" % i)
            answers.append(typ)
        flags = ["\\Seen", "\\Answered", "\\Flagged"]
        for i, m in enumerate(sessions[:3]):
            m.store("1", "+FLAGS.SILENT", "(%s)" % flags[i])
        t.eq("20 STOREs OK", answers, ["OK"] * 20)
        row = srv.sql("SELECT flags & ~32, keywords FROM messages WHERE subject = 'shared'")[0]
        kws = sorted(row[1].split())
        t.eq("no keyword lost: all 20 in the store", kws, ["$K%02d" % i for i in range(20)])
        t.eq("no flag lost: \\Seen \\Answered \\Flagged in the store", row[0], 1 | 2 | 4)
        typ, data = sessions[0].fetch("1", "(FLAGS)")
        got = data[-1] if data else b""
        t.ok("session 0 sees every keyword", all(b"$K%02d" % i in got for i in range(20)), data)
        # a body FETCH marks \\Seen: it must not undo another session's flag
        with smtplib.SMTP(L.HOST, srv.smtp + 1, timeout=L.SOCK_TIMEOUT) as s:
            s.sendmail("x@example.org", ["bob@gmail.com"], L.message("x@example.org", ["bob@gmail.com"], "second"))
        srv.wait_subjects("bob@gmail.com", ["second"])
        a, b = sessions[3], sessions[4]
        a.noop()
        b.noop()                                   # both know message 2
        t.eq("session B flags message 2", b.store("2", "+FLAGS.SILENT", "(\\Flagged $B)")[0], "OK")
        t.eq("session A reads message 2 (BODY[])", a.fetch("2", "(BODY[])")[0], "OK")
        row = srv.sql("SELECT flags & ~32, keywords FROM messages WHERE subject = 'second'")[0]
        t.eq("FETCH BODY[] adds \\Seen and keeps B's \\Flagged $B", row, (1 | 4, "$B"))
        for m in sessions:
            m.logout()
        sessions = []
    finally:
        for m in sessions:
            try:
                m.shutdown()
            except OSError:
                pass
        t.eq("serve exits 0 after the IMAP sessions", srv.terminate(), 0)


def many(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp, name="many")
    socks = []
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        failed = []
        for i in range(CLIENTS):           # a tight loop: all before any reads
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(L.SOCK_TIMEOUT)
            try:
                s.connect((L.HOST, srv.smtp))
                socks.append(s)
            except OSError as e:
                failed.append(repr(e))
                s.close()
        t.eq("%d connects succeed" % CLIENTS, (len(socks), failed[:3]), (CLIENTS, []))
        bufs, closed = read_lines(socks, lambda b: b.endswith(b"\r\n"), GREET_DEADLINE)
        greeted = [s for s in socks if bufs[s].startswith(b"220 mail.uea.edu.br ")]
        bad = [bufs[s] for s in socks if s not in greeted][:3]
        t.eq("all %d greeted with 220" % CLIENTS, len(greeted), CLIENTS)
        if bad:
            print("    not greeted, e.g.: %r" % bad)
        t.eq("none closed before QUIT", len(closed), 0)

        # while all 500 are connected, the server still does its work
        with smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT) as s:
            s.login("alice@uea.edu.br", "alice123")
            t.eq("a message sent while 500 wait", s.sendmail(
                "alice@uea.edu.br", ["alice@uea.edu.br"],
                L.message("alice@uea.edu.br", ["alice@uea.edu.br"], "among 500")), {})
        t.ok("...and stored", srv.wait_subjects("alice@uea.edu.br", ["among 500"]))

        # all 500 talk at once: EHLO, answered in full to each
        for s in socks:
            try:
                s.sendall(b"EHLO many.example.org\r\n")
            except OSError:
                pass
        bufs, closed = read_lines(socks, lambda b: b"\r\n250 " in b and b.endswith(b"\r\n"), GREET_DEADLINE)
        t.eq("all %d answered EHLO in full" % CLIENTS,
             sum(1 for s in socks if bufs[s].startswith(b"250-mail.uea.edu.br") and b"\r\n250 HELP\r\n" in bufs[s]),
             CLIENTS)

        for s in socks:
            try:
                s.sendall(b"QUIT\r\n")
            except OSError:
                pass
        bufs, closed = read_lines(socks, lambda b: False, GREET_DEADLINE)   # until EOF
        byes = sum(1 for s in socks if b"\r\n221 " in bufs[s] or bufs[s].startswith(b"221 "))
        t.eq("all %d answered 221 to QUIT" % CLIENTS, byes, CLIENTS)
        t.eq("all %d closed by the server after 221" % CLIENTS, len(closed), CLIENTS)
        log = srv.log()
        # (and wait_ready's probe or two)
        n = log.count("* connect: connect to mail.uea.edu.br port 25 ")
        t.ok("log: %d connects" % CLIENTS, CLIENTS <= n <= CLIENTS + 5, n)
        t.ok("log: nobody refused", "too many connections" not in log)
    finally:
        for s in socks:
            s.close()
        t.eq("serve exits 0 after 500 clients", srv.terminate(), 0)


def greet(port):
    s = socket.create_connection((L.HOST, port), timeout=L.SOCK_TIMEOUT)
    f = s.makefile("rb")
    return s, f, f.readline()


def caps(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp, extra=["--max-per-client", "3"], name="cap")
    held = []
    try:
        if not t.ok("serve --max-per-client 3 listens", srv.wait_ready(), srv.stderr()):
            return
        for i in range(3):
            s, f, line = greet(srv.smtp)
            held.append((s, f))
            t.ok("connection %d greeted 220" % (i + 1), line.startswith(b"220 "), line)
        s, f, line = greet(srv.smtp)
        t.ok("the 4th gets 421", line.startswith(b"421 "), line)
        t.ok("421 carries 4.7.0", line.startswith(b"421 4.7.0"), line)
        t.eq("...and is closed", f.read(), b"")
        s.close()
        # the cap is per client address, whatever the port
        s, f, line = greet(srv.pop3)
        t.ok("POP3 over the cap: -ERR [SYS/TEMP]", line.startswith(b"-ERR [SYS/TEMP]"), line)
        t.eq("...and is closed", f.read(), b"")
        s.close()
        s, f, line = greet(srv.imap + 1)
        t.ok("IMAP over the cap: * BYE", line.startswith(b"* BYE"), line)
        t.eq("...and is closed", f.read(), b"")
        s.close()
        # the held ones still work
        s, f = held[0]
        s.sendall(b"NOOP\r\n")
        t.ok("a held connection still served", f.readline().startswith(b"250 "))
        # one QUITs: its slot is given to the next
        s.sendall(b"QUIT\r\n")
        f.readline()
        t.eq("closed after QUIT", f.read(), b"")
        s.close()
        held.pop(0)

        def again():
            s, f, line = greet(srv.smtp)
            if line.startswith(b"220 "):
                held.append((s, f))
                return True
            s.close()
            return False
        t.ok("a freed slot is given again", L.wait_until(again, L.PATIENCE, 0.1))
        t.ok("log: the refusal is told", "refused: too many connections" in srv.log())
    finally:
        for s, f in held:
            s.close()
        t.eq("serve --max-per-client exits 0", srv.terminate(), 0)

    srv = L.Server(mailsim, tmp, extra=["--max-conns", "2"], name="maxconns")
    held = []
    try:
        if not t.ok("serve --max-conns 2 listens", srv.wait_ready(), srv.stderr()):
            return
        for port in (srv.smtp, srv.imap):
            s, f, line = greet(port)
            held.append(s)
        s, f, line = greet(srv.submission + 1)
        t.ok("--max-conns 2: the 3rd gets 421", line.startswith(b"421 "), line)
        t.eq("...and is closed", f.read(), b"")
        s.close()
    finally:
        for s in held:
            s.close()
        t.eq("serve --max-conns exits 0", srv.terminate(), 0)


if __name__ == "__main__":
    L.main(run)
