#!/usr/bin/env bash
# One command for a newcomer on a fresh Debian machine (as root):
#   ./try-pacsmap.sh                  set up, start the lab fleet (simulated PACS on loopback), scan it, show the result
#   ./try-pacsmap.sh TARGET… [opts]   set up, then scan TARGET… (only what you are authorised to scan)
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
[ -x node_modules/.bin/node ] || npm ci --no-audit --no-fund --loglevel=error
node=node_modules/.bin/node
pacsmap() { "$node" bin/pacsmap.js "$@"; }
if [ "$#" -gt 0 ]; then
  exec "$node" bin/pacsmap.js scan "$@"
fi
lab=.pacsmap/lab
pacsmap lab down --dir "$lab" >/dev/null 2>&1 || true
pacsmap lab up --hosts 60 --seed try-pacsmap --detach --dir "$lab"
trap 'pacsmap lab down --dir "$lab" >/dev/null 2>&1 || true' EXIT
ports=$("$node" -e 'const g=require(process.argv[1]);console.log([...new Set(g.endpoints.map(e=>e.port))].sort((a,b)=>a-b).join(","))' "$PWD/$lab/ground-truth.json")
pacsmap scan --facilities "$lab/facilities.yaml" -p "$ports" --db "$lab/lab.db" --audit "$lab/audit.jsonl" --timeout 3s
id=$(pacsmap scans --db "$lab/lab.db" --json | "$node" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].id))')
pacsmap show "$id" --db "$lab/lab.db"
