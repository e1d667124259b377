"""SMTP with Python's smtplib against `mailsim serve`: EHLO, AUTH PLAIN
and AUTH LOGIN on submission, several recipients (local and remote), a
refused recipient and a refused relay on port 25; then what the store
holds (INBOXes, Return-Path and Received, the queue drained)."""
import base64
import smtplib

import livelib as L

ALICE, BOB, CAROL = "alice@uea.edu.br", "bob@gmail.com", "carol@gmail.com"


def content_of(srv, address, subject):
    rows = srv.sql(
        "SELECT m.content FROM messages m JOIN folders f ON f.id = m.folder_id "
        "JOIN accounts a ON a.id = f.account_id WHERE a.address = ? AND m.subject = ?",
        (address, subject))
    return bytes(rows[0][0]) if rows else b""


def run(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp)
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        body(t, srv)
    finally:
        st = srv.terminate()
        t.eq("serve exits 0 on SIGTERM", st, 0)


def body(t, srv):
    # --- EHLO on submission: the extensions the README promises
    s = smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT)
    code, _ = s.ehlo("live-test")
    t.eq("EHLO 250", code, 250)
    for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "auth"):
        t.ok("EHLO lists " + ext, s.has_extn(ext), s.esmtp_features)
    auth = s.esmtp_features.get("auth", "").upper().split()
    t.ok("AUTH offers PLAIN and LOGIN", "PLAIN" in auth and "LOGIN" in auth, auth)
    t.eq("SIZE is 10 MiB", s.esmtp_features.get("size"), "10485760")

    # MAIL before AUTH on 587: 530 5.7.0
    code, msg = s.mail(ALICE)
    t.eq("MAIL before AUTH is 530", code, 530)
    t.ok("530 carries 5.7.0", msg.startswith(b"5.7.0"), msg)
    s.rset()

    # a wrong password: 535, and still not logged in
    s.user, s.password = ALICE, "wrong"
    try:
        s.auth("PLAIN", s.auth_plain)
        t.ok("wrong password refused", False, "accepted")
    except smtplib.SMTPAuthenticationError as e:
        t.eq("wrong password is 535", e.smtp_code, 535)

    # AUTH PLAIN, then several recipients: one local, two remote
    s.user, s.password = ALICE, "alice123"
    code, msg = s.auth("PLAIN", s.auth_plain)
    t.eq("AUTH PLAIN 235", code, 235)
    refused = s.sendmail(ALICE, [ALICE, BOB, CAROL],
                         L.message(ALICE, [ALICE, BOB, CAROL], "multi local and remote"))
    t.eq("three recipients accepted", refused, {})

    # as somebody else: 553 5.7.1
    try:
        s.sendmail(BOB, [ALICE], L.message(BOB, [ALICE], "forged sender"))
        t.ok("another sender refused", False, "accepted")
    except smtplib.SMTPSenderRefused as e:
        t.eq("another sender is 553", e.smtp_code, 553)
    s.quit()

    # AUTH LOGIN, the classic way: no initial response, two 334 challenges
    s = smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT)
    s.ehlo("live-test")
    code, msg = s.docmd("AUTH", "LOGIN")
    t.eq("AUTH LOGIN asks 334", code, 334)
    t.eq("334 asks the user name", base64.b64decode(msg), b"Username:")
    code, msg = s.docmd(base64.b64encode(ALICE.encode()).decode())
    t.eq("334 asks the password", (code, base64.b64decode(msg)), (334, b"Password:"))
    code, msg = s.docmd(base64.b64encode(b"alice123").decode())
    t.eq("AUTH LOGIN 235", code, 235)
    refused = s.sendmail(ALICE, [BOB], L.message(ALICE, [BOB], "after auth login"))
    t.eq("AUTH LOGIN may send", refused, {})
    s.quit()

    # smtplib's own AUTH LOGIN (initial response with the user name)
    s = smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT)
    s.ehlo("live-test")
    s.user, s.password = ALICE, "alice123"
    code, msg = s.auth("LOGIN", s.auth_login)
    t.eq("AUTH LOGIN with initial response 235", code, 235)
    s.quit()

    # login() picks a mechanism by itself
    with smtplib.SMTP(L.HOST, srv.submission + 1, timeout=L.SOCK_TIMEOUT) as s:
        code, _ = s.login(BOB, "bob123")
        t.eq("login() on the second server 235", code, 235)
        t.eq("bob sends to carol (local there)",
             s.sendmail(BOB, [CAROL], L.message(BOB, [CAROL], "bob to carol")), {})

    # --- port 25: local mail only
    s = smtplib.SMTP(L.HOST, srv.smtp, timeout=L.SOCK_TIMEOUT)
    s.ehlo("relay.example.org")
    t.ok("port 25 offers no AUTH", not s.has_extn("auth"), s.esmtp_features)
    refused = s.sendmail("someone@example.org", [ALICE, "nobody@uea.edu.br"],
                         L.message("someone@example.org", [ALICE], "port 25 partial"))
    t.eq("partial refusal names the unknown user", sorted(refused), ["nobody@uea.edu.br"])
    if refused:
        code, msg = refused["nobody@uea.edu.br"]
        t.eq("unknown local user is 550", code, 550)
        t.ok("550 carries 5.1.1", msg.startswith(b"5.1.1"), msg)
    try:
        s.sendmail("someone@example.org", ["ghost@uea.edu.br"],
                   L.message("someone@example.org", ["ghost@uea.edu.br"], "nobody at all"))
        t.ok("every recipient refused raises", False, "accepted")
    except smtplib.SMTPRecipientsRefused as e:
        t.eq("SMTPRecipientsRefused 550", e.recipients.get("ghost@uea.edu.br", (0,))[0], 550)
    try:
        s.sendmail("someone@example.org", [BOB],
                   L.message("someone@example.org", [BOB], "open relay attempt"))
        t.ok("relay refused", False, "accepted")
    except smtplib.SMTPRecipientsRefused as e:
        code, msg = e.recipients.get(BOB, (0, b""))
        t.eq("relay on 25 is 554", code, 554)
        t.ok("554 carries 5.7.1", msg.startswith(b"5.7.1"), msg)
    # RFC 5321 4.5.1: postmaster is always accepted
    t.eq("postmaster accepted",
         s.sendmail("someone@example.org", ["postmaster@uea.edu.br"],
                    L.message("someone@example.org", ["postmaster@uea.edu.br"], "to postmaster")),
         {})
    s.quit()

    # --- PIPELINING (RFC 2920): the whole transaction in one write, a
    # leading dot (dot-stuffed on the wire) and UTF-8 in the body
    raw = L.socket.create_connection((L.HOST, srv.smtp), timeout=L.SOCK_TIMEOUT)
    f = raw.makefile("rb")
    greeting = f.readline()
    t.ok("raw greeting 220", greeting.startswith(b"220 "), greeting)
    raw.sendall(b"EHLO pipe.example.org\r\n")
    while True:
        line = f.readline()
        if not line or line.startswith(b"250 "):
            break
    raw.sendall(b"MAIL FROM:<pipe@example.org>\r\nRCPT TO:<alice@uea.edu.br>\r\n"
                b"RCPT TO:<nobody@uea.edu.br>\r\nDATA\r\n")
    replies = [f.readline()[:3] for _ in range(4)]
    t.eq("pipelined replies in order", replies, [b"250", b"250", b"550", b"354"])
    raw.sendall("Subject: pipelined\r\n\r\n..leading dot\r\nol\u00e1 \u00e7\r\n.\r\nQUIT\r\n".encode())
    end = [f.readline()[:3], f.readline()[:3]]
    t.eq("DATA 250 then QUIT 221", end, [b"250", b"221"])
    t.eq("server closes after 221", f.readline(), b"")
    raw.close()

    # --- the store
    t.ok("alice's INBOX: her own copy, port 25 mail, postmaster's",
         srv.wait_subjects(ALICE, ["multi local and remote", "port 25 partial", "to postmaster",
                                   "pipelined"]),
         srv.subjects(ALICE))
    t.ok("bob's INBOX: the relayed messages arrive",
         srv.wait_subjects(BOB, ["multi local and remote", "after auth login"]),
         srv.subjects(BOB))
    t.ok("carol's INBOX: relayed and local",
         srv.wait_subjects(CAROL, ["multi local and remote", "bob to carol"]),
         srv.subjects(CAROL))
    t.eq("one copy each in alice's INBOX", sorted(srv.subjects(ALICE)),
         sorted(["multi local and remote", "port 25 partial", "to postmaster", "pipelined"]))
    t.eq("bob has one copy of each", sorted(srv.subjects(BOB)),
         ["after auth login", "multi local and remote"])
    for who in (ALICE, BOB, CAROL):
        for subj in ("forged sender", "nobody at all", "open relay attempt"):
            t.ok("refused '%s' stored nowhere (%s)" % (subj, who),
                 subj not in srv.subjects(who))
    t.eq("no account for a refused user",
         srv.sql("SELECT count(*) FROM accounts WHERE address IN ('nobody@uea.edu.br', 'ghost@uea.edu.br')"),
         [(0,)])
    relayed = content_of(srv, BOB, "multi local and remote")
    t.ok("relayed copy starts with Return-Path", relayed.startswith(b"Return-Path: <alice@uea.edu.br>\r\n"),
         relayed[:80])
    t.eq("relayed copy has two Received lines", relayed.count(b"\r\nReceived: "), 2)
    t.ok("CRLF line ends stored", b"\n" not in relayed.replace(b"\r\n", b""), relayed[:200])
    local = content_of(srv, ALICE, "port 25 partial")
    t.ok("port 25 copy starts with Return-Path of the envelope",
         local.startswith(b"Return-Path: <someone@example.org>\r\nReceived: from "), local[:120])
    size = srv.sql("SELECT m.size, length(m.content) FROM messages m WHERE m.subject = 'port 25 partial'")
    t.ok("size column is the content's octets", size and size[0][0] == size[0][1], size)
    piped = content_of(srv, ALICE, "pipelined")
    t.ok("dot-unstuffed and 8-bit kept", piped.endswith("\r\n.leading dot\r\nol\u00e1 \u00e7\r\n".encode()),
         piped[-40:])
    t.ok("the queue drains", L.wait_until(
        lambda: srv.sql("SELECT count(*) FROM queue")[0][0] == 0), srv.sql("SELECT * FROM queue"))


if __name__ == "__main__":
    L.main(run)
