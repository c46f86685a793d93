//! The transitions of the machine's states that the flows pass by: the token report's
//! (`NoToken`, `InFlight`, `Unsent`, `Acked`, `GaveUp`), the notify round's arming and the
//! reply topics' subscriptions, each seen through the public API: the actions, the log lines,
//! `poll_at` and the mirrors of the C data symbols.

mod common_core;

use common_core::{notifies, reports, Sim};
use dev_bind_core::machine::SUBSCRIBE_RETRY_MS;
use dev_bind_core::{Action, Answer, Config, Sub};

/// Let the current token's report give up (2 attempts, 30 s apart).
fn give_up(s: &mut Sim) {
    s.advance(60_000);
    assert!(s.logged("try 2 times fail"));
    assert!(!s.m.report_in_flight());
}

#[test]
fn no_token_until_a_report_and_none_after_a_stop() {
    let mut s = Sim::new();
    assert_eq!(s.m.token(), [0; 16]);
    assert_eq!(s.m.report_token_cnt(), 0);
    assert!(!s.m.report_token_suc());
    assert!(!s.m.report_in_flight());
    assert_eq!(s.m.poll_at(), None);
    s.connect();
    assert_ne!(s.m.token(), [0; 16]);
    assert_eq!(s.m.report_token_cnt(), 1);
    s.m.stop_report_token(s.now, &mut s.rec);
    assert_eq!(s.m.token(), [0; 16]);
    assert_eq!(s.m.report_token_cnt(), 0);
    assert!(!s.m.report_in_flight());
    // Nothing of the report is left to time.
    s.take();
    s.advance(600_000);
    assert!(reports(&s.take()).is_empty());
    // `awss_report_token()` without a token makes one.
    s.m.report_token(s.now, &mut s.rec);
    assert_eq!(reports(&s.take()).len(), 1);
    assert_ne!(s.m.token(), [0; 16]);
}

#[test]
fn a_late_reply_confirms_a_token_whose_reports_gave_up() {
    let mut s = Sim::new();
    s.connect();
    s.m.report_sending(0);
    give_up(&mut s);
    assert_eq!(s.m.report_token_cnt(), 2, "the attempts made stay visible");
    assert!(!s.m.report_token_suc());
    s.take();
    // Nothing is retried after giving up.
    s.advance(600_000);
    assert!(reports(&s.take()).is_empty());
    assert_eq!(s.m.poll_at(), None);
    // The reply to the first report, long after: the token is confirmed, its count kept.
    s.ack(0);
    assert!(s.logged("awss_report_token_reply id 0"));
    assert!(s.m.report_token_suc());
    assert_eq!(s.m.report_token_cnt(), 2);
    assert_eq!(
        s.m.token_remain_ms(s.now),
        0,
        "its lifetime ran out meanwhile"
    );
    // A second copy of the reply is a duplicate.
    s.ack(0);
    assert!(s.logged("match_reply ignored: dup id 0"));
}

#[test]
fn a_reply_to_a_report_that_went_out_confirms_while_the_next_one_is_unsent() {
    let mut s = Sim::new();
    s.connect();
    s.m.report_sending(0);
    s.take();
    s.advance(30_000);
    let (id, _) = reports(&s.take())[0];
    assert_eq!(id, 1);
    assert_eq!(s.m.report_token_cnt(), 2);
    // The second publish fails locally: no attempt, published again later.
    s.m.report_sending(1);
    s.m.report_failed(s.now, 1, &mut s.rec);
    assert_eq!(s.m.report_token_cnt(), 1);
    assert!(s.m.report_in_flight());
    // The cloud answers the first: confirmed, and the unsent one is not published again.
    s.ack(0);
    assert!(s.m.report_token_suc());
    assert!(!s.m.report_in_flight());
    assert_eq!(s.m.report_token_cnt(), 1);
    s.take();
    s.advance(600_000);
    assert!(reports(&s.take()).is_empty());
    // A failure told now is of a report nobody waits for: nothing changes.
    s.m.report_failed(s.now, 1, &mut s.rec);
    assert!(s.m.report_token_suc());
    assert!(!s.m.report_in_flight());
}

#[test]
fn reporting_an_acknowledged_token_again_restarts_its_attempts() {
    let mut s = Sim::new();
    s.connect();
    s.ack(0);
    assert!(s.m.report_token_suc());
    let token = s.m.token();
    s.take();
    s.m.report_token(s.now, &mut s.rec);
    let r = reports(&s.take());
    assert_eq!(r, vec![(1, token)], "the same token, reported again");
    assert!(
        !s.m.report_token_suc(),
        "not valid until acknowledged again"
    );
    assert_eq!(s.m.token_remain_ms(s.now), 0);
    assert_eq!(s.m.report_token_cnt(), 1);
    // Its attempts run out as a new token's would.
    give_up(&mut s);
    assert_eq!(s.m.report_token_cnt(), 2);
    // A reconnect does not report an acknowledged token again.
    let mut s = Sim::new();
    s.connect();
    s.ack(0);
    s.take();
    s.connect();
    assert!(reports(&s.take()).is_empty());
    assert!(s.m.report_token_suc());
}

#[test]
fn a_reconnect_reports_a_given_up_token_only_while_binding() {
    // Reported outside a session (the legacy online subscription): a reconnect's session
    // waits for the reset's ack, so the given-up token waits too.
    let mut s = Sim::new();
    s.m.online_init(s.now, &mut s.rec);
    s.m.report_token(s.now, &mut s.rec);
    give_up(&mut s);
    s.take();
    s.m.connect(s.now, true, [0; 16], &mut s.rec);
    assert!(s.m.session_active() && !s.m.bind_running());
    assert!(reports(&s.take()).is_empty());
    s.m.connect(s.now, false, [0; 16], &mut s.rec);
    assert!(
        reports(&s.take()).is_empty(),
        "still waiting for the reset's ack"
    );
    assert!(!s.logged("token unconfirmed: report again"));
}

#[test]
fn a_config_with_one_attempt_gives_up_after_the_first_report() {
    let mut s = Sim::with_config(Config {
        report_attempts: 1,
        ..Config::DEFAULT
    });
    s.connect();
    s.take();
    s.advance(30_000);
    assert!(s.logged("try 1 times fail"));
    assert!(reports(&s.take()).is_empty());
    assert_eq!(s.m.report_token_cnt(), 1);
}

#[test]
fn subscriptions_are_made_once_and_undone_once() {
    let mut s = Sim::new();
    s.m.online_init(s.now, &mut s.rec);
    s.m.online_init(s.now, &mut s.rec);
    s.connect();
    s.connect();
    let acts = s.take();
    let subs = |a: &[Action<_>], sub| a.iter().filter(|x| **x == Action::Subscribe(sub)).count();
    assert_eq!(subs(&acts, Sub::MatchReply), 1);
    assert_eq!(subs(&acts, Sub::ResetReply), 1);
    // The legacy subscription ends, the session still wants match_reply: kept.
    s.m.online_deinit(s.now, &mut s.rec);
    assert!(!s.take().contains(&Action::Unsubscribe(Sub::MatchReply)));
    s.m.deinit(s.now, &mut s.rec);
    let acts = s.take();
    assert!(acts.contains(&Action::Unsubscribe(Sub::MatchReply)));
    assert!(acts.contains(&Action::Unsubscribe(Sub::ResetReply)));
    s.m.deinit(s.now, &mut s.rec);
    assert!(!s.take().iter().any(|a| matches!(a, Action::Unsubscribe(_))));
}

#[test]
fn the_sessions_round_starts_at_the_first_ack_only() {
    let mut s = Sim::new();
    s.connect();
    assert!(!s.m.notify_running(), "armed is not running");
    s.take();
    s.ack(0);
    assert!(s.m.notify_running());
    assert_eq!(notifies(&s.take()).len(), 1);
    s.m.notify_stop(s.now, &mut s.rec);
    // The next token's ack starts no round: the session's round was started once.
    s.m.update_token(s.now, &mut s.rec);
    s.take();
    s.ack(1);
    assert!(!s.m.notify_running());
    assert_eq!(notifies(&s.take()).len(), 0);
}

#[test]
fn stopping_the_notify_before_the_first_ack_disarms_the_sessions_round() {
    let mut s = Sim::new();
    s.connect();
    s.m.notify_stop(s.now, &mut s.rec);
    assert!(!s.logged("notify stopped"), "no round ran: nothing to stop");
    assert!(!s.take().contains(&Action::CancelNotify));
    s.ack(0);
    assert!(!s.m.notify_running());
    assert_eq!(notifies(&s.take()).len(), 0);
    // The legacy online deinit stops it the same way.
    let mut s = Sim::new();
    s.m.online_init(s.now, &mut s.rec);
    s.connect();
    s.m.online_deinit(s.now, &mut s.rec);
    s.take();
    s.ack(0);
    assert_eq!(notifies(&s.take()).len(), 0);
    // A deinit too: a token reported after it (outside a session) starts no round.
    let mut s = Sim::new();
    s.connect();
    s.m.deinit(s.now, &mut s.rec);
    s.m.online_init(s.now, &mut s.rec);
    s.m.report_token(s.now, &mut s.rec);
    let (id, _) = reports(&s.take())[0];
    s.ack(id);
    assert_eq!(notifies(&s.take()).len(), 0);
}

#[test]
fn a_round_started_before_the_first_ack_replaces_the_armed_one() {
    let mut s = Sim::new();
    s.connect();
    s.m.notify_start(s.now, Some(2), &mut s.rec);
    assert!(s.m.notify_running(), "waits for the ack");
    assert!(s.logged("notify waits"));
    assert!(s.take().contains(&Action::PostEvent(0x100F)));
    s.ack(0);
    assert_eq!(
        notifies(&s.take()).len(),
        1,
        "the round goes on with the ack"
    );
    s.advance(10_000);
    assert_eq!(
        notifies(&s.take()).len(),
        1,
        "2 broadcasts in all, not the config's 30"
    );
    assert!(!s.m.notify_running());
}

#[test]
fn a_session_that_reports_the_reset_first_arms_its_round_at_the_bind_start() {
    let mut s = Sim::new();
    s.m.connect(s.now, true, [0; 16], &mut s.rec);
    assert!(reports(&s.take()).is_empty());
    s.reset_reply(r#"{"id":"0","code":200}"#);
    let (id, _) = reports(&s.take())[0];
    assert!(!s.m.notify_running());
    s.ack(id);
    assert!(s.m.notify_running());
    assert_eq!(notifies(&s.take()).len(), 1);
}

fn subscribes(actions: &[Action<Answer<common_core::Q>>]) -> Vec<Sub> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Subscribe(sub) => Some(*sub),
            _ => None,
        })
        .collect()
}

fn warnings(s: &Sim) -> usize {
    s.rec
        .logs
        .iter()
        .filter(|l| l.text == "subscribe failed")
        .count()
}

#[test]
fn both_topics_refused_give_one_warning_and_one_retry() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    let first = s.now;
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    s.advance(1_000);
    s.m.subscribe_failed(s.now, Sub::ResetReply, &mut s.rec);
    assert_eq!(warnings(&s), 1);
    assert_eq!(s.m.poll_at(), Some(first + SUBSCRIBE_RETRY_MS));
    s.advance_to(first + SUBSCRIBE_RETRY_MS - 1);
    assert!(subscribes(&s.take()).is_empty());
    s.advance(1);
    assert_eq!(
        subscribes(&s.take()),
        vec![Sub::MatchReply, Sub::ResetReply]
    );
    // Both stuck: nothing more.
    s.advance(10 * SUBSCRIBE_RETRY_MS);
    assert!(subscribes(&s.take()).is_empty());
}

#[test]
fn a_topic_subscribed_again_before_its_retry_is_retried_no_more() {
    let mut s = Sim::new();
    s.connect();
    let report_retry = s.now + 30_000;
    s.take();
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    // MQTT is back: the reconnect subscribes it again, and nothing waits for the retry.
    s.connect();
    assert_eq!(subscribes(&s.take()), vec![Sub::MatchReply]);
    assert_eq!(s.m.poll_at(), Some(report_retry));
    // Refused again later: a new warning, and a retry counted from this refusal.
    s.advance(1_000);
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    assert_eq!(warnings(&s), 2);
    assert_eq!(s.m.poll_at(), Some(s.now + SUBSCRIBE_RETRY_MS));
    s.advance(SUBSCRIBE_RETRY_MS);
    assert_eq!(subscribes(&s.take()), vec![Sub::MatchReply]);
}

#[test]
fn a_refused_topic_no_longer_wanted_is_neither_retried_nor_unsubscribed() {
    let mut s = Sim::new();
    s.m.online_init(s.now, &mut s.rec);
    assert_eq!(subscribes(&s.take()), vec![Sub::MatchReply]);
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    assert_eq!(warnings(&s), 1);
    s.m.online_deinit(s.now, &mut s.rec);
    let acts = s.take();
    assert!(
        !acts.contains(&Action::Unsubscribe(Sub::MatchReply)),
        "never subscribed: nothing to undo"
    );
    assert_eq!(s.m.poll_at(), None);
    s.advance(10 * SUBSCRIBE_RETRY_MS);
    assert!(subscribes(&s.take()).is_empty());
    // A refusal told after it is no longer wanted: no warning, no retry.
    s.m.online_init(s.now, &mut s.rec);
    s.m.online_deinit(s.now, &mut s.rec);
    s.take();
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    assert_eq!(warnings(&s), 1);
    assert_eq!(s.m.poll_at(), None);
}
