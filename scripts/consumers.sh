#!/usr/bin/env bash
# Consumer apps: nest-dapr as a user gets it. Packs the library, installs the
# tarball into fresh copies of the two app templates in consumers/ (everything
# else from the npm registry, like a user), compiles each (nest build, and
# tsc --noEmit with the scaffold's own tsconfig), starts each on in-memory
# components and checks it over HTTP (scripts/consumers/run-app.mjs), then runs
# the app's own test command on its DaprTestingModule spec.
#
#   npm run consumers                  (after npm ci; builds the package itself)
#   CONSUMERS_KEEP=1 npm run consumers keep the work folder for a look afterwards
#   CONSUMERS=nest11-cjs-jest npm run consumers   only the named template(s)
#
# Any failure stops the run with the failing step's output: a dependency the
# tarball misses shows up as an install, compile or start error here.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
apps="${CONSUMERS:-nest12-esm-vitest nest11-cjs-jest}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nest-dapr-consumers.XXXXXX")"
cleanup() {
  if [ -n "${CONSUMERS_KEEP:-}" ]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { echo; echo "== $*"; }
die() { echo "✖ $*" >&2; exit 1; }

step "nest-dapr: build and pack"
# Built already (npm run build, CI) unless a source is newer than dist/.
(cd "$root" && { node libs/dapr/scripts/check-dist.mjs 2>/dev/null || npm run build -w nest-dapr --silent; })
tarball="$work/$(cd "$root" && npm pack -w nest-dapr --pack-destination "$work" --silent | tail -1)"
[ -f "$tarball" ] || die "npm pack produced no tarball"
tar -tzf "$tarball" | sort > "$work/contents.txt"
# Only what a user needs: package.json, README, LICENSE and dist/ (compiled JS, maps, declarations,
# runtime assets) without TypeScript sources.
unexpected="$(grep -vE '^package/(package\.json|README\.md|LICENSE|dist/.+)$' "$work/contents.txt" || true)$(grep -E '^package/dist/.+\.ts$' "$work/contents.txt" | grep -v '\.d\.ts$' || true)"
[ -z "$unexpected" ] || die "the tarball holds files a user does not need:"$'\n'"$unexpected"
! grep -qE '\.(spec|test)\.' "$work/contents.txt" || die "the tarball holds test files: $(grep -E '\.(spec|test)\.' "$work/contents.txt" | head -3)"
for f in package/package.json package/README.md package/LICENSE package/dist/index.js package/dist/index.d.ts package/dist/testing/index.js; do
  grep -qx "$f" "$work/contents.txt" || die "the tarball lacks $f"
done
echo "  ✔ $(basename "$tarball"): $(wc -l < "$work/contents.txt") files, only dist/ + package.json, README.md, LICENSE"

for app in $apps; do
  [ -d "$root/consumers/$app" ] || die "no template consumers/$app"
  dir="$work/$app"
  step "$app: fresh copy; npm install (registry) + the tarball"
  mkdir -p "$dir"
  (cd "$root/consumers/$app" && tar --exclude=./node_modules --exclude=./dist -cf - .) | (cd "$dir" && tar -xf -)
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$tarball")
  # A missing or invalid (peer) dependency anywhere in the tree fails here, loudly.
  (cd "$dir" && npm ls --all > /dev/null) || die "$app: npm ls reports missing or invalid dependencies (above)"
  echo "  ✔ installed: $(cd "$dir" && node -p "['@nestjs/core','nest-dapr'].map(n => n + '@' + require(require.resolve(n + '/package.json', { paths: [process.cwd()] })).version).join(', ')")"

  step "$app: nest-dapr/microservices (with @nestjs/microservices of the app's Nest major)"
  # The optional entry point: it loads in the app's module system and its types compile with a typed
  # @Ctx() DaprContext (on Nest 12.1 an @EventPattern with a typed @Ctx() needs @EventPattern<string>).
  major="$(cd "$dir" && node -p "require('@nestjs/core/package.json').version.split('.')[0]")"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "@nestjs/microservices@^$major")
  cat > "$dir/src/microservice.check.ts" <<'TS'
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ClientDapr, DaprContext, DaprTransport } from 'nest-dapr/microservices';

@Controller()
export class MicroserviceCheck {
  @EventPattern<string>('orders')
  onOrder(@Payload() order: { id: string }, @Ctx() ctx: DaprContext): string {
    return `${order.id} ${ctx.getTopic()} ${ctx.getPubsubName()}`;
  }

  @MessagePattern({ cmd: 'quote' })
  quote(@Payload() q: { sku: string }): { sku: string; price: number } {
    return { sku: q.sku, price: 1 };
  }
}

export const strategy = new DaprTransport({ pubsub: 'pubsub' });
export const client = { name: 'CHECKOUT', customClass: ClientDapr, options: { appId: 'checkout', pubsub: 'pubsub' } };
TS
  if [ "$(cd "$dir" && node -p "require('./package.json').type || 'commonjs'")" = module ]; then
    (cd "$dir" && node --input-type=module -e "const m = await import('nest-dapr/microservices'); if (typeof m.DaprTransport !== 'function') process.exit(1)")
  else
    (cd "$dir" && node -e "const m = require('nest-dapr/microservices'); if (typeof m.DaprTransport !== 'function') process.exit(1)")
  fi
  echo "  ✔ nest-dapr/microservices loads with @nestjs/microservices@$(cd "$dir" && node -p "JSON.parse(require('fs').readFileSync('node_modules/@nestjs/microservices/package.json', 'utf8')).version")"

  step "$app: compile (nest build; tsc --noEmit -p tsconfig.json, specs included)"
  (cd "$dir" && npm run build --silent && npx tsc --noEmit -p tsconfig.json)
  echo "  ✔ compiled against the published declarations"

  step "$app: start on in-memory components, check over HTTP"
  trace=""
  # instrumentation-nestjs-core patches Nest below 12 only: the trace check runs on the Nest 11 app.
  [ "$(cd "$dir" && node -p "require('@nestjs/core/package.json').version.split('.')[0]")" -lt 12 ] && trace="--trace"
  node "$root/scripts/consumers/run-app.mjs" "$dir" $trace

  step "$app: its own test command (npm test)"
  (cd "$dir" && npm test)
done

step "consumers passed: $apps"
