//! `devbind fake-device`: a stand-in for the example device, written in Rust, that follows the
//! guide's device behaviour and takes the same flags as `build/host/devbind-device`. It exists so
//! the demo and its tests can run before (or without) the C example; it is not the firmware
//! library. Its log lines use the library's keywords so `devbind doctor` reads them.

use crate::mqtt::Client;
use crate::phone::{fill_random, path_of, MCAST_PATH, NOTIFY_PATH};
use coap_lite::{
    CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType,
};
use rumqttc::mqttbytes::QoS;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

pub struct Options {
    pub broker: String,
    pub pk: String,
    pub dn: String,
    pub mac: String,
    pub ip: String,
    pub coap_bind: String,
    pub notify_to: Option<String>,
    pub kv: String,
    pub token: Option<String>,
    pub factory_reset: bool,
    pub report_retry_ms: u64,
    pub report_attempts: u32,
    pub token_lifetime_ms: u64,
    pub notify_count: u32,
    pub notify_step_ms: u64,
    pub reset_retry_ms: u64,
    pub run_ms: Option<u64>,
}

impl Options {
    pub fn from_flags(f: &HashMap<String, String>) -> Result<Options, String> {
        let num = |k: &str, d: u64| -> Result<u64, String> {
            match f.get(k) {
                Some(v) => v.parse().map_err(|_| format!("--{k}: not a number: {v}")),
                None => Ok(d),
            }
        };
        let s = |k: &str, d: &str| f.get(k).cloned().unwrap_or_else(|| d.to_string());
        Ok(Options {
            broker: f
                .get("broker")
                .cloned()
                .ok_or("--broker HOST:PORT is required")?,
            pk: s("pk", "a1demoPK01"),
            dn: s("dn", "demo_device_01"),
            mac: s("mac", "02:00:00:00:00:01").to_ascii_uppercase(),
            ip: s("ip", "127.0.0.1"),
            coap_bind: s("coap-bind", "0.0.0.0:5683"),
            notify_to: f.get("notify-to").cloned(),
            kv: s("kv", "./devbind-kv.txt"),
            token: f.get("token").cloned(),
            factory_reset: f.contains_key("factory-reset"),
            report_retry_ms: num("report-retry-ms", 30_000)?,
            report_attempts: num("report-attempts", 2)? as u32,
            token_lifetime_ms: num("token-lifetime-ms", 45_000)?,
            notify_count: num("notify-count", 30)? as u32,
            notify_step_ms: num("notify-step-ms", 100)?,
            reset_retry_ms: num("reset-retry-ms", 3_000)?,
            run_ms: f.get("run-ms").map(|v| v.parse().unwrap_or(0)),
        })
    }
}

struct Query {
    from: SocketAddr,
    msgid: u16,
    token: Vec<u8>,
    id: Value,
}

struct Dev {
    o: Options,
    start: Instant,
    mqtt: Client,
    sock: UdpSocket,
    token: String,
    next_id: u32,
    ids: Vec<u32>,
    acked: bool,
    last_report: Instant,
    attempts: u32,
    next_retry: Option<Instant>,
    pending: Vec<Query>,
    notify_started: bool,
    notify_sent: u32,
    next_notify: Option<Instant>,
    notify_tokens: Vec<Vec<u8>>,
    reset_pending: bool,
    reset_delay: u64,
    next_reset: Option<Instant>,
    mid: u16,
}

fn hex_token() -> String {
    let mut b = [0u8; 16];
    fill_random(&mut b);
    b.iter().map(|x| format!("{x:02X}")).collect()
}

impl Dev {
    fn log(&self, level: &str, msg: &str) {
        let ms = self.start.elapsed().as_millis();
        println!("[{ms}] [{level}] dev_bind: {msg}");
        let _ = io::stdout().flush();
    }

    fn dlog(&self, msg: &str) {
        let ms = self.start.elapsed().as_millis();
        println!("[{ms}] device: {msg}");
        let _ = io::stdout().flush();
    }

    fn topic(&self, tail: &str) -> String {
        format!("/sys/{}/{}/{}", self.o.pk, self.o.dn, tail)
    }

    fn devinfo(&self) -> Value {
        let left =
            (self.o.token_lifetime_ms as i64) - self.last_report.elapsed().as_millis() as i64;
        json!({"awssVer":{"smartconfig":"2.0","zconfig":"2.0","router":"2.0","ap":"2.0","softap":"2.0"},
            "productKey":self.o.pk,"deviceName":self.o.dn,"mac":self.o.mac,"ip":self.o.ip,
            "cipherType":3,"token":self.token,"remainTime":left.max(0),"type":0})
    }

    fn publish_report(&mut self) {
        let id = self.next_id;
        self.next_id += 1;
        self.ids.push(id);
        let body = format!(
            "{{\"id\":\"{id}\",\"version\":\"1.0\",\"method\":\"thing.awss.enrollee.match\",\"params\":{{\"token\":\"{}\"}}}}",
            self.token
        );
        self.log("dbg", &format!("report token:{body}"));
        let res = match self.mqtt.publish(
            &self.topic("thing/awss/enrollee/match"),
            body.as_bytes(),
            QoS::AtLeastOnce,
        ) {
            Ok(()) => 0,
            Err(_) => -1,
        };
        self.log("inf", &format!("report token res:{res}"));
        self.attempts += 1;
        self.last_report = Instant::now();
        self.next_retry = Some(Instant::now() + Duration::from_millis(self.o.report_retry_ms));
    }

    fn new_token(&mut self, reason: &str) {
        self.log("inf", &format!("update token ({reason})"));
        self.token = hex_token();
        self.ids.clear();
        self.acked = false;
        self.attempts = 0;
        self.publish_report();
    }

    fn valid(&self) -> bool {
        self.acked && self.last_report.elapsed().as_millis() < self.o.token_lifetime_ms as u128
    }

    fn answer(&mut self, q: Query) {
        let body = json!({"id":q.id,"code":200,"data":self.devinfo()}).to_string();
        self.log("inf", &format!("sending message to app: {body}"));
        let mut p = Packet::new();
        p.header.set_type(MessageType::NonConfirmable);
        p.header.code = MessageClass::Response(ResponseType::Content);
        p.header.message_id = q.msgid;
        p.set_token(q.token);
        p.set_content_format(ContentFormat::ApplicationJSON);
        p.payload = body.into_bytes();
        if let Ok(b) = p.to_bytes() {
            let _ = self.sock.send_to(&b, q.from);
        }
    }

    fn on_mqtt(&mut self, topic: &str, payload: &[u8]) {
        let v: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
        let code_ok = match v.get("code") {
            Some(Value::Number(n)) => n.as_u64() == Some(200),
            Some(Value::String(s)) => s == "200",
            _ => false,
        };
        let id: Option<u32> = match v.get("id") {
            Some(Value::String(s)) => s.parse().ok(),
            Some(Value::Number(n)) => n.as_u64().map(|x| x as u32),
            _ => None,
        };
        if topic == self.topic("thing/awss/enrollee/match_reply") {
            self.log("inf", "awss_report_token_reply");
            if !code_ok || !id.is_some_and(|i| self.ids.contains(&i)) {
                self.log(
                    "wrn",
                    "match_reply ignored: not for the current token or code not 200",
                );
                return;
            }
            self.acked = true;
            self.next_retry = None;
            if !self.notify_started {
                self.notify_started = true;
                self.next_notify = Some(Instant::now());
            }
            // One waiting phone per acknowledged token: answer it, then rotate for the next.
            if !self.pending.is_empty() {
                let q = self.pending.remove(0);
                self.answer(q);
                self.new_token("token handed to a waiting phone");
            }
        } else if topic == self.topic("thing/reset_reply") && self.reset_pending && code_ok {
            self.reset_pending = false;
            self.next_reset = None;
            let _ = std::fs::write(&self.o.kv, "");
            self.log("inf", "reset report acknowledged, awss.rst cleared");
            self.start_bind();
        }
    }

    fn start_bind(&mut self) {
        self.token = match self.o.token.take() {
            Some(t) => {
                self.log("inf", "using the token from provisioning");
                t.to_ascii_uppercase()
            }
            None => hex_token(),
        };
        self.publish_report();
    }

    fn send_notify(&mut self) {
        self.notify_sent += 1;
        let body = json!({"id":self.notify_sent.to_string(),"version":"1.0","method":"device.info.notify","params":self.devinfo()}).to_string();
        self.log("inf", &format!("topic:{NOTIFY_PATH}"));
        self.log("dbg", &format!("payload:{body}"));
        let mut tok = vec![0u8; 4];
        fill_random(&mut tok);
        self.notify_tokens.push(tok.clone());
        let mut p = Packet::new();
        p.header.set_type(MessageType::NonConfirmable);
        p.header.code = MessageClass::Request(RequestType::Post);
        self.mid = self.mid.wrapping_add(1);
        p.header.message_id = self.mid;
        p.set_token(tok);
        for s in NOTIFY_PATH.split('/').filter(|s| !s.is_empty()) {
            p.add_option(CoapOption::UriPath, s.as_bytes().to_vec());
        }
        p.set_content_format(ContentFormat::ApplicationJSON);
        p.payload = body.into_bytes();
        let dest = self
            .o
            .notify_to
            .clone()
            .unwrap_or_else(|| "255.255.255.255:5683".into());
        if let (Ok(b), Ok(d)) = (p.to_bytes(), dest.parse::<SocketAddr>()) {
            let _ = self.sock.send_to(&b, d);
        }
        if self.notify_sent < self.o.notify_count {
            self.next_notify = Some(Instant::now() + Duration::from_millis(self.notify_step_gap()));
        } else {
            self.next_notify = None;
        }
    }

    fn notify_step_gap(&self) -> u64 {
        self.notify_sent as u64 * self.o.notify_step_ms
    }

    fn on_coap(&mut self, buf: &[u8], from: SocketAddr) {
        let Ok(p) = Packet::from_bytes(buf) else {
            self.dlog("coap: undecodable datagram ignored");
            return;
        };
        match p.header.code {
            MessageClass::Response(_) => {
                if !self.notify_tokens.iter().any(|t| t == p.get_token()) {
                    return;
                }
                let v: Value = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                if v.get("code").and_then(|c| c.as_u64()) == Some(200) {
                    self.log("inf", &format!("notify acked by phone {from}"));
                    self.notify_tokens.clear();
                    self.next_notify = None;
                    self.new_token("a phone took the broadcast token");
                }
            }
            MessageClass::Request(_) => {
                let path = path_of(&p);
                let uni = format!("/sys/{}/{}/device/info/get", self.o.pk, self.o.dn);
                if path != MCAST_PATH && path != uni {
                    return;
                }
                self.dlog(&format!("Request path is {path}"));
                let Ok(v) = serde_json::from_slice::<Value>(&p.payload) else {
                    self.log("wrn", "query payload is not JSON: no answer");
                    return;
                };
                let id = match v.get("id") {
                    Some(Value::String(s))
                        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        s.parse::<u64>()
                            .map(Value::from)
                            .unwrap_or(Value::String(s.clone()))
                    }
                    Some(x) => x.clone(),
                    None => Value::Null,
                };
                let q = Query {
                    from,
                    msgid: p.header.message_id,
                    token: p.get_token().to_vec(),
                    id,
                };
                if self.pending.is_empty() && self.valid() {
                    self.answer(q);
                    self.new_token("token handed to a phone");
                } else {
                    self.pending.push(q);
                    if self.acked || self.next_retry.is_none() {
                        self.new_token("no valid token for a query");
                    }
                }
            }
            _ => {}
        }
    }

    fn tick(&mut self) {
        let now = Instant::now();
        if self.next_retry.is_some_and(|t| now >= t) {
            if self.attempts < self.o.report_attempts {
                self.publish_report();
            } else {
                self.next_retry = None;
                self.log("err", &format!("try {} times fail", self.attempts));
            }
        }
        if self.next_notify.is_some_and(|t| now >= t) {
            self.send_notify();
        }
        if self.next_reset.is_some_and(|t| now >= t) {
            self.report_reset();
        }
    }

    fn report_reset(&mut self) {
        let body = "{\"id\":\"0\", \"version\":\"1.0\", \"method\":\"thing.reset\", \"params\":{}}";
        self.log("inf", &format!("report reset:{body}"));
        let _ = self
            .mqtt
            .publish(&self.topic("thing/reset"), body.as_bytes(), QoS::AtMostOnce);
        self.next_reset = Some(Instant::now() + Duration::from_millis(self.reset_delay));
        self.reset_delay = (self.reset_delay * 2).min(60_000);
    }
}

/// Runs the fake device until `--run-ms` passes (or forever).
pub fn run(o: Options) -> io::Result<()> {
    let start = Instant::now();
    let sock = UdpSocket::bind(&o.coap_bind)?;
    sock.set_nonblocking(true)?;
    let _ = sock.set_broadcast(true);
    let client_id = format!("{}.{}", o.pk, o.dn);
    let mqtt = Client::connect(&o.broker, &client_id, Duration::from_secs(5))?;
    let reset_delay = o.reset_retry_ms;
    let mut d = Dev {
        o,
        start,
        mqtt,
        sock,
        token: String::new(),
        next_id: 0,
        ids: Vec::new(),
        acked: false,
        last_report: Instant::now(),
        attempts: 0,
        next_retry: None,
        pending: Vec::new(),
        notify_started: false,
        notify_sent: 0,
        next_notify: None,
        notify_tokens: Vec::new(),
        reset_pending: false,
        reset_delay,
        next_reset: None,
        mid: 1,
    };
    d.dlog("mqtt connect success!");
    d.mqtt
        .subscribe(&d.topic("thing/awss/enrollee/match_reply"), QoS::AtMostOnce)?;
    d.mqtt
        .subscribe(&d.topic("thing/reset_reply"), QoS::AtMostOnce)?;
    d.log(
        "inf",
        &format!("sub {} success", d.topic("thing/awss/enrollee/match_reply")),
    );
    if d.o.factory_reset {
        std::fs::write(&d.o.kv, "awss.rst=01\n")?;
    }
    let flagged = std::fs::read_to_string(&d.o.kv)
        .map(|s| s.contains("awss.rst=01"))
        .unwrap_or(false);
    if flagged {
        d.reset_pending = true;
        d.report_reset();
    } else {
        d.start_bind();
    }
    let mut buf = [0u8; 2048];
    loop {
        if let Some(ms) = d.o.run_ms {
            if start.elapsed() >= Duration::from_millis(ms) {
                break;
            }
        }
        if !d.mqtt.is_connected() {
            d.dlog("mqtt connection lost");
            break;
        }
        if let Some(m) = d.mqtt.recv_timeout(Duration::from_millis(5)) {
            d.on_mqtt(&m.topic, &m.payload);
        }
        while let Ok((n, from)) = d.sock.recv_from(&mut buf) {
            let data = buf[..n].to_vec();
            d.on_coap(&data, from);
        }
        d.tick();
    }
    d.dlog("exit");
    Ok(())
}
