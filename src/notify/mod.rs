//! Notification plumbing: email (lettre), its templates (minijinja) and the VAPID key pair.

pub mod email;
pub mod push;
pub mod templates;
pub mod vapid;
