//! Table definitions shared by both backends (kept by hand: the twin migrations in
//! `migrations/sqlite` and `migrations/postgres` must produce exactly these columns).

// `clinics` also keeps the columns `api_key_id`, `api_key_hash` and `key_issued_at`,
// emptied by migration 2026-12-01-000007 (keys live in `api_keys`) and read by nothing.
diesel::table! {
    clinics (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        created_at -> Timestamp,
        protocol_overrides -> Nullable<Text>,
        protocol_version -> Nullable<Text>,
        reply_to -> Nullable<Text>,
        timezone -> Text,
        reminder_time -> Text,
    }
}

diesel::table! {
    staff (id) {
        id -> Text,
        clinic_id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        created_at -> Timestamp,
        last_sign_in_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_sign_in_links (id) {
        id -> Text,
        staff_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Text,
        staff_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        clinic_id -> Text,
        name -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        created_by -> Text,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        clinic_id -> Text,
        at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        actor_name -> Text,
        action -> Text,
        subject_kind -> Text,
        subject_id -> Nullable<Text>,
        subject_label -> Text,
        detail -> Text,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        clinic_id -> Text,
        email -> Text,
        name -> Text,
        timezone -> Text,
        locale -> Text,
        planned_sessions -> Integer,
        reminder_time -> Text,
        push_enabled -> Bool,
        email_enabled -> Bool,
        spf_reminders -> Text,
        muted -> Text,
        invitation_status -> Text,
        invitation_error -> Nullable<Text>,
        invitation_token_id -> Nullable<Text>,
        invitation_token_hash -> Nullable<Text>,
        invitation_expires_at -> Nullable<Timestamp>,
        access_token_id -> Nullable<Text>,
        access_token_hash -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        next_plan_at -> Nullable<Timestamp>,
        stage -> Text,
        in_series -> Bool,
        final_session -> Bool,
        booking -> Nullable<Text>,
        standing_until -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        client_id -> Text,
        date -> Date,
        marked_final -> Bool,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    push_subscriptions (id) {
        id -> Text,
        client_id -> Text,
        endpoint -> Text,
        p256dh -> Text,
        auth -> Text,
        expiration_time -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Text,
        client_id -> Text,
        local_date -> Date,
        channel -> Text,
        target -> Text,
        kind -> Text,
        idempotency_key -> Text,
        title -> Text,
        body -> Text,
        payload -> Text,
        send_at -> Timestamp,
        stale_at -> Timestamp,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        leased_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        correction -> Bool,
    }
}

diesel::table! {
    unsubscribe_tokens (id) {
        id -> Text,
        client_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_feeds (client_id) {
        client_id -> Text,
        token_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (clinic_id, idempotency_key) {
        clinic_id -> Text,
        idempotency_key -> Text,
        request_fingerprint -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    client_notes (id) {
        id -> Text,
        client_id -> Text,
        kind -> Text,
        body -> Text,
        author_kind -> Text,
        author_id -> Nullable<Text>,
        author_name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    protocol_changes (id) {
        id -> Text,
        clinic_id -> Text,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        actor_name -> Text,
        before_protocol -> Text,
        after_protocol -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(clients -> clinics (clinic_id));
diesel::joinable!(protocol_changes -> clinics (clinic_id));
diesel::joinable!(sessions -> clients (client_id));
diesel::joinable!(push_subscriptions -> clients (client_id));
diesel::joinable!(deliveries -> clients (client_id));
diesel::joinable!(unsubscribe_tokens -> clients (client_id));
diesel::joinable!(calendar_feeds -> clients (client_id));
diesel::joinable!(client_notes -> clients (client_id));
diesel::joinable!(staff -> clinics (clinic_id));
diesel::joinable!(staff_sign_in_links -> staff (staff_id));
diesel::joinable!(staff_sessions -> staff (staff_id));
diesel::joinable!(api_keys -> clinics (clinic_id));
diesel::joinable!(audit_log -> clinics (clinic_id));
diesel::allow_tables_to_appear_in_same_query!(
    clinics,
    clients,
    sessions,
    push_subscriptions,
    deliveries,
    unsubscribe_tokens,
    calendar_feeds,
    client_notes,
    idempotency_keys,
    staff,
    staff_sign_in_links,
    staff_sessions,
    api_keys,
    audit_log
);

diesel::table! {
    vapid_keys (id) {
        id -> Integer,
        private_key_pem -> Text,
        created_at -> Timestamp,
    }
}
