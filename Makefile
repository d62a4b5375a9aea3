# The two commands of the README:
#   make quickstart   install dependencies, build, run the main job
#   make test         install dependencies, build, run every test (plus an ASan+UBSan build)
# Other targets: build, bench, format, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_FLAGS = -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON

.PHONY: quickstart test test-data build asan setup bench format clean

setup:
	@scripts/setup

build: setup
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@ln -sf $(BUILD)/compile_commands.json compile_commands.json

quickstart: build
	./$(BUILD)/borealis quickstart

asan: setup
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DBOREALIS_SANITIZE=ON -DBOREALIS_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

test-data:
	@scripts/fetch-test-data

test: build asan test-data
	@echo "== unit and oracle tests (release build)"
	cd $(BUILD) && ctest --output-on-failure --no-tests=error -j $(JOBS)
	@echo "== unit and oracle tests (ASan + UBSan build)"
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure --no-tests=error -j $(JOBS)

bench: build
	@for b in $(BUILD)/bench/bench_*; do [ -x "$$b" ] && "$$b"; done

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) compile_commands.json
