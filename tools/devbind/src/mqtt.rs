//! A small synchronous MQTT 3.1.1 broker and client (std threads and sockets, rumqttc's codec and
//! topic matcher).
//!
//! The broker is what `devbind demo` embeds so nothing needs installing; the client is what the
//! cloud simulator and the phone use. Neither keeps sessions across connections nor retained
//! messages: binding needs neither.

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{
    self, ConnAck, ConnectReturnCode, Packet, PingReq, PingResp, PubAck, PubComp, PubRec, Publish,
    SubAck, Subscribe, SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{matches, QoS};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Largest packet either side accepts.
pub const MAX_PACKET: usize = 256 * 1024;

/// A filter is valid when `#` only stands alone as the last level and `+` only as a whole level.
pub fn filter_valid(filter: &str) -> bool {
    if filter.is_empty() {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, l) in levels.iter().enumerate() {
        if l.contains('#') && (*l != "#" || i + 1 != levels.len()) {
            return false;
        }
        if l.contains('+') && *l != "+" {
            return false;
        }
    }
    true
}

fn encode(p: &Packet) -> Vec<u8> {
    let mut b = BytesMut::new();
    let r = match p {
        Packet::ConnAck(x) => x.write(&mut b),
        Packet::Publish(x) => x.write(&mut b),
        Packet::PubAck(x) => x.write(&mut b),
        Packet::PubRec(x) => x.write(&mut b),
        Packet::PubComp(x) => x.write(&mut b),
        Packet::SubAck(x) => x.write(&mut b),
        Packet::UnsubAck(x) => x.write(&mut b),
        Packet::PingResp => PingResp.write(&mut b),
        Packet::PingReq => PingReq.write(&mut b),
        Packet::Connect(x) => x.write(&mut b),
        Packet::Subscribe(x) => x.write(&mut b),
        Packet::Unsubscribe(x) => x.write(&mut b),
        Packet::Disconnect => v4::Disconnect.write(&mut b),
        Packet::PubRel(x) => x.write(&mut b),
    };
    if r.is_err() {
        return Vec::new();
    }
    b.to_vec()
}

/// Reads packets off a stream; `Ok(None)` on a read timeout (the caller checks its stop flag).
struct PacketReader {
    buf: BytesMut,
}

impl PacketReader {
    fn new() -> Self {
        PacketReader {
            buf: BytesMut::with_capacity(4096),
        }
    }

    fn next(&mut self, s: &mut TcpStream) -> io::Result<Option<Packet>> {
        loop {
            match Packet::read(&mut self.buf, MAX_PACKET) {
                Ok(p) => return Ok(Some(p)),
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {}
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("bad MQTT packet: {e:?}"),
                    ))
                }
            }
            let mut tmp = [0u8; 4096];
            match s.read(&mut tmp) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Broker

struct Session {
    client_id: String,
    writer: Arc<Mutex<TcpStream>>,
    subs: Vec<(String, QoS)>,
    next_pkid: u16,
}

#[derive(Default)]
struct BrokerState {
    sessions: HashMap<u64, Session>,
}

/// A running broker; dropping it stops accepting and closes every connection.
pub struct Broker {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<BrokerState>>,
    log: Option<Sender<String>>,
}

impl Broker {
    /// Listens on `listen` (e.g. `127.0.0.1:0` for a free port) and serves in background threads.
    pub fn start(listen: &str, log: Option<Sender<String>>) -> io::Result<Broker> {
        let listener = TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(Mutex::new(BrokerState::default()));
        let ids = Arc::new(AtomicU64::new(1));
        {
            let stop = stop.clone();
            let state = state.clone();
            let log = log.clone();
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((s, peer)) => {
                            let id = ids.fetch_add(1, Ordering::Relaxed);
                            let (stop, state, log) = (stop.clone(), state.clone(), log.clone());
                            thread::spawn(move || serve(id, s, peer, stop, state, log));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(20)),
                    }
                }
            });
        }
        Ok(Broker {
            addr,
            stop,
            state,
            log,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Client ids currently connected.
    pub fn clients(&self) -> Vec<String> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.sessions.values().map(|s| s.client_id.clone()).collect()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for s in st.sessions.values() {
            if let Ok(w) = s.writer.lock() {
                let _ = w.shutdown(Shutdown::Both);
            }
        }
        if let Some(l) = &self.log {
            let _ = l.send(format!("broker on {} stopped", self.addr));
        }
    }
}

fn send(w: &Arc<Mutex<TcpStream>>, p: &Packet) -> io::Result<()> {
    let bytes = encode(p);
    let mut s = w.lock().unwrap_or_else(|e| e.into_inner());
    s.write_all(&bytes)
}

fn serve(
    id: u64,
    mut s: TcpStream,
    peer: SocketAddr,
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<BrokerState>>,
    log: Option<Sender<String>>,
) {
    let say = |m: String| {
        if let Some(l) = &log {
            let _ = l.send(m);
        }
    };
    let _ = s.set_nonblocking(false);
    let _ = s.set_nodelay(true);
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
    let writer = match s.try_clone() {
        Ok(w) => Arc::new(Mutex::new(w)),
        Err(_) => return,
    };
    let mut reader = PacketReader::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    // The first packet must be CONNECT.
    let client_id = loop {
        if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
            return;
        }
        match reader.next(&mut s) {
            Ok(Some(Packet::Connect(c))) => break c.client_id,
            Ok(Some(_)) | Err(_) => {
                say(format!("{peer}: closed: first packet was not CONNECT"));
                return;
            }
            Ok(None) => {}
        }
    };
    {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        // A second connection with the same client id takes over (MQTT 3.1.1, 3.1.4-2).
        let old: Vec<u64> = st
            .sessions
            .iter()
            .filter(|(_, v)| v.client_id == client_id && !client_id.is_empty())
            .map(|(k, _)| *k)
            .collect();
        for k in old {
            if let Some(o) = st.sessions.remove(&k) {
                if let Ok(w) = o.writer.lock() {
                    let _ = w.shutdown(Shutdown::Both);
                }
            }
        }
        st.sessions.insert(
            id,
            Session {
                client_id: client_id.clone(),
                writer: writer.clone(),
                subs: Vec::new(),
                next_pkid: 1,
            },
        );
    }
    say(format!("{peer}: CONNECT client id {client_id:?}"));
    let _ = send(
        &writer,
        &Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, false)),
    );
    let result = client_loop(id, &mut s, &mut reader, &writer, &stop, &state, &say);
    state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .sessions
        .remove(&id);
    let _ = s.shutdown(Shutdown::Both);
    match result {
        Ok(()) => say(format!("{client_id}: DISCONNECT")),
        Err(e) => say(format!("{client_id}: connection closed ({e})")),
    }
}

fn client_loop(
    id: u64,
    s: &mut TcpStream,
    reader: &mut PacketReader,
    writer: &Arc<Mutex<TcpStream>>,
    stop: &AtomicBool,
    state: &Mutex<BrokerState>,
    say: &dyn Fn(String),
) -> io::Result<()> {
    while !stop.load(Ordering::Relaxed) {
        let p = match reader.next(s)? {
            Some(p) => p,
            None => continue,
        };
        match p {
            Packet::Subscribe(sub) => {
                let mut codes = Vec::new();
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                for f in &sub.filters {
                    if !filter_valid(&f.path) {
                        codes.push(SubscribeReasonCode::Failure);
                        continue;
                    }
                    let q = if f.qos == QoS::AtMostOnce {
                        QoS::AtMostOnce
                    } else {
                        QoS::AtLeastOnce
                    };
                    if let Some(sess) = st.sessions.get_mut(&id) {
                        sess.subs.retain(|(p, _)| p != &f.path);
                        sess.subs.push((f.path.clone(), q));
                    }
                    codes.push(SubscribeReasonCode::Success(q));
                }
                drop(st);
                send(writer, &Packet::SubAck(SubAck::new(sub.pkid, codes)))?;
            }
            Packet::Unsubscribe(u) => {
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(sess) = st.sessions.get_mut(&id) {
                    sess.subs.retain(|(p, _)| !u.topics.contains(p));
                }
                drop(st);
                send(writer, &Packet::UnsubAck(UnsubAck::new(u.pkid)))?;
            }
            Packet::Publish(p) => {
                match p.qos {
                    QoS::AtMostOnce => {}
                    QoS::AtLeastOnce => send(writer, &Packet::PubAck(PubAck::new(p.pkid)))?,
                    QoS::ExactlyOnce => send(writer, &Packet::PubRec(PubRec::new(p.pkid)))?,
                }
                route(state, &p, say);
            }
            Packet::PubRel(r) => send(writer, &Packet::PubComp(PubComp::new(r.pkid)))?,
            Packet::PingReq => send(writer, &Packet::PingResp)?,
            Packet::Disconnect => return Ok(()),
            Packet::PubAck(_) | Packet::PubRec(_) | Packet::PubComp(_) => {}
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unexpected packet {other:?}"),
                ))
            }
        }
    }
    Ok(())
}

fn route(state: &Mutex<BrokerState>, p: &Publish, say: &dyn Fn(String)) {
    let mut out = Vec::new();
    {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        for sess in st.sessions.values_mut() {
            let best = sess
                .subs
                .iter()
                .filter(|(f, _)| matches(&p.topic, f))
                .map(|(_, q)| *q)
                .max_by_key(|q| *q as u8);
            let Some(q) = best else { continue };
            let q = if p.qos == QoS::AtMostOnce || q == QoS::AtMostOnce {
                QoS::AtMostOnce
            } else {
                QoS::AtLeastOnce
            };
            let mut fwd = Publish::from_bytes(p.topic.clone(), q, p.payload.clone());
            if q != QoS::AtMostOnce {
                fwd.pkid = sess.next_pkid;
                sess.next_pkid = sess.next_pkid.checked_add(1).unwrap_or(1);
            }
            out.push((sess.writer.clone(), sess.client_id.clone(), fwd));
        }
    }
    for (w, cid, fwd) in out {
        if let Err(e) = send(&w, &Packet::Publish(fwd)) {
            say(format!("{cid}: forward failed: {e}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client

/// A message received on a subscription.
#[derive(Clone, Debug)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
}

/// A connected client. Received publishes come out of `recv_timeout`; dropping it disconnects.
pub struct Client {
    writer: Arc<Mutex<TcpStream>>,
    msgs: Receiver<Message>,
    acks: Receiver<u16>,
    next_pkid: Mutex<u16>,
    alive: Arc<AtomicBool>,
}

impl Client {
    /// Connects and waits for CONNACK (at most `timeout`).
    pub fn connect(addr: &str, client_id: &str, timeout: Duration) -> io::Result<Client> {
        let sa = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address"))?;
        let mut s = TcpStream::connect_timeout(&sa, timeout)?;
        s.set_nodelay(true)?;
        s.set_write_timeout(Some(Duration::from_secs(5)))?;
        s.set_read_timeout(Some(Duration::from_millis(200)))?;
        let mut c = v4::Connect::new(client_id);
        c.keep_alive = 60;
        s.write_all(&encode(&Packet::Connect(c)))?;
        let mut reader = PacketReader::new();
        let deadline = Instant::now() + timeout;
        loop {
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no CONNACK"));
            }
            match reader.next(&mut s)? {
                Some(Packet::ConnAck(a)) if a.code == ConnectReturnCode::Success => break,
                Some(Packet::ConnAck(a)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionRefused,
                        format!("CONNACK {:?}", a.code),
                    ))
                }
                Some(_) | None => {}
            }
        }
        let writer = Arc::new(Mutex::new(s.try_clone()?));
        let (mtx, msgs) = mpsc::channel();
        let (atx, acks) = mpsc::channel();
        let alive = Arc::new(AtomicBool::new(true));
        {
            let writer = writer.clone();
            let alive = alive.clone();
            thread::spawn(move || {
                let mut last_ping = Instant::now();
                while alive.load(Ordering::Relaxed) {
                    match reader.next(&mut s) {
                        Ok(Some(Packet::Publish(p))) => {
                            if p.qos == QoS::AtLeastOnce {
                                let _ = send(&writer, &Packet::PubAck(PubAck::new(p.pkid)));
                            }
                            let _ = mtx.send(Message {
                                topic: p.topic,
                                payload: p.payload.to_vec(),
                            });
                        }
                        Ok(Some(Packet::SubAck(a))) => {
                            let _ = atx.send(a.pkid);
                        }
                        Ok(Some(Packet::UnsubAck(a))) => {
                            let _ = atx.send(a.pkid);
                        }
                        Ok(Some(_)) | Ok(None) => {}
                        Err(_) => break,
                    }
                    if last_ping.elapsed() > Duration::from_secs(30) {
                        last_ping = Instant::now();
                        let _ = send(&writer, &Packet::PingReq);
                    }
                }
                alive.store(false, Ordering::Relaxed);
            });
        }
        Ok(Client {
            writer,
            msgs,
            acks,
            next_pkid: Mutex::new(1),
            alive,
        })
    }

    fn pkid(&self) -> u16 {
        let mut g = self.next_pkid.lock().unwrap_or_else(|e| e.into_inner());
        let id = *g;
        *g = g.checked_add(1).unwrap_or(1);
        id
    }

    fn wait_ack(&self, pkid: u16, what: &str) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.acks.recv_timeout(left) {
                Ok(id) if id == pkid => return Ok(()),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no {what} from the broker"),
        ))
    }

    /// Subscribes and waits for the SUBACK.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> io::Result<()> {
        let mut sub = Subscribe::new(filter, qos);
        sub.pkid = self.pkid();
        send(&self.writer, &Packet::Subscribe(sub.clone()))?;
        self.wait_ack(sub.pkid, "SUBACK")
    }

    pub fn unsubscribe(&self, filter: &str) -> io::Result<()> {
        let mut u = v4::Unsubscribe::new(filter);
        u.pkid = self.pkid();
        send(&self.writer, &Packet::Unsubscribe(u.clone()))?;
        self.wait_ack(u.pkid, "UNSUBACK")
    }

    /// Publishes (QoS 0 or 1; the PUBACK is not waited for).
    pub fn publish(&self, topic: &str, payload: &[u8], qos: QoS) -> io::Result<()> {
        let mut p = Publish::new(topic, qos, payload.to_vec());
        if qos != QoS::AtMostOnce {
            p.pkid = self.pkid();
        }
        send(&self.writer, &Packet::Publish(p))
    }

    /// The next received message, or `None` after `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Message> {
        match self.msgs.recv_timeout(timeout) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.alive.load(Ordering::Relaxed)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = send(&self.writer, &Packet::Disconnect);
        self.alive.store(false, Ordering::Relaxed);
        if let Ok(w) = self.writer.lock() {
            let _ = w.shutdown(Shutdown::Both);
        }
    }
}
