//! The CoAP server stand-in on real loopback UDP: a request reaches the registered handler as
//! the SDK's `CoAPMessage` mirror; `CoAPServerResp_send` answers with the request's msgid and
//! token (checked by decoding the datagram with coap-lite); a `CoAPServerMultiCast_send` goes
//! out as NON POST and a response with its token calls the send's callback.

use std::ffi::{c_char, c_void, CStr};
use std::net::UdpSocket;
use std::sync::Mutex;
use std::time::Duration;

use coap_lite::{
    CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType,
};
use devbind_host::coap::{
    CoAPMessageId_cancel, CoAPServerMultiCast_send, CoAPServerResp_send, CoAPServer_register,
    CoapServer,
};
use devbind_host::types::{socket_to_network_addr, CoapMessage, NetworkAddr};

#[derive(Debug, Clone, Default)]
struct Req {
    paths: String,
    remote: String,
    port: u16,
    version: u8,
    msg_type: u8,
    tokenlen: u8,
    code: u8,
    msgid: u16,
    token: Vec<u8>,
    options: Vec<(u16, Vec<u8>)>,
    payload: Vec<u8>,
    resp_rc: i32,
    resp_msgid: u16,
}

static REQS: Mutex<Vec<Req>> = Mutex::new(Vec::new());

/// Records the request and answers it from inside the handler, as the library does.
unsafe extern "C" fn on_get(
    ctx: *mut c_void,
    paths: *const c_char,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the server passes valid pointers for the call.
    let (paths, r, m) = unsafe { (CStr::from_ptr(paths), &*remote, &*msg) };
    let mut options = Vec::new();
    for o in m.options.iter().take(m.optcount as usize) {
        // SAFETY: `val` points to `len` bytes for the call.
        options.push((
            o.num,
            unsafe { std::slice::from_raw_parts(o.val, o.len as usize) }.to_vec(),
        ));
    }
    let mut req = Req {
        paths: paths.to_string_lossy().into_owned(),
        remote: String::from_utf8_lossy(&r.addr[..r.addr.iter().position(|&b| b == 0).unwrap()])
            .into_owned(),
        port: r.port,
        version: m.header.version(),
        msg_type: m.header.msg_type(),
        tokenlen: m.header.tokenlen(),
        code: m.header.code,
        msgid: m.header.msgid,
        token: m.token[..m.header.tokenlen() as usize].to_vec(),
        options,
        // SAFETY: as above for the payload.
        payload: unsafe { std::slice::from_raw_parts(m.payload, m.payloadlen as usize) }.to_vec(),
        ..Req::default()
    };
    let mut answer = *b"{\"id\":123,\"code\":200,\"data\":{}}";
    let mut rmsgid = 0u16;
    let mut remote_copy = *r;
    let mut req_copy = *m;
    // SAFETY: valid pointers; `req_copy` is a faithful copy whose option values are still live.
    req.resp_rc = unsafe {
        CoAPServerResp_send(
            ctx,
            &mut remote_copy,
            answer.as_mut_ptr(),
            answer.len() as u16,
            std::ptr::addr_of_mut!(req_copy).cast(),
            paths.as_ptr(),
            None,
            &mut rmsgid,
            0,
        )
    };
    req.resp_msgid = rmsgid;
    REQS.lock().unwrap().push(req);
}

fn server() -> std::sync::Arc<CoapServer> {
    CoapServer::start("127.0.0.1:0".parse().unwrap(), None, false).unwrap()
}

fn phone() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s
}

fn recv(s: &UdpSocket) -> Packet {
    let mut buf = [0u8; 2048];
    let (n, _) = s.recv_from(&mut buf).expect("a datagram within 3 s");
    Packet::from_bytes(&buf[..n]).expect("decodable CoAP")
}

#[test]
fn request_reaches_handler_as_mirror_and_answer_echoes_msgid_and_token() {
    let srv = server();
    let ctx = srv.ctx();
    // SAFETY: valid context, C string and handler.
    let rc = unsafe { CoAPServer_register(ctx, c"/sys/device/info/get".as_ptr(), Some(on_get)) };
    assert_eq!(rc, 0);
    let ph = phone();
    let mut p = Packet::new();
    p.header.set_type(MessageType::NonConfirmable);
    p.header.code = MessageClass::Request(RequestType::Get);
    p.header.message_id = 0xBEEF;
    p.set_token(vec![1, 2, 3, 4, 5, 6, 7, 8]);
    p.add_option(CoapOption::UriPath, b"sys".to_vec());
    p.add_option(CoapOption::UriPath, b"device".to_vec());
    p.add_option(CoapOption::UriPath, b"info".to_vec());
    p.add_option(CoapOption::UriPath, b"get".to_vec());
    p.set_content_format(ContentFormat::ApplicationJSON);
    p.payload = br#"{"id":"123","version":"1.0","params":{}}"#.to_vec();
    ph.send_to(&p.to_bytes().unwrap(), srv.local_addr())
        .unwrap();

    let answer = recv(&ph);
    assert_eq!(answer.header.get_type(), MessageType::NonConfirmable);
    assert_eq!(
        answer.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    assert_eq!(answer.header.message_id, 0xBEEF);
    assert_eq!(answer.get_token(), &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        answer.get_content_format(),
        Some(ContentFormat::ApplicationJSON)
    );
    assert_eq!(answer.payload, b"{\"id\":123,\"code\":200,\"data\":{}}");

    // The handler records the request after its answer is sent: the phone may read the answer
    // first, so wait for the record.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let r = loop {
        let found = REQS
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.msgid == 0xBEEF)
            .cloned();
        match found {
            Some(r) => break r,
            None if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            None => panic!("handler not called"),
        }
    };
    assert_eq!(r.paths, "/sys/device/info/get");
    assert_eq!(r.remote, "127.0.0.1");
    assert_eq!(r.port, ph.local_addr().unwrap().port());
    assert_eq!((r.version, r.msg_type, r.tokenlen, r.code), (1, 1, 8, 0x01));
    assert_eq!(r.token, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        r.options,
        vec![
            (11, b"sys".to_vec()),
            (11, b"device".to_vec()),
            (11, b"info".to_vec()),
            (11, b"get".to_vec()),
            (12, vec![50]),
        ]
    );
    assert_eq!(r.payload, br#"{"id":"123","version":"1.0","params":{}}"#);
    assert_eq!((r.resp_rc, r.resp_msgid), (0, 0xBEEF));
    srv.stop();
}

#[test]
fn con_request_gets_empty_ack_then_answer_and_unknown_path_gets_404() {
    let srv = server();
    // SAFETY: valid arguments.
    let rc = unsafe {
        CoAPServer_register(srv.ctx(), c"sys/a/b/device/info/get".as_ptr(), Some(on_get))
    };
    assert_eq!(rc, 0);
    let ph = phone();
    let mut p = Packet::new();
    p.header.set_type(MessageType::Confirmable);
    p.header.code = MessageClass::Request(RequestType::Get);
    p.header.message_id = 77;
    p.set_token(vec![9]);
    for s in ["sys", "a", "b", "device", "info", "get"] {
        p.add_option(CoapOption::UriPath, s.as_bytes().to_vec());
    }
    p.payload = br#"{"id":"5"}"#.to_vec();
    ph.send_to(&p.to_bytes().unwrap(), srv.local_addr())
        .unwrap();
    let ack = recv(&ph);
    assert_eq!(ack.header.get_type(), MessageType::Acknowledgement);
    assert_eq!(ack.header.code, MessageClass::Empty);
    assert_eq!(ack.header.message_id, 77);
    let answer = recv(&ph);
    assert_eq!(
        answer.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    assert_eq!(answer.get_token(), &[9]);

    let mut q = Packet::new();
    q.header.set_type(MessageType::Confirmable);
    q.header.code = MessageClass::Request(RequestType::Get);
    q.header.message_id = 78;
    q.set_token(vec![7, 7]);
    q.add_option(CoapOption::UriPath, b"nothing".to_vec());
    ph.send_to(&q.to_bytes().unwrap(), srv.local_addr())
        .unwrap();
    let nf = recv(&ph);
    assert_eq!(
        nf.header.code,
        MessageClass::Response(ResponseType::NotFound)
    );
    assert_eq!(nf.header.message_id, 78);
    assert_eq!(nf.get_token(), &[7, 7]);

    // Garbage does not stop the server.
    ph.send_to(&[0xff, 0x00, 0x01], srv.local_addr()).unwrap();
    ph.send_to(&p.to_bytes().unwrap(), srv.local_addr())
        .unwrap();
    assert_eq!(recv(&ph).header.get_type(), MessageType::Acknowledgement);
    srv.stop();
}

#[derive(Debug, Clone)]
struct Ack {
    ctx: usize,
    result: i32,
    port: u16,
    code: u8,
    payload: Vec<u8>,
}

static ACKS: Mutex<Vec<Ack>> = Mutex::new(Vec::new());

unsafe extern "C" fn on_ack(
    ctx: *mut c_void,
    result: i32,
    _user: *mut c_void,
    remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: valid for the call.
    let (r, m) = unsafe { (&*remote, &*msg) };
    ACKS.lock().unwrap().push(Ack {
        ctx: ctx as usize,
        result,
        port: r.port,
        code: m.header.code,
        // SAFETY: valid for the call.
        payload: unsafe { std::slice::from_raw_parts(m.payload, m.payloadlen as usize) }.to_vec(),
    });
}

#[test]
fn multicast_send_goes_out_as_non_post_and_a_response_calls_back() {
    let ph = phone();
    let srv = server();
    let mut remote: NetworkAddr = socket_to_network_addr(&ph.local_addr().unwrap()).unwrap();
    let mut body = *br#"{"id":"1","method":"device.info.notify"}"#;
    let mut msgid = 0u16;
    // SAFETY: valid arguments.
    let rc = unsafe {
        CoAPServerMultiCast_send(
            srv.ctx(),
            &mut remote,
            c"/sys/device/info/notify".as_ptr(),
            body.as_mut_ptr(),
            body.len() as u16,
            Some(on_ack),
            &mut msgid,
        )
    };
    assert_eq!(rc, 0);
    let n = recv(&ph);
    assert_eq!(n.header.get_type(), MessageType::NonConfirmable);
    assert_eq!(n.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(n.header.message_id, msgid);
    assert_eq!(n.get_token().len(), 8);
    let path: Vec<Vec<u8>> = n
        .get_option(CoapOption::UriPath)
        .unwrap()
        .iter()
        .cloned()
        .collect();
    assert_eq!(
        path,
        vec![
            b"sys".to_vec(),
            b"device".to_vec(),
            b"info".to_vec(),
            b"notify".to_vec()
        ]
    );
    assert_eq!(n.get_content_format(), Some(ContentFormat::ApplicationJSON));
    assert_eq!(n.payload, body);

    // The phone acknowledges with a NON 2.05 carrying the token.
    let mut a = Packet::new();
    a.header.set_type(MessageType::NonConfirmable);
    a.header.code = MessageClass::Response(ResponseType::Content);
    a.header.message_id = 4242;
    a.set_token(n.get_token().to_vec());
    a.payload = br#"{"id":1,"code":200}"#.to_vec();
    ph.send_to(&a.to_bytes().unwrap(), srv.local_addr())
        .unwrap();
    // A response with another token calls nobody.
    let mut other = a.clone();
    other.set_token(vec![0; 8]);
    ph.send_to(&other.to_bytes().unwrap(), srv.local_addr())
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let acks = ACKS.lock().unwrap().clone();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].ctx, srv.ctx() as usize);
    assert_eq!(acks[0].result, 0);
    assert_eq!(acks[0].port, ph.local_addr().unwrap().port());
    assert_eq!(acks[0].code, 0x45);
    assert_eq!(acks[0].payload, br#"{"id":1,"code":200}"#);

    // Cancelled: a late response calls nobody.
    // SAFETY: valid context.
    assert_eq!(unsafe { CoAPMessageId_cancel(srv.ctx(), msgid) }, 0);
    // SAFETY: as above.
    assert_eq!(unsafe { CoAPMessageId_cancel(srv.ctx(), msgid) }, -1);
    ph.send_to(&a.to_bytes().unwrap(), srv.local_addr())
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(ACKS.lock().unwrap().len(), 1);
    srv.stop();
}

#[test]
fn notify_to_overrides_the_destination_and_null_arguments_are_refused() {
    let ph = phone();
    let srv = CoapServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Some(ph.local_addr().unwrap()),
        false,
    )
    .unwrap();
    // Asked for the limited broadcast: it must go to the notify-to address instead.
    let mut remote = socket_to_network_addr(&"255.255.255.255:5683".parse().unwrap()).unwrap();
    let mut body = *b"{}";
    // SAFETY: valid arguments.
    let rc = unsafe {
        CoAPServerMultiCast_send(
            srv.ctx(),
            &mut remote,
            c"/sys/device/info/notify".as_ptr(),
            body.as_mut_ptr(),
            2,
            None,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(rc, 0);
    assert_eq!(recv(&ph).payload, b"{}");
    assert_eq!(srv.pending(), 0, "no callback, nothing remembered");
    // SAFETY: NULL and unknown pointers are part of the contract.
    unsafe {
        assert_eq!(
            CoAPServer_register(srv.ctx(), std::ptr::null(), Some(on_get)),
            -1
        );
        assert_eq!(
            CoAPServer_register(0x10 as *mut c_void, c"/x".as_ptr(), Some(on_get)),
            -1
        );
        assert_eq!(
            CoAPServerResp_send(
                srv.ctx(),
                &mut remote,
                body.as_mut_ptr(),
                2,
                std::ptr::null_mut(),
                c"/x".as_ptr(),
                None,
                std::ptr::null_mut(),
                0
            ),
            -1
        );
        assert_eq!(
            CoAPServerMultiCast_send(
                srv.ctx(),
                &mut remote,
                std::ptr::null(),
                body.as_mut_ptr(),
                2,
                None,
                std::ptr::null_mut()
            ),
            -1
        );
    }
    srv.stop();
    assert!(CoapServer::lookup(srv.ctx()).is_none());
}
