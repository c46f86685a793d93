//! A refused MQTT subscription is tried again (SPEC section 8: a failed HAL call is logged and
//! retried, no state is lost). The case that matters: `awss_report_reset()` at boot, before the
//! MQTT client is connected, then `awss_report_cloud()` once it is.

mod common_core;

use common_core::Sim;
use dev_bind_core::machine::SUBSCRIBE_RETRY_MS;
use dev_bind_core::{Action, Answer, Sub};

fn subscribes(actions: &[Action<Answer<common_core::Q>>], sub: Sub) -> usize {
    actions
        .iter()
        .filter(|a| **a == Action::Subscribe(sub))
        .count()
}

#[test]
fn reset_reply_refused_before_connect_is_subscribed_at_connect() {
    let mut s = Sim::new();
    s.m.report_reset(s.now, &mut s.rec);
    assert_eq!(subscribes(&s.take(), Sub::ResetReply), 1);
    // The MQTT client was not connected yet.
    s.m.subscribe_failed(s.now, Sub::ResetReply, &mut s.rec);
    assert!(s.logged("subscribe failed"));
    // MQTT connects: awss_report_cloud() with the persisted flag subscribes both topics.
    s.m.connect(s.now + 10, true, [0; 16], &mut s.rec);
    let actions = s.take();
    assert_eq!(subscribes(&actions, Sub::MatchReply), 1);
    assert_eq!(subscribes(&actions, Sub::ResetReply), 1);
    // The pending retry then finds nothing missing.
    s.advance(SUBSCRIBE_RETRY_MS + 1);
    let later = s.take();
    assert_eq!(subscribes(&later, Sub::MatchReply), 0);
    assert_eq!(subscribes(&later, Sub::ResetReply), 0);
}

#[test]
fn refused_subscription_is_tried_again_until_it_sticks() {
    let mut s = Sim::new();
    s.connect();
    s.take();
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    assert_eq!(s.m.poll_at().map(|t| t - s.now), Some(SUBSCRIBE_RETRY_MS));
    s.advance(SUBSCRIBE_RETRY_MS - 1);
    assert_eq!(subscribes(&s.take(), Sub::MatchReply), 0);
    s.advance(1);
    assert_eq!(subscribes(&s.take(), Sub::MatchReply), 1);
    // Refused again: one more try after the same wait; a success (no report) ends it.
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    s.advance(SUBSCRIBE_RETRY_MS);
    assert_eq!(subscribes(&s.take(), Sub::MatchReply), 1);
    s.advance(10 * SUBSCRIBE_RETRY_MS);
    assert_eq!(subscribes(&s.take(), Sub::MatchReply), 0);
}

#[test]
fn no_retry_after_deinit() {
    let mut s = Sim::new();
    s.connect();
    s.m.subscribe_failed(s.now, Sub::MatchReply, &mut s.rec);
    s.m.deinit(s.now, &mut s.rec);
    s.take();
    s.advance(10 * SUBSCRIBE_RETRY_MS);
    let actions = s.take();
    assert_eq!(subscribes(&actions, Sub::MatchReply), 0);
    assert_eq!(subscribes(&actions, Sub::ResetReply), 0);
    // Nor when the topic is no longer wanted: a failure reported after deinit schedules nothing.
    s.m.subscribe_failed(s.now, Sub::ResetReply, &mut s.rec);
    assert_eq!(s.m.poll_at(), None);
}
