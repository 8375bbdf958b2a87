# The two commands: `make run` and `make test`. Both install what is missing first.
# `make sanitize` and `make fuzz` are the hardening runs CI adds (README, "Fuzzing and sanitizers").
# `make deb` builds the Debian package (docs/OPERATIONS.md).
BUILD_DIR := build/release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DATA_DIR ?= ./data
CLANG_FORMAT ?= clang-format
SOURCES = $(shell git ls-files '*.cc' '*.h' 2>/dev/null)

.PHONY: all deps build build-server run test unit e2e format format-check bench sanitize fuzz deb clean

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	cmake --preset release >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the server: `make run` does not wait for the tests to compile.
build-server: deps
	cmake --preset release >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS) --target hookd

run: build-server
	@mkdir -p $(DATA_DIR)
	@if [ -s $(DATA_DIR)/admin_token ] && [ -z "$$HOOKD_ADMIN_TOKEN" ]; then \
	  echo "admin token (from $(DATA_DIR)/admin_token): $$(cat $(DATA_DIR)/admin_token)"; fi
	exec $(BUILD_DIR)/hookd serve --data-dir $(DATA_DIR)

test:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build
	@scripts/run-tests.sh $(BUILD_DIR)

# The Debian package (docs/OPERATIONS.md, "Install"): build/release/deb/hookd_<version>-1_<arch>.deb.
deb: build-server
	scripts/make-deb.sh $(BUILD_DIR)

# The unit and integration suites under ASan+UBSan: any report fails the test that caused it.
# clang (as for the fuzz targets) at -O1 -g1: g++ at -O2 -g took four times as long to compile it.
ASAN_DIR := build/asan
sanitize: deps
	@scripts/install-deps.sh fuzz
	cmake --preset asan-ubsan >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j 2 --timeout 300

# Every fuzz target for FUZZ_SECONDS over its seed corpus; a finding fails.
FUZZ_DIR := build/fuzz
FUZZ_SECONDS ?= 30
fuzz:
	@scripts/install-deps.sh fuzz
	cmake --preset fuzz >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target hookd_fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_DIR)

format:
	$(CLANG_FORMAT) -i $(SOURCES)

format-check:
	$(CLANG_FORMAT) --dry-run -Werror $(SOURCES)

bench:
	@scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory build
	bench/run.sh $(BUILD_DIR)
	bench/cpu.sh $(BUILD_DIR)
	bench/delivery.sh $(BUILD_DIR)
	bench/delivery_scale.sh $(BUILD_DIR)
	bench/retention.sh $(BUILD_DIR)
	bench/streams.sh $(BUILD_DIR)
	bench/apps_scale.sh $(BUILD_DIR)

clean:
	rm -rf build
