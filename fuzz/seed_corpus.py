#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the tests: the
request bodies and query strings of tests/api/*.rs and tests/golden/cases/*.json; for the
importers (import_vcard, import_csv) the sample files of tests/data, each also cut in half, the
files written in the import tests (tests/api/imports.rs, src/formats/samples.rs), and the edge
cases of EDGE_VCARD and EDGE_CSV.

Rust string literals are read with a small tokenizer; `json!(…)` bodies are turned into JSON
where that is easy (Rust expressions inside become 1, `format!` strings "x") and skipped
otherwise. Multipart seeds are the tests' form fields (and every form-like query string)
written as the tests write multipart bodies, after a first line with the boundary, which is
how the body_multipart target reads its input. Each seed is named by a hash of its content, so
running the script again is idempotent. Usage: python3 fuzz/seed_corpus.py [TARGET...] (from
anywhere): rewrites the named targets' corpora, all of them when none is named.
"""

import glob
import hashlib
import json
import os
import re
import shutil
import sys
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
TARGETS = ["body_json", "body_xml", "body_urlencoded", "body_multipart", "filters", "render", "import_vcard", "import_csv"]

BOM = b"\xef\xbb\xbf"
CARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ann;;;\r\nFN:Ann Lee\r\nEMAIL;TYPE=INTERNET:ann@x.example\r\nEND:VCARD\r\n"
# What the sample files lack: empty files, a lone byte order mark, folding, truncation,
# 8-bit text without a charset (read as Windows-1252) or with one, quoted-printable soft
# breaks, LF-only ends, nesting and blank lines between cards.
EDGE_VCARD = [
    b"",
    BOM,
    BOM + CARD,
    CARD.replace(b"\r\n", b"\n"),
    CARD + b"\r\n\r\n" + CARD,
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Folded\r\n  Name\r\nNOTE:a long\r\n\tnote\r\nEND:VCARD\r\n",
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut Short\r\nTEL:+1 555",
    b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:M\xfcller;J\xfcrgen\r\nFN:Fran\xe7ois \x80\x9c\r\nEND:VCARD\r\n",
    b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=windows-1252:Gr\xf6\xdfe;K\xe4the\r\nEND:VCARD\r\n",
    b"BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Zeile =\r\neins=0D=0A=FC\r\nEND:VCARD\r\n",
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nBEGIN:VCARD\r\nFN:B\r\nEND:VCARD\r\n",
    b"BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:Acme\r\nORG:Acme\r\nBDAY:--1021\r\nX-FIELD-1:x\r\nEND:VCARD\r\n",
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:P\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\nEND:VCARD\r\n",
]
# The same for CSV: ragged rows, quoted line breaks, other separators, Windows-1252, an
# unterminated quote, CR-only ends, blank lines, custom field columns.
EDGE_CSV = [
    b"",
    BOM,
    BOM + b"First Name,Last Name\r\n",
    b"First Name,Last Name\r\nAnn,Lee\r\nBob\r\nCy,Young,extra\r\n",
    b'First Name,Background\r\nAnn,"two\r\nlines, quoted ""here"""\r\n',
    b"Vorname;Nachname;E-Mail\nAnn;Lee;ann@x.example\n\nBo;Ray;\n",
    b"First Name\tEmail\tTags\r\nAnn\tann@x.example\ta;b\r\n",
    b"Pr\xe9nom;Nom;Soci\xe9t\xe9\r\nFran\xe7ois;Lef\xe8vre;\x80 Caf\xe9\r\n",
    b'First Name,Notes\r\nAnn,"never closed\r\nBob,x\r\n',
    b"First Name,Last Name\rAnn,Lee\rBob,Ray\r",
    b"Name,Field 1,Field 5,Is company,Assignee,Birthday\r\nAcme Inc,a,1,yes,jsmith,21.10.1980\r\n",
]


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
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "*"))):
        data = open(path, "rb").read()
        target = "import_vcard" if path.endswith(".vcf") else "import_csv"
        seeds[target].update([data, data[: len(data) // 2]])
    for path in [os.path.join(ROOT, "tests", "api", "imports.rs"), os.path.join(ROOT, "src", "formats", "samples.rs")]:
        for lit in literals(open(path, encoding="utf-8").read()):
            if b"BEGIN:VCARD" in lit:
                seeds["import_vcard"].add(lit)
            elif b"\n" in lit and re.match(rb"^[^\n]*[,;]", lit):
                seeds["import_csv"].add(lit)
    seeds["import_vcard"].update(EDGE_VCARD)
    seeds["import_csv"].update(EDGE_CSV)
    # render: the tests' shorter literals, a few to a seed, split by 0xFF as the target reads.
    ordered = sorted(texts)
    for i in range(0, len(ordered), 4):
        seeds["render"].add(b"\xff".join(ordered[i : i + 4]))

    total = 0
    chosen = sys.argv[1:] or TARGETS
    for target, items in seeds.items():
        if target not in chosen:
            continue
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
