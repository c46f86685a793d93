//! The log texts that people and tools grep device logs for: the keywords of the guide's
//! troubleshooting (SPEC section 7) and the lines `devbind doctor` (tools/devbind/src/doctor.rs)
//! parses. Each is pinned here, whole and rendered with its arguments, so that a change to one
//! fails a test instead of silently breaking a grep.

use dev_bind_core::{Level, Line, Msg, Piece};

fn render(msg: Msg, bytes: &[u8], num: i64) -> String {
    let mut s = String::new();
    Line::new(Level::Info, msg).pieces(bytes, num, &mut |p| match p {
        Piece::Text(t) | Piece::Bytes(t) => s.push_str(std::str::from_utf8(t).unwrap()),
        Piece::Num(n) => s.push_str(&n.to_string()),
    });
    s
}

const REPORT: &str = r#"{"id":"0","version":"1.0","method":"thing.awss.enrollee.match","params":{"token":"00112233445566778899AABBCCDDEEFF"}}"#;

#[test]
fn the_guides_keywords_and_doctors_lines_are_pinned() {
    let pinned = [
        // SPEC 7: `report token:<json>` (debug), doctor reads the JSON after the colon.
        (Msg::PayloadReport, "report token:%s"),
        // SPEC 7: `report token res:<n>`, doctor reads the number.
        (Msg::ReportRes, "report token res:%d"),
        // SPEC 7: `awss_report_token_reply` when the cloud's reply is taken.
        (Msg::TokenReplyAcked, "awss_report_token_reply id %d"),
        // SPEC 7: `topic:/sys/device/info/notify` and `payload:<json>` when notifying.
        (Msg::NotifyTopic, "topic:/sys/device/info/notify"),
        (Msg::PayloadNotify, "payload:%s"),
        // SPEC 7: `sending message to app: <json>` when answering a query.
        (Msg::PayloadAnswer, "sending message to app: %s"),
        // SPEC 7: `update token` when rotating.
        (Msg::UpdateToken, "update token"),
        // SPEC 7: `try <n> times fail` when reports give up.
        (Msg::TryFail, "try %d times fail"),
    ];
    for (msg, text) in pinned {
        assert_eq!(msg.text(), text.as_bytes(), "{msg:?}");
    }
    // As doctor reads them.
    let line = render(Msg::PayloadReport, REPORT.as_bytes(), 0);
    assert_eq!(line, format!("report token:{REPORT}"));
    assert_eq!(render(Msg::ReportRes, b"", -1), "report token res:-1");
    assert_eq!(render(Msg::TryFail, b"", 2), "try 2 times fail");
    assert!(render(Msg::TokenReplyAcked, b"", 5).contains("awss_report_token_reply"));
    let answer = r#"{"id":123,"code":200,"data":{}}"#;
    assert_eq!(
        render(Msg::PayloadAnswer, answer.as_bytes(), 0),
        format!("sending message to app: {answer}")
    );
}
