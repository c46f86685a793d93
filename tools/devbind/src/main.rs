//! `devbind` command line.

use devbind::{cloud, demo, doctor, fakedev, mqtt, phone};
use serde_json::json;
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "devbind: cloud, phone and troubleshooting tools for the device bind module

usage:
  devbind demo [--device PATH|fake] [--json] [--no-color] [--verbose]
      embedded broker + cloud simulator + example device; plays every flow of the guide
  devbind broker [--listen 127.0.0.1:1883]
      a small MQTT 3.1.1 broker
  devbind cloud --broker HOST:PORT [--token-ttl-ms 45000] [--json] [--run-ms N]
      the cloud's side: acks token reports and resets, binds phones presenting live tokens
  devbind phone query HOST[:PORT] [--pk PK --dn DN] [--broadcast] [--id N] [--timeout-ms 5000] [--json]
      CoAP query of the device info (unicast path with --pk/--dn, else /sys/device/info/get)
  devbind phone listen [--bind 0.0.0.0:5683] [--ack] [--count N] [--timeout-ms N] [--json]
      receive device.info.notify broadcasts (and ack them with --ack)
  devbind phone bind --broker HOST:PORT --token HEX [--phone NAME] [--wait-ms N] [--json]
      present a token to the cloud; --wait-ms polls while the cloud does not know it yet
  devbind doctor LOGFILE|- [--json] [--no-color]
      walk the guide's troubleshooting steps over a device log
  devbind fake-device --broker HOST:PORT [device flags]
      a Rust stand-in for build/host/devbind-device (same flags)

exit codes: 0 success, 1 a check failed (doctor/demo/bind refused), 2 usage or I/O error";

struct Args {
    pos: Vec<String>,
    flags: HashMap<String, String>,
}

fn parse(args: &[String], valued: &[&str], switches: &[&str]) -> Result<Args, String> {
    let mut pos = Vec::new();
    let mut flags = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(name) = a.strip_prefix("--") {
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (name, None),
            };
            if switches.contains(&name) {
                flags.insert(name.to_string(), String::new());
            } else if valued.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or(format!("--{name} needs a value"))?,
                };
                flags.insert(name.to_string(), v);
            } else {
                return Err(format!("unknown option --{name}"));
            }
        } else {
            pos.push(a.clone());
        }
    }
    Ok(Args { pos, flags })
}

impl Args {
    fn num(&self, k: &str, d: u64) -> Result<u64, String> {
        match self.flags.get(k) {
            Some(v) => v.parse().map_err(|_| format!("--{k}: not a number: {v}")),
            None => Ok(d),
        }
    }
    fn has(&self, k: &str) -> bool {
        self.flags.contains_key(k)
    }
}

/// `mqtt://host:port`, `tcp://host`, `host` -> `host:port` (1883 by default).
fn broker_addr(s: &str) -> String {
    let s = s
        .trim_start_matches("mqtt://")
        .trim_start_matches("tcp://")
        .trim_end_matches('/');
    if s.rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        s.to_string()
    } else {
        format!("{s}:1883")
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let r = match argv.first().map(String::as_str) {
        Some("demo") => cmd_demo(&argv[1..]),
        Some("broker") => cmd_broker(&argv[1..]),
        Some("cloud") => cmd_cloud(&argv[1..]),
        Some("phone") => cmd_phone(&argv[1..]),
        Some("doctor") => cmd_doctor(&argv[1..]),
        Some("fake-device") => cmd_fake(&argv[1..]),
        Some("-h") | Some("--help") | Some("help") => {
            println!("{USAGE}");
            Ok(0)
        }
        _ => Err(format!("a command is needed\n\n{USAGE}")),
    };
    match r {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("devbind: {e}");
            ExitCode::from(2)
        }
    }
}

fn cmd_demo(a: &[String]) -> Result<u8, String> {
    let a = parse(a, &["device"], &["json", "no-color", "verbose"])?;
    let device = match a.flags.get("device").map(String::as_str) {
        Some("fake") => demo::DeviceSpec::Fake,
        Some(p) => demo::DeviceSpec::Path(p.into()),
        None => demo::DeviceSpec::Path(demo::default_device().ok_or(
            "the example device build/host/devbind-device was not found: build it first \
             (see tools/README.md), pass --device PATH, or --device fake for the Rust stand-in",
        )?),
    };
    let code = demo::run(demo::Options {
        device,
        color: !a.has("json") && demo::want_color(a.has("no-color")),
        json: a.has("json"),
        verbose: a.has("verbose"),
    });
    Ok(code as u8)
}

fn cmd_broker(a: &[String]) -> Result<u8, String> {
    let a = parse(a, &["listen"], &[])?;
    let listen = a
        .flags
        .get("listen")
        .cloned()
        .unwrap_or("127.0.0.1:1883".into());
    let (tx, rx) = std::sync::mpsc::channel();
    let b =
        mqtt::Broker::start(&listen, Some(tx)).map_err(|e| format!("listen on {listen}: {e}"))?;
    println!("broker listening on {}", b.addr());
    for line in rx {
        println!("{line}");
    }
    Ok(0)
}

fn cmd_cloud(a: &[String]) -> Result<u8, String> {
    let a = parse(a, &["broker", "token-ttl-ms", "run-ms"], &["json"])?;
    let broker = broker_addr(
        a.flags
            .get("broker")
            .ok_or("--broker HOST:PORT is required")?,
    );
    let ttl = a.num("token-ttl-ms", cloud::DEFAULT_TTL_MS)?;
    let json_out = a.has("json");
    let _runner = cloud::CloudRunner::start(&broker, ttl, move |e, c, now| {
        if json_out {
            let mut v = e.to_json();
            v["holds"] = c.summary_json(now);
            println!("{v}");
        } else {
            println!("{:>9.3}s  {}", now as f64 / 1000.0, e.line());
            println!("           cloud {}", c.summary(now));
        }
    })
    .map_err(|e| format!("cloud: cannot use broker {broker}: {e}"))?;
    if !json_out {
        println!("cloud simulator on broker {broker}, token ttl {ttl} ms; phones bind on /devbind/phone/<phone>/bind");
    }
    let start = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if let Some(ms) = a.flags.get("run-ms").and_then(|v| v.parse::<u64>().ok()) {
            if start.elapsed() >= Duration::from_millis(ms) {
                return Ok(0);
            }
        }
    }
}

fn cmd_phone(a: &[String]) -> Result<u8, String> {
    match a.first().map(String::as_str) {
        Some("query") => phone_query(&a[1..]),
        Some("listen") => phone_listen(&a[1..]),
        Some("bind") => phone_bind(&a[1..]),
        _ => Err("phone query | listen | bind".into()),
    }
}

fn print_info(json_out: bool, v: &serde_json::Value, info: &Option<phone::DevInfo>, head: &str) {
    if json_out {
        println!("{v}");
        return;
    }
    println!("{head}");
    match info {
        Some(i) => {
            println!("  device     {}/{}", i.pk, i.dn);
            println!("  mac / ip   {} / {}", i.mac, i.ip);
            println!("  token      {}", i.token);
            println!("  remainTime {} ms", i.remain_ms);
            println!("  cipherType {}", i.cipher_type);
        }
        None => println!("  {v}"),
    }
}

fn phone_query(a: &[String]) -> Result<u8, String> {
    let a = parse(a, &["pk", "dn", "id", "timeout-ms"], &["broadcast", "json"])?;
    let host = a.pos.first().ok_or("phone query HOST[:PORT]")?;
    let target = phone::resolve(host, phone::COAP_PORT).map_err(|e| format!("{host}: {e}"))?;
    let path = match (a.flags.get("pk"), a.flags.get("dn")) {
        (Some(pk), Some(dn)) if !a.has("broadcast") => phone::unicast_path(pk, dn),
        (None, None) | (Some(_), Some(_)) => phone::MCAST_PATH.to_string(),
        _ => return Err("--pk and --dn go together".into()),
    };
    let id = a.flags.get("id").cloned().unwrap_or("123".into());
    let timeout = Duration::from_millis(a.num("timeout-ms", 5000)?);
    match phone::query(target, &path, &id, a.has("broadcast"), timeout) {
        Ok(ans) => {
            print_info(
                a.has("json"),
                &ans.json,
                &ans.info,
                &format!(
                    "answer from {} on {path} after {} ms",
                    ans.from,
                    ans.elapsed.as_millis()
                ),
            );
            Ok(0)
        }
        Err(e) => {
            if a.has("json") {
                println!("{}", json!({"error": e.to_string(), "path": path}));
            }
            eprintln!("devbind: {e}");
            Ok(1)
        }
    }
}

fn phone_listen(a: &[String]) -> Result<u8, String> {
    let a = parse(a, &["bind", "count", "timeout-ms"], &["ack", "json"])?;
    let bind = a
        .flags
        .get("bind")
        .cloned()
        .unwrap_or("0.0.0.0:5683".into());
    let mut l = phone::Listener::bind(&bind).map_err(|e| format!("bind {bind}: {e}"))?;
    let count = a.num("count", 0)?;
    let timeout = a
        .flags
        .get("timeout-ms")
        .map(|v| v.parse::<u64>().unwrap_or(0));
    if !a.has("json") {
        eprintln!(
            "listening for device.info.notify on {}",
            l.local_addr().map_err(|e| e.to_string())?
        );
    }
    let start = Instant::now();
    let mut got = 0u64;
    loop {
        let left = match timeout {
            Some(ms) => match Duration::from_millis(ms).checked_sub(start.elapsed()) {
                Some(l) => l,
                None => break,
            },
            None => Duration::from_secs(3600),
        };
        let Some(n) = l.recv(left).map_err(|e| e.to_string())? else {
            continue;
        };
        got += 1;
        print_info(
            a.has("json"),
            &n.json,
            &n.info,
            &format!("notify #{got} from {} (id {})", n.from, n.id_text()),
        );
        if a.has("ack") {
            l.ack(&n).map_err(|e| e.to_string())?;
            if !a.has("json") {
                println!("  acked");
            }
        }
        if count > 0 && got >= count {
            return Ok(0);
        }
    }
    if got == 0 {
        eprintln!("devbind: no notify received");
        return Ok(1);
    }
    Ok(0)
}

fn phone_bind(a: &[String]) -> Result<u8, String> {
    let a = parse(a, &["broker", "token", "phone", "wait-ms"], &["json"])?;
    let broker = broker_addr(
        a.flags
            .get("broker")
            .ok_or("--broker HOST:PORT is required")?,
    );
    let token = a.flags.get("token").ok_or("--token HEX is required")?;
    let name = a.flags.get("phone").cloned().unwrap_or("phone1".into());
    let wait = Duration::from_millis(a.num("wait-ms", 0)?);
    let client = mqtt::Client::connect(
        &broker,
        &format!("devbind-phone-{name}-{}", std::process::id()),
        Duration::from_secs(5),
    )
    .map_err(|e| format!("broker {broker}: {e}"))?;
    let start = Instant::now();
    let mut id = 1;
    let r = loop {
        let r = cloud::phone_bind_with(&client, &name, token, id, Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        if r.code != 404 || start.elapsed() >= wait {
            break r;
        }
        id += 1;
        std::thread::sleep(Duration::from_millis(500));
    };
    if a.has("json") {
        println!(
            "{}",
            json!({"code": r.code, "message": r.message, "polls": id,
            "productKey": r.device.as_ref().map(|d| d.pk.clone()), "deviceName": r.device.as_ref().map(|d| d.dn.clone())})
        );
    } else {
        println!("bind {token} as {name}: {} {}", r.code, r.message);
    }
    Ok(if r.code == 200 { 0 } else { 1 })
}

fn cmd_doctor(a: &[String]) -> Result<u8, String> {
    let a = parse(a, &[], &["json", "no-color"])?;
    if a.pos.is_empty() {
        return Err("doctor LOGFILE... (or - for stdin)".into());
    }
    let color = !a.has("json") && demo::want_color(a.has("no-color"));
    let mut code = 0u8;
    for (i, src) in a.pos.iter().enumerate() {
        let name = if src == "-" { "stdin" } else { src.as_str() };
        let result = if src == "-" {
            doctor::analyse_reader(std::io::stdin().lock())
        } else {
            match std::fs::File::open(src) {
                Ok(f) => doctor::analyse_reader(f),
                Err(e) => Err(doctor::input::Refusal::Io(e)),
            }
        };
        match result {
            Ok(r) => {
                if a.has("json") {
                    println!("{}", doctor::to_json(&r, name));
                } else {
                    if i > 0 {
                        println!();
                    }
                    print!("{}", doctor::to_text(&r, name, color));
                }
                if !r.ok() {
                    code = code.max(1);
                }
            }
            Err(e) => {
                if a.has("json") {
                    println!("{}", json!({"source": name, "error": e.to_string()}));
                }
                eprintln!("devbind: doctor: {name}: {e}");
                code = 2;
            }
        }
    }
    Ok(code)
}

fn cmd_fake(a: &[String]) -> Result<u8, String> {
    let a = parse(
        a,
        &[
            "broker",
            "pk",
            "dn",
            "mac",
            "ip",
            "coap-bind",
            "notify-to",
            "kv",
            "token",
            "report-retry-ms",
            "report-attempts",
            "token-lifetime-ms",
            "notify-count",
            "notify-step-ms",
            "reset-retry-ms",
            "log-level",
            "run-ms",
        ],
        &["factory-reset"],
    )?;
    let o = fakedev::Options::from_flags(&a.flags)?;
    fakedev::run(o).map_err(|e| format!("fake device: {e}"))?;
    Ok(0)
}
