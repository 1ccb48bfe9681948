#!/bin/sh
# nbgitops ModelCar check: does this destination already hold the tag? The tag hashes only what
# goes into the image, so a run started because something else changed (the workspace's storage
# class, a serving setting) finds the image there and the pipeline skips download, package, push
# and verify. Same credentials and TLS settings as the push (model-push.sh): the ServiceAccount's
# token and the service CA for the internal registry, the push Secret's auth file otherwise.
#
# Writes "true" or "false" to NBG_RESULT_PRESENT: "true" only when every destination so far holds
# the tag (NBG_PRESENT_BEFORE is the previous destination's answer, "true" for the first). Only a
# missing manifest or repository is "false"; any other registry answer (refused credentials, an
# unreachable or untrusted registry) fails the step, never a silent push or a silent skip.
#
#   NBG_IMAGE (registry/path:tag), NBG_PRESENT_BEFORE, NBG_RESULT_PRESENT, NBG_PUSH_WITH_SA_TOKEN,
#   NBG_TOKEN_FILE, NBG_REGISTRY_CA_DIR, NBG_DOCKERCONFIG_BOUND, NBG_DOCKERCONFIG_DIR, NBG_SKOPEO
set -eu
umask 0077
: "${NBG_IMAGE:?}" "${NBG_RESULT_PRESENT:?}"
skopeo=${NBG_SKOPEO:-skopeo}
registry=${NBG_IMAGE%%/*}
auth="${TMPDIR:-/tmp}/nbgitops-auth.json"
answer() {
  printf '%s' "$1" > "$NBG_RESULT_PRESENT"
  echo "nbgitops model check: $2"
}
if [ "${NBG_PRESENT_BEFORE:-true}" != true ]; then
  answer false "an earlier destination lacks the tag: download, package and push run"
  exit 0
fi
set -- --retry-times 3
if [ "${NBG_PUSH_WITH_SA_TOKEN:-false}" = true ]; then
  token=${NBG_TOKEN_FILE:-/var/run/secrets/kubernetes.io/serviceaccount/token}
  ca=${NBG_REGISTRY_CA_DIR:?NBG_REGISTRY_CA_DIR must hold the service CA as ca.crt}
  [ -s "$ca/ca.crt" ] || { echo "nbgitops model check: no service CA at $ca/ca.crt" >&2; exit 2; }
  "$skopeo" login --authfile "$auth" --cert-dir "$ca" --tls-verify=true --username serviceaccount --password-stdin "$registry" < "$token"
  set -- "$@" --cert-dir "$ca" --authfile "$auth"
elif [ "${NBG_DOCKERCONFIG_BOUND:-false}" = true ]; then
  set -- "$@" --authfile "${NBG_DOCKERCONFIG_DIR:?}/.dockerconfigjson"
fi
errors="${TMPDIR:-/tmp}/nbgitops-check.err"
status=0
"$skopeo" inspect "$@" --tls-verify=true --raw "docker://$NBG_IMAGE" > /dev/null 2> "$errors" || status=$?
if [ "$status" -eq 0 ]; then
  answer true "$NBG_IMAGE exists: its content is what this run would build"
  exit 0
fi
# skopeo exits 2 when the image does not exist (manifest unknown); older releases say so only in
# the message. A registry without the repository yet answers "name unknown"; one that gives no
# error code answers HTTP 404 alone.
if [ "$status" -eq 2 ] || grep -q -i -E 'manifest unknown|name unknown|repository name not known|StatusCode: 404[,:]' "$errors"; then
  answer false "$NBG_IMAGE does not exist yet: download, package and push run"
  exit 0
fi
cat "$errors" >&2
echo "nbgitops model check: cannot tell whether $NBG_IMAGE exists (skopeo exit $status): fix the registry access above" >&2
exit 1
