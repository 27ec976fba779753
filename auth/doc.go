// Package auth owns who a request comes from and what they may do: static API keys, kept in
// the configuration only as SHA-256 hashes, and JWT bearer tokens (an HS256 secret or the keys
// of a JWKS URL, issuer and audience checked), each giving the caller a role, agent or admin.
package auth
