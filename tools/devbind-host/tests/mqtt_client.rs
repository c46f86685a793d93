//! The MQTT client against a tiny in-test broker (rumqttc's codec on std::net), topic-filter
//! matching, and the `IOT_MQTT_*` C exports.

use std::ffi::c_void;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use devbind_host::mqtt::{valid_filter, Message, MqttClient, MqttOptions};
use devbind_host::types::{IotxMqttEventMsg, IotxMqttTopicInfo};
use rumqttc::mqttbytes::matches;
use rumqttc::mqttbytes::v4::{self, Packet, SubscribeReasonCode};
use rumqttc::mqttbytes::QoS;

#[derive(Default)]
struct BrokerState {
    /// (filter, writer) of every subscription of every connection.
    subs: Vec<(String, TcpStream)>,
    conns: Vec<TcpStream>,
    events: Vec<String>,
}

struct Broker {
    port: u16,
    state: Arc<Mutex<BrokerState>>,
}

impl Broker {
    fn start() -> Broker {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(BrokerState::default()));
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                st.lock().unwrap().conns.push(conn.try_clone().unwrap());
                let st = Arc::clone(&st);
                std::thread::spawn(move || serve(conn, st));
            }
        });
        Broker { port, state }
    }

    fn events(&self) -> Vec<String> {
        self.state.lock().unwrap().events.clone()
    }

    fn wait_event(&self, what: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.events().iter().any(|e| e == what) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    fn drop_connections(&self) {
        let mut st = self.state.lock().unwrap();
        for c in st.conns.drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        st.subs.clear();
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn write(
    stream: &mut TcpStream,
    f: impl FnOnce(&mut BytesMut) -> Result<usize, rumqttc::mqttbytes::Error>,
) {
    let mut b = BytesMut::new();
    f(&mut b).unwrap();
    let _ = stream.write_all(&b);
}

fn serve(mut conn: TcpStream, st: Arc<Mutex<BrokerState>>) {
    let mut rx = BytesMut::new();
    let mut tmp = [0u8; 4096];
    loop {
        let n = match conn.read(&mut tmp) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        rx.extend_from_slice(&tmp[..n]);
        loop {
            let p = match Packet::read(&mut rx, 1 << 20) {
                Ok(p) => p,
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => break,
                Err(_) => return,
            };
            let mut st = st.lock().unwrap();
            match p {
                Packet::Connect(c) => {
                    st.events.push(format!(
                        "CONNECT {} clean={} ka={}",
                        c.client_id, c.clean_session, c.keep_alive
                    ));
                    write(&mut conn, |b| {
                        v4::ConnAck::new(v4::ConnectReturnCode::Success, false).write(b)
                    });
                }
                Packet::Subscribe(s) => {
                    let mut codes = Vec::new();
                    for f in &s.filters {
                        st.events.push(format!("SUBSCRIBE {}", f.path));
                        let w = conn.try_clone().unwrap();
                        st.subs.push((f.path.clone(), w));
                        codes.push(SubscribeReasonCode::Success(f.qos));
                    }
                    write(&mut conn, |b| v4::SubAck::new(s.pkid, codes).write(b));
                }
                Packet::Unsubscribe(u) => {
                    for t in &u.topics {
                        st.events.push(format!("UNSUBSCRIBE {t}"));
                    }
                    write(&mut conn, |b| v4::UnsubAck::new(u.pkid).write(b));
                }
                Packet::Publish(p) => {
                    st.events
                        .push(format!("PUBLISH {} qos{}", p.topic, p.qos as u8));
                    if p.qos == QoS::AtLeastOnce {
                        write(&mut conn, |b| v4::PubAck::new(p.pkid).write(b));
                    }
                    for (f, w) in st.subs.iter_mut() {
                        if matches(&p.topic, f) {
                            let fwd = v4::Publish::from_bytes(
                                p.topic.clone(),
                                QoS::AtMostOnce,
                                p.payload.clone(),
                            );
                            write(w, |b| fwd.write(b));
                        }
                    }
                }
                Packet::PingReq => {
                    st.events.push("PINGREQ".into());
                    write(&mut conn, |b| v4::PingResp.write(b));
                }
                Packet::Disconnect => {
                    st.events.push("DISCONNECT".into());
                    return;
                }
                _ => {}
            }
        }
    }
}

fn client(broker: &Broker, id: &str, keep_alive_s: u16) -> Arc<MqttClient> {
    MqttClient::new(MqttOptions {
        broker: broker.addr(),
        client_id: id.into(),
        keep_alive_s,
        log_traffic: false,
    })
}

/// A client driven on a thread of its own (connect + read loop), without reconnects.
fn run_one_session(c: &Arc<MqttClient>) {
    let stream = c.connect().expect("connect");
    let c2 = Arc::clone(c);
    std::thread::spawn(move || {
        let _ = c2.run_session(stream);
    });
}

#[test]
fn topic_filters_match_like_mqtt_311() {
    let yes = [
        ("a/b", "a/b"),
        ("a/+", "a/b"),
        ("+/+", "/x"),
        ("a/#", "a"),
        ("a/#", "a/b/c"),
        ("#", "a/b"),
        (
            "/sys/+/+/thing/awss/enrollee/match",
            "/sys/pk/dn/thing/awss/enrollee/match",
        ),
        ("/sys/+/+/thing/#", "/sys/pk/dn/thing/reset"),
        ("a/+/c", "a//c"),
    ];
    for (f, t) in yes {
        assert!(matches(t, f), "{f} should match {t}");
    }
    let no = [
        ("a/b", "a/b/c"),
        ("a/+", "a/b/c"),
        ("a/+", "a"),
        ("a/b/c", "a/b"),
        ("+/b", "a/c"),
        ("#", "$SYS/x"),
        ("+/x", "$SYS/x"),
        (
            "/sys/+/+/thing/awss/enrollee/match",
            "/sys/pk/dn/thing/awss/enrollee/match_reply",
        ),
        ("A/b", "a/b"),
    ];
    for (f, t) in no {
        assert!(!matches(t, f), "{f} should not match {t}");
    }
    assert!(valid_filter("a/+/#"));
    assert!(!valid_filter("a/#/b"));
    assert!(!valid_filter("a/b#"));
    assert!(!valid_filter("a+/b"));
    assert!(!valid_filter(""));
}

#[test]
fn connect_subscribe_publish_qos0_and_qos1() {
    let broker = Broker::start();
    let c = client(&broker, "pk.dn", 60);
    run_one_session(&c);
    assert!(c.is_connected());
    assert!(broker.wait_event("CONNECT pk.dn clean=true ka=60", Duration::from_secs(2)));

    type Got = Arc<Mutex<Vec<(String, Vec<u8>)>>>;
    let got: Got = Arc::default();
    let g = Arc::clone(&got);
    let id = c
        .subscribe(
            "/sys/+/+/thing/awss/enrollee/match_reply",
            1,
            Arc::new(move |m: &Message<'_>| {
                g.lock()
                    .unwrap()
                    .push((m.topic.to_string(), m.payload.to_vec()))
            }),
        )
        .unwrap();
    assert_ne!(id, 0);
    let codes = c.wait_suback(id, Duration::from_secs(2)).expect("SUBACK");
    assert_eq!(codes, vec![SubscribeReasonCode::Success(QoS::AtLeastOnce)]);

    // qos 1: PUBACK tracked.
    let pk = c
        .publish(
            "/sys/pk/dn/thing/awss/enrollee/match_reply",
            1,
            b"{\"id\":\"1\"}",
        )
        .unwrap();
    assert_ne!(pk, 0);
    assert!(c.wait_puback(pk, Duration::from_secs(2)));
    assert_eq!(c.inflight(), 0);
    // qos 0 on a topic nobody subscribed: no PUBACK, no delivery.
    assert_eq!(c.publish("/sys/pk/dn/thing/other", 0, b"x").unwrap(), 0);
    // qos 0 on the subscribed topic: delivered.
    c.publish("/sys/pk/dn/thing/awss/enrollee/match_reply", 0, b"second")
        .unwrap();
    let end = Instant::now() + Duration::from_secs(2);
    while got.lock().unwrap().len() < 2 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].1, b"{\"id\":\"1\"}");
    assert_eq!(got[1].1, b"second");
    assert!(broker
        .events()
        .contains(&"PUBLISH /sys/pk/dn/thing/other qos0".to_string()));

    // Bad topics are refused before anything is sent.
    assert!(c.publish("a/+/b", 0, b"").is_err());
    assert!(c
        .subscribe("a/#/b", 0, Arc::new(|_: &Message<'_>| {}))
        .is_err());

    c.unsubscribe("/sys/+/+/thing/awss/enrollee/match_reply")
        .unwrap();
    assert!(broker.wait_event(
        "UNSUBSCRIBE /sys/+/+/thing/awss/enrollee/match_reply",
        Duration::from_secs(2)
    ));
    c.shutdown();
    assert!(broker.wait_event("DISCONNECT", Duration::from_secs(2)));
    assert!(!c.is_connected());
    assert!(c.publish("x", 0, b"").is_err());
}

#[test]
fn keep_alive_sends_pingreq_and_stays_connected() {
    let broker = Broker::start();
    let c = client(&broker, "ka", 1);
    run_one_session(&c);
    assert!(broker.wait_event("PINGREQ", Duration::from_secs(3)));
    std::thread::sleep(Duration::from_millis(1200));
    assert!(c.is_connected(), "PINGRESP must keep the session up");
    c.shutdown();
}

#[test]
fn reconnects_resubscribes_and_calls_back_again() {
    let broker = Broker::start();
    let c = client(&broker, "again", 60);
    let connects = Arc::new(AtomicUsize::new(0));
    let n = Arc::clone(&connects);
    c.subscribe("t/#", 0, Arc::new(|_: &Message<'_>| {}))
        .unwrap();
    c.start(Box::new(move || {
        n.fetch_add(1, Ordering::SeqCst);
    }));
    assert!(c.wait_connected(Duration::from_secs(3)));
    assert!(broker.wait_event("SUBSCRIBE t/#", Duration::from_secs(2)));
    broker.state.lock().unwrap().events.clear();
    broker.drop_connections();
    // First retry after 1 s.
    assert!(
        broker.wait_event("SUBSCRIBE t/#", Duration::from_secs(5)),
        "{:?}",
        broker.events()
    );
    let end = Instant::now() + Duration::from_secs(2);
    while connects.load(Ordering::SeqCst) < 2 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(connects.load(Ordering::SeqCst), 2);
    assert_eq!(c.connect_count(), 2);
    c.shutdown();
}

#[test]
fn connect_to_a_closed_port_fails_cleanly() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = MqttClient::new(MqttOptions {
        broker: format!("127.0.0.1:{port}"),
        client_id: "x".into(),
        keep_alive_s: 60,
        log_traffic: false,
    });
    assert!(c.connect().is_err());
    assert!(!c.is_connected());
}

struct Seen {
    event_type: i32,
    topic: Vec<u8>,
    payload: Vec<u8>,
    after_payload: u8,
    ctx: usize,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

unsafe extern "C" fn on_publish(
    ctx: *mut c_void,
    _client: *mut c_void,
    msg: *mut IotxMqttEventMsg,
) {
    // SAFETY: the stand-in passes a valid event whose msg is a topic info for event 12.
    let ev = unsafe { &*msg };
    // SAFETY: as above.
    let info = unsafe { &*ev.msg.cast::<IotxMqttTopicInfo>() };
    // SAFETY: ptopic/payload point to topic_len/payload_len bytes (+ guard bytes after).
    let (topic, payload, after) = unsafe {
        (
            std::slice::from_raw_parts(info.ptopic.cast::<u8>(), usize::from(info.topic_len))
                .to_vec(),
            std::slice::from_raw_parts(info.payload.cast::<u8>(), info.payload_len as usize)
                .to_vec(),
            *info.payload.cast::<u8>().add(info.payload_len as usize),
        )
    };
    SEEN.lock().unwrap().push(Seen {
        event_type: ev.event_type,
        topic,
        payload,
        after_payload: after,
        ctx: ctx as usize,
    });
}

#[test]
fn c_exports_subscribe_publish_and_deliver_topic_info() {
    let broker = Broker::start();
    let c = client(&broker, "c-api", 60);
    devbind_host::config::set_mqtt(Some(Arc::clone(&c)));
    let filter = c"/sys/pk/dn/thing/reset_reply";
    // Like the SDK's client: no subscription before the connection is up.
    // SAFETY: valid C strings and a callback with the right signature.
    let early = unsafe {
        devbind_host::mqtt_ffi::IOT_MQTT_Subscribe(
            std::ptr::null_mut(),
            filter.as_ptr(),
            0,
            Some(on_publish),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(early, -1);
    run_one_session(&c);
    let t0 = std::time::Instant::now();
    while !c.is_connected() && t0.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: valid C strings and a callback with the right signature.
    let rc = unsafe {
        devbind_host::mqtt_ffi::IOT_MQTT_Subscribe(
            std::ptr::null_mut(),
            filter.as_ptr(),
            0,
            Some(on_publish),
            0x1234 as *mut c_void,
        )
    };
    assert!(rc > 0, "packet id, got {rc}");
    assert!(c.wait_suback(rc as u16, Duration::from_secs(2)).is_some());
    let mut body = *b"{\"id\":\"7\",\"code\":200}";
    // SAFETY: valid topic and payload.
    let rc = unsafe {
        devbind_host::mqtt_ffi::IOT_MQTT_Publish_Simple(
            std::ptr::null_mut(),
            filter.as_ptr(),
            1,
            body.as_mut_ptr().cast(),
            body.len() as i32,
        )
    };
    assert!(rc > 0, "qos 1 gives a packet id, got {rc}");
    let end = Instant::now() + Duration::from_secs(2);
    while SEEN.lock().unwrap().is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    {
        let seen = SEEN.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let s = &seen[0];
        assert_eq!(s.event_type, 12);
        assert_eq!(s.topic, filter.to_bytes());
        assert_eq!(s.payload, body);
        assert_ne!(s.after_payload, 0, "the payload must not be NUL-terminated");
        assert_eq!(s.ctx, 0x1234);
    }
    // NULL arguments are refused, not dereferenced.
    // SAFETY: NULLs are part of the contract.
    unsafe {
        assert_eq!(
            devbind_host::mqtt_ffi::IOT_MQTT_Subscribe(
                std::ptr::null_mut(),
                std::ptr::null(),
                0,
                Some(on_publish),
                std::ptr::null_mut()
            ),
            -1
        );
        assert_eq!(
            devbind_host::mqtt_ffi::IOT_MQTT_Publish_Simple(
                std::ptr::null_mut(),
                filter.as_ptr(),
                0,
                std::ptr::null_mut(),
                5
            ),
            -1
        );
        assert_eq!(
            devbind_host::mqtt_ffi::IOT_MQTT_Unsubscribe(std::ptr::null_mut(), filter.as_ptr()),
            0
        );
    }
    devbind_host::config::set_mqtt(None);
    c.shutdown();
}
