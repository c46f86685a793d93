//! `devbind doctor` over every fixture: which step passes, which fails, the evidence, the
//! causes, and the exit code. Each fault seen on real-world logs has a fixture here that would
//! have caught it.

use devbind::doctor::input::{strip_escapes, Refusal};
use devbind::doctor::{
    analyse, analyse_reader, classify, parse, to_json, to_text, Level, Mark, Report, Status,
    FIRST_N,
};
use std::io::Write;
use std::process::{Command, Stdio};

const P: Status = Status::Pass;
const F: Status = Status::Fail;
const S: Status = Status::Skipped;
const N: Status = Status::NotChecked;

fn path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn bytes(name: &str) -> Vec<u8> {
    let p = path(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn fixture(name: &str) -> String {
    String::from_utf8(bytes(name)).unwrap()
}

fn report(b: &[u8]) -> Report {
    analyse_reader(b).unwrap_or_else(|e| panic!("refused: {e}"))
}

fn statuses(r: &Report) -> Vec<Status> {
    r.last.steps.iter().map(|s| s.status).collect()
}

fn all_text(r: &Report) -> String {
    to_text(r, "x", false) + &to_json(r, "x").to_string()
}

/// Runs `devbind doctor ARGS` (stdin from `input`): exit code, stdout, stderr.
fn doctor(args: &[&str], input: Option<&[u8]>) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_devbind"))
        .arg("doctor")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if let Some(i) = input {
        stdin.write_all(i).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_fixture_gives_the_expected_steps() {
    let table: &[(&str, [Status; 5])] = &[
        ("ok_ours.log", [P, P, P, P, P]),
        ("real_ok.log", [P, P, P, P, P]),
        ("guide_sample.log", [P, P, P, P, P]),
        ("fail1_mqtt.log", [F, N, N, N, N]),
        ("real_fail1_refused.log", [F, N, N, N, N]),
        // the reports that were never published also got no reply
        ("fail2_publish.log", [P, F, F, N, N]),
        ("fail3_noreply.log", [P, P, F, N, N]),
        ("fail3_timings.log", [P, P, F, N, N]),
        ("fail3_nomatch_guide.log", [P, P, F, N, N]),
        ("real_fail3_nocloud.log", [P, P, F, N, F]),
        ("fail4_nonotify.log", [P, P, P, F, F]),
        // the second token got no reply, and the phone waiting for it no answer
        ("fail5_noanswer.log", [P, P, F, P, F]),
        ("skip5_noquery.log", [P, P, P, P, S]),
        ("esp_idf_color_noanswer.log", [P, P, P, P, F]),
        ("two_boots_last_fails.log", [P, P, F, N, N]),
        ("reconnect_first_fails.log", [P, P, P, P, S]),
        ("passive_notify_fails_query_ok.log", [P, P, P, F, P]),
    ];
    for (name, want) in table {
        let r = report(&bytes(name));
        assert_eq!(
            statuses(&r),
            want.to_vec(),
            "{name}\n{}",
            to_text(&r, name, false)
        );
        assert_eq!(r.ok(), !want.contains(&F), "{name}");
    }
}

// --- text handling ---------------------------------------------------------------------------

/// ESP-IDF colours every line and ends it with a reset: a query with no answer was "skipped"
/// (the reset code stuck to the path), and the codes were echoed in the evidence.
#[test]
fn escape_codes_are_stripped_before_matching_and_never_echoed() {
    let raw = bytes("esp_idf_color_noanswer.log");
    assert!(raw.contains(&0x1b));
    let r = report(&raw);
    let s5 = &r.last.steps[4];
    assert_eq!(s5.status, F);
    assert!(s5
        .evidence
        .iter()
        .any(|(n, l)| *n == 10 && l.ends_with("Request path is /sys/device/info/get")));
    assert!(r.form.escapes >= 22, "{:?}", r.form);
    let out = all_text(&r);
    assert!(!out.contains('\x1b') && !out.contains("\\u001b"), "{out}");
    // the CLI's text and JSON too
    let (code, text, _) = doctor(&[&path("esp_idf_color_noanswer.log")], None);
    assert_eq!(code, Some(1));
    assert!(
        !text.contains('\x1b') && text.contains("✗ step 5"),
        "{text}"
    );
    let (_, json, _) = doctor(&[&path("esp_idf_color_noanswer.log"), "--json"], None);
    assert!(!json.contains("\\u001b"), "{json}");
    // other sequences: OSC titles, cursor moves, the caret form, C1 CSI
    let mut o = String::new();
    let n = strip_escapes(
        "\x1b]0;title\x07a\x1b[2K\x1b[1;31mb\x1b(Bc^[[0md\u{9b}1me\x1b[?25l",
        &mut o,
    );
    assert_eq!(o, "abcde");
    assert_eq!(n, 7);
}

fn endings(text: &str, eol: &str) -> Vec<u8> {
    text.lines()
        .map(|l| format!("{l}{eol}"))
        .collect::<String>()
        .into_bytes()
}

/// CR-only endings read as one line: step 2 failed though `report token` was there.
#[test]
fn cr_lf_crlf_and_lfcr_line_endings_all_work() {
    let text = fixture("ok_ours.log");
    let lines = text.lines().count();
    for eol in ["\n", "\r", "\r\n", "\n\r"] {
        let r = report(&endings(&text, eol));
        assert_eq!(statuses(&r), vec![P; 5], "{eol:?}");
        assert_eq!(r.lines, lines, "{eol:?}");
        // line numbers are the file's
        assert_eq!(r.last.steps[0].evidence[0].0, 3, "{eol:?}");
    }
    let r = report(&endings(&text, "\r"));
    assert_eq!(r.form.endings(), "CR");
    let r = report(&endings(&text, "\n\r"));
    assert_eq!(r.form.endings(), "LFCR");
    // a failing log stays failing in CR form
    let r = report(&endings(&fixture("fail3_noreply.log"), "\r"));
    assert_eq!(statuses(&r), vec![P, P, F, N, N]);
}

fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = (if bom { "\u{feff}" } else { "" })
        .encode_utf16()
        .chain(text.encode_utf16());
    for u in units {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

/// PowerShell's `>` writes UTF-16LE with a BOM: "MQTT never connected".
#[test]
fn utf8_and_utf16_with_or_without_bom_and_stray_latin1() {
    for name in ["ok_ours.log", "fail3_nomatch_guide.log", "guide_sample.log"] {
        let text = fixture(name).replace('\n', "\r\n");
        let want = statuses(&report(text.as_bytes()));
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice(text.as_bytes());
        for (label, b) in [
            ("UTF-8 with BOM", bom8),
            ("UTF-16LE with BOM", utf16(&text, true, true)),
            ("UTF-16LE", utf16(&text, true, false)),
            ("UTF-16BE with BOM", utf16(&text, false, true)),
            ("UTF-16BE", utf16(&text, false, false)),
        ] {
            let r = report(&b);
            assert_eq!(r.form.encoding.map(|e| e.name()), Some(label), "{name}");
            assert_eq!(statuses(&r), want, "{name} as {label}");
            assert_eq!(
                r.last.steps[0].evidence,
                report(text.as_bytes()).last.steps[0].evidence
            );
        }
    }
    // Latin-1 bytes (a serial console's line noise, a Windows-1252 comment) inside lines
    let mut b = Vec::new();
    for l in fixture("ok_ours.log").lines() {
        b.extend_from_slice(l.as_bytes());
        b.extend_from_slice(b" \xe9t\xe9 \xff\n");
    }
    let r = report(&b);
    assert_eq!(statuses(&r), vec![P; 5]);
    assert!(r.form.latin1_bytes >= 3 * 20, "{:?}", r.form);
    assert!(r.last.steps[0].evidence[0].1.contains("été"));
}

#[test]
fn prefixes_and_timestamps_of_the_usual_consoles() {
    // ours
    let p = parse("[12345] [inf] dev_bind: report token res:0");
    assert_eq!(
        (p.ms, p.uptime, p.level, p.bind),
        (Some(12345), true, Some(Level::Info), true)
    );
    assert_eq!(p.body, "report token res:0");
    // the SDK's own (3.x)
    let p = parse("[err] awss_report_token_to_cloud(300): try 2 times fail");
    assert_eq!((p.ms, p.level, p.bind), (None, Some(Level::Error), true));
    assert_eq!(p.body, "try 2 times fail");
    let p = parse("[inf] iotx_mc_connect(2768): mqtt connect success!");
    assert!(!p.bind);
    assert_eq!(p.body, "mqtt connect success!");
    // the SDK as the guide shows it: the second field counts milliseconds
    let p = parse("[2019-04-24-14:37:26][018912]<D> report token:{}");
    assert_eq!((p.ms, p.level), (Some(18912), Some(Level::Debug)));
    assert_eq!(p.body, "report token:{}");
    // ESP-IDF, both time formats
    let p = parse("W (9121) dev_bind: query ignored: bad JSON");
    assert_eq!(
        (p.ms, p.level, p.bind),
        (Some(9121), Some(Level::Warn), true)
    );
    assert_eq!(p.body, "query ignored: bad JSON");
    let p = parse("E (13:01:02.250) MQTT_CLIENT: Error transport connect");
    assert_eq!((p.ms, p.level), (Some(46_862_250), Some(Level::Error)));
    // a serial terminal's time stamp in front of ours
    let p = parse("[2026-12-07 13:47:20.123] [41] [wrn] dev_bind: subscribe failed");
    assert_eq!((p.ms, p.level, p.bind), (Some(41), Some(Level::Warn), true));
    let p = parse("13:47:20.5 device: mqtt connect success!");
    assert_eq!(p.ms, Some(49_640_500));
    // classification through the prefixes
    assert_eq!(
        classify("\x1b[0;33mW (9121) dev_bind: try 4 times fail\x1b[0m"),
        Some(Mark::TryFail(4))
    );
    assert_eq!(
        classify("[2019-04-24-14:37:26][018930]<I> report token res:13"),
        Some(Mark::ReportRes(13))
    );
    assert_eq!(
        classify("[1] [dbg] dev_bind: report token:{\"id\":\"0\",\"params\":{\"token\":\"AB\"}}"),
        Some(Mark::ReportToken(Some("AB".into())))
    );
    assert_eq!(classify("try harder"), None);
    assert_eq!(
        classify("x sending message to app: {\"id\":1,\"code\":200,\"data\":{\"token\":\"T\",\"remainTime\":5}}"),
        Some(Mark::Answered(Some("T".into()), Some(5)))
    );
    // a truncated payload is still a notify, without token
    assert_eq!(
        classify("payload:{\"id\":\"7\",\"method\":\"device.info.notify\",\"params\":{"),
        Some(Mark::NotifyPayload(None, None))
    );
    assert_eq!(
        classify("E (5120) MQTT_CLIENT: Error transport connect"),
        Some(Mark::MqttConnectFailed("Error transport connect".into()))
    );
}

// --- refused input ---------------------------------------------------------------------------

/// A binary was accepted, and step 1 "passed" on a format string inside it.
#[test]
fn a_binary_or_an_empty_file_is_refused_with_exit_2() {
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.extend(std::iter::repeat_n(0u8, 600));
    elf.extend_from_slice(b"mqtt connect success!\0report token res:%d\0awss_report_token_reply\0");
    elf.extend((0..4000u32).map(|i| (i * 7 % 256) as u8));
    assert!(matches!(analyse_reader(&elf[..]), Err(Refusal::Binary(_))));
    // random bytes without a magic number
    let noise: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(matches!(
        analyse_reader(&noise[..]),
        Err(Refusal::Binary(_))
    ));
    let dir = std::env::temp_dir().join(format!("devbind-doctor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("firmware.bin");
    std::fs::write(&bin, &elf).unwrap();
    let (code, out, err) = doctor(&[bin.to_str().unwrap()], None);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("not a text log") && err.contains("firmware.bin"),
        "{err}"
    );
    assert!(!out.contains("passed"), "{out}");

    for empty in [&b""[..], b"\n\n  \r\n", b"\xef\xbb\xbf", b"\xff\xfe"] {
        assert!(
            matches!(analyse_reader(empty), Err(Refusal::Empty)),
            "{empty:?}"
        );
    }
    let e = dir.join("empty.log");
    std::fs::write(&e, b"").unwrap();
    let (code, _, err) = doctor(&[e.to_str().unwrap()], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("empty"), "{err}");
    let (code, _, err) = doctor(&["-"], Some(b""));
    assert_eq!(code, Some(2));
    assert!(err.contains("stdin") && err.contains("empty"), "{err}");
    let (code, _, err) = doctor(&[dir.join("missing.log").to_str().unwrap()], None);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("missing.log") && err.contains("No such file"),
        "{err}"
    );
    // a file of text that is no device log is analysed, and said so
    let r = report(b"hello\nworld\n");
    assert_eq!(r.recognised, 0);
    assert!(to_text(&r, "x", false).contains("looks like a device log"));
    let _ = std::fs::remove_dir_all(&dir);
}

// --- sessions --------------------------------------------------------------------------------

/// Two boots, the last failing at step 3: "all checked steps passed".
#[test]
fn several_boots_or_reconnects_are_judged_one_by_one() {
    let r = report(&bytes("two_boots_last_fails.log"));
    assert_eq!(r.sessions, 2);
    assert!(!r.ok());
    assert_eq!((r.last.index, r.last.first_line), (2, 10));
    assert!(r
        .last
        .start
        .as_ref()
        .is_some_and(|s| s.1.contains("POWERON_RESET")));
    assert!(r.last.steps[2]
        .evidence
        .iter()
        .any(|(n, l)| *n == 17 && l.contains("try 2 times fail")));
    // the device's names, seen in the first boot's notify, name the reply topic
    assert!(r.last.steps[2]
        .causes
        .iter()
        .any(|c| c.contains("/sys/a1GQc8iJOWI/gateway_test01/thing/awss/enrollee/match_reply")));
    // the first boot passed: no earlier failure
    assert_eq!(r.earlier_failed_count, 0);

    // the other way round: an earlier failure is listed, the verdict is the last session's
    let r = report(&bytes("reconnect_first_fails.log"));
    assert_eq!(r.sessions, 2);
    assert!(r.ok());
    assert_eq!(r.earlier_failed_count, 1);
    let first = &r.earlier_failed[0];
    assert_eq!((first.first_line, first.last_line), (1, 10));
    assert_eq!(first.steps[2].status, F);
    assert!(first.steps[2]
        .evidence
        .iter()
        .any(|(_, l)| l.contains("res:-1")));
    assert!(r.last.steps[0].note.contains("Connection refused"));
    let text = to_text(&r, "x", false);
    assert!(
        text.contains("earlier sessions that failed: 1 of 1"),
        "{text}"
    );
    assert!(
        text.contains("session 1 (lines 1-10): step 3 failed"),
        "{text}"
    );
    let v = to_json(&r, "x");
    assert_eq!(v["sessions"], 2);
    assert_eq!(
        v["earlierFailedSessions"][0]["steps"][2]["status"],
        "failed"
    );

    // our own uptime going back is a reboot, even without a banner
    let mut two = fixture("ok_ours.log");
    two.push_str(&fixture("fail3_noreply.log").replace("device: devbind-device", "x:"));
    let r = report(two.as_bytes());
    assert_eq!(r.sessions, 2);
    assert_eq!(statuses(&r), vec![P, P, F, N, N]);
}

// --- error lines fail the step they belong to -------------------------------------------------

/// Three `CoAPServer_init failed` lines: "all checked steps passed".
#[test]
fn coap_server_init_failed_fails_the_broadcast_and_query_steps() {
    let mut text = fixture("ok_ours.log");
    for _ in 0..3 {
        text.push_str("[3000] [err] dev_bind: CoAPServer_init failed\n");
    }
    let r = report(text.as_bytes());
    assert_eq!(statuses(&r), vec![P, P, P, F, F]);
    for s in &r.last.steps[3..] {
        assert!(s
            .evidence
            .iter()
            .any(|(_, l)| l.contains("CoAPServer_init failed")));
    }
    assert!(r.last.steps[3].note.contains("3 time(s)"));
}

/// `try 2 times fail` appended: "all checked steps passed".
#[test]
fn try_n_times_fail_fails_step_3() {
    for name in ["ok_ours.log", "real_ok.log", "guide_sample.log"] {
        let mut text = fixture(name);
        text.push_str("[90000] [inf] dev_bind: try 2 times fail\n");
        let r = report(text.as_bytes());
        assert_eq!(r.last.steps[2].status, F, "{name}");
        assert!(r.last.steps[2]
            .evidence
            .iter()
            .any(|(_, l)| l.contains("try 2 times fail")));
        assert!(!r.ok());
        // steps 4 and 5 keep their own status
        assert_eq!(r.last.steps[3].status, P, "{name}");
    }
}

#[test]
fn the_mqtt_connect_failure_reason_is_quoted_in_step_1() {
    let r = report(&bytes("real_fail1_refused.log"));
    let s = &r.last.steps[0];
    assert!(s.note.contains("2 connect attempt(s) failed"), "{}", s.note);
    assert!(s.note.contains("Connection refused (os error 111)"));
    assert!(s
        .causes
        .iter()
        .any(|c| c.contains("127.0.0.1:1") && c.contains("refused")));
    let esp = "I (10) cpu_start: Pro cpu start user code\n\
               I (900) MQTT_CLIENT: connecting to mqtt://iot.example.com:1883\n\
               E (5900) MQTT_CLIENT: Error transport connect: connection timed out\n";
    let r = report(esp.as_bytes());
    let s = &r.last.steps[0];
    assert_eq!(s.status, F);
    assert!(
        s.note
            .contains("Error transport connect: connection timed out"),
        "{}",
        s.note
    );
    assert!(
        s.causes.iter().any(|c| c.contains("cannot be reached")),
        "{:?}",
        s.causes
    );
}

#[test]
fn warning_and_error_lines_of_the_bind_module_fail_their_step() {
    // a subscription refused at step 3
    let text = "[1] device: mqtt connect success!\n\
                [2] [dbg] dev_bind: sub /sys/a1x/d1/thing/awss/enrollee/match_reply res:-3\n\
                [3] [dbg] dev_bind: report token:{\"params\":{\"token\":\"11112222333344445555666677778888\"}}\n\
                [3] [inf] dev_bind: report token res:4\n";
    let r = report(text.as_bytes());
    let s3 = &r.last.steps[2];
    assert_eq!(s3.status, F);
    assert!(s3.evidence.iter().any(|(n, _)| *n == 2));
    assert!(s3
        .causes
        .iter()
        .any(|c| c.contains("/sys/a1x/d1/thing/awss/enrollee/match_reply")));
    // an unknown error line while waiting for the reply
    let text = "[1] device: mqtt connect success!\n\
                [3] [inf] dev_bind: report token res:4\n\
                [4] [err] dev_bind: no timer\n\
                [5] [inf] dev_bind: awss_report_token_reply id 0\n\
                [6] [err] dev_bind: action queue full\n\
                [7] [inf] dev_bind: topic:/sys/device/info/notify\n";
    let r = report(text.as_bytes());
    // the reply came after the first: recovered; the second came before the notify: step 4
    assert_eq!(r.last.steps[2].status, P);
    assert!(r.last.steps[2].note.contains("recovered"));
    assert_eq!(r.last.steps[3].status, P);
    let text = format!("{text}[8] [err] dev_bind: action queue full\n");
    let r = report(text.as_bytes());
    assert_eq!(r.last.steps[4].status, F);
    assert!(r.last.steps[4].evidence.iter().any(|(n, _)| *n == 7));
}

// --- causes from the log ----------------------------------------------------------------------

/// The step-3 causes were hard-coded ("30 s ... 2 times") whatever the log showed.
#[test]
fn step_3_causes_use_the_logs_own_timings_and_names() {
    let r = report(&bytes("fail3_timings.log"));
    let causes = r.last.steps[2].causes.join("\n");
    assert!(causes.contains("3 time(s), 5 s, 5 s apart"), "{causes}");
    assert!(
        causes.contains("gave up 5 s after its last report"),
        "{causes}"
    );
    assert!(causes.contains("try 3 times fail"), "{causes}");
    assert!(causes.contains("/sys/a1timePK01/timing_dev/thing/awss/enrollee/match_reply"));
    assert!(
        !causes.contains("30 s") && !causes.contains("${pk}"),
        "{causes}"
    );
    let r = report(&bytes("real_fail3_nocloud.log"));
    let causes = r.last.steps[2].causes.join("\n");
    assert!(causes.contains("2 time(s), 0.5 s apart"), "{causes}");
}

/// It suggested looking for `sub .../match_reply success`, which the library never prints.
#[test]
fn never_suggests_a_line_the_library_does_not_print() {
    for name in [
        "fail3_noreply.log",
        "fail3_timings.log",
        "fail3_nomatch_guide.log",
        "real_fail3_nocloud.log",
        "two_boots_last_fails.log",
        "fail2_publish.log",
    ] {
        let out = all_text(&report(&bytes(name)));
        assert!(!out.contains("match_reply success"), "{name}: {out}");
    }
}

/// In the passive flow, a failed step 4 hid a step 5 that passed.
#[test]
fn every_later_step_shows_its_real_status() {
    let r = report(&bytes("passive_notify_fails_query_ok.log"));
    assert_eq!(r.last.steps[3].status, F);
    assert_eq!(r.last.steps[4].status, P);
    let text = to_text(&r, "x", false);
    assert!(text.contains("first failing step: 4"), "{text}");
    assert!(text.contains("later step(s) 5 passed"), "{text}");
}

#[test]
fn findings_and_evidence_of_the_guides_sample() {
    let r = report(&bytes("guide_sample.log"));
    assert!(r.ok());
    assert!(r.last.steps[0].evidence[0]
        .1
        .contains("iotx_mc_connect(2768): mqtt connect success!"));
    assert!(r.last.steps[1]
        .evidence
        .iter()
        .any(|(_, l)| l.contains("report token res:13")));
    assert!(r
        .last
        .summary
        .iter()
        .any(|f| f.contains("remainTime: 43360 ms")));
    // the guide's snippets answer a token the snippets never report: flagged
    let never = r
        .last
        .findings
        .iter()
        .find(|f| f.kind == "neverReported")
        .unwrap();
    assert!(never.examples[0]
        .1
        .contains("B52C577E55DE6B3CAF5B0C882410D8BF"));

    let r = report(&bytes("fail3_nomatch_guide.log"));
    let s3 = &r.last.steps[2];
    assert!(s3
        .evidence
        .iter()
        .any(|(n, l)| *n == 12 && l.contains("NO matching any topic")));
    assert!(s3
        .causes
        .iter()
        .any(|c| c.contains("/sys/a1GQc8iJOWI/gateway_test01/thing/awss/enrollee/match_reply")));

    let r = report(&bytes("fail3_noreply.log"));
    assert!(r.last.steps[2]
        .evidence
        .iter()
        .any(|(n, l)| *n == 8 && l.contains("try 2 times fail")));
    assert_eq!(
        r.last.tokens,
        vec![("4786F0F6E1CC7BF86017FD4D1429EE4F".to_string(), 2)]
    );
    assert!(r.findings.iter().any(|f| f.contains("try 2 times fail")));
}

// --- scale and several files ------------------------------------------------------------------

/// A generated log of `n` copies of a failing session's lines, read as a stream.
struct Big {
    unit: Vec<u8>,
    left: usize,
    pos: usize,
}

impl std::io::Read for Big {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let n = (self.unit.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.unit[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.unit.len() {
            self.pos = 0;
            self.left -= 1;
        }
        Ok(n)
    }
}

/// An 80 MB log gave 16,019 lines of findings in about 200 MB of RAM.
#[test]
fn a_large_log_gives_bounded_findings() {
    // One connection whose tokens never get a reply: thousands of `try 2 times fail`,
    // distinct tokens and remainTimes. About 20 MB.
    let mut unit = Vec::new();
    for i in 0..100 {
        unit.extend_from_slice(format!(
            "[{i}] [dbg] dev_bind: report token:{{\"params\":{{\"token\":\"{i:032X}\"}}}}\n[{i}] [inf] dev_bind: report token res:-1\n[{i}] [inf] dev_bind: try 2 times fail\n[{i}] [wrn] dev_bind: query ignored: bad JSON: x\n").as_bytes());
    }
    let head = b"[0] device: mqtt connect success!\n".to_vec();
    let copies = 20_000_000 / unit.len();
    let big = Big {
        unit,
        left: copies,
        pos: 0,
    };
    let r = analyse_reader(std::io::Read::chain(&head[..], big)).unwrap();
    assert_eq!(r.lines, copies * 400 + 1);
    for f in &r.last.findings {
        assert!(f.examples.len() <= FIRST_N, "{f:?}");
    }
    let tries = r
        .last
        .findings
        .iter()
        .find(|f| f.kind == "tryFail")
        .unwrap();
    assert_eq!(tries.count, copies as u64 * 100);
    let text = to_text(&r, "big", false);
    assert!(text.lines().count() < 80, "{}", text.lines().count());
    assert!(text.len() < 20_000, "{}", text.len());
}

/// `doctor a.log b.log` read only a.log.
#[test]
fn several_files_are_each_analysed() {
    let ok = path("ok_ours.log");
    let bad = path("fail3_noreply.log");
    let (code, out, _) = doctor(&[&ok, &bad], None);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("devbind doctor: {ok}"))
            && out.contains(&format!("devbind doctor: {bad}"))
    );
    assert!(out.contains("all checked steps passed") && out.contains("first failing step: 3"));
    let (code, out, _) = doctor(&[&ok, &ok, "--json"], None);
    assert_eq!(code, Some(0));
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 2);
    assert!(objs.iter().all(|v| v["ok"] == true));
    // one unreadable file among good ones: each good one analysed, exit 2, said so
    let (code, out, err) = doctor(&[&ok, "/nonexistent/x.log", &bad], None);
    assert_eq!(code, Some(2));
    assert!(out.contains("first failing step: 3"), "{out}");
    assert!(err.contains("/nonexistent/x.log"), "{err}");
}

#[test]
fn json_output_and_exit_codes() {
    let v = to_json(&analyse(&fixture("fail4_nonotify.log")), "x");
    assert_eq!(v["ok"], false);
    assert_eq!(v["steps"][3]["status"], "failed");
    assert_eq!(v["encoding"], "UTF-8");
    assert!(v["steps"][3]["likelyCauses"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    for (f, code) in [
        ("ok_ours.log", 0),
        ("skip5_noquery.log", 0),
        ("fail1_mqtt.log", 1),
        ("fail5_noanswer.log", 1),
    ] {
        let (c, out, _) = doctor(&[&path(f), "--json"], None);
        assert_eq!(c, Some(code), "{f}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["ok"], code == 0, "{f}");
    }
    // stdin, text, no colour codes when not a terminal
    let (c, text, _) = doctor(&["-"], Some(&bytes("fail3_nomatch_guide.log")));
    assert_eq!(c, Some(1));
    assert!(text.contains("✗ step 3"), "{text}");
    assert!(text.contains("first failing step: 3"));
    assert!(!text.contains('\x1b'));
}
