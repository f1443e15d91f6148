#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the tests: the
request bodies and query strings of tests/api/*.rs and tests/golden/cases/*.json.

Rust string literals are read with a small tokenizer; `json!(…)` bodies are turned into JSON
where that is easy (Rust expressions inside become 1, `format!` strings "x") and skipped
otherwise. Multipart seeds are the tests' form fields (and every form-like query string)
written as the tests write multipart bodies, after a first line with the boundary, which is
how the body_multipart target reads its input. Each seed is named by a hash of its content, so
running the script again is idempotent. Usage: python3 fuzz/seed_corpus.py (from anywhere).
"""

import glob
import hashlib
import json
import os
import re
import shutil
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
TARGETS = ["body_json", "body_xml", "body_urlencoded", "body_multipart", "filters", "render"]


def rust_unescape(body):
    """The value of a plain (non-raw) Rust string literal's body."""
    out, i = bytearray(), 0
    simple = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'", "0": b"\0"}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = body[i + 1]
        if n in simple:
            out += simple[n]
            i += 2
        elif n == "x":
            out.append(int(body[i + 2 : i + 4], 16))
            i += 4
        elif n == "u":
            end = body.index("}", i)
            out += chr(int(body[i + 3 : end], 16)).encode()
            i = end + 1
        elif n == "\n":  # line continuation: skip the newline and the next line's indent
            i += 2
            while i < len(body) and body[i] in " \t\n":
                i += 1
        else:
            out += ("\\" + n).encode()
            i += 2
    return bytes(out)


LITERAL = re.compile(r'b?r(#*)"(.*?)"\1|b?"((?:[^"\\]|\\.)*)"', re.S)


def literals(src):
    """Every string literal of a Rust source, as bytes."""
    for m in LITERAL.finditer(src):
        if m.group(2) is not None and m.group(0).lstrip("b").startswith("r"):
            yield m.group(2).encode()
        else:
            yield rust_unescape(m.group(3) or "")


def macro_bodies(src, name):
    """The bracketed text of every `name!(…)` in `src`, strings skipped while balancing."""
    for m in re.finditer(re.escape(name) + r"!\s*([(\[{])", src):
        depth, i = 0, m.end(1) - 1
        while i < len(src):
            s = LITERAL.match(src, i)
            if s:
                i = s.end()
                continue
            if src[i] in "([{":
                depth += 1
            elif src[i] in ")]}":
                depth -= 1
                if depth == 0:
                    yield src[m.end(1) : i]
                    break
            i += 1


def json_of_macro(text):
    """A `json!` body as JSON text, or None when it holds more Rust than can be guessed away."""
    parts, i = [], 0
    for m in LITERAL.finditer(text):
        parts.append(text[i : m.start()])
        if m.group(2) is not None and m.group(0).lstrip("b").startswith("r"):
            value = m.group(2)
        else:
            value = rust_unescape(m.group(3) or "").decode("utf-8", "replace")
        parts.append(json.dumps(value))
        i = m.end()
    parts.append(text[i:])
    t = "".join(parts)
    t = re.sub(r"format!\([^()]*\)", '"x"', t)
    t = re.sub(r'&?\b[A-Za-z_][\w.]*(\([^()]*\))?(\.\w+(\([^()]*\))?)*(?=\s*[,\]}]|\s*$)', lambda m: m.group(0) if m.group(0) in ("true", "false", "null") else "1", t)
    t = re.sub(r",\s*([}\]])", r"\1", t)
    try:
        value = json.loads(t)
    except ValueError:
        return None
    return json.dumps(value, ensure_ascii=False).encode()


QUERY = re.compile(rb"^[\w\[\]%]+=")


def query_of(lit):
    """The query string a literal spells (a path's `?…` or a bare `a=b&…`), placeholders as 1."""
    text = re.sub(rb"\{[^{}]*\}", b"1", lit)
    if text.startswith(b"/") and b"?" in text:
        return text.split(b"?", 1)[1]
    if QUERY.match(text) and b" " not in text:
        return text
    return None


def multipart(fields, boundary=b"XyZ123"):
    body = b"".join(
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + k + b'"\r\n\r\n' + v + b"\r\n"
        for k, v in fields
    )
    return boundary + b"\n" + body + b"--" + boundary + b"--\r\n"


def main():
    seeds = {t: set() for t in TARGETS}
    forms = []
    texts = set()
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "api", "*.rs"))):
        src = open(path, encoding="utf-8").read()
        for lit in literals(src):
            q = query_of(lit)
            if q is not None:
                seeds["filters"].add(q)
                seeds["body_urlencoded"].add(q)
                if b"[" in q or b"%5B" in q or b"key=" in q:
                    forms.append(q)
            stripped = lit.lstrip()
            if stripped.startswith(b"<") and b"<html" not in stripped:
                seeds["body_xml"].add(lit)
            if stripped.startswith(b"{"):
                seeds["body_json"].add(lit)
            if lit and len(lit) < 200:
                texts.add(lit)
        for body in macro_bodies(src, "json"):
            j = json_of_macro(body)
            if j is not None and j.startswith(b"{"):
                seeds["body_json"].add(j)
        for block in re.findall(r"(?:multipart\(&\[|let fields = \[)(.*?)\n\s*\]", src, re.S):
            pairs = re.findall(r'\("([^"]*)",\s*(?:"([^"]*)"|[A-Z_]+)\)', block)
            if pairs:
                fields = [(k.encode(), v.encode() or b"1") for k, v in pairs]
                seeds["body_multipart"].add(multipart(fields))
                seeds["body_multipart"].add(multipart(fields, b"----FormBoundary7MA4YWxk"))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "cases", "*.json"))):
        request = json.load(open(path, encoding="utf-8"))["request"]
        if "?" in request["path"]:
            q = request["path"].split("?", 1)[1].encode()
            seeds["filters"].add(q)
            seeds["body_urlencoded"].add(q)
        body = request.get("body")
        if body:
            kind = request.get("headers", {}).get("Content-Type", "")
            seeds["body_xml" if "xml" in kind else "body_json"].add(body.encode())
    for q in forms:
        pairs = urllib.parse.parse_qsl(q.decode("utf-8", "replace"), keep_blank_values=True)
        if pairs:
            seeds["body_multipart"].add(multipart([(k.encode(), v.encode()) for k, v in pairs]))
    # render: the tests' shorter literals, a few to a seed, split by 0xFF as the target reads.
    ordered = sorted(texts)
    for i in range(0, len(ordered), 4):
        seeds["render"].add(b"\xff".join(ordered[i : i + 4]))

    total = 0
    for target, items in seeds.items():
        folder = os.path.join(OUT, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for item in sorted(items):
            name = hashlib.sha1(item).hexdigest()[:16]
            with open(os.path.join(folder, name), "wb") as f:
                f.write(item)
            total += len(item)
        print(f"{target}: {len(items)} seeds")
    print(f"{total} bytes in all")


if __name__ == "__main__":
    main()
