//! [`Shared`]: an immutable value carried through the dataflow by reference, compared by key.
//!
//! Differential dataflow needs records that are `Ord` and cheap to clone. Extracted pages hold
//! floating-point boxes (not `Ord`) and can be large; they are immutable facts about a content
//! hash. So records carry them behind an `Arc`, ordered and compared by a key that identifies the
//! content (e.g. `blob:page`), never by the value itself.
//!
//! Between processes (timely's cluster mode) records are encoded with bincode, which cannot read
//! the self-describing serde forms some operator types use (internally tagged enums). So in a
//! compact (non human-readable) format the value travels as CBOR bytes inside the record (CBOR
//! describes itself, and takes maps with non-string keys, unlike JSON); in JSON it stays a plain
//! value.

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
        if s.is_human_readable() {
            (&*self.key, &*self.value).serialize(s)
        } else {
            let cbor = cbor::to_bytes(&*self.value).map_err(serde::ser::Error::custom)?;
            (&*self.key, cbor).serialize(s)
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let (key, value): (String, T) = Deserialize::deserialize(d)?;
            Ok(Self::new(key, value))
        } else {
            let (key, bytes): (String, Vec<u8>) = Deserialize::deserialize(d)?;
            let value = cbor::from_bytes(&bytes).map_err(serde::de::Error::custom)?;
            Ok(Self::new(key, value))
        }
    }
}

/// CBOR encoding of values sent between processes.
pub mod cbor {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    /// Encode `value`.
    pub fn to_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Decode a value written by [`to_bytes`].
    pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
        ciborium::from_reader(bytes).map_err(|e| e.to_string())
    }
}

/// `#[serde(with = "self_described")]`: a field written as CBOR bytes, for values whose serde
/// form bincode cannot read back (internally tagged enums) in records sent between processes.
pub mod self_described {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Write `value` as CBOR bytes.
    pub fn serialize<T: Serialize, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        super::cbor::to_bytes(value).map_err(serde::ser::Error::custom)?.serialize(s)
    }

    /// Read a value written by [`serialize`].
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let bytes = Vec::<u8>::deserialize(d)?;
        super::cbor::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}
