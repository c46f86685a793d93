//! The imports a library built with `wifi-provision` needs beyond the bind module's own
//! (`imports-wifi-provision.txt`): a simulated Wi-Fi station, the reboot, and the provisioning
//! module's registrar and wifimgr handlers, which the stand-in does not have (logged no-ops
//! that return what the SDK's return when they have nothing to do).
//!
//! The station is on one AP (set with [`devbind_host_set_ap`]; by default [`DEFAULT_SSID`]).
//! `HAL_Awss_Connect_Ap` logs the SSID and BSSID it is asked for (never the password) and the
//! station is then on that AP. `HAL_Reboot` logs and exits the process with
//! [`REBOOT_EXIT_STATUS`], which tells a caller the reboot from any other end.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Mutex;

/// The exit status of the process after `HAL_Reboot` (`DEVBIND_HOST_REBOOT_EXIT` in
/// `devbind_host.h`): 0 is a normal end, 1 and 2 the device program's own failures.
pub const REBOOT_EXIT_STATUS: i32 = 3;

/// The AP the station is on when none was set.
pub const DEFAULT_SSID: &str = "demo-ap-1";
/// Its password.
pub const DEFAULT_PASSWD: &str = "demo-pass-1";
/// Its BSSID.
pub const DEFAULT_BSSID: [u8; 6] = [0x02, 0, 0, 0, 0x0a, 0x01];

/// `HAL_MAX_SSID_LEN`: the SSID buffers' size (32 bytes and the NUL).
const SSID_BUF: usize = 33;
/// `HAL_MAX_PASSWD_LEN`: the password buffers' size (64 bytes and the NUL).
const PASSWD_BUF: usize = 65;

/// The AP the simulated station is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ap {
    pub ssid: Vec<u8>,
    pub passwd: Vec<u8>,
    pub bssid: [u8; 6],
}

static STATION: Mutex<Option<Ap>> = Mutex::new(None);

/// The AP the station is on now.
pub fn current_ap() -> Ap {
    STATION
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| Ap {
            ssid: DEFAULT_SSID.into(),
            passwd: DEFAULT_PASSWD.into(),
            bssid: DEFAULT_BSSID,
        })
}

/// Puts the station on `ap`.
pub fn set_current_ap(ap: Ap) {
    *STATION.lock().unwrap_or_else(|e| e.into_inner()) = Some(ap);
}

/// `AA:BB:CC:DD:EE:FF` (either case) as 6 bytes.
pub fn parse_bssid(text: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = text.split(':');
    for b in &mut out {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

fn show_bssid(b: &[u8; 6]) -> String {
    let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    hex.join(":")
}

/// The bytes of a NUL-terminated C text of at most `cap` bytes (the NUL included), or `None`
/// for NULL or a text with no NUL within `cap`.
///
/// # Safety
/// `p` must be NULL or point to `cap` readable bytes.
unsafe fn c_text(p: *const c_char, cap: usize) -> Option<Vec<u8>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees `cap` readable bytes at `p`.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), cap) };
    let n = bytes.iter().position(|&b| b == 0)?;
    Some(bytes[..n].to_vec())
}

/// `int devbind_host_set_ap(const char *ssid, const char *passwd, const char *bssid)`: the AP
/// the simulated station is on (`HAL_Wifi_Get_Ap_Info` reports it). `passwd` NULL: none;
/// `bssid` NULL: 00:00:00:00:00:00.
///
/// # Safety
/// Each argument must be NULL or NUL-terminated.
///
/// # Returns
/// 0, or -1 (with a log line) for a NULL or empty SSID, an SSID over 32 bytes, a password over
/// 64 bytes or a BSSID that is not `AA:BB:CC:DD:EE:FF`.
#[no_mangle]
pub unsafe extern "C" fn devbind_host_set_ap(
    ssid: *const c_char,
    passwd: *const c_char,
    bssid: *const c_char,
) -> c_int {
    if ssid.is_null() {
        crate::hlog!("devbind_host_set_ap: NULL ssid");
        return -1;
    }
    // SAFETY: the caller guarantees NUL-terminated texts (or NULL, checked).
    let (ssid, passwd, bssid) = unsafe {
        (
            CStr::from_ptr(ssid).to_bytes().to_vec(),
            (!passwd.is_null()).then(|| CStr::from_ptr(passwd).to_bytes().to_vec()),
            (!bssid.is_null()).then(|| CStr::from_ptr(bssid).to_string_lossy().into_owned()),
        )
    };
    let passwd = passwd.unwrap_or_default();
    if ssid.is_empty() || ssid.len() >= SSID_BUF {
        crate::hlog!("devbind_host_set_ap: the ssid must have 1 to 32 bytes");
        return -1;
    }
    if passwd.len() >= PASSWD_BUF {
        crate::hlog!("devbind_host_set_ap: the passwd must have at most 64 bytes");
        return -1;
    }
    let bssid = match bssid {
        None => [0; 6],
        Some(text) => match parse_bssid(&text) {
            Some(b) => b,
            None => {
                crate::hlog!("devbind_host_set_ap: bssid `{text}` is not AA:BB:CC:DD:EE:FF");
                return -1;
            }
        },
    };
    set_current_ap(Ap {
        ssid,
        passwd,
        bssid,
    });
    0
}

/// `int HAL_Wifi_Get_Ap_Info(char ssid[HAL_MAX_SSID_LEN], char passwd[HAL_MAX_PASSWD_LEN],
/// uint8_t bssid[ETH_ALEN])`: the AP the station is on. Each pointer may be NULL (that part is
/// not written).
///
/// # Safety
/// `ssid` must be NULL or point to 33 writable bytes, `passwd` NULL or 65, `bssid` NULL or 6.
///
/// # Returns
/// 0.
#[no_mangle]
pub unsafe extern "C" fn HAL_Wifi_Get_Ap_Info(
    ssid: *mut c_char,
    passwd: *mut c_char,
    bssid: *mut u8,
) -> c_int {
    let ap = current_ap();
    crate::hlog!(
        "HAL_Wifi_Get_Ap_Info: on {} ({})",
        crate::log::printable(&ap.ssid, 32),
        show_bssid(&ap.bssid)
    );
    // SAFETY: the caller guarantees the sizes above; each text is at most its buffer's size
    // minus one (devbind_host_set_ap and HAL_Awss_Connect_Ap check it), the NUL after it.
    unsafe {
        if !ssid.is_null() {
            std::ptr::write_bytes(ssid, 0, SSID_BUF);
            std::ptr::copy_nonoverlapping(ap.ssid.as_ptr(), ssid.cast::<u8>(), ap.ssid.len());
        }
        if !passwd.is_null() {
            std::ptr::write_bytes(passwd, 0, PASSWD_BUF);
            let n = ap.passwd.len();
            std::ptr::copy_nonoverlapping(ap.passwd.as_ptr(), passwd.cast::<u8>(), n);
        }
        if !bssid.is_null() {
            std::ptr::copy_nonoverlapping(ap.bssid.as_ptr(), bssid, 6);
        }
    }
    0
}

/// `int HAL_Awss_Connect_Ap(uint32_t connection_timeout_ms, char ssid[HAL_MAX_SSID_LEN],
/// char passwd[HAL_MAX_PASSWD_LEN], enum AWSS_AUTH_TYPE auth, enum AWSS_ENC_TYPE encry,
/// uint8_t bssid[ETH_ALEN], uint8_t channel)`: the station joins the AP at once. Logs the SSID,
/// the BSSID, the password's length (never the password) and the other arguments.
///
/// # Safety
/// `ssid` must be NULL or point to 33 readable bytes, `passwd` NULL or 65, `bssid` NULL or 6.
///
/// # Returns
/// 0 (connected), or -1 (with a log line) for a NULL SSID or a text with no NUL in its buffer.
#[no_mangle]
pub unsafe extern "C" fn HAL_Awss_Connect_Ap(
    connection_timeout_ms: u32,
    ssid: *mut c_char,
    passwd: *mut c_char,
    auth: c_int,
    encry: c_int,
    bssid: *mut u8,
    channel: u8,
) -> c_int {
    // SAFETY: the caller guarantees 33 readable bytes (or NULL).
    let Some(ssid) = (unsafe { c_text(ssid, SSID_BUF) }) else {
        crate::hlog!("HAL_Awss_Connect_Ap: NULL or unterminated ssid: refused");
        return -1;
    };
    let passwd = if passwd.is_null() {
        Vec::new()
    } else {
        // SAFETY: the caller guarantees 65 readable bytes.
        let Some(p) = (unsafe { c_text(passwd, PASSWD_BUF) }) else {
            crate::hlog!("HAL_Awss_Connect_Ap: unterminated passwd: refused");
            return -1;
        };
        p
    };
    let mut b = [0u8; 6];
    if !bssid.is_null() {
        // SAFETY: the caller guarantees 6 readable bytes.
        unsafe { std::ptr::copy_nonoverlapping(bssid, b.as_mut_ptr(), 6) };
    }
    crate::hlog!(
        "HAL_Awss_Connect_Ap: connecting to {} (bssid {}, passwd {} bytes, auth {auth}, encry \
         {encry}, channel {channel}, timeout {connection_timeout_ms} ms): connected",
        crate::log::printable(&ssid, 32),
        show_bssid(&b),
        passwd.len()
    );
    set_current_ap(Ap {
        ssid,
        passwd,
        bssid: b,
    });
    0
}

/// `void HAL_Reboot(void)`: logs, then exits the process with [`REBOOT_EXIT_STATUS`] (the
/// Linux stand-in of a reboot; whoever started the device program starts it again if it
/// wants).
#[no_mangle]
pub extern "C" fn HAL_Reboot() {
    crate::hlog!(
        "HAL_Reboot: the firmware asked for a reboot; exiting with status {REBOOT_EXIT_STATUS}"
    );
    std::process::exit(REBOOT_EXIT_STATUS);
}

/// `void awss_registrar_init(void)`: the stand-in has no registrar (zero-config) module.
#[no_mangle]
pub extern "C" fn awss_registrar_init() {
    crate::hlog!("awss_registrar_init: no registrar in the stand-in, nothing to do");
}

/// `void awss_registrar_deinit(void)`.
#[no_mangle]
pub extern "C" fn awss_registrar_deinit() {
    crate::hlog!("awss_registrar_deinit: nothing to do");
}

/// `void awss_disp_statis(void)`: the stand-in keeps no provisioning statistics.
#[no_mangle]
pub extern "C" fn awss_disp_statis() {
    crate::hlog!("awss_disp_statis: no provisioning statistics in the stand-in");
}

/// `void awss_clear_statis(void)`.
#[no_mangle]
pub extern "C" fn awss_clear_statis() {
    crate::hlog!("awss_clear_statis: nothing to clear");
}

/// The registrar's MQTT handlers (`void (*)(void *pcontext, void *pclient, void *msg)`):
/// logged, the message ignored.
macro_rules! mqtt_no_op {
    ($($name:ident),*) => {$(
        #[doc = concat!("`void ", stringify!($name), "(void *pcontext, void *pclient, void *msg)`: ")]
        #[doc = "the registrar's handler; no registrar here: logged and ignored."]
        #[no_mangle]
        pub extern "C" fn $name(_pcontext: *mut c_void, _pclient: *mut c_void, _msg: *mut c_void) {
            crate::hlog!(concat!(stringify!($name), ": no registrar in the stand-in, ignored"));
        }
    )*};
}

mqtt_no_op!(
    awss_enrollee_checkin,
    awss_report_enrollee_reply,
    awss_get_cipher_reply
);

/// The provisioning module's CoAP handlers (`int (*)(void *ctx, void *resource, void *remote,
/// void *request)`): logged, the request not answered, 0 returned (what the SDK's return for a
/// request they do not answer).
macro_rules! coap_no_op {
    ($($name:ident),*) => {$(
        #[doc = concat!("`int ", stringify!($name), "(void *ctx, void *resource, void *remote, void *request)`: ")]
        #[doc = "the provisioning module's handler; not in the stand-in: logged, not answered, 0."]
        #[no_mangle]
        pub extern "C" fn $name(
            _ctx: *mut c_void,
            _resource: *mut c_void,
            _remote: *mut c_void,
            _request: *mut c_void,
        ) -> c_int {
            crate::hlog!(concat!(stringify!($name), ": not in the stand-in, request not answered"));
            0
        }
    )*};
}

coap_no_op!(
    online_dev_bind_monitor,
    wifimgr_process_switch_ap_request,
    wifimgr_process_get_wifilist_request,
    wifimgr_process_mcast_get_device_info,
    wifimgr_process_ucast_get_device_info,
    wifimgr_process_dev_ap_switchap_request
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bssid_parsing() {
        assert_eq!(
            parse_bssid("02:00:00:00:0A:ff"),
            Some([2, 0, 0, 0, 0x0a, 0xff])
        );
        for bad in [
            "",
            "02:00:00:00:0a",
            "02:00:00:00:0a:01:02",
            "2:00:00:00:0a:01",
            "zz:00:00:00:0a:01",
        ] {
            assert_eq!(parse_bssid(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_station_is_on_the_ap_it_was_last_connected_to() {
        let (mut ssid, mut passwd, mut bssid) = ([0u8; 33], [0u8; 65], [0u8; 6]);
        let mut new_ssid = *b"office\0";
        let mut new_passwd = *b"secret123\0";
        let mut new_bssid = [2, 0, 0, 0, 0x0a, 0x02];
        // SAFETY: every buffer has the size the functions read or write, texts NUL-terminated.
        unsafe {
            assert_eq!(
                HAL_Awss_Connect_Ap(
                    30000,
                    new_ssid.as_mut_ptr().cast(),
                    new_passwd.as_mut_ptr().cast(),
                    0xff,
                    0xff,
                    new_bssid.as_mut_ptr(),
                    0,
                ),
                0
            );
            assert_eq!(
                HAL_Wifi_Get_Ap_Info(
                    ssid.as_mut_ptr().cast(),
                    passwd.as_mut_ptr().cast(),
                    bssid.as_mut_ptr()
                ),
                0
            );
            assert_eq!(
                HAL_Awss_Connect_Ap(
                    30000,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    0,
                    0,
                    std::ptr::null_mut(),
                    0
                ),
                -1
            );
        }
        assert_eq!(&ssid[..7], b"office\0");
        assert_eq!(&passwd[..10], b"secret123\0");
        assert_eq!(bssid, new_bssid);
        assert_eq!(current_ap().ssid, b"office");
    }
}
