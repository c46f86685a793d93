//! The cloud's side of binding: a token store (pure logic, clock passed in) and a runner that
//! serves it over MQTT.
//!
//! Device topics are the SDK's (SPEC section 5). Phones talk to the simulator on topics of our
//! own design:
//! - `/devbind/phone/<phone>/bind` `{"id":"1","token":"<32 hex>","phone":"<phone>"}` and the
//!   answer on `/devbind/phone/<phone>/bind_reply`
//!   `{"id":"1","code":200|404|409|410|400,"message":"..","productKey":..,"deviceName":..}`.

use crate::mqtt::Client;
use rumqttc::mqttbytes::QoS;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub const DEFAULT_TTL_MS: u64 = 45_000;
/// The simulator forgets tokens this long after they expired (it still says "expired" till then).
const FORGET_AFTER_MS: u64 = 600_000;
/// How often at most it looks for tokens to forget (a look visits every token held).
const FORGET_EVERY_MS: u64 = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Device {
    pub pk: String,
    pub dn: String,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.pk, self.dn)
    }
}

#[derive(Clone, Debug)]
enum TokenState {
    Live,
    Bound { phone: String },
}

#[derive(Clone, Debug)]
struct TokenEntry {
    device: Device,
    expires_ms: u64,
    reports: u32,
    state: TokenState,
}

/// What the cloud saw or did; printed as a line (or JSON) and watched by the demo.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A device reported a token; `again` when it was already held (a re-report).
    TokenReported {
        device: Device,
        token: String,
        id: String,
        again: bool,
        ttl_ms: u64,
    },
    /// A report that could not be used (bad JSON, bad token).
    ReportRefused {
        topic: String,
        reason: String,
    },
    Bound {
        device: Device,
        phone: String,
        token: String,
    },
    BindRefused {
        phone: String,
        token: String,
        code: u16,
        reason: String,
    },
    Reset {
        device: Device,
        id: String,
        unbound: Vec<String>,
    },
    Stats {
        device: Device,
        text: String,
    },
    /// The connection to the broker dropped: the simulator reconnects.
    BrokerLost {
        broker: String,
    },
    /// Connected again, every topic subscribed again.
    BrokerBack {
        broker: String,
        attempts: u32,
        topics: usize,
    },
}

impl Event {
    pub fn to_json(&self) -> Value {
        match self {
            Event::TokenReported {
                device,
                token,
                id,
                again,
                ttl_ms,
            } => json!({"event":"token_reported","productKey":device.pk,"deviceName":device.dn,
                "token":token,"id":id,"again":again,"ttlMs":ttl_ms}),
            Event::ReportRefused { topic, reason } => {
                json!({"event":"report_refused","topic":topic,"reason":reason})
            }
            Event::Bound {
                device,
                phone,
                token,
            } => json!({"event":"bound","productKey":device.pk,"deviceName":device.dn,
                "phone":phone,"token":token}),
            Event::BindRefused {
                phone,
                token,
                code,
                reason,
            } => json!({"event":"bind_refused","phone":phone,"token":token,"code":code,
                "reason":reason}),
            Event::Reset {
                device,
                id,
                unbound,
            } => json!({"event":"reset","productKey":device.pk,"deviceName":device.dn,
                "id":id,"unbound":unbound}),
            Event::Stats { device, text } => json!({"event":"stats","productKey":device.pk,
                "deviceName":device.dn,"text":text}),
            Event::BrokerLost { broker } => json!({"event":"broker_lost","broker":broker}),
            Event::BrokerBack {
                broker,
                attempts,
                topics,
            } => json!({"event":"broker_back","broker":broker,"attempts":attempts,
                "topics":topics}),
        }
    }

    /// One readable line (`device -> cloud ...`).
    pub fn line(&self) -> String {
        match self {
            Event::TokenReported {
                device,
                token,
                id,
                again,
                ttl_ms,
            } => format!(
                "device -> cloud  report token {token} (id {id}, {device}){}; cloud -> device  match_reply 200, live {} s",
                if *again { " again" } else { "" },
                ttl_ms / 1000
            ),
            Event::ReportRefused { topic, reason } => {
                format!("device -> cloud  unusable report on {topic}: {reason}")
            }
            Event::Bound {
                device,
                phone,
                token,
            } => format!("phone {phone} -> cloud  bind {token}: 200 bound to {device}"),
            Event::BindRefused {
                phone,
                token,
                code,
                reason,
            } => format!("phone {phone} -> cloud  bind {token}: {code} {reason}"),
            Event::Reset {
                device,
                unbound,
                ..
            } => format!(
                "device -> cloud  thing/reset ({device}); cloud -> device  reset_reply 200, unbound {}",
                if unbound.is_empty() {
                    "nobody".to_string()
                } else {
                    unbound.join(", ")
                }
            ),
            Event::Stats { device, text } => format!("device -> cloud  log/post ({device}) {text}"),
            Event::BrokerLost { broker } => {
                format!("cloud  lost the broker {broker}: reconnecting (tokens kept)")
            }
            Event::BrokerBack {
                broker,
                attempts,
                topics,
            } => format!(
                "cloud  reconnected to the broker {broker} after {attempts} attempt(s), {topics} topics subscribed again"
            ),
        }
    }
}

/// Result of a bind request.
#[derive(Clone, Debug, PartialEq)]
pub struct BindResult {
    pub code: u16,
    pub message: String,
    pub device: Option<Device>,
}

/// The token store.
pub struct Cloud {
    ttl_ms: u64,
    tokens: HashMap<String, TokenEntry>,
    bindings: BTreeMap<Device, Vec<String>>,
    /// When it last looked for tokens to forget.
    forgot_at_ms: Option<u64>,
}

fn is_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `/sys/<pk>/<dn>/<rest>` -> (device, rest)
fn device_topic(topic: &str) -> Option<(Device, &str)> {
    let rest = topic.strip_prefix("/sys/")?;
    let mut it = rest.splitn(3, '/');
    let pk = it.next()?;
    let dn = it.next()?;
    let tail = it.next()?;
    if pk.is_empty() || dn.is_empty() {
        return None;
    }
    Some((
        Device {
            pk: pk.into(),
            dn: dn.into(),
        },
        tail,
    ))
}

fn id_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

impl Cloud {
    pub fn new(ttl_ms: u64) -> Self {
        Cloud {
            ttl_ms,
            tokens: HashMap::new(),
            bindings: BTreeMap::new(),
            forgot_at_ms: None,
        }
    }

    /// Records a reported token; returns whether it was held already.
    pub fn report(&mut self, device: Device, token: &str, now_ms: u64) -> bool {
        let token = token.to_ascii_uppercase();
        if self
            .forgot_at_ms
            .is_none_or(|at| now_ms >= at + FORGET_EVERY_MS)
        {
            self.forgot_at_ms = Some(now_ms);
            self.tokens
                .retain(|_, e| e.expires_ms + FORGET_AFTER_MS > now_ms);
        }
        match self.tokens.get_mut(&token) {
            Some(e) => {
                e.reports += 1;
                if let TokenState::Live = e.state {
                    e.expires_ms = now_ms + self.ttl_ms;
                    e.device = device;
                }
                true
            }
            None => {
                self.tokens.insert(
                    token,
                    TokenEntry {
                        device,
                        expires_ms: now_ms + self.ttl_ms,
                        reports: 1,
                        state: TokenState::Live,
                    },
                );
                false
            }
        }
    }

    /// A phone presents a token.
    pub fn bind(&mut self, phone: &str, token: &str, now_ms: u64) -> BindResult {
        let token = token.to_ascii_uppercase();
        let refuse = |code, m: String| BindResult {
            code,
            message: m,
            device: None,
        };
        if !is_token(&token) {
            return refuse(400, "not a token (32 hex digits expected)".into());
        }
        let Some(e) = self.tokens.get_mut(&token) else {
            return refuse(
                404,
                "unknown token: the device never reported it (or reported another one)".into(),
            );
        };
        match &e.state {
            TokenState::Bound { phone: p } => refuse(
                409,
                format!("token already used: it bound {p} to {}", e.device),
            ),
            TokenState::Live if now_ms >= e.expires_ms => refuse(
                410,
                format!(
                    "token expired {} ms ago",
                    now_ms.saturating_sub(e.expires_ms)
                ),
            ),
            TokenState::Live => {
                e.state = TokenState::Bound {
                    phone: phone.into(),
                };
                let device = e.device.clone();
                let phones = self.bindings.entry(device.clone()).or_default();
                if !phones.iter().any(|p| p == phone) {
                    phones.push(phone.into());
                }
                BindResult {
                    code: 200,
                    message: format!("bound to {device}"),
                    device: Some(device),
                }
            }
        }
    }

    /// A factory reset: the device's bindings go.
    pub fn reset(&mut self, device: &Device) -> Vec<String> {
        self.bindings.remove(device).unwrap_or_default()
    }

    pub fn phones_of(&self, device: &Device) -> Vec<String> {
        self.bindings.get(device).cloned().unwrap_or_default()
    }

    /// Tokens still live at `now_ms`, with ms left.
    pub fn live_tokens(&self, now_ms: u64) -> Vec<(String, Device, u64)> {
        let mut v: Vec<_> = self
            .tokens
            .iter()
            .filter(|(_, e)| matches!(e.state, TokenState::Live) && e.expires_ms > now_ms)
            .map(|(t, e)| (t.clone(), e.device.clone(), e.expires_ms - now_ms))
            .collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.2));
        v
    }

    /// What the cloud holds, in one line.
    pub fn summary(&self, now_ms: u64) -> String {
        let live = self.live_tokens(now_ms);
        let mut s = format!("holds {} live token(s)", live.len());
        for (d, phones) in &self.bindings {
            s.push_str(&format!("; {d} bound to {}", phones.join(", ")));
        }
        s
    }

    pub fn summary_json(&self, now_ms: u64) -> Value {
        let live: Vec<Value> = self
            .live_tokens(now_ms)
            .into_iter()
            .map(|(t, d, left)| json!({"token":t,"productKey":d.pk,"deviceName":d.dn,"remainMs":left}))
            .collect();
        let bound: Vec<Value> = self
            .bindings
            .iter()
            .map(|(d, p)| json!({"productKey":d.pk,"deviceName":d.dn,"phones":p}))
            .collect();
        json!({"liveTokens":live,"bindings":bound})
    }

    /// Handles one MQTT message: the replies to publish and the events to show.
    pub fn handle(
        &mut self,
        topic: &str,
        payload: &[u8],
        now_ms: u64,
    ) -> (Vec<(String, Vec<u8>)>, Vec<Event>) {
        let mut out = Vec::new();
        let mut ev = Vec::new();
        let parsed: Option<Value> = serde_json::from_slice(payload).ok();
        let obj = parsed.as_ref().filter(|v| v.is_object());
        if let Some(phone) = topic
            .strip_prefix("/devbind/phone/")
            .and_then(|r| r.strip_suffix("/bind"))
        {
            let reply_topic = format!("/devbind/phone/{phone}/bind_reply");
            let id = obj
                .and_then(|o| o.get("id"))
                .cloned()
                .unwrap_or(Value::Null);
            let token = obj
                .and_then(|o| o.get("token"))
                .and_then(|t| t.as_str())
                .unwrap_or("")
                .to_ascii_uppercase();
            let r = self.bind(phone, &token, now_ms);
            let mut reply = json!({"id":id,"code":r.code,"message":r.message});
            if let Some(d) = &r.device {
                reply["productKey"] = json!(d.pk);
                reply["deviceName"] = json!(d.dn);
                ev.push(Event::Bound {
                    device: d.clone(),
                    phone: phone.into(),
                    token: token.clone(),
                });
            } else {
                ev.push(Event::BindRefused {
                    phone: phone.into(),
                    token: token.clone(),
                    code: r.code,
                    reason: r.message.clone(),
                });
            }
            out.push((reply_topic, reply.to_string().into_bytes()));
            return (out, ev);
        }
        let Some((device, tail)) = device_topic(topic) else {
            return (out, ev);
        };
        let id = obj.and_then(|o| o.get("id")).cloned();
        match tail {
            "thing/awss/enrollee/match" => {
                let token = obj
                    .and_then(|o| o.get("params"))
                    .and_then(|p| p.get("token"))
                    .and_then(|t| t.as_str())
                    .map(|t| t.to_ascii_uppercase());
                let reply_topic = format!(
                    "/sys/{}/{}/thing/awss/enrollee/match_reply",
                    device.pk, device.dn
                );
                let idv = id.clone().unwrap_or(Value::Null);
                match token {
                    Some(t) if is_token(&t) => {
                        let again = self.report(device.clone(), &t, now_ms);
                        out.push((
                            reply_topic,
                            json!({"id":idv,"code":200,"data":{}})
                                .to_string()
                                .into_bytes(),
                        ));
                        ev.push(Event::TokenReported {
                            device,
                            token: t,
                            id: id_text(id.as_ref()),
                            again,
                            ttl_ms: self.ttl_ms,
                        });
                    }
                    _ => {
                        let reason = if obj.is_none() {
                            "payload is not a JSON object"
                        } else {
                            "params.token missing or not 32 hex digits"
                        };
                        out.push((
                            reply_topic,
                            json!({"id":idv,"code":400,"data":{},"message":reason})
                                .to_string()
                                .into_bytes(),
                        ));
                        ev.push(Event::ReportRefused {
                            topic: topic.into(),
                            reason: reason.into(),
                        });
                    }
                }
            }
            "thing/reset" => {
                let unbound = self.reset(&device);
                let idv = id.clone().unwrap_or(Value::Null);
                out.push((
                    format!("/sys/{}/{}/thing/reset_reply", device.pk, device.dn),
                    json!({"id":idv,"code":200,"data":{}})
                        .to_string()
                        .into_bytes(),
                ));
                ev.push(Event::Reset {
                    device,
                    id: id_text(id.as_ref()),
                    unbound,
                });
            }
            "thing/log/post" => {
                let text = obj
                    .and_then(|o| o.get("params"))
                    .and_then(|p| p.get("contents"))
                    .and_then(|c| c.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    })
                    .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned());
                ev.push(Event::Stats { device, text });
            }
            _ => {}
        }
        (out, ev)
    }
}

/// Connects as the cloud and subscribes to [`CLOUD_FILTERS`].
fn connect_cloud(broker: &str) -> io::Result<Client> {
    let client = Client::connect(broker, "devbind-cloud", Duration::from_secs(5))?;
    for f in CLOUD_FILTERS {
        client.subscribe(f, QoS::AtLeastOnce)?;
    }
    Ok(client)
}

/// Topics the simulator subscribes to.
pub const CLOUD_FILTERS: [&str; 4] = [
    "/sys/+/+/thing/awss/enrollee/match",
    "/sys/+/+/thing/reset",
    "/sys/+/+/thing/log/post",
    "/devbind/phone/+/bind",
];

/// A cloud simulator serving a broker in a background thread; stops when dropped.
pub struct CloudRunner {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl CloudRunner {
    /// Connects to `broker`, subscribes, and calls `on_event(event, summary_json, summary_line)`
    /// for every event, before the replies of the message that caused it are published.
    pub fn start<F>(broker: &str, ttl_ms: u64, on_event: F) -> io::Result<CloudRunner>
    where
        F: FnMut(&Event, &Cloud, u64) + Send + 'static,
    {
        Self::start_with_delay(broker, ttl_ms, Duration::ZERO, on_event)
    }

    /// Same, but every reply (`match_reply`, `reset_reply`, `bind_reply`) is published
    /// `ack_delay` after the message it answers, as a distant cloud's would be; messages keep
    /// being received and handled meanwhile (the event comes when the message is handled).
    pub fn start_with_delay<F>(
        broker: &str,
        ttl_ms: u64,
        ack_delay: Duration,
        mut on_event: F,
    ) -> io::Result<CloudRunner>
    where
        F: FnMut(&Event, &Cloud, u64) + Send + 'static,
    {
        let client = connect_cloud(broker)?;
        let broker = broker.to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = thread::spawn(move || {
            let start = Instant::now();
            let mut cloud = Cloud::new(ttl_ms);
            let mut client = Some(client);
            // Replies waiting for their time, in the order they are due.
            let mut delayed: VecDeque<(Instant, String, Vec<u8>)> = VecDeque::new();
            while !stop2.load(Ordering::Relaxed) {
                let now = start.elapsed().as_millis() as u64;
                let c = match client.take() {
                    Some(c) if c.is_connected() => c,
                    Some(_) => {
                        on_event(
                            &Event::BrokerLost {
                                broker: broker.clone(),
                            },
                            &cloud,
                            now,
                        );
                        continue;
                    }
                    None => {
                        // A broker restart: try again every second, tokens kept meanwhile.
                        let mut attempts = 0;
                        while !stop2.load(Ordering::Relaxed) {
                            attempts += 1;
                            if let Ok(c) = connect_cloud(&broker) {
                                let now = start.elapsed().as_millis() as u64;
                                let back = Event::BrokerBack {
                                    broker: broker.clone(),
                                    attempts,
                                    topics: CLOUD_FILTERS.len(),
                                };
                                on_event(&back, &cloud, now);
                                client = Some(c);
                                break;
                            }
                            for _ in 0..10 {
                                if stop2.load(Ordering::Relaxed) {
                                    break;
                                }
                                thread::sleep(Duration::from_millis(100));
                            }
                        }
                        continue;
                    }
                };
                while delayed.front().is_some_and(|d| d.0 <= Instant::now()) {
                    if let Some((_, t, p)) = delayed.pop_front() {
                        let _ = c.publish(&t, &p, QoS::AtMostOnce);
                    }
                }
                let wait = delayed.front().map_or(Duration::from_millis(100), |d| {
                    d.0.saturating_duration_since(Instant::now())
                        .min(Duration::from_millis(100))
                });
                let Some(m) = c.recv_timeout(wait) else {
                    client = Some(c);
                    continue;
                };
                let client = client.insert(c);
                let now = start.elapsed().as_millis() as u64;
                let (replies, events) = cloud.handle(&m.topic, &m.payload, now);
                // Events first: whoever waits on them (the demo) must see a report or a bind
                // before the device or the phone can act on the reply.
                for e in &events {
                    on_event(e, &cloud, now);
                }
                for (t, p) in replies {
                    if ack_delay.is_zero() {
                        let _ = client.publish(&t, &p, QoS::AtMostOnce);
                    } else {
                        delayed.push_back((Instant::now() + ack_delay, t, p));
                    }
                }
            }
        });
        Ok(CloudRunner {
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for CloudRunner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Phone side of binding: present `token` to the cloud; waits at most `timeout` for the answer.
pub fn phone_bind(
    broker: &str,
    phone: &str,
    token: &str,
    timeout: Duration,
) -> io::Result<BindResult> {
    let client = Client::connect(
        broker,
        &format!("devbind-phone-{phone}-{}", std::process::id()),
        timeout,
    )?;
    phone_bind_with(&client, phone, token, 1, timeout)
}

/// Same, over an existing connection (the demo keeps one per phone); `id` tags the request.
pub fn phone_bind_with(
    client: &Client,
    phone: &str,
    token: &str,
    id: u32,
    timeout: Duration,
) -> io::Result<BindResult> {
    let reply = format!("/devbind/phone/{phone}/bind_reply");
    client.subscribe(&reply, QoS::AtLeastOnce)?;
    let req = json!({"id":id.to_string(),"token":token,"phone":phone}).to_string();
    client.publish(
        &format!("/devbind/phone/{phone}/bind"),
        req.as_bytes(),
        QoS::AtLeastOnce,
    )?;
    let deadline = Instant::now() + timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(m) = client.recv_timeout(left) else {
            break;
        };
        if m.topic != reply {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&m.payload) else {
            continue;
        };
        if v.get("id").and_then(|x| x.as_str()) != Some(id.to_string().as_str()) {
            continue;
        }
        let code = v.get("code").and_then(|c| c.as_u64()).unwrap_or(0) as u16;
        let device = match (
            v.get("productKey").and_then(|x| x.as_str()),
            v.get("deviceName").and_then(|x| x.as_str()),
        ) {
            (Some(pk), Some(dn)) => Some(Device {
                pk: pk.into(),
                dn: dn.into(),
            }),
            _ => None,
        };
        return Ok(BindResult {
            code,
            message: v
                .get("message")
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .into(),
            device,
        });
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        "the cloud did not answer the bind request (is `devbind cloud` running on that broker?)",
    ))
}
