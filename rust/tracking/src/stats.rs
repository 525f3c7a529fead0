//! Counters a tracker keeps for the run's transparency report and for tuning the schedule
//! (embeds_requested / detections is the fraction of faces the embedder sees).

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub updates: u64,
    pub detections: u64,
    pub embeds_requested: u64,
    pub tracks_started: u64,
    pub tracks_ended: u64,
    pub observations: u64,
    /// Templates that arrived after their track had ended.
    pub observations_dropped: u64,
    /// Templates that looked like a different person than their track (evidence restarted).
    pub appearance_resets: u64,
    pub alerts: u64,
    /// Alerts whose identity changed as the track's evidence grew (`alert_update`).
    pub revisions: u64,
    pub suppressed_by_cooldown: u64,
}

impl Stats {
    /// Name/value pairs in a fixed order, for the bindings' `stats()` dict.
    pub fn pairs(&self) -> [(&'static str, u64); 11] {
        [
            ("updates", self.updates),
            ("detections", self.detections),
            ("embeds_requested", self.embeds_requested),
            ("tracks_started", self.tracks_started),
            ("tracks_ended", self.tracks_ended),
            ("observations", self.observations),
            ("observations_dropped", self.observations_dropped),
            ("appearance_resets", self.appearance_resets),
            ("alerts", self.alerts),
            ("revisions", self.revisions),
            ("suppressed_by_cooldown", self.suppressed_by_cooldown),
        ]
    }
}
