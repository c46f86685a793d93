//! Differential test of the JSON scanner against serde_json (a reference parser, test builds
//! only): on generated and mutated inputs, `scan` must accept exactly the UTF-8 texts that
//! serde_json accepts (objects: `Ok`, other values: `NotObject`, nesting beyond `MAX_DEPTH`:
//! `TooDeep`), pick the same first top-level `id` and `code` members, and `is_value`,
//! `is_number` and `is_string_content` must agree with serde_json's decision on their text.

use dev_bind_core::json::{self, scan, Error, Value, MAX_DEPTH};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// serde_json's decision on `b` as a whole JSON text (`IgnoredAny` checks the grammar and
/// the escapes without decoding them, so `\uD800` alone is accepted as RFC 8259 allows).
fn reference_accepts(b: &[u8]) -> bool {
    std::str::from_utf8(b).is_ok() && serde_json::from_slice::<IgnoredAny>(b).is_ok()
}

/// A key as written: `None` when it holds an escape (the scanner matches keys byte for byte).
struct Key<'a>(Option<&'a str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Some(v)))
            }
            fn visit_str<E>(self, _: &str) -> Result<Key<'de>, E> {
                Ok(Key(None))
            }
        }
        d.deserialize_str(V)
    }
}

/// The first top-level `id` and `code` of an object, as raw text.
#[derive(Default)]
struct Members<'a> {
    id: Option<&'a RawValue>,
    code: Option<&'a RawValue>,
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut m = Members::default();
                while let Some(Key(k)) = map.next_key()? {
                    let v: &'de RawValue = map.next_value()?;
                    match k {
                        Some("id") if m.id.is_none() => m.id = Some(v),
                        Some("code") if m.code.is_none() => m.code = Some(v),
                        _ => {}
                    }
                }
                Ok(m)
            }
        }
        d.deserialize_map(V)
    }
}

fn expected_value(raw: Option<&RawValue>) -> Option<Value<'_>> {
    let t = raw?.get().as_bytes();
    Some(match t[0] {
        b'"' => Value::Str(&t[1..t.len() - 1]),
        b'-' | b'0'..=b'9' => Value::Num(t),
        _ => Value::Other(t),
    })
}

/// The deepest nesting of brackets outside strings (exact for valid JSON).
fn depth_of(b: &[u8]) -> usize {
    let (mut d, mut max, mut in_str, mut esc) = (0usize, 0, false, false);
    for &c in b {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' | b'[' => {
                d += 1;
                max = max.max(d);
            }
            b'}' | b']' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn is_ws(c: &u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Checks every scanner entry point on `b` against the reference.
fn check(b: &[u8]) {
    let ok = reference_accepts(b);
    let deep = depth_of(b) > MAX_DEPTH;
    let shown = String::from_utf8_lossy(b);
    match scan(b) {
        Ok(top) => {
            assert!(ok && !deep, "accepted: {shown:?}");
            let text = std::str::from_utf8(b).unwrap();
            let m: Members<'_> = serde_json::from_str(text).expect("an object");
            assert_eq!(top.id, expected_value(m.id), "id of {shown:?}");
            assert_eq!(top.code, expected_value(m.code), "code of {shown:?}");
        }
        Err(Error::NotObject) => {
            assert!(ok && !deep, "valid non-object: {shown:?}");
            let first = b.iter().find(|c| !is_ws(c));
            assert_ne!(first, Some(&b'{'), "{shown:?}");
        }
        Err(Error::TooDeep) => assert!(deep, "too deep: {shown:?}"),
        Err(Error::Invalid) => assert!(!ok, "refused: {shown:?}"),
        Err(e) => panic!("{e:?} from scan: {shown:?}"),
    }
    let bare = !b.first().is_some_and(is_ws) && !b.last().is_some_and(is_ws);
    assert_eq!(json::is_value(b), bare && ok && !deep, "is_value {shown:?}");
    let number = bare && matches!(b.first(), Some(b'-' | b'0'..=b'9')) && ok;
    assert_eq!(json::is_number(b), number, "is_number {shown:?}");
    let quoted = [&b"\""[..], b, b"\""].concat();
    let content = reference_accepts(&quoted);
    assert_eq!(json::is_string_content(b), content, "string {shown:?}");
}

/// xorshift64*: a seeded, reproducible source of choices.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
    fn pick<'a>(&mut self, from: &[&'a [u8]]) -> &'a [u8] {
        from[self.below(from.len())]
    }
}

const WS: &[&[u8]] = &[
    b"",
    b"",
    b"",
    b" ",
    b"\t",
    b"\n",
    b"\r\n",
    b"\x0c",
    b"\xc2\xa0",
];
const STR_PIECES: &[&[u8]] = &[
    b"a",
    b"id",
    b"Z9",
    b" ",
    b"\\\"",
    b"\\\\",
    b"\\/",
    b"\\b\\f\\n\\r\\t",
    b"\\u00e9",
    b"\\uD83D\\uDE00",
    b"\\uDC00",
    b"\\u12g4",
    b"\\u12",
    b"\\x",
    b"\\",
    b"\"",
    b"\t",
    b"\x01",
    b"\x7f",
    "\u{e9}".as_bytes(),
    "\u{20ac}".as_bytes(),
    "\u{1f600}".as_bytes(),
    b"\xc0\xaf",
    b"\xe0\x80\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xf8",
    b"\xc3",
    b"\xe2\x82",
    b"\xff",
];
const KEYS: &[&[u8]] = &[
    b"\"id\"",
    b"\"code\"",
    b"\"id\"",
    b"\"code\"",
    b"\"data\"",
    b"\"i\\u0064\"",
    b"\"ID\"",
    b"\"\"",
    b"id",
];
const LITERALS: &[&[u8]] = &[
    b"true",
    b"false",
    b"null",
    b"tru",
    b"nul",
    b"True",
    b"nulll",
    b"falsetrue",
    b"t",
];

fn gen_number(r: &mut Rng, out: &mut Vec<u8>) {
    if r.below(3) == 0 {
        out.push(b'-');
    }
    let parts: &[&[u8]] = &[b"0", b"7", b"200", b"01", b"", b"123456789", b"+1"];
    out.extend_from_slice(r.pick(parts));
    if r.below(3) == 0 {
        out.extend_from_slice(r.pick(&[b".5", b".", b".05", b"..1", b".e1"]));
    }
    if r.below(3) == 0 {
        out.extend_from_slice(r.pick(&[b"e", b"E", b"e+", b"e-", b"E0"]));
        out.extend_from_slice(r.pick(&[b"1", b"", b"09", b"+2"]));
    }
}

fn gen_string(r: &mut Rng, out: &mut Vec<u8>) {
    out.push(b'"');
    for _ in 0..r.below(5) {
        // Mostly valid pieces, now and then one that is not.
        let piece = if r.below(4) == 0 {
            r.pick(STR_PIECES)
        } else {
            r.pick(&STR_PIECES[..13])
        };
        out.extend_from_slice(piece);
    }
    if r.below(20) != 0 {
        out.push(b'"');
    }
}

fn gen_value(r: &mut Rng, out: &mut Vec<u8>, depth: usize) {
    out.extend_from_slice(r.pick(WS));
    let kinds = if depth > MAX_DEPTH + 2 { 3 } else { 6 };
    match r.below(kinds) {
        0 => gen_number(r, out),
        1 => gen_string(r, out),
        2 => out.extend_from_slice(r.pick(LITERALS)),
        3 | 4 => {
            out.push(b'{');
            let n = r.below(4);
            for k in 0..n {
                if k > 0 || r.below(30) == 0 {
                    out.push(b',');
                }
                out.extend_from_slice(r.pick(WS));
                out.extend_from_slice(r.pick(KEYS));
                out.extend_from_slice(r.pick(WS));
                if r.below(30) != 0 {
                    out.push(b':');
                }
                gen_value(r, out, depth + 1);
            }
            if r.below(30) == 0 {
                out.push(b',');
            }
            out.extend_from_slice(r.pick(WS));
            out.push(if r.below(30) == 0 { b']' } else { b'}' });
        }
        _ => {
            out.push(b'[');
            let n = r.below(4);
            for k in 0..n {
                if k > 0 {
                    out.push(b',');
                }
                gen_value(r, out, depth + 1);
            }
            out.extend_from_slice(r.pick(WS));
            out.push(if r.below(30) == 0 { b'}' } else { b']' });
        }
    }
    out.extend_from_slice(r.pick(WS));
}

const BYTES: &[u8] = b"{}[],:\"\\ -+.0123456789eEtrufalsn\t\n\r\x00\x1f\x80\xbf\xc3\xe2\xf0\xff";

fn mutate(r: &mut Rng, b: &mut Vec<u8>) {
    for _ in 0..1 + r.below(3) {
        let at = r.below(b.len() + 1);
        match r.below(5) {
            0 if at < b.len() => {
                b.remove(at);
            }
            1 => b.insert(at, BYTES[r.below(BYTES.len())]),
            2 if at < b.len() => b[at] = BYTES[r.below(BYTES.len())],
            3 => b.truncate(at),
            _ if at < b.len() => {
                let end = (at + r.below(8)).min(b.len());
                let piece = b[at..end].to_vec();
                let to = r.below(b.len() + 1);
                b.splice(to..to, piece);
            }
            _ => {}
        }
    }
}

#[test]
fn scanner_agrees_with_serde_json_on_generated_and_mutated_inputs() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut objects, mut deep) = (0, 0, 0);
    let mut out = Vec::new();
    for n in 0..150_000 {
        out.clear();
        if n % 2 == 0 {
            // An object on top, as the module's payloads are.
            out.extend_from_slice(b"{\"id\":");
            gen_value(&mut r, &mut out, 1);
            out.extend_from_slice(r.pick(&[b",\"code\":200}", b"}", b",\"id\":1,\"code\":[]}"]));
        } else if n % 10 == 5 {
            // Nested around the limit.
            let levels = MAX_DEPTH - 3 + r.below(6);
            let mut closes = Vec::new();
            for _ in 0..levels {
                if r.below(2) == 0 {
                    out.extend_from_slice(b"{\"id\":");
                    closes.push(b'}');
                } else {
                    out.push(b'[');
                    closes.push(b']');
                }
            }
            gen_value(&mut r, &mut out, MAX_DEPTH + 3);
            closes.reverse();
            out.extend_from_slice(&closes);
        } else {
            gen_value(&mut r, &mut out, 0);
        }
        if n % 3 == 0 {
            mutate(&mut r, &mut out);
        }
        check(&out);
        accepted += usize::from(reference_accepts(&out));
        objects += usize::from(scan(&out).is_ok());
        deep += usize::from(scan(&out) == Err(Error::TooDeep));
    }
    println!("150000 inputs: {accepted} valid JSON, {objects} objects, {deep} too deep");
    // The generator must exercise every outcome.
    assert!(
        accepted > 20_000 && objects > 10_000 && deep > 100,
        "{accepted} {objects} {deep}"
    );
}

#[test]
fn scanner_agrees_with_serde_json_on_short_byte_strings() {
    // Every string of up to three bytes over the bytes that matter to JSON.
    let alphabet = b"{}[],:\"\\ 0-1.eEtfnu\x00\x80\xc3\xa9";
    check(b"");
    for &a in alphabet {
        check(&[a]);
        for &b in alphabet {
            check(&[a, b]);
            for &c in alphabet {
                check(&[a, b, c]);
                check(&[b'[', a, b, c, b']']);
                check(&[b'{', b'"', a, b, c, b'"', b':', b'1', b'}']);
            }
        }
    }
}
