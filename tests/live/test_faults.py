"""Faults injected for lab work (serve --faults): a 451 on every 2nd RCPT,
the connection dropped after every 2nd message's final "." (nothing stored),
replies late on a slow link; a bad SPEC is refused with a clear message."""
import smtplib
import socket
import subprocess
import time

import livelib as L


def run(t, mailsim, tmp):
    # a bad spec: exit 2 and say what is wrong
    p = subprocess.run([mailsim, "serve", "--faults", "rcpt451=0", "--seconds", "1"],
                       capture_output=True, text=True, timeout=L.PATIENCE)
    t.eq("bad spec: exit 2", p.returncode, 2)
    t.ok("bad spec: message", "rcpt451 wants a whole number" in p.stderr, p.stderr)
    p = subprocess.run([mailsim, "serve", "--faults", "thunder=1", "--seconds", "1"],
                       capture_output=True, text=True, timeout=L.PATIENCE)
    t.ok("unknown fault named", "unknown fault 'thunder'" in p.stderr, p.stderr)

    srv = L.Server(mailsim, tmp, extra=["--faults", "rcpt451=2,drop-data=2"])
    t.ok("serve with faults starts", srv.wait_ready(), srv.stderr())
    s = smtplib.SMTP(L.HOST, srv.port("smtp"), timeout=L.SOCK_TIMEOUT)
    s.ehlo("faults")
    # 1st message: its RCPT is the 1st (accepted); its data is the 1st (kept)
    refused = s.sendmail("x@example.org", ["alice@uea.edu.br"],
                         L.message("x@example.org", ["alice@uea.edu.br"], "first"))
    t.eq("first message accepted", refused, {})
    # 2nd message: its RCPT is the 2nd: 451, a temporary failure
    try:
        s.sendmail("x@example.org", ["alice@uea.edu.br"],
                   L.message("x@example.org", ["alice@uea.edu.br"], "second"))
        t.ok("second RCPT refused", False, "no error")
    except smtplib.SMTPRecipientsRefused as e:
        code, text = e.recipients["alice@uea.edu.br"]
        t.eq("second RCPT: 451", code, 451)
        t.ok("second RCPT: says it is injected", b"injected fault" in text, text)
    # 3rd message: RCPT accepted (3rd), data is the 2nd: the line drops
    dropped = False
    try:
        s.sendmail("x@example.org", ["alice@uea.edu.br"],
                   L.message("x@example.org", ["alice@uea.edu.br"], "third"))
    except smtplib.SMTPServerDisconnected:
        dropped = True
    t.ok("third message: connection dropped after DATA", dropped)
    # the server has taken the drop once its log says so
    t.ok("log: the drop with its note", srv.wait_log("connection dropped after the final"),
         srv.log()[-800:])
    t.eq("store: only the first message", sorted(srv.subjects("alice@uea.edu.br")), ["first"])
    log = srv.log()
    t.ok("log: the 451 fault with its note", "* fault: 451 for <alice@uea.edu.br>" in log, log[-800:])
    srv.terminate()

    # slow=400ms: the greeting itself comes late
    slow = L.Server(mailsim, tmp, extra=["--faults", "slow=400ms"], name="slow")
    t.ok("slow serve starts", slow.wait_ready(), slow.stderr())
    t0 = time.monotonic()
    c = socket.create_connection((L.HOST, slow.port("pop3")), timeout=L.SOCK_TIMEOUT)
    greeting = c.recv(200)
    took = time.monotonic() - t0
    c.close()
    t.ok("slow: greeting arrives", greeting.startswith(b"+OK"), greeting)
    t.ok("slow: at least 400 ms late (%.2f s)" % took, took >= 0.4)
    slow.terminate()


if __name__ == "__main__":
    L.main(run)
