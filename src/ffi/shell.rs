//! The shell around the core: the `static` machine behind the module lock, the action queue,
//! and the entry wrapper every export goes through.
//!
//! An entry: lock -> call the core with `now = HAL_UptimeMs()` -> mirror the C data symbols and
//! take the machine's next deadline -> unlock -> execute the queued actions in order (MQTT,
//! CoAP, KV, events); an outcome the machine must know is told to it under the lock again,
//! its actions queued after the others and its deadline taken -> re-arm the timer once, with
//! the last deadline taken, unless it already carries it. No entry runs inside another.
//! Log lines are printed at once (only `HAL_Printf` is called under the lock).

use core::ffi::{c_char, c_int, c_void};
use core::sync::atomic::{AtomicI8, AtomicU8, Ordering};

use super::coap::{ReplyCtx, NO_CODE};
use super::exec;
use super::imports::{coap_msg, coap_payload, Hal, Platform};
use super::lock::{Guard, Locked};
use super::log;
use super::timer;
use super::types::{
    CoapMessage, MqttEventMsg, MqttTopicInfo, NetworkAddr, MQTT_EVENT_PUBLISH_RECEIVED,
};
use crate::config::MAX_PENDING_QUERIES;
use dev_bind_core::{
    Action, Answer, BadEvent, Config, Level, Line, Machine, Millis, Msg, Sink, Sub, Token,
};

/// The machine the shell runs.
pub type M = Machine<ReplyCtx, MAX_PENDING_QUERIES>;

/// Actions one entry may have queued at once: the most one call of the machine emits
/// ([`dev_bind_core::MAX_ACTIONS`]), which the follow-up calls that tell the machine its
/// actions' outcomes never push past (see there), so that none is dropped (one more would be,
/// with an error line).
pub const OUTBOX_CAP: usize = dev_bind_core::MAX_ACTIONS;

/// Everything behind the module lock.
pub struct Shell {
    /// All zero bits until first used (`.bss`).
    machine: M,
    /// `machine` was seeded from HAL entropy.
    ready: bool,
    /// Bumped by every timer arming (see [`arm`]).
    pub timer_seq: u32,
    /// What the HAL timer carries, as far as the shell knows (see [`arm`]).
    armed: Armed,
    /// The token last copied into `aes_random`.
    mirrored: Token,
    /// The provisioning state (run by the `wifi-provision` entries).
    #[cfg(feature = "wifi-provision")]
    pub prov: dev_bind_core::provision::Provision,
    /// The provisioning poll, handed in by the provisioning entries (their state has no
    /// deadline before one of them ran): the timer runs it after the machine's poll.
    #[cfg(feature = "wifi-provision")]
    pub prov_poll: Option<fn()>,
}

impl Shell {
    const fn new() -> Self {
        Shell {
            machine: M::new(),
            ready: false,
            timer_seq: 0,
            // No timer exists yet, so none runs (and the value is all zero bits).
            armed: Armed::At(None),
            mirrored: [0; 16],
            #[cfg(feature = "wifi-provision")]
            prov: dev_bind_core::provision::Provision::new(),
            #[cfg(feature = "wifi-provision")]
            prov_poll: None,
        }
    }

    /// The machine, created and seeded from HAL entropy on first use.
    #[inline(never)]
    pub fn machine(&mut self) -> &mut M {
        if !self.ready {
            reseed(&mut self.machine, true);
            self.ready = true;
        }
        &mut self.machine
    }

    /// The deadline the timer must carry: the machine's next one (and the provisioning
    /// state's, which ride on the same timer).
    fn deadline(&mut self) -> Option<Millis> {
        let deadline = self.machine().poll_at();
        #[cfg(feature = "wifi-provision")]
        let deadline = deadline.into_iter().chain(self.prov.poll_at()).min();
        deadline
    }

    /// Begin an arming round for `deadline` (see [`arm`]): until the round is confirmed, what
    /// the timer carries is not known.
    fn begin_arming(&mut self, deadline: Option<Millis>) -> Arming {
        self.timer_seq = self.timer_seq.wrapping_add(1);
        self.armed = Armed::Unknown;
        Arming {
            seq: self.timer_seq,
            deadline,
        }
    }

    /// The first round of an arming, or `None` when the timer already carries the deadline
    /// (a started timer that no failure left unarmed).
    fn arming(&mut self) -> Option<Arming> {
        let deadline = self.deadline();
        if self.armed == Armed::At(deadline) && !timer::UNARMED.load(Ordering::Acquire) {
            return None;
        }
        Some(self.begin_arming(deadline))
    }
}

/// What the HAL timer carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Armed {
    /// Not known: an arming round is under way, or the timer fired (a one-shot timer then
    /// carries nothing).
    Unknown,
    /// Started for this deadline (stopped: `None`) by the last arming round, and no other
    /// round began while it ran.
    At(Option<Millis>),
}

/// One round of an arming (see [`arm`]): the round's number and the deadline it hands the
/// timer.
#[derive(Clone, Copy)]
struct Arming {
    seq: u32,
    deadline: Option<Millis>,
}

/// Seed the generator of `m` with 32 bytes: 8 x `HAL_Random(0xFFFFFFFF)` (little-endian), the
/// uptime mixed into the first 8, XOR 32 bytes of the generator's own output (zeros when
/// `fresh`: a machine just created has no seed yet).
#[inline(never)]
fn reseed(m: &mut M, fresh: bool) {
    let hal = Hal;
    let mut seed = [0u8; 32];
    if !fresh {
        m.fill_random(&mut seed);
    }
    // The uptime's bytes and each random word's, lowest first, shifted out one per byte: a
    // word is used up after 4 bytes, the uptime after 8.
    let mut x = hal.uptime_ms();
    for (i, b) in seed.iter_mut().enumerate() {
        if i % 4 == 0 {
            x ^= u64::from(hal.random_u32());
        }
        *b ^= x as u8;
        x >>= 8;
    }
    m.seed(seed);
}

/// The module's state.
pub static SHELL: Locked<Shell> = Locked::new(Shell::new());

/// `uint8_t aes_random[16]`: the current token. Provisioning code may write it (flow C); the
/// shell copies the machine's token into it whenever the token changes.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static aes_random: [AtomicU8; 16] = [const { AtomicU8::new(0) }; 16];

/// `char awss_report_token_suc`: 1 once the current token was acknowledged.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static awss_report_token_suc: AtomicI8 = AtomicI8::new(0);

/// `char awss_report_token_cnt`: report publishes of the current token.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static awss_report_token_cnt: AtomicI8 = AtomicI8::new(0);

/// The token in `aes_random` (out of line: its byte loop is measured smaller once than at
/// each of its three callers).
#[inline(never)]
pub fn read_aes_random() -> Token {
    let mut t = [0u8; 16];
    for (b, a) in t.iter_mut().zip(aes_random.iter()) {
        *b = a.load(Ordering::Relaxed);
    }
    t
}

fn write_aes_random(t: &Token) {
    for (a, b) in aes_random.iter().zip(t.iter()) {
        a.store(*b, Ordering::Relaxed);
    }
}

/// The sink of one entry: actions queued on the caller's stack, log lines printed at once. An
/// answer (the machine emits at most one per entry) is kept aside in `answer`, its place in the
/// queue marked by `Action::Answer(())`, so that each queued action takes 32 bytes, not 120.
/// The follow-up calls that tell the machine its actions' outcomes (`tell`) queue
/// theirs in the same outbox, after those not yet executed: a FIFO.
pub struct Outbox<'q> {
    /// The actions not executed yet, in order: a local of the entry ([`run`]), by reference,
    /// because a `Deque::new()` moved into a field is built aside and copied in whole (all
    /// 280 bytes, the empty slots too) on every entry.
    actions: &'q mut Queue,
    answer: Option<Answer<ReplyCtx>>,
}

/// The action queue of an [`Outbox`].
type Queue = heapless::Deque<Action<()>, OUTBOX_CAP>;

impl Sink<ReplyCtx> for Outbox<'_> {
    fn act(&mut self, action: Action<()>) {
        if self.actions.push_back(action).is_err() {
            log::note(Level::Error, Msg::QueueFull);
        }
    }
    #[inline(never)]
    fn answer(&mut self, answer: Answer<ReplyCtx>) {
        if self.answer.is_some() {
            return log::note(Level::Error, Msg::QueueFull);
        }
        self.answer = Some(answer);
        self.act(Action::Answer(()));
    }
    fn log(&mut self, line: Line, bytes: &[u8], num: i64) {
        log::line(line, bytes, num);
    }
}

/// What an entry does to the machine: one variant per kind of entry, dispatched in one place
/// ([`run`]) so that the firmware holds one copy of the entry code.
pub enum Event<'a> {
    /// `awss_report_cloud`: reseed, then connect (`reset`: the persisted reset flag).
    Connect {
        /// The persisted reset flag, or the error of its read.
        reset: Result<bool, i32>,
    },
    /// `awss_start_bind`.
    StartBind,
    /// `awss_bind_deinit`.
    Deinit,
    /// `awss_report_reset`.
    ReportReset,
    /// `awss_report_reset_to_cloud`.
    ReportResetNow,
    /// `awss_stop_report_reset`.
    StopReportReset,
    /// `awss_report_token`.
    ReportToken,
    /// `awss_stop_report_token`.
    StopReportToken,
    /// `awss_update_token`.
    UpdateToken,
    /// Start a notify round (`None`: the configured count).
    NotifyStart(Option<u8>),
    /// `awss_dev_bind_notify_stop`.
    NotifyStop,
    /// `awss_bind_report_statis`.
    ReportStats,
    /// `awss_cmp_online_init`.
    OnlineInit,
    /// `awss_cmp_online_deinit`.
    OnlineDeinit,
    /// The timer fired.
    Poll,
    /// A `reset_reply` payload.
    ResetReply(&'a [u8]),
    /// A `match_reply` payload.
    MatchReply(&'a [u8]),
    /// A phone's query.
    Query {
        /// What an answer needs of the request.
        ctx: ReplyCtx,
        /// True for `/sys/device/info/get`.
        mcast: bool,
        /// The request's payload.
        payload: Option<&'a [u8]>,
    },
    /// The send callback of a notify broadcast.
    NotifyAck {
        /// The callback's result (0: a response arrived).
        result: i32,
        /// The response's CoAP code byte.
        code: u8,
        /// The response's payload.
        payload: Option<&'a [u8]>,
    },
    /// `dev_bind_set_config` (refused by the machine when a field is zero).
    SetConfig(Config),
    /// `dev_bind_set_token` (refused by the machine when all zero).
    SetToken(Token),
}

/// What executing an action found that the machine must know: told to it by the entry that
/// executed the action (see [`tell`]).
enum Told {
    /// The MQTT client refused this subscription.
    SubscribeFailed(Sub),
    /// The CoAP server could not start or take its query resources.
    ServerFailed,
    /// The publish of the token report with this id failed locally.
    ReportNotSent(u32),
    /// A notify broadcast could not go out: no CoAP server.
    NotifyNoServer,
    /// The result of an `Action::ReadResetFlag`.
    ResetFlagRead(Result<bool, i32>),
    /// The write of the reset flag with this value failed.
    ResetFlagNotSaved(bool),
}

impl Told {
    /// What the machine must be told of `action`'s execution, which found `outcome`.
    fn of(action: &Action<()>, outcome: exec::Outcome) -> Option<Told> {
        Some(match outcome {
            exec::Outcome::Done => return None,
            exec::Outcome::SubscribeRefused(sub) => Told::SubscribeFailed(sub),
            exec::Outcome::ServerDown => Told::ServerFailed,
            exec::Outcome::NotifyNoServer => Told::NotifyNoServer,
            exec::Outcome::FlagRead(read) => Told::ResetFlagRead(read),
            exec::Outcome::FlagNotSaved(value) => Told::ResetFlagNotSaved(value),
            exec::Outcome::Published(rc) => {
                // A token report that failed locally is published again later; any other
                // result is for the entry's caller only.
                let (Action::PublishReport { id, .. }, true) = (action, rc < 0) else {
                    return None;
                };
                Told::ReportNotSent(*id)
            }
        })
    }
}

/// Run `event` on the machine under the lock, then execute its actions (outside the lock) and
/// re-arm the timer. Returns `-1` when the module lock cannot be created (after an error line)
/// or the machine refused a [`Event::SetConfig`] or [`Event::SetToken`]; for
/// [`Event::ReportToken`], [`Event::ReportReset`] and [`Event::ReportResetNow`] the first
/// report publish's result (`0` if none was made); else `0`.
#[inline(never)]
pub fn run(event: Event<'_>) -> c_int {
    let Some(mut held) = begin() else {
        return -1;
    };
    let mut actions = Queue::new();
    let mut out = Outbox {
        actions: &mut actions,
        answer: None,
    };
    let (rc, publishes) = step(&mut held, event, &mut out);
    let published = held.finish(&mut out);
    if publishes {
        return published;
    }
    rc
}

/// Run `event` on the machine (under the lock `held`), queueing its actions in `o`. Returns
/// the entry's own result (`-1` when the machine refused a configuration or token, else `0`)
/// and whether the entry returns its first report publish's result instead. Out of line, so
/// that the machine's temporaries are off the stack while [`Held::finish`] executes the
/// actions: only the queue stays.
#[inline(never)]
fn step(held: &mut Held, event: Event<'_>, o: &mut Outbox<'_>) -> (c_int, bool) {
    let now = held.now;
    let shell = &mut *held.shell;
    let mut rc = 0;
    // The entry returns its report publish's result.
    let mut publishes = false;
    let m = shell.machine();
    match event {
        Event::Connect { reset } => {
            // Mix fresh HAL entropy into the generator on every `awss_report_cloud`.
            reseed(m, false);
            m.connect(now, reset == Ok(true), read_aes_random(), o);
            if let Err(rc) = reset {
                m.reset_flag_unread(now, rc, o);
            }
        }
        Event::StartBind => m.start_bind(now, read_aes_random(), o),
        Event::Deinit => m.deinit(now, o),
        Event::ReportReset => {
            publishes = true;
            m.report_reset(now, o);
        }
        Event::ReportResetNow => {
            publishes = true;
            m.report_reset_now(now, o);
        }
        Event::StopReportReset => m.stop_report_reset(now, o),
        Event::ReportToken => {
            publishes = true;
            m.report_token(now, o);
        }
        Event::StopReportToken => m.stop_report_token(now, o),
        Event::UpdateToken => m.update_token(now, o),
        Event::NotifyStart(count) => m.notify_start(now, count, o),
        Event::NotifyStop => m.notify_stop(now, o),
        Event::ReportStats => m.report_stats(o),
        Event::OnlineInit => m.online_init(now, o),
        Event::OnlineDeinit => m.online_deinit(now, o),
        Event::Poll => {
            // The timer fired: a one-shot timer carries no deadline any more.
            shell.armed = Armed::Unknown;
            shell.machine().poll(now, o);
        }
        Event::ResetReply(payload) => m.on_reset_reply(now, payload, o),
        Event::MatchReply(payload) => m.on_match_reply(now, payload, o),
        Event::Query {
            ctx,
            mcast,
            payload,
        } => query(m, now, ctx, mcast, payload, o),
        Event::NotifyAck {
            result,
            code,
            payload,
        } => m.on_notify_ack(now, result, code, payload, o),
        Event::SetConfig(cfg) => {
            if m.set_config(now, cfg, o).is_err() {
                rc = -1;
            }
        }
        Event::SetToken(token) => {
            if m.set_token(now, token, o).is_err() {
                rc = -1;
            }
        }
    }
    (rc, publishes)
}

/// [`M::on_query`] out of line, so that its temporaries (the request's id echo, the pending
/// entry it builds) are off the stack while [`Held::finish`] executes the actions.
#[inline(never)]
fn query(
    m: &mut M,
    now: u64,
    ctx: ReplyCtx,
    mcast: bool,
    payload: Option<&[u8]>,
    o: &mut Outbox<'_>,
) {
    m.on_query(now, ctx, mcast, payload, o);
}

/// Tell the machine what an action's execution found, under the lock again (a follow-up
/// call, not an entry: the actions it emits join `out`, after those already queued, and the
/// timer is armed once, by [`Held::finish`]). `arming` becomes the arming this call's deadline
/// needs, taken under this lock (unchanged when the lock cannot be taken). Out of line, so
/// that the machine's temporaries are off the stack while the queue is executed.
#[inline(never)]
fn tell(told: Told, out: &mut Outbox<'_>, arming: &mut Option<Arming>) {
    let Some(mut held) = begin() else {
        return;
    };
    let now = held.now;
    let m = held.shell.machine();
    match told {
        Told::SubscribeFailed(sub) => m.subscribe_failed(now, sub, out),
        Told::ServerFailed => m.server_failed(now, out),
        Told::NotifyNoServer => m.notify_no_server(now, out),
        Told::ReportNotSent(id) => m.report_failed(now, id, out),
        Told::ResetFlagRead(read) => m.reset_flag_read(now, read, out),
        Told::ResetFlagNotSaved(value) => m.reset_flag_write_failed(now, value, out),
    }
    mirror(&mut held.shell);
    *arming = held.shell.arming();
}

/// Tell the machine that the token report `id` is being published (an entry of its own that
/// queues no action, right before the MQTT call, so that a reply arriving during the call
/// counts and one arriving before it does not).
#[inline(never)]
fn report_sending(id: u32) {
    // No time, no mirror and no timer: the call changes none of them.
    if let Some(mut shell) = SHELL.lock() {
        shell.machine().report_sending(id);
    }
}

/// The module lock held for one entry. [`Held::finish`] or [`Held::unlock`] ends it.
pub struct Held {
    /// The module's state, locked.
    pub shell: Guard<'static, Shell>,
    /// `HAL_UptimeMs()` at the start of the entry.
    pub now: u64,
}

/// Start an entry: take the lock and read the time (the machine is created on its first use,
/// by [`Shell::machine`]). `None` (after an error line) when the module lock cannot be created.
#[inline(always)]
pub fn begin() -> Option<Held> {
    let hal = &Hal;
    let Some(shell) = SHELL.lock() else {
        log::note(Level::Error, Msg::NoMutex);
        return None;
    };
    let now = hal.uptime_ms();
    Some(Held { shell, now })
}

impl Held {
    /// Mirror the C data symbols, take the machine's next deadline, unlock, execute the
    /// actions queued in `out` in order, tell the machine what it must know of them (each
    /// told under the lock again, its actions queued after the others: see `tell`), and
    /// re-arm the timer once with the last deadline taken (unless it carries that deadline
    /// already). Returns the result of the first token or reset report publish, `0` if none
    /// was made.
    #[inline(never)]
    pub fn finish(self, out: &mut Outbox<'_>) -> c_int {
        // Taken under this entry's lock; a follow-up call takes it again under its own.
        let mut arming = {
            let Held { mut shell, .. } = self;
            mirror(&mut shell);
            shell.arming()
        };
        let mut published = None;
        // Read once for all the actions (on first need).
        let mut ids = exec::Ids::UNREAD;
        // Each action leaves the queue before it is executed, so a follow-up's action always
        // finds room (see `dev_bind_core::MAX_FOLLOW_UP_ACTIONS`).
        while let Some(action) = out.actions.pop_front() {
            if let Action::PublishReport { id, .. } = action {
                // From now on the cloud's answer counts, also one that comes during the call.
                report_sending(id);
            }
            let mut reply = out.answer.as_ref().map(exec::Reply::Later);
            let outcome = exec::execute(&action, reply.as_mut(), &mut ids, &CALLBACKS);
            if let exec::Outcome::Published(rc) = outcome {
                published.get_or_insert(rc);
            }
            if let Some(told) = Told::of(&action, outcome) {
                tell(told, out, &mut arming);
            }
        }
        if let Some(first) = arming {
            arm_rounds(first);
        }
        published.unwrap_or(0)
    }

    /// End an entry that queued no action: mirror the C data symbols and unlock.
    #[inline(never)]
    pub fn unlock(self) {
        let Held { mut shell, .. } = self;
        mirror(&mut shell);
    }
}

/// Copy the machine's token and counters into the C data symbols.
fn mirror(shell: &mut Shell) {
    let m = shell.machine();
    let token = m.token();
    let suc = m.report_token_suc();
    let cnt = m.report_token_cnt();
    awss_report_token_suc.store(i8::from(suc), Ordering::Relaxed);
    awss_report_token_cnt.store(i8::try_from(cnt).unwrap_or(i8::MAX), Ordering::Relaxed);
    if token != shell.mirrored {
        write_aes_random(&token);
        shell.mirrored = token;
    }
}

/// Rounds of the arming protocol before giving up (only a pathological interleaving of many
/// threads needs more than two; the next entry or timer tick re-arms anyway).
const ARM_ROUNDS: u32 = 8;

// ---------------------------------------------------------------- the C callbacks
//
// The entries C calls back into: the timer's, the MQTT reply handlers, the CoAP query
// handlers and the notify's send callback. They live here, with the entry wrapper they run,
// and go down to the executor as values ([`CALLBACKS`]): no module below calls up.

/// The handlers the executor subscribes, registers and sends with.
pub const CALLBACKS: exec::Callbacks = exec::Callbacks {
    match_reply: awss_report_token_reply,
    reset_reply: awss_report_reset_reply,
    query_mcast: query_mcast_trampoline,
    query_ucast: query_ucast_trampoline,
    notify_ack: notify_resp_cb,
};

/// The timer callback: poll the machine (which re-arms the timer), then the provisioning
/// state through the poll its first entry handed in ([`Shell::prov_poll`]).
unsafe extern "C" fn on_timer(_user_data: *mut c_void) {
    let _ = run(Event::Poll);
    #[cfg(feature = "wifi-provision")]
    if let Some(poll) = SHELL.lock().and_then(|shell| shell.prov_poll) {
        poll();
    }
}

/// Longest MQTT reply payload looked at; longer ones are logged and ignored.
pub const MQTT_PAYLOAD_MAX: usize = 4096;

/// The payload of an MQTT event, or `None` after one log line saying why it is ignored.
///
/// # Safety
/// `msg` must be NULL or point to a valid `iotx_mqtt_event_msg_t` whose `msg` (for event 12)
/// is NULL or a valid `iotx_mqtt_topic_info_t` with `payload_len` readable bytes at `payload`.
unsafe fn mqtt_payload<'a>(msg: *mut c_void, sub: Sub) -> Option<&'a [u8]> {
    // Why the message is ignored: (level, reason, number printed in the reason).
    let (level, why, n) = 'ignored: {
        // SAFETY: guaranteed by the caller.
        let Some(ev) = (unsafe { msg.cast::<MqttEventMsg>().as_ref() }) else {
            break 'ignored (Level::Warn, BadEvent::NullMessage, 0);
        };
        if ev.event_type != MQTT_EVENT_PUBLISH_RECEIVED {
            let n = i64::from(ev.event_type);
            break 'ignored (Level::Debug, BadEvent::OtherEvent, n);
        }
        // SAFETY: for event 12 the MQTT client passes a topic info (or NULL), per the caller.
        let Some(info) = (unsafe { ev.msg.cast::<MqttTopicInfo>().as_ref() }) else {
            break 'ignored (Level::Warn, BadEvent::NullTopicInfo, 0);
        };
        if info.payload.is_null() {
            break 'ignored (Level::Warn, BadEvent::NullPayload, 0);
        }
        let len = usize::try_from(info.payload_len).unwrap_or(usize::MAX);
        if len > MQTT_PAYLOAD_MAX {
            let n = i64::from(info.payload_len);
            break 'ignored (Level::Warn, BadEvent::TooLong, n);
        }
        // SAFETY: non-NULL and `payload_len` bytes long, per the caller.
        return Some(unsafe { core::slice::from_raw_parts(info.payload, len) });
    };
    log::line(Line::new(level, Msg::bad_event(sub, why)), &[], n);
    None
}

/// Hand the payload of an MQTT event to the machine as a `match_reply` or a `reset_reply`
/// (`sub`: the topic it came on); an event without one is logged and ignored.
///
/// # Safety
/// As [`mqtt_payload`].
unsafe fn mqtt_reply(msg: *mut c_void, sub: Sub) {
    // SAFETY: forwarded from the caller's contract.
    let Some(payload) = (unsafe { mqtt_payload(msg, sub) }) else {
        return;
    };
    let _ = run(match sub {
        Sub::MatchReply => Event::MatchReply(payload),
        Sub::ResetReply => Event::ResetReply(payload),
    });
}

/// The MQTT handler of `/sys/${pk}/${dn}/thing/reset_reply`.
///
/// # Safety
/// `msg` must be NULL or a valid `iotx_mqtt_event_msg_t *` as the MQTT client passes it
/// (`payload_len` bytes readable at the payload; no NUL needed). The other arguments are unused.
///
/// # Returns
/// Nothing; bad input is logged and ignored.
#[no_mangle]
pub unsafe extern "C" fn awss_report_reset_reply(
    pcontext: *mut c_void,
    pclient: *mut c_void,
    msg: *mut c_void,
) {
    let _ = (pcontext, pclient);
    // SAFETY: forwarded from the caller's contract.
    unsafe { mqtt_reply(msg, Sub::ResetReply) }
}

/// The MQTT handler of `/sys/${pk}/${dn}/thing/awss/enrollee/match_reply`.
///
/// # Safety
/// `msg` must be NULL or a valid `iotx_mqtt_event_msg_t *` as the MQTT client passes it
/// (`payload_len` bytes readable at the payload; no NUL needed). The other arguments are unused.
///
/// # Returns
/// Nothing; bad input is logged and ignored.
#[no_mangle]
pub unsafe extern "C" fn awss_report_token_reply(
    pcontext: *mut c_void,
    pclient: *mut c_void,
    msg: *mut c_void,
) {
    let _ = (pcontext, pclient);
    // SAFETY: forwarded from the caller's contract.
    unsafe { mqtt_reply(msg, Sub::MatchReply) }
}

/// Handle a phone's query (`online_*_get_device_info` and the registered trampolines).
///
/// # Safety
/// `remote` and `request` must each be NULL or valid for the call; the request's payload
/// and option pointers must be valid for their lengths.
pub unsafe fn on_query(
    remote: *const NetworkAddr,
    request: *const CoapMessage,
    mcast: bool,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let Some(remote) = (unsafe { remote.as_ref() }) else {
        log::line(Line::new(Level::Warn, Msg::QueryNoRemote), &[], 0);
        return -1;
    };
    // SAFETY: guaranteed by the caller.
    let Some(req) = (unsafe { coap_msg(request) }) else {
        log::line(Line::new(Level::Warn, Msg::QueryNoMessage), &[], 0);
        return -1;
    };
    let mut dropped = 0;
    let event = Event::Query {
        ctx: ReplyCtx::from_request(remote, req, &mut dropped),
        mcast,
        // SAFETY: guaranteed by the caller (payload valid for payloadlen bytes during the call).
        payload: unsafe { coap_payload(req) },
    };
    if dropped != 0 {
        log::num(Level::Warn, Msg::ObserveIgnored, dropped as i64);
    }
    run(event)
}

/// The `CoAPRecvMsgHandler` registered for `/sys/device/info/get`.
unsafe extern "C" fn query_mcast_trampoline(
    _ctx: *mut c_void,
    _paths: *const c_char,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the CoAP server passes a valid (or NULL) remote and message for the call.
    let _ = unsafe { on_query(remote, msg, true) };
}

/// The `CoAPRecvMsgHandler` registered for `/sys/${pk}/${dn}/device/info/get`.
unsafe extern "C" fn query_ucast_trampoline(
    _ctx: *mut c_void,
    _paths: *const c_char,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the CoAP server passes a valid (or NULL) remote and message for the call.
    let _ = unsafe { on_query(remote, msg, false) };
}

/// The send callback of notify broadcasts: a phone's acknowledgement (or a timeout).
unsafe extern "C" fn notify_resp_cb(
    _ctx: *mut c_void,
    result: c_int,
    _userdata: *mut c_void,
    _remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the server passes a valid (or NULL) message for the call.
    let msg = unsafe { coap_msg(msg) };
    let code = msg.map_or(NO_CODE, |m| m.header.code);
    // SAFETY: a message from the server has `payloadlen` bytes at `payload` for the call.
    let payload = msg.and_then(|m| unsafe { coap_payload(m) });
    let _ = run(Event::NotifyAck {
        result,
        code,
        payload,
    });
}

// ---------------------------------------------------------------- the timer

/// Re-arm the timer with the machine's next deadline (or stop it when there is none), unless
/// it already carries it.
///
/// Protocol: under the lock take `seq += 1` and the deadline; unlock; Stop (+ Start); lock
/// again and, if another thread armed meanwhile (`seq` moved), repeat with the fresh deadline.
/// The last Start therefore always uses the latest deadline. A round that no other round
/// overlapped records the deadline the timer now carries (`Armed::At`); an arming whose
/// deadline is the recorded one calls no timer function. A repeated round never trusts the
/// record: a Start of an overlapping round may have replaced what it says, and that round
/// repeats, so a wrong record never outlives the round that will correct it. A Start that
/// fails after its retries leaves `timer::UNARMED` set (see the timer module's text), as does
/// an arming that gives up after `ARM_ROUNDS` rounds: the next entry arms again.
pub fn arm() {
    let Some(first) = SHELL.lock().and_then(|mut shell| shell.arming()) else {
        return;
    };
    arm_rounds(first);
}

/// Run arming rounds from `round` on until one is not overlapped by another (see [`arm`]).
fn arm_rounds(mut round: Arming) {
    let hal = Hal;
    for _ in 0..ARM_ROUNDS {
        let delay = round
            .deadline
            .map(|at| timer::delay_ms(hal.uptime_ms(), at));
        timer::set(delay, on_timer);
        let Some(mut shell) = SHELL.lock() else {
            return;
        };
        if shell.timer_seq == round.seq {
            shell.armed = Armed::At(round.deadline);
            return;
        }
        let deadline = shell.deadline();
        round = shell.begin_arming(deadline);
    }
    // Given up (the last round's deadline never reached the timer): the next entry arms.
    timer::UNARMED.store(true, Ordering::Release);
}

/// Run `f` on the shell under the lock, for calls that queue no action (no timer change).
/// `None` (after an error line) when the module lock cannot be created.
#[inline(always)]
pub fn locked<R>(f: impl FnOnce(&mut Shell, &Hal, u64) -> R) -> Option<R> {
    let mut held = begin()?;
    let value = f(&mut held.shell, &Hal, held.now);
    held.unlock();
    // A deadline that no timer carries (its start failed) is armed again by any entry.
    if timer::UNARMED.load(Ordering::Acquire) {
        arm();
    }
    Some(value)
}

/// Read the machine under the lock.
#[inline(always)]
pub fn read<R>(f: impl FnOnce(&M, u64) -> R) -> Option<R> {
    locked(|shell, _, now| f(shell.machine(), now))
}

/// Change the machine under the lock, for calls that queue no action.
#[inline(always)]
pub fn read_mut<R>(f: impl FnOnce(&mut M, u64) -> R) -> Option<R> {
    locked(|shell, _, now| f(shell.machine(), now))
}
