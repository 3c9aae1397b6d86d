"""What the schemathesis run did, per operation: Daphne's access log, by status class.

`python tests/schema/access_log.py DAPHNE_LOG SCHEMA_JSON` (called by .ci/schemathesis).
"""

import collections
import json
import re
import sys

log, schema_path = sys.argv[1], sys.argv[2]
with open(schema_path) as schema_file:
    schema = json.load(schema_file)
routes = []
for path, operations in schema["paths"].items():
    pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
    routes += [(method.upper(), path, pattern) for method in operations]
line = re.compile(r'"([A-Z]+) ([^" ?]*)[^"]*" (\d{3}) [0-9-]+$')
counts = collections.defaultdict(collections.Counter)
with open(log, errors="replace") as log_file:
    lines = log_file.read().splitlines()
for text in lines:
    found = line.search(text.strip())
    if not found:
        continue
    method, path, status = found.groups()
    label = next((f"{m} {p}" for m, p, rx in routes if m == method and rx.match(path)), "(other)")
    counts[label][status[0] + "xx"] += 1
print(f"{sum(sum(c.values()) for c in counts.values())} requests answered:")
for label in sorted(counts):
    print(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts[label].items())))
