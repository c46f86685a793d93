//! `devbind doctor` over every fixture: which step passes, which fails first, and the exit code.

use devbind::doctor::{analyse, classify, to_json, Mark, Status};
use std::process::Command;

const P: Status = Status::Pass;
const F: Status = Status::Fail;
const S: Status = Status::Skipped;
const N: Status = Status::NotChecked;

fn fixture(name: &str) -> String {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn statuses(name: &str) -> Vec<Status> {
    analyse(&fixture(name))
        .steps
        .iter()
        .map(|s| s.status)
        .collect()
}

#[test]
fn every_fixture_gives_the_expected_steps() {
    let table: &[(&str, [Status; 5])] = &[
        ("ok_ours.log", [P, P, P, P, P]),
        ("guide_sample.log", [P, P, P, P, P]),
        ("fail1_mqtt.log", [F, N, N, N, N]),
        ("fail2_publish.log", [P, F, N, N, N]),
        ("fail3_noreply.log", [P, P, F, N, N]),
        ("fail3_nomatch_guide.log", [P, P, F, N, N]),
        ("fail4_nonotify.log", [P, P, P, F, N]),
        ("fail5_noanswer.log", [P, P, P, P, F]),
        ("skip5_noquery.log", [P, P, P, P, S]),
    ];
    for (name, want) in table {
        assert_eq!(statuses(name), want.to_vec(), "{name}");
    }
}

#[test]
fn failures_carry_evidence_and_the_guides_causes() {
    let r = analyse(&fixture("fail3_nomatch_guide.log"));
    let s3 = &r.steps[2];
    assert!(s3
        .evidence
        .iter()
        .any(|(n, l)| *n == 12 && l.contains("NO matching any topic")));
    assert!(s3
        .evidence
        .iter()
        .any(|(_, l)| l.contains("Topic Name") && l.contains("match_reply")));
    assert!(s3
        .causes
        .iter()
        .any(|c| c.contains("subscribing to") && c.contains("match_reply")));
    assert!(!r.ok());

    let r = analyse(&fixture("fail3_noreply.log"));
    assert!(r.steps[2]
        .evidence
        .iter()
        .any(|(n, l)| *n == 8 && l.contains("try 2 times fail")));
    assert!(r.findings.iter().any(|f| f.contains("try 2 times fail")));
    assert_eq!(
        r.tokens,
        vec![("4786F0F6E1CC7BF86017FD4D1429EE4F".to_string(), 2)]
    );

    let r = analyse(&fixture("fail5_noanswer.log"));
    assert!(r.steps[4]
        .causes
        .iter()
        .any(|c| c.contains("/sys/device/info/get")));
    assert!(r.steps[4]
        .evidence
        .iter()
        .any(|(_, l)| l.contains("Request path is")));

    let r = analyse(&fixture("fail2_publish.log"));
    assert!(r.steps[1].note.contains("negative"));
}

#[test]
fn guide_sample_findings_and_evidence_lines() {
    let r = analyse(&fixture("guide_sample.log"));
    assert!(r.ok());
    // step 1 evidence is the SDK's connect line
    assert!(r.steps[0].evidence[0]
        .1
        .contains("iotx_mc_connect(2768): mqtt connect success!"));
    assert!(r.steps[1]
        .evidence
        .iter()
        .any(|(_, l)| l.contains("report token res:13")));
    assert!(r
        .findings
        .iter()
        .any(|f| f.contains("remainTime: 43360 ms")));
    // the guide's snippets answer a token the snippets never report: flagged
    assert!(r
        .findings
        .iter()
        .any(|f| f.contains("B52C577E55DE6B3CAF5B0C882410D8BF was never reported")));
}

#[test]
fn classify_reads_both_formats() {
    assert_eq!(
        classify("[12345] [inf] dev_bind: report token res:0"),
        Some(Mark::ReportRes(0))
    );
    assert_eq!(
        classify("[2019-04-24-14:37:26][018930]<I> report token res:13"),
        Some(Mark::ReportRes(13))
    );
    assert_eq!(
        classify("[1] [dbg] dev_bind: report token:{\"id\":\"0\",\"params\":{\"token\":\"AB\"}}"),
        Some(Mark::ReportToken(Some("AB".into())))
    );
    assert_eq!(
        classify("[9] [err] dev_bind: try 2 times fail"),
        Some(Mark::TryFail(2))
    );
    assert_eq!(classify("try harder"), None);
    assert_eq!(
        classify("[2019-04-24-14:36:35][023371]<D> Request path is /sys/device/info/get"),
        Some(Mark::QueryReceived("/sys/device/info/get".into()))
    );
    assert_eq!(
        classify("x sending message to app: {\"id\":1,\"code\":200,\"data\":{\"token\":\"T\",\"remainTime\":5}}"),
        Some(Mark::Answered(Some("T".into()), Some(5)))
    );
    // a truncated payload is still a notify, without token
    assert_eq!(
        classify("payload:{\"id\":\"7\",\"method\":\"device.info.notify\",\"params\":{"),
        Some(Mark::NotifyPayload(None, None))
    );
}

#[test]
fn json_output_and_exit_codes() {
    let v = to_json(&analyse(&fixture("fail4_nonotify.log")), "x");
    assert_eq!(v["ok"], false);
    assert_eq!(v["steps"][3]["status"], "failed");
    assert_eq!(v["steps"][4]["status"], "not checked");
    assert!(v["steps"][3]["likelyCauses"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));

    let bin = env!("CARGO_BIN_EXE_devbind");
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    for (f, code) in [
        ("ok_ours.log", 0),
        ("skip5_noquery.log", 0),
        ("fail1_mqtt.log", 1),
        ("fail5_noanswer.log", 1),
    ] {
        let out = Command::new(bin)
            .args(["doctor", &format!("{dir}/{f}"), "--json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{f}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["ok"], code == 0, "{f}");
    }
    // stdin, text, no colour codes when not a terminal
    let mut child = Command::new(bin)
        .args(["doctor", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(fixture("fail3_nomatch_guide.log").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("✗ step 3"), "{text}");
    assert!(text.contains("first failing step: 3"));
    assert!(!text.contains('\x1b'));
}
