//! A small synchronous MQTT 3.1.1 client (std threads and sockets, rumqttc's codec): what the
//! cloud simulator and the phones use. It keeps no session across connections: binding needs
//! none. (The broker is rumqttd: see `broker.rs`.)

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{
    self, ConnectReturnCode, Packet, PingReq, PingResp, PubAck, Publish, Subscribe,
};
use rumqttc::mqttbytes::QoS;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Largest packet either side accepts.
pub const MAX_PACKET: usize = 256 * 1024;

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

fn send(w: &Arc<Mutex<TcpStream>>, p: &Packet) -> io::Result<()> {
    let bytes = encode(p);
    let mut s = w.lock().unwrap_or_else(|e| e.into_inner());
    s.write_all(&bytes)
}

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
