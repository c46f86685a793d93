//! The JSON scanner and the id echo rules (SPEC section 6, "Answering queries").

use dev_bind_core::json::{self, id_echo, scan, Error, Top, Value, MAX_DEPTH};
use dev_bind_core::IdKind;

fn top(s: &str) -> Top<'_> {
    scan(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

#[test]
fn picks_first_top_level_id_and_code() {
    let t = top(r#"{"id":"0","code":200,"data":{}}"#);
    assert_eq!(t.id, Some(Value::Str(b"0")));
    assert_eq!(t.code, Some(Value::Num(b"200")));
    let t = top(r#" {"data":{"id":5,"code":1},"code":"200","id":7,"id":8,"code":9} "#);
    assert_eq!(t.id, Some(Value::Num(b"7")));
    assert_eq!(t.code, Some(Value::Str(b"200")));
    let t = top(r#"{"id":{"a":[1,{"b":null}]},"code":[200]}"#);
    assert_eq!(t.id, Some(Value::Other(br#"{"a":[1,{"b":null}]}"#)));
    assert_eq!(t.code, Some(Value::Other(b"[200]")));
    let t = top("{\n\t\"id\" :  true ,\r\n\"code\": -1.5e+3 }");
    assert_eq!(t.id, Some(Value::Other(b"true")));
    assert_eq!(t.code, Some(Value::Num(b"-1.5e+3")));
    assert_eq!(top("{}"), Top::default());
    let t = top(r#"{"ID":1,"idx":2,"i\u0064":3}"#);
    assert_eq!(t.id, None, "keys match byte for byte");
}

#[test]
fn string_escapes_are_kept_as_received() {
    let t = top(r#"{"id":"a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00"}"#);
    assert_eq!(
        t.id,
        Some(Value::Str(br#"a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00"#))
    );
    let t = top("{\"id\":\"h\u{e9}llo \u{1f600}\"}");
    assert_eq!(t.id, Some(Value::Str("h\u{e9}llo \u{1f600}".as_bytes())));
}

#[test]
fn rejects_invalid_json() {
    let bad: &[&[u8]] = &[
        b"",
        b" ",
        b"{",
        b"}",
        b"{\"id\"}",
        b"{\"id\":}",
        b"{\"id\":1,}",
        b"{,}",
        b"{\"id\":1 \"code\":2}",
        b"{'id':1}",
        b"{id:1}",
        b"{\"id\":01}",
        b"{\"id\":1.}",
        b"{\"id\":.5}",
        b"{\"id\":1e}",
        b"{\"id\":-}",
        b"{\"id\":+1}",
        b"{\"id\":tru}",
        b"{\"id\":nul}",
        b"{\"id\":True}",
        b"{\"id\":\"abc}",
        b"{\"id\":\"a\\x\"}",
        b"{\"id\":\"a\\u12g4\"}",
        b"{\"id\":\"a\\u12\"}",
        b"{\"id\":\"tab\there\"}",
        b"{\"id\":\"\xff\"}",
        b"{\"id\":\"\xc3\"}",
        b"{\"id\":[1,2}",
        b"{\"id\":[1,]}",
        b"{\"id\":{\"a\":1]}",
        b"{} {}",
        b"{}x",
        b"{\"a\":1}\0",
        // A control byte right after a number or literal (it ends the run, then is refused).
        b"{\"id\":1\x01}",
        b"{\"id\":true\x0c}",
        b"{\"id\":null\x1f,\"code\":200}",
        b"{\"id\":\x0b1}",
        b"\xef\xbb\xbf{}",
    ];
    for b in bad {
        match scan(b) {
            Err(Error::Invalid) => {}
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(b)),
        }
    }
}

#[test]
fn valid_but_not_an_object() {
    for s in [
        "[]",
        "[1,{\"id\":2}]",
        "1",
        "\"id\"",
        "null",
        "true",
        " -0.0e0 ",
    ] {
        assert_eq!(scan(s.as_bytes()), Err(Error::NotObject), "{s}");
    }
}

#[test]
fn nesting_depth_limit() {
    // The top-level object counts as depth 1.
    let ok = format!(
        "{{\"a\":{}1{}}}",
        "[".repeat(MAX_DEPTH - 1),
        "]".repeat(MAX_DEPTH - 1)
    );
    assert!(scan(ok.as_bytes()).is_ok());
    let deep = format!(
        "{{\"a\":{}1{}}}",
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    assert_eq!(scan(deep.as_bytes()), Err(Error::TooDeep));
    // Very deep input costs no stack: still a clean error.
    let huge = "[".repeat(1_000_000);
    assert_eq!(scan(huge.as_bytes()), Err(Error::TooDeep));
    let objs = "{\"a\":".repeat(100_000);
    assert_eq!(scan(objs.as_bytes()), Err(Error::TooDeep));
}

#[test]
fn as_u32_accepts_numbers_and_digit_strings_only() {
    let cases: &[(Value<'_>, Option<u32>)] = &[
        (Value::Num(b"0"), Some(0)),
        (Value::Num(b"200"), Some(200)),
        (Value::Str(b"200"), Some(200)),
        (Value::Str(b"0042"), Some(42)),
        (Value::Num(b"4294967295"), Some(u32::MAX)),
        (Value::Num(b"4294967296"), None),
        (Value::Str(b"99999999999999999999999999"), None),
        (Value::Num(b"-1"), None),
        (Value::Num(b"200.0"), None),
        (Value::Num(b"2e2"), None),
        (Value::Str(b""), None),
        (Value::Str(b" 200"), None),
        (Value::Str(b"20a"), None),
        (Value::Other(b"true"), None),
        (Value::Other(b"[200]"), None),
    ];
    for (v, want) in cases {
        assert_eq!(v.as_u32(), *want, "{v:?}");
    }
}

fn echo_of(s: &str) -> Result<(IdKind, String), Error> {
    id_echo(Some(s.as_bytes())).map(|e| (e.kind, String::from_utf8(e.text.to_vec()).unwrap()))
}

#[test]
fn id_echo_rules() {
    use IdKind::*;
    let cases: &[(&str, (IdKind, &str))] = &[
        (
            r#"{"id":"123","version":"1.0","params":{}}"#,
            (Number, "123"),
        ),
        (r#"{"id":"0"}"#, (Number, "0")),
        (r#"{"id":"007"}"#, (String, "007")),
        (r#"{"id":"abc"}"#, (String, "abc")),
        (r#"{"id":"12a"}"#, (String, "12a")),
        (r#"{"id":"-5"}"#, (String, "-5")),
        (r#"{"id":""}"#, (String, "")),
        (r#"{"id":"a\"b\u0001"}"#, (String, r#"a\"b\u0001"#)),
        (r#"{"id":123}"#, (Number, "123")),
        (r#"{"id":-7}"#, (Number, "-7")),
        (r#"{"id":1.5e3}"#, (Number, "1.5e3")),
        (r#"{"id":{"x":[1]}}"#, (Raw, r#"{"x":[1]}"#)),
        (r#"{"id":[1, 2]}"#, (Raw, "[1, 2]")),
        (r#"{"id":true}"#, (Raw, "true")),
        (r#"{"id":false}"#, (Raw, "false")),
        (r#"{"id":null}"#, (Raw, "null")),
        (r#"{"version":"1.0"}"#, (Missing, "")),
        (r#"{}"#, (Missing, "")),
    ];
    for (payload, (kind, text)) in cases {
        assert_eq!(echo_of(payload), Ok((*kind, text.to_string())), "{payload}");
    }
}

#[test]
fn id_echo_length_boundary_32_vs_33() {
    let s32 = "x".repeat(32);
    let s33 = "x".repeat(33);
    assert_eq!(
        echo_of(&format!("{{\"id\":\"{s32}\"}}")),
        Ok((IdKind::String, s32.clone()))
    );
    assert_eq!(
        echo_of(&format!("{{\"id\":\"{s33}\"}}")),
        Err(Error::IdTooLong)
    );
    let d32 = "9".repeat(32);
    let d33 = "9".repeat(33);
    assert_eq!(
        echo_of(&format!("{{\"id\":{d32}}}")),
        Ok((IdKind::Number, d32.clone()))
    );
    assert_eq!(echo_of(&format!("{{\"id\":{d33}}}")), Err(Error::IdTooLong));
    assert_eq!(
        echo_of(&format!("{{\"id\":\"{d32}\"}}")),
        Ok((IdKind::Number, d32))
    );
    assert_eq!(
        echo_of(&format!("{{\"id\":\"{d33}\"}}")),
        Err(Error::IdTooLong)
    );
    // Raw values count as written.
    let arr32 = format!("[{}]", "1,".repeat(15) + "1");
    assert_eq!(arr32.len(), 33);
    assert_eq!(
        echo_of(&format!("{{\"id\":{arr32}}}")),
        Err(Error::IdTooLong)
    );
    // Escapes count as received (6 bytes each).
    let esc = "\\u0041".repeat(5) + "ab"; // 32 bytes
    assert_eq!(
        echo_of(&format!("{{\"id\":\"{esc}\"}}")),
        Ok((IdKind::String, esc.clone()))
    );
    assert_eq!(
        echo_of(&format!("{{\"id\":\"{esc}c\"}}")),
        Err(Error::IdTooLong)
    );
}

#[test]
fn id_echo_refusals() {
    assert_eq!(id_echo(None), Err(Error::Empty));
    assert_eq!(id_echo(Some(b"")), Err(Error::Empty));
    assert_eq!(id_echo(Some(b"[1]")), Err(Error::NotObject));
    assert_eq!(id_echo(Some(b"\"id\"")), Err(Error::NotObject));
    assert_eq!(id_echo(Some(b"42")), Err(Error::NotObject));
    assert_eq!(id_echo(Some(b"{\"id\":")), Err(Error::Invalid));
    assert_eq!(id_echo(Some(b"   ")), Err(Error::Invalid));
    assert_eq!(id_echo(Some(b"\0\0\0")), Err(Error::Invalid));
}

#[test]
fn helpers_validate_echo_text() {
    assert!(json::is_number(b"-12.5E-3"));
    assert!(!json::is_number(b"012"));
    assert!(!json::is_number(b"1 "));
    assert!(json::is_string_content(br#"a\"b\u00e9"#));
    assert!(!json::is_string_content(br#"a"b"#));
    assert!(!json::is_string_content(b"a\\"));
    assert!(!json::is_string_content(b"\xff"));
    assert!(json::is_value(br#"{"a":[true,null]}"#));
    assert!(!json::is_value(b" 1"));
    assert!(!json::is_value(b"{"));
}
