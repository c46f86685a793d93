//! Log line texts as a table: a call site passes a packed [`Line`] (level and up to two
//! [`Msg`] numbers, one immediate) plus an optional byte excerpt and number, so a log call costs
//! a few bytes and no array of line pieces is built at each site.
//!
//! A text may hold the placeholder `\x01` (the line's number, in decimal) or `\x02` (the line's
//! bytes, non-printable ones escaped by the printer). A line is `[lvl] dev_bind: ` then the text
//! of its head, then the text of its tail, placeholders replaced.

/// The number placeholder in a text.
pub const NUM: u8 = 0x01;
/// The bytes placeholder in a text.
pub const BYTES: u8 = 0x02;

macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident = $text:literal,)*) => {
        /// A log text. The first variant, `None`, is the empty text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        #[allow(missing_docs)]
        pub enum Msg {
            $($(#[$doc])* $name,)*
        }

        /// The texts, in the order of [`Msg`] (used at compile time only, to build the blob).
        const TEXTS: &[&str] = &[$($text),*];
    };
}

messages! {
    None = "",
    // --- machine: lifecycle
    ConfigRefused = "config refused: a field is zero",
    ConfigUpdated = "config updated",
    SessionActive = "bind session already active",
    ResetFirst = "reset flag set: reset report before bind",
    BindRunning = "bind already running",
    ReportProvisioned = "reporting the provisioned token",
    BindDeinit = "bind deinit",
    UpdateToken = "update token",
    SetTokenZero = "set_token refused: all-zero token",
    ReportAppToken = "reporting the app's token",
    TokenStopped = "token reporting stopped",
    NoAck = "no ack from the cloud",
    RoundEnded = "notify round ended: ",
    DroppedUnanswered = "query dropped unanswered: ",
    TokenExpiredBeforeAck = "token expired before its ack: queries wait",
    ResetAcked = "reset acknowledged by the cloud",
    QueryRetransmitted = "query resent: still waiting",
    QueriesWaiting = "query dropped: \x01 already waiting",
    QueryWaits = "query waits for the token ack",
    RoundDone = "notify round done",
    NotifyWaits = "notify waits for the token ack",
    NoValidToken = "no valid token",
    RoundStopped = "notify round stopped",
    ResetStopped = "reset report stopped",
    SubscribeFailed = "subscribe failed: retry in 3 s",
    NoMatchReply = "no match_reply: reporting again",
    TryFail = "try \x01 times fail",
    NoResetReply = "no reset_reply: reporting again",
    TokenReply = "awss_report_token_reply id \x01",
    NotifyAcked = "notify acknowledged by a phone, id \x01",
    // --- machine: refused input (a "why" head, then a tail)
    MatchIgnored = "match_reply ignored: ",
    ResetIgnored = "reset_reply ignored: ",
    AckIgnored = "notify ack ignored: ",
    QueryIgnored = "query ignored: ",
    NoNumericId = "no numeric id: \x02",
    NoTokenReported = "no token reported, id \x01",
    NotCurrentToken = "not for the current token, id \x01",
    CodeNot200 = "code is not 200: \x02",
    Duplicate = "duplicate, id \x01",
    NoResetOutstanding = "no reset report outstanding",
    IdNotOurs = "id is not one we sent: \x02",
    NoResponse = "no response, result \x01",
    CoapCode = "CoAP code \x01",
    NoPayload = "no payload",
    BindNotRunning = "bind not running",
    // --- JSON scan errors (json::Error::reason), followed by an excerpt
    JsonInvalid = "invalid JSON: \x02",
    JsonNotObject = "not a JSON object: \x02",
    JsonTooDeep = "JSON nested too deep: \x02",
    JsonIdTooLong = "id too long: \x02",
    JsonEmpty = "no payload: \x02",
    // --- shell
    TopicTooLong = "topic too long",
    SubRes = "sub \x02 res:\x01",
    UnsubRes = "unsub \x02 res:\x01",
    PostBindNotify = "post event IOTX_AWSS_BIND_NOTIFY",
    KvSetRes = "HAL_Kv_Set(awss.rst) res:\x01",
    KvGetRes = "HAL_Kv_Get(awss.rst) res:\x01, no reset flag",
    NameReport = "report token",
    NameReset = "report reset",
    NameStatis = "bind statis",
    NameNotify = "notify",
    NameAnswer = "answer",
    NameConnectap = "connectap answer",
    PayloadTooLong = ": payload too long, not sent",
    LabelReport = "report token:\x02",
    LabelReset = "report reset:\x02",
    /// The bytes alone (the statistics payload, the SyncToken line).
    Bytes = "\x02",
    LabelNotify = "payload:\x02",
    LabelAnswer = "sending message to app: \x02",
    NotifyTopic = "topic:/sys/device/info/notify",
    BadBroadcast = "notify: bad broadcast address",
    NotifySendRes = "notify send res:\x01",
    AnswerRes = "sending message to app res:\x01",
    ReportRes = "report token res:\x01",
    ResetRes = "report reset result:\x01",
    StatisSuccess = "bind report statis success",
    StatisFail = "bind report statis fail",
    QueueFull = "action queue full, action dropped",
    NoMutex = "cannot create the module mutex",
    NoTimer = "cannot create the HAL timer",
    CoapInitFailed = "CoAPServer_init failed",
    NoRemote = "no remote address",
    NoMessage = "no message",
    ObserveIgnored = "query: Observe option ignored, length \x01",
    RegisterRes = "register \x02 res:\x01",
    AnswerNoServer = "answer dropped: CoAP server not running",
    HandlerTokenReply = "awss_report_token_reply",
    HandlerResetReply = "awss_report_reset_reply",
    NullMessage = ": NULL message, ignored",
    EventIgnored = ": event \x01 ignored",
    NullTopicInfo = ": NULL topic info, ignored",
    NullPayload = ": NULL payload, ignored",
    PayloadOfIgnored = ": payload of \x01 bytes ignored",
    NotifyDevInfoType = "awss_notify_dev_info: unsupported type \x01",
    BuildDevInfoCut = "awss_build_dev_info: buffer too small, cut",
    DevInfoType2 = "process_get_device_info: type 2 needs wifi-provision",
    DevInfoType = "process_get_device_info: unsupported type",
    ConnectapBad = "connectap query: bad request, no answer",
    TxDevInfoRes = "tx dev info rsp fail, res:\x01",
}

const N: usize = TEXTS.len();

const BLOB_LEN: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < N {
        n += TEXTS[i].len();
        i += 1;
    }
    n
};

/// All texts back to back.
static BLOB: [u8; BLOB_LEN] = {
    let mut b = [0u8; BLOB_LEN];
    let mut k = 0;
    let mut i = 0;
    while i < N {
        let s = TEXTS[i].as_bytes();
        let mut j = 0;
        while j < s.len() {
            b[k] = s[j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    b
};

/// End offset of each text in [`BLOB`].
static ENDS: [u16; N] = {
    assert!(BLOB_LEN <= u16::MAX as usize && N <= 256);
    let mut e = [0u16; N];
    let mut k = 0;
    let mut i = 0;
    while i < N {
        k += TEXTS[i].len();
        e[i] = k as u16;
        i += 1;
    }
    e
};

/// The text of message number `i` (empty when out of range).
fn text(i: u8) -> &'static [u8] {
    let i = usize::from(i);
    let start = match i.checked_sub(1) {
        Some(p) => ENDS.get(p).copied().unwrap_or(0),
        None => 0,
    };
    let end = ENDS.get(i).copied().unwrap_or(0);
    BLOB.get(usize::from(start)..usize::from(end))
        .unwrap_or(&[])
}

impl Msg {
    /// The text, placeholders included.
    pub fn text(self) -> &'static [u8] {
        text(self as u8)
    }
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

/// A log line's level and texts packed in one word: level, head and tail message numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line(u32);

impl Line {
    /// `level`, then the text of `head` followed by the text of `tail`.
    pub const fn new(level: super::Level, head: Msg, tail: Msg) -> Line {
        Line(level as u32 | (head as u32) << 8 | (tail as u32) << 16)
    }

    /// The line's level.
    pub fn level(self) -> super::Level {
        use super::Level;
        match self.0 & 0xFF {
            2 => Level::Error,
            3 => Level::Warn,
            4 => Level::Info,
            _ => Level::Debug,
        }
    }

    /// Hand the line's pieces (without the `[lvl] dev_bind: ` prefix) to `out`, in order.
    pub fn pieces<'a>(self, bytes: &'a [u8], num: i64, out: &mut impl FnMut(Piece<'a>)) {
        for i in [(self.0 >> 8) as u8, (self.0 >> 16) as u8] {
            let mut rest = text(i);
            while !rest.is_empty() {
                let cut = rest.iter().position(|&b| b < 0x20).unwrap_or(rest.len());
                let run = rest.get(..cut).unwrap_or(&[]);
                if !run.is_empty() {
                    out(Piece::Text(run));
                }
                match rest.get(cut) {
                    Some(&NUM) => out(Piece::Num(num)),
                    Some(&BYTES) => out(Piece::Bytes(bytes)),
                    _ => {}
                }
                rest = rest.get(cut + 1..).unwrap_or(&[]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Level;

    fn render(line: Line, bytes: &[u8], num: i64) -> std::vec::Vec<u8> {
        let mut v = std::vec::Vec::new();
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
    fn texts_come_back_in_order() {
        assert_eq!(Msg::None.text(), b"");
        assert_eq!(
            Msg::ConfigRefused.text(),
            b"config refused: a field is zero"
        );
        assert_eq!(Msg::TxDevInfoRes.text(), b"tx dev info rsp fail, res:\x01");
        assert_eq!(Msg::Bytes.text(), b"\x02");
    }

    #[test]
    fn lines_put_the_arguments_at_the_placeholders() {
        let l = Line::new(Level::Warn, Msg::MatchIgnored, Msg::NoNumericId);
        assert_eq!(l.level(), Level::Warn);
        assert_eq!(
            render(l, b"{}", 0),
            b"match_reply ignored: no numeric id: <{}>"
        );
        let l = Line::new(Level::Info, Msg::TryFail, Msg::None);
        assert_eq!(render(l, b"", 2), b"try 2 times fail");
        let l = Line::new(Level::Debug, Msg::SubRes, Msg::None);
        assert_eq!(l.level(), Level::Debug);
        assert_eq!(render(l, b"/a/b", -1), b"sub </a/b> res:-1");
        let l = Line::new(Level::Error, Msg::NameNotify, Msg::PayloadTooLong);
        assert_eq!(l.level(), Level::Error);
        assert_eq!(render(l, b"x", 0), b"notify: payload too long, not sent");
    }
}
