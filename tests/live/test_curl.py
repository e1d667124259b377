"""curl against `mailsim serve` (skipped, with a note, if curl is not
installed): SMTP on port 25 to a local recipient, then on submission with
a login; POP3 list and retrieve; IMAP list, EXAMINE and a fetch by UID;
then what the store holds."""
import os
import shutil
import subprocess

import livelib as L

BOB = "bob@gmail.com"
CURL_TIMEOUT = L.PATIENCE


def curl(*args, upload=None):
    """Run curl; (exit status, stdout bytes, stderr text)."""
    argv = ["curl", "--silent", "--show-error", "--max-time", str(CURL_TIMEOUT),
            "--connect-timeout", str(CURL_TIMEOUT), "--noproxy", "*"] + list(args)
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=CURL_TIMEOUT + 5)
    except subprocess.TimeoutExpired:
        return -1, b"", "timed out"
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def run(t, mailsim, tmp):
    if not shutil.which("curl"):
        t.skip("curl", "curl is not installed: the curl tests are skipped")
        return
    srv = L.Server(mailsim, tmp)
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        body(t, srv, tmp)
    finally:
        t.eq("serve exits 0 on SIGTERM", srv.terminate(), 0)


def body(t, srv, tmp):
    msg = os.path.join(tmp, "msg.txt")
    with open(msg, "wb") as f:
        f.write(L.message("teacher@example.org", [BOB], "sent by curl",
                          "Hello Bob,\r\n.a dot line\r\nbye\r\n").encode())
    smtp = "smtp://%s:%d" % (L.HOST, srv.port("smtp", 1))
    rc, out, err = curl(smtp, "--mail-from", "teacher@example.org", "--mail-rcpt", BOB,
                        "--upload-file", msg)
    t.eq("curl smtp (port 25 style) exit 0", rc, 0)
    t.ok("message stored for bob", srv.wait_subjects(BOB, ["sent by curl"]), err)

    # relay refused on port 25: curl fails with an error
    rc, out, err = curl("smtp://%s:%d" % (L.HOST, srv.smtp), "--mail-from", "teacher@example.org",
                        "--mail-rcpt", BOB, "--upload-file", msg)
    t.ok("curl smtp relay refused (exit != 0)", rc != 0, (rc, err))
    t.ok("curl reports 554", "554" in err, err)

    # submission with a login, to a remote recipient (relayed)
    with open(msg, "wb") as f:
        f.write(L.message("alice@uea.edu.br", [BOB], "submitted by curl").encode())
    rc, out, err = curl("smtp://%s:%d" % (L.HOST, srv.submission), "--mail-from", "alice@uea.edu.br",
                        "--mail-rcpt", BOB, "--upload-file", msg, "--user", "alice@uea.edu.br:alice123")
    t.eq("curl submission with --user exit 0", rc, 0)
    rc, out, err = curl("smtp://%s:%d" % (L.HOST, srv.submission), "--mail-from", "alice@uea.edu.br",
                        "--mail-rcpt", BOB, "--upload-file", msg, "--user", "alice@uea.edu.br:bad")
    t.eq("curl submission with a wrong password: exit 67 (login denied)", rc, 67)
    t.ok("relayed message arrives", srv.wait_subjects(BOB, ["sent by curl", "submitted by curl"]),
         srv.subjects(BOB))

    rows = srv.sql("SELECT m.uid, m.size, m.content FROM messages m JOIN folders f ON f.id = m.folder_id "
                   "JOIN accounts a ON a.id = f.account_id WHERE a.address = ? AND f.name = 'INBOX' "
                   "ORDER BY m.uid", (BOB,))

    pop = "pop3://%s:%d/" % (L.HOST, srv.port("pop3", 1))
    rc, out, err = curl(pop, "-u", "bob@gmail.com:bob123")
    t.eq("curl pop3 list exit 0", rc, 0)
    t.eq("curl pop3 list = LIST", out.decode().split("\r\n"),
         ["%d %d" % (i + 1, r[1]) for i, r in enumerate(rows)] + [""])
    rc, out, err = curl(pop + "1", "-u", "bob@gmail.com:bob123")
    t.eq("curl pop3 /1 exit 0", rc, 0)
    t.eq("curl pop3 /1 = the stored message", out, bytes(rows[0][2]) if rows else None)
    rc, out, err = curl(pop, "-u", "bob@gmail.com:wrong")
    t.eq("curl pop3 wrong password: exit 67", rc, 67)
    t.eq("POP3 by curl deleted nothing", len(srv.subjects(BOB)), 2)

    imap = "imap://%s:%d/" % (L.HOST, srv.port("imap", 1))
    rc, out, err = curl(imap, "-u", "bob@gmail.com:bob123")
    t.eq("curl imap list exit 0", rc, 0)
    text = out.decode()
    for name in ("INBOX", "Sent", "Trash"):
        t.ok("curl imap list shows " + name, ('"/" ' + name) in text or ('"/" "%s"' % name) in text, text)
    rc, out, err = curl(imap + "INBOX", "-u", "bob@gmail.com:bob123", "-X", "EXAMINE INBOX")
    t.eq("curl imap EXAMINE exit 0", rc, 0)
    t.ok("EXAMINE: 2 EXISTS", "* 2 EXISTS" in out.decode(), out)
    t.ok("EXAMINE: UIDVALIDITY", "UIDVALIDITY" in out.decode(), out)
    flags = srv.sql("SELECT flags FROM messages WHERE subject = 'sent by curl'")
    t.eq("not \\Seen before the fetch", flags[0][0] & 1 if flags else None, 0)
    rc, out, err = curl(imap + "INBOX;UID=1", "-u", "bob@gmail.com:bob123")
    t.eq("curl imap INBOX;UID=1 exit 0", rc, 0)
    t.eq("curl imap UID=1 = the stored message", out, bytes(rows[0][2]) if rows else None)
    flags = srv.sql("SELECT flags FROM messages WHERE subject = 'sent by curl'")
    t.eq("the fetch (BODY[]) set \\Seen in the store", flags[0][0] & 1 if flags else None, 1)
    rc, out, err = curl(imap + "INBOX;UID=99", "-u", "bob@gmail.com:bob123")
    t.ok("curl imap UID=99 (no such message): an error, not a crash", rc != 0 and rc != -1, (rc, err))
    # the server still serves after all this
    rc, out, err = curl(imap, "-u", "bob@gmail.com:bob123")
    t.eq("server still answers", rc, 0)


if __name__ == "__main__":
    L.main(run)
