#!/usr/bin/env python3
"""First-time two-word searches, one at a time: the cost the `search_2words` scenario's p99 is
made of, measured without the load around it.

    cargo build --release
    python3 benches/first_time_searches.py target/bench-1000000.db [--binary target/release/contacts]

Reads 231 people's "first last" names from the database (every 3,797th contact), starts the
server on a scratch copy (the server takes the file for itself), waits for its trigram census,
asks each name once over HTTP and prints the total, p50/p90/p99 and the slowest names.
Standard library only. The database must hold the load benchmark's admin key (`cargo bench
--bench load -- --contacts N` prepares such a file).
"""
import argparse, json, os, shutil, socket, sqlite3, subprocess, sys, time, urllib.parse, urllib.request

BENCH_ADMIN_KEY = "b0a7c4e1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7"
CENSUS_WAIT_S = 12  # the census of a million contacts takes about 5 s of one core, the name order 1 s


def names(db):
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = c.execute(
        "SELECT first_name, last_name FROM contacts WHERE is_company = 0 AND last_name IS NOT NULL"
        " AND id % 3797 = 1 LIMIT 260"
    ).fetchall()
    c.close()
    return [f"{f} {l}" for f, l in rows]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--binary", default="target/release/contacts")
    a = ap.parse_args()
    searched = names(a.db)
    copy = a.db + ".first-searches.db"
    shutil.copyfile(a.db, copy)
    port = free_port()
    server = subprocess.Popen(
        [a.binary, "serve", "--db", copy, "--listen", f"127.0.0.1:{port}"],
        env={**os.environ, "RUST_LOG": "warn"},
    )
    try:
        time.sleep(CENSUS_WAIT_S)
        times = []
        for name in searched:
            url = f"http://127.0.0.1:{port}/contacts.json?search={urllib.parse.quote(name)}"
            req = urllib.request.Request(url, headers={"X-Redmine-API-Key": BENCH_ADMIN_KEY})
            t = time.perf_counter()
            body = urllib.request.urlopen(req).read()
            times.append(((time.perf_counter() - t) * 1000, name, json.loads(body)["total_count"]))
    finally:
        server.terminate()
        server.wait()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(copy + suffix):
                os.remove(copy + suffix)
    times.sort()
    n = len(times)
    pick = lambda q: times[min(n - 1, int(n * q))][0]
    print(f"n={n} total={sum(t for t, _, _ in times):.0f} ms p50={pick(0.5):.1f} p90={pick(0.9):.1f} "
          f"p99={pick(0.99):.1f} max={times[-1][0]:.1f} ms")
    for t, name, total in times[-8:]:
        print(f"  {t:.1f} ms  {name!r}  {total} matches")


if __name__ == "__main__":
    sys.exit(main())
