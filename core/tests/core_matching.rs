//! Reply matching (match_reply, notify acks), the id echo through the machine, and several
//! phones waiting at once.

mod common_core;
use common_core::*;
use dev_bind_core::{Action, IdKind, Level};

/// A session whose token (report id 0) is in flight.
/// A connected machine whose first report (id 0) the shell has published.
fn connected() -> Sim {
    let mut s = Sim::new();
    s.connect();
    s.m.report_sending(0);
    s.take();
    s.take_logs();
    s
}

fn assert_ignored(s: &mut Sim, payload: &str, why: &str) {
    s.ack_raw(payload);
    assert!(s.take().is_empty(), "{payload}");
    assert!(!s.m.report_token_suc(), "{payload}");
    let logs = s.take_logs();
    assert_eq!(logs.len(), 1, "one log line for {payload}: {logs:?}");
    assert!(logs[0].text.contains(why), "{payload}: {}", logs[0].text);
    assert!(logs[0].level <= Level::Warn);
}

#[test]
fn match_reply_of_an_older_token_is_ignored() {
    let mut s = connected();
    s.m.update_token(s.now, &mut s.rec); // report 1, token B
    s.take();
    s.take_logs();
    assert_ignored(&mut s, r#"{"id":"0","code":200,"data":{}}"#, "unknown id");
    assert_ignored(&mut s, r#"{"id":"2","code":200,"data":{}}"#, "unknown id");
    s.ack(1);
    assert!(s.m.report_token_suc());
}

#[test]
fn match_reply_of_any_report_of_the_current_token_counts() {
    let mut s = connected();
    s.advance(30_000); // re-report: id 1, same token
    assert_eq!(reports(&s.take()).len(), 1);
    s.ack(0);
    assert!(s.m.report_token_suc());
    assert_eq!(
        s.m.token_remain_ms(s.now),
        45_000,
        "counted from the last report"
    );
}

#[test]
fn match_reply_code_must_be_200() {
    let mut s = connected();
    for p in [
        r#"{"id":"0","code":500}"#,
        r#"{"id":"0","code":"500"}"#,
        r#"{"id":"0"}"#,
        r#"{"id":"0","code":200.0}"#,
        r#"{"id":"0","code":"200 "}"#,
        r#"{"id":"0","code":true}"#,
        r#"{"id":"0","code":[200]}"#,
        r#"{"id":"0","code":-200}"#,
    ] {
        assert_ignored(&mut s, p, "code not 200");
    }
    s.ack_raw(r#"{"id":"0","code":"200","data":{}}"#);
    assert!(s.m.report_token_suc(), "code as a numeric string");
    let mut s = connected();
    s.ack_raw(r#"{"code":200,"id":0}"#);
    assert!(s.m.report_token_suc(), "id as a number");
}

#[test]
fn match_reply_bad_ids_and_payloads() {
    let mut s = connected();
    for (p, why) in [
        (r#"{"id":"-1","code":200}"#, "bad id"),
        (r#"{"id":-1,"code":200}"#, "bad id"),
        (r#"{"id":"4294967296","code":200}"#, "bad id"),
        (r#"{"id":"99999999999999999999999","code":200}"#, "bad id"),
        (r#"{"id":1e0,"code":200}"#, "bad id"),
        (r#"{"id":null,"code":200}"#, "bad id"),
        (r#"{"code":200}"#, "bad id"),
        (r#"{"id":"4294967295","code":200}"#, "unknown id"),
        (r#"{"id":"12345","code":200}"#, "unknown id"),
        ("", "bad JSON"),
        ("\0\0", "bad JSON"),
        (r#"{"id":"0","code":200"#, "bad JSON"),
        (r#"[{"id":"0","code":200}]"#, "not an object"),
    ] {
        assert_ignored(&mut s, p, why);
    }
    // Hostile bytes are quoted, bounded, in the log line.
    let junk = "\u{1}".repeat(500);
    s.ack_raw(&junk);
    let l = s.take_logs();
    assert!(l[0].text.len() < 64 * 4 + 100);
}

#[test]
fn duplicate_match_reply_is_ignored() {
    let mut s = connected();
    s.ack(0);
    let first = s.take();
    assert_eq!(notifies(&first).len(), 1);
    s.take_logs();
    s.ack(0);
    s.ack_raw(r#"{"id":0,"code":"200"}"#);
    assert!(s.take().is_empty());
    let logs = s.take_logs();
    assert!(logs
        .iter()
        .all(|l| l.text.contains("dup id") && l.level == Level::Debug));
    assert_eq!(s.m.stats().suc, 1);
}

#[test]
fn match_reply_before_any_report_is_ignored() {
    let mut s = Sim::new();
    assert_ignored(&mut s, r#"{"id":"0","code":200,"data":{}}"#, "unknown id 0");
    assert_eq!(s.m.stats().suc, 0);
    assert!(s.m.token_timed_out(s.now));
}

#[test]
fn report_ids_past_127_255_and_beyond_keep_matching() {
    let mut s = connected();
    s.ack(0);
    s.m.notify_stop(s.now, &mut s.rec);
    for expect in 1u32..=400 {
        s.advance(10);
        s.m.update_token(s.now, &mut s.rec);
        let (id, _) = last_report(&s.take());
        assert_eq!(id, expect);
        // Ids of the previous token (including the char-wrapped alias) do not count.
        s.ack(expect - 1);
        s.ack(expect.wrapping_sub(256));
        s.ack(expect % 128);
        if expect % 128 != expect {
            assert!(
                !s.m.report_token_suc(),
                "id {expect} matched a wrapped alias"
            );
        }
        s.ack(expect);
        assert!(s.m.report_token_suc(), "id {expect}");
    }
    assert_eq!(s.m.stats().suc, 401);
}

#[test]
fn notify_ack_matching() {
    let mut s = connected();
    s.ack(0);
    s.advance(100); // broadcasts 1 and 2
    s.take();
    s.take_logs();
    let tok = s.m.token();
    for (result, code, p) in [
        (-1, 0x45, Some(r#"{"id":1,"code":200}"#)),
        (0, 0x84, Some(r#"{"id":1,"code":200}"#)),
        (0, 0x45, None),
        (0, 0x45, Some(r#"{"id":1,"code":500}"#)),
        (0, 0x45, Some(r#"{"id":1}"#)),
        (0, 0x45, Some(r#"{"id":3,"code":200}"#)),
        (0, 0x45, Some(r#"{"id":0,"code":200}"#)),
        (0, 0x45, Some(r#"{"id":"x","code":200}"#)),
        (0, 0x45, Some(r#"{"id":1,"code":200"#)),
        (0, 0x45, Some("")),
    ] {
        s.m.on_notify_ack(s.now, result, code, p.map(str::as_bytes), &mut s.rec);
        assert!(s.take().is_empty(), "{p:?}");
        assert_eq!(s.take_logs().len(), 1, "{p:?}");
        assert_eq!(s.m.token(), tok);
    }
    // id 2 of this round, code as a string: accepted, the round ends, the token rotates.
    s.notify_ack(r#"{"id":2,"code":"200"}"#);
    let acts = s.take();
    assert_eq!(acts[0], Action::CancelNotify);
    let (_, t1) = last_report(&acts);
    assert_ne!(t1, tok);
    assert!(!s.m.notify_running());
    // A second ack of a broadcast of the old token does not rotate again.
    s.notify_ack(r#"{"id":1,"code":200}"#);
    s.notify_ack(r#"{"id":123,"code":200}"#);
    assert!(s.take().is_empty());
}

#[test]
fn notify_ack_legacy_id_123() {
    let mut s = connected();
    s.ack(0);
    s.take();
    s.notify_ack(r#"{"id":123,"code":200}"#);
    let acts = s.take();
    assert_eq!(acts[0], Action::CancelNotify);
    assert_eq!(reports(&acts).len(), 1);
    // Before any broadcast, 123 means nothing.
    let mut s = connected();
    s.notify_ack(r#"{"id":123,"code":200}"#);
    assert!(s.take().is_empty());
}

#[test]
fn answers_echo_the_id_as_the_spec_says() {
    let cases: &[(&str, &str)] = &[
        (r#"{"id":"123","version":"1.0","params":{}}"#, "123"),
        (r#"{"id":"abc"}"#, r#""abc""#),
        (r#"{"id":"a\"b\\c"}"#, r#""a\"b\\c""#),
        (r#"{"id":"007"}"#, r#""007""#),
        (r#"{"id":42}"#, "42"),
        (r#"{"id":-3.5}"#, "-3.5"),
        (r#"{"id":{"k":1}}"#, r#"{"k":1}"#),
        (r#"{"id":[1,2]}"#, "[1,2]"),
        (r#"{"id":true}"#, "true"),
        (r#"{"id":false}"#, "false"),
        (r#"{"id":null}"#, "null"),
        (r#"{"params":{}}"#, "null"),
    ];
    for (payload, want) in cases {
        let mut s = connected();
        s.ack(0);
        s.take();
        s.query(1, 1, true, payload);
        let a = answers(&s.take());
        assert_eq!(a.len(), 1, "{payload}");
        let text = answer_text(&a[0]);
        assert!(
            text.starts_with(&format!("{{\"id\":{want},\"code\":200,\"data\":{{")),
            "{text}"
        );
        assert!(judge(&text).is_object(), "{text}");
    }
}

#[test]
fn queries_without_an_answer() {
    let long = format!(r#"{{"id":"{}"}}"#, "1".repeat(33));
    for (payload, why) in [
        (Some(long.as_str()), "id too long"),
        (Some("[1]"), "not an object"),
        (Some("\"x\""), "not an object"),
        (Some("{"), "bad JSON"),
        (Some(""), "no payload"),
        (None, "no payload"),
    ] {
        let mut s = connected();
        s.ack(0);
        s.take();
        s.take_logs();
        s.m.on_query(
            s.now,
            Q::new(1, 1),
            true,
            payload.map(str::as_bytes),
            &mut s.rec,
        );
        assert!(s.take().is_empty(), "{payload:?}");
        let logs = s.take_logs();
        assert_eq!(logs.len(), 1);
        assert!(logs[0].text.contains(why), "{}", logs[0].text);
        assert_eq!(logs[0].level, Level::Warn);
    }
    // 32 bytes is fine.
    let mut s = connected();
    s.ack(0);
    s.take();
    s.query(1, 1, true, &format!(r#"{{"id":"{}"}}"#, "1".repeat(32)));
    let a = answers(&s.take());
    assert_eq!(a[0].id.kind, IdKind::Number);
    assert_eq!(a[0].id.text.len(), 32);
}

#[test]
fn four_phones_wait_a_fifth_is_dropped() {
    let mut s = connected(); // report 0 in flight
    for peer in 1..=4 {
        s.query(
            peer,
            100 + peer as u16,
            peer % 2 == 0,
            &format!(r#"{{"id":"{peer}"}}"#),
        );
    }
    // A retransmission is merged, not queued twice.
    s.query(2, 102, true, r#"{"id":"2"}"#);
    assert_eq!(s.m.pending_queries(), 4);
    assert!(
        s.take().is_empty(),
        "one report in flight already: nothing more"
    );
    s.take_logs();
    s.query(5, 105, true, r#"{"id":"5"}"#);
    assert_eq!(s.m.pending_queries(), 4);
    assert!(s.take().is_empty());
    let logs = s.take_logs();
    assert_eq!(logs.len(), 1);
    assert!(logs[0].text.contains("query dropped"), "{}", logs[0].text);
    assert_eq!(logs[0].level, Level::Warn);

    // Each ack answers the oldest with the acked token and reports a fresh one.
    let mut tokens = vec![];
    let mut total_reports = 0;
    let mut next_id = 0;
    for expect_peer in 1..=4u32 {
        s.advance(50);
        s.ack(next_id);
        let acts = s.take();
        let a = answers(&acts);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].ctx.peer, expect_peer, "arrival order");
        assert_eq!(a[0].mcast, expect_peer % 2 == 0);
        assert_eq!(a[0].id.text.as_slice(), expect_peer.to_string().as_bytes());
        tokens.push(a[0].token);
        let r = reports(&acts);
        assert_eq!(r.len(), 1);
        total_reports += 1;
        next_id = r[0].0;
        assert!(s.m.pending_queries() == (4 - expect_peer as usize));
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 4, "each phone gets a different token");
    assert_eq!(total_reports, 4, "one report per answer");
    // The last rotation's ack answers nobody and reports nothing.
    s.ack(next_id);
    let acts = s.take();
    assert!(answers(&acts).is_empty());
    assert!(reports(&acts).is_empty());
}
