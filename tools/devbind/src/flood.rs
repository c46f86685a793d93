//! `devbind phone flood`: a LAN peer that sends phone queries to one device as fast as it is
//! told, and counts what comes back: answers (by CoAP token and message id), the token reports
//! the device publishes meanwhile (a subscriber on the broker), the device's memory
//! (`/proc/PID/status`) and whether it still answers a normal query once the flood is over.
//! SPEC section 9: a LAN peer hammering the query resources cannot make the device flood the
//! cloud or grow memory.
//!
//! The queries are built once (coap-lite, [`phone::query_packet`]); each send only writes its
//! sequence number into the message id and the 4-byte token. One thread sends, paced by the
//! clock and never waiting for answers; another receives on the same socket; the main thread
//! samples the device's memory every second.

use crate::mqtt::Client;
use crate::phone;
use coap_lite::{MessageClass, Packet, ResponseType};
use rumqttc::mqttbytes::QoS;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Length of the queries' CoAP token: the query's sequence number plus a random offset.
const TOKEN_LEN: usize = 4;
/// Attempts of the query sent after the flood (a phone app retries too).
const PROBE_ATTEMPTS: u32 = 3;
/// How long each of them waits for the answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest wait for the device's last answers after the sending stopped.
const MAX_DRAIN: Duration = Duration::from_secs(30);

/// What to flood and how.
#[derive(Clone, Debug)]
pub struct Options {
    pub target: SocketAddr,
    /// The source address (the port may be 0).
    pub bind: SocketAddr,
    /// The device's product key and name: the queries then alternate between the multicast
    /// resource and the unicast path; without them, only `/sys/device/info/get`.
    pub device: Option<(String, String)>,
    /// Queries a second.
    pub rate: u32,
    pub seconds: u32,
    /// After the last send, keep counting answers until none came for this long.
    pub drain: Duration,
    /// Count the token reports published on this broker.
    pub broker: Option<String>,
    /// The device's process: its memory and whether it is still alive.
    pub pid: Option<u32>,
}

/// One second of the flood.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Second {
    pub sent: u64,
    /// Answers received during this second.
    pub answered: u64,
    /// Token reports seen on the broker during this second.
    pub reports: Option<u64>,
    /// The device's VmRSS at the end of this second.
    pub rss_kb: Option<u64>,
}

/// The device's memory (`/proc/PID/status`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rss {
    /// VmRSS just before the first query.
    pub before_kb: u64,
    /// VmRSS once the last answer came.
    pub after_kb: u64,
    /// VmHWM then: the peak of the process's whole life.
    pub peak_kb: u64,
}

/// The normal query sent after the flood.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub answered: bool,
    pub attempts: u32,
    /// Time to the answer of the attempt that got one.
    pub ms: Option<u64>,
    pub token: Option<String>,
    pub error: Option<String>,
}

/// Everything the flood measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub target: String,
    pub source: String,
    pub paths: Vec<String>,
    /// Queries a second asked for, and for how long.
    pub rate: u32,
    pub seconds: u32,
    pub sent: u64,
    /// Sends that failed, and ICMP port unreachable reports (the socket hands each to the
    /// next send or receive).
    pub send_errors: u64,
    /// Queries sent a second, over the sending time.
    pub achieved_rate: f64,
    /// Distinct queries answered (2.05, code 200, a token), during the flood and the drain.
    pub answered: u64,
    /// Of them, answered after the last send.
    pub answered_after: u64,
    /// `sent - answered`: refused by the device, or lost before it read them.
    pub dropped: u64,
    /// Answers to a query already answered.
    pub duplicate_answers: u64,
    /// Datagrams that are no answer to one of the flood's queries.
    pub other_replies: u64,
    pub per_second: Vec<Second>,
    /// From the first send to the end of the drain: the time the reports are counted over.
    pub window_ms: u64,
    /// Token reports seen on the broker during the window (with `--broker`).
    pub reports: Option<u64>,
    pub rss: Option<Rss>,
    /// Whether the device's process was still alive at the end (with `--pid`).
    pub alive: Option<bool>,
    pub probe: Probe,
}

impl Figures {
    /// The device kept answering: answers in every second of the flood, an answer to the
    /// query after it, and its process (when watched) still alive.
    pub fn ok(&self) -> bool {
        self.per_second.iter().all(|s| s.answered > 0)
            && self.probe.answered
            && self.alive != Some(false)
    }

    /// The figures for a person.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let line = |s: &mut String, t: String| {
            s.push_str(&t);
            s.push('\n');
        };
        line(
            &mut s,
            format!(
                "flood {} -> {}, {} queries/s for {} s on {}",
                self.source,
                self.target,
                self.rate,
                self.seconds,
                self.paths.join(" and ")
            ),
        );
        line(
            &mut s,
            format!(
                "  {:>6}  {:>8}  {:>8}  {:>8}  {:>9}",
                "second", "sent", "answered", "reports", "VmRSS kB"
            ),
        );
        let opt = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |n| n.to_string());
        for (i, sec) in self.per_second.iter().enumerate() {
            line(
                &mut s,
                format!(
                    "  {:>6}  {:>8}  {:>8}  {:>8}  {:>9}",
                    i + 1,
                    sec.sent,
                    sec.answered,
                    opt(sec.reports),
                    opt(sec.rss_kb)
                ),
            );
        }
        let secs = self.window_ms as f64 / 1000.0;
        line(
            &mut s,
            format!(
                "queries sent     {} ({:.0}/s achieved), {} send errors",
                self.sent, self.achieved_rate, self.send_errors
            ),
        );
        line(
            &mut s,
            format!(
                "answered         {} ({} of them after the last send), {} duplicate, {} other replies",
                self.answered, self.answered_after, self.duplicate_answers, self.other_replies
            ),
        );
        line(
            &mut s,
            format!(
                "dropped          {} (sent - answered: refused by the device or lost before it read them)",
                self.dropped
            ),
        );
        match self.reports {
            Some(r) => line(
                &mut s,
                format!(
                    "token reports    {r} in {secs:.1} s ({:.1}/s) seen on the broker",
                    r as f64 / secs.max(0.001)
                ),
            ),
            None => line(&mut s, "token reports    not counted (no --broker)".into()),
        }
        match &self.rss {
            Some(m) => line(
                &mut s,
                format!(
                    "device memory    VmRSS before {} kB, after {} kB ({:+} kB), peak VmHWM {} kB",
                    m.before_kb,
                    m.after_kb,
                    m.after_kb as i64 - m.before_kb as i64,
                    m.peak_kb
                ),
            ),
            None => line(&mut s, "device memory    not watched (no --pid)".into()),
        }
        if let Some(alive) = self.alive {
            line(
                &mut s,
                format!("device process   {}", if alive { "alive" } else { "gone" }),
            );
        }
        let p = &self.probe;
        line(
            &mut s,
            match (p.answered, p.ms) {
                (true, Some(ms)) => format!(
                    "after the flood  a normal query answered in {ms} ms (attempt {} of {PROBE_ATTEMPTS}), token {}",
                    p.attempts,
                    p.token.as_deref().unwrap_or("?")
                ),
                _ => format!(
                    "after the flood  no answer to a normal query ({} attempts): {}",
                    p.attempts,
                    p.error.as_deref().unwrap_or("?")
                ),
            },
        );
        let silent: Vec<String> = self
            .per_second
            .iter()
            .enumerate()
            .filter(|(_, s)| s.answered == 0)
            .map(|(i, _)| (i + 1).to_string())
            .collect();
        if !silent.is_empty() {
            line(
                &mut s,
                format!("no answer in second(s) {}", silent.join(", ")),
            );
        }
        s
    }
}

/// `VmRSS` and `VmHWM` of process `pid`, in kB.
pub fn memory_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Whether process `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// A query built once; `for_seq` writes a sequence number into its message id and token.
struct Template {
    bytes: Vec<u8>,
}

impl Template {
    fn new(path: &str) -> io::Result<Template> {
        let bytes = phone::query_packet(path, "123", 0, &[0; TOKEN_LEN]);
        // RFC 7252 section 3: version, type and token length in byte 0, the message id in
        // bytes 2-3, the token right after.
        if bytes.len() < 4 + TOKEN_LEN || usize::from(bytes[0] & 0x0F) != TOKEN_LEN {
            return Err(io::Error::other("the query could not be encoded"));
        }
        Ok(Template { bytes })
    }

    fn for_seq(&mut self, msgid: u16, token: u32) -> &[u8] {
        self.bytes[2..4].copy_from_slice(&msgid.to_be_bytes());
        self.bytes[4..4 + TOKEN_LEN].copy_from_slice(&token.to_be_bytes());
        &self.bytes
    }
}

/// The sequence number an answer's datagram answers, if it is one of ours (its token, and the
/// message id that went with it) with code 200.
fn answered_seq(bytes: &[u8], salts: (u16, u32), total: u64) -> Option<u64> {
    let p = Packet::from_bytes(bytes).ok()?;
    if p.header.code != MessageClass::Response(ResponseType::Content) {
        return None;
    }
    let token: [u8; TOKEN_LEN] = p.get_token().try_into().ok()?;
    let seq = u64::from(u32::from_be_bytes(token).wrapping_sub(salts.1));
    if seq >= total || p.header.message_id != (seq as u16).wrapping_add(salts.0) {
        return None;
    }
    let v: Value = serde_json::from_slice(&p.payload).ok()?;
    let ok = v.get("code").and_then(Value::as_i64) == Some(200)
        && v.get("data")
            .and_then(|d| d.get("token"))
            .is_some_and(Value::is_string);
    ok.then_some(seq)
}

/// The second of the flood `at` falls in (`seconds` for any time after it).
fn second_of(start: Instant, at: Instant, seconds: u32) -> usize {
    let s = at.saturating_duration_since(start).as_secs();
    s.min(u64::from(seconds)) as usize
}

struct Sent {
    sent: u64,
    errors: u64,
    per_second: Vec<u64>,
}

/// Sends `rate` queries a second from `start` for `seconds`, alternating `templates`; catches
/// up at once when it fell behind, never waits for anything but the clock.
fn send(
    sock: &UdpSocket,
    mut templates: Vec<Template>,
    o: &Options,
    start: Instant,
    salts: (u16, u32),
) -> Sent {
    let total = u64::from(o.rate) * u64::from(o.seconds);
    let end = start + Duration::from_secs(o.seconds.into());
    let mut out = Sent {
        sent: 0,
        errors: 0,
        per_second: vec![0; o.seconds as usize],
    };
    if let Some(wait) = start.checked_duration_since(Instant::now()) {
        thread::sleep(wait);
    }
    let mut seq = 0u64;
    let n = templates.len() as u64;
    while seq < total {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let due = (now.duration_since(start).as_nanos() * u128::from(o.rate) / 1_000_000_000)
            .min(u128::from(total)) as u64;
        if seq >= due {
            thread::sleep(Duration::from_micros(100));
            continue;
        }
        let sec = second_of(start, now, o.seconds).min(out.per_second.len() - 1);
        while seq < due {
            let t = &mut templates[(seq % n) as usize];
            let bytes = t.for_seq(
                (seq as u16).wrapping_add(salts.0),
                (seq as u32).wrapping_add(salts.1),
            );
            match sock.send(bytes) {
                Ok(_) => {
                    out.sent += 1;
                    out.per_second[sec] += 1;
                }
                Err(_) => out.errors += 1,
            }
            seq += 1;
        }
    }
    out
}

struct Received {
    refused: u64,
    answered: u64,
    after: u64,
    duplicates: u64,
    other: u64,
    per_second: Vec<u64>,
}

/// Receives answers until `stop`; `last` holds the time of the latest answer (ms from start).
fn receive(
    sock: &UdpSocket,
    o: &Options,
    start: Instant,
    salts: (u16, u32),
    stop: &AtomicBool,
    last: &AtomicU64,
) -> Received {
    let total = u64::from(o.rate) * u64::from(o.seconds);
    // One bit a query answered, grown as answers come (they only come for queries sent).
    let mut seen: Vec<u64> = Vec::new();
    let mut out = Received {
        refused: 0,
        answered: 0,
        after: 0,
        duplicates: 0,
        other: 0,
        per_second: vec![0; o.seconds as usize],
    };
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::SeqCst) {
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                out.refused += 1;
                continue;
            }
            // A timeout.
            Err(_) => continue,
        };
        let now = Instant::now();
        let Some(seq) = answered_seq(&buf[..n], salts, total) else {
            out.other += 1;
            continue;
        };
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        if word >= seen.len() {
            seen.resize(word + 1, 0);
        }
        if seen[word] & bit != 0 {
            out.duplicates += 1;
            continue;
        }
        seen[word] |= bit;
        out.answered += 1;
        last.store(
            now.saturating_duration_since(start).as_millis() as u64,
            Ordering::SeqCst,
        );
        match out.per_second.get_mut(second_of(start, now, o.seconds)) {
            Some(c) => *c += 1,
            None => out.after += 1,
        }
    }
    out
}

/// Counts the token reports `client` receives between `start` and `stop`, by second.
fn count_reports(client: Client, start: Instant, seconds: u32, stop: &AtomicBool) -> Vec<u64> {
    // One more slot: the reports after the sending stopped.
    let mut per_second = vec![0u64; seconds as usize + 1];
    while !stop.load(Ordering::SeqCst) {
        if client.recv_timeout(Duration::from_millis(50)).is_some() {
            let now = Instant::now();
            if now >= start {
                per_second[second_of(start, now, seconds)] += 1;
            }
        }
    }
    per_second
}

/// The normal query after the flood, from another port of the flood's source address.
fn probe(o: &Options, path: &str) -> Probe {
    let opts = phone::QueryOptions {
        broadcast: false,
        timeout: PROBE_TIMEOUT,
        bind: Some(SocketAddr::new(o.bind.ip(), 0)),
    };
    let mut error = None;
    for attempt in 1..=PROBE_ATTEMPTS {
        match phone::query_with(o.target, path, "1", &opts) {
            Ok(a) => {
                return Probe {
                    answered: true,
                    attempts: attempt,
                    ms: Some(a.elapsed.as_millis() as u64),
                    token: a.info.map(|i| i.token),
                    error: None,
                }
            }
            Err(e) => error = Some(e.to_string()),
        }
    }
    Probe {
        answered: false,
        attempts: PROBE_ATTEMPTS,
        ms: None,
        token: None,
        error,
    }
}

/// Runs the flood and measures. Errors: the socket cannot be bound or connected, the broker
/// cannot be reached, `--rate` or `--seconds` is zero.
pub fn run(o: &Options) -> io::Result<Figures> {
    if o.rate == 0 || o.seconds == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--rate and --seconds must be at least 1",
        ));
    }
    let mut paths = vec![phone::MCAST_PATH.to_string()];
    if let Some((pk, dn)) = &o.device {
        paths.push(phone::unicast_path(pk, dn));
    }
    let templates = paths
        .iter()
        .map(|p| Template::new(p))
        .collect::<io::Result<Vec<_>>>()?;
    let sock = UdpSocket::bind(o.bind).map_err(|e| {
        io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("cannot send from {}: {e}", o.bind),
        )
    })?;
    sock.connect(o.target)?;
    sock.set_read_timeout(Some(Duration::from_millis(50)))?;
    let source = sock.local_addr()?;
    let reports_client = match &o.broker {
        Some(b) => {
            let c = Client::connect(
                b,
                &format!("devbind-flood-{}", std::process::id()),
                Duration::from_secs(5),
            )
            .map_err(|e| io::Error::new(e.kind(), format!("broker {b}: {e}")))?;
            let filter = match &o.device {
                Some((pk, dn)) => format!("/sys/{pk}/{dn}/thing/awss/enrollee/match"),
                None => "/sys/+/+/thing/awss/enrollee/match".to_string(),
            };
            c.subscribe(&filter, QoS::AtMostOnce)
                .map_err(|e| io::Error::new(e.kind(), format!("broker {b}: {e}")))?;
            Some(c)
        }
        None => None,
    };
    let mut salt = [0u8; 6];
    phone::fill_random(&mut salt);
    let salts = (
        u16::from_be_bytes([salt[0], salt[1]]),
        u32::from_be_bytes([salt[2], salt[3], salt[4], salt[5]]),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let last = Arc::new(AtomicU64::new(0));
    let rss_before = o.pid.and_then(memory_kb);
    // Every thread counts from the same instant, a moment from now.
    let start = Instant::now() + Duration::from_millis(20);

    let rx_sock = sock.try_clone()?;
    let (o_rx, stop_rx, last_rx) = (o.clone(), stop.clone(), last.clone());
    let receiver =
        thread::spawn(move || receive(&rx_sock, &o_rx, start, salts, &stop_rx, &last_rx));
    let reporter = reports_client.map(|c| {
        let (stop_rep, seconds) = (stop.clone(), o.seconds);
        thread::spawn(move || count_reports(c, start, seconds, &stop_rep))
    });
    let o_tx = o.clone();
    let sender = thread::spawn(move || send(&sock, templates, &o_tx, start, salts));

    // The device's memory at the end of every second.
    let mut rss_per_second = Vec::new();
    for i in 1..=o.seconds {
        let at = start + Duration::from_secs(i.into());
        if let Some(wait) = at.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        rss_per_second.push(o.pid.and_then(memory_kb).map(|m| m.0));
    }
    let sent = sender
        .join()
        .map_err(|_| io::Error::other("the sending thread panicked"))?;
    let send_end = Instant::now();
    // The last answers: until none came for `drain`.
    loop {
        thread::sleep(Duration::from_millis(20));
        let last_answer = start + Duration::from_millis(last.load(Ordering::SeqCst));
        let quiet_since = last_answer.max(send_end);
        if quiet_since.elapsed() >= o.drain || send_end.elapsed() >= MAX_DRAIN {
            break;
        }
    }
    let window_ms = start.elapsed().as_millis() as u64;
    stop.store(true, Ordering::SeqCst);
    let got = receiver
        .join()
        .map_err(|_| io::Error::other("the receiving thread panicked"))?;
    let reports = match reporter {
        Some(h) => Some(
            h.join()
                .map_err(|_| io::Error::other("the report counter panicked"))?,
        ),
        None => None,
    };
    let rss_after = o.pid.and_then(memory_kb);
    let probe = probe(o, &paths[paths.len() - 1]);
    let alive = o.pid.map(alive);

    let send_secs = send_end
        .saturating_duration_since(start)
        .as_secs_f64()
        .clamp(0.001, f64::from(o.seconds));
    let per_second = (0..o.seconds as usize)
        .map(|i| Second {
            sent: sent.per_second[i],
            answered: got.per_second[i],
            reports: reports.as_ref().map(|r| r[i]),
            rss_kb: rss_per_second.get(i).copied().flatten(),
        })
        .collect();
    Ok(Figures {
        target: o.target.to_string(),
        source: source.to_string(),
        paths,
        rate: o.rate,
        seconds: o.seconds,
        sent: sent.sent,
        send_errors: sent.errors + got.refused,
        achieved_rate: (sent.sent as f64 / send_secs).round(),
        answered: got.answered,
        answered_after: got.after,
        dropped: sent.sent.saturating_sub(got.answered),
        duplicate_answers: got.duplicates,
        other_replies: got.other,
        per_second,
        window_ms,
        reports: reports.map(|r| r.iter().sum()),
        rss: match (rss_before, rss_after) {
            (Some(b), Some(a)) => Some(Rss {
                before_kb: b.0,
                after_kb: a.0,
                peak_kb: a.1,
            }),
            _ => None,
        },
        alive,
        probe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patched_template_decodes_with_its_message_id_and_token() {
        let mut t = Template::new("/sys/pk/dn/device/info/get").unwrap();
        let p = Packet::from_bytes(t.for_seq(0xBEEF, 0x0102_0304)).unwrap();
        assert_eq!(p.header.message_id, 0xBEEF);
        assert_eq!(p.get_token(), &[1, 2, 3, 4]);
        assert_eq!(phone::path_of(&p), "/sys/pk/dn/device/info/get");
        let v: Value = serde_json::from_slice(&p.payload).unwrap();
        assert_eq!(v["id"], "123");
    }

    fn answer(msgid: u16, token: &[u8], body: &str) -> Vec<u8> {
        let mut p = Packet::new();
        p.header.code = MessageClass::Response(ResponseType::Content);
        p.header.message_id = msgid;
        p.set_token(token.to_vec());
        p.payload = body.as_bytes().to_vec();
        p.to_bytes().unwrap()
    }

    #[test]
    fn answers_map_back_to_their_query() {
        let ok = r#"{"id":123,"code":200,"data":{"token":"AB"}}"#;
        let salts = (0xFFFEu16, 0xFFFF_FFF0u32);
        // seq 20 went out with message id 20 + 0xFFFE and token 20 + 0xFFFFFFF0 (wrapping)
        let (mid, tok) = (18u16, 20u32.wrapping_add(salts.1).to_be_bytes());
        assert_eq!(answered_seq(&answer(mid, &tok, ok), salts, 100), Some(20));
        // another message id, beyond the queries sent, another token length: not ours
        assert_eq!(answered_seq(&answer(19, &tok, ok), salts, 100), None);
        assert_eq!(answered_seq(&answer(mid, &tok, ok), salts, 20), None);
        assert_eq!(answered_seq(&answer(mid, &tok[..3], ok), salts, 100), None);
        // another code, no token in the data, not CoAP
        let refused = r#"{"id":123,"code":500,"data":{"token":"AB"}}"#;
        assert_eq!(answered_seq(&answer(mid, &tok, refused), salts, 100), None);
        let no_token = r#"{"id":123,"code":200,"data":{}}"#;
        assert_eq!(answered_seq(&answer(mid, &tok, no_token), salts, 100), None);
        assert_eq!(answered_seq(b"\x40", salts, 100), None);
    }

    #[test]
    fn memory_of_this_process() {
        let (rss, hwm) = memory_kb(std::process::id()).unwrap();
        assert!(rss > 0 && hwm >= rss, "{rss} {hwm}");
        assert!(alive(std::process::id()));
    }
}
