//! The command line: help with examples everywhere, `--version`, one-line usage errors with
//! exit 2, the same exit codes everywhere, completions and man pages from the same definitions.

use std::net::UdpSocket;
use std::process::{Command, Output};

fn devbind(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devbind"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A usage error: exit 2, one line on stderr naming the problem, nothing on stdout.
fn usage_error(args: &[&str], says: &str) {
    let o = devbind(args);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {out}{err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.starts_with("devbind: ") && err.contains(says),
        "{args:?}: {err}"
    );
    assert!(out.is_empty(), "{args:?}: {out}");
}

const SUBCOMMANDS: &[&[&str]] = &[
    &["demo"],
    &["broker"],
    &["cloud"],
    &["cloud", "switchap"],
    &["phone", "query"],
    &["phone", "listen"],
    &["phone", "bind"],
    &["phone", "flood"],
    &["doctor"],
    &["fake-device"],
    &["completions"],
    &["man"],
];

#[test]
fn every_subcommand_has_help_with_examples() {
    for sub in SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            let mut args = sub.to_vec();
            args.push(flag);
            let o = devbind(&args);
            let (out, err) = text(&o);
            assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
            assert!(out.contains("Usage: devbind "), "{args:?}: {out}");
            assert!(out.contains("Examples:"), "{args:?}: {out}");
        }
    }
    let o = devbind(&["--help"]);
    let (out, _) = text(&o);
    assert!(
        out.contains("Exit codes") && out.contains("2  usage or I/O"),
        "{out}"
    );
    let o = devbind(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        text(&o).0.trim(),
        format!("devbind {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bad_arguments_give_one_line_and_exit_2() {
    usage_error(&["bogus"], "unrecognized subcommand 'bogus'");
    usage_error(&["demo", "--bogus"], "--bogus");
    usage_error(&["demo", "extra"], "'extra'");
    usage_error(
        &["cloud", "--broker", "127.0.0.1:1883", "--run-ms", "abc"],
        "--run-ms",
    );
    usage_error(
        &["cloud", "--broker", "127.0.0.1:99999"],
        "`99999` is not a port",
    );
    usage_error(&["cloud", "--broker", "mqtt://:1883"], "no host");
    usage_error(&["cloud"], "--broker");
    usage_error(&["broker", "--listen", "nowhere"], "--listen");
    usage_error(&["phone", "listen", "--count", "-3"], "'-3'");
    usage_error(
        &["phone", "query", "127.0.0.1", "--bind", "x.y"],
        "not an address",
    );
    // an address of no local interface: refused before anything is sent
    usage_error(
        &["phone", "query", "127.0.0.1", "--bind", "192.0.2.1"],
        "cannot send from 192.0.2.1:0",
    );
    usage_error(&["phone", "query", "127.0.0.1", "--pk", "a1"], "--dn");
    usage_error(
        &[
            "phone",
            "bind",
            "--broker",
            "127.0.0.1:1883",
            "--token",
            "12AB",
        ],
        "want 32 hex digits, got 4",
    );
    usage_error(
        &[
            "phone",
            "bind",
            "--broker",
            "127.0.0.1:1883",
            "--token",
            "G786F0F6E1CC7BF86017FD4D1429EE4F",
        ],
        "`G` is not a hex digit",
    );
    usage_error(&["phone", "flood", "127.0.0.1", "--rate", "0"], "--rate");
    usage_error(&["phone", "flood", "127.0.0.1", "--pk", "a1"], "--dn");
    usage_error(
        &["phone", "flood", "127.0.0.1", "--bind", "192.0.2.1"],
        "cannot send from 192.0.2.1:0",
    );
    usage_error(&["phone", "flood", "10.0.0.255"], "broadcast address");
    usage_error(&["doctor"], "LOGFILE");
    usage_error(&["phone", "query", "127.0.0.255"], "pass --broadcast");
    usage_error(
        &["phone", "query", "255.255.255.255:5683"],
        "pass --broadcast",
    );
    // `devbind` alone shows the commands and exits 2
    let o = devbind(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("Commands:"));
}

#[test]
fn doctor_dash_h_is_help_not_a_file() {
    let o = devbind(&["doctor", "-h"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).0.contains("Usage: devbind doctor"));
}

/// A loopback UDP port nobody listens on (bound, then closed).
fn closed_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn an_icmp_refusal_is_reported_at_once() {
    let port = closed_udp_port();
    let o = devbind(&[
        "phone",
        "query",
        &format!("127.0.0.1:{port}"),
        "--timeout-ms",
        "30000",
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("refused the query") && err.contains("ICMP port unreachable"),
        "{err}"
    );
}

/// A flood nobody answers: the figures say so (the sends refused by ICMP, no answer, no
/// answer to the query after it either), exit 1.
#[test]
fn a_flood_nobody_answers_exits_1_with_its_figures() {
    let port = closed_udp_port();
    let o = devbind(&[
        "phone",
        "flood",
        &format!("127.0.0.1:{port}"),
        "--rate",
        "200",
        "--seconds",
        "1",
        "--drain-ms",
        "100",
        "--json",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    let f: devbind::flood::Figures = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (f.answered, f.seconds, f.per_second.len()),
        (0, 1, 1),
        "{f:?}"
    );
    assert!(f.sent + f.send_errors > 0 && f.send_errors > 0, "{f:?}");
    assert!(!f.probe.answered, "{f:?}");
    assert!(
        f.probe
            .error
            .as_deref()
            .is_some_and(|e| e.contains("refused the query")),
        "{f:?}"
    );
    assert_eq!((f.reports, f.rss.clone(), f.alive), (None, None, None));
    assert!(
        f.to_text().contains("no answer in second(s) 1"),
        "{}",
        f.to_text()
    );
}

#[test]
fn the_broker_and_the_cloud_say_when_a_broker_cannot_be_reached() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = devbind(&[
        "phone",
        "bind",
        "--broker",
        &format!("127.0.0.1:{port}"),
        "--token",
        "4786F0F6E1CC7BF86017FD4D1429EE4F",
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("broker 127.0.0.1:{port}")), "{err}");
}

#[test]
fn completions_and_man_pages_come_from_the_same_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef devbind"),
        ("fish", "complete -c devbind"),
    ] {
        let o = devbind(&["completions", shell]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(out.contains(marker), "{shell}");
        for word in ["demo", "doctor", "phone", "timeout-ms"] {
            assert!(out.contains(word), "{shell} lacks {word}");
        }
    }
    let o = devbind(&["man"]);
    let (out, _) = text(&o);
    assert!(
        out.contains(".TH devbind 1") && out.contains("Exit codes"),
        "{out}"
    );
    let dir = std::env::temp_dir().join(format!("devbind-man-{}", std::process::id()));
    let o = devbind(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    for page in [
        "devbind.1",
        "devbind-doctor.1",
        "devbind-phone.1",
        "devbind-phone-query.1",
    ] {
        let p = dir.join(page);
        let body = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(body.contains(".TH"), "{page}");
    }
    let query = std::fs::read_to_string(dir.join("devbind-phone-query.1")).unwrap();
    assert!(query.contains("\\-\\-bind"), "{query}");
    let _ = std::fs::remove_dir_all(&dir);
}
