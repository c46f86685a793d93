# iot-dev-bind: one entry point for the demo and for every test.
#
#   make demo   build the library, build c_examples/ and run the bind demo
#   make test   everything CI runs: fmt, clippy, Rust tests, release build, C tests (plain,
#               ASan/UBSan, valgrind, TSan) through ctest, then the host tools' tests
#
# CARGO_TARGET_DIR is respected: the C builds link $(CARGO_TARGET_DIR)/release/libiot_dev_bind.a.

CARGO ?= cargo
CMAKE ?= cmake
CTEST ?= ctest
BUILD ?= build
JOBS ?= 2

TARGET_DIR := $(abspath $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target))
LIB := $(TARGET_DIR)/release/libiot_dev_bind.a
TOOLS_TARGET_DIR := $(abspath $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),tools/target))
HOST_LIB := $(TOOLS_TARGET_DIR)/release/libdevbind_host.so

.PHONY: all lib demo test test-rust test-c test-tools clean

all: lib

lib:
	$(CARGO) build --release

demo: lib
	$(CMAKE) -S c_examples -B $(BUILD)/c_examples -DDEV_BIND_LIB=$(LIB)
	$(CMAKE) --build $(BUILD)/c_examples -j $(JOBS)
	$(BUILD)/c_examples/bind_demo

test: test-rust test-c
	$(MAKE) test-tools

test-rust:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test
	$(CARGO) build --release

test-c: lib
	$(CMAKE) -S tests/c -B $(BUILD)/tests-c -DDEV_BIND_LIB=$(LIB)
	$(CMAKE) --build $(BUILD)/tests-c -j $(JOBS)
	cd $(BUILD)/tests-c && $(CTEST) --output-on-failure -j $(JOBS)

# The host tools' tests drive the example device (c_examples/host -> build/host/devbind-device),
# which links the library and the tools' Linux stand-in of the SDK.
test-tools: lib
	cd tools && $(CARGO) build --release -p devbind-host
	$(CMAKE) -S c_examples/host -B $(BUILD)/host -DDEV_BIND_LIB=$(LIB) -DDEVBIND_HOST_LIB=$(HOST_LIB)
	$(CMAKE) --build $(BUILD)/host -j $(JOBS)
	cd tools && $(CARGO) test

clean:
	rm -rf $(BUILD)
