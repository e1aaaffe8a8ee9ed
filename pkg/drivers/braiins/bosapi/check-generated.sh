#!/bin/sh
# Regenerates the Go code in a scratch copy with the committed command and
# fails if any byte differs from what is committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$here" "$tmp/bosapi"
(cd "$here/../../../.." && sh "$tmp/bosapi/generate.sh")
for f in "$here"/*.pb.go; do
  cmp "$f" "$tmp/bosapi/$(basename "$f")" || { echo "generated code differs: $(basename "$f")" >&2; exit 1; }
done
n=$(ls "$tmp"/bosapi/*.pb.go | wc -l)
[ "$n" = "$(ls "$here"/*.pb.go | wc -l)" ] || { echo "generated file set differs" >&2; exit 1; }
echo "bosapi: generated code matches ($n files)"
