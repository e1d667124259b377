"""TLS in live mode (sim/tls.c) with real clients: Python's smtplib,
imaplib and poplib, `openssl s_client` and curl (each skipped, with a
note, when its program is not installed).

Implicit TLS (RFC 8314) on submissions, IMAPS and POP3S: a session of
each, the certificate made at start (every server name, localhost and
127.0.0.1 verify; the fingerprint printed is the certificate's), one
given with --tls-cert/--tls-key (and its errors), --no-tls.  STARTTLS
(RFC 3207, RFC 2595, RFC 3501): smtplib.starttls then login and send,
imaplib.starttls, poplib.stls, s_client -starttls, curl --ssl-reqd; what
is refused before TLS (AUTH 530 5.7.0, LOGINDISABLED, POP3 [AUTH]); the
injection attack (CVE-2011-0411): a command pipelined after STARTTLS in
the same packet is never executed; a client that botches its handshake
hurts no other client."""
import hashlib
import imaplib
import os
import poplib
import shutil
import smtplib
import socket
import ssl
import subprocess

import livelib as L

ALICE = ("alice@uea.edu.br", "alice123")
BOB = ("bob@gmail.com", "bob123")
SERVER_NAMES = ("mail.uea.edu.br", "mx.gmail.com")


def no_verify():
    """A client context that takes any certificate (curl -k's way)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def trusting(pem=None, cafile=None):
    """A client context that trusts only this certificate, and checks
    the name."""
    ctx = ssl.create_default_context(cadata=pem, cafile=cafile)
    # a self-signed end-entity certificate is its own trust anchor; the
    # strict flag of newer Pythons asks more of a CA than it has
    ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    return ctx


def run_tool(argv, data=b"", timeout=L.PATIENCE):
    """(exit status, stdout text, stderr text) of a command fed data."""
    try:
        r = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, "", "timed out"
    return (r.returncode, r.stdout.decode("utf-8", "replace"),
            r.stderr.decode("utf-8", "replace"))


def run(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp, plaintext_auth=False)
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        for part in (implicit_tls, certificate, starttls_smtp, starttls_imap, starttls_pop3,
                     s_client, curl_starttls, injection, handshake_failures):
            try:
                part(t, srv, tmp)
            except Exception:
                t.crash(part.__name__)
    finally:
        t.eq("serve exits 0 on SIGTERM", srv.terminate(), 0)
    for part in (cert_files, no_tls, plaintext_auth, json_marks):
        try:
            part(t, mailsim, tmp)
        except Exception:
            t.crash(part.__name__)


# ------------------------------------------------------------ implicit TLS

def implicit_tls(t, srv, tmp):
    log = srv.log()
    t.ok("the table names the TLS ports",
         "submissions" in log and "POP3S" in log and "IMAPS" in log, log[:600])
    t.ok("the table lists the submissions port", str(srv.submissions) in log, log[:600])

    s = smtplib.SMTP_SSL(L.HOST, srv.submissions, context=no_verify(), timeout=L.SOCK_TIMEOUT)
    code, caps = s.ehlo()
    t.eq("EHLO on 465 (TLS from the first byte)", code, 250)
    t.ok("no STARTTLS offered on a TLS port", b"STARTTLS" not in caps.upper(), caps)
    t.eq("AUTH over implicit TLS", s.login(*ALICE)[0], 235)
    s.sendmail(ALICE[0], [BOB[0]], L.message(ALICE[0], [BOB[0]], "over submissions"))
    s.quit()
    t.ok("mail sent on 465 arrives", srv.wait_subjects(BOB[0], ["over submissions"]))
    t.ok("the trace shows TLS started", srv.wait_log("TLS started: TLSv1."), srv.log()[-2000:])

    m = imaplib.IMAP4_SSL(L.HOST, srv.port("imaps", 1), ssl_context=no_verify(),
                          timeout=L.SOCK_TIMEOUT)
    t.ok("IMAPS greets, no STARTTLS capability", "STARTTLS" not in m.capabilities,
         m.capabilities)
    t.eq("IMAPS LOGIN", m.login(*BOB)[0], "OK")
    m.select("INBOX", readonly=True)
    typ, data = m.search(None, 'SUBJECT "over submissions"')
    t.ok("IMAPS finds the message", typ == "OK" and data[0].split(), data)
    m.logout()

    p = poplib.POP3_SSL(L.HOST, srv.port("pop3s", 1), context=no_verify(),
                        timeout=L.SOCK_TIMEOUT)
    t.ok("POP3S USER/PASS", p.user(BOB[0]).startswith(b"+OK") and
         p.pass_(BOB[1]).startswith(b"+OK"))
    t.ok("POP3S STAT sees the message", p.stat()[0] >= 1)
    t.ok("no STLS in CAPA on a TLS port", "STLS" not in p.capa())
    p.quit()

    if not shutil.which("curl"):
        t.skip("curl over implicit TLS", "curl is not installed")
        return
    msg = os.path.join(tmp, "smtps.txt")
    with open(msg, "wb") as f:
        f.write(L.message(ALICE[0], [BOB[0]], "curl smtps").encode())
    rc, out, err = run_tool(["curl", "-sS", "-k", "--noproxy", "*", "--max-time",
                             str(L.PATIENCE), "smtps://%s:%d" % (L.HOST, srv.submissions),
                             "--user", "%s:%s" % ALICE, "--mail-from", ALICE[0],
                             "--mail-rcpt", BOB[0], "--upload-file", msg])
    t.eq("curl smtps:// exit 0", rc, 0)
    t.ok("curl smtps:// mail arrives", srv.wait_subjects(BOB[0], ["curl smtps"]), err)
    rc, out, err = run_tool(["curl", "-sS", "-k", "--noproxy", "*", "--max-time",
                             str(L.PATIENCE), "pop3s://%s:%d/" % (L.HOST, srv.port("pop3s", 1)),
                             "--user", "%s:%s" % BOB])
    t.ok("curl pop3s:// lists the maildrop", rc == 0 and out.strip().startswith("1 "),
         (rc, out, err))
    rc, out, err = run_tool(["curl", "-sS", "-k", "--noproxy", "*", "--max-time",
                             str(L.PATIENCE), "imaps://%s:%d/INBOX?SUBJECT%%20curl" %
                             (L.HOST, srv.port("imaps", 1)), "--user", "%s:%s" % BOB])
    t.ok("curl imaps:// searches INBOX", rc == 0 and "SEARCH" in out, (rc, out, err))


# ------------------------------------------------------------ the certificate

def certificate(t, srv, tmp):
    pem = ssl.get_server_certificate((L.HOST, srv.imaps))
    der = ssl.PEM_cert_to_DER_cert(pem)
    fp = ":".join("%02X" % b for b in hashlib.sha256(der).digest())
    t.ok("the fingerprint printed is the certificate's", fp in srv.log(), fp)
    # every server's name, localhost and the address verify against it
    for name in SERVER_NAMES + ("localhost", "127.0.0.1"):
        raw = socket.create_connection((L.HOST, srv.imaps), timeout=L.SOCK_TIMEOUT)
        try:
            with trusting(pem=pem).wrap_socket(raw, server_hostname=name) as c:
                t.ok("the certificate names %s" % name, c.recv(4).startswith(b"* OK"))
        except ssl.SSLError as e:
            t.ok("the certificate names %s" % name, False, e)
    raw = socket.create_connection((L.HOST, srv.imaps), timeout=L.SOCK_TIMEOUT)
    try:
        with trusting(pem=pem).wrap_socket(raw, server_hostname="mail.example.org"):
            t.ok("a name that is not a server's does not verify", False, "verified")
    except ssl.SSLCertVerificationError:
        t.ok("a name that is not a server's does not verify", True)
    if shutil.which("openssl"):
        rc, out, err = run_tool(["openssl", "x509", "-noout", "-enddate", "-checkend",
                                 str(360 * 86400)], pem.encode())
        t.eq("the certificate is valid for about a year", rc, 0)


# ------------------------------------------------------------ STARTTLS

def smtp_raw(sock_file, sock, line):
    """Send a command line, return the reply's lines (bytes, no CRLF)."""
    sock.sendall(line)
    return smtp_reply(sock_file)


def smtp_reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            return lines
        lines.append(line.rstrip(b"\r\n"))
        if line[3:4] != b"-":
            return lines


def starttls_smtp(t, srv, tmp):
    s = smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT)
    code, caps = s.ehlo()
    t.ok("587: EHLO lists STARTTLS", b"STARTTLS" in caps.upper(), caps)
    t.ok("587: no AUTH listed before TLS", b"AUTH" not in caps.upper(), caps)
    code, text = s.docmd("AUTH", "PLAIN AGFsaWNlQHVlYS5lZHUuYnIAYWxpY2UxMjM=")
    t.eq("587: AUTH PLAIN before STARTTLS", (code, text[:5]), (530, b"5.7.0"))
    t.eq("587: smtplib starttls", s.starttls(context=no_verify())[0], 220)
    code, caps = s.ehlo()
    t.ok("587: after TLS, EHLO lists AUTH", b"AUTH" in caps.upper(), caps)
    t.ok("587: after TLS, no STARTTLS again", b"STARTTLS" not in caps.upper(), caps)
    t.eq("587: login after STARTTLS", s.login(*ALICE)[0], 235)
    s.sendmail(ALICE[0], [BOB[0]], L.message(ALICE[0], [BOB[0]], "after starttls"))
    s.quit()
    t.ok("587: mail sent after STARTTLS arrives", srv.wait_subjects(BOB[0], ["after starttls"]))

    # port 25 between servers: STARTTLS, then mail for a local user
    s = smtplib.SMTP(L.HOST, srv.port("smtp", 1), timeout=L.SOCK_TIMEOUT)
    s.ehlo("mx.example.org")
    t.eq("25: smtplib starttls", s.starttls(context=no_verify())[0], 220)
    s.ehlo("mx.example.org")
    s.sendmail("teacher@example.org", [BOB[0]],
               L.message("teacher@example.org", [BOB[0]], "port 25 over tls"))
    s.quit()
    t.ok("25: mail over STARTTLS arrives", srv.wait_subjects(BOB[0], ["port 25 over tls"]))
    t.ok("the trace says the connection switched to TLS",
         srv.wait_log("* tls: TLS started: "), srv.log()[-2000:])


def starttls_imap(t, srv, tmp):
    m = imaplib.IMAP4(L.HOST, srv.port("imap", 1), timeout=L.SOCK_TIMEOUT)
    t.ok("IMAP: STARTTLS and LOGINDISABLED before TLS",
         "STARTTLS" in m.capabilities and "LOGINDISABLED" in m.capabilities, m.capabilities)
    try:
        m.login(*BOB)
        t.ok("IMAP: LOGIN refused before TLS", False, "logged in")
    except imaplib.IMAP4.error:
        t.ok("IMAP: LOGIN refused before TLS", True)
    t.eq("IMAP: imaplib starttls", m.starttls(ssl_context=no_verify())[0], "OK")
    t.ok("IMAP: after TLS, no STARTTLS nor LOGINDISABLED",
         "STARTTLS" not in m.capabilities and "LOGINDISABLED" not in m.capabilities,
         m.capabilities)
    t.eq("IMAP: LOGIN after STARTTLS", m.login(*BOB)[0], "OK")
    typ, data = m.select("INBOX", readonly=True)
    t.ok("IMAP: SELECT after STARTTLS", typ == "OK" and int(data[0]) >= 1, data)
    m.logout()


def starttls_pop3(t, srv, tmp):
    p = poplib.POP3(L.HOST, srv.port("pop3", 1), timeout=L.SOCK_TIMEOUT)
    caps = p.capa()
    t.ok("POP3: CAPA lists STLS", "STLS" in caps, caps)
    try:
        p.user(BOB[0])
        t.ok("POP3: USER refused before STLS", False, "accepted")
    except poplib.error_proto as e:
        t.ok("POP3: USER refused before STLS with [AUTH]", "[AUTH]" in str(e), e)
    t.ok("POP3: poplib stls", p.stls(context=no_verify()).startswith(b"+OK"))
    t.ok("POP3: after TLS, no STLS in CAPA", "STLS" not in p.capa())
    t.ok("POP3: USER/PASS after STLS", p.user(BOB[0]).startswith(b"+OK") and
         p.pass_(BOB[1]).startswith(b"+OK"))
    t.ok("POP3: STAT after STLS", p.stat()[0] >= 1)
    p.quit()


def s_client(t, srv, tmp):
    if not shutil.which("openssl"):
        t.skip("openssl s_client -starttls", "openssl is not installed")
        return
    sessions = [
        # s_client does not say EHLO again after the handshake: the script does
        ("smtp", srv.submission, b"EHLO client.example\nAUTH PLAIN AGFsaWNlQHVlYS5lZHUuYnIAYWxpY2UxMjM=\nQUIT\n",
         ("235 2.7.0", "221 ")),
        ("imap", srv.port("imap", 1), b"a LOGIN bob@gmail.com bob123\nb SELECT INBOX\nc LOGOUT\n",
         ("a OK", "b OK", "c OK")),
        ("pop3", srv.port("pop3", 1), b"USER bob@gmail.com\nPASS bob123\nSTAT\nQUIT\n",
         ("+OK maildrop has", "+OK ")),
    ]
    for proto, port, script, wants in sessions:
        rc, out, err = run_tool(["openssl", "s_client", "-starttls", proto, "-connect",
                                 "%s:%d" % (L.HOST, port), "-crlf", "-quiet"], script)
        for want in wants:
            t.ok("s_client -starttls %s: %r" % (proto, want), want in out, (rc, out, err))


def curl_starttls(t, srv, tmp):
    if not shutil.which("curl"):
        t.skip("curl --ssl-reqd", "curl is not installed")
        return
    base = ["curl", "-sS", "--ssl-reqd", "-k", "--noproxy", "*", "--max-time", str(L.PATIENCE)]
    msg = os.path.join(tmp, "starttls.txt")
    with open(msg, "wb") as f:
        f.write(L.message(ALICE[0], [BOB[0]], "curl starttls").encode())
    rc, out, err = run_tool(base + ["smtp://%s:%d" % (L.HOST, srv.submission), "--user",
                                    "%s:%s" % ALICE, "--mail-from", ALICE[0], "--mail-rcpt",
                                    BOB[0], "--upload-file", msg])
    t.eq("curl --ssl-reqd smtp:// (STARTTLS on 587) exit 0", rc, 0)
    t.ok("curl --ssl-reqd smtp:// mail arrives", srv.wait_subjects(BOB[0], ["curl starttls"]),
         err)
    rc, out, err = run_tool(base + ["pop3://%s:%d/" % (L.HOST, srv.port("pop3", 1)), "--user",
                                    "%s:%s" % BOB])
    t.ok("curl --ssl-reqd pop3:// (STLS) lists", rc == 0 and out.strip().startswith("1 "),
         (rc, out, err))
    rc, out, err = run_tool(base + ["imap://%s:%d/INBOX?SUBJECT%%20starttls" %
                                    (L.HOST, srv.port("imap", 1)), "--user", "%s:%s" % BOB])
    t.ok("curl --ssl-reqd imap:// (STARTTLS) searches", rc == 0 and "SEARCH" in out,
         (rc, out, err))


def injection(t, srv, tmp):
    """CVE-2011-0411: a command in the same packet as STARTTLS, before the
    handshake, must never run - neither in plaintext nor as if it had come
    over TLS."""
    raw = socket.create_connection((L.HOST, srv.smtp), timeout=L.SOCK_TIMEOUT)
    f = raw.makefile("rb")
    smtp_reply(f)
    smtp_raw(f, raw, b"EHLO attacker.example\r\n")
    reply = smtp_raw(f, raw, b"STARTTLS\r\nMAIL FROM:<x@y.example>\r\n")
    t.ok("injection: 220 to STARTTLS", reply and reply[0].startswith(b"220"), reply)
    try:
        tls = no_verify().wrap_socket(raw, server_hostname="localhost")
    except ssl.SSLError as e:
        # a reply to the injected MAIL, in plaintext, breaks the handshake
        t.ok("injection: the handshake after STARTTLS", False, e)
        return
    tf = tls.makefile("rb")
    reply = smtp_raw(tf, tls, b"EHLO client.example\r\n")
    t.ok("injection: the first reply over TLS is EHLO's, no reply to the injected MAIL",
         reply and reply[0].startswith(b"250-") and b"greets" in reply[0], reply)
    reply = smtp_raw(tf, tls, b"MAIL FROM:<alice@uea.edu.br>\r\n")
    t.ok("injection: MAIL after a fresh EHLO is 250, not 503 (nested MAIL)",
         reply and reply[0].startswith(b"250"), reply)
    smtp_raw(tf, tls, b"QUIT\r\n")
    tls.close()

    # IMAP: a LOGIN pipelined after STARTTLS is not run
    raw = socket.create_connection((L.HOST, srv.imap), timeout=L.SOCK_TIMEOUT)
    f = raw.makefile("rb")
    f.readline()
    raw.sendall(b"a STARTTLS\r\nb LOGIN alice@uea.edu.br alice123\r\n")
    t.ok("injection IMAP: OK to STARTTLS", f.readline().startswith(b"a OK"))
    tls = no_verify().wrap_socket(raw, server_hostname="localhost")
    tf = tls.makefile("rb")
    tls.sendall(b"c SELECT INBOX\r\n")
    line = tf.readline()
    t.ok("injection IMAP: no reply to the injected LOGIN, and not logged in",
         line.startswith(b"c BAD") or line.startswith(b"c NO"), line)
    tls.sendall(b"d LOGOUT\r\n")
    tls.close()

# ------------------------------------------------------------ failed handshakes

def read_all(sock):
    """Everything until the server closes (a reset, when it closed with
    our bytes unread, ends it too)."""
    got = b""
    try:
        while True:
            b = sock.recv(4096)
            if not b:
                return got
            got += b
    except ConnectionResetError:
        return got

def handshake_failures(t, srv, tmp):
    # a client in a good session, before and after the others' mistakes
    good = imaplib.IMAP4_SSL(L.HOST, srv.imaps, ssl_context=no_verify(), timeout=L.SOCK_TIMEOUT)
    good.login(*ALICE)
    before = srv.log().count("* tls-failed: ")

    # plaintext on a TLS port: that connection is closed, with a trace event
    raw = socket.create_connection((L.HOST, srv.imaps), timeout=L.SOCK_TIMEOUT)
    raw.sendall(b"a1 LOGIN alice@uea.edu.br alice123\r\n")
    got = read_all(raw)
    t.ok("plaintext on a TLS port: closed, no IMAP reply", b"OK" not in got and b"*" not in got,
         got)
    raw.close()
    # a handshake cut in the middle: half a ClientHello, then gone
    raw = socket.create_connection((L.HOST, srv.submissions), timeout=L.SOCK_TIMEOUT)
    raw.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    raw.close()
    # garbage after a STARTTLS go-ahead
    raw = socket.create_connection((L.HOST, srv.pop3), timeout=L.SOCK_TIMEOUT)
    f = raw.makefile("rb")
    f.readline()
    raw.sendall(b"STLS\r\n")
    t.ok("garbage after STLS: +OK first", f.readline().startswith(b"+OK"))
    raw.sendall(b"this is not a TLS hello\r\n" * 20)
    got = read_all(raw)
    t.ok("garbage after STLS: closed, no POP3 reply", b"+OK" not in got and b"-ERR" not in got,
         got)
    raw.close()
    # a client that does not trust the certificate aborts its handshake
    raw = socket.create_connection((L.HOST, srv.pop3s), timeout=L.SOCK_TIMEOUT)
    try:
        ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
        t.ok("an untrusting client aborts", False, "the handshake went through")
    except ssl.SSLError:
        t.ok("an untrusting client aborts", True)
    finally:
        raw.close()
    t.ok("each failure is a tls-failed event",
         L.wait_until(lambda: srv.log().count("* tls-failed: ") >= before + 4),
         srv.log()[-3000:])
    t.eq("the good client goes on: NOOP", good.noop()[0], "OK")
    t.eq("the good client goes on: SELECT", good.select("INBOX")[0], "OK")
    good.logout()
    # and new clients are served
    p = poplib.POP3_SSL(L.HOST, srv.pop3s, context=no_verify(), timeout=L.SOCK_TIMEOUT)
    t.ok("a new client after the failures", p.user(ALICE[0]).startswith(b"+OK"))
    p.quit()


# ------------------------------------------------------------ --tls-cert, --no-tls

def cert_files(t, mailsim, tmp):
    if not shutil.which("openssl"):
        t.skip("--tls-cert", "openssl is not installed")
        return
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    rc, out, err = run_tool(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                             "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                             "-days", "2", "-subj", "/CN=localhost", "-addext",
                             "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    if not t.eq("openssl req makes a certificate", rc, 0):
        return
    srv = L.Server(mailsim, tmp, extra=["--tls-cert", cert, "--tls-key", key], name="certs",
                   nservers=2)
    try:
        if not t.ok("serve --tls-cert listens", srv.wait_ready(), srv.stderr()):
            return
        t.ok("the table names the certificate file", ("certificate " + cert) in srv.log())
        s = smtplib.SMTP_SSL("localhost", srv.submissions, context=trusting(cafile=cert),
                             timeout=L.SOCK_TIMEOUT)
        t.eq("the given certificate verifies", s.ehlo()[0], 250)
        s.quit()
    finally:
        t.eq("serve --tls-cert exits 0", srv.terminate(), 0)

    def serve_err(*args):
        return run_tool([mailsim, "serve", "--seconds", "1", "--log"] + list(args))

    rc, out, err = serve_err("--tls-cert", cert)
    t.eq("--tls-cert alone: usage error", rc, 2)
    t.ok("--tls-cert alone: said", "--tls-cert and --tls-key go together" in err, err)
    gone = os.path.join(tmp, "no-such.pem")
    rc, out, err = serve_err("--tls-cert", gone, "--tls-key", key)
    t.eq("a missing certificate file: exit 3", rc, 3)
    t.ok("a missing certificate file: named, with the reason",
         gone in err and "No such file" in err, err)
    rc, out, err = serve_err("--tls-cert", key, "--tls-key", key)
    t.ok("a key given as certificate: not a PEM certificate",
         rc == 3 and "not a PEM certificate" in err, (rc, err))
    other = os.path.join(tmp, "other-key.pem")
    run_tool(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-out", other])
    rc, out, err = serve_err("--tls-cert", cert, "--tls-key", other)
    t.ok("a key that is not the certificate's: said",
         rc == 3 and "does not match" in err, (rc, err))


def no_tls(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp, tls=False, name="notls")
    try:
        if not t.ok("serve --no-tls listens", srv.wait_ready(), srv.stderr()):
            return
        t.ok("--no-tls: no TLS columns", "submissions" not in srv.log(), srv.log()[:600])
        try:
            socket.create_connection((L.HOST, srv.submissions), timeout=L.SOCK_TIMEOUT).close()
            t.ok("--no-tls: nothing on the submissions port", False, "connected")
        except ConnectionRefusedError:
            t.ok("--no-tls: nothing on the submissions port", True)
        s = smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT)
        caps = s.ehlo()[1]
        t.ok("--no-tls: no STARTTLS in EHLO", b"STARTTLS" not in caps.upper(), caps)
        t.eq("--no-tls: AUTH in plaintext", s.login(*ALICE)[0], 235)
        s.quit()
    finally:
        t.eq("serve --no-tls exits 0", srv.terminate(), 0)


def plaintext_auth(t, mailsim, tmp):
    srv = L.Server(mailsim, tmp, plaintext_auth=True, name="plain", nservers=2)
    try:
        if not t.ok("serve --plaintext-auth listens", srv.wait_ready(), srv.stderr()):
            return
        s = smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT)
        caps = s.ehlo()[1].upper()
        t.ok("--plaintext-auth: STARTTLS and AUTH both listed",
             b"STARTTLS" in caps and b"AUTH" in caps, caps)
        t.eq("--plaintext-auth: AUTH in plaintext", s.login(*ALICE)[0], 235)
        s.quit()
        m = imaplib.IMAP4(L.HOST, srv.imap, timeout=L.SOCK_TIMEOUT)
        t.ok("--plaintext-auth: no LOGINDISABLED", "LOGINDISABLED" not in m.capabilities,
             m.capabilities)
        t.eq("--plaintext-auth: IMAP LOGIN in plaintext", m.login(*ALICE)[0], "OK")
        m.logout()
    finally:
        t.eq("serve --plaintext-auth exits 0", srv.terminate(), 0)


def json_marks(t, mailsim, tmp):
    """JSON Lines: the lines after the handshake carry "tls": true, those
    before it do not."""
    import json
    srv = L.Server(mailsim, tmp, json_log=True, plaintext_auth=False, name="json", nservers=2)
    try:
        if not t.ok("serve --json listens", srv.wait_ready(), srv.stderr()):
            return
        s = smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT)
        s.ehlo("json.example")
        s.starttls(context=no_verify())
        s.ehlo("json.example")
        s.quit()
        srv.wait_log('"text":"221 ')
        recs = [json.loads(l) for l in srv.log().splitlines() if l.startswith("{")]
        ehlos = [r for r in recs if r.get("text", "").upper().startswith("EHLO JSON.EXAMPLE")]
        t.eq("JSON: the EHLO before STARTTLS has no tls, the one after has tls true",
             [r.get("tls", False) for r in ehlos], [False, True])
        t.ok("JSON: a tls event between them", any(r.get("event") == "tls" for r in recs))
    finally:
        t.eq("serve --json exits 0", srv.terminate(), 0)


if __name__ == "__main__":
    L.main(run)
