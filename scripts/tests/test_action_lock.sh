#!/usr/bin/env bash
# Tests of scripts/action-lock (the action's scheduled `mode: lock`) with a stub `nbgitops`
# (writes nbgitops.lock from $STUB_COMMIT, fails with $STUB_FAIL) and a stub `gh` (records its
# arguments; `pr list` prints $STUB_OPEN_PR), over a real git repository with a bare origin.
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
[ -n "${STUB_FAIL:-}" ] && [ "$1" = "$STUB_FAIL" ] && exit 1
if [ "$1" = lock ]; then printf 'refs:\n- commit: %s\n' "$STUB_COMMIT" > nbgitops.lock; fi
if [ "$1" = render ]; then mkdir -p gitops && printf 'ref: %s\n' "$STUB_COMMIT" > gitops/job.yaml; fi
exit 0
STUB
cat > "$T/bin/gh" <<'STUB'
#!/bin/sh
echo "gh $*" >> "$STUB_LOG"
case "$1 $2" in
  "pr list") printf '%s\n' "${STUB_OPEN_PR:-}" ;;
  "pr create") echo "https://github.example/org/repo/pull/7" ;;
esac
STUB
chmod +x "$T/bin/nbgitops" "$T/bin/gh"
export PATH="$T/bin:$PATH" STUB_LOG="$T/calls" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid

git init -q --bare "$T/origin.git"
git init -q -b main "$T/repo"
cd "$T/repo" || exit 1
git remote add origin "$T/origin.git"
STUB_COMMIT=aaaa "$T/bin/nbgitops" lock >/dev/null; STUB_COMMIT=aaaa "$T/bin/nbgitops" render >/dev/null
git add -A && git commit -q -m initial && git push -q origin main
run() { : > "$T/out"; : > "$T/summary"; : > "$T/calls"
  GITHUB_OUTPUT="$T/out" GITHUB_STEP_SUMMARY="$T/summary" "$here/scripts/action-lock" > "$T/log" 2>&1; }

STUB_COMMIT=aaaa run; status=$?
if [ "$status" -eq 0 ] && grep -qx 'changed=false' "$T/out" && ! grep -q '^gh ' "$T/calls"; then
  ok "unmoved refs: no commit, no pull request"
else nok "unmoved refs (status $status)" "$T/summary"; fi

git checkout -q main
STUB_COMMIT=bbbb run; status=$?
if [ "$status" -eq 0 ] && grep -qx 'changed=true' "$T/out" \
  && grep -qx 'pull-request=https://github.example/org/repo/pull/7' "$T/out" \
  && grep -q '^gh pr create --head nbgitops/lock-refs --base main' "$T/calls" \
  && git --git-dir="$T/origin.git" show nbgitops/lock-refs:nbgitops.lock | grep -q 'commit: bbbb' \
  && git --git-dir="$T/origin.git" show nbgitops/lock-refs:gitops/job.yaml | grep -q 'ref: bbbb'; then
  ok "a moved ref: lock and gitops/ committed to nbgitops/lock-refs, pull request opened"
else nok "moved ref (status $status)" "$T/log"; fi

git checkout -q main
STUB_COMMIT=cccc STUB_OPEN_PR=https://github.example/org/repo/pull/7 run; status=$?
if [ "$status" -eq 0 ] && ! grep -q '^gh pr create' "$T/calls" \
  && grep -qx 'pull-request=https://github.example/org/repo/pull/7' "$T/out" \
  && git --git-dir="$T/origin.git" show nbgitops/lock-refs:nbgitops.lock | grep -q 'commit: cccc'; then
  ok "an open pull request is updated, not duplicated"
else nok "open pull request (status $status)" "$T/log"; fi

git checkout -q main
STUB_COMMIT=dddd STUB_FAIL=lock run; status=$?
if [ "$status" -ne 0 ] && grep -qx 'changed=false' "$T/out" && ! grep -q '^gh ' "$T/calls" \
  && git --git-dir="$T/origin.git" show nbgitops/lock-refs:nbgitops.lock | grep -q 'commit: cccc'; then
  ok "a failing lock pushes nothing and fails the step"
else nok "failing lock (status $status)" "$T/log"; fi

echo "action-lock: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
