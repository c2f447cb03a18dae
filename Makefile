# Arobase — two commands on a fresh machine: `make run` and `make test`.
# npm's binaryen must come first on PATH: Debian's wasm-opt 108 silently breaks the Leptos build.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT ?= 120

SERVER := target/release/arobase-server

.PHONY: run setup setup-test build app server test lint test-native test-wasm test-e2e bench-size clean

## run: install what is missing, build everything, serve the app at http://127.0.0.1:8080
run: build
	$(SERVER)

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup-test.sh

build: app server

## app: the release WebAssembly build into dist/
app: setup
	trunk build --release

server:
	cargo build --release -p server

## test: every check and test, as CI runs them
test: setup setup-test lint test-native test-wasm test-e2e

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p arobase --target wasm32-unknown-unknown --all-targets -- -D warnings

test-native:
	cargo test --workspace

test-wasm:
	cargo test -p arobase --target wasm32-unknown-unknown

test-e2e: build
	npx playwright test

## bench-size: brotli size of everything a first visit downloads (budget 150 KB)
bench-size: app
	@scripts/bench-size.sh dist

clean:
	rm -rf dist target/release/arobase-server
