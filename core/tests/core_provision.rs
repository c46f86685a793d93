//! The provisioning states (feature `wifi-provision`, docs/WIFI_PROVISION.md section 11): time
//! and inputs go in, actions and log lines come out.
#![cfg(feature = "wifi-provision")]

mod common_core;
use common_core::XorShift;
use dev_bind_core::provision::{
    sign, Action, Kind, Provision, Resource, Sink, WifiSub, IOTX_AWSS_SUC_NOTIFY, LC_INIT_BIND,
    LC_INIT_DEV_AP, LC_INIT_PAP, LC_INIT_ROUTER, LC_INIT_SUC,
};
use dev_bind_core::render::wifi::{self, WifiFields, WifiPayload, WifiTopic};
use dev_bind_core::render::{self, Identity, Writer};
use dev_bind_core::{Config, IdKind, Line, Msg, Piece};

#[derive(Default)]
struct Rec {
    actions: Vec<Action>,
    lines: Vec<(Msg, String)>,
}

impl Sink for Rec {
    fn act(&mut self, action: Action) {
        self.actions.push(action);
    }
    fn log(&mut self, line: Line, bytes: &[u8], num: i64) {
        let mut s = String::new();
        line.pieces(bytes, num, &mut |p| match p {
            Piece::Text(t) | Piece::Bytes(t) => s.push_str(&String::from_utf8_lossy(t)),
            Piece::Num(n) => s.push_str(&n.to_string()),
        });
        self.lines.push((line.msg(), s));
    }
}

impl Rec {
    fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }
    fn said(&self, msg: Msg) -> bool {
        self.lines.iter().any(|(m, _)| *m == msg)
    }
    fn all_text(&self) -> String {
        self.lines
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

const CFG: Config = Config::DEFAULT;

fn broadcasts(actions: &[Action]) -> Vec<(Kind, u32, u8)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Broadcast { kind, id, dest } => Some((*kind, *id, *dest)),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------- notify rounds

#[test]
fn a_success_round_posts_its_event_once_and_sends_30_with_growing_gaps() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    p.notify_start(1_000, Kind::Success, &CFG, &mut r);
    let a = r.take();
    assert_eq!(a[0], Action::PostEvent(IOTX_AWSS_SUC_NOTIFY));
    assert_eq!(broadcasts(&a), vec![(Kind::Success, 1, 0)]);
    let mut now = 1_000;
    let mut sent = vec![(1u32, 0u8, now)];
    for k in 1..=40u64 {
        let Some(at) = p.poll_at() else { break };
        assert_eq!(at, now + k * 100, "the gap after the {k}-th broadcast");
        // Nothing is due a millisecond early.
        p.poll(at - 1, &CFG, &mut r);
        assert!(r.take().is_empty());
        now = at;
        p.poll(now, &CFG, &mut r);
        for (_, id, dest) in broadcasts(&r.take()) {
            sent.push((id, dest, now));
        }
    }
    assert_eq!(sent.len(), 30, "30 broadcasts, not the C module's 31");
    for (i, (id, dest, _)) in sent.iter().enumerate() {
        assert_eq!(*id, i as u32 + 1);
        assert_eq!(*dest, (i % 4) as u8, "the bind notify's destination cycle");
    }
    assert!(!p.round_running(Kind::Success));
    assert_eq!(p.poll_at(), None);
    assert!(r.said(Msg::SucNotifyDone));
    // A new round posts the event again.
    p.notify_start(now, Kind::Success, &CFG, &mut r);
    let a = r.take();
    assert_eq!(
        a.iter()
            .filter(|x| **x == Action::PostEvent(IOTX_AWSS_SUC_NOTIFY))
            .count(),
        1
    );
    assert_eq!(broadcasts(&a), vec![(Kind::Success, 31, 2)]);
}

#[test]
fn a_devinfo_round_posts_nothing_and_follows_the_config() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    let cfg = Config {
        notify_count: 3,
        notify_step_ms: 50,
        ..Config::DEFAULT
    };
    p.notify_start(0, Kind::DevInfo, &cfg, &mut r);
    assert!(!r.actions.iter().any(|a| matches!(a, Action::PostEvent(_))));
    assert_eq!(p.poll_at(), Some(50));
    p.poll(50, &cfg, &mut r);
    assert_eq!(p.poll_at(), Some(150));
    p.poll(150, &cfg, &mut r);
    assert_eq!(p.poll_at(), Some(300));
    p.poll(300, &cfg, &mut r);
    let a = r.take();
    assert_eq!(broadcasts(&a).len(), 3);
    assert_eq!(a.last(), Some(&Action::CancelBroadcast(Kind::DevInfo)));
    assert!(r.said(Msg::DevInfoNotifyDone));
    assert_eq!(p.poll_at(), None);
}

#[test]
fn the_two_rounds_run_side_by_side_and_stop_alone() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    p.notify_start(0, Kind::Success, &CFG, &mut r);
    p.notify_start(10, Kind::DevInfo, &CFG, &mut r);
    assert!(p.round_running(Kind::Success) && p.round_running(Kind::DevInfo));
    r.take();
    p.notify_stop(Kind::Success, &mut r);
    assert_eq!(r.take(), vec![Action::CancelBroadcast(Kind::Success)]);
    assert!(!p.round_running(Kind::Success) && p.round_running(Kind::DevInfo));
    assert_eq!(p.poll_at(), Some(110));
    // A stop without a round does nothing.
    p.notify_stop(Kind::Success, &mut r);
    assert!(r.take().is_empty());
}

#[test]
fn only_an_ack_with_a_round_id_and_code_200_ends_a_round() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    p.notify_start(0, Kind::Success, &CFG, &mut r);
    p.poll(100, &CFG, &mut r); // ids 1 and 2 are out
    r.take();
    let refused: &[(i32, u8, Option<&[u8]>, Msg)] = &[
        (
            -1,
            0x45,
            Some(br#"{"id":1,"code":200}"#),
            Msg::AwssAckNoResponse,
        ),
        (
            0,
            0x80,
            Some(br#"{"id":1,"code":200}"#),
            Msg::AwssAckCoapCode,
        ),
        (0, 0x45, None, Msg::AwssAckNoPayload),
        (0, 0x45, Some(b""), Msg::AwssAckNoPayload),
        (0, 0x45, Some(b"{\"id\":1,"), Msg::AwssAckBadJson),
        (
            0,
            0x45,
            Some(br#"{"id":1,"code":201}"#),
            Msg::AwssAckCodeNot200,
        ),
        (0, 0x45, Some(br#"{"id":1}"#), Msg::AwssAckCodeNot200),
        (
            0,
            0x45,
            Some(br#"{"id":"abc","code":200}"#),
            Msg::AwssAckBadId,
        ),
        (0, 0x45, Some(br#"{"id":-5,"code":200}"#), Msg::AwssAckBadId),
        (0, 0x45, Some(br#"{"code":200}"#), Msg::AwssAckBadId),
        (
            0,
            0x45,
            Some(br#"{"id":3,"code":200}"#),
            Msg::AwssAckUnknownId,
        ),
        (
            0,
            0x45,
            Some(br#"{"id":0,"code":200}"#),
            Msg::AwssAckUnknownId,
        ),
    ];
    for (result, code, payload, why) in refused {
        r.lines.clear();
        p.on_ack(Kind::Success, *result, *code, *payload, &mut r);
        assert!(r.said(*why), "{payload:?}: {:?}", r.lines);
        assert!(
            p.round_running(Kind::Success),
            "{payload:?} ended the round"
        );
        assert!(r.take().is_empty());
    }
    // The device-info round has none of these ids: its acks do not end the success round.
    p.on_ack(
        Kind::DevInfo,
        0,
        0x45,
        Some(br#"{"id":2,"code":200}"#),
        &mut r,
    );
    assert!(r.said(Msg::AwssAckNoRound));
    assert!(p.round_running(Kind::Success));
    // The round's id, as a number or a string, ends it at once.
    p.on_ack(
        Kind::Success,
        0,
        0x45,
        Some(br#"{"id":"2","code":"200"}"#),
        &mut r,
    );
    assert_eq!(r.take(), vec![Action::CancelBroadcast(Kind::Success)]);
    assert!(!p.round_running(Kind::Success));
    assert_eq!(p.poll_at(), None);
    // The legacy id 123 counts too.
    p.notify_start(500, Kind::DevInfo, &CFG, &mut r);
    p.on_ack(
        Kind::DevInfo,
        0,
        0x45,
        Some(br#"{"id":123,"code":200}"#),
        &mut r,
    );
    assert!(!p.round_running(Kind::DevInfo));
    assert!(r.said(Msg::DevInfoNotifyAcked));
}

// ---------------------------------------------------------------------- connect-AP window

#[test]
fn the_connectap_window_opens_for_60_s_and_is_not_extended() {
    let mut p = Provision::new();
    assert!(!p.connectap_is_open(0));
    p.connectap_open(1_000);
    assert!(p.connectap_is_open(1_000));
    p.connectap_open(30_000); // open: not extended
    assert!(p.connectap_is_open(60_999));
    assert!(!p.connectap_is_open(61_000));
    // Expired: a new start opens a new window.
    p.connectap_open(70_000);
    assert!(p.connectap_is_open(129_999));
    p.connectap_close();
    assert!(!p.connectap_is_open(70_001));
    // The window needs no timer.
    assert_eq!(p.poll_at(), None);
}

// ---------------------------------------------------------------------- subscriptions, stages

#[test]
fn online_init_subscribes_once_and_local_init_registers_by_stage() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    p.online(true, &mut r);
    let subs: Vec<Action> = WifiSub::ALL.iter().map(|s| Action::Subscribe(*s)).collect();
    assert_eq!(r.take(), subs);
    p.online(true, &mut r);
    assert!(r.take().is_empty(), "a second init subscribes nothing");
    p.online(false, &mut r);
    assert_eq!(r.take().len(), 4);
    p.online(false, &mut r);
    assert!(r.take().is_empty());

    let regs = |stage: i32| {
        let mut p = Provision::new();
        let mut r = Rec::default();
        p.local_init(stage, &mut r);
        let a = r.take();
        assert!(a.len() <= 1, "one action: {a:?}");
        a.into_iter()
            .flat_map(|a| match a {
                Action::Register(set) => set.iter(),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
    };
    use Resource::*;
    assert_eq!(
        regs(LC_INIT_PAP),
        vec![LocalSwitchAp, WifiList, SignedMcast, SignedUcast]
    );
    assert_eq!(regs(LC_INIT_ROUTER), vec![SignedMcast, SignedUcast]);
    assert_eq!(regs(LC_INIT_DEV_AP), vec![SoftApSwitchAp]);
    assert_eq!(regs(LC_INIT_SUC), vec![ConnectApMcast, ConnectApUcast]);
    assert_eq!(
        regs(LC_INIT_BIND),
        vec![MonitorBindNotify, MonitorSucNotify]
    );
    assert_eq!(regs(0x40), vec![]);
    assert_eq!(regs(-1).len(), 9);
}

// ---------------------------------------------------------------------- switch AP

const REQ: &[u8] = br#"{"id":"123","version":"1.0","method":"thing.awss.device.switchap","params":{"ssid":"HomeAP","passwd":"s3cret-pw","bssid":"AA:bb:CC:dd:EE:ff","switchMode":0,"timeout":3000}}"#;

fn reply_code(actions: &[Action]) -> Option<(String, IdKind, u16)> {
    actions.iter().find_map(|a| match a {
        Action::SwitchApReply { id, code } => {
            Some((String::from_utf8(id.text.to_vec()).unwrap(), id.kind, *code))
        }
        _ => None,
    })
}

/// Request, then the current AP read back as `cur`: the state waits to connect.
fn pending(p: &mut Provision, r: &mut Rec, now: u64, req: &[u8]) {
    p.switchap(Some(req), r);
    let a = r.take();
    assert_eq!(reply_code(&a).map(|x| x.2), Some(200), "{:?}", r.lines);
    assert_eq!(a.last(), Some(&Action::ReadCurrentAp));
    p.current_ap(now, 0, b"OtherAP", b"x", &[0; 6], r);
    assert!(p.switch_pending());
}

#[test]
fn a_valid_request_replies_then_connects_after_the_timeout_then_reboots() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    pending(&mut p, &mut r, 10_000, REQ);
    // `timeout` is decimal: 3000 ms, not the C module's 0x3000.
    assert_eq!(p.poll_at(), Some(13_000));
    p.poll(12_999, &CFG, &mut r);
    assert!(r.take().is_empty());
    p.poll(13_000, &CFG, &mut r);
    let a = r.take();
    let [Action::ConnectAp(t)] = a.as_slice() else {
        panic!("{a:?}")
    };
    assert_eq!(t.ssid.as_slice(), b"HomeAP");
    assert_eq!(t.passwd.as_bytes(), b"s3cret-pw");
    assert_eq!(t.bssid, Some([0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF]));
    assert!(!p.switch_pending());
    assert_eq!(p.poll_at(), None, "connecting: no deadline");
    // A request while connecting is refused (busy), with its id answered 460.
    p.switchap(Some(REQ), &mut r);
    assert!(r.said(Msg::SwitchApBusy));
    assert_eq!(reply_code(&r.take()).map(|x| x.2), Some(460));
    p.connect_done(20_000, -3, &mut r);
    assert_eq!(p.poll_at(), Some(21_000));
    p.poll(21_000, &CFG, &mut r);
    assert_eq!(r.take(), vec![Action::Reboot]);
    assert_eq!(p.poll_at(), None);
    assert!(r
        .all_text()
        .contains("switchap: connect res:-3, reboot in 1000 ms"));
    assert!(r.all_text().contains("switchap to HomeAP in 3000 ms"));
}

#[test]
fn the_password_is_never_logged() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    pending(&mut p, &mut r, 0, REQ);
    p.poll(5_000, &CFG, &mut r);
    p.connect_done(5_000, 0, &mut r);
    p.poll(6_000, &CFG, &mut r);
    // Refusals after the password was parsed do not log it either.
    p.switchap(
        Some(br#"{"id":1,"params":{"ssid":"A","passwd":"s3cret-pw","bssid":"zz"}}"#),
        &mut r,
    );
    let text = r.all_text();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("HomeAP"));
}

#[test]
fn the_delay_is_max_timeout_1s_clamped_to_60s() {
    let cases: &[(&[u8], u64)] = &[
        (
            br#"{"id":1,"params":{"ssid":"A","switchMode":0,"timeout":"3000"}}"#,
            3_000,
        ),
        (
            br#"{"id":1,"params":{"ssid":"A","switchMode":0,"timeout":0}}"#,
            1_000,
        ),
        (
            br#"{"id":1,"params":{"ssid":"A","switchMode":0,"timeout":999}}"#,
            1_000,
        ),
        (br#"{"id":1,"params":{"ssid":"A","switchMode":0}}"#, 1_000),
        (
            br#"{"id":1,"params":{"ssid":"A","switchMode":1,"timeout":5000}}"#,
            1_000,
        ),
        (br#"{"id":1,"params":{"ssid":"A","timeout":5000}}"#, 1_000),
        (
            br#"{"id":1,"params":{"ssid":"A","switchMode":"0","timeout":7000}}"#,
            7_000,
        ),
        (
            br#"{"id":1,"params":{"ssid":"A","switchMode":0,"timeout":100000}}"#,
            60_000,
        ),
    ];
    for (req, delay) in cases {
        let mut p = Provision::new();
        let mut r = Rec::default();
        pending(&mut p, &mut r, 100, req);
        assert_eq!(
            p.poll_at(),
            Some(100 + delay),
            "{}",
            String::from_utf8_lossy(req)
        );
    }
}

#[test]
fn already_on_the_requested_ap_means_no_switch() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    p.switchap(Some(REQ), &mut r);
    r.take();
    p.current_ap(
        0,
        0,
        b"HomeAP",
        b"s3cret-pw",
        &[0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF],
        &mut r,
    );
    assert!(r.said(Msg::SwitchApAlreadyOn));
    assert!(!p.switch_pending());
    assert_eq!(p.poll_at(), None);
    // Without a bssid in the request, the ssid and password decide.
    let req = br#"{"id":"9","params":{"ssid":"HomeAP","passwd":"pw"}}"#;
    p.switchap(Some(req), &mut r);
    p.current_ap(0, 0, b"HomeAP", b"pw", &[1, 2, 3, 4, 5, 6], &mut r);
    assert!(!p.switch_pending());
    // Another bssid, password or ssid, or a HAL that failed: a switch.
    for (res, ssid, pw, bssid) in [
        (
            0,
            &b"HomeAP"[..],
            &b"s3cret-pw"[..],
            [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0x00],
        ),
        (0, b"HomeAP", b"other", [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF]),
        (
            0,
            b"HomeAP2",
            b"s3cret-pw",
            [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF],
        ),
        (
            -1,
            b"HomeAP",
            b"s3cret-pw",
            [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF],
        ),
    ] {
        let mut p = Provision::new();
        p.switchap(Some(REQ), &mut r);
        p.current_ap(0, res, ssid, pw, &bssid, &mut r);
        assert!(p.switch_pending());
    }
    // A result nobody asked for changes nothing.
    let mut p = Provision::new();
    p.current_ap(0, 0, b"x", b"y", &[0; 6], &mut r);
    p.connect_done(0, 0, &mut r);
    assert!(r.said(Msg::SwitchApUnasked));
    assert_eq!(p.poll_at(), None);
}

#[test]
fn an_open_network_and_escapes_are_taken() {
    for (req, ssid, pw) in [
        (
            &br#"{"id":1,"params":{"ssid":"Cafe"}}"#[..],
            &b"Cafe"[..],
            &b""[..],
        ),
        (
            br#"{"id":1,"params":{"ssid":"Cafe","passwd":""}}"#,
            b"Cafe",
            b"",
        ),
        (
            br#"{"id":1,"params":{"ssid":"Caf\u00e9 \"1\"","passwd":"a\\b"}}"#,
            "Café \"1\"".as_bytes(),
            b"a\\b",
        ),
        (
            br#"{"id":1,"params":{"ssid":"\ud83d\ude00","bssid":""}}"#,
            "😀".as_bytes(),
            b"",
        ),
    ] {
        let mut p = Provision::new();
        let mut r = Rec::default();
        pending(&mut p, &mut r, 0, req);
        p.poll(1_000, &CFG, &mut r);
        let a = r.take();
        let [Action::ConnectAp(t)] = a.as_slice() else {
            panic!("{a:?}")
        };
        assert_eq!(t.ssid.as_slice(), ssid);
        assert_eq!(t.passwd.as_bytes(), pw);
        assert_eq!(t.bssid, None);
    }
}

#[test]
fn every_refusal_is_a_line_and_changes_nothing() {
    let long_ssid = format!(r#"{{"id":1,"params":{{"ssid":"{}"}}}}"#, "s".repeat(33));
    let ssid_32 = format!(r#"{{"id":1,"params":{{"ssid":"{}"}}}}"#, "s".repeat(32));
    let long_pw = format!(
        r#"{{"id":1,"params":{{"ssid":"A","passwd":"{}"}}}}"#,
        "p".repeat(65)
    );
    let long_id = format!(r#"{{"id":"{}","params":{{"ssid":"A"}}}}"#, "1".repeat(33));
    // (payload, line, replied with 460)
    let cases: Vec<(Option<&[u8]>, Msg, bool)> = vec![
        (None, Msg::SwitchApNoPayload, false),
        (Some(b""), Msg::SwitchApNoPayload, false),
        (Some(b"not json"), Msg::SwitchApNotJson, false),
        (Some(b"[1,2]"), Msg::SwitchApNotJson, false),
        (
            Some(br#"{"id":1,"params":{"ssid":"A"}"#),
            Msg::SwitchApNotJson,
            false,
        ),
        (
            Some(br#"{"params":{"ssid":"A"}}"#),
            Msg::SwitchApNoId,
            false,
        ),
        (Some(long_id.as_bytes()), Msg::SwitchApNoId, false),
        (Some(br#"{"id":1}"#), Msg::SwitchApNoParams, true),
        (
            Some(br#"{"id":1,"params":"x"}"#),
            Msg::SwitchApNoParams,
            true,
        ),
        (Some(br#"{"id":1,"params":{}}"#), Msg::SwitchApNoSsid, true),
        (
            Some(br#"{"id":1,"params":{"ssid":""}}"#),
            Msg::SwitchApNoSsid,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":5}}"#),
            Msg::SwitchApNoSsid,
            true,
        ),
        (Some(long_ssid.as_bytes()), Msg::SwitchApSsidLong, true),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","passwd":7}}"#),
            Msg::SwitchApBadPasswd,
            true,
        ),
        (Some(long_pw.as_bytes()), Msg::SwitchApPasswdLong, true),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","bssid":"A:B:C:D:E:Fxxxxxx"}}"#),
            Msg::SwitchApBadBssid,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","bssid":"AA:BB:CC:DD:EE:F"}}"#),
            Msg::SwitchApBadBssid,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","bssid":"AA-BB-CC-DD-EE-FF"}}"#),
            Msg::SwitchApBadBssid,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","bssid":"0x:BB:CC:DD:EE:FF"}}"#),
            Msg::SwitchApBadBssid,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","bssid":1}}"#),
            Msg::SwitchApBadBssid,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A\u0000B"}}"#),
            Msg::SwitchApNul,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","passwd":"\u0000"}}"#),
            Msg::SwitchApNul,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","switchMode":0,"timeout":-1}}"#),
            Msg::SwitchApBadTimeout,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","switchMode":0,"timeout":1.5}}"#),
            Msg::SwitchApBadTimeout,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","switchMode":0,"timeout":"3s"}}"#),
            Msg::SwitchApBadTimeout,
            true,
        ),
        (
            Some(br#"{"id":1,"params":{"ssid":"A","switchMode":0,"timeout":[1]}}"#),
            Msg::SwitchApBadTimeout,
            true,
        ),
    ];
    for (payload, why, replied) in &cases {
        let mut p = Provision::new();
        let mut r = Rec::default();
        // A switch is pending: a refusal leaves it as it was.
        pending(&mut p, &mut r, 0, REQ);
        let before = p.poll_at();
        r.lines.clear();
        p.switchap(*payload, &mut r);
        let a = r.take();
        let shown = payload.map(String::from_utf8_lossy);
        assert!(r.said(*why), "{shown:?}: {:?}", r.lines);
        assert_eq!(r.lines.len(), 1, "{shown:?}: one line: {:?}", r.lines);
        match reply_code(&a) {
            Some((_, _, code)) => {
                assert!(*replied, "{shown:?} got a reply");
                assert_eq!(code, 460);
            }
            None => assert!(!replied, "{shown:?} got no reply"),
        }
        assert!(!a.contains(&Action::ReadCurrentAp), "{shown:?}");
        assert_eq!(p.poll_at(), before, "{shown:?} changed the pending switch");
        p.poll(3_000, &CFG, &mut r);
        let a = r.take();
        let [Action::ConnectAp(t)] = a.as_slice() else {
            panic!("{shown:?}: {a:?}")
        };
        assert_eq!(t.ssid.as_slice(), b"HomeAP", "{shown:?}");
    }
    // 32 bytes is fine.
    let mut p = Provision::new();
    let mut r = Rec::default();
    pending(&mut p, &mut r, 0, ssid_32.as_bytes());
}

#[test]
fn the_reply_echoes_the_id_as_valid_json() {
    for (req, text, kind) in [
        (
            &br#"{"id":"123","params":{"ssid":"A"}}"#[..],
            "123",
            IdKind::Number,
        ),
        (
            br#"{"id":"abc","params":{"ssid":"A"}}"#,
            "abc",
            IdKind::String,
        ),
        (br#"{"id":42,"params":{"ssid":"A"}}"#, "42", IdKind::Number),
    ] {
        let mut p = Provision::new();
        let mut r = Rec::default();
        p.switchap(Some(req), &mut r);
        assert_eq!(reply_code(&r.take()), Some((text.into(), kind, 200)));
    }
}

#[test]
fn a_second_request_replaces_the_pending_one_and_deinit_cancels_it() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    pending(&mut p, &mut r, 0, REQ);
    let req2 = br#"{"id":"2","params":{"ssid":"Second","switchMode":0,"timeout":5000}}"#;
    pending(&mut p, &mut r, 1_000, req2);
    assert!(r.said(Msg::SwitchApReplaces));
    assert_eq!(p.poll_at(), Some(6_000));
    p.deinit(&mut r);
    assert!(r.said(Msg::SwitchApCancelled));
    assert!(!p.switch_pending());
    assert_eq!(p.poll_at(), None);
    p.poll(10_000, &CFG, &mut r);
    assert!(!r.take().iter().any(|a| matches!(a, Action::ConnectAp(_))));
    // A reboot already due is not cancelled by deinit, nor is the window.
    pending(&mut p, &mut r, 0, REQ);
    p.connectap_open(0);
    p.poll(3_000, &CFG, &mut r);
    p.connect_done(3_000, 0, &mut r);
    p.deinit(&mut r);
    assert!(p.connectap_is_open(3_000));
    p.poll(4_000, &CFG, &mut r);
    assert!(r.take().contains(&Action::Reboot));
}

#[test]
fn connect_subscribes_and_inits_the_registrar_once_deinit_undoes_both() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    p.connect(&mut r);
    let a = r.take();
    assert_eq!(a.len(), 5);
    assert_eq!(a[4], Action::RegistrarInit);
    p.connect(&mut r);
    p.bind_started(&mut r);
    assert!(r.take().is_empty());
    p.deinit(&mut r);
    let a = r.take();
    assert_eq!(
        a.iter()
            .filter(|x| matches!(x, Action::Unsubscribe(_)))
            .count(),
        4
    );
    assert!(a.contains(&Action::RegistrarDeinit));
    assert_eq!(a.last(), Some(&Action::ClearStatis));
    p.bind_started(&mut r);
    assert_eq!(r.take(), vec![Action::RegistrarInit]);
}

#[test]
fn deinit_ends_both_rounds() {
    let mut p = Provision::new();
    let mut r = Rec::default();
    p.notify_start(0, Kind::Success, &CFG, &mut r);
    p.notify_start(0, Kind::DevInfo, &CFG, &mut r);
    r.take();
    p.deinit(&mut r);
    let a = r.take();
    assert!(a.contains(&Action::CancelBroadcast(Kind::Success)));
    assert!(a.contains(&Action::CancelBroadcast(Kind::DevInfo)));
    assert_eq!(p.poll_at(), None);
}

// ---------------------------------------------------------------------- sign and templates

#[test]
fn the_sign_is_hmac_sha1_of_random_dn_pk_with_the_secret() {
    use hmac::{Hmac, Mac};
    let random = [0x11u8; 16];
    let got = sign(b"prod-secret", &random, b"dev01", b"a1PK");
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(b"prod-secret").unwrap();
    m.update(&random);
    m.update(b"dev01a1PK");
    assert_eq!(got.as_slice(), m.finalize().into_bytes().as_slice());
    // A key over 64 bytes is hashed first (RFC 2104), as the reference does.
    let long = [0x42u8; 100];
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(&long).unwrap();
    m.update(&random);
    m.update(b"dn");
    m.update(b"pk");
    assert_eq!(
        sign(&long, &random, b"dn", b"pk").as_slice(),
        m.finalize().into_bytes().as_slice()
    );
}

const WHO: Identity<'static> = Identity {
    product_key: b"a1PK",
    device_name: b"dev\"01",
    mac: b"b0:f8:93:15:bf:21",
    ip: b"10.0.0.59",
};

fn render(which: WifiPayload, echo: &dev_bind_core::IdEcho) -> String {
    let random = [0xABu8; 16];
    let sign = [0x0Fu8; 20];
    let f = WifiFields {
        id: 7,
        echo,
        random: &random,
        sign: &sign,
        who: &WHO,
    };
    let mut buf = [0u8; 600];
    let mut w = Writer::new(&mut buf);
    wifi::payload(&mut w, which, &f);
    assert!(w.ok());
    String::from_utf8(w.as_bytes().to_vec()).unwrap()
}

#[test]
fn the_payloads_are_the_documented_json() {
    let devinfo = r#""awssVer":{"smartconfig":"2.0","zconfig":"2.0","router":"2.0","ap":"2.0","softap":"2.0"},"productKey":"a1PK","deviceName":"dev\"01","mac":"B0:F8:93:15:BF:21","ip":"10.0.0.59","cipherType":3"#;
    let random = "AB".repeat(16);
    let sign = "0F".repeat(20);
    let echo = dev_bind_core::json::id_echo(Some(br#"{"id":"5"}"#)).unwrap();
    let cases = [
        (
            WifiPayload::SucNotify,
            format!(
                r#"{{"id":"7","version":"1.0","method":"awss.event.connectap.notify","params":{{{devinfo},"type":0}}}}"#
            ),
        ),
        (
            WifiPayload::DevInfoNotify,
            format!(
                r#"{{"id":"7","version":"1.0","method":"awss.device.info.notify","params":{{{devinfo},"random":"{random}","signMethod":0,"sign":"{sign}"}}}}"#
            ),
        ),
        (
            WifiPayload::SignedAnswer,
            format!(
                r#"{{"id":5,"code":200,"data":{{{devinfo},"random":"{random}","signMethod":0,"sign":"{sign}"}}}}"#
            ),
        ),
        (
            WifiPayload::SwitchApOk,
            r#"{"id":5,"code":200,"data":{}}"#.to_string(),
        ),
        (
            WifiPayload::SwitchApRefused,
            r#"{"id":5,"code":460,"data":{}}"#.to_string(),
        ),
    ];
    for (which, want) in cases {
        let got = render(which, &echo);
        assert_eq!(got, want, "{which:?}");
        serde_json::from_str::<serde_json::Value>(&got).expect("valid JSON");
    }
    let block = render(WifiPayload::DevRandSign, &render::NO_ID);
    assert_eq!(
        block,
        format!(r#"{devinfo},"random":"{random}","signMethod":0,"sign":"{sign}""#)
    );
    assert_eq!(
        render(WifiPayload::DevSuccess, &render::NO_ID),
        format!(r#"{devinfo},"type":0"#)
    );
}

#[test]
fn the_topics_are_whole_and_fit_the_shells_buffer() {
    let (pk, dn) = ([b'k'; 21], [b'd'; 33]);
    let mut who = render::NOBODY;
    who.product_key = &pk;
    who.device_name = &dn;
    for which in WifiTopic::ALL {
        let mut buf = [0u8; 200];
        let mut w = Writer::new(&mut buf);
        wifi::topic(&mut w, which, &who);
        assert!(w.len() < 95, "{which:?}: {} bytes", w.len());
    }
    let mut buf = [0u8; 200];
    let mut w = Writer::new(&mut buf);
    wifi::topic(&mut w, WifiTopic::SwitchApReply, &WHO);
    assert_eq!(
        w.as_bytes(),
        b"/sys/a1PK/dev\"01/thing/awss/device/switchap_reply"
    );
}

// ---------------------------------------------------------------------- hostile input

/// Mutations of valid requests and random bytes, fed to the switch-AP handler and to the
/// notify acks with a pending switch and running rounds: no panic, at most one reply per
/// request, an accepted target within the bounds, and a request refused leaves the pending
/// switch's deadline as it was.
#[test]
fn hostile_requests_and_acks_never_break_the_states() {
    const PIECES: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b":",
        b",",
        b"\\",
        b"\\u0000",
        b"\\ud800",
        b"\\n",
        b"\"id\"",
        b"\"params\"",
        b"\"ssid\"",
        b"\"passwd\"",
        b"\"bssid\"",
        b"\"timeout\"",
        b"\"switchMode\"",
        b"0",
        b"-1",
        b"1e9",
        b"99999999999",
        b"\"AA:BB:CC:DD:EE:FF\"",
        b"null",
        b"true",
        b" ",
        b"\xff",
        b"\xc3\xa9",
        b"\"x\"",
        b"\"code\"",
        b"200",
    ];
    // A fixed seed, so that a failure is reproducible.
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut p = Provision::new();
    let mut r = Rec::default();
    let mut now = 0u64;
    for round in 0..20_000 {
        let mut msg = REQ.to_vec();
        match rng.index(3) {
            0 => {
                for _ in 0..1 + rng.index(4) {
                    let at = rng.index(msg.len() + 1);
                    let piece = PIECES[rng.index(PIECES.len())];
                    msg.splice(at..at, piece.iter().copied());
                }
            }
            1 => {
                for _ in 0..1 + rng.index(4) {
                    let at = rng.index(msg.len());
                    msg[at] = rng.next() as u8;
                }
                msg.truncate(rng.index(msg.len() + 1));
            }
            _ => {
                msg = (0..rng.index(80))
                    .flat_map(|_| PIECES[rng.index(PIECES.len())])
                    .copied()
                    .collect();
            }
        }
        if round % 50 == 0 {
            // Let a switch under way end (connect, reboot) before the next one.
            for _ in 0..2 {
                now += 61_000;
                p.poll(now, &CFG, &mut r);
                if r.take().iter().any(|a| matches!(a, Action::ConnectAp(_))) {
                    p.connect_done(now, 0, &mut r);
                }
            }
            now += 1_000;
            p.poll(now, &CFG, &mut r);
            pending(&mut p, &mut r, now, REQ);
            p.notify_start(now, Kind::Success, &CFG, &mut r);
            r.take();
        }
        let before = p.poll_at();
        r.lines.clear();
        p.switchap(Some(&msg), &mut r);
        let a = r.take();
        let replies = a
            .iter()
            .filter(|x| matches!(x, Action::SwitchApReply { .. }))
            .count();
        assert!(replies <= 1);
        let accepted = a.contains(&Action::ReadCurrentAp);
        if accepted {
            p.current_ap(now, 0, b"Other", b"", &[0; 6], &mut r);
        } else {
            assert_eq!(p.poll_at(), before, "{}", String::from_utf8_lossy(&msg));
            assert_eq!(r.lines.len(), 1, "{:?}", r.lines);
        }
        p.on_ack(Kind::Success, 0, 0x45, Some(&msg), &mut r);
        now += rng.index(200) as u64;
        p.poll(now, &CFG, &mut r);
        for action in r.take() {
            if let Action::ConnectAp(t) = action {
                assert!(!t.ssid.is_empty() && t.ssid.len() <= 32);
                assert!(t.passwd.as_bytes().len() <= 64);
                assert!(!t.ssid.contains(&0) && !t.passwd.as_bytes().contains(&0));
                p.connect_done(now, 0, &mut r);
            }
        }
    }
}
