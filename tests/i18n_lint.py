#!/usr/bin/env python3
"""tests/i18n_lint.py - strings a person reads that are not marked for translation.

A string reaches a person through a few channels, and this script knows them:
  - the `note` of anything: every function of protocols/, sim/ and ui/ with a
    parameter named `note` (wire_line, world_event, imap_server_ok...) is
    found in the sources, and its argument at that place is checked;
  - the C library's printing (printf, fprintf, fputs, puts) and the terminal's
    (term_put, term_put_cut): their text;
  - the messages of the tools: world_event's detail, the scenario parser's
    errors (scn_err_at, scn_err_col), the store's (set_error).
A string literal given there must sit inside _(), N_() or P_() (protocols/
i18n.h), unless it has no word in it ("%s\\n", ": ", "mailsim lab: %s"), or
its call carries the
comment `i18n: not for people` with a reason (JSON keys, wire text written
with fprintf, a file format), on the call's first line or the line before.

  python3 tests/i18n_lint.py [ROOT]     prints FILE:LINE: ... per finding
Exit status 1 when there is a finding.
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
DIRS = ("protocols", "sim", "ui")
EXEMPT = "i18n: not for people"

# function -> the 0-based indexes of its arguments a person reads
FIXED = {
    "printf": {0}, "fprintf": {1}, "fputs": {0}, "puts": {0},
    "term_put": {3}, "term_put_cut": {3},
    "world_event": {5}, "scn_err_at": {2}, "scn_err_col": {2}, "set_error": {1},
}
MARKS = ("_", "N_", "P_")


def skip_quoted(text, i):
    """Past the string or character literal that starts at text[i]."""
    j = i + 1
    while j < len(text) and text[j] != text[i]:
        j += 2 if text[j] == "\\" else 1
    return j + 1


def strip_comments(src):
    """The source with comments blanked (newlines kept), strings untouched."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c in "\"'":
            j = skip_quoted(src, i)
            out.append(src[i:j])
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_args(text, start):
    """From the '(' at start: the list of (offset, argument text), the end."""
    depth, i, n, args, a0 = 0, start, len(text), [], start + 1
    while i < n:
        c = text[i]
        if c in "\"'":
            i = skip_quoted(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append((a0, text[a0:i]))
                return args, i
        elif c == "," and depth == 1:
            args.append((a0, text[a0:i]))
            a0 = i + 1
        i += 1
    return args, n


def note_functions(files):
    """Every function with a parameter named `note`, and where it is."""
    found = {}
    decl = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\(([^;{}()]*)\)", re.S)
    for path, text in files.items():
        for m in decl.finditer(text):
            params = [p.strip() for p in m.group(2).split(",")]
            for k, p in enumerate(params):
                if re.search(r"\bnote$", p) and "const char" in p:
                    found.setdefault(m.group(1), set()).add(k)
    return found


STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
DIRECTIVE = re.compile(r"%[-+ #0]*(\*|\d+)?(\.(\*|\d+))?(hh|h|ll|l|z|j|t|L)?[diouxXeEfgGcsp%]")


# the program's and its commands' names are names, not words to translate
NAMES = re.compile(r"\bmailsim( (serve|lab|inspect|play|run|validate))?\b")


def unmarked(arg):
    """The string literals of arg itself (not of a call inside it, such as
    _(), N_(), P_() or strcmp()) that have words in them."""
    masked = arg
    for m in re.finditer(r"\b[A-Za-z_][A-Za-z0-9_]*\s*\(", arg):
        if masked[m.start()] == " ":
            continue  # inside a call masked already
        _, end = split_args(arg, m.end() - 1)
        masked = masked[:m.start()] + " " * (end + 1 - m.start()) + masked[end + 1:]
    bad = []
    for m in STRING.finditer(masked):
        s = DIRECTIVE.sub(" ", m.group(0)[1:-1])
        s = NAMES.sub(" ", s)
        s = re.sub(r"\\[ntr\\\"']", " ", s)
        if re.search(r"[A-Za-z]{2,}", s):
            bad.append(m.group(0))
    return bad


def main():
    raw, files = {}, {}
    for d in DIRS:
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            if name.endswith((".c", ".h")):
                path = os.path.join(d, name)
                with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                    raw[path] = f.read()
                files[path] = strip_comments(raw[path])
    checked = dict(FIXED)
    for fn, idx in note_functions(files).items():
        checked.setdefault(fn, set()).update(idx)
    call = re.compile(r"\b(" + "|".join(sorted(checked, key=len, reverse=True)) + r")\s*\(")
    findings = 0
    for path, text in files.items():
        if not path.endswith(".c"):
            continue
        lines = raw[path].split("\n")
        for m in call.finditer(text):
            before = text[:m.start()].rstrip()
            if re.search(r"\b(void|int|bool|char|size_t|static|const)\s*\**$", before):
                continue  # the function's own definition or declaration
            line = text.count("\n", 0, m.start())
            near = lines[line] + (lines[line - 1] if line > 0 else "")
            if EXEMPT in near:
                continue
            args, _ = split_args(text, m.end() - 1)
            for k in checked[m.group(1)]:
                if k < len(args):
                    for lit in unmarked(args[k][1]):
                        at = line + 1 + text.count("\n", m.start(), args[k][0])
                        print(f"{path}:{at}: {m.group(1)}() argument {k + 1}: {lit[:70]} "
                              "is not marked for translation")
                        findings += 1
    print(f"{findings} unmarked")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
