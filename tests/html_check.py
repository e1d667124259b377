#!/usr/bin/env python3
"""html_check.py - a small HTML5 validator for mailsim's handout pages.

There is no HTML validator among the project's dependencies, so this one
checks, with python3's html.parser, what matters for a self-contained page:

  - the doctype, <html lang=...>, <meta charset="utf-8">, a non-empty <title>
  - well-formed nesting: every element closed in order (void elements
    never closed), nothing left open at the end
  - only known HTML5 elements (and, inside <svg>, known SVG elements)
  - no external resource: no URL with a scheme or "//" in src, href,
    xlink:href, action, or CSS url(), no <link>, <iframe>, <object>...
  - unique ids, and every "#id" link points at an id that exists
  - the bytes are valid UTF-8

    python3 tests/html_check.py FILE.html...      (exit 0: valid)
    python3 tests/html_check.py --svg FILE.svg    (a standalone SVG)
    python3 tests/html_check.py --dom DOM JSONL [N]
        DOM (a page, or Chromium's --dump-dom of it) has one <svg
        class="arrow"> per protocol line of the --json trace JSONL (of its
        first N steps, if given), and every note's text
    python3 tests/html_check.py --png FILE.png
        a screenshot: a PNG that decodes and is not all one colour

Prints "FILE: LINE:COL: problem" for each problem.
"""
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
HTML5 = VOID | {
    "html", "head", "title", "style", "script", "noscript", "body", "header", "footer",
    "main", "nav", "section", "article", "aside", "h1", "h2", "h3", "h4", "h5", "h6",
    "p", "div", "span", "a", "em", "strong", "small", "code", "pre", "kbd", "samp",
    "b", "i", "u", "s", "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd", "table",
    "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "details",
    "summary", "figure", "figcaption", "blockquote", "q", "abbr", "time", "mark",
    "svg", "template", "label", "button", "form", "select", "option", "textarea",
    "fieldset", "legend", "picture", "audio", "video", "canvas", "data", "dfn",
    "bdi", "bdo", "ruby", "rt", "rp", "var", "cite", "ins", "del", "output",
    "progress", "meter", "address", "hgroup", "search", "menu", "dialog", "slot",
}
SVG = {"svg", "g", "line", "polyline", "polygon", "rect", "circle", "ellipse", "path",
       "text", "tspan", "title", "desc", "defs", "marker", "use", "style", "symbol",
       "clippath", "lineargradient", "stop"}
SVG_VOID_OK = SVG  # in SVG any element may be self-closed
FORBIDDEN = {"link", "iframe", "object", "embed", "img", "base", "frame", "frameset",
             "audio", "video", "source"}
URL_ATTRS = {"src", "href", "xlink:href", "action", "poster", "srcset", "data"}
EXTERNAL = re.compile(r"^\s*([a-z][a-z0-9+.-]*:|//)", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.I)


class Checker(HTMLParser):
    def __init__(self, svg_doc):
        super().__init__(convert_charrefs=True)
        self.svg_doc = svg_doc
        self.stack = []          # (tag, pos)
        self.problems = []
        self.ids = {}
        self.links = []          # (target, pos)
        self.seen = set()
        self.lang = None
        self.charset = False
        self.title = ""
        self.in_title = False
        self.in_style = False
        self.doctype = False
        self.svg_depth = 0

    def problem(self, msg):
        line, col = self.getpos()
        self.problems.append(f"{line}:{col + 1}: {msg}")

    def handle_decl(self, decl):
        if decl.lower() == "doctype html":
            self.doctype = True
        else:
            self.problem(f"unexpected declaration <!{decl}>")

    def in_svg(self):
        return self.svg_doc or self.svg_depth > 0

    def check_attrs(self, tag, attrs):
        for k, v in attrs:
            v = v or ""
            if k == "id":
                if v in self.ids:
                    self.problem(f"duplicate id '{v}'")
                self.ids[v] = self.getpos()
            if k in URL_ATTRS:
                if EXTERNAL.match(v):
                    self.problem(f"external URL in {k}: {v}")
                if v.startswith("#"):
                    self.links.append((v[1:], self.getpos()))
            if k == "style":
                self.check_css(v)
            if k.startswith("on"):
                self.problem(f"inline event handler {k}")

    def check_css(self, css):
        for m in CSS_URL.finditer(css):
            if not m.group(1).startswith("#"):
                self.problem(f"url() in CSS: {m.group(1)}")
        if "@import" in css:
            self.problem("@import in CSS")

    def handle_starttag(self, tag, attrs):
        self.start(tag, attrs, selfclosing=False)

    def handle_startendtag(self, tag, attrs):
        self.start(tag, attrs, selfclosing=True)

    def start(self, tag, attrs, selfclosing):
        self.seen.add(tag)
        if self.in_svg() or tag == "svg":
            if tag not in SVG:
                self.problem(f"unknown SVG element <{tag}>")
        elif tag not in HTML5:
            self.problem(f"unknown HTML5 element <{tag}>")
        if tag in FORBIDDEN:
            self.problem(f"<{tag}> loads or embeds something: not self-contained")
        if tag == "script" and any(k == "src" for k, _ in attrs):
            self.problem("external script")
        self.check_attrs(tag, attrs)
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and (a.get("charset") or "").lower() == "utf-8":
            self.charset = True
        if tag in VOID and not self.in_svg():
            return
        if selfclosing:
            if not self.in_svg():
                self.problem(f"<{tag}/> self-closed outside SVG")
            return
        if tag == "svg":
            self.svg_depth += 1
        if tag == "title":
            self.in_title = True
        if tag == "style":
            self.in_style = True
        self.stack.append((tag, self.getpos()))

    def handle_endtag(self, tag):
        if tag in VOID and not self.in_svg():
            self.problem(f"</{tag}>: a void element has no end tag")
            return
        if not self.stack:
            self.problem(f"</{tag}> closes nothing")
            return
        top, pos = self.stack[-1]
        if top != tag:
            self.problem(f"</{tag}> closes <{top}> opened at {pos[0]}:{pos[1] + 1}")
            # recover: pop up to the matching tag if there is one
            if any(t == tag for t, _ in self.stack):
                while self.stack and self.stack[-1][0] != tag:
                    self.stack.pop()
                self.stack.pop()
            return
        self.stack.pop()
        if tag == "svg":
            self.svg_depth -= 1
        if tag == "title":
            self.in_title = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.in_style:
            self.check_css(data)


def check(path, svg_doc):
    raw = open(path, "rb").read()
    problems = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"not valid UTF-8: {e}"]
    if svg_doc:
        text = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
    c = Checker(svg_doc)
    c.feed(text)
    c.close()
    problems += c.problems
    for tag, pos in c.stack:
        problems.append(f"{pos[0]}:{pos[1] + 1}: <{tag}> never closed")
    for target, pos in c.links:
        if target not in c.ids:
            problems.append(f"{pos[0]}:{pos[1] + 1}: link to #{target}, which no id names")
    if svg_doc:
        if "svg" not in c.seen:
            problems.append("no <svg> element")
        return problems
    if not c.doctype:
        problems.append("no <!DOCTYPE html>")
    if not c.lang:
        problems.append("<html> has no lang attribute")
    if not c.charset:
        problems.append('no <meta charset="utf-8">')
    if not c.title.strip():
        problems.append("no <title> (or an empty one)")
    for tag in ("html", "head", "body"):
        if tag not in c.seen:
            problems.append(f"no <{tag}>")
    return problems


class Dom(HTMLParser):
    """The arrows and the text of a page, as a browser's DOM holds them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.arrows = 0
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag == "svg" and "arrow" in (dict(attrs).get("class") or "").split():
            self.arrows += 1

    def handle_data(self, data):
        self.text.append(data)


def squash(s):
    return " ".join(s.split())


def check_dom(dom_path, jsonl_path, nsteps):
    import json
    d = Dom()
    d.feed(open(dom_path, encoding="utf-8").read())
    d.close()
    text = squash(" ".join(d.text))
    lines, notes, steps = 0, [], 0
    for raw in open(jsonl_path, encoding="utf-8"):
        r = json.loads(raw)
        if "checks" in r or r.get("event", "").startswith("check-"):
            continue
        steps += 1
        if nsteps is not None and steps > nsteps:
            break
        if "proto" in r:
            lines += 1
        if r.get("note"):
            notes.append(r["note"])
        if r.get("event") == "note":
            notes.append(r["detail"])
    problems = []
    if d.arrows != lines:
        problems.append(f"{d.arrows} arrows, but the trace has {lines} protocol lines")
    for n in notes:
        if squash(n) not in text:
            problems.append(f"note missing: {n[:60]}")
    return problems


def png_colours(path):
    """The number of distinct pixels of an 8-bit RGB/RGBA PNG (zlib only)."""
    import struct
    import zlib
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise ValueError(f"PNG depth {depth} colour type {ctype}: not checked")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # the filters of PNG section 9
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        if y % 8 == 0:
            for x in range(0, stride, bpp * 4):
                colours.add(bytes(line[x:x + 3]))
        prev = line
    return len(colours)


def main(argv):
    if argv and argv[0] == "--png":
        n = png_colours(argv[1])
        if n < 2:
            print(f"{argv[1]}: all one colour")
            return 1
        print(f"{argv[1]}: {n} colours")
        return 0
    if argv and argv[0] == "--dom":
        nsteps = int(argv[3]) if len(argv) > 3 else None
        problems = check_dom(argv[1], argv[2], nsteps)
        for p in problems:
            print(f"{argv[1]}: {p}")
        return 1 if problems else 0
    svg_doc = False
    if argv and argv[0] == "--svg":
        svg_doc = True
        argv = argv[1:]
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    bad = 0
    for path in argv:
        for p in check(path, svg_doc):
            print(f"{path}: {p}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
