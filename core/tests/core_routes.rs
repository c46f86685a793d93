//! The routing policy of SPEC section 5 as the core decides it: topic and QoS per payload,
//! which lines the shell prints around a send, and at which level.

use dev_bind_core::render::{Payload, Topic};
use dev_bind_core::route::Channel;
use dev_bind_core::{Level, Line, Msg};

#[test]
fn every_payload_goes_where_spec_section_5_says() {
    let r = |p: Payload, mcast| p.route(mcast).expect("a payload that is sent");
    assert_eq!(r(Payload::Report, false).topic, Topic::MatchReport);
    assert_eq!(r(Payload::Report, false).channel, Channel::Mqtt { qos: 1 });
    assert_eq!(r(Payload::Reset, false).topic, Topic::ResetReport);
    assert_eq!(r(Payload::Reset, false).channel, Channel::Mqtt { qos: 0 });
    assert_eq!(r(Payload::Stats, false).topic, Topic::LogPost);
    assert_eq!(r(Payload::Stats, false).channel, Channel::Mqtt { qos: 0 });
    assert_eq!(r(Payload::Notify, false).topic, Topic::Notify);
    assert_eq!(r(Payload::Notify, false).channel, Channel::Notify);
    assert_eq!(r(Payload::Answer, true).topic, Topic::QueryMcast);
    assert_eq!(r(Payload::Answer, false).topic, Topic::QueryUcast);
    assert_eq!(r(Payload::Answer, true).channel, Channel::Answer);
    assert_eq!(r(Payload::ConnectAp, true).topic, Topic::ConnectApMcast);
    assert_eq!(r(Payload::ConnectAp, false).topic, Topic::ConnectApUcast);
    for p in [Payload::SyncToken, Payload::DevInfo, Payload::DevInfoBase] {
        assert!(p.route(false).is_none(), "{p:?} is not sent on its own");
    }
}

#[test]
fn result_lines_always_for_mqtt_and_on_failure_for_coap() {
    let report = Payload::Report.route(false).unwrap();
    assert_eq!(
        report.result(0),
        Some(Line::new(Level::Info, Msg::ReportRes))
    );
    // A report that failed locally never reached the cloud: an error line.
    assert_eq!(
        report.result(-1),
        Some(Line::new(Level::Error, Msg::ReportRes))
    );
    let reset = Payload::Reset.route(false).unwrap();
    assert_eq!(
        reset.result(0),
        Some(Line::new(Level::Debug, Msg::ResetRes))
    );
    assert_eq!(
        reset.result(-1),
        Some(Line::new(Level::Error, Msg::ResetRes))
    );
    let stats = Payload::Stats.route(false).unwrap();
    assert_eq!(
        stats.result(0),
        Some(Line::new(Level::Info, Msg::StatisSuccess))
    );
    assert_eq!(
        stats.result(-3),
        Some(Line::new(Level::Info, Msg::StatisFail))
    );
    let notify = Payload::Notify.route(false).unwrap();
    assert_eq!(notify.result(0), None);
    assert_eq!(
        notify.result(-1),
        Some(Line::new(Level::Warn, Msg::NotifySendRes))
    );
    let answer = Payload::Answer.route(true).unwrap();
    assert_eq!(answer.result(0), None);
    assert_eq!(
        answer.result(2),
        Some(Line::new(Level::Warn, Msg::AnswerRes))
    );
}

#[test]
fn payload_lines_and_identity() {
    let notify = Payload::Notify.lines().unwrap();
    assert_eq!(
        notify.before,
        Some(Line::new(Level::Info, Msg::NotifyTopic))
    );
    assert_eq!(notify.payload, Line::new(Level::Debug, Msg::PayloadNotify));
    let answer = Payload::Answer.lines().unwrap();
    assert_eq!(answer.payload, Line::new(Level::Info, Msg::PayloadAnswer));
    assert_eq!(answer.before, None);
    assert_eq!(
        Payload::Report.lines().unwrap().payload,
        Line::new(Level::Debug, Msg::PayloadReport)
    );
    assert!(!Payload::Report.carries_devinfo());
    assert!(Payload::Answer.carries_devinfo());
}
