//! The per-camera tracker: validates a frame's detections, associates them with tracks in
//! ByteTrack's stages, starts and ends tracks, says which detections to embed, fuses each
//! track's templates and turns the fused template's watchlist matches into alert decisions.

use crate::assoc::Associator;
use crate::config::TrackerConfig;
use crate::decision::Decider;
use crate::error::Result;
use crate::geometry::BBox;
use crate::input::check_frame;
pub use crate::input::{Detections, Templates};
use crate::stats::Stats;
use crate::track::Track;

/// Low-score detections are often a neighbour's partial face: the second stage asks for at
/// least this much overlap (ByteTrack uses 0.5 there too).
const LOW_STAGE_MIN_IOU: f32 = 0.5;

#[derive(Debug, Clone)]
pub struct Tracker {
    pub(crate) cfg: TrackerConfig,
    pub(crate) tracks: Vec<Track>,
    pub(crate) next_id: u64,
    last_ts: Option<f64>,
    pub(crate) template_dim: Option<usize>,
    pub(crate) decider: Decider,
    pub(crate) stats: Stats,
    assoc: Associator,
    det_boxes: Vec<BBox>,
    cand_tracks: Vec<usize>,
    cand_dets: Vec<usize>,
    det_taken: Vec<bool>,
    track_taken: Vec<bool>,
    matches: Vec<(usize, usize)>,
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Result<Self> {
        cfg.validate()?;
        Ok(Self {
            cfg,
            tracks: Vec::new(),
            next_id: 1,
            last_ts: None,
            template_dim: None,
            decider: Decider::default(),
            stats: Stats::default(),
            assoc: Associator::default(),
            det_boxes: Vec::new(),
            cand_tracks: Vec::new(),
            cand_dets: Vec::new(),
            det_taken: Vec::new(),
            track_taken: Vec::new(),
            matches: Vec::new(),
        })
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.cfg
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Born tracks currently alive (matched within `max_age_s`).
    pub fn active_tracks(&self) -> usize {
        self.tracks.iter().filter(|t| t.id.is_some()).count()
    }

    /// Associates one frame's detections. Writes, per detection, the born track it belongs to
    /// (-1 for none) and whether the pipeline should compute its template now.
    pub fn update(
        &mut self,
        ts: f64,
        d: Detections<'_>,
        out_ids: &mut [i64],
        out_embed: &mut [bool],
    ) -> Result<()> {
        let n = check_frame(self.last_ts, self.template_dim, ts, &d, out_ids, out_embed)?;
        let dim = d
            .templates
            .and_then(|t| t.len().checked_div(n))
            .filter(|&k| k > 0);
        if let Some(k) = dim {
            self.template_dim = Some(k);
        }
        out_ids.fill(-1);
        out_embed.fill(false);
        self.det_boxes.clear();
        self.det_boxes.extend(
            d.boxes
                .chunks_exact(4)
                .map(|c| BBox::from_corners([c[0], c[1], c[2], c[3]])),
        );
        // Tracks unseen for longer than max_age are dead before this frame is associated (a
        // stalled camera must not revive them), which also bounds every prediction step.
        let max_age = self.cfg.max_age_s;
        let mut ended = 0u64;
        self.tracks.retain(|t| {
            let keep = ts - t.last_seen <= max_age;
            ended += u64::from(!keep && t.id.is_some());
            keep
        });
        self.stats.tracks_ended += ended;
        for t in &mut self.tracks {
            t.predict_to(ts);
        }
        self.det_taken.clear();
        self.det_taken.resize(n, false);
        self.track_taken.clear();
        self.track_taken.resize(self.tracks.len(), false);

        let (hi, lo) = (self.cfg.high_score, self.cfg.low_score);
        let iou = self.cfg.iou_threshold;
        // Stage 1: born tracks take confident detections.
        self.stage(|t| t.id.is_some(), |s| s >= hi, iou, d, ts);
        // Stage 2: born tracks still unmatched take low-score detections (occlusion, blur).
        self.stage(
            |t| t.id.is_some(),
            |s| s >= lo && s < hi,
            iou.max(LOW_STAGE_MIN_IOU),
            d,
            ts,
        );
        // Stage 3: tentative tracks take the confident detections left over.
        self.stage(|t| t.id.is_none(), |s| s >= hi, iou, d, ts);

        // Confident detections nobody took start tentative tracks.
        for i in 0..n {
            if !self.det_taken[i] && d.scores[i] >= hi {
                self.tracks.push(Track::new(self.det_boxes[i], ts));
                self.track_taken.push(true);
                self.matches.push((self.tracks.len() - 1, i));
            }
        }

        let mut embeds = 0u64;
        for &(ti, di) in &self.matches {
            let t = &mut self.tracks[ti];
            if t.id.is_none() && t.hits >= self.cfg.n_init {
                t.id = Some(self.next_id);
                self.next_id += 1;
                self.stats.tracks_started += 1;
            }
            let Some(id) = t.id else { continue };
            out_ids[di] = id as i64;
            if let (Some(tpl), Some(k)) = (d.templates, dim) {
                if t.fold_appearance(&tpl[di * k..(di + 1) * k], self.cfg.appearance_gate) {
                    self.stats.appearance_resets += 1;
                }
            }
            let (h, s) = (self.det_boxes[di].height(), d.scores[di]);
            if t.embed.due(
                &self.cfg,
                t.evidence.phase(self.cfg.min_templates),
                ts,
                h,
                s,
            ) {
                t.embed.mark(ts, h, s);
                out_embed[di] = true;
                embeds += 1;
            }
        }
        self.matches.clear();

        self.stats.updates += 1;
        self.stats.detections += n as u64;
        self.stats.embeds_requested += embeds;
        self.last_ts = Some(ts);
        Ok(())
    }

    /// One ByteTrack stage: untaken tracks passing `track_ok` against untaken detections whose
    /// score passes `score_ok`, gated at `min_iou`. Matched tracks absorb their detection.
    fn stage(
        &mut self,
        track_ok: impl Fn(&Track) -> bool,
        score_ok: impl Fn(f32) -> bool,
        min_iou: f32,
        d: Detections<'_>,
        ts: f64,
    ) {
        self.cand_tracks.clear();
        self.cand_tracks.extend(
            (0..self.tracks.len()).filter(|&i| !self.track_taken[i] && track_ok(&self.tracks[i])),
        );
        self.cand_dets.clear();
        self.cand_dets
            .extend((0..d.len()).filter(|&i| !self.det_taken[i] && score_ok(d.scores[i])));
        if self.cand_tracks.is_empty() || self.cand_dets.is_empty() {
            return;
        }
        let dim = d.templates.map_or(0, |t| t.len() / d.len());
        let gate = self.cfg.appearance_gate;
        // Sweep along x: detections sorted by left edge, so each track only meets the
        // detections whose x-range can overlap its own (near-linear in a crowd, not n^2).
        let boxes = &self.det_boxes;
        self.cand_dets
            .sort_unstable_by(|&a, &b| boxes[a].x1.total_cmp(&boxes[b].x1));
        let max_w = self
            .cand_dets
            .iter()
            .map(|&i| boxes[i].width())
            .fold(0.0f32, f32::max);
        let start = self.matches.len();
        self.assoc.begin();
        for (i, &ti) in self.cand_tracks.iter().enumerate() {
            let t = &self.tracks[ti];
            let p = t.predicted;
            let first = self
                .cand_dets
                .partition_point(|&di| boxes[di].x1 < p.x1 - max_w);
            for (j, &di) in self.cand_dets.iter().enumerate().skip(first) {
                let b = &boxes[di];
                if b.x1 >= p.x2 {
                    break;
                }
                let iou = p.iou(b);
                if iou.is_nan() || iou < min_iou {
                    continue;
                }
                let motion = 1.0 - iou as f64;
                let cost = match d
                    .templates
                    .and_then(|tpl| t.similarity(&tpl[di * dim..(di + 1) * dim]))
                {
                    Some(cos) if cos < gate => continue,
                    Some(cos) => 0.5 * motion + 0.5 * (1.0 - cos as f64),
                    None => motion,
                };
                self.assoc.allow(i, j, cost);
            }
        }
        self.assoc.finish(
            self.cand_tracks.len(),
            self.cand_dets.len(),
            &mut self.matches,
        );
        for m in &mut self.matches[start..] {
            let (ti, di) = (self.cand_tracks[m.0], self.cand_dets[m.1]);
            *m = (ti, di);
            self.track_taken[ti] = true;
            self.det_taken[di] = true;
            self.tracks[ti].absorb(self.det_boxes[di], ts);
        }
    }
}
