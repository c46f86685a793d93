//! Speed figures of the protocol core: simulated protocol hours per wall-clock second, events
//! per second, and the machine's size. Prints with `cargo test -p dev-bind-core --release --test
//! core_speed_figures -- --nocapture`; asserts only correctness (every query answered with a distinct, reported,
//! acknowledged token; no report flood), never timings. Runs in well under 2 s, even unoptimised.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use dev_bind_core::render::{self, Identity, Writer};
use dev_bind_core::{Action, Answer, Level, Line, Machine, Millis, Piece, QueryCtx, Sink, Token};

/// A phone's reply context, the size of the shell's copy (address, message id, token, Observe).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Q {
    peer: u32,
    msgid: u16,
    pad: [u8; 42],
}

impl QueryCtx for Q {
    fn same_request(&self, other: &Self) -> bool {
        self.peer == other.peer && self.msgid == other.msgid
    }
}

type M = Machine<Q, 4>;

const WHO: Identity<'static> = Identity {
    product_key: b"a1GQc8iJOWI",
    device_name: b"gateway_test01",
    mac: b"b0:f8:93:15:bf:21",
    ip: b"10.0.0.59",
};

/// Does what the C shell does with each action, minus the I/O: renders every payload (and
/// every log line at the default level) into stack buffers, and plays the cloud and phones.
struct World {
    now: Millis,
    cloud_delay: u64,
    /// (due, report id) of the cloud's pending match_reply messages
    cloud: VecDeque<(Millis, u32)>,
    /// (due, notify id) of a phone's pending notify ack
    phone_acks: VecDeque<(Millis, u32)>,
    reported: HashSet<Token>,
    answered: HashSet<Token>,
    reports: u64,
    answers: u64,
    notifies: u64,
    bytes_rendered: u64,
    log_lines: u64,
    ack_nth_notify: u64,
}

impl World {
    fn new(cloud_delay: u64) -> World {
        World {
            now: 1_000,
            cloud_delay,
            cloud: VecDeque::new(),
            phone_acks: VecDeque::new(),
            reported: HashSet::new(),
            answered: HashSet::new(),
            reports: 0,
            answers: 0,
            notifies: 0,
            bytes_rendered: 0,
            log_lines: 0,
            ack_nth_notify: 5,
        }
    }
}

impl World {
    /// Record one action (answers included), in order.
    fn record(&mut self, action: Action<Answer<Q>>) {
        let mut buf = [0u8; 768];
        let mut w = Writer::new(&mut buf);
        match action {
            Action::PublishReport { id, token } => {
                render::report(&mut w, id, &token);
                self.reports += 1;
                self.reported.insert(token);
                self.cloud.push_back((self.now + self.cloud_delay, id));
            }
            Action::Notify {
                id,
                token,
                remain_ms,
                ..
            } => {
                render::notify(&mut w, id, &WHO, &token, remain_ms);
                self.notifies += 1;
                if self.notifies % self.ack_nth_notify == 0 {
                    self.phone_acks.push_back((self.now + 50, id));
                }
            }
            Action::Answer(Answer {
                id,
                token,
                remain_ms,
                ..
            }) => {
                render::answer(&mut w, &id, &WHO, &token, remain_ms);
                assert!(
                    self.reported.contains(&token),
                    "answered a token never reported"
                );
                assert!(
                    self.answered.insert(token),
                    "two answers carry the same token"
                );
                self.answers += 1;
            }
            Action::PublishReset { id } => render::reset(&mut w, id),
            Action::PublishStats { id, stats } => render::stats(&mut w, id, self.now, &stats),
            _ => {}
        }
        assert!(w.ok(), "a payload overflowed its buffer");
        self.bytes_rendered += w.len() as u64;
    }
}

impl Sink<Q> for World {
    fn act(&mut self, action: Action<()>) {
        self.record(action.map_answer(|()| unreachable!("answers come through Sink::answer")));
    }
    fn answer(&mut self, answer: Answer<Q>) {
        self.record(Action::Answer(answer));
    }
    fn log(&mut self, line: Line, bytes: &[u8], num: i64) {
        if line.level() > Level::Info {
            return;
        }
        let mut buf = [0u8; 600];
        let mut w = Writer::new(&mut buf);
        w.str("[inf] dev_bind: ");
        line.pieces(bytes, num, &mut |p| match p {
            Piece::Text(t) => {
                w.bytes(t);
            }
            Piece::Bytes(b) => {
                w.bytes(b);
            }
            Piece::Num(n) => {
                w.i64(n);
            }
        });
        self.log_lines += 1;
        self.bytes_rendered += w.len() as u64;
    }
}

struct Figures {
    sim_ms: u64,
    events: u64,
    wall_s: f64,
    queries: u64,
    world: World,
}

/// `hours` of a connected device: one phone query every `query_every` ms (phones cycle over
/// `phones` peers), the cloud acknowledging each report `cloud_delay` ms later, and a phone
/// acknowledging every fifth notify broadcast 50 ms later.
fn run(hours: u64, query_every: u64, phones: u32, cloud_delay: u64) -> Figures {
    let mut m = Box::new(M::new());
    m.seed([0x5a; 32]);
    let mut world = World::new(cloud_delay);
    let end = world.now + hours * 3_600_000;
    let started = Instant::now();
    let mut events = 1u64;
    m.connect(world.now, false, [0; 16], &mut world);
    let mut next_query = world.now + query_every;
    let mut queries = 0u64;
    let payload = b"{\"id\":\"123\",\"version\":\"1.0\",\"params\":{}}";
    loop {
        let due_machine = m.poll_at().unwrap_or(Millis::MAX);
        let due_cloud = world.cloud.front().map_or(Millis::MAX, |c| c.0);
        let due_phone = world.phone_acks.front().map_or(Millis::MAX, |c| c.0);
        let t = due_machine.min(due_cloud).min(due_phone).min(next_query);
        if t > end {
            break;
        }
        world.now = world.now.max(t);
        let now = world.now;
        if due_cloud == t {
            let (_, id) = world.cloud.pop_front().unwrap();
            let mut buf = [0u8; 64];
            let mut w = Writer::new(&mut buf);
            w.str("{\"id\":\"")
                .u64(id.into())
                .str("\",\"code\":200,\"data\":{}}");
            let n = w.len();
            // The shell published the report before the cloud answered it.
            m.report_sending(id);
            m.on_match_reply(now, &buf[..n], &mut world);
        } else if due_phone == t {
            let (_, id) = world.phone_acks.pop_front().unwrap();
            let mut buf = [0u8; 64];
            let mut w = Writer::new(&mut buf);
            w.str("{\"id\":").u64(id.into()).str(",\"code\":200}");
            let n = w.len();
            m.on_notify_ack(now, 0, 0x45, Some(&buf[..n]), &mut world);
        } else if next_query == t {
            queries += 1;
            let q = Q {
                peer: (queries as u32) % phones,
                msgid: queries as u16,
                pad: [0; 42],
            };
            m.on_query(now, q, queries % 2 == 0, Some(payload), &mut world);
            next_query += query_every;
        } else {
            m.poll(now, &mut world);
        }
        events += 1;
    }
    let wall_s = started.elapsed().as_secs_f64();
    Figures {
        sim_ms: end - 1_000,
        events,
        wall_s,
        queries,
        world,
    }
}

fn print(name: &str, f: &Figures) {
    let hours = f.sim_ms as f64 / 3_600_000.0;
    let wall = f.wall_s.max(1e-9);
    println!(
        "{name}: {hours:.0} h simulated in {:.1} ms: {:.0} simulated h/s, {} events ({:.0} events/s, \
         {:.2} us/event); {} queries, {} answers, {} reports, {} broadcasts, {} log lines, {} KB rendered",
        wall * 1e3,
        hours / wall,
        f.events,
        f.events as f64 / wall,
        wall * 1e6 / f.events as f64,
        f.queries,
        f.world.answers,
        f.world.reports,
        f.world.notifies,
        f.world.log_lines,
        f.world.bytes_rendered / 1024,
    );
}

#[test]
fn speed_figures() {
    println!(
        "core speed figures ({} build; timings are informative only):",
        if cfg!(debug_assertions) {
            "unoptimised test"
        } else {
            "optimised"
        }
    );
    println!(
        "Machine<Q, 4> (4 waiting queries of {} bytes each): {} bytes",
        std::mem::size_of::<Q>(),
        std::mem::size_of::<M>()
    );

    // A day of a device: a phone query every 10 s, the cloud acking reports after 50 ms.
    let day = run(24, 10_000, 4, 50);
    print("day, query every 10 s, cloud 50 ms", &day);
    // Every query gets exactly one answer, each with its own token (the token is valid when the
    // query arrives, or becomes valid 50 ms later).
    assert_eq!(day.queries, 24 * 360);
    assert_eq!(day.world.answers, day.queries);
    // One report per answer (the rotation) plus the first and the notify-ack rotations: the
    // cloud is never flooded.
    assert!(day.world.reports <= day.queries + day.world.notifies / 5 + 2);
    assert!(day.world.notifies >= 1);

    // A busy hour: four phones asking every 250 ms against a slow cloud (2 s): queries wait
    // for acknowledgements (those beyond the four waiting slots are dropped with a log line).
    let busy = run(1, 250, 4, 2_000);
    print("busy hour, query every 250 ms, cloud 2 s", &busy);
    assert!(busy.world.answers > 0);
    assert!(busy.world.answers <= busy.queries);
    // Reports follow acks, not queries: at most one report in flight per 2 s round trip
    // (plus the notify-ack rotations).
    assert!(busy.world.reports <= 3_600_000 / 2_000 + busy.world.notifies / 5 + 2);
}
