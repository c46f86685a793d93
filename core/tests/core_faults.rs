//! The platform fails under the machine (SPEC section 8: a failed HAL call is logged and
//! retried, no state is lost): each failure comes back as an event, and the machine decides
//! the retry.

mod common_core;

use common_core::{notifies, Sim};
use dev_bind_core::{Action, Answer, Level, RESET_RETRY_MAX_MS};

fn registers(actions: &[Action<Answer<common_core::Q>>]) -> usize {
    actions
        .iter()
        .filter(|a| **a == Action::RegisterQueries)
        .count()
}

#[test]
fn a_server_that_cannot_start_is_started_again_with_backoff() {
    let mut s = Sim::new();
    s.connect();
    assert_eq!(registers(&s.take()), 1);
    let mut delays = Vec::new();
    for _ in 0..8 {
        s.m.server_failed(s.now, &mut s.rec);
        let line = s.rec.logs.last().expect("a line").clone();
        assert_eq!(line.level, Level::Error);
        assert!(line.text.starts_with("CoAP server down"), "{}", line.text);
        let delay: u64 = line
            .text
            .strip_prefix("CoAP server down, phone queries unanswered: retry in ")
            .and_then(|t| t.strip_suffix(" ms"))
            .and_then(|n| n.parse().ok())
            .expect("the delay");
        s.advance(delay - 1);
        assert_eq!(registers(&s.take()), 0);
        s.advance(1);
        assert_eq!(registers(&s.take()), 1);
        delays.push(delay);
    }
    assert_eq!(&delays[..5], &[3_000, 6_000, 12_000, 24_000, 48_000]);
    assert!(delays[5..]
        .iter()
        .all(|&d| d == u64::from(RESET_RETRY_MAX_MS)));
    // Up (no failure reported): no more starts.
    s.advance(600_000);
    assert_eq!(registers(&s.take()), 0);
}

#[test]
fn a_failed_server_is_started_at_once_by_the_next_connect_and_never_after_deinit() {
    let mut s = Sim::new();
    s.connect();
    s.m.server_failed(s.now, &mut s.rec);
    s.take();
    s.connect();
    assert_eq!(registers(&s.take()), 1);
    // A second failure report for the same start schedules one retry, not two.
    s.m.server_failed(s.now, &mut s.rec);
    s.m.server_failed(s.now, &mut s.rec);
    s.m.deinit(s.now, &mut s.rec);
    s.take();
    assert_eq!(s.m.poll_at(), None);
    // A failure told after the deinit (the shell's report raced it) starts nothing.
    s.m.server_failed(s.now, &mut s.rec);
    assert_eq!(s.m.poll_at(), None);
    s.advance(600_000);
    assert_eq!(registers(&s.take()), 0);
}

fn reads(actions: &[Action<Answer<common_core::Q>>]) -> usize {
    actions
        .iter()
        .filter(|a| **a == Action::ReadResetFlag)
        .count()
}

fn resets(actions: &[Action<Answer<common_core::Q>>]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::PublishReset { .. }))
        .count()
}

#[test]
fn an_unread_reset_flag_is_read_again_and_a_set_one_reported() {
    let mut s = Sim::new();
    s.connect();
    s.m.reset_flag_unread(s.now, -1, &mut s.rec);
    assert!(s.logged("reset flag unread, kv res:-1: binding, read again"));
    assert!(s.m.bind_running(), "binding does not wait for the flag");
    assert_eq!(
        s.m.poll_at(),
        Some(s.now + 3_000),
        "the timer carries the read"
    );
    s.take();
    s.advance(2_999);
    assert_eq!(reads(&s.take()), 0);
    s.advance(1);
    assert_eq!(reads(&s.take()), 1);
    // Failed again: the next read 6 s later.
    s.m.reset_flag_read(s.now, Err(-1), &mut s.rec);
    s.advance(5_999);
    assert_eq!(reads(&s.take()), 0);
    s.advance(1);
    assert_eq!(reads(&s.take()), 1);
    // Set: reported now, and retried until acked.
    s.m.reset_flag_read(s.now, Ok(true), &mut s.rec);
    assert_eq!(resets(&s.take()), 1);
    assert!(s.m.reset_outstanding());
    s.advance(600_000);
    assert_eq!(reads(&s.take()), 0);
}

#[test]
fn reads_of_a_flag_never_written_stop_and_take_it_as_clear() {
    let mut s = Sim::new();
    s.connect();
    s.m.reset_flag_unread(s.now, -1, &mut s.rec);
    let mut n = 0;
    for _ in 0..20 {
        s.advance(60_000);
        let r = reads(&s.take());
        n += r;
        if r == 1 {
            s.m.reset_flag_read(s.now, Err(-1), &mut s.rec);
        }
    }
    assert_eq!(n + 1, usize::from(dev_bind_core::machine::FLAG_READS));
    assert!(s.logged("reset flag unread, kv res:-1: taken as clear"));
    assert!(!s.m.reset_outstanding());
}

#[test]
fn a_failed_write_of_the_flag_is_retried_until_it_sticks() {
    let mut s = Sim::new();
    s.m.report_reset(s.now, &mut s.rec);
    assert!(s.take().contains(&Action::SetResetFlag(true)));
    s.m.reset_flag_write_failed(s.now, true, &mut s.rec);
    assert!(s.logged("reset flag not saved: retry in 3000 ms"));
    assert_eq!(
        s.m.poll_at(),
        Some(s.now + 3_000),
        "the timer carries the write"
    );
    s.advance(3_000);
    assert!(s.take().contains(&Action::SetResetFlag(true)));
    s.m.reset_flag_write_failed(s.now, true, &mut s.rec);
    assert!(s.logged("reset flag not saved: retry in 6000 ms"));
    // A write of the other value (the reset's ack) supersedes the retry.
    s.m.on_reset_reply(s.now, br#"{"id":"0","code":200}"#, &mut s.rec);
    assert!(s.take().contains(&Action::SetResetFlag(false)));
    s.m.reset_flag_write_failed(s.now, true, &mut s.rec);
    s.advance(600_000);
    let later = s.take();
    assert!(!later.contains(&Action::SetResetFlag(true)));
    assert!(!later.contains(&Action::SetResetFlag(false)));
}

fn report_ids(actions: &[Action<Answer<common_core::Q>>]) -> Vec<u32> {
    actions
        .iter()
        .filter_map(|a| {
            if let Action::PublishReport { id, .. } = a {
                Some(*id)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn a_report_that_failed_locally_is_no_attempt_and_goes_out_by_itself() {
    let mut s = Sim::new();
    s.connect();
    assert_eq!(report_ids(&s.take()), vec![0]);
    s.m.report_failed(s.now, 0, &mut s.rec);
    assert!(s.logged("report token not sent: retry in 3000 ms"));
    assert_eq!(s.m.report_token_cnt(), 0, "not an attempt");
    assert!(s.m.report_in_flight(), "still pending");
    // Each failure doubles the wait up to the report retry (30 s); a stale id changes nothing.
    let mut waits = Vec::new();
    for _ in 0..7 {
        let at = s.m.poll_at().expect("a retry");
        waits.push(at - s.now);
        s.advance_to(at);
        let ids = report_ids(&s.take());
        assert_eq!(ids.len(), 1);
        s.m.report_failed(s.now, ids[0].wrapping_sub(1), &mut s.rec);
        s.m.report_failed(s.now, ids[0], &mut s.rec);
    }
    assert_eq!(
        waits,
        vec![3_000, 6_000, 12_000, 24_000, 30_000, 30_000, 30_000]
    );
    assert_eq!(s.m.report_token_cnt(), 0);
    // It goes out: the attempts count from there (2 in all, then "try 2 times fail").
    s.advance(30_000);
    assert_eq!(report_ids(&s.take()).len(), 1);
    assert_eq!(s.m.report_token_cnt(), 1);
    s.advance(30_000);
    assert_eq!(report_ids(&s.take()).len(), 1);
    s.advance(30_000);
    assert!(s.logged("try 2 times fail"));
    assert!(!s.m.report_in_flight());
    // A reconnect reports the unconfirmed token again at once, attempts restarted.
    s.connect();
    assert_eq!(report_ids(&s.take()).len(), 1);
    assert_eq!(s.m.report_token_cnt(), 1);
    assert!(s.logged("token unconfirmed: report again"));
    // One that went out and waits for its reply is left to its retry.
    s.connect();
    assert!(report_ids(&s.take()).is_empty());
}

#[test]
fn a_broadcast_without_a_server_is_not_counted_and_the_round_waits_for_it() {
    let mut s = Sim::new();
    s.connect();
    s.ack(0);
    assert_eq!(notifies(&s.take()).len(), 1);
    s.m.notify_no_server(s.now, &mut s.rec);
    assert!(s.logged("notify waits for the CoAP server"));
    assert!(s.logged("CoAP server down"));
    assert!(s.m.notify_running());
    s.advance(2_999);
    assert_eq!(
        notifies(&s.take()).len(),
        0,
        "nothing while the server is down"
    );
    s.advance(1);
    let acts = s.take();
    assert_eq!(registers(&acts), 1);
    assert_eq!(
        notifies(&acts).len(),
        1,
        "the round goes on with the server's start"
    );
    // Outside a bind session nobody starts the server: the round ends, saying why.
    s.m.deinit(s.now, &mut s.rec);
    s.take();
    s.m.online_init(s.now, &mut s.rec);
    s.m.report_token(s.now, &mut s.rec);
    let id = report_ids(&s.take())[0];
    s.ack(id);
    s.m.notify_start(s.now, None, &mut s.rec);
    assert_eq!(notifies(&s.take()).len(), 1);
    s.m.notify_no_server(s.now, &mut s.rec);
    assert!(s.logged("notify ended: no CoAP server"));
    assert!(!s.m.notify_running());
}

#[test]
fn a_flag_write_pending_at_deinit_runs_no_timer_and_is_made_at_the_next_connect() {
    let mut s = Sim::new();
    s.connect();
    s.m.report_reset(s.now, &mut s.rec);
    s.take();
    s.m.reset_flag_write_failed(s.now, true, &mut s.rec);
    s.m.deinit(s.now, &mut s.rec);
    s.take();
    assert_eq!(s.m.poll_at(), None, "no timer after deinit");
    s.advance(600_000);
    assert!(s.take().is_empty());
    // The store still says "no reset" (the write never stuck): the flag written is the one
    // that counts, and the reset is reported first.
    s.connect();
    let acts = s.take();
    assert!(acts.contains(&Action::SetResetFlag(true)));
    assert_eq!(resets(&acts), 1);
    assert!(!s.m.bind_running(), "binding waits for the reset's ack");
}
