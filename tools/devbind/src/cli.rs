//! The command line's definition: one clap tree that parses the arguments and generates the
//! shell completions and the man pages.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Exit codes, the same for every subcommand.
pub const EXIT_CODES: &str = "\
Exit codes (every subcommand):
  0  success
  1  a flow or a step failed: a demo flow, a doctor verdict, a phone query with no answer,
     a bind refused, a notify that never came
  2  usage or I/O: bad arguments, a file that cannot be read or is not a text log, a socket
     that cannot be bound, a broker that cannot be reached
  130  the demo was interrupted (Ctrl-C, SIGTERM): its devices are stopped first";

#[derive(Parser, Debug)]
#[command(
    name = "devbind",
    version,
    about = "Cloud, phone and troubleshooting tools for the device bind module",
    long_about = "Cloud, phone and troubleshooting tools for the device bind module: a demo that plays \
every flow of the guide on loopback, an MQTT broker, a cloud simulator, a phone, and a doctor \
that walks the guide's troubleshooting steps over a device log.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    Demo(DemoArgs),
    Broker(BrokerArgs),
    Cloud(CloudArgs),
    #[command(subcommand)]
    Phone(PhoneCmd),
    Doctor(DoctorArgs),
    FakeDevice(FakeArgs),
    Completions(CompletionsArgs),
    Man(ManArgs),
}

/// Play every flow of the guide: embedded broker, cloud simulator, phones and the device.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  devbind demo                                  # the example device build/host/devbind-device
                                                # (flow 9 on build/host/devbind-device-wifi)
  devbind demo --switchap-device ./my-wifi-build  # flow 9, switch AP, on that program
  devbind demo --device fake                    # the Rust stand-in, no build needed
  devbind demo --json | jq -c 'select(.flow)'   # machine-readable events
  devbind demo --keep-logs /tmp/bind-logs       # keep the device log

Ctrl-C or SIGTERM stops the devices, removes the temporary directory, prints the flows played so
far and exits 130.")]
pub struct DemoArgs {
    /// The device program, or `fake` for the Rust stand-in (default: build/host/devbind-device)
    #[arg(long, value_name = "PATH|fake")]
    pub device: Option<String>,
    /// One JSON object per event, then a summary object
    #[arg(long)]
    pub json: bool,
    /// No colour (also NO_COLOR; colour is only used on a terminal)
    #[arg(long)]
    pub no_color: bool,
    /// Show every device log line
    #[arg(long)]
    pub verbose: bool,
    /// Copy the device log into DIR (created if needed), pass, fail or interrupted
    #[arg(long, value_name = "DIR")]
    pub keep_logs: Option<PathBuf>,
    /// The wifi-provision build that plays the switchap round, flow 9 (default: the device's
    /// `-wifi` sibling, build/host/devbind-device-wifi from `make device-wifi`, if it exists;
    /// else the device itself)
    #[arg(long, value_name = "PATH")]
    pub switchap_device: Option<PathBuf>,
    /// Play the switchap round (flow 9) even when the device does not show that it handles
    /// switchap (by default it plays only for a device that subscribes the switchap topic)
    #[arg(long)]
    pub switchap: bool,
}

/// An MQTT 3.1.1 broker (rumqttd, embedded: QoS 0/1, wildcards).
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  devbind broker                          # 127.0.0.1:1883
  devbind broker --listen 0.0.0.0:1883    # reachable from the LAN")]
pub struct BrokerArgs {
    /// Address to listen on
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:1883")]
    pub listen: SocketAddr,
}

/// The cloud's side: acks token reports and resets, binds phones presenting live tokens.
#[derive(Args, Debug)]
#[command(
    after_help = "\
Examples:
  devbind cloud --broker 127.0.0.1:1883
  devbind cloud --broker mqtt://192.168.1.2 --token-ttl-ms 45000 --json
  devbind cloud --broker 127.0.0.1:1883 --run-ms 60000   # stop after a minute
  devbind cloud --broker 127.0.0.1:1883 --ack-delay-ms 100  # replies 100 ms late
  devbind cloud switchap --broker 127.0.0.1:1883 --ssid office --passwd secret123",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct CloudArgs {
    #[command(subcommand)]
    pub cmd: Option<CloudCmd>,
    /// The broker: HOST:PORT, HOST (port 1883) or mqtt://HOST:PORT
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_broker, required = true)]
    pub broker: Option<String>,
    /// Token lifetime, counted from its last report
    #[arg(long, value_name = "MS", default_value_t = crate::cloud::DEFAULT_TTL_MS)]
    pub token_ttl_ms: u64,
    /// One JSON object per event
    #[arg(long)]
    pub json: bool,
    /// Stop after MS milliseconds (default: run until interrupted)
    #[arg(long, value_name = "MS")]
    pub run_ms: Option<u64>,
    /// Publish every reply MS after the message it answers (a distant cloud's latency)
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub ack_delay_ms: u64,
}

/// What the cloud can ask of a device, one request at a time.
#[derive(Subcommand, Debug)]
pub enum CloudCmd {
    Switchap(SwitchapArgs),
}

/// Ask a provisioned device to switch to another AP (thing.awss.device.switchap) and check its
/// reply.
#[derive(Args, Debug)]
#[command(after_help = "\
Publishes {\"id\":\"<id>\",\"version\":\"1.0\",\"method\":\"thing.awss.device.switchap\",\"params\":{\"ssid\",
\"passwd\",\"bssid\",\"switchMode\",\"timeout\"}} (QoS 1) to /sys/<pk>/<dn>/thing/awss/device/switchap and
waits for /sys/<pk>/<dn>/thing/awss/device/switchap_reply: one JSON object echoing the id, with
code 200 and a data object. The device then switches after max(timeout, 1 s) and reboots. The
password is sent, never printed. Exit 0 when the device accepted, 1 when it refused, answered
something unusable or did not answer within --wait-ms, 2 for a usage error or a broker that
cannot be reached.

Examples:
  devbind cloud switchap --broker 127.0.0.1:1883 --ssid office --passwd secret123
  devbind cloud switchap --broker 127.0.0.1:1883 --pk a1demoPK01 --dn demo_device_01 \\
      --ssid office --passwd secret123 --bssid 11:22:33:44:55:66 --timeout-ms 3000 --json
  devbind cloud switchap --broker 127.0.0.1:1883 --ssid '' --unchecked   # test a refusal")]
pub struct SwitchapArgs {
    /// The broker: HOST:PORT, HOST (port 1883) or mqtt://HOST:PORT
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_broker)]
    pub broker: String,
    /// Product key
    #[arg(long, default_value = "a1demoPK01")]
    pub pk: String,
    /// Device name
    #[arg(long, default_value = "demo_device_01")]
    pub dn: String,
    /// The AP to switch to (1-32 bytes)
    #[arg(long)]
    pub ssid: String,
    /// Its passphrase (at most 64 bytes; sent, never printed)
    #[arg(long, default_value = "")]
    pub passwd: String,
    /// Its BSSID, AA:BB:CC:DD:EE:FF (default: any AP with that SSID)
    #[arg(long, default_value = "")]
    pub bssid: String,
    /// switchMode of the request
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub switch_mode: u8,
    /// How long the device waits before it switches (it waits at least 1 s)
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub timeout_ms: u32,
    /// The request's id (default: a random number)
    #[arg(long)]
    pub id: Option<String>,
    /// How long to wait for the reply
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub wait_ms: u64,
    /// Send the fields as given, unchecked (to test how a device refuses bad input)
    #[arg(long)]
    pub unchecked: bool,
    /// The result as JSON
    #[arg(long)]
    pub json: bool,
}

/// A phone: query a device, listen for its broadcasts, bind with a token.
#[derive(Subcommand, Debug)]
pub enum PhoneCmd {
    Query(QueryArgs),
    Listen(ListenArgs),
    Bind(BindArgs),
    Flood(FloodArgs),
}

/// CoAP query of the device info (unicast path with --pk/--dn, else /sys/device/info/get).
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  devbind phone query 192.168.1.128 --pk a1demoPK01 --dn demo_device_01
  devbind phone query 192.168.1.255 --broadcast          # every device on the subnet
  devbind phone query 127.0.0.1:5683 --bind 127.0.0.2    # a device on this host")]
pub struct QueryArgs {
    /// The device: HOST or HOST:PORT (port 5683)
    #[arg(value_name = "HOST[:PORT]")]
    pub host: String,
    /// Product key (with --dn: the unicast path /sys/<pk>/<dn>/device/info/get)
    #[arg(long, requires = "dn")]
    pub pk: Option<String>,
    /// Device name (with --pk)
    #[arg(long, requires = "pk")]
    pub dn: Option<String>,
    /// Allow a broadcast destination (and ask on /sys/device/info/get)
    #[arg(long)]
    pub broadcast: bool,
    /// The query's JSON id
    #[arg(long, default_value = "123")]
    pub id: String,
    /// Source address to send from (the SDK's CoAP server drops packets from its own IP:
    /// a phone on the device's host sends from another loopback address, e.g. 127.0.0.2)
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = parse_bind)]
    pub bind: Option<SocketAddr>,
    /// How long to wait for the answer
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout_ms: u64,
    /// The answer (or the error) as JSON
    #[arg(long)]
    pub json: bool,
}

/// Flood a device with queries (SPEC 9: it keeps answering, its memory stays flat, its token
/// reports stay bounded) and print the figures.
#[derive(Args, Debug)]
#[command(after_help = "\
Sends --rate queries a second for --seconds, alternating /sys/device/info/get and, with
--pk/--dn, the unicast path; one thread sends without waiting, another counts the answers by
CoAP token. Then waits for the last answers (--drain-ms without one) and sends a normal query.
With --broker it counts the token reports published meanwhile, with --pid it reads the
device's VmRSS and VmHWM from /proc/PID/status. Exit 1 when a second of the flood got no
answer, the query after it got none, or the watched process died.

Examples:
  devbind phone flood 127.0.0.1:5683 --bind 127.0.0.2 --pk a1demoPK01 --dn demo_device_01
  devbind phone flood 127.0.0.1:5683 --bind 127.0.0.2 --rate 10000 --seconds 10 \\
      --broker 127.0.0.1:1883 --pid \"$(pidof devbind-device)\" --json")]
pub struct FloodArgs {
    /// The device: HOST or HOST:PORT (port 5683)
    #[arg(value_name = "HOST[:PORT]")]
    pub host: String,
    /// Product key (with --dn: the unicast path too)
    #[arg(long, requires = "dn")]
    pub pk: Option<String>,
    /// Device name (with --pk)
    #[arg(long, requires = "pk")]
    pub dn: Option<String>,
    /// Queries a second
    #[arg(long, value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate: u32,
    /// How long to flood
    #[arg(long, value_name = "S", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub seconds: u32,
    /// Source address to send from (a device on this host: another loopback address, e.g.
    /// 127.0.0.2)
    #[arg(long, value_name = "ADDR[:PORT]", value_parser = parse_bind)]
    pub bind: Option<SocketAddr>,
    /// Count the token reports published on this broker
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_broker)]
    pub broker: Option<String>,
    /// The device's process id: its memory, and whether it survives
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// After the last send, count answers until none came for MS
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub drain_ms: u64,
    /// The figures as one JSON object
    #[arg(long)]
    pub json: bool,
}

/// Receive device.info.notify broadcasts (and ack them as a phone app does with --ack).
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  devbind phone listen --ack --count 1
  devbind phone listen --bind 127.0.0.1:5690 --timeout-ms 10000 --json")]
pub struct ListenArgs {
    /// Address to listen on
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:5683")]
    pub bind: SocketAddr,
    /// Answer each notify (NON 2.05, {"id":<id>,"code":200}): the device then rotates its token
    #[arg(long)]
    pub ack: bool,
    /// Stop after N notifies
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after MS milliseconds (exit 1 if nothing came)
    #[arg(long, value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// One JSON object per notify
    #[arg(long)]
    pub json: bool,
}

/// Present a token to the cloud; --wait-ms keeps polling while the cloud does not know it yet.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  devbind phone bind --broker 127.0.0.1:1883 --token 4786F0F6E1CC7BF86017FD4D1429EE4F
  devbind phone bind --broker 127.0.0.1:1883 --token <HEX> --phone alice --wait-ms 30000")]
pub struct BindArgs {
    /// The broker the cloud simulator listens on
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_broker)]
    pub broker: String,
    /// The token: 32 hex digits
    #[arg(long, value_name = "HEX", value_parser = parse_token)]
    pub token: String,
    /// The phone's name (the bind topic's level)
    #[arg(long, default_value = "phone1")]
    pub phone: String,
    /// Keep polling while the cloud answers 404 (the phone made the token and waits for the
    /// device to report it)
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub wait_ms: u64,
    /// The result as JSON
    #[arg(long)]
    pub json: bool,
}

/// Walk the guide's troubleshooting steps over device logs.
#[derive(Args, Debug)]
#[command(after_help = "\
Any encoding (UTF-8 with or without BOM, UTF-16LE/BE, stray Latin-1 bytes), any line ending,
colour codes, the prefixes of our library, the SDK and ESP-IDF. A log with several boots or
MQTT reconnects is cut into sessions; the verdict is the last session's. Exit 0 when the last
session passed, 1 when a step failed, 2 when a file cannot be read or is not a text log (the
highest code of all files).

Examples:
  devbind doctor device.log
  devbind doctor boot1.log boot2.log --json
  idf.py monitor | tee esp.log; devbind doctor esp.log
  devbind doctor - < device.log")]
pub struct DoctorArgs {
    /// Log files (`-` for stdin); each is analysed
    #[arg(value_name = "LOGFILE", required = true)]
    pub files: Vec<String>,
    /// One JSON object per file
    #[arg(long)]
    pub json: bool,
    /// No colour
    #[arg(long)]
    pub no_color: bool,
}

/// A Rust stand-in for build/host/devbind-device (same flags).
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  devbind fake-device --broker 127.0.0.1:1883 --coap-bind 127.0.0.1:5683 --notify-to 127.0.0.1:5690")]
pub struct FakeArgs {
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_broker)]
    pub broker: String,
    #[arg(long)]
    pub pk: Option<String>,
    #[arg(long)]
    pub dn: Option<String>,
    #[arg(long)]
    pub mac: Option<String>,
    #[arg(long)]
    pub ip: Option<String>,
    #[arg(long, value_name = "ADDR:PORT")]
    pub coap_bind: Option<SocketAddr>,
    #[arg(long, value_name = "ADDR:PORT")]
    pub notify_to: Option<SocketAddr>,
    #[arg(long, value_name = "FILE")]
    pub kv: Option<String>,
    #[arg(long, value_name = "HEX", value_parser = parse_token)]
    pub token: Option<String>,
    #[arg(long, value_name = "MS")]
    pub report_retry_ms: Option<u64>,
    #[arg(long, value_name = "N")]
    pub report_attempts: Option<u32>,
    #[arg(long, value_name = "MS")]
    pub token_lifetime_ms: Option<u64>,
    #[arg(long, value_name = "N")]
    pub notify_count: Option<u32>,
    #[arg(long, value_name = "MS")]
    pub notify_step_ms: Option<u64>,
    #[arg(long, value_name = "MS")]
    pub reset_retry_ms: Option<u64>,
    #[arg(long, value_name = "N")]
    pub log_level: Option<u32>,
    #[arg(long, value_name = "MS")]
    pub run_ms: Option<u64>,
    #[arg(long)]
    pub factory_reset: bool,
}

/// Print a shell completion script.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  devbind completions bash > ~/.local/share/bash-completion/completions/devbind
  devbind completions zsh > ~/.zfunc/_devbind
  devbind completions fish > ~/.config/fish/completions/devbind.fish")]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

/// Print the man page, or write one per subcommand into a directory.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  devbind man | man -l -
  devbind man --dir /usr/local/share/man/man1")]
pub struct ManArgs {
    /// Write devbind.1 and devbind-<subcommand>.1 into DIR
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `mqtt://host:port`, `tcp://host`, `host` -> `host:port` (1883 by default).
pub fn parse_broker(s: &str) -> Result<String, String> {
    let t = s
        .trim_start_matches("mqtt://")
        .trim_start_matches("tcp://")
        .trim_end_matches('/');
    if t.is_empty() {
        return Err("empty: want HOST:PORT".into());
    }
    // [v6]:port, v4:port, host:port, or a bare host / v6 address.
    let (host, port) = if let Some(rest) = t.strip_prefix('[') {
        let (h, p) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{s}`: `[` without `]`"))?;
        (h.to_string(), p.strip_prefix(':'))
    } else if t.matches(':').count() == 1 {
        let (h, p) = t.split_once(':').unwrap_or((t, ""));
        (h.to_string(), Some(p))
    } else {
        (t.to_string(), None)
    };
    if host.is_empty() {
        return Err(format!("`{s}`: no host"));
    }
    let port = match port {
        None => 1883,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("`{p}` is not a port (1-65535)")),
        },
    };
    Ok(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// `ADDR` or `ADDR:PORT` (port 0: any).
pub fn parse_bind(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    match s.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(SocketAddr::new(ip, 0)),
        Err(_) => Err(format!("`{s}` is not an address (ADDR or ADDR:PORT)")),
    }
}

/// A bind token: 32 hex digits (the device's 16 random bytes).
pub fn parse_token(s: &str) -> Result<String, String> {
    if s.len() != 32 {
        return Err(format!("want 32 hex digits, got {} characters", s.len()));
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("`{c}` is not a hex digit"));
    }
    Ok(s.to_string())
}
