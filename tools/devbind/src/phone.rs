//! The phone's side on the LAN: CoAP query of the device info, and the listener that receives
//! (and acknowledges) `device.info.notify` broadcasts. Real CoAP over UDP (coap-lite codec).

use coap_lite::{
    CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType,
};
use serde_json::{json, Value};
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

pub const COAP_PORT: u16 = 5683;
pub const MCAST_PATH: &str = "/sys/device/info/get";
pub const NOTIFY_PATH: &str = "/sys/device/info/notify";

/// The unicast query path for a device.
pub fn unicast_path(pk: &str, dn: &str) -> String {
    format!("/sys/{pk}/{dn}/device/info/get")
}

/// `HOST[:PORT]` with 5683 as the default port.
pub fn resolve(host: &str, default_port: u16) -> io::Result<SocketAddr> {
    let with_port = if host.parse::<SocketAddr>().is_ok()
        || host
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.contains(':') && p.parse::<u16>().is_ok())
    {
        host.to_string()
    } else {
        format!("{host}:{default_port}")
    };
    with_port
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address"))
}

/// The device info fields a phone uses.
#[derive(Clone, Debug, PartialEq)]
pub struct DevInfo {
    pub pk: String,
    pub dn: String,
    pub mac: String,
    pub ip: String,
    pub token: String,
    pub remain_ms: i64,
    pub cipher_type: i64,
}

impl DevInfo {
    pub fn from_json(v: &Value) -> Option<DevInfo> {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(String::from);
        Some(DevInfo {
            pk: s("productKey")?,
            dn: s("deviceName")?,
            mac: s("mac").unwrap_or_default(),
            ip: s("ip").unwrap_or_default(),
            token: s("token")?,
            remain_ms: v.get("remainTime").and_then(|x| x.as_i64()).unwrap_or(-1),
            cipher_type: v.get("cipherType").and_then(|x| x.as_i64()).unwrap_or(-1),
        })
    }
}

fn set_path(p: &mut Packet, path: &str) {
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
    }
}

/// The Uri-Path of a packet, as `/a/b/c`.
pub fn path_of(p: &Packet) -> String {
    let mut s = String::new();
    if let Some(list) = p.get_option(CoapOption::UriPath) {
        for seg in list {
            s.push('/');
            s.push_str(&String::from_utf8_lossy(seg));
        }
    }
    s
}

/// A query: NON GET on `path`, payload `{"id":"<id>","version":"1.0","params":{}}`.
pub fn query_packet(path: &str, id: &str, msgid: u16, token: &[u8]) -> Vec<u8> {
    let mut p = Packet::new();
    p.header.set_type(MessageType::NonConfirmable);
    p.header.code = MessageClass::Request(RequestType::Get);
    p.header.message_id = msgid;
    p.set_token(token.to_vec());
    set_path(&mut p, path);
    p.set_content_format(ContentFormat::ApplicationJSON);
    p.payload = json!({"id":id,"version":"1.0","params":{}})
        .to_string()
        .into_bytes();
    p.to_bytes().unwrap_or_default()
}

/// A 2.05 response's JSON when `bytes` is a response with `token`.
pub fn parse_answer(bytes: &[u8], token: &[u8]) -> Option<Value> {
    let p = Packet::from_bytes(bytes).ok()?;
    if !matches!(p.header.code, MessageClass::Response(_)) || p.get_token() != token {
        return None;
    }
    serde_json::from_slice(&p.payload).ok()
}

/// A query's answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub from: SocketAddr,
    pub json: Value,
    pub info: Option<DevInfo>,
    pub elapsed: Duration,
}

fn random_token() -> Vec<u8> {
    let mut t = [0u8; 4];
    fill_random(&mut t);
    t.to_vec()
}

/// Random bytes from the OS (getrandom(2) on Linux, through the getrandom crate). A tool
/// without an OS random source cannot make tokens or CoAP ids worth testing with: it stops.
pub fn fill_random(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        panic!("the OS random source failed: {e}");
    }
}

/// Sends a query to `target` and waits up to `timeout` for the answer. `broadcast` allows a
/// broadcast destination. The device answers late when its token had expired (it reports a new
/// one first), so wait long enough.
pub fn query(
    target: SocketAddr,
    path: &str,
    id: &str,
    broadcast: bool,
    timeout: Duration,
) -> io::Result<Answer> {
    query_with(
        target,
        path,
        id,
        &QueryOptions {
            broadcast,
            timeout,
            bind: None,
        },
    )
}

/// How a phone sends its query.
#[derive(Clone, Debug)]
pub struct QueryOptions {
    /// The destination may be a broadcast address (SO_BROADCAST), answers from any device.
    pub broadcast: bool,
    pub timeout: Duration,
    /// The source address (default: 127.0.0.1 towards loopback, else any).
    pub bind: Option<SocketAddr>,
}

/// Whether `ip` is a broadcast address: 255.255.255.255, or an IPv4 address ending in .255
/// (the broadcast of a /24, /16 or /8 network).
pub fn is_broadcast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_broadcast() || v.octets()[3] == 255,
        IpAddr::V6(_) => false,
    }
}

/// Sends one query and waits for its answer. Unicast queries use a connected socket, so an
/// ICMP port unreachable from the device's host ends the wait at once (connection refused).
pub fn query_with(
    target: SocketAddr,
    path: &str,
    id: &str,
    o: &QueryOptions,
) -> io::Result<Answer> {
    let bind = o.bind.unwrap_or_else(|| {
        let any = if target.ip().is_loopback() {
            "127.0.0.1:0"
        } else {
            "0.0.0.0:0"
        };
        any.parse()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    });
    let sock = UdpSocket::bind(bind).map_err(|e| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("cannot send from {bind}: {e}"),
        )
    })?;
    if o.broadcast {
        sock.set_broadcast(true)?;
    } else {
        sock.connect(target)?;
    }
    let token = random_token();
    let mut mid = [0u8; 2];
    fill_random(&mut mid);
    let pkt = query_packet(path, id, u16::from_be_bytes(mid), &token);
    let start = Instant::now();
    let sent = if o.broadcast {
        sock.send_to(&pkt, target)
    } else {
        sock.send(&pkt)
    };
    if let Err(e) = sent {
        return Err(match e.kind() {
            io::ErrorKind::PermissionDenied => io::Error::new(
                e.kind(),
                format!("sending to {target} is not allowed ({e}): a broadcast address needs --broadcast"),
            ),
            _ => io::Error::new(e.kind(), format!("sending to {target}: {e}")),
        });
    }
    let mut buf = [0u8; 2048];
    while let Some(left) = (start + o.timeout).checked_duration_since(Instant::now()) {
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        let got = if o.broadcast {
            sock.recv_from(&mut buf)
        } else {
            sock.recv(&mut buf).map(|n| (n, target))
        };
        let (n, from) = match got {
            Ok(x) => x,
            Err(e)
                if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut =>
            {
                break
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                return Err(io::Error::new(
                    e.kind(),
                    format!(
                        "{target} refused the query after {} ms (ICMP port unreachable): nothing listens on UDP port {} there",
                        start.elapsed().as_millis(),
                        target.port()
                    ),
                ))
            }
            Err(e) => return Err(e),
        };
        if let Some(v) = parse_answer(&buf[..n], &token) {
            let info = v.get("data").and_then(DevInfo::from_json);
            return Ok(Answer {
                from,
                json: v,
                info,
                elapsed: start.elapsed(),
            });
        }
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "no answer from {target} on {path} within {} ms",
            o.timeout.as_millis()
        ),
    ))
}

/// A received `device.info.notify`.
#[derive(Clone, Debug)]
pub struct Notify {
    pub from: SocketAddr,
    pub coap_token: Vec<u8>,
    pub msgid: u16,
    pub json: Value,
    pub info: Option<DevInfo>,
}

impl Notify {
    /// The JSON id of the notify, as text.
    pub fn id_text(&self) -> String {
        match self.json.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }
}

/// Parses a notify datagram (a CoAP POST to `/sys/device/info/notify` with a JSON body).
pub fn parse_notify(bytes: &[u8], from: SocketAddr) -> Option<Notify> {
    let p = Packet::from_bytes(bytes).ok()?;
    if !matches!(p.header.code, MessageClass::Request(_)) || path_of(&p) != NOTIFY_PATH {
        return None;
    }
    let json: Value = serde_json::from_slice(&p.payload).ok()?;
    let info = json.get("params").and_then(DevInfo::from_json);
    Some(Notify {
        from,
        coap_token: p.get_token().to_vec(),
        msgid: p.header.message_id,
        json,
        info,
    })
}

/// The phone's ack: NON 2.05 with the notify's token, payload `{"id":<id>,"code":200}` (a digit
/// string id goes as a number, like the phone apps do).
pub fn notify_ack(n: &Notify, msgid: u16) -> Vec<u8> {
    let mut p = Packet::new();
    p.header.set_type(MessageType::NonConfirmable);
    p.header.code = MessageClass::Response(ResponseType::Content);
    p.header.message_id = msgid;
    p.set_token(n.coap_token.clone());
    p.set_content_format(ContentFormat::ApplicationJSON);
    p.payload = notify_ack_payload(n).to_string().into_bytes();
    p.to_bytes().unwrap_or_default()
}

/// The JSON of the phone's ack of `n`: `{"id":<the notify's id>,"code":200}`; the device
/// ignores an ack whose id is not one of its broadcasts.
pub fn notify_ack_payload(n: &Notify) -> Value {
    let id_text = n.id_text();
    let id =
        if !id_text.is_empty() && id_text.len() < 10 && id_text.bytes().all(|b| b.is_ascii_digit())
        {
            json!(id_text.parse::<u64>().unwrap_or(0))
        } else {
            n.json.get("id").cloned().unwrap_or(Value::Null)
        };
    json!({"id":id,"code":200})
}

/// A phone listening for notify broadcasts.
pub struct Listener {
    sock: UdpSocket,
    next_mid: u16,
}

impl Listener {
    pub fn bind(addr: &str) -> io::Result<Listener> {
        let sock = UdpSocket::bind(addr)?;
        let _ = sock.set_broadcast(true);
        let mut mid = [0u8; 2];
        fill_random(&mut mid);
        Ok(Listener {
            sock,
            next_mid: u16::from_be_bytes(mid),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.local_addr()
    }

    /// The next notify (other datagrams are skipped), or `None` after `timeout`.
    pub fn recv(&self, timeout: Duration) -> io::Result<Option<Notify>> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 2048];
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            self.sock
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            match self.sock.recv_from(&mut buf) {
                Ok((n, from)) => {
                    if let Some(nt) = parse_notify(&buf[..n], from) {
                        return Ok(Some(nt));
                    }
                }
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Acknowledges `n` to its sender.
    pub fn ack(&mut self, n: &Notify) -> io::Result<()> {
        self.next_mid = self.next_mid.wrapping_add(1);
        self.sock.send_to(&notify_ack(n, self.next_mid), n.from)?;
        Ok(())
    }
}
