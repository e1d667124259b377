"""IMAP with Python's imaplib against `mailsim serve`: LOGIN, CAPABILITY,
LIST, SELECT, SEARCH, FETCH (FLAGS, BODY.PEEK[HEADER], BODY[]), STORE,
COPY, EXPUNGE, APPEND, NAMESPACE, CREATE, UID MOVE, STATUS, and a second
session told of changes; then the flags and folders in the store."""
import imaplib
import re
import smtplib

import livelib as L

CAROL = "carol@gmail.com"
SUBJECTS = ["imap one", "imap two", "imap three"]
SEEN, ANSWERED, FLAGGED, DELETED, DRAFT, RECENT = 1, 2, 4, 8, 16, 32


def deliver(srv, subjects):
    with smtplib.SMTP(L.HOST, srv.port("smtp", 1), timeout=L.SOCK_TIMEOUT) as s:
        for subj in subjects:
            s.sendmail("prof@example.org", [CAROL],
                       L.message("prof@example.org", [CAROL], subj, "Body of %s.\r\n" % subj))


def flags_of(srv, folder="INBOX"):
    """uid -> flags without \\Recent (a session's, not the message's)."""
    return {r[0]: r[1] & ~RECENT for r in srv.rows(CAROL, folder)}


def run(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp)
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        body(t, srv)
    finally:
        t.eq("serve exits 0 on SIGTERM", srv.terminate(), 0)


def ok(t, name, res):
    typ, data = res
    t.eq(name + " OK", typ, "OK")
    return data


def body(t, srv):
    deliver(srv, SUBJECTS)
    t.ok("three messages for carol", srv.wait_subjects(CAROL, SUBJECTS), srv.subjects(CAROL))
    port = srv.port("imap", 1)

    m = imaplib.IMAP4(L.HOST, port, timeout=L.SOCK_TIMEOUT)
    t.ok("greeting is * OK", m.welcome.startswith(b"* OK"), m.welcome)
    try:
        m.login(CAROL, "wrong")
        t.ok("wrong password refused", False, "logged in")
    except imaplib.IMAP4.error as e:
        t.ok("wrong password refused", True)
    t.eq("still not authenticated", m.state, "NONAUTH")
    data = ok(t, "LOGIN", m.login(CAROL, "carol123"))
    data = ok(t, "CAPABILITY", m.capability())
    caps = data[0].decode().upper().split()
    for c in ("IMAP4REV1", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "SPECIAL-USE", "LITERAL+"):
        t.ok("CAPABILITY " + c, c in caps, caps)

    data = ok(t, "NAMESPACE", m.namespace())
    t.ok('NAMESPACE (("" "/")) NIL NIL', re.sub(rb"\s+", b" ", data[0]) == b'(("" "/")) NIL NIL', data)

    data = ok(t, "LIST", m.list('""', "*"))
    listed = {}
    for line in data:
        mm = re.match(rb'\(([^)]*)\) "/" "?([^"]*)"?$', line)
        if mm:
            listed[mm.group(2).decode()] = mm.group(1).decode()
    t.eq("LIST names", sorted(listed), ["INBOX", "Sent", "Trash"])
    t.ok("Sent is \\Sent", "\\Sent" in listed.get("Sent", ""), listed)
    t.ok("Trash is \\Trash", "\\Trash" in listed.get("Trash", ""), listed)

    typ, data = m.select("INBOX")
    t.eq("SELECT OK", typ, "OK")
    t.eq("SELECT: 3 EXISTS", data, [b"3"])
    uidvalidity = m.untagged_responses.get("UIDVALIDITY", [b"?"])[0]
    folder_uv = srv.sql("SELECT f.uidvalidity FROM folders f JOIN accounts a ON a.id = f.account_id "
                        "WHERE a.address = ? AND f.name = 'INBOX'", (CAROL,))[0][0]
    t.eq("UIDVALIDITY = folders.uidvalidity", uidvalidity, str(folder_uv).encode())

    t.eq("SEARCH ALL", ok(t, "SEARCH", m.search(None, "ALL")), [b"1 2 3"])
    t.eq("SEARCH SUBJECT two", m.search(None, "SUBJECT", '"imap two"')[1], [b"2"])
    t.eq("SEARCH UNSEEN", m.search(None, "UNSEEN")[1], [b"1 2 3"])

    data = ok(t, "FETCH FLAGS", m.fetch("1:3", "(UID FLAGS)"))
    t.eq("FETCH 1:3 answers three", len(data), 3)
    t.ok("no \\Seen yet", all(b"\\Seen" not in d for d in data), data)

    data = ok(t, "FETCH BODY.PEEK[HEADER]", m.fetch("1", "(BODY.PEEK[HEADER])"))
    header = data[0][1] if isinstance(data[0], tuple) else b""
    t.ok("header has the Subject", b"Subject: imap one\r\n" in header, header)
    t.ok("header ends with the empty line", header.endswith(b"\r\n\r\n"), header[-10:])
    t.ok("header has no body", b"Body of" not in header)
    t.eq("PEEK does not set \\Seen (store)", flags_of(srv)[1] & SEEN, 0)

    data = ok(t, "FETCH BODY[]", m.fetch("2", "(BODY[])"))
    full = data[0][1] if isinstance(data[0], tuple) else b""
    stored = srv.sql("SELECT m.content FROM messages m WHERE m.subject = 'imap two'")[0][0]
    t.eq("BODY[] = messages.content", full, bytes(stored))
    t.ok("BODY[] sets \\Seen (reply)", b"\\Seen" in b" ".join(
        x if isinstance(x, bytes) else x[0] for x in data), data)
    t.eq("BODY[] sets \\Seen (store)", flags_of(srv)[2] & SEEN, SEEN)
    t.eq("SEARCH UNSEEN after reading", m.search(None, "UNSEEN")[1], [b"1 3"])

    data = ok(t, "STORE +FLAGS", m.store("3", "+FLAGS", "(\\Flagged $Label1)"))
    t.ok("STORE answers the new flags", b"\\Flagged" in data[0] and b"$Label1" in data[0], data)
    t.eq("\\Flagged in the store", flags_of(srv)[3], FLAGGED)
    kw = srv.sql("SELECT keywords FROM messages WHERE subject = 'imap three'")[0][0]
    t.eq("keyword in the store", kw, "$Label1")
    ok(t, "STORE -FLAGS", m.store("2", "-FLAGS.SILENT", "(\\Seen)"))
    t.eq("-FLAGS \\Seen in the store", flags_of(srv)[2], 0)
    ok(t, "STORE FLAGS", m.store("2", "FLAGS", "(\\Answered \\Draft)"))
    t.eq("FLAGS replaces (store)", flags_of(srv)[2], ANSWERED | DRAFT)

    ok(t, "CREATE", m.create("Work/2026"))
    t.ok("Work/2026 in the store", "Work/2026" in srv.folders(CAROL), srv.folders(CAROL))
    typ, data = m.copy("1:2", "Work/2026")
    t.eq("COPY OK", typ, "OK")
    t.ok("COPYUID (UIDPLUS)", b"COPYUID" in data[0], data)
    work = srv.rows(CAROL, "Work/2026")
    t.eq("COPY: two rows in Work/2026, UIDs 1 and 2", [r[0] for r in work], [1, 2])
    t.eq("COPY keeps subjects", [r[3] for r in work], SUBJECTS[:2])
    # \Recent is a session's (RFC 3501 2.3.2): mailsim keeps it out of the
    # store (sim/store.c SQL_MESSAGE_COPY) and works it out per session
    t.eq("COPY keeps flags", [r[1] & ~RECENT for r in work], [0, ANSWERED | DRAFT])
    t.eq("INBOX untouched by COPY", len(srv.rows(CAROL)), 3)

    ok(t, "STORE \\Deleted", m.store("1", "+FLAGS.SILENT", "(\\Deleted)"))
    t.eq("\\Deleted in the store", flags_of(srv)[1] & DELETED, DELETED)
    data = ok(t, "EXPUNGE", m.expunge())
    t.eq("EXPUNGE reports message 1", data, [b"1"])
    t.eq("EXPUNGE: uid 1 gone from the store", sorted(flags_of(srv)), [2, 3])

    # APPEND to Sent with a flag and a date (UIDPLUS: APPENDUID)
    msg = L.message(CAROL, ["someone@example.org"], "appended reply").encode()
    typ, data = m.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(1772442000), msg)
    t.eq("APPEND OK", typ, "OK")
    t.ok("APPENDUID", b"APPENDUID" in data[0], data)
    sent = srv.sql("SELECT m.uid, m.flags, m.internaldate, m.content FROM messages m JOIN folders f "
                   "ON f.id = m.folder_id JOIN accounts a ON a.id = f.account_id "
                   "WHERE a.address = ? AND f.name = 'Sent'", (CAROL,))
    t.eq("APPEND: one row in Sent", len(sent), 1)
    if sent:
        t.eq("APPEND: \\Seen kept", sent[0][1] & ~RECENT, SEEN)
        t.eq("APPEND: INTERNALDATE kept", sent[0][2], 1772442000)
        t.eq("APPEND: content byte for byte", bytes(sent[0][3]), msg)

    typ, data = m.status("Work/2026", "(MESSAGES RECENT UIDNEXT UNSEEN)")
    t.eq("STATUS OK", typ, "OK")
    t.ok("STATUS MESSAGES 2 UIDNEXT 3 UNSEEN 2", b"MESSAGES 2" in data[0] and b"UIDNEXT 3" in data[0]
         and b"UNSEEN 2" in data[0], data)
    # RFC 3501 6.4.7: the copies are \Recent for whoever selects them first
    t.ok("STATUS: the copies are RECENT 2", b"RECENT 2" in data[0], data)

    # UID MOVE the flagged message to Trash
    typ, data = m.uid("MOVE", "3", "Trash")
    t.eq("UID MOVE OK", typ, "OK")
    t.eq("MOVE: INBOX keeps uid 2 only", sorted(flags_of(srv)), [2])
    t.eq("MOVE: Trash holds it", [r[3] for r in srv.rows(CAROL, "Trash")], ["imap three"])
    t.eq("MOVE keeps \\Flagged", flags_of(srv, "Trash").get(1, 0) & FLAGGED, FLAGGED)

    # a second session with INBOX selected hears of a new delivery and of
    # another session's flag change
    m2 = imaplib.IMAP4(L.HOST, port, timeout=L.SOCK_TIMEOUT)
    m2.login(CAROL, "carol123")
    t.eq("second session SELECT", m2.select("INBOX")[1], [b"1"])
    deliver(srv, ["imap four"])
    srv.wait_subjects(CAROL, ["imap four"])
    ok(t, "STORE in session 1", m.store("1", "+FLAGS.SILENT", "(\\Seen)"))
    typ, data = m2.noop()
    t.ok("NOOP in session 2: 2 EXISTS", m2.untagged_responses.get("EXISTS") == [b"2"]
         or b"2" in (m2.response("EXISTS")[1] or []), m2.untagged_responses)
    fetched = m2.response("FETCH")[1] or []
    t.ok("NOOP in session 2: FETCH (FLAGS (\\Seen ...))",
         any(b"\\Seen" in (f if isinstance(f, bytes) else f[0]) for f in fetched if f), fetched)
    m2.logout()

    # IDLE (RFC 2177) on a raw socket: a delivery is pushed at once
    raw = L.socket.create_connection((L.HOST, port), timeout=L.SOCK_TIMEOUT)
    f = raw.makefile("rb")
    f.readline()

    def command(tag, text):
        raw.sendall(b"%s %s\r\n" % (tag, text))
        lines = []
        while True:
            line = f.readline()
            lines.append(line)
            if not line or line.startswith(tag + b" "):
                return lines
    t.ok("raw LOGIN", command(b"a1", b"LOGIN carol@gmail.com carol123")[-1].startswith(b"a1 OK"))
    t.ok("raw SELECT", command(b"a2", b"SELECT INBOX")[-1].startswith(b"a2 OK"))
    raw.sendall(b"a3 IDLE\r\n")
    t.ok("IDLE continuation", f.readline().startswith(b"+ "))

    def read_until(pred, limit=5):
        seen = []
        for _ in range(limit):     # each readline has the socket's timeout
            line = f.readline()
            seen.append(line)
            if not line or pred(line):
                break
        return seen
    deliver(srv, ["imap five"])
    pushed = read_until(lambda l: l.endswith(b" EXISTS\r\n"))
    t.eq("IDLE: the delivery is pushed", pushed[-1], b"* 3 EXISTS\r\n")
    ok(t, "STORE while the other idles", m.store("2", "+FLAGS.SILENT", "(\\Flagged)"))
    pushed = read_until(lambda l: b" FETCH " in l)
    t.ok("IDLE: another session's STORE is pushed", pushed[-1].startswith(b"* 2 FETCH (FLAGS (")
         and b"\\Flagged" in pushed[-1], pushed)
    raw.sendall(b"DONE\r\n")
    t.ok("DONE ends IDLE", f.readline().startswith(b"a3 OK"))
    t.ok("raw LOGOUT", command(b"a4", b"LOGOUT")[-1].startswith(b"a4 OK"))
    raw.close()

    ok(t, "CLOSE", m.close())
    t.eq("LOGOUT BYE", m.logout()[0], "BYE")

    # the store, at the end
    # CREATE Work/2026 creates the superior Work too (RFC 3501 6.3.3)
    t.eq("folders of carol", srv.folders(CAROL), ["INBOX", "Sent", "Trash", "Work", "Work/2026"])
    inbox = srv.rows(CAROL)
    t.eq("INBOX subjects", [r[3] for r in inbox], ["imap two", "imap four", "imap five"])
    t.eq("INBOX uids: 1 expunged, 3 moved, 4 and 5 delivered", [r[0] for r in inbox], [2, 4, 5])
    t.eq("INBOX flags", [r[1] & ~RECENT for r in inbox], [ANSWERED | DRAFT | SEEN, FLAGGED, 0])
    nxt = srv.sql("SELECT f.uidnext FROM folders f JOIN accounts a ON a.id = f.account_id "
                  "WHERE a.address = ? AND f.name = 'INBOX'", (CAROL,))[0][0]
    t.eq("INBOX uidnext", nxt, 6)
    t.eq("integrity_check", srv.sql("PRAGMA integrity_check"), [("ok",)])


if __name__ == "__main__":
    L.main(run)
