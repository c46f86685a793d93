//! `devbind doctor`: walks the guide's troubleshooting steps (问题排查步骤) over a device log.
//!
//! The log is read as it comes from a customer ([`input`]): UTF-8 or UTF-16, any line ending,
//! colour codes, the prefixes of the usual consoles (our library's `[12345] [inf] dev_bind: `,
//! the SDK's `[inf] func(line): ` and `[2019-04-24-14:37:26][018912]<D> `, ESP-IDF's
//! `I (1234) tag: `). The checks look for the texts the bind module prints, not for a layout.
//!
//! A log often holds several boots or MQTT reconnects: it is cut into sessions, each judged
//! on its own; the verdict is the last session's and the earlier failures are listed. Memory
//! stays constant on any size of log: lines are read one at a time, a session keeps only a few
//! evidence lines per step and the first [`FIRST_N`] examples of each kind of finding.

pub mod input;

use input::{Form, Lines, Refusal};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::Read;

/// Examples kept per kind of finding (the rest are counted).
pub const FIRST_N: usize = 5;
/// Evidence lines kept per step.
const EVIDENCE_N: usize = 3;
/// Earlier sessions described in full in a report (the rest are counted).
const EARLIER_N: usize = 20;
/// Tokens remembered per session for the cross checks (given twice, never reported).
const TOKENS_N: usize = 4096;

/// What one log line tells.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// The start of a program or a boot banner.
    Boot,
    MqttConnected,
    /// An MQTT connect attempt failed: the reason as the log gives it.
    MqttConnectFailed(String),
    /// `connecting to HOST:PORT` (where the device tries to go)
    MqttConnecting(String),
    /// the MQTT connection dropped
    MqttLost,
    /// `report token:{json}` (the JSON's token if it parsed)
    ReportToken(Option<String>),
    /// `report token res:<n>`
    ReportRes(i64),
    /// `sub <topic>/enrollee/match_reply res:<n>`: the reply topic subscribed (n >= 0) or not
    SubMatchReply(i64),
    /// `subscribe failed`
    SubscribeFailed,
    /// `awss_report_token_reply`: the cloud's acknowledgement was taken
    ReplyHandled,
    /// `match_reply ignored: <why>`: a reply that was refused
    ReplyIgnored(String),
    /// `no match_reply, retry`
    ReportRetry,
    /// a received message on `.../enrollee/match_reply` (the SDK's `Topic Name :` line)
    MatchReplyTopic,
    /// `NO matching any topic, call default handle function`
    NoMatchingTopic,
    /// `CoAPServer_init failed`
    CoapInitFailed,
    /// `topic:/sys/device/info/notify`
    NotifyTopic,
    /// a `device.info.notify` payload (token, remainTime)
    NotifyPayload(Option<String>, Option<i64>),
    /// `notify res:<negative>`: a broadcast not sent
    NotifyFailed(i64),
    /// `notify acked`: a phone took the broadcast token
    NotifyAcked,
    /// a phone's query reached the device (`Request path is .../device/info/get`, the example
    /// device's `coap: rx ... /device/info/get`)
    QueryReceived(String),
    /// `query waits`: the query waits for a fresh token's acknowledgement
    QueryWaits,
    /// a query not answered: `query dropped: ..`, `query ignored: ..`, `answer res:<negative>`,
    /// `answer dropped: ..`
    QueryDropped(String),
    /// `sending message to app: {json}` (token, remainTime)
    Answered(Option<String>, Option<i64>),
    UpdateToken,
    /// `try <n> times fail`
    TryFail(u32),
    /// `Register new resource .../device/info/get` (ok or not), `register <path> res:<n>`
    RegisterResource(bool),
}

/// A line's level, as its prefix gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

/// A line taken apart: its time, level and whether the bind module printed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed<'a> {
    /// Milliseconds (uptime, or wall clock) if the prefix carries a time.
    pub ms: Option<u64>,
    /// Whether `ms` counts from boot (a drop means a reboot).
    pub uptime: bool,
    pub level: Option<Level>,
    /// Printed by the bind module (`dev_bind:`, an `awss_*`/`online_*` function of the SDK).
    pub bind: bool,
    /// The text after the prefixes.
    pub body: &'a str,
}

fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `HH:MM:SS` with an optional `.fff`/`,fff`: (ms of the day, bytes used).
fn clock(s: &str) -> Option<(u64, usize)> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
    let (h, m, sec) = (num(0..2)?, num(3..5)?, num(6..8)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let mut used = 8;
    let mut ms = 0;
    if b.len() > 9 && (b[8] == b'.' || b[8] == b',') {
        let n = digits(&s[9..]);
        if n > 0 {
            let frac = &s[9..9 + n.min(3)];
            ms = frac.parse::<u64>().unwrap_or(0) * 10u64.pow(3 - frac.len() as u32);
            used = 9 + n;
        }
    }
    Some((((h * 60 + m) * 60 + sec) * 1000 + ms, used))
}

/// `YYYY-MM-DD` followed by `-`, `T` or a space and a clock: (ms since 1970, bytes used).
fn date_time(s: &str) -> Option<(u64, usize)> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'-' | b'T' | b' ') {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: i64 = s.get(5..7)?.parse().ok()?;
    let d: i64 = s.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (ms, used) = clock(&s[11..])?;
    let days = u64::try_from(days_from_civil(y, m, d)).ok()?;
    Some((days * 86_400_000 + ms, 11 + used))
}

const BIND_FUNCS: [&str; 3] = ["awss_", "online_", "dev_bind"];

/// Takes the prefixes off a line (escape codes already removed).
pub fn parse(line: &str) -> Parsed<'_> {
    let mut p = Parsed {
        ms: None,
        uptime: false,
        level: None,
        bind: false,
        body: line.trim(),
    };
    // Times a serial terminal puts in front: `[2026-12-07 13:47:20.123]`, `13:47:20.123 `.
    for _ in 0..3 {
        let s = p.body.trim_start();
        let (inner, bracket) = match s.strip_prefix('[') {
            Some(r) => (r, true),
            None => (s, false),
        };
        let stamp = date_time(inner).or_else(|| clock(inner));
        let Some((ms, used)) = stamp else { break };
        let rest = &inner[used..];
        let rest = if bracket {
            match rest.strip_prefix(']') {
                Some(r) => r,
                None => break,
            }
        } else {
            rest
        };
        if p.ms.is_none() || !p.uptime {
            p.ms = Some(ms);
        }
        p.body = rest;
        // The SDK's `[2019-04-24-14:37:26][018912]`: the second field counts milliseconds.
        if let Some(r) = p.body.strip_prefix('[') {
            let n = digits(r);
            if n > 0 && r[n..].starts_with(']') {
                p.ms = r[..n].parse().ok();
                p.uptime = true;
                p.body = &r[n + 1..];
            }
        }
    }
    let mut s = p.body.trim_start();
    // Ours: `[12345] ` (milliseconds since boot).
    if let Some(r) = s.strip_prefix('[') {
        let n = digits(r);
        if n > 0 && r[n..].starts_with(']') {
            p.ms = r[..n].parse().ok();
            p.uptime = true;
            s = r[n + 1..].trim_start();
        }
    }
    // Levels: `[err]`, `<E>`, ESP-IDF's `E (1234) tag: `.
    let lvl = |t: &str| match t {
        "err" | "error" | "crt" | "emg" | "E" | "C" => Some(Level::Error),
        "wrn" | "warn" | "W" => Some(Level::Warn),
        "inf" | "info" | "I" | "prt" => Some(Level::Info),
        "dbg" | "debug" | "D" | "V" | "vbs" => Some(Level::Debug),
        _ => None,
    };
    if let Some(r) = s.strip_prefix('[').or_else(|| s.strip_prefix('<')) {
        if let Some(end) = r.find([']', '>']) {
            if let Some(l) = lvl(&r[..end]) {
                p.level = Some(l);
                s = r[end + 1..].trim_start();
            }
        }
    } else if s.len() > 3 && s.as_bytes()[1] == b' ' && s.as_bytes()[2] == b'(' {
        if let (Some(l), Some(close)) = (lvl(&s[..1]), s.find(')')) {
            let inside = &s[3..close];
            if digits(inside) == inside.len() && !inside.is_empty() {
                p.level = Some(l);
                p.ms = inside.parse().ok();
                p.uptime = true;
                s = s[close + 1..].trim_start();
            } else if let Some((ms, _)) = clock(inside) {
                p.level = Some(l);
                p.ms = Some(ms);
                s = s[close + 1..].trim_start();
            }
        }
    }
    // The module: `dev_bind: `, `tag: `, the SDK's `func(line): `.
    if let Some(colon) = s.find(": ") {
        let head = &s[..colon];
        let name = head.split('(').next().unwrap_or(head);
        let plain = !head.contains(' ')
            && (head == name
                || head[name.len()..]
                    .trim_matches(|c: char| c == '(' || c == ')' || c.is_ascii_digit())
                    .is_empty());
        if plain && !name.is_empty() {
            p.bind = BIND_FUNCS.iter().any(|f| name.starts_with(f)) || name.contains("bind");
            s = s[colon + 2..].trim_start();
        }
    }
    p.body = s;
    p
}

fn json_after(line: &str, key: &str) -> Option<Value> {
    let at = line.find(key)? + key.len();
    let rest = &line[at..];
    let brace = rest.find('{')?;
    serde_json::Deserializer::from_str(&rest[brace..])
        .into_iter::<Value>()
        .next()?
        .ok()
}

fn token_remain(v: &Option<Value>, inner: &str) -> (Option<String>, Option<i64>) {
    let Some(v) = v else { return (None, None) };
    let d = v.get(inner).unwrap_or(v);
    (
        d.get("token").and_then(|t| t.as_str()).map(String::from),
        d.get("remainTime").and_then(|t| t.as_i64()),
    )
}

/// The number after `key`, if any (`res:-1` -> -1).
fn num_after(line: &str, key: &str) -> Option<i64> {
    let at = line.find(key)? + key.len();
    let rest = line[at..].trim_start();
    let n = rest
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
        .count();
    rest[..n].parse().ok()
}

/// Classifies one line (raw: escape codes are removed first).
pub fn classify(line: &str) -> Option<Mark> {
    let mut clean = String::new();
    input::strip_escapes(line, &mut clean);
    classify_clean(&clean)
}

fn is_boot(line: &str) -> bool {
    let l = line.trim_start();
    line.contains("device: starting:")
        || line.contains("host: init:")
        || line.contains("device: devbind-device pk=")
        || l.starts_with("rst:0x")
        || l.starts_with("ets ") && l.contains(" 20")
        || line.contains("boot: ESP-IDF")
        || line.contains("cpu_start: Pro cpu start")
}

fn classify_clean(line: &str) -> Option<Mark> {
    if line.contains("mqtt connect success!") {
        return Some(Mark::MqttConnected);
    }
    let lower = line.to_ascii_lowercase();
    if lower.contains("mqtt") && lower.contains("connect") {
        let failed = [
            "fail",
            "refused",
            "error",
            "timed out",
            "timeout",
            "not authori",
            "unreachable",
        ]
        .iter()
        .any(|k| lower.contains(k));
        if lower.contains("connection lost") || lower.contains("disconnected") {
            return Some(Mark::MqttLost);
        }
        if failed && !lower.contains("disconnect") {
            let p = parse(line);
            return Some(Mark::MqttConnectFailed(p.body.to_string()));
        }
    }
    if let Some(at) = lower.find("connecting to ") {
        let target = line[at + 14..].split_whitespace().next().unwrap_or("");
        return Some(Mark::MqttConnecting(target.trim_end_matches("...").into()));
    }
    if let Some(r) = num_after(line, "report token res:") {
        return Some(Mark::ReportRes(r));
    }
    if line.contains("report token res:") {
        return Some(Mark::ReportRes(-1));
    }
    if line.contains("report token:") {
        let v = json_after(line, "report token:");
        let tok = v
            .as_ref()
            .and_then(|v| v.get("params"))
            .and_then(|p| p.get("token"))
            .and_then(|t| t.as_str())
            .map(String::from);
        return Some(Mark::ReportToken(tok));
    }
    if line.contains("sub ") && line.contains("enrollee/match_reply") && !line.contains("unsub ") {
        if let Some(r) = num_after(line, " res:") {
            return Some(Mark::SubMatchReply(r));
        }
    }
    if line.contains("subscribe failed") {
        return Some(Mark::SubscribeFailed);
    }
    if line.contains("awss_report_token_reply") {
        return Some(Mark::ReplyHandled);
    }
    if let Some(at) = line.find("match_reply ignored") {
        return Some(Mark::ReplyIgnored(line[at..].to_string()));
    }
    if line.contains("no match_reply, retry") {
        return Some(Mark::ReportRetry);
    }
    if line.contains("NO matching any topic") {
        return Some(Mark::NoMatchingTopic);
    }
    if line.contains("Topic Name") && line.contains("enrollee/match_reply") {
        return Some(Mark::MatchReplyTopic);
    }
    if line.contains("CoAPServer_init failed") {
        return Some(Mark::CoapInitFailed);
    }
    if line.contains("topic:/sys/device/info/notify") {
        return Some(Mark::NotifyTopic);
    }
    if line.contains("sending message to app") {
        let v = json_after(line, "sending message to app");
        let (t, r) = token_remain(&v, "data");
        return Some(Mark::Answered(t, r));
    }
    if line.contains("device.info.notify") && !line.contains("coap: tx") {
        let v = json_after(line, "payload:").or_else(|| {
            let b = line.find('{')?;
            serde_json::Deserializer::from_str(&line[b..])
                .into_iter::<Value>()
                .next()?
                .ok()
        });
        let (t, r) = token_remain(&v, "params");
        return Some(Mark::NotifyPayload(t, r));
    }
    if let Some(r) = num_after(line, "notify res:") {
        if r < 0 {
            return Some(Mark::NotifyFailed(r));
        }
    }
    if line.contains("notify acked") {
        return Some(Mark::NotifyAcked);
    }
    if let Some(at) = line.find("Request path is ") {
        let path = line[at + 16..].split_whitespace().next().unwrap_or("");
        if path.ends_with("device/info/get") {
            return Some(Mark::QueryReceived(path.into()));
        }
    }
    if line.contains("coap: rx") && line.contains(" Get ") {
        if let Some(path) = line
            .split_whitespace()
            .find(|w| w.ends_with("/device/info/get"))
        {
            return Some(Mark::QueryReceived(path.into()));
        }
    }
    if line.contains("query waits") {
        return Some(Mark::QueryWaits);
    }
    for key in ["query dropped", "query ignored", "answer dropped"] {
        if let Some(at) = line.find(key) {
            return Some(Mark::QueryDropped(line[at..].to_string()));
        }
    }
    if let Some(r) = num_after(line, "answer res:") {
        if r < 0 {
            return Some(Mark::QueryDropped(format!("answer res:{r}")));
        }
    }
    if line.contains("update token") {
        return Some(Mark::UpdateToken);
    }
    if let Some(at) = line.find("try ") {
        let rest = &line[at + 4..];
        let n = digits(rest);
        if n > 0 && rest[n..].trim_start().starts_with("times fail") {
            return Some(Mark::TryFail(rest[..n].parse().unwrap_or(0)));
        }
    }
    if line.contains("Register new resource") && line.contains("device/info/get") {
        return Some(Mark::RegisterResource(line.contains("success")));
    }
    if line.contains("register ") && line.contains("device/info/get") {
        if let Some(r) = num_after(line, " res:") {
            return Some(Mark::RegisterResource(r >= 0));
        }
    }
    if is_boot(line) {
        return Some(Mark::Boot);
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    /// Nothing to check (e.g. no phone asked); does not fail the run.
    Skipped,
    /// Nothing in the log for this step, and an earlier step failed.
    NotChecked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "passed",
            Status::Fail => "failed",
            Status::Skipped => "skipped",
            Status::NotChecked => "not reached",
        }
    }
}

/// A line of the log: its number (1-based) and its text (escape codes removed).
pub type Evidence = (usize, String);

#[derive(Clone, Debug)]
pub struct Step {
    pub number: u8,
    pub title: &'static str,
    pub keyword: &'static str,
    pub status: Status,
    pub evidence: Vec<Evidence>,
    pub note: String,
    pub causes: Vec<String>,
}

/// One kind of finding: how often, and the first [`FIRST_N`] examples.
#[derive(Clone, Debug)]
pub struct Finding {
    pub kind: &'static str,
    pub what: &'static str,
    pub count: u64,
    pub examples: Vec<Evidence>,
}

/// One session (a boot, or an MQTT connection) judged.
#[derive(Clone, Debug)]
pub struct Session {
    /// 1-based.
    pub index: usize,
    pub first_line: usize,
    pub last_line: usize,
    /// What started it (a boot banner, a reconnect), if not the start of the file.
    pub start: Option<Evidence>,
    pub steps: Vec<Step>,
    pub findings: Vec<Finding>,
    /// Summaries (tokens, remainTime, rotations).
    pub summary: Vec<String>,
    /// Tokens reported, in order of first report, with report count (the first ones).
    pub tokens: Vec<(String, u32)>,
}

impl Session {
    pub fn ok(&self) -> bool {
        !self.steps.iter().any(|s| s.status == Status::Fail)
    }

    pub fn first_failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.status == Status::Fail)
    }
}

/// The whole report over one log.
#[derive(Clone, Debug)]
pub struct Report {
    pub lines: usize,
    pub form: Form,
    pub sessions: usize,
    /// The last session, which gives the verdict.
    pub last: Session,
    /// Earlier sessions that failed (the first [`EARLIER_N`]).
    pub earlier_failed: Vec<Session>,
    /// How many earlier sessions failed in all.
    pub earlier_failed_count: usize,
    /// Whether any line looked like a device log line at all.
    pub recognised: usize,
    // Kept for callers that read one session's steps.
    pub steps: Vec<Step>,
    pub findings: Vec<String>,
    pub tokens: Vec<(String, u32)>,
}

impl Report {
    /// The verdict: the last session passed.
    pub fn ok(&self) -> bool {
        self.last.ok()
    }

    pub fn status_of(&self, n: u8) -> Option<Status> {
        self.last
            .steps
            .iter()
            .find(|s| s.number == n)
            .map(|s| s.status)
    }
}

const TITLES: [(&str, &str); 5] = [
    ("MQTT connected to the cloud", "mqtt connect success!"),
    ("token reported to the cloud", "report token"),
    (
        "cloud replied to the token report",
        "enrollee/match_reply, awss_report_token_reply",
    ),
    ("token broadcast to phones", "device.info.notify"),
    (
        "phone query received and answered",
        "Request path is /sys/device/info/get, sending message to app",
    ),
];

/// The guide's reasons a phone's bind request fails even when every step passed.
pub const BIND_FAIL_CAUSES: &[&str] = &[
    "The cloud did not find the token in the bind request: the device did not report it, or reported a different one than the phone received.",
    "The token was already used: when two phones got the same token and one bound first, the other fails.",
];

/// A kind of event seen: how often, the first lines, the last line and its time.
#[derive(Clone, Debug, Default)]
struct Seen {
    count: u64,
    first: Vec<Evidence>,
    last: Option<Evidence>,
    last_ms: Option<u64>,
}

impl Seen {
    fn add(&mut self, n: usize, text: &str, ms: Option<u64>) {
        self.count += 1;
        if self.first.len() < EVIDENCE_N {
            self.first.push((n, text.to_string()));
        }
        self.last = Some((n, text.to_string()));
        self.last_ms = ms;
    }

    fn last_line(&self) -> usize {
        self.last.as_ref().map_or(0, |l| l.0)
    }

    fn any(&self) -> bool {
        self.count > 0
    }

    /// The first line and, if different, the last.
    fn first_and_last(&self) -> Vec<Evidence> {
        let mut v: Vec<Evidence> = self.first.iter().take(1).cloned().collect();
        if let Some(l) = &self.last {
            if v.first().map(|f| f.0) != Some(l.0) {
                v.push(l.clone());
            }
        }
        v
    }
}

/// A bounded list of examples of one kind.
#[derive(Clone, Debug)]
struct Kind {
    kind: &'static str,
    what: &'static str,
    count: u64,
    examples: Vec<Evidence>,
}

const KINDS: [(&str, &str); 11] = [
    ("tryFail", "the device gave up reporting a token (`try N times fail`): no reply from the cloud"),
    ("publishFailed", "a token report was not published (`report token res:` negative)"),
    ("noHandler", "a message reached no handler (`NO matching any topic`)"),
    ("registerFailed", "registering a CoAP query resource failed"),
    ("replyIgnored", "a match_reply was refused by the bind module"),
    ("queryDropped", "a phone's query was dropped unanswered"),
    ("tokenAgain", "a token was given to a phone again: only the first phone to bind with it succeeds"),
    ("neverReported", "a token was handed to a phone but never reported in this session: the cloud will not know it unless it was reported before"),
    ("expired", "a token handed out had already expired (remainTime <= 0)"),
    ("moduleError", "error lines of the bind module"),
    ("moduleWarning", "warning lines of the bind module"),
];

/// Everything one session keeps while its lines stream past.
struct State {
    index: usize,
    first_line: usize,
    last_line: usize,
    start: Option<Evidence>,
    /// Any bind or MQTT mark seen (a boot banner then starts a new session).
    active: bool,
    connected: Seen,
    connect_failed: Seen,
    target: Option<String>,
    lost: Seen,
    reports: Seen,
    /// `report token:` lines seen (the log is at debug level).
    report_lines: bool,
    res_ok: Seen,
    res_bad: Seen,
    /// The current token and its report lines with their times (the first few).
    cur_token: Option<String>,
    cur_reports: Vec<(usize, Option<u64>)>,
    sub_match: Option<(Evidence, i64)>,
    sub_failed: Seen,
    replies: Seen,
    reply_topic: Option<Evidence>,
    reply_ignored: Seen,
    nomatch_sig: Option<(Evidence, Evidence)>,
    try_fail: Seen,
    retries: Seen,
    coap_failed: Seen,
    register_failed: Seen,
    notify: Seen,
    notify_failed: Seen,
    acked: u64,
    queries: Seen,
    waits: Seen,
    dropped: Seen,
    answers: Seen,
    /// The query just before the first answer.
    answered_query: Option<Evidence>,
    updates: u64,
    /// Error and warning lines of the bind module not otherwise understood, by the step in
    /// progress when they came.
    stray: [Seen; 5],
    pk_dn: Option<(String, String)>,
    debug_lines: u64,
    kinds: Vec<Kind>,
    tokens: Vec<(String, u32)>,
    token_set: HashSet<String>,
    tokens_distinct: u64,
    broadcast: Vec<String>,
    broadcast_distinct: u64,
    answered: HashSet<String>,
    remains: Vec<(usize, i64)>,
    remain_count: u64,
    remain_min: i64,
    remain_max: i64,
}

impl State {
    fn new(index: usize, first_line: usize, start: Option<Evidence>) -> State {
        State {
            index,
            first_line,
            last_line: first_line,
            start,
            active: false,
            connected: Seen::default(),
            connect_failed: Seen::default(),
            target: None,
            lost: Seen::default(),
            reports: Seen::default(),
            report_lines: false,
            res_ok: Seen::default(),
            res_bad: Seen::default(),
            cur_token: None,
            cur_reports: Vec::new(),
            sub_match: None,
            sub_failed: Seen::default(),
            replies: Seen::default(),
            reply_topic: None,
            reply_ignored: Seen::default(),
            nomatch_sig: None,
            try_fail: Seen::default(),
            retries: Seen::default(),
            coap_failed: Seen::default(),
            register_failed: Seen::default(),
            notify: Seen::default(),
            notify_failed: Seen::default(),
            acked: 0,
            queries: Seen::default(),
            waits: Seen::default(),
            dropped: Seen::default(),
            answers: Seen::default(),
            answered_query: None,
            updates: 0,
            stray: Default::default(),
            pk_dn: None,
            debug_lines: 0,
            kinds: KINDS
                .iter()
                .map(|(k, w)| Kind {
                    kind: k,
                    what: w,
                    count: 0,
                    examples: Vec::new(),
                })
                .collect(),
            tokens: Vec::new(),
            token_set: HashSet::new(),
            tokens_distinct: 0,
            broadcast: Vec::new(),
            broadcast_distinct: 0,
            answered: HashSet::new(),
            remains: Vec::new(),
            remain_count: 0,
            remain_min: i64::MAX,
            remain_max: i64::MIN,
        }
    }

    fn note(&mut self, kind: &str, n: usize, text: &str) {
        if let Some(k) = self.kinds.iter_mut().find(|k| k.kind == kind) {
            k.count += 1;
            if k.examples.len() < FIRST_N {
                k.examples.push((n, text.to_string()));
            }
        }
    }

    /// The step the bind flow is at: the first one not yet seen to happen.
    fn in_progress(&self) -> usize {
        if !self.connected.any() {
            0
        } else if !self.reports.any() {
            1
        } else if !self.replies.any() {
            2
        } else if !self.notify.any() && !self.queries.any() {
            3
        } else {
            4
        }
    }

    fn remain(&mut self, n: usize, r: i64) {
        self.remain_count += 1;
        self.remain_min = self.remain_min.min(r);
        self.remain_max = self.remain_max.max(r);
        if self.remains.len() < FIRST_N {
            self.remains.push((n, r));
        }
        if r <= 0 {
            self.note("expired", n, &format!("remainTime {r}"));
        }
    }

    /// The device's product key and name, from a `/sys/<pk>/<dn>/thing/...` topic or a
    /// payload's `"productKey"` and `"deviceName"`.
    fn learn_names(&mut self, line: &str) {
        if self.pk_dn.is_some() {
            return;
        }
        if let Some(at) = line.find("/sys/") {
            let mut parts = line[at + 5..].split('/');
            if let (Some(pk), Some(dn), Some(next)) = (parts.next(), parts.next(), parts.next()) {
                if next == "thing" && !pk.is_empty() && !dn.is_empty() {
                    self.pk_dn = Some((pk.to_string(), dn.to_string()));
                    return;
                }
            }
        }
        let field = |key: &str| -> Option<String> {
            let at = line.find(key)? + key.len();
            let v: String = line[at..].chars().take_while(|c| *c != '"').collect();
            (!v.is_empty() && v.len() <= 64).then_some(v)
        };
        if let (Some(pk), Some(dn)) = (field("\"productKey\":\""), field("\"deviceName\":\"")) {
            self.pk_dn = Some((pk, dn));
        }
    }

    fn feed(&mut self, n: usize, text: &str, p: &Parsed, mark: Option<&Mark>) {
        self.last_line = n;
        if p.level == Some(Level::Debug) {
            self.debug_lines += 1;
        }
        self.learn_names(text);
        let Some(mark) = mark else {
            if p.bind && matches!(p.level, Some(Level::Error | Level::Warn)) {
                let step = self.in_progress();
                self.stray[step].add(n, text, p.ms);
                let kind = if p.level == Some(Level::Error) {
                    "moduleError"
                } else {
                    "moduleWarning"
                };
                self.note(kind, n, text);
            }
            return;
        };
        if *mark != Mark::Boot {
            self.active = true;
        }
        match mark {
            Mark::Boot => {}
            Mark::MqttConnected => self.connected.add(n, text, p.ms),
            Mark::MqttConnectFailed(_) => self.connect_failed.add(n, text, p.ms),
            Mark::MqttConnecting(t) => self.target = Some(t.clone()),
            Mark::MqttLost => self.lost.add(n, text, p.ms),
            Mark::ReportToken(t) => {
                if !self.report_lines {
                    self.report_lines = true;
                    self.reports = Seen::default();
                    self.cur_reports.clear();
                }
                self.reports.add(n, text, p.ms);
                if let Some(t) = t {
                    if self.cur_token.as_ref() != Some(t) {
                        self.cur_token = Some(t.clone());
                        self.cur_reports.clear();
                    }
                    if self.cur_reports.len() < 8 {
                        self.cur_reports.push((n, p.ms));
                    }
                    match self.tokens.iter_mut().find(|(x, _)| x == t) {
                        Some(e) => e.1 += 1,
                        None => {
                            if self.token_set.len() < TOKENS_N {
                                self.token_set.insert(t.clone());
                            }
                            self.tokens_distinct += 1;
                            if self.tokens.len() < FIRST_N * 2 {
                                self.tokens.push((t.clone(), 1));
                            }
                        }
                    }
                }
            }
            Mark::ReportRes(r) => {
                if !self.report_lines {
                    // Without the debug `report token:` lines, a result line is the report.
                    self.reports.add(n, text, p.ms);
                    if self.cur_token.is_none() && self.cur_reports.len() < 8 {
                        self.cur_reports.push((n, p.ms));
                    }
                }
                if *r >= 0 {
                    self.res_ok.add(n, text, p.ms);
                } else {
                    self.res_bad.add(n, text, p.ms);
                    self.note("publishFailed", n, text);
                }
            }
            Mark::SubMatchReply(r) => {
                self.sub_match = Some(((n, text.to_string()), *r));
                if *r < 0 {
                    self.sub_failed.add(n, text, p.ms);
                }
            }
            Mark::SubscribeFailed => self.sub_failed.add(n, text, p.ms),
            Mark::ReplyHandled => self.replies.add(n, text, p.ms),
            Mark::ReplyIgnored(_) => {
                self.reply_ignored.add(n, text, p.ms);
                self.note("replyIgnored", n, text);
            }
            Mark::ReportRetry => self.retries.add(n, text, p.ms),
            Mark::MatchReplyTopic => self.reply_topic = Some((n, text.to_string())),
            Mark::NoMatchingTopic => {
                self.note("noHandler", n, text);
                if let Some(t) = &self.reply_topic {
                    if n - t.0 <= 8 && self.nomatch_sig.is_none() {
                        self.nomatch_sig = Some((t.clone(), (n, text.to_string())));
                    }
                }
            }
            Mark::CoapInitFailed => {
                self.coap_failed.add(n, text, p.ms);
                self.note("moduleError", n, text);
            }
            Mark::NotifyTopic => self.notify.add(n, text, p.ms),
            Mark::NotifyPayload(t, r) => {
                self.notify.add(n, text, p.ms);
                if let Some(t) = t {
                    if !self.broadcast.contains(t) {
                        self.broadcast_distinct += 1;
                        if self.broadcast.len() < FIRST_N * 2 {
                            self.broadcast.push(t.clone());
                        }
                    }
                }
                if let Some(r) = r {
                    self.remain(n, *r);
                }
            }
            Mark::NotifyFailed(_) => {
                self.notify_failed.add(n, text, p.ms);
                self.note("moduleWarning", n, text);
            }
            Mark::NotifyAcked => self.acked += 1,
            Mark::QueryReceived(_) => self.queries.add(n, text, p.ms),
            Mark::QueryWaits => {
                self.waits.add(n, text, p.ms);
                if !self.queries.any() {
                    self.queries.add(n, text, p.ms);
                }
            }
            Mark::QueryDropped(_) => {
                self.dropped.add(n, text, p.ms);
                self.note("queryDropped", n, text);
            }
            Mark::Answered(t, r) => {
                if !self.answers.any() {
                    self.answered_query = self.queries.last.clone();
                }
                self.answers.add(n, text, p.ms);
                if let Some(t) = t {
                    if self.answered.contains(t) {
                        self.note("tokenAgain", n, &format!("token {t}"));
                    } else if self.answered.len() < TOKENS_N {
                        self.answered.insert(t.clone());
                    }
                    if self.tokens_distinct > 0
                        && self.token_set.len() < TOKENS_N
                        && !self.token_set.contains(t)
                    {
                        self.note("neverReported", n, &format!("token {t}"));
                    }
                }
                if let Some(r) = r {
                    self.remain(n, *r);
                }
            }
            Mark::UpdateToken => self.updates += 1,
            Mark::TryFail(_) => {
                self.try_fail.add(n, text, p.ms);
                self.note("tryFail", n, text);
            }
            Mark::RegisterResource(ok) => {
                if !ok {
                    self.register_failed.add(n, text, p.ms);
                    self.note("registerFailed", n, text);
                }
            }
        }
    }

    fn topic(&self, leaf: &str) -> String {
        match &self.pk_dn {
            Some((pk, dn)) => format!("/sys/{pk}/{dn}/thing/awss/enrollee/{leaf}"),
            None => format!("/sys/${{pk}}/${{dn}}/thing/awss/enrollee/{leaf}"),
        }
    }

    /// Gaps between the current token's reports, as the log's times give them.
    fn report_gaps(&self) -> Option<String> {
        let times: Vec<(usize, u64)> = self
            .cur_reports
            .iter()
            .filter_map(|(n, ms)| ms.map(|m| (*n, m)))
            .collect();
        if times.len() < 2 {
            return None;
        }
        let gaps: Vec<String> = times
            .windows(2)
            .map(|w| secs(w[1].1.saturating_sub(w[0].1)))
            .collect();
        Some(gaps.join(", "))
    }

    fn judge(mut self) -> Session {
        let mut steps: Vec<Step> = TITLES
            .iter()
            .enumerate()
            .map(|(i, (t, k))| Step {
                number: i as u8 + 1,
                title: t,
                keyword: k,
                status: Status::NotChecked,
                evidence: Vec::new(),
                note: String::new(),
                causes: Vec::new(),
            })
            .collect();
        self.judge_connect(&mut steps[0]);
        let ok1 = steps[0].status == Status::Pass;
        self.judge_report(&mut steps[1], ok1);
        let ok2 = steps[1].status == Status::Pass;
        self.judge_reply(&mut steps[2], ok2);
        let ok3 = steps[2].status == Status::Pass;
        self.judge_notify(&mut steps[3], ok3);
        let ok4 = steps[3].status == Status::Pass;
        self.judge_query(&mut steps[4], ok4);
        // Error and warning lines that nothing else explains fail the step in progress when
        // they came, unless the step succeeded after them.
        for (i, step) in steps.iter_mut().enumerate() {
            let stray = std::mem::take(&mut self.stray[i]);
            if !stray.any() {
                continue;
            }
            let after = self.success_after(i, stray.last_line());
            if after {
                step.note = join_note(
                    &step.note,
                    &format!(
                        "{} error/warning line(s) of the bind module before it recovered (first at line {})",
                        stray.count,
                        stray.first[0].0
                    ),
                );
                continue;
            }
            step.status = Status::Fail;
            for e in stray.first_and_last() {
                if !step.evidence.contains(&e) {
                    step.evidence.push(e);
                }
            }
            step.note = join_note(
                &step.note,
                &format!(
                    "{} error/warning line(s) of the bind module during this step",
                    stray.count
                ),
            );
            step.causes.push(format!(
                "The bind module reported a problem while at this step: `{}` (line {}).",
                stray.first[0].1, stray.first[0].0
            ));
        }
        let findings: Vec<Finding> = self
            .kinds
            .iter()
            .filter(|k| k.count > 0)
            .map(|k| Finding {
                kind: k.kind,
                what: k.what,
                count: k.count,
                examples: k.examples.clone(),
            })
            .collect();
        let mut summary = Vec::new();
        if !self.tokens.is_empty() {
            let list: Vec<String> = self
                .tokens
                .iter()
                .map(|(t, c)| {
                    if *c > 1 {
                        format!("{t} (x{c})")
                    } else {
                        t.clone()
                    }
                })
                .collect();
            summary.push(format!(
                "tokens reported: {}{}",
                list.join(", "),
                more(self.tokens_distinct, self.tokens.len())
            ));
        }
        if !self.broadcast.is_empty() {
            summary.push(format!(
                "tokens broadcast: {}{}",
                self.broadcast.join(", "),
                more(self.broadcast_distinct, self.broadcast.len())
            ));
        }
        if self.remain_count > 0 {
            let list: Vec<String> = self
                .remains
                .iter()
                .map(|(n, r)| format!("{r} ms (line {n})"))
                .collect();
            summary.push(format!(
                "remainTime: {}{}; {} values, from {} to {} ms",
                list.join(", "),
                more(self.remain_count, self.remains.len()),
                self.remain_count,
                self.remain_min,
                self.remain_max
            ));
        }
        if self.updates > 0 {
            summary.push(format!(
                "`update token` {} time(s): tokens rotated after being handed out",
                self.updates
            ));
        }
        if self.acked > 0 {
            summary.push(format!(
                "a phone acked the broadcast {} time(s)",
                self.acked
            ));
        }
        Session {
            index: self.index,
            first_line: self.first_line,
            last_line: self.last_line,
            start: self.start.clone(),
            steps,
            findings,
            summary,
            tokens: self.tokens.clone(),
        }
    }

    /// Whether step `i` (0-based) shows success after line `n`.
    fn success_after(&self, i: usize, n: usize) -> bool {
        let last = match i {
            0 => self.connected.last_line(),
            1 => self.res_ok.last_line().max(self.reports.last_line()),
            2 => self.replies.last_line(),
            3 => self.notify.last_line(),
            _ => self.answers.last_line(),
        };
        last > n
    }

    fn judge_connect(&self, s: &mut Step) {
        if self.connected.any() {
            s.status = Status::Pass;
            s.evidence
                .extend(self.connected.first.iter().take(1).cloned());
            if self.connect_failed.any() {
                let (n, l) = self.connect_failed.last.clone().unwrap_or_default();
                s.note = format!(
                    "connected after {} failed attempt(s); the last said: `{}` (line {n})",
                    self.connect_failed.count,
                    parse(&l).body
                );
            }
            return;
        }
        s.status = Status::Fail;
        let target = self
            .target
            .clone()
            .unwrap_or_else(|| "the MQTT broker".into());
        if let Some((n, l)) = &self.connect_failed.last {
            let reason = parse(l).body.to_string();
            s.evidence = self.connect_failed.first_and_last();
            s.note = format!(
                "{} connect attempt(s) failed; the last (line {n}) said: `{reason}`",
                self.connect_failed.count
            );
            let r = reason.to_ascii_lowercase();
            if r.contains("refused") {
                s.causes.push(format!("Nothing accepts connections at {target}: the broker is down, or the host or port is wrong (`connection refused`)."));
            }
            if r.contains("timed out") || r.contains("timeout") || r.contains("unreachable") {
                s.causes.push(format!("{target} cannot be reached: no route, a firewall, or the device has no working internet connection yet."));
            }
            if r.contains("resolve")
                || r.contains("dns")
                || r.contains("getaddrinfo")
                || r.contains("name or service")
            {
                s.causes.push(format!("The name in {target} does not resolve: DNS is not set up on the device, or the host name is wrong."));
            }
            if r.contains("tls")
                || r.contains("ssl")
                || r.contains("x509")
                || r.contains("certificate")
                || r.contains("handshake")
            {
                s.causes.push("The TLS handshake failed: the CA certificate, or the device's clock (certificates not yet valid).".into());
            }
            if r.contains("authori")
                || r.contains("identifier")
                || r.contains("password")
                || r.contains("rc=4")
                || r.contains("rc=5")
            {
                s.causes.push("The broker refused the device's identity: ProductKey / DeviceName / DeviceSecret, or the region, do not match the cloud's.".into());
            }
            if s.causes.is_empty() {
                s.causes.push(format!(
                    "The connection to {target} failed as the line says: `{reason}`."
                ));
            }
        } else {
            s.note = "no `mqtt connect success!` and no connect attempt in the log".into();
            s.causes = vec![
                "The device has no working internet connection yet (no IP from the router, DNS or route to the MQTT host missing).".into(),
                "Wrong device identity or region: ProductKey / DeviceName / DeviceSecret, or the MQTT host, do not match the cloud's.".into(),
                "The application did not call IOT_Linkkit_Open() / IOT_Linkkit_Connect(), or the log was captured before the connection.".into(),
            ];
        }
        s.causes.push("MQTT connected to the cloud is the precondition for reporting the token (guide, step 1): the bind flow never started.".into());
    }

    fn judge_report(&self, s: &mut Step, before_ok: bool) {
        if self.reports.any() {
            s.evidence
                .extend(self.reports.first.iter().take(1).cloned());
            let unrecovered =
                self.res_bad.any() && self.res_ok.last_line() < self.res_bad.last_line();
            if unrecovered {
                s.status = Status::Fail;
                if let Some(b) = self.res_bad.first.first() {
                    s.evidence.push(b.clone());
                }
                s.note = format!(
                    "{} negative `report token res:` line(s), the last at line {} with no positive one after it: the publish failed",
                    self.res_bad.count,
                    self.res_bad.last_line()
                );
                if let Some((n, l)) = self.lost.first.first() {
                    s.causes.push(format!("The MQTT connection dropped (line {n}: `{}`): the report could not be published.", parse(l).body));
                }
                s.causes.push("Publishing the report failed: the MQTT connection was not usable at that moment (see the lines just before the negative result).".into());
            } else {
                s.status = Status::Pass;
                if let Some(r) = self.res_ok.first.first() {
                    if !s.evidence.contains(r) {
                        s.evidence.push(r.clone());
                    }
                }
                if self.res_bad.any() {
                    s.note = format!(
                        "{} publish(es) failed before one succeeded (first at line {})",
                        self.res_bad.count, self.res_bad.first[0].0
                    );
                } else if !self.res_ok.any() {
                    s.note = "no `report token res:` line (publish result not logged)".into();
                } else if self.res_ok.count > 0 && self.debug_lines == 0 {
                    s.note =
                        "only `report token res:` seen: switch the log to debug to see the token"
                            .into();
                }
            }
        } else if before_ok {
            s.status = Status::Fail;
            s.note = "no `report token` after `mqtt connect success!`".into();
            s.causes = vec![
                "The device did not start binding after connecting (awss_report_cloud() not called, or the module not built in).".into(),
                if self.debug_lines == 0 {
                    "No debug line in this log: the guide asks to switch the device log to debug first (`report token:` is a debug line).".into()
                } else {
                    "The log is at debug level, so `report token:` would show: binding did not start.".into()
                },
            ];
        }
    }

    fn judge_reply(&self, s: &mut Step, before_ok: bool) {
        let reply_topic = self.topic("match_reply");
        let last_reply = self.replies.last_line();
        let gave_up_after = self.try_fail.any() && self.try_fail.last_line() > last_reply;
        let sub_failed_after = self.sub_failed.any() && self.sub_failed.last_line() > last_reply;
        if self.replies.any() && !gave_up_after && !sub_failed_after {
            s.status = Status::Pass;
            if let Some(t) = &self.reply_topic {
                if t.0 < self.replies.first[0].0 {
                    s.evidence.push(t.clone());
                }
            }
            s.evidence.push(self.replies.first[0].clone());
            if self.try_fail.any() {
                s.note = format!(
                    "recovered: `try N times fail` at line {} before a later reply",
                    self.try_fail.first[0].0
                );
            }
            return;
        }
        if !self.replies.any() && !self.try_fail.any() && !self.sub_failed.any() && !before_ok {
            return;
        }
        s.status = Status::Fail;
        if let Some((topic_line, nomatch)) = &self.nomatch_sig {
            s.evidence.push(topic_line.clone());
            s.evidence.push(nomatch.clone());
            s.note =
                "the match_reply arrived but no handler took it: the subscription failed".into();
            s.causes.push(format!("The reply arrived (line {}) but the device printed `NO matching any topic, call default handle function` (line {}): subscribing to {reply_topic} failed, so the bind flow stalls. Find out why the subscription failed (guide, step 3).", topic_line.0, nomatch.0));
            return;
        }
        if self.sub_failed.any() {
            let (n, l) = self.sub_failed.first[0].clone();
            s.evidence.push((n, l.clone()));
            s.causes.push(format!("Subscribing to {reply_topic} failed (line {n}: `{}`): the cloud's reply cannot reach the bind module.", parse(&l).body));
        }
        if self.try_fail.any() {
            s.evidence.extend(self.try_fail.first_and_last());
        } else if let Some(r) = self.retries.first.first() {
            s.evidence.push(r.clone());
        }
        s.note = if gave_up_after && self.replies.any() {
            format!(
                "a later token got no reply: the device gave up at line {} after the last reply (line {last_reply})",
                self.try_fail.last_line()
            )
        } else {
            "no `awss_report_token_reply`: the cloud's answer never reached the bind module".into()
        };
        let reports = self.cur_reports.len();
        let token = self
            .cur_token
            .as_deref()
            .map(|t| format!("token {t}"))
            .unwrap_or_else(|| "its token".into());
        let mut what = format!("The device reported {token} {reports} time(s)");
        if let Some(g) = self.report_gaps() {
            what.push_str(&format!(", {g} apart"));
        }
        if let Some((n, l)) = &self.try_fail.last {
            let waited = match (
                self.cur_reports.last().and_then(|r| r.1),
                self.try_fail.last_ms,
            ) {
                (Some(a), Some(b)) if b >= a => format!(" {} after its last report", secs(b - a)),
                _ => String::new(),
            };
            what.push_str(&format!(
                ", and gave up{waited} (line {n}: `{}`)",
                parse(l).body
            ));
        }
        what.push_str(&format!(
            ": nothing the bind module accepted came back on {reply_topic}."
        ));
        s.causes.push(what);
        if let Some((n, l)) = self.reply_ignored.first.first() {
            s.causes.push(format!(
                "A reply came but was refused (line {n}: `{}`): the cloud answered another report id or a code other than 200.",
                parse(l).body
            ));
        }
        match &self.sub_match {
            Some(((n, l), r)) if *r >= 0 => s.causes.push(format!(
                "The reply topic was subscribed (line {n}: `{}`): the report did not reach the cloud, or the cloud did not answer (the product's bind feature, the region).",
                parse(l).body
            )),
            Some(_) => {}
            None if self.debug_lines > 0 => s.causes.push(format!(
                "No `sub {reply_topic} res:<n>` line: the reply topic may never have been subscribed."
            )),
            None => s.causes.push(format!(
                "Switch the log to debug to see whether the reply topic was subscribed (`sub {reply_topic} res:<n>`)."
            )),
        }
        if self.res_bad.any() && !self.res_ok.any() {
            s.causes
                .push("No report was published (step 2): the cloud had nothing to answer.".into());
        }
    }

    fn judge_notify(&self, s: &mut Step, before_ok: bool) {
        if self.coap_failed.any() {
            s.status = Status::Fail;
            s.evidence.extend(self.coap_failed.first_and_last());
            s.note = format!(
                "`CoAPServer_init failed` {} time(s): the CoAP server did not start, so no broadcast reached the LAN",
                self.coap_failed.count
            );
            s.causes.push("The CoAP server could not start: UDP port 5683 is taken by another program, or the network interface is not up yet.".into());
            return;
        }
        let failed_after =
            self.notify_failed.any() && self.notify_failed.last_line() > self.notify.last_line();
        if self.notify.any() && !failed_after {
            s.status = Status::Pass;
            s.evidence.extend(self.notify.first.iter().take(2).cloned());
            if self.notify_failed.any() {
                s.note = format!(
                    "{} broadcast(s) not sent (first at line {})",
                    self.notify_failed.count, self.notify_failed.first[0].0
                );
            }
            return;
        }
        if failed_after {
            s.status = Status::Fail;
            s.evidence.extend(self.notify_failed.first_and_last());
            s.note = "the broadcast was not sent".into();
            s.causes.push(format!(
                "Sending the broadcast failed (line {}: `{}`): no route to the LAN's broadcast address, or the CoAP server's socket is closed.",
                self.notify_failed.first[0].0,
                parse(&self.notify_failed.first[0].1).body
            ));
            return;
        }
        if before_ok {
            s.status = Status::Fail;
            s.note =
                "no `device.info.notify` / `topic:/sys/device/info/notify` after the cloud's reply"
                    .into();
            s.causes = vec![
                "The CoAP server did not start, or the notify was not sent.".into(),
                "A phone can still get the token by asking the device (step 5).".into(),
            ];
        }
    }

    fn judge_query(&self, s: &mut Step, before_ok: bool) {
        if self.coap_failed.any() {
            s.status = Status::Fail;
            s.evidence.push(self.coap_failed.first[0].clone());
            s.note = "the CoAP server did not start: no phone's query can reach the device".into();
            s.causes.push(format!(
                "`CoAPServer_init failed` (line {}): the query resources /sys/device/info/get could not be registered.",
                self.coap_failed.first[0].0
            ));
            return;
        }
        let dropped_after =
            self.dropped.any() && self.dropped.last_line() > self.answers.last_line();
        if self.answers.any() && !dropped_after {
            s.status = Status::Pass;
            if let Some(q) = &self.answered_query {
                s.evidence.push(q.clone());
            }
            s.evidence.push(self.answers.first[0].clone());
            if self.queries.count > self.answers.count {
                s.note = format!(
                    "{} queries, {} answers",
                    self.queries.count, self.answers.count
                );
            }
            return;
        }
        if self.queries.any() || self.dropped.any() {
            s.status = Status::Fail;
            s.evidence
                .extend(self.queries.first.iter().take(1).cloned());
            if self.dropped.any() {
                s.evidence.extend(self.dropped.first_and_last());
            }
            s.note = if self.answers.any() {
                format!(
                    "a query was dropped (line {}) after the last answer (line {})",
                    self.dropped.last_line(),
                    self.answers.last_line()
                )
            } else {
                "a phone asked but the device never answered (`sending message to app` missing)"
                    .into()
            };
            if let Some((n, _)) = self.waits.first.first() {
                let next = if self.replies.last_line() > *n {
                    "".to_string()
                } else {
                    " No acknowledgement came after it (step 3).".to_string()
                };
                s.causes.push(format!("The query waited (line {n}, `query waits`) for a fresh token to be acknowledged by the cloud: the device answers only with an acknowledged, unexpired token.{next}"));
            }
            if let Some((n, l)) = self.dropped.first.first() {
                s.causes.push(format!(
                    "The bind module dropped the query (line {n}: `{}`).",
                    parse(l).body
                ));
            }
            if self.register_failed.any() {
                s.causes.push(format!(
                    "Registering the CoAP resource failed (line {}).",
                    self.register_failed.first[0].0
                ));
            }
            if !self.replies.any() {
                s.causes.push("The token reported to the cloud got no reply (step 3), so the device has no usable token to give.".into());
            }
            return;
        }
        if before_ok {
            s.status = Status::Skipped;
            s.note = "no phone query in the log".into();
            s.causes = vec![
                if self.acked > 0 {
                    "No phone asked, and a phone acked the broadcast: it took the broadcast token (step 4).".into()
                } else {
                    "No phone asked: fine if the phone took the broadcast token (step 4).".into()
                },
                "Otherwise the query never reached the device: phone and device on different subnets, AP isolation (guest mode), or the router drops broadcast/multicast.".into(),
            ];
        }
    }
}

fn join_note(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}; {b}")
    }
}

fn more(total: u64, shown: usize) -> String {
    if total as usize > shown {
        format!(" and {} more", total - shown as u64)
    } else {
        String::new()
    }
}

fn secs(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// Streams a log line by line into sessions.
pub struct Analyser {
    lines: usize,
    recognised: usize,
    sessions: usize,
    cur: State,
    last_uptime: Option<u64>,
    earlier_failed: Vec<Session>,
    earlier_failed_count: usize,
}

impl Default for Analyser {
    fn default() -> Self {
        Analyser::new()
    }
}

impl Analyser {
    pub fn new() -> Analyser {
        Analyser {
            lines: 0,
            recognised: 0,
            sessions: 1,
            cur: State::new(1, 1, None),
            last_uptime: None,
            earlier_failed: Vec::new(),
            earlier_failed_count: 0,
        }
    }

    /// One line, escape codes already removed.
    pub fn line(&mut self, text: &str) {
        self.lines += 1;
        let n = self.lines;
        let text = text.trim_end();
        if text.is_empty() {
            return;
        }
        let p = parse(text);
        let mark = classify_clean(text);
        if mark.is_some() || p.level.is_some() {
            self.recognised += 1;
        }
        // A new session: a boot (a banner, or the uptime going back), or a connect (or a
        // failed attempt) once this session has connected.
        let rebooted = p.uptime
            && p.ms
                .zip(self.last_uptime)
                .is_some_and(|(now, before)| now + 2000 < before);
        if p.uptime {
            self.last_uptime = p.ms;
        }
        let split = match &mark {
            Some(Mark::Boot) => self.cur.active,
            Some(Mark::MqttConnected | Mark::MqttConnectFailed(_)) => {
                self.cur.connected.any() || (rebooted && self.cur.active)
            }
            _ => rebooted && self.cur.active,
        };
        if split {
            let why = match &mark {
                Some(Mark::Boot) => "boot",
                _ if rebooted => "reboot (the uptime starts again)",
                _ => "MQTT reconnect",
            };
            self.sessions += 1;
            let mut next = State::new(self.sessions, n, Some((n, format!("{why}: {text}"))));
            // The same device after a reboot: its names carry over.
            next.pk_dn = self.cur.pk_dn.clone();
            let done = std::mem::replace(&mut self.cur, next).judge();
            if !done.ok() {
                self.earlier_failed_count += 1;
                if self.earlier_failed.len() < EARLIER_N {
                    self.earlier_failed.push(done);
                }
            }
        }
        self.cur.feed(n, text, &p, mark.as_ref());
    }

    pub fn finish(self, form: Form) -> Report {
        let last = self.cur.judge();
        let findings = last
            .findings
            .iter()
            .map(|f| {
                let ex: Vec<String> = f.examples.iter().map(|(n, _)| n.to_string()).collect();
                let first = f.examples.first().map(|e| e.1.as_str()).unwrap_or("");
                format!(
                    "{} x{}: {} (line {}): {first}",
                    f.kind,
                    f.count,
                    f.what,
                    ex.join(", ")
                )
            })
            .chain(last.summary.iter().cloned())
            .collect();
        Report {
            lines: self.lines,
            form,
            sessions: self.sessions,
            steps: last.steps.clone(),
            tokens: last.tokens.clone(),
            findings,
            last,
            earlier_failed: self.earlier_failed,
            earlier_failed_count: self.earlier_failed_count,
            recognised: self.recognised,
        }
    }
}

/// Analyses a log from any reader (a file, stdin), streaming it.
pub fn analyse_reader<R: Read>(r: R) -> Result<Report, Refusal> {
    let mut lines = Lines::open(r)?;
    let mut a = Analyser::new();
    let mut buf = String::new();
    let mut text_seen = false;
    while lines.next_line(&mut buf).map_err(Refusal::Io)? {
        text_seen |= !buf.trim().is_empty();
        a.line(&buf);
    }
    if !text_seen {
        return Err(Refusal::Empty);
    }
    Ok(a.finish(lines.form))
}

/// Analyses a log held in memory (as text).
pub fn analyse(text: &str) -> Report {
    match analyse_reader(text.as_bytes()) {
        Ok(r) => r,
        Err(_) => Analyser::new().finish(Form::default()),
    }
}

fn ev_json(e: &[Evidence]) -> Vec<Value> {
    e.iter()
        .map(|(n, l)| json!({"line": n, "text": l}))
        .collect()
}

fn steps_json(steps: &[Step]) -> Vec<Value> {
    steps
        .iter()
        .map(|s| {
            json!({
                "step": s.number,
                "title": s.title,
                "keyword": s.keyword,
                "status": s.status.as_str(),
                "evidence": ev_json(&s.evidence),
                "note": s.note,
                "likelyCauses": s.causes,
            })
        })
        .collect()
}

fn session_json(s: &Session) -> Value {
    json!({
        "session": s.index,
        "firstLine": s.first_line,
        "lastLine": s.last_line,
        "start": s.start.as_ref().map(|e| json!({"line": e.0, "text": e.1})),
        "ok": s.ok(),
        "steps": steps_json(&s.steps),
    })
}

/// The report as JSON.
pub fn to_json(r: &Report, source: &str) -> Value {
    let s = &r.last;
    json!({
        "source": source,
        "lines": r.lines,
        "encoding": r.form.encoding.map(|e| e.name()),
        "lineEndings": r.form.endings(),
        "latin1Bytes": r.form.latin1_bytes,
        "escapesRemoved": r.form.escapes,
        "ok": r.ok(),
        "sessions": r.sessions,
        "session": {"index": s.index, "firstLine": s.first_line, "lastLine": s.last_line,
                    "start": s.start.as_ref().map(|e| json!({"line": e.0, "text": e.1}))},
        "steps": steps_json(&s.steps),
        "findings": s.findings.iter().map(|f| json!({"kind": f.kind, "what": f.what, "count": f.count,
            "examples": ev_json(&f.examples)})).collect::<Vec<_>>(),
        "summary": s.summary,
        "tokens": s.tokens.iter().map(|(t, c)| json!({"token": t, "reports": c})).collect::<Vec<_>>(),
        "earlierFailedSessions": r.earlier_failed.iter().map(session_json).collect::<Vec<_>>(),
        "earlierFailedCount": r.earlier_failed_count,
    })
}

fn clip(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() > 200 {
        let c: String = s.chars().take(197).collect();
        format!("{c}...")
    } else {
        s.to_string()
    }
}

/// The report as text (colour codes when `color`; the log's own text never carries any).
pub fn to_text(r: &Report, source: &str, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let f = &r.form;
    let mut o = format!(
        "devbind doctor: {source} ({} lines, {}, line endings {}",
        r.lines,
        f.encoding.map_or("?", |e| e.name()),
        f.endings()
    );
    if f.latin1_bytes > 0 {
        o.push_str(&format!(
            ", {} non-UTF-8 byte(s) read as Latin-1",
            f.latin1_bytes
        ));
    }
    if f.escapes > 0 {
        o.push_str(&format!(", {} escape code(s) removed", f.escapes));
    }
    if f.cut_lines > 0 {
        o.push_str(&format!(", {} over-long line(s) cut", f.cut_lines));
    }
    o.push_str(")\n");
    if r.recognised == 0 {
        o.push_str(&paint(
            "33",
            "no line of this file looks like a device log (no level, no bind module text)\n",
        ));
    }
    let s = &r.last;
    if r.sessions > 1 {
        o.push_str(&format!(
            "{} sessions (boots or MQTT reconnects); the verdict is the last one's\n",
            r.sessions
        ));
    }
    o.push_str(&format!(
        "session {} (lines {}-{}){}\n",
        s.index,
        s.first_line,
        s.last_line,
        s.start
            .as_ref()
            .map(|(n, t)| format!(", started at line {n} by {}", clip(t)))
            .unwrap_or_default()
    ));
    for st in &s.steps {
        let (mark, code) = match st.status {
            Status::Pass => ("✓", "32"),
            Status::Fail => ("✗", "31;1"),
            Status::Skipped => ("-", "33"),
            Status::NotChecked => ("·", "2"),
        };
        o.push_str(&paint(
            code,
            &format!(
                "{mark} step {} {}: {}",
                st.number,
                st.title,
                st.status.as_str()
            ),
        ));
        o.push('\n');
        for (n, l) in &st.evidence {
            o.push_str(&format!("    line {n}: {}\n", clip(l)));
        }
        if !st.note.is_empty() {
            o.push_str(&format!("    {}\n", st.note));
        }
        if st.status == Status::Fail || st.status == Status::Skipped {
            if st.status == Status::Fail {
                o.push_str(&format!("    keyword: {}\n", st.keyword));
            }
            o.push_str("    likely causes:\n");
            for c in &st.causes {
                o.push_str(&format!("      - {c}\n"));
            }
        }
    }
    if !s.findings.is_empty() || !s.summary.is_empty() {
        o.push_str("findings:\n");
        for fd in &s.findings {
            let lines: Vec<String> = fd.examples.iter().map(|(n, _)| n.to_string()).collect();
            let extra = if fd.count as usize > fd.examples.len() {
                format!(", first {}", fd.examples.len())
            } else {
                String::new()
            };
            o.push_str(&format!(
                "  - {} x{}: {} (line {}{extra})\n",
                fd.kind,
                fd.count,
                fd.what,
                lines.join(", ")
            ));
            if let Some((n, l)) = fd.examples.first() {
                o.push_str(&format!("      line {n}: {}\n", clip(l)));
            }
        }
        for m in &s.summary {
            o.push_str(&format!("  - {}\n", clip(m)));
        }
    }
    if r.earlier_failed_count > 0 {
        o.push_str(&format!(
            "earlier sessions that failed: {} of {}\n",
            r.earlier_failed_count,
            r.sessions - 1
        ));
        for e in &r.earlier_failed {
            let bad: Vec<String> = e
                .steps
                .iter()
                .filter(|x| x.status == Status::Fail)
                .map(|x| format!("step {}", x.number))
                .collect();
            o.push_str(&format!(
                "  - session {} (lines {}-{}): {} failed",
                e.index,
                e.first_line,
                e.last_line,
                bad.join(", ")
            ));
            if let Some((n, l)) = e.first_failure().and_then(|x| x.evidence.first()) {
                o.push_str(&format!("; line {n}: {}", clip(l)));
            }
            o.push('\n');
        }
        if r.earlier_failed_count > r.earlier_failed.len() {
            o.push_str(&format!(
                "  - and {} more\n",
                r.earlier_failed_count - r.earlier_failed.len()
            ));
        }
    }
    if r.ok() {
        o.push_str(&paint(
            "32",
            if r.sessions > 1 {
                "the last session's checked steps passed"
            } else {
                "all checked steps passed"
            },
        ));
        o.push_str("\nif the phone's bind request still fails:\n");
        for c in BIND_FAIL_CAUSES {
            o.push_str(&format!("  - {c}\n"));
        }
    } else if let Some(st) = s.first_failure() {
        let later: Vec<String> = s
            .steps
            .iter()
            .filter(|x| x.number > st.number && x.status == Status::Pass)
            .map(|x| x.number.to_string())
            .collect();
        o.push_str(&paint(
            "31;1",
            &format!("first failing step: {} ({})", st.number, st.title),
        ));
        if !later.is_empty() {
            o.push_str(&format!("; later step(s) {} passed", later.join(", ")));
        }
        o.push('\n');
    }
    o
}
