//! Each row of the SPEC section 6 timing table, at its default and with a changed `Config`,
//! and token expiry at its boundaries.

mod common_core;
use common_core::*;
use dev_bind_core::{Action, Config};

fn cfg_changed() -> Config {
    Config {
        report_retry_ms: 5_000,
        report_attempts: 4,
        token_lifetime_ms: 10_000,
        notify_count: 5,
        notify_step_ms: 250,
        reset_retry_ms: 1_000,
    }
}

/// Report publish times (relative to connect) and the give-up time, over `horizon` ms.
fn report_schedule(cfg: Config, horizon: u64) -> (Vec<u64>, Option<u64>) {
    let mut s = Sim::with_config(cfg);
    let t0 = s.now;
    s.connect();
    let mut times = vec![];
    let mut gave_up = None;
    for a in s.take() {
        if let Action::PublishReport { .. } = a {
            times.push(0);
        }
    }
    while let Some(t) = s.m.poll_at() {
        if t > t0 + horizon {
            break;
        }
        // Nothing happens a millisecond early.
        s.advance_to(t - 1);
        assert!(s.take().is_empty());
        s.advance_to(t);
        for a in s.take() {
            if let Action::PublishReport { .. } = a {
                times.push(s.now - t0);
            }
        }
        if gave_up.is_none() && s.logged(" times fail") {
            gave_up = Some(s.now - t0);
            let n = times.len();
            assert!(s.logged(&format!("try {n} times fail")));
        }
    }
    (times, gave_up)
}

#[test]
fn report_retry_and_attempts_default() {
    let (times, gave_up) = report_schedule(Config::DEFAULT, 1_000_000);
    assert_eq!(times, vec![0, 30_000], "2 publishes, 30 s apart");
    assert_eq!(gave_up, Some(60_000));
}

#[test]
fn report_retry_and_attempts_changed() {
    let (times, gave_up) = report_schedule(cfg_changed(), 1_000_000);
    assert_eq!(times, vec![0, 5_000, 10_000, 15_000]);
    assert_eq!(gave_up, Some(20_000));
    let one = Config {
        report_attempts: 1,
        report_retry_ms: 700,
        ..Config::DEFAULT
    };
    assert_eq!(report_schedule(one, 1_000_000), (vec![0], Some(700)));
}

#[test]
fn first_report_after_rotation_is_immediate() {
    let mut s = Sim::new();
    s.connect();
    s.ack(0);
    s.advance(3);
    s.take();
    let now = s.now;
    s.query(1, 1, true, r#"{"id":1}"#);
    assert_eq!(reports(&s.take()).len(), 1);
    assert_eq!(s.now, now);
    s.m.update_token(s.now, &mut s.rec);
    assert_eq!(reports(&s.take()).len(), 1);
    s.notify_ack(r#"{"id":1,"code":200}"#);
    let _ = s.take();
}

fn expiry_at(cfg: Config, offset: i64) -> (u32, bool, bool) {
    let mut s = Sim::with_config(cfg);
    s.connect();
    s.advance(77); // the ack comes later; lifetime counts from the report
    s.ack(0);
    s.m.notify_stop(s.now, &mut s.rec);
    let report_at = s.now - 77;
    let t = (report_at as i64 + cfg.token_lifetime_ms as i64 + offset) as u64;
    s.advance_to(t);
    s.take();
    let remain = s.m.token_remain_ms(t);
    let timed_out = s.m.token_timed_out(t);
    s.query(9, 9, true, r#"{"id":"1"}"#);
    let answered_at_once = !answers(&s.take()).is_empty();
    (remain, timed_out, answered_at_once)
}

#[test]
fn token_lifetime_boundaries_default() {
    assert_eq!(expiry_at(Config::DEFAULT, -1), (1, false, true));
    assert_eq!(expiry_at(Config::DEFAULT, 0), (0, false, false));
    assert_eq!(expiry_at(Config::DEFAULT, 1), (0, true, false));
    assert_eq!(expiry_at(Config::DEFAULT, -44_923), (44_923, false, true));
}

#[test]
fn token_lifetime_boundaries_changed() {
    let c = cfg_changed();
    assert_eq!(expiry_at(c, -1), (1, false, true));
    assert_eq!(expiry_at(c, 0), (0, false, false));
    assert_eq!(expiry_at(c, 1), (0, true, false));
}

#[test]
fn unacked_token_timeout_follows_c_semantics() {
    let mut s = Sim::new();
    assert!(s.m.token_timed_out(s.now), "never reported");
    s.connect();
    let t0 = s.now;
    assert!(!s.m.token_timed_out(t0 + 45_000));
    assert!(s.m.token_timed_out(t0 + 45_001));
    assert_eq!(s.m.token_remain_ms(t0 + 1), 0, "unacked: no time left");
    // A clock that goes backwards: elapsed saturates at 0, nothing panics.
    s.ack(0);
    assert_eq!(s.m.token_remain_ms(0), 45_000);
    assert!(!s.m.token_timed_out(0));
}

fn notify_times(cfg: Config) -> (Vec<(u64, u32, u8)>, u64) {
    let mut s = Sim::with_config(cfg);
    s.connect();
    s.ack(0);
    let t0 = s.now;
    let mut out = vec![];
    let mut end = 0;
    loop {
        for a in s.take() {
            match a {
                Action::Notify { id, dest, .. } => out.push((s.now - t0, id, dest)),
                Action::CancelNotify => end = s.now - t0,
                _ => {}
            }
        }
        if end != 0 {
            break;
        }
        let t = s.m.poll_at().expect("the round runs until its cancel");
        s.advance_to(t);
    }
    (out, end)
}

#[test]
fn notify_count_and_step_default() {
    let (n, end) = notify_times(Config::DEFAULT);
    assert_eq!(n.len(), 30);
    let mut at = 0;
    for (k, (t, id, dest)) in n.iter().enumerate() {
        assert_eq!(*t, at);
        assert_eq!(*id as usize, k + 1);
        assert_eq!(*dest as usize, k % 4);
        at += (k as u64 + 1) * 100;
    }
    assert_eq!(end, at);
    assert_eq!(end, 100 * 30 * 31 / 2);
}

#[test]
fn notify_count_and_step_changed() {
    let cfg = Config {
        token_lifetime_ms: 45_000,
        ..cfg_changed()
    };
    let (n, end) = notify_times(cfg);
    let times: Vec<u64> = n.iter().map(|x| x.0).collect();
    assert_eq!(times, vec![0, 250, 750, 1_500, 2_500]);
    assert_eq!(end, 2_500 + 5 * 250);
    // notify_start with an explicit count; destinations keep cycling across rounds.
    let mut s = Sim::new();
    s.connect();
    s.ack(0);
    s.m.notify_stop(s.now, &mut s.rec);
    let first = notifies(&s.take());
    assert_eq!(first.len(), 1);
    s.m.notify_start(s.now, Some(3), &mut s.rec);
    s.advance(10_000);
    let acts = s.take();
    let dests: Vec<u8> = notifies(&acts).iter().map(|n| n.1).collect();
    assert_eq!(dests, vec![1, 2, 3]);
    assert_eq!(count(&acts, |a| *a == Action::CancelNotify), 1);
    s.m.notify_start(s.now, None, &mut s.rec);
    s.advance(200);
    let dests: Vec<u8> = notifies(&s.take()).iter().map(|n| n.1).collect();
    assert_eq!(dests, vec![0, 1]);
    // Restarting a running round cancels it and starts over.
    s.m.notify_start(s.now, Some(2), &mut s.rec);
    let acts = s.take();
    assert_eq!(acts[0], Action::CancelNotify);
    assert_eq!(notifies(&acts).len(), 1);
}

fn reset_gaps(cfg: Config, n: usize) -> Vec<u64> {
    let mut s = Sim::with_config(cfg);
    s.m.report_reset(s.now, &mut s.rec);
    s.take();
    let mut last = s.now;
    let mut gaps = vec![];
    while gaps.len() < n {
        let t = s.m.poll_at().unwrap();
        s.advance_to(t);
        assert_eq!(
            count(&s.take(), |a| matches!(a, Action::PublishReset { .. })),
            1
        );
        gaps.push(s.now - last);
        last = s.now;
    }
    gaps
}

#[test]
fn reset_retry_default_and_changed() {
    assert_eq!(
        reset_gaps(Config::DEFAULT, 9),
        vec![3_000, 6_000, 12_000, 24_000, 48_000, 60_000, 60_000, 60_000, 60_000]
    );
    assert_eq!(
        reset_gaps(cfg_changed(), 9),
        vec![1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
    );
    // A first delay above the ceiling is kept, not shortened.
    let slow = Config {
        reset_retry_ms: 90_000,
        ..Config::DEFAULT
    };
    assert_eq!(reset_gaps(slow, 3), vec![90_000, 90_000, 90_000]);
}

#[test]
fn set_config_validation_and_later_deadlines() {
    let mut s = Sim::new();
    assert_eq!(s.m.config(), Config::DEFAULT);
    for i in 0..6 {
        let mut c = Config::DEFAULT;
        match i {
            0 => c.report_retry_ms = 0,
            1 => c.report_attempts = 0,
            2 => c.token_lifetime_ms = 0,
            3 => c.notify_count = 0,
            4 => c.notify_step_ms = 0,
            _ => c.reset_retry_ms = 0,
        }
        assert_eq!(s.m.set_config(s.now, c, &mut s.rec), Err(()));
        assert_eq!(s.m.config(), Config::DEFAULT);
    }
    let t0 = s.now;
    s.connect();
    s.take();
    assert_eq!(s.m.poll_at(), Some(t0 + 30_000));
    let c = Config {
        report_retry_ms: 5_000,
        report_attempts: 3,
        ..Config::DEFAULT
    };
    assert_eq!(s.m.set_config(s.now, c, &mut s.rec), Ok(()));
    assert_eq!(s.m.config(), c);
    assert_eq!(
        s.m.poll_at(),
        Some(t0 + 30_000),
        "scheduled before the change"
    );
    s.advance_to(t0 + 30_000);
    assert_eq!(reports(&s.take()).len(), 1);
    assert_eq!(
        s.m.poll_at(),
        Some(t0 + 35_000),
        "scheduled after the change"
    );
    s.advance_to(t0 + 35_000);
    assert_eq!(reports(&s.take()).len(), 1, "3 attempts now");
    s.advance_to(t0 + 40_000);
    assert_eq!(reports(&s.take()).len(), 0);
    assert!(s.logged("try 3 times fail"));
}

/// The connect-AP info window opens for 60 s at `awss_start_connectap_monitor` and closes
/// at its end or at `awss_stop_connectap_monitor`.
#[test]
fn connectap_window_is_sixty_seconds() {
    use dev_bind_core::machine::CONNECTAP_WINDOW_MS;
    let mut s = Sim::new();
    assert!(!s.m.connectap_open(s.now));
    s.m.connectap_start(s.now);
    assert!(s.m.connectap_open(s.now));
    assert!(s.m.connectap_open(s.now + CONNECTAP_WINDOW_MS - 1));
    assert!(!s.m.connectap_open(s.now + CONNECTAP_WINDOW_MS));
    s.m.connectap_start(s.now + 10);
    s.m.connectap_stop();
    assert!(!s.m.connectap_open(s.now + 10));
    assert_eq!(CONNECTAP_WINDOW_MS, 60_000);
}
