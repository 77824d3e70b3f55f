#!/usr/bin/env bash
# Validate the Teams app package against Microsoft's official manifest JSON schema.
#
#   bash scripts/validate_manifest.sh                 build a package with a dummy GUID, validate it
#   bash scripts/validate_manifest.sh --print-schema  install the schema if needed, print its path
#                                                      (for TEAMS_MANIFEST_SCHEMA in tests)
#
# The schema comes from the npm package @microsoft/app-manifest, installed into a cache folder
# outside the repo; it is never copied into the repo. The schema version used is the manifest's
# own "manifestVersion".
#
# Environment:
#   PYTHON                     Python with click, Pillow, jsonschema   (default: .venv/bin/python)
#   APP_MANIFEST_NPM_VERSION   version of @microsoft/app-manifest       (default: 1.1.2)
#   APP_MANIFEST_CACHE         where to install it  (default: ~/.cache/governance-assistant/...)
set -euo pipefail

die() { printf 'validate_manifest: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'validate_manifest: %s\n' "$*" >&2; }

mode=validate
case "${1:-}" in
  "") ;;
  --print-schema) mode=print ;;
  -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${PYTHON:-$repo/.venv/bin/python}"
[ -x "$python" ] || die "Python not found at $python (run 'make run' or set PYTHON)"
[ -f manifest/manifest.json ] || die "manifest/manifest.json not found in $repo"

npm_version="${APP_MANIFEST_NPM_VERSION:-1.1.2}"
cache="${APP_MANIFEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/governance-assistant/app-manifest-$npm_version}"
schemas="$cache/node_modules/@microsoft/app-manifest/build/json-schemas/teams"

manifest_version="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifestVersion"])' \
  manifest/manifest.json)" || die "could not read manifestVersion from manifest/manifest.json"

# 1. The schema, installed once per npm package version.
if [ ! -d "$schemas" ]; then
  command -v npm >/dev/null 2>&1 || die "npm is not installed (apt-get install npm) - it is needed to fetch the schema"
  say "installing @microsoft/app-manifest@$npm_version into $cache"
  mkdir -p "$cache"
  if ! npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
        "@microsoft/app-manifest@$npm_version" >&2; then
    die "npm could not install @microsoft/app-manifest@$npm_version (is the npm registry reachable?)"
  fi
  [ -d "$schemas" ] || die "@microsoft/app-manifest@$npm_version has no build/json-schemas/teams folder"
fi
schema="$schemas/v$manifest_version/MicrosoftTeams.schema.json"
if [ ! -f "$schema" ]; then
  available="$(ls "$schemas" | tr '\n' ' ')"
  die "@microsoft/app-manifest@$npm_version has no schema for manifestVersion $manifest_version (has: $available)"
fi
newest="$(ls "$schemas" | grep -E '^v[0-9]+\.[0-9]+$' | sed 's/^v//' | sort -V | tail -n 1)"
if [ "$newest" != "$manifest_version" ]; then
  say "note: manifest uses schema v$manifest_version; @microsoft/app-manifest@$npm_version also ships v$newest"
fi

if [ "$mode" = print ]; then
  printf '%s\n' "$schema"
  exit 0
fi

"$python" -c 'import jsonschema' 2>/dev/null \
  || die "jsonschema is not installed for $python (run: $python -m pip install jsonschema)"

# 2. A package built the way an admin would build it, with a dummy GUID.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m bot.package --app-id 00000000-0000-4000-8000-000000000000 \
  --privacy-url https://example.org/privacy --terms-url https://example.org/terms \
  --website-url https://example.org/ --out "$work/package.zip" \
  || die "building the package failed (see the message above)"

# 3. Unzip manifest.json and validate it against the versioned schema.
"$python" - "$work/package.zip" "$schema" "$manifest_version" "$npm_version" <<'PY'
import json
import sys
import zipfile

import jsonschema

zip_path, schema_path, manifest_version, npm_version = sys.argv[1:5]
problems = []
with zipfile.ZipFile(zip_path) as archive:
    names = archive.namelist()
    expected = {"manifest.json", "color.png", "outline.png"}
    if set(names) != expected or len(names) != len(expected):
        problems.append(f"zip must hold exactly {sorted(expected)} at its root; it holds {names}")
    manifest = json.loads(archive.read("manifest.json").decode("utf-8"))
for key, path in manifest.get("icons", {}).items():
    if path not in names:
        problems.append(f"icons.{key} points to {path!r}, which is not in the zip")

with open(schema_path, encoding="utf-8") as handle:
    schema = json.load(handle)
# The schema says draft-04 but uses draft-06/07 keywords ("const", "if"/"then"); Draft 7
# honours them, whereas a draft-04 validator would silently skip them.
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
for error in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path))):
    where = "/".join(map(str, error.absolute_path)) or "(root)"
    problems.append(f"{where}: {error.message}")

label = f"Teams manifest schema v{manifest_version} (@microsoft/app-manifest@{npm_version})"
if problems:
    print(f"validate_manifest: error: manifest.json is NOT valid against {label}:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    sys.exit(1)
print(f"validate_manifest: OK: package is valid against {label}")
PY
