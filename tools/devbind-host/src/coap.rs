//! The CoAP server stand-in on real UDP, with the `coap-lite` codec.
//!
//! * A receive thread decodes each datagram. A request whose Uri-Path matches a registered
//!   resource calls its handler with a C `CoAPMessage` mirror and a `NetworkAddr`; the option
//!   values and the payload point into a receive buffer that is reused (and, here, overwritten
//!   with `0xEE`) as soon as the handler returns, as the SDK's server reuses its buffer: a
//!   firmware that answers later must have copied what it needs. A CON request is acknowledged
//!   with an empty ACK first (the answer then comes as a separate response); a request for an
//!   unknown path gets 4.04 if it was CON and is dropped if NON.
//! * [`CoapServer::resp_send`]: 2.05 Content, NON for qos 0 (else CON), the request's message
//!   id and token, Content-Format 50, Observe 0 echoed if the request asked to observe.
//! * [`CoapServer::multicast_send`]: NON POST to the given address (or the configured
//!   notify-to address), Uri-Path from the uri, Content-Format 50, a fresh token; any response
//!   that carries that token, from anyone, calls the send's callback with result 0, until the
//!   send is cancelled (or 10 minutes pass, or 64 newer sends push it out).

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use coap_lite::{
    CoapOption, ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType,
};

use crate::types::{
    network_addr_to_socket, socket_to_network_addr, CoapMessage, CoapMsgHeader, CoapRecvMsgHandler,
    CoapSendMsgHandler, NetworkAddr, COAP_MSG_MAX_OPTION_NUM, COAP_MSG_MAX_TOKEN_LEN,
};

/// Largest datagram read.
pub const MAX_DATAGRAM: usize = 1536;
/// How many sends with a callback are remembered.
pub const MAX_PENDING: usize = 64;
/// How long a send's callback stays live without a cancel.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
/// CoAP option number of Observe.
const OPT_OBSERVE: u16 = 6;

struct Resource {
    path: String,
    cb: CoapRecvMsgHandler,
}

struct Pending {
    token: Vec<u8>,
    msgid: u16,
    cb: CoapSendMsgHandler,
    at: Instant,
}

struct State {
    resources: Vec<Resource>,
    pending: VecDeque<Pending>,
    next_msgid: u16,
}

/// What a response needs from the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReqFields {
    /// The request's message id.
    pub msgid: u16,
    /// The request's token.
    pub token: Vec<u8>,
    /// The request's Observe value, if any.
    pub observe: Option<u32>,
}

/// One CoAP server (one UDP socket and its receive thread).
pub struct CoapServer {
    socket: UdpSocket,
    local: SocketAddr,
    notify_to: Option<SocketAddr>,
    log_traffic: bool,
    state: Mutex<State>,
    stop: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: Mutex<Option<ThreadId>>,
}

static SERVERS: Mutex<Vec<Arc<CoapServer>>> = Mutex::new(Vec::new());
static DEFAULT: Mutex<Option<Arc<CoapServer>>> = Mutex::new(None);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `/a/b` from Uri-Path segments; None if a segment is not UTF-8.
fn packet_path(p: &Packet) -> Option<String> {
    let mut path = String::new();
    if let Some(segs) = p.get_option(CoapOption::UriPath) {
        for s in segs {
            path.push('/');
            path.push_str(std::str::from_utf8(s).ok()?);
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    Some(path)
}

fn normalise(uri: &str) -> String {
    let segs: Vec<&str> = uri.split('/').filter(|s| !s.is_empty()).collect();
    format!("/{}", segs.join("/"))
}

fn msg_type_num(t: MessageType) -> u8 {
    match t {
        MessageType::Confirmable => 0,
        MessageType::NonConfirmable => 1,
        MessageType::Acknowledgement => 2,
        MessageType::Reset => 3,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fills `msg` (and `arena`, which holds option values and payload) from a decoded packet.
fn fill_mirror(p: &Packet, arena: &mut Vec<u8>, msg: &mut CoapMessage) -> Result<(), String> {
    arena.clear();
    let mut opts: Vec<(u16, usize, usize)> = Vec::new();
    for (num, list) in p.options() {
        for v in list {
            if opts.len() == COAP_MSG_MAX_OPTION_NUM {
                return Err(format!("more than {COAP_MSG_MAX_OPTION_NUM} options"));
            }
            opts.push((*num, arena.len(), v.len()));
            arena.extend_from_slice(v);
        }
    }
    let pay_off = arena.len();
    arena.extend_from_slice(&p.payload);
    let token = p.get_token();
    if token.len() > COAP_MSG_MAX_TOKEN_LEN {
        return Err(format!("token of {} bytes", token.len()));
    }
    let payloadlen = u16::try_from(p.payload.len()).map_err(|_| "payload too long".to_string())?;
    *msg = CoapMessage::default();
    msg.header = CoapMsgHeader::new(
        p.header.get_version(),
        msg_type_num(p.header.get_type()),
        u8::try_from(token.len()).unwrap_or(0),
        u8::from(p.header.code),
        p.header.message_id,
    );
    if let Some(dst) = msg.token.get_mut(..token.len()) {
        dst.copy_from_slice(token);
    }
    let base = arena.as_mut_ptr();
    for (slot, (num, off, len)) in msg.options.iter_mut().zip(opts.iter()) {
        slot.num = *num;
        slot.len = u16::try_from(*len).map_err(|_| "option too long".to_string())?;
        slot.val = base.wrapping_add(*off);
    }
    msg.optcount = u8::try_from(opts.len()).unwrap_or(0);
    msg.optdelta = opts
        .last()
        .map_or(0, |o| u8::try_from(o.0).unwrap_or(u8::MAX));
    msg.payloadlen = payloadlen;
    msg.payload = if payloadlen == 0 {
        std::ptr::null_mut()
    } else {
        base.wrapping_add(pay_off)
    };
    Ok(())
}

impl CoapServer {
    /// Binds `bind` (retrying for half a second if the port is still held by a server being
    /// closed), starts the receive thread, and registers the server for the C exports.
    pub fn start(
        bind: SocketAddr,
        notify_to: Option<SocketAddr>,
        log_traffic: bool,
    ) -> io::Result<Arc<Self>> {
        let mut tries = 0;
        let socket = loop {
            match UdpSocket::bind(bind) {
                Ok(s) => break s,
                Err(e) if e.kind() == io::ErrorKind::AddrInUse && tries < 10 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        };
        socket.set_broadcast(true)?;
        socket.set_read_timeout(Some(Duration::from_millis(100)))?;
        let local = socket.local_addr()?;
        let server = Arc::new(Self {
            socket,
            local,
            notify_to,
            log_traffic,
            state: Mutex::new(State {
                resources: Vec::new(),
                pending: VecDeque::new(),
                next_msgid: u16::try_from(crate::hal::random_below(0x1_0000)).unwrap_or(1),
            }),
            stop: AtomicBool::new(false),
            thread: Mutex::new(None),
            thread_id: Mutex::new(None),
        });
        let runner = Arc::clone(&server);
        let handle = std::thread::Builder::new()
            .name("coap-server".into())
            .spawn(move || runner.run())?;
        *lock(&server.thread_id) = Some(handle.thread().id());
        *lock(&server.thread) = Some(handle);
        lock(&SERVERS).push(Arc::clone(&server));
        crate::hlog!(
            "coap: server on udp {local}{}",
            notify_to.map_or_else(String::new, |n| format!(", notify sends go to {n}"))
        );
        Ok(server)
    }

    /// The C context pointer of this server.
    pub fn ctx(self: &Arc<Self>) -> *mut c_void {
        Arc::as_ptr(self).cast_mut().cast()
    }

    /// The server whose C context pointer is `ctx`.
    pub fn lookup(ctx: *mut c_void) -> Option<Arc<Self>> {
        lock(&SERVERS)
            .iter()
            .find(|s| std::ptr::eq(Arc::as_ptr(s).cast::<c_void>(), ctx.cast_const()))
            .cloned()
    }

    /// The bound UDP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    fn log(&self, args: std::fmt::Arguments<'_>) {
        if self.log_traffic {
            crate::hlog!("coap: {args}");
        }
    }

    /// Registers (or re-registers) the handler of `uri`.
    pub fn register(&self, uri: &str, cb: CoapRecvMsgHandler) {
        let path = normalise(uri);
        let mut st = lock(&self.state);
        st.resources.retain(|r| r.path != path);
        self.log(format_args!("resource {path} registered"));
        st.resources.push(Resource { path, cb });
    }

    /// Registered resource paths.
    pub fn resources(&self) -> Vec<String> {
        lock(&self.state)
            .resources
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }

    fn next_msgid(&self) -> u16 {
        let mut st = lock(&self.state);
        st.next_msgid = st.next_msgid.wrapping_add(1);
        st.next_msgid
    }

    fn send_packet(&self, p: &Packet, to: SocketAddr) -> io::Result<()> {
        let bytes = p
            .to_bytes()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{e:?}")))?;
        self.socket.send_to(&bytes, to).map(|_| ())
    }

    /// NON POST of `payload` to `uri` at the notify-to address if one is configured, else at
    /// `remote`. With `cb`, every response carrying the send's token calls `cb`.
    ///
    /// Returns the message id.
    pub fn multicast_send(
        &self,
        remote: Option<SocketAddr>,
        uri: &str,
        payload: &[u8],
        cb: Option<CoapSendMsgHandler>,
    ) -> io::Result<u16> {
        let Some(dest) = self.notify_to.or(remote) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no destination",
            ));
        };
        let msgid = self.next_msgid();
        let mut token = vec![0u8; 8];
        if !crate::hal::os_random(&mut token) {
            return Err(io::Error::other("no randomness for the token"));
        }
        let mut p = Packet::new();
        p.header.set_type(MessageType::NonConfirmable);
        p.header.code = MessageClass::Request(RequestType::Post);
        p.header.message_id = msgid;
        p.set_token(token.clone());
        for seg in uri.split('/').filter(|s| !s.is_empty()) {
            p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
        }
        p.set_content_format(ContentFormat::ApplicationJSON);
        p.payload = payload.to_vec();
        // Remember the send before it leaves: a phone on loopback may answer before send_to
        // returns, and its response must find the callback.
        if let Some(cb) = cb {
            let mut st = lock(&self.state);
            st.pending.retain(|x| x.at.elapsed() < PENDING_TTL);
            while st.pending.len() >= MAX_PENDING {
                st.pending.pop_front();
            }
            st.pending.push_back(Pending {
                token: token.clone(),
                msgid,
                cb,
                at: Instant::now(),
            });
        }
        if let Err(e) = self.send_packet(&p, dest) {
            lock(&self.state).pending.retain(|x| x.msgid != msgid);
            return Err(e);
        }
        self.log(format_args!(
            "tx NON POST {} to {dest}{} (mid {msgid}, token {}) {}",
            normalise(uri),
            match remote {
                Some(r) if r != dest => format!(" (asked for {r})"),
                _ => String::new(),
            },
            hex(&token),
            crate::log::payload(payload, 600)
        ));
        Ok(msgid)
    }

    /// 2.05 Content answering `req`, NON for qos 0 else CON, Content-Format 50.
    ///
    /// Returns the message id (the request's).
    pub fn resp_send(
        &self,
        remote: SocketAddr,
        payload: &[u8],
        req: &ReqFields,
        qos: u8,
    ) -> io::Result<u16> {
        let mut p = Packet::new();
        p.header.set_type(if qos == 0 {
            MessageType::NonConfirmable
        } else {
            MessageType::Confirmable
        });
        p.header.code = MessageClass::Response(ResponseType::Content);
        p.header.message_id = req.msgid;
        p.set_token(req.token.clone());
        if req.observe == Some(0) {
            p.set_observe_value(0);
        }
        p.set_content_format(ContentFormat::ApplicationJSON);
        p.payload = payload.to_vec();
        self.send_packet(&p, remote)?;
        self.log(format_args!(
            "tx 2.05 {} to {remote} (mid {}, token {}) {}",
            if qos == 0 { "NON" } else { "CON" },
            req.msgid,
            hex(&req.token),
            crate::log::payload(payload, 600)
        ));
        Ok(req.msgid)
    }

    /// Forgets the send with message id `msgid`; false if there was none.
    pub fn cancel(&self, msgid: u16) -> bool {
        let mut st = lock(&self.state);
        let before = st.pending.len();
        st.pending.retain(|x| x.msgid != msgid);
        st.pending.len() != before
    }

    /// Number of sends whose responses are still awaited.
    pub fn pending(&self) -> usize {
        lock(&self.state).pending.len()
    }

    /// Stops the receive thread (joined unless called from it), forgets resources and sends,
    /// and unregisters the server. The socket closes when the thread ends.
    pub fn stop(self: &Arc<Self>) {
        self.stop.store(true, Ordering::SeqCst);
        lock(&SERVERS).retain(|s| !Arc::ptr_eq(s, self));
        {
            let mut st = lock(&self.state);
            st.resources.clear();
            st.pending.clear();
        }
        let on_own_thread = *lock(&self.thread_id) == Some(std::thread::current().id());
        if !on_own_thread {
            if let Some(h) = lock(&self.thread).take() {
                let _ = h.join();
            }
        }
        crate::hlog!("coap: server on udp {} closed", self.local);
    }

    fn empty_reply(&self, t: MessageType, msgid: u16, to: SocketAddr) {
        let mut p = Packet::new();
        p.header.set_type(t);
        p.header.code = MessageClass::Empty;
        p.header.message_id = msgid;
        if let Err(e) = self.send_packet(&p, to) {
            crate::hlog!("coap: cannot send an empty {t:?} to {to}: {e}");
        }
    }

    fn run(self: Arc<Self>) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        // Option values and payload for the handlers: capacity never exceeded (a datagram is
        // at most MAX_DATAGRAM bytes), so its address is stable, like a C receive buffer.
        let mut arena: Vec<u8> = Vec::with_capacity(MAX_DATAGRAM);
        let mut msg = Box::<CoapMessage>::default();
        while !self.stop.load(Ordering::SeqCst) {
            let (n, peer) = match self.socket.recv_from(&mut buf) {
                Ok(x) => x,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut
                        || e.kind() == io::ErrorKind::Interrupted =>
                {
                    continue
                }
                Err(e) => {
                    crate::hlog!("coap: receive error: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            let data = buf.get(..n).unwrap_or(&[]);
            self.datagram(data, peer, &mut arena, &mut msg);
            // The receive buffer is reused: whatever a handler kept a pointer to is gone.
            arena.iter_mut().for_each(|b| *b = 0xEE);
        }
    }

    fn datagram(
        self: &Arc<Self>,
        data: &[u8],
        peer: SocketAddr,
        arena: &mut Vec<u8>,
        msg: &mut CoapMessage,
    ) {
        let p = match Packet::from_bytes(data) {
            Ok(p) => p,
            Err(e) => {
                crate::hlog!(
                    "coap: undecodable datagram ({} bytes) from {peer}: {e:?}",
                    data.len()
                );
                return;
            }
        };
        let Some(mut remote) = socket_to_network_addr(&peer) else {
            crate::hlog!("coap: datagram from non-IPv4 {peer} ignored");
            return;
        };
        let is_con = p.header.get_type() == MessageType::Confirmable;
        match p.header.code {
            MessageClass::Request(method) => {
                let Some(path) = packet_path(&p) else {
                    crate::hlog!("coap: request from {peer} with a non-UTF-8 Uri-Path ignored");
                    return;
                };
                self.log(format_args!(
                    "rx {} {method:?} {path} from {peer} (mid {}, token {}) {}",
                    if is_con { "CON" } else { "NON" },
                    p.header.message_id,
                    hex(p.get_token()),
                    crate::log::payload(&p.payload, 600)
                ));
                let cb = lock(&self.state)
                    .resources
                    .iter()
                    .find(|r| r.path == path)
                    .map(|r| r.cb);
                let Some(cb) = cb else {
                    self.log(format_args!(
                        "no resource {path}: {}",
                        if is_con { "4.04" } else { "dropped" }
                    ));
                    if is_con {
                        let mut r = Packet::new();
                        r.header.set_type(MessageType::Acknowledgement);
                        r.header.code = MessageClass::Response(ResponseType::NotFound);
                        r.header.message_id = p.header.message_id;
                        r.set_token(p.get_token().to_vec());
                        let _ = self.send_packet(&r, peer);
                    }
                    return;
                };
                if is_con {
                    self.empty_reply(MessageType::Acknowledgement, p.header.message_id, peer);
                }
                if let Err(e) = fill_mirror(&p, arena, msg) {
                    crate::hlog!("coap: request from {peer} not passed on: {e}");
                    return;
                }
                let Ok(cpath) = CString::new(path) else {
                    return;
                };
                // SAFETY: the firmware registered `cb` for this path; every pointer passed is
                // valid for the call (the mirror's inner pointers point into `arena`).
                unsafe { cb(self.ctx(), cpath.as_ptr(), &mut remote, msg) };
            }
            MessageClass::Response(code) => {
                let token = p.get_token();
                let cb = lock(&self.state)
                    .pending
                    .iter()
                    .find(|x| !token.is_empty() && x.token == token)
                    .map(|x| x.cb);
                self.log(format_args!(
                    "rx {} response {code:?} from {peer} (mid {}, token {}){} {}",
                    if is_con { "CON" } else { "NON" },
                    p.header.message_id,
                    hex(token),
                    if cb.is_some() {
                        ""
                    } else {
                        " matching no send"
                    },
                    crate::log::payload(&p.payload, 600)
                ));
                if is_con {
                    self.empty_reply(MessageType::Acknowledgement, p.header.message_id, peer);
                }
                let Some(cb) = cb else {
                    return;
                };
                if let Err(e) = fill_mirror(&p, arena, msg) {
                    crate::hlog!("coap: response from {peer} not passed on: {e}");
                    return;
                }
                // SAFETY: the firmware gave `cb` with its send; every pointer is valid for the
                // call.
                unsafe { cb(self.ctx(), 0, std::ptr::null_mut(), &mut remote, msg) };
            }
            MessageClass::Empty => {
                if is_con {
                    // CoAP ping.
                    self.empty_reply(MessageType::Reset, p.header.message_id, peer);
                }
            }
            MessageClass::Reserved(c) => {
                crate::hlog!("coap: message with reserved code {c} from {peer} ignored");
            }
        }
    }
}

/// Stops every server (at process shutdown).
pub fn shutdown_all() {
    let servers: Vec<Arc<CoapServer>> = lock(&SERVERS).clone();
    *lock(&DEFAULT) = None;
    for s in servers {
        s.stop();
    }
}

/// Reads what a response needs from a request mirror.
///
/// # Safety
/// `req` must be valid; each of its first `optcount` options with number 6 (Observe) must have
/// `len` readable bytes at `val`.
pub unsafe fn req_fields(req: &CoapMessage) -> ReqFields {
    let tl = usize::from(req.header.tokenlen()).min(COAP_MSG_MAX_TOKEN_LEN);
    let mut observe = None;
    for o in req.options.iter().take(usize::from(req.optcount)) {
        if o.num == OPT_OBSERVE && usize::from(o.len) <= 4 && (o.len == 0 || !o.val.is_null()) {
            let mut v = 0u32;
            for i in 0..usize::from(o.len) {
                // SAFETY: the caller guarantees `len` readable bytes at `val`.
                v = (v << 8) | u32::from(unsafe { *o.val.add(i) });
            }
            observe = Some(v);
        }
    }
    ReqFields {
        msgid: req.header.msgid,
        token: req.token.get(..tl).unwrap_or(&[]).to_vec(),
        observe,
    }
}

/// `void *CoAPServer_init(void)`: the process's CoAP server (started on the first call, on the
/// configured `coap_bind` address; later calls return the same one until `CoAPServer_deinit`).
///
/// # Returns
/// The server's context, or NULL if the port cannot be bound.
#[no_mangle]
pub extern "C" fn CoAPServer_init() -> *mut c_void {
    let mut default = lock(&DEFAULT);
    if let Some(s) = default.as_ref() {
        return s.ctx();
    }
    let cfg = crate::config::get();
    match CoapServer::start(cfg.coap_bind, cfg.notify_to, cfg.traffic_log) {
        Ok(s) => {
            let ctx = s.ctx();
            *default = Some(s);
            ctx
        }
        Err(e) => {
            crate::hlog!("coap: cannot bind udp {}: {e}", cfg.coap_bind);
            std::ptr::null_mut()
        }
    }
}

/// `void CoAPServer_deinit(void *ctx)`: closes the server.
///
/// # Safety
/// `ctx` is compared with the live servers, never dereferenced; any value is accepted.
#[no_mangle]
pub unsafe extern "C" fn CoAPServer_deinit(ctx: *mut c_void) {
    let Some(server) = CoapServer::lookup(ctx) else {
        crate::hlog!("CoAPServer_deinit: unknown context {ctx:p}");
        return;
    };
    {
        let mut default = lock(&DEFAULT);
        if default.as_ref().is_some_and(|d| Arc::ptr_eq(d, &server)) {
            *default = None;
        }
    }
    server.stop();
}

/// `int CoAPServer_register(void *ctx, const char *uri, CoAPRecvMsgHandler cb)`.
///
/// # Safety
/// `uri` must be NULL or NUL-terminated; `cb` must be safe to call from the receive thread.
///
/// # Returns
/// 0, or -1 for an unknown context or a NULL argument.
#[no_mangle]
pub unsafe extern "C" fn CoAPServer_register(
    ctx: *mut c_void,
    uri: *const c_char,
    cb: Option<CoapRecvMsgHandler>,
) -> c_int {
    let (Some(server), false, Some(cb)) = (CoapServer::lookup(ctx), uri.is_null(), cb) else {
        crate::hlog!("CoAPServer_register: unknown context, NULL uri or NULL callback");
        return -1;
    };
    // SAFETY: checked non-NULL; the caller guarantees NUL termination.
    let Ok(uri) = unsafe { CStr::from_ptr(uri) }.to_str() else {
        return -1;
    };
    server.register(uri, cb);
    0
}

/// # Safety
/// `buf` must be NULL or point to `len` readable bytes.
unsafe fn payload<'a>(buf: *const u8, len: u16) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if buf.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees `len` readable bytes.
    Some(unsafe { std::slice::from_raw_parts(buf, usize::from(len)) })
}

/// `int CoAPServerMultiCast_send(void *ctx, NetworkAddr *remote, const char *uri, uint8_t *buf,
/// uint16_t len, CoAPSendMsgHandler cb, uint16_t *msgid)`: NON POST (see the module docs).
///
/// # Safety
/// `remote` NULL or valid; `uri` NULL or NUL-terminated; `buf` NULL or `len` readable bytes;
/// `msgid` NULL or writable; `cb` safe to call from the receive thread.
///
/// # Returns
/// 0, or -1.
#[no_mangle]
pub unsafe extern "C" fn CoAPServerMultiCast_send(
    ctx: *mut c_void,
    remote: *mut NetworkAddr,
    uri: *const c_char,
    buf: *mut u8,
    len: u16,
    cb: Option<CoapSendMsgHandler>,
    msgid: *mut u16,
) -> c_int {
    let Some(server) = CoapServer::lookup(ctx) else {
        crate::hlog!("CoAPServerMultiCast_send: unknown context {ctx:p}");
        return -1;
    };
    if uri.is_null() {
        return -1;
    }
    // SAFETY: checked non-NULL; the caller guarantees NUL termination.
    let Ok(uri) = unsafe { CStr::from_ptr(uri) }.to_str() else {
        return -1;
    };
    // SAFETY: the caller guarantees `remote` is NULL or valid.
    let dest = unsafe { remote.as_ref() }.and_then(network_addr_to_socket);
    // SAFETY: the caller guarantees `len` readable bytes at `buf`.
    let Some(data) = (unsafe { payload(buf, len) }) else {
        return -1;
    };
    match server.multicast_send(dest, uri, data, cb) {
        Ok(id) => {
            // SAFETY: the caller guarantees `msgid` is NULL or writable.
            if let Some(out) = unsafe { msgid.as_mut() } {
                *out = id;
            }
            0
        }
        Err(e) => {
            crate::hlog!("CoAPServerMultiCast_send {uri}: {e}");
            -1
        }
    }
}

/// `int CoAPServerResp_send(void *ctx, NetworkAddr *remote, uint8_t *buf, uint16_t len,
/// void *req, const char *paths, CoAPSendMsgHandler cb, uint16_t *msgid, char qos)`: 2.05
/// Content with `req`'s message id, token (and Observe 0 if `req` asked to observe).
///
/// # Safety
/// `remote`, `req` NULL or valid (`req` a `CoAPMessage` whose Observe option values, if any, are
/// readable); `buf` NULL or `len` readable bytes; `paths` NULL or NUL-terminated; `msgid` NULL
/// or writable.
///
/// # Returns
/// 0, or -1.
#[no_mangle]
pub unsafe extern "C" fn CoAPServerResp_send(
    ctx: *mut c_void,
    remote: *mut NetworkAddr,
    buf: *mut u8,
    len: u16,
    req: *mut c_void,
    paths: *const c_char,
    _cb: Option<CoapSendMsgHandler>,
    msgid: *mut u16,
    qos: c_char,
) -> c_int {
    let Some(server) = CoapServer::lookup(ctx) else {
        crate::hlog!("CoAPServerResp_send: unknown context {ctx:p}");
        return -1;
    };
    if paths.is_null() {
        crate::hlog!("CoAPServerResp_send: NULL paths");
        return -1;
    }
    // SAFETY: the caller guarantees `remote` is NULL or valid.
    let Some(dest) = (unsafe { remote.as_ref() }).and_then(network_addr_to_socket) else {
        crate::hlog!("CoAPServerResp_send: NULL or unreadable remote address");
        return -1;
    };
    // SAFETY: the caller guarantees `req` is NULL or a valid CoAPMessage.
    let Some(req) = (unsafe { req.cast::<CoapMessage>().as_ref() }) else {
        crate::hlog!("CoAPServerResp_send: NULL request");
        return -1;
    };
    // SAFETY: the caller guarantees the request's Observe option values are readable.
    let fields = unsafe { req_fields(req) };
    // SAFETY: the caller guarantees `len` readable bytes at `buf`.
    let Some(data) = (unsafe { payload(buf, len) }) else {
        return -1;
    };
    match server.resp_send(dest, data, &fields, u8::from(qos != 0)) {
        Ok(id) => {
            // SAFETY: the caller guarantees `msgid` is NULL or writable.
            if let Some(out) = unsafe { msgid.as_mut() } {
                *out = id;
            }
            0
        }
        Err(e) => {
            crate::hlog!("CoAPServerResp_send to {dest}: {e}");
            -1
        }
    }
}

/// `int CoAPMessageId_cancel(void *ctx, uint16_t msgid)`: forgets a send's callback.
///
/// # Safety
/// `ctx` is compared with the live servers, never dereferenced.
///
/// # Returns
/// 0 if a send was forgotten, -1 otherwise.
#[no_mangle]
pub unsafe extern "C" fn CoAPMessageId_cancel(ctx: *mut c_void, msgid: u16) -> c_int {
    match CoapServer::lookup(ctx) {
        Some(s) if s.cancel(msgid) => 0,
        _ => -1,
    }
}

/// `int CoAPObsServer_notify(void *ctx, const char *path, uint8_t *payload, uint16_t len,
/// void *handler)`: observers are not kept; nothing to notify.
///
/// # Returns
/// 0.
#[no_mangle]
pub extern "C" fn CoAPObsServer_notify(
    _ctx: *mut c_void,
    _path: *const c_char,
    _payload: *mut u8,
    _payloadlen: u16,
    _handler: *mut c_void,
) -> c_int {
    0
}
