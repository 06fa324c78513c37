//! The identities events carry: which group (or called service), which of
//! its workers, which producer. Each is a newtype over its index, so one
//! cannot be passed where another is meant.

/// A consumer group, or the service called directly, by its index among
/// the system's groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct GroupId(pub u32);

/// A worker slot, by its index in its group's pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct WorkerId(pub u32);

/// A producer, by its index among the system's producers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct ProducerId(pub u32);

impl GroupId {
    /// Its index.
    #[inline]
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }
}

impl WorkerId {
    /// Worker `w`.
    #[inline]
    pub(super) fn of(w: usize) -> WorkerId {
        WorkerId(w as u32)
    }

    /// Its index.
    #[inline]
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }
}

impl ProducerId {
    /// Its index.
    #[inline]
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }
}
