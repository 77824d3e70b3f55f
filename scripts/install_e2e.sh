#!/usr/bin/env bash
# Install what the end-to-end browser test needs (tests/e2e): Debian's chromium and, from npm,
# Microsoft 365 Agents Playground, into a cache folder outside the repo. Idempotent.
#
# Environment:
#   E2E_TOOLS            where to npm-install (default: ~/.cache/governance-assistant/e2e)
#   PLAYGROUND_VERSION   @microsoft/m365agentsplayground version (default: 0.2.28)
set -euo pipefail

say() { printf 'install_e2e: %s\n' "$*" >&2; }
tools="${E2E_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/governance-assistant/e2e}"
version="${PLAYGROUND_VERSION:-0.2.28}"

if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing chromium (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "chromium missing and apt-get not usable as this user: the browser test will be skipped"
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  say "npm missing: the browser test will be skipped"
  exit 0
fi
bin="$tools/node_modules/.bin/agentsplayground"
if [ ! -x "$bin" ] || ! grep -q "\"version\": \"$version\"" "$tools/node_modules/@microsoft/m365agentsplayground/package.json"; then
  say "installing @microsoft/m365agentsplayground@$version into $tools"
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || printf '{"name": "e2e-tools", "private": true}\n' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "@microsoft/m365agentsplayground@$version" >&2
fi
say "ready: $bin, $(command -v chromium || echo 'no chromium')"
