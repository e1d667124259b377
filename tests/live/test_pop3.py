"""POP3 with Python's poplib against `mailsim serve`: USER/PASS, STAT,
LIST, UIDL, TOP, RETR, DELE, RSET, QUIT; the maildrop lock ([IN-USE]) and
[AUTH]; then what the store holds: the DELEted rows gone after QUIT, and
nothing deleted by a session that ends without QUIT."""
import poplib
import smtplib

import livelib as L

BOB = "bob@gmail.com"
SUBJECTS = ["pop one", "pop two", "pop three", "pop four"]


def inbox(srv):
    """uid -> (size, content) of bob's INBOX; uidvalidity."""
    rows = srv.sql(
        "SELECT m.uid, m.size, m.content, f.uidvalidity FROM messages m "
        "JOIN folders f ON f.id = m.folder_id JOIN accounts a ON a.id = f.account_id "
        "WHERE a.address = ? AND f.name = 'INBOX' ORDER BY m.uid", (BOB,))
    return [(r[0], r[1], bytes(r[2]), r[3]) for r in rows]


def run(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp)
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        body(t, srv)
    finally:
        t.eq("serve exits 0 on SIGTERM", srv.terminate(), 0)


def body(t, srv):
    # four messages for bob, delivered locally on port 25 of mx.gmail.com
    with smtplib.SMTP(L.HOST, srv.port("smtp", 1), timeout=L.SOCK_TIMEOUT) as s:
        for i, subj in enumerate(SUBJECTS):
            text = "line one\r\n.a line that starts with a dot\r\n" + "x" * (100 * i) + "\r\n"
            s.sendmail("prof@example.org", [BOB], L.message("prof@example.org", [BOB], subj, text))
    t.ok("four messages in bob's INBOX", srv.wait_subjects(BOB, SUBJECTS), srv.subjects(BOB))
    rows = inbox(srv)
    port = srv.port("pop3", 1)

    # a wrong password: -ERR [AUTH]
    p = poplib.POP3(L.HOST, port, timeout=L.SOCK_TIMEOUT)
    t.ok("greeting +OK", p.getwelcome().startswith(b"+OK"), p.getwelcome())
    p.user(BOB)
    try:
        p.pass_("nope")
        t.ok("wrong password refused", False, "accepted")
    except poplib.error_proto as e:
        t.ok("wrong password -ERR [AUTH]", str(e).find("[AUTH]") >= 0, e)
    p.quit()

    p = poplib.POP3(L.HOST, port, timeout=L.SOCK_TIMEOUT)
    caps = p.capa()
    t.ok("CAPA lists UIDL, TOP, USER", all(k in caps for k in ("UIDL", "TOP", "USER")), caps)
    t.ok("USER +OK", p.user(BOB).startswith(b"+OK"))
    t.ok("PASS +OK", p.pass_("bob123").startswith(b"+OK"))

    # the maildrop is locked while this session is in TRANSACTION
    q = poplib.POP3(L.HOST, port, timeout=L.SOCK_TIMEOUT)
    q.user(BOB)
    try:
        q.pass_("bob123")
        t.ok("second session refused", False, "logged in")
    except poplib.error_proto as e:
        t.ok("second session -ERR [IN-USE]", str(e).find("[IN-USE]") >= 0, e)
    try:
        q.quit()
    except (poplib.error_proto, OSError):
        pass

    count, octets = p.stat()
    t.eq("STAT count", count, len(rows))
    t.eq("STAT octets = sum of messages.size", octets, sum(r[1] for r in rows))
    resp, lines, _ = p.list()
    listed = [tuple(int(x) for x in l.split()) for l in lines]
    t.eq("LIST sizes = messages.size", listed, [(i + 1, r[1]) for i, r in enumerate(rows)])
    t.eq("LIST 2", p.list(2), b"+OK 2 %d" % rows[1][1])
    resp, lines, _ = p.uidl()
    uidls = [l.split()[1].decode() for l in lines]
    t.eq("UIDL is UIDVALIDITY.UID", uidls, ["%d.%d" % (r[3], r[0]) for r in rows])
    t.eq("UIDL 3", p.uidl(3).split()[2].decode(), uidls[2])

    resp, lines, _ = p.top(1, 0)
    head = b"\r\n".join(lines)
    t.ok("TOP 1 0: the headers", b"Subject: pop one" in head, head)
    t.ok("TOP 1 0: no body", b"line one" not in head, head)
    resp, lines, _ = p.top(1, 1)
    t.ok("TOP 1 1: one body line", lines[-1] == b"line one" and b".a line" not in b"\n".join(lines),
         lines[-3:])

    resp, lines, octets2 = p.retr(2)
    got = b"\r\n".join(lines) + b"\r\n"
    t.eq("RETR 2 = messages.content (dot-unstuffed)", got, rows[1][2])

    t.ok("DELE 1", p.dele(1).startswith(b"+OK"))
    t.ok("DELE 2", p.dele(2).startswith(b"+OK"))
    try:
        p.retr(1)
        t.ok("RETR of a deleted message refused", False, "answered")
    except poplib.error_proto:
        t.ok("RETR of a deleted message refused", True)
    t.eq("STAT after DELE", p.stat()[0], len(rows) - 2)
    t.eq("DELE only marks: rows still there before QUIT", len(inbox(srv)), len(rows))
    resp = p.quit()
    t.ok("QUIT +OK", resp.startswith(b"+OK"), resp)
    after = inbox(srv)
    t.eq("after QUIT: the two DELEted rows are gone", [r[0] for r in after], [r[0] for r in rows[2:]])
    t.eq("subjects left", srv.subjects(BOB), SUBJECTS[2:])

    # DELE then RSET, then QUIT: nothing deleted
    p = poplib.POP3(L.HOST, port, timeout=L.SOCK_TIMEOUT)
    p.user(BOB)
    p.pass_("bob123")
    t.eq("renumbered: STAT 2", p.stat()[0], 2)
    t.eq("UIDL kept for the survivors", [l.split()[1].decode() for l in p.uidl()[1]], uidls[2:])
    p.dele(1)
    t.ok("RSET +OK", p.rset().startswith(b"+OK"))
    p.quit()
    t.eq("DELE undone by RSET: nothing deleted", [r[0] for r in inbox(srv)], [r[0] for r in rows[2:]])

    # DELE then the connection drops without QUIT: nothing deleted
    p = poplib.POP3(L.HOST, port, timeout=L.SOCK_TIMEOUT)
    p.user(BOB)
    p.pass_("bob123")
    p.dele(1)
    p.dele(2)
    p.sock.close()
    p.file.close()

    # the lock is released once the server notices the dropped session
    def relogin():
        c = poplib.POP3(L.HOST, port, timeout=L.SOCK_TIMEOUT)
        c.user(BOB)
        try:
            c.pass_("bob123")
            return c
        except poplib.error_proto:
            try:
                c.quit()
            except (poplib.error_proto, OSError):
                pass
            return None
    p = L.wait_until(relogin, L.PATIENCE, 0.1)
    if t.ok("lock released after a dropped session", p is not None):
        t.eq("dropped session deleted nothing (STAT)", p.stat()[0], 2)
        p.quit()
    t.eq("dropped session deleted nothing (store)", [r[0] for r in inbox(srv)], [r[0] for r in rows[2:]])
    t.eq("integrity_check", srv.sql("PRAGMA integrity_check"), [("ok",)])


if __name__ == "__main__":
    L.main(run)
