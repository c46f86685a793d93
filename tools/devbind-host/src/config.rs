//! The stand-in's configuration (identity, addresses, files) and the C API a device program
//! uses to start and stop it: `devbind_host_init`, `devbind_host_connect`,
//! `devbind_host_shutdown` (declared in `c_examples/host/devbind_host.h`).

use std::ffi::{c_char, c_int, CStr};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, RwLock};

use crate::mqtt::{MqttClient, MqttOptions};

/// Identity and addresses of the simulated device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// MQTT broker, `HOST:PORT`.
    pub broker: Option<String>,
    /// Product key (at most 20 bytes).
    pub product_key: String,
    /// Device name (at most 32 bytes).
    pub device_name: String,
    /// MAC, `AA:BB:CC:DD:EE:FF` (17 bytes).
    pub mac: String,
    /// IPv4 dotted quad.
    pub ip: String,
    /// UDP address of the CoAP server.
    pub coap_bind: SocketAddr,
    /// Where every CoAP notify goes instead of the address the library asks for.
    pub notify_to: Option<SocketAddr>,
    /// KV store file.
    pub kv_path: String,
    /// MQTT keep-alive, seconds.
    pub keep_alive_s: u16,
    /// Log MQTT and CoAP traffic.
    pub traffic_log: bool,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            broker: None,
            product_key: "a1demoPK01".into(),
            device_name: "demo_device_01".into(),
            mac: "02:00:00:00:00:01".into(),
            ip: "127.0.0.1".into(),
            coap_bind: SocketAddr::from(([0, 0, 0, 0], 5683)),
            notify_to: None,
            kv_path: "./devbind-kv.txt".into(),
            keep_alive_s: 60,
            traffic_log: true,
        }
    }
}

static CONFIG: RwLock<Option<HostConfig>> = RwLock::new(None);
static MQTT: Mutex<Option<Arc<MqttClient>>> = Mutex::new(None);

/// The current configuration (defaults before `devbind_host_init`).
pub fn get() -> HostConfig {
    CONFIG
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default()
}

/// Replaces the configuration.
pub fn set(cfg: HostConfig) {
    *CONFIG.write().unwrap_or_else(|e| e.into_inner()) = Some(cfg);
}

/// The MQTT client started by `devbind_host_connect` (or [`set_mqtt`]).
pub fn mqtt() -> Option<Arc<MqttClient>> {
    MQTT.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Makes `client` the default client of the `IOT_MQTT_*` exports (handle NULL).
pub fn set_mqtt(client: Option<Arc<MqttClient>>) -> Option<Arc<MqttClient>> {
    std::mem::replace(&mut *MQTT.lock().unwrap_or_else(|e| e.into_inner()), client)
}

/// Resolves `HOST:PORT` to its first IPv4 address.
pub fn resolve_v4(text: &str) -> Option<SocketAddr> {
    text.to_socket_addrs().ok()?.find(SocketAddr::is_ipv4)
}

/// Checks a MAC written `AA:BB:CC:DD:EE:FF` (any case).
pub fn valid_mac(mac: &str) -> bool {
    mac.len() == 17
        && mac.split(':').count() == 6
        && mac
            .split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The C configuration, `devbind_host_config_t`. Every pointer may be NULL (the default).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct DevbindHostConfig {
    /// `HOST:PORT` of the MQTT broker.
    pub broker: *const c_char,
    /// Product key (default `a1demoPK01`).
    pub product_key: *const c_char,
    /// Device name (default `demo_device_01`).
    pub device_name: *const c_char,
    /// MAC (default `02:00:00:00:00:01`).
    pub mac: *const c_char,
    /// IPv4 (default `127.0.0.1`).
    pub ip: *const c_char,
    /// CoAP server address (default `0.0.0.0:5683`).
    pub coap_bind: *const c_char,
    /// Notify destination override (default: none).
    pub notify_to: *const c_char,
    /// KV file (default `./devbind-kv.txt`).
    pub kv_path: *const c_char,
    /// MQTT keep-alive seconds (0: 60).
    pub keep_alive_s: u16,
    /// Non-zero: log MQTT and CoAP traffic lines (`host: ...`).
    pub traffic_log: c_int,
}

/// # Safety
/// `p` must be NULL or a NUL-terminated string.
unsafe fn opt_str(p: *const c_char) -> Result<Option<String>, String> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller guarantees a NUL-terminated string.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map(|s| Some(s.to_string()))
        .map_err(|_| "not UTF-8".to_string())
}

impl DevbindHostConfig {
    /// Turns the C struct into a checked [`HostConfig`].
    ///
    /// # Safety
    /// Every pointer field must be NULL or a NUL-terminated string.
    pub unsafe fn to_config(&self) -> Result<HostConfig, String> {
        let mut cfg = HostConfig::default();
        // SAFETY (each opt_str call below): the caller guarantees every field is NULL or a
        // NUL-terminated string.
        let field = |name: &str, p: *const c_char| -> Result<Option<String>, String> {
            // SAFETY: see above.
            unsafe { opt_str(p) }.map_err(|e| format!("{name}: {e}"))
        };
        if let Some(b) = field("broker", self.broker)? {
            resolve_v4(&b).ok_or(format!("broker `{b}`: not HOST:PORT"))?;
            cfg.broker = Some(b);
        }
        if let Some(pk) = field("product key", self.product_key)? {
            if pk.is_empty() || pk.len() > 20 {
                return Err(format!("product key `{pk}`: 1..20 bytes"));
            }
            cfg.product_key = pk;
        }
        if let Some(dn) = field("device name", self.device_name)? {
            if dn.is_empty() || dn.len() > 32 {
                return Err(format!("device name `{dn}`: 1..32 bytes"));
            }
            cfg.device_name = dn;
        }
        if let Some(mac) = field("mac", self.mac)? {
            if !valid_mac(&mac) {
                return Err(format!("mac `{mac}`: want AA:BB:CC:DD:EE:FF"));
            }
            cfg.mac = mac;
        }
        if let Some(ip) = field("ip", self.ip)? {
            ip.parse::<std::net::Ipv4Addr>()
                .map_err(|_| format!("ip `{ip}`: want A.B.C.D"))?;
            cfg.ip = ip;
        }
        if let Some(c) = field("coap bind", self.coap_bind)? {
            cfg.coap_bind = resolve_v4(&c).ok_or(format!("coap bind `{c}`: not HOST:PORT"))?;
        }
        if let Some(n) = field("notify to", self.notify_to)? {
            cfg.notify_to = Some(resolve_v4(&n).ok_or(format!("notify to `{n}`: not HOST:PORT"))?);
        }
        if let Some(k) = field("kv path", self.kv_path)? {
            cfg.kv_path = k;
        }
        if self.keep_alive_s != 0 {
            cfg.keep_alive_s = self.keep_alive_s;
        }
        cfg.traffic_log = self.traffic_log != 0;
        Ok(cfg)
    }
}

/// `int devbind_host_init(const devbind_host_config_t *cfg)`: checks and stores the
/// configuration, starts the clock, opens the KV file. NULL keeps every default.
///
/// # Safety
/// `cfg` must be NULL or point to a valid `devbind_host_config_t` whose strings are
/// NUL-terminated.
///
/// # Returns
/// 0, or -1 (with a log line) for a bad field or an unreadable KV file.
#[no_mangle]
pub unsafe extern "C" fn devbind_host_init(cfg: *const DevbindHostConfig) -> c_int {
    crate::log::start_clock();
    // SAFETY: the caller guarantees `cfg` is NULL or valid.
    let parsed = match unsafe { cfg.as_ref() } {
        // SAFETY: the caller guarantees the strings are NUL-terminated.
        Some(c) => unsafe { c.to_config() },
        None => Ok(HostConfig::default()),
    };
    let cfg = match parsed {
        Ok(c) => c,
        Err(e) => {
            crate::hlog!("init: {e}");
            return -1;
        }
    };
    if let Err(e) = crate::hal::open_kv(&cfg.kv_path) {
        crate::hlog!("init: KV file {}: {e}", cfg.kv_path);
        return -1;
    }
    crate::hlog!(
        "init: pk={} dn={} mac={} ip={} coap={} notify-to={} kv={}",
        cfg.product_key,
        cfg.device_name,
        cfg.mac,
        cfg.ip,
        cfg.coap_bind,
        cfg.notify_to
            .map_or_else(|| "(as asked)".to_string(), |a| a.to_string()),
        cfg.kv_path
    );
    // The client exists from now on, so subscriptions made before the connection (a factory
    // reset reported at boot) are recorded and sent with the first CONNECT.
    if let Some(broker) = cfg.broker.clone() {
        let client = MqttClient::new(MqttOptions {
            broker,
            client_id: format!("{}.{}", cfg.product_key, cfg.device_name),
            keep_alive_s: cfg.keep_alive_s,
            log_traffic: cfg.traffic_log,
        });
        if let Some(old) = set_mqtt(Some(client)) {
            old.shutdown();
        }
    }
    set(cfg);
    0
}

/// `int devbind_host_connect(void (*on_connected)(void))`: starts the MQTT client thread. It
/// connects to the configured broker (clean session, client id `<pk>.<dn>`), retries with a
/// growing delay while the broker is unreachable, and after each CONNACK re-subscribes what was
/// subscribed and calls `on_connected` on the MQTT thread.
///
/// # Safety
/// `on_connected` must be NULL or safe to call from another thread.
///
/// # Returns
/// 0, or -1 if no broker is configured or a client already runs.
#[no_mangle]
pub unsafe extern "C" fn devbind_host_connect(on_connected: Option<extern "C" fn()>) -> c_int {
    let Some(client) = mqtt() else {
        crate::hlog!("connect: no broker configured (devbind_host_init with a broker first)");
        return -1;
    };
    if client.is_started() {
        crate::hlog!("connect: already started");
        return -1;
    }
    client.start(Box::new(move || {
        if let Some(cb) = on_connected {
            cb();
        }
    }));
    0
}

/// `void devbind_host_shutdown(void)`: disconnects MQTT, closes every CoAP server, stops the
/// timer thread and prints the `HAL_Malloc` / `HAL_Free` counts.
#[no_mangle]
pub extern "C" fn devbind_host_shutdown() {
    if let Some(client) = set_mqtt(None) {
        client.shutdown();
    }
    crate::coap::shutdown_all();
    crate::timer::global().shutdown();
    let (m, f) = crate::hal::malloc_counts();
    crate::hlog!("shutdown: HAL_Malloc calls: {m}, HAL_Free calls: {f}");
}
