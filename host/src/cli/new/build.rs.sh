#!/usr/bin/env bash
# Build the crate into out/policy.wasm (a WebAssembly component) for wasm32-wasip2.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2 >/dev/null 2>&1 || true
cargo build --quiet --release --target wasm32-wasip2
mkdir -p out
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/{{crate}}.wasm" out/policy.wasm.tmp
mv out/policy.wasm.tmp out/policy.wasm
echo "built $(pwd)/out/policy.wasm"
