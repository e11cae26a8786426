#!/usr/bin/env bash
# Makes `promtool` available (the alert-rules test runs it): on Debian/Ubuntu it takes only the
# binary out of the distribution's prometheus package (installing the package would start a
# Prometheus server). Elsewhere it says how to get it and exits 1.
set -euo pipefail
command -v promtool >/dev/null 2>&1 && exit 0
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "promtool is missing: install Prometheus' promtool (e.g. brew install prometheus) and run the tests again" >&2
  exit 1
fi
target=/usr/local/bin/promtool
[ -w "$(dirname "$target")" ] || { echo "promtool is missing and $(dirname "$target") is not writable: run as root, or install promtool" >&2; exit 1; }
echo "installing promtool (from Debian's prometheus package, binary only)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) ||
  { apt-get update -qq && (cd "$tmp" && apt-get download prometheus >/dev/null); }
dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -xO ./usr/bin/promtool >"$target"
chmod 755 "$target"
