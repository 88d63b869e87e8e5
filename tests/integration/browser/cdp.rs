//! A DevTools-protocol session on one target (a page or a service worker) over its
//! WebSocket: commands with their answers, and the events WebDriver cannot deliver
//! (`ServiceWorker.workerRegistrationUpdated`, console messages, CSP reports).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_tungstenite::tungstenite::Message;

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

pub struct Cdp {
    outgoing: mpsc::UnboundedSender<Message>,
    pending: Pending,
    events: Arc<Mutex<Vec<Value>>>,
    arrived: Arc<Notify>,
    next_id: AtomicU64,
}

impl Cdp {
    /// Connects to a target's `webSocketDebuggerUrl`.
    pub async fn connect(ws_url: &str) -> Cdp {
        let (socket, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .unwrap_or_else(|e| panic!("DevTools WebSocket {ws_url}: {e}"));
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut queue) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(message) = queue.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let events: Arc<Mutex<Vec<Value>>> = Arc::default();
        let arrived = Arc::new(Notify::new());
        let (p, e, a) = (pending.clone(), events.clone(), arrived.clone());
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match value.get("id").and_then(Value::as_u64) {
                    Some(id) => {
                        if let Some(reply) = p.lock().unwrap().remove(&id) {
                            let _ = reply.send(value);
                        }
                    }
                    None => {
                        e.lock().unwrap().push(value);
                        a.notify_waiters();
                    }
                }
            }
        });
        Cdp {
            outgoing,
            pending,
            events,
            arrived,
            next_id: AtomicU64::new(1),
        }
    }

    /// Sends a command and waits for its result (an error answer is `Err`).
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, reply);
        let request = json!({ "id": id, "method": method, "params": params });
        self.outgoing
            .send(Message::Text(request.to_string().into()))
            .map_err(|_| "DevTools socket closed".to_string())?;
        let answer = tokio::time::timeout(Duration::from_secs(20), answer)
            .await
            .map_err(|_| format!("{method}: no answer in 20 s"))?
            .map_err(|_| format!("{method}: socket closed"))?;
        match answer.get("error") {
            Some(error) => Err(format!("{method}: {error}")),
            None => Ok(answer["result"].clone()),
        }
    }

    /// `call` that must succeed.
    pub async fn must(&self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .await
            .unwrap_or_else(|e| panic!("DevTools {e}"))
    }

    /// Every event received so far.
    pub fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    /// Waits for an event `method` whose params satisfy `matches` (earlier ones count).
    pub async fn wait_event(
        &self,
        method: &str,
        matches: impl Fn(&Value) -> bool,
        within: Duration,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            // Registered before looking, so an event that lands in between still wakes us.
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let found = self
                .events
                .lock()
                .unwrap()
                .iter()
                .find(|e| e["method"] == method && matches(&e["params"]))
                .cloned();
            if let Some(event) = found {
                return event;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("no DevTools event {method} within {within:?}");
            }
        }
    }
}
