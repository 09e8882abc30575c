//! The topic rules the gate enforces: a receiver, logged in with its id as
//! user name, publishes only under `cloudradar/v1/<its id>/`, and its will
//! (the retained "offline" status) goes only to its own status topic.
//! The same rule as Mosquitto's `pattern write cloudradar/v1/%u/#`
//! (`deploy/mosquitto/acl`).

use cloudradar_shared::wire::{parse_topic, status_topic};

/// May `user` publish on `topic`?
pub fn may_publish(user: &str, topic: &str) -> bool {
    parse_topic(topic).is_some_and(|(id, _)| id == user)
}

/// May `user` leave a will on `topic`?
pub fn may_will(user: &str, topic: &str) -> bool {
    topic == status_topic(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_users_own_topics() {
        assert!(may_publish("rx-a", "cloudradar/v1/rx-a/frames"));
        assert!(may_publish("rx-a", "cloudradar/v1/rx-a/status"));
        for topic in [
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
}
