//! `devbind`: cloud, phone and troubleshooting tools for the device bind module, and the demo
//! that plays every flow of the guide against the example device on loopback.

pub mod broker;
pub mod cli;
pub mod cloud;
pub mod demo;
pub mod doctor;
pub mod fakedev;
pub mod flood;
pub mod mqtt;
pub mod phone;
pub mod switchap;
