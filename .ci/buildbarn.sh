#!/usr/bin/env bash
# Builds Buildbarn (bb_storage, bb_scheduler, bb_worker, bb_runner) from the Go module proxy into
# $HOME/.cache/typed-tasks/buildbarn/<version-key>/, for the remote execution tests (issue 19;
# test/remote/buildbarn.mjs starts them on 127.0.0.1). Facts: ../shared/PROTOCOLS.md, "Remote execution".
#
# Upstream builds with Bazel, which patches two dependencies; a plain `go build` needs the same patches,
# applied here in writable copies of the downloaded modules (the module cache is read-only):
#   - bb-remote-execution (bb_worker): github.com/hanwen/go-fuse/v2@v2.5.1 + the three diffs in its
#     patches/com_github_hanwen_go_fuse_v2/ (else `undefined: fuse.ReadDirPlusEntryList`);
#   - bb-storage (bb_storage): google.golang.org/genproto/googleapis/bytestream + its
#     patches/org_golang_google_genproto_googleapis_bytestream/service-registrar.diff (else
#     `cannot use s (... ServiceRegistrar) as *grpc.Server value`).
# The result folder is keyed by the module versions and a hash of the patch steps below, so changing
# either builds afresh; a folder that already holds the four binaries is reused (idempotent).
# Prints the folder on its last line; `--print-dir` only prints it (exit 1 when not built yet). Needs Go (>= 1.24) on PATH, `patch`, `sha256sum`; ~5 min on 2 cores.
set -euo pipefail

BB_REMOTE_EXECUTION=github.com/buildbarn/bb-remote-execution@v0.0.0-20250727072438-58b88e8adfbd
BB_STORAGE=github.com/buildbarn/bb-storage@v0.0.0-20250711140028-226829e872c3
GO_FUSE=github.com/hanwen/go-fuse/v2@v2.5.1
BYTESTREAM=google.golang.org/genproto/googleapis/bytestream@v0.0.0-20250212204824-5a70512c5d8b
BINARIES="bb_storage bb_scheduler bb_worker bb_runner"

command -v go >/dev/null || { echo "buildbarn: go is not on PATH (the CI machine has it in /usr/local/go/bin)" >&2; exit 1; }
command -v patch >/dev/null || { echo "buildbarn: patch is not installed" >&2; exit 1; }

# ---- patch steps (begin): their text is part of the cache key ----
# module_dir MODULE@VERSION: downloads the module through the proxy and prints its (read-only) folder.
module_dir() {
  local dir
  dir=$(cd "$work" && go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$dir" ] || { echo "buildbarn: could not download $1" >&2; return 1; }
  echo "$dir"
}
# writable_copy MODULE@VERSION NAME: a writable copy of the module in $work/NAME, printed.
writable_copy() {
  local src
  src=$(module_dir "$1")
  rm -rf "${work:?}/$2"
  cp -r "$src" "$work/$2"
  chmod -R u+w "$work/$2"
  echo "$work/$2"
}
# patch_all DIR PATCH...: applies each diff with -p0 inside DIR.
patch_all() {
  local dir=$1 p
  shift
  for p in "$@"; do
    echo "buildbarn: patch -p0 < $(basename "$p") in $(basename "$dir")"
    (cd "$dir" && patch -p0 --quiet --forward <"$p")
  done
}
prepare_sources() {
  re=$(writable_copy "$BB_REMOTE_EXECUTION" bb-remote-execution)
  st=$(writable_copy "$BB_STORAGE" bb-storage)
  fuse=$(writable_copy "$GO_FUSE" go-fuse)
  bs=$(writable_copy "$BYTESTREAM" bytestream)
  patch_all "$fuse" "$re"/patches/com_github_hanwen_go_fuse_v2/*.diff
  patch_all "$bs" "$st"/patches/org_golang_google_genproto_googleapis_bytestream/service-registrar.diff
  (cd "$re" && go mod edit -replace "github.com/hanwen/go-fuse/v2=$fuse")
  (cd "$st" && go mod edit -replace "google.golang.org/genproto/googleapis/bytestream=$bs")
}
# ---- patch steps (end) ----

self="${BASH_SOURCE[0]}"
steps_hash=$(sed -n '/^# ---- patch steps (begin)/,/^# ---- patch steps (end)/p' "$self" | sha256sum | cut -c1-12)
short() { echo "${1##*-}" | cut -c1-12; }
key="re-$(short "$BB_REMOTE_EXECUTION")-st-$(short "$BB_STORAGE")-$steps_hash"
dest="$HOME/.cache/typed-tasks/buildbarn/$key"

have_all=true
for b in $BINARIES; do [ -x "$dest/$b" ] || have_all=false; done
# --print-dir: print the folder and exit 0 if it holds the four binaries, 1 if not (no build; the test rig uses it).
if [ "${1:-}" = "--print-dir" ]; then
  echo "$dest"
  $have_all
  exit $?
fi
if $have_all; then
  echo "buildbarn: already built in $dest"
  echo "$dest"
  exit 0
fi

echo "buildbarn: building $BINARIES into $dest (key $key; ~5 min on 2 idle cores, much longer on a loaded machine; ~2.6 GB of Go caches)"
mkdir -p "$(dirname "$dest")"
work=$(mktemp -d "$(dirname "$dest")/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
prepare_sources
mkdir -p "$work/out"
for b in bb_scheduler bb_worker bb_runner; do
  echo "buildbarn: go build ./cmd/$b (bb-remote-execution)"
  (cd "$re" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$work/out/$b" "./cmd/$b")
done
echo "buildbarn: go build ./cmd/bb_storage (bb-storage)"
(cd "$st" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$work/out/bb_storage" ./cmd/bb_storage)
# Publish atomically: a half-built folder never looks complete.
rm -rf "$dest"
mv "$work/out" "$dest"
echo "buildbarn: built in $(($(date +%s) - start)) s"
echo "$dest"
