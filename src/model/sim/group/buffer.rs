//! A consumer group's buffer of ready messages: FIFO per partition, bounded
//! in messages and bytes, with an optional disk tier for the spill policy,
//! and the indexes over the partitions' heads that let consumption choose
//! its next partition without a scan (with, for partitioned consumption,
//! the message each partition has in flight).

use super::deliverable::Deliverable;
use super::item::{Item, Tier};
use super::packed::{Extras, Packed, pack, unpack};
use crate::engine::SimTime;
use crate::model::sim::state::KeyMap;
use crate::model::topic::{Policy, TopicSpec, WhenFull};
use std::collections::{BTreeSet, VecDeque};

/// A held lane's first message: when it entered, its entry order, its key.
type Front = (SimTime, u64, u64);

/// A partition's head in the index by age: when it entered, its entry
/// order, its partition (the order in which competing consumers take heads).
type Head = (SimTime, u64, u32);

/// Sequence numbers per numbering (2³²: they are kept in 32 bits).
const SEQ_LIMIT: u64 = 1 << 32;

/// The front entry of a held message.
fn front_of(held: &Packed) -> (usize, Front) {
    let entry = (held.enqueued, u64::from(held.seq), held.key);
    (held.partition as usize, entry)
}

/// An entry number as the buffer keeps it (numbers stay below 2³²: the
/// group renumbers before they run out).
fn entry_number(seq: u64) -> u32 {
    debug_assert!(seq < SEQ_LIMIT, "entry numbers are renumbered below 2^32");
    seq as u32
}

/// A queued message's entry in the index by age, as the head of partition
/// `p`.
fn head_of(head: &Packed, p: usize) -> Head {
    (head.enqueued, u64::from(head.seq), p as u32)
}

/// Ready messages of one group: one FIFO per partition, with capacity
/// counted over all of them. Messages whose key may not be delivered yet
/// (key-ordered consumption, per-key caps) are held aside per key, in
/// order; they are still ready and count like the others.
///
/// The buffer keeps its partitions' heads indexed as they change, so that
/// no choice scans the partitions: by age (several partitions, consumed by
/// competing workers or evicted oldest first: O(log P) a change), and by
/// owning worker for partitioned consumption (which also needs what is in
/// flight: O(1) a change).
///
/// Messages are kept packed in 48 bytes, with what only some have in a side
/// table. Their entry order is numbered in 32 bits: when the numbers run
/// out, the group renumbers in order every message it holds, queued, in
/// flight or waiting to be redelivered ([`Buffer::renumber`]), so entry
/// order is kept exactly.
pub(in crate::model::sim) struct Buffer {
    queues: Vec<VecDeque<Packed>>,
    /// The rest of queued copies that do not fit in a [`Packed`].
    extras: Extras,
    /// Heads of non-empty partitions, oldest first (several partitions,
    /// consumed by competing workers or evicted oldest first).
    by_age: Option<BTreeSet<Head>>,
    /// Partitions that can deliver, per owner (partitioned consumption).
    deliverable: Option<Deliverable>,
    /// Either index is kept (the common one-partition competing buffer
    /// keeps neither and skips their upkeep).
    indexed: bool,
    /// A priority queue: one lane per priority, the highest taken first.
    priority: bool,
    held: KeyMap<VecDeque<Packed>>,
    held_by_partition: Vec<u64>,
    /// Per partition, the first held message of each key whose first held
    /// message is in it, by entry order: (enqueued, seq, key).
    held_fronts: Vec<BTreeSet<Front>>,
    len: u64,
    next_seq: u64,
    /// Sequence numbers per numbering (smaller in tests).
    seq_limit: u64,
    bytes: u64,
    disk_len: u64,
    disk_bytes: u64,
    capacity: u64,
    capacity_bytes: u64,
    /// Room held for copies in the broker's hand-off (messages, bytes):
    /// they count against the memory tier's capacity until they land.
    reserved: u64,
    reserved_bytes: u64,
    /// Disk capacity in messages and bytes, when spilling.
    disk: Option<(u64, u64)>,
    /// Some capacity bounds it (else every message has room in memory).
    bounded: bool,
}

impl Buffer {
    /// An empty buffer for `topic`'s partitions, consumed by a partitioned
    /// group (`partitioned`) or by competing workers.
    pub(crate) fn new(topic: &TopicSpec, partitioned: bool) -> Buffer {
        let disk = match &topic.policy {
            Policy::Spill(s) => Some((s.capacity, s.capacity_bytes)),
            _ => None,
        };
        let partitions = topic.partitions.max(1) as usize;
        let evicts = topic.policy.when_full() == WhenFull::EvictOldest;
        let by_age = partitions > 1 && (evicts || !partitioned);
        Buffer {
            queues: (0..partitions).map(|_| VecDeque::new()).collect(),
            extras: Extras::default(),
            by_age: by_age.then(BTreeSet::new),
            deliverable: partitioned.then(|| Deliverable::new(partitions)),
            indexed: by_age || partitioned,
            priority: topic.max_priority.is_some(),
            held: KeyMap::default(),
            held_by_partition: vec![0; topic.partitions.max(1) as usize],
            held_fronts: vec![BTreeSet::new(); topic.partitions.max(1) as usize],
            len: 0,
            next_seq: 0,
            seq_limit: SEQ_LIMIT,
            bytes: 0,
            disk_len: 0,
            disk_bytes: 0,
            capacity: topic.capacity,
            capacity_bytes: topic.capacity_bytes,
            reserved: 0,
            reserved_bytes: 0,
            disk,
            bounded: topic.capacity < u64::MAX || topic.capacity_bytes < u64::MAX || disk.is_some(),
        }
    }

    /// The tier a new message of `size` bytes would go to, if any has room.
    /// Once anything is on disk, newer messages go to disk too (FIFO).
    #[inline]
    pub(crate) fn room(&self, size: u32) -> Option<Tier> {
        if !self.bounded {
            return Some(Tier::Memory);
        }
        let size = u64::from(size);
        let memory_len = self.len - self.disk_len + self.reserved;
        let memory_bytes = self.bytes - self.disk_bytes + self.reserved_bytes;
        if self.disk_len == 0
            && memory_len < self.capacity
            && memory_bytes + size <= self.capacity_bytes
        {
            return Some(Tier::Memory);
        }
        let (cap, cap_bytes) = self.disk?;
        (self.disk_len < cap && self.disk_bytes + size <= cap_bytes).then_some(Tier::Disk)
    }

    /// Removes and returns every ready message for which `pick` holds.
    pub(crate) fn take_where(&mut self, pick: impl Fn(&Item) -> bool) -> Vec<Item> {
        let mut taken = Vec::new();
        for p in 0..self.queues.len() {
            let old = self.indexed_head(p);
            let queue = std::mem::take(&mut self.queues[p]);
            let kept = self.split(queue, &pick, &mut taken);
            self.queues[p] = kept;
            self.head_moved(p, old);
        }
        let mut keys: Vec<u64> = self.held.keys().copied().collect();
        keys.sort_unstable();
        self.held_fronts.iter_mut().for_each(BTreeSet::clear);
        for key in keys {
            let lane = std::mem::take(self.held.get_mut(&key).expect("listed"));
            let before = taken.len();
            let kept = self.split(lane, &pick, &mut taken);
            for item in &taken[before..] {
                self.held_by_partition[item.message.partition as usize] -= 1;
            }
            if let Some(front) = kept.front() {
                let (p, entry) = front_of(front);
                self.held_fronts[p].insert(entry);
            }
            if kept.is_empty() {
                self.held.remove(&key);
            } else {
                self.held.insert(key, kept);
            }
        }
        taken.iter().for_each(|item| self.count_out(item));
        taken
    }

    /// Moves the copies of `queue` for which `pick` holds into `taken`, in
    /// order, and returns the others.
    fn split(
        &mut self,
        queue: VecDeque<Packed>,
        pick: &impl Fn(&Item) -> bool,
        taken: &mut Vec<Item>,
    ) -> VecDeque<Packed> {
        let mut kept = VecDeque::new();
        for packed in queue {
            let item = unpack(&packed, &mut self.extras);
            if pick(&item) {
                taken.push(item);
            } else {
                kept.push_back(pack(&item, packed.seq, &mut self.extras));
            }
        }
        kept
    }

    /// Holds a ready message until its key may be delivered, behind the
    /// key's other held messages (it was just popped: `returned` false), or
    /// first (a returned delivery: `returned` true, counted in again).
    pub(crate) fn hold(&mut self, item: Item, returned: bool) {
        self.count_in(&item);
        self.held_by_partition[item.message.partition as usize] += 1;
        let packed = pack(&item, entry_number(item.seq), &mut self.extras);
        let lane = self.held.entry(item.message.key).or_default();
        if lane.is_empty() || returned {
            if let Some(old) = lane.front() {
                let (p, entry) = front_of(old);
                self.held_fronts[p].remove(&entry);
            }
            let (p, entry) = front_of(&packed);
            self.held_fronts[p].insert(entry);
            lane.push_front(packed);
        } else {
            lane.push_back(packed);
        }
    }

    /// Takes the first held message of `key`.
    pub(crate) fn release(&mut self, key: u64) -> Option<Item> {
        let lane = self.held.get_mut(&key)?;
        let packed = lane.pop_front()?;
        let (p, entry) = front_of(&packed);
        self.held_fronts[p].remove(&entry);
        match lane.front() {
            Some(next) => {
                let (p, entry) = front_of(next);
                self.held_fronts[p].insert(entry);
            }
            None => {
                self.held.remove(&key);
            }
        }
        let item = unpack(&packed, &mut self.extras);
        self.held_by_partition[item.message.partition as usize] -= 1;
        self.count_out(&item);
        Some(item)
    }

    /// The smallest message id among ready messages, held ones included.
    pub(crate) fn min_id(&self) -> Option<u64> {
        self.queues
            .iter()
            .flatten()
            .chain(self.held.values().flatten())
            .map(|queued| queued.id)
            .min()
    }

    /// Whether messages of `key` are held.
    #[inline]
    pub(crate) fn holds(&self, key: u64) -> bool {
        self.held.contains_key(&key)
    }

    /// Whether no message fits, whatever its size: the memory tier is full
    /// by count (or has spilled), and so is the disk tier if there is one.
    #[inline]
    pub(crate) fn full_by_count(&self) -> bool {
        let memory_full =
            self.disk_len > 0 || self.len - self.disk_len + self.reserved >= self.capacity;
        memory_full && self.disk.is_none_or(|(cap, _)| self.disk_len >= cap)
    }

    /// Holds (`true`) or frees the room of a copy of `size` bytes in the
    /// broker's hand-off.
    #[inline]
    pub(crate) fn reserve(&mut self, size: u32, hold: bool) {
        if hold {
            self.reserved += 1;
            self.reserved_bytes += u64::from(size);
        } else {
            self.reserved -= 1;
            self.reserved_bytes -= u64::from(size);
        }
    }

    #[inline]
    fn count_out(&mut self, item: &Item) {
        self.len -= 1;
        let size = u64::from(item.message.size);
        self.bytes -= size;
        if item.tier == Tier::Disk {
            self.disk_len -= 1;
            self.disk_bytes -= size;
        }
    }

    fn count_in(&mut self, item: &Item) {
        self.len += 1;
        let size = u64::from(item.message.size);
        self.bytes += size;
        if item.tier == Tier::Disk {
            self.disk_len += 1;
            self.disk_bytes += size;
        }
    }

    /// Appends a message (new messages, and returns with requeue = tail).
    #[inline(always)]
    pub(crate) fn push_back(&mut self, item: Item) {
        if self.seq_due() {
            // The group renumbers first; this is a safety net.
            self.renumber(std::iter::empty());
        }
        let seq = self.next_seq as u32;
        self.next_seq += 1;
        self.count_in(&item);
        let p = item.message.partition as usize;
        let packed = pack(&item, seq, &mut self.extras);
        let queue = &mut self.queues[p];
        let was_empty = queue.is_empty();
        queue.push_back(packed);
        if was_empty && self.indexed {
            self.head_moved(p, None);
        }
    }

    /// The entry number of a message that passes without entering (handed
    /// straight to a worker), taken as [`Buffer::push_back`] would.
    #[inline]
    pub(crate) fn take_seq(&mut self) -> u64 {
        if self.seq_due() {
            self.renumber(std::iter::empty());
        }
        self.next_seq += 1;
        self.next_seq - 1
    }

    /// Puts a returned message first in line (requeue = head).
    pub(crate) fn push_front(&mut self, item: Item) {
        self.count_in(&item);
        let p = item.message.partition as usize;
        let old = self.indexed_head(p);
        let packed = pack(&item, entry_number(item.seq), &mut self.extras);
        self.queues[p].push_front(packed);
        self.head_moved(p, old);
    }

    /// The entry numbers have run out: the group must renumber before the
    /// next entry.
    #[inline]
    pub(crate) fn seq_due(&self) -> bool {
        self.next_seq >= self.seq_limit
    }

    /// Numbers the queued messages and the group's `others` (in flight,
    /// waiting to be redelivered) from 0 in their order of entry, when the
    /// 32-bit numbers run out, and rebuilds the indexes on them. Copies of
    /// one entry (a zombie and its redelivery) keep one number. What a
    /// group holds is bounded by `limits.max_queued` (at most 2³¹) and its
    /// workers, so the numbers suffice.
    #[cold]
    pub(crate) fn renumber<'a>(&mut self, others: impl Iterator<Item = &'a mut u64>) {
        let mut others: Vec<&'a mut u64> = others.collect();
        let mut queued: Vec<&mut Packed> = (self.queues.iter_mut().flatten())
            .chain(self.held.values_mut().flatten())
            .collect();
        let mut old: Vec<u64> = (queued.iter().map(|q| u64::from(q.seq)))
            .chain(others.iter().map(|s| **s))
            .collect();
        old.sort_unstable();
        old.dedup();
        let rank = |seq: u64| old.binary_search(&seq).expect("listed") as u64;
        for q in &mut queued {
            q.seq = rank(u64::from(q.seq)) as u32;
        }
        for s in &mut others {
            **s = rank(**s);
        }
        self.next_seq = old.len() as u64;
        if let Some(by_age) = &mut self.by_age {
            by_age.clear();
            for (p, queue) in self.queues.iter().enumerate() {
                if let Some(head) = queue.front() {
                    by_age.insert(head_of(head, p));
                }
            }
        }
        self.held_fronts.iter_mut().for_each(BTreeSet::clear);
        for lane in self.held.values() {
            if let Some(front) = lane.front() {
                let (p, entry) = front_of(front);
                self.held_fronts[p].insert(entry);
            }
        }
    }

    /// Partition `p`'s head as the index by age has it (none without one).
    #[inline]
    fn indexed_head(&self, p: usize) -> Option<Head> {
        self.by_age.as_ref()?;
        (self.queues[p].front()).map(|h| head_of(h, p))
    }

    /// Partition `p`'s head may have changed from `old` (as
    /// [`Buffer::indexed_head`] had it): the indexes follow.
    #[inline]
    fn head_moved(&mut self, p: usize, old: Option<Head>) {
        if let Some(by_age) = &mut self.by_age {
            let new = (self.queues[p].front()).map(|h| head_of(h, p));
            if old != new {
                if let Some(old) = old {
                    by_age.remove(&old);
                }
                if let Some(new) = new {
                    by_age.insert(new);
                }
            }
        }
        if let Some(deliverable) = &mut self.deliverable {
            deliverable.refresh(p, !self.queues[p].is_empty());
        }
    }

    /// Removes the oldest head across partitions (the head itself with one
    /// partition): what competing consumers and drop_oldest take next.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<Item> {
        if !self.indexed {
            // One partition (several are always indexed).
            return self.pop_from(0);
        }
        let p = if self.priority {
            // Strict priority: the highest non-empty lane (a few).
            self.queues.iter().rposition(|q| !q.is_empty())?
        } else {
            self.oldest_partition()?
        };
        self.pop_indexed(p)
    }

    /// Removes the ready message that entered first, held ones included:
    /// what drop_oldest evicts.
    pub(crate) fn pop_oldest(&mut self) -> Option<Item> {
        let queued = self.oldest_partition().and_then(|p| {
            self.queues[p]
                .front()
                .map(|h| ((h.enqueued, u64::from(h.seq)), p))
        });
        let held = self
            .held_fronts
            .iter()
            .filter_map(|f| f.first().map(|&(at, seq, key)| ((at, seq), key)))
            .min();
        match (queued, held) {
            (Some((at, _)), Some((held_at, key))) if held_at < at => self.release(key),
            (Some((_, p)), _) => self.pop_from(p),
            (None, Some((_, key))) => self.release(key),
            (None, None) => None,
        }
    }

    /// Removes the head of partition `p`.
    #[inline(always)]
    pub(crate) fn pop_from(&mut self, p: usize) -> Option<Item> {
        if self.indexed {
            return self.pop_indexed(p);
        }
        let packed = self.queues[p].pop_front()?;
        let item = unpack(&packed, &mut self.extras);
        self.count_out(&item);
        Some(item)
    }

    /// [`Buffer::pop_from`] with the indexes kept.
    #[inline(never)]
    fn pop_indexed(&mut self, p: usize) -> Option<Item> {
        let old = self.indexed_head(p);
        let packed = self.queues[p].pop_front()?;
        self.head_moved(p, old);
        let item = unpack(&packed, &mut self.extras);
        self.count_out(&item);
        Some(item)
    }

    /// The partition whose head entered the buffer first (ties: entry order).
    fn oldest_partition(&self) -> Option<usize> {
        self.oldest_partition_among(|_| true)
    }

    /// The partition, among those `allowed`, whose head entered first
    /// (ties: entry order, then partition).
    pub(crate) fn oldest_partition_among(&self, allowed: impl Fn(usize) -> bool) -> Option<usize> {
        if let Some(by_age) = &self.by_age {
            return (by_age.iter())
                .map(|&(_, _, p)| p as usize)
                .find(|&p| allowed(p));
        }
        self.queues
            .iter()
            .enumerate()
            .filter(|(p, _)| allowed(*p))
            .filter_map(|(p, q)| q.front().map(|h| head_of(h, p)))
            .min()
            .map(|(_, _, p)| p as usize)
    }

    /// Which partitions can deliver, per owner (partitioned consumption).
    #[inline]
    pub(super) fn deliverable(&self) -> &Deliverable {
        self.deliverable
            .as_ref()
            .expect("a partitioned group's buffer")
    }

    /// Partitions have new owners: `owned[w]` lists worker w's.
    pub(crate) fn assign(&mut self, owned: &[Vec<u32>]) {
        let queues = &self.queues;
        if let Some(deliverable) = &mut self.deliverable {
            deliverable.assign(owned, |p| !queues[p].is_empty());
        }
    }

    /// Message `id` of partition `p` is in flight: the partition waits.
    #[inline]
    pub(crate) fn lock(&mut self, p: usize, id: u64) {
        if let Some(deliverable) = &mut self.deliverable {
            deliverable.lock(p, id);
        }
    }

    /// Message `id` settled or is ready again: partition `p` no longer
    /// waits for it (if it did).
    #[inline]
    pub(crate) fn unlock(&mut self, p: usize, id: u64) {
        let has_head = !self.queues[p].is_empty();
        if let Some(deliverable) = &mut self.deliverable {
            deliverable.unlock(p, id, has_head);
        }
    }

    /// The indexes against a recount from the partitions' queues; the error
    /// says what disagrees.
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(by_age) = &self.by_age {
            let recount: BTreeSet<Head> = (self.queues.iter().enumerate())
                .filter_map(|(p, q)| q.front().map(|h| head_of(h, p)))
                .collect();
            if &recount != by_age {
                return Err(format!(
                    "{} partition heads indexed by age, {} recounted",
                    by_age.len(),
                    recount.len()
                ));
            }
        }
        if let Some(deliverable) = &self.deliverable {
            deliverable.check(|p| !self.queues[p].is_empty())?;
        }
        let flagged: Vec<u64> = (self.queues.iter().flatten())
            .chain(self.held.values().flatten())
            .filter(|queued| queued.has_extra())
            .map(|queued| queued.id)
            .collect();
        if let Some(id) = flagged.iter().find(|id| !self.extras.contains_key(id)) {
            return Err(format!("queued message {id} has no side entry"));
        }
        let flagged = flagged.len();
        if flagged != self.extras.len() {
            return Err(format!(
                "{flagged} queued messages with a side entry, {} side entries",
                self.extras.len()
            ));
        }
        let queued: usize = self.queues.iter().map(VecDeque::len).sum();
        let held: u64 = self.held_by_partition.iter().sum();
        if queued as u64 + held != self.len {
            return Err(format!(
                "{} ready messages counted, {queued} queued and {held} held",
                self.len
            ));
        }
        Ok(())
    }

    /// When the longest-waiting ready message of partition `p` entered,
    /// held ones included.
    pub(crate) fn oldest_in(&self, p: usize) -> Option<SimTime> {
        let queued = self.queues[p].front().map(|h| h.enqueued);
        let held = self.held_fronts[p].first().map(|h| h.0);
        queued.into_iter().chain(held).min()
    }

    /// When the TTL of the head of partition `p` started, and its id, if
    /// it has one.
    pub(crate) fn head_ttl_from(&self, p: usize) -> Option<(SimTime, u64)> {
        self.queues[p].front().map(|h| (h.ttl_from(), h.id))
    }

    /// Whether partition `p` has a head.
    pub(crate) fn has_head(&self, p: usize) -> bool {
        !self.queues[p].is_empty()
    }

    /// The longest-waiting ready message's entry time, over partitions.
    pub(crate) fn oldest_enqueued(&self) -> Option<SimTime> {
        self.queues
            .iter()
            .filter_map(|q| q.front().map(|h| h.enqueued))
            .chain(
                self.held_fronts
                    .iter()
                    .filter_map(|f| f.first().map(|h| h.0)),
            )
            .min()
    }

    /// The entry time of the longest-waiting ready message, found among
    /// all of them: a message returned to a partition's head (or one
    /// behind a key's held lane) can be newer than one behind it, which
    /// [`Self::oldest_enqueued`] (fronts only, for each sample) then
    /// misses. O(ready messages): for the end of a run.
    pub(crate) fn oldest_of_all(&self) -> Option<SimTime> {
        let queued = self
            .queues
            .iter()
            .flat_map(|q| q.iter().map(|h| h.enqueued));
        let held = self
            .held
            .values()
            .flat_map(|l| l.iter().map(|h| h.enqueued));
        queued.chain(held).min()
    }

    /// Number of partitions.
    pub(crate) fn partitions(&self) -> usize {
        self.queues.len()
    }

    /// Ready messages in partition `p`.
    pub(crate) fn partition_len(&self, p: usize) -> u64 {
        self.queues[p].len() as u64 + self.held_by_partition[p]
    }

    /// Ready messages, both tiers.
    #[inline]
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Ready bytes, both tiers.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Ready messages on disk.
    pub(crate) fn disk_len(&self) -> u64 {
        self.disk_len
    }

    /// True if the buffer is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{Buffer, Item, Tier};
    use crate::engine::{SimTime, StreamId};
    use crate::model::message::Message;
    use crate::model::topic::{DeliverySpec, DropOldest, Partitioner, Policy, TopicSpec};
    use rand::RngExt;

    fn topic(partitions: u32) -> TopicSpec {
        TopicSpec {
            name: "t".to_owned(),
            partitions,
            capacity: u64::MAX,
            capacity_bytes: u64::MAX,
            policy: Policy::DropOldest(DropOldest),
            publish_latency: None,
            handoff_latency: None,
            ttl: None,
            delivery: DeliverySpec::default(),
            durable: true,
            partitioner: Partitioner::KeyHash,
            max_priority: None,
        }
    }

    /// Renumbering the entry order when its 32 bits run out (here after 64
    /// entries) keeps every choice the buffer makes: the same random pushes,
    /// pops of the oldest head, evictions, and messages taken out and put
    /// back first in line (as a failed delivery is) give the same messages
    /// in the same order as with numbers that never run out. Entry times
    /// repeat, so ties between partitions are broken by the entry order;
    /// the messages out are renumbered with the buffer, as the group does.
    #[test]
    fn renumbering_keeps_the_order_of_entry() {
        let spec = topic(5);
        let (mut small, mut wide) = (Buffer::new(&spec, false), Buffer::new(&spec, false));
        small.seq_limit = 64;
        let (mut out_small, mut out_wide): (Vec<Item>, Vec<Item>) = (Vec::new(), Vec::new());
        let mut rng = StreamId::named("buffer/renumber").rng(3, 0);
        let (mut id, mut renumbered) = (0, 0);
        let same = |a: Option<Item>, b: Option<Item>| {
            assert_eq!(a.map(|i| i.message.id), b.map(|i| i.message.id));
        };
        for step in 0..20_000u64 {
            match rng.random_range(0..20) {
                0..=7 => {
                    let mut m = Message::new(id, 0, 1, 0, SimTime(step / 7));
                    m.partition = rng.random_range(0..5);
                    id += 1;
                    let item = Item::new(m, SimTime(step / 7), Tier::Memory, false);
                    if small.seq_due() {
                        small.renumber(out_small.iter_mut().map(|i| &mut i.seq));
                        renumbered += 1;
                    }
                    small.push_back(item);
                    wide.push_back(item);
                }
                8..=12 => same(small.pop(), wide.pop()),
                13..=14 => same(small.pop_oldest(), wide.pop_oldest()),
                15..=17 => {
                    let (a, b) = (small.pop(), wide.pop());
                    same(a, b);
                    out_small.extend(a);
                    out_wide.extend(b);
                }
                _ if !out_small.is_empty() => {
                    let k = rng.random_range(0..out_small.len());
                    small.push_front(out_small.swap_remove(k));
                    wide.push_front(out_wide.swap_remove(k));
                }
                _ => {}
            }
            assert_eq!(small.check(), Ok(()));
        }
        assert!(
            renumbered > 10 && wide.next_seq > 1000,
            "renumbered {renumbered} times"
        );
    }
}
