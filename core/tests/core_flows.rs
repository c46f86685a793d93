//! The bind flows end to end on simulated time: A (report, ack, notify round), B (queries),
//! C (provisioned token), the reset report, deinit and the statistics post.

mod common_core;
use common_core::*;
use dev_bind_core::{Action, Answer, Config, Stats, Sub, IOTX_AWSS_BIND_NOTIFY, IOTX_RESET};

/// Run the clock deadline by deadline until `end`, returning (time, action) pairs.
fn run_until(s: &mut Sim, end: u64) -> Vec<(u64, Action<Answer<Q>>)> {
    let mut out = Vec::new();
    while let Some(t) = s.m.poll_at() {
        if t > end {
            break;
        }
        s.advance_to(t.max(s.now));
        for a in s.take() {
            out.push((s.now, a));
        }
    }
    s.advance_to(end);
    for a in s.take() {
        out.push((s.now, a));
    }
    out
}

#[test]
fn flow_a_connect_report_ack_notify_round() {
    let mut s = Sim::new();
    s.connect();
    let acts = s.take();
    let (id0, token) = last_report(&acts);
    assert_eq!(id0, 0, "report ids start at 0");
    assert_eq!(
        acts,
        vec![
            Action::Subscribe(Sub::MatchReply),
            Action::Subscribe(Sub::ResetReply),
            Action::RegisterQueries,
            Action::PublishReport { id: 0, token },
            Action::PublishStats {
                id: 1,
                stats: Stats {
                    cnt: 1,
                    trace_id: 1,
                    ..Stats::default()
                }
            },
        ]
    );
    assert_ne!(token, [0; 16]);
    assert_eq!(s.m.token(), token);
    assert!(!s.m.report_token_suc());
    assert_eq!(s.m.report_token_cnt(), 1);
    assert_eq!(s.m.token_remain_ms(s.now), 0, "not acknowledged yet");
    assert_eq!(s.m.poll_at(), Some(s.now + 30_000));

    // Nothing happens until the ack (no periodic reports, no notify).
    s.advance(200);
    assert!(s.take().is_empty());
    let t_ack = s.now;
    s.ack(0);
    assert!(s.logged("awss_report_token_reply"));
    let acts = s.take();
    assert_eq!(acts[0], Action::PostEvent(IOTX_AWSS_BIND_NOTIFY));
    assert_eq!(
        acts[1],
        Action::Notify {
            id: 1,
            dest: 0,
            token,
            remain_ms: 45_000 - 200
        }
    );
    assert_eq!(acts.len(), 2);
    assert!(s.m.report_token_suc());

    let timeline = run_until(&mut s, t_ack + 100_000);
    let sent: Vec<(u64, u32, u8, u32)> = timeline
        .iter()
        .filter_map(|(t, a)| match a {
            Action::Notify {
                id,
                dest,
                token: tk,
                remain_ms,
            } => {
                assert_eq!(*tk, token);
                Some((*t, *id, *dest, *remain_ms))
            }
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 29, "30 broadcasts in all");
    let mut at = t_ack;
    for (k, (t, id, dest, remain)) in sent.iter().enumerate() {
        let k = k as u64 + 1; // the broadcast before this one was the k-th
        at += k * 100;
        assert_eq!(*t, at, "gap after the {k}-th broadcast is k*100 ms");
        assert_eq!(*id as u64, k + 1);
        assert_eq!(*dest as u64, k % 4, "destinations cycle");
        assert_eq!(*remain as u64, 45_000 - (at - (t_ack - 200)));
    }
    // The round ends after its last gap with one cancel, then nothing more.
    let rest: Vec<_> = timeline
        .iter()
        .filter(|(_, a)| !matches!(a, Action::Notify { .. }))
        .collect();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].1, Action::CancelNotify);
    assert_eq!(rest[0].0, at + 30 * 100);
    assert_eq!(s.m.poll_at(), None);
    assert!(!s.m.notify_running());

    // The event is posted once per session, even for a later round.
    s.m.notify_start(s.now, Some(3), &mut s.rec);
    let acts = s.take();
    assert_eq!(count(&acts, |a| matches!(a, Action::PostEvent(_))), 0);
    assert_eq!(
        notifies(&acts).len(),
        0,
        "token expired by now: the round ends"
    );
    assert_eq!(acts, vec![Action::CancelNotify]);
}

#[test]
fn flow_b_valid_token_answered_at_once_then_rotated() {
    let mut s = Sim::new();
    s.connect();
    s.advance(50);
    s.ack(0);
    let (_, t0) = last_report(&[Action::PublishReport {
        id: 0,
        token: s.m.token(),
    }]);
    s.m.notify_stop(s.now, &mut s.rec);
    s.advance(1_000);
    s.take();
    s.take_logs();

    s.query(1, 10, true, r#"{"id":"123","version":"1.0","params":{}}"#);
    let acts = s.take();
    let ans = answers(&acts);
    assert_eq!(ans.len(), 1);
    assert_eq!(ans[0].ctx, Q::new(1, 10));
    assert!(ans[0].mcast);
    assert_eq!(ans[0].token, t0);
    assert_eq!(ans[0].remain_ms, 45_000 - 1_050);
    assert_eq!(
        answer_text(&ans[0]),
        format!(
            r#"{{"id":123,"code":200,"data":{{"awssVer":{{"smartconfig":"2.0","zconfig":"2.0","router":"2.0","ap":"2.0","softap":"2.0"}},"productKey":"a1pk","deviceName":"dev1","mac":"AA:BB:CC:DD:EE:FF","ip":"10.0.0.59","cipherType":3,"token":"{}","remainTime":43950,"type":0}}}}"#,
            hex(&t0)
        )
    );
    // Then a fresh token, reported at once (answer first, report after).
    assert!(matches!(acts[0], Action::Answer(_)));
    let (id1, t1) = last_report(&acts);
    assert_eq!(id1, 1);
    assert_ne!(t1, t0);
    assert_eq!(s.m.token(), t1);
    assert!(s.logged("update token"));

    // A unicast query now waits for the new token's ack.
    s.query(2, 20, false, r#"{"id":"5"}"#);
    assert!(s.take().is_empty(), "report in flight: just wait");
    assert_eq!(s.m.pending_queries(), 1);
    s.advance(300);
    s.ack(1);
    let acts = s.take();
    let ans = answers(&acts);
    assert_eq!(ans.len(), 1);
    assert!(!ans[0].mcast);
    assert_eq!(ans[0].token, t1);
    assert_eq!(ans[0].remain_ms, 45_000 - 300);
    let (id2, t2) = last_report(&acts);
    assert_eq!(id2, 2);
    assert_ne!(t2, t1);
}

#[test]
fn flow_b_expired_token_query_answered_when_ack_arrives() {
    let mut s = Sim::new();
    s.connect();
    s.ack(0);
    s.m.notify_stop(s.now, &mut s.rec);
    s.advance(45_000);
    s.take();
    assert_eq!(s.m.token_remain_ms(s.now), 0);
    s.query(7, 1, true, r#"{"id":"9"}"#);
    let acts = s.take();
    assert!(answers(&acts).is_empty());
    let (id, t1) = last_report(&acts);
    assert_eq!(id, 1);
    assert_eq!(s.m.poll_at(), Some(s.now + 30_000));
    // The answer goes out the moment the ack arrives, not at a polling tick.
    s.advance(1_234);
    assert!(s.take().is_empty());
    s.ack(1);
    let acts = s.take();
    let ans = answers(&acts);
    assert_eq!(ans.len(), 1);
    assert_eq!(ans[0].token, t1);
    assert_eq!(ans[0].remain_ms, 45_000 - 1_234);
    assert_eq!(reports(&acts).len(), 1, "then one rotation");
}

#[test]
fn flow_b_query_before_first_ack_waits_for_it() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    s.query(1, 1, false, r#"{"id":1}"#);
    assert!(s.take().is_empty(), "the connect report is in flight");
    s.advance(10);
    s.ack(0);
    let acts = s.take();
    // Notify round starts first (with the acked token), then the phone is answered, then the
    // token rotates.
    let order: Vec<&str> = acts
        .iter()
        .map(|a| match a {
            Action::PostEvent(_) => "event",
            Action::Notify { .. } => "notify",
            Action::Answer(_) => "answer",
            Action::PublishReport { .. } => "report",
            _ => "other",
        })
        .collect();
    assert_eq!(order, ["event", "notify", "answer", "report"]);
    let n = notifies(&acts)[0];
    assert_eq!(answers(&acts)[0].token, n.2);
    // The next broadcast, due in 100 ms, finds the new token unacked and waits for its ack:
    // no polling meanwhile (the only deadline left is the report retry).
    let t_ack = s.now;
    assert_eq!(s.m.poll_at(), Some(t_ack + 100));
    s.advance(100);
    assert!(notifies(&s.take()).is_empty());
    assert_eq!(s.m.poll_at(), Some(t_ack + 30_000));
    s.advance(400);
    s.ack(1);
    let acts = s.take();
    let n2 = notifies(&acts);
    assert_eq!(n2.len(), 1, "resumed at the ack");
    assert_eq!(n2[0].2, s.m.token());
}

#[test]
fn flow_c_provisioned_token_is_reported_not_a_fresh_one() {
    let phone = [0x11u8; 16];
    let mut s = Sim::new();
    s.m.connect(s.now, false, phone, &mut s.rec);
    let acts = s.take();
    assert_eq!(reports(&acts), vec![(0, phone)]);
    assert!(s.logged("provisioned"));
    s.ack(0);
    assert!(s.m.report_token_suc());
    assert_eq!(s.m.token(), phone);

    // A zero "provisioned" token is no token: a fresh one goes out.
    let mut s = Sim::new();
    s.m.connect(s.now, false, [0; 16], &mut s.rec);
    let (_, t) = last_report(&s.take());
    assert_ne!(t, [0; 16]);
    assert!(!s.logged("provisioned"));

    // aes_random holding the module's own current token (made by a report before any session)
    // is no provisioned token either; a token stored by set_token is reported instead.
    let mut s = Sim::new();
    s.m.report_token(s.now, &mut s.rec);
    let own = s.m.token();
    assert_ne!(own, [0; 16]);
    s.m.set_token(s.now, phone, &mut s.rec).unwrap();
    s.take();
    s.m.start_bind(s.now, own, &mut s.rec);
    assert_eq!(last_report(&s.take()).1, phone);
    // And without a stored token a fresh one goes out, not the old one as "provisioned".
    let mut s = Sim::new();
    s.m.report_token(s.now, &mut s.rec);
    let own = s.m.token();
    s.take();
    s.m.connect(s.now, false, own, &mut s.rec);
    let (_, t) = last_report(&s.take());
    assert_ne!(t, own);
    assert_ne!(t, [0; 16]);
    assert!(!s.logged("provisioned"));
}

#[test]
fn flow_c_set_token() {
    let phone = [0x22u8; 16];
    let mut s = Sim::new();
    assert_eq!(s.m.set_token(s.now, [0; 16], &mut s.rec), Err(()));
    assert_eq!(s.m.set_token(s.now, phone, &mut s.rec), Ok(()));
    assert!(s.take().is_empty(), "stored for the next bind start");
    s.connect();
    assert_eq!(reports(&s.take()), vec![(0, phone)]);
    // While binding: adopted and reported now, unacked, attempts restarted.
    s.ack(0);
    let other = [0x33u8; 16];
    s.advance(5);
    assert_eq!(s.m.set_token(s.now, other, &mut s.rec), Ok(()));
    let acts = s.take();
    assert_eq!(reports(&acts), vec![(1, other)]);
    assert!(!s.m.report_token_suc());
    assert_eq!(s.m.report_token_cnt(), 1);
    // The stored token is used once: after deinit, a fresh one.
    s.m.deinit(s.now, &mut s.rec);
    s.connect();
    let (_, t) = last_report(&s.take());
    assert_ne!(t, phone);
    assert_ne!(t, other);
}

#[test]
fn reset_flag_reports_reset_first_then_binds_on_ack() {
    let mut s = Sim::new();
    let t0 = s.now;
    s.m.connect(t0, true, [0; 16], &mut s.rec);
    assert_eq!(
        s.take(),
        vec![
            Action::Subscribe(Sub::MatchReply),
            Action::Subscribe(Sub::ResetReply),
            Action::PublishReset { id: 0 },
        ]
    );
    assert!(s.m.session_active());
    assert!(!s.m.bind_running());
    // Queries are ignored while the reset is pending.
    s.query(1, 1, true, r#"{"id":1}"#);
    assert!(s.take().is_empty());
    assert!(s.logged("bind not running"));
    // Retries: 3 s doubling to 60 s.
    let mut times = Vec::new();
    while s.now < t0 + 400_000 {
        let t = s.m.poll_at().unwrap();
        s.advance_to(t);
        for a in s.take() {
            assert!(matches!(a, Action::PublishReset { .. }));
            times.push(s.now - t0);
        }
    }
    let want_gaps = [
        3_000u64, 6_000, 12_000, 24_000, 48_000, 60_000, 60_000, 60_000,
    ];
    let mut prev = 0;
    for (i, g) in want_gaps.iter().enumerate() {
        assert_eq!(times[i] - prev, *g, "retry {i}");
        prev = times[i];
    }
    let last_id = times.len() as u32;
    // The ack: flag cleared, IOTX_RESET posted, binding starts.
    s.reset_reply(&format!(r#"{{"id":"{last_id}","code":200,"data":{{}}}}"#));
    let acts = s.take();
    assert_eq!(acts[0], Action::SetResetFlag(false));
    assert_eq!(acts[1], Action::PostEvent(IOTX_RESET));
    assert_eq!(acts[2], Action::RegisterQueries);
    assert!(matches!(acts[3], Action::PublishReport { id: 0, .. }));
    assert!(matches!(acts[4], Action::PublishStats { .. }));
    assert_eq!(acts.len(), 5);
    assert!(s.m.bind_running());
    assert!(!s.m.reset_outstanding());
    // A second reply is ignored: nothing outstanding.
    s.reset_reply(r#"{"id":"0","code":200}"#);
    assert!(s.take().is_empty());
    assert!(s.logged("reset_reply ignored: none outstanding"));
}

#[test]
fn report_reset_persists_flag_and_subscribes_without_session() {
    let mut s = Sim::new();
    s.m.report_reset(s.now, &mut s.rec);
    assert_eq!(
        s.take(),
        vec![
            Action::SetResetFlag(true),
            Action::Subscribe(Sub::ResetReply),
            Action::PublishReset { id: 0 },
        ]
    );
    // Reply rules: bad code, unknown id, invalid JSON are ignored.
    for bad in [
        r#"{"id":"0","code":500}"#,
        r#"{"id":"0","code":"oops"}"#,
        r#"{"id":"1","code":200}"#,
        r#"{"id":"x","code":200}"#,
        r#"{"id":-1}"#,
        r#"not json"#,
        r#"[]"#,
    ] {
        s.reset_reply(bad);
        assert!(s.take().is_empty(), "{bad}");
        assert!(s.m.reset_outstanding());
        assert_eq!(s.take_logs().len(), 1, "one line for {bad}");
    }
    // An id no reset report of this boot had: refused with the id.
    s.reset_reply(r#"{"id":7}"#);
    assert!(s.take().is_empty());
    assert!(s.logged("reset_reply ignored: unknown id 7"));
    // Code and id absent: accepted. No session: binding does not start.
    s.reset_reply("{}");
    assert_eq!(
        s.take(),
        vec![Action::SetResetFlag(false), Action::PostEvent(IOTX_RESET)]
    );
    assert!(!s.m.session_active());

    // stop_report_reset: no more retries; the flag stays (no SetResetFlag(false)).
    s.m.report_reset(s.now, &mut s.rec);
    s.take();
    s.m.stop_report_reset(s.now, &mut s.rec);
    assert_eq!(s.m.poll_at(), None);
    s.advance(1_000_000);
    assert!(s.take().is_empty());
}

#[test]
fn deinit_then_connect_starts_afresh() {
    let mut s = Sim::new();
    s.connect();
    s.ack(0);
    s.query(1, 1, true, r#"{"id":1}"#); // answered + rotated (report 1 in flight)
    s.query(2, 1, true, r#"{"id":2}"#); // pending
    assert_eq!(s.m.pending_queries(), 1);
    s.take();
    s.m.deinit(s.now, &mut s.rec);
    assert_eq!(
        s.take(),
        vec![
            Action::CancelNotify,
            Action::Unsubscribe(Sub::MatchReply),
            Action::Unsubscribe(Sub::ResetReply),
            Action::DeinitCoap,
        ]
    );
    assert_eq!(s.m.pending_queries(), 0);
    assert_eq!(s.m.token(), [0; 16]);
    assert!(s.m.token_timed_out(s.now));
    assert_eq!(s.m.stats(), Stats::default());
    assert_eq!(s.m.poll_at(), None);
    // A late ack of the old token does nothing.
    s.ack(1);
    assert!(s.take().is_empty());

    s.advance(10);
    s.connect();
    let acts = s.take();
    let (id, _) = last_report(&acts);
    assert_eq!(id, 2, "ids never repeat within a boot");
    assert_eq!(acts.len(), 5);
    assert!(acts.contains(&Action::RegisterQueries));
    assert!(acts.contains(&Action::PublishStats {
        id: 2,
        stats: Stats {
            cnt: 1,
            trace_id: 1,
            ..Stats::default()
        }
    }));
    s.ack(2);
    let acts = s.take();
    assert_eq!(
        acts[0],
        Action::PostEvent(IOTX_AWSS_BIND_NOTIFY),
        "posted again"
    );
    // A second connect in the same session starts nothing.
    s.connect();
    assert!(s.take().is_empty());
    // Nor does start_bind.
    s.m.start_bind(s.now, [0; 16], &mut s.rec);
    assert!(s.take().is_empty());
}

#[test]
fn statistics_post_over_several_tokens() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    s.advance(100);
    s.ack(0); // 100 ms
    s.m.notify_stop(s.now, &mut s.rec);
    s.m.update_token(s.now, &mut s.rec);
    s.advance(300);
    s.ack(1); // 300 ms
    s.m.update_token(s.now, &mut s.rec);
    s.advance(30_000); // re-report (id 3) at +30 s
    s.advance(500);
    s.ack(3); // 30 500 ms from the first report of that token
    s.m.update_token(s.now, &mut s.rec); // never acked
    s.take();
    let st = s.m.stats();
    assert_eq!(st.cnt, 5, "publishes: 1 + 1 + 2 + 1");
    assert_eq!(st.suc, 3);
    assert_eq!(st.min_ms, 100);
    assert_eq!(st.max_ms, 30_500);
    assert_eq!(st.mean_ms, (100 + 300 + 30_500) / 3);
    assert_eq!(st.trace_id, 5);
    s.m.report_stats(&mut s.rec);
    assert_eq!(s.take(), vec![Action::PublishStats { id: 2, stats: st }]);
    s.m.clear_stats();
    assert_eq!(s.m.stats(), Stats::default());
    s.m.report_stats(&mut s.rec);
    assert!(s.take().is_empty(), "nothing to post without a count");
    // Legacy entry points: a success with no start is not counted.
    s.m.update_stats(s.now, 1);
    assert_eq!(s.m.stats().suc, 0);
    s.m.update_stats(s.now, 0);
    s.advance(40);
    s.m.update_stats(s.now, 1);
    s.m.update_stats(s.now, 1);
    s.m.update_stats(s.now, 7);
    let st = s.m.stats();
    assert_eq!(
        (st.cnt, st.suc, st.min_ms, st.max_ms, st.mean_ms),
        (1, 1, 40, 40, 40)
    );
}

#[test]
fn report_token_and_stop_report_token() {
    let mut s = Sim::new();
    // No token yet: report_token makes one.
    s.m.report_token(s.now, &mut s.rec);
    let (id, t) = last_report(&s.take());
    assert_eq!(id, 0);
    assert_ne!(t, [0; 16]);
    s.ack(0);
    assert!(s.m.report_token_suc());
    // Again: same token, attempts restarted, needs a new ack.
    s.advance(1_000);
    s.m.report_token(s.now, &mut s.rec);
    assert_eq!(reports(&s.take()), vec![(1, t)]);
    assert!(!s.m.report_token_suc());
    assert_eq!(s.m.report_token_cnt(), 1);
    s.ack(0); // an earlier report of the same token still counts
    assert!(s.m.report_token_suc());
    assert_eq!(
        s.m.token_remain_ms(s.now),
        45_000,
        "lifetime from the last report"
    );
    // stop: no retries, token forgotten.
    s.m.report_token(s.now, &mut s.rec);
    s.m.stop_report_token(s.now, &mut s.rec);
    assert_eq!(s.m.token(), [0; 16]);
    assert!(!s.m.report_in_flight());
    assert_eq!(s.m.poll_at(), None);
    assert!(s.m.token_timed_out(s.now));
    s.ack(2);
    assert!(!s.m.report_token_suc());
}

/// A cloud that acknowledges later than a token lives: each ack finds the token expired, the
/// waiting phone cannot be answered, and the token rotates. The phone waits no longer than
/// one token's reports may take (retry x attempts, here 60 s); then it is dropped with a
/// warning and the acks stop causing reports (they used to, for as long as the cloud was slow).
#[test]
fn flow_b_phone_waits_no_longer_than_a_tokens_reports() {
    let cfg = Config {
        token_lifetime_ms: 1_000,
        ..Config::DEFAULT
    };
    let mut s = Sim::with_config(cfg);
    s.connect();
    s.ack(0);
    s.m.notify_stop(s.now, &mut s.rec);
    s.advance(1_000);
    s.take();
    s.take_logs();
    let asked = s.now;
    s.query(7, 1, true, r#"{"id":"9"}"#);
    let mut last = last_report(&s.take()).0;
    let mut rotations = 0;
    while s.m.pending_queries() == 1 {
        s.advance(2_000);
        s.ack(last);
        let acts = s.take();
        assert!(
            answers(&acts).is_empty(),
            "an expired token is never handed out"
        );
        if let Some(&(id, _)) = reports(&acts).last() {
            last = id;
            rotations += 1;
        }
        assert!(
            s.now - asked <= 62_000,
            "the phone still waits after {} ms",
            s.now - asked
        );
    }
    assert!(
        rotations >= 20,
        "the cloud's late acks rotated the token {rotations} times"
    );
    assert!(s.logged("query dropped: no acked token in time"));
    // Nobody waits any more: a late ack rotates nothing.
    s.advance(2_000);
    s.ack(last);
    assert!(reports(&s.take()).is_empty());
}
