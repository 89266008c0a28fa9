#!/usr/bin/env bash
# Release builds: a static firstline binary for Linux, macOS and Windows on amd64 and arm64, with the
# version and the commit stamped into `firstline version`, and a SHA256SUMS file beside them.
#
#   scripts/release.sh [-o DIR] VERSION      VERSION like v1.2.0; DIR is dist/VERSION unless given
#   TARGETS="linux/amd64 windows/amd64" scripts/release.sh VERSION     only these targets
#
# The binaries are static (CGO_ENABLED=0: Firstline needs no C), reproducible (-trimpath, no build
# paths in them) and stripped. .ci/run builds one target of each system with it, so this cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/release.sh [-o DIR] VERSION   (VERSION like v1.2.0)" >&2; exit 2; }
out=""
while getopts "o:" opt; do
  case $opt in
    o) out=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
version=$1
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "release: $version is not a version like v1.2.0" >&2; exit 2; }

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  commit="$commit-dirty" # built from a checkout with changes: say so in firstline version
fi
out=${out:-dist/$version}
mkdir -p "$out"

for target in ${TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}; do
  os=${target%/*} arch=${target#*/}
  name="firstline-$version-$os-$arch"
  [ "$os" = windows ] && name="$name.exe"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.version=$version -X main.commit=$commit" -o "$out/$name" ./cmd/firstline
  echo "$out/$name"
done
(cd "$out" && sha256sum firstline-* > SHA256SUMS)
echo "$out/SHA256SUMS"
