//! Collections that remember what changed: the world's records live in [`Tracked`] maps and [`TrackedVec`]s, so
//! the data dir can write down what a request did to the world (the keys it touched, with their new values) and
//! undo it if that write fails — without any service function saying what it changed.
//!
//! Reading goes through `Deref` to the plain collection; every way to change one goes through a method here, so a
//! change cannot bypass the record. While tracking is off (no `--data-dir`) the only cost is one branch.

use std::borrow::Borrow;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Deref;

/// A `BTreeMap` that, while tracking, keeps each touched key's value as it was before the first touch.
#[derive(Debug, Clone)]
pub struct Tracked<K, V> {
    map: BTreeMap<K, V>,
    /// `Some` while tracking: key → its value before this round's first change (`None`: it did not exist).
    before: Option<BTreeMap<K, Option<V>>>,
}

impl<K, V> Default for Tracked<K, V> {
    fn default() -> Self {
        Tracked {
            map: BTreeMap::new(),
            before: None,
        }
    }
}

impl<K, V> Deref for Tracked<K, V> {
    type Target = BTreeMap<K, V>;
    fn deref(&self) -> &BTreeMap<K, V> {
        &self.map
    }
}

/// One key's change: its value before and after (`None`: absent).
pub type Delta<K, V> = (K, Option<V>);

impl<K: Ord + Clone, V: Clone> Tracked<K, V> {
    /// Starts (or restarts) recording changes; what was recorded so far is forgotten.
    pub fn track(&mut self) {
        self.before = Some(BTreeMap::new());
    }

    fn touch<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let Some(before) = &mut self.before else {
            return;
        };
        if before.contains_key(key) {
            return;
        }
        if let Some((k, v)) = self.map.get_key_value(key) {
            before.insert(k.clone(), Some(v.clone()));
        }
    }

    fn touch_new(&mut self, key: &K) {
        if let Some(before) = &mut self.before
            && !before.contains_key(key)
        {
            before.insert(key.clone(), self.map.get(key).cloned());
        }
    }

    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.touch_new(&key);
        self.map.insert(key, value)
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.touch(key);
        self.map.remove(key)
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.touch(key);
        self.map.get_mut(key)
    }

    /// Inserts `value` under `key` only when the key is free; false (and nothing changed) when it is taken.
    pub fn insert_new(&mut self, key: K, value: V) -> bool {
        if self.map.contains_key(&key) {
            return false;
        }
        self.insert(key, value);
        true
    }

    pub fn clear(&mut self) {
        let keys: Vec<K> = self.map.keys().cloned().collect();
        for k in keys {
            self.remove(&k);
        }
    }

    /// The keys changed since tracking (re)started, each with its value before; tracking goes on afresh.
    pub fn take(&mut self) -> Vec<Delta<K, V>> {
        match &mut self.before {
            Some(before) if !before.is_empty() => std::mem::take(before).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Whether anything changed since tracking (re)started.
    pub fn is_dirty(&self) -> bool {
        self.before.as_ref().is_some_and(|b| !b.is_empty())
    }

    /// The current value of each key in `deltas` (what a change record holds).
    pub fn current(&self, deltas: &[Delta<K, V>]) -> Vec<Delta<K, V>> {
        deltas
            .iter()
            .map(|(k, _)| (k.clone(), self.map.get(k).cloned()))
            .collect()
    }

    /// Sets keys to given values (replaying a record, or undoing one), without recording anything. The caller
    /// rebuilds any index derived from the map.
    pub fn set_raw(&mut self, deltas: Vec<Delta<K, V>>) {
        for (k, v) in deltas {
            match v {
                Some(v) => self.map.insert(k, v),
                None => self.map.remove(&k),
            };
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for Tracked<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Tracked {
            map: iter.into_iter().collect(),
            before: None,
        }
    }
}

/// A list that, while tracking, knows whether this round only appended at the end and dropped from the front (the
/// usual case: the bounded mail log) or changed it otherwise (then its whole earlier value is kept). A `VecDeque`,
/// so dropping the oldest item of a bounded log costs that item, not a move of all the others.
#[derive(Debug, Clone)]
pub struct TrackedVec<T> {
    items: VecDeque<T>,
    tracking: bool,
    /// Items dropped from the front this round, in order.
    dropped: Vec<T>,
    /// Items pushed this round (the last `pushed` items).
    pushed: usize,
    /// The whole value before this round's first other change.
    replaced: Option<Vec<T>>,
}

impl<T> Default for TrackedVec<T> {
    fn default() -> Self {
        TrackedVec {
            items: VecDeque::new(),
            tracking: false,
            dropped: Vec::new(),
            pushed: 0,
            replaced: None,
        }
    }
}

impl<T> Deref for TrackedVec<T> {
    type Target = VecDeque<T>;
    fn deref(&self) -> &VecDeque<T> {
        &self.items
    }
}

/// How a [`TrackedVec`] changed in one round.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum VecChange<T> {
    /// `drop_front` items dropped from the front, then `append` appended at the end.
    Edit { drop_front: usize, append: Vec<T> },
    /// The whole new value.
    Replace(Vec<T>),
}

/// How to undo a [`TrackedVec`]'s round.
#[derive(Debug, Clone)]
pub enum VecUndo<T> {
    Edit { pushed: usize, dropped: Vec<T> },
    Restore(Vec<T>),
}

impl<T: Clone> TrackedVec<T> {
    pub fn track(&mut self) {
        self.tracking = true;
        self.dropped.clear();
        self.pushed = 0;
        self.replaced = None;
    }

    /// The value before this round (for a replacement's undo).
    fn before(&self) -> Vec<T> {
        let kept = self.items.len() - self.pushed;
        let mut before = self.dropped.clone();
        before.extend(self.items.iter().take(kept).cloned());
        before
    }

    /// The items, oldest first, as a plain `Vec` (what documents and records hold).
    pub fn to_vec(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }

    fn replacing(&mut self) {
        if self.tracking && self.replaced.is_none() {
            self.replaced = Some(self.before());
            self.dropped.clear();
            self.pushed = 0;
        }
    }

    pub fn push(&mut self, item: T) {
        if self.tracking && self.replaced.is_none() {
            self.pushed += 1;
        }
        self.items.push_back(item);
    }

    /// Drops the first `n` items.
    pub fn drop_front(&mut self, n: usize) {
        let n = n.min(self.items.len());
        if self.tracking && self.replaced.is_none() {
            if n > self.items.len() - self.pushed {
                // It reaches into this round's own items: simpler said as a replacement.
                self.replacing();
            } else {
                self.dropped.extend(self.items.drain(..n));
                return;
            }
        }
        self.items.drain(..n);
    }

    /// Mutable access to the whole list (recorded as a replacement).
    pub fn make_mut(&mut self) -> &mut VecDeque<T> {
        self.replacing();
        &mut self.items
    }

    pub fn is_dirty(&self) -> bool {
        self.pushed > 0 || !self.dropped.is_empty() || self.replaced.is_some()
    }

    /// This round's change and its undo; tracking goes on afresh.
    pub fn take(&mut self) -> Option<(VecChange<T>, VecUndo<T>)> {
        if let Some(before) = self.replaced.take() {
            return Some((VecChange::Replace(self.to_vec()), VecUndo::Restore(before)));
        }
        if !self.is_dirty() {
            return None;
        }
        let pushed = std::mem::take(&mut self.pushed);
        let dropped = std::mem::take(&mut self.dropped);
        Some((
            VecChange::Edit {
                drop_front: dropped.len(),
                append: self
                    .items
                    .range(self.items.len() - pushed..)
                    .cloned()
                    .collect(),
            },
            VecUndo::Edit { pushed, dropped },
        ))
    }

    pub fn apply_raw(&mut self, change: VecChange<T>) {
        match change {
            VecChange::Edit { drop_front, append } => {
                self.items.drain(..drop_front.min(self.items.len()));
                self.items.extend(append);
            }
            VecChange::Replace(items) => self.items = items.into(),
        }
    }

    pub fn undo_raw(&mut self, undo: VecUndo<T>) {
        match undo {
            VecUndo::Edit {
                pushed,
                mut dropped,
            } => {
                self.items.truncate(self.items.len().saturating_sub(pushed));
                dropped.extend(self.items.drain(..));
                self.items = dropped.into();
            }
            VecUndo::Restore(items) => self.items = items.into(),
        }
    }
}

impl<T> From<Vec<T>> for TrackedVec<T> {
    fn from(items: Vec<T>) -> Self {
        TrackedVec {
            items: items.into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_records_each_touched_key_once_with_its_first_value() {
        let mut m: Tracked<String, i32> = [("a".to_string(), 1)].into_iter().collect();
        m.insert("b".into(), 0);
        assert!(m.take().is_empty(), "nothing is recorded before tracking");
        m.track();
        m.insert("a".into(), 2);
        m.insert("a".into(), 3);
        m.insert("c".into(), 9);
        m.remove("b");
        m.remove("zzz");
        if let Some(v) = m.get_mut("c") {
            *v = 10;
        }
        let before = m.take();
        assert_eq!(
            before,
            vec![
                ("a".to_string(), Some(1)),
                ("b".to_string(), Some(0)),
                ("c".to_string(), None)
            ]
        );
        let now = m.current(&before);
        assert_eq!(
            now,
            vec![
                ("a".to_string(), Some(3)),
                ("b".to_string(), None),
                ("c".to_string(), Some(10))
            ]
        );
        // Undo puts the map back as it was.
        m.set_raw(before);
        assert_eq!(
            m.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
            vec![("a", 1), ("b", 0)]
        );
        assert!(!m.is_dirty());
    }

    #[test]
    fn a_vec_tells_appends_from_replacements() {
        let mut v: TrackedVec<i32> = vec![1, 2].into();
        v.track();
        v.push(3);
        v.push(4);
        v.drop_front(1);
        let (change, undo) = v.take().expect("changed");
        assert_eq!(
            change,
            VecChange::Edit {
                drop_front: 1,
                append: vec![3, 4]
            }
        );
        let mut replica: TrackedVec<i32> = vec![1, 2].into();
        replica.apply_raw(change);
        assert_eq!(*replica, *v);
        v.undo_raw(undo);
        assert_eq!(*v, vec![1, 2]);
        v.track();
        v.push(7);
        v.drop_front(3);
        let (change, undo) = v.take().expect("changed");
        assert_eq!(change, VecChange::Replace(vec![]));
        v.undo_raw(undo);
        assert_eq!(*v, vec![1, 2]);
        v.push(5);
        v.make_mut().retain(|x| *x != 1);
        let (change, undo) = v.take().expect("changed");
        assert_eq!(change, VecChange::Replace(vec![2, 5]));
        v.undo_raw(undo);
        assert_eq!(*v, vec![1, 2]);
        assert!(v.take().is_none());
    }
}
