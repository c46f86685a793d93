//! Shared helpers of the core's tests: a recording sink, a 48-byte query context and a
//! simulated clock driving a `Machine` through its deadlines.
#![allow(dead_code)]

use dev_bind_core::render::{self, Identity, Writer};
use dev_bind_core::{
    Action, Answer, Config, IdEcho, IdKind, Level, Line as LogLine, Machine, Millis, Piece,
    QueryCtx, Sink, Token,
};

/// The shell's reply context stand-in: a peer, a CoAP message id and padding up to 48 bytes
/// (the size of the shell's copy of address, message id, token and Observe option).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Q {
    pub peer: u32,
    pub msgid: u16,
    pub pad: [u8; 42],
}

impl Q {
    pub fn new(peer: u32, msgid: u16) -> Q {
        Q {
            peer,
            msgid,
            pad: [0; 42],
        }
    }
}

impl QueryCtx for Q {
    fn same_request(&self, other: &Self) -> bool {
        self.peer == other.peer && self.msgid == other.msgid
    }
}

pub const P: usize = 4;
pub type M = Machine<Q, P>;

/// A log line, rendered to text.
#[derive(Clone, Debug)]
pub struct Line {
    pub level: Level,
    pub text: String,
}

/// Records actions and log lines.
#[derive(Default)]
pub struct Rec {
    pub actions: Vec<Action<Answer<Q>>>,
    pub logs: Vec<Line>,
}

pub fn render_line(line: LogLine, bytes: &[u8], num: i64) -> String {
    let mut s = String::new();
    line.pieces(bytes, num, &mut |p| match p {
        Piece::Text(t) => s.push_str(std::str::from_utf8(t).expect("log texts are ASCII")),
        Piece::Num(n) => s.push_str(&n.to_string()),
        Piece::Bytes(b) => {
            for &c in b {
                if (0x20..0x7f).contains(&c) {
                    s.push(c as char);
                } else {
                    s.push_str(&format!("\\x{c:02x}"));
                }
            }
        }
    });
    s
}

impl Rec {
    /// Record one action (answers included), in order.
    fn record(&mut self, action: Action<Answer<Q>>) {
        self.actions.push(action);
    }
}

impl Sink<Q> for Rec {
    fn act(&mut self, action: Action<()>) {
        self.record(action.map_answer(|()| unreachable!("answers come through Sink::answer")));
    }
    fn answer(&mut self, answer: Answer<Q>) {
        self.record(Action::Answer(answer));
    }
    fn log(&mut self, line: LogLine, bytes: &[u8], num: i64) {
        self.logs.push(Line {
            level: line.level(),
            text: render_line(line, bytes, num),
        });
    }
}

/// A machine, a simulated clock and a recorder.
pub struct Sim {
    pub m: Box<M>,
    pub now: Millis,
    pub rec: Rec,
}

pub const SEED: [u8; 32] = [7; 32];

impl Sim {
    pub fn new() -> Sim {
        let mut m = Box::new(M::new());
        m.seed(SEED);
        Sim {
            m,
            now: 1_000,
            rec: Rec::default(),
        }
    }

    pub fn with_config(cfg: Config) -> Sim {
        let mut s = Sim::new();
        let now = s.now;
        s.m.set_config(now, cfg, &mut s.rec).unwrap();
        s.rec.logs.clear();
        s
    }

    /// Advance the clock by `ms`, polling at every deadline on the way (and at the end).
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        let mut guard = 0;
        while let Some(t) = self.m.poll_at() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            self.m.poll(self.now, &mut self.rec);
            guard += 1;
            assert!(guard < 1_000_000, "poll loop does not settle");
        }
        self.now = end;
        self.m.poll(self.now, &mut self.rec);
    }

    /// Advance to the absolute time `t`.
    pub fn advance_to(&mut self, t: Millis) {
        assert!(t >= self.now);
        self.advance(t - self.now);
    }

    /// Drain the recorded actions.
    pub fn take(&mut self) -> Vec<Action<Answer<Q>>> {
        std::mem::take(&mut self.rec.actions)
    }

    pub fn take_logs(&mut self) -> Vec<Line> {
        std::mem::take(&mut self.rec.logs)
    }

    pub fn connect(&mut self) {
        self.m.connect(self.now, false, [0; 16], &mut self.rec);
    }

    pub fn ack_raw(&mut self, payload: &str) {
        self.m
            .on_match_reply(self.now, payload.as_bytes(), &mut self.rec);
    }

    /// A cloud `match_reply` for report `id`, which the shell has published (see
    /// `Machine::report_sending`; `ack_raw` delivers a reply without that).
    pub fn ack(&mut self, id: u32) {
        self.m.report_sending(id);
        self.ack_raw(&format!("{{\"id\":\"{id}\",\"code\":200,\"data\":{{}}}}"));
    }

    pub fn query(&mut self, peer: u32, msgid: u16, mcast: bool, payload: &str) {
        self.m.on_query(
            self.now,
            Q::new(peer, msgid),
            mcast,
            Some(payload.as_bytes()),
            &mut self.rec,
        );
    }

    pub fn notify_ack(&mut self, payload: &str) {
        self.m
            .on_notify_ack(self.now, 0, 0x45, Some(payload.as_bytes()), &mut self.rec);
    }

    pub fn reset_reply(&mut self, payload: &str) {
        self.m
            .on_reset_reply(self.now, payload.as_bytes(), &mut self.rec);
    }

    pub fn logged(&self, needle: &str) -> bool {
        self.rec.logs.iter().any(|l| l.text.contains(needle))
    }
}

/// The report ids and tokens among `actions`.
pub fn reports(actions: &[Action<Answer<Q>>]) -> Vec<(u32, Token)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::PublishReport { id, token } => Some((*id, *token)),
            _ => None,
        })
        .collect()
}

/// The last report among `actions`.
pub fn last_report(actions: &[Action<Answer<Q>>]) -> (u32, Token) {
    *reports(actions).last().expect("a report")
}

/// (id, dest, token, remain) of every notify among `actions`.
pub fn notifies(actions: &[Action<Answer<Q>>]) -> Vec<(u32, u8, Token, u32)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Notify {
                id,
                dest,
                token,
                remain_ms,
            } => Some((*id, *dest, *token, *remain_ms)),
            _ => None,
        })
        .collect()
}

/// A phone's answer, as the core hands it out.
#[derive(Clone, Debug)]
pub struct Ans {
    pub ctx: Q,
    pub mcast: bool,
    pub id: IdEcho,
    pub token: Token,
    pub remain_ms: u32,
}

pub fn answers(actions: &[Action<Answer<Q>>]) -> Vec<Ans> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Answer(Answer {
                ctx,
                mcast,
                id,
                token,
                remain_ms,
            }) => Some(Ans {
                ctx: ctx.clone(),
                mcast: *mcast,
                id: id.clone(),
                token: *token,
                remain_ms: *remain_ms,
            }),
            _ => None,
        })
        .collect()
}

pub fn count<F: Fn(&Action<Answer<Q>>) -> bool>(actions: &[Action<Answer<Q>>], f: F) -> usize {
    actions.iter().filter(|a| f(a)).count()
}

pub fn echo(kind: IdKind, text: &str) -> IdEcho {
    IdEcho {
        kind,
        text: heapless::Vec::from_slice(text.as_bytes()).unwrap(),
    }
}

pub const WHO: Identity<'static> = Identity {
    product_key: b"a1pk",
    device_name: b"dev1",
    mac: b"aa:bb:cc:dd:ee:ff",
    ip: b"10.0.0.59",
};

/// Render an answer's JSON text.
pub fn answer_text(a: &Ans) -> String {
    let mut buf = [0u8; 1024];
    let mut w = Writer::new(&mut buf);
    render::answer(&mut w, &a.id, &WHO, &a.token, a.remain_ms);
    assert!(w.ok());
    String::from_utf8(w.as_bytes().to_vec()).unwrap()
}

/// `text` parsed by serde_json, the reference parser (a test fails on invalid JSON).
pub fn judge(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not valid JSON ({e}): {text}"))
}

pub fn hex(t: &Token) -> String {
    t.iter().map(|b| format!("{b:02X}")).collect()
}

/// A tiny deterministic PRNG for tests (xorshift64*).
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// An index below `n` (0 when `n` is 0).
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}
