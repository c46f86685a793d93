//! ChaCha20 token generator: RFC 8439 vector, keystream wiring, rekeying, uniformity.

mod common_core;
use common_core::*;
use dev_bind_core::rng::{block, ChaCha20};
use rand_core::RngCore;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rfc8439_2_3_2_block_test_vector() {
    let mut key = [0u8; 32];
    for (i, k) in key.iter_mut().enumerate() {
        *k = i as u8;
    }
    let nonce = [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0];
    let expected = unhex(
        "10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4
         c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
         d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2
         b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e",
    );
    assert_eq!(block(&key, 1, &nonce).to_vec(), expected);
}

#[test]
fn generator_is_the_zero_nonce_keystream_from_counter_0() {
    let seed = [0x42u8; 32];
    let mut g = ChaCha20::new(seed);
    let mut out = [0u8; 100];
    g.fill_bytes(&mut out);
    // 64 bytes of block 0, then the first 36 bytes of block 1.
    assert_eq!(out[..64], block(&seed, 0, &[0; 12])[..]);
    assert_eq!(out[64..], block(&seed, 1, &[0; 12])[..36]);
    assert_eq!(g.counter(), 2);
    // A token takes the next 16 bytes of the stream: no keystream is handed out twice, and
    // one block serves several tokens.
    let mut t = [0u8; 16];
    g.fill_bytes(&mut t);
    assert_eq!(t[..], block(&seed, 1, &[0; 12])[36..52]);
    assert_eq!(g.counter(), 2);
    let mut rest = [0u8; 12 + 16];
    g.fill_bytes(&mut rest);
    assert_eq!(rest[..12], block(&seed, 1, &[0; 12])[52..]);
    assert_eq!(rest[12..], block(&seed, 2, &[0; 12])[..16]);
    assert_eq!(g.counter(), 3);
}

#[test]
fn four_tokens_share_one_block() {
    let seed = [7u8; 32];
    let mut g = ChaCha20::new(seed);
    let b0 = block(&seed, 0, &[0; 12]);
    for k in 0..4 {
        let mut t = [0u8; 16];
        g.fill_bytes(&mut t);
        assert_eq!(t[..], b0[16 * k..16 * (k + 1)], "token {k}");
        assert_eq!(g.counter(), 1);
    }
    let mut t = [0u8; 16];
    g.fill_bytes(&mut t);
    assert_eq!(t[..], block(&seed, 1, &[0; 12])[..16]);
}

#[test]
fn machine_tokens_come_from_the_seeded_stream() {
    let mut s = Sim::new();
    s.connect();
    let (_, token) = last_report(&s.take());
    assert_eq!(token[..], block(&SEED, 0, &[0; 12])[..16]);
    // Reseeding changes the stream.
    s.m.seed([9; 32]);
    let now = s.now;
    s.m.update_token(now, &mut s.rec);
    let (_, token2) = last_report(&s.take());
    assert_eq!(token2[..], block(&[9; 32], 0, &[0; 12])[..16]);
}

#[test]
fn rekeys_from_the_stream_when_the_counter_would_wrap() {
    let seed = [3u8; 32];
    let mut g = ChaCha20::with_counter(seed, u32::MAX - 1);
    let mut a = [0u8; 64];
    g.fill_bytes(&mut a);
    assert_eq!(a, block(&seed, u32::MAX - 1, &[0; 12]));
    assert_eq!(g.counter(), u32::MAX);
    let mut b = [0u8; 64];
    g.fill_bytes(&mut b);
    let last = block(&seed, u32::MAX, &[0; 12]);
    let new_key: [u8; 32] = last[..32].try_into().unwrap();
    assert_eq!(b, block(&new_key, 0, &[0; 12]));
    assert_eq!(g.counter(), 1);
    // Block 0 of the old key is never repeated.
    assert_ne!(b, block(&seed, 0, &[0; 12]));
}

#[test]
fn const_constructible() {
    static G: ChaCha20 = ChaCha20::new([1; 32]);
    assert_eq!(G.counter(), 0);
}

#[test]
fn tokens_are_uniform_over_all_byte_values() {
    let mut m = M::new();
    m.seed([0x5a; 32]);
    let tokens = 20_000;
    let mut hist = [0u64; 256];
    let mut seen = std::collections::HashSet::new();
    for _ in 0..tokens {
        let mut t = [0u8; 16];
        m.fill_random(&mut t);
        assert!(seen.insert(t), "a token repeated");
        for b in t {
            hist[b as usize] += 1;
        }
    }
    assert!(hist.iter().all(|&h| h > 0), "a byte value never appears");
    assert!(
        hist[0xff] > 0,
        "0xFF must appear (the C generator never makes it)"
    );
    let n = (tokens * 16) as f64;
    let e = n / 256.0;
    let chi2: f64 = hist.iter().map(|&h| (h as f64 - e).powi(2) / e).sum();
    // 255 degrees of freedom: mean 255, sd ~22.6; a loose bound that a biased generator fails.
    assert!(chi2 < 400.0, "chi-square {chi2}");
    // A generator that never yields 0xFF (the C one) would fail it:
    let mut biased = hist;
    biased[0xfe] += biased[0xff];
    biased[0xff] = 0;
    let chi2b: f64 = biased.iter().map(|&h| (h as f64 - e).powi(2) / e).sum();
    assert!(chi2b > 400.0);
}
