#!/usr/bin/env python3
"""seeds.py OUTDIR - write raw seed inputs for every fuzz target.

Reading guide.  The seeds come from what the project already knows is
interesting: the strings the unit tests (tests/unit/*.c) feed each engine,
the lessons (scenarios/**/*.scn) and the golden transcripts
(tests/golden/*.out), split into what clients said (seeds for the servers)
and what servers answered (seeds for the clients).  Engine seeds start with
the two control bytes of tests/fuzz/fuzz.h.  The output is raw and
redundant; tests/fuzz/run.sh minimizes it into tests/fuzz/corpus/ with
libFuzzer's -merge=1 (make fuzz-seed).
"""
import hashlib
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
UNIT = os.path.join(ROOT, 'tests', 'unit')

ESC = {'n': 10, 'r': 13, 't': 9, '0': 0, '\\': 92, '"': 34, "'": 39, 'a': 7, 'b': 8,
       'f': 12, 'v': 11, '?': 63}


def c_unescape(body):
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != '\\':
            out += ch.encode('utf-8')
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == 'x':
            m = re.match(r'[0-9a-fA-F]+', body[i + 2:])
            out.append(int(m.group(0), 16) & 0xff)
            i += 2 + len(m.group(0))
        elif nxt in '01234567':
            m = re.match(r'[0-7]{1,3}', body[i + 1:])
            out.append(int(m.group(0), 8) & 0xff)
            i += 1 + len(m.group(0))
        else:
            out.append(ESC.get(nxt, ord(nxt)))
            i += 2
    return bytes(out)


STR = r'"(?:[^"\\\n]|\\.)*"'
# a string expression: literals and macro names, adjacent
EXPR = re.compile(r'(?:(?:%s|[A-Z][A-Z0-9_]*)\s*)+' % STR)


def eval_expr(text, macros):
    """The bytes of a string expression, or None if it is not one."""
    out = b''
    pos = 0
    text = text.strip()
    tok = re.compile(r'\s*(%s|[A-Z][A-Z0-9_]*)' % STR)
    while pos < len(text):
        m = tok.match(text, pos)
        if not m:
            return None
        t = m.group(1)
        if t.startswith('"'):
            out += c_unescape(t[1:-1])
        elif t in macros:
            out += macros[t]
        else:
            return None
        pos = m.end()
    return out if text else None


def load(path):
    src = open(path, encoding='utf-8').read()
    src = src.replace('\\\n', ' ')  # macro continuation lines
    macros = {}
    for m in re.finditer(r'^#define\s+([A-Z][A-Z0-9_]*)\s+(.*)$', src, re.M):
        v = eval_expr(re.sub(r'/\*.*?\*/', '', m.group(2)), macros)
        if v is not None:
            macros[m.group(1)] = v
    for m in re.finditer(r'static const char (\w+)\[\]\s*=\s*((?:%s\s*)+);' % STR, src):
        v = eval_expr(m.group(2), macros)
        if v is not None:
            macros[m.group(1).upper()] = v
            macros[m.group(1)] = v
    return src, macros


def functions(src):
    """(name, body) of each function definition."""
    parts = re.split(r'\n(?=static [^\n]*\w+\([^;]*\)\n\{)', src)
    for p in parts:
        m = re.match(r'static [^\n]*?(\w+)\(', p)
        if m:
            yield m.group(1), p


def call_args(body, names, argno, macros):
    """Values of argument argno of calls to names, in order."""
    out = []
    for m in re.finditer(r'\b(%s)\(' % '|'.join(names), body):
        i = m.end()
        depth, start, args = 0, i, []
        while i < len(body):
            c = body[i]
            if c == '"':
                j = i + 1
                while body[j] != '"':
                    j += 2 if body[j] == '\\' else 1
                i = j + 1
                continue
            if c in '([{':
                depth += 1
            elif c in ')]}':
                if depth == 0:
                    args.append(body[start:i])
                    break
                depth -= 1
            elif c == ',' and depth == 0:
                args.append(body[start:i])
                start = i + 1
            i += 1
        if len(args) > argno:
            v = eval_expr(args[argno], macros)
            if v is not None:
                out.append(v)
    return out


def all_strings(src, macros, minlen=1):
    out = []
    for m in re.finditer(r'(?:%s\s*)+' % STR, src):
        v = eval_expr(m.group(0), macros)
        if v is not None and len(v) >= minlen:
            out.append(v)
    return out


class Out:
    def __init__(self, root):
        self.root = root

    def put(self, target, data):
        d = os.path.join(self.root, target)
        os.makedirs(d, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


def ctl(flags, chunk_class=1, seed=ord('A')):
    return bytes([(flags << 2) | chunk_class, seed])


def golden_streams():
    """(proto, client bytes, server bytes) of each connection in the transcripts."""
    line_re = re.compile(r'^\s+\d+\.\d+s\s+(\S+)\s+(->|<-)\s+(\S+)\s+(SMTP|POP3|IMAP)  (.*)$')
    gdir = os.path.join(ROOT, 'tests', 'golden')
    for name in sorted(os.listdir(gdir)):
        if not name.endswith('.out'):
            continue
        conns = {}
        for line in open(os.path.join(gdir, name), encoding='utf-8'):
            m = line_re.match(line.rstrip('\n'))
            if not m:
                continue
            dev, arrow, host, proto, text = m.groups()
            text = text.split('   -- ')[0]  # the teaching note
            key = (dev, host, proto)
            c = conns.setdefault(key, [b'', b''])
            c[0 if arrow == '->' else 1] += text.encode('utf-8') + b'\r\n'
        for (dev, host, proto), (cl, sv) in conns.items():
            yield proto, cl, sv


def main():
    out = Out(sys.argv[1])

    # --- servers: what the unit tests say to them, one seed per test
    src, mac = load(os.path.join(UNIT, 'test_smtp_server.c'))
    for name, body in functions(src):
        said = b''.join(call_args(body, ['say', 'say_bytewise'], 1, mac))
        if said:
            sub = 1 if re.search(r't_(open|ready)\(&?t, true', body) else 0
            pre = b'EHLO c.example\r\n' if 't_ready' in body or 't_in_mail' in body else b''
            if sub and 't_ready' in body:
                pre += b'AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n'
            if 't_in_mail' in body:
                pre += b'MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n'
            out.put('smtp_server', ctl(sub) + pre + said)

    src, mac = load(os.path.join(UNIT, 'test_pop3_server.c'))
    for name, body in functions(src):
        said = b''.join(call_args(body, ['say', 'say_bytewise'], 1, mac))
        if said:
            pre = b'USER alice\r\nPASS secret\r\n' if 't_login' in body else b''
            out.put('pop3_server', ctl(0) + pre + said)

    src, mac = load(os.path.join(UNIT, 'test_imap_server.c'))
    for name, body in functions(src):
        said = b''.join(call_args(body, ['say', 'say_n'], 1, mac))
        if said:
            ready = 'session_ready' in body
            two = len(re.findall(r'session_(ready|open)\(', body)) > 1
            flags = (0 if ready else 2) | (1 if two else 0)
            out.put('imap_server', ctl(flags) + said)
            out.put('imap_parse', ctl(0) + said)

    # --- clients: what the unit tests' fake servers answer
    for proto in ('smtp', 'pop3', 'imap'):
        src, mac = load(os.path.join(UNIT, 'test_%s_client.c' % proto))
        for name, body in functions(src):
            said = b''.join(call_args(body, ['said', 'said_bytewise'], 1, mac))
            if not said:
                continue
            flags = 0
            if proto == 'smtp':
                flags = 1 if 'submit_client' in body else 0
            elif proto == 'pop3':
                flags = 1 if re.search(r'\(true', body) else 0
            else:
                tasks = ['SYNC', 'OPEN', 'STORE', 'CREATE', 'MOVE', 'DELETE', 'APPEND']
                for i, t in enumerate(tasks):
                    if 'IMAP_TASK_' + t in body:
                        flags = i
                        break
                if 'known' in body:
                    flags |= 8
            out.put('%s_client' % proto, ctl(flags) + said)

    # --- the IMAP parser: every command the parser tests use
    src, mac = load(os.path.join(UNIT, 'test_imap_parse.c'))
    for name, body in functions(src):
        cmds = call_args(body, ['render', 'frames', 'render_n', 'frame'], 0, mac)
        if cmds:
            out.put('imap_parse', ctl(0) + b''.join(c if c.endswith(b'\n') else c + b'\r\n'
                                                     for c in cmds))

    # --- message helpers and MIME: the test messages
    src, mac = load(os.path.join(UNIT, 'test_imap_msg.c'))
    msgs = [v for v in mac.values() if b'\r\n' in v and len(v) > 30]
    sections = [s for s in call_args(src, ['section', 'CHECK_SECTION'], 1, mac)]
    needles = call_args(src, ['search'], 2, mac)
    fields = call_args(src, ['search'], 1, mac)
    uniq = []
    for m in msgs:
        if m not in uniq:
            uniq.append(m)
    for i, m in enumerate(uniq):
        sec = sections[i % len(sections)] if sections else b''
        fld = fields[i % len(fields)] if fields else b'Subject'
        ndl = needles[i % len(needles)] if needles else b'x'
        out.put('imap_msg', sec + b'\n' + fld + b' ' + ndl + b'\n' + m)
        out.put('mime', m)
    for s in sections:
        out.put('imap_msg', s + b'\nTEXT a\n' + (uniq[0] if uniq else b''))

    src, mac = load(os.path.join(UNIT, 'test_mime.c'))
    for s in set(all_strings(src, mac, 6)):
        out.put('mime', s)

    # --- the scenario parser: the lessons and the parser tests' files
    for dirpath, _, files in os.walk(os.path.join(ROOT, 'scenarios')):
        for f in files:
            if f.endswith('.scn'):
                out.put('scenario', open(os.path.join(dirpath, f), 'rb').read())
    src, mac = load(os.path.join(UNIT, 'test_scenario.c'))
    for s in set(all_strings(src, mac, 10)):
        if b'\n' in s:
            out.put('scenario', s)

    # --- golden transcripts: each connection's two directions
    for proto, cl, sv in golden_streams():
        p = proto.lower()
        if p == 'imap':
            out.put('imap_server', ctl(2) + cl)
            out.put('imap_parse', ctl(0) + cl)
        else:
            out.put('%s_server' % p, ctl(0) + cl)
        out.put('%s_client' % p, ctl(0) + sv)


if __name__ == '__main__':
    main()
