//! The bind protocol of the SDK's `dev_bind` module as a sans-IO state machine (SPEC sections
//! 5-8).
//!
//! Nothing in here reads a clock, draws entropy, touches a raw pointer or performs I/O. The C
//! shell (the `iot_dev_bind` staticlib) feeds the [`Machine`] with events stamped with the
//! current uptime ([`Millis`]) and gets back [`Action`]s through a [`Sink`]. The shell executes
//! those actions *after* releasing its lock, rendering each payload with the functions of
//! [`render`].
//!
//! Timers: the machine keeps every deadline as an absolute instant; [`Machine::poll_at`] says
//! when it next wants [`Machine::poll`] to be called. The shell runs one HAL timer for that.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod hmac_sha1;
pub mod json;
pub mod machine;
pub mod msg;
#[cfg(feature = "wifi-provision")]
pub mod provision;
pub mod render;
pub mod rng;
pub mod route;
pub mod words;

pub use machine::Machine;
pub use msg::{BadEvent, Line, Msg, Piece, What, Why};

/// Milliseconds of uptime, as `HAL_UptimeMs()` returns them.
pub type Millis = u64;

/// A bind token: 16 random bytes, sent as 32 upper-case hex digits.
pub type Token = [u8; 16];

/// Event code posted when a bind session's notify round starts (`IOTX_AWSS_BIND_NOTIFY`).
pub const IOTX_AWSS_BIND_NOTIFY: i32 = 0x100F;
/// Event code posted when the cloud acknowledges a reset report (`IOTX_RESET`).
pub const IOTX_RESET: i32 = 0x3000;

/// Copy the first `min(dst.len(), src.len())` bytes of `src` into `dst` and return that
/// count. The loop has no panic path (the firmware links no panic code), and the optimizer
/// turns it into one call of the C library's `memcpy`.
pub fn copy_bytes(dst: &mut [u8], src: &[u8]) -> usize {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
    dst.len().min(src.len())
}

/// Run-time tunables; the mirror of the C `dev_bind_config_t` (SPEC section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Wait for `match_reply` before re-reporting a token (default 30 000 ms).
    pub report_retry_ms: u32,
    /// Report publishes per token, in all (default 2).
    pub report_attempts: u8,
    /// Token lifetime, counted from its last report (default 45 000 ms).
    pub token_lifetime_ms: u32,
    /// Broadcasts per notify round (default 30).
    pub notify_count: u8,
    /// The gap after the k-th broadcast is `k * notify_step_ms` (default 100 ms).
    pub notify_step_ms: u32,
    /// First reset re-report delay; it doubles up to [`RESET_RETRY_MAX_MS`] (default 3 000 ms).
    pub reset_retry_ms: u32,
}

/// Ceiling of the doubling reset re-report delay.
pub const RESET_RETRY_MAX_MS: u32 = 60_000;

/// The most actions one call of the machine hands its sink, answers included, with one to
/// spare. The busiest call is a poll at which every deadline is due: the two subscriptions,
/// the reset flag, the server's start, the reset report, and either the token report and the
/// round's closing step (an unacknowledged token) or a broadcast the server's start resumes
/// (an acknowledged one, whose next step can only come due at once on a clock stuck at its
/// maximum): 7. A connect is next (6). The core's tests check it on every call of a seeded
/// fuzz and on such a poll.
///
/// It is also the most the shell's action queue holds. The shell executes an entry's actions
/// in order; when one has an outcome the machine must know (a refused subscription, a server
/// that cannot start, a local publish failure, a reset flag read or not saved), it tells the
/// machine in a follow-up call (see [`MAX_FOLLOW_UP_ACTIONS`]) once that action has left the
/// queue, and the follow-up's actions join the queue's end. When the entry's own call is done
/// the queue holds at most `MAX_ACTIONS`; a follow-up then finds at most `MAX_ACTIONS - 1`
/// still queued and adds at most one, so the queue never grows past `MAX_ACTIONS`. No
/// follow-up's action has an outcome to tell, so an entry makes at most one follow-up call per
/// action of its own call.
pub const MAX_ACTIONS: usize = 8;

/// The most actions a follow-up call emits, one that tells the machine an action's outcome
/// (`subscribe_failed`, `server_failed`, `notify_no_server`, `report_failed`,
/// `reset_flag_read`, `reset_flag_write_failed`): the report of a reset flag found set, or
/// the cancel of a round left without a server: 1. None of them answers a query, and none
/// emits an action that has an outcome to tell (a subscription, the server's start, a
/// broadcast, a flag's read or write, a token report). The core's fuzz checks all three on
/// every follow-up call, and that a queue run as the shell runs it stays within
/// [`MAX_ACTIONS`].
pub const MAX_FOLLOW_UP_ACTIONS: usize = 1;

// A follow-up takes one action off the shell's queue and puts at most this many on: more than
// one would let the queue grow past `MAX_ACTIONS` (see there).
const _: () = assert!(MAX_FOLLOW_UP_ACTIONS <= 1);

impl Config {
    /// The defaults of SPEC section 6 (the guide's values where it gives one).
    pub const DEFAULT: Config = Config {
        report_retry_ms: 30_000,
        report_attempts: 2,
        token_lifetime_ms: 45_000,
        notify_count: 30,
        notify_step_ms: 100,
        reset_retry_ms: 3_000,
    };

    /// A configuration is valid when no field is zero.
    pub fn is_valid(&self) -> bool {
        self.report_retry_ms != 0
            && self.report_attempts != 0
            && self.token_lifetime_ms != 0
            && self.notify_count != 0
            && self.notify_step_ms != 0
            && self.reset_retry_ms != 0
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// Log levels, numbered as the SDK's `infra_log` numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Errors (`[err]`).
    Error = 2,
    /// Warnings (`[wrn]`).
    Warn = 3,
    /// Information (`[inf]`), the default threshold.
    Info = 4,
    /// Debug (`[dbg]`): the payloads the guide's troubleshooting reads.
    Debug = 5,
}

impl Level {
    /// The tag a printed line carries: `[err] dev_bind: ...`.
    pub const fn tag(self) -> &'static str {
        match self {
            Level::Error => "err",
            Level::Warn => "wrn",
            Level::Info => "inf",
            Level::Debug => "dbg",
        }
    }
}

/// MQTT subscriptions the machine manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    /// `/sys/${pk}/${dn}/thing/awss/enrollee/match_reply`, handled by `awss_report_token_reply`.
    MatchReply,
    /// `/sys/${pk}/${dn}/thing/reset_reply`, handled by `awss_report_reset_reply`.
    ResetReply,
}

impl Sub {
    /// The topic subscribed.
    pub const fn topic(self) -> render::Topic {
        match self {
            Sub::MatchReply => render::Topic::MatchReply,
            Sub::ResetReply => render::Topic::ResetReply,
        }
    }
}

/// How the `id` of a phone's query is echoed in the answer (SPEC section 6, "Answering queries").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// Emitted between double quotes; `text` is the string's content exactly as received
    /// (already valid JSON string content, escapes included).
    String,
    /// Emitted as the bare text: a string of digits, or a JSON number.
    Number,
    /// Any other JSON value (object, array, `true`, `false`, `null`), emitted as received.
    Raw,
    /// No `id` in the request: emitted as `null`.
    Missing,
}

/// Longest `id` text (without the quotes of a string) a query may carry and still get an answer.
pub const MAX_ID_LEN: usize = 32;

/// The `id` of a phone's query, kept to be echoed in the answer. Made by [`json::id_echo`]:
/// its text is valid JSON for its kind, and the renderer writes it as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdEcho {
    /// How to emit it.
    pub kind: IdKind,
    /// The text to emit (see [`IdKind`]); empty for [`IdKind::Missing`].
    pub text: heapless::Vec<u8, MAX_ID_LEN>,
}

/// What the shell must remember about a CoAP query to answer it later. The shell's type
/// (`ffi::ReplyCtx`: a copy of the remote address, message id, token and Observe option) is
/// opaque to the core.
pub trait QueryCtx: Clone {
    /// True when `other` is a retransmission of the same request (same peer and message id):
    /// the machine then keeps the waiting entry it has (a duplicate, RFC 7252 section 4.5),
    /// not two.
    fn same_request(&self, other: &Self) -> bool;
}

/// Bind statistics ("SyncToken" in the SDK): times from a token's first report to its ack.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Token report publishes.
    pub cnt: u32,
    /// Acknowledged tokens.
    pub suc: u32,
    /// Longest report-to-ack time over the acknowledged tokens, ms.
    pub max_ms: u32,
    /// Shortest report-to-ack time, ms (0 while `suc == 0`).
    pub min_ms: u32,
    /// Mean report-to-ack time, ms (0 while `suc == 0`).
    pub mean_ms: u32,
    /// Trace id of the statistics post (the SDK's trace context).
    pub trace_id: u32,
}

/// Answer a phone's query with `{"id":<echo>,"code":200,"data":{DEVINFO}}` (CoAP 2.05, NON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer<Q> {
    /// What the shell kept of the request.
    pub ctx: Q,
    /// True for `/sys/device/info/get`, false for `/sys/${pk}/${dn}/device/info/get`.
    pub mcast: bool,
    /// The request's id, to echo.
    pub id: IdEcho,
    /// The token handed to this phone.
    pub token: Token,
    /// Its remaining lifetime, ms.
    pub remain_ms: u32,
}

/// Something the machine wants done. The shell executes actions in order, outside its lock.
/// `A` is what an answer carries: the machine hands answers to [`Sink::answer`] and every
/// other action to [`Sink::act`] as an `Action<()>`; the shell queues `Action::Answer(())` in
/// an answer's place and keeps the answer (at most one per entry) aside, so that its queue of
/// actions stays small on the stack. Tests record `Action<Answer<Q>>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<A> {
    /// `IOT_MQTT_Subscribe` the topic (qos 0) with its handler.
    Subscribe(Sub),
    /// `IOT_MQTT_Unsubscribe` the topic.
    Unsubscribe(Sub),
    /// `CoAPServer_init` and register `/sys/device/info/get` and `/sys/${pk}/${dn}/device/info/get`.
    RegisterQueries,
    /// Cancel the last notify's CoAP message id and `CoAPServer_deinit` (bind deinit).
    DeinitCoap,
    /// Publish (qos 1) the token report `{"id":"<id>",...,"params":{"token":"<hex>"}}` to
    /// `/sys/${pk}/${dn}/thing/awss/enrollee/match`; log `report token:` and `report token res:`.
    PublishReport {
        /// Report id (a 32-bit counter that never repeats within a boot).
        id: u32,
        /// The token reported.
        token: Token,
    },
    /// Publish (qos 0) the reset report to `/sys/${pk}/${dn}/thing/reset`.
    PublishReset {
        /// Reset report id.
        id: u32,
    },
    /// Publish (qos 0) the bind statistics to `/sys/${pk}/${dn}/thing/log/post`.
    PublishStats {
        /// The statistics post's numeric id.
        id: u32,
        /// The statistics to post.
        stats: Stats,
    },
    /// Broadcast `device.info.notify` (CoAP NON POST, port 5683) to the destination of the cycle.
    Notify {
        /// JSON id of this broadcast.
        id: u32,
        /// Destination in the cycle: 0 = 255.255.255.255, 1 = /8, 2 = /16, 3 = /24 broadcast of
        /// the device IP (255.255.255.255 when the IP is unknown).
        dest: u8,
        /// The token broadcast.
        token: Token,
        /// Its remaining lifetime, ms.
        remain_ms: u32,
    },
    /// Cancel the CoAP message of the last broadcast (`CoAPMessageId_cancel`).
    CancelNotify,
    /// Answer a phone's query (see [`Answer`]; the shell queues a marker in its place).
    Answer(A),
    /// `iotx_event_post(code)`, then the `ITE_AWSS_STATUS` callback if one is registered.
    PostEvent(i32),
    /// Persist the reset flag: `HAL_Kv_Set("awss.rst", {0x01 or 0x00}, 1, 0)`.
    SetResetFlag(bool),
    /// Read the persisted reset flag again (`HAL_Kv_Get("awss.rst")`) and tell the machine.
    ReadResetFlag,
}

impl<A> Action<A> {
    /// The same action, its answer (if it is one) turned into `f(answer)`.
    pub fn map_answer<B>(self, f: impl FnOnce(A) -> B) -> Action<B> {
        match self {
            Action::Subscribe(s) => Action::Subscribe(s),
            Action::Unsubscribe(s) => Action::Unsubscribe(s),
            Action::RegisterQueries => Action::RegisterQueries,
            Action::DeinitCoap => Action::DeinitCoap,
            Action::PublishReport { id, token } => Action::PublishReport { id, token },
            Action::PublishReset { id } => Action::PublishReset { id },
            Action::PublishStats { id, stats } => Action::PublishStats { id, stats },
            Action::Notify {
                id,
                dest,
                token,
                remain_ms,
            } => Action::Notify {
                id,
                dest,
                token,
                remain_ms,
            },
            Action::CancelNotify => Action::CancelNotify,
            Action::Answer(a) => Action::Answer(f(a)),
            Action::PostEvent(c) => Action::PostEvent(c),
            Action::SetResetFlag(b) => Action::SetResetFlag(b),
            Action::ReadResetFlag => Action::ReadResetFlag,
        }
    }
}

/// Where the machine sends its actions and log lines. The shell's sink queues actions for after
/// the lock and prints log lines through `HAL_Printf`; tests record both.
pub trait Sink<Q> {
    /// Queue an action (never `Action::Answer`: answers come through [`Sink::answer`]).
    fn act(&mut self, action: Action<()>);
    /// Queue the answer to a phone's query, in order with the actions.
    fn answer(&mut self, answer: Answer<Q>);
    /// Emit `line` (its level and texts), with `bytes` and `num` at its placeholders (see
    /// [`msg`]); both are ignored when its texts have no placeholder.
    fn log(&mut self, line: Line, bytes: &[u8], num: i64);
}
