//! `devbind doctor`: walks the guide's troubleshooting steps (问题排查步骤) over a device log.
//!
//! Reads both our library's log format (`[12345] [inf] dev_bind: report token res:0`) and the
//! SDK's as the guide shows it (`[2019-04-24-14:37:26][018912]<D> report token:{...}`): the
//! checks look for the guide's keywords, not for a line layout.

use serde_json::{json, Value};

/// What one log line tells.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    MqttConnected,
    /// `report token:{json}` (the JSON's token if it parsed)
    ReportToken(Option<String>),
    /// `report token res:<n>`
    ReportRes(i64),
    /// `awss_report_token_reply`
    ReplyHandled,
    /// a received message on `.../enrollee/match_reply` (the SDK's `Topic Name :` line)
    MatchReplyTopic,
    /// `NO matching any topic, call default handle function`
    NoMatchingTopic,
    /// `topic:/sys/device/info/notify`
    NotifyTopic,
    /// a `device.info.notify` payload (token, remainTime)
    NotifyPayload(Option<String>, Option<i64>),
    /// `Request path is /sys/.../device/info/get`
    QueryReceived(String),
    /// `sending message to app: {json}` (token, remainTime)
    Answered(Option<String>, Option<i64>),
    UpdateToken,
    /// `try <n> times fail`
    TryFail(u32),
    /// `Register new resource .../device/info/get` (ok or not)
    RegisterResource(bool),
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

/// Classifies one line.
pub fn classify(line: &str) -> Option<Mark> {
    if line.contains("mqtt connect success!") {
        return Some(Mark::MqttConnected);
    }
    if let Some(at) = line.find("report token res:") {
        let num: String = line[at + 17..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        return Some(Mark::ReportRes(num.parse().unwrap_or(-1)));
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
    if line.contains("awss_report_token_reply") {
        return Some(Mark::ReplyHandled);
    }
    if line.contains("NO matching any topic") {
        return Some(Mark::NoMatchingTopic);
    }
    if line.contains("Topic Name") && line.contains("enrollee/match_reply") {
        return Some(Mark::MatchReplyTopic);
    }
    if line.contains("topic:/sys/device/info/notify") {
        return Some(Mark::NotifyTopic);
    }
    if line.contains("sending message to app") {
        let v = json_after(line, "sending message to app");
        let (t, r) = token_remain(&v, "data");
        return Some(Mark::Answered(t, r));
    }
    if line.contains("device.info.notify") {
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
    if let Some(at) = line.find("Request path is ") {
        let path = line[at + 16..].split_whitespace().next().unwrap_or("");
        if path.ends_with("device/info/get") {
            return Some(Mark::QueryReceived(path.into()));
        }
    }
    if line.contains("update token") {
        return Some(Mark::UpdateToken);
    }
    if let Some(at) = line.find("try ") {
        let rest = &line[at + 4..];
        let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !n.is_empty() && rest[n.len()..].trim_start().starts_with("times fail") {
            return Some(Mark::TryFail(n.parse().unwrap_or(0)));
        }
    }
    if line.contains("Register new resource") && line.contains("device/info/get") {
        return Some(Mark::RegisterResource(line.contains("success")));
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    /// Nothing to check (e.g. no phone asked); does not fail the run.
    Skipped,
    /// Not reached: an earlier step failed.
    NotChecked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "passed",
            Status::Fail => "failed",
            Status::Skipped => "skipped",
            Status::NotChecked => "not checked",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    pub number: u8,
    pub title: &'static str,
    pub keyword: &'static str,
    pub status: Status,
    /// (line number, 1-based; line text)
    pub evidence: Vec<(usize, String)>,
    pub note: String,
    pub causes: Vec<&'static str>,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub lines: usize,
    pub steps: Vec<Step>,
    pub findings: Vec<String>,
    /// Tokens reported, in order of first report, with report count.
    pub tokens: Vec<(String, u32)>,
}

impl Report {
    pub fn ok(&self) -> bool {
        !self.steps.iter().any(|s| s.status == Status::Fail)
    }

    pub fn status_of(&self, n: u8) -> Option<Status> {
        self.steps.iter().find(|s| s.number == n).map(|s| s.status)
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

const CAUSES_1: &[&str] = &[
    "MQTT connected to the cloud is the precondition for reporting the token (guide, step 1): the bind flow never started.",
    "The device has no working internet connection yet (no IP from the router, DNS or route to the MQTT host missing).",
    "Wrong device identity or region: ProductKey / DeviceName / DeviceSecret, or the MQTT host, do not match the cloud's.",
    "The application did not call IOT_Linkkit_Open() / IOT_Linkkit_Connect(), or the TLS handshake failed (CA certificate, clock).",
];
const CAUSES_2: &[&str] = &[
    "The device did not start binding after connecting (awss_report_cloud() not called, or the module not built in).",
    "The log level is below debug: the guide asks to switch the device log to debug first (`report token:` is a debug line).",
    "Publishing the report failed (`report token res:` negative): the MQTT connection dropped right after connecting.",
];
const CAUSES_3_NOMATCH: &[&str] = &[
    "The reply arrived but the device printed `NO matching any topic, call default handle function`: subscribing to /sys/${pk}/${dn}/thing/awss/enrollee/match_reply failed, so the bind flow stalls. Find out why the subscription failed (guide, step 3).",
];
const CAUSES_3: &[&str] = &[
    "The report did not reach the cloud, or the cloud did not answer on /sys/${pk}/${dn}/thing/awss/enrollee/match_reply.",
    "Without an answer within 30 s the device reports again, 2 times in all, then gives up (`try 2 times fail`).",
    "The reply topic was never subscribed (look for `sub .../enrollee/match_reply success`).",
];
const CAUSES_4: &[&str] = &[
    "The device broadcasts the token (30 times) only after the cloud acknowledged it (step 3).",
    "The CoAP server did not start, or the notify was not sent (no `topic:/sys/device/info/notify`).",
    "A phone can still get the token by asking the device (step 5).",
];
const CAUSES_5_NOANSWER: &[&str] = &[
    "The token reported to the cloud got no reply (step 3), so the device has no usable token to give.",
    "The MQTT connection to the cloud did not succeed (step 1).",
    "Registering the CoAP resource /sys/device/info/get failed on the device's CoAP server.",
    "If the token had expired, the device reports a new one first and answers once the cloud acknowledges it: look for `update token` and a new `report token` after the query.",
];
const CAUSES_5_NOQUERY: &[&str] = &[
    "No phone asked: fine if the phone took the broadcast token (step 4).",
    "Otherwise the query never reached the device: phone and device on different subnets, AP isolation (guest mode), or the router drops broadcast/multicast.",
    "Registering the CoAP resource /sys/device/info/get failed on the device.",
];

/// The guide's reasons a phone's bind request fails even when every step passed.
pub const BIND_FAIL_CAUSES: &[&str] = &[
    "The cloud did not find the token in the bind request: the device did not report it, or reported a different one than the phone received.",
    "The token was already used: when two phones got the same token and one bound first, the other fails.",
];

/// Analyses a whole log.
pub fn analyse(text: &str) -> Report {
    let marks: Vec<(usize, String, Mark)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| classify(l).map(|m| (i + 1, l.trim_end().to_string(), m)))
        .collect();
    let lines = text.lines().count();
    let find = |f: &dyn Fn(&Mark) -> bool| -> Vec<(usize, String)> {
        marks
            .iter()
            .filter(|(_, _, m)| f(m))
            .map(|(n, l, _)| (*n, l.clone()))
            .collect()
    };
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

    // step 1
    let connects = find(&|m| *m == Mark::MqttConnected);
    if let Some(first) = connects.first() {
        steps[0].status = Status::Pass;
        steps[0].evidence.push(first.clone());
        if connects.len() > 1 {
            steps[0].note = format!("connected {} times (reconnects)", connects.len());
        }
    } else {
        steps[0].status = Status::Fail;
        steps[0].causes = CAUSES_1.to_vec();
        steps[0].note = "no `mqtt connect success!` in the log".into();
    }

    // step 2
    if steps[0].status == Status::Pass {
        let reports = find(&|m| matches!(m, Mark::ReportToken(_)));
        let res = find(&|m| matches!(m, Mark::ReportRes(_)));
        let res_vals: Vec<i64> = marks
            .iter()
            .filter_map(|(_, _, m)| match m {
                Mark::ReportRes(r) => Some(*r),
                _ => None,
            })
            .collect();
        let good_res = res_vals.iter().any(|r| *r >= 0);
        if let Some(r) = reports.first() {
            steps[1].evidence.push(r.clone());
        }
        if let Some(pos) = res_vals.iter().position(|r| *r >= 0) {
            steps[1].evidence.push(res[pos].clone());
        } else if let Some(r) = res.first() {
            steps[1].evidence.push(r.clone());
        }
        if !res_vals.is_empty() && !good_res {
            steps[1].status = Status::Fail;
            steps[1].note = "every `report token res:` is negative: the publish failed".into();
            steps[1].causes = CAUSES_2.to_vec();
        } else if reports.is_empty() && res_vals.is_empty() {
            steps[1].status = Status::Fail;
            steps[1].note = "no `report token` in the log".into();
            steps[1].causes = CAUSES_2.to_vec();
        } else {
            steps[1].status = Status::Pass;
            if reports.is_empty() {
                steps[1].note =
                    "only `report token res:` seen: switch the log to debug to see the token"
                        .into();
            } else if res_vals.is_empty() {
                steps[1].note = "no `report token res:` line (publish result not logged)".into();
            }
        }
    }

    // step 3
    if steps[1].status == Status::Pass {
        let replies = find(&|m| *m == Mark::ReplyHandled);
        let nomatch = find(&|m| *m == Mark::NoMatchingTopic);
        let topic = find(&|m| *m == Mark::MatchReplyTopic);
        if let Some(r) = replies.first() {
            steps[2].status = Status::Pass;
            if let Some(t) = topic.iter().rev().find(|t| t.0 < r.0) {
                steps[2].evidence.push(t.clone());
            }
            steps[2].evidence.push(r.clone());
        } else {
            steps[2].status = Status::Fail;
            // A `NO matching` right after a match_reply topic line is the guide's signature.
            let sig = nomatch
                .iter()
                .find(|n| topic.iter().any(|t| t.0 < n.0 && n.0 - t.0 <= 8));
            if let Some(n) = sig {
                if let Some(t) = topic.iter().rev().find(|t| t.0 < n.0) {
                    steps[2].evidence.push(t.clone());
                }
                steps[2].evidence.push(n.clone());
                steps[2].note =
                    "the match_reply arrived but no handler took it: the subscription failed"
                        .into();
                steps[2].causes = CAUSES_3_NOMATCH.to_vec();
            } else {
                steps[2]
                    .evidence
                    .extend(find(&|m| matches!(m, Mark::TryFail(_))));
                steps[2].note = "no `awss_report_token_reply`: the cloud's answer never reached the bind module".into();
                steps[2].causes = CAUSES_3.to_vec();
            }
        }
    }

    // step 4
    if steps[2].status == Status::Pass {
        let notify = find(&|m| matches!(m, Mark::NotifyTopic | Mark::NotifyPayload(..)));
        if notify.is_empty() {
            steps[3].status = Status::Fail;
            steps[3].note = "no `device.info.notify` / `topic:/sys/device/info/notify`".into();
            steps[3].causes = CAUSES_4.to_vec();
        } else {
            steps[3].status = Status::Pass;
            steps[3].evidence.extend(notify.into_iter().take(2));
        }
    }

    // step 5
    if steps[3].status == Status::Pass {
        let queries = find(&|m| matches!(m, Mark::QueryReceived(_)));
        let answers = find(&|m| matches!(m, Mark::Answered(..)));
        if let Some(a) = answers.first() {
            steps[4].status = Status::Pass;
            if let Some(q) = queries.iter().rev().find(|q| q.0 < a.0) {
                steps[4].evidence.push(q.clone());
            }
            steps[4].evidence.push(a.clone());
            let unanswered = queries.len().saturating_sub(answers.len());
            if unanswered > 0 {
                steps[4].note = format!("{} queries, {} answers", queries.len(), answers.len());
            }
        } else if let Some(q) = queries.first() {
            steps[4].status = Status::Fail;
            steps[4].evidence.push(q.clone());
            steps[4].note =
                "a phone asked but the device never answered (`sending message to app` missing)"
                    .into();
            steps[4].causes = CAUSES_5_NOANSWER.to_vec();
        } else {
            steps[4].status = Status::Skipped;
            steps[4].note = "no phone query in the log".into();
            steps[4].causes = CAUSES_5_NOQUERY.to_vec();
        }
    }

    // findings
    let mut findings = Vec::new();
    let mut tokens: Vec<(String, u32)> = Vec::new();
    let mut answered: Vec<(usize, String)> = Vec::new();
    let mut broadcast: Vec<String> = Vec::new();
    let mut remains: Vec<(usize, i64)> = Vec::new();
    for (n, _, m) in &marks {
        match m {
            Mark::ReportToken(Some(t)) => match tokens.iter_mut().find(|(x, _)| x == t) {
                Some(e) => e.1 += 1,
                None => tokens.push((t.clone(), 1)),
            },
            Mark::TryFail(k) => findings.push(format!(
                "line {n}: `try {k} times fail`: the device gave up reporting a token after {k} attempts with no reply from the cloud"
            )),
            Mark::ReportRes(r) if *r < 0 => findings.push(format!(
                "line {n}: token report publish failed (res:{r})"
            )),
            Mark::NoMatchingTopic => findings.push(format!(
                "line {n}: a message reached no handler (`NO matching any topic`)"
            )),
            Mark::RegisterResource(false) => findings.push(format!(
                "line {n}: registering the CoAP query resource failed"
            )),
            Mark::NotifyPayload(t, r) => {
                if let Some(t) = t {
                    if !broadcast.contains(t) {
                        broadcast.push(t.clone());
                    }
                }
                if let Some(r) = r {
                    remains.push((*n, *r));
                }
            }
            Mark::Answered(t, r) => {
                if let Some(t) = t {
                    answered.push((*n, t.clone()));
                }
                if let Some(r) = r {
                    remains.push((*n, *r));
                }
            }
            _ => {}
        }
    }
    if !tokens.is_empty() {
        let list: Vec<String> = tokens
            .iter()
            .map(|(t, c)| {
                if *c > 1 {
                    format!("{t} (x{c})")
                } else {
                    t.clone()
                }
            })
            .collect();
        findings.push(format!("tokens reported: {}", list.join(", ")));
    }
    if !broadcast.is_empty() {
        findings.push(format!("tokens broadcast: {}", broadcast.join(", ")));
    }
    for (i, (n, t)) in answered.iter().enumerate() {
        if answered[..i].iter().any(|(_, x)| x == t) {
            findings.push(format!(
                "line {n}: token {t} was given to a phone again: only the first phone to bind with it succeeds"
            ));
        }
        if !tokens.is_empty() && !tokens.iter().any(|(x, _)| x == t) {
            findings.push(format!(
                "line {n}: answered token {t} was never reported in this log: the cloud will not know it unless it was reported before the log starts"
            ));
        }
    }
    if !remains.is_empty() {
        let list: Vec<String> = remains
            .iter()
            .map(|(n, r)| format!("{r} ms (line {n})"))
            .collect();
        findings.push(format!("remainTime: {}", list.join(", ")));
        for (n, r) in &remains {
            if *r <= 0 {
                findings.push(format!(
                    "line {n}: remainTime {r}: the token handed out had already expired"
                ));
            }
        }
    }
    let updates = marks
        .iter()
        .filter(|(_, _, m)| *m == Mark::UpdateToken)
        .count();
    if updates > 0 {
        findings.push(format!(
            "`update token` {updates} time(s): tokens rotated after being handed out"
        ));
    }
    Report {
        lines,
        steps,
        findings,
        tokens,
    }
}

/// The report as JSON.
pub fn to_json(r: &Report, source: &str) -> Value {
    let steps: Vec<Value> = r
        .steps
        .iter()
        .map(|s| {
            json!({
                "step": s.number,
                "title": s.title,
                "keyword": s.keyword,
                "status": s.status.as_str(),
                "evidence": s.evidence.iter().map(|(n, l)| json!({"line":n,"text":l})).collect::<Vec<_>>(),
                "note": s.note,
                "likelyCauses": s.causes,
            })
        })
        .collect();
    json!({
        "source": source,
        "lines": r.lines,
        "ok": r.ok(),
        "steps": steps,
        "findings": r.findings,
        "tokens": r.tokens.iter().map(|(t, c)| json!({"token":t,"reports":c})).collect::<Vec<_>>(),
    })
}

/// The report as text (colour codes when `color`).
pub fn to_text(r: &Report, source: &str, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let clip = |s: &str| -> String {
        let s = s.trim();
        if s.chars().count() > 200 {
            let c: String = s.chars().take(197).collect();
            format!("{c}...")
        } else {
            s.to_string()
        }
    };
    let mut o = format!("devbind doctor: {source} ({} lines)\n", r.lines);
    for s in &r.steps {
        let (mark, code) = match s.status {
            Status::Pass => ("✓", "32"),
            Status::Fail => ("✗", "31;1"),
            Status::Skipped => ("-", "33"),
            Status::NotChecked => ("·", "2"),
        };
        o.push_str(&paint(
            code,
            &format!(
                "{mark} step {} {}: {}",
                s.number,
                s.title,
                s.status.as_str()
            ),
        ));
        o.push('\n');
        for (n, l) in &s.evidence {
            o.push_str(&format!("    line {n}: {}\n", clip(l)));
        }
        if !s.note.is_empty() {
            o.push_str(&format!("    {}\n", s.note));
        }
        if s.status == Status::Fail || s.status == Status::Skipped {
            if s.status == Status::Fail {
                o.push_str(&format!("    keyword: {}\n", s.keyword));
            }
            o.push_str("    likely causes:\n");
            for c in &s.causes {
                o.push_str(&format!("      - {c}\n"));
            }
        }
    }
    if !r.findings.is_empty() {
        o.push_str("findings:\n");
        for f in &r.findings {
            o.push_str(&format!("  - {}\n", clip(f)));
        }
    }
    if r.ok() {
        o.push_str(&paint("32", "all checked steps passed"));
        o.push_str("\nif the phone's bind request still fails:\n");
        for c in BIND_FAIL_CAUSES {
            o.push_str(&format!("  - {c}\n"));
        }
    } else if let Some(s) = r.steps.iter().find(|s| s.status == Status::Fail) {
        o.push_str(&paint(
            "31;1",
            &format!("first failing step: {} ({})", s.number, s.title),
        ));
        o.push('\n');
    }
    o
}
