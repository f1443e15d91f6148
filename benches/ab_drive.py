#!/usr/bin/env python3
"""Sequential keep-alive requests for instruction counts under callgrind (A/B of two builds):
`ab_drive.py PORT KEY get|list|search|tag N`. See benches/RESULTS.md, "The layout change"."""
import http.client, random, sys, json
port, key, kind, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
random.seed(7)
c = http.client.HTTPConnection("127.0.0.1", port)
paths = []
for i in range(n):
    if kind == "get":
        paths.append(f"/contacts/{random.randint(1, 100000)}.json")
    elif kind == "list":
        paths.append(f"/contacts.json?offset={random.randint(0, 2000)}")
    elif kind == "tag":
        paths.append("/contacts.json?tags=" + random.choice(["customer", "lead", "prospect"]))
    elif kind == "search":
        paths.append("/contacts.json?search=" + random.choice(["anna", "smith", "gmail", "ma", "ivan", "lee", "berg", "son"]))
ok = 0
for p in paths:
    c.request("GET", p, headers={"X-Redmine-API-Key": key})
    r = c.getresponse(); r.read()
    ok += r.status == 200
print(kind, n, "ok", ok)
