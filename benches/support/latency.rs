//! Latency samples shared by the reaction benchmarks: criterion times batches, so each run's own
//! latency is kept here and the percentiles are printed once at the end.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use criterion::Criterion;

/// Every latency one benchmark measured.
pub(crate) struct Samples(Mutex<Vec<Duration>>);

impl Samples {
    pub(crate) const fn new() -> Self {
        Self(Mutex::new(Vec::new()))
    }

    /// Benchmarks `measure` as `group/name` (each call returns one latency), keeping every
    /// latency, then prints p50, p99 and the maximum over all of them, prefixed by `what`.
    pub(crate) fn bench(
        &self,
        c: &mut Criterion,
        (group, name): (&str, &str),
        sample_size: usize,
        measurement: Duration,
        what: &str,
        mut measure: impl FnMut() -> Duration,
    ) {
        let mut bench_group = c.benchmark_group(group);
        bench_group.sample_size(sample_size);
        bench_group.warm_up_time(Duration::from_millis(200));
        bench_group.measurement_time(measurement);
        bench_group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let latency = measure();
                    self.lock().push(latency);
                    total += latency;
                }
                total
            });
        });
        bench_group.finish();
        self.print(what);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Duration>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn print(&self, what: &str) {
        let mut samples = self.lock().clone();
        samples.sort_unstable();
        if let Some(&max) = samples.last() {
            let at = |quantile: f64| {
                let rank = (quantile * samples.len() as f64).ceil() as usize;
                samples[rank.clamp(1, samples.len()) - 1]
            };
            eprintln!(
                "{what} over {} runs: p50 {:?}, p99 {:?}, max {:?}",
                samples.len(),
                at(0.50),
                at(0.99),
                max
            );
        }
    }
}
