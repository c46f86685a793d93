#!/bin/sh
# Writes the installable package from cargo's static library: a clean archive for any C link,
# the header, a pkg-config file and a CMake package (imported target iot_dev_bind::iot_dev_bind).
#
#   scripts/dist.sh RAW_ARCHIVE OUT_DIR VERSION
#
# RAW_ARCHIVE is cargo's libiot_dev_bind.a: the LTO object of the library, our C object
# (src/ffi/sdk_log.c) and every compiler_builtins object. OUT_DIR/lib/libiot_dev_bind.a holds
# one relocatable object instead:
#   - the LTO object and the C object partial-linked (`ld -r`), nothing of compiler_builtins:
#     memcpy, memset, __udivti3, __aeabi_* and the rest come from the firmware's libc and
#     libgcc, as the C module's do, and no weak copy of them can replace the firmware's;
#   - every global definition but the C module's exports (tests/abi/exports.txt) and our
#     dev_bind_* API (include/iot_dev_bind.h) made local;
#   - no LLVM sections (.llvmbc, .llvmcmd bitcode; .llvm_addrsig, which `ld -r` leaves stale).
# tests/dist/check-archive.sh checks all of it with nm and readelf.
#
# Tools: AR, NM, OBJCOPY and LD (the partial link, e.g. `arm-none-eabi-ld`, or
# `riscv64-unknown-elf-ld -m elf32lriscv`), from the environment; host binutils by default.
# CMAKE (cmake) writes the package version file.
set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 RAW_ARCHIVE OUT_DIR VERSION" >&2
    exit 2
fi
raw=$1 out=$2 version=$3
AR=${AR:-ar} NM=${NM:-nm} OBJCOPY=${OBJCOPY:-objcopy} LD=${LD:-ld} CMAKE=${CMAKE:-cmake}
repo=$(cd "$(dirname "$0")/.." && pwd)
header=$repo/include/iot_dev_bind.h

case $raw in /*) ;; *) raw=$(pwd)/$raw ;; esac
[ -f "$raw" ] || { echo "dist: $raw: no such archive (build the library first)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# The two members of ours: the LTO object and the C object (cargo and the cc crate prefix their
# names with a hash). Exactly one of each, else the archive is not what this script expects.
members=$("$AR" t "$raw")
lto=$(printf '%s\n' "$members" | grep -E '^iot_dev_bind-[0-9a-f]+\.iot_dev_bind\..*\.rcgu\.o$' || true)
shim=$(printf '%s\n' "$members" | grep -E '^[0-9a-f]+-sdk_log\.o$' || true)
for m in lto shim; do
    eval "v=\$$m"
    n=$(printf '%s' "$v" | grep -c . || true)
    if [ "$n" -ne 1 ]; then
        echo "dist: $raw: expected one $m member, found $n: ${v:-none}" >&2
        exit 1
    fi
done
(cd "$work" && "$AR" x "$raw" "$lto" "$shim")

# Global names the archive keeps: the C module's exports (those of a wifi-provision build,
# a superset: a name the archive does not define is no matter) and the declarations of our
# header.
{
    grep . "$repo/tests/abi/exports-wifi-provision.txt"
    grep -oE '\bdev_bind_[a-z_]+\(' "$header" | tr -d '('
} | sort -u > "$work/keep.txt"

# shellcheck disable=SC2086 # LD may carry options (-m elf32lriscv)
$LD -r -o "$work/iot_dev_bind.o" "$work/$lto" "$work/$shim"
"$OBJCOPY" --keep-global-symbols="$work/keep.txt" --localize-hidden \
    --remove-section=.llvmbc --remove-section=.llvmcmd --remove-section=.llvm_addrsig \
    "$work/iot_dev_bind.o"

# Only what this script writes: dist/ also holds the cross targets' dist/<triple>/.
rm -rf "$out/lib" "$out/include"
mkdir -p "$out/lib/pkgconfig" "$out/lib/cmake/iot_dev_bind" "$out/include"
"$AR" rcs "$out/lib/libiot_dev_bind.a" "$work/iot_dev_bind.o"
cp "$header" "$out/include/iot_dev_bind.h"

# pkg-config: relocatable (${pcfiledir}); `make install` writes the installed prefix instead.
cat > "$out/lib/pkgconfig/iot_dev_bind.pc" <<PC
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: iot_dev_bind
Description: Drop-in Rust replacement for the dev_bind module of Alibaba's IoT device SDK
Version: $version
Libs: -L\${libdir} -liot_dev_bind
Cflags: -I\${includedir}
PC

# CMake: find_package(iot_dev_bind) defines iot_dev_bind::iot_dev_bind, relative to the
# package's own directory, so the tree works wherever it is copied.
cat > "$out/lib/cmake/iot_dev_bind/iot_dev_bindConfig.cmake" <<'CM'
# iot_dev_bind: the imported target iot_dev_bind::iot_dev_bind, the static library
# libiot_dev_bind.a and its header iot_dev_bind.h. The firmware (or the SDK) provides the HAL,
# MQTT, CoAP-server and event functions the library calls.
get_filename_component(_iot_dev_bind_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET iot_dev_bind::iot_dev_bind)
  add_library(iot_dev_bind::iot_dev_bind STATIC IMPORTED)
  set_target_properties(iot_dev_bind::iot_dev_bind PROPERTIES
    IMPORTED_LOCATION "${_iot_dev_bind_prefix}/lib/libiot_dev_bind.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "${_iot_dev_bind_prefix}/include")
endif()
set(iot_dev_bind_INCLUDE_DIR "${_iot_dev_bind_prefix}/include")
set(iot_dev_bind_LIBRARY "${_iot_dev_bind_prefix}/lib/libiot_dev_bind.a")
unset(_iot_dev_bind_prefix)
CM
# The version file by CMake's own helper: the same minor version is compatible (0.x), and the
# package is usable from any pointer size (a Cortex-M package is made on a 64-bit host).
cat > "$work/version.cmake" <<CM
include(CMakePackageConfigHelpers)
write_basic_package_version_file("$out/lib/cmake/iot_dev_bind/iot_dev_bindConfigVersion.cmake"
  VERSION "$version" COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
CM
"$CMAKE" -P "$work/version.cmake"

echo "dist: $out ($(wc -c < "$out/lib/libiot_dev_bind.a") bytes, $("$AR" t "$out/lib/libiot_dev_bind.a" | wc -l) member; raw $(wc -c < "$raw") bytes, $(printf '%s\n' "$members" | wc -l) members)"
