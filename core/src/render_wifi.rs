//! The provisioning topics, CoAP paths and payloads (docs/WIFI_PROVISION.md sections 3-8),
//! each one whole template, filled as the bind payloads are ([`super::Template`]).

use super::{count_holes, holes, Fields, Hole, IdEcho, Identity, Template, Token, Writer, NO_ID};

/// The provisioning topics and CoAP paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WifiTopic {
    /// `/sys/awss/event/connectap/notify`: the success notify (and a bind-stage resource).
    SucNotify,
    /// `/sys/awss/device/info/notify`: the device-info notify.
    DevInfoNotify,
    /// `/sys/awss/device/info/get`: the signed device-info query, multicast.
    SignedMcast,
    /// `/sys/${pk}/${dn}/awss/device/info/get`: the signed device-info query, unicast.
    SignedUcast,
    /// `/sys/${pk}/${dn}/thing/awss/device/switchap`: the cloud's switch-AP request.
    SwitchAp,
    /// `/sys/${pk}/${dn}/thing/awss/device/switchap_reply`: our reply to it.
    SwitchApReply,
    /// `/sys/${pk}/${dn}/thing/awss/enrollee/checkin` (the registrar's).
    Checkin,
    /// `/sys/${pk}/${dn}/thing/awss/enrollee/found_reply` (the registrar's).
    FoundReply,
    /// `/sys/${pk}/${dn}/thing/cipher/get_reply` (the registrar's).
    CipherGetReply,
    /// `/sys/${pk}/${dn}/awss/device/switchap`: the phone's switch-AP request (wifimgr).
    LocalSwitchAp,
    /// `/sys/${pk}/${dn}/awss/event/wifilist/get` (wifimgr).
    WifiList,
    /// `/sys/awss/device/softap/switchap` (the dev-AP mode).
    SoftApSwitchAp,
    /// `/sys/device/info/notify`: the bind notify, registered for the registrar's monitor.
    BindNotify,
    /// `/sys/awss/device/connectap/info/get`: the connect-AP info query, multicast.
    ConnectApMcast,
    /// `/sys/${pk}/${dn}/awss/device/connectap/info/get`: the same, unicast.
    ConnectApUcast,
}

impl WifiTopic {
    /// Every provisioning topic and path, in declaration order.
    pub const ALL: [WifiTopic; 15] = [
        WifiTopic::SucNotify,
        WifiTopic::DevInfoNotify,
        WifiTopic::SignedMcast,
        WifiTopic::SignedUcast,
        WifiTopic::SwitchAp,
        WifiTopic::SwitchApReply,
        WifiTopic::Checkin,
        WifiTopic::FoundReply,
        WifiTopic::CipherGetReply,
        WifiTopic::LocalSwitchAp,
        WifiTopic::WifiList,
        WifiTopic::SoftApSwitchAp,
        WifiTopic::BindNotify,
        WifiTopic::ConnectApMcast,
        WifiTopic::ConnectApUcast,
    ];

    /// The topic or path, whole (`${pk}` and `${dn}` written as they are).
    pub const fn template(self) -> &'static Template {
        match self {
            WifiTopic::SucNotify => template!("/sys/awss/event/connectap/notify"),
            WifiTopic::DevInfoNotify => template!("/sys/awss/device/info/notify"),
            WifiTopic::SignedMcast => template!("/sys/awss/device/info/get"),
            WifiTopic::SignedUcast => template!("/sys/${pk}/${dn}/awss/device/info/get"),
            WifiTopic::SwitchAp => template!("/sys/${pk}/${dn}/thing/awss/device/switchap"),
            WifiTopic::SwitchApReply => {
                template!("/sys/${pk}/${dn}/thing/awss/device/switchap_reply")
            }
            WifiTopic::Checkin => template!("/sys/${pk}/${dn}/thing/awss/enrollee/checkin"),
            WifiTopic::FoundReply => {
                template!("/sys/${pk}/${dn}/thing/awss/enrollee/found_reply")
            }
            WifiTopic::CipherGetReply => template!("/sys/${pk}/${dn}/thing/cipher/get_reply"),
            WifiTopic::LocalSwitchAp => template!("/sys/${pk}/${dn}/awss/device/switchap"),
            WifiTopic::WifiList => template!("/sys/${pk}/${dn}/awss/event/wifilist/get"),
            WifiTopic::SoftApSwitchAp => template!("/sys/awss/device/softap/switchap"),
            WifiTopic::BindNotify => template!("/sys/device/info/notify"),
            WifiTopic::ConnectApMcast => template!("/sys/awss/device/connectap/info/get"),
            WifiTopic::ConnectApUcast => {
                template!("/sys/${pk}/${dn}/awss/device/connectap/info/get")
            }
        }
    }
}

/// The provisioning payloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WifiPayload {
    /// The success notify: numbers `[id]`.
    SucNotify,
    /// The device-info notify: numbers `[id]`, the random and the sign.
    DevInfoNotify,
    /// The answer to a signed device-info query: the echo, the random and the sign.
    SignedAnswer,
    /// The switch-AP reply, accepted: the echo.
    SwitchApOk,
    /// The switch-AP reply to a refused request (the cloud's parameter error): the echo.
    SwitchApRefused,
    /// `awss_build_dev_info` type 2: the random and the sign.
    DevRandSign,
    /// `awss_build_dev_info` type 3.
    DevSuccess,
}

impl WifiPayload {
    /// The payload, whole: `${devinfo}` is the bind payloads' device-info block, `${random}`
    /// the 16 bytes of `aes_random` and `${sign}` the 20-byte sign, each in upper-case hex.
    pub const fn template(self) -> &'static Template {
        match self {
            WifiPayload::SucNotify => template!(
                r#"{"id":"${id}","version":"1.0","method":"awss.event.connectap.notify","params":{${devinfo},"type":0}}"#
            ),
            WifiPayload::DevInfoNotify => template!(
                r#"{"id":"${id}","version":"1.0","method":"awss.device.info.notify","params":{${devinfo},"random":"${random}","signMethod":0,"sign":"${sign}"}}"#
            ),
            WifiPayload::SignedAnswer => template!(
                r#"{"id":${echo},"code":200,"data":{${devinfo},"random":"${random}","signMethod":0,"sign":"${sign}"}}"#
            ),
            WifiPayload::SwitchApOk => template!(r#"{"id":${echo},"code":200,"data":{}}"#),
            WifiPayload::SwitchApRefused => template!(r#"{"id":${echo},"code":460,"data":{}}"#),
            WifiPayload::DevRandSign => {
                template!(r#"${devinfo},"random":"${random}","signMethod":0,"sign":"${sign}""#)
            }
            WifiPayload::DevSuccess => template!(r#"${devinfo},"type":0"#),
        }
    }
}

/// The values of a provisioning payload's placeholders (each used only by the payloads that
/// carry it).
#[derive(Clone, Copy, Debug)]
pub struct WifiFields<'a> {
    /// The notify id (`${id}`).
    pub id: u32,
    /// The echoed request id (`${echo}`).
    pub echo: &'a IdEcho,
    /// `aes_random` (`${random}`).
    pub random: &'a Token,
    /// The sign (`${sign}`).
    pub sign: &'a [u8; 20],
    /// The device.
    pub who: &'a Identity<'a>,
}

/// Write the payload `which` with `f`'s values.
pub fn payload(w: &mut Writer<'_>, which: WifiPayload, f: &WifiFields<'_>) {
    let nums = [u64::from(f.id)];
    let mut fields = Fields {
        nums: &nums,
        token: f.random,
        who: f.who,
        id: f.echo,
        json: true,
        sign: f.sign,
    };
    fields.fill(w, which.template());
}

/// Write the topic or path `which` for the device `who` (its product key and device name).
pub fn topic(w: &mut Writer<'_>, which: WifiTopic, who: &Identity<'_>) {
    let mut fields = Fields {
        nums: &[],
        token: &[],
        who,
        id: &NO_ID,
        json: false,
        sign: &[],
    };
    fields.fill(w, which.template());
}
