//! Log lines: every line's text is one whole literal in [`Msg::text`], found by a `match` on
//! its variant (the grep of a device log line finds it here).
//!
//! A text may hold `%s` (the line's bytes, printed with non-printable bytes escaped) and `%d`
//! (the line's number, in decimal), at most one of each. A printed line is
//! `[lvl] dev_bind: <text>\r\n`, placeholders replaced; its level goes with it in a [`Line`].

use super::json::Error as Json;
use super::{Level, Sub};

/// Why a reply (`match_reply`, `reset_reply`, a notify ack) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// The JSON scanner refused the payload.
    Json(Json),
    /// Its `code` is not 200.
    CodeNot200,
    /// Its `id` is not a number nor a string of digits.
    BadId,
    /// Its `id` is none we wait for (the line's number).
    UnknownId,
}

/// How an MQTT event handed to a reply handler was unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadEvent {
    /// The event pointer is NULL.
    NullMessage,
    /// Not a publish received (the event type is the line's number).
    OtherEvent,
    /// The publish has no topic info.
    NullTopicInfo,
    /// The publish has a NULL payload.
    NullPayload,
    /// The payload is too long to be a reply (its length is the line's number).
    TooLong,
}

/// Which payload a payload line ([`Msg::payload`]) or a too-long line ([`Msg::too_long`]) is
/// about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    /// The token report.
    Report,
    /// The reset report.
    Reset,
    /// The statistics post (or the SyncToken line).
    Statis,
    /// A notify broadcast.
    Notify,
    /// A query answer.
    Answer,
    /// A connect-AP info answer.
    Connectap,
}

/// A log line's text. A fieldless enum, so that [`Msg::text`] is a look-up in one table of
/// texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // each variant's text says it
pub enum Msg {
    // --- the machine: lifecycle
    ConfigRefused,
    ConfigUpdated,
    SessionActive,
    ResetFirst,
    BindRunning,
    ReportProvisioned,
    BindDeinit,
    UpdateToken,
    SetTokenZero,
    ReportAppToken,
    QueryDroppedBindDeinit,
    QueryDroppedReportStopped,
    QueryDroppedNoAck,
    RoundEndedReportStopped,
    RoundEndedNoAck,
    RoundEndedNoValidToken,
    TokenExpiredBeforeAck,
    ResetAcked,
    QueryRetransmitted,
    QueriesWaiting,
    QueryWaits,
    RoundDone,
    NotifyWaits,
    RoundStopped,
    ResetStopped,
    SubscribeFailed,
    NoMatchReply,
    TryFail,
    NoResetReply,
    NotifyAcked,
    TokenReplyAcked,
    // --- the machine: refused input
    MatchBadJson,
    MatchNotObject,
    MatchTooDeep,
    MatchIdTooLong,
    MatchNoPayload,
    MatchCodeNot200,
    MatchBadId,
    MatchUnknownId,
    MatchDuplicate,
    ResetBadJson,
    ResetNotObject,
    ResetTooDeep,
    ResetIdTooLong,
    ResetNoPayload,
    ResetCodeNot200,
    ResetBadId,
    ResetUnknownId,
    ResetNotOutstanding,
    AckBadJson,
    AckNotObject,
    AckTooDeep,
    AckIdTooLong,
    AckNoPayload,
    AckCodeNot200,
    AckBadId,
    AckUnknownId,
    AckNoResponse,
    AckCoapCode,
    QueryBadJson,
    QueryNotObject,
    QueryTooDeep,
    QueryIdTooLong,
    QueryNoPayload,
    QueryBindNotRunning,
    QueryNoRemote,
    QueryNoMessage,
    // --- the shell
    SubRes,
    UnsubRes,
    RegisterRes,
    PostBindNotify,
    KvSetRes,
    KvGetRes,
    ReportRes,
    ResetRes,
    StatisSuccess,
    StatisFail,
    NotifySendRes,
    AnswerRes,
    TxDevInfoRes,
    PayloadReport,
    PayloadReset,
    PayloadStatis,
    PayloadNotify,
    PayloadAnswer,
    TooLongReport,
    TooLongReset,
    TooLongStatis,
    TooLongNotify,
    TooLongAnswer,
    TooLongConnectap,
    NotifyTopic,
    QueueFull,
    NoMutex,
    NoTimer,
    CoapInitFailed,
    ObserveIgnored,
    AnswerNoServer,
    TokenReplyNullMessage,
    TokenReplyOtherEvent,
    TokenReplyNullTopicInfo,
    TokenReplyNullPayload,
    TokenReplyTooLong,
    ResetReplyNullMessage,
    ResetReplyOtherEvent,
    ResetReplyNullTopicInfo,
    ResetReplyNullPayload,
    ResetReplyTooLong,
    NotifyDevInfoType,
    BuildDevInfoCut,
    DevInfoType2,
    DevInfoType,
    ConnectapBad,
}

/// The replies whose refusals [`Msg::ignored`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `match_reply`: the cloud acknowledges a token report.
    Match,
    /// `reset_reply`: the cloud acknowledges a reset report.
    Reset,
    /// A phone's response to a notify broadcast.
    NotifyAck,
}

impl Msg {
    /// The line's text, whole.
    pub const fn text(self) -> &'static str {
        match self {
            Msg::ConfigRefused => "bad config: zero field",
            Msg::ConfigUpdated => "config set",
            Msg::SessionActive => "session active",
            Msg::ResetFirst => "reset flag set",
            Msg::BindRunning => "bind running",
            Msg::ReportProvisioned => "provisioned token",
            Msg::BindDeinit => "bind deinit",
            Msg::UpdateToken => "update token",
            Msg::SetTokenZero => "zero token refused",
            Msg::ReportAppToken => "app token",
            Msg::QueryDroppedBindDeinit => "query dropped: bind deinit",
            Msg::QueryDroppedReportStopped => "query dropped: report stopped",
            Msg::QueryDroppedNoAck => "query dropped: no ack",
            Msg::RoundEndedReportStopped => "notify ended: report stopped",
            Msg::RoundEndedNoAck => "notify ended: no ack",
            Msg::RoundEndedNoValidToken => "notify ended: no valid token",
            Msg::TokenExpiredBeforeAck => "token expired before ack",
            Msg::ResetAcked => "reset acked",
            Msg::QueryRetransmitted => "query resent",
            Msg::QueriesWaiting => "query dropped: %d waiting",
            Msg::QueryWaits => "query waits",
            Msg::RoundDone => "notify done",
            Msg::NotifyWaits => "notify waits",
            Msg::RoundStopped => "notify stopped",
            Msg::ResetStopped => "reset stopped",
            Msg::SubscribeFailed => "subscribe failed",
            Msg::NoMatchReply => "no match_reply, retry",
            Msg::TryFail => "try %d times fail",
            Msg::NoResetReply => "no reset_reply, retry",
            Msg::NotifyAcked => "notify acked id %d",
            Msg::TokenReplyAcked => "awss_report_token_reply id %d",
            Msg::MatchBadJson => "match_reply ignored: bad JSON: %s",
            Msg::MatchNotObject => "match_reply ignored: not an object: %s",
            Msg::MatchTooDeep => "match_reply ignored: too deep: %s",
            Msg::MatchIdTooLong => "match_reply ignored: id too long: %s",
            Msg::MatchNoPayload => "match_reply ignored: no payload: %s",
            Msg::MatchCodeNot200 => "match_reply ignored: code not 200: %s",
            Msg::MatchBadId => "match_reply ignored: bad id: %s",
            Msg::MatchUnknownId => "match_reply ignored: unknown id %d",
            Msg::MatchDuplicate => "match_reply ignored: dup id %d",
            Msg::ResetBadJson => "reset_reply ignored: bad JSON: %s",
            Msg::ResetNotObject => "reset_reply ignored: not an object: %s",
            Msg::ResetTooDeep => "reset_reply ignored: too deep: %s",
            Msg::ResetIdTooLong => "reset_reply ignored: id too long: %s",
            Msg::ResetNoPayload => "reset_reply ignored: no payload: %s",
            Msg::ResetCodeNot200 => "reset_reply ignored: code not 200: %s",
            Msg::ResetBadId => "reset_reply ignored: bad id: %s",
            Msg::ResetUnknownId => "reset_reply ignored: unknown id %d",
            Msg::ResetNotOutstanding => "reset_reply ignored: none outstanding",
            Msg::AckBadJson => "notify ack ignored: bad JSON: %s",
            Msg::AckNotObject => "notify ack ignored: not an object: %s",
            Msg::AckTooDeep => "notify ack ignored: too deep: %s",
            Msg::AckIdTooLong => "notify ack ignored: id too long: %s",
            Msg::AckNoPayload => "notify ack ignored: no payload: %s",
            Msg::AckCodeNot200 => "notify ack ignored: code not 200: %s",
            Msg::AckBadId => "notify ack ignored: bad id: %s",
            Msg::AckUnknownId => "notify ack ignored: unknown id %d",
            Msg::AckNoResponse => "notify ack ignored: no response %d",
            Msg::AckCoapCode => "notify ack ignored: code %d",
            Msg::QueryBadJson => "query ignored: bad JSON: %s",
            Msg::QueryNotObject => "query ignored: not an object: %s",
            Msg::QueryTooDeep => "query ignored: too deep: %s",
            Msg::QueryIdTooLong => "query ignored: id too long: %s",
            Msg::QueryNoPayload => "query ignored: no payload: %s",
            Msg::QueryBindNotRunning => "query ignored: bind not running",
            Msg::QueryNoRemote => "query ignored: no remote",
            Msg::QueryNoMessage => "query ignored: no message",
            Msg::SubRes => "sub %s res:%d",
            Msg::UnsubRes => "unsub %s res:%d",
            Msg::RegisterRes => "register %s res:%d",
            Msg::PostBindNotify => "post IOTX_AWSS_BIND_NOTIFY",
            Msg::KvSetRes => "kv set res:%d",
            Msg::KvGetRes => "no reset flag, kv res:%d",
            Msg::ReportRes => "report token res:%d",
            Msg::ResetRes => "report reset res:%d",
            Msg::StatisSuccess => "statis sent",
            Msg::StatisFail => "statis not sent",
            Msg::NotifySendRes => "notify res:%d",
            Msg::AnswerRes => "answer res:%d",
            Msg::TxDevInfoRes => "dev info tx res:%d",
            Msg::PayloadReport => "report token:%s",
            Msg::PayloadReset => "report reset:%s",
            Msg::PayloadStatis => "%s",
            Msg::PayloadNotify => "payload:%s",
            Msg::PayloadAnswer => "sending message to app: %s",
            Msg::TooLongReport => "report token: too long, not sent",
            Msg::TooLongReset => "report reset: too long, not sent",
            Msg::TooLongStatis => "bind statis: too long, not sent",
            Msg::TooLongNotify => "notify: too long, not sent",
            Msg::TooLongAnswer => "answer: too long, not sent",
            Msg::TooLongConnectap => "connectap answer: too long, not sent",
            Msg::NotifyTopic => "topic:/sys/device/info/notify",
            Msg::QueueFull => "action queue full",
            Msg::NoMutex => "no mutex",
            Msg::NoTimer => "no timer",
            Msg::CoapInitFailed => "CoAPServer_init failed",
            Msg::ObserveIgnored => "Observe ignored, len %d",
            Msg::AnswerNoServer => "answer dropped: no CoAP server",
            Msg::TokenReplyNullMessage => "awss_report_token_reply: NULL msg ignored",
            Msg::TokenReplyOtherEvent => "awss_report_token_reply: event %d ignored",
            Msg::TokenReplyNullTopicInfo => "awss_report_token_reply: NULL topic ignored",
            Msg::TokenReplyNullPayload => "awss_report_token_reply: NULL payload ignored",
            Msg::TokenReplyTooLong => "awss_report_token_reply: %d-byte payload ignored",
            Msg::ResetReplyNullMessage => "awss_report_reset_reply: NULL msg ignored",
            Msg::ResetReplyOtherEvent => "awss_report_reset_reply: event %d ignored",
            Msg::ResetReplyNullTopicInfo => "awss_report_reset_reply: NULL topic ignored",
            Msg::ResetReplyNullPayload => "awss_report_reset_reply: NULL payload ignored",
            Msg::ResetReplyTooLong => "awss_report_reset_reply: %d-byte payload ignored",
            Msg::NotifyDevInfoType => "awss_notify_dev_info: bad type %d",
            Msg::BuildDevInfoCut => "awss_build_dev_info: cut",
            Msg::DevInfoType2 => "get_device_info: no type 2",
            Msg::DevInfoType => "get_device_info: bad type",
            Msg::ConnectapBad => "connectap: bad request",
        }
    }

    /// The line that says why a reply was ignored.
    pub const fn ignored(reply: Reply, why: Why) -> Msg {
        use Json::{Empty, IdTooLong, Invalid, NotObject, TooDeep};
        match (reply, why) {
            (Reply::Match, Why::Json(Invalid)) => Msg::MatchBadJson,
            (Reply::Match, Why::Json(NotObject)) => Msg::MatchNotObject,
            (Reply::Match, Why::Json(TooDeep)) => Msg::MatchTooDeep,
            (Reply::Match, Why::Json(IdTooLong)) => Msg::MatchIdTooLong,
            (Reply::Match, Why::Json(Empty)) => Msg::MatchNoPayload,
            (Reply::Match, Why::CodeNot200) => Msg::MatchCodeNot200,
            (Reply::Match, Why::BadId) => Msg::MatchBadId,
            (Reply::Match, Why::UnknownId) => Msg::MatchUnknownId,
            (Reply::Reset, Why::Json(Invalid)) => Msg::ResetBadJson,
            (Reply::Reset, Why::Json(NotObject)) => Msg::ResetNotObject,
            (Reply::Reset, Why::Json(TooDeep)) => Msg::ResetTooDeep,
            (Reply::Reset, Why::Json(IdTooLong)) => Msg::ResetIdTooLong,
            (Reply::Reset, Why::Json(Empty)) => Msg::ResetNoPayload,
            (Reply::Reset, Why::CodeNot200) => Msg::ResetCodeNot200,
            (Reply::Reset, Why::BadId) => Msg::ResetBadId,
            (Reply::Reset, Why::UnknownId) => Msg::ResetUnknownId,
            (Reply::NotifyAck, Why::Json(Invalid)) => Msg::AckBadJson,
            (Reply::NotifyAck, Why::Json(NotObject)) => Msg::AckNotObject,
            (Reply::NotifyAck, Why::Json(TooDeep)) => Msg::AckTooDeep,
            (Reply::NotifyAck, Why::Json(IdTooLong)) => Msg::AckIdTooLong,
            (Reply::NotifyAck, Why::Json(Empty)) => Msg::AckNoPayload,
            (Reply::NotifyAck, Why::CodeNot200) => Msg::AckCodeNot200,
            (Reply::NotifyAck, Why::BadId) => Msg::AckBadId,
            (Reply::NotifyAck, Why::UnknownId) => Msg::AckUnknownId,
        }
    }

    /// The line that says why a phone's query was ignored.
    pub const fn query_ignored(e: Json) -> Msg {
        match e {
            Json::Invalid => Msg::QueryBadJson,
            Json::NotObject => Msg::QueryNotObject,
            Json::TooDeep => Msg::QueryTooDeep,
            Json::IdTooLong => Msg::QueryIdTooLong,
            Json::Empty => Msg::QueryNoPayload,
        }
    }

    /// The line that logs a payload of `what`.
    pub const fn payload(what: What) -> Msg {
        match what {
            What::Report => Msg::PayloadReport,
            What::Reset => Msg::PayloadReset,
            What::Statis => Msg::PayloadStatis,
            What::Notify => Msg::PayloadNotify,
            What::Answer | What::Connectap => Msg::PayloadAnswer,
        }
    }

    /// The line that says a payload of `what` does not fit its buffer.
    pub const fn too_long(what: What) -> Msg {
        match what {
            What::Report => Msg::TooLongReport,
            What::Reset => Msg::TooLongReset,
            What::Statis => Msg::TooLongStatis,
            What::Notify => Msg::TooLongNotify,
            What::Answer => Msg::TooLongAnswer,
            What::Connectap => Msg::TooLongConnectap,
        }
    }

    /// The line that says why the reply handler of `sub` ignored an MQTT event.
    pub const fn bad_event(sub: Sub, e: BadEvent) -> Msg {
        match (sub, e) {
            (Sub::MatchReply, BadEvent::NullMessage) => Msg::TokenReplyNullMessage,
            (Sub::MatchReply, BadEvent::OtherEvent) => Msg::TokenReplyOtherEvent,
            (Sub::MatchReply, BadEvent::NullTopicInfo) => Msg::TokenReplyNullTopicInfo,
            (Sub::MatchReply, BadEvent::NullPayload) => Msg::TokenReplyNullPayload,
            (Sub::MatchReply, BadEvent::TooLong) => Msg::TokenReplyTooLong,
            (Sub::ResetReply, BadEvent::NullMessage) => Msg::ResetReplyNullMessage,
            (Sub::ResetReply, BadEvent::OtherEvent) => Msg::ResetReplyOtherEvent,
            (Sub::ResetReply, BadEvent::NullTopicInfo) => Msg::ResetReplyNullTopicInfo,
            (Sub::ResetReply, BadEvent::NullPayload) => Msg::ResetReplyNullPayload,
            (Sub::ResetReply, BadEvent::TooLong) => Msg::ResetReplyTooLong,
        }
    }
}

/// A placeholder of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// `%s`: the line's bytes.
    Bytes,
    /// `%d`: the line's number.
    Num,
}

/// A text cut at its placeholders: `head`, then each placeholder with the text after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// The text before the first placeholder (all of it when there is none).
    pub head: &'static str,
    /// The placeholders, each with the text after it up to the next.
    pub args: [Option<(Arg, &'static str)>; 2],
}

impl Parts {
    /// Cut `text` at its (at most two) placeholders; a `%` that starts none is text.
    pub fn of(text: &'static str) -> Parts {
        let (head, mut rest) = cut(text);
        let mut args = [None, None];
        for slot in &mut args {
            let Some((arg, after)) = rest else { break };
            let (text, next) = cut(after);
            *slot = Some((arg, text));
            rest = next;
        }
        Parts { head, args }
    }
}

/// The text before the first placeholder of `text`, and that placeholder with what follows it.
fn cut(text: &'static str) -> (&'static str, Option<(Arg, &'static str)>) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(at) = b
        .get(from..)
        .and_then(|t| t.iter().position(|&c| c == b'%'))
    {
        let i = from + at;
        let arg = match b.get(i + 1) {
            Some(b's') => Arg::Bytes,
            Some(b'd') => Arg::Num,
            _ => {
                from = i + 1;
                continue;
            }
        };
        // Both cuts are at ASCII bytes, so on character boundaries.
        let head = text.get(..i).unwrap_or("");
        return (head, Some((arg, text.get(i + 2..).unwrap_or(""))));
    }
    (text, None)
}

/// A piece of a rendered line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text.
    Text(&'a [u8]),
    /// Bytes from the network: printed with non-printable bytes escaped.
    Bytes(&'a [u8]),
    /// A signed number in decimal.
    Num(i64),
}

/// A log line: its level and its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    level: Level,
    msg: Msg,
}

impl Line {
    /// The line `msg` at `level`.
    pub const fn new(level: Level, msg: Msg) -> Line {
        Line { level, msg }
    }

    /// The line's level.
    pub fn level(self) -> Level {
        self.level
    }

    /// The line's text.
    pub fn msg(self) -> Msg {
        self.msg
    }

    /// Hand the line's pieces (without the `[lvl] dev_bind: ` prefix) to `out`, in order,
    /// with `bytes` and `num` at the placeholders. Empty texts are left out.
    pub fn pieces<'a>(self, bytes: &'a [u8], num: i64, out: &mut impl FnMut(Piece<'a>)) {
        let parts = Parts::of(self.msg.text());
        let mut text = |t: &'static str| {
            if !t.is_empty() {
                out(Piece::Text(t.as_bytes()));
            }
        };
        text(parts.head);
        for (arg, after) in parts.args.into_iter().flatten() {
            match arg {
                Arg::Bytes => out(Piece::Bytes(bytes)),
                Arg::Num => out(Piece::Num(num)),
            }
            if !after.is_empty() {
                out(Piece::Text(after.as_bytes()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn render(line: Line, bytes: &[u8], num: i64) -> Vec<u8> {
        let mut v = Vec::new();
        line.pieces(bytes, num, &mut |p| match p {
            Piece::Text(t) => v.extend_from_slice(t),
            Piece::Bytes(b) => {
                v.push(b'<');
                v.extend_from_slice(b);
                v.push(b'>');
            }
            Piece::Num(n) => v.extend_from_slice(std::format!("{n}").as_bytes()),
        });
        v
    }

    #[test]
    fn lines_put_the_arguments_at_the_placeholders() {
        let l = Line::new(Level::Warn, Msg::MatchBadId);
        assert_eq!(l.level(), Level::Warn);
        assert_eq!(render(l, b"{}", 0), b"match_reply ignored: bad id: <{}>");
        let l = Line::new(Level::Info, Msg::TryFail);
        assert_eq!(render(l, b"", 2), b"try 2 times fail");
        let l = Line::new(Level::Debug, Msg::SubRes);
        assert_eq!(render(l, b"/a/b", -1), b"sub </a/b> res:-1");
        let l = Line::new(Level::Info, Msg::PayloadStatis);
        assert_eq!(render(l, b"x", 0), b"<x>");
        let l = Line::new(Level::Info, Msg::ConfigUpdated);
        assert_eq!(render(l, b"x", 3), b"config set");
    }

    #[test]
    fn a_lone_percent_is_text() {
        let p = Parts::of("100% sure %d%");
        assert_eq!(p.head, "100% sure ");
        assert_eq!(p.args, [Some((Arg::Num, "%")), None]);
    }
}
