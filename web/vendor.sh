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

(cd "$tmp" && npm pack echarts@6.1.0 --json > pack-echarts.json)
want="sha512-q0yaFPggC9FUdsWH4blavRWFmxdrIodbkoKNAjJudAI6CA9gNPxHtV2RcZNEepZVlk4yvBYkOkbk6HIVpIyHZA=="
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["integrity"])' "$tmp/pack-echarts.json")
[ "$got" = "$want" ] || { echo "echarts integrity differs: $got" >&2; exit 1; }
mkdir -p "$tmp/echarts" && tar -xzf "$tmp"/echarts-6.1.0.tgz -C "$tmp/echarts"
cmp "$tmp/echarts/package/dist/echarts.min.js" assets/echarts-6.1.0.min.js && echo "echarts 6.1.0: identical"
