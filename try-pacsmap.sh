#!/usr/bin/env bash
# One command for a newcomer on a fresh Debian machine (as root):
#   ./try-pacsmap.sh               set up, then scan a demo fleet of real archives on loopback
#   ./try-pacsmap.sh HOST[:PORT]   set up, then scan HOST (only what you are authorised to scan)
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in orthanc orthanc-dicomweb dcmtk openssl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -d node_modules/node ] || npm ci --no-audit --no-fund --loglevel=error
if [ "$#" -eq 0 ]; then
  exec npm run --silent demo
else
  exec npx pacsmap scan "$@"
fi
