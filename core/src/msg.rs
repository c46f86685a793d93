//! Log lines: every line's text is one whole literal in the `messages!` list below (the grep
//! of a device log line finds it there), interned at compile time into one table and found by
//! the line's number ([`Msg::text`]), never by scanning.
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

macro_rules! messages {
    ($($(#[cfg($cfg:meta)])? $name:ident => $text:literal,)*) => {
        /// A log line's text (see [`Msg::text`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(missing_docs)] // each variant's text says it
        pub enum Msg {
            $($(#[cfg($cfg)])? $name,)*
        }

        /// Every text, in the order of [`Msg`]: the source of [`TABLE`] (used at compile time
        /// only). A line under a `cfg` is in both or in neither.
        const TEXTS: &[&str] = &[$($(#[cfg($cfg)])? $text),*];

        impl Msg {
            /// Every line, in declaration order (for the tests that check each of them).
            pub const ALL: &[Msg] = &[$($(#[cfg($cfg)])? Msg::$name),*];
        }
    };
}

// Every log line, and its whole text: `%s` stands for the line's bytes, `%d` for its number.
messages! {
    // --- the machine: lifecycle
    ConfigRefused => "bad config: zero field",
    ConfigUpdated => "config set",
    SessionActive => "session active",
    ResetFirst => "reset flag set",
    BindRunning => "bind running",
    ReportProvisioned => "provisioned token",
    BindDeinit => "bind deinit",
    UpdateToken => "update token",
    SetTokenZero => "zero token refused",
    ReportAppToken => "app token",
    QueryDroppedBindDeinit => "query dropped: bind deinit",
    QueryDroppedReportStopped => "query dropped: report stopped",
    QueryDroppedNoAck => "query dropped: no ack",
    QueryDroppedWaited => "query dropped: no acked token in time",
    RoundEndedReportStopped => "notify ended: report stopped",
    RoundEndedNoAck => "notify ended: no ack",
    RoundEndedNoValidToken => "notify ended: no valid token",
    TokenExpiredBeforeAck => "token expired before ack",
    ResetAcked => "reset acked",
    QueryRetransmitted => "query resent",
    QueriesWaiting => "query dropped: %d waiting",
    QueryWaits => "query waits",
    RoundDone => "notify done",
    NotifyWaits => "notify waits",
    RoundStopped => "notify stopped",
    ResetStopped => "reset stopped",
    SubscribeFailed => "subscribe failed",
    ReportUnsent => "report token not sent: retry in %d ms",
    ReportAgainOnConnect => "token unconfirmed: report again",
    FlagReadRetry => "reset flag unread, kv res:%d: binding, read again",
    FlagTakenClear => "reset flag unread, kv res:%d: taken as clear",
    FlagWriteRetry => "reset flag not saved: retry in %d ms",
    NotifyWaitsServer => "notify waits for the CoAP server",
    RoundEndedNoServer => "notify ended: no CoAP server",
    ServerRetry => "CoAP server down, phone queries unanswered: retry in %d ms",
    NoMatchReply => "no match_reply, retry",
    TryFail => "try %d times fail",
    NoResetReply => "no reset_reply, retry",
    NotifyAcked => "notify acked id %d",
    TokenReplyAcked => "awss_report_token_reply id %d",
    // --- the machine: refused input
    MatchBadJson => "match_reply ignored: bad JSON: %s",
    MatchNotObject => "match_reply ignored: not an object: %s",
    MatchTooDeep => "match_reply ignored: too deep: %s",
    MatchIdTooLong => "match_reply ignored: id too long: %s",
    MatchNoPayload => "match_reply ignored: no payload: %s",
    MatchCodeNot200 => "match_reply ignored: code not 200: %s",
    MatchBadId => "match_reply ignored: bad id: %s",
    MatchUnknownId => "match_reply ignored: unknown id %d",
    MatchDuplicate => "match_reply ignored: dup id %d",
    ResetBadJson => "reset_reply ignored: bad JSON: %s",
    ResetNotObject => "reset_reply ignored: not an object: %s",
    ResetTooDeep => "reset_reply ignored: too deep: %s",
    ResetIdTooLong => "reset_reply ignored: id too long: %s",
    ResetNoPayload => "reset_reply ignored: no payload: %s",
    ResetCodeNot200 => "reset_reply ignored: code not 200: %s",
    ResetBadId => "reset_reply ignored: bad id: %s",
    ResetUnknownId => "reset_reply ignored: unknown id %d",
    ResetNotOutstanding => "reset_reply ignored: none outstanding",
    AckBadJson => "notify ack ignored: bad JSON: %s",
    AckNotObject => "notify ack ignored: not an object: %s",
    AckTooDeep => "notify ack ignored: too deep: %s",
    AckIdTooLong => "notify ack ignored: id too long: %s",
    AckNoPayload => "notify ack ignored: no payload: %s",
    AckCodeNot200 => "notify ack ignored: code not 200: %s",
    AckBadId => "notify ack ignored: bad id: %s",
    AckUnknownId => "notify ack ignored: unknown id %d",
    AckNoResponse => "notify ack ignored: no response %d",
    AckCoapCode => "notify ack ignored: code %d",
    QueryBadJson => "query ignored: bad JSON: %s",
    QueryNotObject => "query ignored: not an object: %s",
    QueryTooDeep => "query ignored: too deep: %s",
    QueryIdTooLong => "query ignored: id too long: %s",
    QueryNoPayload => "query ignored: no payload: %s",
    QueryBindNotRunning => "query ignored: bind not running",
    QueryNoRemote => "query ignored: no remote",
    QueryNoMessage => "query ignored: no message",
    // --- the shell
    SubRes => "sub %s res:%d",
    UnsubRes => "unsub %s res:%d",
    RegisterRes => "register %s res:%d",
    PostBindNotify => "post IOTX_AWSS_BIND_NOTIFY",
    KvSetRes => "kv set res:%d",
    KvGetRes => "reset flag unread, kv res:%d",
    ReportRes => "report token res:%d",
    ResetRes => "report reset res:%d",
    StatisSuccess => "statis sent",
    StatisFail => "statis not sent",
    NotifySendRes => "notify res:%d",
    AnswerRes => "answer res:%d",
    TxDevInfoRes => "dev info tx res:%d",
    PayloadReport => "report token:%s",
    PayloadReset => "report reset:%s",
    PayloadStatis => "%s",
    PayloadNotify => "payload:%s",
    PayloadAnswer => "sending message to app: %s",
    TooLongReport => "report token: too long, not sent",
    TooLongReset => "report reset: too long, not sent",
    TooLongStatis => "bind statis: too long, not sent",
    TooLongNotify => "notify: too long, not sent",
    TooLongAnswer => "answer: too long, not sent",
    TooLongConnectap => "connectap answer: too long, not sent",
    NotifyTopic => "topic:/sys/device/info/notify",
    QueueFull => "action queue full",
    NoMutex => "no mutex",
    NoTimer => "no timer",
    TimerStartFailed => "HAL_Timer_Start failed res:%d, retry at the next entry",
    CoapInitFailed => "CoAPServer_init failed",
    ObserveIgnored => "Observe ignored, len %d",
    AnswerNoServer => "answer dropped: no CoAP server",
    TokenReplyNullMessage => "awss_report_token_reply: NULL msg ignored",
    TokenReplyOtherEvent => "awss_report_token_reply: event %d ignored",
    TokenReplyNullTopicInfo => "awss_report_token_reply: NULL topic ignored",
    TokenReplyNullPayload => "awss_report_token_reply: NULL payload ignored",
    TokenReplyTooLong => "awss_report_token_reply: %d-byte payload ignored",
    ResetReplyNullMessage => "awss_report_reset_reply: NULL msg ignored",
    ResetReplyOtherEvent => "awss_report_reset_reply: event %d ignored",
    ResetReplyNullTopicInfo => "awss_report_reset_reply: NULL topic ignored",
    ResetReplyNullPayload => "awss_report_reset_reply: NULL payload ignored",
    ResetReplyTooLong => "awss_report_reset_reply: %d-byte payload ignored",
    NotifyDevInfoType => "awss_notify_dev_info: bad type %d",
    BuildDevInfoCut => "awss_build_dev_info: cut",
    DevInfoType2 => "get_device_info: no type 2",
    DevInfoType => "get_device_info: bad type",
    ConnectapBad => "connectap: bad request",
    // --- provisioning (feature `wifi-provision`, docs/WIFI_PROVISION.md): the notify rounds
    #[cfg(feature = "wifi-provision")] SucNotifyDone => "connectap notify done",
    #[cfg(feature = "wifi-provision")] DevInfoNotifyDone => "devinfo notify done",
    #[cfg(feature = "wifi-provision")] SucNotifyStopped => "connectap notify stopped",
    #[cfg(feature = "wifi-provision")] DevInfoNotifyStopped => "devinfo notify stopped",
    #[cfg(feature = "wifi-provision")] SucNotifyAcked => "connectap notify acked id %d",
    #[cfg(feature = "wifi-provision")] DevInfoNotifyAcked => "devinfo notify acked id %d",
    #[cfg(feature = "wifi-provision")] AwssAckNoResponse => "awss notify ack ignored: no response %d",
    #[cfg(feature = "wifi-provision")] AwssAckCoapCode => "awss notify ack ignored: code %d",
    #[cfg(feature = "wifi-provision")] AwssAckNoRound => "awss notify ack ignored: no round",
    #[cfg(feature = "wifi-provision")] AwssAckNoPayload => "awss notify ack ignored: no payload",
    #[cfg(feature = "wifi-provision")] AwssAckBadJson => "awss notify ack ignored: bad JSON: %s",
    #[cfg(feature = "wifi-provision")] AwssAckCodeNot200 => "awss notify ack ignored: code not 200: %s",
    #[cfg(feature = "wifi-provision")] AwssAckBadId => "awss notify ack ignored: bad id: %s",
    #[cfg(feature = "wifi-provision")] AwssAckUnknownId => "awss notify ack ignored: unknown id %d",
    #[cfg(feature = "wifi-provision")] SucNotifyTopic => "topic:/sys/awss/event/connectap/notify",
    #[cfg(feature = "wifi-provision")] DevInfoNotifyTopic => "topic:/sys/awss/device/info/notify",
    #[cfg(feature = "wifi-provision")] AwssNotifyRes => "awss notify res:%d",
    #[cfg(feature = "wifi-provision")] AwssNotifyTooLong => "awss notify: too long, not sent",
    #[cfg(feature = "wifi-provision")] PostSucNotify => "post IOTX_AWSS_SUC_NOTIFY",
    // --- provisioning: the switch-AP request (the password is never logged)
    #[cfg(feature = "wifi-provision")] SwitchApNoPayload => "switchap refused: no payload",
    #[cfg(feature = "wifi-provision")] SwitchApNotJson => "switchap refused: not JSON",
    #[cfg(feature = "wifi-provision")] SwitchApNoId => "switchap refused: no id",
    #[cfg(feature = "wifi-provision")] SwitchApNoParams => "switchap refused: no params",
    #[cfg(feature = "wifi-provision")] SwitchApNoSsid => "switchap refused: no ssid",
    #[cfg(feature = "wifi-provision")] SwitchApSsidLong => "switchap refused: ssid over 32 bytes",
    #[cfg(feature = "wifi-provision")] SwitchApBadPasswd => "switchap refused: bad passwd",
    #[cfg(feature = "wifi-provision")] SwitchApPasswdLong => "switchap refused: passwd over 64 bytes",
    #[cfg(feature = "wifi-provision")] SwitchApBadBssid => "switchap refused: bad bssid",
    #[cfg(feature = "wifi-provision")] SwitchApNul => "switchap refused: NUL in ssid or passwd",
    #[cfg(feature = "wifi-provision")] SwitchApBadTimeout => "switchap refused: bad timeout",
    #[cfg(feature = "wifi-provision")] SwitchApBusy => "switchap refused: busy",
    #[cfg(feature = "wifi-provision")] SwitchApTo => "switchap to %s in %d ms",
    #[cfg(feature = "wifi-provision")] SwitchApClamped => "switchap timeout over 60000 ms: %d ms taken as 60000",
    #[cfg(feature = "wifi-provision")] SwitchApAlreadyOn => "switchap: already on that AP",
    #[cfg(feature = "wifi-provision")] SwitchApReplaces => "switchap replaces the pending switch",
    #[cfg(feature = "wifi-provision")] SwitchApApInfoRes => "switchap: HAL_Wifi_Get_Ap_Info res:%d, switching",
    #[cfg(feature = "wifi-provision")] SwitchApConnecting => "switchap: connecting to %s",
    #[cfg(feature = "wifi-provision")] SwitchApConnectRes => "switchap: connect res:%d, reboot in 1000 ms",
    #[cfg(feature = "wifi-provision")] SwitchApReboot => "switchap: reboot",
    #[cfg(feature = "wifi-provision")] SwitchApCancelled => "switchap cancelled",
    #[cfg(feature = "wifi-provision")] SwitchApUnasked => "switchap: result not waited for, ignored",
    #[cfg(feature = "wifi-provision")] SwitchApReplyPayload => "switchap reply:%s",
    #[cfg(feature = "wifi-provision")] SwitchApReplyRes => "switchap reply res:%d",
    // --- provisioning: the shell
    #[cfg(feature = "wifi-provision")] SignedAnswerTooLong => "signed answer: too long, not sent",
    #[cfg(feature = "wifi-provision")] DictNoTable => "awss_dict_crypt: no dictionary table in this build, tab %d refused",
    #[cfg(feature = "wifi-provision")] ProduceSignatureBad => "produce_signature: NULL argument or empty text",
    #[cfg(feature = "wifi-provision")] BuildSignSrcShort => "awss_build_sign_src: buffer too short",
}

/// Bytes of all texts back to back.
const BLOB_LEN: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < TEXTS.len() {
        n += TEXTS[i].len();
        i += 1;
    }
    n
};

/// All texts back to back, interned at compile time (as defmt interns its strings), with
/// [`TABLE`] the offset where each starts: a text costs its bytes and two bytes of table.
static BLOB: [u8; BLOB_LEN] = {
    let mut b = [0u8; BLOB_LEN];
    let (mut i, mut k) = (0, 0);
    while i < TEXTS.len() {
        let t = TEXTS[i].as_bytes();
        let mut j = 0;
        while j < t.len() {
            assert!(t[j].is_ascii(), "log texts are ASCII");
            b[k] = t[j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    b
};

/// Where text `i` starts in [`BLOB`]; entry `i + 1` is where it ends.
static TABLE: [u16; TEXTS.len() + 1] = {
    assert!(BLOB_LEN < u16::MAX as usize);
    let mut t = [0u16; TEXTS.len() + 1];
    let mut i = 0;
    while i < TEXTS.len() {
        t[i + 1] = t[i] + TEXTS[i].len() as u16;
        i += 1;
    }
    t
};

/// No placeholder, in [`PLACEHOLDERS`].
const NO_PLACEHOLDER: u8 = u8::MAX;

/// Where the placeholders (`%s`, `%d`) of text `i` start, at most two, found when the crate is
/// compiled ([`NO_PLACEHOLDER`] for none), so that printing a line never scans its text.
static PLACEHOLDERS: [[u8; 2]; TEXTS.len()] = {
    let mut table = [[NO_PLACEHOLDER; 2]; TEXTS.len()];
    let mut i = 0;
    while i < TEXTS.len() {
        let t = TEXTS[i].as_bytes();
        assert!(t.len() < NO_PLACEHOLDER as usize, "a log text too long");
        let (mut j, mut k) = (0, 0);
        while j + 1 < t.len() {
            if t[j] == b'%' && (t[j + 1] == b's' || t[j + 1] == b'd') {
                assert!(k < 2, "a log text with more than two placeholders");
                table[i][k] = j as u8;
                k += 1;
                j += 1;
            }
            j += 1;
        }
        i += 1;
    }
    table
};

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
    /// The line's text, whole (ASCII): found by its number in the table of texts.
    pub fn text(self) -> &'static [u8] {
        let i = self as usize;
        let (Some(&start), Some(&end)) = (TABLE.get(i), TABLE.get(i + 1)) else {
            return &[];
        };
        BLOB.get(usize::from(start)..usize::from(end))
            .unwrap_or(&[])
    }

    /// The line's text cut at its placeholders, by the table made at compile time.
    pub fn parts(self) -> Parts {
        let text = self.text();
        let at = PLACEHOLDERS
            .get(self as usize)
            .copied()
            .unwrap_or([NO_PLACEHOLDER; 2]);
        // The placeholder at `at` (if any), and the end of the text before it.
        let hole = |at: u8| {
            let arg = match text.get(usize::from(at) + 1) {
                Some(b's') => Some(Arg::Bytes),
                Some(b'd') => Some(Arg::Num),
                _ => None,
            };
            let end = if arg.is_some() {
                usize::from(at)
            } else {
                text.len()
            };
            (arg, end)
        };
        let (first, head_end) = hole(at[0]);
        let (second, first_end) = hole(at[1]);
        let slice = |from: usize, to: usize| text.get(from..to).unwrap_or(&[]);
        let from_first = usize::from(at[0]) + 2;
        let from_second = usize::from(at[1]) + 2;
        Parts {
            head: slice(0, head_end),
            args: [
                first.map(|a| (a, slice(from_first, first_end))),
                second.map(|a| (a, slice(from_second, text.len()))),
            ],
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
    pub head: &'static [u8],
    /// The placeholders, each with the text after it up to the next.
    pub args: [Option<(Arg, &'static [u8])>; 2],
}

impl Parts {
    /// Cut `text` at its (at most two) placeholders; a `%` that starts none is text.
    pub fn of(text: &'static [u8]) -> Parts {
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
fn cut(text: &'static [u8]) -> (&'static [u8], Option<(Arg, &'static [u8])>) {
    let mut from = 0;
    while let Some(at) = text
        .get(from..)
        .and_then(|t| t.iter().position(|&c| c == b'%'))
    {
        let i = from + at;
        let arg = match text.get(i + 1) {
            Some(b's') => Arg::Bytes,
            Some(b'd') => Arg::Num,
            _ => {
                from = i + 1;
                continue;
            }
        };
        let head = text.get(..i).unwrap_or(&[]);
        return (head, Some((arg, text.get(i + 2..).unwrap_or(&[]))));
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
        let parts = self.msg.parts();
        let mut text = |t: &'static [u8]| {
            if !t.is_empty() {
                out(Piece::Text(t));
            }
        };
        text(parts.head);
        for (arg, after) in parts.args.into_iter().flatten() {
            match arg {
                Arg::Bytes => out(Piece::Bytes(bytes)),
                Arg::Num => out(Piece::Num(num)),
            }
            if !after.is_empty() {
                out(Piece::Text(after));
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
    fn the_placeholder_table_cuts_every_text_as_a_scan_does() {
        assert_eq!(Msg::ALL.len(), TEXTS.len());
        for &m in Msg::ALL {
            assert_eq!(m.parts(), Parts::of(m.text()), "{m:?}");
        }
        // One of each kind, and two in one text.
        assert_eq!(
            Msg::SubRes.parts(),
            Parts {
                head: b"sub ",
                args: [
                    Some((Arg::Bytes, &b" res:"[..])),
                    Some((Arg::Num, &b""[..]))
                ],
            }
        );
    }

    #[test]
    fn a_lone_percent_is_text() {
        let p = Parts::of(b"100% sure %d%");
        assert_eq!(p.head, b"100% sure ");
        assert_eq!(p.args, [Some((Arg::Num, &b"%"[..])), None]);
    }
}
