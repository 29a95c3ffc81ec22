//! Case-insensitive unique-name indexes — (scope, name) → record id, such as (organization, account name) in SCP
//! or (userpool, username) in Yandex — that keep a 64-bit hash of the key instead of the key itself.
//!
//! The record already holds its scope and name; holding them again, lowercased, in the index cost more memory per
//! record than the record's own strings. Here the index keeps the hash and the id; a lookup returns the ids filed
//! under the hash and the caller checks each against the record ([`same_name`]), so a hash collision costs a
//! comparison, never a wrong answer.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// The ids filed under one hash: almost always one.
#[derive(Debug, Clone)]
enum Slot {
    One(Box<str>),
    Many(Vec<Box<str>>),
}

#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    map: HashMap<u64, Slot, BuildHasherDefault<Prehashed>>,
}

/// The index's key: a hash of the scope and the lowercased name (no string is built).
pub fn key(scope: &str, name: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    scope.hash(&mut h);
    for c in name.chars().flat_map(char::to_lowercase) {
        h.write_u32(c as u32);
    }
    h.finish()
}

/// Whether two names are the same ignoring case (as the index compares them).
pub fn same_name(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

impl NameIndex {
    /// The ids filed under `key` (check each: another name may share the hash).
    pub fn get(&self, key: u64) -> impl Iterator<Item = &str> {
        let (one, many): (Option<&str>, &[Box<str>]) = match self.map.get(&key) {
            None => (None, &[]),
            Some(Slot::One(id)) => (Some(id), &[]),
            Some(Slot::Many(ids)) => (None, ids),
        };
        one.into_iter().chain(many.iter().map(|id| &**id))
    }

    pub fn insert(&mut self, key: u64, id: &str) {
        match self.map.get_mut(&key) {
            None => {
                self.map.insert(key, Slot::One(id.into()));
            }
            Some(Slot::One(old)) if &**old == id => {}
            Some(slot @ Slot::One(_)) => {
                let Slot::One(old) = std::mem::replace(slot, Slot::Many(Vec::new())) else {
                    return;
                };
                *slot = Slot::Many(vec![old, id.into()]);
            }
            Some(Slot::Many(ids)) => {
                if !ids.iter().any(|x| &**x == id) {
                    ids.push(id.into());
                }
            }
        }
    }

    pub fn remove(&mut self, key: u64, id: &str) {
        match self.map.get_mut(&key) {
            Some(Slot::One(old)) if &**old == id => {
                self.map.remove(&key);
            }
            Some(Slot::Many(ids)) => {
                ids.retain(|x| &**x != id);
                match ids.len() {
                    0 => {
                        self.map.remove(&key);
                    }
                    1 => {
                        let last = ids.pop().unwrap_or_default();
                        self.map.insert(key, Slot::One(last));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    pub fn clear(&mut self) {
        self.map.clear();
    }
}

/// The map's keys are hashes already: use them as they are.
#[derive(Debug, Default, Clone, Copy)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_keep_scopes_apart() {
        assert_eq!(key("org-a", "Acme Corp"), key("org-a", "aCME cORP"));
        assert_ne!(key("org-a", "acme"), key("org-b", "acme"));
        assert_ne!(key("org-a", "acme"), key("org-a", "acme2"));
        // The scope's end is part of the key: ("ab", "c") is not ("a", "bc").
        assert_ne!(key("ab", "c"), key("a", "bc"));
        assert!(same_name("Ärger", "äRGER"));
        assert!(!same_name("abc", "abd"));
    }

    #[test]
    fn ids_sharing_a_hash_are_all_found_and_removed_one_by_one() {
        let mut ix = NameIndex::default();
        ix.insert(7, "a");
        ix.insert(7, "b");
        ix.insert(7, "b");
        ix.insert(8, "c");
        assert_eq!(ix.get(7).collect::<Vec<_>>(), ["a", "b"]);
        ix.remove(7, "a");
        assert_eq!(ix.get(7).collect::<Vec<_>>(), ["b"]);
        ix.remove(7, "x");
        assert_eq!(ix.get(7).collect::<Vec<_>>(), ["b"]);
        ix.remove(7, "b");
        assert_eq!(ix.get(7).count(), 0);
        assert_eq!(ix.get(8).collect::<Vec<_>>(), ["c"]);
    }
}
