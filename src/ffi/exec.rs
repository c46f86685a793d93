//! Executes the machine's actions, outside the lock: renders each payload into a stack buffer
//! with `core::render`, reads the identity from the HAL each time, publishes or sends, and
//! prints the log lines of SPEC section 7.

use core::ffi::c_int;

use super::coap::{self, ReplyCtx, QUERY_MCAST};
use super::imports::{self, Hal, Platform};
use super::log;
use crate::core::render::{self, Identity, Payload, Topic, Writer};
use crate::core::{Action, Answer, Level, Line, Msg, Sub, IOTX_AWSS_BIND_NOTIFY};
use crate::core::{IdEcho, Token};

/// Payload buffer: the longest payload (a query answer with a 32-byte id and the longest
/// identity) is about 400 bytes.
pub const PAYLOAD_MAX: usize = 512;
/// Topic buffer: `/sys/` + 20 + `/` + 32 + the longest suffix, plus the NUL.
pub const TOPIC_MAX: usize = 128;

/// MQTT QoS 0 / 1.
const QOS0: c_int = 0;
const QOS1: c_int = 1;

/// What executing an entry's actions produced (for exports that return a publish result).
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    /// Result of the first token report publish, if one was made.
    pub report_rc: Option<i32>,
    /// Result of the first reset report publish, if one was made.
    pub reset_rc: Option<i32>,
    /// Subscriptions the MQTT client refused (`match_reply`, `reset_reply`).
    pub sub_failed: [bool; 2],
}

/// The identity read from the HAL (zeroed buffers, cut at the first NUL).
pub struct Ids {
    pk: [u8; 21],
    dn: [u8; 33],
    mac: [u8; 19],
    ip: [u8; 17],
}

impl Ids {
    /// Product key and device name only (MAC and IP left empty).
    pub fn keys(hal: &impl Platform) -> Ids {
        let mut ids = Ids {
            pk: [0; 21],
            dn: [0; 33],
            mac: [0; 19],
            ip: [0; 17],
        };
        hal.product_key(&mut ids.pk);
        hal.device_name(&mut ids.dn);
        ids
    }
    /// Everything DEVINFO needs.
    pub fn all(hal: &impl Platform) -> Ids {
        let mut ids = Ids::keys(hal);
        hal.mac(&mut ids.mac);
        hal.ip(&mut ids.ip);
        ids
    }
    /// The product key text.
    pub fn pk(&self) -> &[u8] {
        imports::until_nul(&self.pk)
    }
    /// The device name text.
    pub fn dn(&self) -> &[u8] {
        imports::until_nul(&self.dn)
    }
    /// The product key as a NUL-terminated C string (valid while `self` lives).
    pub fn pk_ptr(&self) -> *const core::ffi::c_char {
        self.pk.as_ptr().cast()
    }
    /// The device name as a NUL-terminated C string (valid while `self` lives).
    pub fn dn_ptr(&self) -> *const core::ffi::c_char {
        self.dn.as_ptr().cast()
    }
    /// The IP text.
    pub fn ip(&self) -> &[u8] {
        imports::until_nul(&self.ip)
    }
    /// As `render` takes it.
    pub fn identity(&self) -> Identity<'_> {
        Identity {
            product_key: self.pk(),
            device_name: self.dn(),
            mac: imports::until_nul(&self.mac),
            ip: self.ip(),
        }
    }
}

/// Render a NUL-terminated topic into `buf`; `None` (logged) if it does not fit.
pub fn topic<'b>(buf: &'b mut [u8; TOPIC_MAX], which: Topic, ids: &Ids) -> Option<&'b [u8]> {
    let mut w = Writer::new(buf);
    render::topic(&mut w, which, ids.pk(), ids.dn());
    let ok = w.ok() && w.nul_terminate();
    let len = w.len();
    if !ok {
        log::note(Level::Error, Msg::TopicTooLong);
        return None;
    }
    buf.get(..len + 1)
}

fn sub_topic(sub: Sub) -> Topic {
    match sub {
        Sub::MatchReply => Topic::MatchReply,
        Sub::ResetReply => Topic::ResetReply,
    }
}

fn sub_handler(sub: Sub) -> imports::MqttEventHandler {
    match sub {
        Sub::MatchReply => super::exports::awss_report_token_reply,
        Sub::ResetReply => super::exports::awss_report_reset_reply,
    }
}

/// Index of `sub` in [`Summary::sub_failed`].
pub fn sub_index(sub: Sub) -> usize {
    match sub {
        Sub::MatchReply => 0,
        Sub::ResetReply => 1,
    }
}

/// Subscribe (or unsubscribe) a reply topic; returns the MQTT result.
pub fn subscribe(hal: &Hal, sub: Sub, on: bool) -> c_int {
    let ids = Ids::keys(hal);
    let mut tbuf = [0u8; TOPIC_MAX];
    let Some(t) = topic(&mut tbuf, sub_topic(sub), &ids) else {
        return -1;
    };
    let rc = if on {
        imports::mqtt_subscribe(t, sub_handler(sub))
    } else {
        imports::mqtt_unsubscribe(t)
    };
    let text = t.split_last().map_or(t, |(_, rest)| rest);
    let level = if rc < 0 { Level::Warn } else { Level::Debug };
    let msg = if on { Msg::SubRes } else { Msg::UnsubRes };
    log::line(Line::new(level, msg, Msg::None), text, i64::from(rc));
    rc
}

/// `CoAPServer_init` and register both query resources.
pub fn register_queries(hal: &Hal) -> c_int {
    let ids = Ids::keys(hal);
    let mut tbuf = [0u8; TOPIC_MAX];
    let Some(ucast) = topic(&mut tbuf, Topic::QueryUcast, &ids) else {
        return -1;
    };
    coap::register_queries(ucast)
}

/// Execute `actions` in order.
/// `Action::Answer(())` stands for `answer`.
pub fn run(hal: &Hal, actions: &[Action<()>], answer: Option<&Answer<ReplyCtx>>) -> Summary {
    let mut summary = Summary::default();
    for action in actions {
        execute(hal, action, answer, &mut summary);
    }
    summary
}

/// One action (out of line: `run` stays a loop and the summary is written in place).
#[inline(never)]
fn execute(
    hal: &Hal,
    action: &Action<()>,
    answer: Option<&Answer<ReplyCtx>>,
    summary: &mut Summary,
) {
    let mut nums = [0u64; 8];
    let mut token = [0u8; 16];
    let mut id = &render::NO_ID;
    let which = match *action {
        Action::Subscribe(sub) => {
            if subscribe(hal, sub, true) < 0 {
                summary.sub_failed[sub_index(sub)] = true;
            }
            return;
        }
        Action::Unsubscribe(sub) => {
            subscribe(hal, sub, false);
            return;
        }
        Action::RegisterQueries => {
            register_queries(hal);
            return;
        }
        Action::DeinitCoap => return coap::deinit(),
        Action::CancelNotify => return coap::cancel_notify(),
        Action::PostEvent(code) => {
            if code == IOTX_AWSS_BIND_NOTIFY {
                log::note(Level::Debug, Msg::PostBindNotify);
            }
            imports::post_event(code);
            return;
        }
        Action::SetResetFlag(set) => {
            let rc = hal.kv_set_reset(u8::from(set));
            if rc != 0 {
                log::num(Level::Warn, Msg::KvSetRes, i64::from(rc));
            }
            return;
        }
        Action::PublishReport { id, token: t } => {
            nums[0] = id.into();
            token = t;
            Payload::Report
        }
        Action::PublishReset { id } => {
            nums[0] = id.into();
            Payload::Reset
        }
        Action::PublishStats { id, stats: s } => {
            nums = [
                id.into(),
                hal.uptime_ms(),
                s.trace_id.into(),
                s.max_ms.into(),
                s.min_ms.into(),
                s.mean_ms.into(),
                s.cnt.into(),
                s.suc.into(),
            ];
            Payload::Stats
        }
        Action::Notify {
            id,
            token: t,
            remain_ms,
            ..
        } => {
            nums[0] = id.into();
            nums[1] = remain_ms.into();
            token = t;
            Payload::Notify
        }
        Action::Answer(()) => {
            let Some(a) = answer else {
                return;
            };
            nums[0] = a.remain_ms.into();
            token = a.token;
            id = &a.id;
            Payload::Answer
        }
    };
    // MQTT payloads name no device (their templates use no identity field, so the MAC and IP
    // are not read for them); CoAP ones carry DEVINFO.
    let mqtt = matches!(which, Payload::Report | Payload::Reset | Payload::Stats);
    let ids = if mqtt { Ids::keys(hal) } else { Ids::all(hal) };
    let mut buf = [0u8; PAYLOAD_MAX];
    let payload = render_logged(&mut buf, which, &nums, &token, &ids.identity(), id);
    let mut tbuf = [0u8; TOPIC_MAX];
    match (action, payload) {
        (&Action::Notify { dest, .. }, Some(payload)) => {
            // The host text and its NUL in 16 bytes (the topic buffer is free here).
            let mut hw = Writer::new(tbuf.get_mut(..16).unwrap_or(&mut []));
            render::broadcast_host(&mut hw, dest, ids.ip());
            let host_ok = hw.ok() && hw.nul_terminate();
            let host_len = hw.len();
            let Some(host) = tbuf.get(..host_len + 1).filter(|_| host_ok) else {
                log::note(Level::Error, Msg::BadBroadcast);
                return;
            };
            let rc = coap::notify_send(host, payload);
            if rc != 0 {
                log::num(Level::Warn, Msg::NotifySendRes, i64::from(rc));
            }
        }
        (Action::Answer(()), Some(payload)) => {
            let Some(Answer { ctx, mcast, .. }) = answer else {
                return;
            };
            let path = if *mcast {
                Some(QUERY_MCAST)
            } else {
                topic(&mut tbuf, Topic::QueryUcast, &ids)
            };
            let Some(path) = path else {
                return;
            };
            let rc = coap::answer(ctx, path, payload);
            if rc != 0 {
                log::num(Level::Warn, Msg::AnswerRes, i64::from(rc));
            }
        }
        (Action::Notify { .. } | Action::Answer(()), None) => {}
        (_, payload) => {
            let (t, qos) = match which {
                Payload::Report => (Topic::MatchReport, QOS1),
                Payload::Reset => (Topic::ResetReport, QOS0),
                _ => (Topic::LogPost, QOS0),
            };
            let rc = match (payload, topic(&mut tbuf, t, &ids)) {
                (Some(p), Some(t)) => imports::mqtt_publish(t, qos, p),
                _ => -1,
            };
            match which {
                Payload::Report => {
                    log::num(Level::Info, Msg::ReportRes, rc.into());
                    summary.report_rc.get_or_insert(rc);
                }
                Payload::Reset => {
                    log::num(Level::Debug, Msg::ResetRes, rc.into());
                    summary.reset_rc.get_or_insert(rc);
                }
                _ => log::note(
                    Level::Info,
                    if rc >= 0 {
                        Msg::StatisSuccess
                    } else {
                        Msg::StatisFail
                    },
                ),
            }
        }
    }
}

/// Render `which` into `buf` and print its payload line (for a notify, after the topic line);
/// `None` after an error line when it does not fit.
#[inline(never)]
pub fn render_logged<'b>(
    buf: &'b mut [u8],
    which: Payload,
    nums: &[u64],
    token: &Token,
    who: &Identity<'_>,
    id: &IdEcho,
) -> Option<&'b [u8]> {
    let &(what, label, level) = LABELS.get(which as usize)?;
    let mut w = Writer::new(buf);
    render::payload(&mut w, which, nums, token, who, id);
    if !w.ok() {
        log::line(Line::new(Level::Error, what, Msg::PayloadTooLong), &[], 0);
        return None;
    }
    let len = w.len();
    let p = buf.get(..len)?;
    if which == Payload::Notify {
        log::note(Level::Info, Msg::NotifyTopic);
    }
    log::line(Line::new(level, label, Msg::None), p, 0);
    Some(p)
}

/// Per [`Payload`]: its name in the "too long" error, the label of its payload log line and
/// that line's level.
const LABELS: [(Msg, Msg, Level); 7] = [
    (Msg::NameReport, Msg::LabelReport, Level::Debug),
    (Msg::NameReset, Msg::LabelReset, Level::Debug),
    // The statistics payload is logged without a label.
    (Msg::NameStatis, Msg::Bytes, Level::Debug),
    (Msg::NameNotify, Msg::LabelNotify, Level::Debug),
    (Msg::NameAnswer, Msg::LabelAnswer, Level::Info),
    // The connect-AP answer of `process_get_device_info`.
    (Msg::NameConnectap, Msg::LabelAnswer, Level::Info),
    // The statistics line of `awss_bind_disp_statis`.
    (Msg::NameStatis, Msg::Bytes, Level::Debug),
];
