// Package bosapi is generated Go code for the part of the Braiins OS Public
// API (gRPC, packages braiins.bos and braiins.bos.v1) that the braiins
// driver reads. The .proto files in proto/ are a subset of Braiins' public
// definition (github.com/braiins/bos-plus-api) with the same field names and
// numbers; regenerate with generate.sh.
package bosapi

//go:generate ./generate.sh
