//! The platform fails under the machine (SPEC section 8: a failed HAL call is logged and
//! retried, no state is lost): each failure comes back as an event, and the machine decides
//! the retry.

mod common_core;

use common_core::Sim;
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
