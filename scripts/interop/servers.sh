#!/usr/bin/env bash
# The real third-party servers of the interop tier and the benchmarks: nginx (HTTP), vsftpd (FTP,
# FTPS explicit and implicit) and OpenSSH sshd (SFTP), on 127.0.0.1 high ports, from the config
# files beside this script, with test files and keys generated in a work folder.
#
# Sourced by run.sh (interop_install_missing, interop_up, interop_down), or run directly:
#   bash scripts/interop/servers.sh up <dir>     install what is missing, start, write <dir>/env
#   bash scripts/interop/servers.sh down <dir>   stop the servers started in <dir>, by their pids
#
# Environment: REGET_INTEROP_PORT_BASE (default 18000; HTTP is base+80, HTTPS base+443, FTP
# base+21, FTPES base+22, FTPS base+23, SFTP base+222, passive ports base+100..159),
# REGET_INTEROP_LARGE_SIZE (size of the crash-tier file large.bin, default 256M; 0 for none),
# REGET_INTEROP_LIMIT_RATE (nginx's /throttled/ rate, default 50m) and REGET_INTEROP_SFTP_LOG_LEVEL
# (sftp-server's log level, default DEBUG: one line per READ).
#
# Every failure is loud: a server that does not answer in time stops everything with its log.

INTEROP_CONFIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

interop_log() {
  printf '[interop] %s\n' "$*" >&2
}

interop_die() {
  printf '[interop] FAILED: %s\n' "$*" >&2
  exit 1
}

interop_require_root() {
  [[ $(id -u) -eq 0 ]] || interop_die "the interop servers need root (vsftpd chroots, apt-get installs); run as root."
}

# Installs nginx, vsftpd, openssh-server, redis-server, chromium (and the openssl and ssh-keygen
# tools) with apt-get, only when one is missing.
interop_install_missing() {
  local missing=()
  [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  [[ -x /usr/sbin/vsftpd ]] || missing+=(vsftpd)
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  command -v openssl >/dev/null || missing+=(openssl)
  # The fleet tests start their own redis-server on a free port (scripts/interop/redis.ts).
  command -v redis-server >/dev/null || missing+=(redis-server)
  # The dashboard test drives Debian's chromium with playwright-core.
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  ((${#missing[@]} == 0)) && return 0
  interop_require_root
  command -v apt-get >/dev/null || interop_die "missing ${missing[*]} and there is no apt-get to install them."
  interop_apt_install "${missing[@]}"
}

# apt-get install, quietly, without letting the packages start their system services on ports
# 80/21/22 (a policy-rc.d that denies starts, removed afterwards if we created it).
interop_apt_install() {
  local policy=/usr/sbin/policy-rc.d created=0 log status=0
  log="$(mktemp)"
  interop_log "installing with apt-get: $*"
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created=1
  fi
  {
    apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
  } >"$log" 2>&1 || status=$?
  ((created)) && rm -f "$policy"
  if ((status != 0)); then
    cat "$log" >&2
    rm -f "$log"
    interop_die "apt-get install $* failed (exit $status)."
  fi
  rm -f "$log"
}

interop_ports() {
  local base="${REGET_INTEROP_PORT_BASE:-18000}"
  if ! [[ $base =~ ^[0-9]+$ ]] || ((base < 1024 || base > 65000)); then
    interop_die "REGET_INTEROP_PORT_BASE must be a number between 1024 and 65000."
  fi
  HTTP_PORT=$((base + 80))
  HTTPS_PORT=$((base + 443))
  FTP_PORT=$((base + 21))
  FTPES_PORT=$((base + 22))
  FTPS_PORT=$((base + 23))
  SFTP_PORT=$((base + 222))
  PASV_BASE=$((base + 100))
  # nginx as mirrors of one file: one connection each, A and B at the /throttled/ rate, one slow.
  MIRROR_A_PORT=$((base + 81))
  MIRROR_B_PORT=$((base + 82))
  MIRROR_SLOW_PORT=$((base + 83))
}

# Fills in @NAME@ placeholders: interop_render <template> <output> NAME=value...
interop_render() {
  local template="$1" output="$2" script=() pair
  shift 2
  for pair in "$@"; do
    # '|' never occurs in our paths and values; escape '&' and '|' anyway for sed.
    local value="${pair#*=}"
    value="${value//&/\\&}"
    value="${value//|/\\|}"
    script+=(-e "s|@${pair%%=*}@|${value}|g")
  done
  sed "${script[@]}" "$template" >"$output"
  if grep -q '@[A-Z_]*@' "$output"; then
    interop_die "unfilled placeholder in $output: $(grep -o '@[A-Z_]*@' "$output" | head -1)"
  fi
}

interop_port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts a server in the foreground as a background job and records "name pid binary" in
# <dir>/run/pids: interop_spawn <dir> <name> <binary> args...
interop_spawn() {
  local dir="$1" name="$2"
  shift 2
  "$@" >"$dir/logs/$name.out" 2>&1 </dev/null &
  printf '%s %s %s\n' "$name" "$!" "$1" >>"$dir/run/pids"
}

# Polls (bounded, 10 s) until the port answers; fails with the server's log if it exits first.
interop_wait_port() {
  local dir="$1" name="$2" port="$3" pid attempt
  pid="$(awk -v n="$name" '$1 == n { print $2 }' "$dir/run/pids" | tail -1)"
  for ((attempt = 0; attempt < 200; attempt++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      interop_show_logs "$dir" "$name"
      interop_die "$name exited before answering on 127.0.0.1:$port."
    fi
    interop_port_answers "$port" && return 0
    sleep 0.05
  done
  interop_show_logs "$dir" "$name"
  interop_die "$name did not answer on 127.0.0.1:$port within 10 s."
}

interop_show_logs() {
  local dir="$1" name="$2" file
  for file in "$dir/logs/$name"*; do
    [[ -f $file ]] || continue
    printf -- '----- %s\n' "$file" >&2
    tail -n 30 "$file" >&2
  done
}

interop_assert_port_free() {
  if interop_port_answers "$1"; then
    interop_die "port 127.0.0.1:$1 is already in use; stop what listens there or set REGET_INTEROP_PORT_BASE."
  fi
}

# Test files, the FTPS certificate (and an unrelated one for the wrong-CA case), the SSH host key,
# the client key, a key sshd does not know and a host key sshd does not use.
interop_generate() {
  local dir="$1" keys="$1/keys" www="$1/www"
  mkdir -p "$www" "$keys" "$dir/logs" "$dir/run" "$dir/empty"
  # nginx workers and vsftpd's anonymous user must read the files; the keys stay private.
  chmod 755 "$dir" "$www" "$dir/logs" "$dir/run" "$dir/empty"
  chmod 700 "$keys"
  local parent="$dir"
  while [[ $parent != / ]]; do
    parent="$(dirname "$parent")"
    [[ $(stat -c %A "$parent") == ?????????[xt] ]] ||
      interop_die "$parent is not searchable by other users; nginx's and vsftpd's unprivileged users could not reach $www."
  done
  head -c 32M /dev/urandom >"$www/sample.bin"
  head -c 32M /dev/urandom >"$www/replacement.bin"
  local large="${REGET_INTEROP_LARGE_SIZE:-256M}"
  if [[ $large != 0 ]]; then
    head -c "$large" /dev/urandom >"$www/large.bin"
  fi
  chmod 644 "$www"/*.bin

  local name
  for name in tls other-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj '/CN=127.0.0.1' \
      -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
      -keyout "$keys/$name.key" -out "$keys/$name.crt" >"$dir/logs/openssl.log" 2>&1 ||
      interop_die "openssl could not generate a certificate: $(cat "$dir/logs/openssl.log")"
  done
  for name in ssh_host_ed25519_key other_host_ed25519_key client_ed25519 other_client_ed25519; do
    ssh-keygen -q -t ed25519 -N '' -C "reget-interop-$name" -f "$keys/$name" ||
      interop_die "ssh-keygen could not generate $name."
  done
  cp "$keys/client_ed25519.pub" "$keys/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" "$(cut -d' ' -f1,2 "$keys/ssh_host_ed25519_key.pub")" \
    >"$keys/known_hosts"
}

interop_fingerprint() {
  ssh-keygen -l -E sha256 -f "$1" | awk '{ print $2 }'
}

interop_start_nginx() {
  local dir="$1"
  interop_assert_port_free "$HTTP_PORT"
  interop_assert_port_free "$HTTPS_PORT"
  interop_assert_port_free "$MIRROR_A_PORT"
  interop_assert_port_free "$MIRROR_B_PORT"
  interop_assert_port_free "$MIRROR_SLOW_PORT"
  HTTP_USER=reget
  HTTP_PASSWORD="$(openssl rand -hex 12)"
  printf '%s:%s\n' "$HTTP_USER" "$(openssl passwd -apr1 "$HTTP_PASSWORD")" >"$dir/run/htpasswd"
  chmod 644 "$dir/run/htpasswd"
  interop_render "$INTEROP_CONFIG_DIR/nginx.conf" "$dir/run/nginx.conf" \
    RUN="$dir/run" LOGS="$dir/logs" WWW="$dir/www" KEYS="$dir/keys" HTTP_PORT="$HTTP_PORT" \
    HTTPS_PORT="$HTTPS_PORT" MIRROR_A_PORT="$MIRROR_A_PORT" MIRROR_B_PORT="$MIRROR_B_PORT" \
    MIRROR_SLOW_PORT="$MIRROR_SLOW_PORT" LIMIT_RATE="${REGET_INTEROP_LIMIT_RATE:-50m}"
  # -e: the error log before the config is read (the compiled-in one may not be writable).
  interop_spawn "$dir" nginx /usr/sbin/nginx -p "$dir/run" -e "$dir/logs/nginx-error.log" \
    -c "$dir/run/nginx.conf"
  interop_wait_port "$dir" nginx "$HTTP_PORT"
}

# interop_start_vsftpd <dir> <name> <port> <pasv-offset> <tls: no|explicit|implicit>
interop_start_vsftpd() {
  local dir="$1" name="$2" port="$3" pasv=$((PASV_BASE + $4)) tls="$5" config="$1/run/$2.conf"
  interop_assert_port_free "$port"
  interop_render "$INTEROP_CONFIG_DIR/vsftpd.conf" "$config" \
    PORT="$port" WWW="$dir/www" PASV_MIN="$pasv" PASV_MAX="$((pasv + 19))" EMPTY="$dir/empty" \
    LOGS="$dir/logs" NAME="$name"
  if [[ $tls != no ]]; then
    local implicit=NO
    [[ $tls == implicit ]] && implicit=YES
    interop_render "$INTEROP_CONFIG_DIR/vsftpd-tls.conf" "$config.tls" \
      CERT="$dir/keys/tls.crt" CERT_KEY="$dir/keys/tls.key" IMPLICIT="$implicit"
    cat "$config.tls" >>"$config"
    rm -f "$config.tls"
  fi
  interop_spawn "$dir" "$name" /usr/sbin/vsftpd "$config"
  interop_wait_port "$dir" "$name" "$port"
}

interop_start_sshd() {
  local dir="$1" user use_pam=no
  user="$(id -un)"
  # sshd without PAM refuses a locked account ("!" password); with PAM it only checks the key.
  [[ $(getent shadow "$user" | cut -d: -f2) == '!'* ]] && use_pam=yes
  interop_assert_port_free "$SFTP_PORT"
  # sshd's privilege separation directory; the distribution's service would create it.
  mkdir -p /run/sshd && chmod 755 /run/sshd
  interop_render "$INTEROP_CONFIG_DIR/sshd_config" "$dir/run/sshd_config" \
    PORT="$SFTP_PORT" KEYS="$dir/keys" RUN="$dir/run" LOGS="$dir/logs" USER="$user" USE_PAM="$use_pam" \
    SFTP_LOG_LEVEL="${REGET_INTEROP_SFTP_LOG_LEVEL:-DEBUG}"
  /usr/sbin/sshd -t -f "$dir/run/sshd_config" >"$dir/logs/sshd-check.out" 2>&1 ||
    interop_die "sshd rejects its config: $(cat "$dir/logs/sshd-check.out")"
  # sshd re-executes itself, so it must be started by its absolute path.
  interop_spawn "$dir" sshd /usr/sbin/sshd -D -e -f "$dir/run/sshd_config"
  interop_wait_port "$dir" sshd "$SFTP_PORT"
  SFTP_USER="$user"
}

# Proves each server serves a file, with the system's own clients where they are installed.
interop_smoke_test() {
  local dir="$1" keys="$1/keys"
  if ! printf 'ls %s/sample.bin\n' "$dir/www" |
    sftp -q -b - -i "$keys/client_ed25519" -o BatchMode=yes -o UserKnownHostsFile="$keys/known_hosts" \
      -o StrictHostKeyChecking=yes -P "$SFTP_PORT" "$SFTP_USER@127.0.0.1" >"$dir/logs/sshd-smoke.out" 2>&1; then
    cat "$dir/logs/sshd-smoke.out" >&2
    interop_show_logs "$dir" sshd
    interop_die "OpenSSH's sftp client could not list a file through the interop sshd."
  fi
  command -v curl >/dev/null || return 0
  local url
  for url in "http://127.0.0.1:$HTTP_PORT/sample.bin" "ftp://127.0.0.1:$FTP_PORT/sample.bin" \
    "https://$HTTP_USER:$HTTP_PASSWORD@127.0.0.1:$HTTPS_PORT/private/sample.bin"; do
    curl -fsS --max-time 10 --cacert "$keys/tls.crt" -r 0-0 -o /dev/null "$url" ||
      interop_die "curl could not fetch ${url/$HTTP_PASSWORD/***}."
  done
  curl -fsS --max-time 10 --ssl-reqd --cacert "$keys/tls.crt" -r 0-0 -o /dev/null \
    "ftp://127.0.0.1:$FTPES_PORT/sample.bin" || interop_die "curl could not fetch over FTPES."
}

interop_write_env() {
  local dir="$1" keys="$1/keys"
  cat >"$dir/env" <<EOF
REGET_INTEROP_DIR=$dir
REGET_INTEROP_WWW=$dir/www
REGET_INTEROP_HTTP_URL=http://127.0.0.1:$HTTP_PORT
REGET_INTEROP_HTTPS_URL=https://127.0.0.1:$HTTPS_PORT
REGET_INTEROP_MIRROR_A_URL=http://127.0.0.1:$MIRROR_A_PORT
REGET_INTEROP_MIRROR_B_URL=http://127.0.0.1:$MIRROR_B_PORT
REGET_INTEROP_MIRROR_SLOW_URL=http://127.0.0.1:$MIRROR_SLOW_PORT
REGET_INTEROP_HTTP_USER=$HTTP_USER
REGET_INTEROP_HTTP_PASSWORD=$HTTP_PASSWORD
REGET_INTEROP_FTP_URL=ftp://127.0.0.1:$FTP_PORT
REGET_INTEROP_FTPES_URL=ftpes://127.0.0.1:$FTPES_PORT
REGET_INTEROP_FTPS_URL=ftps://127.0.0.1:$FTPS_PORT
REGET_INTEROP_SFTP_URL=sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT
REGET_INTEROP_SFTP_USER=$SFTP_USER
REGET_INTEROP_SFTP_PORT=$SFTP_PORT
REGET_INTEROP_CA=$keys/tls.crt
REGET_INTEROP_OTHER_CA=$keys/other-ca.crt
REGET_INTEROP_SSH_KEY=$keys/client_ed25519
REGET_INTEROP_SSH_OTHER_KEY=$keys/other_client_ed25519
REGET_INTEROP_SSH_HOST_KEY=$(interop_fingerprint "$keys/ssh_host_ed25519_key.pub")
REGET_INTEROP_SSH_OTHER_HOST_KEY=$(interop_fingerprint "$keys/other_host_ed25519_key.pub")
REGET_INTEROP_KNOWN_HOSTS=$keys/known_hosts
REGET_INTEROP_NGINX_LOG=$dir/logs/nginx-access.log
REGET_INTEROP_VSFTPD_LOG=$dir/logs/vsftpd.log
REGET_INTEROP_SFTP_LOG=$dir/logs/sftp-server.log
EOF
}

# Generates everything in <dir> (which must exist) and starts the servers; stops what it started
# and fails if one of them does not come up.
interop_up() {
  local dir="$1"
  interop_require_root
  interop_ports
  mkdir -p "$dir/run"
  : >"$dir/run/pids"
  interop_log "generating test files and keys in $dir"
  interop_generate "$dir"
  interop_log "starting nginx :$HTTP_PORT (HTTPS :$HTTPS_PORT), vsftpd :$FTP_PORT (FTPES :$FTPES_PORT, FTPS :$FTPS_PORT), sshd :$SFTP_PORT"
  interop_start_nginx "$dir"
  interop_start_vsftpd "$dir" vsftpd "$FTP_PORT" 0 no
  interop_start_vsftpd "$dir" vsftpd-ftpes "$FTPES_PORT" 20 explicit
  interop_start_vsftpd "$dir" vsftpd-ftps "$FTPS_PORT" 40 implicit
  interop_start_sshd "$dir"
  interop_smoke_test "$dir"
  interop_write_env "$dir"
  interop_log "servers are up"
}

# Stops every server listed in <dir>/run/pids: SIGTERM, up to 5 s, then SIGKILL. A pid is only
# signalled while it still runs the binary it was started as.
interop_down() {
  local dir="$1" name pid binary attempt alive=()
  [[ -f $dir/run/pids ]] || return 0
  while read -r name pid binary; do
    if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$binary" ]]; then
      kill -TERM "$pid" 2>/dev/null && alive+=("$pid")
    fi
  done <"$dir/run/pids"
  for ((attempt = 0; attempt < 100 && ${#alive[@]} > 0; attempt++)); do
    local still=()
    for pid in "${alive[@]}"; do
      kill -0 "$pid" 2>/dev/null && still+=("$pid")
    done
    alive=("${still[@]}")
    ((${#alive[@]} == 0)) || sleep 0.05
  done
  for pid in "${alive[@]}"; do
    interop_log "pid $pid ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
  : >"$dir/run/pids"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case "${1:-}" in
  up)
    [[ -n ${2:-} ]] || interop_die "usage: servers.sh up <dir>"
    mkdir -p "$2"
    INTEROP_UP_DIR="$2"
    # A server that failed to come up takes the ones already started down with it.
    trap 'status=$?; ((status == 0)) || interop_down "$INTEROP_UP_DIR"' EXIT
    interop_install_missing
    interop_up "$2"
    ;;
  down)
    [[ -n ${2:-} ]] || interop_die "usage: servers.sh down <dir>"
    interop_down "$2"
    ;;
  *)
    interop_die "usage: servers.sh up|down <dir>"
    ;;
  esac
fi
