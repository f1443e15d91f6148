//! An order's bucket number for each contact id, as narrow as the bucket count allows. Up to
//! 255 buckets (an order whose runs of equal keys are long, each run one bucket: an assignee,
//! a country) a label is a byte. Up to 1,023 it takes 10 bits and up to 4,095 (a million
//! contacts at 256 a bucket) 12, in two planes: its high 8 bits as a byte per contact and its
//! low 2 or 4 bits packed four or two to a byte (1.25 or 1.5 bytes a contact instead of 2: 0.75
//! or 0.5 MB off an order at a million). Past that, 2 bytes each. Labels widen as buckets are
//! added.
//!
//! A scan for a page's few buckets is a pass over every label, so every form is laid out for
//! vector instructions: labels are handled in groups of 64, and a narrow group's low bits for
//! labels `j`, `j + n`, `j + 2n`, … lie in its `j`th low byte (n = 32 for 4 bits, 16 for 2),
//! so that a group unpacks with shifts and masks alone (no shuffles).

/// Bucket numbers the byte form holds; each form's largest value marks an id that is not in
/// the order (a deleted contact, or an id never used).
const BYTE_BUCKETS: usize = (1 << 8) - 1;
const BYTE_ABSENT: u8 = BYTE_BUCKETS as u8;
/// The narrow forms' low bits: two or four beside the high byte.
const NARROW_BITS: [u32; 2] = [2, 4];
const WIDE_ABSENT: u16 = u16::MAX;
/// Labels handled at once in a scan.
const GROUP: usize = 64;

pub struct Labels {
    /// Ids covered (those not in the order are marked absent).
    len: usize,
    form: Form,
}

enum Form {
    /// A byte a label.
    Byte(Vec<u8>),
    /// Label `i` is `high[i] << bits | its low bits` (see the module comment); whole groups.
    Narrow {
        high: Vec<u8>,
        low: Vec<u8>,
        bits: u32,
    },
    Wide(Vec<u16>),
}

/// The most bucket numbers a narrow form of `bits` low bits holds; the next value marks an
/// absent id (every bit set, as the planes start out).
fn narrow_buckets(bits: u32) -> usize {
    (1 << (8 + bits)) - 1
}

/// Low bytes a group of a narrow form takes.
fn low_per_group(bits: u32) -> usize {
    GROUP * bits as usize / 8
}

/// Where the low bits of label `id` are: their byte and shift.
fn low_at(id: usize, bits: u32) -> (usize, u32) {
    let per = low_per_group(bits);
    let (group, i) = (id / GROUP, id % GROUP);
    (group * per + i % per, bits * (i / per) as u32)
}

impl Labels {
    /// `len` ids, none in the order yet, wide enough for `buckets` buckets.
    pub fn new(len: usize, buckets: usize) -> Labels {
        let form = if buckets <= BYTE_BUCKETS {
            Form::Byte(vec![BYTE_ABSENT; len])
        } else if let Some(bits) = NARROW_BITS.into_iter().find(|bits| buckets <= narrow_buckets(*bits)) {
            let groups = len.div_ceil(GROUP);
            Form::Narrow { high: vec![0xFF; groups * GROUP], low: vec![0xFF; groups * low_per_group(bits)], bits }
        } else {
            Form::Wide(vec![WIDE_ABSENT; len])
        };
        Labels { len, form }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The bucket of `id`, None when it is not in the order.
    pub fn get(&self, id: usize) -> Option<u16> {
        if id >= self.len {
            return None;
        }
        match &self.form {
            Form::Byte(labels) => (labels[id] != BYTE_ABSENT).then_some(u16::from(labels[id])),
            Form::Narrow { high, low, bits } => {
                let (byte, shift) = low_at(id, *bits);
                let label = u16::from(high[id]) << bits | (u16::from(low[byte] >> shift) & ((1 << bits) - 1));
                (usize::from(label) != narrow_buckets(*bits)).then_some(label)
            }
            Form::Wide(labels) => (labels[id] != WIDE_ABSENT).then_some(labels[id]),
        }
    }

    /// Takes `id` out of the order.
    pub fn clear(&mut self, id: usize) {
        if id < self.len {
            self.write(id, self.holds() as u16);
        }
    }

    /// Bucket numbers the form holds (the next value marks an absent id).
    fn holds(&self) -> usize {
        match self.form {
            Form::Byte(_) => BYTE_BUCKETS,
            Form::Narrow { bits, .. } => narrow_buckets(bits),
            Form::Wide(_) => usize::from(WIDE_ABSENT),
        }
    }

    /// Sets the label of `id` (growing the ids covered, and the width when `label` needs it).
    pub fn set(&mut self, id: usize, label: u16) {
        self.make_room(usize::from(label) + 1);
        if id >= self.len {
            self.len = id + 1;
            match &mut self.form {
                Form::Byte(labels) => labels.resize(self.len, BYTE_ABSENT),
                Form::Narrow { high, low, bits } => {
                    let groups = self.len.div_ceil(GROUP);
                    high.resize(groups * GROUP, 0xFF);
                    low.resize(groups * low_per_group(*bits), 0xFF);
                }
                Form::Wide(labels) => labels.resize(self.len, WIDE_ABSENT),
            }
        }
        self.write(id, label);
    }

    fn write(&mut self, id: usize, label: u16) {
        match &mut self.form {
            Form::Byte(labels) => labels[id] = label as u8,
            Form::Narrow { high, low, bits } => {
                high[id] = (label >> *bits) as u8;
                let (byte, shift) = low_at(id, *bits);
                let mask = (1u8 << *bits) - 1;
                low[byte] = (low[byte] & !(mask << shift)) | (((label as u8) & mask) << shift);
            }
            Form::Wide(labels) => labels[id] = label,
        }
    }

    /// Widens the labels when bucket numbers below `buckets` do not fit.
    pub fn make_room(&mut self, buckets: usize) {
        if buckets <= self.holds() || matches!(self.form, Form::Wide(_)) {
            return;
        }
        let mut wider = Labels::new(self.len, buckets);
        for id in 0..self.len {
            if let Some(label) = self.get(id) {
                wider.write(id, label);
            }
        }
        *self = wider;
    }

    /// Adds `by` to every label at or above `first` (buckets inserted before them; the caller
    /// has made room for the new bucket count).
    pub fn shift_from(&mut self, first: u16, by: u16) {
        match &mut self.form {
            Form::Byte(labels) => {
                labels.iter_mut().filter(|l| u16::from(**l) >= first && **l != BYTE_ABSENT).for_each(|l| *l += by as u8)
            }
            Form::Narrow { high, low, bits } => {
                let (bits, absent) = (*bits, narrow_buckets(*bits) as u16);
                for (high, low) in high.chunks_exact_mut(GROUP).zip(low.chunks_exact_mut(low_per_group(bits))) {
                    let mut labels = unpack(high, low, bits);
                    let moves = |l: &u16| *l >= first && *l != absent;
                    if !labels.iter().any(moves) {
                        continue;
                    }
                    labels.iter_mut().filter(|l| moves(l)).for_each(|l| *l += by);
                    debug_assert!(labels.iter().all(|l| *l <= absent), "room made first");
                    pack(&labels, high, low, bits);
                }
            }
            Form::Wide(labels) => {
                labels.iter_mut().filter(|l| **l >= first && **l != WIDE_ABSENT).for_each(|l| *l += by)
            }
        }
    }

    /// Calls `f(id, label)` for every label in `lowest..=highest` (bucket numbers: never the
    /// mark of an absent id). A page's buckets hold a few
    /// hundred of a million labels: each group of 64 is reduced to its smallest distance from
    /// `lowest` (vector minimums), and only the few groups with a hit are looked at label by
    /// label.
    pub fn scan(&self, lowest: u16, highest: u16, mut f: impl FnMut(usize, u16)) {
        let span = highest.wrapping_sub(lowest);
        self.groups(|first_id, labels| {
            if labels.iter().fold(u16::MAX, |m, l| m.min(l.wrapping_sub(lowest))) <= span {
                for (id, l) in (first_id..self.len).zip(labels) {
                    if l.wrapping_sub(lowest) <= span {
                        f(id, *l);
                    }
                }
            }
            true
        });
    }

    /// The ids labelled `label` whose places among them, in id order, are `wanted` (a page's
    /// part of a bucket whose members are in id order). Whole groups of 64 are counted (vector
    /// compares); only the groups `wanted` falls in are looked at label by label.
    pub fn ranked(&self, label: u16, wanted: std::ops::Range<u64>) -> Vec<u32> {
        let mut found = Vec::with_capacity(wanted.end.saturating_sub(wanted.start) as usize);
        let mut seen = 0u64;
        self.groups(|first_id, labels| {
            let here = labels.iter().filter(|l| **l == label).count() as u64;
            if seen + here > wanted.start {
                for (id, l) in (first_id..self.len).zip(labels) {
                    if *l == label {
                        if wanted.contains(&seen) {
                            found.push(id as u32);
                        }
                        seen += 1;
                    }
                }
            } else {
                seen += here;
            }
            seen < wanted.end
        });
        found
    }

    /// Calls `visit(first id, labels)` for each group of 64 labels (fewer in the last one),
    /// in id order, until it answers false.
    fn groups(&self, mut visit: impl FnMut(usize, &[u16]) -> bool) {
        match &self.form {
            Form::Byte(labels) => {
                let mut wide = [0u16; GROUP];
                for (g, group) in labels.chunks(GROUP).enumerate() {
                    group.iter().zip(wide.iter_mut()).for_each(|(l, w)| *w = u16::from(*l));
                    if !visit(g * GROUP, &wide[..group.len()]) {
                        return;
                    }
                }
            }
            Form::Narrow { high, low, bits } => {
                for (g, (high, low)) in high.chunks_exact(GROUP).zip(low.chunks_exact(low_per_group(*bits))).enumerate()
                {
                    if !visit(g * GROUP, &unpack(high, low, *bits)) {
                        return;
                    }
                }
            }
            Form::Wide(labels) => {
                for (g, group) in labels.chunks(GROUP).enumerate() {
                    if !visit(g * GROUP, group) {
                        return;
                    }
                }
            }
        }
    }

    pub fn bytes(&self) -> usize {
        match &self.form {
            Form::Byte(labels) => labels.capacity(),
            Form::Narrow { high, low, .. } => high.capacity() + low.capacity(),
            Form::Wide(labels) => labels.capacity() * 2,
        }
    }
}

/// The labels of a narrow group (`high`: 64 bytes, `low`: its low bytes).
fn unpack(high: &[u8], low: &[u8], bits: u32) -> [u16; GROUP] {
    match bits {
        2 => unpack_bits::<2>(high, low),
        _ => unpack_bits::<4>(high, low),
    }
}

fn unpack_bits<const BITS: u32>(high: &[u8], low: &[u8]) -> [u16; GROUP] {
    let per = low_per_group(BITS);
    let mask = (1u8 << BITS) - 1;
    let mut labels = [0u16; GROUP];
    for part in 0..GROUP / per {
        for (j, low) in low[..per].iter().enumerate() {
            let i = part * per + j;
            labels[i] = u16::from(high[i]) << BITS | u16::from((low >> (BITS * part as u32)) & mask);
        }
    }
    labels
}

/// Writes a narrow group's labels back into its planes.
fn pack(labels: &[u16; GROUP], high: &mut [u8], low: &mut [u8], bits: u32) {
    let per = low_per_group(bits);
    let mask = (1u16 << bits) - 1;
    low.fill(0);
    for (i, label) in labels.iter().enumerate() {
        high[i] = (label >> bits) as u8;
        low[i % per] |= ((label & mask) as u8) << (bits * (i / per) as u32);
    }
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

    /// Random sets, clears, shifts and widenings against a plain list of labels, in every form.
    #[test]
    fn labels_agree_with_a_plain_list_through_every_form() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut labels, mut model) = (Labels::new(0, 1), Vec::<Option<u16>>::new());
        let mut buckets = 1u64;
        for step in 0..6_000 {
            if step % 1_000 == 999 {
                // More buckets: 255 → 10 bits → 12 bits → 2 bytes.
                buckets = [300, 1_023, 4_000, 9_000, 9_000, 9_000][step / 1_000];
                labels.make_room(buckets as usize);
            }
            let id = next(700) as usize;
            match next(10) {
                0 => {
                    labels.clear(id);
                    if id < model.len() {
                        model[id] = None;
                    }
                }
                1 => {
                    let (first, by) = (next(buckets) as u16, 1 + next(3) as u16);
                    let highest = model.iter().flatten().copied().max().unwrap_or(0);
                    if u64::from(highest + by) < buckets {
                        labels.shift_from(first, by);
                        model.iter_mut().flatten().filter(|l| **l >= first).for_each(|l| *l += by);
                    }
                }
                _ => {
                    let label = next(buckets) as u16;
                    labels.set(id, label);
                    if id >= model.len() {
                        model.resize(id + 1, None);
                    }
                    model[id] = Some(label);
                }
            }
            if step % 250 == 0 {
                assert_eq!(labels.len(), model.len());
                assert!((0..model.len() + 70).all(|id| labels.get(id) == model.get(id).copied().flatten()));
                let (lowest, highest) = (next(buckets) as u16, next(buckets) as u16);
                let mut seen = Vec::new();
                labels.scan(lowest.min(highest), lowest.max(highest), |id, l| seen.push((id, l)));
                let range = lowest.min(highest)..=lowest.max(highest);
                let wanted: Vec<(usize, u16)> = model
                    .iter()
                    .enumerate()
                    .filter_map(|(id, l)| Some((id, (*l)?)))
                    .filter(|(_, l)| range.contains(l))
                    .collect();
                assert_eq!(seen, wanted, "step {step}");
                let label = model.iter().flatten().next().copied().unwrap_or(0);
                let holders: Vec<u32> =
                    model.iter().enumerate().filter(|(_, l)| **l == Some(label)).map(|(id, _)| id as u32).collect();
                let end = holders.len() as u64;
                assert_eq!(labels.ranked(label, end / 3..end), holders[holders.len() / 3..].to_vec());
            }
        }
        assert!(matches!(labels.form, Form::Wide(_)));
    }

    #[test]
    fn byte_labels_widen_through_10_and_12_bits_and_rank_members_in_id_order() {
        let mut labels = Labels::new(300, 10);
        assert!(matches!(labels.form, Form::Byte(_)));
        let expected = |id: usize| (id % 7) as u16;
        for id in 0..300 {
            labels.set(id, expected(id));
        }
        labels.clear(3);
        check_scan(&labels, 2, 4);
        // Label 3 is held by 10, 17, 24, … (3 itself cleared): its members at places 2..5.
        assert_eq!(labels.ranked(3, 2..5), vec![24, 31, 38]);
        assert_eq!(labels.ranked(3, 40..50), vec![290, 297]);
        assert_eq!(labels.ranked(3, 0..0), Vec::<u32>::new());
        // More buckets than a byte names: the labels widen first, keeping what they hold.
        labels.make_room(257);
        assert!(matches!(labels.form, Form::Narrow { bits: 2, .. }));
        labels.shift_from(5, 250);
        assert_eq!((labels.get(3), labels.get(4), labels.get(5), labels.get(6)), (None, Some(4), Some(255), Some(256)));
        check_scan(&labels, 255, 300);
        labels.set(297, 1000);
        assert!(matches!(labels.form, Form::Narrow { bits: 2, .. }));
        labels.set(298, 2000);
        assert!(matches!(labels.form, Form::Narrow { bits: 4, .. }));
        assert_eq!(
            (labels.get(3), labels.get(6), labels.get(297), labels.get(298)),
            (None, Some(256), Some(1000), Some(2000))
        );
        check_scan(&labels, 256, 1000);
        labels.set(299, 5000);
        assert!(matches!(labels.form, Form::Wide(_)));
        assert_eq!(
            (labels.get(297), labels.get(298), labels.get(299), labels.get(300)),
            (Some(1000), Some(2000), Some(5000), None)
        );
        assert_eq!(labels.ranked(4, 0..2), vec![4, 11]);
    }

    #[test]
    fn labels_read_back_across_growth_widening_and_shifts() {
        let mut labels = Labels::new(1001, 4000);
        assert!(matches!(labels.form, Form::Narrow { .. }));
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
        // Growing past the end and past 4,095 buckets keeps what was there.
        labels.set(1500, 5000);
        assert!(matches!(labels.form, Form::Wide(_)));
        assert!((0..1001).all(|id| labels.get(id) == Some(shifted(expected(id)))));
        assert_eq!((labels.get(1200), labels.get(1500)), (None, Some(5000)));
        labels.clear(7);
        assert_eq!(labels.get(7), None);
        labels.shift_from(0, 1);
        assert_eq!((labels.get(7), labels.get(1200), labels.get(1500)), (None, None, Some(5001)));
        check_scan(&labels, 110, 120);
    }
}
