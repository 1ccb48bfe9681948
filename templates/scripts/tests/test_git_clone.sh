#!/bin/sh
# Tests for ../git-clone.sh. Needs git; optionally python3 (for a loopback HTTP
# server with Basic auth in front of `git http-backend`) and root + setpriv (to
# run the script under an arbitrary UID). Uses no external network.
#
#   sh templates/scripts/tests/test_git_clone.sh
#
# Prints one line per check and "N passed, M failed" as the last line; exits
# non-zero when any check failed.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT="$HERE/../git-clone.sh"
REAL_GIT=$(command -v git) || { echo "git not found"; echo "0 passed, 1 failed"; exit 1; }

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
nok() {
  FAIL=$((FAIL + 1)); echo "FAIL - $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then sed 's/^/         | /' "$2" | tail -n 15; fi
}
skip() { echo "skip - $1"; }

T=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Isolate every git call (fixtures and script) from this machine's git config.
export GIT_CONFIG_NOSYSTEM=1
export HOME="$T/home"
mkdir -p "$HOME"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
unset NBG_GIT_URL NBG_GIT_REF NBG_CHECKOUT_DIR NBG_GIT_USERNAME NBG_GIT_PASSWORD NBG_SSH_DIR \
  NBG_GIT_CREDENTIALS_DIR NBG_PASSWD_FILE NBG_RESOLVED_SHA_FILE NBG_ALLOW_FILE_URL GIT_CONFIG_COUNT GIT_DIR GIT_WORK_TREE 2>/dev/null

# --- fixture repository ----------------------------------------------------------
#   main:    c1 (tag light) - c2 (annotated tag v1.0) - c3 - c4
#   feature: c1 - f1
# c3 is reachable but is no ref tip, which matters for fetch-by-SHA.
git -c init.defaultBranch=main init -q "$T/src"
commit() { echo "$1" > "$T/src/a.txt"; git -C "$T/src" add a.txt; git -C "$T/src" commit -q -m "$1"; git -C "$T/src" rev-parse HEAD; }
c1=$(commit one);   git -C "$T/src" tag light
c2=$(commit two);   git -C "$T/src" tag -a -m release v1.0
c3=$(commit three)
c4=$(commit four)
git -C "$T/src" checkout -q -b feature "$c1"
f1=$(commit feature)
git -C "$T/src" checkout -q main
git clone -q --bare "$T/src" "$T/origin.git"
ORIGIN="file://$T/origin.git"

# run_clone NAME [VAR=value ...]: run git-clone.sh into $T/co/NAME with the
# given environment; output in $T/NAME.out / $T/NAME.err; returns its status.
run_clone() {
  name=$1; shift
  env NBG_ALLOW_FILE_URL=1 NBG_GIT_URL="$ORIGIN" NBG_CHECKOUT_DIR="$T/co/$name" "$@" \
    sh "$SCRIPT" > "$T/$name.out" 2> "$T/$name.err"
}

# HEAD of a checkout, read from the file so that no git ownership check interferes
# (the script always leaves a detached HEAD, i.e. a bare SHA in .git/HEAD).
head_of() { head -n 1 "$1/.git/HEAD" 2>/dev/null; }

# expect_head NAME SHA [checkout dir]: clone succeeded, HEAD and stdout's last line are SHA.
expect_head() {
  name=$1; want=$2; co=${3:-$T/co/$1}
  got=$(head_of "$co"); last=$(tail -n 1 "$T/$name.out" 2>/dev/null)
  if [ "$got" = "$want" ] && [ "$last" = "$want" ]; then ok "$name: HEAD is $want"
  else nok "$name: HEAD='$got' stdout='$last', want $want" "$T/$name.err"; fi
}

# expect_fail NAME STATUS PATTERN: non-zero status and stderr matching PATTERN.
expect_fail() {
  name=$1; status=$2; pattern=$3
  if [ "$status" -ne 0 ] && grep -Eq -- "$pattern" "$T/$name.err"; then ok "$name: fails ($status) with /$pattern/"
  else nok "$name: status $status, expected failure with /$pattern/" "$T/$name.err"; fi
}

# --- refs: branch, tag, SHA ---------------------------------------------------------

run_clone branch-main NBG_GIT_REF=main;                expect_head branch-main "$c4"
run_clone branch-feature NBG_GIT_REF=feature;          expect_head branch-feature "$f1"
run_clone branch-full-refname NBG_GIT_REF=refs/heads/feature; expect_head branch-full-refname "$f1"
run_clone tag-annotated NBG_GIT_REF=v1.0;              expect_head tag-annotated "$c2"
run_clone tag-lightweight NBG_GIT_REF=light;           expect_head tag-lightweight "$c1"
run_clone sha-tip NBG_GIT_REF="$c4";                   expect_head sha-tip "$c4"
run_clone sha-not-a-tip NBG_GIT_REF="$c3";             expect_head sha-not-a-tip "$c3"
run_clone sha-uppercase NBG_GIT_REF="$(printf '%s' "$c3" | tr 'a-f' 'A-F')"
expect_head sha-uppercase "$c3"

if [ "$(cat "$T/co/tag-annotated/a.txt" 2>/dev/null)" = two ]; then ok "tag-annotated: work tree has the tagged content"
else nok "tag-annotated: work tree content is '$(cat "$T/co/tag-annotated/a.txt" 2>/dev/null)'"; fi

if [ "$(git -C "$T/co/branch-main" rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then ok "branch-main: fetch was shallow"
else nok "branch-main: expected a shallow (depth 1) fetch"; fi

# Protocol v0 servers refuse to serve commits that are not ref tips: the script
# must fall back to a full fetch. GIT_CONFIG_COUNT forces the client to v0.
run_clone sha-fallback NBG_GIT_REF="$c3" GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=protocol.version GIT_CONFIG_VALUE_0=0
expect_head sha-fallback "$c3"
if grep -q 'falling back' "$T/sha-fallback.err"; then ok "sha-fallback: used the full-fetch fallback"
else nok "sha-fallback: fallback path not taken" "$T/sha-fallback.err"; fi

run_clone resolved-file NBG_GIT_REF=feature NBG_RESOLVED_SHA_FILE="$T/resolved.txt"
if [ "$(cat "$T/resolved.txt" 2>/dev/null)" = "$f1" ]; then ok "resolved-file: NBG_RESOLVED_SHA_FILE holds the SHA"
else nok "resolved-file: NBG_RESOLVED_SHA_FILE is '$(cat "$T/resolved.txt" 2>/dev/null)'" "$T/resolved-file.err"; fi
if [ "$(wc -l < "$T/resolved-file.out")" -eq 1 ]; then ok "resolved-file: stdout is exactly the SHA line"
else nok "resolved-file: stdout has extra lines" "$T/resolved-file.out"; fi

# --- failures -----------------------------------------------------------------------

run_clone bad-branch NBG_GIT_REF=no-such-branch;       expect_fail bad-branch $? "cannot fetch 'no-such-branch'"
run_clone bad-sha NBG_GIT_REF=0123456789abcdef0123456789abcdef01234567
expect_fail bad-sha $? "was not found"
run_clone missing-ref;                                 expect_fail missing-ref $? "NBG_GIT_REF is not set"
run_clone missing-url NBG_GIT_URL= NBG_GIT_REF=main;   expect_fail missing-url $? "NBG_GIT_URL is not set"
run_clone file-url-not-allowed NBG_ALLOW_FILE_URL= NBG_GIT_REF=main
expect_fail file-url-not-allowed $? "file:// URLs are not allowed"
run_clone local-path NBG_GIT_URL="$T/origin.git" NBG_GIT_REF=main; expect_fail local-path $? "unsupported NBG_GIT_URL"
run_clone ftp-url NBG_GIT_URL=ftp://example.invalid/r.git NBG_GIT_REF=main; expect_fail ftp-url $? "unsupported NBG_GIT_URL"
run_clone ext-url NBG_GIT_URL="ext::sh -c touch% $T/pwned-ext" NBG_GIT_REF=main; expect_fail ext-url $? "unsupported NBG_GIT_URL"
run_clone option-ref NBG_GIT_REF="--upload-pack=touch $T/pwned"; expect_fail option-ref $? "invalid NBG_GIT_REF"
if [ ! -e "$T/pwned" ] && [ ! -e "$T/pwned-ext" ]; then ok "option injection: nothing was executed"; else nok "option injection: a command ran"; fi
run_clone bad-refname NBG_GIT_REF='a..b';              expect_fail bad-refname $? "invalid NBG_GIT_REF"
run_clone url-with-password NBG_GIT_URL=https://bob:hunter2@git.example.invalid/r.git NBG_GIT_REF=main
expect_fail url-with-password $? "embeds a password"
if ! grep -q hunter2 "$T/url-with-password.err"; then ok "url-with-password: password not echoed"
else nok "url-with-password: password echoed" "$T/url-with-password.err"; fi

mkdir -p "$T/co/not-empty"; echo precious > "$T/co/not-empty/keep.txt"
run_clone not-empty NBG_GIT_REF=main;                  expect_fail not-empty $? "is not empty"
if [ "$(cat "$T/co/not-empty/keep.txt")" = precious ]; then ok "not-empty: existing files untouched"; else nok "not-empty: files were modified"; fi

# An init container that is retried finds its previous attempt in the emptyDir.
run_clone retry NBG_GIT_REF=main
run_clone retry NBG_GIT_REF=v1.0;                      expect_head retry "$c2"

# --- secrets: static checks on the script -------------------------------------------

code=$(grep -v '^[[:space:]]*#' "$SCRIPT")
if printf '%s\n' "$code" | grep -E '(^|[;&|(`]|[[:space:]])git[[:space:]]' | grep -q 'NBG_GIT_\(PASSWORD\|USERNAME\)'; then
  nok "static: a git command line references NBG_GIT_PASSWORD/NBG_GIT_USERNAME"
else ok "static: no git command line references the credential variables"; fi
if printf '%s\n' "$code" | grep -Eq '(://|@)[^[:space:]]*\$\{?NBG_GIT_(PASSWORD|USERNAME)'; then
  nok "static: credentials are interpolated into a URL"
else ok "static: credentials are never interpolated into a URL"; fi
if printf '%s\n' "$code" | grep -v '^[[:space:]]*helper=' | grep -E '(echo|printf|log|die)[[:space:]]' | grep -Eq '\$\{?NBG_GIT_PASSWORD'; then
  nok "static: the password is printed outside the credential helper"
else ok "static: the password is only printed by the credential helper"; fi
if printf '%s\n' "$code" | grep -Eq 'set[[:space:]]+(-[a-wyz]*x|-o[[:space:]]+xtrace)'; then
  nok "static: the script enables xtrace"
else ok "static: the script never enables xtrace"; fi

# --- HTTPS-style credentials over a loopback HTTP server ----------------------------

PW='pw-Zq7-s3cr3t-value'
TOKEN='tok-Xk9-s3cr3t-token'
if command -v python3 > /dev/null 2>&1 && [ -x "$("$REAL_GIT" --exec-path)/git-http-backend" ]; then
  cat > "$T/server.py" <<'PYEOF'
# Minimal smart-HTTP Git server: Basic auth, then CGI `git http-backend`.
import base64, http.server, os, subprocess, sys, time

# Accepted "user:password" pairs come from the environment, never from argv.
root, portfile = sys.argv[1:]
pairs = os.environ.pop("TEST_SERVER_CREDENTIALS").split()
accepted = {"Basic " + base64.b64encode(p.encode()).decode(): p.split(":", 1)[0] for p in pairs}

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.serve()

    def serve(self):
        time.sleep(0.2)  # keep git's processes alive long enough to be sampled
        user = accepted.get(self.headers.get("Authorization", ""))
        if user is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path,
                   QUERY_STRING=query, REQUEST_METHOD=self.command, REMOTE_USER=user,
                   REMOTE_ADDR="127.0.0.1", CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)))
        for header, var in (("Git-Protocol", "GIT_PROTOCOL"), ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
            if self.headers.get(header):
                env[var] = self.headers[header]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
        head, _, payload = out.partition(sep)
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
PYEOF
  TEST_SERVER_CREDENTIALS="alice:$PW x-access-token:$TOKEN" python3 "$T/server.py" "$T" "$T/port" 2> "$T/server.err" &
  SERVER_PID=$!
  i=0
  while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi

if [ -s "$T/port" ]; then
  HTTP_URL="http://127.0.0.1:$(cat "$T/port")/origin.git"

  # A `git` shim that records the argv of every git the script starts.
  mkdir -p "$T/shim"
  printf '#!/bin/sh\nprintf "%%s\\n" "$*" >> "%s"\nexec "%s" "$@"\n' "$T/git-argv.log" "$REAL_GIT" > "$T/shim/git"
  chmod +x "$T/shim/git"

  # Sample every process's argv (as `ps` shows it) until file $1 exists.
  sample_argv() {
    while [ ! -e "$1" ]; do
      if command -v ps > /dev/null 2>&1; then ps -eww -o args= 2>/dev/null
      else for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' < "$f" 2>/dev/null; echo; done; fi
      sleep 0.05
    done > "$T/argv-samples.log"
  }

  # Credentials reach the script through exported variables, as from a
  # secretKeyRef, not through an `env VAR=...` argv that ps would show.
  sample_argv "$T/http-done" &
  sampler=$!
  (
    export NBG_GIT_USERNAME=alice NBG_GIT_PASSWORD="$PW"
    run_clone http-auth NBG_GIT_URL="$HTTP_URL" NBG_GIT_REF=main \
      PATH="$T/shim:$PATH" GIT_TRACE=1 GIT_TRACE_CURL=1 GIT_TRACE_CURL_NO_DATA=1
  )
  touch "$T/http-done"; wait "$sampler"
  expect_head http-auth "$c4"
  B64=$(printf 'alice:%s' "$PW" | base64)
  if grep -q 'NBG_GIT_PASSWORD' "$T/http-auth.err"; then ok "http-auth: credential helper was used (seen in GIT_TRACE)"
  else nok "http-auth: credential helper not seen in GIT_TRACE" "$T/http-auth.err"; fi
  if ! grep -qF "$PW" "$T/http-auth.err" && ! grep -qF "$B64" "$T/http-auth.err" && ! grep -qF "$PW" "$T/http-auth.out"; then
    ok "http-auth: password absent from GIT_TRACE/GIT_TRACE_CURL output"
  else nok "http-auth: password leaked into the script's output"; fi
  if [ -s "$T/git-argv.log" ] && ! grep -qF "$PW" "$T/git-argv.log"; then ok "http-auth: password absent from every git argv ($(wc -l < "$T/git-argv.log") calls)"
  else nok "http-auth: password in a git argv (or shim unused)" "$T/git-argv.log"; fi
  if [ -s "$T/argv-samples.log" ] && ! grep -qF "$PW" "$T/argv-samples.log"; then ok "http-auth: password absent from ps-visible argv samples"
  else nok "http-auth: password visible in ps (or no samples)"; fi
  if ! grep -rqF "$PW" "$T/co/http-auth" "$HOME"; then ok "http-auth: password not written to the checkout or HOME"
  else nok "http-auth: password found on disk: $(grep -rlF "$PW" "$T/co/http-auth" "$HOME")"; fi
  if [ -z "$(ls -A "$HOME" | grep nbgitops)" ]; then ok "http-auth: private scratch files removed"
  else nok "http-auth: leftovers in HOME: $(ls -A "$HOME")"; fi
  if grep -qF "url = $HTTP_URL" "$T/co/http-auth/.git/config" && ! grep -qF "$PW" "$T/co/http-auth/.git/config"; then
    ok "http-auth: .git/config holds the plain URL, no credentials"
  else nok "http-auth: unexpected .git/config" "$T/co/http-auth/.git/config"; fi

  (export NBG_GIT_PASSWORD="$TOKEN"; run_clone http-token NBG_GIT_URL="$HTTP_URL" NBG_GIT_REF="$c3")
  expect_head http-token "$c3"

  # How nbgitops passes them: files of a Secret volume (NBG_GIT_CREDENTIALS_DIR), with the
  # CRLF and final newline values pasted into Secrets often have.
  mkdir -p "$T/https-secret"
  printf 'alice\r\n' > "$T/https-secret/username"
  printf '%s\r\n' "$PW" > "$T/https-secret/password"
  chmod 0400 "$T/https-secret/username" "$T/https-secret/password"
  : > "$T/git-argv.log"
  run_clone http-files NBG_GIT_URL="$HTTP_URL" NBG_GIT_REF=main NBG_GIT_CREDENTIALS_DIR="$T/https-secret" \
    PATH="$T/shim:$PATH" GIT_TRACE=1
  expect_head http-files "$c4"
  if ! grep -qF "$PW" "$T/http-files.err" "$T/http-files.out" "$T/git-argv.log" && ! grep -rqF "$PW" "$T/co/http-files" "$HOME"; then
    ok "http-files: password absent from output, git argv, checkout and HOME"
  else nok "http-files: password leaked"; fi
  # A token alone (no username file) is sent as x-access-token.
  mkdir -p "$T/https-token"; printf '%s\n' "$TOKEN" > "$T/https-token/password"
  run_clone http-files-token NBG_GIT_URL="$HTTP_URL" NBG_GIT_REF="$c3" NBG_GIT_CREDENTIALS_DIR="$T/https-token"
  expect_head http-files-token "$c3"
  # The operator's Secrets may hold the key `token` instead of `password`: accepted the same way.
  mkdir -p "$T/https-token-key"; printf 'alice\n' > "$T/https-token-key/username"
  printf '%s\n' "$PW" > "$T/https-token-key/token"
  run_clone http-files-token-key NBG_GIT_URL="$HTTP_URL" NBG_GIT_REF=main NBG_GIT_CREDENTIALS_DIR="$T/https-token-key"
  expect_head http-files-token-key "$c4"
  mkdir -p "$T/https-nopw"; printf 'alice\n' > "$T/https-nopw/username"
  run_clone http-files-no-password NBG_GIT_URL="$HTTP_URL" NBG_GIT_REF=main NBG_GIT_CREDENTIALS_DIR="$T/https-nopw"
  expect_fail http-files-no-password $? "no readable 'password' or 'token'"

  (
    export NBG_GIT_USERNAME=alice NBG_GIT_PASSWORD=wrong-s3cr3t
    run_clone http-wrong-password NBG_GIT_URL="$HTTP_URL" NBG_GIT_REF=main GIT_TRACE=1
  )
  expect_fail http-wrong-password $? "cannot fetch"
  if ! grep -q 'wrong-s3cr3t' "$T/http-wrong-password.err"; then ok "http-wrong-password: password not echoed"
  else nok "http-wrong-password: password echoed" "$T/http-wrong-password.err"; fi

  # Without credentials git must fail at once instead of waiting for a prompt.
  timeout 60 env NBG_GIT_URL="$HTTP_URL" NBG_GIT_REF=main NBG_CHECKOUT_DIR="$T/co/http-anon" \
    sh "$SCRIPT" > "$T/http-anon.out" 2> "$T/http-anon.err" < /dev/null
  expect_fail http-anon $? "cannot fetch"
else
  skip "HTTP credential tests (needs python3 and git-http-backend)"
fi

# --- SSH, with a fake ssh that serves the repository locally -------------------------

mkdir -p "$T/sshbin" "$T/sshlog" "$T/secret"
cat > "$T/sshbin/ssh" <<'EOF'
#!/bin/sh
# Fake ssh: records its arguments and the key file's mode, then runs the remote
# command (git-upload-pack '/path') locally.
printf '%s\n' "$*" >> "$FAKE_SSH_LOG/argv.log"
key=; prev=
for a do
  if [ "$prev" = -i ]; then key=$a; fi
  prev=$a
done
stat -c %a "$key" >> "$FAKE_SSH_LOG/keymode.log"
if grep -q "$(printf '\r')" "$key"; then echo has-CR >> "$FAKE_SSH_LOG/keymode.log"; fi
exec sh -c "$prev"
EOF
chmod +x "$T/sshbin/ssh"
# A key as it often arrives in a Secret: CRLF line ends, no final newline.
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\r\nZmFrZQ==\r\n-----END OPENSSH PRIVATE KEY-----' > "$T/secret/ssh-privatekey"
echo 'fakehost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' > "$T/secret/known_hosts"
chmod 0644 "$T/secret/ssh-privatekey" "$T/secret/known_hosts"
SSH_HOME="$T/ssh home"   # a space, to check the quoting of GIT_SSH_COMMAND
mkdir -p "$SSH_HOME"

run_clone ssh-scp-style NBG_GIT_URL="git@fakehost:$T/origin.git" NBG_GIT_REF=v1.0 NBG_SSH_DIR="$T/secret" \
  HOME="$SSH_HOME" PATH="$T/sshbin:$PATH" FAKE_SSH_LOG="$T/sshlog"
expect_head ssh-scp-style "$c2"
args=$(cat "$T/sshlog/argv.log" 2>/dev/null)
missing=
for want in "-i $SSH_HOME/.ssh/nbgitops-key." "-o IdentitiesOnly=yes" "-o StrictHostKeyChecking=yes" \
  "-o UserKnownHostsFile=$T/secret/known_hosts" "-o BatchMode=yes" "git@fakehost"; do
  case "$args" in *"$want"*) ;; *) missing="$missing [$want]" ;; esac
done
if [ -n "$args" ] && [ -z "$missing" ]; then ok "ssh-scp-style: ssh got key, known_hosts and strict checking"
else nok "ssh-scp-style: ssh args lack$missing: $args"; fi
if [ "$(sort -u "$T/sshlog/keymode.log" 2>/dev/null)" = 400 ]; then ok "ssh-scp-style: key file was mode 0400 without CRs"
else nok "ssh-scp-style: key file check: $(cat "$T/sshlog/keymode.log" 2>/dev/null)"; fi
if [ -z "$(ls -A "$SSH_HOME/.ssh" 2>/dev/null)" ]; then ok "ssh-scp-style: key copy removed afterwards"
else nok "ssh-scp-style: key copy left in $SSH_HOME/.ssh"; fi

run_clone ssh-url NBG_GIT_URL="ssh://git@fakehost$T/origin.git" NBG_GIT_REF="$c3" NBG_SSH_DIR="$T/secret" \
  HOME="$SSH_HOME" PATH="$T/sshbin:$PATH" FAKE_SSH_LOG="$T/sshlog"
expect_head ssh-url "$c3"

# A user name and a port in an ssh:// URL are not mistaken for an embedded password.
run_clone ssh-url-port NBG_GIT_URL="ssh://git@fakehost:2222$T/origin.git" NBG_GIT_REF=feature NBG_SSH_DIR="$T/secret" \
  HOME="$SSH_HOME" PATH="$T/sshbin:$PATH" FAKE_SSH_LOG="$T/sshlog"
expect_head ssh-url-port "$f1"
if tail -n 1 "$T/sshlog/argv.log" | grep -q -- '-p 2222'; then ok "ssh-url-port: ssh got the port"
else nok "ssh-url-port: no -p 2222 in: $(tail -n 1 "$T/sshlog/argv.log")"; fi

mkdir -p "$T/secret-nokh"; cp "$T/secret/ssh-privatekey" "$T/secret-nokh/"
calls_before=$(wc -l < "$T/sshlog/argv.log")
run_clone ssh-no-known-hosts NBG_GIT_URL="git@fakehost:$T/origin.git" NBG_GIT_REF=main NBG_SSH_DIR="$T/secret-nokh" \
  HOME="$SSH_HOME" PATH="$T/sshbin:$PATH" FAKE_SSH_LOG="$T/sshlog"
expect_fail ssh-no-known-hosts $? "no 'known_hosts'"
if [ "$(wc -l < "$T/sshlog/argv.log")" -eq "$calls_before" ]; then ok "ssh-no-known-hosts: ssh was never started"
else nok "ssh-no-known-hosts: ssh was started"; fi

mkdir -p "$T/secret-nokey"; cp "$T/secret/known_hosts" "$T/secret-nokey/"
run_clone ssh-no-key NBG_GIT_URL="git@fakehost:$T/origin.git" NBG_GIT_REF=main NBG_SSH_DIR="$T/secret-nokey" \
  HOME="$SSH_HOME" PATH="$T/sshbin:$PATH" FAKE_SSH_LOG="$T/sshlog"
expect_fail ssh-no-key $? "no readable 'ssh-privatekey'"

# --- passwd mode ------------------------------------------------------------------------

# The running UID has an entry: the file is a copy of /etc/passwd, mode 0444, nothing added.
mkdir -p "$T/passwd-vol"
env NBG_PASSWD_FILE="$T/passwd-vol/passwd" HOME="$T/home" sh "$SCRIPT" > "$T/passwd-known.out" 2> "$T/passwd-known.err"
status=$?
if [ "$status" -eq 0 ] && cmp -s /etc/passwd "$T/passwd-vol/passwd" && [ "$(stat -c %a "$T/passwd-vol/passwd")" = 444 ]; then
  ok "passwd-known: a copy of /etc/passwd (mode 0444) for a UID that has an entry"
else nok "passwd-known: status $status" "$T/passwd-known.err"; fi
env NBG_PASSWD_FILE="$T/passwd-vol/passwd" HOME="/bad:home" sh "$SCRIPT" > /dev/null 2> "$T/passwd-badhome.err"
expect_fail passwd-badhome $? "cannot be written into a passwd entry"

# --- ownership and arbitrary UIDs (root only) ----------------------------------------

if [ "$(id -u)" -eq 0 ]; then
  # Checkout dir owned by another UID, like an emptyDir mount point: git's
  # "dubious ownership" check must not break the clone.
  mkdir -p "$T/co/foreign-owner"; chown 4242:4242 "$T/co/foreign-owner"
  run_clone foreign-owner NBG_GIT_REF=main;            expect_head foreign-owner "$c4"

  if command -v setpriv > /dev/null 2>&1; then
    # UID 4242 has no passwd entry (as with OpenShift's random UIDs). The checkout
    # dir is root-owned and group-writable, like an emptyDir with fsGroup.
    chmod 0755 "$T"
    mkdir -p "$T/uidhome" "$T/pod"
    chown 4242:4242 "$T/uidhome"
    chown 0:4242 "$T/pod"; chmod 2775 "$T/pod"
    # git also refuses to serve a repository owned by someone else, so the UID
    # gets its own copy of the origin.
    cp -R "$T/origin.git" "$T/origin-4242.git"; chown -R 4242:4242 "$T/origin-4242.git"
    as_uid() {
      name=$1; shift
      setpriv --reuid=4242 --regid=4242 --clear-groups env HOME="$T/uidhome" NBG_ALLOW_FILE_URL=1 \
        NBG_GIT_URL="file://$T/origin-4242.git" "$@" sh "$SCRIPT" > "$T/$name.out" 2> "$T/$name.err"
    }
    as_uid arbitrary-uid NBG_GIT_REF=v1.0 NBG_CHECKOUT_DIR="$T/pod"
    expect_head arbitrary-uid "$c2" "$T/pod"
    as_uid arbitrary-uid-sha NBG_GIT_REF="$c3" NBG_CHECKOUT_DIR="$T/pod"
    expect_head arbitrary-uid-sha "$c3" "$T/pod"
    # OpenSSH's client refuses to run for a UID without a passwd entry; the script
    # must say so instead of failing obscurely.
    if ! setpriv --reuid=4242 --regid=4242 --clear-groups test -w /etc/passwd; then
      as_uid arbitrary-uid-ssh NBG_GIT_URL="git@fakehost:$T/origin.git" NBG_GIT_REF=main NBG_CHECKOUT_DIR="$T/uidhome/co" \
        NBG_SSH_DIR="$T/secret" PATH="$T/sshbin:$PATH" FAKE_SSH_LOG="$T/sshlog"
      expect_fail arbitrary-uid-ssh $? "no passwd entry"
    fi
    # Passwd mode under that UID: the copy gains exactly one entry for it, with HOME.
    mkdir -p "$T/uid-passwd"; chown 4242:4242 "$T/uid-passwd"
    setpriv --reuid=4242 --regid=4242 --clear-groups env HOME="$T/uidhome" NBG_PASSWD_FILE="$T/uid-passwd/passwd" \
      sh "$SCRIPT" > "$T/passwd-uid.out" 2> "$T/passwd-uid.err"
    status=$?
    want="nbgitops:x:4242:4242:nbgitops:$T/uidhome:/sbin/nologin"
    if [ "$status" -eq 0 ] && [ "$(tail -n 1 "$T/uid-passwd/passwd")" = "$want" ] &&
      [ "$(head -n 1 "$T/uid-passwd/passwd")" = "$(head -n 1 /etc/passwd)" ] &&
      [ "$(grep -c ':4242:' "$T/uid-passwd/passwd")" = 1 ]; then
      ok "passwd-uid: the copy has one entry for UID 4242"
    else nok "passwd-uid: status $status, last line '$(tail -n 1 "$T/uid-passwd/passwd" 2>/dev/null)'" "$T/passwd-uid.err"; fi
  else
    skip "arbitrary UID tests (needs setpriv)"
  fi
else
  skip "ownership and arbitrary UID tests (need root)"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
