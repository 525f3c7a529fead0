//! What one track has learned about who it is: per watchlist identity, the best score and
//! how many templates cleared the threshold, and whether that (track, identity) has alerted.
//! A track meets a handful of identities at most, so a small vector beats a map.

/// Where a (track, identity) pair stands. Once it leaves `Pending` it never returns, which is
/// what makes "never a second alert for the same (track, identity)" hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    Pending,
    /// Alerted; `reported` is the score last sent (alert or alert_update).
    Alerted {
        reported: f32,
    },
    /// Would have alerted, but the identity was inside its cooldown.
    Covered,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdentityEvidence {
    pub identity: u32,
    pub best: f32,
    pub hits: u32,
    pub status: Status,
}

/// What the embed schedule needs to know about a track's identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No identity has any hit: a passer-by so far.
    Unknown,
    /// Some identity has hits but not yet enough to decide.
    Pending,
    /// Alerted (or covered by a cooldown) and nothing pending.
    Identified,
}

#[derive(Debug, Default, Clone)]
pub struct Evidence {
    entries: Vec<IdentityEvidence>,
}

impl Evidence {
    /// The entry for `identity`, created empty on first sight.
    pub fn entry(&mut self, identity: u32) -> &mut IdentityEvidence {
        match self.entries.iter().position(|e| e.identity == identity) {
            Some(i) => &mut self.entries[i],
            None => {
                self.entries.push(IdentityEvidence {
                    identity,
                    best: f32::NEG_INFINITY,
                    hits: 0,
                    status: Status::Pending,
                });
                self.entries.last_mut().expect("just pushed")
            }
        }
    }

    pub fn get(&self, identity: u32) -> Option<&IdentityEvidence> {
        self.entries.iter().find(|e| e.identity == identity)
    }

    pub fn phase(&self) -> Phase {
        if self
            .entries
            .iter()
            .any(|e| e.status == Status::Pending && e.hits > 0)
        {
            Phase::Pending
        } else if self.entries.iter().any(|e| e.status != Status::Pending) {
            Phase::Identified
        } else {
            Phase::Unknown
        }
    }

    /// Forgets undecided evidence when the track's face turned out to be someone else (an
    /// appearance break): hits of two people must never add up to one alert. Decided pairs
    /// stay decided so no (track, identity) can alert twice.
    pub fn reset_pending(&mut self) {
        self.entries.retain(|e| e.status != Status::Pending);
    }
}
