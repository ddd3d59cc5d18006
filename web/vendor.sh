#!/usr/bin/env bash
# Re-fetches the vendored front-end files from the npm registry and checks them against VENDOR.md.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack htmx.org@2.0.11 --json > pack.json)
want="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["integrity"])' "$tmp/pack.json")
[ "$got" = "$want" ] || { echo "htmx.org integrity differs: $got" >&2; exit 1; }
tar -xzf "$tmp"/htmx.org-2.0.11.tgz -C "$tmp"
cmp "$tmp/package/dist/htmx.min.js" assets/htmx-2.0.11.min.js && echo "htmx.org 2.0.11: identical"
