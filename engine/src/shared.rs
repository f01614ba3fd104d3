//! [`Shared`]: an immutable value carried through the dataflow by reference, compared by key.
//!
//! Differential dataflow needs records that are `Ord` and cheap to clone. Extracted pages hold
//! floating-point boxes (not `Ord`) and can be large; they are immutable facts about a content
//! hash. So records carry them behind an `Arc`, ordered and compared by a key that identifies the
//! content (e.g. `blob:page`), never by the value itself.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable value with an identifying key.
pub struct Shared<T> {
    key: Arc<str>,
    value: Arc<T>,
}

impl<T> Shared<T> {
    /// Wrap `value`, identified by `key` (two values with the same key must be equal).
    pub fn new(key: impl Into<Arc<str>>, value: T) -> Self {
        Self { key: key.into(), value: Arc::new(value) }
    }

    /// The identifying key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value, shared.
    pub fn arc(&self) -> Arc<T> {
        self.value.clone()
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self { key: self.key.clone(), value: self.value.clone() }
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<T> Eq for Shared<T> {}
impl<T> PartialOrd for Shared<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Shared<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl<T> std::hash::Hash for Shared<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl<T> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Shared({})", self.key)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&*self.key, &*self.value).serialize(s)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (key, value): (String, T) = Deserialize::deserialize(d)?;
        Ok(Self::new(key, value))
    }
}
