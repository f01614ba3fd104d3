//! Throttling of failed logins, so that a password cannot be guessed by trying many.
//!
//! Each login (whether the account exists or not, so the answer reveals nothing) counts its
//! failed attempts. The first [`Policy::free_failures`] cost nothing; each further failure makes
//! the login wait before its next attempt, twice as long each time (1 s, 2 s, 4 s… up to
//! [`Policy::max_wait`]). An attempt made while waiting is refused with the time left, without
//! checking the password. A successful login clears the count; a login left alone for
//! [`Policy::forget_after`] starts afresh.
//!
//! Progressive delays rather than a lockout: locking an account after N failures would let anyone
//! who knows a magistrate's login keep them out of their dossiers. The counts live in memory (a
//! restart clears them) and are bounded: past [`Policy::max_tracked`] logins the stale ones are
//! dropped first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The numbers of the throttle.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Failures allowed before any wait.
    pub free_failures: u32,
    /// Wait imposed by the first failure past the free ones; doubled by each next one.
    pub first_wait: Duration,
    /// Longest wait.
    pub max_wait: Duration,
    /// A login with no attempt for this long starts afresh.
    pub forget_after: Duration,
    /// Logins tracked at most.
    pub max_tracked: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(60 * 60),
            max_tracked: 10_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// No attempt is checked before this instant.
    until: Instant,
}

/// Failed-login counts per login.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    policy: Policy,
    failures: Mutex<HashMap<String, Failures>>,
}

fn key(login: &str) -> String {
    login.trim().to_lowercase()
}

impl LoginThrottle {
    pub fn new(policy: Policy) -> Self {
        Self { policy, failures: Mutex::default() }
    }

    /// `Err(wait)` when `login` must wait before its password is checked again.
    pub fn check(&self, login: &str, now: Instant) -> Result<(), Duration> {
        let failures = self.failures.lock().expect("throttle lock");
        match failures.get(&key(login)) {
            Some(f) if f.until > now && now.duration_since(f.last) < self.policy.forget_after => Err(f.until - now),
            _ => Ok(()),
        }
    }

    /// Record a failed attempt; returns the wait it imposes (zero while failures are free).
    pub fn failed(&self, login: &str, now: Instant) -> Duration {
        let mut failures = self.failures.lock().expect("throttle lock");
        if failures.len() >= self.policy.max_tracked {
            let forget = self.policy.forget_after;
            failures.retain(|_, f| now.duration_since(f.last) < forget);
            if failures.len() >= self.policy.max_tracked {
                // Still full of recent logins: drop the oldest half.
                let mut lasts: Vec<Instant> = failures.values().map(|f| f.last).collect();
                lasts.sort();
                let cut = lasts[lasts.len() / 2];
                failures.retain(|_, f| f.last > cut);
            }
        }
        let entry = failures.entry(key(login)).or_insert(Failures { count: 0, last: now, until: now });
        if now.duration_since(entry.last) >= self.policy.forget_after {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
        let wait = match entry.count.checked_sub(self.policy.free_failures + 1) {
            None => Duration::ZERO,
            Some(doublings) => self.policy.first_wait.saturating_mul(2_u32.saturating_pow(doublings.min(30))).min(self.policy.max_wait),
        };
        entry.until = now + wait;
        wait
    }

    /// A successful login clears its failures.
    pub fn succeeded(&self, login: &str) {
        self.failures.lock().expect("throttle lock").remove(&key(login));
    }
}

/// "3 secondes", "2 minutes": a wait as a magistrate reads it (rounded up).
pub fn french_duration(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    if secs < 120 {
        format!("{secs} seconde{}", if secs > 1 { "s" } else { "" })
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_failures_then_doubling_waits_up_to_the_cap() {
        let throttle = LoginThrottle::new(Policy { max_wait: Duration::from_secs(8), ..Policy::default() });
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(throttle.check("alice", t0), Ok(()));
            assert_eq!(throttle.failed("alice", t0), Duration::ZERO);
        }
        let waits: Vec<u64> = (0..6).map(|_| throttle.failed("Alice ", t0).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 8, 8], "case and spaces do not make a new login");
        assert_eq!(throttle.check("alice", t0 + Duration::from_secs(3)), Err(Duration::from_secs(5)));
        assert_eq!(throttle.check("alice", t0 + Duration::from_secs(8)), Ok(()));
        // Another login is not affected.
        assert_eq!(throttle.check("bob", t0), Ok(()));
    }

    #[test]
    fn success_and_time_clear_the_count() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..7 {
            throttle.failed("alice", t0);
        }
        assert!(throttle.check("alice", t0).is_err());
        throttle.succeeded("alice");
        assert_eq!(throttle.check("alice", t0), Ok(()));
        assert_eq!(throttle.failed("alice", t0), Duration::ZERO, "counting starts again");

        for _ in 0..7 {
            throttle.failed("bob", t0);
        }
        let later = t0 + Duration::from_secs(2 * 60 * 60);
        assert_eq!(throttle.check("bob", later), Ok(()));
        assert_eq!(throttle.failed("bob", later), Duration::ZERO, "an hour without attempts forgets");
    }

    #[test]
    fn tracked_logins_are_bounded() {
        let throttle = LoginThrottle::new(Policy { max_tracked: 100, ..Policy::default() });
        let t0 = Instant::now();
        for i in 0..1_000_u64 {
            throttle.failed(&format!("login{i}"), t0 + Duration::from_millis(i));
        }
        let tracked = throttle.failures.lock().unwrap().len();
        assert!(tracked <= 100, "{tracked} logins tracked");
        assert!(throttle.failures.lock().unwrap().contains_key("login999"), "the latest is kept");
    }

    #[test]
    fn waits_read_in_french() {
        assert_eq!(french_duration(Duration::from_millis(400)), "1 seconde");
        assert_eq!(french_duration(Duration::from_secs(4)), "4 secondes");
        assert_eq!(french_duration(Duration::from_secs(600)), "10 minutes");
    }
}
