//! A small synchronous MQTT 3.1.1 client on `std::net` with rumqttc's codec (`rumqttc::mqttbytes`,
//! the maintained successor of the `mqttbytes` crate) and its topic matcher: CONNECT
//! (clean session), SUBSCRIBE qos 0/1 with SUBACK tracking, PUBLISH qos 0/1 with PUBACK
//! tracking, PINGREQ keep-alive, and a reader thread that dispatches incoming PUBLISHes to every
//! subscription whose filter matches (`+` / `#` wildcards). When the connection drops it
//! reconnects with a growing delay, re-subscribes, and calls the connected callback again.
//!
//! Callbacks run on the client's thread without any of its locks held, so they may publish,
//! subscribe or unsubscribe. `subscribe` never waits for the SUBACK (the SDK's
//! `IOT_MQTT_Subscribe` does not either); [`MqttClient::wait_suback`] does, for callers that
//! want it.
//!
//! Why not rumqttc's own client (`rumqttc::Client` / `Connection`): the SDK's
//! `IOT_MQTT_Subscribe` and `IOT_MQTT_Publish_Simple` return the packet id at once, and the
//! bind module calls them from inside its MQTT callbacks (it reports a fresh token from the
//! `match_reply` handler). rumqttc's `subscribe` and `publish` return `()`: its event loop
//! assigns the packet id later, seen only as an `Event::Outgoing` on the thread that also runs
//! the callbacks, so an FFI call waiting for it from a callback would deadlock, and a SUBACK or
//! PUBACK could not be tied to the call that caused it.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{self, Packet};
use rumqttc::mqttbytes::{matches, QoS};

pub use rumqttc::mqttbytes::v4::SubscribeReasonCode;

/// Largest packet accepted from the broker.
pub const MAX_PACKET: usize = 256 * 1024;
/// How long a TCP connect or a CONNACK may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and who to connect as.
#[derive(Debug, Clone)]
pub struct MqttOptions {
    /// `HOST:PORT`.
    pub broker: String,
    /// Client identifier.
    pub client_id: String,
    /// Keep-alive in seconds (0 disables PINGREQ).
    pub keep_alive_s: u16,
    /// Log every packet sent and received.
    pub log_traffic: bool,
}

/// An incoming PUBLISH as handed to a subscription's handler.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// Payload bytes.
    pub payload: &'a [u8],
    /// QoS of the delivery.
    pub qos: u8,
    /// DUP flag.
    pub dup: bool,
    /// RETAIN flag.
    pub retain: bool,
    /// Packet id (0 for qos 0).
    pub pkid: u16,
}

/// A subscription's handler.
pub type Handler = Arc<dyn Fn(&Message<'_>) + Send + Sync>;

struct Sub {
    filter: String,
    qos: QoS,
    handler: Handler,
}

#[derive(Default)]
struct Inner {
    subs: Vec<Sub>,
    next_pkid: u16,
    /// SUBACKs received (pkid -> return codes), most recent last, bounded.
    subacks: VecDeque<(u16, Vec<SubscribeReasonCode>)>,
    /// PUBACKs received, most recent last, bounded.
    pubacks: VecDeque<u16>,
    /// qos 1 publishes not acknowledged yet (pkid -> topic).
    inflight: HashMap<u16, String>,
    connected: bool,
    connects: u64,
}

const ACK_MEMORY: usize = 256;

/// The client. Create with [`MqttClient::new`], run with [`MqttClient::start`] (a thread that
/// connects and reconnects) or drive one session by hand with [`MqttClient::connect`].
pub struct MqttClient {
    opts: MqttOptions,
    inner: Mutex<Inner>,
    changed: Condvar,
    writer: Mutex<Option<TcpStream>>,
    stop: AtomicBool,
    last_tx_ms: AtomicU64,
    thread: Mutex<Option<JoinHandle<()>>>,
    epoch: Instant,
}

fn qos_from(n: u8) -> QoS {
    match n {
        0 => QoS::AtMostOnce,
        _ => QoS::AtLeastOnce,
    }
}

fn qos_num(q: QoS) -> u8 {
    match q {
        QoS::AtMostOnce => 0,
        QoS::AtLeastOnce => 1,
        QoS::ExactlyOnce => 2,
    }
}

fn codec_err(e: rumqttc::mqttbytes::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("mqtt codec: {e:?}"))
}

/// Whether `filter` is a valid topic filter (`#` only as the last level, wildcards alone in
/// their level).
pub fn valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    let last = levels.len() - 1;
    levels.iter().enumerate().all(|(i, l)| {
        let wild = l.contains('+') || l.contains('#');
        !wild || *l == "+" || (*l == "#" && i == last)
    })
}

/// Whether `topic` is a valid topic name to publish to.
pub fn valid_topic(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['+', '#', '\0'])
}

impl MqttClient {
    /// A client, not connected yet.
    pub fn new(opts: MqttOptions) -> Arc<Self> {
        Arc::new(Self {
            opts,
            inner: Mutex::new(Inner {
                next_pkid: 1,
                ..Inner::default()
            }),
            changed: Condvar::new(),
            writer: Mutex::new(None),
            stop: AtomicBool::new(false),
            last_tx_ms: AtomicU64::new(0),
            thread: Mutex::new(None),
            epoch: Instant::now(),
        })
    }

    /// The options it was made with.
    pub fn options(&self) -> &MqttOptions {
        &self.opts
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn log(&self, args: std::fmt::Arguments<'_>) {
        if self.opts.log_traffic {
            crate::hlog!("mqtt: {args}");
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn send_bytes(&self, bytes: &[u8]) -> io::Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let Some(stream) = w.as_mut() else {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "not connected"));
        };
        stream.write_all(bytes)?;
        self.last_tx_ms.store(self.now_ms(), Ordering::Relaxed);
        Ok(())
    }

    fn send(
        &self,
        encode: impl FnOnce(&mut BytesMut) -> Result<usize, rumqttc::mqttbytes::Error>,
    ) -> io::Result<()> {
        let mut buf = BytesMut::with_capacity(256);
        encode(&mut buf).map_err(codec_err)?;
        self.send_bytes(&buf)
    }

    fn alloc_pkid(inner: &mut Inner) -> u16 {
        loop {
            let id = inner.next_pkid;
            inner.next_pkid = inner.next_pkid.wrapping_add(1).max(1);
            if !inner.inflight.contains_key(&id) {
                return id;
            }
        }
    }

    /// Whether a session is up (CONNACK received, not closed since).
    pub fn is_connected(&self) -> bool {
        self.lock().connected
    }

    /// How many sessions have been established.
    pub fn connect_count(&self) -> u64 {
        self.lock().connects
    }

    /// Waits until `f` finds something in the state (checked at once and on every change);
    /// None on timeout.
    fn wait_for<T>(&self, timeout: Duration, mut f: impl FnMut(&Inner) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut g = self.lock();
        loop {
            if let Some(v) = f(&g) {
                return Some(v);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            g = self
                .changed
                .wait_timeout(g, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits until connected; false on timeout.
    pub fn wait_connected(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |g| g.connected.then_some(()))
            .is_some()
    }

    /// Subscribes `filter` (replacing the handler of an identical filter). Sent now if
    /// connected, else at the next connect.
    ///
    /// Returns the SUBSCRIBE's packet id, or 0 if it was only recorded for the next connect.
    pub fn subscribe(&self, filter: &str, qos: u8, handler: Handler) -> io::Result<u16> {
        if !valid_filter(filter) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad topic filter `{filter}`"),
            ));
        }
        let qos = qos_from(qos);
        let pkid = {
            let mut g = self.lock();
            g.subs.retain(|s| s.filter != filter);
            g.subs.push(Sub {
                filter: filter.to_string(),
                qos,
                handler,
            });
            if !g.connected {
                return Ok(0);
            }
            Self::alloc_pkid(&mut g)
        };
        let mut sub = v4::Subscribe::new(filter, qos);
        sub.pkid = pkid;
        self.send(|b| sub.write(b))?;
        self.log(format_args!(
            "tx SUBSCRIBE {filter} qos {} (id {pkid})",
            qos_num(qos)
        ));
        Ok(pkid)
    }

    /// Waits for the SUBACK of `pkid`; its return codes, or None on timeout.
    pub fn wait_suback(&self, pkid: u16, timeout: Duration) -> Option<Vec<SubscribeReasonCode>> {
        self.wait_for(timeout, |g| {
            g.subacks
                .iter()
                .find(|(id, _)| *id == pkid)
                .map(|(_, codes)| codes.clone())
        })
    }

    /// Forgets `filter`; sends UNSUBSCRIBE if connected. Ok even if it was not subscribed.
    pub fn unsubscribe(&self, filter: &str) -> io::Result<()> {
        let pkid = {
            let mut g = self.lock();
            g.subs.retain(|s| s.filter != filter);
            if !g.connected {
                return Ok(());
            }
            Self::alloc_pkid(&mut g)
        };
        let mut unsub = v4::Unsubscribe::new(filter);
        unsub.pkid = pkid;
        self.send(|b| unsub.write(b))?;
        self.log(format_args!("tx UNSUBSCRIBE {filter} (id {pkid})"));
        Ok(())
    }

    /// Publishes `payload` to `topic` with qos 0 or 1 (2 is sent as 1).
    ///
    /// Returns the packet id (0 for qos 0).
    pub fn publish(&self, topic: &str, qos: u8, payload: &[u8]) -> io::Result<u16> {
        if !valid_topic(topic) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad topic `{topic}`"),
            ));
        }
        let qos = qos_from(qos);
        let pkid = {
            let mut g = self.lock();
            if !g.connected {
                return Err(io::Error::new(io::ErrorKind::NotConnected, "not connected"));
            }
            if qos == QoS::AtMostOnce {
                0
            } else {
                let id = Self::alloc_pkid(&mut g);
                g.inflight.insert(id, topic.to_string());
                id
            }
        };
        let mut p = v4::Publish::new(topic, qos, payload.to_vec());
        p.pkid = pkid;
        if let Err(e) = self.send(|b| p.write(b)) {
            self.lock().inflight.remove(&pkid);
            return Err(e);
        }
        self.log(format_args!(
            "tx PUBLISH {topic} qos {} (id {pkid}) {}",
            qos_num(qos),
            crate::log::payload(payload, 400)
        ));
        Ok(pkid)
    }

    /// Waits for the PUBACK of `pkid`; false on timeout.
    pub fn wait_puback(&self, pkid: u16, timeout: Duration) -> bool {
        self.wait_for(timeout, |g| g.pubacks.contains(&pkid).then_some(()))
            .is_some()
    }

    /// qos 1 publishes not acknowledged yet.
    pub fn inflight(&self) -> usize {
        self.lock().inflight.len()
    }

    /// Opens one session: TCP connect, CONNECT (clean session), CONNACK. Returns the stream to
    /// read from (give it to [`MqttClient::run_session`]).
    pub fn connect(&self) -> io::Result<TcpStream> {
        let addr = crate::config::resolve_v4(&self.opts.broker).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("broker `{}`: not HOST:PORT", self.opts.broker),
            )
        })?;
        let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
        stream.set_nodelay(true)?;
        let mut connect = v4::Connect::new(self.opts.client_id.clone());
        connect.keep_alive = self.opts.keep_alive_s;
        connect.clean_session = true;
        let mut buf = BytesMut::new();
        connect.write(&mut buf).map_err(codec_err)?;
        stream.write_all(&buf)?;
        stream.set_read_timeout(Some(CONNECT_TIMEOUT))?;
        let mut rx = BytesMut::with_capacity(64);
        let mut tmp = [0u8; 64];
        let ack = loop {
            match Packet::read(&mut rx, MAX_PACKET) {
                Ok(Packet::ConnAck(a)) => break a,
                Ok(other) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("expected CONNACK, got {other:?}"),
                    ))
                }
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {}
                Err(e) => return Err(codec_err(e)),
            }
            let n = stream.read(&mut tmp)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "broker closed the connection before CONNACK",
                ));
            }
            rx.extend_from_slice(tmp.get(..n).unwrap_or(&[]));
        };
        if ack.code != v4::ConnectReturnCode::Success {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionRefused,
                format!("CONNACK refused: {:?}", ack.code),
            ));
        }
        *self.writer.lock().unwrap_or_else(|e| e.into_inner()) = Some(stream.try_clone()?);
        self.last_tx_ms.store(self.now_ms(), Ordering::Relaxed);
        // Whatever arrived with the CONNACK is lost only if it was a packet before it, which a
        // broker never sends.
        let resubscribe: Vec<(String, QoS)> = {
            let mut g = self.lock();
            g.connected = true;
            g.connects += 1;
            g.inflight.clear();
            g.subs.iter().map(|s| (s.filter.clone(), s.qos)).collect()
        };
        self.changed.notify_all();
        for (filter, qos) in resubscribe {
            let pkid = Self::alloc_pkid(&mut self.lock());
            let mut sub = v4::Subscribe::new(filter.as_str(), qos);
            sub.pkid = pkid;
            self.send(|b| sub.write(b))?;
            self.log(format_args!(
                "tx SUBSCRIBE {filter} qos {} (id {pkid}, again)",
                qos_num(qos)
            ));
        }
        Ok(stream)
    }

    fn mark_disconnected(&self) {
        if let Some(s) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = s.shutdown(Shutdown::Both);
        }
        let lost = {
            let mut g = self.lock();
            g.connected = false;
            let lost = g.inflight.len();
            g.inflight.clear();
            lost
        };
        if lost > 0 {
            crate::hlog!("mqtt: {lost} qos 1 publish(es) lost with the connection");
        }
        self.changed.notify_all();
    }

    /// Reads and dispatches until the connection ends or [`MqttClient::shutdown`]; sends
    /// PINGREQ every keep-alive / 2 of silence and gives up if no PINGRESP comes within a
    /// keep-alive.
    pub fn run_session(&self, mut stream: TcpStream) -> io::Result<()> {
        let result = self.read_loop(&mut stream);
        self.mark_disconnected();
        result
    }

    fn read_loop(&self, stream: &mut TcpStream) -> io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_millis(200)))?;
        let keep_alive = Duration::from_secs(u64::from(self.opts.keep_alive_s));
        let mut rx = BytesMut::with_capacity(4096);
        let mut tmp = vec![0u8; 16 * 1024];
        let mut ping_sent: Option<Instant> = None;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            match stream.read(&mut tmp) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the broker closed the connection",
                    ))
                }
                Ok(n) => {
                    rx.extend_from_slice(tmp.get(..n).unwrap_or(&[]));
                    loop {
                        match Packet::read(&mut rx, MAX_PACKET) {
                            Ok(Packet::PingResp) => ping_sent = None,
                            Ok(p) => self.handle(p)?,
                            Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => break,
                            Err(e) => return Err(codec_err(e)),
                        }
                    }
                }
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if keep_alive.is_zero() {
                continue;
            }
            if let Some(t) = ping_sent {
                if t.elapsed() > keep_alive {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no PINGRESP within the keep-alive",
                    ));
                }
            } else {
                let idle = self
                    .now_ms()
                    .saturating_sub(self.last_tx_ms.load(Ordering::Relaxed));
                if u128::from(idle) * 2 >= keep_alive.as_millis() {
                    self.send(|b| v4::PingReq.write(b))?;
                    ping_sent = Some(Instant::now());
                }
            }
        }
    }

    fn handle(&self, packet: Packet) -> io::Result<()> {
        match packet {
            Packet::Publish(p) => {
                match p.qos {
                    QoS::AtMostOnce => {}
                    QoS::AtLeastOnce => self.send(|b| v4::PubAck::new(p.pkid).write(b))?,
                    QoS::ExactlyOnce => self.send(|b| v4::PubRec::new(p.pkid).write(b))?,
                }
                self.log(format_args!(
                    "rx PUBLISH {} qos {} {}",
                    p.topic,
                    qos_num(p.qos),
                    crate::log::payload(&p.payload, 400)
                ));
                let handlers: Vec<Handler> = self
                    .lock()
                    .subs
                    .iter()
                    .filter(|s| matches(&p.topic, &s.filter))
                    .map(|s| Arc::clone(&s.handler))
                    .collect();
                if handlers.is_empty() {
                    self.log(format_args!("no subscription matches {}", p.topic));
                }
                let msg = Message {
                    topic: &p.topic,
                    payload: &p.payload,
                    qos: qos_num(p.qos),
                    dup: p.dup,
                    retain: p.retain,
                    pkid: p.pkid,
                };
                for h in handlers {
                    h(&msg);
                }
            }
            Packet::PubAck(a) => {
                {
                    let mut g = self.lock();
                    if g.inflight.remove(&a.pkid).is_none() {
                        crate::hlog!("mqtt: PUBACK for unknown id {}", a.pkid);
                    }
                    g.pubacks.push_back(a.pkid);
                    if g.pubacks.len() > ACK_MEMORY {
                        g.pubacks.pop_front();
                    }
                }
                self.log(format_args!("rx PUBACK (id {})", a.pkid));
                self.changed.notify_all();
            }
            Packet::SubAck(s) => {
                if s.return_codes.contains(&SubscribeReasonCode::Failure) {
                    crate::hlog!("mqtt: the broker refused subscription id {}", s.pkid);
                }
                self.log(format_args!(
                    "rx SUBACK (id {}) {:?}",
                    s.pkid, s.return_codes
                ));
                {
                    let mut g = self.lock();
                    g.subacks.push_back((s.pkid, s.return_codes));
                    if g.subacks.len() > ACK_MEMORY {
                        g.subacks.pop_front();
                    }
                }
                self.changed.notify_all();
            }
            Packet::PubRel(r) => self.send(|b| v4::PubComp::new(r.pkid).write(b))?,
            Packet::UnsubAck(_) | Packet::PingResp => {}
            other => crate::hlog!("mqtt: unexpected packet from the broker: {other:?}"),
        }
        Ok(())
    }

    /// Whether [`MqttClient::start`] has been called.
    pub fn is_started(&self) -> bool {
        self.thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Starts the client thread: connect, call `on_connected`, read; on loss, reconnect after
    /// 1, 2, 4, 8, 8... seconds.
    pub fn start(self: &Arc<Self>, on_connected: Box<dyn Fn() + Send>) {
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("mqtt".into())
            .spawn(move || me.run(on_connected));
        match spawned {
            Ok(h) => *self.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(h),
            Err(e) => crate::hlog!("mqtt: cannot start the client thread: {e}"),
        }
    }

    fn run(&self, on_connected: Box<dyn Fn() + Send>) {
        let mut delay = Duration::from_secs(1);
        while !self.stop.load(Ordering::SeqCst) {
            crate::hlog!(
                "mqtt: connecting to {} as {}",
                self.opts.broker,
                self.opts.client_id
            );
            match self.connect() {
                Ok(stream) => {
                    delay = Duration::from_secs(1);
                    crate::hlog!("mqtt: connected (CONNACK accepted)");
                    on_connected();
                    match self.run_session(stream) {
                        Ok(()) => {}
                        Err(_) if self.stop.load(Ordering::SeqCst) => {}
                        Err(e) => crate::hlog!("mqtt: connection lost: {e}"),
                    }
                }
                Err(e) => {
                    self.mark_disconnected();
                    crate::hlog!(
                        "mqtt: connect to {} failed: {e}; retrying in {} s",
                        self.opts.broker,
                        delay.as_secs()
                    );
                }
            }
            let until = Instant::now() + delay;
            while Instant::now() < until && !self.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            delay = (delay * 2).min(Duration::from_secs(8));
        }
    }

    /// Sends DISCONNECT, closes the socket and joins the client thread (unless called from it).
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if self.is_connected() {
            let _ = self.send(|b| v4::Disconnect.write(b));
        }
        self.mark_disconnected();
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}
