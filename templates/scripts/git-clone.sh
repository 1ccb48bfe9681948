#!/bin/sh
# git-clone.sh - fetch exactly one revision of a Git repository into a directory.
#
# Runs as an init container in an image that has git and an OpenSSH client
# (e.g. alpine/git), under any non-root UID, with a writable $HOME.
# All inputs come from the environment; nothing is read from argv.
#
#   NBG_GIT_URL            required  https://, http://, ssh://, git:// or git@host:path
#   NBG_GIT_REF            required  branch, tag, or full commit SHA (40 hex; 64 for sha256 repos)
#   NBG_CHECKOUT_DIR       required  target directory; created if missing. It must be empty,
#                                    or hold a previous attempt of this script (has .git), which
#                                    is wiped (init containers are retried with the same emptyDir).
#   NBG_GIT_CREDENTIALS_DIR optional directory of a mounted Secret holding `password` (an
#                                    HTTPS password or token; or, as the operator accepts it,
#                                    the key `token` when there is no `password`) and
#                                    optionally `username`; read into NBG_GIT_PASSWORD /
#                                    NBG_GIT_USERNAME (how nbgitops passes HTTPS credentials:
#                                    files, never env from a Secret).
#   NBG_GIT_USERNAME       optional  HTTPS user name
#   NBG_GIT_PASSWORD       optional  HTTPS password or token.
#                                    With a password but no user name, "x-access-token" is sent
#                                    (accepted by GitHub and GitLab for tokens), unless the URL
#                                    itself carries a user name (https://user@host/...).
#   NBG_SSH_DIR            optional  directory of a mounted Secret holding `ssh-privatekey`
#                                    and `known_hosts` (both required when set).
#   NBG_RESOLVED_SHA_FILE  optional  file that receives the resolved commit SHA
#                                    (e.g. /dev/termination-log).
#   NBG_ALLOW_FILE_URL     tests only: "1" also accepts file:// URLs.
#
# Passwd mode: with NBG_PASSWD_FILE set, the script only writes that file - a copy of
# /etc/passwd plus an entry for the current UID if it has none - and exits. nbgitops runs it
# as an init container before SSH clones and mounts the file over /etc/passwd of the clone
# containers (OpenSSH refuses to run for a UID without a passwd entry, as with the random
# UIDs of OpenShift), so no container needs a writable root filesystem.
#
# Output: progress and errors on stderr; the resolved commit SHA as the last
# line of stdout. Exit status 0 on success, non-zero (with a message) on failure.
#
# Secrets: the password never appears on a command line, in the URL, in
# .git/config or on disk. Git asks a credential helper, defined in a private
# config file, which prints "$NBG_GIT_PASSWORD" with the shell's builtin printf
# at the moment git needs it. Do not add `set -x` to this script.
set -eu

log() { printf 'git-clone: %s\n' "$*" >&2; }
die() { printf 'git-clone: error: %s\n' "$*" >&2; exit 1; }

# Quote a string for safe inclusion in a shell command (GIT_SSH_COMMAND is run by a shell).
shquote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# --- passwd mode ---------------------------------------------------------------

if [ -n "${NBG_PASSWD_FILE:-}" ]; then
  uid=$(id -u)
  gid=$(id -g)
  passwd_home=${HOME:-/}
  case "$passwd_home" in *:*|*"
"*) die "HOME ('$passwd_home') cannot be written into a passwd entry" ;; esac
  tmp_passwd="$NBG_PASSWD_FILE.tmp.$$"
  cat /etc/passwd > "$tmp_passwd" 2>/dev/null || : > "$tmp_passwd"
  if ! awk -F: -v uid="$uid" '$3 == uid { found = 1 } END { exit !found }' "$tmp_passwd"; then
    printf 'nbgitops:x:%s:%s:nbgitops:%s:/sbin/nologin\n' "$uid" "$gid" "$passwd_home" >> "$tmp_passwd"
  fi
  chmod 0444 "$tmp_passwd" || die "cannot set the mode of $tmp_passwd"
  mv -f "$tmp_passwd" "$NBG_PASSWD_FILE" || die "cannot write $NBG_PASSWD_FILE"
  log "wrote $NBG_PASSWD_FILE with an entry for UID $uid"
  exit 0
fi

# --- inputs ------------------------------------------------------------------

url=${NBG_GIT_URL:-}
ref=${NBG_GIT_REF:-}
dir=${NBG_CHECKOUT_DIR:-}
[ -n "$url" ] || die "NBG_GIT_URL is not set"
[ -n "$ref" ] || die "NBG_GIT_REF is not set"
[ -n "$dir" ] || die "NBG_CHECKOUT_DIR is not set"

# The URL ends up in logs and in .git/config, so it must not carry a password.
authority=${url#*://}
authority=${authority%%/*}
case "$url" in
  *://*@*)
    case "${authority%@*}" in
      *:*) die "NBG_GIT_URL embeds a password; put credentials in the Secret (NBG_GIT_USERNAME/NBG_GIT_PASSWORD) instead" ;;
    esac ;;
esac
# For messages: the URL without any user name.
shown_url=$(printf '%s' "$url" | sed 's#^\([a-z+]*://\)[^/@]*@#\1#')

# Only network transports git users expect; file:// is for the test suite. This
# also rules out local paths and the ext:: transport (which runs commands).
case "$url" in
  https://*|http://*|ssh://*|git://*) ;;
  git@?*:?*) ;;
  file://*)
    [ "${NBG_ALLOW_FILE_URL:-}" = 1 ] || die "file:// URLs are not allowed (NBG_GIT_URL=$shown_url)" ;;
  *) die "unsupported NBG_GIT_URL scheme '${url%%:*}': expected https://, http://, ssh://, git:// or git@host:path" ;;
esac
case "$url" in
  *[[:space:]]*) die "NBG_GIT_URL must not contain whitespace" ;;
esac

# A ref starting with "-" would be parsed by git as an option.
case "$ref" in
  -*) die "invalid NBG_GIT_REF '$ref'" ;;
esac
if printf '%s\n' "$ref" | grep -Eq '^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$'; then
  sha=$(printf '%s' "$ref" | tr 'A-F' 'a-f')
else
  sha=
  git check-ref-format --allow-onelevel "$ref" || die "invalid NBG_GIT_REF '$ref' (not a valid branch or tag name)"
fi

# --- private scratch space -----------------------------------------------------

# Private files (config, key) are created with umask 077; the checkout itself is
# made with the caller's umask so the notebook container can read it.
saved_umask=$(umask)
umask 077
home=${HOME:-}
if [ -z "$home" ] || [ ! -d "$home" ] || [ ! -w "$home" ]; then
  die "HOME ('$home') must be a writable directory"
fi
scratch=$(mktemp -d "$home/.nbgitops-git.XXXXXX") || die "cannot create a temporary directory in $home"
keyfile=
cleanup() {
  rm -rf "$scratch"
  if [ -n "$keyfile" ]; then rm -f "$keyfile"; fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- git configuration -----------------------------------------------------------

# A private global config makes the run independent of whatever ~/.gitconfig the
# image ships. credential.helper is reset so no helper from the system config
# (e.g. "store") can write our password to disk.
export GIT_CONFIG_GLOBAL="$scratch/gitconfig"
: > "$GIT_CONFIG_GLOBAL"
git config --global init.defaultBranch main
git config --global advice.detachedHead false
git config --global credential.helper ''
export GIT_TERMINAL_PROMPT=0   # never wait for a password on a terminal
unset GIT_ASKPASS SSH_ASKPASS
allowed_protocols=https:http:ssh:git
if [ "${NBG_ALLOW_FILE_URL:-}" = 1 ]; then allowed_protocols=$allowed_protocols:file; fi
export GIT_ALLOW_PROTOCOL="$allowed_protocols"

case "$url" in
  ssh://*|git@*) transport=ssh ;;
  https://*|http://*) transport=http ;;
  *) transport=other ;;
esac

# --- HTTPS credentials -------------------------------------------------------------

if [ -n "${NBG_GIT_CREDENTIALS_DIR:-}" ]; then
  [ -d "$NBG_GIT_CREDENTIALS_DIR" ] || die "NBG_GIT_CREDENTIALS_DIR '$NBG_GIT_CREDENTIALS_DIR' is not a directory"
  # The key `password`, else `token` (the operator's Secrets may hold either).
  secret_key=password
  if [ ! -r "$NBG_GIT_CREDENTIALS_DIR/password" ] && [ -r "$NBG_GIT_CREDENTIALS_DIR/token" ]; then
    secret_key=token
  fi
  [ -r "$NBG_GIT_CREDENTIALS_DIR/$secret_key" ] ||
    die "NBG_GIT_CREDENTIALS_DIR has no readable 'password' or 'token' (the Secret needs one of these keys)"
  # Command substitution reads through a pipe: the value is in no argv and on no other disk.
  # CRs and the final newline of pasted values are dropped.
  NBG_GIT_PASSWORD=$(tr -d '\r' < "$NBG_GIT_CREDENTIALS_DIR/$secret_key")
  if [ -r "$NBG_GIT_CREDENTIALS_DIR/username" ]; then
    NBG_GIT_USERNAME=$(tr -d '\r' < "$NBG_GIT_CREDENTIALS_DIR/username")
  fi
  if [ -z "$NBG_GIT_PASSWORD" ]; then
    die "the '$secret_key' in NBG_GIT_CREDENTIALS_DIR is empty"
  fi
fi

if [ -n "${NBG_GIT_PASSWORD:-}" ]; then
  if [ "$transport" != http ]; then
    log "warning: NBG_GIT_PASSWORD is ignored for non-HTTP URLs"
  else
    case "$url" in
      http://*) log "warning: sending credentials over plain http://" ;;
    esac
    if [ -z "${NBG_GIT_USERNAME:-}" ]; then
      case "$authority" in
        *@*) ;;                                  # git takes the user from the URL
        *) NBG_GIT_USERNAME=x-access-token ;;
      esac
    fi
    export NBG_GIT_PASSWORD
    if [ -n "${NBG_GIT_USERNAME:-}" ]; then export NBG_GIT_USERNAME; fi
    # The helper text contains only the *names* of the variables; git runs it with
    # `sh -c`, where printf is a builtin, so the value is never in any argv.
    # It is scoped to the repository's scheme://host[:port], so a redirect to
    # another host does not receive the token.
    # shellcheck disable=SC2016
    helper='!f() { test "$1" = get || exit 0;'
    helper="$helper"' if [ -n "${NBG_GIT_USERNAME:-}" ]; then printf "username=%s\n" "$NBG_GIT_USERNAME"; fi;'
    helper="$helper"' printf "password=%s\n" "$NBG_GIT_PASSWORD"; }; f'
    origin="${url%%://*}://${authority#*@}"
    git config --global "credential.$origin.helper" "$helper"
  fi
elif [ -n "${NBG_GIT_USERNAME:-}" ]; then
  log "warning: NBG_GIT_USERNAME is set without NBG_GIT_PASSWORD; ignoring it"
fi

# --- SSH key -----------------------------------------------------------------------

if [ -n "${NBG_SSH_DIR:-}" ]; then
  if [ "$transport" != ssh ]; then
    log "warning: NBG_SSH_DIR is ignored for non-SSH URLs"
  else
    [ -d "$NBG_SSH_DIR" ] || die "NBG_SSH_DIR '$NBG_SSH_DIR' is not a directory"
    [ -r "$NBG_SSH_DIR/ssh-privatekey" ] || die "NBG_SSH_DIR has no readable 'ssh-privatekey'"
    # No trust-on-first-use: without a pinned host key a network attacker could
    # impersonate the Git server.
    [ -s "$NBG_SSH_DIR/known_hosts" ] ||
      die "NBG_SSH_DIR has no 'known_hosts' (or it is empty): refusing to connect to an unverified SSH host. Add the server's host key to the Secret under the key known_hosts."
    # OpenSSH's client exits with "No user exists for uid N" when the UID has no
    # passwd entry (random or high UIDs). nbgitops mounts a passwd file written in
    # passwd mode (NBG_PASSWD_FILE, above) over /etc/passwd; fail early and clearly
    # if there is none.
    uid=$(id -u)
    if ! awk -F: -v uid="$uid" '$3 == uid { found = 1 } END { exit !found }' /etc/passwd 2>/dev/null; then
      die "UID $uid has no passwd entry; OpenSSH refuses to run without one. Run git-clone.sh with NBG_PASSWD_FILE first and mount that file over /etc/passwd (nbgitops' git-passwd init container does)."
    fi
    # Secret volumes are usually mode 0644 and owned by root; ssh refuses such keys,
    # so copy it to a private file. CRs are dropped and a final newline is added
    # because keys pasted into Secrets often lack them and ssh then rejects the key.
    mkdir -p "$home/.ssh"
    chmod 0700 "$home/.ssh"
    keyfile=$(mktemp "$home/.ssh/nbgitops-key.XXXXXX") || die "cannot create a key file in $home/.ssh"
    tr -d '\r' < "$NBG_SSH_DIR/ssh-privatekey" > "$keyfile"
    if [ -n "$(tail -c 1 "$keyfile")" ]; then printf '\n' >> "$keyfile"; fi
    chmod 0400 "$keyfile"
    # -F /dev/null: ignore any ssh_config of the image; BatchMode: never prompt.
    GIT_SSH_COMMAND="ssh -F /dev/null -i $(shquote "$keyfile") -o IdentitiesOnly=yes"
    GIT_SSH_COMMAND="$GIT_SSH_COMMAND -o UserKnownHostsFile=$(shquote "$NBG_SSH_DIR/known_hosts")"
    GIT_SSH_COMMAND="$GIT_SSH_COMMAND -o StrictHostKeyChecking=yes -o BatchMode=yes"
    export GIT_SSH_COMMAND
  fi
fi

umask "$saved_umask"

# --- target directory ----------------------------------------------------------

mkdir -p "$dir" || die "cannot create NBG_CHECKOUT_DIR '$dir'"
dir=$(cd "$dir" && pwd -P) || die "cannot enter NBG_CHECKOUT_DIR"
if [ -n "$(ls -A "$dir")" ]; then
  if [ -d "$dir/.git" ]; then
    log "removing the leftovers of a previous attempt in $dir"
    # the three globs cover normal names, dot-files and names starting with ".."
    rm -rf "$dir"/* "$dir"/.[!.]* "$dir"/..?* || die "cannot empty $dir"
  else
    die "NBG_CHECKOUT_DIR '$dir' is not empty"
  fi
fi
# safe.directory: an emptyDir mount point is often owned by root or by the
# fsGroup, not by our UID, and git refuses to work in a directory owned by
# someone else.
git config --global safe.directory "$dir"

# --- fetch and check out -------------------------------------------------------------

cd "$dir"
git init -q . || die "git init failed in $dir"
git remote add origin "$url" || die "cannot configure remote"

if [ -n "$sha" ]; then
  log "fetching commit $sha from $shown_url"
  # Most servers (GitHub, GitLab, git >= 2.5 with protocol v2) let a client fetch
  # any reachable commit directly; older or stricter ones only serve ref tips.
  if ! git fetch -q --depth 1 --no-tags origin "$sha"; then
    log "the server refused to fetch the commit by SHA; falling back to fetching all branches and tags"
    git fetch -q origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*' ||
      die "cannot fetch from $shown_url (check the URL and the credentials)"
  fi
  git cat-file -e "$sha^{commit}" 2>/dev/null ||
    die "commit $sha was not found in $shown_url (is it on a branch or tag?)"
  git checkout -q --detach "$sha" || die "cannot check out commit $sha"
else
  log "fetching '$ref' from $shown_url"
  git fetch -q --depth 1 --no-tags origin "$ref" ||
    die "cannot fetch '$ref' from $shown_url (does the branch or tag exist? are the credentials valid?)"
  git checkout -q --detach FETCH_HEAD || die "cannot check out '$ref'"
fi

resolved=$(git rev-parse HEAD) || die "cannot resolve HEAD"
if [ -n "$sha" ] && [ "$resolved" != "$sha" ]; then
  die "checked out $resolved but $sha was requested"
fi
if [ -n "${NBG_RESOLVED_SHA_FILE:-}" ]; then
  printf '%s\n' "$resolved" > "$NBG_RESOLVED_SHA_FILE" || die "cannot write $NBG_RESOLVED_SHA_FILE"
fi
log "checked out '$ref' at $resolved into $dir"
printf '%s\n' "$resolved"
