//! Log line texts as a table: a call site passes a packed [`Line`] (level and up to two
//! [`Msg`] numbers, one immediate) plus an optional byte excerpt and number, so a log call costs
//! a few bytes and no array of line pieces is built at each site.
//!
//! A text may hold the placeholder `\x01` (the line's number, in decimal) or `\x02` (the line's
//! bytes, non-printable ones escaped by the printer), and may take in another text whole (a
//! `+`-joined part that names it), as `" res:\x01"` is shared by every result line. A line is
//! `[lvl] dev_bind: ` then the text of its head, then the text of its tail, placeholders
//! replaced.

/// The number placeholder in a text.
pub const NUM: u8 = 0x01;
/// The bytes placeholder in a text.
pub const BYTES: u8 = 0x02;
/// `REF + k` in the table stands for text `k`.
const REF: u8 = 0x80;

/// A part of a text: literal text, or another text taken in whole.
enum Part {
    S(&'static str),
    R(Msg),
}

macro_rules! part {
    ($text:literal) => {
        Part::S($text)
    };
    ($msg:ident) => {
        Part::R(Msg::$msg)
    };
}

macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident = $first:tt $(+ $part:tt)*,)*) => {
        /// A log text. The first variant, `None`, is the empty text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        #[allow(missing_docs)]
        pub enum Msg {
            $($(#[$doc])* $name,)*
        }

        /// The texts, in the order of [`Msg`] (used at compile time only, to build the blob).
        const TEXTS: &[&[Part]] = &[$(&[part!($first) $(, part!($part))*]),*];
    };
}

messages! {
    None = "",
    // --- machine: lifecycle
    ConfigRefused = Bad + "config: zero field",
    ConfigUpdated = "config set",
    SessionActive = "session active",
    ResetFirst = Reset + " flag set",
    BindRunning = Bind + "running",
    ReportProvisioned = "provisioned" + Token,
    BindDeinit = Bind + "deinit",
    UpdateToken = "update" + Token,
    SetTokenZero = "zero" + Token + " refused",
    ReportAppToken = "app" + Token,
    TokenStopped = "report" + Stopped,
    NoAck = No + "ack",
    RoundEnded = NameNotify + " ended: ",
    DroppedUnanswered = "query dropped: ",
    TokenExpiredBeforeAck = "token expired before ack",
    ResetAcked = Reset + " acked",
    QueryRetransmitted = Query + " resent",
    QueriesWaiting = DroppedUnanswered + "\x01 waiting",
    QueryWaits = Query + " waits",
    RoundDone = NameNotify + " done",
    NotifyWaits = NameNotify + " waits",
    NoValidToken = No + "valid" + Token,
    RoundStopped = NameNotify + Stopped,
    ResetStopped = Reset + Stopped,
    SubscribeFailed = "subscribe failed",
    NoMatchReply = No + MatchReply + ", retry",
    TryFail = "try \x01 times fail",
    NoResetReply = No + ResetReply + ", retry",
    NotifyAcked = NameNotify + " acked",
    /// A tail: the line's number as an id.
    IdNum = " id \x01",
    // --- machine: refused input (a "why" head, then a tail)
    MatchIgnored = MatchReply + Ignored + ": ",
    ResetIgnored = ResetReply + Ignored + ": ",
    AckIgnored = NameNotify + " ack" + Ignored + ": ",
    QueryIgnored = Query + Ignored + ": ",
    NoNumericId = Bad + "id" + Excerpt,
    NotCurrentToken = "unknown" + IdNum,
    CodeNot200 = "code " + Not + "200" + Excerpt,
    Duplicate = "dup" + IdNum,
    NoResetOutstanding = "none outstanding",
    NoResponse = No + "response \x01",
    CoapCode = "code \x01",
    NoPayload = No + Payload,
    BindNotRunning = Bind + Not + "running",
    // --- JSON scan errors (json::Error::reason), followed by an excerpt
    JsonInvalid = Bad + "JSON" + Excerpt,
    JsonNotObject = Not + "an object" + Excerpt,
    JsonTooDeep = "too deep" + Excerpt,
    JsonIdTooLong = "id" + TooLong + Excerpt,
    JsonEmpty = No + Payload + Excerpt,
    // --- shell
    SubRes = "sub \x02" + Res,
    UnsubRes = "unsub \x02" + Res,
    PostBindNotify = "post IOTX_AWSS_BIND_NOTIFY",
    KvSetRes = "kv set" + Res,
    KvGetRes = No + Reset + " flag, kv" + Res,
    NameReport = "report token",
    NameReset = "report reset",
    NameStatis = Bind + Statis,
    NameNotify = "notify",
    NameAnswer = "answer",
    NameConnectap = Connectap + " " + NameAnswer,
    PayloadTooLong = ":" + TooLong + ", " + Not + "sent",
    LabelReport = NameReport + ":\x02",
    LabelReset = NameReset + ":\x02",
    /// The bytes alone (the statistics payload, the SyncToken line).
    Bytes = "\x02",
    LabelNotify = Payload + ":\x02",
    LabelAnswer = "sending message to app: \x02",
    NotifyTopic = "topic:/sys/device/info/" + NameNotify,
    NotifySendRes = NameNotify + Res,
    AnswerRes = NameAnswer + Res,
    ReportRes = NameReport + Res,
    ResetRes = NameReset + Res,
    StatisSuccess = Statis + " sent",
    StatisFail = Statis + " " + Not + "sent",
    QueueFull = "action queue full",
    NoMutex = No + "mutex",
    NoTimer = No + "timer",
    CoapInitFailed = "CoAPServer_init failed",
    NoRemote = No + "remote",
    NoMessage = No + "message",
    ObserveIgnored = "Observe" + Ignored + ", len \x01",
    RegisterRes = "register \x02" + Res,
    AnswerNoServer = NameAnswer + " dropped: " + No + "CoAP server",
    HandlerTokenReply = Awss + "report_token_reply",
    HandlerResetReply = Awss + "report_" + ResetReply,
    NullMessage = Null + "msg" + Ignored,
    EventIgnored = ": event \x01" + Ignored,
    NullTopicInfo = Null + "topic" + Ignored,
    NullPayload = Null + Payload + Ignored,
    PayloadOfIgnored = ": \x01-byte " + Payload + Ignored,
    NotifyDevInfoType = Awss + NameNotify + DevInfo + Bad + "type \x01",
    BuildDevInfoCut = Awss + "build" + DevInfo + "cut",
    DevInfoType2 = GetDevInfo + "no type 2",
    DevInfoType = GetDevInfo + Bad + "type",
    ConnectapBad = Connectap + ": " + Bad + "request",
    TxDevInfoRes = "dev info tx" + Res,
    // --- parts of other texts
    Res = " res:\x01",
    Ignored = " ignored",
    Stopped = " stopped",
    Token = " token",
    Bad = "bad ",
    No = "no ",
    Query = "query",
    MatchReply = "match_reply",
    ResetReply = "reset_reply",
    GetDevInfo = "get_device_info: ",
    Bind = "bind ",
    Statis = "statis",
    Payload = "payload",
    Null = ": NULL ",
    Connectap = "connectap",
    TooLong = " too long",
    Awss = "awss_",
    Reset = "reset",
    Not = "not ",
    /// The line's bytes after a colon.
    Excerpt = ": \x02",
    DevInfo = "_dev_info: ",
}

const N: usize = TEXTS.len();

/// Bytes of text `i` in [`BLOB`] (a part taken in is one byte).
const fn table_len(i: usize) -> usize {
    let mut n = 0;
    let mut p = 0;
    while p < TEXTS[i].len() {
        n += match TEXTS[i][p] {
            Part::S(s) => s.len(),
            Part::R(_) => 1,
        };
        p += 1;
    }
    n
}

const BLOB_LEN: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < N {
        n += table_len(i) + 1;
        i += 1;
    }
    n
};

/// All texts back to back, each ended by a NUL; a text taken in is `REF + its number`.
/// Checked at compile time: a literal part is printable ASCII or a placeholder, and a text
/// taken in takes in none itself (so printing never goes deeper than one level).
static BLOB: [u8; BLOB_LEN] = {
    assert!(N <= REF as usize);
    // The printer starts on the first byte: the empty text's NUL.
    assert!(table_len(0) == 0);
    let mut b = [0u8; BLOB_LEN];
    let mut k = 0;
    let mut i = 0;
    while i < N {
        let mut p = 0;
        while p < TEXTS[i].len() {
            match TEXTS[i][p] {
                Part::S(s) => {
                    let s = s.as_bytes();
                    let mut j = 0;
                    while j < s.len() {
                        assert!((s[j] >= 0x20 && s[j] < 0x7f) || s[j] == NUM || s[j] == BYTES);
                        b[k] = s[j];
                        k += 1;
                        j += 1;
                    }
                }
                Part::R(m) => {
                    let t = TEXTS[m as usize];
                    let mut q = 0;
                    while q < t.len() {
                        assert!(matches!(t[q], Part::S(_)));
                        q += 1;
                    }
                    b[k] = REF + m as u8;
                    k += 1;
                }
            }
            p += 1;
        }
        k += 1;
        i += 1;
    }
    b
};

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
        // The head's text, then the tail's; a part taken in is printed in place, then its
        // text goes on (one level deep: no recursion, one frame on the stack).
        // The texts still to print, the head's number in the low byte; the table's first byte
        // (the empty text's NUL) starts the loop on them.
        let mut texts = self.0 >> 8;
        let mut rest: &'static [u8] = &BLOB;
        // Where the text goes on after a part taken in (never empty: it holds at least the
        // text's NUL), empty when not in a part.
        let mut resume: &'static [u8] = &[];
        loop {
            // Split at a placeholder, a part taken in or the NUL (the only bytes outside
            // 0x20..0x80).
            let cut = rest
                .iter()
                .position(|&b| !(0x20..REF).contains(&b))
                .unwrap_or(rest.len());
            let (text_run, after) = rest.split_at(cut);
            if !text_run.is_empty() {
                out(Piece::Text(text_run));
            }
            let Some((&b, after)) = after.split_first() else {
                return;
            };
            rest = after;
            match b {
                0 => {
                    if !resume.is_empty() {
                        rest = resume;
                        resume = &[];
                    } else if texts != 0 {
                        rest = text(texts);
                        texts >>= 8;
                    } else {
                        return;
                    }
                }
                NUM => out(Piece::Num(num)),
                BYTES => out(Piece::Bytes(bytes)),
                _ => {
                    resume = rest;
                    rest = text(u32::from(b - REF));
                }
            }
        }
    }
}

/// The table from the start of text `k % 256` on (empty when out of range).
#[inline(never)]
fn text(k: u32) -> &'static [u8] {
    let mut rest: &'static [u8] = &BLOB;
    let mut skip = k as u8;
    while skip > 0 {
        let Some((&b, after)) = rest.split_first() else {
            break;
        };
        if b == 0 {
            skip -= 1;
        }
        rest = after;
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Level;

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

    fn text(m: Msg) -> std::vec::Vec<u8> {
        render(Line::new(Level::Info, m, Msg::None), b"B", 7)
    }

    #[test]
    fn a_text_out_of_range_is_empty() {
        assert_eq!(super::text(255), b"");
    }

    #[test]
    fn texts_come_back_in_order() {
        assert_eq!(text(Msg::None), b"");
        assert_eq!(text(Msg::ConfigRefused), b"bad config: zero field");
        assert_eq!(text(Msg::TxDevInfoRes), b"dev info tx res:7");
        assert_eq!(text(Msg::Bytes), b"<B>");
    }

    #[test]
    fn texts_taken_in_print_whole() {
        assert_eq!(text(Msg::ReportRes), b"report token res:7");
        assert_eq!(text(Msg::LabelReport), b"report token:<B>");
        assert_eq!(text(Msg::HandlerResetReply), b"awss_report_reset_reply");
        assert_eq!(text(Msg::NotifyTopic), b"topic:/sys/device/info/notify");
        assert_eq!(
            text(Msg::NotifyDevInfoType),
            b"awss_notify_dev_info: bad type 7"
        );
        assert_eq!(text(Msg::AnswerNoServer), b"answer dropped: no CoAP server");
        let l = Line::new(Level::Warn, Msg::AckIgnored, Msg::NoPayload);
        assert_eq!(render(l, b"", 0), b"notify ack ignored: no payload");
    }

    #[test]
    fn lines_put_the_arguments_at_the_placeholders() {
        let l = Line::new(Level::Warn, Msg::MatchIgnored, Msg::NoNumericId);
        assert_eq!(l.level(), Level::Warn);
        assert_eq!(render(l, b"{}", 0), b"match_reply ignored: bad id: <{}>");
        let l = Line::new(Level::Info, Msg::TryFail, Msg::None);
        assert_eq!(render(l, b"", 2), b"try 2 times fail");
        let l = Line::new(Level::Debug, Msg::SubRes, Msg::None);
        assert_eq!(l.level(), Level::Debug);
        assert_eq!(render(l, b"/a/b", -1), b"sub </a/b> res:-1");
        let l = Line::new(Level::Error, Msg::NameNotify, Msg::PayloadTooLong);
        assert_eq!(l.level(), Level::Error);
        assert_eq!(render(l, b"x", 0), b"notify: too long, not sent");
    }
}
