//! `POST/GET /v1/me/push-subscriptions`: a subscription belongs to the client that
//! registered it, and the list tells an app when its subscription stopped working.

use serde_json::{json, Value};
use smp_aftercare::db::push_subscriptions;

use crate::db_test;
use crate::engine::{onboard, utc};
use crate::helpers::*;
use crate::peers::PushPeer;

const PATH: &str = "/v1/me/push-subscriptions";

async fn items(app: &TestApp, token: &str) -> Vec<Value> {
    let list: Value = app
        .clinic_client(token)
        .get(PATH)
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().clone()
}

db_test!(an_endpoint_of_another_client_is_never_taken_over, |app| {
    let push = PushPeer::start();
    // Two clients of two clinics (onboard creates a clinic each time).
    let (bea_id, bea) = onboard(&app, "bea@clinic-b.test", "UTC", json!(["2026-03-02"])).await;
    let (ana_id, ana) = onboard(&app, "ana@clinic-a.test", "UTC", json!(["2026-03-02"])).await;
    let beas_device = push.subscribe("201").await;
    let registered = app
        .clinic_client(&bea)
        .post(PATH, beas_device.clone())
        .await;
    assert_eq!(registered.status(), 201);
    let registered: Value = registered.json().await.unwrap();

    // Ana posts Bea's endpoint with keys of her own.
    let mut forged = push.subscribe("201").await;
    forged["endpoint"] = beas_device["endpoint"].clone();
    let response = app.clinic_client(&ana).post(PATH, forged.clone()).await;
    assert_eq!(response.status(), 201, "a new registration for the caller");
    let anas: Value = response.json().await.unwrap();
    assert_ne!(anas["id"], registered["id"], "never another client's id");

    // Bea keeps her subscription, with her keys; Ana has her own row.
    let beas = items(&app, &bea).await;
    assert_eq!(beas.len(), 1, "{beas:?}");
    assert_eq!(beas[0]["id"], registered["id"]);
    let mut conn = app.pool.get().unwrap();
    let stored = push_subscriptions::find(&mut conn, registered["id"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(stored.client_id, bea_id);
    assert_eq!(
        stored.p256dh,
        beas_device["keys"]["p256dh"].as_str().unwrap()
    );
    assert_eq!(stored.auth, beas_device["keys"]["auth"].as_str().unwrap());
    let anas_list = items(&app, &ana).await;
    assert_eq!(anas_list.len(), 1);
    assert_eq!(anas_list[0]["id"], anas["id"]);

    // Ana registering it again refreshes her own row, still not Bea's.
    let again = app.clinic_client(&ana).post(PATH, forged).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], anas["id"]);
    let stored = push_subscriptions::find(&mut conn, anas["id"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(stored.client_id, ana_id);
    assert_eq!(items(&app, &bea).await[0]["id"], registered["id"]);
});

db_test!(
    a_gone_subscription_is_listed_disabled_until_registered_again,
    |app| {
        let push = PushPeer::start();
        let (_, token) = onboard(&app, "ana@client.test", "UTC", json!(["2026-03-02"])).await;
        let me = app.clinic_client(&token);
        me.patch("/v1/me/preferences", json!({"channels": {"email": false}}))
            .await;
        let device = push.subscribe("410").await;
        let created: Value = me.post(PATH, device.clone()).await.json().await.unwrap();
        assert_eq!(created["status"], "active", "{created}");
        assert_eq!(created["disabled_at"], Value::Null);

        // The push service says 410 Gone: the engine disables the subscription.
        let report = app.engine().run_once(utc(2026, 3, 2, 8, 0)).await.unwrap();
        assert_eq!(report.dispatched.failed, 1, "{report:?}");
        let listed = items(&app, &token).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["id"], created["id"]);
        assert_eq!(listed[0]["status"], "disabled", "{listed:?}");
        assert_eq!(listed[0]["disabled_at"], "2026-03-02T08:00:00Z");
        assert!(
            listed[0]["disabled_reason"]
                .as_str()
                .unwrap()
                .contains("410"),
            "{listed:?}"
        );

        // The app subscribes again with the same endpoint: the same row, active again.
        let again = me.post(PATH, device).await;
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["id"], created["id"]);
        assert_eq!(again["status"], "active", "{again}");
        assert_eq!(again["disabled_at"], Value::Null);
        assert_eq!(again["disabled_reason"], Value::Null);
        assert_eq!(items(&app, &token).await[0]["status"], "active");
    }
);
