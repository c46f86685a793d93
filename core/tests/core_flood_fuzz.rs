//! A LAN flood of queries, a seeded fuzz run over every input and API call, and the machine's
//! RAM figure. Figures are printed (run with `--nocapture`); only behaviour is asserted.

mod common_core;
use common_core::*;
use dev_bind_core::render::{self, Writer};
use dev_bind_core::{
    json, Action, Answer, Config, IdKind, Line, Machine, Piece, Sink, Sub, Token, MAX_ACTIONS,
    MAX_FOLLOW_UP_ACTIONS,
};
use std::collections::{HashSet, VecDeque};
use std::time::Instant;

#[test]
fn machine_ram_figure() {
    let size = std::mem::size_of::<Machine<Q, 4>>();
    println!(
        "size_of::<Machine<Q48, 4>>() = {size} bytes (Q = {} bytes)",
        std::mem::size_of::<Q>()
    );
    assert_eq!(std::mem::size_of::<Q>(), 48);
    // Not a budget (the firmware's static RAM is a benchmark figure, benches/footprint): a
    // guard against a state that grows by accident (a capacity, a copied buffer). It holds
    // one 64-byte keystream block of the token generator on purpose (four tokens a block),
    // and each waiting phone's deadline.
    assert!(size <= 864, "{size} bytes");
    // `new` is const: the machine can live in a static.
    static M0: Machine<Q, 4> = Machine::new();
    assert_eq!(M0.token(), [0; 16]);
}

#[test]
fn flood_of_queries_is_bounded_by_cloud_acks() {
    let mut s = Sim::new();
    s.connect();
    let mut acks: VecDeque<(u64, u32)> = VecDeque::new();
    let mut reports_n = 0usize;
    let mut answers_n = 0usize;
    let mut tokens = HashSet::new();
    let mut peer = 0u32;
    let start = s.now;
    let mut handle = |s: &mut Sim, acks: &mut VecDeque<(u64, u32)>| {
        for a in s.take() {
            match a {
                Action::PublishReport { id, .. } => {
                    reports_n += 1;
                    acks.push_back((s.now + 50, id));
                }
                Action::Answer(Answer {
                    token, remain_ms, ..
                }) => {
                    answers_n += 1;
                    assert!(tokens.insert(token), "a token handed out twice");
                    assert!(remain_ms > 0);
                }
                _ => {}
            }
        }
        assert!(s.m.pending_queries() <= P);
        (reports_n, answers_n)
    };
    // 10 000 queries from distinct peers in 5 simulated seconds.
    while peer < 10_000 {
        for _ in 0..2 {
            peer += 1;
            s.query(peer, 1, peer % 3 == 0, &format!(r#"{{"id":"{peer}"}}"#));
        }
        handle(&mut s, &mut acks);
        s.advance(1);
        while acks.front().is_some_and(|(t, _)| *t <= s.now) {
            let (_, id) = acks.pop_front().unwrap();
            s.ack(id);
            handle(&mut s, &mut acks);
        }
        assert!(acks.len() <= 1, "at most one report in flight");
    }
    // Let the queue drain.
    for _ in 0..2_000 {
        s.advance(1);
        while acks.front().is_some_and(|(t, _)| *t <= s.now) {
            let (_, id) = acks.pop_front().unwrap();
            s.ack(id);
        }
        handle(&mut s, &mut acks);
    }
    let (reports_n, answers_n) = handle(&mut s, &mut acks);
    let dropped = s
        .rec
        .logs
        .iter()
        .filter(|l| l.text.contains("query dropped"))
        .count();
    println!(
        "flood: 10000 queries in {} ms: {answers_n} answered, {dropped} dropped, {reports_n} reports",
        s.now - start
    );
    assert_eq!(s.m.pending_queries(), 0);
    assert_eq!(reports_n, answers_n + 1, "each answer <-> one report");
    assert_eq!(answers_n + dropped, 10_000);
    assert!(
        reports_n <= ((s.now - start) / 50 + 2) as usize,
        "bounded by the ack rate"
    );
}

/// Checks every action and log line as it comes, without storing them.
#[derive(Default)]
struct FuzzSink {
    report_ids: Vec<u32>,
    notify_ids: Vec<u32>,
    reset_ids: Vec<u32>,
    answered: HashSet<Token>,
    answers: u64,
    actions: u64,
    logs: u64,
    reports_this_call: u32,
    /// Answers and actions of the current call: the shell keeps one answer aside and queues
    /// at most `MAX_ACTIONS` actions (the answer's place included) per entry.
    answers_this_call: u32,
    actions_this_call: u32,
    /// The most actions (answers included) of one call.
    max_actions: u32,
    notifies: u64,
    /// Accepted match_reply, notify acks, reset acks, report give-ups.
    accepted: [u64; 4],
    /// The shell's action queue, as far as an outcome to tell goes (see [`run_queue`]).
    queue: VecDeque<Queued>,
    /// The most actions the queue held, and the follow-up calls made.
    max_queued: usize,
    follow_ups: u64,
    /// The most actions of one follow-up call.
    max_follow_up_actions: u32,
}

/// An action in the shell's queue, with what its execution may have to tell the machine.
#[derive(Clone, Copy, Debug)]
enum Queued {
    /// A subscription (the MQTT client may refuse it).
    Subscribe(Sub),
    /// The server's start (it may fail).
    Server,
    /// A broadcast (no server may be up).
    Notify,
    /// A write of the reset flag (it may fail).
    SetFlag(bool),
    /// A read of the reset flag (always told).
    ReadFlag,
    /// A token report (its publish may fail locally).
    Report(u32),
    /// An action whose execution tells the machine nothing.
    Quiet,
}

impl FuzzSink {
    /// Record one action (answers included), in order.
    fn record(&mut self, action: Action<Answer<Q>>) {
        self.actions += 1;
        self.actions_this_call += 1;
        self.queue.push_back(match action {
            Action::Subscribe(sub) => Queued::Subscribe(sub),
            Action::RegisterQueries => Queued::Server,
            Action::Notify { .. } => Queued::Notify,
            Action::SetResetFlag(value) => Queued::SetFlag(value),
            Action::ReadResetFlag => Queued::ReadFlag,
            Action::PublishReport { id, .. } => Queued::Report(id),
            Action::Unsubscribe(_)
            | Action::DeinitCoap
            | Action::CancelNotify
            | Action::PostEvent(_)
            | Action::PublishReset { .. }
            | Action::PublishStats { .. }
            | Action::Answer(_) => Queued::Quiet,
        });
        self.max_queued = self.max_queued.max(self.queue.len());
        match action {
            Action::PublishReport { id, token } => {
                assert_ne!(token, [0; 16]);
                self.report_ids.push(id);
                self.reports_this_call += 1;
            }
            Action::Notify { id, remain_ms, .. } => {
                assert!(remain_ms > 0, "broadcast of an invalid token");
                self.notify_ids.push(id);
                self.notifies += 1;
            }
            Action::PublishReset { id } => self.reset_ids.push(id),
            Action::Answer(Answer {
                token,
                remain_ms,
                id,
                ..
            }) => {
                assert!(remain_ms > 0, "answer with an invalid token");
                assert!(self.answered.insert(token), "a token handed to two phones");
                self.answers += 1;
                self.answers_this_call += 1;
                let mut buf = [0u8; 1024];
                let mut w = Writer::new(&mut buf);
                render::answer(&mut w, &id, &WHO, &token, remain_ms);
                assert!(w.ok());
                assert!(json::scan(w.as_bytes()).is_ok());
            }
            _ => {}
        }
    }
}

impl Sink<Q> for FuzzSink {
    fn act(&mut self, action: Action<()>) {
        self.record(action.map_answer(|()| unreachable!("answers come through Sink::answer")));
    }
    fn answer(&mut self, answer: Answer<Q>) {
        self.record(Action::Answer(answer));
    }
    fn log(&mut self, line: Line, bytes: &[u8], num: i64) {
        self.logs += 1;
        // The line's text up to its first placeholder (a text may come in several pieces).
        let mut first: Vec<u8> = Vec::new();
        let mut open = true;
        line.pieces(bytes, num, &mut |p| match p {
            Piece::Text(t) if open => first.extend_from_slice(t),
            _ => open = false,
        });
        for (i, key) in [
            "awss_report_token_reply",
            "notify acked",
            "reset acked",
            "try ",
        ]
        .iter()
        .enumerate()
        {
            if first.starts_with(key.as_bytes()) {
                self.accepted[i] += 1;
            }
        }
        assert!(bytes.len() <= 64);
    }
}

fn pick(r: &mut XorShift, v: &[u32]) -> u32 {
    if v.is_empty() || r.chance(8) {
        match r.below(6) {
            0 => 0,
            1 => 123,
            2 => 127,
            3 => u32::MAX,
            4 => r.next() as u32,
            _ => r.below(400) as u32,
        }
    } else {
        let n = v.len() as u64;
        v[(n - 1 - r.below(n.min(5))) as usize]
    }
}

fn odd_id(r: &mut XorShift) -> String {
    const IDS: &[&str] = &[
        "\"123\"",
        "123",
        "-1",
        "\"-1\"",
        "1e9",
        "4294967296",
        "\"4294967295\"",
        "null",
        "true",
        "false",
        "[]",
        "{}",
        "[1,[2,{\"a\":3}]]",
        "\"\\u0000\"",
        "\"\\\"\"",
        "\"007\"",
        "0.5",
        "\"\"",
        "99999999999999999999999999999999999999",
    ];
    match r.below(4) {
        0 => format!("\"{}\"", "9".repeat(r.below(40) as usize)),
        1 => format!("\"{}\"", "x".repeat(r.below(40) as usize)),
        _ => IDS[r.below(IDS.len() as u64) as usize].to_string(),
    }
}

fn valid(r: &mut XorShift, f: &FuzzSink) -> String {
    let code = match r.below(6) {
        0 => "\"200\"".to_string(),
        1 => "500".to_string(),
        2 => odd_id(r),
        _ => "200".to_string(),
    };
    match r.below(5) {
        0 => format!(
            r#"{{"id":"{}","code":{code},"data":{{}}}}"#,
            pick(r, &f.report_ids)
        ),
        1 => format!(r#"{{"id":{},"code":{code}}}"#, pick(r, &f.notify_ids)),
        2 => format!(r#"{{"id":"{}","code":{code}}}"#, pick(r, &f.reset_ids)),
        3 => format!(r#"{{"id":{},"version":"1.0","params":{{}}}}"#, odd_id(r)),
        _ => format!(r#"{{"code":{code},"id":{}}}"#, odd_id(r)),
    }
}

fn payload(r: &mut XorShift, f: &FuzzSink) -> Vec<u8> {
    match r.below(10) {
        0 => (0..r.below(80)).map(|_| r.next() as u8).collect(),
        1 => {
            let mut v = valid(r, f).into_bytes();
            let cut = r.below(v.len() as u64 + 1) as usize;
            v.truncate(cut);
            v
        }
        2 => {
            let a = valid(r, f).into_bytes();
            let b = valid(r, f).into_bytes();
            let i = r.below(a.len() as u64 + 1) as usize;
            let j = r.below(b.len() as u64 + 1) as usize;
            [&a[..i], &b[j..]].concat()
        }
        3 => {
            let n = r.below(40) as usize;
            let open = if r.chance(2) { "[" } else { "{\"a\":" };
            let close = if open == "[" { "]" } else { "}" };
            format!("{{\"id\":{}1{}}}", open.repeat(n), close.repeat(n)).into_bytes()
        }
        4 => format!(
            "{{\"id\":\"{}\",\"code\":200}}",
            "\\u0041".repeat(r.below(12) as usize)
        )
        .into_bytes(),
        5 | 6 => {
            let mut v = valid(r, f).into_bytes();
            for _ in 0..=r.below(4) {
                if v.is_empty() {
                    break;
                }
                let i = r.below(v.len() as u64) as usize;
                match r.below(3) {
                    0 => v[i] = r.next() as u8,
                    1 => {
                        v.remove(i);
                    }
                    _ => v.insert(i, b"{}[]\",:\\0 e-"[r.below(12) as usize]),
                }
            }
            v
        }
        _ => valid(r, f).into_bytes(),
    }
}

fn random_config(r: &mut XorShift) -> Config {
    let small = |r: &mut XorShift, max: u64| -> u32 {
        if r.chance(20) {
            0
        } else {
            1 + r.below(max) as u32
        }
    };
    Config {
        report_retry_ms: small(r, 40_000),
        report_attempts: small(r, 4) as u8,
        token_lifetime_ms: small(r, 60_000),
        notify_count: small(r, 40) as u8,
        notify_step_ms: small(r, 300),
        reset_retry_ms: small(r, 5_000),
    }
}

/// Execute the queued actions as the shell does after a call: in order, each taken off the
/// queue first; an outcome to tell (most of the time a failure, one action in three; a flag
/// read always) is a follow-up call whose actions join the queue's end. Checks the bounds
/// the shell's queue relies on (`MAX_FOLLOW_UP_ACTIONS`, `MAX_ACTIONS`).
fn run_queue(r: &mut XorShift, m: &mut Machine<Q, P>, now: u64, f: &mut FuzzSink) {
    assert!(f.queue.len() <= MAX_ACTIONS, "{} queued", f.queue.len());
    while let Some(action) = f.queue.pop_front() {
        let fails = r.chance(3);
        let queued = f.queue.len();
        let (actions, answers) = (f.actions_this_call, f.answers_this_call);
        match action {
            Queued::Subscribe(sub) if fails => m.subscribe_failed(now, sub, f),
            Queued::Server if fails => m.server_failed(now, f),
            Queued::Notify if fails => m.notify_no_server(now, f),
            Queued::SetFlag(value) if fails => m.reset_flag_write_failed(now, value, f),
            Queued::Report(id) if fails => m.report_failed(now, id, f),
            Queued::ReadFlag => {
                let read = match r.below(3) {
                    0 => Ok(true),
                    1 => Ok(false),
                    _ => Err(-1),
                };
                m.reset_flag_read(now, read, f);
            }
            Queued::Subscribe(_)
            | Queued::Server
            | Queued::Notify
            | Queued::SetFlag(_)
            | Queued::Report(_)
            | Queued::Quiet => continue,
        }
        f.follow_ups += 1;
        let emitted = f.actions_this_call - actions;
        f.max_follow_up_actions = f.max_follow_up_actions.max(emitted);
        assert!(
            emitted as usize <= MAX_FOLLOW_UP_ACTIONS,
            "{emitted} actions in a follow-up of {action:?}"
        );
        assert_eq!(f.answers_this_call, answers, "a follow-up answered");
        for told in f.queue.range(queued..) {
            assert!(
                matches!(told, Queued::Quiet),
                "a follow-up of {action:?} queued {told:?}, which has an outcome to tell"
            );
        }
        assert!(f.queue.len() <= MAX_ACTIONS, "{} queued", f.queue.len());
    }
}

fn fuzz(seed: u64, iterations: u64) -> FuzzSink {
    let mut r = XorShift(seed);
    let mut m: Box<Machine<Q, P>> = Box::new(Machine::new());
    m.seed([seed as u8; 32]);
    let mut f = FuzzSink::default();
    let mut now: u64 = 0;
    for _ in 0..iterations {
        f.reports_this_call = 0;
        f.answers_this_call = 0;
        f.actions_this_call = 0;
        match r.below(24) {
            0..=3 => {
                now = match r.below(20) {
                    0 => now.saturating_add(r.below(1 << 40)),
                    1 => now.saturating_sub(r.below(5_000)),
                    2 => u64::MAX - r.below(3),
                    3 => 0,
                    4..=9 => now.saturating_add(r.below(10)),
                    _ => now.saturating_add(r.below(3_000)),
                };
                if m.poll_at().is_some_and(|t| t <= now) || r.chance(4) {
                    m.poll(now, &mut f);
                    if let Some(t) = m.poll_at() {
                        assert!(t >= now, "poll_at {t} in the past of {now}");
                    }
                }
            }
            4..=6 => {
                // A cooperative cloud one time in three, so that the deep paths are reached.
                let p = match f.report_ids.last() {
                    Some(id) if r.chance(3) => {
                        // The shell published it (most of the time: else the reply is early).
                        if !r.chance(8) {
                            m.report_sending(*id);
                        }
                        format!(r#"{{"id":"{id}","code":200,"data":{{}}}}"#).into_bytes()
                    }
                    _ => payload(&mut r, &f),
                };
                m.on_match_reply(now, &p, &mut f);
            }
            7 => {
                let p = payload(&mut r, &f);
                m.on_reset_reply(now, &p, &mut f);
            }
            8 | 9 => {
                let p = match f.notify_ids.last() {
                    Some(id) if r.chance(3) => format!(r#"{{"id":{id},"code":200}}"#).into_bytes(),
                    _ => payload(&mut r, &f),
                };
                let result = if r.chance(5) { r.next() as i32 } else { 0 };
                let code = if r.chance(5) { r.next() as u8 } else { 0x45 };
                let p = if r.chance(10) { None } else { Some(&p[..]) };
                m.on_notify_ack(now, result, code, p, &mut f);
            }
            10..=13 => {
                let p = if r.chance(3) {
                    format!(r#"{{"id":"{}","params":{{}}}}"#, r.below(1000)).into_bytes()
                } else {
                    payload(&mut r, &f)
                };
                let ctx = Q::new(r.below(8) as u32, r.below(4) as u16);
                let p = if r.chance(10) { None } else { Some(&p[..]) };
                m.on_query(now, ctx, r.chance(2), p, &mut f);
            }
            14 => {
                let p = payload(&mut r, &f);
                let _ = json::scan(&p);
                if let Ok(id) = json::id_echo(Some(&p)) {
                    assert!(id.text.len() <= 32);
                    // The renderer writes the text as is: it must be what its kind promises.
                    let t = id.text.as_slice();
                    assert!(match id.kind {
                        IdKind::Number => json::is_number(t),
                        IdKind::String => json::is_string_content(t),
                        IdKind::Raw => json::is_value(t),
                        IdKind::Missing => t.is_empty(),
                    });
                    let mut buf = [0u8; 1024];
                    let mut w = Writer::new(&mut buf);
                    render::answer(&mut w, &id, &WHO, &[1; 16], 5);
                    assert!(json::scan(w.as_bytes()).is_ok());
                }
            }
            15 => {
                let prov = if r.chance(3) {
                    Some([r.next() as u8; 16])
                } else {
                    None
                };
                let mut tok = [0u8; 16];
                if let Some(p) = prov {
                    tok = p;
                    tok[..8].copy_from_slice(&r.next().to_le_bytes());
                }
                // Sometimes aes_random holds the module's own token: not a provisioned one.
                if r.chance(5) {
                    tok = m.token();
                }
                m.connect(now, r.chance(4), tok, &mut f);
                // The shell's entry tells an unreadable flag in the same call.
                if r.chance(3) {
                    m.reset_flag_unread(now, -1, &mut f);
                }
            }
            16 => {
                if r.chance(4) {
                    m.deinit(now, &mut f);
                } else {
                    m.start_bind(now, [0; 16], &mut f);
                }
            }
            17 => match r.below(4) {
                0 => m.report_token(now, &mut f),
                1 => m.update_token(now, &mut f),
                2 => m.stop_report_token(now, &mut f),
                _ => {
                    let mut t = [0u8; 16];
                    if !r.chance(10) {
                        t[..8].copy_from_slice(&r.next().to_le_bytes());
                        t[8..].copy_from_slice(&r.next().to_le_bytes());
                    }
                    let _ = m.set_token(now, t, &mut f);
                }
            },
            18 => {
                if r.chance(2) {
                    let c = if r.chance(3) {
                        Some(r.next() as u8)
                    } else {
                        None
                    };
                    m.notify_start(now, c, &mut f);
                } else {
                    m.notify_stop(now, &mut f);
                }
            }
            19 => match r.below(3) {
                0 => m.report_reset(now, &mut f),
                1 => m.report_reset_now(now, &mut f),
                _ => m.stop_report_reset(now, &mut f),
            },
            20 => {
                let c = random_config(&mut r);
                let ok = m.set_config(now, c, &mut f).is_ok();
                assert_eq!(ok, c.is_valid());
            }
            // What the shell tells of its actions' outcomes, each an entry of its own.
            22 => match r.below(7) {
                0 => {
                    let sub = if r.chance(2) {
                        Sub::MatchReply
                    } else {
                        Sub::ResetReply
                    };
                    m.subscribe_failed(now, sub, &mut f);
                }
                1 => m.server_failed(now, &mut f),
                2 => m.notify_no_server(now, &mut f),
                3 => m.report_failed(now, pick(&mut r, &f.report_ids), &mut f),
                4 => {
                    let read = match r.below(3) {
                        0 => Ok(true),
                        1 => Ok(false),
                        _ => Err(-1),
                    };
                    m.reset_flag_read(now, read, &mut f);
                }
                5 => m.reset_flag_write_failed(now, r.chance(2), &mut f),
                _ => m.reset_flag_unread(now, -1, &mut f),
            },
            23 => {
                if r.chance(2) {
                    m.online_init(now, &mut f);
                } else {
                    m.online_deinit(now, &mut f);
                }
            }
            _ => match r.below(4) {
                0 => m.report_stats(&mut f),
                1 => m.clear_stats(),
                2 => m.update_stats(now, r.below(3) as i32 - 1),
                _ => {
                    let _ = (m.token_remain_ms(now), m.token_timed_out(now));
                }
            },
        }
        // Invariants.
        assert!(m.pending_queries() <= P);
        if m.pending_queries() > 0 {
            assert!(m.report_in_flight(), "a phone waits with nothing in flight");
        }
        assert!(
            f.answers_this_call <= 1,
            "{} answers in one call",
            f.answers_this_call
        );
        f.max_actions = f.max_actions.max(f.actions_this_call);
        assert!(
            f.actions_this_call as usize <= MAX_ACTIONS,
            "{} actions in one call",
            f.actions_this_call
        );
        assert!(
            f.reports_this_call <= 2,
            "{} reports in one call",
            f.reports_this_call
        );
        let st = m.stats();
        assert!(st.min_ms <= st.mean_ms && st.mean_ms <= st.max_ms || st.suc == 0);
        if m.token_remain_ms(now) > 0 {
            assert!(m.report_token_suc());
            assert!(!m.token_timed_out(now));
        }
        run_queue(&mut r, &mut m, now, &mut f);
        // Keep the id lists short.
        for v in [&mut f.report_ids, &mut f.notify_ids, &mut f.reset_ids] {
            if v.len() > 64 {
                v.drain(..32);
            }
        }
    }
    f
}

/// One poll at which nearly every concern is due at once: both subscriptions refused, the
/// reset flag's write failed, the CoAP server failed under a running round, the reset report
/// unanswered and the round's resumed step, all retried in the same call. The busiest call
/// there is stays within what the shell's queue holds.
#[test]
fn a_poll_with_every_deadline_due_stays_within_max_actions() {
    let mut s = Sim::new();
    s.connect();
    let (id, _) = last_report(&s.take());
    s.ack(id);
    assert_eq!(notifies(&s.take()).len(), 1, "the round runs");
    let now = s.now;
    // The round's broadcast could not go out: the server is started again later.
    s.m.notify_no_server(now, &mut s.rec);
    s.m.report_reset(now, &mut s.rec);
    s.m.reset_flag_write_failed(now, true, &mut s.rec);
    s.m.subscribe_failed(now, Sub::MatchReply, &mut s.rec);
    s.m.subscribe_failed(now, Sub::ResetReply, &mut s.rec);
    s.take();
    // After every first retry is due (3 s), nothing polled in between, the token still valid.
    s.now += 10_000;
    let now = s.now;
    s.m.poll(now, &mut s.rec);
    let actions = s.take();
    let count = |f: fn(&Action<Answer<Q>>) -> bool| actions.iter().filter(|a| f(a)).count();
    assert_eq!(count(|a| matches!(a, Action::Subscribe(_))), 2);
    assert_eq!(count(|a| matches!(a, Action::SetResetFlag(true))), 1);
    assert_eq!(count(|a| matches!(a, Action::RegisterQueries)), 1);
    assert_eq!(count(|a| matches!(a, Action::Notify { .. })), 1);
    assert_eq!(count(|a| matches!(a, Action::PublishReset { .. })), 1);
    assert_eq!(actions.len(), 6, "{actions:?}");
    assert!(actions.len() <= MAX_ACTIONS);
}

#[test]
fn fuzz_every_input_and_api_call() {
    let t = Instant::now();
    let mut total = 0;
    let mut answers = 0;
    let mut actions = 0;
    let mut accepted = [0u64; 4];
    for seed in [1u64, 0x9e37_79b9_7f4a_7c15, 0xdead_beef] {
        let f = fuzz(seed, 70_000);
        total += 70_000;
        answers += f.answers;
        actions += f.actions;
        for (a, b) in accepted.iter_mut().zip(f.accepted) {
            *a += b;
        }
        assert!(f.logs > 0);
        println!(
            "seed {seed}: {} notifies, at most {} actions in one call; {} follow-ups of at \
             most {} actions, at most {} actions queued",
            f.notifies, f.max_actions, f.follow_ups, f.max_follow_up_actions, f.max_queued
        );
        assert!(f.follow_ups > 0 && f.max_follow_up_actions > 0);
    }
    println!(
        "fuzz: {total} iterations in {:.2} s: {actions} actions, {answers} answers, \
         accepted: {} match_reply, {} notify acks, {} reset acks; {} report give-ups",
        t.elapsed().as_secs_f64(),
        accepted[0],
        accepted[1],
        accepted[2],
        accepted[3]
    );
    assert!(
        accepted.iter().all(|&n| n > 0),
        "every acceptance path reached"
    );
    assert!(answers > 0, "the fuzzer must reach the answering paths");
}
