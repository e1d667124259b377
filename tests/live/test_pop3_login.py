"""POP3 logins with Python's poplib against `mailsim serve`: a password of
100 octets with spaces in it logs in (the 40-character cap of RFC 2449 4
is not for passwords), CAPA lists AUTH-RESP-CODE (RFC 3206), and APOP is
parsed and refused in words, leaving the session usable."""
import os
import poplib

import livelib as L

ANN = "ann@example.test"
# 100 octets: words, spaces, a double space, a trailing space
PASSWORD = ("correct horse battery staple  " * 4)[:99] + " "
assert len(PASSWORD) == 100

SCENARIO = """title "POP3 login"
domain example.test server mail.example.test
user %s password "%s"
""" % (ANN, PASSWORD)


def run(t, mailsim, tmp):
    scn = os.path.join(tmp, "pop3-login.scn")
    with open(scn, "w") as f:
        f.write(SCENARIO)
    srv = L.Server(mailsim, tmp, scenario=scn, nservers=1)
    try:
        if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
            return
        body(t, srv)
    finally:
        t.eq("serve exits 0 on SIGTERM", srv.terminate(), 0)


def body(t, srv):
    t.eq("the store has the 100-octet password",
         srv.sql("SELECT length(password) FROM accounts WHERE address = ?", (ANN,)), [(100,)])

    p = poplib.POP3(L.HOST, srv.pop3, timeout=L.SOCK_TIMEOUT)
    caps = p.capa()
    t.ok("CAPA lists AUTH-RESP-CODE", "AUTH-RESP-CODE" in caps, caps)
    t.ok("CAPA does not list APOP", not any(k.upper().startswith("APOP") for k in caps), caps)
    try:
        p._shortcmd("APOP %s c4c9334bac560ecc979e58001b3e22fb" % ANN)
        t.ok("APOP refused", False, "accepted")
    except poplib.error_proto as e:
        t.ok("APOP answered -ERR APOP not offered", "APOP not offered" in str(e), e)

    # the same password but one octet short: [AUTH]
    p.user(ANN)
    try:
        p.pass_(PASSWORD[:-1])
        t.ok("a wrong long password refused", False, "accepted")
    except poplib.error_proto as e:
        t.ok("a wrong long password is -ERR [AUTH]", "[AUTH]" in str(e), e)

    t.ok("USER +OK", p.user(ANN).startswith(b"+OK"))
    t.ok("PASS with 100 octets and spaces +OK", p.pass_(PASSWORD).startswith(b"+OK"))
    t.eq("STAT on the empty maildrop", p.stat(), (0, 0))
    t.ok("QUIT +OK", p.quit().startswith(b"+OK"))


if __name__ == "__main__":
    L.main(run)
