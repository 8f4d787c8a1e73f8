//! `make bench`, overlap rows: the O(n log n) overlap detector (`check::overlap::overlapping_pairs`)
//! against the naive all-pairs version (`overlapping_pairs_naive`, kept in the library for the
//! property test and this comparison) on 1k, 10k and 100k random IPv4 prefixes.
//!
//! The prefixes come from a fixed-seed generator (splitmix64), so every run times the same input:
//! random addresses over the whole IPv4 space with prefix lengths 8 to 32, which nest often enough
//! that both versions report pairs (about 1.5 million for the naive one at 100k).
//!
//! Criterion times every case except the naive one at 100k (about 5·10⁹ pair tests, seconds per
//! run): that one runs once, outside criterion, after a 10k run to warm up, and its time goes to
//! `target/bench/overlap-naive-100000.json` (`{"ns": …, "runs": 1, "pairs": …}`). It is skipped
//! when a filter that does not match `overlap/naive/100000` is given, and under `--test`.
//!
//! Budgets (issue 9): 100k prefixes under 100 ms; t(100k) / t(10k) near 10 × log ratio (≈ 12.5)
//! for O(n log n), where O(n²) gives 100.

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use ipnet::Ipv4Net;
use tunnelsmith::check::overlap::{overlapping_pairs, overlapping_pairs_naive};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const SEED: u64 = 0x7475_6e6e_656c_7331; // "tunnels1"

/// splitmix64: a tiny deterministic generator (no crate needed for a fixed input).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// `n` prefixes, the same ones on every run.
fn prefixes(n: usize) -> Vec<Ipv4Net> {
    let mut rng = SplitMix(SEED);
    (0..n)
        .map(|_| {
            let r = rng.next();
            let len = 8 + (r >> 32) as u8 % 25;
            Ipv4Net::new(Ipv4Addr::from(r as u32), len).expect("length 8..=32").trunc()
        })
        .collect()
}

fn overlap(c: &mut Criterion) {
    let mut group = c.benchmark_group("overlap");
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let nets = prefixes(n);
        group.bench_with_input(BenchmarkId::new("fast", n), &nets, |b, nets| b.iter(|| overlapping_pairs(nets)));
    }
    // The naive version at 10k takes about 0.1 s a run: criterion's minimum of 10 samples.
    group.sample_size(10);
    for n in &SIZES[..2] {
        let nets = prefixes(*n);
        group.bench_with_input(BenchmarkId::new("naive", n), &nets, |b, nets| b.iter(|| overlapping_pairs_naive(nets)));
    }
    group.finish();
}

/// The naive version at 100k, once (see the module doc), unless filtered out.
fn naive_once(n: usize) {
    let id = format!("overlap/naive/{n}");
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--test" || a == "--list") {
        return;
    }
    if args.iter().any(|a| !a.starts_with('-') && !id.contains(a.as_str())) {
        return;
    }
    black_box(overlapping_pairs_naive(&prefixes(SIZES[1])));
    let nets = prefixes(n);
    let t0 = Instant::now();
    let pairs = black_box(overlapping_pairs_naive(black_box(&nets))).len();
    let ns = t0.elapsed().as_nanos();
    let dir =
        std::path::Path::new(&std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into())).join("bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let out = dir.join(format!("overlap-naive-{n}.json"));
    std::fs::write(&out, format!("{{\"ns\": {ns}, \"runs\": 1, \"pairs\": {pairs}}}\n")).expect("write the result");
    println!("{id:<40} one run: {:.3} s, {pairs} pairs (written to {})", ns as f64 / 1e9, out.display());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    overlap(&mut c);
    c.final_summary();
    naive_once(SIZES[2]);
}
