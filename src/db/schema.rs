//! Table definitions shared by both backends (kept by hand: the twin migrations in
//! `migrations/sqlite` and `migrations/postgres` must produce exactly these columns).

diesel::table! {
    clinics (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        api_key_id -> Nullable<Text>,
        api_key_hash -> Nullable<Text>,
        created_at -> Timestamp,
        key_issued_at -> Nullable<Timestamp>,
        protocol_overrides -> Nullable<Text>,
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
diesel::allow_tables_to_appear_in_same_query!(
    clinics,
    clients,
    sessions,
    push_subscriptions,
    deliveries,
    unsubscribe_tokens,
    idempotency_keys
);
