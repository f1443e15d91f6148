//! An order's bucket number for each contact id. Up to 4,096 buckets (a million contacts at 256
//! a bucket) a label takes 12 bits, in two planes: its high 8 bits as a byte per contact and
//! its low 4 as a nibble (1.5 bytes a contact instead of 2: 0.5 MB off each of the 21 orders
//! at a million). A scan for a page's few buckets runs over the byte plane alone, which is half
//! the bytes the 2-byte labels were, and reads a nibble only where the byte is in range. Past
//! 4,096 buckets the labels are widened to 2 bytes each.

/// Bucket numbers the narrow form holds.
const NARROW_BUCKETS: usize = 1 << 12;
/// Labels reduced to one minimum at a time in a scan.
const CHUNK: usize = 32;

pub enum Labels {
    /// Label `i` is `high[i] << 4 | low nibble i` (nibble `i` is `low[i / 2]`'s low half for
    /// even `i`, high half for odd).
    Narrow { high: Vec<u8>, low: Vec<u8> },
    Wide(Vec<u16>),
}

impl Labels {
    /// `len` labels of 0, wide enough for `buckets` buckets.
    pub fn new(len: usize, buckets: usize) -> Labels {
        if buckets <= NARROW_BUCKETS {
            Labels::Narrow { high: vec![0; len], low: vec![0; len.div_ceil(2)] }
        } else {
            Labels::Wide(vec![0; len])
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Labels::Narrow { high, .. } => high.len(),
            Labels::Wide(labels) => labels.len(),
        }
    }

    pub fn get(&self, id: usize) -> Option<u16> {
        match self {
            Labels::Narrow { high, low } => high.get(id).map(|h| u16::from(*h) << 4 | nibble(low, id)),
            Labels::Wide(labels) => labels.get(id).copied(),
        }
    }

    /// Sets the label of `id` (growing the ids covered, and the width when `label` needs it).
    pub fn set(&mut self, id: usize, label: u16) {
        self.make_room(usize::from(label) + 1);
        if id >= self.len() {
            self.resize(id + 1);
        }
        match self {
            Labels::Narrow { high, low } => {
                high[id] = (label >> 4) as u8;
                let byte = &mut low[id / 2];
                let shift = 4 * (id % 2);
                *byte = (*byte & !(0xF << shift)) | (((label & 0xF) as u8) << shift);
            }
            Labels::Wide(labels) => labels[id] = label,
        }
    }

    fn resize(&mut self, len: usize) {
        match self {
            Labels::Narrow { high, low } => {
                high.resize(len, 0);
                low.resize(len.div_ceil(2), 0);
            }
            Labels::Wide(labels) => labels.resize(len, 0),
        }
    }

    /// Widens the labels when bucket numbers below `buckets` do not fit.
    pub fn make_room(&mut self, buckets: usize) {
        if buckets <= NARROW_BUCKETS || matches!(self, Labels::Wide(_)) {
            return;
        }
        *self = Labels::Wide((0..self.len()).map(|id| self.get(id).unwrap_or(0)).collect());
    }

    /// Adds `by` to every label at or above `first` (buckets inserted before them; the caller
    /// has made room for the new bucket count).
    pub fn shift_from(&mut self, first: u16, by: u16) {
        match self {
            Labels::Narrow { high, low } => {
                for (pair, byte) in high.chunks_mut(2).zip(low.iter_mut()) {
                    for (k, h) in pair.iter_mut().enumerate() {
                        let shift = 4 * k;
                        let label = u16::from(*h) << 4 | (u16::from(*byte >> shift) & 0xF);
                        if label >= first {
                            let moved = label + by;
                            debug_assert!(usize::from(moved) < NARROW_BUCKETS, "room made first");
                            *h = (moved >> 4) as u8;
                            *byte = (*byte & !(0xF << shift)) | (((moved & 0xF) as u8) << shift);
                        }
                    }
                }
            }
            Labels::Wide(labels) => {
                for label in labels.iter_mut().filter(|l| **l >= first) {
                    *label += by;
                }
            }
        }
    }

    /// Calls `f(id, label)` for every label in `lowest..=highest`. A page's buckets hold a few
    /// hundred of a million labels: each chunk of 32 is compared with the range at once (vector
    /// compares and a bit mask), and only the labels in range are visited.
    pub fn scan(&self, lowest: u16, highest: u16, mut f: impl FnMut(usize, u16)) {
        match self {
            Labels::Narrow { high, low } => {
                // Bytes in range name the range's buckets and at most 30 around them.
                let (from, to) = ((lowest >> 4) as u8, (highest.min(0xFFF) >> 4) as u8);
                scan_chunks(high, from, to, |id, h| {
                    let label = u16::from(h) << 4 | nibble(low, id);
                    if (lowest..=highest).contains(&label) {
                        f(id, label);
                    }
                });
            }
            Labels::Wide(labels) => scan_chunks(labels, lowest, highest, f),
        }
    }

    pub fn bytes(&self) -> usize {
        match self {
            Labels::Narrow { high, low } => high.capacity() + low.capacity(),
            Labels::Wide(labels) => labels.capacity() * 2,
        }
    }
}

fn nibble(low: &[u8], id: usize) -> u16 {
    u16::from(low[id / 2] >> (4 * (id % 2))) & 0xF
}

/// Calls `f(index, value)` for the values in `lowest..=highest`, chunk by chunk as
/// [`Labels::scan`] says.
fn scan_chunks<T>(values: &[T], lowest: T, highest: T, mut f: impl FnMut(usize, T))
where
    T: Copy + Ord + num_like::WrappingSub,
{
    let span = highest.wrapping_sub(lowest);
    for (c, chunk) in values.chunks(CHUNK).enumerate() {
        // One bit per value in range (compares and a mask the compiler vectorizes), then
        // only the set bits are visited.
        let mut hits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |hits, (i, v)| hits | (u32::from(v.wrapping_sub(lowest) <= span) << i));
        while hits != 0 {
            let i = hits.trailing_zeros() as usize;
            hits &= hits - 1;
            f(c * CHUNK + i, chunk[i]);
        }
    }
}

/// The two integer types labels are scanned as.
mod num_like {
    pub trait WrappingSub {
        fn wrapping_sub(self, other: Self) -> Self;
    }

    macro_rules! wrapping_sub {
        ($($t:ty),*) => {$(
            impl WrappingSub for $t {
                fn wrapping_sub(self, other: $t) -> $t {
                    <$t>::wrapping_sub(self, other)
                }
            }
        )*};
    }
    wrapping_sub!(u8, u16);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_scan(labels: &Labels, lowest: u16, highest: u16) {
        let mut seen = Vec::new();
        labels.scan(lowest, highest, |id, l| seen.push((id, l)));
        let wanted: Vec<(usize, u16)> = (0..labels.len())
            .filter_map(|id| labels.get(id).map(|l| (id, l)))
            .filter(|(_, l)| (lowest..=highest).contains(l))
            .collect();
        assert!(!wanted.is_empty());
        assert_eq!(seen, wanted, "scan of {lowest}..={highest}");
    }

    #[test]
    fn labels_read_back_across_growth_widening_and_shifts() {
        let mut labels = Labels::new(1001, 4000);
        assert!(matches!(labels, Labels::Narrow { .. }));
        let expected = |id: usize| ((id * 7919) % 4000) as u16;
        for id in 0..1001 {
            labels.set(id, expected(id));
        }
        assert!((0..1001).all(|id| labels.get(id) == Some(expected(id))));
        assert_eq!(labels.get(1001), None);
        check_scan(&labels, 15, 17);
        check_scan(&labels, 3990, 4000);
        labels.shift_from(100, 3);
        let shifted = |l: u16| if l >= 100 { l + 3 } else { l };
        assert!((0..1001).all(|id| labels.get(id) == Some(shifted(expected(id)))));
        // Growing past the end and past 4,096 buckets keeps what was there.
        labels.set(1500, 5000);
        assert!(matches!(labels, Labels::Wide(_)));
        assert!((0..1001).all(|id| labels.get(id) == Some(shifted(expected(id)))));
        assert_eq!((labels.get(1200), labels.get(1500)), (Some(0), Some(5000)));
        check_scan(&labels, 110, 120);
    }
}
