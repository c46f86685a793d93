//! The demo's MQTT broker and `devbind broker`: rumqttd, embedded, serving MQTT 3.1.1 over TCP
//! (QoS 0/1, `+`/`#` wildcards, a second connection with a client id takes its place).
//!
//! rumqttd has no shutdown: once started, it serves until the process ends, so a [`Broker`]
//! is a handle that only knows its address. The demo starts one per run; tests that need to
//! stop a broker use mosquitto.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};

/// Largest payload accepted.
pub const MAX_PAYLOAD: usize = 256 * 1024;

/// A running broker.
pub struct Broker {
    addr: SocketAddr,
}

impl Broker {
    /// Listens on `listen` (`127.0.0.1:0` for a free port) and serves in background threads
    /// until the process ends. Returns once the port accepts connections.
    pub fn start(listen: &str) -> io::Result<Broker> {
        let mut addr = listen
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address"))?;
        // rumqttd cannot tell the port of a `:0` listener: take a free one first. It is free
        // again a moment later, when rumqttd binds it (loopback: nobody else races for it).
        // A port in use is refused here too, as rumqttd would only log it.
        let probe = TcpListener::bind(addr)?;
        addr = probe.local_addr()?;
        drop(probe);
        let server = ServerSettings {
            name: "devbind".into(),
            listen: addr,
            tls: None,
            next_connection_delay_ms: 1,
            connections: ConnectionSettings {
                connection_timeout_ms: 5000,
                max_payload_size: MAX_PAYLOAD,
                max_inflight_count: 100,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        };
        let config = Config {
            id: 0,
            router: RouterConfig {
                max_connections: 1000,
                max_outgoing_packet_count: 200,
                max_segment_size: 1 << 20,
                max_segment_count: 10,
                custom_segment: None,
                initialized_filters: None,
                shared_subscriptions_strategy: Default::default(),
            },
            v4: Some(HashMap::from([("devbind".to_string(), server)])),
            ..Config::default()
        };
        let mut broker = rumqttd::Broker::new(config);
        thread::Builder::new()
            .name("broker".into())
            .spawn(move || {
                if let Err(e) = broker.start() {
                    eprintln!("devbind: broker: {e}");
                }
            })?;
        // Ready when the port answers.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(_) => return Ok(Broker { addr }),
                Err(e) if Instant::now() > deadline => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("the broker did not start listening on {addr}: {e}"),
                    ))
                }
                Err(_) => thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
