//! An order's bucket number for each contact id, as narrow as the bucket count allows. Up to
//! 255 buckets (an order whose runs of equal keys are long, each run one bucket: an assignee,
//! a country) a label is a byte. Up to 4,095 (a million contacts at 256 a bucket) it takes 12
//! bits, in two planes: its high 8 bits as a byte per contact and its low 4 as a nibble (1.5
//! bytes a contact instead of 2: 0.5 MB off an order at a million). Past that, 2 bytes each.
//! Labels widen as buckets are added.
//!
//! A scan for a page's few buckets is a pass over every label, so both forms are laid out for
//! vector instructions: labels are handled in groups of 64, and a narrow group's nibbles are
//! the low halves of 32 bytes for its first 32 labels and the high halves for the next 32, so
//! that a group unpacks with shifts and masks alone (no shuffles).

/// Bucket numbers the byte and narrow forms hold; each form's largest value marks an id that
/// is not in the order (a deleted contact, or an id never used), as the wide form's does.
const BYTE_BUCKETS: usize = (1 << 8) - 1;
const BYTE_ABSENT: u8 = BYTE_BUCKETS as u8;
const NARROW_BUCKETS: usize = (1 << 12) - 1;
const NARROW_ABSENT: u16 = NARROW_BUCKETS as u16;
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
    /// Label `i` is `high[i] << 4 | its nibble` (see the module comment); whole groups.
    Narrow {
        high: Vec<u8>,
        low: Vec<u8>,
    },
    Wide(Vec<u16>),
}

/// Where the nibble of label `id` is: its byte and shift.
fn nibble_at(id: usize) -> (usize, u32) {
    let (group, i) = (id / GROUP, id % GROUP);
    (group * GROUP / 2 + i % (GROUP / 2), 4 * (i / (GROUP / 2)) as u32)
}

impl Labels {
    /// `len` ids, none in the order yet, wide enough for `buckets` buckets.
    pub fn new(len: usize, buckets: usize) -> Labels {
        let form = if buckets <= BYTE_BUCKETS {
            Form::Byte(vec![BYTE_ABSENT; len])
        } else if buckets <= NARROW_BUCKETS {
            let groups = len.div_ceil(GROUP);
            Form::Narrow { high: vec![0xFF; groups * GROUP], low: vec![0xFF; groups * GROUP / 2] }
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
            Form::Narrow { high, low } => {
                let (byte, shift) = nibble_at(id);
                let label = u16::from(high[id]) << 4 | (u16::from(low[byte] >> shift) & 0xF);
                (label != NARROW_ABSENT).then_some(label)
            }
            Form::Wide(labels) => (labels[id] != WIDE_ABSENT).then_some(labels[id]),
        }
    }

    /// Takes `id` out of the order.
    pub fn clear(&mut self, id: usize) {
        if id < self.len {
            let absent = match self.form {
                Form::Byte(_) => u16::from(BYTE_ABSENT),
                Form::Narrow { .. } => NARROW_ABSENT,
                Form::Wide(_) => WIDE_ABSENT,
            };
            self.write(id, absent);
        }
    }

    /// Sets the label of `id` (growing the ids covered, and the width when `label` needs it).
    pub fn set(&mut self, id: usize, label: u16) {
        self.make_room(usize::from(label) + 1);
        if id >= self.len {
            self.len = id + 1;
            match &mut self.form {
                Form::Byte(labels) => labels.resize(self.len, BYTE_ABSENT),
                Form::Narrow { high, low } => {
                    let groups = self.len.div_ceil(GROUP);
                    high.resize(groups * GROUP, 0xFF);
                    low.resize(groups * GROUP / 2, 0xFF);
                }
                Form::Wide(labels) => labels.resize(self.len, WIDE_ABSENT),
            }
        }
        self.write(id, label);
    }

    fn write(&mut self, id: usize, label: u16) {
        match &mut self.form {
            Form::Byte(labels) => labels[id] = label as u8,
            Form::Narrow { high, low } => {
                high[id] = (label >> 4) as u8;
                let (byte, shift) = nibble_at(id);
                low[byte] = (low[byte] & !(0xF << shift)) | (((label & 0xF) as u8) << shift);
            }
            Form::Wide(labels) => labels[id] = label,
        }
    }

    /// Widens the labels when bucket numbers below `buckets` do not fit.
    pub fn make_room(&mut self, buckets: usize) {
        let holds = match self.form {
            Form::Byte(_) => BYTE_BUCKETS,
            Form::Narrow { .. } => NARROW_BUCKETS,
            Form::Wide(_) => usize::MAX,
        };
        if buckets <= holds {
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
            Form::Narrow { high, low } => {
                for (high, low) in high.chunks_exact_mut(GROUP).zip(low.chunks_exact_mut(GROUP / 2)) {
                    let mut labels =
                        unpack((&*high).try_into().expect("a group"), (&*low).try_into().expect("a group"));
                    let moves = |l: &u16| *l >= first && *l != NARROW_ABSENT;
                    if !labels.iter().any(moves) {
                        continue;
                    }
                    labels.iter_mut().filter(|l| moves(l)).for_each(|l| *l += by);
                    debug_assert!(labels.iter().all(|l| usize::from(*l) <= NARROW_BUCKETS), "room made first");
                    for i in 0..GROUP / 2 {
                        let (a, b) = (labels[i], labels[i + GROUP / 2]);
                        high[i] = (a >> 4) as u8;
                        high[i + GROUP / 2] = (b >> 4) as u8;
                        low[i] = (a & 0xF) as u8 | ((b & 0xF) as u8) << 4;
                    }
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
            Form::Narrow { high, low } => {
                for (g, (high, low)) in high.chunks_exact(GROUP).zip(low.chunks_exact(GROUP / 2)).enumerate() {
                    if !visit(g * GROUP, &unpack(high.try_into().expect("a group"), low.try_into().expect("a group"))) {
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
            Form::Narrow { high, low } => high.capacity() + low.capacity(),
            Form::Wide(labels) => labels.capacity() * 2,
        }
    }
}

/// The labels of a narrow group.
fn unpack(high: &[u8; GROUP], low: &[u8; GROUP / 2]) -> [u16; GROUP] {
    let mut labels = [0u16; GROUP];
    for i in 0..GROUP / 2 {
        labels[i] = u16::from(high[i]) << 4 | u16::from(low[i] & 0xF);
        labels[i + GROUP / 2] = u16::from(high[i + GROUP / 2]) << 4 | u16::from(low[i] >> 4);
    }
    labels
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
    fn byte_labels_widen_and_rank_members_in_id_order() {
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
        assert!(matches!(labels.form, Form::Narrow { .. }));
        labels.shift_from(5, 250);
        assert_eq!((labels.get(3), labels.get(4), labels.get(5), labels.get(6)), (None, Some(4), Some(255), Some(256)));
        labels.set(299, 5000);
        assert!(matches!(labels.form, Form::Wide(_)));
        assert_eq!((labels.get(298), labels.get(299), labels.get(300)), (Some(4), Some(5000), None));
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
