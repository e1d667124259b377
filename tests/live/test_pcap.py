"""serve --pcap FILE: the lines of each real connection, with its real
client port on loopback, in a capture that tshark reads whole after
SIGTERM: no malformed packet, the SMTP commands the client sent."""
import os
import signal
import smtplib
import subprocess

import livelib as L


def tshark(path, *args):
    out = subprocess.run(["tshark", "-r", path, *args], capture_output=True, text=True)
    return out.returncode, out.stdout


def run(t, mailsim, tmp):
    if subprocess.run(["sh", "-c", "command -v tshark"], capture_output=True).returncode:
        t.ok("tshark is installed (apt-get install tshark)", False)
        return
    cap = os.path.join(tmp, "live.pcapng")
    srv = L.Server(mailsim, tmp, name="pcap", extra=["--pcap", cap], json_log=True)
    if not t.ok("serve listens", srv.wait_ready(), srv.stderr()):
        return
    with smtplib.SMTP(L.HOST, srv.submission, timeout=L.SOCK_TIMEOUT) as s:
        port = s.sock.getsockname()[1]
        s.login("alice@uea.edu.br", "alice123")
        s.sendmail("alice@uea.edu.br", ["bob@gmail.com"],
                   L.message("alice@uea.edu.br", ["bob@gmail.com"], "captured"))
    t.ok("the mail arrives", srv.wait_subjects("bob@gmail.com", ["captured"]))
    srv.proc.send_signal(signal.SIGTERM)
    t.eq("serve stops: exit status 0", srv.proc.wait(L.PATIENCE), 0)
    rc, _ = tshark(cap, "-T", "fields", "-e", "frame.number")
    t.eq("tshark reads the capture", rc, 0)
    _, bad = tshark(cap, "-Y", "_ws.malformed", "-T", "fields", "-e", "frame.number")
    t.eq("no malformed packet", bad.split(), [])
    _, cmds = tshark(cap, "-Y", "tcp.srcport == %d" % port, "-T", "fields",
                     "-e", "smtp.req.command")
    cmds = [c.upper() for c in cmds.split() if c]
    t.ok("the client's real port carries its SMTP commands",
         all(c in cmds for c in ("EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT")), cmds)


if __name__ == "__main__":
    L.main(run)
