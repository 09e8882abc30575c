#![no_main]
//! Broker URL parser: never panics; what parses has a host and a port,
//! reads back the same from its canonical form, and no refusal quotes a
//! password.
use cloudradar_shared::mqtt_url::{MqttUrl, MqttUrlError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    match MqttUrl::parse(url) {
        Ok(u) => {
            assert!(!u.host.is_empty() && u.port != 0);
            assert_eq!(MqttUrl::parse(&u.to_string()).as_ref(), Ok(&u));
        }
        Err(e) => {
            if url.contains('@') {
                assert_eq!(e, MqttUrlError::Credentials);
            }
        }
    }
});
