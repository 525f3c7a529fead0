//! `Tracker::observe`: fold templates into their tracks' fused evidence, have the caller
//! search the watchlist with the fused templates, decide. Everything is checked and searched
//! before anything changes, so a rejected call or a failed search loses nothing.

use crate::decision::{AlertEvent, Ranked, Tally, TrackRef};
use crate::error::{Result, TrackError};
use crate::input::{check_templates, Templates};
use crate::tracker::Tracker;

impl Tracker {
    /// Folds templates into their tracks' fused evidence and decides each track from the
    /// watchlist's best identities for its fused template.
    ///
    /// `search` receives the fused templates of the rows whose track is alive (k x dim,
    /// row-major, L2-normalised) and returns each row's best identities, best first, one per
    /// identity (at least the best two when the watchlist has two). Every input is checked and
    /// the search runs before any state changes, so a rejected call, or a failed search, loses
    /// nothing. A template for a track that has already ended is counted and dropped: the
    /// embedder may lag the tracker. Appends alerts and revisions to `out`; returns how many
    /// templates left their track short of the threshold (or found it ended).
    pub fn observe<S: AsRef<str>>(
        &mut self,
        ts: f64,
        t: Templates<'_>,
        threshold: f32,
        search: impl FnOnce(&[f32]) -> Result<Vec<Vec<(S, f32)>>>,
        out: &mut Vec<AlertEvent>,
    ) -> Result<usize> {
        let dim = check_templates(self.template_dim, self.next_id, ts, &t, threshold)?;
        if dim == 0 {
            return Ok(0);
        }
        let gate = self.cfg.appearance_gate;
        // Preview every live row's fused template without changing anything.
        let mut live: Vec<(usize, usize)> = Vec::with_capacity(t.track_ids.len());
        let mut fused = Vec::with_capacity(t.values.len());
        for (row, &track_id) in t.track_ids.iter().enumerate() {
            let Some(ti) = self
                .tracks
                .iter()
                .position(|k| k.id == Some(track_id as u64))
            else {
                continue;
            };
            let track = &self.tracks[ti];
            let tpl = &t.values[row * dim..(row + 1) * dim];
            let start = fused.len();
            fused.resize(start + dim, 0.0);
            let w = t.weights[row].max(self.cfg.min_weight);
            let restart = track.breaks(tpl, gate);
            track
                .evidence
                .fusion
                .preview(tpl, w, restart, &mut fused[start..]);
            live.push((row, ti));
        }
        let found = if live.is_empty() {
            Vec::new()
        } else {
            search(&fused)?
        };
        if found.len() != live.len() {
            return Err(TrackError::Search {
                detail: format!("{} result rows for {} queries", found.len(), live.len()),
            });
        }
        // Commit: fold, then decide.
        self.template_dim = Some(dim);
        let m = t.track_ids.len();
        self.stats.observations += m as u64;
        self.stats.observations_dropped += (m - live.len()) as u64;
        let mut unmatched = m - live.len();
        let mut tally = Tally::default();
        for (&(row, ti), hits) in live.iter().zip(&found) {
            let tpl = &t.values[row * dim..(row + 1) * dim];
            let track = &mut self.tracks[ti];
            if track.fold_appearance(tpl, gate) {
                self.stats.appearance_resets += 1;
            }
            track
                .evidence
                .fusion
                .add(tpl, t.weights[row].max(self.cfg.min_weight));
            let ranked = Ranked {
                best: hits.first().map(|(n, s)| (n.as_ref(), *s)),
                runner_up: hits.get(1).map_or(f32::NEG_INFINITY, |h| h.1),
            };
            if ranked.best.is_none_or(|(_, s)| s < threshold) {
                unmatched += 1;
            }
            let at = TrackRef {
                id: track.id.expect("live tracks are born"),
                started: track.started,
                index: row,
            };
            let event = self.decider.decide(
                &self.cfg,
                at,
                &mut track.evidence,
                ranked,
                threshold,
                ts,
                &mut tally,
            );
            out.extend(event);
        }
        self.stats.alerts += tally.alerts;
        self.stats.revisions += tally.revisions;
        self.stats.suppressed_by_cooldown += tally.suppressed_by_cooldown;
        Ok(unmatched)
    }

    /// Born tracks holding fused templates now (they are freed when their track dies).
    pub fn tracks_holding_templates(&self) -> usize {
        self.tracks
            .iter()
            .filter(|t| t.evidence.fusion.holds_template() || t.appearance.is_some())
            .count()
    }
}
