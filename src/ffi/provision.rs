//! The `wifi-provision` feature's C ABI (docs/WIFI_PROVISION.md): the eight extra exports, the
//! provisioning imports, and the execution of the core's [`dev_bind_core::provision`] actions.
//!
//! Every decision is the core's ([`Provision`], behind the module lock beside the bind
//! machine); this module turns C calls into its events, and its actions into C calls, after
//! the lock is released. The one HAL timer carries its deadlines too (`shell::arm`).

use core::ffi::{c_char, c_int, c_void};
use core::ptr::{self, NonNull};
use portable_atomic::{AtomicU32, Ordering};

use super::coap;
use super::exec::{self, Ids, PAYLOAD_MAX, TOPIC_MAX};
use super::imports::{self, coap_msg, coap_payload, MqttEventHandler};
use super::log;
use super::shell::{self, read_aes_random};
use super::types::{
    CoapMessage, CoapRecvMsgHandler, CoapSendMsgHandler, MqttEventMsg, MqttTopicInfo, NetworkAddr,
    MQTT_EVENT_PUBLISH_RECEIVED,
};
use dev_bind_core::hmac_sha1::{hmac_sha1, DIGEST_LEN};
use dev_bind_core::provision::{
    self, Action, Kind, Provision, Resource, Sink, Target, WifiSub, CONNECT_TIMEOUT_MS,
    IOTX_AWSS_SUC_NOTIFY,
};
use dev_bind_core::render::wifi::{self, WifiFields, WifiPayload, WifiTopic};
use dev_bind_core::render::{self, Identity, Writer};
use dev_bind_core::{IdEcho, Level, Line, Msg, Token};

/// `AWSS_AUTH_TYPE_INVALID` / `AWSS_ENC_TYPE_INVALID` (C enums: `int`-sized).
const AWSS_TYPE_INVALID: c_int = 0xff;
/// Longest switch-AP payload looked at.
const SWITCHAP_PAYLOAD_MAX: usize = shell::MQTT_PAYLOAD_MAX;

// The provisioning imports (docs/WIFI_PROVISION.md section 1), with their C types (private:
// the header declares exports only).
extern "C" {
    fn HAL_GetProductSecret(product_secret: *mut c_char) -> c_int;
    fn HAL_Wifi_Get_Ap_Info(ssid: *mut c_char, passwd: *mut c_char, bssid: *mut u8) -> c_int;
    fn HAL_Awss_Connect_Ap(
        connection_timeout_ms: u32,
        ssid: *mut c_char,
        passwd: *mut c_char,
        auth: c_int,
        encry: c_int,
        bssid: *mut u8,
        channel: u8,
    ) -> c_int;
    fn awss_enrollee_checkin(pcontext: *mut c_void, pclient: *mut c_void, msg: *mut c_void);
    fn awss_report_enrollee_reply(pcontext: *mut c_void, pclient: *mut c_void, msg: *mut c_void);
    fn awss_get_cipher_reply(pcontext: *mut c_void, pclient: *mut c_void, msg: *mut c_void);
    fn awss_registrar_init();
    fn awss_registrar_deinit();
    fn awss_disp_statis();
    fn awss_clear_statis();
    fn online_dev_bind_monitor(
        ctx: *mut c_void,
        resource: *mut c_void,
        remote: *mut c_void,
        request: *mut c_void,
    ) -> c_int;
    fn wifimgr_process_switch_ap_request(
        ctx: *mut c_void,
        resource: *mut c_void,
        remote: *mut c_void,
        request: *mut c_void,
    ) -> c_int;
    fn wifimgr_process_get_wifilist_request(
        ctx: *mut c_void,
        resource: *mut c_void,
        remote: *mut c_void,
        request: *mut c_void,
    ) -> c_int;
    fn wifimgr_process_mcast_get_device_info(
        ctx: *mut c_void,
        resource: *mut c_void,
        remote: *mut c_void,
        request: *mut c_void,
    ) -> c_int;
    fn wifimgr_process_ucast_get_device_info(
        ctx: *mut c_void,
        resource: *mut c_void,
        remote: *mut c_void,
        request: *mut c_void,
    ) -> c_int;
    fn wifimgr_process_dev_ap_switchap_request(
        ctx: *mut c_void,
        resource: *mut c_void,
        remote: *mut c_void,
        request: *mut c_void,
    ) -> c_int;
}

// ---------------------------------------------------------------- the entry

/// What a provisioning entry does to the core.
pub enum Event<'a> {
    /// `awss_suc_notify` / `awss_devinfo_notify`.
    NotifyStart(Kind),
    /// `awss_suc_notify_stop` / `awss_devinfo_notify_stop`.
    NotifyStop(Kind),
    /// The send callback of a provisioning broadcast.
    Ack {
        /// Which round's broadcast.
        kind: Kind,
        /// The callback's result (0: a response arrived).
        result: c_int,
        /// The response's CoAP code.
        code: u8,
        /// The response's payload.
        payload: Option<&'a [u8]>,
    },
    /// `awss_online_switchap`.
    SwitchAp(Option<&'a [u8]>),
    /// The result of an `Action::ReadCurrentAp`.
    CurrentAp {
        /// `HAL_Wifi_Get_Ap_Info`'s result.
        res: c_int,
        /// Its SSID, cut at the NUL.
        ssid: &'a [u8],
        /// Its password, cut at the NUL.
        passwd: &'a [u8],
        /// Its BSSID.
        bssid: [u8; 6],
    },
    /// The result of an `Action::ConnectAp`.
    ConnectDone(c_int),
    /// The timer fired.
    Poll,
    /// `awss_bind_deinit`.
    Deinit,
    /// `awss_report_cloud`.
    Connect,
    /// `awss_start_bind`.
    StartBind,
    /// `awss_cmp_online_init` (`true`) / `awss_cmp_online_deinit`.
    Online(bool),
    /// `awss_cmp_local_init(stage)`.
    LocalInit(c_int),
    /// `awss_cmp_local_deinit` with a CoAP server.
    LocalDeinit,
    /// `awss_start_connectap_monitor`.
    WindowOpen,
    /// `awss_stop_connectap_monitor`.
    WindowClose,
}

/// Actions one provisioning entry may queue (the most: a deinit's two cancels, four
/// unsubscriptions, the registrar's deinit and the statistics' clear). Each holds up to a switch-AP target
/// (about 100 bytes): the queue stays small on the stack.
const OUTBOX_CAP: usize = 8;

struct Outbox {
    actions: heapless::Vec<Action, OUTBOX_CAP>,
}

impl Sink for Outbox {
    fn act(&mut self, action: Action) {
        if self.actions.push(action).is_err() {
            log::note(Level::Error, Msg::QueueFull);
        }
    }
    fn log(&mut self, line: Line, bytes: &[u8], num: i64) {
        log::line(line, bytes, num);
    }
}

/// The provisioning state, behind the module lock.
fn prov(shell: &mut shell::Shell) -> &mut Provision {
    &mut shell.prov
}

/// Run `event` on the core under the module lock, then execute its actions (outside the
/// lock) and re-arm the timer. `-1` when the module lock cannot be created, else `0`.
#[inline(never)]
pub fn run(event: Event<'_>) -> c_int {
    let Some(mut held) = shell::begin() else {
        return -1;
    };
    let now = held.now;
    let cfg = held.shell.machine().config();
    let mut out = Outbox {
        actions: heapless::Vec::new(),
    };
    let o = &mut out;
    held.shell.prov_poll = Some(poll);
    let p = prov(&mut held.shell);
    match event {
        Event::NotifyStart(kind) => p.notify_start(now, kind, &cfg, o),
        Event::NotifyStop(kind) => p.notify_stop(kind, o),
        Event::Ack {
            kind,
            result,
            code,
            payload,
        } => p.on_ack(kind, result, code, payload, o),
        Event::SwitchAp(payload) => p.switchap(payload, o),
        Event::CurrentAp {
            res,
            ssid,
            passwd,
            bssid,
        } => p.current_ap(now, res, ssid, passwd, &bssid, o),
        Event::ConnectDone(res) => p.connect_done(now, res, o),
        Event::Poll => p.poll(now, &cfg, o),
        Event::Deinit => p.deinit(o),
        Event::Connect => p.connect(o),
        Event::StartBind => p.bind_started(o),
        Event::Online(on) => p.online(on, o),
        Event::LocalInit(stage) => p.local_init(stage, o),
        Event::LocalDeinit => p.local_deinit(o),
        Event::WindowOpen => p.connectap_open(now),
        Event::WindowClose => p.connectap_close(),
    }
    held.unlock();
    for action in out.actions.iter_mut() {
        execute(action);
    }
    shell::arm();
    0
}

/// True while the connect-AP info window is open (`false` without the module lock).
pub fn window_is_open() -> bool {
    shell::locked(|s, _, now| s.prov.connectap_is_open(now)).unwrap_or(false)
}

/// The timer's poll of the provisioning state (handed to the shell by every entry).
fn poll() {
    let _ = run(Event::Poll);
}

// ---------------------------------------------------------------- executing the actions

/// The last CoAP message id of each round's broadcast, with bit 16 set while it may still be
/// pending.
static MSGID: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];
const MSGID_VALID: u32 = 1 << 16;

fn slot(kind: Kind) -> &'static AtomicU32 {
    match kind {
        Kind::Success => &MSGID[0],
        Kind::DevInfo => &MSGID[1],
    }
}

/// Execute one action; what the core must know comes back as a new entry.
fn execute(action: &mut Action) {
    match action {
        Action::Broadcast { kind, id, dest } => broadcast(*kind, *id, *dest),
        Action::CancelBroadcast(kind) => cancel(*kind),
        Action::PostEvent(code) => {
            if *code == IOTX_AWSS_SUC_NOTIFY {
                log::note(Level::Debug, Msg::PostSucNotify);
            }
            imports::post_event(*code);
        }
        Action::SwitchApReply { id, code } => switchap_reply(id, *code),
        Action::ReadCurrentAp => read_current_ap(),
        Action::ConnectAp(target) => connect_ap(target),
        // SAFETY: no arguments; the HAL restarts the device (or, in a test double, returns).
        Action::Reboot => unsafe { imports::HAL_Reboot() },
        Action::Subscribe(sub) => subscribe(*sub, true),
        Action::Unsubscribe(sub) => subscribe(*sub, false),
        Action::Register(set) => set.iter().for_each(register),
        // SAFETY: no arguments (the SDK declares the statistics display without a prototype
        // and ignores what its report macro passes: a call without arguments is the same).
        Action::RegistrarInit => unsafe {
            awss_registrar_init();
            awss_disp_statis();
            awss_disp_statis();
        },
        // SAFETY: no arguments.
        Action::RegistrarDeinit => unsafe { awss_registrar_deinit() },
        // SAFETY: no arguments.
        Action::ClearStatis => unsafe { awss_clear_statis() },
    }
}

/// Render `which` into `buf` (NUL-terminated, see `exec::topic`).
fn wifi_topic<'b>(buf: &'b mut [u8; TOPIC_MAX], which: WifiTopic, who: &Identity<'_>) -> &'b [u8] {
    let (text, _nul) = buf.split_at_mut(TOPIC_MAX - 1);
    let mut w = Writer::new(text);
    wifi::topic(&mut w, which, who);
    let len = w.len();
    buf.get(..=len).unwrap_or(b"\0")
}

/// The product secret, up to its NUL, into `buf` (64 bytes and the NUL, plus a spare byte the
/// HAL never writes).
fn product_secret(buf: &mut [u8; 66]) -> &[u8] {
    // SAFETY: the buffer holds the HAL's longest secret (64 bytes) and its NUL.
    unsafe { HAL_GetProductSecret(buf.as_mut_ptr().cast()) };
    imports::until_nul(buf)
}

/// Zero `b` with volatile writes (a secret's last copy: the compiler must not drop them).
fn wipe(b: &mut [u8]) {
    for x in b.iter_mut() {
        // SAFETY: `x` is a valid, aligned `u8` of the slice.
        unsafe { ptr::write_volatile(x, 0) };
    }
}

/// The sign of this device for `random`: HMAC-SHA1 keyed with the product secret over the
/// random, the device name and the product key.
fn device_sign(random: &Token, who: &Identity<'_>) -> [u8; DIGEST_LEN] {
    let mut secret = [0u8; 66];
    let sign = provision::sign(
        product_secret(&mut secret),
        random,
        who.device_name,
        who.product_key,
    );
    wipe(&mut secret);
    sign
}

/// Render a provisioning payload into `buf`; `None` after an error line when it does not fit.
fn render_wifi<'b>(
    buf: &'b mut [u8; PAYLOAD_MAX],
    which: WifiPayload,
    f: &WifiFields<'_>,
    too_long: Msg,
) -> Option<&'b [u8]> {
    let mut w = Writer::new(buf);
    wifi::payload(&mut w, which, f);
    if !w.ok() {
        log::note(Level::Error, too_long);
        return None;
    }
    let len = w.len();
    buf.get(..len)
}

/// One broadcast of the round `kind`.
fn broadcast(kind: Kind, id: u32, dest: u8) {
    let mut ids = Ids::UNREAD;
    let who = ids.get(true);
    let random = read_aes_random();
    let (which, topic, line) = match kind {
        Kind::Success => (
            WifiPayload::SucNotify,
            WifiTopic::SucNotify,
            Msg::SucNotifyTopic,
        ),
        Kind::DevInfo => (
            WifiPayload::DevInfoNotify,
            WifiTopic::DevInfoNotify,
            Msg::DevInfoNotifyTopic,
        ),
    };
    // Only the device-info notify carries a sign.
    let sign = match kind {
        Kind::DevInfo => device_sign(&random, &who),
        Kind::Success => [0; DIGEST_LEN],
    };
    let f = WifiFields {
        id,
        echo: &render::NO_ID,
        random: &random,
        sign: &sign,
        who: &who,
    };
    let mut pbuf = [0u8; PAYLOAD_MAX];
    let Some(payload) = render_wifi(&mut pbuf, which, &f, Msg::AwssNotifyTooLong) else {
        return;
    };
    log::note(Level::Info, line);
    log::line(Line::new(Level::Debug, Msg::PayloadNotify), payload, 0);
    let mut tbuf = [0u8; TOPIC_MAX];
    let path = wifi_topic(&mut tbuf, topic, &who);
    let rc = send(kind, dest, who.ip, path, payload);
    if rc != 0 {
        log::num(Level::Warn, Msg::AwssNotifyRes, i64::from(rc));
    }
}

/// Send one broadcast (after cancelling the round's last one); its result.
fn send(kind: Kind, dest: u8, ip: &[u8], path: &[u8], payload: &[u8]) -> c_int {
    let Ok(len) = u16::try_from(payload.len()) else {
        return -1;
    };
    let mut addr = NetworkAddr {
        addr: [0; 16],
        port: coap::NOTIFY_PORT,
    };
    let (text, _nul) = addr.addr.split_at_mut(15);
    render::broadcast_host(&mut Writer::new(text), dest, ip);
    let Some(c) = exec::server(&shell::CALLBACKS) else {
        return -1;
    };
    cancel(kind);
    let cb: CoapSendMsgHandler = match kind {
        Kind::Success => suc_resp_cb,
        Kind::DevInfo => devinfo_resp_cb,
    };
    let mut msgid: u16 = 0;
    // SAFETY: every pointer is valid for the call; the server copies the payload and the
    // address; `payload` is not written (the C prototype lacks `const`); `path` ends with
    // the NUL `wifi_topic` writes.
    let rc = unsafe {
        imports::CoAPServerMultiCast_send(
            c.as_ptr(),
            &mut addr,
            path.as_ptr().cast(),
            payload.as_ptr() as *mut u8,
            len,
            Some(cb),
            &mut msgid,
        )
    };
    if rc == 0 {
        slot(kind).store(MSGID_VALID | u32::from(msgid), Ordering::Release);
    }
    rc
}

/// Cancel the last broadcast of `kind`, if any.
fn cancel(kind: Kind) {
    let prev = slot(kind).swap(0, Ordering::AcqRel);
    if prev & MSGID_VALID == 0 {
        return;
    }
    if let Some(c) = coap::ctx() {
        // SAFETY: `c` is the live server context; the message id is a plain integer.
        unsafe { imports::CoAPMessageId_cancel(c.as_ptr(), prev as u16) };
    }
}

/// A phone's response to a broadcast of `kind` (or its timeout).
///
/// # Safety
/// `msg` is NULL or a message valid for the call, as the CoAP server passes it.
unsafe fn on_resp(kind: Kind, result: c_int, msg: *mut CoapMessage) {
    // SAFETY: guaranteed by the caller.
    let msg = unsafe { coap_msg(msg) };
    let code = msg.map_or(coap::NO_CODE, |m| m.header.code);
    // SAFETY: a message from the server has `payloadlen` bytes at `payload` for the call.
    let payload = msg.and_then(|m| unsafe { coap_payload(m) });
    let _ = run(Event::Ack {
        kind,
        result,
        code,
        payload,
    });
}

unsafe extern "C" fn suc_resp_cb(
    _ctx: *mut c_void,
    result: c_int,
    _userdata: *mut c_void,
    _remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the server passes a valid (or NULL) message for the call.
    unsafe { on_resp(Kind::Success, result, msg) }
}

unsafe extern "C" fn devinfo_resp_cb(
    _ctx: *mut c_void,
    result: c_int,
    _userdata: *mut c_void,
    _remote: *mut NetworkAddr,
    msg: *mut CoapMessage,
) {
    // SAFETY: the server passes a valid (or NULL) message for the call.
    unsafe { on_resp(Kind::DevInfo, result, msg) }
}

/// Publish the switch-AP reply: exactly the JSON, QoS 1.
fn switchap_reply(id: &IdEcho, code: u16) {
    let mut ids = Ids::UNREAD;
    let who = ids.get(false);
    let which = if code == 200 {
        WifiPayload::SwitchApOk
    } else {
        WifiPayload::SwitchApRefused
    };
    let f = WifiFields {
        id: 0,
        echo: id,
        random: &[0; 16],
        sign: &[0; DIGEST_LEN],
        who: &who,
    };
    let mut pbuf = [0u8; PAYLOAD_MAX];
    let Some(payload) = render_wifi(&mut pbuf, which, &f, Msg::TooLongAnswer) else {
        return;
    };
    log::line(
        Line::new(Level::Debug, Msg::SwitchApReplyPayload),
        payload,
        0,
    );
    let mut tbuf = [0u8; TOPIC_MAX];
    let t = wifi_topic(&mut tbuf, WifiTopic::SwitchApReply, &who);
    // SAFETY: `t` ends with its NUL; the client copies the payload during the call and does
    // not write through the pointer; the payload fits PAYLOAD_MAX, so the length is exact.
    let rc = unsafe {
        imports::IOT_MQTT_Publish_Simple(
            ptr::null_mut(),
            t.as_ptr().cast(),
            1,
            payload.as_ptr() as *mut c_void,
            payload.len() as c_int,
        )
    };
    let level = if rc < 0 { Level::Warn } else { Level::Info };
    log::num(level, Msg::SwitchApReplyRes, i64::from(rc));
}

/// `HAL_Wifi_Get_Ap_Info` on zeroed buffers (each with a spare byte the HAL never writes, so
/// each stays a C string), the result to the core, the password wiped.
fn read_current_ap() {
    let mut ssid = [0u8; 34];
    let mut passwd = [0u8; 66];
    let mut bssid = [0u8; 6];
    // SAFETY: the buffers have the sizes the HAL writes (33, 65, 6) and more.
    let res = unsafe {
        HAL_Wifi_Get_Ap_Info(
            ssid.as_mut_ptr().cast(),
            passwd.as_mut_ptr().cast(),
            bssid.as_mut_ptr(),
        )
    };
    let _ = run(Event::CurrentAp {
        res,
        ssid: imports::until_nul(&ssid[..33]),
        passwd: imports::until_nul(&passwd[..65]),
        bssid,
    });
    wipe(&mut passwd);
}

/// `HAL_Awss_Connect_Ap(30000, ssid, passwd, INVALID, INVALID, bssid, 0)` with NUL-terminated
/// copies of the target (a zeroed BSSID when the request named none), every copy wiped after
/// it, the result to the core.
fn connect_ap(target: &mut Target) {
    let mut ssid = [0u8; 33];
    let mut passwd = [0u8; 65];
    let mut bssid = target.bssid.unwrap_or([0; 6]);
    dev_bind_core::copy_bytes(&mut ssid[..32], &target.ssid);
    dev_bind_core::copy_bytes(&mut passwd[..64], target.passwd.as_bytes());
    target.wipe();
    // SAFETY: the buffers have the sizes the SDK declares (33, 65, 6), each text
    // NUL-terminated; the HAL copies what it keeps.
    let res = unsafe {
        HAL_Awss_Connect_Ap(
            CONNECT_TIMEOUT_MS,
            ssid.as_mut_ptr().cast(),
            passwd.as_mut_ptr().cast(),
            AWSS_TYPE_INVALID,
            AWSS_TYPE_INVALID,
            bssid.as_mut_ptr(),
            0,
        )
    };
    wipe(&mut passwd);
    wipe(&mut ssid);
    wipe(&mut bssid);
    let _ = run(Event::ConnectDone(res));
}

/// Subscribe (or unsubscribe) a provisioning topic with its handler.
fn subscribe(sub: WifiSub, on: bool) {
    let (topic, handler): (WifiTopic, MqttEventHandler) = match sub {
        WifiSub::Checkin => (WifiTopic::Checkin, awss_enrollee_checkin),
        WifiSub::FoundReply => (WifiTopic::FoundReply, awss_report_enrollee_reply),
        WifiSub::CipherGetReply => (WifiTopic::CipherGetReply, awss_get_cipher_reply),
        WifiSub::SwitchAp => (WifiTopic::SwitchAp, awss_online_switchap),
    };
    let mut ids = Ids::UNREAD;
    let who = ids.get(false);
    let mut tbuf = [0u8; TOPIC_MAX];
    let t = wifi_topic(&mut tbuf, topic, &who);
    let null = ptr::null_mut();
    // SAFETY: `t` ends with its NUL (the client copies it); the handler has the MQTT event
    // handler's type.
    let (rc, msg) = unsafe {
        if on {
            let rc = imports::IOT_MQTT_Subscribe(null, t.as_ptr().cast(), 0, Some(handler), null);
            (rc, Msg::SubRes)
        } else {
            (
                imports::IOT_MQTT_Unsubscribe(null, t.as_ptr().cast()),
                Msg::UnsubRes,
            )
        }
    };
    let text = t.split_last().map_or(t, |(_, rest)| rest);
    let level = if rc < 0 { Level::Warn } else { Level::Debug };
    log::line(Line::new(level, msg), text, i64::from(rc));
}

/// Register a provisioning resource on the CoAP server (started if needed).
fn register(res: Resource) {
    let (topic, cb): (WifiTopic, CoapRecvMsgHandler) = match res {
        Resource::LocalSwitchAp => (WifiTopic::LocalSwitchAp, t_switch_ap),
        Resource::WifiList => (WifiTopic::WifiList, t_wifilist),
        Resource::SignedMcast => (WifiTopic::SignedMcast, t_mcast_devinfo),
        Resource::SignedUcast => (WifiTopic::SignedUcast, t_ucast_devinfo),
        Resource::SoftApSwitchAp => (WifiTopic::SoftApSwitchAp, t_dev_ap_switchap),
        Resource::ConnectApMcast => (WifiTopic::ConnectApMcast, t_connectap_mcast),
        Resource::ConnectApUcast => (WifiTopic::ConnectApUcast, t_connectap_ucast),
        Resource::MonitorBindNotify => (WifiTopic::BindNotify, t_monitor),
        Resource::MonitorSucNotify => (WifiTopic::SucNotify, t_monitor),
    };
    let Some(c) = exec::server(&shell::CALLBACKS) else {
        return;
    };
    let mut ids = Ids::UNREAD;
    let who = ids.get(false);
    let mut tbuf = [0u8; TOPIC_MAX];
    let t = wifi_topic(&mut tbuf, topic, &who);
    // SAFETY: `c` is the live server; `t` ends with its NUL (the server copies it); `cb` has
    // the receive handler's type.
    let rc = unsafe { imports::CoAPServer_register(c.as_ptr(), t.as_ptr().cast(), Some(cb)) };
    if rc != 0 {
        let text = t.split_last().map_or(t, |(_, rest)| rest);
        log::line(
            Line::new(Level::Warn, Msg::RegisterRes),
            text,
            i64::from(rc),
        );
    }
}

/// A CoAP receive handler that calls the provisioning handler `$f` with the same pointers
/// (the SDK's handlers take `(ctx, resource, remote, request)` and return an `int`, which the
/// server ignores).
macro_rules! trampoline {
    ($name:ident, $f:path) => {
        unsafe extern "C" fn $name(
            ctx: *mut c_void,
            paths: *const c_char,
            remote: *mut NetworkAddr,
            msg: *mut CoapMessage,
        ) {
            // SAFETY: the server's pointers, valid (or NULL) for the call, handed on as they
            // are, as the C module registers these handlers.
            let _ = unsafe { $f(ctx, paths.cast_mut().cast(), remote.cast(), msg.cast()) };
        }
    };
}

trampoline!(t_switch_ap, wifimgr_process_switch_ap_request);
trampoline!(t_wifilist, wifimgr_process_get_wifilist_request);
trampoline!(t_mcast_devinfo, wifimgr_process_mcast_get_device_info);
trampoline!(t_ucast_devinfo, wifimgr_process_ucast_get_device_info);
trampoline!(t_dev_ap_switchap, wifimgr_process_dev_ap_switchap_request);
trampoline!(t_monitor, online_dev_bind_monitor);
trampoline!(t_connectap_mcast, connectap_mcast);
trampoline!(t_connectap_ucast, connectap_ucast);

/// The connect-AP info handlers registered at the local stages: answered only inside the
/// window (as `awss_process_*_get_connectap_info`; `-1` outside it).
///
/// # Safety
/// As `process_get_device_info`.
unsafe fn connectap_info(remote: *mut c_void, request: *mut c_void, mcast: bool) -> c_int {
    if !window_is_open() {
        return -1;
    }
    // SAFETY: forwarded from the caller's contract.
    unsafe { exec::answer_now(remote, request, mcast, &shell::CALLBACKS) }
}

/// [`connectap_info`] of `/sys/awss/device/connectap/info/get`.
///
/// # Safety
/// As `process_get_device_info`.
unsafe fn connectap_mcast(
    _ctx: *mut c_void,
    _resource: *mut c_void,
    remote: *mut c_void,
    request: *mut c_void,
) -> c_int {
    // SAFETY: forwarded from the caller's contract.
    unsafe { connectap_info(remote, request, true) }
}

/// [`connectap_info`] of `/sys/${pk}/${dn}/awss/device/connectap/info/get`.
///
/// # Safety
/// As `process_get_device_info`.
unsafe fn connectap_ucast(
    _ctx: *mut c_void,
    _resource: *mut c_void,
    remote: *mut c_void,
    request: *mut c_void,
) -> c_int {
    // SAFETY: forwarded from the caller's contract.
    unsafe { connectap_info(remote, request, false) }
}

/// Answer a signed device-info query (`process_get_device_info` type 2) at once, to the
/// request the server still owns: `0` when an answer was attempted, `-1` on NULL or a request
/// whose id cannot be echoed.
///
/// # Safety
/// `remote` NULL or a valid `NetworkAddr *`, `request` NULL or a valid `CoAPMessage *` (with
/// `payloadlen` readable bytes at `payload`), for the call.
pub unsafe fn signed_answer(remote: *mut c_void, request: *mut c_void, mcast: bool) -> c_int {
    // SAFETY: each NULL or valid for the call, per the caller.
    let (Some(remote), Some(request)) = (unsafe {
        (
            remote.cast::<NetworkAddr>().as_mut(),
            request.cast::<CoapMessage>().as_mut(),
        )
    }) else {
        return -1;
    };
    // SAFETY: the request's payload is valid for `payloadlen` bytes, per the caller.
    let payload = unsafe { coap_payload(request) };
    let echo = dev_bind_core::json::id_echo(payload);
    let Ok(id) = &echo else {
        log::note(Level::Warn, Msg::ConnectapBad);
        return -1;
    };
    let mut ids = Ids::UNREAD;
    let who = ids.get(true);
    let random = read_aes_random();
    let sign = device_sign(&random, &who);
    let f = WifiFields {
        id: 0,
        echo: id,
        random: &random,
        sign: &sign,
        who: &who,
    };
    let mut pbuf = [0u8; PAYLOAD_MAX];
    let Some(p) = render_wifi(
        &mut pbuf,
        WifiPayload::SignedAnswer,
        &f,
        Msg::SignedAnswerTooLong,
    ) else {
        return 0;
    };
    log::line(Line::new(Level::Info, Msg::PayloadAnswer), p, 0);
    let mut tbuf = [0u8; TOPIC_MAX];
    let topic = if mcast {
        WifiTopic::SignedMcast
    } else {
        WifiTopic::SignedUcast
    };
    let t = wifi_topic(&mut tbuf, topic, &who);
    let mut reply = exec::Reply::Now {
        remote,
        request,
        mcast,
        id,
    };
    let rc = match exec::server(&shell::CALLBACKS) {
        // SAFETY: `c` is the live server; `t` ends with its NUL; the payload fits PAYLOAD_MAX
        // (so a u16).
        Some(c) => unsafe { coap::answer(c, &mut reply, t, p) },
        None => -1,
    };
    if rc != 0 {
        log::num(Level::Warn, Msg::TxDevInfoRes, i64::from(rc));
    }
    0
}

/// `awss_build_dev_info` types 2 (`DEV_RAND_SIGN`) and 3 (`SUCCESS`) into `w`; false for
/// another type.
pub fn build_dev_info(w: &mut Writer<'_>, r#type: c_int, who: &Identity<'_>) -> bool {
    let (which, sign_it) = match r#type {
        2 => (WifiPayload::DevRandSign, true),
        3 => (WifiPayload::DevSuccess, false),
        _ => return false,
    };
    let random = read_aes_random();
    let sign = if sign_it {
        device_sign(&random, who)
    } else {
        [0; DIGEST_LEN]
    };
    let f = WifiFields {
        id: 0,
        echo: &render::NO_ID,
        random: &random,
        sign: &sign,
        who,
    };
    wifi::payload(w, which, &f);
    true
}

// ---------------------------------------------------------------- the exports

/// Start a success-notify round: post `IOTX_AWSS_SUC_NOTIFY` (0x100E), broadcast
/// `awss.event.connectap.notify` on `/sys/awss/event/connectap/notify` at once, then after
/// gaps of k x 100 ms (the bind notify's `notify_step_ms`), 30 in all (`notify_count`), until
/// a phone acknowledges one or `awss_suc_notify_stop` is called. A round running restarts.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_suc_notify() -> c_int {
    run(Event::NotifyStart(Kind::Success))
}

/// End the success-notify round (nothing without one).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_suc_notify_stop() -> c_int {
    run(Event::NotifyStop(Kind::Success))
}

/// Start a device-info-notify round: `awss.device.info.notify` on
/// `/sys/awss/device/info/notify` with `aes_random` and its sign, scheduled as
/// `awss_suc_notify`'s; no event is posted.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_devinfo_notify() -> c_int {
    run(Event::NotifyStart(Kind::DevInfo))
}

/// End the device-info-notify round (nothing without one).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_devinfo_notify_stop() -> c_int {
    run(Event::NotifyStop(Kind::DevInfo))
}

/// Write the sign source into `sign_src`: the 16 bytes of `aes_random`, the device name, then
/// the product key (no separator, no NUL). `*sign_src_len` is the buffer's size on entry and
/// the source's length on return.
///
/// # Safety
/// `sign_src` NULL or writable for `*sign_src_len` bytes; `sign_src_len` NULL or valid.
///
/// # Returns
/// `sign_src`, or NULL (`*sign_src_len` unchanged) on a NULL argument or a buffer shorter than
/// the source.
#[no_mangle]
pub unsafe extern "C" fn awss_build_sign_src(
    sign_src: *mut c_char,
    sign_src_len: *mut c_int,
) -> *mut c_char {
    // SAFETY: NULL or valid, per the caller.
    let Some(len) = (unsafe { sign_src_len.as_mut() }) else {
        return ptr::null_mut();
    };
    let Some(out) = NonNull::new(sign_src.cast::<u8>()) else {
        return ptr::null_mut();
    };
    let mut ids = Ids::UNREAD;
    let who = ids.get(false);
    let random = read_aes_random();
    let parts: [&[u8]; 3] = [&random, who.device_name, who.product_key];
    let need: usize = parts.iter().map(|p| p.len()).sum();
    let cap = usize::try_from(*len).unwrap_or(0);
    if cap < need {
        log::note(Level::Warn, Msg::BuildSignSrcShort);
        return ptr::null_mut();
    }
    // SAFETY: writable for `*sign_src_len >= need` bytes, per the caller.
    let dst = unsafe { core::slice::from_raw_parts_mut(out.as_ptr(), need) };
    let mut at = 0;
    for p in parts {
        at += dev_bind_core::copy_bytes(dst.get_mut(at..).unwrap_or(&mut []), p);
    }
    *len = at as c_int;
    sign_src
}

/// HMAC-SHA1 of `txt[..txt_len]` keyed with the NUL-terminated `key`, its 20 raw bytes
/// written to `sign` (the SDK's `utils_hmac_sha1_hex` writes the binary digest, despite its
/// name). A key longer than 64 bytes is hashed first (RFC 2104), where the C module writes
/// nothing and still returns success.
///
/// # Safety
/// `sign` NULL or writable for 20 bytes; `txt` NULL or readable for `txt_len` bytes; `key`
/// NULL or NUL-terminated.
///
/// # Returns
/// `0`, or `-1` on a NULL argument or `txt_len == 0` (nothing written).
#[no_mangle]
pub unsafe extern "C" fn produce_signature(
    sign: *mut u8,
    txt: *mut u8,
    txt_len: u32,
    key: *const c_char,
) -> c_int {
    if sign.is_null() || txt.is_null() || key.is_null() || txt_len == 0 {
        log::note(Level::Warn, Msg::ProduceSignatureBad);
        return -1;
    }
    // SAFETY: `key` is NUL-terminated, per the caller.
    let key = unsafe { core::ffi::CStr::from_ptr(key) }.to_bytes();
    let len = usize::try_from(txt_len).unwrap_or(usize::MAX);
    // SAFETY: `txt` is readable for `txt_len` bytes, per the caller.
    let txt = unsafe { core::slice::from_raw_parts(txt.cast_const(), len) };
    let digest = hmac_sha1(key, &[txt]);
    // SAFETY: `sign` is writable for 20 bytes, per the caller.
    let out = unsafe { core::slice::from_raw_parts_mut(sign, DIGEST_LEN) };
    dev_bind_core::copy_bytes(out, &digest);
    0
}

/// The dictionary substitution of the WPS-style SSID decoder (`tab_idx` 0) and of the notify
/// encoder (1), in place over `data[..len]`. This build carries no dictionary table (the
/// project has no source for them that it may ship; docs/WIFI_PROVISION.md section 9): both
/// indices are refused, after one error line, and `data` is left unchanged.
///
/// # Safety
/// `data` NULL or writable for `len` bytes (not touched in this build).
///
/// # Returns
/// `-1` (no table for either index; also for another index or a NULL `data`).
#[no_mangle]
pub unsafe extern "C" fn awss_dict_crypt(tab_idx: c_char, data: *mut u8, len: u8) -> c_int {
    let _ = (data, len);
    log::num(Level::Error, Msg::DictNoTable, i64::from(tab_idx));
    -1
}

/// The MQTT handler of `/sys/${pk}/${dn}/thing/awss/device/switchap`: the cloud asks the
/// device to move to another AP. A valid request is answered
/// `{"id":<id>,"code":200,"data":{}}` (QoS 1, on `.../switchap_reply`); unless the device is
/// on that AP already, after max(timeout, 1 s) it calls `HAL_Awss_Connect_Ap`, and 1 s after
/// that `HAL_Reboot`. A refusal (no payload, not JSON, no id, no params, no ssid, an ssid over
/// 32 bytes or a passwd over 64, a malformed bssid or timeout) is a log line, answered with
/// code 460 when the request has an id; it never switches nor reboots. The password is never
/// logged.
///
/// # Safety
/// `msg` must be NULL or a valid `iotx_mqtt_event_msg_t *` as the MQTT client passes it
/// (`payload_len` bytes readable at the payload; no NUL needed). The other arguments are unused.
///
/// # Returns
/// Nothing.
#[no_mangle]
pub unsafe extern "C" fn awss_online_switchap(
    pcontext: *mut c_void,
    pclient: *mut c_void,
    msg: *mut c_void,
) {
    let _ = (pcontext, pclient);
    // SAFETY: NULL or valid, per the caller.
    let payload = unsafe { switchap_payload(msg) };
    let _ = run(Event::SwitchAp(payload));
}

/// The payload of a publish-received event, `None` for anything else (the core refuses it).
///
/// # Safety
/// As [`awss_online_switchap`].
unsafe fn switchap_payload<'a>(msg: *mut c_void) -> Option<&'a [u8]> {
    // SAFETY: guaranteed by the caller.
    let ev = unsafe { msg.cast::<MqttEventMsg>().as_ref() }?;
    if ev.event_type != MQTT_EVENT_PUBLISH_RECEIVED {
        return None;
    }
    // SAFETY: for event 12 `msg` is NULL or a topic info, per the caller.
    let info = unsafe { ev.msg.cast::<MqttTopicInfo>().as_ref() }?;
    if info.payload.is_null() {
        return None;
    }
    let len = usize::try_from(info.payload_len).unwrap_or(usize::MAX);
    if len > SWITCHAP_PAYLOAD_MAX {
        return None;
    }
    // SAFETY: non-NULL and `payload_len` bytes long, per the caller.
    Some(unsafe { core::slice::from_raw_parts(info.payload, len) })
}
