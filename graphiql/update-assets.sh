#!/usr/bin/env bash
# Fetches the pinned GraphiQL and React builds from npm into assets/ (run from anywhere).
# GraphiQL 3.x is the last line shipping a UMD build that runs without a bundler.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent graphiql@3.9.0 react@18.3.1 react-dom@18.3.1 >/dev/null && for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done)
cp "$tmp"/graphiql-3.9.0/package/graphiql.min.{js,css} assets/
cp "$tmp"/react-18.3.1/package/umd/react.production.min.js assets/
cp "$tmp"/react-dom-18.3.1/package/umd/react-dom.production.min.js assets/
cp "$tmp"/graphiql-3.9.0/package/LICENSE assets/LICENSE.graphiql
cp "$tmp"/react-18.3.1/package/LICENSE assets/LICENSE.react
cp "$tmp"/react-dom-18.3.1/package/LICENSE assets/LICENSE.react-dom
