//! The tools' MQTT client (the cloud simulator's, the phones', the fake device's): rumqttc's
//! synchronous client, with a thread that drives its connection and hands received messages
//! and acknowledgements over. A dropped connection is not retried here: [`Client::is_connected`]
//! turns false and the caller decides (the cloud simulator reconnects, a phone gives up).
//!
//! `subscribe` and `unsubscribe` wait for their acknowledgement: rumqttc does not return a
//! packet id, so calls are serialised and each waits for the next SUBACK (UNSUBACK), which the
//! broker sends in order.

use rumqttc::{Client as RClient, ConnectionError, Event, MqttOptions, Packet, QoS};
use std::io;
use std::net::ToSocketAddrs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Largest packet either way.
pub const MAX_PACKET: usize = 256 * 1024;
/// How long a SUBACK or UNSUBACK may take.
const ACK_WAIT: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
}

/// What the connection thread hands over.
enum Ack {
    Sub,
    Unsub,
}

/// A connected client. Received publishes come out of `recv_timeout`; dropping it disconnects.
pub struct Client {
    client: RClient,
    msgs: Receiver<Message>,
    acks: Mutex<Receiver<Ack>>,
    alive: Arc<AtomicBool>,
}

fn io_err(kind: io::ErrorKind, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(kind, e.to_string())
}

/// Why a connection failed, as an I/O error (a refused TCP connect keeps its kind).
fn connection_error(e: ConnectionError) -> io::Error {
    match e {
        ConnectionError::Io(e) => e,
        other => io_err(io::ErrorKind::ConnectionRefused, other),
    }
}

impl Client {
    /// Connects and waits for CONNACK (at most `timeout`).
    pub fn connect(addr: &str, client_id: &str, timeout: Duration) -> io::Result<Client> {
        let sa = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io_err(io::ErrorKind::InvalidInput, "no address"))?;
        let mut opts = MqttOptions::new(client_id, sa.ip().to_string(), sa.port());
        opts.set_keep_alive(Duration::from_secs(60));
        opts.set_clean_session(true);
        opts.set_max_packet_size(MAX_PACKET, MAX_PACKET);
        let (client, mut connection) = RClient::new(opts, 64);
        // No Nagle delay: a reply written right after an acknowledgement would otherwise wait
        // for the broker's delayed ACK (40 ms on Linux), and the cloud simulator's replies
        // would come that much late.
        let mut net = connection.eventloop.network_options();
        net.set_tcp_nodelay(true);
        connection.eventloop.set_network_options(net);
        let (ctx, crx) = mpsc::channel::<io::Result<()>>();
        let (mtx, msgs) = mpsc::channel();
        let (atx, acks) = mpsc::channel();
        let alive = Arc::new(AtomicBool::new(false));
        {
            let alive = alive.clone();
            thread::Builder::new()
                .name(format!("mqtt {client_id}"))
                .spawn(move || {
                    let mut ctx = Some(ctx);
                    for ev in connection.iter() {
                        match ev {
                            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                                alive.store(true, Ordering::SeqCst);
                                if let Some(c) = ctx.take() {
                                    let _ = c.send(Ok(()));
                                }
                            }
                            Ok(Event::Incoming(Packet::Publish(p))) => {
                                let _ = mtx.send(Message {
                                    topic: p.topic,
                                    payload: p.payload.to_vec(),
                                });
                            }
                            Ok(Event::Incoming(Packet::SubAck(_))) => {
                                let _ = atx.send(Ack::Sub);
                            }
                            Ok(Event::Incoming(Packet::UnsubAck(_))) => {
                                let _ = atx.send(Ack::Unsub);
                            }
                            Ok(_) => {}
                            Err(e) => {
                                if let Some(c) = ctx.take() {
                                    let _ = c.send(Err(connection_error(e)));
                                }
                                break;
                            }
                        }
                    }
                    alive.store(false, Ordering::SeqCst);
                })?;
        }
        match crx.recv_timeout(timeout) {
            Ok(Ok(())) => Ok(Client {
                client,
                msgs,
                acks: Mutex::new(acks),
                alive,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                let _ = client.try_disconnect();
                Err(io_err(io::ErrorKind::TimedOut, "no CONNACK"))
            }
        }
    }

    /// Waits for the next acknowledgement of kind `want` (the caller holds `acks`).
    fn wait_ack(acks: &Receiver<Ack>, want: fn(&Ack) -> bool, what: &str) -> io::Result<()> {
        loop {
            match acks.recv_timeout(ACK_WAIT) {
                Ok(a) if want(&a) => return Ok(()),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(io_err(
                        io::ErrorKind::TimedOut,
                        format!("no {what} from the broker"),
                    ))
                }
            }
        }
    }

    /// Subscribes and waits for the SUBACK.
    pub fn subscribe(&self, filter: &str, qos: QoS) -> io::Result<()> {
        let acks = self.acks.lock().unwrap_or_else(|e| e.into_inner());
        self.client
            .subscribe(filter, qos)
            .map_err(|e| io_err(io::ErrorKind::NotConnected, e))?;
        Self::wait_ack(&acks, |a| matches!(a, Ack::Sub), "SUBACK")
    }

    /// Unsubscribes and waits for the UNSUBACK.
    pub fn unsubscribe(&self, filter: &str) -> io::Result<()> {
        let acks = self.acks.lock().unwrap_or_else(|e| e.into_inner());
        self.client
            .unsubscribe(filter)
            .map_err(|e| io_err(io::ErrorKind::NotConnected, e))?;
        Self::wait_ack(&acks, |a| matches!(a, Ack::Unsub), "UNSUBACK")
    }

    /// Publishes (QoS 0 or 1; the PUBACK is not waited for).
    pub fn publish(&self, topic: &str, payload: &[u8], qos: QoS) -> io::Result<()> {
        if !self.is_connected() {
            return Err(io_err(io::ErrorKind::NotConnected, "not connected"));
        }
        self.client
            .publish(topic, qos, false, payload.to_vec())
            .map_err(|e| io_err(io::ErrorKind::NotConnected, e))
    }

    /// The next received message, or `None` after `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Message> {
        self.msgs.recv_timeout(timeout).ok()
    }

    pub fn is_connected(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.client.try_disconnect();
    }
}
