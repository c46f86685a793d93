//! `devbind demo`: the embedded broker, the cloud simulator and the example device, playing every
//! flow of the guide on loopback and checking each.

use crate::cloud::{self, CloudRunner, Event};
use crate::doctor::{self, Mark};
use crate::mqtt::{Broker, Client};
use crate::phone::{self, Listener, MCAST_PATH};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const PK: &str = "a1demoPK01";
pub const DN: &str = "demo_device_01";
/// Token lifetime used by the demo (device and cloud), short so flow 4 waits little.
const LIFETIME_MS: u64 = 3000;

/// Which device program to run.
#[derive(Clone, Debug)]
pub enum DeviceSpec {
    Path(PathBuf),
    /// `devbind fake-device` (this binary): the Rust stand-in.
    Fake,
}

pub struct Options {
    pub device: DeviceSpec,
    pub color: bool,
    pub json: bool,
    pub verbose: bool,
}

/// Where the demo looks for the example device when `--device` is not given.
pub fn default_device() -> Option<PathBuf> {
    let mut cands = vec![
        PathBuf::from("build/host/devbind-device"),
        PathBuf::from("../build/host/devbind-device"),
    ];
    if let Ok(exe) = std::env::current_exe() {
        // tools/target/<profile>/devbind -> repo root
        for anc in exe.ancestors().skip(1).take(5) {
            cands.push(anc.join("build/host/devbind-device"));
        }
    }
    cands.into_iter().find(|p| p.is_file())
}

#[derive(Clone, Debug)]
enum Ev {
    Cloud(Event),
    Device(String, Option<Mark>),
    /// A phone received this token (from a notify or a query answer). Recorded by the demo
    /// itself, so it is in the timeline before the phone acts, whatever the device's log lags.
    PhoneGot(String),
}

struct Timeline {
    start: Instant,
    color: bool,
    json: bool,
    verbose: bool,
    events: Mutex<Vec<(u64, Ev)>>,
    cv: Condvar,
    steps_seen: Mutex<[bool; 6]>,
    out: Mutex<()>,
}

impl Timeline {
    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn say(&self, who: &str, text: &str, code: &str) {
        let _g = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let t = self.ms();
        if self.json {
            println!(
                "{}",
                json!({"t": t as f64 / 1000.0, "who": who, "text": text})
            );
        } else {
            let stamp = format!("{:>7.3}s", t as f64 / 1000.0);
            println!("{}  {}", self.paint("2", &stamp), self.paint(code, text));
        }
        let _ = std::io::stdout().flush();
    }

    fn push(&self, ev: Ev) {
        match &ev {
            Ev::Cloud(e) => self.say("cloud", &e.line(), "36"),
            Ev::Device(line, mark) => self.show_device(line, mark.as_ref()),
            Ev::PhoneGot(_) => {}
        }
        let mut g = self.events.lock().unwrap_or_else(|e| e.into_inner());
        g.push((self.ms(), ev));
        self.cv.notify_all();
    }

    fn checkpoint(&self, step: usize, text: &str) {
        let mut seen = self.steps_seen.lock().unwrap_or_else(|e| e.into_inner());
        if !seen[step] {
            seen[step] = true;
            drop(seen);
            self.say("check", &format!("✓ guide step {step}: {text}"), "32");
        }
    }

    fn show_device(&self, line: &str, mark: Option<&Mark>) {
        match mark {
            Some(Mark::MqttConnected) => {
                self.say("device", "device  mqtt connect success!", "33");
                self.checkpoint(1, "MQTT connected");
            }
            Some(Mark::ReportToken(_)) | Some(Mark::ReportRes(_)) => {
                self.checkpoint(2, "token reported (`report token`)");
            }
            Some(Mark::ReplyHandled) => {
                self.checkpoint(3, "cloud reply handled (`awss_report_token_reply`)")
            }
            Some(Mark::NotifyTopic) | Some(Mark::NotifyPayload(..)) => {
                if let (Some(Mark::NotifyPayload(Some(t), r)), true) =
                    (mark, line.contains("payload:"))
                {
                    self.say(
                        "device",
                        &format!(
                            "device -> phone  notify token {t} remainTime {}",
                            r.unwrap_or(-1)
                        ),
                        "33",
                    );
                }
                self.checkpoint(4, "token broadcast (`device.info.notify`)");
            }
            Some(Mark::QueryReceived(p)) => {
                self.say("device", &format!("device  query received on {p}"), "33")
            }
            Some(Mark::Answered(t, r)) => {
                self.say(
                    "device",
                    &format!(
                        "device -> phone  answer token {} remainTime {}",
                        t.as_deref().unwrap_or("?"),
                        r.unwrap_or(-1)
                    ),
                    "33",
                );
                self.checkpoint(5, "query answered (`sending message to app`)");
            }
            Some(Mark::UpdateToken) => self.say("device", "device  update token", "33"),
            Some(Mark::TryFail(n)) => {
                self.say("device", &format!("device  try {n} times fail"), "31")
            }
            Some(Mark::NoMatchingTopic) => self.say(
                "device",
                "device  NO matching any topic (subscription failed)",
                "31",
            ),
            _ => {
                if self.verbose || line.contains("[err]") || line.contains("panic") {
                    self.say("device", &format!("device  | {line}"), "2");
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Waits until `f` finds something in the event list (checked at once and after every new
    /// event); None on timeout.
    fn wait_events<T>(
        &self,
        timeout: Duration,
        f: impl Fn(&[(u64, Ev)]) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut g = self.events.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(v) = f(&g) {
                return Some(v);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            g = self
                .cv
                .wait_timeout(g, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits for an event after index `since` for which `f` gives a value.
    fn wait<T>(&self, since: usize, timeout: Duration, f: impl Fn(&Ev) -> Option<T>) -> Option<T> {
        self.wait_events(timeout, |evs| {
            evs.iter().skip(since).find_map(|(_, e)| f(e))
        })
    }

    fn reported_since(&self, since: usize, timeout: Duration, not: &[String]) -> Option<String> {
        self.wait(since, timeout, |e| match e {
            Ev::Cloud(Event::TokenReported { token, .. }) if !not.contains(token) => {
                Some(token.clone())
            }
            _ => None,
        })
    }

    /// The last reported token that no phone was given yet (waits for its report to land).
    fn unhanded_report(&self, timeout: Duration) -> Option<(u64, String)> {
        self.wait_events(timeout, |g| {
            let handed: Vec<&String> = g
                .iter()
                .filter_map(|(_, e)| match e {
                    Ev::Device(_, Some(Mark::Answered(Some(t), _)))
                    | Ev::Device(_, Some(Mark::NotifyPayload(Some(t), _)))
                    | Ev::Cloud(Event::Bound { token: t, .. })
                    | Ev::PhoneGot(t) => Some(t),
                    _ => None,
                })
                .collect();
            let found = g.iter().rev().find_map(|(t, e)| match e {
                Ev::Cloud(Event::TokenReported { token, .. }) => Some((*t, token.clone())),
                _ => None,
            });
            found.filter(|f| !handed.contains(&&f.1))
        })
    }
}

/// The device process; killed when dropped.
struct DeviceProc {
    child: Child,
    readers: Vec<thread::JoinHandle<()>>,
}

impl Drop for DeviceProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
    }
}

struct Env {
    tl: Arc<Timeline>,
    broker: String,
    coap: SocketAddr,
    notify: SocketAddr,
    dir: PathBuf,
    device: DeviceSpec,
    log: Arc<Mutex<std::fs::File>>,
}

impl Env {
    fn spawn(&self, extra: &[&str]) -> Result<DeviceProc, String> {
        let mut cmd = match &self.device {
            DeviceSpec::Path(p) => Command::new(p),
            DeviceSpec::Fake => {
                let exe = std::env::current_exe().map_err(|e| e.to_string())?;
                let mut c = Command::new(exe);
                c.arg("fake-device");
                c
            }
        };
        let kv = self.dir.join("kv.txt");
        let coap = self.coap.to_string();
        let notify = self.notify.to_string();
        let life = LIFETIME_MS.to_string();
        let args: Vec<&str> = vec![
            "--broker",
            &self.broker,
            "--pk",
            PK,
            "--dn",
            DN,
            "--ip",
            "127.0.0.1",
            "--coap-bind",
            &coap,
            "--notify-to",
            &notify,
            "--kv",
            kv.to_str().unwrap_or("kv.txt"),
            "--report-retry-ms",
            "2000",
            "--report-attempts",
            "2",
            "--token-lifetime-ms",
            &life,
            "--notify-count",
            "3",
            "--notify-step-ms",
            "100",
            "--reset-retry-ms",
            "500",
            "--log-level",
            "5",
            "--run-ms",
            "60000",
        ];
        cmd.args(&args).args(extra);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the device: {e}"))?;
        self.tl.say(
            "demo",
            &format!(
                "demo  device started (pid {}){}",
                child.id(),
                if extra.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", extra.join(" "))
                }
            ),
            "1",
        );
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(self.reader(out));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(self.reader(err));
        }
        Ok(DeviceProc { child, readers })
    }

    fn reader<R: std::io::Read + Send + 'static>(&self, r: R) -> thread::JoinHandle<()> {
        let tl = self.tl.clone();
        let log = self.log.clone();
        thread::spawn(move || {
            for line in BufReader::new(r).lines().map_while(Result::ok) {
                if let Ok(mut f) = log.lock() {
                    let _ = writeln!(f, "{line}");
                }
                let mark = doctor::classify(&line);
                tl.push(Ev::Device(line, mark));
            }
        })
    }
}

struct Phone {
    name: String,
    mqtt: Client,
    next_id: u32,
}

impl Phone {
    fn new(broker: &str, name: &str) -> Result<Phone, String> {
        let mqtt = Client::connect(broker, &format!("phone-{name}"), Duration::from_secs(5))
            .map_err(|e| format!("phone {name} cannot reach the broker: {e}"))?;
        Ok(Phone {
            name: name.into(),
            mqtt,
            next_id: 1,
        })
    }

    fn bind(&mut self, tl: &Timeline, token: &str) -> Result<cloud::BindResult, String> {
        self.next_id += 1;
        tl.say(
            "phone",
            &format!("phone {} -> cloud  bind {token}", self.name),
            "35",
        );
        cloud::phone_bind_with(
            &self.mqtt,
            &self.name,
            token,
            self.next_id,
            Duration::from_secs(5),
        )
        .map_err(|e| e.to_string())
    }

    fn query(
        &self,
        tl: &Timeline,
        target: SocketAddr,
        path: &str,
        wait: Duration,
    ) -> Result<phone::DevInfo, String> {
        tl.say(
            "phone",
            &format!("phone {} -> device  query {path}", self.name),
            "35",
        );
        let a = phone::query(target, path, "123", false, wait).map_err(|e| e.to_string())?;
        if a.json.get("code").and_then(|c| c.as_i64()) != Some(200) {
            return Err(format!("answer without code 200: {}", a.json));
        }
        let info = a
            .info
            .ok_or_else(|| format!("answer without device info: {}", a.json))?;
        tl.push(Ev::PhoneGot(info.token.clone()));
        tl.say(
            "phone",
            &format!(
                "phone {} <- device  token {} remainTime {} ({} ms)",
                self.name,
                info.token,
                info.remain_ms,
                a.elapsed.as_millis()
            ),
            "35",
        );
        Ok(info)
    }
}

fn expect_bound(r: cloud::BindResult) -> Result<(), String> {
    if r.code == 200 {
        Ok(())
    } else {
        Err(format!("bind refused: {} {}", r.code, r.message))
    }
}

type FlowResult = Result<String, String>;

fn flow1(env: &Env, listener: &mut Listener, p1: &mut Phone) -> FlowResult {
    let tl = &env.tl;
    let n = listener
        .recv(Duration::from_secs(10))
        .map_err(|e| e.to_string())?
        .ok_or("no device.info.notify reached the phone within 10 s")?;
    let info = n
        .info
        .clone()
        .ok_or(format!("notify without device info: {}", n.json))?;
    tl.push(Ev::PhoneGot(info.token.clone()));
    tl.say(
        "phone",
        &format!(
            "phone p1 <- device  notify id {} token {} remainTime {}",
            n.id_text(),
            info.token,
            info.remain_ms
        ),
        "35",
    );
    if info.pk != PK || info.dn != DN {
        return Err(format!(
            "notify for {}/{}, expected {PK}/{DN}",
            info.pk, info.dn
        ));
    }
    // A phone app acks every broadcast it gets; ack until the device rotates (at most 3).
    let mut n = n;
    let mut fresh = None;
    for attempt in 1..=3 {
        let since = tl.len();
        listener.ack(&n).map_err(|e| e.to_string())?;
        tl.say(
            "phone",
            &format!(
                "phone p1 -> device  notify ack #{attempt} {}",
                phone::notify_ack_payload(&n)
            ),
            "35",
        );
        fresh = tl.reported_since(
            since,
            Duration::from_millis(if attempt == 3 { 3000 } else { 400 }),
            std::slice::from_ref(&info.token),
        );
        if fresh.is_some() {
            break;
        }
        match listener
            .recv(Duration::from_millis(300))
            .map_err(|e| e.to_string())?
        {
            Some(next) => {
                tl.say(
                    "demo",
                    "demo  no token rotation after that ack yet: acking the next notify",
                    "33",
                );
                n = next;
            }
            None => break,
        }
    }
    let fresh = fresh.ok_or("the device did not report a fresh token after the phone's ack")?;
    expect_bound(p1.bind(tl, &info.token)?)?;
    Ok(format!(
        "notify token {} bound; fresh token {} reported after the ack",
        short(&info.token),
        short(&fresh)
    ))
}

fn short(t: &str) -> String {
    t.chars().take(8).collect::<String>() + ".."
}

fn flow_query(env: &Env, p: &mut Phone, path: &str) -> FlowResult {
    let info = p.query(&env.tl, env.coap, path, Duration::from_secs(8))?;
    if info.remain_ms <= 0 {
        return Err(format!("answered token has remainTime {}", info.remain_ms));
    }
    expect_bound(p.bind(&env.tl, &info.token)?)?;
    Ok(format!(
        "token {} (remainTime {}) bound",
        short(&info.token),
        info.remain_ms
    ))
}

fn flow4(env: &Env, p: &mut Phone) -> FlowResult {
    let tl = &env.tl;
    let (t, old) = tl
        .unhanded_report(Duration::from_secs(5))
        .ok_or("the device reported no fresh token after the last query")?;
    let wait = (t + LIFETIME_MS + 300).saturating_sub(tl.ms());
    tl.say(
        "demo",
        &format!(
            "demo  waiting {wait} ms for token {} to expire",
            short(&old)
        ),
        "1",
    );
    thread::sleep(Duration::from_millis(wait));
    let since = tl.len();
    let info = p.query(
        tl,
        env.coap,
        &phone::unicast_path(PK, DN),
        Duration::from_secs(8),
    )?;
    // The cloud records a report before it acknowledges it, and the device answers only after
    // the acknowledgement: the report is already in the timeline when the answer arrives.
    let fresh = tl
        .reported_since(since, Duration::from_millis(500), &[])
        .ok_or("the device answered without reporting a new token first")?;
    if info.token != fresh {
        return Err(format!(
            "answered token {} is not the freshly reported {}",
            info.token, fresh
        ));
    }
    let r = p.bind(tl, &old)?;
    if r.code != 410 {
        return Err(format!(
            "the expired token {old} was not refused as expired: {} {}",
            r.code, r.message
        ));
    }
    expect_bound(p.bind(tl, &info.token)?)?;
    Ok(format!(
        "answered with the new token {} after its ack; expired {} refused (410)",
        short(&fresh),
        short(&old)
    ))
}

fn flow6(env: &Env, a: &mut Phone, b: &mut Phone, c: &mut Phone) -> FlowResult {
    let tl = &env.tl;
    let ia = a.query(
        tl,
        env.coap,
        &phone::unicast_path(PK, DN),
        Duration::from_secs(8),
    )?;
    let ib = b.query(tl, env.coap, MCAST_PATH, Duration::from_secs(8))?;
    if ia.token == ib.token {
        return Err(format!("both phones got the same token {}", ia.token));
    }
    expect_bound(a.bind(tl, &ia.token)?)?;
    expect_bound(b.bind(tl, &ib.token)?)?;
    let r = c.bind(tl, &ia.token)?;
    if r.code != 409 {
        return Err(format!(
            "a used token was not refused: {} {}",
            r.code, r.message
        ));
    }
    Ok(format!(
        "{} and {} both bound; reusing a token refused (409)",
        a.name, b.name
    ))
}

fn flow5(env: &Env, p: &mut Phone) -> Result<(String, DeviceProc), String> {
    let tl = &env.tl;
    let mut raw = [0u8; 16];
    phone::fill_random(&mut raw);
    let token: String = raw.iter().map(|b| format!("{b:02X}")).collect();
    tl.say(
        "phone",
        &format!(
            "phone {} makes token {token} and provisions the device with it",
            p.name
        ),
        "35",
    );
    let r = p.bind(tl, &token)?;
    if r.code != 404 {
        return Err(format!(
            "before the device reported it, the cloud answered {} {}",
            r.code, r.message
        ));
    }
    let dev = env.spawn(&["--token", &token])?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut polls = 1;
    loop {
        thread::sleep(Duration::from_millis(300));
        polls += 1;
        let r = p.bind(tl, &token)?;
        if r.code == 200 {
            break;
        }
        if r.code != 404 || Instant::now() > deadline {
            return Err(format!("poll {polls}: {} {}", r.code, r.message));
        }
    }
    Ok((
        format!("the device reported the phone's token; bound after {polls} polls"),
        dev,
    ))
}

fn flow7(
    env: &Env,
    listener: &mut Listener,
    p: &mut Phone,
    before: Vec<String>,
) -> Result<(String, DeviceProc), String> {
    let tl = &env.tl;
    let since = tl.len();
    let dev = env.spawn(&["--factory-reset"])?;
    let unbound = tl
        .wait(since, Duration::from_secs(10), |e| match e {
            Ev::Cloud(Event::Reset { unbound, .. }) => Some(unbound.clone()),
            _ => None,
        })
        .ok_or("the cloud saw no /thing/reset within 10 s")?;
    if unbound.is_empty() || unbound.len() != before.len() {
        return Err(format!(
            "reset unbound {unbound:?}, phones bound before: {before:?}"
        ));
    }
    let reset_at = tl.len();
    let token = tl
        .reported_since(reset_at.saturating_sub(1), Duration::from_secs(10), &[])
        .ok_or("the device reported no token after the reset")?;
    // The device registers its CoAP resources only after it reported the token (as the SDK
    // does): a query sent at once may find no resource and be dropped. Its notify of the
    // acknowledged token says it is on the LAN; older notifies (flow 5's device) are skipped.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or(format!("no notify of the new token {token} within 5 s"))?;
        let n = listener.recv(left).map_err(|e| e.to_string())?;
        if n.and_then(|n| n.info).is_some_and(|i| i.token == token) {
            break;
        }
    }
    tl.say(
        "phone",
        &format!(
            "phone {} <- device  notify token {} after the reset",
            p.name,
            short(&token)
        ),
        "35",
    );
    let info = p.query(
        tl,
        env.coap,
        &phone::unicast_path(PK, DN),
        Duration::from_secs(8),
    )?;
    expect_bound(p.bind(tl, &info.token)?)?;
    Ok((
        format!(
            "reset unbound {}; bound again by {}",
            unbound.join(", "),
            p.name
        ),
        dev,
    ))
}

/// Runs the demo; returns the exit code.
pub fn run(o: Options) -> i32 {
    let tl = Arc::new(Timeline {
        start: Instant::now(),
        color: o.color,
        json: o.json,
        verbose: o.verbose,
        events: Mutex::new(Vec::new()),
        cv: Condvar::new(),
        steps_seen: Mutex::new([false; 6]),
        out: Mutex::new(()),
    });
    match run_flows(&o, &tl) {
        Ok(results) => summary(&tl, &results),
        Err(e) => {
            tl.say("demo", &format!("demo  cannot run: {e}"), "31;1");
            2
        }
    }
}

fn free_udp() -> std::io::Result<SocketAddr> {
    UdpSocket::bind("127.0.0.1:0")?.local_addr()
}

type Results = Vec<(u8, &'static str, Result<String, String>, u64)>;

fn run_flows(o: &Options, tl: &Arc<Timeline>) -> Result<Results, String> {
    if let DeviceSpec::Path(p) = &o.device {
        if !p.is_file() {
            return Err(format!("device program {} not found (build it, or pass --device PATH, or --device fake for the Rust stand-in)", p.display()));
        }
    }
    let broker = Broker::start("127.0.0.1:0", None).map_err(|e| format!("broker: {e}"))?;
    let baddr = broker.addr().to_string();
    tl.say("demo", &format!("demo  broker on {baddr}"), "1");
    let tl2 = tl.clone();
    let _cloud = CloudRunner::start(&baddr, LIFETIME_MS, move |e, _c, _| {
        tl2.push(Ev::Cloud(e.clone()))
    })
    .map_err(|e| format!("cloud: {e}"))?;
    tl.say(
        "demo",
        &format!("demo  cloud simulator connected (token ttl {LIFETIME_MS} ms)"),
        "1",
    );
    let mut listener = Listener::bind("127.0.0.1:0").map_err(|e| format!("phone listener: {e}"))?;
    let dir = std::env::temp_dir().join(format!("devbind-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let log_path = dir.join("device.log");
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let env = Env {
        tl: tl.clone(),
        broker: baddr.clone(),
        coap: free_udp().map_err(|e| e.to_string())?,
        notify: listener.local_addr().map_err(|e| e.to_string())?,
        dir: dir.clone(),
        device: o.device.clone(),
        log: Arc::new(Mutex::new(log)),
    };
    let mut p1 = Phone::new(&baddr, "p1")?;
    let mut p2 = Phone::new(&baddr, "p2")?;
    let mut p3 = Phone::new(&baddr, "p3")?;
    let mut results: Results = Vec::new();
    let mut run_flow = |n: u8, name: &'static str, f: &mut dyn FnMut() -> FlowResult| {
        tl.say("flow", &format!("── flow {n}: {name}"), "1;34");
        let t0 = tl.ms();
        let r = f();
        match &r {
            Ok(d) => tl.say("flow", &format!("✓ flow {n} passed: {d}"), "32;1"),
            Err(e) => tl.say("flow", &format!("✗ flow {n} FAILED: {e}"), "31;1"),
        }
        results.push((n, name, r, tl.ms() - t0));
    };

    let dev1 = env.spawn(&[])?;
    run_flow(1, "active notify, phone acks", &mut || {
        flow1(&env, &mut listener, &mut p1)
    });
    run_flow(2, "passive query, unicast", &mut || {
        flow_query(&env, &mut p2, &phone::unicast_path(PK, DN))
    });
    run_flow(3, "passive query, broadcast path", &mut || {
        flow_query(&env, &mut p3, MCAST_PATH)
    });
    run_flow(4, "query with an expired token", &mut || {
        flow4(&env, &mut p1)
    });
    run_flow(6, "two phones bind the same device", &mut || {
        flow6(&env, &mut p2, &mut p3, &mut p1)
    });
    drop(dev1);
    let log1 = std::fs::read_to_string(&log_path).unwrap_or_default();
    let mut dev2 = None;
    run_flow(5, "phone-made token (provisioning)", &mut || {
        flow5(&env, &mut p1).map(|(s, d)| {
            dev2 = Some(d);
            s
        })
    });
    drop(dev2.take());
    let bound_before = {
        let g = tl.events.lock().unwrap_or_else(|e| e.into_inner());
        let mut phones: Vec<String> = Vec::new();
        for (_, e) in g.iter() {
            match e {
                Ev::Cloud(Event::Bound { phone, .. }) if !phones.contains(phone) => {
                    phones.push(phone.clone())
                }
                Ev::Cloud(Event::Reset { .. }) => phones.clear(),
                _ => {}
            }
        }
        phones
    };
    let mut dev3 = None;
    run_flow(7, "factory reset, then bind again", &mut || {
        flow7(&env, &mut listener, &mut p2, bound_before.clone()).map(|(s, d)| {
            dev3 = Some(d);
            s
        })
    });
    drop(dev3.take());
    run_flow(8, "doctor on the device log (flows 1-4, 6)", &mut || {
        let r = doctor::analyse(&log1);
        if r.ok() && r.steps.iter().all(|s| s.status == doctor::Status::Pass) {
            Ok(format!("all 5 steps passed over {} lines", r.lines))
        } else {
            let bad: Vec<String> = r
                .steps
                .iter()
                .filter(|s| s.status != doctor::Status::Pass)
                .map(|s| format!("step {} {}", s.number, s.status.as_str()))
                .collect();
            Err(format!("{} in {}", bad.join(", "), log_path.display()))
        }
    });
    let _ = std::fs::remove_file(dir.join("kv.txt"));
    if results.iter().all(|r| r.2.is_ok()) {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        tl.say(
            "demo",
            &format!("demo  device log kept in {}", log_path.display()),
            "1",
        );
    }
    Ok(results)
}

fn summary(tl: &Timeline, results: &Results) -> i32 {
    let mut sorted: Vec<_> = results.iter().collect();
    sorted.sort_by_key(|r| r.0);
    let failed = sorted.iter().filter(|r| r.2.is_err()).count();
    if tl.json {
        let flows: Vec<Value> = sorted
            .iter()
            .map(|(n, name, r, ms)| json!({"flow":n,"name":name,"ok":r.is_ok(),"detail":match r {Ok(s)|Err(s)=>s},"ms":ms}))
            .collect();
        println!(
            "{}",
            json!({"summary":{"flows":flows,"passed":sorted.len()-failed,"failed":failed,"seconds":tl.ms() as f64/1000.0}})
        );
    } else {
        println!();
        println!("{}", tl.paint("1", "flow  result  time     what"));
        for (n, name, r, ms) in &sorted {
            let (mark, code) = if r.is_ok() {
                ("pass", "32")
            } else {
                ("FAIL", "31;1")
            };
            println!(
                "{:>4}  {}    {:>6.1}s  {name}",
                n,
                tl.paint(code, mark),
                *ms as f64 / 1000.0
            );
            if let Err(e) = r {
                println!("                       {}", tl.paint("31", e));
            }
        }
        println!(
            "{}",
            tl.paint(
                if failed == 0 { "32;1" } else { "31;1" },
                &format!(
                    "{} passed, {} failed in {:.1} s",
                    sorted.len() - failed,
                    failed,
                    tl.ms() as f64 / 1000.0
                )
            )
        );
    }
    if failed == 0 {
        0
    } else {
        1
    }
}

/// Colour when stdout is a terminal, unless `NO_COLOR` is set.
pub fn want_color(no_color_flag: bool) -> bool {
    !no_color_flag && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}
