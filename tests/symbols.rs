//! The release archive against the ABI lists: every symbol of `exports.txt` is defined, every
//! undefined symbol is an import of `imports.txt` or a libc / compiler helper, and a program
//! that uses every export except the legacy allocators links without `HAL_Malloc`/`HAL_Free`.
//!
//! Builds `cargo build --release --lib` into the same target directory the tests run under
//! (`CARGO_TARGET_DIR`, else `target/`). Needs `nm` and `gcc`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// libc and compiler-runtime symbols the archive may need besides the SDK's.
const LIBC: &[&str] = &[
    "memcpy",
    "memset",
    "memmove",
    "memcmp",
    "bcmp",
    "strlen",
    "__stack_chk_fail",
    "__stack_chk_guard",
    "__aeabi_memcpy",
    "__aeabi_memset",
    "__aeabi_memclr",
    "__aeabi_uldivmod",
    "__aeabi_uidiv",
    "__aeabi_uidivmod",
    "_GLOBAL_OFFSET_TABLE_",
];

/// SPEC section 4 HAL functions the C module's `imports.txt` lacks: the panic handler calls
/// `HAL_Reboot` (every HAL provides it; the SDK's provisioning build imports it too).
const EXTRA_IMPORTS: &[&str] = &["HAL_Reboot"];

/// Weak references to the SDK (src/ffi/sdk_log.c): resolved when the firmware links the SDK's
/// log, NULL otherwise; no stub is needed.
const WEAK_IMPORTS: &[&str] = &["LITE_get_loglevel"];

/// The ABI lists: `../shared/abi/` beside the repository, else the copies in `tests/abi/`.
fn abi_list(name: &str) -> BTreeSet<String> {
    let shared = Path::new(MANIFEST).join("../shared/abi").join(name);
    let local = Path::new(MANIFEST).join("tests/abi").join(name);
    let path = if shared.exists() { shared } else { local };
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                Path::new(MANIFEST).join(p)
            }
        })
        .unwrap_or_else(|| Path::new(MANIFEST).join("target"))
}

fn release_archive() -> PathBuf {
    build_archive(&target_dir(), &[])
}

/// The release archive of a `wifi-provision` build, in a target directory of its own
/// (`<target>/wifi-provision`, where the Makefile's C tests take it from too), so that it
/// never replaces the default build's archive under a test that runs beside.
fn wifi_provision_archive() -> PathBuf {
    build_archive(
        &target_dir().join("wifi-provision"),
        &["--features", "wifi-provision"],
    )
}

fn build_archive(dir: &Path, args: &[&str]) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--lib", "--quiet"])
        .args(args)
        .current_dir(MANIFEST)
        .env("CARGO_TARGET_DIR", dir)
        .status()
        .expect("run cargo build --release");
    assert!(status.success(), "cargo build --release {args:?} failed");
    let lib = dir.join("release/libiot_dev_bind.a");
    assert!(lib.exists(), "{} missing", lib.display());
    lib
}

/// The archive's symbol tables as (defined, global, type, name), read with `readelf -sW`
/// (binutils `nm` may hand the objects' embedded LLVM bitcode to an incompatible plugin and
/// then report no symbols at all).
fn symbols(lib: &Path) -> Vec<(bool, bool, String, String, String)> {
    let out = Command::new("readelf")
        .arg("-sW")
        .arg(lib)
        .output()
        .expect("run readelf");
    assert!(out.status.success(), "readelf failed");
    let mut member = String::new();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            if let Some(m) = l.strip_prefix("File: ") {
                member = m.to_string();
                return None;
            }
            let f: Vec<&str> = l.split_whitespace().collect();
            // Num: Value Size Type Bind Vis Ndx Name
            if f.len() < 8 || !f[0].ends_with(':') {
                return None;
            }
            let defined = f[6] != "UND";
            let global = matches!(f[4], "GLOBAL" | "WEAK");
            Some((
                defined,
                global,
                f[3].to_string(),
                f[7].to_string(),
                member.clone(),
            ))
        })
        .collect()
}

#[test]
fn archive_matches_the_abi_lists() {
    check_abi_lists(&release_archive(), "exports.txt", "imports.txt");
}

/// The `wifi-provision` build against its own lists: every name of
/// `exports-wifi-provision.txt` defined, nothing needed outside `imports-wifi-provision.txt`
/// and libc.
#[test]
fn wifi_provision_archive_matches_its_abi_lists() {
    let lib = wifi_provision_archive();
    check_abi_lists(
        &lib,
        "exports-wifi-provision.txt",
        "imports-wifi-provision.txt",
    );
    // The eight names the feature adds are the library's own, not the default build's.
    let default: BTreeSet<String> = abi_list("exports.txt");
    let extra: Vec<String> = abi_list("exports-wifi-provision.txt")
        .into_iter()
        .filter(|n| !default.contains(n))
        .collect();
    assert_eq!(extra.len(), 8, "{extra:?}");
}

/// The default build defines none of the feature's extra names.
#[test]
fn default_archive_has_no_wifi_provision_names() {
    let lib = release_archive();
    let defined: BTreeSet<String> = symbols(&lib)
        .into_iter()
        .filter(|(d, g, _, _, _)| *d && *g)
        .map(|s| s.3)
        .collect();
    let default = abi_list("exports.txt");
    let leaked: Vec<String> = abi_list("exports-wifi-provision.txt")
        .into_iter()
        .filter(|n| !default.contains(n) && defined.contains(n))
        .collect();
    assert!(
        leaked.is_empty(),
        "feature names in the default build: {leaked:?}"
    );
}

fn check_abi_lists(lib: &Path, exports_list: &str, imports_list: &str) {
    let lib = lib.to_path_buf();
    let syms = symbols(&lib);
    let defined: BTreeSet<&str> = syms
        .iter()
        .filter(|(d, g, t, _, _)| *d && *g && matches!(t.as_str(), "FUNC" | "OBJECT"))
        .map(|(_, _, _, n, _)| n.as_str())
        .collect();
    let exports = abi_list(exports_list);
    let missing: Vec<&String> = exports
        .iter()
        .filter(|n| !defined.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "exports not defined in the archive: {missing:?}"
    );
    for data in [
        "aes_random",
        "awss_report_token_suc",
        "awss_report_token_cnt",
    ] {
        assert!(
            syms.iter()
                .any(|(d, _, t, n, _)| *d && t == "OBJECT" && n == data),
            "{data} must be a data symbol"
        );
    }

    // The same check the way SPEC 3.2 reads the C module's list, with `nm -g --defined-only`
    // (an explicit BFD target keeps nm from handing the objects' LLVM bitcode to an
    // incompatible linker plugin, which would make it report no symbols).
    let nm = Command::new("nm")
        .args(["-g", "--defined-only", "--target=elf64-x86-64"])
        .arg(&lib)
        .output()
        .expect("run nm");
    assert!(nm.status.success(), "nm failed");
    let nm_defined: BTreeSet<String> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                [_, t, name] if "TDBR".contains(*t) => Some((*name).to_string()),
                _ => None,
            }
        })
        .collect();
    let nm_missing: Vec<&String> = exports
        .iter()
        .filter(|n| !nm_defined.contains(n.as_str()))
        .collect();
    assert!(
        nm_missing.is_empty(),
        "nm: exports not defined in the archive: {nm_missing:?}"
    );

    let imports = abi_list(imports_list);
    let all_defined: BTreeSet<&str> = syms.iter().filter(|s| s.0).map(|s| s.3.as_str()).collect();
    let undefined: BTreeSet<&str> = syms
        .iter()
        .filter(|s| !s.0 && !s.3.is_empty())
        .map(|s| s.3.as_str())
        .filter(|n| !all_defined.contains(n))
        .collect();
    // The host's prebuilt `core` and `compiler_builtins` carry unwind tables naming the
    // personality routine; firmware targets' (panic=abort) sysroots do not, and
    // `--gc-sections` drops them (see `no_flow_reaches_hal_malloc`). Our own object must not.
    let personality_users: BTreeSet<&str> = syms
        .iter()
        .filter(|s| !s.0 && s.3 == "rust_eh_personality")
        .map(|s| s.4.as_str())
        .collect();
    assert!(
        personality_users
            .iter()
            .all(|m| m.contains("(compiler_builtins-") || m.contains("(core-")),
        "rust_eh_personality referenced outside the sysroot objects: {personality_users:?}"
    );
    let unexpected: Vec<&&str> = undefined
        .iter()
        .filter(|n| **n != "rust_eh_personality")
        .filter(|n| {
            !imports.contains(**n)
                && !LIBC.contains(*n)
                && !EXTRA_IMPORTS.contains(*n)
                && !WEAK_IMPORTS.contains(*n)
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "undefined symbols outside imports.txt and libc: {unexpected:?}"
    );
    // Weak, or a firmware without the SDK's log would not link.
    let readelf = Command::new("readelf")
        .arg("-sW")
        .arg(&lib)
        .output()
        .expect("run readelf");
    let refs: Vec<String> = String::from_utf8_lossy(&readelf.stdout)
        .lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() >= 8 && f[6] == "UND" && WEAK_IMPORTS.contains(&f[7])
        })
        .map(String::from)
        .collect();
    assert!(!refs.is_empty(), "no reference to {WEAK_IMPORTS:?}");
    assert!(
        refs.iter().all(|l| l.contains(" WEAK ")),
        "references to {WEAK_IMPORTS:?} that are not weak: {refs:?}"
    );
    let extra: Vec<&&str> = undefined
        .iter()
        .filter(|n| EXTRA_IMPORTS.contains(*n))
        .collect();
    println!("imports beyond imports.txt (SPEC section 4 HAL functions): {extra:?}");
    let unused: Vec<&String> = imports
        .iter()
        .filter(|n| !undefined.contains(n.as_str()))
        .collect();
    println!("imports.txt entries the archive does not need: {unused:?}");
}

/// A C program that keeps every export but those of `skip` alive (a volatile table of their
/// addresses and of the data symbols).
fn keep_alive_main(skip: &[&str]) -> String {
    let data = [
        "aes_random",
        "awss_report_token_suc",
        "awss_report_token_cnt",
    ];
    let mut main = String::from("#include <stddef.h>\n");
    let exports = abi_list("exports.txt");
    let funcs: Vec<&String> = exports
        .iter()
        .filter(|n| !skip.contains(&n.as_str()) && !data.contains(&n.as_str()))
        .collect();
    for f in &funcs {
        main += &format!("extern void {f}(void);\n");
    }
    for d in data {
        main += &format!("extern char {d}[];\n");
    }
    main += "void *volatile keep[] = {\n";
    for f in &funcs {
        main += &format!("    (void *){f},\n");
    }
    for d in data {
        main += &format!("    (void *){d},\n");
    }
    main += "};\nint main(void) { return keep[0] == NULL; }\n";
    main
}

/// Empty C stubs of every import (and of the SPEC section 4 extras) but those of `skip`.
fn import_stubs(skip: &[&str]) -> String {
    let mut stubs = String::new();
    for i in abi_list("imports.txt") {
        if !skip.contains(&i.as_str()) {
            stubs += &format!("void {i}(void) {{}}\n");
        }
    }
    for i in EXTRA_IMPORTS {
        stubs += &format!("void {i}(void) {{}}\n");
    }
    stubs
}

/// A C program that takes the address of every export except the legacy allocators links
/// against the archive and stubs of every import but `HAL_Malloc`/`HAL_Free`, with
/// `--gc-sections`: no bind flow reaches the heap.
#[test]
fn no_flow_reaches_hal_malloc() {
    let lib = release_archive();
    let dir = target_dir().join("symbols-check");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let alloc = ["os_zalloc", "awss_cpy_coap_ctx", "awss_release_coap_ctx"];
    std::fs::write(dir.join("main.c"), keep_alive_main(&alloc)).expect("write main.c");
    std::fs::write(
        dir.join("stubs.c"),
        import_stubs(&["HAL_Malloc", "HAL_Free"]),
    )
    .expect("write stubs.c");
    let out = Command::new("gcc")
        .args([
            "-Os",
            "-ffunction-sections",
            "-fdata-sections",
            "-Wl,--gc-sections",
            "-o",
        ])
        .arg(dir.join("no_malloc"))
        .arg(dir.join("main.c"))
        .arg(dir.join("stubs.c"))
        .arg(&lib)
        .output()
        .expect("run gcc");
    assert!(
        out.status.success(),
        "linking every non-allocating export without HAL_Malloc/HAL_Free failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The firmware-like link of `benches/footprint/footprint.sh` (every export kept alive, gcc
/// `-Os`, `--gc-sections`) contains no panic path: no `core::fmt` (several KB of flash), no
/// `core::panicking` or bounds-check failure, no panic handler. A slice index, a
/// `copy_from_slice`, an `unwrap` or a `heapless::Vec::remove` in the library brings them back.
#[test]
fn firmware_link_has_no_panic_or_fmt_code() {
    let text = nm_of_every_export_linked("symbols-check");
    let offending: Vec<&str> = text
        .lines()
        .filter(|l| {
            [
                "core::fmt",
                "core::panicking",
                "panic_bounds_check",
                "rust_begin_unwind",
            ]
            .iter()
            .any(|p| l.contains(p))
        })
        .collect();
    assert!(
        offending.is_empty(),
        "panic or formatting code in the firmware link:\n{}",
        offending.join("\n")
    );
}

/// The shell's state (the machine, its queues, the token generator) starts as all zeros, so it
/// lives in `.bss`: in `.data` a firmware would carry its whole initial image (about 780 B) in
/// flash. One non-zero initial field brings it back.
#[test]
fn shell_state_starts_in_bss() {
    let text = nm_of_every_export_linked("symbols-bss");
    let shell: Vec<&str> = text
        .lines()
        .filter(|l| l.ends_with("iot_dev_bind::ffi::shell::SHELL"))
        .collect();
    assert_eq!(shell.len(), 1, "no single SHELL symbol in:\n{text}");
    let kind = shell[0].split_whitespace().nth(1);
    assert!(
        matches!(kind, Some("b" | "B")),
        "the shell's static is not in .bss: {}",
        shell[0]
    );
}

/// `nm -C` of a program that links every export of the release archive, with gc-sections, in
/// `target/<dir>`.
fn nm_of_every_export_linked(dir: &str) -> String {
    let lib = release_archive();
    let dir = target_dir().join(dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("keep_all.c"), keep_alive_main(&[])).expect("write keep_all.c");
    std::fs::write(dir.join("stubs_all.c"), import_stubs(&[])).expect("write stubs_all.c");
    let exe = dir.join("keep_all");
    let out = Command::new("gcc")
        .args([
            "-Os",
            "-no-pie",
            "-ffunction-sections",
            "-fdata-sections",
            "-fno-asynchronous-unwind-tables",
            "-Wl,--gc-sections",
            "-o",
        ])
        .arg(&exe)
        .arg(dir.join("keep_all.c"))
        .arg(dir.join("stubs_all.c"))
        .arg(&lib)
        .output()
        .expect("run gcc");
    assert!(
        out.status.success(),
        "linking every export failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nm = Command::new("nm")
        .arg("-C")
        .arg(&exe)
        .output()
        .expect("run nm");
    assert!(nm.status.success(), "nm failed");
    let text = String::from_utf8_lossy(&nm.stdout).into_owned();
    assert!(
        text.contains("awss_report_cloud"),
        "nm lists no library symbol: the check would be vacuous"
    );
    text
}
