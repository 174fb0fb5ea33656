#!/usr/bin/env bash
# Rebuild static/vendor/codemirror/ from the npm registry (needs node and npm; `make run` does not).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
out=../../static/vendor/codemirror
node -e 'const p=require("./package-lock.json").packages; const v=n=>p["node_modules/"+n].version;
console.log(Object.keys(p).filter(k=>k&&!k.includes("esbuild")).map(k=>k.slice(13)+" "+p[k].version).join("\n"))' > "$out/VERSION"
# Every package the bundle contains (all but the build tool), with its licence text.
{
  for dir in node_modules/*/LICENSE node_modules/@*/*/LICENSE; do
    case $dir in *esbuild*) continue ;; esac
    echo "== ${dir#node_modules/}"; cat "$dir"; echo
  done
} > "$out/LICENSE"
echo "built $out/editor.min.js ($(wc -c < "$out/editor.min.js") bytes)"
