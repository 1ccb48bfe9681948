#!/bin/sh
# Tests for ../generate-dockerfile.sh: the requirements chain, explicit and preferred
# Dockerfiles/Containerfiles, fallbackStrategy, and path containment. No network.
#
#   sh templates/tekton/tests/test_generate_dockerfile.sh
#
# Prints one line per check and "N passed, M failed" last; exits non-zero on any failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT="$HERE/../generate-dockerfile.sh"
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -f "${2:-}" ] && sed 's/^/         | /' "$2"; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# run NAME [VAR=value ...]: a fresh workspace with the files named in $FILES.
run() {
  name=$1; shift
  ws="$T/$name"
  mkdir -p "$ws/repo"
  for file in $FILES; do mkdir -p "$(dirname "$ws/repo/$file")"; echo "# $file" > "$ws/repo/$file"; done
  env -i PATH="$PATH" NBG_REPO_DIR="$ws/repo" NBG_OUTPUT_DOCKERFILE="$ws/nbgitops.Dockerfile" \
    NBG_BASE_IMAGE=quay.io/jupyter/minimal-notebook:2024-05-27 NBG_NOTEBOOK_PATH=notebooks/tier1/a.ipynb \
    NBG_RESULT_DOCKERFILE="$ws/result-dockerfile" NBG_RESULT_SOURCE="$ws/result-source" "$@" \
    sh "$SCRIPT" > "$ws/log" 2>&1
  echo $? > "$ws/status"
}
result() { cat "$T/$1/result-dockerfile" 2>/dev/null; }
status() { cat "$T/$1/status"; }

FILES="notebooks/tier1/requirements.txt notebooks/requirements.txt requirements.txt"
run chain NBG_AUTO_GENERATE=true
if [ "$(result chain)" = nbgitops.Dockerfile ] && grep -q '^COPY notebooks/tier1/requirements.txt ' "$T/chain/nbgitops.Dockerfile"; then
  ok "the notebook's folder comes first in the default chain"; else nok "notebook folder first" "$T/chain/log"; fi

FILES="notebooks/requirements.txt requirements.txt"
run tier NBG_AUTO_GENERATE=true
if grep -q '^COPY notebooks/requirements.txt ' "$T/tier/nbgitops.Dockerfile"; then ok "then notebooks/"; else nok "notebooks/" "$T/tier/log"; fi

FILES="requirements.txt extra/req.txt"
run explicit NBG_AUTO_GENERATE=true NBG_REQUIREMENTS_FILE=missing.txt NBG_REQUIREMENTS_SOURCES="nope.txt
extra/req.txt"
if grep -q '^COPY extra/req.txt ' "$T/explicit/nbgitops.Dockerfile"; then ok "requirementsSources before the default chain"; else nok "requirementsSources" "$T/explicit/log"; fi

FILES="requirements.txt"
run noauto NBG_AUTO_GENERATE=false
if [ "$(status noauto)" = 0 ] && ! grep -q '^COPY' "$T/noauto/nbgitops.Dockerfile" && grep -q 'papermill' "$T/noauto/nbgitops.Dockerfile"; then
  ok "autoGenerate false: base image plus notebook tools"; else nok "autoGenerate false" "$T/noauto/log"; fi

FILES=""
run fail NBG_AUTO_GENERATE=true NBG_FALLBACK_STRATEGY=fail
if [ "$(status fail)" != 0 ] && grep -q 'fallbackStrategy: fail' "$T/fail/log"; then ok "fallbackStrategy fail stops the build"; else nok "fallback fail" "$T/fail/log"; fi

FILES="docker/Containerfile requirements.txt"
run dockerfile NBG_DOCKERFILE=docker/Containerfile
if [ "$(result dockerfile)" = repo/docker/Containerfile ]; then ok "an explicit dockerfile (Containerfile) is used as is"; else nok "explicit dockerfile" "$T/dockerfile/log"; fi

FILES="requirements.txt"
run missingdockerfile NBG_DOCKERFILE=docker/Dockerfile
if [ "$(status missingdockerfile)" != 0 ]; then ok "a missing explicit dockerfile is an error, not a fallback"; else nok "missing dockerfile" "$T/missingdockerfile/log"; fi

FILES="Containerfile requirements.txt"
run prefer NBG_PREFER_DOCKERFILE=true NBG_AUTO_GENERATE=true
if [ "$(result prefer)" = repo/Containerfile ]; then ok "preferDockerfile picks the repository's Containerfile"; else nok "preferDockerfile" "$T/prefer/log"; fi

FILES="Dockerfile requirements.txt"
run noprefer NBG_AUTO_GENERATE=true
if [ "$(result noprefer)" = nbgitops.Dockerfile ]; then ok "without preferDockerfile the requirements win"; else nok "no preferDockerfile" "$T/noprefer/log"; fi

FILES="requirements.txt"
run escape NBG_DOCKERFILE=../../etc/passwd
if [ "$(status escape)" != 0 ]; then ok "paths outside the repository are refused"; else nok "escape" "$T/escape/log"; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
