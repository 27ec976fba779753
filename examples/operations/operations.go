// Package operations holds the sample operations a Flex UI plugin sends, embedded so the gateway
// can trust them by default (trusted_documents) and codegen can read them.
package operations

import "embed"

// Files are the sample operations, one per .graphql file.
//
//go:embed *.graphql
var Files embed.FS
