//! `devbind` command line (defined in `devbind::cli`).

use clap::{CommandFactory, Parser};
use devbind::cli::{self, Cli, Cmd, PhoneCmd};
use devbind::{broker, cloud, demo, doctor, fakedev, flood, mqtt, phone, switchap};
use serde_json::json;
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// A usage or I/O error: printed as one line, exit 2.
struct Fatal(String);

impl<T: std::fmt::Display> From<T> for Fatal {
    fn from(e: T) -> Fatal {
        Fatal(e.to_string())
    }
}

type Outcome = Result<u8, Fatal>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return ExitCode::from(2);
            }
            // One line: clap's message (up to its usage part) without its `error: `, and
            // where to look.
            let text = e.render().to_string();
            let msg: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let msg = msg.join(" ");
            let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
            eprintln!("devbind: {msg} (see --help)");
            return ExitCode::from(2);
        }
    };
    let r = match cli.cmd {
        Cmd::Demo(a) => cmd_demo(a),
        Cmd::Broker(a) => cmd_broker(a),
        Cmd::Cloud(a) => cmd_cloud(a),
        Cmd::Phone(PhoneCmd::Query(a)) => phone_query(a),
        Cmd::Phone(PhoneCmd::Listen(a)) => phone_listen(a),
        Cmd::Phone(PhoneCmd::Bind(a)) => phone_bind(a),
        Cmd::Phone(PhoneCmd::Flood(a)) => phone_flood(a),
        Cmd::Doctor(a) => cmd_doctor(a),
        Cmd::FakeDevice(a) => cmd_fake(a),
        Cmd::Completions(a) => {
            clap_complete::generate(
                a.shell,
                &mut Cli::command(),
                "devbind",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Cmd::Man(a) => cmd_man(a),
    };
    match r {
        Ok(code) => ExitCode::from(code),
        Err(Fatal(e)) => {
            eprintln!("devbind: {e}");
            ExitCode::from(2)
        }
    }
}

fn cmd_man(a: cli::ManArgs) -> Outcome {
    let cmd = Cli::command();
    let Some(dir) = a.dir else {
        clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
        return Ok(0);
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // One page per command, named as git names its own: devbind-phone-query(1) documents
    // `devbind phone query`.
    let write = |words: &[&str], c: clap::Command| -> Result<(), Fatal> {
        let name = words.join("-");
        let path = dir.join(format!("{name}.1"));
        let mut f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let c = c.name(name).bin_name(words.join(" "));
        clap_mangen::Man::new(c).render(&mut f)?;
        Ok(())
    };
    write(&["devbind"], cmd.clone())?;
    for sub in cmd.get_subcommands() {
        write(&["devbind", sub.get_name()], sub.clone())?;
        for leaf in sub.get_subcommands() {
            write(&["devbind", sub.get_name(), leaf.get_name()], leaf.clone())?;
        }
    }
    Ok(0)
}

fn cmd_demo(a: cli::DemoArgs) -> Outcome {
    let device = match a.device.as_deref() {
        Some("fake") => demo::DeviceSpec::Fake,
        Some(p) => demo::DeviceSpec::Path(p.into()),
        None => demo::DeviceSpec::Path(demo::default_device().ok_or(
            "the example device build/host/devbind-device was not found: build it first \
             (make device), pass --device PATH, or --device fake for the Rust stand-in",
        )?),
    };
    let switchap_device = match (&a.switchap_device, &device) {
        (Some(p), _) => Some(demo::DeviceSpec::Path(p.clone())),
        (None, demo::DeviceSpec::Path(p)) => demo::wifi_sibling(p).map(demo::DeviceSpec::Path),
        (None, demo::DeviceSpec::Fake) => None,
    };
    let code = demo::run(demo::Options {
        device,
        switchap_device,
        switchap: a.switchap,
        color: !a.json && demo::want_color(a.no_color),
        json: a.json,
        verbose: a.verbose,
        keep_logs: a.keep_logs,
    });
    Ok(code as u8)
}

fn cmd_broker(a: cli::BrokerArgs) -> Outcome {
    let listen = a.listen.to_string();
    let b = broker::Broker::start(&listen).map_err(|e| format!("listen on {listen}: {e}"))?;
    println!("broker (rumqttd) listening on {}; Ctrl-C to stop", b.addr());
    loop {
        std::thread::park();
    }
}

fn cmd_cloud(a: cli::CloudArgs) -> Outcome {
    if let Some(cli::CloudCmd::Switchap(s)) = a.cmd {
        return cloud_switchap(s);
    }
    let broker = a.broker.ok_or("--broker HOST:PORT is required")?;
    let ttl = a.token_ttl_ms;
    let json_out = a.json;
    let delay = Duration::from_millis(a.ack_delay_ms);
    let _runner = cloud::CloudRunner::start_with_delay(&broker, ttl, delay, move |e, c, now| {
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
        let late = match a.ack_delay_ms {
            0 => String::new(),
            ms => format!(", replies {ms} ms late"),
        };
        println!("cloud simulator on broker {broker}, token ttl {ttl} ms{late}; phones bind on /devbind/phone/<phone>/bind");
    }
    let start = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if a.run_ms
            .is_some_and(|ms| start.elapsed() >= Duration::from_millis(ms))
        {
            return Ok(0);
        }
    }
}

fn cloud_switchap(a: cli::SwitchapArgs) -> Outcome {
    if !a.unchecked {
        if let Some(why) = switchap::check_fields(&a.ssid, &a.passwd, &a.bssid) {
            return Err(Fatal(format!("{why} (--unchecked sends it anyway)")));
        }
    }
    let id = a.id.unwrap_or_else(|| {
        let mut b = [0u8; 4];
        phone::fill_random(&mut b);
        (u32::from_le_bytes(b) % 1_000_000_000).to_string()
    });
    let req = switchap::Request {
        pk: a.pk,
        dn: a.dn,
        id,
        ssid: a.ssid,
        passwd: a.passwd,
        bssid: a.bssid,
        switch_mode: a.switch_mode,
        timeout_ms: a.timeout_ms,
    };
    let broker = a.broker;
    let client = mqtt::Client::connect(
        &broker,
        &format!("devbind-cloud-switchap-{}", std::process::id()),
        Duration::from_secs(5),
    )
    .map_err(|e| format!("broker {broker}: {e}"))?;
    let topic = switchap::request_topic(&req.pk, &req.dn);
    if !a.json {
        println!(
            "switchap request id {} to {}/{} on {topic}: {}",
            req.id,
            req.pk,
            req.dn,
            req.describe()
        );
    }
    match switchap::send(&client, &req, Duration::from_millis(a.wait_ms)) {
        Ok(ok) => {
            let switch_in = req.timeout_ms.max(1000);
            if a.json {
                println!(
                    "{}",
                    json!({"ok": true, "id": req.id, "topic": topic, "reply": ok.reply,
                           "elapsedMs": ok.elapsed.as_millis() as u64, "otherReplies": ok.others,
                           "switchInMs": switch_in})
                );
            } else {
                println!(
                    "accepted: {} after {} ms; the device switches to {:?} in {switch_in} ms, then reboots",
                    ok.reply,
                    ok.elapsed.as_millis(),
                    req.ssid
                );
            }
            Ok(0)
        }
        Err(switchap::Failure::Io(e)) => Err(Fatal(format!("broker {broker}: {e}"))),
        Err(e) => {
            if a.json {
                println!(
                    "{}",
                    json!({"ok": false, "id": req.id, "topic": topic, "error": e.to_string()})
                );
            }
            eprintln!("devbind: switchap: {e}");
            Ok(1)
        }
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

fn phone_query(a: cli::QueryArgs) -> Outcome {
    let target =
        phone::resolve(&a.host, phone::COAP_PORT).map_err(|e| format!("{}: {e}", a.host))?;
    if phone::is_broadcast(target.ip()) && !a.broadcast {
        return Err(Fatal(format!(
            "{} is a broadcast address: pass --broadcast to ask every device on it",
            target.ip()
        )));
    }
    let path = match (&a.pk, &a.dn) {
        (Some(pk), Some(dn)) if !a.broadcast => phone::unicast_path(pk, dn),
        _ => phone::MCAST_PATH.to_string(),
    };
    let timeout = Duration::from_millis(a.timeout_ms);
    let opts = phone::QueryOptions {
        broadcast: a.broadcast,
        timeout,
        bind: a.bind,
    };
    match phone::query_with(target, &path, &a.id, &opts) {
        Ok(ans) => {
            print_info(
                a.json,
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
        Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
            Err(Fatal(format!("--bind: {e}")))
        }
        Err(e) => {
            if a.json {
                println!("{}", json!({"error": e.to_string(), "path": path}));
            }
            eprintln!("devbind: {e}");
            Ok(1)
        }
    }
}

fn phone_listen(a: cli::ListenArgs) -> Outcome {
    let bind = a.bind.to_string();
    let mut l = phone::Listener::bind(&bind).map_err(|e| format!("bind {bind}: {e}"))?;
    if !a.json {
        eprintln!("listening for device.info.notify on {}", l.local_addr()?);
    }
    let start = Instant::now();
    let mut got = 0u64;
    loop {
        let left = match a.timeout_ms {
            Some(ms) => match Duration::from_millis(ms).checked_sub(start.elapsed()) {
                Some(l) => l,
                None => break,
            },
            None => Duration::from_secs(3600),
        };
        let Some(n) = l.recv(left)? else {
            continue;
        };
        got += 1;
        print_info(
            a.json,
            &n.json,
            &n.info,
            &format!("notify #{got} from {} (id {})", n.from, n.id_text()),
        );
        if a.ack {
            l.ack(&n)?;
            if !a.json {
                println!("  acked");
            }
        }
        if a.count.is_some_and(|c| got >= c) {
            return Ok(0);
        }
    }
    if got == 0 {
        eprintln!("devbind: no notify received");
        return Ok(1);
    }
    Ok(0)
}

fn phone_bind(a: cli::BindArgs) -> Outcome {
    let broker = a.broker;
    let name = a.phone;
    let token = a.token;
    let wait = Duration::from_millis(a.wait_ms);
    let client = mqtt::Client::connect(
        &broker,
        &format!("devbind-phone-{name}-{}", std::process::id()),
        Duration::from_secs(5),
    )
    .map_err(|e| format!("broker {broker}: {e}"))?;
    let start = Instant::now();
    let mut id = 1;
    let r = loop {
        let r = cloud::phone_bind_with(&client, &name, &token, id, Duration::from_secs(5))?;
        if r.code != 404 || start.elapsed() >= wait {
            break r;
        }
        if !a.json {
            let left = wait.saturating_sub(start.elapsed());
            eprintln!(
                "  poll {id}: the cloud does not know the token yet (404); {:.1} s left",
                left.as_secs_f64()
            );
        }
        id += 1;
        std::thread::sleep(Duration::from_millis(500));
    };
    if a.json {
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

fn phone_flood(a: cli::FloodArgs) -> Outcome {
    let target =
        phone::resolve(&a.host, phone::COAP_PORT).map_err(|e| format!("{}: {e}", a.host))?;
    if phone::is_broadcast(target.ip()) {
        return Err(Fatal(format!(
            "{} is a broadcast address: a flood goes to one device",
            target.ip()
        )));
    }
    let bind = a.bind.unwrap_or_else(|| {
        let ip: std::net::IpAddr = if target.ip().is_loopback() {
            [127, 0, 0, 1].into()
        } else {
            [0, 0, 0, 0].into()
        };
        std::net::SocketAddr::new(ip, 0)
    });
    let o = flood::Options {
        target,
        bind,
        device: a.pk.zip(a.dn),
        rate: a.rate,
        seconds: a.seconds,
        drain: Duration::from_millis(a.drain_ms),
        broker: a.broker,
        pid: a.pid,
    };
    let f = flood::run(&o).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrNotAvailable => format!("--bind: {e}"),
        _ => e.to_string(),
    })?;
    if a.json {
        println!("{}", serde_json::to_string(&f)?);
    } else {
        print!("{}", f.to_text());
    }
    Ok(if f.ok() { 0 } else { 1 })
}

fn cmd_doctor(a: cli::DoctorArgs) -> Outcome {
    let color = !a.json && demo::want_color(a.no_color);
    let mut code = 0u8;
    for (i, src) in a.files.iter().enumerate() {
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
                if a.json {
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
                if a.json {
                    println!("{}", json!({"source": name, "error": e.to_string()}));
                }
                eprintln!("devbind: doctor: {name}: {e}");
                code = 2;
            }
        }
    }
    Ok(code)
}

fn cmd_fake(a: cli::FakeArgs) -> Outcome {
    let mut f: HashMap<String, String> = HashMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            f.insert(k.to_string(), v);
        }
    };
    put("broker", Some(a.broker));
    put("pk", a.pk);
    put("dn", a.dn);
    put("mac", a.mac);
    put("ip", a.ip);
    put("coap-bind", a.coap_bind.map(|x| x.to_string()));
    put("notify-to", a.notify_to.map(|x| x.to_string()));
    put("kv", a.kv);
    put("token", a.token);
    put("report-retry-ms", a.report_retry_ms.map(|x| x.to_string()));
    put("report-attempts", a.report_attempts.map(|x| x.to_string()));
    put(
        "token-lifetime-ms",
        a.token_lifetime_ms.map(|x| x.to_string()),
    );
    put("notify-count", a.notify_count.map(|x| x.to_string()));
    put("notify-step-ms", a.notify_step_ms.map(|x| x.to_string()));
    put("reset-retry-ms", a.reset_retry_ms.map(|x| x.to_string()));
    put("log-level", a.log_level.map(|x| x.to_string()));
    put("run-ms", a.run_ms.map(|x| x.to_string()));
    if a.factory_reset {
        put("factory-reset", Some(String::new()));
    }
    let o = fakedev::Options::from_flags(&f)?;
    fakedev::run(o).map_err(|e| format!("fake device: {e}"))?;
    Ok(0)
}
