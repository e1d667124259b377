"""Durability: 10 threads submit mail in a loop to local recipients while
the server is killed with SIGKILL; every message that got its 250 must be
in the --db file, whole (PRAGMA integrity_check), in both recipients'
INBOXes or in neither; then `mailsim serve` starts again on the same --db
and serves the same mailboxes (POP3, IMAP, new mail after the old)."""
import imaplib
import os
import poplib
import shutil
import smtplib
import sqlite3
import threading
import time

import livelib as L

SCENARIO = """title "Durability"
domain example.test server mail.example.test
user ann@example.test password ann123 name "Ann"
user ben@example.test password ben123 name "Ben"
"""
ANN, BEN = "ann@example.test", "ben@example.test"
THREADS = 10
ACKED_BEFORE_KILL = 3 * THREADS   # the kill comes once this much mail is in


def sender(srv, n, stop, acked, errors):
    """Thread n: log in as ann, send to ann and ben until told to stop;
    a Subject goes to `acked` only once its 250 came back."""
    i = 0
    while not stop.is_set():
        try:
            s = smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT)
            s.login(ANN, "ann123")
            while not stop.is_set():
                subj = "t%02d-%05d" % (n, i)
                i += 1
                refused = s.sendmail(ANN, [ANN, BEN], L.message(ANN, [ANN, BEN], subj))
                if refused == {}:
                    acked.append(subj)
                else:
                    errors.append((subj, refused))
        except (smtplib.SMTPException, OSError) as e:
            if not stop.is_set():
                errors.append(repr(e))
                time.sleep(0.01)


def snapshot(db, into):
    """Copy the database and its WAL (what a crash leaves on disk) and
    open the copy, so that the original stays untouched for the restart."""
    os.makedirs(into, exist_ok=True)
    dst = os.path.join(into, "copy.db")
    shutil.copy(db, dst)
    if os.path.exists(db + "-wal"):
        shutil.copy(db + "-wal", dst + "-wal")
    return sqlite3.connect(dst, timeout=10)


def inbox_subjects(con, address):
    return [r[0] for r in con.execute(
        "SELECT m.subject FROM messages m JOIN folders f ON f.id = m.folder_id "
        "JOIN accounts a ON a.id = f.account_id WHERE a.address = ? AND f.name = 'INBOX' "
        "ORDER BY m.uid", (address,))]


def run(t, mailsim, tmp):
    scn = os.path.join(tmp, "durability.scn")
    with open(scn, "w") as f:
        f.write(SCENARIO)
    srv = L.Server(mailsim, tmp, scenario=scn, nservers=1)
    if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
        srv.terminate()
        return
    stop = threading.Event()
    acked, errors = [], []
    threads = [threading.Thread(target=sender, args=(srv, n, stop, acked, errors), daemon=True)
               for n in range(THREADS)]
    for th in threads:
        th.start()
    # in the middle of the traffic: once every thread could have had a
    # message acknowledged, and all of them are still sending
    L.wait_until(lambda: len(acked) >= ACKED_BEFORE_KILL or errors, L.PATIENCE, 0.01)
    srv.kill9()
    killed_at = len(acked)
    stop.set()
    for th in threads:
        th.join(L.SOCK_TIMEOUT + 2)
    t.ok("the threads end", not any(th.is_alive() for th in threads))
    acked = list(acked)
    t.ok("some mail was acknowledged before the kill (%d)" % len(acked), len(acked) >= THREADS,
         "errors: %r" % errors[:5])
    t.eq("no refusal while the server ran", [e for e in errors if isinstance(e, tuple)], [])
    t.ok("no 250 came after the kill", len(acked) <= killed_at + THREADS, (len(acked), killed_at))

    # what the crash left on disk, before anything else touches it
    con = snapshot(srv.db, os.path.join(tmp, "crash"))
    try:
        t.eq("after SIGKILL: integrity_check", con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        t.eq("after SIGKILL: foreign_key_check", con.execute("PRAGMA foreign_key_check").fetchall(), [])
        ann, ben = inbox_subjects(con, ANN), inbox_subjects(con, BEN)
        missing = sorted(set(acked) - set(ben))
        t.ok("every acknowledged message is in ben's INBOX (%d acked, %d stored)" % (len(acked), len(ben)),
             not missing, "missing %d: %r" % (len(missing), missing[:10]))
        missing = sorted(set(acked) - set(ann))
        t.ok("every acknowledged message is in ann's INBOX", not missing,
             "missing %d: %r" % (len(missing), missing[:10]))
        t.eq("one transaction: the same messages in both INBOXes", sorted(ann), sorted(ben))
        t.eq("no message stored twice", len(ben), len(set(ben)))
        stored_unacked = len(set(ben) - set(acked))
        t.ok("at most one message per thread stored but not acknowledged (%d)" % stored_unacked,
             stored_unacked <= THREADS)
        bad = con.execute("SELECT f.name, f.uidnext, max(m.uid), count(*), count(DISTINCT m.uid) "
                          "FROM folders f JOIN messages m ON m.folder_id = f.id GROUP BY f.id "
                          "HAVING max(m.uid) >= f.uidnext OR count(*) <> count(DISTINCT m.uid)").fetchall()
        t.eq("UIDs unique and below UIDNEXT", bad, [])
        before = {a: n for a, n in con.execute(
            "SELECT a.address, f.uidnext FROM folders f JOIN accounts a ON a.id = f.account_id "
            "WHERE f.name = 'INBOX'")}
        count_before = len(ben)
    finally:
        con.close()

    # a second start on the same --db must serve the same mailboxes
    srv2 = L.Server(mailsim, tmp, scenario=scn, db=srv.db, ports=srv.ports, nservers=1, name="restart")
    try:
        up = srv2.wait_ready()
        if not t.ok("restart on the same --db serves", up,
                    "exit status %r, stderr: %s" % (srv2.proc.poll(), srv2.stderr().strip())):
            return
        t.eq("accounts not duplicated", srv2.sql("SELECT address FROM accounts ORDER BY address"),
             [(ANN,), (BEN,)])
        t.eq("three folders each", srv2.sql("SELECT count(*) FROM folders"), [(6,)])
        p = poplib.POP3(L.HOST, srv2.pop3, timeout=L.SOCK_TIMEOUT)
        p.user(BEN)
        p.pass_("ben123")
        t.eq("POP3 after restart: STAT counts what was stored", p.stat()[0], count_before)
        uidl = [l.split()[1] for l in p.uidl()[1]]
        t.eq("POP3 after restart: one distinct UIDL each", len(set(uidl)), count_before)
        p.quit()
        m = imaplib.IMAP4(L.HOST, srv2.imap, timeout=L.SOCK_TIMEOUT)
        m.login(ANN, "ann123")
        typ, data = m.select("INBOX", readonly=True)
        t.eq("IMAP after restart: EXISTS", data, [str(count_before).encode()])
        if acked:
            typ, data = m.search(None, "SUBJECT", '"%s"' % acked[-1])
            t.ok("IMAP after restart: the last acknowledged message is found", data != [b""], data)
        m.logout()
        with smtplib.SMTP(L.HOST, srv2.submission, timeout=L.SOCK_TIMEOUT) as s:
            s.login(BEN, "ben123")
            t.eq("new mail after restart accepted", s.sendmail(BEN, [ANN], L.message(BEN, [ANN], "after restart")), {})
        uid = srv2.sql("SELECT m.uid FROM messages m WHERE m.subject = 'after restart'")
        t.eq("new mail gets the next UID (UIDNEXT kept)", uid, [(before.get(ANN),)])
    finally:
        t.eq("restarted serve exits 0 on SIGTERM", srv2.terminate(), 0)
    t.eq("after the restart: integrity_check", srv2.sql("PRAGMA integrity_check"), [("ok",)])
    t.eq("after the restart: every acknowledged message still there",
         sorted(set(acked) - set(srv2.subjects(BEN))), [])


if __name__ == "__main__":
    L.main(run)
