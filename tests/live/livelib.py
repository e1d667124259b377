"""livelib - what every live test shares: start `mailsim serve` on free
loopback ports with its store in a temporary --db, wait until it listens,
stop it, read its store with sqlite3, poll with a deadline, and count
checks.  Python 3 standard library only.

A test script is run as `python3 tests/live/test_X.py MAILSIM`; it prints
`FAIL name: detail` for each failed check (and `ok name` for a passed one
when LIVE_VERBOSE is set), and as its last line `N passed, N failed`.
"""
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

HOST = "127.0.0.1"
# A test waits for events (a port that answers, a row in the store, a line
# in the log), never for a time.  These caps only keep a broken build from
# hanging the run; they are generous because a busy machine is slow, not
# wrong, and a check that runs out of patience fails with its own name.
PATIENCE = 90              # seconds: any wait for an event
SOCK_TIMEOUT = PATIENCE    # every client socket
START_DEADLINE = PATIENCE  # seconds for `serve` to listen
SAFETY_SECONDS = 900       # --seconds: a server never outlives a test run
PORT_TRIES = 20            # starts on fresh ports when another run holds one

CLASSROOM = {
    "alice@uea.edu.br": "alice123",
    "bob@gmail.com": "bob123",
    "carol@gmail.com": "carol123",
}

socket.setdefaulttimeout(SOCK_TIMEOUT)


class Checks:
    def __init__(self, suite):
        self.suite = suite
        self.passed = 0
        self.failed = 0
        self.verbose = bool(os.environ.get("LIVE_VERBOSE"))

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            if self.verbose:
                print("ok   %s: %s" % (self.suite, name), flush=True)
        else:
            self.failed += 1
            print("FAIL %s: %s%s" % (self.suite, name, (": " + str(detail)) if detail != "" else ""),
                  flush=True)
        return bool(cond)

    def eq(self, name, got, want):
        return self.ok(name, got == want, "got %r, expected %r" % (got, want))

    def skip(self, name, why):
        print("skip %s: %s (%s)" % (self.suite, name, why), flush=True)

    def crash(self, where):
        self.failed += 1
        print("FAIL %s: %s raised:" % (self.suite, where), flush=True)
        for line in traceback.format_exc().rstrip().splitlines():
            print("    " + line, flush=True)

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 0 if self.failed == 0 else 1


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_ports():
    """Seven bases (SMTP, submission, POP3, IMAP, and the implicit-TLS
    submissions, POP3S, IMAPS), each followed by a free port for the
    second server: 14 free ports in a random place."""
    rnd = random.Random(os.getpid() ^ int(time.time() * 1000))
    for _ in range(200):
        # below the ephemeral range (32768 and up), where the
        # clients' own sockets could take a port between the check and bind
        base = 20000 + rnd.randrange(0, 12000)
        ports = [base + 10 * k for k in range(7)]
        if all(port_free(p) and port_free(p + 1) for p in ports):
            return ports
    raise RuntimeError("no free ports found")


def wait_until(pred, deadline_s=PATIENCE, step=0.05):
    """Call pred() until it returns something true or the deadline passes;
    return its last value (false on a timeout: the caller's check fails
    under its own name)."""
    end = time.monotonic() + deadline_s
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


SERVERS = []   # every server started, killed at the end whatever happened


class Server:
    """One `mailsim serve`, its ports, its --db and its log."""

    def __init__(self, mailsim, tmpdir, scenario=None, db=None, extra=(), json_log=False,
                 seconds=SAFETY_SECONDS, ports=None, name="serve", nservers=2,
                 plaintext_auth=True, tls=True):
        self.mailsim = mailsim
        self.nservers = nservers
        self.tmpdir = tmpdir
        self.db = db or os.path.join(tmpdir, "%s-%d.db" % (name, len(SERVERS)))
        self.name = name
        self.fixed_ports = ports is not None
        # the tests written before TLS log in over plaintext: they ask
        # for it (serve --plaintext-auth); test_tls does not
        extra = list(extra) + (["--plaintext-auth"] if plaintext_auth and tls else [])
        extra += [] if tls else ["--no-tls"]
        self.tls = tls
        self.opts = (seconds, json_log, extra, scenario)
        self._start(ports or pick_ports())
        SERVERS.append(self)

    def _start(self, ports):
        seconds, json_log, extra, scenario = self.opts
        self.ports = ports
        (self.smtp, self.submission, self.pop3, self.imap,
         self.submissions, self.pop3s, self.imaps) = self.ports
        self.log_path = os.path.join(self.tmpdir, "%s-%d.log" % (self.name, int(time.time() * 1e6)))
        self.err_path = self.log_path + ".err"
        argv = [self.mailsim, "serve", "--db", self.db,
                "--smtp-port", str(self.smtp), "--submission-port", str(self.submission),
                "--pop3-port", str(self.pop3), "--imap-port", str(self.imap),
                "--submissions-port", str(self.submissions), "--pop3s-port", str(self.pop3s),
                "--imaps-port", str(self.imaps), "--seconds", str(seconds)]
        argv += ["--json"] if json_log else ["--log"]
        argv += extra
        if scenario:
            argv.append(scenario)
        self.argv = argv
        self.out = open(self.log_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=self.err,
                                     stdin=subprocess.DEVNULL)

    def port(self, which, server=0):
        return {"smtp": self.smtp, "submission": self.submission,
                "pop3": self.pop3, "imap": self.imap, "submissions": self.submissions,
                "pop3s": self.pop3s, "imaps": self.imaps}[which] + server

    def wait_ready(self, deadline=START_DEADLINE):
        """True when every port of both servers accepts a connection.  A
        server that could not listen because a port was taken meanwhile
        (by another test run, say) is started again on other free ports,
        unless the test chose the ports."""
        for _ in range(PORT_TRIES):
            listening = self.ports if self.tls else self.ports[:4]
            want = [p + k for p in listening for k in range(self.nservers)]

            def ready():
                if self.proc.poll() is not None:
                    return "exited"
                for p in want:
                    try:
                        s = socket.create_connection((HOST, p), timeout=deadline)
                        s.close()
                    except OSError:
                        return False
                return True
            r = wait_until(ready, deadline, 0.05)
            if r is True:
                return self.wait_quiet(len(want))
            if r != "exited" or self.fixed_ports or "cannot listen" not in self.stderr():
                return False
            self._close()
            self._start(pick_ports())
        return False

    def wait_quiet(self, probes):
        """True once the log shows every connection so far taken (at least
        `probes` of them, accepted or refused over a cap) and every one
        accepted closed: a test that counts connections, or caps them,
        starts from none.  Only for a --log server (a --json one's records
        are not counted)."""
        if "--log" not in self.argv:
            return True

        def quiet():
            log = self.log()
            n = len(re.findall(r"127\.0\.0\.1:\d+ +\* connect: ", log))
            refused = len(re.findall(r"\* refused: 127\.0\.0\.1:\d+ refused", log))
            gone = len(re.findall(r"127\.0\.0\.1:\d+ +\* disconnect: ", log))
            return n + refused >= probes and gone >= n
        return bool(wait_until(quiet))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def terminate(self, deadline=PATIENCE):
        """SIGTERM and wait; SIGKILL if it does not go.  Returns the exit
        status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(deadline)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(PATIENCE)
                self._close()
                return None
        self._close()
        return self.proc.returncode

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(PATIENCE)
        self._close()

    def _close(self):
        for f in (self.out, self.err):
            try:
                f.close()
            except OSError:
                pass

    def sql(self, query, args=()):
        """Rows of a query on the store, read by a separate connection
        (WAL: readable while the server runs)."""
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=PATIENCE)
        try:
            return con.execute(query, args).fetchall()
        finally:
            con.close()

    def subjects(self, address, folder="INBOX"):
        return [r[0] for r in self.sql(
            "SELECT m.subject FROM messages m JOIN folders f ON f.id = m.folder_id "
            "JOIN accounts a ON a.id = f.account_id "
            "WHERE a.address = ? AND f.name = ? ORDER BY m.uid", (address, folder))]

    def rows(self, address, folder="INBOX"):
        """(uid, flags, keywords, subject) of a folder, in UID order."""
        return self.sql(
            "SELECT m.uid, m.flags, m.keywords, m.subject FROM messages m "
            "JOIN folders f ON f.id = m.folder_id JOIN accounts a ON a.id = f.account_id "
            "WHERE a.address = ? AND f.name = ? ORDER BY m.uid", (address, folder))

    def folders(self, address):
        return [r[0] for r in self.sql(
            "SELECT f.name FROM folders f JOIN accounts a ON a.id = f.account_id "
            "WHERE a.address = ? ORDER BY f.name", (address,))]

    def wait_log(self, text, deadline=PATIENCE):
        """Poll the log until it holds `text`."""
        return bool(wait_until(lambda: text in self.log(), deadline, 0.05))

    def wait_subjects(self, address, subjects, deadline=PATIENCE, folder="INBOX"):
        """Poll the store until every subject in `subjects` is in the folder."""
        want = set(subjects)

        def arrived():
            try:
                return want <= set(self.subjects(address, folder))
            except sqlite3.Error:
                return False
        return wait_until(arrived, deadline, 0.1)


def message(sender, rcpts, subject, body="Hello from the live tests.\r\n"):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n"
            "Message-ID: <%s@live.test>\r\n\r\n%s"
            % (sender, ", ".join(rcpts), subject, subject.replace(" ", "-"), body))


def main(run):
    """Run `run(checks, mailsim, tmpdir)` and print the summary."""
    mailsim = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./mailsim")
    suite = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    checks = Checks(suite)
    tmpdir = tempfile.mkdtemp(prefix="mailsim-live-")
    try:
        run(checks, mailsim, tmpdir)
    except Exception:
        checks.crash("the test")
    finally:
        for srv in SERVERS:
            if srv.proc.poll() is None:
                srv.proc.kill()
                srv.proc.wait(PATIENCE)
            srv._close()
        if not os.environ.get("LIVE_KEEP"):
            import shutil
            shutil.rmtree(tmpdir, ignore_errors=True)
        else:
            print("kept " + tmpdir)
    sys.exit(checks.summary())
