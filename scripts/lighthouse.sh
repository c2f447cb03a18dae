#!/usr/bin/env bash
# Lighthouse benchmark (mobile) of a running Arobase server: prints each category's score, 0–1.
# A benchmark to quote, never a test: nothing here fails on a low score.
#
#   scripts/lighthouse.sh [URL]       default http://127.0.0.1:8080/ (start it with `make run`)
#   LIGHTHOUSE_REPORT=out.html scripts/lighthouse.sh URL   also keeps the HTML report
#
# Uses npm's lighthouse (package.json) and Debian's Chromium, with the same flags as the
# Playwright tests; the page is audited as a phone (Moto G Power, slow 4G, 4× CPU slowdown).
set -euo pipefail
cd "$(dirname "$0")/.."

url="${1:-http://127.0.0.1:8080/}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

node_modules/.bin/lighthouse "$url" \
  --quiet \
  --form-factor=mobile \
  --only-categories=performance,accessibility,best-practices,seo \
  --chrome-flags="$flags" \
  --output=json --output=html \
  --output-path="$out/report" >/dev/null

if [ -n "${LIGHTHOUSE_REPORT:-}" ]; then
  cp "$out/report.report.html" "$LIGHTHOUSE_REPORT"
fi

node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`Lighthouse ${r.lighthouseVersion}, ${r.configSettings.formFactor}, ${r.finalDisplayedUrl}`);
for (const c of Object.values(r.categories)) console.log(`${c.title.padEnd(16)} ${c.score.toFixed(2)}`);
const m = (id) => r.audits[id]?.displayValue ?? "n/a";
console.log(`FCP ${m("first-contentful-paint")}, LCP ${m("largest-contentful-paint")}, TBT ${m("total-blocking-time")}, CLS ${m("cumulative-layout-shift")}`);
const failed = Object.values(r.categories).flatMap((c) => c.auditRefs.map((a) => r.audits[a.id]))
  .filter((a) => a && a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "manual");
for (const a of [...new Map(failed.map((a) => [a.id, a])).values()]) console.log(`  to look at: ${a.id} (${a.score}) ${a.displayValue ?? ""}`);
' "$out/report.report.json"
