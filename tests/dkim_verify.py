#!/usr/bin/env python3
"""dkim_verify.py - an independent DKIM verifier (RFC 6376, RFC 8463) for
mailsim's hidden checks: it does not call mailsim, and it shares no code with
protocols/dkim.c.  Python's standard library does the parsing and the
canonicalization (written from RFC 6376 3.4); the `openssl` command does the
public-key arithmetic (`openssl pkeyutl -verify`).

    python3 tests/dkim_verify.py MESSAGE TXT

MESSAGE is a file holding the message as stored (CRLF line ends; header
fields above the signature, such as Return-Path: or Authentication-Results:,
are allowed).  TXT is the key record as DNS publishes it at
s._domainkey.d ("v=DKIM1; k=rsa; p=...").  Prints "pass", or "fail: WHY",
and exits 0 on pass, 1 on fail, 2 on bad usage.
"""
import base64
import hashlib
import os
import re
import subprocess
import sys
import tempfile

WSP = " \t"


def split_message(raw):
    """The header fields (each with its folded lines and final CRLF) and the
    body (after the empty line)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        head, body = raw, b""
        if not head.endswith(b"\r\n"):
            head += b"\r\n"
    else:
        head, body = raw[:end + 2], raw[end + 4:]
    fields = []
    for line in head.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line + b"\r\n"  # a continuation line (folding)
        else:
            fields.append(line + b"\r\n")
    return fields, body


def field_name(field):
    return field.split(b":", 1)[0].strip().lower()


def tags(value):
    """A tag-list (RFC 6376 3.2): name -> value, folding white space
    removed around both."""
    out = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        name, _, val = part.partition("=")
        out[name.strip()] = re.sub(r"[ \t\r\n]+", " ", val).strip()
    return out


def canon_header(field, relaxed):
    """RFC 6376 3.4.1 (simple: unchanged) and 3.4.2 (relaxed)."""
    if not relaxed:
        return field
    name, _, value = field.partition(b":")
    value = value.replace(b"\r\n", b"")           # unfold
    value = re.sub(rb"[ \t]+", b" ", value)       # runs of WSP -> one SP
    value = value.strip(b" \t")                   # WSP at both ends of the value
    return name.strip(b" \t").lower() + b":" + value + b"\r\n"


def canon_body(body, relaxed):
    """RFC 6376 3.4.3 (simple) and 3.4.4 (relaxed)."""
    if relaxed:
        lines = body.split(b"\r\n")
        lines = [re.sub(rb"[ \t]+", b" ", l).rstrip(b" \t") for l in lines]
        body = b"\r\n".join(lines)
    while body.endswith(b"\r\n\r\n"):             # empty lines at the end
        body = body[:-2]
    if relaxed:
        if body in (b"", b"\r\n"):
            return b""
    elif body == b"":
        return b"\r\n"                             # simple: an empty body is CRLF
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body


def public_key_pem(txt, kind):
    rec = tags(txt)
    p = rec.get("p", "").replace(" ", "")
    if not p:
        raise ValueError("the key record has no p= (or a revoked key)")
    der = base64.b64decode(p)
    if kind == "ed25519":
        # RFC 8463 4.2: p= is the raw 32-byte key; openssl wants it as a
        # SubjectPublicKeyInfo (OID 1.3.101.112)
        der = bytes.fromhex("302a300506032b6570032100") + der
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def openssl_verify(pem, data, sig, kind):
    with tempfile.TemporaryDirectory() as d:
        kf, df, sf = (os.path.join(d, n) for n in ("key.pem", "data", "sig"))
        with open(kf, "w") as f:
            f.write(pem)
        with open(sf, "wb") as f:
            f.write(sig)
        with open(df, "wb") as f:
            f.write(hashlib.sha256(data).digest())
        cmd = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", kf, "-in", df,
               "-sigfile", sf]
        if kind == "ed25519":
            # RFC 8463 3: ed25519 signs the SHA-256 of the data (PureEdDSA)
            cmd.append("-rawin")
        else:
            # PKCS #1 v1.5 over the SHA-256 (RFC 6376 3.3.1)
            cmd += ["-pkeyopt", "digest:sha256"]
        r = subprocess.run(cmd, capture_output=True)
        return r.returncode == 0


def verify(raw, txt):
    fields, body = split_message(raw)
    sigs = [f for f in fields if field_name(f) == b"dkim-signature"]
    if not sigs:
        return "no DKIM-Signature"
    sigfield = sigs[0]
    sig = tags(sigfield.split(b":", 1)[1].decode("ascii"))
    alg = sig.get("a", "")
    if alg not in ("rsa-sha256", "ed25519-sha256"):
        return "unknown a=%s" % alg
    kind = "ed25519" if alg.startswith("ed25519") else "rsa"
    c = sig.get("c", "simple/simple").split("/")
    hrelaxed = c[0] == "relaxed"
    brelaxed = len(c) > 1 and c[1] == "relaxed"

    body_c = canon_body(body, brelaxed)
    if "l" in sig:
        body_c = body_c[:int(sig["l"])]
    bh = base64.b64encode(hashlib.sha256(body_c).digest()).decode()
    if bh != sig.get("bh", "").replace(" ", ""):
        return "body hash did not verify"

    # RFC 6376 5.4.2: each name in h= takes the last unused field of that
    # name, from the bottom up; a name with none left adds nothing
    used = set()
    data = b""
    for name in [h.strip().lower().encode() for h in sig.get("h", "").split(":")]:
        for i in range(len(fields) - 1, -1, -1):
            if i not in used and field_name(fields[i]) == name:
                used.add(i)
                data += canon_header(fields[i], hrelaxed)
                break
    # the signature field itself, b= emptied, without its final CRLF (3.7)
    # (3.5: "the value of the b= tag (including all surrounding whitespace)
    # is deleted"; the field's own final CRLF is not part of it)
    emptied = re.sub(rb"([;:][ \t\r\n]*b[ \t\r\n]*=)[^;]*", rb"\1", sigfield[:-2], count=1)
    data += canon_header(emptied + b"\r\n", hrelaxed)[:-2] if hrelaxed else emptied

    try:
        pem = public_key_pem(txt, kind)
    except ValueError as e:
        return str(e)
    b = base64.b64decode(sig.get("b", "").replace(" ", ""))
    if not openssl_verify(pem, data, b, kind):
        return "signature did not verify"
    return None


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    why = verify(raw, sys.argv[2])
    if why:
        print("fail: " + why)
        return 1
    print("pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
