#!/usr/bin/env bash
# Tests of scripts/security-scan's exceptions policy over the committed gitops/: the reviewed
# file passes; an exception that can reach a validation Job is refused, whatever it matches;
# an exception for the build namespace is judged only by whether it matches a finding.
set -uo pipefail
cd "$(dirname "$0")/../.."
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
PASS=0; FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' "$2"; }
scan() { SECURITY_EXCEPTIONS="$1" scripts/security-scan gitops > "$2" 2>&1; }

scan security/checkov-exceptions.yaml "$T/reviewed.out"
status=$?
if [ "$status" -eq 0 ] && grep -q 'none excepted' "$T/reviewed.out"; then ok "the reviewed exceptions file passes"
else nok "reviewed file: status $status" "$T/reviewed.out"; fi

for glob in 'Job.*.*' 'Job.notebook-validation.churn-*' '*.*.*' 'J?b.*.x'; do
  printf 'exceptions:\n- check: CKV_K8S_43\n  resources: ["%s"]\n  reason: test\n' "$glob" > "$T/exc.yaml"
  scan "$T/exc.yaml" "$T/glob.out"
  status=$?
  if [ "$status" -ne 0 ] && grep -qF "'$glob' can match validation Jobs" "$T/glob.out"; then ok "refused: $glob"
  else nok "not refused: $glob (status $status)" "$T/glob.out"; fi
done

# A build-namespace glob is not a validation-pod exception (here it matches nothing, so it
# fails only as stale).
printf 'exceptions:\n- check: CKV_K8S_20\n  resources: ["Job.*-builds.*"]\n  reason: buildah needs SETFCAP\n' > "$T/builds.yaml"
scan "$T/builds.yaml" "$T/builds.out"
status=$?
if [ "$status" -ne 0 ] && ! grep -q 'can match validation Jobs' "$T/builds.out" && grep -q 'matches no finding' "$T/builds.out"; then
  ok "a *-builds exception is judged by its findings only"
else nok "builds exception (status $status)" "$T/builds.out"; fi

# The build-output check cannot be borrowed: a validation Job whose image lost its digest is a
# finding no file can except, and so is a build-output tag pulled IfNotPresent.
cp -R gitops "$T/gitops"
job=$(ls "$T"/gitops/kubernetes/*/5-job-intro-statistics-*.yaml)
sed -i 's|\(image: quay.io/jupyter/scipy-notebook:2025-06-02\)@sha256:[0-9a-f]*|\1|' "$job"
built=$(ls "$T"/gitops/kubernetes/*/5-job-fraud-features-build-*.yaml)
sed -i 's|imagePullPolicy: Always|imagePullPolicy: IfNotPresent|' "$built"
SECURITY_EXCEPTIONS=security/checkov-exceptions.yaml scripts/security-scan "$T/gitops" > "$T/tag.out" 2>&1
status=$?
if [ "$status" -ne 0 ] && grep -q "^NOT EXCEPTED CKV_K8S_43: Job.notebook-validation.intro-statistics-" "$T/tag.out" &&
  grep -q "^NOT EXCEPTED CKV_K8S_43: Job.notebook-validation.fraud-features-build-" "$T/tag.out"; then
  ok "a tag-only spec image and a build output not pulled Always are not excepted"
else nok "tag-only image (status $status)" "$T/tag.out"; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
