#!/usr/bin/env bash
# `npm run test:interop`: the adapters and the CLI against real nginx, vsftpd and OpenSSH sshd on
# 127.0.0.1 (servers.sh), then the crash tier. Installs the servers with apt-get when missing,
# builds the CLI, and stops every server it started by its pid, whatever happens.
#
# Extra arguments go to vitest (e.g. `npm run test:interop -- crash`). Environment:
# REGET_CRASH_ROUNDS (kills in the crash tier, default 21), REGET_INTEROP_KEEP=1 (keep the work
# folder and its server logs), REGET_INTEROP_BUILD=0 (test the build as it is, without tsc -b) and
# the REGET_INTEROP_* settings documented in servers.sh.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
# shellcheck source=scripts/interop/servers.sh
source scripts/interop/servers.sh

interop_require_root
workdir="$(mktemp -d "${TMPDIR:-/tmp}/reget-interop.XXXXXX")"

cleanup() {
  local status=$?
  interop_down "$workdir" || true
  # Mounts a test made under the work folder (disk-full) and left behind by a crash.
  local mountpoint
  while read -r mountpoint; do
    umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" 2>/dev/null || true
  done < <(awk -v dir="$workdir/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r)
  if ((status != 0)); then
    for log in "$workdir"/logs/*.out "$workdir"/logs/nginx-error.log; do
      [[ -s $log ]] || continue
      printf -- '----- %s (last lines)\n' "$log" >&2
      tail -n 20 "$log" >&2
    done
  fi
  if [[ ${REGET_INTEROP_KEEP:-} == 1 ]]; then
    interop_log "kept $workdir"
  else
    rm -rf "$workdir"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

interop_install_missing

# The CLI tests run the built command; tsc -b does nothing when the build is current.
if [[ ${REGET_INTEROP_BUILD:-1} != 0 ]]; then
  interop_log "building (tsc -b)"
  npx tsc -b tsconfig.build.json
fi

interop_up "$workdir"
set -a
# shellcheck source=/dev/null
source "$workdir/env"
set +a

interop_log "running the interop tests"
npx vitest run --config scripts/interop/vitest.config.ts "$@"
