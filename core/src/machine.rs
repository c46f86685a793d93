//! The bind state machine (SPEC sections 5-8).
//!
//! Each concern is a small state kept beside the others, an enum whose variants carry their
//! own deadlines, smoltcp style: the session (`Session`), the current token's report
//! (`Report::{NoToken, InFlight, Unsent, Acked, GaveUp}`, each with its attempts) beside the
//! token's own data (`Current`), the notify round (`Round::{Idle, Armed, Running,
//! AwaitingAck, AwaitingServer}`), the reset report (`ResetReport::Outstanding { retry_at,
//! delay_ms }`), each reply topic's subscription (`Subscription::{Off, On, RetryAt { at }}`),
//! the CoAP server's start (`Server::Retry`), the persisted reset flag's read and write
//! (`Flag`), and the phones waiting for a token (a FIFO). Deadlines are absolute instants;
//! [`Machine::poll_at`] is the earliest of them and [`Machine::poll`] acts on the due ones.
//!
//! The platform fails too: what the shell could not do (a publish, the server's start, a KV
//! read or write, a subscription) comes back as an event, and the machine decides the retry
//! (`core/tests/core_faults.rs`, `docs/RELIABILITY.md`).
//!
//! Time is hostile too: a clock that jumps or goes backwards only makes deadlines fire late or
//! early, elapsed times saturate at zero, and every counter wraps or saturates explicitly.

use super::msg::Reply;
use super::rng::ChaCha20;
use super::{
    json, Action, Answer, Config, IdEcho, Level, Line, Millis, Msg, QueryCtx, Sink, Stats, Sub,
    Token, Why, IOTX_AWSS_BIND_NOTIFY, IOTX_RESET, RESET_RETRY_MAX_MS,
};
use rand_core::RngCore;

/// The all-zero token: "no token".
pub const NO_TOKEN: Token = [0; 16];
/// The fixed id that phone apps of the C era use in their notify acks.
pub const LEGACY_NOTIFY_ACK_ID: u32 = 123;
/// Longest excerpt of hostile bytes quoted in a log line.
pub const LOG_EXCERPT: usize = 64;
/// How long `awss_start_connectap_monitor` opens the connect-AP info window.
pub const CONNECTAP_WINDOW_MS: u64 = 60_000;
/// How long a phone's query waits for an acknowledged token: RFC 7252's `EXCHANGE_LIFETIME`
/// (247 s), after which no phone can match an answer to its request, confirmable or not.
/// Long enough to outlast an MQTT outage's backoff.
pub const QUERY_WAIT_MS: u64 = 247_000;
/// Wait before subscribing again a reply topic whose subscription failed.
pub const SUBSCRIBE_RETRY_MS: u64 = 3_000;
/// Reads of the reset flag in all at a `connect` whose read fails (the first and the retries,
/// 3 s doubling): the HAL's `HAL_Kv_Get` returns the same error for a key never written (a
/// device that was never reset) as for a failed read, so the reads stop; the flag is then
/// taken as clear.
pub const FLAG_READS: u8 = 5;

fn excerpt(b: &[u8]) -> &[u8] {
    b.get(..LOG_EXCERPT).unwrap_or(b)
}

/// `now + ms` (saturating).
fn after(now: Millis, ms: u64) -> Millis {
    now.saturating_add(ms)
}

/// True when the deadline `at` is set and due at `now`.
fn due(at: Option<Millis>, now: Millis) -> bool {
    at.is_some_and(|t| t <= now)
}

/// The current token's report: where its lifecycle stands. `attempts` counts the report's
/// publishes since the token was made or its reporting restarted (a publish that failed
/// locally is none); the C data symbol `awss_report_token_cnt` mirrors it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Report {
    /// No current token (none made yet, or stopped, or deinit).
    NoToken,
    /// A report waits for its `match_reply`: at `retry_at` it is published again, or given
    /// up after the configured attempts.
    InFlight {
        /// Publishes so far (at least 1).
        attempts: u8,
        /// When to re-report or give up.
        retry_at: Millis,
    },
    /// The last publish failed locally (the MQTT client refused it: the broker is away), so
    /// the cloud never saw it and it is no attempt: published again at `retry_at`.
    Unsent {
        /// Publishes that went out before it.
        attempts: u8,
        /// When to publish again.
        retry_at: Millis,
    },
    /// The cloud acknowledged the token: it is valid for its lifetime.
    Acked {
        /// Publishes it took.
        attempts: u8,
    },
    /// Every attempt went unanswered: nothing is retried until the token is reported again
    /// (`awss_report_token()`, or the next `connect`). A late reply still confirms it.
    GaveUp {
        /// Publishes made.
        attempts: u8,
    },
}

impl Report {
    /// Publishes since the token was made or its reporting restarted.
    fn attempts(self) -> u8 {
        match self {
            Report::NoToken => 0,
            Report::InFlight { attempts, .. }
            | Report::Unsent { attempts, .. }
            | Report::Acked { attempts }
            | Report::GaveUp { attempts } => attempts,
        }
    }

    /// When the report is published again, if it is.
    fn retry_at(self) -> Option<Millis> {
        match self {
            Report::InFlight { retry_at, .. } | Report::Unsent { retry_at, .. } => Some(retry_at),
            Report::NoToken | Report::Acked { .. } | Report::GaveUp { .. } => None,
        }
    }
}

/// The notify round.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Round {
    /// No round runs.
    Idle,
    /// No round runs yet: the bind session's round starts at the token's acknowledgement.
    Armed,
    /// `sent` of `count` broadcasts are out; the next step is due at `next_at`.
    Running {
        /// Broadcasts in the round (never 0).
        count: u8,
        /// Broadcasts sent.
        sent: u8,
        /// When the next step is due.
        next_at: Millis,
    },
    /// The round waits for the acknowledgement of the token report in flight (the token is
    /// not valid); the next step comes with it.
    AwaitingAck {
        /// Broadcasts in the round (never 0).
        count: u8,
        /// Broadcasts sent.
        sent: u8,
    },
    /// The last broadcast could not go out: the CoAP server is down. The round goes on when
    /// the server is started again (its retry, or the next `connect`).
    AwaitingServer {
        /// Broadcasts in the round (never 0).
        count: u8,
        /// Broadcasts sent.
        sent: u8,
    },
}

impl Round {
    fn next_at(self) -> Option<Millis> {
        match self {
            Round::Running { next_at, .. } => Some(next_at),
            Round::Idle
            | Round::Armed
            | Round::AwaitingAck { .. }
            | Round::AwaitingServer { .. } => None,
        }
    }

    /// True while a round runs.
    fn running(self) -> bool {
        match self {
            Round::Running { .. } | Round::AwaitingAck { .. } | Round::AwaitingServer { .. } => {
                true
            }
            Round::Idle | Round::Armed => false,
        }
    }
}

/// The reset report.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResetReport {
    /// None outstanding.
    Idle,
    /// Reported, not acknowledged: reported again at `retry_at`, after a delay that doubles.
    Outstanding {
        /// When to report again.
        retry_at: Millis,
        /// The delay that led to `retry_at`.
        delay_ms: u32,
    },
}

/// The CoAP server that takes the phones' queries (`Action::RegisterQueries`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    /// Not wanted: no bind runs.
    Idle,
    /// `Action::RegisterQueries` was emitted; a failure reported for it is retried after
    /// `next_delay_ms`.
    Started {
        /// The delay before the next start should this one fail.
        next_delay_ms: u32,
    },
    /// Its start or registration failed: `Action::RegisterQueries` again at `retry_at`, after
    /// a delay that doubles (the reset report's backoff).
    Retry {
        /// When to start it again.
        retry_at: Millis,
        /// The delay that led to `retry_at`.
        delay_ms: u32,
    },
}

/// The persisted reset flag, as far as the machine must still read or write it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flag {
    /// Nothing to do: read at `connect` and written without a failure reported.
    Idle,
    /// The read at `connect` (or its retry) failed: read again at `retry_at`, after a delay
    /// that doubles; `reads` reads failed so far.
    ReadAt {
        /// When to read again.
        retry_at: Millis,
        /// The delay that led to `retry_at`.
        delay_ms: u32,
        /// Failed reads.
        reads: u8,
    },
    /// `Action::ReadResetFlag` was emitted; its result comes with
    /// [`Machine::reset_flag_read`].
    Reading {
        /// The delay that led to this read.
        delay_ms: u32,
        /// Failed reads before it.
        reads: u8,
    },
    /// `Action::SetResetFlag(value)` was emitted; a failure reported for it is retried after
    /// `next_delay_ms`.
    Written {
        /// The value written.
        value: bool,
        /// The delay before the next write should this one fail.
        next_delay_ms: u32,
    },
    /// The write of `value` failed and a deinit came before it stuck: written again at the
    /// next `connect` (after a deinit no timer runs).
    WriteAtConnect {
        /// The value to write.
        value: bool,
    },
    /// The write of `value` failed: written again at `retry_at`, after a delay that doubles.
    WriteAt {
        /// The value to write.
        value: bool,
        /// When to write again.
        retry_at: Millis,
        /// The delay that led to `retry_at`.
        delay_ms: u32,
    },
}

/// A reply topic's subscription, as far as the machine knows it: the MQTT client tells a
/// subscription's failure (see [`Machine::subscribe_failed`]), never its success.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subscription {
    /// Not subscribed: never, unsubscribed, or refused while it was not wanted.
    Off,
    /// `Action::Subscribe` was emitted and no failure was told for it.
    On,
    /// Its subscription was refused while it was wanted: at `at` every wanted topic that is
    /// not subscribed is subscribed again. A topic refused while another waits joins that
    /// one's `at` (one warning and one retry for an MQTT client that refuses both).
    RetryAt {
        /// When to subscribe again.
        at: Millis,
    },
}

/// The reply topics' subscriptions.
#[derive(Clone, Copy)]
struct Subscriptions {
    match_reply: Subscription,
    reset_reply: Subscription,
}

impl Subscriptions {
    fn of(&mut self, sub: Sub) -> &mut Subscription {
        match sub {
            Sub::MatchReply => &mut self.match_reply,
            Sub::ResetReply => &mut self.reset_reply,
        }
    }

    /// The retry scheduled, if any: when both topics wait, they wait for the same instant (a
    /// topic refused while the other waits joins its retry).
    fn retry_at(&self) -> Option<Millis> {
        match (self.match_reply, self.reset_reply) {
            (Subscription::RetryAt { at }, _) | (_, Subscription::RetryAt { at }) => Some(at),
            (Subscription::Off | Subscription::On, Subscription::Off | Subscription::On) => None,
        }
    }
}

fn elapsed(now: Millis, since: Millis) -> u64 {
    now.saturating_sub(since)
}

/// Where the bind session stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Session {
    /// No `connect` since boot or since the last `deinit`.
    Idle,
    /// Connected; binding starts when the reset report is acknowledged.
    AwaitReset,
    /// Binding runs.
    Binding,
}

/// The current token's own data (its report's state is [`Report`]).
#[derive(Clone, Copy)]
struct Current {
    /// All zero when there is none ([`Report::NoToken`]).
    token: Token,
    /// Id of its first report: its reports have ids in `first_id..next_report_id`.
    first_id: u32,
    /// End of the ids of its reports that the shell has started to publish
    /// (`first_id..sent_end`, see [`Machine::report_sending`]): only those can be answered.
    sent_end: u32,
    /// When it was last reported (its lifetime counts from there).
    last_report_at: Millis,
    /// [`Machine::notified`] when it became current: broadcasts with higher ids carry it.
    notified_before: u32,
    /// The wait before the last publish again after a local failure of one of its reports
    /// (0: none failed yet). The token's, not one report state's: the next local failure
    /// doubles it, also after reports that went out, were acknowledged or given up in
    /// between, until the token is replaced.
    unsent_delay_ms: u32,
}

impl Current {
    const fn none(next_report_id: u32, notified: u32) -> Self {
        Current {
            token: NO_TOKEN,
            first_id: next_report_id,
            sent_end: next_report_id,
            last_report_at: 0,
            notified_before: notified,
            unsent_delay_ms: 0,
        }
    }
}

/// A phone waiting for a token.
struct Pending<Q> {
    ctx: Q,
    mcast: bool,
    id: IdEcho,
    /// When it stops waiting: [`QUERY_WAIT_MS`] after its arrival. Without it, a cloud whose
    /// acks come later than a token's lifetime would keep one phone waiting, and the device
    /// rotating and reporting tokens for it, for ever.
    until: Millis,
}

/// Statistics and what is needed to keep them.
#[derive(Clone, Copy)]
struct StatsAcc {
    stats: Stats,
    /// Sum of the report-to-ack times, ms.
    total_ms: u64,
    /// When the current token's reporting started; taken by its first ack.
    started_at: Option<Millis>,
}

impl StatsAcc {
    const ZERO: StatsAcc = StatsAcc {
        stats: Stats {
            cnt: 0,
            suc: 0,
            max_ms: 0,
            min_ms: 0,
            mean_ms: 0,
            trace_id: 0,
        },
        total_ms: 0,
        started_at: None,
    };

    /// A report started now (the legacy `awss_bind_update_statis(0)`).
    fn start(&mut self, now: Millis) {
        self.started_at = None;
        self.count(now);
    }

    /// A report published now: counted, and timed from now unless a start is kept.
    fn count(&mut self, now: Millis) {
        self.stats.cnt = self.stats.cnt.saturating_add(1);
        self.stats.trace_id = self.stats.trace_id.wrapping_add(1);
        if self.started_at.is_none() {
            self.started_at = Some(now);
        }
    }

    /// An acknowledgement at `now`, timed from the start it takes (none: not counted).
    fn success(&mut self, now: Millis) {
        let Some(start) = self.started_at.take() else {
            return;
        };
        let ms = elapsed(now, start);
        let t = u32::try_from(ms).unwrap_or(u32::MAX);
        let s = &mut self.stats;
        s.suc = s.suc.saturating_add(1);
        s.max_ms = s.max_ms.max(t);
        s.min_ms = if s.suc == 1 { t } else { s.min_ms.min(t) };
        self.total_ms = self.total_ms.saturating_add(u64::from(t));
        let mean = self.total_ms / u64::from(s.suc.max(1));
        s.mean_ms = u32::try_from(mean).unwrap_or(u32::MAX);
    }
}

/// The whole bind module's state. `P` is the number of phone queries that may wait at once.
///
pub struct Machine<Q, const P: usize> {
    cur: Current,
    /// The current token's report.
    report: Report,
    /// The notify round.
    round: Round,
    /// The reset report.
    reset: ResetReport,
    /// The CoAP server's start.
    server: Server,
    /// The persisted reset flag's read or write still to do.
    flag: Flag,
    /// End of the connect-AP info window (`awss_start_connectap_monitor`), if open.
    connectap_until: Option<Millis>,
    /// The config set by `dev_bind_set_config`; `None` for the defaults (so that a `static`
    /// machine is all zero bits, in `.bss`).
    cfg: Option<Config>,
    /// `RegisterQueries` was emitted in this session when it is [`Session::Binding`].
    session: Session,
    /// `awss_cmp_online_init` asked for `match_reply` (the legacy online subscription).
    online: bool,
    /// The reply topics' subscriptions.
    subs: Subscriptions,
    /// `IOTX_AWSS_BIND_NOTIFY` was posted in this session.
    event_posted: bool,
    /// Next notify destination in the cycle (0..=3).
    dest: u8,
    next_report_id: u32,
    /// Broadcasts sent since boot: the last broadcast's id (ids count from 1).
    notified: u32,
    next_reset_id: u32,
    /// [`Machine::notified`] when the current (or most recent) round started.
    round_start: u32,
    /// Statistics posts since boot: the last post's id (ids count from 1).
    stats_posted: u32,
    /// A token to report at the next bind start (flow C); all zero when none.
    stored: Token,
    rng: ChaCha20,
    stats: StatsAcc,
    /// The phones waiting, oldest first.
    pending: heapless::Deque<Pending<Q>, P>,
}

/// `line` without arguments.
fn note<Q>(sink: &mut impl Sink<Q>, line: Line) {
    sink.log(line, &[], 0);
}

/// `line` with the number `n`.
fn say<Q>(sink: &mut impl Sink<Q>, line: Line, n: i64) {
    sink.log(line, &[], n);
}

/// Check a reply: a JSON object whose `code` is 200 (a number or a string of digits) and whose
/// `id` is a u32 (a number or a string of digits) in `lo..lo + span` (wrapping), or the legacy
/// notify ack id for a notify ack when `span` is not zero. For a reset reply both may be
/// absent. `Some(id)` (`lo` when absent), or `None` after a warning that says why (with an
/// excerpt of the payload, or the unknown id).
fn reply_id<Q>(
    sink: &mut impl Sink<Q>,
    kind: Reply,
    payload: &[u8],
    lo: u32,
    span: u32,
) -> Option<u32> {
    let lax = kind == Reply::Reset;
    let why = match json::scan(payload) {
        Err(e) => Why::Json(e),
        Ok(top) => {
            let code_ok = match top.code {
                None => lax,
                Some(v) => v.as_u32() == Some(200),
            };
            if !code_ok {
                Why::CodeNot200
            } else if top.id.is_none() && lax {
                return Some(lo);
            } else if let Some(n) = top.id.and_then(|v| v.as_u32()) {
                let legacy = kind == Reply::NotifyAck && n == LEGACY_NOTIFY_ACK_ID && span != 0;
                if n.wrapping_sub(lo) < span || legacy {
                    return Some(n);
                }
                let line = Line::new(Level::Warn, Msg::ignored(kind, Why::UnknownId));
                sink.log(line, &[], n.into());
                return None;
            } else {
                Why::BadId
            }
        }
    };
    let line = Line::new(Level::Warn, Msg::ignored(kind, why));
    sink.log(line, excerpt(payload), 0);
    None
}

/// Why a token's reporting ended without an acknowledgement.
#[derive(Clone, Copy)]
enum Ended {
    /// `awss_stop_report_token()`.
    Stopped,
    /// Every report attempt went unanswered.
    NoAck,
}

impl<Q: QueryCtx, const P: usize> Default for Machine<Q, P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Q: QueryCtx, const P: usize> Machine<Q, P> {
    /// An idle machine with the default config (usable in a `static`).
    pub const fn new() -> Self {
        Machine {
            cfg: None,
            connectap_until: None,
            // A zero key, evaluated at compile time also when `new` runs at run time.
            rng: const { ChaCha20::new([0; 32]) },
            session: Session::Idle,
            subs: Subscriptions {
                match_reply: Subscription::Off,
                reset_reply: Subscription::Off,
            },
            report: Report::NoToken,
            round: Round::Idle,
            reset: ResetReport::Idle,
            server: Server::Idle,
            flag: Flag::Idle,
            online: false,
            event_posted: false,
            cur: Current::none(0, 0),
            round_start: 0,
            dest: 0,
            stored: NO_TOKEN,
            pending: heapless::Deque::new(),
            stats: StatsAcc::ZERO,
            next_report_id: 0,
            notified: 0,
            next_reset_id: 0,
            stats_posted: 0,
        }
    }

    /// (Re)seed the token generator (ChaCha20) with 32 bytes of HAL entropy.
    pub fn seed(&mut self, seed: [u8; 32]) {
        self.rng = ChaCha20::new(seed);
    }

    /// Fill `out` with uniform random bytes from the token generator (`produce_random`).
    pub fn fill_random(&mut self, out: &mut [u8]) {
        self.rng.fill_bytes(out);
    }

    /// The configuration in force.
    pub fn config(&self) -> Config {
        self.cfg()
    }

    /// The config in force.
    fn cfg(&self) -> Config {
        self.cfg.unwrap_or(Config::DEFAULT)
    }

    /// `dev_bind_set_config`: `Err(())` (and no change) when a field is zero. The new values
    /// apply to the deadlines scheduled after the change.
    #[allow(clippy::result_unit_err)] // the C API's -1 carries no detail either
    pub fn set_config(
        &mut self,
        _now: Millis,
        cfg: Config,
        sink: &mut impl Sink<Q>,
    ) -> Result<(), ()> {
        let ok = cfg.is_valid();
        let line = if ok {
            self.cfg = Some(cfg);
            Line::new(Level::Info, Msg::ConfigUpdated)
        } else {
            Line::new(Level::Warn, Msg::ConfigRefused)
        };
        note(sink, line);
        ok.then_some(()).ok_or(())
    }

    /// `awss_report_cloud()`: MQTT is connected. Subscribe the reply topics; if `reset_flag`
    /// (the persisted KV flag) report the reset first and start binding when it is acked; else
    /// start binding. `provisioned` is what `aes_random` holds: a token to report (flow C)
    /// unless it is all zero or the current token (see [`Machine::start_bind`]).
    /// A second call while a session runs (MQTT reconnected) starts no new session; it
    /// subscribes again a reply topic the session lost, starts again a CoAP server that
    /// failed, and reports at once a token whose report could not go out or went unanswered.
    /// A reset flag whose write did not stick before a deinit is written first.
    pub fn connect(
        &mut self,
        now: Millis,
        reset_flag: bool,
        provisioned: Token,
        sink: &mut impl Sink<Q>,
    ) {
        // A flag whose write did not stick before a deinit: written now, and its value is
        // the flag's (the store may still hold the old one).
        let reset_flag = match self.flag {
            Flag::WriteAtConnect { value } => {
                self.write_flag(value, sink);
                value
            }
            Flag::Idle
            | Flag::ReadAt { .. }
            | Flag::Reading { .. }
            | Flag::Written { .. }
            | Flag::WriteAt { .. } => reset_flag,
        };
        if self.session != Session::Idle {
            note(sink, Line::new(Level::Debug, Msg::SessionActive));
            // Nothing new starts, but a reply topic the session wants and lost is taken again,
            // and a server that failed to start is started again now.
            match self.server {
                Server::Retry { delay_ms, .. } => {
                    self.start_server(self.backoff(delay_ms), sink);
                    self.resume_round(now, sink);
                }
                Server::Idle | Server::Started { .. } => {}
            }
            // MQTT is back: a token report that could not go out, or whose attempts all went
            // unanswered, is published again at once, its attempts restarted. One that went
            // out and waits for its reply is left to its retry (the MQTT client resends a QoS 1
            // publish on reconnect).
            let stalled = match self.report {
                Report::Unsent { .. } => true,
                Report::GaveUp { .. } => self.session == Session::Binding,
                Report::NoToken | Report::InFlight { .. } | Report::Acked { .. } => false,
            };
            if stalled {
                note(sink, Line::new(Level::Info, Msg::ReportAgainOnConnect));
                self.publish_report(now, 0, sink);
            }
            return self.resubscribe(sink);
        }
        if !reset_flag {
            return self.start_bind(now, provisioned, sink);
        }
        self.open_session(sink);
        self.keep(&provisioned);
        note(sink, Line::new(Level::Info, Msg::ResetFirst));
        self.report_reset_now(now, sink);
    }

    /// Keep `provisioned` for the bind start unless it is all zero or the current token (what
    /// `aes_random` holds when nobody provisioned a token: the module's own copy).
    fn keep(&mut self, provisioned: &Token) {
        if *provisioned != NO_TOKEN && *provisioned != self.cur.token {
            self.stored = *provisioned;
        }
    }

    fn open_session(&mut self, sink: &mut impl Sink<Q>) {
        self.session = Session::AwaitReset;
        self.resubscribe(sink);
    }

    /// `awss_start_bind()`: start binding now (idempotent within a session). Without a session
    /// it opens one (subscribing the reply topics) first. `provisioned` is what `aes_random`
    /// holds: reported as the first token (flow C) unless it is all zero or the current token;
    /// else a token stored by [`Machine::set_token`], else a fresh one.
    pub fn start_bind(&mut self, now: Millis, provisioned: Token, sink: &mut impl Sink<Q>) {
        match self.session {
            Session::Binding => {
                note(sink, Line::new(Level::Debug, Msg::BindRunning));
                return;
            }
            Session::Idle => self.open_session(sink),
            Session::AwaitReset => {}
        }
        self.keep(&provisioned);
        self.begin_bind(now, sink);
    }

    fn begin_bind(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        self.session = Session::Binding;
        let token = core::mem::replace(&mut self.stored, NO_TOKEN);
        if token != NO_TOKEN {
            note(sink, Line::new(Level::Info, Msg::ReportProvisioned));
        }
        // Entered from an idle session or one that waited for the reset's ack: the first
        // bind start of the session. The server and its resources come before the report:
        // its answer may come while it is being published, and start the notify round.
        self.start_server(self.cfg().reset_retry_ms, sink);
        self.begin_token(now, &token, sink);
        if self.round == Round::Idle {
            self.round = Round::Armed;
        }
        self.report_stats(sink);
    }

    /// `awss_bind_deinit()`: stop everything, unsubscribe, deinit CoAP, drop pending queries,
    /// forget the token and the statistics. The next `connect` starts afresh.
    pub fn deinit(&mut self, _now: Millis, sink: &mut impl Sink<Q>) {
        self.stop_round(sink);
        self.round = Round::Idle;
        self.reset = ResetReport::Idle;
        self.server = Server::Idle;
        // A read still to do is the session's, and a write made with no failure reported
        // went out; a write still to do is kept for the next `connect`, with no timer
        // meanwhile.
        self.flag = match self.flag {
            Flag::ReadAt { .. } | Flag::Reading { .. } | Flag::Written { .. } | Flag::Idle => {
                Flag::Idle
            }
            Flag::WriteAt { value, .. } | Flag::WriteAtConnect { value } => {
                Flag::WriteAtConnect { value }
            }
        };
        let dropped = Line::new(Level::Info, Msg::QueryDroppedBindDeinit);
        self.drop_pending(dropped, sink);
        self.online = false;
        self.subscribe(Sub::MatchReply, false, sink);
        self.subscribe(Sub::ResetReply, false, sink);
        if self.session == Session::Binding {
            sink.act(Action::DeinitCoap);
        }
        self.forget_token();
        self.stats = StatsAcc::ZERO;
        self.session = Session::Idle;
        self.event_posted = false;
        self.stored = NO_TOKEN;
        note(sink, Line::new(Level::Info, Msg::BindDeinit));
    }

    /// Make `token` current (a fresh random one, never all zero, when it is all zero) and
    /// report it now.
    fn begin_token(&mut self, now: Millis, token: &Token, sink: &mut impl Sink<Q>) {
        self.forget_token();
        self.cur.token = *token;
        // An all-zero draw is drawn again (each draw is new keystream).
        while self.cur.token == NO_TOKEN {
            self.rng.fill_bytes(&mut self.cur.token);
        }
        self.publish_report(now, 0, sink);
    }

    /// Publish the current token's report after `attempts` publishes.
    fn publish_report(&mut self, now: Millis, attempts: u8, sink: &mut impl Sink<Q>) {
        let id = self.next_report_id;
        self.next_report_id = id.wrapping_add(1);
        self.stats.count(now);
        self.cur.last_report_at = now;
        self.report = Report::InFlight {
            // Below the configured attempts (a u8) before each publish: no wrap.
            attempts: attempts.wrapping_add(1),
            retry_at: after(now, self.cfg().report_retry_ms.into()),
        };
        sink.act(Action::PublishReport {
            id,
            token: self.cur.token,
        });
    }

    /// The shell is about to publish the token report `id` (an `Action::PublishReport` it
    /// executes): from now on a `match_reply` with this id answers it, also one that arrives
    /// while the publish is still under way. A reply that arrives before (a stale reply from
    /// before a reboot, say) does not. Ignored for an id that is not of the current token's
    /// reports.
    pub fn report_sending(&mut self, id: u32) {
        let first = self.cur.first_id;
        let made = self.next_report_id.wrapping_sub(first);
        let offset = id.wrapping_sub(first);
        if offset < made && offset >= self.cur.sent_end.wrapping_sub(first) {
            self.cur.sent_end = id.wrapping_add(1);
        }
    }

    /// The shell's publish of the token report `id` failed locally (`rc` < 0: the MQTT client
    /// refused it, the broker is away). The cloud never saw it, so it is no attempt: the
    /// report stays pending and is published again after a backoff (the configured first
    /// reset delay, doubling up to the report retry), until a publish goes out. Ignored for a
    /// report that is not the current token's last one.
    pub fn report_failed(&mut self, now: Millis, id: u32, sink: &mut impl Sink<Q>) {
        let attempts = match self.report {
            Report::InFlight { attempts, .. } => attempts,
            // Not waiting for a reply: the failure is of an earlier publish.
            Report::NoToken
            | Report::Unsent { .. }
            | Report::Acked { .. }
            | Report::GaveUp { .. } => return,
        };
        let last = self.next_report_id.wrapping_sub(1);
        if id != last || !self.reported() {
            return;
        }
        let cfg = self.cfg();
        let delay_ms = match self.cur.unsent_delay_ms {
            0 => cfg.reset_retry_ms,
            d => d
                .saturating_mul(2)
                .min(cfg.report_retry_ms.max(cfg.reset_retry_ms)),
        };
        self.cur.unsent_delay_ms = delay_ms;
        say(
            sink,
            Line::new(Level::Error, Msg::ReportUnsent),
            delay_ms.into(),
        );
        self.report = Report::Unsent {
            attempts: attempts.saturating_sub(1),
            retry_at: after(now, delay_ms.into()),
        };
    }

    /// `awss_report_token()`: report the current token now (a fresh one if none), restarting its attempts.
    pub fn report_token(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        if self.report == Report::NoToken {
            self.begin_token(now, &NO_TOKEN, sink);
        } else {
            self.stats.started_at = None;
            self.publish_report(now, 0, sink);
        }
    }

    /// `awss_stop_report_token()`: stop report retries and forget the token (all zero).
    pub fn stop_report_token(&mut self, _now: Millis, sink: &mut impl Sink<Q>) {
        self.forget_token();
        self.report_ended(Ended::Stopped, sink);
    }

    /// No current token (all zero, no report yet), no statistics start.
    fn forget_token(&mut self) {
        self.report = Report::NoToken;
        self.cur = Current::none(self.next_report_id, self.notified);
        self.stats.started_at = None;
    }

    /// Nothing is in flight any more: nobody waits for an acknowledgement.
    fn report_ended(&mut self, why: Ended, sink: &mut impl Sink<Q>) {
        // A phone released because the cloud never answered lost its bind: a warning. One
        // released because the firmware stopped reporting: information.
        let (dropped, round) = match why {
            Ended::Stopped => (
                Line::new(Level::Info, Msg::QueryDroppedReportStopped),
                Msg::RoundEndedReportStopped,
            ),
            Ended::NoAck => (
                Line::new(Level::Warn, Msg::QueryDroppedNoAck),
                Msg::RoundEndedNoAck,
            ),
        };
        self.drop_pending(dropped, sink);
        match self.round {
            Round::AwaitingAck { .. } => self.end_round(Line::new(Level::Info, round), sink),
            // A round that broadcasts has a valid token; one that waits for the server goes
            // on with it.
            Round::Idle | Round::Armed | Round::Running { .. } | Round::AwaitingServer { .. } => {}
        }
    }

    /// Drop every waiting phone, a line `dropped` for each.
    fn drop_pending(&mut self, dropped: Line, sink: &mut impl Sink<Q>) {
        for _ in 0..self.pending.len() {
            note(sink, dropped);
        }
        self.pending.clear();
    }

    /// `awss_update_token()`: make a fresh token and report it now (logs `update token`).
    /// Also the rotation after an answer or an accepted notify ack.
    pub fn update_token(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        note(sink, Line::new(Level::Info, Msg::UpdateToken));
        self.begin_token(now, &NO_TOKEN, sink);
    }

    /// `dev_bind_set_token()`: adopt a phone-made token (flow C): reported at the next bind
    /// start, or now when a session runs. `Err(())` for an all-zero token.
    #[allow(clippy::result_unit_err)] // the C API's -1 carries no detail either
    pub fn set_token(
        &mut self,
        now: Millis,
        token: Token,
        sink: &mut impl Sink<Q>,
    ) -> Result<(), ()> {
        if token == NO_TOKEN {
            note(sink, Line::new(Level::Warn, Msg::SetTokenZero));
            return Err(());
        }
        if self.session == Session::Binding {
            note(sink, Line::new(Level::Info, Msg::ReportAppToken));
            self.begin_token(now, &token, sink);
        } else {
            self.stored = token;
        }
        Ok(())
    }

    /// The current token (all zero when none).
    pub fn token(&self) -> Token {
        self.cur.token
    }

    /// `awss_token_remain_time()`: ms left, 0 if the token is not acknowledged. Not zero is
    /// "the token is valid": acknowledged (so not all zero) and younger than its lifetime.
    pub fn token_remain_ms(&self, now: Millis) -> u32 {
        if !self.acked() {
            return 0;
        }
        let left = u64::from(self.cfg().token_lifetime_ms)
            .saturating_sub(elapsed(now, self.cur.last_report_at));
        u32::try_from(left).unwrap_or(0)
    }

    /// At least one report of the current token was published (its reports have the ids
    /// `cur.first_id..next_report_id`).
    fn reported(&self) -> bool {
        self.next_report_id != self.cur.first_id
    }

    /// `awss_token_timeout()`: true if the token expired or was never reported.
    pub fn token_timed_out(&self, now: Millis) -> bool {
        !self.reported()
            || elapsed(now, self.cur.last_report_at) > u64::from(self.cfg().token_lifetime_ms)
    }

    /// Mirror of the C data symbol `awss_report_token_suc`.
    pub fn report_token_suc(&self) -> bool {
        self.acked()
    }

    /// The cloud acknowledged the current token.
    fn acked(&self) -> bool {
        match self.report {
            Report::Acked { .. } => true,
            Report::NoToken
            | Report::InFlight { .. }
            | Report::Unsent { .. }
            | Report::GaveUp { .. } => false,
        }
    }

    /// Mirror of the C data symbol `awss_report_token_cnt` (report publishes of the current token).
    pub fn report_token_cnt(&self) -> u8 {
        self.report.attempts()
    }

    /// True while a token report waits for its `match_reply` (at most one at any time).
    pub fn report_in_flight(&self) -> bool {
        self.report.retry_at().is_some()
    }

    /// Phone queries waiting for a token.
    pub fn pending_queries(&self) -> usize {
        self.pending.len()
    }

    /// True while a notify round runs.
    pub fn notify_running(&self) -> bool {
        self.round.running()
    }

    /// True while a reset report waits for its acknowledgement.
    pub fn reset_outstanding(&self) -> bool {
        self.reset != ResetReport::Idle
    }

    /// True between `connect` (or `start_bind`) and `deinit`.
    pub fn session_active(&self) -> bool {
        self.session != Session::Idle
    }

    /// True while binding runs (a session that is not waiting for a reset acknowledgement).
    pub fn bind_running(&self) -> bool {
        self.session == Session::Binding
    }

    /// `match_reply` payload from MQTT (any bytes).
    pub fn on_match_reply(&mut self, now: Millis, payload: &[u8], sink: &mut impl Sink<Q>) {
        // The current token's reports (none: an empty span that matches no id).
        // A reply to a report the shell has not started to publish is stale (ids restart at
        // 0 on every boot): only the sent ones count.
        let first = self.cur.first_id;
        let span = self.cur.sent_end.wrapping_sub(first);
        let Some(id) = reply_id(sink, Reply::Match, payload, first, span) else {
            return;
        };
        let attempts = match self.report {
            Report::InFlight { attempts, .. }
            | Report::Unsent { attempts, .. }
            | Report::GaveUp { attempts } => attempts,
            Report::Acked { .. } => {
                return say(
                    sink,
                    Line::new(Level::Debug, Msg::MatchDuplicate),
                    id.into(),
                )
            }
            // No token: its span of ids is empty, no reply gets here.
            Report::NoToken => return,
        };
        say(
            sink,
            Line::new(Level::Info, Msg::TokenReplyAcked),
            id.into(),
        );
        self.report = Report::Acked { attempts };
        self.stats.success(now);
        match self.round {
            Round::Armed => {
                let count = self.cfg().notify_count;
                self.start_round(now, count, sink);
            }
            Round::AwaitingAck { count, sent } => self.notify_step(now, count, sent, sink),
            Round::Idle | Round::Running { .. } | Round::AwaitingServer { .. } => {}
        }
        // An ack that came later than the token's lifetime (a config whose lifetime is shorter
        // than the report retry) answers nobody: no phone gets an expired token.
        let late = Line::new(Level::Info, Msg::TokenExpiredBeforeAck);
        self.serve(now, late, sink);
    }

    /// If a phone waits: answer the oldest with the current token when it is valid, then
    /// rotate (the next phone gets another token); else log `wait` and rotate unless a report
    /// is in flight (its ack serves the queue).
    fn serve(&mut self, now: Millis, wait: Line, sink: &mut impl Sink<Q>) {
        if self.pending.is_empty() {
            return;
        }
        let remain_ms = self.token_remain_ms(now);
        if remain_ms != 0 {
            let Some(p) = self.pending.pop_front() else {
                return;
            };
            sink.answer(Answer {
                ctx: p.ctx,
                mcast: p.mcast,
                id: p.id,
                token: self.cur.token,
                remain_ms,
            });
        } else {
            note(sink, wait);
            if self.report_in_flight() {
                return;
            }
        }
        self.update_token(now, sink);
    }

    /// `reset_reply` payload from MQTT (any bytes).
    pub fn on_reset_reply(&mut self, now: Millis, payload: &[u8], sink: &mut impl Sink<Q>) {
        if self.reset == ResetReport::Idle {
            return note(sink, Line::new(Level::Info, Msg::ResetNotOutstanding));
        }
        // Any reset report of this boot.
        if reply_id(sink, Reply::Reset, payload, 0, self.next_reset_id).is_none() {
            return;
        }
        note(sink, Line::new(Level::Info, Msg::ResetAcked));
        self.reset = ResetReport::Idle;
        self.write_flag(false, sink);
        sink.act(Action::PostEvent(IOTX_RESET));
        if self.session == Session::AwaitReset {
            self.begin_bind(now, sink);
        }
    }

    /// Response to a notify broadcast: `result` of the CoAP send callback (0 = a response
    /// arrived), the response's CoAP `code` byte and payload (None if absent).
    pub fn on_notify_ack(
        &mut self,
        now: Millis,
        result: i32,
        code: u8,
        payload: Option<&[u8]>,
        sink: &mut impl Sink<Q>,
    ) {
        if result != 0 || code >= 0x60 {
            let (line, n) = if result != 0 {
                (Line::new(Level::Debug, Msg::AckNoResponse), result)
            } else {
                (Line::new(Level::Info, Msg::AckCoapCode), code.into())
            };
            return say(sink, line, n.into());
        }
        let Some(payload) = payload else {
            return note(sink, Line::new(Level::Warn, Msg::AckNoPayload));
        };
        // The round's broadcasts since the token became current have the last `span` ids
        // (only a valid, so non-zero, token is broadcast).
        let last = self.notified;
        let span = last
            .wrapping_sub(self.round_start)
            .min(last.wrapping_sub(self.cur.notified_before));
        let first = last.wrapping_sub(span).wrapping_add(1);
        let Some(id) = reply_id(sink, Reply::NotifyAck, payload, first, span) else {
            return;
        };
        say(sink, Line::new(Level::Info, Msg::NotifyAcked), id.into());
        self.stop_round(sink);
        self.update_token(now, sink);
    }

    /// A phone's query on `/sys/device/info/get` (`mcast`) or the unicast path.
    pub fn on_query(
        &mut self,
        now: Millis,
        ctx: Q,
        mcast: bool,
        payload: Option<&[u8]>,
        sink: &mut impl Sink<Q>,
    ) {
        if self.session != Session::Binding {
            note(sink, Line::new(Level::Info, Msg::QueryBindNotRunning));
            return;
        }
        let p = match json::id_echo(payload) {
            Ok(id) => Pending {
                ctx,
                mcast,
                id,
                until: after(now, QUERY_WAIT_MS),
            },
            Err(e) => {
                let line = Line::new(Level::Warn, Msg::query_ignored(e));
                sink.log(line, excerpt(payload.unwrap_or(&[])), 0);
                return;
            }
        };
        // A waiting queue means an unacknowledged (or expired) token: the query waits its turn.
        // A retransmission (same peer and message id: the same request, RFC 7252 4.5) is
        // already waiting: no second entry.
        if self.pending.iter().any(|w| w.ctx.same_request(&p.ctx)) {
            note(sink, Line::new(Level::Debug, Msg::QueryRetransmitted));
            return;
        }
        if self.pending.push_back(p).is_err() {
            return say(sink, Line::new(Level::Warn, Msg::QueriesWaiting), P as i64);
        }
        // Answered at once when the token is valid (the queue was empty).
        let wait = Line::new(Level::Debug, Msg::QueryWaits);
        self.serve(now, wait, sink);
    }

    /// `awss_dev_bind_notify()` / `awss_notify_dev_info(1, count)`: start a notify round of
    /// `count` broadcasts (config's `notify_count` when None or zero). A round already
    /// running restarts.
    pub fn notify_start(&mut self, now: Millis, count: Option<u8>, sink: &mut impl Sink<Q>) {
        let count = match count {
            Some(c) if c > 0 => c,
            Some(_) | None => self.cfg().notify_count,
        };
        self.start_round(now, count, sink);
    }

    /// Start a round (a running one ends first; an armed one is replaced by the first step).
    fn start_round(&mut self, now: Millis, count: u8, sink: &mut impl Sink<Q>) {
        self.stop_round(sink);
        if !self.event_posted {
            self.event_posted = true;
            sink.act(Action::PostEvent(IOTX_AWSS_BIND_NOTIFY));
        }
        self.round_start = self.notified;
        // Never 0: a count given is not zero, nor is the config's.
        debug_assert!(count != 0);
        self.notify_step(now, count, 0, sink);
    }

    /// End the round if one runs (an armed one stays armed).
    fn stop_round(&mut self, sink: &mut impl Sink<Q>) {
        if self.round.running() {
            self.end_round(Line::new(Level::Debug, Msg::RoundStopped), sink);
        }
    }

    /// End the round, saying why.
    fn end_round(&mut self, why: Line, sink: &mut impl Sink<Q>) {
        note(sink, why);
        self.round = Round::Idle;
        sink.act(Action::CancelNotify);
    }

    /// The next step of a round of `count` broadcasts of which `sent` are out: due at `now`,
    /// or the acknowledgement it waited for arrived.
    fn notify_step(&mut self, now: Millis, count: u8, sent: u8, sink: &mut impl Sink<Q>) {
        let remain_ms = self.token_remain_ms(now);
        if sent >= count {
            self.end_round(Line::new(Level::Debug, Msg::RoundDone), sink);
        } else if remain_ms != 0 {
            let id = self.notified.wrapping_add(1);
            self.notified = id;
            let dest = self.dest;
            self.dest = (dest + 1) % 4;
            let sent = sent.saturating_add(1);
            let gap = u64::from(sent).saturating_mul(self.cfg().notify_step_ms.into());
            self.round = Round::Running {
                count,
                sent,
                next_at: after(now, gap),
            };
            sink.act(Action::Notify {
                id,
                dest,
                token: self.cur.token,
                remain_ms,
            });
        } else if self.report_in_flight() {
            // A report in flight is one of an unacknowledged token (an ack ends it).
            note(sink, Line::new(Level::Debug, Msg::NotifyWaits));
            self.round = Round::AwaitingAck { count, sent };
        } else {
            let why = Line::new(Level::Info, Msg::RoundEndedNoValidToken);
            self.end_round(why, sink);
        }
    }

    /// `awss_dev_bind_notify_stop()`.
    pub fn notify_stop(&mut self, _now: Millis, sink: &mut impl Sink<Q>) {
        self.stop_round(sink);
        // Not armed either: the session's round no longer starts at the acknowledgement.
        self.round = Round::Idle;
    }

    /// `awss_report_reset()`: persist the flag and report the reset, retrying until acked.
    pub fn report_reset(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        self.write_flag(true, sink);
        self.subscribe(Sub::ResetReply, true, sink);
        self.report_reset_now(now, sink);
    }

    /// `awss_report_reset_to_cloud()`: report the reset now (flag already persisted).
    pub fn report_reset_now(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        let delay_ms = self.cfg().reset_retry_ms;
        self.publish_reset(now, delay_ms, sink);
    }

    fn publish_reset(&mut self, now: Millis, delay_ms: u32, sink: &mut impl Sink<Q>) {
        let id = self.next_reset_id;
        self.next_reset_id = id.wrapping_add(1);
        self.reset = ResetReport::Outstanding {
            retry_at: after(now, delay_ms.into()),
            delay_ms,
        };
        sink.act(Action::PublishReset { id });
    }

    /// `awss_stop_report_reset()`: stop retrying; the flag stays.
    pub fn stop_report_reset(&mut self, _now: Millis, sink: &mut impl Sink<Q>) {
        if self.reset != ResetReport::Idle {
            note(sink, Line::new(Level::Info, Msg::ResetStopped));
        }
        self.reset = ResetReport::Idle;
    }

    /// Persist the reset flag (`value`); a failure reported for it is retried.
    fn write_flag(&mut self, value: bool, sink: &mut impl Sink<Q>) {
        let next_delay_ms = self.cfg().reset_retry_ms;
        self.flag = Flag::Written {
            value,
            next_delay_ms,
        };
        sink.act(Action::SetResetFlag(value));
    }

    /// The shell could not write the reset flag `value` (`HAL_Kv_Set` failed, a flash busy
    /// erasing): an error line, and it is written again after the reset report's backoff
    /// until a write sticks, unless a newer write superseded it.
    pub fn reset_flag_write_failed(&mut self, now: Millis, value: bool, sink: &mut impl Sink<Q>) {
        let delay_ms = match self.flag {
            Flag::Written {
                value: v,
                next_delay_ms,
            } if v == value => next_delay_ms,
            Flag::Idle
            | Flag::Written { .. }
            | Flag::WriteAt { .. }
            | Flag::WriteAtConnect { .. }
            | Flag::ReadAt { .. }
            | Flag::Reading { .. } => return,
        };
        say(
            sink,
            Line::new(Level::Error, Msg::FlagWriteRetry),
            delay_ms.into(),
        );
        self.flag = Flag::WriteAt {
            value,
            retry_at: after(now, delay_ms.into()),
            delay_ms,
        };
    }

    /// The read of the reset flag at `connect` failed with `rc`: it is read again after the
    /// reset report's backoff, up to [`FLAG_READS`] reads in all (binding has started as
    /// if the flag were clear; a flag found set then is reported at once). Info lines, not
    /// errors: `HAL_Kv_Get` fails the same way for a key never written, so every device that
    /// was never reset reads "unread" at each boot, and nothing is lost while it reads again.
    pub fn reset_flag_unread(&mut self, now: Millis, rc: i32, sink: &mut impl Sink<Q>) {
        let (delay_ms, reads) = match self.flag {
            Flag::Reading { delay_ms, reads } => (self.backoff(delay_ms), reads),
            Flag::Idle | Flag::ReadAt { .. } => (self.cfg().reset_retry_ms, 0),
            // The value being written is the flag's: nothing to read.
            Flag::Written { .. } | Flag::WriteAt { .. } | Flag::WriteAtConnect { .. } => return,
        };
        let reads = reads.saturating_add(1);
        if reads >= FLAG_READS {
            say(sink, Line::new(Level::Info, Msg::FlagTakenClear), rc.into());
            self.flag = Flag::Idle;
            return;
        }
        say(sink, Line::new(Level::Info, Msg::FlagReadRetry), rc.into());
        self.flag = Flag::ReadAt {
            retry_at: after(now, delay_ms.into()),
            delay_ms,
            reads,
        };
    }

    /// The result of an `Action::ReadResetFlag`: `Ok(set)`, or `Err(rc)` from `HAL_Kv_Get`.
    /// A flag found set is reported now (retried until acknowledged, as at `connect`).
    pub fn reset_flag_read(
        &mut self,
        now: Millis,
        read: Result<bool, i32>,
        sink: &mut impl Sink<Q>,
    ) {
        match self.flag {
            Flag::Reading { .. } => {}
            // Not asked for (a deinit or a write came in between).
            Flag::Idle
            | Flag::ReadAt { .. }
            | Flag::Written { .. }
            | Flag::WriteAt { .. }
            | Flag::WriteAtConnect { .. } => return,
        }
        match read {
            Err(rc) => self.reset_flag_unread(now, rc, sink),
            Ok(set) => {
                self.flag = Flag::Idle;
                if set && self.session != Session::Idle && self.reset == ResetReport::Idle {
                    note(sink, Line::new(Level::Info, Msg::ResetFirst));
                    self.report_reset_now(now, sink);
                }
            }
        }
    }

    /// `Action::RegisterQueries` (at bind start, or again after a failure); should it fail,
    /// the next try comes after `next_delay_ms`.
    fn start_server(&mut self, next_delay_ms: u32, sink: &mut impl Sink<Q>) {
        self.server = Server::Started { next_delay_ms };
        sink.act(Action::RegisterQueries);
    }

    /// The reset report's backoff: the delay after `delay_ms` (doubling up to
    /// [`RESET_RETRY_MAX_MS`], or the configured first delay if that is longer).
    fn backoff(&self, delay_ms: u32) -> u32 {
        let cap = RESET_RETRY_MAX_MS.max(self.cfg().reset_retry_ms);
        delay_ms.saturating_mul(2).min(cap)
    }

    /// The broadcast of the round's last step could not go out: the CoAP server cannot start.
    /// It is not counted; the round waits for the server's next start (scheduled here with
    /// [`Machine::server_failed`]), or ends when no bind runs to start it again.
    pub fn notify_no_server(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        let (count, sent) = match self.round {
            Round::Running { count, sent, .. } => (count, sent),
            // No broadcast of a round was out.
            Round::Idle
            | Round::Armed
            | Round::AwaitingAck { .. }
            | Round::AwaitingServer { .. } => return,
        };
        let sent = sent.saturating_sub(1);
        self.server_failed(now, sink);
        match self.server {
            Server::Retry { .. } => {
                note(sink, Line::new(Level::Warn, Msg::NotifyWaitsServer));
                self.round = Round::AwaitingServer { count, sent };
            }
            Server::Idle | Server::Started { .. } => {
                self.end_round(Line::new(Level::Warn, Msg::RoundEndedNoServer), sink);
            }
        }
    }

    /// The server is being started again: a round that waited for it goes on now.
    fn resume_round(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        match self.round {
            Round::AwaitingServer { count, sent } => self.notify_step(now, count, sent, sink),
            Round::Idle | Round::Armed | Round::Running { .. } | Round::AwaitingAck { .. } => {}
        }
    }

    /// The shell could not start the CoAP server (`CoAPServer_init` returned NULL) or register
    /// a query resource on it: phones' queries go unanswered until it is up. While binding
    /// runs it is started again after the reset report's backoff (the configured first delay,
    /// doubling up to [`RESET_RETRY_MAX_MS`]), and at once at the next `connect`.
    pub fn server_failed(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        let delay_ms = match self.server {
            Server::Started { next_delay_ms } => next_delay_ms,
            // Not binding (a deinit came in between), or a retry already scheduled.
            Server::Idle | Server::Retry { .. } => return,
        };
        say(
            sink,
            Line::new(Level::Error, Msg::ServerRetry),
            delay_ms.into(),
        );
        self.server = Server::Retry {
            retry_at: after(now, delay_ms.into()),
            delay_ms,
        };
    }

    /// The shell could not subscribe `sub` (the MQTT client refused: not connected yet, out of
    /// resources). The subscription is tried again after [`SUBSCRIBE_RETRY_MS`], and at the
    /// next `connect`, for as long as the topic is still wanted.
    pub fn subscribe_failed(&mut self, now: Millis, sub: Sub, sink: &mut impl Sink<Q>) {
        let state = if !self.wants(sub) {
            Subscription::Off
        } else if let Some(at) = self.subs.retry_at() {
            Subscription::RetryAt { at }
        } else {
            note(sink, Line::new(Level::Warn, Msg::SubscribeFailed));
            Subscription::RetryAt {
                at: after(now, SUBSCRIBE_RETRY_MS),
            }
        };
        *self.subs.of(sub) = state;
    }

    /// A reply topic is wanted while a session runs (both), while the legacy online
    /// subscription is on (`match_reply`) or while a reset report is outstanding
    /// (`reset_reply`).
    fn wants(&self, sub: Sub) -> bool {
        self.session != Session::Idle
            || match sub {
                Sub::MatchReply => self.online,
                Sub::ResetReply => self.reset != ResetReport::Idle,
            }
    }

    /// `awss_cmp_online_init()`: the legacy online subscription, `match_reply` (subscribed
    /// unless it already is).
    pub fn online_init(&mut self, _now: Millis, sink: &mut impl Sink<Q>) {
        self.online = true;
        self.subscribe(Sub::MatchReply, true, sink);
    }

    /// `awss_cmp_online_deinit()`: end the legacy online subscription: stop the notify round,
    /// and unsubscribe `match_reply` unless a bind session still wants it (the C module
    /// unsubscribed it under the session's feet, which then never heard its acks again).
    pub fn online_deinit(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        if !self.online {
            return;
        }
        self.online = false;
        self.notify_stop(now, sink);
        if !self.wants(Sub::MatchReply) {
            self.subscribe(Sub::MatchReply, false, sink);
        }
    }

    /// Subscribe every wanted reply topic that is not subscribed.
    fn resubscribe(&mut self, sink: &mut impl Sink<Q>) {
        if self.wants(Sub::MatchReply) {
            self.subscribe(Sub::MatchReply, true, sink);
        }
        if self.wants(Sub::ResetReply) {
            self.subscribe(Sub::ResetReply, true, sink);
        }
    }

    /// Subscribe (`on`) or unsubscribe `sub` unless it already is.
    fn subscribe(&mut self, sub: Sub, on: bool, sink: &mut impl Sink<Q>) {
        let s = self.subs.of(sub);
        // A refused one (its retry dropped either way) has nothing to unsubscribe.
        let was_on = *s == Subscription::On;
        *s = if on {
            Subscription::On
        } else {
            Subscription::Off
        };
        if was_on != on {
            sink.act(if on {
                Action::Subscribe(sub)
            } else {
                Action::Unsubscribe(sub)
            });
        }
    }

    /// The timer fired (or any time): act on every deadline that is due at `now`. Each
    /// concern acts at most once per call, so a clock stuck at its maximum cannot loop.
    pub fn poll(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        if due(self.subs.retry_at(), now) {
            for sub in [Sub::MatchReply, Sub::ResetReply] {
                let s = self.subs.of(sub);
                match s {
                    Subscription::RetryAt { .. } => *s = Subscription::Off,
                    Subscription::Off | Subscription::On => {}
                }
            }
            self.resubscribe(sink);
        }
        match self.flag {
            Flag::ReadAt {
                retry_at,
                delay_ms,
                reads,
            } if retry_at <= now => {
                self.flag = Flag::Reading { delay_ms, reads };
                sink.act(Action::ReadResetFlag);
            }
            Flag::WriteAt {
                value,
                retry_at,
                delay_ms,
            } if retry_at <= now => {
                let next_delay_ms = self.backoff(delay_ms);
                self.flag = Flag::Written {
                    value,
                    next_delay_ms,
                };
                sink.act(Action::SetResetFlag(value));
            }
            Flag::Idle
            | Flag::ReadAt { .. }
            | Flag::Reading { .. }
            | Flag::Written { .. }
            | Flag::WriteAt { .. }
            | Flag::WriteAtConnect { .. } => {}
        }
        match self.server {
            Server::Retry { retry_at, delay_ms } if retry_at <= now => {
                self.start_server(self.backoff(delay_ms), sink);
                self.resume_round(now, sink);
            }
            Server::Idle | Server::Started { .. } | Server::Retry { .. } => {}
        }
        match self.report {
            Report::Unsent { attempts, retry_at } if retry_at <= now => {
                self.publish_report(now, attempts, sink);
            }
            Report::InFlight { attempts, retry_at } if retry_at <= now => {
                if attempts < self.cfg().report_attempts {
                    note(sink, Line::new(Level::Debug, Msg::NoMatchReply));
                    self.publish_report(now, attempts, sink);
                } else {
                    say(sink, Line::new(Level::Info, Msg::TryFail), attempts.into());
                    self.report = Report::GaveUp { attempts };
                    self.report_ended(Ended::NoAck, sink);
                }
            }
            Report::NoToken
            | Report::InFlight { .. }
            | Report::Unsent { .. }
            | Report::Acked { .. }
            | Report::GaveUp { .. } => {}
        }
        self.drop_expired_queries(now, sink);
        match self.round {
            Round::Running {
                count,
                sent,
                next_at,
            } if next_at <= now => self.notify_step(now, count, sent, sink),
            Round::Idle
            | Round::Armed
            | Round::Running { .. }
            | Round::AwaitingAck { .. }
            | Round::AwaitingServer { .. } => {}
        }
        match self.reset {
            ResetReport::Outstanding { retry_at, delay_ms } if retry_at <= now => {
                note(sink, Line::new(Level::Debug, Msg::NoResetReply));
                let next = self.backoff(delay_ms);
                self.publish_reset(now, next, sink);
            }
            ResetReport::Idle | ResetReport::Outstanding { .. } => {}
        }
    }

    /// Drop every waiting phone whose wait is over (a warning each). The queue is in order of
    /// arrival and every wait is [`QUERY_WAIT_MS`], so those are the ones at its front.
    fn drop_expired_queries(&mut self, now: Millis, sink: &mut impl Sink<Q>) {
        while self.pending.front().is_some_and(|p| p.until <= now) {
            self.pending.pop_front();
            note(sink, Line::new(Level::Warn, Msg::QueryDroppedWaited));
        }
    }

    /// The earliest deadline, if any.
    pub fn poll_at(&self) -> Option<Millis> {
        let reset = match self.reset {
            ResetReport::Outstanding { retry_at, .. } => Some(retry_at),
            ResetReport::Idle => None,
        };
        let server = match self.server {
            Server::Retry { retry_at, .. } => Some(retry_at),
            Server::Idle | Server::Started { .. } => None,
        };
        let flag = match self.flag {
            Flag::ReadAt { retry_at, .. } | Flag::WriteAt { retry_at, .. } => Some(retry_at),
            Flag::Idle
            | Flag::Reading { .. }
            | Flag::Written { .. }
            | Flag::WriteAtConnect { .. } => None,
        };
        [
            self.subs.retry_at(),
            self.report.retry_at(),
            self.round.next_at(),
            reset,
            server,
            flag,
            self.pending.front().map(|p| p.until),
        ]
        // By reference: moving the array into an iterator copies it first (the shell asks
        // after every entry).
        .iter()
        .flatten()
        .min()
        .copied()
    }

    /// `awss_start_connectap_monitor()`: answer connect-AP info queries for the next
    /// [`CONNECTAP_WINDOW_MS`].
    pub fn connectap_start(&mut self, now: Millis) {
        self.connectap_until = Some(after(now, CONNECTAP_WINDOW_MS));
    }

    /// `awss_stop_connectap_monitor()`: stop answering them.
    pub fn connectap_stop(&mut self) {
        self.connectap_until = None;
    }

    /// True while connect-AP info queries are answered.
    pub fn connectap_open(&self, now: Millis) -> bool {
        self.connectap_until.is_some_and(|until| now < until)
    }

    /// Current statistics.
    pub fn stats(&self) -> Stats {
        self.stats.stats
    }

    /// `awss_bind_clear_statis()`.
    pub fn clear_stats(&mut self) {
        self.stats = StatsAcc::ZERO;
    }

    /// `awss_bind_report_statis()`: queue a statistics post if a token-sync count exists.
    pub fn report_stats(&mut self, sink: &mut impl Sink<Q>) {
        if self.stats.stats.cnt == 0 {
            return;
        }
        let id = self.stats_posted.wrapping_add(1);
        self.stats_posted = id;
        sink.act(Action::PublishStats {
            id,
            stats: self.stats.stats,
        });
    }

    /// `awss_bind_update_statis(0 = start | 1 = success)` (legacy entry point). A success
    /// with no start before it is not counted.
    pub fn update_stats(&mut self, now: Millis, kind: i32) {
        match kind {
            0 => self.stats.start(now),
            1 => self.stats.success(now),
            _ => {}
        }
    }
}
