//! The topic rules the gate enforces: a receiver, logged in with its id as
//! user name, publishes only its own frames and status, leaves its will
//! (the retained "offline" status) only on its own status topic, and
//! subscribes only to its own delivery confirmations ([`done_topic`]), at
//! QoS 0 or 1. The same rules as `deploy/mosquitto/acl`.

use cloudradar_shared::wire::{done_topic, frames_topic, status_topic};

/// May `user` publish on `topic`?
pub fn may_publish(user: &str, topic: &str) -> bool {
    topic == frames_topic(user) || topic == status_topic(user)
}

/// May `user` leave a will on `topic`?
pub fn may_will(user: &str, topic: &str) -> bool {
    topic == status_topic(user)
}

/// May `user` subscribe to `filter` at `qos`? Only its own done topic,
/// literally: a wildcard filter is refused even when it would match it.
pub fn may_subscribe(user: &str, filter: &str, qos: u8) -> bool {
    qos <= 1 && filter == done_topic(user)
}

/// May `user` unsubscribe from `filter`?
pub fn may_unsubscribe(user: &str, filter: &str) -> bool {
    filter == done_topic(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_users_own_frames_and_status() {
        assert!(may_publish("rx-a", "cloudradar/v1/rx-a/frames"));
        assert!(may_publish("rx-a", "cloudradar/v1/rx-a/status"));
        for topic in [
            "cloudradar/v1/rx-a/done",
            "cloudradar/v1/rx-a/other",
            "cloudradar/v1/rx-b/frames",
            "cloudradar/v1/rx-ab/frames",
            "cloudradar/v1/rx-a",
            "cloudradar/v1/rx-a/frames/x",
            "cloudradar/v2/rx-a/frames",
            "other/rx-a/frames",
            "",
        ] {
            assert!(!may_publish("rx-a", topic), "{topic}");
        }
        assert!(may_will("rx-a", "cloudradar/v1/rx-a/status"));
        assert!(!may_will("rx-a", "cloudradar/v1/rx-a/frames"));
        assert!(!may_will("rx-a", "cloudradar/v1/rx-b/status"));
    }

    #[test]
    fn subscriptions_only_to_the_users_own_done_topic_at_qos_0_or_1() {
        assert!(may_subscribe("rx-a", "cloudradar/v1/rx-a/done", 0));
        assert!(may_subscribe("rx-a", "cloudradar/v1/rx-a/done", 1));
        assert!(!may_subscribe("rx-a", "cloudradar/v1/rx-a/done", 2));
        for filter in [
            "cloudradar/v1/rx-b/done",
            "cloudradar/v1/+/done",
            "cloudradar/v1/rx-a/+",
            "cloudradar/v1/rx-a/#",
            "cloudradar/v1/#",
            "#",
            "+/+/+/+",
            "$share/g/cloudradar/v1/rx-a/done",
            "cloudradar/v1/rx-a/frames",
            "",
        ] {
            assert!(!may_subscribe("rx-a", filter, 1), "{filter}");
            assert!(!may_unsubscribe("rx-a", filter), "{filter}");
        }
        assert!(may_unsubscribe("rx-a", "cloudradar/v1/rx-a/done"));
    }
}
