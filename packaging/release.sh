#!/usr/bin/env bash
# Builds release archives of asic-execd for Linux amd64 and arm64 into
# dist/, with a SHA256SUMS file. No downloads: Go cross-compiles from the
# module cache. Usage: packaging/release.sh [VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
rm -rf dist && mkdir -p dist
for arch in amd64 arm64; do
  name="asic-execd-${version}-linux-${arch}"
  mkdir -p "dist/$name"
  CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath \
    -ldflags "-s -w -X main.version=${version}" -o "dist/$name/asic-execd" ./cmd/asic-execd
  cp README.md sample.conf packaging/telegraf.d/asic.conf "dist/$name/"
  cp packaging/systemd/telegraf-asic.conf "dist/$name/telegraf.service.d-asic.conf"
  tar -C dist -czf "dist/$name.tar.gz" "$name"
  rm -rf "dist/$name"
done
(cd dist && sha256sum ./*.tar.gz > SHA256SUMS)
ls -l dist
