# iot-dev-bind: one entry point for the demo and for every test.
#
#   make demo       build the library, the example device (the library + the Linux stand-in
#                   of the SDK) and `devbind`, then play every bind flow of the guide for real:
#                   MQTT broker, cloud simulator, phones and the device, on loopback
#   make demo-mock  the older demo: the flows against the C mock of the SDK (c_examples/)
#   make device     only build the example device (build/host/devbind-device)
#   make test       everything CI runs: fmt, clippy, Rust tests, release build, C tests (plain,
#                   ASan/UBSan, valgrind, TSan) through ctest, the host tools' tests, then a
#                   short libFuzzer run of every fuzz target (FUZZ_SECONDS each)
#   make bench      figures, not tests: flash/RAM footprint, stack high-water marks, core speed,
#                   instructions per hot path (callgrind)
#
# CARGO_TARGET_DIR is respected: the C builds link $(CARGO_TARGET_DIR)/release/libiot_dev_bind.a,
# and the tools (a separate cargo workspace) build into it too (else into tools/target).

CARGO ?= cargo
CMAKE ?= cmake
CTEST ?= ctest
BUILD ?= build
JOBS ?= 2
FUZZ_SECONDS ?= 10

TARGET_DIR := $(abspath $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target))
LIB := $(TARGET_DIR)/release/libiot_dev_bind.a
TOOLS_TARGET_DIR := $(abspath $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),tools/target))
HOST_LIB := $(TOOLS_TARGET_DIR)/release/libdevbind_host.so
DEVBIND := $(TOOLS_TARGET_DIR)/release/devbind
DEVICE := $(BUILD)/host/devbind-device

.PHONY: all lib device devbind demo demo-mock test test-rust test-c test-tools test-fuzz bench clean

all: lib

lib:
	$(CARGO) build --release

# The example device: the firmware library linked with the tools' Linux stand-in of the SDK.
device: lib
	cd tools && $(CARGO) build --release -p devbind-host
	$(CMAKE) -S c_examples/host -B $(BUILD)/host -DDEV_BIND_LIB=$(LIB) -DDEVBIND_HOST_LIB=$(HOST_LIB)
	$(CMAKE) --build $(BUILD)/host -j $(JOBS)

devbind:
	cd tools && $(CARGO) build --release -p devbind

demo: device devbind
	$(DEVBIND) demo --device $(DEVICE)

demo-mock: lib
	$(CMAKE) -S c_examples -B $(BUILD)/c_examples -DDEV_BIND_LIB=$(LIB)
	$(CMAKE) --build $(BUILD)/c_examples -j $(JOBS)
	$(BUILD)/c_examples/bind_demo

test: test-rust test-c
	$(MAKE) test-tools
	$(MAKE) test-fuzz

test-rust:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps
	$(CARGO) test
	$(CARGO) build --release

test-c: lib
	$(CMAKE) -S tests/c -B $(BUILD)/tests-c -DDEV_BIND_LIB=$(LIB)
	$(CMAKE) --build $(BUILD)/tests-c -j $(JOBS)
	cd $(BUILD)/tests-c && $(CTEST) --output-on-failure -j $(JOBS)

# The host tools' tests drive the example device (c_examples/host -> build/host/devbind-device),
# which links the library and the tools' Linux stand-in of the SDK.
test-tools: device
	cd tools && $(CARGO) fmt --check
	cd tools && $(CARGO) clippy --all-targets -- -D warnings
	cd tools && DEVBIND_DEVICE=$(abspath $(DEVICE)) $(CARGO) test

# Coverage-guided fuzzing of every hostile input path through the C ABI (clang's libFuzzer);
# fails on any crash, sanitizer report or broken invariant.
test-fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: lib
	sh benches/footprint/footprint.sh
	benches/stack/run.sh
	benches/callgrind/run.sh
	$(CARGO) test --release -p dev-bind-core --test core_speed_figures -- --nocapture

clean:
	rm -rf $(BUILD)
