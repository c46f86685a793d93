//! The bind flow's exports: the public API of `dev_bind_api.h`, the other entry points the C
//! module defines for the SDK and firmware, and the new configuration API.
//!
//! Conventions (see also `include/iot_dev_bind.h`): every pointer may be NULL (a NULL where data
//! is needed returns the C error value, `-1` unless stated); every function may be called from
//! any thread; no function blocks except on the module lock, which is never held while calling
//! MQTT, CoAP or timer functions.

use core::ffi::{c_int, c_void};

use super::exec;
use super::imports::Hal;
use super::log;
use super::shell::{self, Event};
use super::types::{dev_bind_config_t, CoapMessage, NetworkAddr};
use dev_bind_core::render::{self, Payload};
use dev_bind_core::{Config, Level, Msg};

use super::exec::reset_flag;

/// The calls that read or change the module's state under the lock without queueing an
/// action, dispatched by [`with_lock`].
#[derive(Clone, Copy, PartialEq, Eq)]
// The connect-AP ops are the provisioning core's in a `wifi-provision` build.
#[cfg_attr(feature = "wifi-provision", allow(dead_code))]
pub(super) enum Op {
    /// The token's remaining lifetime in ms.
    Remain,
    /// `1` unless the token expired or was never reported.
    Fresh,
    /// Fill `out` from the token generator.
    Random,
    /// Zero the bind statistics.
    ClearStats,
    /// `awss_bind_update_statis(arg)`.
    UpdateStats,
    /// Log the bind statistics.
    ShowStats,
    /// Open the connect-AP info window; `1`.
    ConnectapStart,
    /// Close it.
    ConnectapStop,
    /// `1` while the window is open.
    ConnectapOpen,
}

/// [`with_lock`] for the ops without argument.
pub(super) fn lock_op(op: Op) -> u32 {
    with_lock(op, 0, &mut [])
}

/// Run `op` under the lock (`arg` and `out` as the op says). Returns the op's value (`0` for
/// the ops without one), `0` when the module mutex cannot be created.
pub(super) fn with_lock(op: Op, arg: c_int, out: &mut [u8]) -> u32 {
    let value = shell::read_mut(|m, now| match op {
        Op::Remain => m.token_remain_ms(now),
        Op::Fresh => u32::from(!m.token_timed_out(now)),
        Op::Random => {
            m.fill_random(out);
            0
        }
        Op::ClearStats => {
            m.clear_stats();
            0
        }
        Op::UpdateStats => {
            m.update_stats(now, arg);
            0
        }
        Op::ShowStats => {
            let st = m.stats();
            let nums = [
                u64::from(st.max_ms),
                u64::from(st.min_ms),
                u64::from(st.mean_ms),
                u64::from(st.cnt),
                u64::from(st.suc),
            ];
            let mut buf = [0u8; 96];
            let _ = exec::render_logged(
                &mut buf,
                Payload::SyncToken,
                &nums,
                &[0; 16],
                &render::NOBODY,
                &render::NO_ID,
            );
            0
        }
        Op::ConnectapStart => {
            m.connectap_start(now);
            1
        }
        Op::ConnectapStop => {
            m.connectap_stop();
            0
        }
        Op::ConnectapOpen => u32::from(m.connectap_open(now)),
    });
    value.unwrap_or(0)
}

/// Called by the SDK when MQTT has connected: subscribe to the reply topics, then report a
/// pending reset first or start binding (flow A/B; flow C when `aes_random` holds a token
/// written by provisioning or one was given to `dev_bind_set_token`). A second call while a
/// session runs (MQTT reconnected) starts no new session: it subscribes again a reply topic
/// the session lost, starts again a CoAP server that failed, and reports at once a token whose
/// report could not go out or went unanswered. A failed read of the reset flag is an error
/// line: binding starts and the flag is read again (see `docs/RELIABILITY.md`).
///
/// # Safety
/// Always safe to call; `unsafe` only because it is part of the C ABI.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_report_cloud() -> c_int {
    // Provisioning: the switch-AP request and the registrar topics subscribed, the registrar
    // initialised, as the C module's `awss_cmp_online_init` and `awss_start_bind` do.
    #[cfg(feature = "wifi-provision")]
    let _ = super::provision::run(super::provision::Event::Connect);
    shell::run(Event::Connect {
        reset: reset_flag(&Hal),
    })
}

/// Start binding now (idempotent within a session): report a token, register the query
/// resources, arm the notify round.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_start_bind() -> c_int {
    #[cfg(feature = "wifi-provision")]
    let _ = super::provision::run(super::provision::Event::StartBind);
    shell::run(Event::StartBind)
}

/// Stop every retry and the notify round, unsubscribe, deinit the CoAP server, drop pending
/// queries, forget the token and the statistics. `awss_report_cloud()` starts afresh after it.
/// The timer is stopped by the re-arming that follows (no deadline is left).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_bind_deinit() -> c_int {
    // Provisioning: both notify rounds end and a switch not yet connecting is cancelled.
    #[cfg(feature = "wifi-provision")]
    let _ = super::provision::run(super::provision::Event::Deinit);
    shell::run(Event::Deinit)
}

/// Whether the persisted reset flag (`HAL_Kv_Get("awss.rst")`, one byte `0x01`) is set.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `1` if set, else `0` (also when the KV read fails, after an info line: a key never written
/// reads as a failure too).
#[no_mangle]
pub unsafe extern "C" fn awss_check_reset() -> c_int {
    let set = reset_flag(&Hal).unwrap_or_else(|code| {
        log::num(Level::Info, Msg::KvGetRes, i64::from(code));
        false
    });
    c_int::from(set)
}

/// Persist the reset flag and report the reset to the cloud, retrying (3 s doubling to 60 s)
/// until acknowledged.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The first reset publish's result (`>= 0` success), `0` if none was made, `-1` when the
/// module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_report_reset() -> c_int {
    shell::run(Event::ReportReset)
}

/// Report the reset now (the flag is assumed persisted), retrying until acknowledged.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// As [`awss_report_reset`].
#[no_mangle]
pub unsafe extern "C" fn awss_report_reset_to_cloud() -> c_int {
    shell::run(Event::ReportResetNow)
}

/// Stop retrying the reset report; the persisted flag stays.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_stop_report_reset() -> c_int {
    shell::run(Event::StopReportReset)
}

/// Report the current token now (a fresh one if none), restarting its attempts.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The first report publish's result (`>= 0` success), `0` if none was made, `-1` when the
/// module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_report_token() -> c_int {
    shell::run(Event::ReportToken)
}

/// Stop report retries and forget the token (`aes_random` becomes all zero).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_stop_report_token() -> c_int {
    shell::run(Event::StopReportToken)
}

/// Make a fresh token and report it now (logs `update token`).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_update_token() -> c_int {
    shell::run(Event::UpdateToken)
}

/// Milliseconds the current token stays valid.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// The remaining lifetime in ms, `0` if the token is not acknowledged or expired (or the module
/// mutex cannot be created).
#[no_mangle]
pub unsafe extern "C" fn awss_token_remain_time() -> c_int {
    c_int::try_from(lock_op(Op::Remain)).unwrap_or(c_int::MAX)
}

/// Whether the current token expired or was never reported.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `1` if expired or never reported (or the module mutex cannot be created), else `0`.
#[no_mangle]
pub unsafe extern "C" fn awss_token_timeout() -> c_int {
    1 ^ lock_op(Op::Fresh) as c_int
}

/// Start (or restart) a notify round of the configured number of broadcasts.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_dev_bind_notify() -> c_int {
    shell::run(Event::NotifyStart(None))
}

/// Stop the notify round and cancel its last CoAP message.
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0`, or `-1` when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_dev_bind_notify_stop() -> c_int {
    shell::run(Event::NotifyStop)
}

/// Notify type 1 (`AWSS_NOTIFY_DEV_BIND_TOKEN`): start a round of `count` broadcasts (clamped
/// to 1..=255). Unlike the C module it returns at once (the C module sleeps between sends).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// `0` for type 1; `-1` for any other type (logged) or when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn awss_notify_dev_info(r#type: c_int, count: c_int) -> c_int {
    if r#type != 1 {
        log::num(Level::Warn, Msg::NotifyDevInfoType, i64::from(r#type));
        return -1;
    }
    let count = u8::try_from(count.clamp(1, 255)).unwrap_or(u8::MAX);
    shell::run(Event::NotifyStart(Some(count)))
}

/// The CoAP handler of `/sys/device/info/get`: the request is copied at once; the answer goes
/// out now or when the cloud acknowledges a token.
///
/// # Safety
/// `remote` must be NULL or a valid `NetworkAddr *`; `request` NULL or a valid `CoAPMessage *`
/// (with `payloadlen` readable bytes at `payload` and valid option pointers) for the call.
/// `ctx` and `resource` are unused.
///
/// # Returns
/// `0` when the query was handed to the module, `-1` on NULL or when the module mutex cannot be
/// created.
#[no_mangle]
pub unsafe extern "C" fn online_mcast_get_device_info(
    ctx: *mut c_void,
    resource: *mut c_void,
    remote: *mut c_void,
    request: *mut c_void,
) -> c_int {
    let _ = (ctx, resource);
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        shell::on_query(
            remote.cast::<NetworkAddr>(),
            request.cast::<CoapMessage>(),
            true,
        )
    }
}

/// The CoAP handler of `/sys/${pk}/${dn}/device/info/get`; as [`online_mcast_get_device_info`].
///
/// # Safety
/// As [`online_mcast_get_device_info`].
///
/// # Returns
/// As [`online_mcast_get_device_info`].
#[no_mangle]
pub unsafe extern "C" fn online_ucast_get_device_info(
    ctx: *mut c_void,
    resource: *mut c_void,
    remote: *mut c_void,
    request: *mut c_void,
) -> c_int {
    let _ = (ctx, resource);
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        shell::on_query(
            remote.cast::<NetworkAddr>(),
            request.cast::<CoapMessage>(),
            false,
        )
    }
}

/// `iotx_event_post(event)`, then the `ITE_AWSS_STATUS` callback if one is registered.
///
/// # Safety
/// Always safe to call (the registered callback must be an `int (*)(int)`).
///
/// # Returns
/// The callback's result if one ran, else `iotx_event_post`'s.
#[no_mangle]
pub unsafe extern "C" fn awss_event_post(event: c_int) -> c_int {
    super::imports::post_event(event)
}

/// Fill `random` with `len` bytes from the module's ChaCha20 generator (seeded from HAL
/// entropy).
///
/// # Safety
/// `random` must be NULL or writable for `len` bytes.
///
/// # Returns
/// Nothing; NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn produce_random(random: *mut u8, len: u32) {
    if random.is_null() || len == 0 {
        return;
    }
    let Ok(len) = usize::try_from(len) else {
        return;
    };
    // SAFETY: non-NULL and writable for `len` bytes, per the caller.
    let out = unsafe { core::slice::from_raw_parts_mut(random, len) };
    with_lock(Op::Random, 0, out);
}

/// Set the run-time tunables (see `dev_bind_config_t`); applies to deadlines scheduled after
/// the call.
///
/// # Safety
/// `cfg` must be NULL or point to a readable `dev_bind_config_t`.
///
/// # Returns
/// `0`, or `-1` on NULL, on a zero field (nothing changes), or when the module mutex cannot be
/// created.
#[no_mangle]
pub unsafe extern "C" fn dev_bind_set_config(cfg: *const dev_bind_config_t) -> c_int {
    // SAFETY: NULL or readable, per the caller.
    let Some(cfg) = (unsafe { cfg.as_ref() }) else {
        return -1;
    };
    let cfg = Config::from(*cfg);
    if !cfg.is_valid() {
        return -1;
    }
    shell::run(Event::SetConfig(cfg))
}

/// Read the run-time tunables.
///
/// # Safety
/// `out` must be NULL or point to a writable `dev_bind_config_t`.
///
/// # Returns
/// Nothing; NULL is ignored. The defaults are written when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn dev_bind_get_config(out: *mut dev_bind_config_t) {
    // SAFETY: NULL or writable, per the caller.
    let Some(out) = (unsafe { out.as_mut() }) else {
        return;
    };
    let cfg = shell::read(|m, _| m.config()).unwrap_or(Config::DEFAULT);
    *out = dev_bind_config_t::from(cfg);
}

/// Hand the module a token made by the phone during provisioning (flow C): reported at the
/// next bind start, or now when a session runs.
///
/// # Safety
/// `token` must be NULL or point to 16 readable bytes.
///
/// # Returns
/// `0`, or `-1` on NULL, on an all-zero token, or when the module mutex cannot be created.
#[no_mangle]
pub unsafe extern "C" fn dev_bind_set_token(token: *const u8) -> c_int {
    // SAFETY: NULL or 16 readable bytes, per the caller.
    let Some(token) = (unsafe { token.cast::<[u8; 16]>().as_ref() }) else {
        return -1;
    };
    let token = *token;
    if token == [0; 16] {
        return -1;
    }
    shell::run(Event::SetToken(token))
}

/// Set the log threshold: 2 error, 3 warning, 4 info, 5 debug; values outside are clamped.
/// Until it is called, the library follows the SDK's log level (`IOT_SetLogLevel`) when the
/// firmware links the SDK's log, else prints at 4 (info).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// Nothing.
#[no_mangle]
pub unsafe extern "C" fn dev_bind_set_log_level(level: c_int) {
    log::set_level(level);
}

/// The log threshold in effect: the one set by `dev_bind_set_log_level`, else the SDK's log
/// level (when linked), else 4 (info).
///
/// # Safety
/// Always safe to call.
///
/// # Returns
/// 2 (error) .. 5 (debug); 0 or 1 (no line printed) when the SDK's log level is
/// `IOT_LOG_NONE` or `IOT_LOG_CRIT`.
#[no_mangle]
pub unsafe extern "C" fn dev_bind_get_log_level() -> c_int {
    log::level()
}
