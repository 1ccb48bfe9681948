#!/bin/sh
# nbgitops ModelCar push: copy the packaged OCI layout to one destination with skopeo, TLS
# always verified. Credentials never reach a command line (`--creds` would put the token in the process list):
#  - the internal registry: the step's ServiceAccount token, read from its file at step start
#    (not at pipeline start: a projected token rotates, and the push may run for hours) and
#    handed to `skopeo login --password-stdin`; the registry's certificate is checked against
#    the service CA (ConfigMap openshift-service-ca.crt) in NBG_REGISTRY_CA_DIR;
#  - an external registry: the push Secret's .dockerconfigjson, as the auth file.
#
#   NBG_OCI_LAYOUT, NBG_IMAGE (registry/path:tag), NBG_PUSH_WITH_SA_TOKEN (true|false),
#   NBG_TOKEN_FILE (default the ServiceAccount token), NBG_REGISTRY_CA_DIR, NBG_DOCKERCONFIG_DIR,
#   NBG_DOCKERCONFIG_BOUND, NBG_RESULT_DIGEST, NBG_RESULT_IMAGE, NBG_SKOPEO (default skopeo)
set -eu
umask 0077
: "${NBG_OCI_LAYOUT:?}" "${NBG_IMAGE:?}"
skopeo=${NBG_SKOPEO:-skopeo}
registry=${NBG_IMAGE%%/*}
auth="${TMPDIR:-/tmp}/nbgitops-auth.json"
set -- --retry-times 3
if [ "${NBG_PUSH_WITH_SA_TOKEN:-false}" = true ]; then
  token=${NBG_TOKEN_FILE:-/var/run/secrets/kubernetes.io/serviceaccount/token}
  ca=${NBG_REGISTRY_CA_DIR:?NBG_REGISTRY_CA_DIR must hold the service CA as ca.crt}
  [ -s "$ca/ca.crt" ] || { echo "nbgitops model push: no service CA at $ca/ca.crt" >&2; exit 2; }
  "$skopeo" login --authfile "$auth" --cert-dir "$ca" --tls-verify=true --username serviceaccount --password-stdin "$registry" < "$token"
  set -- "$@" --dest-cert-dir "$ca"
elif [ "${NBG_DOCKERCONFIG_BOUND:-false}" = true ]; then
  auth="${NBG_DOCKERCONFIG_DIR:?}/.dockerconfigjson"
else
  auth=""
fi
if [ -n "$auth" ]; then set -- "$@" --dest-authfile "$auth"; fi
digestfile="${TMPDIR:-/tmp}/nbgitops-digest"
"$skopeo" copy "$@" --dest-tls-verify=true --preserve-digests --digestfile "$digestfile" "oci:$NBG_OCI_LAYOUT:latest" "docker://$NBG_IMAGE"
digest=$(tr -d '\n' < "$digestfile")
if [ -n "${NBG_RESULT_DIGEST:-}" ]; then printf '%s' "$digest" > "$NBG_RESULT_DIGEST"; fi
if [ -n "${NBG_RESULT_IMAGE:-}" ]; then printf '%s' "$NBG_IMAGE" > "$NBG_RESULT_IMAGE"; fi
echo "nbgitops model push: $NBG_IMAGE@$digest"
