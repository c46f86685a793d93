//! The bind state machine. INTERFACE STUB: bodies to be written (see the module docs of
//! `crate::core` and SPEC sections 5-8). Signatures are the contract with `crate::ffi`.
#![allow(unused_variables, missing_docs)]

use super::{Config, Millis, QueryCtx, Sink, Stats, Token};
use core::marker::PhantomData;

/// The whole bind module's state. `P` is the number of phone queries that may wait at once.
pub struct Machine<Q, const P: usize> {
    _q: PhantomData<Q>,
}

impl<Q: QueryCtx, const P: usize> Machine<Q, P> {
    /// An idle machine with the default config (usable in a `static`).
    pub const fn new() -> Self { unimplemented!() }
    /// (Re)seed the token generator (ChaCha20) with 32 bytes of HAL entropy.
    pub fn seed(&mut self, seed: [u8; 32]) { unimplemented!() }
    /// Fill `out` with uniform random bytes from the token generator (`produce_random`).
    pub fn fill_random(&mut self, out: &mut [u8]) { unimplemented!() }

    pub fn config(&self) -> Config { unimplemented!() }
    /// `dev_bind_set_config`: `Err(())` (and no change) when a field is zero.
    pub fn set_config(&mut self, now: Millis, cfg: Config, sink: &mut impl Sink<Q>) -> Result<(), ()> { unimplemented!() }

    /// `awss_report_cloud()`: MQTT is connected. Subscribe the reply topics; if `reset_flag`
    /// (the persisted KV flag) report the reset first and start binding when it is acked; else
    /// start binding. `provisioned` is a non-zero token found in `aes_random` (flow C).
    /// A second call while a session runs starts nothing new.
    pub fn connect(&mut self, now: Millis, reset_flag: bool, provisioned: Option<Token>, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `awss_start_bind()`: start binding now (idempotent within a session).
    pub fn start_bind(&mut self, now: Millis, provisioned: Option<Token>, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `awss_bind_deinit()`: stop everything, unsubscribe, deinit CoAP, drop pending queries,
    /// forget the token and the statistics. The next `connect` starts afresh.
    pub fn deinit(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }

    /// `awss_report_token()`: report the current token now (a fresh one if none), restarting its attempts.
    pub fn report_token(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `awss_stop_report_token()`: stop report retries and forget the token (all zero).
    pub fn stop_report_token(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `awss_update_token()`: make a fresh token and report it now (logs `update token`).
    pub fn update_token(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `dev_bind_set_token()`: adopt a phone-made token (flow C): reported at the next bind
    /// start, or now when a session runs. `Err(())` for an all-zero token.
    pub fn set_token(&mut self, now: Millis, token: Token, sink: &mut impl Sink<Q>) -> Result<(), ()> { unimplemented!() }

    /// The current token (all zero when none).
    pub fn token(&self) -> Token { unimplemented!() }
    /// `awss_token_remain_time()`: ms left, 0 if the token is not acknowledged.
    pub fn token_remain_ms(&self, now: Millis) -> u32 { unimplemented!() }
    /// `awss_token_timeout()`: true if the token expired or was never reported.
    pub fn token_timed_out(&self, now: Millis) -> bool { unimplemented!() }
    /// Mirror of the C data symbol `awss_report_token_suc`.
    pub fn report_token_suc(&self) -> bool { unimplemented!() }
    /// Mirror of the C data symbol `awss_report_token_cnt` (report publishes of the current token).
    pub fn report_token_cnt(&self) -> u8 { unimplemented!() }

    /// `match_reply` payload from MQTT (any bytes).
    pub fn on_match_reply(&mut self, now: Millis, payload: &[u8], sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `reset_reply` payload from MQTT (any bytes).
    pub fn on_reset_reply(&mut self, now: Millis, payload: &[u8], sink: &mut impl Sink<Q>) { unimplemented!() }
    /// Response to a notify broadcast: `result` of the CoAP send callback (0 = a response
    /// arrived), the response's CoAP `code` byte and payload (None if absent).
    pub fn on_notify_ack(&mut self, now: Millis, result: i32, code: u8, payload: Option<&[u8]>, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// A phone's query on `/sys/device/info/get` (`mcast`) or the unicast path.
    pub fn on_query(&mut self, now: Millis, ctx: Q, mcast: bool, payload: Option<&[u8]>, sink: &mut impl Sink<Q>) { unimplemented!() }

    /// `awss_dev_bind_notify()` / `awss_notify_dev_info(1, count)`: start a notify round of
    /// `count` broadcasts (config's `notify_count` when None).
    pub fn notify_start(&mut self, now: Millis, count: Option<u8>, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `awss_dev_bind_notify_stop()`.
    pub fn notify_stop(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }

    /// `awss_report_reset()`: persist the flag and report the reset, retrying until acked.
    pub fn report_reset(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `awss_report_reset_to_cloud()`: report the reset now (flag already persisted).
    pub fn report_reset_now(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `awss_stop_report_reset()`: stop retrying; the flag stays.
    pub fn stop_report_reset(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }

    /// The timer fired (or any time): act on every deadline that is due at `now`.
    pub fn poll(&mut self, now: Millis, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// The earliest deadline, if any.
    pub fn poll_at(&self) -> Option<Millis> { unimplemented!() }

    /// Current statistics.
    pub fn stats(&self) -> Stats { unimplemented!() }
    /// `awss_bind_clear_statis()`.
    pub fn clear_stats(&mut self) { unimplemented!() }
    /// `awss_bind_report_statis()`: queue a statistics post if a token-sync count exists.
    pub fn report_stats(&mut self, sink: &mut impl Sink<Q>) { unimplemented!() }
    /// `awss_bind_update_statis(0 = start | 1 = success)` (legacy entry point).
    pub fn update_stats(&mut self, now: Millis, kind: i32) { unimplemented!() }
}
