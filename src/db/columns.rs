//! Typed columns: the domain's enums, the client's zone, reminder time and muted kinds
//! are stored as text and read back into their types once, here. A stored value that
//! does not parse is an error (the read fails and the caller logs it with the row id),
//! never a silent default.

use diesel::backend::Backend;
use diesel::deserialize::FromSqlRow;
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{
    Channel, DeliveryKind, DeliveryStatus, InvitationStatus, ReminderKind, ReminderTime,
    SpfFrequency, StaffRole, Zone,
};

/// Reads a text column through the type's `FromStr`.
macro_rules! read_text {
    ($ty:ty, $proxy:ident) => {
        // `foreign_derive` puts diesel's derived impls on `$ty` itself; the proxy type
        // only carries the attributes (the domain types stay free of diesel).
        #[derive(AsExpression, FromSqlRow)]
        #[diesel(foreign_derive, sql_type = Text)]
        #[allow(dead_code)]
        struct $proxy($ty);

        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let stored = String::from_sql(bytes)?;
                stored
                    .parse::<$ty>()
                    .map_err(|e| format!("stored {}: {e}", stringify!($ty)).into())
            }
        }
    };
}

/// Writes a text column from a `&'static str` the type names itself by.
macro_rules! write_text {
    ($ty:ty, $name:ident) => {
        impl<DB> ToSql<Text, DB> for $ty
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.$name().to_sql(out)
            }
        }
    };
}

read_text!(Channel, ChannelColumn);
write_text!(Channel, as_str);
read_text!(DeliveryKind, DeliveryKindColumn);
write_text!(DeliveryKind, as_str);
read_text!(DeliveryStatus, DeliveryStatusColumn);
write_text!(DeliveryStatus, as_str);
read_text!(InvitationStatus, InvitationStatusColumn);
write_text!(InvitationStatus, as_str);
read_text!(SpfFrequency, SpfFrequencyColumn);
write_text!(SpfFrequency, as_str);
read_text!(StaffRole, StaffRoleColumn);
write_text!(StaffRole, as_str);
read_text!(Zone, ZoneColumn);
write_text!(Zone, name);
// Written as `to_string()` by the repository: the value is not a `&'static str`.
read_text!(ReminderTime, ReminderTimeColumn);

/// The reminder kinds a client muted, stored as a JSON array of ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromSqlRow)]
pub struct MutedKinds(pub Vec<ReminderKind>);

impl MutedKinds {
    /// The stored form: a JSON array of ids, in the order given.
    pub fn to_json(kinds: &[ReminderKind]) -> String {
        let ids: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        serde_json::Value::from(ids).to_string()
    }
}

impl std::str::FromStr for MutedKinds {
    type Err = String;

    fn from_str(stored: &str) -> Result<Self, Self::Err> {
        let ids: Vec<String> =
            serde_json::from_str(stored).map_err(|e| format!("muted kinds {stored:?}: {e}"))?;
        ids.iter()
            .map(|id| id.parse::<ReminderKind>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map(MutedKinds)
    }
}

impl<DB> FromSql<Text, DB> for MutedKinds
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(String::from_sql(bytes)?.parse::<MutedKinds>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn muted_kinds_round_trip_and_refuse_unknown_ids() {
        let kinds = [ReminderKind::DailyAftercare, ReminderKind::TouchUpDue];
        let stored = MutedKinds::to_json(&kinds);
        assert_eq!(stored, r#"["daily_aftercare","touch_up_due"]"#);
        assert_eq!(stored.parse::<MutedKinds>().unwrap().0, kinds);
        assert!(r#"["sunbathing"]"#.parse::<MutedKinds>().is_err());
        assert!("not json".parse::<MutedKinds>().is_err());
    }
}
