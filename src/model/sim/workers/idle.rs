//! The idle list of a worker pool: a stack of idle workers (the last is
//! handed the next job) that also knows, for every worker, whether and
//! where it is in the list, so that taking a given worker costs O(1).

/// Not in the list.
const ABSENT: u32 = u32::MAX;

/// Idle workers, in the order they are handed jobs from the end.
#[derive(Clone, Debug)]
pub(in crate::model::sim) struct IdleList {
    order: Vec<u32>,
    /// Worker → its position in `order`, or `ABSENT`.
    at: Vec<u32>,
}

impl IdleList {
    /// A list of `slots` workers, of which `order` are idle.
    pub(super) fn new(slots: usize, order: Vec<u32>) -> IdleList {
        let mut list = IdleList {
            order,
            at: vec![ABSENT; slots],
        };
        list.reindex();
        list
    }

    /// The idle workers; the last is handed the next job.
    #[inline]
    pub(super) fn as_slice(&self) -> &[u32] {
        &self.order
    }

    /// Whether worker `w` is in the list.
    #[inline]
    pub(super) fn contains(&self, w: usize) -> bool {
        self.at[w] != ABSENT
    }

    /// Appends worker `w` (not in the list).
    #[inline]
    pub(super) fn push(&mut self, w: u32) {
        self.at[w as usize] = self.order.len() as u32;
        self.order.push(w);
    }

    /// Takes the last worker.
    #[inline]
    pub(super) fn pop(&mut self) -> Option<u32> {
        let w = self.order.pop()?;
        self.at[w as usize] = ABSENT;
        Some(w)
    }

    /// Takes the worker at position `i`; the last takes its place.
    #[inline]
    pub(super) fn swap_remove(&mut self, i: usize) -> u32 {
        let w = self.order.swap_remove(i);
        self.at[w as usize] = ABSENT;
        if let Some(&moved) = self.order.get(i) {
            self.at[moved as usize] = i as u32;
        }
        w
    }

    /// Takes worker `w` if it is in the list, as [`IdleList::swap_remove`]
    /// at its position would.
    #[inline]
    pub(super) fn take(&mut self, w: usize) -> bool {
        match self.at[w] {
            ABSENT => false,
            i => {
                self.swap_remove(i as usize);
                true
            }
        }
    }

    /// Keeps only the workers for which `keep` holds, in order.
    pub(super) fn retain(&mut self, keep: impl Fn(u32) -> bool) {
        self.order.retain(|&w| keep(w));
        self.reindex();
    }

    fn reindex(&mut self) {
        self.at.fill(ABSENT);
        for (i, &w) in self.order.iter().enumerate() {
            self.at[w as usize] = i as u32;
        }
    }

    /// The positions against the list; the error names the first worker
    /// that disagrees.
    pub(super) fn check(&self) -> Result<(), String> {
        for (w, &i) in self.at.iter().enumerate() {
            let listed = self.order.get(i as usize).is_some_and(|&x| x as usize == w);
            if (i != ABSENT) != listed {
                return Err(format!(
                    "worker {w} is at {i} of the idle list, which disagrees"
                ));
            }
        }
        let indexed = self.at.iter().filter(|&&i| i != ABSENT).count();
        if indexed != self.order.len() {
            return Err(format!(
                "{} idle workers listed, {indexed} indexed",
                self.order.len()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::IdleList;
    use proptest::prelude::*;

    proptest! {
        /// The list behaves as a plain Vec under the same operations, and
        /// knows where each worker is.
        #[test]
        fn the_idle_list_is_a_vec_that_knows_positions(
            ops in prop::collection::vec((0u8..5, 0usize..8), 0..100),
        ) {
            let mut list = IdleList::new(8, vec![3, 1]);
            let mut model: Vec<u32> = vec![3, 1];
            for (op, w) in ops {
                match op {
                    0 if !model.contains(&(w as u32)) => {
                        list.push(w as u32);
                        model.push(w as u32);
                    }
                    1 => prop_assert_eq!(list.pop(), model.pop()),
                    2 if !model.is_empty() => {
                        let i = w % model.len();
                        prop_assert_eq!(list.swap_remove(i), model.swap_remove(i));
                    }
                    3 => {
                        let i = model.iter().position(|&x| x as usize == w);
                        prop_assert_eq!(list.take(w), i.is_some());
                        if let Some(i) = i {
                            model.swap_remove(i);
                        }
                    }
                    4 => {
                        list.retain(|x| x as usize != w);
                        model.retain(|&x| x as usize != w);
                    }
                    _ => {}
                }
                prop_assert_eq!(list.as_slice(), &model[..]);
                prop_assert_eq!(list.check(), Ok(()));
                for x in 0..8 {
                    prop_assert_eq!(list.contains(x), model.contains(&(x as u32)));
                }
            }
        }
    }
}
