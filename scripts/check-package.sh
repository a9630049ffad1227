#!/usr/bin/env bash
# Package check (issue 13, item 6): what `npm install @gatehouse-2fa/gatehouse` would give a user.
# Packs the repository, installs the tarball into a scratch project outside it, imports every entry
# of "exports" from ESM, typechecks a consumer of each with tsc (nodenext, strict), then runs
# publint and @arethetypeswrong/cli on the tarball. Any problem stops it with a message and exit 1.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-package-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
case "$work/" in
  "$repo"/*) echo "package check: the scratch directory $work is inside the repository" >&2; exit 1 ;;
esac

step() { printf '\n-- package check: %s\n' "$*"; }
fail() { printf 'package check FAILED: %s\n' "$*" >&2; exit 1; }

# publint and attw are pinned devDependencies: npm ci installs them with everything else, so this
# check needs no network of its own and runs the same versions everywhere.
for tool in tsc publint attw; do
  [[ -x "$repo/node_modules/.bin/$tool" ]] || fail "node_modules/.bin/$tool is missing; run npm ci first"
done

cd "$repo"
name="$(node -p 'require("./package.json").name')"
mapfile -t subpaths < <(node -e '
  const { exports } = require("./package.json");
  for (const key of Object.keys(exports)) if (key !== "./package.json") console.log(key);
')
[[ ${#subpaths[@]} -gt 0 ]] || fail "package.json has no entries in \"exports\""
types_node="$(node -p 'require("./package.json").devDependencies["@types/node"]')"

step "npm pack (its prepare script builds dist/ from scratch)"
npm pack --pack-destination "$work" --loglevel warn >/dev/null
tarballs=("$work"/*.tgz)
[[ ${#tarballs[@]} -eq 1 && -f "${tarballs[0]}" ]] || fail "npm pack did not leave exactly one tarball in $work"
tarball="${tarballs[0]}"
tar -tzf "$tarball" | sed 's#^package/##' | sort >"$work/contents.txt"
echo "$(basename "$tarball"): $(wc -l <"$work/contents.txt") files, $(du -k "$tarball" | cut -f1) kB"
for file in LICENSE README.md CHANGELOG.md package.json dist/cli/main.js; do
  grep -qxF "$file" "$work/contents.txt" || fail "the tarball has no $file"
done
! grep -E '\.map$|^(src|test|bench|data)/' "$work/contents.txt" ||
  fail "the tarball carries source maps or source/test files (above); check \"files\" in package.json"

step "the files each entry of \"exports\" names"
missing=0
while read -r subpath condition target; do
  if grep -qxF "${target#./}" "$work/contents.txt"; then
    echo "ok       $subpath $condition $target"
  else
    echo "MISSING  $subpath $condition $target"
    missing=1
  fi
done < <(node -e '
  const { exports } = require("./package.json");
  for (const [subpath, conditions] of Object.entries(exports)) {
    if (subpath === "./package.json") continue;
    for (const [condition, target] of Object.entries(conditions)) console.log(subpath, condition, target);
  }
')
[[ $missing -eq 0 ]] || fail "exports names files the tarball does not have (MISSING above)"

step "install the tarball into a scratch project"
consumer="$work/consumer"
mkdir "$consumer"
cat >"$consumer/package.json" <<'EOF'
{ "name": "gatehouse-package-consumer", "version": "0.0.0", "private": true, "type": "module" }
EOF
# --ignore-scripts: better-sqlite3's install script downloads or compiles its native addon (about
# 3 minutes here), and no entry needs it at import time (it loads the addon on the first
# `new Database`). Optional dependencies stay: @node-rs/argon2 ships its binary as one, prebuilt.
# --prefer-offline: every dependency is in npm's cache after the repository's npm ci, so this
# asks the registry nothing it already has. @types/node is what a TypeScript consumer brings.
(cd "$consumer" && npm install --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel error \
  "$tarball" "@types/node@$types_node" >/dev/null) || fail "npm install of the tarball failed"
installed="$consumer/node_modules/$name"
[[ -f "$installed/package.json" ]] || fail "$name is not in the scratch project's node_modules"
version="$(node -p 'require("./package.json").version')"
bin_version="$(cd "$consumer" && npx --no-install gatehouse --version)" || fail "the installed gatehouse command failed"
[[ "$bin_version" == "$version" ]] || fail "the installed gatehouse --version printed '$bin_version', not $version"
echo "ok  npx --no-install gatehouse --version: $bin_version"

# One check per entry of "exports": an ESM import of a known export (run by node) and a TypeScript
# use of it (typechecked). An entry without a case here fails, so a new entry cannot ship unchecked.
write_entry_check() { # SUBPATH SPECIFIER FILE_STEM
  local subpath="$1" spec="$2" stem="$3"
  case "$subpath" in
    .)
      cat >"$stem.mjs" <<EOF
import assert from "node:assert/strict";
import { createGatehouse, ErrorCode, GatehouseError, openGatehouseTables } from "$spec";
assert.equal(typeof createGatehouse, "function", "createGatehouse is not a function");
assert.equal(typeof openGatehouseTables, "function", "openGatehouseTables is not a function");
assert.equal(new GatehouseError(ErrorCode.INVALID_CODE, "x").code, "INVALID_CODE");
assert.throws(() => createGatehouse({ store: {}, secretKeys: [], issuer: "Example" }), /at least one secret key/);
EOF
      # A host's use of the front door: its pg pool, its user after its own password step, the decision.
      cat >"$stem.ts" <<EOF
import { createGatehouse, openGatehouseTables, type Gatehouse, type RequestOrigin, type SignInDecision } from "$spec";

declare const pool: { connect(): Promise<never>; end(): Promise<void> };
declare const secretKey: Uint8Array;

export async function passwordPassed(userId: string, email: string, origin: RequestOrigin): Promise<SignInDecision> {
  const store = await openGatehouseTables({ postgres: pool });
  const gatehouse: Gatehouse = createGatehouse({ store, secretKeys: [secretKey], issuer: "Example" });
  const holder = { id: userId, username: email };
  const decision = await gatehouse.signIn.firstFactorPassed(null, { holder, nextPath: "/", rememberedTokens: [] }, origin);
  const page: "password" | "enroll" | "challenge" | "done" | "recovery-codes" | "account" | "signed-out" = decision.go.page;
  void page;
  // @ts-expect-error the store is required
  createGatehouse({ secretKeys: [secretKey], issuer: "Example" });
  return decision;
}
EOF
      ;;
    ./totp)
      # RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890" at T = 59 gives 94287082.
      cat >"$stem.mjs" <<EOF
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as totp from "$spec";
const key = new TextEncoder().encode("12345678901234567890");
assert.equal(totp.generateTOTP(key, 59, { digits: 8 }), "94287082", "RFC 6238 SHA-1 vector at T=59");
assert.equal(totp.verifyTOTP(key, "94287082", 59, { digits: 8 }), totp.timeStepAt(59), "verify returns the step");
assert.equal(totp.generateHOTP(key, 0), "755224", "RFC 4226 Appendix D, count 0");
assert.equal(totp.parseOTPInput(" 287 082 "), "287082");
assert.deepEqual(totp.decodeBase32(totp.encodeBase32(key)), key);
const uri = totp.createTOTPKeyURI({ issuer: "Example", accountName: "alice", secret: key });
assert.equal(totp.parseTOTPKeyURI(uri)?.accountName, "alice");
assert.match(await totp.renderQRCodePNGDataURL(uri), /^data:image\/png;base64,/);
assert.equal(typeof (await totp.renderQRCodeTerminal(uri)), "string");
const codes = totp.generateRecoveryCodes((n) => randomBytes(n));
assert.equal(codes.length, 10);
assert.equal(totp.normalizeRecoveryCode(codes[0].toLowerCase()), codes[0].replace("-", ""));
EOF
      cat >"$stem.ts" <<EOF
import { randomBytes } from "node:crypto";
import {
  createTOTPKeyURI, decodeBase32, encodeBase32, generateHOTP, generateRecoveryCodes, generateTOTP,
  normalizeRecoveryCode, parseOTPInput, parseTOTPKeyURI, renderQRCodePNGDataURL, renderQRCodeTerminal,
  timeStepAt, verifyTOTP,
  type HashAlgorithm, type ParsedTOTPKeyURI, type RandomSource, type TOTPKeyURIInput, type TOTPOptions,
} from "$spec";

const algorithm: HashAlgorithm = "SHA1";
const options: TOTPOptions = { digits: 6, periodSeconds: 30, algorithm };
const key: Uint8Array | null = decodeBase32(encodeBase32(randomBytes(20)));
if (key === null) throw new Error("unreachable");
const code: string = generateTOTP(key, 59, options);
const typed: string | null = parseOTPInput(code);
const step: number | null = typed === null ? null : verifyTOTP(key, typed, 59, { ...options, window: 1 });
// @ts-expect-error verifyTOTP answers the matched step or null, never a boolean: the types are real.
export const wrong: boolean = verifyTOTP(key, code, 59);
const input: TOTPKeyURIInput = { issuer: "Example", accountName: "alice", secret: key };
const parsed: ParsedTOTPKeyURI | null = parseTOTPKeyURI(createTOTPKeyURI(input));
const random: RandomSource = (byteLength) => randomBytes(byteLength);
const codes: string[] = generateRecoveryCodes(random);
const normalized: string | null = normalizeRecoveryCode(codes[0] ?? "");
const images: Promise<[string, string]> = Promise.all([
  renderQRCodePNGDataURL(code),
  renderQRCodeTerminal(code),
]);
export const used = [generateHOTP(key, 0), timeStepAt(59), step, parsed, normalized, images];
EOF
      ;;
    *) return 1 ;;
  esac
}

step "import every entry from ESM"
for subpath in "${subpaths[@]}"; do
  spec="$name${subpath#.}"
  target="$(node -p "require('./package.json').exports['$subpath'].default")"
  stem="$consumer/entry-$(tr -c 'a-z0-9\n' '-' <<<"${subpath#./}" | sed 's/^-*$/root/')"
  write_entry_check "$subpath" "$spec" "$stem" ||
    fail "exports[\"$subpath\"] has no check in scripts/check-package.sh; add one to write_entry_check"
  (cd "$consumer" && node "$stem.mjs") || fail "importing $spec from ESM failed (above)"
  echo "ok  import $spec ($target)"
done

step "typecheck a consumer of every entry (tsc, nodenext, strict)"
cat >"$consumer/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "target": "es2022",
    "lib": ["es2023"],
    "types": ["node"],
    "strict": true,
    "noEmit": true
  },
  "include": ["entry-*.ts"]
}
EOF
(cd "$consumer" && "$repo/node_modules/.bin/tsc" -p tsconfig.json) || fail "the consumer does not typecheck (above)"
echo "ok  tsc $("$repo/node_modules/.bin/tsc" --version)"

step "publint (strict: warnings fail too)"
(cd "$work" && "$repo/node_modules/.bin/publint" run --strict "$tarball") || fail "publint found problems (above)"

step "are the types wrong (attw, esm-only profile)"
# gatehouse is ESM only ("type": "module", no require condition): the esm-only profile leaves out
# the CommonJS-consumer resolutions, which can only report that, and checks everything else.
(cd "$work" && "$repo/node_modules/.bin/attw" --profile esm-only --no-emoji --no-color "$tarball") ||
  fail "attw found problems (above)"

step "passed: ${subpaths[*]}"
