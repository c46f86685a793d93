#!/bin/sh
# Swaps the C bind module inside the SDK's own archive for ours, so that the SDK's link line
# (`-liot_sdk -liot_hal`, no --start-group) links this library unchanged.
#
#   scripts/sdk-swap.sh swap SDK_LIB OUR_LIB    (make sdk-swap SDK_LIB=...)
#   scripts/sdk-swap.sh unswap SDK_LIB          (make sdk-unswap SDK_LIB=...)
#
# The SDK 3.x make build folds the bind module's objects into libiot_sdk.a (there is no
# libiot_dev_bind.a to replace). `swap` finds them by what they define, not by file name (SDK
# versions name and split them differently): every member that defines a name of the C
# module's exports (tests/abi/exports.txt). It copies SDK_LIB to SDK_LIB.orig (replacing an
# older backup only when the archive was rebuilt since), removes those members, appends the one
# object of OUR_LIB (the dist archive, `make dist`), re-indexes, and prints what it removed and
# added. It refuses, leaving SDK_LIB untouched, when SDK_LIB is not an archive, holds no bind
# module, already holds ours, or is built for another machine than OUR_LIB.
# `unswap` puts SDK_LIB.orig back (only over an archive that holds ours).
#
# Tools from the environment: AR, NM, READELF (host binutils by default; e.g.
# AR=arm-none-eabi-ar NM=arm-none-eabi-nm for a Cortex-M SDK).
set -eu

AR=${AR:-ar} NM=${NM:-nm} READELF=${READELF:-readelf}
repo=$(cd "$(dirname "$0")/.." && pwd)
exports=$repo/tests/abi/exports.txt
me=sdk-swap

die() {
    echo "$me: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 swap SDK_LIB OUR_LIB | unswap SDK_LIB" >&2
    exit 2
}

# An `ar` archive starts with the 8 bytes "!<arch>\n".
is_archive() {
    [ -f "$1" ] && [ "$(head -c 8 "$1" | tr '\n' '@')" = '!<arch>@' ]
}

# "member#k name" for each global definition of archive $1, members in archive order; k counts
# the members of that name so far (an archive may hold two objects of the same name, from two
# directories). nm names each member on a line of its own ("name.o:") before its symbols.
definitions() {
    "$NM" -g --defined-only "$1" 2>/dev/null | awk '
        /^$/ { next }
        /:$/ && NF == 1 { m = substr($0, 1, length($0) - 1); member = m "#" (++k[m]); next }
        NF >= 2 { print member, $NF }'
}

# The members ("name#k") of archive $1 that define one of the names in file $2 (one a line,
# archive order, each once).
members_defining() {
    definitions "$1" | awk 'NR == FNR { want[$1] = 1; next } ($2 in want) && !seen[$1]++ { print $1 }' "$2" -
}

# Names our library adds to the C module's: its own API, which no SDK module defines.
our_api() {
    grep -oE '\bdev_bind_[a-z_]+\(' "$repo/include/iot_dev_bind.h" | tr -d '(' | sort -u
}

# The ELF machine (readelf's "Machine:" text) of member $2 of archive $1.
member_machine() {
    "$READELF" -h "$1" 2>/dev/null | awk -v f="$1($2)" '
        /^File: / { cur = substr($0, 7) }
        /^ *Machine:/ && cur == f { sub(/^ *Machine: */, ""); print; exit }'
}

# $1 as an absolute path (its directory must exist).
absolute() {
    echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}

swap() {
    lib=$1 ours=$2
    [ -e "$lib" ] || die "$lib: no such file"
    lib=$(absolute "$lib") ours=$(absolute "$ours")
    is_archive "$lib" || die "$lib: not an ar archive (expected the SDK's libiot_sdk.a); left untouched"
    is_archive "$ours" || die "$ours: not an ar archive (run make dist first)"
    [ -w "$lib" ] || die "$lib: not writable; left untouched"

    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT INT TERM
    grep . "$exports" > "$work/exports.txt"
    our_api > "$work/api.txt"

    [ "$("$AR" t "$ours" | wc -l)" -eq 1 ] || die "$ours: expected the one object of the dist archive"
    obj=$("$AR" t "$ours")
    (cd "$work" && "$AR" x "$ours" "$obj")

    if ! "$AR" t "$lib" > "$work/members.txt" 2> "$work/ar.err"; then
        die "$lib: $AR cannot read it: $(cat "$work/ar.err"); left untouched"
    fi
    mine=$(members_defining "$lib" "$work/api.txt")
    [ -z "$mine" ] || die "$lib already holds this library (member ${mine%%#*} defines dev_bind_*); left untouched (undo with: make sdk-unswap SDK_LIB=$lib)"
    bind=$(members_defining "$lib" "$work/exports.txt")
    [ -n "$bind" ] || die "$lib holds no bind module (no member defines a name of tests/abi/exports.txt, e.g. awss_report_cloud); left untouched"

    # Same machine: a host package cannot go into a Cortex-M SDK.
    first=$(printf '%s\n' "$bind" | head -n 1)
    m_sdk=$(member_machine "$lib" "${first%#*}")
    m_ours=$("$READELF" -h "$work/$obj" | sed -n 's/^ *Machine: *//p')
    [ "$m_sdk" = "$m_ours" ] || die "$lib is built for '$m_sdk', $ours for '$m_ours' (make dist TARGET=<triple> and the target's AR/NM); left untouched"

    # Work on a copy in the same directory, then rename: SDK_LIB is either the original or the
    # swapped archive, never half of it.
    tmp=$lib.swap.$$
    cp -p "$lib" "$tmp"
    trap 'rm -rf "$work" "$tmp"' EXIT INT TERM
    # Delete each bind member by its position among the members of its name (GNU ar's N
    # modifier) when the name occurs more than once, last first so the earlier positions stay
    # valid; by name otherwise.
    printf '%s\n' "$bind" | awk -F'#' '{ print $2, $1 }' | sort -k2,2 -k1,1nr > "$work/positions.txt"
    while read -r pos name; do
        if [ "$(grep -cxF "$name" "$work/members.txt")" -gt 1 ]; then
            "$AR" dN "$pos" "$tmp" "$name"
        else
            "$AR" d "$tmp" "$name"
        fi
    done < "$work/positions.txt"
    # Check by symbol that no bind member is left and that every other member is still there.
    left=$(members_defining "$tmp" "$work/exports.txt")
    [ -z "$left" ] || die "could not remove every bind member (left: $(echo "$left" | tr '\n' ' ')); $lib left untouched"
    removed=$(wc -l < "$work/positions.txt")
    [ $(( $(wc -l < "$work/members.txt") - $("$AR" t "$tmp" | wc -l) )) -eq "$removed" ] \
        || die "removing the bind members removed other members too; $lib left untouched"
    # Append (q), never replace (r): an SDK member of the same name stays.
    (cd "$work" && "$AR" q "$tmp" "$obj")
    "$AR" s "$tmp"

    if [ -e "$lib.orig" ] && cmp -s "$lib" "$lib.orig"; then
        echo "$me: backup $lib.orig kept (same as $lib)"
    elif [ -e "$lib.orig" ]; then
        cp -p "$lib" "$lib.orig"
        echo "$me: backup $lib.orig replaced: $lib was rebuilt since the last swap"
    else
        cp -p "$lib" "$lib.orig"
        echo "$me: backup $lib.orig"
    fi
    mv "$tmp" "$lib"
    trap 'rm -rf "$work"' EXIT INT TERM

    echo "$me: removed from $lib ($removed members of the C bind module):"
    for member in $bind; do
        defs=$(definitions "$lib.orig" | awk -v m="$member" '$1 == m { print $2 }' |
            grep -xF -f "$work/exports.txt" | sort -u | tr '\n' ' ')
        echo "  - ${member%#*}: $defs"
    done
    echo "$me: added to $lib:"
    echo "  + $obj: $(definitions "$lib" | awk -v m="$obj#1" '$1 == m' | wc -l) global definitions ($(wc -c < "$work/$obj") bytes, from $ours)"
    echo "$me: undo with: make sdk-unswap SDK_LIB=$lib (restores $lib.orig)"
}

unswap() {
    lib=$1
    [ -e "$lib" ] || die "$lib: no such file"
    lib=$(absolute "$lib")
    [ -e "$lib.orig" ] || die "$lib.orig: no backup to restore"
    is_archive "$lib" || die "$lib: not an ar archive; left untouched"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT INT TERM
    our_api > "$work/api.txt"
    mine=$(members_defining "$lib" "$work/api.txt")
    [ -n "$mine" ] || die "$lib does not hold this library (rebuilt since the swap?): nothing to undo; $lib and $lib.orig left untouched"
    mv "$lib.orig" "$lib"
    echo "$me: restored $lib from $lib.orig"
}

[ $# -ge 1 ] || usage
case $1 in
swap)
    [ $# -eq 3 ] || usage
    [ -n "$2" ] || die "set SDK_LIB=<path to the SDK's libiot_sdk.a>"
    swap "$2" "$3"
    ;;
unswap)
    [ $# -eq 2 ] || usage
    [ -n "$2" ] || die "set SDK_LIB=<path to the SDK's libiot_sdk.a>"
    unswap "$2"
    ;;
*) usage ;;
esac
