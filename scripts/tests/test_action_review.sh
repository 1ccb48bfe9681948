#!/usr/bin/env bash
# Tests of scripts/action-review (the action's review summary) with a stub `nbgitops` (records
# its arguments and the commit the base ref names; prints $STUB_SUMMARY or $STUB_SUMMARY_FILE, or fails with
# $STUB_FAIL), over a real git repository whose pull-request base branch exists only on origin.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
PASS=0; FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' "$2"; }

mkdir -p "$T/bin"
cat > "$T/bin/nbgitops" <<'STUB'
#!/bin/sh
echo "nbgitops $*" >> "$STUB_LOG"
if [ "$1 $2" = "diff --base" ]; then
  git rev-parse --verify --quiet "$3^{commit}" >> "$STUB_LOG" || echo "unknown ref $3" >> "$STUB_LOG"
fi
if [ -n "${STUB_FAIL:-}" ]; then echo "error: cannot read the base $3: $STUB_FAIL" >&2; exit 1; fi
if [ -n "${STUB_SUMMARY_FILE:-}" ]; then cat "$STUB_SUMMARY_FILE"; else printf '%s\n' "$STUB_SUMMARY"; fi
STUB
chmod +x "$T/bin/nbgitops"
export PATH="$T/bin:$PATH" STUB_LOG="$T/calls" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
export STUB_SUMMARY='## nbgitops review: changes compared with `origin/main`'

git init -q --bare "$T/origin.git"
git init -q -b main "$T/seed"
(cd "$T/seed" && echo base > file && git add file && git commit -q -m base \
  && git remote add origin "$T/origin.git" && git push -q origin main)
base_commit=$(git -C "$T/seed" rev-parse HEAD)
# The pull request's checkout: one commit on top of main, cloned without the main branch.
(cd "$T/seed" && git checkout -q -b feature && echo change > file && git commit -q -am change && git push -q origin feature)
git clone -q --single-branch --branch feature "$T/origin.git" "$T/repo"
cd "$T/repo" || exit 1
run() { : > "$T/out"; : > "$T/summary"; : > "$T/calls"
  RUNNER_TEMP="$T" GITHUB_OUTPUT="$T/out" GITHUB_STEP_SUMMARY="$T/summary" "$here/scripts/action-review" > "$T/log" 2>&1; }

git rev-parse --verify --quiet origin/main > /dev/null && nok "the clone should not have origin/main"
GITHUB_BASE_REF=main NBGITOPS_CONFIG=sub/nbgitops.yaml NBGITOPS_REVIEW_ARGS="kubernetes openshift" run; status=$?
expected_summary=$(printf '\n%s' "$STUB_SUMMARY")
if [ "$status" -eq 0 ] \
  && [ "$(cat "$T/calls")" = "$(printf 'nbgitops diff --base origin/main --format markdown --config sub/nbgitops.yaml kubernetes openshift\n%s' "$base_commit")" ] \
  && [ "$(cat "$T/summary")" = "$expected_summary" ] \
  && grep -qx "review-file=$T/nbgitops-review.md" "$T/out"; then
  ok "pull request: the base branch is fetched and the review is appended to the job summary"
else nok "pull request (status $status)" "$T/calls"; sed 's/^/       /' "$T/summary" "$T/log"; fi

run; status=$?
if [ "$status" -eq 0 ] && [ ! -s "$T/calls" ] && [ ! -s "$T/summary" ] && grep -q 'no base ref' "$T/log"; then
  ok "no pull request and no review-base: skipped, nbgitops not run"
else nok "no base (status $status)" "$T/log"; fi

NBGITOPS_REVIEW_BASE=$base_commit run; status=$?
if [ "$status" -eq 0 ] && head -1 "$T/calls" | grep -qx "nbgitops diff --base $base_commit --format markdown" \
  && [ "$(cat "$T/summary")" = "$expected_summary" ]; then
  ok "review-base: a commit is compared with as given"
else nok "review-base (status $status)" "$T/calls"; fi

GITHUB_BASE_REF=main STUB_FAIL="no such ref" run; status=$?
if [ "$status" -eq 0 ] && grep -q 'No review summary compared with `origin/main` (nbgitops diff exited with status 1)' "$T/summary" \
  && grep -q 'no such ref' "$T/summary" && ! grep -q 'review-file=' "$T/out"; then
  ok "nbgitops fails: the summary says why, the step still succeeds"
else nok "failure (status $status)" "$T/summary"; fi

head -c 1000000 /dev/zero | tr '\0' x > "$T/long.md"
STUB_SUMMARY_FILE="$T/long.md" GITHUB_BASE_REF=main run; status=$?
size=$(wc -c < "$T/summary")
if [ "$status" -eq 0 ] && [ "$size" -lt 1000000 ] && grep -q 'The review summary is cut here' "$T/summary"; then
  ok "a summary over GitHub's limit is cut, with a note"
else nok "long summary (status $status, $size bytes)" "$T/log"; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
