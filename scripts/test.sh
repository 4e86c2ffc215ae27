#!/bin/sh
# README command 2: install dependencies, build the sanitizer build (ASan +
# UBSan, with the libFuzzer targets) and run the whole suite.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
BUILD_DIR=${KDC_BUILD_DIR:-build/test}
CC=clang cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug \
	-DKDC_SANITIZE=ON -DKDC_FUZZ=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
cd "$BUILD_DIR"
ctest --output-on-failure
