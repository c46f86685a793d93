//! `devbind demo`: the embedded broker, the cloud simulator and the example device, playing every
//! flow of the guide on loopback and checking each.

use crate::broker::Broker;
use crate::cloud::{self, CloudRunner, Event};
use crate::doctor::{self, Mark};
use crate::mqtt::Client;
use crate::phone::{self, Listener, MCAST_PATH};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const PK: &str = "a1demoPK01";
pub const DN: &str = "demo_device_01";
/// Token lifetime used by the demo (device and cloud), short so flow 4 waits little.
const LIFETIME_MS: u64 = 3000;
/// The phones' source address: the SDK's CoAP server drops packets from its own IP, so a phone
/// on the device's host (127.0.0.1) sends from another loopback address.
const PHONE_IP: &str = "127.0.0.2";
/// Device log lines kept to show when a device exits on its own.
const LAST_LINES: usize = 8;
/// Exit code of an interrupted demo (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Process groups of the devices running now: killed on every way out, a signal included.
static LIVE: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// Set once Ctrl-C or SIGTERM came: no device is started after it.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Kills a device's whole process group.
fn kill_group(pgid: i32) {
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;
    let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
}

/// Which device program to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceSpec {
    Path(PathBuf),
    /// `devbind fake-device` (this binary): the Rust stand-in.
    Fake,
}

pub struct Options {
    pub device: DeviceSpec,
    /// The provisioning build that plays the switchap round (flow 9); `None`: the device.
    pub switchap_device: Option<DeviceSpec>,
    /// Play the switchap round (flow 9) even when the device did not show that it handles
    /// switchap requests.
    pub switchap: bool,
    pub color: bool,
    pub json: bool,
    pub verbose: bool,
    /// Copy the device log here at the end, pass or fail.
    pub keep_logs: Option<PathBuf>,
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

/// The provisioning build beside a device program: `devbind-device` -> `devbind-device-wifi`
/// in the same directory (what `make device-wifi` builds), when it exists.
pub fn wifi_sibling(device: &Path) -> Option<PathBuf> {
    let name = device.file_name()?.to_str()?;
    let wifi = device.with_file_name(format!("{name}-wifi"));
    wifi.is_file().then_some(wifi)
}

#[derive(Clone, Debug)]
enum Ev {
    Cloud(Event),
    Device(String, Option<Mark>),
    /// A phone received this token (from a notify or a query answer). Recorded by the demo
    /// itself, so it is in the timeline before the phone acts, whatever the device's log lags.
    PhoneGot(String),
    /// The device exited on its own (status, last lines).
    DeviceExited(String),
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
    /// The flow being played (in every JSON event).
    flow: Mutex<Option<u8>>,
    /// The last device log lines.
    recent: Mutex<VecDeque<String>>,
    /// Set when the running device exited on its own: waits end at once.
    dead: Mutex<Option<String>>,
    /// The flows played so far (the summary of an interrupted run).
    results: Mutex<Results>,
    /// The flows not played, each with the reason printed when it was skipped.
    skipped: Mutex<Skipped>,
    /// Set while the running device is expected to exit (a reboot the flow asked for): its
    /// exit is then shown as such, not as a failure.
    exit_expected: Mutex<Option<&'static str>>,
}

impl Timeline {
    /// Flow `n`, started at `t0` (ms), ended with `r`: its passed or failed line, its result
    /// kept for the summary, no flow running any more.
    fn flow_ended(&self, n: u8, name: &'static str, r: FlowResult, t0: u64) {
        match &r {
            Ok(d) => self.event(
                "flow",
                "flow_passed",
                &format!("✓ flow {n} passed: {d}"),
                "32;1",
                json!({"name": name, "detail": d}),
            ),
            Err(e) => self.event(
                "flow",
                "flow_failed",
                &format!("✗ flow {n} FAILED: {e}"),
                "31;1",
                json!({"name": name, "detail": e}),
            ),
        }
        let ms = self.ms() - t0;
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((n, name, r, ms));
        *self.flow.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

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
        self.event(who, "", text, code, json!({}));
    }

    /// One timeline entry: who acts, what kind of event, the text, and structured fields
    /// (token, id, ...) for `--json`.
    fn event(&self, who: &str, what: &str, text: &str, code: &str, fields: Value) {
        let _g = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let t = self.ms();
        if self.json {
            let mut v = json!({"t": t as f64 / 1000.0, "who": who, "text": text});
            if !what.is_empty() {
                v["what"] = json!(what);
            }
            if let Some(f) = *self.flow.lock().unwrap_or_else(|e| e.into_inner()) {
                v["flow"] = json!(f);
            }
            if let Value::Object(m) = fields {
                for (k, x) in m {
                    v[k] = x;
                }
            }
            println!("{v}");
        } else {
            let stamp = format!("{:>7.3}s", t as f64 / 1000.0);
            println!("{}  {}", self.paint("2", &stamp), self.paint(code, text));
        }
        let _ = std::io::stdout().flush();
    }

    fn push(&self, ev: Ev) {
        match &ev {
            Ev::Cloud(e) => {
                // The device logs its report before publishing it, but its log comes through a
                // pipe: wait a moment for it, so the report is shown before the cloud's reply.
                if let Event::TokenReported { token, .. } = e {
                    self.wait_events(Duration::from_millis(300), |evs| {
                        evs.iter().rev().take(50).find_map(|(_, x)| match x {
                            Ev::Device(_, Some(Mark::ReportToken(Some(t)))) if t == token => {
                                Some(())
                            }
                            _ => None,
                        })
                    });
                }
                let mut f = e.to_json();
                let what = f["event"].as_str().unwrap_or("").to_string();
                if let Value::Object(m) = &mut f {
                    m.remove("event");
                }
                self.event("cloud", &what, &e.line(), "36", f)
            }
            Ev::Device(line, mark) => {
                let mut r = self.recent.lock().unwrap_or_else(|e| e.into_inner());
                if r.len() == LAST_LINES {
                    r.pop_front();
                }
                r.push_back(line.clone());
                drop(r);
                self.show_device(line, mark.as_ref())
            }
            Ev::PhoneGot(_) => {}
            Ev::DeviceExited(why) if self.expected_exit().is_some() => {
                let what = self.expected_exit().unwrap_or_default();
                self.event(
                    "device",
                    "exited",
                    &format!("device  exited ({why}): {what}"),
                    "33",
                    json!({"status": why, "expected": what}),
                );
                *self.dead.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
            }
            Ev::DeviceExited(why) => {
                let last: Vec<String> = self
                    .recent
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .cloned()
                    .collect();
                self.event(
                    "device",
                    "exited",
                    &format!("device  EXITED on its own ({why}); its last lines:"),
                    "31;1",
                    json!({"status": why, "lastLines": last}),
                );
                if !self.json {
                    for l in &last {
                        self.say("device", &format!("device  | {l}"), "31");
                    }
                }
                *self.dead.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
            }
        }
        let mut g = self.events.lock().unwrap_or_else(|e| e.into_inner());
        g.push((self.ms(), ev));
        self.cv.notify_all();
    }

    fn expected_exit(&self) -> Option<&'static str> {
        *self.exit_expected.lock().unwrap_or_else(|e| e.into_inner())
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
                self.event(
                    "device",
                    "mqtt_connected",
                    "device  mqtt connect success!",
                    "33",
                    json!({}),
                );
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
                    self.event(
                        "device",
                        "notify",
                        &format!(
                            "device -> phone  notify token {t} remainTime {}",
                            r.unwrap_or(-1)
                        ),
                        "33",
                        json!({"token": t, "remainTime": r}),
                    );
                }
                self.checkpoint(4, "token broadcast (`device.info.notify`)");
            }
            Some(Mark::QueryReceived(p)) => self.event(
                "device",
                "query_received",
                &format!("device  query received on {p}"),
                "33",
                json!({"path": p}),
            ),
            Some(Mark::Answered(t, r)) => {
                self.event(
                    "device",
                    "answer",
                    &format!(
                        "device -> phone  answer token {} remainTime {}",
                        t.as_deref().unwrap_or("?"),
                        r.unwrap_or(-1)
                    ),
                    "33",
                    json!({"token": t, "remainTime": r}),
                );
                self.checkpoint(5, "query answered (`sending message to app`)");
            }
            Some(Mark::UpdateToken) => self.event(
                "device",
                "update_token",
                "device  update token",
                "33",
                json!({}),
            ),
            Some(Mark::TryFail(n)) => self.event(
                "device",
                "try_fail",
                &format!("device  try {n} times fail"),
                "31",
                json!({"tries": n}),
            ),
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

    /// Waits a moment for the device's log line of `token` of the kind `kind` (its log comes
    /// through a pipe and may lag what the phone already received).
    fn device_said(&self, token: &str, kind: impl Fn(&Mark) -> bool) {
        self.wait_events(Duration::from_millis(300), |evs| {
            evs.iter().rev().take(50).find_map(|(_, e)| match e {
                Ev::Device(
                    _,
                    Some(m @ (Mark::Answered(Some(t), _) | Mark::NotifyPayload(Some(t), _))),
                ) if t == token && kind(m) => Some(()),
                _ => None,
            })
        });
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
            if self
                .dead
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some()
            {
                return None;
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

/// The device process, in a process group of its own; the group is killed when dropped (and
/// by the signal handler).
struct DeviceProc {
    child: Arc<Mutex<Child>>,
    pgid: i32,
    /// Set before the demo stops the device: its exit is then no news.
    stopping: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Drop for DeviceProc {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        kill_group(self.pgid);
        {
            let mut c = self.child.lock().unwrap_or_else(|e| e.into_inner());
            let _ = c.kill();
            let _ = c.wait();
        }
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != self.pgid);
        for r in self.threads.drain(..) {
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
        self.spawn_device(&self.device, extra)
    }

    fn spawn_device(&self, device: &DeviceSpec, extra: &[&str]) -> Result<DeviceProc, String> {
        let mut cmd = match device {
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
            .stderr(Stdio::piped())
            // Its own group: a Ctrl-C at the terminal reaches the demo only, which then ends
            // the device itself (and reports it) instead of leaving it half-killed.
            .process_group(0);
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err("interrupted".into());
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the device: {e}"))?;
        let pgid = child.id() as i32;
        live.push(pgid);
        drop(live);
        *self.tl.dead.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.tl
            .recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let program = match device {
            // Another program than the flows' device: the provisioning build, named.
            DeviceSpec::Path(p) if device != &self.device => {
                format!(" ({})", p.display())
            }
            _ => String::new(),
        };
        self.tl.event(
            "demo",
            "device_started",
            &format!(
                "demo  device started (pid {}){program}{}",
                child.id(),
                if extra.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", extra.join(" "))
                }
            ),
            "1",
            json!({"pid": child.id(), "args": extra}),
        );
        let mut threads = Vec::new();
        if let Some(out) = child.stdout.take() {
            threads.push(self.reader(out));
        }
        if let Some(err) = child.stderr.take() {
            threads.push(self.reader(err));
        }
        let child = Arc::new(Mutex::new(child));
        let stopping = Arc::new(AtomicBool::new(false));
        threads.push(self.watcher(child.clone(), stopping.clone()));
        Ok(DeviceProc {
            child,
            pgid,
            stopping,
            threads,
        })
    }

    /// Reports at once a device that exits on its own.
    fn watcher(
        &self,
        child: Arc<Mutex<Child>>,
        stopping: Arc<AtomicBool>,
    ) -> thread::JoinHandle<()> {
        let tl = self.tl.clone();
        thread::spawn(move || loop {
            thread::sleep(Duration::from_millis(50));
            if stopping.load(Ordering::SeqCst) {
                return;
            }
            let status = child.lock().unwrap_or_else(|e| e.into_inner()).try_wait();
            match status {
                Ok(None) => {}
                Ok(Some(st)) => {
                    if stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    // Let the readers hand over its last lines.
                    thread::sleep(Duration::from_millis(100));
                    tl.push(Ev::DeviceExited(st.to_string()));
                    return;
                }
                Err(e) => {
                    tl.push(Ev::DeviceExited(format!("cannot wait for it: {e}")));
                    return;
                }
            }
        })
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
        tl.event(
            "phone",
            "bind",
            &format!("phone {} -> cloud  bind {token}", self.name),
            "35",
            json!({"phone": self.name, "token": token, "id": self.next_id}),
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
        tl.event(
            "phone",
            "query",
            &format!(
                "phone {} -> device  query {path} (from {PHONE_IP})",
                self.name
            ),
            "35",
            json!({"phone": self.name, "path": path, "id": "123"}),
        );
        let o = phone::QueryOptions {
            broadcast: false,
            timeout: wait,
            bind: format!("{PHONE_IP}:0").parse().ok(),
        };
        let a = phone::query_with(target, path, "123", &o).map_err(|e| e.to_string())?;
        if a.json.get("code").and_then(|c| c.as_i64()) != Some(200) {
            return Err(format!("answer without code 200: {}", a.json));
        }
        let info = a
            .info
            .ok_or_else(|| format!("answer without device info: {}", a.json))?;
        tl.push(Ev::PhoneGot(info.token.clone()));
        // The device logs its answer before sending it; its log may lag: show it first.
        tl.device_said(&info.token, |m| matches!(m, Mark::Answered(..)));
        tl.event(
            "phone",
            "answer",
            &format!(
                "phone {} <- device  token {} remainTime {} ({} ms)",
                self.name,
                info.token,
                info.remain_ms,
                a.elapsed.as_millis()
            ),
            "35",
            json!({"phone": self.name, "token": info.token, "remainTime": info.remain_ms}),
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
    let n = recv_notify(tl, listener, Duration::from_secs(10))?
        .ok_or("no device.info.notify reached the phone within 10 s")?;
    let info = n
        .info
        .clone()
        .ok_or(format!("notify without device info: {}", n.json))?;
    tl.push(Ev::PhoneGot(info.token.clone()));
    tl.device_said(&info.token, |m| matches!(m, Mark::NotifyPayload(..)));
    tl.event(
        "phone",
        "notify",
        &format!(
            "phone p1 <- device  notify id {} token {} remainTime {}",
            n.id_text(),
            info.token,
            info.remain_ms
        ),
        "35",
        json!({"phone": "p1", "id": n.id_text(), "token": info.token, "remainTime": info.remain_ms}),
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
        // Shown before it is sent: the device's reaction must come after it.
        tl.event(
            "phone",
            "notify_ack",
            &format!(
                "phone p1 -> device  notify ack #{attempt} {}",
                phone::notify_ack_payload(&n)
            ),
            "35",
            json!({"phone": "p1", "id": n.id_text()}),
        );
        listener.ack(&n).map_err(|e| e.to_string())?;
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

/// The next notify within `timeout`; ends at once if the device exits.
fn recv_notify(
    tl: &Timeline,
    listener: &Listener,
    timeout: Duration,
) -> Result<Option<phone::Notify>, String> {
    let deadline = Instant::now() + timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Some(why) = tl.dead.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Err(format!("the device exited ({why})"));
        }
        let slice = left.min(Duration::from_millis(200));
        if let Some(n) = listener.recv(slice).map_err(|e| e.to_string())? {
            return Ok(Some(n));
        }
    }
    Ok(None)
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
        if let Some(why) = tl.dead.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Err(format!("the device exited ({why})"));
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
        let n = recv_notify(tl, listener, left)?;
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

/// The environment variable that makes the demo panic after the flow it names (tests only).
pub const PANIC_AFTER_FLOW: &str = "DEVBIND_DEMO_TEST_PANIC_AFTER_FLOW";

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
        flow: Mutex::new(None),
        recent: Mutex::new(VecDeque::new()),
        dead: Mutex::new(None),
        results: Mutex::new(Vec::new()),
        skipped: Mutex::new(Vec::new()),
        exit_expected: Mutex::new(None),
    });
    let dir = std::env::temp_dir().join(format!("devbind-demo-{}", std::process::id()));
    // Ctrl-C, SIGTERM or SIGHUP: stop the devices, keep the logs if asked, remove the temporary
    // directory, print the summary so far.
    {
        let tl = tl.clone();
        let dir = dir.clone();
        let keep = o.keep_logs.clone();
        let _ = ctrlc::set_handler(move || {
            INTERRUPTED.store(true, Ordering::SeqCst);
            for p in LIVE.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
                kill_group(p);
            }
            tl.say(
                "demo",
                "demo  interrupted: devices stopped; the flows played so far:",
                "31;1",
            );
            finish_dir(&tl, &dir, keep.as_deref(), true);
            let results = tl.results.lock().unwrap_or_else(|e| e.into_inner()).clone();
            summary(&tl, &results, true);
            let _ = std::io::stdout().flush();
            std::process::exit(EXIT_INTERRUPTED);
        });
    }
    let played =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_flows(&o, &tl, &dir)));
    // Whatever happened, no device outlives the demo.
    for p in LIVE.lock().unwrap_or_else(|e| e.into_inner()).drain(..) {
        kill_group(p);
    }
    match played {
        Ok(Ok(results)) => {
            finish_dir(
                &tl,
                &dir,
                o.keep_logs.as_deref(),
                results.iter().all(|r| r.2.is_ok()),
            );
            summary(&tl, &results, false)
        }
        Ok(Err(e)) => {
            tl.say("demo", &format!("demo  cannot run: {e}"), "31;1");
            finish_dir(&tl, &dir, o.keep_logs.as_deref(), true);
            2
        }
        Err(_) => {
            tl.say("demo", "demo  panicked: devices stopped", "31;1");
            finish_dir(&tl, &dir, o.keep_logs.as_deref(), true);
            2
        }
    }
}

/// The demo's temporary directory: the device log is copied to `keep` when given; the
/// directory is removed unless a flow failed without `keep` (its log then stays there, and
/// the path is printed).
fn finish_dir(tl: &Timeline, dir: &Path, keep: Option<&Path>, remove: bool) {
    let log = dir.join("device.log");
    if let Some(k) = keep {
        let to = k.join("device.log");
        match std::fs::create_dir_all(k).and_then(|_| std::fs::copy(&log, &to)) {
            Ok(_) => tl.say(
                "demo",
                &format!("demo  device log kept in {}", to.display()),
                "1",
            ),
            Err(e) => tl.say(
                "demo",
                &format!("demo  cannot keep the device log in {}: {e}", k.display()),
                "31",
            ),
        }
    }
    if remove || keep.is_some() {
        let _ = std::fs::remove_dir_all(dir);
    } else {
        let _ = std::fs::remove_file(dir.join("kv.txt"));
        tl.say(
            "demo",
            &format!("demo  device log kept in {}", log.display()),
            "1",
        );
    }
}

fn free_udp() -> std::io::Result<SocketAddr> {
    UdpSocket::bind("127.0.0.1:0")?.local_addr()
}

type Results = Vec<(u8, &'static str, Result<String, String>, u64)>;
type Skipped = Vec<(u8, &'static str, String)>;

fn run_flows(o: &Options, tl: &Arc<Timeline>, dir: &Path) -> Result<Results, String> {
    if let DeviceSpec::Path(p) = &o.device {
        if !p.is_file() {
            return Err(format!("device program {} not found (build it, or pass --device PATH, or --device fake for the Rust stand-in)", p.display()));
        }
    }
    if let Some(DeviceSpec::Path(p)) = &o.switchap_device {
        if !p.is_file() {
            return Err(format!("switchap device program {} not found (make device-wifi builds build/host/devbind-device-wifi)", p.display()));
        }
    }
    let broker = Broker::start("127.0.0.1:0").map_err(|e| format!("broker: {e}"))?;
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
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let log_path = dir.join("device.log");
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let env = Env {
        tl: tl.clone(),
        broker: baddr.clone(),
        coap: free_udp().map_err(|e| e.to_string())?,
        notify: listener.local_addr().map_err(|e| e.to_string())?,
        dir: dir.to_path_buf(),
        device: o.device.clone(),
        log: Arc::new(Mutex::new(log)),
    };
    let mut p1 = Phone::new(&baddr, "p1")?;
    let mut p2 = Phone::new(&baddr, "p2")?;
    let mut p3 = Phone::new(&baddr, "p3")?;
    // Flows 1-4 and 6 play against the first device; a device that exited fails them at once.
    let run_flow = |n: u8, name: &'static str, f: &mut dyn FnMut() -> FlowResult| {
        *tl.flow.lock().unwrap_or_else(|e| e.into_inner()) = Some(n);
        tl.event(
            "flow",
            "flow_start",
            &format!("── flow {n}: {name}"),
            "1;34",
            json!({"name": name}),
        );
        let t0 = tl.ms();
        let dead = tl.dead.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let r = match dead {
            Some(why) if matches!(n, 1 | 2 | 3 | 4 | 6) => {
                Err(format!("not played: the device exited ({why})"))
            }
            _ => f(),
        };
        tl.flow_ended(n, name, r, t0);
        // A test hook: the demo's panic path (every device stopped, the temporary directory
        // removed) is tested by making the demo panic after flow N.
        if std::env::var(PANIC_AFTER_FLOW).is_ok_and(|v| v == n.to_string()) {
            panic!("{PANIC_AFTER_FLOW}={n}");
        }
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
    flow9(o, &env);
    let results = tl.results.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(results)
}

/// What the switchap round (flow 9) expects of the device, in one place. The library's lines
/// are taken from its own table of texts (`dev_bind_core::Msg`), so they cannot drift.
pub mod switchap_expect {
    use dev_bind_core::Msg;

    /// The device handles switchap requests: its log shows the subscription of the request
    /// topic (the library's `sub <topic> res:<n>` debug line).
    pub fn handles(line: &str) -> bool {
        line.contains("sub ")
            && !line.contains("unsub ")
            && line.contains("/thing/awss/device/switchap ")
    }

    /// A library line's text with its `%s` and `%d` filled in, in order.
    fn line(msg: Msg, args: &[&str]) -> String {
        let mut text = String::from_utf8_lossy(msg.text()).into_owned();
        for a in args {
            let at = [text.find("%s"), text.find("%d")]
                .into_iter()
                .flatten()
                .min();
            if let Some(at) = at {
                text.replace_range(at..at + 2, a);
            }
        }
        text
    }

    /// After an accepted request to switch to `ssid` in `timeout_ms` (at most 60 s), the
    /// device's log shows these lines, in this order: the library takes the request, calls
    /// `HAL_Awss_Connect_Ap` after max(timeout, 1 s) (the Linux stand-in logs the call, the
    /// SSID and never the password), then `HAL_Reboot` 1 s after the connect returned 0.
    pub fn switch_lines(ssid: &str, timeout_ms: u32) -> Vec<String> {
        vec![
            line(Msg::SwitchApTo, &[ssid, &timeout_ms.to_string()]),
            line(Msg::SwitchApConnecting, &[ssid]),
            format!("HAL_Awss_Connect_Ap: connecting to {ssid} "),
            line(Msg::SwitchApConnectRes, &["0"]),
            line(Msg::SwitchApReboot, &[]),
        ]
    }

    /// The device reboots after the switch: `HAL_Reboot` of the Linux stand-in exits with this
    /// status (`DEVBIND_HOST_REBOOT_EXIT`), how `ExitStatus` shows it.
    pub const REBOOT_STATUS: &str = "exit status: 3";

    /// The password must never be in the device's log.
    pub const NO_PASSWORD_IN_LOG: bool = true;

    /// Why the fake device never plays the round.
    pub const FAKE_SKIP: &str = "the fake device drives dev_bind_core, which has no switchap \
        handling yet (no pending AP switch state): run the demo with the example device built \
        with the wifi-provision feature (make device-wifi; --switchap-device PATH)";
}

const FLOW9: &str = "switch AP on the cloud's request (provisioning builds)";

/// Flow 9: the cloud asks the device to switch AP (`devbind cloud switchap`), the reply is
/// checked, then the device's log must show the switch and the device reboot. Played only when
/// the device handles switchap (or `--switchap`); else skipped with the reason, printed.
fn flow9(o: &Options, env: &Env) {
    let tl = &env.tl;
    let n = 9;
    *tl.flow.lock().unwrap_or_else(|e| e.into_inner()) = Some(n);
    tl.event(
        "flow",
        "flow_start",
        &format!("── flow {n}: {FLOW9}"),
        "1;34",
        json!({"name": FLOW9}),
    );
    let t0 = tl.ms();
    // The provisioning build beside the device plays the round; without one, the device itself
    // does if it handles switchap.
    let named = o.switchap_device.clone();
    let outcome = match (&named, &o.device) {
        (None, DeviceSpec::Fake) => Err(switchap_expect::FAKE_SKIP.to_string()),
        (Some(d), _) | (None, d @ DeviceSpec::Path(_)) => Ok(d.clone()),
    };
    let outcome = outcome.and_then(|device| {
        let since = tl.len();
        let dev = env
            .spawn_device(&device, &[])
            .map_err(|e| format!("cannot start the device: {e}"))?;
        // Its subscriptions come before its first token report.
        tl.reported_since(since, Duration::from_secs(10), &[]);
        let handles = tl
            .wait(since, Duration::from_millis(300), |e| match e {
                Ev::Device(l, _) if switchap_expect::handles(l) => Some(()),
                _ => None,
            })
            .is_some();
        if handles || o.switchap {
            Ok(Ok((dev, since)))
        } else if let Some(DeviceSpec::Path(p)) = &named {
            // A program named (or found) as the provisioning build must be one: a failure.
            Ok(Err(format!(
                "the switchap device {} did not subscribe {} (no `sub ... res:` line for it): \
                 not a build with the wifi-provision feature",
                p.display(),
                crate::switchap::request_topic(PK, DN)
            )))
        } else {
            Err(format!(
                "the device did not subscribe {} (no `sub ... res:` line for it): a build \
                 without Wi-Fi provisioning (make device-wifi builds build/host/devbind-device-wifi, \
                 which the demo then finds; --switchap-device PATH names one; --switchap plays \
                 the round on this device anyway)",
                crate::switchap::request_topic(PK, DN)
            ))
        }
    });
    let r = match outcome {
        Ok(Err(e)) => Err(e),
        Err(why) => {
            tl.event(
                "flow",
                "flow_skipped",
                &format!("- flow {n} skipped: {why}"),
                "33;1",
                json!({"name": FLOW9, "reason": why}),
            );
            tl.skipped
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((n, FLOW9, why));
            *tl.flow.lock().unwrap_or_else(|e| e.into_inner()) = None;
            return;
        }
        Ok(Ok((dev, since))) => {
            let r = switchap_round(env, since);
            drop(dev);
            *tl.exit_expected.lock().unwrap_or_else(|e| e.into_inner()) = None;
            r
        }
    };
    tl.flow_ended(n, FLOW9, r, t0);
}

/// The round itself, on a device started at timeline index `since`.
fn switchap_round(env: &Env, since: usize) -> FlowResult {
    use crate::switchap::{self, Request};
    let tl = &env.tl;
    let mut id = [0u8; 4];
    phone::fill_random(&mut id);
    let req = Request {
        pk: PK.into(),
        dn: DN.into(),
        id: (u32::from_le_bytes(id) % 1_000_000).to_string(),
        ssid: "demo-ap-2".into(),
        passwd: "demo-pass-2".into(),
        bssid: "02:00:00:00:0a:02".into(),
        switch_mode: 0,
        timeout_ms: 1500,
    };
    let client = Client::connect(&env.broker, "demo-cloud-switchap", Duration::from_secs(5))
        .map_err(|e| format!("the cloud tool cannot reach the broker: {e}"))?;
    tl.event(
        "cloud",
        "switchap_request",
        &format!(
            "cloud -> device  switchap request id {} ({})",
            req.id,
            req.describe()
        ),
        "36",
        json!({"id": req.id, "ssid": req.ssid, "bssid": req.bssid, "timeout": req.timeout_ms}),
    );
    let asked = tl.len();
    *tl.exit_expected.lock().unwrap_or_else(|e| e.into_inner()) =
        Some("the reboot after the switch, as asked");
    let ok = switchap::send(&client, &req, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    tl.event(
        "device",
        "switchap_reply",
        &format!(
            "device -> cloud  switchap_reply {} after {} ms",
            ok.reply,
            ok.elapsed.as_millis()
        ),
        "33",
        json!({"reply": ok.reply}),
    );
    // The device switches after max(timeout, 1 s), then reboots 1 s later.
    let budget = Duration::from_millis(u64::from(req.timeout_ms.max(1000)) + 3000);
    let mut after = asked;
    let wanted = switchap_expect::switch_lines(&req.ssid, req.timeout_ms);
    for want in &wanted {
        let found = tl.wait_events(budget, |evs| {
            evs.iter()
                .enumerate()
                .skip(after)
                .find_map(|(k, (_, e))| match e {
                    Ev::Device(l, _) if l.contains(want.as_str()) => Some((k + 1, l.clone())),
                    _ => None,
                })
        });
        let (next, line) = found.ok_or_else(|| {
            format!(
                "the device's log shows no `{want}` line within {} ms of the reply",
                budget.as_millis()
            )
        })?;
        tl.event(
            "device",
            "switchap_switch",
            &format!("device  {line}"),
            "33",
            json!({"line": line}),
        );
        after = next;
    }
    let status = tl
        .wait_events(budget, |evs| {
            evs.iter().skip(since).find_map(|(_, e)| match e {
                Ev::DeviceExited(st) => Some(st.clone()),
                _ => None,
            })
        })
        .ok_or("the device did not reboot (exit) after the switch")?;
    if status != switchap_expect::REBOOT_STATUS {
        return Err(format!(
            "the device ended with `{status}`, not its reboot (`{}`)",
            switchap_expect::REBOOT_STATUS
        ));
    }
    let detail = format!(
        "request id {} accepted (code 200, id echoed) to switch to {}; the device's log shows \
         the switch ({} lines, the last `{}`), then its reboot ({status})",
        req.id,
        req.ssid,
        wanted.len(),
        wanted.last().map(String::as_str).unwrap_or_default()
    );
    if switchap_expect::NO_PASSWORD_IN_LOG {
        let leaked = tl
            .events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .skip(since)
            .any(|(_, e)| matches!(e, Ev::Device(l, _) if l.contains(&req.passwd)));
        if leaked {
            return Err("the device's log shows the Wi-Fi password".into());
        }
    }
    Ok(detail)
}

fn summary(tl: &Timeline, results: &Results, interrupted: bool) -> i32 {
    let skipped = tl.skipped.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let _g = tl.out.lock().unwrap_or_else(|e| e.into_inner());
    let mut sorted: Vec<_> = results.iter().collect();
    sorted.sort_by_key(|r| r.0);
    let failed = sorted.iter().filter(|r| r.2.is_err()).count();
    if tl.json {
        let flows: Vec<Value> = sorted
            .iter()
            .map(|(n, name, r, ms)| json!({"flow":n,"name":name,"ok":r.is_ok(),"detail":match r {Ok(s)|Err(s)=>s},"ms":ms}))
            .collect();
        let skipped: Vec<Value> = skipped
            .iter()
            .map(|(n, name, why)| json!({"flow":n,"name":name,"reason":why}))
            .collect();
        println!(
            "{}",
            json!({"summary":{"flows":flows,"skipped":skipped,"passed":sorted.len()-failed,"failed":failed,"seconds":tl.ms() as f64/1000.0,"interrupted":interrupted}})
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
        for (n, name, why) in &skipped {
            println!("{:>4}  {}         -  {name}", n, tl.paint("33", "skip"));
            println!("                       {}", tl.paint("33", why));
        }
        println!(
            "{}",
            tl.paint(
                if failed == 0 { "32;1" } else { "31;1" },
                &format!(
                    "{} passed, {} failed{} in {:.1} s{}",
                    sorted.len() - failed,
                    failed,
                    match skipped.len() {
                        0 => String::new(),
                        k => format!(", {k} skipped"),
                    },
                    tl.ms() as f64 / 1000.0,
                    if interrupted { " (interrupted)" } else { "" }
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
