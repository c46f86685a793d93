//! Where each payload goes and what is logged about it: the protocol's policy, which the
//! shell's executor follows (it renders, sends and prints; it decides nothing).

use super::render::{Payload, Topic};
use super::{Level, Line, Msg, What};

/// How a payload travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// `IOT_MQTT_Publish_Simple` at this QoS.
    Mqtt {
        /// The publish's QoS.
        qos: u8,
    },
    /// A CoAP notify broadcast (`CoAPServerMultiCast_send`).
    Notify,
    /// A CoAP response to a phone's request (`CoAPServerResp_send`).
    Answer,
}

/// Where a payload goes and the line that tells how its send went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The topic or CoAP path.
    pub topic: Topic,
    /// How it travels.
    pub channel: Channel,
    /// The result line: printed with the send's result, for an MQTT publish always, for a
    /// CoAP send only when it failed (see [`Route::result`]).
    sent: Line,
    /// Printed instead of `sent` when the result is negative.
    failed: Line,
}

impl Route {
    /// The line to print, with the result as its number, after a send that returned `rc`.
    pub const fn result(&self, rc: i32) -> Option<Line> {
        let line = if rc < 0 { self.failed } else { self.sent };
        match self.channel {
            Channel::Mqtt { .. } => Some(line),
            Channel::Notify | Channel::Answer if rc != 0 => Some(line),
            Channel::Notify | Channel::Answer => None,
        }
    }
}

/// The lines printed when a payload is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lines {
    /// Printed first, if any (the notify's `topic:` line of the guide).
    pub before: Option<Line>,
    /// The payload itself, as the line's bytes.
    pub payload: Line,
    /// Instead of both, when the payload does not fit its buffer (it is not sent).
    pub too_long: Line,
}

const fn lines(what: What, level: Level) -> Lines {
    Lines {
        before: None,
        payload: Line::new(level, Msg::payload(what)),
        too_long: Line::new(Level::Error, Msg::too_long(what)),
    }
}

const fn route(topic: Topic, channel: Channel, level: Level, sent: Msg) -> Route {
    let sent = Line::new(level, sent);
    Route {
        topic,
        channel,
        sent,
        failed: sent,
    }
}

impl Payload {
    /// Where the payload goes (`mcast`: the query came on the multicast path), for the
    /// payloads sent on their own; `None` for the DEVINFO blocks and the SyncToken line.
    pub const fn route(self, mcast: bool) -> Option<Route> {
        let warn = Level::Warn;
        Some(match self {
            // A report or reset that failed locally never reached the cloud: an error line
            // (the machine publishes it again).
            Payload::Report => Route {
                failed: Line::new(Level::Error, Msg::ReportRes),
                ..route(
                    Topic::MatchReport,
                    Channel::Mqtt { qos: 1 },
                    Level::Info,
                    Msg::ReportRes,
                )
            },
            Payload::Reset => Route {
                failed: Line::new(Level::Error, Msg::ResetRes),
                ..route(
                    Topic::ResetReport,
                    Channel::Mqtt { qos: 0 },
                    Level::Debug,
                    Msg::ResetRes,
                )
            },
            Payload::Stats => Route {
                failed: Line::new(Level::Info, Msg::StatisFail),
                ..route(
                    Topic::LogPost,
                    Channel::Mqtt { qos: 0 },
                    Level::Info,
                    Msg::StatisSuccess,
                )
            },
            Payload::Notify => route(Topic::Notify, Channel::Notify, warn, Msg::NotifySendRes),
            Payload::Answer => {
                let topic = if mcast {
                    Topic::QueryMcast
                } else {
                    Topic::QueryUcast
                };
                route(topic, Channel::Answer, warn, Msg::AnswerRes)
            }
            Payload::ConnectAp => {
                let topic = if mcast {
                    Topic::ConnectApMcast
                } else {
                    Topic::ConnectApUcast
                };
                route(topic, Channel::Answer, warn, Msg::TxDevInfoRes)
            }
            Payload::SyncToken | Payload::DevInfo | Payload::DevInfoBase => return None,
        })
    }

    /// The lines printed when the payload is rendered to be sent or shown; `None` for the
    /// DEVINFO blocks, which are handed to other SDK modules, not logged.
    pub const fn lines(self) -> Option<Lines> {
        Some(match self {
            Payload::Report => lines(What::Report, Level::Debug),
            Payload::Reset => lines(What::Reset, Level::Debug),
            // The statistics payload, and the SyncToken line of `awss_bind_disp_statis`, are
            // logged without a label.
            Payload::Stats | Payload::SyncToken => lines(What::Statis, Level::Debug),
            Payload::Notify => Lines {
                before: Some(Line::new(Level::Info, Msg::NotifyTopic)),
                ..lines(What::Notify, Level::Debug)
            },
            Payload::Answer => lines(What::Answer, Level::Info),
            Payload::ConnectAp => lines(What::Connectap, Level::Info),
            Payload::DevInfo | Payload::DevInfoBase => return None,
        })
    }

    /// True when the payload carries the device's identity (DEVINFO: the shell reads the MAC
    /// and the IP for it); the MQTT payloads name no device.
    pub const fn carries_devinfo(self) -> bool {
        match self {
            Payload::Notify
            | Payload::Answer
            | Payload::ConnectAp
            | Payload::DevInfo
            | Payload::DevInfoBase => true,
            Payload::Report | Payload::Reset | Payload::Stats | Payload::SyncToken => false,
        }
    }
}

/// The line after subscribing (`on`) or unsubscribing a topic, with the client's result as
/// its number and the topic as its text: always printed, a warning when the client refused.
pub const fn subscription_result(on: bool, rc: i32) -> Line {
    let level = if rc < 0 { Level::Warn } else { Level::Debug };
    Line::new(level, if on { Msg::SubRes } else { Msg::UnsubRes })
}

/// The line after registering a CoAP resource, with the server's result as its number and
/// the path as its text: only when the registration failed.
pub const fn registration_result(rc: i32) -> Option<Line> {
    if rc == 0 {
        None
    } else {
        Some(Line::new(Level::Warn, Msg::RegisterRes))
    }
}

/// Printed before event `IOTX_AWSS_BIND_NOTIFY` is posted.
pub const POSTING_BIND_NOTIFY: Line = Line::new(Level::Debug, Msg::PostBindNotify);

/// Printed, with `HAL_Kv_Set`'s result, when the reset flag could not be saved.
pub const FLAG_NOT_SAVED: Line = Line::new(Level::Error, Msg::KvSetRes);
