#!/bin/sh
# Checks that a dist archive (scripts/dist.sh) is clean for any C link, with nm and readelf:
#   1. one member, no LLVM section (.llvmbc, .llvmcmd bitcode, .llvm_addrsig), no request for
#      an executable stack;
#   2. its global definitions are exactly the C module's exports (tests/abi/exports.txt) plus
#      our dev_bind_* API (include/iot_dev_bind.h); the C object's helper is local;
#   3. it defines no name of the target's libc, libm or libgcc (memcpy, memset, __udivti3,
#      __aeabi_*, ...), global or local: nothing of compiler_builtins is in it;
#   4. its undefined symbols are only the SDK imports (tests/abi/imports.txt, plus HAL_Reboot
#      for the panic handler), the weak LITE_get_loglevel (the SDK's log level), and names the
#      target's libc (mem*/str*/bcmp) or libgcc (__*) defines, each one checked in those
#      libraries, so none is missing from the firmware's link.
#
#   tests/dist/check-archive.sh ARCHIVE
# Environment: NM, READELF (host binutils by default), CC (the target's gcc with its flags,
# e.g. "arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb"; finds libc.a, libm.a and libgcc.a),
# RUNTIME_LIBS (more libraries to look in, e.g. picolibc's libc.a, which a specs file adds).
set -eu

lib=$1
NM=${NM:-nm} READELF=${READELF:-readelf} CC=${CC:-gcc}
repo=$(cd "$(dirname "$0")/../.." && pwd)
fails=0
[ -f "$lib" ] || { echo "check-archive: $lib: no such file" >&2; exit 1; }
fail() {
    echo "check-archive: $lib: $*" >&2
    fails=$((fails + 1))
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# 1. one member, no LLVM sections
[ "$(ar t "$lib" | wc -l)" -eq 1 ] || fail "$(ar t "$lib" | wc -l) members, expected 1"
"$READELF" -SW "$lib" > "$work/sections"
grep -q '\] \.text' "$work/sections" || fail "readelf lists no .text section: the check would be vacuous"
llvm=$(grep -oE '\] \.llvm[a-z_.]*' "$work/sections" | sort -u | tr -d ']' | tr '\n' ' ' || true)
[ -z "$llvm" ] || fail "LLVM sections: $llvm"
# and no executable-stack request (ld warns about it in every firmware link)
if grep '\.note\.GNU-stack' "$work/sections" | grep -q ' X '; then
    fail "its .note.GNU-stack asks for an executable stack"
fi

# 2. global definitions
{
    grep . "$repo/tests/abi/exports.txt"
    grep -oE '\bdev_bind_[a-z_]+\(' "$repo/include/iot_dev_bind.h" | tr -d '('
} | sort -u > "$work/expected"
"$NM" -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u > "$work/defined"
comm -23 "$work/defined" "$work/expected" > "$work/extra"
comm -13 "$work/defined" "$work/expected" > "$work/missing"
[ ! -s "$work/extra" ] || fail "global definitions beyond the exports and the dev_bind_* API: $(tr '\n' ' ' < "$work/extra")"
[ ! -s "$work/missing" ] || fail "exports or API not defined: $(tr '\n' ' ' < "$work/missing")"
"$NM" "$lib" | grep -q ' [tT] dev_bind_sdk_log_level$' || fail "the C object (dev_bind_sdk_log_level) is not in the archive"
"$NM" -g "$lib" | grep -q ' dev_bind_sdk_log_level$' && fail "dev_bind_sdk_log_level is global"

# 3. nothing of libc, libm, libgcc
runtime=${RUNTIME_LIBS:-}
for l in libc.a libm.a; do
    p=$($CC -print-file-name=$l)
    [ -f "$p" ] && runtime="$runtime $p"
done
gcclib=$($CC -print-libgcc-file-name)
[ -f "$gcclib" ] || fail "no libgcc for CC=$CC"
runtime="$runtime $gcclib"
"$NM" -g --defined-only $runtime 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u > "$work/runtime"
[ "$(wc -l < "$work/runtime")" -gt 100 ] || fail "read only $(wc -l < "$work/runtime") names from$runtime"
"$NM" --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u > "$work/all_defined"
clash=$(comm -12 "$work/all_defined" "$work/runtime" | tr '\n' ' ')
[ -z "$clash" ] || fail "defines names of the target's libc/libm/libgcc: $clash"
for n in memcpy memset memmove memcmp bcmp __udivti3 __aeabi_memset __aeabi_uldivmod; do
    grep -qx "$n" "$work/all_defined" && fail "defines $n"
done

# 4. undefined symbols
{
    grep . "$repo/tests/abi/imports.txt"
    echo HAL_Reboot
} | sort -u > "$work/imports"
"$NM" -u "$lib" | awk 'NF == 2 { print $1, $2 }' | sort -u -k2 > "$work/undefined"
awk '{ print $2 }' "$work/undefined" > "$work/undefined_names"
# weak: a firmware without the SDK's log links too
grep -q '^w LITE_get_loglevel$' "$work/undefined" || fail "no weak reference to LITE_get_loglevel"
# _GLOBAL_OFFSET_TABLE_ is the linker's own (the C object is position-independent on x86_64).
from_runtime=""
while read -r t n; do
    if grep -qx "$n" "$work/imports" || [ "$n" = LITE_get_loglevel ] || [ "$n" = _GLOBAL_OFFSET_TABLE_ ]; then
        continue
    fi
    case $n in
    mem* | str* | bcmp | __*) ;;
    *) fail "undefined $n is neither an SDK import nor a libc mem/str function nor a libgcc helper"; continue ;;
    esac
    grep -qx "$n" "$work/runtime" || fail "undefined $n is defined by none of$runtime"
    from_runtime="$from_runtime $n"
done < "$work/undefined"
sdk=$(grep -cxFf "$work/imports" "$work/undefined_names" || true)

[ "$fails" -eq 0 ] || exit 1
echo "check-archive: $lib: ok: 1 member, $(wc -c < "$lib") bytes, $(wc -l < "$work/defined") global definitions (exports + dev_bind_*), $sdk SDK imports + weak LITE_get_loglevel, from libc/libgcc:$from_runtime"
