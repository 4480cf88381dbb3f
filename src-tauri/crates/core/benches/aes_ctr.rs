//! AES-256-CTR throughput of the core alone: what encrypting a chunk costs before it is sent.
//! Run with `cargo bench -p cirrus-core --bench aes_ctr`; `make bench` reads the median.

use cirrus_core::crypto::AesCtrKey;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn apply_at(c: &mut Criterion) {
    let key = AesCtrKey::new([7; 32], [9; 16]);
    let mut buf = vec![0u8; 1 << 20];
    let mut g = c.benchmark_group("aes_ctr/apply_at");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    // An unaligned offset: chunks of a resumed upload start mid-block.
    g.bench_function("1MiB", |b| {
        b.iter(|| key.apply_at(black_box(12_345), black_box(&mut buf)))
    });
    g.finish();
}

criterion_group!(benches, apply_at);
criterion_main!(benches);
