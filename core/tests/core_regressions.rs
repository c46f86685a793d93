//! Regression tests, each named after a defect of the C module that we must not reproduce
//! (SPEC end of section 6 and section 8).

mod common_core;
use common_core::*;
use dev_bind_core::{Action, Config, Sub};

fn acked_session() -> Sim {
    let mut s = Sim::new();
    s.connect();
    s.ack(0);
    s.take();
    s.take_logs();
    s
}

/// The C module keeps the report id in a `char`: after 127 it wraps (negative on signed-char
/// platforms) and replies stop matching. Ours is a u32 that never repeats within a boot.
#[test]
fn c_defect_report_id_char_wrap_at_127() {
    let mut s = acked_session();
    s.m.notify_stop(s.now, &mut s.rec);
    let mut ids = vec![0u32];
    for _ in 0..310 {
        s.m.update_token(s.now, &mut s.rec);
        let (id, _) = last_report(&s.take());
        ids.push(id);
        // The signed-char alias of the id never matches ...
        s.ack_raw(&format!(r#"{{"id":"{}","code":200}}"#, id as u8 as i8));
        if id > 127 {
            assert!(!s.m.report_token_suc(), "alias of {id}");
        }
        // ... the id itself always does.
        s.ack(id);
        assert!(s.m.report_token_suc(), "id {id}");
        s.advance(1);
    }
    let mut sorted = ids.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "ids never repeat");
    assert_eq!(*ids.last().unwrap(), 310);
    let mut buf = [0u8; 256];
    let mut w = dev_bind_core::render::Writer::new(&mut buf);
    dev_bind_core::render::report(&mut w, 300, &[0; 16]);
    assert!(w.as_bytes().starts_with(br#"{"id":"300","#));
}

/// The C module accepts any `match_reply`, whatever its `code`.
#[test]
fn c_defect_match_reply_code_never_checked() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    s.ack_raw(r#"{"id":"0","code":6100,"data":{},"message":"token invalid"}"#);
    assert!(!s.m.report_token_suc());
    assert!(s.take().is_empty(), "no notify round on a refusal");
    assert_eq!(s.m.token_remain_ms(s.now), 0);
    assert!(s.m.report_in_flight(), "still waiting for a real ack");
}

/// The C notify timer keeps polling forever once the token expires. Ours ends the round and
/// asks for no more polls when nothing is in flight.
#[test]
fn c_defect_notify_timer_polls_forever_after_token_expiry() {
    let cfg = Config {
        token_lifetime_ms: 2_000,
        ..Config::DEFAULT
    };
    let mut s = Sim::with_config(cfg);
    s.connect();
    s.ack(0);
    let mut sent = notifies(&s.take()).len();
    // Broadcasts at 0, 100, 300, 600, 1000, 1500 ms; the one due at 2100 finds it expired.
    s.advance(2_100);
    let acts = s.take();
    sent += notifies(&acts).len();
    assert_eq!(sent, 6);
    assert_eq!(acts.last(), Some(&Action::CancelNotify));
    assert!(s.logged("notify ended"));
    assert!(!s.m.notify_running());
    assert_eq!(s.m.poll_at(), None, "nothing in flight: no timer at all");
    s.advance(24 * 3_600_000);
    assert!(s.take().is_empty());
    // A round started without a valid token ends at once too.
    s.m.notify_start(s.now, None, &mut s.rec);
    assert_eq!(s.take(), vec![Action::CancelNotify]);
    assert_eq!(s.m.poll_at(), None);
}

/// A race in the C module turns the 30 broadcasts into one every 100 ms without end. Ours
/// sends exactly `count`, whatever starts and acks arrive meanwhile.
#[test]
fn c_defect_endless_100ms_notify_race() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    // A round requested before the first ack waits; the ack resumes it, it does not add one.
    s.m.notify_start(s.now, None, &mut s.rec);
    assert!(notifies(&s.take()).is_empty());
    s.advance(10);
    s.ack(0);
    s.ack(0); // duplicate
    s.m.start_bind(s.now, [0; 16], &mut s.rec); // idempotent
    let mut times = vec![];
    let end = s.now + 3_600_000;
    loop {
        for a in s.take() {
            if let Action::Notify { .. } = a {
                times.push(s.now);
            }
        }
        match s.m.poll_at() {
            Some(t) if t <= end => s.advance_to(t),
            _ => break,
        }
    }
    assert_eq!(times.len(), 30, "exactly 30 broadcasts");
    times.dedup();
    assert_eq!(times.len(), 30, "never two at once");
    assert_eq!(s.m.poll_at(), None);
    s.advance(3_600_000);
    assert!(notifies(&s.take()).is_empty(), "then nothing");
}

/// In the C module a query that arrives while the cloud is silent blocks every later query
/// forever (and leaks its context). Ours gives up with the reports, drops the query with a
/// log line, and a later query starts a new report and gets its answer.
#[test]
fn c_defect_silent_cloud_query_blocks_later_queries_forever() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    s.query(1, 1, true, r#"{"id":"1"}"#);
    assert_eq!(s.m.pending_queries(), 1);
    s.advance(60_000);
    assert!(s.logged("try 2 times fail"));
    assert!(s.logged("query dropped: no ack"));
    assert_eq!(s.m.pending_queries(), 0);
    assert_eq!(s.m.poll_at(), None);
    s.take();
    s.advance(100_000);
    s.query(2, 1, true, r#"{"id":"2"}"#);
    let acts = s.take();
    let (id, tok) = last_report(&acts);
    assert!(answers(&acts).is_empty());
    s.advance(20);
    s.ack(id);
    let a = answers(&s.take());
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].ctx, Q::new(2, 1));
    assert_eq!(a[0].token, tok);
}

/// `awss_bind_deinit()` in the C module cannot be undone by `awss_report_cloud()`.
#[test]
fn c_defect_deinit_not_undoable() {
    let mut s = acked_session();
    s.m.deinit(s.now, &mut s.rec);
    s.take();
    for round in 0..3 {
        s.connect();
        let acts = s.take();
        assert_eq!(acts[0], Action::Subscribe(Sub::MatchReply), "round {round}");
        assert!(acts.contains(&Action::RegisterQueries));
        let (id, _) = last_report(&acts);
        s.ack(id);
        let acts = s.take();
        assert_eq!(notifies(&acts).len(), 1, "notify round runs again");
        s.query(9, round, true, r#"{"id":1}"#);
        assert_eq!(answers(&s.take()).len(), 1);
        s.m.deinit(s.now, &mut s.rec);
        assert!(s.take().contains(&Action::DeinitCoap));
    }
}

/// In the C module a query pending at deinit survives it, is answered later and restarts the
/// CoAP server.
#[test]
fn c_defect_pending_query_survives_deinit() {
    let mut s = Sim::new();
    s.connect();
    s.query(1, 1, true, r#"{"id":"1"}"#);
    s.query(2, 2, false, r#"{"id":"2"}"#);
    assert_eq!(s.m.pending_queries(), 2);
    s.take();
    s.m.deinit(s.now, &mut s.rec);
    let acts = s.take();
    assert!(answers(&acts).is_empty());
    assert_eq!(s.m.pending_queries(), 0);
    // A late ack, later queries, hours of time: no answer, no CoAP restart.
    s.ack(0);
    s.query(3, 3, true, r#"{"id":"3"}"#);
    s.advance(10 * 3_600_000);
    let acts = s.take();
    assert!(answers(&acts).is_empty());
    assert!(!acts.contains(&Action::RegisterQueries));
    assert!(acts.is_empty(), "{acts:?}");
}

/// The C statistics compute a wrong mean and count a reply that arrives before any report
/// as a success.
#[test]
fn c_defect_statistics_mean_wrong_and_reply_before_report_counted() {
    let mut s = Sim::new();
    s.ack(0); // before any report
    s.m.update_stats(s.now, 1); // legacy success with no start
    assert_eq!(s.m.stats().suc, 0);
    s.connect();
    for (i, delay) in [100u64, 200, 600, 1_100].iter().enumerate() {
        if i > 0 {
            s.m.update_token(s.now, &mut s.rec);
        }
        s.advance(*delay);
        s.ack(i as u32);
    }
    let st = s.m.stats();
    assert_eq!(st.suc, 4);
    assert_eq!(st.cnt, 4);
    assert_eq!(st.mean_ms, 500, "(100+200+600+1100)/4");
    assert_eq!((st.min_ms, st.max_ms), (100, 1_100));
}

/// The C handlers dereference NULL on odd MQTT events and CoAP requests; the core gets
/// `None`/empty payloads for those and must log and carry on.
#[test]
fn c_defect_null_and_odd_events() {
    let mut s = acked_session();
    let tok = s.m.token();
    s.m.on_notify_ack(s.now, 0, 0x45, None, &mut s.rec);
    s.m.on_notify_ack(s.now, 1, 0, None, &mut s.rec);
    s.m.on_query(s.now, Q::new(1, 1), true, None, &mut s.rec);
    s.m.on_match_reply(s.now, &[], &mut s.rec);
    s.m.on_reset_reply(s.now, &[], &mut s.rec);
    assert!(s.take().is_empty());
    assert_eq!(s.m.token(), tok);
    assert!(s.rec.logs.len() >= 5);
}

/// The C module answers odd ids with invalid JSON (it prints the id text between quotes or
/// bare without looking at it).
#[test]
fn c_defect_invalid_json_answers_for_odd_ids() {
    for payload in [
        r#"{"id":"\"quoted\""}"#,
        r#"{"id":"x\\"}"#,
        r#"{"id":{"nested":{"a":[1,2]}}}"#,
        r#"{"id":"0123"}"#,
        r#"{"id":"\u0000"}"#,
        r#"{"nope":1}"#,
    ] {
        let mut s = acked_session();
        s.query(1, 1, true, payload);
        let a = answers(&s.take());
        assert_eq!(a.len(), 1);
        let text = answer_text(&a[0]);
        assert!(judge(&text).is_object(), "{payload} -> {text}");
    }
}

/// A `match_reply` with code 200 and the right id that arrives before its report was
/// published (a stale reply from before a reboot: ids restart at 0) must not confirm the
/// token: the notify round would broadcast a token the cloud never got, and the report would
/// never be retried. A reply that arrives while the publish is under way (inside
/// `IOT_MQTT_Publish_Simple`, after the shell said it is sending) still confirms.
#[test]
fn stale_match_reply_before_the_report_is_published_does_not_confirm() {
    let mut s = Sim::new();
    s.connect();
    let (id, _) = last_report(&s.take());
    assert_eq!(id, 0);
    // Delivered right after the subscription, before the shell publishes report 0.
    s.ack_raw(r#"{"id":"0","code":200,"data":{}}"#);
    assert!(!s.m.report_token_suc(), "a stale reply confirmed the token");
    assert!(
        notifies(&s.take()).is_empty(),
        "no round with an unconfirmed token"
    );
    assert!(s.logged("match_reply ignored: unknown id 0"));
    assert!(
        s.m.report_in_flight(),
        "the report is still waiting for its answer"
    );
    // The shell publishes it; the cloud's answer arrives during the publish call.
    s.m.report_sending(0);
    s.ack_raw(r#"{"id":"0","code":200,"data":{}}"#);
    assert!(s.m.report_token_suc());
    assert_eq!(notifies(&s.take()).len(), 1, "the round starts");
}

/// Without an answer the report is retried: a stale reply does not stop that.
#[test]
fn stale_match_reply_does_not_stop_the_retry() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    s.ack_raw(r#"{"id":"0","code":200,"data":{}}"#);
    s.m.report_sending(0);
    s.advance(30_000);
    let (id, _) = last_report(&s.take());
    assert_eq!(id, 1, "re-reported after the retry time");
    s.ack(1);
    assert!(s.m.report_token_suc());
}

/// The query resources are registered before anything can be served: at every bind start the
/// machine asks for the CoAP server and its resources before the token report, whose answer
/// may arrive while it is being published and start the notify round at once.
#[test]
fn resources_are_registered_before_the_report_at_every_bind_start() {
    let mut s = Sim::new();
    for _ in 0..3 {
        s.connect();
        let actions = s.take();
        let register = actions
            .iter()
            .position(|a| matches!(a, Action::RegisterQueries))
            .expect("RegisterQueries");
        let report = actions
            .iter()
            .position(|a| matches!(a, Action::PublishReport { .. }))
            .expect("a report");
        assert!(register < report, "{actions:?}");
        // The answer comes at once: the round's first notify follows the registration.
        let (id, _) = last_report(&actions);
        s.ack(id);
        assert_eq!(notifies(&s.take()).len(), 1);
        s.m.deinit(s.now, &mut s.rec);
        s.take();
    }
}

/// `awss_report_cloud(); awss_cmp_online_init(); awss_cmp_online_deinit();` left `match_reply`
/// unsubscribed for the rest of the session (the C module's online calls subscribed and
/// unsubscribed it behind the bind flow's back), and a second `awss_report_cloud()` did not
/// repair it. The machine now owns the legacy online subscription too.
#[test]
fn online_calls_keep_the_sessions_match_reply_subscription() {
    let unsubscribes = |a: &[Action<_>]| count(a, |a| *a == Action::Unsubscribe(Sub::MatchReply));
    let mut s = Sim::new();
    s.connect();
    s.take();
    s.m.online_init(s.now, &mut s.rec);
    assert!(s.take().is_empty(), "already subscribed by the session");
    s.m.online_deinit(s.now, &mut s.rec);
    assert_eq!(unsubscribes(&s.take()), 0, "the session still wants it");
    s.ack(0);
    assert!(s.m.report_token_suc(), "the session still hears its acks");
    // Outside a session the online calls subscribe and unsubscribe it.
    s.m.deinit(s.now, &mut s.rec);
    s.take();
    s.m.online_init(s.now, &mut s.rec);
    assert_eq!(s.take(), vec![Action::Subscribe(Sub::MatchReply)]);
    s.m.online_deinit(s.now, &mut s.rec);
    assert_eq!(s.take(), vec![Action::Unsubscribe(Sub::MatchReply)]);
    s.m.online_deinit(s.now, &mut s.rec);
    assert!(s.take().is_empty(), "once");
}

/// A second `awss_report_cloud()` during a session takes again a reply topic it lost.
#[test]
fn a_second_connect_repairs_a_lost_subscription() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    s.connect();
    let acts = s.take();
    assert_eq!(acts, vec![Action::Subscribe(Sub::MatchReply)]);
    s.connect();
    assert!(s.take().is_empty(), "nothing new while subscribed");
}
