//! The operator's queries: one filtered page of 100 from stores of 1,000 and 100,000
//! orders (the report's sixth figure is their ratio).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

#[path = "support/view.rs"]
mod view;

fn filtered_page(c: &mut Criterion) {
    let mut group = c.benchmark_group("filtered page of 100");
    for n in [1_000, 100_000] {
        let (engine, _) = view::engine_with_orders(n);
        let (filter, page) = (view::filter(), view::first_page());
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(view::ready(engine.orders(&filter, &page))))
        });
    }
    group.finish();
}

criterion_group!(benches, filtered_page);
criterion_main!(benches);
