//! A consumer group's buffer of ready messages: FIFO, bounded in messages
//! and bytes, with an optional disk tier for the spill policy.

use crate::engine::SimTime;
use crate::model::message::Message;
use crate::model::topic::{Policy, TopicSpec};
use std::collections::VecDeque;

/// Where a ready message is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// In memory: delivered without delay.
    Memory,
    /// Spilled to disk: read back before delivery.
    Disk,
}

/// A message waiting for a worker.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ready {
    pub message: Message,
    pub enqueued: SimTime,
    pub tier: Tier,
}

/// Ready messages of one group, in arrival order.
pub(super) struct Buffer {
    queue: VecDeque<Ready>,
    bytes: u64,
    disk_len: u64,
    disk_bytes: u64,
    capacity: u64,
    capacity_bytes: u64,
    /// Disk capacity in messages and bytes, when spilling.
    disk: Option<(u64, u64)>,
}

impl Buffer {
    pub fn new(topic: &TopicSpec) -> Buffer {
        let disk = match &topic.policy {
            Policy::Spill(s) => Some((s.capacity, s.capacity_bytes)),
            _ => None,
        };
        Buffer {
            queue: VecDeque::new(),
            bytes: 0,
            disk_len: 0,
            disk_bytes: 0,
            capacity: topic.capacity,
            capacity_bytes: topic.capacity_bytes,
            disk,
        }
    }

    /// The tier a message of `size` bytes would go to, if any has room.
    /// Once anything is on disk, newer messages go to disk too (FIFO).
    #[inline]
    pub fn room(&self, size: u32) -> Option<Tier> {
        let size = u64::from(size);
        let memory_len = self.queue.len() as u64 - self.disk_len;
        let memory_bytes = self.bytes - self.disk_bytes;
        if self.disk_len == 0
            && memory_len < self.capacity
            && memory_bytes + size <= self.capacity_bytes
        {
            return Some(Tier::Memory);
        }
        let (cap, cap_bytes) = self.disk?;
        (self.disk_len < cap && self.disk_bytes + size <= cap_bytes).then_some(Tier::Disk)
    }

    #[inline]
    pub fn push(&mut self, message: Message, enqueued: SimTime, tier: Tier) {
        let size = u64::from(message.size);
        self.bytes += size;
        if tier == Tier::Disk {
            self.disk_len += 1;
            self.disk_bytes += size;
        }
        self.queue.push_back(Ready {
            message,
            enqueued,
            tier,
        });
    }

    #[inline]
    pub fn pop(&mut self) -> Option<Ready> {
        let ready = self.queue.pop_front()?;
        let size = u64::from(ready.message.size);
        self.bytes -= size;
        if ready.tier == Tier::Disk {
            self.disk_len -= 1;
            self.disk_bytes -= size;
        }
        Some(ready)
    }

    pub fn head(&self) -> Option<&Ready> {
        self.queue.front()
    }

    /// Ready messages, both tiers.
    #[inline]
    pub fn len(&self) -> u64 {
        self.queue.len() as u64
    }

    /// Ready bytes, both tiers.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Ready messages on disk.
    pub fn disk_len(&self) -> u64 {
        self.disk_len
    }

    /// True if the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}
