//! Helpers shared by the tests that run real processes (the demo, the example device).

#![allow(dead_code)] // each test crate uses some of them

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed and reaped when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends signal `sig` (`TERM`, `INT`) to process `pid` alone.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// The example device (`build/host/devbind-device`, or `DEVBIND_DEVICE`); fails the test,
/// saying how to build it, when it is missing.
pub fn example_device() -> String {
    let path = match std::env::var_os("DEVBIND_DEVICE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../build/host/devbind-device"),
    };
    assert!(
        path.is_file(),
        "the example device {} does not exist: build it first (`make test` at the repository \
         root builds it before running these tests; by hand: see tools/README.md), or set \
         DEVBIND_DEVICE to its path",
        path.display()
    );
    path.to_str().unwrap().to_string()
}

/// The example device's wifi-provision build (`build/host/devbind-device-wifi`, or
/// `DEVBIND_WIFI_DEVICE`); fails the test, saying how to build it, when it is missing.
pub fn wifi_device() -> String {
    let path = match std::env::var_os("DEVBIND_WIFI_DEVICE") {
        Some(p) => PathBuf::from(p),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../build/host/devbind-device-wifi")
        }
    };
    assert!(
        path.is_file(),
        "the example device's wifi-provision build {} does not exist: build it first (`make \
         device-wifi` at the repository root; `make test` builds it before running these \
         tests), or set DEVBIND_WIFI_DEVICE to its path",
        path.display()
    );
    path.to_str().unwrap().to_string()
}

/// A mosquitto on `port` (loopback only), killed when dropped.
pub struct Mosquitto(Child);

impl Mosquitto {
    /// Starts it with its configuration in `dir`; returns once the port accepts connections.
    /// TCP_NODELAY on its sockets: without it, a publish forwarded right after a PUBACK waits
    /// for the client's delayed ACK (40 ms on Linux), which would pace every token report and
    /// its reply instead of the device and the cloud.
    pub fn start(port: u16, dir: &Path) -> Mosquitto {
        let bin = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .expect("mosquitto is not installed (Debian: apt-get install mosquitto); this test needs it, and is not skipped");
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n"
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        let m = Mosquitto(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not listen on 127.0.0.1:{port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        m
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port free on 127.0.0.1 now.
pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A command for `program` (`devbind` or an example device) without the `LD_LIBRARY_PATH`
/// that `cargo test` sets: it names this workspace's debug target, which can hold an older
/// `libdevbind_host.so` than the release one the example devices find through their RUNPATH,
/// and the loader would take it first.
#[allow(dead_code)]
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env_remove("LD_LIBRARY_PATH");
    c
}
