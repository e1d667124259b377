"""Trace fields and ids against `mailsim serve`: the Received: line names
the real client as RFC 5321 4.4 writes TCP-info, "(localhost [127.0.0.1])"
with no port; the submission port adds Date: and Message-ID: to a message
that has none (RFC 6409 8); and a server started twice on the same --db
never hands out a queue id or a bounce's Message-ID again (RFC 5322
3.6.4)."""
import re
import smtplib

import livelib as L

ALICE = "alice@uea.edu.br"
NOWHERE = "someone@nowhere.invalid"   # no such domain: the relay bounces
BOUNCE_SUBJECT = "Undelivered Mail Returned to Sender"

BARE = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nNo Date, no Message-ID.\r\n"


def content_of(srv, subject):
    rows = srv.sql(
        "SELECT m.content FROM messages m JOIN folders f ON f.id = m.folder_id "
        "JOIN accounts a ON a.id = f.account_id WHERE a.address = ? AND m.subject = ? "
        "ORDER BY m.uid", (ALICE, subject))
    return [bytes(r[0]) for r in rows]


def submit(srv, rcpt, subject):
    """Send a bare message on submission; the queue id of its 250 reply."""
    with smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT) as s:
        s.ehlo("live-test")
        s.login(ALICE, "alice123")
        s.mail(ALICE)
        s.rcpt(rcpt)
        code, msg = s.data((BARE % (ALICE, rcpt, subject)).encode())
    m = re.search(rb"queued as ([0-9A-F]+)", msg)
    return code, (m.group(1).decode() if m else None)


def bounce_once(t, srv, n):
    """One bounce: mail for a domain that does not exist.  Returns its
    Message-ID and the queue id of the message that bounced."""
    code, qid = submit(srv, NOWHERE, "to nowhere %d" % n)
    t.eq("run %d: 250 for the doomed message" % n, code, 250)
    def bounces():
        rows = srv.sql(
            "SELECT m.message_id FROM messages m JOIN folders f ON f.id = m.folder_id "
            "WHERE f.name = 'INBOX' AND m.subject = ? ORDER BY m.uid", (BOUNCE_SUBJECT,))
        return rows if len(rows) >= n else None
    got = L.wait_until(bounces, 10) or []
    t.eq("run %d: the bounces in alice's INBOX" % n, len(got), n)
    return (got[-1][0] if got else None), qid


def run(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp)
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        received(t, srv)
        first = bounce_once(t, srv, 1)
    finally:
        t.eq("serve exits 0 on SIGTERM", srv.terminate(), 0)

    # the same --db, a new process
    again = L.Server(mailsim, tmp, db=srv.db)
    try:
        if not t.ok("serve listens again on the same --db", again.wait_ready(), again.stderr()):
            return
        second = bounce_once(t, again, 2)
    finally:
        t.eq("second serve exits 0 on SIGTERM", again.terminate(), 0)
    t.ok("the two bounces have Message-IDs", first[0] and second[0], (first, second))
    t.ok("the second bounce's Message-ID is not the first one's", first[0] != second[0],
         (first[0], second[0]))
    t.ok("queue ids given", first[1] and second[1], (first[1], second[1]))
    t.ok("the second run's queue id is not the first run's", first[1] != second[1],
         (first[1], second[1]))


def received(t, srv):
    code, qid = submit(srv, ALICE, "bare on 587")
    t.eq("bare message accepted", code, 250)
    with smtplib.SMTP(L.HOST, srv.smtp, timeout=L.SOCK_TIMEOUT) as s:
        s.ehlo("relay.example.org")
        s.sendmail("someone@example.org", [ALICE],
                   BARE % ("someone@example.org", ALICE, "bare on 25"))
    t.ok("both arrive", srv.wait_subjects(ALICE, ["bare on 587", "bare on 25"]),
         srv.subjects(ALICE))

    got = content_of(srv, "bare on 587")
    m = got[0] if got else b""
    t.ok("Received: TCP-info is the loopback address, named localhost, no port",
         re.search(rb"\r\nReceived: from live-test \(localhost \[127\.\d+\.\d+\.\d+\]\)\r\n\tby ",
                   m), m[:200])
    t.ok("Received: carries the queue id of the 250", qid and
         (" with ESMTPA id %s\r\n" % qid).encode() in m, (qid, m[:200]))
    head = m.split(b"\r\n\r\n", 1)[0]
    dates = re.findall(rb"\r\nDate: ([^\r]+)", head)
    ids = re.findall(rb"\r\nMessage-ID: (<[^\r]+>)", head)
    t.eq("submission added one Date:", len(dates), 1)
    t.eq("submission added one Message-ID:", len(ids), 1)
    if ids and qid:
        t.ok("Message-ID is <YYYYMMDDhhmmss.QUEUEID@server>",
             re.fullmatch(rb"<\d{14}\.%s@[a-z0-9.-]+>" % qid.encode(), ids[0]), ids[0])
    t.ok("added at the end of the header, after Subject:",
         head.endswith(b"\r\nSubject: bare on 587\r\nDate: " + (dates[0] if dates else b"") +
                       b"\r\nMessage-ID: " + (ids[0] if ids else b"")), head[-160:])
    stored = srv.sql("SELECT message_id FROM messages WHERE subject = 'bare on 587'")
    t.eq("the store's message_id column has it", stored, [(ids[0].decode() if ids else None,)])

    got = content_of(srv, "bare on 25")
    m = got[0] if got else b""
    t.ok("port 25: Received: names the client the same way",
         re.search(rb"Received: from relay\.example\.org \(localhost \[127\.\d+\.\d+\.\d+\]\)\r\n", m),
         m[:200])
    t.ok("port 25 adds no Date: or Message-ID:",
         b"\r\nDate: " not in m and b"\r\nMessage-ID: " not in m, m[:300])


if __name__ == "__main__":
    L.main(run)
