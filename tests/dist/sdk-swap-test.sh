#!/bin/sh
# Tests scripts/sdk-swap.sh on a stand-in SDK made of our own C stubs (tests/dist/sdk/; no SDK
# code): libiot_sdk.a holds three bind-shaped members (bind_stand_in.c: some of the C module's
# exports), the module that calls awss_report_cloud and awss_bind_deinit, the MQTT client, the
# CoAP server and event functions, and an unrelated os_misc.o beside the bind one of the same
# name; libiot_hal.a the HAL. The firmware links in the SDK's order, `-liot_sdk -liot_hal`,
# without --start-group.
#   - our archive beside an SDK archive without the bind module fails in that order
#     (undefined CoAPServer_init) and links with --start-group;
#   - before the swap the program runs the stand-in; after it, the library (RUN=1: runs it;
#     else links it and checks with nm which module it holds);
#   - the swap removed exactly the three bind members and kept the other os_misc.o;
#   - refusals leave the file byte-identical: not an archive, no bind module, already
#     swapped, a package built for another machine (OTHER_DIST, if given);
#   - sdk-unswap gives back the original, byte for byte.
#
#   tests/dist/sdk-swap-test.sh DIST_ARCHIVE WORK_DIR
# Environment: CC (with the target's flags), LDFLAGS (link flags), AR, NM, READELF, RUN,
# OTHER_DIST (a dist archive of another machine).
set -eu

ours=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$2
CC=${CC:-gcc} AR=${AR:-ar} NM=${NM:-nm} READELF=${READELF:-readelf} RUN=${RUN:-1}
LDFLAGS=${LDFLAGS:-}
export AR NM READELF
repo=$(cd "$(dirname "$0")/../.." && pwd)
src=$repo/tests/dist/sdk
swap=$repo/scripts/sdk-swap.sh
cflags="-Os -ffunction-sections -fdata-sections -Wall -Wextra -Werror"

rm -rf "$work"
mkdir -p "$work/bind" "$work/other"
cd "$work"

fail() {
    echo "sdk-swap-test: FAIL: $*" >&2
    exit 1
}

# ---- the stand-in SDK -----------------------------------------------------------------------
$CC $cflags -DPART=1 -c "$src/bind_stand_in.c" -o bind/awss_bind.o
$CC $cflags -DPART=2 -c "$src/bind_stand_in.c" -o bind/awss_reset.o
$CC $cflags -DPART=3 -c "$src/bind_stand_in.c" -o bind/os_misc.o
$CC $cflags -DPART=1 -c "$src/sdk_modules.c" -o other/linkkit.o
$CC $cflags -DPART=2 -c "$src/sdk_modules.c" -o other/mqtt.o
$CC $cflags -DPART=3 -c "$src/sdk_modules.c" -o other/os_misc.o
$CC $cflags -DPART=4 -c "$src/sdk_modules.c" -o other/coap.o
$CC $cflags -c "$src/hal.c" -o hal.o
$CC $cflags -c "$src/main.c" -o main.o
$CC $cflags -DEXPECT_LIBRARY -c "$src/main.c" -o main_lib.o
# The SDK's order of objects, bind ones among the others; two members named os_misc.o.
"$AR" qc libiot_sdk.a other/linkkit.o bind/awss_bind.o other/os_misc.o other/mqtt.o \
    bind/awss_reset.o other/coap.o bind/os_misc.o
"$AR" s libiot_sdk.a
"$AR" rcs libiot_hal.a hal.o
cp libiot_sdk.a sdk.pristine

link() { # output main-object
    # shellcheck disable=SC2086
    $CC $LDFLAGS -Wl,--gc-sections -o "$1" "$2" -L. -liot_sdk -liot_hal
}

link before main.o
if [ "$RUN" = 1 ]; then
    ./before || fail "the program did not run the C stand-in before the swap"
fi
"$NM" before | grep -q ' dev_bind_sdk_log_level$' && fail "the library is in the program before the swap"

# ---- without the swap: a separate archive needs --start-group ------------------------------
"$AR" rcs nobind.a other/linkkit.o other/mqtt.o other/coap.o other/os_misc.o
# shellcheck disable=SC2086
if $CC $LDFLAGS -o separate main_lib.o nobind.a "$ours" libiot_hal.a 2> separate.err; then
    fail "a separate archive linked in the SDK's order without --start-group"
fi
grep -q "undefined reference to .CoAPServer_init" separate.err ||
    fail "separate archive: expected an undefined CoAPServer_init: $(cat separate.err)"
# shellcheck disable=SC2086
$CC $LDFLAGS -Wl,--gc-sections -o grouped main_lib.o -Wl,--start-group nobind.a "$ours" \
    -Wl,--end-group libiot_hal.a
if [ "$RUN" = 1 ]; then
    ./grouped > /dev/null || fail "the --start-group link did not run the library"
fi
echo "separate archive: undefined CoAPServer_init without --start-group, links with it"

# ---- refusals leave the file untouched -------------------------------------------------------
refuse() { # file expected-message [args...]
    f=$1 msg=$2
    cp "$f" "$f.before"
    if "$swap" swap "$f" "$ours" > out 2> err; then
        fail "swap of $f succeeded: $(cat out)"
    fi
    grep -q "$msg" err || fail "swap of $f: expected '$msg', got: $(cat err)"
    cmp -s "$f" "$f.before" || fail "a refused swap changed $f"
    [ ! -e "$f.orig" ] || [ "${3:-}" = keep-orig ] || fail "a refused swap wrote $f.orig"
    echo "refused as expected: $(cat err)"
}
echo "int main(void) { return 0; }" > notlib.a
refuse notlib.a "not an ar archive"
refuse nobind.a "holds no bind module"
if [ -n "${OTHER_DIST:-}" ]; then
    cp "$ours" ours.keep
    saved=$ours
    ours=$OTHER_DIST
    refuse libiot_sdk.a "is built for"
    ours=$saved
fi

# ---- the swap --------------------------------------------------------------------------------
"$swap" swap libiot_sdk.a "$ours" | tee swap.out
cmp -s libiot_sdk.a.orig sdk.pristine || fail "libiot_sdk.a.orig is not the original archive"
for m in awss_bind.o awss_reset.o os_misc.o; do
    grep -q -- "- $m:" swap.out || fail "the swap did not report removing $m"
done
grep -q -- "+ iot_dev_bind.o:" swap.out || fail "the swap did not report adding iot_dev_bind.o"
"$AR" t libiot_sdk.a > members
[ "$(tr '\n' ' ' < members)" = "linkkit.o os_misc.o mqtt.o coap.o iot_dev_bind.o " ] ||
    fail "members after the swap: $(tr '\n' ' ' < members)"
"$NM" libiot_sdk.a | grep -q ' T os_misc_other_module$' || fail "the other os_misc.o was removed"
"$NM" -s libiot_sdk.a | grep -q '^awss_report_cloud in iot_dev_bind.o$' ||
    fail "the archive index does not name iot_dev_bind.o for awss_report_cloud"

link after main_lib.o
if [ "$RUN" = 1 ]; then
    ./after || fail "the program did not run the library after the swap"
fi
"$NM" after | grep -q ' dev_bind_sdk_log_level$' || fail "the library is not in the program after the swap"
"$NM" after | grep -q ' awss_report_cloud$' || fail "no awss_report_cloud in the program"

cp libiot_sdk.a swapped
refuse libiot_sdk.a "already holds this library" keep-orig
cmp -s libiot_sdk.a.orig sdk.pristine || fail "a refused second swap changed libiot_sdk.a.orig"

# ---- the undo --------------------------------------------------------------------------------
"$swap" unswap libiot_sdk.a
cmp -s libiot_sdk.a sdk.pristine || fail "sdk-unswap did not restore the original byte for byte"
[ ! -e libiot_sdk.a.orig ] || fail "sdk-unswap left libiot_sdk.a.orig"
if "$swap" unswap libiot_sdk.a 2> err; then
    fail "a second unswap succeeded"
fi
grep -q "no backup" err || fail "second unswap: $(cat err)"
cmp -s libiot_sdk.a sdk.pristine || fail "a refused unswap changed libiot_sdk.a"
echo "sdk-swap-test: ok ($("$READELF" -h "$ours" | sed -n 's/^ *Machine: *//p' | head -n 1))"
