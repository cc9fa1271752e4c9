//! The client scenario of test/compat/clients (steps and JSON output: ../py/scenario_common.py)
//! with the Rust rdkafka crate (librdkafka underneath, here Debian's, linked dynamically):
//!
//!   runnel-compat-rdkafka '{"bootstrap":"h:p","topic":T,"group":G,"partitions":3,"count":500,"resume":50,"producer":{...}}'
//!
//! Admin through AdminClient (create / delete topics) and the client's metadata and group list,
//! produce through a BaseProducer (acks=all; delivery reports give each record's offset), consume
//! through a BaseConsumer in the group with manual commits, then a resumed member. "producer" and
//! "consumer" are librdkafka properties (e.g. {"enable.idempotence": "true", "compression.type": "zstd"}).
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_executor::block_on;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::{json, Map, Value};

const T: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Out {
    produced: Vec<Value>,
    produce_errors: Vec<String>,
}

struct Delivery(Arc<Mutex<Out>>);
impl ClientContext for Delivery {}
impl ProducerContext for Delivery {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        let mut out = self.0.lock().unwrap();
        match r {
            Ok(m) => {
                let v = String::from_utf8_lossy(m.payload().unwrap_or_default()).to_string();
                out.produced.push(json!([v, m.partition(), m.offset()]));
            }
            Err((e, _)) => out.produce_errors.push(e.to_string()),
        }
    }
}

fn config(bootstrap: &str, extra: Option<&Value>) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap);
    if let Some(Value::Object(m)) = extra {
        for (k, v) in m {
            c.set(k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
        }
    }
    c
}

fn step(admin: &mut Map<String, Value>, name: &str, r: Result<Value, String>) {
    admin.insert(name.into(), r.unwrap_or_else(|e| Value::String(format!("ERR {e}"))));
}

fn record_of(m: &BorrowedMessage<'_>) -> Value {
    let hs: Vec<Value> = m
        .headers()
        .map(|h| h.iter().map(|h| json!([h.key, String::from_utf8_lossy(h.value.unwrap_or_default())])).collect())
        .unwrap_or_default();
    let key = m.key().map(|k| Value::String(String::from_utf8_lossy(k).into()));
    json!([key, String::from_utf8_lossy(m.payload().unwrap_or_default()), hs, m.partition(), m.offset()])
}

fn main() {
    let a: Value = serde_json::from_str(&std::env::args().nth(1).expect("usage: runnel-compat-rdkafka '{json}'")).expect("bad options");
    let bootstrap = a["bootstrap"].as_str().unwrap().to_string();
    let topic = a["topic"].as_str().unwrap().to_string();
    let group = a["group"].as_str().unwrap().to_string();
    let partitions = a["partitions"].as_i64().unwrap_or(3) as i32;
    let count = a["count"].as_i64().unwrap_or(500) as usize;
    let resume = a["resume"].as_i64().unwrap_or(50) as usize;
    let timeout = Duration::from_secs(a["timeout"].as_u64().unwrap_or(45));
    let t0 = Instant::now();
    let mut admin_out = Map::new();
    let mut consumed: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut consume_errors: Vec<String> = vec![];
    let mut committed = Map::new();

    let admin: AdminClient<DefaultClientContext> = config(&bootstrap, None).create().expect("admin client");
    let opts = AdminOptions::new().operation_timeout(Some(T));
    step(&mut admin_out, "create", match block_on(admin.create_topics(&[NewTopic::new(&topic, partitions, TopicReplication::Fixed(1))], &opts)) {
        Ok(rs) => match &rs[0] {
            Ok(_) => Ok(json!("ok")),
            Err((_, code)) => Err(format!("{code:?}")),
        },
        Err(e) => Err(e.to_string()),
    });
    step(&mut admin_out, "partitions", admin.inner().fetch_metadata(Some(&topic), T).map(|m| json!(m.topics()[0].partitions().len())).map_err(|e| e.to_string()));
    step(&mut admin_out, "listed", admin.inner().fetch_metadata(None, T).map(|m| json!(m.topics().iter().any(|t| t.name() == topic))).map_err(|e| e.to_string()));
    step(&mut admin_out, "nodes", admin.inner().fetch_metadata(None, T).map(|m| json!(m.brokers().len())).map_err(|e| e.to_string()));

    let out = Arc::new(Mutex::new(Out::default()));
    let mut pc = config(&bootstrap, a.get("producer"));
    pc.set("acks", "all");
    let producer: BaseProducer<Delivery> = pc.create_with_context(Delivery(out.clone())).expect("producer");
    let produce = |first: usize, n: usize| {
        for i in first..first + n {
            let (k, v, h) = (format!("k{}", i % 37), format!("v{i}"), format!("x{i}"));
            let mut rec = BaseRecord::to(&topic).key(&k).payload(&v).headers(OwnedHeaders::new().insert(Header { key: "h", value: Some(&h) }));
            loop {
                match producer.send(rec) {
                    Ok(()) => break,
                    Err((e, r)) => {
                        if e.rdkafka_error_code() != Some(rdkafka::types::RDKafkaErrorCode::QueueFull) {
                            out.lock().unwrap().produce_errors.push(e.to_string());
                            break;
                        }
                        producer.poll(Duration::from_millis(10));
                        rec = r;
                    }
                }
            }
        }
        if let Err(e) = producer.flush(Duration::from_secs(60)) {
            out.lock().unwrap().produce_errors.push(format!("flush: {e}"));
        }
    };

    let mut consume = |into: &'static str, want: usize, consume_errors: &mut Vec<String>, committed: &mut Map<String, Value>| {
        let mut cc = config(&bootstrap, a.get("consumer"));
        cc.set("group.id", &group).set("auto.offset.reset", "earliest").set("enable.auto.commit", "false").set("allow.auto.create.topics", "false");
        let c: BaseConsumer = cc.create().expect("consumer");
        c.subscribe(&[&topic]).expect("subscribe");
        let mut got = vec![];
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        let mut poll = |until: Instant, stop_at: Option<usize>| {
            while Instant::now() < until && stop_at.map_or(true, |s| got.len() < s) {
                match c.poll(Duration::from_millis(200)) {
                    Some(Ok(m)) => {
                        next.insert(m.partition(), m.offset() + 1);
                        got.push(record_of(&m));
                    }
                    Some(Err(e)) => {
                        if consume_errors.len() < 20 {
                            consume_errors.push(e.to_string())
                        }
                    }
                    None => {}
                }
            }
        };
        poll(Instant::now() + timeout, Some(want));
        poll(Instant::now() + Duration::from_secs(1), None); // anything more is a duplicate
        let mut tpl = TopicPartitionList::new();
        for (p, o) in &next {
            tpl.add_partition_offset(&topic, *p, Offset::Offset(*o)).unwrap();
        }
        if tpl.count() > 0 {
            if let Err(e) = c.commit(&tpl, CommitMode::Sync) {
                consume_errors.push(format!("commit: {e}"));
            }
        }
        let mut all = TopicPartitionList::new();
        for p in 0..partitions {
            all.add_partition(&topic, p);
        }
        match c.committed_offsets(all, T) {
            Ok(tpl) => {
                for e in tpl.elements() {
                    if let Offset::Offset(o) = e.offset() {
                        committed.insert(e.partition().to_string(), json!(o));
                    }
                }
            }
            Err(e) => consume_errors.push(format!("committed: {e}")),
        }
        c.unsubscribe();
        drop(c); // closes the consumer: leaves the group
        consumed.insert(into, got);
    };
    produce(0, count);
    consume("consumed", count, &mut consume_errors, &mut committed);
    produce(count, resume);
    consume("resumed", resume, &mut consume_errors, &mut committed);
    drop(producer);

    let groups = |timeout: Duration| -> Result<(bool, Value), String> {
        let gl = admin.inner().fetch_group_list(None, timeout).map_err(|e| e.to_string())?;
        let g = gl.groups().iter().find(|g| g.name() == group);
        Ok((g.is_some(), g.map_or(Value::Null, |g| json!({"state": g.state(), "members": g.members().len()}))))
    };
    step(&mut admin_out, "listedGroup", groups(T).map(|(listed, _)| json!(listed)));
    step(&mut admin_out, "describedGroup", admin.inner().fetch_group_list(Some(&group), T).map_err(|e| e.to_string()).map(|gl| {
        gl.groups().first().map_or(Value::Null, |g| json!({"state": g.state(), "members": g.members().len()}))
    }));
    // The group's offsets as an admin reads them: OffsetFetch from a client that does not join.
    let mut gc = config(&bootstrap, None);
    gc.set("group.id", &group);
    let reader: BaseConsumer = gc.create().expect("offsets reader");
    let mut all = TopicPartitionList::new();
    for p in 0..partitions {
        all.add_partition(&topic, p);
    }
    step(&mut admin_out, "groupOffsets", reader.committed_offsets(all, T).map_err(|e| e.to_string()).map(|tpl| {
        let mut m = Map::new();
        for e in tpl.elements() {
            if let Offset::Offset(o) = e.offset() {
                m.insert(e.partition().to_string(), json!(o));
            }
        }
        Value::Object(m)
    }));
    drop(reader);
    step(&mut admin_out, "delete", match block_on(admin.delete_topics(&[&topic], &opts)) {
        Ok(rs) => match &rs[0] {
            Ok(_) => Ok(json!("ok")),
            Err((_, code)) => Err(format!("{code:?}")),
        },
        Err(e) => Err(e.to_string()),
    });
    std::thread::sleep(Duration::from_millis(500));
    step(&mut admin_out, "deleted", admin.inner().fetch_metadata(None, T).map(|m| json!(!m.topics().iter().any(|t| t.name() == topic))).map_err(|e| e.to_string()));

    let (version_n, version_s) = rdkafka::util::get_rdkafka_version();
    let o = out.lock().unwrap();
    let result = json!({
        "client": "rdkafka (Rust)",
        "version": format!("rdkafka 0.33.2 / librdkafka {version_s} (0x{version_n:x})"),
        "admin": admin_out,
        "produced": o.produced,
        "produceErrors": o.produce_errors,
        "consumed": consumed.remove("consumed").unwrap_or_default(),
        "resumed": consumed.remove("resumed").unwrap_or_default(),
        "consumeErrors": consume_errors,
        "committed": committed,
        "ms": t0.elapsed().as_millis() as u64,
    });
    println!("{result}");
}
