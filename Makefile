# Arobase — two commands on a fresh machine: `make run` and `make test`.
# npm's binaryen must come first on PATH: Debian's wasm-opt 108 silently breaks the Leptos build.
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT ?= 120
# The server's integration tests run on SQLite and on this PostgreSQL database, which
# scripts/postgres.sh creates (override it if your cluster is not on port 5432).
export AROBASE_TEST_POSTGRES_URL ?= postgres://arobase_test:arobase_test@127.0.0.1:5432/arobase_test

SERVER := target/release/arobase-server

.PHONY: run setup setup-test build app server test lint test-native test-wasm test-e2e \
	postgres test-crash fuzz sim fixtures communes bench bench-size bench-tap bench-sync bench-network bench-campaign bench-compare bench-live bench-first-question clean

## run: install what is missing, build everything, serve the app at http://127.0.0.1:8080
run: build
	$(SERVER)

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup-test.sh

build: app server

## app: the release WebAssembly build into dist/ (Trunk's post_build hook adds the service worker)
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
	cargo clippy -p arobase --target wasm32-unknown-unknown --features split -- -D warnings

test-native: postgres
	cargo test --workspace

test-wasm:
	cargo test -p arobase --target wasm32-unknown-unknown

# The release app against the server's debug build: the same code as the release server `make run`
# serves, already built by `make test-native` (`cargo test` builds the binary its tests run; the
# same command here is then a no-op, where a release build of the server would add minutes to CI).
# `npx playwright test` alone runs the release server of `make build`.
test-e2e: app
	cargo test --workspace --no-run
	AROBASE_E2E_SERVER=target/debug/arobase-server npx playwright test

## sim: the town simulation with many more schedules than `make test` runs (SIM_SCHEDULES,
## default 200,000); SIM_SEED=<n> replays one seed and prints its minimal trace
sim:
	SIM_SCHEDULES=$${SIM_SCHEDULES:-200000} cargo test -p diagnostic --test simulation -- \
		--nocapture simulated_towns_converge

## fixtures: write this release's upgrade fixtures (crates/server/tests/upgrade.rs keeps every release's)
fixtures: postgres
	cargo test -p server --test upgrade -- --ignored write_fixtures

## test-crash: the PostgreSQL crash tests (server killed, PostgreSQL stopped) with more crashes
## than `make test` runs (AROBASE_CRASH_CYCLES, default 100; `make test` runs 20)
test-crash: postgres
	AROBASE_CRASH_CYCLES=$${AROBASE_CRASH_CYCLES:-100} cargo test -p server --test durability -- \
		--nocapture postgres_

## fuzz: the fuzzing of the API's payloads, content, replicas and merge with many more cases than
## `make test` runs (PROPTEST_CASES, default 50,000; PostgreSQL runs a quarter)
fuzz: postgres
	PROPTEST_CASES=$${PROPTEST_CASES:-50000} cargo test -p diagnostic --test fuzz
	PROPTEST_CASES=$${PROPTEST_CASES:-50000} cargo test -p server --test fuzz

## postgres: start the local PostgreSQL server and make the test role and database (idempotent)
postgres:
	@scripts/postgres.sh >/dev/null

## communes: (re)load the official commune list into DATABASE_URL (the server also loads it at start)
communes:
	@scripts/communes.sh

## bench: every benchmark (figures to quote, never asserted in tests)
bench: bench-size bench-tap bench-sync bench-network bench-campaign
	cargo bench -p diagnostic

## bench-size: brotli size of everything a first visit downloads (budget 150 KB)
bench-size: app
	@scripts/bench-size.sh dist

## bench-tap: tap → persisted in the browser, p50/p95 (goal p95 ≤ 16 ms)
bench-tap: build
	@node scripts/bench-tap.mjs

## bench-first-question: bytes and time until question 1 is tappable (cold, CPU x4, slow 4G) from
## « / » and from a question link, and Lighthouse mobile on « / », an invitation and a question (3 runs)
bench-first-question: build
	@node scripts/bench-first-question.mjs

## bench-compare: the phone's cost of the results page with the comparison with comparable towns (CPU x4)
bench-compare: build
	@node scripts/bench-compare.mjs

## bench-live: answer on A → on B through the live stream (median of 20), and the server's memory
## and file descriptors with 2,000 live streams open (loopback, release server)
bench-live: server
	@node scripts/bench-live.mjs

## bench-sync: 60-operation push round trip and sustained pushes/s, next to raw SQLite commits/s
bench-sync:
	@scripts/bench-sync.sh

## bench-network: 2,215 towns × 3 campaigns on SQLite and PostgreSQL — publication pass, a town's
## comparison p50/p95, the operators' dashboard and the CSVs, over HTTP
bench-network: postgres
	@scripts/bench-network.sh

## bench-campaign: a national campaign simulated — 2,215 towns × 3 phones answering and syncing over a
## compressed month, on SQLite and PostgreSQL: throughput, p95 push, server memory, database size
bench-campaign: postgres
	@scripts/bench-campaign.sh

clean:
	rm -rf dist target/release/arobase-server
