#!/usr/bin/env bash
# Build cnitool (the CNI project's own reference client) from Debian's source package and install it.
#
# Usage: bash .ci/build-cnitool.sh [DEST]      (DEST defaults to /usr/local/bin/cnitool)
#        FORCE=1 bash .ci/build-cnitool.sh     (rebuild even if DEST already works)
#
# Runs as root on Debian 12 (bookworm). Only Debian's archive is used:
#   - golang-go (Go 1.19) builds it, in GOPATH mode (GO111MODULE=off);
#   - golang-github-appc-cni-dev (libcni 1.1.2) puts the library sources under /usr/share/gocode,
#     but NOT the cnitool sources, so cnitool/ is taken from the source package of the same version
#     (`apt-get source`), adding deb-src entries to apt if none are configured.
# The resulting cnitool speaks CNI up to spec 1.0.0 (ADD, CHECK, DEL; no 1.1.0 GC/STATUS).
set -euo pipefail

DEST="${1:-/usr/local/bin/cnitool}"
SRC_PKG=golang-github-appc-cni
DEV_PKG=golang-github-appc-cni-dev
GOPATH_DIR=/usr/share/gocode
IMPORT_PATH=github.com/containernetworking/cni
export DEBIAN_FRONTEND=noninteractive

log() { echo "[build-cnitool] $*"; }
die() { echo "[build-cnitool] ERROR: $*" >&2; exit 1; }
trap 'rc=$?; [ "$rc" -eq 0 ] || echo "[build-cnitool] FAILED (exit $rc)" >&2' EXIT

# cnitool with too few arguments prints its usage ("cnitool: Add, check, or remove network
# interfaces from a network namespace") and exits 1; that output is our "it works" probe.
cnitool_works() {
  [ -x "$1" ] || return 1
  local out
  out="$("$1" 2>&1 || true)"
  grep -q 'cnitool: Add' <<<"$out"
}

if [ "${FORCE:-0}" != 1 ] && cnitool_works "$DEST"; then
  log "a working cnitool is already at $DEST; nothing to do (FORCE=1 rebuilds)"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (installs Debian packages)"
command -v apt-get >/dev/null || die "apt-get not found: this script is for Debian"

start=$SECONDS

# 1. Build tools and the library sources.
need=()
for p in golang-go "$DEV_PKG" dpkg-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  log "golang-go, $DEV_PKG and dpkg-dev already installed"
fi
command -v go >/dev/null || die "go not on PATH after installing golang-go"
[ -d "$GOPATH_DIR/src/$IMPORT_PATH/libcni" ] || die "$DEV_PKG did not install $GOPATH_DIR/src/$IMPORT_PATH/libcni"
version="$(dpkg-query -W -f='${Version}' "$DEV_PKG")"
log "go: $(go version); $DEV_PKG $version"

work="$(mktemp -d /tmp/build-cnitool.XXXXXX)"
trap 'rc=$?; rm -rf "$work"; [ "$rc" -eq 0 ] || echo "[build-cnitool] FAILED (exit $rc)" >&2' EXIT

# 2. The cnitool sources: from the dev package if it ships them, else from the source package.
if [ -f "$GOPATH_DIR/src/$IMPORT_PATH/cnitool/cnitool.go" ]; then
  srcdir="$GOPATH_DIR/src/$IMPORT_PATH/cnitool"
  log "cnitool sources found in $DEV_PKG: $srcdir"
else
  log "$DEV_PKG has no cnitool sources; fetching source package $SRC_PKG=$version"
  if ! apt-get source --print-uris "$SRC_PKG=$version" >/dev/null 2>&1; then
    log "no usable deb-src entry configured; adding one"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      # deb822 format (Debian 12 default): same archive, Types: deb-src.
      sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
        > /etc/apt/sources.list.d/cnitool-deb-src.sources
    elif grep -qE '^deb[[:space:]]' /etc/apt/sources.list 2>/dev/null; then
      grep -E '^deb[[:space:]]' /etc/apt/sources.list | sed -e 's/^deb\([[:space:]]\)/deb-src\1/' \
        > /etc/apt/sources.list.d/cnitool-deb-src.list
    else
      die "no Debian apt source found to derive a deb-src entry from (checked /etc/apt/sources.list.d/debian.sources and /etc/apt/sources.list)"
    fi
    apt-get update -qq
  fi
  (cd "$work" && apt-get source -qq "$SRC_PKG=$version" >/dev/null 2>"$work/apt-source.err") || {
    cat "$work/apt-source.err" >&2
    die "apt-get source $SRC_PKG=$version failed"
  }
  srcdir="$(find "$work" -mindepth 2 -maxdepth 2 -type d -name cnitool | head -n1)"
  [ -n "$srcdir" ] && [ -f "$srcdir/cnitool.go" ] || die "source package $SRC_PKG=$version has no cnitool/cnitool.go"
  log "cnitool sources: $srcdir"
fi

# 3. Build in GOPATH mode against the packaged library sources (no network, no modules).
log "building (GO111MODULE=off GOPATH=$GOPATH_DIR)"
build_start=$SECONDS
(
  cd "$srcdir"
  GO111MODULE=off GOPATH="$GOPATH_DIR" GOFLAGS= GOPROXY=off CGO_ENABLED=0 \
    GOCACHE="${GOCACHE:-$work/gocache}" \
    go build -o "$work/cnitool" .
) || die "go build of cnitool failed"
log "go build took $((SECONDS - build_start))s"

# 4. Install and check.
cnitool_works "$work/cnitool" || die "the freshly built cnitool does not print its usage"
install -D -m 0755 "$work/cnitool" "$DEST"
cnitool_works "$DEST" || die "installed $DEST does not work"
log "installed $DEST (from $SRC_PKG $version) in $((SECONDS - start))s total"
