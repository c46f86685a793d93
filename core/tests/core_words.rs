//! The word-at-a-time byte tests of `dev_bind_core::words` against their one-byte meaning:
//! every byte value at every lane finds what it should, and no word of bytes that all fail a
//! test is taken for one that holds a passing byte (no borrow or carry between lanes fools it).

use dev_bind_core::words::{at_least, below, clean_prefix, equal, found_in_words, HIGH, W};

/// A test's name, the test, and its meaning for one byte.
type Case = (String, Box<dyn Fn(usize) -> usize>, Box<dyn Fn(u8) -> bool>);

/// The word of the bytes `b` (W of them).
fn word(b: &[u8]) -> usize {
    usize::from_ne_bytes(b.try_into().unwrap())
}

/// Each test, by its one-byte meaning, for the thresholds and bytes the scanners use.
fn cases() -> Vec<Case> {
    let mut v: Vec<Case> = Vec::new();
    for k in [1u8, 0x20, 0x41, 0x7F, 0x80] {
        v.push((
            format!("below {k:#x}"),
            Box::new(move |x| below(x, k)),
            Box::new(move |c| c < k),
        ));
        v.push((
            format!("at_least {k:#x}"),
            Box::new(move |x| at_least(x, k)),
            Box::new(move |c| c >= k),
        ));
    }
    for c in [0u8, b'"', b'\\', 0x7F, 0x80, 0xFF] {
        v.push((
            format!("equal {c:#x}"),
            Box::new(move |x| equal(x, c)),
            Box::new(move |b| b == c),
        ));
    }
    v
}

#[test]
fn each_test_finds_every_byte_value_in_every_lane() {
    for (name, test, byte) in cases() {
        // A background byte that the test does not find.
        let calm = (0..=255u8).find(|&c| !byte(c)).unwrap();
        for c in 0..=255u8 {
            for lane in 0..W {
                let mut b = vec![calm; W];
                b[lane] = c;
                assert_eq!(
                    test(word(&b)) & HIGH != 0,
                    byte(c),
                    "{name}: {c:#x} in lane {lane}"
                );
            }
        }
    }
}

#[test]
fn no_word_of_calm_bytes_is_found() {
    for (name, test, byte) in cases() {
        let calm: Vec<u8> = (0..=255u8).filter(|&c| !byte(c)).collect();
        // Every pair of calm bytes side by side, in every lane position.
        for &a in &calm {
            for &b in &calm {
                let w: Vec<u8> = (0..W).map(|i| if i % 3 == 0 { a } else { b }).collect();
                assert_eq!(test(word(&w)) & HIGH, 0, "{name}: {a:#x} {b:#x}");
                let w: Vec<u8> = (0..W).map(|i| if i % 2 == 0 { b } else { a }).collect();
                assert_eq!(test(word(&w)) & HIGH, 0, "{name}: {b:#x} {a:#x}");
            }
        }
    }
}

#[test]
fn clean_prefix_stops_at_the_word_of_the_first_found_byte() {
    for len in 0..(4 * W) {
        for at in 0..=len {
            let mut b = vec![b'a'; len];
            if at < len {
                b[at] = b'"';
            }
            let n = clean_prefix(&b, |x| equal(x, b'"'));
            // Whole words before the one that holds the quote (or before the last bytes).
            let want = if at < len { at / W * W } else { len / W * W };
            assert_eq!(n, want, "quote at {at} of {len}");
        }
    }
}

#[test]
fn found_in_words_looks_at_every_whole_word_and_hands_back_the_rest() {
    for len in 0..(4 * W) {
        let words = len / W * W;
        for at in 0..=len {
            let mut b = vec![b'a'; len];
            if at < len {
                b[at] = b'\\';
            }
            let (found, tail) = found_in_words(&b, |x| equal(x, b'\\'));
            assert_eq!(found, at < words, "backslash at {at} of {len}");
            assert_eq!(tail, &b[words..], "backslash at {at} of {len}");
        }
    }
}

/// `ascii_upper` is exact in every lane: each byte value at every lane, beside neighbours
/// that make a carry or borrow between lanes most likely (0x7F, 0x80, 0xFF, `z`, `a`, `` ` ``,
/// `{`), is upper-cased as `u8::to_ascii_uppercase` does, and its neighbours with it.
#[test]
fn ascii_upper_is_exact_in_every_lane() {
    use dev_bind_core::words::{ascii_upper, make_ascii_uppercase};
    for fill in [0x00u8, 0x60, 0x61, 0x7A, 0x7B, 0x7F, 0x80, 0xE1, 0xFF] {
        for lane in 0..W {
            for c in 0..=255u8 {
                let mut b = [fill; W];
                b[lane] = c;
                let want = b.map(|x| x.to_ascii_uppercase());
                assert_eq!(
                    ascii_upper(word(&b)),
                    word(&want),
                    "lane {lane}, byte {c:#x}, beside {fill:#x}"
                );
            }
        }
    }
    for len in 0..4 * W {
        let text: Vec<u8> = (0..len).map(|i| b"a:zA{`0\xe1"[i % 8]).collect();
        let mut b = text.clone();
        make_ascii_uppercase(&mut b);
        assert_eq!(b, text.to_ascii_uppercase(), "{len} bytes");
    }
}
