//! ChaCha20 (RFC 8439 block function) as a `rand_core` generator for tokens.
//! INTERFACE STUB: bodies to be written.
#![allow(unused_variables, missing_docs)]

/// A ChaCha20 keystream generator; `const`-constructible so the state can live in a static.
pub struct ChaCha20 {
    _todo: (),
}

impl ChaCha20 {
    pub const fn new(seed: [u8; 32]) -> Self { unimplemented!() }
}
