//! The memory store's cost of keeping a settled order compact: loading one (the
//! record's bytes decompressed and deserialized) and saving one (serialized and
//! compressed), each beside the same on an order kept typed.

use std::hint::black_box;

use avc_order_sync::{OrderKey, OrderStore, StoredOrder};
use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};

#[allow(dead_code)]
#[path = "support/callgrind.rs"]
mod callgrind;
#[allow(dead_code)]
#[path = "support/outside.rs"]
mod outside;
#[allow(dead_code)]
#[path = "support/steady.rs"]
mod steady;

/// A store holding a few Direct Fulfillment orders synced to the end by the engine,
/// and one of them.
fn settled() -> (steady::Steady, OrderKey, StoredOrder) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let start: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().expect("a valid time");
    let mut world = steady::Steady::new(20, start);
    runtime.block_on(async {
        world.settle().await;
        world
            .clock
            .advance(std::time::Duration::from_secs(3 * 3600));
        world.settle().await;
    });
    let all = world.store.snapshot().expect("the memory store decodes");
    let (key, stored) = all.get(all.len() / 2).cloned().expect("orders settled");
    (world, key, stored)
}

fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = Box::pin(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn settled_order(c: &mut Criterion) {
    let (world, key, stored) = settled();
    let store = &world.store;
    let json = serde_json::to_vec(&stored.record).expect("records serialize");
    let wakeup: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().expect("a valid time");
    let mut group = c.benchmark_group("settled order");
    group.bench_function("load, compact", |b| {
        b.iter(|| black_box(store.get(black_box(&key))))
    });
    group.bench_function("deserialize its json alone", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<
                avc_order_sync::lifecycle::OrderRecord,
            >(black_box(&json)))
        })
    });
    let mut version = stored.version;
    group.bench_function("save, compact", |b| {
        b.iter(|| {
            version = ready(store.save(&key, &stored.record, None, None, Some(version)))
                .expect("the version just saved");
        })
    });
    // The same order with a wake-up is kept typed.
    version = ready(store.save(&key, &stored.record, None, Some(wakeup), Some(version)))
        .expect("the version just saved");
    group.bench_function("load, typed", |b| {
        b.iter(|| black_box(store.get(black_box(&key))))
    });
    group.bench_function("save, typed", |b| {
        b.iter(|| {
            version = ready(store.save(&key, &stored.record, None, Some(wakeup), Some(version)))
                .expect("the version just saved");
        })
    });
    group.finish();
}

criterion_group!(benches, settled_order);
criterion_main!(benches);
