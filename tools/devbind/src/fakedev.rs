//! `devbind fake-device`: a stand-in for the example device, written in Rust, with the same
//! flags as `build/host/devbind-device`. It exists so the demo and its tests can run before (or
//! without) the C example.
//!
//! It is a second shell around the firmware library's protocol core, `dev_bind_core`: the
//! core's [`Machine`] makes every protocol decision (tokens, reports and their retries, the
//! notify round, waiting phones, the reset report and its flag), renders every payload and
//! topic and names every log line, as it does in the firmware. This file only does what the C
//! shell (`src/ffi/shell.rs`, `exec.rs`) does around it, with std I/O instead of the SDK's:
//! feed the machine events stamped with the uptime, poll it at [`Machine::poll_at`], execute
//! the [`Action`]s it returns in order (rendered with `dev_bind_core::render`, routed with
//! `dev_bind_core::route`) through the tools' MQTT client (rumqttc), a UDP socket speaking CoAP
//! (coap-lite) and a KV file, and tell the machine what an action's execution found.
//!
//! The device's own lines (`device: ...`) are the example device's; the library's lines
//! (`[lvl] dev_bind: ...`) are the core's texts, so `devbind doctor` and the demo read both
//! devices alike.

use crate::mqtt::Client;
use crate::phone::{fill_random, path_of};
use coap_lite::{CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType};
use dev_bind_core::render::{self, Identity, Payload, Topic, Writer};
use dev_bind_core::route::{self, Channel};
use dev_bind_core::{
    Action, Answer, Config, Level, Line, Machine, Piece, QueryCtx, Sink, Sub, Token,
    IOTX_AWSS_BIND_NOTIFY,
};
use rumqttc::mqttbytes::QoS;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Phones that may wait for a token at once (the library's `DEV_BIND_MAX_PENDING_QUERIES`
/// default).
const PENDING: usize = 4;
/// Payload buffer (the C shell's `PAYLOAD_MAX`).
const PAYLOAD_MAX: usize = 512;
/// Topic buffer (the C shell's `TOPIC_MAX`).
const TOPIC_MAX: usize = 96;
/// UDP port of notify broadcasts.
const NOTIFY_PORT: u16 = 5683;
/// The KV key of the persisted reset flag.
const KV_RESET: &str = "awss.rst";
/// The longest wait for an MQTT message before the UDP socket and the deadlines are looked at.
const SLICE: Duration = Duration::from_millis(5);

pub struct Options {
    pub broker: String,
    pub pk: String,
    pub dn: String,
    pub mac: String,
    pub ip: String,
    pub coap_bind: String,
    pub notify_to: Option<SocketAddr>,
    pub kv: String,
    /// A phone-made token (flow C), handed to the machine as `aes_random` would be.
    pub token: Option<Token>,
    pub factory_reset: bool,
    /// `dev_bind_set_config`, when a flag changes one of the defaults.
    pub config: Option<Config>,
    /// The log threshold (`dev_bind_set_log_level`: 2 error .. 5 debug).
    pub log_level: u8,
    pub run_ms: Option<u64>,
}

/// `text` as 16 bytes, when it is 32 hex digits.
fn parse_token(text: &str) -> Option<Token> {
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    let mut t = [0u8; 16];
    for (i, b) in t.iter_mut().enumerate() {
        *b = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(t)
}

impl Options {
    pub fn from_flags(f: &HashMap<String, String>) -> Result<Options, String> {
        fn num<T: TryFrom<u64>>(f: &HashMap<String, String>, k: &str) -> Result<Option<T>, String> {
            let Some(v) = f.get(k) else { return Ok(None) };
            let n: u64 = v.parse().map_err(|_| format!("--{k}: not a number: {v}"))?;
            T::try_from(n)
                .map(Some)
                .map_err(|_| format!("--{k}: {v} is out of range"))
        }
        let s = |k: &str, d: &str| f.get(k).cloned().unwrap_or_else(|| d.to_string());
        let d = Config::DEFAULT;
        let fields = (
            num::<u32>(f, "report-retry-ms")?,
            num::<u8>(f, "report-attempts")?,
            num::<u32>(f, "token-lifetime-ms")?,
            num::<u8>(f, "notify-count")?,
            num::<u32>(f, "notify-step-ms")?,
            num::<u32>(f, "reset-retry-ms")?,
        );
        let any = fields.0.is_some()
            || fields.1.is_some()
            || fields.2.is_some()
            || fields.3.is_some()
            || fields.4.is_some()
            || fields.5.is_some();
        let config = any.then(|| Config {
            report_retry_ms: fields.0.unwrap_or(d.report_retry_ms),
            report_attempts: fields.1.unwrap_or(d.report_attempts),
            token_lifetime_ms: fields.2.unwrap_or(d.token_lifetime_ms),
            notify_count: fields.3.unwrap_or(d.notify_count),
            notify_step_ms: fields.4.unwrap_or(d.notify_step_ms),
            reset_retry_ms: fields.5.unwrap_or(d.reset_retry_ms),
        });
        let token = match f.get("token") {
            Some(t) => Some(parse_token(t).ok_or("--token wants 32 hex digits")?),
            None => None,
        };
        let notify_to = match f.get("notify-to") {
            Some(a) => Some(
                a.parse()
                    .map_err(|_| format!("--notify-to: not ADDR:PORT: {a}"))?,
            ),
            None => None,
        };
        let level = num::<u32>(f, "log-level")?.unwrap_or(5);
        Ok(Options {
            broker: f
                .get("broker")
                .cloned()
                .ok_or("--broker HOST:PORT is required")?,
            pk: s("pk", "a1demoPK01"),
            dn: s("dn", "demo_device_01"),
            mac: s("mac", "02:00:00:00:00:01"),
            ip: s("ip", "127.0.0.1"),
            coap_bind: s("coap-bind", "0.0.0.0:5683"),
            notify_to,
            kv: s("kv", "./devbind-kv.txt"),
            token,
            factory_reset: f.contains_key("factory-reset"),
            config,
            log_level: level.clamp(Level::Error as u32, Level::Debug as u32) as u8,
            run_ms: num::<u64>(f, "run-ms")?,
        })
    }
}

/// What the device keeps of a phone's query to answer it later: the sender, the message id
/// and the CoAP token (the C shell's `ReplyCtx`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ctx {
    from: SocketAddr,
    msgid: u16,
    token: Vec<u8>,
}

impl QueryCtx for Ctx {
    fn same_request(&self, other: &Self) -> bool {
        self.from == other.from && self.msgid == other.msgid
    }
}

/// The process's uptime clock and the log threshold: prints the library's lines as the C
/// shell prints them (`[lvl] dev_bind: <text>`, network bytes escaped) and the device's own
/// lines, each after `[<uptime ms>] ` as the Linux stand-in's `HAL_Printf` does.
#[derive(Clone, Copy)]
struct Log {
    start: Instant,
    level: u8,
}

impl Log {
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn print(&self, text: &str) {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "[{}] {text}", self.now());
        let _ = out.flush();
    }

    /// A line of the example device itself.
    fn device(&self, text: &str) {
        self.print(&format!("device: {text}"));
    }

    /// A line of the library: the core's text with `bytes` and `num` at its placeholders;
    /// bytes outside printable ASCII, and `\`, as `\xNN` (as the C shell prints them).
    fn line(&self, line: Line, bytes: &[u8], num: i64) {
        if line.level() as u8 <= self.level {
            self.print(&library_line(line, bytes, num));
        }
    }
}

/// The text of a library line, without the uptime.
fn library_line(line: Line, bytes: &[u8], num: i64) -> String {
    let mut text = format!("[{}] dev_bind: ", line.level().tag());
    line.pieces(bytes, num, &mut |p| match p {
        Piece::Text(t) => text.push_str(&String::from_utf8_lossy(t)),
        Piece::Num(n) => text.push_str(&n.to_string()),
        Piece::Bytes(b) => {
            for &c in b {
                if (0x20..0x7F).contains(&c) && c != b'\\' {
                    text.push(char::from(c));
                } else {
                    text.push_str(&format!("\\x{c:02X}"));
                }
            }
        }
    });
    text
}

/// The sink of one entry: actions queued in order (an answer in its place), log lines printed
/// at once, as the C shell's `Outbox` does.
struct Outbox {
    log: Log,
    actions: Vec<Action<Option<Answer<Ctx>>>>,
}

impl Sink<Ctx> for Outbox {
    fn act(&mut self, action: Action<()>) {
        self.actions.push(action.map_answer(|()| None));
    }
    fn answer(&mut self, answer: Answer<Ctx>) {
        self.actions.push(Action::Answer(Some(answer)));
    }
    fn log(&mut self, line: Line, bytes: &[u8], num: i64) {
        self.log.line(line, bytes, num);
    }
}

/// What executing an action has to tell the machine (the C shell's `exec::Outcome`).
enum Outcome {
    Done,
    SubscribeRefused(Sub),
    FlagRead(Result<bool, i32>),
    FlagNotSaved(bool),
    ReportNotSent(u32),
}

/// The HAL's KV store: the Linux stand-in's file format (`key hexvalue` lines), so the fake
/// device and the example device read each other's flag.
struct Kv {
    path: String,
}

impl Kv {
    fn load(&self) -> io::Result<BTreeMap<String, Vec<u8>>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let mut map = BTreeMap::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once(' ') else {
                continue;
            };
            let v = v.trim();
            let bytes: Option<Vec<u8>> = (0..v.len() / 2)
                .map(|i| u8::from_str_radix(v.get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            if let (Some(b), true) = (bytes, v.len() % 2 == 0) {
                map.insert(k.to_string(), b);
            }
        }
        Ok(map)
    }

    /// `HAL_Kv_Get`: the value, or -1 for a key never written or a file that cannot be read.
    fn get(&self, key: &str) -> Result<Vec<u8>, i32> {
        self.load().ok().and_then(|m| m.get(key).cloned()).ok_or(-1)
    }

    /// `HAL_Kv_Set`: 0, or -1 when the file cannot be written.
    fn set(&self, key: &str, value: &[u8]) -> i32 {
        let Ok(mut map) = self.load() else { return -1 };
        map.insert(key.to_string(), value.to_vec());
        let mut text = String::from("# devbind-host KV store: key hexvalue\n");
        for (k, v) in &map {
            text.push_str(k);
            text.push(' ');
            for b in v {
                text.push_str(&format!("{b:02x}"));
            }
            text.push('\n');
        }
        let tmp = format!("{}.tmp", self.path);
        match std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &self.path)) {
            Ok(()) => 0,
            Err(_) => -1,
        }
    }

    /// The reset flag as the C shell reads it: set when the value's byte is 0x01.
    fn reset_flag(&self) -> Result<bool, i32> {
        self.get(KV_RESET).map(|v| v.first() == Some(&0x01))
    }
}

/// The last notify broadcast, whose response the CoAP server hands to the send callback (one
/// at a time: each send cancels the one before, as the C shell does).
struct SentNotify {
    token: Vec<u8>,
}

struct Dev {
    m: Machine<Ctx, PENDING>,
    log: Log,
    /// `None` until MQTT is connected.
    mqtt: Option<Client>,
    sock: UdpSocket,
    kv: Kv,
    pk: String,
    dn: String,
    mac: String,
    ip: String,
    notify_to: Option<SocketAddr>,
    /// The query resources are registered (`Action::RegisterQueries` .. `DeinitCoap`).
    registered: bool,
    notify: Option<SentNotify>,
    next_msgid: u16,
}

/// `which` rendered for this device.
fn topic_text(which: Topic, who: &Identity<'_>) -> String {
    let mut buf = [0u8; TOPIC_MAX];
    let mut w = Writer::new(&mut buf);
    render::topic(&mut w, which, who);
    String::from_utf8_lossy(w.as_bytes()).into_owned()
}

fn coap_path(p: &mut Packet, path: &str) {
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
    }
}

impl Dev {
    fn who(&self) -> Identity<'_> {
        Identity {
            product_key: self.pk.as_bytes(),
            device_name: self.dn.as_bytes(),
            mac: self.mac.as_bytes(),
            ip: self.ip.as_bytes(),
        }
    }

    /// One entry: `f` runs on the machine with the current uptime, then its actions are
    /// executed in order.
    fn entry(&mut self, f: impl FnOnce(&mut Machine<Ctx, PENDING>, u64, &mut Outbox)) {
        let now = self.log.now();
        let mut out = self.outbox();
        f(&mut self.m, now, &mut out);
        self.finish(out.actions);
    }

    fn outbox(&self) -> Outbox {
        Outbox {
            log: self.log,
            actions: Vec::new(),
        }
    }

    /// Execute `actions` in order and tell the machine what each found (the C shell's
    /// `Held::finish`).
    fn finish(&mut self, actions: Vec<Action<Option<Answer<Ctx>>>>) {
        for action in actions {
            if let Action::PublishReport { id, .. } = action {
                // From now on the cloud's answer to it counts.
                self.m.report_sending(id);
            }
            let outcome = self.execute(action);
            self.tell(outcome);
        }
    }

    /// Tell the machine what an action's execution found: an entry of its own.
    fn tell(&mut self, outcome: Outcome) {
        let now = self.log.now();
        let mut out = self.outbox();
        let (m, o) = (&mut self.m, &mut out);
        match outcome {
            Outcome::Done => return,
            Outcome::SubscribeRefused(sub) => m.subscribe_failed(now, sub, o),
            Outcome::FlagRead(read) => m.reset_flag_read(now, read, o),
            Outcome::FlagNotSaved(v) => m.reset_flag_write_failed(now, v, o),
            Outcome::ReportNotSent(id) => m.report_failed(now, id, o),
        }
        self.finish(out.actions);
    }

    /// Execute one action; decides nothing.
    fn execute(&mut self, action: Action<Option<Answer<Ctx>>>) -> Outcome {
        match action {
            Action::Subscribe(sub) => return self.subscribe(sub, true),
            Action::Unsubscribe(sub) => return self.subscribe(sub, false),
            Action::RegisterQueries => self.registered = true,
            Action::DeinitCoap => {
                self.notify = None;
                self.registered = false;
            }
            Action::CancelNotify => self.notify = None,
            Action::PostEvent(code) => {
                if code == IOTX_AWSS_BIND_NOTIFY {
                    self.log.line(route::POSTING_BIND_NOTIFY, &[], 0);
                }
                self.log.device(&format!("awss status event 0x{code:04x}"));
            }
            Action::SetResetFlag(set) => {
                let rc = self.kv.set(KV_RESET, &[u8::from(set)]);
                if rc != 0 {
                    self.log.line(route::FLAG_NOT_SAVED, &[], rc.into());
                    return Outcome::FlagNotSaved(set);
                }
            }
            Action::ReadResetFlag => return Outcome::FlagRead(self.kv.reset_flag()),
            Action::PublishReport { id, token } => {
                let rc = self.deliver(Payload::Report, &[id.into()], &token, None);
                if rc < 0 {
                    return Outcome::ReportNotSent(id);
                }
            }
            Action::PublishReset { id } => {
                self.deliver(Payload::Reset, &[id.into()], &[0; 16], None);
            }
            Action::PublishStats { id, stats: s } => {
                let nums = render::stats_nums(id, self.log.now(), &s);
                self.deliver(Payload::Stats, &nums, &[0; 16], None);
            }
            Action::Notify {
                id,
                dest,
                token,
                remain_ms,
            } => {
                let nums = [id.into(), remain_ms.into()];
                self.deliver_notify(dest, &nums, &token);
            }
            Action::Answer(Some(a)) => {
                self.deliver(Payload::Answer, &[a.remain_ms.into()], &a.token, Some(&a));
            }
            // The sink queues every answer with its data.
            Action::Answer(None) => {}
        }
        Outcome::Done
    }

    /// Subscribe or unsubscribe a reply topic, with the C shell's result line.
    fn subscribe(&mut self, sub: Sub, on: bool) -> Outcome {
        let topic = topic_text(sub.topic(), &self.who());
        let ok = match &self.mqtt {
            Some(c) if on => c.subscribe(&topic, QoS::AtMostOnce).is_ok(),
            Some(c) => c.unsubscribe(&topic).is_ok(),
            None => false,
        };
        let rc: i32 = if ok { 0 } else { -1 };
        self.log.line(
            route::subscription_result(on, rc),
            topic.as_bytes(),
            rc.into(),
        );
        if on && rc < 0 {
            return Outcome::SubscribeRefused(sub);
        }
        Outcome::Done
    }

    /// Render `which` and print its lines (the C shell's `render_logged`): `None` after the
    /// too-long line when it does not fit.
    fn render(
        &self,
        which: Payload,
        nums: &[u64],
        token: &Token,
        a: Option<&Answer<Ctx>>,
    ) -> Option<Vec<u8>> {
        let lines = which.lines()?;
        let mut buf = [0u8; PAYLOAD_MAX];
        let mut w = Writer::new(&mut buf);
        let id = a.map_or(&render::NO_ID, |a| &a.id);
        render::payload(&mut w, which, nums, token, &self.who(), id);
        if !w.ok() {
            self.log.line(lines.too_long, &[], 0);
            return None;
        }
        if let Some(before) = lines.before {
            self.log.line(before, &[], 0);
        }
        self.log.line(lines.payload, w.as_bytes(), 0);
        Some(w.as_bytes().to_vec())
    }

    /// Render, log and send an MQTT payload or an answer along its route; print the result
    /// line the route names; return the result.
    fn deliver(
        &mut self,
        which: Payload,
        nums: &[u64],
        token: &Token,
        a: Option<&Answer<Ctx>>,
    ) -> i32 {
        let mcast = a.is_some_and(|a| a.mcast);
        let Some(route) = which.route(mcast) else {
            return -1;
        };
        let Some(payload) = self.render(which, nums, token, a) else {
            return -1;
        };
        let topic = topic_text(route.topic, &self.who());
        let rc = match route.channel {
            Channel::Mqtt { qos } => {
                let qos = if qos == 0 {
                    QoS::AtMostOnce
                } else {
                    QoS::AtLeastOnce
                };
                match &self.mqtt {
                    Some(c) if c.publish(&topic, &payload, qos).is_ok() => 0,
                    _ => -1,
                }
            }
            Channel::Answer => match a {
                Some(a) => self.send_answer(a, payload),
                None => -1,
            },
            Channel::Notify => -1,
        };
        if let Some(line) = route.result(rc) {
            self.log.line(line, &[], rc.into());
        }
        rc
    }

    /// A 2.05 NON response to the saved request: same message id and token.
    fn send_answer(&self, a: &Answer<Ctx>, payload: Vec<u8>) -> i32 {
        let mut p = Packet::new();
        p.header.set_type(MessageType::NonConfirmable);
        p.header.code = MessageClass::Response(coap_lite::ResponseType::Content);
        p.header.message_id = a.ctx.msgid;
        p.set_token(a.ctx.token.clone());
        p.set_content_format(ContentFormat::ApplicationJSON);
        p.payload = payload;
        match p.to_bytes() {
            Ok(b) if self.sock.send_to(&b, a.ctx.from).is_ok() => 0,
            _ => -1,
        }
    }

    /// A notify broadcast: CoAP NON POST on the notify path to the cycle's broadcast address
    /// (or `--notify-to`, as the Linux stand-in's CoAP server sends it), Content-Format 50.
    fn deliver_notify(&mut self, dest: u8, nums: &[u64], token: &Token) {
        let Some(route) = Payload::Notify.route(false) else {
            return;
        };
        let Some(payload) = self.render(Payload::Notify, nums, token, None) else {
            return;
        };
        let mut host = [0u8; 15];
        let mut w = Writer::new(&mut host);
        render::broadcast_host(&mut w, dest, self.ip.as_bytes());
        let host = String::from_utf8_lossy(w.as_bytes()).into_owned();
        let to = self
            .notify_to
            .or_else(|| format!("{host}:{NOTIFY_PORT}").parse().ok());
        self.next_msgid = self.next_msgid.wrapping_add(1);
        let mut coap_token = vec![0u8; 4];
        fill_random(&mut coap_token);
        let mut p = Packet::new();
        p.header.set_type(MessageType::NonConfirmable);
        p.header.code = MessageClass::Request(RequestType::Post);
        p.header.message_id = self.next_msgid;
        p.set_token(coap_token.clone());
        coap_path(&mut p, &topic_text(route.topic, &self.who()));
        p.set_content_format(ContentFormat::ApplicationJSON);
        p.payload = payload;
        // Each send cancels the one before: only the last broadcast's response is awaited.
        self.notify = None;
        let rc = match (p.to_bytes(), to) {
            (Ok(b), Some(to)) if self.sock.send_to(&b, to).is_ok() => 0,
            _ => -1,
        };
        if rc == 0 {
            self.notify = Some(SentNotify { token: coap_token });
        }
        if let Some(line) = route.result(rc) {
            self.log.line(line, &[], rc.into());
        }
    }

    /// An MQTT message on a subscribed topic: the reply handlers'.
    fn on_mqtt(&mut self, topic: &str, payload: &[u8]) {
        let (match_reply, reset_reply) = {
            let who = self.who();
            (
                topic_text(Topic::MatchReply, &who),
                topic_text(Topic::ResetReply, &who),
            )
        };
        if topic == match_reply {
            self.entry(|m, now, o| m.on_match_reply(now, payload, o));
        } else if topic == reset_reply {
            self.entry(|m, now, o| m.on_reset_reply(now, payload, o));
        }
    }

    /// A datagram on the CoAP port: a phone's query on a registered resource, or the
    /// response to the last notify.
    fn on_coap(&mut self, buf: &[u8], from: SocketAddr) {
        let Ok(p) = Packet::from_bytes(buf) else {
            self.log
                .device(&format!("coap: undecodable datagram from {from} ignored"));
            return;
        };
        let payload = (!p.payload.is_empty()).then_some(&p.payload[..]);
        match p.header.code {
            MessageClass::Response(_) => {
                // The CoAP server hands a response to the send callback of the message whose
                // token it echoes.
                let ours = self
                    .notify
                    .as_ref()
                    .is_some_and(|n| n.token == p.get_token());
                if !ours {
                    return;
                }
                let code = u8::from(p.header.code);
                self.entry(|m, now, o| m.on_notify_ack(now, 0, code, payload, o));
            }
            MessageClass::Request(_) => {
                let path = path_of(&p);
                let (mcast_path, ucast_path) = {
                    let who = self.who();
                    (
                        topic_text(Topic::QueryMcast, &who),
                        topic_text(Topic::QueryUcast, &who),
                    )
                };
                let mcast = if path == mcast_path {
                    true
                } else if path == ucast_path {
                    false
                } else {
                    return;
                };
                if !self.registered {
                    // No resource on the server yet: the SDK's server drops the request.
                    return;
                }
                self.log.device(&format!("Request path is {path}"));
                let ctx = Ctx {
                    from,
                    msgid: p.header.message_id,
                    token: p.get_token().to_vec(),
                };
                self.entry(|m, now, o| m.on_query(now, ctx, mcast, payload, o));
            }
            _ => {}
        }
    }
}

/// Runs the fake device until `--run-ms` passes (or forever).
pub fn run(o: Options) -> io::Result<()> {
    let log = Log {
        start: Instant::now(),
        level: o.log_level,
    };
    log.device(&format!(
        "starting: broker {}, pk {}, dn {} (devbind fake-device: dev_bind_core in a Rust shell)",
        o.broker, o.pk, o.dn
    ));
    let sock = UdpSocket::bind(&o.coap_bind)?;
    sock.set_nonblocking(true)?;
    let _ = sock.set_broadcast(true);
    let mut seed = [0u8; 32];
    fill_random(&mut seed);
    let mut d = Dev {
        m: Machine::new(),
        log,
        mqtt: None,
        sock,
        kv: Kv { path: o.kv.clone() },
        pk: o.pk.clone(),
        dn: o.dn.clone(),
        mac: o.mac.clone(),
        ip: o.ip.clone(),
        notify_to: o.notify_to,
        registered: false,
        notify: None,
        next_msgid: 0,
    };
    d.m.seed(seed);
    if let Some(cfg) = o.config {
        let mut refused = false;
        d.entry(|m, now, out| refused = m.set_config(now, cfg, out).is_err());
        if refused {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the core refused the config (a zero field)",
            ));
        }
    }
    // Flow C: the phone's token, where provisioning code leaves it (`aes_random`).
    let provisioned = o.token.unwrap_or([0; 16]);
    if o.token.is_some() {
        d.log.device("phone token given as aes_random");
    }
    if o.factory_reset {
        // As the example device: before MQTT connects (its report goes out at connect).
        d.log.device("factory reset: awss_report_reset()");
        d.entry(|m, now, out| m.report_reset(now, out));
    }
    let client_id = format!("{}.{}", o.pk, o.dn);
    d.mqtt = Some(Client::connect(
        &o.broker,
        &client_id,
        Duration::from_secs(5),
    )?);
    d.log.device("mqtt connect success!");
    // `awss_report_cloud()`: the flag as the KV store has it, or its read error.
    let flag = d.kv.reset_flag();
    d.entry(|m, now, out| {
        m.connect(now, flag == Ok(true), provisioned, out);
        if let Err(rc) = flag {
            m.reset_flag_unread(now, rc, out);
        }
    });
    let mut buf = [0u8; 2048];
    let why = loop {
        let now = d.log.now();
        if o.run_ms.is_some_and(|ms| now >= ms) {
            break "--run-ms elapsed";
        }
        if !d.mqtt.as_ref().is_some_and(Client::is_connected) {
            d.log.device("mqtt connection lost");
            break "mqtt connection lost";
        }
        let wait = match d.m.poll_at() {
            Some(at) => Duration::from_millis(at.saturating_sub(now)).min(SLICE),
            None => SLICE,
        };
        let msg = d.mqtt.as_ref().and_then(|c| c.recv_timeout(wait));
        if let Some(msg) = msg {
            d.on_mqtt(&msg.topic, &msg.payload);
        }
        while let Ok((n, from)) = d.sock.recv_from(&mut buf) {
            let data = buf[..n].to_vec();
            d.on_coap(&data, from);
        }
        if d.m.poll_at().is_some_and(|at| at <= d.log.now()) {
            d.entry(|m, now, out| m.poll(now, out));
        }
    };
    d.log.device(&format!("exiting ({why})"));
    d.entry(|m, now, out| m.deinit(now, out));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dev_bind_core::Msg;

    fn flags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn library_lines_are_the_c_shells() {
        let l = Line::new(Level::Warn, Msg::SubRes);
        assert_eq!(
            library_line(l, b"/a/b", -1),
            "[wrn] dev_bind: sub /a/b res:-1"
        );
        // Network bytes: non-printable ones and `\` escaped, as src/ffi/log.rs prints them.
        let l = Line::new(Level::Warn, Msg::MatchBadJson);
        assert_eq!(
            library_line(l, b"a\x00\"\\\xff", 0),
            "[wrn] dev_bind: match_reply ignored: bad JSON: a\\x00\"\\x5C\\xFF"
        );
        let l = Line::new(Level::Info, Msg::TryFail);
        assert_eq!(library_line(l, b"", 2), "[inf] dev_bind: try 2 times fail");
    }

    #[test]
    fn the_config_is_set_only_when_a_flag_changes_it() {
        let o = Options::from_flags(&flags(&[("broker", "h:1")])).unwrap();
        assert!(o.config.is_none());
        assert_eq!(o.log_level, 5);
        let o = Options::from_flags(&flags(&[("broker", "h:1"), ("notify-count", "3")])).unwrap();
        let want = Config {
            notify_count: 3,
            ..Config::DEFAULT
        };
        assert_eq!(o.config, Some(want));
        for (k, v) in [
            ("report-attempts", "256"),
            ("notify-count", "-1"),
            ("run-ms", "x"),
        ] {
            let e = Options::from_flags(&flags(&[("broker", "h:1"), (k, v)]));
            assert!(e.is_err_and(|e| e.contains(k)), "{k}={v}");
        }
        let o = Options::from_flags(&flags(&[("broker", "h:1"), ("log-level", "9")])).unwrap();
        assert_eq!(o.log_level, 5);
        assert!(Options::from_flags(&flags(&[])).is_err());
    }

    #[test]
    fn tokens_are_32_hex_digits() {
        let t = parse_token("000102030405060708090a0B0c0D0e0F").unwrap();
        assert_eq!(t, core::array::from_fn(|i| i as u8));
        for bad in [
            "",
            "00",
            "0g0102030405060708090a0b0c0d0e0f",
            "é01020304050607080900a0b0c0d0e0",
        ] {
            assert!(parse_token(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_kv_file_is_the_linux_stand_ins() {
        let dir = std::env::temp_dir().join(format!("devbind-fake-kv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kv.txt");
        let kv = Kv {
            path: path.to_str().unwrap().to_string(),
        };
        // Never written: the HAL's read error, as for a failed read.
        assert_eq!(kv.reset_flag(), Err(-1));
        assert_eq!(kv.set(KV_RESET, &[1]), 0);
        assert_eq!(kv.reset_flag(), Ok(true));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.lines().any(|l| l == "awss.rst 01"), "{text}");
        // Other keys and junk lines (skipped) survive a write.
        std::fs::write(&path, "# c\nother 0a0b\nbroken line zz\nawss.rst 01\n").unwrap();
        assert_eq!(kv.set(KV_RESET, &[0]), 0);
        assert_eq!(kv.reset_flag(), Ok(false));
        assert_eq!(kv.get("other"), Ok(vec![10, 11]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
