//! The provisioning side of the module (feature `wifi-provision`, docs/WIFI_PROVISION.md
//! sections 3-8 and 11): four explicit states beside the bind [`crate::Machine`], each with its
//! deadline as an instant, smoltcp style:
//!
//! * the success notify round and the device-info notify round ([`Kind`]), each
//!   `Idle | Running { first_id, sent, next_at }`;
//! * the connect-AP info window, `Closed | Open { until }`;
//! * the switch-AP request, `Idle | CheckingAp | Pending { at } | Connecting | Rebooting { at }`.
//!
//! Time and results go in ([`Provision`]'s methods), [`Action`]s come out through a
//! [`Sink`]; [`Provision::poll_at`] is the earliest deadline, which the shell's one timer
//! carries with the bind machine's. Nothing here reads a clock or touches the Wi-Fi: the shell
//! reads the current AP, connects and reboots when told to.
//!
//! The switch-AP password is never logged, and is wiped from this state when it is handed to
//! the shell for `HAL_Awss_Connect_Ap` (the shell wipes its own copies).

use super::json::{self, Value};
use super::{Config, IdEcho, IdKind, Level, Line, Millis, Msg, Token};

/// `IOTX_AWSS_SUC_NOTIFY`: posted once per success notify round.
pub const IOTX_AWSS_SUC_NOTIFY: i32 = 0x100E;
/// The legacy fixed id of a phone's notify ack (as for the bind notify).
pub const LEGACY_ACK_ID: u32 = 123;
/// How long `awss_start_connectap_monitor` opens the connect-AP info window.
pub const CONNECTAP_WINDOW_MS: u64 = 60_000;
/// Shortest delay from the switch-AP reply to the connect.
pub const SWITCH_MIN_DELAY_MS: u64 = 1_000;
/// Longest delay a request may ask for (a longer one is clamped, with a log line).
pub const SWITCH_MAX_DELAY_MS: u32 = 60_000;
/// From the connect's return to `HAL_Reboot`.
pub const REBOOT_DELAY_MS: u64 = 1_000;
/// The `connection_timeout_ms` given to `HAL_Awss_Connect_Ap`.
pub const CONNECT_TIMEOUT_MS: u32 = 30_000;
/// Longest SSID (`HAL_MAX_SSID_LEN` 33 with its NUL).
pub const SSID_MAX: usize = 32;
/// Longest password (`HAL_MAX_PASSWD_LEN` 65 with its NUL).
pub const PASSWD_MAX: usize = 64;
/// Longest excerpt of a hostile payload quoted in a log line.
const LOG_EXCERPT: usize = 64;

/// `AWSS_LC_INIT_ROUTER`: after a router (ADHA) provisioning.
pub const LC_INIT_ROUTER: i32 = 0x01;
/// `AWSS_LC_INIT_PAP`: after a phone-AP (AHA) provisioning.
pub const LC_INIT_PAP: i32 = 0x02;
/// `AWSS_LC_INIT_DEV_AP`: the device-AP mode.
pub const LC_INIT_DEV_AP: i32 = 0x04;
/// `AWSS_LC_INIT_SUC`: provisioning succeeded.
pub const LC_INIT_SUC: i32 = 0x08;
/// `AWSS_LC_INIT_BIND`: binding.
pub const LC_INIT_BIND: i32 = 0x100;

/// Which provisioning notify round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `awss.event.connectap.notify` on `/sys/awss/event/connectap/notify`
    /// (`awss_suc_notify`).
    Success,
    /// `awss.device.info.notify` on `/sys/awss/device/info/notify` (`awss_devinfo_notify`).
    DevInfo,
}

/// One notify round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Round {
    /// No round runs.
    Idle,
    /// `sent` broadcasts are out, with the ids `first_id..first_id + sent`; the next step is
    /// due at `next_at`.
    Running {
        first_id: u32,
        sent: u8,
        next_at: Millis,
    },
}

/// The connect-AP info window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Window {
    Closed,
    Open { until: Millis },
}

/// A password: its bytes and length. Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    bytes: [u8; PASSWD_MAX],
    len: u8,
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("<secret>")
    }
}

impl Secret {
    /// No password (an open network).
    pub const EMPTY: Secret = Secret {
        bytes: [0; PASSWD_MAX],
        len: 0,
    };

    /// The password's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Overwrite it with zeros.
    pub fn wipe(&mut self) {
        wipe(&mut self.bytes);
        self.len = 0;
    }
}

/// Zero `b`; the fence keeps the stores from being dropped as dead.
fn wipe(b: &mut [u8]) {
    for x in b.iter_mut() {
        *x = 0;
    }
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// The AP a switch-AP request names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// 1 to 32 bytes, JSON escapes decoded, no NUL.
    pub ssid: heapless::Vec<u8, SSID_MAX>,
    /// 0 to 64 bytes (empty: an open network), JSON escapes decoded, no NUL.
    pub passwd: Secret,
    /// The BSSID, when the request names one.
    pub bssid: Option<[u8; 6]>,
}

impl Target {
    /// Overwrite every byte of it.
    pub fn wipe(&mut self) {
        wipe_vec(&mut self.ssid);
        self.passwd.wipe();
        self.bssid = None;
    }
}

/// The switch-AP request, from the reply to the reboot.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Switch {
    /// None.
    Idle,
    /// A valid request: the reply is out, the current AP is being read.
    CheckingAp { target: Target, delay_ms: u32 },
    /// Waiting until `at` to connect.
    Pending { target: Target, at: Millis },
    /// `HAL_Awss_Connect_Ap` runs (it blocks, outside the lock).
    Connecting,
    /// Connected or not: `HAL_Reboot` at `at`.
    Rebooting { at: Millis },
}

/// The MQTT subscriptions of `awss_cmp_online_init` beside `match_reply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WifiSub {
    /// `.../thing/awss/enrollee/checkin`, handled by `awss_enrollee_checkin`.
    Checkin,
    /// `.../thing/awss/enrollee/found_reply`, handled by `awss_report_enrollee_reply`.
    FoundReply,
    /// `.../thing/cipher/get_reply`, handled by `awss_get_cipher_reply`.
    CipherGetReply,
    /// `.../thing/awss/device/switchap`, handled by `awss_online_switchap`.
    SwitchAp,
}

impl WifiSub {
    /// In the order they are subscribed.
    pub const ALL: [WifiSub; 4] = [
        WifiSub::Checkin,
        WifiSub::FoundReply,
        WifiSub::CipherGetReply,
        WifiSub::SwitchAp,
    ];
}

/// The CoAP resources `awss_cmp_local_init` registers by stage (besides the two bind query
/// resources, which the bind side registers at the `SUC` and `BIND` stages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// `wifimgr_process_switch_ap_request` on `/sys/${pk}/${dn}/awss/device/switchap`.
    LocalSwitchAp,
    /// `wifimgr_process_get_wifilist_request` on `/sys/${pk}/${dn}/awss/event/wifilist/get`.
    WifiList,
    /// `wifimgr_process_mcast_get_device_info` on `/sys/awss/device/info/get`.
    SignedMcast,
    /// `wifimgr_process_ucast_get_device_info` on `/sys/${pk}/${dn}/awss/device/info/get`.
    SignedUcast,
    /// `wifimgr_process_dev_ap_switchap_request` on `/sys/awss/device/softap/switchap`.
    SoftApSwitchAp,
    /// `awss_process_mcast_get_connectap_info` on `/sys/awss/device/connectap/info/get`.
    ConnectApMcast,
    /// `awss_process_ucast_get_connectap_info` on
    /// `/sys/${pk}/${dn}/awss/device/connectap/info/get`.
    ConnectApUcast,
    /// `online_dev_bind_monitor` on `/sys/device/info/notify`.
    MonitorBindNotify,
    /// `online_dev_bind_monitor` on `/sys/awss/event/connectap/notify`.
    MonitorSucNotify,
}

impl Resource {
    /// Every resource with its stage mask, in the order they are registered.
    pub const STAGES: [(Resource, i32); 9] = [
        (Resource::LocalSwitchAp, LC_INIT_PAP),
        (Resource::WifiList, LC_INIT_PAP),
        (Resource::SignedMcast, LC_INIT_ROUTER | LC_INIT_PAP),
        (Resource::SignedUcast, LC_INIT_ROUTER | LC_INIT_PAP),
        (Resource::SoftApSwitchAp, LC_INIT_DEV_AP),
        (Resource::ConnectApMcast, LC_INIT_SUC),
        (Resource::ConnectApUcast, LC_INIT_SUC),
        (Resource::MonitorBindNotify, LC_INIT_BIND),
        (Resource::MonitorSucNotify, LC_INIT_BIND),
    ];
}

/// A set of [`Resource`]s (one action registers them all, in [`Resource::STAGES`] order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resources(u16);

impl Resources {
    /// The resources of `stage`: each whose stage mask shares a bit with it.
    pub fn of_stage(stage: i32) -> Resources {
        let mut bits = 0u16;
        for (i, (_, mask)) in Resource::STAGES.iter().enumerate() {
            if mask & stage != 0 {
                bits |= 1 << i;
            }
        }
        Resources(bits)
    }

    /// True when the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The resources, in registration order.
    pub fn iter(self) -> impl Iterator<Item = Resource> {
        Resource::STAGES
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 >> i & 1 != 0)
            .map(|(_, (r, _))| r)
    }
}

/// Something the provisioning side wants done; the shell executes actions in order, outside
/// its lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Broadcast the notify of `kind` with this id to the destination `dest` of the cycle
    /// (as the bind notify's `dest`), after cancelling that kind's last CoAP message.
    Broadcast {
        /// Which notify.
        kind: Kind,
        /// Its JSON id.
        id: u32,
        /// 0 = 255.255.255.255, 1 = /8, 2 = /16, 3 = /24 broadcast of the device IP.
        dest: u8,
    },
    /// Cancel the last CoAP message of `kind` (`CoAPMessageId_cancel`).
    CancelBroadcast(Kind),
    /// `iotx_event_post(code)`, then the `ITE_AWSS_STATUS` callback if one is registered.
    PostEvent(i32),
    /// Publish (QoS 1, exactly the JSON) the switch-AP reply with `code` 200 or 460.
    SwitchApReply {
        /// The request's id, echoed.
        id: IdEcho,
        /// 200 (accepted) or 460 (refused).
        code: u16,
    },
    /// Call `HAL_Wifi_Get_Ap_Info` and hand the result to [`Provision::current_ap`].
    ReadCurrentAp,
    /// Call `HAL_Awss_Connect_Ap` with the target, wipe every copy of it, and hand the result
    /// to [`Provision::connect_done`].
    ConnectAp(Target),
    /// `HAL_Reboot()`.
    Reboot,
    /// `IOT_MQTT_Subscribe` the topic (QoS 0) with its handler.
    Subscribe(WifiSub),
    /// `IOT_MQTT_Unsubscribe` the topic.
    Unsubscribe(WifiSub),
    /// `CoAPServer_register` each resource with its handler, in order.
    Register(Resources),
    /// `awss_registrar_init()`, then `awss_disp_statis()` (twice, as the C module: once by
    /// itself, once for its report macro).
    RegistrarInit,
    /// `awss_registrar_deinit()`.
    RegistrarDeinit,
    /// `awss_clear_statis()`.
    ClearStatis,
}

/// Where the provisioning side sends its actions and log lines.
pub trait Sink {
    /// Queue an action.
    fn act(&mut self, action: Action);
    /// Emit `line` with `bytes` and `num` at its placeholders (see [`crate::msg`]).
    fn log(&mut self, line: Line, bytes: &[u8], num: i64);
}

fn note(sink: &mut impl Sink, level: Level, msg: Msg) {
    sink.log(Line::new(level, msg), &[], 0);
}

fn say(sink: &mut impl Sink, level: Level, msg: Msg, n: i64) {
    sink.log(Line::new(level, msg), &[], n);
}

/// The sign of the device-info notify and the signed answer: HMAC-SHA1 keyed with the
/// product secret over the 16 random bytes, the device name, then the product key.
pub fn sign(secret: &[u8], random: &Token, dn: &[u8], pk: &[u8]) -> [u8; 20] {
    super::hmac_sha1::hmac_sha1(secret, &[random, dn, pk])
}

/// The provisioning state. All zero bits when idle, so that a `static` of it is in `.bss`.
#[derive(Debug)]
pub struct Provision {
    suc: Round,
    devinfo: Round,
    window: Window,
    switch: Switch,
    /// The last provisioning broadcast's id (ids count from 1, shared by both rounds).
    notified: u32,
    /// The next destination of the broadcast cycle (0..=3).
    dest: u8,
    /// `awss_cmp_online_init` subscribed the provisioning topics.
    online: bool,
    /// `awss_registrar_init()` was called (and not undone by a deinit).
    registrar: bool,
}

impl Default for Provision {
    fn default() -> Self {
        Self::new()
    }
}

impl Provision {
    /// Nothing running, the window closed.
    pub const fn new() -> Self {
        Provision {
            suc: Round::Idle,
            devinfo: Round::Idle,
            window: Window::Closed,
            switch: Switch::Idle,
            notified: 0,
            dest: 0,
            online: false,
            registrar: false,
        }
    }

    fn round(&mut self, kind: Kind) -> &mut Round {
        match kind {
            Kind::Success => &mut self.suc,
            Kind::DevInfo => &mut self.devinfo,
        }
    }

    /// True while the round of `kind` runs.
    pub fn round_running(&self, kind: Kind) -> bool {
        let r = match kind {
            Kind::Success => self.suc,
            Kind::DevInfo => self.devinfo,
        };
        r != Round::Idle
    }

    // ------------------------------------------------------------------ notify rounds

    /// `awss_suc_notify()` / `awss_devinfo_notify()`: (re)start the round of `kind`: a
    /// success round posts [`IOTX_AWSS_SUC_NOTIFY`] first; a broadcast goes out at once, then
    /// one after each gap `k x notify_step_ms`, `notify_count` in all.
    pub fn notify_start(&mut self, now: Millis, kind: Kind, cfg: &Config, sink: &mut impl Sink) {
        if *self.round(kind) != Round::Idle {
            self.end(kind, stopped(kind), sink);
        }
        if kind == Kind::Success {
            sink.act(Action::PostEvent(IOTX_AWSS_SUC_NOTIFY));
        }
        let first_id = self.notified.wrapping_add(1);
        self.step(now, kind, first_id, 0, cfg, sink);
    }

    /// `awss_suc_notify_stop()` / `awss_devinfo_notify_stop()`; nothing without a round.
    pub fn notify_stop(&mut self, kind: Kind, sink: &mut impl Sink) {
        if *self.round(kind) != Round::Idle {
            self.end(kind, stopped(kind), sink);
        }
    }

    fn end(&mut self, kind: Kind, why: Msg, sink: &mut impl Sink) {
        note(sink, Level::Debug, why);
        *self.round(kind) = Round::Idle;
        sink.act(Action::CancelBroadcast(kind));
    }

    /// One step of a round: the next broadcast, or its end after the last.
    fn step(
        &mut self,
        now: Millis,
        kind: Kind,
        first_id: u32,
        sent: u8,
        cfg: &Config,
        sink: &mut impl Sink,
    ) {
        if sent >= cfg.notify_count {
            let done = match kind {
                Kind::Success => Msg::SucNotifyDone,
                Kind::DevInfo => Msg::DevInfoNotifyDone,
            };
            return self.end(kind, done, sink);
        }
        let id = self.notified.wrapping_add(1);
        self.notified = id;
        let dest = self.dest;
        self.dest = (dest + 1) % 4;
        let sent = sent.saturating_add(1);
        let gap = u64::from(sent).saturating_mul(cfg.notify_step_ms.into());
        *self.round(kind) = Round::Running {
            first_id,
            sent,
            next_at: now.saturating_add(gap),
        };
        sink.act(Action::Broadcast { kind, id, dest });
    }

    /// The response to a broadcast of `kind`: `result` of the CoAP send callback (0 = a
    /// response arrived), the response's CoAP code and payload. An acknowledgement (code 200,
    /// an id of one of the round's broadcasts or 123) ends the round at once.
    pub fn on_ack(
        &mut self,
        kind: Kind,
        result: i32,
        code: u8,
        payload: Option<&[u8]>,
        sink: &mut impl Sink,
    ) {
        if result != 0 {
            return say(sink, Level::Debug, Msg::AwssAckNoResponse, result.into());
        }
        if code >= 0x60 {
            return say(sink, Level::Info, Msg::AwssAckCoapCode, code.into());
        }
        let Round::Running { first_id, sent, .. } = *self.round(kind) else {
            return note(sink, Level::Info, Msg::AwssAckNoRound);
        };
        let Some(payload) = payload.filter(|p| !p.is_empty()) else {
            return note(sink, Level::Warn, Msg::AwssAckNoPayload);
        };
        let excerpt = payload.get(..LOG_EXCERPT).unwrap_or(payload);
        let top = match json::scan(payload) {
            Ok(top) => top,
            Err(_) => {
                let line = Line::new(Level::Warn, Msg::AwssAckBadJson);
                return sink.log(line, excerpt, 0);
            }
        };
        if top.code.and_then(|v| v.as_u32()) != Some(200) {
            let line = Line::new(Level::Warn, Msg::AwssAckCodeNot200);
            return sink.log(line, excerpt, 0);
        }
        let Some(id) = top.id.and_then(|v| v.as_u32()) else {
            let line = Line::new(Level::Warn, Msg::AwssAckBadId);
            return sink.log(line, excerpt, 0);
        };
        if id.wrapping_sub(first_id) >= u32::from(sent) && id != LEGACY_ACK_ID {
            return say(sink, Level::Warn, Msg::AwssAckUnknownId, id.into());
        }
        let acked = match kind {
            Kind::Success => Msg::SucNotifyAcked,
            Kind::DevInfo => Msg::DevInfoNotifyAcked,
        };
        say(sink, Level::Info, acked, id.into());
        *self.round(kind) = Round::Idle;
        sink.act(Action::CancelBroadcast(kind));
    }

    // ------------------------------------------------------------------ connect-AP window

    /// `awss_start_connectap_monitor()`: open the window for [`CONNECTAP_WINDOW_MS`] unless
    /// it is open (then it stays as it is, not extended).
    pub fn connectap_open(&mut self, now: Millis) {
        if !self.connectap_is_open(now) {
            self.window = Window::Open {
                until: now.saturating_add(CONNECTAP_WINDOW_MS),
            };
        }
    }

    /// `awss_stop_connectap_monitor()`.
    pub fn connectap_close(&mut self) {
        self.window = Window::Closed;
    }

    /// True while connect-AP info queries are answered.
    pub fn connectap_is_open(&self, now: Millis) -> bool {
        match self.window {
            Window::Open { until } => now < until,
            Window::Closed => false,
        }
    }

    // ------------------------------------------------------------------ subscriptions

    /// `awss_cmp_online_init()` (`on`) / `awss_cmp_online_deinit()`: subscribe the registrar
    /// topics and the switch-AP request once, unsubscribe them once.
    pub fn online(&mut self, on: bool, sink: &mut impl Sink) {
        if self.online == on {
            return;
        }
        self.online = on;
        for sub in WifiSub::ALL {
            sink.act(if on {
                Action::Subscribe(sub)
            } else {
                Action::Unsubscribe(sub)
            });
        }
    }

    /// `awss_report_cloud()`: the C module's calls `awss_cmp_online_init()` (so the
    /// provisioning topics are subscribed, the switch-AP request among them) and starts
    /// binding, which initialises the registrar once.
    pub fn connect(&mut self, sink: &mut impl Sink) {
        self.online(true, sink);
        self.bind_started(sink);
    }

    /// `awss_start_bind()`: the registrar is initialised (and the statistics shown) the first
    /// time binding starts after boot or after a deinit.
    pub fn bind_started(&mut self, sink: &mut impl Sink) {
        if !self.registrar {
            self.registrar = true;
            sink.act(Action::RegistrarInit);
        }
    }

    /// `awss_cmp_local_init(stage)`: register each resource whose stage mask shares a bit
    /// with `stage`.
    pub fn local_init(&mut self, stage: i32, sink: &mut impl Sink) {
        let set = Resources::of_stage(stage);
        if !set.is_empty() {
            sink.act(Action::Register(set));
        }
    }

    /// `awss_cmp_local_deinit()` with a CoAP server: stop both rounds.
    pub fn local_deinit(&mut self, sink: &mut impl Sink) {
        self.notify_stop(Kind::DevInfo, sink);
        self.notify_stop(Kind::Success, sink);
    }

    // ------------------------------------------------------------------ switch AP

    /// The payload of a `/sys/${pk}/${dn}/thing/awss/device/switchap` request (`None`: the
    /// MQTT event had none). A valid one is replied to (200) and its current AP read; a
    /// refusal changes no state, logs why and, when the request has a usable id, is replied
    /// to with code 460.
    pub fn switchap(&mut self, payload: Option<&[u8]>, sink: &mut impl Sink) {
        let Some(payload) = payload.filter(|p| !p.is_empty()) else {
            return note(sink, Level::Warn, Msg::SwitchApNoPayload);
        };
        let id = match json::id_echo(Some(payload)) {
            Ok(id) if id.kind != IdKind::Missing => id,
            Ok(_) | Err(json::Error::IdTooLong) => {
                return note(sink, Level::Warn, Msg::SwitchApNoId)
            }
            Err(_) => return note(sink, Level::Warn, Msg::SwitchApNotJson),
        };
        let parsed = match self.switch {
            Switch::Connecting | Switch::Rebooting { .. } => Err(Msg::SwitchApBusy),
            Switch::Idle | Switch::CheckingAp { .. } | Switch::Pending { .. } => {
                parse_switchap(payload)
            }
        };
        let (mut target, asked_ms) = match parsed {
            Ok(p) => p,
            Err(why) => {
                note(sink, Level::Warn, why);
                return sink.act(Action::SwitchApReply { id, code: 460 });
            }
        };
        let delay_ms = if asked_ms > SWITCH_MAX_DELAY_MS {
            say(sink, Level::Warn, Msg::SwitchApClamped, asked_ms.into());
            SWITCH_MAX_DELAY_MS
        } else {
            asked_ms
        };
        let line = Line::new(Level::Info, Msg::SwitchApTo);
        sink.log(line, &target.ssid, delay_ms.into());
        if let Switch::Pending { target: old, .. } | Switch::CheckingAp { target: old, .. } =
            &mut self.switch
        {
            old.wipe();
            note(sink, Level::Info, Msg::SwitchApReplaces);
        }
        self.switch = Switch::CheckingAp {
            target: target.clone(),
            delay_ms,
        };
        target.wipe();
        sink.act(Action::SwitchApReply { id, code: 200 });
        sink.act(Action::ReadCurrentAp);
    }

    /// The result of `HAL_Wifi_Get_Ap_Info` (`res`, and its texts cut at their NUL): the
    /// device stays when the HAL succeeded and the SSID, the password and (when the request
    /// names one) the BSSID all match; else the switch is due after the delay (at least
    /// [`SWITCH_MIN_DELAY_MS`]).
    pub fn current_ap(
        &mut self,
        now: Millis,
        res: i32,
        ssid: &[u8],
        passwd: &[u8],
        bssid: &[u8; 6],
        sink: &mut impl Sink,
    ) {
        let Switch::CheckingAp { target, delay_ms } = &mut self.switch else {
            return note(sink, Level::Info, Msg::SwitchApUnasked);
        };
        let same = res == 0
            && target.ssid.as_slice() == ssid
            && target.passwd.as_bytes() == passwd
            && target.bssid.map_or(true, |b| &b == bssid);
        if same {
            target.wipe();
            self.switch = Switch::Idle;
            return note(sink, Level::Info, Msg::SwitchApAlreadyOn);
        }
        if res != 0 {
            say(sink, Level::Info, Msg::SwitchApApInfoRes, res.into());
        }
        let at = now.saturating_add(u64::from(*delay_ms).max(SWITCH_MIN_DELAY_MS));
        let target = target.clone();
        // The old place of the target (in `CheckingAp`) is overwritten by the new state.
        if let Switch::CheckingAp { target, .. } = &mut self.switch {
            target.wipe();
        }
        self.switch = Switch::Pending { target, at };
    }

    /// The result of `HAL_Awss_Connect_Ap`: the reboot comes [`REBOOT_DELAY_MS`] later,
    /// whatever it returned.
    pub fn connect_done(&mut self, now: Millis, res: i32, sink: &mut impl Sink) {
        if self.switch != Switch::Connecting {
            return note(sink, Level::Info, Msg::SwitchApUnasked);
        }
        let level = if res == 0 { Level::Info } else { Level::Warn };
        say(sink, level, Msg::SwitchApConnectRes, res.into());
        self.switch = Switch::Rebooting {
            at: now.saturating_add(REBOOT_DELAY_MS),
        };
    }

    /// True while a switch is pending (checking the AP or waiting to connect).
    pub fn switch_pending(&self) -> bool {
        matches!(
            self.switch,
            Switch::CheckingAp { .. } | Switch::Pending { .. }
        )
    }

    // ------------------------------------------------------------------ time, deinit

    /// `awss_bind_deinit()`: end both rounds, unsubscribe the provisioning topics, deinit the
    /// registrar, clear its statistics, and cancel a switch not yet connecting (the window, a
    /// connect under way and a reboot due stay).
    pub fn deinit(&mut self, sink: &mut impl Sink) {
        self.local_deinit(sink);
        self.online(false, sink);
        if self.registrar {
            self.registrar = false;
            sink.act(Action::RegistrarDeinit);
        }
        sink.act(Action::ClearStatis);
        if let Switch::CheckingAp { target, .. } | Switch::Pending { target, .. } = &mut self.switch
        {
            target.wipe();
            self.switch = Switch::Idle;
            note(sink, Level::Info, Msg::SwitchApCancelled);
        }
    }

    /// The timer fired (or any time): act on every deadline due at `now`.
    pub fn poll(&mut self, now: Millis, cfg: &Config, sink: &mut impl Sink) {
        for kind in [Kind::Success, Kind::DevInfo] {
            if let Round::Running {
                first_id,
                sent,
                next_at,
            } = *self.round(kind)
            {
                if next_at <= now {
                    self.step(now, kind, first_id, sent, cfg, sink);
                }
            }
        }
        match &mut self.switch {
            Switch::Pending { target, at } if *at <= now => {
                let line = Line::new(Level::Info, Msg::SwitchApConnecting);
                sink.log(line, &target.ssid, 0);
                let handed = target.clone();
                target.wipe();
                self.switch = Switch::Connecting;
                sink.act(Action::ConnectAp(handed));
            }
            Switch::Rebooting { at } if *at <= now => {
                note(sink, Level::Warn, Msg::SwitchApReboot);
                self.switch = Switch::Idle;
                sink.act(Action::Reboot);
            }
            Switch::Idle
            | Switch::CheckingAp { .. }
            | Switch::Pending { .. }
            | Switch::Connecting
            | Switch::Rebooting { .. } => {}
        }
    }

    /// The earliest deadline, if any.
    pub fn poll_at(&self) -> Option<Millis> {
        let round = |r: Round| match r {
            Round::Running { next_at, .. } => Some(next_at),
            Round::Idle => None,
        };
        let switch = match self.switch {
            Switch::Pending { at, .. } | Switch::Rebooting { at } => Some(at),
            Switch::Idle | Switch::CheckingAp { .. } | Switch::Connecting => None,
        };
        [round(self.suc), round(self.devinfo), switch]
            .into_iter()
            .flatten()
            .min()
    }
}

fn stopped(kind: Kind) -> Msg {
    match kind {
        Kind::Success => Msg::SucNotifyStopped,
        Kind::DevInfo => Msg::DevInfoNotifyStopped,
    }
}

// ---------------------------------------------------------------------- the request's parser

/// Parse a switch-AP request already scanned as a JSON object with an id: its target and the
/// delay it asks for (ms), or the refusal's log line. Checks in the order of the refusal
/// table of docs/WIFI_PROVISION.md section 11.
fn parse_switchap(payload: &[u8]) -> Result<(Target, u32), Msg> {
    let params = match member(payload, b"params") {
        Some(Value::Other(p)) if p.first() == Some(&b'{') => p,
        _ => return Err(Msg::SwitchApNoParams),
    };
    let ssid_text = match member(params, b"ssid") {
        Some(Value::Str(s)) if !s.is_empty() => s,
        _ => return Err(Msg::SwitchApNoSsid),
    };
    let mut ssid = heapless::Vec::<u8, SSID_MAX>::new();
    if unescape(ssid_text, &mut ssid).is_err() {
        return Err(Msg::SwitchApSsidLong);
    }
    let mut passwd = Secret::EMPTY;
    match member(params, b"passwd") {
        None => {}
        Some(Value::Str(s)) => {
            let mut p = heapless::Vec::<u8, PASSWD_MAX>::new();
            let fits = unescape(s, &mut p).is_ok();
            if fits {
                passwd.len = p.len() as u8;
                super::copy_bytes(&mut passwd.bytes, &p);
            }
            wipe_vec(&mut p);
            if !fits {
                return Err(Msg::SwitchApPasswdLong);
            }
        }
        Some(_) => return Err(Msg::SwitchApBadPasswd),
    }
    let bssid = match member(params, b"bssid") {
        None => None,
        Some(Value::Str([])) => None,
        Some(Value::Str(s)) => Some(parse_bssid(s).ok_or(Msg::SwitchApBadBssid)?),
        Some(_) => return Err(Msg::SwitchApBadBssid),
    };
    if ssid.contains(&0) || passwd.as_bytes().contains(&0) {
        passwd.wipe();
        return Err(Msg::SwitchApNul);
    }
    let mode_zero = member(params, b"switchMode").and_then(|v| v.as_u32()) == Some(0);
    let delay_ms = match (mode_zero, member(params, b"timeout")) {
        (false, _) | (true, None) => 0,
        (true, Some(v @ (Value::Num(_) | Value::Str(_)))) => match v.as_u32() {
            Some(ms) => ms,
            None => {
                passwd.wipe();
                return Err(Msg::SwitchApBadTimeout);
            }
        },
        (true, Some(Value::Other(_))) => {
            passwd.wipe();
            return Err(Msg::SwitchApBadTimeout);
        }
    };
    Ok((
        Target {
            ssid,
            passwd,
            bssid,
        },
        delay_ms,
    ))
}

fn wipe_vec<const N: usize>(v: &mut heapless::Vec<u8, N>) {
    wipe(v);
    v.clear();
}

/// `XX:XX:XX:XX:XX:XX`, hex digits of either case, exactly.
fn parse_bssid(s: &[u8]) -> Option<[u8; 6]> {
    if s.len() != 17 {
        return None;
    }
    let mut out = [0u8; 6];
    for (i, b) in out.iter_mut().enumerate() {
        let hi = hex_digit(*s.get(3 * i)?)?;
        let lo = hex_digit(*s.get(3 * i + 1)?)?;
        if i < 5 && s.get(3 * i + 2) != Some(&b':') {
            return None;
        }
        *b = hi << 4 | lo;
    }
    Some(out)
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The first member `key` (compared as received, escapes not decoded) of the JSON object
/// `obj`, which [`json::scan`] validated: its value and raw text (a string's content without
/// its quotes).
fn member<'a>(obj: &'a [u8], key: &[u8]) -> Option<Value<'a>> {
    let mut i = obj.iter().position(|&c| c == b'{')? + 1;
    loop {
        i = skip_ws(obj, i);
        if obj.get(i) != Some(&b'"') {
            return None;
        }
        let k_end = string_end(obj, i + 1)?;
        let k = obj.get(i + 1..k_end)?;
        i = skip_ws(obj, k_end + 1);
        if obj.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(obj, i + 1);
        let (value, end) = value_at(obj, i)?;
        if k == key {
            return Some(value);
        }
        i = skip_ws(obj, end);
        if obj.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b
        .get(i)
        .is_some_and(|&c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
    {
        i += 1;
    }
    i
}

/// The index of the quote that closes the string whose content starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match *b.get(i)? {
            b'"' => return Some(i),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The value starting at `i` and the index just after it.
fn value_at(b: &[u8], i: usize) -> Option<(Value<'_>, usize)> {
    match *b.get(i)? {
        b'"' => {
            let end = string_end(b, i + 1)?;
            Some((Value::Str(b.get(i + 1..end)?), end + 1))
        }
        b'{' | b'[' => {
            // Validated JSON: the container ends where its depth comes back to zero.
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => j = string_end(b, j + 1)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.wrapping_sub(1);
                        if depth == 0 {
                            return Some((Value::Other(b.get(i..=j)?), j + 1));
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        c => {
            let rest = b.get(i..)?;
            let n = rest
                .iter()
                .position(|&c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(rest.len());
            let text = rest.get(..n)?;
            let v = if c == b'-' || c.is_ascii_digit() {
                Value::Num(text)
            } else {
                Value::Other(text)
            };
            Some((v, i + n))
        }
    }
}

/// Decode the JSON string content `s` (validated) into `out`; `Err` when it does not fit.
fn unescape<const N: usize>(s: &[u8], out: &mut heapless::Vec<u8, N>) -> Result<(), ()> {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        i += 1;
        if c != b'\\' {
            out.push(c).map_err(|_| ())?;
            continue;
        }
        let e = s.get(i).copied().unwrap_or(0);
        i += 1;
        let byte = match e {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let mut cp = hex4(s, i).ok_or(())?;
                i += 4;
                if (0xD800..0xDC00).contains(&cp) && s.get(i) == Some(&b'\\') {
                    if let Some(lo) = hex4(s, i + 2).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    }
                }
                for &b in utf8(cp).iter().flatten() {
                    out.push(b).map_err(|_| ())?;
                }
                continue;
            }
            other => other,
        };
        out.push(byte).map_err(|_| ())?;
    }
    Ok(())
}

fn hex4(s: &[u8], i: usize) -> Option<u32> {
    let mut v = 0u32;
    for k in 0..4 {
        v = v << 4 | u32::from(hex_digit(*s.get(i + k)?)?);
    }
    Some(v)
}

/// The UTF-8 bytes of the code point `cp` (U+FFFD for a lone surrogate), without
/// `char::encode_utf8` (whose length check would link panic code).
fn utf8(cp: u32) -> [Option<u8>; 4] {
    let cp = if (0xD800..0xE000).contains(&cp) {
        0xFFFD
    } else {
        cp
    };
    let b = |shift: u32, tag: u32| Some((cp >> shift & 0x3F | tag) as u8);
    match cp {
        0..=0x7F => [Some(cp as u8), None, None, None],
        0x80..=0x7FF => [Some((cp >> 6 | 0xC0) as u8), b(0, 0x80), None, None],
        0x800..=0xFFFF => [Some((cp >> 12 | 0xE0) as u8), b(6, 0x80), b(0, 0x80), None],
        _ => [
            Some((cp >> 18 | 0xF0) as u8),
            b(12, 0x80),
            b(6, 0x80),
            b(0, 0x80),
        ],
    }
}
