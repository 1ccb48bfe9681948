#!/bin/sh
# nbgitops ModelCar verify: read back what the push wrote and check it is the image the
# InferenceService will pull — the tag resolves to the pushed digest, the manifest's bytes hash
# to it, it has the layers the package step wrote, and every olot model layer is under /models.
#
#   NBG_IMAGE, NBG_DIGEST (from the push), NBG_LAYERS (all layers, from the package), and the push's
#   credentials settings (NBG_PUSH_WITH_SA_TOKEN, NBG_TOKEN_FILE, NBG_REGISTRY_CA_DIR,
#   NBG_DOCKERCONFIG_BOUND, NBG_DOCKERCONFIG_DIR), NBG_SKOPEO
set -eu
umask 0077
: "${NBG_IMAGE:?}" "${NBG_DIGEST:?}" "${NBG_LAYERS:?}"
skopeo=${NBG_SKOPEO:-skopeo}
registry=${NBG_IMAGE%%/*}
auth="${TMPDIR:-/tmp}/nbgitops-auth.json"
set --
if [ "${NBG_PUSH_WITH_SA_TOKEN:-false}" = true ]; then
  token=${NBG_TOKEN_FILE:-/var/run/secrets/kubernetes.io/serviceaccount/token}
  ca=${NBG_REGISTRY_CA_DIR:?}
  "$skopeo" login --authfile "$auth" --cert-dir "$ca" --tls-verify=true --username serviceaccount --password-stdin "$registry" < "$token"
  set -- --cert-dir "$ca" --authfile "$auth"
elif [ "${NBG_DOCKERCONFIG_BOUND:-false}" = true ]; then
  set -- --authfile "${NBG_DOCKERCONFIG_DIR:?}/.dockerconfigjson"
fi
manifest="${TMPDIR:-/tmp}/nbgitops-manifest.json"
"$skopeo" inspect "$@" --tls-verify=true --raw "docker://$NBG_IMAGE" > "$manifest"
actual="sha256:$(sha256sum "$manifest" | cut -d' ' -f1)"
if [ "$actual" != "$NBG_DIGEST" ]; then
  echo "nbgitops model verify: $NBG_IMAGE resolves to $actual, not the pushed $NBG_DIGEST" >&2
  exit 1
fi
layers=$(tr -d ' \n' < "$manifest" | grep -o '"mediaType":"application/vnd\.oci\.image\.layer\.v1\.tar[^"]*"' | wc -l)
outside=$(tr -d ' \n' < "$manifest" | grep -o '"olot\.layer\.content\.inlayerpath":"[^"]*"' | grep -v -c '"/models/' || true)
if [ "$layers" -ne "$NBG_LAYERS" ] || [ "$outside" -ne 0 ]; then
  echo "nbgitops model verify: $NBG_IMAGE has $layers layers ($outside model layers outside /models), expected $NBG_LAYERS with every model file under /models" >&2
  exit 1
fi
echo "nbgitops model verify: $NBG_IMAGE@$actual, $layers layers, model files under /models"
