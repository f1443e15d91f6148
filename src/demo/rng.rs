//! The demo's deterministic randomness: a small PRNG (splitmix64; fast, good enough for fake
//! data, and no crate) and the weighted draws built on it. The same seed gives the same data.

pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi, "an empty range {lo}..={hi}");
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// True with probability `percent`/100.
    pub(super) fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// An index drawn by cumulative weights.
    pub(super) fn weighted(&mut self, cumulative: &[u32]) -> usize {
        let total = *cumulative.last().unwrap_or(&1);
        let x = self.below(total as usize) as u32;
        cumulative.partition_point(|&c| c <= x)
    }

    pub(super) fn hex(&mut self, digits: usize, out: &mut String) {
        for _ in 0..digits {
            out.push(char::from_digit(self.below(16) as u32, 16).unwrap_or('0'));
        }
    }
}

pub(super) fn cumulative(weights: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut sum = 0;
    weights
        .into_iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

/// Zipf-like weights (1/k^s scaled) for `n` ranked items.
pub(super) fn zipf(n: usize, s: f64) -> Vec<u32> {
    cumulative((1..=n).map(|k| (10_000.0 / (k as f64).powf(s)).round().max(1.0) as u32))
}
