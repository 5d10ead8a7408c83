#!/usr/bin/env bash
# `npm run test:pack`: what a user gets from the packed tarballs, before any release.
#  1. every library, installed from its tarball into an empty project, imports and type-checks with
#     skipLibCheck: false (every type a public .d.ts needs must come from a dependency);
#  2. @reget/cli, installed globally (into a private prefix) together with the other tarballs and
#     no registry copy of @reget/*, runs `reget --version` and `reget demo`.
# Third-party dependencies come from the npm registry (or npm's cache); nothing else is fetched.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/reget-pack.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log() { printf 'pack: %s\n' "$*"; }

cd "$repo"
npx tsc -b tsconfig.build.json
mkdir -p "$work/tarballs"
for workspace in packages/core packages/http packages/ftp packages/sftp packages/metalink packages/bullmq packages/testkit apps/demo; do
  npm pack --silent --pack-destination "$work/tarballs" -w "$workspace" >/dev/null
done
tarballs=("$work"/tarballs/*.tgz)
log "packed: $(cd "$work/tarballs" && echo *.tgz)"
[[ -f $work/tarballs/reget-cli-0.1.0.tgz ]] || { log "apps/demo did not pack as @reget/cli"; exit 1; }

typescript="$(node -p "require('typescript/package.json').version")"
types_node="$(node -p "require('@types/node/package.json').version")"
consumer="$work/consumer"
mkdir -p "$consumer"
cp scripts/pack/consumer.ts "$consumer/index.ts"
cat >"$consumer/package.json" <<JSON
{ "name": "reget-pack-consumer", "private": true, "type": "module" }
JSON
cat >"$consumer/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "strict": true, "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022",
    "skipLibCheck": false, "noEmit": true, "types": ["node"]
  },
  "files": ["index.ts"]
}
JSON
log "installing the libraries into an empty project"
(cd "$consumer" && npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "$work"/tarballs/reget-{core,http,ftp,sftp,metalink}-0.1.0.tgz "typescript@$typescript" "@types/node@$types_node")
log "type-checking with skipLibCheck: false"
(cd "$consumer" && npx tsc -p .)
(cd "$consumer" && npx tsc -p . --noEmit false --outDir out)
said="$(cd "$consumer" && node out/index.js)"
log "the consumer says: $said"
[[ $said == "typed error: NETWORK" ]] || { log "expected a typed NETWORK error"; exit 1; }

log "installing @reget/cli globally (private prefix) with the other tarballs"
npm install -g --prefix "$work/global" --no-audit --no-fund --prefer-offline --loglevel=error "${tarballs[@]}"
"$work/global/bin/reget" --version
(cd "$work" && "$work/global/bin/reget" demo --quiet >"$work/demo.log" 2>&1) || {
  cat "$work/demo.log"
  log "reget demo from the global install failed"
  exit 1
}
tail -n 1 "$work/demo.log"
log "passed"
