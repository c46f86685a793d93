# iot-dev-bind: one entry point for the demo and for every test.
#
#   make demo       build the library, the example device (the library + the Linux stand-in
#                   of the SDK), its wifi-provision build and `devbind`, then play every bind
#                   flow of the guide for real (the switch-AP flow on the wifi-provision build):
#                   MQTT broker, cloud simulator, phones and the device, on loopback
#   make demo-mock  the older demo: the flows against the C mock of the SDK (c_examples/)
#   make device     only build the example device (build/host/devbind-device)
#   make device-wifi  also build its Wi-Fi product's build (build/host/devbind-device-wifi: the
#                   library with the wifi-provision feature), which plays the demo's switch-AP flow
#   make install    the library's package (make install-lib) and, for the host, `devbind` on
#                   PATH (make install-tools), under PREFIX (/usr/local; DESTDIR for staged installs)
#   make install-tools  $(PREFIX)/bin/devbind, its man pages and bash/zsh/fish completions
#   make test       everything CI runs: fmt, clippy, Rust tests, release build, C tests (plain,
#                   ASan/UBSan, valgrind, TSan) through ctest, the host tools' tests, then a
#                   short libFuzzer run of every fuzz target (FUZZ_SECONDS each)
#   make test-firmware  the C bind tests on firmware CPUs under qemu: Cortex-M4 (thumbv7em-none-eabi)
#                   and RV32IMC (riscv32imc-unknown-none-elf), built with Debian's Rust
#   make test-faults  the full anomaly sweep (every import failing at every call, under ASan):
#                   runs and failures by import (a sample of it runs in `make test`)
#   make bench      figures, not tests: flash/RAM footprint, stack high-water marks, core speed,
#                   instructions per hot path (callgrind)
#   make flood      figures: the example device flooded with phone queries over real UDP on
#                   loopback (10,000 a second for 10 s): answers, drops, token reports, memory
#   make dist       the installable package in dist/ (see "The package and the SDK swap" below),
#                   make install PREFIX=..., make sdk-swap SDK_LIB=..., make sdk-unswap SDK_LIB=...
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
# The wifi-provision build, in a target directory of its own (tests/symbols.rs builds it there
# too), so that it never replaces the default archive.
WIFI_LIB := $(TARGET_DIR)/wifi-provision/release/libiot_dev_bind.a
TOOLS_TARGET_DIR := $(abspath $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),tools/target))
HOST_LIB := $(TOOLS_TARGET_DIR)/release/libdevbind_host.so
DEVBIND := $(TOOLS_TARGET_DIR)/release/devbind
DEVICE := $(BUILD)/host/devbind-device
WIFI_DEVICE := $(BUILD)/host/devbind-device-wifi
PREFIX ?= /usr/local

.PHONY: all lib wifi-lib device device-wifi devbind install demo demo-mock test test-rust test-c test-firmware \
	test-tools test-fuzz test-dist bench clean

all: lib

lib:
	$(CARGO) build --release

# The example device: the firmware library linked with the tools' Linux stand-in of the SDK.
# (DEV_BIND_WIFI_LIB set empty: the default build stays the default build after a device-wifi.)
device: lib
	cd tools && $(CARGO) build --release -p devbind-host
	$(CMAKE) -S c_examples/host -B $(BUILD)/host -DDEV_BIND_LIB=$(LIB) -DDEVBIND_HOST_LIB=$(HOST_LIB) \
		-DDEV_BIND_WIFI_LIB=
	$(CMAKE) --build $(BUILD)/host -j $(JOBS)

# The example device and, beside it, its Wi-Fi product's build: the library built with the
# wifi-provision feature (devbind-device-wifi, compiled with DEV_BIND_WIFI_PROVISION).
device-wifi: lib wifi-lib
	cd tools && $(CARGO) build --release -p devbind-host
	$(CMAKE) -S c_examples/host -B $(BUILD)/host -DDEV_BIND_LIB=$(LIB) -DDEVBIND_HOST_LIB=$(HOST_LIB) \
		-DDEV_BIND_WIFI_LIB=$(WIFI_LIB)
	$(CMAKE) --build $(BUILD)/host -j $(JOBS)

devbind:
	cd tools && $(CARGO) build --release -p devbind

# Installs the release `devbind`, and man pages and completions generated from its own
# command-line definitions.
install-tools: devbind
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(DEVBIND) $(DESTDIR)$(PREFIX)/bin/devbind
	$(DEVBIND) man --dir $(DESTDIR)$(PREFIX)/share/man/man1
	$(DEVBIND) completions bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/devbind
	$(DEVBIND) completions zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_devbind
	$(DEVBIND) completions fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/devbind.fish

demo: device-wifi devbind
	$(DEVBIND) demo --device $(DEVICE) --switchap-device $(WIFI_DEVICE)

demo-mock: lib
	$(CMAKE) -S c_examples -B $(BUILD)/c_examples -DDEV_BIND_LIB=$(LIB)
	$(CMAKE) --build $(BUILD)/c_examples -j $(JOBS)
	$(BUILD)/c_examples/bind_demo

test: test-rust test-c
	$(MAKE) test-firmware
	$(MAKE) test-dist
	$(MAKE) test-tools
	$(MAKE) test-fuzz

test-rust:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps
	$(CARGO) test
	$(CARGO) build --release
	$(CARGO) clippy --all-targets --features wifi-provision -- -D warnings
	$(CARGO) test -p dev-bind-core --features wifi-provision

wifi-lib:
	CARGO_TARGET_DIR=$(TARGET_DIR)/wifi-provision $(CARGO) build --release --features wifi-provision

test-c: lib wifi-lib
	$(CMAKE) -S tests/c -B $(BUILD)/tests-c -DDEV_BIND_LIB=$(LIB) -DDEV_BIND_WIFI_LIB=$(WIFI_LIB)
	$(CMAKE) --build $(BUILD)/tests-c -j $(JOBS)
	cd $(BUILD)/tests-c && $(CTEST) --output-on-failure -j $(JOBS)

# Every case of tests/c/test_bind.c in qemu, on an emulated Cortex-M4 and an RV32IMC core; one
# summary line a target (tests/firmware/run.sh says what it needs).
test-firmware:
	tests/firmware/run.sh

# The host tools' tests drive the example device (c_examples/host -> build/host/devbind-device),
# which links the library and the tools' Linux stand-in of the SDK.
test-tools: device-wifi
	cd tools && $(CARGO) fmt --check
	cd tools && $(CARGO) clippy --all-targets -- -D warnings
	cd tools && DEVBIND_DEVICE=$(abspath $(DEVICE)) DEVBIND_WIFI_DEVICE=$(abspath $(WIFI_DEVICE)) \
		$(CARGO) test

# ---- Anomaly tests: the full sweep ----------------------------------------------------------
#
# tests/c/test_faults.c under ASan/UBSan: every HAL, MQTT and CoAP import fails at its Nth call,
# for every N up to a clean run's count, once, from N on, and for 3 calls, over every flow;
# prints one line per failed run and the figures (runs, failures by import). `make test` runs
# a sample of it through ctest. Figures: docs/RELIABILITY.md.

.PHONY: test-faults
test-faults: lib
	$(CMAKE) -S tests/c -B $(BUILD)/tests-c -DDEV_BIND_LIB=$(LIB)
	$(CMAKE) --build $(BUILD)/tests-c -j $(JOBS) --target test_faults_asan
	$(BUILD)/tests-c/test_faults_asan all

# Coverage-guided fuzzing of every hostile input path through the C ABI (clang's libFuzzer);
# fails on any crash, sanitizer report or broken invariant.
test-fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: lib
	sh benches/footprint/footprint.sh
	benches/stack/run.sh
	benches/callgrind/run.sh
	$(CARGO) test --release -p dev-bind-core --test core_speed_figures -- --nocapture

# ---- A flood over a real socket -------------------------------------------------------------
#
# The example device against mosquitto and the cloud simulator; `devbind phone flood` sends it
# FLOOD_RATE queries a second for FLOOD_SECONDS from 127.0.0.2 and prints the figures (the
# ignored full run of tools/devbind/tests/flood.rs, release build). FLOOD_ACK_DELAY_MS delays
# the cloud's replies (0: at once).

FLOOD_SECONDS ?= 10
FLOOD_RATE ?= 10000
FLOOD_ACK_DELAY_MS ?= 0

.PHONY: flood

flood: device
	cd tools && DEVBIND_DEVICE=$(abspath $(DEVICE)) FLOOD_SECONDS=$(FLOOD_SECONDS) \
		FLOOD_RATE=$(FLOOD_RATE) FLOOD_ACK_DELAY_MS=$(FLOOD_ACK_DELAY_MS) \
		$(CARGO) test --release -p devbind --test flood -- --ignored --nocapture full_flood_figures

clean:
	rm -rf $(BUILD) dist

# ---- The package and the SDK swap ---------------------------------------------------------
#
#   make dist [TARGET=<triple>]   the package in dist/ (host) or dist/<triple>/: lib/libiot_dev_bind.a
#                                 (one relocatable object: the C module's exports and our dev_bind_*
#                                 API, nothing of compiler_builtins; scripts/dist.sh), the header,
#                                 lib/pkgconfig/iot_dev_bind.pc and lib/cmake/iot_dev_bind/
#   make install-lib PREFIX=<dir> [TARGET=<triple>]   that package under PREFIX (/usr/local);
#                                 make install does it too, and adds devbind for the host
#   make sdk-swap SDK_LIB=<libiot_sdk.a> [TARGET=<triple>]   replace the C bind module's objects
#                                 inside the SDK's archive with the package's (scripts/sdk-swap.sh;
#                                 the original is kept as <libiot_sdk.a>.orig)
#   make sdk-unswap SDK_LIB=<libiot_sdk.a>   put <libiot_sdk.a>.orig back
#   make test-dist                the package's archive checks (x86_64 and thumbv7em), a CMake and a
#                                 pkg-config consumer of an installed package, and the SDK swap
#
# A TARGET is built with Debian's rustc and its core sources (rustup's toolchain has no rust-src).
# Binutils: the host's, arm-none-eabi-* for thumb*/arm* targets, riscv64-unknown-elf-* for
# riscv32* (override with AR=, NM=, OBJCOPY=, LD=).

CROSS_CARGO ?= RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo
DIST_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

ifneq ($(filter thumb% arm%,$(TARGET)),)
DIST_TOOLS := arm-none-eabi-
else ifneq ($(filter riscv32%,$(TARGET)),)
DIST_TOOLS := riscv64-unknown-elf-
DIST_LD_FLAGS := -m elf32lriscv
# The cc crate's compiler for src/ffi/sdk_log.c: Debian's riscv64 toolchain in 32-bit mode,
# e.g. CC_riscv32imc_unknown_none_elf=riscv64-unknown-elf-gcc, -march=rv32imc -mabi=ilp32.
DIST_CC_VAR := $(subst -,_,$(TARGET))
export CC_$(DIST_CC_VAR) ?= riscv64-unknown-elf-gcc
export CFLAGS_$(DIST_CC_VAR) ?= -march=rv32$(patsubst riscv32%,%,$(firstword $(subst -, ,$(TARGET)))) -mabi=ilp32
endif
# A tool given on the command line or in the environment wins over the target's default.
dist_tool = $(if $(filter default undefined,$(origin $(1))),$(DIST_TOOLS)$(2),$($(1)))
DIST_ENV := AR="$(call dist_tool,AR,ar)" NM="$(call dist_tool,NM,nm)" \
	OBJCOPY="$(call dist_tool,OBJCOPY,objcopy)" LD="$(call dist_tool,LD,ld) $(DIST_LD_FLAGS)" \
	READELF="$(call dist_tool,READELF,readelf)"

# FEATURES: cargo features of the package (e.g. FEATURES=wifi-provision for a Wi-Fi product
# built with the SDK's WIFI_PROVISION_ENABLED).
FEATURES ?=
DIST_FEATURES := $(if $(FEATURES),--features $(FEATURES))
ifeq ($(TARGET),)
DIST := dist
DIST_RAW := $(LIB)
DIST_CARGO := $(CARGO) build --release --lib $(DIST_FEATURES)
else
DIST := dist/$(TARGET)
DIST_RAW := $(TARGET_DIR)/$(TARGET)/release/libiot_dev_bind.a
DIST_CARGO := $(CROSS_CARGO) build --release --lib --target $(TARGET) -Zbuild-std=core $(DIST_FEATURES)
endif

.PHONY: dist install install-lib install-tools sdk-swap sdk-unswap

dist:
	$(DIST_CARGO)
	$(DIST_ENV) scripts/dist.sh $(DIST_RAW) $(DIST) $(DIST_VERSION)

# The host's tools go with a host package only: a cross package's prefix is the firmware's.
install: install-lib $(if $(TARGET),,install-tools)

install-lib: dist
	mkdir -p "$(DESTDIR)$(abspath $(PREFIX))"
	cp -R $(DIST)/include $(DIST)/lib "$(DESTDIR)$(abspath $(PREFIX))/"
	sed 's|^prefix=.*|prefix=$(abspath $(PREFIX))|' $(DIST)/lib/pkgconfig/iot_dev_bind.pc \
		> "$(DESTDIR)$(abspath $(PREFIX))/lib/pkgconfig/iot_dev_bind.pc"

sdk-swap:
	@test -n "$(SDK_LIB)" || { echo "make sdk-swap: set SDK_LIB=<path to the SDK's libiot_sdk.a>" >&2; exit 2; }
	$(MAKE) dist
	$(DIST_ENV) scripts/sdk-swap.sh swap "$(SDK_LIB)" $(DIST)/lib/libiot_dev_bind.a

sdk-unswap:
	$(DIST_ENV) scripts/sdk-swap.sh unswap "$(SDK_LIB)"

test-dist:
	$(MAKE) dist TARGET=thumbv7em-none-eabi
	rm -rf $(BUILD)/test-dist
	$(MAKE) install-lib PREFIX=$(abspath $(BUILD))/test-dist/prefix
	tests/dist/run.sh dist dist/thumbv7em-none-eabi $(BUILD)/test-dist/prefix $(BUILD)/test-dist
