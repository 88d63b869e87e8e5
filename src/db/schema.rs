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
    }
}
