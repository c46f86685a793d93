//! Byte-exact payloads and topics (SPEC section 5).

mod common_core;
use common_core::*;
use dev_bind_core::render::{self, Identity, Topic, Writer};
use dev_bind_core::{IdKind, Stats};

fn out(f: impl FnOnce(&mut Writer<'_>)) -> String {
    let mut buf = [0u8; 2048];
    let mut w = Writer::new(&mut buf);
    f(&mut w);
    assert!(w.ok());
    String::from_utf8(w.as_bytes().to_vec()).unwrap()
}

const TOKEN: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
];
const HEXT: &str = "0123456789ABCDEFFEDCBA9876543210";

const DEVINFO: &str = concat!(
    r#""awssVer":{"smartconfig":"2.0","zconfig":"2.0","router":"2.0","ap":"2.0","softap":"2.0"},"#,
    r#""productKey":"a1pk","deviceName":"dev1","mac":"AA:BB:CC:DD:EE:FF","ip":"10.0.0.59","#,
    r#""cipherType":3,"token":"0123456789ABCDEFFEDCBA9876543210","remainTime":43603,"type":0"#
);

#[test]
fn topics() {
    // WHO's MAC and IP must not show in any topic.
    let cases = [
        (
            Topic::MatchReport,
            "/sys/a1pk/dev1/thing/awss/enrollee/match",
        ),
        (
            Topic::MatchReply,
            "/sys/a1pk/dev1/thing/awss/enrollee/match_reply",
        ),
        (Topic::ResetReport, "/sys/a1pk/dev1/thing/reset"),
        (Topic::ResetReply, "/sys/a1pk/dev1/thing/reset_reply"),
        (Topic::LogPost, "/sys/a1pk/dev1/thing/log/post"),
        (Topic::QueryMcast, "/sys/device/info/get"),
        (Topic::QueryUcast, "/sys/a1pk/dev1/device/info/get"),
        (Topic::Notify, "/sys/device/info/notify"),
        (Topic::ConnectApMcast, "/sys/awss/device/connectap/info/get"),
        (
            Topic::ConnectApUcast,
            "/sys/a1pk/dev1/awss/device/connectap/info/get",
        ),
    ];
    for (t, want) in cases {
        assert_eq!(out(|w| render::topic(w, t, &WHO)), want);
    }
}

#[test]
fn report_payload() {
    assert_eq!(
        out(|w| render::report(w, 0, &TOKEN)),
        format!(
            r#"{{"id":"0","version":"1.0","method":"thing.awss.enrollee.match","params":{{"token":"{HEXT}"}}}}"#
        )
    );
    assert_eq!(
        out(|w| render::report(w, u32::MAX, &[0xff; 16])),
        format!(
            r#"{{"id":"4294967295","version":"1.0","method":"thing.awss.enrollee.match","params":{{"token":"{}"}}}}"#,
            "FF".repeat(16)
        )
    );
}

#[test]
fn reset_payload_keeps_its_spaces() {
    assert_eq!(
        out(|w| render::reset(w, 0)),
        r#"{"id":"0", "version":"1.0", "method":"thing.reset", "params":{}}"#
    );
    assert_eq!(
        out(|w| render::reset(w, 17)),
        r#"{"id":"17", "version":"1.0", "method":"thing.reset", "params":{}}"#
    );
}

#[test]
fn stats_payload() {
    let s = Stats {
        cnt: 5,
        suc: 3,
        max_ms: 900,
        min_ms: 100,
        mean_ms: 433,
        trace_id: 5,
    };
    assert_eq!(
        out(|w| render::stats(w, 1, 123456, &s)),
        r#"{"id":1,"version":"1.0","method":"things.log.post","params":{"template":"timestamp logLevel module traceContext logContent","contents":["123456 BIND_TRACE dev_bind 5 [SyncToken max:900 min:100 mean:433 cnt:5 suc:3]"]}}"#
    );
}

#[test]
fn dev_info_notify_and_answer() {
    assert_eq!(out(|w| render::dev_info(w, &WHO, &TOKEN, 43603)), DEVINFO);
    assert_eq!(
        out(|w| render::notify(w, 7, &WHO, &TOKEN, 43603)),
        format!(
            r#"{{"id":"7","version":"1.0","method":"device.info.notify","params":{{{DEVINFO}}}}}"#
        )
    );
    let id = echo(IdKind::Number, "123");
    assert_eq!(
        out(|w| render::answer(w, &id, &WHO, &TOKEN, 43603)),
        format!(r#"{{"id":123,"code":200,"data":{{{DEVINFO}}}}}"#)
    );
    let base = &DEVINFO[..DEVINFO.find(",\"token\"").unwrap()];
    assert_eq!(out(|w| render::dev_info_base(w, &WHO)), base);
    assert!(base.ends_with("\"cipherType\":3"));
    assert_eq!(
        out(|w| render::connectap_answer(w, &id, &WHO)),
        format!(r#"{{"id":123,"code":200,"data":{{{base},"type":0}}}}"#)
    );
}

#[test]
fn answer_id_echo_forms() {
    let cases = [
        (echo(IdKind::Number, "42"), "42"),
        (echo(IdKind::String, "abc"), "\"abc\""),
        (echo(IdKind::String, r#"a\"b"#), r#""a\"b""#),
        (echo(IdKind::Raw, "{\"x\":[1]}"), "{\"x\":[1]}"),
        (echo(IdKind::Raw, "null"), "null"),
        (echo(IdKind::Missing, ""), "null"),
    ];
    for (id, want) in cases {
        let text = out(|w| render::answer(w, &id, &WHO, &TOKEN, 1));
        assert_eq!(
            text,
            format!(r#"{{"id":{want},"code":200,"data":{{{}}}}}"#, {
                out(|w| render::dev_info(w, &WHO, &TOKEN, 1))
            })
        );
        assert!(judge(&text).is_object(), "{text}");
    }
}

#[test]
fn identity_strings_are_escaped_and_mac_upper_cased() {
    let who = Identity {
        product_key: b"p\"k\\",
        device_name: b"d\nn\x01",
        mac: b"0a:1b:2c:3d:4e:5f",
        ip: b"\xff1",
    };
    let text = out(|w| render::dev_info_base(w, &who));
    assert!(text.contains(r#""productKey":"p\"k\\""#), "{text}");
    assert!(text.contains(r#""deviceName":"d\nn\u0001""#), "{text}");
    assert!(text.contains(r#""mac":"0A:1B:2C:3D:4E:5F""#), "{text}");
    assert!(text.contains(r#""ip":"\uFFFD1""#), "{text}");
    let full = judge(&format!("{{{text}}}"));
    assert_eq!(full["productKey"], "p\"k\\");
    assert_eq!(full["deviceName"], "d\nn\u{1}");
    assert_eq!(full["ip"], "\u{fffd}1");
}

#[test]
fn every_escape_is_written_byte_exact() {
    let who = Identity {
        product_key: b"\"\\/\x08\x0c\n\r\t\x00\x1f\x7f",
        device_name: b"",
        mac: b"",
        ip: b"",
    };
    let text = out(|w| render::dev_info_base(w, &who));
    // DEL is printable for JSON: as is; the other control bytes as `\uXXXX`, upper-case hex.
    let want = "\"productKey\":\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001F\x7f\"";
    assert!(text.contains(want), "{text}");
}

#[test]
fn broadcast_hosts() {
    let ip = b"10.0.0.59";
    let want = [
        "255.255.255.255",
        "10.255.255.255",
        "10.0.255.255",
        "10.0.0.255",
    ];
    for (dest, w) in want.iter().enumerate() {
        assert_eq!(out(|x| render::broadcast_host(x, dest as u8, ip)), *w);
    }
    assert_eq!(
        out(|x| render::broadcast_host(x, 3, b"192.168.1.7")),
        "192.168.1.255"
    );
    assert_eq!(
        out(|x| render::broadcast_host(x, 2, b"172.016.254.1")),
        "172.016.255.255"
    );
    assert_eq!(
        out(|x| render::broadcast_host(x, 1, b"255.255.255.0")),
        "255.255.255.255"
    );
    for bad in [
        &b""[..],
        b"10.0.0",
        b"10.0.0.1.2",
        b"a.b.c.d",
        b"256.1.1.1",
        b"1..2.3",
        b"1.2.3.4 ",
        b"1234.1.1.1",
        b".1.2.3",
        b"1.2.3.",
        b"999.1.1.1",
        b"1.2.3.-4",
        b"1.2.3.4.",
    ] {
        for dest in 0..4 {
            assert_eq!(
                out(|x| render::broadcast_host(x, dest, bad)),
                "255.255.255.255",
                "{bad:?}"
            );
        }
    }
}

#[test]
fn writer_numbers_hex_and_overflow() {
    assert_eq!(
        out(|w| {
            w.u64(0)
                .str(" ")
                .u64(u64::MAX)
                .str(" ")
                .i64(i64::MIN)
                .str(" ")
                .i64(-5)
                .str(" ")
                .hex(&[0, 0xab]);
        }),
        "0 18446744073709551615 -9223372036854775808 -5 00AB"
    );
    let mut buf = [0u8; 8];
    let mut w = Writer::new(&mut buf);
    w.str("12345");
    assert!(w.ok());
    assert!(w.nul_terminate());
    w.str("6789");
    assert!(!w.ok());
    assert_eq!(w.as_bytes(), b"12345678");
    assert_eq!(w.len(), 8);
    assert!(!w.nul_terminate());
    // A payload that does not fit is flagged, never cut silently.
    let mut small = [0u8; 40];
    let mut w = Writer::new(&mut small);
    render::notify(&mut w, 1, &WHO, &TOKEN, 1);
    assert!(!w.ok());
    let mut empty: [u8; 0] = [];
    let mut w = Writer::new(&mut empty);
    assert!(w.is_empty());
    w.u64(5).hex(&[1]).json_escaped(b"\"");
    assert!(!w.ok());
    assert!(w.is_empty());
}

#[test]
fn decimal_numbers_are_exact_on_both_sides_of_every_digit_count() {
    // Each power of ten and its neighbours (a digit more or less), and the edge where the
    // digit loop changes from 64-bit to 32-bit arithmetic.
    let mut values = vec![
        u64::from(u32::MAX) - 1,
        u64::from(u32::MAX),
        1 << 32,
        u64::MAX,
    ];
    let mut p = 1u64;
    while let Some(next) = p.checked_mul(10) {
        values.extend([p - 1, p, p + 1]);
        p = next;
    }
    values.extend([p - 1, p, p + 1]);
    for n in values {
        assert_eq!(
            out(|w| {
                w.u64(n);
            }),
            n.to_string()
        );
        let neg = -(n as i64 & i64::MAX);
        assert_eq!(
            out(|w| {
                w.i64(neg);
            }),
            neg.to_string()
        );
    }
    // A number that does not fit is not cut: none of it is written.
    let mut buf = [0u8; 4];
    let mut w = Writer::new(&mut buf);
    w.str("1").u64(12_345);
    assert!(!w.ok());
    assert_eq!(w.as_bytes(), b"1");
}

#[test]
fn answers_for_every_echo_kind_are_valid_json() {
    for payload in [
        r#"{"id":"123"}"#,
        r#"{"id":"a\"\\\/\b\f\n\r\t\u0000z"}"#,
        r#"{"id":{"k":[1,2,{"x":null}]}}"#,
        r#"{"id":-0.5e-7}"#,
        r#"{"params":{}}"#,
        "{\"id\":\"\u{1f600}\"}",
    ] {
        let id = dev_bind_core::json::id_echo(Some(payload.as_bytes())).unwrap();
        let text = out(|w| render::answer(w, &id, &WHO, &TOKEN, 5));
        // Judged by serde_json: valid JSON whose id is the request's (a string of digits
        // as that number).
        let answer = judge(&text);
        let asked = judge(payload);
        let got = &answer["id"];
        match asked.get("id") {
            None => assert!(got.is_null(), "{text}"),
            Some(serde_json::Value::String(s)) if id.kind == IdKind::Number => {
                assert_eq!(got.to_string(), *s, "{text}")
            }
            Some(v) => assert_eq!(got, v, "{payload} -> {text}"),
        }
        assert_eq!(answer["code"], 200);
    }
}

/// The MQTT payloads name no device: the shell renders them with whatever identity it holds
/// (product key and device name read for the topic), so their templates must ignore it.
#[test]
fn mqtt_payloads_ignore_the_identity() {
    use dev_bind_core::render::Payload;
    let who = Identity {
        product_key: b"a1pk",
        device_name: b"dev1",
        mac: b"aa:bb:cc:dd:ee:ff",
        ip: b"10.0.0.59",
    };
    let nums = [7, 8, 9, 10, 11, 12, 13, 14];
    for which in [Payload::Report, Payload::Reset, Payload::Stats] {
        let with = out(|w| render::payload(w, which, &nums, &TOKEN, &who, &render::NO_ID));
        let without =
            out(|w| render::payload(w, which, &nums, &TOKEN, &render::NOBODY, &render::NO_ID));
        assert_eq!(with, without);
        assert!(!with.contains("a1pk") && !with.contains("dev1") && !with.contains("10.0.0"));
    }
}

/// What `json_escaped` must write for `b`: each bad UTF-8 run (as `String::from_utf8_lossy`
/// replaces them, one U+FFFD for each `Utf8Error::error_len` run or a cut sequence at the end)
/// as `\uFFFD`, the rest escaped. (The inputs below hold no valid U+FFFD of their own.)
fn escaped_reference(b: &[u8]) -> String {
    let mut s = String::new();
    for ch in String::from_utf8_lossy(b).chars() {
        match ch {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\u{8}' => s.push_str("\\b"),
            '\u{c}' => s.push_str("\\f"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            '\u{fffd}' => s.push_str("\\uFFFD"),
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04X}", c as u32)),
            c => s.push(c),
        }
    }
    s
}

#[test]
fn bad_utf8_runs_are_each_one_replacement() {
    // Every string of up to three bytes over the UTF-8 boundary bytes (no 0xEF: no valid
    // U+FFFD of their own), then random longer ones over the same bytes.
    let edges: &[u8] = &[
        0x00, 0x0a, b'"', b'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
        0xe0, 0xe1, 0xed, 0xf0, 0xf1, 0xf4, 0xf5, 0xff,
    ];
    let check = |b: &[u8]| {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        w.json_escaped(b);
        assert!(w.ok());
        assert_eq!(
            core::str::from_utf8(w.as_bytes()).unwrap(),
            escaped_reference(b),
            "{b:x?}"
        );
    };
    check(b"");
    for &x in edges {
        check(&[x]);
        for &y in edges {
            check(&[x, y]);
            for &z in edges {
                check(&[x, y, z]);
            }
        }
    }
    let mut r = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        let mut b = Vec::new();
        for _ in 0..(r % 12) {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            b.push(edges[(r % edges.len() as u64) as usize]);
        }
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        check(&b);
    }
}

/// A plain text with one byte to escape, of every length up to five machine words and with
/// that byte at every place: the escaper tests its input a word at a time (whole words, then
/// the last word, which may overlap the one before), so each place must be found. The MAC is
/// upper-cased as well, letters in every place.
#[test]
fn a_byte_to_escape_is_found_at_every_place() {
    let check = |b: &[u8]| {
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        w.json_escaped(b);
        assert!(w.ok());
        assert_eq!(w.as_bytes(), escaped_reference(b).as_bytes(), "{b:x?}");
        let who = Identity {
            mac: b,
            ..render::NOBODY
        };
        let text = out(|w| render::dev_info_base(w, &who));
        let want = format!(r#""mac":"{}""#, escaped_reference(&b.to_ascii_uppercase()));
        assert!(text.contains(&want), "{b:x?}: {text}");
    };
    for len in 0..40 {
        let plain: Vec<u8> = (0..len).map(|i| b"az:AZ09m~ "[i % 10]).collect();
        check(&plain);
        for at in 0..len {
            for bad in [b'"', b'\\', 0x01, 0x1f, 0x80, 0xff] {
                let mut b = plain.clone();
                b[at] = bad;
                check(&b);
            }
        }
    }
}

/// Every placeholder of every template names a field the renderer knows, and each number
/// placeholder is one of the numbers its [`Payload`] documents, in that order.
#[test]
fn every_placeholder_names_a_known_field() {
    use dev_bind_core::render::Payload;
    fn names(template: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = template;
        while let Some(at) = rest.find('$') {
            let tail = &rest[at..];
            assert!(tail.starts_with("${"), "a lone $ in {template}");
            let end = tail.find('}').expect("an unclosed placeholder");
            out.push(&tail[2..end]);
            rest = &tail[end + 1..];
        }
        out
    }
    // The placeholders found at compile time are exactly those of the text, each with the
    // text before it.
    fn holes_match(t: &dev_bind_core::render::Template) {
        let mut at = 0;
        let found: Vec<&str> = t
            .holes
            .iter()
            .map(|h| {
                let start = at + h.before.len();
                assert_eq!(&t.text.as_bytes()[at..start], h.before, "{}", t.text);
                at = usize::from(h.end);
                &t.text[start..at]
            })
            .collect();
        let want: Vec<String> = names(t.text).iter().map(|n| format!("${{{n}}}")).collect();
        assert_eq!(found, want, "{}", t.text);
    }
    let fields = ["token", "echo", "devinfo", "pk", "dn", "mac", "ip"];
    let numbers = [
        (Payload::Report, &["id"][..]),
        (Payload::Reset, &["id"]),
        (
            Payload::Stats,
            &["id", "uptime", "trace", "max", "min", "mean", "cnt", "suc"],
        ),
        (Payload::Notify, &["id", "remain"]),
        (Payload::Answer, &["remain"]),
        (Payload::ConnectAp, &[]),
        (Payload::SyncToken, &["max", "min", "mean", "cnt", "suc"]),
        (Payload::DevInfo, &["remain"]),
        (Payload::DevInfoBase, &[]),
    ];
    for (which, want) in numbers {
        let all = names(which.template().text);
        holes_match(which.template());
        let nums: Vec<&str> = all
            .iter()
            .copied()
            .filter(|n| !fields.contains(n))
            .collect();
        assert_eq!(nums, want, "{which:?}");
    }
    for t in Topic::ALL {
        holes_match(t.template());
        for n in names(t.template().text) {
            assert!(n == "pk" || n == "dn", "{t:?}: ${{{n}}}");
        }
    }
}

/// `copy_bytes` copies the common prefix exactly and nothing past it, for every length pair
/// up to 40 bytes.
#[test]
fn copy_bytes_copies_the_common_prefix() {
    for dl in 0..40 {
        for sl in 0..40 {
            let src: Vec<u8> = (0..sl as u8).map(|b| b.wrapping_mul(7) ^ 0x5A).collect();
            let mut dst = vec![0xEEu8; dl];
            let n = dev_bind_core::copy_bytes(&mut dst, &src);
            assert_eq!(n, dl.min(sl));
            assert_eq!(&dst[..n], &src[..n]);
            assert!(dst[n..].iter().all(|&b| b == 0xEE), "{dl} {sl}");
        }
    }
}
