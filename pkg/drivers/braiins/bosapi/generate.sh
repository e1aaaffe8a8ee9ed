#!/bin/sh
# Regenerates the Go code of the Braiins OS Public API subset in proto/.
# Plugin versions are pinned; protoc itself comes from the system (Debian's
# protobuf-compiler, libprotoc 3.21.12): its version is written into the
# file headers, so another protoc changes only that comment line.
set -eu
cd "$(dirname "$0")"

PROTOC_GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
MODULE=github.com/asicmetrics/telegraf-asic/pkg/drivers/braiins/bosapi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" go install "$PROTOC_GEN_GO"
GOBIN="$bin" go install "$PROTOC_GEN_GO_GRPC"

rm -f ./*.pb.go
protoc -I proto \
	--plugin=protoc-gen-go="$bin/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc" \
	--go_out=. --go_opt=module="$MODULE" \
	--go-grpc_out=. --go-grpc_opt=module="$MODULE" \
	proto/bos/version.proto proto/bos/v1/*.proto
