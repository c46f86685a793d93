//! `devbind cloud switchap`: the cloud's request that a provisioned device switch to another
//! access point (the SDK's `awss_online_switchap` handles it in provisioning builds).
//!
//! The request goes to `/sys/<pk>/<dn>/thing/awss/device/switchap`:
//! `{"id":"<n>","version":"1.0","method":"thing.awss.device.switchap","params":{"ssid":"..",
//! "passwd":"..","bssid":"..","switchMode":0,"timeout":<ms>}}`. The device answers on
//! `/sys/<pk>/<dn>/thing/awss/device/switchap_reply` with `{"id":<n>,"code":200,"data":{}}`,
//! then switches after `max(timeout, 1 s)` and reboots. A reply counts when it is one JSON
//! object (nothing after it: the C module pads its reply with NULs), its `id` echoes the
//! request's (a string or a number), its `code` is 200 and its `data` an object.

use crate::mqtt::Client;
use rumqttc::mqttbytes::QoS;
use serde_json::{json, Value};
use std::fmt;
use std::io;
use std::time::{Duration, Instant};

/// Longest SSID (IEEE 802.11: 32 bytes).
pub const SSID_MAX: usize = 32;
/// Longest passphrase (WPA2: 63 characters, or 64 hex digits).
pub const PASSWD_MAX: usize = 64;

/// The request's topic.
pub fn request_topic(pk: &str, dn: &str) -> String {
    format!("/sys/{pk}/{dn}/thing/awss/device/switchap")
}

/// The reply's topic.
pub fn reply_topic(pk: &str, dn: &str) -> String {
    format!("/sys/{pk}/{dn}/thing/awss/device/switchap_reply")
}

/// What to ask of the device.
#[derive(Clone, Debug)]
pub struct Request {
    pub pk: String,
    pub dn: String,
    /// The request's id (sent as a JSON string).
    pub id: String,
    pub ssid: String,
    pub passwd: String,
    /// `AA:BB:CC:DD:EE:FF`, or empty for any AP with that SSID.
    pub bssid: String,
    pub switch_mode: u8,
    /// How long the device waits before it switches, ms (it waits at least 1 s).
    pub timeout_ms: u32,
}

impl Request {
    /// The request's payload.
    pub fn payload(&self) -> Value {
        json!({
            "id": self.id,
            "version": "1.0",
            "method": "thing.awss.device.switchap",
            "params": {
                "ssid": self.ssid,
                "passwd": self.passwd,
                "bssid": self.bssid,
                "switchMode": self.switch_mode,
                "timeout": self.timeout_ms,
            }
        })
    }

    /// The request as a person may read it: the password is never shown, only its length.
    pub fn describe(&self) -> String {
        let bssid = if self.bssid.is_empty() {
            "any".to_string()
        } else {
            self.bssid.clone()
        };
        format!(
            "ssid {:?}, passwd ({} characters, not shown), bssid {bssid}, switchMode {}, timeout {} ms",
            self.ssid,
            self.passwd.chars().count(),
            self.switch_mode,
            self.timeout_ms
        )
    }
}

/// `AA:BB:CC:DD:EE:FF` (either case), or empty.
pub fn valid_bssid(s: &str) -> bool {
    s.is_empty()
        || (s.len() == 17
            && s.split(':').count() == 6
            && s.split(':')
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit())))
}

/// Why the request's fields would be refused by a device (SSID 1-32 bytes, passwd at most 64,
/// a well-formed BSSID); `None` when they are fine.
pub fn check_fields(ssid: &str, passwd: &str, bssid: &str) -> Option<String> {
    if ssid.is_empty() || ssid.len() > SSID_MAX {
        return Some(format!(
            "--ssid: {} bytes; an SSID has 1 to {SSID_MAX}",
            ssid.len()
        ));
    }
    if passwd.len() > PASSWD_MAX {
        return Some(format!(
            "--passwd: {} bytes; a passphrase has at most {PASSWD_MAX}",
            passwd.len()
        ));
    }
    if !valid_bssid(bssid) {
        return Some(format!("--bssid: `{bssid}` is not AA:BB:CC:DD:EE:FF"));
    }
    None
}

/// A reply that answered the request with code 200.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The reply, as received.
    pub reply: Value,
    /// From the publish of the request to the reply.
    pub elapsed: Duration,
    /// Replies for other requests (other ids) that came before it.
    pub others: usize,
}

/// Why a switchap round failed.
#[derive(Debug)]
pub enum Failure {
    /// No reply with the request's id within the wait.
    NoReply {
        waited: Duration,
        /// Replies with other ids seen meanwhile.
        others: usize,
    },
    /// A message on the reply topic that is no usable reply (why, and an excerpt of it).
    BadReply { why: String, excerpt: String },
    /// The device answered with another code than 200.
    Refused { code: Value, reply: Value },
    /// The broker could not be used.
    Io(io::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NoReply { waited, others } => {
                write!(
                    f,
                    "no switchap_reply with the request's id within {} ms",
                    waited.as_millis()
                )?;
                if *others > 0 {
                    write!(f, " ({others} reply(ies) with other ids ignored)")?;
                }
                write!(
                    f,
                    ": is the device online, built with Wi-Fi provisioning (it subscribes \
                     thing/awss/device/switchap), and the request well formed (a device \
                     refuses bad input without a reply)?"
                )
            }
            Failure::BadReply { why, excerpt } => {
                write!(f, "unusable switchap_reply ({why}): {excerpt}")
            }
            Failure::Refused { code, reply } => {
                write!(
                    f,
                    "the device refused the switch: code {code}, reply {reply}"
                )
            }
            Failure::Io(e) => write!(f, "{e}"),
        }
    }
}

/// What one message on the reply topic says about the request `id`.
#[derive(Debug)]
pub enum Verdict {
    /// It answers the request with code 200.
    Accepted(Value),
    /// It answers another request: not ours.
    OtherId,
    /// It answers the request with another code.
    Refused { code: Value, reply: Value },
    /// It is no reply at all: not one JSON object, no id, a bad id, no code or no data object.
    Bad(String),
}

/// The printable start of `bytes` (escapes for anything else), for an error message.
pub fn excerpt(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(120) {
        if (0x20..0x7f).contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02X}"));
        }
    }
    if bytes.len() > 120 {
        s.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    s
}

/// Judge one message on the reply topic (`serde_json`, strict: one value and nothing after).
pub fn judge(payload: &[u8], id: &str) -> Verdict {
    let v: Value = match serde_json::from_slice(payload) {
        Ok(v) => v,
        Err(e) => return Verdict::Bad(format!("not one JSON value: {e}")),
    };
    let Some(obj) = v.as_object() else {
        return Verdict::Bad("not a JSON object".into());
    };
    let echoed = match obj.get("id") {
        None => return Verdict::Bad("no id".into()),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => return Verdict::Bad(format!("id {other} is neither a string nor a number")),
    };
    if echoed != id {
        return Verdict::OtherId;
    }
    let code_ok = match obj.get("code") {
        None => return Verdict::Bad("no code".into()),
        Some(Value::Number(n)) => n.as_u64() == Some(200),
        Some(Value::String(s)) => s == "200",
        Some(_) => false,
    };
    if !code_ok {
        return Verdict::Refused {
            code: obj.get("code").cloned().unwrap_or(Value::Null),
            reply: v.clone(),
        };
    }
    if !obj.get("data").is_some_and(Value::is_object) {
        return Verdict::Bad("code 200 without a data object".into());
    }
    Verdict::Accepted(v)
}

/// Publish the request (QoS 1) through `client` and wait up to `wait` for its reply (the reply
/// topic is subscribed first, so no reply is missed).
pub fn send(client: &Client, req: &Request, wait: Duration) -> Result<Accepted, Failure> {
    let reply = reply_topic(&req.pk, &req.dn);
    client
        .subscribe(&reply, QoS::AtLeastOnce)
        .map_err(Failure::Io)?;
    let body = req.payload().to_string();
    let start = Instant::now();
    client
        .publish(
            &request_topic(&req.pk, &req.dn),
            body.as_bytes(),
            QoS::AtLeastOnce,
        )
        .map_err(Failure::Io)?;
    let deadline = start + wait;
    let mut others = 0;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(m) = client.recv_timeout(left) else {
            break;
        };
        if m.topic != reply {
            continue;
        }
        match judge(&m.payload, &req.id) {
            Verdict::Accepted(v) => {
                return Ok(Accepted {
                    reply: v,
                    elapsed: start.elapsed(),
                    others,
                })
            }
            Verdict::OtherId => others += 1,
            Verdict::Refused { code, reply } => return Err(Failure::Refused { code, reply }),
            Verdict::Bad(why) => {
                return Err(Failure::BadReply {
                    why,
                    excerpt: excerpt(&m.payload),
                })
            }
        }
    }
    Err(Failure::NoReply {
        waited: wait,
        others,
    })
}
