#!/usr/bin/env python3
"""Solve (or get wrong on purpose) the shipped lab exercises.

    solve.py EXERCISE right|wrong BASE_SMTP BASE_SUBMISSION BASE_POP3 BASE_IMAP
    solve.py submission-auth route ...   (the wrong route: straight to
                                          mx.gmail.com's port 25, no AUTH)

The ports are the lab's base ports: mail.uea.edu.br listens on them,
mx.gmail.com one above each.  Everything is typed over raw sockets, line by
line, as a student would with nc -C: no smtplib, poplib or imaplib.
"""
import base64
import re
import socket
import sys
import time

HOST = "127.0.0.1"
# Every wait is for an event (a port that answers, mail that arrived);
# PATIENCE only caps it so that a broken lab fails instead of hanging.
PATIENCE = 90  # seconds


class Line:
    """A line-oriented client that prints what it sends and hears."""

    def __init__(self, port):
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                self.s = socket.create_connection((HOST, port), timeout=PATIENCE)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.f = self.s.makefile("rb")

    def line(self):
        b = self.f.readline()
        if not b:
            raise EOFError("server closed the connection")
        t = b.decode("utf-8", "replace").rstrip("\r\n")
        print("S: " + t)
        return t

    def send(self, text):
        print("C: " + text)
        self.s.sendall(text.encode() + b"\r\n")

    # SMTP: a reply is lines "250-..." up to "250 ..."
    def smtp(self, text=None, expect=None):
        if text is not None:
            self.send(text)
        while True:
            t = self.line()
            if len(t) < 4 or t[3] != "-":
                break
        if expect and not t.startswith(expect):
            raise SystemExit("unexpected SMTP reply to %r: %s" % (text, t))
        return t

    # POP3: one line, or up to "." for multi-line answers
    def pop(self, text, multi=False):
        self.send(text)
        first = self.line()
        if not first.startswith("+OK"):
            raise SystemExit("unexpected POP3 answer to %r: %s" % (text, first))
        lines = []
        if multi:
            while True:
                t = self.line()
                if t == ".":
                    break
                lines.append(t[1:] if t.startswith("..") else t)
        return first, lines

    # IMAP: everything up to the tagged answer
    def imap(self, tag, text):
        self.send("%s %s" % (tag, text))
        got = []
        while True:
            t = self.line()
            got.append(t)
            if t.startswith(tag + " "):
                if not t.startswith(tag + " OK"):
                    raise SystemExit("IMAP command failed: " + t)
                return got

    def close(self):
        self.s.close()


def smtp_send(port, mail_from, rcpt, headers, body, auth=None):
    c = Line(port)
    c.smtp(expect="220")
    c.smtp("EHLO student-pc", "250")
    if auth:
        c.smtp("AUTH PLAIN " + auth, None)
    if not c.smtp("MAIL FROM:<%s>" % mail_from).startswith("250"):
        c.smtp("QUIT")
        c.close()
        return
    c.smtp("RCPT TO:<%s>" % rcpt, "250")
    c.smtp("DATA", "354")
    for h in headers:
        c.send(h)
    c.send("")
    c.send(body)
    c.smtp(".", "250")
    c.smtp("QUIT", "221")
    c.close()


def pop_wait(port, user, password, n):
    """Log in once there are n messages; the open session."""
    deadline = time.monotonic() + PATIENCE
    while True:
        c = Line(port)
        c.line()
        c.pop("USER " + user)
        c.pop("PASS " + password)
        first, _ = c.pop("STAT")
        if int(first.split()[1]) >= n:
            return c
        c.pop("QUIT")
        c.close()
        if time.monotonic() > deadline:
            raise SystemExit("FAIL pop_wait: the mail the story sends never arrived "
                             "(%ds)" % PATIENCE)
        time.sleep(0.3)


def smtp_by_hand(p, right):
    subject = "Hello by hand" if right else "Hello by Hand"
    smtp_send(p[0], "alice@uea.edu.br", "carol@uea.edu.br",
              ["From: Alice Raiol <alice@uea.edu.br>", "To: carol@uea.edu.br",
               "Subject: " + subject], "Typed line by line.")


def submission_auth(p, right):
    if right is None:  # the message arrives, by the wrong route
        smtp_send(p[0] + 1, "alice@uea.edu.br", "bob@gmail.com",
                  ["From: alice@uea.edu.br", "To: bob@gmail.com",
                   "Subject: Submitted with AUTH"], "Straight to Bob's server.")
        return
    password = "alice123" if right else "alice321"
    cred = base64.b64encode(("\0alice@uea.edu.br\0" + password).encode()).decode()
    smtp_send(p[1], "alice@uea.edu.br", "bob@gmail.com",
              ["From: alice@uea.edu.br", "To: bob@gmail.com",
               "Subject: Submitted with AUTH"], "Relayed for me.", auth=cred)


def pop3_delete(p, right):
    c = pop_wait(p[2] + 1, "bob@gmail.com", "bob123", 2)
    _, listing = c.pop("LIST", multi=True)
    victim = None
    for entry in listing:
        n = entry.split()[0]
        _, head = c.pop("TOP %s 0" % n, multi=True)
        if "Subject: Delete me" in head:
            victim = n
    if not right:
        victim = "1"  # a guess, without reading: "Keep me" came first
    c.pop("DELE " + victim)
    c.pop("QUIT")
    c.close()


def imap_flag_move(p, right):
    port = p[3] + 1
    deadline = time.monotonic() + PATIENCE
    while True:
        c = Line(port)
        c.line()
        c.imap("a1", "LOGIN bob@gmail.com bob123")
        got = c.imap("a2", "SELECT INBOX")
        if any(re.match(r"\* 2 EXISTS", t) for t in got):
            break
        c.imap("a9", "LOGOUT")
        c.close()
        if time.monotonic() > deadline:
            raise SystemExit("FAIL imap_flag_move: the mail the story sends never arrived "
                             "(%ds)" % PATIENCE)
        time.sleep(0.3)
    got = c.imap("a3", "FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    num, important, old = None, None, None
    for t in got:
        m = re.match(r"\* (\d+) FETCH", t)
        if m:
            num = m.group(1)
        if t.startswith("Subject: Important"):
            important = num
        if t.startswith("Subject: Old news"):
            old = num
    c.imap("a4", "FETCH %s BODY[HEADER]" % important)
    c.imap("a5", "STORE %s +FLAGS (\\Flagged)" % important)
    if right:
        c.imap("a6", "CREATE Archive")
        c.imap("a7", "MOVE %s Archive" % old)
    c.imap("a8", "LOGOUT")
    c.close()


def sockets_assignment(p, right):
    # the student's own client: raw sockets, each reply code checked
    headers = ["From: alice@uea.edu.br", "Subject: Kurose-Ross lab"]
    if right:
        headers.insert(1, "To: bob@gmail.com")
    smtp_send(p[0] + 1, "alice@uea.edu.br", "bob@gmail.com", headers, "I love computer networks!")


def bounce_diagnosis(p, right):
    c = pop_wait(p[2], "alice@uea.edu.br", "alice123", 1)
    _, msg = c.pop("RETR 1", multi=True)
    c.pop("QUIT")
    c.close()
    code = None
    for t in msg:
        m = re.match(r"Status: (\d\.\d{1,3}\.\d{1,3})", t)
        if m:
            code = m.group(1)
    if not code:
        raise SystemExit("no Status: line in the bounce")
    subject = code if right else "550"
    smtp_send(p[0], "alice@uea.edu.br", "teacher@uea.edu.br",
              ["From: alice@uea.edu.br", "To: teacher@uea.edu.br", "Subject: " + subject],
              "I found it.")


SOLVERS = {
    "smtp-by-hand": smtp_by_hand,
    "submission-auth": submission_auth,
    "pop3-delete": pop3_delete,
    "imap-flag-move": imap_flag_move,
    "sockets": sockets_assignment,
    "bounce-diagnosis": bounce_diagnosis,
}

if __name__ == "__main__":
    name, how = sys.argv[1], sys.argv[2]
    ports = [int(a) for a in sys.argv[3:7]]
    SOLVERS[name](ports, None if how == "route" else how == "right")
