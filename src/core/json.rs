//! A small validating JSON scanner for the few tiny payloads the module reads (match_reply,
//! reset_reply, notify acks, phone queries). INTERFACE STUB: bodies to be written.
#![allow(unused_variables, missing_docs)]

/// A JSON value found at the top level of an object: its kind and raw text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string; the content between the quotes, escapes as received.
    Str(&'a [u8]),
    /// A number, as written.
    Num(&'a [u8]),
    /// `true`, `false`, `null`, an object or an array, as written.
    Other(&'a [u8]),
}

/// Why a payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not valid JSON (with the byte offset of the problem).
    Invalid(usize),
    /// Valid JSON, but not an object.
    NotObject,
    /// Nested deeper than the scanner allows.
    TooDeep,
    /// The `id` is longer than [`crate::core::MAX_ID_LEN`] bytes.
    IdTooLong,
    /// No payload at all.
    Empty,
}

/// The members the module cares about, from the top level of an object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Top<'a> {
    pub id: Option<Value<'a>>,
    pub code: Option<Value<'a>>,
}

/// Validate `payload` as one JSON object (surrounding white space allowed) and pick its
/// top-level `id` and `code` (the first of each, when repeated).
pub fn scan(payload: &[u8]) -> Result<Top<'_>, Error> { unimplemented!() }

impl<'a> Value<'a> {
    /// The value as an unsigned integer: a JSON number or a string of digits, no sign, no
    /// fraction, fitting in u32.
    pub fn as_u32(&self) -> Option<u32> { unimplemented!() }
}

/// The `id` of a phone's query, ready to echo (SPEC section 6, "Answering queries"):
/// `Err` when the payload is missing, not a JSON object, or its `id` is too long.
pub fn id_echo(payload: Option<&[u8]>) -> Result<crate::core::IdEcho, Error> { unimplemented!() }
