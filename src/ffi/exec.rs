//! Executes the machine's actions, outside the lock: renders each payload into a stack buffer
//! with `core::render`, reads the identity from the HAL once per run of actions, publishes or
//! sends, and prints the log lines of SPEC section 7. It starts the CoAP server (registering
//! the query resources first). The handlers it hands to C come from its caller
//! ([`Callbacks`]): it runs no entry of its own.

use core::ffi::c_int;

use core::ffi::c_void;
use core::ptr::NonNull;
use portable_atomic::{AtomicI32, Ordering};

use super::coap;
pub use super::coap::Reply;
use super::imports::{self, Hal, MqttEventHandler, Platform};
use super::log;
use super::types::{CoapMessage, CoapRecvMsgHandler, CoapSendMsgHandler, NetworkAddr};
use dev_bind_core::render::{self, Identity, Payload, Topic, Writer};
use dev_bind_core::route::{self, Channel};
use dev_bind_core::{json, Action, Level, Msg, Sub, IOTX_AWSS_BIND_NOTIFY};
use dev_bind_core::{IdEcho, Token};

/// The entry points the executor hands to C: the MQTT handlers of the reply topics, the CoAP
/// handlers of the query resources and the notify's send callback. The shell, which owns
/// them, passes them down with every action.
pub struct Callbacks {
    /// `awss_report_token_reply`, subscribed to `match_reply`.
    pub match_reply: MqttEventHandler,
    /// `awss_report_reset_reply`, subscribed to `reset_reply`.
    pub reset_reply: MqttEventHandler,
    /// Registered for `/sys/device/info/get`.
    pub query_mcast: CoapRecvMsgHandler,
    /// Registered for `/sys/${pk}/${dn}/device/info/get`.
    pub query_ucast: CoapRecvMsgHandler,
    /// The send callback of notify broadcasts (a phone's acknowledgement, or a timeout).
    pub notify_ack: CoapSendMsgHandler,
}

/// The persisted reset flag (`0x01`: set), or `HAL_Kv_Get`'s error.
pub fn reset_flag(hal: &impl Platform) -> Result<bool, i32> {
    hal.kv_get_reset().map(|b| b == 0x01)
}

/// Payload buffer: the longest payload (a query answer with a 32-byte id and the longest
/// identity) is about 400 bytes.
pub const PAYLOAD_MAX: usize = 512;
/// Topic buffer: `/sys/` + 21 + `/` + 33 + `/` + the longest suffix (31), plus the NUL, with
/// room to spare (see [`topic`]).
pub const TOPIC_MAX: usize = 96;

/// The identity read from the HAL: zeroed buffers the HAL writes its NUL-terminated texts into,
/// read on first need and then kept (see [`Ids::get`]), so that a run of actions reads it once.
/// Each buffer has a spare last byte the HAL never writes, so each stays a C string even after
/// a HAL that fills its whole buffer (21, 33, 18, 16 bytes) without a NUL.
pub struct Ids {
    pk: [u8; 22],
    dn: [u8; 34],
    mac: [u8; 19],
    ip: [u8; 17],
    /// The length of each text up to its NUL, in the order above, once read.
    len: [u8; 4],
    /// What has been read so far.
    read: Read,
}

/// What of the identity an [`Ids`] holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Nothing yet.
    Nothing,
    /// The product key and the device name.
    Names,
    /// The names, the MAC and the IP.
    All,
}

impl Ids {
    /// Nothing read yet.
    pub const UNREAD: Ids = Ids {
        pk: [0; 22],
        dn: [0; 34],
        mac: [0; 19],
        ip: [0; 17],
        len: [0; 4],
        read: Read::Nothing,
    };

    /// The product key and device name, and the MAC and IP if `all` (else empty), each cut at
    /// its NUL (each field also points at its buffer, a NUL-terminated C string while `self`
    /// lives). Each is read from the HAL the first time it is asked for, and kept.
    pub fn get(&mut self, all: bool) -> Identity<'_> {
        if self.read == Read::Nothing {
            // SAFETY: each buffer has room for the HAL's longest text and its NUL, plus a
            // spare byte (product key 20 + 1, device name 32 + 1).
            unsafe {
                imports::HAL_GetProductKey(self.pk.as_mut_ptr().cast());
                imports::HAL_GetDeviceName(self.dn.as_mut_ptr().cast());
            }
            self.len[0] = nul_at(&mut self.pk);
            self.len[1] = nul_at(&mut self.dn);
            self.read = Read::Names;
        }
        if all && self.read == Read::Names {
            // SAFETY: as above (MAC 17 + 1, IP 15 + 1); a NULL ifname means the default
            // interface.
            unsafe {
                imports::HAL_Wifi_Get_Mac(self.mac.as_mut_ptr().cast());
                imports::HAL_Wifi_Get_IP(self.ip.as_mut_ptr().cast(), core::ptr::null());
            }
            self.len[2] = nul_at(&mut self.mac);
            self.len[3] = nul_at(&mut self.ip);
            self.read = Read::All;
        }
        let (mac, ip) = if all {
            (text(&self.mac, self.len[2]), text(&self.ip, self.len[3]))
        } else {
            (&[][..], &[][..])
        };
        Identity {
            product_key: text(&self.pk, self.len[0]),
            device_name: text(&self.dn, self.len[1]),
            mac,
            ip,
        }
    }
}

/// The length of the text in `buf` up to its NUL. Every buffer of [`Ids`] is shorter than 256
/// bytes and has a spare last byte past the HAL's longest text and its NUL: it is set to NUL
/// here, so a HAL that wrote past its text's limit is cut there.
fn nul_at(buf: &mut [u8]) -> u8 {
    let Some(last) = buf.last_mut() else {
        return 0;
    };
    *last = 0;
    // SAFETY: `buf` ends with a NUL (just written), so `strlen` reads within it.
    let len = unsafe { imports::strlen(buf.as_ptr().cast()) };
    u8::try_from(len).unwrap_or(0)
}

/// The first `len` bytes of `buf` (a text [`nul_at`] measured).
fn text(buf: &[u8], len: u8) -> &[u8] {
    buf.get(..usize::from(len)).unwrap_or(&[])
}

/// Render the topic or path `which` into `buf` (zeroed, [`TOPIC_MAX`] bytes) and return it
/// with its NUL. It always fits: the longest, `/sys/` + 21 + `/` + 33 + `/` +
/// `thing/awss/enrollee/match_reply`, is 92 bytes (the identity's buffers hold at most 21 and
/// 33); the writer never reaches the last byte, which stays the NUL.
pub fn topic<'b>(buf: &'b mut [u8], which: Topic, who: &Identity<'_>) -> &'b [u8] {
    let end = buf.len().saturating_sub(1);
    let len = match buf.split_at_mut_checked(end) {
        Some((text, _nul)) => {
            let mut w = Writer::new(text);
            render::topic(&mut w, which, who);
            w.len()
        }
        None => 0,
    };
    // An empty text if `buf` is empty (it never is): still a NUL-terminated string.
    buf.get(..=len).unwrap_or(b"\0")
}

/// What [`use_topic`] does with a rendered topic.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TopicUse {
    /// `IOT_MQTT_Subscribe` it (qos 0) with its handler (`awss_report_token_reply` for
    /// `match_reply`, else `awss_report_reset_reply`).
    Subscribe,
    /// `IOT_MQTT_Unsubscribe` it.
    Unsubscribe,
    /// `CoAPServer_register` it on the running server `ctx` with its handler (the multicast
    /// query's for `/sys/device/info/get`, else the unicast query's).
    Register(NonNull<c_void>),
}

/// Render `which` (with the product key and device name of `ids`) and hand it to the MQTT
/// client or the CoAP server as `how` says, with its handler from `cb`; returns the client's
/// result. Prints the result line: a subscription's always (warning when negative), a
/// registration's only when it failed (non-zero).
pub fn use_topic(which: Topic, how: TopicUse, ids: &mut Ids, cb: &Callbacks) -> c_int {
    let who = ids.get(false);
    let mut tbuf = [0u8; TOPIC_MAX];
    let t = topic(&mut tbuf, which, &who);
    let (p, null) = (t.as_ptr().cast(), core::ptr::null_mut());
    // SAFETY: `t` ends with the NUL `topic` writes (the client and the server copy it); each
    // handler has the type its function expects; a registration's context is the server's.
    let rc = unsafe {
        match how {
            TopicUse::Subscribe => {
                let h = if which == Topic::MatchReply {
                    cb.match_reply
                } else {
                    cb.reset_reply
                };
                imports::IOT_MQTT_Subscribe(null, p, 0, Some(h), null)
            }
            TopicUse::Unsubscribe => imports::IOT_MQTT_Unsubscribe(null, p),
            TopicUse::Register(c) => {
                let h = if which == Topic::QueryMcast {
                    cb.query_mcast
                } else {
                    cb.query_ucast
                };
                imports::CoAPServer_register(c.as_ptr(), p, Some(h))
            }
        }
    };
    let line = match how {
        TopicUse::Subscribe => Some(route::subscription_result(true, rc)),
        TopicUse::Unsubscribe => Some(route::subscription_result(false, rc)),
        TopicUse::Register(_) => route::registration_result(rc),
    };
    if let Some(line) = line {
        let text = t.split_last().map_or(t, |(_, rest)| rest);
        log::line(line, text, i64::from(rc));
    }
    rc
}

/// Subscribe (or unsubscribe) a reply topic; returns the MQTT result.
pub fn subscribe(sub: Sub, on: bool, ids: &mut Ids, cb: &Callbacks) -> c_int {
    let how = if on {
        TopicUse::Subscribe
    } else {
        TopicUse::Unsubscribe
    };
    use_topic(sub.topic(), how, ids, cb)
}

/// The result of the last server start's registration of the two query resources (0: both
/// registered).
static REGISTERED: AtomicI32 = AtomicI32::new(-1);

/// The CoAP server's context, starting the server on first use. A start registers both
/// device-info resources before the context is handed out, so that no notify or answer goes
/// out from a server that cannot take the phones' queries (also when the cloud's reply, and so
/// the first notify, comes inside the call that started it). Of two racing starts the one
/// that installs its context registers.
pub fn server(cb: &Callbacks) -> Option<NonNull<c_void>> {
    if let Some(c) = coap::ctx() {
        return Some(c);
    }
    // SAFETY: no arguments; returns the server context or NULL.
    let Some(fresh) = NonNull::new(unsafe { imports::CoAPServer_init() }) else {
        log::note(Level::Error, Msg::CoapInitFailed);
        return None;
    };
    match coap::install(fresh) {
        Ok(c) => {
            register(c, cb);
            Some(c)
        }
        Err(winner) => winner,
    }
}

/// Register both query resources on the running server `c` and keep the result in
/// [`REGISTERED`] (a registration made again overwrites the resource's handler).
fn register(c: NonNull<c_void>, cb: &Callbacks) -> c_int {
    // Read here, not taken from the caller: a server starts rarely, and its identity is
    // then on this frame only.
    let mut ids = Ids::UNREAD;
    let mcast = use_topic(Topic::QueryMcast, TopicUse::Register(c), &mut ids, cb);
    let ucast = use_topic(Topic::QueryUcast, TopicUse::Register(c), &mut ids, cb);
    let rc = -c_int::from(mcast != 0 || ucast != 0);
    REGISTERED.store(rc, Ordering::Release);
    rc
}

/// Start the server if it is not running, which registers both query paths
/// (`/sys/device/info/get` and `/sys/${pk}/${dn}/device/info/get`, see [`server`]), or
/// register them again on a running server whose registration failed; `-1` when it cannot
/// start or a registration failed (each after its line).
pub fn register_queries(cb: &Callbacks) -> c_int {
    let running = coap::ctx().is_some();
    let Some(c) = server(cb) else {
        return -1;
    };
    let rc = REGISTERED.load(Ordering::Acquire);
    if running && rc != 0 {
        return register(c, cb);
    }
    rc
}

/// What executing an action has to tell its caller, who tells the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing.
    Done,
    /// The MQTT client refused this subscription.
    SubscribeRefused(Sub),
    /// The CoAP server could not start, or a query resource could not be registered on it.
    ServerDown,
    /// A notify broadcast could not go out: the CoAP server cannot start.
    NotifyNoServer,
    /// The reset flag read again: `Ok(set)` or `HAL_Kv_Get`'s error.
    FlagRead(Result<bool, i32>),
    /// `HAL_Kv_Set` of the reset flag with this value failed.
    FlagNotSaved(bool),
    /// A token or reset report was published with this result.
    Published(c_int),
}

/// Execute one action (`Action::Answer(())` stands for `answer`), with the identity of the
/// run of actions `ids` (read on first need); the actions with a payload go to [`deliver`].
/// Decides nothing: what the machine must know comes back as the [`Outcome`].
pub fn execute(
    action: &Action<()>,
    answer: Option<&mut Reply<'_>>,
    ids: &mut Ids,
    cb: &Callbacks,
) -> Outcome {
    let hal = &Hal;
    match *action {
        Action::Subscribe(sub) => {
            if subscribe(sub, true, ids, cb) < 0 {
                return Outcome::SubscribeRefused(sub);
            }
        }
        Action::Unsubscribe(sub) => {
            subscribe(sub, false, ids, cb);
        }
        Action::RegisterQueries => {
            if register_queries(cb) != 0 {
                return Outcome::ServerDown;
            }
        }
        Action::DeinitCoap => coap::deinit(),
        Action::CancelNotify => coap::cancel_notify(),
        Action::PostEvent(code) => {
            if code == IOTX_AWSS_BIND_NOTIFY {
                log::line(route::POSTING_BIND_NOTIFY, &[], 0);
            }
            imports::post_event(code);
        }
        Action::SetResetFlag(set) => {
            let rc = hal.kv_set_reset(u8::from(set));
            if rc != 0 {
                log::line(route::FLAG_NOT_SAVED, &[], i64::from(rc));
                return Outcome::FlagNotSaved(set);
            }
        }
        Action::ReadResetFlag => return Outcome::FlagRead(reset_flag(hal)),
        Action::PublishReport { .. } | Action::PublishReset { .. } => {
            return Outcome::Published(deliver(action, answer, ids, cb));
        }
        Action::Notify { .. } => {
            // The server starts (and registers its resources) first; without one the
            // broadcast cannot go out, and the machine must know it was not sent.
            if server(cb).is_none() {
                return Outcome::NotifyNoServer;
            }
            deliver(action, answer, ids, cb);
        }
        Action::PublishStats { .. } | Action::Answer(()) => {
            deliver(action, answer, ids, cb);
        }
    }
    Outcome::Done
}

/// Render, log and send the payload of `action` with the identity `ids` (read on first need):
/// MQTT publishes (report at QoS 1, reset and statistics at QoS 0), a notify broadcast, or an
/// answer (`Action::Answer(())` stands for `answer`), the last two from the running server
/// (its caller starts it: `-1` when there is none, after a warning for a late answer).
/// Prints the result line (for a notify or an answer only when it failed) and returns the
/// result.
pub fn deliver(
    action: &Action<()>,
    answer: Option<&mut Reply<'_>>,
    ids: &mut Ids,
    cb: &Callbacks,
) -> c_int {
    let hal = &Hal;
    let mut token = &[0u8; 16];
    let mut id = &render::NO_ID;
    let mut dest = 0;
    let mut mcast = false;
    let who;
    let mut pbuf = [0u8; PAYLOAD_MAX];
    // The numbers live only until the payload is rendered (their slot then holds the topic).
    let (route, payload) = {
        let mut nums = [0u64; 8];
        let which = match *action {
            Action::PublishReport { id, token: ref t } => {
                nums[0] = id.into();
                token = t;
                Payload::Report
            }
            Action::PublishReset { id } => {
                nums[0] = id.into();
                Payload::Reset
            }
            Action::PublishStats {
                ref id,
                stats: ref s,
            } => {
                // Read after the call, not kept across it.
                nums = render::stats_nums(*id, hal.uptime_ms(), s);
                Payload::Stats
            }
            Action::Notify {
                id,
                dest: d,
                token: ref t,
                remain_ms,
            } => {
                nums[0] = id.into();
                nums[1] = remain_ms.into();
                token = t;
                dest = d;
                Payload::Notify
            }
            Action::Answer(()) => match answer.as_deref() {
                Some(Reply::Later(a)) => {
                    nums[0] = a.remain_ms.into();
                    token = &a.token;
                    id = &a.id;
                    mcast = a.mcast;
                    Payload::Answer
                }
                Some(Reply::Now {
                    mcast: m, id: i, ..
                }) => {
                    id = i;
                    mcast = *m;
                    Payload::ConnectAp
                }
                None => return -1,
            },
            // No payload: `execute` never hands these here. Listed, not `_`, so a new action
            // must be placed on one side or the other.
            Action::Subscribe(_)
            | Action::Unsubscribe(_)
            | Action::RegisterQueries
            | Action::DeinitCoap
            | Action::CancelNotify
            | Action::PostEvent(_)
            | Action::SetResetFlag(_)
            | Action::ReadResetFlag => return -1,
        };
        let Some(route) = which.route(mcast) else {
            return -1;
        };
        // The MAC and the IP are read only for the payloads that carry DEVINFO.
        who = ids.get(which.carries_devinfo());
        let Some(payload) = render_logged(&mut pbuf, which, &nums, token, &who, id) else {
            return -1;
        };
        (route, payload)
    };
    let mut tbuf = [0u8; TOPIC_MAX];
    let t = topic(&mut tbuf, route.topic, &who);
    let rc = match route.channel {
        // `execute` started the server for a notify, and `answer_now` for its answer, before
        // the payload was rendered: not here, under the buffers of this frame. It is gone
        // only if a deinit came in between.
        Channel::Notify => match coap::ctx() {
            // SAFETY: `c` is the live server; `t` ends with the NUL `topic` writes.
            Some(c) => unsafe { coap::notify_send(c, cb.notify_ack, dest, who.ip, t, payload) },
            None => -1,
        },
        Channel::Answer => match answer {
            Some(reply) => {
                let c = coap::ctx();
                if c.is_none() && matches!(reply, Reply::Later(_)) {
                    log::note(Level::Warn, Msg::AnswerNoServer);
                }
                match c {
                    // SAFETY: `c` is the live server; `t` ends with the NUL `topic` writes;
                    // the payload fits its buffer of PAYLOAD_MAX bytes.
                    Some(c) => unsafe { coap::answer(c, reply, t, payload) },
                    None => -1,
                }
            }
            None => -1,
        },
        Channel::Mqtt { qos } => {
            // SAFETY: `t` ends with the NUL `topic` writes; the client copies the payload
            // during the call and does not write through the pointer (the C prototype lacks
            // `const`); the payload fits its buffer of PAYLOAD_MAX bytes, so the length cast
            // is exact.
            unsafe {
                imports::IOT_MQTT_Publish_Simple(
                    core::ptr::null_mut(),
                    t.as_ptr().cast(),
                    c_int::from(qos),
                    payload.as_ptr() as *mut core::ffi::c_void,
                    payload.len() as c_int,
                )
            }
        }
    };
    if let Some(line) = route.result(rc) {
        log::line(line, &[], rc.into());
    }
    rc
}

/// Answer a connect-AP device-info query (`process_get_device_info` type 3) at once, to the
/// request the server still owns (the server started if needed): `0` when an answer was
/// attempted, `-1` on NULL or a request whose id cannot be echoed (after a warning).
///
/// # Safety
/// `remote` NULL or a valid `NetworkAddr *`; `request` NULL or a valid `CoAPMessage *` (with
/// `payloadlen` readable bytes at `payload`), both for the call.
pub unsafe fn answer_now(
    remote: *mut c_void,
    request: *mut c_void,
    mcast: bool,
    cb: &Callbacks,
) -> c_int {
    // SAFETY: each NULL or valid for the call, per the caller.
    let (Some(remote), Some(request)) = (unsafe {
        (
            remote.cast::<NetworkAddr>().as_mut(),
            request.cast::<CoapMessage>().as_mut(),
        )
    }) else {
        return -1;
    };
    // SAFETY: the request's payload is valid for `payloadlen` bytes, per the caller.
    let payload = unsafe { imports::coap_payload(request) };
    // Used in place (a move would copy it).
    let echo = json::id_echo(payload);
    let Ok(id) = &echo else {
        log::note(Level::Warn, Msg::ConnectapBad);
        return -1;
    };
    // The server starts first (registering its resources), as for a notify; without it the
    // answer fails after its payload line, as every answer does.
    let _ = server(cb);
    // Rendered, logged and sent like every other answer (the payload always fits: its
    // identity and id echo are bounded far below `PAYLOAD_MAX`).
    let mut ids = Ids::UNREAD;
    deliver(
        &Action::Answer(()),
        Some(&mut Reply::Now {
            remote,
            request,
            mcast,
            id,
        }),
        &mut ids,
        cb,
    );
    0
}

/// Render `which` into `buf` and print its payload line (for a notify, after the topic line);
/// `None` after an error line when it does not fit.
pub fn render_logged<'b>(
    buf: &'b mut [u8],
    which: Payload,
    nums: &[u64],
    token: &Token,
    who: &Identity<'_>,
    id: &IdEcho,
) -> Option<&'b [u8]> {
    let lines = which.lines()?;
    let mut w = Writer::new(buf);
    render::payload(&mut w, which, nums, token, who, id);
    if !w.ok() {
        log::line(lines.too_long, &[], 0);
        return None;
    }
    let len = w.len();
    let p = buf.get(..len)?;
    if let Some(before) = lines.before {
        log::line(before, &[], 0);
    }
    log::line(lines.payload, p, 0);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every topic and path, rendered with the longest identity the HAL buffers can hold
    /// (21- and 33-byte texts without a NUL), fits [`TOPIC_MAX`] whole with its NUL.
    #[test]
    fn every_topic_fits_its_buffer() {
        let (pk, dn) = ([b'k'; 21], [b'd'; 33]);
        let mut who = render::NOBODY;
        who.product_key = &pk;
        who.device_name = &dn;
        let mut longest = 0;
        for which in Topic::ALL {
            let mut big = [0u8; 512];
            let mut w = Writer::new(&mut big);
            render::topic(&mut w, which, &who);
            assert!(w.ok());
            let len = w.len();
            let mut buf = [0u8; TOPIC_MAX];
            let t = topic(&mut buf, which, &who);
            assert_eq!(t.len(), len + 1, "{which:?}");
            assert_eq!(t.split_last(), Some((&0, &big[..len])), "{which:?}");
            longest = longest.max(len);
        }
        assert_eq!(longest, 92);
    }

    /// A text is measured up to its NUL; one that fills its buffer (a HAL past its limit) is
    /// cut at the spare last byte, so no identity field is longer than [`Ids`] promises.
    #[test]
    fn nul_at_measures_up_to_the_nul_and_cuts_at_the_spare_byte() {
        let mut pk = [0u8; 22];
        pk[..11].copy_from_slice(b"a1GQc8iJOWI");
        assert_eq!(nul_at(&mut pk), 11);
        let mut full = [b'k'; 22];
        assert_eq!(nul_at(&mut full), 21);
        assert_eq!(full[21], 0);
        assert_eq!(nul_at(&mut [0u8; 19]), 0);
        assert_eq!(nul_at(&mut []), 0);
    }
}
