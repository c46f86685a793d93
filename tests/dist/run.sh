#!/bin/sh
# The package's tests (make test-dist), after `make dist` and `make dist TARGET=thumbv7em-none-eabi`
# and `make install PREFIX=<prefix>`:
#   1. both dist archives are clean for any C link (check-archive.sh, nm and readelf);
#   2. a CMake project finds the installed package (find_package(iot_dev_bind)), links the C
#      tests' flow runner and the SDK log-level tests with it and runs every case;
#   3. pkg-config: the installed iot_dev_bind.pc names the install prefix, and a program built
#      with its flags links and runs; the dist tree's own .pc is relocatable;
#   4. scripts/sdk-swap.sh on a stand-in SDK (sdk-swap-test.sh), with the host's binutils and
#      run, and with arm-none-eabi's for the thumbv7em archive (linked, not run); then once
#      through make sdk-swap and make sdk-unswap.
#
#   tests/dist/run.sh HOST_DIST THUMB_DIST PREFIX WORK_DIR
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
abs() { echo "$(cd "$1" && pwd)"; }
host=$(abs "$1") thumb=$(abs "$2") prefix=$(abs "$3")
mkdir -p "$4"
work=$(abs "$4")
here=$repo/tests/dist
arm="arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb"

echo "== dist archives"
"$here/check-archive.sh" "$host/lib/libiot_dev_bind.a"
NM=arm-none-eabi-nm READELF=arm-none-eabi-readelf CC=$arm \
    "$here/check-archive.sh" "$thumb/lib/libiot_dev_bind.a"
# A Cortex-M firmware links it with newlib and libgcc, which provide every helper it needs.
cat > "$work/fw.c" <<'C'
int awss_report_cloud(void);
int main(void) { return awss_report_cloud(); }
C
{
    for i in $(cat "$repo/tests/abi/imports.txt") HAL_Reboot; do echo "void $i(void) {}"; done
} > "$work/fw_stubs.c"
$arm -Os --specs=nosys.specs -Wl,--gc-sections -Wl,-z,noexecstack -o "$work/fw.elf" "$work/fw.c" "$work/fw_stubs.c" \
    "$thumb/lib/libiot_dev_bind.a"
arm-none-eabi-nm "$work/fw.elf" | grep -q ' T awss_report_cloud$'
echo "thumbv7em firmware link: ok ($(arm-none-eabi-size "$work/fw.elf" | tail -n 1 | awk '{print $1}') bytes of text)"

echo "== CMake: find_package(iot_dev_bind) in $prefix"
rm -rf "$work/consumer"
cmake -S "$here/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" > "$work/consumer.log"
grep "iot_dev_bind " "$work/consumer.log"
grep -q "$prefix/lib/libiot_dev_bind.a" "$work/consumer.log"
cmake --build "$work/consumer" -j 2 > /dev/null
cases=$("$work/consumer/test_bind" --list)
n=0
for c in $cases; do
    "$work/consumer/test_bind" "$c" > /dev/null
    n=$((n + 1))
done
[ "$n" -gt 10 ]
echo "test_bind against the installed package: $n cases passed"
"$work/consumer/test_sdk_log"
"$work/consumer/test_no_sdk_log"

echo "== pkg-config"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --variable=prefix iot_dev_bind)" = "$prefix" ]
[ "$(pkg-config --modversion iot_dev_bind)" = "$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)" ]
libs=$(pkg-config --libs iot_dev_bind) cflags=$(pkg-config --cflags iot_dev_bind)
echo "installed: $cflags $libs"
# shellcheck disable=SC2086
gcc -Wall -Wextra -Werror $cflags -I"$repo/tests/c" -I"$repo/c_examples/mock" -o "$work/pc_sdk_log" \
    -DSDK_LOG "$repo/tests/c/test_sdk_log.c" "$repo/tests/c/helpers.c" \
    "$repo/c_examples/mock/mock_sdk.c" $libs -lpthread
"$work/pc_sdk_log"
# The dist tree's own .pc is relative to itself (${pcfiledir}).
libdir=$(PKG_CONFIG_PATH="$host/lib/pkgconfig" pkg-config --variable=libdir iot_dev_bind)
[ "$(cd "$libdir" && pwd)" = "$host/lib" ]
echo "dist tree (relocatable): $(PKG_CONFIG_PATH="$host/lib/pkgconfig" pkg-config --cflags --libs iot_dev_bind)"

echo "== sdk-swap, host binutils"
OTHER_DIST="$thumb/lib/libiot_dev_bind.a" "$here/sdk-swap-test.sh" "$host/lib/libiot_dev_bind.a" "$work/swap-host"
echo "== sdk-swap, arm-none-eabi binutils"
CC=$arm LDFLAGS="--specs=nosys.specs -Wl,-z,noexecstack" RUN=0 AR=arm-none-eabi-ar NM=arm-none-eabi-nm \
    READELF=arm-none-eabi-readelf OTHER_DIST="$host/lib/libiot_dev_bind.a" \
    "$here/sdk-swap-test.sh" "$thumb/lib/libiot_dev_bind.a" "$work/swap-thumb"
echo "== make sdk-swap, make sdk-unswap"
cp "$work/swap-host/sdk.pristine" "$work/libiot_sdk.a"
${MAKE:-make} -s -C "$repo" sdk-swap SDK_LIB="$work/libiot_sdk.a" > "$work/make-swap.out"
"${AR:-ar}" t "$work/libiot_sdk.a" | grep -qx iot_dev_bind.o
${MAKE:-make} -s -C "$repo" sdk-unswap SDK_LIB="$work/libiot_sdk.a"
cmp "$work/libiot_sdk.a" "$work/swap-host/sdk.pristine"
echo "== test-dist: ok"
