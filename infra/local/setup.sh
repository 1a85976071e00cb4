#!/usr/bin/env bash
# `npm run setup`: installs what reef needs on a Debian/Ubuntu machine and says clearly what it
# could not do. Safe to run again. `--ci` skips the npm install (CI runs `npm ci` itself).
#
#   nats-server  JetStream server for the local stack and the tests (Debian package nats-server)
#   docker.io    Docker daemon for the docker executor (optional: reef falls back to processes)
#   postgresql   PostgreSQL binaries for the SQL components' tests and the medallion example
#                (the tests start throwaway clusters; the package's own server is not needed)
#   chromium     Debian's browser, for the web console's browser tests (playwright-core drives
#                /usr/bin/chromium; no browser is ever downloaded)
set -uo pipefail
cd "$(dirname "$0")/../.."

ci=false
[ "${1:-}" = "--ci" ] && ci=true
problems=()

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 127
  fi
}

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    problems+=("no apt-get here: install ${missing[*]} with your package manager")
  else
    echo "setup: installing ${missing[*]} (apt-get)"
    if as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
      echo "setup: installed ${missing[*]}"
    else
      problems+=("could not apt-get install ${missing[*]} (not root and no passwordless sudo?): run 'sudo apt-get install ${missing[*]}'")
    fi
  fi
fi

# Docker is optional for reef (the process executor needs none), required for the docker tests.
if command -v docker >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  if command -v dockerd >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: starting dockerd (host networking only: --bridge=none)"
    mkdir -p .reef
    setsid nohup dockerd --bridge=none --iptables=false >.reef/dockerd.log 2>&1 &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || problems+=("dockerd did not answer within 60 s: see .reef/dockerd.log")
  else
    problems+=("no Docker daemon answers: start it (e.g. 'sudo systemctl start docker') to use REEF_EXECUTOR=docker; reef uses processes meanwhile")
  fi
fi

if [ "$ci" = false ]; then
  echo "setup: npm install"
  npm install --no-audit --no-fund || problems+=("npm install failed")
fi

if [ ${#problems[@]} -gt 0 ]; then
  echo
  echo "setup: done, with problems:"
  for p in "${problems[@]}"; do echo "  - $p"; done
  command -v nats-server >/dev/null 2>&1 || exit 1
else
  echo "setup: done. Next: npm start"
fi
