//! End to end with peers nobody here wrote: the example device (`devbind-device`: the firmware
//! library + this stand-in) against mosquitto as the broker and libcoap's `coap-client-notls`
//! as the phone, all on loopback. A minimal cloud (this crate's MQTT client) answers
//! `match_reply`; a UDP socket stands where the notify broadcasts are sent (`--notify-to`).
//!
//! Needs `mosquitto`, `coap-client-notls` (Debian `mosquitto`, `libcoap3-bin`), `cmake` and a C
//! compiler: the test fails, saying so, if one is missing. It uses the device named by
//! `DEVBIND_DEVICE` when set (`make test` sets it to the `build/host/devbind-device` it just
//! built); otherwise it builds the firmware library (`cargo build --release` at the repo root),
//! this crate's cdylib and the device, each in a target directory of its own under
//! `tools/target/e2e-device/`.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use devbind_host::mqtt::{Message, MqttClient, MqttOptions};

const PK: &str = "a1demoPK01";
const DN: &str = "demo_device_01";

/// Kills and reaps a child process when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn require(name: &str, package: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| {
        panic!(
            "`{name}` is not installed: this end-to-end test needs it \
             (Debian: apt-get install {package}); it is not skipped"
        )
    })
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn build_device(tools: &Path) -> PathBuf {
    let repo = tools.parent().unwrap().to_path_buf();
    let base = tools.join("target").join("e2e-device");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(
        Command::new(&cargo)
            .args(["build", "--release"])
            .current_dir(&repo)
            .env("CARGO_TARGET_DIR", base.join("lib")),
        "cargo build --release (firmware library)",
    );
    run(
        Command::new(&cargo)
            .args(["build", "--release", "-p", "devbind-host"])
            .current_dir(tools)
            .env("CARGO_TARGET_DIR", base.join("host")),
        "cargo build --release -p devbind-host",
    );
    let build = base.join("device");
    run(
        Command::new("cmake")
            .arg("-S")
            .arg(repo.join("c_examples/host"))
            .arg("-B")
            .arg(&build)
            .arg(format!(
                "-DDEV_BIND_LIB={}",
                base.join("lib/release/libiot_dev_bind.a").display()
            ))
            .arg(format!(
                "-DDEVBIND_HOST_LIB={}",
                base.join("host/release/libdevbind_host.so").display()
            )),
        "cmake configure (c_examples/host)",
    );
    run(
        Command::new("cmake").arg("--build").arg(&build),
        "cmake --build (devbind-device)",
    );
    build.join("devbind-device")
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// The text after `"key":"` up to the next quote.
fn json_str<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let start = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let rest = json.get(start..)?;
    rest.get(..rest.find('"')?)
}

#[test]
fn device_binds_against_mosquitto_and_answers_libcoap() {
    let mosquitto = require("mosquitto", "mosquitto");
    let coap_client = require("coap-client-notls", "libcoap3-bin");
    require("cmake", "cmake");

    let tools = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let device = match std::env::var_os("DEVBIND_DEVICE") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "DEVBIND_DEVICE={} does not exist", p.display());
            p
        }
        None => build_device(&tools),
    };
    let work = tools.join("target").join("e2e-device").join("run");
    std::fs::create_dir_all(&work).unwrap();

    // The broker, on loopback only.
    let mqtt_port = free_tcp_port();
    let conf = work.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {mqtt_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
    )
    .unwrap();
    let _broker = Proc(
        Command::new(&mosquitto)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto"),
    );
    assert!(
        wait_until(Duration::from_secs(5), || TcpStream::connect((
            "127.0.0.1",
            mqtt_port
        ))
        .is_ok()),
        "mosquitto did not listen on 127.0.0.1:{mqtt_port}"
    );

    // The minimal cloud: answers every token report with match_reply (same id, code 200).
    let cloud = MqttClient::new(MqttOptions {
        broker: format!("127.0.0.1:{mqtt_port}"),
        client_id: "test-cloud".into(),
        keep_alive_s: 30,
        log_traffic: false,
    });
    let stream = cloud.connect().expect("cloud connects to mosquitto");
    let reader = Arc::clone(&cloud);
    std::thread::spawn(move || {
        let _ = reader.run_session(stream);
    });
    let tokens: Arc<Mutex<Vec<String>>> = Arc::default();
    let me: Arc<OnceLock<Arc<MqttClient>>> = Arc::default();
    let _ = me.set(Arc::clone(&cloud));
    let (t, m) = (Arc::clone(&tokens), Arc::clone(&me));
    let sub = cloud
        .subscribe(
            "/sys/+/+/thing/awss/enrollee/match",
            1,
            Arc::new(move |msg: &Message<'_>| {
                let text = String::from_utf8_lossy(msg.payload).into_owned();
                let (Some(id), Some(token)) = (json_str(&text, "id"), json_str(&text, "token"))
                else {
                    return;
                };
                t.lock().unwrap().push(token.to_string());
                let reply = format!("{{\"id\":\"{id}\",\"code\":200,\"data\":{{}}}}");
                if let Some(c) = m.get() {
                    let _ = c.publish(&format!("{}_reply", msg.topic), 0, reply.as_bytes());
                }
            }),
        )
        .unwrap();
    assert!(
        cloud.wait_suback(sub, Duration::from_secs(5)).is_some(),
        "cloud SUBACK"
    );

    // Where the notify broadcasts go.
    let notify = UdpSocket::bind("127.0.0.1:0").unwrap();
    notify
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let notify_addr = notify.local_addr().unwrap();
    let coap_port = free_udp_port();
    let kv = work.join("kv.txt");
    let _ = std::fs::remove_file(&kv);

    let mut child = Command::new(&device)
        .args(["--broker", &format!("127.0.0.1:{mqtt_port}")])
        .args([
            "--pk",
            PK,
            "--dn",
            DN,
            "--mac",
            "02:00:00:00:00:01",
            "--ip",
            "127.0.0.1",
        ])
        .args(["--coap-bind", &format!("127.0.0.1:{coap_port}")])
        .args(["--notify-to", &notify_addr.to_string()])
        .arg("--kv")
        .arg(&kv)
        .args(["--run-ms", "60000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start devbind-device");
    let out = child.stdout.take().unwrap();
    let mut dev = Proc(child);
    let log: Arc<Mutex<String>> = Arc::default();
    let l = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let mut g = l.lock().unwrap();
            g.push_str(&line);
            g.push('\n');
        }
    });
    let log_has = |s: &str| log.lock().unwrap().contains(s);
    let fail = |what: &str| -> ! { panic!("{what}\n--- device log ---\n{}", log.lock().unwrap()) };

    if !wait_until(Duration::from_secs(10), || {
        log_has("device: mqtt connect success!")
    }) {
        fail("the device did not connect to mosquitto");
    }
    if !wait_until(Duration::from_secs(10), || {
        !tokens.lock().unwrap().is_empty()
    }) {
        fail("the cloud got no token report");
    }
    let first = tokens.lock().unwrap()[0].clone();
    assert!(
        first.len() == 32
            && first
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "token {first}"
    );

    // Active notify (flow A): after the ack, a device.info.notify reaches --notify-to.
    let mut buf = [0u8; 2048];
    let mut notified = None;
    let end = Instant::now() + Duration::from_secs(10);
    while notified.is_none() && Instant::now() < end {
        if let Ok((n, _)) = notify.recv_from(&mut buf) {
            let p = coap_lite::Packet::from_bytes(&buf[..n]).expect("notify decodes as CoAP");
            notified = Some(String::from_utf8_lossy(&p.payload).into_owned());
        }
    }
    let Some(notified) = notified else {
        fail("no device.info.notify arrived at --notify-to")
    };
    assert!(
        notified.contains("\"method\":\"device.info.notify\""),
        "{notified}"
    );
    assert_eq!(
        json_str(&notified, "token"),
        Some(first.as_str()),
        "{notified}"
    );

    // Passive query (flow B) from libcoap's client.
    let mut q = Command::new(&coap_client)
        .args([
            "-m",
            "get",
            "-B",
            "5",
            "-e",
            r#"{"id":"123","version":"1.0","params":{}}"#,
        ])
        .arg(format!("coap://127.0.0.1:{coap_port}/sys/device/info/get"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start coap-client-notls");
    let end = Instant::now() + Duration::from_secs(15);
    while q.try_wait().unwrap().is_none() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = q.kill();
    let qout = q.wait_with_output().unwrap();
    let answer = String::from_utf8_lossy(&qout.stdout).into_owned();
    let Some(json) = answer.find('{').map(|i| answer[i..].trim().to_string()) else {
        fail(&format!(
            "coap-client-notls printed no answer: stdout `{answer}` stderr `{}`",
            String::from_utf8_lossy(&qout.stderr)
        ))
    };
    for want in [
        "\"id\":123",
        "\"code\":200",
        "\"productKey\":\"a1demoPK01\"",
        "\"deviceName\":\"demo_device_01\"",
    ] {
        assert!(json.contains(want), "answer lacks {want}: {json}");
    }
    let token = json_str(&json, "token").unwrap_or_else(|| fail(&format!("no token in {json}")));
    assert!(
        token.len() == 32
            && token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "token `{token}` is not 32 upper-case hex digits"
    );
    assert!(
        tokens.lock().unwrap().iter().any(|t| t == token),
        "the answered token {token} was never reported to the cloud"
    );
    // The query rotates the token: a fresh one is reported.
    if !wait_until(Duration::from_secs(10), || {
        tokens.lock().unwrap().len() >= 2
    }) {
        fail("no fresh token was reported after the query");
    }

    // Clean exit on SIGTERM.
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(dev.0.id() as i32, libc::SIGTERM) };
    let end = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = dev.0.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > end {
            fail("the device did not exit within 10 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(100));
    assert!(status.success(), "device exit status {status}");
    if !log_has("device: awss_bind_deinit() = 0") {
        fail("awss_bind_deinit() was not called cleanly on exit");
    }
    cloud.shutdown();
}
